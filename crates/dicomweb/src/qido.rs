//! QIDO-RS query parameters (PS3.18 §8.3.4, §10.6): attribute matching by keyword or tag, `includefield`,
//! `fuzzymatching`, `limit` and `offset`, written as a correctly percent-encoded query string.
//!
//! This module builds queries only; it must not match anything itself (the server does) and it never sends requests.

use crate::error::{InvalidQueryKeySnafu, Result};
use dicom_core::dictionary::DataDictionary;
use dicom_core::Tag;
use dicom_dictionary_std::StandardDataDictionary;

/// The parameters of one QIDO-RS search.
///
/// Values follow PS3.4 C.2.2.2 matching as the server implements it: exact, wildcard (`DEMO*`, `?`), ranges for
/// dates and times (`20200101-20201231`, `20200101-`, `-20201231`), lists of UIDs separated by `\` or `,`.
///
/// ```
/// use lumen_dicomweb::QidoQuery;
/// let q = QidoQuery::new().patient_name("DEMO*").study_date_range(Some("20200101"), Some("20201231")).limit(10);
/// assert_eq!(q.to_query_string().unwrap(), "PatientName=DEMO*&StudyDate=20200101-20201231&limit=10");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QidoQuery {
    matches: Vec<(String, String)>,
    include_fields: Vec<String>,
    include_all: bool,
    fuzzy: bool,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl QidoQuery {
    /// A query matching everything at its level.
    pub fn new() -> Self {
        Self::default()
    }

    /// Matches attribute `key` against `value`. `key` is a DICOM keyword (`PatientName`), a tag (`00100010` or
    /// `(0010,0010)`), or a dotted sequence path of those (`ReferringPhysicianName`, `00400275.00401001`). A second
    /// call with the same key replaces the first value.
    pub fn matching(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        let value = value.into();
        match self.matches.iter_mut().find(|(k, _)| *k == key) {
            Some(existing) => existing.1 = value,
            None => self.matches.push((key, value)),
        }
        self
    }

    /// Matches the attribute `tag` against `value` (the key is written as `GGGGEEEE`).
    pub fn matching_tag(self, tag: Tag, value: impl Into<String>) -> Self {
        self.matching(crate::json::tag_key(tag), value)
    }

    /// _Patient's Name_ (0010,0010): exact, or with `*`/`?` wildcards; see [`fuzzy_matching`](Self::fuzzy_matching).
    pub fn patient_name(self, value: impl Into<String>) -> Self {
        self.matching("PatientName", value)
    }
    /// _Patient ID_ (0010,0020).
    pub fn patient_id(self, value: impl Into<String>) -> Self {
        self.matching("PatientID", value)
    }
    /// _Accession Number_ (0008,0050).
    pub fn accession_number(self, value: impl Into<String>) -> Self {
        self.matching("AccessionNumber", value)
    }
    /// _Study Date_ (0008,0020): a date `YYYYMMDD` or a range `YYYYMMDD-YYYYMMDD` (either end may be left open).
    pub fn study_date(self, value: impl Into<String>) -> Self {
        self.matching("StudyDate", value)
    }
    /// _Study Date_ (0008,0020) between `from` and `to` inclusive (`YYYYMMDD`); `None` leaves that end open.
    pub fn study_date_range(self, from: Option<&str>, to: Option<&str>) -> Self {
        let value = format!("{}-{}", from.unwrap_or(""), to.unwrap_or(""));
        self.study_date(value)
    }
    /// _Modalities in Study_ (0008,0061): studies containing at least one series of this modality.
    pub fn modalities_in_study(self, value: impl Into<String>) -> Self {
        self.matching("ModalitiesInStudy", value)
    }
    /// _Modality_ (0008,0060), at series and instance level.
    pub fn modality(self, value: impl Into<String>) -> Self {
        self.matching("Modality", value)
    }
    /// _Study Instance UID_ (0020,000D); several UIDs may be separated by `,` or `\`.
    pub fn study_instance_uid(self, value: impl Into<String>) -> Self {
        self.matching("StudyInstanceUID", value)
    }
    /// _Series Instance UID_ (0020,000E).
    pub fn series_instance_uid(self, value: impl Into<String>) -> Self {
        self.matching("SeriesInstanceUID", value)
    }
    /// _SOP Instance UID_ (0008,0018).
    pub fn sop_instance_uid(self, value: impl Into<String>) -> Self {
        self.matching("SOPInstanceUID", value)
    }

    /// Asks the server to return attribute `key` (keyword or tag) in addition to its defaults (`includefield`).
    pub fn include_field(mut self, key: impl Into<String>) -> Self {
        let key = key.into();
        if key.eq_ignore_ascii_case("all") {
            self.include_all = true;
        } else if !self.include_fields.contains(&key) {
            self.include_fields.push(key);
        }
        self
    }

    /// Asks for every available attribute (`includefield=all`).
    pub fn include_all_fields(mut self) -> Self {
        self.include_all = true;
        self
    }

    /// Person names match phonetically or case-insensitively as the server defines (`fuzzymatching=true`).
    pub fn fuzzy_matching(mut self, on: bool) -> Self {
        self.fuzzy = on;
        self
    }

    /// Returns at most `n` results (`limit`).
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skips the first `n` results (`offset`), for paging together with [`limit`](Self::limit).
    pub fn offset(mut self, n: u32) -> Self {
        self.offset = Some(n);
        self
    }

    /// The query string (without `?`), keys validated and values percent-encoded; empty for a match-all query.
    pub fn to_query_string(&self) -> Result<String> {
        let mut pairs: Vec<String> = Vec::new();
        for (key, value) in &self.matches {
            pairs.push(format!("{}={}", check_key(key)?, encode_query_value(value)));
        }
        if self.include_all {
            pairs.push("includefield=all".to_string());
        } else if !self.include_fields.is_empty() {
            let keys = self
                .include_fields
                .iter()
                .map(|k| check_key(k))
                .collect::<Result<Vec<_>>>()?;
            pairs.push(format!("includefield={}", keys.join(",")));
        }
        if self.fuzzy {
            pairs.push("fuzzymatching=true".to_string());
        }
        if let Some(n) = self.limit {
            pairs.push(format!("limit={n}"));
        }
        if let Some(n) = self.offset {
            pairs.push(format!("offset={n}"));
        }
        Ok(pairs.join("&"))
    }
}

/// Validates a QIDO attribute key (keyword, tag or dotted path) and returns it in the form to send: keywords as
/// given, tags as `GGGGEEEE`.
fn check_key(key: &str) -> Result<String> {
    let mut out = Vec::new();
    for component in key.split('.') {
        let component = component.trim();
        let is_hex_tag = component.len() == 8 && component.bytes().all(|b| b.is_ascii_hexdigit());
        if is_hex_tag {
            out.push(component.to_ascii_uppercase());
        } else if component.bytes().all(|b| b.is_ascii_alphanumeric()) && !component.is_empty() {
            snafu::ensure!(
                StandardDataDictionary.by_name(component).is_some(),
                InvalidQueryKeySnafu { key }
            );
            out.push(component.to_string());
        } else {
            let tag: Tag = component
                .parse()
                .ok()
                .filter(|_| component.starts_with('(') || component.contains(','))
                .ok_or_else(|| InvalidQueryKeySnafu { key }.build())?;
            out.push(crate::json::tag_key(tag));
        }
    }
    Ok(out.join("."))
}

/// Percent-encodes a query value minimally: control characters, space, non-ASCII bytes (as UTF-8), and the
/// characters that would end or change the value (`"#%&'+<=>` and `` ` ``). Everything else, the wildcards `*`/`?`,
/// the PN separator `^` and the list separators `,`/`\` included, is sent literally, as browsers do: some servers
/// (Orthanc 1.10 with DICOMweb 1.7) match the raw query text without decoding it.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b <= 0x20 || b >= 0x7F || b"\"#%&'+<=>`".contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn empty_query_is_empty_string() {
        assert_eq!(QidoQuery::new().to_query_string().unwrap(), "");
    }

    #[test]
    fn keys_by_keyword_tag_and_path_are_accepted() {
        let q = QidoQuery::new()
            .matching("00100020", "ID1")
            .matching("(0008,0050)", "A1")
            .matching("0040a275.00401001", "RP")
            .matching("ReferringPhysicianName", "X");
        assert_eq!(
            q.to_query_string().unwrap(),
            "00100020=ID1&00080050=A1&0040A275.00401001=RP&ReferringPhysicianName=X"
        );
    }

    #[test]
    fn unknown_keywords_and_junk_keys_are_rejected() {
        for key in ["PatientNmae", "", "a=b", "0010", "Patient Name"] {
            let err = QidoQuery::new()
                .matching(key, "x")
                .to_query_string()
                .unwrap_err();
            assert!(matches!(err, Error::InvalidQueryKey { .. }), "{key}: {err}");
        }
    }

    #[test]
    fn values_are_percent_encoded_minimally() {
        let q = QidoQuery::new().patient_name("DOE^J*N? & Co/é+1=#2%");
        assert_eq!(
            q.to_query_string().unwrap(),
            "PatientName=DOE^J*N?%20%26%20Co/%C3%A9%2B1%3D%232%25"
        );
    }

    #[test]
    fn include_fields_fuzzy_limit_offset_are_written_in_order() {
        let q = QidoQuery::new()
            .modalities_in_study("CT")
            .include_field("00081030")
            .include_field("StudyDescription")
            .fuzzy_matching(true)
            .limit(5)
            .offset(10);
        assert_eq!(
            q.to_query_string().unwrap(),
            "ModalitiesInStudy=CT&includefield=00081030,StudyDescription&fuzzymatching=true&limit=5&offset=10"
        );
        assert_eq!(
            QidoQuery::new()
                .include_field("all")
                .include_field("PatientAge")
                .to_query_string()
                .unwrap(),
            "includefield=all"
        );
    }

    #[test]
    fn open_date_ranges_keep_the_dash() {
        assert_eq!(
            QidoQuery::new()
                .study_date_range(Some("20200101"), None)
                .to_query_string()
                .unwrap(),
            "StudyDate=20200101-"
        );
        assert_eq!(
            QidoQuery::new()
                .study_date_range(None, Some("20201231"))
                .to_query_string()
                .unwrap(),
            "StudyDate=-20201231"
        );
    }

    #[test]
    fn repeating_a_key_replaces_its_value() {
        let q = QidoQuery::new().patient_id("A").patient_id("B");
        assert_eq!(q.to_query_string().unwrap(), "PatientID=B");
    }
}
