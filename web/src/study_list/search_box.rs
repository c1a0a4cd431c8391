//! The search controls of the study list: the patient-name box — typing searches after a short pause (so each
//! keystroke is not a request to the archive); Enter searches at once, and searches again when the text did not
//! change (a refresh) — and the filters (Patient ID, Accession Number, study date range, modality), each applied
//! when changed. Every change goes back to the first page.
//!
//! They only edit the [`StudySearch`]; they must not query anything themselves.

use crate::data_source::StudySearch;
use crate::i18n::{t, Msg};
use leptos::prelude::*;
use std::time::Duration;

/// The modalities offered by the filter (any other can be typed into the address bar).
const MODALITIES: [&str; 11] = [
    "CT", "MR", "DX", "CR", "US", "MG", "XA", "NM", "PT", "RF", "OT",
];

/// How long typing must pause before the list is searched.
const TYPING_PAUSE: Duration = Duration::from_millis(300);

#[component]
pub fn SearchBox(
    /// The search the list shows; its patient name is set by this box.
    search: RwSignal<StudySearch>,
    /// Called when Enter is pressed on an unchanged search.
    on_submit: Callback<()>,
) -> impl IntoView {
    let typed = RwSignal::new(search.get_untracked().patient_name);
    let set_name = move |name: String| {
        search.update(|s| {
            s.patient_name = name;
            s.offset = 0;
        })
    };
    // The box follows the search when it changes elsewhere ("Clear").
    Effect::new(move |_| {
        let name = search.with(|s| s.patient_name.clone());
        if typed.get_untracked() != name {
            typed.set(name);
        }
    });

    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        typed.set(text.clone());
        set_timeout(
            move || {
                // Only the last keystroke of a pause searches; the page may have been left meanwhile.
                if typed.try_get_untracked().as_deref() == Some(text.as_str())
                    && search
                        .try_get_untracked()
                        .is_some_and(|s| s.patient_name != text)
                {
                    set_name(text);
                }
            },
            TYPING_PAUSE,
        );
    };
    let on_form_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = typed.get_untracked();
        if search.get_untracked().patient_name == text {
            on_submit.run(());
        } else {
            set_name(text);
        }
    };

    view! {
        <form class="search" role="search" on:submit=on_form_submit>
            <input
                type="search"
                name="PatientName"
                autocomplete="off"
                spellcheck="false"
                aria-label=t(Msg::SearchPatientName)
                placeholder=t(Msg::SearchPatientName)
                title=t(Msg::SearchPatientNameHint)
                prop:value=move || typed.get()
                on:input=on_input
            />
        </form>
    }
}

/// `YYYYMMDD` (DICOM DA) as an HTML date input value, `YYYY-MM-DD`; anything else as empty.
pub fn da_to_input(da: &str) -> String {
    if da.len() == 8 && da.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}-{}", &da[..4], &da[4..6], &da[6..])
    } else {
        String::new()
    }
}

/// An HTML date input value (`YYYY-MM-DD`) as DICOM DA, `YYYYMMDD`; anything else as empty.
pub fn input_to_da(value: &str) -> String {
    let digits: String = value.chars().filter(|c| *c != '-').collect();
    if value.len() == 10 && digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits
    } else {
        String::new()
    }
}

/// The filters beside the name box; each change searches from the first page.
#[component]
pub fn SearchFilters(search: RwSignal<StudySearch>) -> impl IntoView {
    let edit = move |f: fn(&mut StudySearch, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            search.update(|s| {
                f(s, value);
                s.offset = 0;
            });
        }
    };
    let field = move |f: fn(&StudySearch) -> String| move || search.with(f);
    view! {
        <div class="search-filters" data-testid="search-filters">
            <input type="text" class="filter" data-testid="filter-patient-id" autocomplete="off" spellcheck="false"
                aria-label=t(Msg::ColPatientId) placeholder=t(Msg::ColPatientId)
                prop:value=field(|s| s.patient_id.clone())
                on:change=edit(|s, v| s.patient_id = v.trim().to_string()) />
            <input type="text" class="filter" data-testid="filter-accession" autocomplete="off" spellcheck="false"
                aria-label=t(Msg::ColAccession) placeholder=t(Msg::ColAccession)
                prop:value=field(|s| s.accession_number.clone())
                on:change=edit(|s, v| s.accession_number = v.trim().to_string()) />
            <label class="filter-date">{t(Msg::DateFrom)}
                <input type="date" data-testid="filter-date-from"
                    prop:value=field(|s| da_to_input(&s.date_from))
                    on:change=edit(|s, v| s.date_from = input_to_da(&v)) />
            </label>
            <label class="filter-date">{t(Msg::DateTo)}
                <input type="date" data-testid="filter-date-to"
                    prop:value=field(|s| da_to_input(&s.date_to))
                    on:change=edit(|s, v| s.date_to = input_to_da(&v)) />
            </label>
            <select class="filter" data-testid="filter-modality" aria-label=t(Msg::FilterModality)
                prop:value=field(|s| s.modality.clone())
                on:change=edit(|s, v| s.modality = v)>
                <option value="">{t(Msg::AnyModality)}</option>
                {MODALITIES.into_iter().map(|m| view! { <option value=m>{m}</option> }).collect_view()}
            </select>
            <button type="button" class="tool" data-testid="clear-search"
                disabled=move || !search.with(StudySearch::is_filtered)
                on:click=move |_| search.set(StudySearch::default())>{t(Msg::ClearSearch)}</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn dates_convert_between_dicom_and_the_date_input() {
        assert_eq!(da_to_input("20240315"), "2024-03-15");
        assert_eq!(input_to_da("2024-03-15"), "20240315");
        assert_eq!(da_to_input(""), "");
        assert_eq!(input_to_da(""), "");
        assert_eq!(input_to_da("2024-3-15"), "");
        assert_eq!(da_to_input("2024031"), "");
    }
}
