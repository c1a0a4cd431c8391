//! The bearer token the app sends as `Authorization: Bearer <token>` on its DICOMweb requests (QIDO-RS, metadata,
//! and the frames the decode workers fetch), for archives behind an OAuth 2 / OpenID Connect gateway.
//!
//! The token comes from the launching URL (`?token=…` or `#token=…`; removed from the address bar at once, so it
//! is neither bookmarked nor shown), or from the page embedding Lumen (a portal, the RIS), which posts
//! `{type: "lumen-token", token}` with `window.postMessage`. Such a message is accepted only from the app's own
//! origin or from an origin the server allows to frame the app (`lumen serve --frame-ancestor`, listed as
//! `embedders` in `/api/config`); messages that arrive before that list are held until it does. Once it is
//! known, a framed app posts `{type: "lumen-ready"}` to its parent (to those origins only), so the host knows when
//! to send the token. The token is kept in memory only (never in storage) and is never written to the console.
//! This module must not send the token anywhere but in the `Authorization` header of DICOMweb requests.

use lumen_dicomweb::transport::FetchTransport;
use lumen_dicomweb::Client;
use std::cell::RefCell;

/// The first item of the message `[TOKEN_MESSAGE, token]` the decode pool posts to a decode worker so that its
/// frame requests carry the same token (workers share no memory with the page).
pub const TOKEN_MESSAGE: &str = "lumen-token";

/// The query or fragment parameter of the launching URL holding the token.
const TOKEN_PARAM: &str = "token";

/// The `type` of the message a framed app posts to its host page once it accepts tokens.
const READY_MESSAGE: &str = "lumen-ready";

thread_local! {
    static TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
    /// The origins whose pages may post a token, besides the app's own; `None` until `/api/config` was read.
    static EMBEDDERS: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
    /// Tokens posted by other origins before [`EMBEDDERS`] was known: (origin, token), oldest first.
    static PENDING: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// What to do with a token posted by a page of some origin.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Accept,
    /// The allowed origins are not known yet: hold it.
    Hold,
    Ignore,
}

fn verdict(origin: &str, own: &str, embedders: Option<&[String]>) -> Verdict {
    if origin == own {
        return Verdict::Accept;
    }
    match embedders {
        None => Verdict::Hold,
        Some(list) if list.iter().any(|o| o == origin) => Verdict::Accept,
        Some(_) => Verdict::Ignore,
    }
}

/// Sets the origins allowed to embed the app (from `/api/config`): tokens held from them are taken (the last one
/// wins), the others dropped, and a framed app tells its host page it is ready.
pub fn trust_embedders(origins: Vec<String>) {
    let held = PENDING.with_borrow_mut(std::mem::take);
    for (origin, token) in held {
        if origins.contains(&origin) {
            set_bearer_token(&token);
        }
    }
    announce_ready(&origins);
    EMBEDDERS.with_borrow_mut(|e| *e = Some(origins));
}

/// Posts `{type: "lumen-ready"}` to the parent window, addressed to the app's own origin and each embedder origin
/// (the browser delivers it only if the parent is one of them). Nothing when the app is not framed.
fn announce_ready(embedders: &[String]) {
    let window = leptos::prelude::window();
    let Ok(Some(parent)) = window.parent() else {
        return;
    };
    if wasm_bindgen::JsValue::from(parent.clone()) == wasm_bindgen::JsValue::from(window.clone()) {
        return;
    }
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &message,
        &wasm_bindgen::JsValue::from_str("type"),
        &wasm_bindgen::JsValue::from_str(READY_MESSAGE),
    );
    let own = leptos::prelude::location().origin().unwrap_or_default();
    for origin in std::iter::once(&own).chain(embedders) {
        let _ = parent.post_message(&message, origin);
    }
}

/// The current bearer token, if any.
pub fn bearer_token() -> Option<String> {
    TOKEN.with(|t| t.borrow().clone())
}

/// Replaces the bearer token. A token that cannot be an HTTP header value (empty, spaces, control or non-ASCII
/// characters) is refused with a console warning, and the previous one is kept.
pub fn set_bearer_token(token: &str) -> bool {
    let token = token.trim();
    if !is_token68(token) {
        leptos::logging::warn!(
            "Lumen: ignoring a bearer token that is not a valid token68 (RFC 6750 2.1)"
        );
        return false;
    }
    TOKEN.with(|t| t.replace(Some(token.to_string())));
    true
}

/// RFC 6750 2.1 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_token68(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// A DICOMweb client for `root` that sends the current bearer token, if any.
pub fn client(root: impl Into<String>) -> Client<FetchTransport> {
    let client = Client::new(FetchTransport::new(), root);
    match bearer_token() {
        Some(token) => client.with_bearer_token(token),
        None => client,
    }
}

/// Reads `token` from the launching URL's query or fragment, keeps it, and removes it from the address bar
/// (`history.replaceState`, so Back does not bring it back).
pub fn take_token_from_url() {
    let Ok(href) = leptos::prelude::location().href() else {
        return;
    };
    let Ok(url) = web_sys::Url::new(&href) else {
        return;
    };
    let mut found = false;
    let query = url.search_params();
    if let Some(token) = query.get(TOKEN_PARAM) {
        set_bearer_token(&token);
        query.delete(TOKEN_PARAM);
        url.set_search(&query.to_string().as_string().unwrap_or_default());
        found = true;
    }
    let hash = url.hash();
    if let Some(fragment) = hash.strip_prefix('#') {
        if let Ok(params) = web_sys::UrlSearchParams::new_with_str(fragment) {
            if let Some(token) = params.get(TOKEN_PARAM) {
                set_bearer_token(&token);
                params.delete(TOKEN_PARAM);
                let rest = params.to_string().as_string().unwrap_or_default();
                url.set_hash(&rest);
                found = true;
            }
        }
    }
    if found {
        if let Ok(history) = leptos::prelude::window().history() {
            let _ =
                history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url.href()));
        }
    }
}

/// Accepts `{type: "lumen-token", token}` messages posted to this window by a page of the app's own origin or of
/// an allowed embedder origin (see the module documentation); messages from any other origin are ignored.
pub fn listen_to_host_page() {
    let handle = leptos::prelude::window_event_listener(
        leptos::ev::message,
        |ev: web_sys::MessageEvent| {
            let data = ev.data();
            let field = |name: &str| {
                js_sys::Reflect::get(&data, &wasm_bindgen::JsValue::from_str(name))
                    .ok()
                    .and_then(|v| v.as_string())
            };
            if field("type").as_deref() != Some(TOKEN_MESSAGE) {
                return;
            }
            let Some(token) = field("token") else { return };
            let origin = ev.origin();
            let own = leptos::prelude::location().origin().unwrap_or_default();
            let verdict = EMBEDDERS.with_borrow(|e| verdict(&origin, &own, e.as_deref()));
            match verdict {
                Verdict::Accept => {
                    set_bearer_token(&token);
                }
                Verdict::Hold => PENDING.with_borrow_mut(|p| p.push((origin, token))),
                Verdict::Ignore => leptos::logging::warn!(
                    "Lumen: ignoring a token posted by {origin}, which is not allowed to embed this viewer"
                ),
            }
        },
    );
    // The listener lives as long as the page.
    std::mem::forget(handle);
}

/// Handles `[TOKEN_MESSAGE, token]` in a decode worker; returns whether the message was one.
pub fn receive_in_worker(message: &js_sys::Array) -> bool {
    if message.get(0).as_string().as_deref() != Some(TOKEN_MESSAGE) {
        return false;
    }
    if let Some(token) = message.get(1).as_string() {
        set_bearer_token(&token);
    }
    true
}

/// Posts the current token to a decode worker when it differs from `sent` (what that worker last received).
pub fn send_to_worker(worker: &web_sys::Worker, sent: &mut Option<String>) {
    let token = bearer_token();
    if token.is_none() || token == *sent {
        return;
    }
    let message = js_sys::Array::of2(
        &wasm_bindgen::JsValue::from_str(TOKEN_MESSAGE),
        &wasm_bindgen::JsValue::from_str(token.as_deref().unwrap_or_default()),
    );
    if worker.post_message(&message).is_ok() {
        *sent = token;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn token68_accepts_jwt_and_base64_but_not_spaces_or_controls() {
        assert!(is_token68("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"));
        assert!(is_token68("abc+/=="));
        assert!(!is_token68(""));
        assert!(!is_token68("=="));
        assert!(!is_token68("a b"));
        assert!(!is_token68("a\r\nX-Evil: 1"));
        assert!(!is_token68("jeton-é"));
    }

    #[test]
    fn tokens_come_from_the_apps_origin_or_an_allowed_embedder_only() {
        let own = "http://127.0.0.1:8080";
        let ris = vec!["https://ris.example.org".to_string()];
        assert_eq!(verdict(own, own, None), Verdict::Accept);
        assert_eq!(verdict("https://ris.example.org", own, None), Verdict::Hold);
        assert_eq!(
            verdict("https://ris.example.org", own, Some(&ris)),
            Verdict::Accept
        );
        assert_eq!(
            verdict("https://evil.example.org", own, Some(&ris)),
            Verdict::Ignore
        );
        assert_eq!(
            verdict("http://ris.example.org", own, Some(&ris)),
            Verdict::Ignore,
            "the scheme counts"
        );
        assert_eq!(verdict("null", own, Some(&[])), Verdict::Ignore);
    }
}
