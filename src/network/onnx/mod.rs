//! ONNX reader for fully connected ReLU networks, converted exactly: float32/float64 weights are
//! dyadic rationals, taken with no rounding.
//!
//! Supported operators: `Gemm` (alpha, beta, transA = 0, transB), `MatMul` and `Add` with a
//! constant operand, `Sub`/`Mul`/`Div` by constants (input normalization), `Relu`, and the shape
//! no-ops `Flatten`, `Reshape`, `Identity`, `Squeeze`, `Unsqueeze`; `Constant` nodes provide
//! constants. Anything else is an error naming the node and its operator. The model is read with
//! a small protobuf walker (`network::protobuf`) rather than a full ONNX runtime.

use super::protobuf::{fixed_chunks, varints, Fields, WireError, WireValue};
use super::{Domain, Network};
use crate::error::NetworkError;
use crate::num::{from_f64_exact, q, Q};
use std::collections::HashMap;

/// A message about a node, naming it and its operator.
fn at(node: &Node, message: &str) -> String {
    format!("node `{}` (operator {}): {message}", node.name, node.op)
}

mod activations;
mod build;
mod conv_transpose;
mod fold;
mod join;
mod json_form;
mod lower;
mod maxunits;
mod roots;
mod rows;

use build::convert;
pub(crate) use json_form::network_from_value as network_from_graph_form;
pub use json_form::{graph_form, layers_graph_form, onnx_graph_form};

/// A constant tensor (flattened, row-major) with its shape.
#[derive(Debug, Clone)]
struct Tensor {
    dims: Vec<usize>,
    values: Vec<Q>,
}

/// A tensor whose data lies in a file next to the model (ONNX external data), to be read.
#[derive(Debug, Clone)]
struct External {
    name: String,
    dims: Vec<usize>,
    data_type: u64,
    location: String,
    offset: usize,
    length: Option<usize>,
}

#[derive(Debug, Default)]
struct Node {
    name: String,
    op: String,
    inputs: Vec<String>,
    outputs: Vec<String>,
    ints: HashMap<String, i64>,
    /// Float attributes, exactly (an ONNX float attribute is a float32, a dyadic rational).
    floats: HashMap<String, Q>,
    tensors: HashMap<String, Tensor>,
    strings: HashMap<String, String>,
    int_lists: HashMap<String, Vec<i64>>,
}

#[derive(Debug, Default)]
struct Graph {
    nodes: Vec<Node>,
    constants: HashMap<String, Tensor>,
    /// Initializers stored as external data, not read yet.
    external: Vec<External>,
    inputs: Vec<(String, Vec<Option<u64>>)>,
}

type Res<T> = Result<T, String>;

fn wire(e: WireError, what: &str) -> String {
    format!("malformed {what} at byte {}: {}", e.offset, e.message)
}

fn string(v: WireValue<'_>) -> Res<String> {
    match v {
        WireValue::Bytes(b) => Ok(String::from_utf8_lossy(b).into_owned()),
        _ => Err("expected a string field".into()),
    }
}

fn bytes(v: WireValue<'_>) -> Res<&[u8]> {
    match v {
        WireValue::Bytes(b) => Ok(b),
        _ => Err("expected a length-delimited field".into()),
    }
}

/// Reads an ONNX model's bytes into an exact network (domain: all of R^d; override it with
/// `--box` or `--domain`).
///
/// # Examples
/// ```
/// use relu_regions::network::onnx::read_onnx;
/// // a field with wire type 7 (none such): refused, naming the file and the byte offset
/// let err = read_onnx(&[0x0f], "model.onnx").unwrap_err().to_string();
/// assert!(err.starts_with("model.onnx") && err.contains("byte"), "{err}");
/// ```
pub fn read_onnx(data: &[u8], source_name: &str) -> Result<Network, NetworkError> {
    read_onnx_in(data, source_name, None)
}

/// [`read_onnx`] for a model read from a file in `dir`, whose external data files (ONNX's
/// `data_location = EXTERNAL`) lie next to it.
///
/// # Examples
/// ```
/// use relu_regions::network::onnx::read_onnx_in;
/// let dir = std::env::temp_dir();
/// let err = read_onnx_in(&[], "empty.onnx", Some(&dir)).unwrap_err();
/// assert!(err.to_string().starts_with("empty.onnx"));
/// ```
pub fn read_onnx_in(
    data: &[u8],
    source_name: &str,
    dir: Option<&std::path::Path>,
) -> Result<Network, NetworkError> {
    let graph = read_graph(data, source_name, dir)?;
    let (input_dim, layers, notes) = convert(&graph).map_err(|m| unsupported(source_name, m))?;
    Network::new(input_dim, layers, Domain::Whole)
        .map(|n| n.with_notes(notes))
        .map_err(|e| e.with_source(source_name))
}

fn unsupported(source_name: &str, message: String) -> NetworkError {
    NetworkError::Unsupported { source_name: source_name.into(), message }
}

/// The model's graph with its external data read.
fn read_graph(data: &[u8], source_name: &str, dir: Option<&std::path::Path>) -> Result<Graph, NetworkError> {
    let mut graph = parse_model(data)
        .map_err(|m| NetworkError::Syntax { source_name: source_name.into(), message: m })?;
    load_external(&mut graph, dir).map_err(|m| unsupported(source_name, m))?;
    Ok(graph)
}

fn parse_model(data: &[u8]) -> Res<Graph> {
    let mut graph = None;
    for field in Fields::new(data) {
        let (number, value) = field.map_err(|e| wire(e, "ONNX model"))?;
        if number == 7 {
            graph = Some(parse_graph(bytes(value)?)?);
        }
    }
    graph.ok_or_else(|| "not an ONNX model: no graph found".into())
}

fn parse_graph(data: &[u8]) -> Res<Graph> {
    let mut g = Graph::default();
    for field in Fields::new(data) {
        let (number, value) = field.map_err(|e| wire(e, "ONNX graph"))?;
        match number {
            1 => g.nodes.push(parse_node(bytes(value)?)?),
            5 => match parse_tensor(bytes(value)?)? {
                Parsed::Inline(name, t) => {
                    g.constants.insert(name, t);
                }
                Parsed::External(e) => g.external.push(e),
            },
            11 => g.inputs.push(parse_value_info(bytes(value)?)?),
            _ => {}
        }
    }
    Ok(g)
}

fn parse_node(data: &[u8]) -> Res<Node> {
    let mut n = Node::default();
    for field in Fields::new(data) {
        let (number, value) = field.map_err(|e| wire(e, "ONNX node"))?;
        match number {
            1 => n.inputs.push(string(value)?),
            2 => n.outputs.push(string(value)?),
            3 => n.name = string(value)?,
            4 => n.op = string(value)?,
            5 => parse_attribute(bytes(value)?, &mut n)?,
            _ => {}
        }
    }
    Ok(n)
}

fn parse_attribute(data: &[u8], node: &mut Node) -> Res<()> {
    let mut name = String::new();
    let (mut int, mut float, mut tensor, mut text) = (None, None, None, None);
    let mut ints: Option<Vec<i64>> = None;
    for field in Fields::new(data) {
        let (number, value) = field.map_err(|e| wire(e, "ONNX attribute"))?;
        match (number, value) {
            (1, v) => name = string(v)?,
            (2, WireValue::Fixed32(bits)) => float = Some(f32::from_bits(bits)),
            (3, WireValue::Varint(v)) => int = Some(v as i64),
            (4, v) => text = Some(String::from_utf8_lossy(bytes(v)?).into_owned()),
            (5, v) => {
                tensor = match parse_tensor(bytes(v)?)? {
                    Parsed::Inline(_, t) => Some(t),
                    Parsed::External(e) => {
                        return Err(format!(
                            "attribute tensor `{}` uses external data, which is not supported",
                            e.name
                        ))
                    }
                }
            }
            (8, v) => ints
                .get_or_insert_with(Vec::new)
                .extend(varints(v).map_err(|e| wire(e, "ints attribute"))?.into_iter().map(|x| x as i64)),
            _ => {}
        }
    }
    if let Some(v) = ints {
        node.int_lists.insert(name.clone(), v);
    }
    if let Some(v) = text {
        node.strings.insert(name.clone(), v);
    }
    if let Some(v) = int {
        node.ints.insert(name.clone(), v);
    }
    if let Some(v) = float {
        let v: f32 = v;
        let exact = from_f64_exact(f64::from(v)).ok_or_else(|| format!("float attribute `{name}` is {v}"))?;
        node.floats.insert(name.clone(), exact);
    }
    if let Some(t) = tensor {
        node.tensors.insert(name, t);
    }
    Ok(())
}

fn parse_value_info(data: &[u8]) -> Res<(String, Vec<Option<u64>>)> {
    let mut name = String::new();
    let mut dims = Vec::new();
    for field in Fields::new(data) {
        let (number, value) = field.map_err(|e| wire(e, "ONNX value info"))?;
        match number {
            1 => name = string(value)?,
            2 => dims = tensor_type_dims(bytes(value)?)?,
            _ => {}
        }
    }
    Ok((name, dims))
}

/// TypeProto.tensor_type(1).shape(2).dim(1).dim_value(1).
fn tensor_type_dims(data: &[u8]) -> Res<Vec<Option<u64>>> {
    let sub = |data: &[u8], want: u32| -> Res<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        for field in Fields::new(data) {
            let (number, value) = field.map_err(|e| wire(e, "ONNX type"))?;
            if number == want {
                out.push(bytes(value)?.to_vec());
            }
        }
        Ok(out)
    };
    let mut dims = Vec::new();
    for tensor_type in sub(data, 1)? {
        for shape in sub(&tensor_type, 2)? {
            for dim in sub(&shape, 1)? {
                let mut value = None;
                for field in Fields::new(&dim) {
                    if let (1, WireValue::Varint(v)) = field.map_err(|e| wire(e, "ONNX dim"))? {
                        value = Some(v);
                    }
                }
                dims.push(value);
            }
        }
    }
    Ok(dims)
}

/// A parsed tensor: its values, or where they are.
enum Parsed {
    Inline(String, Tensor),
    External(External),
}

fn parse_tensor(data: &[u8]) -> Res<Parsed> {
    let (mut name, mut dims, mut data_type, mut raw) = (String::new(), Vec::new(), 0u64, None);
    let mut external: Vec<(String, String)> = Vec::new();
    let mut location_external = false;
    let mut values: Vec<Q> = Vec::new();
    // int32_data: integers, or the bit patterns of float16/bfloat16 values
    let mut int32s: Vec<u64> = Vec::new();
    for field in Fields::new(data) {
        let (number, value) = field.map_err(|e| wire(e, "ONNX tensor"))?;
        match number {
            1 => dims.extend(varints(value).map_err(|e| wire(e, "tensor dims"))?),
            2 => {
                data_type = varints(value).map_err(|e| wire(e, "tensor type"))?.first().copied().unwrap_or(0)
            }
            4 => values.extend(floats32(value)?),
            10 => values.extend(floats64(value)?),
            7 => values
                .extend(varints(value).map_err(|e| wire(e, "int64 data"))?.into_iter().map(|v| q(v as i64))),
            5 => int32s.extend(varints(value).map_err(|e| wire(e, "int32 data"))?),
            8 => name = string(value)?,
            9 => raw = Some(bytes(value)?.to_vec()),
            13 => {
                // StringStringEntryProto: key 1, value 2
                let (mut key, mut val) = (String::new(), String::new());
                for f in Fields::new(bytes(value)?) {
                    let (n, v) = f.map_err(|e| wire(e, "external data entry"))?;
                    match n {
                        1 => key = string(v)?,
                        2 => val = string(v)?,
                        _ => {}
                    }
                }
                external.push((key, val));
            }
            14 => {
                location_external = varints(value).map_err(|e| wire(e, "data location"))?.first() == Some(&1)
            }
            _ => {}
        }
    }
    match data_type {
        10 | 16 => values.extend(int32s.iter().map(|&v| half(v as u16, data_type)).collect::<Res<Vec<Q>>>()?),
        _ => values.extend(int32s.iter().map(|&v| q(v as i32 as i64))),
    }
    if location_external || !external.is_empty() {
        let get = |k: &str| external.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let number = |k: &str| -> Res<Option<usize>> {
            get(k)
                .map(|v| {
                    v.parse::<usize>()
                        .map_err(|_| format!("tensor `{name}`: external data {k} `{v}` is not a number"))
                })
                .transpose()
        };
        let location =
            get("location").ok_or_else(|| format!("tensor `{name}`: external data without a location"))?;
        let dims = dims.into_iter().map(|d| usize::try_from(d).unwrap_or(usize::MAX)).collect();
        return Ok(Parsed::External(External {
            offset: number("offset")?.unwrap_or(0),
            length: number("length")?,
            name,
            dims,
            data_type,
            location,
        }));
    }
    if let Some(raw) = raw {
        values = decode_raw(&raw, data_type, &name)?;
    }
    let dims: Vec<usize> = dims.into_iter().map(|d| usize::try_from(d).unwrap_or(usize::MAX)).collect();
    let expected = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if expected != Some(values.len()) {
        return Err(format!("tensor `{name}`: shape {dims:?} does not match its {} values", values.len()));
    }
    Ok(Parsed::Inline(name, Tensor { dims, values }))
}

/// The values of raw little-endian tensor data of an ONNX data type.
fn decode_raw(raw: &[u8], data_type: u64, name: &str) -> Res<Vec<Q>> {
    Ok(match data_type {
        1 => floats32(WireValue::Bytes(raw))?,
        11 => floats64(WireValue::Bytes(raw))?,
        10 | 16 => raw.chunks_exact(2).map(|c| half(u16::from_le_bytes([c[0], c[1]]), data_type)).collect::<Res<Vec<Q>>>()?,
        7 => raw.chunks_exact(8).map(|c| q(i64::from_le_bytes(c.try_into().expect("8 bytes")))).collect(),
        6 => raw.chunks_exact(4).map(|c| q(i32::from_le_bytes(c.try_into().expect("4 bytes")).into())).collect(),
        other => {
            return Err(format!(
                "tensor `{name}` has data type {other} ({}), which is not supported: export the weights as float32, float64, float16, bfloat16 or integers",
                data_type_name(other)
            ))
        }
    })
}

/// Reads the external initializers of a graph from the files next to the model (`dir`):
/// relative locations inside that directory only.
fn load_external(graph: &mut Graph, dir: Option<&std::path::Path>) -> Res<()> {
    for e in std::mem::take(&mut graph.external) {
        let Some(dir) = dir else {
            return Err(format!(
                "tensor `{}` is stored in the external file `{}`: read the model from its file (with that file next to it)",
                e.name, e.location
            ));
        };
        let relative = std::path::Path::new(&e.location);
        if relative.is_absolute()
            || relative.components().any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(format!(
                "tensor `{}`: external data location `{}` is not a file next to the model",
                e.name, e.location
            ));
        }
        let path = dir.join(relative);
        let bytes = std::fs::read(&path)
            .map_err(|err| format!("tensor `{}`: cannot read {}: {err}", e.name, path.display()))?;
        let end = match e.length {
            Some(len) => e.offset.checked_add(len),
            None => Some(bytes.len()),
        };
        let raw = end
            .filter(|&end| end <= bytes.len() && e.offset <= end)
            .map(|end| &bytes[e.offset..end])
            .ok_or_else(|| {
            format!(
                "tensor `{}`: offset {} and length {:?} lie outside {}",
                e.name,
                e.offset,
                e.length,
                path.display()
            )
        })?;
        let values = decode_raw(raw, e.data_type, &e.name)?;
        let expected = e.dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if expected != Some(values.len()) {
            return Err(format!(
                "tensor `{}`: shape {:?} does not match its {} values",
                e.name,
                e.dims,
                values.len()
            ));
        }
        graph.constants.insert(e.name, Tensor { dims: e.dims, values });
    }
    Ok(())
}

fn floats32(v: WireValue<'_>) -> Res<Vec<Q>> {
    fixed_chunks(v, 4)
        .map_err(|e| wire(e, "float data"))?
        .iter()
        .map(|c| finite(f32::from_le_bytes(c[..4].try_into().expect("4 bytes")).into()))
        .collect()
}

fn floats64(v: WireValue<'_>) -> Res<Vec<Q>> {
    fixed_chunks(v, 8)
        .map_err(|e| wire(e, "double data"))?
        .iter()
        .map(|c| finite(f64::from_le_bytes(c[..8].try_into().expect("8 bytes"))))
        .collect()
}

/// The exact value of a float16 (`data_type` 10) or bfloat16 (16) bit pattern: both are exact
/// `f64` values, so the dyadic rational is exact too.
fn half(bits: u16, data_type: u64) -> Res<Q> {
    let value = if data_type == 16 {
        f64::from(f32::from_bits(u32::from(bits) << 16))
    } else {
        let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
        let (exponent, fraction) = ((bits >> 10) & 0x1f, f64::from(bits & 0x3ff));
        match exponent {
            0 => sign * fraction * 2f64.powi(-24),
            31 if fraction == 0.0 => sign * f64::INFINITY,
            31 => f64::NAN,
            e => sign * (1.0 + fraction / 1024.0) * 2f64.powi(i32::from(e) - 15),
        }
    };
    finite(value)
}

/// ONNX's name of a tensor data type, for messages.
fn data_type_name(t: u64) -> &'static str {
    match t {
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        8 => "string",
        9 => "bool",
        12 => "uint32",
        13 => "uint64",
        14 => "complex64",
        15 => "complex128",
        _ => "an unknown type",
    }
}

fn finite(x: f64) -> Res<Q> {
    from_f64_exact(x).ok_or_else(|| format!("a weight is {x} (not a finite number)"))
}
