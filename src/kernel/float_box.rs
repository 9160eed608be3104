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
//! The float evaluation of `L` is accepted only when it exceeds `beta` by more than the error
//! bound of [`kernel::safe_lower_bound_exceeds`], valid for every input (subnormal and
//! underflowing images, overflow).

use crate::exact::num::Q;
use crate::kernel::halfspace::Halfspace;
use crate::kernel::{self, image};

/// A box in floats: the images ([`image`]) of the bounds of an exact box (a box domain's, or
/// floats exact as they stand, [`crate::certify::bounding_box`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FloatBox {
    lo: Vec<f64>,
    hi: Vec<f64>,
}

impl FloatBox {
    /// The float box of an exact box given by its `(lo, hi)` bounds (a box domain's:
    /// [`crate::network::Domain::float_box`]).
    pub(crate) fn of_box(bounds: &[(Q, Q)]) -> FloatBox {
        FloatBox {
            lo: bounds.iter().map(|(l, _)| image(l)).collect(),
            hi: bounds.iter().map(|(_, h)| image(h)).collect(),
        }
    }

    /// The box with these float bounds: images ([`image`]) of exact bounds of a box that
    /// holds whatever it is used for.
    pub(crate) fn new(lo: Vec<f64>, hi: Vec<f64>) -> FloatBox {
        debug_assert_eq!(lo.len(), hi.len());
        FloatBox { lo, hi }
    }

    /// The dimension.
    pub(crate) fn dim(&self) -> usize {
        self.lo.len()
    }

    /// The float lower bound of coordinate `j`.
    pub(crate) fn lo(&self, j: usize) -> f64 {
        self.lo[j]
    }

    /// The float upper bound of coordinate `j`.
    pub(crate) fn hi(&self, j: usize) -> f64 {
        self.hi[j]
    }
}

/// True when `g . x <= beta` provably contains no point of `R = rows ∩ box`, proved with the
/// multipliers `y` (one per row, negative entries treated as 0; `None` means all 0).
pub(crate) fn proves_empty(rows: &[&Halfspace], g: &Halfspace, y: Option<&[f64]>, bx: &FloatBox) -> bool {
    proves_empty_floats(rows, g.float_a(), g.float_b(), y, bx)
}

/// [`proves_empty_floats`] without rows (interval arithmetic over the box) for a halfspace
/// `g . x <= beta` whose coefficients are zero outside the coordinates `columns`, given there
/// (`g[k]` is the coefficient of `x[columns[k]]`): the bound is that of the problem in those
/// coordinates alone, since every other term is exactly 0.
pub(crate) fn interval_excludes_sparse(bx: &FloatBox, columns: &[usize], g: &[f64], beta: f64) -> bool {
    let pick = |v: &[f64]| -> Vec<f64> { columns.iter().map(|&j| v[j]).collect() };
    kernel::safe_lower_bound_exceeds(std::iter::empty(), (&pick(&bx.lo), &pick(&bx.hi)), g, beta, None)
}

/// True when `c . x + e > m` is proved on every point of the box (interval arithmetic), for an
/// affine function given by the images `c`, `e` of its exact coefficients ([`kernel::image`])
/// and an exact `m`; `c[k]` is the coefficient of `x[columns[k]]` and every other one is 0
/// (`columns` `None`: `c` is dense). The offset enters as a coordinate fixed at 1.
pub(crate) fn interval_exceeds(bx: &FloatBox, columns: Option<&[usize]>, c: &[f64], e: f64, m: f64) -> bool {
    let (mut lo, mut hi) = match columns {
        Some(columns) => {
            (columns.iter().map(|&j| bx.lo[j]).collect(), columns.iter().map(|&j| bx.hi[j]).collect())
        }
        None => (bx.lo.clone(), bx.hi.clone()),
    };
    lo.push(1.0);
    hi.push(1.0);
    let g: Vec<f64> = c.iter().copied().chain([e]).collect();
    kernel::safe_lower_bound_exceeds(std::iter::empty(), (&lo, &hi), &g, m, None)
}

/// [`proves_empty`] for a halfspace given by the images `g_a`, `g_b` of its exact coefficients
/// ([`kernel::image`]). With no rows this is interval arithmetic.
pub(crate) fn proves_empty_floats(
    rows: &[&Halfspace],
    g_a: &[f64],
    g_b: f64,
    y: Option<&[f64]>,
    bx: &FloatBox,
) -> bool {
    let rows = rows.iter().map(|r| (r.float_a(), r.float_b()));
    kernel::safe_lower_bound_exceeds(rows, (&bx.lo, &bx.hi), g_a, g_b, y)
}

/// [`proves_empty_floats`] with the multipliers given sparsely (`(i, y_i)` by increasing row
/// number, every other one 0): the same answer as the dense form, reading only those rows.
pub(crate) fn proves_empty_sparse(
    rows: &[&Halfspace],
    g_a: &[f64],
    g_b: f64,
    y: &[(usize, f64)],
    bx: &FloatBox,
) -> bool {
    let row = |i: usize| (rows[i].float_a(), rows[i].float_b());
    kernel::safe_lower_bound_exceeds_sparse(row, rows.len(), (&bx.lo, &bx.hi), g_a, g_b, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::q;

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
        let row = Halfspace::new(vec![q(-1), q(-1)], crate::exact::num::parse_rational("-1/2").unwrap());
        let g = Halfspace::new(vec![q(1), q(1)], q(0));
        assert!(!proves_empty(&[&row], &g, None, &bx));
        assert!(proves_empty(&[&row], &g, Some(&[1.0]), &bx));
        // the bound is sound: a halfspace that meets R is never proved empty
        let g = Halfspace::new(vec![q(1), q(1)], q(1));
        for y in [0.0, 0.5, 1.0, 3.0] {
            assert!(!proves_empty(&[&row], &g, Some(&[y]), &bx));
        }
    }

    #[test]
    fn interval_exceeds_is_tight_and_sound() {
        let bx = FloatBox { lo: vec![-1.0, 0.0, 2.0], hi: vec![1.0, 1.0, 3.0] };
        // 2 x0 - x2 + 7 on the box: minimum 2 (at x0 = -1, x2 = 3), maximum 7
        let (c, e) = ([2.0, -1.0], 7.0);
        assert!(interval_exceeds(&bx, Some(&[0, 2]), &c, e, 1.999));
        assert!(!interval_exceeds(&bx, Some(&[0, 2]), &c, e, 2.0), "attained: never proved");
        assert!(interval_exceeds(&bx, None, &[2.0, 0.0, -1.0], e, 1.999));
        // its negation stays below 7 but reaches it
        assert!(interval_exceeds(&bx, Some(&[0, 2]), &[-2.0, 1.0], -e, -7.001));
        assert!(!interval_exceeds(&bx, Some(&[0, 2]), &[-2.0, 1.0], -e, -7.0));
        // a huge offset and tiny coefficients: the error bound, not the rounding, decides
        assert!(!interval_exceeds(&bx, Some(&[0]), &[1e-300], 1e300, 1e300));
        assert!(!interval_exceeds(&bx, Some(&[0]), &[f64::INFINITY], 0.0, 0.0));
    }
}
