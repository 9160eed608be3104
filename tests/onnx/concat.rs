//! `Concat` in ONNX graphs: branches of the data path and constants joined along an axis, read
//! exactly and checked against the dense network written by hand.

use crate::onnx::operators::{exact, points, relu, values};
use crate::onnx::writer as onnx;
use crate::support::*;
use relu_regions::exact::num::Q;
use relu_regions::network::onnx::read_onnx;
use relu_regions::network::{Activation, Domain, Layer, Network, Weights};

/// `c = concat(y, W1 y, C)` on a ReLU output `y`, then `relu(c)` and a linear read-out.
pub(crate) fn model(axis: i64) -> Vec<u8> {
    let (w0, w1, g) = (values(6, 41), values(6, 42), values(7, 43));
    onnx::model(
        &[
            onnx::node("MatMul", &["x", "W0"], &["a"]),
            onnx::node("Relu", &["a"], &["y"]),
            onnx::node("MatMul", &["y", "W1"], &["p"]),
            onnx::node_with("Concat", &["y", "p", "C"], &["c"], &[onnx::attr_int("axis", axis)]),
            onnx::node("Relu", &["c"], &["h"]),
            onnx::node("MatMul", &["h", "G"], &["out"]),
        ],
        &[
            onnx::floats("W0", &[2, 3], &w0),
            onnx::floats("W1", &[3, 2], &w1),
            onnx::floats("C", &[1, 2], &[0.5, -0.25]),
            onnx::floats("G", &[7, 1], &g),
        ],
        onnx::input("x", &[1, 2]),
    )
}

/// The same network as dense layers: `y` carried through by identity rows, `W1 y`, the
/// constants as biases.
fn by_hand() -> Network {
    let (w0, w1, g) = (values(6, 41), values(6, 42), values(7, 43));
    let zero = || Q::from_integer(0.into());
    let one = || Q::from_integer(1.into());
    // MatMul (1 x n) @ M (n x m): row j of the layer is column j of M
    let column = |m: &[f32], rows: usize, cols: usize, j: usize| -> Vec<Q> {
        (0..rows).map(|i| exact(m[i * cols + j])).collect()
    };
    let first = Layer {
        weights: Weights::dense((0..3).map(|j| column(&w0, 2, 3, j)).collect()).unwrap(),
        bias: vec![zero(); 3],
        activation: Activation::Relu,
    };
    let mut weights: Vec<Vec<Q>> =
        (0..3).map(|i| (0..3).map(|k| if i == k { one() } else { zero() }).collect()).collect();
    weights.extend((0..2).map(|j| column(&w1, 3, 2, j)));
    weights.extend((0..2).map(|_| vec![zero(); 3]));
    let mut bias = vec![zero(); 5];
    bias.extend([exact(0.5), exact(-0.25)]);
    let second = Layer { weights: Weights::dense(weights).unwrap(), bias, activation: Activation::Relu };
    let out = Layer {
        weights: Weights::dense(vec![column(&g, 7, 1, 0)]).unwrap(),
        bias: vec![zero()],
        activation: Activation::Linear,
    };
    Network::new(2, vec![first, second, out], Domain::Whole).unwrap()
}

#[test]
fn concat_equals_the_dense_network() {
    let net = read_onnx(&model(1), "concat.onnx").unwrap();
    let dense = by_hand();
    for x in points(2, 12) {
        // the same output and the same units' states (y carried, W1 y, the constants)
        assert_eq!(net.evaluate(&x), dense.evaluate(&x));
        let y: Vec<Q> = dense.layers()[0].preactivation(&x).into_iter().map(relu).collect();
        assert_eq!(dense.layers()[1].preactivation(&y)[..3], y[..]);
    }
    let square = Domain::Box(vec![(r("-3"), r("3")), (r("-3"), r("3"))]);
    let (a, b) = (run(&net.with_domain(square.clone()).unwrap()), run(&dense.with_domain(square).unwrap()));
    assert_eq!(a.regions().len(), b.regions().len());
    let maps = |a: &relu_regions::Analysis| {
        let mut m: Vec<String> = a.regions().iter().map(|r| format!("{:?}", r.map())).collect();
        m.sort();
        m
    };
    assert_eq!(maps(&a), maps(&b));
    // axis -1 is the same axis for these rank-2 tensors
    assert_eq!(read_onnx(&model(-1), "concat.onnx").unwrap().layers(), net.layers());
}

/// Along axis 0 the parts `[1, 3]`, `[1, 2]` and `[1, 2]` differ on axis 1: refused, naming
/// the shapes (the first axis is an axis like the others, so the refusal is about the shapes).
#[test]
fn concat_of_shapes_that_differ_off_the_axis_is_refused() {
    let e = read_onnx(&model(0), "axis0.onnx").unwrap_err().to_string();
    assert!(e.starts_with("axis0.onnx") && e.contains("Concat") && e.contains("axis 0"), "{e}");
    assert!(e.contains("[1, 3]") && e.contains("[1, 2]"), "{e}");
}
