//! Exact slack signs of a region's constraints at a rational point (its stated point, a facet
//! point), with a float filter in front whose error bound is proved for every input.
//!
//! A `SignPoint` holds the point's coordinates, their nearest floats, and (made on first
//! need) the point as integers over a positive common denominator. `SignPoint::sign` asks
//! the kernel's `kernel::affine_sign` first: the constraint's cached float image (the nearest
//! floats of the exact rational row, `crate::kernel::image`) evaluated at the point's images,
//! which decides only when `|fl(b - a . x)|` exceeds twice the forward-error bound of the
//! kernel's module docs (model (I) on every input, `gamma_n`-style for the products and the
//! sum). Everything the bound leaves open (a tight constraint, a slack within a few ulps of 0,
//! an infinite image) is decided by the one integer expression of `ExactRow::slack_sign`.
//! The proof is in docs/algorithm.md ("The independent checker", the filter of the slack
//! signs); the tests in tests/check/signs.rs compare the filtered sign with the exact one.

use super::constraints::{integer_point, Constraint, ExactRow, Origin};
use super::int_vec::IntVec;
use crate::exact::num::Q;
use crate::kernel;
use crate::Halfspace;
use num_bigint::BigInt;
use num_traits::One;
use std::cell::{OnceCell, RefCell};
use std::cmp::Ordering;

/// A rational point prepared for many slack signs.
pub(super) struct SignPoint<'p> {
    point: &'p [Q],
    floats: Vec<f64>,
    exact: OnceCell<(Vec<BigInt>, BigInt)>,
    /// The point's floats at a sparse row's indices (reused).
    gathered: RefCell<Vec<f64>>,
}

impl<'p> SignPoint<'p> {
    pub(super) fn new(point: &'p [Q]) -> SignPoint<'p> {
        SignPoint {
            point,
            floats: kernel::images(point),
            exact: OnceCell::new(),
            gathered: RefCell::default(),
        }
    }

    /// The exact sign of the slack `b - a . x` of a row (the nearest floats of its entries and
    /// bound, and its integer form `exact`) at the point: the float filter when its bound
    /// proves it, the integer expression otherwise.
    ///
    /// The floats of a sparse row are those of its nonzero entries: the filter then runs on
    /// them and on the point's floats at their indices, which is the kernel's evaluation of
    /// the same exact slack (the terms left out are exact zeros), so its proved bound holds.
    pub(super) fn sign(&self, (float_a, float_b): (&[f64], f64), exact: &ExactRow) -> Ordering {
        let filtered = match &exact.a {
            IntVec::Dense(_) => kernel::affine_sign(float_a, float_b, &self.floats, true),
            IntVec::Sparse(_) => {
                filtered_at((float_a, float_b), exact, |j| self.floats[j], &mut self.gathered.borrow_mut())
            }
        };
        if let Some(s) = filtered {
            return s;
        }
        self.exact_sign(exact)
    }

    /// The nearest floats of the point's coordinates.
    pub(super) fn floats(&self) -> &[f64] {
        &self.floats
    }

    /// The sign by the integer expression alone (no float).
    pub(super) fn exact_sign(&self, exact: &ExactRow) -> Ordering {
        exact.slack_sign(self.exact.get_or_init(|| short_integer_point(self.point)))
    }
}

/// The points of at most this many coordinates are made integers over the product of their
/// distinct denominators.
const SHORT_POINT: usize = 32;

/// A point as integers over a positive common denominator: for a short point (ACAS Xu's facet
/// points, five coordinates with unrelated denominators) the product of its distinct
/// denominators, a few products and exact divisions where their least common multiple takes a
/// gcd of large integers per coordinate; for a longer one (whose denominators mostly repeat or
/// share factors) the least common multiple ([`integer_point`]).
fn short_integer_point(point: &[Q]) -> (Vec<BigInt>, BigInt) {
    if point.len() > SHORT_POINT {
        return integer_point(point);
    }
    let mut distinct: Vec<&BigInt> = Vec::new();
    for v in point {
        if !v.denom().is_one() && !distinct.contains(&v.denom()) {
            distinct.push(v.denom());
        }
    }
    let den = distinct.iter().fold(BigInt::one(), |acc, d| acc * *d);
    let y = point
        .iter()
        .map(|v| if v.denom().is_one() { v.numer() * &den } else { v.numer() * (&den / v.denom()) })
        .collect();
    (y, den)
}

/// The kernel's filtered sign of a row's slack (the nearest floats of its held entries and
/// bound, aligned with `exact.a`) at a point whose coordinate `j` has the nearest float `x(j)`:
/// the floats at the row's held indices are gathered into `gathered` (reused), and the filter
/// decides on them only when its proved bound does (`None` otherwise).
pub(super) fn filtered_at(
    (float_a, float_b): (&[f64], f64),
    exact: &ExactRow,
    x: impl Fn(usize) -> f64,
    gathered: &mut Vec<f64>,
) -> Option<Ordering> {
    gathered.clear();
    match &exact.a {
        IntVec::Dense(v) => gathered.extend((0..v.len()).map(x)),
        IntVec::Sparse(p) => gathered.extend(p.iter().map(|(j, _)| x(*j as usize))),
    }
    kernel::affine_sign(float_a, float_b, gathered, true)
}

/// The filtered sign of `row`'s slack at `point` (for the tests: the same code path as the
/// checker's).
///
/// # Examples
/// ```
/// use relu_regions::check::signs::{exact_slack_sign, filtered_slack_sign, float_slack_sign};
/// use relu_regions::{exact::num::{parse_rational, q}, Halfspace};
/// use std::cmp::Ordering;
/// // x + y <= 1 at (1/3, 2/3): exactly on it, which floats never prove
/// let h = Halfspace::new(vec![q(1), q(1)], q(1));
/// let x = [parse_rational("1/3").unwrap(), parse_rational("2/3").unwrap()];
/// assert_eq!(float_slack_sign(&h, &x), None);
/// assert_eq!(filtered_slack_sign(&h, &x), Ordering::Equal);
/// // at the origin the bound proves the sign
/// assert_eq!(float_slack_sign(&h, &[q(0), q(0)]), Some(Ordering::Greater));
/// assert_eq!(exact_slack_sign(&h, &[q(0), q(0)]), Ordering::Greater);
/// ```
#[doc(hidden)]
pub fn filtered_slack_sign(row: &Halfspace, point: &[Q]) -> Ordering {
    let c = Constraint::new(row.clone(), Origin::Domain(0));
    SignPoint::new(point).sign(c.floats(), &c.exact)
}

/// The float filter's answer alone (`None`: the bound proves nothing), for the tests.
///
/// See the example on [`filtered_slack_sign`].
#[doc(hidden)]
pub fn float_slack_sign(row: &Halfspace, point: &[Q]) -> Option<Ordering> {
    kernel::affine_sign(row.float_a(), row.float_b(), &kernel::images(point), true)
}

/// The exact sign of `row`'s slack at `point` by the checker's integer expression alone.
///
/// See the example on [`filtered_slack_sign`].
#[doc(hidden)]
pub fn exact_slack_sign(row: &Halfspace, point: &[Q]) -> Ordering {
    SignPoint::new(point).exact_sign(&ExactRow::new(row))
}
