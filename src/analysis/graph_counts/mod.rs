//! The graph's figures (edges, linear pieces, distinct affine maps) without holding the
//! regions: `count` with the graph. Regions arrive from the enumerator in batches; each batch's
//! facets are certified in parallel and every region then shrinks to a compact record: its
//! pattern as bits, the patterns across its inner facets, and a fingerprint of its affine map.
//! At the end the records give the edges (each must be found from both sides, as in
//! [`crate::analysis::graph::build`]), the pieces and the distinct maps, counted by the graph's
//! own counters (`crate::analysis::graph::pieces`, `crate::analysis::graph::distinct_maps`).
//! Two maps are equal only when an exact comparison says so: the one map fingerprint
//! (`crate::forward::fingerprint`, the enumerator's `map_hash`) only tells maps apart
//! (different fingerprints, different maps); maps with equal fingerprints are recomputed from
//! their patterns in the run's prepared context and compared exactly.
//!
//! Memory is about `(1 + inner facets) x (hidden neurons / 8)` bytes per region plus the edge
//! table, instead of every region's rational rows, map and facet points.
//!
//! The run's stop token ([`crate::jobs::StopToken`]) reaches every phase: the enumeration, the facet
//! workers (a region whose facets were not certified when the run had to stop keeps a record
//! without them: it is counted, and an edge to it seen from one side only is kept) and the
//! exact comparisons of maps (those left out count as different).

use crate::analysis::facets::{inner_facets, Facet};
use crate::analysis::graph::unmatched_facet;
use crate::certify::LpStats;
use crate::enumerate::prepared::Prepared;
use crate::enumerate::region::{AffineMap, Region};
use crate::enumerate::{Enumerator, Sink, Summary};
use crate::error::{InternalError, SinkError};
use crate::network::{Network, Pattern};
use crate::runtime::stop::StopToken;
use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;

/// The figures of `count` with the graph.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphCounts {
    /// The enumeration summary (its stats include the facet LPs).
    pub summary: Summary,
    /// Regions.
    pub regions: usize,
    /// Bounded regions.
    pub bounded: usize,
    /// Edges: pairs of regions sharing a facet.
    pub edges: usize,
    /// Linear pieces: classes of regions joined by edges across which the map stays the same.
    pub pieces: usize,
    /// Distinct affine maps among the regions.
    pub distinct_maps: usize,
    /// Facets whose neighbour is not among the regions (only in a partial run).
    pub dangling: usize,
}

/// What is kept of a region once its facets are certified.
pub(crate) struct Record {
    pattern: Box<[u64]>,
    bounded: bool,
    fingerprint: u64,
    /// The patterns across its facets inside the domain (`None`: not certified, the run had to
    /// stop first).
    across: Option<Vec<Box<[u64]>>>,
}

/// Enumerates the regions of `net` and counts the graph's figures, holding compact records
/// instead of the regions. The figures equal those of [`crate::analysis::analyze`].
///
/// # Examples
/// ```
/// use relu_regions::{analyze, analysis::graph_counts::count_graph, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"], ["0", "1"]], "bias": ["0", "0", "-1"], "activation": "relu"},
///     {"weights": [["1", "2", "0"]], "activation": "linear"}]}"#).unwrap();
/// let e = Enumerator::builder().build();
/// let c = count_graph(&net, &e).unwrap();
/// let a = analyze(&net, &e).unwrap();
/// assert_eq!((c.regions, c.edges, c.pieces, c.distinct_maps), (a.regions().len(), a.edges(), a.graph().pieces(), a.graph().distinct_maps()));
/// // the third neuron does not reach the output: the map is the same on both of its sides
/// assert!(c.pieces < c.regions);
/// ```
pub fn count_graph(net: &Network, enumerator: &Enumerator) -> Result<GraphCounts, InternalError> {
    count_graph_prepared(&enumerator.prepare(net), enumerator)
}

/// [`count_graph`] in a prepared context (a batch of boxes prepares its network once:
/// [`crate::jobs::batch`]).
pub(crate) fn count_graph_prepared(
    prepared: &Prepared<'_>,
    enumerator: &Enumerator,
) -> Result<GraphCounts, InternalError> {
    // one token for the whole job, installed here and on the facet workers
    let start = std::time::Instant::now();
    let enumerator = &enumerator.anchored(start);
    let token = enumerator.stop_token(start);
    let _stop = token.install();
    let threads = enumerator.thread_count();
    if threads == 1 {
        // one thread: the facets of each region right after it
        let mut inline = Inline { prepared, records: Vec::new(), stats: LpStats::default(), error: None };
        let summary = enumerator.enumerate_prepared(prepared, &mut inline);
        if let Some(e) = inline.error.take() {
            return Err(e);
        }
        let mut summary = summary?;
        summary.stats.add(&inline.stats);
        return tally(prepared, inline.records, summary, &token);
    }
    let (batches, batch_rx) = std::sync::mpsc::sync_channel::<(usize, Vec<Region>)>(threads);
    let batch_rx = std::sync::Mutex::new(batch_rx);
    let failed = AtomicBool::new(false);
    let (summary, parts) = std::thread::scope(|scope| {
        // the workers certify the batches' facets while the enumeration goes on
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let _stop = token.install();
                    let mut done = Vec::new();
                    loop {
                        let next = batch_rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                        let Ok((index, batch)) = next else { break };
                        let mut stats = LpStats::default();
                        let records: Result<Vec<Record>, InternalError> = batch
                            .into_iter()
                            .map(|r| record(&with_domain(r, prepared), prepared, &mut stats))
                            .collect();
                        if records.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        done.push((index, records, stats));
                    }
                    done
                })
            })
            .collect();
        // the regions come in order from one thread (counting costs a fraction of certifying
        // facets); the bounded channel keeps memory to a few batches
        let domain_rows = prepared.domain_rows().len();
        let mut tally = Tally { domain_rows, batches, batch: Vec::new(), sent: 0, failed: &failed };
        let summary = enumerator.with_threads(1).enumerate_prepared(prepared, &mut tally);
        drop(tally);
        let mut parts: Vec<_> = workers.into_iter().flat_map(|w| w.join().expect("facet worker")).collect();
        parts.sort_by_key(|(index, _, _)| *index);
        (summary, parts)
    });
    let mut summary = summary?;
    let mut records = Vec::new();
    for (_, part, stats) in parts {
        summary.stats.add(&stats);
        records.extend(part?);
    }
    tally(prepared, records, summary, &token)
}

/// The figures from the records. A record without facets, or an exact comparison of maps the
/// token cut short, makes the figures partial: the summary then says why.
fn tally(
    prepared: &Prepared<'_>,
    records: Vec<Record>,
    mut summary: Summary,
    token: &StopToken,
) -> Result<GraphCounts, InternalError> {
    let stopped = || token.reason().or(Some(crate::enumerate::StopReason::Cancelled));
    if records.iter().any(|r| r.across.is_none()) {
        summary.stopped = summary.stopped.or_else(stopped);
    }
    let found = edges(&records, summary.complete())?;
    let mut maps = ExactMaps { prepared, records: &records, cache: HashMap::new(), cut: false };
    let (_, pieces) = maps.pieces(&found.same_fingerprint);
    let distinct_maps = maps.distinct();
    if maps.cut {
        summary.stopped = summary.stopped.or_else(stopped);
    }
    Ok(GraphCounts {
        regions: records.len(),
        bounded: records.iter().filter(|r| r.bounded).count(),
        edges: found.count,
        pieces,
        distinct_maps,
        dangling: found.dangling,
        summary,
    })
}

/// The sink of a one-thread run: each region's record at once.
struct Inline<'a> {
    prepared: &'a Prepared<'a>,
    records: Vec<Record>,
    stats: LpStats,
    error: Option<InternalError>,
}

impl Sink<Region> for Inline<'_> {
    fn needs_map(&self) -> bool {
        false
    }

    fn item(&mut self, region: Region) -> Result<ControlFlow<()>, SinkError> {
        match record(&region, self.prepared, &mut self.stats) {
            Ok(r) => {
                self.records.push(r);
                Ok(ControlFlow::Continue(()))
            }
            Err(e) => {
                self.error = Some(e);
                Ok(ControlFlow::Break(()))
            }
        }
    }
}

/// Regions of this many go to a facet worker at once.
const BATCH: usize = 32;

/// The sink that hands the regions to the facet workers in numbered batches.
struct Tally<'a> {
    /// How many domain rows lead every region's constraints.
    domain_rows: usize,
    batches: SyncSender<(usize, Vec<Region>)>,
    batch: Vec<Region>,
    sent: usize,
    failed: &'a AtomicBool,
}

impl Tally<'_> {
    fn send(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        if !batch.is_empty() && self.batches.send((self.sent, batch)).is_ok() {
            self.sent += 1;
        }
    }
}

impl Sink<Region> for Tally<'_> {
    fn needs_map(&self) -> bool {
        false
    }

    fn item(&mut self, mut region: Region) -> Result<ControlFlow<()>, SinkError> {
        if self.failed.load(Ordering::Relaxed) {
            return Ok(ControlFlow::Break(()));
        }
        // the domain's rows (first) wait in the queue as a count: a worker puts them back
        // (1,568 dense rows a region on MNIST's box would hold gigabytes in the batches)
        region.constraints.drain(..self.domain_rows);
        self.batch.push(region);
        if self.batch.len() >= BATCH {
            self.send();
        }
        Ok(ControlFlow::Continue(()))
    }

    fn finish(&mut self, _summary: &Summary) -> Result<(), SinkError> {
        self.send();
        Ok(())
    }
}

/// The region with the domain's rows put back in front of its neuron rows ([`Tally`] leaves
/// them out of the queue).
fn with_domain(mut region: Region, prepared: &Prepared<'_>) -> Region {
    let neurons = std::mem::take(&mut region.constraints);
    region.constraints = prepared.domain_rows().iter().cloned().chain(neurons).collect();
    region
}

/// The region's record: its facets certified, the pattern across each inner one; without them
/// when the run must stop before they are done.
fn record(region: &Region, prepared: &Prepared<'_>, stats: &mut LpStats) -> Result<Record, InternalError> {
    // the sinks ask for the map's hash, not the map: every region of the run has one
    let fingerprint = region
        .facts
        .map_hash
        .ok_or_else(|| InternalError::new(format!("region {} came without its map's hash", region.id)))?;
    let mut record =
        Record { pattern: pack(&region.pattern), bounded: region.bounded, fingerprint, across: None };
    if crate::runtime::stop::requested() {
        return Ok(record);
    }
    let facets = match inner_facets(region, prepared, stats) {
        Ok(facets) => facets,
        // an exact solve gave up: the run must stop
        Err(_) if crate::runtime::stop::requested() => return Ok(record),
        Err(e) => return Err(e),
    };
    record.across = across(region, facets.iter(), prepared);
    Ok(record)
}

/// The packed patterns across `facets` (the region's inner ones); `None` once the run must stop.
fn across<'f>(
    region: &Region,
    facets: impl Iterator<Item = &'f Facet>,
    prepared: &Prepared<'_>,
) -> Option<Vec<Box<[u64]>>> {
    // the finder (the network's dense float weights) is made only when a region needs it
    let stateful: Vec<usize> = prepared.network().relu_layers().collect();
    facets
        .map(|f| {
            if crate::runtime::stop::requested() {
                return None;
            }
            let flip = f.neurons(region);
            if region.facts.states_strict {
                // every other neuron is nonzero on the closure: only the facet's own flip
                return Some(pack(&flipped(&region.pattern, &flip, &stateful)));
            }
            let normal = &region.constraints[f.constraints[0]].halfspace.a;
            Some(pack(&prepared.neighbours().across(&f.point, normal, &region.pattern, &flip)))
        })
        .collect()
}

/// The pattern with the states of `neurons` (relu neurons; `stateful` lists the network layers
/// the pattern's entries belong to) flipped.
fn flipped(pattern: &Pattern, neurons: &[crate::enumerate::region::NeuronId], stateful: &[usize]) -> Pattern {
    let mut out = pattern.clone();
    for n in neurons {
        if let Some(at) = stateful.iter().position(|&l| l == n.layer) {
            out[at][n.index] = !out[at][n.index];
        }
    }
    out
}

/// The edges found from the records.
struct Edges {
    count: usize,
    /// Facets without a listed neighbour.
    dangling: usize,
    /// The edges `(a, b)` whose two maps have equal fingerprints (candidates for one map).
    same_fingerprint: Vec<(usize, usize)>,
}

/// The edges of the records. In a complete run every facet must lead to a listed region and
/// every edge must be found from both sides (an edge to a record without facets is found from
/// one).
fn edges(records: &[Record], complete: bool) -> Result<Edges, InternalError> {
    let index: HashMap<&[u64], usize> = records.iter().enumerate().map(|(i, r)| (&*r.pattern, i)).collect();
    // in id order, so that a failure names the same facet whatever the run
    let mut seen: BTreeMap<(usize, usize), u8> = BTreeMap::new();
    let mut dangling = 0;
    for (i, r) in records.iter().enumerate() {
        for other in r.across.iter().flatten() {
            let Some(&j) = index.get(&**other) else {
                if complete {
                    return Err(InternalError::new(format!(
                        "the neighbour of region {i} across one of its facets is not among the {} regions",
                        records.len()
                    )));
                }
                dangling += 1;
                continue;
            };
            *seen.entry((i.min(j), i.max(j))).or_insert(0) += 1;
        }
    }
    let mut same = Vec::new();
    for (&(a, b), &count) in &seen {
        let one_side = records[a].across.is_none() || records[b].across.is_none();
        if count != 2 && !(count == 1 && one_side) {
            return Err(unmatched_facet(a, b, count));
        }
        if records[a].fingerprint == records[b].fingerprint {
            same.push((a, b));
        }
    }
    Ok(Edges { count: seen.len(), dangling, same_fingerprint: same })
}

/// Exact maps recomputed from patterns, on demand.
struct ExactMaps<'a> {
    prepared: &'a Prepared<'a>,
    records: &'a [Record],
    cache: HashMap<usize, AffineMap>,
    /// Set when a comparison was left out because the run had to stop.
    cut: bool,
}

impl ExactMaps<'_> {
    /// Whether the maps of regions `a` and `b` are exactly equal (each recomputed once); `false`
    /// once the run must stop (the comparison is then left out, and `cut` says so).
    fn equal(&mut self, a: usize, b: usize) -> bool {
        if crate::runtime::stop::requested() {
            self.cut = true;
            return false;
        }
        let (prepared, records) = (self.prepared, self.records);
        for i in [a, b] {
            self.cache
                .entry(i)
                .or_insert_with(|| prepared.map_of(&unpack(&records[i].pattern, prepared.network())));
        }
        self.cache[&a] == self.cache[&b]
    }

    /// The pieces: classes of regions joined by edges with exactly equal maps
    /// ([`crate::analysis::graph::pieces`]).
    fn pieces(&mut self, candidates: &[(usize, usize)]) -> (Vec<usize>, usize) {
        let joined: Vec<(usize, usize)> =
            candidates.iter().copied().filter(|&(a, b)| self.equal(a, b)).collect();
        crate::analysis::graph::pieces(self.records.len(), joined)
    }

    /// The distinct maps: one per fingerprint, unless maps with one fingerprint differ
    /// ([`crate::analysis::graph::distinct_maps`]).
    fn distinct(&mut self) -> usize {
        let records = self.records;
        crate::analysis::graph::distinct_maps(records.iter().map(|r| r.fingerprint), |a, b| self.equal(a, b))
    }
}

/// A pattern as bits, layer after layer.
fn pack(pattern: &Pattern) -> Box<[u64]> {
    let n: usize = pattern.iter().map(Vec::len).sum();
    let mut bits = vec![0u64; n.div_ceil(64)];
    for (k, &on) in pattern.iter().flatten().enumerate() {
        if on {
            bits[k / 64] |= 1 << (k % 64);
        }
    }
    bits.into_boxed_slice()
}

/// The pattern of `net`'s ReLU layers from its bits.
pub(crate) fn unpack(bits: &[u64], net: &Network) -> Pattern {
    let mut k = 0;
    net.relu_layers()
        .map(|l| {
            (0..net.layers()[l].width())
                .map(|_| {
                    let on = bits[k / 64] >> (k % 64) & 1 == 1;
                    k += 1;
                    on
                })
                .collect()
        })
        .collect()
}

pub(crate) mod pieces;
#[cfg(test)]
mod tests;
