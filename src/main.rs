//! The `relu-regions` command line: parse the options, validate them into settings, call the
//! library, print, exit. Options are grouped by what they act on ([`cli::args`]).

mod cli;

use clap::{Parser, Subcommand, ValueEnum};
use cli::args::{NetArgs, RunArgs, ThreadArgs};
use cli::commands::{self, PlotRequest};
use cli::{simple, BadInput};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc: the enumeration allocates and frees millions of small vectors (rows, patterns,
/// maps), about an eighth of a counting run's time in the system allocator. Built without its
/// transparent huge pages (the `no_thp` feature): with them every page a run touches was
/// resident in 2 MiB, a third of `count`'s and `faces`' peak (docs/performance.md, `faces10`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "relu-regions",
    version,
    about = "Exact activation regions and linear pieces of ReLU networks, certified in rational arithmetic",
    after_help = "Exit codes: 0 success, 1 a verification or check failed, 2 bad input or usage, 3 a limit or Ctrl-C stopped the run (the output is marked incomplete), 4 internal error."
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
        input: NetArgs,
        #[command(flatten)]
        run: RunArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Skip facets and the adjacency graph (regions and bounded only; streams, flat memory).
        #[arg(long)]
        no_graph: bool,
        /// Add the f-vector of the whole complex (every face, bounded and all).
        #[arg(long)]
        faces: bool,
    },
    /// Every face of the complex (all dimensions): the f-vector, or each face with --jsonl.
    Faces {
        #[command(flatten)]
        input: NetArgs,
        #[command(flatten)]
        run: RunArgs,
        /// List the faces of this dimension only.
        #[arg(long, value_name = "K")]
        dim: Option<usize>,
        /// Print one JSON object (f-vectors; the faces of --dim when given).
        #[arg(long, conflicts_with = "jsonl")]
        json: bool,
        /// Stream one JSON object per face per line, then a summary line.
        #[arg(long)]
        jsonl: bool,
    },
    /// A level set {y_K = C} or the argmax ties, with its Betti numbers and the decision regions.
    Boundary {
        #[command(flatten)]
        input: NetArgs,
        #[command(flatten)]
        run: RunArgs,
        /// The output K.
        #[arg(long, default_value_t = 0)]
        output: usize,
        /// The level C (exact decimal or p/q; default 0).
        #[arg(long, allow_hyphen_values = true, conflicts_with = "classes")]
        level: Option<String>,
        /// Where the argmax of the outputs is not unique.
        #[arg(long)]
        classes: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List every region with its pattern, interior point, inequalities and affine map.
    Regions {
        #[command(flatten)]
        input: NetArgs,
        #[command(flatten)]
        run: RunArgs,
        /// Print one JSON object `{"regions": [...]}`.
        #[arg(long, conflicts_with = "jsonl")]
        json: bool,
        /// Stream one JSON object per region per line (JSON Lines), then a summary line.
        #[arg(long)]
        jsonl: bool,
        /// With --json: each region's size (exact area in 2-D, volume in 3-D, a certified
        /// inscribed ball; on a box, volume estimates from --samples points).
        #[arg(long, requires = "json")]
        sizes: bool,
        /// Exact random points for the volume estimates of --sizes (box domains).
        #[arg(long, default_value_t = 0)]
        samples: usize,
    },
    /// Print the adjacency graph of regions.
    Graph {
        #[command(flatten)]
        input: NetArgs,
        #[command(flatten)]
        run: RunArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
        /// DOT node labels: short (id, pattern, rounded slopes) or exact (every rational).
        #[arg(long, value_enum, default_value = "short")]
        labels: LabelsArg,
    },
    /// Check the exact counts against expectations, theoretical bounds and exact sampling.
    Verify {
        #[command(flatten)]
        input: NetArgs,
        #[command(flatten)]
        run: RunArgs,
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
    /// Prove a `regions --json` output (and its graph) independently, in exact arithmetic.
    Check {
        #[command(flatten)]
        input: NetArgs,
        #[command(flatten)]
        threads: ThreadArgs,
        /// The `regions --json` output to check (or a `regions --jsonl` stream).
        regions: PathBuf,
        /// The `graph --format json` output of the same run: every node and edge field is checked
        /// too (complete answers only).
        #[arg(long)]
        graph: Option<PathBuf>,
        /// Accept a partial answer ("complete": false): check its regions, not coverage or counts.
        #[arg(long, conflicts_with = "graph")]
        partial: bool,
        /// The document is a `vnnlib --proof` certificate that this property is unsat: check
        /// that its leaves cover the property's box and each misses the unsafe set.
        #[arg(long, value_name = "PROP.vnnlib", conflicts_with_all = ["graph", "partial"])]
        property: Option<PathBuf>,
        /// The document is a `faces --jsonl` stream: every face's point, sign vector and
        /// dimension, its facets and the identities are checked.
        #[arg(long, conflicts_with_all = ["graph", "partial", "property"])]
        faces: bool,
        /// The document is a `boundary --json` document: every face of the augmented complex,
        /// the boundary set's cells, f-vector, Betti numbers and decision regions are checked.
        #[arg(long, conflicts_with_all = ["graph", "partial", "property", "faces"])]
        boundary: bool,
        /// Stop after this many seconds (the check is then incomplete: exit code 3, unless a
        /// failure was found).
        #[arg(long, value_name = "SECONDS")]
        time_limit: Option<f64>,
    },
    /// Draw the exact partition of a 2-input network, or of a plane through the input space, as SVG.
    Plot {
        #[command(flatten)]
        input: NetArgs,
        #[command(flatten)]
        run: RunArgs,
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
        /// The window "lo:hi,lo:hi" drawn (default: the bounded regions with a margin; regions
        /// are clipped to it exactly).
        #[arg(long, allow_hyphen_values = true)]
        window: Option<String>,
        /// Draw the level set {y_K = C} (default {y_0 = 0}), or with --classes the argmax ties,
        /// over the partition (exact segments).
        #[arg(long)]
        boundary: bool,
        /// With --boundary: the output K of the level set.
        #[arg(
            long,
            value_name = "K",
            default_value_t = 0,
            requires = "boundary",
            conflicts_with = "classes"
        )]
        output: usize,
        /// With --boundary: the level C (exact decimal or p/q; default 0).
        #[arg(
            long,
            value_name = "C",
            allow_hyphen_values = true,
            requires = "boundary",
            conflicts_with = "classes"
        )]
        level: Option<String>,
        /// With --boundary: draw where the argmax of the outputs is not unique.
        #[arg(long, requires = "boundary")]
        classes: bool,
        /// The boundary's line colour: `#rrggbb` or a colour name (letters only).
        #[arg(long, value_name = "COLOUR", default_value = "#d00000")]
        boundary_color: String,
        /// The boundary's line width.
        #[arg(long, value_name = "WIDTH", default_value_t = 3.0)]
        boundary_width: f64,
    },
    /// Decide a VNN-LIB property exactly: sat (with an exact counterexample), unsat, or unknown
    /// when a limit stops the run.
    Vnnlib {
        #[command(flatten)]
        input: NetArgs,
        /// The property (.vnnlib): input bounds and the unsafe outputs.
        property: PathBuf,
        #[command(flatten)]
        run: RunArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// When the answer is unsat, write its certificate here (for `check NET FILE --property PROP`).
        #[arg(long, value_name = "FILE")]
        proof: Option<PathBuf>,
    },
    /// The exact minimum and maximum of every output over the domain, with where they are
    /// attained, and optionally the exact Lipschitz constants.
    Range {
        #[command(flatten)]
        input: NetArgs,
        #[command(flatten)]
        run: RunArgs,
        /// Also the Lipschitz constants in the l1 and l-infinity norms (largest induced norm of
        /// the Jacobians) and the regions attaining them.
        #[arg(long)]
        lipschitz: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// The region containing a point, or every region it lies on when it sits on a boundary.
    Locate {
        #[command(flatten)]
        input: NetArgs,
        #[command(flatten)]
        run: RunArgs,
        /// The point "x1,x2,..." (exact decimals or p/q).
        #[arg(long, allow_hyphen_values = true)]
        point: String,
        /// Also give each region its id in `regions` (enumerates the whole domain).
        #[arg(long)]
        ids: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// The exact breakpoints of the network along a segment, with each piece's map.
    Slice {
        #[command(flatten)]
        input: NetArgs,
        #[command(flatten)]
        run: RunArgs,
        /// The segment "a1,a2,..;b1,b2,.." (x = a + t (b - a), t in [0, 1]).
        #[arg(long, allow_hyphen_values = true)]
        line: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Also draw every output along the segment as SVG.
        #[arg(long)]
        svg: Option<PathBuf>,
    },
    /// Sharded runs: plan shards, run one (on any machine; a scheduler's array index).
    #[command(subcommand)]
    Shard(cli::shard::ShardCommand),
    /// Merge the parts of a sharded run into what the single-machine command prints.
    Merge {
        /// The plan.
        plan: PathBuf,
        /// The parts (one per shard, in any order).
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// What to print.
        #[arg(long, value_enum, default_value = "count")]
        output: cli::shard::MergeOutput,
        /// The graph's format (with --output graph).
        #[arg(long, value_enum, default_value = "json")]
        format: cli::shard::MergeGraphFormat,
        /// Stop after this many seconds (nothing is printed if it stops before writing; exit 3).
        #[arg(long, value_name = "SECONDS")]
        time_limit: Option<f64>,
        #[command(flatten)]
        threads: ThreadArgs,
    },
    /// Convert a network to our exact JSON.
    Convert {
        #[command(flatten)]
        input: NetArgs,
        /// Target format.
        #[arg(long, value_enum, default_value = "json")]
        to: ConvertFormat,
    },
    /// Print a shell completion script (e.g. `relu-regions completions bash > /etc/bash_completion.d/relu-regions`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff; e.g. `relu-regions man | man -l -`).
    Man,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum LabelsArg {
    Short,
    Exact,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorArg {
    Piece,
    Output,
    /// The decision class (argmax of the outputs; one output: its sign), the partition refined
    /// by the decision boundary first.
    Class,
}

#[derive(Clone, Copy, ValueEnum)]
enum ConvertFormat {
    /// Our JSON's `layers` form (dense layers).
    Json,
    /// Our JSON's graph form (the operators with exact parameters; convolutions stay kernels).
    JsonGraph,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {:#}", err.0);
            err.code()
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, BadInput> {
    // the command's stop token starts with it: its deadline counts the reading of the network
    if let Some(limit) = time_limit(&cli.command) {
        cli::stop::start(limit)?;
    }
    dispatch(cli.command)
}

/// The `--time-limit` of a command that has one (`None` outside: no stop token).
fn time_limit(command: &Command) -> Option<Option<f64>> {
    match command {
        Command::Count { run, .. }
        | Command::Regions { run, .. }
        | Command::Graph { run, .. }
        | Command::Verify { run, .. }
        | Command::Plot { run, .. }
        | Command::Vnnlib { run, .. }
        | Command::Range { run, .. }
        | Command::Locate { run, .. }
        | Command::Slice { run, .. }
        | Command::Faces { run, .. }
        | Command::Boundary { run, .. } => Some(run.time_limit),
        Command::Check { time_limit, .. } => Some(*time_limit),
        _ => None,
    }
}

/// Runs one command: each arm hands its options to the function that runs it.
fn dispatch(command: Command) -> Result<ExitCode, BadInput> {
    match command {
        Command::Count { input, run, json, no_graph, faces } => {
            commands::count(&input, &run, json, no_graph, faces)
        }
        Command::Faces { input, run, dim, json, jsonl } => cli::faces::faces(&input, &run, dim, json, jsonl),
        Command::Boundary { input, run, output, level, classes, json } => {
            cli::faces::boundary(&input, &run, output, level.as_deref(), classes, json)
        }
        Command::Regions { input, run, json, jsonl, sizes, samples } => {
            commands::regions(&input, &run, json, jsonl, sizes.then_some(samples))
        }
        Command::Graph { input, run, format, labels } => simple::graph(&input, &run, format, labels),
        Command::Verify { input, run, expect, samples, seed, json } => {
            let request = simple::VerifyRequest { expect: expect.as_deref(), samples, seed };
            simple::verify_command(&input, &run, &request, json)
        }
        Command::Check {
            input,
            threads,
            regions,
            graph,
            partial,
            property,
            faces,
            boundary,
            time_limit: _,
        } => match (property, faces) {
            (Some(property), _) => cli::check::check_proof(&input, &regions, &property),
            (None, true) => cli::faces::check_faces(&input, &regions),
            (None, false) if boundary => cli::faces::check_boundary(&input, &regions),
            (None, false) => cli::check::check(&input, &threads, &regions, graph.as_deref(), partial),
        },
        Command::Plot {
            input,
            run,
            svg,
            color,
            ids,
            plane,
            through,
            window,
            boundary,
            output,
            level,
            classes,
            boundary_color,
            boundary_width,
        } => {
            let request = PlotRequest {
                plane: plane.as_deref(),
                through: through.as_deref(),
                window: window.as_deref(),
                boundary: boundary.then_some(cli::faces::LevelFlags {
                    output,
                    level: level.as_deref(),
                    classes,
                }),
                classes: matches!(color, ColorArg::Class),
            };
            let mut options = simple::svg_options(&input, color, ids);
            cli::faces::boundary_stroke(&mut options, &boundary_color, boundary_width)?;
            commands::plot(&input, &run, &request, options, &svg)
        }
        Command::Vnnlib { input, property, run, json, proof } => {
            commands::vnnlib(&input, &run, &property, json, proof.as_deref())
        }
        Command::Range { input, run, lipschitz, json } => commands::range(&input, &run, lipschitz, json),
        Command::Locate { input, run, point, ids, json } => commands::locate(&input, &run, &point, ids, json),
        Command::Slice { input, run, line, json, svg } => {
            commands::slice(&input, &run, &line, json, svg.as_deref())
        }
        Command::Shard(command) => cli::shard::shard(command),
        Command::Merge { plan, parts, output, format, time_limit, threads } => {
            cli::shard::merge_parts(&plan, &parts, output, format, time_limit, &threads)
        }
        Command::Convert { input, to } => simple::convert(&input, to),
        Command::Completions { shell } => simple::completions(shell),
        Command::Man => simple::man(),
    }
}
