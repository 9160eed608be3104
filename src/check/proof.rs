//! Checks the certificate of an `unsat` answer of `vnnlib` ([`crate::queries::property::UnsatProof`])
//! in exact arithmetic, case by case of the property (an empty box, or one that fixes every
//! input, is decided from the property itself: module `proof_cases`), on each case's tree:
//! - **network**: the proof's fingerprint, where it has one, is the network's own (module
//!   `proof_cases`);
//! - **cover**: the leaves' states, read as paths in the tree of neuron states (neurons and
//!   max units in order), are prefix-free, and wherever only one state of a neuron continues,
//!   the checker proves that neuron constant on the cell (on the whole case's box by integer
//!   sums, module `proof_box`; else the kernel's safe dual bound, on a float LP's multipliers,
//!   that `h < 0` or `h > 0` has no point of the cell, or a Farkas vector for `h >= 0` or
//!   `h <= 0` over the cell's rows, checked by exact sums; a neuron with `h` constant by its
//!   sign). A max unit's states are its `k` bits with one set (the winner); a candidate that
//!   wins in no leaf is shown to be at most a present one on the whole cell, or to win on no
//!   interior point (an implicit equality of its cell, or the cell empty). The cells of the
//!   leaves then cover the box;
//! - **regions** (every state fixed): the network is the checker's own exact affine map there,
//!   and each disjunct of the unsafe set, as rows over the inputs, is refuted with the cell's
//!   rows (module `proof_region`);
//! - **pruned partial regions**: the box stated around the cell is proved to contain it (a
//!   Farkas vector per side), the symbolic interval bounds over that box (the kernel's proved
//!   filter, `kernel::symbolic`, the one piece shared with the prover) exclude some
//!   constraint of each disjunct, or imply a row that the cell's rows refute (cheapest first:
//!   a certified minimum above the row's bound, then the exact infeasibility test).
//!
//! The work is one implication per tree edge without a split, mostly one float LP whose
//! multipliers the kernel's proved error bound accepts, and the layers' exact preactivations
//! once per node that enters a layer (shared by the nodes below it): checking costs about what
//! proving did (see docs/performance.md).

use super::certificates::{implied_within, no_interior};
use super::constraints::Row;
use super::int_map::{IntLayer, RowMap};
use super::proof_box::IntBox;
use super::proof_cases::{case_leaves, check_without_tree, same_network, Leaf};
use super::{CheckReport, Failure};
use crate::exact::num::Q;
use crate::forward::symbolic::SymbolicBounds;
use crate::kernel::float_box::FloatBox;
use crate::network::vnnlib::{Case, Property};
use crate::network::{Activation, Domain, Network};
use num_traits::{Signed, Zero};
use serde_json::Value;
use std::rc::Rc;

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
        let root = walker.root();
        walker.visit(root, leaves, 0);
        walker.failures.into_iter().for_each(&mut fail);
        report.regions += walker.leaves_checked;
    }
    report
}

/// A node of the tree: the cell's rows and where the composition stands.
#[derive(Clone)]
struct Node {
    rows: Vec<Row>,
    /// The current layer's preactivations as affine maps of the input (computed once as the
    /// walk enters the layer, shared by the nodes below); past the last layer, the network's
    /// output map.
    pre: Rc<RowMap>,
    /// The index of the current layer in the network (a layer with states, or the end).
    layer: usize,
    /// The states fixed in the current layer so far.
    bits: Vec<bool>,
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
    /// The case's box in floats, for the safe dual bounds of the cells in it.
    float_box: FloatBox,
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
        let float_box = FloatBox::of_box(b);
        Walker {
            net,
            layers,
            objectives,
            property,
            sides,
            bounds,
            zonotopes,
            int_box,
            float_box,
            failures: Vec::new(),
            leaves_checked: 0,
        }
    }

    /// The root: the case's box (the property's network is on a box), the first layer entered.
    fn root(&self) -> Node {
        let d = self.net.input_dim();
        let (layer, pre) = self.enter(0, RowMap::identity(d));
        Node { rows: self.net.domain().halfspaces(d), pre, layer, bits: Vec::new() }
    }

    /// Enters layer `layer` with `input` the map of its input: composes exactly past linear
    /// layers to the next layer with states, and gives it and its preactivations (past the last
    /// layer, the end and the output map).
    fn enter(&self, mut layer: usize, mut input: RowMap) -> (usize, Rc<RowMap>) {
        let layers = self.net.layers();
        while layer < layers.len() {
            let pre = self.layers[layer].compose_rows(&input);
            if layers[layer].activation != Activation::Linear {
                return (layer, Rc::new(pre));
            }
            input = pre;
            layer += 1;
        }
        (layer, Rc::new(input))
    }

    /// Neuron `j`'s preactivation at the node, as integer numerators `(c, e)` over the map's
    /// positive denominator.
    fn preactivation(&self, node: &Node, j: usize) -> (Vec<num_bigint::BigInt>, num_bigint::BigInt) {
        (node.pre.rows[j].to_dense(self.net.input_dim()), node.pre.off[j].clone())
    }

    /// `leaves` all start with the node's `depth` states.
    fn visit(&mut self, node: Node, leaves: &[Leaf], depth: usize) {
        if self.failures.len() > 20 || crate::runtime::stop::requested() {
            return;
        }
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
        let (c_int, e_int) = self.preactivation(&node, j);
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
                let (c, e) = self.preactivation(&node, first + t);
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

    /// Visits a child whose states grew: past the end of its layer, the layer's output is its
    /// preactivations masked by the states (a relu neuron off, a max unit's losing candidates
    /// pass 0), and the walk enters the next layer.
    fn descend(&mut self, mut child: Node, leaves: &[Leaf], depth: usize) {
        if child.bits.len() == self.net.layers()[child.layer].width() {
            let bits = std::mem::take(&mut child.bits);
            let mut output = (*child.pre).clone();
            bits.iter().enumerate().filter(|(_, on)| !**on).for_each(|(i, _)| output.clear(i));
            (child.layer, child.pre) = self.enter(child.layer + 1, output);
        }
        self.visit(child, leaves, depth);
    }

    /// Whether the row holds on the whole cell (no split needed), by the tests of
    /// [`implied_within`] the case's box.
    fn constant_on(&self, rows: &[Row], row: &Row) -> bool {
        if row.a.iter().all(Zero::is_zero) {
            return !row.b.is_negative();
        }
        implied_within(rows, &self.float_box, row)
    }

    fn check_leaf(&mut self, node: &Node, leaf: &Leaf, depth: usize) {
        if leaf.pruned {
            self.check_pruned(node, leaf, depth);
        } else {
            self.check_region(node, depth);
        }
    }

    /// Every neuron fixed: the map is affine; each disjunct's rows with the cell's are
    /// infeasible (module `proof_region`).
    fn check_region(&mut self, node: &Node, depth: usize) {
        if node.layer != self.net.layers().len() {
            self.failures.push(format!("a region leaf at depth {depth} does not fix every neuron"));
            return;
        }
        let of = super::proof_region::Disjuncts {
            case: self.property,
            sides: &self.sides,
            float_box: &self.float_box,
        };
        if let Err(k) = super::proof_region::misses(&node.rows, &node.pre, &of) {
            self.failures.push(format!(
                "a region (depth {depth}) is not shown to miss disjunct {k} of the unsafe set"
            ));
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
            float_box: &self.float_box,
            objectives: &self.objectives,
            property: self.property,
        };
        if let Err(m) = pruning.check(&node.rows, leaf, depth) {
            self.failures.push(m);
        }
    }
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
