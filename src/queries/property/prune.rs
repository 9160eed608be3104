//! The pruning test of `vnnlib`: a partial region is discarded when, for every disjunct of the
//! unsafe set, some constraint is proved out of reach on all of it.

use super::ProofLeaf;
use crate::enumerate::Prune;
use crate::exact::num::Q;
use crate::forward::symbolic::{ConstraintBound, Objective, SymbolicBounds};
use crate::forward::zonotope::Zonotopes;
use crate::kernel::float_box::{proves_empty_floats, FloatBox};
use crate::kernel::halfspace::Halfspace;
use crate::lp::boxed::BoxLp;
use crate::network::vnnlib::Case;
use crate::network::{Domain, Network};

/// Discards a partial region when, for every disjunct of the unsafe set, some constraint is
/// proved out of reach on it: by symbolic interval bounds over the box with the region's fixed
/// neurons ([`SymbolicBounds`]), or by a safe dual bound over the region's rows for the row
/// those bounds imply.
pub(super) struct SafetyPruner<'p> {
    bounds: SymbolicBounds,
    /// Every constraint of every disjunct: its objective, right-hand side and strictness.
    constraints: Vec<(Objective, &'p Q, bool)>,
    /// Where each disjunct's constraints start in `constraints`, and the end.
    starts: Vec<usize>,
    /// The zonotope bounds, asked of a cell without split rows (the root) when the symbolic
    /// bounds do not discard it, with every constraint as `(coefficients, rhs, strict)`.
    zonotopes: Option<Zonotopes>,
    raw: Vec<(&'p [Q], &'p Q, bool)>,
    bx: FloatBox,
    /// The discarded partial regions, as proof leaves.
    leaves: std::sync::Mutex<Vec<ProofLeaf>>,
}

impl<'p> SafetyPruner<'p> {
    /// For the reduced network (on the case's closed box of free inputs: a strict side only
    /// shrinks the set, so what is out of reach on the closed box stays so); `None` when the box
    /// has no float image.
    pub(super) fn new(net: &Network, case: &'p Case) -> Option<SafetyPruner<'p>> {
        let Domain::Box(bounds) = net.domain() else { return None };
        let bx = net.domain().float_box()?;
        let zonotopes = Zonotopes::new(net, bounds);
        let bounds = SymbolicBounds::new(net, bounds);
        let mut constraints = Vec::new();
        let mut raw = Vec::new();
        let mut starts = vec![0];
        for conj in &case.unsafe_set {
            for c in conj {
                constraints.push((bounds.objective(&c.coefficients), &c.rhs, c.strict));
                raw.push((&c.coefficients[..], &c.rhs, c.strict));
            }
            starts.push(constraints.len());
        }
        Some(SafetyPruner { bounds, constraints, starts, zonotopes, raw, bx, leaves: Default::default() })
    }
}

impl SafetyPruner<'_> {
    /// The proof leaves of the partial regions discarded so far.
    pub(super) fn take_leaves(&self) -> Vec<ProofLeaf> {
        std::mem::take(&mut *self.leaves.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// A box around the cell, each side proved by a safe dual bound (`None` when one is not).
    fn cell_box(&self, lp: &BoxLp, rows: &[&Halfspace]) -> Option<(Vec<f64>, Vec<f64>)> {
        let d = self.bx.dim();
        let (mut lo, mut hi) = (Vec::with_capacity(d), Vec::with_capacity(d));
        let mut e = vec![0.0; d];
        for j in 0..d {
            if crate::runtime::stop::requested() {
                return None; // the run must stop (crate::runtime::stop): no box
            }
            for up in [false, true] {
                e[j] = if up { -1.0 } else { 1.0 };
                let opt = lp.minimize(&e)?;
                // the side x_j >= v (or -x_j >= v): the row x_j <= v - margin has no point
                let v = opt.value - 1e-9 * (1.0 + opt.value.abs());
                if !proves_empty_floats(rows, &e, v, Some(&opt.y), &self.bx) {
                    return None;
                }
                if up {
                    hi.push(-v);
                } else {
                    lo.push(v);
                }
            }
            e[j] = 0.0;
        }
        Some((lo, hi))
    }
}

impl Prune for SafetyPruner<'_> {
    fn discard(&self, states: &[&[bool]], neuron_rows: &[&Halfspace]) -> bool {
        self.score(states, neuron_rows).is_none()
    }

    /// Kept cells score by how much room the symbolic bounds leave to reach the unsafe set
    /// (module `order`): the least over the disjuncts not excluded of the largest
    /// `min a . x - b` over the box of an implied row `a . x <= b` (the nearest to being
    /// excluded; at most 0, and `-inf` for a constraint with no finite bound). Floats only
    /// order the search; every verdict is decided as before.
    fn score(&self, states: &[&[bool]], neuron_rows: &[&Halfspace]) -> Option<f64> {
        let asked: Vec<(&Objective, &Q, bool)> =
            self.constraints.iter().map(|(o, r, s)| (o, *r, *s)).collect();
        let mut lp = None;
        let within = if neuron_rows.is_empty() {
            None
        } else {
            lp.get_or_insert_with(|| BoxLp::new(neuron_rows, &self.bx))
                .as_ref()
                .and_then(|lp| self.cell_box(lp, neuron_rows))
        };
        let found = self.bounds.bound(states, &asked, within.clone());
        // a cell without split rows: the zonotopes too, where the symbolic bounds fall short
        let zonotope = |found: &[ConstraintBound]| {
            let zonotopes = self.zonotopes.as_ref().filter(|_| neuron_rows.is_empty())?;
            let excluded = zonotopes.excluded(states, &self.raw);
            let both = found.iter().zip(excluded).map(|(b, z)| z || *b == ConstraintBound::Excluded);
            Some(both.collect::<Vec<bool>>())
        };
        let excluded = |w: &[usize], zono: &Option<Vec<bool>>| {
            zono.as_ref().map_or(found[w[0]..w[1]].contains(&ConstraintBound::Excluded), |z| {
                z[w[0]..w[1]].contains(&true)
            })
        };
        let mut zono = None;
        if !self.starts.windows(2).all(|w| excluded(w, &None)) {
            zono = zonotope(&found);
        }
        let discarded = self.starts.windows(2).all(|w| {
            let disjunct = &found[w[0]..w[1]];
            excluded(w, &zono)
                || (!neuron_rows.is_empty()
                    && disjunct.iter().any(|b| {
                        let ConstraintBound::Open(row) = b else { return false };
                        let lp = lp.get_or_insert_with(|| BoxLp::new(neuron_rows, &self.bx));
                        lp.as_ref().and_then(|lp| lp.minimize(&row.a)).is_some_and(|opt| {
                            opt.value > row.b
                                && proves_empty_floats(neuron_rows, &row.a, row.b, Some(&opt.y), &self.bx)
                        })
                    }))
        });
        if discarded {
            let leaf =
                ProofLeaf { states: states.iter().map(|s| s.to_vec()).collect(), pruned: true, within };
            self.leaves.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(leaf);
            return None;
        }
        let side = |j: usize, up: bool| match &within {
            Some((lo, hi)) => {
                if up {
                    hi[j]
                } else {
                    lo[j]
                }
            }
            None => {
                if up {
                    self.bx.hi(j)
                } else {
                    self.bx.lo(j)
                }
            }
        };
        let room = |b: &ConstraintBound| match b {
            ConstraintBound::Open(row) => {
                let min: f64 =
                    row.a.iter().enumerate().map(|(j, a)| (a * side(j, false)).min(a * side(j, true))).sum();
                min - row.b
            }
            ConstraintBound::Unknown => f64::NEG_INFINITY,
            ConstraintBound::Excluded => f64::INFINITY,
        };
        let score = self
            .starts
            .windows(2)
            .map(|w| found[w[0]..w[1]].iter().map(room).fold(f64::NEG_INFINITY, f64::max))
            .fold(f64::INFINITY, f64::min);
        Some(score)
    }
}
