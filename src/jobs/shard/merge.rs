//! The merge of a plan's parts: headers sorted into shard order, each part's regions read and
//! verified ([`super::verify`]), the counts checked against them, the order and the graph of
//! all regions ([`super::order`]), and the single machine's outputs printed from them.

use super::read::{domain_is_bounded, ReadParts, Reading};
use super::{Plan, ShardError};
use crate::analysis::graph_counts::pieces::{graph_from_edges, listed_edges, StreamedGraph};
use crate::analysis::Analysis;
use crate::certify::LpStats;
use crate::enumerate::prepared::Prepared;
use crate::enumerate::Summary;
use crate::export::provenance::Provenance;
use serde::Deserialize;
use serde_json::Value;
use std::io::BufRead;

/// What a merge gives: the whole analysis (regions, facets, graph), or only the counts when a
/// part holds counts only and `want_regions` is false.
#[derive(Debug)]
pub enum Merged {
    /// Every region with its facets and the graph.
    Analysis(Box<Analysis>),
    /// Only the counts (the `count --no-graph` figures).
    Counts {
        /// The summary (regions, LP figures).
        summary: Summary,
        /// Bounded regions.
        bounded: usize,
    },
}

/// Merges the parts of `plan` (each a file name and a reader), in any order given: each must
/// name the plan, every shard must have exactly one complete part. When every part holds its
/// regions they are verified against the network and each other (a part that fails is
/// [`ShardError::Inconsistent`], by name) and the graph is built; with `want_regions`, a
/// counts-only part is an error.
///
/// See the example on [`merge_to_text`].
pub fn merge(
    plan: &Plan,
    plan_sha256: &str,
    parts: Vec<(String, Box<dyn BufRead>)>,
    want_regions: bool,
    threads: usize,
) -> Result<Merged, ShardError> {
    let net = plan.network("plan")?;
    let prepared = Prepared::new(&net, plan.backend());
    let (parts, counts_only) = sort_parts(plan, plan_sha256, parts, want_regions)?;
    let (mut regions, mut facets) = (Vec::new(), Vec::new());
    let read = reading(&prepared, threads)?.read(plan, parts, counts_only, &mut |r, f| {
        regions.push(r);
        facets.push(f);
        Ok(())
    })?;
    if read.counts_only {
        return Ok(Merged::Counts { summary: read.summary, bounded: read.bounded });
    }
    let summary = read.summary.clone();
    // the records' graph names a part that lacks a region or a facet; the held one is then built
    drop(records_graph(&prepared, read)?);
    let graph = crate::analysis::graph::build(&prepared, &regions, &facets, true, threads)?;
    let facets_certified = regions.len();
    Ok(Merged::Analysis(Box::new(Analysis { regions, facets, graph, summary, facets_certified })))
}

/// What `merge` prints: what the single-machine command prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeOutput {
    /// `count --json` (the `--no-graph` figures from counts-only parts).
    Count,
    /// `regions --json`.
    Regions,
    /// `graph --format json`.
    GraphJson,
    /// `graph --format dot`.
    GraphDot,
}

/// Merges the parts of `plan` (see [`merge`]) and renders `output`, byte for byte what one
/// machine prints.
///
/// # Examples
/// ```
/// use relu_regions::export::{json::{graph_json, to_json}, provenance::Provenance};
/// use relu_regions::network::{nnet::Coords, InputFormat};
/// use relu_regions::jobs::shard::{merge, merge_to_text, plan_hash, run_shard, Merged, MergeOutput, Plan};
/// use relu_regions::{analyze, Backend, Enumerator, Network};
/// let text = r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"], ["1", "0"]], "bias": ["0", "-1", "1"], "activation": "relu"},
///     {"weights": [["1", "2", "-1"]], "activation": "linear"}]}"#;
/// let net = Network::from_json(text).unwrap();
/// let provenance = Provenance::new(text.as_bytes(), InputFormat::Json, Coords::Raw, net.domain());
/// // plan 2 shards, write the plan, run each shard into its part, merge the parts
/// let plan = Plan::new(&net, &Enumerator::builder().build(), provenance.clone(), 2, 2, 1).unwrap();
/// assert_eq!(plan.backend(), Backend::FloatSimplex);
/// assert!(plan.subtrees(1).is_some() && plan.subtrees(2).is_none());
/// let plan_text = serde_json::to_string(&plan).unwrap();
/// let sha = plan_hash(plan_text.as_bytes());
/// let plan = Plan::read(&plan_text, "plan.json").unwrap();
/// let written: Vec<Vec<u8>> = (0..2)
///     .map(|i| {
///         let mut part = Vec::new();
///         run_shard(&plan, &sha, i, Enumerator::builder().build(), false, &mut part).unwrap();
///         part
///     })
///     .collect();
/// let parts = || -> Vec<(String, Box<dyn std::io::BufRead>)> {
///     written.iter().enumerate()
///         .map(|(i, b)| (format!("part-{i}.jsonl"), Box::new(std::io::Cursor::new(b.clone())) as Box<dyn std::io::BufRead>))
///         .collect()
/// };
/// let Merged::Analysis(a) = merge(&plan, &sha, parts(), true, 1).unwrap() else { panic!("regions were written") };
/// let merged = merge_to_text(&plan, &sha, parts(), MergeOutput::GraphJson, 1).unwrap();
/// // byte for byte what one machine prints
/// let one = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let key = |r: &relu_regions::Region| (r.pattern().clone(), r.point().to_vec(), r.map().clone());
/// assert!(a.regions().iter().map(key).eq(one.regions().iter().map(key)));
/// assert_eq!(merged, graph_json(&one.regions(), &one.graph(), true, Some(&provenance)));
/// ```
pub fn merge_to_text(
    plan: &Plan,
    plan_sha256: &str,
    parts: Vec<(String, Box<dyn BufRead>)>,
    output: MergeOutput,
    threads: usize,
) -> Result<String, ShardError> {
    let mut text = Vec::new();
    merge_to_writer(plan, plan_sha256, parts, output, threads, &mut text)?
        .expect("writing to memory does not fail");
    Ok(String::from_utf8(text).expect("the writers write UTF-8"))
}

/// [`merge_to_text`] written to `out` as it goes, at the memory of `count` with the graph: the
/// regions are read, verified and checked in order a batch at a time, spilled to an unnamed
/// temporary file as the regions document's elements or the graph's nodes (and facet points)
/// and kept only as compact records (`jobs::shard::read`); the edges and pieces come from the
/// records, and once every part has passed, the output is written from the spill. The outer
/// error is the merge's (nothing is written then), the inner one the writer's (or the
/// temporary file's). The stop token installed on this thread (a time limit, Ctrl-C) is polled
/// in every phase: between the parts' lines, before writing, and between writes;
/// [`ShardError::Stopped`] says where and how many bytes were written (none before writing).
///
/// See the example on [`merge_to_text`] (which writes through it).
pub fn merge_to_writer(
    plan: &Plan,
    plan_sha256: &str,
    parts: Vec<(String, Box<dyn BufRead>)>,
    output: MergeOutput,
    threads: usize,
    out: &mut dyn std::io::Write,
) -> Result<std::io::Result<()>, ShardError> {
    // a verification that gave up because the run must stop is the stop, not a bad part
    let token = crate::runtime::stop::current();
    let excused = |e: ShardError| match e {
        ShardError::Internal(e) => match token.excuse(e) {
            Ok(reason) => {
                ShardError::Stopped { reason, phase: "verifying the regions read".into(), written: 0 }
            }
            Err(e) => ShardError::Internal(e),
        },
        e => e,
    };
    let mut out = StopWriter { out, written: 0, stopped: false };
    let written = merge_stopping(plan, plan_sha256, parts, output, threads, &mut out).map_err(excused)?;
    if out.stopped {
        let reason = token.reason().unwrap_or(crate::StopReason::Cancelled);
        return Err(ShardError::Stopped { reason, phase: "writing the output".into(), written: out.written });
    }
    Ok(written)
}

/// The error of a merge that stopped while doing `phase` (the token installed on this thread
/// asked it to), nothing written.
pub(super) fn stopped(phase: String) -> ShardError {
    let reason = crate::runtime::stop::current().reason().unwrap_or(crate::StopReason::Cancelled);
    ShardError::Stopped { reason, phase, written: 0 }
}

/// The merge's output, polling the stop token at every write (the writers write whole lines
/// or buffers): once it asks to stop, every write fails (the output is cut short;
/// [`merge_to_writer`] says so).
struct StopWriter<'a> {
    out: &'a mut dyn std::io::Write,
    written: u64,
    stopped: bool,
}

impl std::io::Write for StopWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.stopped || crate::runtime::stop::requested() {
            self.stopped = true;
            return Err(std::io::Error::other("the merge was asked to stop"));
        }
        let n = self.out.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.stopped {
            true => Err(std::io::Error::other("the merge was asked to stop")),
            false => self.out.flush(),
        }
    }
}

/// [`merge_to_writer`] with the stop polled between the phases: reading (and spilling) the
/// parts polls it between lines, the output's writer between writes.
fn merge_stopping(
    plan: &Plan,
    plan_sha256: &str,
    parts: Vec<(String, Box<dyn BufRead>)>,
    output: MergeOutput,
    threads: usize,
    out: &mut dyn std::io::Write,
) -> Result<std::io::Result<()>, ShardError> {
    use crate::export::graph_spill::GraphSpill;
    use crate::export::json::{to_json, CountsOut};
    use crate::export::spill::RegionsSpill;
    let net = plan.network("plan")?;
    let prepared = Prepared::new(&net, plan.backend());
    let (parts, counts_only) = sort_parts(plan, plan_sha256, parts, output != MergeOutput::Count)?;
    let reading = reading(&prepared, threads)?;
    let provenance = Some(&plan.provenance);
    let spill_error = |error| ShardError::Io { file: "a temporary file".into(), error };
    let written = match output {
        MergeOutput::Regions => {
            let mut spill = RegionsSpill::new(&net).map_err(spill_error)?;
            let read = reading.read(plan, parts, false, &mut |r, f| spill.push(&r, &f))?;
            if let Err(e) = read.written {
                return Ok(Err(e));
            }
            let g = records_graph(&prepared, read)?;
            poll("writing the output")?;
            spill.finish(&mut *out, true, provenance, net.input_dim(), &g.streamed.piece_of)
        }
        MergeOutput::GraphJson | MergeOutput::GraphDot => {
            let dot = (output == MergeOutput::GraphDot).then_some(false);
            let mut spill = GraphSpill::new(dot).map_err(spill_error)?;
            let read = reading.read(plan, parts, false, &mut |r, f| spill.push(&r, &f))?;
            if let Err(e) = read.written {
                return Ok(Err(e));
            }
            let g = records_graph(&prepared, read)?;
            poll("writing the output")?;
            spill.finish(&mut *out, &net, &g, true, provenance)
        }
        MergeOutput::Count => {
            let read = reading.read(plan, parts, counts_only, &mut |_, _| Ok(()))?;
            let mut counts = if read.counts_only {
                CountsOut::new(&net, &read.summary, read.summary.regions, read.bounded, None)
            } else {
                // the LP figures `count` with the graph reports (it certifies the inner facets only)
                let summary = Summary { stats: read.graph_stats, ..read.summary.clone() };
                let (regions, bounded) = (read.records.len(), read.bounded);
                let g = records_graph(&prepared, read)?;
                CountsOut {
                    pieces: Some(g.pieces),
                    edges: Some(g.edges.len()),
                    distinct_maps: Some(g.distinct_maps(&prepared)),
                    ..CountsOut::new(&net, &summary, regions, bounded, None)
                }
            };
            counts.provenance = Some(plan.provenance.clone());
            poll("writing the output")?;
            out.write_all(to_json(&counts).as_bytes())
        }
    };
    Ok(written.and_then(|()| out.flush()))
}

/// The stop, where the token installed on this thread asks for one, before `phase`.
fn poll(phase: &str) -> Result<(), ShardError> {
    match crate::runtime::stop::requested() {
        true => Err(stopped(phase.into())),
        false => Ok(()),
    }
}

/// What reading the parts of `prepared`'s network needs.
fn reading<'a, 'n>(prepared: &'a Prepared<'n>, threads: usize) -> Result<Reading<'a, 'n>, ShardError> {
    let bounded_domain = domain_is_bounded(prepared.network(), prepared.filter())?;
    Ok(Reading { prepared, threads, bounded_domain })
}

/// The graph of the regions read, from their records: every facet's neighbour listed and every
/// edge seen from both sides, else the part at fault named ([`super::order::diagnose`]).
fn records_graph(prepared: &Prepared<'_>, read: ReadParts) -> Result<StreamedGraph, ShardError> {
    let ReadParts { summary, records, places, inner_at, .. } = read;
    let edges = match listed_edges(&records, true) {
        Ok(edges) => edges,
        Err(e) => {
            return Err(super::order::diagnose(prepared, &records, &places, &inner_at)
                .unwrap_or(ShardError::Internal(e)))
        }
    };
    Ok(graph_from_edges(prepared, summary, records, edges, Ok(())))
}

/// The error for a part whose contents are not what its shard computes.
pub(super) fn inconsistent(file: &str, message: String) -> ShardError {
    ShardError::Inconsistent { file: file.into(), message }
}

type Slots = Vec<(String, Box<dyn BufRead>)>;

/// Reads every part's header and puts the parts in shard order: each must name this plan, its
/// shard and its shard's items, every shard exactly once. Returns whether some part holds
/// counts only.
fn sort_parts(
    plan: &Plan,
    plan_sha256: &str,
    parts: Vec<(String, Box<dyn BufRead>)>,
    want_regions: bool,
) -> Result<(Slots, bool), ShardError> {
    let mut by_index: Vec<Option<(String, Box<dyn BufRead>)>> =
        (0..plan.shards.len()).map(|_| None).collect();
    let mut counts_only = false;
    for (file, mut reader) in parts {
        let mut first = String::new();
        reader.read_line(&mut first).map_err(|error| ShardError::Io { file: file.clone(), error })?;
        let header = part_header(&first, &file)?;
        if header.plan_sha256 != plan_sha256 {
            return Err(ShardError::Foreign { file, why: "its plan hash differs".into() });
        }
        if header.provenance != plan.provenance {
            return Err(ShardError::Foreign { file, why: "its network or domain differs".into() });
        }
        let Some(slot) = by_index.get_mut(header.index) else {
            return Err(ShardError::Foreign { file, why: format!("the plan has no shard {}", header.index) });
        };
        let items = plan.shards[header.index].items;
        if header.items != items {
            return Err(ShardError::Foreign {
                file,
                why: format!(
                    "it says shard {} enumerates items {:?}, the plan's shard {} has {items:?}",
                    header.index, header.items, header.index
                ),
            });
        }
        if let Some((first, _)) = slot {
            return Err(ShardError::Duplicate { index: header.index, first: first.clone(), second: file });
        }
        counts_only |= header.counts_only;
        if header.counts_only && want_regions {
            return Err(ShardError::CountsOnly { file });
        }
        *slot = Some((file, reader));
    }
    let missing: Vec<usize> =
        by_index.iter().enumerate().filter(|(_, p)| p.is_none()).map(|(i, _)| i).collect();
    if !missing.is_empty() {
        return Err(ShardError::Missing { indices: missing });
    }
    Ok((by_index.into_iter().map(|p| p.expect("every shard has a part")).collect(), counts_only))
}

#[derive(Deserialize)]
struct PartHeader {
    plan_sha256: String,
    index: usize,
    items: [usize; 2],
    counts_only: bool,
    provenance: Provenance,
}

fn part_header(line: &str, file: &str) -> Result<PartHeader, ShardError> {
    #[derive(Deserialize)]
    struct Wrapper {
        part: PartHeader,
    }
    serde_json::from_str::<Wrapper>(line).map(|w| w.part).map_err(|e| ShardError::Malformed {
        file: file.into(),
        message: format!("line 1: not the header of a part ({e})"),
    })
}

/// A part's summary line.
#[derive(Default)]
pub(super) struct PartTail {
    pub(super) regions: usize,
    pub(super) bounded: usize,
    pub(super) stats: LpStats,
    /// The LP figures of `count` with the graph (parts with regions).
    pub(super) graph_stats: LpStats,
}

/// The summary line's figures (a partial part is refused here).
pub(super) fn summary_of(
    s: &Value,
    (file, index, number): (&str, usize, usize),
) -> Result<PartTail, ShardError> {
    let malformed = |message: String| ShardError::Malformed {
        file: file.into(),
        message: format!("line {number}: {message}"),
    };
    if s["complete"].as_bool() != Some(true) {
        let stopped = s["stopped"].as_str().unwrap_or("unknown").to_string();
        return Err(ShardError::Partial { file: file.into(), index, stopped });
    }
    let count = |key: &str| s[key].as_u64().ok_or_else(|| malformed(format!("summary.{key} is missing")));
    let stats = LpStats {
        lps: count("lps")?,
        bound_lps: count("bound_lps")?,
        exact_fallbacks: count("exact_fallbacks")?,
        ..LpStats::default()
    };
    let graph_stats = match s
        .get("graph_lps")
        .and_then(Value::as_array)
        .map(|v| v.iter().map(Value::as_u64).collect::<Option<Vec<u64>>>())
    {
        Some(Some(v)) if v.len() == 3 => {
            LpStats { lps: v[0], bound_lps: v[1], exact_fallbacks: v[2], ..LpStats::default() }
        }
        None => stats,
        _ => return Err(malformed("summary.graph_lps is not three counts".into())),
    };
    let size = |key: &str| -> Result<usize, ShardError> {
        usize::try_from(count(key)?).map_err(|_| malformed(format!("summary.{key} is too large")))
    };
    Ok(PartTail { regions: size("regions")?, bounded: size("bounded")?, stats, graph_stats })
}
