//! One region of a case checked against the unsafe set: on the region the network is
//! `y = J x + c`, so a conjunction `C y <= d` (some rows strict) is a polyhedron over the
//! region's inputs. A point of the region inside the box with every strict side strict and
//! every constraint met is a counterexample; otherwise a certificate shows there is none:
//! - an interval or safe dual bound refutes one row on the whole region (closed: enough);
//! - the LP of the region and the rows finds a point strictly inside all of them (it meets
//!   every strict row, and it is inside the open box since the region lies in the box), or
//!   a Farkas vector that no point meets them even on the boundary;
//! - where the closed system has no interior (it meets the region only on a face, where a
//!   strict row or a strict side of the box may fail), an exact LP with a strictness variable
//!   `t`: maximise `t` subject to the closed rows and `a . x + t <= b` for each strict row
//!   (`t <= 1`). A positive optimum gives a point meeting every strict row strictly; an
//!   optimum `t <= 0` comes with multipliers `y >= 0`, `sum y_i a_i = 0` and `sum y_i b_i < 0`,
//!   or `= 0` with a positive multiplier on a strict row (Motzkin's transposition theorem),
//!   checked exactly: no point meets every strict row.

use crate::certify::Outcome;
use crate::certify::{reach, LpStats};
use crate::enumerate::region::Region;
use crate::error::InternalError;
use crate::exact::num::{dot, Q};
use crate::exact::simplex::{all_nonnegative, solve, LpOutcome};
use crate::kernel::float_box::{proves_empty_floats, FloatBox};
use crate::kernel::halfspace::Halfspace;
use crate::network::vnnlib::{Case, OutputConstraint};
use num_traits::{One, Signed, Zero};
use std::sync::Arc;

/// What checking one region gave: a counterexample (over the free inputs), how many checks
/// bounds settled, the LPs.
pub(super) type Checked = (Result<Option<Vec<Q>>, InternalError>, usize, LpStats);

/// What the checks of one region share: its neuron rows, its bound LP on a box domain, and its
/// exact outputs at its point (formed on first use).
struct Local<'r> {
    region: &'r Region,
    neurons: Vec<&'r Halfspace>,
    bound_lp: Option<crate::lp::boxed::BoxLp>,
    outputs: std::cell::OnceCell<Vec<Q>>,
    /// Whether the region's point meets every strict side of the box.
    point_inside: bool,
}

/// The per-region work, shared by the threads.
pub(super) struct Checker<'a> {
    pub case: &'a Case,
    pub bx: Option<&'a FloatBox>,
    pub backend: &'static dyn crate::lp::LpBackend,
    /// The strict sides of the box as rows over the free inputs (to hold strictly).
    pub strict_rows: &'a [Halfspace],
}

impl Checker<'_> {
    /// A point of the region with unsafe outputs, if there is one.
    pub(super) fn examine(&self, region: &Region) -> Checked {
        let mut stats = LpStats::default();
        let mut pruned = 0;
        let neurons: Vec<&Halfspace> = region
            .constraints
            .iter()
            .filter(|c| matches!(c.origin, crate::enumerate::region::Origin::Neuron(_)))
            .map(|c| &*c.halfspace)
            .collect();
        let bound_lp = self.bx.and_then(|bx| crate::lp::boxed::BoxLp::new(&neurons, bx));
        let point_inside = self.strict_rows.iter().all(|h| h.slack(&region.point).is_positive());
        let local = Local { region, neurons, bound_lp, outputs: std::cell::OnceCell::new(), point_inside };
        for conj in &self.case.unsafe_set {
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
        conj: &[Arc<OutputConstraint>],
        pruned: &mut usize,
        stats: &mut LpStats,
    ) -> Result<Option<Vec<Q>>, InternalError> {
        let region = local.region;
        // C (J x + c) <= d  as rows over x, with their strictness
        let mut rows: Vec<(Halfspace, bool)> = Vec::with_capacity(conj.len());
        for c in conj {
            // over the outputs the constraint names (most name two): one exact dot product per
            // input, reduced once
            let (named, jacobian): (Vec<Q>, Vec<&Vec<Q>>) = c
                .coefficients
                .iter()
                .zip(&region.map.jacobian)
                .filter(|(ck, _)| !ck.is_zero())
                .map(|(ck, row)| (ck.clone(), row))
                .unzip();
            let a: Vec<Q> = (0..region.point.len())
                .map(|j| dot(&named, &jacobian.iter().map(|row| row[j].clone()).collect::<Vec<Q>>()))
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
            rows.push((row, c.strict));
        }
        // a conjunction no bound excludes: the region's own point may already be unsafe
        let at_point = local.outputs.get_or_init(|| region.map.apply(&region.point));
        if local.point_inside && conj.iter().all(|c| c.holds(at_point)) {
            return Ok(Some(region.point.clone()));
        }
        let region_rows: Vec<&Halfspace> =
            region.halfspaces().into_iter().filter(|h| !h.is_trivial()).collect();
        let Some((side, _)) = rows.last() else {
            // every constraint holds on the whole region; its point missed a strict side
            return strict_point(&region_rows, &[], self.strict_rows, stats);
        };
        let others: Vec<&Halfspace> =
            region_rows.iter().copied().chain(rows[..rows.len() - 1].iter().map(|(h, _)| h)).collect();
        match reach(&others, side, self.bx, self.backend, stats)? {
            Outcome::Witness(x) if self.strict_rows.iter().all(|h| h.slack(&x).is_positive()) => Ok(Some(x)),
            Outcome::Proved(None) => {
                *pruned += 1;
                Ok(None)
            }
            Outcome::Proved(Some(y)) if all_b(&others, side, &y).is_negative() => Ok(None), // a Farkas vector
            _ => strict_point(&region_rows, &rows, self.strict_rows, stats),
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

/// `b . y` over the rows then the side (the right-hand side of a Motzkin vector).
fn all_b(others: &[&Halfspace], side: &Halfspace, y: &[Q]) -> Q {
    others.iter().copied().chain([side]).zip(y).map(|(h, yi)| &h.b * yi).sum()
}

/// Decides exactly whether some `x` meets the region's rows, the conjunction's rows (each
/// strict or not) and the strict sides of the box strictly: the exact simplex maximises a
/// strictness variable `t` (see the module docs), and its answer is checked either way.
fn strict_point(
    region_rows: &[&Halfspace],
    conj_rows: &[(Halfspace, bool)],
    strict_sides: &[Halfspace],
    stats: &mut LpStats,
) -> Result<Option<Vec<Q>>, InternalError> {
    stats.lps += 1;
    stats.exact_fallbacks += 1;
    let closed: Vec<&Halfspace> =
        region_rows.iter().copied().chain(conj_rows.iter().filter(|(_, s)| !s).map(|(h, _)| h)).collect();
    let strict: Vec<&Halfspace> =
        conj_rows.iter().filter(|(_, s)| *s).map(|(h, _)| h).chain(strict_sides).collect();
    let d = closed.iter().chain(&strict).next().map_or(0, |h| h.a.len());
    // over (x, t): closed a.x <= b, strict a.x + t <= b, and t <= 1
    let lift = |h: &Halfspace, t: i64| -> Vec<Q> {
        h.a.iter().cloned().chain([Q::from_integer(t.into())]).collect()
    };
    let mut a: Vec<Vec<Q>> =
        closed.iter().map(|h| lift(h, 0)).chain(strict.iter().map(|h| lift(h, 1))).collect();
    let mut b: Vec<Q> = closed.iter().chain(&strict).map(|h| h.b.clone()).collect();
    let mut cap = vec![Q::zero(); d];
    cap.push(Q::one());
    a.push(cap);
    b.push(Q::one());
    let mut c = vec![Q::zero(); d + 1];
    c[d] = -Q::one();
    let fail = |what: &str| InternalError::new(format!("property: the exact strictness LP {what}"));
    // y over the rows of x (the cap's multiplier left out): a Motzkin vector when sum y a = 0
    // and b . y < 0, or = 0 with a positive multiplier on a strict row
    let motzkin = |y: &[Q]| {
        let rows = closed.len() + strict.len();
        let y = &y[..rows];
        let combination = (0..d).all(|j| a.iter().zip(y).map(|(r, yi)| &r[j] * yi).sum::<Q>().is_zero());
        let rhs: Q = b.iter().zip(y).map(|(bi, yi)| bi * yi).sum();
        all_nonnegative(y)
            && combination
            && (rhs.is_negative() || (rhs.is_zero() && y[closed.len()..].iter().any(Signed::is_positive)))
    };
    match solve(&a, &b, &c, usize::MAX) {
        Some(LpOutcome::Optimal { x, y, .. }) => {
            let point = x[..d].to_vec();
            if x[d].is_positive() {
                let inside = closed.iter().all(|h| !h.slack(&point).is_negative())
                    && strict.iter().all(|h| h.slack(&point).is_positive());
                return if inside {
                    Ok(Some(point))
                } else {
                    Err(fail("found a point that fails its check"))
                };
            }
            if motzkin(&y) {
                Ok(None)
            } else {
                Err(fail("gave multipliers that fail their check"))
            }
        }
        Some(LpOutcome::Infeasible { y }) if motzkin(&y) => Ok(None),
        other => Err(fail(&format!("answered {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::q;

    fn h(a: &[i64], b: i64) -> Halfspace {
        Halfspace::new(a.iter().map(|&v| q(v)).collect(), q(b))
    }

    #[test]
    fn the_strictness_lp_separates_closed_from_open() {
        let mut stats = LpStats::default();
        // the square [0, 1]^2
        let square = [h(&[1, 0], 1), h(&[-1, 0], 0), h(&[0, 1], 1), h(&[0, -1], 0)];
        let region: Vec<&Halfspace> = square.iter().collect();
        // x0 >= 1 closed meets the square on its side x0 = 1 ...
        let face = [(h(&[-1, 0], -1), false)];
        let x = strict_point(&region, &face, &[], &mut stats).unwrap().unwrap();
        assert_eq!(x[0], q(1));
        // ... which the strict side x0 < 1 of the box leaves out
        assert_eq!(strict_point(&region, &face, &[h(&[1, 0], 1)], &mut stats).unwrap(), None);
        // x0 > 1 strictly: no point, even with the closed square
        assert_eq!(strict_point(&region, &[(h(&[-1, 0], -1), true)], &[], &mut stats).unwrap(), None);
        // x0 = 1/2 (two closed rows) and x1 < 1 strictly: a point on a line
        let line = [(h(&[2, 0], 1), false), (h(&[-2, 0], -1), false), (h(&[0, 1], 1), true)];
        let x = strict_point(&region, &line, &[], &mut stats).unwrap().unwrap();
        assert!(x[0] == q(1) / q(2) && x[1] < q(1));
        // beyond the square: x0 >= 2 closed
        assert_eq!(strict_point(&region, &[(h(&[-1, 0], -2), false)], &[], &mut stats).unwrap(), None);
    }
}
