//! The `relu-regions` command line: parse arguments, call the library, print, exit.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use relu_regions::analysis::{analyze, Analysis};
use relu_regions::certify::safe::FloatBox;
use relu_regions::check::{check_answer, CheckOptions};
use relu_regions::enumerate::{CountingSink, Enumerator, RegionSink, Summary};
use relu_regions::error::InternalError;
use relu_regions::export::provenance::Provenance;
use relu_regions::export::svg::{ColorBy, SvgOptions};
use relu_regions::export::{dot, json};
use relu_regions::facets::facets;
use relu_regions::lp::Backend;
use relu_regions::network::nnet::Coords;
use relu_regions::network::{self, Domain, InputFormat, Network};
use relu_regions::num::fmt_approx;
use relu_regions::region::Region;
use relu_regions::slice::{restrict, Plane};
use relu_regions::verify::{verify, Expectations};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::Arc;
use std::time::Duration;

/// Exit code of a run stopped by a limit (the output is marked incomplete).
const EXIT_INCOMPLETE: u8 = 3;
/// Exit code of bad input or usage.
const EXIT_BAD_INPUT: u8 = 2;
/// Exit code of a failed verification or check.
const EXIT_FAILED: u8 = 1;
/// Exit code of an internal error (an exact check failed on the tool's own answer: a bug).
const EXIT_INTERNAL: u8 = 4;

#[derive(Parser)]
#[command(
    name = "relu-regions",
    version,
    about = "Exact activation regions and linear pieces of ReLU networks, certified in rational arithmetic"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Count regions, bounded regions, edges and linear pieces.
    Count {
        #[command(flatten)]
        input: InputArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Skip facets and the adjacency graph (regions and bounded only; streams, flat memory).
        #[arg(long)]
        no_graph: bool,
    },
    /// List every region with its pattern, interior point, inequalities and affine map.
    Regions {
        #[command(flatten)]
        input: InputArgs,
        /// Print one JSON object `{"regions": [...]}`.
        #[arg(long, conflicts_with = "jsonl")]
        json: bool,
        /// Stream one JSON object per region per line (JSON Lines), then a summary line.
        #[arg(long)]
        jsonl: bool,
    },
    /// Print the adjacency graph of regions.
    Graph {
        #[command(flatten)]
        input: InputArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
    },
    /// Check the exact counts against expectations, theoretical bounds and exact sampling.
    Verify {
        #[command(flatten)]
        input: InputArgs,
        /// Expected counts, e.g. regions=4,pieces=4,edges=4,bounded=0 (any subset).
        #[arg(long)]
        expect: Option<String>,
        /// Exact random points for the sampling lower bound (box domains).
        #[arg(long, default_value_t = 2000)]
        samples: usize,
        /// Seed of the sampler.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print a JSON report.
        #[arg(long)]
        json: bool,
    },
    /// Re-verify a `regions --json` output independently, in exact arithmetic.
    Check {
        #[command(flatten)]
        input: InputArgs,
        /// The `regions --json` output to check.
        regions: PathBuf,
        /// The `graph --format json` output of the same run: its edges and pieces are checked too.
        #[arg(long)]
        graph: Option<PathBuf>,
        /// Accept a partial answer ("complete": false): check its regions, not coverage or counts.
        #[arg(long)]
        partial: bool,
    },
    /// Draw the exact partition of a 2-input network, or of a plane through the input space, as SVG.
    Plot {
        #[command(flatten)]
        input: InputArgs,
        /// The SVG file to write.
        #[arg(long)]
        svg: PathBuf,
        /// Fill regions by linear piece or by the first output's value.
        #[arg(long, value_enum, default_value = "piece")]
        color: ColorArg,
        /// Write region ids (as in `regions` and `graph`).
        #[arg(long)]
        ids: bool,
        /// The plane "p1,p2,..;u1,u2,..;v1,v2,.." (x = p + s u + t v); `--box` then bounds (s, t).
        #[arg(long, conflicts_with = "through", allow_hyphen_values = true)]
        plane: Option<String>,
        /// The plane through three input points "a1,..;b1,..;c1,.." (u = b - a, v = c - a).
        #[arg(long, allow_hyphen_values = true)]
        through: Option<String>,
    },
    /// Convert a network to our exact JSON.
    Convert {
        #[command(flatten)]
        input: InputArgs,
        /// Target format.
        #[arg(long, value_enum, default_value = "json")]
        to: ConvertFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorArg {
    Piece,
    Output,
}

#[derive(Clone, Copy, ValueEnum)]
enum ConvertFormat {
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum CoordsArg {
    Raw,
    Normalized,
}

#[derive(Args)]
struct InputArgs {
    /// The network file (.json or .nnet).
    net: PathBuf,
    /// The file format (default: from the extension).
    #[arg(long, value_name = "json|nnet|onnx")]
    input_format: Option<String>,
    /// Override the domain with a box "lo:hi,lo:hi,..." (exact decimals or p/q).
    #[arg(long, conflicts_with = "domain", allow_hyphen_values = true)]
    r#box: Option<String>,
    /// Override the domain with the `domain` object of a JSON file.
    #[arg(long)]
    domain: Option<PathBuf>,
    /// Coordinates of a .nnet network: raw (physical units, default) or normalized.
    #[arg(long, value_enum, default_value = "raw")]
    coords: CoordsArg,
    /// Float LP backend proposing hints: simplex (default), good_lp, exact (no hints).
    #[arg(long, default_value = "simplex")]
    lp: String,
    /// Stop after this many regions (the result is marked incomplete, exit code 3).
    #[arg(long)]
    max_regions: Option<usize>,
    /// Stop after this many seconds (the result is marked incomplete, exit code 3).
    #[arg(long)]
    time_limit: Option<f64>,
    /// Worker threads (default: all cores). The output is identical for every thread count.
    #[arg(long)]
    threads: Option<usize>,
}

/// An input error: reported with exit code 2 (or 4 when it wraps an [`InternalError`]).
#[derive(Debug)]
struct BadInput(anyhow::Error);

impl From<InternalError> for BadInput {
    fn from(e: InternalError) -> BadInput {
        BadInput(anyhow::Error::new(e))
    }
}

impl InputArgs {
    fn load(&self) -> Result<Network, BadInput> {
        let net = self.load_file()?;
        let domain = self.domain_override(net.input_dim()).map_err(BadInput)?;
        match domain {
            Some(d) => net.with_domain(d).map_err(|e| BadInput(e.with_source("--domain/--box").into())),
            None => Ok(net),
        }
    }

    /// Where an output of this run comes from: the network file's hash, format, coordinates and
    /// the domain used.
    fn provenance(&self, net: &Network) -> Result<Provenance, BadInput> {
        let bytes = std::fs::read(&self.net).map_err(|e| {
            BadInput(anyhow::Error::from(e).context(format!("cannot read {}", self.net.display())))
        })?;
        let format = self
            .input_format
            .as_deref()
            .and_then(InputFormat::from_name)
            .or_else(|| InputFormat::from_path(&self.net))
            .unwrap_or(InputFormat::Json);
        Ok(Provenance::new(&bytes, format, self.coords(), net.domain()))
    }

    fn coords(&self) -> Coords {
        match self.coords {
            CoordsArg::Raw => Coords::Raw,
            CoordsArg::Normalized => Coords::Normalized,
        }
    }

    /// The network with the file's own domain (`--box`/`--domain` not applied).
    fn load_file(&self) -> Result<Network, BadInput> {
        let format = match &self.input_format {
            None => None,
            Some(name) => Some(InputFormat::from_name(name).ok_or_else(|| {
                BadInput(anyhow::anyhow!("unknown --input-format `{name}` (expected json, nnet or onnx)"))
            })?),
        };
        network::load(&self.net, format, self.coords()).map_err(|e| BadInput(e.into()))
    }

    fn domain_override(&self, dim: usize) -> Result<Option<Domain>> {
        if let Some(text) = &self.r#box {
            return Ok(Some(network::json::parse_box(text, dim)?));
        }
        if let Some(path) = &self.domain {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            return Ok(Some(network::json::read_domain(&text, &path.display().to_string(), dim)?));
        }
        Ok(None)
    }

    fn enumerator(&self) -> Result<Enumerator, BadInput> {
        let backend = Backend::from_name(&self.lp).ok_or_else(|| {
            BadInput(anyhow::anyhow!("unknown --lp `{}` (expected simplex, good_lp or exact)", self.lp))
        })?;
        let time_limit = match self.time_limit {
            Some(t) if !(t.is_finite() && t >= 0.0) => {
                return Err(BadInput(anyhow::anyhow!(
                    "--time-limit must be a non-negative number of seconds"
                )))
            }
            t => t.map(Duration::from_secs_f64),
        };
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        // Ctrl-C stops the enumeration cleanly: what was found is written, marked incomplete.
        let _ = ctrlc::set_handler(move || flag.store(true, AtomicOrdering::Relaxed));
        Ok(Enumerator::builder()
            .backend(backend)
            .max_regions(self.max_regions)
            .time_limit(time_limit)
            .cancel_flag(cancel)
            .progress(true)
            .threads(
                self.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            )
            .build())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {:#}", err.0);
            if err.0.downcast_ref::<InternalError>().is_some() {
                ExitCode::from(EXIT_INTERNAL)
            } else {
                ExitCode::from(EXIT_BAD_INPUT)
            }
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, BadInput> {
    let io = |e: std::io::Error| BadInput(anyhow::Error::from(e).context("cannot write output"));
    match cli.command {
        Command::Count { input, json, no_graph } => {
            let net = input.load()?;
            let enumerator = input.enumerator()?;
            let mut out = if no_graph {
                count_streaming(&net, &enumerator)?
            } else {
                count_with_graph(&net, &enumerator)?
            };
            out.provenance = Some(input.provenance(&net)?);
            print_counts(&input, &net, &out, json).map_err(io)?;
            Ok(exit_code(out.complete))
        }
        Command::Regions { input, json, jsonl } => {
            let net = input.load()?;
            let enumerator = input.enumerator()?;
            if jsonl {
                let summary = stream_regions(&net, &enumerator, &input.provenance(&net)?)?;
                return Ok(exit_code(summary.complete()));
            }
            let a = analyze(&net, &enumerator)?;
            print_regions(&net, &a, json.then(|| input.provenance(&net)).transpose()?).map_err(io)?;
            report_incomplete(&a.summary);
            Ok(exit_code(a.summary.complete()))
        }
        Command::Graph { input, format } => {
            let net = input.load()?;
            let a = analyze(&net, &input.enumerator()?)?;
            let text = match format {
                GraphFormat::Dot => dot::graph_dot(&a.regions, &a.graph),
                GraphFormat::Json => json::graph_json(
                    &a.regions,
                    &a.graph,
                    a.summary.complete(),
                    Some(&input.provenance(&net)?),
                ),
            };
            std::io::stdout().write_all(text.as_bytes()).map_err(io)?;
            report_incomplete(&a.summary);
            Ok(exit_code(a.summary.complete()))
        }
        Command::Verify { input, expect, samples, seed, json } => {
            let net = input.load()?;
            let expect = Expectations::parse(expect.as_deref().unwrap_or(""))
                .map_err(|e| BadInput(anyhow::anyhow!("--expect: {e}")))?;
            let a = analyze(&net, &input.enumerator()?)?;
            let report = verify(&net, &a, &expect, samples, seed);
            let text = if json {
                let mut doc = serde_json::to_value(&report).expect("reports serialize");
                doc["provenance"] =
                    serde_json::to_value(input.provenance(&net)?).expect("provenance serializes");
                json::to_json(&doc)
            } else {
                report.text()
            };
            std::io::stdout().write_all(text.as_bytes()).map_err(io)?;
            Ok(if report.ok { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) })
        }
        Command::Check { input, regions, graph, partial } => {
            check(&input, &regions, graph.as_deref(), partial)
        }
        Command::Plot { input, svg, color, ids, plane, through } => {
            let (net, axes) = plot_network(&input, plane.as_deref(), through.as_deref())?;
            let enumerator = input.enumerator()?;
            let mut a = analyze(&net, &enumerator)?;
            if matches!(net.domain(), Domain::Whole) {
                let bx = relu_regions::plane::covering_box(&a.regions, &a.facets);
                let boxed = net.with_domain(Domain::Box(bx)).map_err(|e| BadInput(e.into()))?;
                a = analyze(&boxed, &enumerator)?;
            }
            let options = SvgOptions {
                color: match color {
                    ColorArg::Piece => ColorBy::Piece,
                    ColorArg::Output => ColorBy::Output,
                },
                ids,
                title: format!("{}: exact activation regions", input.net.display()),
                axes,
            };
            let text = relu_regions::export::svg::partition_svg(&a, &options);
            std::fs::write(&svg, text).map_err(|e| {
                BadInput(anyhow::Error::from(e).context(format!("cannot write {}", svg.display())))
            })?;
            eprintln!("wrote {} ({} regions, {} pieces)", svg.display(), a.regions.len(), a.graph.pieces);
            report_incomplete(&a.summary);
            Ok(exit_code(a.summary.complete()))
        }
        Command::Convert { input, to: ConvertFormat::Json } => {
            let net = input.load()?;
            std::io::stdout().write_all(network::json::write_network(&net).as_bytes()).map_err(io)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Most failure lines printed by `check` (the count of the rest follows).
const MAX_FAILURE_LINES: usize = 50;

/// Reads a JSON output given to `check`, refusing one made for another network, format,
/// `--coords` or domain before any work.
fn read_output(path: &std::path::Path, here: &Provenance) -> Result<serde_json::Value, BadInput> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| BadInput(anyhow::Error::from(e).context(format!("cannot read {}", path.display()))))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| BadInput(anyhow::anyhow!("{}: invalid JSON: {e}", path.display())))?;
    match doc.get("provenance") {
        Some(p) => {
            let recorded: Provenance = serde_json::from_value(p.clone())
                .map_err(|e| BadInput(anyhow::anyhow!("{}: malformed `provenance`: {e}", path.display())))?;
            if let Some(why) = here.mismatch(&recorded) {
                return Err(BadInput(anyhow::anyhow!(
                    "{} does not belong to this run: {why}",
                    path.display()
                )));
            }
        }
        None => eprintln!(
            "warning: {} records no provenance: its network and domain cannot be compared",
            path.display()
        ),
    }
    Ok(doc)
}

/// `check`: the whole answer, in exact arithmetic.
fn check(
    input: &InputArgs,
    regions: &std::path::Path,
    graph: Option<&std::path::Path>,
    partial: bool,
) -> Result<ExitCode, BadInput> {
    let net = input.load()?;
    let here = input.provenance(&net)?;
    let doc = read_output(regions, &here)?;
    let graph = graph.map(|g| read_output(g, &here)).transpose()?;
    let threads =
        input.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let options = CheckOptions { partial, threads };
    let report = check_answer(&net, &doc, graph.as_ref(), options);
    let io = |e: std::io::Error| BadInput(anyhow::Error::from(e).context("cannot write output"));
    let mut out = std::io::stdout().lock();
    for f in report.failures.iter().take(MAX_FAILURE_LINES) {
        let at = f.region.map_or("answer".to_string(), |r| format!("region {r}"));
        writeln!(out, "FAIL {at}: {}", f.message).map_err(io)?;
    }
    if report.failures.len() > MAX_FAILURE_LINES {
        writeln!(out, "... and {} more failures", report.failures.len() - MAX_FAILURE_LINES).map_err(io)?;
    }
    let scope = if partial {
        "the listed regions (partial answer: coverage not checked)"
    } else {
        "the whole answer"
    };
    let verdict = if report.failures.is_empty() {
        format!("every check holds on {scope}")
    } else {
        "CHECK FAILED".to_string()
    };
    let edges = if graph.is_some() { format!(", {} edges", report.edges) } else { String::new() };
    writeln!(
        out,
        "checked {} regions, {} inequalities{edges}: {verdict}",
        report.regions, report.inequalities
    )
    .map_err(io)?;
    Ok(if report.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) })
}

/// The 2-input network to draw and its axis names: the network itself, or its restriction to a plane.
fn plot_network(
    input: &InputArgs,
    plane: Option<&str>,
    through: Option<&str>,
) -> Result<(Network, [String; 2]), BadInput> {
    let bad = |e: relu_regions::error::NetworkError| BadInput(e.into());
    let plane = match (plane, through) {
        (None, None) => None,
        (Some(p), _) => Some((input.load_file()?, p, false)),
        (_, Some(t)) => Some((input.load_file()?, t, true)),
    };
    let Some((net, text, is_through)) = plane else {
        let net = input.load()?;
        if net.input_dim() != 2 {
            return Err(BadInput(anyhow::anyhow!(
                "the network has {} inputs: plot draws 2-input networks; use --plane or --through for a slice",
                net.input_dim()
            )));
        }
        return Ok((net, ["x0".into(), "x1".into()]));
    };
    let d = net.input_dim();
    let plane =
        if is_through { Plane::parse_through(text, d) } else { Plane::parse_plane(text, d) }.map_err(bad)?;
    let st_box = input.domain_override(2).map_err(BadInput)?;
    Ok((restrict(&net, &plane, st_box).map_err(bad)?, ["s".into(), "t".into()]))
}

fn exit_code(complete: bool) -> ExitCode {
    if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INCOMPLETE)
    }
}

fn report_incomplete(summary: &Summary) {
    if let Some(reason) = summary.stopped {
        eprintln!(
            "warning: INCOMPLETE result: stopped ({reason:?}) after {} regions; everything found so far was written",
            summary.regions
        );
    }
}

fn count_streaming(net: &Network, enumerator: &Enumerator) -> Result<json::CountsOut, InternalError> {
    let mut sink = CountingSink::default();
    let mut summary = enumerator.enumerate(net, &mut sink);
    if let Some(failure) = summary.failure.take() {
        return Err(failure);
    }
    Ok(counts(net, &summary, sink.regions, sink.bounded, None))
}

fn count_with_graph(net: &Network, enumerator: &Enumerator) -> Result<json::CountsOut, InternalError> {
    let a = analyze(net, enumerator)?;
    Ok(counts(net, &a.summary, a.regions.len(), a.bounded(), Some(&a)))
}

fn counts(
    net: &Network,
    summary: &Summary,
    regions: usize,
    bounded: usize,
    a: Option<&Analysis>,
) -> json::CountsOut {
    json::CountsOut {
        regions,
        pieces: a.map(|a| a.graph.pieces),
        edges: a.map(Analysis::edges),
        bounded,
        input_dim: net.input_dim(),
        distinct_maps: a.map(|a| a.graph.distinct_maps),
        hidden_neurons: net.hidden_neurons(),
        complete: summary.complete(),
        stopped: summary.stopped.map(|r| format!("{r:?}")),
        lps: summary.stats.lps,
        bound_lps: summary.stats.bound_lps,
        exact_fallbacks: summary.stats.exact_fallbacks,
        provenance: None,
    }
}

fn domain_words(net: &Network) -> String {
    match net.domain() {
        Domain::Whole => format!("all of R^{}", net.input_dim()),
        Domain::Box(_) => "a box".into(),
        Domain::Polytope { b, .. } => format!("a polytope with {} inequalities", b.len()),
        _ => "a domain".into(),
    }
}

fn print_counts(input: &InputArgs, net: &Network, c: &json::CountsOut, as_json: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if as_json {
        return out.write_all(json::to_json(c).as_bytes());
    }
    writeln!(
        out,
        "{}: {} inputs, {} hidden neurons, {} outputs; domain: {}",
        input.net.display(),
        net.input_dim(),
        net.hidden_neurons(),
        net.output_dim(),
        domain_words(net)
    )?;
    writeln!(
        out,
        "regions:  {}{}",
        c.regions,
        if c.complete { "" } else { " (INCOMPLETE: a limit stopped the run)" }
    )?;
    writeln!(out, "bounded:  {}", c.bounded)?;
    if let (Some(edges), Some(pieces), Some(maps)) = (c.edges, c.pieces, c.distinct_maps) {
        writeln!(out, "edges:    {edges}")?;
        writeln!(out, "pieces:   {pieces} linear pieces, {maps} distinct affine maps")?;
        writeln!(out, "{}", verdict(maps))?;
    }
    writeln!(
        out,
        "certified exactly: {} LPs, {} decided by the exact rational simplex",
        c.lps, c.exact_fallbacks
    )
}

fn verdict(maps: usize) -> String {
    if maps <= 1 {
        "The network is one affine map on its domain: it is linear (affine) here.".into()
    } else {
        format!(
            "The network is piecewise linear with {maps} different affine maps: it is NOT a linear function."
        )
    }
}

/// Prints the regions as text, or as the JSON document when its provenance is given.
fn print_regions(net: &Network, a: &Analysis, as_json: Option<Provenance>) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if let Some(provenance) = as_json {
        let doc = json::regions_document(net, a, Some(&provenance));
        return out.write_all(json::to_json(&doc).as_bytes());
    }
    let wire: Vec<json::RegionOut> = a
        .regions
        .iter()
        .zip(&a.facets)
        .map(|(r, f)| json::RegionOut::new(r, f, Some(a.graph.piece_of[r.id])))
        .collect();
    for (r, w) in a.regions.iter().zip(&wire) {
        print_region_text(&mut out, r, w)?;
    }
    writeln!(
        out,
        "{} regions, {} linear pieces. {}",
        a.regions.len(),
        a.graph.pieces,
        verdict(a.graph.distinct_maps)
    )
}

fn print_region_text(out: &mut impl Write, r: &Region, w: &json::RegionOut) -> std::io::Result<()> {
    writeln!(
        out,
        "region {}  pattern {}  {}",
        r.id,
        w.pattern.join("|"),
        if r.bounded { "bounded" } else { "unbounded" }
    )?;
    writeln!(out, "  point  ({})", w.point.join(", "))?;
    for (k, row) in r.map.jacobian.iter().enumerate() {
        let slope: Vec<String> = row.iter().map(fmt_approx).collect();
        writeln!(out, "  y{k} = [{}] . x + {}", slope.join(", "), fmt_approx(&r.map.offset[k]))?;
    }
    for ineq in &w.inequalities {
        writeln!(out, "  [{}] . x <= {}", ineq.a.join(", "), ineq.b)?;
    }
    Ok(())
}

/// Streams regions as JSON Lines: facets per region, no graph; memory flat in the region count.
fn stream_regions(
    net: &Network,
    enumerator: &Enumerator,
    provenance: &Provenance,
) -> Result<Summary, BadInput> {
    struct LineSink<'a, W: Write> {
        out: W,
        enumerator: &'a Enumerator,
        bx: Option<FloatBox>,
        error: Option<BadInput>,
    }
    impl<W: Write> RegionSink for LineSink<'_, W> {
        fn region(&mut self, region: Region) -> ControlFlow<()> {
            let mut stats = Default::default();
            let f = match facets(&region, self.bx.as_ref(), self.enumerator.backend().solver(), &mut stats) {
                Ok(f) => f,
                Err(e) => {
                    self.error = Some(e.into());
                    return ControlFlow::Break(());
                }
            };
            let wire = json::RegionOut::new(&region, &f, None);
            let line = serde_json::to_string(&wire).expect("wire structs serialize");
            match writeln!(self.out, "{line}") {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    self.error = Some(BadInput(anyhow::Error::from(e).context("cannot write output")));
                    ControlFlow::Break(())
                }
            }
        }
    }
    let stdout = std::io::stdout();
    let bx = FloatBox::from_domain(net.domain());
    let mut sink = LineSink { out: std::io::BufWriter::new(stdout.lock()), enumerator, bx, error: None };
    let mut summary = enumerator.enumerate(net, &mut sink);
    if let Some(e) = sink.error {
        return Err(e);
    }
    if let Some(failure) = summary.failure.take() {
        return Err(failure.into());
    }
    let tail = serde_json::json!({"summary": {"regions": summary.regions, "complete": summary.complete(), "input_dim": net.input_dim(), "provenance": provenance}});
    let io = |e: std::io::Error| BadInput(anyhow::Error::from(e).context("cannot write output"));
    writeln!(sink.out, "{tail}").map_err(io)?;
    sink.out.flush().map_err(io)?;
    report_incomplete(&summary);
    Ok(summary)
}
