//! [`Transport`] over the browser's `fetch`, from a page (`Window`) or a worker (`WorkerGlobalScope`), or the global
//! `fetch` of other JavaScript hosts (Node 18+, where the wasm tests run).
//!
//! It sends exactly the request it is given in CORS mode and reads the whole body as an `ArrayBuffer`; it must not
//! interpret statuses. A CORS rejection or network failure surfaces as a [`TransportError`] carrying the browser's
//! message (browsers deliberately hide the reason; the console shows it).

use super::{HttpRequest, HttpResponse, OnBodyData, StreamingTransport, Transport, TransportError};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Headers, ReadableStreamDefaultReader, Request, RequestInit, RequestMode, Response, Window,
    WorkerGlobalScope,
};

/// A [`Transport`] using the global `fetch` of the current page, worker or JavaScript host.
#[derive(Debug, Clone, Default)]
pub struct FetchTransport {
    _private: (),
}

impl FetchTransport {
    /// A transport over the global `fetch`.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Transport for FetchTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        fetch(request)
            .await
            .map_err(|e| TransportError::new(js_message(&e)))
    }
}

impl StreamingTransport for FetchTransport {
    async fn send_streaming(
        &self,
        request: HttpRequest,
        on_data: &mut OnBodyData<'_>,
    ) -> Result<HttpResponse, TransportError> {
        fetch_streaming(request, on_data)
            .await
            .map_err(|e| TransportError::new(js_message(&e)))
    }
}

/// Reads the body with the response's `ReadableStream` reader, chunk by chunk (the whole body at once where the
/// host has no stream).
async fn fetch_streaming(
    request: HttpRequest,
    on_data: &mut OnBodyData<'_>,
) -> Result<HttpResponse, JsValue> {
    let (response, status, headers) = start(request).await?;
    let Some(stream) = response.body() else {
        let buffer = JsFuture::from(response.array_buffer()?).await?;
        let body = js_sys::Uint8Array::new(&buffer).to_vec();
        on_data(status, &headers, &body);
        return Ok(HttpResponse {
            status,
            headers,
            body: body.into(),
        });
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().dyn_into()?;
    let mut body = Vec::new();
    loop {
        let result = JsFuture::from(reader.read()).await?;
        let done = js_sys::Reflect::get(&result, &JsValue::from_str("done"))?;
        if done.as_bool().unwrap_or(true) {
            break;
        }
        let value = js_sys::Reflect::get(&result, &JsValue::from_str("value"))?;
        let chunk = js_sys::Uint8Array::new(&value).to_vec();
        body.extend_from_slice(&chunk);
        on_data(status, &headers, &chunk);
    }
    Ok(HttpResponse {
        status,
        headers,
        body: body.into(),
    })
}

async fn fetch(request: HttpRequest) -> Result<HttpResponse, JsValue> {
    let (response, status, headers) = start(request).await?;
    let buffer = JsFuture::from(response.array_buffer()?).await?;
    let body = js_sys::Uint8Array::new(&buffer).to_vec();
    Ok(HttpResponse {
        status,
        headers,
        body: body.into(),
    })
}

/// Sends the request; the response with its status and headers, its body not read yet.
async fn start(request: HttpRequest) -> Result<(Response, u16, Vec<(String, String)>), JsValue> {
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    init.set_mode(RequestMode::Cors);
    let headers = Headers::new()?;
    for (name, value) in &request.headers {
        headers.append(name, value)?;
    }
    init.set_headers(&headers);
    if !request.body.is_empty() {
        let body = js_sys::Uint8Array::from(&request.body[..]);
        init.set_body(&body);
    }
    let js_request = Request::new_with_str_and_init(&request.url, &init)?;
    let global = js_sys::global();
    let promise = if let Some(window) = global.dyn_ref::<Window>() {
        window.fetch_with_request(&js_request)
    } else if let Some(worker) = global.dyn_ref::<WorkerGlobalScope>() {
        worker.fetch_with_request(&js_request)
    } else {
        // Other JavaScript hosts (Node 18+, Deno) expose `fetch` on the global object.
        let fetch = js_sys::Reflect::get(&global, &JsValue::from_str("fetch"))?
            .dyn_into::<js_sys::Function>()
            .map_err(|_| JsValue::from_str("this JavaScript environment has no fetch"))?;
        fetch
            .call1(&global, &js_request)?
            .dyn_into::<js_sys::Promise>()?
    };
    let response: Response = JsFuture::from(promise).await?.dyn_into()?;
    let status = response.status();
    let mut response_headers = Vec::new();
    let entries = js_sys::try_iter(&response.headers().entries())?;
    if let Some(entries) = entries {
        for entry in entries {
            let pair: js_sys::Array = entry?.dyn_into()?;
            if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                response_headers.push((name, value));
            }
        }
    }
    Ok((response, status, response_headers))
}

/// The message of a JavaScript exception (`TypeError: Failed to fetch`), or its debug form.
fn js_message(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}
