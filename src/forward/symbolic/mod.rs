//! Symbolic interval bounds of linear functions of a network's outputs over a box, with some
//! neurons' states fixed: the float filter with which `vnnlib` discards a partial region whose
//! every point is provably safe (symbolic intervals as in Wang et al., "Formal Security Analysis
//! of Neural Networks using Symbolic Intervals", USENIX Security 2018, here with outward
//! rounding so that every bound is a proof).
//!
//! Every neuron gets a lower and an upper *form*: an affine function of the inputs whose
//! coefficients are intervals. The guarantee: on the cell (the box, restricted to the points
//! where every fixed neuron is in its state), some member of the lower form is below the
//! neuron's value at every point, and some member of the upper form above it. A fixed neuron
//! passes its preactivation's forms (on) or zero (off); a free one whose bounds over the box
//! have one sign does the same; a free one that may change sign takes the triangle relaxation
//! `relu(h) <= u (h - l) / (u - l)` above and `relu(h) >= h` or `>= 0` below (the larger
//! side). A weight `w` (exact rational, image `f`, `|w - f| <= r`) times a value `v` in
//! `[L, U]` with `|v| <= M` is at least `f L - r M` (`f >= 0`) or `f U - r M` (`f < 0`).
//!
//! A max layer's values are bounded as each unit's sum `sum_j o_j` (its largest candidate), the
//! only thing the next layer reads (its columns are equal within a unit): the guarantee above
//! holds for that sum, not for each candidate's value (`symbolic_units.rs`).
//!
//! # Why every bound holds (rounding)
//! Each operation is computed in round-to-nearest and then moved one float outwards
//! (to the next float below for lower ends, above for upper ends). A nearest float `r` of the exact
//! result `e` has no float strictly between them, so `r.down() <= e <= r.up()`: for
//! normal, subnormal and zero results alike, and for an overflow (a result that rounds to
//! `+inf` exceeds the largest float, which is `inf.down()`). Exact rationals (weights,
//! biases, the box, right-hand sides) enter through their images widened by the kernel's image
//! error (I). A form with a non-finite coefficient abandons the bound ("undecided"), so NaN and
//! infinities never decide anything.

use crate::exact::num::{from_f64_exact, Q};
use crate::kernel::{image, image_error, ETA};
use crate::network::{Activation, Network};
use num_traits::Zero;

/// An exact rational as a float and a bound on its distance to it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Near {
    value: f64,
    radius: f64,
}

impl Near {
    fn of(q: &Q) -> Near {
        let value = image(q);
        // a float is a dyadic rational: a reduced denominator other than a power of two (a
        // decimal weight's) is no float, known without forming the float's rational
        let dyadic = q.denom().trailing_zeros() == Some(q.denom().bits() - 1);
        let exact = dyadic && value.is_finite() && from_f64_exact(value).is_some_and(|f| &f == q);
        Near { value, radius: if exact { 0.0 } else { image_error(value).up() } }
    }
}

/// An affine form over the `d` inputs: `d` coefficients, then the constant. The form *is* the
/// function with exactly these float coefficients (rounding errors are paid for in the
/// constant when it is formed).
type Form = Vec<f64>;

/// A neuron's (or input's) bounds: a lower and an upper form valid on the cell, a bound on the
/// value's magnitude, and each form's weight `sum_k X_k |c_k|` (with `X_k = max |x_k|` over the
/// box and `X_d = 1`), which bounds its rounding errors downstream.
#[derive(Debug, Clone)]
struct Bounded {
    lower: Form,
    upper: Form,
    magnitude: f64,
    lower_weight: f64,
    upper_weight: f64,
}

/// `gamma_n = n u / (1 - n u)` (Higham), for `n u < 1/2`.
fn gamma(n: usize) -> f64 {
    let nu = n as f64 * crate::kernel::UNIT_ROUNDOFF;
    nu / (1.0 - nu)
}

/// One layer, its rationals as floats with error radii; each row its nonzero weights by
/// column (a conv row has kernel-size terms, a pooling candidate one).
#[derive(Debug, Clone)]
struct Prepared {
    weights: Vec<Vec<(usize, Near)>>,
    bias: Vec<Near>,
    activation: Activation,
    /// Whether each row is dense (its `m`-th term is column `m`: module `affine`).
    dense: Vec<bool>,
    /// The number of inputs (columns).
    columns: usize,
    /// Each row's `sum |f|` and `sum r` over its weights (module `backward`).
    row_abs: Vec<f64>,
    row_radius: Vec<f64>,
}

/// A linear function of the last bounded layer's values (`weights . v + constant`), from an
/// output constraint.
#[derive(Debug, Clone)]
pub(crate) struct Objective {
    weights: Vec<Near>,
    constant: Near,
}

/// A float row `a . x <= b` that every point of the cell reaching an output constraint satisfies
/// (the constraint's symbolic lower bound), for a linear program over the cell to refute.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImpliedRow {
    /// The coefficients (exact floats).
    pub a: Vec<f64>,
    /// The right-hand side (an exact float).
    pub b: f64,
}

/// What the bounds say of one output constraint `c . y <= rhs` (or `<`) over a cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ConstraintBound {
    /// Proved: no point of the cell satisfies it.
    Excluded,
    /// Not excluded over the box; the cell's points that satisfy it obey this row.
    Open(ImpliedRow),
    /// Nothing proved (a bound was not finite).
    Unknown,
}

/// The box the bounds are taken over, with `X_k = max(|lo_k|, |hi_k|)` and `1 + sum X_k`.
#[derive(Debug, Clone)]
struct Frame {
    lo: Vec<f64>,
    hi: Vec<f64>,
    reach: Vec<f64>,
    reach_sum: f64,
}

impl Frame {
    fn new(lo: Vec<f64>, hi: Vec<f64>) -> Frame {
        let reach: Vec<f64> = lo.iter().zip(&hi).map(|(l, h): (&f64, &f64)| l.abs().max(h.abs())).collect();
        let reach_sum = reach.iter().sum::<f64>() + 1.0;
        Frame { lo, hi, reach, reach_sum }
    }
}

/// A network prepared for symbolic bounds over a box.
#[derive(Debug, Clone)]
pub(crate) struct SymbolicBounds {
    layers: Vec<Prepared>,
    /// The box, widened outwards to floats.
    frame: Frame,
    /// The last layer when it is linear: folded into the objectives, exactly.
    output_layer: Option<crate::network::Layer>,
}

impl SymbolicBounds {
    /// The network on the box `bounds` (one `(lo, hi)` per input).
    pub(crate) fn new(net: &Network, bounds: &[(Q, Q)]) -> SymbolicBounds {
        let prepare = |layer: &crate::network::Layer| {
            let weights: Vec<Vec<(usize, Near)>> = layer
                .weights
                .rows()
                .map(|row| row.iter().filter(|(_, v)| !v.is_zero()).map(|(k, v)| (*k, Near::of(v))).collect())
                .collect();
            let dense = weights.iter().map(|row| row.iter().enumerate().all(|(i, (m, _))| i == *m)).collect();
            let (row_abs, row_radius) = backward::row_sums(&weights);
            Prepared {
                weights,
                bias: layer.bias.iter().map(Near::of).collect(),
                activation: layer.activation,
                dense,
                columns: layer.weights.inputs(),
                row_abs,
                row_radius,
            }
        };
        let all = net.layers();
        let output_layer = all.last().filter(|l| l.activation == Activation::Linear).cloned();
        let hidden = if output_layer.is_some() { &all[..all.len() - 1] } else { all };
        let layers: Vec<Prepared> = hidden.iter().map(prepare).collect();
        let outwards = |q: &Q, up: bool| {
            let n = Near::of(q);
            if up {
                (n.value + n.radius).up()
            } else {
                (n.value - n.radius).down()
            }
        };
        let lo: Vec<f64> = bounds.iter().map(|(l, _)| outwards(l, false)).collect();
        let hi: Vec<f64> = bounds.iter().map(|(_, h)| outwards(h, true)).collect();
        SymbolicBounds { layers, frame: Frame::new(lo, hi), output_layer }
    }

    /// The objective `c . y` for output coefficients `c` (exact), over the last bounded layer.
    pub(crate) fn objective(&self, c: &[Q]) -> Objective {
        match &self.output_layer {
            Some(out) => {
                // the exact rationals of c^T W and c . b, then their images
                let weights = out.weights.transposed_apply(c).iter().map(Near::of).collect();
                let constant: Q = c.iter().zip(&out.bias).map(|(ck, b)| ck * b).sum();
                Objective { weights, constant: Near::of(&constant) }
            }
            None => Objective {
                weights: c.iter().map(Near::of).collect(),
                constant: Near { value: 0.0, radius: 0.0 },
            },
        }
    }

    /// Bounds each `(objective, rhs, strict)` (meaning `objective <= rhs`, or `<` when strict)
    /// over the cell whose neurons in `states` are fixed: `states[k]` lists the states of the
    /// first neurons of the `k`-th ReLU layer (a prefix; later layers free).
    ///
    /// `within`, when given, is a smaller box `(lo, hi)` proved to contain the cell: the forms
    /// are then bounded over it.
    /// (The unit test `bound_excludes_and_implies` shows it on relu(x) over [-1, 2].)
    pub(crate) fn bound(
        &self,
        states: &[&[bool]],
        constraints: &[(&Objective, &Q, bool)],
        within: Option<(Vec<f64>, Vec<f64>)>,
    ) -> Vec<ConstraintBound> {
        let narrowed;
        let frame = match within {
            Some((lo, hi)) if lo.len() == self.frame.lo.len() && hi.len() == lo.len() => {
                narrowed = Frame::new(lo, hi);
                &narrowed
            }
            _ => &self.frame,
        };
        let Some((values, steps)) = self.propagate(frame, states) else {
            return vec![ConstraintBound::Unknown; constraints.len()];
        };
        constraints
            .iter()
            .map(|(objective, rhs, strict)| {
                self.bound_one(frame, &values, steps.as_deref(), objective, rhs, *strict)
            })
            .collect()
    }

    /// The objective's lower form from the last layer's forward forms, with its weight.
    fn forward_form(&self, f: &Frame, values: &[Bounded], objective: &Objective) -> (Form, f64) {
        let terms = objective.weights.iter().zip(values).map(|(w, v)| {
            let (form, weight) =
                if w.value >= 0.0 { (&v.lower, v.lower_weight) } else { (&v.upper, v.upper_weight) };
            (*w, form, weight, v.magnitude)
        });
        self.combine(f, terms, objective.constant, false)
    }

    /// What the bounds say of `objective <= rhs` (`<` when `strict`): the forward form's, or
    /// the back-substituted one's (module `backward`, given the pass's `steps`) where its
    /// minimum over the frame is larger.
    fn bound_one(
        &self,
        f: &Frame,
        values: &[Bounded],
        steps: Option<&[backward::Step]>,
        objective: &Objective,
        rhs: &Q,
        strict: bool,
    ) -> ConstraintBound {
        let d = f.lo.len();
        let (mut form, weight) = self.forward_form(f, values, objective);
        let mut lower = self.minimum_weighted(f, &form, weight);
        if let Some((back, weight)) = steps
            .and_then(|steps| self.back_substitute(f, steps, values, &objective.weights, objective.constant))
        {
            let back_lower = self.minimum_weighted(f, &back, weight);
            if back_lower > lower || !lower.is_finite() {
                (form, lower) = (back, back_lower);
            }
        }
        let rhs_up = (Near::of(rhs).value + Near::of(rhs).radius).up();
        if !lower.is_finite() || !rhs_up.is_finite() {
            return ConstraintBound::Unknown;
        }
        if lower > rhs_up || (strict && lower >= rhs_up) {
            return ConstraintBound::Excluded;
        }
        // a . x + a_d <= objective: where the objective is <= rhs, a . x <= rhs - a_d
        let b = (rhs_up - form[d]).up();
        if !b.is_finite() {
            return ConstraintBound::Unknown;
        }
        ConstraintBound::Open(ImpliedRow { a: form[..d].to_vec(), b })
    }

    /// `sum_m w_m v_m + constant` as a lower form (`upper = false`: each `v_m` given by the form
    /// on the side that keeps the sum below) or an upper one, with its weight. The computed
    /// coefficients differ from the exact sums by at most `gamma_(n+1)` of the magnitudes plus
    /// `eta / 2` a product (Higham 3.1, products that underflow included), so over the box
    /// the form is off by at most `gamma_(n+1) (|b| + sum |f_m| N_m) + (n + 1) eta sum_k X_k`;
    /// the weights' radii add `sum r_m M_m` and the constant's its radius. Twice that (the
    /// factor pays for evaluating the bound in floats) moves the constant outwards.
    fn combine<'v>(
        &self,
        f: &Frame,
        terms: impl Iterator<Item = (Near, &'v Form, f64, f64)>,
        constant: Near,
        upper: bool,
    ) -> (Form, f64) {
        let d = f.lo.len();
        let mut form: Form = vec![0.0; d + 1];
        form[d] = constant.value;
        let (mut magnitude, mut slack, mut n) = (constant.value.abs(), constant.radius, 1usize);
        for (w, v, weight, size) in terms {
            if w.value != 0.0 {
                for (acc, c) in form.iter_mut().zip(v) {
                    *acc += w.value * c;
                }
                magnitude += w.value.abs() * weight;
                n += 1;
            }
            slack += w.radius * size;
        }
        self.seal(f, form, magnitude, slack, n, upper)
    }

    /// Moves a computed form's constant outwards by twice its error bound (see
    /// [`SymbolicBounds::combine`]) and returns it with its weight.
    fn seal(
        &self,
        f: &Frame,
        mut form: Form,
        magnitude: f64,
        slack: f64,
        n: usize,
        upper: bool,
    ) -> (Form, f64) {
        let d = f.lo.len();
        let error = 2.0 * (gamma(n + 1) * magnitude + (n + 1) as f64 * ETA * f.reach_sum + slack);
        form[d] = if upper { (form[d] + error).up() } else { (form[d] - error).down() };
        let weight = self.weight(f, &form);
        (form, weight)
    }

    /// `sum_k X_k |c_k|` with `X_d = 1`.
    fn weight(&self, f: &Frame, form: &Form) -> f64 {
        let d = f.lo.len();
        form[..d].iter().zip(&f.reach).map(|(c, x)| c.abs() * x).sum::<f64>() + form[d].abs()
    }

    /// [`SymbolicBounds::minimum`] given the form's weight (as [`SymbolicBounds::seal`] returns it).
    fn minimum_weighted(&self, f: &Frame, form: &Form, weight: f64) -> f64 {
        let d = f.lo.len();
        let value: f64 = form[d] + (0..d).map(|j| (form[j] * f.lo[j]).min(form[j] * f.hi[j])).sum::<f64>();
        (value - 2.0 * (gamma(d + 1) * weight + (d + 1) as f64 * ETA)).down()
    }

    /// An upper bound of a form's range over the box (as [`SymbolicBounds::minimum`]), given
    /// the form's weight.
    fn maximum_weighted(&self, f: &Frame, form: &Form, weight: f64) -> f64 {
        let d = f.lo.len();
        let value: f64 = form[d] + (0..d).map(|j| (form[j] * f.lo[j]).max(form[j] * f.hi[j])).sum::<f64>();
        (value + 2.0 * (gamma(d + 1) * weight + (d + 1) as f64 * ETA)).up()
    }

    /// The bounds of every layer's values in turn, with each hidden layer's step for the
    /// backward pass (`None` when a layer's activation is not one it takes); `None` when a
    /// bound is not finite.
    fn propagate(
        &self,
        f: &Frame,
        states: &[&[bool]],
    ) -> Option<(Vec<Bounded>, Option<Vec<backward::Step>>)> {
        let d = f.lo.len();
        let mut values: Vec<Bounded> = (0..d)
            .map(|j| {
                let mut form = vec![0.0; d + 1];
                form[j] = 1.0;
                let x = f.reach[j];
                Bounded { lower: form.clone(), upper: form, magnitude: x, lower_weight: x, upper_weight: x }
            })
            .collect();
        // the index of the next hidden layer (ReLU or max) in `states`
        let mut hidden_index = 0;
        // what the backward pass reads (module `backward`), where it takes every layer
        let mut steps = self.layers.iter().all(|l| backward::takes(l.activation)).then(Vec::new);
        for layer in &self.layers {
            let hidden = layer.activation != Activation::Linear;
            let fixed: &[bool] = if hidden { states.get(hidden_index).copied().unwrap_or(&[]) } else { &[] };
            let mut pres = Vec::with_capacity(layer.weights.len());
            // the run's stop token ([`crate::jobs::StopToken`]), asked once a layer: no bound
            // (nothing is pruned)
            if crate::runtime::stop::requested() {
                return None;
            }
            let inputs = Flat::new(&values, d);
            let active = inputs.active();
            for ((row, bias), dense) in layer.weights.iter().zip(&layer.bias).zip(&layer.dense) {
                let active = dense.then_some(&active[..]);
                let ((lower, lower_weight), (upper, upper_weight)) =
                    self.affine(f, row, *bias, &inputs, active);
                let l = self.minimum_weighted(f, &lower, lower_weight);
                let u = self.maximum_weighted(f, &upper, upper_weight);
                if !(l.is_finite() && u.is_finite() && lower_weight.is_finite() && upper_weight.is_finite()) {
                    return None;
                }
                pres.push((
                    Bounded { lower, upper, magnitude: l.abs().max(u.abs()), lower_weight, upper_weight },
                    l,
                    u,
                ));
            }
            if let Some(steps) = &mut steps {
                let units = match layer.activation {
                    Activation::Relu => pres
                        .iter()
                        .enumerate()
                        .map(|(j, (_, l, u))| backward::unit(fixed.get(j).copied(), *l, *u))
                        .collect(),
                    _ => Vec::new(),
                };
                steps.push(backward::Step::new(&values, units));
            }
            values = match layer.activation {
                Activation::Linear => pres.into_iter().map(|(pre, _, _)| pre).collect(),
                Activation::Relu => pres
                    .into_iter()
                    .enumerate()
                    .map(|(j, (pre, l, u))| self.activate(f, fixed.get(j).copied(), pre, l, u))
                    .collect::<Option<_>>()?,
                Activation::Max(k) => self.max_units(f, fixed, pres, k)?,
            };
            hidden_index += usize::from(hidden);
        }
        Some((values, steps))
    }
}

mod affine;
use affine::Flat;
mod backward;
mod outward;
pub(crate) use outward::Outward;
mod units;

#[cfg(test)]
mod backward_tests;
#[cfg(test)]
mod tests;
