//! The study list (worklist): every study of the data source, newest first, searchable by patient name, each row
//! opening the study in the viewer.
//!
//! The search is kept in the address bar (`/?PatientName=DOE`), so Back from the viewer and a reload return to the
//! same list. This page only arranges the search box, the count and the table; it must not build QIDO queries
//! (that is `data_source`) and shows DICOM values only as text.

mod search_box;
mod sort;
mod table;

use crate::data_source::{DataSource, StudyPage};
use crate::feedback::{EmptyPanel, ErrorPanel, Load, Loader, LoadingPanel};
use crate::i18n::{study_count, t, use_lang, Msg};
use crate::local_file::OpenFileButton;
use leptos::prelude::*;
use search_box::SearchBox;
use sort::StudySort;
use table::StudyTable;
use wasm_bindgen::JsValue;

/// The query parameter holding the patient-name search, named after the QIDO-RS matching key.
const SEARCH_PARAM: &str = "PatientName";

#[component]
pub fn StudyListPage(source: DataSource) -> impl IntoView {
    let lang = use_lang();
    let source = StoredValue::new(source);
    let query = RwSignal::new(search_from_url());
    let loader = Loader::<StudyPage>::new();
    let sort = RwSignal::new(StudySort::default());

    let search = move || {
        let name = query.get_untracked();
        loader.start(async move { source.get_value().search_studies(&name).await });
    };
    Effect::new(move |_| {
        let name = query.get();
        remember_search_in_url(&name);
        search();
    });

    let count = move || match (loader.busy.get(), loader.state.get()) {
        (true, Load::Ready(_)) => view! {
            <span class="spinner" aria-hidden="true"></span>
            {t(Msg::Searching)}
        }
        .into_any(),
        (false, Load::Ready(page)) => {
            study_count(lang, page.studies.len(), page.limit_reached).into_any()
        }
        _ => ().into_any(),
    };

    view! {
        <section class="page">
            <div class="page-header">
                <h1 class="page-title">{t(Msg::StudyListTitle)}</h1>
                <SearchBox query=query on_submit=Callback::new(move |()| search()) />
                <span class="result-count" data-testid="result-count" aria-live="polite">{count}</span>
                <OpenFileButton />
            </div>
            {move || match loader.state.get() {
                Load::Loading => view! { <LoadingPanel message=Msg::LoadingStudies /> }.into_any(),
                Load::Failed(error) => view! {
                    <ErrorPanel title=Msg::LoadStudiesFailed error on_retry=Callback::new(move |()| search()) />
                }.into_any(),
                Load::Ready(page) if page.studies.is_empty() => {
                    let message = if query.get_untracked().trim().is_empty() { Msg::NoStudies } else { Msg::NoStudiesMatching };
                    view! { <EmptyPanel message /> }.into_any()
                }
                Load::Ready(page) => view! { <StudyTable studies=page.studies sort /> }.into_any(),
            }}
        </section>
    }
}

/// The patient-name search in the current URL (`?PatientName=…`), or empty.
fn search_from_url() -> String {
    let search = location().search().unwrap_or_default();
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()
        .and_then(|p| p.get(SEARCH_PARAM))
        .unwrap_or_default()
}

/// Puts the search into the address bar without adding a history entry (each keystroke is not a page).
fn remember_search_in_url(name: &str) {
    let href = match web_sys::UrlSearchParams::new() {
        Ok(params) if !name.trim().is_empty() => {
            params.set(SEARCH_PARAM, name);
            format!("/?{}", String::from(params.to_string()))
        }
        _ => "/".to_string(),
    };
    if let Ok(history) = window().history() {
        // Only the address bar is affected if this fails; the list is already right.
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&href));
    }
}
