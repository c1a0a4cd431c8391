//! The study view, `/viewer?StudyInstanceUIDs=…[&SeriesInstanceUIDs=…]`: a reading workstation with a series
//! panel (thumbnails drawn in the browser from each series' middle frame), a toolbar (layouts, tools, window
//! presets, view operations, cine), and a grid of viewports drawn by `lumen-render` on one canvas, each with its
//! corner overlays, orientation markers, scale bar, scrollbar and loading or error state.
//!
//! Hanging protocol in `hanging`, layouts in `layout`, window presets in `presets`, the state (series, cache,
//! prefetch, viewports, GPU) in `state`, decode workers in `decode_pool`, overlay texts in `overlay`, the DICOM tag
//! browser in `tag_browser`, keyboard shortcuts in `shortcuts`. It must not decode pixels (workers do) nor insert
//! DICOM values as HTML.

mod ai_panel;
mod ai_seg;
mod decode_pool;
mod hanging;
mod layout;
mod overlay;
mod presets;
mod shortcuts;
mod state;
mod tag_browser;
mod viewport;

use crate::data_source::{DataSource, LoadError, SeriesSummary, StudySummary};
use crate::dicom_text;
use crate::feedback::{EmptyPanel, ErrorPanel, Load, Loader, LoadingPanel};
use crate::i18n::{t, Msg};
use crate::routes::{use_router, Route};
pub use decode_pool::start_worker;
use layout::Layout;
use leptos::prelude::*;
pub use state::LocalSeries;
use state::{SeriesEntry, Viewer};

/// The absolute DICOMweb root (workers resolve URLs against their own script otherwise).
fn absolute_root(root: &str) -> String {
    if root.starts_with('/') {
        format!("{}{root}", location().origin().unwrap_or_default())
    } else {
        root.to_string()
    }
}

#[component]
pub fn ViewerPage(
    source: DataSource,
    study_instance_uids: Vec<String>,
    series_instance_uids: Vec<String>,
) -> impl IntoView {
    if study_instance_uids.is_empty() {
        return view! { <section class="page"><EmptyPanel message=Msg::NoStudySelected /></section> }.into_any();
    }
    let viewer = Viewer::new(absolute_root(&source.dicomweb_root));
    let loader = Loader::<Vec<(StudySummary, Vec<SeriesSummary>)>>::new();
    let request = StoredValue::new((source, study_instance_uids));
    let load = move || {
        let (source, uids) = request.get_value();
        loader.start(async move {
            let mut out = Vec::new();
            for uid in uids {
                let study = source.study(&uid).await?;
                let series = source.series(&uid).await?;
                let study = study.unwrap_or_else(|| StudySummary {
                    study_instance_uid: uid.clone(),
                    ..Default::default()
                });
                out.push((study, series));
            }
            Ok::<_, LoadError>(out)
        });
    };
    load();
    let attach = move |studies: &[(StudySummary, Vec<SeriesSummary>)]| {
        let all: Vec<(String, SeriesSummary)> = studies
            .iter()
            .flat_map(|(st, series)| {
                series
                    .iter()
                    .map(|s| (st.study_instance_uid.clone(), s.clone()))
            })
            .collect();
        viewer.set_series(all);
    };
    study_view(
        viewer,
        loader,
        Callback::new(move |()| load()),
        series_instance_uids,
        attach,
    )
}

/// The study view of series opened from the reader's disk (`/local`): the same workstation as for an archive's
/// studies, the frames decoded from the files in the decode workers (nothing is uploaded).
#[component]
pub fn LocalStudyView(studies: std::rc::Rc<crate::local_file::LocalStudies>) -> impl IntoView {
    let viewer = Viewer::new(String::new());
    let loader = Loader::<Vec<(StudySummary, Vec<SeriesSummary>)>>::new();
    let list = studies.studies.clone();
    loader.start(async move { Ok::<_, LoadError>(list) });
    let studies = StoredValue::new_local(studies);
    let attach = move |_: &[(StudySummary, Vec<SeriesSummary>)]| {
        let (series, files) = studies.with_value(|s| s.for_viewer());
        viewer.set_local_series(series, files);
    };
    study_view(viewer, loader, Callback::new(|()| {}), Vec::new(), attach)
}

/// The workstation around `viewer` once `loader` has the studies: `attach` registers their series with the viewer
/// (once), then the hanging protocol places them (`requested` series first).
fn study_view(
    viewer: Viewer,
    loader: Loader<Vec<(StudySummary, Vec<SeriesSummary>)>>,
    on_retry: Callback<()>,
    requested: Vec<String>,
    attach: impl Fn(&[(StudySummary, Vec<SeriesSummary>)]) + 'static,
) -> AnyView {
    let requested = StoredValue::new(requested);
    let attached = StoredValue::new(false);
    let hung = StoredValue::new(false);
    // The hanging protocol waits for the CT/MR series' metadata (their slice normals tell which is axial; the hung
    // series needs its metadata before any frame anyway), but not longer than this.
    let waited_enough = RwSignal::new(false);
    set_timeout(
        move || {
            waited_enough.try_set(true);
        },
        std::time::Duration::from_secs(3),
    );
    Effect::new(move |_| {
        let Load::Ready(studies) = loader.state.get() else {
            return;
        };
        if !attached.get_value() {
            attached.set_value(true);
            attach(&studies);
        }
        if hung.get_value() {
            return;
        }
        let summaries: Vec<SeriesSummary> = studies
            .iter()
            .flat_map(|(_, series)| series.iter().cloned())
            .collect();
        let requested = requested.get_value();
        let loading = viewer.read(|c| {
            summaries.iter().any(|s| {
                (s.modality == "CT" || s.modality == "MR")
                    && matches!(
                        c.series.get(&s.series_instance_uid),
                        None | Some(SeriesEntry::Loading)
                    )
            })
        });
        if requested.is_empty() && loading && !waited_enough.get() {
            return;
        }
        hung.set_value(true);
        let plan = hanging::hang_with_geometry(&summaries, &requested, |uid| {
            viewer.with(|c| c.series_normal(uid))
        });
        viewer.hang(plan.layout, plan.viewports, plan.cine);
    });
    provide_context(viewport::ToolSignal(RwSignal::new(
        viewport::Tool::WindowLevel,
    )));
    let help = RwSignal::new(false);
    let tags_open = RwSignal::new(false);
    provide_context(Panels {
        help,
        tags: tags_open,
    });
    let ai = ai_panel::AiState::new(viewer);
    provide_context(ai);
    // Lumen's reports already stored in the open studies' SR series.
    let reports_read = StoredValue::new(false);
    Effect::new(move |_| {
        let Load::Ready(studies) = loader.state.get() else {
            return;
        };
        if reports_read.get_value() {
            return;
        }
        reports_read.set_value(true);
        let root = viewer.with(|c| c.dicomweb_root.clone());
        for (study, series) in studies.iter() {
            let sr: Vec<String> = series
                .iter()
                .filter(|s| s.modality == "SR")
                .map(|s| s.series_instance_uid.clone())
                .collect();
            ai.load_stored(root.clone(), study.study_instance_uid.clone(), sr);
            let seg: Vec<String> = series
                .iter()
                .filter(|s| s.modality == "SEG")
                .map(|s| s.series_instance_uid.clone())
                .collect();
            ai.load_stored_segs(viewer, root.clone(), study.study_instance_uid.clone(), seg);
        }
    });
    // The panel opens by itself the first time a model that runs automatically (a classifier: triage, QC) applies
    // to the image shown; segmentation models run when asked, from the panel.
    let ai_opened = StoredValue::new(false);
    Effect::new(move |_| {
        if ai_opened.get_value() {
            return;
        }
        let applies = ai.catalog.with(|c| matches!(c, Some(Ok(l)) if !l.is_empty()))
            && viewer.read(|c| {
                let m = c.modality(c.active);
                c.current_frame(c.active).is_some() && !m.is_empty()
            })
            && ai.catalog.with(|c| {
                let m = viewer.read(|c| c.modality(c.active));
                matches!(c, Some(Ok(l)) if l.iter().any(|x| x.matches_modality(&m) && ai_panel::runs_automatically(x)))
            });
        if applies {
            ai_opened.set_value(true);
            ai.open.set(true);
        }
    });
    shortcuts::install(viewer);

    view! {
        <section class="viewer" data-testid="viewer">
            {move || match loader.state.get() {
                Load::Loading => view! { <LoadingPanel message=Msg::LoadingSeries /> }.into_any(),
                Load::Failed(error) => view! {
                    <ErrorPanel title=Msg::LoadSeriesFailed error on_retry />
                }
                .into_any(),
                Load::Ready(studies) => view! {
                    <Toolbar viewer />
                    <div class="viewer-body">
                        <SeriesPanel viewer studies />
                        <viewport::ViewportGrid viewer />
                        <Show when=move || tags_open.get()>
                            <tag_browser::TagBrowser viewer on_close=Callback::new(move |()| tags_open.set(false)) />
                        </Show>
                        <Show when=move || ai.open.get()>
                            <ai_panel::AiPanel viewer state=ai on_close=Callback::new(move |()| ai.open.set(false)) />
                        </Show>
                    </div>
                    <Show when=move || help.get()>
                        <shortcuts::HelpOverlay on_close=Callback::new(move |()| help.set(false)) />
                    </Show>
                }
                .into_any(),
            }}
        </section>
    }
    .into_any()
}

/// The series of the open studies, each with its thumbnail, modality, description, image count and loading
/// progress. Click loads a series into the active viewport; drag drops it onto any viewport.
#[component]
fn SeriesPanel(viewer: Viewer, studies: Vec<(StudySummary, Vec<SeriesSummary>)>) -> impl IntoView {
    let router = use_router();
    let back = move |ev: leptos::ev::MouseEvent| {
        if !(ev.ctrl_key() || ev.meta_key() || ev.shift_key()) {
            ev.prevent_default();
            router.navigate(Route::StudyList);
        }
    };
    view! {
        <aside class="series-panel" data-testid="series-panel">
            <a class="back" href="/" on:click=back>{t(Msg::BackToStudyList)}</a>
            {studies
                .into_iter()
                .map(|(study, series)| {
                    let facts = format!(
                        "{} {} · {} {} · {} {}",
                        t(Msg::FactPatientId),
                        study.patient_id,
                        t(Msg::FactStudyDate),
                        dicom_text::date(&study.study_date),
                        t(Msg::FactAccession),
                        study.accession_number
                    );
                    let empty = series.is_empty();
                    let title = if study.description.is_empty() { t(Msg::StudyListTitle).to_string() } else { study.description.clone() };
                    view! {
                        <div class="series-study" data-testid="study">
                            <div class="series-study-title">{title}</div>
                            <div class="series-study-facts" title=facts>
                                <strong>{dicom_text::person_name(&study.patient_name)}</strong>
                                " · "{study.patient_id.clone()}" · "{dicom_text::date(&study.study_date)}
                            </div>
                        </div>
                        <div class="series-heading">{t(Msg::SeriesListTitle)}</div>
                        {empty.then(|| view! { <div class="muted">{t(Msg::NoSeries)}</div> })}
                        <ul class="series-list" data-testid="series-list">
                            {series.into_iter().map(|s| view! { <SeriesItem viewer series=s /> }).collect_view()}
                        </ul>
                    }
                })
                .collect_view()}
        </aside>
    }
}

#[component]
fn SeriesItem(viewer: Viewer, series: SeriesSummary) -> impl IntoView {
    let uid = series.series_instance_uid.clone();
    let uid_click = uid.clone();
    let uid_drag = uid.clone();
    let uid_thumb = uid.clone();
    let uid_state = uid.clone();
    let uid_active = uid.clone();
    let load = move || {
        let uid = uid_click.clone();
        viewer.update(|c| {
            let active = c.active;
            c.load_into(active, &uid, 0);
        });
    };
    let load_on_key = load.clone();
    let on_click = move |_| load();
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.stop_propagation();
            load_on_key();
        }
    };
    let on_drag = move |ev: leptos::ev::DragEvent| {
        if let Some(dt) = ev.data_transfer() {
            let _ = dt.set_data("text/x-lumen-series", &uid_drag);
            let _ = dt.set_data("text/plain", &uid_drag);
        }
    };
    let thumb = move || {
        viewer.read(|c| {
            (
                c.thumbnails.get(&uid_thumb).cloned(),
                c.thumbnail_failed.contains(&uid_thumb),
            )
        })
    };
    // "decoded/total" frames, for integrators' scripts and the transfer benchmark (e2e/bench/transfer.js).
    let uid_loaded = uid_state.clone();
    let loaded = move || {
        viewer.read(|c| match c.series.get(&uid_loaded) {
            Some(SeriesEntry::Ready(d)) => {
                let p = d.load.progress();
                format!("{}/{}", p.loaded, p.total)
            }
            _ => String::new(),
        })
    };
    let status = move || {
        viewer.read(|c| match c.series.get(&uid_state) {
            Some(SeriesEntry::Ready(d)) => {
                let p = d.load.progress();
                let errors = d.load.errors().len();
                // The bar shows while frames of the series are being fetched and decoded.
                (Some(p.fraction()).filter(|_| p.loading > 0), errors, None)
            }
            Some(SeriesEntry::Failed(e)) => (None, 0, Some(e.clone())),
            _ => (None, 0, None),
        })
    };
    let shown = move || {
        viewer.read(|c| {
            c.viewports
                .iter()
                .any(|v| v.series.as_deref() == Some(uid_active.as_str()))
        })
    };
    let label = format!(
        "{} {} · {} {} · {} {}",
        t(Msg::ColSeriesNumber),
        series
            .series_number
            .map(|n| n.to_string())
            .unwrap_or_default(),
        t(Msg::ColSeriesDescription),
        series.description,
        t(Msg::ColBodyPart),
        series.body_part
    );
    view! {
        <li
            class="series-item"
            class:shown=shown
            data-series-uid=uid
            data-testid="series-item"
            data-loaded=loaded
            draggable="true"
            title=label
            tabindex="0"
            on:click=on_click
            on:keydown=on_key
            on:dragstart=on_drag
        >
            <div class="series-thumb">
                {move || match thumb() {
                    (Some(src), _) => view! { <img src=src alt="" /> }.into_any(),
                    (None, true) => view! { <span class="thumb-failed" title=t(Msg::NoImages)>"✕"</span> }.into_any(),
                    (None, false) => view! { <span class="spinner"></span> }.into_any(),
                }}
            </div>
            <div class="series-info">
                <div class="series-line">
                    <span class="modality">{series.modality.clone()}</span>
                    <span class="series-count">{series.number_of_instances.map(|n| crate::i18n::image_count(crate::i18n::use_lang(), n)).unwrap_or_default()}</span>
                </div>
                <div class="series-desc" title=series.description.clone()>{series.description.clone()}</div>
                {move || {
                    let (fraction, errors, failed) = status();
                    view! {
                        {fraction.filter(|f| *f < 1.0).map(|f| view! {
                            <div class="progress" data-testid="series-progress"><div class="progress-bar" style=format!("width:{:.0}%", f * 100.0)></div></div>
                        })}
                        {(errors > 0).then(|| view! { <div class="series-error">{format!("{errors} ")}{t(Msg::FramesFailed)}</div> })}
                        {failed.map(|e| view! { <div class="series-error">{e}</div> })}
                    }
                }}
            </div>
        </li>
    }
}

/// The toolbar: layouts, mouse tool, window presets, view operations, cine, tags and help, GPU backend.
#[component]
fn Toolbar(viewer: Viewer) -> impl IntoView {
    let tool = expect_context::<viewport::ToolSignal>().0;
    let panels = expect_context::<Panels>();
    let ai = expect_context::<ai_panel::AiState>();
    let act = move |f: fn(&mut state::ViewerCore, usize)| {
        move |_| {
            viewer.update(|c| {
                let i = c.active;
                f(c, i)
            })
        }
    };
    let presets = move || {
        viewer.read(|c| {
            let i = c.active;
            c.current_frame(i)
                .map(|f| presets::presets_for(&c.modality(i), &f.meta))
                .unwrap_or_default()
        })
    };
    // The preset matching the active viewport's window, so the select shows what is applied.
    let selected = move || {
        viewer.read(|c| {
            let i = c.active;
            let Some(f) = c.current_frame(i) else {
                return String::new();
            };
            let w = c.window_of(i, &f);
            presets::presets_for(&c.modality(i), &f.meta)
                .iter()
                .position(|p| {
                    p.center == w.center && p.width == w.width && p.explanation == w.explanation
                })
                .map(|n| n.to_string())
                .unwrap_or_default()
        })
    };
    let on_preset = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let Ok(n) = value.parse::<usize>() else {
            return;
        };
        viewer.update(|c| {
            let i = c.active;
            let list = c
                .current_frame(i)
                .map(|f| presets::presets_for(&c.modality(i), &f.meta))
                .unwrap_or_default();
            if let (Some(p), Some(v)) = (list.get(n), c.viewports.get_mut(i)) {
                v.window = Some(p.clone());
            }
        });
    };
    let playing =
        move || viewer.read(|c| c.viewports.get(c.active).is_some_and(|v| v.cine.is_some()));
    let toggle_cine = move |_| shortcuts::toggle_cine(viewer);
    // A memo, not a closure over the viewer: cine bumps the viewer's revision on every frame, and re-setting the
    // field's value each time would overwrite what the reader is typing into it.
    let fps = Memo::new(move |_| {
        viewer.read(|c| {
            let v = c.viewports.get(c.active);
            v.and_then(|v| v.cine.filter(|f| *f != state::FILE_RATE).or(v.chosen_fps))
                .unwrap_or(15.0)
        })
    });
    let on_fps = move |ev: leptos::ev::Event| {
        let Ok(f) = event_target_value(&ev).parse::<f64>() else {
            return;
        };
        viewer.update(|c| {
            let i = c.active;
            if let Some(v) = c.viewports.get_mut(i) {
                let f = f.clamp(1.0, 60.0);
                v.chosen_fps = Some(f);
                if v.cine.is_some() {
                    v.cine = Some(f);
                }
            }
        });
    };
    let backend =
        move || viewer.read(|c| c.gpu.as_ref().map(|g| g.gpu.backend.as_str().to_string()));
    let gpu_error = move || viewer.read(|c| c.gpu_error.clone());
    view! {
        <div class="toolbar" role="toolbar" data-testid="toolbar">
            <div class="tool-group" aria-label=t(Msg::Layout)>
                {Layout::ALL
                    .into_iter()
                    .map(|l| {
                        let pressed = move || viewer.read(|c| c.layout == l);
                        view! {
                            <button class="tool" aria-pressed=move || pressed().to_string() data-layout=l.label()
                                on:click=move |_| viewer.update(|c| c.set_layout(l))>{l.label()}</button>
                        }
                    })
                    .collect_view()}
            </div>
            <div class="tool-group">
                {viewport::Tool::ALL
                    .into_iter()
                    .map(|tl| view! {
                        <button class="tool" aria-pressed=move || (tool.get() == tl).to_string() data-tool=tl.id()
                            title=t(tl.hint()) on:click=move |_| tool.set(tl)>{t(tl.label())}</button>
                    })
                    .collect_view()}
            </div>
            <div class="tool-group">
                <select class="tool" data-testid="preset" aria-label=t(Msg::WindowPreset) on:change=on_preset prop:value=selected>
                    <option value="" disabled=true>{t(Msg::WindowPreset)}</option>
                    {move || presets()
                        .into_iter()
                        .enumerate()
                        .map(|(n, p)| view! {
                            <option value=n.to_string()>
                                {format!("{} {}/{}", p.explanation.clone().unwrap_or_default(), state::trim_number(p.center), state::trim_number(p.width))}
                            </option>
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="tool-group">
                <button class="tool" data-action="fit" title=t(Msg::Fit) on:click=act(|c, i| c.fit(i))>{t(Msg::Fit)}</button>
                <button class="tool" data-action="actual-size" on:click=act(|c, i| c.actual_size(i))>"1:1"</button>
                <button class="tool" data-action="rotate" title=t(Msg::Rotate) on:click=act(|c, i| c.rotate(i))>"⟳ 90°"</button>
                <button class="tool" data-action="flip-h" title=t(Msg::FlipH) on:click=act(|c, i| c.flip(i, true))>"⇋"</button>
                <button class="tool" data-action="flip-v" title=t(Msg::FlipV) on:click=act(|c, i| c.flip(i, false))>"⇵"</button>
                <button class="tool" data-action="invert" title=t(Msg::Invert)
                    on:click=act(|c, i| if let Some(v) = c.viewports.get_mut(i) { v.user_invert = !v.user_invert })>{t(Msg::Invert)}</button>
                <button class="tool" data-action="smooth" title=t(Msg::Smooth)
                    aria-pressed=move || viewer.read(|c| c.viewports.get(c.active).is_some_and(|v| !v.pixelated)).to_string()
                    on:click=act(|c, i| if let Some(v) = c.viewports.get_mut(i) { v.pixelated = !v.pixelated })>{t(Msg::Smooth)}</button>
                <button class="tool" data-action="reset" on:click=act(|c, i| c.reset(i))>{t(Msg::Reset)}</button>
            </div>
            <div class="tool-group">
                <button class="tool" data-action="cine" aria-pressed=move || playing().to_string() on:click=toggle_cine>
                    {move || if playing() { "❚❚" } else { "▶" }}" "{t(Msg::Cine)}
                </button>
                <input class="tool fps" type="number" min="1" max="60" step="1" aria-label="fps" data-testid="fps"
                    prop:value=move || state::trim_number(fps.get()) on:change=on_fps />
                <span class="muted">"fps"</span>
            </div>
            <div class="tool-group">
                <button class="tool" data-action="tags" aria-pressed=move || panels.tags.get().to_string()
                    on:click=move |_| panels.tags.update(|o| *o = !*o)>{t(Msg::Tags)}</button>
                <button class="tool" data-action="ai" aria-pressed=move || ai.open.get().to_string()
                    on:click=move |_| ai.open.update(|o| *o = !*o)>{t(Msg::Ai)}</button>
                <button class="tool" data-action="help" on:click=move |_| panels.help.set(true)>"?"</button>
            </div>
            <span class="backend" data-testid="gpu-backend" title=move || gpu_error().unwrap_or_default()>
                {move || backend().map(|b| format!("GPU · {b}")).unwrap_or_else(|| gpu_error().map(|_| "GPU ✕".to_string()).unwrap_or_default())}
            </span>
        </div>
    }
}

/// Panels toggled from the toolbar and the keyboard.
#[derive(Clone, Copy)]
pub struct Panels {
    /// The keyboard shortcuts overlay.
    pub help: RwSignal<bool>,
    /// The tag browser.
    pub tags: RwSignal<bool>,
}
