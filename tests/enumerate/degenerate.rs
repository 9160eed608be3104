//! Degenerate networks: the normal case, not an edge case.

use crate::support::*;
use relu_regions::exact::num::q;
use relu_regions::network::Domain;
use relu_regions::Backend;

fn count(text: &str) -> usize {
    run(&net(text)).regions().len()
}

#[test]
fn concurrent_lines_through_one_point() {
    // 4 distinct lines through the origin: 8 sectors.
    let text = r#"{"input_dim": 2, "layers": [
        {"weights": [[1, 0], [0, 1], [1, 1], [1, -2]], "activation": "relu"},
        {"weights": [[1, 1, 1, 1]], "activation": "linear"}]}"#;
    assert_eq!(count(text), 8);
}

#[test]
fn duplicate_and_scaled_neurons_add_nothing() {
    let text = r#"{"input_dim": 2, "layers": [
        {"weights": [[1, 1], [1, 1], ["3", "3"], ["1/2", "1/2"]], "activation": "relu"},
        {"weights": [[1, 1, 1, 1]], "activation": "linear"}]}"#;
    let a = run(&net(text));
    assert_eq!(a.regions().len(), 2);
    assert_eq!(a.edges(), 1);
    // the one facet names all four coinciding neurons
    assert_eq!(a.facets()[0].len(), 1);
    assert_eq!(a.facets()[0][0].constraints.len(), 1, "only the first neuron cuts; the others never split");
}

#[test]
fn opposite_neurons_share_a_hyperplane() {
    // the tiny Marabou network: neuron 2 = -neuron 1, so the all-off pattern is only a line
    let text = r#"{"input_dim": 2, "layers": [
        {"weights": [[1, 1], [-1, -1]], "activation": "relu"},
        {"weights": [[2, -1], [-1, 1], [1, -1]], "activation": "linear"}]}"#;
    let a = run(&net(text));
    assert_eq!(a.regions().len(), 2);
    let patterns: Vec<String> = a.regions().iter().map(|r| r.pattern_strings().join("|")).collect();
    assert_eq!(patterns, vec!["01", "10"]);
}

#[test]
fn parallel_neurons() {
    let text = r#"{"input_dim": 2, "layers": [
        {"weights": [[1, 0], [1, 0], [2, 0]], "bias": [0, -1, "-4"], "activation": "relu"},
        {"weights": [[1, 1, 1]], "activation": "linear"}]}"#;
    assert_eq!(count(text), 4);
}

#[test]
fn all_zero_neurons_never_split() {
    let text = r#"{"input_dim": 2, "layers": [
        {"weights": [[0, 0], [0, 0], [1, 0]], "bias": [0, 5, 0], "activation": "relu"},
        {"weights": [[1, 1, 1]], "activation": "linear"}]}"#;
    let a = run(&net(text));
    assert_eq!(a.regions().len(), 2);
    for r in a.regions() {
        assert!(!r.pattern()[0][0], "a neuron identically zero is off");
        assert!(r.pattern()[0][1], "a constant positive neuron is on");
    }
}

#[test]
fn neuron_identically_zero_on_a_region_does_not_split_it() {
    // layer 2 neuron = relu(x) - relu(x) ... zero where relu(x) = 0, and relu(x) - 0 elsewhere
    let text = r#"{"input_dim": 1, "layers": [
        {"weights": [[1]], "activation": "relu"},
        {"weights": [[1], [-1], [0]], "activation": "relu"},
        {"weights": [[1, 1, 1]], "activation": "linear"}]}"#;
    let a = run(&net(text));
    let patterns: Vec<String> = a.regions().iter().map(|r| r.pattern_strings().join("|")).collect();
    assert_eq!(patterns, vec!["0|000", "1|100"]);
}

#[test]
fn sliver_regions_one_picometre_wide() {
    // x = 0 and x = 1e-12 in 1-D, and their 2-D analogue: offsets differ by 1e-12
    let one_d = r#"{"input_dim": 1, "layers": [
        {"weights": [[1], [1]], "bias": [0, "-1e-12"], "activation": "relu"},
        {"weights": [[1, 1]], "activation": "linear"}]}"#;
    assert_eq!(count(one_d), 3);
    let two_d = r#"{"input_dim": 2, "layers": [
        {"weights": [[1, 1], [1, 1], [1, -1]], "bias": [0, "1e-12", 0], "activation": "relu"},
        {"weights": [[1, 2, 3]], "activation": "linear"}],
        "domain": {"box": [["-1", "1"], ["-1", "1"]]}}"#;
    let a = run(&net(two_d));
    assert_eq!(a.regions().len(), 6);
    for backend in [Backend::GoodLp, Backend::ExactOnly] {
        assert_eq!(analyze_with(&net(two_d), backend).regions().len(), 6, "{backend:?}");
    }
}

#[test]
fn thirds_and_sevenths_meet_exactly() {
    // x/3 + y/7 = 1/21, x = 1/7 ... three lines through (1/7, -4/21 * 7/...) chosen concurrent
    // lines: x = 1/7, y = 1/3, x/3 + y/7 = 1/21 + 1/21 = 2/21 all pass through (1/7, 1/3)
    let text = r#"{"input_dim": 2, "layers": [
        {"weights": [[1, 0], [0, 1], ["1/3", "1/7"]], "bias": ["-1/7", "-1/3", "-2/21"], "activation": "relu"},
        {"weights": [[1, 1, 1]], "activation": "linear"}]}"#;
    assert_eq!(count(text), 6, "concurrent: 6 regions, not 7");
}

#[test]
fn decimals_meet_only_exactly() {
    // x = 0.1, y = 0.2, x + y = 0.3 are concurrent in exact arithmetic (not in binary floats)
    let text = r#"{"input_dim": 2, "layers": [
        {"weights": [[1, 0], [0, 1], [1, 1]], "bias": [-0.1, -0.2, -0.3], "activation": "relu"},
        {"weights": [[1, 1, 1]], "activation": "linear"}]}"#;
    assert_eq!(count(text), 6);
    // and with 0.30000000000000004 they are not: a tiny seventh triangle appears
    let off = text.replace("-0.3]", "-0.30000000000000004]");
    assert_eq!(count(&off), 7);
}

#[test]
fn empty_box_corner_and_polytope_domain() {
    // a polytope domain: the triangle x >= 0, y >= 0, x + y <= 1 cut by x = y
    let planes = vec![(vec![q(1), q(-1)], q(0))];
    let domain = Domain::Polytope {
        a: vec![vec![q(-1), q(0)], vec![q(0), q(-1)], vec![q(1), q(1)]],
        b: vec![q(0), q(0), q(1)],
    };
    let a = run(&arrangement(2, planes.clone(), domain));
    assert_eq!((a.regions().len(), a.bounded(), a.edges()), (2, 2, 1));
    // a hyperplane that misses the box entirely
    let far = vec![(vec![q(1), q(0)], q(-5))];
    let boxed = Domain::Box(vec![(q(-1), q(1)), (q(-1), q(1))]);
    assert_eq!(run(&arrangement(2, far, boxed)).regions().len(), 1);
}
