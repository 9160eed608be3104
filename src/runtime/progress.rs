//! Progress of a run as counters that another thread may read: the library only counts; a
//! front end draws (the CLI's bar on stderr, tqdm in Python). A listener, when set, hears every
//! change of phase at once, so that a front end can clear its display before the output is
//! printed.
//!
//! # Examples
//! ```
//! use relu_regions::{jobs::{Phase, Progress}, Enumerator, Network};
//! use std::sync::Arc;
//! let net = Network::from_json(r#"{"input_dim": 1, "layers": [
//!     {"weights": [["1"], ["-1"]], "activation": "relu"}]}"#).unwrap();
//! let progress = Arc::new(Progress::default());
//! Enumerator::builder().progress(progress.clone()).build().collect(&net).unwrap();
//! assert_eq!((progress.regions(), progress.phase()), (2, Phase::Idle));
//! ```

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// What a run is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Nothing (before, between and after the phases).
    Idle,
    /// Finding regions.
    Regions,
    /// Certifying facets and building the graph.
    Facets,
}

/// What hears the changes of phase.
type Listener = Box<dyn Fn(Phase) + Send + Sync>;

/// Counters of a run's progress.
#[derive(Default)]
pub struct Progress {
    regions: AtomicUsize,
    facets_done: AtomicUsize,
    facets_total: AtomicUsize,
    phase: AtomicU8,
    listener: Option<Listener>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("regions", &self.regions())
            .field("facets", &self.facets())
            .field("phase", &self.phase())
            .finish()
    }
}

impl Progress {
    /// Counters with a listener called on every change of phase (on the run's thread).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::jobs::{Phase, Progress};
    /// use relu_regions::{analyze, Enumerator, Network};
    /// use std::sync::{Arc, Mutex};
    /// let net = Network::from_json(r#"{"input_dim": 1, "layers": [
    ///     {"weights": [["1"], ["-1"]], "activation": "relu"}]}"#).unwrap();
    /// let heard = Arc::new(Mutex::new(Vec::new()));
    /// let log = heard.clone();
    /// let progress = Arc::new(Progress::with_listener(move |phase| log.lock().unwrap().push(phase)));
    /// analyze(&net, &Enumerator::builder().progress(progress.clone()).build()).unwrap();
    /// assert_eq!(progress.facets(), (2, 2)); // both regions' facets certified
    /// let heard = heard.lock().unwrap();
    /// assert!(heard.contains(&Phase::Regions) && heard.contains(&Phase::Facets));
    /// assert_eq!(heard.last(), Some(&Phase::Idle));
    /// ```
    pub fn with_listener(listener: impl Fn(Phase) + Send + Sync + 'static) -> Progress {
        Progress { listener: Some(Box::new(listener)), ..Progress::default() }
    }

    /// Regions found so far.
    ///
    /// See the example on [`crate::jobs::Progress`].
    pub fn regions(&self) -> usize {
        self.regions.load(Ordering::Relaxed)
    }

    /// Regions whose facets are certified, of how many.
    ///
    /// See the example on [`Progress::with_listener`].
    pub fn facets(&self) -> (usize, usize) {
        (self.facets_done.load(Ordering::Relaxed), self.facets_total.load(Ordering::Relaxed))
    }

    /// The current phase.
    ///
    /// See the example on [`crate::jobs::Progress`].
    pub fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Relaxed) {
            1 => Phase::Regions,
            2 => Phase::Facets,
            _ => Phase::Idle,
        }
    }

    pub(crate) fn enter(&self, phase: Phase) {
        let code = match phase {
            Phase::Idle => 0,
            Phase::Regions => 1,
            Phase::Facets => 2,
        };
        self.phase.store(code, Ordering::Relaxed);
        if let Some(listener) = &self.listener {
            listener(phase);
        }
    }

    pub(crate) fn add_region(&self) {
        self.regions.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn start_facets(&self, total: usize) {
        self.facets_done.store(0, Ordering::Relaxed);
        self.facets_total.store(total, Ordering::Relaxed);
        self.enter(Phase::Facets);
    }

    pub(crate) fn add_facets(&self, regions: usize) {
        self.facets_done.fetch_add(regions, Ordering::Relaxed);
    }
}
