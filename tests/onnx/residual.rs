//! Issue 13 (part): residual blocks whose skip is a ReLU output or a tensor that may be
//! negative, and the affine reductions `ReduceMean`/`ReduceSum`, against exact references.

use crate::onnx::operators::{exact, points, relu, values};
use crate::onnx::writer as onnx;
use crate::support::*;
use relu_regions::exact::num::Q;
use relu_regions::network::onnx::read_onnx;
use relu_regions::network::{Activation, Domain};

/// A residual block `relu(y + W2 relu(W1 y + b1))` on a ReLU output `y`: the skip rides through
/// the inner layer as ReLU neurons on nonnegative values, which never cut a region. The same
/// block on the preactivation `a` (which may be negative): the inner layer becomes max units of
/// two pieces (`max(0, h)`, and `max(a, a)` for the skip, which never cuts). For both, the
/// maps are exact, every pattern sampled on a fine grid is a region's (its real units' states),
/// no two regions share those states, and the checker accepts the answer.
#[test]
fn residual_blocks_on_relu_outputs_and_on_signed_tensors() {
    let (w0, w1, b1, w2, g) = (values(8, 21), values(16, 22), values(4, 23), values(16, 24), values(4, 25));
    let model = |skip_from: &str| {
        onnx::model(
            &[
                onnx::node("MatMul", &["x", "W0"], &["a"]),
                onnx::node("Relu", &["a"], &["y"]),
                onnx::node("MatMul", &["y", "W1"], &["p"]),
                onnx::node("Add", &["p", "B1"], &["q"]),
                onnx::node("Relu", &["q"], &["h"]),
                onnx::node("MatMul", &["h", "W2"], &["z"]),
                onnx::node("Add", &[skip_from, "z"], &["s"]),
                onnx::node("Relu", &["s"], &["t"]),
                onnx::node("MatMul", &["t", "G"], &["out"]),
            ],
            &[
                onnx::floats("W0", &[2, 4], &w0),
                onnx::floats("W1", &[4, 4], &w1),
                onnx::floats("B1", &[4], &b1),
                onnx::floats("W2", &[4, 4], &w2),
                onnx::floats("G", &[4, 1], &g),
            ],
            onnx::input("x", &[1, 2]),
        )
    };
    for signed in [false, true] {
        let net = read_onnx(&model(if signed { "a" } else { "y" }), "residual.onnx").unwrap();
        // `a` is kept from the first ReLU on: both layers it rides through become max units
        let carrying = if signed { Activation::Max(2) } else { Activation::Relu };
        assert_eq!([0, 1, 2].map(|l| net.layers()[l].activation), [carrying, carrying, Activation::Relu]);
        // the reference: the units' states and the output, exactly
        let reference = |x: &[Q]| -> (Vec<bool>, Q) {
            let lin = |m: &[f32], input: &[Q], outs: usize| -> Vec<Q> {
                // MatMul input (1 x n) @ M (n x outs)
                (0..outs)
                    .map(|j| input.iter().enumerate().map(|(i, v)| exact(m[i * outs + j]) * v).sum())
                    .collect()
            };
            let a = lin(&w0, x, 4);
            let y: Vec<Q> = a.iter().cloned().map(relu).collect();
            let q: Vec<Q> = lin(&w1, &y, 4).into_iter().zip(&b1).map(|(v, b)| v + exact(*b)).collect();
            let h: Vec<Q> = q.iter().cloned().map(relu).collect();
            let skip = if signed { &a } else { &y };
            let s: Vec<Q> = lin(&w2, &h, 4).into_iter().zip(skip).map(|(z, y)| z + y).collect();
            let t: Vec<Q> = s.iter().cloned().map(relu).collect();
            let zero = Q::from_integer(0.into());
            let states = a.iter().chain(&q).chain(&s).map(|v| *v > zero).collect();
            (states, lin(&g, &t, 1).remove(0))
        };
        for x in points(2, 10) {
            assert_eq!(net.output(&x), vec![reference(&x).1]);
        }
        let boxed = net.with_domain(Domain::Box(vec![(r("-4"), r("4")), (r("-4"), r("4"))])).unwrap();
        let a = run(&boxed);
        // the enumerated regions' real units: the first 4 of layers 0 and 1 (then the carried
        // skip; as max units, neuron j is on when its piece 1 wins: row 2 j + 1), layer 2 all
        let first_four = |p: &Vec<bool>| -> Vec<bool> {
            if signed {
                (0..4).map(|j| p[2 * j + 1]).collect()
            } else {
                p[..4].to_vec()
            }
        };
        let real = |p: &Vec<Vec<bool>>| -> Vec<bool> {
            let (inner, outer) = if signed {
                (first_four(&p[0]), first_four(&p[1]))
            } else {
                (p[0].clone(), first_four(&p[1]))
            };
            inner.into_iter().chain(outer).chain(p[2].iter().copied()).collect()
        };
        let listed: std::collections::HashSet<Vec<bool>> =
            a.regions().iter().map(|r| real(r.pattern())).collect();
        assert_eq!(listed.len(), a.regions().len(), "the carried neurons never split a region");
        for i in 0..=80 {
            for j in 0..=80 {
                let x = [
                    Q::new((i - 40).into(), 10.into()) + r("1/997"),
                    Q::new((j - 40).into(), 10.into()) + r("1/991"),
                ];
                let (states, _) = reference(&x);
                assert!(listed.contains(&states), "a sampled pattern is missing at {x:?} (signed {signed})");
            }
        }
        use relu_regions::check::{check_answer, CheckOptions};
        let doc = relu_regions::export::json::regions_document(&boxed, &a, None);
        assert!(check_answer(&boxed, &doc, None, CheckOptions { partial: false, threads: 2 })
            .failures
            .is_empty());
    }
}

/// `ReduceMean` and `ReduceSum` (axes as an attribute, as an input, or none; keepdims) are the
/// exact averages and sums.
#[test]
fn reduce_mean_and_sum_are_exact() {
    let w = values(12, 31);
    let model = |op: &str, axes: Option<&[i64]>, as_input: bool, keepdims: i64| {
        let mut attributes = vec![onnx::attr_int("keepdims", keepdims)];
        if let (Some(a), false) = (axes, as_input) {
            attributes.push(onnx::attr_ints("axes", a));
        }
        let inputs = if as_input { &["c", "axes"][..] } else { &["c"][..] };
        let node = onnx::node_with(op, inputs, &["m"], &attributes);
        let mut inits = vec![onnx::floats("W", &[2, 6], &w)];
        if let (Some(a), true) = (axes, as_input) {
            inits.push(onnx::int64s("axes", &[a.len() as u64], a));
        }
        onnx::model(
            &[
                onnx::node("MatMul", &["x", "W"], &["v"]),
                onnx::node("Reshape", &["v", "S"], &["c"]),
                node,
                onnx::node("Flatten", &["m"], &["out"]),
            ],
            &[inits, vec![onnx::int64s("S", &[3], &[1, 2, 3])]].concat(),
            onnx::input("x", &[1, 2]),
        )
    };
    let x = [r("1/3"), r("-7/5")];
    // v = x W as a 2 x 3 grid (row-major)
    let v: Vec<Q> = (0..6).map(|j| (0..2).map(|i| exact(w[i * 6 + j]) * &x[i]).sum()).collect();
    let sum = |idx: &[usize]| -> Q { idx.iter().map(|&i| v[i].clone()).sum() };
    let third = Q::new(1.into(), 3.into());
    for (op, axes, as_input, keepdims, want) in [
        ("ReduceMean", Some(&[2i64][..]), false, 1, vec![sum(&[0, 1, 2]) * &third, sum(&[3, 4, 5]) * &third]),
        ("ReduceSum", Some(&[1i64][..]), true, 0, vec![sum(&[0, 3]), sum(&[1, 4]), sum(&[2, 5])]),
        (
            "ReduceMean",
            Some(&[-2i64, -1][..]),
            true,
            0,
            vec![sum(&[0, 1, 2, 3, 4, 5]) / Q::from_integer(6.into())],
        ),
        ("ReduceSum", None, false, 1, vec![sum(&[0, 1, 2, 3, 4, 5])]),
    ] {
        let net = read_onnx(&model(op, axes, as_input, keepdims), "reduce.onnx").unwrap();
        assert_eq!(net.output(&x), want, "{op} {axes:?}");
    }
}
