//! Issue 34 at the command line: `faces` (JSON, JSON lines, `--dim`), `count --faces`,
//! `boundary` (level and classes), `check --faces` accepting the answer and refusing forgeries,
//! and the input errors (exit code 2 with the file or option named).

use serde_json::Value;
use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relu-regions")).args(args).output().expect("binary runs")
}

/// A scratch folder of one test.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("rr-complex-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn write(dir: &Scratch, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// relu(x), relu(y), relu(x + y - 1) then a sum: three lines in general position.
const THREE_LINES: &str = r#"{"input_dim": 2, "layers": [
    {"weights": [["1", "0"], ["0", "1"], ["1", "1"]], "bias": ["0", "0", "-1"], "activation": "relu"},
    {"weights": [["1", "1", "1"]], "bias": ["-1/2"], "activation": "linear"}]}"#;

#[test]
fn faces_json_jsonl_and_count() {
    let dir = scratch("faces");
    let net = write(&dir, "net.json", THREE_LINES);
    let out = cli(&["faces", &net, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    // three generic lines: 3 vertices, 9 edges, 7 regions; one bounded triangle
    assert_eq!(doc["f_vector"], serde_json::json!([3, 9, 7]));
    assert_eq!(doc["f_vector_bounded"], serde_json::json!([3, 3, 1]));
    assert_eq!(doc["euler_characteristic"], 1);
    assert!(doc["provenance"]["network_sha256"].is_string());
    // --jsonl: one line per face, then the summary; --dim keeps one dimension
    let out = cli(&["faces", &net, "--jsonl", "--dim", "0"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[..3].iter().all(|l| l["dim"] == 0 && l["boundary"].as_array().unwrap().is_empty()));
    // count --faces adds the f-vector to the counts
    let out = cli(&["count", &net, "--json", "--faces"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((doc["regions"].as_u64(), doc["f_vector"][2].as_u64()), (Some(7), Some(7)));
}

#[test]
fn check_accepts_the_answer_and_refuses_forgeries() {
    let dir = scratch("check");
    let net = write(&dir, "net.json", THREE_LINES);
    let out = cli(&["faces", &net, "--jsonl", "--box", "-3:3,-3:3"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let good = write(&dir, "good.jsonl", &text);
    let ok = cli(&["check", &net, &good, "--faces", "--box", "-3:3,-3:3"]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
    // another domain: refused before any work
    let other = cli(&["check", &net, &good, "--faces"]);
    assert_eq!(other.status.code(), Some(2));
    let mut lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let dump = |lines: &[Value]| lines.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
    // a region's facet dropped: the diamond property (and the summary) fail
    let k = lines.iter().position(|l| l["dim"] == 2).unwrap();
    let mut forged = lines.clone();
    forged[k]["boundary"].as_array_mut().unwrap().pop();
    let bad = write(&dir, "b1.jsonl", &dump(&forged));
    let out = cli(&["check", &net, &bad, "--faces", "--box", "-3:3,-3:3"]);
    assert_eq!(out.status.code(), Some(1));
    // a vertex's point moved off its lines
    let v = lines.iter().position(|l| l["dim"] == 0).unwrap();
    lines[v]["point"][0] = Value::String("1/7".into());
    let bad = write(&dir, "b2.jsonl", &dump(&lines));
    let out = cli(&["check", &net, &bad, "--faces", "--box", "-3:3,-3:3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("sign vector"));
}

#[test]
fn boundary_level_and_classes() {
    let dir = scratch("boundary");
    let net = write(&dir, "net.json", THREE_LINES);
    // y = relu(x) + relu(y) + relu(x + y - 1) - 1/2 = 0: one curve around the origin's quadrant
    let out = cli(&["boundary", &net, "--json", "--level", "1/2", "--box", "-2:2,-2:2"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["betti"]["set"][0], 1);
    let chi = doc["euler_characteristic"].as_i64().unwrap();
    let f: Vec<i64> = doc["f_vector"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(chi, f[0] - f[1] + f[2]);
    // every top cell's point is on the level
    for c in doc["cells"].as_array().unwrap() {
        let p: Vec<f64> = c["point"].as_array().unwrap().iter().map(|v| eval(v.as_str().unwrap())).collect();
        let y = p[0].max(0.0) + p[1].max(0.0) + (p[0] + p[1] - 1.0).max(0.0) - 0.5;
        assert!((y - 0.5).abs() < 1e-12, "{p:?}");
    }
    // classes on a one-output network: refused with exit 2
    let out = cli(&["boundary", &net, "--classes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("two outputs"));
}

fn eval(s: &str) -> f64 {
    match s.split_once('/') {
        Some((a, b)) => a.parse::<f64>().unwrap() / b.parse::<f64>().unwrap(),
        None => s.parse().unwrap(),
    }
}

#[test]
fn bad_input_is_exit_2() {
    let dir = scratch("bad");
    let net = write(&dir, "net.json", THREE_LINES);
    for args in [
        vec!["faces", net.as_str(), "--dim", "3"],
        vec!["boundary", net.as_str(), "--output", "1"],
        vec!["boundary", net.as_str(), "--level", "x/0"],
    ] {
        let out = cli(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
    let small = write(
        &dir,
        "small.json",
        r#"{"input_dim": 1, "layers": [{"weights": [["1"], ["-1"]], "activation": "relu"}]}"#,
    );
    let forged = write(&dir, "f.jsonl", "{\"id\": 0}\n");
    let out = cli(&["check", &small, &forged, "--faces"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"));
}

/// `plot --boundary` draws the level set's segments: `|x| + |y| = 1` is four of them, each
/// endpoint on the diamond.
#[test]
fn plot_draws_the_boundary() {
    let dir = scratch("plot");
    let net = write(
        &dir,
        "diamond.json",
        r#"{"input_dim": 2, "layers": [
            {"weights": [["1", "0"], ["-1", "0"], ["0", "1"], ["0", "-1"]], "activation": "relu"},
            {"weights": [["1", "1", "1", "1"]], "bias": ["-1"], "activation": "linear"}]}"#,
    );
    let svg = dir.path().join("out.svg");
    let out = cli(&["plot", &net, "--svg", svg.to_str().unwrap(), "--boundary", "--box", "-2:2,-2:2"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(text.matches("class=\"boundary\"").count(), 4);
    let plain = dir.path().join("plain.svg");
    cli(&["plot", &net, "--svg", plain.to_str().unwrap(), "--box", "-2:2,-2:2"]);
    assert_eq!(std::fs::read_to_string(&plain).unwrap().matches("class=\"boundary\"").count(), 0);
}

/// A run stopped by a limit prints no face and exits with 3 (the complex needs every region).
#[test]
fn a_stopped_run_is_exit_3() {
    let dir = scratch("stopped");
    let net = write(&dir, "net.json", THREE_LINES);
    let out = cli(&["faces", &net, "--json", "--max-regions", "2"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("incomplete"));
    let out = cli(&["boundary", &net, "--max-regions", "1"]);
    assert_eq!(out.status.code(), Some(3));
}

/// `faces` leaves no temporary file behind (the points, the sign vectors and the facets wait in
/// files whose names are removed as they are made): after a complete run, `--json` and
/// `--jsonl` (and on two threads), one stopped by `--max-regions` before the walk, one stopped
/// by `--time-limit` in the middle of the ACAS Xu walk, and on two or four threads stopped by
/// `--time-limit` while batches are walked, or by `--max-regions` after whole batches,
/// `TMPDIR` is empty; a `TMPDIR` that does not exist is an
/// error naming it (exit code 2), not a panic.
#[test]
fn faces_leaves_no_temporary_file() {
    let dir = scratch("temporary");
    let net = write(&dir, "net.json", THREE_LINES);
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let acas = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/nnet/ACASXU_run2a_1_1_batch_2000.nnet");
    let acas_box = "--box=-0.01:0.01,0.09:0.11,-0.11:-0.09,0.19:0.21,-0.21:-0.19";
    let acas_args = ["faces", acas, acas_box, "--coords", "normalized", "--jsonl"];
    let on = |more: &[&'static str]| -> Vec<&str> { acas_args.iter().chain(more).copied().collect() };
    let runs: [(Vec<&str>, i32); 8] = [
        (vec!["faces", &net, "--jsonl"], 0),
        (vec!["faces", &net, "--json"], 0),
        (vec!["faces", &net, "--json", "--threads", "2"], 0),
        (vec!["faces", &net, "--jsonl", "--max-regions", "2"], 3),
        (on(&["--time-limit", "0.3"]), 3),
        // two threads: stopped while two batches are walked, or after two batches of regions
        (on(&["--threads", "2", "--time-limit", "0.3"]), 3),
        (on(&["--threads", "2", "--max-regions", "300"]), 3),
        (on(&["--threads", "4", "--max-regions", "200"]), 3),
    ];
    for (args, code) in runs {
        let out = Command::new(env!("CARGO_BIN_EXE_relu-regions"))
            .args(&args)
            .env("TMPDIR", &tmp)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "{args:?} left {left:?}");
    }
    let missing = dir.path().join("missing");
    let out = Command::new(env!("CARGO_BIN_EXE_relu-regions"))
        .args(["faces", &net, "--jsonl"])
        .env("TMPDIR", &missing)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("temporary file") && stderr.contains("missing"), "{stderr}");
    assert!(out.stdout.is_empty());
}
