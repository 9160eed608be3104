//! Convolutions keep their sparsity: a conv row has kernel-size nonzeros among many inputs, and
//! the enumerator's float filters then work on those coordinates only. The regions, maps and
//! graph are those of the float-free reference, and the independent checker accepts them.

use crate::onnx_writer as onnx;
use crate::support::*;
use relu_regions::lp::Backend;
use relu_regions::network::onnx::read_onnx;
use relu_regions::network::Domain;

#[test]
fn sparse_conv_rows_give_the_float_free_answer() {
    // 1 x 4 x 4 input, two 2x2 kernels with stride 2: 8 ReLUs, each reading 4 of 16 inputs,
    // then a dense read-out through a second ReLU layer
    let model = onnx::model(
        &[
            onnx::node_with(
                "Conv",
                &["x", "W", "B"],
                &["c"],
                &[onnx::attr_ints("kernel_shape", &[2, 2]), onnx::attr_ints("strides", &[2, 2])],
            ),
            onnx::node("Relu", &["c"], &["r"]),
            onnx::node("Flatten", &["r"], &["f"]),
            onnx::node("MatMul", &["f", "G"], &["h"]),
            onnx::node("Relu", &["h"], &["s"]),
            onnx::node("MatMul", &["s", "H"], &["y"]),
        ],
        &[
            onnx::floats("W", &[2, 1, 2, 2], &crate::layers::values(8, 21)),
            onnx::floats("B", &[2], &crate::layers::values(2, 22)),
            onnx::floats("G", &[8, 3], &crate::layers::values(24, 23)),
            onnx::floats("H", &[3, 1], &crate::layers::values(3, 24)),
        ],
        onnx::input("x", &[1, 1, 4, 4]),
    );
    let net = read_onnx(&model, "sparse.onnx").unwrap();
    assert_eq!((net.input_dim(), net.hidden_neurons()), (16, 11));
    let net = net.with_domain(Domain::Box(vec![(r("-3/16"), r("3/16")); 16])).unwrap();
    let fast = analyze_with(&net, Backend::FloatSimplex);
    let reference = analyze_with(&net, Backend::ExactOnly);
    assert!(fast.regions.len() > 8, "{}", fast.regions.len());
    let patterns = |a: &relu_regions::analysis::Analysis| -> Vec<_> {
        a.regions.iter().map(|r| (r.pattern.clone(), r.map.clone())).collect()
    };
    assert_eq!(patterns(&fast), patterns(&reference));
    assert_eq!(fast.graph.graph.edge_count(), reference.graph.graph.edge_count());
    use relu_regions::check::{check_answer, CheckOptions};
    let doc = relu_regions::export::json::regions_document(&net, &fast, None);
    let report = check_answer(&net, &doc, None, CheckOptions { partial: false, threads: 2 });
    assert!(report.failures.is_empty(), "{:?}", report.failures);
}
