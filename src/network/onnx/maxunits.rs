//! Max and min units over several values of the data: `MaxPool`, `GlobalMaxPool`, `ReduceMax`,
//! `ReduceMin`, and `Max`/`Min` of tensors of the data path (with constants among them).
//!
//! Each unit becomes `k` candidate rows of a `max` layer (see [`crate::network::pieces`]); equal
//! candidates count once (a unit whose candidates are all equal is no unit: it cuts nothing),
//! and a unit with fewer candidates (a window cut by padding) repeats its first one, which never
//! wins (a tie goes to the lower index), so every unit has `k`. A min is the max of the negated
//! candidates, negated. Kept tensors (skip connections) ride through the layer as units whose
//! `k` candidates are the same value, exact whatever their sign.

use super::build::{Builder, Live};
use super::lower::{self, Window};
use super::rows::Row;
use super::{at, Node, Res, Tensor};
use crate::network::pieces::MAX_PIECES;
use crate::network::{Activation, Layer, Weights};
use crate::num::Q;
use num_traits::{One, Signed, Zero};

use std::collections::HashMap;

/// Applies a max/min operator of the data path.
pub(super) fn apply(
    node: &Node,
    current: &str,
    constants: &HashMap<String, Tensor>,
    net: &mut Builder,
) -> Res<()> {
    let op = node.op.as_str();
    let (groups, shape): (Vec<Vec<usize>>, Vec<usize>) = match op {
        "MaxPool" | "GlobalMaxPool" => {
            if node.outputs.get(1).is_some_and(|o| !o.is_empty()) {
                return Err(at(node, "its Indices output is not supported"));
            }
            let window = Window::of(node, &net.shape, op == "GlobalMaxPool", true)?;
            let (groups, shape, _) = window.members(node, &net.shape)?;
            (groups, shape)
        }
        "ReduceMax" | "ReduceMin" => reduce_groups(node, &net.shape, constants)?,
        _ => return of_tensors(node, current, constants, net),
    };
    if groups.iter().any(Vec::is_empty) {
        return Err(at(node, "a window lies entirely in the padding"));
    }
    let sign = if op == "ReduceMin" { -Q::one() } else { Q::one() };
    let candidates =
        groups.iter().map(|g| g.iter().map(|&i| (net.w[i].clone(), net.b[i].clone())).collect()).collect();
    let nonneg = net.nonneg;
    net.max_layer(candidates, &sign, shape, nonneg).map_err(|m| at(node, &m))
}

/// `Max`/`Min` of tensors of the data path and constants, elementwise (equal shapes; constants
/// broadcast).
fn of_tensors(node: &Node, current: &str, constants: &HashMap<String, Tensor>, net: &mut Builder) -> Res<()> {
    let mut parts: Vec<Live> = Vec::new();
    for name in &node.inputs {
        let part = if name == current {
            net.live()
        } else if let Some((_, kept)) = net.skips.iter().find(|(s, _)| s == name) {
            kept.clone()
        } else if let Some(t) = constants.get(name) {
            let b = lower::broadcast_to(node, t, &net.shape)?;
            let nonneg = b.iter().all(|v| !v.is_negative());
            Live { w: vec![Vec::new(); b.len()], b, shape: net.shape.clone(), nonneg }
        } else {
            return Err(at(
                node,
                &format!("its input `{name}` is neither a constant nor a tensor of the data path"),
            ));
        };
        if part.b.len() != net.width() {
            return Err(at(node, &format!("joins tensors of {} and {} values", net.width(), part.b.len())));
        }
        parts.push(part);
    }
    let is_max = node.op == "Max";
    let sign = if is_max { Q::one() } else { -Q::one() };
    // max(a, b) >= a >= 0 when one part is nonnegative; min needs them all
    let nonneg = if is_max { parts.iter().any(|p| p.nonneg) } else { parts.iter().all(|p| p.nonneg) };
    let candidates =
        (0..net.width()).map(|i| parts.iter().map(|p| (p.w[i].clone(), p.b[i].clone())).collect()).collect();
    let shape = net.shape.clone();
    net.max_layer(candidates, &sign, shape, nonneg).map_err(|m| at(node, &m))
}

/// The groups of `ReduceMax`/`ReduceMin` (and `ReduceMean`/`ReduceSum`): `axes` (attribute, or
/// input 1 from opset 18, 13 for `ReduceSum`; none: every axis) over the data with the batch
/// axis first, `keepdims` (default 1).
pub(super) fn reduce_groups(
    node: &Node,
    shape: &[usize],
    constants: &HashMap<String, Tensor>,
) -> Res<(Vec<Vec<usize>>, Vec<usize>)> {
    let rank = shape.len() as i64 + 1;
    let axes: Vec<i64> = match (node.int_lists.get("axes"), node.inputs.get(1).filter(|s| !s.is_empty())) {
        (Some(a), _) => a.clone(),
        (None, Some(name)) => {
            let t = constants.get(name).ok_or_else(|| at(node, "its axes are not a constant"))?;
            t.values.iter().map(|v| v.to_integer().try_into().unwrap_or(i64::MAX)).collect()
        }
        (None, None) => (0..rank).collect(),
    };
    let mut reduced = vec![false; shape.len()];
    for a in axes {
        let a = if a < 0 { a + rank } else { a };
        if !(0..rank).contains(&a) {
            return Err(at(node, &format!("axis {a} is outside the data's {rank} axes")));
        }
        if a > 0 {
            reduced[a as usize - 1] = true;
        }
    }
    let keep = node.ints.get("keepdims").copied().unwrap_or(1) != 0;
    let out_dims: Vec<usize> = shape.iter().zip(&reduced).map(|(&n, &r)| if r { 1 } else { n }).collect();
    let total: usize = out_dims.iter().product();
    let mut groups = vec![Vec::new(); total];
    let in_total: usize = shape.iter().product();
    for flat in 0..in_total {
        // the output position: the input's multi-index with reduced axes set to 0
        let (mut rest, mut out, mut scale) = (flat, 0, 1);
        for i in (0..shape.len()).rev() {
            let idx = rest % shape[i];
            rest /= shape[i];
            if !reduced[i] {
                out += idx * scale;
            }
            scale *= out_dims[i];
        }
        groups[out].push(flat);
    }
    let out_shape: Vec<usize> = if keep {
        out_dims
    } else {
        shape.iter().zip(&reduced).filter(|(_, &r)| !r).map(|(&n, _)| n).collect()
    };
    Ok((groups, if out_shape.is_empty() { vec![1] } else { out_shape }))
}

impl Builder {
    /// Ends a layer with max units: unit `u` takes the maximum of `sign` times its candidates
    /// (rows of the layer input, with constants) and passes `sign` times it on; the data then
    /// has `shape` and sign `nonneg`. Kept tensors ride along as units of equal candidates.
    pub(super) fn max_layer(
        &mut self,
        candidates: Vec<Vec<(Row, Q)>>,
        sign: &Q,
        shape: Vec<usize>,
        nonneg: bool,
    ) -> Result<(), String> {
        // equal candidates are one piece: a unit whose candidates are all equal bends nowhere
        let candidates: Vec<Vec<(Row, Q)>> = candidates.into_iter().map(distinct).collect();
        let k = candidates.iter().map(Vec::len).max().unwrap_or(1);
        if k > MAX_PIECES {
            return Err(format!("a max over {k} values: at most {MAX_PIECES} are supported (a pattern names a piece by one base-36 digit)"));
        }
        if k == 1 {
            // one candidate per unit: an affine selection, no layer
            let (w, b) = candidates.into_iter().map(|mut c| c.swap_remove(0)).unzip();
            (self.w, self.b) = (w, b);
            self.shape = shape;
            self.nonneg = nonneg;
            return Ok(());
        }
        let units = candidates.len();
        let expiring = std::mem::take(&mut self.expiring);
        self.skips.retain(|(name, _)| !expiring.contains(name));
        let skip_values: usize = self.skips.iter().map(|(_, s)| s.b.len()).sum();
        let mut w: Vec<Row> = Vec::with_capacity((units + skip_values) * k);
        let mut b = Vec::with_capacity(w.capacity());
        for unit in candidates {
            let first = unit[0].clone();
            for (row, c) in unit.into_iter().chain(std::iter::repeat(first)).take(k) {
                w.push(row.into_iter().map(|(j, v)| (j, v * sign)).collect());
                b.push(c * sign);
            }
        }
        let mut starts = Vec::new();
        for (_, s) in &self.skips {
            starts.push(b.len() / k);
            for (row, c) in s.w.iter().zip(&s.b) {
                for _ in 0..k {
                    w.push(row.clone());
                    b.push(c.clone());
                }
            }
        }
        let weights = Weights::sparse(self.cols, w);
        self.cols = b.len();
        self.layers.push(Layer { weights, bias: b, activation: Activation::Max(k) });
        // each unit's value: the sum of its candidates' outputs (only the winner's is nonzero)
        let sum = |u: usize, s: &Q| -> Row { (0..k).map(|t| (u * k + t, s.clone())).collect() };
        self.w = (0..units).map(|u| sum(u, sign)).collect();
        self.b = vec![Q::zero(); units];
        self.shape = shape;
        self.nonneg = nonneg;
        for ((_, s), start) in self.skips.iter_mut().zip(starts) {
            let len = s.b.len();
            s.w = (start..start + len).map(|u| sum(u, &Q::one())).collect();
            s.b = vec![Q::zero(); len];
        }
        Ok(())
    }
}

/// A unit's candidates without repeats (the first of equal ones kept, in order).
fn distinct(unit: Vec<(Row, Q)>) -> Vec<(Row, Q)> {
    let mut seen = std::collections::HashSet::new();
    let keep: Vec<bool> = unit.iter().map(|c| seen.insert(c)).collect();
    unit.iter().zip(keep).filter(|(_, k)| *k).map(|(c, _)| c.clone()).collect()
}
