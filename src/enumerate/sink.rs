//! Where regions go: the [`RegionSink`] trait, the counting sink, and the emitter that gives
//! regions their ids in order, applies `max_regions` and draws the progress bar.

use super::{StopReason, Summary};
use crate::region::Region;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::time::{Duration, Instant};

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
    /// Start time when a progress bar is wanted.
    pub(super) progress: Option<Instant>,
    /// The progress bar, once the run has lasted a second.
    pub(super) bar: Option<indicatif::ProgressBar>,
    /// The caller's region counter.
    pub(super) counter: Option<&'s AtomicUsize>,
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
        if let Some(counter) = self.counter {
            counter.fetch_add(1, AtomicOrdering::Relaxed);
        }
        if let Some(start) = self.progress.filter(|_| self.summary.regions % 64 == 0) {
            self.show_progress(start);
        }
        let flow = self.sink.region(region);
        if flow.is_break() {
            self.summary.stopped = Some(StopReason::Sink);
        }
        flow
    }

    /// Updates the progress bar (an indicatif spinner on stderr, drawn after one second).
    fn show_progress(&mut self, start: Instant) {
        let regions = self.summary.regions as u64;
        match &self.bar {
            Some(bar) => bar.set_position(regions),
            None if start.elapsed() > Duration::from_secs(1) => {
                let bar =
                    indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
                let style = indicatif::ProgressStyle::with_template(
                    "{spinner} {human_pos} regions, {rate} regions/s, {elapsed} (Ctrl-C stops and keeps them)",
                )
                .expect("a valid template")
                .with_key("rate", |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}", state.per_sec());
                });
                bar.set_style(style);
                bar.enable_steady_tick(Duration::from_millis(200));
                bar.set_position(regions);
                self.bar = Some(bar);
            }
            None => {}
        }
    }

    /// Emits a batch in order (after a stop the rest is refused, and already counted as such).
    pub(super) fn emit_all(&mut self, regions: Vec<Region>) {
        for r in regions {
            let _ = self.emit(r);
        }
    }
}
