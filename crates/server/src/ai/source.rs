//! How an AI job reaches the images and stores its result: the same source `/dicom-web` serves — the folder store
//! (called directly) or the PACS behind the proxy (its DICOMweb root, with the `Authorization` of the request that
//! created the job, else the configured token, exactly as the proxy forwards it). The browser never supplies pixels.
//!
//! This module only moves DICOM JSON and Part 10 bytes; it must not decode pixels or run models.

use crate::error::ApiError;
use crate::proxy::Upstream;
use axum::http::{header, HeaderValue, StatusCode};
use lumen_store::{Level, Store};
use serde_json::Value;
use std::sync::Arc;

/// Where a job's images come from and its result goes.
#[derive(Clone)]
pub(crate) enum Pacs {
    Store(Arc<Store>),
    Proxy {
        upstream: Arc<Upstream>,
        authorization: Option<HeaderValue>,
    },
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, lumen_store::Error> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(tokio::task::spawn_blocking(f).await??)
}

impl Pacs {
    /// The QIDO-RS series of a study (DICOM JSON, with Modality and Number of Series Related Instances). A study
    /// the source does not know is a 404.
    pub(crate) async fn series_of_study(&self, study: &str) -> Result<Vec<Value>, ApiError> {
        let not_found = || ApiError::not_found(format!("study {study} not found"));
        let list = match self {
            Pacs::Store(store) => {
                let store = store.clone();
                let mut query = lumen_store::Query::default();
                query.study_uid = Some(study.to_string());
                match blocking(move || store.search(Level::Series, &query)).await {
                    Ok(list) => list,
                    Err(e) if e.status == StatusCode::NOT_FOUND => return Err(not_found()),
                    Err(e) => return Err(e),
                }
            }
            Pacs::Proxy { .. } => {
                let path = format!("/studies/{study}/series");
                match self.get_json(&path).await {
                    Err(e) if e.status == StatusCode::NOT_FOUND => return Err(not_found()),
                    other => other?,
                }
            }
        };
        if list.is_empty() {
            return Err(not_found());
        }
        Ok(list)
    }

    /// The WADO-RS metadata of every instance of a series (DICOM JSON, one object per instance).
    pub(crate) async fn series_metadata(
        &self,
        study: &str,
        series: &str,
    ) -> Result<Vec<Value>, ApiError> {
        match self {
            Pacs::Store(store) => {
                let (store, st, se) = (store.clone(), study.to_string(), series.to_string());
                blocking(move || store.metadata(&st, Some(&se), None, "http://localhost/dicom-web"))
                    .await
            }
            Pacs::Proxy { .. } => {
                self.get_json(&format!("/studies/{study}/series/{series}/metadata"))
                    .await
            }
        }
    }

    /// One instance as Part 10 bytes, in whatever transfer syntax the source holds it (the decoder reads them all).
    pub(crate) async fn instance(
        &self,
        study: &str,
        series: &str,
        sop: &str,
    ) -> Result<Vec<u8>, ApiError> {
        match self {
            Pacs::Store(store) => {
                let (store, st, se, sop) = (
                    store.clone(),
                    study.to_string(),
                    series.to_string(),
                    sop.to_string(),
                );
                blocking(move || store.instance_bytes(&st, Some(&se), &sop)).await
            }
            Pacs::Proxy { upstream, .. } => {
                let url = format!(
                    "{}/studies/{study}/series/{series}/instances/{sop}",
                    upstream.root
                );
                let response = self
                    .send(upstream.client.get(&url).header(
                        header::ACCEPT.as_str(),
                        "multipart/related; type=\"application/dicom\"; transfer-syntax=*",
                    ))
                    .await?;
                let content_type = response
                    .headers()
                    .get(header::CONTENT_TYPE.as_str())
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let body = self.body(response).await?;
                let parts = lumen_dicomweb::multipart::parse_related(&content_type, &body)
                    .map_err(|e| {
                        bad_gateway(format!(
                            "the PACS answered instance {sop} with an unreadable body: {e}"
                        ))
                    })?;
                parts
                    .into_iter()
                    .next()
                    .map(|p| p.body.to_vec())
                    .ok_or_else(|| {
                        bad_gateway(format!("the PACS answered instance {sop} with no part"))
                    })
            }
        }
    }

    /// Stores one Part 10 instance in `study` (STOW-RS); an error unless the source stored it.
    pub(crate) async fn store(&self, study: &str, bytes: Vec<u8>) -> Result<(), ApiError> {
        match self {
            Pacs::Store(store) => {
                let (store, st) = (store.clone(), study.to_string());
                blocking(move || store.store_in_study(&bytes, Some(&st)))
                    .await
                    .map(|_| ())
            }
            Pacs::Proxy { upstream, .. } => {
                let part = lumen_dicomweb::multipart::Part::new("application/dicom", bytes);
                let (content_type, body) =
                    lumen_dicomweb::multipart::build_related(&[part], "application/dicom");
                let url = format!("{}/studies/{study}", upstream.root);
                let response = self
                    .send(
                        upstream
                            .client
                            .post(&url)
                            .header(header::CONTENT_TYPE.as_str(), content_type)
                            .header(header::ACCEPT.as_str(), "application/dicom+json")
                            .body(body),
                    )
                    .await?;
                let status = response.status().as_u16();
                let body = self.body(response).await?;
                let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let failed = answer
                    .get("00081198")
                    .and_then(|a| a.get("Value"))
                    .and_then(Value::as_array)
                    .is_some_and(|f| !f.is_empty());
                // 202 is "stored with warnings" (PS3.18 10.5.3): stored, unless a failure is listed.
                if !(status == 200 || status == 202) || failed {
                    return Err(bad_gateway(format!(
                        "the PACS did not store the result (STOW-RS answered {status}{})",
                        if failed {
                            ", with a Failed SOP Sequence"
                        } else {
                            ""
                        }
                    )));
                }
                Ok(())
            }
        }
    }

    /// GET of a DICOM JSON array below the PACS's DICOMweb root (the proxy only). 204 No Content is an empty list.
    async fn get_json(&self, path: &str) -> Result<Vec<Value>, ApiError> {
        let Pacs::Proxy { upstream, .. } = self else {
            return Err(ApiError::internal("no PACS behind this server"));
        };
        let url = format!("{}{path}", upstream.root);
        let response = self
            .send(
                upstream
                    .client
                    .get(&url)
                    .header(header::ACCEPT.as_str(), "application/dicom+json"),
            )
            .await?;
        if response.status().as_u16() == 204 {
            return Ok(Vec::new());
        }
        let body = self.body(response).await?;
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Array(list)) => Ok(list),
            _ => Err(bad_gateway(format!(
                "the PACS answered {path} with something that is not a DICOM JSON array"
            ))),
        }
    }

    /// Sends a request to the PACS with the job's credentials; a 4xx or 5xx answer becomes an error with the
    /// PACS's status (404 stays 404; refusals and failures are named).
    async fn send(&self, builder: reqwest::RequestBuilder) -> Result<reqwest::Response, ApiError> {
        let Pacs::Proxy {
            upstream,
            authorization,
        } = self
        else {
            return Err(ApiError::internal("no PACS behind this server"));
        };
        let builder = match authorization.as_ref().or(upstream.authorization.as_ref()) {
            Some(auth) => builder.header(header::AUTHORIZATION.as_str(), auth.as_bytes()),
            None => builder,
        };
        let response = builder
            .timeout(std::time::Duration::from_secs(120))
            .send()
            .await
            .map_err(|e| bad_gateway(format!("cannot reach the PACS at {}: {e}", upstream.root)))?;
        let status = response.status().as_u16();
        if status >= 400 {
            let path = response.url().path().to_string();
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let reason = match status {
                401 | 403 => "refused the credentials for",
                404 => "does not have",
                _ => "failed on",
            };
            let status_out = if status == 404 || status == 401 || status == 403 {
                code
            } else {
                StatusCode::BAD_GATEWAY
            };
            return Err(ApiError::new(
                status_out,
                format!("the PACS {reason} {path} ({status})"),
            ));
        }
        Ok(response)
    }

    async fn body(&self, response: reqwest::Response) -> Result<bytes::Bytes, ApiError> {
        response
            .bytes()
            .await
            .map_err(|e| bad_gateway(format!("the PACS broke off its answer: {e}")))
    }
}

fn bad_gateway(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_GATEWAY, message)
}
