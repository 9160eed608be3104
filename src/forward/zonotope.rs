//! Zonotope bounds of linear functions of a network's outputs over a box, some neurons' states
//! fixed: the second float filter (after [`super::symbolic`]) with which `vnnlib` discards a
//! cell whose every point is provably safe, and with which `check --property` re-verifies it.
//! The shapes and relaxations are nnenum's first over-approximation (Bak et al., "Improved
//! Geometric Path Enumeration for Verifying ReLU Neural Networks", CAV 2020): three zonotopes
//! run side by side, each unstable neuron relaxed as `relu(h) = lambda h + [0, t]` with
//! `lambda` the least-area slope `u / (u - l)` (DeepZ), `1` or `0`, and every neuron's bounds
//! the tightest of the three.
//!
//! A value is `c + sum_t g_t e_t + d` with every noise symbol `e_t` in `[-1, 1]` (shared across
//! neurons: the correlations) and `|d| <= err` (the neuron's own error: rounding and the
//! weights' distance to their floats). For any `lambda` in `[0, 1]`, over `h` in `[l, u]`
//! with `l < 0 < u`, `relu(h) - lambda h = max(-lambda h, (1 - lambda) h)` lies in `[0, t]`
//! with `t = max(-lambda l, (1 - lambda) u)` (a convex function: its maximum at an end, its
//! minimum 0 at `h = 0`), so `relu(h) = lambda h + t/2 + (t/2) e_new` for a new symbol. A
//! neuron fixed on the cell passes `h`, fixed off gives 0, as do neurons whose bounds have
//! one sign.
//!
//! # Why every bound holds (rounding)
//! A weight `w` (exact rational, image `f`, `|w - f| <= r`) enters as `f` with `r M` (`M`
//! bounding the input's magnitude) added to the error. A sum of `n` products computed in
//! round-to-nearest differs from the exact sum by at most `gamma_n` times the sum of the
//! magnitudes plus `eta / 2` a product (Higham 3.1): that is added to the error, summed over
//! the symbols. Every bound and error is computed rounding outwards (a nearest float moved one
//! float out, [`Outward`]), and a non-finite number abandons the bound (nothing excluded).

use super::symbolic::Outward;
use crate::exact::num::Q;
use crate::kernel::{image, image_error, ETA, UNIT_ROUNDOFF};
use crate::network::{Activation, Network};
use num_traits::Zero;

/// A rational as its float and a bound on the distance.
fn near(q: &Q) -> (f64, f64) {
    let v = image(q);
    (v, image_error(v).up())
}

/// `gamma_n = n u / (1 - n u)`, rounded up (`n u < 1/2`).
fn gamma(n: usize) -> f64 {
    let nu = n as f64 * UNIT_ROUNDOFF;
    (nu / (1.0 - nu)).up().up()
}

/// `a + b` and `a * b` rounded up (for nonnegative bounds).
fn add(a: f64, b: f64) -> f64 {
    (a + b).up()
}
fn mul(a: f64, b: f64) -> f64 {
    (a * b).up()
}

/// One layer: each row's nonzero weights `(column, float, radius)`, the biases, and whether
/// a ReLU follows.
struct Layer {
    rows: Vec<Vec<(usize, f64, f64)>>,
    bias: Vec<(f64, f64)>,
    relu: bool,
}

/// The three relaxations of an unstable neuron.
#[derive(Clone, Copy)]
enum Slope {
    /// `u / (u - l)`: the least-area parallelogram.
    Area,
    /// `1`: the neuron's value bloated upwards by `-l`.
    Bloat,
    /// `0`: the interval `[0, u]`.
    Interval,
}

/// One zonotope over a layer's values: per value its centre, its coefficients on the noise
/// symbols, and its own error bound.
#[derive(Clone)]
struct Zono {
    centre: Vec<f64>,
    gens: Vec<Vec<f64>>,
    err: Vec<f64>,
}

impl Zono {
    /// `(sum_t |g_t| + err)` of value `i`, rounded up.
    fn radius(&self, i: usize) -> f64 {
        add(self.gens[i].iter().fold(0.0, |s, g| add(s, g.abs())), self.err[i])
    }

    /// The affine map `rows . v + bias` (the error terms of the module doc added).
    fn affine(&self, rows: &[Vec<(usize, f64, f64)>], bias: &[(f64, f64)]) -> Option<Zono> {
        let m = self.gens.first().map_or(0, Vec::len);
        // per input value: the sum of its generators' magnitudes, and its radius
        let spread: Vec<f64> = self.gens.iter().map(|g| g.iter().fold(0.0, |s, x| add(s, x.abs()))).collect();
        let radius: Vec<f64> = spread.iter().zip(&self.err).map(|(a, e)| add(*a, *e)).collect();
        let mut out = Zono { centre: Vec::new(), gens: Vec::new(), err: Vec::new() };
        for (row, &(b, rb)) in rows.iter().zip(bias) {
            let (mut c, mut g) = (b, vec![0.0; m]);
            let mut size = b.abs();
            let mut err = rb;
            for &(j, f, r) in row {
                c += f * self.centre[j];
                for (acc, x) in g.iter_mut().zip(&self.gens[j]) {
                    *acc += f * x;
                }
                size = add(size, mul(f.abs(), add(self.centre[j].abs(), spread[j])));
                err = add(err, mul(f.abs(), self.err[j]));
                err = add(err, mul(r, add(self.centre[j].abs(), radius[j])));
            }
            let n = row.len() + 1;
            err = add(err, mul(gamma(n), size));
            err = add(err, mul((n * (m + 1)) as f64, ETA));
            if !c.is_finite() || !err.is_finite() || g.iter().any(|x| !x.is_finite()) {
                return None;
            }
            out.centre.push(c);
            out.gens.push(g);
            out.err.push(err);
        }
        Some(out)
    }

    /// The value `i`'s bounds `[l, u]`, outwards.
    fn bounds(&self, i: usize) -> (f64, f64) {
        let r = self.radius(i);
        ((self.centre[i] - r).down(), (self.centre[i] + r).up())
    }

    /// The ReLU with the tightest bounds `bounds`: each unstable value relaxed by `slope` with
    /// a new symbol; `fixed[i]` the state of a neuron fixed on the cell.
    fn relu(&mut self, bounds: &[(f64, f64)], fixed: &[bool], slope: Slope) {
        let m = self.gens.first().map_or(0, Vec::len);
        let mut new = Vec::new();
        for (i, &(l, u)) in bounds.iter().enumerate() {
            let state = fixed.get(i).copied().or(if u <= 0.0 {
                Some(false)
            } else if l >= 0.0 {
                Some(true)
            } else {
                None
            });
            match state {
                Some(true) => {}
                Some(false) => {
                    self.centre[i] = 0.0;
                    self.gens[i].iter_mut().for_each(|g| *g = 0.0);
                    self.err[i] = 0.0;
                }
                None => {
                    let lambda = match slope {
                        Slope::Area => (u / (u - l)).clamp(0.0, 1.0),
                        Slope::Bloat => 1.0,
                        Slope::Interval => 0.0,
                    };
                    let t = mul(lambda, -l).max(mul((1.0 - lambda).up(), u));
                    let mu = (t * 0.5).up();
                    let size = add(mul(lambda, self.radius(i)), add(mul(lambda, self.centre[i].abs()), mu));
                    self.centre[i] = lambda * self.centre[i] + mu;
                    self.gens[i].iter_mut().for_each(|g| *g *= lambda);
                    let err = add(mul(lambda, self.err[i]), mul(gamma(2), size));
                    self.err[i] = add(err, mul((m + 2) as f64, ETA));
                    new.push((i, mu));
                }
            }
        }
        for g in &mut self.gens {
            g.resize(m + new.len(), 0.0);
        }
        for (t, (i, mu)) in new.into_iter().enumerate() {
            self.gens[i][m + t] = mu;
        }
    }
}

/// A network prepared for zonotope bounds over a box (ReLU and linear layers only).
pub(crate) struct Zonotopes {
    layers: Vec<Layer>,
    /// The box, widened outwards to floats.
    lo: Vec<f64>,
    hi: Vec<f64>,
}

impl Zonotopes {
    /// The network on the box `bounds`; `None` for a network with another activation.
    pub(crate) fn new(net: &Network, bounds: &[(Q, Q)]) -> Option<Zonotopes> {
        let mut layers = Vec::new();
        for layer in net.layers() {
            let relu = match layer.activation {
                Activation::Relu => true,
                Activation::Linear => false,
                _ => return None,
            };
            let rows = layer
                .weights
                .rows()
                .map(|row| {
                    row.iter()
                        .filter(|(_, v)| !v.is_zero())
                        .map(|(k, v)| {
                            let (f, r) = near(v);
                            (*k, f, r)
                        })
                        .collect()
                })
                .collect();
            layers.push(Layer { rows, bias: layer.bias.iter().map(near).collect(), relu });
        }
        let lo = bounds.iter().map(|(l, _)| (near(l).0 - near(l).1).down()).collect();
        let hi = bounds.iter().map(|(_, h)| (near(h).0 + near(h).1).up()).collect();
        Some(Zonotopes { layers, lo, hi })
    }

    /// The three zonotopes of the outputs on the cell of the box where the neurons in `states`
    /// are fixed (`states[k]`: a prefix of the `k`-th ReLU layer's states); `None` when a
    /// number was not finite.
    fn outputs(&self, states: &[&[bool]]) -> Option<Vec<Zono>> {
        let d = self.lo.len();
        let mut input = Zono { centre: Vec::new(), gens: Vec::new(), err: Vec::new() };
        for (k, (&l, &h)) in self.lo.iter().zip(&self.hi).enumerate() {
            let c = 0.5 * l + 0.5 * h;
            let r = (h - c).up().max((c - l).up());
            let mut g = vec![0.0; d];
            g[k] = r;
            input.centre.push(c);
            input.gens.push(g);
            input.err.push(0.0);
        }
        let slopes = [Slope::Area, Slope::Bloat, Slope::Interval];
        let mut zonos = vec![input; slopes.len()];
        let mut relu_layer = 0;
        for layer in &self.layers {
            zonos = zonos.iter().map(|z| z.affine(&layer.rows, &layer.bias)).collect::<Option<_>>()?;
            if layer.relu {
                let bounds: Vec<(f64, f64)> = (0..layer.bias.len())
                    .map(|i| {
                        zonos
                            .iter()
                            .map(|z| z.bounds(i))
                            .fold((f64::NEG_INFINITY, f64::INFINITY), |a, b| (a.0.max(b.0), a.1.min(b.1)))
                    })
                    .collect();
                let fixed = states.get(relu_layer).copied().unwrap_or(&[]);
                for (z, &slope) in zonos.iter_mut().zip(&slopes) {
                    z.relu(&bounds, fixed, slope);
                }
                relu_layer += 1;
            }
        }
        Some(zonos)
    }

    /// For each `(coefficients, rhs, strict)`, meaning `c . y <= rhs` (`<` when strict) over
    /// the outputs `y`: whether no point of the cell (the box with the neurons in `states`
    /// fixed) satisfies it.
    pub(crate) fn excluded(&self, states: &[&[bool]], constraints: &[(&[Q], &Q, bool)]) -> Vec<bool> {
        let Some(zonos) = self.outputs(states) else { return vec![false; constraints.len()] };
        constraints
            .iter()
            .map(|(c, rhs, strict)| {
                let row: Vec<(usize, f64, f64)> = c
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| !v.is_zero())
                    .map(|(k, v)| {
                        let (f, r) = near(v);
                        (k, f, r)
                    })
                    .collect();
                let (b, rb) = near(rhs);
                let rhs_up = (b + rb).up();
                zonos.iter().any(|z| {
                    let Some(value) = z.affine(std::slice::from_ref(&row), &[(0.0, 0.0)]) else {
                        return false;
                    };
                    let lower = value.bounds(0).0;
                    lower.is_finite()
                        && rhs_up.is_finite()
                        && (lower > rhs_up || (*strict && lower >= rhs_up))
                })
            })
            .collect()
    }
}
