//! The study view's state on the UI thread: the series of the open studies (their stacks from WADO-RS metadata,
//! loading progress, prefetch), the frame cache, the viewports (what each shows, window, view, cine), the GPU
//! canvas they are drawn on, and the thumbnails of the series panel.
//!
//! Components read it through [`Viewer`] and a revision signal bumped on every change. Pixels are decoded only in
//! the decode workers ([`super::decode_pool`]) and windowed only on the GPU (the thumbnails excepted: a few
//! thousand pixels windowed on the CPU). It must not build DOM nodes.

use super::decode_pool::{DecodePool, PoolEvent};
use super::hanging::Hung;
use super::layout::Layout;
use super::presets::linear_gray;
use crate::data_source::SeriesSummary;
use dicom_dictionary_std::tags;
use leptos::prelude::*;
use lumen_dicom::display::{Voi, VoiLutFunction, Window};
use lumen_dicomweb::json;
use lumen_frames::{
    build_stack, frames_within_budget, ByteSize, DecodedFrame, FrameCache, FrameKey, FrameSource,
    PixelFormat, Pixels, PrefetchScheduler, RequestId, SeriesLoad, SeriesStack, WindowFunction,
    WindowPreset,
};
use lumen_render::overlay::{LabelOverlay, OverlayParams};
use lumen_render::{
    Gpu, ImageGeometry, ImageTexture, RenderParams, Renderer, Rotation, ViewTransform,
};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::JsCast;

/// A cine rate meaning "the series' own rate" (Cine Rate or Frame Time), resolved once its metadata is loaded.
pub const FILE_RATE: f64 = 0.0;

/// Bytes of decoded frames kept in memory: enough for a whole 1000-slice 512×512 CT series (500 MiB as the 16-bit
/// stored samples the cache holds, see `lumen_frames::ModalityValues`), so scrolling it never refetches.
const CACHE_BUDGET: usize = 640 << 20;

/// A decoded frame shared between the cache and the viewports.
#[derive(Clone)]
pub struct Cached(pub Rc<DecodedFrame>);

impl ByteSize for Cached {
    fn byte_size(&self) -> usize {
        self.0.pixels.byte_len()
    }
}

/// A series of an open study once its metadata arrived.
pub struct SeriesData {
    pub summary: SeriesSummary,
    pub study_instance_uid: String,
    pub stack: SeriesStack,
    /// SOP Instance UID → the instance's DICOM JSON (WADO-RS metadata).
    pub instances: HashMap<String, Rc<Value>>,
    pub load: SeriesLoad,
    scheduler: PrefetchScheduler<FrameKey>,
    requests: HashMap<FrameKey, RequestId>,
    /// For a series opened from the reader's disk: SOP Instance UID → the id its file was handed to the decode
    /// workers with. Empty for a series of an archive.
    local_files: HashMap<String, String>,
}

impl SeriesData {
    fn new(
        study_instance_uid: String,
        summary: SeriesSummary,
        instances: Vec<Value>,
        local_files: HashMap<String, String>,
    ) -> SeriesData {
        let stack = build_stack(&instances);
        let mut map = HashMap::new();
        for instance in instances {
            if let Some(sop) = json::string(&instance, tags::SOP_INSTANCE_UID) {
                map.insert(sop, Rc::new(instance));
            }
        }
        let load = SeriesLoad::new(summary.series_instance_uid.clone(), stack.keys());
        let workers = super::decode_pool::worker_count();
        SeriesData {
            summary,
            study_instance_uid,
            stack,
            instances: map,
            load,
            scheduler: PrefetchScheduler::new(workers * 2),
            requests: HashMap::new(),
            local_files,
        }
    }
}

/// A series opened from the reader's disk: its study, its summary, and each instance's metadata (DICOM JSON
/// without pixels) with the id of its file.
pub struct LocalSeries {
    pub study_instance_uid: String,
    pub summary: SeriesSummary,
    pub instances: Vec<(String, Value)>,
}

/// Where a series stands.
pub enum SeriesEntry {
    Loading,
    Ready(Box<SeriesData>),
    Failed(String),
}

/// One viewport of the grid.
#[derive(Default)]
pub struct ViewportState {
    pub series: Option<String>,
    pub index: usize,
    /// Zoom/pan/rotation/flips; zoom and pan are recomputed to fit while `fit` is set.
    pub view: ViewTransform,
    pub fit: bool,
    /// The reader's window; `None`: the frame's own default.
    pub window: Option<WindowPreset>,
    pub user_invert: bool,
    /// Show image pixels as blocks (nearest pixel) instead of interpolating between pixel centres.
    pub pixelated: bool,
    /// Cine frames per second while playing; [`FILE_RATE`] until the series' own rate is known.
    pub cine: Option<f64>,
    /// The rate the reader typed, used when cine starts again.
    pub chosen_fps: Option<f64>,
    pub cine_last_ms: f64,
    pub texture: Option<(FrameKey, ImageTexture)>,
    /// Whether `texture` holds a reduced-resolution preview (the resolution levels it leaves out), not the frame.
    pub texture_preview: Option<u8>,
    /// The label map uploaded for the shown frame: its frame, the labels it was made from (compared by identity),
    /// the texture.
    overlay_texture: Option<(FrameKey, Rc<Vec<u8>>, LabelOverlay)>,
    /// Pixel probe text under the cursor.
    pub probe: Option<String>,
    /// Size of the viewport in device pixels at the last draw.
    pub size: [f64; 2],
}

/// A label map shown over a frame: a segmentation model's result or a stored DICOM Segmentation.
#[derive(Clone, Debug)]
pub struct FrameLabels {
    pub columns: u32,
    pub rows: u32,
    /// One output index per pixel, row-major (0 = nothing).
    pub labels: Rc<Vec<u8>>,
    /// The model (or stored SEG) it came from.
    pub source: String,
}

/// How label maps are drawn (the AI panel's overlay controls).
#[derive(Clone, Debug, PartialEq)]
pub struct OverlayStyle {
    pub shown: bool,
    pub params: OverlayParams,
}

impl Default for OverlayStyle {
    fn default() -> Self {
        OverlayStyle { shown: true, params: OverlayParams::default() }
    }
}

/// The GPU side: device, the canvas surface and the renderer.
pub struct GpuState {
    pub gpu: Gpu,
    pub surface: lumen_render::web::CanvasSurface,
    pub renderer: Renderer,
}

/// Everything the study view holds.
pub struct ViewerCore {
    pub dicomweb_root: String,
    pub series_list: Vec<SeriesSummary>,
    pub study_of_series: HashMap<String, String>,
    pub series: HashMap<String, SeriesEntry>,
    pub cache: FrameCache<FrameKey, Cached>,
    pub errors: HashMap<FrameKey, String>,
    /// Reduced-resolution previews of frames still arriving (and the resolution levels they leave out): shown
    /// where the cache has no frame yet, dropped when the frame's answer comes; never in the cache.
    pub previews: HashMap<FrameKey, (Rc<DecodedFrame>, u8)>,
    pub layout: Layout,
    pub viewports: Vec<ViewportState>,
    pub active: usize,
    pub gpu: Option<GpuState>,
    pub gpu_error: Option<String>,
    pub thumbnails: HashMap<String, String>,
    /// Label maps to draw over frames.
    pub labels: HashMap<FrameKey, FrameLabels>,
    pub overlay: OverlayStyle,
    /// Thumbnail requests in flight: frame → (series, index in its stack).
    thumb_requests: HashMap<FrameKey, (String, usize)>,
    /// The decode request of each thumbnail frame asked for on its own, which the prefetch then shares.
    thumb_request_ids: HashMap<FrameKey, RequestId>,
    /// Series whose thumbnail could not be made from any frame tried.
    pub thumbnail_failed: std::collections::HashSet<String>,
    pool: Option<Rc<RefCell<DecodePool>>>,
    draw_scheduled: bool,
    /// Frames uploaded (and whether each is a preview) not yet presented: logged when a draw is presented.
    unpresented: Vec<(FrameKey, Option<u8>)>,
    /// The browser skipped the last draw of new images: draw again on the next animation frame.
    draw_again: bool,
    cine_running: bool,
    first_image_marked: bool,
}

/// A handle to the viewer state plus the signal components listen to.
#[derive(Clone, Copy)]
pub struct Viewer {
    core: StoredValue<Rc<RefCell<ViewerCore>>, LocalStorage>,
    pub revision: RwSignal<u64>,
}

impl Viewer {
    pub fn new(dicomweb_root: String) -> Viewer {
        let core = Rc::new(RefCell::new(ViewerCore {
            dicomweb_root,
            series_list: Vec::new(),
            study_of_series: HashMap::new(),
            series: HashMap::new(),
            cache: FrameCache::new(CACHE_BUDGET),
            errors: HashMap::new(),
            previews: HashMap::new(),
            layout: Layout::One,
            viewports: vec![ViewportState {
                fit: true,
                ..Default::default()
            }],
            active: 0,
            gpu: None,
            gpu_error: None,
            thumbnails: HashMap::new(),
            labels: HashMap::new(),
            overlay: OverlayStyle::default(),
            thumb_requests: HashMap::new(),
            thumb_request_ids: HashMap::new(),
            thumbnail_failed: Default::default(),
            pool: None,
            draw_scheduled: false,
            unpresented: Vec::new(),
            draw_again: false,
            cine_running: false,
            first_image_marked: false,
        }));
        let viewer = Viewer {
            core: StoredValue::new_local(core),
            revision: RwSignal::new(0),
        };
        let on_event: Rc<dyn Fn(PoolEvent)> = Rc::new(move |event| viewer.on_pool_event(event));
        match DecodePool::start(super::decode_pool::worker_count(), on_event) {
            Ok(pool) => viewer.with_mut(|c| c.pool = Some(pool)),
            Err(e) => leptos::logging::error!("Lumen: {e}"),
        }
        viewer
    }

    /// Reads the state (no change notification). After the page closed (the state is disposed, while a worker
    /// answer or an animation frame may still arrive) it returns `R::default()` and does nothing.
    pub fn with<R: Default>(&self, f: impl FnOnce(&ViewerCore) -> R) -> R {
        let Some(core) = self.core.try_get_value() else {
            return R::default();
        };
        let core = core.borrow();
        f(&core)
    }

    /// Changes the state without notifying (nothing after the page closed).
    fn with_mut<R: Default>(&self, f: impl FnOnce(&mut ViewerCore) -> R) -> R {
        let Some(core) = self.core.try_get_value() else {
            return R::default();
        };
        let mut core = core.borrow_mut();
        f(&mut core)
    }

    /// Whether the page is still open.
    pub fn is_open(&self) -> bool {
        self.core.try_get_value().is_some()
    }

    /// Changes the state, then notifies the components and redraws.
    pub fn update<R: Default>(&self, f: impl FnOnce(&mut ViewerCore) -> R) -> R {
        let r = self.with_mut(f);
        self.changed();
        r
    }

    /// Notifies the components and schedules a redraw.
    pub fn changed(&self) {
        if !self.is_open() {
            return;
        }
        self.revision.try_update(|r| *r += 1);
        self.schedule_draw();
    }

    /// Changes the state in a way that only the texts show (the pixel probe): no redraw.
    pub fn update_text<R: Default>(&self, f: impl FnOnce(&mut ViewerCore) -> R) -> R {
        let r = self.with_mut(f);
        self.revision.try_update(|r| *r += 1);
        r
    }

    /// Reactive read: re-runs the caller when the state changes.
    pub fn read<R: Default>(&self, f: impl FnOnce(&ViewerCore) -> R) -> R {
        self.revision.track();
        self.with(f)
    }

    /// The series of the open studies, once known (from QIDO-RS), starts loading the metadata of each.
    pub fn set_series(&self, series: Vec<(String, SeriesSummary)>) {
        self.with_mut(|c| {
            c.series_list = series.iter().map(|(_, s)| s.clone()).collect();
            for (study, s) in &series {
                c.study_of_series
                    .insert(s.series_instance_uid.clone(), study.clone());
                c.series
                    .entry(s.series_instance_uid.clone())
                    .or_insert(SeriesEntry::Loading);
            }
        });
        for (study, s) in series {
            let viewer = *self;
            leptos::task::spawn_local(async move { viewer.load_metadata(study, s).await });
        }
        self.changed();
    }

    /// Shows series opened from the reader's disk: their files are handed to the decode workers (as handles;
    /// nothing is uploaded) and their metadata is already known, so loading starts at once.
    pub fn set_local_series(&self, series: Vec<LocalSeries>, files: Vec<(String, web_sys::File)>) {
        let pool = self.with(|c| c.pool.clone());
        if let Some(pool) = pool {
            pool.borrow_mut().add_files(&files);
        }
        self.with_mut(|c| {
            for local in series {
                let uid = local.summary.series_instance_uid.clone();
                c.series_list.push(local.summary.clone());
                c.study_of_series
                    .insert(uid.clone(), local.study_instance_uid.clone());
                let mut by_sop = HashMap::new();
                let mut instances = Vec::with_capacity(local.instances.len());
                for (file_id, metadata) in local.instances {
                    if let Some(sop) = json::string(&metadata, tags::SOP_INSTANCE_UID) {
                        by_sop.insert(sop, file_id);
                    }
                    instances.push(metadata);
                }
                let data =
                    SeriesData::new(local.study_instance_uid, local.summary, instances, by_sop);
                let middle = data.stack.frames.len() / 2;
                c.series
                    .insert(uid.clone(), SeriesEntry::Ready(Box::new(data)));
                c.request_thumbnail(&uid, middle);
            }
            c.plan_all();
        });
        self.changed();
    }

    async fn load_metadata(&self, study: String, summary: SeriesSummary) {
        let root = self.with(|c| c.dicomweb_root.clone());
        let client = crate::auth::client(root);
        let uid = summary.series_instance_uid.clone();
        let entry = match client.series_metadata(&study, &uid).await {
            Ok(instances) => SeriesEntry::Ready(Box::new(SeriesData::new(
                study,
                summary,
                instances,
                HashMap::new(),
            ))),
            Err(e) => SeriesEntry::Failed(e.to_string()),
        };
        self.with_mut(|c| {
            c.series.insert(uid.clone(), entry);
            // The displayed frames first, then the thumbnail.
            c.plan_all();
            let middle = match c.series.get(&uid) {
                Some(SeriesEntry::Ready(d)) => d.stack.frames.len() / 2,
                _ => 0,
            };
            c.request_thumbnail(&uid, middle);
        });
        self.changed();
    }

    /// Applies a hanging protocol decision.
    pub fn hang(&self, layout: Layout, viewports: Vec<Option<Hung>>, cine: bool) {
        self.update(|c| {
            c.set_layout(layout);
            for (i, hung) in viewports.into_iter().enumerate() {
                if let Some(h) = hung {
                    c.load_into(i, &h.series_instance_uid, h.index);
                }
            }
            if cine {
                if let Some(v) = c.viewports.first_mut() {
                    v.cine = Some(FILE_RATE);
                }
            }
            c.active = 0;
            c.plan_all();
        });
        self.tick_cine();
    }

    fn on_pool_event(&self, event: PoolEvent) {
        self.with_mut(|c| c.on_pool_event(event));
        self.changed();
    }

    /// Schedules one redraw on the next animation frame.
    pub fn schedule_draw(&self) {
        let already = self.with_mut(|c| std::mem::replace(&mut c.draw_scheduled, true));
        if already {
            return;
        }
        let viewer = *self;
        request_animation_frame(move || {
            viewer.with_mut(|c| c.draw_scheduled = false);
            // What the overlays show (zoom, markers, scale bar) may change with the draw: the fit is computed for
            // the viewport's size there and the image's geometry is known once its texture is uploaded.
            let changed = viewer.with_mut(|c| {
                let before = c.view_signature();
                let marked = c.draw();
                marked || c.view_signature() != before
            });
            if changed {
                viewer.revision.try_update(|r| *r += 1);
            }
            // A new image the browser did not present (a preview replaced quickly, a busy GPU) is drawn again.
            if viewer.with_mut(|c| std::mem::take(&mut c.draw_again)) {
                viewer.schedule_draw();
            }
        });
    }

    /// Starts the cine loop if a viewport plays and it is not running.
    pub fn tick_cine(&self) {
        let start = self.with_mut(|c| {
            let any = c.viewports.iter().any(|v| v.cine.is_some());
            let start = any && !c.cine_running;
            if start {
                c.cine_running = true;
            }
            start
        });
        if start {
            self.cine_frame();
        }
    }

    fn cine_frame(&self) {
        let viewer = *self;
        request_animation_frame(move || {
            let now = now_ms();
            let (advanced, keep) = viewer.with_mut(|c| {
                let mut advanced = false;
                for i in 0..c.viewports.len() {
                    let Some(mut fps) = c.viewports[i].cine else {
                        continue;
                    };
                    if fps == FILE_RATE {
                        if c.series_of(i).is_none() {
                            continue;
                        }
                        fps = default_fps(
                            c.series
                                .get(c.viewports[i].series.as_deref().unwrap_or_default()),
                        );
                        c.viewports[i].cine = Some(fps);
                    }
                    if now - c.viewports[i].cine_last_ms < 1000.0 / fps.max(0.5) {
                        continue;
                    }
                    let len = c.stack_len(i);
                    if len < 2 {
                        continue;
                    }
                    let next = (c.viewports[i].index + 1) % len;
                    // Hold on a frame not decoded yet (buffering) rather than showing an empty viewport.
                    let ready = c
                        .frame_key(i, next)
                        .is_some_and(|k| c.cache.contains(&k) || c.errors.contains_key(&k));
                    if ready {
                        c.viewports[i].index = next;
                        c.viewports[i].cine_last_ms = now;
                        advanced = true;
                    }
                }
                if advanced {
                    c.plan_all();
                }
                let keep = c.viewports.iter().any(|v| v.cine.is_some());
                c.cine_running = keep;
                (advanced, keep)
            });
            if advanced {
                viewer.changed();
            }
            if keep {
                viewer.cine_frame();
            }
        });
    }
}

/// Cine rate for a series: Cine Rate (0018,0040) or 1000 / Frame Time (0018,1063) of its first instance, else 15.
fn default_fps(entry: Option<&SeriesEntry>) -> f64 {
    let Some(SeriesEntry::Ready(data)) = entry else {
        return 15.0;
    };
    let first = data
        .stack
        .frames
        .first()
        .and_then(|f| data.instances.get(&f.key.sop_instance_uid));
    let from_rate = first.and_then(|v| json::number(v, tags::CINE_RATE));
    let from_time = first
        .and_then(|v| json::number(v, tags::FRAME_TIME))
        .filter(|t| *t > 0.0)
        .map(|t| 1000.0 / t);
    from_rate
        .or(from_time)
        .filter(|f| f.is_finite() && *f > 0.0)
        .unwrap_or(15.0)
        .clamp(1.0, 60.0)
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

impl ViewerCore {
    /// The series data of viewport `i`, when loaded.
    pub fn series_of(&self, i: usize) -> Option<&SeriesData> {
        match self.series.get(self.viewports.get(i)?.series.as_deref()?)? {
            SeriesEntry::Ready(d) => Some(d),
            _ => None,
        }
    }

    /// Number of frames in viewport `i`'s stack.
    /// The slice normal of series `uid` (patient coordinates), once its metadata gave a geometric stack.
    pub fn series_normal(&self, uid: &str) -> Option<[f64; 3]> {
        match self.series.get(uid) {
            Some(SeriesEntry::Ready(data)) => data.stack.normal,
            _ => None,
        }
    }

    pub fn stack_len(&self, i: usize) -> usize {
        self.series_of(i).map_or(0, |d| d.stack.frames.len())
    }

    /// The frame key at `index` of viewport `i`'s stack.
    pub fn frame_key(&self, i: usize, index: usize) -> Option<FrameKey> {
        Some(self.series_of(i)?.stack.frames.get(index)?.key.clone())
    }

    /// The frame viewport `i` shows, when decoded.
    pub fn current_frame(&self, i: usize) -> Option<Rc<DecodedFrame>> {
        let key = self.frame_key(i, self.viewports.get(i)?.index)?;
        self.cache.peek(&key).map(|c| c.0.clone())
    }

    /// What viewport `i` can draw for its frame: the decoded frame, else a reduced-resolution preview of it (with
    /// the resolution levels it leaves out). Only for drawing: everything else uses [`Self::current_frame`].
    fn shown_frame(&self, key: &FrameKey) -> Option<(Rc<DecodedFrame>, Option<u8>)> {
        if let Some(c) = self.cache.peek(key) {
            return Some((c.0.clone(), None));
        }
        self.previews
            .get(key)
            .map(|(frame, levels)| (frame.clone(), Some(*levels)))
    }

    /// The resolution levels the preview viewport `i` shows leaves out, while it shows a preview.
    pub fn preview_levels(&self, i: usize) -> Option<u8> {
        let v = self.viewports.get(i)?;
        let key = self.frame_key(i, v.index)?;
        v.texture
            .as_ref()
            .filter(|(k, _)| *k == key)
            .and(v.texture_preview)
    }

    /// The frame keys of viewport `i`'s stack, in order.
    pub fn stack_keys(&self, i: usize) -> Vec<FrameKey> {
        self.series_of(i).map(|d| d.stack.frames.iter().map(|f| f.key.clone()).collect()).unwrap_or_default()
    }

    /// The decoded frame `key`, when in the cache.
    pub fn cached_frame(&self, key: &FrameKey) -> Option<Rc<DecodedFrame>> {
        self.cache.peek(key).map(|c| c.0.clone())
    }

    /// The DICOM JSON of the instance of `key` in viewport `i`'s series.
    pub fn instance_of(&self, i: usize, key: &FrameKey) -> Option<Rc<Value>> {
        self.series_of(i)?.instances.get(&key.sop_instance_uid).cloned()
    }

    /// Shows `labels` over frame `key` (replacing what was there).
    pub fn set_labels(&mut self, key: FrameKey, labels: FrameLabels) {
        self.labels.insert(key, labels);
    }

    /// The DICOM JSON of the instance viewport `i` shows.
    pub fn current_instance(&self, i: usize) -> Option<Rc<Value>> {
        let key = self.frame_key(i, self.viewports.get(i)?.index)?;
        self.series_of(i)?
            .instances
            .get(&key.sop_instance_uid)
            .cloned()
    }

    pub fn set_layout(&mut self, layout: Layout) {
        self.layout = layout;
        self.viewports
            .resize_with(layout.count(), || ViewportState {
                fit: true,
                ..Default::default()
            });
        self.active = self.active.min(layout.count() - 1);
        self.plan_all();
    }

    /// Puts `series` into viewport `i` at stack index `index`, with a fresh view; the prefetch of a series no
    /// viewport shows any more is cancelled.
    pub fn load_into(&mut self, i: usize, series: &str, index: usize) {
        let Some(v) = self.viewports.get_mut(i) else {
            return;
        };
        let previous = v.series.replace(series.to_string());
        *v = ViewportState {
            series: v.series.take(),
            index,
            fit: true,
            ..Default::default()
        };
        if let Some(prev) = previous.filter(|p| p != series) {
            if !self
                .viewports
                .iter()
                .any(|v| v.series.as_deref() == Some(&prev))
            {
                self.cancel_series(&prev);
            }
        }
        self.plan_all();
    }

    fn cancel_series(&mut self, uid: &str) {
        let Some(SeriesEntry::Ready(data)) = self.series.get_mut(uid) else {
            return;
        };
        let keys = data.scheduler.cancel_all();
        let mut ids = Vec::new();
        for k in keys {
            data.load.abandoned(&k);
            if let Some(id) = data.requests.remove(&k) {
                ids.push(id);
            }
        }
        if let Some(pool) = &self.pool {
            for id in ids {
                pool.borrow_mut().cancel(id);
            }
        }
    }

    /// Re-plans prefetch for every series shown, and pins the displayed frames.
    pub fn plan_all(&mut self) {
        let shown: Vec<(String, usize)> = self
            .viewports
            .iter()
            .filter_map(|v| Some((v.series.clone()?, v.index)))
            .collect();
        let pinned: Vec<FrameKey> = (0..self.viewports.len())
            .filter_map(|i| self.frame_key(i, self.viewports[i].index))
            .collect();
        self.cache.set_pinned(pinned.iter());
        let Some(pool) = self.pool.clone() else {
            return;
        };
        let base_url = self.dicomweb_root.clone();
        for (uid, index) in shown {
            let Some(SeriesEntry::Ready(data)) = self.series.get_mut(&uid) else {
                continue;
            };
            let order = data.stack.keys();
            let window = frames_within_budget(
                self.cache.evictable_capacity(),
                data.stack.estimated_frame_bytes().max(1),
            );
            let cache = &self.cache;
            let errors = &self.errors;
            let plan = data.scheduler.plan(
                &order,
                index,
                |k| cache.contains(k) || errors.contains_key(k),
                window,
            );
            for k in plan.cancel {
                data.load.abandoned(&k);
                if let Some(id) = data.requests.remove(&k) {
                    pool.borrow_mut().cancel(id);
                }
            }
            for k in plan.start {
                // A thumbnail's request for the same frame is in flight: it serves the prefetch too.
                if let Some(&id) = self.thumb_request_ids.get(&k) {
                    data.load.started(&k);
                    data.requests.insert(k, id);
                    continue;
                }
                let Some(source) = frame_source(&base_url, data, &k) else {
                    continue;
                };
                data.load.started(&k);
                let id = pool.borrow_mut().submit(k.clone(), source);
                data.requests.insert(k, id);
            }
        }
    }

    /// Asks for the frame at `index` of series `uid` for its thumbnail (the middle frame first; when a frame
    /// fails, the next ones, up to three tries).
    fn request_thumbnail(&mut self, uid: &str, index: usize) {
        let Some(SeriesEntry::Ready(data)) = self.series.get(uid) else {
            return;
        };
        let Some(frame) = data.stack.frames.get(index) else {
            self.thumbnail_failed.insert(uid.to_string());
            return;
        };
        let key = frame.key.clone();
        if let Some(cached) = self.cache.peek(&key) {
            let frame = cached.0.clone();
            self.make_thumbnail(uid, &frame);
            return;
        }
        // Already asked for by the series' prefetch (a one-image series): its answer makes the thumbnail too, and
        // the frame is not downloaded twice.
        if data.requests.contains_key(&key) {
            self.thumb_requests.insert(key, (uid.to_string(), index));
            return;
        }
        let Some(source) = frame_source(&self.dicomweb_root, data, &key) else {
            return;
        };
        if let Some(pool) = &self.pool {
            let id = pool.borrow_mut().submit(key.clone(), source);
            self.thumb_request_ids.insert(key.clone(), id);
            self.thumb_requests.insert(key, (uid.to_string(), index));
        }
    }

    fn make_thumbnail(&mut self, uid: &str, frame: &DecodedFrame) {
        if let Some(url) = thumbnail_url(frame) {
            self.thumbnails.insert(uid.to_string(), url);
        }
    }

    fn on_pool_event(&mut self, event: PoolEvent) {
        let key = match &event {
            PoolEvent::Decoded(f) => f.meta.key.clone(),
            PoolEvent::Preview { frame, .. } => frame.meta.key.clone(),
            PoolEvent::Failed { key, .. } | PoolEvent::Cancelled { key } => key.clone(),
        };
        if let PoolEvent::Preview {
            frame,
            discarded_levels,
        } = event
        {
            // Shown until the frame arrives; a late preview of a frame already decoded is dropped.
            if !self.cache.contains(&key) && !self.errors.contains_key(&key) {
                self.previews
                    .insert(key, (Rc::new(*frame), discarded_levels));
            }
            return;
        }
        self.previews.remove(&key);
        self.thumb_request_ids.remove(&key);
        let thumb_for = self.thumb_requests.remove(&key);
        match event {
            PoolEvent::Decoded(frame) => {
                let bytes = frame.pixels.byte_len() as u64;
                if let Some((uid, _)) = &thumb_for {
                    self.make_thumbnail(uid, &frame);
                }
                self.cache.insert(key.clone(), Cached(Rc::new(*frame)));
                for entry in self.series.values_mut() {
                    if let SeriesEntry::Ready(d) = entry {
                        if d.scheduler.finished(&key) {
                            d.requests.remove(&key);
                            d.load.loaded(&key, bytes);
                        }
                    }
                }
                // A thumbnail's frame is one of its series' frames too: counted as loaded, or the series would
                // never be complete (the prefetch skips frames already in the cache).
                if let Some((uid, _)) = &thumb_for {
                    if let Some(SeriesEntry::Ready(d)) = self.series.get_mut(uid) {
                        d.load.loaded(&key, bytes);
                    }
                }
            }
            PoolEvent::Failed { message, .. } => {
                self.errors.insert(key.clone(), message.clone());
                if let Some((uid, index)) = &thumb_for {
                    let middle = match self.series.get(uid) {
                        Some(SeriesEntry::Ready(d)) => d.stack.frames.len() / 2,
                        _ => 0,
                    };
                    if index + 1 < middle + 3 {
                        self.request_thumbnail(uid, index + 1);
                    } else {
                        self.thumbnail_failed.insert(uid.clone());
                    }
                }
                for entry in self.series.values_mut() {
                    if let SeriesEntry::Ready(d) = entry {
                        if d.scheduler.finished(&key) {
                            d.requests.remove(&key);
                            d.load.failed(&key, message.clone());
                        }
                    }
                }
            }
            PoolEvent::Preview { .. } => {} // handled above
            PoolEvent::Cancelled { .. } => {
                for entry in self.series.values_mut() {
                    if let SeriesEntry::Ready(d) = entry {
                        if d.scheduler.finished(&key) {
                            d.requests.remove(&key);
                            d.load.abandoned(&key);
                        }
                    }
                }
                // A prefetch the thumbnail was waiting for was cancelled: ask for it on its own.
                if let Some((uid, index)) = &thumb_for {
                    self.request_thumbnail(uid, *index);
                }
            }
        }
        self.plan_all();
    }

    /// The effective window of viewport `i` for `frame`.
    pub fn window_of(&self, i: usize, frame: &DecodedFrame) -> WindowPreset {
        self.viewports
            .get(i)
            .and_then(|v| v.window.clone())
            .unwrap_or_else(|| frame.meta.default_window.clone())
    }

    /// What the overlays depend on that [`ViewerCore::draw`] may change: each viewport's view, size and
    /// uploaded frame.
    fn view_signature(&self) -> Vec<ViewSignature> {
        self.viewports
            .iter()
            .map(|v| {
                (
                    v.view,
                    v.size,
                    v.texture.as_ref().map(|(k, _)| k.clone()),
                    v.texture_preview,
                )
            })
            .collect()
    }

    /// Draws every viewport; returns true when this was the first image ever presented.
    fn draw(&mut self) -> bool {
        let Some(gpu_state) = self.gpu.as_mut() else {
            return false;
        };
        let canvas = gpu_state.surface.canvas().clone();
        let dpr = web_sys::window()
            .map(|w| w.device_pixel_ratio())
            .unwrap_or(1.0)
            .max(0.5);
        let (w, h) = (
            (canvas.client_width().max(1) as f64 * dpr).round() as u32,
            (canvas.client_height().max(1) as f64 * dpr).round() as u32,
        );
        gpu_state.surface.resize(&gpu_state.gpu, w, h);
        let cells = self.layout.cells(w, h);
        // Upload the frames that changed.
        let mut failures = Vec::new();
        for i in 0..self.viewports.len() {
            let key = self
                .viewports
                .get(i)
                .and_then(|v| self.frame_key(i, v.index));
            let frame = key.as_ref().and_then(|k| self.shown_frame(k));
            let v = &mut self.viewports[i];
            if let Some(rect) = cells.get(i) {
                v.size = [rect.width as f64, rect.height as f64];
            }
            match frame {
                None => {
                    v.texture = None;
                    v.texture_preview = None;
                }
                Some((frame, preview)) => {
                    // A preview is replaced by a finer one, or by the frame itself (same key).
                    if v.texture.as_ref().map(|(k, _)| k) != Some(&frame.meta.key)
                        || v.texture_preview != preview
                    {
                        let Some(gpu_state) = self.gpu.as_ref() else {
                            return false;
                        };
                        match upload(&gpu_state.gpu, &frame) {
                            Ok(t) => {
                                v.texture = Some((frame.meta.key.clone(), t));
                                v.texture_preview = preview;
                                self.unpresented.push((frame.meta.key.clone(), preview));
                            }
                            Err(e) => {
                                v.texture = None;
                                v.texture_preview = None;
                                // A preview that cannot be shown is no error of the frame: the frame follows.
                                if preview.is_none() {
                                    failures.push((frame.meta.key.clone(), e));
                                }
                            }
                        }
                    }
                }
            }
        }
        for (k, e) in failures {
            self.errors.insert(k, e);
        }
        // Upload the label maps that changed (none while overlays are hidden). A map of another size than its
        // frame (a stored SEG of other slices) is not drawn.
        for i in 0..self.viewports.len() {
            let shown = self.overlay.shown;
            let image = self.viewports[i].texture.as_ref().map(|(k, t)| (k.clone(), t.geometry()));
            let labels = image
                .as_ref()
                .filter(|_| shown)
                .and_then(|(k, g)| self.labels.get(k).filter(|l| l.columns == g.columns && l.rows == g.rows))
                .cloned();
            let Some(gpu_state) = self.gpu.as_ref() else {
                return false;
            };
            let v = &mut self.viewports[i];
            match (image, labels) {
                (Some((key, _)), Some(l)) => {
                    let current = v.overlay_texture.as_ref().is_some_and(|(k, p, _)| *k == key && Rc::ptr_eq(p, &l.labels));
                    if !current {
                        v.overlay_texture = LabelOverlay::new(&gpu_state.gpu.device, &gpu_state.gpu.queue, l.columns, l.rows, &l.labels)
                            .map(|t| (key, l.labels.clone(), t))
                            .map_err(|e| leptos::logging::warn!("Lumen: label overlay not shown: {e}"))
                            .ok();
                    }
                }
                _ => v.overlay_texture = None,
            }
        }
        let mut params = Vec::new();
        for (i, rect) in cells.iter().enumerate() {
            let Some((frame, _)) = self
                .viewports
                .get(i)
                .and_then(|v| self.frame_key(i, v.index))
                .and_then(|k| self.shown_frame(&k))
            else {
                continue;
            };
            let window = self.window_of(i, &frame);
            let v = &mut self.viewports[i];
            let Some((_, texture)) = v.texture.as_ref() else {
                continue;
            };
            let geometry = texture.geometry();
            if v.fit {
                v.view = v.view.fitted(&geometry, rect.size());
            }
            let voi = (frame.meta.format == PixelFormat::ModalityF32)
                .then(|| Voi::Window(to_window(&window)));
            params.push((
                i,
                *rect,
                RenderParams {
                    view: v.view,
                    voi,
                    invert: frame.meta.invert != v.user_invert,
                    smoothing: !v.pixelated,
                },
            ));
        }
        let Some(gpu_state) = self.gpu.as_mut() else {
            return false;
        };
        let overlay_params = &self.overlay.params;
        let list: Vec<_> = params
            .iter()
            .filter_map(|(i, rect, p)| {
                let v = &self.viewports[*i];
                let (_, image) = v.texture.as_ref()?;
                // A label map is drawn only over an image of its own size.
                let overlay = v
                    .overlay_texture
                    .as_ref()
                    .filter(|(_, _, o)| image.geometry().columns == o.columns() && image.geometry().rows == o.rows())
                    .map(|(_, _, o)| (o, overlay_params));
                Some((*rect, image, p, overlay))
            })
            .collect();
        let drawn =
            match gpu_state
                .surface
                .draw_viewports_with_overlays(&gpu_state.gpu, &mut gpu_state.renderer, &list)
            {
                Ok(drawn) => drawn,
                Err(e) => {
                    self.gpu_error = Some(e.to_string());
                    false
                }
            };
        if drawn {
            for (key, preview) in std::mem::take(&mut self.unpresented) {
                record_presented(&key, preview);
            }
        } else if !self.unpresented.is_empty() {
            self.draw_again = true;
        }
        if drawn && !list.is_empty() && !self.first_image_marked {
            self.first_image_marked = true;
            mark_first_image();
            return true;
        }
        false
    }

    /// Changes viewport `i`'s stack position by `delta`, clamped.
    pub fn scroll(&mut self, i: usize, delta: i64) {
        let len = self.stack_len(i);
        let Some(v) = self.viewports.get_mut(i) else {
            return;
        };
        if len == 0 {
            return;
        }
        v.index = (v.index as i64 + delta).clamp(0, len as i64 - 1) as usize;
        self.plan_all();
    }

    /// Moves viewport `i` to stack position `index`.
    pub fn scroll_to(&mut self, i: usize, index: usize) {
        let len = self.stack_len(i);
        if let Some(v) = self.viewports.get_mut(i) {
            v.index = index.min(len.saturating_sub(1));
        }
        self.plan_all();
    }

    /// Window/level drag by (`dx`, `dy`) CSS pixels on viewport `i`: right widens, down raises the centre.
    pub fn drag_window(&mut self, i: usize, dx: f64, dy: f64) {
        let Some(frame) = self.current_frame(i) else {
            return;
        };
        if frame.meta.format != PixelFormat::ModalityF32 {
            return;
        }
        let span = frame
            .meta
            .modality_range
            .map_or(1024.0, |[lo, hi]| (hi - lo) as f64)
            .max(1.0);
        let step = (span / 512.0).max(0.05);
        let mut w = self.window_of(i, &frame);
        w.width = (w.width + dx * step).max(1.0);
        w.center += dy * step;
        w.function = WindowFunction::Linear;
        w.explanation = None;
        if let Some(v) = self.viewports.get_mut(i) {
            v.window = Some(w);
        }
    }

    /// The image geometry of viewport `i`'s texture.
    pub fn geometry(&self, i: usize) -> Option<ImageGeometry> {
        Some(self.viewports.get(i)?.texture.as_ref()?.1.geometry())
    }

    /// Zooms viewport `i` by `factor` about `anchor` (device pixels in the viewport).
    pub fn zoom(&mut self, i: usize, anchor: [f64; 2], factor: f64) {
        let Some(v) = self.viewports.get_mut(i) else {
            return;
        };
        v.view = v.view.zoom_about(anchor, factor, v.size);
        v.fit = false;
    }

    pub fn pan(&mut self, i: usize, delta: [f64; 2]) {
        let Some(v) = self.viewports.get_mut(i) else {
            return;
        };
        v.view = v.view.panned(delta);
        v.fit = false;
    }

    pub fn rotate(&mut self, i: usize) {
        if let Some(v) = self.viewports.get_mut(i) {
            v.view.rotation = v.view.rotation.turned_clockwise();
            v.fit = true;
        }
    }

    /// Shows viewport `i` the way a presentation error reported by the QC model (`rotated-90`, `rotated-180`,
    /// `rotated-270`, `mirrored`, `inverted`) undoes: the view is set relative to the stored image, which is what
    /// the model looked at; stored data never change. Returns false for a label it does not know.
    pub fn correct_presentation(&mut self, i: usize, label: &str) -> bool {
        let Some(v) = self.viewports.get_mut(i) else {
            return false;
        };
        let (rotation, flip_h, invert) = match label {
            "rotated-90" => (Rotation::Cw270, false, false),
            "rotated-180" => (Rotation::Cw180, false, false),
            "rotated-270" => (Rotation::Cw90, false, false),
            "mirrored" => (Rotation::None, true, false),
            "inverted" => (Rotation::None, false, true),
            _ => return false,
        };
        v.view.rotation = rotation;
        v.view.flip_h = flip_h;
        v.view.flip_v = false;
        v.user_invert = invert;
        v.fit = true;
        true
    }

    pub fn flip(&mut self, i: usize, horizontal: bool) {
        if let Some(v) = self.viewports.get_mut(i) {
            if horizontal {
                v.view.flip_h = !v.view.flip_h;
            } else {
                v.view.flip_v = !v.view.flip_v;
            }
        }
    }

    pub fn fit(&mut self, i: usize) {
        if let Some(v) = self.viewports.get_mut(i) {
            v.fit = true;
        }
    }

    pub fn actual_size(&mut self, i: usize) {
        if let Some(v) = self.viewports.get_mut(i) {
            v.view = v.view.actual_size();
            v.fit = false;
        }
    }

    /// Back to the file's window, no inversion, upright, fitted.
    pub fn reset(&mut self, i: usize) {
        if let Some(v) = self.viewports.get_mut(i) {
            v.window = None;
            v.user_invert = false;
            v.view = ViewTransform {
                rotation: Rotation::None,
                flip_h: false,
                flip_v: false,
                ..v.view
            };
            v.fit = true;
        }
    }

    /// The probe text for the pixel under `screen` (device pixels inside viewport `i`).
    pub fn probe(&mut self, i: usize, screen: [f64; 2]) {
        let text = (|| {
            let frame = self.current_frame(i)?;
            let v = self.viewports.get(i)?;
            let geometry = v.texture.as_ref()?.1.geometry();
            let (col, row) = v.view.pixel_at(&geometry, v.size, screen)?;
            let units = frame.meta.units.clone().unwrap_or_default();
            Some(match frame.meta.format {
                PixelFormat::ModalityF32 => {
                    let value = frame.modality_value(col, row)?;
                    let stored = frame
                        .stored_value(col, row)
                        .map(|s| format!("SV {s}"))
                        .unwrap_or_default();
                    let units = if units.is_empty() && self.modality(i) == "CT" {
                        "HU".to_string()
                    } else {
                        units
                    };
                    format!(
                        "({col}, {row})  {stored}  {} {units}",
                        trim_number(value as f64)
                    )
                }
                PixelFormat::Rgb8 => {
                    let [r, g, b] = frame.rgb(col, row)?;
                    format!("({col}, {row})  RGB {r} {g} {b}")
                }
            })
        })();
        if let Some(v) = self.viewports.get_mut(i) {
            v.probe = text;
        }
    }

    /// Modality (0008,0060) of viewport `i`'s series.
    pub fn modality(&self, i: usize) -> String {
        self.series_of(i)
            .map(|d| d.summary.modality.clone())
            .unwrap_or_default()
    }
}

/// A number without a useless fraction ("200", "-12.5").
pub fn trim_number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

fn to_window(w: &WindowPreset) -> Window {
    Window {
        center: w.center,
        width: w.width,
        function: match w.function {
            WindowFunction::Linear => VoiLutFunction::Linear,
            WindowFunction::LinearExact => VoiLutFunction::LinearExact,
            WindowFunction::Sigmoid => VoiLutFunction::Sigmoid,
        },
        explanation: w.explanation.clone(),
    }
}

/// Where frame `key` of `data` comes from: its local file, or WADO-RS, the frame as stored (`transfer-syntax=*`)
/// with its instance's metadata.
fn frame_source(base_url: &str, data: &SeriesData, key: &FrameKey) -> Option<FrameSource> {
    if let Some(file_id) = data.local_files.get(&key.sop_instance_uid) {
        return Some(FrameSource::Bytes {
            file_id: file_id.clone(),
            frame_number: key.frame_number,
        });
    }
    let instance = data.instances.get(&key.sop_instance_uid)?;
    Some(FrameSource::WadoFrame {
        base_url: base_url.to_string(),
        study_instance_uid: data.study_instance_uid.clone(),
        series_instance_uid: data.summary.series_instance_uid.clone(),
        sop_instance_uid: key.sop_instance_uid.clone(),
        frame_number: key.frame_number,
        transfer_syntax_accept: vec!["*".to_string()],
        instance_metadata: serde_json::to_string(instance.as_ref()).ok()?,
    })
}

/// Uploads a decoded frame as a texture.
fn upload(gpu: &Gpu, frame: &DecodedFrame) -> Result<ImageTexture, String> {
    let (cols, rows) = (frame.meta.columns as u32, frame.meta.rows as u32);
    let spacing = frame.meta.pixel_spacing;
    match &frame.pixels {
        Pixels::Modality { values, .. } => {
            // Compact frames are turned into f32 modality values here, in a buffer dropped after the upload.
            let values = values.to_f32();
            ImageTexture::from_modality_values(&gpu.device, &gpu.queue, cols, rows, &values, spacing)
        }
        Pixels::Rgb8(rgb) => {
            let rgba: Vec<u8> = rgb
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect();
            ImageTexture::from_rgba8(&gpu.device, &gpu.queue, cols, rows, &rgba, spacing)
        }
    }
    .map_err(|e| e.to_string())
}

/// A PNG data URL of `frame` at most 96 pixels wide, windowed with its default window.
fn thumbnail_url(frame: &DecodedFrame) -> Option<String> {
    let (cols, rows) = (frame.meta.columns as usize, frame.meta.rows as usize);
    if cols == 0 || rows == 0 {
        return None;
    }
    let step = (cols.max(rows) as f64 / 96.0).max(1.0);
    let (tw, th) = (
        ((cols as f64) / step).round().max(1.0) as usize,
        ((rows as f64) / step).round().max(1.0) as usize,
    );
    let w = &frame.meta.default_window;
    let mut rgba = Vec::with_capacity(tw * th * 4);
    for y in 0..th {
        for x in 0..tw {
            let (c, r) = (
                ((x as f64 * step) as usize).min(cols - 1),
                ((y as f64 * step) as usize).min(rows - 1),
            );
            let px = match &frame.pixels {
                Pixels::Modality { values, .. } => {
                    let g = linear_gray(values.get(r * cols + c)? as f64, w.center, w.width);
                    let g = if frame.meta.invert { 255 - g } else { g };
                    [g, g, g]
                }
                Pixels::Rgb8(rgb) => {
                    let i = (r * cols + c) * 3;
                    [*rgb.get(i)?, *rgb.get(i + 1)?, *rgb.get(i + 2)?]
                }
            };
            rgba.extend_from_slice(&[px[0], px[1], px[2], 255]);
        }
    }
    let document = web_sys::window()?.document()?;
    let canvas: web_sys::HtmlCanvasElement =
        document.create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(tw as u32);
    canvas.set_height(th as u32);
    let ctx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let data = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
        wasm_bindgen::Clamped(&rgba),
        tw as u32,
        th as u32,
    )
    .ok()?;
    ctx.put_image_data(&data, 0.0, 0.0).ok()?;
    canvas.to_data_url().ok()
}

/// Appends `{ms, sop, frame, levels}` (milliseconds since navigation start; `levels`: resolution levels a preview
/// leaves out, 0 for the frame itself) to `window.__lumenPresented`, for the tests and measurements of
/// progressive retrieval.
fn record_presented(key: &FrameKey, preview: Option<u8>) {
    use wasm_bindgen::JsValue;
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(perf) = window.performance() else {
        return;
    };
    let name = JsValue::from_str("__lumenPresented");
    let list = match js_sys::Reflect::get(&window, &name) {
        Ok(v) if js_sys::Array::is_array(&v) => wasm_bindgen::JsCast::unchecked_into::<js_sys::Array>(v),
        _ => {
            let a = js_sys::Array::new();
            let _ = js_sys::Reflect::set(&window, &name, &a);
            a
        }
    };
    let entry = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&entry, &"ms".into(), &JsValue::from_f64(perf.now()));
    let _ = js_sys::Reflect::set(&entry, &"sop".into(), &JsValue::from_str(&key.sop_instance_uid));
    let _ = js_sys::Reflect::set(&entry, &"frame".into(), &JsValue::from_f64(f64::from(key.frame_number)));
    let _ = js_sys::Reflect::set(
        &entry,
        &"levels".into(),
        &JsValue::from_f64(f64::from(preview.unwrap_or(0))),
    );
    list.push(&entry);
}

/// A viewport's view, size, uploaded frame and whether that is a preview (see [`ViewerCore::view_signature`]).
type ViewSignature = (ViewTransform, [f64; 2], Option<FrameKey>, Option<u8>);

/// Records when the first image was presented: a `lumen-first-image` performance mark, and
/// `window.__lumenFirstImageMs` (milliseconds since navigation start) for the tests.
fn mark_first_image() {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(perf) = window.performance() {
        let _ = perf.mark("lumen-first-image");
        let _ = js_sys::Reflect::set(
            &window,
            &wasm_bindgen::JsValue::from_str("__lumenFirstImageMs"),
            &wasm_bindgen::JsValue::from_f64(perf.now()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn numbers_lose_useless_fractions_only() {
        assert_eq!(trim_number(200.0), "200");
        assert_eq!(trim_number(-600.0), "-600");
        assert_eq!(trim_number(-12.5), "-12.5");
        assert_eq!(trim_number(3.733333), "3.73");
        assert_eq!(trim_number(0.1), "0.1");
    }

    #[test]
    fn window_presets_become_the_renderers_voi_window() {
        let w = to_window(&WindowPreset {
            center: 40.0,
            width: 400.0,
            function: WindowFunction::Sigmoid,
            explanation: Some("Mediastinum".into()),
        });
        assert_eq!(
            (w.center, w.width, w.function),
            (40.0, 400.0, VoiLutFunction::Sigmoid)
        );
        assert_eq!(w.explanation.as_deref(), Some("Mediastinum"));
    }
}
