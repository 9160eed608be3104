//! Sharded runs: a *plan* cuts the depth-first tree of a run into shards (contiguous ranges of
//! its frontier, see [`crate::enumerate::Subtrees`]), balanced by Knuth estimates of their
//! sizes; each shard runs anywhere (a Slurm array task, a Kubernetes indexed job, a Dask task)
//! and writes a *part*; the *merge* puts the parts together in the plan's order and gives what
//! one machine would: the same regions with the same ids, facets, graph and pieces.
//!
//! A plan carries the network (our exact JSON), its provenance (the original file's hash,
//! format, coordinates and domain) and the LP backend, so a shard needs nothing else. A part is
//! JSON Lines: a header naming the plan (its SHA-256) and the shard, the regions as
//! `regions --jsonl` writes them, and a summary line. Writing a part is atomic (a temporary
//! file renamed), and running a shard twice gives the same bytes, so a scheduler may retry it.
//!
//! The merge trusts no part: each region is verified against the network (`verify`: its point,
//! map, inequalities and facet points, `bounded`), the regions of all parts against the
//! enumeration's order and the graph (`order`), the counts against the regions; a part that
//! fails is refused by name ([`ShardError`]), never merged. It reads the parts a batch of
//! regions at a time (`read`), keeping of each region only the compact record `count` keeps,
//! so merging into regions or a graph runs at the memory of `count` with the graph.

mod merge;
mod order;
mod read;
mod verify;
pub use merge::{merge, merge_to_text, merge_to_writer, MergeOutput, Merged};

use crate::analysis::FacetedRegion;
use crate::enumerate::{from_fn, CountingSink, Enumerator, Estimate, Subtrees, Summary};
use crate::error::{InternalError, NetworkError};
use crate::export::json::RegionOut;
use crate::export::provenance::Provenance;
use crate::lp::Backend;
use crate::network::Network;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::io::Write;

/// The plan format's version.
pub const PLAN_FORMAT: u32 = 1;

/// Why a sharded run cannot go on; each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// A plan or part that cannot be read.
    #[error("{file}: {message}")]
    Malformed {
        /// The file.
        file: String,
        /// What is wrong, and where.
        message: String,
    },
    /// A part made for another plan (or network).
    #[error("{file}: belongs to another plan ({why})")]
    Foreign {
        /// The part file.
        file: String,
        /// What differs.
        why: String,
    },
    /// Two parts of the same shard.
    #[error("{second}: shard {index} is given twice (also {first})")]
    Duplicate {
        /// The shard.
        index: usize,
        /// The first file with it.
        first: String,
        /// The second.
        second: String,
    },
    /// Shards without a part.
    #[error("missing part(s) for shard(s) {}", list(.indices))]
    Missing {
        /// The shards.
        indices: Vec<usize>,
    },
    /// A part from a run that stopped early.
    #[error("{file}: shard {index} is partial (its run stopped: {stopped}); run it again")]
    Partial {
        /// The part file.
        file: String,
        /// The shard.
        index: usize,
        /// Why its run stopped.
        stopped: String,
    },
    /// A part whose contents are not what its shard computes: a region that fails its
    /// verification, counts that disagree with the regions, regions out of the enumeration's
    /// order, or a region or facet left out.
    #[error(
        "{file}: {message}; the part is not what its shard computes (damaged or edited): run the shard again"
    )]
    Inconsistent {
        /// The part file (or the two parts a missing region may belong to).
        file: String,
        /// What is wrong, and where.
        message: String,
    },
    /// A part written with `--counts-only` where regions are needed.
    #[error("{file}: holds counts only; regions or a graph need parts that were written with their regions")]
    CountsOnly {
        /// The part file.
        file: String,
    },
    /// The merge stopped (a time limit, Ctrl-C) before it was done: `written` bytes of the
    /// output were written (0 where it stopped before writing: nothing was).
    #[error("{}", stopped_message(*.reason, .phase, *.written))]
    Stopped {
        /// Why.
        reason: crate::StopReason,
        /// What it was doing.
        phase: String,
        /// The bytes of the output written before it stopped.
        written: u64,
    },
    /// The network in the plan.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// An exact check failed.
    #[error(transparent)]
    Internal(#[from] InternalError),
    /// Reading or writing a file.
    #[error("{file}: {error}")]
    Io {
        /// The file.
        file: String,
        /// The error.
        error: std::io::Error,
    },
}

fn stopped_message(reason: crate::StopReason, phase: &str, written: u64) -> String {
    if written == 0 {
        format!("the merge stopped ({reason}) while {phase}: nothing was written")
    } else {
        format!(
            "the merge stopped ({reason}) while {phase}: the output was cut short after {written} bytes \
             and is not a complete document"
        )
    }
}

fn list(indices: &[usize]) -> String {
    let shown: Vec<String> = indices.iter().take(20).map(ToString::to_string).collect();
    let more = indices.len().saturating_sub(20);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// One shard of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardSpec {
    /// Its index (0-based).
    pub index: usize,
    /// The frontier items it enumerates, `[start, end)`.
    pub items: [usize; 2],
    /// Their addresses (see [`crate::enumerate::Subtrees`]).
    pub addresses: Vec<String>,
    /// Its estimated number of regions.
    pub estimate: f64,
}

/// A plan of shards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// [`PLAN_FORMAT`].
    pub relu_regions_plan: u32,
    /// Where the network came from (the outputs of the merge carry it).
    pub provenance: Provenance,
    /// The LP backend (the frontier and the regions' points depend on it).
    pub lp: String,
    /// The frontier size asked for.
    pub frontier: usize,
    /// The frontier's items.
    pub items: usize,
    /// The estimated number of regions (Knuth's estimator).
    pub estimated_regions: f64,
    /// The largest shard's load over the mean load (loads are the estimates with outliers
    /// capped, see `balancing_weights`).
    pub balance: f64,
    /// The LP figures of the work above the shards' subtrees (`lps`, `bound_lps`,
    /// `exact_fallbacks`), added once by the merge.
    pub above: [u64; 3],
    /// The shards, in order.
    pub shards: Vec<ShardSpec>,
    /// The network with its domain, in our exact JSON.
    pub network: Value,
}

impl Plan {
    /// Plans `shards` shards of about `per_shard` frontier items each, estimated by `descents`
    /// random descents per item.
    ///
    /// See the example on [`merge_to_text`].
    pub fn new(
        net: &Network,
        enumerator: &Enumerator,
        provenance: Provenance,
        shards: usize,
        per_shard: usize,
        descents: usize,
    ) -> Result<Plan, ShardError> {
        let shards = shards.max(1);
        let frontier = shards * per_shard.max(1);
        let (estimates, above) = enumerator.frontier_estimates(net, frontier, descents)?;
        let total: f64 = estimates.iter().map(|e| e.regions).sum();
        let weights = balancing_weights(&estimates);
        let bounds = contiguous_cuts(&weights, shards);
        let sums: Vec<f64> = (0..shards)
            .map(|s| estimates[bounds[s]..bounds[s + 1]].iter().map(|e| e.regions).sum())
            .collect();
        let loads: Vec<f64> = (0..shards).map(|s| weights[bounds[s]..bounds[s + 1]].iter().sum()).collect();
        let specs: Vec<ShardSpec> = (0..shards)
            .map(|s| ShardSpec {
                index: s,
                items: [bounds[s], bounds[s + 1]],
                addresses: estimates[bounds[s]..bounds[s + 1]].iter().map(|e| e.address.clone()).collect(),
                estimate: sums[s],
            })
            .collect();
        let mean = loads.iter().sum::<f64>() / shards as f64;
        let balance = if mean > 0.0 { loads.iter().copied().fold(0.0, f64::max) / mean } else { 1.0 };
        let network = serde_json::from_str(&crate::network::json::write_network(net))
            .map_err(|e| InternalError::new(format!("the network's JSON does not parse back: {e}")))?;
        Ok(Plan {
            relu_regions_plan: PLAN_FORMAT,
            provenance,
            lp: backend_name(enumerator.backend()).into(),
            frontier,
            items: estimates.len(),
            estimated_regions: total,
            balance,
            above: [above.lps, above.bound_lps, above.exact_fallbacks],
            shards: specs,
            network,
        })
    }

    /// Reads a plan file's text; `file` names it in errors.
    ///
    /// See the example on [`merge_to_text`].
    pub fn read(text: &str, file: &str) -> Result<Plan, ShardError> {
        let plan: Plan = serde_json::from_str(text).map_err(|e| ShardError::Malformed {
            file: file.into(),
            message: format!("not a shard plan: {e}"),
        })?;
        if plan.relu_regions_plan != PLAN_FORMAT {
            return Err(ShardError::Malformed {
                file: file.into(),
                message: format!("plan format {} (this tool reads {PLAN_FORMAT})", plan.relu_regions_plan),
            });
        }
        Ok(plan)
    }

    /// The network of the plan (with its domain).
    ///
    /// See the example on [`merge_to_text`].
    pub fn network(&self, file: &str) -> Result<Network, ShardError> {
        Ok(crate::network::json::read_network(&self.network.to_string(), file)?)
    }

    /// The backend the plan was made with.
    ///
    /// See the example on [`merge_to_text`].
    pub fn backend(&self) -> Backend {
        Backend::from_name(&self.lp).unwrap_or_default()
    }

    /// The subtrees of shard `index`.
    ///
    /// See the example on [`merge_to_text`].
    pub fn subtrees(&self, index: usize) -> Option<Subtrees> {
        let spec = self.shards.get(index)?;
        Some(Subtrees { addresses: spec.addresses.clone() })
    }
}

/// The weights the shards are balanced by: each item's estimate, capped at 16 times the median
/// estimate of the open subtrees. Knuth's estimator is unbiased but heavy-tailed (one descent
/// down a long path multiplies many 2s), and an uncapped outlier would leave most shards empty.
pub(crate) fn balancing_weights(estimates: &[Estimate]) -> Vec<f64> {
    let mut open: Vec<f64> = estimates.iter().filter(|e| !e.finished).map(|e| e.regions).collect();
    open.sort_by(f64::total_cmp);
    let median = open.get(open.len() / 2).copied().unwrap_or(1.0).max(1.0);
    estimates.iter().map(|e| e.regions.clamp(1.0, 16.0 * median)).collect()
}

/// Cuts `weights` into `shards` contiguous ranges of about equal weight, none empty while
/// there are items left for it; returns the `shards + 1` boundaries.
fn contiguous_cuts(weights: &[f64], shards: usize) -> Vec<usize> {
    let mut bounds = vec![0usize; shards + 1];
    let mut remaining: f64 = weights.iter().sum();
    let mut i = 0;
    for s in 0..shards {
        let left = shards - s;
        let target = remaining / left as f64;
        let mut load = 0.0;
        // leave at least one item for each later shard, take at least one
        while i < weights.len() && weights.len() - i > left - 1 {
            let w = weights[i];
            if load > 0.0 && load + w / 2.0 > target {
                break;
            }
            load += w;
            i += 1;
        }
        if s == shards - 1 {
            i = weights.len();
        }
        remaining -= load;
        bounds[s + 1] = i;
    }
    bounds
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::FloatSimplex => "simplex",
        Backend::GoodLp => "good_lp",
        Backend::ExactOnly => "exact",
    }
}

/// The SHA-256 of a plan file's bytes, in hex: what its parts name.
///
/// See the example on [`merge_to_text`].
pub fn plan_hash(bytes: &[u8]) -> String {
    crate::export::provenance::sha256_hex(bytes)
}

/// Runs shard `index` of `plan` with `enumerator`'s threads and limits (its backend is the
/// plan's) and writes the part to `out`: the header, the regions (none with `counts_only`)
/// and the summary. Returns the run's summary.
///
/// See the example on [`merge_to_text`].
pub fn run_shard(
    plan: &Plan,
    plan_sha256: &str,
    index: usize,
    enumerator: Enumerator,
    counts_only: bool,
    out: &mut dyn Write,
) -> Result<Summary, ShardError> {
    let net = plan.network("plan")?;
    let subtrees = plan.subtrees(index).ok_or_else(|| ShardError::Malformed {
        file: "plan".into(),
        message: format!("has {} shards; there is no shard {index}", plan.shards.len()),
    })?;
    let enumerator = enumerator.reconfigure(plan.backend(), Some(subtrees.clone()));
    let io = |error| ShardError::Io { file: "part".into(), error };
    let header = json!({"part": {"plan_sha256": plan_sha256, "index": index, "items": plan.shards[index].items,
        "counts_only": counts_only, "provenance": plan.provenance}});
    writeln!(out, "{header}").map_err(io)?;
    let (summary, bounded, graph) = if counts_only {
        let mut sink = CountingSink::default();
        let summary = enumerator.enumerate(&net, &mut sink)?;
        (summary, sink.bounded, None)
    } else {
        let mut bounded = 0;
        let mut error = None;
        let labels = crate::export::labels::FacetLabels::new(&net);
        let (summary, graph) = crate::analysis::stream_with_graph_stats(
            &net,
            &enumerator,
            &mut from_fn(|r: FacetedRegion| {
                bounded += usize::from(r.region.bounded);
                let line = serde_json::to_string(&RegionOut::new(&labels, &r.region, &r.facets, None))
                    .expect("wire structs serialize");
                match writeln!(out, "{line}") {
                    Ok(()) => std::ops::ControlFlow::Continue(()),
                    Err(e) => {
                        error = Some(e);
                        std::ops::ControlFlow::Break(())
                    }
                }
            }),
        )?;
        if let Some(e) = error {
            return Err(io(e));
        }
        (summary, bounded, Some(graph))
    };
    let mut tail = json!({"summary": {"regions": summary.regions, "bounded": bounded, "complete": summary.complete(),
        "stopped": summary.stopped.map(|r| format!("{r:?}")), "lps": summary.stats.lps,
        "bound_lps": summary.stats.bound_lps, "exact_fallbacks": summary.stats.exact_fallbacks}});
    // what `count` with the graph reports: it certifies only the facets inside the domain
    if let Some(graph) = graph {
        tail["summary"]["graph_lps"] = json!([graph.lps, graph.bound_lps, graph.exact_fallbacks]);
    }
    writeln!(out, "{tail}").map_err(io)?;
    Ok(summary)
}
