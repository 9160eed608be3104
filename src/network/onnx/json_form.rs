//! The JSON graph form of a network: the ONNX graph's data input, constant tensors and nodes
//! (operator, inputs, outputs, attributes) with every number exact, read by the same builder as
//! ONNX. A convolution keeps its kernel (a few numbers) instead of a dense layer of
//! `outputs x inputs` weights. See `docs/format.md` for the form.

use super::{convert, read_graph, unsupported, Graph, Node, Tensor};
use crate::error::{NetworkError, Problem};
use crate::exact::num::fmt_q;
use crate::network::json::{domain_value, number_from_value, vector_from_value};
use crate::network::limits::{MAX_ATTRIBUTE_INTS, MAX_NODES, MAX_RANK};
use crate::network::{Activation, Domain, InputFormat, Network};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The graph as JSON (the `graph` object of the form).
pub(super) fn graph_value(g: &Graph) -> Value {
    let (name, dims) = g
        .inputs
        .iter()
        .find(|(name, _)| !g.constants.contains_key(name))
        .cloned()
        .unwrap_or_else(|| ("input".into(), Vec::new()));
    let shape: Vec<u64> = dims.iter().map(|d| d.unwrap_or(1)).collect();
    let mut names: Vec<&String> = g.constants.keys().collect();
    names.sort();
    let constants: Map<String, Value> =
        names.into_iter().map(|n| (n.clone(), tensor_value(&g.constants[n]))).collect();
    let nodes: Vec<Value> = g.nodes.iter().map(node_value).collect();
    let mut out = json!({"input": {"name": name, "shape": shape}, "constants": constants, "nodes": nodes});
    if !g.outputs.is_empty() {
        out["outputs"] = json!(g.outputs);
    }
    out
}

fn tensor_value(t: &Tensor) -> Value {
    json!({"dims": t.dims, "values": t.values.iter().map(fmt_q).collect::<Vec<_>>()})
}

fn node_value(n: &Node) -> Value {
    let mut out = json!({"name": n.name, "op": n.op, "inputs": n.inputs, "outputs": n.outputs});
    let sorted = |m: &HashMap<String, Value>| -> Value {
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort();
        Value::Object(keys.into_iter().map(|k| (k.clone(), m[k].clone())).collect())
    };
    let groups: [(&str, HashMap<String, Value>); 5] = [
        ("ints", n.ints.iter().map(|(k, v)| (k.clone(), json!(v))).collect()),
        ("floats", n.floats.iter().map(|(k, v)| (k.clone(), json!(fmt_q(v)))).collect()),
        ("int_lists", n.int_lists.iter().map(|(k, v)| (k.clone(), json!(v))).collect()),
        ("strings", n.strings.iter().map(|(k, v)| (k.clone(), json!(v))).collect()),
        ("tensors", n.tensors.iter().map(|(k, v)| (k.clone(), tensor_value(v))).collect()),
    ];
    for (key, group) in groups {
        if !group.is_empty() {
            out[key] = sorted(&group);
        }
    }
    out
}

/// A dense chain of layers as a graph: `Gemm` (`transB = 1`) per layer, `Relu` after the
/// hidden ones.
pub(super) fn layers_graph(net: &Network) -> Graph {
    let mut g = Graph {
        inputs: vec![("input".into(), vec![Some(1), Some(net.input_dim() as u64)])],
        ..Graph::default()
    };
    let mut current = "input".to_string();
    // after a max layer of `k` pieces the next weights read one column per unit
    let mut pieces = 1;
    for (l, layer) in net.layers().iter().enumerate() {
        let (w, b) = (format!("layers.{l}.weight"), format!("layers.{l}.bias"));
        let cols = layer.weights.inputs() / pieces;
        let values =
            layer.weights.to_dense().into_iter().flat_map(|row| row.into_iter().step_by(pieces)).collect();
        g.constants.insert(w.clone(), Tensor { dims: vec![layer.width(), cols], values });
        g.constants.insert(b.clone(), Tensor { dims: vec![layer.width()], values: layer.bias.clone() });
        let out = format!("layers.{l}");
        let mut gemm = Node { name: format!("Gemm_{l}"), op: "Gemm".into(), ..Node::default() };
        gemm.inputs = vec![current, w, b];
        gemm.outputs = vec![out.clone()];
        gemm.ints.insert("transB".into(), 1);
        g.nodes.push(gemm);
        current = out;
        let node = |name: String, op: &str, inputs: Vec<String>, out: &str| Node {
            name,
            op: op.into(),
            inputs,
            outputs: vec![out.to_string()],
            ..Node::default()
        };
        pieces = 1;
        match layer.activation {
            Activation::Relu => {
                let out = format!("relu.{l}");
                g.nodes.push(node(format!("Relu_{l}"), "Relu", vec![current], &out));
                current = out;
            }
            Activation::Max(k) => {
                // the candidates as [1, units, k], then the max over the last axis
                let (shape, grouped, out) =
                    (format!("layers.{l}.units"), format!("grouped.{l}"), format!("max.{l}"));
                let dims =
                    [1, layer.width() / k, k].map(|v| crate::exact::num::Q::from_integer((v as i64).into()));
                g.constants.insert(shape.clone(), Tensor { dims: vec![3], values: dims.to_vec() });
                g.nodes.push(node(format!("Reshape_{l}"), "Reshape", vec![current, shape], &grouped));
                let mut reduce = node(format!("ReduceMax_{l}"), "ReduceMax", vec![grouped], &out);
                reduce.int_lists.insert("axes".into(), vec![2]);
                reduce.ints.insert("keepdims".into(), 0);
                g.nodes.push(reduce);
                current = out;
                pieces = k;
            }
            _ => {}
        }
    }
    g
}

/// The whole file of the form: `input_dim`, `graph`, and the domain unless it is all of R^d.
pub(super) fn document(g: &Graph, input_dim: usize, domain: &Domain, notes: &[String]) -> String {
    let mut out = json!({"input_dim": input_dim, "graph": graph_value(g)});
    if !notes.is_empty() {
        out["notes"] = json!(notes);
    }
    if let Some(d) = domain_value(domain) {
        out["domain"] = d;
    }
    serde_json::to_string_pretty(&out).expect("JSON values always serialize") + "\n"
}

/// Reads the `graph` object of the form; every problem is reported with its location.
pub(super) fn graph_from_value(value: &Value, problems: &mut Vec<Problem>) -> Graph {
    let mut g = Graph::default();
    let Some(object) = value.as_object() else {
        problems.push(Problem::new("graph", "expected an object with input, constants and nodes"));
        return g;
    };
    unknown_keys(object, "graph", &["input", "constants", "nodes", "outputs"], problems);
    match object.get("input").and_then(Value::as_object) {
        Some(input) => {
            let name = input.get("name").and_then(Value::as_str).unwrap_or("input").to_string();
            let shape = match input.get("shape").and_then(Value::as_array) {
                Some(dims)
                    if dims.iter().all(|d| d.as_u64().is_some_and(|d| d > 0)) && dims.len() <= MAX_RANK =>
                {
                    dims.iter().filter_map(Value::as_u64).map(Some).collect()
                }
                _ => {
                    problems.push(Problem::new(
                        "graph.input.shape",
                        format!(
                            "expected an array of at most {MAX_RANK} positive integers ([] for a scalar)"
                        ),
                    ));
                    Vec::new()
                }
            };
            g.inputs.push((name, shape));
        }
        None => problems.push(Problem::new("graph.input", "missing: an object with name and shape")),
    }
    if let Some(outputs) = object.get("outputs") {
        match outputs.as_array().filter(|a| a.iter().all(Value::is_string)) {
            Some(names) => g.outputs = names.iter().filter_map(Value::as_str).map(String::from).collect(),
            None => problems.push(Problem::new("graph.outputs", "expected an array of tensor names")),
        }
    }
    if let Some(constants) = object.get("constants") {
        match constants.as_object() {
            Some(map) => {
                for (name, t) in map {
                    if let Some(t) = tensor_from_value(t, &format!("graph.constants.{name}"), problems) {
                        g.constants.insert(name.clone(), t);
                    }
                }
            }
            None => problems.push(Problem::new("graph.constants", "expected an object of tensors")),
        }
    }
    match object.get("nodes").and_then(Value::as_array) {
        Some(nodes) if nodes.len() > MAX_NODES => problems.push(Problem::new(
            "graph.nodes",
            format!("has {} nodes, more than {MAX_NODES} (MAX_NODES)", nodes.len()),
        )),
        Some(nodes) => {
            for (i, n) in nodes.iter().enumerate() {
                if let Some(node) = node_from_value(n, &format!("graph.nodes[{i}]"), problems) {
                    g.nodes.push(node);
                }
            }
        }
        None => problems.push(Problem::new("graph.nodes", "missing or not an array")),
    }
    g
}

fn unknown_keys(object: &Map<String, Value>, at: &str, known: &[&str], problems: &mut Vec<Problem>) {
    for key in object.keys().filter(|k| !known.contains(&k.as_str())) {
        problems.push(Problem::new(at, format!("unknown key `{key}` (known: {})", known.join(", "))));
    }
}

fn tensor_from_value(value: &Value, at: &str, problems: &mut Vec<Problem>) -> Option<Tensor> {
    let dims: Option<Vec<usize>> = value
        .get("dims")
        .and_then(Value::as_array)
        .filter(|d| d.len() <= MAX_RANK)
        .and_then(|d| d.iter().map(|v| v.as_u64().and_then(|v| usize::try_from(v).ok())).collect());
    let Some(dims) = dims else {
        problems.push(Problem::new(
            format!("{at}.dims"),
            format!("missing or not an array of at most {MAX_RANK} integers (MAX_RANK)"),
        ));
        return None;
    };
    let Some(items) = value.get("values") else {
        problems.push(Problem::new(format!("{at}.values"), "missing"));
        return None;
    };
    let values = vector_from_value(items, &format!("{at}.values"), problems)?;
    if dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) != Some(values.len()) {
        problems
            .push(Problem::new(format!("{at}.values"), format!("{} values for dims {dims:?}", values.len())));
        return None;
    }
    Some(Tensor { dims, values })
}

fn node_from_value(value: &Value, at: &str, problems: &mut Vec<Problem>) -> Option<Node> {
    let Some(object) = value.as_object() else {
        problems.push(Problem::new(at, "expected an object"));
        return None;
    };
    let known = ["name", "op", "inputs", "outputs", "ints", "floats", "int_lists", "strings", "tensors"];
    unknown_keys(object, at, &known, problems);
    let strings = |key: &str, problems: &mut Vec<Problem>| -> Vec<String> {
        match object.get(key).and_then(Value::as_array) {
            Some(a) if a.iter().all(Value::is_string) => {
                a.iter().filter_map(Value::as_str).map(String::from).collect()
            }
            _ => {
                problems.push(Problem::new(format!("{at}.{key}"), "missing or not an array of strings"));
                Vec::new()
            }
        }
    };
    let Some(op) = object.get("op").and_then(Value::as_str) else {
        problems.push(Problem::new(format!("{at}.op"), "missing: the operator's ONNX name"));
        return None;
    };
    let mut node = Node {
        name: object.get("name").and_then(Value::as_str).map_or_else(|| at.to_string(), String::from),
        op: op.to_string(),
        inputs: strings("inputs", problems),
        outputs: strings("outputs", problems),
        ..Node::default()
    };
    let group = |key: &str| object.get(key).and_then(Value::as_object).into_iter().flatten();
    for (k, v) in group("ints") {
        match v.as_i64() {
            Some(v) => drop(node.ints.insert(k.clone(), v)),
            None => problems.push(Problem::new(format!("{at}.ints.{k}"), "expected an integer")),
        }
    }
    for (k, v) in group("floats") {
        if let Some(v) = number_from_value(v, &format!("{at}.floats.{k}"), problems) {
            node.floats.insert(k.clone(), v);
        }
    }
    for (k, v) in group("int_lists") {
        let list = v.as_array().filter(|a| a.len() <= MAX_ATTRIBUTE_INTS);
        match list.and_then(|a| a.iter().map(Value::as_i64).collect::<Option<Vec<i64>>>()) {
            Some(v) => drop(node.int_lists.insert(k.clone(), v)),
            None => problems.push(Problem::new(
                format!("{at}.int_lists.{k}"),
                format!("expected an array of at most {MAX_ATTRIBUTE_INTS} integers (MAX_ATTRIBUTE_INTS)"),
            )),
        }
    }
    for (k, v) in group("strings") {
        match v.as_str() {
            Some(v) => drop(node.strings.insert(k.clone(), v.to_string())),
            None => problems.push(Problem::new(format!("{at}.strings.{k}"), "expected a string")),
        }
    }
    for (k, v) in group("tensors") {
        if let Some(t) = tensor_from_value(v, &format!("{at}.tensors.{k}"), problems) {
            node.tensors.insert(k.clone(), t);
        }
    }
    Some(node)
}

/// The network of a file of the form (its `graph`, `input_dim` checked against the input's
/// shape, its `domain`).
pub(crate) fn network_from_value(value: &Value, source_name: &str) -> Result<Network, NetworkError> {
    let mut problems = Vec::new();
    let empty = Map::new();
    let object = value.as_object().unwrap_or(&empty);
    unknown_keys(object, "(top level)", &["input_dim", "graph", "domain", "notes"], &mut problems);
    let g = graph_from_value(object.get("graph").unwrap_or(&Value::Null), &mut problems);
    let invalid = |problems| NetworkError::Invalid { source_name: source_name.to_string(), problems };
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let (input_dim, layers, mut notes) = convert(&g)
        .map_err(|message| NetworkError::Unsupported { source_name: source_name.into(), message })?;
    // the notes the file carries (from the network it was written from), each once
    for note in file_notes(value) {
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    if let Some(d) = object.get("input_dim") {
        if d.as_u64() != Some(input_dim as u64) {
            return Err(invalid(vec![Problem::new(
                "input_dim",
                format!("{d}, but the input's shape has {input_dim} values"),
            )]));
        }
    }
    let domain = match object.get("domain") {
        None | Some(Value::Null) => Domain::Whole,
        Some(v) => crate::network::json::read_domain(&v.to_string(), source_name, input_dim)?,
    };
    Network::new(input_dim, layers, domain)
        .map(|n| n.with_notes(notes))
        .map_err(|e| e.with_source(source_name))
}

/// An ONNX model (external data read) in the JSON graph form of `docs/format.md`: its data
/// input, constants and nodes with exact numbers, and `domain` unless it is all of R^d. The model
/// is built first, so a model the reader refuses is refused here too.
///
/// # Examples
/// ```
/// use relu_regions::network::{onnx::onnx_graph_form, Domain};
/// let err = onnx_graph_form(&[], "empty.onnx", None, &Domain::Whole).unwrap_err();
/// assert!(err.to_string().starts_with("empty.onnx"));
/// ```
pub fn onnx_graph_form(
    data: &[u8],
    source_name: &str,
    dir: Option<&std::path::Path>,
    domain: &Domain,
) -> Result<String, NetworkError> {
    let graph = read_graph(data, source_name, dir)?;
    let (input_dim, _, _) = convert(&graph).map_err(|m| unsupported(source_name, m))?;
    Ok(document(&graph, input_dim, domain, &[]))
}

/// A network's layers in the JSON graph form (a `Gemm` per layer, a `Relu` after each hidden
/// one), with its domain.
///
/// # Examples
/// ```
/// use relu_regions::network::{json::read_network, onnx::layers_graph_form};
/// let net = read_network(r#"{"input_dim": 1, "layers": [
///     {"weights": [["1/3"]], "activation": "relu"}, {"weights": [["2"]], "activation": "linear"}]}"#, "t").unwrap();
/// let text = layers_graph_form(&net);
/// assert!(text.contains("\"Gemm\"") && text.contains("\"1/3\""));
/// assert_eq!(read_network(&text, "again").unwrap().layers(), net.layers());
/// ```
pub fn layers_graph_form(net: &Network) -> String {
    document(&layers_graph(net), net.input_dim(), net.domain(), net.notes())
}

/// A file of the JSON graph form written again (normalized: keys sorted), with `domain`.
fn rewrite_graph_form(value: &serde_json::Value, input_dim: usize, domain: &Domain) -> String {
    let mut problems = Vec::new();
    let graph = graph_from_value(&value["graph"], &mut problems);
    document(&graph, input_dim, domain, &file_notes(value))
}

/// The `notes` a file of the form carries (what a reader noted before it was written).
fn file_notes(value: &Value) -> Vec<String> {
    let notes = value.get("notes").and_then(Value::as_array);
    notes.map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect()).unwrap_or_default()
}

/// The network of `path` (read as `format`, by default from the extension; its `bytes` as
/// read; `net` as loaded, whose domain is written) in the
/// JSON graph form: an ONNX model's or a graph-form file's own graph (convolutions stay
/// kernels), otherwise the layers as `Gemm` and `Relu` nodes.
///
/// # Examples
/// ```
/// use relu_regions::network::{graph_form, json::read_network};
/// let text = r#"{"input_dim": 1, "layers": [{"weights": [["1"]], "activation": "relu"}]}"#;
/// let net = read_network(text, "t.json").unwrap();
/// let form = graph_form(std::path::Path::new("t.json"), None, text.as_bytes(), &net).unwrap();
/// assert_eq!(read_network(&form, "form.json").unwrap().layers(), net.layers());
/// ```
pub fn graph_form(
    path: &std::path::Path,
    format: Option<InputFormat>,
    bytes: &[u8],
    net: &Network,
) -> Result<String, NetworkError> {
    let name = path.display().to_string();
    if format.or_else(|| InputFormat::from_path(path)) == Some(InputFormat::Onnx) {
        return onnx_graph_form(bytes, &name, path.parent(), net.domain());
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
        if value.get("graph").is_some() {
            return Ok(rewrite_graph_form(&value, net.input_dim(), net.domain()));
        }
    }
    crate::network::json::check_dense(net, &name)?;
    Ok(layers_graph_form(net))
}
