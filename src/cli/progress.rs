//! The progress display on stderr, drawn from the library's counters
//! ([`relu_regions::jobs::Progress`]) by a thread of its own: only when stderr is a
//! terminal, and only once a phase has lasted a second. The library tells every change of phase
//! at once, so the display is cleared before any output is printed.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use relu_regions::jobs::{Phase, Progress};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The bar on screen, with the phase it shows.
static BAR: Mutex<Option<(Phase, ProgressBar)>> = Mutex::new(None);

/// Counters for a run, drawn while it lasts.
pub(crate) fn counters() -> Arc<Progress> {
    let progress = Arc::new(Progress::with_listener(|phase| {
        if phase == Phase::Idle {
            clear();
        }
    }));
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let watched = progress.clone();
        // detached: it sleeps between looks and ends with the process
        std::thread::spawn(move || draw(&watched));
    }
    progress
}

fn clear() {
    if let Some((_, bar)) = BAR.lock().unwrap_or_else(PoisonError::into_inner).take() {
        bar.finish_and_clear();
    }
}

fn draw(progress: &Progress) {
    let mut current: Option<(Phase, Instant)> = None;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let phase = progress.phase();
        if phase == Phase::Idle {
            current = None;
            continue;
        }
        let started = match current {
            Some((shown, at)) if shown == phase => at,
            _ => {
                current = Some((phase, Instant::now()));
                continue;
            }
        };
        if started.elapsed() < Duration::from_secs(1) {
            continue;
        }
        let mut slot = BAR.lock().unwrap_or_else(PoisonError::into_inner);
        // the phase may have ended while this thread waited for the lock
        if progress.phase() != phase {
            continue;
        }
        if slot.as_ref().is_none_or(|(shown, _)| *shown != phase) {
            if let Some((_, old)) = slot.take() {
                old.finish_and_clear();
            }
            *slot = Some((phase, new_bar(phase).with_elapsed(started.elapsed())));
        }
        let (_, bar) = slot.as_ref().expect("set above");
        match phase {
            Phase::Regions => {
                let n = progress.regions();
                let rate = n as f64 / started.elapsed().as_secs_f64().max(1e-9);
                bar.set_message(format!("{n} regions, {rate:.0} regions/s"));
            }
            Phase::Facets => {
                let (done, total) = progress.facets();
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
            Phase::Idle => {}
        }
    }
}

fn new_bar(phase: Phase) -> ProgressBar {
    let (bar, template) = match phase {
        Phase::Facets => (
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr()),
            "facets and graph: {pos}/{len} regions, {elapsed} (Ctrl-C stops and keeps them)",
        ),
        _ => (
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            "{spinner} {msg}, {elapsed} (Ctrl-C stops and keeps them)",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
