//! The affine step of the symbolic bounds: a layer's lower and upper forms from the previous
//! layer's values laid out flat ([`Flat`]).
//!
//! # The same floats with fewer branches
//! A value whose two forms are zero (an off neuron's) adds nothing to a row's sums, and which
//! values those are depends only on the layer, not on the row: the columns that remain
//! ([`Flat::active`]) are listed once a layer, and a row whose terms are its columns in order
//! (a dense layer's) sums over them alone. The one zero form of a value that remains (a
//! relaxation's zero lower side) is then added instead of left out: `v * 0` is a zero, and a
//! sum that starts at `+0` or any nonzero float is never `-0` in round-to-nearest (an exact
//! cancellation gives `+0`), so adding a zero leaves it as it was, bit for bit. A left-out
//! value's weight is `0`, so its magnitude terms `|v| * 0` change nothing either; the slack
//! and the count of terms (which size the error bound) are summed over every term as before.
//! So every float is the one the term-by-term sums give (the constant's sum starts at the
//! bias, `+0` for a zero bias).

use super::{Bounded, Form, Frame, Near, SymbolicBounds};

/// The bounds of a layer's values laid out flat for the next layer's sums.
pub(super) struct Flat {
    width: usize,
    lower: Vec<f64>,
    upper: Vec<f64>,
    lower_weight: Vec<f64>,
    upper_weight: Vec<f64>,
    magnitude: Vec<f64>,
    /// Whether each value's lower (upper) form is zero (an off neuron's, a relaxation's zero
    /// side): left out of sums it adds exact zeros to (the same floats up to a zero's sign; the
    /// count of terms, which sizes the error bound, is kept).
    lower_zero: Vec<bool>,
    upper_zero: Vec<bool>,
}

impl Flat {
    pub(super) fn new(values: &[Bounded], d: usize) -> Flat {
        let zero = |form: &Form| form.iter().all(|c| *c == 0.0);
        // one allocation a side (a flattening iterator's size is not known ahead)
        let flat = |side: fn(&Bounded) -> &Form| {
            let mut out = Vec::with_capacity(values.len() * (d + 1));
            values.iter().for_each(|v| out.extend_from_slice(side(v)));
            out
        };
        Flat {
            width: d + 1,
            lower: flat(|v| &v.lower),
            upper: flat(|v| &v.upper),
            lower_weight: values.iter().map(|v| v.lower_weight).collect(),
            upper_weight: values.iter().map(|v| v.upper_weight).collect(),
            magnitude: values.iter().map(|v| v.magnitude).collect(),
            lower_zero: values.iter().map(|v| zero(&v.lower)).collect(),
            upper_zero: values.iter().map(|v| zero(&v.upper)).collect(),
        }
    }

    /// The values whose forms are not both zero, in order.
    pub(super) fn active(&self) -> Vec<usize> {
        (0..self.lower_zero.len()).filter(|&m| !(self.lower_zero[m] && self.upper_zero[m])).collect()
    }
}

/// The `m`-th form of a side laid out flat, `W` wide.
#[inline(always)]
fn form_at<const W: usize>(side: &[f64], m: usize) -> &[f64; W] {
    side[m * W..(m + 1) * W].try_into().expect("forms are W wide")
}

/// `acc += v x`, term by term (unrolled for ACAS Xu's width; the same operations either way).
#[inline(always)]
fn add_scaled(acc: &mut [f64], v: f64, x: &[f64]) {
    if let (Ok(acc), Ok(x)) = (<&mut [f64; 6]>::try_from(&mut *acc), <&[f64; 6]>::try_from(x)) {
        for (a, c) in acc.iter_mut().zip(x) {
            *a += v * c;
        }
        return;
    }
    for (a, c) in acc.iter_mut().zip(x) {
        *a += v * c;
    }
}

impl SymbolicBounds {
    /// The lower and upper forms of `row . v + bias`: [`SymbolicBounds::combine`] for both
    /// sides in one pass over the inputs' forms, laid out flat (the same sums in the same order).
    /// `active`, for a dense row: [`Flat::active`] of `inputs`, over which the sums run when the
    /// forms are 6 wide (ACAS Xu's 5 inputs and the constant; module docs).
    pub(super) fn affine(
        &self,
        f: &Frame,
        row: &[(usize, Near)],
        bias: Near,
        inputs: &Flat,
        active: Option<&[usize]>,
    ) -> ((Form, f64), (Form, f64)) {
        if let (Some(active), 6) = (active, inputs.width) {
            return self.affine_dense::<6>(f, row, bias, inputs, active);
        }
        let w = inputs.width;
        let mut lower = vec![0.0; w];
        let mut upper = vec![0.0; w];
        lower[w - 1] = bias.value;
        upper[w - 1] = bias.value;
        let (mut mag_lower, mut mag_upper, mut slack, mut n) =
            (bias.value.abs(), bias.value.abs(), bias.radius, 1);
        for &(m, ref near) in row {
            let v = near.value;
            if v != 0.0 {
                let (below, above) =
                    if v >= 0.0 { (&inputs.lower, &inputs.upper) } else { (&inputs.upper, &inputs.lower) };
                let (wb, wa) = if v >= 0.0 {
                    (inputs.lower_weight[m], inputs.upper_weight[m])
                } else {
                    (inputs.upper_weight[m], inputs.lower_weight[m])
                };
                let (below_zero, above_zero) = if v >= 0.0 {
                    (inputs.lower_zero[m], inputs.upper_zero[m])
                } else {
                    (inputs.upper_zero[m], inputs.lower_zero[m])
                };
                if !below_zero {
                    add_scaled(&mut lower, v, &below[m * w..(m + 1) * w]);
                }
                if !above_zero {
                    add_scaled(&mut upper, v, &above[m * w..(m + 1) * w]);
                }
                mag_lower += v.abs() * wb;
                mag_upper += v.abs() * wa;
                n += 1;
            }
            slack += near.radius * inputs.magnitude[m];
        }
        (self.seal(f, lower, mag_lower, slack, n, false), self.seal(f, upper, mag_upper, slack, n, true))
    }

    /// [`SymbolicBounds::affine`] for a dense row of forms `W` wide, over the active columns
    /// only (module docs: the same floats), the sums in registers.
    fn affine_dense<const W: usize>(
        &self,
        f: &Frame,
        row: &[(usize, Near)],
        bias: Near,
        inputs: &Flat,
        active: &[usize],
    ) -> ((Form, f64), (Form, f64)) {
        let mut lower = [0.0; W];
        let mut upper = [0.0; W];
        lower[W - 1] = bias.value;
        upper[W - 1] = bias.value;
        let (mut mag_lower, mut mag_upper, mut slack, mut n) =
            (bias.value.abs(), bias.value.abs(), bias.radius, 1);
        for (m, near) in row {
            slack += near.radius * inputs.magnitude[*m];
            n += usize::from(near.value != 0.0);
        }
        for &m in active.iter().take_while(|&&m| m < row.len()) {
            let v = row[m].1.value;
            if v == 0.0 {
                continue;
            }
            let up = v < 0.0; // the side read below
            let (below, above) =
                if up { (&inputs.upper, &inputs.lower) } else { (&inputs.lower, &inputs.upper) };
            let (wb, wa) = if up {
                (inputs.upper_weight[m], inputs.lower_weight[m])
            } else {
                (inputs.lower_weight[m], inputs.upper_weight[m])
            };
            let (below, above) = (form_at::<W>(below, m), form_at::<W>(above, m));
            for k in 0..W {
                lower[k] += v * below[k];
                upper[k] += v * above[k];
            }
            mag_lower += v.abs() * wb;
            mag_upper += v.abs() * wa;
        }
        (
            self.seal(f, lower.to_vec(), mag_lower, slack, n, false),
            self.seal(f, upper.to_vec(), mag_upper, slack, n, true),
        )
    }
}
