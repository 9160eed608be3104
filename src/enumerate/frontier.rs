//! The one parallel engine: the frontier of subtrees (advanced round by round, shared among
//! the threads) and the ordered exploration of its items, whose regions are emitted in item
//! order so that the output never depends on the thread count.

use super::sink::Emitter;
use super::{finish, Context, Enumerator, Partial, StopReason};
use crate::certify::LpStats;
use crate::enumerate::region::Region;
use std::ops::ControlFlow;
use std::sync::atomic::Ordering as AtomicOrdering;

/// A piece of the work shared among threads: a subtree, or a region already finished.
pub(super) enum Item {
    Task(Box<Partial>),
    Done(Box<Region>),
}

/// The regions of one subtree, waiting for their turn to be emitted. For a counting sink
/// (no details) only the run-length encoded `bounded` flags are kept, so waiting costs memory
/// in the number of subtrees, not of regions.
pub(super) enum Batch {
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

impl Enumerator {
    /// Splits the root into at least `target` subtrees (or finished regions) in rounds: each
    /// round advances every open subtree to its next split, the subtrees shared among the
    /// threads; the items stay in depth-first order.
    pub(super) fn split_frontier(
        &self,
        ctx: &Context<'_>,
        root: Partial,
        target: usize,
        threads: usize,
        stats: &mut LpStats,
    ) -> Vec<Item> {
        self.addressed_frontier(ctx, root, target, threads, stats).into_iter().map(|(_, item)| item).collect()
    }

    /// [`Enumerator::split_frontier`] with each item's address: the child taken at each split
    /// from the root (a base-36 digit per split, in depth-first order: a max unit has up to 36), then `.` for a finished region.
    /// Shards name their subtrees by these (see `subtrees`).
    pub(super) fn addressed_frontier(
        &self,
        ctx: &Context<'_>,
        root: Partial,
        target: usize,
        threads: usize,
        stats: &mut LpStats,
    ) -> Vec<(String, Item)> {
        let mut items = vec![(String::new(), Item::Task(Box::new(root)))];
        loop {
            let tasks = items.iter().filter(|(_, i)| matches!(i, Item::Task(_))).count();
            if tasks == 0 || tasks >= target || self.should_stop(ctx).is_some() {
                return items;
            }
            let chunk = items.len().div_ceil(threads.min(tasks).max(1));
            let mut chunks: Vec<Vec<(String, Item)>> = Vec::new();
            let mut rest = items.into_iter();
            loop {
                let part: Vec<(String, Item)> = rest.by_ref().take(chunk).collect();
                if part.is_empty() {
                    break;
                }
                chunks.push(part);
            }
            let expanded: Vec<(Vec<(String, Item)>, LpStats)> = std::thread::scope(|scope| {
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
    /// its end, extending the addresses.
    fn expand_all(&self, ctx: &Context<'_>, items: Vec<(String, Item)>) -> (Vec<(String, Item)>, LpStats) {
        let mut stats = LpStats::default();
        let mut out = Vec::with_capacity(2 * items.len());
        for (address, item) in items {
            let Item::Task(p) = item else {
                out.push((address, item));
                continue;
            };
            let mut children = Vec::new();
            match self.advance(ctx, *p, &mut children, &mut stats) {
                Some(done) => {
                    out.extend(finish(done, ctx).map(|r| (format!("{address}."), Item::Done(Box::new(r)))))
                }
                // children were pushed for popping: the depth-first order is the reverse
                None => out.extend(
                    children
                        .into_iter()
                        .rev()
                        .enumerate()
                        .map(|(k, c)| (format!("{address}{}", child_digit(k)), Item::Task(Box::new(c)))),
                ),
            }
        }
        (out, stats)
    }

    /// Shares the subtrees among threads; their regions are emitted in item order, so the output
    /// is the sequential one whatever the thread count.
    pub(super) fn explore_parallel(
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
        // bounded: while the sink is busy (e.g. certifying facets), the workers wait instead of
        // piling up finished regions
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<(usize, Batch, LpStats, Option<StopReason>)>(2 * threads);
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
                        Item::Task(task) => self.explore(ctx, &mut vec![*task], &mut local, &mut |r| {
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
}

/// The address digit of the `k`-th child of a split (base 36).
fn child_digit(k: usize) -> char {
    char::from_digit(k as u32, 36).expect("a split has at most 36 children")
}
