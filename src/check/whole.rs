//! The checks of the answer as a whole: ids and distinct patterns, `bounded` flags, coverage of
//! the domain (every facet inside the domain leads to a listed region), and the edges and
//! pieces, all in exact arithmetic.

use super::region::{vector, CheckedRegion, Row};
use super::{CheckReport, Failure};
use crate::kernel::Filter;
use crate::network::{Domain, Network};
use petgraph::unionfind::UnionFind;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The stated pattern of a region: one string per hidden layer.
pub(super) fn pattern_of(region: &Value) -> Option<Vec<String>> {
    region.get("pattern")?.as_array()?.iter().map(|s| s.as_str().map(String::from)).collect()
}

/// Whether the domain is bounded (a box; a polytope with a trivial recession cone, decided
/// exactly). On a bounded domain every region is bounded.
pub(super) fn domain_is_bounded(net: &Network, domain: &[Row]) -> bool {
    match net.domain() {
        Domain::Whole => false,
        Domain::Box(_) => true,
        _ => {
            let refs: Vec<&Row> = domain.iter().collect();
            matches!(crate::certify::is_bounded(&refs, net.input_dim(), Filter::Off), Ok(true))
        }
    }
}

/// Checks the `bounded` flag against the region's listed inequalities (which define it, once
/// their completeness is checked): a checked ray or checked boundedness duals.
pub(super) fn check_bounded(
    region: &Value,
    checked: &CheckedRegion,
    domain_bounded: bool,
    dim: usize,
    fail: &mut impl FnMut(String),
) {
    let Some(stated) = region.get("bounded").and_then(Value::as_bool) else {
        fail("missing or malformed `bounded`".into());
        return;
    };
    let actual = domain_bounded || {
        let rows: Vec<&Row> = checked.listed.iter().map(|(r, _)| r).collect();
        match crate::certify::recession_ray(&rows, dim, Filter::Off) {
            Ok(ray) => ray.is_none(),
            Err(e) => {
                fail(format!("boundedness could not be decided: {e}"));
                return;
            }
        }
    };
    if stated != actual {
        let what = if actual { "bounded (its recession cone is {0})" } else { "unbounded (it has a ray)" };
        fail(format!("`bounded` says {stated}, but the region is {what}"));
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

/// Across every listed facet not on the domain's boundary, the pattern on the other side
/// (computed here) must be a listed region; each such facet must be seen from both sides.
/// Returns the facet-sharing pairs `(smaller id, larger id)`.
pub(super) fn check_coverage(
    net: &Network,
    domain: &[Row],
    regions: &[Value],
    checked: &[Option<CheckedRegion>],
    threads: usize,
    report: &mut CheckReport,
) -> BTreeSet<(usize, usize)> {
    if regions.is_empty() {
        report.fail(None, "no regions are listed, but the domain is full-dimensional");
        return BTreeSet::new();
    }
    // exact integer evaluation (numerators over common denominators, no gcd): the same
    // arithmetic the graph uses, tested against plain rational evaluation in `fixed`
    let exact = crate::fixed::FixedNetwork::new(net);
    let index: HashMap<&[String], usize> =
        checked.iter().enumerate().filter_map(|(i, c)| Some((c.as_ref()?.pattern.as_slice(), i))).collect();
    // the neighbour patterns of every region's inner facets, computed in parallel
    let across = |c: &Option<CheckedRegion>| -> Vec<(usize, Option<Vec<String>>)> {
        let Some(c) = c.as_ref().filter(|_| !crate::stop::requested()) else { return Vec::new() };
        c.listed
            .iter()
            .enumerate()
            .filter(|(_, (row, _))| !domain.iter().any(|d| d.same_halfspace(row, Filter::Off)))
            .map(|(k, (row, point))| {
                (k, point.as_ref().map(|q| net.pattern_strings(&exact.pattern_towards(q, &row.a))))
            })
            .collect()
    };
    let neighbours: Vec<Vec<(usize, Option<Vec<String>>)>> =
        crate::parallel::map_chunks(checked, threads.max(1), 8, |part| {
            part.iter().map(across).collect::<Vec<_>>()
        })
        .concat();
    let mut sides: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    for (i, facets) in neighbours.iter().enumerate() {
        for (k, pattern) in facets {
            let Some(pattern) = pattern else { continue }; // its facet point already failed
            match index.get(pattern.as_slice()) {
                Some(&j) if j != i => *sides.entry((i.min(j), i.max(j))).or_default() += 1,
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
    for (&(a, b), &n) in &sides {
        if n != 2 {
            report.fail(
                Some(a as u64),
                format!("the facet shared with region {b} is listed by only one of the two"),
            );
        }
    }
    sides.into_keys().collect()
}

/// The pieces: components of the regions over the edges whose two maps are exactly equal,
/// labelled by first appearance in region order.
fn pieces(checked: &[Option<CheckedRegion>], edges: &BTreeSet<(usize, usize)>) -> Vec<usize> {
    let mut uf = UnionFind::<usize>::new(checked.len());
    for &(a, b) in edges {
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

/// The stated `piece` of each item, when every item has one.
fn stated_pieces(items: &[Value]) -> Option<Vec<usize>> {
    items.iter().map(|r| r.get("piece").and_then(Value::as_u64).map(|p| p as usize)).collect()
}

/// When the regions carry `piece` fields, they must be the pieces.
pub(super) fn check_pieces_in_regions(
    regions: &[Value],
    checked: &[Option<CheckedRegion>],
    edges: &BTreeSet<(usize, usize)>,
    report: &mut CheckReport,
) {
    if let Some(stated) = stated_pieces(regions) {
        compare_pieces(&stated, &pieces(checked, edges), report);
    }
}

fn compare_pieces(stated: &[usize], actual: &[usize], report: &mut CheckReport) {
    let stated = canonical(stated.iter().copied());
    if let Some(i) = (0..actual.len()).find(|&i| stated.get(i) != actual.get(i)) {
        report.fail(
            Some(i as u64),
            "its `piece` differs from the linear pieces (components over edges with equal maps)",
        );
    }
}

/// The graph document: nodes are the regions, edges exactly the facet-sharing pairs, pieces the
/// components over equal maps.
pub(super) fn check_graph(
    graph: &Value,
    regions: &[Value],
    checked: &[Option<CheckedRegion>],
    edges: &BTreeSet<(usize, usize)>,
    report: &mut CheckReport,
) {
    let mut failures = Vec::new();
    let mut fail =
        |message: String| failures.push(Failure { region: None, message: format!("graph: {message}") });
    if graph.get("complete").and_then(Value::as_bool) != Some(true) {
        fail("the graph is not marked complete".into());
    }
    let nodes = graph.get("nodes").and_then(Value::as_array).cloned().unwrap_or_default();
    if nodes.len() != regions.len() {
        fail(format!("{} nodes for {} regions", nodes.len(), regions.len()));
    }
    for (i, (node, region)) in nodes.iter().zip(regions).enumerate() {
        if node.get("id").and_then(Value::as_u64) != Some(i as u64) || pattern_of(node) != pattern_of(region)
        {
            fail(format!("node {i} is not region {i} (id or pattern differs)"));
        }
        let point = node.get("point").and_then(vector);
        if point.is_some() && point != region.get("point").and_then(vector) {
            fail(format!("node {i}'s point differs from region {i}'s"));
        }
    }
    let mut stated: BTreeSet<(usize, usize)> = BTreeSet::new();
    for e in graph.get("edges").and_then(Value::as_array).map_or(&[][..], Vec::as_slice) {
        let ends = (e.get("source").and_then(Value::as_u64), e.get("target").and_then(Value::as_u64));
        match ends {
            (Some(a), Some(b)) => {
                if !stated.insert((a.min(b) as usize, a.max(b) as usize)) {
                    fail(format!("edge {a}-{b} is listed twice"));
                }
            }
            _ => fail("an edge without `source` and `target`".into()),
        }
    }
    for (a, b) in stated.difference(edges) {
        fail(format!("edge {a}-{b} is listed, but regions {a} and {b} share no facet"));
    }
    for (a, b) in edges.difference(&stated) {
        fail(format!("regions {a} and {b} share a facet, but edge {a}-{b} is missing"));
    }
    let actual = pieces(checked, edges);
    let count = actual.iter().max().map_or(0, |m| m + 1);
    if graph.get("pieces").and_then(Value::as_u64) != Some(count as u64) {
        fail(format!("`pieces` is {:?}, but there are {count} linear pieces", graph.get("pieces")));
    }
    report.failures.extend(failures);
    if let Some(stated) = stated_pieces(&nodes) {
        compare_pieces(&stated, &actual, report);
    }
    report.edges = edges.len();
}
