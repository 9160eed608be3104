//! `locate`: a point is on a boundary only where regions of different patterns meet, whatever
//! the zero preactivations there (a neuron identically zero on a region, a hyperplane touching
//! the domain only at its edge); the regions listed are exactly those whose closure holds the
//! point, checked against brute force (the exact patterns of the points around it) and the
//! full enumeration.

use crate::cli::fixtures::run_cli;
use crate::support::net;
use proptest::prelude::*;
use relu_regions::analysis::analyze;
use relu_regions::enumerate::NeuronId;
use relu_regions::exact::num::{parse_rational, q, Q};
use relu_regions::network::{Activation, Domain, Layer, Network, Pattern, Weights};
use relu_regions::queries::locate::locate;
use relu_regions::Enumerator;
use std::collections::BTreeSet;

fn point(s: &str) -> Vec<Q> {
    s.split(',').map(|v| parse_rational(v).unwrap()).collect()
}

/// relu(x - y), a neuron with zero weights and bias, relu(x + y - 1); then a layer whose first
/// neuron reads only those three (zero wherever they are all off) and whose second is
/// relu(-x0 + x2 - 1); on the box [-2, 2]^2.
const DEAD: &str = r#"{"input_dim": 2, "layers": [
    {"weights": [["1", "-1"], ["0", "0"], ["1", "1"]], "bias": ["0", "0", "-1"], "activation": "relu"},
    {"weights": [["1", "1", "1"], ["-1", "0", "1"]], "bias": ["0", "-1"], "activation": "relu"},
    {"weights": [["1", "2"]], "activation": "linear"}],
    "domain": {"box": [["-2", "2"], ["-2", "2"]]}}"#;

fn locate_json(net_text: &str, at: &str) -> serde_json::Value {
    let dir = std::env::temp_dir().join(format!("relu-regions-locate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("net-{:x}.json", md5ish(net_text)));
    std::fs::write(&file, net_text).unwrap();
    let out = run_cli(&["locate", file.to_str().unwrap(), "--point", at, "--json"]);
    assert!(out.status.success(), "{at}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn md5ish(s: &str) -> u64 {
    s.bytes().fold(1469598103934665603u64, |h, b| (h ^ u64::from(b)).wrapping_mul(1099511628211))
}

fn split_by(v: &serde_json::Value) -> Vec<(u64, u64)> {
    v["split_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["layer"].as_u64().unwrap(), n["index"].as_u64().unwrap()))
        .collect()
}

#[test]
fn neurons_zero_on_a_whole_region_are_no_boundary() {
    // (-1, 1/2): neuron L0.1 is zero everywhere, and L1.0 is zero on the whole region where
    // layer 0 is off; the point is inside that one region
    let v = locate_json(DEAD, "-1,1/2");
    assert_eq!((v["on_boundary"].as_bool(), v["on_domain_boundary"].as_bool()), (Some(false), Some(false)));
    assert_eq!(v["regions"].as_array().unwrap().len(), 1);
    assert!(split_by(&v).is_empty());
    // the text says so too
    let dir = std::env::temp_dir().join(format!("relu-regions-locate-{}", std::process::id()));
    let file = dir.join(format!("net-{:x}.json", md5ish(DEAD)));
    let out = run_cli(&["locate", file.to_str().unwrap(), "--point", "-1,1/2"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("the point lies inside one region\n"));
    // (1, 0): on relu(x + y - 1)'s hyperplane, which splits there; the dead neuron is zero too
    let v = locate_json(DEAD, "1,0");
    assert_eq!(v["on_boundary"], true);
    assert_eq!(v["regions"].as_array().unwrap().len(), 2);
    assert_eq!(split_by(&v), [(0, 2)]);
    // (0, 0): relu(x - y) splits, and with it L1.0 (zero where layer 0 is off)
    let v = locate_json(DEAD, "0,0");
    assert_eq!(v["regions"].as_array().unwrap().len(), 2);
    assert_eq!(split_by(&v), [(0, 0), (1, 0)]);
}

#[test]
fn duplicated_neurons_split_together_and_a_point_exactly_on_a_hyperplane_is_a_boundary() {
    let twins = r#"{"input_dim": 2, "layers": [
        {"weights": [["1", "-1"], ["1", "-1"], ["2", "-2"]], "bias": ["0", "0", "0"], "activation": "relu"},
        {"weights": [["1", "1", "1"]], "activation": "linear"}]}"#;
    // exactly on the shared hyperplane x = y, at a point with thirds
    let v = locate_json(twins, "1/3,1/3");
    assert_eq!(v["on_boundary"], true);
    let regions = v["regions"].as_array().unwrap();
    let patterns: BTreeSet<&str> = regions.iter().map(|r| r["pattern"][0].as_str().unwrap()).collect();
    assert_eq!(patterns, BTreeSet::from(["000", "111"]));
    assert_eq!(split_by(&v), [(0, 0), (0, 1), (0, 2)]);
    // off it: one region
    let v = locate_json(twins, "1/3,1/4");
    assert_eq!((v["on_boundary"].as_bool(), v["regions"].as_array().unwrap().len()), (Some(false), 1));
}

#[test]
fn the_domain_boundary_alone_is_no_boundary_between_regions() {
    // on [0, 1]^2, x + y = 0 meets the box only at its corner: one region there
    let corner = r#"{"input_dim": 2, "layers": [
        {"weights": [["1", "1"], ["1", "-1"]], "activation": "relu"},
        {"weights": [["1", "1"]], "activation": "linear"}],
        "domain": {"box": [["0", "1"], ["0", "1"]]}}"#;
    let v = locate_json(corner, "1,1/2");
    assert_eq!((v["on_boundary"].as_bool(), v["on_domain_boundary"].as_bool()), (Some(false), Some(true)));
    assert_eq!(v["regions"].as_array().unwrap().len(), 1);
    // at the corner x - y = 0 splits the box: two regions, on the domain's boundary too
    let v = locate_json(corner, "0,0");
    assert_eq!((v["on_boundary"].as_bool(), v["on_domain_boundary"].as_bool()), (Some(true), Some(true)));
    assert_eq!(v["regions"].as_array().unwrap().len(), 2);
    assert_eq!(split_by(&v), [(0, 1)]);
    // outside the domain, or in the wrong dimension: refused
    let dir = std::env::temp_dir().join(format!("relu-regions-locate-{}", std::process::id()));
    let file = dir.join(format!("net-{:x}.json", md5ish(corner)));
    for (at, what) in
        [("2,0", "outside the domain"), ("-1/1000,0", "outside the domain"), ("0,0,0", "3 coordinates")]
    {
        let out = run_cli(&["locate", file.to_str().unwrap(), "--point", at]);
        assert_eq!(out.status.code(), Some(2), "{at}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(what), "{at}");
    }
}

/// Directions in which no hyperplane with small integer normal through a point lies (`a . n =
/// 0` needs `|a| >= 7`).
fn generic_directions() -> Vec<Vec<Q>> {
    let seventh = Q::new(1.into(), 7.into());
    let mut out = Vec::new();
    for (sx, sy) in [(1, 1), (1, -1), (-1, 1), (-1, -1)] {
        out.push(vec![q(sx), &seventh * q(sy)]);
        out.push(vec![&seventh * q(sx), q(sy)]);
    }
    out
}

/// Checks `locate` at `x` against brute force and the full enumeration `all`.
fn check_point(net: &Network, all: &relu_regions::analysis::Analysis, x: &[Q]) -> Result<(), TestCaseError> {
    let e = Enumerator::builder().build();
    let location = locate(net, x, &e).unwrap();
    let listed: BTreeSet<Pattern> = location.regions.iter().map(|r| r.pattern().clone()).collect();
    prop_assert_eq!(listed.len(), location.regions.len());
    // each listed region: its point inside with its pattern and map, and x in its closure
    // (the pattern just off x towards its point is its own)
    for r in &location.regions {
        let (pattern, y) = net.evaluate(r.point());
        prop_assert_eq!(&pattern, r.pattern());
        prop_assert_eq!(r.map().apply(r.point()), y);
        let towards: Vec<Q> = r.point().iter().zip(x).map(|(p, v)| p - v).collect();
        prop_assert_eq!(&net.pattern_towards(x, &towards), r.pattern());
    }
    // brute force: the pattern just off x in each generic direction into the domain is listed
    let Domain::Box(bounds) = net.domain() else { unreachable!() };
    for n in generic_directions() {
        let inside = bounds
            .iter()
            .zip(x)
            .zip(&n)
            .all(|(((lo, hi), v), d)| !(v == lo && *d < q(0) || v == hi && *d > q(0)));
        if inside {
            prop_assert!(listed.contains(&net.pattern_towards(x, &n)), "direction {:?}", n);
        }
    }
    // the full enumeration: exactly the regions whose closure holds x
    let closure: BTreeSet<Pattern> = all
        .regions()
        .iter()
        .filter(|r| r.halfspaces().iter().all(|h| h.slack(x) >= q(0)))
        .map(|r| r.pattern().clone())
        .collect();
    prop_assert_eq!(&listed, &closure);
    prop_assert_eq!(location.on_boundary, listed.len() > 1);
    let on_face = bounds.iter().zip(x).any(|((lo, hi), v)| v == lo || v == hi);
    prop_assert_eq!(location.on_domain_boundary, on_face);
    // the neurons that split: those whose states differ among the listed regions
    let stateful: Vec<usize> = net.relu_layers().collect();
    let mut differ = Vec::new();
    for (k, &layer) in stateful.iter().enumerate() {
        for i in 0..net.layers()[layer].width() {
            if listed.iter().any(|p| p[k][i] != location.regions[0].pattern()[k][i]) {
                differ.push(NeuronId { layer, index: i });
            }
        }
    }
    prop_assert_eq!(&location.split_by, &differ);
    Ok(())
}

/// A network of two relu layers of 3 with weights and biases in {-1, 0, 1} (zero rows, dead
/// neurons and duplicates are common) on [-2, 2]^2.
fn small_net(params: &[i64]) -> Network {
    let mut it = params.iter().map(|&v| q(v));
    let mut take = |n: usize| -> Vec<Q> { (0..n).map(|_| it.next().unwrap()).collect() };
    let mut layers = Vec::new();
    let mut input = 2;
    for _ in 0..2 {
        let weights = Weights::dense((0..3).map(|_| take(input)).collect()).unwrap();
        layers.push(Layer { weights, bias: take(3), activation: Activation::Relu });
        input = 3;
    }
    layers.push(Layer {
        weights: Weights::dense(vec![take(3)]).unwrap(),
        bias: vec![q(0)],
        activation: Activation::Linear,
    });
    Network::new(2, layers, Domain::Box(vec![(q(-2), q(2)), (q(-2), q(2))])).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn locate_agrees_with_brute_force_on_grid_points(params in prop::collection::vec(-1i64..=1, 2 * 3 + 3 + 3 * 3 + 3 + 3)) {
        let net = small_net(&params);
        let all = analyze(&net, &Enumerator::builder().build()).unwrap();
        // the grid of step 1/2: most points lie on some hyperplane, many on several
        for i in -4..=4i64 {
            for j in -4..=4i64 {
                let x = vec![Q::new(i.into(), 2.into()), Q::new(j.into(), 2.into())];
                check_point(&net, &all, &x)?;
            }
        }
    }
}

#[test]
fn the_library_reports_what_the_cli_prints() {
    let n = net(DEAD);
    let location = locate(&n, &point("-1,1/2"), &Enumerator::builder().build()).unwrap();
    assert!(!location.on_boundary && !location.on_domain_boundary && location.split_by.is_empty());
    assert_eq!(location.regions.len(), 1);
}
