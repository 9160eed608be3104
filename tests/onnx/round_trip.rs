//! The graph form round trip: `convert --to json-graph`, read back, is exactly the network
//! converted, for every ONNX model of the fixtures and of the tests (a zoo covering every
//! supported operator, shapes with a first axis other than 1, notes, declared outputs, external
//! data), and for every `layers` network of the fixtures: the same layers, notes and domain,
//! and the same outputs at random rational points; converting the form again changes nothing.

use crate::cli::fixtures::run_cli;
use crate::onnx::writer as onnx;
use crate::regression::onnx_readers::scratch;
use relu_regions::exact::num::Q;
use relu_regions::network::json::read_network;
use relu_regions::network::{load, nnet::Coords, Activation, Network};

/// `n` points of dimension `d` with small rational coordinates (sevenths and thirds, signed).
fn points(d: usize, n: usize, seed: u64) -> Vec<Vec<Q>> {
    let mut s = seed;
    let mut next = || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 33) as i64
    };
    (0..n)
        .map(|_| {
            (0..d)
                .map(|_| Q::new((next() % 41 - 20).into(), [7, 3, 1][(next() % 3) as usize].into()))
                .collect()
        })
        .collect()
}

/// `convert PATH --to json-graph` (with `extra` arguments), which must succeed.
fn graph_form(path: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec!["convert", path.to_str().unwrap(), "--to", "json-graph"];
    args.extend_from_slice(extra);
    let out = run_cli(&args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The network of `path` comes back from its graph form: the same network (`exact`: layers,
/// notes, domain; otherwise the same shape and, for a `layers` network with linear hidden
/// layers, which the form's builder composes, the same hidden units), the same outputs at
/// random rational points, and the form written again is the same text.
fn assert_round_trip(path: &std::path::Path, extra: &[&str], exact: bool) {
    let name = path.display().to_string();
    let original = load(path, None, Coords::Raw).unwrap_or_else(|e| panic!("{name}: {e}"));
    let original = match extra {
        ["--box", b] => original
            .with_domain(relu_regions::network::json::parse_box(b, original.input_dim()).unwrap())
            .unwrap(),
        _ => original,
    };
    let form = graph_form(path, extra);
    let back: Network = read_network(&form, "form.json").unwrap_or_else(|e| panic!("{name}: {e}"));
    if exact {
        assert_eq!(back, original, "{name}");
    } else {
        assert_eq!(
            (back.input_dim(), back.output_dim()),
            (original.input_dim(), original.output_dim()),
            "{name}"
        );
        assert_eq!((back.domain(), back.notes()), (original.domain(), original.notes()), "{name}");
        assert_eq!(back.hidden_neurons(), original.hidden_neurons(), "{name}");
    }
    for x in points(original.input_dim(), 8, 7) {
        assert_eq!(back.output(&x), original.output(&x), "{name} at {x:?}");
        assert_eq!(back.evaluate(&x).0, original.evaluate(&x).0, "{name}: the pattern at {x:?}");
    }
    let file = path.file_name().unwrap().to_str().unwrap();
    let again = scratch("round-trip").join(format!("{file}.again.json"));
    std::fs::write(&again, &form).unwrap();
    assert_eq!(graph_form(&again, &[]), form, "{name}: the form written again");
}

/// A model of `nodes` on the input `x` of `dims`.
fn m(nodes: &[Vec<u8>], inits: &[Vec<u8>], dims: &[u64]) -> Vec<u8> {
    onnx::model(nodes, inits, onnx::input("x", dims))
}

fn w(name: &str, dims: &[u64], seed: u64) -> Vec<u8> {
    onnx::floats(name, dims, &crate::onnx::operators::values(dims.iter().product::<u64>() as usize, seed))
}

fn n(op: &str, inputs: &[&str], out: &str) -> Vec<u8> {
    onnx::node(op, inputs, &[out])
}

fn na(op: &str, inputs: &[&str], out: &str, attrs: &[Vec<u8>]) -> Vec<u8> {
    onnx::node_with(op, inputs, &[out], attrs)
}

/// Models covering every supported operator, with first axes other than 1.
fn zoo() -> Vec<(&'static str, Vec<u8>)> {
    let ints = onnx::attr_ints;
    let int = onnx::attr_int;
    let (pool2d, pool1d) = crate::onnx::maxunits::pool_models();
    vec![
        ("conv.onnx", crate::onnx::graph_form::conv_model()),
        ("concat.onnx", crate::onnx::concat::model(1)),
        ("maxmin.onnx", crate::onnx::minmax::model(("Max", "Min"))),
        ("unflatten.onnx", crate::onnx::shapes::unflatten_model(1)),
        ("batchnorm-noted.onnx", crate::onnx::operators::batch_norm_model(&[1.0, 0.0])),
        ("pool2d.onnx", pool2d),
        ("pool1d.onnx", pool1d),
        (
            "gemm.onnx",
            m(
                &[
                    na("Gemm", &["x", "B", "C"], "g", &[int("transB", 1), onnx::attr_float("alpha", 0.5)]),
                    n("Relu", &["g"], "r"),
                    na("ReduceSum", &["r", "axes"], "y", &[int("keepdims", 0)]),
                ],
                &[w("B", &[4, 3], 1), w("C", &[1, 4], 2), onnx::int64s("axes", &[1], &[1])],
                &[2, 3],
            ),
        ),
        (
            "gemm-transa.onnx",
            m(
                &[na("Gemm", &["x", "B"], "g", &[int("transA", 1)]), n("Relu", &["g"], "y")],
                &[w("B", &[3, 2], 3)],
                &[3, 2],
            ),
        ),
        (
            "matmul-stack.onnx",
            m(
                &[n("MatMul", &["x", "W"], "a"), n("Relu", &["a"], "r"), n("MatMul", &["V", "r"], "y")],
                &[w("W", &[3, 2], 4), w("V", &[1, 2], 5)],
                &[2, 2, 3],
            ),
        ),
        (
            "conv-batch.onnx",
            m(
                &[
                    na(
                        "Conv",
                        &["x", "W", "B"],
                        "c",
                        &[int("group", 2), ints("pads", &[1, 0]), ints("strides", &[2])],
                    ),
                    n("Relu", &["c"], "r"),
                    na("MaxPool", &["r"], "p", &[ints("kernel_shape", &[2])]),
                    na("Flatten", &["p"], "f", &[int("axis", 0)]),
                    na("Gemm", &["f", "G"], "y", &[int("transB", 1)]),
                ],
                &[w("W", &[4, 1, 3], 6), w("B", &[4], 7), w("G", &[2, 8], 8)],
                &[2, 2, 5],
            ),
        ),
        (
            "conv-same.onnx",
            m(
                &[
                    na(
                        "Conv",
                        &["x", "W"],
                        "c",
                        &[onnx::attr_string("auto_pad", "SAME_UPPER"), ints("strides", &[2, 1])],
                    ),
                    n("Relu", &["c"], "r"),
                    na(
                        "AveragePool",
                        &["r"],
                        "a",
                        &[
                            ints("kernel_shape", &[1, 2]),
                            int("count_include_pad", 1),
                            ints("pads", &[0, 1, 0, 0]),
                        ],
                    ),
                    n("GlobalMaxPool", &["a"], "y"),
                ],
                &[w("W", &[2, 2, 2, 2], 9)],
                &[1, 2, 3, 3],
            ),
        ),
        (
            "conv-transpose.onnx",
            m(
                &[
                    na(
                        "ConvTranspose",
                        &["x", "W", "B"],
                        "c",
                        &[ints("strides", &[2]), ints("output_padding", &[1])],
                    ),
                    n("Relu", &["c"], "r"),
                    n("GlobalAveragePool", &["r"], "y"),
                ],
                &[w("W", &[1, 2, 2], 10), w("B", &[2], 11)],
                &[2, 1, 3],
            ),
        ),
        (
            "pads.onnx",
            m(
                &[
                    na("Pad", &["x", "P"], "e", &[onnx::attr_string("mode", "edge")]),
                    na("Pad", &["e", "Q", "V"], "c", &[]),
                    na("Pad", &["c", "R"], "f", &[onnx::attr_string("mode", "reflect")]),
                    na("Transpose", &["f"], "t", &[ints("perm", &[1, 0])]),
                    n("Relu", &["t"], "y"),
                ],
                &[
                    onnx::int64s("P", &[4], &[1, 0, 0, 1]),
                    onnx::int64s("Q", &[4], &[0, 2, 1, 0]),
                    onnx::floats("V", &[], &[0.5]),
                    onnx::int64s("R", &[4], &[0, 1, 0, 1]),
                ],
                &[2, 3],
            ),
        ),
        (
            "concat-axis0.onnx",
            m(
                &[
                    n("Relu", &["x"], "r"),
                    na("Concat", &["x", "r", "C"], "c", &[int("axis", 0)]),
                    n("Relu", &["c"], "y"),
                ],
                &[w("C", &[1, 3], 12)],
                &[2, 3],
            ),
        ),
        (
            "reductions.onnx",
            m(
                &[
                    n("Relu", &["x"], "r"),
                    na("ReduceMean", &["r"], "a", &[ints("axes", &[2])]),
                    na("ReduceMax", &["a"], "b", &[ints("axes", &[0]), int("keepdims", 0)]),
                    na("ReduceMin", &["x"], "c", &[ints("axes", &[0, 2]), int("keepdims", 0)]),
                    n("Add", &["b", "c"], "y"),
                ],
                &[],
                &[2, 3, 2],
            ),
        ),
        (
            "batchnorm.onnx",
            m(
                &[na("BatchNormalization", &["x", "S", "B", "M", "V"], "n", &[]), n("Relu", &["n"], "y")],
                &[
                    w("S", &[3], 13),
                    w("B", &[3], 14),
                    w("M", &[3], 15),
                    onnx::floats("V", &[3], &[1.0, 0.5, 2.0]),
                ],
                &[2, 3],
            ),
        ),
        (
            "activations.onnx",
            m(
                &[
                    na("LeakyRelu", &["x"], "l", &[onnx::attr_float("alpha", 0.1)]),
                    n("PRelu", &["l", "S"], "p"),
                    n("Clip", &["p", "lo", "hi"], "c"),
                    n("Abs", &["c"], "a"),
                    n("Max", &["a", "K"], "mx"),
                    n("Min", &["mx", "L"], "y"),
                ],
                &[
                    onnx::floats("S", &[4], &[1.0, 0.5, 2.0, 0.0]),
                    onnx::floats("lo", &[], &[-1.0]),
                    onnx::floats("hi", &[], &[1.5]),
                    onnx::floats("K", &[4], &[0.25, 0.0, 0.5, 0.125]),
                    onnx::floats("L", &[1], &[1.25]),
                ],
                &[1, 4],
            ),
        ),
        (
            "signed-residual.onnx",
            m(
                &[
                    n("MatMul", &["x", "W"], "a"),
                    n("Relu", &["a"], "r"),
                    n("MatMul", &["r", "V"], "b"),
                    n("Add", &["b", "x"], "s"),
                    n("Relu", &["s"], "t"),
                    n("Max", &["t", "a"], "y"),
                ],
                &[w("W", &[2, 2], 16), w("V", &[2, 2], 17)],
                &[2, 2],
            ),
        ),
        (
            "folds.onnx",
            m(
                &[
                    n("Shape", &["x"], "s"),
                    na("Gather", &["s", "zero"], "first", &[int("axis", 0)]),
                    n("Unsqueeze", &["first", "zero1"], "f1"),
                    onnx::node_with("Constant", &[], &["rest"], &[ints("value_ints", &[-1])]),
                    na("Concat", &["f1", "rest"], "target", &[int("axis", 0)]),
                    n("Cast", &["target"], "t"),
                    n("Relu", &["x"], "r"),
                    n("Reshape", &["r", "t"], "y"),
                ],
                &[onnx::int64s("zero", &[], &[0]), onnx::int64s("zero1", &[1], &[0])],
                &[2, 2, 2],
            ),
        ),
        (
            "outputs.onnx",
            onnx::model_with_outputs(
                &[n("Relu", &["x"], "y"), n("MatMul", &["x", "W"], "dead")],
                &[w("W", &[3, 1], 18)],
                onnx::input("x", &[1, 3]),
                &["y"],
            ),
        ),
        (
            "softmax-tail.onnx",
            m(
                &[n("Relu", &["x"], "r"), n("MatMul", &["r", "W"], "z"), n("Softmax", &["z"], "y")],
                &[w("W", &[3, 2], 19)],
                &[1, 3],
            ),
        ),
        (
            "squeeze.onnx",
            m(
                &[
                    n("Unsqueeze", &["x", "last"], "u"),
                    n("Squeeze", &["u", "last"], "s"),
                    n("Identity", &["s"], "i"),
                    n("Dropout", &["i"], "d"),
                    n("Relu", &["d"], "y"),
                ],
                &[onnx::int64s("last", &[1], &[-1])],
                &[2, 3],
            ),
        ),
        (
            "widen.onnx",
            m(
                &[n("Add", &["x", "C"], "a"), n("Relu", &["a"], "r"), n("ReduceSum", &["r"], "y")],
                &[w("C", &[3, 1], 20)],
                &[1, 2],
            ),
        ),
        (
            "keep-one.onnx",
            m(
                &[n("Relu", &["x"], "h"), n("MatMul", &["h", "K"], "y")],
                &[onnx::floats("K", &[2, 1], &[1.0, 0.0])],
                &[1, 2],
            ),
        ),
        (
            "identity.onnx",
            m(&[na("LeakyRelu", &["x"], "y", &[onnx::attr_float("alpha", 1.0)])], &[], &[1, 2]),
        ),
    ]
}

/// Every generated model and the bundled ONNX fixtures, exactly; ACAS Xu also with a box.
#[test]
fn onnx_models_come_back_from_the_graph_form() {
    let dir = scratch("round-trip-onnx");
    let zoo = zoo();
    let mut noted = 0;
    for (name, bytes) in &zoo {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        assert_round_trip(&path, &[], true);
        noted += usize::from(!load(&path, None, Coords::Raw).unwrap().notes().is_empty());
    }
    assert!(noted >= 2, "the zoo has models with notes");
    // the zoo makes every kind of layer
    let kinds: Vec<Activation> = zoo
        .iter()
        .flat_map(|(name, _)| {
            load(&dir.join(name), None, Coords::Raw)
                .unwrap()
                .layers()
                .iter()
                .map(|l| l.activation)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(kinds.contains(&Activation::Relu) && kinds.contains(&Activation::Max(2)));
    let fixtures = std::fs::read_dir(crate::support::fixture("onnx")).unwrap();
    let mut seen = 0;
    for entry in fixtures {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "onnx") {
            assert_round_trip(&path, &[], true);
            seen += 1;
        }
    }
    assert!(seen >= 1);
    let acas = crate::support::fixture("onnx/ACASXU_run2a_1_1_batch_2000.onnx");
    assert_round_trip(&acas, &["--box", "-1:1,-1:1,-1:1,-1:1,-1:1"], true);
}

/// A model whose weights lie in an external data file: the form holds them inline.
#[test]
fn an_onnx_model_with_external_data_comes_back() {
    let dir = scratch("round-trip-external");
    let values = crate::onnx::operators::values(6, 21);
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(dir.join("w.bin"), &raw).unwrap();
    let model = onnx::model(
        &[n("MatMul", &["x", "W"], "h"), n("Relu", &["h"], "y")],
        &[onnx::external_tensor("W", &[2, 3], 1, "w.bin", 0, raw.len())],
        onnx::input("x", &[1, 2]),
    );
    let path = dir.join("external.onnx");
    std::fs::write(&path, model).unwrap();
    assert_round_trip(&path, &[], true);
}

/// Every `layers` network and `.nnet` of the fixtures (domains and notes kept): exactly when
/// its hidden layers all have states; with hidden linear layers, which the form's builder
/// composes into the next layer, the same function and hidden units.
#[test]
fn layers_networks_come_back_from_the_graph_form() {
    let mut paths = Vec::new();
    for dir in ["", "bench", "issue-11", "nnet"] {
        for entry in std::fs::read_dir(crate::support::fixture(dir)).unwrap() {
            let path = entry.unwrap().path();
            let network = path.extension().is_some_and(|e| e == "nnet" || e == "json");
            if network && !path.to_str().unwrap().contains("expected") {
                paths.push(path);
            }
        }
    }
    assert!(paths.len() >= 15, "{paths:?}");
    for path in &paths {
        let net = load(path, None, Coords::Raw).unwrap();
        let hidden = &net.layers()[..net.layers().len() - 1];
        let exact = hidden.iter().all(|l| l.activation.has_states());
        assert_round_trip(path, &[], exact);
    }
    // a network with notes and a hidden linear layer
    let text = r#"{"input_dim": 2, "notes": ["a note kept"], "layers": [
        {"weights": [[1, 2], [3, 4]], "bias": ["1/3", 0], "activation": "linear"},
        {"weights": [[1, -1], [0, 1]], "activation": "relu"},
        {"weights": [[1, 1]], "activation": "linear"}]}"#;
    let path = scratch("round-trip-layers").join("noted.json");
    std::fs::write(&path, text).unwrap();
    assert_eq!(load(&path, None, Coords::Raw).unwrap().notes(), ["a note kept"]);
    assert_round_trip(&path, &[], false);
}
