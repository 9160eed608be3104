//! The fingerprint of an exact network: a SHA-256 over its function's definition (input
//! dimension, each layer's activation, shape, nonzero weights and biases as exact rationals),
//! not over the file it was read from. Two files that define the same exact network (a dense
//! and a sparse form, JSON and `.nnet`) share it; anything that changes the exact function
//! changes it: one weight, the `--coords` a `.nnet` file is read in (its normalisation is
//! folded into the layers), an ONNX model's float32 weights against the same model's float64
//! `.nnet`, the outputs kept. The domain is not part of it. Proofs of `vnnlib` carry it so
//! that `check` refuses a proof made for another network before any work.

use super::{Activation, Network};
use crate::exact::num::Q;
use num_traits::Zero;
use sha2::{Digest, Sha256};

impl Network {
    /// `sha256:` and the lowercase hex SHA-256 of the exact network (see the module's docs).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::json::read_network;
    /// let net = |w: &str| read_network(&format!(r#"{{"input_dim": 2, "layers": [
    ///     {{"weights": [[1, {w}]], "bias": [0.5], "activation": "relu"}},
    ///     {{"weights": [[2]], "activation": "linear"}}]}}"#), "t").unwrap();
    /// let fp = net("0").fingerprint();
    /// assert!(fp.starts_with("sha256:") && fp.len() == 7 + 64);
    /// assert_eq!(fp, net("0.0").fingerprint()); // the same exact numbers
    /// assert_ne!(fp, net("1e-30").fingerprint()); // one weight changed
    /// ```
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"relu-regions network 1\0");
        let count = |h: &mut Sha256, n: usize| h.update((n as u64).to_le_bytes());
        count(&mut h, self.input_dim);
        count(&mut h, self.layers.len());
        for layer in &self.layers {
            let (tag, k) = match layer.activation {
                Activation::Relu => (0u8, 0),
                Activation::Linear => (1, 0),
                Activation::Max(k) => (2, k),
            };
            h.update([tag]);
            count(&mut h, k);
            count(&mut h, layer.weights.outputs());
            count(&mut h, layer.weights.inputs());
            for (row, bias) in layer.weights.rows().zip(&layer.bias) {
                // only the nonzero entries: a dense and a sparse form of one matrix agree
                let nonzero = row.iter().filter(|(_, v)| !v.is_zero());
                count(&mut h, nonzero.clone().count());
                for (j, v) in nonzero {
                    count(&mut h, *j);
                    rational(&mut h, v);
                }
                rational(&mut h, bias);
            }
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }
}

/// A reduced rational as its numerator's sign and magnitude and its denominator, each
/// length-prefixed (so no two rationals share an encoding).
fn rational(h: &mut Sha256, v: &Q) {
    let (sign, numer) = v.numer().to_bytes_le();
    h.update([sign as u8]);
    h.update((numer.len() as u64).to_le_bytes());
    h.update(&numer);
    let (_, denom) = v.denom().to_bytes_le();
    h.update((denom.len() as u64).to_le_bytes());
    h.update(&denom);
}
