//! The whole job on one network: enumerate the regions, certify their facets, build the
//! graph and the pieces. The CLI is a thin layer over this.

use crate::certify::LpStats;
use crate::enumerate::{Enumerator, Summary};
use crate::facets::{facets, Facet};
use crate::graph::{build, RegionGraph};
use crate::network::Network;
use crate::region::Region;

/// Regions with their facets and graph.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Regions in id order.
    pub regions: Vec<Region>,
    /// The facets of each region.
    pub facets: Vec<Vec<Facet>>,
    /// The adjacency graph and pieces.
    pub graph: RegionGraph,
    /// The enumeration summary (its stats include the facet LPs).
    pub summary: Summary,
}

impl Analysis {
    /// Number of edges.
    pub fn edges(&self) -> usize {
        self.graph.graph.edge_count()
    }

    /// Number of bounded regions.
    pub fn bounded(&self) -> usize {
        self.regions.iter().filter(|r| r.bounded).count()
    }
}

/// Enumerates, computes facets and builds the graph.
///
/// # Examples
/// ```
/// use relu_regions::{analysis::analyze, enumerate::Enumerator, network::json::read_network};
/// let net = read_network(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#, "seed").unwrap();
/// let a = analyze(&net, &Enumerator::builder().build());
/// assert_eq!((a.regions.len(), a.edges(), a.graph.pieces), (4, 4, 4));
/// ```
pub fn analyze(net: &Network, enumerator: &Enumerator) -> Analysis {
    let (regions, mut summary) = enumerator.collect(net);
    let start = std::time::Instant::now();
    let mut stats = LpStats::default();
    let backend = enumerator.backend().solver();
    let bx = crate::certify::safe::FloatBox::from_domain(net.domain());
    let facets: Vec<Vec<Facet>> =
        regions.iter().map(|r| facets(r, bx.as_ref(), backend, &mut stats)).collect();
    let graph = build(net, &regions, &facets);
    summary.stats.add(&stats);
    summary.elapsed += start.elapsed();
    Analysis { regions, facets, graph, summary }
}
