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

use super::merge::{inconsistent, Read};
use super::ShardError;
use crate::enumerate::prepared::Prepared;
use crate::network::{Activation, Network, Pattern};
use std::collections::{BTreeMap, HashMap};

/// The enumeration's order key of a pattern (see the module docs).
fn key(net: &Network, pattern: &Pattern) -> Vec<u8> {
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
    key
}

/// Every region after the one before it in the enumeration's order.
pub(super) fn check_order(net: &Network, read: &Read) -> Result<(), ShardError> {
    let keys: Vec<Vec<u8>> = read.regions.iter().map(|r| key(net, &r.pattern)).collect();
    for (i, pair) in keys.windows(2).enumerate() {
        if pair[0] < pair[1] {
            continue;
        }
        let ((before, line_before), (after, line_after)) = (read.place(i), read.place(i + 1));
        let file = if before == after { before.clone() } else { format!("{before} or {after}") };
        let what = if pair[0] == pair[1] {
            "has the same pattern as"
        } else {
            "comes before, in the enumeration's order,"
        };
        return Err(inconsistent(
            &file,
            format!("the region at line {line_after} of {after} {what} the region at line {line_before} of {before}"),
        ));
    }
    Ok(())
}

/// Why the graph of the regions read could not be built, naming the part at fault: a facet's
/// neighbour that no part holds (a region left out: the part whose place in the order it
/// falls in), or a facet seen from one side only (the other region's part lacks it). `None`
/// when neither is found.
pub(super) fn diagnose(prepared: &Prepared<'_>, read: &Read) -> Option<ShardError> {
    let net = prepared.network();
    let finder = prepared.neighbours();
    let by_pattern: HashMap<&Pattern, usize> =
        read.regions.iter().enumerate().map(|(i, r)| (&r.pattern, i)).collect();
    let mut sides: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, (region, facets)) in read.regions.iter().zip(&read.facets).enumerate() {
        for (k, facet) in facets.iter().enumerate().filter(|(_, f)| !f.on_boundary) {
            let normal = &region.constraints[facet.constraints[0]].halfspace.a;
            let fast = finder.across(&facet.point, normal, &region.pattern, &facet.neurons(region));
            // as the graph does: the exact pass when the float pass's pattern is no region's
            let pattern = crate::analysis::graph::listed_or_exact(prepared, region, facet, fast, |p| {
                by_pattern.contains_key(p)
            });
            let Some(&j) = by_pattern.get(&pattern) else {
                let (file, line) = read.place(i);
                let wanted = key(net, &pattern);
                let at = read.regions.partition_point(|r| key(net, &r.pattern) < wanted);
                let holders: Vec<String> = [at.checked_sub(1), (at < read.regions.len()).then_some(at)]
                    .into_iter()
                    .flatten()
                    .map(|n| read.place(n).0)
                    .fold(Vec::new(), |mut v, f| {
                        if !v.contains(&f) {
                            v.push(f);
                        }
                        v
                    });
                return Some(inconsistent(
                    &holders.join(" or "),
                    format!(
                        "a region is missing: the one with pattern {} across inequalities[{k}] of the region at line {line} of {file}",
                        prepared.layout().strings(&pattern).join("|")
                    ),
                ));
            };
            sides.entry((i.min(j), i.max(j))).or_default().push(i);
        }
    }
    sides.into_iter().find(|(_, from)| from.len() != 2).map(|((a, b), from)| {
        let (lacking, other) = if from.contains(&a) { (b, a) } else { (a, b) };
        let (file, line) = read.place(lacking);
        let (other_file, other_line) = read.place(other);
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
