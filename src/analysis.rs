//! The whole job on one network: enumerate the regions, certify their facets, build the
//! graph and the pieces. The CLI is a thin layer over this.

use crate::certify::LpStats;
use crate::enumerate::{Enumerator, Summary};
use crate::error::InternalError;
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
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// assert_eq!((a.regions.len(), a.edges(), a.graph.pieces), (4, 4, 4));
/// ```
pub fn analyze(net: &Network, enumerator: &Enumerator) -> Result<Analysis, InternalError> {
    let (regions, mut summary) = enumerator.collect(net);
    if let Some(failure) = summary.failure.take() {
        return Err(failure);
    }
    let start = std::time::Instant::now();
    let mut stats = LpStats::default();
    let backend = enumerator.backend().solver();
    let bx = crate::certify::safe::FloatBox::from_domain(net.domain());
    let facets = all_facets(&regions, bx.as_ref(), backend, enumerator.thread_count(), &mut stats)?;
    let graph = build(net, &regions, &facets, summary.complete(), backend.filter())?;
    summary.stats.add(&stats);
    summary.elapsed += start.elapsed();
    Ok(Analysis { regions, facets, graph, summary })
}

/// The facets of every region, in order; chunks of regions are shared among `threads` threads
/// and put back in order, so the result does not depend on the thread count.
fn all_facets(
    regions: &[Region],
    bx: Option<&crate::certify::safe::FloatBox>,
    backend: &dyn crate::lp::LpBackend,
    threads: usize,
    stats: &mut LpStats,
) -> Result<Vec<Vec<Facet>>, InternalError> {
    let parts = crate::parallel::map_chunks(regions, threads, 16, |part| {
        let mut local = LpStats::default();
        let f: Result<Vec<Vec<Facet>>, InternalError> =
            part.iter().map(|r| facets(r, bx, backend, &mut local)).collect();
        (f, local)
    });
    let mut out = Vec::with_capacity(regions.len());
    for (f, local) in parts {
        stats.add(&local);
        out.extend(f?);
    }
    Ok(out)
}
