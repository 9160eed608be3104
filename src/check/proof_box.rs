//! The proof checker's first test of a neuron fixed without a split: the case's box as
//! integers over one positive denominator, so that "the row holds on the whole box" is one
//! integer sum and comparison (no gcd), before any linear program. The cell lies in the box, so
//! a row that holds on the box holds on the cell.

use crate::exact::num::{common_denominator, Q};
use num_bigint::BigInt;
use num_traits::{Signed, Zero};

/// A box `[lo_j / den, hi_j / den]` with integer ends and `den > 0`.
pub(super) struct IntBox {
    lo: Vec<BigInt>,
    hi: Vec<BigInt>,
    den: BigInt,
}

impl IntBox {
    /// The box of `bounds` (one `(lo, hi)` per input, `lo <= hi`).
    pub(super) fn new(bounds: &[(Q, Q)]) -> IntBox {
        let den = common_denominator(bounds.iter().flat_map(|(l, h)| [l, h]));
        let int = |v: &Q| v.numer() * (&den / v.denom());
        IntBox {
            lo: bounds.iter().map(|(l, _)| int(l)).collect(),
            hi: bounds.iter().map(|(_, h)| int(h)).collect(),
            den,
        }
    }

    /// Whether `s c . x <= s r` at every point of the box (`s = -1` when `negated`), for an
    /// integer row `c`, `r`: the exact maximum `sum_j max(s c_j lo_j, s c_j hi_j) / den` is at
    /// most `s r`, compared as `sum_j ... <= s r den` in integers.
    pub(super) fn holds(&self, c: &[BigInt], r: &BigInt, negated: bool) -> bool {
        if c.len() != self.lo.len() {
            return false;
        }
        let mut max = BigInt::zero();
        for (cj, (lo, hi)) in c.iter().zip(self.lo.iter().zip(&self.hi)) {
            if cj.is_zero() {
                continue;
            }
            // the larger of s c_j lo_j and s c_j hi_j: at hi when s c_j > 0
            let up = cj.is_positive() != negated;
            let end = if up { hi } else { lo };
            if negated {
                max -= cj * end;
            } else {
                max += cj * end;
            }
        }
        let rhs = if negated { -(r * &self.den) } else { r * &self.den };
        max <= rhs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::q;

    /// The exact maximum of `c . x` over the box, by its corners.
    fn corner_max(c: &[i64], bounds: &[(Q, Q)]) -> Q {
        let d = c.len();
        (0..1usize << d)
            .map(|m| {
                (0..d).map(|j| q(c[j]) * if m >> j & 1 == 1 { &bounds[j].1 } else { &bounds[j].0 }).sum()
            })
            .max()
            .unwrap()
    }

    #[test]
    fn holds_agrees_with_the_corners() {
        let bounds = vec![(q(-1) / q(3), q(1) / q(2)), (q(2) / q(7), q(5) / q(7)), (q(-3), q(-1) / q(5))];
        let bx = IntBox::new(&bounds);
        let mut seed = 7u64;
        for _ in 0..400 {
            let mut next = || {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((seed >> 33) % 9) as i64 - 4
            };
            let c = [next(), next(), next()];
            let r = next();
            let ints: Vec<BigInt> = c.iter().map(|&v| BigInt::from(v)).collect();
            // c . x <= r on the box
            assert_eq!(bx.holds(&ints, &BigInt::from(r), false), corner_max(&c, &bounds) <= q(r));
            // -c . x <= -r on the box
            let minus: Vec<i64> = c.iter().map(|v| -v).collect();
            assert_eq!(bx.holds(&ints, &BigInt::from(r), true), corner_max(&minus, &bounds) <= q(-r));
        }
    }
}
