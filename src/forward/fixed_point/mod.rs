//! Big-integer fixed-point affine maps: integer numerators over one common positive
//! denominator. Composing a region's map with a layer is then an integer matrix product with no
//! gcd at all, which is where BigRational spends most of its time.
//!
//! The numerators of a map live in one flat buffer of two's complement `u64` limbs
//! ([`limbs`]), with as many limbs per entry as a bound on the entries needs: no allocation per
//! number, and no overflow (the bound is computed before every product).
//!
//! Exactness is unchanged: `FixedMap` denotes exactly the rational map `num / den`, and a
//! preactivation row `num_i . x + off_i` has the sign of the rational one since `den > 0`.

mod dense;
mod lazy;
pub(crate) mod limbs;
mod product;
mod row;

pub(crate) use lazy::ApproximateMap;
pub(crate) use row::ExactRow;

use crate::exact::num::{common_denominator, Q};
use crate::forward::AffineMap;
use crate::network::Layer;
use num_bigint::BigInt;
use num_traits::{One, Zero};
use std::cmp::Ordering;
use std::sync::Arc;

/// A layer with integer weights: `W = w / scale`, `b = bias / scale`, `scale > 0`, prepared
/// for maps whose denominator is `den_in`.
#[derive(Debug, Clone)]
pub(crate) struct FixedLayer {
    /// Per output row: its nonzero weight numerators `(input, w)` (a convolution's row has
    /// kernel-size entries).
    w: Vec<Vec<(usize, BigInt)>>,
    inputs: usize,
    bias: Vec<BigInt>,
    scale: BigInt,
    /// The denominator of the maps this layer composes with.
    den_in: Arc<BigInt>,
    /// `den_in * scale`.
    den_out: Arc<BigInt>,
    /// `|w|` of the nonzero weights in the order of `w` (row-major), `w_limbs` limbs each;
    /// row `i`'s entries start at entry `w_start[i]`.
    w_magnitude: Vec<u64>,
    w_negative: Vec<bool>,
    w_start: Vec<usize>,
    /// The nonzero weights again, column by column (for products with maps of which few rows
    /// are on, such as a max layer's one-hot mask): input `h`'s are numbers
    /// `col_start[h]..col_start[h + 1]`, each with its output row, magnitude and sign.
    col_start: Vec<usize>,
    col_row: Vec<usize>,
    col_magnitude: Vec<u64>,
    col_negative: Vec<bool>,
    w_limbs: usize,
    w_bits: u64,
    /// `bias * den_in` in two's complement, `b_limbs` limbs each.
    bias_scaled: Vec<u64>,
    b_limbs: usize,
    b_bits: u64,
    /// The images of the weights and scaled biases ([`lazy`]), computed on first use.
    images: std::sync::OnceLock<Arc<lazy::LayerImages>>,
}

impl FixedLayer {
    /// The layer over the least common denominator of its weights and biases, for input maps
    /// with denominator `den_in`.
    pub(crate) fn new(layer: &Layer, den_in: Arc<BigInt>) -> FixedLayer {
        let scale = common_denominator(layer.weights.values().chain(&layer.bias));
        let to_int = |v: &Q| v.numer() * (&scale / v.denom());
        let w: Vec<Vec<(usize, BigInt)>> =
            layer.weights.rows().map(|row| row.iter().map(|(j, v)| (*j, to_int(v))).collect()).collect();
        let bias: Vec<BigInt> = layer.bias.iter().map(to_int).collect();
        let entries = || w.iter().flatten().map(|(_, v)| v);
        let w_bits = entries().map(BigInt::bits).max().unwrap_or(0);
        let w_limbs = (w_bits.div_ceil(64) as usize).max(1);
        let mut w_magnitude = Vec::new();
        for v in entries() {
            let mut m = v.magnitude().to_u64_digits();
            m.resize(w_limbs, 0);
            w_magnitude.extend(m);
        }
        let w_negative: Vec<bool> = entries().map(|v| v.sign() == num_bigint::Sign::Minus).collect();
        let w_start: Vec<usize> = w
            .iter()
            .scan(0, |at, row| {
                let start = *at;
                *at += row.len();
                Some(start)
            })
            .collect();
        let mut by_input: Vec<Vec<(usize, usize)>> = vec![Vec::new(); layer.weights.inputs()];
        for (i, (row, start)) in w.iter().zip(&w_start).enumerate() {
            for (t, (h, _)) in row.iter().enumerate() {
                by_input[*h].push((i, start + t));
            }
        }
        let col_start: Vec<usize> = std::iter::once(0)
            .chain(by_input.iter().scan(0, |at, column| {
                *at += column.len();
                Some(*at)
            }))
            .collect();
        let col_row = by_input.iter().flatten().map(|&(i, _)| i).collect();
        let col_magnitude = by_input
            .iter()
            .flatten()
            .flat_map(|&(_, wi)| w_magnitude[wi * w_limbs..(wi + 1) * w_limbs].iter().copied())
            .collect();
        let col_negative = by_input.iter().flatten().map(|&(_, wi)| w_negative[wi]).collect();
        let scaled: Vec<BigInt> = bias.iter().map(|b| b * &*den_in).collect();
        let b_bits = scaled.iter().map(BigInt::bits).max().unwrap_or(0);
        let b_limbs = ((b_bits + 1).div_ceil(64) as usize).max(1);
        let bias_scaled = scaled.iter().flat_map(|b| limbs::from_bigint(b, b_limbs)).collect();
        let den_out = Arc::new(&*den_in * &scale);
        FixedLayer {
            w,
            inputs: layer.weights.inputs(),
            bias,
            scale,
            den_in,
            den_out,
            w_magnitude,
            w_negative,
            w_start,
            col_start,
            col_row,
            col_magnitude,
            col_negative,
            w_limbs,
            w_bits,
            bias_scaled,
            b_limbs,
            b_bits,
            images: std::sync::OnceLock::new(),
        }
    }

    /// The layers of a network, each prepared for the maps the previous ones produce.
    pub(crate) fn chain(layers: &[Layer]) -> Vec<FixedLayer> {
        let mut den = Arc::new(BigInt::one());
        let mut out = Vec::with_capacity(layers.len());
        for layer in layers {
            let fixed = FixedLayer::new(layer, den);
            den = fixed.den_out.clone();
            out.push(fixed);
        }
        out
    }

    fn inputs(&self) -> usize {
        self.inputs
    }

    /// The denominator of the maps this layer produces.
    pub(crate) fn den_out(&self) -> &BigInt {
        &self.den_out
    }
}

/// The affine map `x -> (num x + off) / den` with `den > 0`: `rows` rows of `cols = d + 1`
/// integers (the Jacobian numerators, then the offset's), `limbs` limbs each.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FixedMap {
    rows: usize,
    cols: usize,
    limbs: usize,
    data: Vec<u64>,
    /// The float image of every entry (within 2 units of roundoff), same layout, one per entry.
    floats: Vec<f64>,
    den: Arc<BigInt>,
    /// Per row, when it is sparse (a quarter of the Jacobian columns or fewer nonzero): columns
    /// holding every nonzero Jacobian entry (a superset after [`FixedMap::masked`]).
    support: Vec<Option<Vec<usize>>>,
}

impl FixedMap {
    /// The identity on R^d.
    pub(crate) fn identity(d: usize) -> FixedMap {
        let cols = d + 1;
        let mut data = vec![0u64; d * cols];
        for i in 0..d {
            data[i * cols + i] = 1;
        }
        let floats = data.iter().map(|&v| v as f64).collect();
        FixedMap {
            rows: d,
            cols,
            limbs: 1,
            data,
            floats,
            den: Arc::new(BigInt::one()),
            support: vec![None; d],
        }
    }

    fn entry(&self, i: usize, j: usize) -> &[u64] {
        let at = (i * self.cols + j) * self.limbs;
        &self.data[at..at + self.limbs]
    }

    /// The map's fingerprint ([`crate::forward::fingerprint`]), with the rows whose bit in
    /// `mask` is off taken as zero: equal for equal maps over the same denominator whatever
    /// their limb widths (each entry is hashed as its two's complement limbs without
    /// sign-extension limbs).
    pub(crate) fn fingerprint(&self, mask: Option<&[bool]>) -> u64 {
        let entries = (0..self.rows).flat_map(|i| {
            let on = mask.is_none_or(|bits| bits.get(i).copied().unwrap_or(true));
            (0..self.cols).map(move |j| if on { limbs::canonical(self.entry(i, j)) } else { &[0][..] })
        });
        crate::forward::fingerprint::hash_entries(self.rows, self.cols, entries)
    }

    /// Zeroes the rows whose bit is off (a ReLU with a fixed pattern).
    pub(crate) fn masked(&self, bits: &[bool]) -> FixedMap {
        let mut out = self.clone();
        let row_len = self.cols * self.limbs;
        for (row, &on) in out.data.chunks_exact_mut(row_len).zip(bits) {
            if !on {
                row.fill(0);
            }
        }
        for (row, &on) in out.floats.chunks_exact_mut(self.cols).zip(bits) {
            if !on {
                row.fill(0.0);
            }
        }
        out
    }

    /// The columns holding every nonzero Jacobian entry of row `i`, when the row is sparse.
    pub(crate) fn row_support(&self, i: usize) -> Option<&[usize]> {
        self.support[i].as_deref()
    }

    /// Whether the Jacobian row `i` is zero.
    pub(crate) fn row_is_constant(&self, i: usize) -> bool {
        if let Some(columns) = self.row_support(i) {
            return columns.iter().all(|&j| self.entry(i, j).iter().all(|&l| l == 0));
        }
        let at = i * self.cols * self.limbs;
        self.data[at..at + (self.cols - 1) * self.limbs].iter().all(|&l| l == 0)
    }

    /// The sign of the offset numerator of row `i`.
    pub(crate) fn offset_sign(&self, i: usize) -> Ordering {
        let e = self.entry(i, self.cols - 1);
        if limbs::is_negative(e) {
            Ordering::Less
        } else if e.iter().all(|&l| l == 0) {
            Ordering::Equal
        } else {
            Ordering::Greater
        }
    }

    /// The float images of row `i`'s Jacobian and offset numerators (each within 2 units of
    /// roundoff of the exact integer).
    pub(crate) fn row_floats(&self, i: usize) -> (&[f64], f64) {
        let row = &self.floats[i * self.cols..(i + 1) * self.cols];
        (&row[..self.cols - 1], row[self.cols - 1])
    }

    /// The exact Jacobian and offset numerators of row `i`.
    pub(crate) fn row_ints(&self, i: usize) -> (Vec<BigInt>, BigInt) {
        let d = self.cols - 1;
        ((0..d).map(|j| limbs::to_bigint(self.entry(i, j))).collect(), limbs::to_bigint(self.entry(i, d)))
    }

    /// The nonzero Jacobian numerators of row `i` by column, in column order, and its offset
    /// numerator: [`FixedMap::row_ints`] without the zeros (a convolution's row has kernel-size
    /// terms), read from the row's support when it is sparse.
    pub(crate) fn row_terms(&self, i: usize) -> (Vec<(usize, BigInt)>, BigInt) {
        let d = self.cols - 1;
        let nonzero = |&j: &usize| self.entry(i, j).iter().any(|&l| l != 0);
        let term = |j: usize| (j, limbs::to_bigint(self.entry(i, j)));
        let terms = match self.row_support(i) {
            Some(columns) => columns.iter().copied().filter(nonzero).map(term).collect(),
            None => (0..d).filter(nonzero).map(term).collect(),
        };
        (terms, limbs::to_bigint(self.entry(i, d)))
    }

    /// The common positive denominator of every entry.
    pub(crate) fn denominator(&self) -> &BigInt {
        &self.den
    }

    /// The exact rational map.
    pub(crate) fn to_affine(&self) -> AffineMap {
        let d = self.cols - 1;
        let q = |i: usize, j: usize| Q::new(limbs::to_bigint(self.entry(i, j)), (*self.den).clone());
        AffineMap {
            jacobian: (0..self.rows).map(|i| (0..d).map(|j| q(i, j)).collect()).collect(),
            offset: (0..self.rows).map(|i| q(i, d)).collect(),
        }
    }
}

#[cfg(test)]
mod tests;

/// The whole network over integers, for exact evaluation without gcds.
#[derive(Debug, Clone)]
pub(crate) struct FixedNetwork {
    layers: Vec<(FixedLayer, crate::network::Activation)>,
}

impl FixedNetwork {
    /// The network's layers over integers, with their activations.
    pub(crate) fn new(net: &crate::network::Network) -> FixedNetwork {
        let layers = net
            .layers()
            .iter()
            .map(|l| (FixedLayer::new(l, Arc::new(BigInt::one())), l.activation))
            .collect();
        FixedNetwork { layers }
    }

    /// The preactivations of every layer with states at `x`, one vector per such layer, as
    /// integer numerators over a positive denominator shared within the layer: their signs,
    /// and their equalities within a layer, are the exact ones. (Each preactivation is a
    /// continuous function of `x`, whatever states the evaluation picks at a tie.)
    ///
    pub(crate) fn preactivations(&self, x: &[Q]) -> Vec<Vec<BigInt>> {
        let mut den = common_denominator(x);
        let mut h: Vec<BigInt> = x.iter().map(|q| q.numer() * (&den / q.denom())).collect();
        let mut out = Vec::new();
        for (layer, activation) in &self.layers {
            let mut z: Vec<BigInt> = layer
                .w
                .iter()
                .zip(&layer.bias)
                .map(|(w, b)| {
                    let mut v = b * &den;
                    for (k, wk) in w {
                        if !h[*k].is_zero() {
                            v += wk * &h[*k];
                        }
                    }
                    v
                })
                .collect();
            // the layer's values are over `den * scale`
            den *= &layer.scale;
            if activation.has_states() {
                let zero = BigInt::zero();
                let bits = activation.states(&z, &zero);
                out.push(z.clone());
                for (v, on) in z.iter_mut().zip(bits) {
                    if !on {
                        *v = BigInt::zero();
                    }
                }
            }
            h = z;
        }
        out
    }

    /// Same as [`crate::network::Network::pattern_towards`]: the pattern at `x + t n` for all
    /// small `t > 0`, by exact lexicographic signs, computed on integer numerators.
    pub(crate) fn pattern_towards(&self, x: &[Q], n: &[Q]) -> crate::network::Pattern {
        let to_ints = |v: &[Q]| -> (Vec<BigInt>, BigInt) {
            let den = common_denominator(v);
            let ints = v.iter().map(|q| q.numer() * (&den / q.denom())).collect();
            (ints, den)
        };
        let (mut h, mut den) = to_ints(x);
        let (mut dh, _) = to_ints(n);
        let mut pattern = Vec::new();
        for (layer, activation) in &self.layers {
            let mut z = Vec::with_capacity(layer.w.len());
            let mut dz = Vec::with_capacity(layer.w.len());
            for (w, b) in layer.w.iter().zip(&layer.bias) {
                let (mut v, mut dv) = (b * &den, BigInt::zero());
                for (k, wk) in w {
                    let (hk, dk) = (&h[*k], &dh[*k]);
                    if !hk.is_zero() {
                        v += wk * hk;
                    }
                    if !dk.is_zero() {
                        dv += wk * dk;
                    }
                }
                z.push(v);
                dz.push(dv);
            }
            den *= &layer.scale;
            if activation.has_states() {
                // lexicographic keys (value, derivative)
                let keys: Vec<(&BigInt, &BigInt)> = z.iter().zip(&dz).collect();
                let zero = BigInt::zero();
                let bits = activation.states(&keys, &(&zero, &zero));
                for ((v, dv), &on) in z.iter_mut().zip(dz.iter_mut()).zip(&bits) {
                    if !on {
                        *v = BigInt::zero();
                        *dv = BigInt::zero();
                    }
                }
                pattern.push(bits);
            }
            h = z;
            dh = dz;
        }
        pattern
    }
}

#[cfg(test)]
mod network_tests {
    use super::*;
    use crate::exact::num::{parse_rational, q};
    use crate::network::json::read_network;

    #[test]
    fn pattern_towards_agrees_with_rational_evaluation() {
        let net = read_network(
            r#"{"input_dim": 2, "layers": [
            {"weights": [["0.5", "-1/3"], [1, 1], [2, "0.25"]], "bias": ["1/7", 0, "-0.1"], "activation": "relu"},
            {"weights": [[1, -1, "1/2"], [0, 1, 1]], "bias": [0, "-1/9"], "activation": "relu"},
            {"weights": [[1, 1]], "activation": "linear"}]}"#,
            "t",
        )
        .unwrap();
        let fixed = FixedNetwork::new(&net);
        let points =
            [[q(0), q(0)], [parse_rational("1/3").unwrap(), parse_rational("-2/7").unwrap()], [q(1), q(-1)]];
        let dirs = [[q(1), q(0)], [q(-1), parse_rational("1/2").unwrap()], [q(0), q(0)]];
        for x in &points {
            for n in &dirs {
                assert_eq!(fixed.pattern_towards(x, n), net.pattern_towards(x, n));
            }
        }
    }

    /// The integer preactivations are the rational ones times one positive factor per layer,
    /// on a network with a max layer and at points on hyperplanes (ties) and off them.
    #[test]
    fn preactivations_are_the_rational_ones_scaled() {
        let net = read_network(
            r#"{"input_dim": 2, "layers": [
            {"weights": [["0.5", "-1/3"], [1, 1], [2, "0.25"], [1, 0]], "bias": ["1/7", 0, "-0.1", 0], "activation": "max", "pieces": 2},
            {"weights": [["1/3", "1/3", 1, 1], [0, 0, 2, 2]], "bias": [0, "-1/9"], "activation": "relu"},
            {"weights": [[1, 1]], "activation": "linear"}]}"#,
            "t",
        )
        .unwrap();
        let fixed = FixedNetwork::new(&net);
        let r = |s: &str| parse_rational(s).unwrap();
        for x in [[q(0), q(0)], [r("1/3"), r("-2/7")], [q(1), q(-1)], [r("-2/7"), r("6/7")]] {
            let mut h = x.to_vec();
            let mut exact = Vec::new();
            for layer in net.layers() {
                let z = layer.preactivation(&h);
                if layer.activation.has_states() {
                    let bits = layer.activation.states(&z, &Q::zero());
                    exact.push(z.clone());
                    h = z.into_iter().zip(bits).map(|(v, on)| if on { v } else { Q::zero() }).collect();
                } else {
                    h = z;
                }
            }
            let found = fixed.preactivations(&x);
            assert_eq!(found.len(), exact.len());
            for (f, e) in found.iter().zip(&exact) {
                // f = D e for one D > 0: the same signs, and f_i e_j = f_j e_i
                for i in 0..f.len() {
                    assert_eq!(f[i].sign() == num_bigint::Sign::Plus, e[i] > Q::zero());
                    assert_eq!(f[i].is_zero(), e[i].is_zero());
                    for j in 0..f.len() {
                        assert_eq!(
                            Q::from_integer(f[i].clone()) * &e[j],
                            Q::from_integer(f[j].clone()) * &e[i]
                        );
                    }
                }
            }
        }
    }
}
