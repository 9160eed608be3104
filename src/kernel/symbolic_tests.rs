//! The symbolic bounds' soundness and the outward steps.
use super::*;
use crate::network::json::read_network;
use crate::num::parse_rational;

fn q(s: &str) -> Q {
    parse_rational(s).unwrap()
}

#[test]
fn outward_steps_match_the_float_neighbours() {
    for x in [0.0, -0.0, 1.0, -1.0, 5e-324, -5e-324, f64::MAX, -f64::MAX, 1e-310, 3.5, f64::MIN_POSITIVE] {
        assert_eq!(x.up(), x.next_up(), "{x}");
        assert_eq!(x.down(), x.next_down(), "{x}");
    }
    assert_eq!(f64::INFINITY.down(), f64::MAX);
    assert_eq!(f64::NEG_INFINITY.up(), -f64::MAX);
}

#[test]
fn bounds_hold_at_every_grid_point_and_fixed_states_tighten_them() {
    // y = relu(x1 - x2) - relu(x1 + x2 - 1/3) on [-1, 1]^2
    let net = read_network(
        r#"{"input_dim": 2, "layers": [
            {"weights": [["1", "-1"], ["1", "1"]], "bias": ["0", "-1/3"], "activation": "relu"},
            {"weights": [["1", "-1"]], "activation": "linear"}]}"#,
        "t",
    )
    .unwrap();
    let bounds = SymbolicBounds::new(&net, &[(q("-1"), q("1")), (q("-1"), q("1"))]);
    let objective = bounds.objective(&[q("1")]);
    // the exact minimum over the box is -(1 + 1 - 1/3) = -5/3
    let min = q("-5/3");
    let just_below = &min - q("1/1000");
    let found = bounds.bound(&[], &[(&objective, &just_below, false)], None);
    assert_eq!(found[0], ConstraintBound::Excluded, "y <= -5/3 - 1/1000 is impossible");
    let at_min = bounds.bound(&[], &[(&objective, &min, false)], None);
    assert_ne!(at_min[0], ConstraintBound::Excluded, "y <= -5/3 is reached at (-1, 1)... or near");
    // every open row is satisfied by every grid point whose output meets the constraint
    let rhs = q("-1/2");
    let ConstraintBound::Open(row) = &bounds.bound(&[], &[(&objective, &rhs, false)], None)[0] else {
        panic!("y <= -1/2 is reachable");
    };
    for i in 0..=20 {
        for j in 0..=20 {
            let x = [Q::new((i - 10).into(), 10.into()), Q::new((j - 10).into(), 10.into())];
            let y = &net.output(&x)[0];
            if y <= &rhs {
                let lhs: f64 = row.a.iter().zip(&x).map(|(a, v)| a * crate::num::to_f64(v)).sum();
                assert!(lhs <= row.b + 1e-12, "the implied row holds where the constraint does");
            }
        }
    }
    // with both neurons fixed off, y = 0: y <= -1/100 is excluded
    let neg = q("-1/100");
    let states: [&[bool]; 1] = [&[false, false]];
    assert_eq!(bounds.bound(&states, &[(&objective, &neg, false)], None)[0], ConstraintBound::Excluded);
    assert_ne!(bounds.bound(&[], &[(&objective, &neg, false)], None)[0], ConstraintBound::Excluded);
}

/// y = relu(x) on [-1, 2], bounded below by x: y <= -2 is impossible; where y <= 1/2, x <= 1/2
/// (up to rounding).
#[test]
fn bound_excludes_and_implies() {
    let net = read_network(
        r#"{"input_dim": 1, "layers": [
            {"weights": [[1]], "activation": "relu"}, {"weights": [[1]], "activation": "linear"}]}"#,
        "t",
    )
    .unwrap();
    let bounds = SymbolicBounds::new(&net, &[(q("-1"), q("2"))]);
    let y = bounds.objective(&[q("1")]);
    let (minus_two, half) = (q("-2"), q("1/2"));
    let found = bounds.bound(&[], &[(&y, &minus_two, false), (&y, &half, false)], None);
    assert_eq!(found[0], ConstraintBound::Excluded);
    assert!(matches!(&found[1], ConstraintBound::Open(row) if row.a[0] > 0.0));
}
