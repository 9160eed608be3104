//! Checks the certificate of an `unsat` answer of `vnnlib` ([`crate::queries::property::UnsatProof`])
//! in exact arithmetic, case by case of the property (an empty box, or one that fixes every
//! input, is decided from the property itself: module `proof_cases`), on each case's tree:
//! - **network**: the proof's fingerprint, where it has one, is the network's own (module
//!   `proof_cases`);
//! - **cover**: the leaves' states, read as paths in the tree of neuron states (neurons and
//!   max units in order), are prefix-free, and wherever only one state of a neuron continues,
//!   the checker proves that neuron constant on the cell (on the whole case's box by integer
//!   sums, module `proof_box`; else a Farkas vector for `h >= 0` or `h <= 0` over the cell's
//!   rows, checked by exact sums; a neuron with `h` constant by its sign). A max unit's states are its `k` bits with one set (the winner); a candidate that
//!   wins in no leaf is shown to be at most a present one on the whole cell, or to win on no
//!   interior point (an implicit equality of its cell, or the cell empty). The cells of the
//!   leaves then cover the box;
//! - **regions** (every state fixed): the network is the checker's own exact affine map there,
//!   and each disjunct of the unsafe set, as rows over the inputs, is refuted with the cell's
//!   rows by an exact Farkas vector of infeasibility, or, for strict rows (strict constraints
//!   and strict sides of the case's box), by a strict row whose opposite the others imply;
//! - **pruned partial regions**: the box stated around the cell is proved to contain it (a
//!   Farkas vector per side), the symbolic interval bounds over that box (the kernel's proved
//!   filter, `kernel::symbolic`, the one piece shared with the prover) exclude some
//!   constraint of each disjunct, or imply a row that the cell's rows refute (cheapest first:
//!   a certified minimum above the row's bound, then the exact infeasibility test).
//!
//! The work is one exact implication per tree edge without a split, so checking costs a few
//! times what proving did (see docs/performance.md).

use super::certificates::{certified_min, implied, infeasible, no_interior};
use super::constraints::Row;
use super::implied::farkas_from_float_basis;
use super::int_map::{IntLayer, IntMap};
use super::proof_box::IntBox;
use super::proof_cases::{case_leaves, check_without_tree, same_network, Leaf};
use super::{CheckReport, Failure};
use crate::exact::num::{dot, Q};
use crate::forward::symbolic::SymbolicBounds;
use crate::network::vnnlib::{Case, Property};
use crate::network::{Activation, Domain, Network};
use num_traits::{Signed, Zero};
use serde_json::Value;

/// Checks `proof` (the `vnnlib --proof` document) for the network and property.
///
/// # Examples
/// ```
/// use relu_regions::{check::proof::check_proof, Enumerator, network::json::read_network};
/// use relu_regions::{queries::property::decide, network::vnnlib::read_vnnlib};
/// // relu(x) - relu(x - 1) stays in [0, 1] on [-2, 2]: reaching 2 is impossible
/// let net = read_network(r#"{"input_dim": 1, "layers": [
///     {"weights": [[1], [1]], "bias": [0, -1], "activation": "relu"},
///     {"weights": [[1, -1]], "activation": "linear"}]}"#, "t").unwrap();
/// let text = "(declare-const X_0 Real)(declare-const Y_0 Real)
///     (assert (>= X_0 -2))(assert (<= X_0 2))(assert (>= Y_0 2))";
/// let property = read_vnnlib(text, "p", 1, 1).unwrap();
/// let decision = decide(&net, &property, &Enumerator::builder().build()).unwrap();
/// let proof = decision.proof.expect("unsat").to_json();
/// assert!(check_proof(&net, &property, &proof).failures.is_empty());
/// // with a leaf removed, part of the box is not covered
/// let mut forged = proof.clone();
/// forged["leaves"].as_array_mut().unwrap().pop();
/// assert!(!check_proof(&net, &property, &forged).failures.is_empty());
/// ```
pub fn check_proof(net: &Network, property: &Property, proof: &Value) -> CheckReport {
    let mut report = CheckReport::default();
    let cases = match same_network(net, proof).and_then(|()| case_leaves(property, proof)) {
        Ok(cases) => cases,
        Err(m) => {
            report.failures.push(Failure { region: None, message: m });
            return report;
        }
    };
    let several = property.cases.len() > 1;
    for (k, (case, leaves)) in property.cases.iter().zip(&cases).enumerate() {
        let mut fail = |m: String| {
            report
                .failures
                .push(Failure { region: None, message: if several { format!("case {k}: {m}") } else { m } })
        };
        if let Some(failures) = check_without_tree(net, case, leaves) {
            failures.into_iter().for_each(&mut fail);
            continue;
        }
        let net = match crate::network::vnnlib::reduced_network(net, case) {
            Ok(n) => n,
            Err(e) => {
                fail(format!("the property does not fit the network: {e}"));
                continue;
            }
        };
        let mut walker = Walker::new(&net, case);
        walker.visit(Node::root(&net), leaves, 0);
        walker.failures.into_iter().for_each(&mut fail);
        report.regions += walker.leaves_checked;
    }
    report
}

/// A node of the tree: the cell's rows and where the composition stands.
#[derive(Clone)]
struct Node {
    rows: Vec<Row>,
    /// The affine map of the current layer's input.
    input: IntMap,
    /// The index of the current layer in the network.
    layer: usize,
    /// The states fixed in the current layer so far.
    bits: Vec<bool>,
}

impl Node {
    fn root(net: &Network) -> Node {
        let d = net.input_dim();
        // the box's rows (the property's network is on a box)
        let rows = net.domain().halfspaces(d);
        Node { rows, input: IntMap::identity(d), layer: 0, bits: Vec::new() }
    }
}

struct Walker<'a> {
    net: &'a Network,
    layers: Vec<IntLayer>,
    /// Each disjunct's constraints as objectives of the symbolic bounds, with their bounds.
    objectives: Vec<Vec<(crate::forward::symbolic::Objective, Q, bool)>>,
    property: &'a Case,
    /// The strict sides of the case's box, as rows over the free inputs (to hold strictly).
    sides: Vec<Row>,
    bounds: SymbolicBounds,
    /// The zonotope bounds over the case's box (`None`: an activation they do not take).
    zonotopes: Option<crate::forward::zonotope::Zonotopes>,
    /// The case's box in integers, for the first test of a neuron fixed without a split.
    int_box: IntBox,
    failures: Vec<String>,
    leaves_checked: usize,
}

impl<'a> Walker<'a> {
    fn new(net: &'a Network, property: &'a Case) -> Walker<'a> {
        let Domain::Box(b) = net.domain() else { unreachable!("a property's network is on a box") };
        let bounds = SymbolicBounds::new(net, b);
        let zonotopes = crate::forward::zonotope::Zonotopes::new(net, b);
        let layers = net.layers().iter().map(IntLayer::new).collect();
        let objectives = property
            .unsafe_set
            .iter()
            .map(|conj| {
                conj.iter().map(|c| (bounds.objective(&c.coefficients), c.rhs.clone(), c.strict)).collect()
            })
            .collect();
        let sides = strict_sides(property);
        let int_box = IntBox::new(b);
        Walker {
            net,
            layers,
            objectives,
            property,
            sides,
            bounds,
            zonotopes,
            int_box,
            failures: Vec::new(),
            leaves_checked: 0,
        }
    }

    /// Moves past linear layers to the next ReLU layer (or the output), composing exactly.
    fn skip_linear(&self, node: &mut Node) {
        let layers = self.net.layers();
        while node.layer < layers.len() && layers[node.layer].activation == Activation::Linear {
            node.input = self.layers[node.layer].compose(&node.input, None);
            node.layer += 1;
        }
    }

    /// `leaves` all start with the node's `depth` states.
    fn visit(&mut self, mut node: Node, leaves: &[Leaf], depth: usize) {
        if self.failures.len() > 20 || crate::runtime::stop::requested() {
            return;
        }
        self.skip_linear(&mut node);
        if let Some(first) = leaves.first().filter(|l| l.flat.len() == depth) {
            if leaves.len() > 1 {
                self.failures.push(format!("a leaf at depth {depth} is a prefix of another (cells overlap)"));
                return;
            }
            self.leaves_checked += 1;
            self.check_leaf(&node, first, depth);
            return;
        }
        if leaves.is_empty() || node.layer >= self.net.layers().len() {
            self.failures.push(format!("a state beyond the last neuron at depth {depth}"));
            return;
        }
        match self.net.layers()[node.layer].activation {
            Activation::Max(k) => self.visit_unit(node, leaves, depth, k),
            _ => self.visit_neuron(node, leaves, depth),
        }
    }

    /// The node's next ReLU neuron: the leaves continue with its state.
    fn visit_neuron(&mut self, node: Node, leaves: &[Leaf], depth: usize) {
        let j = node.bits.len();
        let (c_int, e_int) = self.layers[node.layer].preactivation(&node.input, j);
        let split = leaves.partition_point(|l| !l.flat[depth]);
        let (off, on) = leaves.split_at(split);
        let sides: Vec<(bool, &[Leaf])> =
            [(false, off), (true, on)].into_iter().filter(|(_, part)| !part.is_empty()).collect();
        // the state fixed without a split must be shown constant on the cell: first on the
        // whole box in integers (no gcd, no LP), then over the cell's rows
        let fixed = match sides[..] {
            [(side, _)] => Some(side),
            _ => None,
        };
        let minus_e = -&e_int;
        if fixed.is_some_and(|side| self.int_box.holds(&c_int, &minus_e, side)) {
            let mut child = node;
            child.bits.push(fixed.unwrap_or_default());
            self.descend(child, leaves, depth + 1);
            return;
        }
        let c: Vec<Q> = c_int.into_iter().map(Q::from_integer).collect();
        let e = Q::from_integer(e_int);
        let mut node = Some(node);
        for (n, &(side, part)) in sides.iter().enumerate() {
            // the side's row: on is -c.x <= e, off is c.x <= -e
            let row = if side {
                Row::new(c.iter().map(|v| -v).collect(), e.clone())
            } else {
                Row::new(c.clone(), -e.clone())
            };
            let Some(parent) = node.as_ref() else { return };
            if fixed.is_some() && !self.constant_on(&parent.rows, &row) {
                self.failures.push(format!(
                    "neuron {j} of layer {} is fixed {} without a split, but no proof that it is constant on its cell (depth {depth})",
                    parent.layer,
                    u8::from(side)
                ));
                return;
            }
            // the last side takes the node itself (no copy of its rows and map)
            let Some(mut child) = (if n + 1 == sides.len() { node.take() } else { node.clone() }) else {
                return;
            };
            if fixed.is_none() && c.iter().any(|v| !v.is_zero()) {
                child.rows.push(row);
            }
            child.bits.push(side);
            self.descend(child, part, depth + 1);
        }
    }

    /// The node's next max unit of `k` candidates: the leaves continue with its `k` bits,
    /// exactly one set (the winner). A present winner `t` gets the cell where it is largest
    /// (rows `c_s <= c_t`); every absent candidate is shown to add no point: a present one is
    /// at least as large on the whole cell, or its own cell has no interior (then the closed
    /// cells of the others cover the node's cell up to a nowhere dense set, hence wholly,
    /// since a finite union of closed cells is closed; see docs/algorithm.md).
    fn visit_unit(&mut self, node: Node, leaves: &[Leaf], depth: usize, k: usize) {
        let unit = node.bits.len() / k;
        let mut groups: Vec<(usize, &[Leaf])> = Vec::new();
        let mut start = 0;
        while start < leaves.len() {
            let Some(t) = winner(&leaves[start].flat, depth, k) else {
                self.failures.push(format!(
                    "a leaf's states for max unit {unit} of layer {} are not one winner among {k} (depth {depth})",
                    node.layer
                ));
                return;
            };
            let end =
                start + leaves[start..].iter().take_while(|l| winner(&l.flat, depth, k) == Some(t)).count();
            groups.push((t, &leaves[start..end]));
            start = end;
        }
        let first = node.bits.len();
        let candidates: Vec<(Vec<Q>, Q)> = (0..k)
            .map(|t| {
                let (c, e) = self.layers[node.layer].preactivation(&node.input, first + t);
                (c.into_iter().map(Q::from_integer).collect(), Q::from_integer(e))
            })
            .collect();
        // `c_s . x + e_s <= c_t . x + e_t`
        let at_most = |s: usize, t: usize| {
            let ((cs, es), (ct, et)) = (&candidates[s], &candidates[t]);
            Row::new(cs.iter().zip(ct).map(|(a, b)| a - b).collect(), et - es)
        };
        for u in (0..k).filter(|u| groups.iter().all(|(t, _)| t != u)) {
            let dominated = groups.iter().any(|(t, _)| self.constant_on(&node.rows, &at_most(u, *t)));
            let cell = || -> Vec<Row> { (0..k).filter(|s| *s != u).map(|s| at_most(s, u)).collect() };
            if !dominated && !no_interior(&node.rows, &cell()) {
                self.failures.push(format!(
                    "candidate {u} of max unit {unit} of layer {} never wins in the proof, but it is not shown to win nowhere (depth {depth})",
                    node.layer
                ));
                return;
            }
        }
        let split = groups.len() > 1;
        for (t, part) in groups {
            let mut child = node.clone();
            if split {
                let rows = (0..k).filter(|s| *s != t).map(|s| at_most(s, t));
                child.rows.extend(rows.filter(|r| r.a.iter().any(|v| !v.is_zero()) || r.b.is_negative()));
            }
            child.bits.extend((0..k).map(|s| s == t));
            self.descend(child, part, depth + k);
        }
    }

    /// Visits a child whose states grew: past the end of its layer, the layer is composed
    /// (masked by the states) and the walk moves to the next layer.
    fn descend(&mut self, mut child: Node, leaves: &[Leaf], depth: usize) {
        if child.bits.len() == self.net.layers()[child.layer].width() {
            let bits = std::mem::take(&mut child.bits);
            child.input = self.layers[child.layer].compose(&child.input, Some(&bits));
            child.layer += 1;
        }
        self.visit(child, leaves, depth);
    }

    /// Whether the row holds on the whole cell (no split needed): exact (a Farkas vector on a
    /// float LP's basis first, then the exact tests of [`implied`]).
    fn constant_on(&self, rows: &[Row], row: &Row) -> bool {
        if row.a.iter().all(Zero::is_zero) {
            return !row.b.is_negative();
        }
        farkas_from_float_basis(rows, row) || implied(rows, row)
    }

    fn check_leaf(&mut self, node: &Node, leaf: &Leaf, depth: usize) {
        if leaf.pruned {
            self.check_pruned(node, leaf, depth);
        } else {
            self.check_region(node, depth);
        }
    }

    /// Every neuron fixed: the map is affine; each disjunct's rows with the cell's are infeasible.
    fn check_region(&mut self, node: &Node, depth: usize) {
        if node.layer != self.net.layers().len() {
            self.failures.push(format!("a region leaf at depth {depth} does not fix every neuron"));
            return;
        }
        // y = (jac x + off) / den: c . y <= rhs is c . jac x <= rhs den - c . off
        let map = &node.input;
        let jac: Vec<Vec<Q>> =
            map.jac.iter().map(|r| r.iter().cloned().map(Q::from_integer).collect()).collect();
        let off: Vec<Q> = map.off.iter().cloned().map(Q::from_integer).collect();
        let den = Q::from_integer(map.den.clone());
        for (k, conj) in self.property.unsafe_set.iter().enumerate() {
            let d = self.net.input_dim();
            let over_x: Vec<Row> = conj
                .iter()
                .map(|c| {
                    let a = (0..d)
                        .map(|j| c.coefficients.iter().zip(&jac).map(|(ck, r)| ck * &r[j]).sum())
                        .collect();
                    Row::new(a, &c.rhs * &den - dot(&c.coefficients, &off))
                })
                .collect();
            let constraints: Vec<(Row, bool)> =
                over_x.into_iter().zip(conj.iter().map(|c| c.strict)).collect();
            // on the closed box first; then with its strict sides as strict rows
            let refuted = refutes(&node.rows, &constraints)
                || (!self.sides.is_empty() && {
                    let sides = self.sides.iter().map(|r| (r.clone(), true));
                    refutes(&node.rows, &constraints.iter().cloned().chain(sides).collect::<Vec<_>>())
                });
            if !refuted {
                self.failures.push(format!(
                    "a region (depth {depth}) is not shown to miss disjunct {k} of the unsafe set"
                ));
                return;
            }
        }
    }
}

impl Walker<'_> {
    /// A pruned leaf's test (module `proof_pruned`), its failure recorded.
    fn check_pruned(&mut self, node: &Node, leaf: &Leaf, depth: usize) {
        let pruning = super::proof_pruned::Pruning {
            net: self.net,
            bounds: &self.bounds,
            zonotopes: self.zonotopes.as_ref(),
            objectives: &self.objectives,
            property: self.property,
        };
        if let Err(m) = pruning.check(&node.rows, leaf, depth) {
            self.failures.push(m);
        }
    }
}

/// Whether no point of the cell meets every constraint (each strict or not): some
/// constraint's certified minimum over the cell and the others exceeds its bound (reaches it,
/// for a strict one); the closed system has no point; or, for a strict constraint `g.x < beta`,
/// the cell and the others (closed) imply `g.x >= beta`. Complete by Motzkin's transposition
/// theorem: when the closed system has points but the strict one none, a multiplier vector
/// puts weight on some strict row, whose opposite the others then imply.
fn refutes(cell: &[Row], constraints: &[(Row, bool)]) -> bool {
    let others = |i: usize| -> Vec<Row> {
        let rest = constraints.iter().enumerate().filter(|(m, _)| *m != i).map(|(_, (r, _))| r.clone());
        cell.iter().cloned().chain(rest).collect()
    };
    let all: Vec<Row> = cell.iter().cloned().chain(constraints.iter().map(|(r, _)| r.clone())).collect();
    constraints.iter().enumerate().any(|(i, (g, strict))| {
        matches!(certified_min(&others(i), &g.a), Some(min) if min > g.b || (*strict && min == g.b))
    }) || infeasible(&all)
        || constraints.iter().enumerate().any(|(i, (g, strict))| {
            *strict && implied(&others(i), &Row::new(g.a.iter().map(|v| -v).collect(), -g.b.clone()))
        })
}

/// The strict sides of a case's box as rows over its free inputs: `-x_k <= -lo` for `lo < x`,
/// `x_k <= hi` for `x < hi` (each to hold strictly).
fn strict_sides(case: &Case) -> Vec<Row> {
    let free = case.free_inputs();
    let unit = |k: usize, v: i64| -> Vec<Q> {
        (0..free.len()).map(|j| Q::from_integer(if j == k { v.into() } else { 0.into() })).collect()
    };
    let mut rows = Vec::new();
    for (k, &i) in free.iter().enumerate() {
        let ((lo, hi), (sl, sh)) = (&case.input_box[i], case.strict[i]);
        if sl {
            rows.push(Row::new(unit(k, -1), -lo.clone()));
        }
        if sh {
            rows.push(Row::new(unit(k, 1), hi.clone()));
        }
    }
    rows
}

/// The winner of a max unit of `k` candidates whose bits start at `depth`: the one bit set.
fn winner(flat: &[bool], depth: usize, k: usize) -> Option<usize> {
    let bits = flat.get(depth..depth + k)?;
    let mut set = bits.iter().enumerate().filter(|(_, b)| **b).map(|(t, _)| t);
    match (set.next(), set.next()) {
        (Some(t), None) => Some(t),
        _ => None,
    }
}

/// The flat states split into layers with states (the last possibly a prefix).
pub(super) fn split_states(net: &Network, flat: &[bool]) -> Vec<Vec<bool>> {
    let mut out = Vec::new();
    let mut rest = flat;
    for layer in net.layers().iter().filter(|l| l.activation.has_states()) {
        if rest.is_empty() {
            break;
        }
        let take = layer.width().min(rest.len());
        out.push(rest[..take].to_vec());
        rest = &rest[take..];
    }
    out
}
