//! Greatest common divisors of big integers by Lehmer's algorithm, for the reductions of face
//! points and vertices (numbers of hundreds of digits, where the binary gcd of `num-integer`
//! spends one multi-word shift and subtraction per bit).
//!
//! Each round reads the leading 64 bits of both numbers and runs Euclid's algorithm on them in
//! machine integers while the quotients are provably those of the full numbers (Knuth's test:
//! `(x + A) / (y + C) = (x + B) / (y + D)`, TAOCP 4.5.2 Algorithm L), then applies the
//! accumulated 2x2 matrix to the full numbers at once. The matrix is a product of elementary
//! quotient steps, of determinant ±1, so whatever the test, the pair it gives has the same gcd
//! (absolute values are taken); when the test allows no step, one full division is made.

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};

/// `gcd(a, b)` of nonnegative integers.
pub(crate) fn gcd_biguint(a: &BigUint, b: &BigUint) -> BigUint {
    let (mut a, mut b) = if a >= b { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) };
    while b.bits() > 64 {
        let shift = a.bits() - 64;
        let x = (&a >> shift).to_u64().unwrap_or(u64::MAX) as i128;
        let y = (&b >> shift).to_u64().unwrap_or(0) as i128;
        let (mut x, mut y) = (x, y);
        let (mut ca, mut cb, mut cc, mut cd) = (1i128, 0i128, 0i128, 1i128);
        loop {
            if y + cc == 0 || y + cd == 0 {
                break;
            }
            let q = (x + ca) / (y + cc);
            if q != (x + cb) / (y + cd) {
                break;
            }
            (ca, cc) = (cc, ca - q * cc);
            (cb, cd) = (cd, cb - q * cd);
            (x, y) = (y, x - q * y);
        }
        if cb == 0 {
            let r = &a % &b;
            a = std::mem::replace(&mut b, r);
        } else {
            let (ai, bi) =
                (BigInt::from_biguint(Sign::Plus, a.clone()), BigInt::from_biguint(Sign::Plus, b.clone()));
            let na = (&ai * BigInt::from(ca) + &bi * BigInt::from(cb)).magnitude().clone();
            let nb = (&ai * BigInt::from(cc) + &bi * BigInt::from(cd)).magnitude().clone();
            let (na, nb) = if na >= nb { (na, nb) } else { (nb, na) };
            if na < a {
                (a, b) = (na, nb);
            } else {
                // no progress (the test should exclude it): one full division instead
                let r = &a % &b;
                a = std::mem::replace(&mut b, r);
            }
        }
    }
    if b.is_zero() {
        return a;
    }
    let small = b.to_u64().expect("at most 64 bits");
    let r = (&a % &b).to_u64().expect("below b");
    BigUint::from(small.gcd(&r))
}

/// `gcd(a, b)` of integers (nonnegative; `gcd(0, 0) = 0`).
pub(crate) fn gcd(a: &BigInt, b: &BigInt) -> BigInt {
    BigInt::from_biguint(Sign::Plus, gcd_biguint(a.magnitude(), b.magnitude()))
}

/// `n / d` in lowest terms as a rational (`d` nonzero), with one Lehmer gcd.
pub(crate) fn reduced(n: &BigInt, d: &BigInt) -> crate::exact::num::Q {
    let g = gcd(n, d);
    let (mut n, mut d) =
        if g.is_zero() || g == BigInt::from(1) { (n.clone(), d.clone()) } else { (n / &g, d / &g) };
    if d.sign() == Sign::Minus {
        (n, d) = (-n, -d);
    }
    if n.is_zero() {
        d = BigInt::from(1);
    }
    crate::exact::num::Q::new_raw(n, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against `num-integer`'s gcd on products of random big numbers with a common factor,
    /// of 1 to 20 words, and on small and zero cases; `reduced` against `Q::new`.
    #[test]
    fn lehmer_agrees_with_the_binary_gcd() {
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut word = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut big = |words: usize| -> BigInt {
            let mut v = BigInt::zero();
            for _ in 0..words {
                v = (v << 64) + BigInt::from(word());
            }
            v
        };
        for case in 0..400 {
            let (wa, wb, wg) = (1 + case % 13, 1 + (case * 7) % 11, case % 5);
            let g = if wg == 0 { BigInt::from(1) } else { big(wg) };
            let a = big(wa) * &g;
            let b = big(wb) * &g * if case % 3 == 0 { -1 } else { 1 };
            assert_eq!(gcd(&a, &b), a.gcd(&b), "case {case}");
            assert_eq!(gcd(&b, &a), a.gcd(&b), "case {case}");
            assert_eq!(reduced(&b, &a), crate::exact::num::Q::new(b.clone(), a.clone()), "case {case}");
        }
        for (a, b) in [(0i64, 0i64), (0, 5), (7, 0), (12, 18), (-4, 6), (1, 1)] {
            assert_eq!(gcd(&BigInt::from(a), &BigInt::from(b)), BigInt::from(a).gcd(&BigInt::from(b)));
        }
        // Fibonacci neighbours: the longest Euclidean runs
        let (mut f, mut g) = (BigInt::from(1), BigInt::from(1));
        for _ in 0..900 {
            (f, g) = (g.clone(), f + g);
        }
        assert_eq!(gcd(&f, &g), BigInt::from(1));
        assert_eq!(gcd(&(&f * 6), &(&g * 4)), BigInt::from(2));
    }
}
