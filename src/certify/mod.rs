//! Decisions: how the certificate of every geometric decision of the enumerator is obtained
//! (a float hint's rounded point, its basis solved exactly, else the exact rational simplex),
//! each checked by the pure checkers of [`crate::certify::certificate`] before it is returned, whatever the
//! float backend proposed.
//!
//! | decision | certificate checked here |
//! |---|---|
//! | a system of strict halfspaces (optionally on a hyperplane) has a point | a rational point, every slack checked `> 0` (filtered float, exact when close) |
//! | it has none | a Motzkin vector `y >= 0`, `y^T A = 0` (plus a free multiple of the hyperplane), `y^T b <= 0`, checked exactly |
//! | a region is unbounded | a rational ray `d != 0` with `A d <= 0` |
//! | a region is bounded | for each of the `2d` directions `+-e_j`, an exact LP optimum `0` with its dual multipliers checked |
//! | a polytope domain has no interior point | a zero row with `b < 0`, Farkas multipliers, or implicit equalities and a point (`domain`) |
//!
//! A float hint is tried first (its rounded point, then its basis solved exactly); when neither
//! proves the answer the exact rational simplex decides, and its answer is checked the same way.

pub mod certificate;
mod outcome;

pub use crate::certify::certificate::{check_motzkin, is_strictly_inside};
pub use outcome::{Decided, Outcome, Probe};

use crate::error::InternalError;
use crate::exact::num::{to_f64, Q};
use crate::exact::simplex::{solve, solve_square, LpOutcome};
use crate::kernel::halfspace::Halfspace;
use crate::kernel::Filter;
use crate::lp::{Hint, LpBackend};
use hint_point::{point_from_hint, rounded};
use num_traits::{One, Signed, Zero};
use std::cmp::Ordering;

/// Counters of how decisions were certified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LpStats {
    /// Centring LPs asked.
    pub lps: u64,
    /// Decided by a rounded float point, checked exactly.
    pub by_float_point: u64,
    /// Decided by solving a float LP's basis exactly (a centring LP's or a bound LP's).
    pub by_basis: u64,
    /// Decided by the exact rational simplex.
    pub exact_fallbacks: u64,
    /// "No split" proved by interval bounds on the box, without an LP.
    pub by_interval: u64,
    /// "No split" proved by a safe dual bound from the float LP's multipliers.
    pub by_safe_bound: u64,
    /// Bound LPs (`min h` over a region) solved: on a box the bounded dual simplex of
    /// `lp::boxed`; without one the dense simplex, its basis solved exactly.
    pub bound_lps: u64,
    /// "No split" proved by a safe dual bound from a bound LP's multipliers.
    pub by_bound_lp: u64,
    /// Split points found between the region's point and a bound LP's vertex, checked exactly.
    pub by_bound_vertex: u64,
    /// "No interior point" proved by a region row facing the side (a Motzkin pair), without
    /// an LP.
    pub by_opposite_row: u64,
}

impl LpStats {
    /// Adds another set of counters.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::certify::LpStats;
    /// let mut total = LpStats { lps: 2, ..LpStats::default() };
    /// total.add(&LpStats { lps: 3, exact_fallbacks: 1, ..LpStats::default() });
    /// assert_eq!((total.lps, total.exact_fallbacks), (5, 1));
    /// ```
    pub fn add(&mut self, o: &LpStats) {
        self.lps += o.lps;
        self.by_float_point += o.by_float_point;
        self.by_basis += o.by_basis;
        self.exact_fallbacks += o.exact_fallbacks;
        self.by_interval += o.by_interval;
        self.by_safe_bound += o.by_safe_bound;
        self.bound_lps += o.bound_lps;
        self.by_bound_lp += o.by_bound_lp;
        self.by_opposite_row += o.by_opposite_row;
        self.by_bound_vertex += o.by_bound_vertex;
    }
}

/// The certified answer to "is there a point strictly inside these halfspaces (and on this
/// hyperplane)?": `Proved(y)`, none, with the checked Motzkin vector `y`; `Witness(x)`, a rational
/// point checked strictly inside every halfspace (and exactly on the hyperplane).
pub type Feasibility = Decided<Vec<Q>, Vec<Q>>;

/// Decides, with a checked certificate, whether some rational `x` satisfies every row strictly
/// and lies on `equality` (when given). The backend's hint is tried first; the exact simplex
/// decides when the hint proves nothing. An error means an exact answer failed its own check.
///
/// # Examples
/// ```
/// use relu_regions::certify::{find_strict_point, is_strictly_inside, LpStats, Outcome};
/// use relu_regions::Filter;
/// use relu_regions::exact::num::q;
/// use relu_regions::Halfspace;
/// use relu_regions::Backend;
/// // x > 0, y > 0, x + y < 1: a triangle's interior
/// let rows = [Halfspace::new(vec![q(-1), q(0)], q(0)), Halfspace::new(vec![q(0), q(-1)], q(0)),
///             Halfspace::new(vec![q(1), q(1)], q(1))];
/// let refs: Vec<&Halfspace> = rows.iter().collect();
/// let mut stats = LpStats::default();
/// let Outcome::Witness(p) = find_strict_point(&refs, None, Backend::FloatSimplex.solver(), &mut stats).unwrap()
///     else { panic!("the triangle has interior points") };
/// assert!(is_strictly_inside(&refs, &p, Filter::Off)); // checked exactly
/// // ... and x + y > 1 as well: empty, with a checked Motzkin certificate
/// let more = Halfspace::new(vec![q(-1), q(-1)], q(-1));
/// let refs: Vec<&Halfspace> = rows.iter().chain([&more]).collect();
/// let answer = find_strict_point(&refs, None, Backend::ExactOnly.solver(), &mut stats).unwrap();
/// assert!(matches!(answer, Outcome::Proved(_)));
/// ```
pub fn find_strict_point(
    rows: &[&Halfspace],
    equality: Option<&Halfspace>,
    backend: &dyn LpBackend,
    stats: &mut LpStats,
) -> Result<Feasibility, InternalError> {
    stats.lps += 1;
    let cert_len = rows.len() + usize::from(equality.is_some());
    if let Some(i) = rows.iter().position(|r| r.is_trivial() && !r.b.is_positive()) {
        let mut y = vec![Q::zero(); cert_len];
        y[i] = Q::one();
        return Ok(Outcome::Proved(y));
    }
    let kept: Vec<usize> = (0..rows.len()).filter(|&i| !rows[i].is_trivial()).collect();
    let lp = CentringLp::new(kept.iter().map(|&i| rows[i]).collect(), equality, backend.filter());
    let hint = backend.centre(&lp.lp_rows(), &lp.strict);
    Ok(match lp.decide(&hint, stats)? {
        Outcome::Proved(y) => Outcome::Proved(expand_certificate(y, &kept, cert_len)),
        interior => interior,
    })
}

/// Decides whether the halfspace `side` has interior points inside the region `rows` (all
/// nontrivial): a certified rational point strictly inside every row and `side`, or `None` with
/// a proof that there is none. On a box domain, safe dual bounds from the float LP's
/// multipliers ([`safe::proves_empty`]) are tried before any exact work (the caller tries the
/// cheaper interval bound, [`safe::proves_empty_floats`] with no rows, before the LP).
pub(crate) fn split_point(
    rows: &[&Halfspace],
    side: &Halfspace,
    bx: Option<&crate::kernel::float_box::FloatBox>,
    backend: &dyn LpBackend,
    stats: &mut LpStats,
) -> Result<Option<Vec<Q>>, InternalError> {
    Ok(match reach(rows, side, bx, backend, stats)? {
        Outcome::Witness(x) => Some(x),
        Outcome::Proved(None) | Outcome::Proved(Some(_)) => None,
    })
}

/// What `reach` proved of a halfspace inside a region: `Witness(x)`, a rational point strictly
/// inside the region and the halfspace (checked); `Proved(None)`, no point at all, not even on
/// the boundary (a safe dual bound on a box domain); `Proved(Some(y))`, no interior point, with
/// the checked Motzkin vector (over the rows, then the side).
pub type Reach = Decided<Option<Vec<Q>>, Vec<Q>>;

/// Whether the halfspace `side` meets the region `rows` (all nontrivial): a safe dual bound
/// from the centring LP's multipliers first (box domains), then the LP's certified answer.
pub(crate) fn reach(
    rows: &[&Halfspace],
    side: &Halfspace,
    bx: Option<&crate::kernel::float_box::FloatBox>,
    backend: &dyn LpBackend,
    stats: &mut LpStats,
) -> Result<Reach, InternalError> {
    debug_assert!(rows.iter().all(|r| !r.is_trivial()));
    if let Some((y, apart)) = opposite::facing_row_certificate(rows, side, backend.filter()) {
        stats.by_opposite_row += 1;
        return Ok(if apart { Outcome::Proved(None) } else { Outcome::Proved(Some(y)) });
    }
    stats.lps += 1;
    let mut with_side: Vec<&Halfspace> = rows.to_vec();
    with_side.push(side);
    let lp = CentringLp::new(with_side, None, backend.filter());
    let hint = backend.centre(&lp.lp_rows(), &lp.strict);
    if let (Some(bx), Some(dual)) = (bx, &hint.dual) {
        if hint.radius <= 0.0 && safe_bound_from_dual(rows, side, dual, bx) {
            stats.by_safe_bound += 1;
            return Ok(Outcome::Proved(None));
        }
    }
    Ok(match lp.decide(&hint, stats)? {
        Outcome::Witness(x) => Outcome::Witness(x),
        Outcome::Proved(y) => Outcome::Proved(Some(y)),
    })
}

/// A point strictly inside `rows` and strictly inside `side`, from the segment between a point
/// strictly inside `rows` (its float image `p_float`) and a float point `x` of
/// the region's closure where `side` holds with room (e.g. the vertex that minimizes `side`'s
/// normal): halfway between where `side` starts to hold and `x`, rounded to simple dyadic
/// rationals, each candidate checked exactly. `None` when no candidate passes.
pub(crate) fn point_between(
    rows: &[&Halfspace],
    side: &Halfspace,
    p_float: &[f64],
    x: &[f64],
) -> Option<Vec<Q>> {
    let (at_p, at_x) = (side.float_slack(p_float), side.float_slack(x));
    if !(at_x > 0.0 && at_p.is_finite()) {
        return None;
    }
    // the side's slack along the segment is (1 - t) at_p + t at_x: positive past t0
    let t0 = (-at_p / (at_x - at_p)).clamp(0.0, 1.0);
    let t = (1.0 + t0) / 2.0;
    let q: Vec<f64> = p_float.iter().zip(x).map(|(a, b)| a + t * (b - a)).collect();
    if q.iter().any(|v| !v.is_finite()) {
        return None;
    }
    for bits in [4u32, 10, 20, 30, 0] {
        let Some(candidate) = rounded(&q, bits) else { continue };
        let candidate_float: Vec<f64> = candidate.iter().map(to_f64).collect();
        if side.slack_sign(&candidate, Some(&candidate_float)) == Ordering::Greater
            && is_strictly_inside(rows, &candidate, Filter::Float)
        {
            return Some(candidate);
        }
    }
    None
}

/// A rational point exactly on the hyperplane of `equality`, strictly inside `rows`, near the
/// float point `x` (rounded to simple dyadic rationals and projected onto the hyperplane, each
/// candidate checked exactly), as [`find_strict_point`] would certify it. `None` when no
/// candidate passes.
pub(crate) fn point_on_hyperplane_near(
    rows: &[&Halfspace],
    equality: &Halfspace,
    x: &[f64],
) -> Option<Vec<Q>> {
    let hint = Hint { point: Some(x.to_vec()), radius: 1.0, basis: None, dual: None };
    point_from_hint(rows, Some(equality), &hint)
}

/// Normalizes the centring LP's multipliers by the side's and tries the safe bound.
fn safe_bound_from_dual(
    rows: &[&Halfspace],
    side: &Halfspace,
    dual: &[f64],
    bx: &crate::kernel::float_box::FloatBox,
) -> bool {
    let m = rows.len();
    match dual.get(m) {
        Some(&ys) if ys > 0.0 => {
            let y: Vec<f64> = dual[..m].iter().map(|v| (v / ys).max(0.0)).collect();
            crate::kernel::float_box::proves_empty(rows, side, Some(&y), bx)
        }
        _ => false,
    }
}

/// Maps a certificate over the nontrivial rows back to all rows (trivial rows get 0).
fn expand_certificate(y: Vec<Q>, kept: &[usize], len: usize) -> Vec<Q> {
    let mut full = vec![Q::zero(); len];
    let m = kept.len();
    for (&i, v) in kept.iter().zip(&y[..m]) {
        full[i] = v.clone();
    }
    if y.len() > m {
        full[len - 1] = y[m].clone();
    }
    full
}

/// The exact weight of a row in the centring LP.
fn weight(row: &Halfspace, strict: bool) -> Q {
    if !strict {
        return Q::zero();
    }
    row.a.iter().map(|v| v.abs()).max().unwrap_or_else(Q::zero)
}

/// The centring LP `max t  s.t.  a_i . x + w_i t <= b_i, t <= 1` of one decision, with the
/// hyperplane (if any) as its last two rows `e . x <= f`, `-e . x <= -f`.
struct CentringLp<'a> {
    rows: Vec<&'a Halfspace>,
    equality: Option<&'a Halfspace>,
    reversed: Option<Halfspace>,
    strict: Vec<bool>,
    filter: Filter,
}

impl<'a> CentringLp<'a> {
    fn new(rows: Vec<&'a Halfspace>, equality: Option<&'a Halfspace>, filter: Filter) -> CentringLp<'a> {
        let mut strict = vec![true; rows.len()];
        if equality.is_some() {
            strict.extend([false, false]);
        }
        CentringLp { rows, equality, reversed: equality.map(Halfspace::flipped), strict, filter }
    }

    /// The rows of the LP in order: the strict rows, then the hyperplane's two rows.
    fn lp_rows(&self) -> Vec<&Halfspace> {
        let mut all = self.rows.clone();
        if let (Some(e), Some(r)) = (self.equality, &self.reversed) {
            all.extend([e, r]);
        }
        all
    }

    /// Decides from the hint (point, then basis), else by the exact simplex.
    fn decide(&self, hint: &Hint, stats: &mut LpStats) -> Result<Feasibility, InternalError> {
        if let Some(x) = point_from_hint(&self.rows, self.equality, hint) {
            stats.by_float_point += 1;
            Ok(Outcome::Witness(x))
        } else if let Some(answer) = self.answer_from_basis(hint) {
            stats.by_basis += 1;
            Ok(answer)
        } else {
            stats.exact_fallbacks += 1;
            self.exact_answer()
        }
    }

    /// The exact constraint matrix over `(x, t)`, with the row `t <= 1` last.
    fn matrix(&self) -> (Vec<Vec<Q>>, Vec<Q>) {
        let lp_rows = self.lp_rows();
        (0..=lp_rows.len()).filter_map(|k| self.matrix_row(&lp_rows, k)).unzip()
    }

    /// Row `k` of [`CentringLp::matrix`] (`None` past its end).
    fn matrix_row(&self, lp_rows: &[&Halfspace], k: usize) -> Option<(Vec<Q>, Q)> {
        match lp_rows.get(k) {
            Some(r) => {
                let w = weight(r, *self.strict.get(k)?);
                Some((r.a.iter().cloned().chain(std::iter::once(w)).collect(), r.b.clone()))
            }
            None if k == lp_rows.len() => {
                let d = lp_rows.first().map_or(0, |r| r.a.len());
                let mut top = vec![Q::zero(); d + 1];
                top[d] = Q::one();
                Some((top, Q::one()))
            }
            None => None,
        }
    }

    /// A Motzkin certificate from LP multipliers `y` over the LP rows (the hyperplane's two
    /// rows fold into one free multiplier).
    fn certificate(&self, y: &[Q]) -> Vec<Q> {
        let m = self.rows.len();
        let mut cert = y[..m].to_vec();
        if self.equality.is_some() {
            cert.push(&y[m] - &y[m + 1]);
        }
        cert
    }

    /// Tries to prove the answer from the hint's basis by exact square solves.
    fn answer_from_basis(&self, hint: &Hint) -> Option<Feasibility> {
        let basis = hint.basis.as_ref()?;
        let d = self.rows.first().or(self.equality.as_ref())?.a.len();
        if basis.len() != d + 1 {
            return None;
        }
        // only the basis rows of the LP's matrix
        let lp_rows = self.lp_rows();
        let (square, rhs): (Vec<Vec<Q>>, Vec<Q>) = basis
            .iter()
            .map(|&k| self.matrix_row(&lp_rows, k))
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .unzip();
        let transposed: Vec<Vec<Q>> =
            (0..=d).map(|j| square.iter().map(|c| c[j].clone()).collect()).collect();
        let mut unit = vec![Q::zero(); d + 1];
        unit[d] = Q::one();
        // |det| y, integers: its signs and the optimum's need no gcd
        let (scaled, _) = crate::exact::simplex::solve_square_scaled(&transposed, &unit)?;
        if scaled.iter().any(|v| v.is_negative()) {
            return None;
        }
        let scaled: Vec<Q> = scaled.into_iter().map(Q::from_integer).collect();
        let optimum = crate::exact::num::sign_of_sum_of_products(rhs.iter().zip(&scaled));
        if optimum == Ordering::Greater {
            let x = solve_square(&square, &rhs)?[..d].to_vec();
            let on_plane = self.equality.is_none_or(|e| e.slack(&x).is_zero());
            return (on_plane && is_strictly_inside(&self.rows, &x, self.filter))
                .then_some(Outcome::Witness(x));
        }
        // a Motzkin certificate is one up to a positive factor: `|det| y` serves, with no gcd
        let mut y = vec![Q::zero(); lp_rows.len() + 1];
        for (&k, v) in basis.iter().zip(scaled) {
            y[k] = v;
        }
        let cert = self.certificate(&y);
        check_motzkin(&self.rows, self.equality, &cert).then_some(Outcome::Proved(cert))
    }

    /// Solves the LP with the exact simplex and checks its answer.
    fn exact_answer(&self) -> Result<Feasibility, InternalError> {
        let (a, b) = self.matrix();
        let d = a[0].len() - 1;
        let mut c = vec![Q::zero(); d + 1];
        c[d] = -Q::one();
        let outcome = solve(&a, &b, &c, usize::MAX);
        let Some(LpOutcome::Optimal { x, y, .. }) = outcome else {
            return Err(
                self.failure(format!("the exact simplex answered {outcome:?} on a feasible, bounded LP"))
            );
        };
        if x[d].is_positive() {
            let point = x[..d].to_vec();
            let on_plane = self.equality.is_none_or(|e| e.slack(&point).is_zero());
            if !(on_plane && is_strictly_inside(&self.rows, &point, self.filter)) {
                return Err(self.failure(format!(
                    "the exact LP point {} failed its check",
                    crate::exact::num::fmt_point(&point)
                )));
            }
            return Ok(Outcome::Witness(point));
        }
        let cert = self.certificate(&y);
        if !check_motzkin(&self.rows, self.equality, &cert) {
            return Err(self.failure("the exact Motzkin certificate failed its check".into()));
        }
        Ok(Outcome::Proved(cert))
    }

    /// An internal error of this LP, with its size for context.
    fn failure(&self, what: String) -> InternalError {
        let d = self.rows.first().map_or(0, |r| r.a.len());
        InternalError::new(format!("centring LP ({} rows in R^{d}): {what}", self.rows.len()))
    }
}

mod basis_bound;
mod bound_probe;
mod bounding;
mod domain;
mod hint_point;
mod opposite;
mod recession;
pub(crate) use bound_probe::{probe_box_lp, probe_box_lp_kept, probe_by_basis, probe_over_box, Bound};
pub(crate) use bounding::{bounding_box, search_box, BOX_DIMENSION_LIMIT};
pub use domain::{polytope_defect, PolytopeDefect};
pub(crate) use recession::recession_ray_trying_first;
pub use recession::{is_bounded, recession_ray};
