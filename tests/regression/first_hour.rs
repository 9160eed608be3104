//! Issue 17: the first hour of a new user. One test per rough edge that was found.

use crate::cli::fixtures::run_cli;
use crate::support::fixture;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rr-first-hour-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn seed() -> String {
    fixture("seed.json").to_str().unwrap().to_string()
}

#[test]
fn a_missing_file_is_reported_once() {
    let out = run_cli(&["count", "no-such-network.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).matches("No such file").count(), 1, "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1);
}

#[test]
fn box_errors_speak_of_the_domain() {
    let out = run_cli(&["count", &seed(), "--box", "1:0,0:1"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(text.contains("--box: invalid domain"), "{text}");
    assert!(!text.contains("invalid network"), "{text}");
}

#[test]
fn a_wrong_input_format_is_one_line() {
    let out = run_cli(&["count", &seed(), "--input-format", "nnet"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("--input-format json"), "{text}");
}

#[test]
fn summaries_read_naturally() {
    let out = run_cli(&["count", &seed()]);
    assert!(stdout(&out).contains("1 output;"), "{}", stdout(&out));
    let dir = scratch("offsets");
    let net = dir.join("negative.json");
    std::fs::write(
        &net,
        r#"{"input_dim": 1, "layers": [{"weights": [["1"]], "bias": ["-1"], "activation": "relu"},
            {"weights": [["2"]], "bias": ["-3"], "activation": "linear"}]}"#,
    )
    .unwrap();
    let text = stdout(&run_cli(&["regions", net.to_str().unwrap()]));
    assert!(text.contains("y0 = [0] . x - 3"), "{text}");
    assert!(text.contains("y0 = [2] . x - 5"), "{text}");
    assert!(!text.contains("+ -"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn threads_are_validated() {
    let zero = run_cli(&["count", &seed(), "--json", "--threads", "0"]);
    assert_eq!(zero.status.code(), Some(0), "--threads 0 means all cores");
    let many = run_cli(&["count", &seed(), "--json", "--threads", "5000"]);
    assert_eq!(many.status.code(), Some(0));
    assert!(stderr(&many).contains("capped"), "{}", stderr(&many));
    assert_eq!(zero.stdout, many.stdout);
}

#[test]
fn options_only_where_they_act() {
    for (command, option, value) in [
        ("convert", "--lp", "exact"),
        ("convert", "--max-regions", "3"),
        ("convert", "--time-limit", "1"),
        ("check", "--lp", "exact"),
        ("check", "--max-regions", "3"),
    ] {
        let out = run_cli(&[command, &seed(), "x.json", option, value]);
        assert_eq!(out.status.code(), Some(2), "{command} {option}");
        assert!(stderr(&out).contains("unexpected argument"), "{command} {option}: {}", stderr(&out));
    }
    let help = stdout(&run_cli(&["count", "--help"]));
    assert!(help.contains(".onnx"), "{help}");
}

#[test]
fn partial_runs_warn_and_draw_no_conclusion() {
    let net = fixture("deep2d.json");
    for extra in [&["--no-graph"][..], &[][..]] {
        let mut args = vec!["count", net.to_str().unwrap(), "--max-regions", "0"];
        args.extend(extra);
        let out = run_cli(&args);
        assert_eq!(out.status.code(), Some(3));
        assert!(stderr(&out).contains("INCOMPLETE"), "{}", stderr(&out));
        assert!(!stdout(&out).contains("it is linear"), "{}", stdout(&out));
        assert!(stdout(&out).contains("no conclusion"), "{}", stdout(&out));
    }
}

#[test]
fn a_truncated_nnet_says_so() {
    let dir = scratch("nnet");
    let text = std::fs::read_to_string(fixture("nnet/fc_2-2-3.nnet")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let path = dir.join("cut.nnet");
    std::fs::write(&path, lines[..lines.len() - 3].join("\n")).unwrap();
    let out = run_cli(&["count", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("truncated") || stderr(&out).contains("ends early"), "{}", stderr(&out));
    let path = dir.join("cut-number.nnet");
    std::fs::write(&path, format!("{}1.5e", text.trim_end().trim_end_matches(|c: char| c != ','))).unwrap();
    let out = run_cli(&["count", path.to_str().unwrap()]);
    assert!(stderr(&out).contains("truncated"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn json_outputs_carry_float_companions() {
    let out = run_cli(&["regions", fixture("deep2d.json").to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in v["regions"].as_array().unwrap() {
        for (exact, float) in [("point", "point_f64"), ("offset", "offset_f64")] {
            let e = r[exact].as_array().unwrap();
            let f = r[float].as_array().unwrap();
            assert_eq!(e.len(), f.len());
            for (e, f) in e.iter().zip(f) {
                let q = relu_regions::exact::num::parse_rational(e.as_str().unwrap()).unwrap();
                assert_eq!(relu_regions::exact::num::to_f64(&q), f.as_f64().unwrap());
            }
        }
        assert_eq!(r["jacobian_f64"].as_array().unwrap().len(), r["jacobian"].as_array().unwrap().len());
    }
    let g: serde_json::Value = serde_json::from_slice(
        &run_cli(&["graph", fixture("deep2d.json").to_str().unwrap(), "--format", "json"]).stdout,
    )
    .unwrap();
    assert!(g["nodes"][0]["jacobian_f64"].is_array());
}

#[test]
fn completions_and_man_page() {
    let bash = run_cli(&["completions", "bash"]);
    assert!(bash.status.success() && stdout(&bash).contains("relu-regions"));
    let man = run_cli(&["man"]);
    assert!(man.status.success() && stdout(&man).contains(".TH"), "{}", stdout(&man));
}

#[test]
fn dot_labels_are_short_by_default_and_exact_on_request() {
    let net = fixture("deep2d.json");
    let short = stdout(&run_cli(&["graph", net.to_str().unwrap()]));
    let exact = stdout(&run_cli(&["graph", net.to_str().unwrap(), "--labels", "exact"]));
    let longest = |dot: &str| dot.lines().filter(|l| l.contains("label=\"#")).map(str::len).max().unwrap();
    assert!(longest(&short) < 160, "short labels: {}", longest(&short));
    assert!(longest(&exact) > longest(&short));
    assert!(short.contains("layout=neato") && short.contains("size="));
    if Command::new("dot").arg("-V").output().is_ok() {
        let mut child =
            Command::new("dot").arg("-Tsvg").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(short.as_bytes()).unwrap();
        let svg = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
        let size = |key: &str| -> f64 {
            let at = svg.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
            svg[at..].split("pt").next().unwrap().parse().unwrap()
        };
        assert!(size("width") <= 900.0 && size("height") <= 900.0, "{} x {}", size("width"), size("height"));
    }
}

/// The pieces whose regions touch get different fills, tick labels stay inside the picture, an
/// unbounded domain is framed by its bounded regions, and a partial plot says so.
#[test]
fn plots_are_readable() {
    let dir = scratch("plot");
    let whole = dir.join("whole.json");
    let mut net: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("bench/net-2-16-16.json")).unwrap()).unwrap();
    net.as_object_mut().unwrap().remove("domain");
    std::fs::write(&whole, net.to_string()).unwrap();
    let svg_path = dir.join("whole.svg");
    let out = run_cli(&["plot", whole.to_str().unwrap(), "--svg", svg_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    // ticks: right-aligned y labels have room left of the plot
    for line in svg.lines().filter(|l| l.contains("class=\"tick\"") && l.contains("text-anchor=\"end\"")) {
        let x: f64 = line.split("x=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
        let label = line.split('>').nth(1).unwrap().split('<').next().unwrap();
        assert!(x - 7.5 * label.len() as f64 >= 0.0, "clipped tick {label} at {x}");
    }
    // the window: the y range shown is of the size of the bounded regions, not thousands
    let ticks: Vec<f64> = svg
        .lines()
        .filter(|l| l.contains("class=\"tick\""))
        .map(|l| l.split('>').nth(1).unwrap().split('<').next().unwrap().parse().unwrap())
        .collect();
    assert!(ticks.iter().all(|t| t.abs() < 100.0), "{ticks:?}");
    // touching pieces differ in colour
    let boxed = fixture("deep2d.json");
    let svg_path = dir.join("deep.svg");
    run_cli(&["plot", boxed.to_str().unwrap(), "--svg", svg_path.to_str().unwrap()]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let fills: Vec<String> = svg
        .lines()
        .filter(|l| l.starts_with("<polygon id=\"region-"))
        .map(|l| l.split("fill=\"").nth(1).unwrap().split('"').next().unwrap().to_string())
        .collect();
    let g: serde_json::Value =
        serde_json::from_slice(&run_cli(&["graph", boxed.to_str().unwrap(), "--format", "json"]).stdout)
            .unwrap();
    for e in g["edges"].as_array().unwrap() {
        let (a, b) = (e["source"].as_u64().unwrap() as usize, e["target"].as_u64().unwrap() as usize);
        if e["same_map"] == false {
            assert_ne!(fills[a], fills[b], "regions {a} and {b} touch and have different maps");
        }
    }
    // a partial plot says so
    let svg_path = dir.join("partial.svg");
    let out = run_cli(&[
        "plot",
        boxed.to_str().unwrap(),
        "--svg",
        svg_path.to_str().unwrap(),
        "--max-regions",
        "5",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(std::fs::read_to_string(&svg_path).unwrap().contains("INCOMPLETE"));
    let _ = std::fs::remove_dir_all(dir);
}

/// Ctrl-C in the facet and graph phase stops within moments and keeps what was certified; a
/// second Ctrl-C exits at once.
#[test]
fn ctrl_c_is_prompt_in_every_phase() {
    let acas = fixture("nnet/ACASXU_run2a_1_1_batch_2000.nnet");
    let wide = "-0.025:0.025,0.075:0.125,-0.125:-0.075,0.175:0.225,-0.225:-0.175";
    // a box twice as wide: its count with the graph takes a minute
    let wider = "-0.05:0.05,0.05:0.15,-0.15:-0.05,0.15:0.25,-0.25:-0.15";
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_relu-regions"))
            .args([
                "count",
                acas.to_str().unwrap(),
                "--json",
                "--coords",
                "normalized",
                "--box",
                wider,
                "--threads",
                "1",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let interrupt = |pid: u32| {
        let _ = Command::new("kill").args(["-INT", &pid.to_string()]).status();
    };
    // regions and their facets alternate (one thread): interrupt after a few thousand
    let child = spawn();
    std::thread::sleep(std::time::Duration::from_millis(2000));
    let sent = std::time::Instant::now();
    interrupt(child.id());
    let out = child.wait_with_output().unwrap();
    let waited = sent.elapsed();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["complete"], false);
    assert_eq!(v["stopped"], "Cancelled");
    assert!(v["regions"].as_u64().unwrap() > 100, "the regions found are kept: {v}");
    assert!(waited < std::time::Duration::from_secs(5), "stopped {waited:?} after Ctrl-C");
    // twice: out at once, with the conventional code. The run is held up writing into a pipe
    // that nobody reads, so the first Ctrl-C cannot finish it; the second ends it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_relu-regions"))
        .args(["regions", acas.to_str().unwrap(), "--jsonl", "--coords", "normalized", "--box", wide])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    interrupt(child.id());
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "blocked on its output, the run goes on after one Ctrl-C");
    interrupt(child.id());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
}

use crate::onnx::writer as onnx;

/// float16 and bfloat16 weights are read as the exact values they are; BatchNormalization and
/// unsupported data types get messages that say what to do.
#[test]
fn half_precision_onnx_weights_and_helpful_refusals() {
    let dir = scratch("onnx");
    // float16: 0.5, -1.25, 3, 0.1 (0x2E66 = 0.0999755859375); bfloat16: 0.5 (0x3F00), -2 (0xC000)
    let w16: Vec<u8> = [0x3800u16, 0xBD00, 0x4200, 0x2E66].iter().flat_map(|v| v.to_le_bytes()).collect();
    let b16: Vec<u8> = [0x3F00u16, 0xC000].iter().flat_map(|v| v.to_le_bytes()).collect();
    let model = onnx::model(
        &[
            onnx::node("MatMul", &["x", "W"], &["h"]),
            onnx::node("Add", &["h", "B"], &["z"]),
            onnx::node("Relu", &["z"], &["y"]),
        ],
        &[onnx::tensor("W", &[2, 2], 10, &w16), onnx::tensor("B", &[2], 16, &b16)],
        onnx::input("x", &[1, 2]),
    );
    let path = dir.join("half.onnx");
    std::fs::write(&path, model).unwrap();
    let out = run_cli(&["convert", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let net: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // MatMul x W: the layer's weights are W transposed
    assert_eq!(net["layers"][0]["weights"], serde_json::json!([["1/2", "3"], ["-5/4", "819/8192"]]));
    assert_eq!(net["layers"][0]["bias"], serde_json::json!(["1/2", "-2"]));
    // BatchNormalization with parameters that are not constants: named
    let bn = onnx::model(
        &[onnx::node("BatchNormalization", &["x", "s", "b", "m", "v"], &["y"])],
        &[],
        onnx::input("x", &[1, 2]),
    );
    let path = dir.join("bn.onnx");
    std::fs::write(&path, bn).unwrap();
    let out = run_cli(&["count", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("BatchNormalization") && stderr(&out).contains("not a constant"),
        "{}",
        stderr(&out)
    );
    // uint8 weights: named, with what is supported
    let model = onnx::model(
        &[onnx::node("MatMul", &["x", "W"], &["y"])],
        &[onnx::tensor("W", &[2, 1], 2, &[1, 2])],
        onnx::input("x", &[1, 2]),
    );
    let path = dir.join("uint8.onnx");
    std::fs::write(&path, model).unwrap();
    let out = run_cli(&["count", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("uint8") && stderr(&out).contains("float16"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(dir);
}
