//! Issue 35 point 5: the property search's root test (symbolic intervals, then three zonotopes
//! as nnenum's first over-approximation) and its child order (the child with the more room to
//! the unsafe set first): `unsat` proved at the root where the exact range says so, with a
//! one-leaf proof the checker accepts and refuses for a reachable bound; answers unchanged.

use crate::support::*;
use relu_regions::check::proof::check_proof;
use relu_regions::exact::num::{fmt_q, Q};
use relu_regions::network::json::read_network;
use relu_regions::network::vnnlib::{read_vnnlib, Property};
use relu_regions::queries::property::{decide, Verdict};
use relu_regions::queries::range::output_ranges;
use relu_regions::Enumerator;

/// Three ReLU layers of four on [-1, 1]^2, where the symbolic intervals alone need three pruned
/// subtrees for the bound below (found by search against the binary before this change).
const DEEP: &str = r#"{"input_dim": 2, "layers": [
  {"weights": [["0", "0"], ["1", "2"], ["-2", "-1.5"], ["1.5", "2"]], "bias": ["0", "0", "-1", "1"], "activation": "relu"},
  {"weights": [["-1", "-1", "1.5", "-0.5"], ["-1", "1.5", "-1", "-0.5"], ["0.5", "0", "-2", "-2"], ["1.5", "1", "1.5", "0"]], "bias": ["0.5", "1", "-1", "0.5"], "activation": "relu"},
  {"weights": [["1.5", "-1", "0", "1.5"], ["-1.5", "-1", "-1.5", "0"], ["2", "-1.5", "-0.5", "-0.5"], ["2", "-1.5", "0", "-1"]], "bias": ["-0.5", "0", "1", "-0.5"], "activation": "relu"},
  {"weights": [["-2", "1", "-2", "-1"]], "bias": ["0.5"], "activation": "linear"}]}"#;

fn below(t: &Q) -> Property {
    let head = "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)\
        (assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 -1))(assert (<= X_1 1))";
    read_vnnlib(&format!("{head}(assert (<= Y_0 {}))", fmt_q(t)), "p", 2, 1).unwrap()
}

/// `Y_0 <= -52.28125` is out of reach (below the exact minimum over the box): proved by the
/// root's zonotopes alone (one pruned leaf, no region, no sampling needed), the proof checked;
/// the same leaf is refused for a bound the network reaches.
#[test]
fn the_zonotopes_prove_at_the_root() {
    let bx = relu_regions::network::Domain::Box(vec![(r("-1"), r("1")), (r("-1"), r("1"))]);
    let net = read_network(DEEP, "deep").unwrap().with_domain(bx).unwrap();
    let min = output_ranges(run(&net).regions()).unwrap().unwrap()[0].min.value().unwrap().clone();
    let t = r("-52.28125");
    assert!(min > t, "the exact minimum {min} is above the bound");
    let p = below(&t);
    let d = decide(&net, &p, &Enumerator::builder().threads(1).build()).unwrap();
    assert_eq!(d.verdict, Verdict::Unsat);
    assert_eq!((d.regions_visited, d.subtrees_pruned), (0, 1), "{d:?}");
    let doc = d.proof.expect("an unsat answer has a proof").to_json();
    assert_eq!(doc["leaves"].as_array().unwrap().len(), 1);
    let report = check_proof(&net, &p, &doc);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    // the minimum is reached: the root leaf proves nothing there
    assert!(!check_proof(&net, &below(&min), &doc).failures.is_empty());
}

/// Deeper random networks (three ReLU layers): the exact minimum is reached (sat, a checked
/// counterexample) and a bound just below it is unsat with a proof the checker accepts, with
/// the zonotopes and the child order on, one thread or two alike.
#[test]
fn the_root_test_and_the_order_keep_every_answer() {
    for seed in 0..12u64 {
        let mut rng = crate::enumerate::invariants::Rng::new(seed);
        let bx = relu_regions::network::Domain::Box(vec![(r("-1"), r("1")), (r("-1/2"), r("3/2"))]);
        let net = crate::enumerate::invariants::random_net(&mut rng, 2, &[4, 4, 4], bx.clone());
        let min = output_ranges(run(&net).regions()).unwrap().unwrap()[0].min.value().unwrap().clone();
        let relu_regions::network::Domain::Box(b) = bx else { unreachable!() };
        let head = format!(
            "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)\
             (assert (>= X_0 {}))(assert (<= X_0 {}))(assert (>= X_1 {}))(assert (<= X_1 {}))",
            fmt_q(&b[0].0),
            fmt_q(&b[0].1),
            fmt_q(&b[1].0),
            fmt_q(&b[1].1)
        );
        let at = |t: &Q| read_vnnlib(&format!("{head}(assert (<= Y_0 {}))", fmt_q(t)), "p", 2, 1).unwrap();
        for threads in [1, 2] {
            let e = Enumerator::builder().threads(threads).build();
            let reach = at(&min);
            match decide(&net, &reach, &e).unwrap().verdict {
                Verdict::Sat { input, output } => {
                    assert!(reach.is_violated(&input, &output) && net.output(&input) == output)
                }
                v => panic!("seed {seed}: the minimum {min} is reached, got {v:?}"),
            }
            let past = at(&(&min - r("1/1000")));
            let d = decide(&net, &past, &e).unwrap();
            assert_eq!(d.verdict, Verdict::Unsat, "seed {seed}");
            let report = check_proof(&net, &past, &d.proof.expect("a proof").to_json());
            assert!(report.failures.is_empty(), "seed {seed}: {:?}", report.failures);
        }
    }
}
