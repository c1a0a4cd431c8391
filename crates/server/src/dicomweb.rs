//! The DICOMweb service (PS3.18) over a folder store: QIDO-RS search at every level, WADO-RS retrieve of
//! studies, series and instances (`multipart/related; type="application/dicom"`), metadata, frames and Pixel Data
//! bulk data, and STOW-RS store.
//!
//! Handlers translate HTTP into [`lumen_store::Store`] calls (run on the blocking pool: they read files) and the
//! results back into responses with the right status and `Content-Type`. They must not parse DICOM or match
//! attributes themselves. Study and series retrieval stream one instance after another, so a large study never
//! sits in memory as a whole.

use crate::accept::{self, FrameAccept};
use crate::error::ApiError;
use crate::{AppState, Backend};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use futures::StreamExt;
use lumen_dicomweb::multipart::{build_related, parse_related_bytes, MediaType, Part};
use lumen_store::{InstanceId, Level, RetrievedInstance, Store, EXPLICIT_VR_LE};
use serde_json::{json, Value};
use std::sync::Arc;

/// The largest STOW-RS request accepted (bytes): a large multi-frame study fits, a runaway upload does not.
const STOW_LIMIT: usize = 4 << 30;

type Params = Query<Vec<(String, String)>>;

/// Routes of the store-backed DICOMweb service, all under `/dicom-web`.
pub(crate) fn routes() -> Router<AppState> {
    let instance = "/dicom-web/studies/{study}/series/{series}/instances/{instance}";
    Router::new()
        .route(
            "/dicom-web/studies",
            get(search_studies).post(store_instances),
        )
        .route("/dicom-web/series", get(search_all_series))
        .route("/dicom-web/instances", get(search_all_instances))
        .route(
            "/dicom-web/studies/{study}",
            get(retrieve_study).post(store_instances_in_study),
        )
        .route("/dicom-web/studies/{study}/metadata", get(study_metadata))
        .route(
            "/dicom-web/studies/{study}/series",
            get(search_study_series),
        )
        .route(
            "/dicom-web/studies/{study}/instances",
            get(search_study_instances),
        )
        .route(
            "/dicom-web/studies/{study}/series/{series}",
            get(retrieve_series),
        )
        .route(
            "/dicom-web/studies/{study}/series/{series}/metadata",
            get(series_metadata),
        )
        .route(
            "/dicom-web/studies/{study}/series/{series}/instances",
            get(search_series_instances),
        )
        .route(instance, get(retrieve_instance))
        .route(&format!("{instance}/metadata"), get(instance_metadata))
        .route(
            &format!("{instance}/frames/{{frames}}"),
            get(retrieve_frames),
        )
        .route(
            &format!("{instance}/bulkdata/{{tag}}"),
            get(retrieve_bulk_data),
        )
        // Retrieval by a series' or an instance's own UID, without its study: not defined by PS3.18, offered because
        // integrators often hold only that UID (a worklist entry, a report reference).
        .route("/dicom-web/series/{series}", get(retrieve_series_alone))
        .route(
            "/dicom-web/instances/{instance}",
            get(retrieve_instance_alone),
        )
        .route("/dicom-web", any(unknown_resource))
        .route("/dicom-web/{*rest}", any(unknown_resource))
        .layer(DefaultBodyLimit::max(STOW_LIMIT))
}

fn store_of(state: &AppState) -> Result<Arc<Store>, ApiError> {
    match &state.backend {
        Backend::Store(s) => Ok(s.clone()),
        Backend::Proxy(_) => Err(ApiError::internal(
            "this server proxies DICOMweb; it has no local store",
        )),
    }
}

/// The DICOMweb root URL as the client sees it, for Retrieve URL and BulkDataURI values:
/// `{X-Forwarded-Proto or http}://{Host}/dicom-web`.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{proto}://{host}/dicom-web")
}

fn accept_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT).and_then(|h| h.to_str().ok())
}

fn dicom_json(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/dicom+json")],
        value.to_string(),
    )
        .into_response()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, lumen_store::Error> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(tokio::task::spawn_blocking(f).await??)
}

// ---------------------------------------------------------------------------------------------------- QIDO-RS

async fn qido(
    state: AppState,
    headers: HeaderMap,
    params: Vec<(String, String)>,
    level: Level,
    study: Option<String>,
    series: Option<String>,
) -> Result<Response, ApiError> {
    accept::json_acceptable(accept_header(&headers))?;
    let store = store_of(&state)?;
    let mut query = lumen_store::Query::from_params(params)?;
    query.study_uid = study;
    query.series_uid = series;
    query.retrieve_base = Some(base_url(&headers));
    let results = blocking(move || store.search(level, &query)).await?;
    Ok(dicom_json(StatusCode::OK, &Value::Array(results)))
}

async fn search_studies(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(p): Params,
) -> Result<Response, ApiError> {
    qido(s, h, p, Level::Study, None, None).await
}

async fn search_all_series(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(p): Params,
) -> Result<Response, ApiError> {
    qido(s, h, p, Level::Series, None, None).await
}

async fn search_all_instances(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(p): Params,
) -> Result<Response, ApiError> {
    qido(s, h, p, Level::Instance, None, None).await
}

async fn search_study_series(
    State(s): State<AppState>,
    Path(study): Path<String>,
    h: HeaderMap,
    Query(p): Params,
) -> Result<Response, ApiError> {
    qido(s, h, p, Level::Series, Some(study), None).await
}

async fn search_study_instances(
    State(s): State<AppState>,
    Path(study): Path<String>,
    h: HeaderMap,
    Query(p): Params,
) -> Result<Response, ApiError> {
    qido(s, h, p, Level::Instance, Some(study), None).await
}

async fn search_series_instances(
    State(s): State<AppState>,
    Path((study, series)): Path<(String, String)>,
    h: HeaderMap,
    Query(p): Params,
) -> Result<Response, ApiError> {
    qido(s, h, p, Level::Instance, Some(study), Some(series)).await
}

// ---------------------------------------------------------------------------------------------------- WADO-RS

/// A fresh multipart boundary for streamed responses: 128 random-keyed bits, so it cannot occur in the data by
/// accident.
fn new_boundary() -> String {
    use std::hash::{BuildHasher, RandomState};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let a = RandomState::new().hash_one(nanos);
    let b = RandomState::new().hash_one((nanos, a));
    format!("lumen-{a:016x}{b:016x}")
}

/// The header lines opening one `application/dicom` part.
fn part_head(boundary: &str, instance: &RetrievedInstance) -> Bytes {
    Bytes::from(format!(
        "--{boundary}\r\nContent-Type: application/dicom; transfer-syntax={}\r\n\r\n",
        instance.transfer_syntax
    ))
}

/// Retrieves a study or series (all instances), streaming them as `multipart/related; type="application/dicom"`.
async fn retrieve_many(
    state: AppState,
    headers: HeaderMap,
    study: String,
    series: Option<String>,
) -> Result<Response, ApiError> {
    let store = store_of(&state)?;
    let (syntaxes, _) = accept::instance_syntaxes(accept_header(&headers))?;
    let ids = {
        let store = store.clone();
        blocking(move || store.instances(&study, series.as_deref())).await?
    };
    let fetch = |store: Arc<Store>, id: InstanceId, syntaxes: Vec<String>| async move {
        blocking(move || {
            store.retrieve_instance(
                &id.study_uid,
                Some(&id.series_uid),
                &id.sop_instance_uid,
                &syntaxes,
            )
        })
        .await
    };
    let mut ids = ids.into_iter();
    let first_id = ids
        .next()
        .ok_or_else(|| ApiError::not_found("no instance to retrieve"))?;
    // The first instance is read before answering, so that "not acceptable" or a broken file is a proper status
    // code rather than a truncated stream.
    let first = fetch(store.clone(), first_id, syntaxes.clone()).await?;
    let boundary = new_boundary();
    let content_type =
        format!("multipart/related; type=\"application/dicom\"; boundary={boundary}");
    let head = part_head(&boundary, &first);
    let first_chunks = vec![
        Ok::<Bytes, std::io::Error>(head),
        Ok(Bytes::from(first.bytes)),
        Ok(Bytes::from_static(b"\r\n")),
    ];
    let rest_boundary = boundary.clone();
    let rest = futures::stream::iter(ids.collect::<Vec<_>>())
        .then(move |id| {
            let (store, syntaxes, boundary) =
                (store.clone(), syntaxes.clone(), rest_boundary.clone());
            async move {
                match fetch(store, id, syntaxes).await {
                    Ok(instance) => vec![
                        Ok(part_head(&boundary, &instance)),
                        Ok(Bytes::from(instance.bytes)),
                        Ok(Bytes::from_static(b"\r\n")),
                    ],
                    // Headers are gone: ending the stream with an error truncates the body, which every
                    // multipart reader reports (no closing delimiter).
                    Err(e) => vec![Err(std::io::Error::other(e.message))],
                }
            }
        })
        .flat_map(futures::stream::iter);
    let closing =
        futures::stream::once(async move { Ok(Bytes::from(format!("--{boundary}--\r\n"))) });
    let body = futures::stream::iter(first_chunks)
        .chain(rest)
        .chain(closing);
    Ok((
        [(header::CONTENT_TYPE, content_type)],
        Body::from_stream(body),
    )
        .into_response())
}

async fn retrieve_study(
    State(s): State<AppState>,
    Path(study): Path<String>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    retrieve_many(s, h, study, None).await
}

async fn retrieve_series(
    State(s): State<AppState>,
    Path((study, series)): Path<(String, String)>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    retrieve_many(s, h, study, Some(series)).await
}

async fn retrieve_series_alone(
    State(state): State<AppState>,
    Path(series): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let store = store_of(&state)?;
    let uid = series.clone();
    let study = blocking(move || store.locate_series(&uid)).await?;
    retrieve_many(state, headers, study, Some(series)).await
}

async fn retrieve_instance_alone(
    State(state): State<AppState>,
    Path(instance): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let store = store_of(&state)?;
    let id = blocking(move || store.locate_instance(&instance)).await?;
    retrieve_instance(
        State(state),
        Path((id.study_uid, id.series_uid, id.sop_instance_uid)),
        headers,
    )
    .await
}

async fn retrieve_instance(
    State(state): State<AppState>,
    Path((study, series, instance)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let store = store_of(&state)?;
    let (syntaxes, single) = accept::instance_syntaxes(accept_header(&headers))?;
    let retrieved =
        blocking(move || store.retrieve_instance(&study, Some(&series), &instance, &syntaxes))
            .await?;
    let part_type = format!(
        "application/dicom; transfer-syntax={}",
        retrieved.transfer_syntax
    );
    if single {
        return Ok(([(header::CONTENT_TYPE, part_type)], retrieved.bytes).into_response());
    }
    let (content_type, body) = build_related(
        &[Part::new(part_type, retrieved.bytes)],
        "application/dicom",
    );
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

async fn metadata(
    state: AppState,
    headers: HeaderMap,
    study: String,
    series: Option<String>,
    instance: Option<String>,
) -> Result<Response, ApiError> {
    accept::json_acceptable(accept_header(&headers))?;
    let store = store_of(&state)?;
    let base = base_url(&headers);
    let values =
        blocking(move || store.metadata(&study, series.as_deref(), instance.as_deref(), &base))
            .await?;
    Ok(dicom_json(StatusCode::OK, &Value::Array(values)))
}

async fn study_metadata(
    State(s): State<AppState>,
    Path(study): Path<String>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    metadata(s, h, study, None, None).await
}

async fn series_metadata(
    State(s): State<AppState>,
    Path((study, series)): Path<(String, String)>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    metadata(s, h, study, Some(series), None).await
}

async fn instance_metadata(
    State(s): State<AppState>,
    Path((study, series, instance)): Path<(String, String, String)>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    metadata(s, h, study, Some(series), Some(instance)).await
}

/// Parses a WADO-RS frame list (`1`, `1,3,5`): frame numbers start at 1.
pub(crate) fn parse_frame_list(list: &str) -> Result<Vec<u32>, ApiError> {
    let bad = || {
        ApiError::bad_request(format!(
            "frame list \"{list}\" must be comma-separated frame numbers starting at 1"
        ))
    };
    let numbers: Vec<u32> = list
        .split(',')
        .map(|n| n.trim().parse::<u32>().ok().filter(|&n| n >= 1))
        .collect::<Option<Vec<u32>>>()
        .ok_or_else(bad)?;
    if numbers.is_empty() {
        return Err(bad());
    }
    Ok(numbers)
}

/// A `multipart/related` response of frames, each part labelled with its media type and transfer syntax.
fn frames_response(
    frames: lumen_store::Frames,
    accept: &FrameAccept,
    concatenate: bool,
) -> Response {
    let part_type = accept.part_type(&frames.transfer_syntax);
    let root = part_type
        .split(';')
        .next()
        .unwrap_or("application/octet-stream")
        .to_string();
    let parts: Vec<Part> = if concatenate {
        vec![Part::new(part_type, frames.frames.concat())]
    } else {
        frames
            .frames
            .into_iter()
            .map(|f| Part::new(part_type.clone(), f))
            .collect()
    };
    let (content_type, body) = build_related(&parts, &root);
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn retrieve_frames(
    State(state): State<AppState>,
    Path((study, series, instance, list)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let store = store_of(&state)?;
    let numbers = parse_frame_list(&list)?;
    let accept = accept::frame_syntaxes(accept_header(&headers))?;
    let syntaxes = accept.syntaxes.clone();
    let frames =
        blocking(move || store.frame_bytes(&study, Some(&series), &instance, &numbers, &syntaxes))
            .await?;
    Ok(frames_response(frames, &accept, false))
}

/// Bulk data of an instance: only Pixel Data (7FE0,0010) is served as bulk data (the metadata of this service
/// never points elsewhere). Uncompressed pixel data is one part; compressed pixel data one part per frame.
async fn retrieve_bulk_data(
    State(state): State<AppState>,
    Path((study, series, instance, tag)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !tag.eq_ignore_ascii_case("7FE00010") {
        return Err(ApiError::not_found(format!(
            "bulk data {tag} not found: this service only serves Pixel Data (7FE00010) as bulk data"
        )));
    }
    let store = store_of(&state)?;
    let accept = accept::frame_syntaxes(accept_header(&headers))?;
    let syntaxes = accept.syntaxes.clone();
    let frames =
        blocking(move || store.pixel_data(&study, Some(&series), &instance, &syntaxes)).await?;
    let native = frames.transfer_syntax == EXPLICIT_VR_LE;
    Ok(frames_response(frames, &accept, native))
}

async fn unknown_resource(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!(
        "{} is not a DICOMweb resource of this server",
        uri.path()
    ))
}

// ---------------------------------------------------------------------------------------------------- STOW-RS

/// Failure Reason (0008,1197) "Cannot understand" (PS3.4 Annex B / PS3.18 Table 10.5.3-1): the part is not a
/// usable DICOM instance.
const CANNOT_UNDERSTAND: u16 = 0xC000;
/// Failure Reason "Processing failure": the server could not store a valid instance.
const PROCESSING_FAILURE: u16 = 0x0110;
/// Failure Reason used when the instance does not belong to the study named in the request URL.
const STUDY_MISMATCH: u16 = 0xA900;

async fn store_instances(
    state: State<AppState>,
    h: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    stow(state.0, h, None, body).await
}

async fn store_instances_in_study(
    State(state): State<AppState>,
    Path(study): Path<String>,
    h: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    stow(state, h, Some(study), body).await
}

/// Outcome of one STOW-RS part.
enum Outcome {
    Stored(lumen_store::StoredInstance),
    Failed {
        sop_class: String,
        sop_instance: String,
        reason: u16,
        message: String,
    },
}

async fn stow(
    state: AppState,
    headers: HeaderMap,
    study: Option<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let store = store_of(&state)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .ok_or_else(|| unsupported("no Content-Type"))?
        .to_string();
    let media = MediaType::parse(&content_type).map_err(|e| unsupported(&e.to_string()))?;
    if media.essence != "multipart/related" {
        return Err(unsupported(&format!("Content-Type is {}", media.essence)));
    }
    if let Some(t) = media.param("type") {
        if !t.eq_ignore_ascii_case("application/dicom") {
            return Err(unsupported(&format!(
                "multipart type \"{t}\" (only application/dicom instances are accepted)"
            )));
        }
    }
    let parts = parse_related_bytes(&content_type, body).map_err(|e| {
        ApiError::bad_request(format!("cannot read the multipart/related body: {e}"))
    })?;
    if parts.is_empty() {
        return Err(ApiError::bad_request("the request holds no DICOM instance"));
    }
    let target = study.clone();
    let outcomes = tokio::task::spawn_blocking(move || {
        parts
            .iter()
            .map(|part| {
                let is_dicom = part
                    .media_type()
                    .is_some_and(|m| m.essence == "application/dicom");
                if !is_dicom {
                    return Outcome::Failed {
                        sop_class: String::new(),
                        sop_instance: String::new(),
                        reason: CANNOT_UNDERSTAND,
                        message: format!(
                            "part of type \"{}\" is not application/dicom",
                            part.content_type
                        ),
                    };
                }
                match store.store_in_study(&part.body, target.as_deref()) {
                    Ok(stored) => Outcome::Stored(stored),
                    Err(e) => {
                        let (sop_class, sop_instance) = peek_uids(&part.body);
                        let reason = match (&e, e.kind()) {
                            (lumen_store::Error::StudyMismatch { .. }, _) => STUDY_MISMATCH,
                            (_, lumen_store::ErrorKind::BadRequest) => CANNOT_UNDERSTAND,
                            _ => PROCESSING_FAILURE,
                        };
                        Outcome::Failed {
                            sop_class,
                            sop_instance,
                            reason,
                            message: e.to_string(),
                        }
                    }
                }
            })
            .collect::<Vec<_>>()
    })
    .await?;
    let base = base_url(&headers);
    Ok(stow_response(&base, study.as_deref(), &outcomes))
}

fn unsupported(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!("STOW-RS expects multipart/related; type=\"application/dicom\": {what}"),
    )
}

/// SOP Class and SOP Instance UIDs of a failed upload, when its file meta group can be read (for the Failed SOP
/// Sequence); empty otherwise.
fn peek_uids(bytes: &[u8]) -> (String, String) {
    // The file meta group is read from its "DICM" magic code on.
    let start = if bytes.get(128..132) == Some(b"DICM") {
        128
    } else if bytes.starts_with(b"DICM") {
        0
    } else {
        return Default::default();
    };
    match bytes
        .get(start..)
        .map(dicom_object::FileMetaTable::from_reader)
    {
        Some(Ok(meta)) => (
            meta.media_storage_sop_class_uid()
                .trim_end_matches('\0')
                .to_string(),
            meta.media_storage_sop_instance_uid()
                .trim_end_matches('\0')
                .to_string(),
        ),
        _ => Default::default(),
    }
}

/// The STOW-RS response (PS3.18 10.5.3): a DICOM JSON data set with Retrieve URL (0008,1190), Referenced SOP
/// Sequence (0008,1199) and Failed SOP Sequence (0008,1198); 200 when all stored, 202 when some failed, 409 when
/// none was stored. Each failure is also described in a `Warning` header.
fn stow_response(base: &str, study: Option<&str>, outcomes: &[Outcome]) -> Response {
    let ui = |v: &str| json!({ "vr": "UI", "Value": [v] });
    let mut referenced = Vec::new();
    let mut failed = Vec::new();
    let mut warnings = Vec::new();
    let mut studies = std::collections::BTreeSet::new();
    for (i, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Outcome::Stored(s) => {
                studies.insert(s.id.study_uid.clone());
                referenced.push(json!({
                    "00081150": ui(&s.sop_class_uid),
                    "00081155": ui(&s.id.sop_instance_uid),
                    "00081190": { "vr": "UR", "Value": [format!(
                        "{base}/studies/{}/series/{}/instances/{}",
                        s.id.study_uid, s.id.series_uid, s.id.sop_instance_uid
                    )]},
                }));
            }
            Outcome::Failed {
                sop_class,
                sop_instance,
                reason,
                message,
            } => {
                let mut item = json!({ "00081197": { "vr": "US", "Value": [reason] } });
                if let Some(map) = item.as_object_mut() {
                    map.insert(
                        "00081150".into(),
                        if sop_class.is_empty() {
                            json!({"vr": "UI"})
                        } else {
                            ui(sop_class)
                        },
                    );
                    map.insert(
                        "00081155".into(),
                        if sop_instance.is_empty() {
                            json!({"vr": "UI"})
                        } else {
                            ui(sop_instance)
                        },
                    );
                }
                failed.push(item);
                warnings.push(format!(
                    "299 lumen \"instance {}: {}\"",
                    i + 1,
                    message.replace(['"', '\\'], "'")
                ));
            }
        }
    }
    let mut body = serde_json::Map::new();
    let study_uid = study.map(str::to_string).or_else(|| {
        (studies.len() == 1)
            .then(|| studies.first().cloned())
            .flatten()
    });
    if let Some(uid) = study_uid {
        body.insert(
            "00081190".into(),
            json!({ "vr": "UR", "Value": [format!("{base}/studies/{uid}")] }),
        );
    }
    if !referenced.is_empty() {
        body.insert(
            "00081199".into(),
            json!({ "vr": "SQ", "Value": referenced }),
        );
    }
    if !failed.is_empty() {
        body.insert("00081198".into(), json!({ "vr": "SQ", "Value": failed }));
    }
    let status = match (referenced.is_empty(), failed.is_empty()) {
        (false, true) => StatusCode::OK,
        (false, false) => StatusCode::ACCEPTED,
        (true, _) => StatusCode::CONFLICT,
    };
    let mut response = dicom_json(status, &Value::Object(body));
    for w in warnings.into_iter().take(20) {
        let ascii: String = w
            .chars()
            .map(|c| {
                if c.is_ascii() && !c.is_ascii_control() {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        if let Ok(v) = HeaderValue::from_str(&ascii) {
            response.headers_mut().append(header::WARNING, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_lists_are_one_based_numbers() {
        assert_eq!(parse_frame_list("1,3, 5").unwrap(), vec![1, 3, 5]);
        assert!(parse_frame_list("0").is_err());
        assert!(parse_frame_list("1,,2").is_err());
        assert!(parse_frame_list("a").is_err());
    }

    #[test]
    fn base_url_follows_host_and_forwarded_proto() {
        let mut h = HeaderMap::new();
        h.insert(
            header::HOST,
            HeaderValue::from_static("viewer.example.org:8443"),
        );
        assert_eq!(base_url(&h), "http://viewer.example.org:8443/dicom-web");
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(base_url(&h), "https://viewer.example.org:8443/dicom-web");
    }

    #[test]
    fn stow_status_reflects_successes_and_failures() {
        let failed = || Outcome::Failed {
            sop_class: String::new(),
            sop_instance: String::new(),
            reason: CANNOT_UNDERSTAND,
            message: "bad".into(),
        };
        assert_eq!(
            stow_response("b", None, &[failed()]).status(),
            StatusCode::CONFLICT
        );
    }
}
