//! Nonnegative combinations of a region's listed rows, in integers, solved once per basis.
//!
//! The implied constraints of one region (and the directions of its boundedness proof) are
//! mostly combinations of the same few bases of listed rows (the corners of the region the
//! constraints lean on). A [`Combiner`] holds the listed rows as integers (each row scaled by a
//! positive integer, which changes no sign of a combination) and, for each basis it has met,
//! the multipliers of its first few targets by one fraction-free elimination each, then the
//! inverse of the transposed basis matrix up to a positive integer factor: `X N = delta I`
//! with `N = A_B^T`, by one fraction-free Gauss-Jordan elimination (about three eliminations'
//! work, paid only by a basis that serves many targets). A target `v` then costs `d^2`
//! products: `y = X v`, kept when `y >= 0` and `sum y_i A_{B_i} = delta v` holds by exact
//! sums (checked here, so that nothing of the elimination is trusted). Only a target that no
//! known basis combines asks a float LP for a new basis.
//!
//! Floats only propose (a basis, and which known basis to try first); every answer is the
//! exact integer check.

use super::basis_split::Split;
use super::constraints::Row;
use crate::exact::num::{common_denominator, Q};
use crate::exact::simplex::{solve, LpOutcome};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

/// A row `a . x <= b` as integers (a positive multiple of the rational row).
#[derive(Clone, Debug)]
pub(super) struct IntRow {
    pub a: Vec<BigInt>,
    pub b: BigInt,
}

impl IntRow {
    pub(super) fn new(row: &Row) -> IntRow {
        let den = common_denominator(row.a.iter().chain([&row.b]));
        let int = |v: &Q| v.numer() * (&den / v.denom());
        IntRow { a: row.a.iter().map(int).collect(), b: int(&row.b) }
    }
}

/// A basis met: its rows, `X` with `X N_G = delta_G I` (`delta_G > 0`; `N_G` its rows that are
/// not axis-parallel on the coordinates its axis rows leave free, [`Split`]) once
/// [`SOLVES_BEFORE_INVERSE`] targets were solved on it by elimination, and `(A_B^T)^-1` in
/// floats (to choose which basis to try; `None` where the floats fail).
struct Basis {
    rows: Vec<usize>,
    /// Its axis-parallel rows apart: `X` inverts only the others on the free coordinates.
    split: Split,
    exact: Option<(Vec<Vec<BigInt>>, BigInt)>,
    float: Option<Vec<Vec<f64>>>,
    /// The targets solved on it by one elimination each, before `X` is made.
    solved: u32,
}

/// The targets a basis solves by one elimination each before its inverse is made (an inverse
/// costs about three eliminations; on ACAS Xu most bases met again serve one or two more).
const SOLVES_BEFORE_INVERSE: u32 = 3;

/// Nonnegative integer multipliers `y` on `rows` (indices into the listed rows) with
/// `sum y_i A_i = delta v`, `delta > 0`.
pub(super) struct Combination {
    pub rows: Vec<usize>,
    pub y: Vec<BigInt>,
    pub delta: BigInt,
}

/// The listed rows of one region and the bases met so far.
pub(super) struct Combiner {
    rows: Vec<IntRow>,
    /// The rows scaled to unit infinity norm in floats, for the LPs that propose bases.
    float: Option<(Vec<Vec<f64>>, Vec<f64>)>,
    bases: Vec<Basis>,
    d: usize,
}

impl Combiner {
    #[cfg(test)]
    pub(super) fn new(rows: &[&Row], d: usize) -> Combiner {
        Combiner::with_ints(rows, rows.iter().map(|r| IntRow::new(r)).collect(), d)
    }

    /// [`Combiner::new`] with the rows in integers already (`ints[i]` a positive multiple of
    /// `rows[i]`, as [`IntRow::new`] gives it).
    pub(super) fn with_ints(rows: &[&Row], ints: Vec<IntRow>, d: usize) -> Combiner {
        let (a, b, _) = crate::lp::scaled_rows(rows);
        let finite = a.iter().flatten().chain(&b).all(|v| v.is_finite());
        Combiner { rows: ints, float: finite.then_some((a, b)), bases: Vec::new(), d }
    }

    /// The listed rows in integers.
    pub(super) fn ints(&self) -> &[IntRow] {
        &self.rows
    }

    /// Whether the listed rows imply `row` (a checked Farkas vector on a known basis or on a
    /// float LP's basis); `false` when none is found (the caller may still try elsewhere).
    pub(super) fn implies(&mut self, row: &IntRow) -> bool {
        // sum y_i b_i <= delta b
        self.bound(&row.a).is_some_and(|(value, delta)| value <= &delta * &row.b)
    }

    /// A bound the listed rows prove on `v . x`: `(s, delta)` with `v . x <= s / delta` on every
    /// point of the rows (`delta > 0`), from a checked combination `sum y_i A_i = delta v`,
    /// `y >= 0` (then `delta v . x = sum y_i A_i . x <= sum y_i b_i = s`); `None` when none
    /// is found.
    pub(super) fn bound(&mut self, v: &[BigInt]) -> Option<(BigInt, BigInt)> {
        let c = self.combine(v)?;
        let mut value = BigInt::zero();
        for (&k, y) in c.rows.iter().zip(&c.y) {
            if !y.is_zero() {
                value += y * &self.rows[k].b;
            }
        }
        Some((value, c.delta))
    }

    /// A checked combination of the listed rows equal to `v` up to a positive factor: on a
    /// known basis whose float multipliers look nonnegative first, else on the basis of a float
    /// LP `max v . x` over the rows (solved for `v` alone the first time it is met).
    pub(super) fn combine(&mut self, v: &[BigInt]) -> Option<Combination> {
        if v.len() != self.d {
            return None;
        }
        let vf = unit_floats(v);
        let likely: Vec<usize> = (0..self.bases.len())
            .rev()
            .filter(|&i| self.bases[i].looks_nonnegative(vf.as_deref()))
            .take(2)
            .collect();
        for i in likely {
            if let Some(c) = self.bases[i].combination(&self.rows, v) {
                return Some(c);
            }
        }
        let basis = self.float_basis(vf.as_deref()?)?;
        if let Some(i) = self.bases.iter().position(|b| b.rows == basis) {
            return self.bases[i].combination(&self.rows, v);
        }
        // the rows that are not axis-parallel on the free coordinates, solved alone
        let split = Split::new(&self.rows, &basis, self.d)?;
        let small = split.solve(&self.rows, &basis, v)?;
        let (y, delta) = split.complete(&self.rows, &basis, v, (&small.0, &small.1))?;
        let float = self.float.as_ref().and_then(|(a, _)| float_inverse(a, &basis));
        let found = Combination { rows: basis.clone(), y, delta };
        self.bases.push(Basis { rows: basis, split, exact: None, float, solved: 1 });
        found.holds(&self.rows, v).then_some(found)
    }

    /// The basis of the float LP `max v . x` over the rows (`v` in floats).
    fn float_basis(&self, vf: &[f64]) -> Option<Vec<usize>> {
        let (a, b) = self.float.as_ref()?;
        let c: Vec<f64> = vf.iter().map(|x| -x).collect();
        match solve(a, b, &c, 50 * (a.len() + self.d))? {
            LpOutcome::Optimal { basis, .. } if basis.len() == self.d => Some(basis),
            _ => None,
        }
    }
}

/// `v` scaled to unit infinity norm in floats (`None` when it does not fit).
fn unit_floats(v: &[BigInt]) -> Option<Vec<f64>> {
    let bits = v.iter().map(|x| x.bits()).max()?;
    let shift = bits.saturating_sub(60);
    let f: Vec<f64> = v.iter().map(|x| (x >> shift).to_f64().unwrap_or(f64::NAN)).collect();
    let norm = f.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    (norm > 0.0 && norm.is_finite()).then(|| f.iter().map(|x| x / norm).collect())
}

/// `(A_B^T)^-1` in floats (Gauss-Jordan with partial pivoting; `None` when it fails).
fn float_inverse(a: &[Vec<f64>], basis: &[usize]) -> Option<Vec<Vec<f64>>> {
    let n = basis.len();
    let mut m: Vec<Vec<f64>> = (0..n)
        .map(|j| basis.iter().map(|&k| a[k][j]).chain((0..n).map(|i| f64::from(u8::from(i == j)))).collect())
        .collect();
    for k in 0..n {
        let p = (k..n).max_by(|&i, &j| m[i][k].abs().total_cmp(&m[j][k].abs()))?;
        if m[p][k].abs() < 1e-12 {
            return None;
        }
        m.swap(k, p);
        let pivot = m[k][k];
        m[k].iter_mut().for_each(|v| *v /= pivot);
        let pivot_row = m[k].clone();
        for (i, row) in m.iter_mut().enumerate().filter(|(i, _)| *i != k) {
            let f = row[k];
            if f != 0.0 && i != k {
                row.iter_mut().zip(&pivot_row).for_each(|(v, p)| *v -= f * p);
            }
        }
    }
    let inv: Vec<Vec<f64>> = m.into_iter().map(|row| row[n..].to_vec()).collect();
    inv.iter().flatten().all(|v| v.is_finite()).then_some(inv)
}

impl Combination {
    /// `y >= 0` and `sum y_i A_{B_i} = delta v`, by exact sums (nothing of the solve that
    /// gave `y` is trusted).
    fn holds(&self, rows: &[IntRow], v: &[BigInt]) -> bool {
        self.delta.is_positive()
            && !self.y.iter().any(Signed::is_negative)
            && self.rows.len() == self.y.len()
            && v.iter().enumerate().all(|(j, vj)| {
                let mut s = -(&self.delta * vj);
                for (&k, yk) in self.rows.iter().zip(&self.y) {
                    if !yk.is_zero() {
                        s += yk * &rows[k].a[j];
                    }
                }
                s.is_zero()
            })
    }
}

/// `X` and `delta` for a square `N` by fraction-free Gauss-Jordan elimination on `[N | I]`
/// (each division exact; one that is not gives `None`); `None` when `N` is singular.
fn exact_inverse(n_matrix: Vec<Vec<BigInt>>) -> Option<(Vec<Vec<BigInt>>, BigInt)> {
    let n = n_matrix.len();
    if n_matrix.iter().any(|row| row.len() != n) {
        return None;
    }
    let mut m: Vec<Vec<BigInt>> = n_matrix
        .into_iter()
        .enumerate()
        .map(|(j, mut row)| {
            row.extend((0..n).map(|i| BigInt::from(u8::from(i == j))));
            row
        })
        .collect();
    let mut previous = BigInt::one();
    for k in 0..n {
        if crate::runtime::stop::requested() {
            return None;
        }
        let p = (k..n).find(|&i| !m[i][k].is_zero())?;
        m.swap(k, p);
        let (before, rest) = m.split_at_mut(k);
        let (pivot_row, after) = rest.split_first_mut().expect("row k");
        let pivot = &pivot_row[k];
        for row in before.iter_mut().chain(after.iter_mut()) {
            let factor = std::mem::take(&mut row[k]);
            for (j, v) in row.iter_mut().enumerate() {
                if j == k {
                    continue;
                }
                // the columns of earlier pivots: this row's own pivot is scaled like the
                // rest, the others stay zero
                let mut w = &*v * pivot;
                if !factor.is_zero() && !pivot_row[j].is_zero() {
                    w -= &factor * &pivot_row[j];
                }
                let (q, r) = w.div_rem(&previous);
                if !r.is_zero() {
                    return None;
                }
                *v = q;
            }
        }
        previous = pivot.clone();
    }
    // now m = [delta I | X] with delta the last pivot; delta > 0 by a common sign change
    let sign = if previous.is_negative() { -BigInt::one() } else { BigInt::one() };
    let delta = &previous * &sign;
    let x: Vec<Vec<BigInt>> = m.into_iter().map(|row| row[n..].iter().map(|v| v * &sign).collect()).collect();
    Some((x, delta))
}

impl Basis {
    /// Whether the float multipliers of `v` on this basis look nonnegative (a guess).
    fn looks_nonnegative(&self, vf: Option<&[f64]>) -> bool {
        let (Some(x), Some(v)) = (&self.float, vf) else { return false };
        x.iter().all(|row| row.iter().zip(v).map(|(a, b)| a * b).sum::<f64>() >= -1e-9)
    }

    /// The multipliers of `v` on this basis when `y >= 0` and `sum y_i A_{B_i} = delta v`
    /// (checked exactly): by one elimination for the first few targets, then `y = X v` with `X`
    /// computed once.
    fn combination(&mut self, rows: &[IntRow], v: &[BigInt]) -> Option<Combination> {
        let (y, delta) = if self.exact.is_none() && self.solved < SOLVES_BEFORE_INVERSE {
            self.solved += 1;
            let (y, delta) = self.split.solve(rows, &self.rows, v)?;
            self.split.complete(rows, &self.rows, v, (&y, &delta))?
        } else {
            if self.exact.is_none() {
                self.exact = Some(exact_inverse(self.split.reduced(rows, &self.rows))?);
            }
            let (x, delta) = self.exact.as_ref()?;
            let free = self.split.free_part(v);
            let mut y = Vec::with_capacity(x.len());
            for row in x {
                let mut s = BigInt::zero();
                for (a, b) in row.iter().zip(&free) {
                    if !a.is_zero() && !b.is_zero() {
                        s += a * b;
                    }
                }
                if s.is_negative() {
                    return None;
                }
                y.push(s);
            }
            self.split.complete(rows, &self.rows, v, (&y, delta))?
        };
        let c = Combination { rows: self.rows.clone(), y, delta };
        c.holds(rows, v).then_some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::q;

    fn row(a: &[i64], b: i64) -> Row {
        Row::new(a.iter().map(|&v| q(v)).collect(), q(b))
    }

    /// The square `|x| <= 1, |y| <= 1` implies `x + y <= 2` and not `x + y <= 1`; the diagonal
    /// direction `(1, 1)` combines `x <= 1` and `y <= 1`, and `-(1, 1)` the other two, each
    /// checked by its own sums. A basis found once serves a second target.
    #[test]
    fn combinations_of_a_square_are_exact() {
        let rows = [row(&[1, 0], 1), row(&[-1, 0], 1), row(&[0, 1], 1), row(&[0, -1], 1)];
        let refs: Vec<&Row> = rows.iter().collect();
        let mut c = Combiner::new(&refs, 2);
        assert!(c.implies(&IntRow::new(&row(&[1, 1], 2))));
        assert!(!c.implies(&IntRow::new(&row(&[1, 1], 1))));
        assert!(c.implies(&IntRow::new(&row(&[2, 3], 5))));
        let found = c.combine(&[BigInt::from(-1), BigInt::from(-1)]).unwrap();
        let mut rows_used = found.rows.clone();
        rows_used.sort_unstable();
        assert_eq!(rows_used, vec![1, 3]);
        // a direction no nonnegative combination gives: the open half-plane x > 0 alone
        let half = [row(&[1, 0], 1), row(&[0, 1], 1), row(&[0, -1], 1)];
        let refs: Vec<&Row> = half.iter().collect();
        assert!(Combiner::new(&refs, 2).combine(&[BigInt::from(-1), BigInt::from(0)]).is_none());
    }

    /// Near-ties through a vertex, where a sloppy filter would accept: the box
    /// `-1 <= x, y <= 1` cut by `x + (1 + t) y <= t`, `t = 2^-80` (a general row, scaled to
    /// integers with entries near `2^80`), implies `2x + y <= m` with `m` the exact maximum over
    /// the region's vertices (tight at `(1, (t - 1) / (1 + t))`: a basis of one box face and the
    /// general row, the split's path) and not `2x + y <= m - t^2`.
    #[test]
    fn near_ties_at_a_vertex_are_exact() {
        let tiny = Q::new(BigInt::one(), BigInt::one() << 80u32);
        let one = Q::one();
        let rows = [
            Row::new(vec![one.clone(), Q::zero()], one.clone()),
            Row::new(vec![-one.clone(), Q::zero()], one.clone()),
            Row::new(vec![Q::zero(), one.clone()], one.clone()),
            Row::new(vec![Q::zero(), -one.clone()], one.clone()),
            Row::new(vec![one.clone(), &one + &tiny], tiny.clone()),
        ];
        let refs: Vec<&Row> = rows.iter().collect();
        // the region's vertices: three corners of the box, and where the cut meets x = 1
        let vertices = [
            vec![one.clone(), -one.clone()],
            vec![-one.clone(), -one.clone()],
            vec![-one.clone(), one.clone()],
            vec![one.clone(), (&tiny - &one) / (&one + &tiny)],
        ];
        for v in &vertices {
            assert!(rows.iter().all(|r| r.slack(v) >= Q::zero()), "a vertex outside");
        }
        let max_at = |a: &[Q]| vertices.iter().map(|v| &a[0] * &v[0] + &a[1] * &v[1]).max().unwrap();
        let a = vec![Q::from_integer(2.into()), one.clone()];
        let tight = max_at(&a);
        assert_eq!(tight, (&one + &tiny * Q::from_integer(3.into())) / (&one + &tiny));
        let mut c = Combiner::new(&refs, 2);
        assert!(c.implies(&IntRow::new(&Row::new(a.clone(), tight.clone()))));
        let below = &tight - &tiny * &tiny;
        assert!(!c.implies(&IntRow::new(&Row::new(a, below))));
    }

    /// The inverse up to a factor of a basis with growing entries is exact: `X N = delta I`.
    #[test]
    fn gauss_jordan_inverts_exactly() {
        let rows: Vec<IntRow> = [[3, 1, 4], [1, 5, 9], [2, 6, 5]]
            .iter()
            .map(|a| IntRow { a: a.iter().map(|&v| BigInt::from(v)).collect(), b: BigInt::zero() })
            .collect();
        let n: Vec<Vec<BigInt>> = (0..3).map(|j| rows.iter().map(|r| r.a[j].clone()).collect()).collect();
        let (x, delta) = exact_inverse(n).unwrap();
        assert!(delta.is_positive());
        for (i, xi) in x.iter().enumerate() {
            for (j, row) in rows.iter().enumerate() {
                // N[k][j] = rows[j].a[k]
                let s: BigInt = xi.iter().zip(&row.a).map(|(a, b)| a * b).sum();
                let want = if i == j { delta.clone() } else { BigInt::zero() };
                assert_eq!(s, want);
            }
        }
    }
}
