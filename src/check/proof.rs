//! Checks the certificate of an `unsat` answer of `vnnlib` ([`crate::property::UnsatProof`])
//! in exact arithmetic:
//! - **cover**: the leaves' states, read as paths in the tree of neuron states (neurons in
//!   order), are prefix-free, and wherever only one state of a neuron continues, the checker
//!   proves that neuron constant on the cell (a Farkas vector for `h >= 0` or `h <= 0` over the
//!   cell's rows, checked by exact sums; a neuron with `h` constant by its sign). The cells of
//!   the leaves then cover the box;
//! - **regions** (every state fixed): the network is the checker's own exact affine map there,
//!   and each disjunct of the unsafe set, as rows over the inputs, is refuted with the cell's
//!   rows by an exact Farkas vector of infeasibility;
//! - **pruned partial regions**: the box stated around the cell is proved to contain it (a
//!   Farkas vector per side), the symbolic interval bounds over that box (the kernel's proved
//!   filter, [`crate::kernel::symbolic`], the one piece shared with the prover) exclude some
//!   constraint of each disjunct, or imply a row that an exact Farkas vector refutes with the
//!   cell's rows.
//!
//! The work is one exact implication per tree edge without a split, so checking costs a few
//! times what proving did (see docs/performance.md).

use super::region::{farkas_from_float_basis, farkas_holds, implied_by_box, Row};
use super::{CheckReport, Failure};
use crate::kernel::symbolic::{ConstraintBound, SymbolicBounds};
use crate::lp::simplex::{solve, LpOutcome};
use crate::network::{Activation, Domain, Network};
use crate::num::{dot, from_f64_exact, parse_rational, to_f64, Q};
use crate::vnnlib::Property;
use num_traits::{Signed, Zero};
use serde_json::Value;

/// One leaf as read from the document.
struct Leaf {
    flat: Vec<bool>,
    pruned: bool,
    within: Option<Vec<(Q, Q)>>,
}

/// Checks `proof` (the `vnnlib --proof` document) for the network and property.
pub fn check_proof(net: &Network, property: &Property, proof: &Value) -> CheckReport {
    let mut report = CheckReport::default();
    let mut fail = |m: String| report.failures.push(Failure { region: None, message: m });
    if proof.get("relu_regions_proof").and_then(Value::as_u64) != Some(1) {
        fail("not a relu-regions proof (missing \"relu_regions_proof\": 1)".into());
        return report;
    }
    let net = match crate::property::reduced_network(net, property) {
        Ok(n) => n,
        Err(e) => {
            fail(format!("the property does not fit the network: {e}"));
            return report;
        }
    };
    let Some(items) = proof.get("leaves").and_then(Value::as_array) else {
        fail("missing \"leaves\"".into());
        return report;
    };
    let mut leaves = Vec::with_capacity(items.len());
    for (k, item) in items.iter().enumerate() {
        match read_leaf(item) {
            Some(leaf) => leaves.push(leaf),
            None => {
                fail(format!("leaf {k} is malformed"));
                return report;
            }
        }
    }
    leaves.sort_by(|a, b| a.flat.cmp(&b.flat));
    let mut walker = Walker::new(&net, property);
    let root = Node::root(&net);
    walker.visit(root, &leaves, 0);
    report.regions = walker.leaves_checked;
    report.failures.extend(walker.failures.into_iter().map(|m| Failure { region: None, message: m }));
    report
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

/// A node of the tree: the cell's rows and where the composition stands.
#[derive(Clone)]
struct Node {
    rows: Vec<Row>,
    /// The affine map (rows of `d` coefficients and an offset) of the current layer's input.
    input: (Vec<Vec<Q>>, Vec<Q>),
    /// The index of the current layer in the network.
    layer: usize,
    /// The states fixed in the current layer so far.
    bits: Vec<bool>,
}

impl Node {
    fn root(net: &Network) -> Node {
        let d = net.input_dim();
        let jac =
            (0..d).map(|i| (0..d).map(|j| Q::from_integer(u8::from(i == j).into())).collect()).collect();
        let mut rows = Vec::new();
        if let Domain::Box(b) = net.domain() {
            for (j, (lo, hi)) in b.iter().enumerate() {
                let e = |s: i32| {
                    (0..d).map(|k| Q::from_integer(if k == j { s.into() } else { 0.into() })).collect()
                };
                rows.push(Row::new(e(1), hi.clone()));
                rows.push(Row::new(e(-1), -lo.clone()));
            }
        }
        Node { rows, input: (jac, vec![Q::zero(); d]), layer: 0, bits: Vec::new() }
    }
}

struct Walker<'a> {
    net: &'a Network,
    property: &'a Property,
    bounds: SymbolicBounds,
    failures: Vec<String>,
    leaves_checked: usize,
}

impl<'a> Walker<'a> {
    fn new(net: &'a Network, property: &'a Property) -> Walker<'a> {
        let Domain::Box(b) = net.domain() else { unreachable!("a property's network is on a box") };
        let bounds = SymbolicBounds::new(net, b);
        Walker { net, property, bounds, failures: Vec::new(), leaves_checked: 0 }
    }

    /// Moves past linear layers to the next ReLU layer (or the output), composing exactly.
    fn skip_linear(&self, node: &mut Node) {
        let layers = self.net.layers();
        while node.layer < layers.len() && layers[node.layer].activation == Activation::Linear {
            node.input = compose(&layers[node.layer], &node.input, None);
            node.layer += 1;
        }
    }

    /// `leaves` all start with the node's `depth` states.
    fn visit(&mut self, mut node: Node, leaves: &[Leaf], depth: usize) {
        if self.failures.len() > 20 {
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
        let layer = &self.net.layers()[node.layer];
        let j = node.bits.len();
        let (c, e) = preactivation(layer, &node.input, j);
        let split = leaves.partition_point(|l| !l.flat[depth]);
        let (off, on) = leaves.split_at(split);
        for (side, part) in [(false, off), (true, on)] {
            let other_empty = if side { off.is_empty() } else { on.is_empty() };
            if part.is_empty() {
                continue;
            }
            // the side's row: on is -c.x <= e, off is c.x <= -e
            let row = if side {
                Row::new(c.iter().map(|v| -v).collect(), e.clone())
            } else {
                Row::new(c.clone(), -e.clone())
            };
            if other_empty && !self.constant_on(&node.rows, &row) {
                self.failures.push(format!(
                    "neuron {j} of layer {} is fixed {} without a split, but no proof that it is constant on its cell (depth {depth})",
                    node.layer,
                    u8::from(side)
                ));
                return;
            }
            let mut child = node.clone();
            if !other_empty && c.iter().any(|v| !v.is_zero()) {
                child.rows.push(row);
            }
            child.bits.push(side);
            if child.bits.len() == layer.width() {
                let bits = std::mem::take(&mut child.bits);
                child.input = compose(layer, &child.input, Some(&bits));
                child.layer += 1;
            }
            self.visit(child, part, depth + 1);
        }
    }

    /// Whether the row holds on the whole cell (no split needed): exact.
    fn constant_on(&self, rows: &[Row], row: &Row) -> bool {
        if row.a.iter().all(Zero::is_zero) {
            return !row.b.is_negative();
        }
        implied(rows, row)
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
        let (jac, off) = &node.input;
        for (k, conj) in self.property.unsafe_set.iter().enumerate() {
            let d = self.net.input_dim();
            let over_x: Vec<Row> = conj
                .iter()
                .map(|c| {
                    let a = (0..d)
                        .map(|j| c.coefficients.iter().zip(jac).map(|(ck, r)| ck * &r[j]).sum())
                        .collect();
                    Row::new(a, &c.rhs - dot(&c.coefficients, off))
                })
                .collect();
            let mut rows = node.rows.clone();
            rows.extend(over_x.iter().cloned());
            // the closed system has no point; or, for a strict constraint g.x < beta, the cell
            // and the other constraints imply g.x >= beta
            let refuted = infeasible(&rows)
                || conj.iter().enumerate().any(|(i, c)| {
                    c.strict && {
                        let others: Vec<Row> = node
                            .rows
                            .iter()
                            .cloned()
                            .chain(over_x.iter().enumerate().filter(|(m, _)| *m != i).map(|(_, r)| r.clone()))
                            .collect();
                        let g = &over_x[i];
                        implied(&others, &Row::new(g.a.iter().map(|v| -v).collect(), -g.b.clone()))
                    }
                });
            if !refuted {
                self.failures.push(format!(
                    "a region (depth {depth}) is not shown to miss disjunct {k} of the unsafe set"
                ));
                return;
            }
        }
    }

    /// The stated box contains the cell; the symbolic bounds over it refute every disjunct.
    fn check_pruned(&mut self, node: &Node, leaf: &Leaf, depth: usize) {
        let d = self.net.input_dim();
        let within = match &leaf.within {
            None => None,
            Some(bx) => {
                let floats: Option<(Vec<f64>, Vec<f64>)> = bx
                    .iter()
                    .map(|(l, h)| {
                        let (lf, hf) = (to_f64(l), to_f64(h));
                        (from_f64_exact(lf).as_ref() == Some(l) && from_f64_exact(hf).as_ref() == Some(h))
                            .then_some((lf, hf))
                    })
                    .collect::<Option<Vec<_>>>()
                    .map(|v| v.into_iter().unzip());
                let contained = bx.len() == d
                    && bx.iter().enumerate().all(|(j, (lo, hi))| {
                        let e = |s: i32| {
                            (0..d)
                                .map(|k| Q::from_integer(if k == j { s.into() } else { 0.into() }))
                                .collect()
                        };
                        implied(&node.rows, &Row::new(e(1), hi.clone()))
                            && implied(&node.rows, &Row::new(e(-1), -lo.clone()))
                    });
                if floats.is_none() || !contained {
                    self.failures.push(format!(
                        "the box of a pruned leaf (depth {depth}) is not shown to contain its cell"
                    ));
                    return;
                }
                floats
            }
        };
        let states = split_states(self.net, &leaf.flat);
        let refs: Vec<&[bool]> = states.iter().map(Vec::as_slice).collect();
        let objectives: Vec<Vec<_>> = self
            .property
            .unsafe_set
            .iter()
            .map(|conj| {
                conj.iter().map(|c| (self.bounds.objective(&c.coefficients), &c.rhs, c.strict)).collect()
            })
            .collect();
        for (k, conj) in objectives.iter().enumerate() {
            let asked: Vec<_> = conj.iter().map(|(o, r, s)| (o, *r, *s)).collect();
            let found = self.bounds.bound(&refs, &asked, within.clone());
            let refuted = found.iter().any(|b| match b {
                ConstraintBound::Excluded => true,
                ConstraintBound::Open(row) => {
                    let exact: Option<Vec<Q>> = row.a.iter().map(|v| from_f64_exact(*v)).collect();
                    match (exact, from_f64_exact(row.b)) {
                        (Some(a), Some(b)) => {
                            let mut rows = node.rows.clone();
                            rows.push(Row::new(a, b));
                            infeasible(&rows)
                        }
                        _ => false,
                    }
                }
                ConstraintBound::Unknown => false,
            });
            if !refuted {
                self.failures
                    .push(format!("a pruned leaf (depth {depth}) is not shown to miss disjunct {k}"));
                return;
            }
        }
    }
}

/// The flat states split into ReLU layers (the last possibly a prefix).
fn split_states(net: &Network, flat: &[bool]) -> Vec<Vec<bool>> {
    let mut out = Vec::new();
    let mut rest = flat;
    for layer in net.layers().iter().filter(|l| l.activation == Activation::Relu) {
        if rest.is_empty() {
            break;
        }
        let take = layer.width().min(rest.len());
        out.push(rest[..take].to_vec());
        rest = &rest[take..];
    }
    out
}

/// Neuron `j`'s preactivation `c . x + e` on the layer's input map.
fn preactivation(layer: &crate::network::Layer, input: &(Vec<Vec<Q>>, Vec<Q>), j: usize) -> (Vec<Q>, Q) {
    let (jac, off) = input;
    let d = jac.first().map_or(0, Vec::len);
    let w = &layer.weights[j];
    let c = (0..d).map(|k| w.iter().zip(jac).map(|(wi, r)| wi * &r[k]).sum()).collect();
    (c, dot(w, off) + &layer.bias[j])
}

/// The layer after its input map, masked by the states (`None`: no activation).
fn compose(
    layer: &crate::network::Layer,
    input: &(Vec<Vec<Q>>, Vec<Q>),
    states: Option<&[bool]>,
) -> (Vec<Vec<Q>>, Vec<Q>) {
    let d = input.0.first().map_or(0, Vec::len);
    let mut jac = Vec::with_capacity(layer.width());
    let mut off = Vec::with_capacity(layer.width());
    for j in 0..layer.width() {
        if states.is_some_and(|s| !s[j]) {
            jac.push(vec![Q::zero(); d]);
            off.push(Q::zero());
        } else {
            let (c, e) = preactivation(layer, input, j);
            jac.push(c);
            off.push(e);
        }
    }
    (jac, off)
}

/// Whether `rows` imply `row`: exact interval bounds over the rows' box, a Farkas vector from a
/// float basis, or the exact simplex; each certificate checked by exact sums.
fn implied(rows: &[Row], row: &Row) -> bool {
    if super::region::box_of(rows).is_some_and(|bx| implied_by_box(row, &bx))
        || farkas_from_float_basis(rows, row)
    {
        return true;
    }
    let a: Vec<Vec<Q>> = rows.iter().map(|r| r.a.clone()).collect();
    let b: Vec<Q> = rows.iter().map(|r| r.b.clone()).collect();
    let c: Vec<Q> = row.a.iter().map(|v| -v).collect();
    match solve(&a, &b, &c, usize::MAX) {
        Some(LpOutcome::Optimal { y, .. }) => farkas_holds(rows, row, &y),
        Some(LpOutcome::Infeasible { y }) => farkas_infeasible(rows, &y),
        _ => false,
    }
}

/// Whether `rows` have no point at all (they imply `0 <= -1`).
fn infeasible(rows: &[Row]) -> bool {
    let d = rows.first().map_or(0, |r| r.a.len());
    implied(rows, &Row::new(vec![Q::zero(); d], Q::from_integer((-1).into())))
}

/// `y >= 0`, `A^T y = 0`, `b . y < 0`.
fn farkas_infeasible(rows: &[Row], y: &[Q]) -> bool {
    let d = rows.first().map_or(0, |r| r.a.len());
    y.len() == rows.len()
        && y.iter().all(|v| !v.is_negative())
        && (0..d).all(|j| rows.iter().zip(y).map(|(r, yi)| &r.a[j] * yi).sum::<Q>().is_zero())
        && rows.iter().zip(y).map(|(r, yi)| &r.b * yi).sum::<Q>().is_negative()
}
