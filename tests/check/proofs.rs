//! Issue 35 point 5: `unsat` proofs of ACAS Xu properties, whose trees fix most neurons without
//! a split (the checker proves each constant on its cell, first over the box in integers) and
//! prune most cells (refuted by the symbolic bounds or an implied row): the checker accepts
//! the prover's proof and refuses each kind of forgery.

use crate::support::*;
use relu_regions::check::proof::check_proof;
use relu_regions::network::nnet::{read_nnet, Coords};
use relu_regions::network::vnnlib::read_vnnlib;
use relu_regions::queries::property::{decide, Verdict};
use relu_regions::Enumerator;
use serde_json::Value;

/// VNN-COMP's ACAS Xu property 3 box with `X_3` and `X_4` narrowed to `[0.48, 0.5]`, and
/// `unsafe` as its output assertions ("COC is minimal" for property 3).
fn acas_property(unsafe_set: &str) -> relu_regions::network::vnnlib::Property {
    let mut text = String::new();
    for i in 0..5 {
        text += &format!("(declare-const X_{i} Real)\n");
    }
    for j in 0..5 {
        text += &format!("(declare-const Y_{j} Real)\n");
    }
    let bounds = [
        ("-0.303531156", "-0.298552812"),
        ("-0.009549297", "0.009549297"),
        ("0.493380324", "0.5"),
        ("0.48", "0.5"),
        ("0.48", "0.5"),
    ];
    for (i, (lo, hi)) in bounds.iter().enumerate() {
        text += &format!("(assert (>= X_{i} {lo}))\n(assert (<= X_{i} {hi}))\n");
    }
    read_vnnlib(&format!("{text}{unsafe_set}"), "acas-prop3-narrow.vnnlib", 5, 5).unwrap()
}

const COC_MINIMAL: &str =
    "(assert (<= Y_0 Y_1))(assert (<= Y_0 Y_2))(assert (<= Y_0 Y_3))(assert (<= Y_0 Y_4))";

fn acas() -> relu_regions::network::Network {
    let text = std::fs::read_to_string(fixture("nnet/ACASXU_run2a_1_1_batch_2000.nnet")).unwrap();
    read_nnet(&text, "ACASXU_run2a_1_1_batch_2000.nnet", Coords::Normalized).unwrap()
}

/// The leaves' flattened states.
fn flat(doc: &Value) -> Vec<String> {
    let leaves = doc["leaves"].as_array().unwrap();
    leaves
        .iter()
        .map(|l| l["states"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect())
        .collect()
}

/// Rewrites the states of every leaf with `edit` on its flattened states (kept in layers of 50).
fn edit_states(doc: &Value, mut edit: impl FnMut(&mut Vec<u8>)) -> Value {
    let mut forged = doc.clone();
    for leaf in forged["leaves"].as_array_mut().unwrap() {
        let mut bits: Vec<u8> =
            leaf["states"].as_array().unwrap().iter().flat_map(|s| s.as_str().unwrap().bytes()).collect();
        edit(&mut bits);
        let layers: Vec<Value> =
            bits.chunks(50).map(|c| Value::String(String::from_utf8(c.to_vec()).unwrap())).collect();
        leaf["states"] = Value::Array(layers);
    }
    forged
}

#[test]
fn acas_xu_proofs_are_accepted_and_forgeries_refused() {
    let net = acas();
    let property = acas_property(COC_MINIMAL);
    let decision = decide(&net, &property, &Enumerator::builder().threads(2).build()).unwrap();
    assert_eq!(decision.verdict, Verdict::Unsat);
    assert!(decision.subtrees_pruned > 0, "{decision:?}");
    let doc = decision.proof.expect("an unsat answer has a proof").to_json();
    let report = check_proof(&net, &property, &doc);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.regions, doc["leaves"].as_array().unwrap().len());
    let refused = |forged: &Value, what: &str| {
        assert!(!check_proof(&net, &property, forged).failures.is_empty(), "{what} was accepted");
    };

    // the neurons every leaf fixes the same way (no split): each is constant on the box, so
    // flipping one in every leaf claims the state it never has
    let states = flat(&doc);
    let shortest = states.iter().map(String::len).min().unwrap();
    let unsplit: Vec<usize> = (0..shortest)
        .filter(|&i| states.iter().all(|s| s.as_bytes()[i] == states[0].as_bytes()[i]))
        .collect();
    assert!(!unsplit.is_empty(), "the box fixes some first-layer neurons");
    for &i in unsplit.iter().take(3) {
        refused(
            &edit_states(&doc, |bits| bits[i] = if bits[i] == b'1' { b'0' } else { b'1' }),
            "a flipped state",
        );
    }
    // a missing leaf leaves part of the box uncovered
    let n = doc["leaves"].as_array().unwrap().len();
    for k in [0, n / 2, n - 1] {
        let mut forged = doc.clone();
        forged["leaves"].as_array_mut().unwrap().remove(k);
        refused(&forged, "a proof without a leaf");
    }
    // a pruned leaf passed off as a region does not fix every neuron
    let leaves = doc["leaves"].as_array().unwrap();
    let pruned = leaves.iter().position(|l| l["pruned"] == true).expect("a pruned leaf");
    let mut forged = doc.clone();
    forged["leaves"][pruned]["pruned"] = Value::Bool(false);
    refused(&forged, "a pruned leaf as a region");
    // a pruned leaf's box narrowed to one side of its first input no longer contains its cell
    if let Some(k) = leaves.iter().position(|l| l.get("box").is_some()) {
        let mut forged = doc.clone();
        let lo = forged["leaves"][k]["box"][0][0].clone();
        forged["leaves"][k]["box"][0][1] = lo;
        refused(&forged, "a shrunk box");
    }
    // the same leaves prove nothing of a property the network violates on the box
    let anywhere = acas_property("(assert (<= Y_0 1000))");
    assert!(matches!(
        decide(&net, &anywhere, &Enumerator::builder().build()).unwrap().verdict,
        Verdict::Sat { .. }
    ));
    assert!(!check_proof(&net, &anywhere, &doc).failures.is_empty());
}
