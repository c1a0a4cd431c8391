//! The client's error type: every failure names the URL involved and, for HTTP errors, the status and the server's
//! own explanation (its response body, truncated), so an integrator can act on the message alone.
//!
//! This module only describes failures; it must not decide policy such as retries.

use crate::multipart;
use crate::transport::TransportError;
use snafu::Snafu;

/// What went wrong talking DICOMweb to a server.
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
#[non_exhaustive]
pub enum Error {
    /// The request never got an HTTP response (connection refused, DNS, TLS, CORS…).
    #[snafu(display("cannot reach {url}: {source}"))]
    Transport { url: String, source: TransportError },
    /// The server answered with an error status.
    #[snafu(display("{url} answered HTTP {status}{}", if message.is_empty() { String::new() } else { format!(": {message}") }))]
    Http {
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body as text (at most 512 characters), the server's explanation.
        message: String,
    },
    /// The response body is not of the media type that was asked for.
    #[snafu(display("{url} answered with Content-Type `{actual}`, expected {expected}"))]
    UnexpectedContentType {
        url: String,
        expected: String,
        actual: String,
    },
    /// A `multipart/related` response could not be split into parts.
    #[snafu(display("cannot read the multipart response of {url}: {source}"))]
    Multipart {
        url: String,
        source: multipart::Error,
    },
    /// The response body is not the JSON it should be.
    #[snafu(display("the response of {url} is not valid JSON: {source}"))]
    Json {
        url: String,
        source: serde_json::Error,
    },
    /// The JSON is well-formed but not shaped as DICOMweb requires (e.g. an object where an array of data sets
    /// belongs).
    #[snafu(display("the response of {url} is not {expected}"))]
    UnexpectedJson { url: String, expected: &'static str },
    /// The server returned a different number of parts than was asked for (frames, instances).
    #[snafu(display("{url} returned {actual} part(s), expected {expected}"))]
    PartCount {
        url: String,
        expected: usize,
        actual: usize,
    },
    /// A Study/Series/SOP Instance UID cannot be put in a URL path (empty, too long, or characters other than
    /// letters, digits, `.`, `-`, `_`).
    #[snafu(display("`{uid}` is not a usable UID"))]
    InvalidUid { uid: String },
    /// A QIDO-RS attribute key is neither a DICOM keyword, a tag (`00100010`, `(0010,0010)`) nor a dotted path of
    /// those.
    #[snafu(display("`{key}` is not a DICOM attribute keyword or tag"))]
    InvalidQueryKey { key: String },
    /// A frame list is empty or contains frame number 0 (frames count from 1, PS3.18 §10.4.1.1.5).
    #[snafu(display(
        "invalid frame list {frames:?}: frame numbers start at 1 and at least one is needed"
    ))]
    InvalidFrameList { frames: Vec<u32> },
    /// STOW-RS was asked to store nothing.
    #[snafu(display("nothing to store: the instance list is empty"))]
    NothingToStore,
}

/// Shorthand for results of this crate's client.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The first 512 characters of a response body, as the server's explanation of an error.
pub(crate) fn body_excerpt(body: &[u8]) -> String {
    const MAX: usize = 512;
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
