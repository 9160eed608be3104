//! Proofs: the pure checkers of certificates, in exact arithmetic. Each takes a claim and its
//! certificate and says whether the certificate proves the claim; none of them searches for
//! anything (that is [`crate::certify`], the decisions) and none trusts a float.
//!
//! | claim | certificate |
//! |---|---|
//! | a point is strictly inside halfspaces | the point: every slack `> 0` ([`is_strictly_inside`]; float-filtered, exact when close) |
//! | no point is strictly inside (and on a hyperplane) | a Motzkin vector ([`check_motzkin`]) |
//! | `min c . x >= 0` over `A x <= b` | dual multipliers `y >= 0`, `A^T y = -c`, `b . y = 0` (`dual_certifies_zero`) |

use crate::exact::num::{sign_of_sum_of_products, Q};
use crate::exact::simplex::all_nonnegative;
use crate::kernel::halfspace::Halfspace;
use crate::kernel::Filter;
use num_traits::{One, Zero};
use std::cmp::Ordering;

/// True when `x` lies strictly inside every row (exact; float-filtered unless `filter` is off).
///
/// # Examples
/// ```
/// use relu_regions::{exact::num::q, Halfspace, certify::certificate::is_strictly_inside, Filter};
/// let unit = [Halfspace::new(vec![q(1), q(0)], q(1)), Halfspace::new(vec![q(-1), q(0)], q(0))];
/// let rows: Vec<&Halfspace> = unit.iter().collect();
/// assert!(is_strictly_inside(&rows, &[q(1) / q(2), q(7)], Filter::Float));
/// assert!(!is_strictly_inside(&rows, &[q(1), q(7)], Filter::Off)); // on the boundary
/// ```
pub fn is_strictly_inside(rows: &[&Halfspace], x: &[Q], filter: Filter) -> bool {
    let xf = filter.on().then(|| crate::kernel::images(x));
    rows.iter().all(|r| r.slack_sign(x, xf.as_deref()) == Ordering::Greater)
}

/// Checks a Motzkin certificate for "no `x` with `A x < b` (all rows) and `e . x = f`":
/// `y >= 0`, `y^T A + lambda e = 0`, `y^T b + lambda f <= 0`, and `y != 0` or the sum `< 0`.
/// The last entry of `y` is `lambda` when `equality` is given.
///
/// # Examples
/// ```
/// use relu_regions::{exact::num::q, Halfspace, certify::certificate::check_motzkin};
/// // x < 0 and -x < -1 (x > 1) have no common point: 1 * (x < 0) + 1 * (-x < -1) gives 0 < -1
/// let rows = [Halfspace::new(vec![q(1)], q(0)), Halfspace::new(vec![q(-1)], q(-1))];
/// let refs: Vec<&Halfspace> = rows.iter().collect();
/// assert!(check_motzkin(&refs, None, &[q(1), q(1)]));
/// assert!(!check_motzkin(&refs, None, &[q(1), q(2)])); // y^T A != 0
/// ```
pub fn check_motzkin(rows: &[&Halfspace], equality: Option<&Halfspace>, y: &[Q]) -> bool {
    let m = rows.len();
    let lambda = equality.map(|_| y.get(m).cloned().unwrap_or_default());
    if y.len() != m + usize::from(equality.is_some()) || !all_nonnegative(&y[..m]) {
        return false;
    }
    // the sums are taken as unreduced fractions: only their signs matter
    let support: Vec<(&Halfspace, &Q)> =
        rows.iter().copied().zip(y).filter(|(_, yi)| !yi.is_zero()).collect();
    let extra = equality.zip(lambda.as_ref());
    let d = rows.first().map_or(0, |r| r.a.len());
    for j in 0..d {
        let terms = support.iter().map(|(r, yi)| (&r.a[j], *yi)).chain(extra.map(|(e, l)| (&e.a[j], l)));
        if sign_of_sum_of_products(terms) != Ordering::Equal {
            return false;
        }
    }
    let rhs = sign_of_sum_of_products(
        support.iter().map(|(r, yi)| (&r.b, *yi)).chain(extra.map(|(e, l)| (&e.b, l))),
    );
    rhs == Ordering::Less || (rhs == Ordering::Equal && !support.is_empty())
}

/// Checks `y >= 0`, `A^T y = -c` and `b . y = 0`: a proof that `min c . x >= 0` over `A x <= b`.
pub(crate) fn dual_certifies_zero(a: &[Vec<Q>], b: &[Q], c: &[Q], y: &[Q]) -> bool {
    let one = Q::one();
    // A^T y + c = 0, column by column, and b . y = 0: signs of unreduced sums
    let columns_match = (0..c.len()).all(|j| {
        let terms = a.iter().zip(y).map(|(row, yi)| (&row[j], yi)).chain(std::iter::once((&c[j], &one)));
        sign_of_sum_of_products(terms) == Ordering::Equal
    });
    all_nonnegative(y) && columns_match && sign_of_sum_of_products(b.iter().zip(y)) == Ordering::Equal
}
