//! `check`: an independent checker of a whole answer (`regions --json`, and optionally the
//! `graph --format json` output), deciding only in exact rational arithmetic. It shares no
//! enumeration code and no float filter: floats at most propose an LP basis whose Farkas vector
//! is then checked by exact sums.
//!
//! What a passing check proves (see docs/algorithm.md; docs/format.md lists every field and
//! how it is checked):
//! - each region (module `check::region`): its point is strictly inside, its pattern and affine
//!   map are the network's there, its inequalities are exactly the non-redundant set of its
//!   constraints (each facet-defining, listed once, labelled with exactly the neurons and
//!   domain rows tight on it; every other constraint, domain rows included, implied), its
//!   `bounded` flag (a checked ray or checked boundedness duals), its nearest floats and, when
//!   given, its sizes (module `check::sizes`);
//! - the regions tile the domain: the patterns are pairwise distinct (interiors disjoint), and
//!   across every facet not on the domain's boundary the checker computes the pattern on the
//!   other side itself (exact lexicographic signs at the facet point along the outward normal)
//!   and finds it among the listed regions, which lists the facet too. The union of the regions
//!   is then closed under crossing facets, so it is the whole (connected) domain: a missing
//!   region is always found;
//! - the pieces are the components over the facet-sharing pairs with equal maps;
//! - with the graph (module `check::graph`): node `i` says what region `i` says, the edges are
//!   exactly the facet-sharing pairs in order, each with the neurons whose state differs, whether
//!   the maps are equal and a point in the relative interior of the shared facet;
//! - every object has only the fields of the format (an unknown field is an unchecked claim);
//! - a partial answer (`"complete": false`) fails unless `partial` is set (then coverage, edges
//!   and pieces cannot be checked and are not, and only then may a region's facets be
//!   uncertified).

mod axis_snap;
#[cfg(test)]
mod axis_snap_tests;
mod basis_split;
pub mod boundary;
mod boundary_order;
mod boundary_rational;
mod boundary_sets;
mod bounded;
mod box_farkas;
#[cfg(test)]
mod box_farkas_tests;
mod certificates;
mod compose;
#[cfg(test)]
mod compose_tests;
mod constraints;
mod counted;
pub mod faces;
mod farkas;
mod fields;
mod floats;
mod graph;
mod implied;
mod int_map;
mod int_vec;
mod kept;
pub mod lines;
mod moved;
pub mod proof;
mod proof_box;
mod proof_cases;
mod proof_pruned;
mod proof_region;
mod reduce;
mod region;
#[doc(hidden)]
pub mod signs;
mod sizes;
mod slacks;
pub mod stream;
mod whole;
mod wide;

use crate::network::Network;
use serde_json::Value;

/// One failed check, with the region it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Region id (or `None` for a document-level failure).
    pub region: Option<u64>,
    /// What failed.
    pub message: String,
}

/// The checker's verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Regions checked.
    pub regions: usize,
    /// Inequalities checked.
    pub inequalities: usize,
    /// Edges checked (0 without a graph).
    pub edges: usize,
    /// Every failure, in region order.
    pub failures: Vec<Failure>,
}

impl CheckReport {
    fn fail(&mut self, region: Option<u64>, message: impl Into<String>) {
        self.failures.push(Failure { region, message: message.into() });
    }
}

/// How to check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Accept a partial answer: check its regions, skip what needs all of them.
    pub partial: bool,
    /// Worker threads for the per-region checks (the report is the same for every count).
    pub threads: usize,
}

/// Checks a `regions --json` document against the network (one thread, complete answers only).
///
/// # Examples
/// ```
/// use relu_regions::{analysis::analyze, check::check_regions, Enumerator};
/// use relu_regions::export::json::regions_document;
/// use relu_regions::network::json::read_network;
/// let net = read_network(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#, "seed").unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let mut doc = regions_document(&net, &a, None);
/// assert!(check_regions(&net, &doc).failures.is_empty());
/// doc["regions"].as_array_mut().unwrap().pop(); // a region deleted: coverage fails
/// assert!(!check_regions(&net, &doc).failures.is_empty());
/// ```
pub fn check_regions(net: &Network, doc: &Value) -> CheckReport {
    check_answer(net, doc, None, CheckOptions { partial: false, threads: 1 })
}

/// Checks a whole answer: the regions document and, when given, the graph document.
///
/// # Examples
/// ```
/// use relu_regions::check::{check_answer, CheckOptions};
/// use relu_regions::export::json::{graph_json, regions_document};
/// use relu_regions::{analyze, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let doc = regions_document(&net, &a, None);
/// let graph: serde_json::Value = serde_json::from_str(&graph_json(&a.regions(), &a.graph(), true, None)).unwrap();
/// let report = check_answer(&net, &doc, Some(&graph), CheckOptions { partial: false, threads: 1 });
/// assert!(report.failures.is_empty());
/// assert_eq!((report.regions, report.edges), (4, 4));
/// // an answer with a region left out is refused
/// let mut short = doc.clone();
/// short["regions"].as_array_mut().unwrap().pop();
/// assert!(!check_answer(&net, &short, None, CheckOptions { partial: false, threads: 1 }).failures.is_empty());
/// ```
pub fn check_answer(net: &Network, doc: &Value, graph: Option<&Value>, options: CheckOptions) -> CheckReport {
    let mut report = CheckReport::default();
    let Some(header) = check_header(net, doc, graph.is_some(), options, &mut report) else { return report };
    let regions = doc.get("regions").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let checks = stream::RegionChecks::new(net, Some(header.partial), header.whole);
    let (mut failures, mut kept, mut full) = (Vec::new(), Vec::new(), Vec::new());
    for o in checks.check(regions, options.threads, graph.is_some()) {
        failures.extend(o.failures);
        kept.push(o.kept);
        full.push(o.full);
    }
    let graph = graph.map(|g| WithGraph { net, graph: g, regions, checked: &full });
    finish(&checks.layout, failures, kept, graph, header, report)
}

/// The graph to check with the answer, and the answer's regions whole.
struct WithGraph<'a> {
    net: &'a Network,
    graph: &'a Value,
    regions: &'a [Value],
    checked: &'a [Option<region::CheckedRegion>],
}

/// What the document says of itself, once its fields are checked.
#[derive(Clone, Copy)]
struct Header {
    /// Complete and checked as complete: coverage, edges and pieces are checked.
    whole: bool,
    /// The answer says it is partial (`"complete": false`).
    partial: bool,
}

/// The document's own fields; `None` when nothing more is checked (no regions, or a partial
/// answer not checked as one).
fn check_header(
    net: &Network,
    doc: &Value,
    has_graph: bool,
    options: CheckOptions,
    report: &mut CheckReport,
) -> Option<Header> {
    let mut fail = |m: String| report.fail(None, m);
    fields::known_keys(doc, "the document", fields::DOCUMENT, &mut fail);
    if doc.get("input_dim").and_then(Value::as_u64) != Some(net.input_dim() as u64) {
        fail(format!("`input_dim` is not the network's ({})", net.input_dim()));
    }
    if doc.get("regions").and_then(Value::as_array).is_none() {
        report.fail(None, "no `regions` array");
        return None;
    }
    let complete = doc.get("complete").and_then(Value::as_bool);
    if complete != Some(true) && !options.partial {
        let why = if complete == Some(false) {
            "the answer is partial (\"complete\": false)"
        } else {
            "the answer does not say it is complete"
        };
        report.fail(
            None,
            format!(
                "{why}: a partial answer proves no count; check it as a partial answer (its regions only)"
            ),
        );
        return None;
    }
    if complete.is_none() {
        report.fail(None, "`complete` is not a boolean");
    }
    let whole = complete == Some(true) && !options.partial;
    if has_graph && !whole {
        report
            .fail(None, "a graph is checked only with a complete answer checked as complete (not --partial)");
    }
    Some(Header { whole, partial: complete == Some(false) })
}

/// The regions' failures (in order) and what is kept of each, then what needs every region:
/// ids and distinct patterns, coverage, pieces and the graph.
fn finish(
    layout: &kept::Layout<'_>,
    failures: Vec<Failure>,
    kept: Vec<kept::Kept>,
    graph: Option<WithGraph<'_>>,
    header: Header,
    mut report: CheckReport,
) -> CheckReport {
    let whole = header.whole;
    report.failures.extend(region::resolve_deferred(failures, header.partial));
    for c in kept.iter().filter_map(|k| k.checked.as_ref()) {
        report.regions += 1;
        report.inequalities += c.inequalities;
    }
    whole::check_ids_and_patterns(&kept, layout, &mut report);
    // stopped: what needs every region is not checked
    if !whole || crate::runtime::stop::requested() {
        return report;
    }
    let before = report.failures.len();
    let edges = whole::check_coverage(&kept, layout, &mut report);
    if crate::runtime::stop::requested() {
        report.failures.truncate(before); // a facet left out looks seen from one side only
        return report;
    }
    let pieces = whole::pieces(&kept, &edges, layout);
    whole::check_pieces_in_regions(&kept, &pieces, &mut report);
    if let Some(g) = graph {
        graph::check_graph(g.net, g.graph, g.regions, g.checked, (&edges, &pieces), &mut report);
    }
    report
}
