//! How the symbolic bounds pass a piecewise-linear unit: a ReLU's value from its
//! preactivation's bounds (fixed, or the triangle relaxation), and a max layer's values from
//! its candidates' bounds.

use super::{image_error, Bounded, Frame, Near, SymbolicBounds};
use crate::forward::symbolic::Outward;

impl SymbolicBounds {
    /// The values of a max layer from its candidates' bounds (`k` a unit, unit-major), bounds of
    /// each unit's *sum* `sum_j o_j = max_j c_j`, which is all the next layer reads (its columns
    /// are equal within a unit, checked when the network is built; a max layer is never the
    /// last): the unit's bounds go to one candidate and the others get 0. A unit whose winner
    /// `t` is fixed in `fixed` passes `c_t`; otherwise the winner is `t` where `t`'s lower bound
    /// exceeds every other's upper one; otherwise `max_j c_j >= c_j` for the `j` of the largest
    /// lower bound, and `<= max_j u_j`. Magnitudes: `|sum_j o_j| <= max_j max(|l_j|, |u_j|)`, so
    /// the rounding terms of the next layer's equal weights (one image, one radius) are paid for.
    pub(super) fn max_units(
        &self,
        f: &Frame,
        fixed: &[bool],
        pres: Vec<(Bounded, f64, f64)>,
        k: usize,
    ) -> Option<Vec<Bounded>> {
        let d = f.lo.len();
        let zero = || Bounded {
            lower: vec![0.0; d + 1],
            upper: vec![0.0; d + 1],
            magnitude: 0.0,
            lower_weight: 0.0,
            upper_weight: 0.0,
        };
        if k == 0 || pres.len() % k != 0 {
            return None;
        }
        let mut out = Vec::with_capacity(pres.len());
        let mut rest = pres.into_iter();
        for unit in 0.. {
            let cands: Vec<(Bounded, f64, f64)> = rest.by_ref().take(k).collect();
            if cands.is_empty() {
                break;
            }
            let bits = fixed.get(unit * k..unit * k + k);
            let winner = match bits {
                Some(bits) => bits.iter().position(|&b| b),
                None => (0..k).find(|&t| (0..k).all(|j| j == t || cands[t].1 > cands[j].2)),
            };
            let magnitude = cands.iter().map(|(c, _, _)| c.magnitude).fold(0.0, f64::max);
            let top = cands.iter().map(|(_, _, u)| *u).fold(f64::NEG_INFINITY, f64::max);
            let (best, _) = cands
                .iter()
                .enumerate()
                .map(|(j, (_, l, _))| (j, *l))
                .fold((0, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
            for (j, (c, _, _)) in cands.into_iter().enumerate() {
                out.push(match winner {
                    Some(t) if t == j => c,
                    Some(_) => zero(),
                    None if j == best => {
                        // max_j c_j in [c_best, top]: the constant `top` above
                        let mut upper = vec![0.0; d + 1];
                        upper[d] = top;
                        Bounded {
                            lower: c.lower,
                            lower_weight: c.lower_weight,
                            upper,
                            upper_weight: top.abs(),
                            magnitude,
                        }
                    }
                    None => zero(),
                });
            }
        }
        Some(out)
    }

    /// A ReLU's value bounds from its preactivation's bounds, whose range over the box is
    /// `[l, u]`.
    pub(super) fn activate(
        &self,
        f: &Frame,
        state: Option<bool>,
        pre: Bounded,
        l: f64,
        u: f64,
    ) -> Option<Bounded> {
        let on = match state {
            Some(on) => Some(on),
            None if u <= 0.0 => Some(false),
            None if l >= 0.0 => Some(true),
            None => None,
        };
        Some(match on {
            // a value known >= 0 is above both its preactivation's lower form and 0: keep the
            // one that is better on most of the range
            Some(true) => {
                let mut pre = pre;
                if !(l >= 0.0 || u > -l) {
                    pre.lower.fill(0.0);
                    pre.lower_weight = 0.0;
                }
                Bounded { magnitude: u.max(0.0), ..pre }
            }
            Some(false) => {
                // the zero forms in the preactivation's storage (the same `+0.0`s, no allocation)
                let (mut lower, mut upper) = (pre.lower, pre.upper);
                lower.fill(0.0);
                upper.fill(0.0);
                Bounded { lower, upper, magnitude: 0.0, lower_weight: 0.0, upper_weight: 0.0 }
            }
            None => {
                let s = slope(l, u);
                let shift = -l * s;
                if !(s.is_finite() && shift.is_finite()) {
                    return None;
                }
                let one = Near { value: s, radius: 0.0 };
                let constant = Near { value: shift, radius: (image_error(shift) + image_error(shift)).up() };
                let (upper, upper_weight) =
                    self.combine(f, std::iter::once((one, &pre.upper, pre.upper_weight, u)), constant, true);
                let (mut lower, mut lower_weight) = (pre.lower, pre.lower_weight);
                if u <= -l {
                    lower.fill(0.0);
                    lower_weight = 0.0;
                }
                Bounded { lower, upper, magnitude: u, lower_weight, upper_weight }
            }
        })
    }
}

/// A slope `s >= u / (u - l)` for the triangle relaxation's upper side: `relu(h) <= s (h - l)`
/// on `[l, u]` (`l < 0 < u`) for any such `s`.
pub(super) fn slope(l: f64, u: f64) -> f64 {
    (u / (u - l).down()).up()
}
