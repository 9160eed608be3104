//! `check NET BOUNDARY.json --boundary`: a `boundary --json` document is accepted as written
//! (a level set on all of R^2 and on a box, argmax ties), and each kind of tampering is refused
//! with exit 1 and a message naming the field: a cell's point moved off the level set, a Betti
//! number changed, an incidence dropped, a cell removed, a face removed, a component removed,
//! the truncation box shrunk.

use serde_json::Value;
use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relu-regions")).args(args).output().expect("binary runs")
}

/// `|x| + |y| - 1`: the level set `{y = 0}` is a diamond (b = (1, 1)).
const DIAMOND: &str = r#"{"input_dim": 2, "layers": [
    {"weights": [["1", "0"], ["-1", "0"], ["0", "1"], ["0", "-1"]], "activation": "relu"},
    {"weights": [["1", "1", "1", "1"]], "bias": ["-1"], "activation": "linear"}]}"#;

/// Two outputs `relu(x) - relu(y)` and `1/2`: ties where they meet.
const TWO_CLASSES: &str = r#"{"input_dim": 2, "layers": [
    {"weights": [["1", "0"], ["0", "1"]], "activation": "relu"},
    {"weights": [["1", "-1"], ["0", "0"]], "bias": ["0", "1/2"], "activation": "linear"}]}"#;

struct Files(std::path::PathBuf);

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Files {
    fn new(name: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("rr-check-boundary-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Files(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
}

/// The boundary document of `net` with `args`.
fn document(net: &str, args: &[&str]) -> Value {
    let mut all = vec!["boundary", net, "--json"];
    all.extend(args);
    let out = cli(&all);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The check of `doc` (exit code, stdout and stderr).
fn check(files: &Files, net: &str, doc: &Value, extra: &[&str]) -> (Option<i32>, String) {
    let path = files.write("doc.json", &doc.to_string());
    let mut args = vec!["check", net, path.as_str(), "--boundary"];
    args.extend(extra);
    let out = cli(&args);
    (
        out.status.code(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

#[test]
fn check_accepts_boundary_documents() {
    let files = Files::new("ok");
    let diamond = files.write("diamond.json", DIAMOND);
    let doc = document(&diamond, &["--level", "0"]);
    assert_eq!(doc["betti"]["set"], serde_json::json!([1, 1]));
    assert!(doc["faces"].as_array().unwrap().len() > 10);
    let (code, text) = check(&files, &diamond, &doc, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("every check holds"), "{text}");
    // on a box (every face bounded), and another level
    let doc = document(&diamond, &["--level", "1/2", "--box", "-2:2,-2:2"]);
    let (code, text) = check(&files, &diamond, &doc, &["--box", "-2:2,-2:2"]);
    assert_eq!(code, Some(0), "{text}");
    // argmax ties of two outputs
    let two = files.write("two.json", TWO_CLASSES);
    let doc = document(&two, &["--classes"]);
    let (code, text) = check(&files, &two, &doc, &[]);
    assert_eq!(code, Some(0), "{text}");
    // the document of another domain: refused before any work (exit 2)
    let (code, _) = check(&files, &two, &doc, &["--box", "-1:1,-1:1"]);
    assert_eq!(code, Some(2));
}

#[test]
fn check_refuses_tampered_boundary_documents() {
    let files = Files::new("tampered");
    let net = files.write("diamond.json", DIAMOND);
    let good = document(&net, &["--level", "0"]);
    let refused = |doc: &Value, field: &str| {
        let (code, text) = check(&files, &net, doc, &[]);
        assert_eq!(code, Some(1), "{field}: {text}");
        assert!(text.contains(field), "the message names {field}: {text}");
    };
    // a cell's point moved off the level set (and off its face)
    let id = good["cells"][0]["id"].as_u64().unwrap() as usize;
    let mut doc = good.clone();
    doc["faces"][id]["point"][0] = Value::String("1/7".into());
    refused(&doc, "`faces`");
    // a Betti number changed, under each convention
    for conv in ["set", "borel_moore", "one_point"] {
        let mut doc = good.clone();
        let b = doc["betti"][conv][0].as_u64().unwrap();
        doc["betti"][conv][0] = (b + 1).into();
        refused(&doc, &format!("`betti.{conv}`"));
    }
    // a decision region's Betti number changed
    let mut doc = good.clone();
    doc["components"][0]["betti"]["set"][1] = 5.into();
    refused(&doc, "betti.set");
    // an incidence dropped: the diamond property (or boundedness) fails
    let k = good["faces"].as_array().unwrap().iter().position(|f| f["dim"] == 2).unwrap();
    let mut doc = good.clone();
    doc["faces"][k]["boundary"].as_array_mut().unwrap().pop();
    refused(&doc, "`faces`");
    // a cell removed from the boundary set's cells
    let mut doc = good.clone();
    doc["cells"].as_array_mut().unwrap().pop();
    refused(&doc, "`cells`");
    // a face removed from the complex
    let mut doc = good.clone();
    doc["faces"].as_array_mut().unwrap().pop();
    refused(&doc, "`faces`");
    // a component removed
    let mut doc = good.clone();
    doc["components"][1]["components"].as_array_mut().unwrap().clear();
    refused(&doc, "components");
    // the f-vector and the Euler characteristic
    let mut doc = good.clone();
    doc["f_vector"][0] = 3.into();
    refused(&doc, "`f_vector`");
    let mut doc = good.clone();
    doc["euler_characteristic"] = 5.into();
    refused(&doc, "`euler_characteristic`");
    // a truncation box that cuts a vertex off
    let mut doc = good.clone();
    doc["truncation_box"] = Value::String("1/2".into());
    refused(&doc, "`truncation_box`");
}
