//! [`Transport`] over reqwest 0.12 (rustls) for native programs: the CLI, the server's tests, tools.
//!
//! It sends exactly the request it is given and reads the whole body; it must not retry, follow redirects to other
//! hosts with credentials, or interpret statuses (reqwest's default redirect policy strips `Authorization` across
//! hosts).

use super::{HttpRequest, HttpResponse, Method, Transport, TransportError};

/// A [`Transport`] backed by a shared `reqwest::Client` (connection pooling included).
#[derive(Debug, Clone, Default)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with reqwest's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// A transport over a client configured by the caller (timeouts, proxies, root certificates).
    pub fn with_client(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }
}

impl Transport for ReqwestTransport {
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl std::future::Future<Output = Result<HttpResponse, TransportError>> + Send {
        let client = self.client.clone();
        async move {
            let method = match request.method {
                Method::Get => reqwest::Method::GET,
                Method::Post => reqwest::Method::POST,
                Method::Delete => reqwest::Method::DELETE,
            };
            let mut builder = client.request(method, &request.url);
            for (name, value) in &request.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            if !request.body.is_empty() || request.method == Method::Post {
                builder = builder.body(request.body);
            }
            let response = builder
                .send()
                .await
                .map_err(|e| TransportError::new(error_chain(&e)))?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = response
                .bytes()
                .await
                .map_err(|e| TransportError::new(error_chain(&e)))?;
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        }
    }
}

/// reqwest's top-level message ("error sending request") hides the cause ("connection refused"): join the chain.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
