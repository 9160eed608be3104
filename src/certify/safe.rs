//! Safe dual bounds (Neumaier and Shcherbina, "Safe bounds in linear and mixed-integer
//! programming", Math. Programming 2004) on box domains: a proof that a halfspace meets a region
//! in no interior point, from *any* multipliers `y >= 0` (e.g. a float LP's dual), evaluated in
//! floating point with a rigorous a-priori error bound.
//!
//! For `R = {x : A x <= b} ⊆ [lo, hi]` and the halfspace `g . x <= beta`: with
//! `r = g + A^T y`, every `x` in `R` satisfies `g . x = r . x - y^T A x >= r . x - y^T b >=
//! sum_j min(r_j lo_j, r_j hi_j) - y^T b =: L`. If `L > beta` then `g . x > beta` on all of `R`,
//! so `g . x <= beta` has no point of `R` at all. With `y = 0` this is plain interval arithmetic.
//!
//! The float evaluation of `L` is accepted only when it exceeds `beta` by more than its error
//! bound: each input is the nearest float of an exact rational (relative error at most 2 units
//! of roundoff), and the `O(m + d)` rounded operations add at most `(m + d + 10) u` relative to
//! the sum of absolute values; the bound is doubled for margin.

use crate::network::Domain;
use crate::num::to_f64;
use crate::poly::Halfspace;

const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;

/// The float image of a box domain.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatBox {
    lo: Vec<f64>,
    hi: Vec<f64>,
}

impl FloatBox {
    /// The box of a box domain (`None` for other domains).
    pub fn from_domain(domain: &Domain) -> Option<FloatBox> {
        match domain {
            Domain::Box(bounds) => Some(FloatBox {
                lo: bounds.iter().map(|(l, _)| to_f64(l)).collect(),
                hi: bounds.iter().map(|(_, h)| to_f64(h)).collect(),
            }),
            _ => None,
        }
    }

    /// The dimension.
    pub fn dim(&self) -> usize {
        self.lo.len()
    }

    /// The float lower bound of coordinate `j`.
    pub fn lo(&self, j: usize) -> f64 {
        self.lo[j]
    }

    /// The float upper bound of coordinate `j`.
    pub fn hi(&self, j: usize) -> f64 {
        self.hi[j]
    }
}

/// True when `g . x <= beta` provably contains no point of `R = rows ∩ box`, proved with the
/// multipliers `y` (one per row, negative entries treated as 0; `None` means all 0).
pub fn proves_empty(rows: &[&Halfspace], g: &Halfspace, y: Option<&[f64]>, bx: &FloatBox) -> bool {
    proves_empty_floats(rows, g.float_a(), g.float_b(), y, bx)
}

/// [`proves_empty`] for a halfspace given by the nearest floats `g_a`, `g_b` of its exact
/// coefficients (each within 2 units of roundoff). With no rows this is interval arithmetic.
pub fn proves_empty_floats(
    rows: &[&Halfspace],
    g_a: &[f64],
    g_b: f64,
    y: Option<&[f64]>,
    bx: &FloatBox,
) -> bool {
    let d = g_a.len();
    let mut r: Vec<f64> = g_a.to_vec();
    let mut r_mag: Vec<f64> = r.iter().map(|v| v.abs()).collect();
    let mut lower = 0.0;
    let mut magnitude = g_b.abs();
    if let Some(y) = y {
        for (row, &yi) in rows.iter().zip(y) {
            if yi.is_nan() || yi <= 0.0 {
                continue;
            }
            for j in 0..d {
                let t = row.float_a()[j] * yi;
                r[j] += t;
                r_mag[j] += t.abs();
            }
            lower -= yi * row.float_b();
            magnitude += (yi * row.float_b()).abs();
        }
    }
    for j in 0..d {
        let bound = bx.lo[j].abs().max(bx.hi[j].abs());
        lower += (r[j] * bx.lo[j]).min(r[j] * bx.hi[j]);
        magnitude += r_mag[j] * bound;
    }
    let ops = (rows.len() + d + 10) as f64;
    let error = 4.0 * ops * UNIT_ROUNDOFF * magnitude + 1e-300;
    let margin = lower - g_b;
    margin.is_finite() && error.is_finite() && margin > error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::q;

    #[test]
    fn interval_bound_and_dual_bound() {
        let bx = FloatBox { lo: vec![-1.0, -1.0], hi: vec![1.0, 1.0] };
        // x <= -2 misses the box
        let g = Halfspace::new(vec![q(1), q(0)], q(-2));
        assert!(proves_empty(&[], &g, None, &bx));
        // x <= -1 touches it: not provable
        let g = Halfspace::new(vec![q(1), q(0)], q(-1));
        assert!(!proves_empty(&[], &g, None, &bx));
        // R = {x + y >= 1/2 ... as -x - y <= -1/2}; g: x + y <= 0 is empty on R, needs y = 1
        let row = Halfspace::new(vec![q(-1), q(-1)], crate::num::parse_rational("-1/2").unwrap());
        let g = Halfspace::new(vec![q(1), q(1)], q(0));
        assert!(!proves_empty(&[&row], &g, None, &bx));
        assert!(proves_empty(&[&row], &g, Some(&[1.0]), &bx));
        // the bound is sound: a halfspace that meets R is never proved empty
        let g = Halfspace::new(vec![q(1), q(1)], q(1));
        for y in [0.0, 0.5, 1.0, 3.0] {
            assert!(!proves_empty(&[&row], &g, Some(&[y]), &bx));
        }
    }
}
