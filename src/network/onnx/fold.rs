//! Shape arithmetic folded to constants. PyTorch's legacy exporter computes some reshape targets
//! at run time (`nn.Unflatten`, `x.view(x.size(0), ...)`): `Shape` of a data tensor, then
//! `Slice`, `Gather`, `Concat`, `Unsqueeze`, `Cast` and integer `Add`/`Sub`/`Mul`/`Div`/`Mod` on
//! the result; from opset 11 it computes `Pad`'s pads from the Python list (`ConstantOfShape`,
//! `Concat`, `Reshape` to pairs, a reversing `Slice`, `Transpose`, `Reshape`, `Cast`). The
//! data's shape is known while the graph is built, so these nodes are evaluated exactly into
//! constants, with numpy's semantics (broadcasting, `Gather` along an axis, `Cast`'s
//! truncation); the data path never passes through them. A folded constant has at most
//! [`MAX_FOLDED_VALUES`](crate::network::limits::MAX_FOLDED_VALUES) values, checked before it is
//! made. Also the `Constant` node's value.

use super::shapes::{axis, broadcast_index, broadcast_shapes, squeezed, unsqueezed};
use super::{Node, Res, Tensor};
use crate::exact::num::{from_f64_exact, to_f64, Q};
use num_traits::{ToPrimitive, Zero};

use crate::network::limits::MAX_FOLDED_VALUES as MAX_FOLDED;

/// Evaluates `node` when it computes a constant: every input a constant, or a `Shape` of a
/// tensor whose shape `shape_of` knows. `None` when the node is not such a computation.
pub(super) fn fold(
    node: &Node,
    constants: &super::build::Constants,
    shape_of: impl Fn(&str) -> Option<Vec<usize>>,
) -> Option<Res<Tensor>> {
    if node.op == "Shape" {
        let shape: Vec<i64> = shape_of(node.inputs.first()?)?.iter().map(|&d| d as i64).collect();
        let rank = shape.len() as i64;
        let clamp = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
        let start = clamp(node.ints.get("start").copied().unwrap_or(0));
        let end = clamp(node.ints.get("end").copied().unwrap_or(rank));
        return Some(Ok(ints(&shape[start..end.max(start)])));
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
    if !FOLDED.contains(&node.op.as_str()) || node.inputs.first().is_none_or(|n| n.is_empty()) {
        return None;
    }
    // every input given must be a constant; an omitted optional input keeps its place
    let inputs: Option<Vec<Option<&Tensor>>> = node
        .inputs
        .iter()
        .map(|n| if n.is_empty() { Some(None) } else { constants.get(n).map(Some) })
        .collect();
    let inputs = inputs?;
    Some(evaluate(node, &inputs))
}

/// The value of a `Constant` node: its `value` tensor, or `value_float`, `value_int`,
/// `value_ints`.
pub(super) fn constant_node(node: &Node) -> Res<Tensor> {
    if let Some(t) = node.tensors.get("value") {
        return Ok(t.clone());
    }
    if let Some(v) = node.floats.get("value_float") {
        return Ok(Tensor { dims: Vec::new(), values: vec![v.clone()] });
    }
    if let Some(&v) = node.ints.get("value_int") {
        return Ok(Tensor { dims: Vec::new(), values: vec![Q::from_integer(v.into())] });
    }
    if let Some(v) = node.int_lists.get("value_ints") {
        return Ok(ints(v));
    }
    Err("a Constant needs `value`, `value_float`, `value_int` or `value_ints` (others are not supported)"
        .into())
}

fn ints(v: &[i64]) -> Tensor {
    Tensor { dims: vec![v.len()], values: v.iter().map(|&x| Q::from_integer(x.into())).collect() }
}

fn as_ints(t: &Tensor) -> Res<Vec<i64>> {
    t.values
        .iter()
        .map(|v| {
            v.is_integer()
                .then(|| v.to_integer().to_i64())
                .flatten()
                .ok_or_else(|| "shape arithmetic on a value that is not a 64-bit integer".to_string())
        })
        .collect()
}

/// `n` values, refused above [`MAX_FOLDED`].
fn small(n: Option<usize>) -> Res<usize> {
    n.filter(|&n| n <= MAX_FOLDED)
        .ok_or_else(|| format!("folds only constants of at most {MAX_FOLDED} values (MAX_FOLDED_VALUES)"))
}

fn evaluate(node: &Node, inputs: &[Option<&Tensor>]) -> Res<Tensor> {
    let input =
        |k: usize, what: &str| inputs.get(k).copied().flatten().ok_or_else(|| format!("missing {what}"));
    let first = input(0, "the data")?;
    match node.op.as_str() {
        "Cast" => cast(node, first),
        "ConstantOfShape" => constant_of_shape(node, first),
        "Transpose" => transpose(node, first),
        "Reshape" => {
            reshape(first, input(1, "the shape")?, node.ints.get("allowzero").is_some_and(|&a| a != 0))
        }
        "Unsqueeze" | "Squeeze" => {
            let axes = match (node.int_lists.get("axes"), inputs.get(1).copied().flatten()) {
                (Some(a), _) => Some(a.clone()),
                (None, Some(t)) => Some(as_ints(t)?),
                (None, None) => None,
            };
            let dims = if node.op == "Squeeze" {
                squeezed(&first.dims, axes.as_deref())?
            } else {
                unsqueezed(&first.dims, &axes.ok_or("missing the axes")?)?
            };
            Ok(Tensor { dims, values: first.values.clone() })
        }
        "Concat" => {
            let parts: Vec<&Tensor> = inputs.iter().flatten().copied().collect();
            if parts.iter().any(|t| t.dims.len() != 1) {
                return Err("folds only the concatenation of 1-D shape vectors".into());
            }
            small(parts.iter().try_fold(0usize, |acc, t| acc.checked_add(t.values.len())))?;
            let values: Vec<Q> = parts.iter().flat_map(|t| t.values.iter().cloned()).collect();
            Ok(Tensor { dims: vec![values.len()], values })
        }
        "Gather" => gather(node, first, input(1, "the indices")?),
        "Slice" => slice(node, inputs),
        _ => arithmetic(node, first, input(1, "the second operand")?),
    }
}

/// `Cast` to the type `to`: an integer type truncates toward zero (and must hold the value), a
/// bool is `x != 0`, float32 and float64 must hold the value exactly (no rounding is folded).
fn cast(node: &Node, t: &Tensor) -> Res<Tensor> {
    let to = node.ints.get("to").copied().unwrap_or(1);
    let values = t
        .values
        .iter()
        .map(|v| match to {
            // int8, int16, int32, int64, uint8, uint16, uint32, uint64
            2..=7 | 12 | 13 => {
                let i = v.trunc();
                i.to_integer()
                    .to_i64()
                    .map(|x| Q::from_integer(x.into()))
                    .ok_or("a value beyond 64-bit integers")
            }
            9 => Ok(if v.is_zero() { Q::zero() } else { Q::from_integer(1.into()) }),
            1 | 11 => {
                let f = to_f64(v);
                let f = if to == 1 { f64::from(f as f32) } else { f };
                from_f64_exact(f).filter(|x| x == v).ok_or("a value the float type does not hold exactly")
            }
            _ => Err("a cast to this type is not folded"),
        })
        .collect::<Result<Vec<Q>, &str>>()
        .map_err(|m| format!("Cast to type {to}: {m}"))?;
    Ok(Tensor { dims: t.dims.clone(), values })
}

/// `Gather` of a constant along `axis` (default 0): the output's shape is the data's with that
/// axis replaced by the indices' shape.
fn gather(node: &Node, data: &Tensor, indices: &Tensor) -> Res<Tensor> {
    let dims = dims_of(data);
    let a = axis(node.ints.get("axis").copied().unwrap_or(0), dims.len())?;
    let picked = as_ints(indices)?;
    let n = dims[a] as i64;
    let picked = picked
        .iter()
        .map(|&i| {
            let j = if i < 0 { i + n } else { i };
            usize::try_from(j).ok().filter(|_| j < n).ok_or_else(|| format!("index {i} out of {n} values"))
        })
        .collect::<Res<Vec<usize>>>()?;
    let (outer, inner): (usize, usize) = (dims[..a].iter().product(), dims[a + 1..].iter().product());
    small(outer.checked_mul(picked.len()).and_then(|x| x.checked_mul(inner)))?;
    let mut values = Vec::new();
    for o in 0..outer {
        for &i in &picked {
            let start = (o * dims[a] + i) * inner;
            values.extend_from_slice(&data.values[start..start + inner]);
        }
    }
    let mut out_dims: Vec<usize> = data.dims.get(..a).unwrap_or_default().to_vec();
    out_dims.extend(&indices.dims);
    out_dims.extend(data.dims.get(a + 1..).unwrap_or_default());
    Ok(Tensor { dims: out_dims, values })
}

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
    let dims: Vec<usize> = as_ints(shape)?
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| "a negative dimension".to_string()))
        .collect::<Res<_>>()?;
    let n = small(dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)))?;
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
        return Err("perm is not a permutation of the axes".into());
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

/// `Reshape` of a constant: the same values, the target's dims (`0` copies a dim unless
/// `allow_zero`, `-1` is inferred).
fn reshape(t: &Tensor, target: &Tensor, allow_zero: bool) -> Res<Tensor> {
    let dims = &t.dims;
    let target = as_ints(target)?;
    let n = t.values.len();
    let mut out = Vec::with_capacity(target.len().min(16));
    let mut infer = None;
    for (i, &v) in target.iter().enumerate() {
        match v {
            0 if !allow_zero => out.push(dims.get(i).copied().ok_or("0 copies a dim the input lacks")?),
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            v => out.push(usize::try_from(v).map_err(|_| "a negative dimension".to_string())?),
        }
    }
    let known = out.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if let Some(i) = infer {
        match known {
            Some(k) if k != 0 && n % k == 0 => out[i] = n / k,
            _ => return Err("cannot infer the dimension -1".into()),
        }
    }
    if out.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) != Some(n) {
        return Err(format!("cannot reshape {n} values to {out:?}"));
    }
    Ok(Tensor { dims: out, values: t.values.clone() })
}

/// `Slice` of a constant: starts, ends, axes and steps as inputs (opset 10 and later) or
/// attributes (opset 9), any axes, any nonzero steps, with ONNX's clamping of the bounds.
fn slice(node: &Node, inputs: &[Option<&Tensor>]) -> Res<Tensor> {
    let data = inputs[0].ok_or("missing the data")?;
    let dims = dims_of(data);
    let list = |k: usize, attr: &str| -> Res<Option<Vec<i64>>> {
        match inputs.get(k).copied().flatten() {
            Some(t) => Ok(Some(as_ints(t)?)),
            None => Ok(node.int_lists.get(attr).cloned()),
        }
    };
    let starts = list(1, "starts")?.ok_or("missing starts")?;
    let ends = list(2, "ends")?.ok_or("missing ends")?;
    let axes = list(3, "axes")?.unwrap_or_else(|| (0..starts.len() as i64).collect());
    let steps = list(4, "steps")?.unwrap_or_else(|| vec![1; starts.len()]);
    if [ends.len(), axes.len(), steps.len()].iter().any(|&l| l != starts.len()) {
        return Err("starts, ends, axes and steps differ in length".into());
    }
    let mut keep: Vec<Vec<usize>> = dims.iter().map(|&d| (0..d).collect()).collect();
    for i in 0..starts.len() {
        let a = axis(axes[i], dims.len())?;
        let (d, step) = (dims[a] as i64, steps[i]);
        let adjust = |v: i64| if v < 0 { v.saturating_add(d) } else { v };
        let (start, end) = match step.cmp(&0) {
            std::cmp::Ordering::Greater => (adjust(starts[i]).clamp(0, d), adjust(ends[i]).clamp(0, d)),
            std::cmp::Ordering::Less => (adjust(starts[i]).clamp(0, d - 1), adjust(ends[i]).clamp(-1, d - 1)),
            std::cmp::Ordering::Equal => return Err("a step of 0".into()),
        };
        let mut idx = Vec::new();
        let mut k = start;
        while (step > 0 && k < end) || (step < 0 && k > end) {
            idx.push(k as usize);
            k = k.saturating_add(step);
        }
        keep[a] = idx;
    }
    Ok(select(data, &keep))
}

/// Integer `Add`/`Sub`/`Mul`/`Div`/`Mod` of two constants, numpy broadcasting.
fn arithmetic(node: &Node, a: &Tensor, b: &Tensor) -> Res<Tensor> {
    let (x, y) = (as_ints(a)?, as_ints(b)?);
    let dims = broadcast_shapes(&a.dims, &b.dims)
        .ok_or_else(|| format!("operands of shapes {:?} and {:?} do not broadcast", a.dims, b.dims))?;
    small(dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)))?;
    let (ia, ib) = (broadcast_index(&a.dims, &dims), broadcast_index(&b.dims, &dims));
    let mut out = Vec::with_capacity(ia.len());
    for (&i, &j) in ia.iter().zip(&ib) {
        let (p, q) = (x[i], y[j]);
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
        out.push(v.ok_or_else(|| format!("cannot fold {p} {} {q}", node.op))?);
    }
    let mut t = ints(&out);
    t.dims = dims;
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
        let joined = evaluate(&node("Concat", &[]), &[Some(&listed), Some(&zeros)]).unwrap();
        let pairs = reshape(&joined, &tensor(&[2], &[-1, 2]), false).unwrap();
        assert_eq!(pairs.dims, [4, 2]);
        let (start, end, axis, step) =
            (tensor(&[1], &[-1]), tensor(&[1], &[-i64::MAX]), tensor(&[1], &[0]), tensor(&[1], &[-1]));
        let reversed =
            slice(&node("Slice", &[]), &[Some(&pairs), Some(&start), Some(&end), Some(&axis), Some(&step)])
                .unwrap();
        assert_eq!(reversed.values, tensor(&[4, 2], &[0, 0, 0, 0, 0, 1, 1, 0]).values);
        let swapped = transpose(&node("Transpose", &[("perm", &[1, 0])]), &reversed).unwrap();
        assert_eq!(swapped.dims, [2, 4]);
        let flat = reshape(&swapped, &tensor(&[1], &[-1]), false).unwrap();
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
            &[
                Some(&t),
                Some(&tensor(&[1], &[-1])),
                Some(&ends),
                Some(&tensor(&[1], &[1])),
                Some(&tensor(&[1], &[-2])),
            ],
        );
        assert_eq!(s.unwrap().values, tensor(&[2, 2], &[3, 1, 6, 4]).values);
        // opset 9: attributes; out-of-range ends clamp
        let n = node("Slice", &[("starts", &[1]), ("ends", &[100]), ("axes", &[0])]);
        assert_eq!(slice(&n, &[Some(&t)]).unwrap().values, tensor(&[1, 3], &[4, 5, 6]).values);
        assert!(slice(
            &node("Slice", &[]),
            &[
                Some(&t),
                Some(&tensor(&[1], &[0])),
                Some(&tensor(&[1], &[1])),
                Some(&tensor(&[1], &[0])),
                Some(&tensor(&[1], &[0]))
            ]
        )
        .is_err());
        // the default permutation reverses the axes
        let r = transpose(&node("Transpose", &[]), &t).unwrap();
        assert_eq!((r.dims.clone(), r.values), (vec![3, 2], tensor(&[3, 2], &[1, 4, 2, 5, 3, 6]).values));
        assert!(transpose(&node("Transpose", &[("perm", &[0, 0])]), &t).is_err());
        // 0 copies a dim, -1 is inferred, a wrong size is an error
        assert_eq!(reshape(&t, &tensor(&[2], &[0, -1]), false).unwrap().dims, [2, 3]);
        assert!(reshape(&t, &tensor(&[1], &[4]), false).is_err());
        assert!(constant_of_shape(&node("ConstantOfShape", &[]), &tensor(&[2], &[1 << 20, 4])).is_err());
    }

    /// numpy's semantics, which the folds once missed: broadcasting (`[1, 3] + [3, 1]` is
    /// `[3, 3]`, not 3 values), `Gather` along an axis of a matrix (a row, not a value), `Cast`
    /// to an integer truncating, `Squeeze`/`Unsqueeze` of the given axes, an omitted optional
    /// input keeping the places of those after it.
    #[test]
    fn folds_follow_numpy() {
        let row = tensor(&[1, 3], &[1, 2, 3]);
        let column = tensor(&[3, 1], &[10, 20, 30]);
        let sum = arithmetic(&node("Add", &[]), &row, &column).unwrap();
        assert_eq!(sum.dims, [3, 3]);
        assert_eq!(sum.values, tensor(&[9], &[11, 12, 13, 21, 22, 23, 31, 32, 33]).values);
        assert!(arithmetic(&node("Add", &[]), &tensor(&[2], &[1, 2]), &tensor(&[3], &[1, 2, 3])).is_err());
        let m = tensor(&[2, 3], &[1, 2, 3, 4, 5, 6]);
        let mut g = node("Gather", &[]);
        let picked = gather(&g, &m, &tensor(&[1], &[1])).unwrap();
        assert_eq!((picked.dims.clone(), picked.values), (vec![1, 3], tensor(&[3], &[4, 5, 6]).values));
        g.ints.insert("axis".into(), 1);
        let picked = gather(&g, &m, &tensor(&[], &[-1])).unwrap();
        assert_eq!((picked.dims.clone(), picked.values), (vec![2], tensor(&[2], &[3, 6]).values));
        let mut c = node("Cast", &[]);
        c.ints.insert("to".into(), 7);
        let halves =
            Tensor { dims: vec![2], values: vec![Q::new(7.into(), 2.into()), Q::new((-7).into(), 2.into())] };
        assert_eq!(cast(&c, &halves).unwrap().values, tensor(&[2], &[3, -3]).values);
        c.ints.insert("to".into(), 1);
        assert!(cast(&c, &Tensor { dims: vec![1], values: vec![Q::new(1.into(), 3.into())] }).is_err());
        let u = evaluate(&node("Unsqueeze", &[("axes", &[1])]), &[Some(&tensor(&[3], &[1, 2, 3]))]).unwrap();
        assert_eq!(u.dims, [3, 1]);
        let sq = evaluate(&node("Squeeze", &[]), &[Some(&u)]).unwrap();
        assert_eq!(sq.dims, [3]);
        // Slice(data, starts, ends, "", steps): the steps are input 4, not the axes
        let v = tensor(&[5], &[0, 1, 2, 3, 4]);
        let (start, end, step) = (tensor(&[1], &[0]), tensor(&[1], &[5]), tensor(&[1], &[2]));
        let sliced =
            slice(&node("Slice", &[]), &[Some(&v), Some(&start), Some(&end), None, Some(&step)]).unwrap();
        assert_eq!(sliced.values, tensor(&[3], &[0, 2, 4]).values);
    }
}
