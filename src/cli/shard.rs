//! `shard plan`, `shard run` and `merge`: sharded runs for schedulers (Slurm arrays, Kubernetes
//! indexed jobs, Dask), over the library's [`relu_regions::jobs::shard`].

use super::args::{NetArgs, RunArgs, ThreadArgs};
use super::render::report_incomplete;
use super::{exit_code, output_error, BadInput};
use clap::{Args, Subcommand, ValueEnum};
use relu_regions::export::json;
use relu_regions::jobs::shard::{self, merge_to_writer, plan_hash, run_shard, Plan, ShardError};
use relu_regions::Enumerator;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `shard plan` and `shard run`.
#[derive(Subcommand)]
pub(crate) enum ShardCommand {
    /// Plan a sharded run: cut the depth-first tree into shards balanced by estimated size.
    Plan {
        #[command(flatten)]
        input: NetArgs,
        #[command(flatten)]
        run: RunArgs,
        /// Number of shards (use several per machine so that a slow one does not hold the run).
        #[arg(long)]
        shards: usize,
        /// Frontier subtrees per shard (more: finer balance, a longer plan).
        #[arg(long, default_value_t = 16)]
        per_shard: usize,
        /// Random descents per subtree for the size estimates.
        #[arg(long, default_value_t = 4)]
        descents: usize,
        /// Where to write the plan.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Run one shard of a plan and write its part (atomically; rerunning gives the same bytes).
    Run(RunShard),
}

/// `shard run` options.
#[derive(Args)]
pub(crate) struct RunShard {
    /// The plan.
    plan: PathBuf,
    /// The shard (default: $SLURM_ARRAY_TASK_ID, else $JOB_COMPLETION_INDEX).
    #[arg(long)]
    index: Option<usize>,
    /// Where to write the part (a `{index}` in the name is replaced by the shard's index).
    #[arg(short, long)]
    output: PathBuf,
    /// Write counts only (flat memory; merges to the `count --no-graph` figures).
    #[arg(long)]
    counts_only: bool,
    /// Stop after this many seconds (the part is then marked partial, exit code 3).
    #[arg(long, value_name = "SECONDS")]
    time_limit: Option<f64>,
    #[command(flatten)]
    threads: ThreadArgs,
}

/// What `merge` prints.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum MergeOutput {
    /// What `count --json` prints.
    Count,
    /// What `regions --json` prints.
    Regions,
    /// What `graph` prints (`--format json|dot`).
    Graph,
}

/// The graph's format for `merge --output graph`.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum MergeGraphFormat {
    /// `graph --format json`.
    Json,
    /// `graph --format dot`.
    Dot,
}

fn shard_error(e: ShardError) -> BadInput {
    match e {
        ShardError::Internal(e) => e.into(),
        other => BadInput(other.into()),
    }
}

fn read_plan(path: &Path) -> Result<(Plan, String), BadInput> {
    let bytes =
        std::fs::read(path).map_err(|e| BadInput(anyhow::anyhow!("cannot read {}: {e}", path.display())))?;
    let text = String::from_utf8_lossy(&bytes);
    let plan = Plan::read(&text, &path.display().to_string()).map_err(shard_error)?;
    Ok((plan, plan_hash(&bytes)))
}

/// Writes `bytes` to `path` atomically (a temporary file beside it, renamed).
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), BadInput> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp.{}", std::process::id()));
    let fail = |e: std::io::Error| BadInput(anyhow::anyhow!("cannot write {}: {e}", path.display()));
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// Runs `shard plan` or `shard run`.
pub(crate) fn shard(command: ShardCommand) -> Result<ExitCode, BadInput> {
    match command {
        ShardCommand::Plan { input, run, shards, per_shard, descents, output } => {
            if shards == 0 {
                return Err(BadInput(anyhow::anyhow!("--shards must be at least 1")));
            }
            let net = input.load()?;
            let enumerator = run.enumerator()?;
            let plan = Plan::new(&net, &enumerator, input.provenance(&net)?, shards, per_shard, descents)
                .map_err(shard_error)?;
            write_atomically(&output, json::to_json(&plan).as_bytes())?;
            eprintln!(
                "wrote {}: {} shards over {} subtrees, about {:.0} regions, largest shard {:.2}x the mean",
                output.display(),
                plan.shards.len(),
                plan.items,
                plan.estimated_regions,
                plan.balance
            );
            Ok(ExitCode::SUCCESS)
        }
        ShardCommand::Run(args) => run(args),
    }
}

fn shard_index(given: Option<usize>) -> Result<usize, BadInput> {
    if let Some(i) = given {
        return Ok(i);
    }
    for var in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] {
        if let Ok(value) = std::env::var(var) {
            return value
                .trim()
                .parse()
                .map_err(|_| BadInput(anyhow::anyhow!("${var} is {value:?}, not a shard index")));
        }
    }
    Err(BadInput(anyhow::anyhow!("give --index (or set SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)")))
}

fn run(args: RunShard) -> Result<ExitCode, BadInput> {
    let (plan, sha) = read_plan(&args.plan)?;
    let index = shard_index(args.index)?;
    if index >= plan.shards.len() {
        return Err(BadInput(anyhow::anyhow!(
            "{}: has {} shards (0..{}); there is no shard {index}",
            args.plan.display(),
            plan.shards.len(),
            plan.shards.len()
        )));
    }
    let run_args = RunArgs {
        lp: super::args::LpArg::Simplex, // replaced by the plan's backend
        max_regions: None,
        time_limit: args.time_limit,
        threads: args.threads,
    };
    let enumerator: Enumerator = run_args.enumerator()?;
    let mut part = Vec::new();
    let summary =
        run_shard(&plan, &sha, index, enumerator, args.counts_only, &mut part).map_err(shard_error)?;
    let output = PathBuf::from(args.output.to_string_lossy().replace("{index}", &index.to_string()));
    write_atomically(&output, &part)?;
    eprintln!("wrote {}: shard {index}, {} regions", output.display(), summary.regions());
    report_incomplete(&summary);
    Ok(exit_code(summary.complete()))
}

/// `merge PLAN PART...`: prints what the single-machine command would.
pub(crate) fn merge_parts(
    plan_path: &Path,
    parts: &[PathBuf],
    output: MergeOutput,
    format: MergeGraphFormat,
    time_limit: Option<f64>,
    threads: &ThreadArgs,
) -> Result<ExitCode, BadInput> {
    // the limit and Ctrl-C hold in every phase: reading the plan and the parts, spilling, writing
    let token = super::stop::start(time_limit)?;
    let _stop = token.install();
    let (plan, sha) = super::stop::until_stopped("reading the plan", {
        let path = plan_path.to_path_buf();
        move || read_plan(&path)
    })?;
    let mut readers: Vec<(String, Box<dyn std::io::BufRead>)> = Vec::new();
    for path in parts {
        let file = std::fs::File::open(path)
            .map_err(|e| BadInput(anyhow::anyhow!("cannot read {}: {e}", path.display())))?;
        readers.push((path.display().to_string(), Box::new(BufReader::new(file))));
    }
    let output = match (output, format) {
        (MergeOutput::Count, _) => shard::MergeOutput::Count,
        (MergeOutput::Regions, _) => shard::MergeOutput::Regions,
        (MergeOutput::Graph, MergeGraphFormat::Json) => shard::MergeOutput::GraphJson,
        (MergeOutput::Graph, MergeGraphFormat::Dot) => shard::MergeOutput::GraphDot,
    };
    // written as it goes: the merged analysis is held, its text never is
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match merge_to_writer(&plan, &sha, readers, output, threads.count(), &mut out) {
        Err(stopped @ ShardError::Stopped { .. }) => {
            // what was written is flushed, and the message says it is cut short
            out.flush().map_err(output_error)?;
            eprintln!("warning: INCOMPLETE merge: {stopped}; run it again without the limit");
            Ok(ExitCode::from(super::EXIT_INCOMPLETE))
        }
        merged => {
            merged.map_err(shard_error)?.map_err(output_error)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
