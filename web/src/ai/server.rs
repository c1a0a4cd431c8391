//! Lumen's own server as an AI back end (`lumen serve`'s `/api/ai/jobs`): the browser sends only the model id and
//! the study/series UIDs; the server pulls the pixels from the archive itself, runs the model natively and stores
//! the result (SR or SEG) in the study, where the viewer and the study list read it back. For models whose
//! manifest says `runs_on: server`, for the worklist, or when the reader asks.

use leptos::prelude::*;

/// Runs `model` on `study` (and `series`, else the server's choice) on the server and waits until its result is
/// stored; `progress(done, total)` is called as instances are processed; `cancelled()` is polled and, when true,
/// the job is cancelled on the server (nothing is stored) and `Ok(false)` returned. `Ok(true)`: stored.
pub async fn server_job(
    model: &str,
    study: &str,
    series: Option<&str>,
    progress: impl Fn(u64, u64),
    cancelled: impl Fn() -> bool,
) -> Result<bool, String> {
    let origin = location().origin().unwrap_or_default();
    let mut body = serde_json::json!({ "model": model, "study": study });
    if let Some(series) = series {
        body["series"] = serde_json::Value::String(series.to_string());
    }
    let body = body.to_string();
    let created = request("POST", &format!("{origin}/api/ai/jobs"), Some(body)).await?;
    let job = created.get("job").and_then(|j| j.as_str()).ok_or("the server did not name the job")?.to_string();
    let url = format!("{origin}/api/ai/jobs/{job}");
    loop {
        sleep(300).await;
        if cancelled() {
            let _ = request("DELETE", &url, None).await;
            return Ok(false);
        }
        let state = request("GET", &url, None).await?;
        let count = |k: &str| state.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
        progress(count("done"), count("total"));
        match state.get("state").and_then(|s| s.as_str()) {
            Some("done") => return Ok(true),
            Some("failed") => {
                let message = state.get("message").and_then(|m| m.as_str()).unwrap_or("failed");
                return Err(format!("study {study}: {message}"));
            }
            Some("cancelled") => return Ok(false),
            _ => {}
        }
    }
}

/// Waits `ms` milliseconds (a timer, not a busy loop).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A JSON request to Lumen's own server, with the reader's bearer token.
async fn request(method: &str, url: &str, body: Option<String>) -> Result<serde_json::Value, String> {
    use lumen_dicomweb::transport::FetchTransport;
    use lumen_dicomweb::{HttpRequest, Method, Transport};
    let method = match method {
        "POST" => Method::Post,
        "DELETE" => Method::Delete,
        _ => Method::Get,
    };
    let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
    if body.is_some() {
        headers.push(("Content-Type".to_string(), "application/json".to_string()));
    }
    if let Some(token) = crate::auth::bearer_token() {
        headers.push(("Authorization".to_string(), format!("Bearer {token}")));
    }
    let request = HttpRequest { method, url: url.to_string(), headers, body: body.map(bytes::Bytes::from).unwrap_or_default() };
    let response = FetchTransport::new().send(request).await.map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or(serde_json::Value::Null);
    if !(200..300).contains(&response.status) {
        let message = value.get("message").or_else(|| value.get("error")).and_then(|m| m.as_str()).unwrap_or("");
        return Err(format!("{url}: HTTP {} {message}", response.status));
    }
    Ok(value)
}

