//! The question jobs with one answer each: output ranges (with Lipschitz constants), the exact
//! breakpoints along a segment, and a VNN-LIB property decided with its proof.

use super::JobError;
use crate::analysis::analyze;
use crate::enumerate::{Enumerator, Summary};
use crate::exact::num::{fmt_q, Q};
use crate::export::answers::{ranges_json, slice_json};
use crate::export::provenance::Provenance;
use crate::network::vnnlib::Property;
use crate::network::Network;
use crate::queries::line::{LineSlice, Segment};
use crate::queries::property::{decide, DecideError, Decision, Verdict};
use crate::queries::range::{lipschitz, output_ranges_prefix, LipschitzConstants, OutputRange};
use crate::runtime::stop::{StopReason, StopToken};
use serde_json::{json, Value};

/// The ranges of the outputs over the regions found, and what the run covered.
#[derive(Debug)]
pub struct RangeJob {
    /// Each output's exact minimum and maximum with where they are attained (`None`: the run
    /// stopped before any region's range was found).
    pub ranges: Option<Vec<OutputRange>>,
    /// The exact Lipschitz constants, when asked for.
    pub lipschitz: Option<LipschitzConstants>,
    /// The regions the ranges are over.
    pub regions: usize,
    /// The enumeration's summary (stopped, when the ranges are over a prefix of the regions).
    pub summary: Summary,
}

impl RangeJob {
    /// The `range --json` document (`None` without ranges).
    ///
    /// See the example on [`range`].
    pub fn document(&self, provenance: Option<&Provenance>) -> Option<Value> {
        let ranges = self.ranges.as_ref()?;
        let mut doc = ranges_json(ranges, self.lipschitz.as_ref());
        doc["regions"] = self.regions.into();
        doc["complete"] = self.summary.complete().into();
        doc["provenance"] = json!(provenance);
        Some(doc)
    }
}

/// The exact range of every output over the domain (over the regions found when a limit stops
/// the run: the enumeration, then the regions' optima until `token` fires).
///
/// # Examples
/// ```
/// use relu_regions::{jobs, jobs::StopToken, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "domain": {"box": [["-1", "2"]]}, "layers": [
///     {"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
/// let job = jobs::range(&net, &Enumerator::builder().build(), true, &StopToken::default()).unwrap();
/// let doc = job.document(None).unwrap();
/// let (min, max) = (&doc["outputs"][0]["min"]["value"], &doc["outputs"][0]["max"]["value"]);
/// assert_eq!((min.as_str(), max.as_str()), (Some("0"), Some("2")));
/// ```
///
/// # Errors
/// An exact check failed.
pub fn range(
    net: &Network,
    enumerator: &Enumerator,
    with_lipschitz: bool,
    token: &StopToken,
) -> Result<RangeJob, JobError> {
    let (mut regions, mut summary) = enumerator.collect(net)?;
    let (ranges, done) = {
        let _stop = token.install();
        output_ranges_prefix(&regions)?
    };
    if done < regions.len() {
        regions.truncate(done);
        summary.stopped = summary.stopped.or(token.reason()).or(Some(StopReason::Cancelled));
    }
    let lipschitz = if ranges.is_some() && with_lipschitz { lipschitz(&regions) } else { None };
    Ok(RangeJob { ranges, lipschitz, regions: regions.len(), summary })
}

/// The breakpoints of the network along a segment.
#[derive(Debug)]
pub struct SliceJob {
    /// The segment, as parsed.
    pub segment: Segment,
    /// The pieces along it with their exact ends and maps.
    pub slice: LineSlice,
    /// The enumeration's summary on the segment.
    pub summary: Summary,
}

impl SliceJob {
    /// The `slice --json` document.
    ///
    /// See the example on [`slice()`].
    pub fn document(&self, provenance: Option<&Provenance>) -> Value {
        let mut doc = slice_json(&self.slice);
        doc["segment"] = json!({
            "a": self.segment.a.iter().map(fmt_q).collect::<Vec<_>>(),
            "b": self.segment.b.iter().map(fmt_q).collect::<Vec<_>>(),
        });
        doc["complete"] = self.summary.complete().into();
        doc["provenance"] = json!(provenance);
        doc
    }
}

/// The exact pieces of the network along the segment `line` (`"a1,..;b1,.."`).
///
/// # Examples
/// ```
/// use relu_regions::{jobs, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "1"]], "activation": "relu"}]}"#).unwrap();
/// let job = jobs::slice(&net, &Enumerator::builder().build(), "-1,-1;1,1").unwrap();
/// assert_eq!(job.slice.pieces.len(), 2); // off, then on, the break at the origin
/// assert_eq!(job.document(None)["segment"]["b"][0], "1");
/// ```
///
/// # Errors
/// The segment is invalid (its message names `--line`), or an exact check failed.
pub fn slice(net: &Network, enumerator: &Enumerator, line: &str) -> Result<SliceJob, JobError> {
    let option = |e| JobError::option("--line", e);
    let segment = Segment::parse(line, net.input_dim()).map_err(option)?;
    let restricted = crate::queries::line::restrict(net, &segment).map_err(option)?;
    let a = analyze(&restricted, enumerator)?;
    let slice = crate::queries::line::slice(&segment, &a);
    Ok(SliceJob { segment, slice, summary: a.summary })
}

/// A property decided, with the wall time it took.
#[derive(Debug)]
pub struct VnnlibJob {
    /// The decision (verdict, counts, and the proof of an unsat property).
    pub decision: Decision,
    /// Wall time of the decision, in seconds.
    pub seconds: f64,
}

impl VnnlibJob {
    /// `"sat"`, `"unsat"` or `"unknown"`.
    ///
    /// See the example on [`vnnlib`].
    pub fn result(&self) -> &'static str {
        match &self.decision.verdict {
            Verdict::Sat { .. } => "sat",
            Verdict::Unsat => "unsat",
            _ => "unknown",
        }
    }

    /// The `vnnlib --json` document.
    ///
    /// See the example on [`vnnlib`].
    pub fn document(&self, provenance: Option<&Provenance>) -> Value {
        let d = &self.decision;
        let result = self.result();
        let mut doc = json!({
            "result": result,
            "complete": result != "unknown",
            "regions_visited": d.regions_visited,
            "pruned": d.pruned,
            "subtrees_pruned": d.subtrees_pruned,
            "lps": d.lps,
            "seconds": self.seconds,
            "provenance": provenance,
        });
        if let Verdict::Sat { input, output } = &d.verdict {
            doc["counterexample"] = json!({"input": qs(input), "output": qs(output)});
        }
        doc
    }
}

fn qs(v: &[Q]) -> Vec<String> {
    v.iter().map(fmt_q).collect()
}

/// Decides `property` on `net` exactly (`source` names the property's file in errors).
///
/// # Examples
/// ```
/// use relu_regions::{jobs, network::vnnlib::read_vnnlib, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [
///     {"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
/// let text = "(declare-const X_0 Real)(declare-const Y_0 Real)
///     (assert (>= X_0 -1))(assert (<= X_0 1))(assert (< Y_0 0))";
/// let property = read_vnnlib(text, "p", 1, 1).unwrap();
/// let job = jobs::vnnlib(&net, &property, &Enumerator::builder().build(), "p").unwrap();
/// assert_eq!(job.result(), "unsat"); // relu is never negative
/// assert_eq!(job.document(None)["complete"], true);
/// ```
///
/// # Errors
/// The property does not fit the network, or an exact check failed.
pub fn vnnlib(
    net: &Network,
    property: &Property,
    enumerator: &Enumerator,
    source: &str,
) -> Result<VnnlibJob, JobError> {
    let start = std::time::Instant::now();
    let decision = decide(net, property, enumerator).map_err(|e| match e {
        DecideError::Internal(e) => JobError::Internal(e),
        other => JobError::Input(format!("{source}: {other}")),
    })?;
    Ok(VnnlibJob { decision, seconds: start.elapsed().as_secs_f64() })
}
