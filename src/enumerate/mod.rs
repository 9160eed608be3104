//! Region enumeration: a depth-first split of the domain, layer by layer and neuron by neuron,
//! streaming every full-dimensional activation region to a [`Sink`].
//!
//! A region carries a rational interior point `p`. For each neuron, with preactivation
//! `h(x) = c . x + e` (affine on the region), the side of `p` is known by one exact (filtered)
//! evaluation; only the other side needs a centring LP, certified by [`crate::certify`]:
//! a checked rational point means the neuron splits the region, a checked Motzkin certificate
//! means it does not (and its row is redundant there, so it is not added). A neuron with
//! `c = 0` never splits (its sign is that of `e`; identically zero counts as off).
//!
//! # Complexity
//! One LP per (region of the layer, neuron) pair, plus exact linear algebra for the maps.
//! Memory while streaming is the depth-first stack: `O(neurons)` partial regions.

mod builder;
mod constraints;
mod entry;
mod frontier;
mod last_layer;
mod max_split;
pub(crate) mod neighbour;
pub(crate) mod order;
mod partial;
pub(crate) mod prepared;
pub(crate) mod region;
mod region_rows;
mod side_floats;
mod sink;
mod split;
mod subtrees;
mod summary;

pub use builder::EnumeratorBuilder;
pub use prepared::Prepared;
pub use region::{AffineMap, Constraint, NeuronId, Origin, Region};
pub use sink::{from_fn, CountingSink, FromFn, Sink};
pub use subtrees::{Estimate, Subtrees};
pub use summary::{StopReason, Summary};

use crate::certify::Outcome;
use constraints::Constraints;
use partial::Partial;
use sink::Emitter;
use split::finish;

use crate::certify::{bounding_box, find_strict_point, is_bounded, LpStats};
use crate::error::InternalError;
use crate::exact::num::{to_f64, Q};
use crate::forward::fixed_point::FixedMap;
use crate::kernel::halfspace::Halfspace;
use crate::lp::Backend;
use crate::network::{Domain, Network};
use crate::runtime::progress::{Phase, Progress};
use crate::runtime::stop::StopToken;
use num_traits::Zero;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The enumerator, configured once (certification is always on; it is not a setting).
#[derive(Debug, Clone, Default)]
pub struct Enumerator {
    backend: Backend,
    max_regions: Option<usize>,
    time_limit: Option<Duration>,
    /// A deadline for every run, whenever it starts (the earlier of it and the time limit
    /// counts).
    deadline: Option<Instant>,
    cancel: Option<Arc<AtomicBool>>,
    threads: usize,
    progress: Option<Arc<Progress>>,
    subtrees: Option<Subtrees>,
}

/// A test that may discard a partial region's whole subtree, for questions that need only some regions
/// (`property`). Asked of every partial region of the depth-first tree: what remains is thread-free.
pub(crate) trait Prune: Sync {
    /// Whether no point of the cell can matter. `states[k]` are the states fixed so far in the
    /// `k`-th ReLU layer (the last one possibly a prefix of its neurons); `neuron_rows` are the
    /// cell's rows from split neurons (with the domain's, they define the cell).
    fn discard(&self, states: &[&[bool]], neuron_rows: &[&Halfspace]) -> bool;

    /// [`Prune::discard`] with a score for a kept cell (`None`: discarded): of the children of
    /// a split, the one scored lower is explored first ([`order`]).
    fn score(&self, states: &[&[bool]], neuron_rows: &[&Halfspace]) -> Option<f64>;
}

/// What every worker shares during one enumeration.
struct Context<'a> {
    /// The run's prepared context (network, domain rows, float box, fixed-point layers).
    prepared: &'a Prepared<'a>,
    net: &'a Network,
    /// The pruning test, if the run has one.
    prune: Option<&'a dyn Prune>,
    /// Subtrees it discarded.
    discarded: std::sync::atomic::AtomicUsize,
    bounded_domain: bool,
    /// Whether a region without a box seeks one when it gains rows (any domain but a box, with
    /// float hints).
    seek_bounds: bool,
    /// Whether the domain is a box (its rows are then the bounds of the regions' bound LPs).
    box_domain: bool,
    /// Whether the sink reads maps and constraints (see [`Sink::needs_details`]).
    details: bool,
    /// Whether the sink reads the rational map (see [`Sink::needs_map`]); without it a
    /// detailed region carries the map's hash instead.
    map: bool,
    /// Set when the emitter has stopped (a limit, the sink or a failure): the workers stop too.
    enough: AtomicBool,
    /// The first internal error met by any worker.
    failure: std::sync::Mutex<Option<InternalError>>,
    /// The run's stop token, installed for the exact solves of its decisions.
    stop: StopToken,
    /// Set when an exact solve gave up because of them (its partial region was dropped).
    gave_up: std::sync::Mutex<Option<StopReason>>,
}

impl Context<'_> {
    /// Makes the run's stop token visible to the exact solves of this thread (until the guard
    /// is dropped).
    fn install_stop(&self) -> crate::runtime::stop::Installed {
        self.stop.install()
    }

    /// Records an internal error and stops every worker. An exact solve that gave up because
    /// the run must stop (its time limit, its cancel flag) is not an error: the run stops for
    /// that reason and is marked incomplete.
    fn fail(&self, error: InternalError) {
        if let Some(reason) = self.stop.reason() {
            let mut slot = self.gave_up.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            slot.get_or_insert(reason);
            return;
        }
        let mut slot = self.failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.get_or_insert(error);
        self.enough.store(true, AtomicOrdering::Relaxed);
    }
}

impl Enumerator {
    /// A builder with the defaults (float simplex hints, no limits).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{Enumerator, network::json::read_network};
    /// let net = read_network(r#"{"input_dim": 2, "layers": [
    ///     {"weights": [["1", "0"], ["0", "1"]], "activation": "relu"},
    ///     {"weights": [["1", "1"]], "activation": "linear"}]}"#, "inline").unwrap();
    /// let regions = Enumerator::builder().build().collect(&net).unwrap().0;
    /// assert_eq!(regions.len(), 4);
    /// ```
    pub fn builder() -> EnumeratorBuilder {
        EnumeratorBuilder::default()
    }

    /// The same enumerator with another backend and part of the tree (for running a shard of
    /// a plan, whose backend is the plan's).
    pub(crate) fn reconfigure(mut self, backend: Backend, subtrees: Option<Subtrees>) -> Enumerator {
        self.backend = backend;
        self.subtrees = subtrees;
        self
    }

    /// The same enumerator with `threads` worker threads.
    pub(crate) fn with_threads(&self, threads: usize) -> Enumerator {
        Enumerator { threads, ..self.clone() }
    }

    /// The number of worker threads (every core when none was set).
    ///
    /// See the example on [`EnumeratorBuilder::backend`].
    pub fn thread_count(&self) -> usize {
        crate::runtime::parallel::threads_for(self.threads)
    }

    /// The backend in use.
    ///
    /// See the example on [`EnumeratorBuilder::backend`].
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Why a run that started at `start` must stop now (Ctrl-C or the time limit), if it must:
    /// for the phases after the enumeration (facets, graph).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{Enumerator, StopReason};
    /// use std::time::{Duration, Instant};
    /// let e = Enumerator::builder().time_limit(Some(Duration::ZERO)).build();
    /// assert_eq!(e.interrupted(Instant::now()), Some(StopReason::TimeLimit));
    /// assert_eq!(Enumerator::builder().build().interrupted(Instant::now()), None);
    /// ```
    pub fn interrupted(&self, start: Instant) -> Option<StopReason> {
        self.stop_token(start).reason()
    }

    /// The stop token of a run that starts at `start`: the earlier of the deadline and
    /// `start` plus the time limit, and the cancel flag.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::Enumerator;
    /// use std::time::{Duration, Instant};
    /// let start = Instant::now();
    /// let e = Enumerator::builder().time_limit(Some(Duration::from_secs(60))).build();
    /// assert_eq!(e.stop_token(start).deadline(), Some(start + Duration::from_secs(60)));
    /// assert_eq!(Enumerator::builder().build().stop_token(start).deadline(), None);
    /// ```
    pub fn stop_token(&self, start: Instant) -> StopToken {
        StopToken::new(self.time_limit.map(|t| start + t), self.cancel.clone()).sooner(self.deadline)
    }

    /// The same enumerator with the time limit of a job that started at `start` turned into a
    /// deadline: every phase of the job (enumeration, facets, graph) then shares one token.
    pub(crate) fn anchored(&self, start: Instant) -> Enumerator {
        Enumerator { deadline: self.stop_token(start).deadline(), time_limit: None, ..self.clone() }
    }

    /// The progress counters, if any were given.
    pub(crate) fn progress_counters(&self) -> Option<&Progress> {
        self.progress.as_deref()
    }

    /// Enumerates every region into a vector.
    ///
    /// See the example on [`Enumerator::builder`].
    ///
    /// # Errors
    /// As [`Enumerator::enumerate`].
    pub fn collect(&self, net: &Network) -> Result<(Vec<Region>, Summary), InternalError> {
        self.collect_prepared(&self.prepare(net))
    }

    /// [`Enumerator::collect`] in a prepared context (see [`Enumerator::prepare`]).
    ///
    /// See the example on [`crate::analysis::analyze_prepared`].
    ///
    /// # Errors
    /// As [`Enumerator::enumerate`].
    pub fn collect_prepared(&self, prepared: &Prepared<'_>) -> Result<(Vec<Region>, Summary), InternalError> {
        let mut regions = Vec::new();
        let summary = self.enumerate_prepared(prepared, &mut regions)?;
        Ok((regions, summary))
    }

    /// The context of a run on `net` with this enumerator's backend, to share between
    /// enumeration, facets and graph ([`crate::analysis::analyze_prepared`]).
    ///
    /// See the example on [`crate::analysis::analyze_prepared`].
    pub fn prepare<'n>(&self, net: &'n Network) -> Prepared<'n> {
        Prepared::new(net, self.backend)
    }

    /// The shared context of a run and the root of its tree (`None`: the domain is empty).
    fn root<'a>(
        &self,
        prepared: &'a Prepared<'a>,
        prune: Option<&'a dyn Prune>,
        (details, map): (bool, bool),
        start: Instant,
        stats: &mut LpStats,
    ) -> Result<Option<(Context<'a>, Partial)>, InternalError> {
        let net = prepared.network();
        let d = net.input_dim();
        let constraints = prepared.domain_rows().to_vec();
        let refs: Vec<&Halfspace> = constraints.iter().map(|c| &*c.halfspace).collect();
        // all of R^d: the origin (an LP over no rows would not know the dimension)
        let point = if refs.is_empty() {
            vec![Q::zero(); d]
        } else {
            match find_strict_point(&refs, None, self.backend.solver(), stats)? {
                Outcome::Witness(p) => p,
                Outcome::Proved(_) => return Ok(None),
            }
        };
        let bounded_domain = match net.domain() {
            Domain::Whole => false,
            Domain::Box(_) => true,
            _ => is_bounded(&refs, d, self.backend.filter())?,
        };
        let box_domain = matches!(net.domain(), Domain::Box(_));
        let hints = prepared.box_hints();
        let bounds = match prepared.float_box() {
            Some(bx) => Some(Arc::new(bx.clone())),
            None if hints && bounded_domain => bounding_box(&refs, d, &point).map(Arc::new),
            None => None,
        };
        let ctx = Context {
            prepared,
            net,
            prune,
            discarded: std::sync::atomic::AtomicUsize::new(0),
            bounded_domain,
            seek_bounds: hints && !box_domain,
            box_domain,
            details,
            map,
            enough: AtomicBool::new(false),
            failure: std::sync::Mutex::new(None),
            stop: self.stop_token(start),
            gave_up: std::sync::Mutex::new(None),
        };
        let root = Partial {
            layer: 0,
            neuron: 0,
            constraints: Constraints::new(constraints),
            point_float: point.iter().map(to_f64).collect(),
            point,
            pattern: Vec::new(),
            bits: Vec::new(),
            input: Arc::new(FixedMap::identity(d)),
            input_masked: false,
            pre: None,
            approx: None,
            bounds,
            bounds_sought_at: 0,
            ray: None,
            states_strict: true,
            entry: None,
            tight: None,
            kept: None,
            asked: false,
        };
        Ok(Some((ctx, root)))
    }

    /// Enumerates every full-dimensional region of the network's domain, in a deterministic
    /// depth-first order, into `sink`.
    ///
    /// See the example on [`Enumerator::enumerate_prepared`].
    ///
    /// # Errors
    /// An exact check failed on the crate's own answer (a bug); the regions the sink received
    /// before are correct.
    pub fn enumerate(&self, net: &Network, sink: &mut dyn Sink<Region>) -> Result<Summary, InternalError> {
        self.enumerate_prepared(&self.prepare(net), sink)
    }

    /// [`Enumerator::enumerate`] in a prepared context (see [`Enumerator::prepare`]); the
    /// context's backend is the one used.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{Enumerator, Network};
    /// use relu_regions::enumerate::CountingSink;
    /// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
    ///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#).unwrap();
    /// let e = Enumerator::builder().build();
    /// let prepared = e.prepare(&net);
    /// let mut sink = CountingSink::default();
    /// let summary = e.enumerate_prepared(&prepared, &mut sink).unwrap();
    /// assert_eq!((summary.regions(), sink.bounded), (4, 0));
    /// ```
    ///
    /// # Errors
    /// As [`Enumerator::enumerate`].
    pub fn enumerate_prepared(
        &self,
        prepared: &Prepared<'_>,
        sink: &mut dyn Sink<Region>,
    ) -> Result<Summary, InternalError> {
        let mut summary = self.enumerate_pruned(prepared, sink, None);
        match summary.failure.take() {
            Some(e) => Err(e),
            None => Ok(summary),
        }
    }

    /// [`Enumerator::enumerate`] with subtrees discarded by `prune`: the regions of the kept
    /// subtrees, in the same order.
    pub(crate) fn enumerate_pruned<'a>(
        &self,
        prepared: &'a Prepared<'a>,
        sink: &mut dyn Sink<Region>,
        prune: Option<&'a dyn Prune>,
    ) -> Summary {
        if prepared.backend() != self.backend {
            let same = self.clone().reconfigure(prepared.backend(), self.subtrees.clone());
            return same.enumerate_pruned(prepared, sink, prune);
        }
        if let Err(e) = sink.begin(prepared.network()) {
            return Summary { stopped: Some(StopReason::Sink), sink_error: Some(e), ..Summary::default() };
        }
        let mut summary = self.run(prepared, sink, prune);
        if summary.sink_error.is_some() {
            return summary; // the sink failed on an item: the run is over, nothing to finish
        }
        if let Err(e) = sink.finish(&summary) {
            summary.stopped.get_or_insert(StopReason::Sink);
            summary.sink_error = Some(e);
        }
        summary
    }

    /// [`Enumerator::enumerate`] between the sink's `begin` and `finish`.
    fn run<'a>(
        &self,
        prepared: &'a Prepared<'a>,
        sink: &mut dyn Sink<Region>,
        prune: Option<&'a dyn Prune>,
    ) -> Summary {
        let start = Instant::now();
        // the run's token on this thread too: the root's solves and the sink (which may certify
        // facets, as `regions --jsonl` does) poll it
        let token = self.stop_token(start);
        let _stop = token.install();
        let mut summary = Summary::default();
        // a shard's figures leave out the work above its subtrees (the plan counts that once)
        let mut above = LpStats::default();
        let prepare_stats = if self.subtrees.is_some() { &mut above } else { &mut summary.stats };
        let (ctx, root) = match self.root(
            prepared,
            prune,
            (sink.needs_details(), sink.needs_map()),
            start,
            prepare_stats,
        ) {
            Ok(Some(prepared)) => prepared,
            Ok(None) => return summary,
            Err(e) => {
                return match token.excuse(e) {
                    // an exact solve of the root gave up: stopped before the first region
                    Ok(reason) => Summary { stopped: Some(reason), elapsed: start.elapsed(), ..summary },
                    Err(e) => Summary::failed(e, start),
                };
            }
        };
        if let Some(p) = &self.progress {
            p.enter(Phase::Regions);
        }
        let mut emitter = Emitter {
            sink,
            summary: &mut summary,
            max: self.max_regions,
            progress: self.progress.as_deref(),
        };
        let threads = self.thread_count();
        let mut stats = LpStats::default();
        let stopped = if let Some(part) = &self.subtrees {
            self.explore_subtrees(&ctx, root, part, threads, &mut stats, &mut emitter)
        } else if threads == 1 {
            self.explore(&ctx, &mut vec![root], &mut stats, &mut |r| emitter.emit(r))
        } else {
            let items = self.split_frontier(&ctx, root, 128 * threads, threads, &mut stats);
            self.explore_parallel(&ctx, items, threads, &mut stats, &mut emitter)
        };
        if let Some(p) = &self.progress {
            p.enter(Phase::Idle);
        }
        // the emitter knows the real reason (e.g. `max_regions`, whose cut is in emission order)
        let gave_up = *ctx.gave_up.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let stopped = emitter.summary.stopped.or(stopped).or(gave_up);
        summary.stats.add(&stats);
        summary.stopped = stopped;
        summary.discarded = ctx.discarded.load(AtomicOrdering::Relaxed);
        summary.failure = ctx.failure.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        if summary.failure.is_some() {
            summary.stopped = Some(StopReason::Failed);
        }
        summary.elapsed = start.elapsed();
        summary
    }

    /// Depth-first over `stack` until it is empty, emitting finished regions in order. Returns why it stopped early, if it did.
    fn explore(
        &self,
        ctx: &Context<'_>,
        stack: &mut Vec<Partial>,
        stats: &mut LpStats,
        emit: &mut dyn FnMut(Region) -> ControlFlow<()>,
    ) -> Option<StopReason> {
        while let Some(partial) = stack.pop() {
            if let Some(reason) = self.should_stop(ctx) {
                stack.push(partial);
                return Some(reason);
            }
            if let Some(region) = self.advance(ctx, partial, stack, stats).and_then(|done| finish(done, ctx))
            {
                if emit(region).is_break() {
                    return Some(StopReason::Sink);
                }
            }
        }
        None
    }

    fn should_stop(&self, ctx: &Context<'_>) -> Option<StopReason> {
        if ctx.enough.load(AtomicOrdering::Relaxed) {
            return Some(StopReason::Sink);
        }
        ctx.stop.reason()
    }
}
