//! One row of a product with a layer, alone, in limbs: row `i` of
//! [`FixedMap::then_masked_layer`] with the same lazy-carry integer arithmetic as the whole
//! product ([`limbs::accumulate`]), without a big integer per term, and with the float image of
//! each entry read from its limbs.
//!
//! The counting run's last ReLU layer ([`super::lazy`]) forms such a row for each neuron that
//! splits a region: the row becomes the constraint of both children.

use super::{limbs, FixedLayer, FixedMap};
use num_bigint::BigInt;

/// A product row: its exact Jacobian numerators, its exact offset numerator, and the float
/// images of the `d + 1` entries (Jacobian, then offset; each within 2 units of roundoff of the
/// exact integer, infinite beyond the float range, as [`FixedMap`]'s own floats).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExactRow {
    pub(crate) jacobian: Vec<BigInt>,
    pub(crate) offset: BigInt,
    pub(crate) images: Vec<f64>,
}

impl FixedMap {
    /// Row `i` of [`FixedMap::then_masked_layer`] (its Jacobian and offset numerators and their
    /// images), computed alone.
    pub(crate) fn then_masked_layer_row(
        &self,
        mask: Option<&[bool]>,
        layer: &FixedLayer,
        i: usize,
    ) -> ExactRow {
        assert_eq!(*self.den, *layer.den_in, "layer prepared for another denominator");
        assert_eq!(self.rows, layer.inputs(), "layer input size");
        let (cols, kw) = (self.cols, layer.w_limbs);
        // every entry of this map is below 2^(64 limbs - 1) in magnitude and every weight below
        // 2^(64 kw): a sum of at most `rows` products and the bias fits in `limbs + kw + 1`
        // limbs with its sign bit (rows < 2^63), and the bias alone in `b_limbs`
        let k = (self.limbs + kw + 1).max(layer.b_limbs);
        let mut acc = vec![0u128; cols * k];
        let b = &layer.bias_scaled[i * layer.b_limbs..(i + 1) * layer.b_limbs];
        let fill = if limbs::is_negative(b) { u64::MAX } else { 0 };
        for (t, sum) in acc[(cols - 1) * k..].iter_mut().enumerate() {
            *sum = u128::from(b.get(t).copied().unwrap_or(fill));
        }
        let mut scratch = vec![0u64; self.limbs];
        for (t, (h, _)) in layer.w[i].iter().enumerate() {
            if mask.is_some_and(|m| !m[*h]) {
                continue;
            }
            let wi = layer.w_start[i] + t;
            let w = &layer.w_magnitude[wi * kw..(wi + 1) * kw];
            let w = &w[..limbs::significant_len(w)];
            if w.is_empty() {
                continue;
            }
            for (j, sums) in acc.chunks_exact_mut(k).enumerate() {
                let entry = self.entry(*h, j);
                if entry.iter().all(|&l| l == 0) {
                    continue;
                }
                let negative = limbs::magnitude_into(entry, &mut scratch);
                let v = &scratch[..limbs::significant_len(&scratch)];
                limbs::accumulate(sums, w, v, layer.w_negative[wi] != negative);
            }
        }
        let mut out = vec![0u64; k];
        let (mut jacobian, mut images) = (Vec::with_capacity(cols - 1), Vec::with_capacity(cols));
        for sums in acc.chunks_exact(k) {
            limbs::normalize(sums, &mut out);
            jacobian.push(limbs::to_bigint(&out));
            images.push(limbs::to_f64(&out));
        }
        let offset = jacobian.pop().expect("an offset column");
        ExactRow { jacobian, offset, images }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::{from_f64_exact, parse_rational, Q};
    use crate::network::{Activation, Layer, Weights};
    use num_traits::{Signed, Zero};

    /// A layer of the given rows and bias, parsed from decimal strings.
    fn layer(rows: &[&[&str]], bias: &[&str]) -> Layer {
        let r = |s: &&str| parse_rational(s).unwrap();
        Layer {
            weights: Weights::from_dense_rows(rows.iter().map(|row| row.iter().map(r).collect()).collect()),
            bias: bias.iter().map(r).collect(),
            activation: Activation::Relu,
        }
    }

    /// Rows alone against the whole product on weights of huge and tiny magnitudes (maps of
    /// several limbs), exact cancellations to zero, negative entries at limb edges and masks:
    /// the exact numerators are the product's, and each image is within 2 units of roundoff.
    #[test]
    fn rows_alone_are_the_products_rows_with_faithful_images() {
        let first = layer(
            &[
                &["1e40", "-3e-30", "7"],
                &["-18446744073709551616", "18446744073709551615", "-1/3"],
                &["1e-45", "2", "-9223372036854775808"],
                &["0", "0", "0"],
                &["-5e20", "5e20", "1e-20"],
            ],
            &["1e30", "-1", "0", "3", "-1e-40"],
        );
        let second = layer(
            &[
                &["1", "1", "1", "1", "1"],
                &["2", "0", "0", "0", "0"],
                &["-1e25", "3e-25", "-7/11", "1e50", "0"],
                &["1e-60", "-1e60", "0.5", "-0.25", "123456789.987654321"],
            ],
            &["-1e33", "0", "1e-33", "-17"],
        );
        let minus = layer(&[&["-1", "0", "0", "0", "0"]], &["0"]);
        let chain = FixedLayer::chain(&[first, second]);
        let input = FixedMap::identity(3).then_masked_layer(None, &chain[0]);
        let masks = [None, Some(vec![true, false, true, true, false]), Some(vec![false; 5])];
        for mask in &masks {
            let exact = input.then_masked_layer(mask.as_deref(), &chain[1]);
            for i in 0..4 {
                let row = input.then_masked_layer_row(mask.as_deref(), &chain[1], i);
                assert_eq!((row.jacobian.clone(), row.offset.clone()), exact.row_ints(i), "row {i}");
                for (v, f) in row.jacobian.iter().chain([&row.offset]).zip(&row.images) {
                    let distance = (Q::from_integer(v.clone()) - from_f64_exact(*f).unwrap()).abs();
                    let unit = Q::from_integer(v.abs()) * from_f64_exact(f64::EPSILON).unwrap();
                    assert!(distance <= unit, "row {i}: {f} is not within 2 units of {v}");
                    assert_eq!(v.is_zero(), *f == 0.0);
                }
            }
        }
        // a row that cancels exactly: the first layer's row 0 plus (-1) times itself
        let cancel = layer(&[&["1", "-1", "0", "0", "0"]], &["0"]);
        let twin = layer(
            &[
                &["1e40", "-3e-30", "7"],
                &["1e40", "-3e-30", "7"],
                &["0", "0", "0"],
                &["0", "0", "0"],
                &["0", "0", "0"],
            ],
            &["1e30", "1e30", "0", "0", "0"],
        );
        let chain = FixedLayer::chain(&[twin, cancel, minus]);
        let input = FixedMap::identity(3).then_masked_layer(None, &chain[0]);
        let row = input.then_masked_layer_row(None, &chain[1], 0);
        assert!(row.jacobian.iter().chain([&row.offset]).all(Zero::is_zero));
        assert!(row.images.iter().all(|&f| f == 0.0));
    }
}
