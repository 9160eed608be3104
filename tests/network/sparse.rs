//! Convolutions keep their sparsity: a conv row has kernel-size nonzeros among many inputs, and
//! the enumerator's float filters then work on those coordinates only. The regions, maps and
//! graph are those of the float-free reference, and the independent checker accepts them.

use crate::onnx::writer as onnx;
use crate::support::*;
use relu_regions::exact::num::Q;
use relu_regions::network::onnx::read_onnx;
use relu_regions::network::Domain;
use relu_regions::Backend;

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
            onnx::floats("W", &[2, 1, 2, 2], &crate::onnx::operators::values(8, 21)),
            onnx::floats("B", &[2], &crate::onnx::operators::values(2, 22)),
            onnx::floats("G", &[8, 3], &crate::onnx::operators::values(24, 23)),
            onnx::floats("H", &[3, 1], &crate::onnx::operators::values(3, 24)),
        ],
        onnx::input("x", &[1, 1, 4, 4]),
    );
    let net = read_onnx(&model, "sparse.onnx").unwrap();
    assert_eq!((net.input_dim(), net.hidden_neurons()), (16, 11));
    let net = net.with_domain(Domain::Box(vec![(r("-3/16"), r("3/16")); 16])).unwrap();
    let fast = analyze_with(&net, Backend::FloatSimplex);
    let reference = analyze_with(&net, Backend::ExactOnly);
    assert!(fast.regions().len() > 8, "{}", fast.regions().len());
    let patterns = |a: &relu_regions::analysis::Analysis| -> Vec<_> {
        a.regions().iter().map(|r| (r.pattern().clone(), r.map().clone())).collect()
    };
    assert_eq!(patterns(&fast), patterns(&reference));
    assert_eq!(fast.graph().graph().edge_count(), reference.graph().graph().edge_count());
    use relu_regions::check::{check_answer, CheckOptions};
    let doc = relu_regions::export::json::regions_document(&net, &fast, None);
    let report = check_answer(&net, &doc, None, CheckOptions { partial: false, threads: 2 });
    assert!(report.failures.is_empty(), "{:?}", report.failures);
}

/// A wide conv net with max pooling is held by its nonzeros: 64 x 64 inputs, 16 channels of
/// 3x3 kernels (65,536 ReLUs), 2x2 max pooling (65,536 candidates of one entry each; a dense
/// table would hold 4.3 billion weights), and its exact output is the direct computation's.
#[test]
fn a_wide_max_pooling_layer_costs_its_nonzeros() {
    let (side, channels) = (64usize, 16usize);
    let kernels = crate::onnx::operators::values(channels * 9, 31);
    let read_out = crate::onnx::operators::values(channels * 32 * 32, 32);
    let model = onnx::model(
        &[
            onnx::node_with(
                "Conv",
                &["x", "W"],
                &["c"],
                &[onnx::attr_ints("kernel_shape", &[3, 3]), onnx::attr_ints("pads", &[1, 1, 1, 1])],
            ),
            onnx::node("Relu", &["c"], &["r"]),
            onnx::node_with(
                "MaxPool",
                &["r"],
                &["p"],
                &[onnx::attr_ints("kernel_shape", &[2, 2]), onnx::attr_ints("strides", &[2, 2])],
            ),
            onnx::node("Flatten", &["p"], &["f"]),
            onnx::node("MatMul", &["f", "G"], &["y"]),
        ],
        &[
            onnx::floats("W", &[channels as u64, 1, 3, 3], &kernels),
            onnx::floats("G", &[(channels * 32 * 32) as u64, 1], &read_out),
        ],
        onnx::input("x", &[1, 1, side as u64, side as u64]),
    );
    let net = read_onnx(&model, "wide.onnx").unwrap();
    let layers = net.layers();
    assert_eq!(layers.len(), 3);
    let (conv, pool) = (&layers[0].weights, &layers[1].weights);
    assert_eq!((conv.outputs(), conv.inputs()), (channels * side * side, side * side));
    // every 3x3 window inside the image, fewer taps on its border (padding is not an input)
    let taps_per_axis: usize = (0..side).map(|i| 3 - usize::from(i == 0) - usize::from(i == side - 1)).sum();
    assert!(conv.nonzeros() <= channels * taps_per_axis * taps_per_axis);
    assert_eq!(
        (pool.outputs(), pool.inputs(), pool.nonzeros()),
        (channels * side * side, channels * side * side, channels * side * side)
    );
    assert!(pool.rows().all(|row| row.len() == 1));
    // the exact output at a point, against conv, ReLU, pooling and read-out computed here
    let x: Vec<Q> = (0..side * side).map(|i| r(&format!("{}/7", (i * 37) % 11))).collect();
    let exact = |v: f32| relu_regions::exact::num::from_f64_exact(f64::from(v)).unwrap();
    let pixel = |i: isize, j: isize| -> Q {
        if (0..side as isize).contains(&i) && (0..side as isize).contains(&j) {
            x[i as usize * side + j as usize].clone()
        } else {
            Q::default()
        }
    };
    let mut y = Q::default();
    for ch in 0..channels {
        let activation = |i: usize, j: usize| -> Q {
            let mut z = Q::default();
            for (t, w) in kernels[ch * 9..ch * 9 + 9].iter().enumerate() {
                z += exact(*w) * pixel(i as isize + (t / 3) as isize - 1, j as isize + (t % 3) as isize - 1);
            }
            if z > Q::default() {
                z
            } else {
                Q::default()
            }
        };
        for pi in 0..32 {
            for pj in 0..32 {
                let m = (0..4).map(|k| activation(2 * pi + k / 2, 2 * pj + k % 2)).max().unwrap();
                y += m * exact(read_out[ch * 1024 + pi * 32 + pj]);
            }
        }
    }
    assert_eq!(net.output(&x), vec![y]);
}

/// A sparse layer over the wrong number of inputs is refused, naming the layer.
#[test]
fn sparse_layers_are_validated_like_dense_ones() {
    use relu_regions::network::{Activation, Layer, Network, Weights};
    let wide = Layer {
        weights: Weights::sparse(3, vec![vec![(2, r("1"))]]).unwrap(),
        bias: vec![r("0")],
        activation: Activation::Relu,
    };
    let err = Network::new(2, vec![wide], Domain::Whole).unwrap_err().to_string();
    assert!(err.contains("layers[0].weights[0]") && err.contains("expected 2"), "{err}");
    // entries in any order, repeated columns added, zeros dropped
    let messy = Weights::sparse(2, vec![vec![(1, r("1")), (0, r("2")), (1, r("-1")), (0, r("0"))]]).unwrap();
    assert_eq!(messy, Weights::dense(vec![vec![r("2"), r("0")]]).unwrap());
    assert_eq!(messy.nonzeros(), 1);
}
