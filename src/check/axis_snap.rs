//! The interval certificate with exact multipliers, for a region whose listed rows are mostly
//! axis-parallel (the conv net's regions in 784 dimensions: about 1,566 box faces and two
//! neuron rows) and a target that needs multipliers no rounded float gives.
//!
//! `a . x <= b` is implied by the listed rows when there are `y >= 0` on the few listed rows
//! that are not axis-parallel (`r_i . x <= c_i`) such that `W = a - sum y_i r_i` leans only on
//! bounds the axis rows give (`W_j > 0` needs an upper bound `hi_j`, `W_j < 0` a lower `lo_j`)
//! and `b - sum y_i c_i - sum_j W_j (W_j > 0 ? hi_j : lo_j) >= 0`: every point of the region
//! obeys the bounds and the rows, so `a . x = W . x + sum y_i r_i . x <= b`.
//!
//! Where a side has no bound, `W_j` must vanish there, exactly: an unlisted box face
//! `x_j <= hi_j` cut off by a neuron row `r . x <= c` needs `y r_j = 1`. A float LP (`max a . x`
//! over the non-axis rows inside the bounds, a missing side replaced by a far one) proposes
//! `y`; the coordinates with a missing side where the proposed `W_j` is about zero (or leans on
//! the missing side) are made exact zeros by solving, in rationals, the small system
//! `sum_i y_i r_ij = a_j` on them for the multipliers the LP chose (the others kept at their
//! float values, exact dyadic rationals). Nothing of the LP or of the solve is trusted: the
//! conditions above are checked in exact rationals, `O(k d)` for `k` chosen rows, where the
//! general Farkas vector on a basis of `d` listed rows takes an elimination of order `d`.

use super::box_farkas::{axis_value, float_bounds};
use super::constraints::Row;
use crate::exact::num::{from_f64_exact, to_f64, Q};
use crate::lp::boxed::BoxLp;
use num_traits::{Signed, Zero};

/// The dimension from which a region's eliminations of order `d` cost far more than the
/// interval certificates: this certificate is tried from there, and below it the unlisted box
/// faces are proved by combinations first (`implied::axis_bound`).
pub(super) const HIGH_DIMENSION: usize = 16;

/// The relative size under which a proposed `W_j` counts as zero.
const ZERO: f64 = 1e-9;

/// A non-axis listed row, sparse: its nonzero entries and its bound.
struct Sparse {
    entries: Vec<(usize, Q)>,
    b: Q,
    /// The nearest floats of `entries`' values.
    floats: Vec<f64>,
}

/// The axis bounds of a region's listed rows and its other listed rows.
pub(super) struct AxisSnap {
    d: usize,
    lo: Vec<Option<Q>>,
    hi: Vec<Option<Q>>,
    rows: Vec<Sparse>,
    /// The float LP over `rows` inside the bounds (`None` when its floats do not fit).
    lp: Option<BoxLp>,
}

impl AxisSnap {
    /// Whether the certificate is worth trying on `rows` in `d` dimensions: few rows that are not
    /// axis-parallel (at most one in eight of the dimension), so that the general Farkas vector,
    /// an elimination of order `d`, costs far more than this certificate's small solve.
    pub(super) fn fits(rows: &[Row], d: usize) -> bool {
        let others = rows.iter().filter(|r| axis(r, d).is_none()).count();
        d >= HIGH_DIMENSION && 8 * others <= d
    }

    /// The certificate's data for a region confined by the listed `rows` in `d` dimensions.
    pub(super) fn new(rows: &[Row], d: usize) -> AxisSnap {
        let mut lo: Vec<Option<Q>> = vec![None; d];
        let mut hi: Vec<Option<Q>> = vec![None; d];
        let mut others = Vec::new();
        for r in rows.iter().filter(|r| r.a.len() == d) {
            match axis(r, d) {
                Some(j) => {
                    let v = axis_value(r, j);
                    if r.a[j].is_positive() {
                        if hi[j].as_ref().is_none_or(|h| v < *h) {
                            hi[j] = Some(v);
                        }
                    } else if lo[j].as_ref().is_none_or(|l| v > *l) {
                        lo[j] = Some(v);
                    }
                }
                None => {
                    let entries: Vec<(usize, Q)> =
                        r.a.iter()
                            .enumerate()
                            .filter(|(_, v)| !v.is_zero())
                            .map(|(j, v)| (j, v.clone()))
                            .collect();
                    // a zero row says nothing about the points; leaving it out only weakens
                    // what the certificate may use
                    if !entries.is_empty() {
                        let floats = entries.iter().map(|(_, v)| to_f64(v)).collect();
                        others.push(Sparse { entries, b: r.b.clone(), floats });
                    }
                }
            }
        }
        let lp = float_bounds(&lo, &hi).and_then(|(flo, fhi)| {
            let rows: Vec<(Vec<f64>, f64)> = others
                .iter()
                .map(|s| {
                    let mut a = vec![0.0; d];
                    for ((j, _), f) in s.entries.iter().zip(&s.floats) {
                        a[*j] = *f;
                    }
                    (a, to_f64(&s.b))
                })
                .collect();
            BoxLp::from_floats(&rows, &flo, &fhi)
        });
        AxisSnap { d, lo, hi, rows: others, lp }
    }

    /// Whether the certificate proves `target` (a row of the region's dimension) implied.
    pub(super) fn implies(&self, target: &Row) -> bool {
        if target.a.len() != self.d {
            return false;
        }
        if self.rows.is_empty() {
            return self.holds(target, &[]);
        }
        let Some(y) = self.propose(target) else { return false };
        self.holds(target, &y)
    }

    /// The multipliers `(row, y_i)` the float LP proposes, made exact on the coordinates with
    /// a missing side where they should cancel the target.
    fn propose(&self, target: &Row) -> Option<Vec<(usize, Q)>> {
        let lp = self.lp.as_ref()?;
        let af: Vec<f64> = target.a.iter().map(to_f64).collect();
        let norm = af.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if !(norm > 0.0 && norm.is_finite()) {
            return None;
        }
        let g: Vec<f64> = af.iter().map(|v| -v / norm).collect();
        let opt = lp.minimize(&g)?;
        // the proposal for the target as given: `y_i = yf_i norm`
        let chosen: Vec<(usize, f64)> = opt
            .y
            .iter()
            .enumerate()
            .filter(|(_, y)| **y > 0.0 && y.is_finite())
            .map(|(i, y)| (i, y * norm))
            .collect();
        let mut w: Vec<f64> = af.clone();
        let mut size: Vec<f64> = af.iter().map(|v| v.abs()).collect();
        for &(i, y) in &chosen {
            for ((j, _), f) in self.rows[i].entries.iter().zip(&self.rows[i].floats) {
                w[*j] -= y * f;
                size[*j] += (y * f).abs();
            }
        }
        // the coordinates with a missing side where `W_j` must be an exact zero
        let cancel: Vec<usize> = (0..self.d)
            .filter(|&j| self.lo[j].is_none() || self.hi[j].is_none())
            .filter(|&j| {
                let leans = (w[j] > 0.0 && self.hi[j].is_none()) || (w[j] < 0.0 && self.lo[j].is_none());
                size[j] > 0.0 && (w[j].abs() <= ZERO * size[j] || leans)
            })
            .collect();
        let proposed: Vec<Q> = chosen.iter().map(|&(_, v)| from_f64_exact(v)).collect::<Option<_>>()?;
        let equations: Vec<Vec<Q>> = cancel
            .iter()
            .map(|&j| {
                let mut eq: Vec<Q> = chosen.iter().map(|&(i, _)| self.rows[i].coefficient(j)).collect();
                eq.push(target.a[j].clone());
                eq
            })
            .collect();
        let y = solve_pinned(equations, &proposed);
        Some(chosen.iter().map(|&(i, _)| i).zip(y).collect())
    }

    /// The exact check of the certificate with multipliers `y` (`(row, y_i)`).
    fn holds(&self, target: &Row, y: &[(usize, Q)]) -> bool {
        if y.iter().any(|(_, v)| v.is_negative()) {
            return false;
        }
        let mut w = target.a.clone();
        let mut total = target.b.clone();
        for (i, yi) in y.iter().filter(|(_, v)| !v.is_zero()) {
            let row = &self.rows[*i];
            for (j, r) in &row.entries {
                w[*j] -= yi * r;
            }
            total -= yi * &row.b;
        }
        for (j, wj) in w.iter().enumerate() {
            let bound = if wj.is_positive() {
                &self.hi[j]
            } else if wj.is_negative() {
                &self.lo[j]
            } else {
                continue;
            };
            let Some(bound) = bound else { return false };
            total -= wj * bound;
        }
        !total.is_negative()
    }
}

/// The `k` unknowns of the linear `equations` (each `k` coefficients then its right side) in
/// rationals by Gauss-Jordan: the unknowns with a pivot from their equation, the others (no
/// pivot: the equations do not fix them) at their `proposed` values. Equations left over after
/// the pivots are not checked: the caller's exact check decides whatever comes out.
pub(super) fn solve_pinned(mut m: Vec<Vec<Q>>, proposed: &[Q]) -> Vec<Q> {
    let k = proposed.len();
    let mut pivots = Vec::new();
    let mut r = 0;
    for c in 0..k {
        let Some(p) = (r..m.len()).find(|&i| !m[i][c].is_zero()) else { continue };
        m.swap(r, p);
        let pivot = m[r][c].clone();
        m[r].iter_mut().for_each(|v| *v /= &pivot);
        let pivot_row = m[r].clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i != r && !row[c].is_zero() {
                let f = row[c].clone();
                row.iter_mut().zip(&pivot_row).for_each(|(v, p)| *v -= &f * p);
            }
        }
        pivots.push(c);
        r += 1;
    }
    // each pivot variable from its row, the free ones at their proposed values
    let mut y = proposed.to_vec();
    for (row, &c) in m.iter().zip(&pivots) {
        let mut v = row[k].clone();
        for f in (0..k).filter(|f| !pivots.contains(f)) {
            if !row[f].is_zero() {
                v -= &row[f] * &proposed[f];
            }
        }
        y[c] = v;
    }
    y
}

impl Sparse {
    fn coefficient(&self, j: usize) -> Q {
        self.entries.iter().find(|(k, _)| *k == j).map_or_else(Q::zero, |(_, v)| v.clone())
    }
}

/// The coordinate of an axis-parallel row's only nonzero entry.
fn axis(r: &Row, d: usize) -> Option<usize> {
    if r.a.len() != d {
        return None;
    }
    let mut nonzero = (0..d).filter(|&j| !r.a[j].is_zero());
    match (nonzero.next(), nonzero.next()) {
        (Some(j), None) => Some(j),
        _ => None,
    }
}
