//! Shapes on the data path, every axis kept: the first axis is an axis like the others (a batch
//! of one sample or not), so a model's tensors have the shapes ONNX gives them. Index helpers
//! (row-major strides, numpy broadcasting) and the operators that only move, repeat or pad
//! values: `Flatten`, `Reshape`, `Squeeze`, `Unsqueeze`, `Transpose`, `Pad`. Every new shape is
//! checked against [`MAX_TENSOR_VALUES`](crate::network::limits::MAX_TENSOR_VALUES) before
//! anything of its size is made.

use super::build::{constant_input, Builder, Constants};
use super::lower::Sparse;
use super::{Node, Res, Tensor};
use crate::exact::num::Q;
use crate::network::limits::{axis_value, tensor_values, MAX_ATTRIBUTE_INTS, MAX_RANK};
use num_traits::{One, Signed, ToPrimitive, Zero};

/// Row-major strides of a shape.
pub(super) fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Calls `f` with every multi-index of a shape, in row-major order, without storing them.
pub(super) fn each_position(shape: &[usize], mut f: impl FnMut(&[usize])) {
    let total: usize = shape.iter().product();
    let mut position = vec![0usize; shape.len()];
    for _ in 0..total {
        f(&position);
        for i in (0..shape.len()).rev() {
            position[i] += 1;
            if position[i] < shape[i] {
                break;
            }
            position[i] = 0;
        }
    }
}

/// An axis `-rank..rank` of a tensor of `rank` axes, counted from the end when negative.
pub(super) fn axis(a: i64, rank: usize) -> Res<usize> {
    let r = rank as i64;
    let v = if a < 0 { a + r } else { a };
    usize::try_from(v)
        .ok()
        .filter(|&v| v < rank)
        .ok_or_else(|| format!("axis {a} is outside the {rank} axes of the data"))
}

/// A shape checked: at most [`MAX_RANK`] axes, no empty axis, at most `MAX_TENSOR_VALUES`
/// values.
pub(super) fn checked(shape: Vec<usize>) -> Res<Vec<usize>> {
    if shape.len() > MAX_RANK {
        return Err(format!("a tensor of {} axes: at most {MAX_RANK} are supported (MAX_RANK)", shape.len()));
    }
    if shape.contains(&0) {
        return Err(format!("a tensor of shape {shape:?} has no values"));
    }
    tensor_values(&shape)?;
    Ok(shape)
}

/// The integers of a constant (shapes, axes, pads), each a 64-bit integer.
pub(super) fn ints_of(t: &Tensor, what: &str) -> Res<Vec<i64>> {
    if t.values.len() > MAX_ATTRIBUTE_INTS {
        return Err(format!(
            "{what} has {} values (at most {MAX_ATTRIBUTE_INTS}: MAX_ATTRIBUTE_INTS)",
            t.values.len()
        ));
    }
    t.values
        .iter()
        .map(|v| v.is_integer().then(|| v.to_integer().to_i64()).flatten())
        .collect::<Option<Vec<i64>>>()
        .ok_or_else(|| format!("{what} holds a value that is not a 64-bit integer"))
}

/// The shape numpy broadcasting gives two shapes (aligned at their last axes; an axis of 1
/// repeats), `None` when they do not broadcast.
pub(super) fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let at = |s: &[usize], i: usize| if i + s.len() >= rank { s[i + s.len() - rank] } else { 1 };
    (0..rank)
        .map(|i| match (at(a, i), at(b, i)) {
            (x, y) if x == y || y == 1 => Some(x),
            (1, y) => Some(y),
            _ => None,
        })
        .collect()
}

/// For every value of `to` (row-major), the flat index of the value of `from` broadcasting
/// reads (`from` broadcasts to `to`: aligned at the last axes, its axes of 1 repeated).
pub(super) fn broadcast_index(from: &[usize], to: &[usize]) -> Vec<usize> {
    let lead = to.len() - from.len();
    let from_strides = strides(from);
    // per axis of `to`, the step in `from` (0 where `from` repeats)
    let step: Vec<usize> = (0..to.len())
        .map(|i| if i < lead || from[i - lead] == 1 { 0 } else { from_strides[i - lead] })
        .collect();
    let total: usize = to.iter().product();
    let mut out = Vec::with_capacity(total);
    let mut position = vec![0usize; to.len()];
    let mut flat = 0usize;
    for _ in 0..total {
        out.push(flat);
        // the next position, odometer-wise
        for i in (0..to.len()).rev() {
            position[i] += 1;
            flat += step[i];
            if position[i] < to[i] {
                break;
            }
            flat -= step[i] * position[i];
            position[i] = 0;
        }
    }
    out
}

/// `Flatten`: the axes before `axis` (default 1) and from it on, each as one axis.
pub(super) fn flatten(node: &Node, shape: &[usize]) -> Res<Vec<usize>> {
    let rank = shape.len() as i64;
    let a = node.ints.get("axis").copied().unwrap_or(1);
    let a = if a < 0 { a + rank } else { a };
    let a = usize::try_from(a).ok().filter(|&a| a <= shape.len()).ok_or_else(|| {
        format!("axis {} is outside 0..={rank}", node.ints.get("axis").copied().unwrap_or(1))
    })?;
    Ok(vec![shape[..a].iter().product(), shape[a..].iter().product()])
}

/// `Reshape` to the constant `target` (`0` copies the axis, unless `allowzero`; `-1` is
/// inferred).
pub(super) fn reshape(node: &Node, shape: &[usize], target: &Tensor) -> Res<Vec<usize>> {
    let width: usize = shape.iter().product();
    let t = ints_of(target, "the target shape")?;
    let allow_zero = node.ints.get("allowzero").copied().unwrap_or(0) != 0;
    let mut dims = Vec::with_capacity(t.len());
    let mut infer = None;
    for (i, &v) in t.iter().enumerate() {
        match v {
            0 if !allow_zero => dims
                .push(*shape.get(i).ok_or_else(|| format!("target {t:?}: 0 copies an axis the data lacks"))?),
            -1 if infer.is_none() => {
                infer = Some(i);
                dims.push(1);
            }
            v if v > 0 => dims.push(axis_value(v, "a target dimension")? as usize),
            _ => return Err(format!("target shape {t:?} is not supported")),
        }
    }
    let known = tensor_values(&dims)?;
    if let Some(i) = infer {
        if width % known != 0 {
            return Err(format!("target shape {t:?} does not hold the {width} values of shape {shape:?}"));
        }
        dims[i] = width / known;
    }
    if tensor_values(&dims)? != width {
        return Err(format!("target shape {t:?} does not hold the {width} values of shape {shape:?}"));
    }
    checked(dims)
}

/// The axes of `Squeeze`/`Unsqueeze`/`Reduce*`: the attribute (older opsets) or input 1
/// (`None` when neither is given).
pub(super) fn axes_of(node: &Node, constants: &Constants) -> Res<Option<Vec<i64>>> {
    if let Some(a) = node.int_lists.get("axes") {
        return Ok(Some(a.clone()));
    }
    match node.inputs.get(1).filter(|s| !s.is_empty()) {
        Some(_) => Ok(Some(ints_of(constant_input(node, constants, 1, "the axes")?, "the axes")?)),
        None => Ok(None),
    }
}

/// `Squeeze`: the given axes (each of size 1) removed, or every axis of size 1.
pub(super) fn squeeze(node: &Node, shape: &[usize], constants: &Constants) -> Res<Vec<usize>> {
    squeezed(shape, axes_of(node, constants)?.as_deref())
}

/// `shape` without the given axes (each of size 1), or without every axis of size 1 when none
/// (or an empty list) is given.
pub(super) fn squeezed(shape: &[usize], axes: Option<&[i64]>) -> Res<Vec<usize>> {
    match axes {
        Some(axes) if !axes.is_empty() => {
            let axes = axes.iter().map(|&a| axis(a, shape.len())).collect::<Res<Vec<usize>>>()?;
            if let Some(&a) = axes.iter().find(|&&a| shape[a] != 1) {
                return Err(format!("axis {a} of shape {shape:?} is not of size 1"));
            }
            Ok(shape.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect())
        }
        _ => Ok(shape.iter().copied().filter(|&d| d != 1).collect()),
    }
}

/// `Unsqueeze`: axes of size 1 inserted at the given places of the output.
pub(super) fn unsqueeze(node: &Node, shape: &[usize], constants: &Constants) -> Res<Vec<usize>> {
    checked(unsqueezed(shape, &axes_of(node, constants)?.ok_or("missing the axes")?)?)
}

/// `shape` with axes of size 1 at the places `axes` of the result (negative: from the end).
pub(super) fn unsqueezed(shape: &[usize], axes: &[i64]) -> Res<Vec<usize>> {
    let rank = shape.len() + axes.len();
    if rank > MAX_RANK {
        return Err(format!("a tensor of {rank} axes: at most {MAX_RANK} are supported (MAX_RANK)"));
    }
    let mut places = axes.iter().map(|&a| axis(a, rank)).collect::<Res<Vec<usize>>>()?;
    places.sort_unstable();
    if places.windows(2).any(|w| w[0] == w[1]) {
        return Err(format!("axes {axes:?} repeat an axis"));
    }
    let mut rest = shape.iter();
    Ok((0..rank).map(|i| if places.contains(&i) { 1 } else { *rest.next().expect("rank") }).collect())
}

/// `Transpose` by `perm` (reversed axes by default).
pub(super) fn transpose(node: &Node, shape: &[usize]) -> Res<(Sparse, Vec<usize>)> {
    let rank = shape.len();
    let perm: Vec<i64> =
        node.int_lists.get("perm").cloned().unwrap_or_else(|| (0..rank as i64).rev().collect());
    let mut sorted = perm.clone();
    sorted.sort_unstable();
    if sorted != (0..rank as i64).collect::<Vec<_>>() {
        return Err(format!("perm {perm:?} is not a permutation of the {rank} axes of the data"));
    }
    let axes: Vec<usize> = perm.iter().map(|&p| p as usize).collect();
    let out_shape: Vec<usize> = axes.iter().map(|&a| shape[a]).collect();
    // the output read in its order is the input read with the permuted strides
    let in_strides = strides(shape);
    let permuted: Vec<usize> = axes.iter().map(|&a| in_strides[a]).collect();
    let mut rows = Vec::with_capacity(tensor_values(&out_shape)?);
    each_position(&out_shape, |o| {
        rows.push(vec![(o.iter().zip(&permuted).map(|(v, s)| v * s).sum(), Q::one())])
    });
    let offset = vec![Q::zero(); rows.len()];
    Ok((Sparse { rows, offset }, out_shape))
}

/// Where a padded position `i` (in `-before..size + after`) reads for a padding `mode`: `None`
/// for the constant.
fn pad_source(mode: &str, i: i64, size: i64) -> Option<i64> {
    match mode {
        "edge" => Some(i.clamp(0, size - 1)),
        "wrap" => Some(i.rem_euclid(size)),
        "reflect" if size == 1 => Some(0),
        "reflect" => {
            let j = i.rem_euclid(2 * (size - 1));
            Some(if j >= size { 2 * (size - 1) - j } else { j })
        }
        _ => (0..size).contains(&i).then_some(i),
    }
}

/// `Pad`: `pads` (attribute, or input 1 from opset 11; begins then ends, for every axis or for
/// the `axes` of input 3), the constant (input 2 or attribute `value`, default 0) and `mode`
/// (`constant`, `edge`, `reflect`, `wrap`, as numpy pads; negative pads are refused as numpy
/// does).
pub(super) fn pad(node: &Node, constants: &Constants, net: &mut Builder) -> Res<()> {
    let shape = net.shape.clone();
    let rank = shape.len();
    let mode = node.strings.get("mode").map_or("constant", String::as_str);
    if !["constant", "edge", "reflect", "wrap"].contains(&mode) {
        return Err(format!("padding mode `{mode}` is not supported (constant, edge, reflect, wrap)"));
    }
    let pads: Vec<i64> = match node.int_lists.get("pads") {
        Some(p) => p.clone(),
        None => ints_of(constant_input(node, constants, 1, "the pads")?, "the pads")?,
    };
    let axes: Vec<usize> = match node.inputs.get(3).filter(|s| !s.is_empty()) {
        Some(_) => ints_of(constant_input(node, constants, 3, "the axes")?, "the axes")?
            .iter()
            .map(|&a| axis(a, rank))
            .collect::<Res<_>>()?,
        None => (0..rank).collect(),
    };
    if pads.len() != 2 * axes.len() {
        return Err(format!("{} pads for {} axes of data of shape {shape:?}", pads.len(), axes.len()));
    }
    let (mut before, mut after) = (vec![0i64; rank], vec![0i64; rank]);
    for (k, &a) in axes.iter().enumerate() {
        before[a] = axis_value(pads[k], "a pad")?;
        after[a] = axis_value(pads[axes.len() + k], "a pad")?;
    }
    if before.iter().chain(&after).any(|p| p.is_negative()) {
        return Err(format!("pads {pads:?}: negative pads are not supported"));
    }
    let out_shape: Vec<usize> = (0..rank).map(|i| shape[i] + (before[i] + after[i]) as usize).collect();
    let out_shape = checked(out_shape)?;
    let value = match node.inputs.get(2).filter(|s| !s.is_empty()) {
        Some(_) => match constant_input(node, constants, 2, "the value")?.values.as_slice() {
            [v] => v.clone(),
            [] => Q::zero(),
            values => return Err(format!("the value has {} values, not one", values.len())),
        },
        None => node.floats.get("value").cloned().unwrap_or_default(),
    };
    let in_strides = strides(&shape);
    let (mut rows, mut offset) = (Vec::new(), Vec::new());
    each_position(&out_shape, |o| {
        let source: Option<usize> = (0..rank)
            .map(|i| {
                pad_source(mode, o[i] as i64 - before[i], shape[i] as i64).map(|p| p as usize * in_strides[i])
            })
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
    });
    net.nonneg = net.nonneg && (mode != "constant" || !value.is_negative());
    net.apply_sparse(&Sparse { rows, offset }, out_shape)
}
