//! Implication of a constraint by a region's listed inequalities, proved by checked
//! certificates: exact interval arithmetic over a box the listed rows are known to confine the
//! region to, or a Farkas vector (proposed by a float LP's basis or the exact simplex, checked
//! here by exact sums).

use super::box_farkas::{axis_value, BoxFarkas};
use super::constraints::{Constraint, ExactRow, Row};
use super::farkas::{Combiner, IntRow};
use crate::exact::num::{common_denominator, from_f64_exact, scaled_numerator, sign_of_sum_of_products, Q};
use crate::exact::simplex::{solve, LpOutcome};
use crate::forward::symbolic::Outward;
use crate::kernel;
use num_bigint::{BigInt, Sign};
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::cmp::Ordering;

/// What a region's listed rows confine it to, for [`implied_by_listed`]: the box of the axis
/// rows (the listed ones, and a domain's once the listed rows are proved to imply it) when every
/// coordinate has both bounds, and the interval certificate over those bounds and the other
/// listed rows ([`BoxFarkas`]).
pub(super) struct Bounds {
    pub full: Option<IntBox>,
    pub farkas: BoxFarkas,
}

impl Bounds {
    /// The bounds of the listed `rows` (`ints` their integer forms) and the axis rows of `extra`.
    pub(super) fn new(rows: &[Row], ints: &[IntRow], extra: &[&Row], d: usize) -> Bounds {
        let full = box_of(rows.iter().chain(extra.iter().copied())).map(|bx| IntBox::new(&bx));
        let listed: Vec<&Row> = rows.iter().collect();
        Bounds { full, farkas: BoxFarkas::new(&listed, ints, extra, d) }
    }
}

/// Whether `listed` implies `row`: over `bounds` (what the listed rows are already known to
/// confine the region to, when given) by exact intervals in integers, or by the interval
/// certificate on the few listed rows that are not axis-parallel, else by a Farkas vector on a
/// basis of the region's [`Combiner`] (one it met, or a float LP's), else by the exact
/// simplex's dual. The constraint's row in rationals is made only where the exact simplex
/// needs it.
pub(super) fn implied_by_listed(
    listed: &[Row],
    combiner: &mut Combiner,
    constraint: &Constraint,
    bounds: Option<&Bounds>,
) -> bool {
    let exact = &constraint.exact;
    if exact.zero && !exact.b.is_negative() {
        return true;
    }
    if listed.is_empty() {
        return false; // all of R^d: only a trivial row holds
    }
    let by_box = |b: &Bounds| {
        b.full
            .as_ref()
            .is_some_and(|bx| bx.implies_filtered((&constraint.dense_floats(), constraint.floats().1), exact))
    };
    if bounds.is_some_and(by_box) {
        return true;
    }
    // every entry, for the certificates that take them all (most constraints never get here)
    let int = &exact.to_int();
    let proved = match bounds {
        Some(b) => b.farkas.implies_or(int, || combiner.implies(int)),
        None => combiner.implies(int),
    };
    if proved {
        return true;
    }
    let row = constraint.row();
    match implication_lp(listed, row) {
        Some(LpOutcome::Optimal { y, .. }) => farkas_holds(listed, row, &y),
        _ => false,
    }
}

/// An axis-parallel constraint (`alpha x_j <= h`: a domain's box face) proved implied by a
/// combination of the listed rows ([`Combiner::bound`]), with the tighter row the combination
/// proves: `s x_j <= u`, `s` the sign of `alpha` and `u` a float at or above the
/// combination's exact bound `value / (delta |alpha|)` (checked exactly against it), so that
/// the region's own extent, not only the domain's, bounds what is implied next. The
/// constraint's own row where the bound has no float. `None` when the constraint is not
/// axis-parallel or the combination does not prove it (the caller tries the other
/// certificates).
pub(super) fn axis_bound(combiner: &mut Combiner, constraint: &Constraint) -> Option<Row> {
    let exact = &constraint.exact;
    let (mut count, mut axis) = (0, None);
    exact.a.nonzeros(|j, alpha| {
        count += 1;
        axis = Some((j, alpha.clone()));
    });
    let (j, alpha) = axis.filter(|_| count == 1)?;
    let (value, delta) = combiner.bound(&exact.to_int().a)?;
    if value > &delta * &exact.b {
        return None;
    }
    let Some(bound) = float_at_least(&value, &(delta * alpha.abs())) else {
        return Some(constraint.row().clone());
    };
    let mut a = vec![Q::zero(); exact.dim()];
    a[j] = if alpha.is_positive() { Q::one() } else { -Q::one() };
    Some(Row::new(a, bound))
}

/// A float at or above `num / den` (`den > 0`), as a rational: the ratio's float (from the
/// top bits of each, within a few units in the last place) moved up until `u den >= num` holds
/// exactly in integers (no gcd of the large `num`, `den`). `None` beyond the float range.
fn float_at_least(num: &BigInt, den: &BigInt) -> Option<Q> {
    let top = |v: &BigInt| {
        let shift = v.bits().saturating_sub(64);
        ((v >> shift).to_f64().unwrap_or(f64::NAN), i32::try_from(shift).unwrap_or(i32::MAX))
    };
    let ((n, s), (d, t)) = (top(num), top(den));
    let mut u = n / d * 2f64.powi(s.saturating_sub(t));
    for _ in 0..8 {
        let f = from_f64_exact(u)?;
        if f.numer() * den >= num * f.denom() {
            return Some(f);
        }
        u = u.up();
    }
    None
}

/// The exact simplex on `min -row.a . x` over `rows`: its dual, when optimal, is the Farkas
/// vector of `row` (checked by [`farkas_holds`]); when infeasible, a Farkas vector of `rows`.
pub(super) fn implication_lp(rows: &[Row], row: &Row) -> Option<LpOutcome<Q>> {
    let a: Vec<Vec<Q>> = rows.iter().map(|r| r.a.clone()).collect();
    let b: Vec<Q> = rows.iter().map(|r| r.b.clone()).collect();
    let c: Vec<Q> = row.a.iter().map(|v| -v).collect();
    solve(&a, &b, &c, usize::MAX)
}

/// The box `[lo_j, hi_j]` given by axis-parallel rows, if every coordinate has both.
pub(super) fn box_of<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Option<Vec<(Q, Q)>> {
    let mut rows = rows.into_iter().peekable();
    let d = rows.peek()?.a.len();
    let mut lo: Vec<Option<Q>> = vec![None; d];
    let mut hi: Vec<Option<Q>> = vec![None; d];
    for r in rows {
        let nonzero: Vec<usize> = (0..d).filter(|&j| !r.a[j].is_zero()).collect();
        if let [j] = nonzero[..] {
            let v = axis_value(r, j);
            if r.a[j].is_positive() {
                hi[j] = Some(hi[j].take().map_or(v.clone(), |h| h.min(v)));
            } else {
                lo[j] = Some(lo[j].take().map_or(v.clone(), |l| l.max(v)));
            }
        }
    }
    lo.into_iter().zip(hi).map(|(l, h)| Some((l?, h?))).collect()
}

/// `max over the box of a . x <= b`, exactly.
pub(super) fn implied_by_box(row: &Row, bx: &[(Q, Q)]) -> bool {
    let max: Q =
        row.a.iter().zip(bx).map(|(a, (lo, hi))| if a.is_positive() { a * hi } else { a * lo }).sum();
    max <= row.b
}

/// A box `[lo_j / den, hi_j / den]` in integers over one positive denominator.
pub(super) struct IntBox {
    lo: Vec<BigInt>,
    hi: Vec<BigInt>,
    den: BigInt,
    /// The images of the bounds `lo_j / den`, `hi_j / den` (the kernel's model (I)).
    images: Vec<(f64, f64)>,
}

impl IntBox {
    /// The box `bx` (`[lo_j, hi_j]` in rationals) over the common denominator of its bounds.
    pub(super) fn new(bx: &[(Q, Q)]) -> IntBox {
        let den = common_denominator(bx.iter().flat_map(|(lo, hi)| [lo, hi]));
        let int = |v: &Q| scaled_numerator(v, &den);
        IntBox {
            lo: bx.iter().map(|(lo, _)| int(lo)).collect(),
            hi: bx.iter().map(|(_, hi)| int(hi)).collect(),
            den,
            images: bx.iter().map(|(lo, hi)| (kernel::image(lo), kernel::image(hi))).collect(),
        }
    }

    /// [`IntBox::implies`] with a float filter in front: the slack `b - a . c` of the row at the
    /// box's corner `c` that maximises `a . x` (chosen by the exact signs of `a`), in floats by
    /// the kernel's [`kernel::affine_sign`] on the images of the row and of the corner, decides
    /// when its proved bound does (positive: implied; negative: the box does not imply it);
    /// the integer expression otherwise. `float_a`, `float_b` are the nearest floats (every
    /// entry) of a row that `exact` is a positive multiple of.
    pub(super) fn implies_filtered(&self, (float_a, float_b): (&[f64], f64), exact: &ExactRow) -> bool {
        if exact.dim() != self.images.len() || float_a.len() != self.images.len() {
            return false;
        }
        let mut corner: Vec<f64> = self.images.iter().map(|&(lo, _)| lo).collect();
        exact.a.nonzeros(|j, a| {
            if a.is_positive() {
                corner[j] = self.images[j].1;
            }
        });
        match kernel::affine_sign(float_a, float_b, &corner, true) {
            Some(Ordering::Greater) => true,
            Some(_) => false,
            None => self.corner_slack(&exact.b, |f| exact.a.nonzeros(f)),
        }
    }

    /// `max over the box of a . x <= b` for a row in integers, exactly, with no gcd: the sign
    /// of `b den - sum_j a_j (a_j > 0 ? hi_j : lo_j)`, one integer expression (the same
    /// decision as [`implied_by_box`] on the rational row, which `row` is a positive multiple of).
    /// The tests' entry to [`IntBox::implies_filtered`]'s exact decision.
    #[cfg(test)]
    pub(super) fn implies(&self, row: &IntRow) -> bool {
        row.a.len() == self.lo.len()
            && self.corner_slack(&row.b, |f| row.a.iter().enumerate().for_each(|(j, a)| f(j, a)))
    }

    /// [`IntBox::implies`] on a row given by its bound `b` and its entries (`entries` calls its
    /// argument on each `(j, a_j)` of `j` below the box's dimension, zeros allowed).
    fn corner_slack(&self, b: &BigInt, entries: impl FnOnce(&mut dyn FnMut(usize, &BigInt))) -> bool {
        let mut slack = b * &self.den;
        entries(&mut |j, a| match a.sign() {
            Sign::Plus => slack -= a * &self.hi[j],
            Sign::Minus => slack -= a * &self.lo[j],
            Sign::NoSign => {}
        });
        !slack.is_negative()
    }
}

/// Solves the LP in floats, then the Farkas vector on its basis exactly, and checks it.
pub(super) fn farkas_from_float_basis(listed: &[Row], row: &Row) -> bool {
    if listed.is_empty() {
        return false;
    }
    // each row scaled to unit infinity norm (the coefficients of deep layers reach 1e60)
    let refs: Vec<&Row> = listed.iter().collect();
    let (a, b, _) = crate::lp::scaled_rows(&refs);
    let c: Vec<f64> = crate::lp::scaled_rows(&[row]).0[0].iter().map(|v| -v).collect();
    if a.iter().flatten().chain(&b).chain(&c).any(|v| !v.is_finite()) {
        return false;
    }
    let Some(LpOutcome::Optimal { basis, .. }) = solve(&a, &b, &c, 50 * (listed.len() + row.a.len())) else {
        return false;
    };
    let d = row.a.len();
    if basis.len() != d {
        return false;
    }
    let transposed: Vec<Vec<Q>> =
        (0..d).map(|j| basis.iter().map(|&k| listed[k].a[j].clone()).collect()).collect();
    // the multipliers as integers over one positive denominator (no gcd): `y = num / den`
    let Some((num, den)) = crate::exact::simplex::solve_square_scaled(&transposed, &row.a) else {
        return false;
    };
    let basis_rows: Vec<&Row> = basis.iter().map(|&k| &listed[k]).collect();
    let num: Vec<Q> = num.into_iter().map(Q::from_integer).collect();
    scaled_farkas_holds(&basis_rows, row, &num, &Q::from_integer(den))
}

/// [`farkas_holds`] for `y = num / den` (`den > 0`) on `rows`, checked without dividing:
/// `num >= 0`, `sum num_i a_i = den a_k`, `sum num_i b_i <= den b_k`.
fn scaled_farkas_holds(rows: &[&Row], row: &Row, num: &[Q], den: &Q) -> bool {
    if num.iter().any(Signed::is_negative) || num.len() != rows.len() || !den.is_positive() {
        return false;
    }
    let minus_den = -den;
    let combo_ok = (0..row.a.len()).all(|j| {
        let terms = rows.iter().zip(num).map(|(r, y)| (&r.a[j], y)).chain([(&row.a[j], &minus_den)]);
        sign_of_sum_of_products(terms) == Ordering::Equal
    });
    let rhs = rows.iter().zip(num).map(|(r, y)| (&r.b, y)).chain([(&row.b, &minus_den)]);
    combo_ok && sign_of_sum_of_products(rhs) != Ordering::Greater
}

/// `y >= 0`, `sum y_i a_i = a_k`, `sum y_i b_i <= b_k`: signs of unreduced sums over the
/// rows with `y_i != 0`.
pub(super) fn farkas_holds(listed: &[Row], row: &Row, y: &[Q]) -> bool {
    if y.iter().any(|v| v.is_negative()) || y.len() != listed.len() {
        return false;
    }
    let minus_one = -Q::one();
    let support: Vec<(&Row, &Q)> = listed.iter().zip(y).filter(|(_, yi)| !yi.is_zero()).collect();
    let combo_ok = (0..row.a.len()).all(|j| {
        let terms = support.iter().map(|(r, yi)| (&r.a[j], *yi)).chain([(&row.a[j], &minus_one)]);
        sign_of_sum_of_products(terms) == Ordering::Equal
    });
    let rhs = support.iter().map(|(r, yi)| (&r.b, *yi)).chain([(&row.b, &minus_one)]);
    combo_ok && sign_of_sum_of_products(rhs) != Ordering::Greater
}

#[cfg(test)]
mod tests {
    use super::super::constraints::Origin;
    use super::*;
    use crate::exact::num::{q, to_f64};
    use proptest::prelude::*;

    proptest! {
        /// The float is at or above the ratio, and within 8 units in its last place of it
        /// (exact comparisons), for ratios of integers up to 2^260 of either sign.
        #[test]
        fn floats_at_least_are_close_above(
            n in any::<i64>(), ns in 0u32..200, d in 1i64..i64::MAX, ds in 0u32..200,
        ) {
            let (num, den) = (BigInt::from(n) << ns, BigInt::from(d) << ds);
            let value = Q::new(num.clone(), den.clone());
            let f = float_at_least(&num, &den).unwrap();
            prop_assert!(f >= value);
            let mut below = to_f64(&f);
            for _ in 0..8 {
                below = below.down();
            }
            prop_assert!(from_f64_exact(below).unwrap() < value);
        }
    }

    /// The triangle `x >= 0, y >= 0, x + 2y <= 1/3`: the box faces it implies give its own
    /// extents (`x <= 1/3` within a float of it, `-y <= 0` exactly); one it does not imply
    /// (`y <= 1/7`, the triangle reaching `y = 1/6`) and a row that is not a box face give none.
    #[test]
    fn extents_of_a_triangle() {
        let third = q(1) / q(3);
        let listed = [
            Row::new(vec![q(-1), q(0)], q(0)),
            Row::new(vec![q(0), q(-1)], q(0)),
            Row::new(vec![q(1), q(2)], third.clone()),
        ];
        let refs: Vec<&Row> = listed.iter().collect();
        let mut combiner = Combiner::new(&refs, 2);
        let face =
            |a: [i64; 2], b: Q| Constraint::new(Row::new(vec![q(a[0]), q(a[1])], b), Origin::Domain(0));
        let x = axis_bound(&mut combiner, &face([1, 0], q(1))).unwrap();
        assert_eq!(x.a, vec![q(1), q(0)]);
        assert!(x.b >= third && &x.b - &third < Q::new(1.into(), BigInt::from(1) << 50u32));
        let y = axis_bound(&mut combiner, &face([0, -3], q(5))).unwrap();
        assert_eq!((y.a, y.b), (vec![q(0), q(-1)], q(0)));
        assert!(axis_bound(&mut combiner, &face([0, 1], q(1) / q(7))).is_none());
        assert!(axis_bound(&mut combiner, &face([1, 1], q(1))).is_none());
    }
}
