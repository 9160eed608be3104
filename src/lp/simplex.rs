//! A dense two-phase simplex, generic over the number type: run in `f64` it proposes a basis
//! (a hint), run over [`Q`] it is an exact rational LP solver whose every answer
//! carries its certificate.
//!
//! It solves `min c . x  s.t.  A x <= b` with `x` free in R^n by running Bland's rule on the
//! dual standard form `min b . y  s.t.  A^T y = -c, y >= 0`. The tableau has only `n` rows
//! (the few variables of our LPs) and `m + n` columns (constraints plus artificials), so a pivot
//! costs `O(n m)`. Bland's rule cannot cycle in exact arithmetic, so the rational run always
//! terminates, degenerate or not.
//!
//! # Complexity
//! Each pivot is `O(n (m + n))` field operations; the number of pivots is small in practice
//! (a few times `n`) and finite in the worst case.

use crate::num::{sign, Q};
use num_traits::{One, Signed, Zero};
use std::cmp::Ordering;

/// The arithmetic the simplex needs: exact for [`Q`], tolerance-based for `f64`.
pub trait Field: Clone {
    /// Zero.
    fn zero() -> Self;
    /// One.
    fn one() -> Self;
    /// The sign, with `Equal` for values the field treats as zero.
    fn sgn(&self) -> Ordering;
    /// `self - o`.
    fn sub(&self, o: &Self) -> Self;
    /// `self * o`.
    fn mul(&self, o: &Self) -> Self;
    /// `self / o` (`o` nonzero).
    fn div(&self, o: &Self) -> Self;
    /// `-self`.
    fn neg(&self) -> Self;
}

impl Field for Q {
    fn zero() -> Self {
        Zero::zero()
    }
    fn one() -> Self {
        One::one()
    }
    fn sgn(&self) -> Ordering {
        sign(self)
    }
    fn sub(&self, o: &Self) -> Self {
        self - o
    }
    fn mul(&self, o: &Self) -> Self {
        self * o
    }
    fn div(&self, o: &Self) -> Self {
        self / o
    }
    fn neg(&self) -> Self {
        -self
    }
}

/// Values below this magnitude count as zero in the float simplex.
const FLOAT_TOLERANCE: f64 = 1e-9;

impl Field for f64 {
    fn zero() -> Self {
        0.0
    }
    fn one() -> Self {
        1.0
    }
    fn sgn(&self) -> Ordering {
        if *self > FLOAT_TOLERANCE {
            Ordering::Greater
        } else if *self < -FLOAT_TOLERANCE {
            Ordering::Less
        } else {
            Ordering::Equal
        }
    }
    fn sub(&self, o: &Self) -> Self {
        self - o
    }
    fn mul(&self, o: &Self) -> Self {
        self * o
    }
    fn div(&self, o: &Self) -> Self {
        self / o
    }
    fn neg(&self) -> Self {
        -self
    }
}

/// The answer of [`solve`], each with the vectors that prove it.
#[derive(Debug, Clone, PartialEq)]
pub enum LpOutcome<F> {
    /// An optimal `x` with dual multipliers `y >= 0` (`A^T y = -c`, `b . y = -c . x`), and
    /// the rows of the final basis.
    Optimal {
        /// Primal optimum.
        x: Vec<F>,
        /// Dual multipliers, one per row.
        y: Vec<F>,
        /// Rows of the optimal basis.
        basis: Vec<usize>,
    },
    /// `A x <= b` is empty: `y >= 0` with `A^T y = 0` and `b . y < 0` (Farkas).
    Infeasible {
        /// The Farkas multipliers.
        y: Vec<F>,
    },
    /// The objective is unbounded below if the system is feasible: `A d <= 0` and `c . d < 0`.
    Unbounded {
        /// The ray.
        ray: Vec<F>,
    },
}

struct Tableau<F> {
    rows: Vec<Vec<F>>,
    obj: Vec<F>,
    basis: Vec<usize>,
    m: usize,
    flips: Vec<bool>,
}

impl<F: Field> Tableau<F> {
    fn new(a: &[Vec<F>], c: &[F]) -> Tableau<F> {
        let (m, n) = (a.len(), c.len());
        let width = m + n + 1;
        let mut rows = Vec::with_capacity(n);
        let mut flips = Vec::with_capacity(n);
        for r in 0..n {
            let rhs = c[r].neg();
            let flip = rhs.sgn() == Ordering::Less;
            let mut row = vec![F::zero(); width];
            for (j, aj) in a.iter().enumerate() {
                row[j] = if flip { aj[r].neg() } else { aj[r].clone() };
            }
            row[m + r] = F::one();
            row[width - 1] = if flip { rhs.neg() } else { rhs };
            rows.push(row);
            flips.push(flip);
        }
        let mut obj = vec![F::zero(); width];
        for row in &rows {
            for (j, v) in row.iter().enumerate() {
                if j < m || j == width - 1 {
                    obj[j] = obj[j].sub(v);
                }
            }
        }
        Tableau { rows, obj, basis: (m..m + n).collect(), m, flips }
    }

    fn width(&self) -> usize {
        self.obj.len()
    }

    fn pivot(&mut self, r: usize, s: usize) {
        let p = self.rows[r][s].clone();
        for v in self.rows[r].iter_mut() {
            if v.sgn() != Ordering::Equal {
                *v = v.div(&p);
            }
        }
        let pivot_row = self.rows[r].clone();
        let eliminate = |row: &mut Vec<F>| {
            let f = row[s].clone();
            if f.sgn() == Ordering::Equal {
                row[s] = F::zero();
                return;
            }
            for (v, pv) in row.iter_mut().zip(&pivot_row) {
                if pv.sgn() != Ordering::Equal {
                    *v = v.sub(&f.mul(pv));
                }
            }
            row[s] = F::zero();
        };
        for (i, row) in self.rows.iter_mut().enumerate() {
            if i != r {
                eliminate(row);
            }
        }
        eliminate(&mut self.obj);
        self.basis[r] = s;
    }

    /// Bland's rule on the current objective row; `Err(col)` reports an unbounded column.
    fn run(&mut self, max_pivots: usize) -> Option<Result<(), usize>> {
        let rhs = self.width() - 1;
        for _ in 0..max_pivots {
            if super::interrupt::requested() {
                return None;
            }
            let Some(s) = (0..self.m).find(|&j| self.obj[j].sgn() == Ordering::Less) else {
                return Some(Ok(()));
            };
            let mut best: Option<(usize, F)> = None;
            for (i, row) in self.rows.iter().enumerate() {
                if row[s].sgn() != Ordering::Greater {
                    continue;
                }
                let ratio = row[rhs].div(&row[s]);
                let better = match &best {
                    None => true,
                    Some((bi, br)) => match ratio.sub(br).sgn() {
                        Ordering::Less => true,
                        Ordering::Equal => self.basis[i] < self.basis[*bi],
                        Ordering::Greater => false,
                    },
                };
                if better {
                    best = Some((i, ratio));
                }
            }
            match best {
                Some((r, _)) => self.pivot(r, s),
                None => return Some(Err(s)),
            }
        }
        None
    }

    /// Simplex multipliers of the original system from the artificial columns' reduced costs.
    fn multipliers(&self, artificial_cost: &F) -> Vec<F> {
        (0..self.rows.len())
            .map(|r| {
                let pi = artificial_cost.sub(&self.obj[self.m + r]);
                if self.flips[r] {
                    pi.neg()
                } else {
                    pi
                }
            })
            .collect()
    }

    fn drive_out_artificials(&mut self) {
        for r in 0..self.rows.len() {
            if self.basis[r] < self.m {
                continue;
            }
            if let Some(s) = (0..self.m).find(|&j| self.rows[r][j].sgn() != Ordering::Equal) {
                self.pivot(r, s);
            }
        }
    }

    fn set_phase_two_objective(&mut self, b: &[F]) {
        let width = self.width();
        let mut obj = vec![F::zero(); width];
        obj[..self.m].clone_from_slice(b);
        for (i, row) in self.rows.iter().enumerate() {
            let k = self.basis[i];
            if k >= self.m || b[k].sgn() == Ordering::Equal {
                continue;
            }
            for (o, v) in obj.iter_mut().zip(row) {
                if v.sgn() != Ordering::Equal {
                    *o = o.sub(&b[k].mul(v));
                }
            }
        }
        self.obj = obj;
    }

    fn dual_solution(&self) -> Vec<F> {
        let rhs = self.width() - 1;
        let mut y = vec![F::zero(); self.m];
        for (i, &k) in self.basis.iter().enumerate() {
            if k < self.m {
                y[k] = self.rows[i][rhs].clone();
            }
        }
        y
    }
}

/// Solves `min c . x  s.t.  A x <= b` (`x` free). Returns `None` only when `max_pivots` is
/// exceeded (possible in floating point; the rational run terminates by Bland's rule).
///
/// # Examples
/// ```
/// use relu_regions::lp::simplex::{solve, LpOutcome};
/// use relu_regions::num::q;
/// // min -x - y  s.t.  x <= 1, y <= 2, -x <= 0, -y <= 0
/// let a = vec![vec![q(1), q(0)], vec![q(0), q(1)], vec![q(-1), q(0)], vec![q(0), q(-1)]];
/// let b = vec![q(1), q(2), q(0), q(0)];
/// match solve(&a, &b, &[q(-1), q(-1)], 1000).unwrap() {
///     LpOutcome::Optimal { x, .. } => assert_eq!(x, vec![q(1), q(2)]),
///     other => panic!("{other:?}"),
/// }
/// ```
pub fn solve<F: Field>(a: &[Vec<F>], b: &[F], c: &[F], max_pivots: usize) -> Option<LpOutcome<F>> {
    let mut t = Tableau::new(a, c);
    t.run(max_pivots)?.ok()?;
    let rhs = t.width() - 1;
    if t.obj[rhs].sgn() == Ordering::Less {
        let pi = t.multipliers(&F::one());
        return Some(LpOutcome::Unbounded { ray: pi });
    }
    t.drive_out_artificials();
    t.set_phase_two_objective(b);
    match t.run(max_pivots)? {
        Ok(()) => {
            let x = t.multipliers(&F::zero());
            let basis = t.basis.iter().copied().filter(|&k| k < t.m).collect();
            Some(LpOutcome::Optimal { x, y: t.dual_solution(), basis })
        }
        Err(s) => {
            let mut y = vec![F::zero(); t.m];
            y[s] = F::one();
            for (i, &k) in t.basis.iter().enumerate() {
                if k < t.m {
                    y[k] = t.rows[i][s].neg();
                }
            }
            Some(LpOutcome::Infeasible { y })
        }
    }
}

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
        None if super::interrupt::requested() => None,
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
        None if super::interrupt::requested() => None,
        None => {
            let z = solve_square_rational(m, r)?;
            let den = crate::num::common_denominator(&z);
            Some((z.iter().map(|v| crate::num::scaled_numerator(v, &den)).collect(), den))
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
    use crate::num::{common_denominator, scaled_numerator};
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
    for k in 0..n {
        // a run that must stop gives up here (`None`, as for no answer)
        if super::interrupt::requested() {
            return None;
        }
        let Some(p) = (k..n).find(|&i| !a[i][k].is_zero()) else { return Some(None) };
        a.swap(k, p);
        let (before, rest) = a.split_at_mut(k);
        let (pivot_row, after) = rest.split_first_mut().expect("row k");
        let pivot = &pivot_row[k];
        for row in before.iter_mut().chain(after.iter_mut()) {
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

/// True when every entry is `>= 0`.
pub(crate) fn all_nonnegative(v: &[Q]) -> bool {
    v.iter().all(|x| !x.is_negative())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::q;

    fn qs(v: &[i64]) -> Vec<Q> {
        v.iter().map(|&x| q(x)).collect()
    }

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
                        assert_eq!(&crate::num::dot(row, &z), ri);
                    }
                }
            }
        }
    }

    #[test]
    fn detects_infeasible_with_farkas() {
        // x <= 0 and -x <= -1
        let a = vec![qs(&[1]), qs(&[-1])];
        let b = qs(&[0, -1]);
        match solve(&a, &b, &qs(&[0]), 100).unwrap() {
            LpOutcome::Infeasible { y } => {
                assert!(all_nonnegative(&y));
                assert_eq!(&y[0] * q(1) + &y[1] * q(-1), q(0));
                assert!(&y[0] * q(0) + &y[1] * q(-1) < q(0));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn detects_unbounded_with_ray() {
        let a = vec![qs(&[1, 0])];
        let b = qs(&[1]);
        match solve(&a, &b, &qs(&[0, 1]), 100).unwrap() {
            LpOutcome::Unbounded { ray } => {
                assert!(ray[0] <= q(0));
                assert!(ray[1] < q(0));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn degenerate_vertex_terminates() {
        // many constraints through the origin
        let a =
            vec![qs(&[1, 1]), qs(&[1, 2]), qs(&[2, 1]), qs(&[1, 0]), qs(&[0, 1]), qs(&[-1, 0]), qs(&[0, -1])];
        let b = qs(&[0, 0, 0, 0, 0, 1, 1]);
        match solve(&a, &b, &qs(&[-1, -1]), 1000).unwrap() {
            LpOutcome::Optimal { x, y, .. } => {
                assert_eq!(&x[0] + &x[1], q(0));
                assert!(all_nonnegative(&y));
            }
            other => panic!("{other:?}"),
        }
        let f: Vec<Vec<f64>> = a.iter().map(|r| r.iter().map(crate::num::to_f64).collect()).collect();
        let fb: Vec<f64> = b.iter().map(crate::num::to_f64).collect();
        assert!(matches!(solve(&f, &fb, &[-1.0, -1.0], 1000), Some(LpOutcome::Optimal { .. })));
    }
}
