//! Building the chain of layers from the ONNX graph's data path: a pending affine map is
//! composed exactly with every affine operator and becomes a layer at each ReLU.
//!
//! Skip connections (a tensor used again after a ReLU, as in residual blocks) are carried
//! through each layer as extra ReLU neurons on its values. That is exact when the tensor is known
//! to be nonnegative (the output of a ReLU, averaged, padded with 0, ...): such a neuron is
//! identically zero or strictly positive wherever the earlier states are fixed, so it never cuts
//! a region; its state is determined by theirs. When a skip may be negative (the raw input, a
//! pre-activation) the layer is written as max units of two pieces instead: each ReLU neuron is
//! `max(0, h)` and each skip value `max(t, t)`, two equal candidates, one piece, no cut.

use super::fold;
use super::join;
use super::lower;
use super::lower::{broadcast, check_width, matrix, reshape, squeeze_axes, transposed_matrix};
use super::rows::{self, Row};
use super::{at, Graph, Node, Res, Tensor};
use crate::network::{Activation, Layer, Weights};
use crate::num::Q;
use num_traits::{One, Signed, Zero};
use std::collections::HashMap;

/// The network built so far: finished layers and the pending affine map `W h + b` since the last
/// ReLU (rows = current width, sparse over the `cols` values of the layer input).
pub(super) struct Builder {
    pub(super) layers: Vec<Layer>,
    pub(super) w: Vec<Row>,
    pub(super) b: Vec<Q>,
    /// The width of the pending layer's input.
    pub(super) cols: usize,
    /// The data's shape, batch axis dropped (its product is the width).
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
    pub(super) fn width(&self) -> usize {
        self.b.len()
    }

    /// Applies a sparse map (each output a few input terms plus a constant) after the pending
    /// map; the data then has `shape`.
    pub(super) fn apply_sparse(&mut self, m: &lower::Sparse, shape: Vec<usize>) {
        let mut w = Vec::with_capacity(m.rows.len());
        let mut b = Vec::with_capacity(m.rows.len());
        for (row, c) in m.rows.iter().zip(&m.offset) {
            w.push(rows::combine(&self.w, row.iter().map(|(k, mk)| (*k, mk))));
            b.push(row.iter().fold(c.clone(), |acc, (k, mk)| acc + mk * &self.b[*k]));
        }
        self.w = w;
        self.b = b;
        self.shape = shape;
    }

    /// Elementwise `h_i -> s_i h_i + t_i`.
    fn scale_shift(&mut self, s: &[Q], t: &[Q]) {
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
        let mut weights = std::mem::take(&mut self.w);
        let mut bias = std::mem::take(&mut self.b);
        let mut starts = Vec::new();
        for (_, s) in &self.skips {
            starts.push(bias.len());
            weights.extend(s.w.iter().cloned());
            bias.extend(s.b.iter().cloned());
        }
        let weights = Weights::sparse(self.cols, weights);
        self.cols = bias.len();
        self.layers.push(Layer { weights, bias, activation: Activation::Relu });
        self.w = rows::block(0, n);
        self.b = vec![Q::zero(); n];
        self.nonneg = true;
        for ((_, s), start) in self.skips.iter_mut().zip(starts) {
            let len = s.b.len();
            s.w = rows::block(start, len);
            s.b = vec![Q::zero(); len];
        }
        Ok(())
    }

    /// The current tensor, for keeping.
    pub(super) fn live(&self) -> Live {
        Live { w: self.w.clone(), b: self.b.clone(), shape: self.shape.clone(), nonneg: self.nonneg }
    }

    /// Makes `live` the current tensor.
    pub(super) fn make_current(&mut self, live: Live) {
        self.w = live.w;
        self.b = live.b;
        self.shape = live.shape;
        self.nonneg = live.nonneg;
    }

    /// Applies a dense map `h -> M h + c` (M: out x width); the data becomes a vector.
    fn apply(&mut self, m: &[Vec<Q>], c: &[Q]) {
        let n = m.len();
        self.apply_sparse(&lower::Sparse { rows: rows::from_dense(m), offset: c.to_vec() }, vec![n]);
    }
}

pub(super) fn convert(g: &Graph) -> Res<(usize, Vec<Layer>, Vec<String>)> {
    let mut constants = g.constants.clone();
    let (input_name, dims) = g
        .inputs
        .iter()
        .find(|(name, _)| !constants.contains_key(name))
        .ok_or("the graph has no non-constant input")?;
    let d = dims.iter().map(|v| v.unwrap_or(1)).product::<u64>();
    let d = usize::try_from(d)
        .ok()
        .filter(|&d| d > 0 && d <= 1_000_000)
        .ok_or("the input shape is not a known vector size")?;
    // the batch axis (first, when there are several) is dropped
    let shape: Vec<usize> = match dims.len() {
        0 | 1 => vec![d],
        _ => dims[1..].iter().map(|v| v.unwrap_or(1) as usize).collect(),
    };
    let mut net = Builder {
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
    };
    // the last node that reads each tensor
    let mut last_use: HashMap<&str, usize> = HashMap::new();
    for (i, node) in g.nodes.iter().enumerate() {
        for input in &node.inputs {
            last_use.insert(input.as_str(), i);
        }
    }
    let needed_after = |name: &str, i: usize| last_use.get(name).is_some_and(|&j| j > i);
    let mut current = input_name.clone();
    for (i, node) in g.nodes.iter().enumerate() {
        if node.op == "Constant" {
            let t = node.tensors.get("value").ok_or_else(|| at(node, "Constant without a tensor `value`"))?;
            for out in &node.outputs {
                constants.insert(out.clone(), t.clone());
            }
            continue;
        }
        let shape_of = |name: &str| {
            if name == current {
                Some(net.shape.clone())
            } else {
                net.skips.iter().find(|(s, _)| s == name).map(|(_, live)| live.shape.clone())
            }
        };
        if let Some(folded) = fold::fold(node, &constants, shape_of) {
            let out = node.outputs.first().ok_or_else(|| at(node, "has no output"))?;
            constants.insert(out.clone(), folded?);
            continue;
        }
        if !node.inputs.contains(&current) {
            // a node on another branch: its input becomes the current tensor
            let Some(k) = node.inputs.iter().find_map(|n| net.skips.iter().position(|(s, _)| s == n)) else {
                return Err(at(node, "does not consume the network's data path"));
            };
            let (name, live) = net.skips.remove(k);
            let previous = std::mem::replace(&mut current, name);
            let kept = net.live();
            net.skips.push((previous, kept));
            net.make_current(live);
        }
        if needed_after(&current, i) {
            let kept = net.live();
            net.skips.push((current.clone(), kept));
        }
        // kept tensors this node reads for the last time need not ride through a layer it makes
        net.expiring = net.skips.iter().map(|(s, _)| s.clone()).filter(|s| !needed_after(s, i)).collect();
        apply_node(node, &current, &constants, &mut net)?;
        current = node.outputs.first().cloned().ok_or_else(|| at(node, "has no output"))?;
        net.skips.retain(|(name, _)| needed_after(name, i));
    }
    if !net.tail.is_empty() {
        net.notes.push(format!(
            "the outputs are taken before the trailing {} (smooth and applied after the last piecewise-linear operator, they do not change the regions)",
            net.tail.join(", ")
        ));
    }
    if net.layers.is_empty() || !rows::is_identity(&net.w, &net.b, net.cols) {
        let (weights, bias) = (Weights::sparse(net.cols, net.w), net.b);
        net.layers.push(Layer { weights, bias, activation: Activation::Linear });
    }
    Ok((d, net.layers, net.notes))
}

/// The node's input `k` (`what` names it in errors), which must be a constant.
pub(super) fn constant_input<'c>(
    node: &Node,
    constants: &'c HashMap<String, Tensor>,
    k: usize,
    what: &str,
) -> Res<&'c Tensor> {
    let name =
        node.inputs.get(k).filter(|s| !s.is_empty()).ok_or_else(|| at(node, &format!("missing {what}")))?;
    constants.get(name).ok_or_else(|| at(node, &format!("{what} is not a constant")))
}

fn apply_node(node: &Node, current: &str, constants: &HashMap<String, Tensor>, net: &mut Builder) -> Res<()> {
    let other = || -> Res<(&Tensor, bool)> {
        let pos = node
            .inputs
            .iter()
            .position(|i| i != current)
            .ok_or_else(|| at(node, "needs a constant operand"))?;
        let t = constants.get(&node.inputs[pos]).ok_or_else(|| {
            at(node, "its other operand is neither a constant nor a tensor of the data path")
        })?;
        Ok((t, pos == 0))
    };
    if node.op == "Concat" {
        return join::concat(node, current, constants, net);
    }
    // Add/Sub of two tensors of the data path (a residual connection)
    if matches!(node.op.as_str(), "Add" | "Sub") && join::add_branches(node, current, net)? {
        return Ok(());
    }
    let constant = |k: usize, what: &str| constant_input(node, constants, k, what);
    let op = node.op.as_str();
    const SMOOTH: [&str; 6] = ["Sigmoid", "Softmax", "LogSoftmax", "Tanh", "Softplus", "Softsign"];
    const SHAPE_ONLY: [&str; 3] = ["Identity", "Dropout", "Flatten"];
    if SMOOTH.contains(&op) {
        net.tail.push(op.to_string());
        return Ok(());
    }
    if !net.tail.is_empty() && !SHAPE_ONLY.contains(&op) && op != "Reshape" {
        return Err(at(
            node,
            &format!("follows the smooth {} : a smooth activation in the middle of the network is not piecewise linear", net.tail.join(", ")),
        ));
    }
    // the sign of the result: kept by moving, averaging and padding values; set by the
    // activations below; unknown after any other affine operator
    const KEEP_SIGN: [&str; 11] = [
        "ReduceMean",
        "ReduceSum",
        "Identity",
        "Dropout",
        "Flatten",
        "Reshape",
        "Squeeze",
        "Unsqueeze",
        "Transpose",
        "AveragePool",
        "GlobalAveragePool",
    ];
    const MAX_UNITS: [&str; 6] = ["MaxPool", "GlobalMaxPool", "ReduceMax", "ReduceMin", "Max", "Min"];
    if !KEEP_SIGN.contains(&op) && op != "Pad" && !MAX_UNITS.contains(&op) {
        net.nonneg = false;
    }
    match op {
        "Relu" => net.relu().map_err(|m| at(node, &m))?,
        "Identity" | "Dropout" => {}
        "Flatten" => net.shape = vec![net.width()],
        "Reshape" => {
            let target = constant(1, "the shape")?;
            net.shape = reshape(node, &net.shape, target)?;
        }
        "Squeeze" => {
            let axes = squeeze_axes(node, constants);
            net.shape = match axes {
                Some(axes) => net.shape.iter().enumerate().filter(|(i, _)| !axes.contains(&(*i as i64 + 1))).map(|(_, &v)| v).collect(),
                None => net.shape.iter().copied().filter(|&v| v != 1).collect(),
            };
            if net.shape.is_empty() {
                net.shape = vec![1];
            }
        }
        "Unsqueeze" => {
            for a in squeeze_axes(node, constants).unwrap_or_default() {
                let at_axis = usize::try_from(a - 1).unwrap_or(0).min(net.shape.len());
                net.shape.insert(at_axis, 1);
            }
        }
        "MatMul" => {
            let (t, constant_first) = other()?;
            let m = matrix(t, node)?;
            // data x (1 x n) @ W (n x m): y = W^T x; W (m x n) @ x (n x 1): y = W x
            let m = if constant_first { m } else { transposed_matrix(&m) };
            check_width(node, m.first().map_or(0, Vec::len), net.width())?;
            net.apply(&m, &vec![Q::zero(); m.len()]);
        }
        "Gemm" => gemm(node, current, constants, net)?,
        "Add" | "Sub" | "Mul" | "Div" => {
            let (t, constant_first) = other()?;
            let n = net.width();
            let c = lower::broadcast_to(node, t, &net.shape)?;
            let ones = vec![Q::one(); n];
            let zeros = vec![Q::zero(); n];
            match (op, constant_first) {
                ("Add", _) => net.scale_shift(&ones, &c),
                ("Sub", false) => net.scale_shift(&ones, &c.iter().map(|v| -v).collect::<Vec<_>>()),
                ("Sub", true) => net.scale_shift(&ones.iter().map(|v| -v).collect::<Vec<_>>(), &c),
                ("Mul", _) => net.scale_shift(&c, &zeros),
                ("Div", false) => {
                    if c.iter().any(Zero::is_zero) {
                        return Err(at(node, "divides by zero"));
                    }
                    net.scale_shift(&c.iter().map(|v| v.recip()).collect::<Vec<_>>(), &zeros)
                }
                _ => return Err(at(node, "dividing a constant by the data is not piecewise linear")),
            }
        }
        "Conv" | "ConvTranspose" => {
            let bias = match node.inputs.get(2).filter(|s| !s.is_empty()) {
                Some(_) => Some(constant(2, "the bias")?),
                None => None,
            };
            let weight = constant(1, "the weight")?;
            let (m, shape) = if op == "Conv" {
                lower::conv(node, &net.shape, weight, bias)?
            } else {
                super::conv_transpose::conv_transpose(node, &net.shape, weight, bias)?
            };
            net.apply_sparse(&m, shape);
        }
        "AveragePool" | "GlobalAveragePool" => {
            let (m, shape) = lower::average_pool(node, &net.shape, op == "GlobalAveragePool")?;
            net.apply_sparse(&m, shape);
        }
        "ReduceMean" | "ReduceSum" => super::activations::mean_or_sum(node, constants, net)?,
        "Pad" => {
            let pads: Vec<i64> = match node.int_lists.get("pads") {
                Some(p) => p.clone(),
                None => constant(1, "the pads")?.values.iter().map(|v| v.to_integer().try_into().unwrap_or(-1)).collect(),
            };
            let value = match node.inputs.get(2).filter(|s| !s.is_empty()) {
                Some(_) => constant(2, "the value")?.values.first().cloned().unwrap_or_default(),
                None => node.floats.get("value").cloned().unwrap_or_default(),
            };
            net.nonneg = net.nonneg && !value.is_negative();
            let (m, shape) = lower::pad(node, &net.shape, &pads, value)?;
            net.apply_sparse(&m, shape);
        }
        "Transpose" => {
            let (m, shape) = lower::transpose(node, &net.shape)?;
            net.apply_sparse(&m, shape);
        }
        "BatchNormalization" => {
            let params = [constant(1, "scale")?, constant(2, "B")?, constant(3, "mean")?, constant(4, "var")?];
            let (s, t, note) = lower::batch_norm(node, &net.shape, params)?;
            net.scale_shift(&s, &t);
            net.notes.extend(note);
        }
        "LeakyRelu" | "PRelu" | "Abs" | "Clip" => super::activations::apply(node, constants, net)?,
        "Max" | "Min" if super::activations::against_constants(node, current, constants) => {
            super::activations::apply(node, constants, net)?
        }
        "MaxPool" | "GlobalMaxPool" | "ReduceMax" | "ReduceMin" | "Max" | "Min" => {
            super::maxunits::apply(node, current, constants, net)?
        }
        _ => return Err(at(node, "unsupported operator (supported: Gemm, MatMul, Conv, ConvTranspose, AveragePool, GlobalAveragePool, ReduceMean, ReduceSum, BatchNormalization, Pad, Transpose, Concat, Add, Sub, Mul, Div, Relu, LeakyRelu, PRelu, Clip, Abs, MaxPool, GlobalMaxPool, ReduceMax, ReduceMin, Max, Min, Flatten, Reshape, Identity, Dropout, Squeeze, Unsqueeze, Constant; trailing Sigmoid, Softmax, LogSoftmax, Tanh)")),
    }
    Ok(())
}

fn gemm(node: &Node, current: &str, constants: &HashMap<String, Tensor>, net: &mut Builder) -> Res<()> {
    if node.inputs.first().map(String::as_str) != Some(current)
        || node.ints.get("transA").copied().unwrap_or(0) != 0
    {
        return Err(at(node, "only Gemm(data, B, C) with transA = 0 is supported"));
    }
    let b = constants
        .get(node.inputs.get(1).ok_or_else(|| at(node, "missing B"))?)
        .ok_or_else(|| at(node, "B is not a constant"))?;
    let alpha = node.floats.get("alpha").cloned().unwrap_or_else(Q::one);
    let beta = node.floats.get("beta").cloned().unwrap_or_else(Q::one);
    let m = matrix(b, node)?;
    // y = alpha * op(B)^T x + beta * C, op(B) = B^T when transB
    let w = if node.ints.get("transB").copied().unwrap_or(0) != 0 { m } else { transposed_matrix(&m) };
    let w: Vec<Vec<Q>> = w.into_iter().map(|row| row.into_iter().map(|v| v * &alpha).collect()).collect();
    check_width(node, w.first().map_or(0, Vec::len), net.width())?;
    let c = match node.inputs.get(2).filter(|s| !s.is_empty()) {
        Some(name) => {
            broadcast(constants.get(name).ok_or_else(|| at(node, "C is not a constant"))?, w.len(), node)?
                .into_iter()
                .map(|v| v * &beta)
                .collect()
        }
        None => vec![Q::zero(); w.len()],
    };
    net.apply(&w, &c);
    Ok(())
}
