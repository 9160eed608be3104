//! The whole job on one network: enumerate the regions, certify their facets, build the
//! graph and the pieces. The CLI is a thin layer over this.

pub mod facets;
pub mod graph;
pub mod graph_counts;

use crate::analysis::facets::{facets, Facet};
use crate::analysis::graph::{build, RegionGraph};
use crate::certify::LpStats;
use crate::enumerate::prepared::Prepared;
use crate::enumerate::region::Region;
use crate::enumerate::{Enumerator, Sink, StopReason, Summary};
use crate::error::{InternalError, SinkError};
use crate::network::Network;
use crate::runtime::stop::StopToken;
use std::ops::ControlFlow;

/// Regions with their facets and graph.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Regions in id order.
    pub(crate) regions: Vec<Region>,
    /// The facets of each region.
    pub(crate) facets: Vec<Vec<Facet>>,
    /// The adjacency graph and pieces.
    pub(crate) graph: RegionGraph,
    /// The enumeration summary (its stats include the facet LPs).
    pub(crate) summary: Summary,
    /// How many regions (a prefix, in id order) have certified facets: all of them, unless
    /// Ctrl-C or the time limit stopped the facet phase (the others then have none listed, and
    /// the graph lacks their edges).
    pub(crate) facets_certified: usize,
}

impl Analysis {
    /// Regions in id order.
    ///
    /// See the example on [`Analysis`].
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// The facets of each region.
    ///
    /// See the example on [`Analysis`].
    pub fn facets(&self) -> &[Vec<Facet>] {
        &self.facets
    }

    /// The adjacency graph and pieces.
    ///
    /// See the example on [`Analysis`].
    pub fn graph(&self) -> &RegionGraph {
        &self.graph
    }

    /// The enumeration summary (its stats include the facet LPs).
    ///
    /// See the example on [`Analysis`].
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// How many regions (a prefix, in id order) have certified facets: all of them, unless
    /// Ctrl-C or the time limit stopped the facet phase (the others then have none listed, and
    /// the graph lacks their edges).
    ///
    /// See the example on [`Analysis`].
    pub fn facets_certified(&self) -> usize {
        self.facets_certified
    }

    /// The regions and their facets, taken (the analysis is consumed).
    ///
    /// See the example on [`Analysis`].
    pub fn into_regions_and_facets(self) -> (Vec<Region>, Vec<Vec<Facet>>) {
        (self.regions, self.facets)
    }

    /// Number of edges.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{analyze, Enumerator, Network};
    /// // relu(x) on the box [-1, 1]: two bounded regions sharing the facet x = 0
    /// let net = Network::from_json(r#"{"input_dim": 1, "domain": {"box": [["-1", "1"]]},
    ///     "layers": [{"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
    /// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
    /// assert_eq!((a.regions().len(), a.edges(), a.bounded()), (2, 1, 2));
    /// ```
    pub fn edges(&self) -> usize {
        self.graph.graph.edge_count()
    }

    /// Number of bounded regions.
    ///
    /// See the example on [`Analysis::edges`].
    pub fn bounded(&self) -> usize {
        self.regions.iter().filter(|r| r.bounded).count()
    }
}

/// Enumerates, computes facets and builds the graph.
///
/// # Examples
/// ```
/// use relu_regions::{analysis::analyze, Enumerator, network::json::read_network};
/// let net = read_network(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#, "seed").unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// assert_eq!((a.regions().len(), a.edges(), a.graph().pieces()), (4, 4, 4));
/// ```
pub fn analyze(net: &Network, enumerator: &Enumerator) -> Result<Analysis, InternalError> {
    analyze_prepared(&enumerator.prepare(net), enumerator)
}

/// [`analyze`] in a prepared context ([`Enumerator::prepare`]): enumeration, facets and graph
/// share it (domain rows, float box, fixed-point layers, backend).
///
/// # Examples
/// ```
/// use relu_regions::{analysis::analyze_prepared, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [
///     {"weights": [["1"], ["-1"]], "bias": ["0", "1"], "activation": "relu"}]}"#).unwrap();
/// let enumerator = Enumerator::builder().build();
/// let prepared = enumerator.prepare(&net);
/// // the regions alone, then the whole analysis, in the one context
/// assert_eq!(enumerator.collect_prepared(&prepared).unwrap().0.len(), 3);
/// let a = analyze_prepared(&prepared, &enumerator).unwrap();
/// assert_eq!((a.regions().len(), a.edges(), a.bounded()), (3, 2, 1));
/// ```
pub fn analyze_prepared(prepared: &Prepared<'_>, enumerator: &Enumerator) -> Result<Analysis, InternalError> {
    // one token for the whole job: the time limit counts from here, in every phase
    let run_start = std::time::Instant::now();
    let enumerator = &enumerator.anchored(run_start);
    let token = enumerator.stop_token(run_start);
    let _stop = token.install();
    let (regions, summary) = enumerator.collect_prepared(prepared)?;
    let progress = enumerator.progress_counters();
    if let Some(p) = progress {
        p.start_facets(regions.len());
    }
    let outcome = facets_and_graph(prepared, enumerator, &token, regions, summary);
    if let Some(p) = progress {
        p.enter(crate::runtime::progress::Phase::Idle);
    }
    outcome
}

/// The facet phase of [`analyze`]: the facets of every region, then the graph. The token (installed
/// on this thread) stops either; the regions found are all kept.
fn facets_and_graph(
    prepared: &Prepared<'_>,
    enumerator: &Enumerator,
    token: &StopToken,
    regions: Vec<Region>,
    mut summary: Summary,
) -> Result<Analysis, InternalError> {
    let start = std::time::Instant::now();
    let mut stats = LpStats::default();
    let (facets, stopped) = all_facets(&regions, prepared, enumerator, token, &mut stats)?;
    let facets_certified = facets.len();
    let mut facets = facets;
    if let Some(reason) = stopped {
        // interrupted while certifying facets: every region found is kept, those after the
        // certified prefix without facets
        facets.resize(regions.len(), Vec::new());
        summary.stopped = summary.stopped.or(Some(reason));
    }
    let graph = build(prepared, &regions, &facets, summary.complete(), enumerator.thread_count())?;
    if graph.edges_from < regions.len() {
        // interrupted while finding the edges: those of the regions after the prefix are missing
        summary.stopped = summary.stopped.or(token.reason()).or(Some(StopReason::Cancelled));
    }
    summary.stats.add(&stats);
    summary.elapsed += start.elapsed();
    Ok(Analysis { regions, facets, graph, summary, facets_certified })
}

/// A region with its certified facets: the item of [`stream_with_facets`] (a
/// `Sink<FacetedRegion>` receives them in id order).
#[derive(Debug, Clone)]
pub struct FacetedRegion {
    /// The region.
    pub region: Region,
    /// Its facets (non-redundant inequalities with a point on each).
    pub facets: Vec<Facet>,
}

/// Streams every region with its certified facets to `sink`, keeping none of them (memory flat
/// in the region count): the pipeline of `regions --jsonl` ([`crate::export::json::JsonLines`]).
/// The sink's `Break` stops the run (the summary then says [`StopReason::Sink`]).
///
/// # Examples
/// ```
/// use relu_regions::{analysis::{stream_with_facets, FacetedRegion}, from_fn, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
/// let mut facet_counts = Vec::new();
/// let summary = stream_with_facets(&net, &Enumerator::builder().build(), &mut from_fn(|r: FacetedRegion| {
///     facet_counts.push(r.facets.len());
///     std::ops::ControlFlow::Continue(())
/// })).unwrap();
/// assert!(summary.complete());
/// assert_eq!(facet_counts, [2, 2, 2, 2]); // four quadrant-like cones, two facets each
/// ```
pub fn stream_with_facets(
    net: &Network,
    enumerator: &Enumerator,
    sink: &mut dyn Sink<FacetedRegion>,
) -> Result<Summary, InternalError> {
    stream_with_graph_stats(net, enumerator, sink).map(|(summary, _)| summary)
}

/// [`stream_with_facets`], also giving the LP figures that `count` with the graph reports for
/// the same run: the enumeration's and those of the facets inside the domain.
pub(crate) fn stream_with_graph_stats(
    net: &Network,
    enumerator: &Enumerator,
    sink: &mut dyn Sink<FacetedRegion>,
) -> Result<(Summary, LpStats), InternalError> {
    let start = std::time::Instant::now();
    let enumerator = enumerator.anchored(start);
    let prepared = enumerator.prepare(net);
    stream_prepared(&prepared, &enumerator, start, sink)
}

/// [`stream_with_graph_stats`] in a prepared context, `enumerator` anchored at `start`.
pub(crate) fn stream_prepared(
    prepared: &Prepared<'_>,
    enumerator: &Enumerator,
    start: std::time::Instant,
    sink: &mut dyn Sink<FacetedRegion>,
) -> Result<(Summary, LpStats), InternalError> {
    struct Certifying<'a> {
        prepared: &'a Prepared<'a>,
        stats: LpStats,
        inner: LpStats,
        sink: &'a mut dyn Sink<FacetedRegion>,
        error: Option<InternalError>,
        token: StopToken,
        /// Regions passed on with their facets.
        passed: usize,
        /// Set when the token stopped the certification of a region (it is not passed on).
        stopped: Option<StopReason>,
    }
    impl Certifying<'_> {
        /// The summary of what was passed on.
        fn passed_on(&self, summary: &Summary) -> Summary {
            let mut whole = summary.clone();
            if let Some(reason) = self.stopped {
                (whole.regions, whole.stopped) = (self.passed, Some(reason));
            }
            whole
        }
    }
    impl Sink<Region> for Certifying<'_> {
        fn begin(&mut self, net: &Network) -> Result<(), SinkError> {
            self.sink.begin(net)
        }
        fn item(&mut self, region: Region) -> Result<ControlFlow<()>, SinkError> {
            match crate::analysis::facets::facets_counting_inner(
                &region,
                self.prepared,
                &mut self.stats,
                false,
                &mut self.inner,
            ) {
                Ok(facets) => {
                    self.passed += 1;
                    self.sink.item(FacetedRegion { region, facets })
                }
                Err(e) => {
                    match self.token.excuse(e) {
                        Ok(reason) => self.stopped = Some(reason),
                        Err(e) => self.error = Some(e),
                    }
                    Ok(ControlFlow::Break(()))
                }
            }
        }
        fn finish(&mut self, summary: &Summary) -> Result<(), SinkError> {
            if self.error.is_some() || summary.failure.is_some() {
                return Ok(()); // the run failed: nothing to finish
            }
            let mut whole = self.passed_on(summary);
            whole.stats.add(&self.stats);
            self.sink.finish(&whole)
        }
    }
    let mut certifying = Certifying {
        prepared,
        stats: LpStats::default(),
        inner: LpStats::default(),
        sink,
        error: None,
        token: enumerator.stop_token(start),
        passed: 0,
        stopped: None,
    };
    let summary = enumerator.enumerate_prepared(prepared, &mut certifying);
    if let Some(e) = certifying.error.take() {
        return Err(e);
    }
    let mut summary = certifying.passed_on(&summary?);
    let mut graph_stats = summary.stats;
    graph_stats.add(&certifying.inner);
    summary.stats.add(&certifying.stats);
    Ok((summary, graph_stats))
}

/// The facets of every region, in order; chunks of regions are shared among the threads and
/// put back in order, so the result does not depend on the thread count. The token stops it
/// (between regions, or inside one: an exact solve that gives up is excused by it): then the
/// facets of a prefix of the regions come back, with the reason.
fn all_facets(
    regions: &[Region],
    prepared: &Prepared<'_>,
    enumerator: &Enumerator,
    token: &StopToken,
    stats: &mut LpStats,
) -> Result<(Vec<Vec<Facet>>, Option<StopReason>), InternalError> {
    let threads = enumerator.thread_count();
    let parts = crate::runtime::parallel::map_chunks(regions, threads, 16, |part| {
        let mut local = LpStats::default();
        let mut out = Vec::with_capacity(part.len());
        // why the chunk ended before its last region
        let mut end = None;
        for r in part {
            if let Some(reason) = token.reason() {
                end = Some(Ok(reason));
                break;
            }
            match facets(r, prepared, &mut local) {
                Ok(f) => out.push(f),
                Err(e) => {
                    end = Some(token.excuse(e));
                    break;
                }
            }
            if let Some(p) = enumerator.progress_counters() {
                p.add_facets(1);
            }
        }
        (out, local, end)
    });
    let mut out = Vec::with_capacity(regions.len());
    let mut stopped = None;
    for (f, local, end) in parts {
        stats.add(&local);
        if stopped.is_none() {
            out.extend(f);
            stopped = end.transpose()?;
        }
    }
    Ok((out, stopped))
}
