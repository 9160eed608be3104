//! Bound LPs without a box: `min g . x` over a polyhedron `{x : A x <= b}` that may be
//! unbounded, solved in floats by the dense simplex, and an answer "the halfspace `g . x <=
//! beta` misses the polyhedron" proved exactly from the optimal basis: the multipliers `y >= 0`
//! of the `d` basis rows with `A_B^T y = -g`, solved fraction-free, give `g . x >= -y . b` on
//! the whole polyhedron (`g . x = -y . A x >= -y . b`), bounded or not. `(y, 1)` is then a
//! Farkas vector over the rows and the halfspace, checked in exact integer arithmetic (signs of
//! unreduced sums, no gcd).
//!
//! This is the exact counterpart of the safe dual bounds of [`super::safe`], which need a box:
//! one `d x d` exact solve instead of the `(d + 1) x (d + 1)` solve of a centring LP's basis.

use crate::lp::simplex::{solve, solve_square_scaled, LpOutcome};
use crate::num::{sign_of_sum_of_products, Q};
use crate::poly::Halfspace;
use num_bigint::BigInt;
use num_traits::{Signed, Zero};
use std::cmp::Ordering;

/// What the bound LP `min g . x` says of the halfspace `side = {g . x <= beta}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BasisBound {
    /// Proved: no point of the polyhedron lies in `side`'s interior; `strict` when not even
    /// its boundary is met (`g . x > beta` on the whole polyhedron).
    Empty { strict: bool },
    /// The float minimum is below `beta` at this vertex: `side` seems to meet the polyhedron
    /// there (a proposal, to be certified).
    Below(Vec<f64>),
    /// Nothing proved (the float LP unbounded, failed, or its basis proved nothing).
    Unknown,
}

/// Minimizes `side`'s normal over `rows` (nonempty, in `R^d`) in floats and proves what it
/// can, as the module says.
pub(crate) fn bound_by_basis(rows: &[&Halfspace], side: &Halfspace) -> BasisBound {
    let d = side.a.len();
    if rows.len() < d {
        return BasisBound::Unknown;
    }
    let (float_a, float_b, _) = crate::lp::scaled_rows(rows);
    let g = side.float_a();
    let scale = crate::lp::unit_scale(g);
    let c: Vec<f64> = g.iter().map(|v| v * scale).collect();
    if float_a.iter().flatten().chain(&float_b).chain(&c).any(|v| !v.is_finite()) {
        return BasisBound::Unknown;
    }
    let Some(LpOutcome::Optimal { x, basis, .. }) = solve(&float_a, &float_b, &c, 50 * (rows.len() + d + 2))
    else {
        return BasisBound::Unknown;
    };
    let value: f64 = g.iter().zip(&x).map(|(a, v)| a * v).sum();
    if value < side.float_b() {
        return BasisBound::Below(x);
    }
    if basis.len() != d {
        return BasisBound::Unknown;
    }
    match exact_lower_bound(rows, side, &basis) {
        Some(Ordering::Greater) => BasisBound::Empty { strict: true },
        Some(Ordering::Equal) => BasisBound::Empty { strict: false },
        _ => BasisBound::Unknown,
    }
}

/// The sign of `-y . b - beta` for the exact multipliers `y` of the basis rows with
/// `A_B^T y = -g`, when they are all nonnegative (`None` otherwise, or for a singular basis):
/// `Greater` proves `g . x > beta` on the polyhedron, `Equal` proves `g . x >= beta`.
fn exact_lower_bound(rows: &[&Halfspace], side: &Halfspace, basis: &[usize]) -> Option<Ordering> {
    let minus_g: Vec<Q> = side.a.iter().map(|v| -v).collect();
    let (scaled, abs_det) = basis_multipliers(rows, basis, &minus_g)?;
    // |det| (-y . b - beta) = -sum_i (|det| y_i) b_i - |det| beta
    let minus_scaled: Vec<Q> = scaled.into_iter().map(|v| Q::from_integer(-v)).collect();
    let minus_abs_det = Q::from_integer(-abs_det);
    let terms = basis
        .iter()
        .zip(&minus_scaled)
        .map(|(&i, y)| (&rows[i].b, y))
        .chain(std::iter::once((&side.b, &minus_abs_det)));
    Some(sign_of_sum_of_products(terms.filter(|(b, y)| !b.is_zero() && !y.is_zero())))
}

/// The multipliers `y >= 0` of the basis rows with `A_B^T y = target`, as `|det| y` (integers)
/// and `|det|`; `None` for a singular basis or a negative multiplier.
pub(super) fn basis_multipliers(
    rows: &[&Halfspace],
    basis: &[usize],
    target: &[Q],
) -> Option<(Vec<BigInt>, BigInt)> {
    let transposed: Vec<Vec<Q>> =
        (0..basis.len()).map(|k| basis.iter().map(|&i| rows[i].a[k].clone()).collect()).collect();
    let (scaled, abs_det) = solve_square_scaled(&transposed, target)?;
    scaled.iter().all(|v| !v.is_negative()).then_some((scaled, abs_det))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::q;

    /// A wedge `y >= |x|` (unbounded): `y <= -1` misses it strictly, `y <= 0` touches it at the
    /// apex only, `y <= 1` meets it; `x <= -5` meets it too (the wedge is unbounded that way).
    #[test]
    fn an_unbounded_wedge() {
        let rows = [Halfspace::new(vec![q(1), q(-1)], q(0)), Halfspace::new(vec![q(-1), q(-1)], q(0))];
        let refs: Vec<&Halfspace> = rows.iter().collect();
        let below = |b: i64| Halfspace::new(vec![q(0), q(1)], q(b));
        assert_eq!(bound_by_basis(&refs, &below(-1)), BasisBound::Empty { strict: true });
        assert_eq!(bound_by_basis(&refs, &below(0)), BasisBound::Empty { strict: false });
        assert!(matches!(bound_by_basis(&refs, &below(1)), BasisBound::Below(_)));
        let left = Halfspace::new(vec![q(1), q(0)], q(-5));
        assert!(!matches!(bound_by_basis(&refs, &left), BasisBound::Empty { .. }));
    }

    /// Random halfspaces against random cones and polygons: an `Empty` answer is never given
    /// where brute force over a grid finds a point strictly inside both.
    #[test]
    fn empty_answers_are_sound() {
        let mut state = 11u64;
        let mut next = |k: i64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 33) % (2 * k as u64 + 1)) as i64 - k
        };
        let (mut empties, mut belows) = (0, 0);
        for _ in 0..300 {
            let rows: Vec<Halfspace> = (0..3)
                .map(|_| Halfspace::new(vec![q(next(4)), q(next(4))], q(next(3))))
                .filter(|h| !h.a.iter().all(Zero::is_zero))
                .collect();
            let side = Halfspace::new(vec![q(next(4)), q(next(4))], q(next(6)));
            if side.a.iter().all(Zero::is_zero) {
                continue;
            }
            let refs: Vec<&Halfspace> = rows.iter().collect();
            let grid = (-40..=40).flat_map(|i| (-40..=40).map(move |j| [q(i) / q(4), q(j) / q(4)]));
            let mut inside = grid.filter(|x| rows.iter().all(|h| h.slack(x) > q(0)));
            let Some(first) = inside.next() else { continue };
            let met = std::iter::once(first).chain(inside).any(|x| side.slack(&x) > q(0));
            match bound_by_basis(&refs, &side) {
                BasisBound::Empty { .. } => {
                    empties += 1;
                    assert!(!met, "{rows:?} {side:?}");
                }
                BasisBound::Below(_) => belows += 1,
                BasisBound::Unknown => {}
            }
        }
        assert!(empties >= 20 && belows >= 20, "too few cases: {empties} empty, {belows} below");
    }
}
