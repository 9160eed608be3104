//! Exact planar geometry for 2-input networks: the vertices of a bounded region (in order) and
//! its area, computed in rationals from its facets. Used by the SVG plots and by the tests that
//! check that region areas add up exactly to the domain's.

use crate::analysis::facets::Facet;
use crate::enumerate::region::Region;
use crate::exact::num::{sign, Q};
use num_traits::{Signed, Zero};
use std::cmp::Ordering;

/// The vertices of a bounded 2-D region, counter-clockwise, exact.
///
/// # Examples
/// ```
/// use relu_regions::{analysis::analyze, Enumerator, network::json::read_network, queries::plane};
/// use relu_regions::exact::num::q;
/// let net = read_network(r#"{"input_dim": 2, "layers": [{"weights": [[1, -1]], "activation": "relu"}],
///     "domain": {"box": [[0, 1], [0, 1]]}}"#, "t").unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let total: relu_regions::exact::num::Q = a.regions().iter().zip(a.facets())
///     .map(|(r, f)| plane::area(&plane::polygon(r, f))).sum();
/// assert_eq!(total, q(1));
/// ```
pub fn polygon(region: &Region, facets: &[Facet]) -> Vec<[Q; 2]> {
    assert_eq!(region.point.len(), 2, "planar geometry needs a 2-input network");
    let lines: Vec<(&[Q], &Q)> = facets
        .iter()
        .map(|f| {
            let h = &region.constraints[f.constraints[0]].halfspace;
            (h.a.as_slice(), &h.b)
        })
        .collect();
    let mut vertices: Vec<[Q; 2]> = Vec::new();
    for i in 0..lines.len() {
        for j in i + 1..lines.len() {
            let Some(v) = intersect(lines[i], lines[j]) else { continue };
            let inside = lines.iter().all(|(a, b)| &a[0] * &v[0] + &a[1] * &v[1] <= **b);
            if inside && !vertices.contains(&v) {
                vertices.push(v);
            }
        }
    }
    let c = [region.point[0].clone(), region.point[1].clone()];
    vertices.sort_by(|p, q| angle_order(&c, p, q));
    vertices
}

/// The intersection of two lines `a . x = b`, if they are not parallel.
fn intersect((a1, b1): (&[Q], &Q), (a2, b2): (&[Q], &Q)) -> Option<[Q; 2]> {
    let det = &a1[0] * &a2[1] - &a1[1] * &a2[0];
    if det.is_zero() {
        return None;
    }
    let x = (b1 * &a2[1] - b2 * &a1[1]) / &det;
    let y = (&a1[0] * b2 - &a2[0] * b1) / &det;
    Some([x, y])
}

/// Orders points by angle around `c` (exact: half-plane, then cross product).
pub(crate) fn angle_order(c: &[Q; 2], p: &[Q; 2], q: &[Q; 2]) -> Ordering {
    let (px, py) = (&p[0] - &c[0], &p[1] - &c[1]);
    let (qx, qy) = (&q[0] - &c[0], &q[1] - &c[1]);
    let half = |x: &Q, y: &Q| u8::from(y.is_negative() || (y.is_zero() && x.is_negative()));
    half(&px, &py).cmp(&half(&qx, &qy)).then_with(|| sign(&(&qx * &py - &qy * &px)))
}

/// The exact area of a polygon given counter-clockwise (shoelace formula).
///
/// # Examples
/// ```
/// use relu_regions::{exact::num::q, queries::plane::area};
/// // the triangle (0,0), (2,0), (0,3), counter-clockwise
/// assert_eq!(area(&[[q(0), q(0)], [q(2), q(0)], [q(0), q(3)]]), q(3));
/// ```
pub fn area(vertices: &[[Q; 2]]) -> Q {
    let n = vertices.len();
    let twice: Q = (0..n)
        .map(|i| {
            let (p, q) = (&vertices[i], &vertices[(i + 1) % n]);
            &p[0] * &q[1] - &q[0] * &p[1]
        })
        .sum();
    twice / Q::from_integer(2.into())
}

/// The partition to draw of a 2-input network: its analysis on its domain when that is bounded
/// (or every region is), else on the [`window`] chosen from the first analysis, where the
/// regions are clipped to that box exactly.
///
/// # Examples
/// ```
/// use relu_regions::{Enumerator, network::json::read_network, queries::plane};
/// let net = read_network(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#, "seed").unwrap();
/// let a = plane::drawn_partition(&net, &Enumerator::builder().build()).unwrap();
/// assert!(a.regions().iter().all(|r| r.bounded())); // four cones, clipped to a window
/// assert_eq!(a.regions().len(), 4);
/// ```
pub fn drawn_partition(
    net: &crate::network::Network,
    enumerator: &crate::enumerate::Enumerator,
) -> Result<crate::analysis::Analysis, crate::error::InternalError> {
    use crate::analysis::analyze;
    let a = analyze(net, enumerator)?;
    let bounded =
        matches!(net.domain(), crate::network::Domain::Box(_)) || a.regions.iter().all(|r| r.bounded);
    if bounded || !a.summary.complete() {
        return Ok(a);
    }
    let window = window(&a.regions, &a.facets);
    let boxed = net
        .with_domain(crate::network::Domain::Box(window))
        .map_err(|e| crate::error::InternalError::new(format!("the drawing window is not a box: {e}")))?;
    analyze(&boxed, enumerator)
}

/// The window to draw a partition of an unbounded domain in: in each coordinate, the range of
/// the central 90% of the bounded regions' vertices (a few far-out slivers would otherwise
/// squeeze the rest into a point), widened by a fifth of its span on each side (at least `1/2`).
/// The unbounded regions, and any bounded one beyond it, are clipped to it. Without bounded
/// regions, [`covering_box`].
///
/// # Examples
/// ```
/// use relu_regions::queries::plane::{covering_box, window};
/// use relu_regions::{analyze, exact::num::q, Enumerator, Network};
/// // relu(x) - relu(x - 1) + relu(y): one bounded-free partition; the window holds every region's point
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "0"], ["1", "0"], ["0", "1"]], "bias": ["0", "-1", "0"], "activation": "relu"}]}"#).unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let w = window(&a.regions(), &a.facets());
/// let c = covering_box(&a.regions(), &a.facets());
/// for r in a.regions() {
///     assert!((0..2).all(|j| c[j].0 < r.point()[j] && r.point()[j] < c[j].1));
/// }
/// assert!(w[0].0 < q(0) && q(1) < w[0].1); // both breaks in x are in view
/// ```
pub fn window(regions: &[Region], facets: &[Vec<Facet>]) -> Vec<(Q, Q)> {
    let points: Vec<[Q; 2]> =
        regions.iter().zip(facets).filter(|(r, _)| r.bounded).flat_map(|(r, f)| polygon(r, f)).collect();
    if points.is_empty() {
        return covering_box(regions, facets);
    }
    (0..2)
        .map(|k| {
            let mut values: Vec<&Q> = points.iter().map(|p| &p[k]).collect();
            values.sort();
            let n = values.len();
            let (lo, hi) = (values[n / 20].clone(), values[(n - 1) - n / 20].clone());
            let margin = ((&hi - &lo) / Q::from_integer(5.into())).max(Q::new(1.into(), 2.into()));
            (lo - &margin, hi + margin)
        })
        .collect()
}

/// A box containing every vertex and interior point of the regions (so every bounded region and
/// part of every unbounded one), widened by a quarter of its span (at least 1) on each side.
///
/// See the example on [`window`].
pub fn covering_box(regions: &[Region], facets: &[Vec<Facet>]) -> Vec<(Q, Q)> {
    let mut points: Vec<[Q; 2]> = regions.iter().map(|r| [r.point[0].clone(), r.point[1].clone()]).collect();
    for (r, f) in regions.iter().zip(facets) {
        points.extend(polygon(r, f));
        points.extend(f.iter().map(|f| [f.point[0].clone(), f.point[1].clone()]));
    }
    (0..2)
        .map(|k| {
            let lo = points.iter().map(|p| p[k].clone()).min().unwrap_or_default();
            let hi = points.iter().map(|p| p[k].clone()).max().unwrap_or_default();
            let span = (&hi - &lo).max(Q::from_integer(1.into()));
            let margin = span / Q::from_integer(4.into());
            (lo - &margin, hi + margin)
        })
        .collect()
}
