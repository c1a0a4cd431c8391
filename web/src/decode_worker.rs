//! The decode worker: the same wasm module, started in a Web Worker by `static/decode-worker.js`, which calls
//! [`worker_main`]. It receives [`WorkerMessage`]s (JSON text), fetches each frame with WADO-RS (the frame as the
//! archive holds it, `transfer-syntax=*`, so compressed frames travel compressed) or reads it from a file of the
//! reader's disk, decodes it with `lumen_frames` (lumen-dicom underneath) and posts back `[response JSON, buffers…]`
//! with the pixel buffers *transferred*, not copied. A WADO-RS frame is read as it arrives; an HTJ2K frame of a
//! resolution-major progression first yields reduced-resolution `Preview` answers (one per new resolution, same
//! request id), then its `Decoded` answer.
//!
//! Protocol on the wire: the worker posts the string `"ready"` once it listens; every answer is a JS array whose
//! first item is the [`DecodeResponse`] as JSON and whose other items are typed arrays in the order of its
//! buffer layouts. Files from disk arrive as `File` handles beside that protocol: `[`[`LOCAL_FILES`]`, [[id, File],
//! …]]` hands them over for [`FrameSource::Bytes`] requests, and `[`[`LOCAL_SCAN`]`, n, File]` asks for one file's
//! DICOM JSON, answered `[LOCAL_SCAN, n, Result<metadata, reason> as JSON]`. This module must not touch the DOM
//! (there is none in a worker) nor keep decoded frames; it keeps the last parsed local file, so the frames of a
//! multi-frame file are not parsed again for each one.

use js_sys::{Array, Float32Array, Int16Array, Int32Array, Int8Array, Uint16Array, Uint8Array};
use lumen_dicom::DicomFile;
use lumen_dicomweb::{FramePrefix, TransferSyntaxRequest};
use lumen_frames::{
    decode_fetched, decode_file_frame, DecodeOutcome, DecodeRequest, DecodeResponse, FrameKey,
    FrameSource, PixelBuffer, WadoFramePreview, WorkerMessage,
};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// The first item of a message handing over files from disk: `[LOCAL_FILES, [[file_id, File], …]]`.
pub const LOCAL_FILES: &str = "local-files";
/// The first item of a message asking for a file's metadata: `[LOCAL_SCAN, n, File]`, answered
/// `[LOCAL_SCAN, n, JSON text of Result<DICOM JSON, reason>]`.
pub const LOCAL_SCAN: &str = "local-scan";

thread_local! {
    /// The files handed over, by id.
    static FILES: RefCell<HashMap<String, web_sys::File>> = RefCell::new(HashMap::new());
    /// The local file parsed last, by id.
    static LAST_PARSED: RefCell<Option<(String, Rc<DicomFile>)>> = const { RefCell::new(None) };
}

/// Entry point of a decode worker (called by `decode-worker.js` after the module is instantiated).
#[wasm_bindgen]
pub fn worker_main() {
    console_error_panic_hook::set_once();
    let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else {
        leptos::logging::error!("Lumen: worker_main called outside a dedicated worker");
        return;
    };
    let cancelled: Rc<RefCell<HashSet<u64>>> = Rc::default();
    let on_message = {
        let scope = scope.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if let Ok(array) = ev.data().dyn_into::<Array>() {
                if crate::auth::receive_in_worker(&array) {
                    return;
                }
                match array.get(0).as_string().as_deref() {
                    Some(LOCAL_FILES) => add_files(&array.get(1)),
                    Some(LOCAL_SCAN) => {
                        let scope = scope.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            scan(&scope, array.get(1), array.get(2)).await
                        });
                    }
                    _ => {}
                }
                return;
            }
            let Some(text) = ev.data().as_string() else {
                return;
            };
            match serde_json::from_str::<WorkerMessage>(&text) {
                Ok(WorkerMessage::Decode(request)) => {
                    let scope = scope.clone();
                    let cancelled = cancelled.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let id = request.id;
                        let response = if cancelled.borrow_mut().remove(&id) {
                            (
                                DecodeResponse {
                                    id,
                                    key: request.key.clone(),
                                    result: DecodeOutcome::Cancelled,
                                },
                                Vec::new(),
                            )
                        } else {
                            decode(request, &scope, &cancelled).await
                        };
                        post(&scope, response);
                    });
                }
                Ok(WorkerMessage::Cancel { id }) => {
                    cancelled.borrow_mut().insert(id);
                }
                Err(e) => leptos::logging::error!("Lumen decode worker: unreadable message: {e}"),
            }
        })
    };
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as its handler: never dropped.
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str("ready"));
}

/// Fetches and decodes one frame; every failure becomes a [`DecodeOutcome::Failed`] with a readable reason. A frame
/// fetched from WADO-RS is read as it arrives: while its bytes come in, reduced-resolution previews of an HTJ2K
/// frame are posted as [`DecodeOutcome::Preview`] answers to the same request (see [`Previews`]).
async fn decode(
    request: DecodeRequest,
    scope: &DedicatedWorkerGlobalScope,
    cancelled: &Rc<RefCell<HashSet<u64>>>,
) -> (DecodeResponse, Vec<PixelBuffer>) {
    let DecodeRequest { id, key, source } = request;
    if let FrameSource::Bytes {
        file_id,
        frame_number,
    } = &source
    {
        let decoded = match parsed_local_file(file_id).await {
            Ok(file) => decode_file_frame(&file, *frame_number)
                .map(|mut frame| {
                    frame.meta.key = key.clone();
                    frame
                })
                .map_err(|e| e.to_string()),
            Err(message) => Err(message),
        };
        return match decoded {
            Ok(frame) => frame.into_response(id),
            Err(message) => (DecodeResponse::failed(id, key, message), Vec::new()),
        };
    }
    let mut previews = Previews::new(id, &key, &source, scope, cancelled);
    let fetched = fetch(&source, &mut previews).await;
    let decoded = fetched.and_then(|(bytes, syntax, media_type)| {
        decode_fetched(
            &key,
            &source,
            &bytes,
            syntax.as_deref(),
            media_type.as_deref(),
        )
        .map_err(|e| e.to_string())
    });
    match decoded {
        Ok(frame) => frame.into_response(id),
        Err(message) => (DecodeResponse::failed(id, key, message), Vec::new()),
    }
}

/// Reduced-resolution previews of one WADO-RS frame while it arrives, posted to the page as
/// [`DecodeOutcome::Preview`] answers (only when a higher resolution became decodable; none once the request is
/// cancelled). Nothing here can fail the request: the frame's answer comes from the whole bytes as before.
struct Previews<'a> {
    id: u64,
    preview: Option<WadoFramePreview>,
    scope: &'a DedicatedWorkerGlobalScope,
    cancelled: &'a Rc<RefCell<HashSet<u64>>>,
}

impl<'a> Previews<'a> {
    fn new(
        id: u64,
        key: &FrameKey,
        source: &FrameSource,
        scope: &'a DedicatedWorkerGlobalScope,
        cancelled: &'a Rc<RefCell<HashSet<u64>>>,
    ) -> Self {
        let preview = match source {
            FrameSource::WadoFrame {
                instance_metadata,
                frame_number,
                ..
            } => serde_json::from_str::<serde_json::Value>(instance_metadata)
                .ok()
                .and_then(|m| WadoFramePreview::new(&m, *frame_number, key.clone())),
            _ => None,
        };
        Previews {
            id,
            preview,
            scope,
            cancelled,
        }
    }

    /// The frame's first bytes arrived (more of them than last time).
    fn offer(&mut self, prefix: &FramePrefix<'_>) {
        let (Some(preview), Some(syntax)) = (self.preview.as_mut(), prefix.transfer_syntax) else {
            return;
        };
        if self.cancelled.borrow().contains(&self.id) {
            self.preview = None;
            return;
        }
        if let Some((frame, levels)) = preview.offer(prefix.data, syntax) {
            post(self.scope, frame.into_preview_response(self.id, levels));
        }
    }
}

/// The bytes for `source`, with the frame's transfer syntax and media type when fetched as a frame.
async fn fetch(
    source: &FrameSource,
    previews: &mut Previews<'_>,
) -> Result<(Vec<u8>, Option<String>, Option<String>), String> {
    let syntax = source.transfer_syntax_request().unwrap_or_default();
    match source {
        FrameSource::WadoFrame {
            base_url,
            study_instance_uid,
            series_instance_uid,
            sop_instance_uid,
            frame_number,
            ..
        } => {
            let client = crate::auth::client(base_url.clone());
            let numbers = [*frame_number];
            let retrieve = |syntax| {
                client.retrieve_frames(
                    study_instance_uid,
                    series_instance_uid,
                    sop_instance_uid,
                    &numbers,
                    syntax,
                )
            };
            // Read as it arrives, for previews; the frame is the same as `retrieve_frames` gives.
            let progressive = client
                .retrieve_frame_progressive(
                    study_instance_uid,
                    series_instance_uid,
                    sop_instance_uid,
                    *frame_number,
                    &syntax,
                    &mut |prefix| previews.offer(prefix),
                )
                .await
                .map(|frame| vec![frame]);
            let frames = match progressive {
                // Some archives fail to hand out a frame as stored (Orthanc's DICOMweb plugin answers 500 to
                // `transfer-syntax=*` for Explicit VR Big Endian and Deflated instances): ask again for the default,
                // uncompressed Explicit VR Little Endian, which every origin server must provide (PS3.18 8.7.3).
                Err(lumen_dicomweb::Error::Http { status, .. })
                    if (status >= 500 || status == 406)
                        && !matches!(syntax, TransferSyntaxRequest::Default) =>
                {
                    retrieve(&TransferSyntaxRequest::Default).await
                }
                other => other,
            }
            .map_err(|e| e.to_string())?;
            let frame = frames
                .into_iter()
                .next()
                .ok_or_else(|| format!("the archive returned no data for frame {frame_number}"))?;
            Ok((
                frame.data.to_vec(),
                frame.transfer_syntax,
                Some(frame.media_type),
            ))
        }
        FrameSource::WadoInstance {
            base_url,
            study_instance_uid,
            series_instance_uid,
            sop_instance_uid,
            ..
        } => {
            let client = crate::auth::client(base_url.clone());
            let bytes = client
                .retrieve_instance(
                    study_instance_uid,
                    series_instance_uid,
                    sop_instance_uid,
                    &syntax,
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok((bytes.to_vec(), None, None))
        }
        FrameSource::Bytes { .. } => Err("a local file is read from disk, not fetched".to_string()),
    }
}

/// Posts `[response JSON, buffers…]`, transferring the buffers.
fn post(
    scope: &DedicatedWorkerGlobalScope,
    (response, buffers): (DecodeResponse, Vec<PixelBuffer>),
) {
    let json = match serde_json::to_string(&response) {
        Ok(json) => json,
        Err(e) => {
            leptos::logging::error!("Lumen decode worker: cannot encode a response: {e}");
            return;
        }
    };
    let message = Array::new();
    let transfer = Array::new();
    message.push(&JsValue::from_str(&json));
    for buffer in buffers {
        let array: JsValue = match buffer {
            PixelBuffer::F32(v) => Float32Array::from(v.as_slice()).into(),
            PixelBuffer::U8(v) => Uint8Array::from(v.as_slice()).into(),
            PixelBuffer::I32(v) => Int32Array::from(v.as_slice()).into(),
            PixelBuffer::I8(v) => Int8Array::from(v.as_slice()).into(),
            PixelBuffer::U16(v) => Uint16Array::from(v.as_slice()).into(),
            PixelBuffer::I16(v) => Int16Array::from(v.as_slice()).into(),
        };
        if let Ok(buffer) = js_sys::Reflect::get(&array, &JsValue::from_str("buffer")) {
            transfer.push(&buffer);
        }
        message.push(&array);
    }
    if let Err(e) = scope.post_message_with_transfer(&message, &transfer) {
        leptos::logging::error!("Lumen decode worker: cannot post a response: {e:?}");
    }
}

/// Keeps the files of `list` (`[[file_id, File], …]`) for later [`FrameSource::Bytes`] requests.
fn add_files(list: &JsValue) {
    let Ok(list) = list.clone().dyn_into::<Array>() else {
        return;
    };
    FILES.with_borrow_mut(|files| {
        for pair in list.iter() {
            let Ok(pair) = pair.dyn_into::<Array>() else {
                continue;
            };
            if let (Some(id), Ok(file)) = (
                pair.get(0).as_string(),
                pair.get(1).dyn_into::<web_sys::File>(),
            ) {
                files.insert(id, file);
            }
        }
    });
}

/// The bytes of a file from disk.
async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| format!("cannot read {}: {}", file.name(), js_text(&e)))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// The local file `file_id`, parsed (from the one-file cache when it was parsed last).
async fn parsed_local_file(file_id: &str) -> Result<Rc<DicomFile>, String> {
    if let Some(file) = LAST_PARSED.with_borrow(|last| {
        last.as_ref()
            .filter(|(id, _)| id == file_id)
            .map(|(_, f)| f.clone())
    }) {
        return Ok(file);
    }
    let handle = FILES
        .with_borrow(|files| files.get(file_id).cloned())
        .ok_or_else(|| "the file is no longer open in this tab".to_string())?;
    let bytes = read_file(&handle).await?;
    let parsed = DicomFile::from_bytes(&bytes)
        .map_err(|e| format!("{}: not a readable DICOM file: {e}", handle.name()))?;
    let parsed = Rc::new(parsed);
    LAST_PARSED.with_borrow_mut(|last| *last = Some((file_id.to_string(), parsed.clone())));
    Ok(parsed)
}

/// Answers a [`LOCAL_SCAN`] request: the file's DICOM JSON without its pixels, or why it cannot be read.
async fn scan(scope: &DedicatedWorkerGlobalScope, n: JsValue, file: JsValue) {
    let result: Result<serde_json::Value, String> = match file.dyn_into::<web_sys::File>() {
        Ok(file) => match read_file(&file).await {
            Ok(bytes) => lumen_frames::local_metadata_from_bytes(&bytes).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        },
        Err(_) => Err("not a file".to_string()),
    };
    let json = serde_json::to_string(&result)
        .unwrap_or_else(|e| format!("{{\"Err\":\"cannot encode the metadata: {e}\"}}"));
    let message = Array::of3(
        &JsValue::from_str(LOCAL_SCAN),
        &n,
        &JsValue::from_str(&json),
    );
    if let Err(e) = scope.post_message(&message) {
        leptos::logging::error!("Lumen decode worker: cannot post a file's metadata: {e:?}");
    }
}

/// A JS error as text.
fn js_text(value: &JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            value
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{value:?}"))
}
