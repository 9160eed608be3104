//! What a run reports: its [`Summary`] and why it stopped early ([`StopReason`]).

use crate::certify::LpStats;
use crate::error::InternalError;
use std::time::{Duration, Instant};

pub use crate::runtime::stop::StopReason;

/// What an enumeration did: how many regions it emitted, whether it found them all (and if not,
/// why it stopped), how its decisions were certified, and how long it took.
///
/// # Examples
/// ```
/// use relu_regions::{Enumerator, Network, StopReason};
/// use relu_regions::enumerate::CountingSink;
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [
///     {"weights": [["1"], ["1"], ["1"]], "bias": ["0", "-1", "-2"], "activation": "relu"}]}"#).unwrap();
/// let summary = Enumerator::builder().build().enumerate(&net, &mut CountingSink::default()).unwrap();
/// assert!(summary.complete() && summary.stopped().is_none());
/// assert_eq!(summary.regions(), 4); // breaks at 0, 1 and 2
/// let cut = Enumerator::builder().max_regions(Some(3)).build();
/// let partial = cut.enumerate(&net, &mut CountingSink::default()).unwrap();
/// assert_eq!((partial.regions(), partial.stopped(), partial.complete()), (3, Some(StopReason::MaxRegions), false));
/// // what the run cost and whether anything went wrong in the sink
/// assert!(summary.stats().lps > 0 && summary.elapsed() < std::time::Duration::from_secs(60));
/// assert!(summary.sink_error().is_none() && summary.discarded() == 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Regions emitted.
    pub(crate) regions: usize,
    /// `None` when every region was found; otherwise why it stopped.
    pub(crate) stopped: Option<StopReason>,
    /// How the LP decisions were certified.
    pub(crate) stats: LpStats,
    /// Wall time.
    pub(crate) elapsed: Duration,
    /// The internal error that stopped the run, if one did (the public calls return it as
    /// their `Err`; the crate's own pruned runs read it here).
    pub(crate) failure: Option<InternalError>,
    /// The sink's own error, if it failed (see [`super::Sink::finish`]).
    pub(crate) sink_error: Option<crate::error::SinkError>,
    /// Subtrees discarded whole by a pruning test (only runs that ask a question, such as
    /// `vnnlib`, have one).
    pub(crate) discarded: usize,
}

impl Summary {
    /// Regions emitted.
    ///
    /// See the example on [`Summary`].
    pub fn regions(&self) -> usize {
        self.regions
    }

    /// `None` when every region was found; otherwise why it stopped.
    ///
    /// See the example on [`Summary`].
    pub fn stopped(&self) -> Option<StopReason> {
        self.stopped
    }

    /// How the LP decisions were certified.
    ///
    /// See the example on [`Summary`].
    pub fn stats(&self) -> &LpStats {
        &self.stats
    }

    /// Wall time.
    ///
    /// See the example on [`Summary`].
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The sink's own error, if it failed (see [`super::Sink::finish`]).
    ///
    /// See the example on [`Summary`].
    pub fn sink_error(&self) -> Option<&crate::error::SinkError> {
        self.sink_error.as_ref()
    }

    /// Subtrees discarded whole by a pruning test (only runs that ask a question, such as
    /// `vnnlib`, have one).
    ///
    /// See the example on [`Summary`].
    pub fn discarded(&self) -> usize {
        self.discarded
    }

    /// The summary of a run stopped at its start by an internal error.
    pub(super) fn failed(error: InternalError, start: Instant) -> Summary {
        Summary {
            stopped: Some(StopReason::Failed),
            failure: Some(error),
            elapsed: start.elapsed(),
            ..Summary::default()
        }
    }

    /// Whether the enumeration is complete.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{Enumerator, Network};
    /// let net = Network::from_json(r#"{"input_dim": 1, "layers": [{"weights": [["1"], ["-1"]], "bias": ["0", "1"], "activation": "relu"}]}"#).unwrap();
    /// assert!(Enumerator::builder().build().collect(&net).unwrap().1.complete());
    /// assert!(!Enumerator::builder().max_regions(Some(1)).build().collect(&net).unwrap().1.complete());
    /// ```
    pub fn complete(&self) -> bool {
        self.stopped.is_none()
    }
}
