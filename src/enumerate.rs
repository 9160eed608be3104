//! Region enumeration: a depth-first split of the domain, layer by layer and neuron by neuron,
//! streaming every full-dimensional activation region to a [`RegionSink`].
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

mod subtrees;

pub use subtrees::{Estimate, Subtrees};

use crate::certify::safe::{proves_empty_floats, FloatBox};
use crate::certify::{find_strict_point, is_bounded, point_between, split_point, Feasibility, LpStats};
use crate::error::InternalError;
use crate::fixed::{FixedLayer, FixedMap};
use crate::kernel::Filter;
use crate::lp::boxed::BoxLp;
use crate::lp::Backend;
use crate::network::{Activation, Domain, Network, Pattern};
use crate::num::{sign, to_f64, Q};
use crate::poly::Halfspace;
use crate::region::{Constraint, NeuronId, Origin, Region};
use num_traits::Zero;
use std::cmp::Ordering;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering as AtomicOrdering};
use std::sync::Arc;
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

/// Why an enumeration stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// `max_regions` was reached.
    MaxRegions,
    /// The time limit passed.
    TimeLimit,
    /// The cancel flag was raised (e.g. Ctrl-C).
    Cancelled,
    /// The sink asked to stop.
    Sink,
    /// An exact check failed on the crate's own answer ([`Summary::failure`] says which).
    Failed,
}

/// What an enumeration did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Regions emitted.
    pub regions: usize,
    /// `None` when every region was found; otherwise why it stopped.
    pub stopped: Option<StopReason>,
    /// How the LP decisions were certified.
    pub stats: LpStats,
    /// Wall time.
    pub elapsed: Duration,
    /// The internal error that stopped the run, if one did.
    pub failure: Option<InternalError>,
}

impl Summary {
    /// The summary of a run stopped at its start by an internal error.
    fn failed(error: InternalError, start: Instant) -> Summary {
        Summary {
            stopped: Some(StopReason::Failed),
            failure: Some(error),
            elapsed: start.elapsed(),
            ..Summary::default()
        }
    }

    /// Whether the enumeration is complete.
    pub fn complete(&self) -> bool {
        self.stopped.is_none()
    }
}

/// The enumerator, configured once (certification is always on; it is not a setting).
#[derive(Debug, Clone, Default)]
pub struct Enumerator {
    backend: Backend,
    max_regions: Option<usize>,
    time_limit: Option<Duration>,
    cancel: Option<Arc<AtomicBool>>,
    threads: usize,
    progress: bool,
    counter: Option<Arc<AtomicUsize>>,
    subtrees: Option<Subtrees>,
}

/// Builds an [`Enumerator`].
#[derive(Debug, Clone, Default)]
pub struct EnumeratorBuilder {
    inner: Enumerator,
}

impl EnumeratorBuilder {
    /// The float LP backend that proposes hints.
    pub fn backend(mut self, backend: Backend) -> Self {
        self.inner.backend = backend;
        self
    }
    /// Stop after this many regions.
    pub fn max_regions(mut self, n: Option<usize>) -> Self {
        self.inner.max_regions = n;
        self
    }
    /// Stop after this much time.
    pub fn time_limit(mut self, t: Option<Duration>) -> Self {
        self.inner.time_limit = t;
        self
    }
    /// Worker threads (0 or 1: sequential). The output is the same for every thread count.
    pub fn threads(mut self, n: usize) -> Self {
        self.inner.threads = n;
        self
    }
    /// Show a progress bar on stderr (only when stderr is a terminal, after one second).
    pub fn progress(mut self, on: bool) -> Self {
        self.inner.progress = on;
        self
    }
    /// Add one to this counter for every region emitted (for a progress display of the
    /// caller's own, e.g. from another thread).
    pub fn counter(mut self, counter: Arc<AtomicUsize>) -> Self {
        self.inner.counter = Some(counter);
        self
    }
    /// Enumerate only these subtrees of the depth-first tree (one shard of a sharded run);
    /// region ids then start at 0 in the part.
    pub fn subtrees(mut self, part: Option<Subtrees>) -> Self {
        self.inner.subtrees = part;
        self
    }
    /// Stop when this flag becomes true.
    pub fn cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.inner.cancel = Some(flag);
        self
    }
    /// The configured enumerator.
    pub fn build(self) -> Enumerator {
        self.inner
    }
}

/// What every worker shares during one enumeration.
struct Context<'a> {
    net: &'a Network,
    /// The float image of a box domain (`None` on other domains and when floats are off).
    bx: Option<FloatBox>,
    filter: Filter,
    fixed: Vec<FixedLayer>,
    bounded_domain: bool,
    /// Whether the sink reads maps and constraints (see [`RegionSink::needs_details`]).
    details: bool,
    start: Instant,
    /// Set when the emitter has stopped (a limit, the sink or a failure): the workers stop too.
    enough: AtomicBool,
    /// The first internal error met by any worker.
    failure: std::sync::Mutex<Option<InternalError>>,
}

impl Context<'_> {
    /// Records an internal error and stops every worker.
    fn fail(&self, error: InternalError) {
        let mut slot = self.failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.get_or_insert(error);
        self.enough.store(true, AtomicOrdering::Relaxed);
    }
}

/// Gives regions their ids in emission order and passes them to the sink (up to `max`).
struct Emitter<'s, 'm> {
    sink: &'s mut dyn RegionSink,
    summary: &'m mut Summary,
    max: Option<usize>,
    /// Start time when a progress bar is wanted.
    progress: Option<Instant>,
    /// The progress bar, once the run has lasted a second.
    bar: Option<indicatif::ProgressBar>,
    /// The caller's region counter.
    counter: Option<&'s AtomicUsize>,
}

impl Emitter<'_, '_> {
    fn emit(&mut self, mut region: Region) -> ControlFlow<()> {
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
    fn emit_all(&mut self, regions: Vec<Region>) {
        for r in regions {
            let _ = self.emit(r);
        }
    }
}

/// The regions of one subtree, waiting for their turn to be emitted. For a counting sink
/// (no details) only the run-length encoded `bounded` flags are kept, so waiting costs memory
/// in the number of subtrees, not of regions.
enum Batch {
    Regions(Vec<Region>),
    Counted(Vec<(bool, usize)>),
}

impl Batch {
    fn new(counting: bool) -> Batch {
        if counting {
            Batch::Counted(Vec::new())
        } else {
            Batch::Regions(Vec::new())
        }
    }

    fn push(&mut self, region: Region) {
        match self {
            Batch::Regions(regions) => regions.push(region),
            Batch::Counted(runs) => match runs.last_mut() {
                Some((bounded, n)) if *bounded == region.bounded => *n += 1,
                _ => runs.push((region.bounded, 1)),
            },
        }
    }

    /// Emits in order (after a stop the rest is refused, and already counted as such). A
    /// counted batch gives the sink regions with only `bounded` set (it asked for no details).
    fn emit(self, emitter: &mut Emitter<'_, '_>) {
        match self {
            Batch::Regions(regions) => emitter.emit_all(regions),
            Batch::Counted(runs) => {
                for (bounded, n) in runs {
                    for _ in 0..n {
                        let _ = emitter.emit(Region::counted(bounded));
                    }
                }
            }
        }
    }
}

/// A piece of the work shared among threads: a subtree, or a region already finished.
enum Item {
    Task(Partial),
    Done(Box<Region>),
}

/// A partial region on the depth-first stack.
#[derive(Clone)]
struct Partial {
    layer: usize,
    neuron: usize,
    constraints: Constraints,
    point: Vec<Q>,
    point_float: Vec<f64>,
    pattern: Pattern,
    bits: Vec<bool>,
    /// The map of the current layer's input.
    input: Arc<FixedMap>,
    /// The current layer's preactivation map (computed when the region enters the layer).
    pre: Option<Arc<FixedMap>>,
}

impl Enumerator {
    /// A builder with the defaults (float simplex hints, no limits).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{enumerate::Enumerator, network::json::read_network};
    /// let net = read_network(r#"{"input_dim": 2, "layers": [
    ///     {"weights": [["1", "0"], ["0", "1"]], "activation": "relu"},
    ///     {"weights": [["1", "1"]], "activation": "linear"}]}"#, "inline").unwrap();
    /// let regions = Enumerator::builder().build().collect(&net).0;
    /// assert_eq!(regions.len(), 4);
    /// ```
    pub fn builder() -> EnumeratorBuilder {
        EnumeratorBuilder::default()
    }

    /// The same enumerator with another backend and part of the tree (for running a shard of
    /// a plan, whose backend is the plan's).
    pub fn reconfigure(mut self, backend: Backend, subtrees: Option<Subtrees>) -> Enumerator {
        self.backend = backend;
        self.subtrees = subtrees;
        self
    }

    /// The number of worker threads.
    pub fn thread_count(&self) -> usize {
        self.threads
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Why a run that started at `start` must stop now (Ctrl-C or the time limit), if it must:
    /// for the phases after the enumeration (facets, graph).
    pub fn interrupted(&self, start: Instant) -> Option<StopReason> {
        if self.cancel.as_ref().is_some_and(|c| c.load(AtomicOrdering::Relaxed)) {
            return Some(StopReason::Cancelled);
        }
        self.time_limit.filter(|&t| start.elapsed() >= t).map(|_| StopReason::TimeLimit)
    }

    /// Whether a progress bar was asked for.
    pub fn shows_progress(&self) -> bool {
        self.progress
    }

    /// Enumerates every region into a vector.
    pub fn collect(&self, net: &Network) -> (Vec<Region>, Summary) {
        let mut regions = Vec::new();
        let summary = self.enumerate(net, &mut regions);
        (regions, summary)
    }

    /// The shared context of a run and the root of its tree (`None`: the domain is empty).
    fn prepare<'n>(
        &self,
        net: &'n Network,
        details: bool,
        start: Instant,
        stats: &mut LpStats,
    ) -> Result<Option<(Context<'n>, Partial)>, InternalError> {
        let d = net.input_dim();
        let constraints = Constraint::domain(net.domain(), d);
        let refs: Vec<&Halfspace> = constraints.iter().map(|c| &c.halfspace).collect();
        // all of R^d: the origin (an LP over no rows would not know the dimension)
        let point = if refs.is_empty() {
            vec![Q::zero(); d]
        } else {
            match find_strict_point(&refs, None, self.backend.solver(), stats)? {
                Feasibility::Interior(p) => p,
                Feasibility::Empty(_) => return Ok(None),
            }
        };
        let bounded_domain = match net.domain() {
            Domain::Whole => false,
            Domain::Box(_) => true,
            _ => is_bounded(&refs, d, self.backend.filter())?,
        };
        let ctx = Context {
            net,
            bx: FloatBox::from_domain(net.domain()).filter(|_| self.backend.filter().on()),
            filter: self.backend.filter(),
            fixed: FixedLayer::chain(net.layers()),
            bounded_domain,
            details,
            start,
            enough: AtomicBool::new(false),
            failure: std::sync::Mutex::new(None),
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
            pre: None,
        };
        Ok(Some((ctx, root)))
    }

    /// Enumerates every full-dimensional region of the network's domain, in a deterministic
    /// depth-first order, into `sink`.
    pub fn enumerate(&self, net: &Network, sink: &mut dyn RegionSink) -> Summary {
        let start = Instant::now();
        let mut summary = Summary::default();
        // a shard's figures leave out the work above its subtrees (the plan counts that once)
        let mut above = LpStats::default();
        let prepare_stats = if self.subtrees.is_some() { &mut above } else { &mut summary.stats };
        let (ctx, root) = match self.prepare(net, sink.needs_details(), start, prepare_stats) {
            Ok(Some(prepared)) => prepared,
            Ok(None) => return summary,
            Err(e) => return Summary::failed(e, start),
        };
        let progress =
            (self.progress && std::io::IsTerminal::is_terminal(&std::io::stderr())).then_some(start);
        let mut emitter = Emitter {
            sink,
            summary: &mut summary,
            max: self.max_regions,
            progress,
            bar: None,
            counter: self.counter.as_deref(),
        };
        let threads = self.threads.max(1);
        let mut stats = LpStats::default();
        let stopped = if let Some(part) = &self.subtrees {
            self.explore_subtrees(&ctx, root, part, threads, &mut stats, &mut emitter)
        } else if threads == 1 {
            self.explore(&ctx, &mut vec![root], &mut stats, &mut |r| emitter.emit(r))
        } else {
            let items = self.split_frontier(&ctx, root, 128 * threads, threads, &mut stats);
            self.explore_parallel(&ctx, items, threads, &mut stats, &mut emitter)
        };
        if let Some(bar) = emitter.bar.take() {
            bar.finish_and_clear();
        }
        // the emitter knows the real reason (e.g. `max_regions`, whose cut is in emission order)
        let stopped = emitter.summary.stopped.or(stopped);
        summary.stats.add(&stats);
        summary.stopped = stopped;
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

    /// Splits the root into at least `target` subtrees (or finished regions) in rounds: each
    /// round advances every open subtree to its next split, the subtrees shared among the
    /// threads; the items stay in depth-first order.
    fn split_frontier(
        &self,
        ctx: &Context<'_>,
        root: Partial,
        target: usize,
        threads: usize,
        stats: &mut LpStats,
    ) -> Vec<Item> {
        let mut items = vec![Item::Task(root)];
        loop {
            let tasks = items.iter().filter(|i| matches!(i, Item::Task(_))).count();
            if tasks == 0 || tasks >= target || self.should_stop(ctx).is_some() {
                return items;
            }
            let chunk = items.len().div_ceil(threads.min(tasks).max(1));
            let mut chunks: Vec<Vec<Item>> = Vec::new();
            let mut rest = items.into_iter();
            loop {
                let part: Vec<Item> = rest.by_ref().take(chunk).collect();
                if part.is_empty() {
                    break;
                }
                chunks.push(part);
            }
            let expanded: Vec<(Vec<Item>, LpStats)> = std::thread::scope(|scope| {
                let handles: Vec<_> =
                    chunks.into_iter().map(|part| scope.spawn(move || self.expand_all(ctx, part))).collect();
                handles.into_iter().map(|h| h.join().expect("frontier worker")).collect()
            });
            items = Vec::new();
            for (part, local) in expanded {
                stats.add(&local);
                items.extend(part);
            }
        }
    }

    /// Advances every task of `items` to its next split (children in depth-first order) or to
    /// its end.
    fn expand_all(&self, ctx: &Context<'_>, items: Vec<Item>) -> (Vec<Item>, LpStats) {
        let mut stats = LpStats::default();
        let mut out = Vec::with_capacity(2 * items.len());
        for item in items {
            let Item::Task(p) = item else {
                out.push(item);
                continue;
            };
            let mut children = Vec::new();
            match self.advance(ctx, p, &mut children, &mut stats) {
                Some(done) => out.extend(finish(done, ctx).map(|r| Item::Done(Box::new(r)))),
                // children were pushed for popping: the depth-first order is the reverse
                None => out.extend(children.into_iter().rev().map(Item::Task)),
            }
        }
        (out, stats)
    }

    /// Shares the subtrees among threads; their regions are emitted in item order, so the output
    /// is the sequential one whatever the thread count.
    fn explore_parallel(
        &self,
        ctx: &Context<'_>,
        items: Vec<Item>,
        threads: usize,
        stats: &mut LpStats,
        emitter: &mut Emitter<'_, '_>,
    ) -> Option<StopReason> {
        let queue =
            std::sync::Mutex::new(items.into_iter().enumerate().collect::<std::collections::VecDeque<_>>());
        let counting = !emitter.sink.needs_details();
        let (tx, rx) = std::sync::mpsc::channel::<(usize, Batch, LpStats, Option<StopReason>)>();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let tx = tx.clone();
                let queue = &queue;
                scope.spawn(move || loop {
                    let Some((index, item)) = queue.lock().expect("queue lock").pop_front() else { break };
                    let mut local = LpStats::default();
                    let mut batch = Batch::new(counting);
                    let mut found = 0;
                    let stop = match item {
                        Item::Done(region) => {
                            batch.push(*region);
                            None
                        }
                        // one subtree never gives more than `max_regions` to the output: stop
                        // it past that (the emitter then stops the run)
                        Item::Task(task) => self.explore(ctx, &mut vec![task], &mut local, &mut |r| {
                            batch.push(r);
                            found += 1;
                            if self.max_regions.is_some_and(|n| found > n) {
                                ControlFlow::Break(())
                            } else {
                                ControlFlow::Continue(())
                            }
                        }),
                    };
                    if tx.send((index, batch, local, stop)).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            let mut pending = std::collections::BTreeMap::new();
            let mut next = 0;
            let mut stopped = None;
            for (index, batch, local, stop) in rx {
                stats.add(&local);
                stopped = stopped.or(stop);
                pending.insert(index, batch);
                while let Some(batch) = pending.remove(&next) {
                    batch.emit(emitter);
                    next += 1;
                }
                if emitter.summary.stopped.is_some() {
                    ctx.enough.store(true, AtomicOrdering::Relaxed);
                }
            }
            // after a stop, keep what the other subtrees found (ids then follow item order)
            for batch in pending.into_values() {
                batch.emit(emitter);
            }
            stopped
        })
    }

    fn should_stop(&self, ctx: &Context<'_>) -> Option<StopReason> {
        if ctx.enough.load(AtomicOrdering::Relaxed) {
            return Some(StopReason::Sink);
        }
        if self.time_limit.is_some_and(|t| ctx.start.elapsed() >= t) {
            return Some(StopReason::TimeLimit);
        }
        if self.cancel.as_ref().is_some_and(|c| c.load(AtomicOrdering::Relaxed)) {
            return Some(StopReason::Cancelled);
        }
        None
    }

    /// Advances a partial region until it splits (children pushed, `None`) or passes the last
    /// layer (returned). An internal error is recorded in `ctx` (which stops the run) and the
    /// subtree dropped.
    fn advance(
        &self,
        ctx: &Context<'_>,
        mut p: Partial,
        stack: &mut Vec<Partial>,
        stats: &mut LpStats,
    ) -> Option<Partial> {
        let (bx, fixed) = (ctx.bx.as_ref(), &ctx.fixed);
        let layers = ctx.net.layers();
        // the region does not change until it splits: its rows are listed once, its bound LP
        // built once when needed
        let mut region = RegionRows::new(&p.constraints);
        while p.layer < layers.len() {
            let layer = &layers[p.layer];
            if layer.activation == Activation::Linear {
                p.input = Arc::new(p.input.then_layer(&fixed[p.layer]));
                p.layer += 1;
                continue;
            }
            let pre = p.pre.get_or_insert_with(|| Arc::new(p.input.then_layer(&fixed[p.layer]))).clone();
            while p.neuron < layer.width() {
                let i = p.neuron;
                let decision = self.decide(&p, &pre, i, bx, &mut region, stats);
                let decision = match decision {
                    Ok(decision) => decision,
                    Err(e) => {
                        ctx.fail(e);
                        return None;
                    }
                };
                match decision {
                    Decision::Constant(on) => p.bits.push(on),
                    Decision::Split { off, on } => {
                        let mut off_child = p.clone();
                        push_side(&mut off_child, &pre, i, false, off);
                        let mut on_child = p;
                        push_side(&mut on_child, &pre, i, true, on);
                        stack.push(on_child);
                        stack.push(off_child);
                        return None;
                    }
                }
                p.neuron += 1;
            }
            let bits = std::mem::take(&mut p.bits);
            p.input = Arc::new(pre.masked(&bits));
            p.pattern.push(bits);
            p.pre = None;
            p.neuron = 0;
            p.layer += 1;
        }
        Some(p)
    }

    /// Decides whether the neuron `i` of `pre` (`h = c . x + e`) splits the region, with
    /// certificates.
    fn decide(
        &self,
        p: &Partial,
        pre: &FixedMap,
        i: usize,
        bx: Option<&FloatBox>,
        region: &mut RegionRows<'_>,
        stats: &mut LpStats,
    ) -> Result<Decision, InternalError> {
        if pre.row_is_constant(i) {
            return Ok(Decision::Constant(pre.offset_sign(i) == Ordering::Greater));
        }
        let row = IntRow::new(pre, i);
        let backend = self.backend.solver();
        let mut side_point = |on: bool| {
            let (fa, fb) = row.float_side(on);
            if let Some(bx) = bx {
                if proves_empty_floats(&[], &fa, fb, None, bx) {
                    stats.by_interval += 1;
                    return Ok(None);
                }
                // `--lp exact` takes no float hint at all, so it stays an independent reference
                if self.backend != Backend::ExactOnly {
                    match region.bound(&fa, fb, bx, stats) {
                        Bound::Empty => {
                            stats.by_bound_lp += 1;
                            return Ok(None);
                        }
                        Bound::Below(vertex) => {
                            let side = row.side(on, fa, fb);
                            if let Some(q) = point_between(&region.all, &side, &p.point_float, &vertex) {
                                stats.by_bound_vertex += 1;
                                return Ok(Some(q));
                            }
                            return split_point(&region.all, &side, Some(bx), backend, stats);
                        }
                        Bound::Unknown => {}
                    }
                }
            }
            split_point(&region.all, &row.side(on, fa, fb), bx, backend, stats)
        };
        let point_float = self.backend.filter().on().then_some(p.point_float.as_slice());
        Ok(match row.sign_at(&p.point, point_float) {
            Ordering::Greater => match side_point(false)? {
                Some(q) => Decision::Split { off: Some(q), on: None },
                None => Decision::Constant(true),
            },
            Ordering::Less => match side_point(true)? {
                Some(q) => Decision::Split { off: None, on: Some(q) },
                None => Decision::Constant(false),
            },
            Ordering::Equal => {
                // h vanishes at an interior point and is not constant: both sides have interior
                let off = side_point(false)?;
                let on = side_point(true)?;
                match (off, on) {
                    (Some(off), Some(on)) => Decision::Split { off: Some(off), on: Some(on) },
                    (None, _) => Decision::Constant(true),
                    (_, None) => Decision::Constant(false),
                }
            }
        })
    }
}

/// The rows of a region, listed once for all its decisions, and its bound LP on a box domain
/// ([`BoxLp`]: the neuron rows, the box as bounds), built on first use.
struct RegionRows<'a> {
    /// Every row: the domain's, then the neurons'.
    all: Vec<&'a Halfspace>,
    /// The neuron rows (on a box domain the others are the box).
    neurons: Vec<&'a Halfspace>,
    /// `None` until built; then `None` inside when a float image is not finite.
    lp: Option<Option<BoxLp>>,
}

/// What a bound LP says of `fa . x <= fb` on a region.
enum Bound {
    /// Proved: no point of the region satisfies it (a safe dual bound).
    Empty,
    /// The float minimum of `fa . x` is below `fb`, at this vertex: a split, to be certified.
    Below(Vec<f64>),
    /// Nothing proved.
    Unknown,
}

impl<'a> RegionRows<'a> {
    fn new(constraints: &'a Constraints) -> RegionRows<'a> {
        let neurons = constraints.neuron_rows();
        let all = constraints.domain.iter().map(|c| &c.halfspace).chain(neurons.iter().copied()).collect();
        RegionRows { all, neurons, lp: None }
    }

    /// Minimizes `fa . x` over the region: above `fb` with a safe dual bound that proves it,
    /// [`Bound::Empty`]; below, the minimizing vertex.
    fn bound(&mut self, fa: &[f64], fb: f64, bx: &FloatBox, stats: &mut LpStats) -> Bound {
        let neurons = &self.neurons;
        let Some(lp) = self.lp.get_or_insert_with(|| BoxLp::new(neurons, bx)) else { return Bound::Unknown };
        stats.bound_lps += 1;
        stats.lps += 1;
        match lp.minimize(fa) {
            Some(opt) if opt.value > fb && proves_empty_floats(&self.neurons, fa, fb, Some(&opt.y), bx) => {
                Bound::Empty
            }
            Some(opt) if opt.value < fb => Bound::Below(opt.x),
            _ => Bound::Unknown,
        }
    }
}

/// A neuron's effect on a region. In `Split`, a side with `None` keeps the parent's point.
enum Decision {
    Constant(bool),
    Split { off: Option<Vec<Q>>, on: Option<Vec<Q>> },
}

/// A neuron's preactivation `c . x + e` with integer coefficients (the fixed-point numerators),
/// with its float image computed once and its exact coefficients formed only when needed.
struct IntRow<'a> {
    map: &'a FixedMap,
    i: usize,
    float_c: &'a [f64],
    float_e: f64,
}

impl<'a> IntRow<'a> {
    fn new(map: &'a FixedMap, i: usize) -> IntRow<'a> {
        let (float_c, float_e) = map.row_floats(i);
        IntRow { map, i, float_c, float_e }
    }

    /// The float image of the side's row: on is `-c . x <= e`, off is `c . x <= -e`.
    fn float_side(&self, on: bool) -> (Vec<f64>, f64) {
        if on {
            (self.float_c.iter().map(|v| -v).collect(), self.float_e)
        } else {
            (self.float_c.to_vec(), -self.float_e)
        }
    }

    /// The exact row of the side (on: `h >= 0`, off: `h <= 0`).
    fn side(&self, on: bool, float_a: Vec<f64>, float_b: f64) -> Halfspace {
        let (c, e) = self.map.row_ints(self.i);
        let (a, b) = if on {
            (c.into_iter().map(|v| Q::from_integer(-v)).collect(), Q::from_integer(e))
        } else {
            (c.into_iter().map(Q::from_integer).collect(), Q::from_integer(-e))
        };
        Halfspace::with_floats(a, b, float_a, float_b)
    }

    /// The exact sign of `c . x + e` (float-filtered when the images `x_float` are given).
    fn sign_at(&self, x: &[Q], x_float: Option<&[f64]>) -> Ordering {
        if let Some(s) =
            x_float.and_then(|xf| crate::kernel::affine_sign(self.float_c, self.float_e, xf, false))
        {
            return s;
        }
        let (c, e) = self.map.row_ints(self.i);
        let value: Q = c.iter().zip(x).map(|(ci, xi)| xi * ci).sum::<Q>() + Q::from_integer(e);
        sign(&value)
    }
}

fn push_side(p: &mut Partial, pre: &FixedMap, i: usize, on: bool, point: Option<Vec<Q>>) {
    let row = IntRow::new(pre, i);
    let (fa, fb) = row.float_side(on);
    let halfspace = row.side(on, fa, fb);
    p.constraints
        .push(Constraint { halfspace, origin: Origin::Neuron(NeuronId { layer: p.layer, index: i }) });
    if let Some(x) = point {
        p.point_float = x.iter().map(to_f64).collect();
        p.point = x;
    }
    p.bits.push(on);
    p.neuron = i + 1;
}

/// The emitted region. Without `details` (a counting sink) neither the rational map nor the
/// list of constraints is formed. `None` after an internal error (recorded in `ctx`).
fn finish(p: Partial, ctx: &Context<'_>) -> Option<Region> {
    let bounded = ctx.bounded_domain
        || match is_bounded(&p.constraints.rows(), ctx.net.input_dim(), ctx.filter) {
            Ok(b) => b,
            Err(e) => {
                ctx.fail(e);
                return None;
            }
        };
    if !ctx.details {
        return Some(Region { pattern: p.pattern, point: p.point, ..Region::counted(bounded) });
    }
    let map = p.input.to_affine();
    Some(Region {
        id: 0,
        pattern: p.pattern,
        point: p.point,
        constraints: p.constraints.to_vec(),
        map,
        bounded,
    })
}

/// The constraints of a partial region: the domain's rows, shared by all, then the neuron rows
/// added on the way down as a persistent list shared with the ancestors, so that a split copies
/// no constraint.
#[derive(Clone)]
struct Constraints {
    domain: Arc<Vec<Constraint>>,
    /// The newest neuron row first.
    neurons: Option<Arc<Link>>,
}

struct Link {
    constraint: Constraint,
    parent: Option<Arc<Link>>,
}

impl Drop for Link {
    /// Unlinks iteratively: a long list must not drop recursively.
    fn drop(&mut self) {
        let mut next = self.parent.take();
        while let Some(link) = next {
            next = match Arc::try_unwrap(link) {
                Ok(mut owned) => owned.parent.take(),
                Err(_) => None,
            };
        }
    }
}

impl Constraints {
    fn new(domain: Vec<Constraint>) -> Constraints {
        Constraints { domain: Arc::new(domain), neurons: None }
    }

    fn push(&mut self, constraint: Constraint) {
        let parent = self.neurons.take();
        self.neurons = Some(Arc::new(Link { constraint, parent }));
    }

    /// The neuron constraints, oldest first.
    fn neurons(&self) -> Vec<&Constraint> {
        let mut out = Vec::new();
        let mut at = self.neurons.as_deref();
        while let Some(link) = at {
            out.push(&link.constraint);
            at = link.parent.as_deref();
        }
        out.reverse();
        out
    }

    /// The halfspaces of the neuron constraints, oldest first.
    fn neuron_rows(&self) -> Vec<&Halfspace> {
        self.neurons().into_iter().map(|c| &c.halfspace).collect()
    }

    /// Every halfspace: the domain's, then the neurons' (oldest first).
    fn rows(&self) -> Vec<&Halfspace> {
        self.domain.iter().map(|c| &c.halfspace).chain(self.neuron_rows()).collect()
    }

    /// The constraints as a list (cloned), in the order of [`Constraints::rows`].
    fn to_vec(&self) -> Vec<Constraint> {
        self.domain.iter().cloned().chain(self.neurons().into_iter().cloned()).collect()
    }
}
