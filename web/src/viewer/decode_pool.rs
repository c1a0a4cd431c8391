//! The UI thread's side of decoding: a pool of decode workers (`/decode-worker.js`, bounded by
//! `navigator.hardwareConcurrency`), each request sent to the least busy worker that said "ready", answers turned
//! back into [`DecodedFrame`]s from the transferred buffers, and cancellation of requests no longer wanted.
//!
//! The UI thread never decodes: it only posts requests and receives pixels. This module must not decide what to
//! fetch (the prefetch scheduler does) nor keep frames (the frame cache does).

use js_sys::{Array, Float32Array, Int16Array, Int32Array, Int8Array, Uint16Array, Uint8Array};
use lumen_frames::{
    BufferElement, DecodeOutcome, DecodeRequest, DecodeResponse, DecodedFrame, FrameKey,
    FrameSource, PixelBuffer, RequestId, WorkerMessage,
};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

/// The script that starts a worker: it imports the wasm-bindgen glue and calls `worker_main`.
const WORKER_SCRIPT: &str = "/decode-worker.js";

/// What came back for a request.
pub enum PoolEvent {
    /// The frame, decoded.
    Decoded(Box<DecodedFrame>),
    /// A reduced-resolution preview of a frame still arriving (full Rows × Columns, `discarded_levels` resolution
    /// levels left out): to show until its `Decoded` answer, never to keep as the frame.
    Preview {
        frame: Box<DecodedFrame>,
        discarded_levels: u8,
    },
    /// Fetching or decoding failed; `message` says why (shown on the frame's placeholder).
    Failed { key: FrameKey, message: String },
    /// The worker dropped the request after a cancel.
    Cancelled { key: FrameKey },
}

struct Slot {
    worker: Worker,
    ready: bool,
    /// Messages waiting for "ready".
    queued: Vec<JsValue>,
    /// The bearer token this worker last received (see `crate::auth`).
    token_sent: Option<String>,
    busy: usize,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

/// The worker pool.
pub struct DecodePool {
    slots: Vec<Slot>,
    next_id: RequestId,
    /// Outstanding requests: id → (worker index, frame).
    outstanding: HashMap<RequestId, (usize, FrameKey)>,
}

/// Starts a decode worker named `name` and hands it the page's compiled wasm module (so it neither downloads nor
/// compiles the module again); it posts `"ready"` once it listens.
pub fn start_worker(name: &str) -> Result<Worker, String> {
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    options.set_name(name);
    let worker = Worker::new_with_options(WORKER_SCRIPT, &options)
        .map_err(|e| format!("cannot start a decode worker ({WORKER_SCRIPT}): {e:?}"))?;
    // Not a WebAssembly.Module (an unusual build)? The worker then loads the module itself.
    worker
        .post_message(&wasm_bindgen::module())
        .map_err(|e| format!("cannot hand the wasm module to a decode worker: {e:?}"))?;
    Ok(worker)
}

/// Number of workers for this browser: hardwareConcurrency − 1, between 1 and 8.
pub fn worker_count() -> usize {
    let cores = web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .unwrap_or(2.0);
    let n = if cores.is_finite() { cores as usize } else { 2 };
    n.saturating_sub(1).clamp(1, 8)
}

impl DecodePool {
    /// Starts `size` workers; `on_event` is called (outside any borrow of the pool) for every answer.
    pub fn start(
        size: usize,
        on_event: Rc<dyn Fn(PoolEvent)>,
    ) -> Result<Rc<RefCell<DecodePool>>, String> {
        let pool = Rc::new(RefCell::new(DecodePool {
            slots: Vec::new(),
            next_id: 1,
            outstanding: HashMap::new(),
        }));
        for index in 0..size.max(1) {
            let worker = start_worker(&format!("lumen-decode-{}", index + 1))?;
            let weak = Rc::downgrade(&pool);
            let on_event = on_event.clone();
            let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
                if let Some(event) = receive(&weak, index, ev.data()) {
                    on_event(event);
                }
            });
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
                leptos::logging::error!("Lumen: decode worker {} failed: {:?}", index + 1, ev);
            });
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            on_error.forget();
            pool.borrow_mut().slots.push(Slot {
                worker,
                ready: false,
                queued: Vec::new(),
                token_sent: None,
                busy: 0,
                _on_message: on_message,
            });
        }
        Ok(pool)
    }

    /// Asks for frame `key` from `source`; returns the request id.
    pub fn submit(&mut self, key: FrameKey, source: FrameSource) -> RequestId {
        let id = self.next_id;
        self.next_id += 1;
        let Some(index) = (0..self.slots.len()).min_by_key(|&i| self.slots[i].busy) else {
            return id;
        };
        let message = WorkerMessage::Decode(DecodeRequest {
            id,
            key: key.clone(),
            source,
        });
        self.outstanding.insert(id, (index, key));
        self.send(index, &message);
        if let Some(slot) = self.slots.get_mut(index) {
            slot.busy += 1;
        }
        id
    }

    /// Cancels request `id` if it is still outstanding (its answer will be `Cancelled` or arrive late and be
    /// ignored by the caller).
    pub fn cancel(&mut self, id: RequestId) {
        if let Some((index, _)) = self.outstanding.get(&id).cloned() {
            self.send(index, &WorkerMessage::Cancel { id });
        }
    }

    /// Hands files from the reader's disk to every worker (as `File` handles: no bytes are copied, and nothing
    /// leaves the browser), for [`FrameSource::Bytes`] requests naming them by id.
    pub fn add_files(&mut self, files: &[(String, web_sys::File)]) {
        let list = Array::new();
        for (id, file) in files {
            list.push(&Array::of2(&JsValue::from_str(id), file));
        }
        let message: JsValue =
            Array::of2(&JsValue::from_str(crate::decode_worker::LOCAL_FILES), &list).into();
        for index in 0..self.slots.len() {
            self.post(index, message.clone());
        }
    }

    fn send(&mut self, index: usize, message: &WorkerMessage) {
        let Ok(text) = serde_json::to_string(message) else {
            return;
        };
        self.post(index, JsValue::from_str(&text));
    }

    fn post(&mut self, index: usize, message: JsValue) {
        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        if slot.ready {
            crate::auth::send_to_worker(&slot.worker, &mut slot.token_sent);
            if let Err(e) = slot.worker.post_message(&message) {
                leptos::logging::error!("Lumen: cannot post to a decode worker: {e:?}");
            }
        } else {
            slot.queued.push(message);
        }
    }
}

impl Drop for DecodePool {
    fn drop(&mut self) {
        for slot in &self.slots {
            slot.worker.terminate();
        }
    }
}

/// Handles one message from worker `index`.
fn receive(pool: &Weak<RefCell<DecodePool>>, index: usize, data: JsValue) -> Option<PoolEvent> {
    let pool = pool.upgrade()?;
    if data.as_string().as_deref() == Some("ready") {
        let mut pool = pool.borrow_mut();
        let slot = pool.slots.get_mut(index)?;
        slot.ready = true;
        crate::auth::send_to_worker(&slot.worker, &mut slot.token_sent);
        for message in std::mem::take(&mut slot.queued) {
            let _ = slot.worker.post_message(&message);
        }
        return None;
    }
    let array: Array = data.dyn_into().ok()?;
    let text = array.get(0).as_string()?;
    let response: DecodeResponse = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            leptos::logging::error!("Lumen: unreadable decode answer: {e}");
            return None;
        }
    };
    let preview = matches!(response.result, DecodeOutcome::Preview { .. });
    if preview && !pool.borrow().outstanding.contains_key(&response.id) {
        // A preview of a request already answered or cancelled.
        return None;
    }
    if !preview {
        let mut pool = pool.borrow_mut();
        if pool.outstanding.remove(&response.id).is_some() {
            if let Some(slot) = pool.slots.get_mut(index) {
                slot.busy = slot.busy.saturating_sub(1);
            }
        }
    }
    let key = response.key.clone();
    Some(match response.result {
        DecodeOutcome::Cancelled => PoolEvent::Cancelled { key },
        DecodeOutcome::Failed { message } => PoolEvent::Failed { key, message },
        DecodeOutcome::Preview {
            meta,
            buffers: layouts,
            discarded_levels,
        } => {
            let buffers = received_buffers(&array, &layouts);
            // A preview that does not join back is dropped: the frame's own answer follows.
            let frame = DecodedFrame::from_response(*meta, &layouts, buffers).ok()?;
            PoolEvent::Preview {
                frame: Box::new(frame),
                discarded_levels,
            }
        }
        DecodeOutcome::Decoded {
            meta,
            buffers: layouts,
        } => {
            let buffers = received_buffers(&array, &layouts);
            match DecodedFrame::from_response(*meta, &layouts, buffers) {
                Ok(frame) => PoolEvent::Decoded(Box::new(frame)),
                Err(e) => PoolEvent::Failed {
                    key,
                    message: e.to_string(),
                },
            }
        }
    })
}

/// The typed arrays after the response text of a worker's message, as `layouts` announces them.
fn received_buffers(array: &Array, layouts: &[lumen_frames::BufferLayout]) -> Vec<PixelBuffer> {
    layouts
        .iter()
        .enumerate()
        .map(|(i, layout)| {
            let item = array.get(i as u32 + 1);
            match layout.element {
                BufferElement::F32 => PixelBuffer::F32(Float32Array::new(&item).to_vec()),
                BufferElement::U8 => PixelBuffer::U8(Uint8Array::new(&item).to_vec()),
                BufferElement::I32 => PixelBuffer::I32(Int32Array::new(&item).to_vec()),
                BufferElement::I8 => PixelBuffer::I8(Int8Array::new(&item).to_vec()),
                BufferElement::U16 => PixelBuffer::U16(Uint16Array::new(&item).to_vec()),
                BufferElement::I16 => PixelBuffer::I16(Int16Array::new(&item).to_vec()),
            }
        })
        .collect()
}
