//! The split of a region by a max unit: which of its candidates win on a full-dimensional part
//! of the region, each with a certified interior point, or a checked certificate that it wins
//! nowhere.
//!
//! The cell of candidate `t` is the region cut by `c_j <= c_t` for every other candidate `j`;
//! a candidate equal to `c_t` as an affine function on the region is a tie that the lower index
//! wins (see [`crate::network::pieces`]). The cells cover the region, so a region with a single
//! nonempty cell is not cut at all (every row of that cell is implied).
//!
//! A cell's rows are taken one at a time, each decided as a neuron's side is: kept when the
//! current point is strictly inside it, else an interval bound, the region's bound LP (a safe
//! dual bound proves the side empty, or its vertex gives a point checked exactly), then a
//! certified centring LP over the rows taken so far. After a ReLU layer (max pooling) the
//! candidates that select relu outputs are known: an off one (identically 0) never wins over
//! an on one (positive inside the region), with no LP at all.

use super::split::{Bound, RegionRows};
use super::{Context, Enumerator, Partial};
use crate::certify::safe::proves_empty;
use crate::certify::{point_between, split_point, LpStats};
use crate::error::InternalError;
use crate::fixed::FixedMap;
use crate::lp::Backend;
use crate::num::Q;
use crate::poly::Halfspace;
use crate::region::{Constraint, NeuronId, Origin};
use num_bigint::BigInt;
use num_traits::{Signed, Zero};
use std::cmp::Ordering;

/// A candidate that wins on part of the region: its index in the unit, its cell's rows with
/// the index of the other candidate of each, and a point of the cell's interior (`None`: the
/// region's own point).
pub(super) struct Cell {
    pub(super) piece: usize,
    rows: Vec<(usize, Halfspace)>,
    pub(super) point: Option<Vec<Q>>,
}

/// What is known of a candidate without solving anything: it is a relu output that is on (so
/// `>= 0` on the region and positive inside it), off (identically 0), or nothing is known.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    On,
    Off,
    Nothing,
}

/// The rows `c_j <= c_t` of the cell of `t`, each with `j`; `None` when a constant difference
/// leaves the cell empty (a candidate above `c_t` everywhere, or equal to it and lower). Rows
/// `c_j <= c_t` with `c_j` an off relu output and `c_t` an on one are implied (`0 <= c_t`) and
/// left out.
fn cell_rows(
    candidates: &[(Vec<BigInt>, BigInt)],
    known: &[Known],
    t: usize,
) -> Option<Vec<(usize, Halfspace)>> {
    let (ct, et) = &candidates[t];
    let mut rows = Vec::new();
    for (j, (cj, ej)) in candidates.iter().enumerate().filter(|(j, _)| *j != t) {
        if known[t] == Known::On && known[j] == Known::Off {
            continue;
        }
        let a: Vec<BigInt> = cj.iter().zip(ct).map(|(x, y)| x - y).collect();
        let b = et - ej;
        if a.iter().all(Zero::is_zero) {
            if b.is_negative() || (b.is_zero() && j < t) {
                return None;
            }
            continue;
        }
        rows.push((j, Halfspace::new(a.into_iter().map(Q::from_integer).collect(), Q::from_integer(b))));
    }
    Some(rows)
}

impl Enumerator {
    /// The cells of max unit `unit` (its `k` candidates are rows `unit k ..` of `pre`) that have
    /// interior points in the region of `p`.
    pub(super) fn max_cells(
        &self,
        ctx: &Context<'_>,
        p: &Partial,
        pre: &FixedMap,
        (unit, k): (usize, usize),
        region_rows: &mut RegionRows<'_>,
        stats: &mut LpStats,
    ) -> Result<Vec<Cell>, InternalError> {
        let candidates: Vec<(Vec<BigInt>, BigInt)> = (0..k).map(|t| pre.row_ints(unit * k + t)).collect();
        // candidates that select relu outputs of the layer before (max pooling after a ReLU)
        let known: Vec<Known> = match (ctx.prepared.relu_selections(p.layer), p.pattern.last()) {
            (Some(selects), Some(bits)) => (0..k)
                .map(|t| match selects[unit * k + t] {
                    Some(i) if bits[i] => Known::On,
                    Some(_) => Known::Off,
                    None => Known::Nothing,
                })
                .collect(),
            _ => vec![Known::Nothing; k],
        };
        let some_on = known.contains(&Known::On);
        let bx = p.bounds.as_deref();
        let point_float = self.backend.filter().on().then_some(p.point_float.as_slice());
        let region: Vec<&Halfspace> = p.constraints.rows();
        let mut cells = Vec::new();
        for t in 0..k {
            // an off relu output (0) never wins over an on one (positive inside the region)
            if some_on && known[t] == Known::Off {
                continue;
            }
            let Some(rows) = cell_rows(&candidates, &known, t) else { continue };
            let strictly_inside =
                |(_, h): &(usize, Halfspace)| h.slack_sign(&p.point, point_float) == Ordering::Greater;
            if rows.iter().all(strictly_inside) {
                cells.push(Cell { piece: t, rows, point: None });
                continue;
            }
            if let Some(bx) = bx {
                if rows.iter().any(|(_, h)| proves_empty(&[], h, None, bx)) {
                    stats.by_interval += 1;
                    continue;
                }
            }
            // the cell's rows one at a time, each decided as a neuron's side is (interval and
            // safe dual bounds, then a certified centring LP) inside the rows taken so far
            let mut all: Vec<&Halfspace> = region.clone();
            let (mut point, mut point_float) = (p.point.clone(), p.point_float.clone());
            let mut empty = false;
            for (_, h) in &rows {
                let filtered = self.backend.filter().on().then_some(point_float.as_slice());
                if h.slack_sign(&point, filtered) != Ordering::Greater {
                    // no point of the region itself on the row's side: a bound LP's safe bound
                    // (or a point between the current one and the LP's vertex, checked exactly)
                    if let (Some(bx), true) = (bx, self.backend != Backend::ExactOnly) {
                        match region_rows.bound(h.float_a(), h.float_b(), bx, stats) {
                            Bound::Empty => {
                                stats.by_bound_lp += 1;
                                empty = true;
                                break;
                            }
                            Bound::Below(vertex) => {
                                if let Some(q) = point_between(&all, h, &point_float, &vertex) {
                                    stats.by_bound_vertex += 1;
                                    point_float = q.iter().map(crate::num::to_f64).collect();
                                    point = q;
                                    all.push(h);
                                    continue;
                                }
                            }
                            Bound::Unknown => {}
                        }
                    }
                    match split_point(&all, h, bx, self.backend.solver(), stats)? {
                        Some(q) => {
                            point_float = q.iter().map(crate::num::to_f64).collect();
                            point = q;
                        }
                        None => {
                            empty = true;
                            break;
                        }
                    }
                }
                all.push(h);
            }
            if !empty {
                cells.push(Cell { piece: t, rows, point: Some(point) });
            }
        }
        if cells.is_empty() {
            return Err(InternalError::new(format!(
                "no candidate of max unit {unit} wins on a region that has an interior point"
            )));
        }
        Ok(cells)
    }
}

/// The region of `p` narrowed to `cell` (one of several), with the unit's states.
pub(super) fn enter_cell(p: &mut Partial, cell: Cell, (unit, k): (usize, usize)) {
    for (j, halfspace) in cell.rows {
        let origin = Origin::Neuron(NeuronId { layer: p.layer, index: unit * k + j });
        p.constraints.push(Constraint { halfspace, origin });
    }
    if let Some(x) = cell.point {
        p.point_float = x.iter().map(crate::num::to_f64).collect();
        p.point = x;
    }
    p.bits.extend((0..k).map(|t| t == cell.piece));
    p.neuron = (unit + 1) * k;
}
