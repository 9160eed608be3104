//! `ConvTranspose` (1-D to 3-D; `strides`, `pads`, `dilations`, `group`, `output_padding`) as a
//! sparse affine map: every input value spreads over the outputs its kernel reaches. The output
//! size is checked against the limits before anything of its size is made (a stride of 100000
//! asks for a tensor of the limit's size at most, not terabytes).

use super::linear::check_terms;
use super::lower::{channel_bias, int_list, spatial, tap, Sparse};
use super::shapes::{checked, each_position, strides};
use super::{Node, Res, Tensor};
use crate::exact::num::Q;
use num_traits::Zero;

/// The transposed convolution of data of `shape` (`[N, C, D_1, ..., D_k]`, each sample alike) by
/// the weight `w` (`[C, M / group, kernel...]`) and the optional bias (`M` values): output channel
/// `g M / group + m` at position `o` sums `x[c, i] w[c, m, t]` over the channels `c` of group
/// `g` and the positions with `o = i stride - pad_begin + t dilation`. Output sizes:
/// `stride (D - 1) + output_padding + dilation (kernel - 1) + 1 - pad_begin - pad_end`.
pub(super) fn conv_transpose(
    node: &Node,
    shape: &[usize],
    w: &Tensor,
    bias: Option<&Tensor>,
) -> Res<(Sparse, Vec<usize>)> {
    if node.strings.get("auto_pad").is_some_and(|m| m != "NOTSET" && m != "VALID") {
        return Err(
            "auto_pad SAME_UPPER/SAME_LOWER is not supported: export with explicit pads (PyTorch does)"
                .into(),
        );
    }
    if node.int_lists.contains_key("output_shape") {
        return Err(
            "output_shape is not supported: export with explicit pads and output_padding (PyTorch does)"
                .into(),
        );
    }
    if w.dims.len() < 3 {
        return Err("the weight must have shape [in channels, out channels / group, kernel...]".into());
    }
    let k = w.dims.len() - 2;
    let sizes = spatial(shape, k)?;
    let (c, mg, kernel) = (w.dims[0], w.dims[1], &w.dims[2..]);
    let group = node.ints.get("group").copied().unwrap_or(1);
    if group <= 0 || shape[1] != c || c as i64 % group != 0 {
        return Err(format!(
            "{} input channels do not match the weight {:?} with group {group}",
            shape[1], w.dims
        ));
    }
    let group = group as usize;
    let (cg, m) = (c / group, mg * group);
    let st = int_list(node, "strides", k, 1)?;
    let dil = int_list(node, "dilations", k, 1)?;
    let pads = int_list(node, "pads", 2 * k, 0)?;
    let extra = int_list(node, "output_padding", k, 0)?;
    let mut outs = Vec::with_capacity(k);
    for i in 0..k {
        // every value within MAX_AXIS: no overflow
        let size = st[i] * (sizes[i] as i64 - 1) + extra[i] + dil[i] * (kernel[i] as i64 - 1) + 1
            - pads[i]
            - pads[k + i];
        if st[i] <= 0 || dil[i] <= 0 || extra[i] < 0 || size <= 0 {
            return Err("the strides, dilations, pads and output_padding give no output".into());
        }
        outs.push(size as usize);
    }
    let bias = channel_bias(bias, m)?;
    let batch = shape[0];
    let mut out_shape = vec![batch, m];
    out_shape.extend(&outs);
    let out_shape = checked(out_shape)?;
    let inputs: usize = shape.iter().product();
    check_terms(inputs, mg * kernel.iter().product::<usize>())?;
    let (in_strides, out_strides, w_strides) = (strides(shape), strides(&out_shape), strides(&w.dims));
    let mut rows: Vec<Vec<(usize, Q)>> = vec![Vec::new(); out_shape.iter().product()];
    for n in 0..batch {
        for channel in 0..c {
            let g = channel / cg;
            each_position(sizes, |position| {
                let from = n * in_strides[0]
                    + channel * in_strides[1]
                    + position.iter().zip(&in_strides[2..]).map(|(p, s)| p * s).sum::<usize>();
                each_position(kernel, |t| {
                    let Some(to) = tap(position, t, &st, &pads, &dil, &outs, &out_strides[2..]) else {
                        return;
                    };
                    for local in 0..mg {
                        let at_w = channel * w_strides[0]
                            + local * w_strides[1]
                            + t.iter().zip(&w_strides[2..]).map(|(a, b)| a * b).sum::<usize>();
                        let weight = &w.values[at_w];
                        if !weight.is_zero() {
                            rows[n * out_strides[0] + (g * mg + local) * out_strides[1] + to]
                                .push((from, weight.clone()));
                        }
                    }
                });
            });
        }
    }
    let per_channel = out_strides[1];
    let offset = (0..rows.len()).map(|r| bias[(r / per_channel) % m].clone()).collect();
    Ok((Sparse { rows, offset }, out_shape))
}
