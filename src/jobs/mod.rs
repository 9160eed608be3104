//! The jobs every front end runs. The CLI (`src/cli/`) and the Python module
//! (`python/src/`) parse their arguments, call one function here, and print or hand over what it
//! returns; no front end builds a document of its own. Each job returns a typed result whose
//! JSON document carries its provenance, written by the one writer of its wire form
//! ([`crate::export::json`]), so `regions --jsonl` and `net.regions()` end with the same
//! summary line, byte for byte.
//!
//! - [`count`]: the counts, streamed (no graph) or with facets, graph and pieces;
//! - [`stream_regions`]: every region with its facets as JSON lines, then the summary line;
//! - [`write_regions_json`] and [`write_graph`]: `regions --json` and `graph`, written as they go;
//! - [`graph_document`], [`regions_document`] and [`plot_document`]: whole answers;
//! - [`range`], [`slice()`], [`locate`] and [`vnnlib`]: the questions, with their documents;
//! - [`faces`] and [`boundary`]: the complex and the topology of a level set;
//! - [`batch`]: counts of many boxes at once (local complexity: `count_many`);
//! - [`shard`]: sharded runs (plan, run a shard, merge the parts exactly).
//!
//! May import: every library layer below it.

mod answers;
pub mod batch;
mod complex;
mod count;
mod locate;
mod regions;
pub mod shard;

pub use crate::runtime::parallel::threads_for;
pub use crate::runtime::progress::{Phase, Progress};
pub use crate::runtime::stop::StopToken;
pub use answers::{range, slice, vnnlib, RangeJob, SliceJob, VnnlibJob};
pub use complex::{boundary, faces, faces_spilled, BoundaryJob, FacesJob, Listed, SpilledFacesJob};
pub use count::{count, Counted};
pub use locate::{locate, LocateJob};
pub use regions::{
    graph_document, plot_document, regions_document, stream_regions, write_graph, write_regions_json,
    GraphForm, Written,
};

use crate::error::{InternalError, NetworkError};

/// Why a job could not answer: its input (an option's value, a point, a property) is invalid,
/// or an exact check failed inside.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// An input of the job is invalid; the message names it (`--line: ...`, `file.vnnlib: ...`).
    #[error("{0}")]
    Input(String),
    /// An exact check failed on the crate's own answer.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl JobError {
    /// An option's value the library refused, told as `FLAG: what is wrong`.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{jobs::JobError, queries::line::Segment};
    /// let e = Segment::parse("1,2;3", 2).unwrap_err();
    /// assert!(JobError::option("--line", e).to_string().starts_with("--line: "));
    /// ```
    pub fn option(flag: &str, e: NetworkError) -> JobError {
        match e {
            NetworkError::Invalid { problems, .. } => JobError::Input(format!(
                "{flag}: {}",
                problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; ")
            )),
            other => JobError::Input(format!("{flag}: {other}")),
        }
    }
}
