//! Boundedness of a region from certificates that floats propose and exact sums check, so that
//! the checker rarely runs the exact simplex (which took nine tenths of `check` on an MLP over
//! all of R^d, one exact LP per direction and region):
//!
//! - **bounded**: the rows positively span R^d. For each of the `d + 1` directions
//!   `e_1, ..., e_d, -(e_1 + ... + e_d)` (which positively span R^d) multipliers `y >= 0` with
//!   `sum y_i a_i = v`, solved exactly on the basis of a float LP `max v . x` over the region and
//!   checked by exact sums. Then a recession direction `r` (`A r <= 0`) has `v . r <= 0` for
//!   every `v` of a positively spanning set, so `r . r <= 0`: `r = 0`.
//! - **unbounded**: a ray `r != 0` with `A r <= 0`, the vertex of a float LP over the cone cut
//!   by the box `|r_j| <= 1` solved exactly on its basis and checked exactly.
//!
//! Where no proposal checks (floats overflow, a degenerate basis), the caller decides by the
//! exact simplex as before.

use super::constraints::Row;
use crate::exact::num::{sign_of_sum_of_products, Q};
use crate::exact::simplex::{solve, solve_square_scaled, LpOutcome};
use num_traits::{One, Signed, Zero};
use std::cmp::Ordering;

/// `Some(bounded)` when a checked certificate decides it, `None` when none was found.
pub(super) fn bounded_by_certificates(rows: &[&Row], d: usize) -> Option<bool> {
    if rows.is_empty() || d == 0 {
        return None;
    }
    let (fa, fb, _) = crate::lp::scaled_rows(rows);
    if fa.iter().flatten().chain(&fb).any(|v| !v.is_finite()) {
        return None;
    }
    let pivots = 50 * (rows.len() + d);
    for k in 0..=d {
        let v: Vec<Q> = (0..d)
            .map(|j| if k == d { -Q::one() } else { Q::from_integer(u8::from(k == j).into()) })
            .collect();
        let c: Vec<f64> = v.iter().map(|x| -crate::exact::num::to_f64(x)).collect();
        match solve(&fa, &fb, &c, pivots)? {
            LpOutcome::Optimal { basis, .. } => {
                if !spans_towards(rows, &basis, &v) {
                    return None;
                }
            }
            LpOutcome::Unbounded { .. } => return ray_towards(rows, &fa, &c, pivots).then_some(false),
            LpOutcome::Infeasible { .. } => return None,
        }
    }
    Some(true)
}

/// Whether multipliers `y >= 0` on the basis rows with `sum y_i a_i = v` exist: solved exactly
/// on the basis and checked by exact sums.
fn spans_towards(rows: &[&Row], basis: &[usize], v: &[Q]) -> bool {
    let d = v.len();
    if basis.len() != d || basis.iter().any(|&k| k >= rows.len()) {
        return false;
    }
    let transposed: Vec<Vec<Q>> =
        (0..d).map(|j| basis.iter().map(|&k| rows[k].a[j].clone()).collect()).collect();
    // `y = num / den` with `den > 0`, checked without dividing
    let Some((num, den)) = solve_square_scaled(&transposed, v) else { return false };
    if num.iter().any(Signed::is_negative) || !den.is_positive() {
        return false;
    }
    let y: Vec<Q> = num.into_iter().map(Q::from_integer).collect();
    let minus_den = -Q::from_integer(den);
    (0..d).all(|j| {
        let terms = basis.iter().zip(&y).map(|(&k, yk)| (&rows[k].a[j], yk)).chain([(&v[j], &minus_den)]);
        sign_of_sum_of_products(terms) == Ordering::Equal
    })
}

/// Whether a ray `r != 0` with `A r <= 0` is found and checked: the float LP `min c . r` over
/// `A r <= 0, |r_j| <= 1` proposes a basis, its vertex is solved exactly and checked.
fn ray_towards(rows: &[&Row], fa: &[Vec<f64>], c: &[f64], pivots: usize) -> bool {
    let d = c.len();
    let mut a: Vec<Vec<f64>> = fa.to_vec();
    let mut b = vec![0.0; fa.len()];
    for j in 0..d {
        for s in [1.0, -1.0] {
            let mut row = vec![0.0; d];
            row[j] = s;
            a.push(row);
            b.push(1.0);
        }
    }
    let Some(LpOutcome::Optimal { basis, .. }) = solve(&a, &b, c, pivots) else { return false };
    if basis.len() != d {
        return false;
    }
    // the basis rows exactly: a region row with right side 0, or a box row with right side 1
    let (m, r): (Vec<Vec<Q>>, Vec<Q>) = basis
        .iter()
        .map(|&k| match k.checked_sub(rows.len()) {
            None => (rows[k].a.clone(), Q::zero()),
            Some(extra) => {
                let mut row = vec![Q::zero(); d];
                row[extra / 2] = if extra % 2 == 0 { Q::one() } else { -Q::one() };
                (row, Q::one())
            }
        })
        .unzip();
    // the vertex up to the positive factor `den` (a ray is one up to such a factor)
    let Some((ray, _)) = solve_square_scaled(&m, &r) else { return false };
    let ray: Vec<Q> = ray.into_iter().map(Q::from_integer).collect();
    ray.iter().any(|x| !x.is_zero())
        && rows.iter().all(|row| sign_of_sum_of_products(row.a.iter().zip(&ray)) != Ordering::Greater)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::q;

    fn row(a: &[i64], b: i64) -> Row {
        Row::new(a.iter().map(|&v| q(v)).collect(), q(b))
    }

    #[test]
    fn triangle_is_bounded_and_quadrant_is_not() {
        let triangle = [row(&[-1, 0], 0), row(&[0, -1], 0), row(&[1, 1], 1)];
        let refs: Vec<&Row> = triangle.iter().collect();
        assert_eq!(bounded_by_certificates(&refs, 2), Some(true));
        let refs: Vec<&Row> = triangle[..2].iter().collect();
        assert_eq!(bounded_by_certificates(&refs, 2), Some(false));
        // a slab is unbounded along its planes
        let slab = [row(&[1, 1], 1), row(&[-1, -1], 1)];
        let refs: Vec<&Row> = slab.iter().collect();
        assert_eq!(bounded_by_certificates(&refs, 2), Some(false));
    }

    #[test]
    fn agrees_with_the_exact_simplex_on_random_polytopes() {
        let mut seed: u64 = 7;
        let mut draw = |lo: i64, hi: i64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            lo + ((seed >> 33) % (hi - lo) as u64) as i64
        };
        let (mut decided, mut bounded) = (0, 0);
        for _ in 0..300 {
            let d = draw(1, 4) as usize;
            let m = draw(1, 7);
            // rows through a region containing 0 (b > 0) so it is nonempty
            let rows: Vec<Row> = (0..m)
                .map(|_| {
                    let a: Vec<i64> = (0..d).map(|_| draw(-3, 4)).collect();
                    row(&a, draw(1, 5))
                })
                .collect();
            let refs: Vec<&Row> = rows.iter().collect();
            let exact =
                crate::certify::recession_ray(&refs, d, crate::kernel::Filter::Off).unwrap().is_none();
            if let Some(b) = bounded_by_certificates(&refs, d) {
                assert_eq!(b, exact, "{rows:?}");
                decided += 1;
                bounded += usize::from(b);
            }
        }
        // the floats propose a checked certificate nearly always, of both kinds
        assert!(decided > 270 && bounded > 20, "{decided} decided, {bounded} bounded");
    }
}
