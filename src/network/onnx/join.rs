//! Operators that join two or more tensors of the data path: residual `Add`/`Sub` and `Concat`.
//! Every joined tensor is a map of the same pending layer input (kept tensors ride along as
//! extra neurons through ReLU layers, see [`super::build`]), so a join is exact row arithmetic.

use super::build::{Builder, Live};
use super::rows;
use super::{at, Node, Res, Tensor};
use crate::num::Q;
use num_traits::{One, Signed};
use std::collections::HashMap;

/// `Add`/`Sub` of the current tensor and a kept one (a residual connection): `current + kept`,
/// `current - kept` or `kept - current`. `false` when the other operand is not a kept tensor
/// (then it is a constant, handled by the caller).
pub(super) fn add_branches(node: &Node, current: &str, net: &mut Builder) -> Res<bool> {
    let second = node.inputs.iter().position(|n| n != current).and_then(|pos| {
        net.skips.iter().find(|(s, _)| s == &node.inputs[pos]).map(|(_, live)| (pos, live.clone()))
    });
    let Some((pos, skip)) = second else { return Ok(false) };
    if skip.b.len() != net.width() {
        return Err(at(node, &format!("adds tensors of {} and {} values", net.width(), skip.b.len())));
    }
    let (sc, ss) = match (node.op.as_str(), pos == 0) {
        ("Add", _) => (Q::one(), Q::one()),
        (_, false) => (Q::one(), -Q::one()),
        (_, true) => (-Q::one(), Q::one()),
    };
    for ((row, bias), (srow, sbias)) in net.w.iter_mut().zip(net.b.iter_mut()).zip(skip.w.iter().zip(&skip.b))
    {
        *row = rows::linear(&sc, row, &ss, srow);
        *bias = &*bias * &sc + sbias * &ss;
    }
    net.nonneg = net.nonneg && skip.nonneg && node.op == "Add";
    Ok(true)
}

/// `Concat` of tensors of the data path (the current one, kept ones) and constants along one
/// axis other than the batch axis: the rows of the parts, interleaved as the axis says.
pub(super) fn concat(
    node: &Node,
    current: &str,
    constants: &HashMap<String, Tensor>,
    net: &mut Builder,
) -> Res<()> {
    if !net.tail.is_empty() {
        return Err(at(node, &format!("follows the smooth {}: not piecewise linear", net.tail.join(", "))));
    }
    let mut parts = Vec::with_capacity(node.inputs.len());
    for name in &node.inputs {
        let part = if name == current {
            net.live()
        } else if let Some((_, kept)) = net.skips.iter().find(|(s, _)| s == name) {
            kept.clone()
        } else if let Some(t) = constants.get(name) {
            // a constant with the batch axis first
            let shape = t.dims.get(1..).unwrap_or_default().to_vec();
            let nonneg = t.values.iter().all(|v| !v.is_negative());
            Live { w: vec![Vec::new(); t.values.len()], b: t.values.clone(), shape, nonneg }
        } else {
            return Err(at(
                node,
                &format!("concatenates `{name}`, neither a constant nor a tensor of the data path"),
            ));
        };
        parts.push(part);
    }
    let rank = net.shape.len() as i64 + 1;
    let axis = node.ints.get("axis").copied().ok_or_else(|| at(node, "has no `axis`"))?;
    let axis = if axis < 0 { axis + rank } else { axis };
    if axis <= 0 || axis >= rank {
        return Err(at(
            node,
            &format!(
                "concatenates along axis {axis} of a rank-{rank} tensor (only non-batch axes are supported)"
            ),
        ));
    }
    let a = axis as usize - 1;
    let same_frame = |p: &Live| {
        p.shape.len() == net.shape.len()
            && p.shape.iter().zip(&net.shape).enumerate().all(|(k, (x, y))| k == a || x == y)
    };
    if let Some(p) = parts.iter().find(|p| !same_frame(p)) {
        return Err(at(
            node,
            &format!("concatenates shapes {:?} and {:?} along axis {axis}", net.shape, p.shape),
        ));
    }
    let outer: usize = net.shape[..a].iter().product();
    let inner: usize = net.shape[a + 1..].iter().product();
    let (mut w, mut b) = (Vec::new(), Vec::new());
    for o in 0..outer {
        for p in &parts {
            let block = p.shape[a] * inner;
            w.extend_from_slice(&p.w[o * block..(o + 1) * block]);
            b.extend_from_slice(&p.b[o * block..(o + 1) * block]);
        }
    }
    let mut shape = net.shape.clone();
    shape[a] = parts.iter().map(|p| p.shape[a]).sum();
    let nonneg = parts.iter().all(|p| p.nonneg);
    net.make_current(Live { w, b, shape, nonneg });
    Ok(())
}
