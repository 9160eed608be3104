//! The jobs that list regions: the `regions --jsonl` stream, the `regions --json` and
//! `graph --format json` documents, and the plot document of a 2-input network.

use crate::analysis::{stream_with_facets, Analysis};
use crate::enumerate::{Enumerator, Summary};
use crate::error::InternalError;
use crate::exact::num::to_f64;
use crate::export::json::{self, JsonLines};
use crate::export::provenance::Provenance;
use crate::network::Network;
use crate::queries::plane::{drawn_partition, polygon};

/// Streams every region of `net` with its facets to `out` as JSON lines, then the summary line
/// (the one writer, [`JsonLines`], for the CLI and Python). A failed write stops the run and is
/// the summary's `sink_error`.
///
/// # Examples
/// ```
/// use relu_regions::{jobs, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [
///     {"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
/// let mut out = Vec::new();
/// let summary = jobs::stream_regions(&net, &Enumerator::builder().build(), None, &mut out).unwrap();
/// assert_eq!(summary.regions(), 2);
/// let text = String::from_utf8(out).unwrap();
/// let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
/// assert_eq!((last["summary"]["regions"].as_u64(), last["summary"]["complete"].as_bool()), (Some(2), Some(true)));
/// ```
///
/// # Errors
/// An exact check failed.
pub fn stream_regions<W: std::io::Write>(
    net: &Network,
    enumerator: &Enumerator,
    provenance: Option<Provenance>,
    out: W,
) -> Result<Summary, InternalError> {
    stream_with_facets(net, enumerator, &mut JsonLines::new(out, provenance))
}

/// The `regions --json` document of an analysis, with exact sizes when `sizes_samples` is given
/// (volumes of the regions whose facets are certified; the caller's stop token bounds them).
///
/// # Examples
/// ```
/// use relu_regions::{analyze, jobs, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "domain": {"box": [["-1", "1"]]}, "layers": [
///     {"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let doc = jobs::regions_document(&net, &a, None, Some(0));
/// assert_eq!(doc["regions"].as_array().unwrap().len(), 2);
/// assert!(doc["regions"][0]["size"]["inradius"].is_string()); // [-1, 0] and [0, 1]
/// ```
pub fn regions_document(
    net: &Network,
    a: &Analysis,
    provenance: Option<&Provenance>,
    sizes_samples: Option<usize>,
) -> serde_json::Value {
    let mut doc = json::regions_document(net, a, provenance);
    if let Some(samples) = sizes_samples {
        let n = a.facets_certified;
        let s = crate::queries::sizes::region_sizes(net, &a.regions[..n], &a.facets[..n], samples, 1);
        crate::export::answers::add_sizes(&mut doc, &s, net.input_dim());
    }
    doc
}

/// What a job that writes as it goes returns: the run's summary, and the writer's own result
/// (an error cuts the answer short; the summary is still the run's).
pub type Written = (Summary, std::io::Result<()>);

/// `regions --json`: writes the regions document of `net` to `out`. Without sizes it is written
/// while the regions are enumerated, at the memory of `count` with the graph: each region, once
/// its facets are certified, is spilled to a temporary file and kept only as the compact
/// record that numbers the pieces; at the end the regions are copied to `out` with their
/// pieces (the bytes of the held analysis's document; a run stopped by its time limit or
/// Ctrl-C lists the regions whose facets were certified before the stop). With sizes (when
/// `sizes_samples` is given, polling `stop`), or when no temporary file can be made, the
/// analysis is held and written a region at a time
/// ([`crate::export::stream::write_regions_json`]).
///
/// # Examples
/// ```
/// use relu_regions::{jobs, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "domain": {"box": [["-1", "1"]]}, "layers": [
///     {"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
/// let (mut out, stop) = (Vec::new(), relu_regions::jobs::StopToken::new(None, None));
/// let (summary, written) =
///     jobs::write_regions_json(&net, &Enumerator::builder().build(), None, Some(0), &stop, &mut out).unwrap();
/// assert!(summary.complete() && written.is_ok());
/// let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(doc, jobs::regions_document(&net, &relu_regions::analyze(&net, &Enumerator::builder().build()).unwrap(), None, Some(0)));
/// ```
///
/// # Errors
/// An exact check failed.
pub fn write_regions_json<W: std::io::Write>(
    net: &Network,
    enumerator: &Enumerator,
    provenance: Option<&Provenance>,
    sizes_samples: Option<usize>,
    stop: &crate::runtime::stop::StopToken,
    out: W,
) -> Result<Written, InternalError> {
    if sizes_samples.is_none() {
        // at the memory of counting, unless no temporary file can be made
        if let Ok(spill) = crate::export::spill::RegionsSpill::new(net) {
            return streamed_regions_json(net, enumerator, provenance, spill, out);
        }
    }
    let a = crate::analysis::analyze(net, enumerator)?;
    let sizes = sizes_samples.map(|samples| {
        let _stop = stop.install();
        let n = a.facets_certified;
        crate::queries::sizes::region_sizes(net, &a.regions[..n], &a.facets[..n], samples, 1)
    });
    let written = crate::export::stream::write_regions_json(out, net, &a, provenance, sizes.as_deref());
    Ok((a.summary, written))
}

/// `regions --json` without sizes: the regions spilled with their facets as they are
/// enumerated (in id order), each kept only as the record that numbers the pieces
/// ([`crate::analysis::graph_counts::pieces`]), then copied to `out` with their pieces.
fn streamed_regions_json<W: std::io::Write>(
    net: &Network,
    enumerator: &Enumerator,
    provenance: Option<&Provenance>,
    mut spill: crate::export::spill::RegionsSpill<'_>,
    out: W,
) -> Result<Written, InternalError> {
    let mut push = |r: &crate::analysis::FacetedRegion| spill.push(&r.region, &r.facets);
    let streamed = crate::analysis::graph_counts::pieces::stream_with_pieces(net, enumerator, &mut push)?;
    let complete = streamed.summary.complete();
    let written = streamed
        .written
        .and_then(|()| spill.finish(out, complete, provenance, net.input_dim(), &streamed.piece_of));
    Ok((streamed.summary, written))
}

/// The wire forms of `graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphForm {
    /// Graphviz DOT; `exact_labels` writes each edge's facet as its exact inequality.
    Dot {
        /// Label edges with exact inequalities.
        exact_labels: bool,
    },
    /// The `graph --format json` document.
    Json,
}

/// `graph`: writes the adjacency graph of `net` to `out`, at the memory of `count` with the
/// graph: each region, once its facets are certified, is spilled to a temporary file as its
/// node (and its facet points) and kept only as the compact record that numbers the pieces and
/// lists the edges; at the end the nodes are copied to `out` with their pieces, then the edges
/// in order (the bytes of the held analysis's graph; a run stopped by its time limit or Ctrl-C
/// lists the regions whose facets were certified before the stop, and the edges among them).
/// When no temporary file can be made, the analysis is held and written a node or an edge at a
/// time.
///
/// # Examples
/// ```
/// use relu_regions::{jobs::{self, GraphForm}, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#).unwrap();
/// let mut out = Vec::new();
/// let (summary, written) = jobs::write_graph(&net, &Enumerator::builder().build(), GraphForm::Json, None, &mut out).unwrap();
/// assert!(summary.complete() && written.is_ok());
/// let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(doc["edges"].as_array().unwrap().len(), 4);
/// let mut dot = Vec::new();
/// jobs::write_graph(&net, &Enumerator::builder().build(), GraphForm::Dot { exact_labels: false }, None, &mut dot).unwrap();
/// assert!(String::from_utf8(dot).unwrap().starts_with("graph regions {"));
/// ```
///
/// # Errors
/// An exact check failed.
pub fn write_graph<W: std::io::Write>(
    net: &Network,
    enumerator: &Enumerator,
    form: GraphForm,
    provenance: Option<&Provenance>,
    mut out: W,
) -> Result<Written, InternalError> {
    let dot = match form {
        GraphForm::Dot { exact_labels } => Some(exact_labels),
        GraphForm::Json => None,
    };
    // at the memory of counting, unless no temporary file can be made
    if let Ok(spill) = crate::export::graph_spill::GraphSpill::new(dot) {
        return streamed_graph(net, enumerator, provenance, spill, out);
    }
    let a = crate::analysis::analyze(net, enumerator)?;
    let written = match form {
        GraphForm::Dot { exact_labels } => {
            crate::export::dot::write_graph_dot(&mut out, &a.regions, &a.graph, exact_labels)
        }
        GraphForm::Json => crate::export::stream::write_graph_json(
            &mut out,
            &a.regions,
            &a.graph,
            a.summary.complete(),
            provenance,
        ),
    };
    Ok((a.summary, written))
}

/// `graph` at the memory of counting: the nodes spilled as the regions are enumerated (in id
/// order), each region kept only as its compact record, then the nodes copied to `out` with
/// their pieces and the edges listed from the records
/// ([`crate::analysis::graph_counts::pieces::stream_with_graph`]).
fn streamed_graph<W: std::io::Write>(
    net: &Network,
    enumerator: &Enumerator,
    provenance: Option<&Provenance>,
    mut spill: crate::export::graph_spill::GraphSpill,
    out: W,
) -> Result<Written, InternalError> {
    let mut push = |r: &crate::analysis::FacetedRegion| spill.push(&r.region, &r.facets);
    let mut g = crate::analysis::graph_counts::pieces::stream_with_graph(net, enumerator, &mut push)?;
    let complete = g.streamed.summary.complete();
    let written = std::mem::replace(&mut g.streamed.written, Ok(()))
        .and_then(|()| spill.finish(out, net, &g, complete, provenance));
    Ok((g.streamed.summary, written))
}

/// The `graph --format json` document of an analysis.
///
/// # Examples
/// ```
/// use relu_regions::{analyze, jobs, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#).unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let doc: serde_json::Value = serde_json::from_str(&jobs::graph_document(&a, None)).unwrap();
/// assert_eq!(doc["edges"].as_array().unwrap().len(), 4);
/// ```
pub fn graph_document(a: &Analysis, provenance: Option<&Provenance>) -> String {
    json::graph_json(&a.regions, &a.graph, a.summary.complete(), provenance)
}

/// What a picture of a 2-input network needs: each region's id, pattern, piece, colour and
/// polygon (float vertices for drawing; the exact partition is `regions --json`), the piece
/// count, and whether the run was complete. On an unbounded domain the window is chosen from
/// the bounded regions' vertices ([`drawn_partition`]).
///
/// # Examples
/// ```
/// use relu_regions::{jobs, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#).unwrap();
/// let doc = jobs::plot_document(&net, &Enumerator::builder().build()).unwrap();
/// assert_eq!((doc["regions"].as_array().unwrap().len(), doc["pieces"].as_u64()), (4, Some(4)));
/// ```
///
/// # Errors
/// An exact check failed.
pub fn plot_document(net: &Network, enumerator: &Enumerator) -> Result<serde_json::Value, InternalError> {
    let a = drawn_partition(net, enumerator)?;
    let colours = crate::export::piece_colours(&a.graph);
    let regions: Vec<serde_json::Value> = a
        .regions
        .iter()
        .zip(&a.facets)
        .map(|(r, f)| {
            let vertices: Vec<[f64; 2]> = if f.is_empty() {
                Vec::new()
            } else {
                polygon(r, f).iter().map(|v| [to_f64(&v[0]), to_f64(&v[1])]).collect()
            };
            let piece = a.graph.piece_of[r.id];
            // the map in floats, for drawing outputs and classes (Python's plot)
            let floats = |v: &[crate::exact::num::Q]| v.iter().map(to_f64).collect::<Vec<_>>();
            let jacobian: Vec<_> = r.map.jacobian.iter().map(|row| floats(row)).collect();
            serde_json::json!({"id": r.id, "pattern": r.pattern_strings(), "piece": piece,
                               "colour": colours[piece], "polygon": vertices,
                               "jacobian_f64": jacobian, "offset_f64": floats(&r.map.offset)})
        })
        .collect();
    Ok(serde_json::json!({"regions": regions, "pieces": a.graph.pieces, "complete": a.summary.complete()}))
}
