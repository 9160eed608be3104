//! Farkas certificates that take a region's axis-parallel rows by intervals: `a . x <= b` is
//! implied by listed rows when there are multipliers `y >= 0` on the few listed rows that are
//! NOT axis-parallel (`r_i . x <= c_i`) such that
//!
//! `max over the bounds of (a - sum y_i r_i) . x  <=  b - sum y_i c_i`,
//!
//! where the bounds `lo_j <= x_j <= hi_j` are the tightest of the axis-parallel rows (a side
//! with no such row has no bound, and then the combined row must not lean on it). Every point of
//! the region obeys the bounds and the rows, so `a . x = (a - sum y_i r_i) . x + sum y_i r_i . x`
//! is at most the left side plus `sum y_i c_i`, at most `b`. This is a Farkas vector whose
//! multipliers on the axis rows are computed by the interval sum, in `O(m d)` integer products
//! for `m` non-axis rows instead of an elimination of order `d` on a basis of listed rows (the
//! conv net of 784 inputs has about two listed rows that are not box faces).
//!
//! A float LP `max a . x` over the non-axis rows inside the bounds ([`BoxLp`], missing bounds
//! replaced by far ones) only proposes `y`; `y` is rounded down to dyadic integers and the
//! inequality is then decided exactly in integers, so nothing of the LP is trusted. A target
//! that needs exact multipliers the floats cannot give (a constraint through a vertex) fails
//! here and goes to the caller's other certificates.
//!
//! When the rounded multipliers fail, the target often lies in the span of the rows the LP
//! chose (MNIST's deep neuron rows all lie in the span of two facets): the multipliers are then
//! solved exactly on the coordinates where the float combination cancels the target (a small
//! rational system, [`solve_pinned`]), so that no rounding residual is left for the intervals to
//! absorb, and the same exact check decides again.

use super::axis_snap::solve_pinned;
use super::constraints::Row;
use super::farkas::IntRow;
use crate::exact::num::{common_denominator, from_f64_exact, scaled_numerator, to_f64, Q};
use crate::lp::boxed::BoxLp;
use num_bigint::{BigInt, Sign};
use num_traits::{One, Signed, ToPrimitive, Zero};

/// The significant bits kept of the largest proposed multiplier.
const Y_BITS: u64 = 62;

/// The relative size under which the float combination counts as cancelling the target at a
/// coordinate (an equation of the exact solve).
const CANCELS: f64 = 1e-9;

/// Up to this many coordinates another certificate is tried before the exact solve of the
/// multipliers ([`BoxFarkas::implies_or`]).
pub(super) const SOLVE_LAST_UP_TO: usize = 32;

/// The rounded multipliers' verdict: proved, refused with nothing to solve, or refused with
/// the target's scaled floats `af = a 2^-t` and the float multipliers to solve exactly.
enum Rounded {
    Proved,
    Refused,
    Unsolved(Vec<f64>, u64, Vec<f64>),
}

/// The axis bounds of a region's listed rows and its other listed rows, in integers.
pub(super) struct BoxFarkas {
    d: usize,
    /// `lo_j / den`, `hi_j / den` (`None`: no row bounds that side).
    lo: Vec<Option<BigInt>>,
    hi: Vec<Option<BigInt>>,
    den: BigInt,
    /// The listed rows that are not axis-parallel.
    rows: Vec<IntRow>,
    /// Per row of `rows`, the power of two its float image was divided by.
    shifts: Vec<u64>,
    /// Per row of `rows`, its float image (`a` only).
    images: Vec<Vec<f64>>,
    /// The float LP over `rows` inside the bounds (`None` when its floats do not fit).
    lp: Option<BoxLp>,
}

impl BoxFarkas {
    /// The certificate's data for a region confined by `rows` (each with its integer form:
    /// `ints[i]` a positive multiple of `rows[i]`) and by the axis-parallel `extra` rows (a
    /// domain's box, once the listed rows are proved to imply it).
    pub(super) fn new(rows: &[&Row], ints: &[IntRow], extra: &[&Row], d: usize) -> BoxFarkas {
        let mut lo: Vec<Option<Q>> = vec![None; d];
        let mut hi: Vec<Option<Q>> = vec![None; d];
        let mut others = Vec::new();
        let axis = |r: &Row| {
            let mut nonzero = (0..r.a.len()).filter(|&j| !r.a[j].is_zero());
            match (nonzero.next(), nonzero.next()) {
                (Some(j), None) if r.a.len() == d => Some(j),
                _ => None,
            }
        };
        let mut tighten = |r: &Row, j: usize| {
            let v = axis_value(r, j);
            let side = if r.a[j].is_positive() { &mut hi[j] } else { &mut lo[j] };
            let tighter = match side.as_ref() {
                None => true,
                Some(old) => (r.a[j].is_positive() && v < *old) || (r.a[j].is_negative() && v > *old),
            };
            if tighter {
                *side = Some(v);
            }
        };
        for (r, int) in rows.iter().zip(ints) {
            match axis(r) {
                Some(j) => tighten(r, j),
                None if int.a.len() == d => others.push(int.clone()),
                None => {}
            }
        }
        for r in extra {
            if let Some(j) = axis(r) {
                tighten(r, j);
            }
        }
        let den = common_denominator(lo.iter().chain(&hi).flatten());
        let int = |v: &Option<Q>| v.as_ref().map(|v| scaled_numerator(v, &den));
        let (ilo, ihi) = (lo.iter().map(int).collect(), hi.iter().map(int).collect());
        let images: Vec<(Vec<f64>, f64, u64)> = others.iter().map(float_row).collect();
        let lp = float_bounds(&lo, &hi).and_then(|(flo, fhi)| {
            let rows: Vec<(Vec<f64>, f64)> = images.iter().map(|(a, b, _)| (a.clone(), *b)).collect();
            BoxLp::from_floats(&rows, &flo, &fhi)
        });
        let shifts = images.iter().map(|(_, _, s)| *s).collect();
        let images = images.into_iter().map(|(a, _, _)| a).collect();
        BoxFarkas { d, lo: ilo, hi: ihi, den, rows: others, shifts, images, lp }
    }

    /// Whether the certificate proves `target` implied: by the bounds alone when there are no
    /// other rows, else with the multipliers the float LP proposes, checked exactly, rounded
    /// down to dyadics and else solved exactly where they cancel the target.
    #[cfg(test)]
    pub(super) fn implies(&self, target: &IntRow) -> bool {
        self.implies_or(target, || false)
    }

    /// [`BoxFarkas::implies`], with `others` (another certificate) tried where the rounded
    /// multipliers fail: before the exact solve up to [`SOLVE_LAST_UP_TO`] coordinates, where
    /// the other certificate's LP is small and a rational solve on wide numbers is the dearer
    /// (ACAS Xu), after it above (MNIST's 784 coordinates, where the other LP is dense and
    /// large). Either order decides the same: each certificate is checked exactly.
    pub(super) fn implies_or(&self, target: &IntRow, others: impl FnOnce() -> bool) -> bool {
        let (af, t, yf) = match self.rounded(target) {
            Rounded::Proved => return true,
            Rounded::Refused => return others(),
            Rounded::Unsolved(af, t, yf) => (af, t, yf),
        };
        let solve_first = self.d > SOLVE_LAST_UP_TO;
        if solve_first && self.holds_solved(target, &af, t, &yf) {
            return true;
        }
        others() || (!solve_first && self.holds_solved(target, &af, t, &yf))
    }

    /// The rounded multipliers' verdict, with the float multipliers to solve exactly where
    /// they fail.
    fn rounded(&self, target: &IntRow) -> Rounded {
        if target.a.len() != self.d {
            return Rounded::Refused;
        }
        if self.rows.is_empty() {
            return if self.holds(target, &[], 0) { Rounded::Proved } else { Rounded::Refused };
        }
        let Some(lp) = &self.lp else { return Rounded::Refused };
        let Some((af, t)) = scaled_floats(&target.a) else { return Rounded::Refused };
        let g: Vec<f64> = af.iter().map(|v| -v).collect();
        let Some(opt) = lp.minimize(&g) else { return Rounded::Refused };
        let Some((y, p)) = self.dyadic(&opt.y, t) else { return Rounded::Refused };
        if self.holds(target, &y, p) {
            Rounded::Proved
        } else {
            Rounded::Unsolved(af, t, opt.y)
        }
    }

    /// The exact check for multipliers solved in rationals on the coordinates where the float
    /// multipliers `yf` (of the rows' images, for the target's image `af = a 2^-t`) cancel the
    /// target: `sum_i y_i r_ij = a_j` over the rows with `yf_i > 0`, on at most a few such
    /// coordinates per row (the largest terms first), the rest of `y` at its float value.
    fn holds_solved(&self, target: &IntRow, af: &[f64], t: u64, yf: &[f64]) -> bool {
        let chosen: Vec<usize> = (0..yf.len()).filter(|&i| yf[i] > 0.0 && yf[i].is_finite()).collect();
        if chosen.is_empty() {
            return false;
        }
        let mut w = af.to_vec();
        let mut size: Vec<f64> = af.iter().map(|v| v.abs()).collect();
        for &i in &chosen {
            for (j, f) in self.images[i].iter().enumerate() {
                w[j] -= yf[i] * f;
                size[j] += (yf[i] * f).abs();
            }
        }
        let mut cancel: Vec<usize> =
            (0..self.d).filter(|&j| size[j] > 0.0 && w[j].abs() <= CANCELS * size[j]).collect();
        cancel.sort_by(|&i, &j| size[j].total_cmp(&size[i]));
        cancel.truncate(4 * chosen.len());
        let equations: Vec<Vec<Q>> = cancel
            .iter()
            .map(|&j| {
                let mut eq: Vec<Q> = chosen.iter().map(|&i| Q::from(self.rows[i].a[j].clone())).collect();
                eq.push(Q::from(target.a[j].clone()));
                eq
            })
            .collect();
        // `y_i = yf_i 2^(t - s_i)` for the target and rows as given
        let scale = |i: usize| {
            let e = t as i64 - self.shifts[i] as i64;
            let p = Q::from(BigInt::one() << e.unsigned_abs());
            if e >= 0 {
                p
            } else {
                p.recip()
            }
        };
        let proposed: Option<Vec<Q>> =
            chosen.iter().map(|&i| from_f64_exact(yf[i]).map(|v| v * scale(i))).collect();
        let Some(proposed) = proposed else { return false };
        let y = solve_pinned(equations, &proposed);
        if y.iter().any(Signed::is_negative) {
            return false;
        }
        let den = common_denominator(&y);
        let ints: Vec<(usize, BigInt)> = chosen
            .iter()
            .zip(&y)
            .map(|(&i, v)| (i, scaled_numerator(v, &den)))
            .filter(|(_, v)| !v.is_zero())
            .collect();
        self.holds_scaled(target, &den, &ints, &BigInt::one())
    }

    /// The float multipliers `yf_i` of the rows' images as integers `Y_i` with
    /// `y_i = Y_i 2^p` (rounded down, so nonnegative), for the target scaled by `2^-t`:
    /// `y_i = yf_i 2^(t - s_i)`. Only the positive ones, as `(row, Y_i)`.
    fn dyadic(&self, yf: &[f64], t: u64) -> Option<(Vec<(usize, BigInt)>, i64)> {
        let parts: Vec<(usize, u64, i64)> = yf
            .iter()
            .enumerate()
            .filter(|(_, y)| **y > 0.0)
            .map(|(i, y)| {
                let (m, e) = decompose(*y)?;
                Some((i, m, e + t as i64 - self.shifts[i] as i64))
            })
            .collect::<Option<_>>()?;
        let top = parts.iter().map(|&(_, m, e)| e + i64::from(64 - m.leading_zeros())).max();
        let Some(top) = top else { return Some((Vec::new(), 0)) };
        let p = top - Y_BITS as i64;
        let y = parts
            .into_iter()
            .map(|(i, m, e)| {
                let shift = e - p;
                let v = BigInt::from(m);
                (i, if shift >= 0 { v << shift as u64 } else { v >> (-shift) as u64 })
            })
            .filter(|(_, v)| !v.is_zero())
            .collect();
        Some((y, p))
    }

    /// The exact check for `y_i = Y_i 2^p` (`Y_i > 0`): with `L = 2^max(-p, 0)` and
    /// `R = 2^max(p, 0)`, `W = L a - R sum Y_i r_i` leans only on bounds that exist and
    /// `(L b - R sum Y_i c_i) den - sum_j W_j (W_j > 0 ? hi_j : lo_j) >= 0`, one integer
    /// expression (every factor positive, so the inequality is the rational one scaled).
    fn holds(&self, target: &IntRow, y: &[(usize, BigInt)], p: i64) -> bool {
        let (left, right) = if p >= 0 { (0, p as u64) } else { ((-p) as u64, 0) };
        self.holds_scaled(target, &(BigInt::one() << left), y, &(BigInt::one() << right))
    }

    /// The exact check for `y_i = Y_i R / L` (`Y_i > 0`, `L`, `R > 0`): `W = L a - R sum Y_i r_i`
    /// leans only on bounds that exist and `(L b - R sum Y_i c_i) den - sum_j W_j (W_j > 0 ?
    /// hi_j : lo_j) >= 0`.
    fn holds_scaled(&self, target: &IntRow, left: &BigInt, y: &[(usize, BigInt)], right: &BigInt) -> bool {
        let mut rhs = &target.b * left;
        let mut combined = BigInt::zero();
        for (i, yi) in y {
            combined += yi * &self.rows[*i].b;
        }
        rhs -= combined * right;
        let mut total = rhs * &self.den;
        for j in 0..self.d {
            let mut s = BigInt::zero();
            for (i, yi) in y {
                let r = &self.rows[*i].a[j];
                if !r.is_zero() {
                    s += yi * r;
                }
            }
            let w = &target.a[j] * left - s * right;
            let bound = match w.sign() {
                Sign::NoSign => continue,
                Sign::Plus => &self.hi[j],
                Sign::Minus => &self.lo[j],
            };
            let Some(bound) = bound else { return false };
            total -= w * bound;
        }
        !total.is_negative()
    }
}

/// The bound `b / a_j` an axis-parallel row `a_j x_j <= b` puts on `x_j` (above for `a_j > 0`,
/// below for `a_j < 0`): no division for the unit rows of a box (`a_j = +-1`).
pub(super) fn axis_value(r: &Row, j: usize) -> Q {
    let a = &r.a[j];
    if a.is_one() {
        r.b.clone()
    } else if (-a).is_one() {
        -&r.b
    } else {
        &r.b / a
    }
}

/// `x = m 2^e` for a positive finite float.
fn decompose(x: f64) -> Option<(u64, i64)> {
    if !(x.is_finite() && x > 0.0) {
        return None;
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1u64 << 52) - 1);
    Some(if exp == 0 { (frac, -1074) } else { (frac | (1u64 << 52), exp - 1075) })
}

/// The integers `v` divided by `2^t` (`t` the smallest that brings the largest under 2^60) in
/// floats, with `t`; `None` when all are zero.
fn scaled_floats(v: &[BigInt]) -> Option<(Vec<f64>, u64)> {
    let bits = v.iter().map(BigInt::bits).max()?;
    if bits == 0 {
        return None;
    }
    let t = bits.saturating_sub(60);
    let f = v.iter().map(|x| (x >> t).to_f64().unwrap_or(f64::NAN)).collect();
    Some((f, t))
}

/// A row's image divided by `2^s` (the same `s` for `a` and `b`), with `s`.
fn float_row(row: &IntRow) -> (Vec<f64>, f64, u64) {
    let bits = row.a.iter().chain([&row.b]).map(BigInt::bits).max().unwrap_or(0);
    let s = bits.saturating_sub(60);
    let f = |x: &BigInt| (x >> s).to_f64().unwrap_or(f64::NAN);
    (row.a.iter().map(f).collect(), f(&row.b), s)
}

/// The bounds in floats for the proposing LP: a missing side far outside the others (the LP
/// then proposes nothing that leans on it, or a `y` that the exact check refuses).
pub(super) fn float_bounds(lo: &[Option<Q>], hi: &[Option<Q>]) -> Option<(Vec<f64>, Vec<f64>)> {
    let f = |v: &Option<Q>| v.as_ref().map(to_f64);
    let known = lo.iter().chain(hi).filter_map(f).fold(0.0f64, |m, v| m.max(v.abs()));
    let far = 1e6 * (1.0 + known);
    let flo: Vec<f64> = lo.iter().map(|v| f(v).unwrap_or(-far)).collect();
    let fhi: Vec<f64> = hi.iter().map(|v| f(v).unwrap_or(far)).collect();
    let ok = flo.iter().chain(&fhi).all(|v| v.is_finite()) && flo.iter().zip(&fhi).all(|(l, h)| l <= h);
    ok.then_some((flo, fhi))
}
