//! Facets of a region: which of its constraints are non-redundant, each with a rational point in
//! the facet's relative interior (certified), and which are redundant (a checked Motzkin
//! certificate that the hyperplane cannot be touched in a (d-1)-dimensional set).
//!
//! Constraints that are positive multiples of each other (duplicate or scaled neurons, a neuron
//! on the domain's boundary) are one geometric facet.

use crate::certify::LpStats;
use crate::enumerate::prepared::Prepared;
use crate::enumerate::region::{Origin, Region};
use crate::error::InternalError;
use crate::kernel::halfspace::Halfspace;
use crate::kernel::Filter;
use search::FacetSearch;

pub(crate) mod labels;
mod proposals;
mod search;

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

use crate::enumerate::region::NeuronId;
use crate::exact::num::Q;

impl Facet {
    /// The neurons whose hyperplane this facet lies on (among the region's constraints).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{analyze, Enumerator, Network};
    /// use relu_regions::enumerate::NeuronId;
    /// // relu(x) and relu(y): every facet of a quadrant lies on one neuron's hyperplane
    /// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
    ///     {"weights": [["1", "0"], ["0", "1"]], "activation": "relu"}]}"#).unwrap();
    /// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
    /// let mut on: Vec<NeuronId> = a.facets()[0].iter().flat_map(|f| f.neurons(&a.regions()[0])).collect();
    /// on.sort_by_key(|n| n.index);
    /// assert_eq!(on, [NeuronId { layer: 0, index: 0 }, NeuronId { layer: 0, index: 1 }]);
    /// ```
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
fn halfspace_classes(
    rows: &[&Halfspace],
    distinct: impl Fn(usize, usize) -> bool,
    filter: Filter,
) -> Vec<Vec<usize>> {
    // with the float filter, rows whose keys differ are different halfspaces: not compared
    let keys: Vec<Option<f64>> =
        rows.iter().map(|r| if filter.on() { r.proportion_key() } else { None }).collect();
    let apart = |i: usize, j: usize| matches!((keys[i], keys[j]), (Some(x), Some(y)) if (x - y).abs() > 1e-6);
    let mut classes: Vec<Vec<usize>> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        match classes
            .iter_mut()
            .find(|c| !apart(c[0], i) && !distinct(c[0], i) && rows[c[0]].same_halfspace(row, filter))
        {
            Some(class) => class.push(i),
            None => classes.push(vec![i]),
        }
    }
    classes
}

/// The facets of a region, each certified by a relative-interior point; the constraints of no
/// facet are certified redundant by a Motzkin certificate.
///
/// # Complexity
/// One centring LP per distinct constraint, plus `O(m^2)` exact comparisons for duplicates.
///
/// # Examples
/// ```
/// use relu_regions::{certify::LpStats, analysis::facets::facets, Enumerator, Network};
/// // relu(x - 1) and relu(y) on [0, 2]^2: the region x < 1, y > 0 is the square [0, 1] x [0, 2];
/// // its facets: x = 0, x = 1 and y = 2 (y = 0 is both a box face and a neuron's hyperplane)
/// let net = Network::from_json(r#"{"input_dim": 2, "domain": {"box": [["0", "2"], ["0", "2"]]}, "layers": [
///     {"weights": [["1", "0"], ["0", "1"]], "bias": ["-1", "0"], "activation": "relu"}]}"#).unwrap();
/// let e = Enumerator::builder().build();
/// let prepared = e.prepare(&net);
/// let regions = e.collect_prepared(&prepared).unwrap().0;
/// let region = regions.iter().find(|r| *r.pattern() == vec![vec![false, true]]).unwrap();
/// let found = facets(region, &prepared, &mut LpStats::default()).unwrap();
/// assert_eq!(found.len(), 4);
/// for f in &found {
///     // each facet's point lies on its hyperplane
///     assert_eq!(region.constraints()[f.constraints[0]].halfspace.slack(&f.point), relu_regions::exact::num::q(0));
/// }
/// ```
pub fn facets(
    region: &Region,
    prepared: &Prepared<'_>,
    stats: &mut LpStats,
) -> Result<Vec<Facet>, InternalError> {
    facets_counting_inner(region, prepared, stats, false, &mut LpStats::default())
}

/// The facets inside the domain (none of their rows a domain row), the same as those of
/// [`facets`]: all the graph needs. On a box in many dimensions this skips the box's faces.
pub(crate) fn inner_facets(
    region: &Region,
    prepared: &Prepared<'_>,
    stats: &mut LpStats,
) -> Result<Vec<Facet>, InternalError> {
    facets_counting_inner(region, prepared, stats, true, &mut LpStats::default())
}

/// The facets (all, or the inner ones only), with the LPs of the inner ones also added to
/// `inner_stats` (what `count` with the graph reports, which certifies no others): each class
/// of rows searched in turn ([`FacetSearch`]).
pub(crate) fn facets_counting_inner(
    region: &Region,
    prepared: &Prepared<'_>,
    stats: &mut LpStats,
    inner_only: bool,
    inner_stats: &mut LpStats,
) -> Result<Vec<Facet>, InternalError> {
    let search = FacetSearch::new(region, prepared);
    let mut out = Vec::new();
    for (k, class) in search.classes.iter().enumerate() {
        let inner = !class.iter().any(|&i| search.is_domain(i));
        if inner_only && !inner {
            continue;
        }
        // the run's stop token ([`crate::jobs::StopToken`]), between two facets (the exact solves inside
        // one poll it too, and give up)
        if crate::runtime::stop::requested() {
            return Err(crate::runtime::stop::gave_up(&format!("the facets of region {}", region.id)));
        }
        let mut local = LpStats::default();
        let mut facet = search.facet(k, &mut local)?;
        stats.add(&local);
        if inner {
            inner_stats.add(&local);
        }
        // a projected coordinate comes unreduced: the points that are shown are reduced (the
        // graph's count only evaluates them)
        if let Some(f) = facet.as_mut().filter(|_| !inner_only) {
            f.point.iter_mut().for_each(|v| *v = Q::new(v.numer().clone(), v.denom().clone()));
        }
        out.extend(facet);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::proposals::ray_hits;
    use super::*;
    use crate::enumerate::region::{AffineMap, Constraint};
    use crate::exact::num::{parse_rational, q};
    use crate::network::Domain;

    /// Rays from the centre of the diamond `|x| + |y| <= 1`, with the redundant row
    /// `x + y <= 3` and the cut `2x + y <= 6/5`: they propose three sides and the cut (the side
    /// `x + y <= 1` lies behind the cut along its own normal: an LP finds it), never the
    /// redundant row; each proposed point lies on its row and inside the others.
    #[test]
    fn rays_propose_facets_only() {
        let h = |a: [i64; 2], b: &str| Halfspace::new(vec![q(a[0]), q(a[1])], parse_rational(b).unwrap());
        let rows = [
            h([1, 1], "1"),
            h([1, -1], "1"),
            h([-1, 1], "1"),
            h([-1, -1], "1"),
            h([1, 1], "3"),
            h([2, 1], "6/5"),
        ];
        let refs: Vec<&Halfspace> = rows.iter().collect();
        let hits = ray_hits(&refs, &[0.0, 0.0]);
        let found: Vec<usize> = (0..rows.len()).filter(|&k| hits[k].is_some()).collect();
        assert_eq!(found, vec![1, 2, 3, 5]);
        for &k in &found {
            let x = hits[k].as_ref().unwrap();
            assert!(rows[k].float_slack(x).abs() < 1e-12);
            assert!(rows.iter().enumerate().all(|(j, r)| j == k || r.float_slack(x) > 0.0));
        }
    }

    /// The box `[0, 4]^2` cut by `y - x <= 3/2` and `x <= 3`, with the point `(1, 2)`: moving
    /// the point onto the face `x = 0` leaves the region (the face's centre is needed), and the
    /// face `x = 4` is never touched (proved with its own bound moved out). The fast paths and
    /// the centring LPs alone find the same five facets.
    #[test]
    fn box_faces_that_need_the_face_centre_or_a_relaxed_bound() {
        let domain = Domain::Box(vec![(q(0), q(4)), (q(0), q(4))]);
        let neuron = |k: usize, a: Vec<Q>, b: Q| Constraint {
            halfspace: Halfspace::new(a, b).into(),
            origin: Origin::Neuron(NeuronId { layer: 0, index: k }),
        };
        let mut constraints: Vec<Constraint> = domain
            .halfspaces(2)
            .into_iter()
            .enumerate()
            .map(|(k, h)| Constraint { halfspace: h.into(), origin: Origin::Domain(k) })
            .collect();
        constraints.push(neuron(0, vec![q(-1), q(1)], parse_rational("3/2").unwrap()));
        constraints.push(neuron(1, vec![q(1), q(0)], q(3)));
        let region = Region {
            id: 0,
            pattern: vec![vec![true, true]],
            point: vec![q(1), q(2)],
            constraints,
            map: AffineMap { jacobian: Vec::new(), offset: Vec::new() },
            facts: Default::default(),
            bounded: true,
            layout: Default::default(),
        };
        let net = crate::network::Network::from_json(
            r#"{"input_dim": 2, "domain": {"box": [["0", "4"], ["0", "4"]]},
                "layers": [{"weights": [["1", "0"]], "activation": "linear"}]}"#,
        )
        .unwrap();
        assert_eq!(net.domain(), &domain);
        let float = Prepared::new(&net, crate::lp::Backend::FloatSimplex);
        let mut fast_stats = LpStats::default();
        let fast = facets(&region, &float, &mut fast_stats).unwrap();
        let no_box = Prepared::new(&net, crate::lp::Backend::FloatSimplex).without_float_box();
        let slow = facets(&region, &no_box, &mut LpStats::default()).unwrap();
        let rows = |f: &[Facet]| f.iter().map(|f| f.constraints.clone()).collect::<Vec<_>>();
        let exact =
            facets(&region, &Prepared::new(&net, crate::lp::Backend::ExactOnly), &mut LpStats::default());
        assert_eq!(rows(&exact.unwrap()), rows(&slow));
        // box rows: 0 x >= 0, 1 x <= 4, 2 y >= 0, 3 y <= 4; then the two neuron rows
        assert_eq!(rows(&fast), vec![vec![0], vec![2], vec![3], vec![4], vec![5]]);
        assert_eq!(rows(&fast), rows(&slow));
        for f in &fast {
            let on = &region.constraints[f.constraints[0]].halfspace;
            assert!(on.slack(&f.point) == q(0));
        }
        assert!(fast_stats.by_bound_lp >= 1, "x <= 4 proved redundant by a bound LP: {fast_stats:?}");
    }
}
