//! Issue 35: `check` keeps of each region only what the checks of the whole answer need (its
//! `id`, `piece`, its pattern and the patterns across its facets as bits, a fingerprint of its
//! map), so its memory stays that of counting. Those checks still fail where they must and name
//! the right regions and patterns, and the verdict is the same bytes through `--json` and
//! `--jsonl`, with one thread and two.

use crate::check::answers::scratch;
use crate::cli::fixtures::run_cli;
use serde_json::{json, Value};

/// The `--jsonl` form of a regions document: a region a line, then the summary.
fn lines_of(doc: &Value) -> String {
    let regions = doc["regions"].as_array().unwrap();
    let mut text: String = regions.iter().map(|r| serde_json::to_string(r).unwrap() + "\n").collect();
    let summary = json!({"summary": {
        "regions": regions.len(),
        "complete": doc["complete"],
        "input_dim": doc["input_dim"],
        "provenance": doc["provenance"],
    }});
    text.push_str(&serde_json::to_string(&summary).unwrap());
    text.push('\n');
    text
}

/// `check` of `doc` as `--json` and as `--jsonl`, with 1 and 2 threads: one exit code and
/// stdout for all four, returned.
fn verdict(net: &str, doc: &Value, name: &str) -> (Option<i32>, String) {
    let dir = scratch("kept");
    let json_file = dir.join(format!("{name}.json"));
    let lines_file = dir.join(format!("{name}.jsonl"));
    std::fs::write(&json_file, serde_json::to_vec(doc).unwrap()).unwrap();
    std::fs::write(&lines_file, lines_of(doc)).unwrap();
    let mut seen = Vec::new();
    for file in [&json_file, &lines_file] {
        for threads in ["1", "2"] {
            let out = run_cli(&["check", net, file.to_str().unwrap(), "--threads", threads]);
            seen.push((out.status.code(), String::from_utf8(out.stdout).unwrap()));
        }
    }
    assert!(seen.iter().all(|v| v == &seen[0]), "{name}: {seen:?}");
    seen.swap_remove(0)
}

fn pattern(region: &Value) -> String {
    let strings: Vec<&str> =
        region["pattern"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    strings.join("|")
}

/// Two relu layers in R^2 (126 regions) whose last two neurons do not reach the output: the
/// regions on either side of their hyperplanes share their map, so pieces join regions.
const SHARED_MAPS: &str = r#"{"input_dim": 2, "layers": [
    {"weights": [["-2/5", "8/2"], ["2/5", "6/5"], ["-7/5", "-9/4"], ["-1/5", "-2/2"], ["6/5", "8/4"], ["3/2", "-2/2"], ["7/4", "-9/1"], ["-4/5", "-8/3"]], "bias": ["-9/3", "6/5", "3/4", "3/5", "5/2", "2/1", "-8/2", "6/2"], "activation": "relu"},
    {"weights": [["-1/4", "1/7", "7/4", "9/3", "8/5", "4/5", "-2/3", "-9/3"], ["-4/3", "8/5", "9/1", "-3/5", "-1/3", "-6/1", "6/4", "-7/3"], ["-7/4", "-5/1", "1/7", "4/1", "-8/5", "-8/4", "9/3", "8/3"], ["7/2", "-8/3", "-9/1", "-6/5", "8/1", "-3/4", "1/7", "-1/2"], ["-8/3", "1/3", "-5/4", "3/4", "7/4", "8/1", "7/3", "4/2"], ["1/7", "-1/5", "1/7", "1/1", "4/5", "1/1", "3/5", "9/2"]], "bias": ["-8/3", "5/3", "2/5", "-1/4", "-9/5", "-8/1"], "activation": "relu"},
    {"weights": [["1", "2", "-1", "1/2", "0", "0"]], "activation": "linear"}]}"#;

/// A correct answer passes; a region left out is named by its pattern from each neighbour's
/// side; a repeated pattern names the first region that has it; a wrong `piece` fails, while
/// the right pieces (several regions share a map on this network) pass.
#[test]
fn whole_answer_failures_name_the_right_regions() {
    let path = scratch("kept_net").join("net.json");
    std::fs::write(&path, SHARED_MAPS).unwrap();
    let p = path.to_str().unwrap();
    let out = run_cli(&["regions", p, "--json"]);
    assert!(out.status.success());
    let good: Value = serde_json::from_slice(&out.stdout).unwrap();
    let regions = good["regions"].as_array().unwrap();
    let n = regions.len();
    let pieces: std::collections::BTreeSet<u64> =
        regions.iter().map(|r| r["piece"].as_u64().unwrap()).collect();
    assert!(pieces.len() < n, "some regions share a piece: the pieces' maps are compared");

    assert!(n > 100, "{n} regions");
    let (code, text) = verdict(p, &good, "good");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains(&format!("checked {n} regions")), "{text}");

    // region 100 left out (the later ones renumbered): its neighbours see it missing
    let mut missing = good.clone();
    let removed = missing["regions"].as_array_mut().unwrap().remove(100);
    for (i, r) in missing["regions"].as_array_mut().unwrap().iter_mut().enumerate() {
        r["id"] = json!(i);
    }
    let (code, text) = verdict(p, &missing, "missing");
    assert_eq!(code, Some(1), "{text}");
    let named = format!("across it lies the region with pattern {}, which is not listed", pattern(&removed));
    assert!(text.contains(&named), "{text}");
    assert!(text.contains("CHECK FAILED"));

    // region 7 given region 3's pattern: the repeat is named (region 7 fails its own checks too)
    let mut repeated = good.clone();
    repeated["regions"][7]["pattern"] = good["regions"][3]["pattern"].clone();
    let (code, text) = verdict(p, &repeated, "repeated");
    assert_eq!(code, Some(1), "{text}");
    let named = format!("FAIL region 7: pattern {} is also region 3's", pattern(&good["regions"][3]));
    assert!(text.contains(&named), "{text}");

    // the last region given a piece number no region has (pieces are numbered by first
    // appearance, so this is never the right numbering)
    let mut piece = good.clone();
    piece["regions"][n - 1]["piece"] = json!(pieces.len());
    let (code, text) = verdict(p, &piece, "piece");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(&format!("FAIL region {0}: region {0}: its `piece` differs", n - 1)), "{text}");
    // every region in one piece
    let mut one = good.clone();
    one["regions"].as_array_mut().unwrap().iter_mut().for_each(|r| r["piece"] = json!(0));
    let (code, text) = verdict(p, &one, "one_piece");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("its `piece` differs from the linear pieces"), "{text}");
}
