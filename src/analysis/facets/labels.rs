//! The labels of certified facets without a pass through the network: every neuron and every
//! domain row tight on a facet, read off the facet's own class of constraints where the
//! enumeration's facts prove that nothing else can be tight, with a float forward pass (a
//! rigorous error bound) where they do not.
//!
//! The exact definition is [`crate::export::labels`]'s: a neuron is tight on a facet when its
//! preactivation vanishes at the facet's point `q` and not at the region's point `p`; a domain
//! row when it holds with equality at `q`. For a facet certified by [`super::facets`], `q` lies
//! on its class's hyperplane and strictly inside every other class (checked exactly), so:
//! - a constraint of the facet's class is zero at `q` and nonzero at `p`: its neuron or domain
//!   row is tight (a neuron's row is its preactivation on the region, up to a nonzero factor:
//!   the pattern of the earlier layers is the region's on its closure);
//! - any other constraint of the region is nonzero at `q`: not tight;
//! - a neuron with no row in the region: not tight when the enumeration proved it nonzero on
//!   the region's closure (`RegionFacts::states_strict`); otherwise its value at `q` is bounded
//!   away from zero by a float pass with a proved error bound (the region's pattern masks the
//!   relu layers exactly: on its closure an on neuron is `>= 0`, an off one `<= 0`), or the
//!   caller falls back to the exact pass (`None`).
//!
//! Only facets certified in this process may be labelled here (a facet read from a file has
//! no such guarantee).

use super::Facet;
use crate::enumerate::region::{NeuronId, Origin, Region};
use crate::kernel::{self, images, Approximations};
use crate::network::{Activation, Domain, Network};
use std::cell::OnceCell;
use std::cmp::Ordering;

/// The labels of one facet: the tight neurons, sorted, and the tight domain rows (positions
/// among the domain's nonzero rows), ascending.
pub(crate) type Labels = (Vec<NeuronId>, Vec<usize>);

/// A layer's float images: dense weight rows and the bias.
type FloatLayer = (Vec<Vec<f64>>, Vec<f64>);

/// What labelling certified facets needs of a network.
pub(crate) struct CertifiedLabels<'n> {
    net: &'n Network,
    /// The index of each nonzero domain row (its label is its position here).
    domain_rows: Vec<usize>,
    /// Float images of the layers (dense weights, bias), made when a region first needs them.
    floats: OnceCell<Vec<FloatLayer>>,
    /// No max unit: the float pass applies.
    relu_only: bool,
}

impl<'n> CertifiedLabels<'n> {
    /// Prepares the labelling of `net`'s certified facets.
    pub(crate) fn new(net: &'n Network) -> CertifiedLabels<'n> {
        CertifiedLabels {
            net,
            domain_rows: nonzero_rows(net.domain()),
            floats: OnceCell::new(),
            relu_only: !net.has_max_units(),
        }
    }

    /// The labels of each facet of `region` (facets certified by [`super::facets`] for it), or
    /// `None` when they need the exact pass.
    pub(crate) fn of(&self, region: &Region, facets: &[Facet]) -> Option<Vec<Labels>> {
        // every nonzero domain row is a constraint of the region (by its index), else nothing
        // is known of the others
        let mut domain: Vec<usize> = region
            .constraints
            .iter()
            .filter_map(|c| match c.origin {
                Origin::Domain(k) => Some(k),
                Origin::Neuron(_) => None,
            })
            .collect();
        domain.sort_unstable();
        if domain != self.domain_rows {
            return None;
        }
        let own = facets.iter().map(|f| self.own(region, f)).collect::<Option<Vec<Labels>>>()?;
        if region.facts.states_strict || facets.is_empty() {
            return Some(own);
        }
        if !self.relu_only {
            return None;
        }
        // the neurons without a row in the region, proved nonzero at each facet point in floats
        let mut rowless: Vec<Vec<bool>> =
            self.net.layers().iter().map(|l| vec![l.activation == Activation::Relu; l.width()]).collect();
        for c in &region.constraints {
            if let Origin::Neuron(n) = c.origin {
                *rowless.get_mut(n.layer)?.get_mut(n.index)? = false;
            }
        }
        for (f, (neurons, _)) in facets.iter().zip(&own) {
            if !self.rowless_nonzero(region, f, neurons, &rowless)? {
                return None;
            }
        }
        Some(own)
    }

    /// The labels from the facet's own class.
    fn own(&self, region: &Region, facet: &Facet) -> Option<Labels> {
        let (mut neurons, mut rows) = (Vec::new(), Vec::new());
        for &i in &facet.constraints {
            match region.constraints.get(i)?.origin {
                Origin::Neuron(n) => neurons.push(n),
                Origin::Domain(k) => rows.push(self.domain_rows.binary_search(&k).ok()?),
            }
        }
        neurons.sort_unstable_by_key(|n| (n.layer, n.index));
        neurons.dedup();
        rows.sort_unstable();
        rows.dedup();
        Some((neurons, rows))
    }

    /// Whether every neuron marked in `rowless` is proved nonzero at the facet's point: a float
    /// forward pass with the region's pattern as the relu layers' mask, each value with a
    /// rigorous error bound ([`kernel::affine_with_error`]); the facet's own neurons are
    /// exactly zero there. `None` when a value is not finite.
    fn rowless_nonzero(
        &self,
        region: &Region,
        facet: &Facet,
        own: &[NeuronId],
        rowless: &[Vec<bool>],
    ) -> Option<bool> {
        let floats = self.floats.get_or_init(|| {
            // row by row from the sparse rows (no dense exact matrix)
            let dense = |w: &crate::network::Weights| -> Vec<Vec<f64>> {
                w.rows()
                    .map(|row| {
                        let mut out = vec![0.0; w.inputs()];
                        row.iter().for_each(|(j, v)| out[*j] = kernel::image(v));
                        out
                    })
                    .collect()
            };
            self.net.layers().iter().map(|l| (dense(&l.weights), images(&l.bias))).collect()
        });
        let mut h = Approximations::images(&facet.point);
        let mut stated = 0;
        for (l, ((w, b), layer)) in floats.iter().zip(self.net.layers()).enumerate() {
            let relu = layer.activation == Activation::Relu;
            let (mut z, mut ez) = (Vec::with_capacity(w.len()), Vec::with_capacity(w.len()));
            for (i, (row, &bi)) in w.iter().zip(b).enumerate() {
                let (mut v, mut e) = kernel::affine_with_error(row, bi, &h);
                if relu {
                    if own.contains(&NeuronId { layer: l, index: i }) {
                        (v, e) = (0.0, 0.0); // exactly zero at the facet's point
                    } else if rowless[l][i]
                        && !matches!(kernel::sign_within(v, e), Some(Ordering::Less | Ordering::Greater))
                    {
                        return Some(false);
                    }
                    if !*region.pattern.get(stated)?.get(i)? {
                        (v, e) = (0.0, 0.0);
                    }
                }
                z.push(v);
                ez.push(e);
            }
            if relu {
                stated += 1;
            }
            if !z.iter().chain(&ez).all(|v| v.is_finite()) {
                return None;
            }
            h = Approximations::new(z, ez);
        }
        Some(true)
    }
}

/// The indices of a domain's nonzero rows ([`crate::network::Domain::indexed_halfspaces`]'s),
/// without forming the rows.
fn nonzero_rows(domain: &Domain) -> Vec<usize> {
    match domain {
        Domain::Whole => Vec::new(),
        Domain::Box(bounds) => (0..2 * bounds.len()).collect(),
        Domain::Polytope { a, .. } => {
            (0..a.len()).filter(|&k| a[k].iter().any(|v| !num_traits::Zero::is_zero(v))).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{stream_with_facets, FacetedRegion};
    use crate::enumerate::Enumerator;
    use crate::forward::fixed_point::FixedNetwork;
    use num_traits::Zero;

    /// The definition, by the exact pass: a relu neuron is tight when it vanishes at the facet's
    /// point and not at the region's; a nonzero domain row when it holds with equality there.
    fn exact(net: &Network, region: &Region, facet: &Facet) -> Labels {
        let fixed = FixedNetwork::new(net);
        let (inside, at) = (fixed.preactivations(&region.point), fixed.preactivations(&facet.point));
        let relu: Vec<usize> =
            (0..net.layers().len()).filter(|&l| net.layers()[l].activation == Activation::Relu).collect();
        let mut neurons = Vec::new();
        for (s, &layer) in relu.iter().enumerate() {
            for (index, (q, p)) in at[s].iter().zip(&inside[s]).enumerate() {
                if q.is_zero() && !p.is_zero() {
                    neurons.push(NeuronId { layer, index });
                }
            }
        }
        let domain = net.domain().halfspaces(net.input_dim());
        (
            neurons,
            domain
                .iter()
                .enumerate()
                .filter(|(_, h)| h.slack(&facet.point).is_zero())
                .map(|(k, _)| k)
                .collect(),
        )
    }

    /// Labels every facet of every region of `text`'s network; returns how many regions were
    /// labelled without the exact pass, strict and not.
    fn label_all(text: &str) -> (usize, usize, usize) {
        let net = Network::from_json(text).unwrap();
        let labels = CertifiedLabels::new(&net);
        let (mut strict, mut floated, mut exact_pass) = (0, 0, 0);
        let mut sink = crate::enumerate::from_fn(|r: FacetedRegion| {
            match labels.of(&r.region, &r.facets) {
                Some(found) => {
                    let want: Vec<Labels> = r.facets.iter().map(|f| exact(&net, &r.region, f)).collect();
                    assert_eq!(found, want, "region {}", r.region.id);
                    if r.region.facts.states_strict {
                        strict += 1;
                    } else {
                        floated += 1;
                    }
                }
                None => exact_pass += 1,
            }
            std::ops::ControlFlow::Continue(())
        });
        assert!(stream_with_facets(&net, &Enumerator::builder().build(), &mut sink).unwrap().complete());
        (strict, floated, exact_pass)
    }

    /// Strict regions are labelled from their classes; the neuron `x + y - 2`, zero only at
    /// the corner `(1, 1)` of the box, is not strict on the region `x, y > 0` (its closure
    /// touches the hyperplane there), which the float pass labels; each as the exact pass does.
    #[test]
    fn fast_labels_are_the_exact_ones() {
        let (strict, floated, exact_pass) = label_all(
            r#"{"input_dim": 2, "domain": {"box": [["-1", "1"], ["-1", "1"]]}, "layers": [
            {"weights": [[1, 0], [0, 1], [1, 1]], "bias": [0, 0, -2], "activation": "relu"},
            {"weights": [[1, 2, 3]], "activation": "linear"}]}"#,
        );
        assert!(strict > 0 && floated > 0 && exact_pass == 0, "{strict} {floated} {exact_pass}");
        // a copy of a neuron without a row is zero on the facet: the exact pass labels it
        let (_, _, exact_pass) = label_all(
            r#"{"input_dim": 1, "domain": {"box": [["-1", "1"]]}, "layers": [
            {"weights": [[1], [2]], "activation": "relu"}, {"weights": [[1, 1]], "activation": "linear"}]}"#,
        );
        assert!(exact_pass > 0);
    }

    /// Max units are left to the exact pass.
    #[test]
    fn max_units_take_the_exact_pass() {
        let (strict, floated, exact_pass) = label_all(
            r#"{"input_dim": 2, "domain": {"box": [["-1", "1"], ["-1", "1"]]}, "layers": [
            {"weights": [[1, 0], [-1, 0], [0, 1], [0, -1]], "activation": "max", "pieces": 4},
            {"weights": [[1, 1, 1, 1]], "activation": "linear"}]}"#,
        );
        assert_eq!((strict, floated), (0, 0));
        assert!(exact_pass > 0);
    }
}
