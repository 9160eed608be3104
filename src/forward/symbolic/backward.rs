//! The objective's lower form by back-substitution: `c . y` is carried back through the
//! layers to the inputs, each neuron's relaxation chosen by the sign of its *total*
//! coefficient in the objective (as CROWN and DeepPoly bound their outputs), where the forward
//! forms choose by the sign of each weight alone. With the same per-neuron bounds `[l, u]` and
//! the same relaxations it is never looser in exact arithmetic (a total coefficient's
//! relaxation is the sum of the paths' where they agree in sign, and better where they cancel);
//! [`SymbolicBounds::bound`] keeps whichever of the two forms has the larger minimum.
//!
//! # The invariant and its rounding
//! At each layer the pass holds floats `lambda`, `kappa` and an error `err >= 0` (computed in
//! floats, see below) with `objective >= lambda . v + kappa - E` at every point of the cell,
//! `v` the layer's values, for some `E <= 2 err`:
//! - through a ReLU (value `v = relu(h)`, `h` in `[l, u]` on the cell): an off neuron (fixed, or
//!   `u <= 0`) contributes `0`, an on one (fixed, or `l >= 0`) passes `lambda` to `h`; a free one
//!   with `lambda >= 0` takes `v >= h` or `v >= 0` (the forward pass's choice), and with
//!   `lambda < 0` takes `v <= s (h - l)` (`s >= u / (u - l)`, the forward pass's slope), so
//!   `lambda v >= mu h - mu l` with `mu` the rounded `lambda s`: `|lambda s - mu| <= 2u |mu| + eta`
//!   times `|h - l| <= 2 max(|l|, |u|)`, the product `mu l` off by `2u |mu l| + eta`, each
//!   addition to `kappa` off by `2u` of its result;
//! - through the affine map `h = W v + b` (exact rationals, images `f` with radii `r`): the
//!   rounded sums `lambda'_j = sum_m mu_m f_mj` are off from `sum_m mu_m W_mj` by at most
//!   `gamma_n sum_m |mu_m f_mj| + n eta + sum_m |mu_m| r_mj` (Higham 3.1, `n` terms), times
//!   `|v_j| <= V` (the largest magnitude of the layer's inputs), so by at most
//!   `V (gamma_n sum_m |mu_m| A_m + n eta J + sum_m |mu_m| R_m)` summed over `j`, with the row
//!   sums `A_m = sum_j |f_mj|`, `R_m = sum_j r_mj` and `J` columns; the bias's sum likewise.
//!
//! Every term of `err` is nonnegative and computed in round-to-nearest, so the float sum is at
//! least `(1 - gamma_k)` of the exact one for its `k < 2^20` operations: twice it bounds `E`
//! (the factor of [`SymbolicBounds::seal`]); so does the computed row sums' shortfall, which
//! they enter at most once.

use super::{Bounded, Form, Frame, Near, Outward, Prepared, SymbolicBounds};
use crate::kernel::{ETA, UNIT_ROUNDOFF};
use crate::network::Activation;

/// How a hidden layer's values follow from its preactivations, for the backward pass.
#[derive(Debug, Clone)]
pub(super) struct Step {
    /// The largest magnitude of the layer's inputs (`V` in the module docs).
    input_magnitude: f64,
    /// Each neuron's relaxation; empty for a linear layer (`v = h`).
    units: Vec<Unit>,
}

/// A ReLU's value `v` against its preactivation `h` on the cell.
#[derive(Debug, Clone, Copy)]
pub(super) enum Unit {
    /// `v = 0`.
    Off,
    /// `v = h`.
    On,
    /// `h` in `[l, u]` with `l < 0 < u`: `v >= h` (when `lower_is_pre`) or `v >= 0` below, and
    /// `v <= s (h - l)` above.
    Free { l: f64, u: f64, s: f64, lower_is_pre: bool },
}

impl Step {
    /// The step of a layer whose inputs are `inputs` and whose units (empty: linear) are
    /// `units`.
    pub(super) fn new(inputs: &[Bounded], units: Vec<Unit>) -> Step {
        let input_magnitude = inputs.iter().map(|v| v.magnitude).fold(0.0, f64::max);
        Step { input_magnitude, units }
    }
}

/// `|a|`'s rounding error bound as a product or quotient result: `2u |a| + eta`.
fn rounding(a: f64) -> f64 {
    2.0 * UNIT_ROUNDOFF * a.abs() + ETA
}

impl SymbolicBounds {
    /// The lower form of `objective` (`weights` over the last layer's values, `constant`) by
    /// back-substitution through `steps` (one a hidden layer, as [`SymbolicBounds::propagate`]
    /// leaves them), sealed: `objective >= form . (x, 1)` on the cell. `None` when a float is
    /// not finite.
    pub(super) fn back_substitute(
        &self,
        f: &Frame,
        steps: &[Step],
        last: &[Bounded],
        weights: &[Near],
        constant: Near,
    ) -> Option<(Form, f64)> {
        let mut lambda: Vec<f64> = weights.iter().map(|w| w.value).collect();
        let mut kappa = constant.value;
        let mut err = constant.radius;
        for (w, v) in weights.iter().zip(last) {
            err += w.radius * v.magnitude;
        }
        let mut mu: Vec<f64> = Vec::new();
        for (layer, step) in self.layers.iter().zip(steps).rev() {
            // through the activation: mu over the preactivations
            mu.clear();
            if step.units.is_empty() {
                mu.extend_from_slice(&lambda);
            } else {
                for (&l, unit) in lambda.iter().zip(&step.units) {
                    mu.push(match *unit {
                        Unit::Off => 0.0,
                        Unit::On => l,
                        Unit::Free { lower_is_pre, .. } if l >= 0.0 => {
                            if lower_is_pre {
                                l
                            } else {
                                0.0
                            }
                        }
                        Unit::Free { l: low, u, s, .. } => {
                            let m = l * s;
                            let t = m * low;
                            kappa -= t;
                            err += rounding(m) * 2.0 * low.abs().max(u) + rounding(t) + rounding(kappa);
                            m
                        }
                    });
                }
            }
            (lambda, kappa, err) = self.through_affine(layer, &mu, kappa, err, step.input_magnitude)?;
        }
        if lambda.len() != f.lo.len() {
            return None;
        }
        let mut form = lambda;
        form.push((kappa - 2.0 * err).down());
        let weight = self.weight(f, &form);
        weight.is_finite().then_some((form, weight))
    }

    /// `mu . (W v + b) + kappa` as `lambda' . v + kappa'`, with the error grown by the module
    /// docs' bound for the affine map.
    fn through_affine(
        &self,
        layer: &Prepared,
        mu: &[f64],
        kappa: f64,
        err: f64,
        input_magnitude: f64,
    ) -> Option<(Vec<f64>, f64, f64)> {
        let columns = layer.columns;
        let mut lambda = vec![0.0; columns];
        let (mut kappa, mut n) = (kappa, 0usize);
        let (mut magnitude, mut radii) = (kappa.abs(), 0.0);
        for (m, &mu_m) in mu.iter().enumerate() {
            if mu_m == 0.0 {
                continue;
            }
            n += 1;
            for &(j, ref near) in &layer.weights[m] {
                lambda[j] += mu_m * near.value;
            }
            let bias = layer.bias[m];
            kappa += mu_m * bias.value;
            let a = mu_m.abs();
            magnitude += a * (input_magnitude * layer.row_abs[m] + bias.value.abs());
            radii += a * (input_magnitude * layer.row_radius[m] + bias.radius);
        }
        let sums = super::gamma(n + 1) * magnitude
            + radii
            + (n + 1) as f64 * ETA * (columns as f64 * input_magnitude + 1.0);
        let err = err + sums;
        (err.is_finite() && kappa.is_finite()).then_some((lambda, kappa, err))
    }
}

/// The row sums of a prepared layer, `sum_j |f_mj|` and `sum_j r_mj` (module docs).
pub(super) fn row_sums(weights: &[Vec<(usize, Near)>]) -> (Vec<f64>, Vec<f64>) {
    let abs = weights.iter().map(|row| row.iter().map(|(_, w)| w.value.abs()).sum()).collect();
    let radius = weights.iter().map(|row| row.iter().map(|(_, w)| w.radius).sum()).collect();
    (abs, radius)
}

/// The unit of a ReLU with state `state` (fixed, or free) and preactivation bounds `[l, u]`:
/// the decision [`SymbolicBounds::activate`] takes, with the slope it takes.
pub(super) fn unit(state: Option<bool>, l: f64, u: f64) -> Unit {
    match state {
        Some(true) => Unit::On,
        Some(false) => Unit::Off,
        None if u <= 0.0 => Unit::Off,
        None if l >= 0.0 => Unit::On,
        None => Unit::Free { l, u, s: super::units::slope(l, u), lower_is_pre: u > -l },
    }
}

/// Whether the backward pass takes the layer's activation.
pub(super) fn takes(activation: Activation) -> bool {
    matches!(activation, Activation::Relu | Activation::Linear)
}
