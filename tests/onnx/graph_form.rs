//! Issue 13 (part): the JSON graph form. `convert --to json-graph` writes an ONNX model's
//! operators with exact parameters; reading it back gives the network the ONNX reader gives
//! (same layers, notes, counts), a layers network goes through `Gemm`/`Relu` nodes, and errors
//! in a hand-written graph name their place.

use crate::cli::fixtures::run_cli;
use crate::onnx::writer as onnx;
use crate::support::*;
use relu_regions::network::json::read_network;
use relu_regions::network::onnx::read_onnx;

/// Conv (padded) -> average pool -> LeakyReLU (a float attribute) -> Flatten -> Gemm (alpha).
pub(crate) fn conv_model() -> Vec<u8> {
    onnx::model(
        &[
            onnx::node_with(
                "Conv",
                &["x", "W", "B"],
                &["c"],
                &[onnx::attr_ints("pads", &[1, 1, 1, 1]), onnx::attr_ints("kernel_shape", &[2, 2])],
            ),
            onnx::node_with(
                "AveragePool",
                &["c"],
                &["p"],
                &[onnx::attr_ints("kernel_shape", &[2, 2]), onnx::attr_ints("strides", &[2, 2])],
            ),
            onnx::node_with("LeakyRelu", &["p"], &["r"], &[onnx::attr_float("alpha", 0.1)]),
            onnx::node("Flatten", &["r"], &["f"]),
            onnx::node_with(
                "Gemm",
                &["f", "G", "C"],
                &["y"],
                &[onnx::attr_int("transB", 1), onnx::attr_float("alpha", 0.5)],
            ),
        ],
        &[
            onnx::floats("W", &[2, 1, 2, 2], &crate::onnx::operators::values(8, 4)),
            onnx::floats("B", &[2], &crate::onnx::operators::values(2, 5)),
            onnx::floats("G", &[2, 8], &crate::onnx::operators::values(16, 6)),
            onnx::floats("C", &[2], &crate::onnx::operators::values(2, 7)),
        ],
        onnx::input("x", &[1, 1, 3, 3]),
    )
}

/// A fresh directory of this test process.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rr-graph-form-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn convert(path: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec!["convert", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = run_cli(&args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_graph_form_of_an_onnx_model_is_the_model() {
    let dir = scratch("onnx");
    let model_path = dir.join("conv.onnx");
    std::fs::write(&model_path, conv_model()).unwrap();
    let from_onnx = read_onnx(&conv_model(), "conv.onnx").unwrap();
    let form = convert(&model_path, &["--to", "json-graph"]);
    let value: serde_json::Value = serde_json::from_str(&form).unwrap();
    // the operators, not dense layers: the kernel keeps its 8 weights
    let ops: Vec<&str> =
        value["graph"]["nodes"].as_array().unwrap().iter().map(|n| n["op"].as_str().unwrap()).collect();
    assert_eq!(ops, ["Conv", "AveragePool", "LeakyRelu", "Flatten", "Gemm"]);
    assert_eq!(value["graph"]["constants"]["W"]["values"].as_array().unwrap().len(), 8);
    // float attributes are exact: float32(0.1) is not 1/10
    assert_eq!(
        value["graph"]["nodes"][2]["floats"]["alpha"],
        relu_regions::exact::num::fmt_q(&crate::onnx::operators::exact(0.1))
    );
    let from_form = read_network(&form, "conv.json").unwrap();
    assert_eq!(from_form.layers(), from_onnx.layers());
    assert_eq!(from_form.input_dim(), 9);
    // the same file both ways: layers form from the graph form equals the ONNX's
    let form_path = dir.join("conv.graph.json");
    std::fs::write(&form_path, &form).unwrap();
    assert_eq!(convert(&form_path, &[]), convert(&model_path, &[]));
    // writing the graph form again changes nothing; a domain given is kept
    assert_eq!(convert(&form_path, &["--to", "json-graph"]), form);
    let boxed = convert(&model_path, &["--to", "json-graph", "--box", &["-1:1"; 9].join(",")]);
    let boxed_net = read_network(&boxed, "boxed.json").unwrap();
    assert_eq!(boxed_net.domain(), &relu_regions::network::Domain::Box(vec![(r("-1"), r("1")); 9]));
    assert_eq!(
        run(&boxed_net).regions().len(),
        run(&from_onnx.with_domain(boxed_net.domain().clone()).unwrap()).regions().len()
    );
}

#[test]
fn a_layers_network_in_the_graph_form_counts_the_same() {
    let seed = fixture("seed.json");
    let form = convert(&seed, &["--to", "json-graph"]);
    let dir = scratch("seed");
    let path = dir.join("seed.graph.json");
    std::fs::write(&path, &form).unwrap();
    let count = |p: &std::path::Path| {
        let out = run_cli(&["count", p.to_str().unwrap(), "--json"]);
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_object_mut().unwrap().remove("provenance");
        v
    };
    assert_eq!(count(&path), count(&seed));
    assert_eq!(
        read_network(&form, "f").unwrap(),
        read_network(&std::fs::read_to_string(&seed).unwrap(), "s").unwrap()
    );
}

#[test]
fn errors_in_the_graph_form_name_their_place() {
    let form = |constants: &str, nodes: &str| {
        format!(
            r#"{{"graph": {{"input": {{"name": "x", "shape": [1, 2]}}, "constants": {constants}, "nodes": {nodes}}}}}"#
        )
    };
    let gemm = r#"[{"op": "Gemm", "inputs": ["x", "W"], "outputs": ["y"], "ints": {"transB": 1}}]"#;
    let good = form(r#"{"W": {"dims": [1, 2], "values": ["1/3", "2"]}}"#, gemm);
    assert_eq!(
        read_network(&good, "g.json").unwrap().layers()[0].weights.to_dense(),
        vec![vec![r("1/3"), r("2")]]
    );
    let bad_value = form(r#"{"W": {"dims": [1, 2], "values": ["1/3", "two"]}}"#, gemm);
    let err = read_network(&bad_value, "g.json").unwrap_err().to_string();
    assert!(err.contains("g.json") && err.contains("graph.constants.W.values[1]"), "{err}");
    let bad_dims = form(r#"{"W": {"dims": [2, 2], "values": ["1", "2"]}}"#, gemm);
    let err = read_network(&bad_dims, "g.json").unwrap_err().to_string();
    assert!(err.contains("graph.constants.W.values") && err.contains("2 values"), "{err}");
    let unknown = form("{}", r#"[{"name": "odd", "op": "Frobnicate", "inputs": ["x"], "outputs": ["y"]}]"#);
    let err = read_network(&unknown, "g.json").unwrap_err().to_string();
    assert!(err.contains("`odd`") && err.contains("Frobnicate"), "{err}");
    let typo = form("{}", r#"[{"op": "Relu", "inputs": ["x"], "outputs": ["y"], "int": {"a": 1}}]"#);
    let err = read_network(&typo, "g.json").unwrap_err().to_string();
    assert!(err.contains("graph.nodes[0]") && err.contains("unknown key `int`"), "{err}");
    // on the command line: exit 2 and the place
    let dir = scratch("errors");
    let path = dir.join("bad.json");
    std::fs::write(&path, bad_value).unwrap();
    let out = run_cli(&["count", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("graph.constants.W.values[1]"));
}
