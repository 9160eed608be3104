//! A run's stop request (its time limit, its cancel flag) seen from inside the long exact
//! computations: the fraction-free square solve and the exact simplex poll it and give up, so
//! one exact fallback in thousands of dimensions does not outlive `--time-limit` or Ctrl-C.
//! The enumerator installs the request on its threads; elsewhere nothing is installed and
//! nothing gives up.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// When a run must stop.
#[derive(Debug, Clone, Default)]
pub(crate) struct StopRequest {
    /// The run's deadline.
    pub deadline: Option<Instant>,
    /// The run's cancel flag.
    pub cancel: Option<Arc<AtomicBool>>,
}

thread_local! {
    static INSTALLED: RefCell<Option<StopRequest>> = const { RefCell::new(None) };
}

/// Restores the request installed before on drop.
pub(crate) struct Installed(Option<StopRequest>);

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.0.take();
        INSTALLED.with(|slot| *slot.borrow_mut() = previous);
    }
}

/// Installs `request` on this thread until the returned guard is dropped.
pub(crate) fn install(request: StopRequest) -> Installed {
    Installed(INSTALLED.with(|slot| slot.borrow_mut().replace(request)))
}

/// Whether the request installed on this thread asks to stop now.
pub(crate) fn requested() -> bool {
    INSTALLED.with(|slot| {
        slot.borrow().as_ref().is_some_and(|r| {
            r.deadline.is_some_and(|d| Instant::now() >= d)
                || r.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::q;

    #[test]
    fn exact_solves_give_up_when_asked_and_only_then() {
        let m = vec![vec![q(2), q(1)], vec![q(1), q(3)]];
        let r = vec![q(1), q(2)];
        assert!(!requested());
        assert!(crate::lp::simplex::solve_square(&m, &r).is_some());
        let flag = Arc::new(AtomicBool::new(false));
        {
            let _guard = install(StopRequest { deadline: None, cancel: Some(flag.clone()) });
            assert!(crate::lp::simplex::solve_square(&m, &r).is_some());
            flag.store(true, Ordering::Relaxed);
            assert!(requested());
            assert!(crate::lp::simplex::solve_square(&m, &r).is_none());
            assert!(crate::lp::simplex::solve_square_unreduced(&m, &r).is_none());
            let c = vec![q(-1), q(-1)];
            assert!(crate::lp::simplex::solve(&m, &r, &c, usize::MAX).is_none());
        }
        // the guard is gone: nothing is asked any more
        assert!(!requested());
        let past = install(StopRequest { deadline: Some(Instant::now()), cancel: None });
        assert!(requested());
        drop(past);
        assert!(!requested());
    }
}
