//! Issue 11: exactness across the whole float range. Networks whose numbers have subnormal or
//! underflowing float images, next to huge partners, must give the exact answer on every path,
//! and the float-free reference (`--lp exact`) must agree with the default path.

use crate::cli::fixtures::run_cli;
use crate::support::*;
use proptest::prelude::*;
use relu_regions::exact::num::{parse_rational, Q};
use relu_regions::network::json::read_network;
use relu_regions::network::{Domain, Layer, Network};
use relu_regions::Backend;

/// Regions, edges, pieces and bounded regions of a network.
fn counts(net: &Network, backend: Backend) -> (usize, usize, usize, usize) {
    let a = analyze_with(net, backend);
    assert!(a.summary().complete());
    (a.regions().len(), a.edges(), a.graph().pieces(), a.bounded())
}

fn issue_fixture(name: &str) -> Network {
    let path = fixture(&format!("issue-11/{name}.json"));
    read_network(&std::fs::read_to_string(&path).unwrap(), &path.display().to_string()).unwrap()
}

/// A: `1e308 x0 + x1` on a box whose first side has images 0; the interval bound used to prove
/// a false "no split".
#[test]
fn r11_underflowing_box_splits() {
    let net = issue_fixture("underflowing-box");
    for backend in [Backend::FloatSimplex, Backend::ExactOnly] {
        assert_eq!(counts(&net, backend), (2, 1, 2, 2), "{backend:?}");
    }
}

/// B: a subnormal weight in the second layer; the neighbour pass used to lose the neighbour and
/// drop the edge silently.
#[test]
fn r11_subnormal_weight_keeps_its_edge() {
    let net = issue_fixture("subnormal-neighbour");
    for backend in [Backend::FloatSimplex, Backend::ExactOnly] {
        assert_eq!(counts(&net, backend), (2, 1, 1, 0), "{backend:?}");
    }
}

/// C: a polytope row with a subnormal coefficient; the exact LP point used to fail a float
/// check and panic.
#[test]
fn r11_subnormal_polytope_row_is_no_panic() {
    let net = issue_fixture("subnormal-polytope");
    for backend in [Backend::FloatSimplex, Backend::ExactOnly] {
        assert_eq!(counts(&net, backend), (1, 0, 1, 1), "{backend:?}");
    }
    let out = run_cli(&["count", fixture("issue-11/subnormal-polytope.json").to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A number `m * 10^e` with `e` across the float range's edges (images subnormal, 0 or huge).
fn extreme() -> impl Strategy<Value = Q> {
    (-9i64..=9, prop_oneof![-330i32..=-300, -30i32..=30, 280i32..=300])
        .prop_map(|(m, e)| parse_rational(&format!("{m}e{e}")).unwrap())
}

/// A 2-input, 2-2-1 network with extreme weights and biases, on a box or a triangle.
fn extreme_net() -> impl Strategy<Value = Network> {
    let layer = |rows: usize, cols: usize| {
        (
            prop::collection::vec(prop::collection::vec(extreme(), cols), rows),
            prop::collection::vec(extreme(), rows),
        )
    };
    let side = prop_oneof![Just("1".to_string()), Just("1e-320".to_string()), Just("1e300".to_string())];
    (layer(2, 2), layer(2, 2), side, any::<bool>()).prop_map(|((w1, b1), (w2, b2), side, triangle)| {
        let s = parse_rational(&side).unwrap();
        let domain = if triangle {
            Domain::Polytope {
                a: vec![
                    vec![-Q::from_integer(1.into()), Q::from_integer(0.into())],
                    vec![Q::from_integer(0.into()), -Q::from_integer(1.into())],
                    vec![Q::from_integer(1.into()), Q::from_integer(1.into())],
                ],
                b: vec![s.clone(), s.clone(), s],
            }
        } else {
            Domain::Box(vec![(-s.clone(), s.clone()), (-s.clone(), s)])
        };
        let relu = relu_regions::network::Activation::Relu;
        let layers = vec![
            Layer { weights: relu_regions::network::Weights::dense(w1).unwrap(), bias: b1, activation: relu },
            Layer { weights: relu_regions::network::Weights::dense(w2).unwrap(), bias: b2, activation: relu },
            Layer {
                weights: relu_regions::network::Weights::dense(vec![vec![
                    Q::from_integer(1.into()),
                    Q::from_integer(1.into()),
                ]])
                .unwrap(),
                bias: vec![Q::from_integer(0.into())],
                activation: relu_regions::network::Activation::Linear,
            },
        ];
        Network::new(2, layers, domain).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20, ..ProptestConfig::default() })]

    /// The default path (float hints and filters) and the float-free reference agree on every
    /// count, whatever the magnitudes.
    #[test]
    fn extreme_magnitudes_agree_with_the_float_free_reference(net in extreme_net()) {
        prop_assert_eq!(counts(&net, Backend::FloatSimplex), counts(&net, Backend::ExactOnly));
    }
}
