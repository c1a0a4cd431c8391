//! The study table: one row per study with Patient Name, Patient ID, Study Date, Modalities, Study Description,
//! Accession Number, the numbers of series and images, and — when the server publishes a triage model — the AI
//! triage score (marked as triage support, not a diagnosis). A click (or Enter on a focused row) opens the study;
//! Ctrl/⌘-click on the patient name opens it in a new tab, as any link. Clicking a column header sorts by it.
//!
//! Every value is inserted as text (Leptos escapes it), never as HTML: DICOM strings come from outside.

use super::sort::{SortKey, StudySort};
use super::triage::Triage;
use crate::data_source::StudySummary;
use crate::dicom_text;
use crate::i18n::{t, Msg};
use crate::routes::{use_router, Route};
use leptos::prelude::*;

#[component]
pub fn StudyTable(
    /// The studies, in the archive's order.
    studies: Vec<StudySummary>,
    /// The order shown; kept by the page so it survives new searches.
    sort: RwSignal<StudySort>,
    /// AI triage scores.
    triage: Triage,
) -> impl IntoView {
    let studies = StoredValue::new(studies);
    let has_triage = move || !triage.models.with(|m| m.is_empty());
    let rows = move || {
        let mut sorted = studies.get_value();
        let scores = triage.scores.get();
        sort.get().apply(&mut sorted, |s| scores.get(&s.study_instance_uid).map(|t| t.probability));
        sorted
            .into_iter()
            .map(|study| view! { <StudyRow study triage /> })
            .collect_view()
    };
    let header = move |key: SortKey, label: Msg, class: &'static str| {
        let aria_sort = move || match sort.get() {
            StudySort {
                key: k,
                descending: true,
            } if k == key => "descending",
            StudySort {
                key: k,
                descending: false,
            } if k == key => "ascending",
            _ => "none",
        };
        let marker = move || match aria_sort() {
            "descending" => "▼",
            "ascending" => "▲",
            _ => "",
        };
        view! {
            <th scope="col" class=class aria-sort=aria_sort>
                <button type="button" class="sort" on:click=move |_| sort.update(|s| *s = s.toggled(key))>
                    {t(label)}
                    <span class="sort-marker" aria-hidden="true">{marker}</span>
                </button>
            </th>
        }
    };
    view! {
        <div class="table-wrap">
            <table class="worklist" data-testid="study-list">
                <thead>
                    <tr>
                        {header(SortKey::PatientName, Msg::ColPatientName, "")}
                        {header(SortKey::PatientId, Msg::ColPatientId, "")}
                        {header(SortKey::StudyDate, Msg::ColStudyDate, "")}
                        {header(SortKey::Modalities, Msg::ColModalities, "")}
                        {header(SortKey::Description, Msg::ColDescription, "wide")}
                        {header(SortKey::Accession, Msg::ColAccession, "wide")}
                        {header(SortKey::Series, Msg::ColSeries, "num")}
                        {header(SortKey::Instances, Msg::ColInstances, "num")}
                        <Show when=has_triage>
                            <th scope="col" class="num triage" data-testid="triage-header"
                                title=move || triage.models.with(|m| m.first().map(|m| format!("{} — {}", m.name, m.disclaimer)).unwrap_or_default())
                                aria-sort=move || match sort.get() {
                                    StudySort { key: SortKey::Triage, descending: true } => "descending",
                                    StudySort { key: SortKey::Triage, descending: false } => "ascending",
                                    _ => "none",
                                }>
                                <button type="button" class="sort" on:click=move |_| sort.update(|s| *s = s.toggled(SortKey::Triage))>
                                    {t(Msg::ColTriage)}
                                    <span class="sort-marker" aria-hidden="true">{move || match sort.get() {
                                        StudySort { key: SortKey::Triage, descending: true } => "▼",
                                        StudySort { key: SortKey::Triage, descending: false } => "▲",
                                        _ => "",
                                    }}</span>
                                </button>
                            </th>
                        </Show>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn StudyRow(study: StudySummary, triage: Triage) -> impl IntoView {
    let router = use_router();
    let route = Route::Viewer {
        study_instance_uids: vec![study.study_instance_uid.clone()],
        series_instance_uids: vec![],
    };
    let href = route.href();
    let open = {
        let route = route.clone();
        move || router.navigate(route.clone())
    };
    let open_on_click = open.clone();
    let on_click = move |ev: leptos::ev::MouseEvent| {
        // With a modifier the link's own behaviour (new tab, new window) applies.
        if !(ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.button() != 0) {
            ev.prevent_default();
            open_on_click();
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            open();
        }
    };

    let name = dicom_text::person_name(&study.patient_name);
    let time = if study.study_time.is_empty() {
        String::new()
    } else {
        dicom_text::time(&study.study_time)
    };
    let count = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let uid = study.study_instance_uid.clone();
    let score = move || triage.score(&uid);
    let has_triage = move || !triage.models.with(|m| m.is_empty());

    view! {
        <tr tabindex="0" data-study-uid=study.study_instance_uid.clone() on:click=on_click on:keydown=on_keydown>
            <td class="patient-name">
                <a href=href tabindex="-1">{name}</a>
            </td>
            <td class="id">{study.patient_id}</td>
            <td class="date">
                {dicom_text::date(&study.study_date)}
                " "
                <span class="muted">{time}</span>
            </td>
            <td>
                {study.modalities.into_iter().map(|m| view! { <span class="modality">{m}</span> }).collect_view()}
            </td>
            <td class="wide">{study.description}</td>
            <td class="id wide">{study.accession_number}</td>
            <td class="num">{count(study.number_of_series)}</td>
            <td class="num">{count(study.number_of_instances)}</td>
            <Show when=has_triage>
                {let score = score.clone(); move || match score() {
                    Some(s) => view! {
                        <td class="num triage" data-testid="triage-score" data-score=format!("{:.4}", s.probability)
                            title=format!("{} v{} — {}", s.model_name, s.model_version, t(Msg::AiTriageNote))>
                            <span class="triage-bar" style=format!("width:{:.0}%", s.probability * 100.0)></span>
                            {format!("{:.0}%", s.probability * 100.0)}
                        </td>
                    }.into_any(),
                    None => view! { <td class="num triage muted" data-testid="triage-score">"—"</td> }.into_any(),
                }}
            </Show>
        </tr>
    }
}
