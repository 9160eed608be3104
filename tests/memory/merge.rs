//! Peak memory of `merge --output regions|graph` (issue 35 point 3): the merge of a plan's parts,
//! written as it goes, against `count` with the graph on the same network, each in a fresh
//! process; the merge that held the merged analysis is measured beside it, so the bound is seen
//! to bite.

use super::{arrangement, peak_of, status, Bytes, ONE_AT_A_TIME};
use relu_regions::export::{json, stream};
use relu_regions::Enumerator;
use std::io::Write;

/// The environment variable that makes [`merge_job_in_a_child`] run one merge: `JOB:DIR`, the
/// directory holding `plan.json` and the parts `part-*.jsonl`.
const CHILD_MERGE: &str = "RELU_REGIONS_MEMORY_MERGE";

/// Plans `shards` shards of the arrangement of `planes` planes and runs them (one thread) into
/// `dir`: the plan and its parts, as `shard plan` and `shard run` write them.
fn write_plan_and_parts(planes: usize, shards: usize, dir: &std::path::Path) {
    use relu_regions::jobs::shard::{plan_hash, run_shard, Plan};
    let net = arrangement(planes);
    let e = Enumerator::builder().threads(1).build();
    let provenance = relu_regions::export::provenance::Provenance::new(
        b"arrangement",
        relu_regions::network::InputFormat::Json,
        relu_regions::network::nnet::Coords::Raw,
        net.domain(),
    );
    let plan = Plan::new(&net, &e, provenance, shards, 16, 4).unwrap();
    let text = json::to_json(&plan);
    std::fs::write(dir.join("plan.json"), &text).unwrap();
    let sha = plan_hash(text.as_bytes());
    for i in 0..shards {
        let mut file =
            std::io::BufWriter::new(std::fs::File::create(dir.join(format!("part-{i}.jsonl"))).unwrap());
        run_shard(&plan, &sha, i, Enumerator::builder().threads(1).build(), false, &mut file).unwrap();
        file.flush().unwrap();
    }
}

/// One merge of the plan and parts in `dir`, one thread, into a byte counter: `regions` and
/// `graph_json` (the merge that writes as it goes) or `held` (the whole merged analysis, held,
/// then its regions and graph documents written: the merge before issue 35 point 3); its regions (the held
/// one's) and bytes (the held one writes both documents).
fn run_merge(job: &str, dir: &std::path::Path) -> (usize, usize) {
    use relu_regions::jobs::shard::{merge, merge_to_writer, plan_hash, MergeOutput, Merged, Plan};
    let text = std::fs::read_to_string(dir.join("plan.json")).unwrap();
    let plan = Plan::read(&text, "plan.json").unwrap();
    let sha = plan_hash(text.as_bytes());
    let parts: Vec<(String, Box<dyn std::io::BufRead>)> = (0..plan.shards.len())
        .map(|i| {
            let path = dir.join(format!("part-{i}.jsonl"));
            let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
            (path.display().to_string(), Box::new(file) as Box<dyn std::io::BufRead>)
        })
        .collect();
    let mut bytes = Bytes::default();
    let output = match job {
        "regions" => MergeOutput::Regions,
        "graph_json" => MergeOutput::GraphJson,
        "held" => {
            let Merged::Analysis(a) = merge(&plan, &sha, parts, true, 1).unwrap() else { panic!("regions") };
            let net = plan.network("plan.json").unwrap();
            stream::write_regions_json(&mut bytes, &net, &a, Some(&plan.provenance), None).unwrap();
            stream::write_graph_json(&mut bytes, a.regions(), a.graph(), true, Some(&plan.provenance))
                .unwrap();
            return (a.regions().len(), bytes.0);
        }
        other => panic!("no merge {other}"),
    };
    merge_to_writer(&plan, &sha, parts, output, 1, &mut bytes).unwrap().unwrap();
    (0, bytes.0)
}

/// Not a test of its own: run by [`merge_peak_of`] in a fresh process (this binary), it runs
/// the merge that [`CHILD_MERGE`] names and prints `PEAK regions bytes high-water-mark`.
#[test]
fn merge_job_in_a_child() {
    let Ok(spec) = std::env::var(CHILD_MERGE) else { return };
    let (job, dir) = spec.split_once(':').unwrap();
    let (regions, bytes) = run_merge(job, std::path::Path::new(dir));
    println!("PEAK {regions} {bytes} {}", status("VmHWM:").unwrap_or(0));
}

/// The peak resident bytes of a fresh process that ran one merge of the parts in `dir`, with
/// its regions and bytes written.
fn merge_peak_of(job: &str, dir: &std::path::Path) -> (usize, usize, usize) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "merge::merge_job_in_a_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_MERGE, format!("{job}:{}", dir.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{job}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find_map(|l| l.split_once("PEAK ").map(|(_, rest)| rest)).unwrap();
    let v: Vec<usize> = line.split(' ').map(|w| w.parse().unwrap()).collect();
    (v[0], v[1], v[2])
}

/// `merge --output regions|graph` of `shards` parts against `count` with the graph on the same
/// network, each in a fresh process: the merge's peak stays within twice count's plus
/// `allowance`, writing the bytes of one machine's document, where the merge that held the
/// analysis took more than that (the bound bites).
fn check_merge_job(planes: usize, shards: usize, allowance: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((counted, _, count)) = peak_of("count", planes) else {
        eprintln!("no VmHWM here: the peak is not measured");
        return;
    };
    let dir = std::env::temp_dir()
        .join(format!("relu-regions-memory-merge-{}-{planes}-{shards}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write_plan_and_parts(planes, shards, &dir);
    let (_, regions_bytes, regions_peak) = merge_peak_of("regions", &dir);
    let (_, graph_bytes, graph_peak) = merge_peak_of("graph_json", &dir);
    let (held_regions, held_bytes, held) = merge_peak_of("held", &dir);
    std::fs::remove_dir_all(&dir).unwrap();
    eprintln!(
        "{counted} regions in {shards} parts: count {count} bytes, merge --output regions {regions_peak}, --output graph {graph_peak}, holding the analysis {held}"
    );
    assert_eq!(held_regions, counted, "every region merged");
    // the bytes themselves are one machine's (tests/jobs/shards.rs): the sizes agree here
    assert_eq!(regions_bytes + graph_bytes, held_bytes, "the streamed documents are the held ones' size");
    assert!(
        regions_peak <= 2 * count + allowance,
        "merge --output regions held {regions_peak} bytes, count {count}"
    );
    assert!(
        graph_peak <= 2 * count + allowance,
        "merge --output graph held {graph_peak} bytes, count {count}"
    );
    assert!(held > 2 * count + allowance, "the held merge took {held} bytes, count {count}");
}

/// `merge --output regions|graph` of 2 parts at the memory of `count`: 7,807 regions, run by
/// default.
#[test]
fn merge_job_at_counting_memory() {
    check_merge_job(36, 2, 256 * 1024);
}

/// `merge --output regions|graph` of 4 parts at the memory of `count`: 47,972 regions (a few
/// minutes in a release build): `cargo test --release --test memory -- --ignored`.
#[test]
#[ignore]
fn merge_job_at_counting_memory_on_48k_regions() {
    check_merge_job(66, 4, 256 * 1024);
}
