//! Reading the parts of a plan one batch of regions at a time, at the memory of counting: each
//! region is parsed, verified against the network ([`super::verify`]) and its place in the
//! enumeration's order checked against the region before it ([`super::order`]) as it is read;
//! then it goes to the caller (a spill, or the held analysis) and shrinks to the compact record
//! `count` keeps ([`crate::analysis::graph_counts::Record`]: its pattern as bits, its map's
//! fingerprint, the patterns across its inner facets). The records give the graph at the end
//! ([`crate::analysis::graph_counts::pieces::graph_from_edges`]), and name a part whose region
//! or facet the graph misses ([`super::order::diagnose`]): with the records are kept only the
//! parts' first region numbers ([`Places`]) and, for the regions with facets on the domain's
//! boundary, the places of their inner facets among their inequalities ([`InnerAt`]).

use super::merge::inconsistent;
use super::order::{out_of_order, OrderKey};
use super::{Plan, ShardError};
use crate::analysis::facets::Facet;
use crate::analysis::graph_counts::Record;
use crate::certify::LpStats;
use crate::enumerate::prepared::Prepared;
use crate::enumerate::region::Region;
use crate::enumerate::Summary;
use crate::forward::fingerprint::Fingerprints;
use crate::network::{Domain, Network, Pattern};
use serde_json::Value;
use std::io::BufRead;

/// Regions parsed and verified at once, per thread.
const BATCH_PER_THREAD: usize = 64;

/// Where each region was read: the part files in shard order and the number of each part's
/// first region.
#[derive(Default)]
pub(super) struct Places {
    files: Vec<String>,
    starts: Vec<usize>,
}

impl Places {
    /// Where region `i` is written: its part and its line there.
    pub(super) fn place(&self, i: usize) -> (String, usize) {
        let p = self.starts.partition_point(|&s| s <= i).saturating_sub(1);
        (self.files[p].clone(), i - self.starts[p] + 2)
    }
}

/// For each region with a facet on the domain's boundary (in id order), the places of its inner
/// facets among its inequalities (the others' inner facets are all of them, in order).
#[derive(Default)]
pub(super) struct InnerAt(Vec<(usize, Box<[u32]>)>);

impl InnerAt {
    /// The place among its inequalities of region `i`'s `k`-th inner facet.
    pub(super) fn of(&self, i: usize, k: usize) -> usize {
        match self.0.binary_search_by_key(&i, |(r, _)| *r) {
            Ok(at) => self.0[at].1.get(k).map_or(k, |&v| v as usize),
            Err(_) => k,
        }
    }
}

/// Everything read from the parts.
pub(super) struct ReadParts {
    /// The regions' counts and LP figures (the plan's own added).
    pub(super) summary: Summary,
    /// Bounded regions.
    pub(super) bounded: usize,
    /// The LP figures `count` with the graph reports.
    pub(super) graph_stats: LpStats,
    /// Whether some part holds counts only (no records then).
    pub(super) counts_only: bool,
    /// The regions' records, in id order.
    pub(super) records: Vec<Record>,
    /// Where each region came from.
    pub(super) places: Places,
    /// The inner facets' places of the regions that touch the domain's boundary.
    pub(super) inner_at: InnerAt,
    /// The caller's first error (reading stopped there).
    pub(super) written: std::io::Result<()>,
}

/// What the regions of every part are read with.
pub(super) struct Reading<'a, 'n> {
    pub(super) prepared: &'a Prepared<'n>,
    pub(super) threads: usize,
    /// Whether every region is bounded (a bounded domain).
    pub(super) bounded_domain: bool,
}

/// One region read, verified and measured.
struct Checked {
    region: Region,
    facets: Vec<Facet>,
    fingerprint: u64,
    across: Vec<Pattern>,
}

impl Reading<'_, '_> {
    /// Reads the parts (in shard order, headers read), each region verified and in order, passed
    /// to `each` and kept as its record; each part's summary checked against its regions.
    pub(super) fn read(
        &self,
        plan: &Plan,
        parts: Vec<(String, Box<dyn BufRead>)>,
        counts_only: bool,
        each: &mut dyn FnMut(Region, Vec<Facet>) -> std::io::Result<()>,
    ) -> Result<ReadParts, ShardError> {
        let mut summary = Summary::default();
        let [lps, bound_lps, exact_fallbacks] = plan.above;
        summary.stats.add(&LpStats { lps, bound_lps, exact_fallbacks, ..LpStats::default() });
        let mut read = ReadParts {
            graph_stats: summary.stats,
            summary,
            bounded: 0,
            counts_only,
            records: Vec::new(),
            places: Places::default(),
            inner_at: InnerAt::default(),
            written: Ok(()),
        };
        let mut last: Option<OrderKey> = None;
        for (index, (file, reader)) in parts.into_iter().enumerate() {
            read.places.starts.push(read.records.len());
            read.places.files.push(file.clone());
            let tail = self.part(reader, (&file, index), &mut read, &mut last, each)?;
            if read.written.is_err() {
                return Ok(read);
            }
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
            read.summary.regions += tail.regions;
            read.bounded += tail.bounded;
            read.summary.stats.add(&tail.stats);
            read.graph_stats.add(&tail.graph_stats);
        }
        Ok(read)
    }

    /// Reads one part's regions (numbered after those read before) a batch at a time, and its
    /// summary line, checked against them.
    fn part(
        &self,
        reader: Box<dyn BufRead>,
        (file, index): (&str, usize),
        read: &mut ReadParts,
        last: &mut Option<OrderKey>,
        each: &mut dyn FnMut(Region, Vec<Facet>) -> std::io::Result<()>,
    ) -> Result<super::merge::PartTail, ShardError> {
        let malformed = |line: usize, message: String| ShardError::Malformed {
            file: file.into(),
            message: format!("line {line}: {message}"),
        };
        let batch = BATCH_PER_THREAD * self.threads.max(1);
        let first = read.records.len();
        let mut pending: Vec<(usize, String)> = Vec::with_capacity(batch);
        let mut bounded = 0;
        let mut lines = reader.lines().enumerate();
        while let Some((k, line)) = lines.next() {
            let number = k + 2;
            // a limit or Ctrl-C: stop between lines (nothing was written yet)
            if crate::runtime::stop::requested() {
                return Err(super::merge::stopped(format!(
                    "reading and spilling the regions ({file}, line {number})"
                )));
            }
            let line = line.map_err(|error| ShardError::Io { file: file.into(), error })?;
            if !line.starts_with("{\"summary\"") {
                if !read.counts_only {
                    pending.push((k, line));
                    if pending.len() >= batch {
                        bounded += match self.batch(&mut pending, (file, first), read, last, each) {
                            Ok(b) => b,
                            Err(e) => return Err(whole_part_first((file, index), &mut lines, e)),
                        };
                        if read.written.is_err() {
                            return Ok(super::merge::PartTail::default());
                        }
                    }
                }
                continue;
            }
            bounded += match self.batch(&mut pending, (file, first), read, last, each) {
                Ok(b) => b,
                Err(e) => {
                    return Err(whole_part_first((file, index), &mut std::iter::once((k, Ok(line))), e))
                }
            };
            if read.written.is_err() {
                return Ok(super::merge::PartTail::default());
            }
            let value: Value = serde_json::from_str(&line).map_err(|e| malformed(number, e.to_string()))?;
            let tail = super::merge::summary_of(&value["summary"], (file, index, number))?;
            if let Some((extra, _)) = lines.find(|(_, l)| !matches!(l, Ok(text) if text.trim().is_empty())) {
                return Err(malformed(
                    extra + 2,
                    "a line after the summary (the part ends with its summary)".into(),
                ));
            }
            if !read.counts_only && tail.regions != k {
                return Err(malformed(
                    number,
                    format!("the summary says {} regions, the part lists {k}", tail.regions),
                ));
            }
            if !read.counts_only && bounded != tail.bounded {
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
            index,
            stopped: "the part ends before its summary".into(),
        })
    }

    /// Parses and verifies the `pending` lines (`(k, text)`: region `k` of the part at line
    /// `k + 2`) in parallel, then, in order, checks each against the region before it, keeps its
    /// record and passes it on; returns how many are bounded.
    fn batch(
        &self,
        pending: &mut Vec<(usize, String)>,
        (file, first): (&str, usize),
        read: &mut ReadParts,
        last: &mut Option<OrderKey>,
        each: &mut dyn FnMut(Region, Vec<Facet>) -> std::io::Result<()>,
    ) -> Result<usize, ShardError> {
        if pending.is_empty() {
            return Ok(0);
        }
        let prepared = self.prepared;
        let checked = crate::runtime::parallel::map_chunks(pending, self.threads, 1, |chunk| {
            let mut verifier = super::verify::RegionVerifier::new(prepared, self.bounded_domain);
            let fingerprints = Fingerprints::new(prepared.fixed_layers());
            let layout = prepared.layout();
            chunk
                .iter()
                .map(|(j, line)| {
                    let malformed = |message: String| ShardError::Malformed {
                        file: file.into(),
                        message: format!("line {}: {message}", j + 2),
                    };
                    let value: Value = serde_json::from_str(line).map_err(|e| malformed(e.to_string()))?;
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
                    let (region, facets) = crate::export::read::region_from_wire(&value, first + j, layout)
                        .map_err(malformed)?;
                    drop(value);
                    verifier
                        .verify(&region, &facets)
                        .map_err(|m| inconsistent(file, format!("line {}: region {j}: {m}", j + 2)))?;
                    let fingerprint = fingerprints.of(&region.map);
                    let across = across(prepared, &region, &facets);
                    Ok(Checked { region, facets, fingerprint, across })
                })
                .collect::<Vec<_>>()
        });
        let lines: Vec<usize> = pending.drain(..).map(|(k, _)| k).collect();
        let net = prepared.network();
        let mut bounded = 0;
        for (result, k) in checked.into_iter().flatten().zip(lines) {
            let Checked { region, facets, fingerprint, across } = result?;
            let key = OrderKey::of(net, &region.pattern);
            if let Some(before) = last.as_ref() {
                if *before >= key {
                    let i = read.records.len();
                    return Err(out_of_order(&read.places, i - 1, (file, k + 2), *before == key));
                }
            }
            *last = Some(key);
            if facets.iter().any(|f| f.on_boundary) {
                let inner = facets.iter().enumerate().filter(|(_, f)| !f.on_boundary);
                let at: Box<[u32]> = inner.map(|(k, _)| k as u32).collect();
                read.inner_at.0.push((read.records.len(), at));
            }
            bounded += usize::from(region.bounded);
            read.records.push(Record::read_back(&region.pattern, region.bounded, fingerprint, &across));
            if let Err(e) = each(region, facets) {
                read.written = Err(e);
                return Ok(bounded);
            }
        }
        Ok(bounded)
    }
}

/// The error to report for a part whose region failed with `e`: what the whole part shows
/// first, as when a part was read whole before its regions were checked: a part without its
/// summary is partial, a summary line that fails or counts other regions than the part lists
/// says so; else `e`. `rest` is the part's lines after the region (numbered from 0 after the
/// header).
fn whole_part_first(
    (file, index): (&str, usize),
    rest: &mut dyn Iterator<Item = (usize, std::io::Result<String>)>,
    e: ShardError,
) -> ShardError {
    for (k, line) in rest {
        let Ok(line) = line else { return e };
        if !line.starts_with("{\"summary\"") {
            continue;
        }
        let number = k + 2;
        let Ok(value) = serde_json::from_str::<Value>(&line) else { return e };
        return match super::merge::summary_of(&value["summary"], (file, index, number)) {
            Err(summary) => summary,
            Ok(tail) if tail.regions != k => ShardError::Malformed {
                file: file.into(),
                message: format!(
                    "line {number}: the summary says {} regions, the part lists {k}",
                    tail.regions
                ),
            },
            Ok(_) => e,
        };
    }
    ShardError::Partial { file: file.into(), index, stopped: "the part ends before its summary".into() }
}

/// The patterns across the region's inner facets: the float pass where the facet names one
/// neuron (which then changes state across it: the facet was verified to lie on that neuron's
/// hyperplane and strictly inside every other row), the exact pass where it names several (a
/// neuron tight on the facet may keep its state: the labels read back name every tight one).
pub(super) fn across(prepared: &Prepared<'_>, region: &Region, facets: &[Facet]) -> Vec<Pattern> {
    let finder = prepared.neighbours();
    facets
        .iter()
        .filter(|f| !f.on_boundary)
        .map(|facet| {
            let normal = &region.constraints[facet.constraints[0]].halfspace.a;
            let flip = facet.neurons(region);
            if flip.len() == 1 {
                finder.across(&facet.point, normal, &region.pattern, &flip)
            } else {
                finder.across_exactly(&facet.point, normal)
            }
        })
        .collect()
}

/// Whether every region of the domain is bounded (a box, or a polytope without a ray).
pub(super) fn domain_is_bounded(net: &Network, filter: crate::kernel::Filter) -> Result<bool, ShardError> {
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
