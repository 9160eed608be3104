//! The checks of one region, in exact arithmetic only: the region's constraints re-derived from
//! the network and its stated pattern by the checker's own composition in rationals, then
//!
//! 1. the point strictly inside every constraint of its pattern (and of the domain), and the
//!    network's pattern at the point the stated one;
//! 2. each listed inequality a positive multiple of a constraint of the pattern, its facet point
//!    on it and strictly inside every other constraint (so it is facet-defining);
//! 3. every constraint of the pattern not listed implied by the listed ones (a Farkas vector,
//!    proposed by an LP and checked here by its own sums);
//! 4. the Jacobian and offset equal to the checker's composition.
//!
//! What it returns ([`CheckedRegion`]) feeds the checks of the whole answer ([`super::whole`]).

use crate::kernel::Filter;
use crate::lp::simplex::{solve, LpOutcome};
use crate::network::weights::sparse_dot;
use crate::network::{Activation, Network};
use crate::num::{common_denominator, parse_rational, sign_of_sum_of_products, Q};
use crate::poly::Halfspace;
use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};
use serde_json::Value;
use std::cmp::Ordering;

/// A dense rational matrix (rows).
type Matrix = Vec<Vec<Q>>;

/// A constraint `a . x <= b` of a pattern: a [`Halfspace`], used here only through its exact
/// operations (no float filter decides anything in the checker).
pub(super) type Row = Halfspace;

/// A region that passed (or failed) its own checks, as the whole-answer checks need it.
#[derive(Debug, Clone)]
pub(super) struct CheckedRegion {
    /// The stated pattern.
    pub pattern: Vec<String>,
    /// The listed inequalities with their facet points (`None`: malformed).
    pub listed: Vec<(Row, Option<Vec<Q>>)>,
    /// The exact map by the checker's composition.
    pub map: (Matrix, Vec<Q>),
}

/// Parses a JSON rational (string or integer).
pub(super) fn rational(v: &Value) -> Option<Q> {
    match v {
        Value::String(s) => parse_rational(s).ok(),
        Value::Number(n) => parse_rational(&n.to_string()).ok(),
        _ => None,
    }
}

pub(super) fn vector(v: &Value) -> Option<Vec<Q>> {
    v.as_array()?.iter().map(rational).collect()
}

/// The constraints of a pattern and the output map, by the checker's own composition.
/// `None` if the pattern does not fit the network's shape.
fn pattern_constraints(net: &Network, pattern: &[String]) -> Option<(Vec<Row>, Matrix, Vec<Q>)> {
    let d = net.input_dim();
    let states = net.parse_pattern(pattern)?;
    let mut jac: Vec<Vec<Q>> =
        (0..d).map(|i| (0..d).map(|j| Q::from_integer(u8::from(i == j).into())).collect()).collect();
    let mut off = vec![Q::zero(); d];
    let mut rows = Vec::new();
    let mut states = states.iter();
    for layer in net.layers() {
        let mut new_jac = Vec::new();
        let mut new_off = Vec::new();
        let columns: Vec<Vec<Q>> = (0..d).map(|j| jac.iter().map(|row| row[j].clone()).collect()).collect();
        for (w, b) in layer.weights.rows().zip(&layer.bias) {
            let row: Vec<Q> = columns.iter().map(|column| sparse_dot(w, column)).collect();
            let o: Q = sparse_dot(w, &off) + b;
            new_jac.push(row);
            new_off.push(o);
        }
        if layer.activation.has_states() {
            let bits = states.next()?;
            match layer.activation {
                Activation::Max(k) => rows.extend(max_rows(&new_jac, &new_off, bits, k)),
                _ => rows.extend(relu_rows(&new_jac, &new_off, bits)),
            }
            for ((row, o), &on) in new_jac.iter_mut().zip(new_off.iter_mut()).zip(bits) {
                if !on {
                    row.iter_mut().for_each(|v| *v = Q::zero());
                    *o = Q::zero();
                }
            }
        }
        jac = new_jac;
        off = new_off;
    }
    Some((rows, jac, off))
}

/// `h >= 0` for a relu neuron on, `h <= 0` off; a constant `h` the state contradicts gives a
/// row no point is strictly inside.
fn relu_rows(jac: &[Vec<Q>], off: &[Q], bits: &[bool]) -> Vec<Row> {
    let d = jac.first().map_or(0, Vec::len);
    let mut rows = Vec::new();
    for ((row, o), &on) in jac.iter().zip(off).zip(bits) {
        if row.iter().any(|v| !v.is_zero()) {
            let (a, rhs) =
                if on { (row.iter().map(|v| -v).collect(), o.clone()) } else { (row.clone(), -o.clone()) };
            rows.push(Halfspace::new(a, rhs));
        } else if on != o.is_positive() {
            rows.push(Halfspace::new(vec![Q::zero(); d], if on { o.clone() } else { -o.clone() }));
        }
    }
    rows
}

/// For each max unit with winner `t`: `c_j <= c_t` for every other candidate `j`, and strictly
/// `c_j < c_t` when `c_j - c_t` is constant and `j < t` (equal candidates: the lower one wins).
fn max_rows(jac: &[Vec<Q>], off: &[Q], bits: &[bool], k: usize) -> Vec<Row> {
    let d = jac.first().map_or(0, Vec::len);
    let mut rows = Vec::new();
    for (u, unit) in bits.chunks(k).enumerate() {
        let Some(t) = unit.iter().position(|&b| b) else { continue };
        let (ct, et) = (&jac[u * k + t], &off[u * k + t]);
        for j in (0..k).filter(|&j| j != t) {
            let a: Vec<Q> = jac[u * k + j].iter().zip(ct).map(|(x, y)| x - y).collect();
            let b = et - &off[u * k + j];
            if a.iter().any(|v| !v.is_zero()) {
                rows.push(Halfspace::new(a, b));
            } else if b.is_negative() || (b.is_zero() && j < t) {
                rows.push(Halfspace::new(vec![Q::zero(); d], b));
            }
        }
    }
    rows
}

/// A constraint with its integer numerators over a common denominator, computed once, so that
/// the sign of a slack is one integer expression with no gcd.
struct ExactRow<'r> {
    row: &'r Row,
    a: Vec<BigInt>,
    b: BigInt,
}

impl ExactRow<'_> {
    fn new(row: &Row) -> ExactRow<'_> {
        let d = common_denominator(row.a.iter().chain([&row.b]));
        let int = |v: &Q| v.numer() * (&d / v.denom());
        ExactRow { row, a: row.a.iter().map(int).collect(), b: int(&row.b) }
    }

    /// The exact sign of the slack `b - a . x` at a point given by integers over a positive
    /// common denominator.
    fn slack_sign(&self, (x, d): &(Vec<BigInt>, BigInt)) -> std::cmp::Ordering {
        let mut value = &self.b * d;
        for (a, v) in self.a.iter().zip(x) {
            if !a.is_zero() && !v.is_zero() {
                value -= a * v;
            }
        }
        value.sign().cmp(&num_bigint::Sign::NoSign)
    }
}

/// A point as integers over a positive common denominator.
fn integer_point(x: &[Q]) -> (Vec<BigInt>, BigInt) {
    let d = common_denominator(x);
    (x.iter().map(|v| v.numer() * (&d / v.denom())).collect(), d)
}

/// Checks one region; `None` when it cannot be checked at all (its pattern or point missing
/// or misshapen).
pub(super) fn check_region(
    net: &Network,
    domain: &[Row],
    region: &Value,
    pattern: &[String],
    fail: &mut impl FnMut(String),
) -> Option<CheckedRegion> {
    let Some((mut rows, jac, off)) = pattern_constraints(net, pattern) else {
        fail("the pattern does not fit the network".into());
        return None;
    };
    rows.extend(domain.iter().cloned());
    let Some(point) = region.get("point").and_then(vector).filter(|p| p.len() == net.input_dim()) else {
        fail("missing or malformed `point`".into());
        return None;
    };
    let exact: Vec<ExactRow> = rows.iter().map(ExactRow::new).collect();
    let at_point = integer_point(&point);
    if let Some(k) = exact.iter().position(|r| r.slack_sign(&at_point) != std::cmp::Ordering::Greater) {
        fail(format!("the point is not strictly inside constraint {k} of its pattern"));
    }
    let (actual, _) = net.evaluate(&point);
    let actual = net.pattern_strings(&actual);
    if actual != pattern {
        fail(format!("the network's pattern at the point is {actual:?}"));
    }
    check_map(region, &jac, &off, fail);
    if region.get("facets_uncertified").and_then(Value::as_bool) == Some(true) {
        // a stopped run listed no facets for it (only a partial answer has such regions)
        return Some(CheckedRegion { pattern: pattern.to_vec(), listed: Vec::new(), map: (jac, off) });
    }
    let listed = check_inequalities(region, &exact, fail);
    let bounds = box_of(domain);
    // the constraints that are listed: their slack vanishes at a listed facet point, and they
    // are then compared exactly (a positive multiple of the listed row)
    let with_points: Vec<(&Row, (Vec<BigInt>, BigInt))> =
        listed.iter().filter_map(|(l, q)| q.as_deref().map(|q| (l, integer_point(q)))).collect();
    let is_listed: Vec<bool> = exact
        .iter()
        .map(|e| {
            with_points.iter().any(|(l, at)| {
                e.slack_sign(at) == std::cmp::Ordering::Equal && e.row.same_halfspace(l, Filter::Off)
            })
        })
        .collect();
    let rows_only: Vec<Row> = listed.iter().map(|(r, _)| r.clone()).collect();
    check_completeness(&rows, &is_listed, &rows_only, bounds.as_deref(), fail);
    Some(CheckedRegion { pattern: pattern.to_vec(), listed, map: (jac, off) })
}

fn check_map(region: &Value, jac: &[Vec<Q>], off: &[Q], fail: &mut impl FnMut(String)) {
    let stated_jac: Option<Vec<Vec<Q>>> =
        region.get("jacobian").and_then(Value::as_array).and_then(|rows| rows.iter().map(vector).collect());
    let stated_off = region.get("offset").and_then(vector);
    if stated_jac.as_deref() != Some(jac) || stated_off.as_deref() != Some(off) {
        fail("the affine map differs from exact evaluation".into());
    }
}

/// Checks each listed inequality; returns them with their facet points.
fn check_inequalities(
    region: &Value,
    rows: &[ExactRow],
    fail: &mut impl FnMut(String),
) -> Vec<(Row, Option<Vec<Q>>)> {
    let mut listed = Vec::new();
    let items = region.get("inequalities").and_then(Value::as_array).cloned().unwrap_or_default();
    for (k, item) in items.iter().enumerate() {
        let a = item.get("a").and_then(vector).filter(|a| Some(a.len()) == rows.first().map(|r| r.a.len()));
        let (Some(a), Some(b)) = (a, item.get("b").and_then(rational)) else {
            fail(format!("inequality {k} is malformed"));
            continue;
        };
        let row = Halfspace::new(a, b);
        let point = item.get("facet_point").and_then(vector).filter(|q| q.len() == row.a.len());
        let at = point.as_deref().map(integer_point);
        // a row is the listed one's halfspace only if its slack vanishes at the facet point
        let same = |r: &ExactRow<'_>| {
            at.as_ref().is_none_or(|at| r.slack_sign(at) == std::cmp::Ordering::Equal)
                && r.row.same_halfspace(&row, Filter::Off)
        };
        if !rows.iter().any(same) {
            fail(format!("inequality {k} is not a constraint of the pattern"));
        }
        let in_relative_interior = at.as_ref().is_some_and(|at| {
            point.as_ref().is_some_and(|q| row.slack(q).is_zero())
                && rows.iter().all(|r| r.slack_sign(at) == std::cmp::Ordering::Greater || same(r))
        });
        if !in_relative_interior {
            fail(format!("inequality {k}: its facet point is not in the relative interior of a facet"));
        }
        listed.push((row, point.filter(|_| in_relative_interior)));
    }
    listed
}

/// Every constraint of the pattern must be implied by the listed ones (Farkas, checked here).
/// A constraint implied by the domain box alone is settled by exact interval arithmetic; for
/// the others a float LP proposes a basis, whose Farkas vector is solved and checked exactly,
/// and the exact simplex decides when that fails.
fn check_completeness(
    rows: &[Row],
    is_listed: &[bool],
    listed: &[Row],
    bounds: Option<&[(Q, Q)]>,
    fail: &mut impl FnMut(String),
) {
    let a: Vec<Vec<Q>> = listed.iter().map(|r| r.a.clone()).collect();
    let b: Vec<Q> = listed.iter().map(|r| r.b.clone()).collect();
    for (k, (row, &listed_row)) in rows.iter().zip(is_listed).enumerate() {
        if listed_row || (row.a.iter().all(Zero::is_zero) && row.b.is_positive()) {
            continue;
        }
        if bounds.is_some_and(|bx| implied_by_box(row, bx)) || farkas_from_float_basis(listed, row) {
            continue;
        }
        // min -a_k . x over the listed polyhedron: its dual is the Farkas vector
        let c: Vec<Q> = row.a.iter().map(|v| -v).collect();
        let implied = match solve(&a, &b, &c, usize::MAX) {
            Some(LpOutcome::Optimal { y, .. }) => farkas_holds(listed, row, &y),
            _ => false,
        };
        if !implied {
            fail(format!("constraint {k} of the pattern is not implied by the listed inequalities (a facet is missing)"));
        }
    }
}

/// The box `[lo_j, hi_j]` given by listed axis-parallel rows, if every coordinate has both.
pub(super) fn box_of(listed: &[Row]) -> Option<Vec<(Q, Q)>> {
    let d = listed.first()?.a.len();
    let mut lo: Vec<Option<Q>> = vec![None; d];
    let mut hi: Vec<Option<Q>> = vec![None; d];
    for r in listed {
        let nonzero: Vec<usize> = (0..d).filter(|&j| !r.a[j].is_zero()).collect();
        if let [j] = nonzero[..] {
            let v = &r.b / &r.a[j];
            if r.a[j].is_positive() {
                hi[j] = Some(hi[j].take().map_or(v.clone(), |h| h.min(v)));
            } else {
                lo[j] = Some(lo[j].take().map_or(v.clone(), |l| l.max(v)));
            }
        }
    }
    lo.into_iter().zip(hi).map(|(l, h)| Some((l?, h?))).collect()
}

/// `max over the box of a . x <= b`, exactly.
pub(super) fn implied_by_box(row: &Row, bx: &[(Q, Q)]) -> bool {
    let max: Q =
        row.a.iter().zip(bx).map(|(a, (lo, hi))| if a.is_positive() { a * hi } else { a * lo }).sum();
    max <= row.b
}

/// Solves the LP in floats, then the Farkas vector on its basis exactly, and checks it.
pub(super) fn farkas_from_float_basis(listed: &[Row], row: &Row) -> bool {
    // each row scaled to unit infinity norm (the coefficients of deep layers reach 1e60)
    let refs: Vec<&Row> = listed.iter().collect();
    let (a, b, _) = crate::lp::scaled_rows(&refs);
    let c: Vec<f64> = crate::lp::scaled_rows(&[row]).0[0].iter().map(|v| -v).collect();
    if a.iter().flatten().chain(&b).chain(&c).any(|v| !v.is_finite()) {
        return false;
    }
    let Some(LpOutcome::Optimal { basis, .. }) = solve(&a, &b, &c, 50 * (listed.len() + row.a.len())) else {
        return false;
    };
    let d = row.a.len();
    if basis.len() != d {
        return false;
    }
    let transposed: Vec<Vec<Q>> =
        (0..d).map(|j| basis.iter().map(|&k| listed[k].a[j].clone()).collect()).collect();
    let Some(y_basis) = crate::lp::simplex::solve_square(&transposed, &row.a) else { return false };
    let mut y = vec![Q::zero(); listed.len()];
    for (&k, v) in basis.iter().zip(y_basis) {
        y[k] = v;
    }
    farkas_holds(listed, row, &y)
}

/// `y >= 0`, `sum y_i a_i = a_k`, `sum y_i b_i <= b_k`: signs of unreduced sums over the
/// rows with `y_i != 0`.
pub(super) fn farkas_holds(listed: &[Row], row: &Row, y: &[Q]) -> bool {
    if y.iter().any(|v| v.is_negative()) || y.len() != listed.len() {
        return false;
    }
    let minus_one = -Q::one();
    let support: Vec<(&Row, &Q)> = listed.iter().zip(y).filter(|(_, yi)| !yi.is_zero()).collect();
    let combo_ok = (0..row.a.len()).all(|j| {
        let terms = support.iter().map(|(r, yi)| (&r.a[j], *yi)).chain([(&row.a[j], &minus_one)]);
        sign_of_sum_of_products(terms) == Ordering::Equal
    });
    let rhs = support.iter().map(|(r, yi)| (&r.b, *yi)).chain([(&row.b, &minus_one)]);
    combo_ok && sign_of_sum_of_products(rhs) != Ordering::Greater
}
