//! Exact output ranges and Lipschitz constants over a domain, from the regions.
//!
//! The minimum (maximum) of output `k` over the domain is the smallest (largest) of its minima
//! (maxima) over the regions, where the network is the affine map `y = J x + c`. Each region's
//! optimum comes from the exact rational simplex, and is accepted only with its certificate
//! checked here in exact arithmetic: the optimal point inside the region and dual multipliers
//! `y >= 0` with `A^T y = -g` and `b . y = -g . x` (so no point of the region does better), or
//! a ray `d` with `A d <= 0` and `g . d < 0` (the output is unbounded there).
//!
//! The Lipschitz constants are the largest induced norms of the Jacobians over the regions: in
//! the l-infinity norm the largest absolute row sum, in the l1 norm the largest absolute column
//! sum (both exact, with the region attaining them). On a connected domain the network is
//! Lipschitz with exactly that constant, since it is continuous and piecewise affine.

use crate::enumerate::region::Region;
use crate::error::InternalError;
use crate::exact::num::{dot, Q};
use crate::exact::simplex::{all_nonnegative, solve, LpOutcome};
use num_traits::{Signed, Zero};

/// One end of an output's range.
#[derive(Debug, Clone, PartialEq)]
pub enum Extreme {
    /// Attained at `point`, in region `region`.
    Attained {
        /// The exact optimum.
        value: Q,
        /// An exact input where it is attained.
        point: Vec<Q>,
        /// The region containing `point` (whose map was used).
        region: usize,
    },
    /// The output is unbounded in this direction: along `ray` from region `region`'s point.
    Unbounded {
        /// A direction `d` of the region with `A d <= 0` along which the output goes to
        /// infinity.
        ray: Vec<Q>,
        /// The region.
        region: usize,
    },
}

impl Extreme {
    /// The value (`None` when unbounded).
    ///
    /// See the example on [`output_ranges`].
    pub fn value(&self) -> Option<&Q> {
        match self {
            Extreme::Attained { value, .. } => Some(value),
            Extreme::Unbounded { .. } => None,
        }
    }
}

/// The exact range of one output.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputRange {
    /// The minimum.
    pub min: Extreme,
    /// The maximum.
    pub max: Extreme,
}

/// The largest induced norm of the Jacobians, with the region attaining it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lipschitz {
    /// The exact constant.
    pub value: Q,
    /// The first region attaining it.
    pub region: usize,
}

/// The Lipschitz constants in the l1 and l-infinity norms.
#[derive(Debug, Clone, PartialEq)]
pub struct LipschitzConstants {
    /// `max ||J||_1` (largest absolute column sum).
    pub l1: Lipschitz,
    /// `max ||J||_inf` (largest absolute row sum).
    pub linf: Lipschitz,
}

/// The exact range of every output over the regions (`None` for no regions).
///
/// # Examples
/// ```
/// use relu_regions::{Enumerator, network::json::read_network, exact::num::q, queries::range::output_ranges};
/// // relu(x) - relu(-x) = x on [-2, 3]: the range is [-2, 3]
/// let net = read_network(r#"{"input_dim": 1, "layers": [
///     {"weights": [[1], [-1]], "activation": "relu"},
///     {"weights": [[1, -1]], "activation": "linear"}],
///     "domain": {"box": [[-2, 3]]}}"#, "t").unwrap();
/// let regions = Enumerator::builder().build().collect(&net).unwrap().0;
/// let ranges = output_ranges(&regions).unwrap().unwrap();
/// assert_eq!(ranges[0].min.value(), Some(&q(-2)));
/// assert_eq!(ranges[0].max.value(), Some(&q(3)));
/// ```
pub fn output_ranges(regions: &[Region]) -> Result<Option<Vec<OutputRange>>, InternalError> {
    output_ranges_prefix(regions).map(|(ranges, _)| ranges)
}

/// [`output_ranges`] over the regions taken in order until the run's stop token
/// ([`crate::jobs::StopToken`]) asks to stop: the ranges over that prefix, and its length (all the
/// regions unless the token fired).
///
/// # Examples
/// ```
/// use relu_regions::{queries::range::output_ranges_prefix, jobs::StopToken, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [{"weights": [[1], [-1]], "activation": "relu"},
///     {"weights": [[1, 1]], "activation": "linear"}], "domain": {"box": [[-2, 3]]}}"#).unwrap();
/// let regions = Enumerator::builder().build().collect(&net).unwrap().0;
/// assert_eq!(output_ranges_prefix(&regions).unwrap().1, 2);
/// let _stop = StopToken::new(Some(std::time::Instant::now()), None).install();
/// assert_eq!(output_ranges_prefix(&regions).unwrap(), (None, 0)); // stopped before the first
/// ```
pub fn output_ranges_prefix(regions: &[Region]) -> Result<(Option<Vec<OutputRange>>, usize), InternalError> {
    let Some(first) = regions.first() else { return Ok((None, 0)) };
    let outputs = first.map.offset.len();
    let mut min: Vec<Option<Extreme>> = vec![None; outputs];
    let mut max: Vec<Option<Extreme>> = vec![None; outputs];
    let mut done = 0;
    for r in regions {
        if crate::runtime::stop::requested() {
            break;
        }
        let mut ends = Vec::with_capacity(outputs);
        for (g, c) in r.map.jacobian.iter().zip(&r.map.offset) {
            match (optimum(r, g, c, false), optimum(r, g, c, true)) {
                (Ok(low), Ok(high)) => ends.push((low, high)),
                // an exact solve gave up: the run must stop, this region is not counted
                (Err(_), _) | (_, Err(_)) if crate::runtime::stop::requested() => break,
                (Err(e), _) | (_, Err(e)) => return Err(e),
            }
        }
        if ends.len() < outputs {
            break;
        }
        for ((low, high), (min, max)) in ends.into_iter().zip(min.iter_mut().zip(max.iter_mut())) {
            if better(&low, min.as_ref(), false) {
                *min = Some(low);
            }
            if better(&high, max.as_ref(), true) {
                *max = Some(high);
            }
        }
        done += 1;
    }
    let ranges =
        min.into_iter().zip(max).map(|(min, max)| Some(OutputRange { min: min?, max: max? })).collect();
    Ok((ranges, done))
}

/// Whether `candidate` improves on `best` (unbounded beats everything; ties keep the first).
fn better(candidate: &Extreme, best: Option<&Extreme>, maximize: bool) -> bool {
    match (candidate, best) {
        (_, None) => true,
        (_, Some(Extreme::Unbounded { .. })) => false,
        (Extreme::Unbounded { .. }, _) => true,
        (Extreme::Attained { value: v, .. }, Some(Extreme::Attained { value: b, .. })) => {
            if maximize {
                v > b
            } else {
                v < b
            }
        }
    }
}

/// `min g . x + c` (or max) over one region, by the exact simplex, its certificate checked.
fn optimum(r: &Region, g: &[Q], c: &Q, maximize: bool) -> Result<Extreme, InternalError> {
    let rows = r.halfspaces();
    let a: Vec<Vec<Q>> = rows.iter().map(|h| h.a.clone()).collect();
    let b: Vec<Q> = rows.iter().map(|h| h.b.clone()).collect();
    let objective: Vec<Q> = if maximize { g.iter().map(|v| -v).collect() } else { g.to_vec() };
    let fail = |what: &str| InternalError::new(format!("range: region {}: {what}", r.id));
    if objective.iter().all(Zero::is_zero) {
        // a constant output on this region: its value at the region's point
        return Ok(Extreme::Attained { value: dot(g, &r.point) + c, point: r.point.clone(), region: r.id });
    }
    match solve(&a, &b, &objective, usize::MAX) {
        Some(LpOutcome::Optimal { x, y, .. }) => {
            let inside = rows.iter().all(|h| !h.slack(&x).is_negative());
            let dual_ok = all_nonnegative(&y)
                && (0..objective.len())
                    .all(|j| a.iter().zip(&y).map(|(row, yi)| &row[j] * yi).sum::<Q>() == -&objective[j])
                && dot(&b, &y) == -dot(&objective, &x);
            if !(inside && dual_ok) {
                return Err(fail("the exact optimum failed its check"));
            }
            Ok(Extreme::Attained { value: dot(g, &x) + c, point: x, region: r.id })
        }
        Some(LpOutcome::Unbounded { ray }) => {
            let ok =
                rows.iter().all(|h| !dot(&h.a, &ray).is_positive()) && dot(&objective, &ray).is_negative();
            if !ok {
                return Err(fail("the exact ray failed its check"));
            }
            Ok(Extreme::Unbounded { ray, region: r.id })
        }
        other => Err(fail(&format!("the exact simplex answered {other:?} on a nonempty region"))),
    }
}

/// The Lipschitz constants in the l1 and l-infinity norms (`None` for no regions).
///
/// # Examples
/// ```
/// use relu_regions::{exact::num::q, queries::range::lipschitz, Enumerator, Network};
/// // y = (2 relu(x0) - x1, x1): ||J||_1 = 2 where x0 > 0, ||J||_inf = 3 there
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "0"], ["0", "1"], ["0", "-1"]], "activation": "relu"},
///     {"weights": [["2", "-1", "1"], ["0", "1", "-1"]], "activation": "linear"}]}"#).unwrap();
/// let regions = Enumerator::builder().build().collect(&net).unwrap().0;
/// let l = lipschitz(&regions).unwrap();
/// assert_eq!((l.l1.value.clone(), l.linf.value.clone()), (q(2), q(3)));
/// assert_eq!(regions[l.linf.region].pattern()[0][0], true);
/// ```
pub fn lipschitz(regions: &[Region]) -> Option<LipschitzConstants> {
    let mut l1: Option<Lipschitz> = None;
    let mut linf: Option<Lipschitz> = None;
    for r in regions {
        let j = &r.map.jacobian;
        let row_sum = j.iter().map(|row| row.iter().map(Q::abs).sum::<Q>()).max().unwrap_or_default();
        let d = j.first().map_or(0, Vec::len);
        let column_sum =
            (0..d).map(|c| j.iter().map(|row| row[c].abs()).sum::<Q>()).max().unwrap_or_default();
        if linf.as_ref().is_none_or(|best| row_sum > best.value) {
            linf = Some(Lipschitz { value: row_sum, region: r.id });
        }
        if l1.as_ref().is_none_or(|best| column_sum > best.value) {
            l1 = Some(Lipschitz { value: column_sum, region: r.id });
        }
    }
    Some(LipschitzConstants { l1: l1?, linf: linf? })
}
