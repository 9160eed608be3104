//! Proofs shared by the subtree a region grows inside one layer: "this side of neuron `i` has
//! no point of the region as it entered the layer", proved once by a bound LP over the entry
//! region's rows and read by every descendant in the layer.
//!
//! A region splits on a neuron and both children then decide the layer's later neurons again
//! over their own rows, so a neuron that no descendant's hyperplane reaches is proved constant
//! once per region of the subtree (ACAS Xu width 0.05: 145,361 decisions in its fifth ReLU
//! layer for 1,568 entering regions of 50 neurons). The descendants' regions lie inside the
//! entry region, so a side proved empty there (a safe dual bound, strict: the closed side
//! misses the closed region) is empty, strictly, in each of them. The proof over the entry rows
//! is asked at most once per (neuron, side) in the subtree, on first demand, and the entry
//! region's own proofs are recorded as it makes them.
//!
//! Only on a box domain: the box (the LP's bounds) is then the same for every region.
//!
//! The entry region's LPs asked on a descendant's demand are not counted in the run's LP
//! statistics: which process asks them first depends on how the tree is cut into shards, and
//! the shards' statistics must add up to one machine's. What is counted (each region's own
//! LPs, and the decisions read from the entry) depends on the region alone.

use super::region_rows::{RegionRows, HANDED_DOWN};
use crate::certify::{probe_box_lp, Bound, LpStats, Outcome};
use crate::kernel::float_box::{proves_empty_sparse, FloatBox};
use crate::lp::boxed::{BoxLp, Handed, KeptBases};
use std::sync::{Arc, OnceLock};

/// The proofs of one layer's entry region, shared (behind an `Arc`) by its descendants in the
/// layer.
pub(super) struct EntryProofs {
    /// How many neuron rows the region had when it entered the layer (its rows are the first
    /// ones of every descendant's).
    rows: usize,
    /// The bound LP of the entry rows, built on first use (`None` inside when an image is not
    /// finite).
    lp: OnceLock<Option<BoxLp>>,
    /// Per neuron, per side (off, on): whether a safe dual bound proved the side empty on the
    /// entry region.
    empty: Vec<[OnceLock<bool>; 2]>,
    /// The bases the entry region handed down as it split ([`KeptBasis`]), tried before each
    /// of its LPs asked on demand.
    kept: OnceLock<Option<Arc<Handed>>>,
}

impl EntryProofs {
    /// The proofs of a region with `rows` neuron rows entering a layer of `width` neurons.
    pub(super) fn new(rows: usize, width: usize) -> EntryProofs {
        EntryProofs {
            rows,
            lp: OnceLock::new(),
            empty: (0..width).map(|_| Default::default()).collect(),
            kept: OnceLock::new(),
        }
    }

    /// Records, when `region` is the entry region splitting, the bases it hands down: its LPs
    /// asked on demand try them first.
    pub(super) fn freeze_kept(&self, region: &RegionRows<'_>, kept: &Option<Arc<Handed>>) {
        if self.is_entry(region) {
            let _ = self.kept.set(kept.clone());
        }
    }

    /// Whether the region with these rows is the entry region itself (no row added since).
    pub(super) fn is_entry(&self, region: &RegionRows<'_>) -> bool {
        region.neuron_rows() == self.rows
    }

    /// Records the entry region's own answer for the side `on` of neuron `i`: `proved` when its
    /// bound LP proved the side `fa . x <= fb` empty.
    pub(super) fn record(&self, i: usize, on: bool, proved: bool) {
        let _ = self.empty[i][usize::from(on)].set(proved);
    }

    /// Whether the side `on` of neuron `i` (`fa . x <= fb`, `fb` the right-hand side a float
    /// proof needs) is proved empty on the entry region: its bound LP and safe dual bound, once
    /// for the subtree. `region` is a descendant's (its first rows are the entry's).
    pub(super) fn side_empty(
        &self,
        region: &RegionRows<'_>,
        (i, on): (usize, bool),
        (fa, fb): (&[f64], f64),
        bx: &FloatBox,
    ) -> bool {
        *self.empty[i][usize::from(on)].get_or_init(|| {
            let rows = region.first_rows(self.rows);
            let Some(lp) = self.lp.get_or_init(|| BoxLp::new(rows, bx)) else { return false };
            // counted nowhere: the shards' statistics must add up to one machine's
            let mut uncounted = LpStats::default();
            // the bases the entry handed down first: a proof from one is the one the solve would
            // look for
            if let Some(kept) = self.kept.get().cloned().flatten() {
                let mut prove = |y: &[(usize, f64)]| proves_empty_sparse(rows, fa, fb, y, bx);
                if KeptBases::inheriting(Some(kept)).prove(lp, fa, fb, HANDED_DOWN, &mut prove) {
                    return true;
                }
            }
            matches!(probe_box_lp(lp, rows, fa, fb, bx, &mut uncounted), Outcome::Proved(()))
        })
    }
}

/// The bound LP of the side `on` of neuron `i` (`fa . x <= fb`) on `region`, through the proofs
/// of the layer's entry region when there are some: a side proved empty there is empty here
/// (no LP of the region's own), and the entry region records its own answers.
pub(super) fn bound(
    entry: Option<&EntryProofs>,
    region: &mut RegionRows<'_>,
    (i, on): (usize, bool),
    (fa, fb): (&[f64], f64),
    bx: &FloatBox,
    stats: &mut LpStats,
) -> Bound {
    let own = entry.filter(|e| e.is_entry(region));
    if entry.is_some_and(|e| own.is_none() && e.side_empty(region, (i, on), (fa, fb), bx)) {
        // a decision of this region, proved by the entry region's bound LP
        stats.by_bound_lp += 1;
        return Outcome::Proved(());
    }
    let bound = region.bound(fa, fb, bx, stats);
    if let Some(e) = own {
        e.record(i, on, matches!(bound, Outcome::Proved(())));
    }
    bound
}

/// Records, when `region` is the layer's entry region, that it proved the side `on` of neuron
/// `i` empty without a bound LP (its own proved box, [`crate::kernel::tight_box`]): the proof
/// holds on the entry region, so on each of its descendants in the layer.
pub(super) fn record_own(entry: Option<&EntryProofs>, region: &RegionRows<'_>, (i, on): (usize, bool)) {
    if let Some(e) = entry.filter(|e| e.is_entry(region)) {
        e.record(i, on, true);
    }
}
