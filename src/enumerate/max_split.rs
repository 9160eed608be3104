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

use super::region_rows::RegionRows;
use super::{Context, Enumerator, Partial};
use crate::certify::Outcome;
use crate::certify::{point_between, split_point, LpStats};
use crate::enumerate::region::{Constraint, NeuronId, Origin};
use crate::error::InternalError;
use crate::exact::num::Q;
use crate::forward::fixed_point::FixedMap;
use crate::kernel::float_box::{interval_exceeds, interval_excludes_sparse, FloatBox};
use crate::kernel::halfspace::Halfspace;
use crate::lp::Backend;
use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};
use std::cmp::Ordering;

/// A candidate that wins on part of the region: its index in the unit, its cell's rows with
/// the index of the other candidate of each, and a point of the cell's interior (`None`: the
/// region's own point).
pub(super) struct Cell {
    pub(super) piece: usize,
    rows: Vec<CellRow>,
    pub(super) point: Option<Vec<Q>>,
}

/// A candidate's preactivation `c . x + e` as its nonzero integer numerators by column (a
/// pooling candidate after a convolution has kernel-size terms) and its offset numerator.
type Candidate = (Vec<(usize, BigInt)>, BigInt);

/// A row `a . x <= b` of a cell, `a = c_j - c_t` and `b = e_t - e_j`, kept sparse: its nonzero
/// integer coefficients by column and their float images. Signs at points and interval bounds
/// work on its terms; the dense exact row is formed only for an LP or when the cell becomes a
/// region's constraint.
struct CellRow {
    /// The other candidate `j`.
    other: usize,
    columns: Vec<usize>,
    a: Vec<BigInt>,
    b: BigInt,
    float_a: Vec<f64>,
    float_b: f64,
}

/// The float image of an integer: num-bigint rounds to nearest (round to odd, then to
/// nearest even), within the kernel's image error model; infinite beyond the float range.
fn int_image(v: &BigInt) -> f64 {
    v.to_f64().unwrap_or(f64::NAN)
}

impl CellRow {
    /// The row `c_j - c_t <= e_t - e_j` (both term lists in column order).
    fn new(other: usize, (cj, ej): &Candidate, (ct, et): &Candidate) -> CellRow {
        let (mut columns, mut a) = (Vec::new(), Vec::new());
        let (mut j, mut t) = (cj.iter().peekable(), ct.iter().peekable());
        loop {
            let (column, value) = match (j.peek(), t.peek()) {
                (Some(&&(cj, ref vj)), Some(&&(ct, ref vt))) if cj == ct => {
                    j.next();
                    t.next();
                    (cj, vj - vt)
                }
                (Some(&&(cj, ref vj)), Some(&&(ct, _))) if cj < ct => {
                    j.next();
                    (cj, vj.clone())
                }
                (Some(&&(cj, ref vj)), None) => {
                    j.next();
                    (cj, vj.clone())
                }
                (_, Some(&&(ct, ref vt))) => {
                    t.next();
                    (ct, -vt)
                }
                (None, None) => break,
            };
            if !value.is_zero() {
                columns.push(column);
                a.push(value);
            }
        }
        let b = et - ej;
        let float_a = a.iter().map(int_image).collect();
        let float_b = int_image(&b);
        CellRow { other, columns, a, b, float_a, float_b }
    }

    /// The exact sign of the slack `b - a . x` (float-filtered when the images `x_float` are
    /// given), over the row's terms only.
    fn slack_sign(&self, x: &[Q], x_float: Option<&[f64]>) -> Ordering {
        if let Some(xf) = x_float {
            let picked: Vec<f64> = self.columns.iter().map(|&j| xf[j]).collect();
            if let Some(s) = crate::kernel::affine_sign(&self.float_a, self.float_b, &picked, true) {
                return s;
            }
        }
        let ax: Q = self.columns.iter().zip(&self.a).map(|(&j, aj)| &x[j] * aj).sum();
        (Q::from_integer(self.b.clone()) - ax).cmp(&Q::zero())
    }

    /// Whether an interval bound over the box proves that no point of the box meets the row.
    fn misses_box(&self, bx: &FloatBox) -> bool {
        interval_excludes_sparse(bx, &self.columns, &self.float_a, self.float_b)
    }

    /// The dense exact row in R^d.
    fn halfspace(&self, d: usize) -> Halfspace {
        let (mut a, mut float_a) = (vec![Q::zero(); d], vec![0.0; d]);
        for ((&j, v), &f) in self.columns.iter().zip(&self.a).zip(&self.float_a) {
            a[j] = Q::from_integer(v.clone());
            float_a[j] = f;
        }
        Halfspace::with_floats(a, Q::from_integer(self.b.clone()), float_a, self.float_b)
    }
}

/// What is known of a candidate without solving anything: it is a relu output that is on (so
/// `>= 0` on the region and positive inside it), off (identically 0), or nothing is known.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    On,
    Off,
    Nothing,
}

/// The rows `c_j <= c_t` of the cell of `t`; `None` when a constant difference leaves the
/// cell empty (a candidate above `c_t` everywhere, or equal to it and lower). Rows `c_j <= c_t`
/// with `c_j` an off relu output and `c_t` an on one are implied (`0 <= c_t`) and left out.
fn cell_rows(candidates: &[Candidate], known: &[Known], t: usize) -> Option<Vec<CellRow>> {
    let mut rows = Vec::new();
    for (j, candidate) in candidates.iter().enumerate().filter(|(j, _)| *j != t) {
        if known[t] == Known::On && known[j] == Known::Off {
            continue;
        }
        let row = CellRow::new(j, candidate, &candidates[t]);
        if row.columns.is_empty() {
            if row.b.is_negative() || (row.b.is_zero() && j < t) {
                return None;
            }
            continue;
        }
        rows.push(row);
    }
    Some(rows)
}

/// A candidate's float images: its columns (`None`: dense), coefficients there, offset.
type FloatRow<'a> = (Option<&'a [usize]>, Vec<f64>, f64);

/// The candidate that exceeds every other on the whole box, proved by intervals of each
/// candidate alone (so no difference row is formed): `c_t0 > m > c_j` on the box for a float
/// `m` between them. A region in the box then lies in that candidate's cell alone, the answer
/// the cells' own rows would give. `None` when the intervals do not separate one candidate.
fn dominant(pre: &FixedMap, first: usize, k: usize, bx: &FloatBox) -> Option<usize> {
    let rows: Vec<FloatRow<'_>> = (first..first + k)
        .map(|i| {
            let (c, e) = pre.row_floats(i);
            match pre.row_support(i) {
                Some(columns) => (Some(columns), columns.iter().map(|&j| c[j]).collect(), e),
                None => (None, c.to_vec(), e),
            }
        })
        .collect();
    // plain float ranges choose the candidate and the threshold; the safe bounds decide
    let ranges: Vec<(f64, f64)> = rows
        .iter()
        .map(|(columns, c, e)| {
            let (mut lo, mut hi) = (*e, *e);
            for (n, v) in c.iter().enumerate() {
                let j = columns.map_or(n, |columns| columns[n]);
                let (a, b) = (v * bx.lo(j), v * bx.hi(j));
                lo += a.min(b);
                hi += a.max(b);
            }
            (lo, hi)
        })
        .collect();
    let top = (0..k).max_by(|&a, &b| ranges[a].0.total_cmp(&ranges[b].0))?;
    let runner_up = (0..k).filter(|&j| j != top).map(|j| ranges[j].1).fold(f64::NEG_INFINITY, f64::max);
    let low = ranges[top].0;
    if !(low.is_finite() && runner_up.is_finite() && low > runner_up) {
        return None;
    }
    let m = 0.5 * low + 0.5 * runner_up;
    let exceeds = |t: usize, sign: f64| {
        let (columns, c, e) = &rows[t];
        let c: Vec<f64> = c.iter().map(|v| sign * v).collect();
        interval_exceeds(bx, *columns, &c, sign * e, sign * m)
    };
    (exceeds(top, 1.0) && (0..k).filter(|&j| j != top).all(|j| exceeds(j, -1.0))).then_some(top)
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
        let bx = p.bounds.as_deref();
        if let (Some(bx), true) = (bx, self.backend.filter().on()) {
            if let Some(top) = dominant(pre, unit * k, k, bx) {
                stats.by_interval += 1;
                return Ok(vec![Cell { piece: top, rows: Vec::new(), point: None }]);
            }
        }
        let candidates: Vec<Candidate> = (0..k).map(|t| pre.row_terms(unit * k + t)).collect();
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
        let point_float = self.backend.filter().on().then_some(p.point_float.as_slice());
        let region: Vec<&Halfspace> = p.constraints.rows();
        let mut cells = Vec::new();
        for t in 0..k {
            // an off relu output (0) never wins over an on one (positive inside the region)
            if some_on && known[t] == Known::Off {
                continue;
            }
            let Some(rows) = cell_rows(&candidates, &known, t) else { continue };
            let strictly_inside = |row: &CellRow| row.slack_sign(&p.point, point_float) == Ordering::Greater;
            if rows.iter().all(strictly_inside) {
                cells.push(Cell { piece: t, rows, point: None });
                continue;
            }
            if let Some(bx) = bx {
                if rows.iter().any(|row| row.misses_box(bx)) {
                    stats.by_interval += 1;
                    continue;
                }
            }
            // the cell's rows one at a time, each decided as a neuron's side is (interval and
            // safe dual bounds, then a certified centring LP) inside the rows taken so far
            let d = p.point.len();
            let dense: Vec<Halfspace> = rows.iter().map(|row| row.halfspace(d)).collect();
            let mut all: Vec<&Halfspace> = region.clone();
            let (mut point, mut point_float) = (p.point.clone(), p.point_float.clone());
            let mut empty = false;
            for h in &dense {
                let filtered = self.backend.filter().on().then_some(point_float.as_slice());
                if h.slack_sign(&point, filtered) != Ordering::Greater {
                    // no point of the region itself on the row's side: a bound LP's safe bound
                    // (or a point between the current one and the LP's vertex, checked exactly)
                    if let (Some(bx), true) = (bx, self.backend != Backend::ExactOnly) {
                        match region_rows.bound(h.float_a(), h.float_b(), bx, stats) {
                            Outcome::Proved(()) => {
                                empty = true;
                                break;
                            }
                            Outcome::Witness(vertex) => {
                                if let Some(q) = point_between(&all, h, &point_float, &vertex) {
                                    stats.by_bound_vertex += 1;
                                    point_float = q.iter().map(crate::exact::num::to_f64).collect();
                                    point = q;
                                    all.push(h);
                                    continue;
                                }
                            }
                            Outcome::Unknown(()) => {}
                        }
                    }
                    match split_point(&all, h, bx, self.backend.solver(), stats)? {
                        Some(q) => {
                            point_float = q.iter().map(crate::exact::num::to_f64).collect();
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
    let d = p.point.len();
    for row in cell.rows {
        let (j, halfspace) = (row.other, row.halfspace(d));
        let origin = Origin::Neuron(NeuronId { layer: p.layer, index: unit * k + j });
        p.constraints.push(Constraint { halfspace: halfspace.into(), origin });
    }
    if let Some(x) = cell.point {
        p.point_float = x.iter().map(crate::exact::num::to_f64).collect();
        p.point = x;
    }
    p.bits.extend((0..k).map(|t| t == cell.piece));
    p.neuron = (unit + 1) * k;
}
