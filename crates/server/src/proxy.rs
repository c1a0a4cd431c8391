//! Reverse proxy from Lumen's `/dicom-web/**` to a PACS's DICOMweb root, so the browser talks only to Lumen's
//! origin (no CORS, and the page's Content-Security-Policy can stay `connect-src 'self'`).
//!
//! The method, the path below `/dicom-web`, the query string, `Accept`, `Content-Type`, `Content-Length` and the
//! caching validators are forwarded; `Authorization` is the browser's own header or, when it has none, the
//! configured bearer token. Request and response bodies are streamed, except JSON answers (QIDO-RS results,
//! metadata), in which the upstream's absolute URLs (Retrieve URL, BulkDataURI) are rewritten to Lumen's own
//! `/dicom-web`, so that following them stays on Lumen's origin. This module must not interpret DICOM beyond that.
//!
//! The query string is re-encoded minimally (see [`normalise_query`]). One PACS needs more: Orthanc (checked with
//! 1.10 and its DICOMweb plugin 1.7) matches the raw query text without percent-decoding it, so a value holding
//! a character that cannot travel unescaped in a URL (a space, `&`, `'`, `+`, any non-ASCII letter) can never
//! match there: `PatientName=doe%20jane*` is compared as the text `doe%20jane*`, and `+` is a literal plus. For
//! Orthanc alone, such a character in an attribute's value is sent as a QIDO wildcard instead ([`orthanc_query`]):
//! `?` (exactly one character) for an ASCII one, `*` for a run of non-ASCII ones (Orthanc's `?` does not match
//! one). `?` in place of a space also matches the `^` between Person Name components, so typing `doe jane` finds
//! `DOE^JANE`, the way a fuzzy search of a standard archive does. Other archives get the standard `%20`: the
//! wildcards would widen an exact match there and defeat a fuzzy match that splits the value into words. Whether
//! the upstream is Orthanc is asked once, when a query first needs it, from the body of its 404 answer to an
//! unknown path under the DICOMweb root (Orthanc's carries `OrthancStatus`).

use crate::error::ApiError;
use crate::{AppState, Backend, Error};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use futures::TryStreamExt;
use lumen_dicomweb::encode_query_value;
use std::sync::OnceLock;

/// The upstream DICOMweb service.
#[derive(Debug)]
pub(crate) struct Upstream {
    /// DICOMweb root without a trailing slash, e.g. `https://pacs.example.org/dicom-web`.
    pub(crate) root: String,
    /// `Authorization` value sent when the browser sends none (`Bearer <token>`).
    pub(crate) authorization: Option<HeaderValue>,
    pub(crate) client: reqwest::Client,
    /// Whether the upstream is Orthanc (see the module documentation); set by the first probe that got an answer.
    is_orthanc: OnceLock<bool>,
}

/// Request headers passed upstream (besides `Authorization`, handled separately).
const FORWARDED_REQUEST_HEADERS: &[HeaderName] = &[
    header::ACCEPT,
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
    header::RANGE,
];

/// Response headers passed back to the browser.
const FORWARDED_RESPONSE_HEADERS: &[HeaderName] = &[
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_LOCATION,
    header::CONTENT_RANGE,
    header::LOCATION,
    header::WARNING,
    header::ETAG,
    header::LAST_MODIFIED,
    header::CACHE_CONTROL,
    header::WWW_AUTHENTICATE,
    header::RETRY_AFTER,
];

impl Upstream {
    /// Checks the URL (absolute http or https) and prepares the HTTP client.
    pub(crate) fn new(url: &str, token: Option<String>) -> Result<Upstream, Error> {
        let invalid = |reason: &str| Error::InvalidPacsUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
        if parsed.scheme() != "http" && parsed.scheme() != "https" {
            return Err(invalid("the scheme must be http or https"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(invalid(
                "the DICOMweb root must not have a query or fragment",
            ));
        }
        let authorization = match token
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
        {
            Some(t) => Some(HeaderValue::from_str(&format!("Bearer {t}")).map_err(|_| {
                invalid("the token holds characters not allowed in an HTTP header")
            })?),
            None => None,
        };
        let client = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|source| Error::HttpClient { source })?;
        Ok(Upstream {
            root: url.trim_end_matches('/').to_string(),
            authorization,
            client,
            is_orthanc: OnceLock::new(),
        })
    }

    /// The upstream root, for the start-up message.
    pub(crate) fn display(&self) -> String {
        format!("the PACS {} (proxied under /dicom-web)", self.root)
    }

    /// Whether the upstream is Orthanc, asked once with a GET of an unknown path below the DICOMweb root: Orthanc
    /// answers 404 with a JSON body naming its own `OrthancStatus`. An unreachable upstream, a refusal of the
    /// credentials or a server error counts as standard for this request and is asked again by the next one.
    async fn is_orthanc(&self, authorization: Option<&HeaderValue>) -> bool {
        if let Some(&known) = self.is_orthanc.get() {
            return known;
        }
        let mut probe = self
            .client
            .get(format!("{}/lumen-pacs-probe", self.root))
            .timeout(std::time::Duration::from_secs(10));
        if let Some(auth) = authorization {
            probe = probe.header(header::AUTHORIZATION.as_str(), auth.as_bytes());
        }
        let Ok(response) = probe.send().await else {
            return false;
        };
        let status = response.status().as_u16();
        let Ok(body) = response.bytes().await else {
            return false;
        };
        let orthanc = serde_json::from_slice::<serde_json::Value>(&body)
            .is_ok_and(|v| v.get("OrthancStatus").is_some());
        // A refusal or a server error (a gateway in front of the PACS, say) does not tell: ask again next time.
        if orthanc || (status < 500 && status != 401 && status != 403) {
            *self.is_orthanc.get_or_init(|| orthanc)
        } else {
            false
        }
    }
}

/// The proxy's routes: everything under `/dicom-web`, any method.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/dicom-web", any(forward))
        .route("/dicom-web/{*rest}", any(forward))
}

async fn forward(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let Backend::Proxy(upstream) = &state.backend else {
        return Err(ApiError::internal("this server has no upstream PACS"));
    };
    let (parts, body) = request.into_parts();
    // The path keeps its percent-encoding: the upstream sees exactly what the browser asked for.
    let rest = parts
        .uri
        .path()
        .strip_prefix("/dicom-web")
        .unwrap_or_default();
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .or(upstream.authorization.as_ref());
    let mut url = format!("{}{}", upstream.root, rest);
    if let Some(q) = parts.uri.query() {
        url.push('?');
        let literal_text_only =
            needs_orthanc_wildcards(q) && upstream.is_orthanc(authorization).await;
        url.push_str(&if literal_text_only {
            orthanc_query(q)
        } else {
            normalise_query(q)
        });
    }
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
        .map_err(|_| ApiError::bad_request(format!("unsupported method {}", parts.method)))?;
    let mut builder = upstream.client.request(method, &url);
    for name in FORWARDED_REQUEST_HEADERS {
        for value in parts.headers.get_all(name) {
            builder = builder.header(name.as_str(), value.as_bytes());
        }
    }
    if let Some(auth) = authorization {
        builder = builder.header(header::AUTHORIZATION.as_str(), auth.as_bytes());
    }
    let has_body = parts.headers.contains_key(header::CONTENT_LENGTH)
        || parts.headers.contains_key(header::TRANSFER_ENCODING);
    if has_body {
        let stream = body.into_data_stream().map_err(std::io::Error::other);
        builder = builder.body(reqwest::Body::wrap_stream(stream));
    }
    let upstream_response = builder.send().await.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            format!("cannot reach the PACS at {}: {e}", upstream.root),
        )
    })?;
    let status = StatusCode::from_u16(upstream_response.status().as_u16())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = Response::builder().status(status);
    for name in FORWARDED_RESPONSE_HEADERS {
        for value in upstream_response.headers().get_all(name.as_str()) {
            response = response.header(name, value.as_bytes());
        }
    }
    let is_json = upstream_response
        .headers()
        .get(header::CONTENT_TYPE.as_str())
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("application/dicom+json") || ct.starts_with("application/json")
        });
    let body = if is_json {
        let bytes = upstream_response.bytes().await.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("the PACS at {} broke off its answer: {e}", upstream.root),
            )
        })?;
        let rewritten = rewrite_urls(
            &bytes,
            &upstream.root,
            &crate::dicomweb::base_url(&parts.headers),
        );
        if let Some(headers) = response.headers_mut() {
            headers.remove(header::CONTENT_LENGTH);
        }
        Body::from(rewritten)
    } else {
        Body::from_stream(
            upstream_response
                .bytes_stream()
                .map_err(std::io::Error::other),
        )
    };
    response
        .body(body)
        .map_err(|e| {
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("invalid response from the PACS: {e}"),
            )
        })
        .map(IntoResponse::into_response)
}

/// Replaces every occurrence of the upstream DICOMweb root in a JSON body with Lumen's own root.
fn rewrite_urls(body: &[u8], upstream_root: &str, own_root: &str) -> Vec<u8> {
    let needle = upstream_root.as_bytes();
    if needle.is_empty() {
        return body.to_vec();
    }
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    loop {
        if let Some(after) = rest.strip_prefix(needle) {
            out.extend_from_slice(own_root.as_bytes());
            rest = after;
        } else if let Some((&byte, after)) = rest.split_first() {
            out.push(byte);
            rest = after;
        } else {
            break;
        }
    }
    out
}

/// Re-encodes a query string minimally (see `lumen_dicomweb::encode_query_value`): the browser may send `^` or
/// non-reserved characters percent-encoded, and some PACS (Orthanc 1.10 with DICOMweb 1.7) match the raw query text
/// without decoding it, so `PatientName=DEMO%5ECHEST*` would find nothing there while `DEMO^CHEST*` does.
fn normalise_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => format!(
                "{}={}",
                encode_query_value(&percent_decode(key)),
                encode_query_value(&percent_decode(value))
            ),
            None => encode_query_value(&percent_decode(pair)),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// QIDO-RS query parameters that are not attribute matches (PS3.18 8.3.4); their values are never wildcards.
const QIDO_PARAMETERS: &[&str] = &[
    "includefield",
    "fuzzymatching",
    "limit",
    "offset",
    "emptyvaluematching",
    "multiplevaluematching",
];

/// Whether `key` (decoded) names an attribute match rather than a QIDO parameter.
fn is_match_key(key: &str) -> bool {
    !QIDO_PARAMETERS.iter().any(|p| p.eq_ignore_ascii_case(key))
}

/// Whether a character has to stay percent-encoded in the query sent upstream (see `encode_query_value`).
fn must_escape(c: char) -> bool {
    let mut buf = [0u8; 4];
    encode_query_value(c.encode_utf8(&mut buf)).contains('%')
}

/// Whether some attribute match of `query` holds a character that Orthanc could only match as a wildcard.
fn needs_orthanc_wildcards(query: &str) -> bool {
    query.split('&').any(|pair| match pair.split_once('=') {
        Some((key, value)) => {
            is_match_key(&percent_decode(key)) && percent_decode(value).chars().any(must_escape)
        }
        None => false,
    })
}

/// The query for Orthanc, which matches the raw query text: like [`normalise_query`], but in the value of each
/// attribute match, leading and trailing spaces (not significant in DICOM matching) are dropped, each ASCII
/// character that must stay escaped becomes `?` and each run of non-ASCII characters becomes `*`.
fn orthanc_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => {
                let key = percent_decode(key);
                let value = percent_decode(value);
                let value = if is_match_key(&key) {
                    as_orthanc_pattern(value.trim_matches(' '))
                } else {
                    value
                };
                format!(
                    "{}={}",
                    encode_query_value(&key),
                    encode_query_value(&value)
                )
            }
            None => encode_query_value(&percent_decode(pair)),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Replaces the characters of a match value that cannot reach Orthanc unescaped by wildcards.
fn as_orthanc_pattern(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if !must_escape(c) {
            out.push(c);
        } else if c.is_ascii() {
            out.push('?');
        } else if !out.ends_with('*') {
            out.push('*');
        }
    }
    out
}

/// Decodes `%XX` escapes (invalid escapes are kept as they are; invalid UTF-8 is replaced, never a panic).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_sent_upstream_keeps_wildcards_and_pn_separators_literal() {
        assert_eq!(
            normalise_query("PatientName=DEMO%5ECHEST*&fuzzymatching=true&includefield=00081030"),
            "PatientName=DEMO^CHEST*&fuzzymatching=true&includefield=00081030"
        );
        // Reserved characters stay encoded, and broken escapes pass through without a panic.
        assert_eq!(
            normalise_query("PatientName=A%26B%20C&x=%zz%4"),
            "PatientName=A%26B%20C&x=%25zz%254"
        );
        assert_eq!(
            normalise_query("StudyDate=20240101-20241231"),
            "StudyDate=20240101-20241231"
        );
    }

    #[test]
    fn orthanc_gets_wildcards_where_a_value_needs_escapes() {
        // What the web app sends for "doe jane": a space (encoded) and a trailing `*`.
        let app = "PatientName=doe%20jane*&fuzzymatching=true&limit=101&includefield=00081030";
        assert!(needs_orthanc_wildcards(app));
        assert_eq!(
            orthanc_query(app),
            "PatientName=doe?jane*&fuzzymatching=true&limit=101&includefield=00081030"
        );
        // Other archives keep the standard encoding of the space.
        assert_eq!(
            normalise_query(app),
            "PatientName=doe%20jane*&fuzzymatching=true&limit=101&includefield=00081030"
        );
        // `+` is a literal plus (RFC 3986); `&`, `'` and spaces in any attribute become `?`, outer spaces go.
        assert_eq!(
            orthanc_query("StudyDescription=%20CT+A%26B%20&PatientName=O%27Brien"),
            "StudyDescription=CT?A?B&PatientName=O?Brien"
        );
        // A run of non-ASCII letters is one `*` (Orthanc's `?` does not match them); `^` stays a separator.
        assert_eq!(
            orthanc_query("PatientName=M%C3%BC%C3%9Fer%5EJ%C3%BCrgen"),
            "PatientName=M*er^J*rgen"
        );
        // Queries without such characters, and parameters that are not matches, are left to `normalise_query`.
        assert!(!needs_orthanc_wildcards(
            "PatientName=DOE%5EJANE*&StudyDate=20240101-20241231"
        ));
        assert!(!needs_orthanc_wildcards("includefield=a%20b&limit=1"));
        assert!(!needs_orthanc_wildcards("lonely%20key"));
        assert_eq!(orthanc_query("includefield=a%20b"), "includefield=a%20b");
    }

    #[test]
    fn upstream_urls_in_json_point_back_to_lumen() {
        let body =
            br#"{"00081190":{"vr":"UR","Value":["http://pacs:8042/dicom-web/studies/1.2"]}}"#;
        let out = rewrite_urls(
            body,
            "http://pacs:8042/dicom-web",
            "http://127.0.0.1:8080/dicom-web",
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"00081190":{"vr":"UR","Value":["http://127.0.0.1:8080/dicom-web/studies/1.2"]}}"#
        );
    }

    #[test]
    fn pacs_url_must_be_absolute_http() {
        assert!(Upstream::new("https://pacs.example.org/dicom-web/", None).is_ok());
        assert!(Upstream::new("ftp://pacs.example.org/", None).is_err());
        assert!(Upstream::new("pacs.example.org", None).is_err());
        assert!(Upstream::new("http://pacs/dicom-web?x=1", None).is_err());
    }

    #[test]
    fn token_becomes_a_bearer_authorization() {
        let u = Upstream::new("http://pacs/dicom-web/", Some("abc".into())).unwrap();
        assert_eq!(
            u.authorization,
            Some(HeaderValue::from_static("Bearer abc"))
        );
        assert_eq!(u.root, "http://pacs/dicom-web");
        assert!(Upstream::new("http://pacs", Some("a\nb".into())).is_err());
    }
}
