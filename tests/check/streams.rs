//! Issue 35: the writers that write as they go give the bytes the whole-document writers gave
//! (`regions --json` with and without sizes, `graph --format json`), so streaming changed no
//! output; the CLI's outputs are those bytes; and `check --threads N` prints the same verdict,
//! byte for byte, for every `N`, on correct and on damaged answers. (Their peak memory is
//! bounded in tests/memory.rs.)

use crate::check::answers::scratch;
use crate::cli::fixtures::run_cli;
use crate::support::{braid, default_ts, fixture, generic, net, run};
use relu_regions::export::{answers, json, stream};
use relu_regions::network::Network;

/// The networks: a box, R^d (bounded and unbounded regions), a braid arrangement, and a
/// deeper network of the bench fixtures.
fn networks() -> Vec<Network> {
    let seed = std::fs::read_to_string(fixture("seed.json")).unwrap();
    let bench = std::fs::read_to_string(fixture("bench/net-2-16-16.json")).unwrap();
    vec![net(&seed), generic(6, 3, &default_ts(6)), braid(4), net(&bench)]
}

#[test]
fn streamed_documents_are_the_whole_documents_bytes() {
    for net in networks() {
        let a = run(&net);
        let mut streamed = Vec::new();
        stream::write_regions_json(&mut streamed, &net, &a, None, None).unwrap();
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            json::to_json(&json::regions_document(&net, &a, None))
        );
        let mut streamed = Vec::new();
        stream::write_graph_json(&mut streamed, a.regions(), a.graph(), true, None).unwrap();
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            json::graph_json(a.regions(), a.graph(), true, None)
        );
    }
}

/// The `regions --json` job writes while it enumerates (regions spilled, pieces numbered at the
/// end from count's records): the bytes of the held analysis's whole document, with one thread
/// and two, with and without provenance.
#[test]
fn the_regions_job_writes_the_whole_documents_bytes_while_enumerating() {
    let stop = relu_regions::jobs::StopToken::new(None, None);
    for net in networks() {
        let provenance = relu_regions::export::provenance::Provenance::new(
            b"{}",
            relu_regions::network::InputFormat::Json,
            relu_regions::network::nnet::Coords::Raw,
            net.domain(),
        );
        let a = run(&net);
        for threads in [1, 2] {
            for p in [None, Some(&provenance)] {
                let e = relu_regions::Enumerator::builder().threads(threads).build();
                let mut out = Vec::new();
                let (summary, written) =
                    relu_regions::jobs::write_regions_json(&net, &e, p, None, &stop, &mut out).unwrap();
                assert!(summary.complete() && written.is_ok());
                assert_eq!(summary.regions(), a.regions().len());
                let text = String::from_utf8(out).unwrap();
                assert_eq!(text, json::to_json(&json::regions_document(&net, &a, p)), "{threads} thread(s)");
                assert!(text.contains("\"piece\": "));
            }
        }
    }
}

/// A failed write stops the streamed `regions --json` job and is its writer's error, never a
/// panic or a wrong summary of success.
#[test]
fn a_failed_write_stops_the_regions_job() {
    use crate::support::FullDisk as Full;
    let stop = relu_regions::jobs::StopToken::new(None, None);
    let net = braid(4);
    let e = relu_regions::Enumerator::builder().build();
    let (_, written) = relu_regions::jobs::write_regions_json(&net, &e, None, None, &stop, Full).unwrap();
    assert!(written.unwrap_err().to_string().contains("disk full"));
}

#[test]
fn streamed_sizes_are_the_whole_documents_bytes() {
    let seed = net(&std::fs::read_to_string(fixture("seed.json")).unwrap());
    let a = run(&seed);
    // the sizes of the first regions only, as a stopped `--sizes` run gives them
    let n = a.regions().len() - 1;
    let sizes = relu_regions::queries::sizes::region_sizes(&seed, &a.regions()[..n], &a.facets()[..n], 0, 1);
    let mut doc = json::regions_document(&seed, &a, None);
    answers::add_sizes(&mut doc, &sizes, seed.input_dim());
    let mut streamed = Vec::new();
    stream::write_regions_json(&mut streamed, &seed, &a, None, Some(&sizes)).unwrap();
    let text = String::from_utf8(streamed).unwrap();
    assert_eq!(text, json::to_json(&doc));
    assert!(text.contains("\"size\""));
}

#[test]
fn the_cli_writes_the_streamed_bytes() {
    let path = fixture("seed.json");
    let seed = net(&std::fs::read_to_string(&path).unwrap());
    let a = run(&seed);
    let out = run_cli(&["regions", path.to_str().unwrap(), "--json"]);
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut doc = json::regions_document(&seed, &a, None);
    doc["provenance"] = printed["provenance"].clone();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), json::to_json(&doc));
    let out = run_cli(&["graph", path.to_str().unwrap(), "--format", "dot"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        relu_regions::export::dot::graph_dot(a.regions(), a.graph(), false)
    );
}

/// `check` with 1, 2 and 3 threads: the same stdout and exit code, on a correct answer and on
/// answers with failures in several regions.
#[test]
fn check_verdicts_do_not_depend_on_the_thread_count() {
    let dir = scratch("threads");
    let path = fixture("bench/net-2-16-16.json");
    let p = path.to_str().unwrap();
    let out = run_cli(&["regions", p, "--json"]);
    assert!(out.status.success());
    let good: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut damaged = good.clone();
    let regions = damaged["regions"].as_array_mut().unwrap();
    regions[3]["bounded"] = serde_json::json!(!regions[3]["bounded"].as_bool().unwrap());
    regions[200]["inequalities"].as_array_mut().unwrap().pop();
    regions.remove(100);
    for (doc, name) in [(&good, "good"), (&damaged, "damaged")] {
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, serde_json::to_vec(doc).unwrap()).unwrap();
        let f = file.to_str().unwrap();
        let verdicts: Vec<(Option<i32>, Vec<u8>)> = ["1", "2", "3"]
            .iter()
            .map(|t| {
                let out = run_cli(&["check", p, f, "--threads", t]);
                (out.status.code(), out.stdout)
            })
            .collect();
        assert!(verdicts.iter().all(|v| v == &verdicts[0]), "{name}");
        assert_eq!(verdicts[0].0, Some(if name == "good" { 0 } else { 1 }), "{name}");
    }
}
