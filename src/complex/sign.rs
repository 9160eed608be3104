//! Sign vectors: a face of the complex is the set of domain points sharing one sign vector
//! (per hidden neuron the sign of its preactivation, per domain row tight or not), computed
//! exactly at a rational point by a forward pass.

use crate::exact::num::{common_denominator, Q};
use crate::network::{Activation, Network};
use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_traits::{One, Zero};

/// A face's key: the neurons' signs (`1`, `-1`, `0`, layer by layer), then one entry per
/// domain row (`1` tight, `0` not).
pub type SignKey = Vec<i8>;

/// One layer over integers: row `i` is `(sum_j num[i][j] h_j + bias[i] e) / (den[i] e)` for
/// `h = H / e`; `scale[i] = lcm(den) / den[i]` puts the outputs over one denominator.
struct IntLayer {
    rows: Vec<Vec<(usize, BigInt)>>,
    bias: Vec<BigInt>,
    scale: Vec<BigInt>,
    lcm: BigInt,
    relu: bool,
}

/// Computes sign keys for one network and domain, by an exact forward pass over integers
/// (each layer's rows scaled to integers once; no rational normalisation per operation).
pub(crate) struct Signer {
    layers: Vec<IntLayer>,
    /// The domain rows over integers: `a . x <= b` as `(a * den, b * den)`.
    domain: Vec<(Vec<BigInt>, BigInt)>,
}

impl Signer {
    /// For `net` on its domain (the network must have no max layers; see [`supported`]).
    pub(crate) fn new(net: &Network) -> Signer {
        let layers = net
            .layers()
            .iter()
            .map(|layer| {
                let mut rows = Vec::with_capacity(layer.width());
                let mut bias = Vec::with_capacity(layer.width());
                let mut dens = Vec::with_capacity(layer.width());
                for (row, b) in layer.weights.rows().zip(&layer.bias) {
                    let den = common_denominator(row.iter().map(|(_, w)| w).chain([b]));
                    let int = |v: &Q| (v * Q::from_integer(den.clone())).to_integer();
                    rows.push(row.iter().map(|(j, w)| (*j, int(w))).collect());
                    bias.push(int(b));
                    dens.push(den);
                }
                let lcm = dens.iter().fold(BigInt::one(), |acc, d| acc.lcm(d));
                let scale = dens.iter().map(|d| &lcm / d).collect();
                IntLayer { rows, bias, scale, lcm, relu: layer.activation == Activation::Relu }
            })
            .collect();
        let domain = net
            .domain()
            .halfspaces(net.input_dim())
            .iter()
            .map(|h| {
                let den = common_denominator(h.a.iter().chain([&h.b]));
                let int = |v: &Q| (v * Q::from_integer(den.clone())).to_integer();
                (h.a.iter().map(int).collect(), int(&h.b))
            })
            .collect();
        Signer { layers, domain }
    }

    /// The key at `x`.
    pub(crate) fn key(&self, x: &[Q]) -> SignKey {
        let e = common_denominator(x);
        let h: Vec<BigInt> = x.iter().map(|v| v.numer() * (&e / v.denom())).collect();
        self.key_over(h, e)
    }

    /// The key at `x = h / e` for integers `h` and a positive integer `e`, not necessarily in
    /// lowest terms (every sign and every tightness below is unchanged by a positive scale).
    pub(crate) fn key_over(&self, mut h: Vec<BigInt>, mut e: BigInt) -> SignKey {
        debug_assert!(e.sign() == Sign::Plus);
        let mut key = Vec::with_capacity(self.domain.len() + 64);
        // x = h / e: a domain row is tight when a . h = b e
        let tight: Vec<i8> = self
            .domain
            .iter()
            .map(|(a, b)| {
                let lhs: BigInt = a.iter().zip(&h).filter(|(v, _)| !v.is_zero()).map(|(v, w)| v * w).sum();
                i8::from(lhs == b * &e)
            })
            .collect();
        for layer in &self.layers {
            let mut next = Vec::with_capacity(layer.rows.len());
            for ((row, b), scale) in layer.rows.iter().zip(&layer.bias).zip(&layer.scale) {
                let mut n = b * &e;
                for (j, w) in row {
                    if !h[*j].is_zero() {
                        n += w * &h[*j];
                    }
                }
                if layer.relu {
                    key.push(match n.sign() {
                        Sign::Plus => 1,
                        Sign::NoSign => 0,
                        Sign::Minus => -1,
                    });
                    if n.sign() != Sign::Plus {
                        n = BigInt::zero();
                    }
                }
                next.push(if n.is_zero() { n } else { n * scale });
            }
            h = next;
            e *= &layer.lcm;
        }
        key.extend(tight);
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
///
/// # Examples
/// ```
/// use relu_regions::complex::sign::sign_strings;
/// let (layers, domain) = sign_strings(&[1, 0, -1, 1, 0], &[2, 1]);
/// assert_eq!((layers, domain), (vec!["+0".to_string(), "-".to_string()], "t.".to_string()));
/// ```
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
