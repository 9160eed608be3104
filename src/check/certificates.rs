//! Exact certificates for the proof checker: implications and infeasibility of rational row
//! systems, each proved by a checked certificate (exact safe bounds from a float LP's dual, a
//! Farkas vector from a float basis solved exactly, or the exact simplex).

use super::constraints::Row;
use super::implied::{box_of, farkas_from_float_basis, farkas_holds, implication_lp, implied_by_box};
use crate::exact::num::{from_f64_exact, to_f64, Q};
use crate::exact::simplex::{solve, LpOutcome};
use num_traits::{One, Signed, Zero};

/// Whether `rows` imply `row`: exact interval bounds over the rows' box, a Farkas vector from a
/// float basis, or the exact simplex; each certificate checked by exact sums.
pub(super) fn implied(rows: &[Row], row: &Row) -> bool {
    if box_of(rows).is_some_and(|bx| implied_by_box(row, &bx)) || farkas_from_float_basis(rows, row) {
        return true;
    }
    match implication_lp(rows, row) {
        Some(LpOutcome::Optimal { y, .. }) => farkas_holds(rows, row, &y),
        Some(LpOutcome::Infeasible { y }) => farkas_infeasible(rows, &y),
        _ => false,
    }
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

/// Whether `rows` and `g . x <= beta` (or `<` when strict) have no common point: a certified
/// minimum of `g` over the rows above `beta`, or else the exact test of [`infeasible`].
pub(super) fn refuted_by_minimum(rows: &[Row], g: &Row, strict: bool) -> bool {
    match certified_min(rows, &g.a) {
        Some(min) if min > g.b || (strict && min == g.b) => true,
        _ => {
            let mut all = rows.to_vec();
            all.push(g.clone());
            infeasible(&all)
        }
    }
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
