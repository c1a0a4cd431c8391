//! The viewer page, `/viewer?StudyInstanceUIDs=…`. For now it presents each requested study — patient, date,
//! accession — and its series (number, modality, description, body part, image count) from QIDO-RS; image display
//! arrives with the rendering crates.
//!
//! It must not decode pixels or talk to the GPU itself: those belong to the DICOM and rendering crates.

mod series_list;

use crate::data_source::DataSource;
use crate::feedback::EmptyPanel;
use crate::i18n::{t, Msg};
use crate::routes::{use_router, Route};
use leptos::prelude::*;
use series_list::StudySeries;

#[component]
pub fn ViewerPage(source: DataSource, study_instance_uids: Vec<String>) -> impl IntoView {
    let router = use_router();
    let back = move |ev: leptos::ev::MouseEvent| {
        if !(ev.ctrl_key() || ev.meta_key() || ev.shift_key()) {
            ev.prevent_default();
            router.navigate(Route::StudyList);
        }
    };
    let studies = if study_instance_uids.is_empty() {
        view! { <EmptyPanel message=Msg::NoStudySelected /> }.into_any()
    } else {
        study_instance_uids
            .into_iter()
            .map(|uid| view! { <StudySeries source=source.clone() study_instance_uid=uid /> })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="page">
            <a class="back" href="/" on:click=back>{t(Msg::BackToStudyList)}</a>
            {studies}
        </section>
    }
}
