//! Multi-limb integers in place: two's complement numbers stored as little-endian `u64` limbs in
//! caller-owned slices, so a whole affine map lives in one allocation.
//!
//! Arithmetic is modulo `2^(64 k)` for a slice of `k` limbs. It is exact whenever the true
//! result fits in `k` limbs with its sign bit; [`super::FixedMap`] chooses `k` from a bound on
//! every result before it computes, so nothing here can overflow silently.
//! Products go through lazy-carry `u128` sums ([`accumulate`], [`normalize`]).

use num_bigint::{BigInt, BigUint, Sign};

/// True when the two's complement number is negative.
pub(crate) fn is_negative(v: &[u64]) -> bool {
    v.last().is_some_and(|&top| (top as i64) < 0)
}

/// Writes `|v|` into `out` (same length) and returns whether `v` is negative.
pub(crate) fn magnitude_into(v: &[u64], out: &mut [u64]) -> bool {
    out.copy_from_slice(v);
    let negative = is_negative(v);
    if negative {
        negate(out);
    }
    negative
}

/// The shortest prefix of `v` (at least one limb) that is the same two's complement number:
/// the top limbs that only extend the sign are left off.
pub(crate) fn canonical(v: &[u64]) -> &[u64] {
    let mut len = v.len();
    while len > 1 {
        let (top, next) = (v[len - 1], v[len - 2]);
        let extends = (top == 0 && (next as i64) >= 0) || (top == u64::MAX && (next as i64) < 0);
        if !extends {
            break;
        }
        len -= 1;
    }
    &v[..len]
}

/// `v := -v` modulo `2^(64 k)`.
pub(crate) fn negate(v: &mut [u64]) {
    let mut carry = true;
    for limb in v.iter_mut() {
        let (sum, overflow) = (!*limb).overflowing_add(u64::from(carry));
        *limb = sum;
        carry = overflow;
    }
}

/// The number of limbs of an unsigned magnitude without its leading zero limbs.
pub(crate) fn significant_len(magnitude: &[u64]) -> usize {
    magnitude.iter().rposition(|&l| l != 0).map_or(0, |i| i + 1)
}

/// The bit length of an unsigned magnitude.
pub(crate) fn bit_len(magnitude: &[u64]) -> u64 {
    match magnitude.iter().rposition(|&l| l != 0) {
        Some(i) => 64 * i as u64 + u64::from(64 - magnitude[i].leading_zeros()),
        None => 0,
    }
}

/// Adds `+- w * v` (unsigned magnitudes) into lazy-carry sums: the product of limbs `w_a v_t`
/// adds its low half to `sums[a + t]` and its high half to `sums[a + t + 1]` (wrapping; sums
/// beyond `sums.len()` are dropped, which is arithmetic modulo `2^(64 k)`). See [`normalize`].
#[inline]
pub(crate) fn accumulate(sums: &mut [u128], w: &[u64], v: &[u64], subtract: bool) {
    let k = sums.len();
    for (a, &wa) in w.iter().enumerate() {
        for (t, &vt) in v.iter().enumerate() {
            let p = u128::from(wa) * u128::from(vt);
            let (lo, hi) = (p & u128::from(u64::MAX), p >> 64);
            let at = a + t;
            if at >= k {
                break;
            }
            if subtract {
                sums[at] = sums[at].wrapping_sub(lo);
                if at + 1 < k {
                    sums[at + 1] = sums[at + 1].wrapping_sub(hi);
                }
            } else {
                sums[at] = sums[at].wrapping_add(lo);
                if at + 1 < k {
                    sums[at + 1] = sums[at + 1].wrapping_add(hi);
                }
            }
        }
    }
}

/// Writes the two's complement limbs of `sum_t sums[t] 2^(64 t)` (each sum read as an `i128`)
/// modulo `2^(64 k)` into `out`.
#[inline]
pub(crate) fn normalize(sums: &[u128], out: &mut [u64]) {
    let mut carry: i128 = 0;
    for (limb, &sum) in out.iter_mut().zip(sums) {
        let s = carry.wrapping_add(sum as i128);
        *limb = s as u64;
        carry = s >> 64;
    }
}

/// The nearest-ish float of a two's complement number: relative error below `2^-52` (the top
/// 128 bits of the magnitude are rounded once, the rest truncated), infinite beyond the float
/// range.
pub(crate) fn to_f64(v: &[u64]) -> f64 {
    let negative = is_negative(v);
    // limb t of |v| = !v + 1 when negative: the +1 reaches limb t only if every limb below is 0
    let mut carry = true;
    let mut limbs = v.iter().map(|&l| {
        if negative {
            let (sum, overflow) = (!l).overflowing_add(u64::from(carry));
            carry = overflow;
            sum
        } else {
            l
        }
    });
    // the most significant nonzero limb of |v|, the limb below it, and that one's position
    let (mut high, mut low, mut position) = (0u64, 0u64, 0i32);
    let mut previous = 0u64;
    for (t, limb) in (&mut limbs).enumerate() {
        if limb != 0 {
            (high, low, position) = (limb, previous, t as i32 - 1);
        }
        previous = limb;
    }
    let top = (u128::from(high) << 64) | u128::from(low);
    let value = top as f64 * 2f64.powi(64 * position);
    if negative {
        -value
    } else {
        value
    }
}

/// The exact big integer of a two's complement number.
pub(crate) fn to_bigint(v: &[u64]) -> BigInt {
    let mut magnitude = v.to_vec();
    let negative = magnitude_into(v, &mut magnitude);
    let digits: Vec<u32> = magnitude.iter().flat_map(|&l| [l as u32, (l >> 32) as u32]).collect();
    let sign = if negative { Sign::Minus } else { Sign::Plus };
    BigInt::from_biguint(sign, BigUint::new(digits))
}

/// The two's complement limbs of `x`, sign-extended to `k` limbs (`x` must fit).
pub(crate) fn from_bigint(x: &BigInt, k: usize) -> Vec<u64> {
    let mut limbs = x.magnitude().to_u64_digits();
    debug_assert!(limbs.len() <= k, "{x} does not fit in {k} limbs");
    limbs.resize(k, 0);
    if x.sign() == Sign::Minus {
        negate(&mut limbs);
    }
    limbs
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigInt;

    fn big(s: &str) -> BigInt {
        s.parse().unwrap()
    }

    #[test]
    fn round_trips_and_multiplies_exactly() {
        let values = [
            "0",
            "1",
            "-1",
            "18446744073709551615",
            "-18446744073709551616",
            "123456789012345678901234567890",
            "-98765432109876543210987654321",
        ];
        for a in values {
            for b in values {
                for c in values {
                    let (a, b, c) = (big(a), big(b), big(c));
                    assert_eq!(to_bigint(&from_bigint(&c, 5)), c);
                    let w = a.magnitude().to_u64_digits();
                    let v = b.magnitude().to_u64_digits();
                    let subtract = (a.sign() == Sign::Minus) != (b.sign() == Sign::Minus);
                    let mut sums: Vec<u128> = from_bigint(&c, 5).into_iter().map(u128::from).collect();
                    accumulate(&mut sums, &w, &v, subtract);
                    accumulate(&mut sums, &w, &v, subtract);
                    let mut lazy = vec![0; 5];
                    normalize(&sums, &mut lazy);
                    assert_eq!(to_bigint(&lazy), &c + BigInt::from(2) * &a * &b, "{c} + 2 {a} * {b}");
                    let f = to_f64(&lazy);
                    let exact = crate::exact::num::to_f64(&crate::exact::num::Q::from_integer(
                        &c + BigInt::from(2) * &a * &b,
                    ));
                    assert!((f - exact).abs() <= exact.abs() * 2.0 * f64::EPSILON, "{f} vs {exact}");
                }
            }
        }
    }

    /// The canonical limbs of a number do not depend on how many limbs hold it, and tell
    /// different numbers apart (sign bits at limb edges included).
    #[test]
    fn canonical_limbs_forget_the_width_only() {
        let values = [
            "0",
            "1",
            "-1",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "-18446744073709551616",
            "-98765432109876543210987654321",
        ];
        let forms: Vec<Vec<u64>> =
            values.iter().map(|v| canonical(&from_bigint(&big(v), 3)).to_vec()).collect();
        for (v, form) in values.iter().zip(&forms) {
            for k in 4..7 {
                assert_eq!(canonical(&from_bigint(&big(v), k)), &form[..], "{v} in {k} limbs");
            }
            assert_eq!(&to_bigint(form), &big(v), "{v}: the canonical limbs are the same number");
        }
        for (i, a) in forms.iter().enumerate() {
            for b in &forms[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
