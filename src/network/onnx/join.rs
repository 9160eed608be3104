//! Operators that join two or more tensors of the data path: residual `Add`/`Sub` (numpy
//! broadcasting) and `Concat` (along any axis). Every joined tensor is a map of the same pending
//! layer input (kept tensors ride along as extra neurons through ReLU layers, see
//! [`super::build`]), so a join is exact row arithmetic.

use super::build::{Builder, Constants, Live};
use super::shapes::{axis, broadcast_index, broadcast_shapes, checked};
use super::{rows, Node, Res};
use crate::exact::num::Q;
use crate::network::limits;
use num_traits::{One, Signed, Zero};

/// `Add`/`Sub` of the current tensor and a kept one (a residual connection), or of the current
/// tensor and itself: `current + kept`, `current - kept` or `kept - current`, broadcast as
/// numpy does. `false` when the other operand is not a tensor of the data path (then it is a
/// constant, handled by the caller).
pub(super) fn add_branches(node: &Node, current: &str, net: &mut Builder) -> Res<bool> {
    let add = node.op == "Add";
    if node.inputs.len() == 2 && node.inputs.iter().all(|n| n == current) {
        // x + x = 2 x, x - x = 0
        let n = net.width();
        let s = if add { Q::from_integer(2.into()) } else { Q::zero() };
        net.scale_shift(&vec![s; n], &vec![Q::zero(); n]);
        net.nonneg = net.nonneg || !add;
        return Ok(true);
    }
    let second = node.inputs.iter().position(|n| n != current).and_then(|pos| {
        net.skips.iter().find(|(s, _)| s == &node.inputs[pos]).map(|(_, live)| (pos, live.clone()))
    });
    let Some((pos, skip)) = second else { return Ok(false) };
    let out = broadcast_shapes(&net.shape, &skip.shape).ok_or_else(|| {
        format!("adds tensors of shapes {:?} and {:?}, which do not broadcast", net.shape, skip.shape)
    })?;
    let out = checked(out)?;
    if out != net.shape {
        let index = broadcast_index(&net.shape, &out);
        net.gather(&index, out.clone())?;
    }
    let index = broadcast_index(&skip.shape, &out);
    let terms = index.iter().fold(0usize, |acc, &i| acc.saturating_add(skip.w[i].len()));
    if terms > limits::MAX_MAP_TERMS {
        return Err(format!("the kept tensor's terms exceed {} (MAX_MAP_TERMS)", limits::MAX_MAP_TERMS));
    }
    let (sc, ss) = match (add, pos == 0) {
        (true, _) => (Q::one(), Q::one()),
        (false, false) => (Q::one(), -Q::one()),
        (false, true) => (-Q::one(), Q::one()),
    };
    for ((row, bias), &i) in net.w.iter_mut().zip(net.b.iter_mut()).zip(&index) {
        *row = rows::linear(&sc, row, &ss, &skip.w[i]);
        *bias = &*bias * &sc + &skip.b[i] * &ss;
    }
    net.nonneg = net.nonneg && skip.nonneg && add;
    net.touched = true;
    Ok(true)
}

/// `Concat` of tensors of the data path (the current one, kept ones) and constants along one
/// axis (negative: counted from the end): the rows of the parts, interleaved as the axis says.
pub(super) fn concat(node: &Node, current: &str, constants: &Constants, net: &mut Builder) -> Res<()> {
    net.check_parts(&node.inputs, current, constants)?;
    let mut parts = Vec::with_capacity(node.inputs.len());
    for name in &node.inputs {
        let part = if name == current {
            net.live()
        } else if let Some((_, kept)) = net.skips.iter().find(|(s, _)| s == name) {
            kept.clone()
        } else if let Some(t) = constants.get(name) {
            let nonneg = t.values.iter().all(|v| !v.is_negative());
            Live { w: vec![Vec::new(); t.values.len()], b: t.values.clone(), shape: t.dims.clone(), nonneg }
        } else {
            return Err(format!("concatenates `{name}`, neither a constant nor a tensor of the data path"));
        };
        parts.push(part);
    }
    let rank = net.shape.len();
    let given = node.ints.get("axis").copied().ok_or("has no `axis`")?;
    let a = axis(given, rank)?;
    let same_frame = |p: &Live| {
        p.shape.len() == rank
            && p.shape.iter().zip(&net.shape).enumerate().all(|(k, (x, y))| k == a || x == y)
    };
    if let Some(p) = parts.iter().find(|p| !same_frame(p)) {
        return Err(format!("concatenates shapes {:?} and {:?} along axis {given}", net.shape, p.shape));
    }
    let mut shape = net.shape.clone();
    shape[a] = parts.iter().map(|p| p.shape[a]).sum();
    let shape = checked(shape)?;
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
    let nonneg = parts.iter().all(|p| p.nonneg);
    net.make_current(Live { w, b, shape, nonneg });
    Ok(())
}
