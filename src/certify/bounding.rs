//! A certified bounding box of a bounded polyhedron: for each coordinate, `max +-x_j` over
//! `A x <= b` solved in floats, its optimal basis solved exactly (fraction-free), and the bound
//! `+-x_j <= y . b` taken from the exact multipliers `y >= 0` with `A^T y = +-e_j`, rounded up
//! to a float checked exactly (the box's bounds are floats, exact as they stand). The box
//! contains the polyhedron, so a region inside it can use the box machinery (interval bounds,
//! bound LPs with safe dual bounds) on any domain, all of R^d included; each child of a region
//! keeps its box. Proving the box also proves the polyhedron bounded.

use super::safe::FloatBox;
use crate::lp::simplex::{solve, solve_square_unreduced, LpOutcome};
use crate::num::{from_f64_exact, Q};
use crate::poly::Halfspace;
use num_bigint::{BigInt, Sign};
use num_traits::{One, Zero};

/// Above this input dimension no box is sought: its `2d` exact `d x d` solves would cost more
/// than the decisions they make cheaper (box domains have their box at no cost whatever `d`).
pub(crate) const BOX_DIMENSION_LIMIT: usize = 24;

/// A box holding `{x : rows}` (in `R^dim`), certified as the module says; `None` when the
/// polyhedron is unbounded, a float answer could not be proved (nothing is claimed then), or
/// `dim` exceeds [`BOX_DIMENSION_LIMIT`].
///
/// (The triangle `x, y >= 0`, `x + 2y <= 4` lies in `[0, 4] x [0, 2]`, the quadrant has no
/// box: see the tests.)
pub(crate) fn bounding_box(rows: &[&Halfspace], dim: usize) -> Option<FloatBox> {
    if rows.len() <= dim || dim > BOX_DIMENSION_LIMIT {
        return None; // a bounded polyhedron needs d + 1 rows
    }
    let (float_a, float_b, _) = crate::lp::scaled_rows(rows);
    if float_a.iter().flatten().chain(&float_b).any(|v| !v.is_finite()) {
        return None;
    }
    let mut lo = Vec::with_capacity(dim);
    let mut hi = Vec::with_capacity(dim);
    for j in 0..dim {
        // the upper bound first: an unbounded direction is usually found by the first LP
        let upper = coordinate_bound(rows, &float_a, &float_b, j, 1)?;
        let lower = coordinate_bound(rows, &float_a, &float_b, j, -1)?;
        hi.push(upper);
        lo.push(-lower);
    }
    let finite = lo.iter().chain(&hi).all(|v| v.is_finite());
    finite.then(|| FloatBox::new(lo, hi))
}

/// A float `B` with `s x_j <= B` on `{x : rows}` (`s = +-1`), proved from the float LP's
/// optimal basis: exact multipliers give an exact bound as an unreduced fraction, and `B` is a
/// float checked exactly to be at least that bound (no gcd anywhere). `None`: nothing proved.
fn coordinate_bound(
    rows: &[&Halfspace],
    float_a: &[Vec<f64>],
    float_b: &[f64],
    j: usize,
    s: i64,
) -> Option<f64> {
    let dim = float_a.first()?.len();
    // min -s x_j
    let mut c = vec![0.0; dim];
    c[j] = -(s as f64);
    let LpOutcome::Optimal { basis, .. } = solve(float_a, float_b, &c, 50 * (rows.len() + dim + 2))? else {
        return None;
    };
    if basis.len() != dim {
        return None;
    }
    // A_B^T y = s e_j, y = numerators / det
    let transposed: Vec<Vec<Q>> =
        (0..dim).map(|k| basis.iter().map(|&i| rows[i].a[k].clone()).collect()).collect();
    let mut target = vec![Q::zero(); dim];
    target[j] = Q::from_integer(s.into());
    let (numerators, det) = solve_square_unreduced(&transposed, &target)?;
    let det_sign = det.sign();
    if det_sign == Sign::NoSign || numerators.iter().any(|v| v.sign() != Sign::NoSign && v.sign() != det_sign)
    {
        return None; // some multiplier is negative: no bound proved
    }
    // y . b = num / den (unreduced): the multipliers are numerators / det over the basis rows
    let (mut num, mut den) = (BigInt::zero(), BigInt::one());
    for (&i, v) in basis.iter().zip(&numerators) {
        let b = &rows[i].b;
        if v.is_zero() || b.is_zero() {
            continue;
        }
        let term = b.numer() * v;
        if b.denom() == &den {
            num += term;
        } else {
            num = num * b.denom() + term * &den;
            den *= b.denom();
        }
    }
    den *= det;
    if den.sign() == Sign::Minus {
        (num, den) = (-num, -den);
    }
    upper_float(&num, &den)
}

/// A float at least `num / den` (`den > 0`), checked exactly; `None` when it overflows.
fn upper_float(num: &BigInt, den: &BigInt) -> Option<f64> {
    let near = crate::num::to_f64(&Q::new_raw(num.clone(), den.clone()));
    // the nearest float first (exact bounds stay tight), then further up
    let mut margin = 0.0;
    for _ in 0..5 {
        let candidate = near + margin;
        let exact = from_f64_exact(candidate)?;
        // candidate >= num / den  <=>  candidate_num * den >= num * candidate_den
        if exact.numer() * den >= num * exact.denom() {
            return Some(candidate);
        }
        margin =
            if margin == 0.0 { near.abs() * 4.0 * f64::EPSILON + f64::MIN_POSITIVE } else { margin * 1024.0 };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::q;

    /// The triangle `x, y >= 0`, `x + 2y <= 4` lies in `[0, 4] x [0, 2]` (tight: the bounds are
    /// exact floats); the quadrant without the third row has no box.
    #[test]
    fn a_triangle_has_its_box_and_a_quadrant_none() {
        let rows = [
            Halfspace::new(vec![q(-1), q(0)], q(0)),
            Halfspace::new(vec![q(0), q(-1)], q(0)),
            Halfspace::new(vec![q(1), q(2)], q(4)),
        ];
        let refs: Vec<&Halfspace> = rows.iter().collect();
        let b = bounding_box(&refs, 2).unwrap();
        assert_eq!((b.lo(0), b.hi(0), b.lo(1), b.hi(1)), (0.0, 4.0, 0.0, 2.0));
        assert!(bounding_box(&refs[..2], 2).is_none());
    }

    /// The float bound is at least the exact fraction and next to it, for huge and tiny ones.
    #[test]
    fn upper_floats_bound_the_fraction_from_above() {
        let big = |s: &str| s.parse::<BigInt>().unwrap();
        for (n, d) in [
            ("1", "3"),
            ("-1", "3"),
            ("4", "1"),
            ("0", "7"),
            ("123456789012345678901234567890123456789", "98765432109876543210987654321"),
            ("-123456789012345678901234567890123456789", "98765432109876543210987654321"),
            ("1", "98765432109876543210987654321098765432109876543210987654321"),
        ] {
            let (n, d) = (big(n), big(d));
            let f = upper_float(&n, &d).unwrap();
            let exact = Q::new(n.clone(), d.clone());
            assert!(from_f64_exact(f).unwrap() >= exact, "{f} < {n}/{d}");
            let near = crate::num::to_f64(&exact);
            assert!((f - near).abs() <= near.abs() * 1e-14 + 1e-300, "{f} far from {near}");
        }
    }

    /// Random small polygons and simplices: every vertex found by brute force lies in the box,
    /// and the box is tight up to the images' rounding (the bound is the LP optimum).
    #[test]
    fn the_box_holds_every_vertex_and_is_tight() {
        let mut state = 7u64;
        let mut next = |k: i64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 33) % (2 * k as u64 + 1)) as i64 - k
        };
        let mut boxes = 0;
        for _ in 0..60 {
            let rows: Vec<Halfspace> = (0..5)
                .map(|_| {
                    Halfspace::new(vec![q(next(5)), q(next(5))], Q::new(next(9).into(), 3.into()) + q(4))
                })
                .filter(|h| !h.a.iter().all(Zero::is_zero))
                .collect();
            let refs: Vec<&Halfspace> = rows.iter().collect();
            // the vertices: intersections of two rows that satisfy all rows
            let mut vertices = Vec::new();
            for (i, r) in rows.iter().enumerate() {
                for t in &rows[i + 1..] {
                    let det = &r.a[0] * &t.a[1] - &r.a[1] * &t.a[0];
                    if det.is_zero() {
                        continue;
                    }
                    let x = (&r.b * &t.a[1] - &r.a[1] * &t.b) / &det;
                    let y = (&r.a[0] * &t.b - &r.b * &t.a[0]) / &det;
                    let v = [x, y];
                    if rows.iter().all(|h| h.slack(&v) >= q(0)) {
                        vertices.push(v);
                    }
                }
            }
            let Some(b) = bounding_box(&refs, 2) else { continue };
            boxes += 1;
            assert!(!vertices.is_empty(), "a box for an empty or unbounded set");
            for j in 0..2 {
                let (min, max) = vertices.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    let c = crate::num::to_f64(&v[j]);
                    (lo.min(c), hi.max(c))
                });
                assert!(b.lo(j) <= min + 1e-12 && max <= b.hi(j) + 1e-12, "{j}: [{min}, {max}] vs {b:?}");
                assert!((b.lo(j) - min).abs() < 1e-9 && (b.hi(j) - max).abs() < 1e-9, "tight");
            }
        }
        assert!(boxes >= 5, "too few bounded polygons ({boxes}) to test anything");
    }
}
