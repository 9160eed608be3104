//! The elementwise piecewise-linear operators of the data path, written with ReLUs that share
//! each unit's hyperplanes (`LeakyRelu`, `PRelu`, `Abs`, `Clip`, and `Max`/`Min` against
//! constants), and the affine reductions `ReduceMean` and `ReduceSum`.

use super::build::{Builder, Constants, Live};
use super::rows;
use super::{lower, Node, Res};
use crate::exact::num::{from_f64_exact, Q};
use num_traits::{One, Signed, Zero};

/// Whether a `Max`/`Min` node takes the current tensor once and otherwise only constants.
pub(super) fn against_constants(node: &Node, current: &str, constants: &Constants) -> bool {
    node.inputs.len() >= 2
        && node.inputs.iter().filter(|i| *i == current).count() == 1
        && node.inputs.iter().all(|i| i == current || constants.contains_key(i))
}

/// One unit of an elementwise piecewise-linear operator:
/// `constant + linear h + sum_t c_t relu(s_t h + e_t)` over its pieces `(s_t, e_t, c_t)`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Unit {
    pub(super) constant: Q,
    pub(super) linear: Q,
    pub(super) pieces: Vec<(Q, Q, Q)>,
}

impl Unit {
    /// A unit of pieces only, plus a constant.
    fn of(pieces: Vec<(Q, Q, Q)>, constant: Q) -> Unit {
        Unit { constant, linear: Q::zero(), pieces }
    }

    /// The unit `constant + linear h`.
    fn affine(constant: Q, linear: Q) -> Unit {
        Unit { constant, linear, pieces: Vec::new() }
    }

    /// The same function with no piece when its pieces add up to an affine function of `h`
    /// (LeakyRelu with slope 1: `relu(h) - relu(-h) = h`; Clip with `min = max`): a unit whose
    /// pieces coincide bends nowhere, so it must cut no region. Otherwise the pieces whose
    /// coefficient is 0 are dropped (they bend nothing either).
    fn simplified(self) -> Unit {
        // relu(s h + e) = |s| relu(sign(s) (h - b)) at the breakpoint b = -e / s, and
        // relu(b - h) = relu(h - b) - (h - b): per breakpoint, the coefficients of
        // relu(h - b) (up) and relu(b - h) (down)
        let mut constant = self.constant.clone();
        let mut linear = self.linear.clone();
        let mut at: Vec<(Q, Q, Q)> = Vec::new(); // (b, up, down)
        for (s, e, c) in &self.pieces {
            if s.is_zero() {
                // relu(e): a constant
                if e.is_positive() {
                    constant += c * e;
                }
                continue;
            }
            let b = -e / s;
            let weight = c * s.abs();
            let slot = match at.iter().position(|(x, _, _)| *x == b) {
                Some(i) => i,
                None => {
                    at.push((b, Q::zero(), Q::zero()));
                    at.len() - 1
                }
            };
            if s.is_positive() {
                at[slot].1 += weight;
            } else {
                at[slot].2 += weight;
            }
        }
        if at.iter().all(|(_, up, down)| (up + down).is_zero()) {
            // sum of down (relu(h - b) - (h - b)) + up relu(h - b) = -down (h - b)
            for (b, _, down) in &at {
                linear -= down;
                constant += down * b;
            }
            return Unit::affine(constant, linear);
        }
        let pieces = self.pieces.into_iter().filter(|(_, _, c)| !c.is_zero()).collect();
        Unit { pieces, ..self }
    }
}

/// Applies an elementwise piecewise-linear operator to the current tensor.
pub(super) fn apply(node: &Node, constants: &Constants, net: &mut Builder) -> Res<()> {
    let op = node.op.as_str();
    let constant = |k: usize, what: &str| super::build::constant_input(node, constants, k, what);
    let (one, zero) = (Q::one(), Q::zero());
    let n = net.width();
    let (units, nonneg): (Vec<Unit>, bool) = match op {
        "LeakyRelu" | "PRelu" => {
            let slopes = if op == "LeakyRelu" {
                // ONNX's default alpha is the float32 nearest 0.01
                let alpha = match node.floats.get("alpha") {
                    Some(a) => a.clone(),
                    None => from_f64_exact(f64::from(0.01f32)).ok_or("bad alpha")?,
                };
                vec![alpha; n]
            } else {
                lower::broadcast_to(constant(1, "the slope")?, &net.shape)?
            };
            // x >= 0: x; x < 0: alpha x. relu(x) - alpha relu(-x) (x itself when alpha = 1)
            let units = slopes
                .iter()
                .map(|a| {
                    Unit::of(
                        vec![(one.clone(), zero.clone(), one.clone()), (-&one, zero.clone(), -a)],
                        zero.clone(),
                    )
                })
                .collect();
            // nonnegative slopes keep a nonnegative tensor nonnegative
            (units, net.nonneg && slopes.iter().all(|a| !a.is_negative()))
        }
        "Abs" => {
            let unit = Unit::of(
                vec![(one.clone(), zero.clone(), one.clone()), (-&one, zero.clone(), one.clone())],
                zero,
            );
            (vec![unit; n], true)
        }
        "Clip" => {
            let bound = |k: usize, attr: &str| -> Res<Option<Q>> {
                match node.inputs.get(k).filter(|s| !s.is_empty()) {
                    Some(_) => match constant(k, attr)?.values.as_slice() {
                        [v] => Ok(Some(v.clone())),
                        values => Err(format!("its {attr} has {} values, not one", values.len())),
                    },
                    None => Ok(node.floats.get(attr).cloned()),
                }
            };
            let (lo, hi) = (bound(1, "min")?, bound(2, "max")?);
            let unit = match (lo, hi) {
                // min(max(x, lo), hi) = lo + relu(x - lo) - relu(x - hi)
                (Some(lo), Some(hi)) if lo < hi => {
                    Unit::of(vec![(one.clone(), -&lo, one.clone()), (one.clone(), -&hi, -&one)], lo)
                }
                // min(max(x, lo), hi) = hi whenever lo >= hi (numpy and ONNX's reference)
                (Some(_), Some(hi)) => Unit::affine(hi, zero),
                (Some(lo), None) => Unit::of(vec![(one.clone(), -&lo, one.clone())], lo),
                (None, Some(hi)) => Unit::of(vec![(-&one, hi.clone(), -&one)], hi),
                (None, None) => return Ok(()),
            };
            // lo + relu(x - lo) - ... >= lo: nonnegative when a lower bound lo >= 0 is given; a
            // constant is nonnegative when it is
            let nonneg = match (unit.pieces.first(), unit.pieces.len()) {
                (Some((s, e, _)), _) => s.is_one() && !e.is_positive(),
                (None, _) => !unit.constant.is_negative(),
            };
            (vec![unit; n], nonneg)
        }
        "Max" | "Min" => {
            // against constants only: one piece per unit, max(x, c) = c + relu(x - c),
            // min(x, c) = c - relu(c - x) (several constants: their elementwise max or min)
            let mut bound: Option<Vec<Q>> = None;
            for t in node.inputs.iter().filter_map(|i| constants.get(i)) {
                let c = lower::broadcast_to(t, &net.shape)?;
                bound = Some(match bound {
                    None => c,
                    Some(b) => b
                        .into_iter()
                        .zip(c)
                        .map(|(x, y)| if (op == "Max") == (y > x) { y } else { x })
                        .collect(),
                });
            }
            let bound = bound.ok_or("needs a constant operand")?;
            let nonneg = op == "Max" && bound.iter().all(|c| !c.is_negative());
            let units = bound
                .into_iter()
                .map(|c| {
                    let piece =
                        if op == "Max" { (one.clone(), -&c, one.clone()) } else { (-&one, c.clone(), -&one) };
                    Unit::of(vec![piece], c)
                })
                .collect();
            (units, nonneg)
        }
        _ => return Err("is not an elementwise piecewise-linear operator".into()),
    };
    net.piecewise(units)?;
    net.nonneg = nonneg;
    Ok(())
}

/// `ReduceMean` and `ReduceSum` (axes as in `ReduceMax`): each output the exact mean or sum of
/// its group.
pub(super) fn mean_or_sum(node: &Node, constants: &Constants, net: &mut Builder) -> Res<()> {
    let Some((groups, shape)) = super::maxunits::reduce_groups(node, &net.shape, constants)? else {
        return Ok(());
    };
    let mean = node.op == "ReduceMean";
    let rows = groups
        .iter()
        .map(|g| {
            let w = if mean { Q::new(1.into(), g.len().max(1).into()) } else { Q::one() };
            g.iter().map(|&i| (i, w.clone())).collect()
        })
        .collect();
    net.apply_sparse(&lower::Sparse { rows, offset: vec![Q::zero(); groups.len()] }, shape)
}

impl Builder {
    /// An elementwise piecewise-linear operator, one [`Unit`] per value, written with ReLUs:
    /// one ReLU layer of a neuron per piece (piece-major: the first piece of every unit, then
    /// the second, ...); the data keeps its shape. The ReLUs of one unit share its hyperplanes,
    /// so the regions are the unit's. A unit whose pieces add up to an affine function has none
    /// ([`Unit::simplified`]); when no unit has a piece no layer is made, and a unit that passes
    /// its value on (`linear != 0`) beside units that bend rides through the layer as a kept
    /// tensor (a signed one makes the layer max units, see [`Builder::relu`]).
    pub(super) fn piecewise(&mut self, units: Vec<Unit>) -> Res<()> {
        let units: Vec<Unit> = units.into_iter().map(Unit::simplified).collect();
        let n = self.width();
        let shape = self.shape.clone();
        let constants: Vec<Q> = units.iter().map(|u| u.constant.clone()).collect();
        let k = units.iter().map(|u| u.pieces.len()).max().unwrap_or(0);
        if k == 0 {
            let rows = units
                .iter()
                .enumerate()
                .map(|(j, u)| if u.linear.is_zero() { Vec::new() } else { vec![(j, u.linear.clone())] })
                .collect();
            return self.apply_sparse(&lower::Sparse { rows, offset: constants }, shape);
        }
        // the neurons: piece t of unit j is s h_j + e, at index neuron[j][t]
        let (mut rows, mut offset) = (Vec::new(), Vec::new());
        let mut neuron: Vec<Vec<usize>> = vec![Vec::new(); n];
        for t in 0..k {
            for (j, unit) in units.iter().enumerate() {
                if let Some((s, e, _)) = unit.pieces.get(t) {
                    neuron[j].push(rows.len());
                    rows.push(vec![(j, s.clone())]);
                    offset.push(e.clone());
                }
            }
        }
        // the values passed on linearly, kept through the layer
        let passed: Vec<usize> = (0..n).filter(|&j| !units[j].linear.is_zero()).collect();
        const PASSED: &str = "\u{0}passed through a piecewise-linear operator";
        if !passed.is_empty() {
            let live = Live {
                w: passed.iter().map(|&j| self.w[j].clone()).collect(),
                b: passed.iter().map(|&j| self.b[j].clone()).collect(),
                shape: vec![passed.len()],
                nonneg: self.nonneg,
            };
            self.skips.push((PASSED.to_string(), live));
        }
        let width = rows.len();
        self.apply_sparse(&lower::Sparse { rows, offset }, vec![width])?;
        self.relu()?;
        let kept = self.skips.iter().position(|(name, _)| name == PASSED).map(|i| self.skips.remove(i).1);
        // then the combination, over the new layer's input
        let (mut w, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut next_passed = 0;
        for (j, unit) in units.iter().enumerate() {
            let terms = neuron[j].iter().zip(&unit.pieces).map(|(&i, (_, _, c))| (i, c));
            let mut row = rows::combine(&self.w, terms);
            let mut bias = neuron[j]
                .iter()
                .zip(&unit.pieces)
                .fold(unit.constant.clone(), |acc, (&i, (_, _, c))| acc + c * &self.b[i]);
            if let (false, Some(kept)) = (unit.linear.is_zero(), &kept) {
                row = rows::linear(&Q::one(), &row, &unit.linear, &kept.w[next_passed]);
                bias += &unit.linear * &kept.b[next_passed];
                next_passed += 1;
            }
            w.push(row);
            b.push(bias);
        }
        // a unit of one piece `relu(h)` (LeakyRelu of slope 0) passes the layer's output on as it
        // is: the data is then the layer's, like a ReLU's
        self.touched = !rows::is_identity(&w, &b, self.cols);
        (self.w, self.b, self.shape) = (w, b, shape);
        Ok(())
    }
}
