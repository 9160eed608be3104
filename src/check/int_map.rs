//! The checker's exact affine maps: a layer's preactivations over the map of its input, as
//! integers over one positive denominator (a layer with states is then masked by its states: a
//! relu neuron off, or a max unit's losing candidates, passes 0).

use super::int_vec::{combination, IntVec, SPARSE_MIN_DIM};
use super::wide::{limbs_for, Operands, SmallWeights, Wide};
use crate::exact::num::{common_denominator, Q};
use num_bigint::BigInt;
use num_traits::{One, Zero};

/// A layer as integers over one positive denominator: `W = w / den`, `b = bias / den`.
pub(super) struct IntLayer {
    w: Vec<Vec<(usize, BigInt)>>,
    bias: Vec<BigInt>,
    den: BigInt,
    /// The same numerators as `i64` where every one fits ([`SmallWeights`]).
    small: Option<SmallWeights>,
}

impl IntLayer {
    pub(super) fn new(layer: &crate::network::Layer) -> IntLayer {
        let den = common_denominator(layer.weights.values().chain(&layer.bias));
        // `den` is a multiple of every denominator: an exact integer quotient, no gcd
        let int = |q: &Q| q.numer() * (&den / q.denom());
        let w: Vec<Vec<(usize, BigInt)>> =
            layer.weights.rows().map(|row| row.iter().map(|(k, v)| (*k, int(v))).collect()).collect();
        let bias: Vec<BigInt> = layer.bias.iter().map(int).collect();
        let small = SmallWeights::new(&w, &bias);
        IntLayer { w, bias, den, small }
    }
}

/// An affine map `x -> (rows x + off) / den` on `d` inputs with integer numerators and
/// `den > 0`, each row dense or sparse ([`IntVec`]): composing layers is then integer products
/// with no gcd.
#[derive(Clone)]
pub(super) struct RowMap {
    pub(super) rows: Vec<IntVec>,
    pub(super) off: Vec<BigInt>,
    pub(super) den: BigInt,
    pub(super) d: usize,
}

impl RowMap {
    /// The identity on `d` inputs.
    pub(super) fn identity(d: usize) -> RowMap {
        let rows =
            (0..d).map(|i| IntVec::from_pairs(vec![(super::int_vec::index(i), BigInt::one())], d)).collect();
        RowMap { rows, off: vec![BigInt::zero(); d], den: BigInt::one(), d }
    }

    /// Output `i` set to zero (a relu neuron off).
    pub(super) fn clear(&mut self, i: usize) {
        self.rows[i] = IntVec::zero(self.d);
        self.off[i].set_zero();
    }
}

impl IntLayer {
    /// The layer's preactivations after the map (no activation), each row sparse where it fits.
    pub(super) fn compose_rows(&self, map: &RowMap) -> RowMap {
        if let Some(small) = self.small.as_ref().filter(|_| map.d < SPARSE_MIN_DIM) {
            return self.compose_small(small, map);
        }
        let (mut rows, mut off) = (Vec::with_capacity(self.w.len()), Vec::with_capacity(self.w.len()));
        for (w, bias) in self.w.iter().zip(&self.bias) {
            rows.push(combination(w.iter().map(|(k, wk)| (wk, &map.rows[*k])), map.d));
            let mut e = bias * &map.den;
            for (k, wk) in w {
                e += wk * &map.off[*k];
            }
            off.push(e);
        }
        RowMap { rows, off, den: &self.den * &map.den, d: map.d }
    }
}

impl IntLayer {
    /// [`IntLayer::compose_rows`] in low dimension (every row dense) with `i64` weights: each
    /// preactivation's coefficients and offset summed in fixed-width integers ([`super::wide`]),
    /// the bias as the weight of one more input whose row is `0` and offset `den`.
    fn compose_small(&self, small: &SmallWeights, map: &RowMap) -> RowMap {
        let (d, n) = (map.d, map.rows.len());
        let columns = d + 1;
        // input k's coefficients and offset, then the bias input's
        let mut values: Vec<&BigInt> = Vec::with_capacity((n + 1) * columns);
        let zero = BigInt::zero();
        let mut live = Vec::with_capacity(n);
        for (row, o) in map.rows.iter().zip(&map.off) {
            let IntVec::Dense(v) = row else { unreachable!("rows are dense below SPARSE_MIN_DIM") };
            values.extend(v.iter().chain([o]));
            live.push(!o.is_zero() || !row.is_zero());
        }
        values.extend(std::iter::repeat_n(&zero, d).chain([&map.den]));
        let x_bits = values.iter().map(|v| v.bits()).max().unwrap_or(0);
        let fan_in = small.w.iter().map(Vec::len).max().unwrap_or(0) + 1;
        let limbs = limbs_for(fan_in, small.bits, x_bits);
        let ops = Operands::new(values.into_iter(), limbs);
        let (mut rows, mut off) = (Vec::with_capacity(small.w.len()), Vec::with_capacity(small.w.len()));
        let mut acc: Vec<Wide> = (0..columns).map(|_| Wide::zero(limbs)).collect();
        for (w, &bias) in small.w.iter().zip(&small.bias) {
            acc.iter_mut().for_each(Wide::clear);
            let terms = w.iter().filter(|(k, _)| live[*k]).copied().chain([(n, bias)]);
            for (k, wk) in terms.filter(|(_, wk)| *wk != 0) {
                for (c, a) in acc.iter_mut().enumerate() {
                    let i = k * columns + c;
                    if !ops.is_zero(i) {
                        a.mac(wk, &ops, i);
                    }
                }
            }
            rows.push(IntVec::Dense(acc[..d].iter().map(Wide::value).collect()));
            off.push(acc[d].value());
        }
        RowMap { rows, off, den: &self.den * &map.den, d }
    }
}
