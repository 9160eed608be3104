//! The walk of the regions in fixed batches, on one thread or several, with one answer.
//!
//! The regions stream in their canonical order; every [`BATCH`] consecutive regions form a
//! batch (the same batches whatever the thread count), which a fresh [`Walker`] walks in order.
//! A face's point is the one its walk made where it was first found, and a face walked by the LP
//! walk (a region that is not pointed, or has a degenerate vertex) gets a point that depends on
//! the faces its walker already knew: so each batch starts from nothing, and the batches are
//! merged in batch order, a face found by several batches taking the first one's point (the
//! batch of the lowest region id that finds it) and incidences. Batches are walked by
//! `--threads` workers while the enumeration goes on and merged as they come back in order, so
//! the complex, every point included, is the same for every thread count. (A face of a pointed
//! region has the same point from every region: the one made from its vertices and rays.)
//! Faces shared by two batches are walked twice; a batch is large enough for that to be rare.

use super::faces::{Face, Walked, Walker};
use super::sign::SignKey;
use super::ComplexError;
use crate::analysis::{stream_with_facets, FacetedRegion};
use crate::certify::LpStats;
use crate::enumerate::{from_fn, Enumerator, Summary};
use crate::network::Network;
use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::sync::{mpsc, Mutex};

/// Regions per batch (fixed: the answer depends on it, never on the thread count).
pub(super) const BATCH: usize = 128;

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
fn walker(net: &Network, enumerator: &Enumerator, fast: bool) -> Walker {
    let mut walker = Walker::new(net, enumerator.backend().solver());
    walker.fast = fast;
    walker
}

/// One batch walked by a fresh walker.
fn walk_batch(
    net: &Network,
    enumerator: &Enumerator,
    fast: bool,
    batch: &[FacetedRegion],
) -> Result<Walked, ComplexError> {
    walker(net, enumerator, fast).walk(batch)
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

/// The regions of `net` streamed in fixed batches of [`BATCH`]: `on_batch` takes each full
/// batch and, after a run no limit stopped, the last partial one; its first error ends the
/// enumeration and is the answer.
fn in_batches(
    net: &Network,
    enumerator: &Enumerator,
    mut on_batch: impl FnMut(Vec<FacetedRegion>) -> Result<(), ComplexError>,
) -> Result<Summary, ComplexError> {
    let mut batch: Vec<FacetedRegion> = Vec::with_capacity(BATCH);
    let summary = in_order(net, enumerator, |r| {
        batch.push(r);
        match batch.len() < BATCH {
            true => Ok(()),
            false => on_batch(std::mem::take(&mut batch)),
        }
    })?;
    if !batch.is_empty() && summary.stopped.is_none() {
        on_batch(batch)?;
    }
    Ok(summary)
}

/// [`walk`] on this thread: each region walked as it comes and dropped (one region held, not a
/// batch of them), each batch's walker merged when its last region is walked (the last
/// partial one after a run no limit stopped): the walkers and merges of [`in_batches`].
fn walk_here<M: Merger>(
    net: &Network,
    enumerator: &Enumerator,
    fast: bool,
    mut merge: M,
) -> Result<(M, Summary), ComplexError> {
    let (mut walking, mut walked) = (None, 0);
    let summary = in_order(net, enumerator, |r| {
        walking.get_or_insert_with(|| walker(net, enumerator, fast)).walk_one(&r)?;
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
    mut merge: M,
) -> Result<(M, Summary), ComplexError> {
    let threads = enumerator.thread_count().max(1);
    if threads == 1 {
        return walk_here(net, enumerator, fast, merge);
    }
    let token = crate::runtime::stop::current();
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Vec<FacetedRegion>)>(threads);
    let job_rx = &Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<(usize, Result<Walked, ComplexError>)>();
    std::thread::scope(move |scope| {
        for _ in 0..threads {
            let (done_tx, token) = (done_tx.clone(), token.clone());
            scope.spawn(move || {
                let _stop = token.install();
                loop {
                    let job = job_rx.lock().map_err(|_| ()).and_then(|rx| rx.recv().map_err(|_| ()));
                    let Ok((n, regions)) = job else { break };
                    if done_tx.send((n, walk_batch(net, enumerator, fast, &regions))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        // results come back in any order; they are merged in batch order
        let mut pending: BTreeMap<usize, Result<Walked, ComplexError>> = BTreeMap::new();
        let mut next = 0;
        let mut merge_ready = |pending: &mut BTreeMap<usize, Result<Walked, ComplexError>>,
                               merge: &mut M|
         -> Result<(), ComplexError> {
            while let Some(r) = pending.remove(&next) {
                merge.add(r?)?;
                next += 1;
            }
            Ok(())
        };
        let mut sent = 0;
        let summary = in_batches(net, enumerator, |batch| {
            job_tx.send((sent, batch)).map_err(|_| ComplexError::identity("a walker thread ended early"))?;
            sent += 1;
            while let Ok((n, r)) = done_rx.try_recv() {
                pending.insert(n, r);
            }
            merge_ready(&mut pending, &mut merge)
        })?;
        drop(job_tx);
        for (n, r) in done_rx.iter() {
            pending.insert(n, r);
            merge_ready(&mut pending, &mut merge)?;
        }
        Ok((merge, summary))
    })
}
