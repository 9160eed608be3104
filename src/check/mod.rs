//! `check`: an independent checker of a whole answer (`regions --json`, and optionally the
//! `graph --format json` output), deciding only in exact rational arithmetic. It shares no
//! enumeration code and no float filter: floats at most propose an LP basis whose Farkas vector
//! is then checked by exact sums.
//!
//! What a passing check proves (see docs/algorithm.md):
//! - each region (module `check::region`): its point is strictly inside, its pattern and affine map
//!   are the network's there, its inequalities are facet-defining and imply every constraint of
//!   its pattern;
//! - the regions tile the domain: the patterns are pairwise distinct (interiors disjoint), and
//!   across every facet not on the domain's boundary the checker computes the pattern on the
//!   other side itself (exact lexicographic signs at the facet point along the outward normal)
//!   and finds it among the listed regions. The union of the regions is then closed under
//!   crossing facets, so it is the whole (connected) domain: a missing region is always found;
//! - every `bounded` flag: true on a bounded domain, else a checked ray or checked boundedness
//!   duals ([`crate::certify::recession_ray`] in exact arithmetic);
//! - with the graph: its nodes are the regions (same ids and patterns), its edges exactly the
//!   facet-sharing pairs found above, and its pieces the components over edges with equal maps;
//! - a partial answer (`"complete": false`) fails unless `partial` is set (then coverage, edges
//!   and pieces cannot be checked and are not).

mod certificates;
mod int_map;
pub mod proof;
mod proof_cases;
mod region;
mod whole;

use crate::network::Network;
use region::{check_region, CheckedRegion, Row};
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
/// use relu_regions::{analysis::analyze, check::check_regions, enumerate::Enumerator};
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
/// let graph: serde_json::Value = serde_json::from_str(&graph_json(&a.regions, &a.graph, true, None)).unwrap();
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
    let Some(regions) = doc.get("regions").and_then(Value::as_array) else {
        report.fail(None, "no `regions` array");
        return report;
    };
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
        return report;
    }
    let whole = complete == Some(true) && !options.partial;
    let domain: Vec<Row> = net.domain().halfspaces(net.input_dim()).into_iter().collect();
    let domain_bounded = whole::domain_is_bounded(net, &domain);
    let one = |region: &Value| -> (Vec<Failure>, Option<CheckedRegion>) {
        let id = region.get("id").and_then(Value::as_u64);
        let mut failures = Vec::new();
        let mut fail = |message: String| failures.push(Failure { region: id, message });
        let Some(pattern) = whole::pattern_of(region) else {
            fail("missing or malformed `pattern`".into());
            return (failures, None);
        };
        // the run's stop token ([`crate::stop`]): a region not checked, or checked while the
        // run had to stop (a solve that gave up fails it), counts as not checked
        if crate::stop::requested() {
            return (Vec::new(), None);
        }
        let checked = check_region(net, &domain, region, &pattern, &mut fail);
        if let Some(c) = &checked {
            whole::check_bounded(region, c, domain_bounded, net.input_dim(), &mut fail);
        }
        if !failures.is_empty() && crate::stop::requested() {
            return (Vec::new(), None);
        }
        (failures, checked)
    };
    let outcomes: Vec<(Vec<Failure>, Option<CheckedRegion>)> =
        crate::parallel::map_chunks(regions, options.threads.max(1), 8, |part| {
            part.iter().map(one).collect::<Vec<_>>()
        })
        .concat();
    let mut checked = Vec::with_capacity(outcomes.len());
    for (failures, c) in outcomes {
        report.failures.extend(failures);
        if let Some(c) = &c {
            report.regions += 1;
            report.inequalities += c.listed.len();
        }
        checked.push(c);
    }
    whole::check_ids_and_patterns(regions, &mut report);
    // stopped: what needs every region is not checked
    if !whole || crate::stop::requested() {
        return report;
    }
    let before = report.failures.len();
    let edges = whole::check_coverage(net, &domain, regions, &checked, options.threads, &mut report);
    if crate::stop::requested() {
        report.failures.truncate(before); // a facet left out looks seen from one side only
        return report;
    }
    whole::check_pieces_in_regions(regions, &checked, &edges, &mut report);
    if let Some(graph) = graph {
        whole::check_graph(graph, regions, &checked, &edges, &mut report);
    }
    report
}
