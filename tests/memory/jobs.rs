//! The `regions --json`, `graph` and `faces` jobs in fresh processes against `count` with the
//! graph: within twice its peak.

use crate::{peak_of, ONE_AT_A_TIME};

/// The whole `regions --json` job (enumeration, facets, pieces, the document) against `count`
/// with the graph on the same network, each in a fresh process: the job's peak stays within
/// twice count's plus `per_region`, where holding the analysis took at least the document.
fn check_regions_job(planes: usize, per_region: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((counted, _, count)) = peak_of("count", planes) else {
        eprintln!("no VmHWM here: the peak is not measured");
        return;
    };
    let n = planes;
    assert_eq!(counted, 1 + n + n * (n - 1) / 2 + n * (n - 1) * (n - 2) / 6, "general position");
    let (listed, bytes, streamed) = peak_of("regions", planes).unwrap();
    let (_, held_bytes, held) = peak_of("held", planes).unwrap();
    eprintln!(
        "{counted} regions: count {count} bytes, regions --json {streamed} streamed, {held} holding the analysis, a document of {bytes} bytes"
    );
    assert_eq!((listed, bytes), (counted, held_bytes), "the streamed document is the whole one's size");
    assert!(streamed <= 2 * count + per_region, "regions --json held {streamed} bytes, count {count}");
    assert!(held >= bytes, "the whole document ({bytes} bytes) was held");
}

/// `regions --json` at the memory of `count`: 7,807 regions (a 21 MB document), run by default.
#[test]
fn regions_json_job_at_counting_memory() {
    check_regions_job(36, 256 * 1024);
}

/// `regions --json` at the memory of `count`: 47,972 regions (a 134 MB document; about a minute
/// in a release build): `cargo test --release --test memory -- --ignored`.
#[test]
#[ignore]
fn regions_json_job_at_counting_memory_on_48k_regions() {
    check_regions_job(66, 256 * 1024);
}

/// The whole `graph` job (`--format json` or `dot`: enumeration, facets, pieces, the nodes and
/// the sorted edges) against `count` with the graph on the same network, each in a fresh
/// process: the job's peak stays within twice count's plus `per_region`, where the writer that
/// held the analysis took more than that (the bound bites).
fn check_graph_job(planes: usize, per_region: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((counted, _, count)) = peak_of("count", planes) else {
        eprintln!("no VmHWM here: the peak is not measured");
        return;
    };
    for form in ["graph_json", "graph_dot"] {
        let (listed, bytes, streamed) = peak_of(form, planes).unwrap();
        let (_, held_bytes, held) = peak_of(&format!("{form}_held"), planes).unwrap();
        eprintln!(
            "{counted} regions: count {count} bytes, {form} {streamed} streamed, {held} holding the analysis, {bytes} bytes written"
        );
        assert_eq!(
            (listed, bytes),
            (counted, held_bytes),
            "{form}: the streamed graph is the held one's size"
        );
        assert!(streamed <= 2 * count + per_region, "{form} held {streamed} bytes, count {count}");
        assert!(
            held > 2 * count + per_region,
            "{form}: holding the analysis took {held} bytes, count {count}"
        );
    }
}

/// `graph --format json|dot` at the memory of `count`: 7,807 regions, run by default.
#[test]
fn graph_job_at_counting_memory() {
    check_graph_job(36, 256 * 1024);
}

/// `graph --format json|dot` at the memory of `count`: 47,972 regions (a few minutes in a
/// release build): `cargo test --release --test memory -- --ignored`.
#[test]
#[ignore]
fn graph_job_at_counting_memory_on_48k_regions() {
    check_graph_job(66, 256 * 1024);
}

/// The whole `faces --jsonl` job (enumeration, the walk of every region's faces, the sort by
/// dimension and sign vector, the identities, the lines) against `count` with the graph on the
/// same network, each in a fresh process: the job's peak stays within twice count's plus
/// `allowance`, where the complex held (the writer before issue 35 point 3) took more.
fn check_faces_job(planes: usize, allowance: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((counted, _, count)) = peak_of("count", planes) else {
        eprintln!("no VmHWM here: the peak is not measured");
        return;
    };
    let (faces, bytes, streamed) = peak_of("faces", planes).unwrap();
    let (held_faces, held_bytes, held) = peak_of("faces_held", planes).unwrap();
    eprintln!(
        "{counted} regions, {faces} faces: count {count} bytes, faces --jsonl {streamed} compact, {held} holding the complex, {bytes} bytes written"
    );
    assert_eq!((faces, bytes), (held_faces, held_bytes), "the same faces, the same bytes");
    assert!(faces > 4 * counted, "every face, not only the regions");
    assert!(streamed <= 2 * count + allowance, "faces held {streamed} bytes, count {count}");
    assert!(held > 2 * count + allowance, "holding the complex took {held} bytes, count {count}");
}

/// `faces --jsonl` at the memory of `count`: 7,807 regions, run by default.
#[test]
fn faces_job_at_counting_memory() {
    check_faces_job(36, 256 * 1024);
}

/// `faces --jsonl` at the memory of `count`: 47,972 regions (a few minutes in a release build):
/// `cargo test --release --test memory -- --ignored`.
#[test]
#[ignore]
fn faces_job_at_counting_memory_on_48k_regions() {
    check_faces_job(66, 256 * 1024);
}
