//! What `check` keeps of each region once its own checks ran, for the checks of the whole
//! answer (ids, distinct patterns, coverage, pieces): its `id`, its stated pattern and the
//! patterns across its inner facets as bits, its stated `piece`, and a fingerprint of its map.
//! The rows, facet points and rational maps of a region are dropped with it, so a streamed
//! check holds a few words a facet, as `count` does.
//!
//! Every decision stays exact: two patterns are equal iff their bits are (a stated pattern is
//! kept as bits only where the network writes those bits back as the same strings), and two
//! maps are compared exactly, recomposed from their patterns, whenever their fingerprints agree
//! (different fingerprints mean different maps).

use super::compose::Composer;
use super::constraints::Origin;
use super::region::{pattern_of, CheckedRegion, Listed};
use crate::exact::num::Q;
use crate::forward::fixed_point::FixedNetwork;
use crate::network::{Network, Pattern};
use serde_json::Value;
use std::hash::{Hash, Hasher};

/// A pattern's states, bit by bit, its layers one after the other (their widths are the
/// network's, see [`Layout`]), [`Layout::words`] words.
pub(super) type Key = Box<[u64]>;

/// The stated pattern of a region: as bits where the network writes them back as the same
/// strings, else the strings themselves (which then equal no bits' strings).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Stated {
    Bits(Key),
    Strings(Box<[String]>),
}

/// A region's `piece` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PieceField {
    Absent,
    Number(usize),
    /// Present but not a number.
    Malformed,
}

impl PieceField {
    /// The field of `item` (a region or a graph node).
    pub(super) fn of(item: &Value) -> PieceField {
        match item.get("piece") {
            None => PieceField::Absent,
            Some(v) => match v.as_u64().and_then(|p| usize::try_from(p).ok()) {
                Some(p) => PieceField::Number(p),
                None => PieceField::Malformed,
            },
        }
    }

    /// The stated piece, `None` where absent or malformed.
    pub(super) fn number(self) -> Option<usize> {
        match self {
            PieceField::Number(p) => Some(p),
            _ => None,
        }
    }
}

/// What the checks of a region that could be checked leave for the whole answer.
#[derive(Debug, Clone)]
pub(super) struct Summary {
    /// Whether its stated pattern is kept as bits (only then can a facet lead to it).
    pub indexed: bool,
    /// The listed inequalities that passed their checks.
    pub inequalities: usize,
    /// Its inner facets that passed their checks: each one's index among the listed
    /// inequalities, and the pattern across it (computed by the checker), in `across` (one
    /// key after the other).
    pub facets: Box<[u32]>,
    pub across: Box<[u64]>,
    /// A fingerprint of its exact map (equal maps have equal fingerprints).
    pub map: u64,
}

/// What the whole-answer checks keep of one region.
#[derive(Debug, Clone)]
pub(super) struct Kept {
    pub id: Option<u64>,
    /// `None` where missing or malformed.
    pub pattern: Option<Stated>,
    pub piece: PieceField,
    /// `None` where the region could not be checked.
    pub checked: Option<Summary>,
}

impl Kept {
    /// The bits of its stated pattern, where it is indexed.
    pub(super) fn indexed(&self) -> Option<&[u64]> {
        match (&self.pattern, &self.checked) {
            (Some(Stated::Bits(key)), Some(c)) if c.indexed => Some(key),
            _ => None,
        }
    }
}

/// The shape of the network's patterns, and what crossing a facet needs.
pub(super) struct Layout<'a> {
    net: &'a Network,
    /// Each layer with states: its width.
    widths: Vec<usize>,
    /// Each layer's index among the layers with states.
    stateful: Vec<Option<usize>>,
    exact: FixedNetwork,
}

impl<'a> Layout<'a> {
    pub(super) fn new(net: &'a Network) -> Layout<'a> {
        let mut next = 0;
        let stateful = net
            .layers()
            .iter()
            .map(|l| {
                l.activation.has_states().then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        let widths = net.layers().iter().filter(|l| l.activation.has_states()).map(|l| l.width()).collect();
        // exact integer evaluation (numerators over common denominators, no gcd): the same
        // arithmetic the graph uses, tested against plain rational evaluation in `fixed`
        Layout { net, widths, stateful, exact: FixedNetwork::new(net) }
    }

    /// The words of a key.
    pub(super) fn words(&self) -> usize {
        self.widths.iter().sum::<usize>().div_ceil(64).max(1)
    }

    /// Appends the bits of `states` (of the network's shape) to `words`.
    fn push_key(&self, states: &[Vec<bool>], words: &mut Vec<u64>) {
        debug_assert!(states.iter().map(Vec::len).eq(self.widths.iter().copied()));
        let start = words.len();
        words.resize(start + self.words(), 0);
        for (i, bit) in states.iter().flatten().enumerate() {
            if *bit {
                words[start + i / 64] |= 1 << (i % 64);
            }
        }
    }

    /// The bits of `states` (of the network's shape).
    pub(super) fn key(&self, states: &[Vec<bool>]) -> Key {
        let mut words = Vec::with_capacity(self.words());
        self.push_key(states, &mut words);
        words.into_boxed_slice()
    }

    /// The states of a key.
    pub(super) fn states(&self, key: &[u64]) -> Pattern {
        let mut i = 0;
        self.widths
            .iter()
            .map(|&w| {
                let layer = (i..i + w).map(|j| key[j / 64] >> (j % 64) & 1 == 1).collect();
                i += w;
                layer
            })
            .collect()
    }

    /// The pattern strings of a key.
    pub(super) fn strings(&self, key: &[u64]) -> Vec<String> {
        self.net.pattern_strings(&self.states(key))
    }

    /// The stated pattern of `region`, `None` where missing or malformed.
    pub(super) fn stated(&self, region: &Value) -> Option<Stated> {
        let strings = pattern_of(region)?;
        Some(match self.net.parse_pattern(&strings) {
            Some(states) if self.net.pattern_strings(&states) == strings => Stated::Bits(self.key(&states)),
            _ => Stated::Strings(strings.into_boxed_slice()),
        })
    }

    /// What the whole answer needs of a checked region: the patterns across its inner facets
    /// (one relu neuron alone tight, none identically zero: that neuron flipped, every other
    /// keeping its sign; else the exact lexicographic signs at the facet point along the
    /// outward normal; none unless `across`), and the fingerprint of its map.
    pub(super) fn summary(&self, c: &CheckedRegion, across: bool) -> Summary {
        let inner = c
            .listed
            .iter()
            .enumerate()
            .filter(|_| across)
            .filter_map(|(k, l)| Some((k, l.as_ref().filter(|l| l.inner)?)));
        let (mut facets, mut keys) = (Vec::new(), Vec::new());
        for (k, Listed { row, point, alone, .. }) in inner {
            facets.push(u32::try_from(k).expect("fewer than 2^32 inequalities in a region"));
            match alone {
                Some(Origin::Neuron(layer, index)) if c.plain => {
                    let mut states = c.states.clone();
                    let s = self.stateful[*layer].expect("a neuron's layer has states");
                    states[s][*index] = !states[s][*index];
                    self.push_key(&states, &mut keys);
                }
                _ => self.push_key(&self.exact.pattern_towards(point, &row.a), &mut keys),
            }
        }
        Summary {
            indexed: self.net.pattern_strings(&c.states) == c.pattern,
            inequalities: c.listed.len(),
            facets: facets.into_boxed_slice(),
            across: keys.into_boxed_slice(),
            map: fingerprint(&c.map),
        }
    }

    /// The states of a checked region (its stated pattern, parsed).
    fn checked_states(&self, kept: &Kept) -> Option<Pattern> {
        match kept.pattern.as_ref()? {
            Stated::Bits(key) => Some(self.states(key)),
            Stated::Strings(strings) => self.net.parse_pattern(strings),
        }
    }
}

/// A fingerprint of an exact map (`Q`'s hash agrees with its equality).
fn fingerprint((jac, off): &(Vec<Vec<Q>>, Vec<Q>)) -> u64 {
    // the checker's map is reduced (positive denominators), so equal values have equal
    // numerators and denominators: hashing those skips `Ratio`'s own hash, which expands
    // each value as a continued fraction (divisions)
    let mut h = std::hash::DefaultHasher::new();
    for v in jac.iter().flatten().chain(off) {
        v.numer().hash(&mut h);
        v.denom().hash(&mut h);
    }
    h.finish()
}

/// Exact comparisons of the maps of kept regions, recomposed from their states.
pub(super) struct Maps<'a, 'b> {
    layout: &'b Layout<'a>,
    composer: Composer<'a>,
}

impl<'a, 'b> Maps<'a, 'b> {
    pub(super) fn new(layout: &'b Layout<'a>) -> Maps<'a, 'b> {
        Maps { layout, composer: Composer::new(layout.net) }
    }

    /// Whether the maps of two checked regions are equal: different fingerprints, no; else
    /// their maps composed again and compared exactly.
    pub(super) fn equal(&mut self, x: &Kept, y: &Kept) -> bool {
        let (Some(cx), Some(cy)) = (&x.checked, &y.checked) else { return false };
        if cx.map != cy.map {
            return false;
        }
        let (Some(sx), Some(sy)) = (self.layout.checked_states(x), self.layout.checked_states(y)) else {
            return false;
        };
        let (_, jx, ox, _) = self.composer.constraints(&sx);
        let (_, jy, oy, _) = self.composer.constraints(&sy);
        jx == jy && ox == oy
    }
}
