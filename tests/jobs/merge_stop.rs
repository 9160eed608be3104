//! Issue 35: `merge` honours `--time-limit` and Ctrl-C in every phase (reading and spilling
//! the parts, writing the output): stopped before writing it prints nothing; stopped while
//! writing it says the output was cut short after how many bytes (what was written is then not
//! a complete document); exit code 3 either way, never a merged answer that claims to be whole.

use crate::cli::fixtures::run_cli;
use crate::support::fixture;
use relu_regions::jobs::shard::{merge_to_writer, plan_hash, run_shard, MergeOutput, Plan, ShardError};
use relu_regions::jobs::StopToken;
use relu_regions::{Enumerator, Network, StopReason};
use std::io::{BufRead, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A plan of 2 shards of the fixture `name`, its hash and its parts' bytes.
fn planned(name: &str) -> (Plan, String, Vec<Vec<u8>>) {
    let net = Network::from_json(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap();
    let provenance = relu_regions::export::provenance::Provenance::new(
        b"net",
        relu_regions::InputFormat::Json,
        relu_regions::network::nnet::Coords::Raw,
        net.domain(),
    );
    let plan = Plan::new(&net, &Enumerator::builder().build(), provenance, 2, 4, 2).unwrap();
    let text = serde_json::to_string(&plan).unwrap();
    let sha = plan_hash(text.as_bytes());
    let plan = Plan::read(&text, "plan.json").unwrap();
    let parts = (0..2)
        .map(|i| {
            let mut part = Vec::new();
            run_shard(&plan, &sha, i, Enumerator::builder().build(), false, &mut part).unwrap();
            part
        })
        .collect();
    (plan, sha, parts)
}

/// A part's bytes: its first line (the header, which the merge reads first for every part) at
/// the first read, then the rest, raising `flag` as the rest is read (a Ctrl-C as the part's
/// regions are reached).
struct RaiseOnRead {
    bytes: std::io::Cursor<Vec<u8>>,
    flag: Arc<AtomicBool>,
}

impl Read for RaiseOnRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.bytes.position() == 0 {
            let header = self.bytes.get_ref().iter().position(|&b| b == b'\n').unwrap() + 1;
            let n = header.min(buf.len());
            return self.bytes.read(&mut buf[..n]);
        }
        self.flag.store(true, Ordering::Relaxed);
        self.bytes.read(buf)
    }
}

/// Collects what is written, raising `flag` after the first write (a Ctrl-C while writing).
struct RaiseOnWrite {
    bytes: Vec<u8>,
    flag: Arc<AtomicBool>,
}

impl Write for RaiseOnWrite {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.flag.store(true, Ordering::Relaxed);
        self.bytes.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const OUTPUTS: [MergeOutput; 4] =
    [MergeOutput::Count, MergeOutput::Regions, MergeOutput::GraphJson, MergeOutput::GraphDot];

/// A deadline already past: every output stops while reading the first part, nothing written.
#[test]
fn a_merge_past_its_deadline_writes_nothing() {
    let (plan, sha, parts) = planned("deep2d.json");
    for output in OUTPUTS {
        let parts = parts.iter().enumerate().map(|(i, b)| {
            (format!("part-{i}.jsonl"), Box::new(std::io::Cursor::new(b.clone())) as Box<dyn BufRead>)
        });
        let _stop = StopToken::new(Some(std::time::Instant::now()), None).install();
        let mut out = Vec::new();
        let merged = merge_to_writer(&plan, &sha, parts.collect(), output, 1, &mut out);
        match merged {
            Err(ShardError::Stopped { reason: StopReason::TimeLimit, phase, written: 0 }) => {
                assert!(phase.contains("part-0.jsonl"), "{phase}")
            }
            other => panic!("{output:?}: {other:?}"),
        }
        assert!(out.is_empty());
    }
}

/// Ctrl-C as the second part is reached: stopped while reading it (its file and line named),
/// nothing written; the message says so.
#[test]
fn a_merge_cancelled_while_reading_writes_nothing() {
    let (plan, sha, parts) = planned("deep2d.json");
    for output in OUTPUTS {
        let flag = Arc::new(AtomicBool::new(false));
        let second = RaiseOnRead { bytes: std::io::Cursor::new(parts[1].clone()), flag: flag.clone() };
        let readers: Vec<(String, Box<dyn BufRead>)> = vec![
            ("part-0.jsonl".into(), Box::new(std::io::Cursor::new(parts[0].clone()))),
            ("part-1.jsonl".into(), Box::new(std::io::BufReader::new(second))),
        ];
        let _stop = StopToken::new(None, Some(flag)).install();
        let mut out = Vec::new();
        let merged = merge_to_writer(&plan, &sha, readers, output, 2, &mut out);
        let Err(e @ ShardError::Stopped { reason: StopReason::Cancelled, written: 0, .. }) = merged else {
            panic!("{output:?}: {merged:?}")
        };
        let message = e.to_string();
        assert!(
            message.contains("part-1.jsonl, line 2") && message.contains("nothing was written"),
            "{message}"
        );
        assert!(out.is_empty());
    }
}

/// Ctrl-C after the first bytes of the output: the merge stops there and says how many bytes it
/// wrote; they are the first bytes of the whole output, and not a document.
#[test]
fn a_merge_cancelled_while_writing_says_its_output_is_cut_short() {
    let (plan, sha, parts) = planned("deep2d.json");
    for output in [MergeOutput::Regions, MergeOutput::GraphJson, MergeOutput::GraphDot] {
        let readers = || {
            parts
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    (format!("part-{i}.jsonl"), Box::new(std::io::Cursor::new(b.clone())) as Box<dyn BufRead>)
                })
                .collect::<Vec<_>>()
        };
        let mut whole = Vec::new();
        merge_to_writer(&plan, &sha, readers(), output, 1, &mut whole).unwrap().unwrap();
        let flag = Arc::new(AtomicBool::new(false));
        let _stop = StopToken::new(None, Some(flag.clone())).install();
        let mut out = RaiseOnWrite { bytes: Vec::new(), flag };
        let merged = merge_to_writer(&plan, &sha, readers(), output, 1, &mut out);
        let Err(e @ ShardError::Stopped { reason: StopReason::Cancelled, written, .. }) = merged else {
            panic!("{output:?}: {merged:?}")
        };
        assert!(e.to_string().contains(&format!("cut short after {written} bytes")), "{e}");
        assert_eq!(written as usize, out.bytes.len());
        assert!(!out.bytes.is_empty() && out.bytes.len() < whole.len(), "{output:?}");
        assert_eq!(&whole[..out.bytes.len()], &out.bytes[..]);
        assert!(serde_json::from_slice::<serde_json::Value>(&out.bytes).is_err());
    }
}

/// The plan and parts of the fixture `name` written by the CLI into a scratch directory.
fn cli_parts(name: &str, tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rr-merge-stop-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plan = dir.join("plan.json");
    let net = fixture(name);
    let out =
        run_cli(&["shard", "plan", net.to_str().unwrap(), "--shards", "2", "-o", plan.to_str().unwrap()]);
    assert!(out.status.success());
    for i in ["0", "1"] {
        let part = dir.join(format!("part-{i}.jsonl"));
        let args = ["shard", "run", plan.to_str().unwrap(), "--index", i, "-o", part.to_str().unwrap()];
        assert!(run_cli(&args).status.success());
    }
    dir
}

/// `merge --time-limit 0`: exit code 3, nothing on stdout, the warning on stderr; a bad limit
/// is refused (exit code 2); a generous one changes nothing.
#[test]
fn the_merge_cli_stops_at_its_time_limit() {
    let dir = cli_parts("deep2d.json", "limit");
    let plan = dir.join("plan.json");
    let parts = [dir.join("part-0.jsonl"), dir.join("part-1.jsonl")];
    let args = |output: &'static str, limit: &'static str| {
        vec![
            "merge".to_string(),
            plan.to_str().unwrap().into(),
            parts[0].to_str().unwrap().into(),
            parts[1].to_str().unwrap().into(),
            "--output".into(),
            output.into(),
            "--time-limit".into(),
            limit.into(),
        ]
    };
    for output in ["count", "regions", "graph"] {
        let a = args(output, "0");
        let out = run_cli(&a.iter().map(String::as_str).collect::<Vec<_>>());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{output}: {stderr}");
        assert!(out.stdout.is_empty(), "{output}");
        assert!(stderr.contains("INCOMPLETE merge") && stderr.contains("time limit"), "{stderr}");
        assert!(stderr.contains("nothing was written"), "{stderr}");
        let a = args(output, "1000");
        let full = run_cli(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(full.status.code(), Some(0), "{output}");
        serde_json::from_slice::<serde_json::Value>(&full.stdout).unwrap();
    }
    let a = args("count", "-1");
    assert_eq!(run_cli(&a.iter().map(String::as_str).collect::<Vec<_>>()).status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}

/// Ctrl-C (SIGINT to the child) while the merge waits for a part (a named pipe the test feeds):
/// exit code 3, nothing on stdout, the warning names the part. Then Ctrl-C while the output is
/// blocked on a full pipe: cut short, the bytes on stdout the number the warning gives (or,
/// on a slow machine where the signal came before the writing, nothing written).
#[cfg(unix)]
#[test]
fn the_merge_cli_stops_at_ctrl_c_in_every_phase() {
    use std::process::{Command, Stdio};
    use std::time::Duration;
    let dir = cli_parts("deep2d.json", "ctrlc");
    let (plan, part0, part1) = (dir.join("plan.json"), dir.join("part-0.jsonl"), dir.join("part-1.jsonl"));
    let fifo = dir.join("fifo-1.jsonl");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let bin = env!("CARGO_BIN_EXE_relu-regions");
    let child = Command::new(bin)
        .args(["merge", plan.to_str().unwrap(), part0.to_str().unwrap(), fifo.to_str().unwrap()])
        .args(["--output", "regions"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // opening the pipe waits for the merge to open it: its Ctrl-C handler is in place by then
    let mut feed = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    let text = std::fs::read(&part1).unwrap();
    let cut = text.iter().position(|&b| b == b'\n').unwrap() + 1;
    feed.write_all(&text[..cut]).unwrap();
    feed.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    std::thread::sleep(Duration::from_millis(300));
    let _ = feed.write_all(&text[cut..]);
    drop(feed);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("INCOMPLETE merge") && stderr.contains("cancelled"), "{stderr}");
    assert!(stderr.contains("fifo-1.jsonl, line") && stderr.contains("nothing was written"), "{stderr}");

    // the output blocked on a pipe nobody reads yet (the regions document is larger than the
    // pipe's buffer), then Ctrl-C, then read
    let mut child = Command::new(bin)
        .args(["merge", plan.to_str().unwrap(), part0.to_str().unwrap(), part1.to_str().unwrap()])
        .args(["--output", "regions"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let mut stdout = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut stdout).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let whole = run_cli(&[
        "merge",
        plan.to_str().unwrap(),
        part0.to_str().unwrap(),
        part1.to_str().unwrap(),
        "--output",
        "regions",
    ]);
    assert!(whole.stdout.len() > 100_000, "a document larger than the pipe and the buffer");
    match out.status.code() {
        Some(3) if stderr.contains("nothing was written") => assert!(stdout.is_empty()),
        Some(3) => {
            assert!(stderr.contains(&format!("cut short after {} bytes", stdout.len())), "{stderr}");
            assert!(stdout.len() < whole.stdout.len() && whole.stdout.starts_with(&stdout));
        }
        // the merge finished before the signal (a fast machine): the whole document
        code => {
            assert_eq!(code, Some(0), "{stderr}");
            assert_eq!(stdout, whole.stdout);
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
