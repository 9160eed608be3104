//! Exact sums of products `sum_k w_k x_k` in fixed-width integers, for the composer in low
//! dimension: a layer's weights as `i64` (where every one fits) times the entries of the map
//! before it, accumulated in `64 L` bits of two's complement with no allocation per product.
//!
//! Exactness: the width is chosen from bounds on the operands before any product, so that the
//! true sum fits in `64 L - 1` bits with its sign: `|sum_k w_k x_k| <= n max|w| max|x| <
//! 2^(log n + bits(w) + bits(x))` for `n` terms. Arithmetic modulo `2^(64 L)` then gives the
//! sum's two's complement exactly (every intermediate wraps, the final residue does not), and
//! the decoded integer is the sum. Nothing is approximated and nothing is proposed: the
//! integers are the ones [`super::int_vec::combination`] gives, by another route.

use num_bigint::{BigInt, BigUint, Sign};
use num_traits::Zero;

/// A layer's weights and biases as `i64` (`None`: one does not fit in 62 bits).
pub(super) struct SmallWeights {
    /// Each neuron's nonzero weights `(input, w)`.
    pub(super) w: Vec<Vec<(usize, i64)>>,
    pub(super) bias: Vec<i64>,
    /// Every `|w|` and `|bias|` is below `2^bits`.
    pub(super) bits: u64,
}

impl SmallWeights {
    /// The weights as `i64` where every one (and every bias) is below `2^62` in magnitude.
    pub(super) fn new(w: &[Vec<(usize, BigInt)>], bias: &[BigInt]) -> Option<SmallWeights> {
        let small = |v: &BigInt| i64::try_from(v).ok().filter(|x| x.unsigned_abs() < 1 << 62);
        let w: Vec<Vec<(usize, i64)>> = w
            .iter()
            .map(|row| row.iter().map(|(k, v)| Some((*k, small(v)?))).collect())
            .collect::<Option<_>>()?;
        let bias: Vec<i64> = bias.iter().map(small).collect::<Option<_>>()?;
        let largest =
            w.iter().flatten().map(|(_, v)| v.unsigned_abs()).chain(bias.iter().map(|b| b.unsigned_abs()));
        let bits = u64::from(64 - largest.max().unwrap_or(0).leading_zeros());
        Some(SmallWeights { w, bias, bits })
    }
}

/// Integers held as magnitudes in `limbs` 64-bit words each, with their signs: the operands
/// `x` of [`Wide::mac`].
pub(super) struct Operands {
    limbs: usize,
    negative: Vec<bool>,
    magnitude: Vec<u64>,
    /// Whether the operand is zero (its products are skipped).
    zero: Vec<bool>,
}

impl Operands {
    /// The values, each in `limbs` words (each magnitude must fit: `limbs` from [`limbs_for`]).
    pub(super) fn new<'v>(values: impl Iterator<Item = &'v BigInt>, limbs: usize) -> Operands {
        let mut ops = Operands { limbs, negative: Vec::new(), magnitude: Vec::new(), zero: Vec::new() };
        for v in values {
            let start = ops.magnitude.len();
            ops.magnitude.extend(v.magnitude().iter_u64_digits());
            assert!(ops.magnitude.len() - start <= limbs, "an operand wider than its bound");
            ops.magnitude.resize(start + limbs, 0);
            ops.negative.push(v.sign() == Sign::Minus);
            ops.zero.push(v.is_zero());
        }
        ops
    }

    /// Whether operand `i` is zero.
    pub(super) fn is_zero(&self, i: usize) -> bool {
        self.zero[i]
    }
}

/// The number of 64-bit words that hold, in two's complement, any sum of `terms` products of
/// a factor below `2^w_bits` and one below `2^x_bits` in magnitude.
pub(super) fn limbs_for(terms: usize, w_bits: u64, x_bits: u64) -> usize {
    let log_terms = u64::from(usize::BITS - terms.leading_zeros());
    // the sum is below 2^(log_terms + w_bits + x_bits); one more bit for the sign
    let bits = log_terms + w_bits + x_bits + 1;
    usize::try_from(bits.div_ceil(64)).expect("a width that fits in memory")
}

/// An accumulator of `limbs` words, two's complement modulo `2^(64 limbs)`.
pub(super) struct Wide(Vec<u64>);

impl Wide {
    pub(super) fn zero(limbs: usize) -> Wide {
        Wide(vec![0; limbs])
    }

    /// Back to zero.
    pub(super) fn clear(&mut self) {
        self.0.fill(0);
    }

    /// `self += w x_i` modulo `2^(64 limbs)`.
    #[inline]
    pub(super) fn mac(&mut self, w: i64, x: &Operands, i: usize) {
        let m = u128::from(w.unsigned_abs());
        let xs = &x.magnitude[i * x.limbs..(i + 1) * x.limbs];
        let mut carry: u128 = 0;
        if (w < 0) == x.negative[i] {
            for (a, &xk) in self.0.iter_mut().zip(xs) {
                // at most (2^64 - 1)^2 + 2 (2^64 - 1) = 2^128 - 1: no overflow
                let t = u128::from(xk) * m + u128::from(*a) + carry;
                *a = t as u64;
                carry = t >> 64;
            }
        } else {
            for (a, &xk) in self.0.iter_mut().zip(xs) {
                let t = u128::from(xk) * m + carry;
                let (r, borrow) = a.overflowing_sub(t as u64);
                *a = r;
                carry = (t >> 64) + u128::from(borrow);
            }
        }
    }

    /// The integer the accumulator holds (its true value is within `64 limbs - 1` bits).
    pub(super) fn value(&self) -> BigInt {
        let negative = self.0.last().is_some_and(|top| top >> 63 == 1);
        let mut words = self.0.clone();
        if negative {
            // the magnitude: the two's complement negated
            let mut carry = true;
            for w in &mut words {
                let (r, c) = (!*w).overflowing_add(u64::from(carry));
                *w = r;
                carry = c;
            }
        }
        let digits: Vec<u32> = words.iter().flat_map(|w| [*w as u32, (*w >> 32) as u32]).collect();
        let sign = if negative { Sign::Minus } else { Sign::Plus };
        BigInt::from_biguint(sign, BigUint::new(digits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn big(limbs: &[u64], negative: bool) -> BigInt {
        let digits: Vec<u32> = limbs.iter().flat_map(|w| [*w as u32, (*w >> 32) as u32]).collect();
        let m = BigInt::from_biguint(Sign::Plus, BigUint::new(digits));
        if negative {
            -m
        } else {
            m
        }
    }

    proptest! {
        /// The fixed-width sum equals the BigInt sum of products, for operands of up to four
        /// words and weights up to 62 bits, signs mixed, zeros and cancellation included.
        #[test]
        fn sums_equal_bigint_sums(
            terms in prop::collection::vec(
                (any::<i64>(), 0u32..63, prop::collection::vec(any::<u64>(), 0..5), any::<bool>()),
                0..40,
            ),
        ) {
            let w: Vec<i64> = terms.iter().map(|(w, b, _, _)| *w >> (63 - (*b).min(62))).collect();
            let x: Vec<BigInt> = terms.iter().map(|(_, _, l, n)| big(l, *n)).collect();
            // the same terms again, negated: the sum cancels to zero halfway
            let w_bits = w.iter().map(|v| u64::from(64 - v.unsigned_abs().leading_zeros())).max().unwrap_or(0);
            let x_bits = x.iter().map(BigInt::bits).max().unwrap_or(0);
            let limbs = limbs_for(2 * x.len(), w_bits, x_bits);
            let ops = Operands::new(x.iter(), limbs);
            let mut acc = Wide::zero(limbs);
            let mut want = BigInt::zero();
            for (i, (wi, xi)) in w.iter().zip(&x).enumerate() {
                acc.mac(*wi, &ops, i);
                want += BigInt::from(*wi) * xi;
                prop_assert_eq!(acc.value(), want.clone());
                prop_assert_eq!(ops.is_zero(i), xi.is_zero());
            }
            for (i, wi) in w.iter().enumerate() {
                acc.mac(-wi, &ops, i);
            }
            prop_assert_eq!(acc.value(), BigInt::zero());
        }
    }
}
