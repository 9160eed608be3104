//! Where regions go: the [`RegionSink`] trait, the counting sink, and the emitter that gives
//! regions their ids in order, applies `max_regions` and counts progress.

use super::{StopReason, Summary};
use crate::enumerate::region::Region;
use crate::error::SinkError;
use crate::network::Network;
use crate::runtime::progress::Progress;
use std::ops::ControlFlow;

/// Receives regions as they are found: `begin` once, `region` for each (in id order), `finish`
/// once with the summary.
///
/// # Examples
/// A sink that keeps the bounded regions' points and stops after the first five regions:
/// ```
/// use relu_regions::{exact::num::Q, Enumerator, Network, Region, RegionSink, StopReason};
/// use std::ops::ControlFlow;
/// struct Bounded { seen: usize, points: Vec<Vec<Q>> }
/// impl RegionSink for Bounded {
///     fn region(&mut self, region: Region) -> ControlFlow<()> {
///         self.seen += 1;
///         if region.bounded {
///             self.points.push(region.point);
///         }
///         if self.seen == 5 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
///     }
/// }
/// // a triangle's three lines cut the plane into 7 regions, one of them bounded
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [{"weights": [["1", "0"], ["0", "1"], ["-1", "-1"]],
///     "bias": ["0", "0", "1"], "activation": "relu"}]}"#).unwrap();
/// let mut all = Bounded { seen: 0, points: Vec::new() };
/// let summary = Enumerator::builder().build().enumerate(&net, &mut all).unwrap();
/// assert_eq!((summary.regions, summary.stopped), (5, Some(StopReason::Sink)));
/// assert!(all.points.len() <= 1);
/// ```
pub trait RegionSink {
    /// Called once before the first region; an error stops the run before it starts.
    fn begin(&mut self, _net: &Network) -> Result<(), SinkError> {
        Ok(())
    }

    /// Takes one region; `Break` stops the enumeration (the result is then partial; a sink that
    /// breaks because it failed keeps its error for `finish`).
    fn region(&mut self, region: Region) -> ControlFlow<()>;

    /// Called once after the last region, with the summary; an error is the run's
    /// ([`Summary::sink_error`]).
    fn finish(&mut self, _summary: &Summary) -> Result<(), SinkError> {
        Ok(())
    }

    /// Whether the sink reads anything of a region but `bounded` (a counter does not: the maps
    /// are then not formed, and with several threads the sink may receive
    /// [`Region::counted`] stand-ins, so that regions waiting for their turn cost no memory).
    fn needs_details(&self) -> bool {
        true
    }

    /// Whether the sink reads a detailed region's rational map. A sink that only compares maps
    /// says no: the region then comes with an empty `map` and its map's hash ([`crate::enumerate::region::RegionFacts::map_hash`]) (forming
    /// the rational map takes a gcd per entry).
    fn needs_map(&self) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enumerate::Enumerator;

    /// Records the calls it gets; fails in `finish` when asked to.
    #[derive(Default)]
    struct Recorder {
        calls: Vec<String>,
        fail: bool,
    }

    impl RegionSink for Recorder {
        fn begin(&mut self, net: &Network) -> Result<(), SinkError> {
            self.calls.push(format!("begin {}", net.input_dim()));
            Ok(())
        }
        fn region(&mut self, region: Region) -> ControlFlow<()> {
            self.calls.push(format!("region {}", region.id));
            ControlFlow::Continue(())
        }
        fn finish(&mut self, summary: &Summary) -> Result<(), SinkError> {
            self.calls.push(format!("finish {}", summary.regions));
            if self.fail {
                return Err(SinkError { message: "disk full".into(), io_kind: None });
            }
            Ok(())
        }
    }

    #[test]
    fn begin_regions_in_order_then_finish_and_its_error() {
        let net = Network::from_json(
            r#"{"input_dim": 2, "layers": [{"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#,
        )
        .unwrap();
        for threads in [1, 3] {
            let mut sink = Recorder::default();
            let summary = Enumerator::builder().threads(threads).build().enumerate(&net, &mut sink).unwrap();
            assert_eq!(sink.calls, ["begin 2", "region 0", "region 1", "region 2", "region 3", "finish 4"]);
            assert!(summary.complete() && summary.sink_error.is_none());
        }
        let mut failing = Recorder { fail: true, ..Recorder::default() };
        let summary = Enumerator::builder().build().enumerate(&net, &mut failing).unwrap();
        assert_eq!(summary.stopped, Some(StopReason::Sink));
        assert_eq!(summary.sink_error.map(|e| e.message), Some("disk full".to_string()));
    }
}
