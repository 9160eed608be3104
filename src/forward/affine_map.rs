//! The exact affine map `y = J x + c` of a region, and how a layer acts on it.

use crate::exact::num::{dot, Q};
#[cfg(test)]
use {crate::network::weights::sparse_dot, crate::network::Weights, num_traits::Zero};

/// An exact affine map `y = J x + c`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AffineMap {
    /// `J`, one row per output.
    pub jacobian: Vec<Vec<Q>>,
    /// `c`.
    pub offset: Vec<Q>,
}

impl AffineMap {
    /// The identity map on R^d. This and the two compositions below are the rational reference
    /// the tests compare the fixed-point maps against ([`crate::forward::pattern`] composes the
    /// maps of a pattern).
    #[cfg(test)]
    pub(crate) fn identity(d: usize) -> AffineMap {
        let jacobian = (0..d)
            .map(|i| (0..d).map(|j| if i == j { crate::exact::num::q(1) } else { Q::zero() }).collect())
            .collect();
        AffineMap { jacobian, offset: vec![Q::zero(); d] }
    }

    /// `W (self) + bias`: the map followed by the affine layer `h -> W h + bias`.
    #[cfg(test)]
    pub(crate) fn then_affine(&self, weights: &Weights, bias: &[Q]) -> AffineMap {
        let d = self.jacobian.first().map_or(0, Vec::len);
        let mut jacobian = Vec::with_capacity(weights.outputs());
        let mut offset = Vec::with_capacity(weights.outputs());
        for (w, b) in weights.rows().zip(bias) {
            let mut row = vec![Q::zero(); d];
            for (k, wk) in w {
                for (r, v) in row.iter_mut().zip(&self.jacobian[*k]) {
                    if !v.is_zero() {
                        *r += wk * v;
                    }
                }
            }
            jacobian.push(row);
            offset.push(sparse_dot(w, &self.offset) + b);
        }
        AffineMap { jacobian, offset }
    }

    /// Keeps the rows whose bit is on and zeroes the others (a ReLU with a fixed pattern).
    #[cfg(test)]
    pub(crate) fn masked(&self, bits: &[bool]) -> AffineMap {
        let d = self.jacobian.first().map_or(0, Vec::len);
        let jacobian = self
            .jacobian
            .iter()
            .zip(bits)
            .map(|(row, &on)| if on { row.clone() } else { vec![Q::zero(); d] })
            .collect();
        let offset =
            self.offset.iter().zip(bits).map(|(v, &on)| if on { v.clone() } else { Q::zero() }).collect();
        AffineMap { jacobian, offset }
    }

    /// The map's value at `x`.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::exact::num::q;
    /// use relu_regions::enumerate::AffineMap;
    /// let map = AffineMap { jacobian: vec![vec![q(1), q(2)]], offset: vec![q(-1)] };
    /// assert_eq!(map.apply(&[q(3), q(4)]), vec![q(10)]);
    /// ```
    pub fn apply(&self, x: &[Q]) -> Vec<Q> {
        self.jacobian.iter().zip(&self.offset).map(|(row, c)| dot(row, x) + c).collect()
    }
}
