//! How large the regions are: exact areas (2-D) and volumes (3-D) of bounded regions from their
//! exact vertices, a certified inscribed ball in every dimension, and on box domains volume
//! estimates by exact sampling with a confidence interval.
//!
//! - **Area and volume** are exact rationals: the vertices are intersections of facet
//!   hyperplanes (exact solves, kept when they satisfy every constraint), a 2-D region is a
//!   polygon (shoelace formula), a 3-D one is cut into tetrahedra from its interior point to
//!   fan triangulations of its facets (each facet's vertices ordered exactly by angle).
//! - **Inscribed ball**: a float LP proposes the largest ball (`max r` with
//!   `a_i . c + n_i r <= b_i`, `n_i` a rational upper bound of `||a_i||_2`, checked
//!   `n_i^2 >= ||a_i||^2` exactly); the rounded centre and radius are then checked exactly, so
//!   the ball of the reported radius lies inside the region (a certified lower bound of the
//!   inradius, within about `1e-6` relative of the float optimum).
//! - **Sampling** counts the exact patterns of seeded pseudo-random dyadic points of the box:
//!   the estimate of a region's volume is the box's volume times the fraction of points in it,
//!   with a 95% Wilson score interval.

use crate::analysis::facets::Facet;
use crate::enumerate::region::Region;
use crate::exact::num::{dot, from_f64_exact, Q};
use crate::exact::simplex::solve_square;
use crate::kernel::halfspace::Halfspace;
use crate::network::{Domain, Network};
use num_traits::{Signed, Zero};

/// A certified inscribed ball: every point within `radius` (Euclidean) of `center` lies in the
/// region (checked exactly).
#[derive(Debug, Clone, PartialEq)]
pub struct Ball {
    /// The centre.
    pub center: Vec<Q>,
    /// The radius (a certified lower bound of the inradius).
    pub radius: Q,
}

/// The sizes of one region.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegionSize {
    /// The exact area (bounded 2-D regions) or volume (bounded 3-D regions).
    pub measure: Option<Q>,
    /// A certified inscribed ball, when the float LP found one that passed the exact check.
    pub ball: Option<Ball>,
    /// The volume estimated by sampling (`(estimate, low, high)` at 95%, box domains only).
    pub sampled: Option<(f64, f64, f64)>,
}

/// The sizes of every region (`samples` points for the estimates on a box domain, 0 for none).
///
/// # Examples
/// ```
/// use relu_regions::queries::sizes::{inscribed_ball, measure, region_sizes};
/// use relu_regions::{analyze, exact::num::q, Enumerator, Network};
/// // relu(x + y - 1) on the unit square: two triangles of area 1/2
/// let net = Network::from_json(r#"{"input_dim": 2, "domain": {"box": [["0", "1"], ["0", "1"]]}, "layers": [
///     {"weights": [["1", "1"]], "bias": ["-1"], "activation": "relu"}]}"#).unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// assert_eq!(measure(&a.regions()[0], &a.facets()[0]), q(1) / q(2));
/// let ball = inscribed_ball(&a.regions()[0]).unwrap();
/// assert!(a.regions()[0].halfspaces().iter().all(|h| h.slack(&ball.center) >= ball.radius));
/// let sizes = region_sizes(&net, &a.regions(), &a.facets(), 1000, 7);
/// assert!(sizes.iter().all(|s| s.measure == Some(q(1) / q(2))));
/// // the sampled estimate with its 95% interval (from 1000 reproducible samples)
/// let (estimate, low, high) = sizes[0].sampled.unwrap();
/// assert!(low < estimate && estimate < high && (estimate - 0.5).abs() < 0.1);
/// ```
pub fn region_sizes(
    net: &Network,
    regions: &[Region],
    facets: &[Vec<Facet>],
    samples: usize,
    seed: u64,
) -> Vec<RegionSize> {
    let d = net.input_dim();
    // the run's stop token ([`crate::jobs::StopToken`]): the sizes of a prefix of the regions
    let mut sizes: Vec<RegionSize> = regions
        .iter()
        .zip(facets)
        .take_while(|_| !crate::runtime::stop::requested())
        .map(|(r, f)| RegionSize {
            measure: match d {
                2 | 3 if r.bounded => Some(measure(r, f)),
                _ => None,
            },
            ball: inscribed_ball(r),
            sampled: None,
        })
        .collect();
    if let (Domain::Box(bounds), true) = (net.domain(), samples > 0) {
        for (size, estimate) in sizes.iter_mut().zip(sampled_volumes(net, bounds, regions, samples, seed)) {
            size.sampled = Some(estimate);
        }
    }
    sizes
}

/// The exact area (2-D) or volume (3-D) of a bounded region.
///
/// See the example on [`region_sizes`].
pub fn measure(r: &Region, facets: &[Facet]) -> Q {
    if r.point.len() == 2 {
        return crate::queries::plane::area(&crate::queries::plane::polygon(r, facets));
    }
    let rows: Vec<&Halfspace> = facets.iter().map(|f| &*r.constraints[f.constraints[0]].halfspace).collect();
    let vertices = vertices_3d(&rows);
    let p = &r.point;
    let mut volume = Q::zero();
    for row in &rows {
        let on: Vec<&Vec<Q>> = vertices.iter().filter(|v| row.slack(v).is_zero()).collect();
        if on.len() < 3 {
            continue;
        }
        let ordered = order_on_facet(row, &on);
        for k in 1..ordered.len() - 1 {
            volume += det3(ordered[0], ordered[k], ordered[k + 1], p).abs();
        }
    }
    volume / Q::from_integer(6.into())
}

/// The vertices of a 3-D polytope given by its facet rows (distinct, exact).
fn vertices_3d(rows: &[&Halfspace]) -> Vec<Vec<Q>> {
    let mut out: Vec<Vec<Q>> = Vec::new();
    let m = rows.len();
    for i in 0..m {
        for j in i + 1..m {
            for k in j + 1..m {
                let a: Vec<Vec<Q>> = [i, j, k].iter().map(|&t| rows[t].a.clone()).collect();
                let b: Vec<Q> = [i, j, k].iter().map(|&t| rows[t].b.clone()).collect();
                let Some(v) = solve_square(&a, &b) else { continue };
                if rows.iter().all(|h| !h.slack(&v).is_negative()) && !out.contains(&v) {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// The vertices of a facet in cyclic order: projected on the two coordinates other than the
/// normal's largest, ordered by exact angle around their centroid.
fn order_on_facet<'v>(row: &Halfspace, on: &[&'v Vec<Q>]) -> Vec<&'v Vec<Q>> {
    let drop = (0..3).max_by(|&i, &j| row.a[i].abs().cmp(&row.a[j].abs())).unwrap_or(0);
    let keep: Vec<usize> = (0..3).filter(|&i| i != drop).collect();
    let project = |v: &Vec<Q>| [v[keep[0]].clone(), v[keep[1]].clone()];
    let n = Q::from_integer(on.len().into());
    let c = [
        on.iter().map(|v| v[keep[0]].clone()).sum::<Q>() / &n,
        on.iter().map(|v| v[keep[1]].clone()).sum::<Q>() / &n,
    ];
    let mut ordered = on.to_vec();
    ordered.sort_by(|p, q| crate::queries::plane::angle_order(&c, &project(p), &project(q)));
    ordered
}

/// `det(a - p, b - p, c - p)`.
fn det3(a: &[Q], b: &[Q], c: &[Q], p: &[Q]) -> Q {
    let u: Vec<Q> = a.iter().zip(p).map(|(x, y)| x - y).collect();
    let v: Vec<Q> = b.iter().zip(p).map(|(x, y)| x - y).collect();
    let w: Vec<Q> = c.iter().zip(p).map(|(x, y)| x - y).collect();
    &u[0] * (&v[1] * &w[2] - &v[2] * &w[1]) - &u[1] * (&v[0] * &w[2] - &v[2] * &w[0])
        + &u[2] * (&v[0] * &w[1] - &v[1] * &w[0])
}

/// A rational `n >= ||a||_2`, checked exactly (`n^2 >= sum a_j^2`).
fn norm_upper(a: &[Q]) -> Q {
    let squares: Q = a.iter().map(|v| v * v).sum();
    let mut guess = crate::kernel::image(&squares).sqrt() * (1.0 + 1e-9);
    for _ in 0..64 {
        if let Some(n) = from_f64_exact(guess).filter(|n| n * n >= squares) {
            return n;
        }
        guess = if guess.is_finite() && guess > 0.0 { guess * 2.0 } else { 1.0 };
    }
    // a huge or tiny norm beyond the float range: the l1 norm bounds the l2 norm
    a.iter().map(Q::abs).sum()
}

/// The largest ball the float LP finds, rounded and checked exactly (`None` when no candidate
/// passes, e.g. an unbounded LP).
///
/// See the example on [`region_sizes`].
pub fn inscribed_ball(r: &Region) -> Option<Ball> {
    let d = r.point.len();
    let rows: Vec<Halfspace> = r
        .halfspaces()
        .iter()
        .filter(|h| !h.is_trivial())
        .map(|h| {
            let mut a = h.a.clone();
            a.push(norm_upper(&h.a));
            Halfspace::new(a, h.b.clone())
        })
        .collect();
    let refs: Vec<&Halfspace> = rows.iter().collect();
    let (a, b, _) = crate::lp::scaled_rows(&refs);
    if a.iter().flatten().chain(&b).any(|v| !v.is_finite()) {
        return None;
    }
    let mut c = vec![0.0; d + 1];
    c[d] = -1.0;
    let x = match crate::exact::simplex::solve(&a, &b, &c, 50 * (a.len() + d + 2))? {
        crate::exact::simplex::LpOutcome::Optimal { x, .. } => x,
        _ => return None,
    };
    for shrink in [1.0 - 1e-6, 0.999, 0.9, 0.5] {
        let radius = from_f64_exact(x[d] * shrink)?;
        let center: Vec<Q> = x[..d].iter().map(|&v| from_f64_exact(v)).collect::<Option<_>>()?;
        if !radius.is_positive() {
            return None;
        }
        let mut point = center.clone();
        point.push(radius.clone());
        if rows.iter().all(|h| !(&h.b - dot(&h.a, &point)).is_negative()) {
            return Some(Ball { center, radius });
        }
    }
    None
}

/// Volume estimates of every region from `samples` seeded dyadic points of the box.
fn sampled_volumes(
    net: &Network,
    bounds: &[(Q, Q)],
    regions: &[Region],
    samples: usize,
    seed: u64,
) -> Vec<(f64, f64, f64)> {
    let index: std::collections::HashMap<&crate::network::Pattern, usize> =
        regions.iter().enumerate().map(|(i, r)| (&r.pattern, i)).collect();
    let mut counts = vec![0usize; regions.len()];
    let mut rng = crate::exact::rng::SplitMix(seed);
    for _ in 0..samples {
        if crate::runtime::stop::requested() {
            return Vec::new(); // stopped (crate::runtime::stop): no estimate from fewer samples than asked
        }
        let x: Vec<Q> = bounds.iter().map(|(lo, hi)| rng.rational_in(lo, hi)).collect();
        if let Some(&i) = index.get(&net.evaluate(&x).0) {
            counts[i] += 1;
        }
    }
    let volume: f64 = bounds.iter().map(|(lo, hi)| crate::kernel::image(&(hi - lo))).product();
    counts.iter().map(|&k| wilson(k, samples, volume)).collect()
}

/// The estimate and 95% Wilson score interval of a proportion `k / n`, times `volume`.
fn wilson(k: usize, n: usize, volume: f64) -> (f64, f64, f64) {
    let (k, n, z) = (k as f64, n as f64, 1.96f64);
    let p = k / n;
    let denominator = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denominator;
    (p * volume, ((centre - half).max(0.0)) * volume, ((centre + half).min(1.0)) * volume)
}
