//! The pattern across a facet, fast: a float forward pass with a rigorous running error bound
//! ([`kernel::affine_with_error`]) decides every neuron whose value at the facet point is
//! provably nonzero; the facet's own neurons are exactly zero there and flip. Any other neuron
//! that might be zero sends the whole evaluation to the exact integer pass
//! ([`FixedNetwork::pattern_towards`]).

use crate::enumerate::region::NeuronId;
use crate::exact::num::Q;
use crate::forward::fixed_point::FixedNetwork;
use crate::kernel::{self, images, Approximations, Filter};
use crate::network::{Activation, Network, Pattern};
use std::cmp::Ordering;

/// Float weights of a network, with everything needed for error bounds.
#[derive(Debug, Clone)]
pub(crate) struct NeighbourFinder {
    layers: Vec<(Vec<Vec<f64>>, Vec<f64>, bool)>,
    exact: FixedNetwork,
    filter: Filter,
    max_units: bool,
}

impl NeighbourFinder {
    /// Prepares the float and integer images of a network (no float pass with [`Filter::Off`]).
    pub(crate) fn new(net: &Network, filter: Filter) -> NeighbourFinder {
        let max_units = net.has_max_units(); // no float pass for them: no float images
        let layers = net
            .layers()
            .iter()
            .map(|l| {
                let w = if max_units {
                    Vec::new()
                } else {
                    l.weights.to_dense().iter().map(|r| images(r)).collect()
                };
                (w, images(&l.bias), l.activation == Activation::Relu)
            })
            .collect();
        NeighbourFinder { layers, exact: FixedNetwork::new(net), filter, max_units }
    }

    /// The pattern at `q + t n` for small `t > 0`, where `q` is in the relative interior of a
    /// facet of the region with pattern `own`, on the hyperplanes of exactly the neurons `flip`
    /// (whose states change across it), `n` the outward normal.
    pub(crate) fn across(&self, q: &[Q], n: &[Q], own: &Pattern, flip: &[NeuronId]) -> Pattern {
        let fast = if self.filter.on() { self.float_pass(q, own, flip) } else { None };
        fast.unwrap_or_else(|| self.exact.pattern_towards(q, n))
    }

    /// The pattern at `q + t n` for small `t > 0` by the exact pass alone: for a caller whose
    /// `flip` may name a neuron that is zero at `q` without changing state (the labels of a
    /// facet read back from its wire form name every neuron tight on it).
    pub(crate) fn across_exactly(&self, q: &[Q], n: &[Q]) -> Pattern {
        self.exact.pattern_towards(q, n)
    }

    fn float_pass(&self, q: &[Q], own: &Pattern, flip: &[NeuronId]) -> Option<Pattern> {
        if self.max_units {
            return None; // a max unit's winner across a facet is left to the exact pass
        }
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

#[cfg(test)]
mod tests {
    use super::NeighbourFinder;
    use crate::analysis::analyze;
    use crate::enumerate::Enumerator;
    use crate::exact::num::Q;
    use crate::network::{Activation, Domain, Layer, Network, Weights};

    /// A network with pseudo-random small rational weights (a linear congruential generator).
    fn network(seed: u64, dim: usize, widths: &[usize]) -> Network {
        let mut state = seed;
        let mut next = |k: i64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let v = ((state >> 33) % (2 * k as u64 + 1)) as i64 - k;
            Q::new(v.into(), (1 + (state >> 60) as i64 % 3).into())
        };
        let mut layers = Vec::new();
        let mut input = dim;
        for &w in widths {
            let weights =
                Weights::from_dense_rows((0..w).map(|_| (0..input).map(|_| next(5)).collect()).collect());
            let bias = (0..w).map(|_| next(3)).collect();
            layers.push(Layer { weights, bias, activation: Activation::Relu });
            input = w;
        }
        layers.push(Layer {
            weights: Weights::from_dense_rows(vec![(0..input).map(|_| next(4)).collect()]),
            bias: vec![next(1)],
            activation: Activation::Linear,
        });
        let domain = Domain::Box(
            (0..dim).map(|_| (Q::from_integer((-2).into()), Q::from_integer(2.into()))).collect(),
        );
        Network::new(dim, layers, domain).unwrap()
    }

    #[test]
    fn fast_neighbour_patterns_match_exact_evaluation() {
        for (seed, dim, widths) in [(17, 2, vec![5, 4, 3]), (18, 3, vec![4, 4])] {
            let net = network(seed, dim, &widths);
            let finder = NeighbourFinder::new(&net, crate::kernel::Filter::Float);
            let a = analyze(&net, &Enumerator::builder().build()).unwrap();
            let mut checked = 0;
            for (r, facets) in a.regions.iter().zip(&a.facets) {
                for f in facets.iter().filter(|f| !f.on_boundary) {
                    let normal = &r.constraints[f.constraints[0]].halfspace.a;
                    assert_eq!(
                        finder.across(&f.point, normal, &r.pattern, &f.neurons(r)),
                        net.pattern_towards(&f.point, normal)
                    );
                    checked += 1;
                }
            }
            assert!(checked > 10, "too few inner facets ({checked}) to test anything");
        }
    }
}
