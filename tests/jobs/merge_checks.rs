//! The merge verifies what it merges: a part whose regions, counts or order are not what its
//! shard computes is refused (exit 2) by name, never merged into a wrong answer and never an
//! internal error.

use crate::cli::fixtures::run_cli;
use crate::enumerate::invariants::{random_net, Rng};
use crate::support::fixture;
use proptest::prelude::*;
use relu_regions::exact::num::q;
use relu_regions::export::provenance::Provenance;
use relu_regions::jobs::shard::{merge, plan_hash, run_shard, Plan, ShardError};
use relu_regions::network::nnet::Coords;
use relu_regions::network::{Domain, InputFormat, Network};
use relu_regions::Enumerator;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relu-regions-merge-checks-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A plan of 3 shards of the 2-16-16 benchmark network and its parts.
fn planned(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let net = fixture("bench/net-2-16-16.json");
    let plan = dir.join("plan.json");
    assert!(run_cli(&["shard", "plan", s(&net), "--shards", "3", "-o", s(&plan)]).status.success());
    let parts = (0..3)
        .map(|i| {
            let part = dir.join(format!("part-{i}.jsonl"));
            let index = i.to_string();
            assert!(run_cli(&["shard", "run", s(&plan), "--index", &index, "-o", s(&part)]).status.success());
            part
        })
        .collect();
    (plan, parts)
}

fn lines(part: &Path) -> Vec<Value> {
    std::fs::read_to_string(part).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Ids from 0 and the summary's counts made to fit the regions, as an editor covering their
/// tracks would.
fn renumbered(mut lines: Vec<Value>) -> Vec<Value> {
    let n = lines.len() - 2;
    for (i, region) in lines[1..=n].iter_mut().enumerate() {
        region["id"] = i.into();
    }
    let bounded = lines[1..=n].iter().filter(|r| r["bounded"] == true).count();
    let summary = &mut lines[n + 1]["summary"];
    summary["regions"] = n.into();
    summary["bounded"] = bounded.into();
    lines
}

fn write(path: &Path, lines: &[Value]) -> PathBuf {
    let text: String = lines.iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

/// The merge of `parts` must be refused with exit 2, its message naming `file` and `what`.
fn refused(plan: &Path, parts: &[PathBuf], file: &Path, what: &str) {
    let mut args = vec!["merge", s(plan)];
    args.extend(parts.iter().map(|p| s(p)));
    let out = run_cli(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(err.contains(name) && err.contains(what), "wanted {name} and {what:?} in {err}");
}

#[test]
fn a_region_carrying_another_regions_map_is_refused() {
    let dir = tempdir("map");
    let (plan, parts) = planned(&dir);
    let mut part = lines(&parts[1]);
    let other = part[5].clone();
    part[4]["jacobian"] = other["jacobian"].clone();
    part[4]["offset"] = other["offset"].clone();
    let bad = write(&dir.join("bad-map.jsonl"), &part);
    refused(&plan, &[parts[0].clone(), bad.clone(), parts[2].clone()], &bad, "line 5: region 3: its map");
}

#[test]
fn a_removed_region_is_refused_by_part_not_an_internal_error() {
    let dir = tempdir("removed");
    let (plan, parts) = planned(&dir);
    // removed, the rest left as it was: the summary's count gives it away, and so do the ids
    let mut part = lines(&parts[1]);
    part.remove(6);
    let bad = write(&dir.join("bad-gap.jsonl"), &part);
    refused(&plan, &[parts[0].clone(), bad.clone(), parts[2].clone()], &bad, "regions, the part lists");
    let mut fixed_count = part.clone();
    let n = fixed_count.len() - 1;
    fixed_count[n]["summary"]["regions"] = (n - 1).into();
    let bad = write(&dir.join("bad-ids.jsonl"), &fixed_count);
    refused(&plan, &[parts[0].clone(), bad.clone(), parts[2].clone()], &bad, "its id is");
    // removed with the ids and the summary made to fit: the graph finds the region missing
    let bad = write(&dir.join("bad-removed.jsonl"), &renumbered(part));
    refused(&plan, &[parts[0].clone(), bad.clone(), parts[2].clone()], &bad, "a region is missing");
    // every region removed: each subtree of a shard holds one at least
    let part = lines(&parts[2]);
    let empty = vec![part[0].clone(), part.last().unwrap().clone()];
    let bad = write(&dir.join("bad-empty.jsonl"), &renumbered(empty));
    refused(
        &plan,
        &[parts[0].clone(), parts[1].clone(), bad.clone()],
        &bad,
        "each holding at least one region",
    );
}

#[test]
fn duplicated_reordered_and_edited_regions_are_refused() {
    let dir = tempdir("edited");
    let (plan, parts) = planned(&dir);
    let with = |name: &str, edit: &dyn Fn(&mut Vec<Value>)| -> PathBuf {
        let mut part = lines(&parts[0]);
        edit(&mut part);
        write(&dir.join(name), &renumbered(part))
    };
    type Edit<'a> = &'a dyn Fn(&mut Vec<Value>);
    let cases: [(&str, Edit, &str); 8] = [
        ("dup.jsonl", &|p| p.insert(3, p[3].clone()), "has the same pattern as"),
        ("swap.jsonl", &|p| p.swap(3, 4), "comes before, in the enumeration's order"),
        ("facet.jsonl", &|p| drop(p[3]["inequalities"].as_array_mut().unwrap().remove(0)), "lacks its facet"),
        (
            "facet-point.jsonl",
            &|p| p[3]["inequalities"][0]["facet_point"] = p[3]["point"].clone(),
            "facet point",
        ),
        (
            "point.jsonl",
            &|p| p[3]["point"] = p[3]["inequalities"][0]["facet_point"].clone(),
            "not strictly inside",
        ),
        ("bounded.jsonl", &|p| p[3]["bounded"] = false.into(), "it says bounded: false"),
        (
            "neuron.jsonl",
            &|p| p[3]["inequalities"][0]["neurons"][0]["index"] = 99.into(),
            "no hidden neuron 99",
        ),
        ("dimension.jsonl", &|p| p[3]["point"] = serde_json::json!(["0"]), "1 coordinates"),
    ];
    for (name, edit, what) in cases {
        let bad = with(name, edit);
        refused(&plan, &[bad.clone(), parts[1].clone(), parts[2].clone()], &bad, what);
    }
    // a summary that disagrees with the regions, a region after the summary, and a header
    // naming other items
    let mut part = lines(&parts[0]);
    let n = part.len() - 1;
    part[n]["summary"]["bounded"] = 1.into();
    let bad = write(&dir.join("summary.jsonl"), &part);
    refused(
        &plan,
        &[bad.clone(), parts[1].clone(), parts[2].clone()],
        &bad,
        "bounded regions, the part lists",
    );
    let mut part = lines(&parts[0]);
    part.push(part[1].clone());
    let bad = write(&dir.join("after.jsonl"), &part);
    refused(&plan, &[bad.clone(), parts[1].clone(), parts[2].clone()], &bad, "a line after the summary");
    let mut part = lines(&parts[0]);
    part[0]["part"]["items"] = serde_json::json!([0, 1]);
    let bad = write(&dir.join("items.jsonl"), &part);
    refused(&plan, &[bad.clone(), parts[1].clone(), parts[2].clone()], &bad, "enumerates items [0, 1]");
}

#[test]
fn a_region_moved_to_the_next_part_in_order_merges_to_the_same_answer() {
    // which part lists a region is informational: the order, the counts and the graph are
    // what is verified, and they hold
    let dir = tempdir("moved");
    let (plan, parts) = planned(&dir);
    let (mut first, mut second) = (lines(&parts[0]), lines(&parts[1]));
    let moved = first.remove(first.len() - 2);
    second.insert(1, moved);
    let a = write(&dir.join("moved-0.jsonl"), &renumbered(first));
    let b = write(&dir.join("moved-1.jsonl"), &renumbered(second));
    let merged = |parts: &[&Path]| {
        let mut args = vec!["merge", s(&plan)];
        args.extend(parts.iter().map(|p| s(p)));
        args.extend(["--output", "graph"]);
        let out = run_cli(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    assert!(merged(&[&a, &b, &parts[2]]) == merged(&[&parts[0], &parts[1], &parts[2]]));
}

/// Parts of a random network's plan, in memory.
fn parts_of(net: &Network, shards: usize) -> (Plan, String, Vec<Vec<Value>>) {
    let provenance = Provenance::new(b"random", InputFormat::Json, Coords::Raw, net.domain());
    let plan = Plan::new(net, &Enumerator::builder().build(), provenance, shards, 2, 1).unwrap();
    let sha = plan_hash(serde_json::to_string(&plan).unwrap().as_bytes());
    let parts = (0..shards)
        .map(|i| {
            let mut bytes = Vec::new();
            run_shard(&plan, &sha, i, Enumerator::builder().build(), false, &mut bytes).unwrap();
            String::from_utf8(bytes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
        })
        .collect();
    (plan, sha, parts)
}

fn merged(plan: &Plan, sha: &str, parts: &[Vec<Value>]) -> Result<(), ShardError> {
    let readers: Vec<(String, Box<dyn std::io::BufRead>)> = parts
        .iter()
        .enumerate()
        .map(|(i, lines)| {
            let text: String = lines.iter().map(|v| format!("{v}\n")).collect();
            (
                format!("part-{i}.jsonl"),
                Box::new(std::io::Cursor::new(text.into_bytes())) as Box<dyn std::io::BufRead>,
            )
        })
        .collect();
    merge(plan, sha, readers, true, 1).map(|_| ())
}

/// Applies tampering `kind` to region `j` of `part` (lines: header, regions, summary); `false`
/// when it does not apply there.
fn tamper(part: &mut Vec<Value>, j: usize, kind: usize) -> bool {
    let n = part.len() - 2;
    let r = j + 1;
    // an inner inequality: one naming neurons and no domain row (a neuron tight on a box face
    // is named on that face too, and a facet on the domain's boundary is not one the graph
    // sees from a second side)
    let inner = |v: &Value| {
        let inequalities = v["inequalities"].as_array().unwrap();
        inequalities.iter().position(|i| i.get("neurons").is_some() && i.get("domain_rows").is_none())
    };
    match kind {
        0 => {
            let offset =
                relu_regions::exact::num::parse_rational(part[r]["offset"][0].as_str().unwrap()).unwrap();
            part[r]["offset"][0] = relu_regions::exact::num::fmt_q(&(offset + q(1))).into();
        }
        1 => drop(part.remove(r)),
        2 => part.insert(r, part[r].clone()),
        3 if j + 1 < n => part.swap(r, r + 1),
        4 => match inner(&part[r]) {
            Some(k) => drop(part[r]["inequalities"].as_array_mut().unwrap().remove(k)),
            None => return false,
        },
        5 => match part[r]["inequalities"].as_array().unwrap().first() {
            Some(i) => part[r]["point"] = i["facet_point"].clone(),
            None => return false,
        },
        6 => part[r]["bounded"] = (part[r]["bounded"] != true).into(),
        7 => {
            let first = part[r]["pattern"][0].as_str().unwrap().to_string();
            let flipped: String = first
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i == 0 {
                        if c == '0' {
                            '1'
                        } else {
                            '0'
                        }
                    } else {
                        c
                    }
                })
                .collect();
            part[r]["pattern"][0] = flipped.into();
        }
        _ => return false,
    }
    *part = renumbered(std::mem::take(part));
    true
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Random networks, shards and tamperings: the merge of the honest parts is accepted, and of
    /// the tampered ones refused by the tampered part's name (or, for a region left out, the
    /// parts it may belong to), never with an internal error.
    #[test]
    fn random_tamperings_are_refused_by_name(
        seed in 0u64..10_000, shards in 1usize..4, whole in any::<bool>(), kind in 0usize..8, pick in 0usize..1000
    ) {
        let mut rng = Rng::new(seed);
        let domain = if whole { Domain::Whole } else { Domain::Box(vec![(q(-2), q(2)), (q(-2), q(2))]) };
        let net = random_net(&mut rng, 2, &[4, 3], domain);
        let (plan, sha, mut parts) = parts_of(&net, shards);
        prop_assert!(merged(&plan, &sha, &parts).is_ok());
        let candidates: Vec<usize> = (0..shards).filter(|&i| parts[i].len() > 2).collect();
        prop_assume!(!candidates.is_empty());
        let t = candidates[pick % candidates.len()];
        let j = (pick / 7) % (parts[t].len() - 2);
        prop_assume!(tamper(&mut parts[t], j, kind));
        let err = merged(&plan, &sha, &parts).expect_err("a tampered part must be refused");
        prop_assert!(!matches!(err, ShardError::Internal(_)), "{}", err);
        let message = err.to_string();
        prop_assert!(message.contains(&format!("part-{t}.jsonl")), "kind {}: {}", kind, message);
    }
}
