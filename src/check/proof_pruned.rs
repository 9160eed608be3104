//! The test of a pruned leaf of an `unsat` proof (for module `check::proof`): the box stated
//! around the cell contains it, and some constraint of each disjunct of the unsafe set is out
//! of the cell's reach: excluded by the symbolic interval bounds over that box, or by an
//! implied row that the cell's rows refute, or (for a cell the prover discarded before any
//! split, where the symbolic bounds fall short) excluded by the zonotope bounds over the
//! case's box with the leaf's fixed states (`forward::zonotope`, the prover's own filter).

use super::certificates::{certified_min, dual_excludes, implied_within, infeasible};
use super::constraints::Row;
use super::proof::split_states;
use super::proof_cases::Leaf;
use crate::exact::num::{from_f64_exact, to_f64, Q};
use crate::forward::symbolic::{ConstraintBound, Objective, SymbolicBounds};
use crate::forward::zonotope::Zonotopes;
use crate::kernel::float_box::FloatBox;
use crate::network::vnnlib::Case;
use crate::network::{Domain, Network};

/// What the test of a pruned leaf reads of the checker's walk of a case.
pub(super) struct Pruning<'a> {
    pub(super) net: &'a Network,
    pub(super) bounds: &'a SymbolicBounds,
    pub(super) zonotopes: Option<&'a Zonotopes>,
    /// The case's box in floats (the cell lies in it).
    pub(super) float_box: &'a FloatBox,
    /// Each disjunct's constraints as objectives of the symbolic bounds, with their bounds.
    pub(super) objectives: &'a [Vec<(Objective, Q, bool)>],
    pub(super) property: &'a Case,
}

impl Pruning<'_> {
    /// The stated box contains the cell (whose rows are `rows`); the bounds refute every
    /// disjunct. `Err`: why not.
    pub(super) fn check(&self, rows: &[Row], leaf: &Leaf, depth: usize) -> Result<(), String> {
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
                // each side of the stated box is implied by the cell's rows
                let contained = bx.len() == d
                    && Domain::Box(bx.clone())
                        .halfspaces(d)
                        .iter()
                        .all(|side| implied_within(rows, self.float_box, side));
                if floats.is_none() || !contained {
                    return Err(format!(
                        "the box of a pruned leaf (depth {depth}) is not shown to contain its cell"
                    ));
                }
                floats
            }
        };
        let states = split_states(self.net, &leaf.flat);
        let refs: Vec<&[bool]> = states.iter().map(Vec::as_slice).collect();
        // every disjunct's constraints in one pass of the bounds, then taken apart again
        let asked: Vec<(&crate::forward::symbolic::Objective, &Q, bool)> =
            self.objectives.iter().flatten().map(|(o, r, s)| (o, r, *s)).collect();
        let mut found = self.bounds.bound(&refs, &asked, within).into_iter();
        // the zonotopes over the case's box, asked only where the symbolic bounds fall short
        let mut zonotope: Option<Vec<bool>> = None;
        let mut first = 0;
        for (k, conj) in self.objectives.iter().enumerate() {
            let found: Vec<ConstraintBound> = found.by_ref().take(conj.len()).collect();
            // cheapest first: a constraint the bounds exclude; then an implied row whose
            // minimum over the cell exceeds its bound (the prover's own test, one float LP):
            // proved by the kernel's safe dual bound for each row, else by a certified minimum
            // (exact arithmetic) for each row; then the zonotopes (the prover's test of a cell
            // before any split); only then the exact infeasibility test per row, which may run
            // the exact simplex (costly on deep cells, and usually in vain for the rows the
            // prover did not use)
            let open: Vec<Row> = found
                .iter()
                .filter_map(|b| {
                    let ConstraintBound::Open(row) = b else { return None };
                    let a: Vec<Q> = row.a.iter().map(|v| from_f64_exact(*v)).collect::<Option<_>>()?;
                    Some(Row::new(a, from_f64_exact(row.b)?))
                })
                .collect();
            let range = first..first + conj.len();
            first = range.end;
            let refuted = found.contains(&ConstraintBound::Excluded)
                || open.iter().any(|row| dual_excludes(rows, self.float_box, row))
                || open.iter().any(|row| certified_min(rows, &row.a).is_some_and(|min| min > row.b))
                || self.zonotopes.is_some_and(|z| {
                    let excluded = zonotope.get_or_insert_with(|| z.excluded(&refs, &self.constraints()));
                    excluded[range].contains(&true)
                })
                || open.iter().any(|row| infeasible(&[rows, std::slice::from_ref(row)].concat()));
            if !refuted {
                return Err(format!("a pruned leaf (depth {depth}) is not shown to miss disjunct {k}"));
            }
        }
        Ok(())
    }

    /// Every constraint of every disjunct as `(coefficients, rhs, strict)`.
    fn constraints(&self) -> Vec<(&[Q], &Q, bool)> {
        let all = self.property.unsafe_set.iter().flatten();
        all.map(|c| (&c.coefficients[..], &c.rhs, c.strict)).collect()
    }
}
