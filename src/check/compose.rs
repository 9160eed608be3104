//! The checker's own composition of the network along stated patterns, in rationals, shared
//! across regions: the map after each layer with states depends only on the pattern's states
//! up to that layer, so a [`Composer`] keeps the composition of the last pattern it was asked,
//! layer by layer, and recomposes only from the first layer where the next pattern differs.
//! Regions listed in tree order share long prefixes (every region shares the first layer's
//! rows), so most of the exact products are done once per prefix, not once per region.

use super::constraints::{max_rows, relu_rows, Constraint, Matrix};
use crate::exact::num::Q;
use crate::network::weights::sparse_dot;
use crate::network::{Activation, Layer, Network};
use num_traits::Zero;

/// A map `x -> jac x + off`.
type Map = (Matrix, Vec<Q>);

/// What follows a map: the next layer with states (the map just before it and its
/// preactivations, which the states only sign and mask), or the end of the network.
enum Ahead {
    Stateful { layer: usize, before: Map, pre: Map },
    End(Map),
}

/// The composition after one layer with states.
struct Level {
    /// The layer's states.
    bits: Vec<bool>,
    /// The constraints its states give.
    rows: Vec<Constraint>,
    /// The index of the layer after it, and the map after it, masked by its states.
    next_layer: usize,
    map: Map,
    /// What follows, composed once (the regions sharing this prefix share it).
    ahead: Option<Ahead>,
    /// Whether the layer is relu with no preactivation identically zero on the region.
    plain: bool,
}

/// The composition of the last pattern asked, by layer with states.
pub(super) struct Composer<'a> {
    net: &'a Network,
    /// What follows the identity.
    root: Ahead,
    levels: Vec<Level>,
}

impl<'a> Composer<'a> {
    pub(super) fn new(net: &'a Network) -> Composer<'a> {
        let d = net.input_dim();
        let jac: Matrix =
            (0..d).map(|i| (0..d).map(|j| Q::from_integer(u8::from(i == j).into())).collect()).collect();
        let root = advance(net, 0, (jac, vec![Q::zero(); d]));
        Composer { net, root, levels: Vec::new() }
    }

    /// The constraints of a pattern (its states, one vector per layer with states, as the
    /// network parses its strings) and the output map, as a composition from scratch gives
    /// them: the constraints in layer order, each layer's in neuron order.
    ///
    /// The last value says whether every layer with states is relu and no preactivation is
    /// identically zero on the region: then every neuron not tight at a point of the region's
    /// closure keeps its sign near it (what [`super::whole::check_coverage`] uses to cross a
    /// facet with one tight neuron by flipping it).
    pub(super) fn constraints(&mut self, states: &[Vec<bool>]) -> (Vec<Constraint>, Matrix, Vec<Q>, bool) {
        let keep = self.levels.iter().zip(states).take_while(|(level, bits)| &level.bits == *bits).count();
        self.levels.truncate(keep);
        let (jac, off) = loop {
            let (net, depth) = (self.net, self.levels.len());
            let ahead = match self.levels.last_mut() {
                None => &self.root,
                Some(level) => {
                    &*level.ahead.get_or_insert_with(|| advance(net, level.next_layer, level.map.clone()))
                }
            };
            let (layer, before, pre) = match ahead {
                Ahead::End(map) => break map.clone(),
                Ahead::Stateful { layer, before, pre } => (*layer, before, pre),
            };
            // its states from the pattern (none left: the map stops before it)
            let Some(bits) = states.get(depth) else { break before.clone() };
            let plain = matches!(net.layers()[layer].activation, Activation::Relu)
                && pre.0.iter().zip(&pre.1).all(|(row, o)| !o.is_zero() || row.iter().any(|v| !v.is_zero()));
            let rows = match net.layers()[layer].activation {
                Activation::Max(k) => max_rows(&pre.0, &pre.1, bits, k, layer),
                _ => relu_rows(&pre.0, &pre.1, bits, layer),
            };
            let (mut jac, mut off) = pre.clone();
            let next_layer = layer + 1;
            for ((row, o), &on) in jac.iter_mut().zip(off.iter_mut()).zip(bits) {
                if !on {
                    row.iter_mut().for_each(|v| *v = Q::zero());
                    *o = Q::zero();
                }
            }
            self.levels.push(Level {
                bits: bits.clone(),
                rows,
                next_layer,
                map: (jac, off),
                ahead: None,
                plain,
            });
        };
        let rows = self.levels.iter().flat_map(|level| level.rows.iter().cloned()).collect();
        let plain = self.levels.iter().all(|level| level.plain);
        (rows, jac, off, plain)
    }
}

/// The layers from `l` on composed after `map`, up to the next layer with states.
fn advance(net: &Network, mut l: usize, mut map: Map) -> Ahead {
    loop {
        let Some(layer) = net.layers().get(l) else { return Ahead::End(map) };
        let pre = affine(layer, &map.0, &map.1);
        if layer.activation.has_states() {
            return Ahead::Stateful { layer: l, before: map, pre };
        }
        (map, l) = (pre, l + 1);
    }
}

/// The layer's affine map after `x -> jac x + off`.
fn affine(layer: &Layer, jac: &Matrix, off: &[Q]) -> (Matrix, Vec<Q>) {
    let d = jac.first().map_or(0, Vec::len);
    let columns: Vec<Vec<Q>> = (0..d).map(|j| jac.iter().map(|row| row[j].clone()).collect()).collect();
    let mut new_jac = Vec::with_capacity(layer.bias.len());
    let mut new_off = Vec::with_capacity(layer.bias.len());
    for (w, b) in layer.weights.rows().zip(&layer.bias) {
        new_jac.push(columns.iter().map(|column| sparse_dot(w, column)).collect::<Vec<Q>>());
        new_off.push(sparse_dot(w, off) + b);
    }
    (new_jac, new_off)
}
