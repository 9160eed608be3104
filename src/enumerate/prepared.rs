//! One run's prepared context: what enumeration, facets and the graph all need about the
//! network and its domain, computed once per run and shared by every phase and thread. It owns
//! the domain's rows, the float image of a box domain, the network's layers over integers (the
//! chained fixed-point layers of the enumerator and the per-layer ones of the exact neighbour
//! pass) and the LP backend with its filter.
//!
//! [`Enumerator::prepare`](crate::Enumerator::prepare) builds one; [`crate::analyze`] and the
//! shard merge build one and pass it to each phase.

use crate::enumerate::neighbour::NeighbourFinder;
use crate::enumerate::region::Constraint;
use crate::forward::fixed_point::FixedLayer;
use crate::kernel::float_box::FloatBox;
use crate::kernel::Filter;
use crate::lp::{Backend, LpBackend};
use crate::network::Network;
use std::sync::OnceLock;

/// The context of one run on one network, prepared once (cheap to share among threads).
///
/// # Examples
/// ```
/// use relu_regions::{analysis::analyze_prepared, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "domain": {"box": [["-1", "1"], ["-1", "1"]]},
///     "layers": [{"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///                {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
/// let enumerator = Enumerator::builder().build();
/// let prepared = enumerator.prepare(&net);
/// assert_eq!(prepared.domain_rows().len(), 4);
/// let a = analyze_prepared(&prepared, &enumerator).unwrap();
/// assert_eq!((a.regions().len(), a.edges()), (4, 4));
/// ```
pub struct Prepared<'n> {
    net: &'n Network,
    backend: Backend,
    domain_rows: Vec<Constraint>,
    float_box: Option<FloatBox>,
    /// Whether bounded regions may prove boxes of their own ([`Prepared::box_hints`]).
    region_boxes: bool,
    chained: Vec<FixedLayer>,
    neighbours: OnceLock<NeighbourFinder>,
    layout: crate::network::pieces::PatternLayout,
    /// Per max layer after a relu layer, the relu output each candidate selects.
    selections: Vec<Option<Vec<Option<usize>>>>,
}

impl<'n> Prepared<'n> {
    /// Prepares `net` for runs with `backend` (with the float-free backend there is no float
    /// box: nothing float is ever consulted).
    ///
    /// See the example on [`Prepared::backend`].
    pub fn new(net: &'n Network, backend: Backend) -> Prepared<'n> {
        let float_box = net.domain().float_box().filter(|_| backend.filter().on());
        Prepared {
            net,
            backend,
            domain_rows: Constraint::domain(net.domain(), net.input_dim()),
            float_box,
            region_boxes: true,
            chained: FixedLayer::chain(net.layers()),
            neighbours: OnceLock::new(),
            layout: crate::network::pieces::PatternLayout::of(net),
            selections: crate::network::pieces::relu_selections(net),
        }
    }

    /// The same context for `net`, the same layers on another domain (the domain's rows and
    /// float box are made again; the integer layers, the layout and the selections are kept):
    /// a batch of boxes prepares its network once ([`crate::jobs::batch`]).
    pub(crate) fn on_domain<'m>(&self, net: &'m Network) -> Prepared<'m> {
        debug_assert!(net.layers() == self.net.layers(), "the same layers on another domain");
        Prepared {
            net,
            backend: self.backend,
            domain_rows: Constraint::domain(net.domain(), net.input_dim()),
            float_box: net.domain().float_box().filter(|_| self.backend.filter().on()),
            region_boxes: self.region_boxes,
            chained: self.chained.clone(),
            neighbours: OnceLock::new(),
            layout: self.layout.clone(),
            selections: self.selections.clone(),
        }
    }

    /// For a max layer right after a relu layer, the relu output each candidate selects.
    pub(crate) fn relu_selections(&self, layer: usize) -> Option<&[Option<usize>]> {
        self.selections.get(layer)?.as_deref()
    }

    /// How the network's patterns are written.
    pub(crate) fn layout(&self) -> &crate::network::pieces::PatternLayout {
        &self.layout
    }

    /// The network.
    ///
    /// See the example on [`Prepared::backend`].
    pub fn network(&self) -> &'n Network {
        self.net
    }

    /// The LP backend.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{Backend, Network};
    /// use relu_regions::enumerate::Prepared;
    /// let net = Network::from_json(r#"{"input_dim": 1, "layers": [{"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
    /// let exact = Prepared::new(&net, Backend::ExactOnly);
    /// assert_eq!(exact.backend(), Backend::ExactOnly);
    /// assert!(!exact.filter().on()); // nothing float is consulted
    /// assert_eq!(exact.network().input_dim(), 1);
    /// ```
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The backend's solver.
    pub(crate) fn solver(&self) -> &'static dyn LpBackend {
        self.backend.solver()
    }

    /// Whether floats may decide through proved filters.
    ///
    /// See the example on [`Prepared::backend`].
    pub fn filter(&self) -> Filter {
        self.backend.filter()
    }

    /// The rows of the domain (none on all of R^d, `2d` on a box).
    ///
    /// See the example on [`Prepared`].
    pub fn domain_rows(&self) -> &[Constraint] {
        &self.domain_rows
    }

    /// The float image of a box domain (`None` on other domains and with the float-free backend).
    pub(crate) fn float_box(&self) -> Option<&FloatBox> {
        self.float_box.as_ref()
    }

    /// Whether a bounded region on a domain other than a box may prove a box that holds it
    /// ([`crate::certify::bounding_box`]) and decide with bound LPs and safe dual bounds over
    /// it: with float hints only (never with the float-free backend).
    pub(crate) fn box_hints(&self) -> bool {
        self.region_boxes && self.backend != Backend::ExactOnly && self.filter().on()
    }

    /// The same context without any float box (tests compare the paths with and without it).
    #[cfg(test)]
    pub(crate) fn without_float_box(mut self) -> Self {
        self.float_box = None;
        self.region_boxes = false;
        self
    }

    /// The layers over integers, each prepared for the maps the previous ones produce.
    pub(crate) fn fixed_layers(&self) -> &[FixedLayer] {
        &self.chained
    }

    /// The exact affine map of the network on the region of `pattern` (the same map the
    /// enumerator gives that region).
    pub(crate) fn map_of(&self, pattern: &crate::network::Pattern) -> crate::enumerate::region::AffineMap {
        let mut maps =
            crate::forward::pattern::PatternMaps::new(self.net.layers(), &self.chained, self.net.input_dim());
        maps.compose(pattern);
        maps.output()
    }

    /// The float and integer images of the network for the pattern across a facet (made on
    /// first use: only the graph needs them).
    pub(crate) fn neighbours(&self) -> &NeighbourFinder {
        self.neighbours.get_or_init(|| NeighbourFinder::new(self.net, self.filter()))
    }
}

impl std::fmt::Debug for Prepared<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("input_dim", &self.net.input_dim())
            .field("backend", &self.backend)
            .field("domain_rows", &self.domain_rows.len())
            .field("float_box", &self.float_box.is_some())
            .finish_non_exhaustive()
    }
}
