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
//! The run's stop token ([`crate::jobs::StopToken`]) is polled at every pivot and, inside a pivot, every
//! [`Field::POLL_ENTRIES`] entry updates (a few dozen big rationals over [`Q`]): a solve that
//! must stop gives up (`None`) within one row's work, however large its numbers have grown.
//!
//! # Complexity
//! Each pivot is `O(n (m + n))` field operations; the number of pivots is small in practice
//! (a few times `n`) and finite in the worst case.

use crate::exact::num::{sign, Q};
use num_traits::{One, Signed, Zero};
use std::cmp::Ordering;

pub(crate) use super::square::{solve_square, solve_square_scaled, solve_square_scaled_integers};

/// The arithmetic the simplex needs: exact for [`Q`], tolerance-based for `f64`.
pub trait Field: Clone {
    /// Entry updates between two polls of the stop token inside a pivot.
    const POLL_ENTRIES: usize = 1 << 14;
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
    // one update of big rationals costs up to milliseconds (a gcd of thousands of digits)
    const POLL_ENTRIES: usize = 64;
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
    /// The phase-one tableau; `None` when the run must stop while it is formed (its objective
    /// row sums every row: one pivot's work).
    fn new(a: &[Vec<F>], c: &[F]) -> Option<Tableau<F>> {
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
        let mut poll = crate::runtime::stop::Poll::every(F::POLL_ENTRIES);
        for row in &rows {
            if poll.stop(width) {
                return None;
            }
            for (j, v) in row.iter().enumerate() {
                if j < m || j == width - 1 {
                    obj[j] = obj[j].sub(v);
                }
            }
        }
        Some(Tableau { rows, obj, basis: (m..m + n).collect(), m, flips })
    }

    fn width(&self) -> usize {
        self.obj.len()
    }

    /// Pivots on row `r`, column `s`; `None` when the run must stop (the tableau is then left
    /// half-updated, and the solve gives up).
    fn pivot(&mut self, r: usize, s: usize) -> Option<()> {
        let width = self.width();
        let mut poll = crate::runtime::stop::Poll::every(F::POLL_ENTRIES);
        let p = self.rows[r][s].clone();
        for v in self.rows[r].iter_mut() {
            if v.sgn() != Ordering::Equal {
                *v = v.div(&p);
            }
        }
        let pivot_row = self.rows[r].clone();
        let eliminate = |row: &mut Vec<F>, poll: &mut crate::runtime::stop::Poll| {
            let f = row[s].clone();
            if f.sgn() == Ordering::Equal {
                row[s] = F::zero();
                return Some(());
            }
            if poll.stop(width) {
                return None;
            }
            for (v, pv) in row.iter_mut().zip(&pivot_row) {
                if pv.sgn() != Ordering::Equal {
                    *v = v.sub(&f.mul(pv));
                }
            }
            row[s] = F::zero();
            Some(())
        };
        for (i, row) in self.rows.iter_mut().enumerate() {
            if i != r {
                eliminate(row, &mut poll)?;
            }
        }
        eliminate(&mut self.obj, &mut poll)?;
        self.basis[r] = s;
        Some(())
    }

    /// Bland's rule on the current objective row; `Err(col)` reports an unbounded column.
    fn run(&mut self, max_pivots: usize) -> Option<Result<(), usize>> {
        let rhs = self.width() - 1;
        for _ in 0..max_pivots {
            if crate::runtime::stop::requested() {
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
                Some((r, _)) => self.pivot(r, s)?,
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

    /// `None` when the run must stop.
    fn drive_out_artificials(&mut self) -> Option<()> {
        for r in 0..self.rows.len() {
            if self.basis[r] < self.m {
                continue;
            }
            if let Some(s) = (0..self.m).find(|&j| self.rows[r][j].sgn() != Ordering::Equal) {
                self.pivot(r, s)?;
            }
        }
        Some(())
    }

    /// `None` when the run must stop (one pivot's work, like [`Tableau::new`]).
    fn set_phase_two_objective(&mut self, b: &[F]) -> Option<()> {
        let width = self.width();
        let mut obj = vec![F::zero(); width];
        obj[..self.m].clone_from_slice(b);
        let mut poll = crate::runtime::stop::Poll::every(F::POLL_ENTRIES);
        for (i, row) in self.rows.iter().enumerate() {
            let k = self.basis[i];
            if k >= self.m || b[k].sgn() == Ordering::Equal {
                continue;
            }
            if poll.stop(width) {
                return None;
            }
            for (o, v) in obj.iter_mut().zip(row) {
                if v.sgn() != Ordering::Equal {
                    *o = o.sub(&b[k].mul(v));
                }
            }
        }
        self.obj = obj;
        Some(())
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
/// exceeded (possible in floating point; the rational run terminates by Bland's rule) or the
/// run's stop token asks to stop ([`crate::jobs::StopToken`]).
///
/// # Examples
/// ```
/// use relu_regions::exact::simplex::{solve, LpOutcome};
/// use relu_regions::exact::num::q;
/// // min -x - y  s.t.  x <= 1, y <= 2, -x <= 0, -y <= 0
/// let a = vec![vec![q(1), q(0)], vec![q(0), q(1)], vec![q(-1), q(0)], vec![q(0), q(-1)]];
/// let b = vec![q(1), q(2), q(0), q(0)];
/// match solve(&a, &b, &[q(-1), q(-1)], 1000).unwrap() {
///     LpOutcome::Optimal { x, .. } => assert_eq!(x, vec![q(1), q(2)]),
///     other => panic!("{other:?}"),
/// }
/// ```
pub fn solve<F: Field>(a: &[Vec<F>], b: &[F], c: &[F], max_pivots: usize) -> Option<LpOutcome<F>> {
    let mut t = Tableau::new(a, c)?;
    t.run(max_pivots)?.ok()?;
    let rhs = t.width() - 1;
    if t.obj[rhs].sgn() == Ordering::Less {
        let pi = t.multipliers(&F::one());
        return Some(LpOutcome::Unbounded { ray: pi });
    }
    t.drive_out_artificials()?;
    t.set_phase_two_objective(b)?;
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

/// True when every entry is `>= 0`.
pub(crate) fn all_nonnegative(v: &[Q]) -> bool {
    v.iter().all(|x| !x.is_negative())
}

#[cfg(test)]
mod tests;
