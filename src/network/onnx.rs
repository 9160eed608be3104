//! ONNX reader for fully connected ReLU networks, converted exactly: float32/float64 weights are
//! dyadic rationals, taken with no rounding.
//!
//! Supported operators: `Gemm` (alpha, beta, transA = 0, transB), `MatMul` and `Add` with a
//! constant operand, `Sub`/`Mul`/`Div` by constants (input normalization), `Relu`, and the shape
//! no-ops `Flatten`, `Reshape`, `Identity`, `Squeeze`, `Unsqueeze`; `Constant` nodes provide
//! constants. Anything else is an error naming the node and its operator. The model is read with
//! a small protobuf walker (`network::protobuf`) rather than a full ONNX runtime.

use super::protobuf::{fixed_chunks, varints, Fields, WireError, WireValue};
use super::{Activation, Domain, Layer, Network};
use crate::error::NetworkError;
use crate::num::{from_f64_exact, q, Q};
use num_traits::{One, Zero};
use std::collections::HashMap;

/// A constant tensor (flattened, row-major) with its shape.
#[derive(Debug, Clone)]
struct Tensor {
    dims: Vec<usize>,
    values: Vec<Q>,
}

#[derive(Debug, Default)]
struct Node {
    name: String,
    op: String,
    inputs: Vec<String>,
    outputs: Vec<String>,
    ints: HashMap<String, i64>,
    floats: HashMap<String, f32>,
    tensors: HashMap<String, Tensor>,
}

#[derive(Debug, Default)]
struct Graph {
    nodes: Vec<Node>,
    constants: HashMap<String, Tensor>,
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
pub fn read_onnx(data: &[u8], source_name: &str) -> Result<Network, NetworkError> {
    let fail = |message: String| NetworkError::Unsupported { source_name: source_name.into(), message };
    let graph = parse_model(data)
        .map_err(|m| NetworkError::Syntax { source_name: source_name.into(), message: m })?;
    let (input_dim, layers) = convert(&graph).map_err(fail)?;
    Network::new(input_dim, layers, Domain::Whole).map_err(|e| e.with_source(source_name))
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
            5 => {
                let (name, t) = parse_tensor(bytes(value)?)?;
                g.constants.insert(name, t);
            }
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
    let (mut int, mut float, mut tensor) = (None, None, None);
    for field in Fields::new(data) {
        let (number, value) = field.map_err(|e| wire(e, "ONNX attribute"))?;
        match (number, value) {
            (1, v) => name = string(v)?,
            (2, WireValue::Fixed32(bits)) => float = Some(f32::from_bits(bits)),
            (3, WireValue::Varint(v)) => int = Some(v as i64),
            (5, v) => tensor = Some(parse_tensor(bytes(v)?)?.1),
            _ => {}
        }
    }
    if let Some(v) = int {
        node.ints.insert(name.clone(), v);
    }
    if let Some(v) = float {
        node.floats.insert(name.clone(), v);
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

fn parse_tensor(data: &[u8]) -> Res<(String, Tensor)> {
    let (mut name, mut dims, mut data_type, mut raw) = (String::new(), Vec::new(), 0u64, None);
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
            13 => return Err(format!("tensor `{name}` uses external data, which is not supported")),
            _ => {}
        }
    }
    match data_type {
        10 | 16 => values.extend(int32s.iter().map(|&v| half(v as u16, data_type)).collect::<Res<Vec<Q>>>()?),
        _ => values.extend(int32s.iter().map(|&v| q(v as i32 as i64))),
    }
    if let Some(raw) = raw {
        values = match data_type {
            1 => floats32(WireValue::Bytes(&raw))?,
            11 => floats64(WireValue::Bytes(&raw))?,
            10 | 16 => raw
                .chunks_exact(2)
                .map(|c| half(u16::from_le_bytes([c[0], c[1]]), data_type))
                .collect::<Res<Vec<Q>>>()?,
            7 => raw.chunks_exact(8).map(|c| q(i64::from_le_bytes(c.try_into().expect("8 bytes")))).collect(),
            6 => raw
                .chunks_exact(4)
                .map(|c| q(i32::from_le_bytes(c.try_into().expect("4 bytes")).into()))
                .collect(),
            other => {
                return Err(format!(
                    "tensor `{name}` has data type {other} ({}), which is not supported: export the weights as float32, float64, float16, bfloat16 or integers",
                    data_type_name(other)
                ))
            }
        };
    }
    let dims: Vec<usize> = dims.into_iter().map(|d| usize::try_from(d).unwrap_or(usize::MAX)).collect();
    let expected = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if expected != Some(values.len()) {
        return Err(format!("tensor `{name}`: shape {dims:?} does not match its {} values", values.len()));
    }
    Ok((name, Tensor { dims, values }))
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

/// The network built so far: finished layers and the pending affine map `W h + b` since the last
/// ReLU (rows = current width).
struct Builder {
    layers: Vec<Layer>,
    w: Vec<Vec<Q>>,
    b: Vec<Q>,
}

impl Builder {
    fn identity(n: usize) -> (Vec<Vec<Q>>, Vec<Q>) {
        let w = (0..n).map(|i| (0..n).map(|j| if i == j { Q::one() } else { Q::zero() }).collect()).collect();
        (w, vec![Q::zero(); n])
    }

    fn width(&self) -> usize {
        self.b.len()
    }

    /// Applies `h -> M h + c` (M: out x width) after the pending map.
    fn apply(&mut self, m: &[Vec<Q>], c: &[Q]) {
        let cols = self.w.first().map_or(0, Vec::len);
        let mut w = vec![vec![Q::zero(); cols]; m.len()];
        let mut b = c.to_vec();
        for (i, row) in m.iter().enumerate() {
            for (k, mk) in row.iter().enumerate().filter(|(_, v)| !v.is_zero()) {
                for (wij, src) in w[i].iter_mut().zip(&self.w[k]) {
                    if !src.is_zero() {
                        *wij += mk * src;
                    }
                }
                b[i] += mk * &self.b[k];
            }
        }
        self.w = w;
        self.b = b;
    }

    /// Elementwise `h_i -> s_i h_i + t_i`.
    fn scale_shift(&mut self, s: &[Q], t: &[Q]) {
        for (i, (row, bi)) in self.w.iter_mut().zip(self.b.iter_mut()).enumerate() {
            for v in row.iter_mut() {
                *v *= &s[i];
            }
            *bi = &*bi * &s[i] + &t[i];
        }
    }

    fn relu(&mut self) {
        let n = self.width();
        let (w, b) = Builder::identity(n);
        let weights = std::mem::replace(&mut self.w, w);
        let bias = std::mem::replace(&mut self.b, b);
        self.layers.push(Layer { weights, bias, activation: Activation::Relu });
    }
}

fn convert(g: &Graph) -> Res<(usize, Vec<Layer>)> {
    let mut constants = g.constants.clone();
    let (input_name, dims) = g
        .inputs
        .iter()
        .find(|(name, _)| !constants.contains_key(name))
        .ok_or("the graph has no non-constant input")?;
    let d = dims.iter().map(|v| v.unwrap_or(1)).product::<u64>();
    let d = usize::try_from(d)
        .ok()
        .filter(|&d| d > 0 && d <= 1_000_000)
        .ok_or("the input shape is not a known vector size")?;
    let (w, b) = Builder::identity(d);
    let mut net = Builder { layers: Vec::new(), w, b };
    let mut current = input_name.clone();
    for node in &g.nodes {
        if node.op == "Constant" {
            let t = node.tensors.get("value").ok_or_else(|| at(node, "Constant without a tensor `value`"))?;
            for out in &node.outputs {
                constants.insert(out.clone(), t.clone());
            }
            continue;
        }
        if !node.inputs.contains(&current) {
            return Err(at(node, "does not consume the network's data path (only one chain of fully connected layers is supported)"));
        }
        apply_node(node, &current, &constants, &mut net)?;
        current = node.outputs.first().cloned().ok_or_else(|| at(node, "has no output"))?;
    }
    if net.layers.is_empty() || !is_identity(&net.w, &net.b) {
        let (weights, bias) = (net.w, net.b);
        net.layers.push(Layer { weights, bias, activation: Activation::Linear });
    }
    Ok((d, net.layers))
}

fn is_identity(w: &[Vec<Q>], b: &[Q]) -> bool {
    b.iter().all(Zero::is_zero)
        && w.iter().enumerate().all(|(i, row)| {
            row.iter().enumerate().all(|(j, v)| *v == if i == j { Q::one() } else { Q::zero() })
        })
}

fn at(node: &Node, message: &str) -> String {
    format!("node `{}` (operator {}): {message}", node.name, node.op)
}

fn apply_node(node: &Node, current: &str, constants: &HashMap<String, Tensor>, net: &mut Builder) -> Res<()> {
    let other = || -> Res<(&Tensor, bool)> {
        let pos = node
            .inputs
            .iter()
            .position(|i| i != current)
            .ok_or_else(|| at(node, "needs a constant operand"))?;
        let t = constants
            .get(&node.inputs[pos])
            .ok_or_else(|| at(node, "its other operand is not a constant"))?;
        Ok((t, pos == 0))
    };
    match node.op.as_str() {
        "Relu" => net.relu(),
        "Flatten" | "Reshape" | "Identity" | "Squeeze" | "Unsqueeze" | "Dropout" => {}
        "MatMul" => {
            let (t, constant_first) = other()?;
            let m = matrix(t, node)?;
            // data x (1 x n) @ W (n x m): y = W^T x; W (m x n) @ x (n x 1): y = W x
            let m = if constant_first { m } else { transpose(&m) };
            check_width(node, m.first().map_or(0, Vec::len), net.width())?;
            net.apply(&m, &vec![Q::zero(); m.len()]);
        }
        "Gemm" => gemm(node, current, constants, net)?,
        "Add" | "Sub" | "Mul" | "Div" => {
            let (t, constant_first) = other()?;
            let n = net.width();
            let c = broadcast(t, n, node)?;
            let ones = vec![Q::one(); n];
            let zeros = vec![Q::zero(); n];
            match (node.op.as_str(), constant_first) {
                ("Add", _) => net.scale_shift(&ones, &c),
                ("Sub", false) => net.scale_shift(&ones, &c.iter().map(|v| -v).collect::<Vec<_>>()),
                ("Sub", true) => net.scale_shift(&ones.iter().map(|v| -v).collect::<Vec<_>>(), &c),
                ("Mul", _) => net.scale_shift(&c, &zeros),
                ("Div", false) => {
                    if c.iter().any(Zero::is_zero) {
                        return Err(at(node, "divides by zero"));
                    }
                    net.scale_shift(&c.iter().map(|v| v.recip()).collect::<Vec<_>>(), &zeros)
                }
                _ => return Err(at(node, "dividing a constant by the data is not piecewise linear")),
            }
        }
        "BatchNormalization" => return Err(at(node, "BatchNormalization is not supported yet: fold it into the neighbouring Linear layer before export (in eval mode its scale and shift are constants: W' = diag(gamma / sqrt(var + eps)) W, b' = gamma (b - mean) / sqrt(var + eps) + beta)")),
        _ => return Err(at(node, "unsupported operator (supported: Gemm, MatMul, Add, Sub, Mul, Div, Relu, Flatten, Reshape, Identity, Squeeze, Unsqueeze, Constant)")),
    }
    Ok(())
}

fn gemm(node: &Node, current: &str, constants: &HashMap<String, Tensor>, net: &mut Builder) -> Res<()> {
    if node.inputs.first().map(String::as_str) != Some(current)
        || node.ints.get("transA").copied().unwrap_or(0) != 0
    {
        return Err(at(node, "only Gemm(data, B, C) with transA = 0 is supported"));
    }
    let b = constants
        .get(node.inputs.get(1).ok_or_else(|| at(node, "missing B"))?)
        .ok_or_else(|| at(node, "B is not a constant"))?;
    let alpha = from_f64_exact(node.floats.get("alpha").copied().unwrap_or(1.0).into())
        .ok_or_else(|| at(node, "bad alpha"))?;
    let beta = from_f64_exact(node.floats.get("beta").copied().unwrap_or(1.0).into())
        .ok_or_else(|| at(node, "bad beta"))?;
    let m = matrix(b, node)?;
    // y = alpha * op(B)^T x + beta * C, op(B) = B^T when transB
    let w = if node.ints.get("transB").copied().unwrap_or(0) != 0 { m } else { transpose(&m) };
    let w: Vec<Vec<Q>> = w.into_iter().map(|row| row.into_iter().map(|v| v * &alpha).collect()).collect();
    check_width(node, w.first().map_or(0, Vec::len), net.width())?;
    let c = match node.inputs.get(2).filter(|s| !s.is_empty()) {
        Some(name) => {
            broadcast(constants.get(name).ok_or_else(|| at(node, "C is not a constant"))?, w.len(), node)?
                .into_iter()
                .map(|v| v * &beta)
                .collect()
        }
        None => vec![Q::zero(); w.len()],
    };
    net.apply(&w, &c);
    Ok(())
}

fn check_width(node: &Node, want: usize, have: usize) -> Res<()> {
    if want == have {
        Ok(())
    } else {
        Err(at(node, &format!("weight expects {want} inputs but the data has width {have}")))
    }
}

fn matrix(t: &Tensor, node: &Node) -> Res<Vec<Vec<Q>>> {
    let dims: Vec<usize> = t.dims.iter().copied().filter(|&d| d != 1).collect();
    let (rows, cols) = match (t.dims.len(), dims.as_slice()) {
        (2, _) => (t.dims[0], t.dims[1]),
        (_, [r, c]) => (*r, *c),
        _ => return Err(at(node, &format!("expected a matrix constant, got shape {:?}", t.dims))),
    };
    Ok(t.values.chunks(cols.max(1)).take(rows).map(<[Q]>::to_vec).collect())
}

fn transpose(m: &[Vec<Q>]) -> Vec<Vec<Q>> {
    let cols = m.first().map_or(0, Vec::len);
    (0..cols).map(|j| m.iter().map(|row| row[j].clone()).collect()).collect()
}

fn broadcast(t: &Tensor, n: usize, node: &Node) -> Res<Vec<Q>> {
    match t.values.len() {
        1 => Ok(vec![t.values[0].clone(); n]),
        len if len == n => Ok(t.values.clone()),
        len => Err(at(node, &format!("constant has {len} values, cannot broadcast to width {n}"))),
    }
}
