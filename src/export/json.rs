//! JSON wire forms (serde structs with rationals as strings), kept apart from the domain types.

use super::labels::FacetLabels;
use crate::analysis::facets::Facet;
use crate::analysis::graph::RegionGraph;
use crate::enumerate::region::{NeuronId, Region};
use crate::exact::num::{fmt_q, Q};
use serde::Serialize;

/// Rationals as strings.
fn qs(v: &[Q]) -> Vec<String> {
    v.iter().map(fmt_q).collect()
}

/// The nearest floats, for plotting and numpy (never used to decide anything).
fn floats(v: &[Q]) -> Vec<f64> {
    crate::kernel::images(v)
}

/// A neuron on the wire.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct NeuronOut {
    /// Layer index in the network.
    pub layer: usize,
    /// Neuron index in the layer.
    pub index: usize,
}

impl From<NeuronId> for NeuronOut {
    fn from(n: NeuronId) -> Self {
        NeuronOut { layer: n.layer, index: n.index }
    }
}

/// An inequality `a . x <= b` on the wire, with its origin.
#[derive(Debug, Serialize)]
pub struct InequalityOut {
    /// Normal.
    pub a: Vec<String>,
    /// Right-hand side.
    pub b: String,
    /// The neuron(s) whose hyperplane this is (several when duplicates coincide).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub neurons: Vec<NeuronOut>,
    /// The domain rows this is (when on the domain's boundary).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domain_rows: Vec<usize>,
    /// A rational point in the facet's relative interior.
    pub facet_point: Vec<String>,
}

/// A region on the wire.
#[derive(Debug, Serialize)]
pub struct RegionOut {
    /// Region id.
    pub id: usize,
    /// One 0/1 string per hidden layer.
    pub pattern: Vec<String>,
    /// Exact interior point.
    pub point: Vec<String>,
    /// The non-redundant inequalities (facets).
    pub inequalities: Vec<InequalityOut>,
    /// Jacobian rows (one per output).
    pub jacobian: Vec<Vec<String>>,
    /// Offset.
    pub offset: Vec<String>,
    /// Whether the region is bounded.
    pub bounded: bool,
    /// Linear piece id (when the graph was built).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub piece: Option<usize>,
    /// `point` as the nearest floats.
    pub point_f64: Vec<f64>,
    /// `jacobian` as the nearest floats.
    pub jacobian_f64: Vec<Vec<f64>>,
    /// `offset` as the nearest floats.
    pub offset_f64: Vec<f64>,
    /// `true` when the run was stopped before this region's facets were certified (then
    /// `inequalities` is empty); absent otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub facets_uncertified: bool,
}

impl RegionOut {
    /// The wire form of a region with its facets, each inequality labelled with every neuron
    /// and domain row tight on its facet ([`super::labels`]).
    ///
    /// See the example on [`crate::export::read::region_from_wire`].
    pub fn new(labels: &FacetLabels, region: &Region, facets: &[Facet], piece: Option<usize>) -> RegionOut {
        let inequalities = facets
            .iter()
            .zip(labels.of(region, facets))
            .map(|(f, (neurons, domain_rows))| {
                let rep = &region.constraints[f.constraints[0]].halfspace;
                InequalityOut {
                    a: qs(&rep.a),
                    b: fmt_q(&rep.b),
                    neurons: neurons.into_iter().map(Into::into).collect(),
                    domain_rows,
                    facet_point: qs(&f.point),
                }
            })
            .collect();
        RegionOut {
            id: region.id,
            pattern: region.pattern_strings(),
            point: qs(&region.point),
            inequalities,
            jacobian: region.map.jacobian.iter().map(|r| qs(r)).collect(),
            offset: qs(&region.map.offset),
            bounded: region.bounded,
            piece,
            point_f64: floats(&region.point),
            jacobian_f64: region.map.jacobian.iter().map(|r| floats(r)).collect(),
            offset_f64: floats(&region.map.offset),
            facets_uncertified: false,
        }
    }
}

/// The counts on the wire (`count --json`).
#[derive(Debug, Serialize, Default)]
pub struct CountsOut {
    /// Full-dimensional regions.
    pub regions: usize,
    /// Linear pieces (absent with `--no-graph`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pieces: Option<usize>,
    /// Edges (absent with `--no-graph`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edges: Option<usize>,
    /// Bounded regions.
    pub bounded: usize,
    /// Input dimension.
    pub input_dim: usize,
    /// Distinct affine maps (absent with `--no-graph`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinct_maps: Option<usize>,
    /// Hidden neurons.
    pub hidden_neurons: usize,
    /// Whether the enumeration ran to the end.
    pub complete: bool,
    /// Why it stopped, when incomplete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// LPs solved (centring LPs and bound LPs).
    pub lps: u64,
    /// Of those, the small bound LPs `min h` over a region of a box (their multipliers only
    /// count when a safe dual bound proves the answer).
    pub bound_lps: u64,
    /// Centring LPs decided by the exact rational simplex.
    pub exact_fallbacks: u64,
    /// Where the counts came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<super::provenance::Provenance>,
}

impl CountsOut {
    /// The counts of a run: from a counting run (`analysis` absent: no edges, pieces or maps)
    /// or from the full analysis.
    ///
    /// See the example on [`crate::export::text::counts`].
    pub fn new(
        net: &crate::network::Network,
        summary: &crate::enumerate::Summary,
        regions: usize,
        bounded: usize,
        analysis: Option<&crate::analysis::Analysis>,
    ) -> CountsOut {
        CountsOut {
            regions,
            pieces: analysis.map(|a| a.graph.pieces),
            edges: analysis.map(crate::analysis::Analysis::edges),
            bounded,
            input_dim: net.input_dim(),
            distinct_maps: analysis.map(|a| a.graph.distinct_maps),
            hidden_neurons: net.hidden_neurons(),
            complete: summary.complete(),
            stopped: summary.stopped.map(|r| format!("{r:?}")),
            lps: summary.stats.lps,
            bound_lps: summary.stats.bound_lps,
            exact_fallbacks: summary.stats.exact_fallbacks,
            provenance: None,
        }
    }
}

impl CountsOut {
    /// The counts of `count` with the graph, from [`crate::analysis::graph_counts::count_graph`].
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{export::json::CountsOut, analysis::graph_counts::count_graph, Enumerator, Network};
    /// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
    ///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#).unwrap();
    /// let c = CountsOut::from_graph_counts(&net, &count_graph(&net, &Enumerator::builder().build()).unwrap());
    /// assert_eq!((c.regions, c.edges, c.pieces, c.distinct_maps), (4, Some(4), Some(4), Some(4)));
    /// ```
    pub fn from_graph_counts(
        net: &crate::network::Network,
        c: &crate::analysis::graph_counts::GraphCounts,
    ) -> CountsOut {
        CountsOut {
            pieces: Some(c.pieces),
            edges: Some(c.edges),
            distinct_maps: Some(c.distinct_maps),
            ..CountsOut::new(net, &c.summary, c.regions, c.bounded, None)
        }
    }
}

/// A graph node on the wire.
#[derive(Debug, Serialize)]
pub struct NodeOut {
    /// Region id.
    pub id: usize,
    /// Pattern strings.
    pub pattern: Vec<String>,
    /// Linear piece.
    pub piece: usize,
    /// Bounded or not.
    pub bounded: bool,
    /// Jacobian rows.
    pub jacobian: Vec<Vec<String>>,
    /// Offset.
    pub offset: Vec<String>,
    /// Interior point.
    pub point: Vec<String>,
    /// `point` as the nearest floats.
    pub point_f64: Vec<f64>,
    /// `jacobian` as the nearest floats.
    pub jacobian_f64: Vec<Vec<f64>>,
    /// `offset` as the nearest floats.
    pub offset_f64: Vec<f64>,
}

/// A graph edge on the wire.
#[derive(Debug, Serialize)]
pub struct EdgeOut {
    /// Smaller region id.
    pub source: usize,
    /// Larger region id.
    pub target: usize,
    /// Neurons crossed.
    pub neurons: Vec<NeuronOut>,
    /// Whether the affine maps agree (the edge lies inside one linear piece).
    pub same_map: bool,
    /// A rational point in the shared facet.
    pub point: Vec<String>,
}

/// The graph on the wire.
#[derive(Debug, Serialize)]
pub struct GraphOut {
    /// Nodes by id.
    pub nodes: Vec<NodeOut>,
    /// Edges sorted by (source, target).
    pub edges: Vec<EdgeOut>,
    /// Number of linear pieces.
    pub pieces: usize,
    /// Whether the enumeration was complete.
    pub complete: bool,
    /// Where the graph came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<super::provenance::Provenance>,
}

/// Sorted edges `(source, target, info)` of a graph.
pub(crate) fn sorted_edges(g: &RegionGraph) -> Vec<(usize, usize, &crate::analysis::graph::EdgeInfo)> {
    let mut edges: Vec<_> = g
        .graph
        .edge_indices()
        .map(|e| {
            let (a, b) = g.graph.edge_endpoints(e).expect("edge exists");
            let (a, b) = (a.index().min(b.index()), a.index().max(b.index()));
            (a, b, &g.graph[e])
        })
        .collect();
    edges.sort_by_key(|&(a, b, _)| (a, b));
    edges
}

/// The graph as JSON (`graph --format json`).
///
/// See the example on [`crate::check::check_answer`].
pub fn graph_json(
    regions: &[Region],
    g: &RegionGraph,
    complete: bool,
    provenance: Option<&super::provenance::Provenance>,
) -> String {
    let nodes = regions.iter().map(|r| node_out(r, g)).collect();
    let edges =
        sorted_edges(g).into_iter().map(|(source, target, info)| edge_out(source, target, info)).collect();
    to_json(&GraphOut { nodes, edges, pieces: g.pieces, complete, provenance: provenance.cloned() })
}

/// A region as a graph node on the wire.
pub(crate) fn node_out(r: &Region, g: &RegionGraph) -> NodeOut {
    node_in_piece(r, g.piece_of[r.id])
}

/// A region as a graph node on the wire, in linear piece `piece`.
pub(crate) fn node_in_piece(r: &Region, piece: usize) -> NodeOut {
    NodeOut {
        id: r.id,
        pattern: r.pattern_strings(),
        piece,
        bounded: r.bounded,
        jacobian: r.map.jacobian.iter().map(|row| qs(row)).collect(),
        offset: qs(&r.map.offset),
        point: qs(&r.point),
        point_f64: floats(&r.point),
        jacobian_f64: r.map.jacobian.iter().map(|row| floats(row)).collect(),
        offset_f64: floats(&r.map.offset),
    }
}

/// A graph edge on the wire from its parts (the point as its exact strings).
pub(crate) fn edge_with_point(
    source: usize,
    target: usize,
    neurons: &[NeuronId],
    same_map: bool,
    point: Vec<String>,
) -> EdgeOut {
    EdgeOut { source, target, neurons: neurons.iter().copied().map(Into::into).collect(), same_map, point }
}

/// A graph edge on the wire.
pub(crate) fn edge_out(source: usize, target: usize, info: &crate::analysis::graph::EdgeInfo) -> EdgeOut {
    EdgeOut {
        source,
        target,
        neurons: info.neurons.iter().copied().map(Into::into).collect(),
        same_map: info.same_map,
        point: qs(&info.point),
    }
}

/// The `regions --json` document: the regions with their facets and pieces, whether the run
/// was complete, and where it came from (when known).
///
/// See the example on [`crate::check::check_answer`].
pub fn regions_document(
    net: &crate::network::Network,
    a: &crate::analysis::Analysis,
    provenance: Option<&super::provenance::Provenance>,
) -> serde_json::Value {
    let labels = FacetLabels::new(net);
    let wire: Vec<RegionOut> = a
        .regions
        .iter()
        .zip(&a.facets)
        .map(|(r, f)| RegionOut {
            facets_uncertified: r.id >= a.facets_certified,
            ..RegionOut::new(&labels, r, f, Some(a.graph.piece_of[r.id]))
        })
        .collect();
    let mut doc = serde_json::json!({
        "input_dim": net.input_dim(),
        "complete": a.summary.complete(),
        "regions": wire,
    });
    if let Some(p) = provenance {
        doc["provenance"] = serde_json::to_value(p).expect("provenance serializes");
    }
    doc
}

/// Pretty JSON with a trailing newline.
///
/// # Examples
/// ```
/// assert_eq!(relu_regions::export::json::to_json(&serde_json::json!({"a": 1})), "{\n  \"a\": 1\n}\n");
/// ```
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("wire structs always serialize") + "\n"
}

/// The `regions --jsonl` writer: one region per line (with its facets), then a summary line
/// `{"summary": {"regions", "complete", "input_dim", "provenance"}}`; a failed write stops the
/// run and is its [`crate::enumerate::Summary::sink_error`].
pub struct JsonLines<W: std::io::Write> {
    out: W,
    input_dim: usize,
    provenance: Option<super::provenance::Provenance>,
    /// The network's facet labelling, from [`crate::enumerate::Sink::begin`] on.
    labels: Option<FacetLabels>,
}

impl<W: std::io::Write> JsonLines<W> {
    /// A writer to `out`, whose summary line records `provenance`.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{analysis::stream_with_facets, export::json::JsonLines, Enumerator, Network};
    /// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
    ///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#).unwrap();
    /// let mut out = Vec::new();
    /// let summary = stream_with_facets(&net, &Enumerator::builder().build(), &mut JsonLines::new(&mut out, None)).unwrap();
    /// assert!(summary.sink_error().is_none());
    /// let lines: Vec<serde_json::Value> = String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    /// assert_eq!(lines.len(), 5); // four regions, then the summary
    /// assert_eq!(lines[4]["summary"]["regions"], 4);
    /// ```
    pub fn new(out: W, provenance: Option<super::provenance::Provenance>) -> JsonLines<W> {
        JsonLines { out, input_dim: 0, provenance, labels: None }
    }
}

impl<W: std::io::Write> crate::enumerate::Sink<crate::analysis::FacetedRegion> for JsonLines<W> {
    fn begin(&mut self, net: &crate::network::Network) -> Result<(), crate::error::SinkError> {
        self.input_dim = net.input_dim();
        self.labels = Some(FacetLabels::new(net));
        Ok(())
    }

    fn item(
        &mut self,
        item: crate::analysis::FacetedRegion,
    ) -> Result<std::ops::ControlFlow<()>, crate::error::SinkError> {
        let Some(labels) = &self.labels else {
            return Err(std::io::Error::other("a region came before the network (no `begin`)").into());
        };
        let line = serde_json::to_string(&RegionOut::new(labels, &item.region, &item.facets, None))
            .expect("wire structs serialize");
        writeln!(self.out, "{line}")?;
        Ok(std::ops::ControlFlow::Continue(()))
    }

    fn finish(&mut self, summary: &crate::enumerate::Summary) -> Result<(), crate::error::SinkError> {
        let tail = serde_json::json!({"summary": {"regions": summary.regions, "complete": summary.complete(),
            "input_dim": self.input_dim, "provenance": self.provenance}});
        writeln!(self.out, "{tail}")?;
        self.out.flush()?;
        Ok(())
    }
}
