//! The readers keep every network exactly: regressions for networks an adversarial user built
//! (valid input that was read as another network, or crashed the reader), with the expected
//! counts derived by hand, and the refusals' exit codes.

use crate::cli::fixtures::run_cli;
use crate::onnx::writer as onnx;
use crate::support::*;
use num_traits::Signed;
use relu_regions::network::json::read_network;
use relu_regions::network::onnx::read_onnx;
use relu_regions::network::Network;

/// A fresh directory of this test process.
pub(crate) fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rr-onnx-exact-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `count --json` of a file written to `name` in a scratch directory (the run must succeed).
pub(crate) fn count_file(name: &str, bytes: &[u8], extra: &[&str]) -> serde_json::Value {
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
    assert_eq!((a.regions().len(), a.graph().pieces()), (4, 2));
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
    assert_eq!((a.regions().len(), a.graph().pieces()), (4, 2));
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

/// `(regions, pieces, hidden units)` of a model on the box `[-4, 4]^d`, by the library and the
/// command line (which must agree).
pub(crate) fn counted(name: &str, model: &[u8], d: usize) -> (u64, u64, u64) {
    let boxed = vec!["-4:4"; d].join(",");
    let v = count_file(name, model, &["--box", &boxed]);
    let cli = (
        v["regions"].as_u64().unwrap(),
        v["pieces"].as_u64().unwrap(),
        v["hidden_neurons"].as_u64().unwrap(),
    );
    let net = read_onnx(model, name).unwrap();
    let net = net.with_domain(relu_regions::network::Domain::Box(vec![(r("-4"), r("4")); d])).unwrap();
    let a = run(&net);
    assert_eq!(
        (a.regions().len() as u64, a.graph().pieces() as u64, net.hidden_neurons() as u64),
        cli,
        "{name}"
    );
    cli
}

/// An elementwise operator on the input `x` of shape `[1, 2]` (extra initializers given).
fn on_input(node: Vec<u8>, initializers: &[Vec<u8>]) -> Vec<u8> {
    onnx::model(&[node], initializers, onnx::input("x", &[1, 2]))
}

/// A unit whose pieces coincide is linear and cuts nothing. LeakyRelu with alpha = 1 is the
/// identity: one region, one piece, no hidden unit (it made 4 regions). With alpha = 0 it is
/// the ReLU: the quadrants, 4 regions and 4 pieces (each quadrant its own map).
#[test]
fn leaky_relu_of_slope_one_is_the_identity() {
    let leaky = |alpha: f32| {
        on_input(onnx::node_with("LeakyRelu", &["x"], &["y"], &[onnx::attr_float("alpha", alpha)]), &[])
    };
    assert_eq!(counted("leaky1.onnx", &leaky(1.0), 2), (1, 1, 0));
    let identity = read_onnx(&leaky(1.0), "leaky1.onnx").unwrap();
    assert_eq!(identity.output(&[r("-3"), r("5/2")]), [r("-3"), r("5/2")]);
    assert_eq!(counted("leaky0.onnx", &leaky(0.0), 2), (4, 4, 2));
    let relu = on_input(onnx::node("Relu", &["x"], &["y"]), &[]);
    assert_eq!(read_onnx(&leaky(0.0), "l0").unwrap().layers(), read_onnx(&relu, "r").unwrap().layers());
}

/// PRelu with slopes (1, 1/2): the first value passes on linearly (signed: it rides through the
/// layer of the second as a max unit of equal candidates) and only `y = 0` cuts: 2 regions,
/// 2 pieces; the maps are exact on both sides.
#[test]
fn prelu_with_a_slope_of_one_cuts_only_where_the_others_bend() {
    let model = on_input(onnx::node("PRelu", &["x", "S"], &["y"]), &[onnx::floats("S", &[2], &[1.0, 0.5])]);
    assert_eq!(counted("prelu.onnx", &model, 2).0, 2);
    assert_eq!(counted("prelu.onnx", &model, 2).1, 2);
    let net = read_onnx(&model, "prelu.onnx").unwrap();
    for (x, y) in [(["-3", "-2"], ["-3", "-1"]), (["3", "2"], ["3", "2"]), (["-1/3", "5"], ["-1/3", "5"])] {
        assert_eq!(net.output(&[r(x[0]), r(x[1])]), [r(y[0]), r(y[1])]);
    }
}

/// Clip with min = max is the constant min (one region, one piece, no hidden unit), and with
/// min > max the constant max (`min(max(x, lo), hi) = hi`, as numpy and ONNX's reference; it
/// was refused).
#[test]
fn clip_with_equal_bounds_is_a_constant() {
    for (lo, hi, value) in [(0.5f32, 0.5f32, "1/2"), (1.0, -1.0, "-1")] {
        let model = on_input(
            onnx::node("Clip", &["x", "lo", "hi"], &["y"]),
            &[onnx::floats("lo", &[], &[lo]), onnx::floats("hi", &[], &[hi])],
        );
        assert_eq!(counted("clip.onnx", &model, 2), (1, 1, 0), "clip({lo}, {hi})");
        let net = read_onnx(&model, "clip.onnx").unwrap();
        assert_eq!(net.output(&[r("-3"), r("2")]), [r(value), r(value)]);
    }
}

/// Max units whose candidates are all equal are no units: `Max(h, h)` after a ReLU, and a
/// ReduceMax over two copies of `h`, leave the ReLU's 4 regions, 4 pieces and 2 neurons.
#[test]
fn max_units_of_equal_candidates_cut_nothing() {
    let relu = onnx::node("Relu", &["x"], &["h"]);
    let max =
        onnx::model(&[relu.clone(), onnx::node("Max", &["h", "h"], &["y"])], &[], onnx::input("x", &[1, 2]));
    assert_eq!(counted("max.onnx", &max, 2), (4, 4, 2));
    let reduce = onnx::model(
        &[
            relu,
            onnx::node("Unsqueeze", &["h", "one"], &["u"]),
            onnx::node_with("Concat", &["u", "u"], &["c"], &[onnx::attr_int("axis", 1)]),
            onnx::node_with(
                "ReduceMax",
                &["c"],
                &["y"],
                &[onnx::attr_ints("axes", &[1]), onnx::attr_int("keepdims", 0)],
            ),
        ],
        &[onnx::int64s("one", &[1], &[1])],
        onnx::input("x", &[1, 2]),
    );
    assert_eq!(counted("reduce.onnx", &reduce, 2), (4, 4, 2));
    let net = read_onnx(&reduce, "reduce.onnx").unwrap();
    assert_eq!(net.output(&[r("-1"), r("7/2")]), [r("0"), r("7/2")]);
}
