//! Deciding a VNN-LIB property exactly: is there an input of some case's box whose outputs lie
//! in that case's unsafe set?
//!
//! The cases ([`crate::network::vnnlib::Case`]) are decided in order: an empty box has no input (unsat,
//! nothing to enumerate); a box that fixes every input is its one point, evaluated exactly;
//! every other box is sampled first (`falsify`), then its regions are enumerated (module
//! `case`): on each region the network is the affine map `y = J x + c`, so a conjunction
//! `C y <= d` of the unsafe set is the polyhedron `C J x <= d - C c` intersected with the
//! region, decided with a certificate (module `region`):
//! - a rational point of the region, inside the box with every strict side strict, whose exact
//!   outputs are unsafe: `sat`, and the run stops at the first one;
//! - emptiness: an interval bound over the box for one row (computed by the kernel with its
//!   proved error bound), or a Farkas vector checked exactly, or, where the closed system
//!   meets the region only on its boundary, an exact LP with a strictness variable whose
//!   Motzkin certificate shows the strict rows (strict constraints, strict sides of the box)
//!   cannot all hold.
//!
//! Every counterexample is re-checked from scratch before it is reported: inside the box
//! (strict sides strictly), and the network's exact forward pass gives outputs in the unsafe
//! set. `unsat` means every case was shown unable to reach its unsafe set; a run stopped by a
//! limit is `unknown`.

use crate::enumerate::Enumerator;
use crate::error::InternalError;
use crate::exact::num::Q;
use crate::network::vnnlib::{Case, Property};
use crate::network::Network;

mod case;
mod falsify;
mod gradient;
pub mod proof;
mod prune;
mod region;

pub use proof::{ProofLeaf, UnsatProof};

/// The answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A counterexample: an exact input in a case's box and its exact outputs, in that case's
    /// unsafe set.
    Sat {
        /// The input.
        input: Vec<Q>,
        /// The network's outputs there.
        output: Vec<Q>,
    },
    /// No input of any case reaches its unsafe set.
    Unsat,
    /// A limit stopped the run first.
    Unknown,
}

/// The answer with what it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The verdict.
    pub verdict: Verdict,
    /// Regions examined (a case that fixes every input counts as one).
    pub regions_visited: usize,
    /// (region, conjunction) pairs settled by a bound, without an LP.
    pub pruned: usize,
    /// Partial regions discarded whole: symbolic bounds over the box with their fixed neurons,
    /// or a safe dual bound over their rows, showed the unsafe set out of reach.
    pub subtrees_pruned: usize,
    /// LPs asked.
    pub lps: u64,
    /// For `unsat`: the leaves of each case's tree, for [`crate::check::proof`] to re-verify.
    pub proof: Option<UnsatProof>,
}

/// Decides the property on the network (whose domain is replaced by each case's box).
///
/// # Examples
/// ```
/// use relu_regions::{Enumerator, network::json::read_network};
/// use relu_regions::queries::property::{decide, Verdict};
/// use relu_regions::network::vnnlib::read_vnnlib;
/// // relu(x) on [-1, 1]: it reaches 1/2, never -1/2
/// let net = read_network(r#"{"input_dim": 1, "layers": [
///     {"weights": [[1]], "activation": "relu"}, {"weights": [[1]], "activation": "linear"}]}"#, "t").unwrap();
/// let e = Enumerator::builder().build();
/// let head = "(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= X_0 1))(assert (>= X_0 -1))";
/// let reach = read_vnnlib(&format!("{head}(assert (>= Y_0 0.5))"), "p", 1, 1).unwrap();
/// assert!(matches!(decide(&net, &reach, &e).unwrap().verdict, Verdict::Sat { .. }));
/// let never = read_vnnlib(&format!("{head}(assert (<= Y_0 -0.5))"), "p", 1, 1).unwrap();
/// assert_eq!(decide(&net, &never, &e).unwrap().verdict, Verdict::Unsat);
/// // relu(x) = 1 only at x = 1, which X_0 < 1 leaves out
/// let strict = "(declare-const X_0 Real)(declare-const Y_0 Real)(assert (< X_0 1))(assert (>= X_0 -1))";
/// let edge = read_vnnlib(&format!("{strict}(assert (>= Y_0 1))"), "p", 1, 1).unwrap();
/// assert_eq!(decide(&net, &edge, &e).unwrap().verdict, Verdict::Unsat);
/// ```
///
/// # Errors
/// A case whose box does not fit the network, or an exact check that failed.
pub fn decide(net: &Network, property: &Property, enumerator: &Enumerator) -> Result<Decision, DecideError> {
    // one stop token for every phase and every case (sampling, enumeration, the last batch),
    // [`crate::jobs::StopToken`]: the time limit becomes the run's deadline
    let start = std::time::Instant::now();
    let enumerator = &enumerator.anchored(start);
    let _stop = enumerator.stop_token(start).install();
    let mut decision = Decision {
        verdict: Verdict::Unsat,
        regions_visited: 0,
        pruned: 0,
        subtrees_pruned: 0,
        lps: 0,
        proof: None,
    };
    let mut leaves: Vec<Vec<ProofLeaf>> = vec![Vec::new(); property.cases.len()];
    // empty boxes need nothing; a box that fixes every input is one point
    let mut open = Vec::new();
    for (k, case) in property.cases.iter().enumerate() {
        if case.input_box.len() != net.input_dim() {
            let n = case.input_box.len();
            return Err(DecideError::Input(format!("{n} inputs, the network has {}", net.input_dim())));
        }
        if case.is_empty() {
            continue;
        }
        if case.free_inputs().is_empty() {
            decision.regions_visited += 1;
            let input: Vec<Q> = case.input_box.iter().map(|(lo, _)| lo.clone()).collect();
            if case.is_unsafe(&net.output(&input)) {
                decision.verdict = sat(net, case, input)?;
                return Ok(decision);
            }
            continue;
        }
        open.push(k);
    }
    // floats propose a few points of each box first (checked exactly): most violated
    // properties end here
    // (a case whose whole box its bounds prove safe is not sampled: the enumeration's root
    // discards it)
    if enumerator.backend().filter().on() {
        if let Some((k, input)) = open
            .iter()
            .filter(|&&k| !case::root_safe(net, &property.cases[k]))
            .find_map(|&k| falsify::falsify(net, &property.cases[k]).map(|x| (k, x)))
        {
            decision.verdict = sat(net, &property.cases[k], input)?;
            return Ok(decision);
        }
    }
    let mut complete = true;
    // the cases share the run's deadline (the enumerator is anchored above)
    for k in open {
        let outcome = case::decide_case(net, &property.cases[k], enumerator)?;
        decision.regions_visited += outcome.regions_visited;
        decision.pruned += outcome.pruned;
        decision.subtrees_pruned += outcome.subtrees_pruned;
        decision.lps += outcome.lps;
        match outcome.found {
            Some(input) => {
                decision.verdict = sat(net, &property.cases[k], input)?;
                return Ok(decision);
            }
            None if outcome.complete => leaves[k] = outcome.leaves,
            None => complete = false,
        }
    }
    if complete {
        decision.proof = Some(UnsatProof::new(leaves).for_network(net));
    } else {
        decision.verdict = Verdict::Unknown;
    }
    Ok(decision)
}

/// The counterexample `input` of `case`, re-checked from scratch: inside the box (strict sides
/// strictly), and the exact forward pass of the network gives unsafe outputs.
fn sat(net: &Network, case: &Case, input: Vec<Q>) -> Result<Verdict, InternalError> {
    let output = net.output(&input);
    if !(case.contains(&input) && case.is_unsafe(&output)) {
        return Err(InternalError::new("a counterexample failed its exact re-check"));
    }
    Ok(Verdict::Sat { input, output })
}

/// Why a property could not be decided.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecideError {
    /// The property's box does not fit the network.
    #[error("the property's input box: {0}")]
    Input(String),
    /// An exact check failed.
    #[error(transparent)]
    Internal(#[from] InternalError),
}
