//! The split decision: advancing a partial region neuron by neuron, deciding for each whether
//! its hyperplane cuts the region (filtered exact signs, interval and safe dual bounds, then a
//! certified centring LP), and finishing a region (its map, boundedness).

use super::last_layer::{self, LazyPre, Rows};
use super::max_split::enter_cell;
use super::region_rows::RegionRows;
use super::side_floats::{side_floats_into, SIDE_ON_STACK};
use super::{Context, Enumerator, Partial};
use crate::certify::{
    is_bounded, point_between, reach, recession_ray_trying_first, search_box, LpStats, Reach,
    BOX_DIMENSION_LIMIT,
};
use crate::certify::{probe_by_basis, Outcome};
use crate::enumerate::region::{AffineMap, Constraint, NeuronId, Origin, Region, RegionFacts};
use crate::error::InternalError;
use crate::exact::num::{to_f64, Q};
use crate::kernel::float_box::{interval_excludes_sparse, proves_empty_floats, FloatBox};
use crate::kernel::halfspace::Halfspace;
use crate::lp::Backend;
use crate::network::Activation;
use std::cmp::Ordering;
use std::sync::Arc;

impl Enumerator {
    /// Advances a partial region until it splits (children pushed, `None`) or passes the last
    /// layer (returned). An internal error is recorded in `ctx` (which stops the run) and the
    /// subtree dropped.
    pub(super) fn advance(
        &self,
        ctx: &Context<'_>,
        mut p: Partial,
        stack: &mut Vec<Partial>,
        stats: &mut LpStats,
    ) -> Option<Partial> {
        let _stop = ctx.install_stop();
        let fixed = ctx.prepared.fixed_layers();
        let layers = ctx.net.layers();
        // asked after every split, and again as the region enters a layer (with the states
        // the previous layer's constant neurons added)
        if !std::mem::take(&mut p.asked) && discard(ctx, &p) {
            return None;
        }
        seek_bounds(ctx, &mut p);
        let bounds = p.bounds.clone();
        let bx = bounds.as_deref();
        // the region does not change until it splits: its rows are listed once, its bound LP
        // built once when needed
        let mut region = RegionRows::new(&p.constraints, ctx.box_domain, p.kept.clone());
        while p.layer < layers.len() {
            // a counting run reads no map past the last ReLU layer
            if last_layer::rest_unread(ctx, p.layer) {
                p.layer = layers.len();
                break;
            }
            let layer = &layers[p.layer];
            if layer.activation == Activation::Linear {
                p.input = Arc::new(p.input_then(&fixed[p.layer]));
                p.input_masked = false;
                p.layer += 1;
                continue;
            }
            let entering = p.pre.is_none() && p.approx.is_none();
            if entering && p.neuron == 0 && p.layer > 0 && discard(ctx, &p) {
                return None;
            }
            if entering && ctx.box_domain && self.backend != Backend::ExactOnly {
                p.entry = Some(Arc::new(super::entry::EntryProofs::new(
                    p.constraints.neuron_count(),
                    layer.width(),
                )));
            }
            if entering && last_layer::applies(ctx, &p, bx.is_some()) {
                p.approx = LazyPre::new(&p, &fixed[p.layer]).map(Arc::new);
            }
            if p.pre.is_none() && p.approx.is_none() {
                p.pre = Some(Arc::new(p.input_then(&fixed[p.layer])));
            }
            let (pre, approx) = (p.pre.clone(), p.approx.clone());
            let rows = match (&pre, &approx) {
                (Some(map), _) => Rows::Exact(map),
                (None, Some(lazy)) => Rows::Approximate(lazy, &fixed[p.layer]),
                (None, None) => unreachable!("just computed"),
            };
            while p.neuron < layer.width() {
                if let Activation::Max(k) = layer.activation {
                    // a max unit's cells are not tracked as strict: crossing a facet is left to
                    // the neighbour pass
                    p.states_strict = false;
                    let unit = (p.neuron / k, k);
                    let Rows::Exact(pre) = rows else { unreachable!("a max layer is decided exactly") };
                    let mut cells = match self.max_cells(ctx, &p, pre, unit, &mut region, stats) {
                        Ok(cells) => cells,
                        Err(e) => {
                            ctx.fail(e);
                            return None;
                        }
                    };
                    if cells.len() == 1 {
                        // the region is the cell: no row is added (field by field, as `region`
                        // borrows the constraints)
                        let cell = cells.pop().expect("one cell");
                        if let Some(x) = cell.point {
                            p.point_float = x.iter().map(to_f64).collect();
                            p.point = x;
                        }
                        p.bits.extend((0..k).map(|t| t == cell.piece));
                        p.neuron += k;
                        continue;
                    }
                    // pushed last first: the lowest piece is explored first
                    for cell in cells.into_iter().rev() {
                        let mut child = p.clone();
                        enter_cell(&mut child, cell, unit);
                        stack.push(child);
                    }
                    return None;
                }
                let i = p.neuron;
                let decision = self.decide(&p, rows, i, bx, &mut region, stats);
                let decision = match decision {
                    Ok(decision) => decision,
                    Err(e) => {
                        ctx.fail(e);
                        return None;
                    }
                };
                match decision {
                    Decision::Constant { on, strict } => {
                        p.bits.push(on);
                        p.states_strict &= strict;
                    }
                    Decision::Split { off, on } => {
                        p.tight = region.tight_for_children(&p.tight);
                        p.kept = region.kept_for_children();
                        if let Some(e) = p.entry.as_deref() {
                            e.freeze_kept(&region, &p.kept);
                        }
                        let mut off_child = p.clone();
                        push_side(&mut off_child, rows, i, false, off);
                        let mut on_child = p;
                        push_side(&mut on_child, rows, i, true, on);
                        super::order::push_children(ctx, stack, off_child, on_child);
                        return None;
                    }
                }
                p.neuron += 1;
            }
            let bits = std::mem::take(&mut p.bits);
            // after approximate rows the rest is unread (the loop ends at its next step)
            if let Some(pre) = pre {
                p.input = pre;
                p.input_masked = true;
            }
            p.pattern.push(bits);
            p.pre = None;
            p.approx = None;
            p.neuron = 0;
            p.layer += 1;
        }
        Some(p)
    }

    /// Decides whether the neuron `i` of `pre` (`h = c . x + e`) splits the region, with
    /// certificates.
    fn decide(
        &self,
        p: &Partial,
        rows: Rows<'_>,
        i: usize,
        bx: Option<&FloatBox>,
        region: &mut RegionRows<'_>,
        stats: &mut LpStats,
    ) -> Result<Decision, InternalError> {
        if let Some(sign) = rows.constant_sign(i) {
            return Ok(Decision::Constant { on: sign == Ordering::Greater, strict: sign != Ordering::Equal });
        }
        let row = IntRow::new(rows, i);
        let backend = self.backend.solver();
        // a side's interior point, or none: `Side::Empty(true)` when even the closed side misses
        // the closed region (so `h` is nonzero on all of its closure)
        let mut side_point = |on: bool| -> Result<Side, InternalError> {
            if let (Some(bx), Some((columns, g, beta))) = (bx, row.sparse_side(on)) {
                if interval_excludes_sparse(bx, columns, &g, beta) {
                    stats.by_interval += 1;
                    return Ok(Side::Empty(true));
                }
            }
            // on the stack in few dimensions: this runs for every side of every decision
            let mut fa_stack = [0.0f64; SIDE_ON_STACK];
            let mut fa_heap = Vec::new();
            let (fa, fb) = row.float_side_into(on, &mut fa_stack, &mut fa_heap);
            let fa: &[f64] = fa;
            if let Some(bx) = bx {
                // the right-hand side a float proof needs (widened for approximate rows)
                let fb_proof = rows.proof_rhs(i, fb, bx);
                // over the region's own proved box once it has been sought (it lies in `bx`)
                let known = region.known_tight();
                if row.support.is_none()
                    && proves_empty_floats(&[], fa, fb_proof, None, known.as_deref().unwrap_or(bx))
                {
                    stats.by_interval += 1;
                    if known.is_some() {
                        super::entry::record_own(p.entry.as_deref(), region, (i, on));
                    }
                    return Ok(Side::Empty(true));
                }
                // `--lp exact` takes no float hint at all, so it stays an independent reference
                if self.backend != Backend::ExactOnly && known.is_none() {
                    // the interval bound over the region's own proved box ([`tight_box`])
                    if region
                        .tight_box(bx, p.tight.as_ref(), &p.point_float)
                        .is_some_and(|t| proves_empty_floats(&[], fa, fb_proof, None, t))
                    {
                        stats.by_interval += 1;
                        super::entry::record_own(p.entry.as_deref(), region, (i, on));
                        return Ok(Side::Empty(true));
                    }
                }
                if self.backend != Backend::ExactOnly {
                    // through the proofs of the layer's entry region ([`super::entry`])
                    match super::entry::bound(p.entry.as_deref(), region, (i, on), (fa, fb_proof), bx, stats)
                    {
                        Outcome::Proved(()) => return Ok(Side::Empty(true)),
                        Outcome::Witness(vertex) => {
                            let side = row.side(on, fa.to_vec(), fb);
                            if let Some(q) = point_between(&region.all, &side, &p.point_float, &vertex) {
                                stats.by_bound_vertex += 1;
                                return Ok(Side::Point(q));
                            }
                            return Ok(Side::reached(reach(&region.all, &side, Some(bx), backend, stats)?));
                        }
                        Outcome::Unknown(()) => {}
                    }
                }
            }
            let side = row.side(on, fa.to_vec(), fb);
            // no box: the bound LP's basis, solved exactly, proves an empty side
            if bx.is_none() && self.backend != Backend::ExactOnly && p.point.len() <= BOX_DIMENSION_LIMIT {
                match probe_by_basis(&region.all, &side, stats) {
                    Outcome::Proved(strict) => return Ok(Side::Empty(strict)),
                    Outcome::Witness(vertex) => {
                        if let Some(q) = point_between(&region.all, &side, &p.point_float, &vertex) {
                            stats.by_bound_vertex += 1;
                            return Ok(Side::Point(q));
                        }
                    }
                    Outcome::Unknown(()) => {}
                }
            }
            Ok(Side::reached(reach(&region.all, &side, bx, backend, stats)?))
        };
        let point_float = self.backend.filter().on().then_some(p.point_float.as_slice());
        Ok(match row.sign_at(&p.point, point_float) {
            Ordering::Greater => match side_point(false)? {
                Side::Point(q) => Decision::Split { off: Some(q), on: None },
                Side::Empty(strict) => Decision::Constant { on: true, strict },
            },
            Ordering::Less => match side_point(true)? {
                Side::Point(q) => Decision::Split { off: None, on: Some(q) },
                Side::Empty(strict) => Decision::Constant { on: false, strict },
            },
            Ordering::Equal => {
                // h vanishes at an interior point and is not constant: both sides have interior
                // (a side found empty is a degenerate answer; never strict, h vanishes inside)
                let off = side_point(false)?;
                let on = side_point(true)?;
                match (off, on) {
                    (Side::Point(off), Side::Point(on)) => Decision::Split { off: Some(off), on: Some(on) },
                    (Side::Empty(_), _) => Decision::Constant { on: true, strict: false },
                    (_, Side::Empty(_)) => Decision::Constant { on: false, strict: false },
                }
            }
        })
    }
}

/// Gives a region without a box one when it is bounded ([`bounding_box`]: 2d float LPs and
/// exact basis solves), once per new row: from then on its decisions and its descendants' use
/// the box machinery (bound LPs with safe dual bounds) instead of certified centring LPs.
fn seek_bounds(ctx: &Context<'_>, p: &mut Partial) {
    let rows = p.constraints.neuron_count();
    if !ctx.seek_bounds || p.bounds.is_some() || rows <= p.bounds_sought_at {
        return;
    }
    p.bounds_sought_at = rows;
    let all = p.constraints.rows();
    // a recession direction of an ancestor that still holds proves the region unbounded
    if p.ray.as_deref().is_some_and(|ray| ray_holds(&all, ray)) {
        return;
    }
    let dim = ctx.net.input_dim();
    // unbounded (or unproved): a checked recession direction, which its descendants test first,
    // sought first along the direction where a float LP found the region unbounded
    let first = match search_box(&all, dim, &p.point) {
        Outcome::Proved(b) => {
            p.bounds = Some(Arc::new(b));
            p.ray = None;
            return;
        }
        Outcome::Witness((j, s)) => Some((j, s)),
        Outcome::Unknown(()) => None,
    };
    p.ray = recession_ray_trying_first(&all, dim, ctx.prepared.filter(), first).ok().flatten().map(Arc::new);
}

/// Whether `d` is a recession direction of the rows: `a . d <= 0` for each (exact, no gcd).
fn ray_holds(rows: &[&Halfspace], d: &[Q]) -> bool {
    rows.iter().all(|r| crate::exact::num::sign_of_sum_of_products(r.a.iter().zip(d)) != Ordering::Greater)
}

/// Whether the run's pruning test discards the partial region's subtree (counted in `ctx`).
fn discard(ctx: &Context<'_>, p: &Partial) -> bool {
    let Some(prune) = ctx.prune else { return false };
    let mut states: Vec<&[bool]> = p.pattern.iter().map(Vec::as_slice).collect();
    states.push(&p.bits);
    let discarded = prune.discard(&states, &p.constraints.neuron_rows());
    if discarded {
        ctx.discarded.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    discarded
}

/// A neuron's effect on a region. In `Split`, a side with `None` keeps the parent's point;
/// `Constant` is `strict` when the neuron is proved nonzero on the region's whole closure.
enum Decision {
    Constant { on: bool, strict: bool },
    Split { off: Option<Vec<Q>>, on: Option<Vec<Q>> },
}

/// What one side of a neuron holds of a region.
enum Side {
    /// A checked interior point of the region on that side.
    Point(Vec<Q>),
    /// No interior point; `true` when the closed side misses the closed region.
    Empty(bool),
}

impl Side {
    fn reached(reach: Reach) -> Side {
        match reach {
            Outcome::Witness(x) => Side::Point(x),
            Outcome::Proved(None) => Side::Empty(true),
            Outcome::Proved(Some(_)) => Side::Empty(false),
        }
    }
}

/// A neuron's preactivation `c . x + e` with integer coefficients (the fixed-point numerators),
/// with its float image computed once and its exact coefficients formed only when needed.
struct IntRow<'a> {
    rows: Rows<'a>,
    i: usize,
    float_c: &'a [f64],
    float_e: f64,
    /// The columns of the nonzero coefficients, when the row is sparse (a convolution's).
    support: Option<&'a [usize]>,
}

impl<'a> IntRow<'a> {
    fn new(rows: Rows<'a>, i: usize) -> IntRow<'a> {
        let (float_c, float_e) = rows.floats(i);
        IntRow { rows, i, float_c, float_e, support: rows.support(i) }
    }

    /// The side's float row on the support only (`None` for a dense row).
    fn sparse_side(&self, on: bool) -> Option<(&'a [usize], Vec<f64>, f64)> {
        let columns = self.support?;
        let sign = if on { -1.0 } else { 1.0 };
        let g = columns.iter().map(|&j| sign * self.float_c[j]).collect();
        Some((columns, g, if on { self.float_e } else { -self.float_e }))
    }

    /// The float image of the side's row: on is `-c . x <= e`, off is `c . x <= -e`.
    fn float_side(&self, on: bool) -> (Vec<f64>, f64) {
        if on {
            (self.float_c.iter().map(|v| -v).collect(), self.float_e)
        } else {
            (self.float_c.to_vec(), -self.float_e)
        }
    }

    /// [`IntRow::float_side`] written into `stack` when it is long enough, else into `heap`:
    /// the same floats, without an allocation per side in few dimensions.
    fn float_side_into<'s>(
        &self,
        on: bool,
        stack: &'s mut [f64; SIDE_ON_STACK],
        heap: &'s mut Vec<f64>,
    ) -> (&'s [f64], f64) {
        side_floats_into((self.float_c, self.float_e), on, stack, heap)
    }

    /// The exact row of the side (on: `h >= 0`, off: `h <= 0`).
    fn side(&self, on: bool, float_a: Vec<f64>, float_b: f64) -> Halfspace {
        let (c, e) = self.rows.ints(self.i);
        let (a, b) = if on {
            (c.into_iter().map(|v| Q::from_integer(-v)).collect(), Q::from_integer(e))
        } else {
            (c.into_iter().map(Q::from_integer).collect(), Q::from_integer(-e))
        };
        match self.rows.exact_row(self.i) {
            None => Halfspace::with_floats(a, b, float_a, float_b),
            // approximations are not images: the halfspace takes the exact row's, read from
            // its limbs (negating an image is exact)
            Some(row) => {
                let (c, e) = row.images.split_at(row.images.len() - 1);
                let (float_a, float_b) =
                    if on { (c.iter().map(|v| -v).collect(), e[0]) } else { (c.to_vec(), -e[0]) };
                Halfspace::with_floats(a, b, float_a, float_b)
            }
        }
    }

    /// The exact sign of `c . x + e` (float-filtered when the images `x_float` are given).
    fn sign_at(&self, x: &[Q], x_float: Option<&[f64]>) -> Ordering {
        self.rows.sign_at(self.i, x, x_float)
    }
}

fn push_side(p: &mut Partial, rows: Rows<'_>, i: usize, on: bool, point: Option<Vec<Q>>) {
    let row = IntRow::new(rows, i);
    let (fa, fb) = row.float_side(on);
    let halfspace = row.side(on, fa, fb);
    p.constraints.push(Constraint {
        halfspace: halfspace.into(),
        origin: Origin::Neuron(NeuronId { layer: p.layer, index: i }),
    });
    if let Some(x) = point {
        p.point_float = x.iter().map(to_f64).collect();
        p.point = x;
    }
    p.bits.push(on);
    p.neuron = i + 1;
}

/// The emitted region. Without `details` (a counting sink) neither the rational map nor the
/// list of constraints is formed. `None` after an internal error (recorded in `ctx`).
pub(super) fn finish(p: Partial, ctx: &Context<'_>) -> Option<Region> {
    let _stop = ctx.install_stop();
    // a certified box proves it bounded, a recession direction (nonzero) that holds unbounded;
    // the rows are listed (once) only when neither the domain nor a box decides
    let bounded = ctx.bounded_domain || p.bounds.is_some() || {
        let rows = p.constraints.rows();
        !p.ray.as_deref().is_some_and(|ray| ray_holds(&rows, ray))
            && match is_bounded(&rows, ctx.net.input_dim(), ctx.prepared.filter()) {
                Ok(b) => b,
                Err(e) => {
                    ctx.fail(e);
                    return None;
                }
            }
    };
    if !ctx.details {
        return Some(Region {
            pattern: p.pattern,
            point: p.point,
            layout: ctx.prepared.layout().clone(),
            ..Region::counted(bounded)
        });
    }
    let mask = if p.input_masked { p.pattern.last().map(Vec::as_slice) } else { None };
    let (map, map_hash) = if ctx.map {
        let map = match mask {
            Some(bits) => p.input.masked(bits).to_affine(),
            None => p.input.to_affine(),
        };
        (map, None)
    } else {
        (AffineMap::default(), Some(p.input.fingerprint(mask)))
    };
    Some(Region {
        id: 0,
        pattern: p.pattern,
        point: p.point,
        constraints: p.constraints.to_vec(),
        map,
        facts: RegionFacts { map_hash, bounds: p.bounds.clone(), states_strict: p.states_strict },
        bounded,
        layout: ctx.prepared.layout().clone(),
    })
}
