//! Deciding a VNN-LIB property exactly: is there an input in the box whose outputs lie in the
//! unsafe set?
//!
//! The regions of the box are enumerated in their deterministic order; on each, the network is
//! the affine map `y = J x + c`, so a disjunct `C y <= d` of the unsafe set is the polyhedron
//! `C J x <= d - C c` intersected with the region. Each intersection is decided with a
//! certificate:
//! - a rational point of the region whose exact outputs are unsafe (the region's own point, or
//!   a point of the intersection): `sat`, and the run stops at the first one;
//! - emptiness: an interval bound over the box for one row (computed by the kernel with its
//!   proved error bound), or a Farkas vector `y >= 0`, `A^T y = 0`, `b . y < 0` checked exactly
//!   (from the centring LP, or the exact simplex when its certificate only excludes interior
//!   points).
//!
//! Every counterexample is re-checked from scratch before it is reported: inside the box, and the
//! network's exact forward pass (not the region's map) gives outputs in the unsafe set. `unsat`
//! means every region was shown unable to reach the unsafe set; a run stopped by a limit is
//! `unknown`.

use crate::certify::safe::{proves_empty_floats, FloatBox};
use crate::certify::{reach, LpStats, Reach};
use crate::enumerate::{Enumerator, Prune, RegionSink};
use prune::SafetyPruner;

mod falsify;
pub mod proof;
mod prune;

use crate::error::InternalError;
use crate::lp::simplex::{solve, LpOutcome};
use crate::network::{Domain, Network};
use crate::num::{dot, Q};
use crate::poly::Halfspace;
use crate::region::Region;
use crate::vnnlib::Property;
use num_traits::{Signed, Zero};
pub use proof::{ProofLeaf, UnsatProof};
use std::ops::ControlFlow;

/// The answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A counterexample: an exact input in the box and its exact outputs, in the unsafe set.
    Sat {
        /// The input.
        input: Vec<Q>,
        /// The network's outputs there.
        output: Vec<Q>,
    },
    /// No input of the box reaches the unsafe set.
    Unsat,
    /// A limit stopped the run first.
    Unknown,
}

/// The answer with what it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The verdict.
    pub verdict: Verdict,
    /// Regions examined.
    pub regions_visited: usize,
    /// (region, disjunct) pairs settled by a bound, without an LP.
    pub pruned: usize,
    /// Partial regions discarded whole: symbolic bounds over the box with their fixed neurons,
    /// or a safe dual bound over their rows, showed the unsafe set out of reach.
    pub subtrees_pruned: usize,
    /// LPs asked.
    pub lps: u64,
    /// For `unsat`: the leaves of the tree, for [`crate::check::proof`] to re-verify.
    pub proof: Option<UnsatProof>,
}

/// Decides the property on the network (whose domain is replaced by the property's box).
///
/// # Examples
/// ```
/// use relu_regions::{enumerate::Enumerator, network::json::read_network};
/// use relu_regions::property::{decide, Verdict};
/// use relu_regions::vnnlib::read_vnnlib;
/// // relu(x) on [-1, 1]: it reaches 1/2, never -1/2
/// let net = read_network(r#"{"input_dim": 1, "layers": [
///     {"weights": [[1]], "activation": "relu"}, {"weights": [[1]], "activation": "linear"}]}"#, "t").unwrap();
/// let e = Enumerator::builder().build();
/// let head = "(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= X_0 1))(assert (>= X_0 -1))";
/// let reach = read_vnnlib(&format!("{head}(assert (>= Y_0 0.5))"), "p", 1, 1).unwrap();
/// assert!(matches!(decide(&net, &reach, &e).unwrap().verdict, Verdict::Sat { .. }));
/// let never = read_vnnlib(&format!("{head}(assert (<= Y_0 -0.5))"), "p", 1, 1).unwrap();
/// assert_eq!(decide(&net, &never, &e).unwrap().verdict, Verdict::Unsat);
/// ```
pub fn decide(net: &Network, property: &Property, enumerator: &Enumerator) -> Result<Decision, DecideError> {
    // one stop token for every phase (sampling, enumeration, the last batch), [`crate::stop`]
    let start = std::time::Instant::now();
    let enumerator = &enumerator.anchored(start);
    let _stop = enumerator.stop_token(start).install();
    // inputs fixed by the property (lo = hi) are folded into the first layer's bias
    let free: Vec<usize> =
        (0..net.input_dim()).filter(|&i| property.input_box[i].0 < property.input_box[i].1).collect();
    if free.is_empty() {
        let input: Vec<Q> = property.input_box.iter().map(|(lo, _)| lo.clone()).collect();
        let output = net.output(&input);
        let verdict =
            if property.is_unsafe(&output) { Verdict::Sat { input, output } } else { Verdict::Unsat };
        let proof = (verdict == Verdict::Unsat).then(UnsatProof::default);
        return Ok(Decision { verdict, regions_visited: 1, pruned: 0, subtrees_pruned: 0, lps: 0, proof });
    }
    // floats propose a few points first (checked exactly): most violated properties end here
    if enumerator.backend().filter().on() {
        if let Some(input) = falsify::falsify(net, property) {
            let output = net.output(&input);
            let verdict = Verdict::Sat { input, output };
            return Ok(Decision {
                verdict,
                regions_visited: 0,
                pruned: 0,
                subtrees_pruned: 0,
                lps: 0,
                proof: None,
            });
        }
    }
    let reduced = fold_fixed_inputs(net, property, &free).map_err(|e| DecideError::Input(e.to_string()))?;
    let expand = |x: Vec<Q>| -> Vec<Q> {
        let mut full: Vec<Q> = property.input_box.iter().map(|(lo, _)| lo.clone()).collect();
        for (&i, v) in free.iter().zip(x) {
            full[i] = v;
        }
        full
    };
    let boxed = &reduced;
    let prepared = enumerator.prepare(boxed);
    let mut sink = PropertySink {
        property,
        bx: prepared.float_box().cloned(),
        backend: enumerator.backend().solver(),
        threads: enumerator.thread_count().max(1),
        batch: Vec::new(),
        found: None,
        failure: None,
        stopped: false,
        leaves: Vec::new(),
        visited: 0,
        pruned: 0,
        stats: LpStats::default(),
    };
    let pruner = enumerator.backend().filter().on().then(|| SafetyPruner::new(boxed, property)).flatten();
    let mut summary =
        enumerator.enumerate_pruned(&prepared, &mut sink, pruner.as_ref().map(|p| p as &dyn Prune));
    if sink.found.is_none() && sink.failure.is_none() && !sink.stopped {
        let _ = sink.flush();
    }
    if let Some(failure) = summary.failure.take().or(sink.failure.take()) {
        return Err(failure.into());
    }
    let verdict = match sink.found.take().map(expand) {
        Some(input) => {
            let inside = property.input_box.iter().zip(&input).all(|((lo, hi), v)| lo <= v && v <= hi);
            let output = net.output(&input);
            if !(inside && property.is_unsafe(&output)) {
                return Err(InternalError::new("a counterexample failed its exact re-check").into());
            }
            Verdict::Sat { input, output }
        }
        None if summary.complete() && !sink.stopped => Verdict::Unsat,
        None => Verdict::Unknown,
    };
    let proof = (verdict == Verdict::Unsat).then(|| {
        let mut leaves = std::mem::take(&mut sink.leaves);
        if let Some(p) = &pruner {
            leaves.extend(p.take_leaves());
        }
        UnsatProof::new(leaves)
    });
    let lps = summary.stats.lps + sink.stats.lps;
    Ok(Decision {
        verdict,
        regions_visited: sink.visited,
        pruned: sink.pruned,
        subtrees_pruned: summary.discarded,
        lps,
        proof,
    })
}

/// The network on the free inputs only, the fixed ones folded into the first layer's bias, on
/// the box of the free inputs (what `decide` enumerates, and what its proofs are about).
///
/// # Examples
/// ```
/// use relu_regions::{network::json::read_network, property::reduced_network, vnnlib::read_vnnlib};
/// let net = read_network(r#"{"input_dim": 2, "layers": [
///     {"weights": [[1, 2]], "bias": [1], "activation": "relu"}]}"#, "t").unwrap();
/// // X_1 = 3 is fixed: relu(x0 + 2 * 3 + 1) on the box of x0
/// let text = "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)
///     (assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 3))(assert (<= X_1 3))(assert (<= Y_0 0))";
/// let reduced = reduced_network(&net, &read_vnnlib(text, "p", 2, 1).unwrap()).unwrap();
/// assert_eq!(reduced.input_dim(), 1);
/// assert_eq!(reduced.layers()[0].bias[0], relu_regions::num::q(7));
/// ```
pub fn reduced_network(net: &Network, property: &Property) -> Result<Network, crate::error::NetworkError> {
    let free: Vec<usize> =
        (0..net.input_dim()).filter(|&i| property.input_box[i].0 < property.input_box[i].1).collect();
    fold_fixed_inputs(net, property, &free)
}

fn fold_fixed_inputs(
    net: &Network,
    property: &Property,
    free: &[usize],
) -> Result<Network, crate::error::NetworkError> {
    let mut layers = net.layers().to_vec();
    let first = &mut layers[0];
    for (row, bias) in first.weights.rows().zip(first.bias.iter_mut()) {
        for (i, w) in row {
            let (lo, hi) = &property.input_box[*i];
            if lo == hi {
                *bias += w * lo;
            }
        }
    }
    let mut new_column = vec![None; first.weights.inputs()];
    for (k, &i) in free.iter().enumerate() {
        new_column[i] = Some(k);
    }
    first.weights = first.weights.map_rows(free.len(), |row| {
        row.iter().filter_map(|(i, w)| Some((new_column[*i]?, w.clone()))).collect()
    });
    let bounds = free.iter().map(|&i| property.input_box[i].clone()).collect();
    Network::new(free.len(), layers, Domain::Box(bounds))
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

/// Regions checked together, in parallel (the earliest counterexample in enumeration order is
/// kept, so the answer does not depend on the thread count).
const BATCH: usize = 1024;

struct PropertySink<'a> {
    property: &'a Property,
    /// The regions examined (leaves of the proof when the answer is `unsat`).
    leaves: Vec<ProofLeaf>,
    bx: Option<FloatBox>,
    backend: &'static dyn crate::lp::LpBackend,
    threads: usize,
    batch: Vec<Region>,
    found: Option<Vec<Q>>,
    failure: Option<InternalError>,
    /// Set when the run's stop token stopped the checks of a batch (the answer is then unknown).
    stopped: bool,
    visited: usize,
    pruned: usize,
    stats: LpStats,
}

impl RegionSink for PropertySink<'_> {
    fn region(&mut self, region: Region) -> ControlFlow<()> {
        self.batch.push(region);
        if self.batch.len() < BATCH {
            return ControlFlow::Continue(());
        }
        self.flush()
    }
}

/// What checking one region gave: a counterexample, how many checks bounds settled, the LPs.
type Checked = (Result<Option<Vec<Q>>, InternalError>, usize, LpStats);

impl PropertySink<'_> {
    /// Checks the waiting regions in parallel; `Break` once a counterexample or a failure is
    /// found (the earliest in enumeration order).
    fn flush(&mut self) -> ControlFlow<()> {
        let batch = std::mem::take(&mut self.batch);
        self.leaves.extend(batch.iter().map(|r| ProofLeaf {
            states: r.pattern.clone(),
            pruned: false,
            within: None,
        }));
        let checker = Checker { property: self.property, bx: self.bx.as_ref(), backend: self.backend };
        let parts = crate::parallel::map_chunks(&batch, self.threads, 4, |part| {
            part.iter().map(|r| checker.examine(r)).collect::<Vec<Checked>>()
        });
        for (outcome, pruned, stats) in parts.into_iter().flatten() {
            self.visited += 1;
            self.pruned += pruned;
            self.stats.add(&stats);
            match outcome {
                Ok(None) => {}
                Ok(Some(x)) => {
                    self.found = Some(x);
                    return ControlFlow::Break(());
                }
                // an exact solve that gave up because the run must stop: no answer, no failure
                Err(_) if crate::stop::requested() => self.stopped = true,
                Err(e) => {
                    self.failure = Some(e);
                    return ControlFlow::Break(());
                }
            }
        }
        if self.stopped {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

/// What the checks of one region share: its neuron rows, its bound LP on a box domain, and its
/// exact outputs at its point (formed on first use).
struct Local<'r> {
    region: &'r Region,
    neurons: Vec<&'r Halfspace>,
    bound_lp: Option<crate::lp::boxed::BoxLp>,
    outputs: std::cell::OnceCell<Vec<Q>>,
}

/// The per-region work, shared by the threads.
struct Checker<'a> {
    property: &'a Property,
    bx: Option<&'a FloatBox>,
    backend: &'static dyn crate::lp::LpBackend,
}

impl Checker<'_> {
    /// A point of the region with unsafe outputs, if there is one.
    fn examine(&self, region: &Region) -> Checked {
        let mut stats = LpStats::default();
        let mut pruned = 0;
        let neurons: Vec<&Halfspace> = region
            .constraints
            .iter()
            .filter(|c| matches!(c.origin, crate::region::Origin::Neuron(_)))
            .map(|c| &*c.halfspace)
            .collect();
        let bound_lp = self.bx.and_then(|bx| crate::lp::boxed::BoxLp::new(&neurons, bx));
        // the exact outputs at the region's point, formed once and only if some disjunct needs them
        let local = Local { region, neurons, bound_lp, outputs: std::cell::OnceCell::new() };
        for conj in &self.property.unsafe_set {
            match self.reach(&local, conj, &mut pruned, &mut stats) {
                Ok(None) => {}
                other => return (other, pruned, stats),
            }
        }
        (Ok(None), pruned, stats)
    }

    /// A point of the region where every constraint of `conj` holds, or a proof there is none.
    fn reach(
        &self,
        local: &Local<'_>,
        conj: &[crate::vnnlib::OutputConstraint],
        pruned: &mut usize,
        stats: &mut LpStats,
    ) -> Result<Option<Vec<Q>>, InternalError> {
        let region = local.region;
        // C (J x + c) <= d  as rows over x
        let mut rows: Vec<Halfspace> = Vec::with_capacity(conj.len());
        for c in conj {
            let a: Vec<Q> = (0..region.point.len())
                .map(|j| c.coefficients.iter().zip(&region.map.jacobian).map(|(ck, row)| ck * &row[j]).sum())
                .collect();
            let b = &c.rhs - dot(&c.coefficients, &region.map.offset);
            let row = Halfspace::new(a, b);
            if row.is_trivial() {
                if row.b.is_negative() || (c.strict && row.b.is_zero()) {
                    *pruned += 1;
                    return Ok(None);
                }
                continue;
            }
            if self.no_point(&row, &local.neurons, local.bound_lp.as_ref(), stats) {
                *pruned += 1;
                return Ok(None);
            }
            rows.push(row);
        }
        // a disjunct no bound excludes: the region's own point may already be unsafe
        let at_point = local.outputs.get_or_init(|| region.map.apply(&region.point));
        if conj.iter().all(|c| c.holds(at_point)) {
            return Ok(Some(region.point.clone()));
        }
        let Some(side) = rows.pop() else {
            // every constraint holds on the whole region: its point is a counterexample
            return Ok(Some(region.point.clone()));
        };
        let others: Vec<&Halfspace> =
            region.halfspaces().into_iter().filter(|h| !h.is_trivial()).chain(rows.iter()).collect();
        let mut all = others.clone();
        all.push(&side);
        match reach(&others, &side, self.bx, self.backend, stats)? {
            Reach::Interior(x) => Ok(Some(x)),
            Reach::NoPoint => {
                *pruned += 1;
                Ok(None)
            }
            Reach::NoInterior(y) => {
                let rhs: Q = all.iter().zip(&y).map(|(h, yi)| &h.b * yi).sum();
                if rhs.is_negative() {
                    return Ok(None); // a Farkas vector: no point at all, not even on the boundary
                }
                closed_point(&all, conj.iter().any(|c| c.strict), stats)
            }
        }
    }

    /// Proves that the row holds at no point of the region (box domains): by interval
    /// arithmetic over the box, or by a safe dual bound from the region's bound LP.
    fn no_point(
        &self,
        row: &Halfspace,
        neurons: &[&Halfspace],
        bound_lp: Option<&crate::lp::boxed::BoxLp>,
        stats: &mut LpStats,
    ) -> bool {
        let Some(bx) = self.bx else { return false };
        if proves_empty_floats(&[], row.float_a(), row.float_b(), None, bx) {
            return true;
        }
        let Some(lp) = bound_lp else { return false };
        stats.lps += 1;
        stats.bound_lps += 1;
        matches!(lp.minimize(row.float_a()), Some(opt) if opt.value > row.float_b()
            && proves_empty_floats(neurons, row.float_a(), row.float_b(), Some(&opt.y), bx))
    }
}

/// The non-strict system, decided by the exact simplex (only when the strict one is empty
/// with a certificate that leaves the boundary open). With strict atoms no boundary point
/// can count, since the strict system has no point.
fn closed_point(
    all: &[&Halfspace],
    strict: bool,
    stats: &mut LpStats,
) -> Result<Option<Vec<Q>>, InternalError> {
    if strict {
        return Ok(None);
    }
    stats.lps += 1;
    stats.exact_fallbacks += 1;
    let a: Vec<Vec<Q>> = all.iter().map(|h| h.a.clone()).collect();
    let b: Vec<Q> = all.iter().map(|h| h.b.clone()).collect();
    let zero = vec![Q::zero(); a.first().map_or(0, Vec::len)];
    match solve(&a, &b, &zero, usize::MAX) {
        Some(LpOutcome::Optimal { x, .. }) if all.iter().all(|h| !h.slack(&x).is_negative()) => Ok(Some(x)),
        Some(LpOutcome::Infeasible { y }) => {
            let combination =
                (0..zero.len()).all(|j| a.iter().zip(&y).map(|(r, yi)| &r[j] * yi).sum::<Q>().is_zero());
            if combination && crate::lp::simplex::all_nonnegative(&y) && dot(&b, &y).is_negative() {
                Ok(None)
            } else {
                Err(InternalError::new("property: an exact Farkas vector failed its check"))
            }
        }
        other => Err(InternalError::new(format!("property: the exact simplex answered {other:?}"))),
    }
}
