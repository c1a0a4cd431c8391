//! The AI panel's card for a segmentation model: the label map of the shown slice as an overlay (legend with the
//! area of each label on the slice, per-label visibility, opacity, fill/outline), the whole series segmented on
//! request with progress and cancel, "Save segmentation to archive" as a DICOM Segmentation over every slice
//! segmented, and the segmentations Lumen stored earlier (shown as overlays when the study opens).
//!
//! It only shows state kept by [`AiClient`](crate::ai::AiClient) and the viewer; the model runs in the AI worker
//! and the overlay is drawn by the viewport renderer.

use super::ai_panel::AiState;
use super::state::{FrameLabels, Viewer};
use crate::ai::{self, RunState, VolumeRun};
use crate::i18n::{t, Msg};
use leptos::prelude::*;
use lumen_frames::FrameKey;
use lumen_infer::manifest::{ModelManifest, Place, RunsOn};
use lumen_infer::protocol::Backend;
use lumen_render::{LabelPalette, OverlayMode};
use lumen_results::Segmentation;
use std::rc::Rc;

/// What the archive holds: Lumen's segmentations found when the study opened or saved since.
pub type StoredSegs = RwSignal<Vec<Rc<Segmentation>>, LocalStorage>;

/// The source name of a stored segmentation's label maps in the viewer.
fn stored_source(seg: &Segmentation) -> String {
    format!("seg:{}", seg.sop_instance_uid)
}

/// Shows a stored segmentation's label maps over its slices (where no fresher result is shown) and takes its
/// colours for the overlay palette.
pub fn show_stored(viewer: Viewer, seg: &Segmentation) {
    let colours: Vec<(u8, [u8; 3])> = seg.segments.iter().filter_map(|s| Some((s.number, s.colour?))).collect();
    let source = stored_source(seg);
    viewer.update(|c| {
        if !colours.is_empty() {
            c.overlay.params.palette = LabelPalette::with_colours(&colours);
        }
        for slice in &seg.slices {
            let key = FrameKey::new(slice.sop_instance_uid.clone(), slice.frame_number.unwrap_or(1));
            if c.labels.get(&key).is_some_and(|l| !l.source.starts_with("seg:")) {
                continue;
            }
            c.set_labels(
                key,
                FrameLabels {
                    columns: slice.columns as u32,
                    rows: slice.rows as u32,
                    labels: Rc::new(slice.labels.clone()),
                    source: source.clone(),
                },
            );
        }
    });
}

/// Copies the model's finished label maps into the viewer (called whenever the AI client changes).
pub fn sync_results(viewer: Viewer, state: AiState, manifest: &ModelManifest) {
    let maps = state.client.label_maps(&manifest.id);
    if maps.is_empty() {
        return;
    }
    let fresh: Vec<_> = viewer.with(|c| {
        maps.into_iter()
            .filter(|(key, labels, _, _)| !c.labels.get(key).is_some_and(|l| Rc::ptr_eq(&l.labels, labels)))
            .collect()
    });
    if fresh.is_empty() {
        return;
    }
    let colours: Vec<(u8, [u8; 3])> =
        manifest.outputs.iter().enumerate().skip(1).map(|(i, o)| (i as u8, o.colour)).collect();
    let source = manifest.id.clone();
    viewer.update(|c| {
        c.overlay.params.palette = LabelPalette::with_colours(&colours);
        for (key, labels, width, height) in fresh {
            c.set_labels(key, FrameLabels { columns: width, rows: height, labels, source: source.clone() });
        }
    });
}

/// Pixels of each label index in `labels`.
fn counts(labels: &[u8], classes: usize) -> Vec<u64> {
    let mut out = vec![0u64; classes.max(1)];
    for &l in labels {
        if let Some(c) = out.get_mut(l as usize) {
            *c += 1;
        }
    }
    out
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::WebGpu => "WebGPU",
        Backend::Cpu => "CPU",
    }
}

/// Where a run on the server stands.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerRun {
    Idle,
    Running { done: u64, total: u64 },
    Failed(String),
}

/// Where saving stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Saving {
    Idle,
    Busy,
    Saved(usize),
    Failed(String),
}

/// Saving and server runs per segmentation model (model id → state), kept by the study view's [`AiState`]:
/// they outlive the card, which is rebuilt when the slice shown changes.
#[derive(Clone, Copy)]
pub struct SegJobs {
    saving: RwSignal<std::collections::HashMap<String, Saving>>,
    server: RwSignal<std::collections::HashMap<String, ServerRun>>,
    /// Bumped to cancel the server runs in flight.
    server_generation: RwSignal<u64>,
    /// Where the reader chose to run a model that may run in either place (model id → place).
    place: RwSignal<std::collections::HashMap<String, Place>>,
}

impl SegJobs {
    pub fn new() -> Self {
        SegJobs {
            saving: RwSignal::new(Default::default()),
            server: RwSignal::new(Default::default()),
            server_generation: RwSignal::new(0),
            place: RwSignal::new(Default::default()),
        }
    }

    fn saving(&self, id: &str) -> Saving {
        self.saving.with(|m| m.get(id).cloned().unwrap_or(Saving::Idle))
    }

    fn set_saving(&self, id: &str, s: Saving) {
        self.saving.try_update(|m| {
            m.insert(id.to_string(), s);
        });
    }

    fn server(&self, id: &str) -> ServerRun {
        self.server.with(|m| m.get(id).cloned().unwrap_or(ServerRun::Idle))
    }

    fn set_server(&self, id: &str, s: ServerRun) {
        self.server.try_update(|m| {
            m.insert(id.to_string(), s);
        });
    }
}

/// Where a model that may run in either place runs when the reader has not chosen in the card: `lumen.ai.place`
/// in localStorage (`browser` or `server`) forces one for every such model; else the manifest's preference,
/// except that without a Lumen server (local files) it runs in this browser.
pub fn default_place(runs_on: RunsOn, server_available: bool) -> Place {
    if !runs_on.either() {
        return runs_on.preferred();
    }
    if !server_available {
        return Place::Browser;
    }
    let forced = window().local_storage().ok().flatten().and_then(|s| s.get_item("lumen.ai.place").ok().flatten());
    match forced.as_deref() {
        Some("browser") => Place::Browser,
        Some("server") => Place::Server,
        _ => runs_on.preferred(),
    }
}

impl Default for SegJobs {
    fn default() -> Self {
        Self::new()
    }
}

#[component]
pub fn SegmentationCard(
    viewer: Viewer,
    state: AiState,
    manifest: ModelManifest,
    frame: Rc<lumen_frames::DecodedFrame>,
) -> impl IntoView {
    let client = state.client;
    let key = frame.meta.key.clone();
    let id = manifest.id.clone();
    let manifest = StoredValue::new(manifest);
    let frame_value = StoredValue::new_local(frame.clone());
    let spacing = frame.meta.pixel_spacing;
    let classes = manifest.with_value(|m| m.outputs.len());
    // A server-only model has no browser run, per slice or per series, and nothing to save from here. A 3D model
    // allowed in the browser labels the whole series at once in the worker (no per-slice run); a model allowed in
    // either place runs where the reader chose (default: the manifest's preference).
    let runs_on = manifest.with_value(|m| m.runs_on);
    let volumetric = manifest.with_value(|m| m.is_volumetric());
    let in_browser = runs_on.in_browser();
    let per_slice = in_browser && !volumetric;

    // The shown slice's state and label map (a live result, else a stored segmentation's).
    let (id_s, key_s) = (id.clone(), key.clone());
    let status = move || (client.model_state(&id_s), client.run_state(&id_s, &key_s));
    let key_l = key.clone();
    let shown_labels = move || viewer.read(|c| c.labels.get(&key_l).cloned());
    let shown_source = {
        let shown_labels = shown_labels.clone();
        move || shown_labels().map(|l| l.source).unwrap_or_default()
    };

    let run_one = move |_| {
        manifest.with_value(|m| frame_value.with_value(|f| client.run(m, f, false)));
    };

    // The whole series.
    let stack = move || viewer.read(|c| c.stack_keys(c.active));
    let id_p = StoredValue::new(id.clone());
    // Copy: used inside other closures' children.
    let progress = move || {
        let keys = stack();
        let (done, busy) = id_p.with_value(|id| client.progress(id, &keys));
        (done, busy, keys.len())
    };
    let run_series = move |_| {
        let keys = viewer.with(|c| c.stack_keys(c.active));
        let frames: Vec<_> = viewer.with(|c| keys.iter().filter_map(|k| c.cached_frame(k)).collect());
        manifest.with_value(|m| client.run_many(m, frames));
    };
    let missing = move || viewer.read(|c| c.stack_keys(c.active).iter().filter(|k| c.cached_frame(k).is_none()).count());
    let id_c = id.clone();
    let cancel_series = move |_| {
        let keys = viewer.with(|c| c.stack_keys(c.active));
        client.cancel_frames(&id_c, &keys);
    };

    // Overlay controls (shared by every segmentation in the viewer).
    let overlay = move || viewer.read(|c| c.overlay.clone());
    let set_shown = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        viewer.update(|c| c.overlay.shown = on);
    };
    let set_opacity = move |ev: leptos::ev::Event| {
        if let Ok(v) = event_target_value(&ev).parse::<f32>() {
            viewer.update(|c| c.overlay.params.opacity = (v / 100.0).clamp(0.0, 1.0));
        }
    };
    let set_mode = move |ev: leptos::ev::Event| {
        let mode = match event_target_value(&ev).as_str() {
            "outline" => OverlayMode::Outline,
            "both" => OverlayMode::FillAndOutline,
            _ => OverlayMode::Fill,
        };
        viewer.update(|c| c.overlay.params.mode = mode);
    };

    // Legend: colour, name, area on this slice, visibility.
    let legend = move || {
        let labels = shown_labels();
        let area_of = |n: u64| match spacing {
            Some([r, c]) => format!("{:.1} cm²", n as f64 * r * c / 100.0),
            None => format!("{n} px"),
        };
        let counts = labels.as_ref().map(|l| counts(&l.labels, classes));
        let visible = overlay().params.visible;
        manifest.with_value(|m| {
            m.outputs
                .iter()
                .enumerate()
                .skip(1)
                .map(|(i, o)| {
                    let label = i as u8;
                    let n = counts.as_ref().and_then(|c| c.get(i).copied());
                    let swatch = format!("background:rgb({},{},{})", o.colour[0], o.colour[1], o.colour[2]);
                    let toggle = move |ev: leptos::ev::Event| {
                        let on = event_target_checked(&ev);
                        viewer.update(|c| c.overlay.params.visible.set(label, on));
                    };
                    view! {
                        <li class="seg-label" data-label=o.name.clone() data-pixels=n.map(|n| n.to_string()).unwrap_or_default()>
                            <label>
                                <input type="checkbox" prop:checked=visible.contains(label) on:change=toggle />
                                <span class="seg-swatch" style=swatch></span>
                                " "{o.display.clone()}
                            </label>
                            <span class="ai-value">{n.map(area_of).unwrap_or_default()}</span>
                        </li>
                    }
                })
                .collect_view()
        })
    };

    // Save: every slice of this series segmented by this model.
    let jobs = state.seg_jobs;
    let id_save = StoredValue::new(id.clone());
    let saving = move || id_save.with_value(|id| jobs.saving(id));
    let save = move |_| {
        let root = viewer.with(|c| c.dicomweb_root.clone());
        let maps = id_save.with_value(|id| client.label_maps(id));
        let slices: Vec<(serde_json::Value, Rc<Vec<u8>>)> = viewer.with(|c| {
            let keys = c.stack_keys(c.active);
            maps.iter()
                .filter(|(k, _, _, _)| keys.contains(k))
                .filter_map(|(k, labels, _, _)| Some(((*c.instance_of(c.active, k)?).clone(), labels.clone())))
                .collect()
        });
        let id = id_save.get_value();
        if slices.is_empty() {
            jobs.set_saving(&id, Saving::Failed("no segmented slice to save".into()));
            return;
        }
        let backend = client.backend().map(|b| backend_name(b.backend)).unwrap_or("CPU");
        let manifest = manifest.get_value();
        let stored = state.stored_segs;
        jobs.set_saving(&id, Saving::Busy);
        leptos::task::spawn_local(async move {
            match ai::save::save_segmentation(&root, &slices, &manifest, backend).await {
                Ok(seg) => {
                    let n = seg.slices.len();
                    stored.try_update(|s| s.push(Rc::new(seg)));
                    jobs.set_saving(&id, Saving::Saved(n));
                }
                Err(e) => jobs.set_saving(&id, Saving::Failed(e)),
            }
        });
    };
    let can_save = move || viewer.read(|c| !c.dicomweb_root.is_empty());

    // The whole series on Lumen's server: it pulls the pixels from the archive, stores a SEG, which is then read
    // back and shown like any stored segmentation.
    let id_server = StoredValue::new(id.clone());
    let server = move || id_server.with_value(|id| jobs.server(id));
    let run_on_server = move |_| {
        let (root, study, series) = viewer.with(|c| {
            let series = c.viewports.get(c.active).and_then(|v| v.series.clone()).unwrap_or_default();
            let study = c.study_of_series.get(&series).cloned().unwrap_or_default();
            (c.dicomweb_root.clone(), study, series)
        });
        let model = id_server.get_value();
        if study.is_empty() || series.is_empty() {
            jobs.set_server(&model, ServerRun::Failed("no series shown".into()));
            return;
        }
        let generation = jobs.server_generation.get_untracked();
        jobs.set_server(&model, ServerRun::Running { done: 0, total: 0 });
        leptos::task::spawn_local(async move {
            let m = model.clone();
            let outcome = ai::server::server_job(
                &model,
                &study,
                Some(&series),
                move |done, total| jobs.set_server(&m, ServerRun::Running { done, total }),
                // Left the study (state gone) or cancelled: stop the job on the server.
                move || jobs.server_generation.try_get_untracked().is_none_or(|g| g != generation),
            )
            .await;
            match outcome {
                Ok(true) => {
                    let seg_series: Vec<String> = crate::data_source::series_of_study(&root, &study)
                        .await
                        .map(|list| list.into_iter().filter(|s| s.modality == "SEG").map(|s| s.series_instance_uid).collect())
                        .unwrap_or_default();
                    state.load_stored_segs(viewer, root, study, seg_series);
                    jobs.set_server(&model, ServerRun::Idle);
                }
                Ok(false) => jobs.set_server(&model, ServerRun::Idle),
                Err(e) => jobs.set_server(&model, ServerRun::Failed(e)),
            }
        });
    };
    let cancel_server = move |_| {
        jobs.server_generation.update(|g| *g += 1);
        id_server.with_value(|id| jobs.set_server(id, ServerRun::Idle));
    };
    let progress_save = progress;

    // Where it runs: for a model allowed in either place, the reader's choice in this card, else the default;
    // for any other model the server run is offered as before (a browser-only 2D model keeps both).
    let id_place = StoredValue::new(id.clone());
    let place = move || {
        if !runs_on.either() {
            return if in_browser && volumetric { Place::Browser } else { Place::Server };
        }
        let chosen = id_place.with_value(|id| jobs.place.with(|m| m.get(id).copied()));
        chosen.unwrap_or_else(|| default_place(runs_on, can_save()))
    };
    let place_name = |p: Place| match p {
        Place::Browser => "browser",
        Place::Server => "server",
    };
    let choose_place = move |ev: leptos::ev::Event| {
        let p = if event_target_value(&ev) == "server" { Place::Server } else { Place::Browser };
        id_place.with_value(|id| jobs.place.update(|m| {
            m.insert(id.clone(), p);
        }));
    };

    // A 3D model in this browser: the series' decoded slices as one volume (refused with the reason when they are
    // not one regular volume, as on the server), run block by block in the worker.
    let id_volume = StoredValue::new(id.clone());
    let refused = RwSignal::new(None::<String>);
    let run_volume = move |_| {
        let (frames, missing) = viewer.with(|c| {
            let keys = c.stack_keys(c.active);
            let frames: Vec<_> = keys.iter().filter_map(|k| c.cached_frame(k)).collect();
            let missing = keys.len() - frames.len();
            (frames, missing)
        });
        match ai::volume::series_volume(frames, missing) {
            Ok(volume) => {
                refused.set(None);
                manifest.with_value(|m| client.run_volume(m, volume));
            }
            Err(reason) => refused.set(Some(reason)),
        }
    };
    let cancel_volume = move |_| id_volume.with_value(|id| client.cancel_volume(id));
    let volume_view = move || {
        let run = id_volume.with_value(|id| client.volume_run(id));
        let model = id_volume.with_value(|id| client.model_state(id));
        let button = || view! {
            <button class="tool" data-action="seg-volume" title=t(Msg::SegVolumeHint) on:click=run_volume>{t(Msg::SegVolume)}</button>
        };
        let refusal = refused.get().map(|e| view! { <div class="ai-error" data-testid="seg-volume-error">{e}</div> });
        let body = match run {
            Some(VolumeRun::Running { done, total, .. }) => {
                let pct = if total > 0 { done as f64 / total as f64 * 100.0 } else { 0.0 };
                let what = match model {
                    ai::ModelState::Loading { .. } | ai::ModelState::NotLoaded => t(Msg::AiPreparing).to_string(),
                    _ if total == 0 => t(Msg::SegPrepare).to_string(),
                    _ => format!("{done} / {total} {}", t(Msg::SegBlocks)),
                };
                view! {
                    <div data-testid="seg-volume-progress" data-done=done data-total=total>
                        <span class="spinner"></span>" "{what}
                        " "<button class="tool" data-action="seg-volume-cancel" on:click=cancel_volume>{t(Msg::AiCancel)}</button>
                    </div>
                    <div class="progress"><div class="progress-bar" style=format!("width:{pct:.0}%")></div></div>
                }
                .into_any()
            }
            Some(VolumeRun::Done { slices, blocks, grid, backend, ms }) => view! {
                <div class="muted ai-timing" data-testid="seg-volume-done" data-slices=slices data-blocks=blocks data-ms=format!("{ms:.0}")>
                    {format!("{} · {:.1} s · {blocks} {} · {}×{}×{} · {slices} ", backend_name(backend), ms / 1000.0, t(Msg::SegBlocks), grid[2], grid[1], grid[0])}
                    {t(Msg::SegSlicesDone)}
                </div>
                {button()}
            }
            .into_any(),
            Some(VolumeRun::Failed(e)) => view! {
                <div class="ai-error" data-testid="seg-volume-error">{e}</div>
                {button()}
            }
            .into_any(),
            None => button().into_any(),
        };
        view! { {refusal}{body} }
    };

    let id_stored = id.clone();
    let stored = move || {
        let name = manifest.with_value(|m| m.name.clone());
        state
            .stored_segs
            .get()
            .into_iter()
            .filter(|s| s.model_name == name || s.content_label.eq_ignore_ascii_case(&id_stored))
            .map(|s| {
                let date = crate::dicom_text::date(&s.content_date);
                let time: String = s.content_time.chars().take(4).collect();
                let time = if time.len() == 4 { format!("{}:{}", &time[..2], &time[2..]) } else { time };
                let version = s.segments.first().and_then(|x| x.algorithm_version.clone()).unwrap_or_default();
                view! {
                    <div class="ai-stored" data-testid="seg-stored" data-seg-uid=s.sop_instance_uid.clone()>
                        {t(Msg::SegStored)}" · "{date}" "{time}" · v"{version}" · "{s.slices.len()}" "{t(Msg::SegSlicesDone)}
                    </div>
                }
            })
            .collect_view()
    };

    let card_url = manifest.with_value(|m| format!("{}/{}/{}", ai::client::MODELS_ROOT, m.id, m.card));
    let (name, version, disclaimer) = manifest.with_value(|m| (m.name.clone(), m.version.clone(), m.disclaimer.clone()));
    let (id_retry, key_retry) = (id.clone(), key.clone());
    view! {
        <section class="ai-model" data-model=id.clone() data-testid="ai-model" data-task="segmentation">
            <div class="ai-model-name">{name}" "<span class="muted">{format!("v{version}")}</span></div>
            {(!in_browser).then(|| view! { <div class="muted" data-testid="seg-server-only">{t(Msg::SegServerOnly)}</div> })}
            {runs_on.either().then(|| view! {
                <label class="seg-place">{t(Msg::SegRunOn)}" "
                    <select data-testid="seg-place" on:change=choose_place prop:value=move || place_name(place())>
                        <option value="browser">{t(Msg::SegThisBrowser)}</option>
                        <option value="server">{t(Msg::SegLumenServer)}</option>
                    </select>
                </label>
            })}
            {per_slice.then(|| move || {
                let (model, run_state) = status();
                if let Some(busy) = super::ai_panel::busy_view(client, &model, &run_state, &id_retry, &key_retry) {
                    return busy;
                }
                match run_state {
                Some(RunState::Segmented { backend, ms, .. }) => view! {
                    <div class="muted ai-timing" data-testid="seg-done">{format!("{} · {ms:.0} ms · ", backend_name(backend))}{t(Msg::SegThisSlice)}</div>
                }.into_any(),
                _ => view! {
                    <button class="tool" data-action="ai-run" on:click=run_one>{t(Msg::AiRun)}</button>
                }.into_any(),
            }})}
            <ul class="seg-legend" data-testid="seg-legend"
                data-source=shown_source>{legend}</ul>
            <div class="seg-controls">
                <label><input type="checkbox" data-testid="seg-shown" prop:checked=move || overlay().shown on:change=set_shown />" "{t(Msg::SegShow)}</label>
                <label>{t(Msg::SegOpacity)}" "
                    <input type="range" min="0" max="100" data-testid="seg-opacity"
                        prop:value=move || format!("{:.0}", overlay().params.opacity * 100.0) on:input=set_opacity />
                </label>
                <select data-testid="seg-mode" on:change=set_mode
                    prop:value=move || match overlay().params.mode { OverlayMode::Fill => "fill", OverlayMode::Outline => "outline", OverlayMode::FillAndOutline => "both" }>
                    <option value="fill">{t(Msg::SegFill)}</option>
                    <option value="outline">{t(Msg::SegOutline)}</option>
                    <option value="both">{t(Msg::SegFillOutline)}</option>
                </select>
            </div>
            {(in_browser && volumetric).then(|| view! {
                <Show when=move || place() == Place::Browser>
                    <div class="seg-series">{volume_view}</div>
                </Show>
            })}
            {per_slice.then(|| view! {
            <div class="seg-series">
                {move || {
                    let (done, busy, total) = progress();
                    let pct = if total > 0 { done as f64 / total as f64 * 100.0 } else { 0.0 };
                    let missing = missing();
                    view! {
                        <div data-testid="seg-progress" data-done=done data-total=total data-busy=busy>
                            {format!("{done} / {total} ")}{t(Msg::SegSlicesDone)}
                            {(missing > 0).then(|| format!(" · {missing} {}", t(Msg::SegNotLoaded)))}
                        </div>
                        <div class="progress"><div class="progress-bar" style=format!("width:{pct:.0}%")></div></div>
                        {if busy > 0 {
                            view! { <button class="tool" data-action="seg-cancel" on:click=cancel_series.clone()>{t(Msg::AiCancel)}</button> }.into_any()
                        } else if done < total {
                            view! { <button class="tool" data-action="seg-series" on:click=run_series>{t(Msg::SegAllSlices)}</button> }.into_any()
                        } else {
                            ().into_any()
                        }}
                    }
                }}
            </div>
            })}
            {in_browser.then(|| view! {
            <Show when=can_save>
                {move || match saving() {
                    Saving::Busy => view! { <div class="muted"><span class="spinner"></span>" "{t(Msg::AiSaving)}</div> }.into_any(),
                    Saving::Failed(e) => view! { <div class="ai-error" data-testid="ai-save-error">{e}</div> }.into_any(),
                    Saving::Saved(_) | Saving::Idle => ().into_any(),
                }}
                <Show when=move || { progress_save().0 > 0 && saving() != Saving::Busy }>
                    <button class="tool" data-action="seg-save" on:click=save>{t(Msg::SegSave)}</button>
                </Show>
            </Show>
            })}
            <Show when=move || can_save() && place() == Place::Server>
                <div class="seg-series">
                    {move || match server() {
                        ServerRun::Idle => view! {
                            <button class="tool" data-action="seg-server" title=t(Msg::SegServerHint) on:click=run_on_server>{t(Msg::SegServer)}</button>
                        }.into_any(),
                        ServerRun::Running { done, total } => view! {
                            <div data-testid="seg-server-progress" data-done=done data-total=total>
                                <span class="spinner"></span>{format!(" {} {done} / {total}", t(Msg::SegServerRunning))}
                                " "<button class="tool" data-action="seg-server-cancel" on:click=cancel_server>{t(Msg::AiCancel)}</button>
                            </div>
                        }.into_any(),
                        ServerRun::Failed(e) => view! {
                            <div class="ai-error" data-testid="seg-server-error">{e}</div>
                            <button class="tool" data-action="seg-server" on:click=run_on_server>{t(Msg::SegServer)}</button>
                        }.into_any(),
                    }}
                </div>
            </Show>
            {stored}
            <div class="ai-disclaimer">{disclaimer}" "
                <a href=card_url target="_blank" rel="noopener">{t(Msg::AiModelCard)}</a>
            </div>
        </section>
    }
}
