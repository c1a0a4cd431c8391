//! Opening DICOM files and folders from the reader's own disk ("Open DICOM file…", "Open folder…", or files and
//! folders dropped anywhere on the page): nothing leaves the browser. Each file is read by a decode worker, which
//! sends back its metadata (DICOM JSON without pixels); the files are grouped into studies and series (`group`)
//! and shown at `/local` in the same study view as an archive's studies, the frames decoded from the files by the
//! decode workers.
//!
//! The files stay on disk; the page holds only the browser's handles to them, so `/local` after a reload offers to
//! open them again. Reading shows progress and can be cancelled. A file that is not DICOM (or not an image) is
//! listed with the reason, and the others are shown. This module must not send a file anywhere but to the decode
//! workers, and holds no DICOM logic (lumen-frames reads the metadata in the worker).

mod group;

pub use group::{LocalStudies, Scanned, Skipped};

use crate::feedback::EmptyPanel;
use crate::i18n::{files_read, t, use_lang, Msg};
use crate::routes::{use_router, Route, Router};
use leptos::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The files opened last, grouped, and the reading in progress; shared through context by the app root.
#[derive(Clone, Copy)]
pub struct LocalFile {
    pub opened: RwSignal<Option<Rc<LocalStudies>>, LocalStorage>,
    /// `(files read, files to read)` while reading.
    pub progress: RwSignal<Option<(usize, usize)>>,
    /// Bumped by every new reading and by cancel: a reading whose generation is no longer current stops.
    generation: StoredValue<u64>,
}

impl LocalFile {
    pub fn new() -> Self {
        Self {
            opened: RwSignal::new_local(None),
            progress: RwSignal::new(None),
            generation: StoredValue::new(0),
        }
    }

    /// Reads `files` (name, handle) in a decode worker, groups them and shows them at `/local`. Only the worker
    /// sees their bytes.
    pub fn open(self, files: Vec<(String, web_sys::File)>, router: Router) {
        if files.is_empty() {
            return;
        }
        let Some(generation) = self.generation.try_update_value(|g| {
            *g += 1;
            *g
        }) else {
            return;
        };
        let total = files.len();
        self.progress.set(Some((0, total)));
        router.navigate(Route::LocalFile);
        leptos::task::spawn_local(async move {
            let current = move || self.generation.try_get_value() == Some(generation);
            let scanned = match scan_in_worker(&files, move |done| {
                if current() {
                    self.progress.try_set(Some((done, total)));
                }
                current()
            })
            .await
            {
                Ok(scanned) => scanned,
                Err(problem) => files
                    .iter()
                    .map(|(name, _)| Scanned {
                        file_id: String::new(),
                        name: name.clone(),
                        metadata: Err(problem.clone()),
                    })
                    .collect(),
            };
            if !current() {
                return;
            }
            let handles: HashMap<String, web_sys::File> = scanned
                .iter()
                .zip(&files)
                .map(|(s, (_, file))| (s.file_id.clone(), file.clone()))
                .collect();
            let studies = group::group(scanned, handles);
            self.progress.try_set(None);
            self.opened.try_set(Some(Rc::new(studies)));
        });
    }

    /// Stops the reading in progress (the files read so far are dropped; what was shown before stays).
    pub fn cancel(self) {
        self.generation.try_update_value(|g| *g += 1);
        self.progress.set(None);
    }
}

impl Default for LocalFile {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    static NEXT_FILE_ID: std::cell::Cell<u64> = const { std::cell::Cell::new(1) };
}

/// A file id unique in this tab.
fn new_file_id() -> String {
    NEXT_FILE_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        format!("local-{id}")
    })
}

/// Reads each file's metadata in a decode worker started for it (one file at a time, so memory holds one file),
/// calling `on_progress(done)` after each; stops early when that returns false.
async fn scan_in_worker(
    files: &[(String, web_sys::File)],
    on_progress: impl Fn(usize) -> bool,
) -> Result<Vec<Scanned>, String> {
    let worker = crate::viewer::start_worker("lumen-local-files")?;
    // The worker's next message resolves the promise waiting for it.
    let waiting: Rc<RefCell<Option<js_sys::Function>>> = Rc::default();
    let on_message = {
        let waiting = waiting.clone();
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if let Some(resolve) = waiting.borrow_mut().take() {
                let _ = resolve.call1(&JsValue::NULL, &ev.data());
            }
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let next_message = || {
        let waiting = waiting.clone();
        wasm_bindgen_futures::JsFuture::from(js_sys::Promise::new(&mut |resolve, _| {
            waiting.borrow_mut().replace(resolve);
        }))
    };
    let result = async {
        let ready = next_message().await.map_err(|e| format!("{e:?}"))?;
        if ready.as_string().as_deref() != Some("ready") {
            return Err("the decode worker did not start".to_string());
        }
        let mut scanned = Vec::with_capacity(files.len());
        for (n, (name, file)) in files.iter().enumerate() {
            let answer = next_message();
            let message = js_sys::Array::of3(
                &JsValue::from_str(crate::decode_worker::LOCAL_SCAN),
                &JsValue::from_f64(n as f64),
                file,
            );
            worker
                .post_message(&message)
                .map_err(|e| format!("cannot hand a file to the decode worker: {e:?}"))?;
            let answer = answer.await.map_err(|e| format!("{e:?}"))?;
            let text = js_sys::Array::from(&answer)
                .get(2)
                .as_string()
                .unwrap_or_default();
            let metadata = serde_json::from_str::<Result<serde_json::Value, String>>(&text)
                .unwrap_or_else(|e| Err(format!("unreadable answer from the decode worker: {e}")));
            scanned.push(Scanned {
                file_id: new_file_id(),
                name: name.clone(),
                metadata,
            });
            if !on_progress(n + 1) {
                break;
            }
        }
        Ok(scanned)
    }
    .await;
    worker.terminate();
    drop(on_message);
    result
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

/// The name a file is listed under: its path inside the chosen folder, else its name.
fn display_name(file: &web_sys::File) -> String {
    js_sys::Reflect::get(file, &JsValue::from_str("webkitRelativePath"))
        .ok()
        .and_then(|v| v.as_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| file.name())
}

/// Calls `object.method(success, error)` (the callback style of the File and Directory Entries API) and waits for
/// either callback.
async fn callback_call(object: &JsValue, method: &str) -> Result<JsValue, String> {
    let function: js_sys::Function = js_sys::Reflect::get(object, &JsValue::from_str(method))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| format!("this browser has no {method}()"))?;
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        if let Err(e) = function.call2(object, &resolve, &reject) {
            let _ = reject.call1(&JsValue::NULL, &e);
        }
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| format!("{e:?}"))
}

/// Every file under a dropped entry (a file, or a folder walked recursively), with its path.
async fn files_under(entry: JsValue, out: &mut Vec<(String, web_sys::File)>) {
    let mut pending = vec![entry];
    while let Some(entry) = pending.pop() {
        let is_directory = js_sys::Reflect::get(&entry, &JsValue::from_str("isDirectory"))
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let path = js_sys::Reflect::get(&entry, &JsValue::from_str("fullPath"))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        if !is_directory {
            match callback_call(&entry, "file").await {
                Ok(file) => {
                    if let Ok(file) = file.dyn_into::<web_sys::File>() {
                        let name = path.trim_start_matches('/').to_string();
                        let name = if name.is_empty() { file.name() } else { name };
                        out.push((name, file));
                    }
                }
                Err(e) => leptos::logging::warn!("Lumen: cannot read {path}: {e}"),
            }
            continue;
        }
        let Ok(reader) = js_sys::Reflect::get(&entry, &JsValue::from_str("createReader"))
            .and_then(|f| f.dyn_into::<js_sys::Function>().map_err(JsValue::from))
            .and_then(|f| f.call0(&entry))
        else {
            continue;
        };
        // readEntries returns a batch at a time, an empty one at the end.
        loop {
            match callback_call(&reader, "readEntries").await {
                Ok(batch) => {
                    let batch = js_sys::Array::from(&batch);
                    if batch.length() == 0 {
                        break;
                    }
                    pending.extend(batch.iter());
                }
                Err(e) => {
                    leptos::logging::warn!("Lumen: cannot list {path}: {e}");
                    break;
                }
            }
        }
    }
}

/// Makes the whole page a drop target for DICOM files and folders: what is dropped is opened as with "Open DICOM
/// file…" (read in the browser, never uploaded). Drags that carry no files (a series onto a viewport) are left
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
        let Some(dt) = ev.data_transfer() else { return };
        // The entries must be taken now: the DataTransfer is emptied when the handler returns.
        let items = dt.items();
        let entries: Vec<JsValue> = (0..items.length())
            .filter_map(|i| items.get(i))
            .filter_map(|item| item.webkit_get_as_entry().ok().flatten())
            .map(JsValue::from)
            .collect();
        let plain: Vec<(String, web_sys::File)> = dt
            .files()
            .map(|files| {
                (0..files.length())
                    .filter_map(|i| files.get(i))
                    .map(|f| (f.name(), f))
                    .collect()
            })
            .unwrap_or_default();
        leptos::task::spawn_local(async move {
            let mut files = Vec::new();
            for entry in entries {
                files_under(entry, &mut files).await;
            }
            // Without the entries API (or for files made by a script), the plain file list.
            if files.is_empty() {
                files = plain;
            }
            files.sort_by(|a, b| a.0.cmp(&b.0));
            local.open(files, router);
        });
    });
    on_cleanup(move || {
        over.remove();
        drop.remove();
    });
}

/// The files chosen in an `<input type=file>`, by name (path inside a chosen folder).
fn chosen_files(ev: &leptos::ev::Event) -> Vec<(String, web_sys::File)> {
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return Vec::new();
    };
    let mut files: Vec<(String, web_sys::File)> = input
        .files()
        .map(|list| {
            (0..list.length())
                .filter_map(|i| list.get(i))
                .map(|f| (display_name(&f), f))
                .collect()
        })
        .unwrap_or_default();
    // Clearing the input lets the same files be chosen again later.
    input.set_value("");
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// Buttons opening the browser's pickers for files and for a folder; what is chosen is read and shown at `/local`.
#[component]
pub fn OpenFileButton() -> impl IntoView {
    let local = expect_context::<LocalFile>();
    let router = use_router();
    let busy = move || local.progress.get().is_some();
    let on_files = move |ev: leptos::ev::Event| local.open(chosen_files(&ev), router);
    view! {
        <label class="button" class:busy=busy>
            {t(Msg::OpenLocalFile)}
            <input
                type="file"
                multiple
                class="visually-hidden"
                data-testid="open-local-file"
                accept=".dcm,.dicom,application/dicom,*"
                on:change=on_files
            />
        </label>
        <label class="button" class:busy=busy>
            {t(Msg::OpenLocalFolder)}
            <input
                type="file"
                multiple
                prop:webkitdirectory=true
                class="visually-hidden"
                data-testid="open-local-folder"
                on:change=on_files
            />
        </label>
    }
}

/// The `/local` page: the opened files in the study view, the reading in progress, or an invitation to open files.
#[component]
pub fn LocalFilePage() -> impl IntoView {
    let local = expect_context::<LocalFile>();
    let lang = use_lang();
    view! {
        {move || {
            if let Some((done, total)) = local.progress.get() {
                return view! {
                    <section class="page">
                        <div class="state" role="status" data-testid="local-progress">
                            <p class="state-title">{t(Msg::ReadingFiles)}</p>
                            <progress max=total value=done></progress>
                            <p>{files_read(lang, done, total)}</p>
                            <button class="button" data-testid="local-cancel" on:click=move |_| local.cancel()>
                                {t(Msg::CancelReading)}
                            </button>
                        </div>
                    </section>
                }
                .into_any();
            }
            match local.opened.get() {
                None => view! {
                    <section class="page">
                        <div class="page-header">
                            <h1 class="page-title">{t(Msg::LocalFileTitle)}</h1>
                            <div class="search"><OpenFileButton /></div>
                        </div>
                        <EmptyPanel message=Msg::NoLocalFile />
                    </section>
                }
                .into_any(),
                Some(studies) if studies.studies.is_empty() => view! {
                    <section class="page">
                        <div class="page-header">
                            <h1 class="page-title">{t(Msg::LocalFileTitle)}</h1>
                            <div class="search"><OpenFileButton /></div>
                        </div>
                        <div class="state error" role="alert" data-testid="local-file-error">
                            <p class="state-title">{t(Msg::NoImageInFiles)}</p>
                            <SkippedList skipped=studies.skipped.clone() />
                        </div>
                    </section>
                }
                .into_any(),
                Some(studies) => {
                    let skipped = studies.skipped.clone();
                    view! {
                        {(!skipped.is_empty()).then(|| view! {
                            <details class="local-skipped" data-testid="local-skipped">
                                <summary>{t(Msg::FilesNotShown)}" "{skipped.len()}</summary>
                                <SkippedList skipped />
                            </details>
                        })}
                        <crate::viewer::LocalStudyView studies />
                    }
                    .into_any()
                }
            }
        }}
    }
}

/// The files not shown and why (names and reasons as text).
#[component]
fn SkippedList(skipped: Vec<Skipped>) -> impl IntoView {
    view! {
        <ul class="skipped-files">
            {skipped
                .into_iter()
                .map(|s| view! { <li><strong>{s.name}</strong>": "<code>{s.reason}</code></li> })
                .collect_view()}
        </ul>
    }
}
