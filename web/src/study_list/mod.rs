//! The study list (worklist): the studies of the data source a page at a time, newest first within the page,
//! searchable by patient name, Patient ID, Accession Number, study date range and modality, each row opening the
//! study in the viewer.
//!
//! The search and the page are kept in the address bar (`/?PatientName=DOE&ModalitiesInStudy=CT&offset=50`), so
//! Back from the viewer and a reload return to the same list. This page only arranges the search box, the count and the table; it must not build QIDO queries
//! (that is `data_source`) and shows DICOM values only as text.

mod search_box;
mod sort;
mod table;
mod triage;

use crate::data_source::{DataSource, StudyPage, StudySearch, STUDY_PAGE};
use crate::feedback::{EmptyPanel, ErrorPanel, Load, Loader, LoadingPanel};
use crate::i18n::{study_count, t, use_lang, Msg};
use crate::local_file::OpenFileButton;
use leptos::prelude::*;
use search_box::{SearchBox, SearchFilters};
use sort::StudySort;
use table::StudyTable;
use triage::{Scoring, Triage};
use wasm_bindgen::JsValue;

#[component]
pub fn StudyListPage(source: DataSource) -> impl IntoView {
    let lang = use_lang();
    let source = StoredValue::new(source);
    let query = RwSignal::new(search_from_url());
    let loader = Loader::<StudyPage>::new();
    let sort = RwSignal::new(StudySort::default());
    let triage = Triage::new();
    // Scores already stored in the archive, for each page shown.
    Effect::new(move |_| {
        if let Load::Ready(page) = loader.state.get() {
            triage.load_stored(source.get_value(), page.studies);
        }
    });
    let score_page = move |_| {
        if let Load::Ready(page) = loader.state.get_untracked() {
            triage.score_on_server(source.get_value(), page.studies);
        }
    };
    let triage_bar = move || {
        if triage.models.with(|m| m.is_empty()) {
            return ().into_any();
        }
        let status = match triage.scoring.get() {
            Scoring::Running { done, total } => view! {
                <span data-testid="triage-progress" data-done=done data-total=total>
                    <span class="spinner" aria-hidden="true"></span>
                    {format!(" {done} / {total} ")}
                </span>
                <button class="tool" data-action="triage-cancel" on:click=move |_| triage.cancel()>{t(Msg::AiCancel)}</button>
            }
            .into_any(),
            Scoring::Failed(e) => view! {
                <span class="ai-error" data-testid="triage-error">{e}</span>
                <button class="tool" data-action="triage-score" on:click=score_page>{t(Msg::TriageScorePage)}</button>
            }
            .into_any(),
            Scoring::Idle => view! {
                <button class="tool" data-action="triage-score" on:click=score_page>{t(Msg::TriageScorePage)}</button>
            }
            .into_any(),
        };
        let sorted = move || sort.get().key == sort::SortKey::Triage;
        view! {
            <div class="triage-bar-row" data-testid="triage-bar">
                {status}
                <span class="muted">{t(Msg::AiTriageNote)}</span>
                <Show when=sorted>
                    <span class="muted" data-testid="triage-sorted">" · "{t(Msg::TriageSorted)}</span>
                </Show>
            </div>
        }
        .into_any()
    };

    let search = move || {
        let wanted = query.get_untracked();
        loader.start(async move { source.get_value().search_studies(&wanted).await });
    };
    Effect::new(move |_| {
        let wanted = query.get();
        remember_search_in_url(&wanted);
        search();
    });
    let page_to = move |delta: isize| {
        query.update(|q| {
            q.offset = (q.offset as isize + delta * STUDY_PAGE as isize).max(0) as usize
        })
    };
    let pager = move || match loader.state.get() {
        Load::Ready(page) if page.offset > 0 || page.has_more => view! {
            <nav class="pager" data-testid="pager">
                <button class="tool" data-testid="previous-page" disabled=page.offset == 0
                    on:click=move |_| page_to(-1)>{t(Msg::PreviousPage)}</button>
                <button class="tool" data-testid="next-page" disabled=!page.has_more
                    on:click=move |_| page_to(1)>{t(Msg::NextPage)}</button>
            </nav>
        }
        .into_any(),
        _ => ().into_any(),
    };

    let count = move || match (loader.busy.get(), loader.state.get()) {
        (true, Load::Ready(_)) => view! {
            <span class="spinner" aria-hidden="true"></span>
            {t(Msg::Searching)}
        }
        .into_any(),
        (false, Load::Ready(page)) => {
            study_count(lang, page.offset, page.studies.len(), page.has_more).into_any()
        }
        _ => ().into_any(),
    };

    view! {
        <section class="page">
            <div class="page-header">
                <h1 class="page-title">{t(Msg::StudyListTitle)}</h1>
                <SearchBox search=query on_submit=Callback::new(move |()| search()) />
                <span class="result-count" data-testid="result-count" aria-live="polite">{count}</span>
                <OpenFileButton />
            </div>
            <SearchFilters search=query />
            {move || match loader.state.get() {
                Load::Loading => view! { <LoadingPanel message=Msg::LoadingStudies /> }.into_any(),
                Load::Failed(error) => view! {
                    <ErrorPanel title=Msg::LoadStudiesFailed error on_retry=Callback::new(move |()| search()) />
                }.into_any(),
                Load::Ready(page) if page.studies.is_empty() => {
                    let message = if query.with_untracked(StudySearch::is_filtered) { Msg::NoStudiesMatching } else { Msg::NoStudies };
                    view! { <EmptyPanel message /> }.into_any()
                }
                Load::Ready(page) => view! { {triage_bar} <StudyTable studies=page.studies sort triage /> }.into_any(),
            }}
            {pager}
        </section>
    }
}

/// The search in the current URL (see [`StudySearch::from_params`]).
fn search_from_url() -> StudySearch {
    let search = location().search().unwrap_or_default();
    match web_sys::UrlSearchParams::new_with_str(&search) {
        Ok(params) => StudySearch::from_params(|key| params.get(key)),
        Err(_) => StudySearch::default(),
    }
}

/// Puts the search into the address bar without adding a history entry (each keystroke is not a page).
fn remember_search_in_url(search: &StudySearch) {
    let query = match web_sys::UrlSearchParams::new() {
        Ok(params) => {
            for (key, value) in search.to_params() {
                params.set(key, &value);
            }
            String::from(params.to_string())
        }
        Err(_) => String::new(),
    };
    crate::routes::remember_list_query(&query);
    let href = crate::routes::Route::StudyList.href();
    if let Ok(history) = window().history() {
        // Only the address bar is affected if this fails; the list is already right.
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&href));
    }
}
