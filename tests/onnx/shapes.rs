//! Issue 13 (part): shape arithmetic of legacy PyTorch exports (`nn.Unflatten`,
//! `x.view(x.size(0), -1)`) folded to constants: `Shape` of a data tensor, `Slice`, `Gather`,
//! `Concat`, integer `Add`/`Mod`/`Div`, feeding a `Reshape` target.

use crate::onnx::writer as onnx;
use relu_regions::network::onnx::read_onnx;

/// `Gemm` (4 -> 8), then a reshape to `[batch, 2, 2, 2]` whose target is computed from
/// `Shape` as the legacy exporter writes `nn.Unflatten(1, (2, 2, 2))`, ReLU, a 2x2 conv to one
/// channel, and a reshape to `[batch, -1]` computed from `Gather(Shape, 0)`.
pub(crate) fn unflatten_model(divisor: i64) -> Vec<u8> {
    let w = crate::onnx::operators::values(32, 11);
    let k = crate::onnx::operators::values(8, 12);
    onnx::model(
        &[
            onnx::node_with("Gemm", &["x", "W"], &["g"], &[onnx::attr_int("transB", 1)]),
            onnx::node("Mod", &["one", "four"], &["axis"]),
            onnx::node("Shape", &["g"], &["s"]),
            onnx::node("Slice", &["s", "zero", "axis"], &["batch"]),
            onnx::node("Add", &["axis", "one"], &["after"]),
            onnx::node("Slice", &["s", "after", "big"], &["rest"]),
            onnx::node_with("Concat", &["batch", "dims", "rest"], &["target"], &[onnx::attr_int("axis", 0)]),
            onnx::node("Reshape", &["g", "target"], &["u"]),
            onnx::node("Relu", &["u"], &["r"]),
            onnx::node("Conv", &["r", "K"], &["c"]),
            onnx::node("Shape", &["c"], &["cs"]),
            onnx::node_with("Gather", &["cs", "zero_scalar"], &["n"], &[onnx::attr_int("axis", 0)]),
            onnx::node("Div", &["n", "div"], &["n2"]),
            onnx::node("Unsqueeze", &["n2", "zero"], &["n3"]),
            onnx::node_with("Concat", &["n3", "minus_one"], &["flat"], &[onnx::attr_int("axis", 0)]),
            onnx::node("Reshape", &["c", "flat"], &["y"]),
        ],
        &[
            onnx::floats("W", &[8, 4], &w),
            onnx::floats("K", &[1, 2, 2, 2], &k),
            onnx::int64s("one", &[1], &[1]),
            onnx::int64s("four", &[1], &[4]),
            onnx::int64s("zero", &[1], &[0]),
            onnx::int64s("zero_scalar", &[], &[0]),
            onnx::int64s("big", &[1], &[i64::MAX]),
            onnx::int64s("dims", &[3], &[2, 2, 2]),
            onnx::int64s("div", &[], &[divisor]),
            onnx::int64s("minus_one", &[1], &[-1]),
        ],
        onnx::input("x", &[1, 4]),
    )
}

#[test]
fn shape_arithmetic_folds_into_the_reshape_targets() {
    let net = read_onnx(&unflatten_model(1), "unflatten.onnx").unwrap();
    assert_eq!((net.input_dim(), net.hidden_neurons(), net.output_dim()), (4, 8, 1));
    // the output is the conv of the ReLU of the reshaped Gemm, computed directly
    let (w, k) = (crate::onnx::operators::values(32, 11), crate::onnx::operators::values(8, 12));
    for x in crate::onnx::operators::points(4, 10) {
        let g: Vec<_> = (0..8)
            .map(|i| {
                crate::onnx::operators::relu(
                    (0..4).map(|j| crate::onnx::operators::exact(w[i * 4 + j]) * &x[j]).sum(),
                )
            })
            .collect();
        // [2 channels, 2, 2] against the kernel [1, 2, 2, 2]: one output
        let y: relu_regions::exact::num::Q =
            (0..8).map(|t| crate::onnx::operators::exact(k[t]) * &g[t]).sum();
        assert_eq!(net.output(&x), vec![y]);
    }
}

#[test]
fn shape_arithmetic_that_cannot_be_exact_is_refused() {
    // 1 / 2 as integers is 0, as floats 0.5: constants carry no type here, so it is refused
    let err = read_onnx(&unflatten_model(2), "unflatten.onnx").unwrap_err().to_string();
    assert!(err.contains("Div") && err.contains("cannot fold"), "{err}");
}
