//! The cases of an `unsat` proof document (`vnnlib --proof`): which leaves belong to which case
//! of the property, and the cases the checker decides without leaves, from the property alone:
//! an empty box (some `lo > hi`, or `lo = hi` with a strict side: no input at all), and a box
//! that fixes every input (its one point, whose exact outputs must miss the unsafe set).

use crate::exact::num::{parse_rational, Q};
use crate::network::vnnlib::{Case, Property};
use crate::network::Network;
use serde_json::Value;

/// Whether the proof was made for this network: its `"network"` fingerprint, when it has one
/// (proofs written before it was recorded have none and are checked as before), is the
/// network's own ([`Network::fingerprint`]).
///
/// # Errors
/// A fingerprint that is not this network's (naming both), or not a string.
pub(super) fn same_network(net: &Network, proof: &Value) -> Result<(), String> {
    let Some(stated) = proof.get("network") else { return Ok(()) };
    let stated = stated.as_str().ok_or("\"network\" is not a string (a network fingerprint)")?;
    let own = net.fingerprint();
    if stated == own {
        return Ok(());
    }
    Err(format!(
        "the proof was made for another network: it names {stated}, the network given is {own} \
         (another file, other weights, or other --coords or outputs); nothing was checked"
    ))
}

/// One leaf as read from the document.
pub(super) struct Leaf {
    pub flat: Vec<bool>,
    pub pruned: bool,
    pub within: Option<Vec<(Q, Q)>>,
}

/// Each case's leaves, sorted by their states: `"leaves"` for a property of one case, else
/// `"cases"` with one `{"leaves": [...]}` per case in the property's order.
///
/// # Errors
/// What is malformed, as the failure's message.
pub(super) fn case_leaves(property: &Property, proof: &Value) -> Result<Vec<Vec<Leaf>>, String> {
    if proof.get("relu_regions_proof").and_then(Value::as_u64) != Some(1) {
        return Err("not a relu-regions proof (missing \"relu_regions_proof\": 1)".into());
    }
    let n = property.cases.len();
    let lists: Vec<&Value> = match (proof.get("leaves"), proof.get("cases")) {
        (Some(leaves), None) if n == 1 => vec![leaves],
        (None, Some(cases)) => {
            let cases = cases.as_array().ok_or("\"cases\" is not an array")?;
            if cases.len() != n {
                return Err(format!("the proof has {} cases, the property {n}", cases.len()));
            }
            cases
                .iter()
                .enumerate()
                .map(|(k, c)| c.get("leaves").ok_or(format!("case {k} has no \"leaves\"")))
                .collect::<Result<_, _>>()?
        }
        _ => {
            let want = "\"leaves\" (a property of one case) or \"cases\" (one per case)";
            return Err(format!("missing {want}: the property has {n} cases"));
        }
    };
    let mut all = Vec::with_capacity(n);
    for (k, list) in lists.into_iter().enumerate() {
        let items = list.as_array().ok_or(format!("the leaves of case {k} are not an array"))?;
        let mut leaves = Vec::with_capacity(items.len());
        for (j, item) in items.iter().enumerate() {
            let at = if n == 1 { format!("leaf {j}") } else { format!("leaf {j} of case {k}") };
            leaves.push(read_leaf(item).ok_or(format!("{at} is malformed"))?);
        }
        leaves.sort_by(|a, b| a.flat.cmp(&b.flat));
        all.push(leaves);
    }
    Ok(all)
}

fn read_leaf(item: &Value) -> Option<Leaf> {
    let states = item.get("states")?.as_array()?;
    let mut flat = Vec::new();
    for s in states {
        for c in s.as_str()?.chars() {
            flat.push(match c {
                '0' => false,
                '1' => true,
                _ => return None,
            });
        }
    }
    let pruned = item.get("pruned")?.as_bool()?;
    let within = match item.get("box") {
        None => None,
        Some(b) => Some(
            b.as_array()?
                .iter()
                .map(|pair| {
                    let p = pair.as_array()?;
                    Some((
                        parse_rational(p.first()?.as_str()?).ok()?,
                        parse_rational(p.get(1)?.as_str()?).ok()?,
                    ))
                })
                .collect::<Option<Vec<_>>>()?,
        ),
    };
    Some(Leaf { flat, pruned, within })
}

/// The failures of a case without points or without free inputs (`None` for any other case:
/// its leaves are walked).
pub(super) fn check_without_tree(net: &Network, case: &Case, leaves: &[Leaf]) -> Option<Vec<String>> {
    let mut failures = Vec::new();
    if case.is_empty() {
        if !leaves.is_empty() {
            failures.push("its box is empty (no input), yet the proof gives it leaves".into());
        }
        return Some(failures);
    }
    if !case.free_inputs().is_empty() {
        return None;
    }
    if !leaves.is_empty() {
        failures.push("its box fixes every input (one point), yet the proof gives it leaves".into());
    }
    let point: Vec<Q> = case.input_box.iter().map(|(lo, _)| lo.clone()).collect();
    if case.is_unsafe(&net.output(&point)) {
        failures.push("its box fixes every input, and the network's exact outputs there are unsafe".into());
    }
    Some(failures)
}
