//! WADO-RS content negotiation (PS3.18 8.7): which transfer syntaxes the client's `Accept` header allows, for whole
//! instances (`application/dicom`) and for frames and bulk data (`application/octet-stream`, `image/jpeg`,
//! `image/jls`, `image/jp2`, `image/jphc`, `image/dicom-rle`…), and which media type names each transfer syntax in
//! a response part.
//!
//! Defaults follow PS3.18 8.7.3.5: a media type without a `transfer-syntax` parameter means its default syntax
//! (Explicit VR Little Endian for `application/dicom` and `application/octet-stream`); `transfer-syntax=*` accepts
//! the stored one. This module must not touch the store.

use crate::error::ApiError;
use lumen_dicomweb::multipart::MediaType;
use lumen_store::EXPLICIT_VR_LE;

/// One `Accept` entry: its media type (for `multipart/related`, the `type` parameter) and parameters.
#[derive(Debug, Clone, PartialEq)]
struct Range {
    /// `multipart/related` itself, or `*/*`, `application/dicom`, …
    essence: String,
    /// The `type` parameter of `multipart/related` (lower case), if any.
    part_type: Option<String>,
    /// The `transfer-syntax` parameter, if any.
    transfer_syntax: Option<String>,
}

/// Splits an `Accept` header into its entries (commas inside quoted strings do not split), dropping `q=0` entries
/// and entries that are not media types.
fn ranges(accept: Option<&str>) -> Vec<Range> {
    let Some(accept) = accept else {
        return Vec::new();
    };
    let mut entries = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in accept.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => entries.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    entries.push(current);
    entries
        .iter()
        .filter_map(|e| MediaType::parse(e.trim()).ok())
        .filter(|m| {
            m.param("q")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_none_or(|q| q > 0.0)
        })
        .map(|m| Range {
            part_type: m.param("type").map(|t| t.trim().to_ascii_lowercase()),
            transfer_syntax: m.param("transfer-syntax").map(|t| t.trim().to_string()),
            essence: m.essence,
        })
        .collect()
}

/// The transfer syntaxes acceptable for whole instances (`*` meaning any), and whether the client accepts a
/// single-part `application/dicom` response without multipart. No `Accept` header, `*/*` or `multipart/related`
/// without a type mean the default, Explicit VR Little Endian. Fails with 406 when nothing DICOM is acceptable.
pub(crate) fn instance_syntaxes(accept: Option<&str>) -> Result<(Vec<String>, bool), ApiError> {
    if accept.is_none_or(|a| a.trim().is_empty()) {
        return Ok((vec![EXPLICIT_VR_LE.to_string()], false));
    }
    let ranges = ranges(accept);
    let mut syntaxes = Vec::new();
    let mut multipart = false;
    let mut single = false;
    for r in &ranges {
        let dicom_multipart = r.essence == "multipart/related"
            && r.part_type
                .as_deref()
                .is_none_or(|t| t == "application/dicom");
        let wildcard = r.essence == "*/*" || r.essence == "multipart/*";
        let dicom_single = r.essence == "application/dicom";
        if dicom_multipart || wildcard || dicom_single {
            multipart |= dicom_multipart || wildcard;
            single |= dicom_single;
            syntaxes.push(
                r.transfer_syntax
                    .clone()
                    .unwrap_or_else(|| EXPLICIT_VR_LE.to_string()),
            );
        }
    }
    if syntaxes.is_empty() {
        return Err(ApiError::not_acceptable(format!(
            "Accept \"{}\" allows no DICOM representation; use multipart/related; type=\"application/dicom\"",
            accept.unwrap_or_default()
        )));
    }
    Ok((syntaxes, single && !multipart))
}

/// Checks that a QIDO-RS or metadata client accepts DICOM JSON (`application/dicom+json`, `application/json`, or a
/// wildcard); no `Accept` header accepts it. Fails with 406 otherwise (e.g. a client asking only for the XML form).
pub(crate) fn json_acceptable(accept: Option<&str>) -> Result<(), ApiError> {
    if accept.is_none_or(|a| a.trim().is_empty()) {
        return Ok(());
    }
    let ok = ranges(accept).iter().any(|r| {
        matches!(
            r.essence.as_str(),
            "application/dicom+json" | "application/json" | "application/*" | "*/*"
        )
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::not_acceptable(format!(
            "Accept \"{}\" does not allow application/dicom+json, the only search result format of this server",
            accept.unwrap_or_default()
        )))
    }
}

/// Media types of compressed frames and the transfer syntax each means without a `transfer-syntax` parameter
/// (PS3.18 Table 8.7.4-1 / 8.7.3-5).
const IMAGE_TYPES: &[(&str, &str)] = &[
    ("image/jpeg", "1.2.840.10008.1.2.4.50"),
    ("image/jls", "1.2.840.10008.1.2.4.80"),
    ("image/jp2", "1.2.840.10008.1.2.4.90"),
    ("image/jpx", "1.2.840.10008.1.2.4.92"),
    ("image/jphc", "1.2.840.10008.1.2.4.201"),
    ("image/dicom-rle", "1.2.840.10008.1.2.5"),
];

/// The image media type for a compressed transfer syntax, if it has one.
pub(crate) fn image_media_type(transfer_syntax: &str) -> Option<&'static str> {
    Some(match transfer_syntax {
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
        _ => return None,
    })
}

/// What the client accepts for frames or bulk data.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FrameAccept {
    /// Acceptable transfer syntax UIDs (`*` meaning any).
    pub syntaxes: Vec<String>,
    /// Image media types the client named (`image/jpeg`…), used to label compressed parts.
    pub image_types: Vec<String>,
}

impl FrameAccept {
    /// The `Content-Type` of a response part holding a frame in `transfer_syntax`: `application/octet-stream` for
    /// uncompressed frames; for compressed ones the image media type (`image/jpeg`, `image/dicom-rle`…) when the
    /// client named it or accepted any syntax (`transfer-syntax=*`, as Orthanc labels them), else
    /// `application/octet-stream` — always with the `transfer-syntax` parameter.
    pub fn part_type(&self, transfer_syntax: &str) -> String {
        let media = image_media_type(transfer_syntax)
            .filter(|m| {
                self.image_types.iter().any(|t| t == m) || self.syntaxes.iter().any(|t| t == "*")
            })
            .unwrap_or("application/octet-stream");
        format!("{media}; transfer-syntax={transfer_syntax}")
    }
}

/// The transfer syntaxes acceptable for frames and bulk data. No `Accept` header, `*/*` and
/// `application/octet-stream` without a parameter mean uncompressed (Explicit VR Little Endian). Fails with 406
/// when only non-image types are accepted.
pub(crate) fn frame_syntaxes(accept: Option<&str>) -> Result<FrameAccept, ApiError> {
    let ranges = ranges(accept);
    let mut out = FrameAccept {
        syntaxes: Vec::new(),
        image_types: Vec::new(),
    };
    if ranges.is_empty() {
        out.syntaxes.push(EXPLICIT_VR_LE.to_string());
        return Ok(out);
    }
    for r in &ranges {
        let media = match r.essence.as_str() {
            "multipart/related" => r
                .part_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".into()),
            "*/*" | "multipart/*" => "application/octet-stream".to_string(),
            other => other.to_string(),
        };
        if media == "application/octet-stream" || media == "*/*" {
            out.syntaxes.push(
                r.transfer_syntax
                    .clone()
                    .unwrap_or_else(|| EXPLICIT_VR_LE.to_string()),
            );
        } else if let Some((_, default)) = IMAGE_TYPES.iter().find(|(m, _)| *m == media) {
            out.syntaxes.push(
                r.transfer_syntax
                    .clone()
                    .unwrap_or_else(|| default.to_string()),
            );
            out.image_types.push(media);
        }
    }
    if out.syntaxes.is_empty() {
        return Err(ApiError::not_acceptable(format!(
            "Accept \"{}\" allows no frame representation; use multipart/related; type=\"application/octet-stream\"",
            accept.unwrap_or_default()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_accept_header_means_explicit_little_endian() {
        assert_eq!(
            instance_syntaxes(None).unwrap(),
            (vec![EXPLICIT_VR_LE.to_string()], false)
        );
        assert_eq!(
            frame_syntaxes(None).unwrap().syntaxes,
            vec![EXPLICIT_VR_LE.to_string()]
        );
    }

    #[test]
    fn transfer_syntax_parameters_are_collected_from_every_entry() {
        let (ts, single) = instance_syntaxes(Some(
            "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50, \
             multipart/related; type=\"application/dicom\"; transfer-syntax=*",
        ))
        .unwrap();
        assert_eq!(
            ts,
            vec!["1.2.840.10008.1.2.4.50".to_string(), "*".to_string()]
        );
        assert!(!single);
    }

    #[test]
    fn plain_application_dicom_asks_for_a_single_part() {
        assert_eq!(
            instance_syntaxes(Some("application/dicom")).unwrap(),
            (vec![EXPLICIT_VR_LE.to_string()], true)
        );
    }

    #[test]
    fn non_dicom_accept_is_not_acceptable() {
        let e = instance_syntaxes(Some("image/png")).unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::NOT_ACCEPTABLE);
        assert!(instance_syntaxes(Some("application/dicom; q=0")).is_err());
    }

    #[test]
    fn json_is_acceptable_unless_only_other_types_are_named() {
        assert!(json_acceptable(None).is_ok());
        assert!(json_acceptable(Some("application/dicom+json")).is_ok());
        assert!(json_acceptable(Some("text/html, */*; q=0.8")).is_ok());
        let e =
            json_acceptable(Some("multipart/related; type=\"application/dicom+xml\"")).unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::NOT_ACCEPTABLE);
    }

    #[test]
    fn image_types_imply_their_default_syntax_and_label_parts() {
        let a = frame_syntaxes(Some("multipart/related; type=\"image/jls\"")).unwrap();
        assert_eq!(a.syntaxes, vec!["1.2.840.10008.1.2.4.80".to_string()]);
        assert_eq!(
            a.part_type("1.2.840.10008.1.2.4.80"),
            "image/jls; transfer-syntax=1.2.840.10008.1.2.4.80"
        );
        let any = frame_syntaxes(Some(
            "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*",
        ))
        .unwrap();
        assert_eq!(any.syntaxes, vec!["*".to_string()]);
        assert_eq!(
            any.part_type("1.2.840.10008.1.2.4.50"),
            "image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50"
        );
        assert_eq!(
            any.part_type(EXPLICIT_VR_LE),
            format!("application/octet-stream; transfer-syntax={EXPLICIT_VR_LE}")
        );
        // Asked for octet-stream in that very syntax: the label stays octet-stream.
        let jpeg = frame_syntaxes(Some(
            "multipart/related; type=\"application/octet-stream\"; transfer-syntax=1.2.840.10008.1.2.4.50",
        ))
        .unwrap();
        assert_eq!(
            jpeg.part_type("1.2.840.10008.1.2.4.50"),
            "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.50"
        );
    }
}
