//! One test per limit of `network::limits`: a small file that claims a huge size is refused
//! quickly, before anything of that size is allocated, with exit code 2 and a message naming the
//! limit and where the size was set (node, key or line). The adversarial cases: a `Pad` of 10^12
//! values and a `ConvTranspose` with stride 100000 (the reader allocated terabytes and aborted).

use crate::cli::fixtures::run_cli;
use crate::onnx::writer as onnx;
use crate::regression::onnx_readers::scratch;
use relu_regions::network::limits::*;
use std::time::{Duration, Instant};

/// The command line refuses the file `name` (written from `bytes`): exit code 2, every `needle`
/// in the message, within a generous time.
fn refused(name: &str, bytes: &[u8], needles: &[&str]) {
    let path = scratch("limits").join(name);
    std::fs::write(&path, bytes).unwrap();
    refused_path(&path, needles);
}

fn refused_path(path: &std::path::Path, needles: &[&str]) {
    let start = Instant::now();
    let out = run_cli(&["count", path.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: {err}", path.display());
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(err.contains(name), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in {err}");
    }
    assert!(start.elapsed() < Duration::from_secs(60), "{name} took {:?}", start.elapsed());
}

/// A model of `nodes` on an input of `dims`.
fn model(nodes: &[Vec<u8>], initializers: &[Vec<u8>], dims: &[u64]) -> Vec<u8> {
    onnx::model(nodes, initializers, onnx::input("x", dims))
}

/// `ConstantOfShape` making the constant `name` of `dims` (all ones), and its shape initializer.
fn ones(name: &str, dims: &[i64]) -> (Vec<u8>, Vec<u8>) {
    let shape = format!("{name}.shape");
    let value = onnx::attr_tensor("value", onnx::floats("one", &[1], &[1.0]));
    let node = onnx::node_with("ConstantOfShape", &[&shape], &[name], &[value]);
    (node, onnx::int64s(&shape, &[dims.len() as u64], dims))
}

#[test]
fn max_file_bytes() {
    // a sparse file one byte over the limit: refused from its size, before it is read
    let path = scratch("limits").join("huge.json");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_FILE_BYTES + 1).unwrap();
    refused_path(&path, &["MAX_FILE_BYTES"]);
    // external data claiming 2^40 float32 values
    let dir = scratch("limits-external");
    std::fs::write(dir.join("w.bin"), [0u8; 16]).unwrap();
    let bytes = model(
        &[onnx::node("MatMul", &["x", "W"], &["y"])],
        &[onnx::external_tensor("W", &[1 << 20, 1 << 20], 1, "w.bin", 0, 16)],
        &[1, 2],
    );
    let path = dir.join("external.onnx");
    std::fs::write(&path, bytes).unwrap();
    refused_path(&path, &["`W`", "MAX_FILE_BYTES"]);
}

#[test]
fn max_input_dim() {
    refused(
        "wide.onnx",
        &model(&[onnx::node("Relu", &["x"], &["y"])], &[], &[1, 2_000_000]),
        &["MAX_INPUT_DIM", "`x`"],
    );
    let json = r#"{"input_dim": 2000000, "layers": [{"weights": [[1]], "activation": "relu"}]}"#;
    refused("wide.json", json.as_bytes(), &["MAX_INPUT_DIM", "input_dim"]);
    refused("wide.nnet", b"1,2000000,1,2000000,\n2000000,1,\n", &["MAX_INPUT_DIM", "line 1"]);
}

#[test]
fn max_tensor_values() {
    // Pad a [1, 1] input by 2^21 on both axes: (2^21 + 1)^2 values, about 4.4e12
    let pad = onnx::node_with("Pad", &["x"], &["y"], &[onnx::attr_ints("pads", &[1 << 21, 1 << 21, 0, 0])]);
    refused("pad.onnx", &model(&[pad], &[], &[1, 1]), &["Pad_0", "MAX_TENSOR_VALUES"]);
    // ConvTranspose with stride 100000 on 100 values: 9,900,001 outputs
    let up = onnx::node_with("ConvTranspose", &["x", "W"], &["y"], &[onnx::attr_ints("strides", &[100_000])]);
    let w = onnx::floats("W", &[1, 1, 1], &[1.0]);
    refused("upsample.onnx", &model(&[up], &[w], &[1, 1, 100]), &["ConvTranspose_0", "MAX_TENSOR_VALUES"]);
    // a .nnet layer of 5,000,000 neurons
    refused("layer.nnet", b"1,2,5000000,5000000,\n2,5000000,\n", &["MAX_TENSOR_VALUES", "line 2"]);
}

#[test]
fn max_axis() {
    // the adversary's Pad of 10^12 values, and a stride of 2^40
    let pad =
        onnx::node_with("Pad", &["x"], &["y"], &[onnx::attr_ints("pads", &[0, 1_000_000_000_000, 0, 0])]);
    refused("pad12.onnx", &model(&[pad], &[], &[1, 1]), &["Pad_0", "pad 1000000000000", "MAX_AXIS"]);
    let conv = onnx::node_with("Conv", &["x", "W"], &["y"], &[onnx::attr_ints("strides", &[1 << 40])]);
    let w = onnx::floats("W", &[1, 1, 1], &[1.0]);
    refused("stride.onnx", &model(&[conv], &[w], &[1, 1, 4]), &["Conv_0", "`strides`", "MAX_AXIS"]);
    refused(
        "dim.onnx",
        &model(&[onnx::node("Relu", &["x"], &["y"])], &[], &[1, 1 << 40]),
        &["`x`", "MAX_AXIS"],
    );
}

#[test]
fn max_rank() {
    let dims = [1u64; 17];
    refused("rank.onnx", &model(&[onnx::node("Relu", &["x"], &["y"])], &[], &dims), &["MAX_RANK"]);
    let t = onnx::floats("T", &dims, &[1.0]);
    let bytes = model(&[onnx::node("Add", &["x", "T"], &["y"])], &[t], &[1, 1]);
    refused("rank-tensor.onnx", &bytes, &["`T`", "MAX_RANK"]);
}

/// An int64 initializer `name` of `n` zeros in packed varints (one byte a value).
fn zeros(name: &str, n: usize) -> Vec<u8> {
    let mut t = Vec::new();
    onnx::int(1, n as u64, &mut t);
    onnx::int(2, 7, &mut t);
    onnx::bytes(8, name.as_bytes(), &mut t);
    onnx::bytes(7, &vec![0u8; n], &mut t);
    t
}

#[test]
fn max_constant_values() {
    // one initializer of 2^22 + 1 values: counted on the wire, refused before it is decoded
    let t = zeros("T", MAX_CONSTANT_VALUES + 1);
    let bytes = model(&[onnx::node("Add", &["x", "T"], &["y"])], &[t], &[1, 1]);
    refused("initializer.onnx", &bytes, &["`T`", "MAX_CONSTANT_VALUES"]);
    // a Constant node of 2^21 + 1 values with two outputs: read, it would make 2^22 + 2 values
    let mut constant = onnx::node_with("Constant", &[], &["a", "b"], &[]);
    let mut attr = Vec::new();
    onnx::bytes(1, b"value", &mut attr);
    onnx::bytes(5, &zeros("v", (1 << 21) + 1), &mut attr);
    onnx::bytes(5, &attr, &mut constant);
    let bytes = model(&[constant, onnx::node("Add", &["x", "a"], &["y"])], &[], &[1, 1]);
    refused("constant.onnx", &bytes, &["Constant_0", "MAX_CONSTANT_VALUES"]);
    // a .nnet header calling for 3 layers of 2000 x 2000 weights (12 million)
    refused("weights.nnet", b"3,2000,2000,2000,\n2000,2000,2000,2000,\n", &["MAX_CONSTANT_VALUES", "line 2"]);
    // a JSON file of 2^22 + 1 commas, refused before it is parsed
    let mut json = String::from(r#"{"input_dim": 1, "layers": [{"weights": [["#);
    json.push_str(&",".repeat(MAX_CONSTANT_VALUES + 1));
    refused("commas.json", json.as_bytes(), &["MAX_CONSTANT_VALUES"]);
}

#[test]
fn max_folded_values() {
    let (node, shape) = ones("c", &[1 << 21]);
    let bytes = model(&[node, onnx::node("Add", &["x", "c"], &["y"])], &[shape], &[1, 1]);
    refused("fold.onnx", &bytes, &["ConstantOfShape_0", "MAX_FOLDED_VALUES"]);
}

#[test]
fn max_map_terms() {
    // a 3x3 convolution of 16 channels on 16 x 250 x 250 values (a weight of 2,304 values):
    // a million outputs of 144 terms each
    let conv = onnx::node_with("Conv", &["x", "W"], &["y"], &[onnx::attr_ints("pads", &[1, 1, 1, 1])]);
    let w = onnx::floats("W", &[16, 16, 3, 3], &[0.5; 16 * 16 * 9]);
    refused("conv.onnx", &model(&[conv], &[w], &[1, 16, 250, 250]), &["Conv_0", "MAX_MAP_TERMS"]);
}

#[test]
fn max_network_terms() {
    // transposes of a 512 x 512 input: each map is formed from 2^19 terms and rows, and 17 of
    // them pass the reader's total of 2^23
    let nodes: Vec<Vec<u8>> = (0..17)
        .map(|k| {
            let (from, to) = (if k == 0 { "x".to_string() } else { format!("t{k}") }, format!("t{}", k + 1));
            onnx::node_with("Transpose", &[&from], &[&to], &[onnx::attr_ints("perm", &[1, 0])])
        })
        .collect();
    refused("transposes.onnx", &model(&nodes, &[], &[512, 512]), &["Transpose_0", "MAX_NETWORK_TERMS"]);
}

#[test]
fn max_layers() {
    let nodes: Vec<Vec<u8>> = (0..=MAX_LAYERS)
        .map(|k| onnx::node("Relu", &[&format!("t{k}")], &[&format!("t{}", k + 1)]))
        .collect();
    let bytes = onnx::model(&nodes, &[], onnx::input("t0", &[1, 1]));
    refused("deep.onnx", &bytes, &["Relu_0", "MAX_LAYERS"]);
    let layer = r#"{"weights": [[1]], "activation": "relu"}"#;
    let json = format!(r#"{{"input_dim": 1, "layers": [{}]}}"#, vec![layer; MAX_LAYERS + 1].join(","));
    refused("deep.json", json.as_bytes(), &["MAX_LAYERS", "layers"]);
    refused("deep.nnet", format!("{},1,1,1,\n", MAX_LAYERS + 1).as_bytes(), &["MAX_LAYERS", "line 1"]);
}

#[test]
fn max_nodes() {
    let nodes: Vec<Vec<u8>> = (0..=MAX_NODES)
        .map(|k| onnx::node("Identity", &[&format!("t{k}")], &[&format!("t{}", k + 1)]))
        .collect();
    let bytes = onnx::model(&nodes, &[], onnx::input("t0", &[1, 1]));
    refused("nodes.onnx", &bytes, &["MAX_NODES"]);
}

#[test]
fn max_attribute_ints() {
    let pads = vec![0i64; MAX_ATTRIBUTE_INTS + 1];
    let pad = onnx::node_with("Pad", &["x"], &["y"], &[onnx::attr_ints("pads", &pads)]);
    refused("pads.onnx", &model(&[pad], &[], &[1, 1]), &["Pad_0", "`pads`", "MAX_ATTRIBUTE_INTS"]);
    let list = vec!["0"; MAX_ATTRIBUTE_INTS + 1].join(", ");
    let form = format!(
        r#"{{"graph": {{"input": {{"name": "x", "shape": [1, 1]}}, "nodes": [
            {{"op": "Pad", "inputs": ["x"], "outputs": ["y"], "int_lists": {{"pads": [{list}]}}}}]}}}}"#
    );
    refused("pads.json", form.as_bytes(), &["graph.nodes[0].int_lists.pads", "MAX_ATTRIBUTE_INTS"]);
}

/// `convert --to json` of a convolutional network whose layers, written dense, would pass
/// `MAX_CONSTANT_VALUES` (8 channels of 100 x 100 over 10,000 inputs: 800 million weights):
/// refused before the table is made (it exhausted the memory), pointing to the graph form,
/// which converts.
#[test]
fn convert_refuses_a_dense_table_no_reader_takes_back() {
    let conv = onnx::node_with("Conv", &["x", "W"], &["c"], &[onnx::attr_ints("pads", &[1, 1, 1, 1])]);
    let bytes = model(
        &[conv, onnx::node("Relu", &["c"], &["y"])],
        &[onnx::floats("W", &[8, 1, 3, 3], &[0.25; 72])],
        &[1, 1, 100, 100],
    );
    let path = scratch("limits").join("wide-conv.onnx");
    std::fs::write(&path, bytes).unwrap();
    let out = run_cli(&["convert", path.to_str().unwrap(), "--to", "json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("wide-conv.onnx") && err.contains("MAX_CONSTANT_VALUES") && err.contains("json-graph"),
        "{err}"
    );
    let out = run_cli(&["convert", path.to_str().unwrap(), "--to", "json-graph"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
