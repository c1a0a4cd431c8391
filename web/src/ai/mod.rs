//! AI in the reading flow, UI-thread side: the client of the AI worker ([`client`]) and the catalog of model
//! packages the server publishes. The panel that shows results lives with the study view
//! (`viewer::ai_panel`); the models run in the AI worker (`web/ai-worker`), never on this thread.

pub mod client;
pub mod save;
pub mod server;
pub mod volume;

pub use client::{fetch_catalog, AiClient, ModelState, RunState, VolumeRun};

/// Whether models run automatically when an image they apply to is shown (localStorage `lumen.ai.auto`,
/// on unless the reader turned it off).
pub fn auto_run() -> bool {
    leptos::prelude::window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(AUTO_KEY).ok().flatten())
        .map(|v| v != "off")
        .unwrap_or(true)
}

/// Remembers the reader's choice for [`auto_run`].
pub fn set_auto_run(on: bool) {
    if let Some(s) = leptos::prelude::window().local_storage().ok().flatten() {
        let _ = s.set_item(AUTO_KEY, if on { "on" } else { "off" });
    }
}

const AUTO_KEY: &str = "lumen.ai.auto";
