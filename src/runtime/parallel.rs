//! Ordered parallel maps over slices: the work is shared among threads in chunks pulled from a
//! counter, and the results come back in chunk order, so they do not depend on the thread count.
//! The workers poll the caller's stop token ([`crate::jobs::StopToken`]): it is installed on each of them.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The worker threads for a request: `0` means every core (the one place that says so, for the
/// enumerator, the CLI and Python).
///
/// # Examples
/// ```
/// use relu_regions::jobs::threads_for;
/// assert_eq!(threads_for(3), 3);
/// assert!(threads_for(0) >= 1);
/// ```
pub fn threads_for(requested: usize) -> usize {
    match requested {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// Applies `f` to consecutive chunks of `items` (about `chunks_per_thread` chunks for each of
/// `threads` threads) and returns the results in order. One thread runs on the caller's.
pub(crate) fn map_chunks<T, R, F>(items: &[T], threads: usize, chunks_per_thread: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    let threads = threads.max(1);
    if threads == 1 || items.len() <= 1 {
        return vec![f(items)];
    }
    let size = items.len().div_ceil(threads * chunks_per_thread.max(1)).max(1);
    let chunks: Vec<&[T]> = items.chunks(size).collect();
    let next = AtomicUsize::new(0);
    let token = crate::runtime::stop::current();
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(chunks.len()))
            .map(|_| {
                scope.spawn(|| {
                    let _stop = token.install();
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(k) else { break };
                        mine.push((k, f(chunk)));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker thread")).collect()
    });
    done.sort_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_order_for_every_thread_count() {
        let items: Vec<u64> = (0..1000).collect();
        let want: Vec<u64> = items.iter().map(|x| x * x).collect();
        for threads in 1..6 {
            let got = super::map_chunks(&items, threads, 3, |c: &[u64]| {
                c.iter().map(|x| x * x).collect::<Vec<_>>()
            });
            assert_eq!(got.concat(), want, "{threads} threads");
        }
    }

    #[test]
    fn workers_poll_the_callers_token() {
        let items: Vec<u64> = (0..64).collect();
        let asked = |threads| super::map_chunks(&items, threads, 4, |_| crate::runtime::stop::requested());
        assert!(asked(3).iter().all(|&r| !r));
        let _stop = crate::runtime::stop::StopToken::new(Some(std::time::Instant::now()), None).install();
        for threads in 1..4 {
            assert!(asked(threads).iter().all(|&r| r), "{threads} threads");
        }
    }
}
