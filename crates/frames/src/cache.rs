//! The decoded-frame cache: a memory budget in bytes, least-recently-used eviction, and pinning of the frames on
//! screen (a pinned frame is never evicted). Keys are generic ([`FrameKey`](crate::FrameKey) in the viewer) and
//! values report their own size through [`ByteSize`]. Counts hits, misses, insertions and evictions for the
//! viewer's diagnostics. This module must not decode, fetch or schedule anything: it only keeps what it is given
//! within the budget.
//!
//! Budget policy: inserting evicts unpinned frames, least recently used first, until the new frame fits. A pinned
//! key (pins may be set before the frame arrives) is always stored, even when pinned frames alone exceed the budget
//! — the displayed image must show — and [`CacheStats::bytes_used`] may then exceed the budget until frames are
//! unpinned. An unpinned frame that cannot fit is refused and handed back.

use crate::frame::DecodedFrame;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// Size of a cached value in bytes, as counted against the budget.
pub trait ByteSize {
    /// Bytes this value holds.
    fn byte_size(&self) -> usize;
}

impl ByteSize for DecodedFrame {
    fn byte_size(&self) -> usize {
        self.pixels.byte_len()
    }
}

impl ByteSize for Vec<u8> {
    fn byte_size(&self) -> usize {
        self.len()
    }
}

/// Counters and sizes of a cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct CacheStats {
    /// The memory budget, bytes.
    pub budget_bytes: usize,
    /// Bytes held by cached values (may exceed the budget only through pinned frames).
    pub bytes_used: usize,
    /// Bytes held by pinned values.
    pub pinned_bytes: usize,
    /// Number of cached values.
    pub entries: usize,
    /// [`FrameCache::get`] calls that found their value.
    pub hits: u64,
    /// [`FrameCache::get`] calls that did not.
    pub misses: u64,
    /// Values stored.
    pub insertions: u64,
    /// Values evicted to make room (not counting explicit removals).
    pub evictions: u64,
    /// Values refused because they could not fit.
    pub rejections: u64,
}

/// What [`FrameCache::insert`] did.
#[derive(Debug, PartialEq)]
pub enum InsertOutcome<K, V> {
    /// Stored; these keys were evicted to make room, least recently used first.
    Stored { evicted: Vec<K> },
    /// Not stored: the value is unpinned and does not fit even after evicting every unpinned value. The value is
    /// handed back.
    Rejected(V),
}

struct Entry<V> {
    value: V,
    bytes: usize,
    tick: u64,
}

/// A byte-budgeted LRU cache with pinning.
pub struct FrameCache<K, V> {
    budget: usize,
    entries: HashMap<K, Entry<V>>,
    /// Recency order: tick → key (smallest tick = least recently used).
    recency: BTreeMap<u64, K>,
    /// Pin counts per key; a key may be pinned before its value arrives.
    pins: HashMap<K, u32>,
    next_tick: u64,
    stats: CacheStats,
}

impl<K: Eq + Hash + Clone, V: ByteSize> FrameCache<K, V> {
    /// An empty cache holding at most `budget_bytes` of unpinned values.
    pub fn new(budget_bytes: usize) -> Self {
        FrameCache {
            budget: budget_bytes,
            entries: HashMap::new(),
            recency: BTreeMap::new(),
            pins: HashMap::new(),
            next_tick: 0,
            stats: CacheStats {
                budget_bytes,
                ..CacheStats::default()
            },
        }
    }

    fn tick(&mut self) -> u64 {
        self.next_tick += 1;
        self.next_tick
    }

    fn touch_entry(&mut self, key: &K) {
        let tick = self.tick();
        if let Some(entry) = self.entries.get_mut(key) {
            self.recency.remove(&entry.tick);
            entry.tick = tick;
            self.recency.insert(tick, key.clone());
        }
    }

    /// The value of `key`, marking it most recently used; counts a hit or a miss.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        if self.entries.contains_key(key) {
            self.stats.hits += 1;
            self.touch_entry(key);
            self.entries.get(key).map(|e| &e.value)
        } else {
            self.stats.misses += 1;
            None
        }
    }

    /// Mark `key` most recently used without counting a hit; false when it is not cached.
    pub fn touch(&mut self, key: &K) -> bool {
        let cached = self.entries.contains_key(key);
        if cached {
            self.touch_entry(key);
        }
        cached
    }

    /// Mark cached `keys` most recently used in the given order (the last one ends most recent). A viewer calls
    /// it with the prefetch window in reverse priority order
    /// ([`PrefetchPlan::wanted`](crate::PrefetchPlan::wanted)`.iter().rev()`), so that frames outside the window
    /// are the first evicted, before frames the scheduler still wants.
    pub fn promote<'a>(&mut self, keys: impl IntoIterator<Item = &'a K>)
    where
        K: 'a,
    {
        for key in keys {
            self.touch(key);
        }
    }

    /// The value of `key` without changing recency or counters.
    pub fn peek(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|e| &e.value)
    }

    /// Whether `key` is cached (no effect on recency or counters).
    pub fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// Store `value` under `key` (replacing any previous value), evicting unpinned values least recently used
    /// first until it fits. See the module documentation for the budget policy.
    pub fn insert(&mut self, key: K, value: V) -> InsertOutcome<K, V> {
        let bytes = value.byte_size();
        let pinned = self.is_pinned(&key);
        if !pinned && self.stats.pinned_bytes + bytes > self.budget {
            // Even evicting every unpinned value would not make room: keep what is there (including any
            // previous value of this key).
            self.stats.rejections += 1;
            return InsertOutcome::Rejected(value);
        }
        if let Some(old) = self.entries.remove(&key) {
            self.recency.remove(&old.tick);
            self.stats.bytes_used -= old.bytes;
            if pinned {
                self.stats.pinned_bytes -= old.bytes;
            }
        }
        let mut evicted = Vec::new();
        while self.stats.bytes_used + bytes > self.budget {
            match self.evict_one() {
                Some(k) => evicted.push(k),
                None => break,
            }
        }
        let tick = self.tick();
        self.recency.insert(tick, key.clone());
        self.entries.insert(key, Entry { value, bytes, tick });
        self.stats.bytes_used += bytes;
        if pinned {
            self.stats.pinned_bytes += bytes;
        }
        self.stats.insertions += 1;
        InsertOutcome::Stored { evicted }
    }

    /// Evict the least recently used unpinned value; `None` when every value is pinned.
    fn evict_one(&mut self) -> Option<K> {
        let victim = self
            .recency
            .iter()
            .find(|(_, k)| !self.is_pinned(k))
            .map(|(&t, k)| (t, k.clone()))?;
        self.recency.remove(&victim.0);
        if let Some(entry) = self.entries.remove(&victim.1) {
            self.stats.bytes_used -= entry.bytes;
        }
        self.stats.evictions += 1;
        Some(victim.1)
    }

    /// Remove `key` and return its value (not counted as an eviction). Its pins stay.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let entry = self.entries.remove(key)?;
        self.recency.remove(&entry.tick);
        self.stats.bytes_used -= entry.bytes;
        if self.is_pinned(key) {
            self.stats.pinned_bytes -= entry.bytes;
        }
        Some(entry.value)
    }

    /// Pin `key` (counted: each viewport showing the frame pins it once). Allowed before the value arrives.
    pub fn pin(&mut self, key: &K) {
        let count = self.pins.entry(key.clone()).or_insert(0);
        *count += 1;
        if *count == 1 {
            if let Some(e) = self.entries.get(key) {
                self.stats.pinned_bytes += e.bytes;
            }
        }
    }

    /// Release one pin of `key`. When the last pin goes, the value becomes evictable again; if the cache is over
    /// budget, unpinned values are evicted at once (returned, least recently used first).
    pub fn unpin(&mut self, key: &K) -> Vec<K> {
        let Some(count) = self.pins.get_mut(key) else {
            return Vec::new();
        };
        *count -= 1;
        if *count == 0 {
            self.pins.remove(key);
            if let Some(e) = self.entries.get(key) {
                self.stats.pinned_bytes -= e.bytes;
            }
        }
        self.shrink_to_budget()
    }

    /// Replace every pin by exactly the given keys (one pin each): what a viewer calls when the displayed frames
    /// change. Returns the keys evicted because the cache was over budget.
    pub fn set_pinned<'a>(&mut self, keys: impl IntoIterator<Item = &'a K>) -> Vec<K>
    where
        K: 'a,
    {
        self.pins.clear();
        self.stats.pinned_bytes = 0;
        for key in keys {
            self.pin(key);
        }
        self.shrink_to_budget()
    }

    /// Whether `key` is pinned.
    pub fn is_pinned(&self, key: &K) -> bool {
        self.pins.contains_key(key)
    }

    /// Change the budget; evicts (and returns) unpinned values until the cache fits.
    pub fn set_budget(&mut self, budget_bytes: usize) -> Vec<K> {
        self.budget = budget_bytes;
        self.stats.budget_bytes = budget_bytes;
        self.shrink_to_budget()
    }

    fn shrink_to_budget(&mut self) -> Vec<K> {
        let mut evicted = Vec::new();
        while self.stats.bytes_used > self.budget {
            match self.evict_one() {
                Some(k) => evicted.push(k),
                None => break,
            }
        }
        evicted
    }

    /// The budget, bytes.
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Bytes still free under the budget (0 when over budget).
    pub fn free_bytes(&self) -> usize {
        self.budget.saturating_sub(self.stats.bytes_used)
    }

    /// Bytes the cache could hold for new frames if every unpinned value were evicted.
    pub fn evictable_capacity(&self) -> usize {
        self.budget.saturating_sub(self.stats.pinned_bytes)
    }

    /// Counters and sizes.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.entries.len(),
            ..self.stats
        }
    }

    /// Number of cached values.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Cached keys from least to most recently used.
    pub fn keys_by_recency(&self) -> Vec<K> {
        self.recency.values().cloned().collect()
    }

    /// Remove every value (pins stay); counters are kept.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.recency.clear();
        self.stats.bytes_used = 0;
        self.stats.pinned_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(budget: usize) -> FrameCache<&'static str, Vec<u8>> {
        FrameCache::new(budget)
    }

    fn stored(outcome: InsertOutcome<&'static str, Vec<u8>>) -> Vec<&'static str> {
        match outcome {
            InsertOutcome::Stored { evicted } => evicted,
            InsertOutcome::Rejected(_) => panic!("refused"),
        }
    }

    #[test]
    fn least_recently_used_frame_is_evicted_first() {
        let mut c = cache(300);
        stored(c.insert("a", vec![0; 100]));
        stored(c.insert("b", vec![0; 100]));
        stored(c.insert("c", vec![0; 100]));
        // Reading "a" makes "b" the least recently used.
        assert!(c.get(&"a").is_some());
        assert_eq!(stored(c.insert("d", vec![0; 100])), vec!["b"]);
        assert_eq!(c.keys_by_recency(), vec!["c", "a", "d"]);
        // A 150-byte frame needs two evictions: "c" then "a".
        assert_eq!(stored(c.insert("e", vec![0; 150])), vec!["c", "a"]);
        assert_eq!(c.stats().bytes_used, 250);
        assert_eq!(c.stats().evictions, 3);
    }

    #[test]
    fn bytes_used_never_exceed_the_budget_without_pins() {
        let mut c = cache(1000);
        for (i, k) in ["a", "b", "c", "d", "e", "f", "g", "h"]
            .into_iter()
            .enumerate()
        {
            stored(c.insert(k, vec![0; 150 + i * 20]));
            assert!(c.stats().bytes_used <= 1000, "{:?}", c.stats());
        }
        // 290 + 270 + 250 = 810 fits; adding 230 would exceed 1000.
        assert_eq!(c.keys_by_recency(), vec!["f", "g", "h"]);
        assert_eq!(c.stats().bytes_used, 810);
    }

    #[test]
    fn pinned_frames_are_never_evicted() {
        let mut c = cache(300);
        stored(c.insert("shown", vec![0; 100]));
        c.pin(&"shown");
        stored(c.insert("b", vec![0; 100]));
        stored(c.insert("c", vec![0; 100]));
        // "shown" is the least recently used but pinned: "b" goes.
        assert_eq!(stored(c.insert("d", vec![0; 100])), vec!["b"]);
        assert!(c.contains(&"shown"));
        assert_eq!(c.stats().pinned_bytes, 100);
    }

    #[test]
    fn unpinned_frame_that_cannot_fit_beside_pinned_ones_is_refused() {
        let mut c = cache(300);
        stored(c.insert("p1", vec![0; 150]));
        stored(c.insert("p2", vec![0; 100]));
        c.set_pinned([&"p1", &"p2"]);
        match c.insert("big", vec![0; 60]) {
            InsertOutcome::Rejected(v) => assert_eq!(v.len(), 60),
            other => panic!("{other:?}"),
        }
        assert_eq!(c.stats().rejections, 1);
        // 50 bytes fit exactly.
        assert_eq!(stored(c.insert("small", vec![0; 50])), Vec::<&str>::new());
        assert_eq!(c.stats().bytes_used, 300);
    }

    #[test]
    fn pinned_frame_is_stored_even_over_budget_and_shrinks_back_when_unpinned() {
        let mut c = cache(200);
        stored(c.insert("a", vec![0; 150]));
        c.pin(&"a");
        // Pinned before it arrives: "next" must show, so it is stored although 150 + 100 > 200.
        c.pin(&"next");
        assert_eq!(stored(c.insert("next", vec![0; 100])), Vec::<&str>::new());
        assert_eq!(c.stats().bytes_used, 250);
        // Unpinning "a" evicts it at once to get back under budget.
        assert_eq!(c.unpin(&"a"), vec!["a"]);
        assert_eq!(c.stats().bytes_used, 100);
    }

    #[test]
    fn pins_are_counted_per_viewport() {
        let mut c = cache(100);
        stored(c.insert("a", vec![0; 100]));
        c.pin(&"a");
        c.pin(&"a");
        assert!(c.unpin(&"a").is_empty());
        assert!(c.is_pinned(&"a"));
        assert!(c.unpin(&"a").is_empty());
        assert!(!c.is_pinned(&"a"));
        assert_eq!(stored(c.insert("b", vec![0; 10])), vec!["a"]);
    }

    #[test]
    fn hits_and_misses_are_counted_and_peek_counts_nothing() {
        let mut c = cache(100);
        stored(c.insert("a", vec![1]));
        assert!(c.get(&"a").is_some());
        assert!(c.get(&"z").is_none());
        assert!(c.peek(&"a").is_some());
        let s = c.stats();
        assert_eq!((s.hits, s.misses, s.insertions, s.entries), (1, 1, 1, 1));
    }

    #[test]
    fn replacing_a_value_recounts_its_bytes() {
        let mut c = cache(100);
        stored(c.insert("a", vec![0; 80]));
        stored(c.insert("a", vec![0; 30]));
        assert_eq!(c.stats().bytes_used, 30);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn a_refused_replacement_keeps_the_previous_value() {
        let mut c = cache(100);
        stored(c.insert("p", vec![0; 60]));
        c.pin(&"p");
        stored(c.insert("a", vec![1; 30]));
        assert!(matches!(
            c.insert("a", vec![2; 50]),
            InsertOutcome::Rejected(_)
        ));
        assert_eq!(c.peek(&"a"), Some(&vec![1; 30]));
        assert_eq!(c.stats().bytes_used, 90);
    }

    #[test]
    fn promoting_the_prefetch_window_makes_frames_outside_it_go_first() {
        let mut c = cache(300);
        for k in ["old", "w2", "w1"] {
            stored(c.insert(k, vec![0; 100]));
        }
        // Window in priority order: shown, w1, w2 — promoted in reverse, "old" becomes the oldest.
        c.promote(["shown", "w1", "w2"].iter().rev());
        assert_eq!(c.keys_by_recency(), vec!["old", "w2", "w1"]);
        assert_eq!(stored(c.insert("shown", vec![0; 100])), vec!["old"]);
        assert_eq!(c.stats().hits, 0);
        assert!(!c.touch(&"old"));
    }

    #[test]
    fn lowering_the_budget_evicts_oldest_unpinned() {
        let mut c = cache(300);
        for k in ["a", "b", "c"] {
            stored(c.insert(k, vec![0; 100]));
        }
        c.pin(&"a");
        assert_eq!(c.set_budget(150), vec!["b", "c"]);
        assert_eq!(c.free_bytes(), 50);
        assert_eq!(c.evictable_capacity(), 50);
    }

    #[test]
    fn frame_larger_than_the_whole_budget_is_refused() {
        let mut c = cache(100);
        assert!(matches!(
            c.insert("huge", vec![0; 101]),
            InsertOutcome::Rejected(_)
        ));
        assert!(c.is_empty());
    }
}
