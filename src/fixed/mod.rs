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

pub(crate) mod limbs;

use crate::network::Layer;
use crate::num::{common_denominator, Q};
use crate::region::AffineMap;
use num_bigint::BigInt;
use num_traits::{One, Zero};
use std::cmp::Ordering;
use std::sync::Arc;

/// A layer with integer weights: `W = w / scale`, `b = bias / scale`, `scale > 0`, prepared
/// for maps whose denominator is `den_in`.
#[derive(Debug, Clone)]
pub struct FixedLayer {
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
    w_limbs: usize,
    w_bits: u64,
    /// `bias * den_in` in two's complement, `b_limbs` limbs each.
    bias_scaled: Vec<u64>,
    b_limbs: usize,
    b_bits: u64,
}

impl FixedLayer {
    /// The layer over the least common denominator of its weights and biases, for input maps
    /// with denominator `den_in`.
    pub fn new(layer: &Layer, den_in: Arc<BigInt>) -> FixedLayer {
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
        let w_negative = entries().map(|v| v.sign() == num_bigint::Sign::Minus).collect();
        let w_start = w
            .iter()
            .scan(0, |at, row| {
                let start = *at;
                *at += row.len();
                Some(start)
            })
            .collect();
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
            w_limbs,
            w_bits,
            bias_scaled,
            b_limbs,
            b_bits,
        }
    }

    /// The layers of a network, each prepared for the maps the previous ones produce.
    pub fn chain(layers: &[Layer]) -> Vec<FixedLayer> {
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
}

/// A nonzero entry of a map, listed for a product: its column, and its magnitude's limbs at
/// `at..at + len` of a shared buffer.
#[derive(Debug, Clone, Copy)]
struct Entry {
    column: usize,
    at: usize,
    len: usize,
    negative: bool,
}

/// The affine map `x -> (num x + off) / den` with `den > 0`: `rows` rows of `cols = d + 1`
/// integers (the Jacobian numerators, then the offset's), `limbs` limbs each.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedMap {
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
    pub fn identity(d: usize) -> FixedMap {
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

    /// The map, with the rows whose bit in `mask` is off zeroed (a ReLU with a fixed pattern),
    /// followed by the affine layer `h -> W h + b`; the masked map is never built. The layer must
    /// be prepared for this map's denominator, as [`FixedLayer::chain`] does.
    pub fn then_masked_layer(&self, mask: Option<&[bool]>, layer: &FixedLayer) -> FixedMap {
        assert_eq!(*self.den, *layer.den_in, "layer prepared for another denominator");
        assert_eq!(self.rows, layer.inputs(), "layer input size");
        let (k, cols) = (self.limbs, self.cols);
        // the nonzero entries of the rows that are on, with their magnitudes and signs, listed
        // once for every output row: rows switched off contribute nothing, and a convolution's
        // row has kernel-size nonzeros among thousands of columns
        let mut entries: Vec<Vec<Entry>> = vec![Vec::new(); self.rows];
        let mut magnitude = Vec::new();
        let mut scratch = vec![0u64; k];
        let mut v_bits = 0;
        for (h, row) in entries.iter_mut().enumerate() {
            if mask.is_some_and(|m| !m[h]) {
                continue;
            }
            for j in 0..cols {
                let e = &self.data[(h * cols + j) * k..(h * cols + j + 1) * k];
                if e.iter().all(|&l| l == 0) {
                    continue;
                }
                let negative = limbs::magnitude_into(e, &mut scratch);
                let len = limbs::significant_len(&scratch);
                v_bits = v_bits.max(limbs::bit_len(&scratch));
                row.push(Entry { column: j, at: magnitude.len(), len, negative });
                magnitude.extend_from_slice(&scratch[..len]);
            }
        }
        let terms = (self.rows + 1) as u64;
        let bits = (layer.w_bits + v_bits).max(layer.b_bits) + u64::from(64 - terms.leading_zeros()) + 1;
        let k_out = (bits.div_ceil(64) as usize).max(layer.b_limbs);
        let out_rows = layer.w.len();
        let mut data = vec![0u64; out_rows * cols * k_out];
        let kw = layer.w_limbs;
        // lazy carries: limb products land in u128 sums (wrapping, read back as i128: each sum
        // stays below 2^(72 + log2 rows) in magnitude), normalized once per entry
        let mut acc = vec![0u128; cols * k_out];
        for (i, out) in data.chunks_exact_mut(cols * k_out).enumerate() {
            acc.fill(0);
            let b = &layer.bias_scaled[i * layer.b_limbs..(i + 1) * layer.b_limbs];
            let fill = if limbs::is_negative(b) { u64::MAX } else { 0 };
            for (t, sum) in acc[(cols - 1) * k_out..].iter_mut().enumerate() {
                *sum = u128::from(b.get(t).copied().unwrap_or(fill));
            }
            for (t, (h, _)) in layer.w[i].iter().enumerate() {
                if entries[*h].is_empty() {
                    continue;
                }
                let wi = layer.w_start[i] + t;
                let w = &layer.w_magnitude[wi * kw..(wi + 1) * kw];
                let w = &w[..limbs::significant_len(w)];
                if w.is_empty() {
                    continue;
                }
                for e in &entries[*h] {
                    let v = &magnitude[e.at..e.at + e.len];
                    let sums = &mut acc[e.column * k_out..(e.column + 1) * k_out];
                    limbs::accumulate(sums, w, v, layer.w_negative[wi] != e.negative);
                }
            }
            for (entry, sums) in out.chunks_exact_mut(k_out).zip(acc.chunks_exact(k_out)) {
                limbs::normalize(sums, entry);
            }
        }
        let floats = data.chunks_exact(k_out).map(limbs::to_f64).collect();
        let support = data
            .chunks_exact(cols * k_out)
            .map(|row| {
                let nonzero: Vec<usize> = (0..cols - 1)
                    .filter(|&j| row[j * k_out..(j + 1) * k_out].iter().any(|&l| l != 0))
                    .collect();
                (4 * nonzero.len() < cols).then_some(nonzero)
            })
            .collect();
        FixedMap { rows: out_rows, cols, limbs: k_out, data, floats, den: layer.den_out.clone(), support }
    }

    /// A hash of the exact map (with the rows whose bit in `mask` is off taken as zero), equal
    /// for equal maps over the same denominator whatever their limb widths: each entry is
    /// hashed as its two's complement limbs without sign-extension limbs.
    pub fn fingerprint(&self, mask: Option<&[bool]>) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (self.rows, self.cols).hash(&mut hasher);
        for i in 0..self.rows {
            let on = mask.is_none_or(|bits| bits.get(i).copied().unwrap_or(true));
            for j in 0..self.cols {
                let entry = if on { limbs::canonical(self.entry(i, j)) } else { &[0][..] };
                entry.hash(&mut hasher);
            }
        }
        hasher.finish()
    }

    /// Zeroes the rows whose bit is off (a ReLU with a fixed pattern).
    pub fn masked(&self, bits: &[bool]) -> FixedMap {
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
    pub fn row_support(&self, i: usize) -> Option<&[usize]> {
        self.support[i].as_deref()
    }

    /// Whether the Jacobian row `i` is zero.
    pub fn row_is_constant(&self, i: usize) -> bool {
        if let Some(columns) = self.row_support(i) {
            return columns.iter().all(|&j| self.entry(i, j).iter().all(|&l| l == 0));
        }
        let at = i * self.cols * self.limbs;
        self.data[at..at + (self.cols - 1) * self.limbs].iter().all(|&l| l == 0)
    }

    /// The sign of the offset numerator of row `i`.
    pub fn offset_sign(&self, i: usize) -> Ordering {
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
    pub fn row_floats(&self, i: usize) -> (&[f64], f64) {
        let row = &self.floats[i * self.cols..(i + 1) * self.cols];
        (&row[..self.cols - 1], row[self.cols - 1])
    }

    /// The exact Jacobian and offset numerators of row `i`.
    pub fn row_ints(&self, i: usize) -> (Vec<BigInt>, BigInt) {
        let d = self.cols - 1;
        ((0..d).map(|j| limbs::to_bigint(self.entry(i, j))).collect(), limbs::to_bigint(self.entry(i, d)))
    }

    /// The exact rational map.
    pub fn to_affine(&self) -> AffineMap {
        let d = self.cols - 1;
        let q = |i: usize, j: usize| Q::new(limbs::to_bigint(self.entry(i, j)), (*self.den).clone());
        AffineMap {
            jacobian: (0..self.rows).map(|i| (0..d).map(|j| q(i, j)).collect()).collect(),
            offset: (0..self.rows).map(|i| q(i, d)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{Activation, Weights};
    use crate::num::parse_rational;

    #[test]
    fn agrees_with_rational_composition() {
        let r = |s: &str| parse_rational(s).unwrap();
        let l1 = Layer {
            weights: Weights::dense(vec![vec![r("0.1"), r("-1/3")], vec![r("2"), r("1e-3")]]),
            bias: vec![r("1/7"), r("-0.5")],
            activation: Activation::Relu,
        };
        let l2 = Layer {
            weights: Weights::dense(vec![vec![r("3/2"), r("-0.25")]]),
            bias: vec![r("2")],
            activation: Activation::Linear,
        };
        let exact = AffineMap::identity(2).then_affine(&l1.weights, &l1.bias).masked(&[true, false]);
        let exact = exact.then_affine(&l2.weights, &l2.bias);
        let chain = FixedLayer::chain(&[l1, l2]);
        let fixed = FixedMap::identity(2)
            .then_masked_layer(None, &chain[0])
            .then_masked_layer(Some(&[true, false]), &chain[1]);
        let unfused = FixedMap::identity(2).then_masked_layer(None, &chain[0]).masked(&[true, false]);
        assert_eq!(fixed, unfused.then_masked_layer(None, &chain[1]));
        assert_eq!(fixed.to_affine(), exact);
    }

    /// The same map with one more limb per entry.
    fn widened(map: &FixedMap) -> FixedMap {
        let data = map
            .data
            .chunks_exact(map.limbs)
            .flat_map(|entry| limbs::from_bigint(&limbs::to_bigint(entry), map.limbs + 1))
            .collect();
        FixedMap { limbs: map.limbs + 1, data, ..map.clone() }
    }

    /// Multi-limb weights, big offsets and five layers (entries of several hundred bits) agree
    /// with rational composition, masks included.
    #[test]
    fn agrees_with_rational_composition_on_huge_numbers() {
        let r = |s: &str| parse_rational(s).unwrap();
        let values =
            ["123456789012345678901234567890/7", "-1e-40", "3", "-98765432109876543210.5", "1/3", "0"];
        let layer = |shift: usize| Layer {
            weights: Weights::dense(
                (0..3)
                    .map(|i| (0..3).map(|j| r(values[(i * 3 + j + shift) % values.len()])).collect())
                    .collect(),
            ),
            bias: (0..3).map(|i| r(values[(i + 2 * shift) % values.len()])).collect(),
            activation: Activation::Relu,
        };
        let layers: Vec<Layer> = (0..5).map(layer).collect();
        let chain = FixedLayer::chain(&layers);
        let masks =
            [[true, false, true], [true, true, true], [false, true, true], [true, true, false], [true; 3]];
        let (mut exact, mut fixed, mut fused) =
            (AffineMap::identity(3), FixedMap::identity(3), FixedMap::identity(3));
        let mut previous: Option<&[bool]> = None;
        for ((l, f), mask) in layers.iter().zip(&chain).zip(&masks) {
            exact = exact.then_affine(&l.weights, &l.bias).masked(mask);
            fixed = fixed.then_masked_layer(None, f).masked(mask);
            assert_eq!(fixed.to_affine(), exact);
            // the mask fused with the next product gives the same map
            fused = fused.then_masked_layer(previous, f);
            assert_eq!(fused.masked(mask).to_affine(), exact);
            // the hash: of the map, however it is masked or how many limbs hold it
            let hash = fused.fingerprint(Some(mask));
            assert_eq!(hash, fused.masked(mask).fingerprint(None));
            assert_eq!(hash, widened(&fused.masked(mask)).fingerprint(None));
            if mask.contains(&false) {
                assert_ne!(hash, fused.fingerprint(None), "the mask zeroes some nonzero row");
            }
            previous = Some(mask);
        }
    }
}

/// The whole network over integers, for exact evaluation without gcds.
#[derive(Debug, Clone)]
pub struct FixedNetwork {
    layers: Vec<(FixedLayer, crate::network::Activation)>,
}

impl FixedNetwork {
    /// The network's layers over integers, with their activations.
    pub fn new(net: &crate::network::Network) -> FixedNetwork {
        let layers = net
            .layers()
            .iter()
            .map(|l| (FixedLayer::new(l, Arc::new(BigInt::one())), l.activation))
            .collect();
        FixedNetwork { layers }
    }

    /// Same as [`crate::network::Network::pattern_towards`]: the pattern at `x + t n` for all
    /// small `t > 0`, by exact lexicographic signs, computed on integer numerators.
    pub fn pattern_towards(&self, x: &[Q], n: &[Q]) -> crate::network::Pattern {
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
    use crate::network::json::read_network;
    use crate::num::{parse_rational, q};

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
}
