//! Writers that write as they go: `regions --json` and `graph --format json` serialized one
//! region (node, edge) at a time into the output, never holding the document (its JSON tree or
//! its text). The bytes are the ones the whole-document writers gave: the same serde structs,
//! the same pretty printer, the same key order (a region's keys sorted, as its JSON value
//! sorts them).

use super::json::{edge_out, node_out, sorted_edges, RegionOut};
use super::labels::FacetLabels;
use super::provenance::Provenance;
use crate::analysis::graph::RegionGraph;
use crate::analysis::Analysis;
use crate::enumerate::region::Region;
use crate::network::Network;
use serde::ser::Serializer;
use serde::Serialize;
use serde_json::Value;
use std::cell::RefCell;
use std::io::Write;

/// A sequence serialized from an iterator as it is drawn (once).
struct Lazy<I>(RefCell<Option<I>>);

impl<I> Lazy<I> {
    fn new(items: I) -> Lazy<I> {
        Lazy(RefCell::new(Some(items)))
    }
}

impl<I: Iterator<Item = T>, T: Serialize> Serialize for Lazy<I> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items = self.0.borrow_mut().take().ok_or_else(|| serde::ser::Error::custom("drawn twice"))?;
        serializer.collect_seq(items)
    }
}

/// The `regions --json` document, keys in sorted order as the JSON value of the whole
/// document ordered them.
#[derive(Serialize)]
struct RegionsDocument<R> {
    complete: bool,
    input_dim: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<Value>,
    regions: R,
}

/// The graph document (the field order of [`super::json::GraphOut`]).
#[derive(Serialize)]
struct GraphDocument<N, E> {
    nodes: N,
    edges: E,
    pieces: usize,
    complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<Provenance>,
}

/// Writes pretty JSON and a trailing newline, as [`super::json::to_json`] formats it.
fn write_pretty<W: Write, T: Serialize>(mut out: W, value: &T) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Writes the `regions --json` document of `a` to `out` as it goes, one region at a time
/// (with its `size` when `sizes` gives the sizes of the first regions): the bytes of
/// [`super::json::regions_document`] (with [`super::answers::add_sizes`]) pretty-printed.
///
/// # Examples
/// ```
/// use relu_regions::{analyze, Enumerator, Network};
/// use relu_regions::export::{json, stream};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let mut out = Vec::new();
/// stream::write_regions_json(&mut out, &net, &a, None, None).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), json::to_json(&json::regions_document(&net, &a, None)));
/// ```
pub fn write_regions_json<W: Write>(
    out: W,
    net: &Network,
    a: &Analysis,
    provenance: Option<&Provenance>,
    sizes: Option<&[crate::queries::sizes::RegionSize]>,
) -> std::io::Result<()> {
    let labels = FacetLabels::new(net);
    let dim = net.input_dim();
    let regions = a.regions.iter().zip(&a.facets).map(|(r, f)| {
        let wire = RegionOut {
            facets_uncertified: r.id >= a.facets_certified,
            ..RegionOut::new(&labels, r, f, Some(a.graph.piece_of[r.id]))
        };
        // through a JSON value: its keys sorted, as in the whole document
        let mut value = serde_json::to_value(wire).expect("wire structs always serialize");
        if let Some(size) = sizes.and_then(|s| s.get(r.id)) {
            value["size"] = super::answers::size_value(size, dim);
        }
        value
    });
    let doc = RegionsDocument {
        complete: a.summary.complete(),
        input_dim: dim,
        provenance: provenance.map(|p| serde_json::to_value(p).expect("provenance serializes")),
        regions: Lazy::new(regions),
    };
    write_pretty(out, &doc)
}

/// Writes the `graph --format json` document to `out` as it goes, one node and one edge at a
/// time: the bytes of [`super::json::graph_json`].
///
/// # Examples
/// ```
/// use relu_regions::{analyze, Enumerator, Network};
/// use relu_regions::export::{json, stream};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let mut out = Vec::new();
/// stream::write_graph_json(&mut out, &a.regions(), &a.graph(), true, None).unwrap();
/// let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(doc["nodes"].as_array().unwrap().len(), 4);
/// ```
pub fn write_graph_json<W: Write>(
    out: W,
    regions: &[Region],
    g: &RegionGraph,
    complete: bool,
    provenance: Option<&Provenance>,
) -> std::io::Result<()> {
    let doc = GraphDocument {
        nodes: Lazy::new(regions.iter().map(|r| node_out(r, g))),
        edges: Lazy::new(
            sorted_edges(g).into_iter().map(|(source, target, info)| edge_out(source, target, info)),
        ),
        pieces: g.pieces,
        complete,
        provenance: provenance.cloned(),
    };
    write_pretty(out, &doc)
}
