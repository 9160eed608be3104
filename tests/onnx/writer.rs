//! A minimal ONNX writer for the tests: protobuf fields by hand (ModelProto, GraphProto,
//! NodeProto with attributes, TensorProto, ValueInfoProto).

pub(crate) fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub(crate) fn bytes(field: u64, data: &[u8], out: &mut Vec<u8>) {
    varint(field << 3 | 2, out);
    varint(data.len() as u64, out);
    out.extend_from_slice(data);
}

pub(crate) fn int(field: u64, v: u64, out: &mut Vec<u8>) {
    varint(field << 3, out);
    varint(v, out);
}

/// TensorProto with raw data.
pub(crate) fn tensor(name: &str, dims: &[u64], data_type: u64, raw: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    for &d in dims {
        int(1, d, &mut t);
    }
    int(2, data_type, &mut t);
    bytes(8, name.as_bytes(), &mut t);
    bytes(9, raw, &mut t);
    t
}

/// NodeProto.
pub(crate) fn node(op: &str, inputs: &[&str], outputs: &[&str]) -> Vec<u8> {
    let mut n = Vec::new();
    for i in inputs {
        bytes(1, i.as_bytes(), &mut n);
    }
    for o in outputs {
        bytes(2, o.as_bytes(), &mut n);
    }
    bytes(3, format!("{op}_0").as_bytes(), &mut n);
    bytes(4, op.as_bytes(), &mut n);
    n
}

/// ValueInfoProto of a float tensor with fixed dims.
pub(crate) fn input(name: &str, dims: &[u64]) -> Vec<u8> {
    let mut shape = Vec::new();
    for &d in dims {
        let mut dim = Vec::new();
        int(1, d, &mut dim);
        bytes(1, &dim, &mut shape);
    }
    let mut tensor_type = Vec::new();
    int(1, 1, &mut tensor_type);
    bytes(2, &shape, &mut tensor_type);
    let mut type_proto = Vec::new();
    bytes(1, &tensor_type, &mut type_proto);
    let mut v = Vec::new();
    bytes(1, name.as_bytes(), &mut v);
    bytes(2, &type_proto, &mut v);
    v
}

/// ModelProto around a graph of nodes, initializers and one input.
pub(crate) fn model(nodes: &[Vec<u8>], initializers: &[Vec<u8>], input: Vec<u8>) -> Vec<u8> {
    let mut g = Vec::new();
    for n in nodes {
        bytes(1, n, &mut g);
    }
    for t in initializers {
        bytes(5, t, &mut g);
    }
    bytes(11, &input, &mut g);
    let mut m = Vec::new();
    int(1, 8, &mut m);
    bytes(7, &g, &mut m);
    m
}

/// NodeProto with attributes (each from [`attr_ints`], [`attr_int`], [`attr_float`]).
pub(crate) fn node_with(op: &str, inputs: &[&str], outputs: &[&str], attributes: &[Vec<u8>]) -> Vec<u8> {
    let mut n = node(op, inputs, outputs);
    for a in attributes {
        bytes(5, a, &mut n);
    }
    n
}

/// AttributeProto of a list of integers.
pub(crate) fn attr_ints(name: &str, values: &[i64]) -> Vec<u8> {
    let mut a = Vec::new();
    bytes(1, name.as_bytes(), &mut a);
    for &v in values {
        int(8, v as u64, &mut a);
    }
    int(20, 7, &mut a);
    a
}

/// AttributeProto of one integer.
pub(crate) fn attr_int(name: &str, value: i64) -> Vec<u8> {
    let mut a = Vec::new();
    bytes(1, name.as_bytes(), &mut a);
    int(3, value as u64, &mut a);
    int(20, 2, &mut a);
    a
}

/// AttributeProto of one float.
pub(crate) fn attr_float(name: &str, value: f32) -> Vec<u8> {
    let mut a = Vec::new();
    bytes(1, name.as_bytes(), &mut a);
    varint(2 << 3 | 5, &mut a);
    a.extend_from_slice(&value.to_bits().to_le_bytes());
    int(20, 1, &mut a);
    a
}

/// A float32 tensor.
pub(crate) fn floats(name: &str, dims: &[u64], values: &[f32]) -> Vec<u8> {
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    tensor(name, dims, 1, &raw)
}

/// An int64 tensor.
pub(crate) fn int64s(name: &str, dims: &[u64], values: &[i64]) -> Vec<u8> {
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    tensor(name, dims, 7, &raw)
}

/// A TensorProto whose data lies in an external file (`location`, `offset`, `length`).
pub(crate) fn external_tensor(
    name: &str,
    dims: &[u64],
    data_type: u64,
    location: &str,
    offset: usize,
    length: usize,
) -> Vec<u8> {
    let mut t = Vec::new();
    for &d in dims {
        int(1, d, &mut t);
    }
    int(2, data_type, &mut t);
    bytes(8, name.as_bytes(), &mut t);
    for (k, v) in
        [("location", location.to_string()), ("offset", offset.to_string()), ("length", length.to_string())]
    {
        let mut entry = Vec::new();
        bytes(1, k.as_bytes(), &mut entry);
        bytes(2, v.as_bytes(), &mut entry);
        bytes(13, &entry, &mut t);
    }
    int(14, 1, &mut t);
    t
}

/// ModelProto like [`model`], with the graph's declared outputs (ValueInfoProto by name).
pub(crate) fn model_with_outputs(
    nodes: &[Vec<u8>],
    initializers: &[Vec<u8>],
    input: Vec<u8>,
    outputs: &[&str],
) -> Vec<u8> {
    let mut g = Vec::new();
    for n in nodes {
        bytes(1, n, &mut g);
    }
    for t in initializers {
        bytes(5, t, &mut g);
    }
    bytes(11, &input, &mut g);
    for o in outputs {
        let mut v = Vec::new();
        bytes(1, o.as_bytes(), &mut v);
        bytes(12, &v, &mut g);
    }
    let mut m = Vec::new();
    int(1, 8, &mut m);
    bytes(7, &g, &mut m);
    m
}

/// AttributeProto of one tensor (e.g. `ConstantOfShape`'s `value`).
pub(crate) fn attr_tensor(name: &str, tensor: Vec<u8>) -> Vec<u8> {
    let mut a = Vec::new();
    bytes(1, name.as_bytes(), &mut a);
    bytes(5, &tensor, &mut a);
    int(20, 4, &mut a);
    a
}

/// AttributeProto of a string (e.g. `Pad`'s `mode`).
pub(crate) fn attr_string(name: &str, value: &str) -> Vec<u8> {
    let mut a = Vec::new();
    bytes(1, name.as_bytes(), &mut a);
    bytes(4, value.as_bytes(), &mut a);
    int(20, 3, &mut a);
    a
}
