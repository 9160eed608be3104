//! Exact certificates for the proof checker: implications and infeasibility of rational row
//! systems, each proved by a checked certificate (the kernel's safe dual bound on a float LP's
//! multipliers, exact safe bounds from a float LP's dual, a Farkas vector from a float basis
//! solved exactly, or the exact simplex).

use super::constraints::Row;
use super::implied::{box_of, farkas_from_float_basis, farkas_holds, implication_lp, implied_by_box};
use crate::exact::num::{from_f64_exact, to_f64, Q};
use crate::exact::simplex::{solve, LpOutcome};
use crate::kernel::float_box::{proves_empty, proves_empty_sparse, FloatBox};
use crate::lp::boxed::BoxLp;
use num_traits::{One, Signed, Zero};

/// Whether `rows` imply `row`: the safe dual bound of a float LP over the rows' box
/// ([`dual_excludes`]), exact interval bounds over that box, a Farkas vector from a float basis, or the exact simplex;
/// each certificate checked by exact sums or by the kernel's proved error bound.
pub(super) fn implied(rows: &[Row], row: &Row) -> bool {
    // the float filter first (interval arithmetic, then a float LP's multipliers), then the
    // exact box test for a row that touches the box
    if box_of(rows).is_some_and(|bx| {
        dual_excludes(rows, &FloatBox::of_box(&bx), &row.flipped()) || implied_by_box(row, &bx)
    }) || farkas_from_float_basis(rows, row)
    {
        return true;
    }
    match implication_lp(rows, row) {
        Some(LpOutcome::Optimal { y, .. }) => farkas_holds(rows, row, &y),
        Some(LpOutcome::Infeasible { y }) => farkas_infeasible(rows, &y),
        _ => false,
    }
}

/// [`implied`] for rows that lie in the box `bx` (a case's box, whose faces are among them): the
/// safe dual bound over it first, which spares finding the rows' own box.
pub(super) fn implied_within(rows: &[Row], bx: &FloatBox, row: &Row) -> bool {
    dual_excludes(rows, bx, &row.flipped()) || implied(rows, row)
}

/// Whether `g . x <= beta` (`g` a row) has no point of the cell `rows ∩ bx` (`bx` a box that
/// contains every point of `rows`: their own, or one they lie in), proved by the kernel's safe
/// dual bound ([`proves_empty_sparse`], a rigorous error bound for every input): interval
/// arithmetic over the box first, then the multipliers of each dual feasible basis of the float
/// box LP of the rows that are not box faces ([`BoxLp::minimize_or_prove`]). The LP only
/// proposes; `false` proves nothing (the caller's exact certificates follow). Since the bound
/// is strict, it shows `g . x > beta` on the cell: a side that touches the cell is left to them.
pub(super) fn dual_excludes(rows: &[Row], bx: &FloatBox, g: &Row) -> bool {
    if g.a.len() != bx.dim() {
        return false;
    }
    let refs: Vec<&Row> =
        rows.iter().filter(|r| r.single_coordinate().is_none() && !r.is_trivial()).collect();
    if proves_empty(&refs, g, None, bx) {
        return true;
    }
    let Some(lp) = BoxLp::new(&refs, bx) else { return false };
    let (ga, beta) = (g.float_a(), g.float_b());
    lp.minimize_or_prove(ga, beta, &mut |y| proves_empty_sparse(&refs, ga, beta, y, bx)).is_ok()
}

/// A lower bound of `g . x` over `rows` inside their box (the axis-parallel rows): for any
/// `y >= 0`, `g . x = r . x - y^T A x >= sum_j min(r_j lo_j, r_j hi_j) - y^T b` with
/// `r = g + A^T y` (Neumaier and Shcherbina), evaluated here in exact rationals with the float
/// dual of the box LP as `y`. `None` without a box or a float optimum.
fn safe_box_min(rows: &[Row], g: &[Q]) -> Option<Q> {
    let bx = box_of(rows)?;
    let float_box = crate::kernel::float_box::FloatBox::of_box(&bx);
    // the box is the LP's bounds: its rows are left out (duplicates stall the dual simplex)
    let refs: Vec<&Row> = rows.iter().filter(|r| r.a.iter().filter(|v| !v.is_zero()).count() > 1).collect();
    let lp = crate::lp::boxed::BoxLp::new(&refs, &float_box)?;
    let g_float: Vec<f64> = g.iter().map(to_f64).collect();
    if g_float.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let opt = lp.minimize(&g_float)?;
    let mut r: Vec<Q> = g.to_vec();
    let mut bound = Q::zero();
    for (row, &yi) in refs.iter().zip(&opt.y) {
        if yi.is_nan() || yi <= 0.0 {
            continue;
        }
        let y = from_f64_exact(yi)?;
        for (rj, aj) in r.iter_mut().zip(&row.a) {
            *rj += &y * aj;
        }
        bound -= &y * &row.b;
    }
    for (rj, (lo, hi)) in r.iter().zip(&bx) {
        bound += if rj.is_negative() { rj * hi } else { rj * lo };
    }
    Some(bound)
}

/// A certified lower bound of `g . x` over `rows`: a float LP proposes an optimal basis, whose
/// multipliers `y` are solved exactly and checked (`y >= 0`, `A^T y = -g`); the bound is
/// `-b . y`. `None` when the float LP or the check fails.
pub(super) fn certified_min(rows: &[Row], g: &[Q]) -> Option<Q> {
    if let Some(bound) = safe_box_min(rows, g) {
        return Some(bound);
    }
    let refs: Vec<&Row> = rows.iter().collect();
    let (a, b, _) = crate::lp::scaled_rows(&refs);
    let objective = Row::new(g.to_vec(), Q::zero());
    let c: Vec<f64> = crate::lp::scaled_rows(&[&objective]).0[0].clone();
    if a.iter().flatten().chain(&b).chain(&c).any(|v| !v.is_finite()) {
        return None;
    }
    let Some(LpOutcome::Optimal { basis, .. }) = solve(&a, &b, &c, 50 * (rows.len() + g.len())) else {
        return None;
    };
    let d = g.len();
    if basis.len() != d {
        return None;
    }
    let transposed: Vec<Vec<Q>> =
        (0..d).map(|j| basis.iter().map(|&k| rows[k].a[j].clone()).collect()).collect();
    let minus_g: Vec<Q> = g.iter().map(|v| -v).collect();
    let y = crate::exact::simplex::solve_square(&transposed, &minus_g)?;
    if y.iter().any(Signed::is_negative) {
        return None;
    }
    // A^T y = -g on the basis rows by construction; checked anyway, then the bound
    let combination_ok =
        (0..d).all(|j| basis.iter().zip(&y).map(|(&k, yi)| &rows[k].a[j] * yi).sum::<Q>() == minus_g[j]);
    combination_ok.then(|| -basis.iter().zip(&y).map(|(&k, yi)| &rows[k].b * yi).sum::<Q>())
}

/// Whether `rows` have no point at all: the certified minimum of `s` over
/// `{(x, s) : a_i . x - w_i s <= b_i, -1 <= s <= 2^30}` (weights `w_i >= 0`: each row's largest
/// coefficient, 0 for the axis-parallel rows of the box) is positive, since a point of the rows gives `(x, 0)`; or else the rows
/// imply `0 <= -1` (a Farkas vector, from the exact simplex when needed).
pub(super) fn infeasible(rows: &[Row]) -> bool {
    let d = rows.first().map_or(0, |r| r.a.len());
    let mut lifted: Vec<Row> = rows
        .iter()
        .map(|r| {
            // axis-parallel rows (the box) stay as they are: they bound x, and (x, 0) obeys them
            let axis = r.a.iter().filter(|v| !v.is_zero()).count() == 1;
            let w = if axis {
                Q::zero()
            } else {
                -r.a.iter().map(Signed::abs).max().filter(|w| !w.is_zero()).unwrap_or_else(Q::one)
            };
            Row::new(r.a.iter().cloned().chain([w]).collect(), r.b.clone())
        })
        .collect();
    let unit =
        |sign: i32| (0..=d).map(|j| Q::from_integer(if j == d { sign.into() } else { 0.into() })).collect();
    lifted.push(Row::new(unit(1), Q::from_integer((1i64 << 30).into())));
    lifted.push(Row::new(unit(-1), Q::one()));
    let mut s = vec![Q::zero(); d + 1];
    s[d] = Q::one();
    if certified_min(&lifted, &s).is_some_and(|min| min.is_positive()) {
        return true;
    }
    implied(rows, &Row::new(vec![Q::zero(); d], Q::from_integer((-1).into())))
}

/// Whether `rows` and `cell` together have no interior point (no `x` strictly inside every
/// row; `rows` a cell of the checker, `cell` the rows that cut it further): a zero row of
/// `cell` that fails, the whole system empty ([`infeasible`]), or a nonzero row that the system
/// holds with equality (`a . x >= b` implied; an implicit equality leaves no interior). The
/// `cell` rows are tried first: when `rows` alone have an interior point, an implicit equality
/// of the whole system is always among them.
pub(super) fn no_interior(rows: &[Row], cell: &[Row]) -> bool {
    let zero = |r: &Row| r.a.iter().all(Zero::is_zero);
    if cell.iter().any(|r| zero(r) && r.b.is_negative()) {
        return true;
    }
    let all: Vec<Row> = rows.iter().chain(cell.iter().filter(|r| !zero(r))).cloned().collect();
    let reversed = |r: &Row| Row::new(r.a.iter().map(|v| -v).collect(), -r.b.clone());
    cell.iter().chain(rows).filter(|r| !zero(r)).any(|r| implied(&all, &reversed(r))) || infeasible(&all)
}

/// `y >= 0`, `A^T y = 0`, `b . y < 0`.
fn farkas_infeasible(rows: &[Row], y: &[Q]) -> bool {
    let d = rows.first().map_or(0, |r| r.a.len());
    y.len() == rows.len()
        && y.iter().all(|v| !v.is_negative())
        && (0..d).all(|j| rows.iter().zip(y).map(|(r, yi)| &r.a[j] * yi).sum::<Q>().is_zero())
        && rows.iter().zip(y).map(|(r, yi)| &r.b * yi).sum::<Q>().is_negative()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::q;
    use crate::exact::rng::SplitMix;

    /// Random cells in the box `[-1, 1]^3` (three random rows through points near the centre)
    /// and random halfspaces `g . x <= beta`: whenever the safe dual bound says `g` misses the
    /// cell, no grid point of the cell satisfies `g` (exact slacks); and a halfspace beyond the
    /// box's reach (`beta` below the interval minimum of `g`) is always proved to miss it.
    #[test]
    fn dual_exclusion_is_sound_on_grid_points_and_proves_the_clear_cases() {
        let mut rng = SplitMix(17);
        let mut small = || q(i64::try_from(rng.next_u64() % 9).unwrap() - 4);
        let bounds = vec![(q(-1), q(1)); 3];
        let bx = FloatBox::of_box(&bounds);
        let grid: Vec<Vec<Q>> = (0..9 * 9 * 9)
            .map(|m| [m % 9, m / 9 % 9, m / 81].iter().map(|&k| q(k as i64 - 4) / q(4)).collect())
            .collect();
        let (mut proved, mut clear) = (0, 0);
        for _ in 0..300 {
            let mut rows = crate::network::Domain::Box(bounds.clone()).halfspaces(3);
            for _ in 0..3 {
                rows.push(Row::new(vec![small(), small(), small()], small() / q(2) + q(2)));
            }
            let g = Row::new(vec![small(), small(), small()], small() / q(3) - q(2));
            let inside: Vec<&Vec<Q>> =
                grid.iter().filter(|x| rows.iter().all(|r| !r.slack(x).is_negative())).collect();
            if dual_excludes(&rows, &bx, &g) {
                proved += 1;
                assert!(inside.iter().all(|x| g.slack(x).is_negative()), "a point of the cell meets g");
            }
            // beta below the minimum of g over the whole box: proved by intervals alone
            let reach: Q = g.a.iter().map(Signed::abs).sum();
            let far = Row::new(g.a.clone(), -reach - q(1));
            if !g.a.iter().all(Zero::is_zero) {
                clear += 1;
                assert!(dual_excludes(&rows, &bx, &far));
            }
        }
        assert!(proved > 20 && clear > 200, "proved {proved}, clear {clear}");
    }
}
