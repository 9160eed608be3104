//! The complex of issue 34 for Python: `faces` and `boundary` documents (the CLI's JSON:
//! `faces --json` with every face listed, `boundary --json`), computed with the GIL released.

use super::{bad, InternalError, NativeNetwork};
use pyo3::prelude::*;
use relu_regions::complex::{ComplexError, LevelSpec};
use relu_regions::exact::num::parse_rational;
use relu_regions::export::provenance::Provenance;
use relu_regions::jobs::{self, Listed};
use relu_regions::Backend;
use relu_regions::Enumerator;
use std::time::Duration;

fn enumerator(threads: usize, time_limit: Option<f64>, lp: &str) -> PyResult<Enumerator> {
    let backend = Backend::from_name(lp)
        .ok_or_else(|| bad(format!("lp must be simplex, good_lp or exact, not {lp:?}")))?;
    let time_limit = match time_limit {
        Some(t) if !(t.is_finite() && t >= 0.0) => {
            return Err(bad("time_limit must be a non-negative number of seconds"))
        }
        t => t.map(Duration::from_secs_f64),
    };
    Ok(Enumerator::builder()
        .backend(backend)
        .threads(relu_regions::jobs::threads_for(threads))
        .time_limit(time_limit)
        .build())
}

fn failed(e: ComplexError) -> PyErr {
    match e {
        ComplexError::Internal(e) => InternalError::new_err(e.to_string()),
        other => bad(other),
    }
}

fn provenance(n: &NativeNetwork) -> Provenance {
    Provenance::new(&n.source, n.format, n.coords, n.net.domain()).with_notes(n.net.notes())
}

/// Every face of the complex: the `faces --json` document with `faces` listing each face (or
/// those of dimension `dim`).
#[pyfunction]
#[pyo3(signature = (network, dim=None, threads=0, time_limit=None, lp="simplex"))]
pub fn faces_json(
    py: Python<'_>,
    network: PyRef<'_, NativeNetwork>,
    dim: Option<usize>,
    threads: usize,
    time_limit: Option<f64>,
    lp: &str,
) -> PyResult<String> {
    let enumerator = enumerator(threads, time_limit, lp)?;
    let net = network.net.clone();
    let job = py.detach(move || jobs::faces(&net, &enumerator)).map_err(failed)?;
    Ok(job.document(dim.map_or(Listed::All, Listed::OfDim), Some(&provenance(&network))).to_string())
}

/// The `boundary --json` document of `{y_output = level}` or, with `classes`, the argmax ties.
#[pyfunction]
#[pyo3(signature = (network, output=0, level="0", classes=false, threads=0, time_limit=None, lp="simplex"))]
#[allow(clippy::too_many_arguments)]
pub fn boundary_json(
    py: Python<'_>,
    network: PyRef<'_, NativeNetwork>,
    output: usize,
    level: &str,
    classes: bool,
    threads: usize,
    time_limit: Option<f64>,
    lp: &str,
) -> PyResult<String> {
    let spec = if classes {
        LevelSpec::Classes
    } else {
        LevelSpec::Level {
            output,
            level: parse_rational(level).map_err(|e| bad(format!("level {level:?}: {e}")))?,
        }
    };
    let enumerator = enumerator(threads, time_limit, lp)?;
    let net = network.net.clone();
    let job = py.detach(move || jobs::boundary(&net, &spec, &enumerator)).map_err(failed)?;
    Ok(job.document(Some(&provenance(&network))).to_string())
}
