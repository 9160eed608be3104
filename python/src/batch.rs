//! `count_many`: the binding of the library's [`relu_regions::jobs::batch::count_many`] (many boxes
//! or L_inf balls, one count each, in parallel across boxes). The boxes come as flat lists of
//! floats (numpy arrays: each float taken as the exact value it holds) or of exact strings;
//! the answer is one JSON document of columns, one entry per box in input order.

use crate::job::{self, Job};
use crate::{backend_named, bad, seconds, NativeNetwork};
use pyo3::prelude::*;
use relu_regions::exact::num::{from_f64_exact, parse_rational, Q};
use relu_regions::jobs::batch::{count_many as count_boxes, linf_ball, BoxCount};
use relu_regions::jobs::threads_for;
use relu_regions::Enumerator;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Exact values of a flat list of floats or of exact strings; `what` names it in errors.
fn exact_values(values: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<Q>> {
    if let Ok(floats) = values.extract::<Vec<f64>>() {
        return floats
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                from_f64_exact(v).ok_or_else(|| bad(format!("{what}[{k}]: {v} is not a finite number")))
            })
            .collect();
    }
    let texts: Vec<String> = values
        .extract()
        .map_err(|_| bad(format!("{what}: expected a list of floats or of exact strings")))?;
    texts
        .iter()
        .enumerate()
        .map(|(k, t)| parse_rational(t).map_err(|e| bad(format!("{what}[{k}]: {e}"))))
        .collect()
}

/// `n` rows of `dim` values each from a flat list, its length checked first.
fn rows(values: Vec<Q>, n: usize, dim: usize, what: &str) -> PyResult<Vec<Vec<Q>>> {
    match n.checked_mul(dim) {
        Some(len) if len == values.len() => {}
        _ => return Err(bad(format!("{what}: {} values, expected {n} x {dim}", values.len()))),
    }
    let mut it = values.into_iter();
    Ok((0..n).map(|_| it.by_ref().take(dim).collect()).collect())
}

/// Starts the counts of `n` boxes: `lo` and `hi` (flat, `n x input_dim`), or the L_inf balls
/// `centers +- radius`. `time_limit` holds for the whole batch, `box_time_limit` and
/// `max_regions` for each box; `threads` boxes run at once (0: every core).
#[pyfunction]
#[pyo3(signature = (network, n, lo=None, hi=None, centers=None, radius=None, graph=false, threads=0,
                    max_regions=None, time_limit=None, box_time_limit=None, lp="simplex"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn count_many(
    network: &NativeNetwork,
    n: usize,
    lo: Option<&Bound<'_, PyAny>>,
    hi: Option<&Bound<'_, PyAny>>,
    centers: Option<&Bound<'_, PyAny>>,
    radius: Option<&str>,
    graph: bool,
    threads: usize,
    max_regions: Option<usize>,
    time_limit: Option<f64>,
    box_time_limit: Option<f64>,
    lp: &str,
) -> PyResult<Job> {
    let dim = network.net.input_dim();
    let boxes: Vec<Vec<(Q, Q)>> = match (lo, hi, centers, radius) {
        (Some(lo), Some(hi), None, None) => {
            let lo = rows(exact_values(lo, "lo")?, n, dim, "lo")?;
            let hi = rows(exact_values(hi, "hi")?, n, dim, "hi")?;
            lo.into_iter().zip(hi).map(|(l, h)| l.into_iter().zip(h).collect()).collect()
        }
        (None, None, Some(centers), Some(radius)) => {
            let r = parse_rational(radius).map_err(|e| bad(format!("radius: {e}")))?;
            if r <= Q::from_integer(0.into()) {
                return Err(bad("radius: must be positive"));
            }
            rows(exact_values(centers, "centers")?, n, dim, "centers")?
                .iter()
                .map(|c| linf_ball(c, &r))
                .collect()
        }
        _ => return Err(bad("give boxes, or centers and a radius")),
    };
    relu_regions::jobs::batch::check_boxes(&boxes, dim).map_err(bad)?;
    let batch_limit = seconds("time_limit", time_limit)?;
    let cancel = Arc::new(AtomicBool::new(false));
    let enumerator = Enumerator::builder()
        .backend(backend_named(lp)?)
        .threads(threads_for(threads))
        .max_regions(max_regions)
        .time_limit(seconds("box_time_limit", box_time_limit)?)
        .deadline(batch_limit.map(|t| Instant::now() + t))
        .cancel_flag(cancel.clone())
        .build();
    let provenance = network.provenance();
    let net = network.net.clone();
    let done = Arc::new(AtomicUsize::new(0));
    let counter = done.clone();
    job::spawn(cancel, Arc::new(move || counter.load(Ordering::Relaxed)), move |_| {
        let start = Instant::now();
        let counts = count_boxes(&net, &boxes, graph, &enumerator, Some(&done)).map_err(|e| e.to_string())?;
        Ok(columns(&counts, net.input_dim(), graph, start.elapsed().as_secs_f64(), &provenance))
    })
}

/// The answer as columns (one entry per box): the keys of `count --json`.
fn columns(
    counts: &[BoxCount],
    input_dim: usize,
    graph: bool,
    seconds: f64,
    provenance: &relu_regions::export::provenance::Provenance,
) -> String {
    let col = |f: &dyn Fn(&BoxCount) -> serde_json::Value| counts.iter().map(f).collect::<Vec<_>>();
    let mut doc = json!({
        "regions": col(&|c| c.regions.into()),
        "bounded": col(&|c| c.bounded.into()),
        "complete": col(&|c| c.complete().into()),
        "stopped": col(&|c| c.stopped.map_or(serde_json::Value::Null, |r| format!("{r:?}").into())),
        "lps": col(&|c| c.lps.into()),
        "seconds": col(&|c| c.elapsed.as_secs_f64().into()),
        "boxes": counts.len(),
        "input_dim": input_dim,
        "all_complete": counts.iter().all(BoxCount::complete),
        "total_seconds": seconds,
        "provenance": provenance,
    });
    if graph {
        doc["pieces"] = col(&|c| c.pieces.into()).into();
        doc["edges"] = col(&|c| c.edges.into()).into();
        doc["distinct_maps"] = col(&|c| c.distinct_maps.into()).into();
    }
    doc.to_string()
}
