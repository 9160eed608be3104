//! The merge that writes as it goes (`merge_to_writer`, at the memory of `count`): its regions
//! document and graph (JSON and DOT) are one machine's bytes for 1 to 4 shards and 1 or 2
//! threads, and a tampered, foreign, duplicated or truncated part is refused by name with the
//! same error as the merge that holds the analysis, never with an internal error and before
//! anything is written.

use crate::enumerate::invariants::{random_net, Rng};
use crate::support::fixture;
use proptest::prelude::*;
use relu_regions::exact::num::q;
use relu_regions::export::provenance::Provenance;
use relu_regions::jobs::shard::{
    merge, merge_to_writer, plan_hash, run_shard, MergeOutput, Plan, ShardError,
};
use relu_regions::jobs::{self, GraphForm, StopToken};
use relu_regions::network::nnet::Coords;
use relu_regions::network::{Domain, InputFormat, Network};
use relu_regions::Enumerator;
use std::io::BufRead;

/// A plan of `shards` shards of `net`, its hash and its parts' bytes.
fn planned(net: &Network, shards: usize) -> (Plan, String, Vec<Vec<u8>>) {
    let provenance = Provenance::new(b"net", InputFormat::Json, Coords::Raw, net.domain());
    let plan = Plan::new(net, &Enumerator::builder().build(), provenance, shards, 4, 2).unwrap();
    let text = serde_json::to_string(&plan).unwrap();
    let sha = plan_hash(text.as_bytes());
    let plan = Plan::read(&text, "plan.json").unwrap();
    let parts = (0..shards)
        .map(|i| {
            let mut part = Vec::new();
            run_shard(&plan, &sha, i, Enumerator::builder().build(), false, &mut part).unwrap();
            part
        })
        .collect();
    (plan, sha, parts)
}

fn readers(parts: &[Vec<u8>]) -> Vec<(String, Box<dyn BufRead>)> {
    parts
        .iter()
        .enumerate()
        .map(|(i, b)| {
            (format!("part-{i}.jsonl"), Box::new(std::io::Cursor::new(b.clone())) as Box<dyn BufRead>)
        })
        .collect()
}

/// The merge written as it goes: its bytes, or the merge's error (then nothing was written).
fn streamed(
    plan: &Plan,
    sha: &str,
    parts: &[Vec<u8>],
    output: MergeOutput,
    threads: usize,
) -> Result<Vec<u8>, ShardError> {
    let mut out = Vec::new();
    let result = merge_to_writer(plan, sha, readers(parts), output, threads, &mut out);
    match result {
        Ok(written) => {
            written.unwrap();
            Ok(out)
        }
        Err(e) => {
            assert!(out.is_empty(), "a refused merge wrote {} bytes", out.len());
            Err(e)
        }
    }
}

/// One machine's `regions --json`, `graph --format json` and `--format dot` of `net`, with the
/// plan's provenance.
fn one_machine(net: &Network, provenance: &Provenance, threads: usize) -> [Vec<u8>; 3] {
    let e = Enumerator::builder().threads(threads).build();
    let mut regions = Vec::new();
    let stop = StopToken::new(None, None);
    jobs::write_regions_json(net, &e, Some(provenance), None, &stop, &mut regions).unwrap().1.unwrap();
    let mut graph = Vec::new();
    jobs::write_graph(net, &e, GraphForm::Json, Some(provenance), &mut graph).unwrap().1.unwrap();
    let mut dot = Vec::new();
    jobs::write_graph(net, &e, GraphForm::Dot { exact_labels: false }, None, &mut dot).unwrap().1.unwrap();
    [regions, graph, dot]
}

fn file_net(name: &str) -> Network {
    Network::from_json(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

#[test]
fn streamed_merges_are_one_machines_bytes_for_1_to_4_shards_and_1_or_2_threads() {
    let mut rng = Rng::new(7);
    let box2 = Domain::Box(vec![(q(-2), q(2)), (q(-2), q(2))]);
    let nets = [
        file_net("deep2d.json"),
        file_net("bench/net-2-16-16.json"),
        random_net(&mut rng, 3, &[5, 4], Domain::Whole),
        random_net(&mut rng, 2, &[4, 3], box2),
    ];
    for (n, net) in nets.iter().enumerate() {
        let mut one = None;
        for shards in 1..=4 {
            let (plan, sha, parts) = planned(net, shards);
            let one = one.get_or_insert_with(|| one_machine(net, &plan.provenance, 1));
            for threads in [1, 2] {
                let outputs = [MergeOutput::Regions, MergeOutput::GraphJson, MergeOutput::GraphDot];
                for (output, want) in outputs.into_iter().zip(one.iter()) {
                    let got = streamed(&plan, &sha, &parts, output, threads).unwrap();
                    assert!(
                        &got == want,
                        "network {n}, {shards} shards, {threads} threads, {output:?}: differs"
                    );
                }
            }
        }
    }
}

/// Lines of a part, edited by `edit`, as bytes.
fn edited(part: &[u8], edit: impl FnOnce(&mut Vec<String>)) -> Vec<u8> {
    let mut lines: Vec<String> =
        String::from_utf8(part.to_vec()).unwrap().lines().map(String::from).collect();
    edit(&mut lines);
    lines.iter().map(|l| format!("{l}\n")).collect::<String>().into_bytes()
}

/// The parts with region lines renumbered from 0 and the summary's counts made to fit (an
/// editor covering their tracks).
fn renumbered(lines: &mut [String]) {
    let n = lines.len() - 2;
    let mut bounded = 0;
    for (i, line) in lines[1..=n].iter_mut().enumerate() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        v["id"] = i.into();
        bounded += usize::from(v["bounded"] == true);
        *line = v.to_string();
    }
    let mut summary: serde_json::Value = serde_json::from_str(&lines[n + 1]).unwrap();
    summary["summary"]["regions"] = n.into();
    summary["summary"]["bounded"] = bounded.into();
    lines[n + 1] = summary.to_string();
}

/// Every merge of `parts` is refused with one error naming `file` and `what`, the held merge's.
fn refused(plan: &Plan, sha: &str, parts: &[Vec<u8>], file: &str, what: &str) {
    let held = merge(plan, sha, readers(parts), true, 1).expect_err(what).to_string();
    assert!(held.contains(file) && held.contains(what), "wanted {file} and {what:?} in {held}");
    for output in [MergeOutput::Regions, MergeOutput::GraphJson, MergeOutput::GraphDot, MergeOutput::Count] {
        for threads in [1, 2] {
            let e = streamed(plan, sha, parts, output, threads).expect_err(what);
            assert!(!matches!(e, ShardError::Internal(_)), "{output:?}: {e}");
            assert_eq!(e.to_string(), held, "{output:?}, {threads} threads");
        }
    }
}

#[test]
fn bad_parts_are_refused_by_name_before_anything_is_written() {
    let net = file_net("bench/net-2-16-16.json");
    let (plan, sha, parts) = planned(&net, 3);
    let with = |k: usize, part: Vec<u8>| -> Vec<Vec<u8>> {
        let mut all = parts.clone();
        all[k] = part;
        all
    };
    // a region dropped (ids and summary made to fit): the graph finds it missing
    let dropped = edited(&parts[1], |l| {
        l.remove(4);
        renumbered(l);
    });
    refused(&plan, &sha, &with(1, dropped), "part-1.jsonl", "a region is missing");
    // a region's pattern changed: its map and point no longer fit it
    let flipped = edited(&parts[0], |l| {
        let mut v: serde_json::Value = serde_json::from_str(&l[2]).unwrap();
        let first = v["pattern"][0].as_str().unwrap().to_string();
        let flip = if first.starts_with('0') { "1" } else { "0" };
        v["pattern"][0] = format!("{flip}{}", &first[1..]).into();
        l[2] = v.to_string();
    });
    refused(&plan, &sha, &with(0, flipped), "part-0.jsonl", "line 3: region 1:");
    // a part of another plan
    let (_, _, other) = planned(&file_net("deep2d.json"), 3);
    refused(&plan, &sha, &with(2, other[2].clone()), "part-2.jsonl", "belongs to another plan");
    // a duplicated part
    let mut twice = parts.clone();
    twice.push(parts[1].clone());
    refused(&plan, &sha, &twice, "part-3.jsonl", "shard 1 is given twice");
    // a truncated part (mid-line): partial, as when the part was read whole
    let cut = parts[2][..parts[2].len() / 2].to_vec();
    refused(&plan, &sha, &with(2, cut), "part-2.jsonl", "the part ends before its summary");
    // a region line removed, the summary left: the summary's count, as before
    let gap = edited(&parts[1], |l| drop(l.remove(6)));
    refused(&plan, &sha, &with(1, gap), "part-1.jsonl", "regions, the part lists");
    // two regions swapped: out of the enumeration's order
    let swapped = edited(&parts[0], |l| {
        l.swap(3, 4);
        renumbered(l);
    });
    refused(&plan, &sha, &with(0, swapped), "part-0.jsonl", "comes before, in the enumeration's order");
    // an inner facet dropped: seen from one side only
    let facet = edited(&parts[0], |l| {
        let mut v: serde_json::Value = serde_json::from_str(&l[3]).unwrap();
        let inequalities = v["inequalities"].as_array_mut().unwrap();
        let inner = inequalities.iter().position(|i| i.get("domain_rows").is_none()).unwrap();
        inequalities.remove(inner);
        l[3] = v.to_string();
    });
    refused(&plan, &sha, &with(0, facet), "part-0.jsonl", "lacks its facet");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    /// Random networks and a random region dropped or its offset changed: the streamed merge
    /// refuses the part by name with the held merge's error.
    #[test]
    fn random_tamperings_are_refused_by_the_streamed_merge(
        seed in 0u64..10_000, shards in 1usize..4, whole in any::<bool>(), drop_it in any::<bool>(), pick in 0usize..1000
    ) {
        let mut rng = Rng::new(seed);
        let domain = if whole { Domain::Whole } else { Domain::Box(vec![(q(-2), q(2)), (q(-2), q(2))]) };
        let net = random_net(&mut rng, 2, &[4, 3], domain);
        let (plan, sha, mut parts) = planned(&net, shards);
        let sizes: Vec<usize> = parts.iter().map(|p| p.iter().filter(|&&b| b == b'\n').count() - 2).collect();
        let candidates: Vec<usize> = (0..shards).filter(|&i| sizes[i] > 0).collect();
        prop_assume!(!candidates.is_empty());
        let t = candidates[pick % candidates.len()];
        let j = 1 + (pick / 7) % sizes[t];
        parts[t] = edited(&parts[t], |l| {
            if drop_it {
                l.remove(j);
            } else {
                let mut v: serde_json::Value = serde_json::from_str(&l[j]).unwrap();
                let offset = relu_regions::exact::num::parse_rational(v["offset"][0].as_str().unwrap()).unwrap();
                v["offset"][0] = relu_regions::exact::num::fmt_q(&(offset + q(1))).into();
                l[j] = v.to_string();
            }
            renumbered(l);
        });
        let held = merge(&plan, &sha, readers(&parts), true, 1).expect_err("tampered").to_string();
        for output in [MergeOutput::Regions, MergeOutput::GraphDot] {
            let e = streamed(&plan, &sha, &parts, output, 2).expect_err("tampered");
            prop_assert!(!matches!(e, ShardError::Internal(_)), "{}", e);
            prop_assert_eq!(e.to_string(), held.clone());
            prop_assert!(held.contains(&format!("part-{t}.jsonl")), "{}", held);
        }
    }
}
