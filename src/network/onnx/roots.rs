//! Square roots of exact rationals, for batch normalisation's `sqrt(var + eps)`: exact when the
//! root is rational, otherwise rounded to the nearest number with a 53-bit significand (what
//! float64 gives when the value is in its range) by big-integer arithmetic, at any exponent: the
//! result is always positive, whatever the size of the value (`2e-1000`, `2e400`).

use crate::exact::num::Q;
use num_bigint::BigInt;
use num_traits::{One, Signed};

/// The significand bits of the rounded root (float64's).
const BITS: u64 = 53;

/// `sqrt(v)` when it is rational (`v >= 0`).
pub(super) fn exact_sqrt(v: &Q) -> Option<Q> {
    if v.is_negative() {
        return None;
    }
    let (n, d) = (v.numer(), v.denom());
    let (rn, rd) = (n.sqrt(), d.sqrt());
    (&rn * &rn == *n && &rd * &rd == *d).then(|| Q::new(rn, rd))
}

/// `floor(sqrt(n / d * 4^k))` for `n, d > 0` (`floor(sqrt(floor(x))) = floor(sqrt(x))`).
fn floor_sqrt_scaled(n: &BigInt, d: &BigInt, k: i64) -> BigInt {
    let shift = 2 * k.unsigned_abs();
    let quotient = if k >= 0 { (n << shift) / d } else { n / (d << shift) };
    quotient.sqrt()
}

/// `sqrt(v)` for `v > 0` rounded to the nearest number `m 2^-k` with a 53-bit integer `m`
/// (`2^52 <= m < 2^53`, or `m = 2^53` when rounding carries). For an irrational root there is
/// no tie, so this is the correctly rounded root, and in float64's range it is the float64
/// `sqrt` gives. Positive: at least `2^52 2^-k > 0`. Relative error below `2^-53`.
pub(super) fn rounded_sqrt(v: &Q) -> Q {
    assert!(v.is_positive(), "rounded_sqrt of a value that is not positive");
    let (n, d) = (v.numer(), v.denom());
    // sqrt(v) is about 2^(e / 2): start from the k that puts it at 53 bits, then adjust (each
    // step of k adds or removes exactly one bit of floor(sqrt(v) 2^k) once it is >= 1)
    let e = i64::try_from(n.bits()).unwrap_or(i64::MAX) - i64::try_from(d.bits()).unwrap_or(i64::MAX);
    let mut k = BITS as i64 - e.div_euclid(2);
    loop {
        let bits = floor_sqrt_scaled(n, d, k).bits();
        match bits.cmp(&BITS) {
            std::cmp::Ordering::Less => k += 1,
            std::cmp::Ordering::Greater => k -= 1,
            std::cmp::Ordering::Equal => break,
        }
    }
    // floor(2 y) with y = sqrt(v) 2^k: round(y) = (floor(2 y) + 1) / 2 rounded down
    let twice = floor_sqrt_scaled(n, d, k + 1);
    let m: BigInt = (twice + BigInt::one()) >> 1u32;
    let scale = BigInt::one() << k.unsigned_abs();
    if k >= 0 {
        Q::new(m, scale)
    } else {
        Q::from_integer(m * scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::{from_f64_exact, parse_rational};
    use num_traits::Zero;

    fn exact(x: f64) -> Q {
        from_f64_exact(x).unwrap()
    }

    #[test]
    fn rational_roots_are_exact() {
        let r = |s: &str| parse_rational(s).unwrap();
        assert_eq!(exact_sqrt(&r("9/4")), Some(r("3/2")));
        assert_eq!(exact_sqrt(&r("0")), Some(Q::zero()));
        assert_eq!(exact_sqrt(&r("2")), None);
        assert_eq!(exact_sqrt(&r("-4")), None);
    }

    /// In float64's range the rounded root is the float64 `sqrt` (IEEE: correctly rounded).
    #[test]
    fn in_range_the_rounded_root_is_float64_sqrt() {
        let mut s = 7u64;
        for _ in 0..2000 {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            // any positive normal float64, wide exponent range
            let x = f64::from_bits((s >> 2) % 0x7fe0_0000_0000_0000 + 0x0010_0000_0000_0000);
            let v = exact(x);
            if exact_sqrt(&v).is_none() {
                assert_eq!(rounded_sqrt(&v), exact(x.sqrt()), "sqrt({x:e})");
            }
        }
        assert_eq!(rounded_sqrt(&exact(2.0)), exact(2f64.sqrt()));
    }

    /// Beyond float64's range the root is still positive and within 2^-53 relative: `2e-1000`
    /// (below the smallest float64) and `2e400` (above the largest).
    #[test]
    fn far_outside_float_range_the_root_is_positive_and_close() {
        for text in ["2e-1000", "2e400", "3e-330", "1/3", "7e1000"] {
            let v = parse_rational(text).unwrap();
            let root = rounded_sqrt(&v);
            assert!(root.is_positive(), "{text}");
            // |sqrt(v) - root| <= root 2^-53: v lies between the squares of root (1 -+ 2^-53)
            let half_ulp = &root / Q::from_integer(BigInt::one() << 53u32);
            let (lo, hi) = (&root - &half_ulp, &root + &half_ulp);
            assert!(&lo * &lo <= v && v <= &hi * &hi, "{text}");
        }
    }
}
