//! The adjacency graph of regions (petgraph, node index = region id, never pruned) and the
//! linear pieces (union-find over the edges whose two affine maps are exactly equal): the one
//! piece counter (`pieces`) and the one count of distinct maps (`distinct_maps`, by the
//! one fingerprint of `crate::forward::fingerprint`, settled exactly), which the graph counts
//! ([`crate::analysis::graph_counts`]) share.
//!
//! Edges come from facets: at a rational point `q` in the relative interior of a facet with
//! outward normal `n`, the neighbour's pattern is the exact lexicographic pattern at `q + t n`
//! ([`crate::network::Network::pattern_towards`]); its region is looked up by pattern. Every edge is found from
//! both sides, which is checked.

use crate::analysis::facets::Facet;
use crate::enumerate::prepared::Prepared;
use crate::enumerate::region::{NeuronId, Region};
use crate::error::InternalError;
use crate::exact::num::Q;
use crate::forward::fingerprint::Fingerprints;
use crate::network::Pattern;
use petgraph::graph::{NodeIndex, UnGraph};
use petgraph::unionfind::UnionFind;
use std::collections::{BTreeMap, HashMap};

/// An edge: two regions sharing a facet.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeInfo {
    /// The neurons whose state differs across the facet (the hyperplanes crossed).
    pub neurons: Vec<NeuronId>,
    /// A rational point in the relative interior of the shared facet.
    pub point: Vec<Q>,
    /// Whether the two affine maps are exactly equal.
    pub same_map: bool,
}

/// The region adjacency graph with its linear pieces.
#[derive(Debug, Clone)]
pub struct RegionGraph {
    /// Node weight = region id = node index.
    pub(crate) graph: UnGraph<usize, EdgeInfo>,
    /// The piece of each region (pieces numbered by their smallest region id, in order).
    pub(crate) piece_of: Vec<usize>,
    /// Number of linear pieces.
    pub(crate) pieces: usize,
    /// Number of distinct affine maps among the regions.
    pub(crate) distinct_maps: usize,
    /// Facets whose neighbour was not among the regions (only in a partial enumeration; in a
    /// complete one that is an internal error).
    pub(crate) dangling: usize,
    /// How many regions (a prefix, in id order) had the neighbours across their facets found:
    /// all of them, unless the run's stop token ([`crate::jobs::StopToken`]) cut the graph phase short
    /// (the graph then lacks the edges between two regions after the prefix).
    pub(crate) edges_from: usize,
}

impl RegionGraph {
    /// The graph: node weight = region id = node index; an edge per shared facet.
    ///
    /// See the example on [`RegionGraph`].
    pub fn graph(&self) -> &UnGraph<usize, EdgeInfo> {
        &self.graph
    }

    /// The piece of each region (pieces numbered by their smallest region id, in order).
    ///
    /// See the example on [`RegionGraph`].
    pub fn piece_of(&self) -> &[usize] {
        &self.piece_of
    }

    /// Number of linear pieces.
    ///
    /// See the example on [`RegionGraph`].
    pub fn pieces(&self) -> usize {
        self.pieces
    }

    /// Number of distinct affine maps among the regions.
    ///
    /// See the example on [`RegionGraph`].
    pub fn distinct_maps(&self) -> usize {
        self.distinct_maps
    }

    /// Facets whose neighbour was not among the regions (only in a partial enumeration; in a
    /// complete one that is an internal error).
    ///
    /// See the example on [`RegionGraph`].
    pub fn dangling(&self) -> usize {
        self.dangling
    }

    /// How many regions (a prefix, in id order) had the neighbours across their facets found
    /// (all of them unless the run was stopped in the graph phase).
    ///
    /// See the example on [`RegionGraph`].
    pub fn edges_from(&self) -> usize {
        self.edges_from
    }
}

/// Builds the graph from the regions (ids `0..n` in order) and their facets. In a `complete`
/// enumeration every facet inside the domain must lead to a listed region, and every shared
/// facet must be seen from both sides: anything else is an [`InternalError`] naming the facet,
/// never a dropped edge. With [`crate::kernel::Filter::Off`] no float pass is used.
///
/// The stop token installed on this thread ([`crate::jobs::StopToken`]) is polled at every facet: once
/// it asks to stop, the regions not yet done give no edges from their side
/// ([`RegionGraph::edges_from`]).
///
/// # Complexity
/// One network evaluation per facet, plus union-find over the edges.
///
/// # Examples
/// ```
/// use relu_regions::{analyze, analysis::graph::build, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#).unwrap();
/// let e = Enumerator::builder().build();
/// let a = analyze(&net, &e).unwrap();
/// let prepared = e.prepare(&net);
/// let g = build(&prepared, &a.regions(), &a.facets(), true, 1).unwrap();
/// assert_eq!((g.graph().edge_count(), g.pieces(), g.dangling(), g.edges_from()), (4, 4, 0, 4));
/// // in a complete run, a facet without its neighbour is an internal error, never a dropped edge
/// assert!(build(&prepared, &a.regions()[..3], &a.facets()[..3], true, 1).is_err());
/// ```
pub fn build(
    prepared: &Prepared<'_>,
    regions: &[Region],
    facets: &[Vec<Facet>],
    complete: bool,
    threads: usize,
) -> Result<RegionGraph, InternalError> {
    let across = across_patterns(prepared, regions, facets, threads);
    assemble(prepared, regions, facets, across, complete)
}

/// The patterns across every inner facet of each region, for a prefix of the regions: all of
/// them, unless the stop token installed on this thread asks to stop first (polled at every
/// facet). The costly part of [`build`], shared among the threads.
fn across_patterns(
    prepared: &Prepared<'_>,
    regions: &[Region],
    facets: &[Vec<Facet>],
    threads: usize,
) -> Vec<Vec<Pattern>> {
    let finder = prepared.neighbours();
    let ids: Vec<usize> = (0..regions.len()).collect();
    // `None` for a region not done when the run had to stop
    let across: Vec<Option<Vec<Pattern>>> = crate::runtime::parallel::map_chunks(&ids, threads, 8, |part| {
        part.iter()
            .map(|&i| {
                let region = &regions[i];
                facets[i]
                    .iter()
                    .filter(|f| !f.on_boundary)
                    .map(|facet| {
                        if crate::runtime::stop::requested() {
                            return None;
                        }
                        let normal = &region.constraints[facet.constraints[0]].halfspace.a;
                        Some(finder.across(&facet.point, normal, &region.pattern, &facet.neurons(region)))
                    })
                    .collect::<Option<Vec<Pattern>>>()
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    across.into_iter().map_while(|a| a).collect()
}

/// The graph from the patterns across the inner facets of the first `across.len()` regions
/// (the others give no edges from their side: an edge to one of them is seen once).
fn assemble(
    prepared: &Prepared<'_>,
    regions: &[Region],
    facets: &[Vec<Facet>],
    across: Vec<Vec<Pattern>>,
    complete: bool,
) -> Result<RegionGraph, InternalError> {
    let net = prepared.network();
    let by_pattern: HashMap<&Vec<Vec<bool>>, usize> = regions.iter().map(|r| (&r.pattern, r.id)).collect();
    let relu_layers: Vec<usize> = net.relu_layers().collect();
    let mut graph = UnGraph::with_capacity(regions.len(), 0);
    for r in regions {
        graph.add_node(r.id);
    }
    let edges_from = across.len();
    let mut seen: BTreeMap<(usize, usize), (u8, Option<EdgeInfo>)> = BTreeMap::new();
    let mut dangling = 0;
    for ((region, region_facets), patterns) in regions.iter().zip(facets).zip(across) {
        let inner = region_facets.iter().enumerate().filter(|(_, f)| !f.on_boundary);
        for ((k, facet), fast) in inner.zip(patterns) {
            let pattern = listed_or_exact(prepared, region, facet, fast, |p| by_pattern.contains_key(p));
            let Some(&other) = by_pattern.get(&pattern) else {
                if complete {
                    return Err(InternalError::new(format!(
                        "the neighbour of region {} across its facet {k} (point {}) has pattern {} which is not among the {} regions",
                        region.id,
                        crate::exact::num::fmt_point(&facet.point),
                        prepared.layout().strings(&pattern).join("|"),
                        regions.len()
                    )));
                }
                dangling += 1;
                continue;
            };
            let key = (region.id.min(other), region.id.max(other));
            let entry = seen.entry(key).or_insert((0, None));
            entry.0 += 1;
            // the lower id's side records the edge; in a partial run the other side may lack
            // its facets (Ctrl-C while certifying them), and then this side records it
            if region.id < other || entry.1.is_none() {
                let neurons = crossed_neurons(&region.pattern, &pattern, &relu_layers);
                let same_map = region.map == regions[other].map;
                entry.1 = Some(EdgeInfo { neurons, point: facet.point.clone(), same_map });
            }
        }
    }
    for ((a, b), (count, info)) in seen {
        // seen once is right only when the other side was not looked from: its facets were
        // never certified (a run stopped in the facet phase: those regions have none), or the
        // graph phase stopped before it
        let uncertified = facets[a].is_empty() || facets[b].is_empty();
        let unseen = b >= edges_from;
        let Some(info) =
            info.filter(|_| count == 2 || (count == 1 && (unseen || (!complete && uncertified))))
        else {
            return Err(unmatched_facet(a, b, count));
        };
        graph.add_edge(NodeIndex::new(a), NodeIndex::new(b), info);
    }
    let same_map = graph.edge_indices().filter(|&e| graph[e].same_map).map(|e| {
        let (a, b) = graph.edge_endpoints(e).expect("edge exists");
        (a.index(), b.index())
    });
    let (piece_of, pieces) = pieces(regions.len(), same_map);
    let fingerprints = Fingerprints::new(prepared.fixed_layers());
    let distinct_maps = distinct_maps(regions.iter().map(|r| fingerprints.of(&r.map)), |a, b| {
        regions[a].map == regions[b].map
    });
    Ok(RegionGraph { graph, piece_of, pieces, distinct_maps, dangling, edges_from })
}

/// The pattern across `facet` of `region`: `fast` (the float pass's) when it is `listed` (some
/// region's) or the float filter is off, else the exact pass's. The float pass trusts the
/// facet's neurons to change state, and a neuron tight on the facet that keeps its state
/// (labels read back from the wire name those too) leads it to a pattern that is no region's.
pub(crate) fn listed_or_exact(
    prepared: &Prepared<'_>,
    region: &Region,
    facet: &Facet,
    fast: Pattern,
    listed: impl Fn(&Pattern) -> bool,
) -> Pattern {
    if listed(&fast) || !prepared.filter().on() {
        return fast;
    }
    let normal = &region.constraints[facet.constraints[0]].halfspace.a;
    prepared.neighbours().across_exactly(&facet.point, normal)
}

/// The error for a facet between regions `a` and `b` not seen exactly once from each side.
pub(crate) fn unmatched_facet(a: usize, b: usize, count: u8) -> InternalError {
    InternalError::new(format!(
        "the facet between regions {a} and {b} was seen {count} time(s) (expected once from each side)"
    ))
}

/// The number of distinct maps among regions `0..n` given their fingerprints
/// ([`crate::forward::fingerprint`]): maps with different fingerprints differ, and within a
/// fingerprint `equal(a, b)` decides exactly (asked in a fixed order: buckets by fingerprint,
/// members in region order against the bucket's kinds so far). Shared by [`build`] and the graph
/// counts, which recompute maps from patterns to compare them.
pub(crate) fn distinct_maps(
    fingerprints: impl Iterator<Item = u64>,
    mut equal: impl FnMut(usize, usize) -> bool,
) -> usize {
    let mut buckets: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, f) in fingerprints.enumerate() {
        buckets.entry(f).or_default().push(i);
    }
    let mut total = 0;
    for members in buckets.values() {
        let mut kinds: Vec<usize> = Vec::new();
        for &i in members {
            if !kinds.iter().any(|&k| equal(k, i)) {
                kinds.push(i);
            }
        }
        total += kinds.len();
    }
    total
}

pub(crate) fn crossed_neurons(a: &[Vec<bool>], b: &[Vec<bool>], relu_layers: &[usize]) -> Vec<NeuronId> {
    let mut out = Vec::new();
    for ((la, lb), &layer) in a.iter().zip(b).zip(relu_layers) {
        for (index, (x, y)) in la.iter().zip(lb).enumerate() {
            if x != y {
                out.push(NeuronId { layer, index });
            }
        }
    }
    out
}

/// The linear pieces of regions `0..n`: the connected components of the edges `joined` (those
/// whose two maps are exactly equal), numbered by their smallest member in order; with their
/// number. The one piece counter: [`build`] and the graph counts use it.
pub(crate) fn pieces(n: usize, joined: impl IntoIterator<Item = (usize, usize)>) -> (Vec<usize>, usize) {
    let mut uf = UnionFind::<usize>::new(n);
    for (a, b) in joined {
        uf.union(a, b);
    }
    let mut label: HashMap<usize, usize> = HashMap::new();
    let piece_of: Vec<usize> = (0..n)
        .map(|i| {
            let root = uf.find(i);
            let next = label.len();
            *label.entry(root).or_insert(next)
        })
        .collect();
    (piece_of, label.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A graph phase stopped after a prefix of the regions: the edges seen from the prefix are
    /// kept (an edge to a region after it, seen once, is no error even in a complete run), the
    /// others are missing, and a token that has fired stops the pass before any region.
    #[test]
    fn a_stopped_graph_pass_keeps_the_edges_of_its_prefix() {
        let net = crate::network::Network::from_json(
            r#"{"input_dim": 2, "layers": [
                {"weights": [["1", "0"], ["0", "1"], ["1", "1"]], "bias": ["0", "0", "-1"], "activation": "relu"}]}"#,
        )
        .unwrap();
        let e = crate::Enumerator::builder().threads(1).build();
        let a = crate::analyze(&net, &e).unwrap();
        let prepared = e.prepare(&net);
        let full = across_patterns(&prepared, &a.regions, &a.facets, 2);
        let whole = assemble(&prepared, &a.regions, &a.facets, full.clone(), true).unwrap();
        assert_eq!((whole.edges_from, whole.graph.edge_count()), (a.regions.len(), a.edges()));
        for k in 0..=a.regions.len() {
            let part = assemble(&prepared, &a.regions, &a.facets, full[..k].to_vec(), true).unwrap();
            let touching = |g: &UnGraph<usize, EdgeInfo>| {
                let mut ends: Vec<(usize, usize)> = g
                    .edge_indices()
                    .map(|e| g.edge_endpoints(e).unwrap())
                    .map(|(x, y)| (x.index().min(y.index()), x.index().max(y.index())))
                    .filter(|&(x, _)| x < k)
                    .collect();
                ends.sort_unstable();
                ends
            };
            assert_eq!(part.edges_from, k);
            assert_eq!(touching(&part.graph), touching(&whole.graph), "prefix {k}");
            assert_eq!(part.graph.edge_count(), touching(&whole.graph).len(), "prefix {k}");
        }
        let _stop = crate::runtime::stop::StopToken::new(Some(std::time::Instant::now()), None).install();
        let stopped = build(&prepared, &a.regions, &a.facets, true, 2).unwrap();
        assert_eq!((stopped.edges_from, stopped.graph.edge_count()), (0, 0));
    }
}

#[cfg(test)]
mod counter_tests {
    /// Pieces are the components of the joined edges, numbered by their smallest member in
    /// order; distinct maps are settled by the exact comparison within a fingerprint.
    #[test]
    fn pieces_and_distinct_maps_from_edges_and_fingerprints() {
        let (piece_of, n) = super::pieces(6, [(4, 1), (5, 3), (3, 4)]);
        assert_eq!((piece_of, n), (vec![0, 1, 2, 1, 1, 1], 3));
        assert_eq!(super::pieces(3, []), (vec![0, 1, 2], 3));
        // values 7, 7, 8, 9 with forged fingerprints: all equal, or all different
        let values = [7, 7, 8, 9];
        let equal = |a: usize, b: usize| values[a] == values[b];
        assert_eq!(super::distinct_maps([0u64; 4].into_iter(), equal), 3);
        assert_eq!(super::distinct_maps(values.iter().map(|&v| v as u64), equal), 3);
    }
}
