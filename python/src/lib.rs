//! The native part of the `relu_regions` Python package: a thin layer over the library.
//!
//! Every answer crosses into Python as the JSON the command-line tool prints (the Python side
//! builds its objects from it), so the package and the CLI cannot disagree. Long work runs on
//! a thread of its own ([`job::Job`]); Python waits for it with the GIL released and looks at
//! Ctrl-C in between, which cancels the run and keeps what was found (marked incomplete).

use job::{Job, Message};
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use relu_regions::analysis::analyze;
use relu_regions::exact::num::{fmt_q, parse_rational};
use relu_regions::export::json;
use relu_regions::export::provenance::Provenance;
use relu_regions::jobs;
use relu_regions::jobs::shard::{self, plan_hash, Plan, ShardError};
use relu_regions::jobs::threads_for;
use relu_regions::network::nnet::Coords;
use relu_regions::network::{self, InputFormat, Network};
use relu_regions::Backend;
use relu_regions::Enumerator;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::time::Duration;

mod analyses;
mod batch;
mod complex;
mod job;

create_exception!(_native, NetworkError, PyValueError, "A network, domain or option that cannot be used.");
create_exception!(
    _native,
    InternalError,
    PyRuntimeError,
    "An exact check failed on relu-regions' own answer (a bug: please report it)."
);

pub(crate) fn bad(e: impl std::fmt::Display) -> PyErr {
    NetworkError::new_err(e.to_string())
}

/// A network with its domain, and the bytes it was read from (for the provenance of outputs).
#[pyclass(frozen, module = "relu_regions._native")]
pub(crate) struct NativeNetwork {
    pub(crate) net: Arc<Network>,
    pub(crate) source: Arc<Vec<u8>>,
    pub(crate) format: InputFormat,
    pub(crate) coords: Coords,
}

impl NativeNetwork {
    /// Where an answer about this network came from.
    pub(crate) fn provenance(&self) -> Provenance {
        Provenance::new(&self.source, self.format, self.coords, self.net.domain())
            .with_notes(self.net.notes())
    }
}

fn coords_named(name: &str) -> PyResult<Coords> {
    match name {
        "raw" => Ok(Coords::Raw),
        "normalized" => Ok(Coords::Normalized),
        _ => Err(bad(format!("coords must be \"raw\" or \"normalized\", not {name:?}"))),
    }
}

#[pymethods]
impl NativeNetwork {
    /// Reads a network file (`format`: "json", "nnet", "onnx" or None for the extension's).
    #[staticmethod]
    #[pyo3(signature = (path, format=None, coords="raw"))]
    fn load(
        py: Python<'_>,
        path: std::path::PathBuf,
        format: Option<&str>,
        coords: &str,
    ) -> PyResult<NativeNetwork> {
        let given = match format {
            Some(name) => {
                Some(InputFormat::from_name(name).ok_or_else(|| bad(format!("unknown format {name:?}")))?)
            }
            None => None,
        };
        let coords = coords_named(coords)?;
        // read on a thread of its own while this one watches Ctrl-C (a big ONNX file takes a
        // while): KeyboardInterrupt comes at once, the abandoned reading ends by itself
        let (tx, rx) = std::sync::mpsc::channel();
        let file = path.clone();
        // Ctrl-C raises the reader's cancel flag: the ONNX reader polls it between nodes and
        // convolution channels, so an abandoned reading ends at once too
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        std::thread::spawn(move || {
            let _stop = relu_regions::jobs::StopToken::new(None, Some(flag)).install();
            let _ = tx.send(network::load_with_bytes(&file, given, coords));
        });
        let rx = std::sync::Mutex::new(rx);
        let wait = || {
            rx.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .recv_timeout(Duration::from_millis(50))
        };
        let (net, source) = loop {
            match py.detach(wait) {
                Ok(read) => break read.map_err(bad)?,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if let Err(interrupted) = py.check_signals() {
                        cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                        return Err(interrupted);
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(InternalError::new_err("the reader stopped without an answer"))
                }
            }
        };
        let format = given.or_else(|| InputFormat::from_path(&path)).unwrap_or(InputFormat::Json);
        Ok(NativeNetwork { net: Arc::new(net), source: Arc::new(source), format, coords })
    }

    /// Reads a network from the text of our JSON format; `name` names it in errors.
    #[staticmethod]
    fn from_json_text(text: &str, name: &str) -> PyResult<NativeNetwork> {
        let net = network::json::read_network(text, name).map_err(bad)?;
        Ok(NativeNetwork {
            net: Arc::new(net),
            source: Arc::new(text.as_bytes().to_vec()),
            format: InputFormat::Json,
            coords: Coords::Raw,
        })
    }

    /// The same network on another domain: a box "lo:hi,..." or a JSON domain object.
    #[pyo3(signature = (box_text=None, domain_json=None))]
    fn with_domain(&self, box_text: Option<&str>, domain_json: Option<&str>) -> PyResult<NativeNetwork> {
        let d = self.net.input_dim();
        let domain = match (box_text, domain_json) {
            (Some(text), None) => network::json::parse_box(text, d).map_err(|e| bad(e.with_source("box")))?,
            (None, Some(text)) => network::json::read_domain(text, "domain", d).map_err(bad)?,
            _ => return Err(bad("give one of box and domain")),
        };
        let net = self.net.with_domain(domain).map_err(|e| bad(e.with_source("domain")))?;
        Ok(NativeNetwork {
            net: Arc::new(net),
            source: self.source.clone(),
            format: self.format,
            coords: self.coords,
        })
    }

    #[getter]
    fn input_dim(&self) -> usize {
        self.net.input_dim()
    }

    #[getter]
    fn output_dim(&self) -> usize {
        self.net.output_dim()
    }

    #[getter]
    fn hidden_neurons(&self) -> usize {
        self.net.hidden_neurons()
    }

    /// The reader's notes (an approximation made, outputs left out).
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.net.notes().to_vec()
    }

    /// The network (with its domain) in our JSON format, exact.
    fn to_json(&self) -> String {
        network::json::write_network(&self.net)
    }

    /// The exact outputs at an input given as exact strings.
    fn output(&self, x: Vec<String>) -> PyResult<Vec<String>> {
        if x.len() != self.net.input_dim() {
            return Err(bad(format!(
                "the point has {} coordinates, the network {} inputs",
                x.len(),
                self.net.input_dim()
            )));
        }
        let x = x
            .iter()
            .enumerate()
            .map(|(j, t)| parse_rational(t).map_err(|e| bad(format!("coordinate {j}: {e}"))))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(self.net.output(&x).iter().map(fmt_q).collect())
    }

    /// A shard plan (its JSON text) of this network on its domain.
    #[pyo3(signature = (shards, per_shard=16, descents=4, threads=0, lp="simplex"))]
    fn plan(
        &self,
        py: Python<'_>,
        shards: usize,
        per_shard: usize,
        descents: usize,
        threads: usize,
        lp: &str,
    ) -> PyResult<String> {
        if shards == 0 {
            return Err(bad("shards must be at least 1"));
        }
        let backend = Backend::from_name(lp)
            .ok_or_else(|| bad(format!("lp must be simplex, good_lp or exact, not {lp:?}")))?;
        let enumerator = Enumerator::builder().backend(backend).threads(threads_for(threads)).build();
        let provenance = Provenance::new(&self.source, self.format, self.coords, self.net.domain())
            .with_notes(self.net.notes());
        let net = self.net.clone();
        let plan = py
            .detach(move || Plan::new(&net, &enumerator, provenance, shards, per_shard, descents))
            .map_err(shard_error)?;
        Ok(json::to_json(&plan))
    }

    /// Starts a job on a thread of its own: "count", "count_no_graph", "regions" (streamed with
    /// facets), "graph" or "plot" (2 inputs). `threads` 0 means every core.
    #[pyo3(signature = (kind, threads=0, max_regions=None, time_limit=None, lp="simplex"))]
    fn start(
        &self,
        kind: &str,
        threads: usize,
        max_regions: Option<usize>,
        time_limit: Option<f64>,
        lp: &str,
    ) -> PyResult<Job> {
        let kind = match kind {
            "count" => Kind::Count { graph: true },
            "count_no_graph" => Kind::Count { graph: false },
            "regions" => Kind::Regions,
            "graph" => Kind::Graph,
            "plot" if self.net.input_dim() == 2 => Kind::Plot,
            "plot" => {
                return Err(bad(format!(
                    "plot draws 2-input networks; this one has {} inputs",
                    self.net.input_dim()
                )))
            }
            other => return Err(bad(format!("unknown job {other:?}"))),
        };
        let backend = backend_named(lp)?;
        let time_limit = seconds("time_limit", time_limit)?;
        let threads = threads_for(threads);
        let cancel = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(relu_regions::jobs::Progress::default());
        let enumerator = Enumerator::builder()
            .backend(backend)
            .threads(threads)
            .max_regions(max_regions)
            .time_limit(time_limit)
            .cancel_flag(cancel.clone())
            .progress(progress.clone())
            .build();
        let provenance = self.provenance();
        let net = self.net.clone();
        let counter = progress.clone();
        job::spawn(cancel, Arc::new(move || counter.regions()), move |tx| {
            run(kind, &net, &enumerator, &provenance, tx)
        })
    }
}

pub(crate) fn backend_named(lp: &str) -> PyResult<Backend> {
    Backend::from_name(lp).ok_or_else(|| bad(format!("lp must be simplex, good_lp or exact, not {lp:?}")))
}

/// A time limit in seconds, checked.
pub(crate) fn seconds(name: &str, t: Option<f64>) -> PyResult<Option<Duration>> {
    match t {
        Some(t) if !(t.is_finite() && (0.0..1e9).contains(&t)) => {
            Err(bad(format!("{name} must be a non-negative number of seconds")))
        }
        t => Ok(t.map(Duration::from_secs_f64)),
    }
}

fn shard_error(e: ShardError) -> PyErr {
    match e {
        ShardError::Internal(e) => InternalError::new_err(e.to_string()),
        other => bad(other),
    }
}

/// Runs shard `index` of a plan (its JSON text) and returns the part's text.
#[pyfunction]
#[pyo3(signature = (plan_text, index, threads=0, counts_only=false))]
fn run_shard(
    py: Python<'_>,
    plan_text: &str,
    index: usize,
    threads: usize,
    counts_only: bool,
) -> PyResult<String> {
    let plan = Plan::read(plan_text, "plan").map_err(shard_error)?;
    let sha = plan_hash(plan_text.as_bytes());
    let enumerator = Enumerator::builder().threads(threads_for(threads)).build();
    let (part, summary) = py
        .detach(move || {
            let mut part = Vec::new();
            shard::run_shard(&plan, &sha, index, enumerator, counts_only, &mut part).map(|s| (part, s))
        })
        .map_err(shard_error)?;
    if !summary.complete() {
        return Err(InternalError::new_err(format!("shard {index} stopped early")));
    }
    String::from_utf8(part).map_err(|e| InternalError::new_err(e.to_string()))
}

/// Merges the parts (texts) of a plan into what the single-machine command prints: `output`
/// "count" (`count --json`), "regions" (`regions --json`) or "graph" (`graph --format json`).
#[pyfunction]
fn merge_parts(py: Python<'_>, plan_text: &str, parts: Vec<String>, output: &str) -> PyResult<String> {
    let plan = Plan::read(plan_text, "plan").map_err(shard_error)?;
    let sha = plan_hash(plan_text.as_bytes());
    let output = match output {
        "count" => shard::MergeOutput::Count,
        "regions" => shard::MergeOutput::Regions,
        "graph" => shard::MergeOutput::GraphJson,
        other => return Err(bad(format!("output must be count, regions or graph, not {other:?}"))),
    };
    py.detach(move || {
        let readers: Vec<(String, Box<dyn std::io::BufRead>)> = parts
            .into_iter()
            .enumerate()
            .map(|(i, text)| {
                (
                    format!("part {i}"),
                    Box::new(std::io::Cursor::new(text.into_bytes())) as Box<dyn std::io::BufRead>,
                )
            })
            .collect();
        shard::merge_to_text(&plan, &sha, readers, output, threads_for(0))
    })
    .map_err(shard_error)
}

#[derive(Clone, Copy)]
enum Kind {
    Count { graph: bool },
    Regions,
    Graph,
    Plot,
}

/// Runs one job, sending regions as they come (for `Regions`), and returns the final document.
/// Every document is built by the library's jobs layer, as the CLI's are.
fn run(
    kind: Kind,
    net: &Network,
    enumerator: &Enumerator,
    provenance: &Provenance,
    tx: &SyncSender<Message>,
) -> Result<String, String> {
    let fail = |e: relu_regions::InternalError| e.to_string();
    match kind {
        Kind::Count { graph } => {
            let counted = jobs::count(net, enumerator, Some(provenance.clone()), graph).map_err(fail)?;
            Ok(json::to_json(&counted.counts))
        }
        Kind::Graph => {
            let a = analyze(net, enumerator).map_err(fail)?;
            Ok(jobs::graph_document(&a, Some(provenance)))
        }
        Kind::Regions => {
            let mut lines = Lines { tx, partial: Vec::new(), held: None };
            let summary =
                jobs::stream_regions(net, enumerator, Some(provenance.clone()), &mut lines).map_err(fail)?;
            match (&summary.sink_error(), lines.held) {
                // the last line of a finished stream is its summary line, the CLI's bytes
                (None, Some(summary_line)) => Ok(summary_line),
                _ => Err("the stream was closed before its end".into()),
            }
        }
        Kind::Plot => Ok(jobs::plot_document(net, enumerator).map_err(fail)?.to_string()),
    }
}

/// The `regions --jsonl` writer's output, line by line: each line is sent to Python once the
/// next one has begun, so the last (the summary line) stays held for the final document. A
/// stream Python dropped fails the write, which stops the job.
struct Lines<'a> {
    tx: &'a SyncSender<Message>,
    partial: Vec<u8>,
    held: Option<String>,
}

impl std::io::Write for Lines<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for chunk in buf.split_inclusive(|&b| b == b'\n') {
            self.partial.extend_from_slice(chunk);
            if self.partial.last() == Some(&b'\n') {
                self.partial.pop();
                let line = String::from_utf8(std::mem::take(&mut self.partial))
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
                if let Some(previous) = self.held.replace(line) {
                    self.tx.send(Message::Region(previous)).map_err(|_| {
                        std::io::Error::new(std::io::ErrorKind::BrokenPipe, "Python dropped the stream")
                    })?;
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The version of the Rust library.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeNetwork>()?;
    m.add_class::<Job>()?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(run_shard, m)?)?;
    m.add_function(wrap_pyfunction!(merge_parts, m)?)?;
    m.add_function(wrap_pyfunction!(batch::count_many, m)?)?;
    for f in [
        wrap_pyfunction!(analyses::locate, m)?,
        wrap_pyfunction!(analyses::range, m)?,
        wrap_pyfunction!(analyses::slice, m)?,
        wrap_pyfunction!(analyses::regions_sizes, m)?,
        wrap_pyfunction!(analyses::vnnlib, m)?,
        wrap_pyfunction!(analyses::check, m)?,
        wrap_pyfunction!(analyses::restrict, m)?,
    ] {
        m.add_function(f)?;
    }
    m.add_function(wrap_pyfunction!(complex::faces_json, m)?)?;
    m.add_function(wrap_pyfunction!(complex::boundary_json, m)?)?;
    m.add("NetworkError", m.py().get_type::<NetworkError>())?;
    m.add("InternalError", m.py().get_type::<InternalError>())?;
    Ok(())
}
