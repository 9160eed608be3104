//! The affine operators with constant weights, with numpy's shapes (every axis kept): `Gemm`,
//! `MatMul` (stacks of matrices, broadcast), `Add`/`Sub`/`Mul`/`Div` by constants (numpy
//! broadcasting, which may widen the data) and `BatchNormalization` in inference mode. Each
//! map's terms are counted before it is formed.

use super::build::{constant_input, Builder, Constants};
use super::lower::Sparse;
use super::roots::{exact_sqrt, rounded_sqrt};
use super::shapes::{broadcast_index, broadcast_shapes, checked};
use super::{Node, Res, Tensor};
use crate::exact::num::{from_f64_exact, Q};
use crate::network::limits::{tensor_values, MAX_MAP_TERMS};
use num_traits::{One, Signed, Zero};

/// `rows x per_row` terms, refused above [`MAX_MAP_TERMS`] before they are formed.
pub(super) fn check_terms(rows: usize, per_row: usize) -> Res<()> {
    match rows.checked_mul(per_row) {
        Some(t) if t <= MAX_MAP_TERMS => Ok(()),
        _ => Err(format!(
            "its map would have {rows} outputs of {per_row} terms each (more than {MAX_MAP_TERMS} terms: MAX_MAP_TERMS)"
        )),
    }
}

/// The operand of a binary node that is not the data (a constant), and whether it comes first.
fn constant_operand<'c>(node: &Node, current: &str, constants: &'c Constants) -> Res<(&'c Tensor, bool)> {
    let pos = node
        .inputs
        .iter()
        .position(|i| i != current)
        .ok_or_else(|| format!("{} of the data by itself is not supported (not affine)", node.op))?;
    let t = constants
        .get(&node.inputs[pos])
        .ok_or("its other operand is neither a constant nor a tensor of the data path")?;
    Ok((t, pos == 0))
}

/// `Gemm(A, B, C) = alpha op(A) op(B) + beta C` with the data as `A` (a matrix, or a vector as
/// one row), `B` a constant matrix (`transA`, `transB`) and `C` a constant broadcast to the
/// output.
pub(super) fn gemm(node: &Node, current: &str, constants: &Constants, net: &mut Builder) -> Res<()> {
    if node.inputs.first().map(String::as_str) != Some(current) {
        return Err("only Gemm(data, B, C) is supported: the data must be A".into());
    }
    let flag = |name: &str| node.ints.get(name).copied().unwrap_or(0) != 0;
    let (trans_a, trans_b) = (flag("transA"), flag("transB"));
    let b = constant_input(node, constants, 1, "B")?;
    let [b0, b1] = b.dims[..] else {
        return Err(format!("B must be a matrix, got shape {:?}", b.dims));
    };
    let (k, m) = if trans_b { (b1, b0) } else { (b0, b1) };
    let (n, ka, vector) = match (net.shape.as_slice(), trans_a) {
        ([k], _) => (1, *k, true),
        ([r, c], false) => (*r, *c, false),
        ([r, c], true) => (*c, *r, false),
        (s, _) => return Err(format!("A (the data) must be a matrix, got shape {s:?}")),
    };
    if ka != k {
        return Err(format!("B has {k} rows but the data has {ka} values per row"));
    }
    let out_shape = checked(if vector { vec![m] } else { vec![n, m] })?;
    check_terms(n * m, k)?;
    let alpha = node.floats.get("alpha").cloned().unwrap_or_else(Q::one);
    let beta = node.floats.get("beta").cloned().unwrap_or_else(Q::one);
    let c: Vec<Q> = match node.inputs.get(2).filter(|s| !s.is_empty()) {
        Some(_) => {
            let c = constant_input(node, constants, 2, "C")?;
            if broadcast_shapes(&c.dims, &out_shape).as_deref() != Some(&out_shape[..]) {
                return Err(format!("C of shape {:?} does not broadcast to {out_shape:?}", c.dims));
            }
            broadcast_index(&c.dims, &out_shape).into_iter().map(|i| &c.values[i] * &beta).collect()
        }
        None => vec![Q::zero(); n * m],
    };
    let weight = |kk: usize, j: usize| if trans_b { &b.values[j * k + kk] } else { &b.values[kk * m + j] };
    let mut rows = Vec::with_capacity(n * m);
    for i in 0..n {
        for j in 0..m {
            let at = |kk: usize| if trans_a { kk * n + i } else { i * k + kk };
            let scaled = |v: &Q| if alpha.is_one() { v.clone() } else { v * &alpha };
            rows.push(
                (0..k)
                    .filter(|&kk| !weight(kk, j).is_zero())
                    .map(|kk| (at(kk), scaled(weight(kk, j))))
                    .collect(),
            );
        }
    }
    net.apply_sparse(&Sparse { rows, offset: c }, out_shape)
}

/// `MatMul` of the data and a constant, either way round, as numpy: a vector operand is a row
/// (first) or a column (second) whose axis is dropped after, and the axes before the last two
/// are stacks of matrices, broadcast.
pub(super) fn matmul(node: &Node, current: &str, constants: &Constants, net: &mut Builder) -> Res<()> {
    let (t, constant_first) = constant_operand(node, current, constants)?;
    let data = net.shape.clone();
    let (a, b) = if constant_first { (t.dims.clone(), data) } else { (data, t.dims.clone()) };
    if a.is_empty() || b.is_empty() {
        return Err("MatMul of a scalar".into());
    }
    let (a2, row) = if a.len() == 1 { (vec![1, a[0]], true) } else { (a, false) };
    let (b2, column) = if b.len() == 1 { (vec![b[0], 1], true) } else { (b, false) };
    let (n, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let (k2, m) = (b2[b2.len() - 2], b2[b2.len() - 1]);
    if k != k2 {
        return Err(format!("multiplies shapes {a2:?} and {b2:?} ({k} against {k2})"));
    }
    let (stack_a, stack_b) = (&a2[..a2.len() - 2], &b2[..b2.len() - 2]);
    let stack = broadcast_shapes(stack_a, stack_b)
        .ok_or_else(|| format!("the stacks {stack_a:?} and {stack_b:?} do not broadcast"))?;
    let mut out_shape = stack.clone();
    out_shape.extend(std::iter::once(n).filter(|_| !row).chain(std::iter::once(m).filter(|_| !column)));
    let out_shape = checked(out_shape)?;
    let outputs = tensor_values(&stack)? * n * m;
    check_terms(outputs, k)?;
    let (ia, ib) = (broadcast_index(stack_a, &stack), broadcast_index(stack_b, &stack));
    let mut rows = Vec::with_capacity(outputs);
    for (pa, pb) in ia.iter().zip(&ib) {
        for i in 0..n {
            for j in 0..m {
                let terms = (0..k).filter_map(|kk| {
                    let (fa, fb) = (pa * n * k + i * k + kk, pb * k * m + kk * m + j);
                    let (data_at, weight) =
                        if constant_first { (fb, &t.values[fa]) } else { (fa, &t.values[fb]) };
                    (!weight.is_zero()).then(|| (data_at, weight.clone()))
                });
                rows.push(terms.collect());
            }
        }
    }
    let offset = vec![Q::zero(); outputs];
    net.apply_sparse(&Sparse { rows, offset }, out_shape)
}

/// `Add`/`Sub`/`Mul`/`Div` of the data and a constant, numpy broadcasting (the data is repeated
/// first when the constant widens it).
pub(super) fn arithmetic(node: &Node, current: &str, constants: &Constants, net: &mut Builder) -> Res<()> {
    let (t, constant_first) = constant_operand(node, current, constants)?;
    let out = broadcast_shapes(&net.shape, &t.dims).ok_or_else(|| {
        format!("the constant of shape {:?} does not broadcast with the data's {:?}", t.dims, net.shape)
    })?;
    let out = checked(out)?;
    if out != net.shape {
        let index = broadcast_index(&net.shape, &out);
        net.gather(&index, out.clone())?;
    }
    let c: Vec<Q> = broadcast_index(&t.dims, &out).into_iter().map(|i| t.values[i].clone()).collect();
    let n = c.len();
    let (ones, zeros) = (vec![Q::one(); n], vec![Q::zero(); n]);
    let negated = |v: &[Q]| v.iter().map(|x| -x).collect::<Vec<_>>();
    match (node.op.as_str(), constant_first) {
        ("Add", _) => net.scale_shift(&ones, &c),
        ("Sub", false) => net.scale_shift(&ones, &negated(&c)),
        ("Sub", true) => net.scale_shift(&negated(&ones), &c),
        ("Mul", _) => net.scale_shift(&c, &zeros),
        ("Div", false) => {
            if c.iter().any(Zero::is_zero) {
                return Err("divides by zero".into());
            }
            net.scale_shift(&c.iter().map(|v| v.recip()).collect::<Vec<_>>(), &zeros)
        }
        _ => return Err("dividing a constant by the data is not piecewise linear".into()),
    }
    Ok(())
}

/// `BatchNormalization` in inference mode: per channel (axis 1, or 0 for a vector)
/// `y = s x + t` with `s = scale / sqrt(var + eps)`, `t = bias - mean s`; a square root that is
/// not rational is rounded ([`super::roots`]) and noted.
pub(super) fn batch_norm(node: &Node, constants: &Constants, net: &mut Builder) -> Res<()> {
    if node.ints.get("training_mode").copied().unwrap_or(0) != 0 {
        return Err("training_mode = 1: export the model in eval mode".into());
    }
    let params = ["scale", "B", "mean", "var"]
        .iter()
        .enumerate()
        .map(|(k, what)| constant_input(node, constants, k + 1, what))
        .collect::<Res<Vec<&Tensor>>>()?;
    let [scale, bias, mean, var] = params[..] else { unreachable!("four parameters") };
    let shape = &net.shape;
    let axis = if shape.len() >= 2 { 1 } else { 0 };
    let channels = *shape.get(axis).ok_or("the data is a scalar (no channel axis)")?;
    if [scale, bias, mean, var].iter().any(|t| t.values.len() != channels) {
        return Err(format!("its parameters do not have one value per channel ({channels})"));
    }
    // ONNX's default epsilon is the float32 nearest 1e-5
    let eps = match node.floats.get("epsilon") {
        Some(e) => e.clone(),
        None => from_f64_exact(f64::from(1e-5f32)).ok_or("bad epsilon")?,
    };
    let mut rounded = 0;
    let per_channel: Vec<(Q, Q)> = (0..channels)
        .map(|c| {
            let v = &var.values[c] + &eps;
            if !v.is_positive() {
                return Err(format!("var + epsilon is not positive in channel {c}"));
            }
            let root = exact_sqrt(&v).unwrap_or_else(|| {
                rounded += 1;
                rounded_sqrt(&v)
            });
            let s = &scale.values[c] / root;
            let t = &bias.values[c] - &mean.values[c] * &s;
            Ok((s, t))
        })
        .collect::<Res<_>>()?;
    let inner: usize = shape[axis + 1..].iter().product();
    let (s, t): (Vec<Q>, Vec<Q>) =
        (0..net.width()).map(|i| per_channel[(i / inner) % channels].clone()).unzip();
    net.scale_shift(&s, &t);
    if rounded > 0 {
        net.notes.push(format!(
            "BatchNormalization `{}`: sqrt(var + eps) is irrational in {rounded} of {channels} channels; there it was rounded to the nearest number with a 53-bit significand (float64's precision at any exponent, relative error below 2^-53, always positive; the only approximation in this network)",
            node.name
        ));
    }
    Ok(())
}
