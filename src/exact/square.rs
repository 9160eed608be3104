//! Exact solves of square systems `M z = r` (basis solves: points, multipliers, rays): a
//! fraction-free (Bareiss) elimination over the rows scaled to integers, with a rational
//! elimination as a fallback that should never run. The elimination polls the run's stop token
//! ([`crate::jobs::StopToken`]) every 64 big-integer updates (one row's work at most): a solve that gives up
//! answers `None`, and its callers, seeing the token fired, do not fall back.

use crate::exact::num::Q;
use num_traits::{One, Signed, Zero};

/// Big-integer entry updates between two polls of the stop token.
const POLL_ENTRIES: usize = 64;

/// Solves the square system `M z = r` exactly; `None` when `M` is singular.
///
/// Fraction-free (Bareiss) Gauss-Jordan elimination on the rows scaled to integers: every
/// intermediate entry is a minor of the matrix, so each division is exact and no gcd is taken
/// until the `n` answers are formed (a rational elimination takes one at every step).
pub(crate) fn solve_square(m: &[Vec<Q>], r: &[Q]) -> Option<Vec<Q>> {
    match bareiss(m, r) {
        Some(Some((numerators, det))) => {
            Some(numerators.into_iter().map(|n| Q::new(n, det.clone())).collect())
        }
        Some(None) => None,
        None if crate::runtime::stop::requested() => None,
        None => solve_square_rational(m, r),
    }
}

/// [`solve_square`] with the answer unreduced: integer numerators over one common nonzero
/// denominator (the determinant of the row-scaled system, of either sign). For callers that only
/// need signs, or reduce later.
pub(crate) fn solve_square_unreduced(
    m: &[Vec<Q>],
    r: &[Q],
) -> Option<(Vec<num_bigint::BigInt>, num_bigint::BigInt)> {
    match bareiss(m, r) {
        Some(answer) => answer,
        None if crate::runtime::stop::requested() => None,
        None => {
            let z = solve_square_rational(m, r)?;
            let den = crate::exact::num::common_denominator(&z);
            Some((z.iter().map(|v| crate::exact::num::scaled_numerator(v, &den)).collect(), den))
        }
    }
}

/// The solution of `M z = r` times `|det|` (a positive integer, returned beside it): integer
/// entries with the solution's signs, no gcd. For certificates that hold up to a positive
/// factor (multipliers, rays) and for sign tests.
pub(crate) fn solve_square_scaled(
    m: &[Vec<Q>],
    r: &[Q],
) -> Option<(Vec<num_bigint::BigInt>, num_bigint::BigInt)> {
    positive_denominator(solve_square_unreduced(m, r)?)
}

/// `(z det, det)` as `(z |det|, |det|)`; `None` for a zero determinant.
fn positive_denominator(
    (numerators, det): (Vec<num_bigint::BigInt>, num_bigint::BigInt),
) -> Option<(Vec<num_bigint::BigInt>, num_bigint::BigInt)> {
    if det.is_zero() {
        return None;
    }
    Some(if det.is_negative() {
        (numerators.into_iter().map(|v| -v).collect(), -det)
    } else {
        (numerators, det)
    })
}

/// The fraction-free elimination of [`solve_square`]; `None` if a division were inexact (which
/// the theory excludes, and a test checks).
#[allow(clippy::type_complexity)]
fn bareiss(m: &[Vec<Q>], r: &[Q]) -> Option<Option<(Vec<num_bigint::BigInt>, num_bigint::BigInt)>> {
    use crate::exact::num::{common_denominator, scaled_numerator};
    use num_bigint::BigInt;
    let a: Vec<Vec<BigInt>> = m
        .iter()
        .zip(r)
        .map(|(row, ri)| {
            let d = common_denominator(row.iter().chain(std::iter::once(ri)));
            row.iter().chain(std::iter::once(ri)).map(|v| scaled_numerator(v, &d)).collect()
        })
        .collect();
    bareiss_integers(a)
}

/// [`solve_square_scaled`] of an integer system given as its augmented rows `[M | r]`.
pub(crate) fn solve_square_scaled_integers(
    augmented: Vec<Vec<num_bigint::BigInt>>,
) -> Option<(Vec<num_bigint::BigInt>, num_bigint::BigInt)> {
    positive_denominator(bareiss_integers(augmented)??)
}

/// [`bareiss`] on the augmented integer rows `[M | r]`.
#[allow(clippy::type_complexity)]
fn bareiss_integers(
    mut a: Vec<Vec<num_bigint::BigInt>>,
) -> Option<Option<(Vec<num_bigint::BigInt>, num_bigint::BigInt)>> {
    use num_bigint::BigInt;
    use num_integer::Integer;
    let n = a.len();
    if a.iter().any(|row| row.len() != n + 1) {
        return Some(None);
    }
    let mut previous = BigInt::one();
    // a run that must stop gives up here (`None`, as for no answer), at a pivot row: one row's
    // big-integer work at most after the request
    let mut poll = crate::runtime::stop::Poll::every(POLL_ENTRIES);
    for k in 0..n {
        if crate::runtime::stop::requested() {
            return None;
        }
        let Some(p) = (k..n).find(|&i| !a[i][k].is_zero()) else { return Some(None) };
        a.swap(k, p);
        let (before, rest) = a.split_at_mut(k);
        let (pivot_row, after) = rest.split_first_mut().expect("row k");
        let pivot = &pivot_row[k];
        for row in before.iter_mut().chain(after.iter_mut()) {
            if poll.stop(n - k) {
                return None;
            }
            let factor = std::mem::take(&mut row[k]);
            // columns left of k are final (zero off the diagonal; the diagonal, the determinant
            // so far, is not needed)
            for (v, p) in row[k + 1..].iter_mut().zip(&pivot_row[k + 1..]) {
                if !v.is_zero() {
                    *v *= pivot;
                }
                if !factor.is_zero() && !p.is_zero() {
                    *v -= &factor * p;
                }
                // the first step divides by 1
                if k > 0 && !v.is_zero() {
                    let (quotient, remainder) = v.div_rem(&previous);
                    if !remainder.is_zero() {
                        return None;
                    }
                    *v = quotient;
                }
            }
        }
        previous = pivot.clone();
    }
    // every diagonal entry would now be the last pivot (the determinant up to the swaps' sign)
    let numerators = a.iter_mut().map(|row| std::mem::take(&mut row[n])).collect();
    Some(Some((numerators, previous)))
}

/// [`solve_square`] by rational Gauss-Jordan elimination (a fallback that should never run).
fn solve_square_rational(m: &[Vec<Q>], r: &[Q]) -> Option<Vec<Q>> {
    let n = r.len();
    let mut aug: Vec<Vec<Q>> = m
        .iter()
        .zip(r)
        .map(|(row, ri)| row.iter().cloned().chain(std::iter::once(ri.clone())).collect())
        .collect();
    for col in 0..n {
        let p = (col..n).find(|&i| !aug[i][col].is_zero())?;
        aug.swap(col, p);
        let pivot = aug[col][col].clone();
        for v in aug[col].iter_mut() {
            *v /= &pivot;
        }
        let prow = aug[col].clone();
        for (i, row) in aug.iter_mut().enumerate() {
            if i == col || row[col].is_zero() {
                continue;
            }
            if crate::runtime::stop::requested() {
                return None;
            }
            let f = row[col].clone();
            for (v, pv) in row.iter_mut().zip(&prow) {
                if !pv.is_zero() {
                    *v -= &f * pv;
                }
            }
        }
    }
    Some(aug.into_iter().map(|row| row[n].clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fraction_free_elimination_is_exact_and_agrees_with_rational_elimination() {
        let mut state = 7u64;
        let mut next = |k: i64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let v = ((state >> 33) % (2 * k as u64 + 1)) as i64 - k;
            let den = 1 + ((state >> 20) % 7) as i64;
            Q::new(v.into(), den.into())
        };
        for n in 1..7 {
            for _ in 0..60 {
                let m: Vec<Vec<Q>> = (0..n).map(|_| (0..n).map(|_| next(4)).collect()).collect();
                let r: Vec<Q> = (0..n).map(|_| next(9)).collect();
                let fraction_free = bareiss(&m, &r)
                    .expect("every division exact")
                    .map(|(num, det)| num.into_iter().map(|v| Q::new(v, det.clone())).collect::<Vec<_>>());
                assert_eq!(fraction_free, solve_square_rational(&m, &r), "{m:?} {r:?}");
                if let Some(z) = fraction_free {
                    for (row, ri) in m.iter().zip(&r) {
                        assert_eq!(&crate::exact::num::dot(row, &z), ri);
                    }
                }
            }
        }
    }
}
