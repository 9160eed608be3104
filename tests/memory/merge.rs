//! The streamed merges (`merge --output regions|graph`) in fresh processes against `count`
//! with the graph, and the merge that holds the analysis above that.

use crate::{arrangement, peak_of, peak_of_on, Bytes, ONE_AT_A_TIME};
use relu_regions::export::{json, stream};
use relu_regions::Enumerator;

/// Writes a plan of `shards` shards of the arrangement and its parts (one thread) into `dir`.
fn write_plan_and_parts(planes: usize, shards: usize, dir: &std::path::Path) {
    use relu_regions::{export::provenance::Provenance, jobs::shard, network::nnet::Coords};
    let (net, e) = (arrangement(planes), Enumerator::builder().threads(1).build());
    let provenance = Provenance::new(b"", relu_regions::InputFormat::Json, Coords::Raw, net.domain());
    let text = json::to_json(&shard::Plan::new(&net, &e, provenance, shards, 16, 4).unwrap());
    std::fs::write(dir.join("plan.json"), &text).unwrap();
    let plan = shard::Plan::read(&text, "plan").unwrap();
    for i in 0..shards {
        let mut part = std::fs::File::create(dir.join(format!("part-{i}.jsonl"))).unwrap();
        shard::run_shard(&plan, &shard::plan_hash(text.as_bytes()), i, e.clone(), false, &mut part).unwrap();
    }
}

/// `merge --output regions` or `graph` of the parts in `dir` into a byte counter, or the merge that
/// holds the analysis and writes both documents (before issue 35 point 3); regions and bytes.
pub(crate) fn run_merge(job: &str, dir: &str) -> (usize, usize) {
    use relu_regions::jobs::shard::{self, MergeOutput, Merged};
    let dir = std::path::Path::new(dir);
    let text = std::fs::read_to_string(dir.join("plan.json")).unwrap();
    let (plan, sha) = (shard::Plan::read(&text, "plan").unwrap(), shard::plan_hash(text.as_bytes()));
    let parts = (0..plan.shards.len())
        .map(|i| {
            let file = std::fs::File::open(dir.join(format!("part-{i}.jsonl"))).unwrap();
            (format!("part-{i}"), Box::new(std::io::BufReader::new(file)) as Box<dyn std::io::BufRead>)
        })
        .collect();
    let mut bytes = Bytes::default();
    if job == "merge_held" {
        let Merged::Analysis(a) = shard::merge(&plan, &sha, parts, true, 1).unwrap() else { panic!() };
        let (net, p) = (plan.network("plan").unwrap(), Some(&plan.provenance));
        stream::write_regions_json(&mut bytes, &net, &a, p, None).unwrap();
        stream::write_graph_json(&mut bytes, a.regions(), a.graph(), true, p).unwrap();
        return (a.regions().len(), bytes.0);
    }
    let output = if job == "merge_regions" { MergeOutput::Regions } else { MergeOutput::GraphJson };
    shard::merge_to_writer(&plan, &sha, parts, output, 1, &mut bytes).unwrap().unwrap();
    (0, bytes.0)
}

/// `merge --output regions|graph` of `shards` parts (issue 35 point 3) against `count` with the
/// graph, each in a fresh process: each merge's peak within twice count's plus `allowance`, the
/// held merge's above (the bound bites), the same bytes (one machine's: tests/jobs/merge_streams).
fn check_merge_job(planes: usize, shards: usize, allowance: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((counted, _, count)) = peak_of("count", planes) else { return };
    let dir = std::env::temp_dir().join(format!("relu-regions-memory-merge-{}-{planes}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write_plan_and_parts(planes, shards, &dir);
    let peak = |job| peak_of_on(job, planes, Some(&dir)).unwrap();
    let [(_, regions_bytes, regions), (_, graph_bytes, graph), (merged, held_bytes, held)] =
        ["merge_regions", "merge_graph", "merge_held"].map(peak);
    std::fs::remove_dir_all(&dir).unwrap();
    eprintln!("{counted} regions, {shards} parts: count {count} bytes, merge --output regions {regions}, graph {graph}, held {held}");
    assert_eq!((merged, regions_bytes + graph_bytes), (counted, held_bytes), "the same regions and bytes");
    assert!(regions.max(graph) <= 2 * count + allowance, "merges of {regions}, {graph} bytes, count {count}");
    assert!(held > 2 * count + allowance, "the held merge took {held} bytes, count {count}");
}

/// `merge --output regions|graph` of 2 parts at the memory of `count`: 7,807 regions, by default.
#[test]
fn merge_job_at_counting_memory() {
    check_merge_job(36, 2, 256 * 1024);
}

/// The same, 4 parts of 47,972 regions: `cargo test --release --test memory merge -- --ignored`.
#[test]
#[ignore]
fn merge_job_at_counting_memory_on_48k_regions() {
    check_merge_job(66, 4, 256 * 1024);
}
