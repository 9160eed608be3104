//! The symbolic bounds' soundness and the outward steps.
use super::*;
use crate::exact::num::parse_rational;
use crate::exact::rng::SplitMix;
use crate::network::json::read_network;

pub(super) fn q(s: &str) -> Q {
    parse_rational(s).unwrap()
}

/// The grid `(i / half - 1, j / half - 1)` for `i, j` in `0..=2 half`: `[-1, 1]^2` in steps of
/// `1 / half`.
pub(super) fn square_grid(half: i64) -> Vec<Vec<Q>> {
    (0..=2 * half)
        .flat_map(|i| {
            (0..=2 * half).map(move |j| {
                vec![Q::new((i - half).into(), half.into()), Q::new((j - half).into(), half.into())]
            })
        })
        .collect()
}

/// A dense layer in the network JSON, its weights (row by row) and then its biases drawn by
/// `small`.
pub(super) fn random_layer(
    rng: &mut SplitMix,
    small: impl Fn(&mut SplitMix) -> Q,
    inputs: usize,
    width: usize,
    activation: &str,
) -> String {
    let weights: Vec<String> = (0..width)
        .map(|_| {
            let row: Vec<String> = (0..inputs).map(|_| format!("\"{}\"", small(rng))).collect();
            format!("[{}]", row.join(","))
        })
        .collect();
    let bias: Vec<String> = (0..width).map(|_| format!("\"{}\"", small(rng))).collect();
    format!(
        r#"{{"weights": [{}], "bias": [{}], "activation": "{activation}"}}"#,
        weights.join(","),
        bias.join(",")
    )
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
                let lhs: f64 = row.a.iter().zip(&x).map(|(a, v)| a * crate::exact::num::to_f64(v)).sum();
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

/// Max units: `y = |x1| - 2 max(x2, x1 - x2)` on [-1, 1]^2 (two units of two candidates). An
/// excluded constraint `c y <= r` has no grid point meeting it, free or with the winners fixed
/// (then over the cell where they win); the exact extremes over the box are nearly reached.
#[test]
fn max_unit_bounds_hold_at_every_grid_point() {
    let net = read_network(
        r#"{"input_dim": 2, "layers": [
            {"weights": [["1", "0"], ["-1", "0"], ["0", "1"], ["1", "-1"]], "activation": "max", "pieces": 2},
            {"weights": [["1", "1", "-2", "-2"]], "activation": "linear"}]}"#,
        "t",
    )
    .unwrap();
    let bounds = SymbolicBounds::new(&net, &[(q("-1"), q("1")), (q("-1"), q("1"))]);
    let grid: Vec<[Q; 2]> = (0..=40)
        .flat_map(|i| {
            (0..=40).map(move |j| [Q::new((i - 20).into(), 20.into()), Q::new((j - 20).into(), 20.into())])
        })
        .collect();
    let wins = |x: &[Q; 2], bits: &[bool]| {
        let (c0, c1) = ([x[0].clone(), -x[0].clone()], [x[1].clone(), &x[0] - &x[1]]);
        let top = |c: &[Q; 2], b: &[bool]| if b[0] { c[0] >= c[1] } else { c[1] >= c[0] };
        top(&c0, &bits[..2]) && top(&c1, &bits[2..])
    };
    let mut excluded = 0;
    for sign in [q("1"), q("-1")] {
        let objective = bounds.objective(std::slice::from_ref(&sign));
        for states in [vec![], vec![true, false, true, false], vec![false, true, false, true]] {
            let fixed: Vec<&[bool]> = if states.is_empty() { vec![] } else { vec![&states[..]] };
            for r in -16..=16 {
                let rhs = Q::new(r.into(), 4.into());
                if bounds.bound(&fixed, &[(&objective, &rhs, false)], None)[0] != ConstraintBound::Excluded {
                    continue;
                }
                excluded += 1;
                for x in grid.iter().filter(|x| states.is_empty() || wins(x, &states)) {
                    let y = &net.output(x)[0] * &sign;
                    assert!(y > rhs, "{sign} y = {y} <= {rhs} at {x:?} was excluded (states {states:?})");
                }
            }
        }
    }
    assert!(excluded >= 10, "the bounds exclude too little: {excluded}");
    // y ranges over [-3, 2] on the box; the free bounds are [-5, 3] (|x1| >= x1 >= -1 and the
    // second unit <= 2; |x1| <= 1 and the second unit >= x2 >= -1): y <= -6 and y >= 4 are
    // excluded, and with the first winners fixed (x1 >= 0, x2 >= x1 - x2), y = x1 - 2 x2 <= 3
    let (up, down) = (bounds.objective(&[q("1")]), bounds.objective(&[q("-1")]));
    assert_eq!(bounds.bound(&[], &[(&up, &q("-6"), false)], None)[0], ConstraintBound::Excluded);
    assert_eq!(bounds.bound(&[], &[(&down, &q("-4"), false)], None)[0], ConstraintBound::Excluded);
    let fixed: [&[bool]; 1] = [&[true, false, true, false]];
    assert_eq!(bounds.bound(&fixed, &[(&down, &q("-4"), false)], None)[0], ConstraintBound::Excluded);
}

/// Random two-layer nets on [-1, 1]^2, with the states of a random grid point fixed up to a
/// random depth: the constraint `c y <= m` at the exact least `m` over the cell's grid points
/// is never excluded, and every cell grid point meeting `c y <= m + 1/4` obeys the implied row,
/// in exact arithmetic. Off neurons and the zero sides of relaxations (forms the sums skip)
/// are common here, next to negative weights, which read a value's other form.
#[test]
fn random_nets_keep_every_cell_point_and_its_implied_rows() {
    use crate::exact::num::from_f64_exact;
    let mut rng = SplitMix(11);
    let small = |rng: &mut SplitMix| Q::new(((rng.next_u64() % 9) as i64 - 4).into(), 2.into());
    let grid = square_grid(6);
    let (mut opened, mut fixed_deep) = (0, 0);
    for _ in 0..40 {
        let text = format!(
            r#"{{"input_dim": 2, "layers": [{}, {}, {}]}}"#,
            random_layer(&mut rng, small, 2, 5, "relu"),
            random_layer(&mut rng, small, 5, 4, "relu"),
            random_layer(&mut rng, small, 4, 2, "linear")
        );
        let net = read_network(&text, "t").unwrap();
        let bounds = SymbolicBounds::new(&net, &[(q("-1"), q("1")), (q("-1"), q("1"))]);
        let c = [small(&mut rng), small(&mut rng)];
        let objective = bounds.objective(&c);
        // the states of a random grid point, fixed up to a random depth
        let (pattern, _) = net.evaluate(&grid[(rng.next_u64() % grid.len() as u64) as usize]);
        let depth = (rng.next_u64() % 10) as usize;
        fixed_deep += usize::from(depth >= 5);
        let states: Vec<Vec<bool>> =
            vec![pattern[0][..depth.min(5)].to_vec(), pattern[1][..depth.saturating_sub(5).min(4)].to_vec()];
        let refs: Vec<&[bool]> = states.iter().map(Vec::as_slice).collect();
        let cell: Vec<(&Vec<Q>, Q)> = grid
            .iter()
            .filter_map(|x| {
                let (p, y) = net.evaluate(x);
                let inside = states.iter().zip(&p).all(|(s, ps)| s[..] == ps[..s.len()]);
                inside.then(|| (x, c.iter().zip(&y).map(|(ck, yk)| ck * yk).sum::<Q>()))
            })
            .collect();
        let least = cell.iter().map(|(_, v)| v.clone()).min().expect("the point itself");
        let found = bounds.bound(&refs, &[(&objective, &least, false)], None);
        assert_ne!(
            found[0],
            ConstraintBound::Excluded,
            "c y <= {least} is met in the cell of {states:?}: {text}"
        );
        let rhs = &least + q("1/4");
        if let ConstraintBound::Open(row) = &bounds.bound(&refs, &[(&objective, &rhs, false)], None)[0] {
            opened += 1;
            let a: Vec<Q> = row.a.iter().map(|v| from_f64_exact(*v).unwrap()).collect();
            let b = from_f64_exact(row.b).unwrap();
            for (x, v) in cell.iter().filter(|(_, v)| v <= &rhs) {
                let lhs: Q = a.iter().zip(x.iter()).map(|(ai, xi)| ai * xi).sum();
                assert!(
                    lhs <= b,
                    "the implied row fails at {x:?} (c y = {v}) in the cell of {states:?}: {text}"
                );
            }
        }
    }
    assert!(opened >= 10 && fixed_deep >= 5, "too few rows ({opened}) or deep cells ({fixed_deep}) tried");
}

/// The dense rows' sums over the active columns (module `affine`) give, bit for bit, the forms,
/// weights and error terms of the term-by-term sums: random 5-input forms (6 wide) with zero
/// forms on one side or both (their weights 0, as every zero form's is), negative weights, zero
/// weights with a radius, zero and nonzero biases.
#[test]
fn dense_rows_sum_what_the_term_by_term_sums_give() {
    let net = read_network(
        r#"{"input_dim": 5, "layers": [{"weights": [[1, 0, 0, 0, 0]], "activation": "linear"}]}"#,
        "t",
    )
    .unwrap();
    let unit = (q("-1"), q("1"));
    let bounds = SymbolicBounds::new(&net, &[unit.clone(), unit.clone(), unit.clone(), unit.clone(), unit]);
    let mut rng = SplitMix(35);
    let float = |rng: &mut SplitMix, zero_one_in: u64| {
        if rng.next_u64() % zero_one_in == 0 {
            0.0
        } else {
            ((rng.next_u64() % 4001) as f64 - 2000.0) / 7.0 * [1e-3, 1.0, 1e3][(rng.next_u64() % 3) as usize]
        }
    };
    let (mut half_zero, mut both_zero) = (0, 0);
    for _ in 0..200 {
        let frame = Frame::new(vec![-1.0, -0.5, -2.0, 0.0, -1.0], vec![1.0, 0.5, 1.0, 3.0, 0.25]);
        let width = 1 + (rng.next_u64() % 30) as usize;
        let values: Vec<Bounded> = (0..width)
            .map(|_| {
                let form = |rng: &mut SplitMix, zero: bool| -> Form {
                    (0..6).map(|_| if zero { 0.0 } else { float(rng, 5) }).collect()
                };
                let kind = rng.next_u64() % 4; // 0: both zero, 1: lower zero, 2: upper zero, 3: neither
                half_zero += usize::from(kind == 1 || kind == 2);
                both_zero += usize::from(kind == 0);
                let (lower, upper) = (form(&mut rng, kind <= 1), form(&mut rng, kind == 0 || kind == 2));
                let lower_weight = bounds.weight(&frame, &lower);
                let upper_weight = bounds.weight(&frame, &upper);
                let magnitude = if kind == 0 { 0.0 } else { float(&mut rng, 4).abs() };
                Bounded { lower, upper, magnitude, lower_weight, upper_weight }
            })
            .collect();
        let inputs = Flat::new(&values, 5);
        let active = inputs.active();
        let row: Vec<(usize, Near)> = (0..width)
            .map(|m| (m, Near { value: float(&mut rng, 6), radius: float(&mut rng, 3).abs() * 1e-16 }))
            .collect();
        let bias = Near { value: float(&mut rng, 3), radius: float(&mut rng, 3).abs() * 1e-16 };
        let dense = bounds.affine(&frame, &row, bias, &inputs, Some(&active));
        let term_by_term = bounds.affine(&frame, &row, bias, &inputs, None);
        let bits = |((lo, lw), (up, uw)): &((Form, f64), (Form, f64))| {
            let mut all: Vec<u64> = lo.iter().chain(up).map(|c| c.to_bits()).collect();
            all.extend([lw.to_bits(), uw.to_bits()]);
            all
        };
        assert_eq!(bits(&dense), bits(&term_by_term), "row {row:?} over {width} values");
    }
    assert!(half_zero > 100 && both_zero > 100, "zero forms of both kinds were summed");
}
