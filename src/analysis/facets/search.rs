//! The search for one region's facets: what every facet's search shares (the region's rows
//! grouped into classes of one halfspace, a box that holds the region, the rays from its point,
//! one bound LP of all its rows) and the search of one class, cheapest proposal first: a box
//! face's point, a ray's hit, a redundancy decided by a bound LP (or its basis solved exactly),
//! a crossing point of that LP's answer, and last a strict point found by an LP of its own.
//! Every point found is checked exactly before it is kept.

use super::proposals::{
    box_face_point, crossing, ray_hits, redundancy, redundancy_by_basis, Redundancy, SharedLp,
};
use super::{halfspace_classes, Facet};
use crate::certify::Outcome;
use crate::certify::{
    bounding_box, find_strict_point, is_strictly_inside, point_on_hyperplane_near, LpStats,
    BOX_DIMENSION_LIMIT,
};
use crate::enumerate::prepared::Prepared;
use crate::enumerate::region::{Origin, Region};
use crate::error::InternalError;
use crate::exact::num::Q;
use crate::kernel::float_box::FloatBox;
use crate::kernel::halfspace::Halfspace;
use crate::lp::boxed::BoxLp;
use std::cell::OnceCell;

/// What the search of every facet of one region shares.
pub(super) struct FacetSearch<'r, 'p> {
    region: &'r Region,
    prepared: &'r Prepared<'p>,
    rows: Vec<&'r Halfspace>,
    /// Classes of constraints that are one halfspace; a facet is a class.
    pub(super) classes: Vec<Vec<usize>>,
    /// Each class's first row.
    reps: Vec<&'r Halfspace>,
    /// The classes the bound LP takes, with their rows: on a box domain the neuron rows (the
    /// box rows are the box itself), on other domains all of them.
    lp_reps: Vec<(usize, &'r Halfspace)>,
    lp_rows: Vec<&'r Halfspace>,
    /// Where the ray from the region's point along each class's normal first leaves the region
    /// (with float hints only).
    hits: Vec<Option<Vec<f64>>>,
    point_float: Vec<f64>,
    /// A box certified to hold a bounded region on a domain that is not a box.
    certified: Option<FloatBox>,
    /// The bound LP of all the rows, asked of each row with that row left out.
    shared_lp: OnceCell<Option<BoxLp>>,
}

impl<'r, 'p> FacetSearch<'r, 'p> {
    pub(super) fn new(region: &'r Region, prepared: &'r Prepared<'p>) -> FacetSearch<'r, 'p> {
        let filter = prepared.filter();
        // the float-free reference has no float box: it takes no float shortcut at all
        let domain_box = prepared.float_box();
        let rows = region.halfspaces();
        // a box holding the region: the domain's, or a certified one for a bounded region on
        // another domain (float hints only), so that redundant rows are proved by bound LPs
        let certified = match (domain_box, &region.facts.bounds) {
            (None, None) if region.bounded && prepared.box_hints() => {
                bounding_box(&rows, prepared.network().input_dim(), &region.point)
            }
            _ => None,
        };
        let is_domain = |i: usize| matches!(region.constraints[i].origin, Origin::Domain(_));
        // two faces of a box are never the same halfspace
        let classes =
            halfspace_classes(&rows, |i, j| domain_box.is_some() && is_domain(i) && is_domain(j), filter);
        let reps: Vec<&Halfspace> = classes.iter().map(|c| rows[c[0]]).collect();
        let lp_reps: Vec<(usize, &Halfspace)> = (0..classes.len())
            .filter(|&j| domain_box.is_none() || !is_domain(classes[j][0]))
            .map(|j| (j, reps[j]))
            .collect();
        let point_float: Vec<f64> = region.point.iter().map(crate::exact::num::to_f64).collect();
        let mut search = FacetSearch {
            region,
            prepared,
            lp_rows: lp_reps.iter().map(|&(_, r)| r).collect(),
            rows,
            hits: Vec::new(),
            classes,
            reps,
            lp_reps,
            point_float,
            certified,
            shared_lp: OnceCell::new(),
        };
        // facets proposed by rays from the region's point (with float hints only)
        search.hits = if search.bx().is_some() || prepared.box_hints() {
            ray_hits(&search.reps, &search.point_float)
        } else {
            vec![None; search.classes.len()]
        };
        search
    }

    /// The box that holds the region: the domain's, the one its enumeration proved, or the one
    /// certified here (float hints only).
    fn bx(&self) -> Option<&FloatBox> {
        match (self.prepared.float_box(), &self.region.facts.bounds) {
            (Some(bx), _) => Some(bx),
            (None, Some(bx)) if self.prepared.box_hints() => Some(&**bx),
            (None, None) => self.certified.as_ref(),
            _ => None,
        }
    }

    /// Whether constraint `i` is a domain row.
    pub(super) fn is_domain(&self, i: usize) -> bool {
        matches!(self.region.constraints[i].origin, Origin::Domain(_))
    }

    /// A facet of class `k` with its certified point, or `None` when the class's rows are
    /// redundant.
    pub(super) fn facet(&self, k: usize, stats: &mut LpStats) -> Result<Option<Facet>, InternalError> {
        let class = &self.classes[k];
        let row = self.rows[class[0]];
        let others: Vec<&Halfspace> = [&self.reps[..k], &self.reps[k + 1..]].concat();
        let lp_others: Vec<&Halfspace> =
            self.lp_reps.iter().filter(|&&(j, _)| j != k).map(|&(_, r)| r).collect();
        let facet = |point: Vec<Q>| {
            let on_boundary = class.iter().any(|&i| self.is_domain(i));
            Facet { constraints: class.clone(), point, on_boundary }
        };
        if let Some(point) = self.on_box_face(class, row, &others, &lp_others) {
            return Ok(Some(Facet { constraints: class.clone(), point, on_boundary: true }));
        }
        if let Some(point) = self.hits[k].as_ref().and_then(|x| point_on_hyperplane_near(&others, row, x)) {
            stats.by_bound_vertex += 1;
            return Ok(Some(facet(point)));
        }
        let near = match self.redundancy(k, row, &lp_others, stats) {
            Outcome::Proved(()) => return Ok(None),
            Outcome::Witness(x) => crossing(row, &self.point_float, &x),
            Outcome::Unknown(()) => None,
        };
        if let Some(point) = near.and_then(|x| point_on_hyperplane_near(&others, row, &x)) {
            stats.by_bound_vertex += 1;
            return Ok(Some(facet(point)));
        }
        Ok(match find_strict_point(&others, Some(row), self.prepared.solver(), stats)? {
            Outcome::Witness(point) => Some(facet(point)),
            Outcome::Proved(_) => None,
        })
    }

    /// A point of a box face of the domain that is strictly inside every other row.
    fn on_box_face(
        &self,
        class: &[usize],
        row: &Halfspace,
        others: &[&Halfspace],
        lp_others: &[&Halfspace],
    ) -> Option<Vec<Q>> {
        let domain_box = self.prepared.float_box().filter(|_| self.is_domain(class[0]))?;
        let found = box_face_point(&self.region.point, row, lp_others, domain_box);
        // the exact check of the other box rows (cheap: one coordinate each)
        found.filter(|x| is_strictly_inside(others, x, self.prepared.filter()))
    }

    /// Whether class `k`'s row is redundant, by a bound LP over the box that holds the region,
    /// or with no box (an unbounded region) by the bound LP's basis solved exactly.
    fn redundancy(
        &self,
        k: usize,
        row: &Halfspace,
        lp_others: &[&Halfspace],
        stats: &mut LpStats,
    ) -> Redundancy {
        match self.bx() {
            Some(bx) => {
                let box_face = self.prepared.float_box().is_some() && self.is_domain(self.classes[k][0]);
                let shared = self.lp_reps.iter().position(|&(j, _)| j == k).and_then(|position| {
                    let lp = self.shared_lp.get_or_init(|| BoxLp::new(&self.lp_rows, bx)).as_ref()?;
                    Some(SharedLp { lp, rows: &self.lp_rows, position })
                });
                redundancy(lp_others, row, box_face, bx, shared, stats)
            }
            None if self.prepared.box_hints() && self.region.point.len() <= BOX_DIMENSION_LIMIT => {
                redundancy_by_basis(lp_others, row, stats)
            }
            None => Outcome::Unknown(()),
        }
    }
}
