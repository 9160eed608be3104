//! Where regions go: the [`RegionSink`] trait, the counting sink, and the emitter that gives
//! regions their ids in order, applies `max_regions` and counts progress.

use super::{StopReason, Summary};
use crate::progress::Progress;
use crate::region::Region;
use std::ops::ControlFlow;

/// Receives regions as they are found.
pub trait RegionSink {
    /// Takes one region; `Break` stops the enumeration (the result is then partial).
    fn region(&mut self, region: Region) -> ControlFlow<()>;

    /// Whether the sink reads anything of a region but `bounded` (a counter does not: the maps
    /// are then not formed, and with several threads the sink may receive
    /// [`Region::counted`] stand-ins, so that regions waiting for their turn cost no memory).
    fn needs_details(&self) -> bool {
        true
    }
}

impl RegionSink for Vec<Region> {
    fn region(&mut self, region: Region) -> ControlFlow<()> {
        self.push(region);
        ControlFlow::Continue(())
    }
}

/// Counts regions without keeping them.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingSink {
    /// Regions seen.
    pub regions: usize,
    /// Bounded regions seen.
    pub bounded: usize,
}

impl RegionSink for CountingSink {
    fn region(&mut self, region: Region) -> ControlFlow<()> {
        self.regions += 1;
        self.bounded += usize::from(region.bounded);
        ControlFlow::Continue(())
    }

    fn needs_details(&self) -> bool {
        false
    }
}

/// Gives regions their ids in emission order and passes them to the sink (up to `max`).
pub(super) struct Emitter<'s, 'm> {
    pub(super) sink: &'s mut dyn RegionSink,
    pub(super) summary: &'m mut Summary,
    pub(super) max: Option<usize>,
    /// The progress counters.
    pub(super) progress: Option<&'s Progress>,
}

impl Emitter<'_, '_> {
    pub(super) fn emit(&mut self, mut region: Region) -> ControlFlow<()> {
        if self.summary.stopped.is_some() {
            return ControlFlow::Break(());
        }
        if self.max.is_some_and(|n| self.summary.regions >= n) {
            self.summary.stopped = Some(StopReason::MaxRegions);
            return ControlFlow::Break(());
        }
        region.id = self.summary.regions;
        self.summary.regions += 1;
        if let Some(p) = self.progress {
            p.add_region();
        }
        let flow = self.sink.region(region);
        if flow.is_break() {
            self.summary.stopped = Some(StopReason::Sink);
        }
        flow
    }

    /// Emits a batch in order (after a stop the rest is refused, and already counted as such).
    pub(super) fn emit_all(&mut self, regions: Vec<Region>) {
        for r in regions {
            let _ = self.emit(r);
        }
    }
}
