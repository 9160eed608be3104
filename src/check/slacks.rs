//! Exact slack signs of a region's constraints at its point and at its facet points, sharing
//! the work between them. The signs at the region's point and at a facet point far from it are
//! [`super::signs`]'s: the float filter with its proved bound, the integer expression where it
//! does not decide. A facet point that differs from the region's point in a few coordinates (a
//! facet on a box face is the point with one coordinate moved onto the face) keeps the point's
//! sign on every row with no coefficient on those coordinates, and updates the others: a short
//! row (ACAS Xu's, of 5 entries) by the float filter at the facet point first, and any row the
//! filter leaves open (or a long one: the conv net's, of 784) from its exact slack at the point
//! (computed on first need, over its nonzero coefficients only, and kept for the next facet
//! points).
//!
//! Every sign is exact: the filter decides only through its proved bound, on the nearest floats
//! of the facet point's coordinates. The update is one integer expression with no gcd: with the point
//! `p = y / E` and the slack `S_c = b_c E - a_c . y` of row `c` (so `b_c - a_c . p = S_c / E`),
//! and the difference `q - p = z / F` (integers over one positive denominator),
//! `b_c - a_c . q = (S_c F - E a_c . z) / (E F)`, whose sign is that of the numerator
//! (`E, F > 0`). Rows with no coefficient on the support of `z` keep the sign at `p`.

use super::constraints::{integer_point, Constraint, ExactRow};
use super::signs::{filtered_at, SignPoint};
use crate::exact::num::{common_denominator, scaled_numerator, Q};
use crate::kernel;
use num_bigint::{BigInt, Sign};
use num_traits::Zero;
use std::cmp::Ordering;

/// The exact slacks at the region's point (each made on first need), and which rows each
/// coordinate reaches (made on the first facet point that differs from the point in few
/// coordinates).
struct Base {
    /// The point as integers `y` over its common denominator `E > 0`.
    y: Vec<BigInt>,
    den: BigInt,
    /// `S_c = b_c E - a_c . y` for each row, once computed.
    slack: Vec<Option<BigInt>>,
    /// For each coordinate, the rows with a nonzero coefficient on it.
    columns: Vec<Vec<u32>>,
}

/// The rows with at most this many held entries have their slack at a near facet point tried
/// by the float filter first (a few products in floats); longer ones (a conv net's dense rows
/// of 784 entries) go straight to the exact update, a few integer products per moved
/// coordinate.
const FILTERED_ENTRIES: usize = 32;

/// The slack signs of a region's constraints at its point, and what the facet points share.
pub(super) struct Slacks<'r, 'p> {
    rows: &'r [&'r Constraint],
    /// The region's point.
    point: &'p [Q],
    /// The nearest floats of the point's coordinates.
    floats: Vec<f64>,
    /// The exact sign of each row's slack at the point.
    signs: Vec<Ordering>,
    base: Option<Base>,
}

fn sign(v: &BigInt) -> Ordering {
    match v.sign() {
        Sign::Minus => Ordering::Less,
        Sign::NoSign => Ordering::Equal,
        Sign::Plus => Ordering::Greater,
    }
}

impl<'r, 'p> Slacks<'r, 'p> {
    /// The slack signs of `rows` at `point` (a point of the rows' dimension).
    pub(super) fn new(rows: &'r [&'r Constraint], point: &'p [Q]) -> Slacks<'r, 'p> {
        let at = SignPoint::new(point);
        let signs = rows.iter().map(|c| at.sign(c.floats(), &c.exact)).collect();
        Slacks { rows, point, floats: at.floats().to_vec(), signs, base: None }
    }

    /// The sign of each row's slack at the point.
    pub(super) fn at_point(&self) -> impl Iterator<Item = Ordering> + '_ {
        self.signs.iter().copied()
    }

    /// The sign of each row's slack at `q` (of the rows' dimension), exactly.
    #[cfg(test)]
    pub(super) fn at(&mut self, q: &[Q]) -> Vec<Ordering> {
        let moved: Vec<(usize, Q)> =
            (0..q.len()).filter(|&j| q[j] != self.point[j]).map(|j| (j, q[j].clone())).collect();
        self.at_moved(&moved)
    }

    /// The sign of each row's slack at the point with the coordinates `moved` (increasing,
    /// each `(j, q_j)` with `q_j` not the point's) moved, exactly.
    pub(super) fn at_moved(&mut self, moved: &[(usize, Q)]) -> Vec<Ordering> {
        let d = self.point.len();
        // a point far from the region's point: each row by the filter or its integer expression
        if 8 * moved.len() > d.max(8) {
            let mut q = self.point.to_vec();
            for (j, x) in moved {
                q[*j] = x.clone();
            }
            let at = SignPoint::new(&q);
            return self.rows.iter().map(|c| at.sign(c.floats(), &c.exact)).collect();
        }
        let mut signs = self.signs.clone();
        if moved.is_empty() {
            return signs;
        }
        // the moved coordinates' floats, for the filter
        let images: Vec<(usize, f64)> = moved.iter().map(|(j, x)| (*j, kernel::image(x))).collect();
        let floats = &self.floats;
        let x = |j: usize| images.iter().find(|(k, _)| *k == j).map_or(floats[j], |(_, f)| *f);
        let mut gathered = Vec::new();
        // every coordinate's float, for the dense rows the filter takes (made on the first)
        let mut dense: Option<Vec<f64>> = None;
        // the difference `q - p = z / F`, made on the first row the filter leaves open
        let mut difference: Option<(Vec<BigInt>, BigInt)> = None;
        let (rows, point) = (self.rows, self.point);
        let base = self.base.get_or_insert_with(|| base_of(rows, point));
        // the rows reached by the moved coordinates, each once
        let mut reached: Vec<u32> =
            moved.iter().flat_map(|(j, _)| base.columns[*j].iter().copied()).collect();
        reached.sort_unstable();
        reached.dedup();
        for c in reached {
            let constraint = rows[c as usize];
            let row = &constraint.exact;
            let (float_a, float_b) = constraint.floats();
            if float_a.len() <= FILTERED_ENTRIES {
                let filtered = if float_a.len() == d {
                    let q = dense.get_or_insert_with(|| (0..d).map(x).collect());
                    kernel::affine_sign(float_a, float_b, q, true)
                } else {
                    filtered_at((float_a, float_b), row, x, &mut gathered)
                };
                if let Some(s) = filtered {
                    signs[c as usize] = s;
                    continue;
                }
            }
            let (z, f) = difference.get_or_insert_with(|| {
                let delta: Vec<Q> = moved.iter().map(|(j, x)| x - &point[*j]).collect();
                let f = common_denominator(&delta);
                (delta.iter().map(|v| scaled_numerator(v, &f)).collect(), f)
            });
            let s = base.slack[c as usize].get_or_insert_with(|| slack_of(row, &base.y, &base.den));
            let mut change = BigInt::zero();
            for ((j, _), zj) in moved.iter().zip(z.iter()) {
                if let Some(a) = row.a.get(*j) {
                    change += a * zj;
                }
            }
            signs[c as usize] = sign(&(&*s * &*f - &base.den * change));
        }
        signs
    }
}

/// `S = b E - a . y` of `row` at the point `y / E`.
fn slack_of(row: &ExactRow, y: &[BigInt], den: &BigInt) -> BigInt {
    let mut value = &row.b * den;
    row.a.nonzeros(|j, a| {
        if !y[j].is_zero() {
            value -= a * &y[j];
        }
    });
    value
}

/// The point in integers, no slack yet, and the rows each coordinate reaches.
fn base_of(rows: &[&Constraint], point: &[Q]) -> Base {
    let (y, den) = integer_point(point);
    let exact: Vec<&ExactRow> = rows.iter().map(|c| &c.exact).collect();
    Base { y, den, slack: vec![None; rows.len()], columns: columns_of(&exact, point.len()) }
}

/// For each of `d` coordinates, the rows with a nonzero coefficient on it.
fn columns_of(rows: &[&ExactRow], d: usize) -> Vec<Vec<u32>> {
    let mut columns = vec![Vec::new(); d];
    for (c, row) in rows.iter().enumerate() {
        let c = u32::try_from(c).expect("fewer than 2^32 constraints in a region");
        row.a.nonzeros(|j, _| {
            if j < d {
                columns[j].push(c);
            }
        });
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::super::constraints::Origin;
    use super::*;
    use crate::kernel::halfspace::Halfspace;
    use proptest::prelude::*;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    proptest! {
        /// The shared slacks give the signs of the direct computation at every point, near the
        /// base point (a few coordinates moved) or far from it, in 6 dimensions (short rows:
        /// the float filter first) and in 40 (rows longer than [`FILTERED_ENTRIES`]: the exact
        /// update alone).
        #[test]
        fn signs_equal_the_direct_ones(
            d in prop::sample::select(vec![6usize, 40]),
            rows in prop::collection::vec((prop::collection::vec(-3i64..4, 40), -5i64..6, 1i64..4), 1..12),
            point in prop::collection::vec((-4i64..5, 1i64..5), 40),
            moves in prop::collection::vec(prop::collection::vec((0usize..40, -4i64..5, 1i64..5), 0..7), 1..6),
        ) {
            let constraints: Vec<Constraint> = rows
                .iter()
                .enumerate()
                .map(|(i, (a, b, den))| {
                    let row = Halfspace::new(a[..d].iter().map(|&v| q(v, *den)).collect(), q(*b, 1));
                    Constraint::new(row, Origin::Domain(i))
                })
                .collect();
            let refs: Vec<&Constraint> = constraints.iter().collect();
            let p: Vec<Q> = point[..d].iter().map(|&(n, den)| q(n, den)).collect();
            let mut slacks = Slacks::new(&refs, &p);
            let direct = |x: &[Q]| -> Vec<Ordering> {
                let at = integer_point(x);
                refs.iter().map(|c| c.exact.slack_sign(&at)).collect()
            };
            prop_assert_eq!(slacks.at_point().collect::<Vec<_>>(), direct(&p));
            for m in moves {
                let mut x = p.clone();
                for (j, n, den) in m {
                    x[j % d] = q(n, den);
                }
                prop_assert_eq!(slacks.at(&x), direct(&x));
            }
        }
    }
}
