//! Issue 35 point 3: the `graph` job writes while it enumerates (nodes and facet points spilled,
//! pieces numbered and edges listed at the end from count's compact records), with the bytes
//! of the held analysis's whole graph (`graph --format json`, DOT with short and exact labels),
//! for one thread and two, with and without provenance, and on a run stopped by
//! `--max-regions` (edges to regions past the stop left out, as the held graph leaves them).
//! Its peak memory is bounded in tests/memory.rs.

use crate::support::{braid, default_ts, fixture, generic, net};
use relu_regions::export::{dot, json, provenance::Provenance};
use relu_regions::jobs::{self, GraphForm};
use relu_regions::network::{nnet::Coords, InputFormat, Network};
use relu_regions::{analyze, Enumerator};

/// A box, R^d (bounded and unbounded regions), a braid arrangement, two deeper networks of the
/// bench fixtures (one with pieces spanning several regions), a max unit of five affine
/// functions, and `relu(relu(x) + relu(-x))`, a neuron tight on the facet `x = 0` that keeps
/// its state across it (a neighbour's pattern is not the flip of the facet's neurons).
fn networks() -> Vec<Network> {
    let read = |name: &str| net(&std::fs::read_to_string(fixture(name)).unwrap());
    vec![
        read("seed.json"),
        generic(6, 3, &default_ts(6)),
        braid(4),
        read("bench/net-2-16-16.json"),
        read("deep2d.json"),
        net(r#"{"input_dim": 2, "layers": [
            {"weights": [[0, 0], [10, 2], [-4, 8], [2, -12], [4, 2]], "bias": [0, -26, -20, -37, -5],
             "activation": "max", "pieces": 5},
            {"weights": [["1", "1", "1", "1", "1"]], "activation": "linear"}]}"#),
        net(r#"{"input_dim": 2, "domain": {"box": [["-1", "1"], ["-1", "1"]]}, "layers": [
            {"weights": [["1", "0"], ["-1", "0"], ["0", "1"]], "activation": "relu"},
            {"weights": [["1", "1", "0"], ["1", "1", "1"]], "bias": ["0", "-1/2"], "activation": "relu"},
            {"weights": [["1", "2"]], "activation": "linear"}]}"#),
    ]
}

/// The job's output as text, with its summary's completeness and region count.
fn job(net: &Network, e: &Enumerator, form: GraphForm, p: Option<&Provenance>) -> (String, bool, usize) {
    let mut out = Vec::new();
    let (summary, written) = jobs::write_graph(net, e, form, p, &mut out).unwrap();
    written.unwrap();
    (String::from_utf8(out).unwrap(), summary.complete(), summary.regions())
}

#[test]
fn the_graph_job_writes_the_whole_graphs_bytes_while_enumerating() {
    for net in networks() {
        let provenance = Provenance::new(b"{}", InputFormat::Json, Coords::Raw, net.domain());
        let a = analyze(&net, &Enumerator::builder().threads(1).build()).unwrap();
        assert!(a.summary().complete());
        for threads in [1, 2] {
            let e = Enumerator::builder().threads(threads).build();
            for p in [None, Some(&provenance)] {
                let (text, complete, regions) = job(&net, &e, GraphForm::Json, p);
                assert!(complete && regions == a.regions().len());
                assert_eq!(text, json::graph_json(a.regions(), a.graph(), true, p), "{threads} thread(s)");
                let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(doc["edges"].as_array().unwrap().len(), a.edges());
            }
            for exact_labels in [false, true] {
                let (text, _, _) = job(&net, &e, GraphForm::Dot { exact_labels }, None);
                assert_eq!(text, dot::graph_dot(a.regions(), a.graph(), exact_labels), "{threads} thread(s)");
                assert_eq!(text.matches(" -- ").count(), a.edges());
            }
        }
    }
}

/// A run stopped by `--max-regions`: the regions found, each with its facets, and the edges
/// among them (facets to regions past the stop lead nowhere), as the held analysis of the same
/// stopped run gives them; `"complete": false`.
#[test]
fn a_graph_stopped_by_max_regions_is_the_held_analysis_graph() {
    let text = std::fs::read_to_string(fixture("bench/net-2-16-16.json")).unwrap();
    let net = net(&text);
    for max in [1, 7, 40] {
        let e = Enumerator::builder().threads(1).max_regions(Some(max)).build();
        let a = analyze(&net, &e).unwrap();
        assert!(!a.summary().complete() && a.regions().len() == max);
        let (json_text, complete, regions) = job(&net, &e, GraphForm::Json, None);
        assert!(!complete && regions == max);
        assert_eq!(json_text, json::graph_json(a.regions(), a.graph(), false, None), "max {max}");
        let (dot_text, _, _) = job(&net, &e, GraphForm::Dot { exact_labels: false }, None);
        assert_eq!(dot_text, dot::graph_dot(a.regions(), a.graph(), false), "max {max}");
    }
}

/// A failed write stops the streamed graph job and is its writer's error, never a panic.
#[test]
fn a_failed_write_is_the_graph_jobs_error() {
    use crate::support::FullDisk as Full;
    let net = braid(4);
    for form in [GraphForm::Json, GraphForm::Dot { exact_labels: false }] {
        let (summary, written) =
            jobs::write_graph(&net, &Enumerator::builder().build(), form, None, Full).unwrap();
        assert!(summary.complete());
        assert_eq!(written.unwrap_err().to_string(), "disk full");
    }
}
