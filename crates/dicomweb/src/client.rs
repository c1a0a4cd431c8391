//! The DICOMweb client: QIDO-RS search, WADO-RS retrieve (metadata, Part 10 instances, frames, bulk data) and
//! STOW-RS store (PS3.18 §10.4–10.6), over any [`Transport`].
//!
//! It builds URLs and `Accept` headers, adds the bearer token, checks statuses and media types, and decodes
//! `multipart/related` and JSON bodies. It must not cache, retry, or decode pixel data: frames come back as the
//! bytes the server sent, labelled with their transfer syntax.

use crate::error::*;
use crate::json;
use crate::multipart::{self, MediaType, Part};
use crate::qido::QidoQuery;
use crate::transport::{HttpRequest, HttpResponse, Method, StreamingTransport, Transport};
use bytes::Bytes;
use dicom_dictionary_std::tags;
use serde_json::Value;
use snafu::{ensure, ResultExt};

/// _Explicit VR Little Endian_, the default transfer syntax of uncompressed frames and bulk data (PS3.18 §8.7.3).
pub const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";

/// Which transfer syntax(es) to ask for when retrieving instances or frames (the `transfer-syntax` parameter of the
/// `Accept` media type, PS3.18 §8.7.3.5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TransferSyntaxRequest {
    /// No parameter: the server's default (Explicit VR Little Endian for instances and uncompressed frames).
    #[default]
    Default,
    /// `transfer-syntax=*`: whatever the server holds, without transcoding.
    Any,
    /// Any of these transfer syntax UIDs, in order of preference.
    OneOf(Vec<String>),
}

/// One frame returned by WADO-RS frame retrieval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameData {
    /// The frame number (1-based), as requested.
    pub number: u32,
    /// The part's media type, e.g. `application/octet-stream` or `image/jpeg`.
    pub media_type: String,
    /// The transfer syntax UID of `data`: from the part's `transfer-syntax` parameter, else the message's, else
    /// Explicit VR Little Endian for `application/octet-stream` (the PS3.18 default); `None` if unknown.
    pub transfer_syntax: Option<String>,
    /// The frame's bytes: native pixel data, or one compressed bitstream (JPEG, JPEG-LS, JPEG 2000, HTJ2K, RLE).
    pub data: Bytes,
}

/// The first bytes of a frame while its response is still arriving ([`Client::retrieve_frame_progressive`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramePrefix<'a> {
    /// The part's media type (essence), as [`FrameData::media_type`].
    pub media_type: &'a str,
    /// Its transfer syntax, as [`FrameData::transfer_syntax`].
    pub transfer_syntax: Option<&'a str>,
    /// The frame's bytes received so far (no multipart framing).
    pub data: &'a [u8],
}

/// An instance a STOW-RS request stored (an item of _Referenced SOP Sequence_ (0008,1199)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInstance {
    /// _Referenced SOP Class UID_ (0008,1150).
    pub sop_class_uid: Option<String>,
    /// _Referenced SOP Instance UID_ (0008,1155).
    pub sop_instance_uid: Option<String>,
    /// _Retrieve URL_ (0008,1190) of the stored instance.
    pub retrieve_url: Option<String>,
    /// _Warning Reason_ (0008,1196), e.g. 0xB000 when elements were coerced.
    pub warning_reason: Option<u16>,
}

/// An instance a STOW-RS request failed to store (an item of _Failed SOP Sequence_ (0008,1198)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedInstance {
    /// _Referenced SOP Class UID_ (0008,1150).
    pub sop_class_uid: Option<String>,
    /// _Referenced SOP Instance UID_ (0008,1155).
    pub sop_instance_uid: Option<String>,
    /// _Failure Reason_ (0008,1197), e.g. 0xA700 (out of resources), 0xC000 (cannot understand).
    pub failure_reason: Option<u16>,
}

/// The STOW-RS response (PS3.18 §10.5.3): HTTP status, the response data set, and its per-instance outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreResponse {
    /// 200 (all stored), 202 (some failed or had warnings) or 409 (none stored).
    pub status: u16,
    /// The response data set as DICOM JSON (empty object if the server sent no body).
    pub dataset: Value,
    /// Instances stored.
    pub stored: Vec<StoredInstance>,
    /// Instances not stored.
    pub failed: Vec<FailedInstance>,
}

impl StoreResponse {
    /// True when every instance was stored and none failed.
    pub fn all_stored(&self) -> bool {
        self.status == 200 && self.failed.is_empty()
    }
}

/// A DICOMweb client for one service root (e.g. `http://127.0.0.1:8042/dicom-web`).
#[derive(Debug, Clone)]
pub struct Client<T> {
    transport: T,
    base_url: String,
    bearer_token: Option<String>,
}

impl<T: Transport> Client<T> {
    /// A client for the service at `base_url` (trailing `/` ignored).
    pub fn new(transport: T, base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        Client {
            transport,
            base_url,
            bearer_token: None,
        }
    }

    /// Sends `Authorization: Bearer <token>` on every request to the service's origin (not to bulk data URIs on
    /// other hosts, so the token does not leak).
    pub fn with_bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer_token = Some(token.into());
        self
    }

    /// The service root, without trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The transport this client sends through.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    // ---------------------------------------------------------------- QIDO-RS

    /// Searches for studies (`GET {base}/studies?…`); one DICOM JSON data set per matching study.
    pub async fn search_studies(&self, query: &QidoQuery) -> Result<Vec<Value>> {
        self.search(format!("{}/studies", self.base_url), query)
            .await
    }

    /// Searches for series: across all studies, or within `study` (_Study Instance UID_).
    pub async fn search_series(
        &self,
        study: Option<&str>,
        query: &QidoQuery,
    ) -> Result<Vec<Value>> {
        let path = match study {
            Some(study) => format!("{}/studies/{}/series", self.base_url, uid(study)?),
            None => format!("{}/series", self.base_url),
        };
        self.search(path, query).await
    }

    /// Searches for instances: across all studies, within `study`, or within `study` and `series`. A `series` without
    /// a `study` searches all instances with a Series Instance UID match (the path has no such level).
    pub async fn search_instances(
        &self,
        study: Option<&str>,
        series: Option<&str>,
        query: &QidoQuery,
    ) -> Result<Vec<Value>> {
        let (path, query) = match (study, series) {
            (Some(st), Some(se)) => (
                format!(
                    "{}/studies/{}/series/{}/instances",
                    self.base_url,
                    uid(st)?,
                    uid(se)?
                ),
                query.clone(),
            ),
            (Some(st), None) => (
                format!("{}/studies/{}/instances", self.base_url, uid(st)?),
                query.clone(),
            ),
            (None, Some(se)) => (
                format!("{}/instances", self.base_url),
                query.clone().series_instance_uid(uid(se)?),
            ),
            (None, None) => (format!("{}/instances", self.base_url), query.clone()),
        };
        self.search(path, &query).await
    }

    async fn search(&self, path: String, query: &QidoQuery) -> Result<Vec<Value>> {
        let qs = query.to_query_string()?;
        let url = if qs.is_empty() {
            path
        } else {
            format!("{path}?{qs}")
        };
        let response = self.get(&url, "application/dicom+json").await?;
        // 204 No Content: nothing matched (PS3.18 §10.6.3).
        if response.status == 204 || response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        json_array(&url, &response.body)
    }

    // ---------------------------------------------------------------- WADO-RS metadata

    /// The metadata of every instance of `study` (`…/studies/{study}/metadata`).
    pub async fn study_metadata(&self, study: &str) -> Result<Vec<Value>> {
        let url = format!("{}/studies/{}/metadata", self.base_url, uid(study)?);
        self.metadata(url).await
    }

    /// The metadata of every instance of `series` in `study`.
    pub async fn series_metadata(&self, study: &str, series: &str) -> Result<Vec<Value>> {
        let url = format!(
            "{}/studies/{}/series/{}/metadata",
            self.base_url,
            uid(study)?,
            uid(series)?
        );
        self.metadata(url).await
    }

    /// The metadata of one instance (an array of one data set, as the server sends it).
    pub async fn instance_metadata(
        &self,
        study: &str,
        series: &str,
        instance: &str,
    ) -> Result<Vec<Value>> {
        let url = format!("{}/metadata", self.instance_url(study, series, instance)?);
        self.metadata(url).await
    }

    async fn metadata(&self, url: String) -> Result<Vec<Value>> {
        let response = self.get(&url, "application/dicom+json").await?;
        json_array(&url, &response.body)
    }

    // ---------------------------------------------------------------- WADO-RS instances

    /// Every instance of `study` as DICOM Part 10 bytes.
    pub async fn retrieve_study(
        &self,
        study: &str,
        syntax: &TransferSyntaxRequest,
    ) -> Result<Vec<Bytes>> {
        let url = format!("{}/studies/{}", self.base_url, uid(study)?);
        self.retrieve_part10(url, syntax).await
    }

    /// Every instance of `series` as DICOM Part 10 bytes.
    pub async fn retrieve_series(
        &self,
        study: &str,
        series: &str,
        syntax: &TransferSyntaxRequest,
    ) -> Result<Vec<Bytes>> {
        let url = format!(
            "{}/studies/{}/series/{}",
            self.base_url,
            uid(study)?,
            uid(series)?
        );
        self.retrieve_part10(url, syntax).await
    }

    /// One instance as DICOM Part 10 bytes.
    pub async fn retrieve_instance(
        &self,
        study: &str,
        series: &str,
        instance: &str,
        syntax: &TransferSyntaxRequest,
    ) -> Result<Bytes> {
        let url = self.instance_url(study, series, instance)?;
        let mut parts = self.retrieve_part10(url.clone(), syntax).await?;
        ensure!(
            parts.len() == 1,
            PartCountSnafu {
                url,
                expected: 1_usize,
                actual: parts.len()
            }
        );
        Ok(parts.remove(0))
    }

    async fn retrieve_part10(
        &self,
        url: String,
        syntax: &TransferSyntaxRequest,
    ) -> Result<Vec<Bytes>> {
        let accept = instance_accept(syntax);
        let response = self.get(&url, &accept).await?;
        let parts = multipart_parts(
            &url,
            &response,
            "multipart/related; type=\"application/dicom\"",
        )?;
        parts
            .into_iter()
            .map(|p| {
                let essence = p.media_type().map(|m| m.essence).unwrap_or_default();
                ensure!(
                    essence == "application/dicom",
                    UnexpectedContentTypeSnafu {
                        url: url.clone(),
                        expected: "application/dicom parts",
                        actual: p.content_type
                    }
                );
                Ok(p.body)
            })
            .collect()
    }

    // ---------------------------------------------------------------- WADO-RS frames and bulk data

    /// Frames `frames` (1-based _frame numbers_) of one instance, in the requested order, each with its media type
    /// and transfer syntax.
    pub async fn retrieve_frames(
        &self,
        study: &str,
        series: &str,
        instance: &str,
        frames: &[u32],
        syntax: &TransferSyntaxRequest,
    ) -> Result<Vec<FrameData>> {
        ensure!(
            !frames.is_empty() && !frames.contains(&0),
            InvalidFrameListSnafu {
                frames: frames.to_vec()
            }
        );
        let list = frames
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let url = format!(
            "{}/frames/{}",
            self.instance_url(study, series, instance)?,
            list
        );
        let response = self.get(&url, &frame_accept(syntax)).await?;
        frames_from_response(url, &response, frames)
    }

    /// The bulk data at `uri` (a `BulkDataURI` from metadata; absolute, or relative to the service root) as the
    /// parts the server sent (usually one; one per frame for multi-frame Pixel Data).
    pub async fn retrieve_bulk_data(
        &self,
        uri: &str,
        syntax: &TransferSyntaxRequest,
    ) -> Result<Vec<Part>> {
        let url = if uri.starts_with("http://") || uri.starts_with("https://") {
            uri.to_string()
        } else {
            format!("{}/{}", self.base_url, uri.trim_start_matches('/'))
        };
        let response = self.get(&url, &frame_accept(syntax)).await?;
        multipart_parts(
            &url,
            &response,
            "multipart/related; type=\"application/octet-stream\"",
        )
    }

    // ---------------------------------------------------------------- STOW-RS

    /// Stores DICOM Part 10 `instances` (`POST {base}/studies[/{study}]`) and returns the server's per-instance
    /// outcome. With `study`, the server rejects instances of other studies. A 409 with a response data set (none
    /// stored) is a [`StoreResponse`], not an error, so the failure reasons are visible.
    pub async fn store_instances(
        &self,
        study: Option<&str>,
        instances: Vec<Vec<u8>>,
    ) -> Result<StoreResponse> {
        ensure!(!instances.is_empty(), NothingToStoreSnafu);
        let url = match study {
            Some(study) => format!("{}/studies/{}", self.base_url, uid(study)?),
            None => format!("{}/studies", self.base_url),
        };
        let parts: Vec<Part> = instances
            .into_iter()
            .map(|b| Part::new("application/dicom", b))
            .collect();
        let (content_type, body) = multipart::build_related(&parts, "application/dicom");
        let headers = vec![
            ("Accept".to_string(), "application/dicom+json".to_string()),
            ("Content-Type".to_string(), content_type),
        ];
        let response = self.send(Method::Post, &url, headers, body.into()).await?;
        let status = response.status;
        let has_body = !response.body.iter().all(u8::is_ascii_whitespace);
        if !(matches!(status, 200 | 202) || (status == 409 && has_body)) {
            return Err(http_error(&url, &response));
        }
        let dataset = if has_body {
            serde_json::from_slice(&response.body).context(JsonSnafu { url: url.clone() })?
        } else {
            Value::Object(Default::default())
        };
        ensure!(
            dataset.is_object(),
            UnexpectedJsonSnafu {
                url,
                expected: "a DICOM JSON data set (object)"
            }
        );
        let stored = json::items(&dataset, tags::REFERENCED_SOP_SEQUENCE)
            .iter()
            .map(|item| StoredInstance {
                sop_class_uid: json::string(item, tags::REFERENCED_SOP_CLASS_UID),
                sop_instance_uid: json::string(item, tags::REFERENCED_SOP_INSTANCE_UID),
                retrieve_url: json::string(item, tags::RETRIEVE_URL),
                warning_reason: json::integer(item, tags::WARNING_REASON)
                    .and_then(|n| u16::try_from(n).ok()),
            })
            .collect();
        let failed = json::items(&dataset, tags::FAILED_SOP_SEQUENCE)
            .iter()
            .map(|item| FailedInstance {
                sop_class_uid: json::string(item, tags::REFERENCED_SOP_CLASS_UID),
                sop_instance_uid: json::string(item, tags::REFERENCED_SOP_INSTANCE_UID),
                failure_reason: json::integer(item, tags::FAILURE_REASON)
                    .and_then(|n| u16::try_from(n).ok()),
            })
            .collect();
        Ok(StoreResponse {
            status,
            dataset,
            stored,
            failed,
        })
    }

    // ---------------------------------------------------------------- plumbing

    fn instance_url(&self, study: &str, series: &str, instance: &str) -> Result<String> {
        Ok(format!(
            "{}/studies/{}/series/{}/instances/{}",
            self.base_url,
            uid(study)?,
            uid(series)?,
            uid(instance)?
        ))
    }

    /// `GET url` with `Accept: accept`; any status but 2xx is an [`Error::Http`].
    async fn get(&self, url: &str, accept: &str) -> Result<HttpResponse> {
        let headers = vec![("Accept".to_string(), accept.to_string())];
        let response = self.send(Method::Get, url, headers, Bytes::new()).await?;
        if !(200..300).contains(&response.status) {
            return Err(http_error(url, &response));
        }
        Ok(response)
    }

    /// A request with the bearer token added when it goes to the service's origin.
    fn request(
        &self,
        method: Method,
        url: &str,
        mut headers: Vec<(String, String)>,
        body: Bytes,
    ) -> HttpRequest {
        if let Some(token) = &self.bearer_token {
            if origin(url) == origin(&self.base_url) {
                headers.push(("Authorization".to_string(), format!("Bearer {token}")));
            }
        }
        HttpRequest {
            method,
            url: url.to_string(),
            headers,
            body,
        }
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        headers: Vec<(String, String)>,
        body: Bytes,
    ) -> Result<HttpResponse> {
        let request = self.request(method, url, headers, body);
        self.transport
            .send(request)
            .await
            .context(TransportSnafu { url })
    }
}

impl<T: StreamingTransport> Client<T> {
    /// Frame `frame` (1-based) of one instance, as [`retrieve_frames`](Client::retrieve_frames) gives it, while
    /// `on_prefix` sees the frame's first bytes each time more of them have arrived (with the part's media type and
    /// transfer syntax), so that a caller can show something before the whole frame is there. The result does not
    /// depend on what `on_prefix` does.
    pub async fn retrieve_frame_progressive(
        &self,
        study: &str,
        series: &str,
        instance: &str,
        frame: u32,
        syntax: &TransferSyntaxRequest,
        on_prefix: &mut dyn FnMut(&FramePrefix<'_>),
    ) -> Result<FrameData> {
        ensure!(
            frame != 0,
            InvalidFrameListSnafu {
                frames: vec![frame]
            }
        );
        let url = format!(
            "{}/frames/{frame}",
            self.instance_url(study, series, instance)?
        );
        let headers = vec![("Accept".to_string(), frame_accept(syntax))];
        let request = self.request(Method::Get, &url, headers, Bytes::new());
        let mut stream: Option<(multipart::FirstPartStream, Option<String>)> = None;
        let mut seen = 0;
        let mut on_data = |status: u16, headers: &[(String, String)], chunk: &[u8]| {
            if !(200..300).contains(&status) {
                return;
            }
            let (part, message_ts) = stream.get_or_insert_with(|| {
                let content_type = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("");
                (
                    multipart::FirstPartStream::new(content_type),
                    message_transfer_syntax(Some(content_type)),
                )
            });
            part.push(chunk);
            let data = part.body();
            if data.len() == seen {
                return;
            }
            seen = data.len();
            let Some(content_type) = part.content_type() else {
                return;
            };
            let (media_type, transfer_syntax) = part_syntax(content_type, message_ts.as_deref());
            on_prefix(&FramePrefix {
                media_type: &media_type,
                transfer_syntax: transfer_syntax.as_deref(),
                data,
            });
        };
        let response = self
            .transport
            .send_streaming(request, &mut on_data)
            .await
            .context(TransportSnafu { url: url.as_str() })?;
        if !(200..300).contains(&response.status) {
            return Err(http_error(&url, &response));
        }
        let mut frames = frames_from_response(url, &response, &[frame])?;
        Ok(frames.remove(0))
    }
}

/// `scheme://host:port` of an absolute URL (lower-cased), for the same-origin check of the bearer token.
fn origin(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    )
}

/// Checks that a UID may be placed in a URL path segment as is.
fn uid(uid: &str) -> Result<&str> {
    let ok = !uid.is_empty()
        && uid.len() <= 128
        && uid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    ensure!(ok, InvalidUidSnafu { uid });
    Ok(uid)
}

fn http_error(url: &str, response: &HttpResponse) -> Error {
    Error::Http {
        url: url.to_string(),
        status: response.status,
        message: body_excerpt(&response.body),
    }
}

/// The transfer syntax the message `Content-Type` of a frames response gives all its parts (Orthanc puts it inside
/// the `type` parameter).
fn message_transfer_syntax(response_content_type: Option<&str>) -> Option<String> {
    response_content_type
        .and_then(|ct| MediaType::parse(ct).ok())
        .and_then(|m| m.param("type").and_then(|t| MediaType::parse(t).ok()))
        .and_then(|t| t.param("transfer-syntax").map(str::to_string))
}

/// A frame part's media type (essence) and transfer syntax: its own `transfer-syntax` parameter, else the
/// message's, else Explicit VR Little Endian for `application/octet-stream`.
fn part_syntax(content_type: &str, message_ts: Option<&str>) -> (String, Option<String>) {
    let mt = MediaType::parse(content_type).ok();
    let media_type = mt
        .as_ref()
        .map(|m| m.essence.clone())
        .unwrap_or_else(|| content_type.to_string());
    let transfer_syntax = mt
        .as_ref()
        .and_then(|m| m.param("transfer-syntax"))
        .map(str::to_string)
        .or_else(|| message_ts.map(str::to_string))
        .or_else(|| {
            (media_type == "application/octet-stream")
                .then(|| EXPLICIT_VR_LITTLE_ENDIAN.to_string())
        });
    (media_type, transfer_syntax)
}

/// The frames of a successful WADO-RS frames response, one part per frame number asked for.
fn frames_from_response(
    url: String,
    response: &HttpResponse,
    frames: &[u32],
) -> Result<Vec<FrameData>> {
    let message_ts = message_transfer_syntax(response.header("content-type"));
    let parts = multipart_parts(
        &url,
        response,
        "multipart/related; type=\"application/octet-stream\"",
    )?;
    ensure!(
        parts.len() == frames.len(),
        PartCountSnafu {
            url,
            expected: frames.len(),
            actual: parts.len()
        }
    );
    Ok(frames
        .iter()
        .zip(parts)
        .map(|(&number, part)| {
            let (media_type, transfer_syntax) =
                part_syntax(&part.content_type, message_ts.as_deref());
            FrameData {
                number,
                media_type,
                transfer_syntax,
                data: part.body,
            }
        })
        .collect())
}

fn json_array(url: &str, body: &[u8]) -> Result<Vec<Value>> {
    let value: Value = serde_json::from_slice(body).context(JsonSnafu { url })?;
    match value {
        Value::Array(items) if items.iter().all(Value::is_object) => Ok(items),
        _ => UnexpectedJsonSnafu {
            url,
            expected: "a JSON array of DICOM JSON data sets",
        }
        .fail(),
    }
}

/// Splits a multipart response; a single-part response with a non-multipart body (some servers send one frame as
/// plain `application/octet-stream`) becomes one part.
fn multipart_parts(url: &str, response: &HttpResponse, expected: &str) -> Result<Vec<Part>> {
    let content_type = response.header("content-type").unwrap_or("");
    let media = MediaType::parse(content_type).ok();
    match media {
        Some(m) if m.essence.starts_with("multipart/") => {
            multipart::parse_related_bytes(content_type, response.body.clone())
                .context(MultipartSnafu { url })
        }
        Some(m)
            if m.essence != "application/json"
                && m.essence != "application/dicom+json"
                && !m.essence.starts_with("text/") =>
        {
            Ok(vec![Part::new(content_type, response.body.clone())])
        }
        _ => UnexpectedContentTypeSnafu {
            url,
            expected,
            actual: content_type,
        }
        .fail(),
    }
}

/// `Accept` for Part 10 retrieval.
fn instance_accept(syntax: &TransferSyntaxRequest) -> String {
    const BASE: &str = "multipart/related; type=\"application/dicom\"";
    match syntax {
        TransferSyntaxRequest::Default => BASE.to_string(),
        TransferSyntaxRequest::Any => format!("{BASE}; transfer-syntax=*"),
        TransferSyntaxRequest::OneOf(list) => list
            .iter()
            .map(|ts| format!("{BASE}; transfer-syntax={ts}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `Accept` for frames and bulk data: each transfer syntax with its PS3.18 Table 8.7.3-5 media type.
fn frame_accept(syntax: &TransferSyntaxRequest) -> String {
    match syntax {
        TransferSyntaxRequest::Default => {
            "multipart/related; type=\"application/octet-stream\"".to_string()
        }
        TransferSyntaxRequest::Any => {
            "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*".to_string()
        }
        TransferSyntaxRequest::OneOf(list) => list
            .iter()
            .map(|ts| {
                format!(
                    "multipart/related; type=\"{}\"; transfer-syntax={ts}",
                    frame_media_type(ts)
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The media type PS3.18 Table 8.7.3-5 gives a single frame in transfer syntax `ts`.
pub fn frame_media_type(ts: &str) -> &'static str {
    match ts {
        "1.2.840.10008.1.2.4.50"
        | "1.2.840.10008.1.2.4.51"
        | "1.2.840.10008.1.2.4.57"
        | "1.2.840.10008.1.2.4.70" => "image/jpeg",
        "1.2.840.10008.1.2.4.80" | "1.2.840.10008.1.2.4.81" => "image/jls",
        "1.2.840.10008.1.2.4.90" | "1.2.840.10008.1.2.4.91" => "image/jp2",
        "1.2.840.10008.1.2.4.92" | "1.2.840.10008.1.2.4.93" => "image/jpx",
        "1.2.840.10008.1.2.4.201" | "1.2.840.10008.1.2.4.202" | "1.2.840.10008.1.2.4.203" => {
            "image/jphc"
        }
        "1.2.840.10008.1.2.5" => "image/dicom-rle",
        _ => "application/octet-stream",
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    //! The client against a mock transport that records each request and replays canned responses.
    use super::*;
    use crate::transport::{OnBodyData, TransportError};
    use serde_json::json;
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Mock {
        requests: Arc<Mutex<Vec<HttpRequest>>>,
        responses: Arc<Mutex<VecDeque<Result<HttpResponse, TransportError>>>>,
    }

    impl Mock {
        fn reply(&self, status: u16, content_type: &str, body: impl Into<Bytes>) -> &Self {
            let headers = if content_type.is_empty() {
                vec![]
            } else {
                vec![("content-type".into(), content_type.into())]
            };
            self.responses.lock().unwrap().push_back(Ok(HttpResponse {
                status,
                headers,
                body: body.into(),
            }));
            self
        }
        fn requests(&self) -> Vec<HttpRequest> {
            self.requests.lock().unwrap().clone()
        }
        fn last(&self) -> HttpRequest {
            self.requests().pop().expect("a request was sent")
        }
    }

    impl Transport for Mock {
        fn send(
            &self,
            request: HttpRequest,
        ) -> impl std::future::Future<Output = Result<HttpResponse, TransportError>> + Send
        {
            self.requests.lock().unwrap().push(request);
            let next = self
                .responses
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| Err(TransportError::new("no canned response")));
            async move { next }
        }
    }

    fn client() -> (Client<Mock>, Mock) {
        let mock = Mock::default();
        (
            Client::new(mock.clone(), "http://pacs.example:8042/dicom-web/"),
            mock,
        )
    }

    const JSON: &str = "application/dicom+json";

    #[tokio::test]
    async fn search_studies_builds_url_accept_and_bearer_token() {
        let (client, mock) = client();
        let client = client.with_bearer_token("s3cret");
        mock.reply(200, JSON, r#"[{"0020000D":{"vr":"UI","Value":["1.2.3"]}}]"#);
        let q = QidoQuery::new()
            .patient_name("DEMO*")
            .fuzzy_matching(true)
            .limit(2);
        let studies = client.search_studies(&q).await.unwrap();
        assert_eq!(
            json::string(&studies[0], tags::STUDY_INSTANCE_UID).as_deref(),
            Some("1.2.3")
        );
        let r = mock.last();
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.url, "http://pacs.example:8042/dicom-web/studies?PatientName=DEMO*&fuzzymatching=true&limit=2");
        assert_eq!(r.header("accept"), Some("application/dicom+json"));
        assert_eq!(r.header("authorization"), Some("Bearer s3cret"));
    }

    #[tokio::test]
    async fn no_content_means_no_matches() {
        let (client, mock) = client();
        mock.reply(204, "", "");
        assert!(client
            .search_studies(&QidoQuery::new())
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            mock.last().url,
            "http://pacs.example:8042/dicom-web/studies"
        );
        assert_eq!(mock.last().header("authorization"), None);
    }

    #[tokio::test]
    async fn series_and_instance_searches_use_the_hierarchy() {
        let (client, mock) = client();
        for _ in 0..4 {
            mock.reply(200, JSON, "[]");
        }
        client
            .search_series(Some("1.2"), &QidoQuery::new().modality("CT"))
            .await
            .unwrap();
        client
            .search_instances(Some("1.2"), Some("1.2.3"), &QidoQuery::new())
            .await
            .unwrap();
        client
            .search_instances(None, Some("1.2.3"), &QidoQuery::new().limit(1))
            .await
            .unwrap();
        client.search_series(None, &QidoQuery::new()).await.unwrap();
        let urls: Vec<String> = mock.requests().into_iter().map(|r| r.url).collect();
        assert_eq!(
            urls,
            [
                "http://pacs.example:8042/dicom-web/studies/1.2/series?Modality=CT",
                "http://pacs.example:8042/dicom-web/studies/1.2/series/1.2.3/instances",
                "http://pacs.example:8042/dicom-web/instances?SeriesInstanceUID=1.2.3&limit=1",
                "http://pacs.example:8042/dicom-web/series",
            ]
        );
    }

    #[tokio::test]
    async fn unusable_uids_are_rejected_before_sending() {
        let (client, mock) = client();
        let err = client.study_metadata("1.2/../../admin").await.unwrap_err();
        assert!(matches!(err, Error::InvalidUid { .. }), "{err}");
        let err = client
            .retrieve_instance("1.2", "", "3", &TransferSyntaxRequest::Default)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidUid { .. }), "{err}");
        assert!(mock.requests().is_empty());
    }

    #[tokio::test]
    async fn http_errors_carry_status_server_message_and_url() {
        let (client, mock) = client();
        mock.reply(404, "text/plain", "Unknown study");
        let err = client.study_metadata("9.9").await.unwrap_err();
        match &err {
            Error::Http {
                url,
                status,
                message,
            } => {
                assert_eq!(
                    url,
                    "http://pacs.example:8042/dicom-web/studies/9.9/metadata"
                );
                assert_eq!(*status, 404);
                assert_eq!(message, "Unknown study");
            }
            other => panic!("expected Http, got {other:?}"),
        }
        assert_eq!(err.to_string(), "http://pacs.example:8042/dicom-web/studies/9.9/metadata answered HTTP 404: Unknown study");
        // A long HTML error page is cut at 512 characters.
        mock.reply(500, "text/html", "x".repeat(2000));
        let Error::Http { message, .. } = client.study_metadata("9.9").await.unwrap_err() else {
            panic!("expected Http")
        };
        assert_eq!(message.chars().count(), 513);
        assert!(message.ends_with('…'));
    }

    #[tokio::test]
    async fn transport_failures_name_the_url() {
        let (client, mock) = client();
        mock.responses
            .lock()
            .unwrap()
            .push_back(Err(TransportError::new("connection refused")));
        let err = client.search_studies(&QidoQuery::new()).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot reach http://pacs.example:8042/dicom-web/studies: connection refused"
        );
    }

    #[tokio::test]
    async fn responses_that_are_not_arrays_of_data_sets_are_errors() {
        let (client, mock) = client();
        mock.reply(200, JSON, r#"{"not":"an array"}"#)
            .reply(200, JSON, "[1,2]")
            .reply(200, JSON, "<html>");
        for _ in 0..2 {
            let err = client.search_studies(&QidoQuery::new()).await.unwrap_err();
            assert!(matches!(err, Error::UnexpectedJson { .. }), "{err}");
        }
        assert!(matches!(
            client.search_studies(&QidoQuery::new()).await.unwrap_err(),
            Error::Json { .. }
        ));
    }

    fn multipart_reply(mock: &Mock, root: &str, parts: Vec<Part>) {
        let (ct, body) = multipart::build_related(&parts, root);
        mock.reply(200, &ct, body);
    }

    #[tokio::test]
    async fn retrieve_instance_negotiates_transfer_syntax_and_unwraps_the_part() {
        let (client, mock) = client();
        multipart_reply(
            &mock,
            "application/dicom",
            vec![Part::new("application/dicom", &b"DICM-bytes"[..])],
        );
        let bytes = client
            .retrieve_instance("1.2", "1.2.3", "1.2.3.4", &TransferSyntaxRequest::Any)
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"DICM-bytes");
        let r = mock.last();
        assert_eq!(
            r.url,
            "http://pacs.example:8042/dicom-web/studies/1.2/series/1.2.3/instances/1.2.3.4"
        );
        assert_eq!(
            r.header("accept"),
            Some("multipart/related; type=\"application/dicom\"; transfer-syntax=*")
        );

        let list = TransferSyntaxRequest::OneOf(vec![
            "1.2.840.10008.1.2.4.50".into(),
            EXPLICIT_VR_LITTLE_ENDIAN.into(),
        ]);
        multipart_reply(
            &mock,
            "application/dicom",
            vec![Part::new("application/dicom", &b"x"[..])],
        );
        client
            .retrieve_instance("1.2", "1.2.3", "1.2.3.4", &list)
            .await
            .unwrap();
        assert_eq!(
            mock.last().header("accept"),
            Some(
                "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50, \
                 multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1"
            )
        );
    }

    #[tokio::test]
    async fn retrieve_instance_rejects_wrong_part_count_and_type() {
        let (client, mock) = client();
        let two = vec![
            Part::new("application/dicom", &b"a"[..]),
            Part::new("application/dicom", &b"b"[..]),
        ];
        multipart_reply(&mock, "application/dicom", two);
        let err = client
            .retrieve_instance("1", "2", "3", &TransferSyntaxRequest::Default)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::PartCount {
                    expected: 1,
                    actual: 2,
                    ..
                }
            ),
            "{err}"
        );
        multipart_reply(
            &mock,
            "application/dicom",
            vec![Part::new("text/html", &b"<p>login</p>"[..])],
        );
        let err = client
            .retrieve_instance("1", "2", "3", &TransferSyntaxRequest::Default)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::UnexpectedContentType { .. }), "{err}");
        mock.reply(
            200,
            "multipart/related; boundary=zz",
            "--zz\r\nContent-Type: application/dicom\r\n\r\ncut sho",
        );
        let err = client
            .retrieve_instance("1", "2", "3", &TransferSyntaxRequest::Default)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Multipart { .. }), "{err}");
        mock.reply(200, "application/dicom+json", "[]");
        let err = client
            .retrieve_study("1", &TransferSyntaxRequest::Default)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::UnexpectedContentType { .. }), "{err}");
    }

    #[tokio::test]
    async fn retrieve_frames_labels_each_frame_with_its_transfer_syntax() {
        let (client, mock) = client();
        let mut jpeg = Part::new(
            "image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.70",
            &b"\xFF\xD8one"[..],
        );
        jpeg.headers
            .push(("Content-Location".into(), "…/frames/1".into()));
        multipart_reply(
            &mock,
            "image/jpeg",
            vec![jpeg, Part::new("application/octet-stream", &b"raw"[..])],
        );
        let frames = client
            .retrieve_frames("1", "2", "3", &[1, 3], &TransferSyntaxRequest::Any)
            .await
            .unwrap();
        let r = mock.last();
        assert_eq!(
            r.url,
            "http://pacs.example:8042/dicom-web/studies/1/series/2/instances/3/frames/1,3"
        );
        assert_eq!(
            r.header("accept"),
            Some("multipart/related; type=\"application/octet-stream\"; transfer-syntax=*")
        );
        assert_eq!(frames[0].number, 1);
        assert_eq!(frames[0].media_type, "image/jpeg");
        assert_eq!(
            frames[0].transfer_syntax.as_deref(),
            Some("1.2.840.10008.1.2.4.70")
        );
        assert_eq!(&frames[0].data[..], b"\xFF\xD8one");
        assert_eq!(frames[1].number, 3);
        assert_eq!(
            frames[1].transfer_syntax.as_deref(),
            Some(EXPLICIT_VR_LITTLE_ENDIAN),
            "octet-stream default"
        );
    }

    /// Streams each canned response in pieces of `chunk` bytes.
    impl StreamingTransport for Mock {
        async fn send_streaming(
            &self,
            request: HttpRequest,
            on_data: &mut OnBodyData<'_>,
        ) -> Result<HttpResponse, TransportError> {
            let response = self.send(request).await?;
            for piece in response.body.chunks(CHUNK) {
                on_data(response.status, &response.headers, piece);
            }
            Ok(response)
        }
    }

    const CHUNK: usize = 5;

    #[tokio::test]
    async fn a_frame_retrieved_progressively_shows_its_growing_prefix_and_ends_like_retrieve_frames(
    ) {
        let (client, mock) = client();
        let client = client.with_bearer_token("t0k");
        let frame: Vec<u8> = (0..200u8).collect();
        let ct = "multipart/related; type=\"image/jphc; transfer-syntax=1.2.840.10008.1.2.4.202\"; boundary=q";
        let mut body = b"--q\r\nContent-Type: image/jphc\r\n\r\n".to_vec();
        body.extend_from_slice(&frame);
        body.extend_from_slice(b"\r\n--q--\r\n");
        mock.reply(200, ct, body.clone());
        mock.reply(200, ct, body);
        let mut prefixes: Vec<(String, Option<String>, Vec<u8>)> = Vec::new();
        let got = client
            .retrieve_frame_progressive("1", "2", "3", 4, &TransferSyntaxRequest::Any, &mut |p| {
                prefixes.push((
                    p.media_type.to_string(),
                    p.transfer_syntax.map(str::to_string),
                    p.data.to_vec(),
                ))
            })
            .await
            .unwrap();
        let request = mock.last();
        assert!(
            request
                .url
                .ends_with("/studies/1/series/2/instances/3/frames/4"),
            "{}",
            request.url
        );
        assert_eq!(request.header("authorization"), Some("Bearer t0k"));
        let whole = client
            .retrieve_frames("1", "2", "3", &[4], &TransferSyntaxRequest::Any)
            .await
            .unwrap();
        assert_eq!(got, whole[0]);
        assert_eq!(
            got.transfer_syntax.as_deref(),
            Some("1.2.840.10008.1.2.4.202")
        );
        // Many growing prefixes, each the start of the frame, the last one all of it.
        assert!(prefixes.len() > 10, "{}", prefixes.len());
        for (i, (media_type, ts, data)) in prefixes.iter().enumerate() {
            assert_eq!(media_type, "image/jphc");
            assert_eq!(ts.as_deref(), Some("1.2.840.10008.1.2.4.202"));
            assert_eq!(&data[..], &frame[..data.len()]);
            if i > 0 {
                assert!(data.len() > prefixes[i - 1].2.len());
            }
        }
        assert_eq!(prefixes.last().unwrap().2, frame);
    }

    #[tokio::test]
    async fn a_failed_progressive_retrieval_is_an_http_error_with_no_prefix() {
        let (client, mock) = client();
        mock.reply(404, "text/plain", "no such frame");
        let mut calls = 0;
        let err = client
            .retrieve_frame_progressive("1", "2", "3", 1, &TransferSyntaxRequest::Any, &mut |_| {
                calls += 1
            })
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Http { status: 404, .. }), "{err}");
        assert_eq!(calls, 0);
        assert!(client
            .retrieve_frame_progressive("1", "2", "3", 0, &TransferSyntaxRequest::Any, &mut |_| {})
            .await
            .is_err());
    }

    #[tokio::test]
    async fn retrieve_frames_reads_the_syntax_from_the_message_type_parameter() {
        // Orthanc puts the transfer syntax inside the `type` parameter of the multipart Content-Type.
        let (client, mock) = client();
        let ct = "multipart/related; type=\"image/jls; transfer-syntax=1.2.840.10008.1.2.4.80\"; boundary=q";
        mock.reply(
            200,
            ct,
            "--q\r\nContent-Type: image/jls\r\n\r\nLS\r\n--q--\r\n",
        );
        let syntaxes = TransferSyntaxRequest::OneOf(vec![
            "1.2.840.10008.1.2.4.80".into(),
            "1.2.840.10008.1.2.1".into(),
        ]);
        let frames = client
            .retrieve_frames("1", "2", "3", &[2], &syntaxes)
            .await
            .unwrap();
        assert_eq!(
            frames[0].transfer_syntax.as_deref(),
            Some("1.2.840.10008.1.2.4.80")
        );
        assert_eq!(
            mock.last().header("accept"),
            Some(
                "multipart/related; type=\"image/jls\"; transfer-syntax=1.2.840.10008.1.2.4.80, \
                 multipart/related; type=\"application/octet-stream\"; transfer-syntax=1.2.840.10008.1.2.1"
            )
        );
    }

    #[tokio::test]
    async fn retrieve_frames_checks_the_frame_list_and_part_count() {
        let (client, mock) = client();
        for frames in [&[][..], &[0, 1][..]] {
            let err = client
                .retrieve_frames("1", "2", "3", frames, &TransferSyntaxRequest::Default)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::InvalidFrameList { .. }), "{err}");
        }
        assert!(mock.requests().is_empty());
        multipart_reply(
            &mock,
            "application/octet-stream",
            vec![Part::new("application/octet-stream", &b"a"[..])],
        );
        let err = client
            .retrieve_frames("1", "2", "3", &[1, 2], &TransferSyntaxRequest::Default)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::PartCount {
                    expected: 2,
                    actual: 1,
                    ..
                }
            ),
            "{err}"
        );
        // A single frame sent without multipart wrapping is accepted as one part.
        mock.reply(200, "application/octet-stream", "raw");
        let frames = client
            .retrieve_frames("1", "2", "3", &[5], &TransferSyntaxRequest::Default)
            .await
            .unwrap();
        assert_eq!((frames[0].number, &frames[0].data[..]), (5, &b"raw"[..]));
    }

    #[tokio::test]
    async fn bulk_data_uris_resolve_against_the_root_and_keep_the_token_home() {
        let (client, mock) = client();
        let client = client.with_bearer_token("t");
        multipart_reply(
            &mock,
            "application/octet-stream",
            vec![Part::new("application/octet-stream", &b"B"[..])],
        );
        multipart_reply(
            &mock,
            "application/octet-stream",
            vec![Part::new("application/octet-stream", &b"C"[..])],
        );
        let parts = client
            .retrieve_bulk_data("/studies/1/bulk/7FE00010", &TransferSyntaxRequest::Default)
            .await
            .unwrap();
        assert_eq!(&parts[0].body[..], b"B");
        let first = mock.last();
        assert_eq!(
            first.url,
            "http://pacs.example:8042/dicom-web/studies/1/bulk/7FE00010"
        );
        assert_eq!(first.header("authorization"), Some("Bearer t"));
        client
            .retrieve_bulk_data(
                "https://cdn.example/blob/1",
                &TransferSyntaxRequest::Default,
            )
            .await
            .unwrap();
        assert_eq!(
            mock.last().header("authorization"),
            None,
            "token must not go to another origin"
        );
    }

    fn store_response() -> Value {
        json!({
            "00081190": {"vr": "UR", "Value": ["http://pacs/studies/1.2"]},
            "00081199": {"vr": "SQ", "Value": [{
                "00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]},
                "00081155": {"vr": "UI", "Value": ["1.2.3.1"]},
                "00081190": {"vr": "UR", "Value": ["http://pacs/studies/1.2/series/1.2.3/instances/1.2.3.1"]}
            }]},
            "00081198": {"vr": "SQ", "Value": [{
                "00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]},
                "00081155": {"vr": "UI", "Value": ["1.2.3.2"]},
                "00081197": {"vr": "US", "Value": [43264]}
            }]}
        })
    }

    #[tokio::test]
    async fn store_instances_posts_multipart_dicom_and_reads_the_outcome() {
        let (client, mock) = client();
        mock.reply(202, JSON, store_response().to_string());
        let response = client
            .store_instances(Some("1.2"), vec![b"first".to_vec(), b"second".to_vec()])
            .await
            .unwrap();
        let r = mock.last();
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.url, "http://pacs.example:8042/dicom-web/studies/1.2");
        assert_eq!(r.header("accept"), Some("application/dicom+json"));
        let ct = r.header("content-type").unwrap();
        assert!(
            ct.starts_with("multipart/related; type=\"application/dicom\"; boundary="),
            "{ct}"
        );
        let sent = multipart::parse_related(ct, &r.body).unwrap();
        assert_eq!(
            sent.iter().map(|p| &p.body[..]).collect::<Vec<_>>(),
            [&b"first"[..], &b"second"[..]]
        );
        assert!(sent.iter().all(|p| p.content_type == "application/dicom"));

        assert_eq!(response.status, 202);
        assert!(!response.all_stored());
        assert_eq!(response.stored.len(), 1);
        assert_eq!(
            response.stored[0].sop_instance_uid.as_deref(),
            Some("1.2.3.1")
        );
        assert_eq!(
            response.stored[0].retrieve_url.as_deref(),
            Some("http://pacs/studies/1.2/series/1.2.3/instances/1.2.3.1")
        );
        assert_eq!(response.failed.len(), 1);
        assert_eq!(response.failed[0].failure_reason, Some(0xA900));
    }

    #[tokio::test]
    async fn store_conflict_with_a_data_set_is_an_outcome_not_an_error() {
        let (client, mock) = client();
        mock.reply(409, JSON, store_response().to_string());
        let response = client
            .store_instances(None, vec![b"x".to_vec()])
            .await
            .unwrap();
        assert_eq!(response.status, 409);
        assert_eq!(
            mock.last().url,
            "http://pacs.example:8042/dicom-web/studies"
        );
        mock.reply(409, "text/plain", "");
        assert!(matches!(
            client
                .store_instances(None, vec![b"x".to_vec()])
                .await
                .unwrap_err(),
            Error::Http { status: 409, .. }
        ));
        mock.reply(415, "text/plain", "Unsupported Media Type");
        let err = client
            .store_instances(None, vec![b"x".to_vec()])
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("415: Unsupported Media Type"),
            "{err}"
        );
        assert!(matches!(
            client.store_instances(None, vec![]).await.unwrap_err(),
            Error::NothingToStore
        ));
    }
}
