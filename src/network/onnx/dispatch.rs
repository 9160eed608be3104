//! Which module applies each operator of the data path, the operators that only change the
//! shape, and the rules that span operators: the smooth tail (left out), and which operators
//! keep the data's sign (what a skip connection needs to ride through a ReLU layer).

use super::build::{constant_input, Builder, Constants};
use super::{activations, join, linear, lower, maxunits, shapes, Node, Res};

/// Smooth operators accepted after the last piecewise-linear one (left out, with a note).
const SMOOTH: [&str; 6] = ["Sigmoid", "Softmax", "LogSoftmax", "Tanh", "Softplus", "Softsign"];

/// Operators that only move, average or pad values: a nonnegative tensor stays nonnegative.
const KEEP_SIGN: [&str; 12] = [
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
    "Pad",
];

/// Operators that set the sign themselves.
const SET_SIGN: [&str; 11] = [
    "MaxPool",
    "GlobalMaxPool",
    "ReduceMax",
    "ReduceMin",
    "Max",
    "Min",
    "Relu",
    "LeakyRelu",
    "PRelu",
    "Abs",
    "Clip",
];

/// Every operator of the data path, for the refusal's message.
const SUPPORTED: &str = "Gemm, MatMul, Conv, ConvTranspose, AveragePool, GlobalAveragePool, ReduceMean, ReduceSum, BatchNormalization, Pad, Transpose, Concat, Add, Sub, Mul, Div, Relu, LeakyRelu, PRelu, Clip, Abs, MaxPool, GlobalMaxPool, ReduceMax, ReduceMin, Max, Min, Flatten, Reshape, Identity, Dropout, Squeeze, Unsqueeze, Constant; trailing Sigmoid, Softmax, LogSoftmax, Tanh, Softplus, Softsign";

/// Applies `node`, which reads the current tensor `current`: the smooth tail and the rules that
/// span operators here, then the operator's own family ([`apply_operator`]).
pub(super) fn apply_node(node: &Node, current: &str, constants: &Constants, net: &mut Builder) -> Res<()> {
    let op = node.op.as_str();
    if SMOOTH.contains(&op) {
        net.tail.push(op.to_string());
        return Ok(());
    }
    after_tail(op, net)?;
    if op == "Concat" {
        return join::concat(node, current, constants, net);
    }
    // Add/Sub of two tensors of the data path (a residual connection)
    if matches!(op, "Add" | "Sub") && join::add_branches(node, current, net)? {
        return Ok(());
    }
    if !KEEP_SIGN.contains(&op) && !SET_SIGN.contains(&op) {
        net.nonneg = false;
    }
    apply_operator(op, node, current, constants, net)
}

/// After a smooth operator, only operators that move no value may follow.
fn after_tail(op: &str, net: &Builder) -> Res<()> {
    if !net.tail.is_empty()
        && !["Identity", "Dropout", "Flatten", "Reshape", "Squeeze", "Unsqueeze"].contains(&op)
    {
        return Err(format!(
            "follows the smooth {}: a smooth activation in the middle of the network is not piecewise linear",
            net.tail.join(", ")
        ));
    }
    Ok(())
}

/// One operator of the data path, by its family: shapes, linear maps, lowered sparse maps
/// (convolutions, pooling), piecewise-linear activations and max units.
fn apply_operator(op: &str, node: &Node, current: &str, constants: &Constants, net: &mut Builder) -> Res<()> {
    match op {
        "Relu" => net.relu()?,
        "Identity" => {}
        "Dropout" => dropout(node, constants)?,
        "Flatten" => net.shape = shapes::flatten(node, &net.shape)?,
        "Reshape" => {
            net.shape = shapes::reshape(node, &net.shape, constant_input(node, constants, 1, "the shape")?)?
        }
        "Squeeze" => net.shape = shapes::squeeze(node, &net.shape, constants)?,
        "Unsqueeze" => net.shape = shapes::unsqueeze(node, &net.shape, constants)?,
        "Transpose" => {
            let (m, shape) = shapes::transpose(node, &net.shape)?;
            net.apply_sparse(&m, shape)?;
        }
        "Pad" => shapes::pad(node, constants, net)?,
        "MatMul" => linear::matmul(node, current, constants, net)?,
        "Gemm" => linear::gemm(node, current, constants, net)?,
        "Add" | "Sub" | "Mul" | "Div" => linear::arithmetic(node, current, constants, net)?,
        "BatchNormalization" => linear::batch_norm(node, constants, net)?,
        "Conv" | "ConvTranspose" => convolution(op, node, constants, net)?,
        "AveragePool" | "GlobalAveragePool" => {
            let (m, shape) = lower::average_pool(node, &net.shape, op == "GlobalAveragePool")?;
            net.apply_sparse(&m, shape)?;
        }
        "ReduceMean" | "ReduceSum" => activations::mean_or_sum(node, constants, net)?,
        "LeakyRelu" | "PRelu" | "Abs" | "Clip" => activations::apply(node, constants, net)?,
        "Max" | "Min" if activations::against_constants(node, current, constants) => {
            activations::apply(node, constants, net)?
        }
        "MaxPool" | "GlobalMaxPool" | "ReduceMax" | "ReduceMin" | "Max" | "Min" => {
            maxunits::apply(node, current, constants, net)?
        }
        _ => return Err(format!("unsupported operator (supported: {SUPPORTED})")),
    }
    Ok(())
}

/// Dropout is the identity in eval mode; opset 12 gives a constant `training_mode` input, which
/// must be false.
fn dropout(node: &Node, constants: &Constants) -> Res<()> {
    if let Some(t) = node
        .inputs
        .get(2)
        .filter(|s| !s.is_empty())
        .map(|_| constant_input(node, constants, 2, "training_mode"))
    {
        if t?.values.iter().any(|v| !num_traits::Zero::is_zero(v)) {
            return Err("training_mode is true: export the model in eval mode".into());
        }
    }
    Ok(())
}

/// `Conv` or `ConvTranspose` with its constant weight and optional bias, lowered to a sparse map.
fn convolution(op: &str, node: &Node, constants: &Constants, net: &mut Builder) -> Res<()> {
    let constant = |k: usize, what: &str| constant_input(node, constants, k, what);
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
    net.apply_sparse(&m, shape)
}
