//! The rows of a region as its decisions read them: listed once until it splits, with its
//! bound LP and its proved tight box ([`crate::kernel::tight_box`]) built on first use.

use super::Constraints;
use crate::certify::{probe_box_lp_kept, Bound, LpStats, Outcome};
use crate::kernel::float_box::FloatBox;
use crate::kernel::halfspace::Halfspace;
use crate::kernel::tight_box::tightened_box;
use crate::lp::boxed::BoxLp;
use crate::lp::boxed::{Handed, KeptBases};
use std::sync::Arc;

/// How many bases of its solves a region keeps.
const KEPT: usize = 8;

/// How many of the bases handed down a region tries.
pub(super) const HANDED_DOWN: usize = 8;

/// The rows of a region, listed once for all its decisions, and its bound LP when it has a box
/// ([`BoxLp`]: its rows, the box as bounds), built on first use.
pub(super) struct RegionRows<'a> {
    /// Every row: the domain's, then the neurons'.
    pub(super) all: Vec<&'a Halfspace>,
    /// How many of them are the domain's.
    domain: usize,
    /// Where the bound LP's rows start in `all`: on a box domain after the domain's rows (they
    /// are the box), else at 0 (the box only holds the region).
    lp_from: usize,
    /// `None` until built; then `None` inside when a float image is not finite.
    lp: Option<Option<BoxLp>>,
    /// The region's box tightened by its rows ([`tightened_box`]), `None` until sought, then
    /// `None` inside when neither it nor an ancestor has one.
    tight: Option<Option<Arc<FloatBox>>>,
    /// The last bases of its bound LPs' solves and its ancestors', tried first for the next
    /// costs.
    kept: KeptBases,
}

impl<'a> RegionRows<'a> {
    pub(super) fn new(
        constraints: &'a Constraints,
        box_domain: bool,
        kept: Option<Arc<Handed>>,
    ) -> RegionRows<'a> {
        let lp_from = if box_domain { constraints.domain.len() } else { 0 };
        RegionRows {
            all: constraints.rows(),
            domain: constraints.domain.len(),
            lp_from,
            lp: None,
            tight: None,
            kept: KeptBases::inheriting(kept),
        }
    }

    /// How many neuron rows the region has.
    pub(super) fn neuron_rows(&self) -> usize {
        self.all.len() - self.domain
    }

    /// The rows of its bound LP up to its first `k` neuron rows (an ancestor's in the layer,
    /// on a box domain: [`super::entry`]).
    pub(super) fn first_rows(&self, k: usize) -> &[&'a Halfspace] {
        &self.all[self.lp_from..self.domain + k]
    }

    /// The region's box tightened by its bound LP's rows inside `start` (an ancestor's, which
    /// holds the region) or else `bx`, and proved ([`tightened_box`]: a point of the region,
    /// `point`, given by its images); sought once, on a box domain only.
    pub(super) fn tight_box(
        &mut self,
        bx: &FloatBox,
        start: Option<&Arc<FloatBox>>,
        point: &[f64],
    ) -> Option<&FloatBox> {
        if self.lp_from == 0 {
            return None;
        }
        let rows = &self.all[self.lp_from..];
        let found = self.tight.get_or_insert_with(|| {
            let outer = start.map_or(bx, |b| b.as_ref());
            tightened_box(rows, outer, point).map(Arc::new).or_else(|| start.cloned())
        });
        found.as_deref()
    }

    /// The region's proved box when it has been sought and found (its own or an ancestor's).
    pub(super) fn known_tight(&self) -> Option<Arc<FloatBox>> {
        self.tight.clone().flatten()
    }

    /// The box the region's children start from: its own when sought, else `start` (its
    /// ancestor's).
    pub(super) fn tight_for_children(&self, start: &Option<Arc<FloatBox>>) -> Option<Arc<FloatBox>> {
        match &self.tight {
            Some(found) => found.clone(),
            None => start.clone(),
        }
    }

    /// The bases the region's children try before their solves (its own, then its ancestors').
    pub(super) fn kept_for_children(&self) -> Option<Arc<Handed>> {
        self.kept.for_children()
    }

    /// Minimizes `fa . x` over the region: above `fb` with a safe dual bound that proves it,
    /// [`Outcome::Proved(())`]; below, the minimizing vertex.
    pub(super) fn bound(&mut self, fa: &[f64], fb: f64, bx: &FloatBox, stats: &mut LpStats) -> Bound {
        let rows = &self.all[self.lp_from..];
        let Some(lp) = self.lp.get_or_insert_with(|| BoxLp::new(rows, bx)) else {
            return Outcome::Unknown(());
        };
        probe_box_lp_kept(lp, rows, (fa, fb), bx, (&mut self.kept, KEPT, HANDED_DOWN), stats)
    }
}
