//! `check --boundary` recomputes the Betti numbers over Q and the 2-torsion: a forgery that keeps
//! the identities `b_k(GF(2)) = b_k(Q) + t_k + t_(k-1)` and the Euler characteristic (so only
//! a recomputation can see it) is refused with exit 1 naming the field, under each convention
//! and for a decision region; `null` where the face poset orients the cells, and numbers where
//! it does not (a strip between two parallel lines), are refused too; where a face holds a
//! line the `set` convention is checked on the order complex of the set's faces.

use serde_json::{json, Value};
use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relu-regions")).args(args).output().expect("binary runs")
}

/// `|x| + |y| - 1`: the level set `{y = 0}` is a diamond (b = (1, 1) over both fields).
const DIAMOND: &str = r#"{"input_dim": 2, "layers": [
    {"weights": [["1", "0"], ["-1", "0"], ["0", "1"], ["0", "-1"]], "activation": "relu"},
    {"weights": [["1", "1", "1", "1"]], "bias": ["-1"], "activation": "linear"}]}"#;

/// `|x| - 1` on all of R^2: the level set is two parallel lines, every face holds a line.
const LINES: &str = r#"{"input_dim": 2, "layers": [
    {"weights": [["1", "0"], ["-1", "0"]], "activation": "relu"},
    {"weights": [["1", "1"]], "bias": ["-1"], "activation": "linear"}]}"#;

struct Files(std::path::PathBuf);

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Files {
    fn new(name: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("rr-check-rational-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Files(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
}

fn document(net: &str, args: &[&str]) -> Value {
    let mut all = vec!["boundary", net, "--json"];
    all.extend(args);
    let out = cli(&all);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

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

/// `b(Q)` lowered by one in degrees 0 and 1 and `t_0` raised by one: every identity the
/// checker checked before still holds.
fn forged(r: &Value) -> Value {
    let mut r = r.clone();
    let b0 = r["betti"][0].as_u64().unwrap();
    let b1 = r["betti"][1].as_u64().unwrap();
    assert!(b0 >= 1 && b1 >= 1, "a forgery needs b_0, b_1 >= 1: {r}");
    r["betti"][0] = (b0 - 1).into();
    r["betti"][1] = (b1 - 1).into();
    r["two_torsion"][0] = (r["two_torsion"][0].as_u64().unwrap() + 1).into();
    r
}

/// The identities of the GF(2) numbers `b2` and the rational entry `r` hold.
fn identities_hold(b2: &Value, r: &Value) -> bool {
    let list = |v: &Value| v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect::<Vec<_>>();
    let (b2, bq, t) = (list(b2), list(&r["betti"]), list(&r["two_torsion"]));
    let euler = |b: &[i64]| b.iter().enumerate().map(|(k, v)| if k % 2 == 0 { *v } else { -v }).sum::<i64>();
    (0..b2.len()).all(|k| b2[k] == bq[k] + t[k] + if k > 0 { t[k - 1] } else { 0 })
        && euler(&b2) == euler(&bq)
}

#[test]
fn forged_rational_betti_numbers_are_refused() {
    let files = Files::new("forged");
    let net = files.write("diamond.json", DIAMOND);
    let good = document(&net, &["--level", "0"]);
    let (code, text) = check(&files, &net, &good, &[]);
    assert_eq!(code, Some(0), "{text}");
    // the diamond over Q: the same numbers as over GF(2), no torsion (a closed form)
    assert_eq!(good["betti"]["rational"]["set"], json!({"betti": [1, 1], "two_torsion": [0, 0]}));
    for conv in ["set", "borel_moore", "one_point"] {
        let entry = &good["betti"]["rational"][conv];
        let b2 = &good["betti"][conv];
        if entry["betti"][0].as_u64() < Some(1) || entry["betti"][1].as_u64() < Some(1) {
            continue; // nothing to lower
        }
        let mut doc = good.clone();
        doc["betti"]["rational"][conv] = forged(entry);
        assert!(identities_hold(b2, &doc["betti"]["rational"][conv]), "the forgery keeps the identities");
        let (code, text) = check(&files, &net, &doc, &[]);
        assert_eq!(code, Some(1), "{conv}: {text}");
        assert!(text.contains(&format!("`betti.rational.{conv}.betti`")), "{conv}: {text}");
        assert!(text.contains(&format!("`betti.rational.{conv}.two_torsion`")), "{conv}: {text}");
    }
    // a decision region: y <= 0 is the closed diamond (b = (1, 0)); y >= 0 its outside, with
    // b(Q) = (1, 1) under the set convention
    let outside =
        good["components"].as_array().unwrap().iter().position(|r| r["region"] == "y_0 >= 0").unwrap();
    let entry = &good["components"][outside]["betti"]["rational"]["set"];
    assert_eq!(entry["betti"], json!([1, 1, 0]));
    let mut doc = good.clone();
    doc["components"][outside]["betti"]["rational"]["set"] = forged(entry);
    let (code, text) = check(&files, &net, &doc, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("components[y_0 >= 0].betti.rational.set.betti"), "{text}");
    // null where the poset orients the cells
    let mut doc = good.clone();
    doc["betti"]["rational"]["borel_moore"] = Value::Null;
    let (code, text) = check(&files, &net, &doc, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("`betti.rational.borel_moore` is null"), "{text}");
}

#[test]
fn where_the_poset_does_not_orient_the_document_says_null() {
    let files = Files::new("lines");
    let net = files.write("lines.json", LINES);
    let good = document(&net, &[]);
    // two parallel lines: b_0 = 2 (Borel-Moore: two open lines, b_1 = 2)
    assert_eq!(good["betti"]["borel_moore"], json!([0, 2]));
    let (code, text) = check(&files, &net, &good, &[]);
    assert_eq!(code, Some(0), "{text}");
    // the set convention, computed by the prover on a truncated complex, is checked on the
    // order complex of the listed faces: two lines, two points
    assert!(!text.contains("not checked"), "{text}");
    assert_eq!(good["betti"]["set"], json!([2, 0]));
    for (what, value) in [
        ("`betti.set`", json!([1, 0])),
        ("`betti.rational.set.betti`", json!({"betti": [1, 1], "two_torsion": [0, 0]})),
    ] {
        let mut doc = good.clone();
        if what == "`betti.set`" {
            doc["betti"]["set"] = value;
        } else {
            doc["betti"]["rational"]["set"] = value;
        }
        let (code, text) = check(&files, &net, &doc, &[]);
        assert_eq!(code, Some(1), "{what}: {text}");
        assert!(text.contains(what), "{what}: {text}");
    }
    // y <= 0 is the strip -1 <= x <= 1, cut by x = 0 into two strips: no ridge, no orientation
    let inside =
        good["components"].as_array().unwrap().iter().position(|r| r["region"] == "y_0 <= 0").unwrap();
    assert_eq!(good["components"][inside]["betti"]["rational"]["borel_moore"], Value::Null);
    let mut doc = good.clone();
    doc["components"][inside]["betti"]["rational"]["borel_moore"] =
        json!({"betti": [0, 0, 1], "two_torsion": [0, 0, 0]});
    let (code, text) = check(&files, &net, &doc, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("components[y_0 <= 0].betti.rational.borel_moore` is"), "{text}");
    assert!(text.contains("must be null"), "{text}");
    // the Borel-Moore numbers of the lines over Q are still recomputed: a forgery is refused
    let mut doc = good.clone();
    doc["betti"]["rational"]["borel_moore"] = json!({"betti": [0, 1], "two_torsion": [0, 1]});
    let (code, text) = check(&files, &net, &doc, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("`betti.rational.borel_moore.betti`"), "{text}");
}
