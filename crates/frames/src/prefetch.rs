//! The prefetch scheduler: which frames of a series to request next, and which outstanding requests to cancel,
//! given the series' ordered frame list, the displayed index, what is already at hand (cached, or failed) and what
//! is in flight. The displayed frame comes first, then outward alternating (i+1, i−1, i+2, i−2, …); at most N
//! requests are in flight; nothing beyond what the cache can hold is prefetched (the *window*, see
//! [`frames_within_budget`]). When the user scrolls, a new [`PrefetchScheduler::plan`] re-prioritises: requests
//! outside the new window are cancelled, and when more important frames are waiting for a slot the
//! lowest-priority outstanding requests are cancelled to make room. This module must not fetch, decode or cache:
//! it only decides.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// The indices of a series of `len` frames in prefetch priority order around `displayed`: `displayed`, then
/// `displayed + 1`, `displayed − 1`, `displayed + 2`, … skipping indices outside the series. `displayed` past
/// the end is clamped to the last frame; empty for `len == 0`.
pub fn priority_order(len: usize, displayed: usize) -> Vec<usize> {
    if len == 0 {
        return Vec::new();
    }
    let d = displayed.min(len - 1);
    let mut out = Vec::with_capacity(len);
    out.push(d);
    for step in 1..len {
        if d + step < len {
            out.push(d + step);
        }
        if step <= d {
            out.push(d - step);
        }
        if out.len() == len {
            break;
        }
    }
    out
}

/// How many frames of `bytes_per_frame` bytes fit in `capacity_bytes` (e.g.
/// [`FrameCache::evictable_capacity`](crate::FrameCache::evictable_capacity)), at least 1 so the displayed
/// frame is always wanted.
pub fn frames_within_budget(capacity_bytes: usize, bytes_per_frame: usize) -> usize {
    if bytes_per_frame == 0 {
        return usize::MAX;
    }
    (capacity_bytes / bytes_per_frame).max(1)
}

/// What to do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefetchPlan<K> {
    /// The window: every frame wanted now, highest priority first (cached ones included). Promote them in the
    /// cache in reverse order ([`FrameCache::promote`](crate::FrameCache::promote)) so that frames outside the
    /// window are evicted first.
    pub wanted: Vec<K>,
    /// Outstanding requests to cancel (no longer wanted, or displaced by more important frames), lowest priority
    /// first.
    pub cancel: Vec<K>,
    /// Requests to start now, highest priority first. They count as in flight from now on.
    pub start: Vec<K>,
}

/// Keeps track of the requests in flight and plans the next ones.
#[derive(Debug, Clone)]
pub struct PrefetchScheduler<K> {
    max_in_flight: usize,
    in_flight: Vec<K>,
}

impl<K: Eq + Hash + Clone> PrefetchScheduler<K> {
    /// A scheduler keeping at most `max_in_flight` requests outstanding (at least 1): typically the number of
    /// decode workers, or a little more to overlap fetching and decoding.
    pub fn new(max_in_flight: usize) -> Self {
        PrefetchScheduler {
            max_in_flight: max_in_flight.max(1),
            in_flight: Vec::new(),
        }
    }

    /// The requests in flight, in the order they were started.
    pub fn in_flight(&self) -> &[K] {
        &self.in_flight
    }

    /// The parallelism bound.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// Plan the next requests.
    ///
    /// - `order`: the series' frames in display order (see [`crate::stack`]).
    /// - `displayed`: index in `order` of the frame on screen.
    /// - `at_hand`: whether a frame needs no request — it is in the cache, or it failed already (a corrupt frame
    ///   is not retried by prefetch).
    /// - `window`: how many frames around the displayed one (itself included) may be wanted at all, from
    ///   [`frames_within_budget`].
    pub fn plan(
        &mut self,
        order: &[K],
        displayed: usize,
        at_hand: impl Fn(&K) -> bool,
        window: usize,
    ) -> PrefetchPlan<K> {
        let wanted: Vec<&K> = priority_order(order.len(), displayed)
            .into_iter()
            .take(window.max(1))
            .filter_map(|i| order.get(i))
            .collect();
        let rank: HashMap<&K, usize> = wanted.iter().enumerate().map(|(r, &k)| (k, r)).collect();
        let mut cancel: Vec<K> = Vec::new();

        // Requests outside the window are no longer wanted at all.
        let (keep, outside): (Vec<K>, Vec<K>) =
            self.in_flight.drain(..).partition(|k| rank.contains_key(k));
        cancel.extend(outside);
        self.in_flight = keep;

        // The most important frames still missing: they should be the ones in flight.
        let target: Vec<&K> = wanted
            .iter()
            .copied()
            .filter(|k| !at_hand(k))
            .take(self.max_in_flight)
            .collect();
        let target_set: HashSet<&K> = target.iter().copied().collect();
        let in_flight_set: HashSet<K> = self.in_flight.iter().cloned().collect();
        let to_start: Vec<K> = target
            .iter()
            .filter(|k| !in_flight_set.contains(**k))
            .map(|k| (*k).clone())
            .collect();

        // Displace lower-priority outstanding work when more important frames wait for a slot.
        let free = self.max_in_flight.saturating_sub(self.in_flight.len());
        if to_start.len() > free {
            let mut displaceable: Vec<K> = self
                .in_flight
                .iter()
                .filter(|k| !target_set.contains(k))
                .cloned()
                .collect();
            displaceable
                .sort_by_key(|k| std::cmp::Reverse(rank.get(k).copied().unwrap_or(usize::MAX)));
            let displaced: Vec<K> = displaceable
                .into_iter()
                .take(to_start.len() - free)
                .collect();
            self.in_flight.retain(|k| !displaced.contains(k));
            cancel.extend(displaced);
        }
        let free = self.max_in_flight.saturating_sub(self.in_flight.len());
        let start: Vec<K> = to_start.into_iter().take(free).collect();
        self.in_flight.extend(start.iter().cloned());
        PrefetchPlan {
            wanted: wanted.into_iter().cloned().collect(),
            cancel,
            start,
        }
    }

    /// A request finished (decoded, failed or acknowledged as cancelled): its slot is free. Returns whether it
    /// was in flight (a late answer to a cancelled request returns false).
    pub fn finished(&mut self, key: &K) -> bool {
        let before = self.in_flight.len();
        self.in_flight.retain(|k| k != key);
        self.in_flight.len() != before
    }

    /// Forget every outstanding request (series closed or loading cancelled) and return them, to cancel.
    pub fn cancel_all(&mut self) -> Vec<K> {
        std::mem::take(&mut self.in_flight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nothing(_: &usize) -> bool {
        false
    }

    #[test]
    fn priority_alternates_outward_from_the_displayed_frame() {
        assert_eq!(priority_order(7, 3), vec![3, 4, 2, 5, 1, 6, 0]);
        // Near an end, the other side continues alone.
        assert_eq!(priority_order(6, 1), vec![1, 2, 0, 3, 4, 5]);
        assert_eq!(priority_order(4, 3), vec![3, 2, 1, 0]);
        assert_eq!(priority_order(3, 99), vec![2, 1, 0]);
        assert!(priority_order(0, 0).is_empty());
    }

    #[test]
    fn first_plan_starts_the_displayed_frame_then_its_neighbours_up_to_the_parallelism() {
        let order: Vec<usize> = (0..10).collect();
        let mut s = PrefetchScheduler::new(3);
        let plan = s.plan(&order, 5, nothing, 10);
        assert_eq!(plan.start, vec![5, 6, 4]);
        assert!(plan.cancel.is_empty());
        // Nothing more while all three slots are busy.
        assert_eq!(s.plan(&order, 5, nothing, 10).start, Vec::<usize>::new());
        // One finishes (now cached): the next in line starts.
        assert!(s.finished(&6));
        let cached = |k: &usize| *k == 6;
        assert_eq!(s.plan(&order, 5, cached, 10).start, vec![7]);
    }

    #[test]
    fn cached_and_failed_frames_are_not_requested() {
        let order: Vec<usize> = (0..6).collect();
        let mut s = PrefetchScheduler::new(2);
        let at_hand = |k: &usize| *k == 2 || *k == 3;
        assert_eq!(s.plan(&order, 2, at_hand, 6).start, vec![1, 4]);
    }

    #[test]
    fn scrolling_cancels_low_priority_work_to_fetch_the_new_displayed_frame_first() {
        let order: Vec<usize> = (0..100).collect();
        let mut s = PrefetchScheduler::new(3);
        assert_eq!(s.plan(&order, 10, nothing, 100).start, vec![10, 11, 9]);
        // The user jumps to frame 50: all three outstanding requests are still inside the window (100 frames)
        // but less important than 50, 51, 49.
        let plan = s.plan(&order, 50, nothing, 100);
        assert_eq!(plan.start, vec![50, 51, 49]);
        // Lowest priority first: 9 (rank 82) is farther from 50 than 10 (rank 80) and 11 (rank 78).
        assert_eq!(plan.cancel, vec![9, 10, 11]);
        assert_eq!(s.in_flight(), &[50, 51, 49]);
    }

    #[test]
    fn a_small_scroll_keeps_requests_that_are_still_among_the_most_important() {
        let order: Vec<usize> = (0..20).collect();
        let mut s = PrefetchScheduler::new(3);
        // 5, 6, 4 in flight.
        s.plan(&order, 5, nothing, 20);
        // Scroll to 6: wanted 6, 7, 5 — 6 and 5 stay, 4 makes room for 7.
        let plan = s.plan(&order, 6, nothing, 20);
        assert_eq!(plan.start, vec![7]);
        assert_eq!(plan.cancel, vec![4]);
    }

    #[test]
    fn nothing_beyond_the_cache_budget_is_prefetched() {
        let order: Vec<usize> = (0..50).collect();
        let mut s = PrefetchScheduler::new(8);
        // 1 MiB budget, 256 KiB frames (256×256 f32): 4 frames fit.
        let window = frames_within_budget(1 << 20, 256 * 256 * 4);
        assert_eq!(window, 4);
        let plan = s.plan(&order, 20, nothing, window);
        assert_eq!(plan.start, vec![20, 21, 19, 22]);
        assert_eq!(plan.wanted, vec![20, 21, 19, 22]);
        // Moving on: 19 falls out of the window (20→24: 24, 25, 23, 26) and is cancelled.
        s.finished(&20);
        s.finished(&21);
        s.finished(&22);
        let plan = s.plan(&order, 24, nothing, window);
        assert_eq!(plan.cancel, vec![19]);
        assert_eq!(plan.start, vec![24, 25, 23, 26]);
    }

    #[test]
    fn the_displayed_frame_is_wanted_even_when_nothing_else_fits() {
        assert_eq!(frames_within_budget(100, 1000), 1);
        let order = vec!["a", "b"];
        let mut s = PrefetchScheduler::new(4);
        assert_eq!(s.plan(&order, 1, |_| false, 0).start, vec!["b"]);
    }

    #[test]
    fn late_answers_to_cancelled_requests_are_recognised() {
        let order: Vec<usize> = (0..10).collect();
        let mut s = PrefetchScheduler::new(1);
        s.plan(&order, 0, nothing, 10);
        let plan = s.plan(&order, 9, nothing, 10);
        assert_eq!((plan.cancel, plan.start), (vec![0], vec![9]));
        assert!(!s.finished(&0));
        assert!(s.finished(&9));
        assert!(s.cancel_all().is_empty());
    }
}
