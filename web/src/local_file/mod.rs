//! Opening DICOM files from the user's own disk ("Open DICOM file…", or a file dropped anywhere on the page): the
//! file never leaves the browser; it is parsed, decoded (including JPEG 2000 and the other compressed transfer
//! syntaxes `lumen-dicom` supports) and displayed here, at `/local`.
//!
//! The opened file lives in memory only, so `/local` after a reload offers to open one again. Decoding runs in a
//! decode worker (`/decode-worker.js`, started for the file and ended after it), never on the page's thread. This
//! module must not send the file anywhere but to that worker.

mod render;

use crate::feedback::EmptyPanel;
use crate::i18n::{t, Msg};
use crate::routes::{use_router, Route, Router};
use leptos::html;
use leptos::prelude::*;
pub use render::RenderedFile;
use wasm_bindgen::{Clamped, JsCast};
use wasm_bindgen_futures::JsFuture;

/// The file opened last: its name and the rendered first frame, or why it could not be shown.
#[derive(Clone, Debug)]
pub struct OpenedFile {
    pub name: String,
    pub result: Result<RenderedFile, String>,
}

/// The opened local file, shared through context by the app root: the file shown at `/local`, and whether one is
/// being decoded.
#[derive(Clone, Copy)]
pub struct LocalFile {
    pub opened: RwSignal<Option<OpenedFile>>,
    pub busy: RwSignal<bool>,
}

impl LocalFile {
    pub fn new() -> Self {
        Self {
            opened: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    /// Reads `file` from the user's disk, decodes its first frame in a decode worker and shows it at `/local`.
    /// The bytes go to that worker only.
    pub fn open(self, file: web_sys::File, router: Router) {
        let LocalFile { opened, busy } = self;
        busy.set(true);
        leptos::task::spawn_local(async move {
            let name = file.name();
            let result = match JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => render_in_worker(buffer).await,
                Err(e) => Err(e.as_string().unwrap_or_else(|| format!("{e:?}"))),
            };
            busy.try_set(false);
            opened.try_set(Some(OpenedFile { name, result }));
            router.navigate(Route::LocalFile);
        });
    }
}

impl Default for LocalFile {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a drag carries files from the user's disk (`Files` among the DataTransfer types), as opposed to a
/// series dragged inside the study view.
fn carries_files(ev: &web_sys::DragEvent) -> bool {
    ev.data_transfer()
        .map(|dt| {
            dt.types()
                .iter()
                .any(|t| t.as_string().as_deref() == Some("Files"))
        })
        .unwrap_or(false)
}

/// Makes the whole page a drop target for DICOM files: the first dropped file is opened as with "Open DICOM
/// file…" (decoded in the browser, never uploaded). Drags that carry no files (a series onto a viewport) are left
/// alone. Renders nothing.
#[component]
pub fn FileDropTarget() -> impl IntoView {
    let local = expect_context::<LocalFile>();
    let router = use_router();
    let over = window_event_listener(leptos::ev::dragover, move |ev| {
        if carries_files(&ev) {
            // Without this the browser would navigate to the file instead of handing it to the page.
            ev.prevent_default();
            if let Some(dt) = ev.data_transfer() {
                dt.set_drop_effect("copy");
            }
        }
    });
    let drop = window_event_listener(leptos::ev::drop, move |ev| {
        if !carries_files(&ev) {
            return;
        }
        ev.prevent_default();
        let Some(file) = ev
            .data_transfer()
            .and_then(|dt| dt.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        local.open(file, router);
    });
    on_cleanup(move || {
        over.remove();
        drop.remove();
    });
}

/// A button opening the browser's file picker; the chosen file is decoded and shown at `/local`.
#[component]
pub fn OpenFileButton() -> impl IntoView {
    let local = expect_context::<LocalFile>();
    let router = use_router();
    let busy = local.busy;
    let on_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        // Clearing the input lets the same file be chosen again later.
        input.set_value("");
        local.open(file, router);
    };
    view! {
        <label class="button" class:busy=move || busy.get()>
            {move || if busy.get() { t(Msg::DecodingFile) } else { t(Msg::OpenLocalFile) }}
            <input
                type="file"
                class="visually-hidden"
                data-testid="open-local-file"
                accept=".dcm,.dicom,application/dicom"
                on:change=on_change
            />
        </label>
    }
}

/// The `/local` page: the opened file's first frame and facts, or an invitation to open one.
#[component]
pub fn LocalFilePage() -> impl IntoView {
    let opened = expect_context::<LocalFile>().opened;
    view! {
        <section class="page">
            <div class="page-header">
                <h1 class="page-title">{t(Msg::LocalFileTitle)}</h1>
                <div class="search"><OpenFileButton /></div>
            </div>
            {move || match opened.get() {
                None => view! { <EmptyPanel message=Msg::NoLocalFile /> }.into_any(),
                Some(OpenedFile { name, result: Err(error) }) => view! {
                    <div class="state error" role="alert" data-testid="local-file-error">
                        <p class="state-title">{t(Msg::LocalFileFailed)}" "{name}</p>
                        <p><code>{error}</code></p>
                    </div>
                }
                .into_any(),
                Some(OpenedFile { name, result: Ok(image) }) => view! { <LocalImage name image /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn LocalImage(name: String, image: RenderedFile) -> impl IntoView {
    let canvas = NodeRef::<html::Canvas>::new();
    let (width, height) = (image.width, image.height);
    let rgba = StoredValue::new(image.rgba);
    Effect::new(move |_| {
        let Some(canvas) = canvas.get() else { return };
        if let Err(e) = rgba.with_value(|rgba| paint(&canvas, rgba, width, height)) {
            leptos::logging::error!("Lumen: could not paint the image: {e:?}");
        }
    });
    view! {
        <div class="study-facts" data-testid="local-file-facts">
            <span>{t(Msg::FactFile)}<strong>{name}</strong></span>
            <span>{t(Msg::FactPatient)}<strong>{crate::dicom_text::person_name(&image.patient_name)}</strong></span>
            <span>{t(Msg::ColModality)}<strong>{image.modality}</strong></span>
            <span>{t(Msg::FactSize)}<strong>{format!("{width} × {height}")}</strong></span>
            <span>{t(Msg::FactFrames)}<strong>{image.number_of_frames}</strong></span>
            <span>{t(Msg::FactPhotometric)}<strong>{image.photometric_interpretation}</strong></span>
            <span>{t(Msg::FactTransferSyntax)}<strong>{image.transfer_syntax}</strong></span>
        </div>
        <div class="image-frame">
            <canvas node_ref=canvas width=width height=height data-testid="local-image"></canvas>
        </div>
    }
}

/// Paints 8-bit RGBA pixels onto the canvas at their natural size (CSS scales it to fit).
fn paint(
    canvas: &web_sys::HtmlCanvasElement,
    rgba: &[u8],
    width: u32,
    height: u32,
) -> Result<(), wasm_bindgen::JsValue> {
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or_else(|| wasm_bindgen::JsValue::from_str("no 2D context"))?
        .dyn_into()?;
    let data = web_sys::ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width, height)?;
    context.put_image_data(&data, 0.0, 0.0)
}

/// Decodes and renders the first frame of the file held in `buffer` in a decode worker (the buffer is transferred
/// to it, not copied), and returns the result or why it failed.
async fn render_in_worker(buffer: wasm_bindgen::JsValue) -> Result<RenderedFile, String> {
    use wasm_bindgen::prelude::*;
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    options.set_name("lumen-local-file");
    let worker = web_sys::Worker::new_with_options("/decode-worker.js", &options)
        .map_err(|e| format!("cannot start a decode worker: {e:?}"))?;
    let answer = std::rc::Rc::new(std::cell::RefCell::new(None::<js_sys::Function>));
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        answer.borrow_mut().replace(resolve);
    });
    let on_message = {
        let worker = worker.clone();
        let answer = answer.clone();
        let buffer = buffer.clone();
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if ev.data().as_string().as_deref() == Some("ready") {
                let message = js_sys::Array::of2(
                    &JsValue::from_str(crate::decode_worker::LOCAL_FILE),
                    &buffer,
                );
                if let Err(e) =
                    worker.post_message_with_transfer(&message, &js_sys::Array::of1(&buffer))
                {
                    leptos::logging::error!(
                        "Lumen: cannot hand the file to the decode worker: {e:?}"
                    );
                }
            } else if let Some(resolve) = answer.borrow_mut().take() {
                let _ = resolve.call1(&JsValue::NULL, &ev.data());
            }
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let data = JsFuture::from(promise).await;
    worker.terminate();
    drop(on_message);
    let data = data.map_err(|e| format!("{e:?}"))?;
    let array: js_sys::Array = data
        .dyn_into()
        .map_err(|_| "the decode worker answered nothing usable".to_string())?;
    let text = array.get(0).as_string().unwrap_or_default();
    let mut result: Result<RenderedFile, String> = serde_json::from_str(&text)
        .map_err(|e| format!("unreadable answer from the decode worker: {e}"))?;
    if let Ok(file) = result.as_mut() {
        file.rgba = js_sys::Uint8Array::new(&array.get(1)).to_vec();
    }
    result
}
