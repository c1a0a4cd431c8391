//! One JSON `GET` with the browser's `fetch`, for `/api/config` and QIDO-RS searches.
//!
//! Credentials are sent only to the same origin (the default), so a session cookie of the Lumen server never leaks
//! to a remote PACS. A `204 No Content` answer (how QIDO-RS says "no match") reads as JSON `null`. This module
//! must not know any DICOM attribute.

use super::LoadError;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// `GET url` with `Accept: accept`, and the body parsed as JSON into `T`.
pub async fn get_json<T: DeserializeOwned>(url: &str, accept: &str) -> Result<T, LoadError> {
    let network = |e: JsValue| LoadError::Network { url: url.to_string(), message: js_message(&e) };

    let init = RequestInit::new();
    init.set_method("GET");
    let request = Request::new_with_str_and_init(url, &init).map_err(network)?;
    request.headers().set("Accept", accept).map_err(network)?;

    let window = web_sys::window().ok_or_else(|| LoadError::Network {
        url: url.to_string(),
        message: "no browser window".to_string(),
    })?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(network)?
        .dyn_into()
        .map_err(network)?;

    if !response.ok() {
        return Err(LoadError::Status { url: url.to_string(), status: response.status(), status_text: response.status_text() });
    }
    let text = if response.status() == 204 {
        String::new()
    } else {
        JsFuture::from(response.text().map_err(network)?).await.map_err(network)?.as_string().unwrap_or_default()
    };
    let body = if text.trim().is_empty() { "null" } else { text.as_str() };
    serde_json::from_str(body).map_err(|e| LoadError::BadJson { url: url.to_string(), message: e.to_string() })
}

/// The message of a JavaScript error value (`TypeError: Failed to fetch` → `Failed to fetch`).
fn js_message(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}
