//! Every axis of an ONNX tensor is an axis: a first axis that is not a batch of 1 is read like
//! the others, by every operator (the reader once dropped it and lost half the inputs). Each
//! case's output is computed by hand in its comment; the graph's declared output decides which
//! nodes are read.

use crate::cli::fixtures::run_cli;
use crate::onnx::writer as onnx;
use crate::regression::onnx_readers::{counted, scratch};
use relu_regions::exact::num::Q;
use relu_regions::network::onnx::read_onnx;

/// The network of `nodes` on the input `x` of `dims`, at the point `x` (row-major), with its
/// input dimension checked.
fn output(nodes: &[Vec<u8>], initializers: &[Vec<u8>], dims: &[u64], x: &[i64]) -> Vec<Q> {
    let net = read_onnx(&onnx::model(nodes, initializers, onnx::input("x", dims)), "axes.onnx").unwrap();
    assert_eq!(net.input_dim() as u64, dims.iter().product::<u64>());
    net.output(&x.iter().map(|&v| Q::from_integer(v.into())).collect::<Vec<_>>())
}

fn ints(v: &[i64]) -> Vec<Q> {
    v.iter().map(|&x| Q::from_integer(x.into())).collect()
}

/// An input of shape `[2, 2]` after a ReLU, summed over every axis: all four values flow on.
/// `sum relu(x_i)` has a different gradient in each of the 16 orthants (the indicator of the
/// positive coordinates): 16 regions, 16 pieces (the first axis was dropped: 4 pieces).
#[test]
fn a_leading_axis_of_two_is_an_axis() {
    let model = onnx::model(
        &[onnx::node("Relu", &["x"], &["h"]), onnx::node("ReduceSum", &["h"], &["y"])],
        &[],
        onnx::input("x", &[2, 2]),
    );
    assert_eq!(counted("sum.onnx", &model, 4).0, 16);
    assert_eq!(counted("sum.onnx", &model, 4).1, 16);
    let net = read_onnx(&model, "sum.onnx").unwrap();
    assert_eq!(net.output(&ints(&[1, -2, 3, -4])), ints(&[4]));
}

/// Gemm and MatMul on a matrix of 2 rows: each row is mapped (`transA` reads the transpose);
/// MatMul either way round and on a stack of matrices.
#[test]
fn gemm_and_matmul_map_every_row() {
    let b = onnx::floats("B", &[3, 2], &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    let c = onnx::floats("C", &[2], &[10.0, 20.0]);
    // x B + C: [1+3, 2+3] + C = [14, 25]; [4+6, 5+6] + C = [20, 31]
    let gemm = onnx::node("Gemm", &["x", "B", "C"], &["y"]);
    assert_eq!(
        output(&[gemm], &[b.clone(), c.clone()], &[2, 3], &[1, 2, 3, 4, 5, 6]),
        ints(&[14, 25, 20, 31])
    );
    let transposed = onnx::node_with("Gemm", &["x", "B", "C"], &["y"], &[onnx::attr_int("transA", 1)]);
    assert_eq!(output(&[transposed], &[b, c], &[3, 2], &[1, 4, 2, 5, 3, 6]), ints(&[14, 25, 20, 31]));
    // x (2 x 3) @ [1, 1, 1]^T: the row sums 6 and 15
    let ones = onnx::floats("W", &[3, 1], &[1.0; 3]);
    let mm = onnx::node("MatMul", &["x", "W"], &["y"]);
    assert_eq!(output(&[mm], &[ones], &[2, 3], &[1, 2, 3, 4, 5, 6]), ints(&[6, 15]));
    // [[1, 1], [0, 1]] @ x (2 x 3): the rows' sum, then the second row
    let w = onnx::floats("W", &[2, 2], &[1.0, 1.0, 0.0, 1.0]);
    let first = onnx::node("MatMul", &["W", "x"], &["y"]);
    assert_eq!(output(&[first], &[w], &[2, 3], &[1, 2, 3, 4, 5, 6]), ints(&[5, 7, 9, 4, 5, 6]));
    // two matrices [[1, 2], [3, 4]] and [[5, 6], [7, 8]] times [1, 2]^T
    let v = onnx::floats("W", &[2, 1], &[1.0, 2.0]);
    let stack = onnx::node("MatMul", &["x", "W"], &["y"]);
    assert_eq!(output(&[stack], &[v], &[2, 2, 2], &[1, 2, 3, 4, 5, 6, 7, 8]), ints(&[5, 11, 17, 23]));
}

/// Flatten's axis decides the matrix a MatMul sees; Transpose may move the first axis; Reshape
/// and Unsqueeze reshape every axis.
#[test]
fn shape_operators_move_the_first_axis_too() {
    let x = [1, 2, 3, 4, 5, 6];
    // Flatten(axis 0): [1, 6] @ [1..6]^T = 1 + 4 + 9 + 16 + 25 + 36
    let w6 = onnx::floats("W", &[6, 1], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let nodes = [
        onnx::node_with("Flatten", &["x"], &["f"], &[onnx::attr_int("axis", 0)]),
        onnx::node("MatMul", &["f", "W"], &["y"]),
    ];
    assert_eq!(output(&nodes, std::slice::from_ref(&w6), &[2, 3], &x), ints(&[91]));
    // Flatten(axis 1) keeps [2, 3], which a [6, 1] weight does not fit: refused
    let nodes = [onnx::node("Flatten", &["x"], &["f"]), onnx::node("MatMul", &["f", "W"], &["y"])];
    let model = onnx::model(&nodes, &[w6], onnx::input("x", &[2, 3]));
    assert!(read_onnx(&model, "flat.onnx").unwrap_err().to_string().contains("MatMul"));
    // Transpose [2, 3] -> [3, 2]
    let t = onnx::node_with("Transpose", &["x"], &["y"], &[onnx::attr_ints("perm", &[1, 0])]);
    assert_eq!(output(&[t], &[], &[2, 3], &x), ints(&[1, 4, 2, 5, 3, 6]));
    // Reshape [2, 3] -> [3, 2], then each row times [1, 10]: 21, 43, 65
    let nodes = [onnx::node("Reshape", &["x", "s"], &["r"]), onnx::node("MatMul", &["r", "W"], &["y"])];
    let inits = [onnx::int64s("s", &[2], &[3, 2]), onnx::floats("W", &[2, 1], &[1.0, 10.0])];
    assert_eq!(output(&nodes, &inits, &[2, 3], &x), ints(&[21, 43, 65]));
    // Unsqueeze at 0: [1, 2, 2], rows times [1, 1]: 3, 7; Squeeze(-1) of [2, 2, 1] back to [2, 2]
    let nodes = [
        onnx::node("Unsqueeze", &["x", "zero"], &["u"]),
        onnx::node("Unsqueeze", &["u", "last"], &["v"]),
        onnx::node("Squeeze", &["v", "last"], &["w"]),
        onnx::node("MatMul", &["w", "W"], &["y"]),
    ];
    let inits = [
        onnx::int64s("zero", &[1], &[0]),
        onnx::int64s("last", &[1], &[-1]),
        onnx::floats("W", &[2, 1], &[1.0, 1.0]),
    ];
    assert_eq!(output(&nodes, &inits, &[2, 2], &[1, 2, 3, 4]), ints(&[3, 7]));
}

/// Concat and Pad along the first axis; Pad's edge and reflect modes; Add with a constant that
/// widens the data (numpy broadcasting: `[1, 2] + [3, 1]` is `[3, 2]`).
#[test]
fn concat_pad_and_broadcasting_on_every_axis() {
    let concat = onnx::node_with("Concat", &["x", "C"], &["y"], &[onnx::attr_int("axis", 0)]);
    let c = onnx::floats("C", &[1, 2], &[9.0, 8.0]);
    assert_eq!(output(&[concat], &[c], &[2, 2], &[1, 2, 3, 4]), ints(&[1, 2, 3, 4, 9, 8]));
    let pad = |pads: &[i64], mode: &str| {
        let attrs = vec![
            onnx::attr_ints("pads", pads),
            onnx::attr_float("value", 5.0),
            onnx::attr_string("mode", mode),
        ];
        output(&[onnx::node_with("Pad", &["x"], &["y"], &attrs)], &[], &[2, 2], &[1, 2, 3, 4])
    };
    assert_eq!(pad(&[1, 0, 0, 0], "constant"), ints(&[5, 5, 1, 2, 3, 4]));
    // np.pad([[1, 2], [3, 4]], ((0, 0), (1, 1)), mode)
    assert_eq!(pad(&[0, 1, 0, 1], "edge"), ints(&[1, 1, 2, 2, 3, 3, 4, 4]));
    assert_eq!(pad(&[0, 1, 0, 1], "reflect"), ints(&[2, 1, 2, 1, 4, 3, 4, 3]));
    assert_eq!(pad(&[0, 1, 0, 1], "wrap"), ints(&[2, 1, 2, 1, 4, 3, 4, 3]));
    let add = onnx::node("Add", &["x", "C"], &["y"]);
    let c = onnx::floats("C", &[3, 1], &[0.0, 10.0, 20.0]);
    assert_eq!(output(&[add], &[c], &[1, 2], &[1, 2]), ints(&[1, 2, 11, 12, 21, 22]));
    // x + x and x - x
    assert_eq!(output(&[onnx::node("Add", &["x", "x"], &["y"])], &[], &[1, 2], &[1, -2]), ints(&[2, -4]));
    assert_eq!(output(&[onnx::node("Sub", &["x", "x"], &["y"])], &[], &[1, 2], &[1, -2]), ints(&[0, 0]));
}

/// Convolution and pooling on a batch of 2 samples: each sample alike. Max pooling of two
/// samples of 2 values makes 2 units of 2 pieces: 4 regions, 4 pieces.
#[test]
fn convolution_and_pooling_map_each_sample() {
    // [1, -1] along each sample: [1 - 2, 2 - 4], [3 - 5, 5 - 9]
    let conv = onnx::node("Conv", &["x", "W"], &["y"]);
    let w = onnx::floats("W", &[1, 1, 2], &[1.0, -1.0]);
    assert_eq!(output(&[conv], &[w], &[2, 1, 3], &[1, 2, 4, 3, 5, 9]), ints(&[-1, -2, -2, -4]));
    let window = [onnx::attr_ints("kernel_shape", &[2]), onnx::attr_ints("strides", &[2])];
    let average = onnx::node_with("AveragePool", &["x"], &["y"], &window);
    assert_eq!(output(&[average], &[], &[2, 1, 4], &[1, 3, 5, 7, 2, 4, 6, 8]), ints(&[2, 6, 3, 7]));
    let max = onnx::model(
        &[onnx::node_with("MaxPool", &["x"], &["y"], &window)],
        &[],
        onnx::input("x", &[2, 1, 2]),
    );
    assert_eq!(counted("maxpool.onnx", &max, 4), (4, 4, 2));
    assert_eq!(read_onnx(&max, "maxpool.onnx").unwrap().output(&ints(&[1, 3, 5, 2])), ints(&[3, 5]));
    // the max over the first axis: max(x00, x10), max(x01, x11)
    let reduce = onnx::model(
        &[onnx::node_with(
            "ReduceMax",
            &["x"],
            &["y"],
            &[onnx::attr_ints("axes", &[0]), onnx::attr_int("keepdims", 0)],
        )],
        &[],
        onnx::input("x", &[2, 2]),
    );
    assert_eq!(counted("reducemax.onnx", &reduce, 4), (4, 4, 2));
    assert_eq!(read_onnx(&reduce, "reducemax.onnx").unwrap().output(&ints(&[1, 5, 3, 2])), ints(&[3, 5]));
}

/// Batch normalisation's channels are axis 1 of `[N, C]`: with scale (4, 3), var (4, 9),
/// epsilon 0, shift (0, 1), mean (1, 0): `2 x - 2` and `x + 1`, on both samples; a trailing
/// Softmax is left out with a note.
#[test]
fn batch_normalisation_reads_channels_on_axis_one() {
    let nodes = [
        onnx::node_with(
            "BatchNormalization",
            &["x", "s", "b", "m", "v"],
            &["n"],
            &[onnx::attr_float("epsilon", 0.0)],
        ),
        onnx::node("Softmax", &["n"], &["y"]),
    ];
    let inits = [
        onnx::floats("s", &[2], &[4.0, 3.0]),
        onnx::floats("b", &[2], &[0.0, 1.0]),
        onnx::floats("m", &[2], &[1.0, 0.0]),
        onnx::floats("v", &[2], &[4.0, 9.0]),
    ];
    assert_eq!(output(&nodes, &inits, &[2, 2], &[1, 2, 3, 4]), ints(&[0, 3, 4, 5]));
    let net = read_onnx(&onnx::model(&nodes, &inits, onnx::input("x", &[2, 2])), "bn.onnx").unwrap();
    assert!(net.notes().iter().any(|n| n.contains("Softmax")), "{:?}", net.notes());
}

/// The graph's declared output decides what is read: a dead branch is left out (it was read
/// and became the output), several outputs and an output that is a constant are refused
/// (exit 2, naming them).
#[test]
fn the_declared_output_is_the_network_output() {
    let nodes = [onnx::node("Relu", &["x"], &["y"]), onnx::node("MatMul", &["x", "W"], &["dead"])];
    let w = onnx::floats("W", &[2, 1], &[1.0, 1.0]);
    let model = onnx::model_with_outputs(&nodes, std::slice::from_ref(&w), onnx::input("x", &[1, 2]), &["y"]);
    let net = read_onnx(&model, "dead.onnx").unwrap();
    assert_eq!(net.output(&ints(&[-1, 2])), ints(&[0, 2]));
    let dir = scratch("outputs");
    let cases = [
        (
            "two.onnx",
            onnx::model_with_outputs(
                &nodes,
                std::slice::from_ref(&w),
                onnx::input("x", &[1, 2]),
                &["y", "dead"],
            ),
            "2 outputs",
        ),
        (
            "constant.onnx",
            onnx::model_with_outputs(&nodes, &[w], onnx::input("x", &[1, 2]), &["W"]),
            "`W` is a constant",
        ),
    ];
    for (name, bytes, message) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = run_cli(&["count", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name) && err.contains(message), "{err}");
    }
}
