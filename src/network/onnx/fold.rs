//! Shape arithmetic folded to constants. PyTorch's legacy exporter computes some reshape targets
//! at run time (`nn.Unflatten`, `x.view(x.size(0), ...)`): `Shape` of a data tensor, then
//! `Slice`, `Gather`, `Concat`, `Unsqueeze`, `Cast` and integer `Add`/`Sub`/`Mul`/`Div`/`Mod` on
//! the result. The data's shape is known while the graph is built (one sample, batch 1), so
//! these nodes are evaluated exactly into constants; the data path never passes through them.

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
    const FOLDED: [&str; 12] = [
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
        "Unsqueeze" | "Squeeze" | "Reshape" => {
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

/// `Slice` of a 1-D constant (starts, ends, axes, steps as inputs, opset 10 and later, or as
/// attributes, opset 9).
fn slice(node: &Node, inputs: &[&Tensor]) -> Res<Tensor> {
    let data = inputs[0];
    if data.dims.len() > 1 {
        return Err(at(node, "folds only 1-D shape vectors"));
    }
    let pick = |k: usize, attr: &str| -> Res<Option<i64>> {
        match inputs.get(k) {
            Some(t) => Ok(as_ints(node, t)?.first().copied()),
            None => Ok(node.int_lists.get(attr).and_then(|v| v.first().copied())),
        }
    };
    let n = data.values.len() as i64;
    let step = pick(4, "steps")?.unwrap_or(1);
    if step != 1 {
        return Err(at(node, "folds only slices with step 1"));
    }
    let bound = |v: i64| (if v < 0 { v + n } else { v }).clamp(0, n) as usize;
    let start = bound(pick(1, "starts")?.unwrap_or(0));
    let end = bound(pick(2, "ends")?.unwrap_or(n));
    let values = data.values[start..end.max(start)].to_vec();
    Ok(Tensor { dims: vec![values.len()], values })
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
