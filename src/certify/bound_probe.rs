//! The certified bound-LP probe: what `min g . x` over a region says of one halfspace
//! `g . x <= beta`, with its statistics kept in one place. Every site that asks a bound LP (a
//! neuron's side in the enumerator, a max unit's cell row, a facet's redundancy) goes through
//! here, so an LP is counted once and a proof is counted by the certificate that made it.
//!
//! Two certificates, one per domain:
//! - **with a box** ([`probe_over_box`]): the float LP of `lp::boxed` proposes the optimum; its
//!   multipliers give a safe dual bound (`kernel::float_box::proves_empty_floats`, outward
//!   rounding proved for every input) that the halfspace misses the region;
//! - **without one** ([`probe_by_basis`]): the optimal basis is solved exactly
//!   ([`bound_by_basis`]), a Farkas vector checked in integers.
//!
//! Either way a float minimum below `beta` is only a proposal (`Witness`, a vertex for the
//! caller to certify), and nothing proved is `Unknown`. May import `exact`, `kernel` and `lp`.

use super::basis_bound::{bound_by_basis, BasisBound};
use super::{LpStats, Outcome, Probe};
use crate::kernel::float_box::{proves_empty_floats, proves_empty_sparse, FloatBox};
use crate::kernel::halfspace::Halfspace;
use crate::lp::boxed::{BoxLp, BoxOptimum, KeptBases};

/// What a bound LP says of `g . x <= beta` on a region: `Proved(())`, no point of the region
/// satisfies it (a safe dual bound); `Witness(v)`, the float minimum of `g . x` is below `beta`
/// at the vertex `v` (a proposal, to be certified); `Unknown`, nothing proved.
pub(crate) type Bound = Probe<(), Vec<f64>>;

/// Certifies what the float optimum of `min g . x` over `rows` inside `bx` (`None` when the LP
/// failed) says of `g . x <= beta`, counting the LP and, when proved, the safe bound.
///
/// `optimum.y` are the multipliers of `rows` as given (a row the LP skipped has multiplier 0).
pub(crate) fn probe_over_box(
    optimum: Option<BoxOptimum>,
    rows: &[&Halfspace],
    g: &[f64],
    beta: f64,
    bx: &FloatBox,
    stats: &mut LpStats,
) -> Bound {
    let proved = match optimum {
        Some(opt) if opt.value > beta && proves_empty_floats(rows, g, beta, Some(&opt.y), bx) => Ok(()),
        other => Err(other),
    };
    counted(proved, beta, stats)
}

/// Minimizes `g . x` by the box LP `lp` of `rows` inside `bx` and certifies what it says of
/// `g . x <= beta`, as [`probe_over_box`] does, but trying the safe dual bound at every
/// dual-feasible basis past `beta` ([`BoxLp::minimize_or_prove`]): a proof found before the
/// optimum stops the solve early. Counts the LP and, when proved, the safe bound.
pub(crate) fn probe_box_lp(
    lp: &BoxLp,
    rows: &[&Halfspace],
    g: &[f64],
    beta: f64,
    bx: &FloatBox,
    stats: &mut LpStats,
) -> Bound {
    let proved = lp.minimize_or_prove(g, beta, &mut |y| proves_empty_sparse(rows, g, beta, y, bx));
    counted(proved, beta, stats)
}

/// [`probe_box_lp`] trying first the bases in `kept` (dual feasible bases of earlier solves
/// over the same rows or an ancestor's, [`KeptBases`]): a proof from one of them is the answer
/// the solve would give (counted as the LP it replaces), else the LP is solved and its last
/// basis kept (at most `cap` own ones; at most `inherited` handed down are tried).
pub(crate) fn probe_box_lp_kept(
    lp: &BoxLp,
    rows: &[&Halfspace],
    (g, beta): (&[f64], f64),
    bx: &FloatBox,
    (kept, cap, inherited): (&mut KeptBases, usize, usize),
    stats: &mut LpStats,
) -> Bound {
    let mut prove = |y: &[(usize, f64)]| proves_empty_sparse(rows, g, beta, y, bx);
    if kept.prove(lp, g, beta, inherited, &mut prove) {
        return counted(Ok(()), beta, stats);
    }
    let mut last = None;
    let proved = lp.minimize_or_prove_keeping(g, beta, &mut prove, Some(&mut last));
    if let Some(last) = last {
        kept.add(last, cap);
    }
    counted(proved, beta, stats)
}

/// The outcome of one box LP, counted: `Ok(())` when the safe bound proved `g . x <= beta`
/// empty, else the float optimum (`None` when the solve failed), a witness below `beta`.
fn counted(proved: Result<(), Option<BoxOptimum>>, beta: f64, stats: &mut LpStats) -> Bound {
    stats.lps += 1;
    stats.bound_lps += 1;
    match proved {
        Ok(()) => {
            stats.by_bound_lp += 1;
            Outcome::Proved(())
        }
        Err(Some(opt)) if opt.value < beta => Outcome::Witness(opt.x),
        Err(_) => Outcome::Unknown(()),
    }
}

/// [`bound_by_basis`] of `side` over `rows` (no box), counting the LP and, when proved, the
/// exact basis solve. `Proved(strict)` as there: `strict` when not even the closed side meets
/// the closed region.
pub(crate) fn probe_by_basis(rows: &[&Halfspace], side: &Halfspace, stats: &mut LpStats) -> BasisBound {
    stats.lps += 1;
    stats.bound_lps += 1;
    let bound = bound_by_basis(rows, side);
    if matches!(bound, Outcome::Proved(_)) {
        stats.by_basis += 1;
    }
    bound
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::Q;
    use crate::lp::boxed::BoxLp;

    fn row(a: &[i64], b: i64) -> Halfspace {
        Halfspace::new(a.iter().map(|&v| Q::from_integer(v.into())).collect(), Q::from_integer(b.into()))
    }

    /// The region `x + y <= 1` in the box `[0, 2]^2`: `min x + y` is 0, so `x + y <= -1` is
    /// proved empty, `x + y <= 1/2` has a witness vertex, and each outcome is counted.
    #[test]
    fn proofs_witnesses_and_their_counts() {
        let region = [row(&[1, 1], 1)];
        let refs: Vec<&Halfspace> = region.iter().collect();
        let bx = FloatBox::new(vec![0.0, 0.0], vec![2.0, 2.0]);
        let lp = BoxLp::new(&refs, &bx).expect("finite rows");
        let mut stats = LpStats::default();
        let empty = probe_over_box(lp.minimize(&[1.0, 1.0]), &refs, &[1.0, 1.0], -1.0, &bx, &mut stats);
        assert_eq!(empty, Outcome::Proved(()));
        let met = probe_over_box(lp.minimize(&[1.0, 1.0]), &refs, &[1.0, 1.0], 0.5, &bx, &mut stats);
        let Outcome::Witness(v) = met else { panic!("expected a witness, got {met:?}") };
        assert!(v[0] + v[1] < 0.5);
        let failed = probe_over_box(None, &refs, &[1.0, 1.0], -1.0, &bx, &mut stats);
        assert_eq!(failed, Outcome::Unknown(()));
        assert_eq!((stats.lps, stats.bound_lps, stats.by_bound_lp), (3, 3, 1));
        // the same answers with the proof tried before the optimum
        assert_eq!(probe_box_lp(&lp, &refs, &[1.0, 1.0], -1.0, &bx, &mut stats), Outcome::Proved(()));
        let met = probe_box_lp(&lp, &refs, &[1.0, 1.0], 0.5, &bx, &mut stats);
        assert!(matches!(met, Outcome::Witness(ref v) if v[0] + v[1] < 0.5), "{met:?}");
        assert_eq!((stats.lps, stats.bound_lps, stats.by_bound_lp), (5, 5, 2));
    }

    /// Without a box: `x >= 0, y >= 0` and the side `x + y <= -1` misses it strictly (an exact
    /// basis proves it); `x + y <= 0` touches it at the origin only.
    #[test]
    fn basis_proofs_are_counted() {
        let region = [row(&[-1, 0], 0), row(&[0, -1], 0)];
        let refs: Vec<&Halfspace> = region.iter().collect();
        let mut stats = LpStats::default();
        assert_eq!(probe_by_basis(&refs, &row(&[1, 1], -1), &mut stats), Outcome::Proved(true));
        assert_eq!(probe_by_basis(&refs, &row(&[1, 1], 0), &mut stats), Outcome::Proved(false));
        assert!(matches!(probe_by_basis(&refs, &row(&[1, 1], 1), &mut stats), Outcome::Witness(_)));
        assert_eq!((stats.lps, stats.bound_lps, stats.by_basis), (3, 3, 2));
    }
}
