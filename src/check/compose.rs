//! The checker's own composition of the network along stated patterns, exact and shared
//! across regions: the map after each layer with states depends only on the pattern's states
//! up to that layer, so a [`Composer`] keeps the composition of the last pattern it was asked,
//! layer by layer, and recomposes only from the first layer where the next pattern differs.
//! Regions listed in tree order share long prefixes (every region shares the first layer's
//! rows), so most of the exact products are done once per prefix, not once per region.
//!
//! The maps are integers over one positive denominator ([`RowMap`], each layer's weights
//! over their common denominator, [`IntLayer`]): composing is integer products and sums with
//! no gcd. A pattern's constraints are integer rows (positive multiples of the rational ones:
//! the denominator only scales them), and only the region's output map is reduced to
//! rationals, once per region, by the denominator's factors ([`super::reduce`]).

use super::constraints::{max_rows, relu_rows, Constraint};
use super::int_map::{IntLayer, RowMap};
use super::reduce::Factored;
use crate::exact::num::Q;
use crate::network::{Activation, Network};
use num_traits::Zero;

/// What follows a map: the next layer with states (the map just before it and its
/// preactivations, which the states only sign and mask), or the end of the network.
enum Ahead {
    Stateful { layer: usize, before: RowMap, pre: RowMap },
    End(RowMap),
}

/// The composition after one layer with states.
struct Level {
    /// The layer's states.
    bits: Vec<bool>,
    /// The constraints its states give.
    rows: Vec<Constraint>,
    /// The index of the layer after it, and the map after it, masked by its states.
    next_layer: usize,
    map: RowMap,
    /// What follows, composed once (the regions sharing this prefix share it).
    ahead: Option<Ahead>,
    /// Whether the layer is relu with no preactivation identically zero on the region.
    plain: bool,
}

/// A pattern's composition: its constraints (borrowed from the [`Composer`]), its output map
/// in rationals, and whether it is plain ([`Composer::constraints`]).
pub(super) type Composed<'c> = (Vec<&'c Constraint>, Vec<Vec<Q>>, Vec<Q>, bool);

/// The composition of the last pattern asked, by layer with states.
pub(super) struct Composer<'a> {
    net: &'a Network,
    /// The network's layers in integers.
    layers: Vec<IntLayer>,
    /// What follows the identity.
    root: Ahead,
    levels: Vec<Level>,
    /// The output map's denominator factored (the same for every full pattern).
    factored: Option<Factored>,
}

impl<'a> Composer<'a> {
    pub(super) fn new(net: &'a Network) -> Composer<'a> {
        let layers: Vec<IntLayer> = net.layers().iter().map(IntLayer::new).collect();
        let root = advance(&layers, net, 0, RowMap::identity(net.input_dim()));
        Composer { net, layers, root, levels: Vec::new(), factored: None }
    }

    /// The constraints of a pattern (its states, one vector per layer with states, as the
    /// network parses its strings) and the output map, as a composition from scratch gives
    /// them: the constraints in layer order, each layer's in neuron order, each a positive
    /// multiple of the rational constraint (integer coefficients); the map reduced.
    ///
    /// The last value says whether every layer with states is relu and no preactivation is
    /// identically zero on the region: then every neuron not tight at a point of the region's
    /// closure keeps its sign near it (what [`super::whole::check_coverage`] uses to cross a
    /// facet with one tight neuron by flipping it).
    pub(super) fn constraints(&mut self, states: &[Vec<bool>]) -> Composed<'_> {
        let keep = self.levels.iter().zip(states).take_while(|(level, bits)| &level.bits == *bits).count();
        self.levels.truncate(keep);
        let map = loop {
            let (net, layers, depth) = (self.net, &self.layers, self.levels.len());
            let ahead = match self.levels.last_mut() {
                None => &self.root,
                Some(level) => &*level
                    .ahead
                    .get_or_insert_with(|| advance(layers, net, level.next_layer, level.map.clone())),
            };
            let (layer, before, pre) = match ahead {
                Ahead::End(map) => break rational(map, &mut self.factored),
                Ahead::Stateful { layer, before, pre } => (*layer, before, pre),
            };
            // its states from the pattern (none left: the map stops before it)
            let Some(bits) = states.get(depth) else { break rational(before, &mut self.factored) };
            let plain = matches!(net.layers()[layer].activation, Activation::Relu)
                && pre.rows.iter().zip(&pre.off).all(|(row, o)| !o.is_zero() || !row.is_zero());
            let rows = match net.layers()[layer].activation {
                Activation::Max(k) => max_rows(pre, bits, k, layer),
                _ => relu_rows(pre, bits, layer),
            };
            let mut map = pre.clone();
            for (i, &on) in bits.iter().enumerate() {
                if !on {
                    map.clear(i);
                }
            }
            self.levels.push(Level {
                bits: bits.clone(),
                rows,
                next_layer: layer + 1,
                map,
                ahead: None,
                plain,
            });
        };
        let rows = self.levels.iter().flat_map(|level| &level.rows).collect();
        let plain = self.levels.iter().all(|level| level.plain);
        (rows, map.0, map.1, plain)
    }
}

/// An integer map in rationals, each entry reduced ([`Factored`]: the denominator factored
/// once, kept while it is the same).
fn rational(map: &RowMap, factored: &mut Option<Factored>) -> (Vec<Vec<Q>>, Vec<Q>) {
    if factored.as_ref().is_none_or(|f| f.den() != &map.den) {
        *factored = Some(Factored::new(&map.den));
    }
    let factored = factored.as_ref().expect("just set");
    let q = |v: &num_bigint::BigInt| factored.reduce(v);
    let jac = map.rows.iter().map(|row| row.to_dense(map.d).iter().map(q).collect()).collect();
    (jac, map.off.iter().map(q).collect())
}

/// The layers from `l` on composed after `map`, up to the next layer with states.
fn advance(layers: &[IntLayer], net: &Network, mut l: usize, mut map: RowMap) -> Ahead {
    loop {
        let Some(layer) = net.layers().get(l) else { return Ahead::End(map) };
        let pre = layers[l].compose_rows(&map);
        if layer.activation.has_states() {
            return Ahead::Stateful { layer: l, before: map, pre };
        }
        (map, l) = (pre, l + 1);
    }
}
