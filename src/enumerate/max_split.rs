//! The split of a region by a max unit: which of its candidates win on a full-dimensional part
//! of the region, each with a certified interior point, or a checked certificate that it wins
//! nowhere.
//!
//! The cell of candidate `t` is the region cut by `c_j <= c_t` for every other candidate `j`;
//! a candidate equal to `c_t` as an affine function on the region is a tie that the lower index
//! wins (see [`crate::network::pieces`]). The cells cover the region, so a region with a single
//! nonempty cell is not cut at all (every row of that cell is implied).

use super::{Context, Enumerator, Partial};
use crate::certify::safe::proves_empty;
use crate::certify::{find_strict_point, Feasibility, LpStats};
use crate::error::InternalError;
use crate::fixed::FixedMap;
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

/// The rows `c_j <= c_t` of the cell of `t`, each with `j`; `None` when a constant difference
/// leaves the cell empty (a candidate above `c_t` everywhere, or equal to it and lower).
fn cell_rows(candidates: &[(Vec<BigInt>, BigInt)], t: usize) -> Option<Vec<(usize, Halfspace)>> {
    let (ct, et) = &candidates[t];
    let mut rows = Vec::new();
    for (j, (cj, ej)) in candidates.iter().enumerate().filter(|(j, _)| *j != t) {
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
        stats: &mut LpStats,
    ) -> Result<Vec<Cell>, InternalError> {
        let candidates: Vec<(Vec<BigInt>, BigInt)> = (0..k).map(|t| pre.row_ints(unit * k + t)).collect();
        let bx = ctx.prepared.float_box();
        let point_float = self.backend.filter().on().then_some(p.point_float.as_slice());
        let region: Vec<&Halfspace> = p.constraints.rows();
        let mut cells = Vec::new();
        for t in 0..k {
            let Some(rows) = cell_rows(&candidates, t) else { continue };
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
            let all: Vec<&Halfspace> = region.iter().copied().chain(rows.iter().map(|(_, h)| h)).collect();
            match find_strict_point(&all, None, self.backend.solver(), stats)? {
                Feasibility::Interior(x) => cells.push(Cell { piece: t, rows, point: Some(x) }),
                Feasibility::Empty(_) => {}
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
