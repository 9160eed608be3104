//! Multi-limb integers in place: two's complement numbers stored as little-endian `u64` limbs in
//! caller-owned slices, so a whole affine map lives in one allocation.
//!
//! Arithmetic is modulo `2^(64 k)` for a slice of `k` limbs. It is exact whenever the true
//! result fits in `k` limbs with its sign bit; [`super::FixedMap`] chooses `k` from a bound on
//! every result before it computes, so nothing here can overflow silently.

use num_bigint::{BigInt, BigUint, Sign};

/// True when the two's complement number is negative.
pub fn is_negative(v: &[u64]) -> bool {
    v.last().is_some_and(|&top| (top as i64) < 0)
}

/// Writes `|v|` into `out` (same length) and returns whether `v` is negative.
pub fn magnitude_into(v: &[u64], out: &mut [u64]) -> bool {
    out.copy_from_slice(v);
    let negative = is_negative(v);
    if negative {
        negate(out);
    }
    negative
}

/// `v := -v` modulo `2^(64 k)`.
pub fn negate(v: &mut [u64]) {
    let mut carry = true;
    for limb in v.iter_mut() {
        let (sum, overflow) = (!*limb).overflowing_add(u64::from(carry));
        *limb = sum;
        carry = overflow;
    }
}

/// The number of limbs of an unsigned magnitude without its leading zero limbs.
pub fn significant_len(magnitude: &[u64]) -> usize {
    magnitude.iter().rposition(|&l| l != 0).map_or(0, |i| i + 1)
}

/// The bit length of an unsigned magnitude.
pub fn bit_len(magnitude: &[u64]) -> u64 {
    match magnitude.iter().rposition(|&l| l != 0) {
        Some(i) => 64 * i as u64 + u64::from(64 - magnitude[i].leading_zeros()),
        None => 0,
    }
}

/// `acc := acc + w * v` (or `acc - w * v` when `subtract`) modulo `2^(64 k)`, `k = acc.len()`,
/// for unsigned magnitudes `w` and `v` (any lengths; limbs beyond `k` do not matter).
pub fn mul_add(acc: &mut [u64], w: &[u64], v: &[u64], subtract: bool) {
    for (i, &wi) in w.iter().enumerate() {
        if wi != 0 && i < acc.len() {
            mul_add_limb(&mut acc[i..], wi, v, subtract);
        }
    }
}

/// `acc := acc +- w * v` for one limb `w`, with the carry or borrow taken to the top of `acc`.
fn mul_add_limb(acc: &mut [u64], w: u64, v: &[u64], subtract: bool) {
    let n = v.len().min(acc.len());
    let mut carry: u64 = 0;
    if subtract {
        for t in 0..n {
            let p = u128::from(w) * u128::from(v[t]) + u128::from(carry);
            let (diff, borrow) = acc[t].overflowing_sub(p as u64);
            acc[t] = diff;
            carry = ((p >> 64) as u64) + u64::from(borrow);
        }
        for limb in &mut acc[n..] {
            if carry == 0 {
                break;
            }
            let (diff, borrow) = limb.overflowing_sub(carry);
            *limb = diff;
            carry = u64::from(borrow);
        }
    } else {
        for t in 0..n {
            let s = u128::from(acc[t]) + u128::from(w) * u128::from(v[t]) + u128::from(carry);
            acc[t] = s as u64;
            carry = (s >> 64) as u64;
        }
        for limb in &mut acc[n..] {
            if carry == 0 {
                break;
            }
            let (sum, overflow) = limb.overflowing_add(carry);
            *limb = sum;
            carry = u64::from(overflow);
        }
    }
}

/// The nearest-ish float of a two's complement number: relative error below `2^-52` (the top
/// 128 bits are rounded once, the rest truncated), infinite beyond the float range.
pub fn to_f64(v: &[u64]) -> f64 {
    let mut magnitude = v.to_vec();
    let negative = magnitude_into(v, &mut magnitude);
    let value = unsigned_to_f64(&magnitude);
    if negative {
        -value
    } else {
        value
    }
}

fn unsigned_to_f64(magnitude: &[u64]) -> f64 {
    let len = significant_len(magnitude);
    match len {
        0 => 0.0,
        1 => magnitude[0] as f64,
        _ => {
            let top = (u128::from(magnitude[len - 1]) << 64) | u128::from(magnitude[len - 2]);
            let exponent = 64 * (len as i32 - 2);
            top as f64 * 2f64.powi(exponent)
        }
    }
}

/// The exact big integer of a two's complement number.
pub fn to_bigint(v: &[u64]) -> BigInt {
    let mut magnitude = v.to_vec();
    let negative = magnitude_into(v, &mut magnitude);
    let digits: Vec<u32> = magnitude.iter().flat_map(|&l| [l as u32, (l >> 32) as u32]).collect();
    let sign = if negative { Sign::Minus } else { Sign::Plus };
    BigInt::from_biguint(sign, BigUint::new(digits))
}

/// The two's complement limbs of `x`, sign-extended to `k` limbs (`x` must fit).
pub fn from_bigint(x: &BigInt, k: usize) -> Vec<u64> {
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
                    let mut acc = from_bigint(&c, 5);
                    let w = a.magnitude().to_u64_digits();
                    let v = b.magnitude().to_u64_digits();
                    let subtract = (a.sign() == Sign::Minus) != (b.sign() == Sign::Minus);
                    mul_add(&mut acc, &w, &v, subtract);
                    assert_eq!(to_bigint(&acc), &c + &a * &b, "{c} + {a} * {b}");
                    let f = to_f64(&acc);
                    let exact = crate::num::to_f64(&crate::num::Q::from_integer(&c + &a * &b));
                    assert!((f - exact).abs() <= exact.abs() * 2.0 * f64::EPSILON, "{f} vs {exact}");
                }
            }
        }
    }
}
