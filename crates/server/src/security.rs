//! Security headers on every response: a Content-Security-Policy that lets the page load and connect only to its
//! own origin (plus explicitly configured DICOMweb origins), run its wasm module, and be framed only where allowed;
//! `X-Content-Type-Options: nosniff`; `Referrer-Policy: no-referrer` (study URLs hold UIDs, which must not leak).
//!
//! This module decides headers only; it must not look at request bodies or routes.

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::header::{
    HeaderValue, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;

/// The policy with no extra origin and framing by the same origin only.
pub(crate) const DEFAULT_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
connect-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; \
frame-ancestors 'self'; base-uri 'none'; object-src 'none'";

/// The Content-Security-Policy value for the given extra `connect-src` origins (e.g. `https://pacs.example.org`)
/// and `frame-ancestors` sources (`'self'` when empty). Entries holding characters that could end a directive
/// (`;`, `,`, quotes other than a keyword's, whitespace, control characters) are dropped.
pub fn content_security_policy(connect_origins: &[String], frame_ancestors: &[String]) -> String {
    let clean = |sources: &[String]| -> Vec<String> {
        sources
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| is_source_expression(s))
            .collect()
    };
    let mut connect = vec!["'self'".to_string()];
    connect.extend(clean(connect_origins));
    let mut frames = clean(frame_ancestors);
    if frames.is_empty() {
        frames.push("'self'".to_string());
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src {}; img-src 'self' blob: data:; \
style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; frame-ancestors {}; base-uri 'none'; object-src 'none'",
        connect.join(" "),
        frames.join(" ")
    )
}

/// The entries of `sources` that are exact origins (`https://ris.example.org`, `http://127.0.0.1:8042`): scheme
/// http or https, a host without wildcard, an optional port, nothing after. Keywords (`'self'`), wildcards and
/// paths are left out: a page's origin is compared with these exactly before a token it posts is accepted.
pub fn exact_origins(sources: &[String]) -> Vec<String> {
    sources
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.contains('*'))
        .filter_map(|s| reqwest::Url::parse(s).ok())
        .filter(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && u.path() == "/"
                && u.query().is_none()
                && u.fragment().is_none()
                && u.username().is_empty()
        })
        .map(|u| u.origin().ascii_serialization())
        .collect()
}

/// Whether `s` is a single CSP source expression: a quoted keyword (`'self'`, `'none'`) or a host source/scheme
/// without separators.
fn is_source_expression(s: &str) -> bool {
    if s.is_empty()
        || s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ';' || c == ',')
    {
        return false;
    }
    let quoted = s.len() > 2 && s.starts_with('\'') && s.ends_with('\'');
    if quoted {
        return s[1..s.len() - 1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    }
    !s.contains('\'') && !s.contains('"')
}

/// Middleware adding the security headers to every response, including errors and proxied responses (an
/// upstream's own CSP is replaced: the page is Lumen's).
pub(crate) async fn add_security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, (*state.csp).clone());
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_origins_may_post_a_token() {
        let sources: Vec<String> = [
            "'self'",
            "https://RIS.example.org/",
            "http://127.0.0.1:8042",
            "https://*.example.org",
            "https://portal.example.org/viewer",
            "https:",
            "ftp://files.example.org",
            "https://user@portal.example.org",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            exact_origins(&sources),
            ["https://ris.example.org", "http://127.0.0.1:8042"]
        );
    }

    #[test]
    fn default_policy_allows_only_own_origin() {
        assert_eq!(content_security_policy(&[], &[]), DEFAULT_POLICY);
    }

    #[test]
    fn configured_origins_extend_connect_src_and_frame_ancestors() {
        let csp = content_security_policy(
            &["https://pacs.example.org".into()],
            &["'self'".into(), "https://ris.example.org".into()],
        );
        assert!(
            csp.contains("connect-src 'self' https://pacs.example.org;"),
            "{csp}"
        );
        assert!(
            csp.contains("frame-ancestors 'self' https://ris.example.org;"),
            "{csp}"
        );
    }

    #[test]
    fn entries_that_would_inject_directives_are_dropped() {
        let csp = content_security_policy(
            &[
                "https://a.org; script-src *".into(),
                "'unsafe-eval' x".into(),
            ],
            &[],
        );
        assert!(csp.contains("connect-src 'self';"), "{csp}");
        assert!(!csp.contains("script-src *"), "{csp}");
    }
}
