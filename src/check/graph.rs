//! The graph document, field by field: node `i` is region `i` (its pattern, piece, bounded,
//! map and point, and the nearest floats of these), the edges are exactly the facet-sharing
//! pairs in order, each with the neurons whose state differs between its two regions, whether
//! their maps are equal, and a point in the relative interior of the shared facet; `pieces`
//! is the number of linear pieces.

use super::constraints::integer_point;
use super::fields::{known_keys, matrix, neurons, vector, EDGE, GRAPH, NODE};
use super::region::{check_floats, pattern_of, CheckedRegion};
use super::whole::{compare_pieces, stated_pieces, Edges};
use super::{CheckReport, Failure};
use crate::exact::num::Q;
use crate::network::Network;
use serde_json::Value;
use std::cmp::Ordering;

/// Checks the graph of a complete answer whose regions were checked (`checked`) and whose
/// facet-sharing pairs are `edges`; `pieces` the pieces of the regions.
pub(super) fn check_graph(
    net: &Network,
    graph: &Value,
    regions: &[Value],
    checked: &[Option<CheckedRegion>],
    (edges, pieces): (&Edges, &[usize]),
    report: &mut CheckReport,
) {
    let mut failures = Vec::new();
    let mut fail =
        |message: String| failures.push(Failure { region: None, message: format!("graph: {message}") });
    known_keys(graph, "the graph", GRAPH, &mut fail);
    if graph.get("complete").and_then(Value::as_bool) != Some(true) {
        fail("the graph is not marked complete".into());
    }
    let empty = Vec::new();
    let nodes = graph.get("nodes").and_then(Value::as_array).unwrap_or_else(|| {
        fail("no `nodes` list".into());
        &empty
    });
    if nodes.len() != regions.len() {
        fail(format!("{} nodes for {} regions", nodes.len(), regions.len()));
    }
    for (i, (node, (region, c))) in nodes.iter().zip(regions.iter().zip(checked)).enumerate() {
        let mut node_fail = |m: String| fail(format!("node {i}: {m}"));
        known_keys(node, "it", NODE, &mut node_fail);
        check_node(i, node, region, c.as_ref(), &mut node_fail);
    }
    let count = pieces.iter().max().map_or(0, |m| m + 1);
    if graph.get("pieces").and_then(Value::as_u64) != Some(count as u64) {
        fail(format!("`pieces` is {:?}, but there are {count} linear pieces", graph.get("pieces")));
    }
    let listed = graph.get("edges").and_then(Value::as_array).unwrap_or_else(|| {
        fail("no `edges` list".into());
        &empty
    });
    check_edges(net, listed, checked, edges, &mut fail);
    report.failures.extend(failures);
    if nodes.len() == regions.len() {
        compare_pieces(&stated_pieces(nodes), pieces, "graph: node", report);
    }
    report.edges = edges.len();
}

/// Node `i` says what region `i` says (whose fields are checked with the region).
fn check_node(
    i: usize,
    node: &Value,
    region: &Value,
    c: Option<&CheckedRegion>,
    fail: &mut impl FnMut(String),
) {
    if node.get("id").and_then(Value::as_u64) != Some(i as u64) {
        fail("its `id` is not its position".into());
    }
    if pattern_of(node).is_none() || pattern_of(node) != pattern_of(region) {
        fail(format!("its pattern is not region {i}'s"));
    }
    let bounded = node.get("bounded").and_then(Value::as_bool);
    if bounded.is_none() || bounded != region.get("bounded").and_then(Value::as_bool) {
        fail(format!("its `bounded` is not region {i}'s"));
    }
    let Some(c) = c else { return }; // the region itself failed
    let point = node.get("point").and_then(vector);
    if point.as_ref() != Some(&c.point) {
        fail(format!("its point is not region {i}'s"));
    }
    let (jac, off) = &c.map;
    if node.get("jacobian").and_then(matrix).as_ref() != Some(jac)
        || node.get("offset").and_then(vector).as_ref() != Some(off)
    {
        fail("its affine map differs from exact evaluation".into());
    }
    check_floats(node, &c.point, jac, off, fail);
}

/// The edges: sorted by `(source, target)` with `source < target`, exactly the facet-sharing
/// pairs, each field checked.
fn check_edges(
    net: &Network,
    listed: &[Value],
    checked: &[Option<CheckedRegion>],
    edges: &Edges,
    fail: &mut impl FnMut(String),
) {
    let mut previous: Option<(u64, u64)> = None;
    let mut stated = std::collections::BTreeSet::new();
    for (e, edge) in listed.iter().enumerate() {
        let mut edge_fail = |m: String| fail(format!("edge {e}: {m}"));
        known_keys(edge, "it", EDGE, &mut edge_fail);
        let (Some(a), Some(b)) =
            (edge.get("source").and_then(Value::as_u64), edge.get("target").and_then(Value::as_u64))
        else {
            edge_fail("no `source` and `target` ids".into());
            continue;
        };
        if a >= b || previous.is_some_and(|p| p >= (a, b)) {
            edge_fail(format!(
                "{a}-{b} is out of order (edges are sorted by (source, target), source < target, each once)"
            ));
        }
        previous = Some((a, b));
        let key = (a.min(b) as usize, a.max(b) as usize);
        stated.insert(key);
        let Some(&(ka, kb)) = edges.get(&key) else {
            edge_fail(format!("regions {a} and {b} share no facet"));
            continue;
        };
        let (Some(x), Some(y)) = (&checked[key.0], &checked[key.1]) else { continue };
        let want = crossed(net, &x.states, &y.states);
        if neurons(edge.get("neurons")).as_ref() != Some(&want) || edge.get("neurons").is_none() {
            let names: Vec<String> = want.iter().map(|(l, i)| format!("L{l}.{i}")).collect();
            edge_fail(format!("its `neurons` must be those whose state differs: [{}]", names.join(", ")));
        }
        if edge.get("same_map").and_then(Value::as_bool) != Some(x.map == y.map) {
            edge_fail(format!("`same_map` must be {}", x.map == y.map));
        }
        let point = edge.get("point").and_then(vector).filter(|p| p.len() == net.input_dim());
        if !point.is_some_and(|p| in_shared_facet(&p, x, ka) && in_shared_facet(&p, y, kb)) {
            edge_fail("its point is not in the relative interior of the shared facet".into());
        }
    }
    for (a, b) in edges.keys().filter(|k| !stated.contains(k)) {
        fail(format!("regions {a} and {b} share a facet, but edge {a}-{b} is missing"));
    }
}

/// The neurons `(layer, index)` whose states differ between two patterns (for a max unit
/// whose winner changes: the old winner and the new).
fn crossed(net: &Network, x: &[Vec<bool>], y: &[Vec<bool>]) -> Vec<(usize, usize)> {
    let stated = net.layers().iter().enumerate().filter(|(_, l)| l.activation.has_states()).map(|(i, _)| i);
    let mut out = Vec::new();
    for ((bx, by), layer) in x.iter().zip(y).zip(stated) {
        out.extend(bx.iter().zip(by).enumerate().filter(|(_, (u, v))| u != v).map(|(i, _)| (layer, i)));
    }
    out
}

/// Whether `p` lies on listed inequality `k` of the region and strictly inside its other listed
/// inequalities (they are its facets, checked): the relative interior of that facet.
fn in_shared_facet(p: &[Q], c: &CheckedRegion, k: usize) -> bool {
    let at = integer_point(p);
    c.listed.iter().enumerate().all(|(j, l)| {
        let Some(l) = l else { return false };
        let sign = super::constraints::ExactRow::new(&l.row).slack_sign(&at);
        if j == k {
            sign == Ordering::Equal
        } else {
            sign == Ordering::Greater
        }
    })
}
