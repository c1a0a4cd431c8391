//! The one seam between the DICOMweb client and the network: a [`Transport`] sends an [`HttpRequest`] and returns
//! the [`HttpResponse`], whatever its status. Implementations: [`ReqwestTransport`] (feature `native`) and
//! [`FetchTransport`] (feature `browser`, the page's or worker's `fetch`); tests supply their own.
//!
//! A transport only moves bytes: it must not interpret HTTP status codes, DICOMweb media types or bodies (the
//! [`Client`](crate::Client) does), and it must not add headers of its own beyond what its platform imposes.

#[cfg(feature = "browser")]
mod browser;
#[cfg(feature = "native")]
mod native;

#[cfg(feature = "browser")]
pub use browser::FetchTransport;
#[cfg(feature = "native")]
pub use native::ReqwestTransport;

use bytes::Bytes;
use snafu::Snafu;
use std::future::Future;

/// The HTTP methods DICOMweb uses here: `GET` for QIDO-RS and WADO-RS, `POST` for STOW-RS; `DELETE` for
/// Lumen's own job API (cancelling a server AI job).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    /// The method name as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// One HTTP request, fully formed (absolute URL, every header the client wants sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    /// Absolute URL including the query string.
    pub url: String,
    /// Header fields in order; names as the client wrote them.
    pub headers: Vec<(String, String)>,
    /// The request body; empty for `GET`.
    pub body: Bytes,
}

impl HttpRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// One HTTP response, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Header fields; names as received (lower case from most transports).
    pub headers: Vec<(String, String)>,
    /// The whole response body.
    pub body: Bytes,
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The request never produced an HTTP response: connection refused, DNS failure, TLS failure, CORS rejection,
/// an aborted fetch, or a body that could not be read.
#[derive(Debug, Snafu)]
#[snafu(display("{message}"))]
pub struct TransportError {
    /// What the platform reported, in its own words.
    pub message: String,
}

impl TransportError {
    /// A transport error with the platform's message.
    pub fn new(message: impl Into<String>) -> Self {
        TransportError {
            message: message.into(),
        }
    }
}

/// Sends HTTP requests. On native targets the returned future must be `Send` so a client can be used from
/// multi-threaded runtimes; in the browser (`wasm32`) JavaScript futures are not `Send`, and none is required.
#[cfg(not(target_arch = "wasm32"))]
pub trait Transport {
    /// Sends `request` and returns the response, whatever its HTTP status.
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>> + Send;
}

/// Sends HTTP requests. On native targets the returned future must be `Send` so a client can be used from
/// multi-threaded runtimes; in the browser (`wasm32`) JavaScript futures are not `Send`, and none is required.
#[cfg(target_arch = "wasm32")]
pub trait Transport {
    /// Sends `request` and returns the response, whatever its HTTP status.
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>>;
}

/// What [`StreamingTransport::send_streaming`] calls with each piece of a body: `(status, headers, chunk)`.
pub type OnBodyData<'a> = dyn FnMut(u16, &[(String, String)], &[u8]) + 'a;

/// A transport that can hand over a response body while it arrives (the browser's `fetch` with a
/// `ReadableStream`), for showing a frame before all of it is there. Only the client's progressive frame retrieval
/// needs it; its futures need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait StreamingTransport: Transport {
    /// Sends `request` like [`Transport::send`] and returns the whole response; meanwhile calls
    /// `on_data(status, headers, chunk)` for each piece of the body as it arrives, in order.
    async fn send_streaming(
        &self,
        request: HttpRequest,
        on_data: &mut OnBodyData<'_>,
    ) -> Result<HttpResponse, TransportError>;
}
