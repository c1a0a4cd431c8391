//! Minimal data parallelism over an index range with scoped standard-library threads, so the crate needs no
//! thread-pool dependency. Results come back in index order, so output never depends on scheduling. Where threads
//! are unavailable (wasm32 in the browser) or one thread is asked for, the work runs on the calling thread.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Number of worker threads to use when the caller passes 0 ("automatic").
pub fn default_threads() -> usize {
    if cfg!(target_arch = "wasm32") {
        return 1;
    }
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Compute `f(i)` for every `i` in `0..n` on up to `threads` threads (0 = automatic) and return the results in
/// index order. The first error (lowest index among those computed) is returned.
pub fn map<T, E, F>(n: usize, threads: usize, f: F) -> Result<Vec<T>, E>
where
    T: Send,
    E: Send,
    F: Fn(usize) -> Result<T, E> + Sync,
{
    let threads = if threads == 0 {
        default_threads()
    } else {
        threads
    }
    .min(n.max(1));
    if threads <= 1 {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<T, E>>>> = Mutex::new((0..n).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let r = f(i);
                let failed = r.is_err();
                if let Ok(mut guard) = results.lock() {
                    if let Some(slot) = guard.get_mut(i) {
                        *slot = Some(r);
                    }
                }
                if failed {
                    // Stop handing out work; other threads finish their current item.
                    next.store(n, Ordering::Relaxed);
                }
            });
        }
    });
    let results = results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Lowest-index error first, so the reported error does not depend on scheduling.
    let mut slots = Vec::with_capacity(n);
    for r in results {
        match r {
            Some(Err(e)) => return Err(e),
            other => slots.push(other),
        }
    }
    // Without an error every slot is filled; computing a missing one again keeps this panic-free regardless.
    slots
        .into_iter()
        .enumerate()
        .map(|(i, slot)| match slot {
            Some(r) => r,
            None => f(i),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_index_order() {
        let v: Result<Vec<usize>, ()> = map(100, 4, |i| Ok(i * i));
        assert_eq!(v.unwrap(), (0..100).map(|i| i * i).collect::<Vec<_>>());
    }

    #[test]
    fn first_error_is_reported() {
        let v: Result<Vec<usize>, usize> =
            map(50, 3, |i| if i == 17 || i == 30 { Err(i) } else { Ok(i) });
        assert_eq!(v, Err(17));
    }
}
