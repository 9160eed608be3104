//! A run's stop token: its deadline (`--time-limit`) and its cancel flag (Ctrl-C), one value
//! for every phase of the run (reading the network, enumeration, facets, graph, `check`,
//! `vnnlib`).
//!
//! The long loops deep inside the crate (the exact simplex's pivots, the fraction-free square
//! solves, the facet and graph passes, the checker) do not take the token as an argument: a
//! phase installs it on its threads ([`StopToken::install`]; `parallel::map_chunks`
//! carries it to its workers) and they poll `requested()`, a thread-local read, an atomic load
//! and, only when a deadline is set, a clock read. A computation that gives up returns no
//! answer (`None`, or an error the phase excuses with [`StopToken::excuse`]): never a wrong one.
//! The phase then stops for the token's reason and keeps everything it had finished. Where
//! nothing is installed nothing gives up.
//!
//! # Examples
//! ```
//! use relu_regions::jobs::StopToken;
//! use relu_regions::StopReason;
//! use std::sync::{atomic::{AtomicBool, Ordering}, Arc};
//! use std::time::{Duration, Instant};
//! let flag = Arc::new(AtomicBool::new(false));
//! let token = StopToken::new(Some(Instant::now() + Duration::from_secs(3600)), Some(flag.clone()));
//! assert_eq!(token.reason(), None);
//! flag.store(true, Ordering::Relaxed); // Ctrl-C
//! assert_eq!(token.reason(), Some(StopReason::Cancelled));
//! assert!(token.cancel_flag().is_some());
//! let late = StopToken::new(Some(Instant::now()), None);
//! assert_eq!(late.reason(), Some(StopReason::TimeLimit));
//! ```

use crate::error::InternalError;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// When a run must stop: at its deadline, or once its cancel flag is raised.
#[derive(Debug, Clone, Default)]
pub struct StopToken {
    deadline: Option<Instant>,
    cancel: Option<Arc<AtomicBool>>,
}

impl StopToken {
    /// A token with this deadline and cancel flag (either may be absent).
    ///
    /// See the example on [`crate::jobs::StopToken`].
    pub fn new(deadline: Option<Instant>, cancel: Option<Arc<AtomicBool>>) -> StopToken {
        StopToken { deadline, cancel }
    }

    /// The deadline.
    ///
    /// See the example on [`StopToken::sooner`].
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The cancel flag.
    ///
    /// See the example on [`crate::jobs::StopToken`].
    pub fn cancel_flag(&self) -> Option<&Arc<AtomicBool>> {
        self.cancel.as_ref()
    }

    /// The same token with the earlier of its deadline and `deadline`.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::jobs::StopToken;
    /// use std::time::{Duration, Instant};
    /// let now = Instant::now();
    /// let token = StopToken::new(Some(now + Duration::from_secs(5)), None);
    /// assert_eq!(token.clone().sooner(Some(now)).deadline(), Some(now));
    /// assert_eq!(token.sooner(None).deadline(), Some(now + Duration::from_secs(5)));
    /// ```
    pub fn sooner(mut self, deadline: Option<Instant>) -> StopToken {
        self.deadline = match (self.deadline, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self
    }

    /// Why the run must stop now, if it must: [`StopReason::Cancelled`] once the flag is raised,
    /// [`StopReason::TimeLimit`] from the deadline on.
    ///
    /// See the example on [`crate::jobs::StopToken`].
    pub fn reason(&self) -> Option<StopReason> {
        if self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Some(StopReason::Cancelled);
        }
        self.deadline.filter(|&d| Instant::now() >= d).map(|_| StopReason::TimeLimit)
    }

    /// Whether the run must stop now.
    ///
    /// See the example on [`StopToken::install`].
    pub fn is_stopped(&self) -> bool {
        self.reason().is_some()
    }

    /// Whether the token can ever ask to stop.
    fn is_live(&self) -> bool {
        self.deadline.is_some() || self.cancel.is_some()
    }

    /// Makes the token the one `requested()` polls on this thread, until the guard is dropped
    /// (the token installed before is then restored).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::jobs::StopToken;
    /// use std::time::Instant;
    /// let past = StopToken::new(Some(Instant::now()), None);
    /// assert!(past.is_stopped());
    /// let _guard = past.install(); // the exact solves of this thread now give up at once
    /// ```
    pub fn install(&self) -> Installed {
        let token = self.is_live().then(|| self.clone());
        Installed(Some(INSTALLED.with(|slot| slot.replace(token))))
    }

    /// An error met while the run had to stop is the stop's doing (an exact solve that gave up
    /// returns no answer, which its caller reports as an error): `Ok(reason)`. Otherwise the
    /// error stands.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{jobs::StopToken, InternalError, StopReason};
    /// use std::time::Instant;
    /// let e = InternalError::new("the exact simplex answered None");
    /// assert_eq!(StopToken::new(Some(Instant::now()), None).excuse(e.clone()), Ok(StopReason::TimeLimit));
    /// assert_eq!(StopToken::default().excuse(e.clone()), Err(e));
    /// ```
    pub fn excuse(&self, error: InternalError) -> Result<StopReason, InternalError> {
        self.reason().ok_or(error)
    }
}

thread_local! {
    static INSTALLED: RefCell<Option<StopToken>> = const { RefCell::new(None) };
}

/// Restores the token installed before on drop.
#[must_use = "the token is installed only while the guard lives"]
pub struct Installed(Option<Option<StopToken>>);

impl Drop for Installed {
    fn drop(&mut self) {
        if let Some(previous) = self.0.take() {
            INSTALLED.with(|slot| *slot.borrow_mut() = previous);
        }
    }
}

/// Whether the token installed on this thread asks to stop now (`false` when none is).
pub(crate) fn requested() -> bool {
    INSTALLED.with(|slot| slot.borrow().as_ref().is_some_and(StopToken::is_stopped))
}

/// The token installed on this thread, to install on the threads it spawns.
pub(crate) fn current() -> StopToken {
    INSTALLED.with(|slot| slot.borrow().clone().unwrap_or_default())
}

/// The error of a computation that gave up because the run must stop (its phase excuses it
/// with [`StopToken::excuse`]).
pub(crate) fn gave_up(what: &str) -> InternalError {
    InternalError::new(format!("{what}: gave up, the run was asked to stop"))
}

/// Polls [`requested`] once per `every` units of work, so that a hot loop pays for the poll
/// (a clock read with a deadline) only now and then.
pub(crate) struct Poll {
    every: usize,
    work: usize,
}

impl Poll {
    /// Polls once per `every` units of work (at least one).
    pub(crate) fn every(every: usize) -> Poll {
        Poll { every: every.max(1), work: 0 }
    }

    /// Adds `work` units; whether the run must stop (asked only when the units add up).
    pub(crate) fn stop(&mut self, work: usize) -> bool {
        self.work += work;
        if self.work < self.every {
            return false;
        }
        self.work = 0;
        requested()
    }
}

/// Why an enumeration stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// `max_regions` was reached.
    MaxRegions,
    /// The time limit passed.
    TimeLimit,
    /// The cancel flag was raised (e.g. Ctrl-C).
    Cancelled,
    /// The sink asked to stop.
    Sink,
    /// An exact check failed on the crate's own answer (the run returned the error).
    Failed,
}

impl std::fmt::Display for StopReason {
    /// Why the run stopped, for people.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::StopReason;
    /// assert_eq!(StopReason::TimeLimit.to_string(), "the time limit passed");
    /// ```
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StopReason::MaxRegions => "the region limit was reached",
            StopReason::TimeLimit => "the time limit passed",
            StopReason::Cancelled => "it was cancelled",
            StopReason::Sink => "the output stopped taking regions",
            StopReason::Failed => "an exact check failed",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::q;
    use crate::exact::simplex::{solve, solve_square};
    use crate::exact::square::solve_square_unreduced;
    use std::time::Duration;

    #[test]
    fn exact_solves_give_up_when_asked_and_only_then() {
        let m = vec![vec![q(2), q(1)], vec![q(1), q(3)]];
        let r = vec![q(1), q(2)];
        assert!(!requested());
        assert!(solve_square(&m, &r).is_some());
        let flag = Arc::new(AtomicBool::new(false));
        {
            let _guard = StopToken::new(None, Some(flag.clone())).install();
            assert!(solve_square(&m, &r).is_some());
            flag.store(true, Ordering::Relaxed);
            assert!(requested());
            assert!(solve_square(&m, &r).is_none());
            assert!(solve_square_unreduced(&m, &r).is_none());
            let c = vec![q(-1), q(-1)];
            assert!(solve(&m, &r, &c, usize::MAX).is_none());
        }
        // the guard is gone: nothing is asked any more
        assert!(!requested());
        let past = StopToken::new(Some(Instant::now()), None).install();
        assert!(requested());
        drop(past);
        assert!(!requested());
    }

    #[test]
    fn guards_nest_and_a_token_that_cannot_stop_is_not_polled() {
        let outer = StopToken::new(Some(Instant::now() + Duration::from_secs(3600)), None);
        let _a = outer.install();
        assert_eq!(current().deadline(), outer.deadline());
        {
            let _b = StopToken::default().install();
            assert!(current().deadline().is_none() && !requested());
            let _c = StopToken::new(Some(Instant::now()), None).install();
            assert!(requested());
        }
        assert_eq!(current().deadline(), outer.deadline());
        assert!(!requested());
    }

    #[test]
    fn polls_add_up_work_before_asking() {
        let _guard = StopToken::new(Some(Instant::now()), None).install();
        let mut poll = Poll::every(10);
        assert!(!poll.stop(4) && !poll.stop(5));
        assert!(poll.stop(1));
        assert!(!poll.stop(3));
        assert!(poll.stop(100));
    }
}
