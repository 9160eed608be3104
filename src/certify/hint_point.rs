//! Rational points from float hints: a float point rounded to simple dyadic rationals (coarse
//! first), looked at in floats, projected exactly onto a hyperplane when one is asked for, and
//! checked exactly strictly inside the rows. Floats only propose here; the exact check decides.

use super::is_strictly_inside;
use crate::exact::num::{common_denominator, from_f64_exact, scaled_numerator, simple_dyadic_near, Q};
use crate::kernel::halfspace::Halfspace;
use crate::kernel::Filter;
use crate::lp::Hint;
use num_traits::{Signed, Zero};

/// `x` rounded to simple dyadic rationals with `bits` fraction bits, or to the floats' exact
/// values when `bits` is 0 (`None` for a non-finite entry).
pub(super) fn rounded(x: &[f64], bits: u32) -> Option<Vec<Q>> {
    x.iter().map(|&v| if bits == 0 { from_f64_exact(v) } else { simple_dyadic_near(v, bits) }).collect()
}

/// The images of [`rounded`]`(x, bits)`, exact (a rounded value `n / 2^bits` with `|n| <=
/// 9e15` is a float; zero is +0), computed without rationals; `None` where [`rounded`] gives `None`.
fn rounded_images(x: &[f64], bits: u32) -> Option<Vec<f64>> {
    let scale = (1u64 << bits) as f64;
    x.iter()
        .map(|&v| {
            let n = (v * scale).round();
            match () {
                _ if !v.is_finite() => None,
                _ if bits == 0 || !n.is_finite() || n.abs() > 9.0e15 => Some(v + 0.0),
                _ => Some(n / scale + 0.0),
            }
        })
        .collect()
}

/// Rounds the hint's centre to simple rationals (then to its exact float value), projects it
/// onto the hyperplane, and checks it exactly.
pub(super) fn point_from_hint(
    rows: &[&Halfspace],
    equality: Option<&Halfspace>,
    hint: &Hint,
) -> Option<Vec<Q>> {
    // a hint exists only where floats propose (never with the float-free backend)
    let p = hint.point.as_ref()?;
    if hint.radius.is_nan() || hint.radius <= 0.0 {
        return None;
    }
    for bits in [2u32, 6, 12, 24, 0] {
        // the candidate's images first: no rational is made for one that floats reject
        if !rounded_images(p, bits).is_some_and(|xf| float_candidate_plausible(rows, equality, xf)) {
            continue;
        }
        let Some(mut x) = rounded(p, bits) else { continue };
        if let Some(e) = equality {
            project_onto(&mut x, e);
        }
        if is_strictly_inside(rows, &x, Filter::Float) {
            return Some(x);
        }
    }
    None
}

/// A float look at a rounded candidate before any exact work: false when, after a float
/// projection onto the hyperplane, some row is clearly violated (only a shortcut: whatever
/// passes is still checked exactly, and a rejected candidate only costs a finer rounding).
fn float_candidate_plausible(rows: &[&Halfspace], equality: Option<&Halfspace>, mut xf: Vec<f64>) -> bool {
    if let Some(e) = equality {
        let ea = e.float_a();
        let Some(j) = (0..ea.len()).max_by(|&i, &k| ea[i].abs().total_cmp(&ea[k].abs())) else { return true };
        if ea[j] == 0.0 {
            return true;
        }
        let residual = e.float_b() - ea.iter().zip(&xf).map(|(a, v)| a * v).sum::<f64>();
        xf[j] += residual / ea[j];
    }
    rows.iter().all(|r| {
        let (mut dot, mut magnitude) = (0.0, r.float_b().abs());
        for (a, v) in r.float_a().iter().zip(&xf) {
            dot += a * v;
            magnitude += (a * v).abs();
        }
        let slack = r.float_b() - dot;
        // a NaN (overflow) is not a clear violation either
        slack.is_nan() || slack >= -1e-9 * magnitude
    })
}

/// Moves `x` onto the hyperplane `e . x = f` along its largest coordinate `j`: the new `x_j`
/// is `(F D - sum_{k != j} E_k X_k) / (E_j D)` over the integers `E = e m`, `F = f m` (the
/// row's own, kept with it), `X = x D` (`m`, `D` the common denominators), one fraction however
/// long the row's coefficients are.
fn project_onto(x: &mut [Q], e: &Halfspace) {
    // the largest coefficient by its cached image (any nonzero one would do: exactness does
    // not depend on the choice)
    let ea = e.float_a();
    let Some(j) =
        (0..x.len()).filter(|&j| !e.a[j].is_zero()).max_by(|&i, &k| ea[i].abs().total_cmp(&ea[k].abs()))
    else {
        return;
    };
    let (ints, f) = e.integer_row();
    let d = common_denominator(x.iter().enumerate().filter(|&(k, _)| k != j).map(|(_, v)| v));
    let mut numerator = f * &d;
    for (k, (ek, xk)) in ints.iter().zip(x.iter()).enumerate() {
        if k != j && !ek.is_zero() && !xk.is_zero() {
            numerator -= ek * scaled_numerator(xk, &d);
        }
    }
    let mut denominator = &ints[j] * d;
    if denominator.is_negative() {
        (numerator, denominator) = (-numerator, -denominator);
    }
    // left unreduced (a fraction with a positive denominator: every operation and comparison
    // takes it as it is); callers that show the point reduce it
    x[j] = Q::new_raw(numerator, denominator);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::to_f64;

    /// The images computed without rationals are the images of the rounded rationals, at every
    /// precision, for values from the subnormals to beyond `2^53` scaled.
    #[test]
    fn rounded_images_are_the_images_of_the_rounded_values() {
        let values = [0.3, -1.7e-3, 5e-324, -2.5e-310, 1e15, -7.25e17, 123456.789, 0.0, -0.0, 1.0 / 3.0];
        for bits in [2u32, 6, 12, 24, 0] {
            let exact = rounded(&values, bits).unwrap();
            let images = rounded_images(&values, bits).unwrap();
            for (v, f) in exact.iter().zip(&images) {
                assert_eq!(to_f64(v).to_bits(), f.to_bits(), "bits {bits}: {v} vs {f}");
            }
        }
        assert!(rounded_images(&[f64::NAN], 6).is_none() && rounded(&[f64::NAN], 6).is_none());
        assert!(rounded_images(&[f64::INFINITY], 0).is_none() && rounded(&[f64::INFINITY], 0).is_none());
    }
}
