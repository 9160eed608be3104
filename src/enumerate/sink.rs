//! Where the items of a run go: the one [`Sink`] trait, the counting sink, and the emitter that gives
//! regions their ids in order, applies `max_regions` and counts progress.

use super::{StopReason, Summary};
use crate::enumerate::region::Region;
use crate::error::SinkError;
use crate::network::Network;
use crate::runtime::progress::Progress;
use std::ops::ControlFlow;

/// Receives the items of a run as they are found: `begin` once, `item` for each (in id order),
/// `finish` once with the summary. The enumerator's items are [`Region`]s
/// ([`Enumerator::enumerate`](super::Enumerator::enumerate)); the facet stream's are regions with
/// their certified facets ([`crate::analysis::stream_with_facets`]). One life cycle for every
/// consumer, as ripgrep's `Sink`: `&mut S` and `Box<S>` are sinks when `S` is, a `Vec` collects,
/// [`from_fn`] makes one of a closure.
///
/// # Examples
/// A sink that keeps the bounded regions' points and stops after the first five regions:
/// ```
/// use relu_regions::{exact::num::Q, Enumerator, Network, Region, Sink, SinkError, StopReason};
/// use std::ops::ControlFlow;
/// struct Bounded { seen: usize, points: Vec<Vec<Q>> }
/// impl Sink<Region> for Bounded {
///     fn item(&mut self, region: Region) -> Result<ControlFlow<()>, SinkError> {
///         self.seen += 1;
///         if region.bounded() {
///             self.points.push(region.into_point());
///         }
///         Ok(if self.seen == 5 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
///     }
/// }
/// // a triangle's three lines cut the plane into 7 regions, one of them bounded
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [{"weights": [["1", "0"], ["0", "1"], ["-1", "-1"]],
///     "bias": ["0", "0", "1"], "activation": "relu"}]}"#).unwrap();
/// let mut all = Bounded { seen: 0, points: Vec::new() };
/// let summary = Enumerator::builder().build().enumerate(&net, &mut all).unwrap();
/// assert_eq!((summary.regions(), summary.stopped()), (5, Some(StopReason::Sink)));
/// assert!(all.points.len() <= 1);
/// ```
pub trait Sink<Item> {
    /// Called once before the first item; an error stops the run before it starts.
    fn begin(&mut self, _net: &Network) -> Result<(), SinkError> {
        Ok(())
    }

    /// Takes one item; `Break` stops the run (the result is then partial), an error stops it
    /// and is the run's ([`Summary::sink_error`]; `finish` is then not called).
    fn item(&mut self, item: Item) -> Result<ControlFlow<()>, SinkError>;

    /// Called once after the last item, with the summary; an error is the run's
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
    /// says no: the region then comes with an empty `map` and its map's hash
    /// (`crate::enumerate::region::RegionFacts::map_hash`) (forming the rational map takes a
    /// gcd per entry).
    fn needs_map(&self) -> bool {
        true
    }
}

impl<I, S: Sink<I> + ?Sized> Sink<I> for &mut S {
    fn begin(&mut self, net: &Network) -> Result<(), SinkError> {
        (**self).begin(net)
    }
    fn item(&mut self, item: I) -> Result<ControlFlow<()>, SinkError> {
        (**self).item(item)
    }
    fn finish(&mut self, summary: &Summary) -> Result<(), SinkError> {
        (**self).finish(summary)
    }
    fn needs_details(&self) -> bool {
        (**self).needs_details()
    }
    fn needs_map(&self) -> bool {
        (**self).needs_map()
    }
}

impl<I, S: Sink<I> + ?Sized> Sink<I> for Box<S> {
    fn begin(&mut self, net: &Network) -> Result<(), SinkError> {
        (**self).begin(net)
    }
    fn item(&mut self, item: I) -> Result<ControlFlow<()>, SinkError> {
        (**self).item(item)
    }
    fn finish(&mut self, summary: &Summary) -> Result<(), SinkError> {
        (**self).finish(summary)
    }
    fn needs_details(&self) -> bool {
        (**self).needs_details()
    }
    fn needs_map(&self) -> bool {
        (**self).needs_map()
    }
}

/// Collects every item.
impl<T> Sink<T> for Vec<T> {
    fn item(&mut self, item: T) -> Result<ControlFlow<()>, SinkError> {
        self.push(item);
        Ok(ControlFlow::Continue(()))
    }
}

/// A sink made of a closure that takes each item (see [`from_fn`]).
pub struct FromFn<F>(F);

/// The sink whose `item` is `f` (no `begin` or `finish`).
///
/// # Examples
/// ```
/// use relu_regions::{from_fn, Enumerator, Network, Region};
/// use std::ops::ControlFlow;
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [{"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
/// let mut unbounded = 0;
/// let summary = Enumerator::builder().build()
///     .enumerate(&net, &mut from_fn(|r: Region| { unbounded += usize::from(!r.bounded()); ControlFlow::Continue(()) }))
///     .unwrap();
/// assert_eq!((summary.regions(), unbounded), (2, 2));
/// ```
pub fn from_fn<I, F: FnMut(I) -> ControlFlow<()>>(f: F) -> FromFn<F> {
    FromFn(f)
}

impl<I, F: FnMut(I) -> ControlFlow<()>> Sink<I> for FromFn<F> {
    fn item(&mut self, item: I) -> Result<ControlFlow<()>, SinkError> {
        Ok((self.0)(item))
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

impl Sink<Region> for CountingSink {
    fn item(&mut self, region: Region) -> Result<ControlFlow<()>, SinkError> {
        self.regions += 1;
        self.bounded += usize::from(region.bounded);
        Ok(ControlFlow::Continue(()))
    }

    fn needs_details(&self) -> bool {
        false
    }
}

/// Gives regions their ids in emission order and passes them to the sink (up to `max`).
pub(super) struct Emitter<'s, 'm> {
    pub(super) sink: &'s mut dyn Sink<Region>,
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
        match self.sink.item(region) {
            Ok(ControlFlow::Continue(())) => ControlFlow::Continue(()),
            Ok(ControlFlow::Break(())) => {
                self.summary.stopped = Some(StopReason::Sink);
                ControlFlow::Break(())
            }
            Err(e) => {
                self.summary.stopped = Some(StopReason::Sink);
                self.summary.sink_error = Some(e);
                ControlFlow::Break(())
            }
        }
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
        fail_at: Option<usize>,
    }

    impl Sink<Region> for Recorder {
        fn begin(&mut self, net: &Network) -> Result<(), SinkError> {
            self.calls.push(format!("begin {}", net.input_dim()));
            Ok(())
        }
        fn item(&mut self, region: Region) -> Result<ControlFlow<()>, SinkError> {
            self.calls.push(format!("region {}", region.id));
            if self.fail_at == Some(region.id) {
                return Err(SinkError { message: "pipe closed".into(), io_kind: None });
            }
            Ok(ControlFlow::Continue(()))
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

    #[test]
    fn an_item_error_stops_the_run_and_skips_finish() {
        let net = Network::from_json(
            r#"{"input_dim": 2, "layers": [{"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#,
        )
        .unwrap();
        for threads in [1, 3] {
            let mut sink = Recorder { fail_at: Some(1), ..Recorder::default() };
            let summary = Enumerator::builder().threads(threads).build().enumerate(&net, &mut sink).unwrap();
            assert_eq!(sink.calls, ["begin 2", "region 0", "region 1"]);
            assert_eq!(summary.stopped, Some(StopReason::Sink));
            assert_eq!(summary.sink_error.map(|e| e.message), Some("pipe closed".to_string()));
        }
    }

    #[test]
    fn boxed_and_borrowed_sinks_and_closures_are_sinks() {
        let net = Network::from_json(
            r#"{"input_dim": 2, "layers": [{"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#,
        )
        .unwrap();
        let e = Enumerator::builder().build();
        let mut boxed: Box<dyn Sink<Region>> = Box::new(CountingSink::default());
        assert_eq!(e.enumerate(&net, &mut boxed).unwrap().regions, 4);
        assert!(!boxed.needs_details()); // the box passes the counter's hints on
        let mut ids = Vec::new();
        let mut closure = from_fn(|r: Region| {
            ids.push(r.id);
            ControlFlow::Continue(())
        });
        let mut borrowed = &mut closure;
        assert_eq!(e.enumerate(&net, &mut borrowed).unwrap().regions, 4);
        assert_eq!(ids, [0, 1, 2, 3]);
    }
}
