//! The merge of a plan's parts: headers sorted into shard order, each part's regions read and
//! verified ([`super::verify`]), the counts checked against them, the order and the graph of
//! all regions ([`super::order`]), and the single machine's outputs printed from them.

use super::{Plan, ShardError};
use crate::analysis::facets::Facet;
use crate::analysis::Analysis;
use crate::certify::LpStats;
use crate::enumerate::prepared::Prepared;
use crate::enumerate::region::Region;
use crate::enumerate::Summary;
use crate::export::provenance::Provenance;
use crate::network::{Domain, Network};
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
    merge_with(&plan.network("plan")?, plan, plan_sha256, parts, want_regions, threads)
        .map(|(merged, _)| merged)
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

/// [`merge_to_text`] written to `out` as it goes (the regions document, the graph's nodes and
/// edges one at a time, never the whole text): the outer error is the merge's, the inner one
/// the writer's.
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
    use crate::export::json::{to_json, CountsOut};
    use crate::export::stream::{write_graph_json, write_regions_json};
    let net = plan.network("plan")?;
    let (merged, graph_stats) =
        merge_with(&net, plan, plan_sha256, parts, output != MergeOutput::Count, threads)?;
    let provenance = Some(&plan.provenance);
    let written = match (&merged, output) {
        (Merged::Analysis(a), MergeOutput::Regions) => {
            write_regions_json(&mut *out, &net, a, provenance, None)
        }
        (Merged::Analysis(a), MergeOutput::GraphJson) => {
            write_graph_json(&mut *out, &a.regions, &a.graph, true, provenance)
        }
        (Merged::Analysis(a), MergeOutput::GraphDot) => {
            crate::export::dot::write_graph_dot(&mut &mut *out, &a.regions, &a.graph, false)
        }
        // counts-only parts were refused above for any other output
        _ => {
            let mut counts = match &merged {
                Merged::Counts { summary, bounded } => {
                    CountsOut::new(&net, summary, summary.regions, *bounded, None)
                }
                Merged::Analysis(a) => {
                    // the LP figures `count` with the graph reports (it certifies the inner
                    // facets only)
                    let summary = Summary { stats: graph_stats, ..a.summary.clone() };
                    CountsOut::new(&net, &summary, a.regions.len(), a.bounded(), Some(a))
                }
            };
            counts.provenance = Some(plan.provenance.clone());
            out.write_all(to_json(&counts).as_bytes())
        }
    };
    Ok(written.and_then(|()| out.flush()))
}

fn merge_with(
    net: &Network,
    plan: &Plan,
    plan_sha256: &str,
    parts: Vec<(String, Box<dyn BufRead>)>,
    want_regions: bool,
    threads: usize,
) -> Result<(Merged, LpStats), ShardError> {
    let (by_index, counts_only) = sort_parts(plan, plan_sha256, parts, want_regions)?;
    let mut summary = Summary::default();
    let [lps, bound_lps, exact_fallbacks] = plan.above;
    summary.stats.add(&LpStats { lps, bound_lps, exact_fallbacks, ..LpStats::default() });
    let mut graph_stats = summary.stats;
    let mut bounded = 0;
    let prepared = Prepared::new(net, plan.backend());
    let bounded_domain = domain_is_bounded(net, prepared.filter())?;
    let mut read = Read::default();
    for (index, (file, reader)) in by_index.into_iter().enumerate() {
        let before = read.regions.len();
        let ctx = PartContext {
            file: &file,
            index,
            keep: !counts_only,
            threads,
            prepared: &prepared,
            bounded_domain,
        };
        let tail = read_part_body(reader, &ctx, &mut read)?;
        let [start, end] = plan.shards[index].items;
        if tail.regions < end - start {
            return Err(inconsistent(
                &file,
                format!(
                    "it lists {} region(s), but its shard has {} subtree(s), each holding at least one region",
                    tail.regions,
                    end - start
                ),
            ));
        }
        if tail.bounded > tail.regions {
            return Err(inconsistent(
                &file,
                format!("its summary says {} of {} regions are bounded", tail.bounded, tail.regions),
            ));
        }
        read.parts.extend((before..read.regions.len()).map(|k| (index, k - before + 2)));
        read.files.push(file);
        summary.regions += tail.regions;
        bounded += tail.bounded;
        summary.stats.add(&tail.stats);
        graph_stats.add(&tail.graph_stats);
    }
    if counts_only {
        return Ok((Merged::Counts { summary, bounded }, graph_stats));
    }
    super::order::check_order(net, &read)?;
    let Read { regions, facets, .. } = &read;
    let graph = match crate::analysis::graph::build(&prepared, regions, facets, true, threads) {
        Ok(graph) => graph,
        Err(e) => return Err(super::order::diagnose(&prepared, &read).unwrap_or(ShardError::Internal(e))),
    };
    let Read { regions, facets, .. } = read;
    let facets_certified = regions.len();
    Ok((
        Merged::Analysis(Box::new(Analysis { regions, facets, graph, summary, facets_certified })),
        graph_stats,
    ))
}

/// The regions read so far, with where each came from.
#[derive(Default)]
pub(super) struct Read {
    pub(super) regions: Vec<Region>,
    pub(super) facets: Vec<Vec<Facet>>,
    /// Per region: its part (an index into `files`) and its line there.
    pub(super) parts: Vec<(usize, usize)>,
    /// The part files, in shard order.
    pub(super) files: Vec<String>,
}

impl Read {
    /// Where region `i` is written: `FILE: line N`.
    pub(super) fn place(&self, i: usize) -> (String, usize) {
        let (part, line) = self.parts[i];
        (self.files[part].clone(), line)
    }
}

/// The error for a part whose contents are not what its shard computes.
pub(super) fn inconsistent(file: &str, message: String) -> ShardError {
    ShardError::Inconsistent { file: file.into(), message }
}

/// Whether every region of the domain is bounded (a box, or a polytope without a ray).
fn domain_is_bounded(net: &Network, filter: crate::kernel::Filter) -> Result<bool, ShardError> {
    Ok(match net.domain() {
        Domain::Whole => false,
        Domain::Box(_) => true,
        _ => {
            let rows = net.domain().halfspaces(net.input_dim());
            let refs: Vec<&crate::kernel::halfspace::Halfspace> = rows.iter().collect();
            crate::certify::is_bounded(&refs, net.input_dim(), filter)?
        }
    })
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

struct PartTail {
    regions: usize,
    bounded: usize,
    stats: LpStats,
    /// The LP figures of `count` with the graph (parts with regions).
    graph_stats: LpStats,
}

/// What reading one part needs.
struct PartContext<'a, 'n> {
    file: &'a str,
    index: usize,
    /// Whether its regions are kept (and verified).
    keep: bool,
    threads: usize,
    prepared: &'a Prepared<'n>,
    bounded_domain: bool,
}

/// Reads a part's regions (renumbered after those already read), each verified against the
/// network ([`super::verify`]), and its summary line, checked against them.
fn read_part_body(
    reader: Box<dyn BufRead>,
    ctx: &PartContext<'_, '_>,
    read: &mut Read,
) -> Result<PartTail, ShardError> {
    let file = ctx.file;
    let malformed = |line: usize, message: String| ShardError::Malformed {
        file: file.into(),
        message: format!("line {line}: {message}"),
    };
    // every line before the summary is a region: `k` of them have been read at line `k + 2`;
    // they are parsed in parallel once the part has been read
    let mut pending = Vec::new();
    let mut lines = reader.lines().enumerate();
    while let Some((k, line)) = lines.next() {
        let number = k + 2;
        let line = line.map_err(|error| ShardError::Io { file: file.into(), error })?;
        if !line.starts_with("{\"summary\"") {
            if ctx.keep {
                pending.push(line);
            }
            continue;
        }
        let value: Value = serde_json::from_str(&line).map_err(|e| malformed(number, e.to_string()))?;
        let tail = summary_of(&value["summary"], (file, ctx.index, number))?;
        if let Some((extra, _)) = lines.find(|(_, l)| !matches!(l, Ok(text) if text.trim().is_empty())) {
            return Err(malformed(
                extra + 2,
                "a line after the summary (the part ends with its summary)".into(),
            ));
        }
        if ctx.keep && tail.regions != k {
            return Err(malformed(
                number,
                format!("the summary says {} regions, the part lists {k}", tail.regions),
            ));
        }
        let first = read.regions.len();
        let layout = crate::network::pieces::PatternLayout::of(ctx.prepared.network());
        let numbered: Vec<(usize, String)> = pending.into_iter().enumerate().collect();
        let parsed = crate::runtime::parallel::map_chunks(&numbered, ctx.threads, 4, |chunk| {
            let mut verifier = super::verify::RegionVerifier::new(ctx.prepared, ctx.bounded_domain);
            chunk
                .iter()
                .map(|(j, line)| {
                    let value: Value =
                        serde_json::from_str(line).map_err(|e| malformed(j + 2, e.to_string()))?;
                    if value["id"].as_u64() != Some(*j as u64) {
                        return Err(inconsistent(
                            file,
                            format!(
                                "line {}: its id is {}, not {j} (a part numbers its regions from 0)",
                                j + 2,
                                value["id"]
                            ),
                        ));
                    }
                    let (region, facets) = crate::export::read::region_from_wire(&value, first + j, &layout)
                        .map_err(|m| malformed(j + 2, m))?;
                    verifier
                        .verify(&region, &facets)
                        .map_err(|m| inconsistent(file, format!("line {}: region {j}: {m}", j + 2)))?;
                    Ok((region, facets))
                })
                .collect::<Vec<_>>()
        });
        let mut bounded = 0;
        for result in parsed.into_iter().flatten() {
            let (region, f) = result?;
            bounded += usize::from(region.bounded);
            read.regions.push(region);
            read.facets.push(f);
        }
        if ctx.keep && bounded != tail.bounded {
            return Err(inconsistent(
                file,
                format!(
                    "line {number}: the summary says {} bounded regions, the part lists {bounded}",
                    tail.bounded
                ),
            ));
        }
        return Ok(tail);
    }
    Err(ShardError::Partial {
        file: file.into(),
        index: ctx.index,
        stopped: "the part ends before its summary".into(),
    })
}

/// The summary line's figures (a partial part is refused here).
fn summary_of(s: &Value, (file, index, number): (&str, usize, usize)) -> Result<PartTail, ShardError> {
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
