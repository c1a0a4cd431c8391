//! The loading state of one series: which frames are pending, loading, loaded or failed (with the reason, so a
//! corrupt instance shows an error placeholder while the rest of the series keeps working), progress in frames and
//! bytes, cancellation through a [`CancelToken`], and the [`LoadEvent`]s the UI renders (progress bar, error
//! badges, "cancelled"). This module must not fetch, decode or cache frames; it records what the worker pool
//! reports.
//!
//! Workers run in separate wasm instances with their own memory, so a token cannot be shared with them: the pool
//! on the UI thread checks [`CancelToken::is_cancelled`] before dispatching each request and sends a
//! [`WorkerMessage::Cancel`](crate::protocol::WorkerMessage::Cancel) for those outstanding.

use crate::frame::FrameKey;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A cancellation flag shared by the series' loader and the worker pool (clones share the flag).
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask every holder to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`CancelToken::cancel`] was called on this token or a clone.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Where one frame stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FrameState {
    /// Not requested yet.
    Pending,
    /// Requested from a worker.
    Loading,
    /// Decoded; `bytes` of pixels.
    Loaded { bytes: u64 },
    /// Could not be fetched or decoded; `reason` is shown on the placeholder.
    Failed { reason: String },
}

/// Progress of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LoadProgress {
    /// Frames in the series.
    pub total: usize,
    /// Frames decoded.
    pub loaded: usize,
    /// Frames that failed.
    pub failed: usize,
    /// Frames requested and not answered yet.
    pub loading: usize,
    /// Bytes of decoded pixels received.
    pub bytes: u64,
}

impl LoadProgress {
    /// Frames answered (loaded or failed) as a fraction of the total, 0.0..=1.0 (1.0 for an empty series).
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            (self.loaded + self.failed) as f64 / self.total as f64
        }
    }
}

/// What the UI is told, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LoadEvent {
    /// Loading of the series began.
    Started {
        series_instance_uid: String,
        total: usize,
    },
    /// A frame was decoded.
    FrameLoaded {
        key: FrameKey,
        bytes: u64,
        progress: LoadProgress,
    },
    /// A frame failed; the rest of the series goes on.
    FrameFailed {
        key: FrameKey,
        reason: String,
        progress: LoadProgress,
    },
    /// Every frame has been answered.
    Completed { progress: LoadProgress },
    /// Loading was cancelled.
    Cancelled { progress: LoadProgress },
}

/// The loading state of one series.
#[derive(Debug)]
pub struct SeriesLoad {
    series_instance_uid: String,
    order: Vec<FrameKey>,
    states: HashMap<FrameKey, FrameState>,
    progress: LoadProgress,
    events: VecDeque<LoadEvent>,
    cancel: CancelToken,
    finished: bool,
}

impl SeriesLoad {
    /// Start tracking the frames of series `series_instance_uid` (Series Instance UID (0020,000E)), in display
    /// order; duplicate keys are counted once. Emits [`LoadEvent::Started`] (and [`LoadEvent::Completed`] at once
    /// for an empty series).
    pub fn new(
        series_instance_uid: impl Into<String>,
        frames: impl IntoIterator<Item = FrameKey>,
    ) -> Self {
        let mut order = Vec::new();
        let mut states = HashMap::new();
        for key in frames {
            if !states.contains_key(&key) {
                states.insert(key.clone(), FrameState::Pending);
                order.push(key);
            }
        }
        let series_instance_uid = series_instance_uid.into();
        let progress = LoadProgress {
            total: order.len(),
            ..LoadProgress::default()
        };
        let mut load = SeriesLoad {
            series_instance_uid: series_instance_uid.clone(),
            order,
            states,
            progress,
            events: VecDeque::new(),
            cancel: CancelToken::new(),
            finished: false,
        };
        load.events.push_back(LoadEvent::Started {
            series_instance_uid,
            total: progress.total,
        });
        load.check_completed();
        load
    }

    /// Series Instance UID.
    pub fn series_instance_uid(&self) -> &str {
        &self.series_instance_uid
    }

    /// The frames, in display order.
    pub fn frames(&self) -> &[FrameKey] {
        &self.order
    }

    /// A clone of the series' cancellation token, for the worker pool.
    pub fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Whether loading was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// The state of `key` (`None` for a frame not in the series).
    pub fn state(&self, key: &FrameKey) -> Option<&FrameState> {
        self.states.get(key)
    }

    /// The reason `key` failed, for its error placeholder.
    pub fn error(&self, key: &FrameKey) -> Option<&str> {
        match self.states.get(key) {
            Some(FrameState::Failed { reason }) => Some(reason),
            _ => None,
        }
    }

    /// Every failed frame with its reason, in display order.
    pub fn errors(&self) -> Vec<(FrameKey, String)> {
        self.order
            .iter()
            .filter_map(|k| self.error(k).map(|r| (k.clone(), r.to_string())))
            .collect()
    }

    /// Whether `key` has been answered: loaded or failed.
    pub fn is_answered(&self, key: &FrameKey) -> bool {
        matches!(
            self.states.get(key),
            Some(FrameState::Loaded { .. } | FrameState::Failed { .. })
        )
    }

    /// Whether `key` failed. With the cache, this is what
    /// [`PrefetchScheduler::plan`](crate::PrefetchScheduler::plan) takes as `at_hand`:
    /// `|k| cache.contains(k) || load.is_failed(k)` (a loaded frame evicted from the cache must be
    /// requested again; a failed one is not retried by prefetch).
    pub fn is_failed(&self, key: &FrameKey) -> bool {
        matches!(self.states.get(key), Some(FrameState::Failed { .. }))
    }

    /// Current progress.
    pub fn progress(&self) -> LoadProgress {
        self.progress
    }

    /// Whether every frame has been answered or loading was cancelled.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn set(&mut self, key: &FrameKey, new: FrameState) -> bool {
        let Some(state) = self.states.get_mut(key) else {
            return false;
        };
        let p = &mut self.progress;
        match state {
            FrameState::Loading => p.loading -= 1,
            FrameState::Loaded { bytes } => {
                p.loaded -= 1;
                p.bytes -= *bytes;
            }
            FrameState::Failed { .. } => p.failed -= 1,
            FrameState::Pending => {}
        }
        match &new {
            FrameState::Loading => p.loading += 1,
            FrameState::Loaded { bytes } => {
                p.loaded += 1;
                p.bytes += bytes;
            }
            FrameState::Failed { .. } => p.failed += 1,
            FrameState::Pending => {}
        }
        *state = new;
        true
    }

    /// A request for `key` was dispatched. Ignored after cancellation, for unknown keys and for frames already
    /// answered.
    pub fn started(&mut self, key: &FrameKey) {
        if !self.is_cancelled() && matches!(self.states.get(key), Some(FrameState::Pending)) {
            self.set(key, FrameState::Loading);
        }
    }

    /// A request was cancelled before its answer (e.g. displaced by scrolling): the frame is pending again.
    pub fn abandoned(&mut self, key: &FrameKey) {
        if matches!(self.states.get(key), Some(FrameState::Loading)) {
            self.set(key, FrameState::Pending);
        }
    }

    /// `key` was decoded into `bytes` bytes of pixels. A frame loaded again (re-decoded after eviction) updates
    /// its byte count without a second event.
    pub fn loaded(&mut self, key: &FrameKey, bytes: u64) {
        let again = matches!(self.states.get(key), Some(FrameState::Loaded { .. }));
        if self.set(key, FrameState::Loaded { bytes }) && !again {
            self.events.push_back(LoadEvent::FrameLoaded {
                key: key.clone(),
                bytes,
                progress: self.progress,
            });
            self.check_completed();
        }
    }

    /// `key` failed with `reason`; the reason is kept for its placeholder.
    pub fn failed(&mut self, key: &FrameKey, reason: impl Into<String>) {
        let reason = reason.into();
        if self.set(
            key,
            FrameState::Failed {
                reason: reason.clone(),
            },
        ) {
            self.events.push_back(LoadEvent::FrameFailed {
                key: key.clone(),
                reason,
                progress: self.progress,
            });
            self.check_completed();
        }
    }

    /// Cancel loading: the token is set, frames in flight go back to pending and [`LoadEvent::Cancelled`] is
    /// emitted once. Frames already loaded stay usable.
    pub fn cancel(&mut self) {
        if self.is_cancelled() {
            return;
        }
        self.cancel.cancel();
        let loading: Vec<FrameKey> = self
            .order
            .iter()
            .filter(|k| matches!(self.states.get(*k), Some(FrameState::Loading)))
            .cloned()
            .collect();
        for key in loading {
            self.set(&key, FrameState::Pending);
        }
        if !self.finished {
            self.finished = true;
            self.events.push_back(LoadEvent::Cancelled {
                progress: self.progress,
            });
        }
    }

    fn check_completed(&mut self) {
        if !self.finished && self.progress.loaded + self.progress.failed == self.progress.total {
            self.finished = true;
            self.events.push_back(LoadEvent::Completed {
                progress: self.progress,
            });
        }
    }

    /// Take the events emitted since the last call, oldest first.
    pub fn drain_events(&mut self) -> Vec<LoadEvent> {
        self.events.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: u32) -> Vec<FrameKey> {
        (1..=n)
            .map(|i| FrameKey::new(format!("1.2.{i}"), 1))
            .collect()
    }

    #[test]
    fn progress_counts_frames_and_bytes_and_completes_once() {
        let k = keys(3);
        let mut load = SeriesLoad::new("1.2", k.clone());
        assert_eq!(
            load.drain_events(),
            vec![LoadEvent::Started {
                series_instance_uid: "1.2".into(),
                total: 3
            }]
        );
        load.started(&k[0]);
        load.started(&k[1]);
        assert_eq!(load.progress().loading, 2);
        load.loaded(&k[0], 1000);
        load.loaded(&k[1], 500);
        assert_eq!(
            load.progress(),
            LoadProgress {
                total: 3,
                loaded: 2,
                failed: 0,
                loading: 0,
                bytes: 1500
            }
        );
        assert!((load.progress().fraction() - 2.0 / 3.0).abs() < 1e-12);
        load.loaded(&k[2], 500);
        let events = load.drain_events();
        assert_eq!(events.len(), 4);
        let done = LoadProgress {
            total: 3,
            loaded: 3,
            failed: 0,
            loading: 0,
            bytes: 2000,
        };
        assert_eq!(events[3], LoadEvent::Completed { progress: done });
        assert!(load.is_finished());
    }

    #[test]
    fn a_corrupt_frame_keeps_its_reason_and_the_rest_keeps_loading() {
        let k = keys(3);
        let mut load = SeriesLoad::new("1.2", k.clone());
        load.drain_events();
        load.failed(&k[1], "the DICOM data is truncated");
        assert_eq!(load.error(&k[1]), Some("the DICOM data is truncated"));
        assert!(load.is_answered(&k[1]) && load.is_failed(&k[1]));
        assert!(!load.is_finished());
        load.loaded(&k[0], 10);
        load.loaded(&k[2], 10);
        assert_eq!(
            load.errors(),
            vec![(k[1].clone(), "the DICOM data is truncated".to_string())]
        );
        let events = load.drain_events();
        assert!(
            matches!(&events[0], LoadEvent::FrameFailed { reason, .. } if reason == "the DICOM data is truncated")
        );
        assert_eq!(
            events.last(),
            Some(&LoadEvent::Completed {
                progress: LoadProgress {
                    total: 3,
                    loaded: 2,
                    failed: 1,
                    loading: 0,
                    bytes: 20
                }
            })
        );
    }

    #[test]
    fn cancelling_sets_the_shared_token_and_returns_loading_frames_to_pending() {
        let k = keys(4);
        let mut load = SeriesLoad::new("1.2", k.clone());
        let token = load.cancel_token();
        load.started(&k[0]);
        load.loaded(&k[0], 8);
        load.started(&k[1]);
        load.drain_events();
        load.cancel();
        assert!(token.is_cancelled());
        assert_eq!(load.state(&k[1]), Some(&FrameState::Pending));
        assert_eq!(load.state(&k[0]), Some(&FrameState::Loaded { bytes: 8 }));
        // No new work after cancellation; a second cancel emits nothing.
        load.started(&k[2]);
        load.cancel();
        assert_eq!(
            load.drain_events(),
            vec![LoadEvent::Cancelled {
                progress: LoadProgress {
                    total: 4,
                    loaded: 1,
                    failed: 0,
                    loading: 0,
                    bytes: 8
                }
            }]
        );
        assert_eq!(load.state(&k[2]), Some(&FrameState::Pending));
    }

    #[test]
    fn reloading_an_evicted_frame_replaces_its_bytes_without_a_new_event() {
        let k = keys(2);
        let mut load = SeriesLoad::new("1.2", k.clone());
        load.loaded(&k[0], 100);
        load.loaded(&k[0], 120);
        assert_eq!(load.progress().bytes, 120);
        assert_eq!(load.progress().loaded, 1);
        assert_eq!(load.drain_events().len(), 2);
    }

    #[test]
    fn unknown_frames_and_duplicates_are_ignored() {
        let mut k = keys(2);
        k.push(k[0].clone());
        let mut load = SeriesLoad::new("1.2", k);
        assert_eq!(load.progress().total, 2);
        load.loaded(&FrameKey::new("9.9", 1), 5);
        assert_eq!(load.progress().loaded, 0);
    }

    #[test]
    fn an_empty_series_is_complete_at_once() {
        let mut load = SeriesLoad::new("1.2", Vec::new());
        assert_eq!(load.drain_events().len(), 2);
        assert!(load.is_finished());
    }
}
