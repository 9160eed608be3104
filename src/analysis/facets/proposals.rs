//! Where facets come from before any centring LP: rays from the region's point, bound LPs
//! that prove a row redundant or cross its hyperplane (over the box, or by an exact basis solve
//! without one), and the points of box faces. Everything here proposes floats or proves
//! redundancy; the facet points themselves are certified by the caller.

use crate::certify::{is_strictly_inside, probe_by_basis, probe_over_box, Bound, LpStats, Outcome};
use crate::exact::num::Q;
use crate::kernel::float_box::{proves_empty_floats, FloatBox};
use crate::kernel::halfspace::Halfspace;
use crate::kernel::Filter;
use crate::lp::boxed::BoxLp;

/// What the bound LP `max a . x` over the other constraints says of a constraint `a . x <= b`:
/// `Proved(())`, `a . x < b` on all of the others' polyhedron, so it is no facet;
/// `Witness(v)`, the float maximum exceeds `b` at the vertex `v` (the hyperplane cuts the others'
/// polyhedron); `Unknown`, nothing proved.
pub(super) type Redundancy = Bound;

/// Proves `a . x < b` on all of the other constraints' polyhedron (inside the box), so the
/// constraint is not a facet: by interval arithmetic, or by a safe dual bound from the float
/// multipliers of `max a . x` (a bound LP over the other neuron rows, the box as bounds).
/// Otherwise returns the maximizing vertex when it lies beyond the hyperplane.
///
/// `shared` is the bound LP of all the region's rows (`rows`) with this one at `position`:
/// left out of it, no LP need be built for this row alone.
pub(super) fn redundancy(
    neuron_others: &[&Halfspace],
    row: &Halfspace,
    box_face: bool,
    bx: &FloatBox,
    shared: Option<SharedLp<'_>>,
    stats: &mut LpStats,
) -> Redundancy {
    // the images of the flipped row `-a . x <= -b` (exact negations; the exact row is not needed)
    let (flipped_a, flipped_b): (Vec<f64>, f64) =
        (row.float_a().iter().map(|v| -v).collect(), -row.float_b());
    if proves_empty_floats(&[], &flipped_a, flipped_b, None, bx) {
        stats.by_interval += 1;
        return Outcome::Proved(());
    }
    // the row left out of the region's LP: its multiplier is 0, so the bound leans on the
    // others only; otherwise an LP of the other rows alone
    let skipped = shared
        .filter(|_| !box_face)
        .and_then(|s| Some((s.rows, s.lp.minimize_skipping(&flipped_a, s.position)?)));
    let (rows, opt) = match skipped {
        Some(found) => (found.0, Some(found.1)),
        None => {
            let Some(lp) = own_bound_lp(neuron_others, row, box_face, bx) else {
                return Outcome::Unknown(());
            };
            // max a . x = -min (-a) . x
            (neuron_others, lp.minimize(&flipped_a))
        }
    };
    // min (-a) . x above -b: max a . x below b
    probe_over_box(opt, rows, &flipped_a, flipped_b, bx, stats)
}

/// The bound LP of `row` over the other rows inside the box; for a box face, its own bound is
/// moved out by the box's width, so that a maximum below it comes with multipliers that do not
/// lean on it.
fn own_bound_lp(others: &[&Halfspace], row: &Halfspace, box_face: bool, bx: &FloatBox) -> Option<BoxLp> {
    match row.single_coordinate().filter(|_| box_face) {
        Some(j) => {
            let mut lo: Vec<f64> = (0..bx.dim()).map(|k| bx.lo(k)).collect();
            let mut hi: Vec<f64> = (0..bx.dim()).map(|k| bx.hi(k)).collect();
            let width = hi[j] - lo[j];
            if row.float_a()[j] > 0.0 {
                hi[j] += width;
            } else {
                lo[j] -= width;
            }
            let rows: Vec<(Vec<f64>, f64)> =
                others.iter().map(|r| (r.float_a().to_vec(), r.float_b())).collect();
            BoxLp::from_floats(&rows, &lo, &hi)
        }
        None => BoxLp::new(others, bx),
    }
}

/// The bound LP of all the rows of a region, asked of each row with that row left out.
#[derive(Clone, Copy)]
pub(super) struct SharedLp<'a> {
    pub(super) lp: &'a BoxLp,
    pub(super) rows: &'a [&'a Halfspace],
    pub(super) position: usize,
}

/// [`redundancy`] without a box: `max a . x` over the other rows in floats, a maximum below `b`
/// proved by the basis's exact multipliers ([`bound_by_basis`]).
pub(super) fn redundancy_by_basis(others: &[&Halfspace], row: &Halfspace, stats: &mut LpStats) -> Redundancy {
    match probe_by_basis(others, &row.flipped(), stats) {
        Outcome::Proved(true) => Outcome::Proved(()),
        Outcome::Witness(x) => Outcome::Witness(x),
        // touching without crossing is decided by the centring LP
        Outcome::Proved(false) | Outcome::Unknown(()) => Outcome::Unknown(()),
    }
}

/// A candidate point of the box face `row` (normal `+-e_j`) in the facet's relative interior,
/// checked exactly strictly inside every neuron row: the region's point `p` moved onto the face
/// along `e_j` (the other box rows then hold strictly), or else a point near the face's centre.
/// The caller checks the box rows exactly. `None` when no candidate passes.
pub(super) fn box_face_point(
    p: &[Q],
    row: &Halfspace,
    neuron_rows: &[&Halfspace],
    bx: &FloatBox,
) -> Option<Vec<Q>> {
    let j = row.single_coordinate()?;
    let mut q = p.to_vec();
    q[j] = &row.b / &row.a[j];
    if is_strictly_inside(neuron_rows, &q, Filter::Float) {
        return Some(q);
    }
    // otherwise: a point of the face deep inside the neuron rows (a centring LP on the face,
    // box as bounds), pulled slightly towards q so that it is strictly inside the box too
    let deep = face_centre(neuron_rows, j, crate::exact::num::to_f64(&q[j]), bx)?;
    let q_float: Vec<f64> = q.iter().map(crate::exact::num::to_f64).collect();
    let mut lambda: f64 = 0.5;
    for r in neuron_rows {
        let (at_deep, at_q) = (r.float_slack(&deep), r.float_slack(&q_float));
        if at_q <= 0.0 {
            lambda = lambda.min(0.5 * at_deep / (at_deep - at_q));
        }
    }
    if lambda.is_nan() || lambda <= 0.0 {
        return None;
    }
    let mix: Vec<f64> = deep.iter().zip(&q_float).map(|(a, b)| a + lambda * (b - a)).collect();
    // the caller checks the box rows exactly
    crate::certify::point_on_hyperplane_near(neuron_rows, row, &mix)
}

/// A float point of the face `x_j = value` that maximizes the smallest scaled slack of the
/// neuron rows (`max t` with `a_i . x + |a_i| t <= b_i`, the box as bounds), if positive.
fn face_centre(neuron_rows: &[&Halfspace], j: usize, value: f64, bx: &FloatBox) -> Option<Vec<f64>> {
    let d = bx.dim();
    let rows: Vec<(Vec<f64>, f64)> = neuron_rows
        .iter()
        .map(|r| {
            let mut a = r.float_a().to_vec();
            a.push(r.float_norm());
            (a, r.float_b())
        })
        .collect();
    let mut lo: Vec<f64> = (0..d).map(|k| bx.lo(k)).chain([0.0]).collect();
    let mut hi: Vec<f64> = (0..d).map(|k| bx.hi(k)).chain([1.0]).collect();
    (lo[j], hi[j]) = (value, value);
    let lp = BoxLp::from_floats(&rows, &lo, &hi)?;
    let mut g = vec![0.0; d + 1];
    g[d] = -1.0;
    let opt = lp.minimize(&g)?;
    (opt.x[d] > 0.0).then(|| opt.x[..d].to_vec())
}

/// Rays from `p` (strictly inside the region) along the normal of each row with more than one
/// nonzero: a row that a ray meets first, with room before the next, is a facet, met there.
/// `hits[k]` is that float point for row `k` (only a proposal: the caller certifies it
/// exactly), found with `O(m^2 d)` float operations (rows of one nonzero, such as a box's
/// faces, cost `O(1)`) instead of one LP per facet.
pub(super) fn ray_hits(reps: &[&Halfspace], p: &[f64]) -> Vec<Option<Vec<f64>>> {
    // `a . u` for a row, in O(1) for a row with one nonzero
    let along = |r: &Halfspace, u: &[f64]| -> f64 {
        match r.single_coordinate() {
            Some(j) => r.float_a()[j] * u[j],
            None => r.float_a().iter().zip(u).map(|(a, b)| a * b).sum(),
        }
    };
    let slacks: Vec<f64> = reps.iter().map(|r| r.float_b() - along(r, p)).collect();
    let mut hits = vec![None; reps.len()];
    for ray in reps.iter().filter(|r| r.single_coordinate().is_none()) {
        let u = ray.float_a();
        // the first two crossings along p + t u, t > 0
        let (mut first, mut second) = (None::<(usize, f64)>, f64::INFINITY);
        for (k, r) in reps.iter().enumerate() {
            let rate = along(r, u);
            let t = slacks[k] / rate;
            if !(rate > 0.0 && slacks[k] > 0.0 && t.is_finite()) {
                continue;
            }
            match first {
                Some((_, t0)) if t >= t0 => second = second.min(t),
                _ => {
                    second = first.map_or(second, |(_, t0)| t0);
                    first = Some((k, t));
                }
            }
        }
        if let Some((k, t)) = first {
            if hits[k].is_none() && t < second * (1.0 - 1e-9) {
                hits[k] = Some(p.iter().zip(u).map(|(x, v)| x + t * v).collect());
            }
        }
    }
    hits
}

/// Where the segment from `p` (strictly inside the region) to `x` (beyond the hyperplane of
/// `row`) meets that hyperplane, in floats.
pub(super) fn crossing(row: &Halfspace, p: &[f64], x: &[f64]) -> Option<Vec<f64>> {
    let (at_p, at_x) = (row.float_slack(p), row.float_slack(x));
    let t = at_p / (at_p - at_x);
    (at_p > 0.0 && at_x < 0.0 && t.is_finite())
        .then(|| p.iter().zip(x).map(|(a, b)| a + t * (b - a)).collect())
}
