//! The pattern across a facet, fast: a float forward pass with a rigorous running error bound
//! decides every neuron whose value at the facet point is provably nonzero; the facet's own
//! neurons are exactly zero there and flip. Any other neuron that might be zero sends the whole
//! evaluation to the exact integer pass ([`FixedNetwork::pattern_towards`]).

use crate::fixed::FixedNetwork;
use crate::network::{Activation, Network, Pattern};
use crate::num::{to_f64, Q};
use crate::region::NeuronId;

const U: f64 = f64::EPSILON; // twice the unit roundoff: covers correctly-rounded conversions too

/// Float weights of a network, with everything needed for error bounds.
#[derive(Debug, Clone)]
pub struct NeighbourFinder {
    layers: Vec<(Vec<Vec<f64>>, Vec<f64>, bool)>,
    exact: FixedNetwork,
}

impl NeighbourFinder {
    /// Prepares the float and integer images of a network.
    pub fn new(net: &Network) -> NeighbourFinder {
        let layers = net
            .layers()
            .iter()
            .map(|l| {
                let w = l.weights.iter().map(|r| r.iter().map(to_f64).collect()).collect();
                (w, l.bias.iter().map(to_f64).collect(), l.activation == Activation::Relu)
            })
            .collect();
        NeighbourFinder { layers, exact: FixedNetwork::new(net) }
    }

    /// The pattern at `q + t n` for small `t > 0`, where `q` is in the relative interior of a
    /// facet of the region with pattern `own`, on the hyperplanes of exactly the neurons `flip`
    /// (whose states change across it), `n` the outward normal.
    pub fn across(&self, q: &[Q], n: &[Q], own: &Pattern, flip: &[NeuronId]) -> Pattern {
        self.float_pass(q, own, flip).unwrap_or_else(|| self.exact.pattern_towards(q, n))
    }

    fn float_pass(&self, q: &[Q], own: &Pattern, flip: &[NeuronId]) -> Option<Pattern> {
        let mut h: Vec<f64> = q.iter().map(to_f64).collect();
        let mut err: Vec<f64> = h.iter().map(|v| v.abs() * U + 1e-300).collect();
        let mut pattern = Vec::new();
        for (l, (w, b, relu)) in self.layers.iter().enumerate() {
            let mut z = Vec::with_capacity(w.len());
            let mut ez = Vec::with_capacity(w.len());
            let n = h.len() as f64;
            for (row, bi) in w.iter().zip(b) {
                let (mut v, mut mag, mut prop) = (*bi, bi.abs(), 0.0);
                for ((wk, hk), ek) in row.iter().zip(&h).zip(&err) {
                    v += wk * hk;
                    mag += (wk * hk).abs();
                    prop += wk.abs() * ek;
                }
                z.push(v);
                ez.push(2.0 * ((n + 4.0) * U * mag + prop * (1.0 + U)) + 1e-300);
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
                    } else if *v > *e {
                        true
                    } else if *v < -*e {
                        false
                    } else {
                        return None;
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
            h = z;
            err = ez;
        }
        Some(pattern)
    }
}
