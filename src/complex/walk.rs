//! The walk of the regions in fixed batches, on one thread or several, with one answer.
//!
//! The regions stream in their canonical order; every [`BATCH`] consecutive regions form a
//! batch (the same batches whatever the thread count), which a fresh [`Walker`] walks in order.
//! A face's point is the one its walk made where it was first found, and a face walked by the LP
//! walk (a region that is not pointed, or has a degenerate vertex) gets a point that depends on
//! the faces its walker already knew: so each batch starts from nothing, and the batches are
//! merged in batch order, a face found by several batches taking the first one's point (the
//! batch of the lowest region id that finds it) and incidences. With several threads batches are
//! walked by workers while the enumeration goes on (at most [`WALKS`] at once, their regions
//! handed over as they stream) and merged as they come back in order, so the complex, every
//! point included, is the same for every thread count. (A face of a pointed
//! region has the same point from every region: the one made from its vertices and rays.)
//! Faces shared by two batches are walked twice; a batch is large enough for that to be rare.

use super::faces::{Face, Walked, Walker};
use super::sign::{SignKey, Signer};
use super::ComplexError;
use crate::analysis::{stream_with_facets, FacetedRegion};
use crate::certify::LpStats;
use crate::enumerate::{from_fn, Enumerator, Summary};
use crate::network::Network;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;
use std::sync::{mpsc, Arc, Mutex};

/// Regions per batch (fixed: the answer depends on it, never on the thread count).
pub(super) const BATCH: usize = 128;

/// The most batches walked at once, whatever the thread count (the others go to the
/// enumeration): each walk holds its batch's faces, and two of them stay within twice the
/// memory of counting (issue 35 point 3).
const WALKS: usize = 2;

/// Where the walked batches go, one at a time in batch order: the held merge ([`Merge`]) or
/// the compact one of `faces` ([`super::spilled`]).
pub(super) trait Merger {
    /// Adds the next batch's faces: those already known keep their point and incidences.
    fn add(&mut self, walked: Walked) -> Result<(), ComplexError>;
}

/// The faces of the batches merged so far, in batch order (ids and facets by merge number),
/// each with its point.
#[derive(Default)]
pub(super) struct Merge {
    index: HashMap<SignKey, usize>,
    found: Vec<Face>,
    stats: LpStats,
    fast_regions: usize,
}

impl Merger for Merge {
    fn add(&mut self, walked: Walked) -> Result<(), ComplexError> {
        let Walked { found, keys, points, stats, fast_regions } = walked;
        self.stats.add(&stats);
        self.fast_regions += fast_regions;
        let mut global = Vec::with_capacity(found.len());
        let mut fresh: Vec<(usize, Vec<usize>)> = Vec::new();
        for (i, f) in found.into_iter().enumerate() {
            if !f.done {
                return Err(ComplexError::identity("a batch ended with a face whose facets were not found"));
            }
            let key = keys.unpacked(i);
            match self.index.get(&key) {
                Some(&g) => {
                    if self.found[g].dim != f.dim {
                        return Err(ComplexError::identity(format!(
                            "one sign vector was found as a face of dimensions {} and {}",
                            self.found[g].dim, f.dim
                        )));
                    }
                    global.push(g);
                }
                None => {
                    let g = self.found.len();
                    self.index.insert(key.clone(), g);
                    fresh.push((g, f.boundary));
                    let point = points.point(f.made);
                    let face =
                        Face { id: g, dim: f.dim, sign: key, point, bounded: false, boundary: Vec::new() };
                    self.found.push(face);
                    global.push(g);
                }
            }
        }
        for (g, local) in fresh {
            self.found[g].boundary = local.iter().map(|&l| global[l]).collect();
        }
        Ok(())
    }
}

impl Merge {
    /// The faces in merge order, the walks' LP figures and how many regions went by their
    /// vertices.
    pub(super) fn into_faces(self) -> (Vec<Face>, LpStats, usize) {
        (self.found, self.stats, self.fast_regions)
    }
}

/// A fresh walker, for one batch.
fn walker(net: &Network, signer: &Arc<Signer>, enumerator: &Enumerator, fast: bool) -> Walker {
    let mut walker = Walker::new(net, Arc::clone(signer), enumerator.backend().solver());
    walker.fast = fast;
    walker
}

/// The regions of `net` streamed to `on_region` in order; its first error ends the enumeration
/// and is the answer.
fn in_order(
    net: &Network,
    enumerator: &Enumerator,
    mut on_region: impl FnMut(FacetedRegion) -> Result<(), ComplexError>,
) -> Result<Summary, ComplexError> {
    let mut failure: Option<ComplexError> = None;
    let summary = {
        let mut sink = from_fn(|r: FacetedRegion| match on_region(r) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failure = Some(e);
                ControlFlow::Break(())
            }
        });
        stream_with_facets(net, enumerator, &mut sink)
    };
    match failure {
        Some(e) => Err(e),
        None => Ok(summary?),
    }
}

/// [`walk`] on this thread: each region walked as it comes and dropped (one region held, not a
/// batch of them), each batch's walker merged when its last region is walked (the last
/// partial one after a run no limit stopped).
fn walk_here<M: Merger>(
    net: &Network,
    enumerator: &Enumerator,
    fast: bool,
    mut merge: M,
) -> Result<(M, Summary), ComplexError> {
    let (mut walking, mut walked, signer) = (None, 0, Arc::new(Signer::new(net)));
    let summary = in_order(net, enumerator, |r| {
        walking.get_or_insert_with(|| walker(net, &signer, enumerator, fast)).walk_one(&r)?;
        walked += 1;
        match walked % BATCH {
            0 => merge.add(walking.take().expect("a walker").found()),
            _ => Ok(()),
        }
    })?;
    if let Some(last) = walking.filter(|_| summary.stopped.is_none()) {
        merge.add(last.found())?;
    }
    Ok((merge, summary))
}

/// Every region of `net` walked, in batches on `enumerator`'s thread count, each batch added to
/// `merge` in batch order: the merge and the enumeration's summary. The caller has installed
/// the run's stop token on this thread; the workers install it on theirs.
pub(super) fn walk<M: Merger>(
    net: &Network,
    enumerator: &Enumerator,
    fast: bool,
    merge: M,
) -> Result<(M, Summary), ComplexError> {
    match enumerator.thread_count().max(1) {
        1 => walk_here(net, enumerator, fast, merge),
        threads => walk_on(net, enumerator, fast, merge, threads.min(WALKS)),
    }
}

/// What a worker tells: that its batch has walked its share of regions (see [`walk_on`]), or the
/// batch's walk.
enum Report {
    Along(usize),
    Done(usize, Box<Result<Walked, ComplexError>>),
}

/// The walks given back out of order, merged in batch order, and how far the batches walking
/// have come.
struct InOrder<M> {
    merge: M,
    pending: BTreeMap<usize, Result<Walked, ComplexError>>,
    /// The batches merged so far (the next to merge).
    next: usize,
    /// The batches that have walked their share or ended.
    along: BTreeSet<usize>,
}

impl<M: Merger> InOrder<M> {
    /// Files a report and merges every batch now next in order.
    fn take(&mut self, report: Report) -> Result<(), ComplexError> {
        match report {
            Report::Along(n) => {
                self.along.insert(n);
            }
            Report::Done(n, walked) => {
                self.along.insert(n);
                self.pending.insert(n, *walked);
            }
        }
        while let Some(walked) = self.pending.remove(&self.next) {
            self.merge.add(walked?)?;
            self.along.remove(&self.next);
            self.next += 1;
        }
        Ok(())
    }

    /// Whether batch `n` may begin (those before it begun): fewer than `walks` batches walk or
    /// wait for their merge, and the one before it has walked its share.
    fn may_begin(&self, n: usize, walks: usize) -> bool {
        n - self.next < walks && (n == self.next || self.along.contains(&(n - 1)))
    }
}

/// [`walk`] on `walks` workers beside this thread's enumeration: each batch goes to a free
/// worker as it begins and its regions to that worker as they stream in (dropped once walked,
/// at most a share of `BATCH / walks` waiting); a new batch begins only when fewer than `walks`
/// batches are walked or wait for their merge and the batch before it has walked its share
/// (then its last region is sent), the enumeration pausing meanwhile. So at most `walks` walks
/// and a share of regions each are held at once, and their largest moments (a walk holds the
/// most at its batch's end) come one after the other, not together. Each walk is merged, in
/// batch order, as soon as the batches before it are.
fn walk_on<M: Merger>(
    net: &Network,
    enumerator: &Enumerator,
    fast: bool,
    merge: M,
    walks: usize,
) -> Result<(M, Summary), ComplexError> {
    let token = crate::runtime::stop::current();
    let signer = &Arc::new(Signer::new(net));
    let (job_tx, job_rx) = mpsc::channel::<(usize, mpsc::Receiver<FacetedRegion>)>();
    let job_rx = &Mutex::new(job_rx);
    let (report_tx, report_rx) = mpsc::channel::<Report>();
    let share = BATCH / walks;
    std::thread::scope(move |scope| {
        for _ in 0..walks {
            let (report_tx, token) = (report_tx.clone(), token.clone());
            scope.spawn(move || {
                let _stop = token.install();
                loop {
                    let job = job_rx.lock().map_err(|_| ()).and_then(|rx| rx.recv().map_err(|_| ()));
                    let Ok((n, regions)) = job else { break };
                    let mut walking = walker(net, signer, enumerator, fast);
                    // a failed walk drops its regions' receiver: the rest of its batch is
                    // dropped as it is sent, the failure merged in its turn
                    let walked = regions
                        .iter()
                        .enumerate()
                        .try_for_each(|(i, r)| {
                            walking.walk_one(&r)?;
                            if i + 1 == share {
                                let _ = report_tx.send(Report::Along(n));
                            }
                            Ok(())
                        })
                        .map(|()| walking.found());
                    drop(regions);
                    if report_tx.send(Report::Done(n, Box::new(walked))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(report_tx);
        let ended = || ComplexError::identity("a walker thread ended early");
        let mut merged = InOrder { merge, pending: BTreeMap::new(), next: 0, along: BTreeSet::new() };
        let (mut batch, mut sent, mut streamed) = (None::<mpsc::SyncSender<FacetedRegion>>, 0, 0);
        let summary = in_order(net, enumerator, |r| {
            while let Ok(report) = report_rx.try_recv() {
                merged.take(report)?;
            }
            if streamed % BATCH == 0 {
                while !merged.may_begin(sent, walks) {
                    merged.take(report_rx.recv().map_err(|_| ended())?)?;
                }
                let (tx, rx) = mpsc::sync_channel(share);
                job_tx.send((sent, rx)).map_err(|_| ended())?;
                (batch, sent) = (Some(tx), sent + 1);
            }
            let _ = batch.as_ref().expect("a batch").send(r);
            streamed += 1;
            if streamed % BATCH == 0 {
                batch = None;
            }
            Ok(())
        })?;
        // the last partial batch is merged only after a run no limit stopped
        let whole = match batch.take() {
            Some(_) if summary.stopped.is_some() => sent - 1,
            _ => sent,
        };
        drop(job_tx);
        while merged.next < whole {
            merged.take(report_rx.recv().map_err(|_| ended())?)?;
        }
        Ok((merged.merge, summary))
    })
}
