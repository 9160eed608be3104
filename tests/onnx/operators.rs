//! Issue 13 (part): affine operators of the networks people build, read from ONNX files the
//! tests write themselves: convolutions (against the dense network with the same weights and a
//! direct exact convolution), average pooling, constant padding, NHWC transposes, batch
//! normalisation (exact when the square root is rational, otherwise noted), trailing smooth
//! outputs (accepted and noted), and clear refusals.

use crate::onnx::writer as onnx;
use crate::support::*;
use relu_regions::exact::num::{from_f64_exact, Q};
use relu_regions::network::onnx::read_onnx;
use relu_regions::network::{Activation, Domain, Layer, Network, Weights};

pub(crate) fn exact(v: f32) -> Q {
    from_f64_exact(f64::from(v)).unwrap()
}

/// Deterministic small float32 values (multiples of 1/8 in [-1, 1]).
pub(crate) fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 33) % 17) as f32 / 8.0 - 1.0
        })
        .collect()
}

pub(crate) fn points(d: usize, n: usize) -> Vec<Vec<Q>> {
    (0..n)
        .map(|k| values(d, 100 + k as u64).iter().map(|v| exact(*v) + Q::new(k.into(), 7.into())).collect())
        .collect()
}

pub(crate) fn relu(v: Q) -> Q {
    if v > Q::from_integer(0.into()) {
        v
    } else {
        Q::from_integer(0.into())
    }
}

/// A direct exact 2-D convolution of `x` (`[c, h, w]`, row-major) by `weight` (`[m, c, k, k]`).
#[allow(clippy::too_many_arguments)]
fn conv2d(
    x: &[Q],
    c: usize,
    h: usize,
    w: usize,
    weight: &[f32],
    bias: &[f32],
    m: usize,
    k: usize,
    pad: usize,
) -> (Vec<Q>, usize, usize) {
    let (oh, ow) = (h + 2 * pad - k + 1, w + 2 * pad - k + 1);
    let mut out = Vec::new();
    for oc in 0..m {
        for i in 0..oh {
            for j in 0..ow {
                let mut v = exact(bias[oc]);
                for ic in 0..c {
                    for a in 0..k {
                        for b in 0..k {
                            let (y, z) = ((i + a) as i64 - pad as i64, (j + b) as i64 - pad as i64);
                            if y >= 0 && z >= 0 && (y as usize) < h && (z as usize) < w {
                                let wv = weight[((oc * c + ic) * k + a) * k + b];
                                v += exact(wv) * &x[(ic * h + y as usize) * w + z as usize];
                            }
                        }
                    }
                }
                out.push(v);
            }
        }
    }
    (out, oh, ow)
}

/// A 1x1 convolution is the dense layer with the same weights at every pixel: the network read
/// is exactly that dense network.
#[test]
fn a_one_by_one_convolution_is_the_dense_layer() {
    let (w, b, g) = (values(6, 1), values(3, 2), values(12, 3));
    let model = onnx::model(
        &[
            onnx::node("Conv", &["x", "W", "B"], &["c"]),
            onnx::node("Relu", &["c"], &["r"]),
            onnx::node("Flatten", &["r"], &["f"]),
            onnx::node("MatMul", &["f", "G"], &["y"]),
        ],
        &[onnx::floats("W", &[3, 2, 1, 1], &w), onnx::floats("B", &[3], &b), onnx::floats("G", &[12, 1], &g)],
        onnx::input("x", &[1, 2, 2, 2]),
    );
    let net = read_onnx(&model, "conv1x1.onnx").unwrap();
    // output (m, p) = sum_c W[m, c] x[c, p] + B[m], p one of the 4 pixels
    let mut weights = Vec::new();
    let mut bias = Vec::new();
    for m in 0..3 {
        for p in 0..4 {
            let mut row = vec![Q::from_integer(0.into()); 8];
            for c in 0..2 {
                row[c * 4 + p] = exact(w[m * 2 + c]);
            }
            weights.push(row);
            bias.push(exact(b[m]));
        }
    }
    let dense = Network::new(
        8,
        vec![
            Layer { weights: Weights::dense(weights).unwrap(), bias, activation: Activation::Relu },
            Layer {
                weights: Weights::dense(vec![g.iter().map(|v| exact(*v)).collect()]).unwrap(),
                bias: vec![r("0")],
                activation: Activation::Linear,
            },
        ],
        Domain::Whole,
    )
    .unwrap();
    assert_eq!(net.layers(), dense.layers());
    assert!(net.notes().is_empty());
}

/// Convolution (padded) then 2x2 average pooling: the network's exact outputs are those of a
/// direct exact computation, and its regions in a box pass the independent checker.
#[test]
fn convolution_and_average_pooling_are_exact() {
    let (w, b, g) = (values(8, 4), values(2, 5), values(8, 6));
    let model = onnx::model(
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
            onnx::node("Relu", &["p"], &["r"]),
            onnx::node("Flatten", &["r"], &["f"]),
            onnx::node("MatMul", &["f", "G"], &["y"]),
        ],
        &[onnx::floats("W", &[2, 1, 2, 2], &w), onnx::floats("B", &[2], &b), onnx::floats("G", &[8, 1], &g)],
        onnx::input("x", &[1, 1, 3, 3]),
    );
    let net = read_onnx(&model, "convpool.onnx").unwrap();
    assert_eq!((net.input_dim(), net.layers()[0].width()), (9, 8));
    for x in points(9, 12) {
        let (c, oh, ow) = conv2d(&x, 1, 3, 3, &w, &b, 2, 2, 1);
        assert_eq!((oh, ow), (4, 4));
        let mut pooled = Vec::new();
        for ch in 0..2 {
            for i in 0..2 {
                for j in 0..2 {
                    let at = |a: usize, b: usize| c[(ch * 4 + 2 * i + a) * 4 + 2 * j + b].clone();
                    pooled
                        .push(relu((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / Q::from_integer(4.into())));
                }
            }
        }
        let y: Q = pooled.iter().zip(&g).map(|(v, gv)| v * exact(*gv)).sum();
        assert_eq!(net.output(&x), vec![y]);
    }
    let boxed = net.with_domain(Domain::Box((0..9).map(|_| (r("-1"), r("1"))).collect())).unwrap();
    let a = run(&boxed);
    assert!(a.regions().len() > 1);
    use relu_regions::check::{check_answer, CheckOptions};
    let doc = relu_regions::export::json::regions_document(&boxed, &a, None);
    let report = check_answer(&boxed, &doc, None, CheckOptions { partial: false, threads: 2 });
    assert!(report.failures.is_empty(), "{:?}", report.failures);
}

/// Explicit `Pad` before a convolution is the convolution with `pads`; an NHWC input
/// transposed to NCHW reads the right pixels.
#[test]
fn padding_and_transposes() {
    let (w, b) = (values(4, 7), values(1, 8));
    let convolve = |padded: bool| {
        let nodes = if padded {
            vec![
                onnx::node("Pad", &["x", "P"], &["q"]),
                onnx::node("Conv", &["q", "W", "B"], &["c"]),
                onnx::node("Relu", &["c"], &["y"]),
            ]
        } else {
            vec![
                onnx::node_with("Conv", &["x", "W", "B"], &["c"], &[onnx::attr_ints("pads", &[1, 1, 1, 1])]),
                onnx::node("Relu", &["c"], &["y"]),
            ]
        };
        let model = onnx::model(
            &nodes,
            &[
                onnx::floats("W", &[1, 1, 2, 2], &w),
                onnx::floats("B", &[1], &b),
                onnx::int64s("P", &[8], &[0, 0, 1, 1, 0, 0, 1, 1]),
            ],
            onnx::input("x", &[1, 1, 2, 2]),
        );
        read_onnx(&model, "pad.onnx").unwrap()
    };
    assert_eq!(convolve(true).layers(), convolve(false).layers());
    // a grouped (depthwise) 1x1 convolution scales each channel by its own weight
    let model = onnx::model(
        &[onnx::node_with("Conv", &["x", "W", "B"], &["y"], &[onnx::attr_int("group", 2)])],
        &[onnx::floats("W", &[2, 1, 1, 1], &[0.5, -3.0]), onnx::floats("B", &[2], &[1.0, 0.0])],
        onnx::input("x", &[1, 2, 1, 1]),
    );
    let net = read_onnx(&model, "depthwise.onnx").unwrap();
    assert_eq!(net.output(&[r("2"), r("1/3")]), vec![r("2"), r("-1")]);
    // x in NHWC [2, 2, 3]; after the transpose, channel c of pixel (h, w) is x[(h * 2 + w) * 3 + c]
    let g = values(12, 9);
    let model = onnx::model(
        &[
            onnx::node_with("Transpose", &["x"], &["t"], &[onnx::attr_ints("perm", &[0, 3, 1, 2])]),
            onnx::node("Flatten", &["t"], &["f"]),
            onnx::node("MatMul", &["f", "G"], &["y"]),
        ],
        &[onnx::floats("G", &[12, 1], &g)],
        onnx::input("x", &[1, 2, 2, 3]),
    );
    let net = read_onnx(&model, "nhwc.onnx").unwrap();
    for x in points(12, 5) {
        let mut y = Q::from_integer(0.into());
        for c in 0..3 {
            for p in 0..4 {
                y += exact(g[c * 4 + p]) * &x[p * 3 + c];
            }
        }
        assert_eq!(net.output(&x), vec![y]);
    }
}

pub(crate) fn batch_norm_model(var: &[f32]) -> Vec<u8> {
    onnx::model(
        &[
            onnx::node_with(
                "BatchNormalization",
                &["x", "S", "B", "M", "V"],
                &["n"],
                &[onnx::attr_float("epsilon", 0.25)],
            ),
            onnx::node("Relu", &["n"], &["r"]),
            onnx::node("MatMul", &["r", "G"], &["y"]),
        ],
        &[
            onnx::floats("S", &[2], &[1.5, -2.0]),
            onnx::floats("B", &[2], &[0.25, 1.0]),
            onnx::floats("M", &[2], &[0.5, -0.75]),
            onnx::floats("V", &[2], var),
            onnx::floats("G", &[2, 1], &[1.0, -1.0]),
        ],
        onnx::input("x", &[1, 2]),
    )
}

/// Batch normalisation with rational square roots is folded exactly (the hand-folded layer);
/// with an irrational one the network says which approximation it made, in the CLI too.
#[test]
fn batch_normalisation_is_folded_exactly_or_noted() {
    // var + eps = 1/4 and 1: sqrt 1/2 and 1
    let net = read_onnx(&batch_norm_model(&[0.0, 0.75]), "bn.onnx").unwrap();
    let (s0, s1) = (r("3/2") / r("1/2"), r("-2") / r("1"));
    let folded = Layer {
        weights: Weights::dense(vec![vec![s0.clone(), r("0")], vec![r("0"), s1.clone()]]).unwrap(),
        bias: vec![r("1/4") - r("1/2") * &s0, r("1") - r("-3/4") * &s1],
        activation: Activation::Relu,
    };
    assert_eq!(net.layers()[0], folded);
    assert!(net.notes().is_empty());
    // var + eps = 5/4: the correctly rounded float64 square root, and a note
    let bytes = batch_norm_model(&[1.0, 0.0]);
    let net = read_onnx(&bytes, "bn2.onnx").unwrap();
    assert_eq!(net.notes().len(), 1, "{:?}", net.notes());
    assert!(net.notes()[0].contains("1 of 2 channels"));
    let root = r("3/2") / &net.layers()[0].weights.entry(0, 0);
    let f = relu_regions::exact::num::to_f64(&root);
    assert_eq!(f, 1.25f64.sqrt(), "the nearest float64 to sqrt(5/4)");
    let dir = std::env::temp_dir().join(format!("rr-layers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bn2.onnx");
    std::fs::write(&path, bytes).unwrap();
    let out = crate::cli::fixtures::run_cli(&["count", path.to_str().unwrap(), "--json"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("note:"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["provenance"]["notes"][0].as_str().unwrap().contains("BatchNormalization"), "{v}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A trailing softmax is left out with a note (it does not change the regions); a smooth
/// activation in the middle and max pooling are refused, naming the node.
#[test]
fn trailing_smooth_outputs_and_refusals() {
    let model = |ops: &[&str]| {
        let mut nodes = vec![onnx::node("MatMul", &["x", "W"], &["h0"])];
        for (k, op) in ops.iter().enumerate() {
            let (a, b) = (format!("h{k}"), format!("h{}", k + 1));
            nodes.push(if *op == "MatMul" {
                onnx::node("MatMul", &[&a, "V"], &[&b])
            } else {
                onnx::node(op, &[&a], &[&b])
            });
        }
        onnx::model(
            &nodes,
            &[
                onnx::floats("W", &[2, 2], &[1.0, -1.0, 0.5, 2.0]),
                onnx::floats("V", &[2, 2], &[1.0, 0.0, 0.0, 1.0]),
            ],
            onnx::input("x", &[1, 2]),
        )
    };
    let net = read_onnx(&model(&["Relu", "MatMul", "Softmax"]), "soft.onnx").unwrap();
    assert!(net.notes()[0].contains("Softmax"), "{:?}", net.notes());
    let plain = read_onnx(&model(&["Relu", "MatMul"]), "plain.onnx").unwrap();
    assert_eq!(net.layers(), plain.layers());
    let e = read_onnx(&model(&["Sigmoid", "MatMul"]), "mid.onnx").unwrap_err().to_string();
    assert!(e.contains("mid.onnx") && e.contains("in the middle"), "{e}");
    // a max pool needs [channels, spatial...] data: refused naming the node and the shape
    let e = read_onnx(&model(&["Relu", "MaxPool"]), "max.onnx").unwrap_err().to_string();
    assert!(e.contains("MaxPool_0") && e.contains("expects data of shape"), "{e}");
    let e = read_onnx(&model(&["Relu", "Erf"]), "erf.onnx").unwrap_err().to_string();
    assert!(e.contains("Erf") && e.contains("unsupported operator"), "{e}");
}

/// A LeakyReLU layer has the ReLU layer's regions (the same hyperplanes) but other maps; Clip
/// (ReLU6, Hardtanh) and Abs cut where their pieces meet, and the maps are exact.
#[test]
fn leaky_relu_clip_and_abs_keep_the_regions_of_their_pieces() {
    let (w, b, g) = (values(6, 11), values(3, 12), values(3, 13));
    let model = |activation: Vec<u8>, extra: Vec<Vec<u8>>| {
        let mut initializers =
            vec![onnx::floats("W", &[2, 3], &w), onnx::floats("B", &[3], &b), onnx::floats("G", &[3, 1], &g)];
        initializers.extend(extra);
        onnx::model(
            &[
                onnx::node("MatMul", &["x", "W"], &["h"]),
                onnx::node("Add", &["h", "B"], &["z"]),
                activation,
                onnx::node("MatMul", &["a", "G"], &["y"]),
            ],
            &initializers,
            onnx::input("x", &[1, 2]),
        )
    };
    let boxed =
        |net: Network| net.with_domain(Domain::Box(vec![(r("-3"), r("3")), (r("-3"), r("3"))])).unwrap();
    let plain = boxed(read_onnx(&model(onnx::node("Relu", &["z"], &["a"]), vec![]), "relu.onnx").unwrap());
    let leaky = boxed(
        read_onnx(
            &model(onnx::node_with("LeakyRelu", &["z"], &["a"], &[onnx::attr_float("alpha", 0.25)]), vec![]),
            "leaky.onnx",
        )
        .unwrap(),
    );
    let (a_plain, a_leaky) = (run(&plain), run(&leaky));
    assert_eq!(a_plain.regions().len(), a_leaky.regions().len(), "same hyperplanes, same regions");
    assert!(a_plain.regions().len() > 1);
    let leaky_ref = |x: &[Q]| -> Q {
        (0..3)
            .map(|j| {
                let z = exact(w[j]) * &x[0] + exact(w[3 + j]) * &x[1] + exact(b[j]);
                let a = if z > r("0") { z } else { z * r("1/4") };
                a * exact(g[j])
            })
            .sum()
    };
    let mut differ = false;
    for x in points(2, 10) {
        assert_eq!(leaky.output(&x), vec![leaky_ref(&x)]);
        differ |= leaky.output(&x) != plain.output(&x);
    }
    assert!(differ, "the maps differ where a unit is negative");
    // PRelu with per-unit slopes 1/4 is the same network
    let prelu =
        model(onnx::node("PRelu", &["z", "S"], &["a"]), vec![onnx::floats("S", &[3], &[0.25, 0.25, 0.25])]);
    assert_eq!(boxed(read_onnx(&prelu, "prelu.onnx").unwrap()).layers(), leaky.layers());
    // one unit in 1-D: clip(x, 0, 1) has 3 regions on [-2, 2], |x| has 2, and both maps are exact
    let unit = |nodes: Vec<Vec<u8>>, extra: Vec<Vec<u8>>| {
        let net = read_onnx(&onnx::model(&nodes, &extra, onnx::input("x", &[1, 1])), "unit.onnx").unwrap();
        net.with_domain(Domain::Box(vec![(r("-2"), r("2"))])).unwrap()
    };
    let clip = unit(
        vec![onnx::node("Clip", &["x", "lo", "hi"], &["y"])],
        vec![onnx::floats("lo", &[], &[0.0]), onnx::floats("hi", &[], &[1.0])],
    );
    assert_eq!(run(&clip).regions().len(), 3);
    for (x, y) in [("-3/2", "0"), ("1/3", "1/3"), ("7/4", "1")] {
        assert_eq!(clip.output(&[r(x)]), vec![r(y)]);
    }
    let abs = unit(vec![onnx::node("Abs", &["x"], &["y"])], vec![]);
    assert_eq!(run(&abs).regions().len(), 2);
    assert_eq!(abs.output(&[r("-3/2")]), vec![r("3/2")]);
}

/// Weights stored as ONNX external data (a file next to the model, at an offset) are read
/// exactly; a location outside the model's directory, a missing file, or a model given as bytes
/// alone are clear errors.
#[test]
fn external_data_next_to_the_model() {
    let w = values(6, 31);
    let raw: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
    let nodes = [onnx::node("MatMul", &["x", "W"], &["h"]), onnx::node("Relu", &["h"], &["y"])];
    let inline = onnx::model(&nodes, &[onnx::floats("W", &[2, 3], &w)], onnx::input("x", &[1, 2]));
    let dir = std::env::temp_dir().join(format!("rr-external-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut file = vec![0xAB; 8];
    file.extend(&raw);
    std::fs::write(dir.join("weights.bin"), &file).unwrap();
    let external = |location: &str| {
        onnx::model(
            &nodes,
            &[onnx::external_tensor("W", &[2, 3], 1, location, 8, raw.len())],
            onnx::input("x", &[1, 2]),
        )
    };
    let path = dir.join("model.onnx");
    std::fs::write(&path, external("weights.bin")).unwrap();
    let read = relu_regions::network::load(&path, None, relu_regions::network::nnet::Coords::Raw).unwrap();
    assert_eq!(read.layers(), read_onnx(&inline, "inline.onnx").unwrap().layers());
    for (location, message) in
        [("../weights.bin", "not a file next to the model"), ("missing.bin", "missing.bin")]
    {
        std::fs::write(&path, external(location)).unwrap();
        let e = relu_regions::network::load(&path, None, relu_regions::network::nnet::Coords::Raw)
            .unwrap_err()
            .to_string();
        assert!(e.contains("model.onnx") && e.contains(message), "{e}");
    }
    let e = read_onnx(&external("weights.bin"), "bytes.onnx").unwrap_err().to_string();
    assert!(e.contains("external file") && e.contains("weights.bin"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}
