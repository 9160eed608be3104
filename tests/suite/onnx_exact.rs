//! The readers keep every network exactly: regressions for networks an adversarial user built
//! (valid input that was read as another network, or crashed the reader), with the expected
//! counts derived by hand, and the refusals' exit codes.

use crate::cli::run_cli;
use crate::onnx_writer as onnx;
use crate::support::*;
use relu_regions::network::json::read_network;
use relu_regions::network::onnx::read_onnx;
use relu_regions::network::Network;
use num_traits::Signed;

/// A fresh directory of this test process.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rr-onnx-exact-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `count --json` of a file written to `name` in a scratch directory (the run must succeed).
pub fn count_file(name: &str, bytes: &[u8], extra: &[&str]) -> serde_json::Value {
    let path = scratch("count").join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut args = vec!["count", path.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let out = run_cli(&args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `(regions, pieces)` of a `count --json`.
fn regions_pieces(v: &serde_json::Value) -> (u64, u64) {
    (v["regions"].as_u64().unwrap(), v["pieces"].as_u64().unwrap())
}

/// ReLU on two inputs, then `MatMul` by `[[1], [0]]`: the output is `relu(x)` alone. The two
/// neurons cut R^2 into 4 regions (the quadrants); `relu(x)` is `x` on the right half and 0 on
/// the left, so the 4 regions form 2 pieces. The `MatMul` keeps one value of two: it was taken
/// for the identity and dropped (2 outputs, 4 pieces).
#[test]
fn keeping_one_output_after_a_relu_is_not_the_identity() {
    let model = onnx::model(
        &[onnx::node("Relu", &["x"], &["h"]), onnx::node("MatMul", &["h", "K"], &["y"])],
        &[onnx::floats("K", &[2, 1], &[1.0, 0.0])],
        onnx::input("x", &[1, 2]),
    );
    let net = read_onnx(&model, "keep.onnx").unwrap();
    assert_eq!(net.output_dim(), 1);
    assert_eq!(net.output(&[r("3"), r("5")]), [r("3")]);
    assert_eq!(net.output(&[r("-3"), r("5")]), [r("0")]);
    assert_eq!(regions_pieces(&count_file("keep.onnx", &model, &[])), (4, 2));
    let a = run(&net);
    assert_eq!((a.regions.len(), a.graph.pieces), (4, 2));
}

/// The same loss through the graph form: a dense network whose last layer is `[[1, 0]]` comes
/// back from `convert --to json-graph` with its one output (and the same layers).
#[test]
fn the_graph_form_of_a_last_layer_keeping_one_value_keeps_it() {
    let text = r#"{"input_dim": 2, "layers": [
        {"weights": [[1, 0], [0, 1]], "activation": "relu"},
        {"weights": [[1, 0]], "activation": "linear"}]}"#;
    let original = net(text);
    let path = scratch("graph").join("keep.json");
    std::fs::write(&path, text).unwrap();
    let out = run_cli(&["convert", path.to_str().unwrap(), "--to", "json-graph"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let back: Network = read_network(&String::from_utf8(out.stdout).unwrap(), "keep.graph.json").unwrap();
    assert_eq!(back.output_dim(), 1);
    assert_eq!(back.layers(), original.layers());
    let a = run(&back);
    assert_eq!((a.regions.len(), a.graph.pieces), (4, 2));
}

/// A graph-form network: `Relu(BatchNormalization(x))` on one input with the given variance
/// and epsilon (scale 1, shift 0, mean 0), so `y = relu(x / sqrt(var + eps))`.
fn batch_norm_relu(var: &str, eps: &str) -> String {
    format!(
        r#"{{"graph": {{"input": {{"name": "x", "shape": [1, 1]}},
        "constants": {{"s": {{"dims": [1], "values": ["1"]}}, "b": {{"dims": [1], "values": ["0"]}},
                       "m": {{"dims": [1], "values": ["0"]}}, "v": {{"dims": [1], "values": ["{var}"]}}}},
        "nodes": [{{"op": "BatchNormalization", "inputs": ["x", "s", "b", "m", "v"], "outputs": ["n"],
                    "floats": {{"epsilon": "{eps}"}}}},
                  {{"op": "Relu", "inputs": ["n"], "outputs": ["y"]}}]}}}}"#
    )
}

/// A variance below the float range (`2e-1000`, epsilon 0) has an irrational root: it is
/// rounded, positive (the layer is not mirrored: `y(1) > 0`, `y(-1) = 0`) and within 2^-53 of
/// the true root; one above the range (`2e400`) is read too (it panicked). A variance whose root
/// is rational (`4e-1000`) is exact and carries no note.
#[test]
fn batch_normalisation_roots_far_outside_the_float_range_are_positive() {
    for var in ["2e-1000", "2e400", "3", "4e-1000"] {
        let net = net(&batch_norm_relu(var, "0"));
        let slope = net.output(&[r("1")])[0].clone();
        assert!(slope > r("0"), "var {var}: the layer is mirrored");
        assert_eq!(net.output(&[r("-1")]), [r("0")], "var {var}");
        // slope = 1 / root with |root - sqrt(var)| <= root 2^-53: slope^2 var within 2^-51 of 1
        let err = (&slope * &slope * r(var) - r("1")).abs();
        assert!(err < r("1") / r("2251799813685248"), "var {var}");
        let rational = var == "4e-1000";
        assert_eq!(net.notes().is_empty(), rational, "var {var}: {:?}", net.notes());
        if rational {
            assert_eq!(slope, r("5e499")); // 1 / 2e-500
        }
        // the command line reads it (exit 0) and says so on stderr
        let path = scratch("bn").join(format!("bn-{var}.json"));
        std::fs::write(&path, batch_norm_relu(var, "0")).unwrap();
        let out = run_cli(&["count", path.to_str().unwrap()]);
        assert!(out.status.success(), "var {var}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stderr).contains("53-bit"), !rational, "var {var}");
    }
}
