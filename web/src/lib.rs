//! Lumen's web viewer: a Leptos client-side-rendered app compiled to wasm32 and served by `lumen serve`.
//!
//! Pages, in folders named for what users know: the study list (`study_list`), the study view (`viewer`: series
//! panel, viewports drawn by `lumen-render`, frames decoded by `lumen-frames` in Web Workers — `decode_worker`), a file opened
//! from disk (`local_file`, decoded by `lumen-dicom` in the browser); around them
//! AI in the reading flow (`ai`: the client of the AI worker, whose models run in `web/ai-worker`; the panel
//! is `viewer::ai_panel`), the data source (QIDO-RS through the server's DICOMweb root, `data_source`), the user-interface words
//! (`i18n`), the display of DICOM text values (`dicom_text`), URLs (`routes`) and loading/error panels
//! (`feedback`). The app holds no DICOM parsing or GPU code of its own (it calls `lumen-dicom`); it must never
//! insert DICOM data as HTML.
//!
//! Built by `scripts/build-web.sh` (cargo for wasm32-unknown-unknown, then wasm-bindgen `--target web`).

mod ai;
mod app;
mod auth;
mod data_source;
mod decode_worker;
mod dicom_text;
mod feedback;
mod i18n;
mod local_file;
mod routes;
mod study_list;
mod viewer;

// Links the C allocator symbols openjp2 imports on wasm32 (an unused dependency would not be linked).
use lumen_wasm_libc_shim as _;

use wasm_bindgen::prelude::*;

/// Entry point, run by the wasm-bindgen glue once the module is instantiated: replaces the boot screen of
/// `index.html` with the app.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    // The same module runs in the decode workers, which have no page: there `worker_main` is the entry point.
    if js_sys::global().dyn_into::<web_sys::Window>().is_err() {
        return;
    }
    // Before the router reads the URL: the token is taken out of it.
    auth::take_token_from_url();
    auth::listen_to_host_page();
    let document = leptos::prelude::document();
    let Some(root) = document
        .get_element_by_id("app")
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        leptos::logging::error!("Lumen: the page has no #app element to start in");
        return;
    };
    root.set_inner_html("");
    leptos::mount::mount_to(root, app::App).forget();
}
