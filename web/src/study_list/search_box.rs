//! The patient-name search box of the study list. Typing searches after a short pause (so each keystroke is not
//! a request to the archive); Enter searches at once, and searches again when the text did not change (a refresh).
//!
//! It only edits the search text; it must not query anything itself.

use crate::i18n::{t, Msg};
use leptos::prelude::*;
use std::time::Duration;

/// How long typing must pause before the list is searched.
const TYPING_PAUSE: Duration = Duration::from_millis(300);

#[component]
pub fn SearchBox(
    /// The search the list shows; set by this box.
    query: RwSignal<String>,
    /// Called when Enter is pressed on an unchanged search.
    on_submit: Callback<()>,
) -> impl IntoView {
    let typed = RwSignal::new(query.get_untracked());

    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        typed.set(text.clone());
        set_timeout(
            move || {
                // Only the last keystroke of a pause searches; the page may have been left meanwhile.
                if typed.try_get_untracked().as_deref() == Some(text.as_str())
                    && query.try_get_untracked().is_some_and(|q| q != text)
                {
                    query.set(text);
                }
            },
            TYPING_PAUSE,
        );
    };
    let on_form_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = typed.get_untracked();
        if query.get_untracked() == text {
            on_submit.run(());
        } else {
            query.set(text);
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
