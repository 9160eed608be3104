//! Halfspaces `a . x <= b` over the rationals, with a cached float image for fast, error-bounded
//! sign filters.
//!
//! The float image never decides anything on its own: [`Halfspace::slack_sign`] returns the
//! float sign only when a forward error bound proves it, and computes in rationals otherwise.

use crate::num::{dot, sign, to_f64, Q};
use num_traits::Zero;
use std::cmp::Ordering;

/// Unit roundoff of `f64`.
const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;

/// The closed halfspace `a . x <= b`.
#[derive(Debug, Clone, PartialEq)]
pub struct Halfspace {
    /// The normal.
    pub a: Vec<Q>,
    /// The right-hand side.
    pub b: Q,
    float_a: Vec<f64>,
    float_b: f64,
    /// The coordinate of the only nonzero of `a`, when there is exactly one (a box face).
    single: Option<usize>,
    /// Some nonzero coefficient has a float image near or below the subnormal range, so the
    /// images are no faithful picture of the row's direction (no float prefilter then).
    tiny_image: bool,
}

/// Whether a nonzero exact value has a float image below `1e-290` (subnormal or flushed to 0:
/// its relative error is no longer a few ulps).
fn has_tiny_image(exact: &[Q], b: &Q, images: &[f64], b_image: f64) -> bool {
    exact.iter().zip(images).chain([(b, &b_image)]).any(|(v, f)| !v.is_zero() && f.abs() < 1e-290)
}

/// The index of the only nonzero entry of `a`, if there is exactly one.
fn single_nonzero(a: &[Q]) -> Option<usize> {
    let mut nonzero = a.iter().enumerate().filter(|(_, v)| !v.is_zero()).map(|(j, _)| j);
    let first = nonzero.next()?;
    nonzero.next().is_none().then_some(first)
}

impl Halfspace {
    /// The halfspace `a . x <= b`.
    pub fn new(a: Vec<Q>, b: Q) -> Halfspace {
        let float_a: Vec<f64> = a.iter().map(to_f64).collect();
        let float_b = to_f64(&b);
        let single = single_nonzero(&a);
        let tiny_image = has_tiny_image(&a, &b, &float_a, float_b);
        Halfspace { a, b, float_a, float_b, single, tiny_image }
    }

    /// The halfspace with its float image already computed (`float_a`, `float_b` must be the
    /// nearest floats of `a`, `b`, within 2 units of roundoff).
    pub fn with_floats(a: Vec<Q>, b: Q, float_a: Vec<f64>, float_b: f64) -> Halfspace {
        debug_assert_eq!(a.len(), float_a.len());
        let single = single_nonzero(&a);
        let tiny_image = has_tiny_image(&a, &b, &float_a, float_b);
        Halfspace { a, b, float_a, float_b, single, tiny_image }
    }

    /// The exact slack `b - a . x` (positive strictly inside).
    pub fn slack(&self, x: &[Q]) -> Q {
        match self.single {
            Some(j) => &self.b - &self.a[j] * &x[j],
            None => &self.b - dot(&self.a, x),
        }
    }

    /// The float image of the normal.
    pub fn float_a(&self) -> &[f64] {
        &self.float_a
    }

    /// The float image of the right-hand side.
    pub fn float_b(&self) -> f64 {
        self.float_b
    }

    /// The exact sign of the slack at `x`, filtered: the float evaluation at `x_float` decides
    /// when its forward error bound proves the sign, otherwise the slack is computed exactly.
    /// `x_float` must be the nearest floats of `x` (within 2 ulps).
    pub fn slack_sign(&self, x: &[Q], x_float: &[f64]) -> Ordering {
        if let Some(s) = self.float_slack_sign(x_float) {
            return s;
        }
        sign(&self.slack(x))
    }

    /// The slack `b - a . x` in plain floats, with no error bound: for choosing candidates,
    /// never for deciding.
    pub fn float_slack(&self, x_float: &[f64]) -> f64 {
        self.float_b - self.float_a.iter().zip(x_float).map(|(a, x)| a * x).sum::<f64>()
    }

    /// The sign of the slack proved by floating point alone, if the error bound allows.
    pub fn float_slack_sign(&self, x_float: &[f64]) -> Option<Ordering> {
        match self.single {
            Some(j) => float_affine_sign(&self.float_a[j..=j], self.float_b, &x_float[j..=j], true),
            None => float_affine_sign(&self.float_a, self.float_b, x_float, true),
        }
    }

    /// True when the normal is exactly zero.
    pub fn is_trivial(&self) -> bool {
        self.a.iter().all(Zero::is_zero)
    }

    /// The same halfspace with the inequality reversed (`a . x >= b`, as `-a . x <= -b`).
    pub fn flipped(&self) -> Halfspace {
        Halfspace {
            a: self.a.iter().map(|v| -v).collect(),
            b: -&self.b,
            float_a: self.float_a.iter().map(|v| -v).collect(),
            float_b: -self.float_b,
            single: self.single,
            tiny_image: self.tiny_image,
        }
    }

    /// The coordinate `j` when the normal is a multiple of `e_j` (a box face), else `None`.
    pub fn single_coordinate(&self) -> Option<usize> {
        self.single
    }

    /// The infinity norm of the float normal (0 for a trivial row).
    pub fn float_norm(&self) -> f64 {
        self.float_a.iter().fold(0.0, |m, v| m.max(v.abs()))
    }

    /// Whether `other` is a positive multiple of `self` (same hyperplane, same side).
    pub fn same_halfspace(&self, other: &Halfspace) -> bool {
        if !self.float_image_close(other) {
            return false;
        }
        let Some(k) = self.a.iter().position(|v| !v.is_zero()) else {
            return false;
        };
        if other.a[k].is_zero() || sign(&other.a[k]) != sign(&self.a[k]) {
            return false;
        }
        let ratio = &other.a[k] / &self.a[k];
        self.a.iter().zip(&other.a).all(|(s, o)| &(s * &ratio) == o) && &self.b * &ratio == other.b
    }
}

impl Halfspace {
    /// A necessary condition for [`Halfspace::same_halfspace`]: the float images, scaled to
    /// unit infinity norm, agree to 1e-6 (positive multiples of one exact row agree to a few
    /// ulps). Rejects most pairs without rational arithmetic.
    fn float_image_close(&self, other: &Halfspace) -> bool {
        let norm = |h: &Halfspace| h.float_a.iter().chain([&h.float_b]).fold(0.0f64, |m, v| m.max(v.abs()));
        let (n1, n2) = (norm(self), norm(other));
        if self.tiny_image
            || other.tiny_image
            || !(n1.is_finite() && n2.is_finite())
            || n1 == 0.0
            || n2 == 0.0
        {
            return true;
        }
        self.float_a
            .iter()
            .chain([&self.float_b])
            .zip(other.float_a.iter().chain([&other.float_b]))
            .all(|(x, y)| (x / n1 - y / n2).abs() <= 1e-6)
    }
}

/// The sign of `b - a . x` (if `slack`) or `a . x + b` (otherwise) when a float forward error
/// bound proves it; `None` when the float result is too close to zero (or not finite).
///
/// The bound covers the conversion of `a`, `b` and `x` to floats (2 ulps each) and the
/// `2n + 1` rounded operations, with a factor-2 safety margin.
pub fn float_affine_sign(a: &[f64], b: f64, x: &[f64], slack: bool) -> Option<Ordering> {
    let mut value = if slack { b } else { -b };
    let mut magnitude = b.abs();
    for (ai, xi) in a.iter().zip(x) {
        let p = ai * xi;
        value -= p;
        magnitude += p.abs();
    }
    if !slack {
        value = -value;
    }
    let n = a.len() as f64;
    let bound = 2.0 * (4.0 * n + 12.0) * UNIT_ROUNDOFF * magnitude + 1e-300;
    if !value.is_finite() || !bound.is_finite() {
        return None;
    }
    if value > bound {
        Some(Ordering::Greater)
    } else if value < -bound {
        Some(Ordering::Less)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::{parse_rational, q};

    #[test]
    fn filter_agrees_with_exact_sign() {
        let h = Halfspace::new(vec![parse_rational("1/3").unwrap(), q(1)], parse_rational("1/3").unwrap());
        let on = vec![q(1), q(0)];
        let on_f: Vec<f64> = on.iter().map(to_f64).collect();
        assert_eq!(h.slack_sign(&on, &on_f), Ordering::Equal);
        assert_eq!(h.float_slack_sign(&on_f), None);
        let inside = vec![q(0), q(0)];
        assert_eq!(h.slack_sign(&inside, &[0.0, 0.0]), Ordering::Greater);
    }

    #[test]
    fn same_halfspace_detects_positive_multiples() {
        let h = Halfspace::new(vec![q(1), q(2)], q(3));
        assert!(h.same_halfspace(&Halfspace::new(vec![q(2), q(4)], q(6))));
        assert!(!h.same_halfspace(&Halfspace::new(vec![q(-1), q(-2)], q(-3))));
        assert!(!h.same_halfspace(&Halfspace::new(vec![q(1), q(2)], q(4))));
        // coefficients whose floats are subnormal (a few bits) or underflow still compare exactly
        let h = Halfspace::new(vec![q(7), q(3)], q(0));
        let small =
            Halfspace::new(vec![parse_rational("7e-321").unwrap(), parse_rational("3e-321").unwrap()], q(0));
        assert!(h.same_halfspace(&small) && small.same_halfspace(&h));
    }
}
