//! Peak memory of the writers that write as they go (`regions --json`, `graph --format json`,
//! `graph --format dot`, `faces --jsonl`), measured by the kernel's high-water mark of the test process (reset
//! before each writer): once the analysis is held, writing its whole answer may hold about one
//! region's worth at a time, never the document. The whole-document writers are measured beside
//! them, so the bound is seen to bite. The whole jobs (`regions --json`, `graph`, `check`) are
//! measured in fresh processes against `count` with the graph: within twice its peak.
//!
//! A test binary of its own: the mark is the whole process's, so its tests run one at a time (a
//! lock) and nothing else runs in it.

use relu_regions::check::{check_answer, stream::check_reader, CheckOptions};
use relu_regions::export::{dot, json, stream};
use relu_regions::{analyze, Analysis, Enumerator, Network};
use std::io::Write;
use std::sync::Mutex;

/// One measurement at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A field of /proc/self/status, in bytes.
fn status(field: &str) -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: usize = line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

/// The most resident bytes above those resident before `f`, while it ran: the kernel's
/// high-water mark (`VmHWM`), reset first (`/proc/self/clear_refs`, Linux). `None` where that
/// cannot be read.
fn peak_above(f: impl FnOnce()) -> Option<usize> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    let base = status("VmRSS:")?;
    f();
    Some(status("VmHWM:")?.saturating_sub(base))
}

/// A writer that only counts bytes (it allocates nothing).
#[derive(Default)]
struct Bytes(usize);

impl Write for Bytes {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `n` relu neurons in general position in R^3 (integer coefficients from a fixed LCG): the
/// arrangement has `1 + n + C(n,2) + C(n,3)` regions.
fn arrangement(n: usize) -> Network {
    let mut seed: u64 = 12345;
    let mut draw = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) % 2001) as i64 - 1000
    };
    let rows: Vec<String> =
        (0..n).map(|_| format!("[\"{}\", \"{}\", \"{}\"]", draw(), draw(), draw())).collect();
    let bias: Vec<String> = (0..n).map(|_| format!("\"{}\"", draw())).collect();
    let out: Vec<String> = (1..=n).map(|k| format!("\"{k}\"")).collect();
    Network::from_json(&format!(
        r#"{{"input_dim": 3, "layers": [
            {{"weights": [{}], "bias": [{}], "activation": "relu"}},
            {{"weights": [[{}]], "activation": "linear"}}]}}"#,
        rows.join(", "),
        bias.join(", "),
        out.join(", ")
    ))
    .unwrap()
}

/// What writing `a` costs above the analysis: (writer, streamed, whole document, document
/// bytes), `None` where the high-water mark cannot be read.
fn measure(net: &Network, a: &Analysis) -> Option<Vec<(&'static str, usize, usize, usize)>> {
    let mut rows = Vec::new();
    let mut bytes = Bytes::default();
    let streamed = peak_above(|| stream::write_regions_json(&mut bytes, net, a, None, None).unwrap())?;
    let whole = peak_above(|| {
        let text = json::to_json(&json::regions_document(net, a, None));
        std::hint::black_box(&text);
    })?;
    rows.push(("regions --json", streamed, whole, bytes.0));
    let mut bytes = Bytes::default();
    let streamed =
        peak_above(|| stream::write_graph_json(&mut bytes, a.regions(), a.graph(), true, None).unwrap())?;
    let whole = peak_above(|| {
        std::hint::black_box(json::graph_json(a.regions(), a.graph(), true, None));
    })?;
    rows.push(("graph --format json", streamed, whole, bytes.0));
    let mut bytes = Bytes::default();
    let streamed = peak_above(|| dot::write_graph_dot(&mut bytes, a.regions(), a.graph(), false).unwrap())?;
    let whole = peak_above(|| {
        std::hint::black_box(dot::graph_dot(a.regions(), a.graph(), false));
    })?;
    rows.push(("graph --format dot", streamed, whole, bytes.0));
    Some(rows)
}

/// The writers hold at most `per_region` bytes plus the sorted edge list above the analysis
/// (with 4 MB for pages and the allocator's slack), where the whole regions document held at
/// least its text.
fn check_streams(planes: usize, per_region: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let net = arrangement(planes);
    let a = analyze(&net, &Enumerator::builder().threads(1).build()).unwrap();
    let n = planes;
    assert_eq!(a.regions().len(), 1 + n + n * (n - 1) / 2 + n * (n - 1) * (n - 2) / 6, "general position");
    // the sorted edge list (three words an edge) is the one thing held for the whole graph
    let edges = a.graph().graph().edge_count() * 3 * std::mem::size_of::<usize>();
    let Some(rows) = measure(&net, &a) else {
        eprintln!("no /proc/self/clear_refs here: the peak is not measured");
        return;
    };
    for (what, streamed, whole, bytes) in rows {
        eprintln!("{what}: {streamed} bytes streamed, {whole} whole, a document of {bytes} bytes");
        assert!(
            streamed <= per_region + edges + (4 << 20),
            "{what}: {streamed} bytes held while writing {bytes}"
        );
        // measured first, before freed pages the allocator keeps can serve a later writer
        if what == "regions --json" {
            assert!(whole >= bytes, "{what}: the whole document ({bytes} bytes) was held");
        }
    }
}

/// The CI-fast variant: 1,794 regions (a regions document of a few MB).
#[test]
fn writers_hold_one_region_at_a_time() {
    check_streams(22, 256 * 1024);
}

/// The CI-fast variant at scale: 7,807 regions (a regions document of about 20 MB; a few
/// seconds in a release build), run by default.
#[test]
fn writers_hold_one_region_at_a_time_on_8k_regions() {
    check_streams(36, 256 * 1024);
}

/// 47,972 regions (about a minute in a release build): `cargo test --release --test memory --
/// --ignored`.
#[test]
#[ignore]
fn writers_hold_one_region_at_a_time_on_48k_regions() {
    check_streams(66, 256 * 1024);
}

/// The environment variable that makes [`job_in_a_child`] run one job: `JOB:PLANES`.
const CHILD_JOB: &str = "RELU_REGIONS_MEMORY_JOB";

/// The answer file the `check` jobs read.
const CHILD_ANSWER: &str = "RELU_REGIONS_MEMORY_ANSWER";

/// One job on the arrangement of `planes` planes, one thread: `count` (with the graph),
/// `regions` (the `regions --json` job into a byte counter) or `held` (the analysis and its whole
/// document); its regions, and the document's bytes.
fn run_job(job: &str, planes: usize) -> (usize, usize) {
    let net = arrangement(planes);
    let e = Enumerator::builder().threads(1).build();
    match job {
        "count" => (relu_regions::analysis::graph_counts::count_graph(&net, &e).unwrap().regions, 0),
        "regions" => {
            let stop = relu_regions::jobs::StopToken::new(None, None);
            let mut bytes = Bytes::default();
            let (summary, written) =
                relu_regions::jobs::write_regions_json(&net, &e, None, None, &stop, &mut bytes).unwrap();
            assert!(summary.complete() && written.is_ok());
            (summary.regions(), bytes.0)
        }
        // the `graph` job (JSON or DOT) into a byte counter
        "graph_json" | "graph_dot" => {
            let form = if job == "graph_json" {
                relu_regions::jobs::GraphForm::Json
            } else {
                relu_regions::jobs::GraphForm::Dot { exact_labels: false }
            };
            let mut bytes = Bytes::default();
            let (summary, written) =
                relu_regions::jobs::write_graph(&net, &e, form, None, &mut bytes).unwrap();
            assert!(summary.complete() && written.is_ok());
            (summary.regions(), bytes.0)
        }
        // the analysis held and its graph written whole (the writer before issue 35 point 3)
        "graph_json_held" | "graph_dot_held" => {
            let a = analyze(&net, &e).unwrap();
            let mut bytes = Bytes::default();
            if job == "graph_json_held" {
                stream::write_graph_json(&mut bytes, a.regions(), a.graph(), true, None).unwrap();
            } else {
                dot::write_graph_dot(&mut bytes, a.regions(), a.graph(), false).unwrap();
            }
            (a.regions().len(), bytes.0)
        }
        // `faces --jsonl`: the compact complex, or the complex held (the writer before issue 35
        // point 3), its lines into a byte counter; the regions are the faces here
        "faces" => {
            let mut job =
                relu_regions::jobs::faces_spilled(&net, &e, relu_regions::jobs::Listed::All).unwrap();
            let mut bytes = Bytes::default();
            job.write_lines(None, &mut bytes).unwrap();
            (job.complex().len(), bytes.0)
        }
        "faces_held" => {
            let job = relu_regions::jobs::faces(&net, &e).unwrap();
            let mut bytes = Bytes::default();
            job.write_lines(relu_regions::jobs::Listed::All, None, &mut bytes).unwrap();
            (job.complex().faces.len(), bytes.0)
        }
        "held" => {
            let a = analyze(&net, &e).unwrap();
            let text = json::to_json(&json::regions_document(&net, &a, None));
            (a.regions().len(), std::hint::black_box(text).len())
        }
        // `check` of the answer file, read as it goes (the CLI's way), or parsed whole first
        "check" | "check_held" => {
            let path = std::env::var(CHILD_ANSWER).unwrap();
            let bytes = std::fs::metadata(&path).unwrap().len() as usize;
            let options = CheckOptions { partial: false, threads: 1 };
            let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
            let report = if job == "check" {
                check_reader(&net, file, options, &mut |_| Ok(())).unwrap().0
            } else {
                let doc: serde_json::Value = serde_json::from_reader(file).unwrap();
                check_answer(&net, &doc, None, options)
            };
            assert!(report.failures.is_empty(), "{:?}", &report.failures[..1]);
            (report.regions, bytes)
        }
        // the merge of the plan and parts in the directory CHILD_ANSWER names, one thread
        "merge_regions" | "merge_graph" | "merge_held" => {
            run_merge(job, &std::env::var(CHILD_ANSWER).unwrap())
        }
        other => panic!("no job {other}"),
    }
}

/// Not a test of its own: run by [`peak_of`] in a fresh process (this binary), it runs the job
/// that [`CHILD_JOB`] names and prints `PEAK regions bytes high-water-mark`.
#[test]
fn job_in_a_child() {
    let Ok(spec) = std::env::var(CHILD_JOB) else { return };
    let (job, planes) = spec.split_once(':').unwrap();
    let (regions, bytes) = run_job(job, planes.parse().unwrap());
    println!("PEAK {regions} {bytes} {}", status("VmHWM:").unwrap_or(0));
}

/// The peak resident bytes of a fresh process that ran one job (none kept from an earlier
/// one), with its regions and document bytes; `None` where the mark cannot be read.
fn peak_of(job: &str, planes: usize) -> Option<(usize, usize, usize)> {
    peak_of_on(job, planes, None)
}

/// [`peak_of`], the `check` jobs reading `answer`.
fn peak_of_on(job: &str, planes: usize, answer: Option<&std::path::Path>) -> Option<(usize, usize, usize)> {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", "job_in_a_child", "--nocapture", "--test-threads=1"]);
    command.env(CHILD_JOB, format!("{job}:{planes}"));
    if let Some(answer) = answer {
        command.env(CHILD_ANSWER, answer);
    }
    let out = command.output().unwrap();
    assert!(out.status.success(), "{job}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find_map(|l| l.split_once("PEAK ").map(|(_, rest)| rest))?;
    let v: Vec<usize> = line.split(' ').map(|w| w.parse().unwrap()).collect();
    (v[2] > 0).then_some((v[0], v[1], v[2]))
}

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

/// `check` of the whole `regions --json` answer (written to a file here), read as it goes,
/// against `count` with the graph, each in a fresh process: its peak stays within twice
/// count's plus `per_region`, where parsing the document whole first took at least the
/// document.
fn check_check_job(planes: usize, per_region: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((counted, _, count)) = peak_of("count", planes) else {
        eprintln!("no VmHWM here: the peak is not measured");
        return;
    };
    let path = std::env::temp_dir().join(format!("relu-regions-memory-{}-{planes}.json", std::process::id()));
    {
        let net = arrangement(planes);
        let e = Enumerator::builder().threads(1).build();
        let stop = relu_regions::jobs::StopToken::new(None, None);
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let (summary, written) =
            relu_regions::jobs::write_regions_json(&net, &e, None, None, &stop, &mut file).unwrap();
        assert!(summary.complete() && written.is_ok());
        file.flush().unwrap();
    }
    let checked = peak_of_on("check", planes, Some(&path));
    let held = peak_of_on("check_held", planes, Some(&path));
    std::fs::remove_file(&path).unwrap();
    let ((regions, bytes, streamed), (_, _, held)) = (checked.unwrap(), held.unwrap());
    eprintln!("{counted} regions: count {count} bytes, check {streamed} streamed, {held} parsing whole, an answer of {bytes} bytes");
    assert_eq!(regions, counted, "every region checked");
    assert!(streamed <= 2 * count + per_region, "check held {streamed} bytes, count {count}");
    assert!(held >= bytes, "the whole document ({bytes} bytes) was held");
}

/// `check` at the memory of `count`: 7,807 regions (a 21 MB answer), run by default.
#[test]
fn check_at_counting_memory() {
    check_check_job(36, 256 * 1024);
}

/// `check` at the memory of `count`: 47,972 regions (a 134 MB answer; about two minutes in a
/// release build): `cargo test --release --test memory -- --ignored`.
#[test]
#[ignore]
fn check_at_counting_memory_on_48k_regions() {
    check_check_job(66, 256 * 1024);
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
fn run_merge(job: &str, dir: &str) -> (usize, usize) {
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
