//! The checks of the answer as a whole: ids and distinct patterns, coverage of the domain
//! (every facet inside the domain leads to a listed region, and is that region's facet too),
//! and the pieces, all in exact arithmetic.

use super::kept::{Kept, Layout, Maps, PieceField, Stated};
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
pub(super) fn check_ids_and_patterns(kept: &[Kept], layout: &Layout<'_>, report: &mut CheckReport) {
    let mut seen: HashMap<&Stated, u64> = HashMap::new();
    for (index, region) in kept.iter().enumerate() {
        let id = region.id;
        if id != Some(index as u64) {
            report.fail(
                id,
                format!("the region at position {index} has id {id:?} (ids are 0, 1, 2, ... in order)"),
            );
        }
        if let Some(pattern) = &region.pattern {
            if let Some(first) = seen.insert(pattern, index as u64) {
                let strings = match pattern {
                    Stated::Bits(key) => layout.strings(key),
                    Stated::Strings(strings) => strings.to_vec(),
                };
                report.fail(
                    id,
                    format!(
                        "pattern {} is also region {first}'s (regions must be interior-disjoint)",
                        strings.join("|")
                    ),
                );
            }
        }
    }
}

/// Across every listed facet inside the domain, the pattern on the other side (computed with
/// the region, [`Layout::summary`]) must be a listed region, and the facet must be seen exactly
/// once from each side. Returns the facet-sharing pairs.
pub(super) fn check_coverage(kept: &[Kept], layout: &Layout<'_>, report: &mut CheckReport) -> Edges {
    if kept.is_empty() {
        report.fail(None, "no regions are listed, but the domain is full-dimensional");
        return Edges::new();
    }
    let index: HashMap<&[u64], usize> =
        kept.iter().enumerate().filter_map(|(i, k)| Some((k.indexed()?, i))).collect();
    // each facet that leads across a pair `(lo, hi)`: (lo, hi, seen from hi, its index), in u32s
    let Ok(_) = u32::try_from(kept.len()) else {
        report.fail(None, format!("{} regions are more than this checker indexes (2^32)", kept.len()));
        return Edges::new();
    };
    let words = layout.words();
    let mut sides: Vec<(u32, u32, bool, u32)> = Vec::new();
    for (i, region) in kept.iter().enumerate() {
        let Some(c) = &region.checked else { continue };
        for (k, pattern) in c.facets.iter().zip(c.across.chunks(words)) {
            match index.get(pattern) {
                Some(&j) if j != i => sides.push((i.min(j) as u32, i.max(j) as u32, i > j, *k)),
                Some(_) => report.fail(Some(i as u64), format!("inequality {k}: the region across it is the region itself")),
                None => report.fail(
                    Some(i as u64),
                    format!(
                        "inequality {k}: across it lies the region with pattern {}, which is not listed (a region is missing)",
                        layout.strings(pattern).join("|")
                    ),
                ),
            }
        }
    }
    drop(index);
    sides.sort_unstable();
    let mut edges = Edges::new();
    for group in sides.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)) {
        let (a, b) = (group[0].0 as usize, group[0].1 as usize);
        let from_a: Vec<usize> = group.iter().filter(|s| !s.2).map(|s| s.3 as usize).collect();
        let from_b: Vec<usize> = group.iter().filter(|s| s.2).map(|s| s.3 as usize).collect();
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
pub(super) fn pieces(kept: &[Kept], edges: &Edges, layout: &Layout<'_>) -> Vec<usize> {
    let mut uf = UnionFind::<usize>::new(kept.len());
    let mut maps = Maps::new(layout);
    for &(a, b) in edges.keys() {
        if maps.equal(&kept[a], &kept[b]) {
            uf.union(a, b);
        }
    }
    canonical((0..kept.len()).map(|i| uf.find(i)))
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
    items.iter().map(|r| PieceField::of(r).number()).collect()
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
pub(super) fn check_pieces_in_regions(kept: &[Kept], actual: &[usize], report: &mut CheckReport) {
    if kept.iter().all(|r| r.piece == PieceField::Absent) {
        return;
    }
    let stated: Vec<Option<usize>> = kept.iter().map(|r| r.piece.number()).collect();
    compare_pieces(&stated, actual, "region", report);
}
