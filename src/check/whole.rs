//! The checks of the answer as a whole: ids and distinct patterns, coverage of the domain
//! (every facet inside the domain leads to a listed region, and is that region's facet too),
//! and the pieces, all in exact arithmetic.

use super::constraints::Origin;
use super::region::{pattern_of, CheckedRegion, Listed};
use super::CheckReport;
use crate::network::{Domain, Network};
use petgraph::unionfind::UnionFind;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The facet-sharing pairs `(smaller id, larger id)`, each with the index of the shared facet
/// among the listed inequalities of either region.
pub(super) type Edges = BTreeMap<(usize, usize), (usize, usize)>;

/// Whether the domain is bounded (a box; a polytope with a trivial recession cone, decided
/// exactly). On a bounded domain every region is bounded.
pub(super) fn domain_is_bounded(net: &Network, domain: &[super::constraints::Row]) -> bool {
    match net.domain() {
        Domain::Whole => false,
        Domain::Box(_) => true,
        _ => {
            let refs: Vec<&super::constraints::Row> = domain.iter().collect();
            matches!(crate::certify::is_bounded(&refs, net.input_dim(), crate::kernel::Filter::Off), Ok(true))
        }
    }
}

/// Ids must be `0..n` in order and patterns pairwise distinct (interiors disjoint).
pub(super) fn check_ids_and_patterns(regions: &[Value], report: &mut CheckReport) {
    let mut seen: HashMap<Vec<String>, u64> = HashMap::new();
    for (index, region) in regions.iter().enumerate() {
        let id = region.get("id").and_then(Value::as_u64);
        if id != Some(index as u64) {
            report.fail(
                id,
                format!("the region at position {index} has id {id:?} (ids are 0, 1, 2, ... in order)"),
            );
        }
        if let Some(pattern) = pattern_of(region) {
            if let Some(first) = seen.insert(pattern.clone(), index as u64) {
                report.fail(
                    id,
                    format!(
                        "pattern {} is also region {first}'s (regions must be interior-disjoint)",
                        pattern.join("|")
                    ),
                );
            }
        }
    }
}

/// Across every listed facet inside the domain, the pattern on the other side (computed here)
/// must be a listed region, and the facet must be seen exactly once from each side. Returns the
/// facet-sharing pairs.
pub(super) fn check_coverage(
    net: &Network,
    regions: &[Value],
    checked: &[Option<CheckedRegion>],
    threads: usize,
    report: &mut CheckReport,
) -> Edges {
    if regions.is_empty() {
        report.fail(None, "no regions are listed, but the domain is full-dimensional");
        return Edges::new();
    }
    // exact integer evaluation (numerators over common denominators, no gcd): the same
    // arithmetic the graph uses, tested against plain rational evaluation in `fixed`
    let exact = crate::forward::fixed_point::FixedNetwork::new(net);
    let index: HashMap<&[String], usize> =
        checked.iter().enumerate().filter_map(|(i, c)| Some((c.as_ref()?.pattern.as_slice(), i))).collect();
    // each layer's index among the layers with states
    let mut next = 0;
    let stateful: Vec<Option<usize>> = net
        .layers()
        .iter()
        .map(|l| {
            l.activation.has_states().then(|| {
                next += 1;
                next - 1
            })
        })
        .collect();
    // the neighbour patterns of every region's inner facets, computed in parallel
    let across = |c: &Option<CheckedRegion>| -> Vec<(usize, Vec<String>)> {
        let Some(c) = c.as_ref().filter(|_| !crate::runtime::stop::requested()) else { return Vec::new() };
        let inner =
            c.listed.iter().enumerate().filter_map(|(k, l)| Some((k, l.as_ref().filter(|l| l.inner)?)));
        inner
            .map(|(k, Listed { row, point, alone, .. })| match alone {
                // one relu neuron tight on the facet, none identically zero: every other
                // neuron keeps its sign across it, and it changes its own
                Some(Origin::Neuron(layer, index)) if c.plain => {
                    let mut states = c.states.clone();
                    let s = stateful[*layer].expect("a neuron's layer has states");
                    states[s][*index] = !states[s][*index];
                    (k, net.pattern_strings(&states))
                }
                _ => (k, net.pattern_strings(&exact.pattern_towards(point, &row.a))),
            })
            .collect()
    };
    let neighbours: Vec<Vec<(usize, Vec<String>)>> =
        crate::runtime::parallel::map_chunks(checked, threads.max(1), 8, |part| {
            part.iter().map(across).collect::<Vec<_>>()
        })
        .concat();
    // for each pair, the facets that lead across it, from either side
    let mut sides: BTreeMap<(usize, usize), (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, facets) in neighbours.iter().enumerate() {
        for (k, pattern) in facets {
            match index.get(pattern.as_slice()) {
                Some(&j) if j != i => {
                    let entry = sides.entry((i.min(j), i.max(j))).or_default();
                    if i < j { entry.0.push(*k) } else { entry.1.push(*k) }
                }
                Some(_) => report.fail(Some(i as u64), format!("inequality {k}: the region across it is the region itself")),
                None => report.fail(
                    Some(i as u64),
                    format!(
                        "inequality {k}: across it lies the region with pattern {}, which is not listed (a region is missing)",
                        pattern.join("|")
                    ),
                ),
            }
        }
    }
    let mut edges = Edges::new();
    for ((a, b), (from_a, from_b)) in sides {
        match (&from_a[..], &from_b[..]) {
            ([ka], [kb]) => {
                edges.insert((a, b), (*ka, *kb));
            }
            _ => report.fail(
                Some(a as u64),
                format!(
                    "the facet shared with region {b} is listed {} time(s) by region {a} and {} by region {b} (once each)",
                    from_a.len(),
                    from_b.len()
                ),
            ),
        }
    }
    edges
}

/// The pieces: components of the regions over the edges whose two maps are exactly equal,
/// labelled by first appearance in region order.
pub(super) fn pieces(checked: &[Option<CheckedRegion>], edges: &Edges) -> Vec<usize> {
    let mut uf = UnionFind::<usize>::new(checked.len());
    for &(a, b) in edges.keys() {
        if let (Some(x), Some(y)) = (&checked[a], &checked[b]) {
            if x.map == y.map {
                uf.union(a, b);
            }
        }
    }
    canonical((0..checked.len()).map(|i| uf.find(i)))
}

/// Relabels by first appearance (two labellings are the same partition iff these agree).
fn canonical(labels: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut first: HashMap<usize, usize> = HashMap::new();
    labels
        .map(|l| {
            let next = first.len();
            *first.entry(l).or_insert(next)
        })
        .collect()
}

/// The stated `piece` of each item (`None` where absent or malformed).
pub(super) fn stated_pieces(items: &[Value]) -> Vec<Option<usize>> {
    items
        .iter()
        .map(|r| r.get("piece").and_then(Value::as_u64).and_then(|p| usize::try_from(p).ok()))
        .collect()
}

/// The stated pieces must be the pieces, as a partition numbered by first appearance (the
/// writer's numbering: piece `p` is the `p`-th to appear in id order). `what` names the items.
pub(super) fn compare_pieces(
    stated: &[Option<usize>],
    actual: &[usize],
    what: &str,
    report: &mut CheckReport,
) {
    if let Some(i) = stated.iter().position(Option::is_none) {
        report.fail(Some(i as u64), format!("{what} {i} has no `piece` (a number)"));
        return;
    }
    if let Some(i) = (0..actual.len()).find(|&i| stated.get(i).copied().flatten() != actual.get(i).copied()) {
        report.fail(
            Some(i as u64),
            format!("{what} {i}: its `piece` differs from the linear pieces (components over edges with equal maps, numbered in order of first appearance)"),
        );
    }
}

/// When the regions carry `piece` fields (all of them, or none), they must be the pieces.
pub(super) fn check_pieces_in_regions(regions: &[Value], actual: &[usize], report: &mut CheckReport) {
    let stated = stated_pieces(regions);
    if regions.iter().all(|r| r.get("piece").is_none()) {
        return;
    }
    compare_pieces(&stated, actual, "region", report);
}
