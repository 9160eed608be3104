//! What the enumerator reports: a region's constraints (with where each came from), its
//! affine map, and the region itself.

use crate::exact::num::Q;
use crate::kernel::halfspace::Halfspace;
use crate::network::Pattern;
use std::sync::Arc;

/// A hidden neuron: `layer` is the index in the network's `layers`, `index` the row in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NeuronId {
    /// Index of the layer in the network.
    pub layer: usize,
    /// Index of the neuron in the layer.
    pub index: usize,
}

/// Where a constraint of a region comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    /// Row `k` of the domain (a box gives rows `2j` for `x_j >= lo`, `2j+1` for `x_j <= hi`).
    Domain(usize),
    /// The hyperplane of a hidden neuron (the side given by the region's pattern).
    Neuron(NeuronId),
}

/// One inequality of a region with its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// `a . x <= b` (shared: a region's constraints are shared with the partial regions it
    /// came from, so that listing them copies no number).
    pub halfspace: Arc<Halfspace>,
    /// Where it comes from.
    pub origin: Origin,
}

impl Constraint {
    /// The nontrivial rows of a domain as constraints (row `k` keeps its index as its origin).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::Domain;
    /// use relu_regions::exact::num::q;
    /// use relu_regions::enumerate::{Constraint, Origin};
    /// let rows = Constraint::domain(&Domain::Box(vec![(q(0), q(1))]), 1);
    /// assert_eq!(rows.len(), 2);
    /// assert!(matches!(rows[1].origin, Origin::Domain(1)));
    /// ```
    pub fn domain(domain: &crate::network::Domain, dim: usize) -> Vec<Constraint> {
        domain
            .indexed_halfspaces(dim)
            .into_iter()
            .map(|(k, h)| Constraint { halfspace: Arc::new(h), origin: Origin::Domain(k) })
            .collect()
    }
}

pub use crate::forward::AffineMap;

/// Facts the enumeration proved of a region on the way, which later work may use instead of
/// proving them again. Every field may be empty (a region read from a file has none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionFacts {
    /// A hash of the exact map, set instead of [`Region::map`] for a sink that asked for no map
    /// ([`crate::enumerate::Sink::needs_map`]): within one run, equal maps have equal
    /// hashes (unequal hashes prove the maps differ).
    pub map_hash: Option<u64>,
    /// A box known to hold the region (a float view, so crate-private): the domain's box, or
    /// one proved for the region or an ancestor (`certify::bounding_box`).
    pub(crate) bounds: Option<std::sync::Arc<crate::kernel::float_box::FloatBox>>,
    /// True when every neuron without a row in [`Region::constraints`] was proved nonzero on
    /// the whole closure of the region (interval bounds, safe dual bounds, or a nonzero
    /// constant): then crossing a facet flips exactly the facet's own neurons.
    pub states_strict: bool,
}

/// A full-dimensional activation region.
///
/// # Examples
/// ```
/// use relu_regions::{exact::num::q, Enumerator, Network};
/// // relu(x - 1) on all of R: the regions x < 1 (off) and x > 1 (on)
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [
///     {"weights": [["1"]], "bias": ["-1"], "activation": "relu"}]}"#).unwrap();
/// let (regions, _) = Enumerator::builder().build().collect(&net).unwrap();
/// for r in &regions {
///     let on = r.pattern()[0][0];
///     assert!(r.id() < 2 && !r.bounded() && r.facts().map_hash.is_none());
///     assert_eq!(r.constraints().len(), 1); // the neuron's row; R has no domain rows
///     assert!(r.constraints()[0].halfspace.slack(r.point()) > q(0)); // strictly inside
///     assert_eq!(r.map().apply(r.point())[0], if on { &r.point()[0] - q(1) } else { q(0) });
///     assert_eq!(r.layout(), &relu_regions::network::pieces::PatternLayout::of(&net));
/// }
/// assert_eq!(regions[0].clone().into_point(), regions[0].point());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Its id: the position in the enumeration order (deterministic).
    pub(crate) id: usize,
    /// Its activation pattern.
    pub(crate) pattern: Pattern,
    /// A rational point strictly inside it (checked exactly).
    pub(crate) point: Vec<Q>,
    /// Its constraints: domain rows and the neuron rows that cut it (each certified to cut some
    /// ancestor region). They describe the region; [`crate::analysis::facets`] finds which are facets.
    pub(crate) constraints: Vec<Constraint>,
    /// The network's affine map on the region (empty when the sink asked for its hash only,
    /// [`crate::enumerate::Sink::needs_map`]).
    pub(crate) map: AffineMap,
    /// What the enumeration proved of the region on the way, for the work that follows (facets,
    /// the graph); empty for regions from elsewhere.
    pub(crate) facts: RegionFacts,
    /// Whether the region is a bounded polytope (certified: a box domain, or an exact
    /// recession-cone check).
    pub(crate) bounded: bool,
    /// How its pattern is written (relu bits, max pieces); the default is relu bits.
    pub(crate) layout: crate::network::pieces::PatternLayout,
}

impl Region {
    /// Its id: the position in the enumeration order (deterministic).
    ///
    /// See the example on [`Region`].
    pub fn id(&self) -> usize {
        self.id
    }

    /// Its activation pattern.
    ///
    /// See the example on [`Region`].
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// A rational point strictly inside it (checked exactly).
    ///
    /// See the example on [`Region`].
    pub fn point(&self) -> &[Q] {
        &self.point
    }

    /// Its constraints: domain rows and the neuron rows that cut it (each certified to cut
    /// some ancestor region). They describe the region; [`crate::analysis::facets`] finds
    /// which are facets.
    ///
    /// See the example on [`Region`].
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// The network's affine map on the region (empty when the sink asked for its hash only,
    /// [`crate::enumerate::Sink::needs_map`]).
    ///
    /// See the example on [`Region`].
    pub fn map(&self) -> &AffineMap {
        &self.map
    }

    /// What the enumeration proved of the region on the way (informational).
    ///
    /// See the example on [`Region`].
    pub fn facts(&self) -> &RegionFacts {
        &self.facts
    }

    /// Whether the region is a bounded polytope (certified: a box domain, or an exact
    /// recession-cone check).
    ///
    /// See the example on [`Region`].
    pub fn bounded(&self) -> bool {
        self.bounded
    }

    /// How its pattern is written (relu bits, max pieces).
    ///
    /// See the example on [`Region`].
    pub fn layout(&self) -> &crate::network::pieces::PatternLayout {
        &self.layout
    }

    /// Its point, taken (the region is consumed).
    ///
    /// See the example on [`Region`].
    pub fn into_point(self) -> Vec<Q> {
        self.point
    }

    /// A region known only by whether it is bounded: what a sink that needs no details (see
    /// [`crate::enumerate::Sink::needs_details`]) may receive.
    ///
    /// # Examples
    /// ```
    /// let r = relu_regions::Region::counted(true);
    /// assert!(r.bounded() && r.pattern().is_empty() && r.constraints().is_empty());
    /// ```
    pub fn counted(bounded: bool) -> Region {
        Region {
            id: 0,
            pattern: Vec::new(),
            point: Vec::new(),
            constraints: Vec::new(),
            map: AffineMap::default(),
            facts: RegionFacts::default(),
            bounded,
            layout: Default::default(),
        }
    }

    /// The halfspaces of the region.
    ///
    /// See the example on [`Region::pattern_strings`].
    pub fn halfspaces(&self) -> Vec<&Halfspace> {
        self.constraints.iter().map(|c| &*c.halfspace).collect()
    }

    /// The pattern as one 0/1 string per hidden layer.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{Enumerator, Network};
    /// // the second ReLU layer reads only the first neuron
    /// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
    ///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
    ///     {"weights": [["1", "0"]], "activation": "relu"}]}"#).unwrap();
    /// let regions = Enumerator::builder().build().collect(&net).unwrap().0;
    /// let r = regions.iter().find(|r| *r.pattern() == vec![vec![true, false], vec![true]]).unwrap();
    /// assert_eq!(r.pattern_strings(), ["10", "1"]);
    /// assert_eq!(r.halfspaces().len(), r.constraints().len());
    /// ```
    pub fn pattern_strings(&self) -> Vec<String> {
        self.layout.strings(&self.pattern)
    }
}

/// A pattern as one 0/1 string per hidden layer (`[[true, false], []]` is `["10", ""]`).
pub(crate) fn pattern_strings(pattern: &Pattern) -> Vec<String> {
    pattern.iter().map(|bits| bits.iter().map(|&b| if b { '1' } else { '0' }).collect()).collect()
}
