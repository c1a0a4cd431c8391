//! The image a model looked at, and the patient and study the report belongs to.

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codes::Code;
use crate::dicom::{code_of, text};
use crate::{Error, MetadataSnafu};

/// Patient and General Study module attributes, copied unchanged into the report so that it files under the
/// same patient and study. Empty strings are written as empty type 2 attributes. The Study Instance UID is in
/// [`SourceImage`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientStudy {
    /// PN, all component groups (`Alphabetic=Ideographic=Phonetic`).
    pub patient_name: String,
    pub patient_id: String,
    /// DA (`YYYYMMDD`).
    pub patient_birth_date: String,
    /// `M`, `F`, `O` or empty.
    pub patient_sex: String,
    /// DA.
    pub study_date: String,
    /// TM.
    pub study_time: String,
    /// PN.
    pub referring_physician_name: String,
    pub study_id: String,
    pub accession_number: String,
}

/// The image the model classified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceImage {
    /// The report goes into this study.
    pub study_instance_uid: String,
    pub series_instance_uid: String,
    pub sop_class_uid: String,
    pub sop_instance_uid: String,
    /// The frame (from 1) of a multi-frame image; `None` for a single-frame image.
    pub frame_number: Option<u32>,
    /// The source's Modality (for the Image Library), when known.
    pub modality: Option<String>,
    /// The first item of the source's Procedure Code Sequence: the report's "Procedure reported".
    pub procedure: Option<Code>,
    pub patient: PatientStudy,
}

impl SourceImage {
    /// From one instance's DICOM JSON (PS3.18 F.2, as WADO-RS `/metadata` gives it; an array's first instance is
    /// taken). Only the four UIDs are required; every other attribute may be missing.
    pub fn from_dicom_json(metadata: &Value, frame_number: Option<u32>) -> Result<Self, Error> {
        let instance = match metadata {
            Value::Array(list) => list.first().ok_or_else(|| {
                MetadataSnafu {
                    problem: "the metadata array is empty",
                }
                .build()
            })?,
            other => other,
        };
        let Value::Object(map) = instance else {
            return MetadataSnafu {
                problem: format!("expected a DICOM JSON object, found {}", kind(instance)),
            }
            .fail();
        };
        let attr = |tag: Tag| -> Option<&Value> {
            let key = format!("{:04X}{:04X}", tag.group(), tag.element());
            map.get(&key).or_else(|| {
                map.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&key))
                    .map(|(_, v)| v)
            })
        };
        let get = |tag: Tag| attr(tag).and_then(json_first_string);
        let procedure = attr(tags::PROCEDURE_CODE_SEQUENCE)
            .and_then(|a| a.get("Value")?.as_array()?.first()?.as_object().cloned())
            .and_then(|item| {
                let v = |t: Tag| {
                    let key = format!("{:04X}{:04X}", t.group(), t.element());
                    item.get(&key).and_then(json_first_string)
                };
                Some(Code {
                    value: v(tags::CODE_VALUE).or_else(|| v(tags::LONG_CODE_VALUE))?,
                    scheme: v(tags::CODING_SCHEME_DESIGNATOR)?,
                    meaning: v(tags::CODE_MEANING)?,
                })
            });
        build(get, procedure, frame_number)
    }

    /// From the source image's data set (natively, e.g. a file `lumen ai` classified).
    pub fn from_dicom(obj: &InMemDicomObject, frame_number: Option<u32>) -> Result<Self, Error> {
        let procedure = code_of(obj, tags::PROCEDURE_CODE_SEQUENCE)
            .filter(|c| !c.scheme.is_empty() && !c.meaning.is_empty());
        build(|tag| text(obj, tag), procedure, frame_number)
    }
}

fn build(
    get: impl Fn(Tag) -> Option<String>,
    procedure: Option<Code>,
    frame_number: Option<u32>,
) -> Result<SourceImage, Error> {
    let required = |tag: Tag, name: &str| {
        get(tag).ok_or_else(|| {
            MetadataSnafu {
                problem: format!("no {name} ({:04X},{:04X})", tag.group(), tag.element()),
            }
            .build()
        })
    };
    let opt = |tag: Tag| get(tag).unwrap_or_default();
    Ok(SourceImage {
        study_instance_uid: required(tags::STUDY_INSTANCE_UID, "Study Instance UID")?,
        series_instance_uid: required(tags::SERIES_INSTANCE_UID, "Series Instance UID")?,
        sop_class_uid: required(tags::SOP_CLASS_UID, "SOP Class UID")?,
        sop_instance_uid: required(tags::SOP_INSTANCE_UID, "SOP Instance UID")?,
        frame_number,
        modality: get(tags::MODALITY),
        procedure,
        patient: PatientStudy {
            patient_name: opt(tags::PATIENT_NAME),
            patient_id: opt(tags::PATIENT_ID),
            patient_birth_date: opt(tags::PATIENT_BIRTH_DATE),
            patient_sex: opt(tags::PATIENT_SEX),
            study_date: opt(tags::STUDY_DATE),
            study_time: opt(tags::STUDY_TIME),
            referring_physician_name: opt(tags::REFERRING_PHYSICIAN_NAME),
            study_id: opt(tags::STUDY_ID),
            accession_number: opt(tags::ACCESSION_NUMBER),
        },
    })
}

/// The first value of a DICOM JSON attribute as text: strings, numbers, and person names (`Alphabetic`,
/// `Ideographic`, `Phonetic` joined with `=`).
fn json_first_string(attr: &Value) -> Option<String> {
    let first = attr.get("Value")?.as_array()?.first()?;
    let s = match first {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Object(pn) => {
            let groups: Vec<&str> = ["Alphabetic", "Ideographic", "Phonetic"]
                .iter()
                .map(|k| pn.get(*k).and_then(Value::as_str).unwrap_or(""))
                .collect();
            groups.join("=").trim_end_matches('=').to_string()
        }
        _ => return None,
    };
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dicom_json_with_everything() {
        let meta = json!([{
            "0020000D": {"vr": "UI", "Value": ["1.2.3"]},
            "0020000E": {"vr": "UI", "Value": ["1.2.3.4"]},
            "00080016": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.1.1"]},
            "00080018": {"vr": "UI", "Value": ["1.2.3.4.5"]},
            "00080060": {"vr": "CS", "Value": ["DX"]},
            "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎"}]},
            "00100020": {"vr": "LO", "Value": ["P1"]},
            "00200010": {"vr": "SH", "Value": ["42"]},
            "00081032": {"vr": "SQ", "Value": [{
                "00080100": {"vr": "SH", "Value": ["36643-5"]},
                "00080102": {"vr": "SH", "Value": ["LN"]},
                "00080104": {"vr": "LO", "Value": ["XR Chest 2V"]}
            }]}
        }]);
        let s = SourceImage::from_dicom_json(&meta, Some(2)).unwrap();
        assert_eq!(s.sop_instance_uid, "1.2.3.4.5");
        assert_eq!(s.frame_number, Some(2));
        assert_eq!(s.modality.as_deref(), Some("DX"));
        assert_eq!(s.patient.patient_name, "Yamada^Tarou=山田^太郎");
        assert_eq!(s.patient.study_id, "42");
        assert_eq!(s.patient.accession_number, "");
        assert_eq!(s.procedure.unwrap().value, "36643-5");
    }

    #[test]
    fn missing_uids_are_named_and_other_attributes_are_optional() {
        let meta = json!({
            "0020000d": {"vr": "UI", "Value": ["1.2.3"]},
            "0020000E": {"vr": "UI", "Value": ["1.2.3.4"]},
            "00080016": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.1.1"]},
            "00100010": {"vr": "PN"}
        });
        let err = SourceImage::from_dicom_json(&meta, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("SOP Instance UID (0008,0018)"), "{err}");
        let mut ok = meta.clone();
        ok["00080018"] = json!({"vr": "UI", "Value": ["9.8"]});
        let s = SourceImage::from_dicom_json(&ok, None).unwrap();
        assert_eq!(
            s.study_instance_uid, "1.2.3",
            "lower-case hex keys are accepted"
        );
        assert_eq!(s.patient, PatientStudy::default());
        assert_eq!(s.modality, None);
        for bad in [json!([]), json!("x"), json!(null)] {
            assert!(SourceImage::from_dicom_json(&bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_native_data_set_gives_the_same_source() {
        use dicom_core::value::DataSetSequence;
        use dicom_core::{DataElement, PrimitiveValue, VR};
        let s = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
        let procedure = InMemDicomObject::from_element_iter([
            s(tags::CODE_VALUE, VR::SH, "36643-5"),
            s(tags::CODING_SCHEME_DESIGNATOR, VR::SH, "LN"),
            s(tags::CODE_MEANING, VR::LO, "XR Chest 2V"),
        ]);
        let obj = InMemDicomObject::from_element_iter([
            s(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.1.1"),
            s(tags::SOP_INSTANCE_UID, VR::UI, "1.2.3.4.5"),
            s(tags::STUDY_INSTANCE_UID, VR::UI, "1.2.3"),
            s(tags::SERIES_INSTANCE_UID, VR::UI, "1.2.3.4"),
            s(tags::MODALITY, VR::CS, "CR"),
            s(tags::PATIENT_NAME, VR::PN, "Doe^Jane "),
            s(tags::PATIENT_SEX, VR::CS, "F"),
            DataElement::new(
                tags::PROCEDURE_CODE_SEQUENCE,
                VR::SQ,
                DataSetSequence::from(vec![procedure]),
            ),
        ]);
        let src = SourceImage::from_dicom(&obj, None).unwrap();
        assert_eq!(src.sop_instance_uid, "1.2.3.4.5");
        assert_eq!(src.modality.as_deref(), Some("CR"));
        assert_eq!(
            src.patient.patient_name, "Doe^Jane",
            "DICOM padding is trimmed"
        );
        assert_eq!(src.patient.patient_sex, "F");
        assert_eq!(src.patient.study_date, "");
        assert_eq!(
            src.procedure.map(|c| (c.value, c.scheme)),
            Some(("36643-5".into(), "LN".into()))
        );
        let mut no_uid = obj.clone();
        no_uid.remove_element(tags::SERIES_INSTANCE_UID);
        let err = SourceImage::from_dicom(&no_uid, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Series Instance UID (0020,000E)"), "{err}");
    }
}
