//! The analyses beyond counting, as the CLI runs them: `locate` (many points), `range`,
//! `slice`, `regions --sizes`, `vnnlib` and `check`, each a job on its own thread whose final
//! document is built by the library's jobs layer ([`relu_regions::jobs`]) or its checker, so
//! the keys are the CLI's; and `restrict` (a plane through the inputs: an exact 2-input
//! network).

use crate::job::{self, Job};
use crate::{backend_named, bad, seconds, NativeNetwork};
use pyo3::prelude::*;
use relu_regions::exact::num::{fmt_q, parse_rational, Q};
use relu_regions::export::provenance::Provenance;
use relu_regions::jobs::threads_for;
use relu_regions::jobs::{self, JobError};
use relu_regions::{Enumerator, Network};
use serde_json::json;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The run options every analysis takes.
#[derive(Clone, Copy)]
struct Run<'a> {
    threads: usize,
    max_regions: Option<usize>,
    time_limit: Option<f64>,
    lp: &'a str,
}

/// Starts `work` on a job thread with an enumerator of the run's options and the job's cancel
/// flag; `work` returns the final document.
fn start<F>(network: &NativeNetwork, run: Run<'_>, work: F) -> PyResult<Job>
where
    F: FnOnce(&Network, &Enumerator, &Provenance) -> Result<String, String> + Send + 'static,
{
    let cancel = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(relu_regions::jobs::Progress::default());
    let enumerator = Enumerator::builder()
        .backend(backend_named(run.lp)?)
        .threads(threads_for(run.threads))
        .max_regions(run.max_regions)
        .time_limit(seconds("time_limit", run.time_limit)?)
        .cancel_flag(cancel.clone())
        .progress(progress.clone())
        .build();
    let provenance = network.provenance();
    let net = network.net.clone();
    job::spawn(cancel, Arc::new(move || progress.regions()), move |_| work(&net, &enumerator, &provenance))
}

fn point(values: &[String], what: &str, dim: usize) -> PyResult<Vec<Q>> {
    if values.len() != dim {
        return Err(bad(format!("{what}: {} coordinates, the network has {dim} inputs", values.len())));
    }
    values
        .iter()
        .enumerate()
        .map(|(j, t)| parse_rational(t).map_err(|e| bad(format!("{what}[{j}]: {e}"))))
        .collect()
}

macro_rules! run_args {
    ($threads:expr, $max:expr, $limit:expr, $lp:expr) => {
        Run { threads: $threads, max_regions: $max, time_limit: $limit, lp: $lp }
    };
}

/// `locate` at each point (exact strings): `{"points": [locate --json ...], "complete": ...}`;
/// a point outside the domain gets `{"point": ..., "error": ...}`.
#[pyfunction]
#[pyo3(signature = (network, points, threads=0, max_regions=None, time_limit=None, lp="simplex"))]
pub(crate) fn locate(
    network: &NativeNetwork,
    points: Vec<Vec<String>>,
    threads: usize,
    max_regions: Option<usize>,
    time_limit: Option<f64>,
    lp: &str,
) -> PyResult<Job> {
    let d = network.net.input_dim();
    let xs = points
        .iter()
        .enumerate()
        .map(|(i, p)| point(p, &format!("points[{i}]"), d))
        .collect::<PyResult<Vec<_>>>()?;
    start(network, run_args!(threads, max_regions, time_limit, lp), move |net, e, prov| {
        let mut docs = Vec::with_capacity(xs.len());
        let mut complete = true;
        let start = std::time::Instant::now();
        for x in &xs {
            let text = x.iter().map(fmt_q).collect::<Vec<_>>().join(",");
            match jobs::locate(net, e, &text, false) {
                Ok(r) => docs.push(r.document(Some(prov))),
                Err(JobError::Input(_)) if e.interrupted(start).is_some() => {
                    complete = false;
                    break; // a limit or Ctrl-C: the points located so far
                }
                Err(JobError::Input(what)) => docs
                    .push(json!({"point": x.iter().map(fmt_q).collect::<Vec<_>>(),
                    "error": what.trim_start_matches("--point: ")})),
                Err(other) => return Err(other.to_string()),
            }
        }
        Ok(json!({"points": docs, "complete": complete}).to_string())
    })
}

/// `range --json` (`--lipschitz`); `{"outputs": null, "complete": false}` when stopped first.
#[pyfunction]
#[pyo3(signature = (network, lipschitz=false, threads=0, max_regions=None, time_limit=None, lp="simplex"))]
pub(crate) fn range(
    network: &NativeNetwork,
    lipschitz: bool,
    threads: usize,
    max_regions: Option<usize>,
    time_limit: Option<f64>,
    lp: &str,
) -> PyResult<Job> {
    start(network, run_args!(threads, max_regions, time_limit, lp), move |net, e, prov| {
        let token = e.stop_token(std::time::Instant::now());
        let r = jobs::range(net, e, lipschitz, &token).map_err(|e| e.to_string())?;
        let doc = r
            .document(Some(prov))
            .unwrap_or_else(|| json!({"outputs": null, "regions": 0, "complete": false, "provenance": prov}));
        Ok(doc.to_string())
    })
}

/// `slice --json` along the segment from `a` to `b` (exact strings).
#[pyfunction]
#[pyo3(signature = (network, a, b, threads=0, max_regions=None, time_limit=None, lp="simplex"))]
pub(crate) fn slice(
    network: &NativeNetwork,
    a: Vec<String>,
    b: Vec<String>,
    threads: usize,
    max_regions: Option<usize>,
    time_limit: Option<f64>,
    lp: &str,
) -> PyResult<Job> {
    let d = network.net.input_dim();
    let (a, b) = (point(&a, "a", d)?, point(&b, "b", d)?);
    let line = format!(
        "{};{}",
        a.iter().map(fmt_q).collect::<Vec<_>>().join(","),
        b.iter().map(fmt_q).collect::<Vec<_>>().join(",")
    );
    // the checks of `slice --line` (a segment of positive length), before the job starts
    let segment = relu_regions::queries::line::Segment::parse(&line, d).map_err(bad)?;
    relu_regions::queries::line::restrict(&network.net, &segment).map_err(bad)?;
    start(network, run_args!(threads, max_regions, time_limit, lp), move |net, e, prov| {
        let r = jobs::slice(net, e, &line).map_err(|e| e.to_string())?;
        Ok(r.document(Some(prov)).to_string())
    })
}

/// `regions --json --sizes` (`samples` exact random points per region for volume estimates).
#[pyfunction]
#[pyo3(signature = (network, samples=0, threads=0, max_regions=None, time_limit=None, lp="simplex"))]
pub(crate) fn regions_sizes(
    network: &NativeNetwork,
    samples: usize,
    threads: usize,
    max_regions: Option<usize>,
    time_limit: Option<f64>,
    lp: &str,
) -> PyResult<Job> {
    start(network, run_args!(threads, max_regions, time_limit, lp), move |net, e, prov| {
        let start = std::time::Instant::now();
        let a = relu_regions::analyze(net, e).map_err(|e| e.to_string())?;
        // the sizes of the regions with certified facets, until the job's token fires
        let _stop = e.stop_token(start).install();
        Ok(jobs::regions_document(net, &a, Some(prov), Some(samples)).to_string())
    })
}

/// `vnnlib --json` of the property file at `path`; with `proof`, an unsat proof is written there.
#[pyfunction]
#[pyo3(signature = (network, path, proof=None, threads=0, max_regions=None, time_limit=None, lp="simplex"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn vnnlib(
    network: &NativeNetwork,
    path: std::path::PathBuf,
    proof: Option<std::path::PathBuf>,
    threads: usize,
    max_regions: Option<usize>,
    time_limit: Option<f64>,
    lp: &str,
) -> PyResult<Job> {
    let net = &network.net;
    let text =
        std::fs::read_to_string(&path).map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?;
    let property = relu_regions::network::vnnlib::read_vnnlib(
        &text,
        &path.display().to_string(),
        net.input_dim(),
        net.output_dim(),
    )
    .map_err(bad)?;
    start(network, run_args!(threads, max_regions, time_limit, lp), move |net, e, prov| {
        let job = jobs::vnnlib(net, &property, e, &path.display().to_string()).map_err(|err| match err {
            JobError::Input(what) => format!("bad input: {what}"),
            other => other.to_string(),
        })?;
        let doc = job.document(Some(prov));
        if let (Some(file), Some(certificate)) = (proof, &job.decision.proof) {
            std::fs::write(&file, relu_regions::export::json::to_json(&certificate.to_json()))
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        }
        Ok(doc.to_string())
    })
}

/// `check`: a `regions --json` document (text; a `--jsonl` stream too), with its graph,
/// re-verified in exact arithmetic. A document made for another network or domain is refused
/// before any work, as the CLI does.
#[pyfunction]
#[pyo3(signature = (network, regions, graph=None, partial=false, threads=0, time_limit=None))]
pub(crate) fn check(
    network: &NativeNetwork,
    regions: &str,
    graph: Option<&str>,
    partial: bool,
    threads: usize,
    time_limit: Option<f64>,
) -> PyResult<Job> {
    let here = network.provenance();
    let read = |text: &str, what: &str| -> PyResult<serde_json::Value> {
        let doc = relu_regions::check::lines::read_document(text).map_err(|e| bad(format!("{what}: {e}")))?;
        if let Some(p) = doc.get("provenance") {
            let recorded: Provenance = serde_json::from_value(p.clone())
                .map_err(|e| bad(format!("{what}: malformed `provenance`: {e}")))?;
            if let Some(why) = here.mismatch(&recorded) {
                return Err(bad(format!("{what} does not belong to this network: {why}")));
            }
        }
        Ok(doc)
    };
    let doc = read(regions, "regions")?;
    let graph = graph.map(|g| read(g, "graph")).transpose()?;
    let options = relu_regions::check::CheckOptions { partial, threads: threads_for(threads) };
    start(network, run_args!(threads, None, time_limit, "simplex"), move |net, e, _| {
        let token = e.stop_token(std::time::Instant::now());
        let report = {
            let _stop = token.install();
            relu_regions::check::check_answer(net, &doc, graph.as_ref(), options)
        };
        let stopped = token.reason().filter(|_| report.failures.is_empty());
        let failures: Vec<_> =
            report.failures.iter().map(|f| json!({"region": f.region, "message": f.message})).collect();
        Ok(json!({
            "ok": report.failures.is_empty() && stopped.is_none(),
            "complete": stopped.is_none(),
            "stopped": stopped.map(|r| format!("{r:?}")),
            "failures": failures,
            "regions": report.regions,
            "inequalities": report.inequalities,
            "edges": report.edges,
            "partial": partial,
        })
        .to_string())
    })
}

/// The network restricted to the plane `p + s u + t v` (exact strings; `through`: the plane
/// through three points instead), an exact 2-input network on `st_box` ("lo:hi,lo:hi") or
/// on the plane's part of the domain.
#[pyfunction]
#[pyo3(signature = (network, text, through=false, st_box=None))]
pub(crate) fn restrict(
    network: &NativeNetwork,
    text: &str,
    through: bool,
    st_box: Option<&str>,
) -> PyResult<NativeNetwork> {
    use relu_regions::queries::slice::Plane;
    let d = network.net.input_dim();
    let what = if through { "through" } else { "plane" };
    let plane = if through { Plane::parse_through(text, d) } else { Plane::parse_plane(text, d) }
        .map_err(|e| bad(e.with_source(what)))?;
    let st_box = st_box
        .map(|b| relu_regions::network::json::parse_box(b, 2).map_err(|e| bad(e.with_source("box"))))
        .transpose()?;
    let net = relu_regions::queries::slice::restrict(&network.net, &plane, st_box)
        .map_err(|e| bad(e.with_source(what)))?;
    let text = relu_regions::network::json::write_network(&net);
    Ok(NativeNetwork {
        net: Arc::new(net),
        source: Arc::new(text.into_bytes()),
        format: relu_regions::InputFormat::Json,
        coords: relu_regions::network::nnet::Coords::Raw,
    })
}
