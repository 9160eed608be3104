//! What the merge proves of the regions of all parts together: they come in the order of the
//! depth-first enumeration (so no pattern is given twice, and each part's regions sit between
//! its neighbours'), and, when the graph cannot be built from them, which part lacks a region
//! or a facet.
//!
//! The enumeration splits the neurons in order and explores a relu neuron's off side before
//! its on side and a max unit's cells by the winner's index; so two regions come in the order
//! of their *keys* (per relu neuron its bit, per max unit its winner's index), compared
//! lexicographically at the first neuron where they differ: the neuron where the enumeration
//! split them.

use super::merge::inconsistent;
use super::read::{InnerAt, Places};
use super::ShardError;
use crate::analysis::graph_counts::Record;
use crate::enumerate::prepared::Prepared;
use crate::network::{Activation, Network, Pattern};
use std::collections::{BTreeMap, HashMap};

/// The enumeration's order key of a pattern (see the module docs): regions come in the order of
/// their keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct OrderKey(Vec<u8>);

impl OrderKey {
    /// The key of `pattern`, a pattern of `net`.
    pub(super) fn of(net: &Network, pattern: &Pattern) -> OrderKey {
        let stateful = net.layers().iter().filter(|l| l.activation.has_states());
        let mut key = Vec::new();
        for (bits, layer) in pattern.iter().zip(stateful) {
            match layer.activation {
                Activation::Max(k) => {
                    key.extend(bits.chunks(k).map(|unit| unit.iter().position(|&b| b).unwrap_or(0) as u8));
                }
                _ => key.extend(bits.iter().map(|&b| u8::from(b))),
            }
        }
        OrderKey(key)
    }
}

/// The error for the region at `after` (its part and line) that does not come after region
/// `before` (`same`: it has the same pattern).
pub(super) fn out_of_order(
    places: &Places,
    before: usize,
    (after, line_after): (&str, usize),
    same: bool,
) -> ShardError {
    let (before, line_before) = places.place(before);
    let file = if before == after { before.clone() } else { format!("{before} or {after}") };
    let what = if same { "has the same pattern as" } else { "comes before, in the enumeration's order," };
    inconsistent(
        &file,
        format!(
            "the region at line {line_after} of {after} {what} the region at line {line_before} of {before}"
        ),
    )
}

/// Why the graph of the regions read could not be built, naming the part at fault: a facet's
/// neighbour that no part holds (a region left out: the part whose place in the order it
/// falls in), or a facet seen from one side only (the other region's part lacks it). `None`
/// when neither is found. Works on the records alone (the regions are in order: their keys
/// are searched by halving).
pub(super) fn diagnose(
    prepared: &Prepared<'_>,
    records: &[Record],
    places: &Places,
    inner_at: &InnerAt,
) -> Option<ShardError> {
    let net = prepared.network();
    let by_pattern: HashMap<&[u64], usize> =
        records.iter().enumerate().map(|(i, r)| (r.pattern_bits(), i)).collect();
    let mut sides: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        for (m, across) in record.across_bits().iter().enumerate() {
            let Some(&j) = by_pattern.get(&**across) else {
                let (file, line) = places.place(i);
                let pattern = crate::analysis::graph_counts::unpack(across, net);
                let wanted = OrderKey::of(net, &pattern);
                let at = records.partition_point(|r| OrderKey::of(net, &r.pattern(net)) < wanted);
                let holders: Vec<String> = [at.checked_sub(1), (at < records.len()).then_some(at)]
                    .into_iter()
                    .flatten()
                    .map(|n| places.place(n).0)
                    .fold(Vec::new(), |mut v, f| {
                        if !v.contains(&f) {
                            v.push(f);
                        }
                        v
                    });
                return Some(inconsistent(
                    &holders.join(" or "),
                    format!(
                        "a region is missing: the one with pattern {} across inequalities[{}] of the region at line {line} of {file}",
                        prepared.layout().strings(&pattern).join("|"),
                        inner_at.of(i, m)
                    ),
                ));
            };
            sides.entry((i.min(j), i.max(j))).or_default().push(i);
        }
    }
    sides.into_iter().find(|(_, from)| from.len() != 2).map(|((a, b), from)| {
        let (lacking, other) = if from.contains(&a) { (b, a) } else { (a, b) };
        let (file, line) = places.place(lacking);
        let (other_file, other_line) = places.place(other);
        let message = if from.len() == 1 {
            format!(
                "the region at line {line} lacks its facet shared with the region at line {other_line} of {other_file}"
            )
        } else {
            format!("the region at line {line} shares {} facets with the region at line {other_line} of {other_file}", from.len())
        };
        inconsistent(&file, message)
    })
}
