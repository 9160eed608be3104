//! `ConvTranspose` (1-D to 3-D; `strides`, `pads`, `dilations`, `group`, `output_padding`) as a
//! sparse affine map: every input value spreads over the outputs its kernel reaches.

use super::lower::{indices, int_list, require_no_auto_pad, spatial, strides, tap, Sparse};
use super::{at, Node, Res, Tensor};
use crate::num::Q;
use num_traits::Zero;

/// The transposed convolution of data of `shape` (`[C, D_1, ..., D_k]`, batch dropped) by the
/// weight `w` (`[C, M / group, kernel...]`) and the optional bias (`M` values): output channel
/// `g M / group + m` at position `o` sums `x[c, i] w[c, m, t]` over the channels `c` of group
/// `g` and the positions with `o = i stride - pad_begin + t dilation`. Output sizes:
/// `stride (D - 1) + output_padding + dilation (kernel - 1) + 1 - pad_begin - pad_end`.
pub(super) fn conv_transpose(
    node: &Node,
    shape: &[usize],
    w: &Tensor,
    bias: Option<&Tensor>,
) -> Res<(Sparse, Vec<usize>)> {
    require_no_auto_pad(node)?;
    if node.int_lists.contains_key("output_shape") {
        return Err(at(
            node,
            "output_shape is not supported: export with explicit pads and output_padding (PyTorch does)",
        ));
    }
    if w.dims.len() < 3 {
        return Err(at(node, "the weight must have shape [in channels, out channels / group, kernel...]"));
    }
    let k = w.dims.len() - 2;
    let sizes = spatial(node, shape, k)?;
    let (c, mg, kernel) = (w.dims[0], w.dims[1], &w.dims[2..]);
    let group = node.ints.get("group").copied().unwrap_or(1);
    if group <= 0 || shape[0] != c || c as i64 % group != 0 {
        return Err(at(
            node,
            &format!("{} input channels do not match the weight {:?} with group {group}", shape[0], w.dims),
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
        let size = st[i] * (sizes[i] as i64 - 1) + extra[i] + dil[i] * (kernel[i] as i64 - 1) + 1
            - pads[i]
            - pads[k + i];
        if st[i] <= 0 || dil[i] <= 0 || extra[i] < 0 || size <= 0 {
            return Err(at(node, "the strides, dilations, pads and output_padding give no output"));
        }
        outs.push(size as usize);
    }
    let bias: Vec<Q> = match bias {
        Some(b) if b.values.len() == m => b.values.clone(),
        Some(_) => return Err(at(node, "the bias does not have one value per output channel")),
        None => vec![Q::zero(); m],
    };
    let mut out_shape = vec![m];
    out_shape.extend(&outs);
    let (in_strides, out_strides, w_strides) = (strides(shape), strides(&out_shape), strides(&w.dims));
    let mut rows: Vec<Vec<(usize, Q)>> = vec![Vec::new(); out_shape.iter().product()];
    let kernel_points = indices(kernel);
    for channel in 0..c {
        let g = channel / cg;
        for position in indices(sizes) {
            let from = channel * in_strides[0]
                + position.iter().zip(&in_strides[1..]).map(|(p, s)| p * s).sum::<usize>();
            for t in &kernel_points {
                let Some(to) = tap(&position, t, &st, &pads, &dil, &outs, &out_strides[1..]) else {
                    continue;
                };
                for local in 0..mg {
                    let at_w = channel * w_strides[0]
                        + local * w_strides[1]
                        + t.iter().zip(&w_strides[2..]).map(|(a, b)| a * b).sum::<usize>();
                    let weight = &w.values[at_w];
                    if !weight.is_zero() {
                        rows[(g * mg + local) * out_strides[0] + to].push((from, weight.clone()));
                    }
                }
            }
        }
    }
    let per_channel = out_strides[0];
    let offset = (0..rows.len()).map(|r| bias[r / per_channel].clone()).collect();
    Ok((Sparse { rows, offset }, out_shape))
}
