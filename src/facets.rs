//! Facets of a region: which of its constraints are non-redundant, each with a rational point in
//! the facet's relative interior (certified), and which are redundant (a checked Motzkin
//! certificate that the hyperplane cannot be touched in a (d-1)-dimensional set).
//!
//! Constraints that are positive multiples of each other (duplicate or scaled neurons, a neuron
//! on the domain's boundary) are one geometric facet.

use crate::certify::safe::{proves_empty, proves_empty_floats, FloatBox};
use crate::certify::{find_strict_point, is_strictly_inside, point_on_hyperplane_near, Feasibility, LpStats};
use crate::lp::boxed::BoxLp;
use crate::lp::LpBackend;
use crate::poly::Halfspace;
use crate::region::{Origin, Region};

/// One facet of a region.
#[derive(Debug, Clone, PartialEq)]
pub struct Facet {
    /// The constraints (indices into the region's `constraints`) defining this facet; the first
    /// is the representative.
    pub constraints: Vec<usize>,
    /// A rational point in the facet's relative interior: on its hyperplane, strictly inside
    /// every other constraint.
    pub point: Vec<Q>,
    /// Whether the facet lies on the domain's boundary (one of its constraints is a domain row).
    pub on_boundary: bool,
}

use crate::num::Q;
use crate::region::NeuronId;

impl Facet {
    /// The neurons whose hyperplane this facet lies on (among the region's constraints).
    pub fn neurons(&self, region: &Region) -> Vec<NeuronId> {
        self.constraints
            .iter()
            .filter_map(|&i| match region.constraints[i].origin {
                Origin::Neuron(n) => Some(n),
                Origin::Domain(_) => None,
            })
            .collect()
    }
}

/// Groups the constraints of a region into classes of identical halfspaces (`distinct(i, j)`:
/// rows known to differ, not compared).
fn halfspace_classes(rows: &[&Halfspace], distinct: impl Fn(usize, usize) -> bool) -> Vec<Vec<usize>> {
    let mut classes: Vec<Vec<usize>> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        match classes.iter_mut().find(|c| !distinct(c[0], i) && rows[c[0]].same_halfspace(row)) {
            Some(class) => class.push(i),
            None => classes.push(vec![i]),
        }
    }
    classes
}

/// What the bound LP `max a . x` over the other constraints says of a constraint `a . x <= b`.
enum Redundancy {
    /// Proved: `a . x < b` on all of the others' polyhedron, so it is no facet.
    Strict,
    /// The float maximum exceeds `b` at this vertex: the hyperplane cuts the others' polyhedron.
    Crossed(Vec<f64>),
    /// Nothing proved.
    Unknown,
}

/// Proves `a . x < b` on all of the other constraints' polyhedron (inside the box), so the
/// constraint is not a facet: by interval arithmetic, or by a safe dual bound from the float
/// multipliers of `max a . x` (a bound LP over the other neuron rows, the box as bounds).
/// Otherwise returns the maximizing vertex when it lies beyond the hyperplane.
fn redundancy(
    neuron_others: &[&Halfspace],
    row: &Halfspace,
    bx: &FloatBox,
    stats: &mut LpStats,
) -> Redundancy {
    let flipped = row.flipped();
    if proves_empty_floats(&[], flipped.float_a(), flipped.float_b(), None, bx) {
        stats.by_interval += 1;
        return Redundancy::Strict;
    }
    let Some(lp) = BoxLp::new(neuron_others, bx) else { return Redundancy::Unknown };
    stats.lps += 1;
    stats.bound_lps += 1;
    // max a . x = -min (-a) . x
    match lp.minimize(flipped.float_a()) {
        Some(opt)
            if -opt.value < row.float_b() && proves_empty(neuron_others, &flipped, Some(&opt.y), bx) =>
        {
            stats.by_bound_lp += 1;
            Redundancy::Strict
        }
        Some(opt) if -opt.value > row.float_b() => Redundancy::Crossed(opt.x),
        _ => Redundancy::Unknown,
    }
}

/// A point of the box face `row` (normal `+-e_j`) in the facet's relative interior: the
/// region's point `p` moved onto the face along `e_j`, checked exactly strictly inside every
/// neuron row (the other box rows hold strictly: the other coordinates are those of `p`, and the
/// opposite face is at a positive distance). `None` when that point is not inside.
fn box_face_point(p: &[Q], row: &Halfspace, neuron_rows: &[&Halfspace]) -> Option<Vec<Q>> {
    let j = row.single_coordinate()?;
    let mut q = p.to_vec();
    q[j] = &row.b / &row.a[j];
    is_strictly_inside(neuron_rows, &q).then_some(q)
}

/// Where the segment from `p` (strictly inside the region) to `x` (beyond the hyperplane of
/// `row`) meets that hyperplane, in floats.
fn crossing(row: &Halfspace, p: &[f64], x: &[f64]) -> Option<Vec<f64>> {
    let slack = |v: &[f64]| row.float_b() - row.float_a().iter().zip(v).map(|(a, vi)| a * vi).sum::<f64>();
    let (at_p, at_x) = (slack(p), slack(x));
    let t = at_p / (at_p - at_x);
    (at_p > 0.0 && at_x < 0.0 && t.is_finite())
        .then(|| p.iter().zip(x).map(|(a, b)| a + t * (b - a)).collect())
}

/// The facets of a region, each certified by a relative-interior point; the constraints of no
/// facet are certified redundant by a Motzkin certificate.
///
/// # Complexity
/// One centring LP per distinct constraint, plus `O(m^2)` exact comparisons for duplicates.
pub fn facets(
    region: &Region,
    bx: Option<&FloatBox>,
    backend: &dyn LpBackend,
    stats: &mut LpStats,
) -> Vec<Facet> {
    let rows = region.halfspaces();
    let point_float: Vec<f64> = region.point.iter().map(crate::num::to_f64).collect();
    let is_domain = |i: usize| matches!(region.constraints[i].origin, Origin::Domain(_));
    // two faces of a box are never the same halfspace
    let classes = halfspace_classes(&rows, |i, j| bx.is_some() && is_domain(i) && is_domain(j));
    let mut out = Vec::new();
    for (k, class) in classes.iter().enumerate() {
        let others: Vec<&Halfspace> =
            classes.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, c)| rows[c[0]]).collect();
        // on a box domain the box rows are the box itself: the bound LP takes the neuron rows
        let neuron_others: Vec<&Halfspace> = classes
            .iter()
            .enumerate()
            .filter(|&(j, c)| j != k && matches!(region.constraints[c[0]].origin, Origin::Neuron(_)))
            .map(|(_, c)| rows[c[0]])
            .collect();
        let row = rows[class[0]];
        if bx.is_some() && is_domain(class[0]) {
            if let Some(point) = box_face_point(&region.point, row, &neuron_others) {
                out.push(Facet { constraints: class.clone(), point, on_boundary: true });
                continue;
            }
        }
        let mut near = None;
        if let Some(bx) = bx {
            match redundancy(&neuron_others, row, bx, stats) {
                Redundancy::Strict => continue,
                Redundancy::Crossed(x) => near = crossing(row, &point_float, &x),
                Redundancy::Unknown => {}
            }
        }
        let from_crossing = near.and_then(|x| point_on_hyperplane_near(&others, row, &x));
        if from_crossing.is_some() {
            stats.by_bound_vertex += 1;
        }
        let point = from_crossing.or_else(|| match find_strict_point(&others, Some(row), backend, stats) {
            Feasibility::Interior(point) => Some(point),
            Feasibility::Empty(_) => None,
        });
        if let Some(point) = point {
            let on_boundary =
                class.iter().any(|&i| matches!(region.constraints[i].origin, Origin::Domain(_)));
            out.push(Facet { constraints: class.clone(), point, on_boundary });
        }
    }
    out
}
