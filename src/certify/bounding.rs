//! A certified bounding box of a bounded polyhedron `P = {x : A x <= b}` with a known point
//! `p`, from the `2d` float LPs `max +-x_j` over `P`, proved in one of two ways:
//!
//! - **Safe dual bounds on a candidate box** (no exact arithmetic): the box `B` is the float
//!   optima padded by a little, and for each face of `B` the float LP's multipliers prove, by a
//!   safe dual bound ([`super::safe`]), that `P ∩ B` stays strictly inside that face. Then `P ⊆ B`:
//!   `p` lies strictly inside `B` (checked exactly), and a point of `P` outside `B` would put a
//!   point of `P` on the boundary of `B` on the segment from `p` (`P` is convex).
//! - **Exact multipliers** (when that fails): each LP's optimal basis solved exactly
//!   (fraction-free), the bound `+-x_j <= y . b` taken from the exact multipliers `y >= 0` with
//!   `A^T y = +-e_j`, rounded up to a float checked exactly.
//!
//! The box's bounds are floats, exact as they stand. The box contains the polyhedron, so a
//! region inside it can use the box machinery (interval bounds, bound LPs with safe dual
//! bounds) on any domain, all of R^d included; each child of a region keeps its box. Proving
//! the box also proves the polyhedron bounded.

use super::{Outcome, Probe};
use crate::exact::num::{from_f64_exact, Q};
use crate::exact::simplex::{solve, LpOutcome};
use crate::kernel::float_box::FloatBox;
use crate::kernel::halfspace::Halfspace;
use num_bigint::BigInt;
use num_traits::Zero;

/// Above this input dimension no box is sought: its `2d` exact `d x d` solves would cost more
/// than the decisions they make cheaper (box domains have their box at no cost whatever `d`).
pub(crate) const BOX_DIMENSION_LIMIT: usize = 24;

/// A box holding `{x : rows}` (in `R^dim`), certified as the module says; `None` when the
/// polyhedron is unbounded, a float answer could not be proved (nothing is claimed then), or
/// `dim` exceeds [`BOX_DIMENSION_LIMIT`].
///
/// (The triangle `x, y >= 0`, `x + 2y <= 4` lies in `[0, 4] x [0, 2]`, the quadrant has no
/// box: see the tests.)
pub(crate) fn bounding_box(rows: &[&Halfspace], dim: usize, inside: &[Q]) -> Option<FloatBox> {
    match search_box(rows, dim, inside) {
        Outcome::Proved(b) => Some(b),
        Outcome::Witness(_) | Outcome::Unknown(()) => None,
    }
}

/// What the search for a bounding box found: `Proved(b)`, a certified box; `Witness((j, s))`,
/// the float LP `max s x_j` (`s = +-1`) is unbounded, so `s x_j` seems to grow without bound on
/// the polyhedron (only a hint where to look for a ray; nothing is claimed); `Unknown`, nothing
/// proved.
pub(crate) type BoxSearch = Probe<FloatBox, (usize, i64)>;

/// [`bounding_box`] of the polyhedron `rows` around its point `inside`, saying where a float LP
/// found the polyhedron unbounded: the `2d` float LPs run first (cheap), and only when each has
/// an optimum is the box proved (safe dual bounds first, else exact basis solves), so an
/// unbounded polyhedron costs no exact work here.
pub(crate) fn search_box(rows: &[&Halfspace], dim: usize, inside: &[Q]) -> BoxSearch {
    let optima = match float_optima(rows, dim) {
        Ok(optima) => optima,
        Err(answer) => return answer,
    };
    match box_from_duals(rows, &optima, inside).or_else(|| box_from_bases(rows, &optima)) {
        Some(b) => Outcome::Proved(b),
        None => Outcome::Unknown(()),
    }
}

/// The float optimum of `max s x_j` over the polyhedron: its value, its multipliers over the
/// rows as given, and its basis.
struct Optimum {
    value: f64,
    y: Vec<f64>,
    basis: Vec<usize>,
}

/// The `2d` float LPs `max s x_j` (`optima[2 j]` for `s = 1`, `optima[2 j + 1]` for `s = -1`),
/// or what stopped them: an unbounded one, or no optimal basis.
fn float_optima(rows: &[&Halfspace], dim: usize) -> Result<Vec<Optimum>, BoxSearch> {
    if rows.len() <= dim || dim > BOX_DIMENSION_LIMIT {
        return Err(Outcome::Unknown(())); // a bounded polyhedron needs d + 1 rows
    }
    let (float_a, float_b, scales) = crate::lp::scaled_rows(rows);
    if float_a.iter().flatten().chain(&float_b).any(|v| !v.is_finite()) {
        return Err(Outcome::Unknown(()));
    }
    let mut optima = Vec::with_capacity(2 * dim);
    for j in 0..dim {
        // the upper bound first: an unbounded direction is usually found by the first LP
        for s in [1, -1] {
            // min -s x_j
            let mut c = vec![0.0; dim];
            c[j] = -(s as f64);
            match solve(&float_a, &float_b, &c, 50 * (rows.len() + dim + 2)) {
                Some(LpOutcome::Optimal { x, y, basis }) if basis.len() == dim => {
                    // the multipliers of the rows as given (the LP's rows are scaled)
                    let y = y.iter().zip(&scales).map(|(v, k)| v * k).collect();
                    optima.push(Optimum { value: s as f64 * x[j], y, basis });
                }
                Some(LpOutcome::Unbounded { .. }) => return Err(Outcome::Witness((j, s))),
                _ => return Err(Outcome::Unknown(())),
            }
        }
    }
    Ok(optima)
}

/// The box of the module's second proof, from the optima's bases.
fn box_from_bases(rows: &[&Halfspace], optima: &[Optimum]) -> Option<FloatBox> {
    let dim = optima.len() / 2;
    let (mut lo, mut hi) = (Vec::with_capacity(dim), Vec::with_capacity(dim));
    for j in 0..dim {
        hi.push(coordinate_bound(rows, &optima[2 * j].basis, j, 1)?);
        lo.push(-coordinate_bound(rows, &optima[2 * j + 1].basis, j, -1)?);
    }
    lo.iter().chain(&hi).all(|v| v.is_finite()).then(|| FloatBox::new(lo, hi))
}

/// The box of the module's first proof, from the optima's multipliers (`inside`: a point of
/// the polyhedron). `None` when a bound is not proved.
fn box_from_duals(rows: &[&Halfspace], optima: &[Optimum], inside: &[Q]) -> Option<FloatBox> {
    let dim = inside.len();
    let spread = optima.iter().fold(0.0f64, |m, o| m.max(o.value.abs()));
    // room for the safe bounds' error terms, far below the box's size
    let pad = spread * BOX_PAD + f64::MIN_POSITIVE;
    let face = |k: usize| optima[k].value + pad;
    let hi: Vec<f64> = (0..dim).map(|j| face(2 * j)).collect();
    let lo: Vec<f64> = (0..dim).map(|j| -face(2 * j + 1)).collect();
    // `inside` strictly inside the box, exactly (this also rejects non-finite bounds)
    let strictly_between = |j: usize| {
        let (l, h) = (from_f64_exact(lo[j]), from_f64_exact(hi[j]));
        matches!((l, h), (Some(l), Some(h)) if l < inside[j] && inside[j] < h)
    };
    if !(0..dim).all(strictly_between) {
        return None;
    }
    let candidate = FloatBox::new(lo, hi);
    // each face: `s x_j >= face` has no point of P inside the box, i.e. the halfspace
    // `-s x_j <= -face` is empty there (safe dual bound with the LP's multipliers)
    let proved = (0..2 * dim).all(|k| {
        let (j, s) = (k / 2, if k % 2 == 0 { 1.0 } else { -1.0 });
        let mut g = vec![0.0; dim];
        g[j] = -s;
        crate::kernel::float_box::proves_empty_floats(rows, &g, -face(k), Some(&optima[k].y), &candidate)
    });
    proved.then_some(candidate)
}

/// The candidate box's padding, relative to the largest float bound.
const BOX_PAD: f64 = 1.0 / (1u64 << 22) as f64;

/// A float `B` with `s x_j <= B` on `{x : rows}` (`s = +-1`), proved from the float LP's
/// optimal basis: exact multipliers give an exact bound as an unreduced fraction, and `B` is a
/// float checked exactly to be at least that bound (no gcd anywhere). `None`: nothing proved.
fn coordinate_bound(rows: &[&Halfspace], basis: &[usize], j: usize, s: i64) -> Option<f64> {
    // A_B^T y = s e_j, as |det| y and |det|
    let mut target = vec![Q::zero(); basis.len()];
    target[j] = Q::from_integer(s.into());
    // some multiplier negative: no bound proved; y . b = num / den (unreduced, den > 0)
    let (num, den) = super::basis_bound::basis_dual_value(rows, basis, &target)?;
    upper_float(&num, &den)
}

/// A float at least `num / den` (`den > 0`), checked exactly; `None` when it overflows.
fn upper_float(num: &BigInt, den: &BigInt) -> Option<f64> {
    let near = crate::exact::num::to_f64(&Q::new_raw(num.clone(), den.clone()));
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
    use crate::exact::num::q;

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
        let inside = [q(1), q(1)];
        // the exact multipliers' box is tight, the dual bounds' one padded a little
        let optima = float_optima(&refs, 2).ok().unwrap();
        let b = box_from_bases(&refs, &optima).unwrap();
        assert_eq!((b.lo(0), b.hi(0), b.lo(1), b.hi(1)), (0.0, 4.0, 0.0, 2.0));
        let b = bounding_box(&refs, 2, &inside).unwrap();
        assert!(b.lo(0) < 0.0 && b.lo(0) > -1e-5 && b.hi(0) > 4.0 && b.hi(0) < 4.0 + 1e-5);
        assert!(b.lo(1) < 0.0 && b.lo(1) > -1e-5 && b.hi(1) > 2.0 && b.hi(1) < 2.0 + 1e-5);
        assert!(bounding_box(&refs[..2], 2, &inside).is_none());
        // the half-strip x >= 0, 0 <= y <= 1 grows along +x, where the search says so
        let strip = [rows[0].clone(), rows[1].clone(), Halfspace::new(vec![q(0), q(1)], q(1))];
        let refs: Vec<&Halfspace> = strip.iter().collect();
        assert!(matches!(search_box(&refs, 2, &[q(1), q(1) / q(2)]), Outcome::Witness((0, 1))));
    }

    /// The dual bounds prove nothing about a polyhedron that the given point is not in (the
    /// point is the argument's anchor), nor about a box too tight for it.
    #[test]
    fn the_dual_box_needs_its_point_and_room() {
        let rows = [
            Halfspace::new(vec![q(-1), q(0)], q(0)),
            Halfspace::new(vec![q(0), q(-1)], q(0)),
            Halfspace::new(vec![q(1), q(1)], q(1)),
        ];
        let refs: Vec<&Halfspace> = rows.iter().collect();
        let optima = float_optima(&refs, 2).ok().unwrap();
        assert!(box_from_duals(&refs, &optima, &[q(5), q(5)]).is_none());
        let mut shrunk = float_optima(&refs, 2).ok().unwrap();
        shrunk[0].value = 0.5; // x <= 0.5 is false on the triangle
        assert!(box_from_duals(&refs, &shrunk, &[q(1) / q(4), q(1) / q(4)]).is_none());
        assert!(box_from_duals(&refs, &optima, &[q(1) / q(4), q(1) / q(4)]).is_some());
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
            let near = crate::exact::num::to_f64(&exact);
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
            // a point of the polygon: its vertices' mean (unbounded and empty ones have none
            // here, and then the float LPs are not all optimal)
            let Ok(optima) = float_optima(&refs, 2) else { continue };
            assert!(!vertices.is_empty(), "float optima for an empty or unbounded set");
            let k = q(vertices.len() as i64);
            let inside: Vec<Q> =
                (0..2).map(|j| vertices.iter().map(|v| v[j].clone()).sum::<Q>() / &k).collect();
            // both proofs: the dual bounds' box (padded) and the exact multipliers' (tight)
            for (b, tolerance) in
                [(box_from_duals(&refs, &optima, &inside), 1e-5), (box_from_bases(&refs, &optima), 1e-9)]
            {
                let Some(b) = b else { continue };
                boxes += 1;
                for j in 0..2 {
                    let (min, max) =
                        vertices.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                            let c = crate::exact::num::to_f64(&v[j]);
                            (lo.min(c), hi.max(c))
                        });
                    assert!(b.lo(j) <= min && max <= b.hi(j), "{j}: [{min}, {max}] vs {b:?}");
                    assert!((b.lo(j) - min).abs() < tolerance && (b.hi(j) - max).abs() < tolerance, "tight");
                }
            }
        }
        assert!(boxes >= 10, "too few bounded polygons ({boxes}) to test anything");
    }
}
