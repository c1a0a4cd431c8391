//! QIDO-RS (PS3.18 10.6) searches for the study list and the series list, through `lumen-dicomweb`'s client over
//! the browser's `fetch`, and the rows built from their DICOM JSON answers (PS3.18 F.2).
//!
//! Each row keeps only what the pages show. A missing or malformed attribute becomes an empty cell, never an
//! error: archives routinely omit optional attributes, and one odd study must not hide the others. This module must
//! not render anything.

use super::LoadError;
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use lumen_dicomweb::{json, transport::FetchTransport, Client, QidoQuery};
use serde_json::Value;

/// Studies per page of the study list. One more is asked for, to know whether a next page exists (QIDO-RS gives
/// no total count).
pub const STUDY_PAGE: usize = 50;

/// What the study list searches for; an empty field matches everything. Kept in the address bar under the QIDO-RS
/// key names (`?PatientName=DOE&ModalitiesInStudy=CT&StudyDate=20240101-&offset=50`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StudySearch {
    /// Beginning of the patient's name, matched fuzzily (case and accents ignored where the archive can).
    pub patient_name: String,
    /// Beginning of the Patient ID.
    pub patient_id: String,
    /// Beginning of the Accession Number.
    pub accession_number: String,
    /// First study date, `YYYYMMDD`, or empty (open).
    pub date_from: String,
    /// Last study date, `YYYYMMDD`, or empty (open).
    pub date_to: String,
    /// A modality the study must contain (`CT`), or empty.
    pub modality: String,
    /// Index of the first study shown (a multiple of [`STUDY_PAGE`]).
    pub offset: usize,
}

impl StudySearch {
    /// The address-bar parameters of the search (only those set), in a fixed order.
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut put = |key, value: &str| {
            if !value.trim().is_empty() {
                out.push((key, value.trim().to_string()));
            }
        };
        put("PatientName", &self.patient_name);
        put("PatientID", &self.patient_id);
        put("AccessionNumber", &self.accession_number);
        if !(self.date_from.is_empty() && self.date_to.is_empty()) {
            put("StudyDate", &format!("{}-{}", self.date_from, self.date_to));
        }
        put("ModalitiesInStudy", &self.modality);
        if self.offset > 0 {
            put("offset", &self.offset.to_string());
        }
        out
    }

    /// The search written by [`StudySearch::to_params`], read back with `get(key)`; anything malformed is dropped.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> StudySearch {
        let text = |key| get(key).map(|v| v.trim().to_string()).unwrap_or_default();
        let date = |d: &str| {
            let d = d.trim();
            if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) {
                d.to_string()
            } else {
                String::new()
            }
        };
        let range = text("StudyDate");
        let (from, to) = range.split_once('-').unwrap_or((&range, &range));
        let offset = text("offset").parse::<usize>().unwrap_or(0);
        StudySearch {
            patient_name: text("PatientName"),
            patient_id: text("PatientID"),
            accession_number: text("AccessionNumber"),
            date_from: date(from),
            date_to: date(to),
            modality: text("ModalitiesInStudy")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_uppercase(),
            offset: offset - offset % STUDY_PAGE,
        }
    }

    /// Whether anything narrows the search (the paging aside).
    pub fn is_filtered(&self) -> bool {
        StudySearch {
            offset: 0,
            ..self.clone()
        } != StudySearch::default()
    }
}

/// Study-level attributes asked for with `includefield`, beyond the ones QIDO-RS returns by default (PS3.18
/// Table 10.6.3-3 lists most of them, but not every archive honours it).
const STUDY_FIELDS: &[Tag] = &[
    tags::STUDY_DATE,
    tags::STUDY_TIME,
    tags::ACCESSION_NUMBER,
    tags::MODALITIES_IN_STUDY,
    tags::STUDY_DESCRIPTION,
    tags::PATIENT_NAME,
    tags::PATIENT_ID,
    tags::STUDY_INSTANCE_UID,
    tags::NUMBER_OF_STUDY_RELATED_SERIES,
    tags::NUMBER_OF_STUDY_RELATED_INSTANCES,
];

/// Series-level attributes asked for with `includefield`.
const SERIES_FIELDS: &[Tag] = &[
    tags::MODALITY,
    tags::SERIES_DESCRIPTION,
    tags::BODY_PART_EXAMINED,
    tags::SERIES_INSTANCE_UID,
    tags::SERIES_NUMBER,
    tags::NUMBER_OF_SERIES_RELATED_INSTANCES,
];

/// One row of the study list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StudySummary {
    /// Study Instance UID (0020,000D); rows without one are dropped, as they cannot be opened.
    pub study_instance_uid: String,
    /// Patient Name (0010,0010), alphabetic group, as stored (`DOE^JOHN`).
    pub patient_name: String,
    /// Patient ID (0010,0020).
    pub patient_id: String,
    /// Study Date (0008,0020), as stored (`YYYYMMDD`).
    pub study_date: String,
    /// Study Time (0008,0030), as stored (`HHMMSS.FFFFFF`).
    pub study_time: String,
    /// Modalities in Study (0008,0061).
    pub modalities: Vec<String>,
    /// Study Description (0008,1030).
    pub description: String,
    /// Accession Number (0008,0050).
    pub accession_number: String,
    /// Number of Study Related Series (0020,1206).
    pub number_of_series: Option<u32>,
    /// Number of Study Related Instances (0020,1208).
    pub number_of_instances: Option<u32>,
}

/// The answer to a study search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StudyPage {
    /// The studies, newest first (Study Date then Study Time, undated last).
    pub studies: Vec<StudySummary>,
    /// Index of the first study (the search's offset).
    pub offset: usize,
    /// Whether the archive has more studies after this page.
    pub has_more: bool,
}

/// One row of a study's series list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeriesSummary {
    /// Series Instance UID (0020,000E).
    pub series_instance_uid: String,
    /// Series Number (0020,0011).
    pub series_number: Option<i64>,
    /// Modality (0008,0060).
    pub modality: String,
    /// Series Description (0008,103E).
    pub description: String,
    /// Body Part Examined (0018,0015).
    pub body_part: String,
    /// Number of Series Related Instances (0020,1209).
    pub number_of_instances: Option<u32>,
}

fn client(root: &str) -> Client<FetchTransport> {
    crate::auth::client(absolute(root))
}

/// `root` as an absolute URL: a path is taken on the page's own origin (the client wants absolute URLs).
fn absolute(root: &str) -> String {
    if root.starts_with('/') {
        let origin = leptos::prelude::location().origin().unwrap_or_default();
        format!("{origin}{root}")
    } else {
        root.to_string()
    }
}

fn with_fields(mut query: QidoQuery, fields: &[Tag]) -> QidoQuery {
    for tag in fields {
        query = query.include_field(json::tag_key(*tag));
    }
    query
}

pub async fn search_studies(root: &str, search: &StudySearch) -> Result<StudyPage, LoadError> {
    let answer = client(root)
        .search_studies(&study_search_query(search))
        .await?;
    let mut studies = study_rows(&answer);
    let has_more = studies.len() > STUDY_PAGE;
    studies.truncate(STUDY_PAGE);
    sort_newest_first(&mut studies);
    Ok(StudyPage {
        studies,
        offset: search.offset,
        has_more,
    })
}

pub async fn study(
    root: &str,
    study_instance_uid: &str,
) -> Result<Option<StudySummary>, LoadError> {
    let query = with_fields(
        QidoQuery::new().study_instance_uid(study_instance_uid),
        STUDY_FIELDS,
    );
    let answer = client(root).search_studies(&query).await?;
    Ok(study_rows(&answer)
        .into_iter()
        .find(|s| s.study_instance_uid == study_instance_uid))
}

pub async fn series(root: &str, study_instance_uid: &str) -> Result<Vec<SeriesSummary>, LoadError> {
    let query = with_fields(QidoQuery::new(), SERIES_FIELDS);
    let answer = client(root)
        .search_series(Some(study_instance_uid), &query)
        .await?;
    let mut rows: Vec<SeriesSummary> = answer.iter().map(series_row).collect();
    sort_by_series_number(&mut rows);
    Ok(rows)
}

/// Numbered series first, by Series Number; then unnumbered ones in archive order (the sort is stable).
pub(crate) fn sort_by_series_number(rows: &mut [SeriesSummary]) {
    rows.sort_by(|a, b| {
        a.series_number
            .is_none()
            .cmp(&b.series_number.is_none())
            .then(a.series_number.cmp(&b.series_number))
    });
}

/// `value` matching everything that starts with it: a `*` is added unless the reader wrote a wildcard already.
fn prefix(value: &str) -> String {
    let value = value.trim();
    if value.contains(['*', '?']) {
        value.to_string()
    } else {
        format!("{value}*")
    }
}

/// The study search: the fields the list shows, one page (plus one, to know whether more exist), fuzzy matching
/// on the Patient Name prefix, prefix matching on Patient ID and Accession Number, the date range and modality.
fn study_search_query(search: &StudySearch) -> QidoQuery {
    let mut query = with_fields(QidoQuery::new(), STUDY_FIELDS).limit(STUDY_PAGE as u32 + 1);
    if search.offset > 0 {
        query = query.offset(search.offset as u32);
    }
    if !search.patient_name.trim().is_empty() {
        // PS3.18 8.3.4.1: `*` matches any sequence; fuzzymatching lets the archive ignore case and accents.
        query = query
            .fuzzy_matching(true)
            .patient_name(prefix(&search.patient_name));
    }
    if !search.patient_id.trim().is_empty() {
        query = query.patient_id(prefix(&search.patient_id));
    }
    if !search.accession_number.trim().is_empty() {
        query = query.accession_number(prefix(&search.accession_number));
    }
    if !(search.date_from.is_empty() && search.date_to.is_empty()) {
        let open = |d: &str| (!d.is_empty()).then(|| d.to_string());
        query = query.study_date_range(
            open(&search.date_from).as_deref(),
            open(&search.date_to).as_deref(),
        );
    }
    if !search.modality.trim().is_empty() {
        query = query.modalities_in_study(search.modality.trim());
    }
    query
}

fn study_rows(answer: &[Value]) -> Vec<StudySummary> {
    answer
        .iter()
        .map(study_row)
        .filter(|s| !s.study_instance_uid.is_empty())
        .collect()
}

pub(crate) fn study_row(ds: &Value) -> StudySummary {
    StudySummary {
        study_instance_uid: text(ds, tags::STUDY_INSTANCE_UID),
        patient_name: person_name(ds, tags::PATIENT_NAME),
        patient_id: text(ds, tags::PATIENT_ID),
        study_date: text(ds, tags::STUDY_DATE),
        study_time: text(ds, tags::STUDY_TIME),
        modalities: json::strings(ds, tags::MODALITIES_IN_STUDY)
            .into_iter()
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect(),
        description: text(ds, tags::STUDY_DESCRIPTION),
        accession_number: text(ds, tags::ACCESSION_NUMBER),
        number_of_series: count(ds, tags::NUMBER_OF_STUDY_RELATED_SERIES),
        number_of_instances: count(ds, tags::NUMBER_OF_STUDY_RELATED_INSTANCES),
    }
}

pub(crate) fn series_row(ds: &Value) -> SeriesSummary {
    SeriesSummary {
        series_instance_uid: text(ds, tags::SERIES_INSTANCE_UID),
        series_number: json::integer(ds, tags::SERIES_NUMBER),
        modality: text(ds, tags::MODALITY),
        description: text(ds, tags::SERIES_DESCRIPTION),
        body_part: text(ds, tags::BODY_PART_EXAMINED),
        number_of_instances: count(ds, tags::NUMBER_OF_SERIES_RELATED_INSTANCES),
    }
}

fn sort_newest_first(studies: &mut [StudySummary]) {
    studies.sort_by(|a, b| {
        let undated = |s: &StudySummary| s.study_date.trim().is_empty();
        undated(a).cmp(&undated(b)).then_with(|| {
            (b.study_date.trim(), b.study_time.trim())
                .cmp(&(a.study_date.trim(), a.study_time.trim()))
        })
    });
}

/// The first value of `tag` as trimmed text, or empty.
fn text(ds: &Value, tag: Tag) -> String {
    json::string(ds, tag)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// A count attribute (IS): a non-negative whole number, else nothing.
fn count(ds: &Value, tag: Tag) -> Option<u32> {
    let n = json::number(ds, tag)?;
    (n.fract() == 0.0 && n >= 0.0 && n <= f64::from(u32::MAX)).then_some(n as u32)
}

/// A Person Name (PN) value: its Alphabetic group, else Ideographic, else Phonetic (PS3.18 F.2.2); a bare string
/// (sent by some archives) as it is.
fn person_name(ds: &Value, tag: Tag) -> String {
    ["Alphabetic", "Ideographic", "Phonetic"]
        .iter()
        .find_map(|group| {
            json::person_name_group(ds, tag, group)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
        .or_else(|| {
            json::values(ds, tag)
                .first()
                .and_then(Value::as_str)
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn study_json() -> Vec<Value> {
        vec![json!({
            "0020000D": {"vr": "UI", "Value": ["1.2.826.0.1.3680043.10.1"]},
            "00100010": {"vr": "PN", "Value": [{"Alphabetic": "PHANTOM^CHEST"}]},
            "00100020": {"vr": "LO", "Value": ["LUMEN-001"]},
            "00080020": {"vr": "DA", "Value": ["20240131"]},
            "00080061": {"vr": "CS", "Value": ["CT", "SR"]},
            "00081030": {"vr": "LO", "Value": ["CT CHEST W/O CONTRAST"]},
            "00201206": {"vr": "IS", "Value": [2]},
            "00201208": {"vr": "IS", "Value": ["120"]},
            "00080050": {"vr": "SH"}
        })]
    }

    #[test]
    fn study_row_reads_each_listed_attribute() {
        let rows = study_rows(&study_json());
        assert_eq!(
            rows,
            vec![StudySummary {
                study_instance_uid: "1.2.826.0.1.3680043.10.1".into(),
                patient_name: "PHANTOM^CHEST".into(),
                patient_id: "LUMEN-001".into(),
                study_date: "20240131".into(),
                study_time: String::new(),
                modalities: vec!["CT".into(), "SR".into()],
                description: "CT CHEST W/O CONTRAST".into(),
                accession_number: String::new(),
                number_of_series: Some(2),
                number_of_instances: Some(120),
            }]
        );
    }

    #[test]
    fn study_without_uid_is_dropped() {
        let answer = vec![json!({"00100010": {"vr": "PN", "Value": [{"Alphabetic": "X"}]}})];
        assert_eq!(study_rows(&answer), vec![]);
    }

    #[test]
    fn person_name_falls_back_to_ideographic_group() {
        let ds = json!({"00100010": {"vr": "PN", "Value": [{"Ideographic": "山田^太郎"}]}});
        assert_eq!(person_name(&ds, tags::PATIENT_NAME), "山田^太郎");
    }

    #[test]
    fn negative_or_fractional_counts_are_left_empty() {
        let ds = json!({"0020000D": {"vr": "UI", "Value": ["1"]}, "00201206": {"vr": "IS", "Value": [-1]},
                        "00201208": {"vr": "IS", "Value": [2.5]}});
        let row = study_row(&ds);
        assert_eq!(
            (row.number_of_series, row.number_of_instances),
            (None, None)
        );
    }

    #[test]
    fn studies_sort_newest_first_with_undated_last() {
        let mk = |uid: &str, date: &str, time: &str| StudySummary {
            study_instance_uid: uid.into(),
            study_date: date.into(),
            study_time: time.into(),
            ..Default::default()
        };
        let mut s = vec![
            mk("a", "", ""),
            mk("b", "20200101", "0800"),
            mk("c", "20240101", ""),
            mk("d", "20200101", "1700"),
        ];
        sort_newest_first(&mut s);
        let order: Vec<&str> = s.iter().map(|s| s.study_instance_uid.as_str()).collect();
        assert_eq!(order, ["c", "d", "b", "a"]);
    }

    fn named(name: &str) -> StudySearch {
        StudySearch {
            patient_name: name.to_string(),
            ..Default::default()
        }
    }

    #[test]
    fn search_adds_wildcard_and_fuzzy_matching_only_with_a_name() {
        let all = study_search_query(&named("  "))
            .to_query_string()
            .expect("valid query");
        assert!(all.starts_with("includefield=00080020,00080030,"), "{all}");
        assert!(
            all.ends_with(&format!("&limit={}", STUDY_PAGE + 1)),
            "{all}"
        );
        assert!(
            !all.contains("PatientName")
                && !all.contains("fuzzymatching")
                && !all.contains("offset"),
            "{all}"
        );
        let doe = study_search_query(&named("doe "))
            .to_query_string()
            .expect("valid query");
        assert!(
            doe.starts_with("PatientName=doe*&") || doe.starts_with("PatientName=doe%2A&"),
            "{doe}"
        );
        assert!(doe.contains("&fuzzymatching=true"), "{doe}");
        let star = study_search_query(&named("DOE^J*"))
            .to_query_string()
            .expect("valid query");
        assert!(
            !star.contains("**") && !star.contains("%2A%2A"),
            "wildcard doubled: {star}"
        );
    }

    #[test]
    fn every_filter_becomes_its_qido_key_and_paging_an_offset() {
        let search = StudySearch {
            patient_id: "LUMEN-CT".into(),
            accession_number: "A1?".into(),
            date_from: "20240101".into(),
            date_to: String::new(),
            modality: "CT".into(),
            offset: 100,
            ..Default::default()
        };
        let q = study_search_query(&search)
            .to_query_string()
            .expect("valid query");
        for part in [
            "PatientID=LUMEN-CT*",
            "AccessionNumber=A1?",
            "StudyDate=20240101-",
            "ModalitiesInStudy=CT",
            "offset=100",
        ] {
            assert!(q.contains(part), "{part} missing from {q}");
        }
        assert!(!q.contains("fuzzymatching"), "{q}");
    }

    #[test]
    fn the_search_survives_the_address_bar() {
        let search = StudySearch {
            patient_name: "doe".into(),
            patient_id: "42".into(),
            accession_number: String::new(),
            date_from: "20240101".into(),
            date_to: "20241231".into(),
            modality: "MR".into(),
            offset: 50,
        };
        let params = search.to_params();
        let keys: Vec<&str> = params.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [
                "PatientName",
                "PatientID",
                "StudyDate",
                "ModalitiesInStudy",
                "offset"
            ]
        );
        let get = |key: &str| {
            params
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(StudySearch::from_params(get), search);
        assert!(search.is_filtered());
        assert!(!StudySearch {
            offset: 50,
            ..Default::default()
        }
        .is_filtered());
        // Malformed values are dropped, an odd offset is rounded down to a page.
        let odd = StudySearch::from_params(|key| match key {
            "StudyDate" => Some("2024-01-01".into()),
            "offset" => Some("73".into()),
            "ModalitiesInStudy" => Some("ct<script>".into()),
            _ => None,
        });
        assert_eq!((odd.date_from.as_str(), odd.date_to.as_str()), ("", ""));
        assert_eq!(odd.offset, 50);
        assert_eq!(odd.modality, "CTSCRIPT");
        let single =
            StudySearch::from_params(|key| (key == "StudyDate").then(|| "20240315".to_string()));
        assert_eq!(
            (single.date_from.as_str(), single.date_to.as_str()),
            ("20240315", "20240315")
        );
    }

    #[test]
    fn series_rows_sort_by_series_number_with_unnumbered_last() {
        let answer = [
            json!({"0020000E": {"vr": "UI", "Value": ["s3"]}}),
            json!({"0020000E": {"vr": "UI", "Value": ["s2"]}, "00200011": {"vr": "IS", "Value": [2]}}),
            json!({"0020000E": {"vr": "UI", "Value": ["s1"]}, "00200011": {"vr": "IS", "Value": ["1"]},
             "00080060": {"vr": "CS", "Value": ["CT"]}, "00201209": {"vr": "IS", "Value": [60]}}),
        ];
        let mut rows: Vec<SeriesSummary> = answer.iter().map(series_row).collect();
        sort_by_series_number(&mut rows);
        let order: Vec<&str> = rows
            .iter()
            .map(|s| s.series_instance_uid.as_str())
            .collect();
        assert_eq!(order, ["s1", "s2", "s3"]);
        assert_eq!(rows[0].number_of_instances, Some(60));
        assert_eq!(rows[0].modality, "CT");
    }
}
