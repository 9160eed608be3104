//! The builder of an [`Enumerator`]: its backend, limits, threads, progress and shard.

use super::{Enumerator, Subtrees};
use crate::lp::Backend;
use crate::runtime::progress::Progress;
use crate::runtime::stop::StopToken;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Builds an [`Enumerator`]: every setting has a default (float simplex hints, all cores, no
/// limits), and none changes the answer, only how it is found and when the run stops.
///
/// # Examples
/// ```
/// use relu_regions::{Backend, Enumerator, Network, StopReason};
/// use std::time::Duration;
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "0"], ["0", "1"], ["1", "1"]], "activation": "relu"}]}"#).unwrap();
/// let exact = Enumerator::builder().backend(Backend::ExactOnly).threads(1).build();
/// let floats = Enumerator::builder().threads(2).time_limit(Some(Duration::from_secs(60))).build();
/// let (a, _) = exact.collect(&net).unwrap();
/// let (b, _) = floats.collect(&net).unwrap();
/// assert_eq!(a.len(), 6); // three lines through the origin
/// assert_eq!(a.iter().map(|r| r.pattern()).collect::<Vec<_>>(), b.iter().map(|r| r.pattern()).collect::<Vec<_>>());
/// // a limit stops the run early; what was found is kept and the summary says why
/// let (some, summary) = Enumerator::builder().max_regions(Some(2)).build().collect(&net).unwrap();
/// assert_eq!((some.len(), summary.stopped()), (2, Some(StopReason::MaxRegions)));
/// ```
#[derive(Debug, Clone, Default)]
pub struct EnumeratorBuilder {
    inner: Enumerator,
}

impl EnumeratorBuilder {
    /// The float LP backend that proposes hints.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{Backend, Enumerator, Network, StopReason};
    /// use std::sync::{atomic::AtomicBool, Arc};
    /// use std::time::Duration;
    /// // 8 neurons in general position on the line: 9 regions
    /// let net = Network::from_json(r#"{"input_dim": 1, "layers": [{"weights": [[1], [1], [1], [1], [1], [1], [1], [1]],
    ///     "bias": [1, 2, 3, 4, 5, 6, 7, 8], "activation": "relu"}]}"#).unwrap();
    /// let exact = Enumerator::builder().backend(Backend::ExactOnly).threads(1).build();
    /// assert_eq!((exact.backend(), exact.thread_count()), (Backend::ExactOnly, 1));
    /// assert_eq!(exact.collect(&net).unwrap().0.len(), 9);
    /// // limits: the first 3 regions, or nothing once the cancel flag is set
    /// let (some, summary) = Enumerator::builder().max_regions(Some(3)).time_limit(Some(Duration::from_secs(60))).build().collect(&net).unwrap();
    /// assert_eq!((some.len(), summary.stopped()), (3, Some(StopReason::MaxRegions)));
    /// let cancelled = Arc::new(AtomicBool::new(true));
    /// let (none, summary) = Enumerator::builder().cancel_flag(cancelled).build().collect(&net).unwrap();
    /// assert_eq!((none.len(), summary.stopped()), (0, Some(StopReason::Cancelled)));
    /// ```
    pub fn backend(mut self, backend: Backend) -> Self {
        self.inner.backend = backend;
        self
    }
    /// Stop after this many regions.
    ///
    /// See the example on [`EnumeratorBuilder::backend`].
    pub fn max_regions(mut self, n: Option<usize>) -> Self {
        self.inner.max_regions = n;
        self
    }
    /// Stop after this much time.
    ///
    /// See the example on [`EnumeratorBuilder::backend`].
    pub fn time_limit(mut self, t: Option<Duration>) -> Self {
        self.inner.time_limit = t;
        self
    }
    /// Worker threads (0, the default: every core; 1: sequential). The output is the same for
    /// every thread count.
    ///
    /// See the example on [`EnumeratorBuilder::backend`].
    pub fn threads(mut self, n: usize) -> Self {
        self.inner.threads = n;
        self
    }
    /// Count the run's progress here (regions found; the analysis adds its facet phase), for a
    /// front end to draw from another thread.
    ///
    /// See the example on [`crate::jobs::Progress::with_listener`].
    pub fn progress(mut self, progress: Arc<Progress>) -> Self {
        self.inner.progress = Some(progress);
        self
    }
    /// Enumerate only these subtrees of the depth-first tree (one shard of a sharded run);
    /// region ids then start at 0 in the part.
    /// Sharded runs set it through `Enumerator::reconfigure`.
    ///
    /// See the example on [`crate::jobs::shard::merge_to_text`].
    pub fn subtrees(mut self, part: Option<Subtrees>) -> Self {
        self.inner.subtrees = part;
        self
    }
    /// Stop when this flag becomes true.
    ///
    /// See the example on [`EnumeratorBuilder::backend`].
    pub fn cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.inner.cancel = Some(flag);
        self
    }
    /// Stop at this instant, whenever a run starts (with a time limit too, the earlier wins).
    ///
    /// See the example on [`EnumeratorBuilder::stop`].
    pub fn deadline(mut self, deadline: Option<Instant>) -> Self {
        self.inner.deadline = deadline;
        self
    }
    /// Stop with this token: its deadline and its cancel flag (the CLI makes one token when a
    /// command starts, for the reading of the network, the enumeration and every later phase).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{jobs::StopToken, Enumerator, Network, StopReason};
    /// use std::time::Instant;
    /// let net = Network::from_json(r#"{"input_dim": 1, "layers": [{"weights": [[1]], "activation": "relu"}]}"#).unwrap();
    /// let passed = StopToken::new(Some(Instant::now()), None);
    /// let (regions, summary) = Enumerator::builder().stop(&passed).build().collect(&net).unwrap();
    /// assert_eq!((regions.len(), summary.stopped()), (0, Some(StopReason::TimeLimit)));
    /// ```
    pub fn stop(mut self, token: &StopToken) -> Self {
        self.inner.deadline = token.deadline();
        if let Some(flag) = token.cancel_flag() {
            self.inner.cancel = Some(flag.clone());
        }
        self
    }
    /// The configured enumerator.
    ///
    /// See the example on [`EnumeratorBuilder::backend`].
    pub fn build(self) -> Enumerator {
        self.inner
    }
}
