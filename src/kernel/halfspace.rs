//! Halfspaces `a . x <= b` over the rationals, with a cached float image for fast, error-bounded
//! sign filters.
//!
//! The float image never decides anything on its own: [`Halfspace::slack_sign`] returns the
//! float sign only when a forward error bound proves it, and computes in rationals otherwise.

use crate::exact::num::{common_denominator, dot, scaled_numerator, sign, Q};
use crate::kernel::{self, image, Filter};
use num_bigint::BigInt;
use num_traits::Zero;
use std::cmp::Ordering;
use std::sync::OnceLock;

/// The closed halfspace `a . x <= b`.
///
/// Its float image (and its integer form, once asked for) are made from `a` and `b` when it is
/// built: read `a` and `b` freely, but build a new halfspace ([`Halfspace::new`]) rather than
/// change them.
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
    /// Whether the images are a faithful picture of the row's direction
    /// ([`kernel::images_faithful`]); the float prefilter of [`Halfspace::same_halfspace`] runs
    /// only then.
    faithful: bool,
    /// The row over the integers, made on first use.
    integers: IntegerRow,
}

/// `(a m, b m)` for the common denominator `m` of `a` and `b`: a cache, no part of the value
/// (every two caches compare equal).
#[derive(Debug, Clone, Default)]
struct IntegerRow(OnceLock<(Vec<BigInt>, BigInt)>);

impl PartialEq for IntegerRow {
    fn eq(&self, _: &IntegerRow) -> bool {
        true
    }
}

fn faithful(a: &[Q], b: &Q, float_a: &[f64], float_b: f64) -> bool {
    kernel::images_faithful(a.iter(), float_a) && kernel::images_faithful([b], &[float_b])
}

/// The index of the only nonzero entry of `a`, if there is exactly one.
fn single_nonzero(a: &[Q]) -> Option<usize> {
    let mut nonzero = a.iter().enumerate().filter(|(_, v)| !v.is_zero()).map(|(j, _)| j);
    let first = nonzero.next()?;
    nonzero.next().is_none().then_some(first)
}

impl Halfspace {
    /// The halfspace `a . x <= b`.
    ///
    /// See the example on [`Halfspace::slack_sign`].
    pub fn new(a: Vec<Q>, b: Q) -> Halfspace {
        let float_a = kernel::images(&a);
        let float_b = image(&b);
        let single = single_nonzero(&a);
        let faithful = faithful(&a, &b, &float_a, float_b);
        Halfspace { a, b, float_a, float_b, single, faithful, integers: IntegerRow::default() }
    }

    /// The halfspace with its float image already computed (`float_a`, `float_b` must obey the
    /// kernel's image error model, [`kernel::image`]).
    pub(crate) fn with_floats(a: Vec<Q>, b: Q, float_a: Vec<f64>, float_b: f64) -> Halfspace {
        debug_assert_eq!(a.len(), float_a.len());
        let single = single_nonzero(&a);
        let faithful = faithful(&a, &b, &float_a, float_b);
        Halfspace { a, b, float_a, float_b, single, faithful, integers: IntegerRow::default() }
    }

    /// The exact slack `b - a . x` (positive strictly inside).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{exact::num::q, Halfspace};
    /// let h = Halfspace::new(vec![q(1), q(2)], q(5)); // x + 2 y <= 5
    /// assert_eq!(h.slack(&[q(1), q(1)]), q(2));
    /// ```
    pub fn slack(&self, x: &[Q]) -> Q {
        match self.single {
            Some(j) => &self.b - &self.a[j] * &x[j],
            None => &self.b - dot(&self.a, x),
        }
    }

    /// The float image of the normal.
    pub(crate) fn float_a(&self) -> &[f64] {
        &self.float_a
    }

    /// The float image of the right-hand side.
    pub(crate) fn float_b(&self) -> f64 {
        self.float_b
    }

    /// The exact sign of the slack at `x`, filtered: the float evaluation at `x_float` (the
    /// images of `x`, `kernel::images`) decides when its error bound proves the sign; with no
    /// images, or when the bound proves nothing, the slack is computed exactly.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{exact::num::{parse_rational, q, to_f64}, Halfspace};
    /// use std::cmp::Ordering;
    /// // x + y <= 1 at (1/3, 2/3): exactly on it, whatever the floats say
    /// let h = Halfspace::new(vec![q(1), q(1)], q(1));
    /// let x = [parse_rational("1/3").unwrap(), parse_rational("2/3").unwrap()];
    /// let images: Vec<f64> = x.iter().map(to_f64).collect();
    /// assert_eq!(h.slack_sign(&x, Some(&images)), Ordering::Equal);
    /// assert_eq!(h.slack_sign(&[q(0), q(0)], None), Ordering::Greater);
    /// assert_eq!(h.flipped().slack_sign(&[q(0), q(0)], None), Ordering::Less);
    /// ```
    pub fn slack_sign(&self, x: &[Q], x_float: Option<&[f64]>) -> Ordering {
        if let Some(s) = x_float.and_then(|xf| self.float_slack_sign(xf)) {
            return s;
        }
        sign(&self.slack(x))
    }

    /// The slack `b - a . x` in plain floats, with no error bound: for choosing candidates,
    /// never for deciding.
    pub(crate) fn float_slack(&self, x_float: &[f64]) -> f64 {
        self.float_b - self.float_a.iter().zip(x_float).map(|(a, x)| a * x).sum::<f64>()
    }

    /// The sign of the slack proved by floating point alone, if the error bound allows.
    pub(crate) fn float_slack_sign(&self, x_float: &[f64]) -> Option<Ordering> {
        match self.single {
            Some(j) => kernel::affine_sign(&self.float_a[j..=j], self.float_b, &x_float[j..=j], true),
            None => kernel::affine_sign(&self.float_a, self.float_b, x_float, true),
        }
    }

    /// True when the normal is exactly zero.
    pub(crate) fn is_trivial(&self) -> bool {
        self.a.iter().all(Zero::is_zero)
    }

    /// The same halfspace with the inequality reversed (`a . x >= b`, as `-a . x <= -b`).
    ///
    /// See the example on [`Halfspace::slack_sign`].
    pub fn flipped(&self) -> Halfspace {
        Halfspace {
            a: self.a.iter().map(|v| -v).collect(),
            b: -&self.b,
            float_a: self.float_a.iter().map(|v| -v).collect(),
            float_b: -self.float_b,
            single: self.single,
            faithful: self.faithful,
            integers: IntegerRow::default(),
        }
    }

    /// The row over the integers: `(a m, b m)` with `m` the least common denominator of `a`
    /// and `b`, computed on first use and kept (a region's rows are shared by many regions).
    pub(crate) fn integer_row(&self) -> (&[BigInt], &BigInt) {
        let (a, b) = self.integers.0.get_or_init(|| {
            let m = common_denominator(self.a.iter().chain([&self.b]));
            (self.a.iter().map(|v| scaled_numerator(v, &m)).collect(), scaled_numerator(&self.b, &m))
        });
        (a, b)
    }

    /// The coordinate `j` when the normal is a multiple of `e_j` (a box face), else `None`.
    pub(crate) fn single_coordinate(&self) -> Option<usize> {
        self.single
    }

    /// The infinity norm of the float normal (0 for a trivial row).
    pub(crate) fn float_norm(&self) -> f64 {
        self.float_a.iter().fold(0.0, |m, v| m.max(v.abs()))
    }

    /// Whether `other` is a positive multiple of `self` (same hyperplane, same side), decided
    /// exactly; with [`Filter::Float`] most different rows are told apart by their images first.
    pub(crate) fn same_halfspace(&self, other: &Halfspace, filter: Filter) -> bool {
        if filter.on() && !self.float_image_close(other) {
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
    /// The `lambda > 0` for which `other`'s normal is `-lambda` times this one's (parallel
    /// hyperplanes, opposite sides), decided exactly; with [`Filter::Float`] most pairs are
    /// told apart by their images first.
    pub(crate) fn opposite_multiple(&self, other: &Halfspace, filter: Filter) -> Option<Q> {
        if self.single != other.single {
            return None;
        }
        if filter.on() && self.faithful && other.faithful {
            let negated: Vec<f64> = other.float_a.iter().map(|v| -v).collect();
            if !kernel::may_be_proportional((&self.float_a, 0.0), (&negated, 0.0)) {
                return None;
            }
        }
        let k = self.a.iter().position(|v| !v.is_zero())?;
        let lambda = -(&other.a[k] / &self.a[k]);
        if !num_traits::Signed::is_positive(&lambda) {
            return None;
        }
        self.a.iter().zip(&other.a).all(|(s, o)| &-(s * &lambda) == o).then_some(lambda)
    }

    /// [`kernel::proportion_key`] of a faithful row (`None` otherwise): rows whose keys are
    /// both known and differ by more than `1e-6` are never [`Halfspace::same_halfspace`] under
    /// [`Filter::Float`].
    pub(crate) fn proportion_key(&self) -> Option<f64> {
        self.faithful.then(|| kernel::proportion_key((&self.float_a, self.float_b))).flatten()
    }

    /// A necessary condition for [`Halfspace::same_halfspace`] ([`kernel::may_be_proportional`]):
    /// rejects most pairs without rational arithmetic.
    fn float_image_close(&self, other: &Halfspace) -> bool {
        !(self.faithful && other.faithful)
            || kernel::may_be_proportional((&self.float_a, self.float_b), (&other.float_a, other.float_b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::{parse_rational, q};

    #[test]
    fn filter_agrees_with_exact_sign() {
        let h = Halfspace::new(vec![parse_rational("1/3").unwrap(), q(1)], parse_rational("1/3").unwrap());
        let on = vec![q(1), q(0)];
        let on_f = kernel::images(&on);
        assert_eq!(h.slack_sign(&on, Some(&on_f)), Ordering::Equal);
        assert_eq!(h.float_slack_sign(&on_f), None);
        let inside = vec![q(0), q(0)];
        assert_eq!(h.slack_sign(&inside, Some(&[0.0, 0.0])), Ordering::Greater);
        assert_eq!(h.slack_sign(&on, None), Ordering::Equal);
    }

    /// The integer row is the row times the least common denominator (the integers have no
    /// common factor with it left), and filling the cache changes no comparison.
    #[test]
    fn integer_row_scales_by_the_least_common_denominator() {
        let r = |s: &str| parse_rational(s).unwrap();
        let h = Halfspace::new(vec![r("3/4"), r("-5/6"), q(0)], r("7/10"));
        let fresh = h.clone();
        let (a, b) = h.integer_row();
        // lcm(4, 6, 10) = 60
        let want: Vec<BigInt> = [45, -50, 0].into_iter().map(BigInt::from).collect();
        assert_eq!((a, b), (&want[..], &BigInt::from(42)));
        assert_eq!(h, fresh);
        assert!(h.same_halfspace(&fresh, Filter::Float) && h.same_halfspace(&fresh, Filter::Off));
    }

    #[test]
    fn same_halfspace_detects_positive_multiples() {
        let h = Halfspace::new(vec![q(1), q(2)], q(3));
        assert!(h.same_halfspace(&Halfspace::new(vec![q(2), q(4)], q(6)), Filter::Float));
        assert!(!h.same_halfspace(&Halfspace::new(vec![q(-1), q(-2)], q(-3)), Filter::Float));
        assert!(!h.same_halfspace(&Halfspace::new(vec![q(1), q(2)], q(4)), Filter::Float));
        // coefficients whose floats are subnormal (a few bits) or underflow still compare exactly
        let h = Halfspace::new(vec![q(7), q(3)], q(0));
        let small =
            Halfspace::new(vec![parse_rational("7e-321").unwrap(), parse_rational("3e-321").unwrap()], q(0));
        assert!(h.same_halfspace(&small, Filter::Float) && small.same_halfspace(&h, Filter::Float));
        assert!(h.same_halfspace(&small, Filter::Off) && !h.same_halfspace(&h.flipped(), Filter::Off));
    }

    #[test]
    fn opposite_multiple_finds_parallel_rows_facing_each_other() {
        let h = Halfspace::new(vec![q(1), q(-2), q(0)], q(3));
        for filter in [Filter::Float, Filter::Off] {
            let opposite = Halfspace::new(vec![parse_rational("-3/2").unwrap(), q(3), q(0)], q(7));
            assert_eq!(h.opposite_multiple(&opposite, filter), Some(parse_rational("3/2").unwrap()));
            assert_eq!(h.opposite_multiple(&h.flipped(), filter), Some(q(1)));
            assert_eq!(h.opposite_multiple(&h, filter), None, "same side");
            let skew = Halfspace::new(vec![q(-1), q(2), q(1)], q(0));
            assert_eq!(h.opposite_multiple(&skew, filter), None);
            let x = Halfspace::new(vec![q(1), q(0), q(0)], q(1));
            let minus_x = Halfspace::new(vec![q(-2), q(0), q(0)], q(1));
            let minus_y = Halfspace::new(vec![q(0), q(-2), q(0)], q(1));
            assert_eq!(x.opposite_multiple(&minus_x, filter), Some(q(2)));
            assert_eq!(x.opposite_multiple(&minus_y, filter), None);
        }
    }
}
