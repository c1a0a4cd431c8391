//! The AI panel of the study view: the models that apply to the active viewport's image (by the manifests'
//! modalities), run on request or automatically, with download progress and cancel; results as class
//! probabilities, QC badges with a one-click correction of the display, and the pixel-rule findings. Every result
//! carries its model's disclaimer.
//!
//! It only shows state kept by [`AiClient`] and asks the viewer state for view changes; it must not run models nor
//! touch pixels.

use super::state::Viewer;
use crate::ai::{self, AiClient, ModelState, RunState};
use crate::i18n::{t, Msg};
use leptos::prelude::*;
use lumen_infer::manifest::{ModelManifest, Task};
use lumen_infer::protocol::{Backend, Stage};
use lumen_results::SrSummary;

/// The catalog, once fetched: `None` while loading.
pub type Catalog = RwSignal<Option<Result<Vec<ModelManifest>, String>>, LocalStorage>;

/// What the study view shares with the panel.
#[derive(Clone, Copy)]
pub struct AiState {
    pub client: AiClient,
    pub catalog: Catalog,
    pub open: RwSignal<bool>,
    pub auto: RwSignal<bool>,
    /// Lumen's reports already in the archive for the open studies (read from their SR series), newest last.
    pub stored: RwSignal<Vec<SrSummary>>,
    /// Lumen's segmentations in the archive for the open studies (read from their SEG series) or saved since.
    pub stored_segs: super::ai_seg::StoredSegs,
    /// Per segmentation model: saving and server runs. Kept here, not in the card, because the card is rebuilt
    /// whenever the slice shown changes while these go on.
    pub seg_jobs: super::ai_seg::SegJobs,
}

impl AiState {
    /// Fetches the catalog and, while `auto` is on, runs the models that apply to each image shown in the active
    /// viewport.
    pub fn new(viewer: Viewer) -> AiState {
        let state = AiState {
            client: AiClient::new(),
            catalog: RwSignal::new_local(None),
            open: RwSignal::new(false),
            auto: RwSignal::new(ai::auto_run()),
            stored: RwSignal::new(Vec::new()),
            stored_segs: RwSignal::new_local(Vec::new()),
            seg_jobs: super::ai_seg::SegJobs::new(),
        };
        let catalog = state.catalog;
        leptos::task::spawn_local(async move {
            let result = ai::fetch_catalog().await;
            catalog.try_set(Some(result));
        });
        // Segmentation results become overlays as they arrive.
        Effect::new(move |_| {
            state.client.revision.track();
            let models: Vec<ModelManifest> = catalog.with(|c| match c {
                Some(Ok(list)) => list.iter().filter(|m| m.task == Task::Segmentation).cloned().collect(),
                _ => Vec::new(),
            });
            for m in &models {
                super::ai_seg::sync_results(viewer, state, m);
            }
        });
        Effect::new(move |_| {
            if !state.auto.get() {
                return;
            }
            let models = matching_models(viewer, catalog);
            if models.is_empty() {
                return;
            }
            let frame = viewer.read(|c| c.current_frame(c.active));
            if let Some(frame) = frame {
                for m in models.iter().filter(|m| runs_automatically(m)) {
                    state.client.run(m, &frame, is_qc(m));
                }
            }
        });
        state
    }

    /// Reads Lumen's segmentations from the SEG series of `study` and shows them over their slices.
    pub fn load_stored_segs(&self, viewer: Viewer, dicomweb_root: String, study: String, seg_series: Vec<String>) {
        if dicomweb_root.is_empty() || seg_series.is_empty() {
            return;
        }
        let stored = self.stored_segs;
        leptos::task::spawn_local(async move {
            let found = ai::save::stored_segmentations(&dicomweb_root, &study, &seg_series).await;
            for seg in found {
                let seg = std::rc::Rc::new(seg);
                // The reader may have left the study meanwhile: then the state is gone and so is the need.
                let Some(known) = stored.try_with_untracked(|s| s.iter().any(|x| x.sop_instance_uid == seg.sop_instance_uid)) else {
                    return;
                };
                if known {
                    continue;
                }
                super::ai_seg::show_stored(viewer, &seg);
                stored.try_update(|s| s.push(seg));
            }
        });
    }

    /// Reads Lumen's reports from the SR series of `study` (kept in [`AiState::stored`]).
    pub fn load_stored(&self, dicomweb_root: String, study: String, sr_series: Vec<String>) {
        if dicomweb_root.is_empty() || sr_series.is_empty() {
            return;
        }
        let stored = self.stored;
        leptos::task::spawn_local(async move {
            let found = ai::save::stored_reports(&dicomweb_root, &study, &sr_series).await;
            stored.try_update(|s| {
                for r in found {
                    if !s.iter().any(|x| x.sr_sop_instance_uid == r.sr_sop_instance_uid) {
                        s.push(r);
                    }
                }
            });
        });
    }
}

/// Whether a model runs by itself on every image shown while auto-run is on: classifiers (triage, QC) do;
/// segmentation models run when the reader asks (an overlay nobody asked for hides the image).
pub fn runs_automatically(m: &ModelManifest) -> bool {
    m.task == Task::Classification
}

/// Labels a QC model can report and the viewer can correct.
const CORRECTABLE: [&str; 5] = ["rotated-90", "rotated-180", "rotated-270", "mirrored", "inverted"];

/// A QC model: one whose outputs include presentation errors the viewer corrects.
fn is_qc(m: &ModelManifest) -> bool {
    m.outputs.iter().any(|o| CORRECTABLE.contains(&o.name.as_str()))
}

fn qc_message(label: &str) -> Option<Msg> {
    Some(match label {
        "ok" => Msg::QcOk,
        "rotated-90" => Msg::QcRotated90,
        "rotated-180" => Msg::QcRotated180,
        "rotated-270" => Msg::QcRotated270,
        "mirrored" => Msg::QcMirrored,
        "inverted" => Msg::QcInverted,
        "clipped-bright" => Msg::QcClippedBright,
        "clipped-dark" => Msg::QcClippedDark,
        "no-collimation" => Msg::QcNoCollimation,
        "low-contrast" => Msg::QcLowContrast,
        _ => return None,
    })
}

/// The catalog's models that apply to the active viewport's series.
fn matching_models(viewer: Viewer, catalog: Catalog) -> Vec<ModelManifest> {
    let modality = viewer.read(|c| c.modality(c.active));
    catalog.with(|c| match c {
        Some(Ok(list)) => list.iter().filter(|m| m.matches_modality(&modality)).cloned().collect(),
        _ => Vec::new(),
    })
}

#[component]
pub fn AiPanel(viewer: Viewer, state: AiState, on_close: Callback<()>) -> impl IntoView {
    let client = state.client;
    let backend = move || {
        client.backend().map(|b| match b.backend {
            Backend::WebGpu => ("WebGPU".to_string(), b.adapter.unwrap_or_default()),
            Backend::Cpu => (t(Msg::AiCpu).to_string(), b.fallback_reason.unwrap_or_default()),
        })
    };
    let on_auto = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        ai::set_auto_run(on);
        state.auto.set(on);
    };
    // The cards are rebuilt only when the frame shown (or its modality) changes, not on every viewer change
    // (a window drag, a decoded prefetch, an overlay setting): a rebuilt card loses its controls mid-drag.
    let shown = Memo::new(move |_| viewer.read(|c| c.current_frame(c.active).map(|f| (f.meta.key.clone(), c.modality(c.active)))));
    let body = move || {
        let catalog = state.catalog.get();
        match catalog {
            None => view! { <div class="muted">{t(Msg::AiLoadingModels)}</div> }.into_any(),
            Some(Err(e)) => view! { <div class="ai-error" data-testid="ai-error">{e}</div> }.into_any(),
            Some(Ok(_)) => {
                // Read (not only tracked): a memo computes, and so follows its sources, when read.
                let _ = shown.get();
                let frame = viewer.with(|c| c.current_frame(c.active));
                let Some(frame) = frame else {
                    return view! { <div class="muted">{t(Msg::AiNoImage)}</div> }.into_any();
                };
                let models = untrack(|| matching_models(viewer, state.catalog));
                if models.is_empty() {
                    return view! { <div class="muted" data-testid="ai-none">{t(Msg::AiNoModels)}</div> }.into_any();
                }
                models
                    .into_iter()
                    .map(|m| {
                        if m.task == Task::Segmentation {
                            view! { <super::ai_seg::SegmentationCard viewer state manifest=m frame=frame.clone() /> }.into_any()
                        } else {
                            view! { <ModelCard viewer state manifest=m frame=frame.clone() /> }.into_any()
                        }
                    })
                    .collect_view()
                    .into_any()
            }
        }
    };
    view! {
        <aside class="ai-panel" data-testid="ai-panel" aria-label=t(Msg::AiPanelTitle)>
            <header class="ai-head">
                <strong>{t(Msg::AiPanelTitle)}</strong>
                <span class="ai-backend" data-testid="ai-backend" title=move || backend().map(|b| b.1).unwrap_or_default()>
                    {move || backend().map(|b| b.0).unwrap_or_default()}
                </span>
                <button class="tool" on:click=move |_| on_close.run(())>{t(Msg::Close)}</button>
            </header>
            <label class="ai-auto">
                <input type="checkbox" data-testid="ai-auto" prop:checked=move || state.auto.get() on:change=on_auto />
                " "{t(Msg::AiAuto)}
            </label>
            {move || client.worker_error().map(|e| view! { <div class="ai-error" data-testid="ai-error">{e}</div> })}
            {body}
        </aside>
    }
}

#[component]
fn ModelCard(
    viewer: Viewer,
    state: AiState,
    manifest: ModelManifest,
    frame: std::rc::Rc<lumen_frames::DecodedFrame>,
) -> impl IntoView {
    let client = state.client;
    let key = frame.meta.key.clone();
    let save = SaveButton { viewer, state, manifest: manifest.clone(), frame: key.clone() };
    let id = manifest.id.clone();
    let qc = is_qc(&manifest);
    let m_run = manifest.clone();
    let f_run = StoredValue::new_local(frame.clone());
    let run = move |_| f_run.with_value(|f| client.run(&m_run, f, qc));
    let id_state = id.clone();
    let key_state = key.clone();
    let status = move || (client.model_state(&id_state), client.run_state(&id_state, &key_state));
    let outputs = manifest.outputs.clone();
    let id_retry = id.clone();
    let key_retry = key.clone();
    let card_url = format!("{}/{}/{}", ai::client::MODELS_ROOT, manifest.id, manifest.card);
    view! {
        <section class="ai-model" data-model=id.clone() data-testid="ai-model">
            <div class="ai-model-name">
                {manifest.name.clone()}" "<span class="muted">{format!("v{}", manifest.version)}</span>
            </div>
            {move || {
                let (model, run_state) = status();
                if let Some(busy) = busy_view(client, &model, &run_state, &id_retry, &key_retry) {
                    return busy;
                }
                match run_state {
                    Some(RunState::Done { probabilities, findings, backend, ms }) => {
                        let saved = save.view(probabilities.clone(), findings.clone(), backend);
                        view! { {result_view(viewer, &outputs, qc, probabilities, findings, backend, ms)} {saved} }.into_any()
                    }
                    // Nothing yet (a classifier never answers with a label map; offer a fresh run if one ever does).
                    _ => view! {
                        <button class="tool" data-action="ai-run" on:click=run.clone()>{t(Msg::AiRun)}</button>
                    }.into_any(),
                }
            }}
            <StoredReports state model=id.clone() frame=key.clone() />
            <div class="ai-disclaimer">{manifest.disclaimer.clone()}" "
                <a href=card_url target="_blank" rel="noopener">{t(Msg::AiModelCard)}</a>
            </div>
        </section>
    }
}

/// What a model card shows while its model loads (progress, cancel), after a failure (the message, retry) or
/// while it runs on this frame (cancel); `None` in the other states, which each card shows its own way.
pub(super) fn busy_view(
    client: crate::ai::AiClient,
    model: &ModelState,
    run: &Option<RunState>,
    id: &str,
    key: &lumen_frames::FrameKey,
) -> Option<AnyView> {
    Some(match (model, run) {
        (ModelState::Loading { job, stage, done, total }, _) => {
            let job = *job;
            let label = if *stage == Stage::Download { t(Msg::AiDownloading) } else { t(Msg::AiPreparing) };
            let pct = if *total > 0 { *done as f64 / *total as f64 * 100.0 } else { 0.0 };
            view! {
                <div class="ai-progress" data-testid="ai-progress">
                    <span>{label}</span>
                    <div class="progress"><div class="progress-bar" style=format!("width:{pct:.0}%")></div></div>
                    <button class="tool" data-action="ai-cancel" on:click=move |_| client.cancel(job)>{t(Msg::AiCancel)}</button>
                </div>
            }
            .into_any()
        }
        (ModelState::Failed(e), _) | (_, Some(RunState::Failed(e))) => {
            let (id, key) = (id.to_string(), key.clone());
            view! {
                <div class="ai-error" data-testid="ai-error">{e.clone()}</div>
                <button class="tool" on:click=move |_| client.forget(&id, &key)>{t(Msg::Retry)}</button>
            }
            .into_any()
        }
        (_, Some(RunState::Running { job })) => {
            let job = *job;
            view! {
                <div class="ai-progress"><span class="spinner"></span>" "{t(Msg::AiRunning)}
                    <button class="tool" data-action="ai-cancel" on:click=move |_| client.cancel(job)>{t(Msg::AiCancel)}</button>
                </div>
            }
            .into_any()
        }
        _ => return None,
    })
}

fn result_view(
    viewer: Viewer,
    outputs: &[lumen_infer::manifest::OutputLabel],
    qc: bool,
    probabilities: Vec<f32>,
    findings: Vec<lumen_infer::qc_rules::Finding>,
    backend: Backend,
    ms: f64,
) -> AnyView {
    let top = probabilities
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let top_name = outputs.get(top).map(|o| o.name.clone()).unwrap_or_default();
    let badge = (qc && CORRECTABLE.contains(&top_name.as_str())).then(|| {
        let label = top_name.clone();
        let text = qc_message(&label).map(t).unwrap_or_default();
        let fix = move |_| {
            let label = label.clone();
            viewer.update(|c| {
                let i = c.active;
                c.correct_presentation(i, &label);
            });
        };
        view! {
            <div class="qc-badge" data-testid="qc-badge" data-label=top_name.clone() role="alert">
                "⚠ "{text}" "
                <button class="tool" data-action="qc-fix" on:click=fix>{t(Msg::AiFix)}</button>
            </div>
        }
    });
    let ok = (qc && top_name == "ok").then(|| view! { <div class="qc-ok" data-testid="qc-ok">"✓ "{t(Msg::QcOk)}</div> });
    let rows = outputs
        .iter()
        .zip(&probabilities)
        .map(|(o, p)| {
            let colour = format!("background:rgb({},{},{});width:{:.0}%", o.colour[0], o.colour[1], o.colour[2], p * 100.0);
            let name = if qc { qc_message(&o.name).map(t).map(str::to_string).unwrap_or_else(|| o.display.clone()) } else { o.display.clone() };
            view! {
                <li data-label=o.name.clone() data-probability=format!("{p:.4}") data-testid="ai-probability">
                    <span class="ai-label">{name}</span>
                    <span class="ai-bar"><span style=colour></span></span>
                    <span class="ai-value">{format!("{:.0}%", p * 100.0)}</span>
                </li>
            }
        })
        .collect_view();
    let findings = findings
        .into_iter()
        .map(|f| {
            let text = qc_message(&f.rule).map(t).unwrap_or_default();
            view! {
                <div class="qc-badge qc-rule" data-testid="qc-rule" data-rule=f.rule.clone() title=f.message.clone()>
                    "⚠ "{text}{format!(" · {:.0}%", f.value * 100.0)}
                </div>
            }
        })
        .collect_view();
    let backend = match backend {
        Backend::WebGpu => "WebGPU",
        Backend::Cpu => "CPU",
    };
    view! {
        {badge}
        {ok}
        {findings}
        {(!qc).then(|| view! { <div class="ai-triage-note">{t(Msg::AiTriageNote)}</div> })}
        <ul class="ai-probabilities">{rows}</ul>
        <div class="muted ai-timing">{format!("{backend} · {ms:.0} ms")}</div>
    }
    .into_any()
}

/// "Save to archive" under a result: stores the result as a DICOM SR (TID 1500) in the image's study.
#[derive(Clone)]
struct SaveButton {
    viewer: Viewer,
    state: AiState,
    manifest: ModelManifest,
    frame: lumen_frames::FrameKey,
}

/// Where saving stands.
#[derive(Clone, PartialEq)]
enum Saving {
    Idle,
    Busy,
    Failed(String),
}

impl SaveButton {
    fn view(&self, probabilities: Vec<f32>, findings: Vec<lumen_infer::qc_rules::Finding>, backend: Backend) -> AnyView {
        let root = self.viewer.read(|c| c.dicomweb_root.clone());
        if root.is_empty() {
            // Files from disk: there is no archive to save to.
            return ().into_any();
        }
        let saving = RwSignal::new(Saving::Idle);
        let (viewer, state, manifest, frame) = (self.viewer, self.state, self.manifest.clone(), self.frame.clone());
        let already = {
            let (id, sop) = (manifest.id.clone(), frame.sop_instance_uid.clone());
            move || state.stored.with(|s| s.iter().any(|r| r.model_id == id && r.source_sop_instance_uid == sop))
        };
        let save = move |_| {
            let instance = viewer.read(|c| c.current_instance(c.active));
            let Some(instance) = instance else {
                saving.set(Saving::Failed("no metadata for this image".into()));
                return;
            };
            saving.set(Saving::Busy);
            let (root, manifest, probabilities, findings, frame_number) =
                (root.clone(), manifest.clone(), probabilities.clone(), findings.clone(), frame.frame_number);
            let backend = match backend {
                Backend::WebGpu => "WebGPU",
                Backend::Cpu => "CPU",
            };
            leptos::task::spawn_local(async move {
                let result = ai::save::save_classification(
                    &root, &instance, frame_number, &manifest, &probabilities, &findings, backend,
                )
                .await;
                match result {
                    Ok(summary) => {
                        state.stored.try_update(|s| s.push(summary));
                        saving.try_set(Saving::Idle);
                    }
                    Err(e) => {
                        saving.try_set(Saving::Failed(e));
                    }
                }
            });
        };
        view! {
            {move || match saving.get() {
                Saving::Busy => view! { <div class="muted"><span class="spinner"></span>" "{t(Msg::AiSaving)}</div> }.into_any(),
                Saving::Failed(e) => view! { <div class="ai-error" data-testid="ai-save-error">{e}</div> }.into_any(),
                Saving::Idle => ().into_any(),
            }}
            <Show when=move || !already() && saving.get() != Saving::Busy>
                <button class="tool" data-action="ai-save" on:click=save.clone()>{t(Msg::AiSave)}</button>
            </Show>
        }
        .into_any()
    }
}

/// The reports of this model on this image already in the archive.
#[component]
fn StoredReports(state: AiState, model: String, frame: lumen_frames::FrameKey) -> impl IntoView {
    let reports = move || {
        state.stored.with(|s| {
            s.iter()
                .filter(|r| r.model_id == model && r.source_sop_instance_uid == frame.sop_instance_uid)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    move || {
        reports()
            .into_iter()
            .map(|r| {
                let date = crate::dicom_text::date(&r.content_date);
                let time: String = r.content_time.chars().take(4).collect();
                let time = if time.len() == 4 { format!("{}:{}", &time[..2], &time[2..]) } else { time };
                let finding = r.finding.as_ref().map(|c| c.meaning.clone()).unwrap_or_default();
                let top = r.finding.as_ref().and_then(|c| r.probability(c)).map(|p| format!(" {:.0}%", p * 100.0)).unwrap_or_default();
                view! {
                    <div class="ai-stored" data-testid="ai-stored" data-sr-uid=r.sr_sop_instance_uid.clone()>
                        {t(Msg::AiStored)}" · "{date}" "{time}" · v"{r.model_version.clone()}" · "{finding}{top}
                    </div>
                }
            })
            .collect_view()
    }
}
