//! The run's machinery, below everything else: the stop token every long loop polls (deadline,
//! Ctrl-C, a dropped stream), the thread pool's chunked map, and progress counters.
//!
//! May import: nothing of the crate but [`crate::error`].

pub(crate) mod parallel;
pub(crate) mod progress;
pub(crate) mod stop;
