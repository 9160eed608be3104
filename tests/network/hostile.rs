//! Hostile input: an in-tree fuzz harness over every reader, handcrafted extremes, and bounded
//! runs (limits and Ctrl-C) that stop cleanly and say so.

use crate::cli::fixtures::run_cli;
use crate::enumerate::invariants::Rng;
use crate::support::*;
use relu_regions::network::json::read_network;
use relu_regions::network::nnet::{read_nnet, Coords};
use relu_regions::network::onnx::read_onnx;

/// Random byte-level mutations (flip, delete, insert, duplicate a slice) of a seed input.
pub(crate) fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.next() % 8 {
        if data.is_empty() {
            data.push(b'0');
        }
        let i = (rng.next() as usize) % data.len();
        match rng.next() % 5 {
            0 => data[i] = rng.next() as u8,
            1 => {
                data.remove(i);
            }
            2 => data.insert(i, b"0123456789-+./eE,:[]{}\"\n"[(rng.next() % 24) as usize]),
            3 => {
                let j = (i + (rng.next() as usize) % 64).min(data.len());
                let chunk = data[i..j].to_vec();
                data.splice(i..i, chunk);
            }
            _ => data.truncate(i),
        }
    }
    data
}

#[test]
fn fuzz_every_reader_for_a_fixed_number_of_iterations() {
    let json = std::fs::read(fixture("seed.json")).unwrap();
    let nnet = std::fs::read(fixture("nnet/fc_2-2-3.nnet")).unwrap();
    let onnx = std::fs::read(fixture("onnx/ACASXU_run2a_1_1_batch_2000.onnx")).unwrap();
    let mut rng = Rng::new(2026);
    for _ in 0..3000 {
        let j = mutate(&mut rng, &json);
        let _ = read_network(&String::from_utf8_lossy(&j), "fuzz.json");
        let n = mutate(&mut rng, &nnet);
        let _ = read_nnet(&String::from_utf8_lossy(&n), "fuzz.nnet", Coords::Raw);
        let _ = read_nnet(&String::from_utf8_lossy(&n), "fuzz.nnet", Coords::Normalized);
    }
    for _ in 0..300 {
        let o = mutate(&mut rng, &onnx);
        let _ = read_onnx(&o, "fuzz.onnx");
    }
}

#[test]
fn fuzzed_networks_that_parse_also_enumerate() {
    let json = std::fs::read(fixture("seed.json")).unwrap();
    let mut rng = Rng::new(99);
    let mut parsed = 0;
    for _ in 0..2000 {
        let j = mutate(&mut rng, &json);
        if let Ok(net) = read_network(&String::from_utf8_lossy(&j), "fuzz.json") {
            if net.input_dim() <= 3 && net.hidden_neurons() <= 8 {
                let a = run(&net);
                assert!(a.summary().complete());
                parsed += 1;
            }
        }
    }
    assert!(parsed > 0, "some mutations stay valid");
}

#[test]
fn huge_and_tiny_exact_numbers_are_computed_exactly() {
    // hyperplanes x = 0 and x = 1e-1000 (far below float resolution) and a 1e1000 weight
    let text = r#"{"input_dim": 1, "layers": [
        {"weights": [["1"], ["1"], ["1e1000"]], "bias": ["0", "-1/10^1000", "-1"], "activation": "relu"},
        {"weights": [[1, 1, 1]], "activation": "linear"}]}"#;
    assert!(read_network(text, "x").is_err(), "`1/10^1000` is not a number form");
    let text = text.replace("-1/10^1000", "-1e-1000");
    let a = run(&net(&text));
    assert_eq!(a.regions().len(), 3, "x < 0 < 1e-1000 = 1/1e1000: the third plane coincides with the second");
    let text = text.replace("\"-1\"", "\"-2\"");
    assert_eq!(run(&net(&text)).regions().len(), 4);
}

#[test]
fn hostile_files_exit_2_without_panic() {
    let dir = std::env::temp_dir().join(format!("rr-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("nan.json", r#"{"input_dim": 1, "layers": [{"weights": [["NaN"]], "activation": "relu"}]}"#.to_string()),
        ("inf.json", r#"{"input_dim": 1, "layers": [{"weights": [["Infinity"]], "activation": "relu"}]}"#.to_string()),
        ("zero_den.json", r#"{"input_dim": 1, "layers": [{"weights": [["1/0"]], "activation": "relu"}]}"#.to_string()),
        ("huge_exp.json", r#"{"input_dim": 1, "layers": [{"weights": [["1e999999999"]], "activation": "relu"}]}"#.to_string()),
        ("shape.json", r#"{"input_dim": 2, "layers": [{"weights": [[1]], "activation": "relu"}]}"#.to_string()),
        ("empty_layer.json", r#"{"input_dim": 2, "layers": [{"weights": [], "activation": "relu"}]}"#.to_string()),
        ("flat_box.json", r#"{"input_dim": 1, "layers": [{"weights": [[1]], "activation": "relu"}], "domain": {"box": [[1, 1]]}}"#.to_string()),
        (
            "infeasible.json",
            r#"{"input_dim": 1, "layers": [{"weights": [[1]], "activation": "relu"}], "domain": {"polytope": {"A": [[1], [-1]], "b": [0, -1]}}}"#.to_string(),
        ),
        ("nested.json", "[".repeat(1_000_000)),
        ("empty.json", String::new()),
        ("binary.nnet", "\u{0}\u{1}\u{2}garbage".to_string()),
    ];
    for (name, content) in cases {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        let out = run_cli(&["count", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name) && !err.contains("panicked"), "{name}: {err}");
    }
    // a 100 MB file is refused before it is read
    let big = dir.join("big.json");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(100 * 1024 * 1024).unwrap();
    let out = run_cli(&["count", big.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("limit"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn limits_and_ctrl_c_stop_cleanly_and_keep_results() {
    let acas = fixture("nnet/ACASXU_run2a_1_1_batch_2000.nnet");
    let wide = "-0.05:0.05,0.05:0.15,-0.15:-0.05,0.15:0.25,-0.25:-0.15";
    let args = ["--coords", "normalized", "--box", wide];
    // a time limit: exit 3, complete = false, the regions found so far are counted
    let mut cmd: Vec<&str> =
        vec!["count", acas.to_str().unwrap(), "--json", "--no-graph", "--time-limit", "0.3"];
    cmd.extend(args);
    let out = run_cli(&cmd);
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["complete"], false);
    assert_eq!(v["stopped"], "TimeLimit");
    assert!(v["regions"].as_u64().unwrap() > 0);
    // regions --jsonl with --max-regions: the lines written are valid, the summary says partial
    let mut cmd: Vec<&str> = vec!["regions", acas.to_str().unwrap(), "--jsonl", "--max-regions", "5"];
    cmd.extend(args);
    let out = run_cli(&cmd);
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 6);
    assert!(text.lines().last().unwrap().contains("\"complete\":false"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("INCOMPLETE"));
    // Ctrl-C (SIGINT)
    let mut cmd: Vec<&str> = vec!["count", acas.to_str().unwrap(), "--json", "--no-graph"];
    cmd.extend(args);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_relu-regions"))
        .args(&cmd)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let _ = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stopped"], "Cancelled");
}
