//! The command's one stop token ([`relu_regions::jobs::StopToken`]): made when a command that
//! honours limits starts, with the deadline `--time-limit` seconds later and a cancel flag that
//! Ctrl-C raises (a second Ctrl-C exits at once). Every phase of the command polls it: the
//! reading of the network ([`until_stopped`]), the enumeration (through the enumerator), the
//! facets and the graph, `check`, `vnnlib`.

use super::{BadInput, EXIT_INCOMPLETE};
use relu_regions::jobs::StopToken;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The command's token, made once.
static TOKEN: OnceLock<StopToken> = OnceLock::new();

/// Ctrl-C presses so far: the first stops the run cleanly (what was found is written, marked
/// incomplete), the second exits at once.
static PRESSES: AtomicUsize = AtomicUsize::new(0);

/// The command's token, made on the first call: the deadline `time_limit` seconds from now, and
/// the cancel flag raised by Ctrl-C. Later calls return the same token.
pub(crate) fn start(time_limit: Option<f64>) -> Result<StopToken, BadInput> {
    let limit = match time_limit {
        Some(t) if !(t.is_finite() && t >= 0.0) => {
            return Err(BadInput(anyhow::anyhow!("--time-limit must be a non-negative number of seconds")))
        }
        // beyond any run (and beyond what `Instant` can add): no deadline
        Some(t) if t > 1e9 => None,
        t => t.map(Duration::from_secs_f64),
    };
    Ok(TOKEN
        .get_or_init(|| {
            let cancel = Arc::new(AtomicBool::new(false));
            let flag = cancel.clone();
            let _ = ctrlc::set_handler(move || {
                if PRESSES.fetch_add(1, Ordering::SeqCst) >= 1 {
                    eprintln!("\ninterrupted twice: exiting at once, nothing more is written");
                    std::process::exit(130);
                }
                eprintln!("\nstopping (Ctrl-C again exits at once)...");
                flag.store(true, Ordering::Relaxed);
            });
            StopToken::new(limit.map(|t| Instant::now() + t), Some(cancel))
        })
        .clone())
}

/// The command's token (one that never stops when the command does not honour limits).
pub(crate) fn token() -> StopToken {
    TOKEN.get().cloned().unwrap_or_default()
}

/// Runs `work` (the reading of a network: nothing is found yet, so nothing is lost) on a thread
/// of its own while this one watches the token; once the token fires first, says so and exits
/// with code 3. Without a token `work` runs here.
pub(crate) fn until_stopped<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let token = token();
    if token.deadline().is_none() && token.cancel_flag().is_none() {
        return work();
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(done) => return done,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                // the reader panicked: let the panic be the report
                std::process::exit(i32::from(super::EXIT_INTERNAL));
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
        }
        if let Some(reason) = token.reason() {
            eprintln!("warning: INCOMPLETE result: stopped while {what} ({reason}); nothing was found yet");
            std::process::exit(i32::from(EXIT_INCOMPLETE));
        }
    }
}
