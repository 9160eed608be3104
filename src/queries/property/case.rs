//! One case of a property decided by enumeration: the network reduced to the case's free
//! inputs on the closed box, its regions checked in parallel batches (module `region`), partial
//! regions pruned (module `prune`); the leaves of the tree are the `unsat` certificate.

use super::prune::SafetyPruner;
use super::region::{Checked, Checker};
use super::{DecideError, ProofLeaf};
use crate::certify::LpStats;
use crate::enumerate::region::Region;
use crate::enumerate::{Enumerator, Prune, Sink};
use crate::error::InternalError;
use crate::exact::num::Q;
use crate::kernel::halfspace::Halfspace;
use crate::network::vnnlib::Case;
use crate::network::Network;
use num_traits::One;
use std::ops::ControlFlow;

/// What deciding one case gave.
pub(super) struct CaseOutcome {
    /// A counterexample (every input, the fixed ones included), not yet re-checked.
    pub found: Option<Vec<Q>>,
    /// Whether every region was examined (or pruned).
    pub complete: bool,
    /// The leaves of the tree (meaningful when complete without a counterexample).
    pub leaves: Vec<ProofLeaf>,
    pub regions_visited: usize,
    pub pruned: usize,
    pub subtrees_pruned: usize,
    pub lps: u64,
}

/// Enumerates the regions of a case with at least one free input.
pub(super) fn decide_case(
    net: &Network,
    case: &Case,
    enumerator: &Enumerator,
) -> Result<CaseOutcome, DecideError> {
    let free = case.free_inputs();
    let reduced =
        crate::network::vnnlib::reduced_network(net, case).map_err(|e| DecideError::Input(e.to_string()))?;
    // the strict sides of the box, as strict rows over the free inputs
    let strict_rows: Vec<Halfspace> = free
        .iter()
        .enumerate()
        .flat_map(|(k, &i)| {
            let ((lo, hi), (sl, sh)) = (&case.input_box[i], case.strict[i]);
            let unit = |sign: Q| {
                let mut a = vec![Q::from_integer(0.into()); free.len()];
                a[k] = sign;
                a
            };
            let below = sl.then(|| Halfspace::new(unit(-Q::one()), -lo.clone()));
            let above = sh.then(|| Halfspace::new(unit(Q::one()), hi.clone()));
            below.into_iter().chain(above)
        })
        .collect();
    let prepared = enumerator.prepare(&reduced);
    let checker = Checker {
        case,
        bx: prepared.float_box(),
        backend: enumerator.backend().solver(),
        strict_rows: &strict_rows,
    };
    let mut sink = PropertySink {
        checker: &checker,
        descent: enumerator
            .backend()
            .filter()
            .on()
            .then(|| super::gradient::Descent::new(net, case))
            .flatten(),
        descended: None,
        threads: enumerator.thread_count().max(1),
        batch: Vec::new(),
        batch_size: 1,
        found: None,
        failure: None,
        stopped: false,
        leaves: Vec::new(),
        visited: 0,
        pruned: 0,
        stats: LpStats::default(),
    };
    let pruner = enumerator.backend().filter().on().then(|| SafetyPruner::new(&reduced, case)).flatten();
    let mut summary =
        enumerator.enumerate_pruned(&prepared, &mut sink, pruner.as_ref().map(|p| p as &dyn Prune));
    if sink.found.is_none() && sink.failure.is_none() && !sink.stopped {
        sink.descent = None; // the enumeration is over: the last batch decides
        let _ = sink.flush();
    }
    if let Some(failure) = summary.failure.take().or(sink.failure.take()) {
        return Err(failure.into());
    }
    // the free inputs back among the fixed ones (the descent's point has them all)
    let found = sink.descended.take().or_else(|| {
        sink.found.take().map(|x| {
            let mut full: Vec<Q> = case.input_box.iter().map(|(lo, _)| lo.clone()).collect();
            for (&i, v) in free.iter().zip(x) {
                full[i] = v;
            }
            full
        })
    });
    let complete = summary.complete() && !sink.stopped;
    let mut leaves = std::mem::take(&mut sink.leaves);
    if let Some(p) = &pruner {
        leaves.extend(p.take_leaves());
    }
    Ok(CaseOutcome {
        found,
        complete,
        leaves,
        regions_visited: sink.visited,
        pruned: sink.pruned,
        subtrees_pruned: summary.discarded,
        lps: summary.stats.lps + sink.stats.lps,
    })
}

/// Whether the bounds over the case's whole box (the root of its tree, no neuron fixed) show
/// its unsafe set out of reach: the enumeration's first test (module `prune`), asked before
/// sampling.
pub(super) fn root_safe(net: &Network, case: &Case) -> bool {
    let Ok(reduced) = crate::network::vnnlib::reduced_network(net, case) else { return false };
    SafetyPruner::new(&reduced, case).is_some_and(|p| p.discard(&[&[]], &[]))
}

/// Regions checked together, in parallel (the earliest counterexample in enumeration order is
/// kept, so the answer does not depend on the thread count): the first batch is one region and
/// each next one twice the last, up to this, so that a counterexample early in the order stops
/// the enumeration early (a `sat` search does not enumerate a thousand regions past it).
const BATCH: usize = 1024;

/// Regions after which a case not yet settled gets the gradient descent (module `gradient`):
/// the first seven batches (1 + 2 + ... + 64), so a case settled in fewer regions never pays
/// for it.
const DESCENT_AFTER: usize = 127;

/// The descent's float multiply-adds per region enumerated (after each batch from
/// [`DESCENT_AFTER`] on it may have spent this times the regions so far: about a quarter of
/// what the regions cost on ACAS Xu).
const DESCENT_WORK_PER_REGION: usize = 1_000_000;

struct PropertySink<'a> {
    checker: &'a Checker<'a>,
    /// The gradient descent, run a share after each batch (`None` with the float filter off
    /// and once the enumeration is over).
    descent: Option<super::gradient::Descent<'a>>,
    /// The descent's counterexample (every input, the fixed ones included).
    descended: Option<Vec<Q>>,
    /// The regions examined (leaves of the proof when the answer is `unsat`).
    leaves: Vec<ProofLeaf>,
    threads: usize,
    batch: Vec<Region>,
    /// The size of the next batch (1, 2, 4, ... up to [`BATCH`]).
    batch_size: usize,
    found: Option<Vec<Q>>,
    failure: Option<InternalError>,
    /// Set when the run's stop token stopped the checks of a batch (the answer is then unknown).
    stopped: bool,
    visited: usize,
    pruned: usize,
    stats: LpStats,
}

impl Sink<Region> for PropertySink<'_> {
    fn item(&mut self, region: Region) -> Result<ControlFlow<()>, crate::error::SinkError> {
        self.batch.push(region);
        if self.batch.len() < self.batch_size {
            return Ok(ControlFlow::Continue(()));
        }
        self.batch_size = (2 * self.batch_size).min(BATCH);
        Ok(self.flush())
    }
}

impl PropertySink<'_> {
    /// Checks the waiting regions in parallel; `Break` once a counterexample or a failure is
    /// found (the earliest in enumeration order).
    fn flush(&mut self) -> ControlFlow<()> {
        let batch = std::mem::take(&mut self.batch);
        self.leaves.extend(batch.iter().map(|r| ProofLeaf {
            states: r.pattern.clone(),
            pruned: false,
            within: None,
        }));
        let checker = self.checker;
        let parts = crate::runtime::parallel::map_chunks(&batch, self.threads, 4, |part| {
            part.iter().map(|r| checker.examine(r)).collect::<Vec<Checked>>()
        });
        for (outcome, pruned, stats) in parts.into_iter().flatten() {
            self.visited += 1;
            self.pruned += pruned;
            self.stats.add(&stats);
            match outcome {
                Ok(None) => {}
                Ok(Some(x)) => {
                    self.found = Some(x);
                    return ControlFlow::Break(());
                }
                // an exact solve that gave up because the run must stop: no answer, no failure
                Err(_) if crate::runtime::stop::requested() => self.stopped = true,
                Err(e) => {
                    self.failure = Some(e);
                    return ControlFlow::Break(());
                }
            }
        }
        if self.stopped {
            return ControlFlow::Break(());
        }
        if self.visited >= DESCENT_AFTER {
            if let Some(descent) = &mut self.descent {
                self.descended = descent.run(self.visited.saturating_mul(DESCENT_WORK_PER_REGION));
                if self.descended.is_some() {
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    }
}
