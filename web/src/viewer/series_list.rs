//! One study in the viewer: a header with the facts a reader checks first (patient, patient ID, study date,
//! accession number) and the table of its series.
//!
//! Values are shown as text only. It must not fetch images.

use crate::data_source::{DataSource, LoadError, SeriesSummary, StudySummary};
use crate::dicom_text;
use crate::feedback::{EmptyPanel, ErrorPanel, Load, Loader, LoadingPanel};
use crate::i18n::{t, Msg};
use leptos::prelude::*;

#[component]
pub fn StudySeries(source: DataSource, study_instance_uid: String) -> impl IntoView {
    let loader = Loader::<(Option<StudySummary>, Vec<SeriesSummary>)>::new();
    let request = StoredValue::new((source, study_instance_uid));
    let load = move || {
        let (source, uid) = request.get_value();
        loader.start(async move {
            let study = source.study(&uid).await?;
            let series = source.series(&uid).await?;
            Ok::<_, LoadError>((study, series))
        });
    };
    load();

    move || {
        match loader.state.get() {
        Load::Loading => view! { <LoadingPanel message=Msg::LoadingSeries /> }.into_any(),
        Load::Failed(error) => {
            view! { <ErrorPanel title=Msg::LoadSeriesFailed error on_retry=Callback::new(move |()| load()) /> }
                .into_any()
        }
        Load::Ready((study, series)) => view! {
            <article class="study" data-testid="study">
                {study.map(|s| view! { <StudyFacts study=s /> })}
                <h2 class="page-subtitle">{t(Msg::SeriesListTitle)}</h2>
                {if series.is_empty() {
                    view! { <EmptyPanel message=Msg::NoSeries /> }.into_any()
                } else {
                    view! { <SeriesTable series /> }.into_any()
                }}
            </article>
        }
        .into_any(),
    }
    }
}

#[component]
fn StudyFacts(study: StudySummary) -> impl IntoView {
    let title = if study.description.is_empty() {
        dicom_text::date(&study.study_date)
    } else {
        study.description.clone()
    };
    view! {
        <header class="page-header">
            <h1 class="page-title">{title}</h1>
        </header>
        <div class="study-facts">
            <span>{t(Msg::FactPatient)}<strong>{dicom_text::person_name(&study.patient_name)}</strong></span>
            <span>{t(Msg::FactPatientId)}<strong>{study.patient_id}</strong></span>
            <span>{t(Msg::FactStudyDate)}<strong>{dicom_text::date(&study.study_date)}</strong></span>
            <span>{t(Msg::FactAccession)}<strong>{study.accession_number}</strong></span>
        </div>
    }
}

#[component]
fn SeriesTable(series: Vec<SeriesSummary>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="worklist inert-rows" data-testid="series-list">
                <thead>
                    <tr>
                        <th scope="col" class="num">{t(Msg::ColSeriesNumber)}</th>
                        <th scope="col">{t(Msg::ColModality)}</th>
                        <th scope="col">{t(Msg::ColSeriesDescription)}</th>
                        <th scope="col">{t(Msg::ColBodyPart)}</th>
                        <th scope="col" class="num">{t(Msg::ColInstances)}</th>
                    </tr>
                </thead>
                <tbody>
                    {series
                        .into_iter()
                        .map(|s| {
                            view! {
                                <tr data-series-uid=s.series_instance_uid>
                                    <td class="num">{s.series_number.map(|n| n.to_string()).unwrap_or_default()}</td>
                                    <td><span class="modality">{s.modality}</span></td>
                                    <td>{s.description}</td>
                                    <td class="muted">{s.body_part}</td>
                                    <td class="num">{s.number_of_instances.map(|n| n.to_string()).unwrap_or_default()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
