//! The filtered-arithmetic kernel: the one module where floating point may *decide* anything.
//!
//! Every float filter of the crate (signs of affine forms, safe dual bounds and interval bounds,
//! the neighbour pass, the prefilter of exact row comparisons) calls a function of this module,
//! and each returns `None` ("undecided") unless a forward error bound, valid for **every**
//! input, proves its answer. Undecided questions go to exact rational arithmetic. As in CGAL's
//! filtered kernels and geo's robust predicates, the float answer is a fast path, never a guess.
//!
//! # The error model
//! Let `u = 2^-53` (unit roundoff) and `eta = 2^-1074` (the smallest subnormal). The *image*
//! `f` of an exact rational `v` ([`image`]) is the correctly rounded `f64` (num-rational's
//! conversion), so
//!
//! ```text
//! |v - f| <= 4 u |f| + eta            whenever f is finite                     (I)
//! ```
//!
//! (the relative part holds with room to spare for faithful rounding; `eta` covers values whose
//! image is subnormal or 0; an infinite image means "undecided"). Integer numerators converted
//! by the fixed-point maps (`fixed`) (relative error below `2^-52`) satisfy (I) too, and so does any float
//! that is exactly the value it stands for.
//!
//! Rounded operations obey `fl(a op b) = (a op b)(1 + d) + e` with `|d| <= u`, `|e| <= eta / 2`
//! and `e = 0` for additions (a sum that lands in the subnormal range is exact). A product that
//! underflows therefore loses at most `eta / 2` absolutely: the bounds below carry such absolute
//! terms besides the usual relative ones, which is what makes them hold for subnormal inputs,
//! underflowing products and huge partners (`1e308 * 5e-324`). Overflow gives infinities or
//! NaN, and every function answers `None` then.
//!
//! # The bound of [`affine_sign`]
//! For images `a_i`, `x_i`, `b` (each obeying (I)) the computed `s = fl(b - sum a_i x_i)`
//! differs from the exact `S = b* - sum a_i* x_i*` by at most
//!
//! ```text
//! (n + 14) u M + 1.01 eta (X + A) + 2 (n + 1) eta,    M = |b| + sum |fl(a_i x_i)|,
//!                                                      X = sum |x_i|,  A = sum |a_i|
//! ```
//!
//! The input errors contribute `(8u + 16u^2)|a_i x_i| + (1 + 4u) eta (|a_i| + |x_i|) + eta^2`
//! per term and `4u|b| + eta` for `b`; each product `u |a_i x_i| + eta / 2`; the recursive sum
//! `gamma_n M` with `gamma_n = n u / (1 - n u)` (Higham, *Accuracy and Stability of Numerical
//! Algorithms*, 2nd ed., section 3.1). The code compares `|s|` with twice that bound, computed in
//! floats; the factor 2 covers the rounding of the bound's own evaluation (relative error below
//! `(n + 5) u`, plus `eta / 2` per product, both far below the doubled margin for any `n` below
//! `10^13`). Only `|s| > bound` decides.
//!
//! The other bounds (`safe_lower_bound_exceeds`, `affine_with_error`) are derived the same
//! way in their docs.

use crate::exact::num::Q;
use std::cmp::Ordering;

/// Whether float filters may decide (the default), or every decision is made in exact
/// arithmetic with no float proposing or deciding anything (`--lp exact`, the reference path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    /// Float filters with proved error bounds decide when they can.
    #[default]
    Float,
    /// No floats at all: exact arithmetic decides everything.
    Off,
}

impl Filter {
    /// Whether float filters may run.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{Filter, Backend};
    /// assert!(Backend::FloatSimplex.filter().on() && !Backend::ExactOnly.filter().on());
    /// assert!(!Filter::Off.on());
    /// ```
    pub fn on(self) -> bool {
        self == Filter::Float
    }
}

/// Unit roundoff of `f64`: `2^-53`.
pub(crate) const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;

/// The smallest positive subnormal `f64`: `2^-1074`.
pub(crate) const ETA: f64 = 5e-324;

/// Relative part of the image error model (I): `4u = 2^-51`.
const IMAGE_RELATIVE: f64 = 4.0 * UNIT_ROUNDOFF;

/// The float image of an exact rational: the nearest `f64` (correctly rounded), `+-inf` beyond
/// the float range, 0 or a subnormal below it. Obeys the error model (I) of the module docs.
/// (Examples: `kernel::tests`.)
pub(crate) fn image(v: &Q) -> f64 {
    crate::exact::num::to_f64(v)
}

/// The images of a vector ([`image`]).
/// (Examples: `kernel::tests`.)
pub(crate) fn images(v: &[Q]) -> Vec<f64> {
    v.iter().map(image).collect()
}

/// A bound on `|v - f|` for the exact value `v` of an image `f`, by (I) (infinite for an
/// infinite image).
pub(crate) fn image_error(f: f64) -> f64 {
    IMAGE_RELATIVE * f.abs() + ETA
}

/// The exact sign of `b - a . x` (if `slack`) or `a . x + b` (otherwise), where `a`, `b`, `x`
/// are images of exact values, when the float evaluation and its error bound (module docs)
/// prove it; `None` when the float value is too close to zero or not finite.
/// (Examples: `kernel::tests`.)
pub(crate) fn affine_sign(a: &[f64], b: f64, x: &[f64], slack: bool) -> Option<Ordering> {
    let mut value = if slack { b } else { -b };
    let (mut magnitude, mut sum_x, mut sum_a) = (b.abs(), 0.0, 0.0);
    for (ai, xi) in a.iter().zip(x) {
        let p = ai * xi;
        value -= p;
        magnitude += p.abs();
        sum_x += xi.abs();
        sum_a += ai.abs();
    }
    if !slack {
        value = -value;
    }
    let n = a.len() as f64;
    let bound = 2.0 * ((n + 14.0) * UNIT_ROUNDOFF * magnitude + 2.0 * ETA * (sum_x + sum_a + n + 2.0));
    decide(value, bound)
}

/// The sign of `value` when `|value| > bound` (both finite); `None` otherwise.
fn decide(value: f64, bound: f64) -> Option<Ordering> {
    if !value.is_finite() || !bound.is_finite() {
        None
    } else if value > bound {
        Some(Ordering::Greater)
    } else if value < -bound {
        Some(Ordering::Less)
    } else {
        None
    }
}

/// Approximations `h_k` of exact reals, each within `err[k]`, with the two sums every row of a
/// layer needs (`affine_with_error`) computed once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Approximations {
    /// The float values.
    pub values: Vec<f64>,
    /// A bound on each value's distance to its exact real.
    pub errors: Vec<f64>,
    sum_errors: f64,
    sum_abs: f64,
}

impl Approximations {
    /// Values with their error bounds.
    pub(crate) fn new(values: Vec<f64>, errors: Vec<f64>) -> Approximations {
        let sum_errors = errors.iter().sum();
        let sum_abs = values.iter().map(|v| v.abs()).sum();
        Approximations { values, errors, sum_errors, sum_abs }
    }

    /// The images of exact values ([`image`]), with their image errors.
    pub(crate) fn images(exact: &[Q]) -> Approximations {
        let values = images(exact);
        let errors = values.iter().map(|&f| image_error(f)).collect();
        Approximations::new(values, errors)
    }
}

/// `sum_k w_k h_k + b` in floats with a rigorous bound on its distance to the exact value, for
/// images `w`, `b` (model (I)) and approximations `h` with `|h_k* - h_k| <= h.errors[k]`.
/// Returns `(value, error)`; the error is infinite or NaN when the evaluation overflowed.
///
/// The exact value differs from the computed one by at most
/// `(1 + 4u) P + eta (E + H) + (n + 6) 1.01 u M + (n + 1) eta` with `P = sum |w_k| h_err[k]`,
/// `E = sum h_err[k]`, `H = sum |h_k|`, `M = |b| + sum |fl(w_k h_k)|`: per term
/// `|w h - w' h'| <= |w'| e_h + |h'| (4u|w'| + eta) + (4u|w'| + eta) e_h`, `4u|b| + eta` for the
/// bias, the products and the recursive sum as in [`affine_sign`]. The returned error is twice
/// that (computed in floats), which covers the rounding of its own evaluation.
pub(crate) fn affine_with_error(w: &[f64], b: f64, h: &Approximations) -> (f64, f64) {
    let (mut value, mut magnitude, mut propagated) = (b, b.abs(), 0.0);
    let (sum_err, sum_h) = (h.sum_errors, h.sum_abs);
    for ((wk, hk), ek) in w.iter().zip(&h.values).zip(&h.errors) {
        let p = wk * hk;
        value += p;
        magnitude += p.abs();
        propagated += wk.abs() * ek;
    }
    let n = w.len() as f64;
    let error = 2.0
        * (propagated * (1.0 + IMAGE_RELATIVE)
            + (n + 8.0) * UNIT_ROUNDOFF * magnitude
            + 2.0 * ETA * (sum_err + sum_h + n + 2.0));
    (value, error)
}

/// The sign of an approximation `value` of an exact real within `error` (from
/// [`affine_with_error`]), when the bound proves it.
pub(crate) fn sign_within(value: f64, error: f64) -> Option<Ordering> {
    decide(value, error)
}

/// True when `L := sum_j min(r_j lo_j, r_j hi_j) - sum_i y_i b_i > beta` is proved for the exact
/// data, where `r = g + sum_i y_i a_i`, `g`, `beta`, the rows `(a_i, b_i)` and the box
/// `(lo, hi)` are images (model (I)) and `y` are exact floats, one per row (rows with a
/// negative or NaN multiplier are skipped, as if it were 0; `None`: all 0, which is interval
/// arithmetic). This is the safe dual bound of Neumaier and Shcherbina: then
/// `g . x > beta` on every point of `{A x <= b} ∩ box`.
///
/// # Error bound
/// With `R_j = |g_j| + sum_i |fl(y_i a_ij)|`, `W_j = max(|lo_j|, |hi_j|)`, `Y = sum_i y_i` and
/// `mag = |beta| + sum_i |fl(y_i b_i)| + sum_j R_j W_j`, the computed `L` and `beta` differ from
/// the exact ones by at most `(2.1 m + 1.1 d + 18) u mag + eta T`, with
/// `T = sum_j (1.01 W_j (1 + Y + m) + 2.02 R_j + 2 + Y + m) + Y + m + 1`: `r_j` is off by
/// `e_j <= 1.01 (m + 7) u R_j + eta (1 + Y + m)`, each `min(r lo, r hi)` by
/// `1.01 W_j e_j + e_j eta + 5u |r_j| W_j + eta |r_j| + eta / 2`, each `y_i b_i` by
/// `5u |y_i b_i| + eta y_i + eta`, and the final sum by `gamma_(m+d+1)` of its magnitude. The
/// code requires the margin to exceed `4 (m + d + 10) u mag + 2 eta (T + 2)`.
pub(crate) fn safe_lower_bound_exceeds<'r>(
    rows: impl IntoIterator<Item = (&'r [f64], f64)>,
    (lo, hi): (&[f64], &[f64]),
    g: &[f64],
    beta: f64,
    y: Option<&[f64]>,
) -> bool {
    // `m` counts every row paired with a multiplier, used or not, as the error bound says
    let m = std::cell::Cell::new(0usize);
    let used = y.map(|y| rows.into_iter().zip(y)).into_iter().flatten().filter_map(|((a, b), &yi)| {
        m.set(m.get() + 1);
        (!yi.is_nan() && yi > 0.0).then_some((a, b, yi))
    });
    safe_lower_bound_core(used, || m.get(), (lo, hi), g, beta)
}

/// [`safe_lower_bound_exceeds`] with the multipliers given sparsely: `y` lists `(i, y_i)` by
/// increasing row number `i` (every other row's multiplier is 0), `m` is the number of rows.
/// The same floats in the same order as the dense form with those multipliers, so the same
/// answer, without reading the rows whose multiplier is 0 (a vertex of the bound LP has at most
/// `d` nonzero multipliers among hundreds of rows).
pub(crate) fn safe_lower_bound_exceeds_sparse<'r>(
    row: impl Fn(usize) -> (&'r [f64], f64),
    m: usize,
    (lo, hi): (&[f64], &[f64]),
    g: &[f64],
    beta: f64,
    y: &[(usize, f64)],
) -> bool {
    debug_assert!(y.windows(2).all(|w| w[0].0 < w[1].0) && y.iter().all(|&(i, _)| i < m));
    let used = y.iter().filter(|(_, yi)| !yi.is_nan() && *yi > 0.0).map(|&(i, yi)| {
        let (a, b) = row(i);
        (a, b, yi)
    });
    safe_lower_bound_core(used, || m, (lo, hi), g, beta)
}

/// The bound of [`safe_lower_bound_exceeds`] over the rows `(a_i, b_i, y_i)` whose multiplier
/// is used (positive), in row order; `m()`, read after them, is the number of rows paired with
/// a multiplier.
fn safe_lower_bound_core<'r>(
    used: impl Iterator<Item = (&'r [f64], f64, f64)>,
    m: impl FnOnce() -> usize,
    (lo, hi): (&[f64], &[f64]),
    g: &[f64],
    beta: f64,
) -> bool {
    let d = g.len();
    // the reduced costs and their magnitudes, on the stack in few dimensions (this runs for
    // every bound LP)
    let mut stack = [0.0f64; 32];
    let mut heap = Vec::new();
    let buffer: &mut [f64] = if 2 * d <= stack.len() {
        &mut stack[..2 * d]
    } else {
        heap.resize(2 * d, 0.0);
        &mut heap
    };
    let (r, r_mag) = buffer.split_at_mut(d);
    for ((rj, mj), gj) in r.iter_mut().zip(r_mag.iter_mut()).zip(g) {
        *rj = *gj;
        *mj = gj.abs();
    }
    let (mut lower, mut magnitude, mut total_y) = (0.0, beta.abs(), 0.0);
    for (a, b, yi) in used {
        for j in 0..d {
            let t = a[j] * yi;
            r[j] += t;
            r_mag[j] += t.abs();
        }
        lower -= yi * b;
        magnitude += (yi * b).abs();
        total_y += yi;
    }
    let m = m();
    let (mut sum_w, mut sum_r) = (0.0, 0.0);
    for j in 0..d {
        let (lo, hi) = (lo[j], hi[j]);
        let width = lo.abs().max(hi.abs());
        lower += (r[j] * lo).min(r[j] * hi);
        magnitude += r_mag[j] * width;
        sum_w += width;
        sum_r += r_mag[j];
    }
    let (mf, df) = (m as f64, d as f64);
    let absolute =
        1.01 * sum_w * (1.0 + total_y + mf) + 2.02 * sum_r + df * (2.0 + total_y + mf) + total_y + mf + 3.0;
    let error = 4.0 * (mf + df + 10.0) * UNIT_ROUNDOFF * magnitude + 2.0 * ETA * absolute;
    let margin = lower - beta;
    margin.is_finite() && error.is_finite() && margin > error
}

/// Whether the images of a row are *faithful* to its direction: every image finite and every
/// nonzero exact entry's image at least `1e-290` in magnitude (normal, so within relative
/// error `5u` of the exact value). Only faithful rows go through [`may_be_proportional`].
pub(crate) fn images_faithful<'q>(exact: impl IntoIterator<Item = &'q Q>, images: &[f64]) -> bool {
    exact
        .into_iter()
        .zip(images)
        .all(|(v, f)| f.is_finite() && (num_traits::Zero::is_zero(v) || f.abs() >= 1e-290))
}

/// Whether two rows with faithful images ([`images_faithful`]; each row given as the images of
/// its normal and right-hand side) *may* be positive multiples of each other: `false` only when
/// the images, scaled to unit infinity norm, differ by more than `1e-6` in some entry. Exact
/// positive multiples cannot: their scaled images agree to `30u`, plus at most `2^-1021` where a
/// scaled entry underflows. Rows with a zero image are always "maybe".
///
/// Its first comparison alone, keyed per row: [`proportion_key`].
pub(crate) fn may_be_proportional(first: (&[f64], f64), second: (&[f64], f64)) -> bool {
    let norm = |(a, b): (&[f64], f64)| a.iter().fold(b.abs(), |m, v| m.max(v.abs()));
    let (n1, n2) = (norm(first), norm(second));
    if n1 == 0.0 || n2 == 0.0 || !n1.is_finite() || !n2.is_finite() {
        return true;
    }
    first
        .0
        .iter()
        .chain([&first.1])
        .zip(second.0.iter().chain([&second.1]))
        .all(|(x, y)| (x / n1 - y / n2).abs() <= 1e-6)
}

/// The first entry of a row's images scaled to unit infinity norm, computed as
/// [`may_be_proportional`] computes it (`None` where that answers "maybe" whatever the other
/// row): two rows whose keys differ by more than `1e-6` are told apart by it, so a list of rows
/// is compared pairwise only where keys are close.
pub(crate) fn proportion_key((a, b): (&[f64], f64)) -> Option<f64> {
    let n = a.iter().fold(b.abs(), |m, v| m.max(v.abs()));
    (n != 0.0 && n.is_finite()).then(|| a.first().unwrap_or(&b) / n)
}

pub(crate) mod approximate;
pub(crate) mod float_box;
pub(crate) mod halfspace;
pub(crate) mod tight_box;

#[cfg(test)]
mod tests;
