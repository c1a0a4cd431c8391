//! QIDO-RS query parameters (PS3.18 8.3.4): attribute matching keys (`PatientName=DOE*`, `00100020=123`),
//! `includefield`, `fuzzymatching`, `limit` and `offset`, parsed from the URL's key/value pairs into a [`Query`].
//!
//! It must not match anything itself (see `matching`) nor know HTTP beyond the parameter names.

use crate::error::{self, Result};
use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use snafu::OptionExt;

/// The level of a QIDO-RS search: what one result row describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// One row per study.
    Study,
    /// One row per series.
    Series,
    /// One row per instance.
    Instance,
}

/// Which attributes beyond the required ones a search returns (`includefield`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IncludeFields {
    /// Only the required return attributes and the matched ones.
    #[default]
    Required,
    /// `includefield=all`: every attribute the store knows at the level.
    All,
    /// These additional attributes.
    Tags(Vec<Tag>),
}

/// A parsed QIDO-RS search.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Attribute matching keys, in request order: (attribute tag, raw key value).
    pub keys: Vec<(Tag, String)>,
    /// Extra attributes to return.
    pub include: IncludeFields,
    /// `fuzzymatching=true`: Person Names match on name-component prefixes, ignoring case and accents.
    pub fuzzy: bool,
    /// Largest number of results to return (`limit`); `None` returns all.
    pub limit: Option<usize>,
    /// Number of leading results to skip (`offset`).
    pub offset: usize,
    /// Restricts the search to one study (from the path, e.g. `/studies/{study}/series`).
    pub study_uid: Option<String>,
    /// Restricts the search to one series (from the path).
    pub series_uid: Option<String>,
    /// Base URL of the DICOMweb service (e.g. `http://127.0.0.1:8080/dicom-web`), used to fill Retrieve URL
    /// (0008,1190); without it Retrieve URL is left out.
    pub retrieve_base: Option<String>,
}

impl Query {
    /// Parses QIDO-RS URL query parameters (already percent-decoded). Keys may be DICOM keywords
    /// (`StudyDate`) or tags in hexadecimal (`00080020`). An unknown key is an error rather than being ignored, so a
    /// typo never silently widens a search.
    pub fn from_params<K: AsRef<str>, V: AsRef<str>>(
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Query> {
        let mut q = Query::default();
        for (key, value) in params {
            let (key, value) = (key.as_ref().trim(), value.as_ref());
            match key.to_ascii_lowercase().as_str() {
                "includefield" => {
                    for field in value.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                        if field.eq_ignore_ascii_case("all") {
                            q.include = IncludeFields::All;
                        } else {
                            let tag = parse_attribute(field)?;
                            match &mut q.include {
                                IncludeFields::All => {}
                                IncludeFields::Required => {
                                    q.include = IncludeFields::Tags(vec![tag])
                                }
                                IncludeFields::Tags(t) => t.push(tag),
                            }
                        }
                    }
                }
                "fuzzymatching" => q.fuzzy = value.trim().eq_ignore_ascii_case("true"),
                "limit" => q.limit = Some(parse_number("limit", value)?),
                "offset" => q.offset = parse_number("offset", value)?,
                _ => q.keys.push((parse_attribute(key)?, value.to_string())),
            }
        }
        Ok(q)
    }
}

/// A DICOM keyword or hexadecimal tag (`PatientName`, `00100010`, `(0010,0010)`) as a tag.
pub fn parse_attribute(key: &str) -> Result<Tag> {
    if key.contains('.') {
        return error::UnsupportedQuerySnafu {
            key,
            reason: "matching on attributes inside sequences is not supported",
        }
        .fail();
    }
    StandardDataDictionary
        .parse_tag(key)
        .context(error::UnknownAttributeSnafu { key })
}

/// The Value Representation of an attribute from the standard dictionary (`UN` when unknown, e.g. private tags).
pub fn dictionary_vr(tag: Tag) -> VR {
    StandardDataDictionary
        .by_tag(tag)
        .map(|e| e.vr().relaxed())
        .unwrap_or(VR::UN)
}

fn parse_number(key: &'static str, value: &str) -> Result<usize> {
    value
        .trim()
        .parse()
        .ok()
        .context(error::InvalidNumberSnafu { key, value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_dictionary_std::tags;

    #[test]
    fn keywords_and_hex_tags_both_name_attributes() {
        let q = Query::from_params([("PatientName", "DOE*"), ("00100020", "123")]).unwrap();
        assert_eq!(
            q.keys,
            vec![
                (tags::PATIENT_NAME, "DOE*".to_string()),
                (tags::PATIENT_ID, "123".to_string())
            ]
        );
    }

    #[test]
    fn includefield_accepts_lists_repeats_and_all() {
        let q = Query::from_params([
            ("includefield", "StudyDescription,00080060"),
            ("includefield", "Rows"),
        ])
        .unwrap();
        assert_eq!(
            q.include,
            IncludeFields::Tags(vec![tags::STUDY_DESCRIPTION, tags::MODALITY, tags::ROWS])
        );
        let q = Query::from_params([("includefield", "all")]).unwrap();
        assert_eq!(q.include, IncludeFields::All);
    }

    #[test]
    fn paging_and_fuzzy_parameters() {
        let q = Query::from_params([("limit", "10"), ("offset", "20"), ("fuzzymatching", "true")])
            .unwrap();
        assert_eq!((q.limit, q.offset, q.fuzzy), (Some(10), 20, true));
    }

    #[test]
    fn unknown_keys_and_bad_numbers_are_errors_not_ignored() {
        let e = Query::from_params([("PatientNmae", "x")]).unwrap_err();
        assert!(e.to_string().contains("PatientNmae"), "{e}");
        assert!(Query::from_params([("limit", "-1")]).is_err());
        assert!(Query::from_params([("00400275.00400009", "x")]).is_err());
    }
}
