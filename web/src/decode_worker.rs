//! The decode worker: the same wasm module, started in a Web Worker by `static/decode-worker.js`, which calls
//! [`worker_main`]. It receives [`WorkerMessage`]s (JSON text), fetches each frame with WADO-RS (the frame as the
//! archive holds it, `transfer-syntax=*`, so compressed frames travel compressed), decodes it with
//! `lumen_frames::decode_fetched` (lumen-dicom underneath) and posts back `[response JSON, buffers…]` with the
//! pixel buffers *transferred*, not copied.
//!
//! Protocol on the wire: the worker posts the string `"ready"` once it listens; every answer is a JS array whose
//! first item is the [`DecodeResponse`] as JSON and whose other items are typed arrays in the order of its
//! buffer layouts. It also renders the first frame of a file opened from disk for the local-file page
//! ([`LOCAL_FILE`]). This module must not touch the DOM (there is none in a worker) nor keep decoded frames.

use js_sys::{Array, Float32Array, Int32Array, Uint8Array};
use lumen_dicomweb::TransferSyntaxRequest;
use lumen_frames::{
    decode_fetched, DecodeOutcome, DecodeRequest, DecodeResponse, FrameSource, PixelBuffer,
    WorkerMessage,
};
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// The first item of a message asking to render a local file's first frame: `[LOCAL_FILE, ArrayBuffer]`, answered
/// with `[Result<RenderedFile, String> as JSON, Uint8Array RGBA]` (the RGBA travels beside the JSON, transferred).
pub const LOCAL_FILE: &str = "local-file";

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
                if array.get(0).as_string().as_deref() == Some(LOCAL_FILE) {
                    render_local_file(&scope, &Uint8Array::new(&array.get(1)).to_vec());
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
                            decode(request).await
                        };
                        post(&scope, response);
                    });
                }
                Ok(WorkerMessage::Cancel { id }) => {
                    cancelled.borrow_mut().insert(id);
                }
                Ok(WorkerMessage::AddFile { .. } | WorkerMessage::RemoveFile { .. }) => {
                    leptos::logging::warn!(
                        "Lumen decode worker: local files are decoded on the local-file page"
                    );
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

/// Fetches and decodes one frame; every failure becomes a [`DecodeOutcome::Failed`] with a readable reason.
async fn decode(request: DecodeRequest) -> (DecodeResponse, Vec<PixelBuffer>) {
    let DecodeRequest { id, key, source } = request;
    let fetched = fetch(&source).await;
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

/// The bytes for `source`, with the frame's transfer syntax and media type when fetched as a frame.
async fn fetch(source: &FrameSource) -> Result<(Vec<u8>, Option<String>, Option<String>), String> {
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
            let frames = match retrieve(&syntax).await {
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
        FrameSource::Bytes { .. } => Err("this worker decodes archive frames only".to_string()),
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

/// Renders the first frame of a local file (Part 10 bytes) and posts the result, the RGBA transferred.
fn render_local_file(scope: &DedicatedWorkerGlobalScope, bytes: &[u8]) {
    let mut result = crate::local_file::RenderedFile::render(bytes);
    let rgba = match result.as_mut() {
        Ok(file) => std::mem::take(&mut file.rgba),
        Err(_) => Vec::new(),
    };
    let json = serde_json::to_string(&result)
        .unwrap_or_else(|e| format!("{{\"Err\":\"cannot encode the result: {e}\"}}"));
    let pixels = Uint8Array::from(rgba.as_slice());
    let message = Array::of2(&JsValue::from_str(&json), &pixels);
    let transfer = Array::of1(&pixels.buffer());
    if let Err(e) = scope.post_message_with_transfer(&message, &transfer) {
        leptos::logging::error!("Lumen decode worker: cannot post a rendered file: {e:?}");
    }
}
