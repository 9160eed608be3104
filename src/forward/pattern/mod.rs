//! One activation pattern -> its maps and its rows: the network composed over integers
//! ([`super::fixed_point`]) with every stateful layer's output masked by its states, giving each
//! layer's preactivation map on the region of the pattern, the rows its states impose there, and
//! the network's map on the region. The one owner of "compose the layers under a pattern",
//! used by `queries::locate` (a region rebuilt from its pattern), `Prepared::map_of` (maps
//! recomputed for exact comparisons) and the shard merge's verification.
//!
//! The composition keeps the maps of the last pattern and, for the next one, recomposes only
//! from the first layer whose input mask differs (regions listed in depth-first order share long
//! prefixes of states).
//!
//! Not used by `check`, on purpose: the independent checker keeps its own composition
//! (`check::compose`), so that a bug here cannot hide itself there. The enumerator's incremental
//! path (`enumerate::partial`, `enumerate::split`) composes layer by layer as it splits, with the
//! same [`FixedMap::then_masked_layer`].

use super::fixed_point::{FixedLayer, FixedMap};
use super::AffineMap;
use crate::kernel::halfspace::Halfspace;
use crate::network::{Activation, Layer, Pattern};

/// The maps of a network's layers on the region of a pattern, recomposed from the first layer
/// that differs when the pattern changes.
#[derive(Debug, Clone)]
pub(crate) struct PatternMaps<'a> {
    layers: &'a [Layer],
    fixed: &'a [FixedLayer],
    /// The layers with states: their index in the network (entry `s` of a pattern is theirs).
    stateful: Vec<usize>,
    identity: FixedMap,
    /// The pattern `maps` was composed for.
    cached: Option<Pattern>,
    /// `maps[l]`: layer `l`'s preactivation map on the region (before its own states).
    maps: Vec<FixedMap>,
}

/// One state row of a region: `g(x) >= 0` in its interior, strictly unless `tie` and `g` is
/// constant, where `g = ± (row - winner)` of layer `layer`'s preactivation map: a relu neuron's
/// side of its hyperplane (`+row` on, `-row` off, a tie allowed off), a max unit's losing
/// candidate `row` below its winner (a tie allowed for a candidate after the winner).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StateRow {
    /// The network layer.
    pub(crate) layer: usize,
    /// The row of the layer's map (the neuron, or the losing candidate).
    pub(crate) row: usize,
    /// For a max unit, the winner's row that `row` is subtracted from.
    pub(crate) winner: Option<usize>,
    /// `g`'s sign: `+` when on (a max unit's rows are always `winner - row`).
    pub(crate) on: bool,
    /// Whether `g = 0` is allowed where `g` is constant.
    pub(crate) tie: bool,
}

impl<'a> PatternMaps<'a> {
    /// The composition for `layers` over integers (`fixed`: the same layers chained,
    /// [`FixedLayer::chain`]), on R^`d`.
    pub(crate) fn new(layers: &'a [Layer], fixed: &'a [FixedLayer], d: usize) -> PatternMaps<'a> {
        let stateful = layers.iter().enumerate().filter(|(_, l)| l.activation.has_states()).map(|(i, _)| i);
        PatternMaps {
            layers,
            fixed,
            stateful: stateful.collect(),
            identity: FixedMap::identity(d),
            cached: None,
            maps: Vec::new(),
        }
    }

    /// Composes the maps of `pattern` (one entry per stateful layer, of its width), from the
    /// first layer whose input mask differs from the last pattern's.
    pub(crate) fn compose(&mut self, pattern: &Pattern) {
        let start = match &self.cached {
            None => 0,
            Some(old) => match old.iter().zip(pattern).position(|(a, b)| a != b) {
                Some(k) => self.stateful[k] + 1,
                None => self.layers.len(),
            },
        };
        self.maps.truncate(start);
        for l in start..self.fixed.len() {
            let mask = l
                .checked_sub(1)
                .and_then(|p| self.stateful.iter().position(|&s| s == p))
                .map(|s| pattern[s].as_slice());
            let input = if l == 0 { &self.identity } else { &self.maps[l - 1] };
            let next = input.then_masked_layer(mask, &self.fixed[l]);
            self.maps.push(next);
        }
        self.cached = Some(pattern.clone());
    }

    /// Layer `l`'s preactivation map on the region of the composed pattern.
    pub(crate) fn preactivation(&self, l: usize) -> &FixedMap {
        &self.maps[l]
    }

    /// The last layer's preactivation map, with the states that mask it when the last layer
    /// has states (the network's map is that map with the rows off zeroed).
    pub(crate) fn last(&self) -> (&FixedMap, Option<&[bool]>) {
        let last = self.maps.last().expect("a network has layers");
        let mask = match (self.stateful.last(), &self.cached) {
            (Some(&l), Some(pattern)) if l + 1 == self.maps.len() => pattern.last().map(Vec::as_slice),
            _ => None,
        };
        (last, mask)
    }

    /// The network's exact map on the region of the composed pattern.
    pub(crate) fn output(&self) -> AffineMap {
        match self.last() {
            (map, Some(bits)) => map.masked(bits).to_affine(),
            (map, None) => map.to_affine(),
        }
    }

    /// Every state row of the composed pattern, layer after layer (a max unit with no winner
    /// among its states is read as won by its first candidate).
    pub(crate) fn state_rows(&self) -> Vec<StateRow> {
        let Some(pattern) = &self.cached else { return Vec::new() };
        let mut rows = Vec::new();
        for (bits, &layer) in pattern.iter().zip(&self.stateful) {
            match self.layers[layer].activation {
                Activation::Max(k) => {
                    for (u, unit) in bits.chunks(k).enumerate() {
                        let t = unit.iter().position(|&b| b).unwrap_or(0);
                        for j in (0..k).filter(|&j| j != t) {
                            let (row, winner) = (u * k + j, Some(u * k + t));
                            rows.push(StateRow { layer, row, winner, on: true, tie: j > t });
                        }
                    }
                }
                _ => rows.extend(bits.iter().enumerate().map(|(row, &on)| StateRow {
                    layer,
                    row,
                    winner: None,
                    on,
                    tie: !on,
                })),
            }
        }
        rows
    }

    /// The rows `a . x <= b` of the composed pattern's states over the rationals, each with its
    /// layer and row ([`crate::network::pieces::state_rows`] on each layer's preactivation map:
    /// a constant row is left out when the states satisfy it).
    pub(crate) fn halfspaces(&self) -> Vec<(usize, usize, Halfspace)> {
        let Some(pattern) = &self.cached else { return Vec::new() };
        let mut out = Vec::new();
        for (bits, &layer) in pattern.iter().zip(&self.stateful) {
            let map = self.maps[layer].to_affine();
            let rows = crate::network::pieces::state_rows(
                self.layers[layer].activation,
                &map.jacobian,
                &map.offset,
                bits,
            );
            out.extend(rows.into_iter().map(|(row, h)| (layer, row, h)));
        }
        out
    }
}

#[cfg(test)]
mod tests;
