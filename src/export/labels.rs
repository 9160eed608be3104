//! The labels of a facet on the wire: every neuron and every domain row whose constraint is
//! tight on the facet, decided by exact evaluation, whether or not the enumeration cut the
//! region with that constraint (a neuron that never split an ancestor, such as a copy of
//! another, still has the facet as its hyperplane).
//!
//! A neuron's preactivation is affine on the region and continuous in `x`, so at a point `q` in
//! the facet's relative interior and the region's interior point `p`: its constraint is tight on
//! the facet iff it vanishes at `q` and not at `p` (vanishing at an interior point, it vanishes
//! on the whole region and cuts nothing). For a max unit with winner `t`, candidate `j`'s
//! constraint `c_j <= c_t` is tight iff `c_j = c_t` at `q` and not at `p`. A domain row is tight
//! iff it is nonzero and holds with equality at `q`.

use crate::analysis::facets::Facet;
use crate::enumerate::region::{NeuronId, Region};
use crate::forward::fixed_point::FixedNetwork;
use crate::kernel::halfspace::Halfspace;
use crate::network::{Activation, Network};
use num_bigint::BigInt;
use num_traits::Zero;

/// What labelling facets needs of a network: its integer form and its domain rows.
#[derive(Debug, Clone)]
pub struct FacetLabels {
    exact: FixedNetwork,
    /// The layers with states: their index in the network and activation.
    stated: Vec<(usize, Activation)>,
    domain: Vec<Halfspace>,
}

/// The labels of one facet: the tight neurons, sorted, and the tight domain rows, ascending.
pub type Labels = (Vec<NeuronId>, Vec<usize>);

impl FacetLabels {
    /// Prepares the labelling of the facets of `net`'s regions.
    ///
    /// See the example on [`FacetLabels::of`].
    pub fn new(net: &Network) -> FacetLabels {
        let stated = net
            .layers()
            .iter()
            .enumerate()
            .filter(|(_, l)| l.activation.has_states())
            .map(|(i, l)| (i, l.activation))
            .collect();
        FacetLabels {
            exact: FixedNetwork::new(net),
            stated,
            domain: net.domain().halfspaces(net.input_dim()),
        }
    }

    /// The labels of each facet of `region`.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{analyze, export::labels::FacetLabels, Enumerator, Network};
    /// use relu_regions::enumerate::NeuronId;
    /// // relu(x) and relu(2 x): one hyperplane, which only the first neuron cuts; both are tight
    /// let net = Network::from_json(r#"{"input_dim": 1, "layers": [
    ///     {"weights": [[1], [2]], "activation": "relu"}]}"#).unwrap();
    /// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
    /// let labels = FacetLabels::new(&net).of(&a.regions()[0], &a.facets()[0]);
    /// let both = vec![NeuronId { layer: 0, index: 0 }, NeuronId { layer: 0, index: 1 }];
    /// assert_eq!(labels, vec![(both, vec![])]);
    /// ```
    pub fn of(&self, region: &Region, facets: &[Facet]) -> Vec<Labels> {
        if facets.is_empty() {
            return Vec::new();
        }
        let inside = self.exact.preactivations(&region.point);
        facets.iter().map(|f| self.facet(region, &inside, &f.point)).collect()
    }

    fn facet(&self, region: &Region, inside: &[Vec<BigInt>], q: &[crate::exact::num::Q]) -> Labels {
        let at = self.exact.preactivations(q);
        let mut neurons = Vec::new();
        for (s, &(layer, activation)) in self.stated.iter().enumerate() {
            let (p, q) = (&inside[s], &at[s]);
            match activation {
                Activation::Max(k) => {
                    for (u, bits) in region.pattern[s].chunks(k).enumerate() {
                        let Some(t) = bits.iter().position(|&b| b) else { continue };
                        let (ct, et) = (&q[u * k + t], &p[u * k + t]);
                        for j in (0..k).filter(|&j| j != t) {
                            if q[u * k + j] == *ct && p[u * k + j] != *et {
                                neurons.push(NeuronId { layer, index: u * k + j });
                            }
                        }
                    }
                }
                _ => {
                    for (index, (vq, vp)) in q.iter().zip(p).enumerate() {
                        if vq.is_zero() && !vp.is_zero() {
                            neurons.push(NeuronId { layer, index });
                        }
                    }
                }
            }
        }
        let rows = self
            .domain
            .iter()
            .enumerate()
            .filter(|(_, h)| h.a.iter().any(|v| !v.is_zero()) && h.slack(q).is_zero())
            .map(|(k, _)| k)
            .collect();
        (neurons, rows)
    }
}
