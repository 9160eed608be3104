//! Shape arithmetic folded to constants. PyTorch's legacy exporter computes some reshape targets
//! at run time (`nn.Unflatten`, `x.view(x.size(0), ...)`): `Shape` of a data tensor, then
//! `Slice`, `Gather`, `Concat`, `Unsqueeze`, `Cast` and integer `Add`/`Sub`/`Mul`/`Div`/`Mod` on
//! the result; from opset 11 it computes `Pad`'s pads from the Python list (`ConstantOfShape`,
//! `Concat`, `Reshape` to pairs, a reversing `Slice`, `Transpose`, `Reshape`, `Cast`). The
//! data's shape is known while the graph is built (one sample, batch 1), so these nodes are
//! evaluated exactly into constants; the data path never passes through them.

use super::{at, Node, Res, Tensor};
use crate::num::Q;
use std::collections::HashMap;

/// Evaluates `node` when it computes a constant: every input a constant, or a `Shape` of a
/// tensor whose shape `shape_of` knows. `None` when the node is not such a computation.
pub(super) fn fold(
    node: &Node,
    constants: &HashMap<String, Tensor>,
    shape_of: impl Fn(&str) -> Option<Vec<usize>>,
) -> Option<Res<Tensor>> {
    if node.op == "Shape" {
        let shape = shape_of(node.inputs.first()?)?;
        let full: Vec<i64> = std::iter::once(1).chain(shape.iter().map(|&d| d as i64)).collect();
        let rank = full.len() as i64;
        let clamp = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
        let start = clamp(node.ints.get("start").copied().unwrap_or(0));
        let end = clamp(node.ints.get("end").copied().unwrap_or(rank));
        return Some(Ok(ints(&full[start..end.max(start)])));
    }
    const FOLDED: [&str; 14] = [
        "ConstantOfShape",
        "Transpose",
        "Slice",
        "Gather",
        "Concat",
        "Unsqueeze",
        "Squeeze",
        "Cast",
        "Add",
        "Sub",
        "Mul",
        "Div",
        "Mod",
        "Reshape",
    ];
    if !FOLDED.contains(&node.op.as_str()) || node.inputs.is_empty() {
        return None;
    }
    let inputs: Option<Vec<&Tensor>> =
        node.inputs.iter().filter(|n| !n.is_empty()).map(|n| constants.get(n)).collect();
    let inputs = inputs?;
    Some(evaluate(node, &inputs))
}

fn ints(v: &[i64]) -> Tensor {
    Tensor { dims: vec![v.len()], values: v.iter().map(|&x| Q::from_integer(x.into())).collect() }
}

fn as_ints(node: &Node, t: &Tensor) -> Res<Vec<i64>> {
    t.values
        .iter()
        .map(|v| {
            v.is_integer()
                .then(|| i64::try_from(v.to_integer()).ok())
                .flatten()
                .ok_or_else(|| at(node, "shape arithmetic on a value that is not a 64-bit integer"))
        })
        .collect()
}

fn evaluate(node: &Node, inputs: &[&Tensor]) -> Res<Tensor> {
    let first = inputs[0];
    match node.op.as_str() {
        "Cast" => Ok(first.clone()),
        "ConstantOfShape" => constant_of_shape(node, first),
        "Transpose" => transpose(node, first),
        "Reshape" => reshape(node, first, inputs.get(1).ok_or_else(|| at(node, "missing the shape"))?),
        "Unsqueeze" | "Squeeze" => {
            // a constant keeps its values; only 1-D shape vectors and scalars occur here
            Ok(Tensor { dims: vec![first.values.len()], values: first.values.clone() })
        }
        "Concat" => {
            if inputs.iter().any(|t| t.dims.len() > 1) {
                return Err(at(node, "folds only 1-D shape vectors"));
            }
            let values: Vec<Q> = inputs.iter().flat_map(|t| t.values.iter().cloned()).collect();
            Ok(Tensor { dims: vec![values.len()], values })
        }
        "Gather" => {
            let indices = as_ints(node, inputs.get(1).ok_or_else(|| at(node, "missing indices"))?)?;
            let n = first.values.len() as i64;
            let picked: Res<Vec<Q>> = indices
                .iter()
                .map(|&i| {
                    let i = if i < 0 { i + n } else { i };
                    first
                        .values
                        .get(usize::try_from(i).ok().filter(|_| i < n).unwrap_or(usize::MAX))
                        .cloned()
                        .ok_or_else(|| at(node, &format!("index {i} out of {n} values")))
                })
                .collect();
            let picked = picked?;
            let dims = inputs[1].dims.clone();
            Ok(Tensor { dims, values: picked })
        }
        "Slice" => slice(node, inputs),
        _ => arithmetic(node, inputs),
    }
}

/// The most values a folded constant may have (shape arithmetic is small).
const MAX_FOLDED: usize = 1 << 20;

/// The dims of a constant (a scalar as one value).
fn dims_of(t: &Tensor) -> Vec<usize> {
    if t.dims.is_empty() {
        vec![t.values.len()]
    } else {
        t.dims.clone()
    }
}

/// The step in the flat values along each axis.
fn row_major_strides(dims: &[usize]) -> Vec<usize> {
    let mut strides = vec![1usize; dims.len()];
    for a in (0..dims.len().saturating_sub(1)).rev() {
        strides[a] = strides[a + 1] * dims[a + 1];
    }
    strides
}

/// The values of `t` at the indices `keep[axis]` along each axis, in row-major order.
fn select(t: &Tensor, keep: &[Vec<usize>]) -> Tensor {
    let dims = dims_of(t);
    let strides = row_major_strides(&dims);
    let mut flat = vec![0usize];
    for (axis, idx) in keep.iter().enumerate() {
        let stride = strides[axis];
        flat = flat.iter().flat_map(|base| idx.iter().map(move |i| base + i * stride)).collect();
    }
    Tensor {
        dims: keep.iter().map(Vec::len).collect(),
        values: flat.iter().map(|&k| t.values[k].clone()).collect(),
    }
}

/// `ConstantOfShape`: the `value` attribute (one value, 0 when absent) repeated to the shape.
fn constant_of_shape(node: &Node, shape: &Tensor) -> Res<Tensor> {
    let dims: Vec<usize> = as_ints(node, shape)?
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| at(node, "a negative dimension")))
        .collect::<Res<_>>()?;
    let n = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).filter(|&n| n <= MAX_FOLDED);
    let n = n.ok_or_else(|| at(node, "folds only small constants"))?;
    let value = node.tensors.get("value").and_then(|t| t.values.first().cloned()).unwrap_or_default();
    Ok(Tensor { dims, values: vec![value; n] })
}

/// `Transpose` of a constant (`perm`, reversed axes by default).
fn transpose(node: &Node, t: &Tensor) -> Res<Tensor> {
    let dims = dims_of(t);
    let perm: Vec<usize> = match node.int_lists.get("perm") {
        Some(p) => p.iter().map(|&a| usize::try_from(a).unwrap_or(usize::MAX)).collect(),
        None => (0..dims.len()).rev().collect(),
    };
    let mut sorted = perm.clone();
    sorted.sort_unstable();
    if sorted != (0..dims.len()).collect::<Vec<_>>() {
        return Err(at(node, "perm is not a permutation of the axes"));
    }
    let strides = row_major_strides(&dims);
    // output axis j runs along input axis perm[j]
    let mut flat = vec![0usize];
    for &a in &perm {
        let stride = strides[a];
        flat = flat.iter().flat_map(|base| (0..dims[a]).map(move |i| base + i * stride)).collect();
    }
    Ok(Tensor {
        dims: perm.iter().map(|&a| dims[a]).collect(),
        values: flat.iter().map(|&k| t.values[k].clone()).collect(),
    })
}

/// `Reshape` of a constant: the same values, the target's dims (`0` copies a dim, `-1` is
/// inferred).
fn reshape(node: &Node, t: &Tensor, target: &Tensor) -> Res<Tensor> {
    let dims = dims_of(t);
    let target = as_ints(node, target)?;
    let n = t.values.len();
    let mut out = Vec::with_capacity(target.len());
    let mut infer = None;
    for (i, &v) in target.iter().enumerate() {
        match v {
            0 => out.push(dims.get(i).copied().ok_or_else(|| at(node, "0 copies a dim the input lacks"))?),
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            v => out.push(usize::try_from(v).map_err(|_| at(node, "a negative dimension"))?),
        }
    }
    let known: usize = out.iter().product();
    if let Some(i) = infer {
        if known == 0 || n % known != 0 {
            return Err(at(node, "cannot infer the dimension -1"));
        }
        out[i] = n / known;
    }
    if out.iter().product::<usize>() != n {
        return Err(at(node, &format!("cannot reshape {n} values to {out:?}")));
    }
    Ok(Tensor { dims: out, values: t.values.clone() })
}

/// `Slice` of a constant: starts, ends, axes and steps as inputs (opset 10 and later) or
/// attributes (opset 9), any axes, any nonzero steps, with ONNX's clamping of the bounds.
fn slice(node: &Node, inputs: &[&Tensor]) -> Res<Tensor> {
    let data = inputs[0];
    let dims = dims_of(data);
    let list = |k: usize, attr: &str| -> Res<Option<Vec<i64>>> {
        match inputs.get(k) {
            Some(t) => Ok(Some(as_ints(node, t)?)),
            None => Ok(node.int_lists.get(attr).cloned()),
        }
    };
    let starts = list(1, "starts")?.ok_or_else(|| at(node, "missing starts"))?;
    let ends = list(2, "ends")?.ok_or_else(|| at(node, "missing ends"))?;
    let axes = list(3, "axes")?.unwrap_or_else(|| (0..starts.len() as i64).collect());
    let steps = list(4, "steps")?.unwrap_or_else(|| vec![1; starts.len()]);
    if [ends.len(), axes.len(), steps.len()].iter().any(|&l| l != starts.len()) {
        return Err(at(node, "starts, ends, axes and steps differ in length"));
    }
    let rank = dims.len() as i64;
    let mut keep: Vec<Vec<usize>> = dims.iter().map(|&d| (0..d).collect()).collect();
    for i in 0..starts.len() {
        let axis = if axes[i] < 0 { axes[i] + rank } else { axes[i] };
        let axis = usize::try_from(axis).ok().filter(|&a| a < dims.len());
        let axis = axis.ok_or_else(|| at(node, "an axis out of range"))?;
        let (d, step) = (dims[axis] as i64, steps[i]);
        let adjust = |v: i64| if v < 0 { v.saturating_add(d) } else { v };
        let (start, end) = match step.cmp(&0) {
            std::cmp::Ordering::Greater => (adjust(starts[i]).clamp(0, d), adjust(ends[i]).clamp(0, d)),
            std::cmp::Ordering::Less => (adjust(starts[i]).clamp(0, d - 1), adjust(ends[i]).clamp(-1, d - 1)),
            std::cmp::Ordering::Equal => return Err(at(node, "a step of 0")),
        };
        let mut idx = Vec::new();
        let mut k = start;
        while (step > 0 && k < end) || (step < 0 && k > end) {
            idx.push(k as usize);
            k += step;
        }
        keep[axis] = idx;
    }
    Ok(select(data, &keep))
}

/// Integer `Add`/`Sub`/`Mul`/`Div`/`Mod` of two constants, one of them possibly a single value.
fn arithmetic(node: &Node, inputs: &[&Tensor]) -> Res<Tensor> {
    let (a, b) = match inputs {
        [a, b] => (*a, *b),
        _ => return Err(at(node, "expects two operands")),
    };
    let (x, y) = (as_ints(node, a)?, as_ints(node, b)?);
    let n = x.len().max(y.len());
    if !(x.len() == n || x.len() == 1) || !(y.len() == n || y.len() == 1) {
        return Err(at(node, "operands of different lengths"));
    }
    let get = |v: &[i64], i: usize| if v.len() == 1 { v[0] } else { v[i] };
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (p, q) = (get(&x, i), get(&y, i));
        let v = match node.op.as_str() {
            "Add" => p.checked_add(q),
            "Sub" => p.checked_sub(q),
            "Mul" => p.checked_mul(q),
            // integer and float division agree only when exact (constants carry no type here)
            "Div" if q != 0 && p % q == 0 => Some(p / q),
            // Mod takes the divisor's sign (fmod = 0, integers only in ONNX)
            "Mod" if q != 0 => Some(((p % q) + q) % q),
            _ => None,
        };
        out.push(v.ok_or_else(|| at(node, &format!("cannot fold {p} {} {q}", node.op)))?);
    }
    let dims = if a.values.len() >= b.values.len() { a.dims.clone() } else { b.dims.clone() };
    let mut t = ints(&out);
    if dims.iter().product::<usize>() == out.len() {
        t.dims = dims;
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(dims: &[usize], values: &[i64]) -> Tensor {
        Tensor { dims: dims.to_vec(), values: values.iter().map(|&v| Q::from_integer(v.into())).collect() }
    }

    fn node(op: &str, int_lists: &[(&str, &[i64])]) -> Node {
        let int_lists = int_lists.iter().map(|(k, v)| (k.to_string(), v.to_vec())).collect();
        Node { op: op.into(), name: op.into(), int_lists, ..Node::default() }
    }

    /// The pads of `F.pad(x, (1, 0, 0, 1))` as torch's exporter computes them from opset 11:
    /// the Python list padded with zeros, taken as pairs, the pairs reversed, transposed and
    /// flattened give ONNX's `[begin..., end...]` order.
    #[test]
    fn the_pads_arithmetic_of_opset_11_folds_to_onnx_order() {
        let zeros = constant_of_shape(&node("ConstantOfShape", &[]), &tensor(&[1], &[4])).unwrap();
        let listed = tensor(&[4], &[1, 0, 0, 1]);
        let joined = evaluate(&node("Concat", &[]), &[&listed, &zeros]).unwrap();
        let pairs = reshape(&node("Reshape", &[]), &joined, &tensor(&[2], &[-1, 2])).unwrap();
        assert_eq!(pairs.dims, [4, 2]);
        let (start, end, axis, step) =
            (tensor(&[1], &[-1]), tensor(&[1], &[-i64::MAX]), tensor(&[1], &[0]), tensor(&[1], &[-1]));
        let reversed = slice(&node("Slice", &[]), &[&pairs, &start, &end, &axis, &step]).unwrap();
        assert_eq!(reversed.values, tensor(&[4, 2], &[0, 0, 0, 0, 0, 1, 1, 0]).values);
        let swapped = transpose(&node("Transpose", &[("perm", &[1, 0])]), &reversed).unwrap();
        assert_eq!(swapped.dims, [2, 4]);
        let flat = reshape(&node("Reshape", &[]), &swapped, &tensor(&[1], &[-1])).unwrap();
        // N, C, H, W begins then ends: the last axis gets (1, 0), the one before (0, 1)
        assert_eq!(flat.values, tensor(&[8], &[0, 0, 0, 1, 0, 0, 1, 0]).values);
    }

    #[test]
    fn slices_transposes_and_reshapes_follow_onnx() {
        let t = tensor(&[2, 3], &[1, 2, 3, 4, 5, 6]);
        // every other column from the end, the rows kept
        let ends = tensor(&[1], &[i64::MIN]);
        let s = slice(
            &node("Slice", &[]),
            &[&t, &tensor(&[1], &[-1]), &ends, &tensor(&[1], &[1]), &tensor(&[1], &[-2])],
        );
        assert_eq!(s.unwrap().values, tensor(&[2, 2], &[3, 1, 6, 4]).values);
        // opset 9: attributes; out-of-range ends clamp
        let n = node("Slice", &[("starts", &[1]), ("ends", &[100]), ("axes", &[0])]);
        assert_eq!(slice(&n, &[&t]).unwrap().values, tensor(&[1, 3], &[4, 5, 6]).values);
        assert!(slice(
            &node("Slice", &[]),
            &[&t, &tensor(&[1], &[0]), &tensor(&[1], &[1]), &tensor(&[1], &[0]), &tensor(&[1], &[0])]
        )
        .is_err());
        // the default permutation reverses the axes
        let r = transpose(&node("Transpose", &[]), &t).unwrap();
        assert_eq!((r.dims.clone(), r.values), (vec![3, 2], tensor(&[3, 2], &[1, 4, 2, 5, 3, 6]).values));
        assert!(transpose(&node("Transpose", &[("perm", &[0, 0])]), &t).is_err());
        // 0 copies a dim, -1 is inferred, a wrong size is an error
        assert_eq!(reshape(&node("Reshape", &[]), &t, &tensor(&[2], &[0, -1])).unwrap().dims, [2, 3]);
        assert!(reshape(&node("Reshape", &[]), &t, &tensor(&[1], &[4])).is_err());
        assert!(constant_of_shape(&node("ConstantOfShape", &[]), &tensor(&[2], &[1 << 20, 4])).is_err());
    }
}
