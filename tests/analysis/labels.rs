//! Issue 35: `regions --json` labels the facets it certifies from their own classes of
//! constraints (with a float pass bounded by a proved error where the enumeration did not prove
//! every other neuron nonzero on the region's closure) instead of an exact pass through the
//! network at every facet point. The streamed job's document must be, byte for byte, the held
//! analysis's document, whose labels come from the exact pass alone (`export::labels`), on random
//! networks and on degenerate ones: duplicated, scaled and opposite neurons, neurons on the
//! box's faces, a neuron that is identically zero, a relu of a relu (zero on a whole region, so
//! its state is not strict there), a polytope domain with an all-zero row (its labels are
//! positions among the nonzero rows), and max units (the exact pass).

use crate::support::{net, run};
use relu_regions::exact::num::q;
use relu_regions::export::json;
use relu_regions::network::{Domain, Network};

/// The streamed `regions --json` job's text, checked against the held analysis's document.
fn assert_streamed_is_exact(network: &Network, what: &str) {
    let stop = relu_regions::jobs::StopToken::new(None, None);
    let a = run(network);
    for threads in [1, 2] {
        let e = relu_regions::Enumerator::builder().threads(threads).build();
        let mut out = Vec::new();
        let (summary, written) =
            relu_regions::jobs::write_regions_json(network, &e, None, None, &stop, &mut out).unwrap();
        assert!(summary.complete() && written.is_ok(), "{what}");
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            json::to_json(&json::regions_document(network, &a, None)),
            "{what}, {threads} thread(s)"
        );
    }
}

/// Every labelled facet of the held document: (neurons, domain rows) per inequality.
fn labels(network: &Network) -> Vec<serde_json::Value> {
    let doc = json::regions_document(network, &run(network), None);
    doc["regions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["inequalities"].as_array().unwrap().clone())
        .map(|i| serde_json::json!([i["neurons"], i["domain_rows"]]))
        .collect()
}

#[test]
fn certified_labels_agree_with_the_exact_pass_on_random_networks() {
    let mut rng = crate::enumerate::invariants::Rng::new(35);
    for dim in 1..=3 {
        for widths in [&[4][..], &[3, 3], &[4, 3, 2]] {
            let boxed = Domain::Box((0..dim).map(|_| (q(-2), q(2))).collect());
            let net = crate::enumerate::invariants::random_net(&mut rng, dim, widths, boxed);
            assert_streamed_is_exact(&net, &format!("box, dim {dim}, widths {widths:?}"));
            let whole = crate::enumerate::invariants::random_net(&mut rng, dim, widths, Domain::Whole);
            assert_streamed_is_exact(&whole, &format!("R^{dim}, widths {widths:?}"));
        }
    }
}

#[test]
fn certified_labels_agree_with_the_exact_pass_on_degenerate_networks() {
    let cases = [
        // x, 2x and -x + 0 share one hyperplane (one cuts, all are tight); y - 1 is the box's face
        (
            "duplicates and a box face",
            r#"{"input_dim": 2, "domain": {"box": [["-1", "1"], ["-1", "1"]]}, "layers": [
            {"weights": [[1, 0], [2, 0], [-1, 0], [0, 1], [0, 0]], "bias": [0, 0, 0, -1, 0], "activation": "relu"},
            {"weights": [[1, 1, 1, 1, 1]], "activation": "linear"}]}"#,
        ),
        // relu(relu(x)) - the second neuron is zero on all of x < 0; and relu(x + y) after it
        (
            "a relu of a relu",
            r#"{"input_dim": 2, "domain": {"box": [["-1", "1"], ["-1", "1"]]}, "layers": [
            {"weights": [[1, 0], [0, 1]], "activation": "relu"},
            {"weights": [[1, 0], [1, 1], [0, 0]], "bias": [0, "-1/2", 0], "activation": "relu"},
            {"weights": [[1, -1, 1]], "activation": "linear"}]}"#,
        ),
        // on all of R^2, the relu of a relu and an opposite pair
        (
            "R^2, a relu of a relu",
            r#"{"input_dim": 2, "layers": [
            {"weights": [[1, -1], [-1, 1], [1, 1]], "activation": "relu"},
            {"weights": [[1, 0, 0], [0, 0, 1]], "activation": "relu"},
            {"weights": [[1, 1]], "activation": "linear"}]}"#,
        ),
        // a triangle given with an all-zero row first: its labels are positions among the
        // nonzero rows
        (
            "a polytope with a zero row",
            r#"{"input_dim": 2, "domain": {"polytope": {"A": [[0, 0], [-1, 0], [0, -1], [1, 1]], "b": [1, 0, 0, 1]}},
            "layers": [{"weights": [[1, -1], [1, 0]], "bias": [0, "-1/2"], "activation": "relu"},
            {"weights": [[1, 1]], "activation": "linear"}]}"#,
        ),
        // max units: their cells are labelled by the exact pass
        (
            "max units",
            r#"{"input_dim": 2, "domain": {"box": [["-1", "1"], ["-1", "1"]]}, "layers": [
            {"weights": [[1, 0], [-1, 0], [0, 1], [0, -1]], "activation": "max", "pieces": 4},
            {"weights": [[1, 1, 1, 1]], "bias": ["-1/2"], "activation": "relu"},
            {"weights": [[1]], "activation": "linear"}]}"#,
        ),
    ];
    for (what, text) in cases {
        assert_streamed_is_exact(&net(text), what);
    }
    // the cases exercise what they claim: three neurons tight on x = 0, a domain row's label
    // shifted past the zero row
    let dup = labels(&net(cases[0].1));
    assert!(dup.iter().any(|l| l[0].as_array().is_some_and(|n| n.len() == 3)), "{dup:?}");
    let tri = labels(&net(cases[3].1));
    assert!(tri.iter().any(|l| l[1] == serde_json::json!([2])), "{tri:?}");
    assert!(tri.iter().all(|l| l[1].as_array().is_none_or(|rows| rows.iter().all(|k| k.as_u64() < Some(3)))));
}
