//! Operators on the data path lowered to exact affine maps of the flattened tensor (row-major,
//! the batch dimension dropped): convolutions, average pooling, constant padding, transposes,
//! inference-mode batch normalisation and broadcast arithmetic with constants.
//!
//! Each map is sparse: an output is a short list of `(input index, weight)` plus a constant (a
//! convolution's output has kernel-size terms). The one value that is not exact in general is
//! batch normalisation's `1 / sqrt(var + eps)`: exact when `var + eps` is the square of a
//! rational, otherwise rounded to 53 significant bits (see [`super::roots`]) and the network
//! carries a note saying so.

use super::{at, Node, Res, Tensor};
use super::roots::{exact_sqrt, rounded_sqrt};
use crate::num::{from_f64_exact, Q};
use num_traits::{One, Signed, Zero};
use std::collections::HashMap;

/// A sparse affine map on flattened tensors.
pub(super) struct Sparse {
    /// Per output: `(input index, weight)` terms.
    pub rows: Vec<Vec<(usize, Q)>>,
    /// Per output: the constant.
    pub offset: Vec<Q>,
}

/// Row-major strides of a shape.
pub(super) fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Every multi-index of a shape, in row-major order.
pub(super) fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let total: usize = shape.iter().product();
    let st = strides(shape);
    (0..total).map(|flat| shape.iter().zip(&st).map(|(&n, &s)| (flat / s) % n.max(1)).collect()).collect()
}

pub(super) fn int_list(node: &Node, name: &str, len: usize, default: i64) -> Res<Vec<i64>> {
    match node.int_lists.get(name) {
        Some(v) if v.len() == len => Ok(v.clone()),
        Some(v) => Err(at(node, &format!("attribute `{name}` has {} values, expected {len}", v.len()))),
        None => Ok(vec![default; len]),
    }
}

pub(super) fn require_no_auto_pad(node: &Node) -> Res<()> {
    match node.strings.get("auto_pad").map(String::as_str) {
        None | Some("NOTSET") | Some("VALID") => Ok(()),
        Some(other) => Err(at(
            node,
            &format!("auto_pad {other} is not supported: export with explicit pads (PyTorch does)"),
        )),
    }
}

/// The spatial part of a `[C, S_1, ..., S_k]` shape, checked against a kernel of rank `k`.
pub(super) fn spatial<'s>(node: &Node, shape: &'s [usize], k: usize) -> Res<&'s [usize]> {
    if shape.len() != k + 1 {
        return Err(at(
            node,
            &format!("expects data of shape [channels, {k} spatial dims] (batch dropped), got {shape:?}"),
        ));
    }
    Ok(&shape[1..])
}

/// `floor((size + pads - dilation (kernel - 1) - 1) / stride) + 1`, when positive.
fn out_size(node: &Node, size: usize, pads: i64, kernel: usize, stride: i64, dilation: i64) -> Res<usize> {
    let reach = dilation * (kernel as i64 - 1) + 1;
    let span = size as i64 + pads - reach;
    if stride <= 0 || dilation <= 0 || span < 0 {
        return Err(at(node, "the kernel does not fit the (padded) input"));
    }
    Ok((span / stride + 1) as usize)
}

/// The flat offset (channel excluded) of the position `o stride - pad_begin + t dilation` on
/// every spatial axis, when it lies inside `sizes` (`strides`: the spatial axes' row-major
/// strides); `None` in the padding. Convolutions, pooling windows and transposed convolutions
/// all address their inputs or outputs this way.
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

/// `Conv` (1-D, 2-D or 3-D; strides, pads, dilations, groups) with a constant weight and bias.
pub(super) fn conv(
    node: &Node,
    shape: &[usize],
    w: &Tensor,
    bias: Option<&Tensor>,
) -> Res<(Sparse, Vec<usize>)> {
    require_no_auto_pad(node)?;
    if w.dims.len() < 3 {
        return Err(at(node, "the weight must have shape [out channels, in channels / group, kernel...]"));
    }
    let k = w.dims.len() - 2;
    let sizes = spatial(node, shape, k)?;
    let (m, cg, kernel) = (w.dims[0], w.dims[1], &w.dims[2..]);
    let group = node.ints.get("group").copied().unwrap_or(1);
    let c = shape[0];
    if group <= 0 || c as i64 != cg as i64 * group || m as i64 % group != 0 {
        return Err(at(
            node,
            &format!("{c} input channels do not match the weight {:?} with group {group}", w.dims),
        ));
    }
    let group = group as usize;
    let st = int_list(node, "strides", k, 1)?;
    let dil = int_list(node, "dilations", k, 1)?;
    let pads = int_list(node, "pads", 2 * k, 0)?;
    let outs: Vec<usize> = (0..k)
        .map(|i| out_size(node, sizes[i], pads[i] + pads[k + i], kernel[i], st[i], dil[i]))
        .collect::<Res<_>>()?;
    let in_strides = strides(shape);
    let w_strides = strides(&w.dims);
    let bias: Vec<Q> = match bias {
        Some(b) if b.values.len() == m => b.values.clone(),
        Some(_) => return Err(at(node, "the bias does not have one value per output channel")),
        None => vec![Q::zero(); m],
    };
    let kernel_points = indices(kernel);
    let mut out_shape = vec![m];
    out_shape.extend(&outs);
    let mut rows = Vec::with_capacity(out_shape.iter().product());
    let mut offset = Vec::with_capacity(rows.capacity());
    for (oc, channel_bias) in bias.iter().enumerate() {
        let g = oc / (m / group);
        for o in indices(&outs) {
            let mut row = Vec::new();
            for ci in 0..cg {
                let channel = g * cg + ci;
                for kk in &kernel_points {
                    let Some(at) = tap(&o, kk, &st, &pads, &dil, sizes, &in_strides[1..]) else { continue };
                    let flat = channel * in_strides[0] + at;
                    let at_w = oc * w_strides[0]
                        + ci * w_strides[1]
                        + kk.iter().zip(&w_strides[2..]).map(|(a, b)| a * b).sum::<usize>();
                    let weight = &w.values[at_w];
                    if !weight.is_zero() {
                        row.push((flat, weight.clone()));
                    }
                }
            }
            rows.push(row);
            offset.push(channel_bias.clone());
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
    /// The window of a pooling node (`kernel_shape`, `strides`, `pads`, `dilations` when
    /// `dilated`; `ceil_mode` 0), or the whole spatial extent for a global pooling.
    pub(super) fn of(node: &Node, shape: &[usize], global: bool, dilated: bool) -> Res<Window> {
        if shape.len() < 2 {
            return Err(at(node, &format!("expects data of shape [channels, spatial...], got {shape:?}")));
        }
        let k = shape.len() - 1;
        if global {
            return Ok(Window {
                kernel: shape[1..].to_vec(),
                strides: vec![1; k],
                pads: vec![0; 2 * k],
                dilations: vec![1; k],
            });
        }
        require_no_auto_pad(node)?;
        if node.ints.get("ceil_mode").copied().unwrap_or(0) != 0 {
            return Err(at(node, "ceil_mode = 1 is not supported"));
        }
        let kernel = node.int_lists.get("kernel_shape").ok_or_else(|| at(node, "missing kernel_shape"))?;
        if kernel.len() != k || kernel.iter().any(|&v| v <= 0) {
            return Err(at(node, "kernel_shape does not match the data"));
        }
        let dilations = if dilated { int_list(node, "dilations", k, 1)? } else { vec![1; k] };
        Ok(Window {
            kernel: kernel.iter().map(|&v| v as usize).collect(),
            strides: int_list(node, "strides", k, 1)?,
            pads: int_list(node, "pads", 2 * k, 0)?,
            dilations,
        })
    }

    /// For every output value (channel-major, then the output positions in row-major order),
    /// the flat indices of the input values its window covers (padding left out); with the
    /// output shape and the window's full size.
    pub(super) fn members(&self, node: &Node, shape: &[usize]) -> Res<(Vec<Vec<usize>>, Vec<usize>, usize)> {
        let k = shape.len() - 1;
        let sizes = &shape[1..];
        let (st, pads, dil) = (&self.strides, &self.pads, &self.dilations);
        let outs: Vec<usize> = (0..k)
            .map(|i| out_size(node, sizes[i], pads[i] + pads[k + i], self.kernel[i], st[i], dil[i]))
            .collect::<Res<_>>()?;
        let in_strides = strides(shape);
        let window = indices(&self.kernel);
        let mut out_shape = vec![shape[0]];
        out_shape.extend(&outs);
        let mut groups = Vec::new();
        for c in 0..shape[0] {
            for o in indices(&outs) {
                let mut members = Vec::new();
                for kk in &window {
                    if let Some(at) = tap(&o, kk, st, pads, dil, sizes, &in_strides[1..]) {
                        members.push(c * in_strides[0] + at);
                    }
                }
                groups.push(members);
            }
        }
        Ok((groups, out_shape, window.len()))
    }
}

/// `AveragePool` (`count_include_pad` as given, `ceil_mode` 0) and `GlobalAveragePool`.
pub(super) fn average_pool(node: &Node, shape: &[usize], global: bool) -> Res<(Sparse, Vec<usize>)> {
    let (groups, out_shape, size) = Window::of(node, shape, global, false)?.members(node, shape)?;
    let include_pad = node.ints.get("count_include_pad").copied().unwrap_or(0) != 0;
    let rows: Vec<Vec<(usize, Q)>> = groups
        .into_iter()
        .map(|members| {
            let count = if include_pad { size } else { members.len() };
            let weight = Q::new(1.into(), (count.max(1) as i64).into());
            members.into_iter().map(|f| (f, weight.clone())).collect()
        })
        .collect();
    let offset = vec![Q::zero(); rows.len()];
    Ok((Sparse { rows, offset }, out_shape))
}

/// `Pad` in constant mode (`pads` include the batch axis, whose pads must be 0).
pub(super) fn pad(node: &Node, shape: &[usize], pads: &[i64], value: Q) -> Res<(Sparse, Vec<usize>)> {
    if node.strings.get("mode").is_some_and(|m| m != "constant") {
        return Err(at(node, "only constant padding is supported"));
    }
    let rank = shape.len() + 1;
    if pads.len() != 2 * rank || pads[0] != 0 || pads[rank] != 0 || pads.iter().any(|&p| p < 0) {
        return Err(at(node, &format!("pads {pads:?} do not fit data of shape [batch] + {shape:?}")));
    }
    let before: Vec<usize> = pads[1..rank].iter().map(|&p| p as usize).collect();
    let after: Vec<usize> = pads[rank + 1..].iter().map(|&p| p as usize).collect();
    let out_shape: Vec<usize> = (0..shape.len()).map(|i| shape[i] + before[i] + after[i]).collect();
    let in_strides = strides(shape);
    let (mut rows, mut offset) = (Vec::new(), Vec::new());
    for o in indices(&out_shape) {
        let source: Option<usize> = (0..shape.len())
            .map(|i| o[i].checked_sub(before[i]).filter(|&p| p < shape[i]).map(|p| p * in_strides[i]))
            .sum();
        match source {
            Some(flat) => {
                rows.push(vec![(flat, Q::one())]);
                offset.push(Q::zero());
            }
            None => {
                rows.push(Vec::new());
                offset.push(value.clone());
            }
        }
    }
    Ok((Sparse { rows, offset }, out_shape))
}

/// `Transpose` with a permutation that keeps the batch axis first.
pub(super) fn transpose(node: &Node, shape: &[usize]) -> Res<(Sparse, Vec<usize>)> {
    let rank = shape.len() + 1;
    let perm: Vec<i64> =
        node.int_lists.get("perm").cloned().unwrap_or_else(|| (0..rank as i64).rev().collect());
    let mut seen = vec![false; rank];
    let valid = perm.len() == rank
        && perm
            .iter()
            .all(|&p| p >= 0 && (p as usize) < rank && !std::mem::replace(&mut seen[p as usize], true));
    if !valid || perm[0] != 0 {
        return Err(at(node, &format!("permutation {perm:?} must keep the batch axis first")));
    }
    let axes: Vec<usize> = perm[1..].iter().map(|&p| p as usize - 1).collect();
    let out_shape: Vec<usize> = axes.iter().map(|&a| shape[a]).collect();
    let in_strides = strides(shape);
    let rows: Vec<Vec<(usize, Q)>> = indices(&out_shape)
        .into_iter()
        .map(|o| vec![(o.iter().zip(&axes).map(|(&v, &a)| v * in_strides[a]).sum(), Q::one())])
        .collect();
    let offset = vec![Q::zero(); rows.len()];
    Ok((Sparse { rows, offset }, out_shape))
}

/// A constant broadcast (numpy rules, the batch axis dropped) to the data's shape, flattened.
pub(super) fn broadcast_to(node: &Node, t: &Tensor, shape: &[usize]) -> Res<Vec<Q>> {
    let width: usize = shape.iter().product();
    if t.values.len() == 1 {
        return Ok(vec![t.values[0].clone(); width]);
    }
    let mut dims = t.dims.clone();
    while dims.len() > shape.len() && dims.first() == Some(&1) {
        dims.remove(0);
    }
    if dims.len() > shape.len() {
        return Err(at(
            node,
            &format!("constant of shape {:?} does not broadcast to the data's {shape:?}", t.dims),
        ));
    }
    let lead = shape.len() - dims.len();
    let full: Vec<usize> = (0..shape.len()).map(|i| if i < lead { 1 } else { dims[i - lead] }).collect();
    if full.iter().zip(shape).any(|(&d, &s)| d != 1 && d != s) {
        // a flat constant of the data's width (a vector after Flatten)
        if t.values.len() == width {
            return Ok(t.values.clone());
        }
        return Err(at(
            node,
            &format!("constant of shape {:?} does not broadcast to the data's {shape:?}", t.dims),
        ));
    }
    let t_strides = strides(&full);
    Ok(indices(shape)
        .into_iter()
        .map(|o| {
            let flat: usize = o
                .iter()
                .zip(&full)
                .zip(&t_strides)
                .map(|((&v, &d), &s)| if d == 1 { 0 } else { v * s })
                .sum();
            t.values[flat].clone()
        })
        .collect())
}

/// `BatchNormalization` in inference mode: per channel (axis 0 of the data) `y = s x + t` with
/// `s = scale / sqrt(var + eps)`, `t = bias - mean s`. Returns the scale and shift per element
/// and, when a square root was not exact, the note to carry.
pub(super) fn batch_norm(
    node: &Node,
    shape: &[usize],
    params: [&Tensor; 4],
) -> Res<(Vec<Q>, Vec<Q>, Option<String>)> {
    if node.ints.get("training_mode").copied().unwrap_or(0) != 0 {
        return Err(at(node, "training_mode = 1: export the model in eval mode"));
    }
    let channels = *shape.first().ok_or_else(|| at(node, "data without a channel axis"))?;
    let [scale, bias, mean, var] = params;
    if [scale, bias, mean, var].iter().any(|t| t.values.len() != channels) {
        return Err(at(node, &format!("its parameters do not have one value per channel ({channels})")));
    }
    // ONNX's default epsilon is the float32 nearest 1e-5
    let eps = match node.floats.get("epsilon") {
        Some(e) => e.clone(),
        None => from_f64_exact(f64::from(1e-5f32)).ok_or_else(|| at(node, "bad epsilon"))?,
    };
    let mut rounded = 0;
    let per_channel: Vec<(Q, Q)> = (0..channels)
        .map(|c| {
            let v = &var.values[c] + &eps;
            if !v.is_positive() {
                return Err(at(node, "var + epsilon is not positive"));
            }
            let root = exact_sqrt(&v).unwrap_or_else(|| {
                rounded += 1;
                rounded_sqrt(&v)
            });
            let s = &scale.values[c] / root;
            let t = &bias.values[c] - &mean.values[c] * &s;
            Ok((s, t))
        })
        .collect::<Res<_>>()?;
    let block: usize = shape[1..].iter().product();
    let (s, t): (Vec<Q>, Vec<Q>) =
        per_channel.iter().flat_map(|(s, t)| std::iter::repeat_n((s.clone(), t.clone()), block)).unzip();
    let note = (rounded > 0).then(|| {
        format!(
            "BatchNormalization `{}`: sqrt(var + eps) is irrational in {rounded} of {channels} channels; there it was rounded to the nearest number with a 53-bit significand (float64's precision at any exponent, relative error below 2^-53, always positive; the only approximation in this network)",
            node.name
        )
    });
    Ok((s, t, note))
}

/// The axes of `Squeeze`/`Unsqueeze` (attribute before opset 13, input after).
pub(super) fn squeeze_axes(node: &Node, constants: &HashMap<String, Tensor>) -> Option<Vec<i64>> {
    node.int_lists.get("axes").cloned().or_else(|| {
        let t = constants.get(node.inputs.get(1)?)?;
        Some(t.values.iter().map(|v| v.to_integer().try_into().unwrap_or(0)).collect())
    })
}

/// The shape after `Reshape` to `target` (which includes the batch axis: 0 copies an axis, -1
/// is inferred).
pub(super) fn reshape(node: &Node, shape: &[usize], target: &Tensor) -> Res<Vec<usize>> {
    let width: usize = shape.iter().product();
    let t: Vec<i64> = target.values.iter().map(|v| v.to_integer().try_into().unwrap_or(i64::MIN)).collect();
    if t.is_empty() {
        return Err(at(node, "empty target shape"));
    }
    let full: Vec<usize> = std::iter::once(1).chain(shape.iter().copied()).collect();
    let mut dims: Vec<i64> = t
        .iter()
        .enumerate()
        .map(|(i, &v)| if v == 0 { full.get(i).map_or(1, |&d| d as i64) } else { v })
        .collect();
    let known: i64 = dims.iter().filter(|&&v| v > 0).product();
    if dims.iter().filter(|&&v| v == -1).count() > 1 || dims.iter().any(|&v| v < -1) || known == 0 {
        return Err(at(node, &format!("target shape {t:?} is not supported")));
    }
    if let Some(slot) = dims.iter_mut().find(|v| **v == -1) {
        *slot = width as i64 / known;
    }
    let rest: Vec<usize> =
        if dims.len() > 1 { dims[1..].iter().map(|&v| v as usize).collect() } else { vec![width] };
    if dims[0] != 1 && dims.len() > 1 || rest.iter().product::<usize>() != width {
        return Err(at(node, &format!("target shape {t:?} does not hold the {width} values of one sample")));
    }
    Ok(rest)
}

pub(super) fn check_width(node: &Node, want: usize, have: usize) -> Res<()> {
    if want == have {
        Ok(())
    } else {
        Err(at(node, &format!("weight expects {want} inputs but the data has width {have}")))
    }
}

pub(super) fn matrix(t: &Tensor, node: &Node) -> Res<Vec<Vec<Q>>> {
    let dims: Vec<usize> = t.dims.iter().copied().filter(|&d| d != 1).collect();
    let (rows, cols) = match (t.dims.len(), dims.as_slice()) {
        (2, _) => (t.dims[0], t.dims[1]),
        (_, [r, c]) => (*r, *c),
        _ => return Err(at(node, &format!("expected a matrix constant, got shape {:?}", t.dims))),
    };
    Ok(t.values.chunks(cols.max(1)).take(rows).map(<[Q]>::to_vec).collect())
}

pub(super) fn transposed_matrix(m: &[Vec<Q>]) -> Vec<Vec<Q>> {
    let cols = m.first().map_or(0, Vec::len);
    (0..cols).map(|j| m.iter().map(|row| row[j].clone()).collect()).collect()
}

pub(super) fn broadcast(t: &Tensor, n: usize, node: &Node) -> Res<Vec<Q>> {
    match t.values.len() {
        1 => Ok(vec![t.values[0].clone(); n]),
        len if len == n => Ok(t.values.clone()),
        len => Err(at(node, &format!("constant has {len} values, cannot broadcast to width {n}"))),
    }
}
