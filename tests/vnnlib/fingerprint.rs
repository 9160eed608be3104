//! Proofs bound to their network: `vnnlib --proof` records the exact network's fingerprint,
//! `check --property` refuses a proof for another network up front (exit 1, naming both
//! fingerprints, no leaf checked), accepts it for the same network (also read from another
//! file defining the same exact numbers), and still checks a proof without a fingerprint (as
//! written before it was recorded).

use super::strict::{check_cli, decide_cli, Scratch, SQUARE};
use crate::cli::fixtures::run_cli;
use relu_regions::network::json::{read_network, write_network};
use relu_regions::network::{load, nnet::Coords};
use std::path::PathBuf;

/// `SQUARE` stays in [0, 1]^2 on the unit square: `y0 + y1 >= 5/2` is out of reach.
const BOX: &str = "(declare-const X_0 Real)(declare-const X_1 Real)
    (declare-const Y_0 Real)(declare-const Y_1 Real)
    (assert (>= X_0 0))(assert (<= X_0 1))(assert (>= X_1 0))(assert (<= X_1 1))";

fn property() -> String {
    format!("{BOX}(assert (>= (+ Y_0 Y_1) 2.5))")
}

/// `SQUARE` with the weight from input 1 to the cutting neuron changed (1 to 1.0001): still
/// unsat, another exact network.
fn changed() -> String {
    SQUARE.replace("[1, -1]", "[1, \"-10001/10000\"]")
}

#[test]
fn a_proof_names_its_network_and_is_refused_for_a_network_with_one_weight_changed() {
    let dir = Scratch::new("fingerprint");
    let net = dir.write("net.json", SQUARE);
    let other = dir.write("other.json", &changed());
    assert_ne!(SQUARE, changed());
    let answer = decide_cli(&dir, &net, "p.vnnlib", &property());
    assert_eq!((answer.code, answer.result()), (Some(0), "unsat"), "{}", answer.stderr);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&answer.proof).unwrap()).unwrap();
    let own = read_network(SQUARE, "t").unwrap().fingerprint();
    let theirs = read_network(&changed(), "t").unwrap().fingerprint();
    assert_ne!(own, theirs);
    assert_eq!(doc["network"], own.as_str(), "the proof names the network it was made for");
    let prop = dir.0.join("p.vnnlib").to_str().unwrap().to_string();
    // the same network: accepted
    let (code, out) = check_cli(&net, &answer.proof, &prop);
    assert_eq!(code, Some(0), "{out}");
    // the same exact network from another file (our JSON writer's form of it): accepted
    let rewritten = dir.write("rewritten.json", &write_network(&read_network(SQUARE, "t").unwrap()));
    assert_eq!(check_cli(&rewritten, &answer.proof, &prop).0, Some(0));
    // one weight changed: refused before any leaf, naming both fingerprints
    let (code, out) = check_cli(&other, &answer.proof, &prop);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("made for another network"), "{out}");
    assert!(out.contains(&own) && out.contains(&theirs), "{out}");
    assert!(!out.contains("leaf"), "no leaf was checked: {out}");
    // the other network's own proof is accepted for it and refused for the first
    let second = decide_cli(&dir, &other, "q.vnnlib", &property());
    assert_eq!(second.result(), "unsat");
    let q = dir.0.join("q.vnnlib").to_str().unwrap().to_string();
    assert_eq!(check_cli(&other, &second.proof, &q).0, Some(0));
    assert_eq!(check_cli(&net, &second.proof, &q).0, Some(1));
}

#[test]
fn a_proof_without_a_fingerprint_still_checks_and_a_malformed_one_is_refused() {
    let dir = Scratch::new("fingerprint-old");
    let net = dir.write("net.json", SQUARE);
    let answer = decide_cli(&dir, &net, "p.vnnlib", &property());
    assert_eq!(answer.result(), "unsat");
    let prop = dir.0.join("p.vnnlib").to_str().unwrap().to_string();
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&answer.proof).unwrap()).unwrap();
    // as written before the fingerprint was recorded
    doc.as_object_mut().unwrap().remove("network");
    let old = dir.write("old.proof.json", &doc.to_string());
    let (code, out) = check_cli(&net, &old, &prop);
    assert_eq!(code, Some(0), "{out}");
    // a fingerprint that is not a string
    doc["network"] = serde_json::json!(7);
    let bad = dir.write("bad.proof.json", &doc.to_string());
    let (code, out) = check_cli(&net, &bad, &prop);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("\"network\" is not a string"), "{out}");
    // an edited fingerprint: refused
    doc["network"] = serde_json::json!(format!("sha256:{}", "0".repeat(64)));
    let edited = dir.write("edited.proof.json", &doc.to_string());
    assert_eq!(check_cli(&net, &edited, &prop).0, Some(1));
}

fn acas() -> PathBuf {
    crate::support::fixture("nnet/ACASXU_run2a_1_1_batch_2000.nnet")
}

#[test]
fn the_fingerprint_follows_the_exact_function_not_the_file() {
    // the coordinates a .nnet file is read in change its layers, hence the fingerprint
    let raw = load(&acas(), None, Coords::Raw).unwrap();
    let normalized = load(&acas(), None, Coords::Normalized).unwrap();
    assert_ne!(raw.fingerprint(), normalized.fingerprint());
    // `convert --to json` writes the same exact network: the same fingerprint
    let out = run_cli(&["convert", acas().to_str().unwrap(), "--to", "json", "--coords", "normalized"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let converted = read_network(std::str::from_utf8(&out.stdout).unwrap(), "c").unwrap();
    assert_eq!(converted.fingerprint(), normalized.fingerprint());
    // the domain is not part of it
    let whole = read_network(SQUARE, "t").unwrap();
    let q = relu_regions::exact::num::q;
    let on_box = whole.with_domain(relu_regions::Domain::Box(vec![(q(0), q(1)), (q(0), q(1))])).unwrap();
    assert_eq!(whole.fingerprint(), on_box.fingerprint());
    // every weight and bias takes part: each changed alone changes it
    let base = read_network(SQUARE, "t").unwrap().fingerprint();
    for (from, to) in [
        ("[1, 0], [0, 1]", "[1, 0], [0, 2]"),
        ("[0, 0, 0]", "[0, 0, \"1/3\"]"),
        ("\"bias\": [0, 0], \"activation\": \"linear", "\"bias\": [0, -1], \"activation\": \"linear"),
    ] {
        let text = SQUARE.replacen(from, to, 1);
        assert_ne!(text, SQUARE, "{from}");
        assert_ne!(read_network(&text, "t").unwrap().fingerprint(), base, "{from} -> {to}");
    }
}
