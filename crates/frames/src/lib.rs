//! # lumen-frames — between decode and the viewer
//!
//! The browser viewer never decodes on the UI thread: decode workers (the same wasm module in Web Workers) turn
//! instances into display-ready frames, and the UI thread keeps, schedules and orders them. This crate holds that
//! logic in pure Rust, testable natively and built for `wasm32-unknown-unknown`:
//!
//! - [`cache`]: [`FrameCache`], a byte-budgeted LRU cache with pinning of the displayed frames and statistics.
//! - [`prefetch`]: [`PrefetchScheduler`], the displayed frame first then outward, N in flight, within the budget,
//!   re-prioritised (with cancellation) when the user scrolls.
//! - [`loading`]: [`SeriesLoad`], progress, per-frame errors, a [`CancelToken`] and the [`LoadEvent`]s the UI
//!   renders.
//! - [`stack`]: [`build_stack`], the ordered frame list of a series from its DICOM JSON metadata (slice normal via
//!   `lumen_dicom::geometry`, else Instance Number), with spacing and gaps for the overlay.
//! - [`protocol`]: the serde messages between the UI thread and the workers ([`WorkerMessage`],
//!   [`DecodeResponse`]), pixel buffers travelling as transferables beside them.
//! - [`local`]: [`local_metadata`], the DICOM JSON of a file opened from disk, so it is viewed like an archive's.
//! - [`decode`]: [`decode_for_display`] and [`decode_wado_frame`] — modality values for monochrome (kept as the
//!   stored 8/16-bit samples plus a linear Modality LUT when they are, `f32` otherwise: [`ModalityValues`]),
//!   RGB8 for colour, plus the [`FrameMeta`] the renderer, overlay and pixel probe need; [`WadoFramePreview`], a
//!   reduced-resolution preview of an HTJ2K frame from its first bytes while the rest arrives.
//!
//! This crate must not fetch, touch the DOM or the GPU, or apply a VOI LUT: it prepares and organises frames.
//!
//! ```
//! use lumen_frames::{FrameCache, FrameKey, PrefetchScheduler, frames_within_budget};
//! let order: Vec<FrameKey> = (1..=5).map(|n| FrameKey::new("1.2.3", n)).collect();
//! let cache: FrameCache<FrameKey, lumen_frames::DecodedFrame> = FrameCache::new(64 << 20);
//! let mut scheduler = PrefetchScheduler::new(4);
//! let window = frames_within_budget(cache.evictable_capacity(), 512 * 512 * 4);
//! let plan = scheduler.plan(&order, 2, |k| cache.contains(k), window);
//! assert_eq!(plan.start[0], FrameKey::new("1.2.3", 3));
//! ```

pub mod cache;
pub mod decode;
pub mod error;
pub mod frame;
pub mod loading;
pub mod local;
pub mod prefetch;
pub mod protocol;
pub mod stack;

pub use cache::{ByteSize, CacheStats, FrameCache, InsertOutcome};

/// The viewer's cache: decoded frames by (SOP Instance UID, frame number).
pub type DecodedFrameCache = FrameCache<FrameKey, DecodedFrame>;
pub use decode::{
    decode_file_frame, decode_for_display, decode_wado_frame, transfer_syntax_for_media_type,
    WadoFramePreview,
};
pub use error::{Error, Result};
pub use frame::{
    displayed_grey, rgb_luma, DecodedFrame, FrameKey, FrameMeta, ModalityIter, ModalityMapping,
    ModalityParts, ModalitySource, ModalityValues, PixelFormat, Pixels, PlaneMeta,
    StoredSampleType, StoredSamples, VoiLutTable, WindowFunction, WindowPreset,
};
pub use loading::{CancelToken, FrameState, LoadEvent, LoadProgress, SeriesLoad};
pub use local::{local_metadata, local_metadata_from_bytes};
pub use prefetch::{frames_within_budget, priority_order, PrefetchPlan, PrefetchScheduler};
pub use protocol::{
    decode_fetched, BufferElement, BufferLayout, BufferRole, DecodeOutcome, DecodeRequest,
    DecodeResponse, FrameSource, PixelBuffer, RequestId, WorkerMessage,
};
pub use stack::{build_stack, SeriesStack, SkippedInstance, StackFrame, StackGap, StackOrdering};
