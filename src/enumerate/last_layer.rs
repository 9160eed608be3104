//! The last ReLU layer of a counting run, decided on float approximations of its
//! preactivations: the exact row of a neuron is formed only when a decision needs it (the
//! neuron splits the region and its row becomes a constraint, or a float filter leaves a sign
//! open).
//!
//! Most regions enter the last ReLU layer alone (ACAS Xu width 0.05: 6,946 entries for 10,681
//! regions, against 1,568 entries of the layer before), and there the product with the layer is
//! the widest of the run; a counting sink reads neither the layer's map nor the output layer's,
//! so nothing else needs the whole exact product. Every decision stays certified: the float
//! entries carry proved error bounds ([`crate::forward::fixed_point::ApproximateMap`]) and the
//! filters of [`crate::kernel::approximate`] account for them.

use super::{Context, Partial};
use crate::exact::num::{sign, Q};
use crate::forward::fixed_point::{ApproximateMap, ExactRow, FixedLayer, FixedMap};
use crate::kernel::approximate::{approximate_affine_sign, widened_rhs};
use crate::kernel::float_box::FloatBox;
use crate::network::Activation;
use num_bigint::BigInt;
use num_traits::Zero;
use std::cmp::Ordering;
use std::sync::{Arc, OnceLock};

/// Input dimensions up to which the approximate product pays (it is dense in the columns).
const MAX_INPUTS: usize = 32;

/// A region's preactivations of the last ReLU layer: float approximations with error bounds,
/// and the exact rows asked for so far (shared by the region's descendants in the layer).
pub(super) struct LazyPre {
    input: Arc<FixedMap>,
    mask: Option<Vec<bool>>,
    approx: ApproximateMap,
    exact: Vec<OnceLock<ExactRow>>,
}

/// Whether the partial region, entering its layer, decides it on approximations: a counting
/// run (no details, no pruning) with float filters, on a box, in few dimensions, at a ReLU
/// layer followed by affine layers only.
pub(super) fn applies(ctx: &Context<'_>, p: &Partial, boxed: bool) -> bool {
    let layers = ctx.net.layers();
    !ctx.details
        && ctx.prune.is_none()
        && boxed
        && ctx.prepared.filter().on()
        && ctx.net.input_dim() <= MAX_INPUTS
        && layers[p.layer].activation == Activation::Relu
        && layers[p.layer + 1..].iter().all(|l| l.activation == Activation::Linear)
}

/// Whether only affine layers remain and the run does not read maps: the region is finished.
pub(super) fn rest_unread(ctx: &Context<'_>, layer: usize) -> bool {
    !ctx.details && ctx.net.layers()[layer..].iter().all(|l| l.activation == Activation::Linear)
}

impl LazyPre {
    /// The approximate product of the region's input map with `layer`; `None` when an image
    /// is not finite (the exact product is used then).
    pub(super) fn new(p: &Partial, layer: &FixedLayer) -> Option<LazyPre> {
        let mask = if p.input_masked { p.pattern.last().cloned() } else { None };
        let approx = p.input.then_masked_layer_approximately(mask.as_deref(), layer)?;
        let exact = (0..approx.rows).map(|_| OnceLock::new()).collect();
        Some(LazyPre { input: p.input.clone(), mask, approx, exact })
    }
}

/// The preactivation rows a region decides on: exact, or approximate with their layer.
#[derive(Clone, Copy)]
pub(super) enum Rows<'a> {
    Exact(&'a FixedMap),
    Approximate(&'a LazyPre, &'a FixedLayer),
}

impl<'a> Rows<'a> {
    /// Row `i`'s float Jacobian and offset (images, or approximations).
    pub(super) fn floats(self, i: usize) -> (&'a [f64], f64) {
        match self {
            Rows::Exact(map) => map.row_floats(i),
            Rows::Approximate(lazy, _) => {
                let cols = lazy.approx.cols;
                let row = &lazy.approx.values[i * cols..(i + 1) * cols];
                (&row[..cols - 1], row[cols - 1])
            }
        }
    }

    /// Row `i`'s error bounds (Jacobian, offset) when it is approximate.
    pub(super) fn errors(self, i: usize) -> Option<(&'a [f64], f64)> {
        match self {
            Rows::Exact(_) => None,
            Rows::Approximate(lazy, _) => {
                let cols = lazy.approx.cols;
                let row = &lazy.approx.errors[i * cols..(i + 1) * cols];
                Some((&row[..cols - 1], row[cols - 1]))
            }
        }
    }

    /// The columns of row `i`'s nonzero coefficients when it is sparse.
    pub(super) fn support(self, i: usize) -> Option<&'a [usize]> {
        match self {
            Rows::Exact(map) => map.row_support(i),
            Rows::Approximate(..) => None,
        }
    }

    /// Row `i`'s exact Jacobian and offset numerators.
    pub(super) fn ints(self, i: usize) -> (Vec<BigInt>, BigInt) {
        match self {
            Rows::Exact(map) => map.row_ints(i),
            Rows::Approximate(..) => {
                let row = self.exact_row(i).expect("approximate");
                (row.jacobian.clone(), row.offset.clone())
            }
        }
    }

    /// Row `i` formed exactly, with the images of its entries, when the rows are approximate
    /// (formed on the first call, then shared by the region's descendants in the layer).
    pub(super) fn exact_row(self, i: usize) -> Option<&'a ExactRow> {
        match self {
            Rows::Exact(_) => None,
            Rows::Approximate(lazy, layer) => Some(
                lazy.exact[i]
                    .get_or_init(|| lazy.input.then_masked_layer_row(lazy.mask.as_deref(), layer, i)),
            ),
        }
    }

    /// The sign of row `i`'s offset when its Jacobian is exactly zero (the neuron is constant).
    pub(super) fn constant_sign(self, i: usize) -> Option<Ordering> {
        match self {
            Rows::Exact(map) => map.row_is_constant(i).then(|| map.offset_sign(i)),
            Rows::Approximate(..) => {
                let (c, _) = self.floats(i);
                let (err, _) = self.errors(i).expect("approximate");
                // a coefficient beyond its error bound is nonzero
                if c.iter().zip(err).any(|(v, e)| v.abs() > *e) {
                    return None;
                }
                let (c, e) = self.ints(i);
                c.iter().all(Zero::is_zero).then(|| e.sign().cmp(&num_bigint::Sign::NoSign))
            }
        }
    }

    /// The exact sign of row `i` at `x` (float-filtered when `x_float`, its images, are given).
    pub(super) fn sign_at(self, i: usize, x: &[Q], x_float: Option<&[f64]>) -> Ordering {
        let (c, e) = self.floats(i);
        let filtered = x_float.and_then(|xf| match (self.errors(i), self.support(i)) {
            (Some((c_err, e_err)), _) => approximate_affine_sign(c, c_err, e, e_err, xf),
            // the same affine form in the coordinates where it is nonzero
            (None, Some(columns)) => {
                let pick = |v: &[f64]| -> Vec<f64> { columns.iter().map(|&j| v[j]).collect() };
                crate::kernel::affine_sign(&pick(c), e, &pick(xf), false)
            }
            (None, None) => crate::kernel::affine_sign(c, e, xf, false),
        });
        if let Some(s) = filtered {
            return s;
        }
        let (c, e) = self.ints(i);
        let value: Q = c.iter().zip(x).map(|(ci, xi)| xi * ci).sum::<Q>() + Q::from_integer(e);
        sign(&value)
    }

    /// The right-hand side under which a float proof that the side of row `i` (`fa . x <= fb`,
    /// the float images or approximations of the side) misses a region in `bx` proves the
    /// exact side misses it: `fb` itself for exact rows, widened by the error bounds
    /// otherwise ([`widened_rhs`]).
    pub(super) fn proof_rhs(self, i: usize, fb: f64, bx: &FloatBox) -> f64 {
        match self.errors(i) {
            None => fb,
            Some((c_err, e_err)) => widened_rhs(fb, e_err, c_err, bx),
        }
    }
}
