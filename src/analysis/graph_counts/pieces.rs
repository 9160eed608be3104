//! The piece of every region at the memory of counting, for a writer that streams the regions
//! with their facets and numbers their pieces only at the end (`regions --json`): each region,
//! once its facets are certified, goes to the caller and shrinks to the record `count` keeps
//! (its pattern as bits, the patterns across its inner facets, its map's fingerprint). The edges
//! and pieces come from the records as in `count` with the graph, so they are those of
//! [`crate::analysis::graph::build`] (pieces numbered by their smallest region id).

use super::{across, edges, pack, ExactMaps, Record};
use crate::analysis::facets::Facet;
use crate::analysis::FacetedRegion;
use crate::enumerate::prepared::Prepared;
use crate::enumerate::{Enumerator, Sink, Summary};
use crate::error::{InternalError, SinkError};
use crate::forward::fingerprint::Fingerprints;
use crate::network::Network;
use std::ops::ControlFlow;

/// What [`stream_with_pieces`] gives back: the run's summary, the piece of each region passed
/// on (in id order), and the caller's first error (which stopped the run).
pub(crate) struct Streamed {
    /// The run's summary (stopped by the sink when the caller failed).
    pub summary: Summary,
    /// The piece of each region passed on.
    pub piece_of: Vec<usize>,
    /// The caller's first error.
    pub written: std::io::Result<()>,
}

/// Enumerates `net`, passes every region with its certified facets to `each` in id order
/// (keeping none of them), then numbers the pieces from the records.
///
/// # Errors
/// An exact check failed (an edge seen from one side only in a complete run, among them).
pub(crate) fn stream_with_pieces(
    net: &Network,
    enumerator: &Enumerator,
    each: &mut dyn FnMut(&FacetedRegion) -> std::io::Result<()>,
) -> Result<Streamed, InternalError> {
    let start = std::time::Instant::now();
    let enumerator = enumerator.anchored(start);
    let token = enumerator.stop_token(start);
    let _stop = token.install();
    let prepared = enumerator.prepare(net);
    let mut keeping = Keeping {
        prepared: &prepared,
        fingerprints: Fingerprints::new(prepared.fixed_layers()),
        records: Vec::new(),
        each,
        written: Ok(()),
    };
    let (summary, _) = crate::analysis::stream_prepared(&prepared, &enumerator, start, &mut keeping)?;
    let Keeping { records, written, .. } = keeping;
    let found = edges(&records, summary.complete())?;
    let mut maps =
        ExactMaps { prepared: &prepared, records: &records, cache: Default::default(), cut: false };
    let (piece_of, _) = maps.pieces(&found.same_fingerprint);
    Ok(Streamed { summary, piece_of, written })
}

/// The sink that keeps each region's record and passes the region on.
struct Keeping<'a, 'e> {
    prepared: &'a Prepared<'a>,
    fingerprints: Fingerprints,
    records: Vec<Record>,
    each: &'e mut dyn FnMut(&FacetedRegion) -> std::io::Result<()>,
    written: std::io::Result<()>,
}

impl Sink<FacetedRegion> for Keeping<'_, '_> {
    fn item(&mut self, item: FacetedRegion) -> Result<ControlFlow<()>, SinkError> {
        let FacetedRegion { region, facets } = &item;
        let fingerprint = region.facts.map_hash.unwrap_or_else(|| self.fingerprints.of(&region.map));
        let inner = facets.iter().filter(|f: &&Facet| !f.on_boundary);
        self.records.push(Record {
            pattern: pack(&region.pattern),
            bounded: region.bounded,
            fingerprint,
            across: across(region, inner, self.prepared),
        });
        if let Err(e) = (self.each)(&item) {
            self.written = Err(e);
            return Ok(ControlFlow::Break(()));
        }
        Ok(ControlFlow::Continue(()))
    }
}
