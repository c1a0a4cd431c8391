//! QIDO-RS (PS3.18 10.6) searches for the study list and the series list, and the rows built from their DICOM JSON
//! answers (PS3.18 F.2).
//!
//! Each row keeps only what the pages show. A missing or malformed attribute becomes an empty cell, never an
//! error: archives routinely omit optional attributes, and one odd study must not hide the others. A response that
//! is not a JSON array of objects is an error. This module must not render anything.

use super::{http, LoadError};
use serde_json::Value;

/// The most studies one search returns. The page says when the limit was reached, so the user narrows the search
/// instead of believing the list is complete.
pub const STUDY_LIMIT: usize = 200;

/// Study-level attributes asked for with `includefield`, beyond the ones QIDO-RS returns by default (PS3.18
/// Table 10.6.3-3 lists Study Date, Accession Number, Modalities in Study, Patient Name, Patient ID, Study Instance
/// UID…, but not every archive honours it).
const STUDY_FIELDS: &[&str] = &[
    "00080020", // Study Date
    "00080030", // Study Time
    "00080050", // Accession Number
    "00080061", // Modalities in Study
    "00081030", // Study Description
    "00100010", // Patient Name
    "00100020", // Patient ID
    "0020000D", // Study Instance UID
    "00201206", // Number of Study Related Series
    "00201208", // Number of Study Related Instances
];

/// Series-level attributes asked for with `includefield`.
const SERIES_FIELDS: &[&str] = &[
    "00080060", // Modality
    "0008103E", // Series Description
    "00180015", // Body Part Examined
    "0020000E", // Series Instance UID
    "00200011", // Series Number
    "00201209", // Number of Series Related Instances
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
    /// Whether the archive returned [`STUDY_LIMIT`] studies, so more may exist.
    pub limit_reached: bool,
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

const DICOM_JSON: &str = "application/dicom+json";

pub async fn search_studies(root: &str, patient_name: &str) -> Result<StudyPage, LoadError> {
    let url = study_search_url(root, patient_name);
    let answer = http::get_json::<Value>(&url, DICOM_JSON).await?;
    let mut studies = study_rows(&url, &answer)?;
    let limit_reached = studies.len() >= STUDY_LIMIT;
    sort_newest_first(&mut studies);
    Ok(StudyPage { studies, limit_reached })
}

pub async fn study(root: &str, study_instance_uid: &str) -> Result<Option<StudySummary>, LoadError> {
    let url = format!(
        "{root}/studies?StudyInstanceUID={}&includefield={}",
        encode(study_instance_uid),
        STUDY_FIELDS.join(",")
    );
    let answer = http::get_json::<Value>(&url, DICOM_JSON).await?;
    Ok(study_rows(&url, &answer)?.into_iter().find(|s| s.study_instance_uid == study_instance_uid))
}

pub async fn series(root: &str, study_instance_uid: &str) -> Result<Vec<SeriesSummary>, LoadError> {
    let url = format!("{root}/studies/{}/series?includefield={}", encode(study_instance_uid), SERIES_FIELDS.join(","));
    let answer = http::get_json::<Value>(&url, DICOM_JSON).await?;
    let mut rows: Vec<SeriesSummary> = objects(&url, &answer)?.map(series_row).collect();
    sort_by_series_number(&mut rows);
    Ok(rows)
}

/// Numbered series first, by Series Number; then unnumbered ones in archive order (the sort is stable).
fn sort_by_series_number(rows: &mut [SeriesSummary]) {
    rows.sort_by(|a, b| {
        a.series_number.is_none().cmp(&b.series_number.is_none()).then(a.series_number.cmp(&b.series_number))
    });
}

/// The QIDO-RS study search URL: fuzzy matching on the Patient Name prefix, the fields the list shows, the limit.
fn study_search_url(root: &str, patient_name: &str) -> String {
    let mut url = format!("{root}/studies?limit={STUDY_LIMIT}&includefield={}", STUDY_FIELDS.join(","));
    let name = patient_name.trim();
    if !name.is_empty() {
        // PS3.18 8.3.4.1: `*` matches any sequence; fuzzymatching lets the archive ignore case and accents.
        let pattern = if name.ends_with('*') { name.to_string() } else { format!("{name}*") };
        url.push_str("&fuzzymatching=true&PatientName=");
        url.push_str(&encode(&pattern));
    }
    url
}

fn encode(s: &str) -> String {
    // RFC 3986 unreserved characters stay; everything else is percent-encoded (UTF-8), `*` included, which every
    // server decodes back to the wildcard.
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The objects of a QIDO-RS answer: a JSON array of DICOM JSON datasets (`null` from `204 No Content` is none).
fn objects<'a>(url: &str, answer: &'a Value) -> Result<impl Iterator<Item = &'a serde_json::Map<String, Value>>, LoadError> {
    let items: &[Value] = match answer {
        Value::Null => &[],
        Value::Array(items) => items,
        _ => {
            return Err(LoadError::BadJson { url: url.to_string(), message: "expected an array of datasets".into() })
        }
    };
    Ok(items.iter().filter_map(Value::as_object))
}

fn study_rows(url: &str, answer: &Value) -> Result<Vec<StudySummary>, LoadError> {
    Ok(objects(url, answer)?.map(study_row).filter(|s| !s.study_instance_uid.is_empty()).collect())
}

fn study_row(ds: &serde_json::Map<String, Value>) -> StudySummary {
    StudySummary {
        study_instance_uid: first_string(ds, "0020000D"),
        patient_name: person_name(ds, "00100010"),
        patient_id: first_string(ds, "00100020"),
        study_date: first_string(ds, "00080020"),
        study_time: first_string(ds, "00080030"),
        modalities: strings(ds, "00080061"),
        description: first_string(ds, "00081030"),
        accession_number: first_string(ds, "00080050"),
        number_of_series: first_number(ds, "00201206").and_then(|n| u32::try_from(n).ok()),
        number_of_instances: first_number(ds, "00201208").and_then(|n| u32::try_from(n).ok()),
    }
}

fn series_row(ds: &serde_json::Map<String, Value>) -> SeriesSummary {
    SeriesSummary {
        series_instance_uid: first_string(ds, "0020000E"),
        series_number: first_number(ds, "00200011"),
        modality: first_string(ds, "00080060"),
        description: first_string(ds, "0008103E"),
        body_part: first_string(ds, "00180015"),
        number_of_instances: first_number(ds, "00201209").and_then(|n| u32::try_from(n).ok()),
    }
}

fn sort_newest_first(studies: &mut [StudySummary]) {
    studies.sort_by(|a, b| {
        let undated = |s: &StudySummary| s.study_date.trim().is_empty();
        undated(a)
            .cmp(&undated(b))
            .then_with(|| (b.study_date.trim(), b.study_time.trim()).cmp(&(a.study_date.trim(), a.study_time.trim())))
    });
}

/// The `Value` array of attribute `tag` (8 upper-case hex digits), if present.
fn values<'a>(ds: &'a serde_json::Map<String, Value>, tag: &str) -> &'a [Value] {
    ds.get(tag).and_then(|a| a.get("Value")).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The string values of an attribute; numbers are written in decimal, anything else is skipped.
fn strings(ds: &serde_json::Map<String, Value>, tag: &str) -> Vec<String> {
    values(ds, tag)
        .iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|s| !s.is_empty())
        .collect()
}

fn first_string(ds: &serde_json::Map<String, Value>, tag: &str) -> String {
    strings(ds, tag).into_iter().next().unwrap_or_default()
}

/// The first value as an integer: a JSON number (IS/US/UL) or a string holding one (some archives send IS as text).
fn first_number(ds: &serde_json::Map<String, Value>, tag: &str) -> Option<i64> {
    match values(ds, tag).first()? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A Person Name (PN) value: its Alphabetic group, else Ideographic, else Phonetic (PS3.18 F.2.2).
fn person_name(ds: &serde_json::Map<String, Value>, tag: &str) -> String {
    let Some(pn) = values(ds, tag).first() else { return String::new() };
    if let Value::String(s) = pn {
        return s.trim().to_string();
    }
    ["Alphabetic", "Ideographic", "Phonetic"]
        .iter()
        .find_map(|group| pn.get(group).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()))
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn study_json() -> Value {
        json!([{
            "0020000D": {"vr": "UI", "Value": ["1.2.826.0.1.3680043.10.1"]},
            "00100010": {"vr": "PN", "Value": [{"Alphabetic": "PHANTOM^CHEST"}]},
            "00100020": {"vr": "LO", "Value": ["LUMEN-001"]},
            "00080020": {"vr": "DA", "Value": ["20240131"]},
            "00080061": {"vr": "CS", "Value": ["CT", "SR"]},
            "00081030": {"vr": "LO", "Value": ["CT CHEST W/O CONTRAST"]},
            "00201206": {"vr": "IS", "Value": [2]},
            "00201208": {"vr": "IS", "Value": ["120"]},
            "00080050": {"vr": "SH"}
        }])
    }

    #[test]
    fn study_row_reads_each_listed_attribute() {
        let rows = study_rows("u", &study_json()).expect("valid answer");
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
        let answer = json!([{"00100010": {"vr": "PN", "Value": [{"Alphabetic": "X"}]}}]);
        assert_eq!(study_rows("u", &answer).expect("valid answer"), vec![]);
    }

    #[test]
    fn no_content_answer_is_an_empty_list() {
        assert_eq!(study_rows("u", &Value::Null).expect("null is no match"), vec![]);
    }

    #[test]
    fn answer_that_is_not_an_array_is_an_error() {
        let err = study_rows("/dicom-web/studies", &json!({"error": "x"})).expect_err("object is not QIDO");
        assert_eq!(err.to_string(), "/dicom-web/studies did not return the expected JSON: expected an array of datasets");
    }

    #[test]
    fn person_name_falls_back_to_ideographic_group() {
        let ds = json!({"00100010": {"vr": "PN", "Value": [{"Ideographic": "山田^太郎"}]}});
        assert_eq!(person_name(ds.as_object().expect("object"), "00100010"), "山田^太郎");
    }

    #[test]
    fn negative_or_fractional_counts_are_left_empty() {
        let ds = json!({"0020000D": {"vr": "UI", "Value": ["1"]}, "00201206": {"vr": "IS", "Value": [-1]},
                        "00201208": {"vr": "IS", "Value": [2.5]}});
        let row = study_row(ds.as_object().expect("object"));
        assert_eq!((row.number_of_series, row.number_of_instances), (None, None));
    }

    #[test]
    fn studies_sort_newest_first_with_undated_last() {
        let mk = |uid: &str, date: &str, time: &str| StudySummary {
            study_instance_uid: uid.into(),
            study_date: date.into(),
            study_time: time.into(),
            ..Default::default()
        };
        let mut s = vec![mk("a", "", ""), mk("b", "20200101", "0800"), mk("c", "20240101", ""), mk("d", "20200101", "1700")];
        sort_newest_first(&mut s);
        let order: Vec<&str> = s.iter().map(|s| s.study_instance_uid.as_str()).collect();
        assert_eq!(order, ["c", "d", "b", "a"]);
    }

    #[test]
    fn search_url_adds_wildcard_and_fuzzy_matching_only_with_a_name() {
        let all = study_search_url("/dicom-web", "  ");
        assert!(all.starts_with("/dicom-web/studies?limit=200&includefield=00080020,"));
        assert!(!all.contains("PatientName"));
        let doe = study_search_url("/dicom-web", "doe ");
        assert!(doe.ends_with("&fuzzymatching=true&PatientName=doe%2A"), "{doe}");
        let caret = study_search_url("/dicom-web", "DOE^J*");
        assert!(caret.ends_with("PatientName=DOE%5EJ%2A"), "{caret}");
    }

    #[test]
    fn series_rows_sort_by_series_number_with_unnumbered_last() {
        let answer = json!([
            {"0020000E": {"vr": "UI", "Value": ["s3"]}},
            {"0020000E": {"vr": "UI", "Value": ["s2"]}, "00200011": {"vr": "IS", "Value": [2]}},
            {"0020000E": {"vr": "UI", "Value": ["s1"]}, "00200011": {"vr": "IS", "Value": ["1"]},
             "00080060": {"vr": "CS", "Value": ["CT"]}, "00201209": {"vr": "IS", "Value": [60]}}
        ]);
        let mut rows: Vec<SeriesSummary> = objects("u", &answer).expect("array").map(series_row).collect();
        sort_by_series_number(&mut rows);
        let order: Vec<&str> = rows.iter().map(|s| s.series_instance_uid.as_str()).collect();
        assert_eq!(order, ["s1", "s2", "s3"]);
        assert_eq!(rows[0].number_of_instances, Some(60));
        assert_eq!(rows[0].modality, "CT");
    }
}
