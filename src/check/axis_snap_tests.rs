//! Tests of [`super::axis_snap`]: in 70-90 dimensions, a box with some sides left out and a few
//! rows that are not box faces; every implication the certificate proves holds by the exact
//! simplex (soundness), and an unlisted box face cut off exactly by a row with non-dyadic
//! multipliers (a vertex, where rounded float multipliers fail) is proved, while a face the rows
//! miss by 1/1000 is not.

use super::axis_snap::AxisSnap;
use super::constraints::Row;
use super::implied::implication_lp;
use crate::exact::num::{dot, Q};
use crate::exact::simplex::LpOutcome;
use num_traits::{One, Signed, Zero};
use proptest::prelude::*;

fn q(n: i64, d: i64) -> Q {
    Q::new(n.into(), d.into())
}

fn unit(d: usize, j: usize, s: i64) -> Vec<Q> {
    let mut a = vec![Q::zero(); d];
    a[j] = q(s, 1);
    a
}

/// The box `[lo_j, hi_j]` as rows, less the sides in `left_out` (`(j, upper)`).
fn box_rows(bx: &[(Q, Q)], left_out: &[(usize, bool)]) -> Vec<Row> {
    let d = bx.len();
    let mut rows = Vec::new();
    for (j, (lo, hi)) in bx.iter().enumerate() {
        if !left_out.contains(&(j, false)) {
            rows.push(Row::new(unit(d, j, -1), -lo));
        }
        if !left_out.contains(&(j, true)) {
            rows.push(Row::new(unit(d, j, 1), hi.clone()));
        }
    }
    rows
}

/// Whether `rows` imply `target`, by the exact simplex: `max target.a . x <= target.b`, or
/// `rows` empty (an empty set implies every row; the random rows may be contradictory, e.g. a
/// zero row with a negative right-hand side).
fn exactly_implied(rows: &[Row], target: &Row) -> bool {
    match implication_lp(rows, target) {
        Some(LpOutcome::Optimal { x, .. }) => dot(&target.a, &x) <= target.b,
        Some(LpOutcome::Infeasible { .. }) => true,
        _ => false,
    }
}

/// A sparse row with entries `(j, a_j)` in `d` dimensions.
fn sparse(d: usize, entries: &[(usize, i64)], b: Q) -> Row {
    let mut a = vec![Q::zero(); d];
    for &(j, v) in entries {
        a[j] += q(v, 1);
    }
    Row::new(a, b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random boxes, left-out sides and rows: every proved implication holds exactly.
    #[test]
    fn proved_implications_hold(
        d in 70usize..90,
        bounds in prop::collection::vec((1i64..5, 1i64..5, 1i64..7), 90),
        others in prop::collection::vec((prop::collection::vec((0usize..6, -4i64..5), 2..5), -3i64..4, 1i64..4), 1..4),
        left_out in prop::collection::vec((0usize..6, any::<bool>()), 1..4),
        targets in prop::collection::vec((prop::collection::vec((0usize..6, -3i64..4), 1..4), -3i64..4, 1i64..5), 1..4),
    ) {
        let bx: Vec<(Q, Q)> = bounds[..d].iter().map(|&(l, h, den)| (q(-l, den), q(h, den))).collect();
        let mut rows = box_rows(&bx, &left_out);
        for (entries, b, den) in &others {
            rows.push(sparse(d, entries, q(*b, *den)));
        }
        prop_assume!(AxisSnap::fits(&rows, d));
        let snap = AxisSnap::new(&rows, d);
        // the left-out sides, then random rows on the same coordinates
        let mut all: Vec<Row> = left_out
            .iter()
            .map(|&(j, upper)| {
                if upper { Row::new(unit(d, j, 1), bx[j].1.clone()) } else { Row::new(unit(d, j, -1), -&bx[j].0) }
            })
            .collect();
        all.extend(targets.iter().map(|(entries, b, den)| sparse(d, entries, q(*b, *den))));
        for t in all.iter().filter(|t| t.a.iter().any(|v| !v.is_zero())) {
            if snap.implies(t) {
                prop_assert!(exactly_implied(&rows, t), "proved but not implied: {:?} <= {}", t.a, t.b);
            }
        }
    }

    /// An unlisted upper side `x_j <= hi_j` cut off exactly by `r . x <= c` (the maximum of
    /// `x_j` over the rest is `hi_j`: a vertex), with `r_j` not a power of two, so that the
    /// multiplier `1 / r_j` is no float: proved; the side moved in by 1/1000: not proved.
    #[test]
    fn exact_cuts_are_proved(
        d in 70usize..90,
        j in 0usize..70,
        rj in prop::sample::select(vec![3i64, 5, 6, 7, 9, 11]),
        support in prop::collection::vec((0usize..70, -5i64..6), 1..5),
        den in 1i64..9,
    ) {
        let bx: Vec<(Q, Q)> = (0..d).map(|k| (q(-1 - (k % 3) as i64, den), q(1 + (k % 5) as i64, den))).collect();
        let mut entries: Vec<(usize, i64)> = support.into_iter().filter(|&(k, _)| k != j).collect();
        entries.push((j, rj));
        let r = sparse(d, &entries, Q::zero());
        // c = r_j hi_j + sum over the others of min(r_k lo_k, r_k hi_k)
        let mut c = &r.a[j] * &bx[j].1;
        for (k, a) in r.a.iter().enumerate().filter(|(k, a)| *k != j && !a.is_zero()) {
            c += if a.is_positive() { a * &bx[k].0 } else { a * &bx[k].1 };
        }
        let mut rows = box_rows(&bx, &[(j, true)]);
        rows.push(Row::new(r.a.clone(), c));
        let snap = AxisSnap::new(&rows, d);
        let face = Row::new(unit(d, j, 1), bx[j].1.clone());
        prop_assert!(exactly_implied(&rows, &face));
        prop_assert!(snap.implies(&face));
        let inside = Row::new(unit(d, j, 1), &bx[j].1 - q(1, 1000));
        prop_assert!(!exactly_implied(&rows, &inside));
        prop_assert!(!snap.implies(&inside));
        // a row the bounds alone imply, and one they do not
        let loose = Row::new(unit(d, (j + 1) % d, 1), &bx[(j + 1) % d].1 + Q::one());
        prop_assert!(snap.implies(&loose));
        let lower = Row::new(unit(d, j, -1), -&bx[j].0 - q(1, 1000));
        prop_assert!(!snap.implies(&lower));
    }
}

/// Few rows that are not box faces fit; many do not, nor a low dimension.
#[test]
fn fits_few_other_rows_in_high_dimension() {
    let d = 80;
    let bx: Vec<(Q, Q)> = (0..d).map(|_| (q(-1, 1), q(1, 1))).collect();
    let mut rows = box_rows(&bx, &[]);
    rows.push(sparse(d, &[(0, 1), (1, 1)], q(1, 1)));
    assert!(AxisSnap::fits(&rows, d));
    for k in 0..10 {
        rows.push(sparse(d, &[(k, 1), (k + 1, 2)], q(1, 1)));
    }
    assert!(!AxisSnap::fits(&rows, d));
    let small = box_rows(&bx[..4], &[]);
    assert!(!AxisSnap::fits(&small, 4));
}
