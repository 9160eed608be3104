//! A job: work running on a thread of its own, with its messages (streamed region lines and
//! one final JSON document) taken by Python with the GIL released, its cancel flag (Ctrl-C,
//! `close()`, a dropped stream) and a counter of its progress.

use crate::InternalError;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a job's thread sends.
pub(crate) enum Message {
    /// One region, as the line `regions --jsonl` prints.
    Region(String),
    /// The final document.
    Done(String),
    /// The job failed (an internal error: a bug).
    Failed(String),
}

/// How far a job has come (regions or boxes found), read from another thread.
pub(crate) type Counter = Arc<dyn Fn() -> usize + Send + Sync>;

/// Starts `work` on a thread of its own: it sends regions (if any) on the channel and returns
/// the final document. `cancel` is the job's cancel flag, `counter` its progress.
pub(crate) fn spawn<F>(cancel: Arc<AtomicBool>, counter: Counter, work: F) -> PyResult<Job>
where
    F: FnOnce(&SyncSender<Message>) -> Result<String, String> + Send + 'static,
{
    let (tx, rx) = sync_channel(4096);
    std::thread::Builder::new()
        .name("relu-regions".into())
        .spawn(move || {
            let end = match work(&tx) {
                Ok(doc) => Message::Done(doc),
                Err(e) => Message::Failed(e),
            };
            let _ = tx.send(end);
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start a thread: {e}")))?;
    Ok(Job { rx: Mutex::new(rx), cancel, counter, finished: AtomicBool::new(false) })
}

/// A running job: Python takes its messages with the GIL released.
#[pyclass(module = "relu_regions._native")]
pub(crate) struct Job {
    rx: Mutex<Receiver<Message>>,
    cancel: Arc<AtomicBool>,
    counter: Counter,
    finished: AtomicBool,
}

#[pymethods]
impl Job {
    /// Waits up to `timeout` seconds for messages and returns `(regions, document,
    /// interrupted)`: up to `most` region JSON lines, the final JSON document once the job has
    /// finished (else None), and whether Ctrl-C arrived (the job is then cancelled: it finishes
    /// soon with what it found, marked incomplete). Raises the job's error, if it failed.
    fn take(
        &self,
        py: Python<'_>,
        timeout: f64,
        most: usize,
    ) -> PyResult<(Vec<String>, Option<String>, bool)> {
        if self.finished.load(Ordering::Relaxed) {
            return Err(PyRuntimeError::new_err("the job has already finished"));
        }
        let wait = Duration::from_secs_f64(timeout.clamp(0.0, 3600.0));
        let received = py.detach(|| {
            let rx = self.rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut lines = Vec::new();
            let mut first = Some(wait);
            loop {
                let next = match first.take() {
                    Some(wait) => rx.recv_timeout(wait),
                    None => rx.try_recv().map_err(|e| match e {
                        std::sync::mpsc::TryRecvError::Empty => RecvTimeoutError::Timeout,
                        std::sync::mpsc::TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
                    }),
                };
                match next {
                    Ok(Message::Region(line)) => {
                        lines.push(line);
                        if lines.len() >= most {
                            return (lines, None);
                        }
                    }
                    Ok(end) => return (lines, Some(Ok(end))),
                    Err(RecvTimeoutError::Timeout) => return (lines, None),
                    Err(RecvTimeoutError::Disconnected) => return (lines, Some(Err(()))),
                }
            }
        });
        let interrupted = py.check_signals().is_err();
        if interrupted {
            self.cancel.store(true, Ordering::Relaxed);
        }
        let (lines, end) = received;
        let document = match end {
            None => None,
            Some(end) => {
                self.finished.store(true, Ordering::Relaxed);
                match end {
                    Ok(Message::Done(doc)) => Some(doc),
                    Ok(Message::Failed(what)) => return Err(InternalError::new_err(what)),
                    Ok(Message::Region(_)) => unreachable!("regions are taken above"),
                    Err(()) => {
                        return Err(InternalError::new_err("the job's thread stopped without an answer"))
                    }
                }
            }
        };
        Ok((lines, document, interrupted))
    }

    /// Asks the job to stop; it finishes soon with what it found, marked incomplete.
    fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether the job was asked to stop.
    #[getter]
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Regions found so far (for `count_many`: boxes finished).
    #[getter]
    fn regions_found(&self) -> usize {
        (self.counter)()
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        // a stream dropped before its end stops the work it no longer needs
        self.cancel.store(true, Ordering::Relaxed);
    }
}
