//! The `count` job: streamed without the graph, or with facets, graph and pieces.

use crate::analysis::graph_counts::count_graph;
use crate::enumerate::{CountingSink, Enumerator, Summary};
use crate::error::InternalError;
use crate::export::json::CountsOut;
use crate::export::provenance::Provenance;
use crate::network::Network;

/// A count and the run's summary.
#[derive(Debug)]
pub struct Counted {
    /// The counts as written by `count --json` and `net.count()`.
    pub counts: CountsOut,
    /// The enumeration's summary (why it stopped, if it did).
    pub summary: Summary,
}

/// Counts the regions of `net` on its domain: without the graph (`graph = false`: regions and
/// bounded regions, memory flat in the count) or with facets, edges and pieces.
///
/// # Examples
/// ```
/// use relu_regions::{jobs, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#).unwrap();
/// let counted = jobs::count(&net, &Enumerator::builder().build(), None, true).unwrap();
/// assert_eq!((counted.counts.regions, counted.counts.edges), (4, Some(4)));
/// assert!(counted.summary.complete());
/// ```
///
/// # Errors
/// An exact check failed.
pub fn count(
    net: &Network,
    enumerator: &Enumerator,
    provenance: Option<Provenance>,
    graph: bool,
) -> Result<Counted, InternalError> {
    let (mut counts, summary) = if graph {
        let c = count_graph(net, enumerator)?;
        (CountsOut::from_graph_counts(net, &c), c.summary)
    } else {
        let mut sink = CountingSink::default();
        let summary = enumerator.enumerate(net, &mut sink)?;
        (CountsOut::new(net, &summary, sink.regions, sink.bounded, None), summary)
    };
    counts.provenance = provenance;
    Ok(Counted { counts, summary })
}
