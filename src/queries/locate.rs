//! Where a point lies: the region containing it, or every region whose closure contains it
//! when it sits on a boundary between regions.
//!
//! A point where no preactivation is exactly zero, strictly inside the domain, is an interior
//! point of exactly one region (the one with its pattern), and is itself that region's certified
//! interior point. Otherwise the regions whose closure contains the point are found by
//! enumerating the network on a small box around it (intersected with the domain) and keeping
//! the regions whose constraints the point satisfies: every region containing the point meets
//! every neighbourhood of it in a full-dimensional set, so the answer does not depend on the
//! box's size, only the work does. Each region is then rebuilt in full from its pattern (its
//! constraints on the whole domain, map and boundedness), ready for [`crate::analysis::facets`].
//!
//! A zero preactivation alone does not put a point on a boundary: a neuron can be zero on a
//! whole region (zero weights and bias, or inputs that earlier layers switch off there), and a
//! neuron's hyperplane can touch a region only where the domain ends. The point is on a
//! boundary between regions exactly when two or more regions' closures contain it, i.e. points
//! of different patterns lie arbitrarily close to it inside the domain; the neurons that split
//! there are those whose states differ among these regions.

use crate::certify::is_bounded;
use crate::enumerate::region::{Constraint, NeuronId, Origin, Region};
use crate::enumerate::Enumerator;
use crate::error::InternalError;
use crate::exact::num::{q, Q};
use crate::forward::pattern::PatternMaps;
use crate::kernel::halfspace::Halfspace;
use crate::network::{Domain, Network, Pattern};
use num_traits::{Signed, Zero};

/// Why a point could not be located.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocateError {
    /// The point has the wrong number of coordinates.
    #[error("the point has {got} coordinates, the network has {expected} inputs")]
    Dimension {
        /// The network's input dimension.
        expected: usize,
        /// The point's.
        got: usize,
    },
    /// The point lies outside the domain.
    #[error("the point lies outside the domain")]
    Outside,
    /// The enumeration around the point stopped (a limit or Ctrl-C).
    #[error("the enumeration around the point was stopped before it finished")]
    Incomplete,
    /// An exact check failed.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// Where a point lies: the regions whose closure contains it, and what separates them.
#[derive(Debug, Clone)]
pub struct Location {
    /// The regions whose closure contains the point (one when it is inside a region), in the
    /// enumeration's order, each rebuilt in full with its id left 0.
    pub regions: Vec<Region>,
    /// Whether the point lies on a boundary between regions: two or more regions' closures
    /// contain it (a zero preactivation that splits nothing, or the domain's boundary, does
    /// not count).
    pub on_boundary: bool,
    /// Whether the point lies on the domain's boundary (a domain row is tight there).
    pub on_domain_boundary: bool,
    /// The hidden neurons (rows of `relu` and `max` layers) whose states differ among the
    /// regions: the neurons that split at the point. Empty when it is inside one region.
    pub split_by: Vec<NeuronId>,
}

/// The regions whose closure contains `x` (see [`Location`]).
///
/// # Examples
/// ```
/// use relu_regions::{Enumerator, queries::locate::locate, network::json::read_network, exact::num::q};
/// let net = read_network(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"], ["0", "0"]], "activation": "relu"},
///     {"weights": [["1", "2", "3"]], "activation": "linear"}]}"#, "seed").unwrap();
/// let e = Enumerator::builder().build();
/// // the third neuron is zero everywhere: it splits nothing
/// let inside = locate(&net, &[q(0), q(1)], &e).unwrap();
/// assert_eq!((inside.regions.len(), inside.on_boundary), (1, false));
/// let around = locate(&net, &[q(0), q(0)], &e).unwrap();
/// assert_eq!((around.regions.len(), around.on_boundary), (4, true)); // the origin touches all four regions
/// assert_eq!(around.split_by.len(), 2);
/// ```
pub fn locate(net: &Network, x: &[Q], enumerator: &Enumerator) -> Result<Location, LocateError> {
    let d = net.input_dim();
    if x.len() != d {
        return Err(LocateError::Dimension { expected: d, got: x.len() });
    }
    let domain_rows = net.domain().halfspaces(d);
    if domain_rows.iter().any(|h| h.slack(x).is_negative()) {
        return Err(LocateError::Outside);
    }
    let on_domain_boundary = domain_rows.iter().any(|h| h.slack(x).is_zero());
    if !on_domain_boundary && !net.touches_a_hyperplane(x) {
        let (pattern, _) = net.evaluate(x);
        let region = region_of(net, pattern, x.to_vec(), enumerator)?;
        return Ok(Location {
            regions: vec![region],
            on_boundary: false,
            on_domain_boundary,
            split_by: Vec::new(),
        });
    }
    let regions = regions_around(net, x, &domain_rows, enumerator)?;
    let split_by = differing_neurons(net, &regions);
    Ok(Location { on_boundary: regions.len() > 1, regions, on_domain_boundary, split_by })
}

/// The regions whose closure contains `x`, from the enumeration of a small box around it.
fn regions_around(
    net: &Network,
    x: &[Q],
    domain_rows: &[Halfspace],
    enumerator: &Enumerator,
) -> Result<Vec<Region>, LocateError> {
    let d = x.len();
    let radius = Q::new(1.into(), 1024.into());
    let around: Vec<Halfspace> = (0..d)
        .flat_map(|j| {
            let mut up = vec![Q::zero(); d];
            up[j] = q(1);
            let down: Vec<Q> = up.iter().map(|v| -v).collect();
            [Halfspace::new(up, &x[j] + &radius), Halfspace::new(down, &radius - &x[j])]
        })
        .chain(domain_rows.iter().cloned())
        .collect();
    let local = Domain::Polytope {
        a: around.iter().map(|h| h.a.clone()).collect(),
        b: around.iter().map(|h| h.b.clone()).collect(),
    };
    let near = net.with_domain(local).map_err(|_| LocateError::Outside)?;
    let (pieces, summary) = enumerator.collect(&near)?;
    if !summary.complete() {
        return Err(LocateError::Incomplete);
    }
    let fixed = crate::forward::fixed_point::FixedLayer::chain(net.layers());
    let mut maps = PatternMaps::new(net.layers(), &fixed, d);
    let mut regions = Vec::new();
    for piece in pieces {
        let touches = piece.constraints.iter().all(|c| !c.halfspace.slack(x).is_negative());
        if touches {
            regions.push(region_in(net, &mut maps, piece.pattern, piece.point, enumerator)?);
        }
    }
    Ok(regions)
}

/// The hidden neurons whose states are not the same in every region.
fn differing_neurons(net: &Network, regions: &[Region]) -> Vec<NeuronId> {
    let Some(first) = regions.first() else { return Vec::new() };
    net.relu_layers()
        .zip(&first.pattern)
        .enumerate()
        .flat_map(|(k, (layer, bits))| {
            (0..bits.len())
                .filter(move |&i| regions.iter().any(|r| r.pattern[k][i] != bits[i]))
                .map(move |index| NeuronId { layer, index })
        })
        .collect()
}

/// The region of `pattern` on the whole domain, with a known interior point: its neuron rows
/// (the composed preactivation of every hidden neuron on the side its bit says, constant rows
/// left out), the domain's rows, its map and whether it is bounded.
///
/// # Examples
/// ```
/// use relu_regions::{queries::locate::region_of, exact::num::q, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
/// let x = vec![q(0), q(1)];
/// let (pattern, y) = net.evaluate(&x);
/// let region = region_of(&net, pattern, x.clone(), &Enumerator::builder().build()).unwrap();
/// assert_eq!(region.map().apply(&x), y);
/// assert!(!region.bounded());
/// ```
pub fn region_of(
    net: &Network,
    pattern: Pattern,
    point: Vec<Q>,
    enumerator: &Enumerator,
) -> Result<Region, InternalError> {
    let fixed = crate::forward::fixed_point::FixedLayer::chain(net.layers());
    let mut maps = PatternMaps::new(net.layers(), &fixed, net.input_dim());
    region_in(net, &mut maps, pattern, point, enumerator)
}

/// [`region_of`] with the composition of the patterns (regions with a common prefix of states
/// share the maps of that prefix).
fn region_in(
    net: &Network,
    maps: &mut PatternMaps<'_>,
    pattern: Pattern,
    point: Vec<Q>,
    enumerator: &Enumerator,
) -> Result<Region, InternalError> {
    let d = net.input_dim();
    let mut constraints = Constraint::domain(net.domain(), d);
    maps.compose(&pattern);
    // a constant row the point's pattern violates cannot occur: the pattern is the point's
    constraints.extend(maps.halfspaces().into_iter().map(|(layer, index, halfspace)| Constraint {
        halfspace: halfspace.into(),
        origin: Origin::Neuron(NeuronId { layer, index }),
    }));
    let map = maps.output();
    let rows: Vec<&Halfspace> = constraints.iter().map(|c| &*c.halfspace).collect();
    let bounded =
        matches!(net.domain(), Domain::Box(_)) || is_bounded(&rows, d, enumerator.backend().filter())?;
    let layout = crate::network::pieces::PatternLayout::of(net);
    Ok(Region { id: 0, pattern, point, constraints, map, facts: Default::default(), bounded, layout })
}
