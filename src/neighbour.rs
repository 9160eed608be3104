//! The pattern across a facet, fast: a float forward pass with a rigorous running error bound
//! ([`kernel::affine_with_error`]) decides every neuron whose value at the facet point is
//! provably nonzero; the facet's own neurons are exactly zero there and flip. Any other neuron
//! that might be zero sends the whole evaluation to the exact integer pass
//! ([`FixedNetwork::pattern_towards`]).

use crate::fixed::FixedNetwork;
use crate::kernel::{self, images, Approximations, Filter};
use crate::network::{Activation, Network, Pattern};
use crate::num::Q;
use crate::region::NeuronId;
use std::cmp::Ordering;

/// Float weights of a network, with everything needed for error bounds.
#[derive(Debug, Clone)]
pub struct NeighbourFinder {
    layers: Vec<(Vec<Vec<f64>>, Vec<f64>, bool)>,
    exact: FixedNetwork,
    filter: Filter,
}

impl NeighbourFinder {
    /// Prepares the float and integer images of a network (no float pass with [`Filter::Off`]).
    pub fn new(net: &Network, filter: Filter) -> NeighbourFinder {
        let layers = net
            .layers()
            .iter()
            .map(|l| {
                let w = l.weights.iter().map(|r| images(r)).collect();
                (w, images(&l.bias), l.activation == Activation::Relu)
            })
            .collect();
        NeighbourFinder { layers, exact: FixedNetwork::new(net), filter }
    }

    /// The pattern at `q + t n` for small `t > 0`, where `q` is in the relative interior of a
    /// facet of the region with pattern `own`, on the hyperplanes of exactly the neurons `flip`
    /// (whose states change across it), `n` the outward normal.
    pub fn across(&self, q: &[Q], n: &[Q], own: &Pattern, flip: &[NeuronId]) -> Pattern {
        let fast = if self.filter.on() { self.float_pass(q, own, flip) } else { None };
        fast.unwrap_or_else(|| self.exact.pattern_towards(q, n))
    }

    fn float_pass(&self, q: &[Q], own: &Pattern, flip: &[NeuronId]) -> Option<Pattern> {
        let mut h = Approximations::images(q);
        let mut pattern = Vec::new();
        for (l, (w, b, relu)) in self.layers.iter().enumerate() {
            let mut z = Vec::with_capacity(w.len());
            let mut ez = Vec::with_capacity(w.len());
            for (row, &bi) in w.iter().zip(b) {
                let (v, e) = kernel::affine_with_error(row, bi, &h);
                z.push(v);
                ez.push(e);
            }
            if *relu {
                let index = pattern.len();
                let mut bits = Vec::with_capacity(z.len());
                for (i, (v, e)) in z.iter_mut().zip(ez.iter_mut()).enumerate() {
                    let on = if flip.contains(&NeuronId { layer: l, index: i }) {
                        // exactly zero at q, and its derivative along n has the sign opposite to its state
                        *v = 0.0;
                        *e = 0.0;
                        !own.get(index)?.get(i)?
                    } else {
                        kernel::sign_within(*v, *e)? == Ordering::Greater
                    };
                    if !on {
                        *v = 0.0;
                        *e = 0.0;
                    }
                    bits.push(on);
                }
                pattern.push(bits);
            }
            if !z.iter().chain(&ez).all(|v| v.is_finite()) {
                return None;
            }
            h = Approximations::new(z, ez);
        }
        Some(pattern)
    }
}
