//! The elementwise piecewise-linear operators of the data path, written with ReLUs that share
//! each unit's hyperplanes (`LeakyRelu`, `PRelu`, `Abs`, `Clip`, and `Max`/`Min` against
//! constants), and the affine reductions `ReduceMean` and `ReduceSum`.

use super::build::Builder;
use super::{at, lower, Node, Res, Tensor};
use crate::num::{from_f64_exact, Q};
use num_traits::{One, Signed, Zero};
use std::collections::HashMap;

/// Whether a `Max`/`Min` node takes the current tensor once and otherwise only constants.
pub(super) fn against_constants(node: &Node, current: &str, constants: &HashMap<String, Tensor>) -> bool {
    node.inputs.len() >= 2
        && node.inputs.iter().filter(|i| *i == current).count() == 1
        && node.inputs.iter().all(|i| i == current || constants.contains_key(i))
}

/// Applies an elementwise piecewise-linear operator to the current tensor.
pub(super) fn apply(node: &Node, constants: &HashMap<String, Tensor>, net: &mut Builder) -> Res<()> {
    let op = node.op.as_str();
    let constant = |k: usize, what: &str| super::build::constant_input(node, constants, k, what);
    match op {
        "LeakyRelu" | "PRelu" => {
            let n = net.width();
            let slopes = if op == "LeakyRelu" {
                // ONNX's default alpha is the float32 nearest 0.01
                let alpha = match node.floats.get("alpha") {
                    Some(a) => a.clone(),
                    None => from_f64_exact(f64::from(0.01f32)).ok_or_else(|| at(node, "bad alpha"))?,
                };
                vec![alpha; n]
            } else {
                lower::broadcast_to(node, constant(1, "the slope")?, &net.shape)?
            };
            let (one, zero) = (Q::one(), Q::zero());
            // x >= 0: x; x < 0: alpha x. relu(x) - alpha relu(-x)
            let pieces: Vec<Vec<(Q, Q, Q)>> = slopes
                .iter()
                .map(|a| vec![(one.clone(), zero.clone(), one.clone()), (-&one, zero.clone(), -a)])
                .collect();
            net.piecewise(&pieces, &vec![zero; n]).map_err(|m| at(node, &m))?;
            net.nonneg = false;
        }
        "Abs" => {
            let n = net.width();
            let (one, zero) = (Q::one(), Q::zero());
            let pieces =
                vec![vec![(one.clone(), zero.clone(), one.clone()), (-&one, zero.clone(), one.clone())]; n];
            net.piecewise(&pieces, &vec![zero; n]).map_err(|m| at(node, &m))?;
            net.nonneg = true;
        }
        "Clip" => {
            let bound = |k: usize, attr: &str| -> Res<Option<Q>> {
                match node.inputs.get(k).filter(|s| !s.is_empty()) {
                    Some(_) => Ok(constant(k, attr)?.values.first().cloned()),
                    None => Ok(node.floats.get(attr).cloned()),
                }
            };
            let (lo, hi) = (bound(1, "min")?, bound(2, "max")?);
            let n = net.width();
            let one = Q::one();
            let (pieces, constant): (Vec<(Q, Q, Q)>, Q) = match (lo, hi) {
                (Some(lo), Some(hi)) if lo < hi => {
                    (vec![(one.clone(), -&lo, one.clone()), (one.clone(), -&hi, -&one)], lo)
                }
                (Some(lo), None) => (vec![(one.clone(), -&lo, one.clone())], lo),
                (None, Some(hi)) => (vec![(-&one, hi.clone(), -&one)], hi),
                (None, None) => return Ok(()),
                _ => return Err(at(node, "min is not below max")),
            };
            // lo + relu(x - lo) - ... >= lo: nonnegative when a lower bound lo >= 0 is given
            let nonneg = pieces[0].0 == one && pieces[0].1 <= Q::zero();
            net.piecewise(&vec![pieces; n], &vec![constant; n]).map_err(|m| at(node, &m))?;
            net.nonneg = nonneg;
        }
        "Max" | "Min" => {
            // against constants only: two pieces per unit, max(x, c) = c + relu(x - c),
            // min(x, c) = c - relu(c - x) (several constants: their elementwise max or min)
            let mut bound: Option<Vec<Q>> = None;
            for name in node.inputs.iter().filter(|i| constants.contains_key(*i)) {
                let c = lower::broadcast_to(node, &constants[name], &net.shape)?;
                bound = Some(match bound {
                    None => c,
                    Some(b) => b
                        .into_iter()
                        .zip(c)
                        .map(|(x, y)| if (op == "Max") == (y > x) { y } else { x })
                        .collect(),
                });
            }
            let bound = bound.ok_or_else(|| at(node, "needs a constant operand"))?;
            let one = Q::one();
            let pieces: Vec<Vec<(Q, Q, Q)>> = bound
                .iter()
                .map(|c| {
                    if op == "Max" {
                        vec![(one.clone(), -c, one.clone())]
                    } else {
                        vec![(-&one, c.clone(), -&one)]
                    }
                })
                .collect();
            let nonneg = op == "Max" && bound.iter().all(|c| !c.is_negative());
            net.piecewise(&pieces, &bound).map_err(|m| at(node, &m))?;
            net.nonneg = nonneg;
        }
        _ => return Err(at(node, "is not an elementwise piecewise-linear operator")),
    }
    Ok(())
}

/// `ReduceMean` and `ReduceSum` (axes as in `ReduceMax`; none with `noop_with_empty_axes` set
/// leaves the data as it is): each output the exact mean or sum of its group.
pub(super) fn mean_or_sum(node: &Node, constants: &HashMap<String, Tensor>, net: &mut Builder) -> Res<()> {
    let no_axes = !node.int_lists.contains_key("axes") && node.inputs.get(1).is_none_or(|s| s.is_empty());
    if no_axes && node.ints.get("noop_with_empty_axes") == Some(&1) {
        return Ok(());
    }
    let (groups, shape) = super::maxunits::reduce_groups(node, &net.shape, constants)?;
    let mean = node.op == "ReduceMean";
    let rows = groups
        .iter()
        .map(|g| {
            let w = if mean { Q::new(1.into(), g.len().max(1).into()) } else { Q::one() };
            g.iter().map(|&i| (i, w.clone())).collect()
        })
        .collect();
    net.apply_sparse(&lower::Sparse { rows, offset: vec![Q::zero(); groups.len()] }, shape);
    Ok(())
}

impl Builder {
    /// A unit with several linear pieces, written with ReLUs: unit `j` becomes
    /// `d_j + sum_t c_t relu(s_t h_j + e_t)` for its pieces `(s_t, e_t, c_t)` (the same number for
    /// every unit). One ReLU layer of `pieces x width` neurons (piece-major) is emitted; the data
    /// keeps its shape. The ReLUs of one unit share its hyperplanes, so the regions are the
    /// unit's.
    pub(super) fn piecewise(&mut self, pieces: &[Vec<(Q, Q, Q)>], constant: &[Q]) -> Res<()> {
        let n = self.width();
        let k = pieces.first().map_or(0, Vec::len);
        let shape = self.shape.clone();
        // the ReLUs' preactivations: piece t of unit j is s h_j + e
        let rows: Vec<Vec<(usize, Q)>> = (0..k)
            .flat_map(|t| (0..n).map(move |j| (t, j)))
            .map(|(t, j)| vec![(j, pieces[j][t].0.clone())])
            .collect();
        let offset: Vec<Q> =
            (0..k).flat_map(|t| (0..n).map(move |j| (t, j))).map(|(t, j)| pieces[j][t].1.clone()).collect();
        self.apply_sparse(&lower::Sparse { rows, offset }, vec![k * n]);
        self.relu()?;
        // then the combination
        let rows = (0..n).map(|j| (0..k).map(|t| (t * n + j, pieces[j][t].2.clone())).collect()).collect();
        self.apply_sparse(&lower::Sparse { rows, offset: constant.to_vec() }, shape);
        Ok(())
    }
}
