//! What a page shows while its data loads and when loading failed: the [`Load`] state, the task that fills it
//! (ignoring answers that arrive after a newer request, so a slow search never overwrites a faster later one), and
//! the loading, empty and error panels.
//!
//! Error panels show the error's own text (URL and HTTP status) so an integrator can act on it; they must never
//! render server-supplied HTML.

use crate::data_source::LoadError;
use crate::i18n::{t, Msg};
use leptos::prelude::*;
use std::future::Future;

/// The state of data a page is waiting for.
#[derive(Clone, Debug)]
pub enum Load<T> {
    Loading,
    Ready(T),
    Failed(LoadError),
}

/// A [`Load`] state with the bookkeeping that discards stale answers.
pub struct Loader<T: Send + Sync + 'static> {
    /// The state pages render.
    pub state: RwSignal<Load<T>>,
    /// Whether a request is in flight. While a new search runs, the previous results stay on screen (no flicker
    /// while typing) and pages show this instead.
    pub busy: RwSignal<bool>,
    generation: StoredValue<u64>,
}

// Written by hand: a derive would require `T: Copy`, but only the arena handles are copied.
impl<T: Send + Sync + 'static> Clone for Loader<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Send + Sync + 'static> Copy for Loader<T> {}

impl<T: Send + Sync + 'static> Loader<T> {
    /// A loader in the "loading" state, before its first request.
    pub fn new() -> Loader<T> {
        Loader {
            state: RwSignal::new(Load::Loading),
            busy: RwSignal::new(false),
            generation: StoredValue::new(0),
        }
    }

    /// Runs `request` and shows its result, unless another request was started meanwhile or the page was left.
    /// Results already on screen stay there until the answer arrives; an error or nothing yet becomes "loading".
    pub fn start(&self, request: impl Future<Output = Result<T, LoadError>> + 'static) {
        let Some(generation) = self.generation.try_update_value(|g| {
            *g += 1;
            *g
        }) else {
            return;
        };
        let (state, busy, generations) = (self.state, self.busy, self.generation);
        if !state.with_untracked(|s| matches!(s, Load::Ready(_))) {
            state.set(Load::Loading);
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = request.await;
            if generations.try_get_value() == Some(generation) {
                busy.try_set(false);
                state.try_set(match result {
                    Ok(v) => Load::Ready(v),
                    Err(e) => Load::Failed(e),
                });
            }
        });
    }
}

/// A quiet "loading…" line with a spinner.
#[component]
pub fn LoadingPanel(message: Msg) -> impl IntoView {
    view! {
        <div class="state" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            {t(message)}
        </div>
    }
}

/// A neutral message (empty results, nothing selected).
#[component]
pub fn EmptyPanel(message: Msg) -> impl IntoView {
    view! { <div class="state" role="status">{t(message)}</div> }
}

/// A failure: what could not be done, why (the error's text, as text), and a retry button.
#[component]
pub fn ErrorPanel(title: Msg, error: LoadError, on_retry: Callback<()>) -> impl IntoView {
    view! {
        <div class="state error" role="alert">
            <p class="state-title">{t(title)}</p>
            <p><code>{error.to_string()}</code></p>
            <button type="button" on:click=move |_| on_retry.run(())>{t(Msg::Retry)}</button>
        </div>
    }
}
