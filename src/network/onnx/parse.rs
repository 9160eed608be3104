//! The ONNX protobuf messages read into a [`Graph`]: the model's graph, its nodes with their
//! attributes, initializers (inline or external data), inputs and outputs. Every count the file
//! sets is checked before anything of its size is allocated: the nodes ([`MAX_NODES`]), the
//! axes of a shape ([`MAX_RANK`]), an integer list ([`MAX_ATTRIBUTE_INTS`]) and the constants'
//! values in all (a [`Budget`] of `MAX_CONSTANT_VALUES`), counted from the wire before they are
//! decoded.

use super::{External, Graph, Node, Res, Tensor};
use crate::exact::num::{from_f64_exact, q, Q};
use crate::network::limits::{Budget, MAX_ATTRIBUTE_INTS, MAX_FILE_BYTES, MAX_NODES, MAX_RANK};
use crate::network::protobuf::{fixed_chunks, varints, Fields, WireError, WireValue};

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

/// The number of varints in a (packed or single) repeated varint field, without decoding it.
fn varint_count(v: WireValue<'_>) -> usize {
    match v {
        WireValue::Bytes(b) => b.iter().filter(|&&x| x & 0x80 == 0).count(),
        _ => 1,
    }
}

/// The number of fixed-width values in a (packed or single) repeated field.
fn fixed_count(v: WireValue<'_>, width: usize) -> usize {
    match v {
        WireValue::Bytes(b) => b.len() / width,
        _ => 1,
    }
}

pub(super) fn parse_model(data: &[u8], budget: &mut Budget) -> Res<Graph> {
    let mut graph = None;
    for field in Fields::new(data) {
        let (number, value) = field.map_err(|e| wire(e, "ONNX model"))?;
        if number == 7 {
            graph = Some(parse_graph(bytes(value)?, budget)?);
        }
    }
    graph.ok_or_else(|| "not an ONNX model: no graph found".into())
}

fn parse_graph(data: &[u8], budget: &mut Budget) -> Res<Graph> {
    let mut g = Graph::default();
    for field in Fields::new(data) {
        let (number, value) = field.map_err(|e| wire(e, "ONNX graph"))?;
        match number {
            1 => {
                if g.nodes.len() >= MAX_NODES {
                    return Err(format!("the graph has more than {MAX_NODES} nodes (MAX_NODES)"));
                }
                g.nodes.push(parse_node(bytes(value)?, budget)?)
            }
            5 => match parse_tensor(bytes(value)?, budget)? {
                Parsed::Inline(name, t) => {
                    g.constants.insert(name, t);
                }
                Parsed::External(e) => g.external.push(e),
            },
            11 => g.inputs.push(parse_value_info(bytes(value)?)?),
            12 => g.outputs.push(parse_value_info(bytes(value)?)?.0),
            _ => {}
        }
    }
    Ok(g)
}

fn parse_node(data: &[u8], budget: &mut Budget) -> Res<Node> {
    let mut n = Node::default();
    for field in Fields::new(data) {
        let (number, value) = field.map_err(|e| wire(e, "ONNX node"))?;
        match number {
            1 => n.inputs.push(string(value)?),
            2 => n.outputs.push(string(value)?),
            3 => n.name = string(value)?,
            4 => n.op = string(value)?,
            5 => parse_attribute(bytes(value)?, &mut n, budget)
                .map_err(|m| format!("node `{}` (operator {}): {m}", n.name, n.op))?,
            _ => {}
        }
    }
    Ok(n)
}

fn parse_attribute(data: &[u8], node: &mut Node, budget: &mut Budget) -> Res<()> {
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
                tensor = match parse_tensor(bytes(v)?, budget)? {
                    Parsed::Inline(_, t) => Some(t),
                    Parsed::External(e) => {
                        return Err(format!(
                            "attribute tensor `{}` uses external data, which is not supported",
                            e.name
                        ))
                    }
                }
            }
            (8, v) => {
                let list = ints.get_or_insert_with(Vec::new);
                if list.len() + varint_count(v) > MAX_ATTRIBUTE_INTS {
                    return Err(format!(
                        "attribute `{name}` has more than {MAX_ATTRIBUTE_INTS} integers (MAX_ATTRIBUTE_INTS)"
                    ));
                }
                list.extend(varints(v).map_err(|e| wire(e, "ints attribute"))?.into_iter().map(|x| x as i64))
            }
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
            2 => dims = tensor_type_dims(bytes(value)?).map_err(|m| format!("`{name}`: {m}"))?,
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
                if dims.len() >= MAX_RANK {
                    return Err(format!("a shape of more than {MAX_RANK} axes (MAX_RANK)"));
                }
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
pub(super) enum Parsed {
    Inline(String, Tensor),
    External(External),
}

/// The bytes of one element of a data type with raw data (`None`: not supported).
fn element_size(data_type: u64) -> Option<usize> {
    match data_type {
        1 | 6 => Some(4),
        11 | 7 => Some(8),
        10 | 16 => Some(2),
        _ => None,
    }
}

/// A tensor's dims, each a `usize`, at most [`MAX_RANK`] of them.
fn tensor_dims(dims: Vec<u64>, name: &str) -> Res<Vec<usize>> {
    if dims.len() > MAX_RANK {
        return Err(format!("tensor `{name}` has {} axes, more than {MAX_RANK} (MAX_RANK)", dims.len()));
    }
    Ok(dims.into_iter().map(|d| usize::try_from(d).unwrap_or(usize::MAX)).collect())
}

pub(super) fn parse_tensor(data: &[u8], budget: &mut Budget) -> Res<Parsed> {
    // first the name, the type and how many values the fields hold, counted without decoding
    let (mut name, mut data_type, mut count, mut rank) = (String::new(), 0u64, 0usize, 0usize);
    let mut raw_len = None;
    for field in Fields::new(data) {
        let (number, value) = field.map_err(|e| wire(e, "ONNX tensor"))?;
        match number {
            1 => rank += varint_count(value),
            2 => {
                data_type = varints(value).map_err(|e| wire(e, "tensor type"))?.first().copied().unwrap_or(0)
            }
            4 => count += fixed_count(value, 4),
            10 => count += fixed_count(value, 8),
            5 | 7 => count += varint_count(value),
            8 => name = string(value)?,
            9 => raw_len = Some(bytes(value)?.len()),
            _ => {}
        }
    }
    if rank > MAX_RANK {
        return Err(format!("tensor `{name}` has {rank} axes, more than {MAX_RANK} (MAX_RANK)"));
    }
    if let Some(len) = raw_len {
        count += len / element_size(data_type).unwrap_or(1);
    }
    budget.spend(count).map_err(|m| format!("tensor `{name}`: {m}"))?;
    let (mut dims, mut raw) = (Vec::new(), None);
    let mut external: Vec<(String, String)> = Vec::new();
    let mut location_external = false;
    let mut values: Vec<Q> = Vec::new();
    // int32_data: integers, or the bit patterns of float16/bfloat16 values
    let mut int32s: Vec<u64> = Vec::new();
    for field in Fields::new(data) {
        let (number, value) = field.map_err(|e| wire(e, "ONNX tensor"))?;
        match number {
            1 => dims.extend(varints(value).map_err(|e| wire(e, "tensor dims"))?),
            4 => values.extend(floats32(value)?),
            10 => values.extend(floats64(value)?),
            7 => values
                .extend(varints(value).map_err(|e| wire(e, "int64 data"))?.into_iter().map(|v| q(v as i64))),
            5 => int32s.extend(varints(value).map_err(|e| wire(e, "int32 data"))?),
            9 => raw = Some(bytes(value)?),
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
    let dims = tensor_dims(dims, &name)?;
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
        values = decode_raw(raw, data_type, &name)?;
    }
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
/// relative locations inside that directory only, the bytes a tensor's dims call for (counted
/// against the budget, and at most [`MAX_FILE_BYTES`]) read from its offset, nothing more.
pub(super) fn load_external(
    graph: &mut Graph,
    dir: Option<&std::path::Path>,
    budget: &mut Budget,
) -> Res<()> {
    use std::io::{Read, Seek};
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
        let count = e.dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        let size = element_size(e.data_type);
        let wanted = count.zip(size).and_then(|(n, s)| n.checked_mul(s));
        let Some(wanted) = wanted.filter(|&w| w as u64 <= MAX_FILE_BYTES) else {
            return Err(format!(
                "tensor `{}`: shape {:?} of data type {} is not external data this reader takes (at most {MAX_FILE_BYTES} bytes: MAX_FILE_BYTES)",
                e.name, e.dims, e.data_type
            ));
        };
        budget.spend(wanted / size.unwrap_or(1)).map_err(|m| format!("tensor `{}`: {m}", e.name))?;
        if e.length.is_some_and(|len| len != wanted) {
            return Err(format!(
                "tensor `{}`: length {:?} is not the {wanted} bytes of shape {:?}",
                e.name, e.length, e.dims
            ));
        }
        let path = dir.join(relative);
        let cannot =
            |err: std::io::Error| format!("tensor `{}`: cannot read {}: {err}", e.name, path.display());
        let mut file = std::fs::File::open(&path).map_err(cannot)?;
        let file_len = file.metadata().map_err(cannot)?.len();
        if (e.offset as u64).checked_add(wanted as u64).is_none_or(|end| end > file_len) {
            return Err(format!(
                "tensor `{}`: offset {} and length {wanted} lie outside {}",
                e.name,
                e.offset,
                path.display()
            ));
        }
        let mut raw = vec![0u8; wanted];
        file.seek(std::io::SeekFrom::Start(e.offset as u64)).map_err(cannot)?;
        file.read_exact(&mut raw).map_err(cannot)?;
        let values = decode_raw(&raw, e.data_type, &e.name)?;
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
