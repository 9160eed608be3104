//! Boundedness of a region, decided exactly: a checked ray, or the `2d` checked boundedness
//! duals (each recession LP solved in floats, its basis solved exactly, the exact simplex only
//! as a fallback; with [`Filter::Off`] the exact simplex alone).

use crate::certify::certificate::dual_certifies_zero;
use crate::error::InternalError;
use crate::exact::num::{dot, sign_of_sum_of_products, Q};
use crate::exact::simplex::{solve, solve_square, solve_square_scaled, LpOutcome};
use crate::kernel::halfspace::Halfspace;
use crate::kernel::Filter;
use num_traits::{One, Signed, Zero};
use std::cmp::Ordering;

/// Whether `{x : A x <= b}` (nonempty) is bounded, decided exactly: an unbounded answer comes
/// with a checked ray, a bounded one with `2d` exact LP optima and their checked duals.
///
/// # Examples
/// ```
/// use relu_regions::certify::{is_bounded, recession_ray};
/// use relu_regions::Filter;
/// use relu_regions::exact::num::q;
/// use relu_regions::Halfspace;
/// // x >= 0, y >= 0: a quadrant, unbounded; with x + y <= 1 a triangle, bounded
/// let quadrant = [Halfspace::new(vec![q(-1), q(0)], q(0)), Halfspace::new(vec![q(0), q(-1)], q(0))];
/// let refs: Vec<&Halfspace> = quadrant.iter().collect();
/// let ray = recession_ray(&refs, 2, Filter::Float).unwrap().unwrap();
/// assert!(quadrant.iter().all(|h| h.a[0].clone() * &ray[0] + h.a[1].clone() * &ray[1] <= q(0)));
/// let cap = Halfspace::new(vec![q(1), q(1)], q(1));
/// let refs: Vec<&Halfspace> = quadrant.iter().chain([&cap]).collect();
/// assert!(is_bounded(&refs, 2, Filter::Float).unwrap());
/// ```
pub fn is_bounded(rows: &[&Halfspace], dim: usize, filter: Filter) -> Result<bool, InternalError> {
    Ok(recession_ray(rows, dim, filter)?.is_none())
}

/// A nonzero rational `d` with `A d <= 0`, if the recession cone is not `{0}`. When none is
/// returned, each of the `2d` LPs `max +-d_j  s.t.  A d <= 0, +-d_j <= 1` had optimum 0 with
/// dual multipliers checked exactly. Each LP is solved in floats first and its optimal basis
/// solved exactly; the exact simplex decides only when that proves nothing.
///
/// See the example on [`is_bounded`].
pub fn recession_ray(
    rows: &[&Halfspace],
    dim: usize,
    filter: Filter,
) -> Result<Option<Vec<Q>>, InternalError> {
    recession_ray_trying_first(rows, dim, filter, None)
}

/// [`recession_ray`] with the LP `max s d_j` of `first = (j, s)` solved first: where `s x_j`
/// is known (in floats) to grow without bound, the first LP usually gives the ray.
pub(crate) fn recession_ray_trying_first(
    rows: &[&Halfspace],
    dim: usize,
    filter: Filter,
    first: Option<(usize, i64)>,
) -> Result<Option<Vec<Q>>, InternalError> {
    let mut a: Vec<Vec<Q>> = rows.iter().map(|r| r.a.clone()).collect();
    let mut b = vec![Q::zero(); rows.len()];
    a.push(vec![Q::zero(); dim]);
    b.push(Q::one());
    let mut float_a = crate::lp::scaled_rows(rows).0;
    float_a.push(vec![0.0; dim]);
    let float_b = vec![0.0; rows.len()].into_iter().chain([1.0]).collect::<Vec<f64>>();
    let directions = (0..dim).flat_map(|j| [(j, 1i64), (j, -1)]);
    for (j, s) in first.into_iter().chain(directions.filter(|&d| Some(d) != first)) {
        let cap = a.last_mut().expect("cap row");
        cap.iter_mut().for_each(|v| *v = Q::zero());
        cap[j] = Q::from_integer(s.into());
        let float_cap = float_a.last_mut().expect("cap row");
        float_cap.iter_mut().for_each(|v| *v = 0.0);
        float_cap[j] = s as f64;
        let c: Vec<Q> = a[rows.len()].iter().map(|v| -v).collect();
        let float_c: Vec<f64> = float_cap.iter().map(|v| -v).collect();
        if filter.on() {
            match recession_from_float(&a, &b, &c, &float_a, &float_b, &float_c) {
                Some(Recession::Ray(x)) => return Ok(Some(x)),
                Some(Recession::Zero) => continue,
                None => {}
            }
        }
        let failure = |what: &str| {
            let sign = if s > 0 { '+' } else { '-' };
            InternalError::new(format!(
                "recession LP max {sign}d_{j} ({} rows in R^{dim}): {what}",
                rows.len()
            ))
        };
        match solve(&a, &b, &c, usize::MAX) {
            Some(LpOutcome::Optimal { x, .. }) if dot(&c, &x).is_negative() => {
                if !rows.iter().all(|r| !dot(&r.a, &x).is_positive()) {
                    return Err(failure("the exact ray failed its check"));
                }
                return Ok(Some(x));
            }
            Some(LpOutcome::Optimal { y, .. }) => {
                if !dual_certifies_zero(&a, &b, &c, &y) {
                    return Err(failure("the exact boundedness dual failed its check"));
                }
            }
            other => {
                return Err(failure(&format!(
                    "the exact simplex answered {other:?} on a feasible, bounded LP"
                )))
            }
        }
    }
    Ok(None)
}

/// A certified answer for one recession LP.
enum Recession {
    /// A checked ray.
    Ray(Vec<Q>),
    /// Optimum 0, with checked dual multipliers.
    Zero,
}

/// Solves one recession LP in floats and proves its answer from the optimal basis: the exact
/// vertex of the basis (a ray, checked `A d <= 0`, `c . d < 0`) or its exact multipliers
/// (checked by [`dual_certifies_zero`]). `None` when the basis proves nothing.
fn recession_from_float(
    a: &[Vec<Q>],
    b: &[Q],
    c: &[Q],
    float_a: &[Vec<f64>],
    float_b: &[f64],
    float_c: &[f64],
) -> Option<Recession> {
    let d = c.len();
    if float_a.iter().flatten().any(|v| !v.is_finite()) {
        return None;
    }
    let LpOutcome::Optimal { basis, .. } = solve(float_a, float_b, float_c, 50 * (a.len() + d + 2))? else {
        return None;
    };
    if basis.len() != d {
        return None;
    }
    let square: Vec<Vec<Q>> = basis.iter().map(|&k| a[k].clone()).collect();
    let rhs: Vec<Q> = basis.iter().map(|&k| b[k].clone()).collect();
    // the vertex up to a positive factor (a ray is one up to such a factor): integers, no gcd
    let x: Vec<Q> = solve_square_scaled(&square, &rhs)?.0.into_iter().map(Q::from_integer).collect();
    // signs of unreduced sums (no gcd)
    let sign = |row: &[Q]| sign_of_sum_of_products(row.iter().zip(&x));
    if sign(c) == Ordering::Less {
        let m = a.len() - 1;
        let feasible = a[..m].iter().all(|row| sign(row) != Ordering::Greater);
        return feasible.then_some(Recession::Ray(x));
    }
    let transposed: Vec<Vec<Q>> = (0..d).map(|j| square.iter().map(|row| row[j].clone()).collect()).collect();
    let minus_c: Vec<Q> = c.iter().map(|v| -v).collect();
    let y_basis = solve_square(&transposed, &minus_c)?;
    let mut y = vec![Q::zero(); a.len()];
    for (&k, v) in basis.iter().zip(y_basis) {
        y[k] = v;
    }
    dual_certifies_zero(a, b, c, &y).then_some(Recession::Zero)
}
