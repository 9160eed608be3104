//! Peak memory of the writers that write as they go (`regions --json`, `graph --format json`,
//! `graph --format dot`, `faces --jsonl`), measured by the kernel's high-water mark of the test process (reset
//! before each writer): once the analysis is held, writing its whole answer may hold about one
//! region's worth at a time, never the document. The whole-document writers are measured beside
//! them, so the bound is seen to bite. The whole jobs (`regions --json`, `graph`, `check`) are
//! measured in fresh processes against `count` with the graph: within twice its peak.
//!
//! A test binary of its own: the mark is the whole process's, so its tests run one at a time (a
//! lock) and nothing else runs in it. Its modules: `writers` (the writers above a held
//! analysis), `jobs` (the `regions`, `graph` and `faces` jobs), `check` (the `check` job on the
//! document, compact or pretty, and the stream), `merge` (the streamed merges).

mod check;
mod jobs;
mod merge;
mod writers;

use relu_regions::check::{check_answer, stream::check_reader, CheckOptions};
use relu_regions::export::{dot, json, stream};
use relu_regions::{analyze, Enumerator, Network};
use std::io::Write;
use std::sync::Mutex;

/// One measurement at a time.
pub(crate) static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A field of /proc/self/status, in bytes.
pub(crate) fn status(field: &str) -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: usize = line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

/// The most resident bytes above those resident before `f`, while it ran: the kernel's
/// high-water mark (`VmHWM`), reset first (`/proc/self/clear_refs`, Linux). `None` where that
/// cannot be read.
pub(crate) fn peak_above(f: impl FnOnce()) -> Option<usize> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    let base = status("VmRSS:")?;
    f();
    Some(status("VmHWM:")?.saturating_sub(base))
}

/// A writer that only counts bytes (it allocates nothing).
#[derive(Default)]
pub(crate) struct Bytes(pub(crate) usize);

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
pub(crate) fn arrangement(n: usize) -> Network {
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

/// The environment variable that makes [`job_in_a_child`] run one job: `JOB:PLANES`.
const CHILD_JOB: &str = "RELU_REGIONS_MEMORY_JOB";

/// The answer file the `check` jobs read.
pub(crate) const CHILD_ANSWER: &str = "RELU_REGIONS_MEMORY_ANSWER";

/// One job on the arrangement of `planes` planes (or, the job's name ending in `_wide`, on
/// [`check::wide`] with `planes` inputs; ending in `_acas`, on [`jobs::acas_box`]), on one thread
/// (or, the name followed by `@N`, on `N`): `count` (with the graph),
/// `regions` (the `regions --json` job into a byte counter) or `held` (the analysis and its whole
/// document); its regions, and the document's bytes.
fn run_job(job: &str, planes: usize) -> (usize, usize) {
    let (job, threads) = job.split_once('@').map_or((job, 1), |(job, n)| (job, n.parse().unwrap()));
    let (job, net) = if let Some(job) = job.strip_suffix("_wide") {
        (job, check::wide(planes))
    } else if let Some(job) = job.strip_suffix("_acas") {
        (job, jobs::acas_box())
    } else {
        (job, arrangement(planes))
    };
    let e = Enumerator::builder().threads(threads).build();
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
            merge::run_merge(job, &std::env::var(CHILD_ANSWER).unwrap())
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
pub(crate) fn peak_of(job: &str, planes: usize) -> Option<(usize, usize, usize)> {
    peak_of_on(job, planes, None)
}

/// [`peak_of`], the `check` jobs reading `answer`.
pub(crate) fn peak_of_on(
    job: &str,
    planes: usize,
    answer: Option<&std::path::Path>,
) -> Option<(usize, usize, usize)> {
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
