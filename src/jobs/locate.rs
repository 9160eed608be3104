//! The `locate` job: the region(s) at a point with their facets, and their ids in the whole
//! enumeration when asked.

use super::JobError;
use crate::analysis::facets::facets;
use crate::enumerate::Enumerator;
use crate::exact::num::{fmt_q, parse_rational, Q};
use crate::export::json::{NeuronOut, RegionOut};
use crate::export::labels::FacetLabels;
use crate::export::provenance::Provenance;
use crate::network::{Network, Pattern};
use crate::queries::locate::{LocateError, Location};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Where a point lies.
#[derive(Debug)]
pub struct LocateJob {
    /// The point, exactly.
    pub point: Vec<Q>,
    /// Its regions and where it lies among them.
    pub location: Location,
    /// Each region in the wire form of `regions --json`, with its `id` (null without ids).
    pub regions: Vec<Value>,
}

impl LocateJob {
    /// The `locate --json` document.
    ///
    /// See the example on [`locate`].
    pub fn document(&self, provenance: Option<&Provenance>) -> Value {
        json!({
            "point": self.point.iter().map(fmt_q).collect::<Vec<_>>(),
            "on_boundary": self.location.on_boundary,
            "on_domain_boundary": self.location.on_domain_boundary,
            "split_by": self.location.split_by.iter().map(|&n| NeuronOut::from(n)).collect::<Vec<_>>(),
            "regions": self.regions,
            "provenance": provenance,
        })
    }
}

/// Locates the point `point` (`"x1,x2,.."`, exact numbers): its region, or the regions whose
/// closures hold it, each with its facets; with `with_ids`, each region's id in the whole
/// enumeration of the domain (which must then run to the end).
///
/// # Examples
/// ```
/// use relu_regions::{jobs, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#).unwrap();
/// let job = jobs::locate(&net, &Enumerator::builder().build(), "1,1", true).unwrap();
/// assert!(job.location.on_boundary); // on the line x - y = 0
/// assert_eq!(job.regions.len(), 2);
/// assert!(job.regions.iter().all(|r| r["id"].is_u64()));
/// assert_eq!(job.document(None)["point"][0], "1");
/// ```
///
/// # Errors
/// The point is invalid (the message names `--point`), the enumeration for ids stopped early,
/// or an exact check failed.
pub fn locate(
    net: &Network,
    enumerator: &Enumerator,
    point: &str,
    with_ids: bool,
) -> Result<LocateJob, JobError> {
    let x: Vec<Q> = point
        .split(',')
        .map(|t| parse_rational(t).map_err(|e| JobError::Input(format!("--point: {e}"))))
        .collect::<Result<_, _>>()?;
    let location = crate::queries::locate::locate(net, &x, enumerator).map_err(|e| match e {
        LocateError::Internal(e) => JobError::Internal(e),
        other => JobError::Input(format!("--point: {other}")),
    })?;
    let ids: Option<HashMap<Pattern, usize>> = if with_ids {
        let (all, summary) = enumerator.collect(net)?;
        if !summary.complete() {
            return Err(JobError::Input(
                "--ids: the enumeration of the domain was stopped, so ids are unknown".into(),
            ));
        }
        Some(all.into_iter().map(|r| (r.pattern, r.id)).collect())
    } else {
        None
    };
    let prepared = enumerator.prepare(net);
    let labels = FacetLabels::new(net);
    let mut regions = Vec::new();
    for r in &location.regions {
        let f = facets(r, &prepared, &mut Default::default())?;
        let mut v =
            serde_json::to_value(RegionOut::new(&labels, r, &f, None)).expect("wire structs serialize");
        v["id"] = ids.as_ref().and_then(|m| m.get(&r.pattern)).map_or(Value::Null, |&id| id.into());
        regions.push(v);
    }
    Ok(LocateJob { point: x, location, regions })
}
