//! The exact JSON network format of `INTERFACE.md`: reader (with validation that reports every
//! problem and its location) and writer.
//!
//! Numbers are read from their literal text (serde_json's `arbitrary_precision`), so the JSON
//! number `0.1` is exactly `1/10`.

use super::limits::{MAX_CONSTANT_VALUES, MAX_INPUT_DIM, MAX_LAYERS};
use super::{Activation, Domain, Layer, Network, Weights};
use crate::error::{NetworkError, Problem};
use crate::exact::num::{fmt_q, parse_rational, Q};
use serde_json::{Map, Value};

/// Reads a network from JSON text. `source_name` (usually the file path) is used in errors.
///
/// # Examples
/// ```
/// let text = r#"{"input_dim": 2, "layers": [{"weights": [["1", "1/3"]], "activation": "relu"}]}"#;
/// let net = relu_regions::network::json::read_network(text, "inline").unwrap();
/// assert_eq!(net.hidden_neurons(), 1);
/// let bad = r#"{"input_dim": 2, "layers": [{"weights": [["1", "x"]], "activation": "relu"}]}"#;
/// let err = relu_regions::network::json::read_network(bad, "inline").unwrap_err();
/// assert!(err.to_string().contains("layers[0].weights[0][1]"));
/// ```
pub fn read_network(text: &str, source_name: &str) -> Result<Network, NetworkError> {
    check_numbers(text.bytes().filter(|&b| b == b',').count(), source_name)?;
    let value = parse_json(text, source_name)?;
    if value.get("graph").is_some() {
        return super::onnx::network_from_graph_form(&value, source_name);
    }
    let mut problems = Vec::new();
    let net = network_from_value(&value, &mut problems);
    match net {
        Some(net) if problems.is_empty() => Network::new(net.input_dim, net.layers, net.domain)
            .map(|n| n.with_notes(net.notes))
            .map_err(|e| e.with_source(source_name)),
        _ => Err(NetworkError::Invalid { source_name: source_name.to_string(), problems }),
    }
}

/// Refuses a file that may hold more than [`MAX_CONSTANT_VALUES`] numbers (`count`, counted on
/// its text before it is parsed: a JSON file's commas, a `.nnet` file's tokens).
pub(crate) fn check_numbers(count: usize, source_name: &str) -> Result<(), NetworkError> {
    if count > MAX_CONSTANT_VALUES {
        return Err(NetworkError::Unsupported {
            source_name: source_name.to_string(),
            message: format!(
                "the file holds {count} separated values, more than {MAX_CONSTANT_VALUES} numbers (MAX_CONSTANT_VALUES)"
            ),
        });
    }
    Ok(())
}

/// Reads a domain object (`{"box": ...}` or `{"polytope": ...}`, or a whole network file whose
/// `domain` key holds one) for `dim` inputs.
///
/// # Examples
/// ```
/// use relu_regions::network::{json::read_domain, Domain};
/// use relu_regions::exact::num::q;
/// let domain = read_domain(r#"{"box": [[0, 1], ["-1/2", "1/2"]]}"#, "box.json", 2).unwrap();
/// assert_eq!(domain, Domain::Box(vec![(q(0), q(1)), (q(-1) / q(2), q(1) / q(2))]));
/// assert!(read_domain(r#"{"box": [[0, 1]]}"#, "box.json", 2).is_err()); // one pair for 2 inputs
/// ```
pub fn read_domain(text: &str, source_name: &str, dim: usize) -> Result<Domain, NetworkError> {
    let value = parse_json(text, source_name)?;
    let object = match value.get("domain") {
        Some(inner) => inner.clone(),
        None => value,
    };
    let mut problems = Vec::new();
    let domain = domain_from_value(&object, "domain", &mut problems);
    let check = Network { input_dim: dim, layers: Vec::new(), domain: domain.clone(), notes: Vec::new() };
    problems.extend(check.validation_problems().into_iter().filter(|p| p.location.starts_with("domain")));
    if problems.is_empty() {
        Ok(domain)
    } else {
        Err(NetworkError::Invalid { source_name: source_name.to_string(), problems })
    }
}

/// Parses a box given as `"lo:hi,lo:hi,..."` (each bound an exact decimal or p/q).
///
/// # Examples
/// ```
/// let d = relu_regions::network::json::parse_box("-1:1,0:1/3", 2).unwrap();
/// assert!(matches!(d, relu_regions::network::Domain::Box(_)));
/// assert!(relu_regions::network::json::parse_box("1:0,0:1", 2).is_err());
/// ```
pub fn parse_box(text: &str, dim: usize) -> Result<Domain, NetworkError> {
    let mut problems = Vec::new();
    let mut bounds = Vec::new();
    for (j, part) in text.split(',').enumerate() {
        let Some((lo, hi)) = part.split_once(':') else {
            problems.push(Problem::new(format!("box interval {j}"), format!("`{part}` is not lo:hi")));
            continue;
        };
        let lo =
            parse_rational(lo).map_err(|e| Problem::new(format!("box interval {j} lower"), e.to_string()));
        let hi =
            parse_rational(hi).map_err(|e| Problem::new(format!("box interval {j} upper"), e.to_string()));
        match (lo, hi) {
            (Ok(lo), Ok(hi)) => bounds.push((lo, hi)),
            (lo, hi) => problems.extend(lo.err().into_iter().chain(hi.err())),
        }
    }
    let domain = Domain::Box(bounds);
    if problems.is_empty() {
        let check = Network { input_dim: dim, layers: Vec::new(), domain: domain.clone(), notes: Vec::new() };
        problems.extend(check.validation_problems().into_iter().filter(|p| p.location.starts_with("domain")));
    }
    if problems.is_empty() {
        Ok(domain)
    } else {
        Err(NetworkError::Invalid { source_name: "box".into(), problems })
    }
}

fn parse_json(text: &str, source_name: &str) -> Result<Value, NetworkError> {
    serde_json::from_str(text).map_err(|e| NetworkError::Syntax {
        source_name: source_name.to_string(),
        message: format!("invalid JSON: {e}"),
    })
}

fn network_from_value(value: &Value, problems: &mut Vec<Problem>) -> Option<Network> {
    let Some(object) = value.as_object() else {
        problems.push(Problem::new("(top level)", "expected a JSON object"));
        return None;
    };
    check_keys(object, "(top level)", &["input_dim", "layers", "domain", "notes"], problems);
    let input_dim = match object.get("input_dim").map(|v| (v.as_u64(), v)) {
        Some((Some(d), _)) if (1..=MAX_INPUT_DIM as u64).contains(&d) => d as usize,
        Some((Some(d), _)) if d > 0 => {
            problems.push(Problem::new(
                "input_dim",
                format!("{d} is more than {MAX_INPUT_DIM} inputs (MAX_INPUT_DIM)"),
            ));
            return None;
        }
        Some((_, v)) => {
            problems.push(Problem::new("input_dim", format!("expected a positive integer, got {v}")));
            return None;
        }
        None => {
            problems.push(Problem::new("input_dim", "missing"));
            return None;
        }
    };
    let layers = match object.get("layers").and_then(Value::as_array) {
        Some(layers) if layers.len() > MAX_LAYERS => {
            let message = format!("has {} layers, more than {MAX_LAYERS} (MAX_LAYERS)", layers.len());
            problems.push(Problem::new("layers", message));
            return None;
        }
        Some(layers) => {
            layers.iter().enumerate().filter_map(|(l, v)| layer_from_value(v, l, problems)).collect()
        }
        None => {
            problems.push(Problem::new("layers", "missing or not an array"));
            Vec::new()
        }
    };
    let domain = match object.get("domain") {
        None | Some(Value::Null) => Domain::Whole,
        Some(v) => domain_from_value(v, "domain", problems),
    };
    let notes = object
        .get("notes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default();
    let net = Network { input_dim, layers, domain, notes };
    problems.extend(net.validation_problems());
    Some(net)
}

fn check_keys(object: &Map<String, Value>, at: &str, known: &[&str], problems: &mut Vec<Problem>) {
    for key in object.keys() {
        if !known.contains(&key.as_str()) {
            problems.push(Problem::new(at, format!("unknown key `{key}` (known: {})", known.join(", "))));
        }
    }
}

fn layer_from_value(value: &Value, l: usize, problems: &mut Vec<Problem>) -> Option<Layer> {
    let at = format!("layers[{l}]");
    let Some(object) = value.as_object() else {
        problems.push(Problem::new(at, "expected an object"));
        return None;
    };
    check_keys(object, &at, &["weights", "bias", "activation", "pieces"], problems);
    let activation = match object.get("activation").and_then(Value::as_str) {
        Some("relu") => Activation::Relu,
        Some("linear") => Activation::Linear,
        Some("max") => match object.get("pieces").and_then(Value::as_u64) {
            Some(k) => Activation::Max(k as usize),
            None => {
                problems.push(Problem::new(
                    format!("{at}.pieces"),
                    "missing or not a whole number (a max layer says how many candidates each unit has)",
                ));
                Activation::Linear
            }
        },
        Some(other) => {
            problems.push(Problem::new(
                format!("{at}.activation"),
                format!("unknown activation `{other}` (expected relu, max or linear)"),
            ));
            Activation::Linear
        }
        None => {
            problems.push(Problem::new(
                format!("{at}.activation"),
                "missing (expected \"relu\", \"max\" or \"linear\")",
            ));
            Activation::Linear
        }
    };
    if object.contains_key("pieces") && !matches!(activation, Activation::Max(_)) {
        problems.push(Problem::new(format!("{at}.pieces"), "only a max layer has pieces"));
    }
    let weights = match object.get("weights") {
        Some(w) => matrix_from_value(w, &format!("{at}.weights"), problems)?,
        None => {
            problems.push(Problem::new(format!("{at}.weights"), "missing"));
            return None;
        }
    };
    let bias = match object.get("bias") {
        None | Some(Value::Null) => vec![Q::default(); weights.len()],
        Some(b) => vector_from_value(b, &format!("{at}.bias"), problems)?,
    };
    // rows of one length (the network's validation checks that length against the layer's input)
    let inputs = weights.first().map_or(0, Vec::len);
    let mut rows = Vec::with_capacity(weights.len());
    for (i, mut row) in weights.into_iter().enumerate() {
        if row.len() != inputs {
            problems.push(Problem::new(
                format!("{at}.weights[{i}]"),
                format!("row has {} entries, expected {inputs} (as row 0)", row.len()),
            ));
            row.resize(inputs, Q::default());
        }
        rows.push(row);
    }
    Some(Layer { weights: Weights::from_dense_rows(rows), bias, activation })
}

fn domain_from_value(value: &Value, at: &str, problems: &mut Vec<Problem>) -> Domain {
    let Some(object) = value.as_object() else {
        problems.push(Problem::new(at, "expected an object with `box` or `polytope`"));
        return Domain::Whole;
    };
    check_keys(object, at, &["box", "polytope"], problems);
    if let Some(b) = object.get("box") {
        let rows = matrix_from_value(b, &format!("{at}.box"), problems).unwrap_or_default();
        let mut bounds = Vec::new();
        for (j, row) in rows.into_iter().enumerate() {
            match <[Q; 2]>::try_from(row) {
                Ok([lo, hi]) => bounds.push((lo, hi)),
                Err(_) => problems.push(Problem::new(format!("{at}.box[{j}]"), "expected [lo, hi]")),
            }
        }
        return Domain::Box(bounds);
    }
    if let Some(p) = object.get("polytope") {
        let a = p.get("A").map(|a| matrix_from_value(a, &format!("{at}.polytope.A"), problems));
        let b = p.get("b").map(|b| vector_from_value(b, &format!("{at}.polytope.b"), problems));
        return match (a, b) {
            (Some(Some(a)), Some(Some(b))) => Domain::Polytope { a, b },
            (a, b) => {
                if a.is_none() || b.is_none() {
                    problems.push(Problem::new(format!("{at}.polytope"), "needs both `A` and `b`"));
                }
                Domain::Whole
            }
        };
    }
    problems.push(Problem::new(at, "expected `box` or `polytope`"));
    Domain::Whole
}

fn matrix_from_value(value: &Value, at: &str, problems: &mut Vec<Problem>) -> Option<Vec<Vec<Q>>> {
    let Some(rows) = value.as_array() else {
        problems.push(Problem::new(at, "expected an array of rows"));
        return None;
    };
    let parsed: Vec<Option<Vec<Q>>> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| vector_from_value(row, &format!("{at}[{i}]"), problems))
        .collect();
    parsed.into_iter().collect()
}

pub(crate) fn vector_from_value(value: &Value, at: &str, problems: &mut Vec<Problem>) -> Option<Vec<Q>> {
    let Some(items) = value.as_array() else {
        problems.push(Problem::new(at, "expected an array of numbers"));
        return None;
    };
    // A bad entry is reported and stands in as 0, so that shape checks still run.
    let numbers: Vec<Q> = items
        .iter()
        .enumerate()
        .map(|(j, v)| number_from_value(v, &format!("{at}[{j}]"), problems).unwrap_or_default())
        .collect();
    Some(numbers)
}

pub(crate) fn number_from_value(value: &Value, at: &str, problems: &mut Vec<Problem>) -> Option<Q> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            problems.push(Problem::new(at, format!("expected a number or a numeric string, got {other}")));
            return None;
        }
    };
    parse_rational(&text).map_err(|e| problems.push(Problem::new(at, e.to_string()))).ok()
}

/// Writes a network as our exact JSON (rationals as strings).
///
/// # Examples
/// ```
/// use relu_regions::network::json::{read_network, write_network};
/// let net = read_network(r#"{"input_dim": 1, "layers": [
///     {"weights": [["0.1"]], "bias": ["-1/3"], "activation": "relu"}]}"#, "t").unwrap();
/// let text = write_network(&net);
/// assert!(text.contains("\"1/10\"") && text.contains("\"-1/3\"")); // exact rationals
/// assert_eq!(read_network(&text, "again").unwrap(), net);
/// ```
pub fn write_network(net: &Network) -> String {
    let matrix = |m: &Vec<Vec<Q>>| -> Value {
        Value::Array(
            m.iter().map(|r| Value::Array(r.iter().map(|v| Value::String(fmt_q(v))).collect())).collect(),
        )
    };
    let vector = |v: &Vec<Q>| -> Value { Value::Array(v.iter().map(|x| Value::String(fmt_q(x))).collect()) };
    let layers: Vec<Value> = net
        .layers()
        .iter()
        .map(|layer| {
            let mut value = serde_json::json!({
                "weights": matrix(&layer.weights.to_dense()),
                "bias": vector(&layer.bias),
                "activation": layer.activation.name(),
            });
            if let Activation::Max(k) = layer.activation {
                value["pieces"] = k.into();
            }
            value
        })
        .collect();
    let mut out = serde_json::json!({"input_dim": net.input_dim(), "layers": layers});
    if let Some(domain) = domain_value(net.domain()) {
        out["domain"] = domain;
    }
    if !net.notes().is_empty() {
        out["notes"] = serde_json::json!(net.notes());
    }
    serde_json::to_string_pretty(&out).expect("JSON values always serialize") + "\n"
}

/// The numbers the exact JSON of `net` holds: every weight of every layer (zeros too) and the
/// biases.
///
/// # Examples
/// ```
/// use relu_regions::network::json::{dense_numbers, read_network};
/// let net = read_network(r#"{"input_dim": 3, "layers": [{"weights": [[1, 0, 2]], "activation": "relu"}]}"#, "t").unwrap();
/// assert_eq!(dense_numbers(&net), 4);
/// ```
pub fn dense_numbers(net: &Network) -> usize {
    net.layers().iter().fold(0usize, |acc, l| {
        acc.saturating_add(l.width().saturating_mul(l.weights.inputs())).saturating_add(l.width())
    })
}

/// [`write_network`], refused (naming `source_name`) when the JSON would hold more than
/// [`MAX_CONSTANT_VALUES`] numbers: no reader would take it back, and its dense table could
/// exhaust the memory (a convolutional network's layers are sparse; its graph form,
/// `convert --to json-graph`, keeps the kernels).
///
/// # Examples
/// ```
/// use relu_regions::network::json::{read_network, write_network_checked};
/// let net = read_network(r#"{"input_dim": 1, "layers": [{"weights": [[1]], "activation": "relu"}]}"#, "t").unwrap();
/// assert!(write_network_checked(&net, "t").unwrap().contains("relu"));
/// ```
pub fn write_network_checked(net: &Network, source_name: &str) -> Result<String, NetworkError> {
    check_dense(net, source_name)?;
    Ok(write_network(net))
}

/// Refuses a network whose dense JSON (or dense graph form) would hold more than
/// [`MAX_CONSTANT_VALUES`] numbers.
pub(crate) fn check_dense(net: &Network, source_name: &str) -> Result<(), NetworkError> {
    let n = dense_numbers(net);
    if n > MAX_CONSTANT_VALUES {
        return Err(NetworkError::Unsupported {
            source_name: source_name.to_string(),
            message: format!(
                "its layers as dense weights would be {n} numbers, more than {MAX_CONSTANT_VALUES} (MAX_CONSTANT_VALUES: no reader takes such a file back); write the graph form of an ONNX model instead (--to json-graph)"
            ),
        });
    }
    Ok(())
}

/// The `domain` object of the network format for a domain (exact strings), `None` for all of
/// R^d (the format's absent domain).
///
/// # Examples
/// ```
/// use relu_regions::{network::{json::domain_value, Domain}, exact::num::q};
/// let v = domain_value(&Domain::Box(vec![(q(-1), q(1))])).unwrap();
/// assert_eq!(v.to_string(), r#"{"box":[["-1","1"]]}"#);
/// assert!(domain_value(&Domain::Whole).is_none());
/// ```
pub fn domain_value(domain: &Domain) -> Option<Value> {
    let vector = |v: &Vec<Q>| -> Value { Value::Array(v.iter().map(|x| Value::String(fmt_q(x))).collect()) };
    match domain {
        Domain::Box(bounds) => {
            let rows: Vec<Value> =
                bounds.iter().map(|(lo, hi)| serde_json::json!([fmt_q(lo), fmt_q(hi)])).collect();
            Some(serde_json::json!({ "box": rows }))
        }
        Domain::Polytope { a, b } => {
            let rows: Vec<Value> = a.iter().map(vector).collect();
            Some(serde_json::json!({"polytope": {"A": rows, "b": vector(b)}}))
        }
        _ => None,
    }
}
