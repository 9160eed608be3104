//! Bound LPs without a box: `min g . x` over a polyhedron `{x : A x <= b}` that may be
//! unbounded, solved in floats (first by the box LP's vertex method inside an artificial box far
//! beyond the rows, then by the dense simplex), and an answer "the halfspace `g . x <=
//! beta` misses the polyhedron" proved exactly from the optimal basis: the multipliers `y >= 0`
//! of the `d` basis rows with `A_B^T y = -g`, solved fraction-free, give `g . x >= -y . b` on
//! the whole polyhedron (`g . x = -y . A x >= -y . b`), bounded or not. `(y, 1)` is then a
//! Farkas vector over the rows and the halfspace, checked in exact integer arithmetic (signs of
//! unreduced sums, no gcd).
//!
//! This is the exact counterpart of the safe dual bounds of [`super::safe`], which need a box:
//! one `d x d` exact solve instead of the `(d + 1) x (d + 1)` solve of a centring LP's basis.

use super::{Outcome, Probe};
use crate::exact::num::Q;
use crate::exact::simplex::{solve, solve_square_scaled_integers, LpOutcome};
use crate::kernel::halfspace::Halfspace;
use crate::lp::boxed::BoxLp;
use num_bigint::BigInt;
use num_traits::{Signed, Zero};
use std::cmp::Ordering;

/// What the bound LP `min g . x` says of the halfspace `side = {g . x <= beta}`: `Proved(strict)`,
/// no point of the polyhedron lies in `side`'s interior (`strict` when not even its boundary is
/// met, `g . x > beta` on the whole polyhedron); `Witness(x)`, the float minimum is below `beta`
/// at the vertex `x` (a proposal, to be certified); `Unknown`, nothing proved (the float LP
/// unbounded, failed, or its basis proved nothing).
pub(crate) type BasisBound = Probe<bool, Vec<f64>>;

/// Minimizes `side`'s normal over `rows` (nonempty, in `R^d`) in floats and proves what it
/// can, as the module says.
pub(crate) fn bound_by_basis(rows: &[&Halfspace], side: &Halfspace) -> BasisBound {
    let d = side.a.len();
    if rows.len() < d {
        return Outcome::Unknown(());
    }
    boxed_bound(rows, side).unwrap_or_else(|| dense_bound(rows, side))
}

/// [`bound_by_basis`] by the dense simplex (the rows as given, no box).
fn dense_bound(rows: &[&Halfspace], side: &Halfspace) -> BasisBound {
    let d = side.a.len();
    let (float_a, float_b, _) = crate::lp::scaled_rows(rows);
    let g = side.float_a();
    let scale = crate::lp::unit_scale(g);
    let c: Vec<f64> = g.iter().map(|v| v * scale).collect();
    if float_a.iter().flatten().chain(&float_b).chain(&c).any(|v| !v.is_finite()) {
        return Outcome::Unknown(());
    }
    let Some(LpOutcome::Optimal { x, basis, .. }) = solve(&float_a, &float_b, &c, 50 * (rows.len() + d + 2))
    else {
        return Outcome::Unknown(());
    };
    let value: f64 = g.iter().zip(&x).map(|(a, v)| a * v).sum();
    if value < side.float_b() {
        return Outcome::Witness(x);
    }
    if basis.len() != d {
        return Outcome::Unknown(());
    }
    match exact_lower_bound(rows, side, &basis) {
        Some(Ordering::Greater) => Outcome::Proved(true),
        Some(Ordering::Equal) => Outcome::Proved(false),
        _ => Outcome::Unknown(()),
    }
}

/// [`bound_by_basis`] by the box LP's vertex method (fast for many rows in few dimensions) over
/// the artificial box `[-R, R]^d`, `R` far beyond the rows' distances from the origin: a
/// minimum below `beta` is a vertex to propose (a point beyond the rows' polyhedron's reach is
/// still a point of it, up to rounding); a minimum above it at a vertex inside the box with `d`
/// positive multipliers is a basis of the rows themselves, proved exactly as the module says
/// (the bound holds on the whole polyhedron: the artificial box only led the float search).
/// `None` when the answer is not that clean, for the dense simplex to try.
fn boxed_bound(rows: &[&Halfspace], side: &Halfspace) -> Option<BasisBound> {
    let d = side.a.len();
    let reach =
        rows.iter().map(|r| r.float_b().abs() * crate::lp::unit_scale(r.float_a())).fold(1.0, f64::max);
    let far = reach * 1_048_576.0;
    if !far.is_finite() {
        return None;
    }
    let float_rows: Vec<(Vec<f64>, f64)> = rows.iter().map(|r| (r.float_a().to_vec(), r.float_b())).collect();
    let lp = BoxLp::from_floats(&float_rows, &vec![-far; d], &vec![far; d])?;
    let opt = lp.minimize(side.float_a())?;
    let value: f64 = side.float_a().iter().zip(&opt.x).map(|(a, v)| a * v).sum();
    if value < side.float_b() {
        return Some(Outcome::Witness(opt.x));
    }
    let inside = opt.x.iter().all(|v| v.abs() < 0.5 * far);
    let basis: Vec<usize> = (0..rows.len()).filter(|&i| opt.y[i] > 0.0).collect();
    if !inside || basis.len() != d {
        return None;
    }
    match exact_lower_bound(rows, side, &basis)? {
        Ordering::Greater => Some(Outcome::Proved(true)),
        Ordering::Equal => Some(Outcome::Proved(false)),
        Ordering::Less => None,
    }
}

/// The sign of `-y . b - beta` for the exact multipliers `y` of the basis rows with
/// `A_B^T y = -g`, when they are all nonnegative (`None` otherwise, or for a singular basis):
/// `Greater` proves `g . x > beta` on the polyhedron, `Equal` proves `g . x >= beta`.
fn exact_lower_bound(rows: &[&Halfspace], side: &Halfspace, basis: &[usize]) -> Option<Ordering> {
    let minus_g: Vec<Q> = side.a.iter().map(|v| -v).collect();
    // -y . b = -N / D with D > 0; -y . b - beta has the sign of -N den(beta) - D num(beta)
    let (n, d) = basis_dual_value(rows, basis, &minus_g)?;
    let value = -(n * side.b.denom()) - d * side.b.numer();
    Some(value.sign().cmp(&num_bigint::Sign::NoSign))
}

/// `y . b` for the multipliers `y >= 0` of the basis rows with `A_B^T y = t`, as `N / D` with
/// `D > 0` (unreduced); `None` when the basis is singular or a multiplier is negative.
///
/// Each row is taken over the integers (`a_i = A_i / m_i`, `b_i = B_i / m_i`, kept with the
/// row) and the target likewise (`t = T / m_t`): the integer system `sum_i z_i A_i = T` has
/// `z_i = y_i m_t / m_i`, of the signs of `y`, and `y . b = (sum_i z_i B_i) / m_t`. Solved
/// fraction-free as `z = s / |det|`: `N = sum_i s_i B_i`, `D = |det| m_t`. Rows of very
/// different scales (a deep layer's row beside a shallow one's) never share a denominator.
pub(super) fn basis_dual_value(
    rows: &[&Halfspace],
    basis: &[usize],
    target: &[Q],
) -> Option<(BigInt, BigInt)> {
    let m_t = crate::exact::num::common_denominator(target);
    let integer_rows: Vec<(&[BigInt], &BigInt)> = basis.iter().map(|&i| rows[i].integer_row()).collect();
    // row k of the transposed system: the k-th entries of the basis rows, then T_k
    let augmented: Vec<Vec<BigInt>> = target
        .iter()
        .enumerate()
        .map(|(k, t)| {
            integer_rows
                .iter()
                .map(|(a, _)| a[k].clone())
                .chain([crate::exact::num::scaled_numerator(t, &m_t)])
                .collect()
        })
        .collect();
    let (scaled, abs_det) = solve_square_scaled_integers(augmented)?;
    if scaled.iter().any(Signed::is_negative) {
        return None;
    }
    let n = scaled.iter().zip(&integer_rows).filter(|(s, _)| !s.is_zero()).map(|(s, (_, b))| s * *b).sum();
    Some((n, abs_det * m_t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::q;

    /// A wedge `y >= |x|` (unbounded): `y <= -1` misses it strictly, `y <= 0` touches it at the
    /// apex only, `y <= 1` meets it; `x <= -5` meets it too (the wedge is unbounded that way).
    #[test]
    fn an_unbounded_wedge() {
        let rows = [Halfspace::new(vec![q(1), q(-1)], q(0)), Halfspace::new(vec![q(-1), q(-1)], q(0))];
        let refs: Vec<&Halfspace> = rows.iter().collect();
        let below = |b: i64| Halfspace::new(vec![q(0), q(1)], q(b));
        assert_eq!(bound_by_basis(&refs, &below(-1)), Outcome::Proved(true));
        assert_eq!(bound_by_basis(&refs, &below(0)), Outcome::Proved(false));
        assert!(matches!(bound_by_basis(&refs, &below(1)), Outcome::Witness(_)));
        let left = Halfspace::new(vec![q(1), q(0)], q(-5));
        assert!(!matches!(bound_by_basis(&refs, &left), Outcome::Proved(_)));
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
                Outcome::Proved(_) => {
                    empties += 1;
                    assert!(!met, "{rows:?} {side:?}");
                }
                Outcome::Witness(_) => belows += 1,
                Outcome::Unknown(()) => {}
            }
        }
        assert!(empties >= 20 && belows >= 20, "too few cases: {empties} empty, {belows} below");
    }

    /// The vertex method over an artificial box and the dense simplex give the same answers
    /// where both decide (on random wedges and polygons in the plane and in R^4), and the box
    /// decides most of them.
    #[test]
    fn boxed_and_dense_bounds_agree() {
        let mut state = 3u64;
        let mut next = |k: i64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 33) % (2 * k as u64 + 1)) as i64 - k
        };
        let (mut decided, mut both) = (0, 0);
        for case in 0..400 {
            let d = if case % 2 == 0 { 2 } else { 4 };
            let rows: Vec<Halfspace> = (0..d + 3)
                .map(|_| Halfspace::new((0..d).map(|_| q(next(5))).collect(), q(next(4))))
                .filter(|h| !h.a.iter().all(Zero::is_zero))
                .collect();
            let side = Halfspace::new((0..d).map(|_| q(next(5))).collect(), q(next(8)));
            if rows.len() < d || side.a.iter().all(Zero::is_zero) {
                continue;
            }
            let refs: Vec<&Halfspace> = rows.iter().collect();
            let Some(boxed) = boxed_bound(&refs, &side) else { continue };
            decided += 1;
            match (boxed, dense_bound(&refs, &side)) {
                (Outcome::Proved(a), Outcome::Proved(b)) => {
                    assert_eq!(a, b, "{rows:?} {side:?}");
                    both += 1;
                }
                // a proved strict gap with a float vertex below it (touching may round either way)
                (Outcome::Proved(true), Outcome::Witness(x))
                | (Outcome::Witness(x), Outcome::Proved(true)) => {
                    panic!("one method found {x:?} where the other proved none: {rows:?} {side:?}")
                }
                _ => {}
            }
        }
        assert!(decided >= 150 && both >= 20, "too few cases: {decided} decided, {both} proved by both");
    }

    /// The dual value over integer rows equals `y . b` for the rational solution of
    /// `A_B^T y = t`, for rows of very different scales and denominators; a negative
    /// multiplier or a singular basis gives `None`.
    #[test]
    fn dual_value_over_integer_rows_is_the_rational_one() {
        use crate::exact::num::parse_rational;
        use crate::exact::simplex::solve_square;
        let r = |s: &str| parse_rational(s).unwrap();
        let mut state = 5u64;
        let mut next = |k: i64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 33) % (2 * k as u64 + 1)) as i64 - k
        };
        let (mut proved, mut refused) = (0, 0);
        for _ in 0..200 {
            // three rows in R^3 with scales from 2^-60 to 3^5 and mixed denominators
            let scales = [r("1/1152921504606846976"), r("7/3"), r("243")];
            let rows: Vec<Halfspace> = scales
                .iter()
                .map(|s| {
                    let a = (0..3).map(|_| q(next(9)) * s / q(next(4).abs() + 1)).collect();
                    Halfspace::new(a, q(next(9)) * s / q(5))
                })
                .collect();
            let refs: Vec<&Halfspace> = rows.iter().collect();
            let target: Vec<Q> = (0..3).map(|_| q(next(9)) / q(next(3).abs() + 1)).collect();
            let transposed: Vec<Vec<Q>> =
                (0..3).map(|k| rows.iter().map(|h| h.a[k].clone()).collect()).collect();
            let exact = solve_square(&transposed, &target);
            match (basis_dual_value(&refs, &[0, 1, 2], &target), exact) {
                (Some((n, d)), Some(y)) => {
                    assert!(d.is_positive() && y.iter().all(|v| !v.is_negative()));
                    let value: Q = y.iter().zip(&rows).map(|(v, h)| v * &h.b).sum();
                    assert_eq!(Q::new(n, d), value);
                    proved += 1;
                }
                (None, Some(y)) => {
                    assert!(y.iter().any(Signed::is_negative), "refused a nonnegative solution {y:?}");
                    refused += 1;
                }
                (None, None) => refused += 1,
                (Some(_), None) => panic!("a value for a singular basis"),
            }
        }
        assert!(proved >= 10 && refused >= 10, "too few cases: {proved} proved, {refused} refused");
    }
}
