//! Convolutions and pooling windows lowered to exact sparse affine maps of the flattened tensor
//! (row-major, every axis: `[N, C, spatial...]`, each of the `N` samples mapped alike), and
//! constants broadcast to the data.
//!
//! Each map is sparse: an output is a short list of `(input index, weight)` plus a constant (a
//! convolution's output has kernel-size terms). Every attribute is checked against
//! [`MAX_AXIS`](crate::network::limits::MAX_AXIS) and every map's terms against
//! [`MAX_MAP_TERMS`](crate::network::limits::MAX_MAP_TERMS) before the map is formed.

use super::linear::check_terms;
use super::shapes::{broadcast_index, broadcast_shapes, checked, each_position, strides};
use super::{Node, Res, Tensor};
use crate::exact::num::Q;
use crate::network::limits::axis_value;
use num_traits::Zero;

/// A sparse affine map on flattened tensors.
pub(super) struct Sparse {
    /// Per output: `(input index, weight)` terms.
    pub rows: Vec<Vec<(usize, Q)>>,
    /// Per output: the constant.
    pub offset: Vec<Q>,
}

/// An integer-list attribute of `len` values (`default` when absent), each within `MAX_AXIS`.
pub(super) fn int_list(node: &Node, name: &str, len: usize, default: i64) -> Res<Vec<i64>> {
    match node.int_lists.get(name) {
        Some(v) if v.len() == len => v.iter().map(|&x| axis_value(x, &format!("`{name}` value"))).collect(),
        Some(v) => Err(format!("attribute `{name}` has {} values, expected {len}", v.len())),
        None => Ok(vec![default; len]),
    }
}

/// The spatial sizes of data of shape `[N, C, S_1, ..., S_k]`, checked against a kernel of rank
/// `k`.
pub(super) fn spatial(shape: &[usize], k: usize) -> Res<&[usize]> {
    if shape.len() != k + 2 {
        return Err(format!("expects data of shape [batch, channels, {k} spatial dims], got {shape:?}"));
    }
    Ok(&shape[2..])
}

/// `floor((size + pads - dilation (kernel - 1) - 1) / stride) + 1`, when positive (every value
/// within `MAX_AXIS`, so no overflow).
fn out_size(size: usize, pads: i64, kernel: usize, stride: i64, dilation: i64) -> Res<usize> {
    let reach = dilation * (kernel as i64 - 1) + 1;
    let span = size as i64 + pads - reach;
    if stride <= 0 || dilation <= 0 || span < 0 {
        return Err("the kernel does not fit the (padded) input".into());
    }
    Ok((span / stride + 1) as usize)
}

/// The explicit pads (begins then ends) of a node with `auto_pad`: `NOTSET` (the `pads`
/// attribute), `VALID` (none), `SAME_UPPER`/`SAME_LOWER` (the output is `ceil(size / stride)`,
/// the odd pad at the end or the beginning).
fn explicit_pads(node: &Node, sizes: &[usize], kernel: &[usize], st: &[i64], dil: &[i64]) -> Res<Vec<i64>> {
    let k = sizes.len();
    match node.strings.get("auto_pad").map_or("NOTSET", String::as_str) {
        "NOTSET" => int_list(node, "pads", 2 * k, 0),
        "VALID" => Ok(vec![0; 2 * k]),
        mode @ ("SAME_UPPER" | "SAME_LOWER") => {
            let mut pads = vec![0; 2 * k];
            for i in 0..k {
                if st[i] <= 0 {
                    return Err("a stride is not positive".into());
                }
                let size = sizes[i] as i64;
                let out = (size + st[i] - 1) / st[i];
                let total = ((out - 1) * st[i] + dil[i] * (kernel[i] as i64 - 1) + 1 - size).max(0);
                let small = total / 2;
                let (begin, end) =
                    if mode == "SAME_UPPER" { (small, total - small) } else { (total - small, small) };
                (pads[i], pads[k + i]) = (begin, end);
            }
            Ok(pads)
        }
        other => Err(format!("auto_pad {other} is not supported")),
    }
}

/// The flat offset (batch and channel excluded) of the position `o stride - pad_begin + t
/// dilation` on every spatial axis, when it lies inside `sizes` (`strides`: the spatial axes'
/// row-major strides); `None` in the padding. Convolutions, pooling windows and transposed
/// convolutions all address their inputs or outputs this way.
pub(super) fn tap(
    o: &[usize],
    t: &[usize],
    st: &[i64],
    pads: &[i64],
    dil: &[i64],
    sizes: &[usize],
    strides: &[usize],
) -> Option<usize> {
    let mut flat = 0;
    for i in 0..o.len() {
        let p = o[i] as i64 * st[i] - pads[i] + t[i] as i64 * dil[i];
        if p < 0 || p >= sizes[i] as i64 {
            return None;
        }
        flat += p as usize * strides[i];
    }
    Some(flat)
}

/// A bias of one value per output channel (`m`), zeros when absent.
pub(super) fn channel_bias(bias: Option<&Tensor>, m: usize) -> Res<Vec<Q>> {
    match bias {
        Some(b) if b.values.len() == m => Ok(b.values.clone()),
        Some(_) => Err("the bias does not have one value per output channel".into()),
        None => Ok(vec![Q::zero(); m]),
    }
}

/// `Conv` (1-D, 2-D or 3-D; strides, pads or auto_pad, dilations, groups) with a constant weight
/// and bias, on each sample of the batch.
pub(super) fn conv(
    node: &Node,
    shape: &[usize],
    w: &Tensor,
    bias: Option<&Tensor>,
) -> Res<(Sparse, Vec<usize>)> {
    if w.dims.len() < 3 {
        return Err("the weight must have shape [out channels, in channels / group, kernel...]".into());
    }
    let k = w.dims.len() - 2;
    let sizes = spatial(shape, k)?;
    let (m, cg, kernel) = (w.dims[0], w.dims[1], &w.dims[2..]);
    if node
        .int_lists
        .get("kernel_shape")
        .is_some_and(|ks| ks.iter().map(|&v| v as usize).ne(kernel.iter().copied()))
    {
        return Err(format!("kernel_shape does not match the weight {:?}", w.dims));
    }
    let group = node.ints.get("group").copied().unwrap_or(1);
    let (batch, c) = (shape[0], shape[1]);
    if group <= 0 || c as i64 != cg as i64 * group || m as i64 % group != 0 {
        return Err(format!("{c} input channels do not match the weight {:?} with group {group}", w.dims));
    }
    let group = group as usize;
    let st = int_list(node, "strides", k, 1)?;
    let dil = int_list(node, "dilations", k, 1)?;
    let pads = explicit_pads(node, sizes, kernel, &st, &dil)?;
    let outs: Vec<usize> = (0..k)
        .map(|i| out_size(sizes[i], pads[i] + pads[k + i], kernel[i], st[i], dil[i]))
        .collect::<Res<_>>()?;
    let mut out_shape = vec![batch, m];
    out_shape.extend(&outs);
    let out_shape = checked(out_shape)?;
    let outputs: usize = out_shape.iter().product();
    check_terms(outputs, cg * kernel.iter().product::<usize>())?;
    let bias = channel_bias(bias, m)?;
    let (in_strides, w_strides) = (strides(shape), strides(&w.dims));
    let mut rows = Vec::with_capacity(outputs);
    let mut offset = Vec::with_capacity(outputs);
    for n in 0..batch {
        for (oc, channel_bias) in bias.iter().enumerate() {
            // a convolution of many channels takes a while: its reading may be stopped here
            if crate::runtime::stop::requested() {
                return Err(super::build::STOPPED.into());
            }
            let g = oc / (m / group);
            each_position(&outs, |o| {
                let mut row = Vec::new();
                for ci in 0..cg {
                    let channel = g * cg + ci;
                    each_position(kernel, |kk| {
                        let Some(at) = tap(o, kk, &st, &pads, &dil, sizes, &in_strides[2..]) else { return };
                        let at_w = oc * w_strides[0]
                            + ci * w_strides[1]
                            + kk.iter().zip(&w_strides[2..]).map(|(a, b)| a * b).sum::<usize>();
                        let weight = &w.values[at_w];
                        if !weight.is_zero() {
                            row.push((n * in_strides[0] + channel * in_strides[1] + at, weight.clone()));
                        }
                    });
                }
                rows.push(row);
                offset.push(channel_bias.clone());
            });
        }
    }
    Ok((Sparse { rows, offset }, out_shape))
}

/// A pooling window's geometry: kernel, strides, pads (begin then end) and dilations.
pub(super) struct Window {
    pub kernel: Vec<usize>,
    pub strides: Vec<i64>,
    pub pads: Vec<i64>,
    pub dilations: Vec<i64>,
}

impl Window {
    /// The window of a pooling node (`kernel_shape`, `strides`, `pads` or `auto_pad`,
    /// `dilations` when `dilated`; `ceil_mode` 0) on data `[N, C, spatial...]`, or the whole
    /// spatial extent for a global pooling.
    pub(super) fn of(node: &Node, shape: &[usize], global: bool, dilated: bool) -> Res<Window> {
        if shape.len() < 3 {
            return Err(format!("expects data of shape [batch, channels, spatial...], got {shape:?}"));
        }
        let k = shape.len() - 2;
        if global {
            return Ok(Window {
                kernel: shape[2..].to_vec(),
                strides: vec![1; k],
                pads: vec![0; 2 * k],
                dilations: vec![1; k],
            });
        }
        if node.ints.get("ceil_mode").copied().unwrap_or(0) != 0 {
            return Err("ceil_mode = 1 is not supported".into());
        }
        let kernel = int_list(node, "kernel_shape", k, 0)?;
        if !node.int_lists.contains_key("kernel_shape") || kernel.iter().any(|&v| v <= 0) {
            return Err("kernel_shape is missing or does not match the data".into());
        }
        let kernel: Vec<usize> = kernel.iter().map(|&v| v as usize).collect();
        let dilations = if dilated { int_list(node, "dilations", k, 1)? } else { vec![1; k] };
        let strides = int_list(node, "strides", k, 1)?;
        let pads = explicit_pads(node, &shape[2..], &kernel, &strides, &dilations)?;
        Ok(Window { kernel, strides, pads, dilations })
    }

    /// For every output value (sample, then channel, then the output positions in row-major
    /// order), the flat indices of the input values its window covers (padding left out); with
    /// the output shape and the window's full size.
    pub(super) fn members(&self, shape: &[usize]) -> Res<(Vec<Vec<usize>>, Vec<usize>, usize)> {
        let k = shape.len() - 2;
        let sizes = &shape[2..];
        let (st, pads, dil) = (&self.strides, &self.pads, &self.dilations);
        let outs: Vec<usize> = (0..k)
            .map(|i| out_size(sizes[i], pads[i] + pads[k + i], self.kernel[i], st[i], dil[i]))
            .collect::<Res<_>>()?;
        let mut out_shape = vec![shape[0], shape[1]];
        out_shape.extend(&outs);
        let out_shape = checked(out_shape)?;
        let size = self.kernel.iter().try_fold(1usize, |a, &v| a.checked_mul(v)).unwrap_or(usize::MAX);
        check_terms(out_shape.iter().product(), size)?;
        let in_strides = strides(shape);
        let mut groups = Vec::with_capacity(out_shape.iter().product());
        for n in 0..shape[0] {
            for c in 0..shape[1] {
                each_position(&outs, |o| {
                    let mut members = Vec::new();
                    each_position(&self.kernel, |kk| {
                        if let Some(at) = tap(o, kk, st, pads, dil, sizes, &in_strides[2..]) {
                            members.push(n * in_strides[0] + c * in_strides[1] + at);
                        }
                    });
                    groups.push(members);
                });
            }
        }
        Ok((groups, out_shape, size))
    }
}

/// `AveragePool` (`count_include_pad` as given, `ceil_mode` 0) and `GlobalAveragePool`.
pub(super) fn average_pool(node: &Node, shape: &[usize], global: bool) -> Res<(Sparse, Vec<usize>)> {
    let (groups, out_shape, size) = Window::of(node, shape, global, false)?.members(shape)?;
    let include_pad = node.ints.get("count_include_pad").copied().unwrap_or(0) != 0;
    let rows: Vec<Vec<(usize, Q)>> = groups
        .into_iter()
        .map(|members| {
            let count = if include_pad { size } else { members.len() };
            let weight = Q::new(1.into(), count.max(1).into());
            members.into_iter().map(|f| (f, weight.clone())).collect()
        })
        .collect();
    let offset = vec![Q::zero(); rows.len()];
    Ok((Sparse { rows, offset }, out_shape))
}

/// A constant broadcast to the data's shape (numpy rules, the constant not widening the data),
/// flattened.
pub(super) fn broadcast_to(t: &Tensor, shape: &[usize]) -> Res<Vec<Q>> {
    if broadcast_shapes(&t.dims, shape).as_deref() != Some(shape) {
        return Err(format!("a constant of shape {:?} does not broadcast to the data's {shape:?}", t.dims));
    }
    Ok(broadcast_index(&t.dims, shape).into_iter().map(|i| t.values[i].clone()).collect())
}
