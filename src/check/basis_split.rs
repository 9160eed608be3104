//! A basis of listed rows with its axis-parallel rows taken out: the multipliers of a target
//! on the basis from a system of the order of its other rows only.
//!
//! A basis `B` of `d` rows (the columns of `N = A_B^T`) whose axis-parallel rows `alpha_k x_j(k)
//! <= c_k` sit on distinct coordinates `J` leaves the other rows `G` (as many as the coordinates
//! `F` outside `J`) to satisfy the equations of `F` alone: `sum_{g in G} y_g a_g[F] = delta_G
//! v[F]`, a system of order `|G|`. Each axis row then takes what is left of its own coordinate,
//! `y_k alpha_k = delta_G v[j(k)] - sum_g y_g a_g[j(k)]`, made integral by scaling everything by
//! `L`, the least common multiple of the `|alpha_k|`. `N` is singular exactly when two axis rows
//! share a coordinate or the order-`|G|` system is singular (`det N = +- prod alpha_k det N_G`),
//! so the split solves the same systems as an elimination of order `d`, in fewer products where
//! the basis holds box faces (on ACAS Xu at width 0.02, 3-5 of a region's listed rows are box
//! faces in 70% of the regions).
//!
//! Nothing here is trusted: the caller checks `y >= 0` and `sum y_i A_{B_i} = delta v` by its
//! own exact sums.

use super::farkas::IntRow;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

/// How a basis splits into its axis-parallel rows and the others.
#[derive(Debug)]
pub(super) struct Split {
    /// The positions in the basis of the rows that are not axis-parallel.
    general: Vec<usize>,
    /// The coordinates no axis row of the basis bounds (as many as `general`).
    free: Vec<usize>,
    /// Per axis row: its position in the basis, its coordinate `j`, and `L / alpha` (exact).
    axis: Vec<(usize, usize, BigInt)>,
    /// `L > 0`, the least common multiple of the axis rows' `|alpha|`.
    scale: BigInt,
}

impl Split {
    /// The split of `basis` (indices into `rows`, each of `d` coefficients); `None` when the
    /// basis is singular by its axis rows (two on one coordinate) or not square.
    pub(super) fn new(rows: &[IntRow], basis: &[usize], d: usize) -> Option<Split> {
        if basis.len() != d || basis.iter().any(|&k| k >= rows.len() || rows[k].a.len() != d) {
            return None;
        }
        let mut covered = vec![false; d];
        let mut general = Vec::new();
        let mut axis = Vec::new();
        for (pos, &k) in basis.iter().enumerate() {
            let mut nonzero = rows[k].a.iter().enumerate().filter(|(_, v)| !v.is_zero());
            match (nonzero.next(), nonzero.next()) {
                (Some((j, alpha)), None) => {
                    if std::mem::replace(&mut covered[j], true) {
                        return None; // two axis rows on one coordinate: N is singular
                    }
                    axis.push((pos, j, alpha.clone()));
                }
                (None, _) => return None, // a zero column
                _ => general.push(pos),
            }
        }
        let free: Vec<usize> = (0..d).filter(|&j| !covered[j]).collect();
        let scale = axis.iter().fold(BigInt::one(), |l, (_, _, alpha)| l.lcm(alpha));
        let axis = axis.into_iter().map(|(pos, j, alpha)| (pos, j, &scale / alpha)).collect();
        Some(Split { general, free, axis, scale })
    }

    /// `N_G`, the other rows on the free coordinates: `m[f][g] = a_{general[g]}[free[f]]`.
    pub(super) fn reduced(&self, rows: &[IntRow], basis: &[usize]) -> Vec<Vec<BigInt>> {
        self.free
            .iter()
            .map(|&j| self.general.iter().map(|&g| rows[basis[g]].a[j].clone()).collect())
            .collect()
    }

    /// The target `v` on the free coordinates.
    pub(super) fn free_part(&self, v: &[BigInt]) -> Vec<BigInt> {
        self.free.iter().map(|&j| v[j].clone()).collect()
    }

    /// `(y, delta)` on the whole basis from `(y_G, delta_G)` with `N_G y_G = delta_G v[F]`,
    /// `delta_G > 0`: the axis rows' multipliers from what is left of their coordinates.
    pub(super) fn complete(
        &self,
        rows: &[IntRow],
        basis: &[usize],
        v: &[BigInt],
        (y_g, delta_g): (&[BigInt], &BigInt),
    ) -> Option<(Vec<BigInt>, BigInt)> {
        if y_g.len() != self.general.len() || !delta_g.is_positive() {
            return None;
        }
        let mut y = vec![BigInt::zero(); basis.len()];
        for (&pos, yg) in self.general.iter().zip(y_g) {
            y[pos] = if self.scale.is_one() { yg.clone() } else { yg * &self.scale };
        }
        for (pos, j, factor) in &self.axis {
            let mut left = delta_g * &v[*j];
            for (&g, yg) in self.general.iter().zip(y_g) {
                let a = &rows[basis[g]].a[*j];
                if !a.is_zero() && !yg.is_zero() {
                    left -= yg * a;
                }
            }
            y[*pos] = left * factor;
        }
        Some((y, delta_g * &self.scale))
    }

    /// `(y_G, delta_G)` with `N_G y_G = delta_G v[F]`, `delta_G > 0`, by one fraction-free
    /// elimination of the reduced system (`None` when it is singular); [`Split::complete`]
    /// makes the whole basis's multipliers of it.
    pub(super) fn solve(
        &self,
        rows: &[IntRow],
        basis: &[usize],
        v: &[BigInt],
    ) -> Option<(Vec<BigInt>, BigInt)> {
        if self.general.is_empty() {
            return Some((Vec::new(), BigInt::one()));
        }
        let n: Vec<Vec<BigInt>> = self
            .reduced(rows, basis)
            .into_iter()
            .zip(self.free_part(v))
            .map(|(mut row, vj)| {
                row.push(vj);
                row
            })
            .collect();
        crate::exact::simplex::solve_square_scaled_integers(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::Q;
    use proptest::prelude::*;

    /// The determinant of `n` by rational Gaussian elimination (independent of the split and
    /// of the fraction-free eliminations).
    fn determinant(n: &[Vec<BigInt>]) -> Q {
        let mut m: Vec<Vec<Q>> =
            n.iter().map(|r| r.iter().map(|v| Q::from_integer(v.clone())).collect()).collect();
        let size = m.len();
        let mut det = Q::one();
        for k in 0..size {
            let Some(p) = (k..size).find(|&i| !m[i][k].is_zero()) else { return Q::zero() };
            if p != k {
                m.swap(k, p);
                det = -det;
            }
            det *= m[k][k].clone();
            let (top, below) = m.split_at_mut(k + 1);
            let pivot_row = &top[k];
            for row in below {
                let f = &row[k] / &pivot_row[k];
                for (v, p) in row[k..].iter_mut().zip(&pivot_row[k..]) {
                    *v -= &f * p;
                }
            }
        }
        det
    }

    /// The multipliers through the split, the reduced system solved by the exact elimination.
    fn split_solve(rows: &[IntRow], v: &[BigInt]) -> Option<(Vec<BigInt>, BigInt)> {
        let basis: Vec<usize> = (0..rows.len()).collect();
        let split = Split::new(rows, &basis, v.len())?;
        let small = split.solve(rows, &basis, v)?;
        split.complete(rows, &basis, v, (&small.0, &small.1))
    }

    /// A row: axis-parallel on `axis` (with its coefficient) or general, entries scaled by `2^shift`.
    fn make_row(d: usize, axis: Option<(usize, i64)>, general: &[i64], shift: i32) -> IntRow {
        let scale = |v: i64| if shift >= 0 { BigInt::from(v) << shift as u32 } else { BigInt::from(v) };
        let a = match axis {
            Some((j, alpha)) => {
                (0..d).map(|i| if i == j % d { scale(alpha) } else { BigInt::zero() }).collect()
            }
            None => general.iter().take(d).map(|&v| scale(v)).collect(),
        };
        IntRow { a, b: BigInt::zero() }
    }

    proptest! {
        /// On a square basis with axis rows (coefficients up to `2^80`, repeated coordinates,
        /// zero ones), the split gives `N y = delta v` with `delta > 0` exactly when `N` is
        /// nonsingular (an independent rational determinant), and then `y` is the unique
        /// solution up to the factor.
        #[test]
        fn split_solves_the_whole_basis(
            d in 1usize..6,
            kinds in proptest::collection::vec((proptest::option::of((0usize..6, -3i64..4)), proptest::collection::vec(-4i64..5, 6), 0i32..81), 6),
            v in proptest::collection::vec(-9i64..10, 6),
            v_shift in 0u32..81,
        ) {
            let rows: Vec<IntRow> = kinds.iter().take(d).map(|(axis, g, s)| make_row(d, *axis, g, *s)).collect();
            let v: Vec<BigInt> = v.iter().take(d).map(|&x| BigInt::from(x) << v_shift).collect();
            let n: Vec<Vec<BigInt>> = (0..d).map(|j| rows.iter().map(|r| r.a[j].clone()).collect()).collect();
            let singular = determinant(&n).is_zero();
            match split_solve(&rows, &v) {
                None => prop_assert!(singular),
                Some((y, delta)) => {
                    prop_assert!(!singular);
                    prop_assert!(delta.is_positive());
                    for (j, vj) in v.iter().enumerate() {
                        let s: BigInt = rows.iter().zip(&y).map(|(r, yi)| &r.a[j] * yi).sum();
                        prop_assert_eq!(s, &delta * vj);
                    }
                }
            }
        }
    }

    /// A near-tie: the box corner `x <= 1, y <= 1` and the row `x + (1 + 2^-80) y <= ...` as
    /// integers; the split's multipliers are exact (one of them `2^80`-scaled), not rounded.
    #[test]
    fn huge_and_tiny_coefficients_are_exact() {
        let big = BigInt::one() << 80u32;
        let rows = vec![
            IntRow { a: vec![BigInt::one(), BigInt::zero()], b: BigInt::one() },
            IntRow { a: vec![big.clone(), &big + 1], b: BigInt::zero() },
        ];
        let v = vec![BigInt::from(3), &big + 1];
        let (y, delta) = split_solve(&rows, &v).unwrap();
        // y_1 (2^80 + 1) = delta (2^80 + 1): y_1 = delta; y_0 = 3 delta - 2^80 delta
        assert_eq!(y[1], delta);
        assert_eq!(y[0], &delta * (BigInt::from(3) - &big));
        assert!(y[0].is_negative());
    }
}
