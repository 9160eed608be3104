//! The formula multiplied out into disjunctive normal form, counted before it is formed: the
//! conjunctions and their constraints are counted per node (children first, saturating), and
//! a formula beyond the budgets ([`MAX_CONJUNCTIONS`], [`MAX_CONSTRAINTS`]) is refused naming
//! them. The conjunctions are then grouped by their input bounds into cases, each a box (with
//! strict sides) and the disjunction of its output constraints.

use super::formula::{Formula, Node};
use super::sexp::Sexps;
use super::{Case, OutputConstraint, VnnlibError, MAX_BOX_VALUES, MAX_CONJUNCTIONS, MAX_CONSTRAINTS};
use crate::exact::num::Q;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// One conjunction: input bounds and output constraints (indices into the formula's tables).
#[derive(Debug, Clone, Default)]
struct Term {
    bounds: Vec<usize>,
    outputs: Vec<usize>,
}

/// Per node: its conjunctions and their constraints in all, in disjunctive normal form
/// (saturating).
fn counts(f: &Formula) -> Vec<(u128, u128)> {
    let mut c: Vec<(u128, u128)> = Vec::with_capacity(f.nodes.len());
    for node in &f.nodes {
        let value = match node {
            Node::True => (1, 0),
            Node::False => (0, 0),
            Node::Bound(_) | Node::Output(_) => (1, 1),
            Node::And(kids) => kids.iter().fold((1, 0), |acc, &k| and_count(acc, c[k])),
            Node::Or(kids) => kids
                .iter()
                .fold((0u128, 0u128), |(t, o), &k| (t.saturating_add(c[k].0), o.saturating_add(c[k].1))),
        };
        c.push(value);
    }
    c
}

/// The counts of `A and B` from theirs: every pair of conjunctions.
fn and_count((t, o): (u128, u128), (tk, ok): (u128, u128)) -> (u128, u128) {
    (t.saturating_mul(tk), o.saturating_mul(tk).saturating_add(ok.saturating_mul(t)))
}

fn over_budget((t, o): (u128, u128)) -> bool {
    t > MAX_CONJUNCTIONS as u128 || o > MAX_CONSTRAINTS as u128
}

/// The cases of the formula rooted at `root`.
pub(super) fn cases(
    s: &Sexps<'_>,
    f: &Formula,
    root: usize,
    inputs: usize,
) -> Result<Vec<Case>, VnnlibError> {
    let counts = counts(f);
    if over_budget(counts[root]) {
        // the first assertion (or operand) at which the product leaves the budget
        let at = match &f.nodes[root] {
            Node::And(kids) => {
                let mut acc = (1, 0);
                kids.iter()
                    .find(|&&k| {
                        acc = and_count(acc, counts[k]);
                        over_budget(acc)
                    })
                    .map_or(f.offsets[root], |&k| f.offsets[k])
            }
            _ => f.offsets[root],
        };
        let (t, o) = counts[root];
        let show = |v: u128| if v == u128::MAX { "more than 2^128".to_string() } else { v.to_string() };
        return Err(s.error(
            at,
            format!(
                "the property multiplies out to {} conjunctions with {} constraints in all (each `and` of \
                 `or`s multiplies); the budget is {MAX_CONJUNCTIONS} conjunctions and {MAX_CONSTRAINTS} constraints",
                show(t),
                show(o)
            ),
        ));
    }
    let terms = expand(f, root);
    group(s, f, terms, inputs)
}

/// The conjunctions of `root`, formed children first (each node's are moved to its last
/// parent, copied for the others).
fn expand(f: &Formula, root: usize) -> Vec<Term> {
    let n = root + 1;
    let mut live = vec![false; n];
    let mut uses = vec![0usize; n];
    live[root] = true;
    for id in (0..n).rev() {
        if let (true, Node::And(kids) | Node::Or(kids)) = (live[id], &f.nodes[id]) {
            for &k in kids {
                live[k] = true;
                uses[k] += 1;
            }
        }
    }
    let mut dnf: Vec<Option<Vec<Term>>> = vec![None; n];
    let mut take = |dnf: &mut Vec<Option<Vec<Term>>>, k: usize| -> Vec<Term> {
        uses[k] -= 1;
        if uses[k] == 0 {
            dnf[k].take().unwrap_or_default()
        } else {
            dnf[k].clone().unwrap_or_default()
        }
    };
    for id in (0..n).filter(|&id| live[id]) {
        let terms = match &f.nodes[id] {
            Node::True => vec![Term::default()],
            Node::False => Vec::new(),
            Node::Bound(k) => vec![Term { bounds: vec![*k], outputs: Vec::new() }],
            Node::Output(k) => vec![Term { bounds: Vec::new(), outputs: vec![*k] }],
            Node::And(kids) => {
                let mut acc = vec![Term::default()];
                for &k in kids {
                    let d = take(&mut dnf, k);
                    if let [one] = d.as_slice() {
                        // one conjunction: extend in place (a flat `and` of n atoms is n steps)
                        for a in &mut acc {
                            a.bounds.extend(&one.bounds);
                            a.outputs.extend(&one.outputs);
                        }
                        continue;
                    }
                    // several: every pair (each such child at least doubles the count, so at
                    // most log2 of the budget of them rebuild the list)
                    acc = acc
                        .iter()
                        .flat_map(|a| {
                            d.iter().map(move |b| Term {
                                bounds: a.bounds.iter().chain(&b.bounds).copied().collect(),
                                outputs: a.outputs.iter().chain(&b.outputs).copied().collect(),
                            })
                        })
                        .collect();
                }
                acc
            }
            Node::Or(kids) => kids.iter().flat_map(|&k| take(&mut dnf, k)).collect(),
        };
        dnf[id] = Some(terms);
    }
    dnf[root].take().unwrap_or_default()
}

/// A case being gathered: its input bounds, its conjunctions of output constraints, and
/// those already seen.
type Group = (Vec<usize>, Vec<Vec<usize>>, HashSet<Vec<usize>>);

/// The conjunctions grouped by their input bounds into cases (in order of first appearance).
fn group(s: &Sexps<'_>, f: &Formula, terms: Vec<Term>, inputs: usize) -> Result<Vec<Case>, VnnlibError> {
    let mut index: HashMap<Vec<usize>, usize> = HashMap::new();
    // each case's bounds, its conjunctions of output constraints, and those seen
    let mut groups: Vec<Group> = Vec::new();
    for mut term in terms {
        term.bounds.sort_unstable();
        term.bounds.dedup();
        term.outputs.sort_unstable();
        term.outputs.dedup();
        let k = *index.entry(term.bounds.clone()).or_insert_with(|| {
            groups.push((term.bounds, Vec::new(), HashSet::new()));
            groups.len() - 1
        });
        let (_, conjunctions, seen) = &mut groups[k];
        if seen.insert(term.outputs.clone()) {
            conjunctions.push(term.outputs);
        }
    }
    if groups.len().saturating_mul(inputs) > MAX_BOX_VALUES {
        return Err(s.error(
            0,
            format!(
                "the property has {} input cases of {inputs} inputs: more than {MAX_BOX_VALUES} bounds in all (the budget)",
                groups.len()
            ),
        ));
    }
    let several = groups.len() > 1;
    let mut cases = Vec::with_capacity(groups.len());
    for (k, (bounds, conjunctions, _)) in groups.into_iter().enumerate() {
        let case = case_box(s, f, &bounds, inputs, several.then_some((k, index.len())))?;
        let unsafe_set: Vec<Vec<Arc<OutputConstraint>>> =
            conjunctions.into_iter().map(|c| c.into_iter().map(|j| f.outputs[j].clone()).collect()).collect();
        cases.push(Case { input_box: case.0, strict: case.1, unsafe_set });
    }
    Ok(cases)
}

/// One side of an input's interval: the bound and whether it is strict.
type Side = Option<(Q, bool)>;

/// A case's box and the strictness of its sides.
type CaseBox = (Vec<(Q, Q)>, Vec<(bool, bool)>);

/// The box of one case's bounds: the tightest bound on each side (strict on a tie); an
/// input without a bound on a side is an error unless the box is empty anyway.
fn case_box(
    s: &Sexps<'_>,
    f: &Formula,
    bounds: &[usize],
    inputs: usize,
    which: Option<(usize, usize)>,
) -> Result<CaseBox, VnnlibError> {
    let (mut lo, mut hi): (Vec<Side>, Vec<Side>) = (vec![None; inputs], vec![None; inputs]);
    for &b in bounds {
        let bound = &f.bounds[b];
        let side = if bound.upper { &mut hi[bound.input] } else { &mut lo[bound.input] };
        let tighter = match side {
            None => true,
            Some((v, strict)) if bound.upper => {
                bound.value < *v || (bound.value == *v && bound.strict && !*strict)
            }
            Some((v, strict)) => bound.value > *v || (bound.value == *v && bound.strict && !*strict),
        };
        if tighter {
            *side = Some((bound.value.clone(), bound.strict));
        }
    }
    let empty = lo.iter().zip(&hi).any(|pair| match pair {
        (Some((l, sl)), Some((h, sh))) => l > h || (l == h && (*sl || *sh)),
        _ => false,
    });
    let mut input_box = Vec::with_capacity(inputs);
    let mut strict = Vec::with_capacity(inputs);
    for (i, (l, h)) in lo.into_iter().zip(hi).enumerate() {
        match (l, h) {
            (Some((l, sl)), Some((h, sh))) => {
                input_box.push((l, h));
                strict.push((sl, sh));
            }
            (l, h) if empty => {
                // an empty case needs no other bound: the missing side is the present one
                let (v, _) = l.clone().or(h.clone()).unwrap_or_default();
                input_box.push((l.map_or(v.clone(), |p| p.0), h.map_or(v, |p| p.0)));
                strict.push((false, false));
            }
            (l, _) => {
                let missing = if l.is_none() { "lower" } else { "upper" };
                let at = bounds.first().map_or(0, |&b| f.bound_offsets[b]);
                let case = which.map_or(String::new(), |(k, n)| {
                    format!(
                        " in input case {} of {n} (each disjunct of an `or` over the inputs is a box)",
                        k + 1
                    )
                });
                return Err(s.error(
                    at,
                    format!("X_{i} needs a lower and an upper bound: it has no {missing} bound{case}"),
                ));
            }
        }
    }
    Ok((input_box, strict))
}
