//! A small seeded random generator for reproducible samples (sampling, subtree estimates,
//! counterexample search). Never decides anything: every sampled point is checked exactly.

use crate::exact::num::Q;
use num_bigint::BigInt;

/// A small deterministic generator (SplitMix64) for reproducible samples.
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::exact::rng::SplitMix;
    /// let (mut a, mut b) = (SplitMix(42), SplitMix(42));
    /// let first = a.next_u64();
    /// assert_eq!(first, b.next_u64()); // reproducible from the seed
    /// assert_ne!(first, a.next_u64());
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An exact rational uniform on a grid of `2^32` steps in `[lo, hi]`.
    pub(crate) fn rational_in(&mut self, lo: &Q, hi: &Q) -> Q {
        let t = Q::new(BigInt::from(self.next_u64() >> 32), BigInt::from(1u64 << 32));
        lo + (hi - lo) * t
    }
}
