//! The one fingerprint of an exact affine map: a hash of its entries as integer numerators over
//! the common denominator of the network's composed maps (two's complement limbs without
//! sign-extension limbs), with its shape. The enumerator computes it from the fixed-point map it
//! already holds ([`FixedMap::fingerprint`](super::fixed_point::FixedMap::fingerprint), the
//! region's `map_hash`); [`Fingerprints::of`] computes the same number from a rational map.
//!
//! A fingerprint only proposes: equal maps have equal fingerprints, so different fingerprints
//! mean different maps, and maps with equal fingerprints must be compared exactly before they
//! are called equal (`analysis::graph::distinct_maps` and the graph counts do).

use super::fixed_point::{limbs, FixedLayer};
use super::AffineMap;
use num_bigint::BigInt;
use num_integer::Integer;
use std::hash::{Hash, Hasher};

/// The hash of a map of `rows` rows of `cols` entries (the Jacobian's, then the offset), each
/// given as canonical two's complement limbs ([`limbs::canonical`]).
pub(crate) fn hash_entries<'e>(rows: usize, cols: usize, entries: impl Iterator<Item = &'e [u64]>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (rows, cols).hash(&mut hasher);
    for entry in entries {
        entry.hash(&mut hasher);
    }
    hasher.finish()
}

/// Fingerprints of the rational maps of one network: those the fixed-point composition gives
/// its regions.
#[derive(Debug, Clone)]
pub(crate) struct Fingerprints {
    /// The common denominator of the network's composed maps.
    den: BigInt,
}

impl Fingerprints {
    /// For the maps composed with `fixed` (the network's layers, [`FixedLayer::chain`]).
    pub(crate) fn new(fixed: &[FixedLayer]) -> Fingerprints {
        let den = fixed.last().map_or_else(|| BigInt::from(1), |l| l.den_out().clone());
        Fingerprints { den }
    }

    /// The fingerprint of `map`: [`FixedMap::fingerprint`](super::fixed_point::FixedMap::fingerprint)
    /// of the same map over the network's denominator. (An entry that is no integer over that
    /// denominator, which no map of the network has, is hashed by its numerator's and
    /// denominator's digits: still a function of the value, which is all a fingerprint needs.)
    pub(crate) fn of(&self, map: &AffineMap) -> u64 {
        let rows = map.jacobian.len();
        let cols = map.jacobian.first().map_or(0, Vec::len) + 1;
        let entries: Vec<Vec<u64>> = map
            .jacobian
            .iter()
            .zip(&map.offset)
            .flat_map(|(row, c)| row.iter().chain([c]))
            .map(|v| {
                let (quotient, rest) = self.den.div_rem(v.denom());
                if rest != BigInt::from(0) {
                    let (mut odd, denom) = (v.numer().to_u64_digits().1, v.denom().to_u64_digits().1);
                    odd.extend(denom);
                    return odd;
                }
                let numerator = v.numer() * quotient;
                let width = ((numerator.bits() + 1).div_ceil(64) as usize).max(1);
                limbs::canonical(&limbs::from_bigint(&numerator, width)).to_vec()
            })
            .collect();
        hash_entries(rows, cols, entries.iter().map(Vec::as_slice))
    }
}
