//! A product with a layer whose exact rows are formed only on demand: the float approximation
//! of every entry of `W mask(h) + b` with a proved error bound
//! ([`approximate::affine_with_error_columns`]),
//! and any single exact row when a decision needs it.
//!
//! The enumeration uses it for the last ReLU layer when it counts: there the exact map is read
//! only for the rows of the neurons that split the region (their constraints) and for signs
//! the float filters leave open, and no later layer composes with it.

use super::{FixedLayer, FixedMap};
use crate::exact::num::{to_f64, Q};
use crate::kernel::{self, approximate};
use num_bigint::BigInt;
use std::sync::Arc;

/// The images ([`kernel::image`]) of a layer's weight numerators (in the order of its rows'
/// nonzero entries) and of its scaled biases (`bias * den_in`, the offset column's terms).
#[derive(Debug)]
pub(crate) struct LayerImages {
    w: Vec<f64>,
    bias: Vec<f64>,
}

impl LayerImages {
    fn of(layer: &FixedLayer) -> LayerImages {
        let image = |v: &BigInt| to_f64(&Q::from_integer(v.clone()));
        let w = layer.w.iter().flatten().map(|(_, v)| image(v)).collect();
        let bias = layer.bias.iter().map(|b| image(&(b * &*layer.den_in))).collect();
        LayerImages { w, bias }
    }
}

/// The float approximations of a product's numerators, each with a bound on its distance to
/// the exact integer: row `i`, column `j` at `i * cols + j` (the offset last).
#[derive(Debug, Clone)]
pub(crate) struct ApproximateMap {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) values: Vec<f64>,
    pub(crate) errors: Vec<f64>,
}

impl FixedLayer {
    /// The layer's images, computed on first use.
    pub(crate) fn images(&self) -> Arc<LayerImages> {
        self.images.get_or_init(|| Arc::new(LayerImages::of(self))).clone()
    }
}

impl FixedMap {
    /// The numerators of [`FixedMap::then_masked_layer`] in floats, each within its proved
    /// error bound of the exact one (`None` when an image is not finite): each entry is
    /// `sum_h w_ih h_hj (+ b_i)` over the rows `h` that are on, evaluated by
    /// [`approximate::affine_with_error_columns`] with this map's floats as the approximations
    /// of its numerators (within their image error, model (I)).
    pub(crate) fn then_masked_layer_approximately(
        &self,
        mask: Option<&[bool]>,
        layer: &FixedLayer,
    ) -> Option<ApproximateMap> {
        assert_eq!(*self.den, *layer.den_in, "layer prepared for another denominator");
        assert_eq!(self.rows, layer.inputs(), "layer input size");
        let images = layer.images();
        let cols = self.cols;
        // the rows that are on, as the terms of every sum: their floats and image errors
        let on: Vec<usize> = (0..self.rows).filter(|&h| mask.is_none_or(|m| m[h])).collect();
        let mut position = vec![usize::MAX; self.rows];
        let mut h = Vec::with_capacity(on.len() * cols);
        for (k, &row) in on.iter().enumerate() {
            position[row] = k;
            h.extend_from_slice(&self.floats[row * cols..(row + 1) * cols]);
        }
        let h_err: Vec<f64> = h.iter().map(|&f| kernel::image_error(f)).collect();
        let sums = approximate::column_sums(&h, &h_err, cols);
        let out_rows = layer.w.len();
        let mut values = vec![0.0; out_rows * cols];
        let mut errors = vec![0.0; out_rows * cols];
        let (mut w, mut b) = (vec![0.0; on.len()], vec![0.0; cols]);
        let mut work = Vec::with_capacity(2 * cols);
        for (i, row) in layer.w.iter().enumerate() {
            w.fill(0.0);
            for (t, (h, _)) in row.iter().enumerate() {
                if position[*h] != usize::MAX {
                    w[position[*h]] = images.w[layer.w_start[i] + t];
                }
            }
            b[cols - 1] = images.bias[i];
            let at = i * cols..(i + 1) * cols;
            approximate::affine_with_error_columns(
                &w,
                &b,
                (&h, &h_err),
                &sums,
                (&mut values[at.clone()], &mut errors[at.clone()]),
                &mut work,
            );
            if !values[at.clone()].iter().chain(&errors[at]).all(|v| v.is_finite()) {
                return None;
            }
        }
        Some(ApproximateMap { rows: out_rows, cols, values, errors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::{from_f64_exact, parse_rational};
    use crate::network::{Activation, Layer, Weights};
    use num_traits::Signed;

    /// Two layers with decimal weights (inexact images): every single row equals the row of
    /// the whole product, and every approximation is within its bound of the exact numerator.
    #[test]
    fn rows_alone_and_approximations_agree_with_the_exact_product() {
        let r = |i: usize, j: usize| {
            parse_rational(&format!("{}e-{}", ((i * 37 + j * 11) % 19) as i64 - 9, 1 + (i + j) % 5)).unwrap()
        };
        let (d, w1, w2) = (3, 7, 6);
        let dense = |rows: usize, cols: usize, k: usize| {
            Weights::from_dense_rows((0..rows).map(|i| (0..cols).map(|j| r(i + k, j)).collect()).collect())
        };
        let l1 = Layer {
            weights: dense(w1, d, 0),
            bias: (0..w1).map(|i| r(i, 9)).collect(),
            activation: Activation::Relu,
        };
        let l2 = Layer {
            weights: dense(w2, w1, 3),
            bias: (0..w2).map(|i| r(i, 4)).collect(),
            activation: Activation::Relu,
        };
        let chain = FixedLayer::chain(&[l1, l2]);
        let first = FixedMap::identity(d).then_masked_layer(None, &chain[0]);
        for mask in [None, Some(vec![true, false, true, true, false, false, true])] {
            let exact = first.then_masked_layer(mask.as_deref(), &chain[1]);
            let approx = first.then_masked_layer_approximately(mask.as_deref(), &chain[1]).unwrap();
            for i in 0..w2 {
                let row = first.then_masked_layer_row(mask.as_deref(), &chain[1], i);
                assert_eq!((row.jacobian, row.offset), exact.row_ints(i));
                let (c, e) = exact.row_ints(i);
                for (j, v) in c.iter().chain([&e]).enumerate() {
                    let at = i * approx.cols + j;
                    let distance =
                        (Q::from_integer(v.clone()) - from_f64_exact(approx.values[at]).unwrap()).abs();
                    assert!(distance <= from_f64_exact(approx.errors[at]).unwrap(), "row {i} column {j}");
                }
            }
        }
    }
}
