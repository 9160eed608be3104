//! Fractions `n / den` over one known denominator reduced without a gcd per entry: the
//! composer's output map is integers over the product of the layers' denominators, which for
//! decimal or float weights has only the prime factors 2 and 5. [`Factored`] splits `den` once
//! into powers of small primes and a cofactor free of them; reducing `n / den` then divides `n`
//! by each small prime while it divides both (a shift for 2, a division by a one-word integer
//! otherwise), and takes a gcd only with the cofactor, when there is one.
//!
//! Exact: `gcd(n, den)` is the product over the small primes `p` of `p^min(v_p(n), e_p)`,
//! times `gcd(n, cofactor)` (the cofactor is coprime to every small prime), so the fraction
//! returned is `n / den` in lowest terms, the same numerator and denominator as
//! [`num_rational::Ratio::new`] gives.

use crate::exact::num::Q;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Zero};

/// The primes tried as factors of a denominator.
const SMALL_PRIMES: [u32; 25] =
    [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97];

/// A positive denominator as `prod p^e` over [`SMALL_PRIMES`] times a cofactor free of them.
pub(super) struct Factored {
    den: BigInt,
    powers: Vec<(u32, u64)>,
    cofactor: BigInt,
}

impl Factored {
    /// `den` (positive) factored.
    pub(super) fn new(den: &BigInt) -> Factored {
        assert!(den.sign() == num_bigint::Sign::Plus, "a positive denominator");
        let mut rest = den.clone();
        let mut powers = Vec::new();
        for p in SMALL_PRIMES {
            let mut e = 0;
            loop {
                let (q, r) = rest.div_rem(&BigInt::from(p));
                if !r.is_zero() {
                    break;
                }
                (rest, e) = (q, e + 1);
            }
            if e > 0 {
                powers.push((p, e));
            }
        }
        Factored { den: den.clone(), powers, cofactor: rest }
    }

    /// The denominator factored.
    pub(super) fn den(&self) -> &BigInt {
        &self.den
    }

    /// `n / den` in lowest terms.
    pub(super) fn reduce(&self, n: &BigInt) -> Q {
        if n.is_zero() {
            return Q::zero();
        }
        let (mut n, mut g) = (n.clone(), BigInt::one());
        for &(p, e) in &self.powers {
            if p == 2 {
                let k = n.trailing_zeros().unwrap_or(0).min(e);
                n >>= k;
                g <<= k;
                continue;
            }
            let p = BigInt::from(p);
            for _ in 0..e {
                let (q, r) = n.div_rem(&p);
                if !r.is_zero() {
                    break;
                }
                n = q;
                g *= &p;
            }
        }
        if !self.cofactor.is_one() {
            let c = n.gcd(&self.cofactor);
            n /= &c;
            g *= c;
        }
        Q::new_raw(n, &self.den / g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The reduction equals `Ratio::new`'s (numerator and denominator), for denominators
        /// made of small primes and a large cofactor or none, and numerators sharing factors
        /// with them or not.
        #[test]
        fn reduces_as_ratio_does(
            small in prop::collection::vec((0usize..25, 0u32..30), 0..6),
            cofactor in prop::sample::select(vec![1u64, 101, 1_000_003, 999_999_937 * 3]),
            n in any::<i64>(),
            shared in prop::collection::vec((0usize..25, 0u32..40), 0..4),
        ) {
            let mut den = BigInt::from(cofactor);
            for (i, e) in small {
                den *= BigInt::from(SMALL_PRIMES[i]).pow(e);
            }
            let mut n = BigInt::from(n);
            for (i, e) in shared {
                n *= BigInt::from(SMALL_PRIMES[i]).pow(e);
            }
            if cofactor > 1 && n.is_odd() {
                n *= BigInt::from(cofactor);
            }
            let got = Factored::new(&den).reduce(&n);
            let want = Q::new(n, den);
            prop_assert_eq!(got.numer(), want.numer());
            prop_assert_eq!(got.denom(), want.denom());
        }
    }
}
