//! Issue 13: `ConvTranspose` is the adjoint of `Conv` with the same weight: for every `x` and `y`,
//! `<convT(x), y> = <x, conv(y)>` (the two are built by separate code), with strides, padding,
//! dilations and output padding; its bias is added per output channel.

use crate::onnx::operators::{exact, values};
use crate::onnx::writer as onnx;
use relu_regions::exact::num::Q;
use relu_regions::network::onnx::read_onnx;

/// One operator on data of shape `input` with the weight `W` (`dims`), then `Flatten`.
fn single(
    op: &str,
    dims: &[u64],
    weight: &[f32],
    bias: Option<&[f32]>,
    input: &[u64],
    attrs: &[Vec<u8>],
) -> Vec<u8> {
    let mut inputs = vec!["x", "W"];
    let mut inits = vec![onnx::floats("W", dims, weight)];
    if let Some(b) = bias {
        inputs.push("B");
        inits.push(onnx::floats("B", &[b.len() as u64], b));
    }
    onnx::model(
        &[onnx::node_with(op, &inputs, &["c"], attrs), onnx::node("Flatten", &["c"], &["y"])],
        &inits,
        onnx::input("x", input),
    )
}

fn dot(a: &[Q], b: &[Q]) -> Q {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn conv_transpose_is_the_adjoint_of_conv() {
    // (spatial input of the transposed convolution, kernel, strides, pads, dilations, output padding)
    type Case<'a> = (&'a [u64], &'a [u64], &'a [i64], &'a [i64], &'a [i64], &'a [i64]);
    let cases: [Case; 4] = [
        (&[5], &[3], &[1], &[0, 0], &[1], &[0]),
        (&[4], &[3], &[2], &[1, 1], &[1], &[1]),
        (&[3, 4], &[2, 3], &[2, 1], &[0, 1, 1, 0], &[1, 2], &[1, 0]),
        (&[3, 3], &[3, 3], &[3, 2], &[1, 1, 1, 1], &[1, 1], &[2, 1]),
    ];
    let (c, m) = (2u64, 3u64);
    for (n, (sizes, kernel, st, pads, dil, extra)) in cases.into_iter().enumerate() {
        let k = sizes.len();
        let mut dims = vec![c, m];
        dims.extend(kernel);
        let count: u64 = dims.iter().product();
        let weight = values(count as usize, 70 + n as u64);
        let outs: Vec<u64> = (0..k)
            .map(|i| {
                (st[i] * (sizes[i] as i64 - 1) + extra[i] + dil[i] * (kernel[i] as i64 - 1) + 1
                    - pads[i]
                    - pads[k + i]) as u64
            })
            .collect();
        let geometry = |with_extra: bool| {
            let mut a = vec![
                onnx::attr_ints("strides", st),
                onnx::attr_ints("pads", pads),
                onnx::attr_ints("dilations", dil),
            ];
            if with_extra {
                a.push(onnx::attr_ints("output_padding", extra));
            }
            a
        };
        let (mut t_input, mut c_input) = (vec![1, c], vec![1, m]);
        t_input.extend(sizes);
        c_input.extend(&outs);
        let t =
            read_onnx(&single("ConvTranspose", &dims, &weight, None, &t_input, &geometry(true)), "t.onnx")
                .unwrap();
        let conv =
            read_onnx(&single("Conv", &dims, &weight, None, &c_input, &geometry(false)), "c.onnx").unwrap();
        assert_eq!(t.input_dim(), conv.output_dim(), "case {n}");
        assert_eq!(t.output_dim(), conv.input_dim(), "case {n}");
        for s in 0..4 {
            let x: Vec<Q> = values(t.input_dim(), 200 + s)
                .iter()
                .map(|v| exact(*v) + Q::new(s.into(), 3.into()))
                .collect();
            let y: Vec<Q> = values(conv.input_dim(), 300 + s).iter().map(|v| exact(*v)).collect();
            assert_eq!(dot(&t.output(&x), &y), dot(&x, &conv.output(&y)), "case {n}, sample {s}");
        }
    }
    // the bias: one value per output channel, everywhere in it
    let weight = values(2 * 3 * 2, 90);
    let bias = [0.5f32, -1.0, 0.25];
    let t = read_onnx(&single("ConvTranspose", &[2, 3, 2], &weight, Some(&bias), &[1, 2, 3], &[]), "b.onnx")
        .unwrap();
    let zero = vec![Q::from_integer(0.into()); t.input_dim()];
    let expected: Vec<Q> = bias.iter().flat_map(|b| std::iter::repeat_n(exact(*b), 4)).collect();
    assert_eq!(t.output(&zero), expected);
}
