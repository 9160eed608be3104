//! JSON wire forms of the answers to questions about the regions: output ranges with the
//! Lipschitz constants (`range`) and line slices (`slice`). Exact rationals as strings, with
//! float companions for plotting.

use crate::exact::num::{fmt_q, Q};
use crate::queries::line::LineSlice;
use crate::queries::range::{Extreme, LipschitzConstants, OutputRange};
use serde::Serialize;
use serde_json::{json, Value};

fn qs(v: &[Q]) -> Vec<String> {
    v.iter().map(fmt_q).collect()
}

fn extreme(e: &Extreme, infinity: &str) -> Value {
    match e {
        Extreme::Attained { value, point, region } => json!({
            "value": fmt_q(value),
            "value_f64": crate::kernel::image(value),
            "point": qs(point),
            "region": region,
        }),
        Extreme::Unbounded { ray, region } => json!({"value": infinity, "ray": qs(ray), "region": region}),
    }
}

/// `range --json`: one entry per output (`min`, `max`, each with its exact `value`, `point` and
/// `region`, or `"-inf"`/`"+inf"` with a `ray`), and the Lipschitz constants when asked.
///
/// # Examples
/// ```
/// use relu_regions::export::answers::ranges_json;
/// use relu_regions::queries::range::{lipschitz, output_ranges};
/// use relu_regions::{Enumerator, Network};
/// // |x| on [-1, 2]: range [0, 2], slope 1 everywhere
/// let net = Network::from_json(r#"{"input_dim": 1, "domain": {"box": [["-1", "2"]]}, "layers": [
///     {"weights": [["1"], ["-1"]], "activation": "relu"}, {"weights": [["1", "1"]], "activation": "linear"}]}"#).unwrap();
/// let regions = Enumerator::builder().build().collect(&net).unwrap().0;
/// let ranges = output_ranges(&regions).unwrap().unwrap();
/// let doc = ranges_json(&ranges, lipschitz(&regions).as_ref());
/// assert_eq!(doc["outputs"][0]["min"]["value"], "0");
/// assert_eq!(doc["outputs"][0]["max"]["value"], "2");
/// assert_eq!(doc["lipschitz"]["l1"]["value"], "1");
/// ```
pub fn ranges_json(ranges: &[OutputRange], lipschitz: Option<&LipschitzConstants>) -> Value {
    let outputs: Vec<Value> = ranges
        .iter()
        .enumerate()
        .map(|(k, r)| json!({"output": k, "min": extreme(&r.min, "-inf"), "max": extreme(&r.max, "+inf")}))
        .collect();
    let mut doc = json!({ "outputs": outputs });
    if let Some(l) = lipschitz {
        doc["lipschitz"] = json!({
            "l1": {"value": fmt_q(&l.l1.value), "value_f64": crate::kernel::image(&l.l1.value), "region": l.l1.region},
            "linf": {"value": fmt_q(&l.linf.value), "value_f64": crate::kernel::image(&l.linf.value), "region": l.linf.region},
        });
    }
    doc
}

/// One interval of a line slice on the wire.
#[derive(Debug, Serialize)]
struct PieceOut {
    t: [String; 2],
    x_start: Vec<String>,
    x_end: Vec<String>,
    pattern: Vec<String>,
    slope: Vec<String>,
    start: Vec<String>,
    end: Vec<String>,
    t_f64: [f64; 2],
    start_f64: Vec<f64>,
    end_f64: Vec<f64>,
}

/// `slice --json`: the intervals in order of `t` and the breakpoints.
///
/// # Examples
/// ```
/// use relu_regions::export::answers::slice_json;
/// use relu_regions::queries::line::{restrict, slice, Segment};
/// use relu_regions::{analyze, Enumerator, Network};
/// // |x| from -1 to 1: two pieces, a breakpoint at t = 1/2
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [
///     {"weights": [["1"], ["-1"]], "activation": "relu"}, {"weights": [["1", "1"]], "activation": "linear"}]}"#).unwrap();
/// let segment = Segment::parse("-1;1", 1).unwrap();
/// assert_eq!(segment.point(&relu_regions::exact::num::q(1)), vec![relu_regions::exact::num::q(1)]);
/// let a = analyze(&restrict(&net, &segment).unwrap(), &Enumerator::builder().build()).unwrap();
/// let doc = slice_json(&slice(&segment, &a));
/// assert_eq!(doc["breakpoints"][0], "1/2");
/// assert_eq!(doc["pieces"].as_array().unwrap().len(), 2);
/// ```
pub fn slice_json(slice: &LineSlice) -> Value {
    let pieces: Vec<PieceOut> = slice
        .pieces
        .iter()
        .map(|p| PieceOut {
            t: [fmt_q(&p.t.0), fmt_q(&p.t.1)],
            x_start: qs(&p.x.0),
            x_end: qs(&p.x.1),
            pattern: p.layout.strings(&p.pattern),
            slope: qs(&p.slope),
            start: qs(&p.start),
            end: qs(&p.end),
            t_f64: [crate::kernel::image(&p.t.0), crate::kernel::image(&p.t.1)],
            start_f64: crate::kernel::images(&p.start),
            end_f64: crate::kernel::images(&p.end),
        })
        .collect();
    json!({
        "pieces": pieces,
        "breakpoints": qs(&slice.breakpoints),
        "breakpoints_f64": crate::kernel::images(&slice.breakpoints),
    })
}

/// Adds each region's sizes to a `regions --json` document (`"size"`: exact `measure` as `area`
/// or `volume`, the certified inscribed `ball`, the sampled `volume_estimate`).
///
/// # Examples
/// ```
/// use relu_regions::export::{answers::add_sizes, json::regions_document};
/// use relu_regions::queries::sizes::region_sizes;
/// use relu_regions::{analyze, Enumerator, Network};
/// // relu(x) + relu(y) on [0, 2] x [0, 1] with a cut at x = 1: two unit squares
/// let net = Network::from_json(r#"{"input_dim": 2, "domain": {"box": [["0", "2"], ["0", "1"]]}, "layers": [
///     {"weights": [["1", "0"]], "bias": ["-1"], "activation": "relu"}]}"#).unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let mut doc = regions_document(&net, &a, None);
/// add_sizes(&mut doc, &region_sizes(&net, &a.regions(), &a.facets(), 0, 1), 2);
/// assert_eq!(doc["regions"][0]["size"]["area"], "1");
/// assert_eq!(doc["regions"][1]["size"]["area"], "1");
/// ```
pub fn add_sizes(doc: &mut Value, sizes: &[crate::queries::sizes::RegionSize], dim: usize) {
    let Some(regions) = doc.get_mut("regions").and_then(Value::as_array_mut) else { return };
    for (region, size) in regions.iter_mut().zip(sizes) {
        region["size"] = size_value(size, dim);
    }
}

/// A region's `size` object.
pub(crate) fn size_value(size: &crate::queries::sizes::RegionSize, dim: usize) -> Value {
    let mut v = json!({});
    if let Some(m) = &size.measure {
        let key = if dim == 2 { "area" } else { "volume" };
        v[key] = fmt_q(m).into();
        v[format!("{key}_f64")] = crate::kernel::image(m).into();
    }
    if let Some(ball) = &size.ball {
        v["inradius"] = fmt_q(&ball.radius).into();
        v["inradius_f64"] = crate::kernel::image(&ball.radius).into();
        v["ball_center"] = qs(&ball.center).into();
    }
    if let Some((estimate, low, high)) = size.sampled {
        v["volume_estimate"] = json!({"value": estimate, "low": low, "high": high, "confidence": 0.95});
    }
    v
}
