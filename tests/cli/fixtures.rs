//! The command line on the bundled fixtures.

use crate::support::fixture;
use std::process::{Command, Output};

/// Runs the binary with arguments.
pub(crate) fn run_cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relu-regions")).args(args).output().expect("binary runs")
}

fn stdout_json(args: &[&str]) -> serde_json::Value {
    let out = run_cli(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

#[test]
fn seed_count_json() {
    let seed = fixture("seed.json");
    let v = stdout_json(&["count", seed.to_str().unwrap(), "--json"]);
    for (key, want) in [("regions", 4), ("pieces", 4), ("edges", 4), ("bounded", 0), ("input_dim", 2)] {
        assert_eq!(v[key].as_u64(), Some(want), "{key}: {v}");
    }
    assert_eq!(v["complete"], true);
}

#[test]
fn seed_readable_answers_the_seed_question() {
    let out = run_cli(&["count", fixture("seed.json").to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("regions:  4"), "{text}");
    assert!(text.contains("NOT a linear function"), "{text}");
}

#[test]
fn regions_json_has_the_interface_keys() {
    let v = stdout_json(&["regions", fixture("seed.json").to_str().unwrap(), "--json"]);
    let regions = v["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 4);
    let mut slopes = std::collections::BTreeSet::new();
    for r in regions {
        for key in ["id", "pattern", "point", "inequalities", "jacobian", "offset"] {
            assert!(r.get(key).is_some(), "missing {key}");
        }
        assert_eq!(r["inequalities"].as_array().unwrap().len(), 2);
        slopes.insert(r["jacobian"].to_string());
    }
    assert_eq!(slopes.len(), 4, "each region has its own slope");
}

#[test]
fn jsonl_streams_the_same_regions() {
    let seed = fixture("seed.json");
    let out = run_cli(&["regions", seed.to_str().unwrap(), "--jsonl"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[4]["summary"]["regions"], 4);
    let full = stdout_json(&["regions", seed.to_str().unwrap(), "--json"]);
    for (i, line) in lines[..4].iter().enumerate() {
        assert_eq!(line["pattern"], full["regions"][i]["pattern"]);
        assert_eq!(line["point"], full["regions"][i]["point"]);
    }
}

#[test]
fn nnet_fixture_counts() {
    let v = stdout_json(&["count", fixture("nnet/fc_2-2-3.nnet").to_str().unwrap(), "--json"]);
    assert_eq!(v["regions"], 2);
    assert_eq!(v["edges"], 1);
}

#[test]
fn max_regions_marks_the_result_incomplete() {
    let out = run_cli(&[
        "count",
        fixture("seed.json").to_str().unwrap(),
        "--json",
        "--no-graph",
        "--max-regions",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["regions"], 2);
    assert_eq!(v["complete"], false);
}

#[test]
fn output_is_byte_identical_across_runs() {
    let seed = fixture("seed.json");
    let a = run_cli(&["graph", seed.to_str().unwrap(), "--format", "json"]);
    let b = run_cli(&["graph", seed.to_str().unwrap(), "--format", "json"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let net = fixture("bench/net-2-16-16.json");
    let one = run_cli(&["graph", net.to_str().unwrap(), "--format", "json", "--threads", "1"]);
    let two = run_cli(&["graph", net.to_str().unwrap(), "--format", "json", "--threads", "2"]);
    let three = run_cli(&["regions", net.to_str().unwrap(), "--jsonl", "--threads", "3"]);
    let one_l = run_cli(&["regions", net.to_str().unwrap(), "--jsonl", "--threads", "1"]);
    assert!(one.status.success() && two.status.success());
    assert_eq!(one.stdout, two.stdout);
    assert_eq!(three.stdout, one_l.stdout);
}
