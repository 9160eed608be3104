//! `check` reading its answer as it goes: a `regions --json` document or a `regions --jsonl`
//! stream is parsed one region at a time, the regions checked in batches (in parallel, each
//! chunk of consecutive regions sharing one `Composer`, kept for the next chunks) and dropped, keeping of each only
//! what the checks of the whole answer need (its failures and `Kept`: its `id`, `piece`,
//! its pattern and those across its facets as bits, a fingerprint of its map). The verdict is
//! the one [`super::check_answer`] gives on the whole document, for every thread count.

use super::compose::Composer;
use super::constraints::{Constraint, Row};
use super::counted::Counted;
use super::kept::{Kept, Layout, PieceField};
use super::region::{check_region, domain_constraints, CheckedRegion, Context};
use super::{check_header, finish, whole, CheckOptions, CheckReport, Failure};
use crate::network::Network;
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::io::BufRead;

/// A region's failures and what the whole-answer checks keep of it; the whole checked region
/// too where asked (the graph's checks need its rows and points).
pub(super) struct Outcome {
    pub failures: Vec<Failure>,
    pub kept: Kept,
    pub full: Option<CheckedRegion>,
}

/// The checks of single regions.
pub(super) struct RegionChecks<'a> {
    net: &'a Network,
    domain: Vec<Constraint>,
    domain_bounded: bool,
    partial: Option<bool>,
    pub(super) layout: Layout<'a>,
    /// Whether the patterns across the facets are computed (not for a check of the listed
    /// regions only, where coverage is not checked).
    across: bool,
    /// Compositions left by earlier chunks, taken up by the next ones (the network's layers in
    /// integers built once per thread, and a batch's first region sharing the prefix of the
    /// last one checked). Which chunk gets which changes no result: a composition recomposes
    /// from the first layer where the pattern asked differs.
    composers: std::sync::Mutex<Vec<Composer<'a>>>,
}

impl<'a> RegionChecks<'a> {
    /// `partial`: whether the answer says it is partial (`None`: not known yet).
    /// `partial`: whether the answer says it is partial (`None`: not known yet); `across`:
    /// whether coverage may be checked.
    pub(super) fn new(net: &'a Network, partial: Option<bool>, across: bool) -> RegionChecks<'a> {
        let domain: Vec<Row> = net.domain().halfspaces(net.input_dim());
        let domain_bounded = whole::domain_is_bounded(net, &domain);
        let domain = domain_constraints(&domain);
        let composers = std::sync::Mutex::new(Vec::new());
        RegionChecks { net, domain, domain_bounded, partial, layout: Layout::new(net), across, composers }
    }

    /// The outcomes of `regions`, in order, on `threads` threads (the same for every count);
    /// `full`: the checked regions kept whole too.
    pub(super) fn check(&self, regions: &[Value], threads: usize, full: bool) -> Vec<Outcome> {
        let cx = Context {
            net: self.net,
            domain: &self.domain,
            domain_bounded: self.domain_bounded,
            partial: self.partial,
        };
        let one = |composer: &mut Composer<'_>, region: &Value| -> Outcome {
            let id = region.get("id").and_then(Value::as_u64);
            let kept = |checked| Kept {
                id,
                pattern: self.layout.stated(region),
                piece: PieceField::of(region),
                checked,
            };
            let mut failures = Vec::new();
            // the run's stop token ([`crate::stop`]): a region not checked, or checked while
            // the run had to stop (a solve that gave up fails it), counts as not checked
            if crate::runtime::stop::requested() {
                return Outcome { failures, kept: kept(None), full: None };
            }
            let checked = check_region(&cx, composer, region, &mut |message: String| {
                failures.push(Failure { region: id, message })
            });
            if !failures.is_empty() && crate::runtime::stop::requested() {
                return Outcome { failures: Vec::new(), kept: kept(None), full: None };
            }
            let summary = checked.as_ref().map(|c| self.layout.summary(c, self.across));
            Outcome { failures, kept: kept(summary), full: checked.filter(|_| full) }
        };
        crate::runtime::parallel::map_chunks(regions, threads.max(1), 8, |part| {
            // one composition per chunk of consecutive regions, shared along their prefixes
            let taken = self.composers.lock().ok().and_then(|mut left| left.pop());
            let mut composer = taken.unwrap_or_else(|| Composer::new(self.net));
            let outcomes = part.iter().map(|region| one(&mut composer, region)).collect::<Vec<_>>();
            if let Ok(mut left) = self.composers.lock() {
                left.push(composer);
            }
            outcomes
        })
        .into_iter()
        .flatten()
        .collect()
    }
}

/// The numbers a batch's regions may hold before it is checked with fewer than
/// [`Batches::size`] regions (about 100 bytes each as parsed JSON): a region with a facet point
/// on each side of a box in 120 dimensions (60,000 numbers) is checked as soon as every thread
/// has one, so the batch stays about a region of the answer a thread (with `1 << 20` it held 18
/// such regions: 91 MB against `count`'s 39 MB, `tests/memory`'s high-dimension test). A region
/// of a low-dimensional network holds a few hundred numbers: its batches stay full.
const BATCH_NUMBERS: usize = 1 << 15;

/// About how many numbers a region holds: its inequalities' normals and facet points, its
/// Jacobian.
fn weight(region: &Value) -> usize {
    let len = |v: Option<&Value>| v.and_then(Value::as_array).map_or(0, Vec::len);
    let inequalities = region.get("inequalities").and_then(Value::as_array);
    let per_inequality =
        inequalities.and_then(|l| l.first()).map_or(0, |i| len(i.get("a")) + len(i.get("facet_point")));
    let jacobian = region.get("jacobian").and_then(Value::as_array);
    let per_output = jacobian.and_then(|j| j.first()).map_or(0, |r| len(Some(r)));
    1 + inequalities.map_or(0, Vec::len) * per_inequality + jacobian.map_or(0, Vec::len) * per_output
}

/// Why a streamed answer was not checked.
#[derive(Debug)]
pub enum Refused {
    /// It cannot be read (the message says where).
    Unreadable(String),
    /// The caller refused its header (the caller's message).
    Header(String),
}

/// Regions gathered into batches, each checked as it fills.
struct Batches<'a, 'b> {
    checks: &'a RegionChecks<'a>,
    threads: usize,
    batch: Vec<Value>,
    /// About how many numbers the batch's regions hold ([`weight`]).
    weight: usize,
    /// The regions' failures, in order.
    failures: Vec<Failure>,
    /// What the whole answer's checks keep of each region.
    kept: Vec<Kept>,
    /// The document's fields before its regions, and the caller's look at them.
    header: Map<String, Value>,
    on_header: &'b mut dyn FnMut(&Value) -> Result<(), String>,
    header_seen: bool,
    refused: Option<String>,
    /// Whether `regions` was an array (or the stream's lines).
    regions_listed: bool,
}

impl Batches<'_, '_> {
    fn size(&self) -> usize {
        64 * self.threads.max(1)
    }

    /// Adds a region; the batch is checked once it has [`Batches::size`] regions, or once its
    /// regions hold more than [`BATCH_NUMBERS`] numbers and give every thread one (in high
    /// dimension one region's facet points alone are a million numbers, held as parsed JSON).
    fn push(&mut self, region: Value) {
        self.weight += weight(&region);
        self.batch.push(region);
        let heavy = self.weight > BATCH_NUMBERS && self.batch.len() >= self.threads.max(1);
        if self.batch.len() >= self.size() || heavy {
            self.flush();
        }
    }

    fn flush(&mut self) {
        for o in self.checks.check(&self.batch, self.threads, false) {
            self.failures.extend(o.failures);
            self.kept.push(o.kept);
        }
        self.batch.clear();
        self.weight = 0;
    }

    /// Shows the caller the header once (before the first region where it comes first).
    fn show_header(&mut self) -> Result<(), String> {
        if !self.header_seen {
            self.header_seen = true;
            (self.on_header)(&Value::Object(self.header.clone()))?;
        }
        Ok(())
    }
}

/// Checks the answer `reader` holds (one JSON document, or a `--jsonl` stream read as the
/// document it stands for, as [`super::lines::read_document`] reads it) region by region, never
/// holding the document; `on_header` sees the document's fields other than `regions` (a
/// stream's summary) before any region is checked where they come first, and may refuse it.
/// Returns the report and the number of regions listed.
///
/// # Examples
/// ```
/// use relu_regions::check::{stream::check_reader, CheckOptions};
/// use relu_regions::{analyze, export::stream::write_regions_json, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let mut text = Vec::new();
/// write_regions_json(&mut text, &net, &a, None, None).unwrap();
/// let options = CheckOptions { partial: false, threads: 2 };
/// let (report, listed) = check_reader(&net, &text[..], options, &mut |_| Ok(())).unwrap();
/// assert!(report.failures.is_empty() && listed == 4);
/// // a header the caller refuses stops the check
/// assert!(check_reader(&net, &text[..], options, &mut |_| Err("no".into())).is_err());
/// ```
pub fn check_reader(
    net: &Network,
    mut reader: impl BufRead,
    options: CheckOptions,
    on_header: &mut dyn FnMut(&Value) -> Result<(), String>,
) -> Result<(CheckReport, usize), Refused> {
    let checks = RegionChecks::new(net, None, !options.partial);
    let mut batches = Batches {
        checks: &checks,
        threads: options.threads,
        batch: Vec::new(),
        weight: 0,
        failures: Vec::new(),
        kept: Vec::new(),
        header: Map::new(),
        on_header,
        header_seen: false,
        refused: None,
        regions_listed: false,
    };
    // the first value tells a document from a stream: parsed as a document (its `regions`
    // streamed into the batches, never a whole line held), it is a stream's first line if
    // another value follows on a later line
    let unreadable = |e: std::io::Error| Refused::Unreadable(format!("cannot read: {e}"));
    let mut counted = Counted::new(&mut reader);
    let read = {
        let mut de = serde_json::Deserializer::from_reader(&mut counted);
        serde::Deserializer::deserialize_map(&mut de, DocumentVisitor { batches: &mut batches })
        // `de` holds no byte past the object's closing brace: what follows is read below
    };
    counted.settle();
    if let Some(why) = batches.refused.take() {
        return Err(Refused::Header(why));
    }
    read.map_err(|e| Refused::Unreadable(format!("invalid JSON: {e}")))?;
    let (start, end, column) = (counted.start.unwrap_or(0) + 1, counted.newlines + 1, counted.column);
    let next = after_value(&mut reader, end, column).map_err(unreadable)?;
    let summary_only = !batches.regions_listed
        && batches.header.len() == 1
        && batches.header.get("summary").is_some_and(Value::is_object);
    match next {
        // one document (or a stream of its summary alone)
        None if !summary_only => {}
        Some(After::SameLine(line, column)) => {
            return Err(Refused::Unreadable(format!(
                "invalid JSON: trailing characters at line {line} column {column}"
            )))
        }
        Some(After::Line(next))
            if batches.regions_listed || batches.header.contains_key("regions") || start != end =>
        {
            return Err(Refused::Unreadable(format!(
                "line {next}: another JSON value after the one on lines {start}-{end} (a `regions --json` \
                 document is one value; a `--jsonl` stream holds one region, then its summary, a line)"
            )))
        }
        next => {
            // a stream: the first value was its first line (a region, or the summary)
            let first = Value::Object(std::mem::take(&mut batches.header));
            batches.regions_listed = true;
            let next = match next {
                Some(After::Line(n)) => n,
                _ => end + 1,
            };
            read_lines((start, first), next, reader, &mut batches)?;
        }
    }
    batches.flush();
    batches.show_header().map_err(Refused::Header)?;
    let total = batches.kept.len();
    let mut doc = batches.header;
    if batches.regions_listed {
        doc.insert("regions".into(), Value::Array(Vec::new()));
    }
    let doc = Value::Object(doc);
    let mut report = CheckReport::default();
    let Some(header) = check_header(net, &doc, false, options, &mut report) else {
        return Ok((report, total));
    };
    Ok((finish(&checks.layout, batches.failures, batches.kept, None, header, report), total))
}

/// The lines of a stream from its first line on (`first`: its number and value; `next`: the
/// number of the line `reader` is in, at its first non-blank byte); errors name the line
/// (numbered in the file, blank lines counted).
fn read_lines(
    first: (usize, Value),
    next: usize,
    reader: impl BufRead,
    batches: &mut Batches<'_, '_>,
) -> Result<(), Refused> {
    let mut summary: Option<Value> = None;
    let mut take = |number: usize, value: Value, batches: &mut Batches<'_, '_>| -> Result<(), Refused> {
        let bad = |m: String| Refused::Unreadable(format!("line {number}: {m}"));
        if summary.is_some() {
            return Err(bad("a line after the summary".into()));
        }
        match value.get("summary") {
            Some(s) => {
                let Some(map) = s.as_object() else { return Err(bad("`summary` is not an object".into())) };
                let known = ["regions", "complete", "input_dim", "provenance"];
                if let Some(key) = map.keys().find(|k| !known.contains(&k.as_str())) {
                    return Err(bad(format!(
                        "the summary has a field `{key}` that the format does not have"
                    )));
                }
                let listed = batches.kept.len() + batches.batch.len();
                if s.get("regions").and_then(Value::as_u64) != Some(listed as u64) {
                    return Err(bad(format!(
                        "the summary's `regions` is {}, but the stream lists {listed} regions",
                        s.get("regions").map_or("absent".into(), Value::to_string),
                    )));
                }
                summary = Some(s.clone());
            }
            None => batches.push(value),
        }
        Ok(())
    };
    take(first.0, first.1, batches)?;
    for (k, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| Refused::Unreadable(format!("cannot read: {e}")))?;
        let line_number = next + k;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(&line)
            .map_err(|e| Refused::Unreadable(format!("line {line_number}: {e}")))?;
        take(line_number, value, batches)?;
    }
    let Some(s) = summary else {
        return Err(Refused::Unreadable("no summary line (the stream was cut short)".into()));
    };
    for key in ["complete", "input_dim", "provenance"] {
        match s.get(key) {
            Some(Value::Null) | None => {}
            Some(v) => {
                batches.header.insert(key.into(), v.clone());
            }
        }
    }
    Ok(())
}

/// The top-level object: its fields kept, its `regions` streamed into the batches.
struct DocumentVisitor<'a, 'b, 'c> {
    batches: &'a mut Batches<'b, 'c>,
}

impl<'de> Visitor<'de> for DocumentVisitor<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a regions document or a `--jsonl` line (an object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "regions" {
                if self.batches.header.contains_key("provenance") {
                    if let Err(why) = self.batches.show_header() {
                        self.batches.refused = Some(why);
                        return Err(serde::de::Error::custom("refused"));
                    }
                }
                let value = map.next_value_seed(RegionsSeed { batches: self.batches })?;
                if let Some(other) = value {
                    self.batches.header.insert(key, other);
                }
            } else {
                let value: Value = map.next_value()?;
                self.batches.header.insert(key, value);
            }
        }
        Ok(())
    }
}

/// The `regions` value: an array streamed region by region (anything else kept as it is).
struct RegionsSeed<'a, 'b, 'c> {
    batches: &'a mut Batches<'b, 'c>,
}

impl<'de> DeserializeSeed<'de> for RegionsSeed<'_, '_, '_> {
    type Value = Option<Value>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Option<Value>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RegionsSeed<'_, '_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the regions")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
        self.batches.regions_listed = true;
        while let Some(region) = seq.next_element::<Value>()? {
            self.batches.push(region);
        }
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
        let value = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(Some(value))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<Value>, E> {
        Ok(Some(Value::String(v.into())))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Option<Value>, E> {
        Ok(Some(Value::Bool(v)))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<Value>, E> {
        Ok(Some(Value::Null))
    }
}

/// Where the next value after the first one starts.
enum After {
    /// On the line the first value ends on (its line and column, counted from 1).
    SameLine(usize, usize),
    /// On a later line (its number).
    Line(usize),
}

/// Skips the white space after a value that ends on line `line` at `column`; leaves `reader`
/// at the next byte that is not, and says where it is (`None`: the end of the input).
fn after_value(reader: &mut impl BufRead, line: usize, column: usize) -> std::io::Result<Option<After>> {
    let (mut line, mut column, mut same) = (line, column, true);
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        let blank = buf.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')).count();
        for &b in &buf[..blank] {
            if b == b'\n' {
                (line, column, same) = (line + 1, 0, false);
            } else {
                column += 1;
            }
        }
        let found = blank < buf.len();
        reader.consume(blank);
        if found {
            return Ok(Some(if same { After::SameLine(line, column + 1) } else { After::Line(line) }));
        }
    }
}
