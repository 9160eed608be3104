//! Dual feasible bases of the vertex method kept after their solves, to try for other costs
//! over the same rows, or over more rows (a descendant region's LP has its ancestor's rows
//! first and the same box): a cost whose multipliers on such a basis are nonnegative has its
//! minimum over the basis's rows at the basis's vertex, and those multipliers go to the
//! caller's proof (a safe dual bound, which alone decides) without a solve. A basis that proves
//! nothing costs `O(d^2)` and changes nothing.

use super::{BoxLp, Prove, SMALL};
use std::sync::Arc;

/// A basis of the vertex method in at most [`SMALL`] dimensions: its rows (`d` of the LP's
/// `m + 2d`, the box's among them), the map from a cost to its multipliers, and its vertex.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeptBasis {
    d: usize,
    /// The LP's row count when kept: a box row `m + t` is the box's `t`-th in any LP.
    m: usize,
    basis: [usize; SMALL],
    /// `-inv^T`, row-major: the multipliers of a cost `g` are `lambda = -inv^T g` (those of
    /// [`BoxLp::minimize_or_prove`]'s bases).
    to_lambda: [f64; SMALL * SMALL],
    /// The basis's vertex (`inv b_B`).
    x: [f64; SMALL],
}

impl KeptBasis {
    /// The basis `basis` of an LP of `m` rows, with the inverse `inv` (`d x d`, row-major) of
    /// its matrix and its vertex `x`; `None` above [`SMALL`] dimensions.
    pub(super) fn of(basis: &[usize], inv: &[f64], x: &[f64], m: usize) -> Option<KeptBasis> {
        let d = basis.len();
        if d > SMALL || inv.len() != d * d || x.len() != d {
            return None;
        }
        let mut kept =
            KeptBasis { d, m, basis: [0; SMALL], to_lambda: [0.0; SMALL * SMALL], x: [0.0; SMALL] };
        kept.basis[..d].copy_from_slice(basis);
        kept.x[..d].copy_from_slice(x);
        for r in 0..d {
            for i in 0..d {
                kept.to_lambda[r * d + i] = -inv[i * d + r];
            }
        }
        Some(kept)
    }

    /// Whether two kept bases are the same rows of the same LP, in the same order.
    fn same(&self, other: &KeptBasis) -> bool {
        self.m == other.m && self.basis[..self.d] == other.basis[..other.d]
    }
}

/// Bases handed down from a region to its descendants: the region's own, then its ancestors'
/// (shared, never copied).
#[derive(Debug)]
pub(crate) struct Handed {
    bases: Vec<KeptBasis>,
    parent: Option<Arc<Handed>>,
}

impl Handed {
    /// The bases, the nearest ancestor's first, at most `cap` of them.
    fn iter(&self, cap: usize) -> impl Iterator<Item = &KeptBasis> {
        std::iter::successors(Some(self), |h| h.parent.as_deref()).flat_map(|h| h.bases.iter()).take(cap)
    }
}

/// The bases a region tries before solving: its own solves' (at most `cap`), then at most
/// `inherited` of those its ancestors handed down.
#[derive(Debug)]
pub(crate) struct KeptBases {
    handed: Option<Arc<Handed>>,
    own: Vec<KeptBasis>,
}

impl KeptBases {
    /// No own basis yet, `handed` down by an ancestor (an LP whose rows are the first of this
    /// one's).
    pub(crate) fn inheriting(handed: Option<Arc<Handed>>) -> KeptBases {
        KeptBases { handed, own: Vec::new() }
    }

    /// Whether `prove` accepts the multipliers of a kept basis for the cost `g` over `lp`
    /// ([`BoxLp::prove_by_any`]), own bases first, then at most `inherited` handed down.
    pub(crate) fn prove(
        &self,
        lp: &BoxLp,
        g: &[f64],
        above: f64,
        inherited: usize,
        prove: Prove<'_>,
    ) -> bool {
        lp.prove_by_any(self.own.iter(), g, above, &mut *prove)
            || self.handed.as_deref().is_some_and(|h| lp.prove_by_any(h.iter(inherited), g, above, prove))
    }

    /// Keeps `basis` (a solve's last) unless it is there or `cap` own bases are.
    pub(crate) fn add(&mut self, basis: KeptBasis, cap: usize) {
        if self.own.len() < cap && !self.own.iter().any(|k| k.same(&basis)) {
            self.own.push(basis);
        }
    }

    /// What a child region inherits: the own bases in front of those handed down.
    pub(crate) fn for_children(&self) -> Option<Arc<Handed>> {
        if self.own.is_empty() {
            return self.handed.clone();
        }
        Some(Arc::new(Handed { bases: self.own.clone(), parent: self.handed.clone() }))
    }
}

impl BoxLp {
    /// Whether `prove` accepts the multipliers of one of `kept` for the cost `g`, tried in
    /// order: those of a basis whose multipliers are all nonnegative and whose vertex's value
    /// exceeds `above` (`min g . x > above` over its rows, so over this LP's), handed sparsely
    /// as [`BoxLp::minimize_or_prove`] does. Up to [`SMALL`] dimensions with the dimension known
    /// at compile time.
    pub(crate) fn prove_by_any<'k>(
        &self,
        kept: impl Iterator<Item = &'k KeptBasis>,
        g: &[f64],
        above: f64,
        prove: Prove<'_>,
    ) -> bool {
        macro_rules! fixed {
            ($($d:literal)*) => {
                match self.d {
                    $($d => {
                        let Ok(g) = <&[f64; $d]>::try_from(g) else { return false };
                        kept.into_iter().any(|k| self.prove_by_kept::<$d>(k, g, above, &mut *prove))
                    })*
                    _ => false,
                }
            };
        }
        fixed!(1 2 3 4 5 6 7 8)
    }

    /// [`BoxLp::prove_by_any`] for one basis in `D` dimensions.
    fn prove_by_kept<const D: usize>(
        &self,
        kept: &KeptBasis,
        g: &[f64; D],
        above: f64,
        prove: Prove<'_>,
    ) -> bool {
        if kept.d != D || kept.m > self.m {
            return false;
        }
        let mut lambda = [0.0f64; D];
        for (r, l) in lambda.iter_mut().enumerate() {
            let row: &[f64; D] = kept.to_lambda[r * D..(r + 1) * D].try_into().expect("D entries");
            *l = row.iter().zip(g).map(|(a, b)| a * b).sum::<f64>();
            if *l < 0.0 || l.is_nan() {
                return false;
            }
        }
        let value: f64 = g.iter().zip(&kept.x[..D]).map(|(a, b)| a * b).sum();
        // a NaN value proves nothing
        if value.is_nan() || value <= above {
            return false;
        }
        // the kept LP's box rows renumbered after this one's rows
        let mut basis = [0usize; D];
        for (b, &k) in basis.iter_mut().zip(&kept.basis[..D]) {
            *b = if k < kept.m { k } else { k - kept.m + self.m };
        }
        let mut sparse = [(0usize, 0.0f64); D];
        let n = self.sparse_multipliers(&basis, &lambda, &mut sparse);
        prove(&sparse[..n])
    }
}
