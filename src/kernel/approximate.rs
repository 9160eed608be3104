//! Filters on affine forms known only approximately: every coefficient a float within a proved
//! distance of the exact one (the product of a region's map with the last ReLU layer in floats,
//! [`crate::forward::fixed_point::ApproximateMap`]), so that a neuron which does not split the
//! region is decided without its exact row ever being formed.
//!
//! Both filters reduce to the ones of the parent module:
//! - [`approximate_affine_sign`]: `c* . x* + e*` at an exact point with images `x` is
//!   [`affine_with_error`] with the approximations `(c, e)` as the `h` and the images `(x, 1)`
//!   as the weights (1 is exact).
//! - [`widened_rhs`]: on a region inside the exact box `B*` whose images are `[lo, hi]`, every
//!   point has `|x_j| <= W*_j <= W_j (1 + 4u) + eta` with `W_j = max(|lo_j|, |hi_j|)` (model
//!   (I)), so `g* . x >= g . x - sum_j gerr_j |x_j|`. With `beta' >= beta + beta_err + sum_j
//!   gerr_j (W_j (1 + 4u) + eta)`, a proof that the *float* halfspace `g . x <= beta'` has no
//!   point of the region (the safe bounds of [`super::float_box`], for which a float is its own
//!   image) proves `g* . x > beta' - sum_j gerr_j |x_j| >= beta + beta_err >= beta*` there: the
//!   exact halfspace `g* . x <= beta*` has no point of the region either.

#[cfg(doc)]
use super::affine_with_error;
use super::{sign_within, ETA, UNIT_ROUNDOFF};
use crate::kernel::float_box::FloatBox;
use std::cmp::Ordering;

/// The exact sign of `c* . x* + e*`, where `|c*_j - c[j]| <= c_err[j]`, `|e* - e| <= e_err` and
/// `x` holds the images of the exact point `x*`; `None` when the bound does not prove it. This
/// is [`affine_with_error`] with weights `(x, 1)`, approximations `(c, e)` and no bias, the
/// same sums in the same order, without building its arguments.
pub(crate) fn approximate_affine_sign(
    c: &[f64],
    c_err: &[f64],
    e: f64,
    e_err: f64,
    x: &[f64],
) -> Option<Ordering> {
    let (mut value, mut magnitude, mut propagated) = (0.0f64, 0.0f64, 0.0f64);
    let (mut sum_err, mut sum_h) = (0.0f64, 0.0f64);
    for ((&w, &h), &err) in x.iter().chain([&1.0]).zip(c.iter().chain([&e])).zip(c_err.iter().chain([&e_err]))
    {
        let p = w * h;
        value += p;
        magnitude += p.abs();
        propagated += w.abs() * err;
        sum_err += err;
        sum_h += h.abs();
    }
    let n = (x.len() + 1) as f64;
    sign_within(value, error_of(propagated, magnitude, sum_err, sum_h, n))
}

/// The error bound of [`affine_with_error`] from its sums (`n` terms).
fn error_of(propagated: f64, magnitude: f64, sum_err: f64, sum_h: f64, n: f64) -> f64 {
    2.0 * (propagated * (1.0 + 4.0 * UNIT_ROUNDOFF)
        + (n + 8.0) * UNIT_ROUNDOFF * magnitude
        + 2.0 * ETA * (sum_err + sum_h + n + 2.0))
}

/// [`affine_with_error`] for several columns at once: `h` holds `n` rows of `cols`
/// approximations (`h[k * cols + j]`, within `h_err[k * cols + j]`) and each column `j` gets
/// `sum_k w_k h_kj + b[j]` in `values[j]` with its error bound in `errors[j]` (the same sums,
/// term by term in the same order, as `affine_with_error(w, b[j], column j)`). `column_sums`
/// are the columns' `(sum_k h_err_kj, sum_k |h_kj|)` ([`column_sums`]); `work` is scratch space
/// (reused across the rows of a product).
pub(crate) fn affine_with_error_columns(
    w: &[f64],
    b: &[f64],
    (h, h_err): (&[f64], &[f64]),
    column_sums: &[(f64, f64)],
    (values, errors): (&mut [f64], &mut [f64]),
    work: &mut Vec<f64>,
) {
    let cols = b.len();
    // few columns (inputs up to 8): the same sums with the row length known at compile time
    macro_rules! fixed {
        ($($c:literal)*) => {
            match cols {
                $($c => return columns_fixed::<$c>(w, b, (h, h_err), column_sums, (values, errors)),)*
                _ => {}
            }
        };
    }
    fixed!(2 3 4 5 6 7 8 9);
    work.clear();
    work.extend(b.iter().map(|v| v.abs()));
    work.resize(2 * cols, 0.0);
    let (magnitude, propagated) = work.split_at_mut(cols);
    values.copy_from_slice(b);
    for (k, &wk) in w.iter().enumerate() {
        let (row, row_err) = (&h[k * cols..(k + 1) * cols], &h_err[k * cols..(k + 1) * cols]);
        for j in 0..cols {
            let p = wk * row[j];
            values[j] += p;
            magnitude[j] += p.abs();
            propagated[j] += wk.abs() * row_err[j];
        }
    }
    let n = w.len() as f64;
    for j in 0..cols {
        let (sum_err, sum_h) = column_sums[j];
        errors[j] = error_of(propagated[j], magnitude[j], sum_err, sum_h, n);
    }
}

/// [`affine_with_error_columns`] for `C` columns: every float operation the same, in the same
/// order, so the same values and bounds.
fn columns_fixed<const C: usize>(
    w: &[f64],
    b: &[f64],
    (h, h_err): (&[f64], &[f64]),
    column_sums: &[(f64, f64)],
    (values, errors): (&mut [f64], &mut [f64]),
) {
    let mut value: [f64; C] = b.try_into().expect("C columns");
    let mut magnitude = value.map(f64::abs);
    let mut propagated = [0.0; C];
    for ((&wk, row), row_err) in w.iter().zip(h.chunks_exact(C)).zip(h_err.chunks_exact(C)) {
        let (row, row_err): (&[f64; C], &[f64; C]) =
            (row.try_into().expect("C columns"), row_err.try_into().expect("C columns"));
        let wk_abs = wk.abs();
        for j in 0..C {
            let p = wk * row[j];
            value[j] += p;
            magnitude[j] += p.abs();
            propagated[j] += wk_abs * row_err[j];
        }
    }
    values.copy_from_slice(&value);
    let n = w.len() as f64;
    for j in 0..C {
        let (sum_err, sum_h) = column_sums[j];
        errors[j] = error_of(propagated[j], magnitude[j], sum_err, sum_h, n);
    }
}

/// The `(sum_k h_err_kj, sum_k |h_kj|)` of each column of `n` rows of `cols` approximations.
pub(crate) fn column_sums(h: &[f64], h_err: &[f64], cols: usize) -> Vec<(f64, f64)> {
    let mut sums = vec![(0.0, 0.0); cols];
    for (row, row_err) in h.chunks_exact(cols).zip(h_err.chunks_exact(cols)) {
        for j in 0..cols {
            sums[j].0 += row_err[j];
            sums[j].1 += row[j].abs();
        }
    }
    sums
}

/// A float right-hand side `beta'` such that a proof that `g . x <= beta'` misses a region
/// inside the box (both read as exact floats) proves that the exact `g* . x <= beta*` misses it,
/// for `|g*_j - g[j]| <= g_err[j]` and `beta* <= beta + beta_err` (module docs). Infinite when
/// the widening overflows (nothing is proved then).
pub(crate) fn widened_rhs(beta: f64, beta_err: f64, g_err: &[f64], bx: &FloatBox) -> f64 {
    let mut widening = beta_err;
    for (j, &e) in g_err.iter().enumerate() {
        let w = bx.lo(j).abs().max(bx.hi(j).abs());
        widening += e * (w * (1.0 + 4.0 * UNIT_ROUNDOFF) + ETA);
    }
    // the sum of n + 1 nonnegative terms, each product and sum rounded: a relative (n + 4) u
    // covers it; the factor 4 and the step up cover the last roundings
    let n = g_err.len() as f64;
    let widening = widening * (1.0 + 4.0 * (n + 4.0) * UNIT_ROUNDOFF) + ETA;
    let rhs = beta + widening;
    if !(rhs.is_finite() && widening.is_finite()) {
        return f64::INFINITY;
    }
    step_up(rhs)
}

/// The next float above a finite `x` (`f64::next_up`, which the crate's minimum Rust lacks).
fn step_up(x: f64) -> f64 {
    if x == 0.0 {
        ETA
    } else if x > 0.0 {
        f64::from_bits(x.to_bits() + 1)
    } else {
        f64::from_bits(x.to_bits() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::{from_f64_exact, sign, Q};
    use crate::kernel::{image, image_error};
    use num_traits::Signed;
    use proptest::prelude::*;

    /// A rational `m * 10^e` with a short mantissa.
    fn value() -> impl Strategy<Value = Q> {
        (-9_999i64..=9_999, -12i32..=6)
            .prop_map(|(m, e)| crate::exact::num::parse_rational(&format!("{m}e{e}")).unwrap())
    }

    /// Approximations of `v`: the image moved by `shift` units of its magnitude, with a bound
    /// that covers the move and the image error.
    fn approximate(v: &[Q], shift: &[f64]) -> (Vec<f64>, Vec<f64>) {
        v.iter()
            .zip(shift)
            .map(|(v, s)| {
                let f = image(v);
                let moved = f + s * f.abs();
                (moved, 2.0 * (moved - f).abs() + image_error(f) + image_error(moved))
            })
            .unzip()
    }

    #[test]
    fn step_up_is_the_next_float() {
        assert_eq!(step_up(1.0), 1.0 + f64::EPSILON);
        assert_eq!(step_up(-1.0), -1.0 + f64::EPSILON / 2.0);
        assert_eq!(step_up(0.0), ETA);
        assert_eq!(step_up(-ETA), 0.0);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        /// A decided sign of an approximately known form is the exact sign.
        #[test]
        fn approximate_signs_are_exact_when_decided(
            c in prop::collection::vec(value(), 4),
            e in value(),
            x in prop::collection::vec(value(), 4),
            shift in prop::collection::vec(-1e-6f64..1e-6, 5),
        ) {
            let exact = c.iter().zip(&x).map(|(a, b)| a * b).sum::<Q>() + &e;
            let (fc, ec) = approximate(&c, &shift[..4]);
            let (fe, ee) = approximate(std::slice::from_ref(&e), &shift[4..]);
            let fx: Vec<f64> = x.iter().map(image).collect();
            if let Some(s) = approximate_affine_sign(&fc, &ec, fe[0], ee[0], &fx) {
                prop_assert_eq!(s, sign(&exact));
            }
        }

        /// The columns of a product in one pass, for every row length (the fixed-length
        /// paths and the general one): bit for bit the single-column evaluation
        /// `affine_with_error`, and each value within its bound of the exact sum (huge, tiny
        /// and cancelling terms from the mantissas and exponents drawn).
        #[test]
        fn column_sums_agree_with_one_column_at_a_time_and_hold(
            cols in 1usize..=11,
            n in 0usize..=6,
            w in prop::collection::vec(value(), 6),
            b in prop::collection::vec(value(), 11),
            h in prop::collection::vec(value(), 66),
            shift in prop::collection::vec(-1e-6f64..1e-6, 66),
            scale in -200i32..=200,
        ) {
            let big = Q::from_integer(num_bigint::BigInt::from(2).pow(scale.unsigned_abs()));
            let scaled = |v: &Q| if scale >= 0 { v * &big } else { v / &big };
            let h: Vec<Q> = h[..n * cols].iter().map(scaled).collect();
            let (fh, eh) = approximate(&h, &shift[..n * cols]);
            let (fw, fb): (Vec<f64>, Vec<f64>) = (w[..n].iter().map(image).collect(), b[..cols].iter().map(image).collect());
            let sums = column_sums(&fh, &eh, cols);
            let (mut values, mut errors, mut work) = (vec![0.0; cols], vec![0.0; cols], Vec::new());
            affine_with_error_columns(&fw, &fb, (&fh, &eh), &sums, (&mut values, &mut errors), &mut work);
            for j in 0..cols {
                let column: Vec<usize> = (0..n).map(|k| k * cols + j).collect();
                let pick = |v: &[f64]| -> Vec<f64> { column.iter().map(|&at| v[at]).collect() };
                let one = crate::kernel::Approximations::new(pick(&fh), pick(&eh));
                let (value, error) = crate::kernel::affine_with_error(&fw, fb[j], &one);
                prop_assert_eq!(values[j].to_bits(), value.to_bits());
                prop_assert_eq!(errors[j].to_bits(), error.to_bits());
                let exact: Q = w[..n].iter().zip(&column).map(|(wk, &at)| wk * &h[at]).sum::<Q>() + &b[j];
                if let (Some(v), Some(e)) = (from_f64_exact(values[j]), from_f64_exact(errors[j])) {
                    prop_assert!((exact - v).abs() <= e);
                }
            }
        }

        /// A float proof with the widened right-hand side holds for the exact halfspace: no
        /// corner or sampled point of the box satisfies it.
        #[test]
        fn widened_proofs_hold_for_the_exact_halfspace(
            g in prop::collection::vec(value(), 3),
            beta in value(),
            shift in prop::collection::vec(-1e-3f64..1e-3, 4),
            lo in prop::collection::vec(-3i64..=0, 3),
            t in prop::collection::vec(0u32..=8, 3),
        ) {
            let (fg, eg) = approximate(&g, &shift[..3]);
            let (fb, eb) = approximate(std::slice::from_ref(&beta), &shift[3..]);
            let bx = FloatBox::new(lo.iter().map(|&l| l as f64).collect(), lo.iter().map(|&l| l as f64 + 1.0).collect());
            let rhs = widened_rhs(fb[0], eb[0], &eg, &bx);
            if crate::kernel::float_box::proves_empty_floats(&[], &fg, rhs, None, &bx) {
                // the corners and a grid point: g . x > beta at each
                for corner in 0..8u32 {
                    let x: Vec<Q> = (0..3).map(|j| Q::from_integer((lo[j] + i64::from(corner >> j & 1)).into())).collect();
                    let y: Vec<Q> = (0..3).map(|j| Q::from_integer(lo[j].into()) + Q::new(t[j].into(), 8.into())).collect();
                    for p in [x, y] {
                        let value: Q = g.iter().zip(&p).map(|(a, b)| a * b).sum();
                        prop_assert!(value > beta, "{:?} {:?}", p, from_f64_exact(rhs));
                    }
                }
            }
        }
    }
}
