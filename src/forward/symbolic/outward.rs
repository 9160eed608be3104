//! One float outwards: the neighbours of a float, for the bounds of this module and the
//! checker's float filters (`f64::next_up` and `next_down` are past the crate's minimum Rust
//! version).

/// One float outwards: the neighbours of a float (as `f64::next_up` and `next_down`, which
/// this crate's minimum Rust version lacks). Infinities and NaN stay as they are.
pub(crate) trait Outward {
    /// The next float above.
    fn up(self) -> Self;
    /// The next float below.
    fn down(self) -> Self;
}

impl Outward for f64 {
    fn up(self) -> f64 {
        if self.is_nan() || self == f64::INFINITY {
            self
        } else if self == 0.0 {
            f64::from_bits(1)
        } else if self > 0.0 {
            f64::from_bits(self.to_bits() + 1)
        } else {
            f64::from_bits(self.to_bits() - 1)
        }
    }

    fn down(self) -> f64 {
        -(-self).up()
    }
}
