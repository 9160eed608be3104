//! The answers of the analyses beyond counting (`range`, `slice`, `locate`, `vnnlib`,
//! `regions --sizes`) as the JSON documents both front ends print: the command-line tool and
//! the Python package call these functions, so their keys cannot drift apart.
//!
//! Each `*_report` function runs the analysis with an [`Enumerator`] (whose deadline and cancel
//! flag hold in every phase: the later phases install the run's stop token) and returns a
//! report holding the figures (for the text forms) with a `to_json` that gives the document;
//! the caller adds the provenance it knows.

use crate::analysis::analyze;
use crate::enumerate::{Enumerator, StopReason, Summary};
use crate::error::InternalError;
use crate::export::json::{NeuronOut, RegionOut};
use crate::export::labels::FacetLabels;
use crate::export::provenance::Provenance;
use crate::facets::facets;
use crate::line::{LineSlice, Segment};
use crate::locate::{LocateError, Location};
use crate::network::{Network, Pattern};
use crate::num::{fmt_q, Q};
use crate::property::{Decision, Verdict};
use crate::range::{LipschitzConstants, OutputRange};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Instant;

fn qs(v: &[Q]) -> Vec<String> {
    v.iter().map(fmt_q).collect()
}

fn with_provenance(mut doc: Value, provenance: Option<&Provenance>) -> Value {
    if let Some(p) = provenance {
        doc["provenance"] = json!(p);
    }
    doc
}

/// The exact ranges of every output over the regions found (and the Lipschitz constants).
#[derive(Debug, Clone)]
pub struct RangeReport {
    /// The ranges over the regions whose optima were found (`None`: the run stopped before
    /// the first region's).
    pub ranges: Option<Vec<OutputRange>>,
    /// The Lipschitz constants over those regions, when asked.
    pub lipschitz: Option<LipschitzConstants>,
    /// The regions the ranges are over.
    pub regions: usize,
    /// The enumeration's summary (stopped when a limit cut the enumeration or the optima).
    pub summary: Summary,
}

/// `range`: the regions, then their optima until the run's stop token fires.
///
/// # Examples
/// ```
/// use relu_regions::reports::range_report;
/// use relu_regions::{Enumerator, Network};
/// // |x| on [-1, 2]: range [0, 2]
/// let net = Network::from_json(r#"{"input_dim": 1, "domain": {"box": [["-1", "2"]]}, "layers": [
///     {"weights": [["1"], ["-1"]], "activation": "relu"}, {"weights": [["1", "1"]], "activation": "linear"}]}"#).unwrap();
/// let r = range_report(&net, &Enumerator::builder().build(), true).unwrap();
/// let doc = r.to_json(None).unwrap();
/// assert_eq!((doc["outputs"][0]["max"]["value"].as_str(), doc["complete"].as_bool()), (Some("2"), Some(true)));
/// assert_eq!(doc["lipschitz"]["linf"]["value"], "1");
/// ```
pub fn range_report(
    net: &Network,
    enumerator: &Enumerator,
    with_lipschitz: bool,
) -> Result<RangeReport, InternalError> {
    let start = Instant::now();
    let enumerator = enumerator.anchored(start);
    let (mut regions, mut summary) = enumerator.collect(net);
    if let Some(failure) = summary.failure.take() {
        return Err(failure);
    }
    let token = enumerator.stop_token(start);
    let (ranges, done) = {
        let _stop = token.install();
        crate::range::output_ranges_prefix(&regions)?
    };
    if done < regions.len() {
        regions.truncate(done);
        summary.stopped = summary.stopped.or(token.reason()).or(Some(StopReason::Cancelled));
    }
    let lipschitz = if with_lipschitz && ranges.is_some() { crate::range::lipschitz(&regions) } else { None };
    Ok(RangeReport { ranges, lipschitz, regions: regions.len(), summary })
}

impl RangeReport {
    /// `range --json` (`None` when no range was found before the run stopped).
    ///
    /// See the example on [`range_report`].
    pub fn to_json(&self, provenance: Option<&Provenance>) -> Option<Value> {
        let ranges = self.ranges.as_ref()?;
        let mut doc = crate::export::answers::ranges_json(ranges, self.lipschitz.as_ref());
        doc["regions"] = self.regions.into();
        doc["complete"] = self.summary.complete().into();
        Some(with_provenance(doc, provenance))
    }
}

/// The exact slice of the network along a segment.
#[derive(Debug, Clone)]
pub struct SliceReport {
    /// The segment.
    pub segment: Segment,
    /// Its pieces and breakpoints.
    pub slice: LineSlice,
    /// The enumeration's summary on the segment.
    pub summary: Summary,
}

/// `slice`: the network restricted to the segment, analysed.
///
/// # Examples
/// ```
/// use relu_regions::line::Segment;
/// use relu_regions::reports::slice_report;
/// use relu_regions::{Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [[1, 0], [-1, 0]], "activation": "relu"}, {"weights": [[1, 1]], "activation": "linear"}]}"#).unwrap();
/// let s = slice_report(&net, Segment::parse("-1,0;1,0", 2).unwrap(), &Enumerator::builder().build()).unwrap();
/// assert_eq!(s.to_json(None)["breakpoints"][0], "1/2");
/// ```
pub fn slice_report(
    net: &Network,
    segment: Segment,
    enumerator: &Enumerator,
) -> Result<SliceReport, SliceError> {
    let restricted = crate::line::restrict(net, &segment)?;
    let a = analyze(&restricted, enumerator)?;
    let slice = crate::line::slice(&segment, &a);
    Ok(SliceReport { segment, slice, summary: a.summary })
}

/// Why a slice could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SliceError {
    /// The segment does not fit the network (its message names what).
    #[error(transparent)]
    Segment(#[from] crate::error::NetworkError),
    /// An exact check failed.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl SliceReport {
    /// `slice --json`.
    ///
    /// See the example on [`slice_report`].
    pub fn to_json(&self, provenance: Option<&Provenance>) -> Value {
        let mut doc = crate::export::answers::slice_json(&self.slice);
        doc["segment"] = json!({"a": qs(&self.segment.a), "b": qs(&self.segment.b)});
        doc["complete"] = self.summary.complete().into();
        with_provenance(doc, provenance)
    }
}

/// Where a point lies, with each region's wire form (facets included).
#[derive(Debug, Clone)]
pub struct LocateReport {
    /// The point.
    pub point: Vec<Q>,
    /// The regions whose closure holds it and where it sits.
    pub location: Location,
    /// Each region as `regions --json` writes it (`id`: its id in the whole enumeration when
    /// `ids` were given, else null).
    pub regions: Vec<Value>,
}

/// `locate`: the region(s) at `x`, with their facets; `ids` maps patterns to the ids of a
/// whole enumeration (`locate --ids`).
///
/// # Examples
/// ```
/// use relu_regions::reports::locate_report;
/// use relu_regions::num::q;
/// use relu_regions::{Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [[1, 0], [-1, 0]], "activation": "relu"}, {"weights": [[1, 1]], "activation": "linear"}]}"#).unwrap();
/// let e = Enumerator::builder().build();
/// assert_eq!(locate_report(&net, &[q(1), q(0)], &e, None).unwrap().to_json(None)["on_boundary"], false);
/// let doc = locate_report(&net, &[q(0), q(5)], &e, None).unwrap().to_json(None);
/// assert_eq!((doc["on_boundary"].as_bool(), doc["regions"].as_array().unwrap().len()), (Some(true), 2));
/// ```
pub fn locate_report(
    net: &Network,
    x: &[Q],
    enumerator: &Enumerator,
    ids: Option<&HashMap<Pattern, usize>>,
) -> Result<LocateReport, LocateError> {
    let location = crate::locate::locate(net, x, enumerator)?;
    let prepared = enumerator.prepare(net);
    let labels = FacetLabels::new(net);
    let mut regions = Vec::new();
    for r in &location.regions {
        let f = facets(r, &prepared, &mut Default::default())?;
        let mut v =
            serde_json::to_value(RegionOut::new(&labels, r, &f, None)).expect("wire structs serialize");
        v["id"] = ids.and_then(|m| m.get(&r.pattern)).map_or(Value::Null, |&id| id.into());
        regions.push(v);
    }
    Ok(LocateReport { point: x.to_vec(), location, regions })
}

impl LocateReport {
    /// `locate --json`.
    ///
    /// See the example on [`locate_report`].
    pub fn to_json(&self, provenance: Option<&Provenance>) -> Value {
        let doc = json!({
            "point": qs(&self.point),
            "on_boundary": self.location.on_boundary,
            "on_domain_boundary": self.location.on_domain_boundary,
            "split_by": self.location.split_by.iter().map(|&n| NeuronOut::from(n)).collect::<Vec<_>>(),
            "regions": self.regions,
        });
        with_provenance(doc, provenance)
    }
}

/// `vnnlib --json`: the verdict (`sat`, `unsat`, `unknown`), the counterexample when sat, and
/// the work done in `seconds`.
///
/// # Examples
/// ```
/// use relu_regions::property::decide;
/// use relu_regions::reports::vnnlib_json;
/// use relu_regions::vnnlib::read_vnnlib;
/// use relu_regions::{Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [
///     {"weights": [[1]], "activation": "relu"}, {"weights": [[1]], "activation": "linear"}]}"#).unwrap();
/// let p = read_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)
///     (assert (<= X_0 1))(assert (>= X_0 -1))(assert (>= Y_0 0.5))", "p", 1, 1).unwrap();
/// let d = decide(&net, &p, &Enumerator::builder().build()).unwrap();
/// let doc = vnnlib_json(&d, 0.0, None);
/// assert_eq!((doc["result"].as_str(), doc["complete"].as_bool()), (Some("sat"), Some(true)));
/// ```
pub fn vnnlib_json(decision: &Decision, seconds: f64, provenance: Option<&Provenance>) -> Value {
    let (result, counterexample) = match &decision.verdict {
        Verdict::Sat { input, output } => ("sat", Some(json!({"input": qs(input), "output": qs(output)}))),
        Verdict::Unsat => ("unsat", None),
        _ => ("unknown", None),
    };
    let mut doc = json!({
        "result": result,
        "complete": result != "unknown",
        "regions_visited": decision.regions_visited,
        "pruned": decision.pruned,
        "subtrees_pruned": decision.subtrees_pruned,
        "lps": decision.lps,
        "seconds": seconds,
    });
    if let Some(c) = counterexample {
        doc["counterexample"] = c;
    }
    with_provenance(doc, provenance)
}

/// `regions --json [--sizes]`: every region with its facets and piece, and with `sizes` each
/// certified region's exact size (area or volume, inscribed ball, and with `samples` a sampled
/// volume estimate) until the run's stop token fires; and the run's summary.
///
/// # Examples
/// ```
/// use relu_regions::reports::regions_json;
/// use relu_regions::{Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "domain": {"box": [["0", "2"], ["0", "1"]]}, "layers": [
///     {"weights": [["1", "0"]], "bias": ["-1"], "activation": "relu"}]}"#).unwrap();
/// let (doc, summary) = regions_json(&net, &Enumerator::builder().build(), true, 0, None).unwrap();
/// assert!(summary.complete());
/// assert_eq!(doc["regions"][1]["size"]["area"], "1");
/// ```
pub fn regions_json(
    net: &Network,
    enumerator: &Enumerator,
    sizes: bool,
    samples: usize,
    provenance: Option<&Provenance>,
) -> Result<(Value, Summary), InternalError> {
    let start = Instant::now();
    let enumerator = enumerator.anchored(start);
    let a = analyze(net, &enumerator)?;
    let mut doc = crate::export::json::regions_document(net, &a, provenance);
    if sizes {
        // the regions with certified facets, until the run's token fires
        let _stop = enumerator.stop_token(start).install();
        let n = a.facets_certified;
        let s = crate::sizes::region_sizes(net, &a.regions[..n], &a.facets[..n], samples, 1);
        crate::export::answers::add_sizes(&mut doc, &s, net.input_dim());
    }
    Ok((doc, a.summary))
}
