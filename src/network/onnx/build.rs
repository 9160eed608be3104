//! Building the chain of layers from the ONNX graph's data path: a pending affine map is
//! composed exactly with every affine operator and becomes a layer at each ReLU.
//!
//! The data's shape is tracked with every axis, the first one too (a batch of one sample or
//! not: it is an axis like the others, so a `[2, 2]` input has 4 values and they all flow on).
//! Only the nodes the graph's output depends on are read.
//!
//! Skip connections (a tensor used again after a ReLU, as in residual blocks) are carried
//! through each layer as extra ReLU neurons on its values. That is exact when the tensor is known
//! to be nonnegative (the output of a ReLU, averaged, padded with 0, ...): such a neuron is
//! identically zero or strictly positive wherever the earlier states are fixed, so it never cuts
//! a region; its state is determined by theirs. When a skip may be negative (the raw input, a
//! pre-activation) the layer is written as max units of two pieces instead: each ReLU neuron is
//! `max(0, h)` and each skip value `max(t, t)`, two equal candidates, one piece, no cut.
//!
//! Every size is checked before it is allocated: each tensor's values, each map's terms, the
//! layers' entries and the reader's total work ([`crate::network::limits`]).

use super::rows::{self, Row};
use super::{at, dispatch, Graph, Node, Res, Tensor};
use crate::exact::num::Q;
use crate::network::limits::{self, Budget, MAX_INPUT_DIM, MAX_LAYERS, MAX_MAP_TERMS, MAX_NETWORK_TERMS};
use crate::network::{Activation, Layer, Weights};
use num_traits::{One, Zero};
use std::collections::{HashMap, HashSet};

/// The graph's constants and those its nodes make (`Constant` nodes, folded shape arithmetic),
/// the latter counted against [`limits::MAX_CONSTANT_VALUES`].
pub(super) struct Constants<'g> {
    base: &'g HashMap<String, Tensor>,
    added: HashMap<String, Tensor>,
    budget: Budget,
}

impl<'g> Constants<'g> {
    pub(super) fn new(base: &'g HashMap<String, Tensor>) -> Constants<'g> {
        Constants { base, added: HashMap::new(), budget: limits::constant_budget() }
    }

    pub(super) fn get(&self, name: &str) -> Option<&Tensor> {
        self.added.get(name).or_else(|| self.base.get(name))
    }

    pub(super) fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Adds a constant made by a node.
    pub(super) fn insert(&mut self, name: String, t: Tensor) -> Res<()> {
        self.budget.spend(t.values.len())?;
        self.added.insert(name, t);
        Ok(())
    }

    /// Adds the constant `t` under every name of `names`, counted before it is copied.
    fn insert_copies(&mut self, names: &[String], t: &Tensor) -> Res<()> {
        self.budget.spend(t.values.len().saturating_mul(names.len()))?;
        for name in names {
            self.added.insert(name.clone(), t.clone());
        }
        Ok(())
    }
}

/// The network built so far: finished layers and the pending affine map `W h + b` since the last
/// ReLU (rows = current width, sparse over the `cols` values of the layer input).
pub(super) struct Builder {
    pub(super) layers: Vec<Layer>,
    pub(super) w: Vec<Row>,
    pub(super) b: Vec<Q>,
    /// The width of the pending layer's input.
    pub(super) cols: usize,
    /// The data's shape, every axis (its product is the width).
    pub(super) shape: Vec<usize>,
    /// Whether the current tensor is known to be nonnegative.
    pub(super) nonneg: bool,
    /// Other tensors still needed later (skip connections), as maps of the same layer input.
    pub(super) skips: Vec<(String, Live)>,
    /// Smooth operators met after the last piecewise-linear one (the outputs are taken before
    /// them), and the notes the network will carry.
    pub(super) tail: Vec<String>,
    pub(super) notes: Vec<String>,
    /// The kept tensors that the node being applied reads for the last time.
    pub(super) expiring: Vec<String>,
    /// Whether an operator has mapped the values since the last layer (then the pending map
    /// is a layer of its own, even when it is the identity: a `layers` network's last
    /// `[[1, 0], [0, 1]]` stays a layer).
    pub(super) touched: bool,
    /// The terms the maps are formed from, and the layers' entries, so far.
    work: Budget,
    entries: Budget,
}

/// A tensor kept for later: its map of the current layer input, shape and sign.
#[derive(Clone)]
pub(super) struct Live {
    pub(super) w: Vec<Row>,
    pub(super) b: Vec<Q>,
    pub(super) shape: Vec<usize>,
    pub(super) nonneg: bool,
}

impl Builder {
    fn new(shape: Vec<usize>, d: usize) -> Builder {
        Builder {
            layers: Vec::new(),
            w: rows::identity(d),
            b: vec![Q::zero(); d],
            cols: d,
            shape,
            nonneg: false,
            skips: Vec::new(),
            tail: Vec::new(),
            notes: Vec::new(),
            expiring: Vec::new(),
            touched: false,
            work: Budget::new(MAX_NETWORK_TERMS, "MAX_NETWORK_TERMS", "terms formed by the graph's maps"),
            entries: Budget::new(MAX_NETWORK_TERMS, "MAX_NETWORK_TERMS", "layer entries"),
        }
    }

    pub(super) fn width(&self) -> usize {
        self.b.len()
    }

    /// Applies a sparse map (each output a few input terms plus a constant) after the pending
    /// map; the data then has `shape`. The composed rows' terms are counted before they are
    /// formed (at most [`MAX_MAP_TERMS`], and the graph's total).
    pub(super) fn apply_sparse(&mut self, m: &super::lower::Sparse, shape: Vec<usize>) -> Res<()> {
        debug_assert_eq!(shape.iter().product::<usize>(), m.rows.len(), "a map's rows and its shape");
        limits::tensor_values(&shape)?;
        let mut bound = 0usize;
        for row in &m.rows {
            for (k, _) in row {
                bound = bound.saturating_add(self.w[*k].len());
            }
        }
        let bound = bound.saturating_add(m.rows.len());
        if bound > MAX_MAP_TERMS {
            return Err(format!(
                "its map, composed with the pending one, would be formed from {bound} terms (more than {MAX_MAP_TERMS}: MAX_MAP_TERMS)"
            ));
        }
        self.work.spend(bound)?;
        let mut w = Vec::with_capacity(m.rows.len());
        let mut b = Vec::with_capacity(m.rows.len());
        for (row, c) in m.rows.iter().zip(&m.offset) {
            w.push(rows::combine(&self.w, row.iter().map(|(k, mk)| (*k, mk))));
            b.push(row.iter().fold(c.clone(), |acc, (k, mk)| acc + mk * &self.b[*k]));
        }
        self.w = w;
        self.b = b;
        self.shape = shape;
        self.touched = true;
        Ok(())
    }

    /// The current values `index[i]` in order, as a tensor of `shape` (a selection: moved or
    /// repeated values).
    pub(super) fn gather(&mut self, index: &[usize], shape: Vec<usize>) -> Res<()> {
        let rows = index.iter().map(|&i| vec![(i, Q::one())]).collect();
        let offset = vec![Q::zero(); index.len()];
        self.apply_sparse(&super::lower::Sparse { rows, offset }, shape)
    }

    /// Elementwise `h_i -> s_i h_i + t_i`.
    pub(super) fn scale_shift(&mut self, s: &[Q], t: &[Q]) {
        self.touched = true;
        for (i, (row, bi)) in self.w.iter_mut().zip(self.b.iter_mut()).enumerate() {
            if s[i].is_zero() {
                row.clear();
            }
            for (_, v) in row.iter_mut() {
                *v *= &s[i];
            }
            *bi = &*bi * &s[i] + &t[i];
        }
    }

    /// Counts a layer of `rows` rows and `terms` nonzero weights against [`MAX_LAYERS`] and the
    /// entries' budget, before it is built.
    pub(super) fn reserve_layer(&mut self, rows: usize, terms: usize) -> Res<()> {
        if self.layers.len() >= MAX_LAYERS {
            return Err(format!("the network would have more than {MAX_LAYERS} layers (MAX_LAYERS)"));
        }
        limits::tensor_values(&[rows])?;
        self.entries.spend(rows.saturating_add(terms))
    }

    /// Ends a layer with a ReLU on the current tensor; the skips ride along as extra neurons
    /// (nonnegative ones: the ReLU is their identity) or, when one may be negative, the layer
    /// is written as max units (see the module's doc).
    pub(super) fn relu(&mut self) -> Res<()> {
        if self.skips.iter().any(|(_, s)| !s.nonneg) {
            // a skip that may be negative cannot ride on a ReLU neuron: the layer becomes max
            // units of two pieces, each neuron `max(0, h)` (the `0` first, so that a tie is off
            // and piece 1 is on) and each skip value a unit of two equal candidates
            let (w, b) = (std::mem::take(&mut self.w), std::mem::take(&mut self.b));
            let candidates =
                w.into_iter().zip(b).map(|(row, c)| vec![(Row::new(), Q::zero()), (row, c)]).collect();
            let shape = self.shape.clone();
            return self.max_layer(candidates, &Q::one(), shape, true);
        }
        let n = self.width();
        let skip_values: usize = self.skips.iter().map(|(_, s)| s.b.len()).sum();
        let terms = self.w.iter().chain(self.skips.iter().flat_map(|(_, s)| &s.w)).map(Vec::len).sum();
        self.reserve_layer(n.saturating_add(skip_values), terms)?;
        let mut weights = std::mem::take(&mut self.w);
        let mut bias = std::mem::take(&mut self.b);
        let mut starts = Vec::new();
        for (_, s) in &self.skips {
            starts.push(bias.len());
            weights.extend(s.w.iter().cloned());
            bias.extend(s.b.iter().cloned());
        }
        let weights = Weights::from_sparse_rows(self.cols, weights);
        let width = bias.len();
        self.layers.push(Layer { weights, bias, activation: Activation::Relu });
        self.cols = width;
        self.w = rows::block(0, n);
        self.b = vec![Q::zero(); n];
        self.nonneg = true;
        self.touched = false;
        for ((_, s), start) in self.skips.iter_mut().zip(starts) {
            let len = s.b.len();
            s.w = rows::block(start, len);
            s.b = vec![Q::zero(); len];
        }
        Ok(())
    }

    /// The terms of the tensors of the data path or constants named `names` (the current one
    /// `current`), refused above [`MAX_MAP_TERMS`] before a join copies them.
    pub(super) fn check_parts(&self, names: &[String], current: &str, constants: &Constants) -> Res<()> {
        let mut total = 0usize;
        for name in names {
            let rows: &[Row] = if name == current {
                &self.w
            } else if let Some((_, kept)) = self.skips.iter().find(|(s, _)| s == name) {
                &kept.w
            } else {
                &[]
            };
            let values = constants.get(name).map_or(0, |t| t.values.len());
            let terms = rows.iter().fold(rows.len() + values, |acc, r| acc.saturating_add(r.len()));
            total = total.saturating_add(terms);
        }
        if total > MAX_MAP_TERMS {
            return Err(format!(
                "its operands hold {total} terms (more than {MAX_MAP_TERMS}: MAX_MAP_TERMS)"
            ));
        }
        Ok(())
    }

    /// The current tensor, for keeping.
    pub(super) fn live(&self) -> Live {
        Live { w: self.w.clone(), b: self.b.clone(), shape: self.shape.clone(), nonneg: self.nonneg }
    }

    /// Makes `live` the current tensor.
    pub(super) fn make_current(&mut self, live: Live) {
        self.touched = true;
        self.w = live.w;
        self.b = live.b;
        self.shape = live.shape;
        self.nonneg = live.nonneg;
    }
}

/// The input's shape (unknown dimensions, such as a symbolic batch, are 1) and its number of
/// values, checked against the limits.
fn input_shape(name: &str, dims: &[Option<u64>]) -> Res<(Vec<usize>, usize)> {
    let shape = dims
        .iter()
        .map(|d| {
            let d = d.unwrap_or(1);
            i64::try_from(d)
                .ok()
                .and_then(|d| limits::axis_value(d, "a dimension").ok())
                .map(|d| d as usize)
                .ok_or_else(|| {
                    format!(
                        "the input `{name}` has a dimension {d}, beyond the limit of {} (MAX_AXIS)",
                        limits::MAX_AXIS
                    )
                })
        })
        .collect::<Res<Vec<usize>>>()?;
    let shape = super::shapes::checked(shape).map_err(|m| format!("the input `{name}`: {m}"))?;
    let d: usize = shape.iter().product();
    if d > MAX_INPUT_DIM {
        return Err(format!(
            "the input `{name}` of shape {shape:?} has {d} values, more than {MAX_INPUT_DIM} (MAX_INPUT_DIM)"
        ));
    }
    Ok((shape, d))
}

/// The graph's output (its one declared output, else the last node's) and the nodes it depends
/// on, in order.
fn live_nodes<'g>(g: &'g Graph, input: &str) -> Res<(String, Vec<&'g Node>)> {
    let output = match g.outputs.as_slice() {
        [] => g.nodes.last().and_then(|n| n.outputs.first()).map_or(input, String::as_str).to_string(),
        [one] => one.clone(),
        many => {
            return Err(format!(
                "the graph has {} outputs ({}): only one is supported",
                many.len(),
                many.join(", ")
            ))
        }
    };
    let mut needed: HashSet<&str> = HashSet::from([output.as_str()]);
    let mut keep = vec![false; g.nodes.len()];
    for (i, node) in g.nodes.iter().enumerate().rev() {
        if node.outputs.iter().any(|o| needed.contains(o.as_str())) {
            keep[i] = true;
            needed.extend(node.inputs.iter().map(String::as_str));
        }
    }
    let nodes = g.nodes.iter().zip(keep).filter(|(_, k)| *k).map(|(n, _)| n).collect();
    Ok((output, nodes))
}

/// The message of a reading stopped by its thread's stop token.
pub(super) const STOPPED: &str = "the reading was stopped (Ctrl-C or a time limit)";

pub(super) fn convert(g: &Graph) -> Res<(usize, Vec<Layer>, Vec<String>)> {
    if g.nodes.len() > limits::MAX_NODES {
        return Err(format!(
            "the graph has {} nodes, more than {} (MAX_NODES)",
            g.nodes.len(),
            limits::MAX_NODES
        ));
    }
    let mut constants = Constants::new(&g.constants);
    let (input_name, dims) = g
        .inputs
        .iter()
        .find(|(name, _)| !constants.contains_key(name))
        .ok_or("the graph has no non-constant input")?;
    let (shape, d) = input_shape(input_name, dims)?;
    let mut net = Builder::new(shape, d);
    let (output, nodes) = live_nodes(g, input_name)?;
    // the last node that reads each tensor
    let mut last_use: HashMap<&str, usize> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        for input in &node.inputs {
            last_use.insert(input.as_str(), i);
        }
    }
    let needed_after = |name: &str, i: usize| last_use.get(name).is_some_and(|&j| j > i);
    let mut current = input_name.clone();
    for (i, node) in nodes.iter().enumerate() {
        // a reader on a thread with a stop token (Python's, on Ctrl-C) gives up between nodes
        if crate::runtime::stop::requested() {
            return Err(STOPPED.into());
        }
        let named = |m: String| if m.starts_with("node `") { m } else { at(node, &m) };
        step(node, i, &mut current, &mut constants, &mut net, &needed_after).map_err(named)?;
    }
    if current != output {
        let why =
            if constants.contains_key(&output) { "is a constant" } else { "is not computed from the input" };
        return Err(format!("the graph's output `{output}` {why}"));
    }
    if !net.tail.is_empty() {
        net.notes.push(format!(
            "the outputs are taken before the trailing {} (smooth and applied after the last piecewise-linear operator, they do not change the regions)",
            net.tail.join(", ")
        ));
    }
    if net.layers.is_empty() || net.touched || !rows::is_identity(&net.w, &net.b, net.cols) {
        net.reserve_layer(net.w.len(), net.w.iter().map(Vec::len).sum())?;
        let (weights, bias) =
            (Weights::from_sparse_rows(net.cols, std::mem::take(&mut net.w)), std::mem::take(&mut net.b));
        net.layers.push(Layer { weights, bias, activation: Activation::Linear });
    }
    Ok((d, net.layers, net.notes))
}

/// Reads node `i`: a constant it makes, or its operator applied to the data path.
fn step(
    node: &Node,
    i: usize,
    current: &mut String,
    constants: &mut Constants,
    net: &mut Builder,
    needed_after: &impl Fn(&str, usize) -> bool,
) -> Res<()> {
    if node.op == "Constant" {
        let t = super::fold::constant_node(node)?;
        return constants.insert_copies(&node.outputs, &t);
    }
    let shape_of = |name: &str| {
        if name == current.as_str() {
            Some(net.shape.clone())
        } else {
            net.skips.iter().find(|(s, _)| s == name).map(|(_, live)| live.shape.clone())
        }
    };
    if let Some(folded) = super::fold::fold(node, constants, shape_of) {
        let out = node.outputs.first().ok_or("has no output")?;
        return constants.insert(out.clone(), folded?);
    }
    if !node.inputs.contains(current) {
        // a node on another branch: its input becomes the current tensor
        let Some(k) = node.inputs.iter().find_map(|n| net.skips.iter().position(|(s, _)| s == n)) else {
            return Err("does not consume the network's data path".into());
        };
        let (name, live) = net.skips.remove(k);
        let previous = std::mem::replace(current, name);
        let kept = net.live();
        net.skips.push((previous, kept));
        net.make_current(live);
    }
    if needed_after(current, i) {
        let kept = net.live();
        net.skips.push((current.clone(), kept));
    }
    // kept tensors this node reads for the last time need not ride through a layer it makes
    net.expiring = net.skips.iter().map(|(s, _)| s.clone()).filter(|s| !needed_after(s, i)).collect();
    dispatch::apply_node(node, current, constants, net)?;
    *current = node.outputs.first().cloned().ok_or("has no output")?;
    net.skips.retain(|(name, _)| needed_after(name, i));
    Ok(())
}

/// The node's input `k` (`what` names it in errors), which must be a constant.
pub(super) fn constant_input<'c>(
    node: &Node,
    constants: &'c Constants,
    k: usize,
    what: &str,
) -> Res<&'c Tensor> {
    let name =
        node.inputs.get(k).filter(|s| !s.is_empty()).ok_or_else(|| at(node, &format!("missing {what}")))?;
    constants.get(name).ok_or_else(|| at(node, &format!("{what} is not a constant")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layer is counted against the entries' budget before it is built, and refused (the
    /// layers so far kept) when it would pass it.
    #[test]
    fn layers_are_counted_before_they_are_built() {
        let mut b = Builder::new(vec![1, 2], 2);
        b.entries = Budget::new(5, "MAX_NETWORK_TERMS", "layer entries");
        // 2 rows of one weight each: 4 entries
        assert!(b.relu().is_ok());
        let err = b.relu().unwrap_err();
        assert!(err.contains("MAX_NETWORK_TERMS") && err.contains("more than 5"), "{err}");
        assert_eq!(b.layers.len(), 1);
        assert_eq!(b.entries.used(), 4);
    }
}
