//! A partial region on the depth-first stack of the enumeration.

use super::constraints::Constraints;
use crate::exact::num::Q;
use crate::forward::fixed_point::FixedMap;
use crate::kernel::float_box::FloatBox;
use crate::network::Pattern;
use std::sync::Arc;

/// A partial region on the depth-first stack.
#[derive(Clone)]
pub(super) struct Partial {
    pub(super) layer: usize,
    pub(super) neuron: usize,
    pub(super) constraints: Constraints,
    pub(super) point: Vec<Q>,
    pub(super) point_float: Vec<f64>,
    pub(super) pattern: Pattern,
    pub(super) bits: Vec<bool>,
    /// The map of the current layer's input, before the last ReLU layer's mask when
    /// `input_masked` (the mask is `pattern`'s last bits: masking is fused with the next layer).
    pub(super) input: Arc<FixedMap>,
    pub(super) input_masked: bool,
    /// The current layer's preactivation map (computed when the region enters the layer).
    pub(super) pre: Option<Arc<FixedMap>>,
    /// Instead of `pre`, in a counting run's last ReLU layer: its approximate rows
    /// ([`super::last_layer`]).
    pub(super) approx: Option<Arc<super::last_layer::LazyPre>>,
    /// A certified box holding the region (the domain's box, or proved for a bounded region
    /// or an ancestor of it: [`crate::certify::bounding_box`]); its children keep it.
    pub(super) bounds: Option<Arc<FloatBox>>,
    /// The neuron rows the region had when a box was last sought.
    pub(super) bounds_sought_at: usize,
    /// A checked recession direction (nonzero, `A d <= 0`) of the region or an ancestor: while
    /// it holds for the region's rows, the region is unbounded without an LP.
    pub(super) ray: Option<Arc<Vec<Q>>>,
    /// Whether every state decided without a row so far was proved nonzero on the closure
    /// ([`crate::enumerate::region::RegionFacts::states_strict`]).
    pub(super) states_strict: bool,
    /// The proofs of the region the current layer was entered with, shared by its descendants
    /// in the layer ([`super::entry`]; box domains only).
    pub(super) entry: Option<Arc<super::entry::EntryProofs>>,
    /// A box holding the region, proved by bound propagation over its rows or an ancestor's
    /// ([`crate::kernel::tight_box`]; box domains only): the next one is sought from it.
    pub(super) tight: Option<Arc<FloatBox>>,
    /// Dual feasible bases of its ancestors' bound LPs, tried before its own solves
    /// ([`crate::lp::boxed::KeptBases`]).
    pub(super) kept: Option<Arc<crate::lp::boxed::Handed>>,
    /// Whether the run's pruning test was already asked of this cell as it was made
    /// ([`super::order`]).
    pub(super) asked: bool,
}

impl Partial {
    /// The current layer's input map composed with `layer` (the previous ReLU layer's mask
    /// applied on the way).
    pub(super) fn input_then(&self, layer: &crate::forward::fixed_point::FixedLayer) -> FixedMap {
        let mask = self.input_masked.then(|| self.pattern.last()).flatten();
        self.input.then_masked_layer(mask.map(Vec::as_slice), layer)
    }
}
