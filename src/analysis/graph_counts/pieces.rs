//! The piece of every region at the memory of counting, for a writer that streams the regions
//! with their facets and numbers their pieces only at the end (`regions --json`): each region,
//! once its facets are certified, goes to the caller and shrinks to the record `count` keeps
//! (its pattern as bits, the patterns across its inner facets, its map's fingerprint). The edges
//! and pieces come from the records as in `count` with the graph, so they are those of
//! [`crate::analysis::graph::build`] (pieces numbered by their smallest region id). For a
//! writer of the graph (`graph --format json|dot`), [`stream_with_graph`] also lists the edges
//! from the records, sorted by their ends, each naming the inner facet whose point it carries.
//! The merge of a sharded run ([`crate::jobs::shard`]) keeps the same records of the regions it
//! reads back from the parts ([`Record::read_back`]) and gets its graph from [`graph_from_edges`].

use super::{across, edges, pack, ExactMaps, Record};
use crate::analysis::facets::Facet;
use crate::analysis::FacetedRegion;
use crate::enumerate::prepared::Prepared;
use crate::enumerate::{Enumerator, Sink, Summary};
use crate::error::{InternalError, SinkError};
use crate::forward::fingerprint::Fingerprints;
use crate::network::{Network, Pattern};
use std::ops::ControlFlow;

/// What [`stream_with_pieces`] gives back: the run's summary, the piece of each region passed
/// on (in id order), and the caller's first error (which stopped the run).
pub(crate) struct Streamed {
    /// The run's summary (stopped by the sink when the caller failed).
    pub summary: Summary,
    /// The piece of each region passed on.
    pub piece_of: Vec<usize>,
    /// The caller's first error.
    pub written: std::io::Result<()>,
}

/// Enumerates `net`, passes every region with its certified facets to `each` in id order
/// (keeping none of them), then numbers the pieces from the records.
///
/// # Errors
/// An exact check failed (an edge seen from one side only in a complete run, among them).
pub(crate) fn stream_with_pieces(
    net: &Network,
    enumerator: &Enumerator,
    each: &mut dyn FnMut(&FacetedRegion) -> std::io::Result<()>,
) -> Result<Streamed, InternalError> {
    stream_records(net, enumerator, each, |prepared, summary, records, written| {
        let found = edges(&records, summary.complete())?;
        let mut maps = ExactMaps { prepared, records: &records, cache: Default::default(), cut: false };
        let (piece_of, _) = maps.pieces(&found.same_fingerprint);
        Ok(Streamed { summary, piece_of, written })
    })
}

/// Enumerates `net`, passing every region with its certified facets to `each` in id order and
/// keeping only its record; then `finish` gets the prepared network, the summary, the records
/// and the caller's first error.
fn stream_records<T>(
    net: &Network,
    enumerator: &Enumerator,
    each: &mut dyn FnMut(&FacetedRegion) -> std::io::Result<()>,
    finish: impl FnOnce(&Prepared, Summary, Vec<Record>, std::io::Result<()>) -> Result<T, InternalError>,
) -> Result<T, InternalError> {
    let start = std::time::Instant::now();
    let enumerator = enumerator.anchored(start);
    let token = enumerator.stop_token(start);
    let _stop = token.install();
    let prepared = enumerator.prepare(net);
    let mut keeping = Keeping {
        prepared: &prepared,
        fingerprints: Fingerprints::new(prepared.fixed_layers()),
        records: Vec::new(),
        each,
        written: Ok(()),
    };
    let (summary, _) = crate::analysis::stream_prepared(&prepared, &enumerator, start, &mut keeping)?;
    let Keeping { records, written, .. } = keeping;
    finish(&prepared, summary, records, written)
}

/// The sink that keeps each region's record and passes the region on.
struct Keeping<'a, 'e> {
    prepared: &'a Prepared<'a>,
    fingerprints: Fingerprints,
    records: Vec<Record>,
    each: &'e mut dyn FnMut(&FacetedRegion) -> std::io::Result<()>,
    written: std::io::Result<()>,
}

impl Sink<FacetedRegion> for Keeping<'_, '_> {
    fn item(&mut self, item: FacetedRegion) -> Result<ControlFlow<()>, SinkError> {
        let FacetedRegion { region, facets } = &item;
        let fingerprint = region.facts.map_hash.unwrap_or_else(|| self.fingerprints.of(&region.map));
        let inner = facets.iter().filter(|f: &&Facet| !f.on_boundary);
        self.records.push(Record {
            pattern: pack(&region.pattern),
            bounded: region.bounded,
            fingerprint,
            across: across(region, inner, self.prepared),
        });
        if let Err(e) = (self.each)(&item) {
            self.written = Err(e);
            return Ok(ControlFlow::Break(()));
        }
        Ok(ControlFlow::Continue(()))
    }
}

/// An edge of the graph as `graph` lists it, from a streamed run's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EdgeRef {
    /// The smaller region id.
    pub source: usize,
    /// The larger region id.
    pub target: usize,
    /// Whether the two maps are exactly equal.
    pub same_map: bool,
    /// Whose facet point the edge carries: the region, and the facet's place among that
    /// region's inner facets (the lower id's, as [`crate::analysis::graph::build`] records it,
    /// unless that region's patterns across were not found before a stop).
    pub point_of: (usize, usize),
}

/// What [`stream_with_graph`] gives back: [`Streamed`]'s figures with the pieces' number and
/// the edges sorted by `(source, target)`.
pub(crate) struct StreamedGraph {
    /// The run's summary, the piece of each region passed on, and the caller's first error.
    pub streamed: Streamed,
    /// The number of pieces.
    pub pieces: usize,
    /// The edges, sorted by `(source, target)`.
    pub edges: Vec<EdgeRef>,
    /// The regions' records (their patterns give an edge's neurons).
    records: Vec<Record>,
}

impl StreamedGraph {
    /// The neurons whose state differs between regions `a` and `b` (as the graph lists them).
    pub(crate) fn crossed(
        &self,
        net: &Network,
        a: usize,
        b: usize,
    ) -> Vec<crate::enumerate::region::NeuronId> {
        let relu_layers: Vec<usize> = net.relu_layers().collect();
        let (pa, pb) =
            (super::unpack(&self.records[a].pattern, net), super::unpack(&self.records[b].pattern, net));
        crate::analysis::graph::crossed_neurons(&pa, &pb, &relu_layers)
    }
}

/// [`stream_with_pieces`], also giving the graph's edges as [`crate::analysis::graph::build`]
/// lists them (sorted by their ends, each with the facet point of the lower id's side and
/// whether the maps are equal, decided exactly), for a writer that writes the graph at the
/// memory of counting.
///
/// # Errors
/// An exact check failed (an edge seen from one side only in a complete run, among them).
pub(crate) fn stream_with_graph(
    net: &Network,
    enumerator: &Enumerator,
    each: &mut dyn FnMut(&FacetedRegion) -> std::io::Result<()>,
) -> Result<StreamedGraph, InternalError> {
    stream_records(net, enumerator, each, |prepared, summary, records, written| {
        let edges = listed_edges(&records, summary.complete())?;
        Ok(graph_from_edges(prepared, summary, records, edges, written))
    })
}

/// The graph of `records` (with their `edges`, from [`listed_edges`]): each edge's `same_map`
/// decided exactly, and the pieces. For a caller that streams regions from elsewhere (the merge
/// of a sharded run, [`crate::jobs::shard`]) as for [`stream_with_graph`].
pub(crate) fn graph_from_edges(
    prepared: &Prepared<'_>,
    summary: Summary,
    records: Vec<Record>,
    mut edges: Vec<EdgeRef>,
    written: std::io::Result<()>,
) -> StreamedGraph {
    let mut maps = ExactMaps { prepared, records: &records, cache: Default::default(), cut: false };
    // the candidates in the order `count` asks them ([`super::edges`]: sorted by the ends)
    for e in &mut edges {
        e.same_map =
            records[e.source].fingerprint == records[e.target].fingerprint && maps.equal(e.source, e.target);
    }
    let joined = edges.iter().filter(|e| e.same_map).map(|e| (e.source, e.target));
    let (piece_of, pieces) = crate::analysis::graph::pieces(records.len(), joined);
    drop(maps);
    StreamedGraph { streamed: Streamed { summary, piece_of, written }, pieces, edges, records }
}

impl StreamedGraph {
    /// The number of distinct affine maps among the regions, settled exactly as `count` settles
    /// it ([`ExactMaps::distinct`]).
    pub(crate) fn distinct_maps(&self, prepared: &Prepared<'_>) -> usize {
        let mut maps = ExactMaps { prepared, records: &self.records, cache: Default::default(), cut: false };
        maps.distinct()
    }
}

impl Record {
    /// The record of a region read back from its wire form (the merge of a sharded run): its
    /// pattern, `bounded` flag, map fingerprint and the patterns across its inner facets.
    pub(crate) fn read_back(
        pattern: &Pattern,
        bounded: bool,
        fingerprint: u64,
        across: &[Pattern],
    ) -> Record {
        Record {
            pattern: pack(pattern),
            bounded,
            fingerprint,
            across: Some(across.iter().map(pack).collect()),
        }
    }

    /// The pattern as bits ([`super::pack`]).
    pub(crate) fn pattern_bits(&self) -> &[u64] {
        &self.pattern
    }

    /// The packed patterns across its inner facets (none when they were not found).
    pub(crate) fn across_bits(&self) -> &[Box<[u64]>] {
        self.across.as_deref().unwrap_or(&[])
    }

    /// The pattern of `net` from the record's bits.
    pub(crate) fn pattern(&self, net: &Network) -> Pattern {
        super::unpack(&self.pattern, net)
    }
}

/// The edges of the records, sorted by their ends, checked as [`super::edges`] checks them.
pub(crate) fn listed_edges(records: &[Record], complete: bool) -> Result<Vec<EdgeRef>, InternalError> {
    let index: std::collections::HashMap<&[u64], usize> =
        records.iter().enumerate().map(|(i, r)| (&*r.pattern, i)).collect();
    // per edge: the times it was seen, and whose facet gives its point
    let mut seen: std::collections::BTreeMap<(usize, usize), (u8, (usize, usize))> = Default::default();
    for (i, r) in records.iter().enumerate() {
        for (k, other) in r.across.iter().flatten().enumerate() {
            let Some(&j) = index.get(&**other) else {
                if complete {
                    return Err(InternalError::new(format!(
                        "the neighbour of region {i} across one of its facets is not among the {} regions",
                        records.len()
                    )));
                }
                continue;
            };
            let entry = seen.entry((i.min(j), i.max(j))).or_insert((0, (i, k)));
            entry.0 += 1;
            if i < j {
                entry.1 = (i, k);
            }
        }
    }
    seen.into_iter()
        .map(|((a, b), (count, point_of))| {
            let one_side = records[a].across.is_none() || records[b].across.is_none();
            if count != 2 && !(count == 1 && one_side) {
                return Err(crate::analysis::graph::unmatched_facet(a, b, count));
            }
            Ok(EdgeRef { source: a, target: b, same_map: false, point_of })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{listed_edges, EdgeRef, Record};

    fn record(pattern: u64, across: Option<&[u64]>) -> Record {
        Record {
            pattern: vec![pattern].into_boxed_slice(),
            bounded: false,
            fingerprint: 0,
            across: across.map(|a| a.iter().map(|&p| vec![p].into_boxed_slice()).collect()),
        }
    }

    /// Edges come sorted by their ends, each with the point of its lower id's facet (its place
    /// among that region's inner facets), or of the higher id's when the lower one's patterns
    /// across were cut short by a stop; an edge seen once between two regions that both looked
    /// is an error, and so is a facet leading nowhere in a complete run.
    #[test]
    fn edges_are_listed_in_order_with_the_side_whose_point_they_carry() {
        let records = [record(0b00, None), record(0b01, Some(&[0b11, 0b00])), record(0b11, Some(&[0b01]))];
        let edges = listed_edges(&records, false).unwrap();
        let edge = |source, target, point_of| EdgeRef { source, target, same_map: false, point_of };
        assert_eq!(edges, [edge(0, 1, (1, 1)), edge(1, 2, (1, 0))]);
        // complete runs: every facet leads to a listed region, every edge is seen from both sides
        assert!(listed_edges(&records[1..], true).is_err());
        let one_sided = [record(0b01, Some(&[0b11])), record(0b11, Some(&[]))];
        assert!(listed_edges(&one_sided, false).is_err());
        let both = [record(0b01, Some(&[0b11])), record(0b11, Some(&[0b01]))];
        assert_eq!(listed_edges(&both, true).unwrap(), [edge(0, 1, (0, 0))]);
    }
}
