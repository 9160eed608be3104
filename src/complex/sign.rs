//! Sign vectors: a face of the complex is the set of domain points sharing one sign vector
//! (per hidden neuron the sign of its preactivation, per domain row tight or not), computed
//! exactly at a rational point by a forward pass.

use crate::network::{Activation, Network};
use crate::num::Q;
use crate::poly::Halfspace;
use num_traits::{Signed, Zero};

/// A face's key: the neurons' signs (`1`, `-1`, `0`, layer by layer), then one entry per
/// domain row (`1` tight, `0` not).
pub type SignKey = Vec<i8>;

/// Computes sign keys for one network and domain.
pub(crate) struct Signer<'n> {
    net: &'n Network,
    domain: Vec<Halfspace>,
}

impl<'n> Signer<'n> {
    /// For `net` on its domain (the network must have no max layers; see [`supported`]).
    pub(crate) fn new(net: &'n Network) -> Signer<'n> {
        Signer { net, domain: net.domain().halfspaces(net.input_dim()) }
    }

    /// The key at `x`.
    pub(crate) fn key(&self, x: &[Q]) -> SignKey {
        let mut key = Vec::with_capacity(self.net.hidden_neurons() + self.domain.len());
        let mut h = x.to_vec();
        for layer in self.net.layers() {
            let z = layer.preactivation(&h);
            if layer.activation == Activation::Relu {
                key.extend(z.iter().map(|v| {
                    if v.is_positive() {
                        1
                    } else if v.is_zero() {
                        0
                    } else {
                        -1
                    }
                }));
                h = z.into_iter().map(|v| if v.is_positive() { v } else { Q::zero() }).collect();
            } else {
                h = z;
            }
        }
        key.extend(self.domain.iter().map(|row| i8::from(row.slack(x).is_zero())));
        key
    }
}

/// `Ok` when every hidden layer is a ReLU layer (max units have no sign vector here).
pub(crate) fn supported(net: &Network) -> Result<(), String> {
    match net.layers().iter().position(|l| matches!(l.activation, Activation::Max(_))) {
        Some(i) => Err(format!(
            "layers[{i}] is a max layer: the complex is computed for ReLU and linear layers only"
        )),
        None => Ok(()),
    }
}

/// The key written for people and files: per ReLU layer one string of `+`, `-`, `0`, and the
/// domain rows as one string of `t` (tight) and `.`.
pub fn sign_strings(key: &[i8], widths: &[usize]) -> (Vec<String>, String) {
    let mut at = 0;
    let layers = widths
        .iter()
        .map(|&w| {
            let s = key[at..at + w]
                .iter()
                .map(|&v| match v {
                    1 => '+',
                    0 => '0',
                    _ => '-',
                })
                .collect();
            at += w;
            s
        })
        .collect();
    let domain = key[at..].iter().map(|&v| if v == 1 { 't' } else { '.' }).collect();
    (layers, domain)
}
