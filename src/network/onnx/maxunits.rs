//! Max and min units over several values of the data: `MaxPool`, `GlobalMaxPool`, `ReduceMax`,
//! `ReduceMin`, and `Max`/`Min` of tensors of the data path (with constants among them).
//!
//! Each unit becomes `k` candidate rows of a `max` layer (see [`crate::network::pieces`]); equal
//! candidates count once (a unit whose candidates are all equal is no unit: it cuts nothing),
//! and a unit with fewer candidates (a window cut by padding) repeats its first one, which never
//! wins (a tie goes to the lower index), so every unit has `k`. A min is the max of the negated
//! candidates, negated. Kept tensors (skip connections) ride through the layer as units whose
//! `k` candidates are the same value, exact whatever their sign.

use super::build::{Builder, Constants, Live};
use super::lower::Window;
use super::rows::Row;
use super::shapes::{axes_of, axis, broadcast_index, broadcast_shapes, checked};
use super::{Node, Res};
use crate::exact::num::Q;
use crate::network::limits;
use crate::network::pieces::MAX_PIECES;
use crate::network::{Activation, Layer, Weights};
use num_traits::{One, Signed, Zero};

/// Applies a max/min operator of the data path.
pub(super) fn apply(node: &Node, current: &str, constants: &Constants, net: &mut Builder) -> Res<()> {
    let op = node.op.as_str();
    let (groups, shape): Groups = match op {
        "MaxPool" | "GlobalMaxPool" => {
            if node.outputs.get(1).is_some_and(|o| !o.is_empty()) {
                return Err("its Indices output is not supported".into());
            }
            let window = Window::of(node, &net.shape, op == "GlobalMaxPool", true)?;
            let (groups, shape, _) = window.members(&net.shape)?;
            (groups, shape)
        }
        "ReduceMax" | "ReduceMin" => match reduce_groups(node, &net.shape, constants)? {
            Some(reduced) => reduced,
            None => return Ok(()),
        },
        _ => return of_tensors(node, current, constants, net),
    };
    if groups.iter().any(Vec::is_empty) {
        return Err("a window lies entirely in the padding".into());
    }
    let sign = if op == "ReduceMin" { -Q::one() } else { Q::one() };
    candidate_terms(groups.iter().flatten().map(|&i| net.w[i].len()))?;
    let candidates =
        groups.iter().map(|g| g.iter().map(|&i| (net.w[i].clone(), net.b[i].clone())).collect()).collect();
    let nonneg = net.nonneg;
    net.max_layer(candidates, &sign, shape, nonneg)
}

/// `Max`/`Min` of tensors of the data path and constants, elementwise, numpy broadcasting.
fn of_tensors(node: &Node, current: &str, constants: &Constants, net: &mut Builder) -> Res<()> {
    net.check_parts(&node.inputs, current, constants)?;
    let mut parts: Vec<Live> = Vec::new();
    for name in &node.inputs {
        let part = if name == current {
            net.live()
        } else if let Some((_, kept)) = net.skips.iter().find(|(s, _)| s == name) {
            kept.clone()
        } else if let Some(t) = constants.get(name) {
            let nonneg = t.values.iter().all(|v| !v.is_negative());
            Live { w: vec![Vec::new(); t.values.len()], b: t.values.clone(), shape: t.dims.clone(), nonneg }
        } else {
            return Err(format!("its input `{name}` is neither a constant nor a tensor of the data path"));
        };
        parts.push(part);
    }
    let shape =
        parts.iter().try_fold(Vec::new(), |s, p| broadcast_shapes(&s, &p.shape)).ok_or_else(|| {
            let shapes: Vec<&Vec<usize>> = parts.iter().map(|p| &p.shape).collect();
            format!("the shapes {shapes:?} do not broadcast")
        })?;
    let shape = checked(shape)?;
    let index: Vec<Vec<usize>> = parts.iter().map(|p| broadcast_index(&p.shape, &shape)).collect();
    let is_max = node.op == "Max";
    let sign = if is_max { Q::one() } else { -Q::one() };
    // max(a, b) >= a >= 0 when one part is nonnegative; min needs them all
    let nonneg = if is_max { parts.iter().any(|p| p.nonneg) } else { parts.iter().all(|p| p.nonneg) };
    let width: usize = shape.iter().product();
    candidate_terms((0..width).flat_map(|i| parts.iter().zip(&index).map(move |(p, at)| p.w[at[i]].len())))?;
    let candidates = (0..width)
        .map(|i| parts.iter().zip(&index).map(|(p, at)| (p.w[at[i]].clone(), p.b[at[i]].clone())).collect())
        .collect();
    net.max_layer(candidates, &sign, shape, nonneg)
}

/// The candidates' terms (each candidate's row length), refused above `MAX_MAP_TERMS` before
/// the candidates are copied.
fn candidate_terms(lengths: impl Iterator<Item = usize>) -> Res<()> {
    let total = lengths.fold(0usize, |acc, n| acc.saturating_add(n + 1));
    if total > limits::MAX_MAP_TERMS {
        return Err(format!(
            "its candidates would hold {total} terms (more than {}: MAX_MAP_TERMS)",
            limits::MAX_MAP_TERMS
        ));
    }
    Ok(())
}

/// Groups of input values (flat indices), one per output value, and the output's shape.
pub(super) type Groups = (Vec<Vec<usize>>, Vec<usize>);

/// The groups of `ReduceMax`/`ReduceMin` (and `ReduceMean`/`ReduceSum`) and the output shape:
/// `axes` (attribute, or input 1 from opset 18, 13 for `ReduceSum`) over every axis of the data;
/// no axes (or empty ones) reduce every axis, or nothing when `noop_with_empty_axes` is set
/// (`None`); `keepdims` (default 1).
pub(super) fn reduce_groups(node: &Node, shape: &[usize], constants: &Constants) -> Res<Option<Groups>> {
    let axes = axes_of(node, constants)?.unwrap_or_default();
    if axes.is_empty() && node.ints.get("noop_with_empty_axes").copied().unwrap_or(0) != 0 {
        return Ok(None);
    }
    let mut reduced = vec![axes.is_empty(); shape.len()];
    for a in axes {
        reduced[axis(a, shape.len())?] = true;
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
    Ok(Some((groups, out_shape)))
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
            self.touched = true;
            self.nonneg = nonneg;
            return Ok(());
        }
        let units = candidates.len();
        let expiring = std::mem::take(&mut self.expiring);
        self.skips.retain(|(name, _)| !expiring.contains(name));
        let skip_values: usize = self.skips.iter().map(|(_, s)| s.b.len()).sum();
        limits::tensor_values(&[units.saturating_add(skip_values), k])?;
        let candidate_terms: usize = candidates
            .iter()
            .map(|unit| unit.iter().map(|(r, _)| r.len()).sum::<usize>() + (k - unit.len()) * unit[0].0.len())
            .sum();
        let skip_terms: usize = self.skips.iter().flat_map(|(_, s)| &s.w).map(Vec::len).sum();
        self.reserve_layer((units + skip_values) * k, candidate_terms + k * skip_terms)?;
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
        let weights = Weights::from_sparse_rows(self.cols, w);
        let width = b.len();
        self.layers.push(Layer { weights, bias: b, activation: Activation::Max(k) });
        self.cols = width;
        // each unit's value: the sum of its candidates' outputs (only the winner's is nonzero)
        let sum = |u: usize, s: &Q| -> Row { (0..k).map(|t| (u * k + t, s.clone())).collect() };
        self.touched = true;
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
