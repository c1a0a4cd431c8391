//! The image a model looked at, and the patient and study the report belongs to; for a segmentation, the
//! slices and their geometry.

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codes::Code;
use crate::dicom::{code_of, text};
use crate::uid::check_uid;
use crate::{Error, InvalidInputSnafu, MetadataSnafu};

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

/// One slice a segmentation model labelled: the image, and the geometry the segmentation's frames copy (PS3.3
/// C.7.6.2 Image Plane module). Positions and spacings are in millimetres, in the Frame of Reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceSlice {
    /// The slice's image (its `frame_number` is the frame of a multi-frame source, `None` for a single-frame one).
    pub image: SourceImage,
    pub rows: u16,
    pub columns: u16,
    /// Image Position (Patient): the centre of the first transmitted pixel.
    pub image_position: [f64; 3],
    /// Image Orientation (Patient): direction cosines of the first row, then of the first column.
    pub image_orientation: [f64; 6],
    /// Pixel Spacing: between rows, then between columns.
    pub pixel_spacing: [f64; 2],
    /// Slice Thickness, when the source has it.
    pub slice_thickness: Option<f64>,
    pub frame_of_reference_uid: String,
}

impl SourceSlice {
    /// From one single-frame instance's DICOM JSON (as [`SourceImage::from_dicom_json`]); Rows, Columns, Image
    /// Position and Orientation (Patient), Pixel Spacing and the Frame of Reference UID are required.
    pub fn from_dicom_json(metadata: &Value) -> Result<Self, Error> {
        let image = SourceImage::from_dicom_json(metadata, None)?;
        let instance = match metadata {
            Value::Array(list) => &list[0],
            other => other,
        };
        let attr = |tag: Tag| -> Option<&Value> {
            let key = format!("{:04X}{:04X}", tag.group(), tag.element());
            instance.as_object().and_then(|map| {
                map.get(&key).or_else(|| {
                    map.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(&key))
                        .map(|(_, v)| v)
                })
            })
        };
        build_slice(
            image,
            |tag| attr(tag).and_then(json_numbers),
            |tag| attr(tag).and_then(json_first_string),
        )
    }

    /// From the slice's data set (natively).
    pub fn from_dicom(obj: &InMemDicomObject) -> Result<Self, Error> {
        let image = SourceImage::from_dicom(obj, None)?;
        build_slice(
            image,
            |tag| {
                let v = obj.get(tag)?.to_multi_float64().ok()?;
                (!v.is_empty()).then_some(v)
            },
            |tag| text(obj, tag),
        )
    }

    /// The unit normal of the slice's plane (row direction × column direction).
    pub(crate) fn normal(&self) -> [f64; 3] {
        let o = &self.image_orientation;
        [
            o[1] * o[5] - o[2] * o[4],
            o[2] * o[3] - o[0] * o[5],
            o[0] * o[4] - o[1] * o[3],
        ]
    }

    /// What a segmentation needs of one slice: valid UIDs, a non-empty image, finite geometry, unit and
    /// orthogonal direction cosines, positive spacings.
    pub(crate) fn validate(&self, what: &str) -> Result<(), Error> {
        let img = &self.image;
        check_uid("Study Instance UID", &img.study_instance_uid)?;
        check_uid("source Series Instance UID", &img.series_instance_uid)?;
        check_uid("source SOP Class UID", &img.sop_class_uid)?;
        check_uid("source SOP Instance UID", &img.sop_instance_uid)?;
        check_uid("Frame of Reference UID", &self.frame_of_reference_uid)?;
        let bad = |problem: String| InvalidInputSnafu {
            what: what.to_string(),
            problem,
        };
        snafu::ensure!(
            img.frame_number != Some(0),
            bad("frames are numbered from 1".into())
        );
        snafu::ensure!(
            self.rows > 0 && self.columns > 0,
            bad(format!("{} rows × {} columns", self.rows, self.columns))
        );
        let all = self
            .image_position
            .iter()
            .chain(&self.image_orientation)
            .chain(&self.pixel_spacing)
            .chain(&self.slice_thickness);
        snafu::ensure!(
            all.into_iter().all(|v| v.is_finite()),
            bad("the geometry holds a value that is not a finite number".into())
        );
        snafu::ensure!(
            self.pixel_spacing.iter().all(|&v| v > 0.0)
                && self.slice_thickness.is_none_or(|t| t >= 0.0),
            bad(format!(
                "pixel spacing {:?} or slice thickness {:?} is not positive",
                self.pixel_spacing, self.slice_thickness
            ))
        );
        let o = &self.image_orientation;
        let dot = |a: &[f64], b: &[f64]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        let (row, col) = (&o[..3], &o[3..]);
        snafu::ensure!(
            (dot(row, row) - 1.0).abs() < 1e-3
                && (dot(col, col) - 1.0).abs() < 1e-3
                && dot(row, col).abs() < 1e-3,
            bad(format!(
                "Image Orientation (Patient) {o:?} is not two orthogonal unit vectors"
            ))
        );
        Ok(())
    }
}

fn build_slice(
    image: SourceImage,
    numbers: impl Fn(Tag) -> Option<Vec<f64>>,
    string: impl Fn(Tag) -> Option<String>,
) -> Result<SourceSlice, Error> {
    let missing = |tag: Tag, name: &str, n: usize| {
        MetadataSnafu {
            problem: format!(
                "no {name} ({:04X},{:04X}) of {n} number{}",
                tag.group(),
                tag.element(),
                if n == 1 { "" } else { "s" }
            ),
        }
        .build()
    };
    let fixed = |tag: Tag, name: &str, n: usize| -> Result<Vec<f64>, Error> {
        numbers(tag)
            .filter(|v| v.len() == n)
            .ok_or_else(|| missing(tag, name, n))
    };
    let dim = |tag: Tag, name: &str| -> Result<u16, Error> {
        let v = fixed(tag, name, 1)?[0];
        if v >= 1.0 && v <= f64::from(u16::MAX) && v.fract() == 0.0 {
            Ok(v as u16)
        } else {
            MetadataSnafu {
                problem: format!("{name} is {v}"),
            }
            .fail()
        }
    };
    let position = fixed(tags::IMAGE_POSITION_PATIENT, "Image Position (Patient)", 3)?;
    let orientation = fixed(
        tags::IMAGE_ORIENTATION_PATIENT,
        "Image Orientation (Patient)",
        6,
    )?;
    let spacing = fixed(tags::PIXEL_SPACING, "Pixel Spacing", 2)?;
    let frame_of_reference_uid = string(tags::FRAME_OF_REFERENCE_UID).ok_or_else(|| {
        MetadataSnafu {
            problem: "no Frame of Reference UID (0020,0052)",
        }
        .build()
    })?;
    Ok(SourceSlice {
        rows: dim(tags::ROWS, "Rows")?,
        columns: dim(tags::COLUMNS, "Columns")?,
        image_position: [position[0], position[1], position[2]],
        image_orientation: [
            orientation[0],
            orientation[1],
            orientation[2],
            orientation[3],
            orientation[4],
            orientation[5],
        ],
        pixel_spacing: [spacing[0], spacing[1]],
        slice_thickness: numbers(tags::SLICE_THICKNESS).and_then(|v| v.first().copied()),
        frame_of_reference_uid,
        image,
    })
}

/// All values of a numeric DICOM JSON attribute (DS and IS may come as numbers or as strings).
fn json_numbers(attr: &Value) -> Option<Vec<f64>> {
    let values = attr.get("Value")?.as_array()?;
    let v: Option<Vec<f64>> = values
        .iter()
        .map(|v| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .collect();
    v.filter(|v| !v.is_empty())
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

    #[test]
    fn a_slice_from_dicom_json_and_from_a_data_set_agree() {
        use dicom_core::value::C;
        use dicom_core::{DataElement, PrimitiveValue, VR};
        let meta = json!({
            "0020000D": {"vr": "UI", "Value": ["1.2.3"]},
            "0020000E": {"vr": "UI", "Value": ["1.2.3.4"]},
            "00080016": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]},
            "00080018": {"vr": "UI", "Value": ["1.2.3.4.5"]},
            "00200052": {"vr": "UI", "Value": ["1.2.3.9"]},
            "00280010": {"vr": "US", "Value": [512]},
            "00280011": {"vr": "US", "Value": [256]},
            "00200032": {"vr": "DS", "Value": ["-125.5", -99, 12.25]},
            "00200037": {"vr": "DS", "Value": [1, 0, 0, 0, 0, -1]},
            "00280030": {"vr": "DS", "Value": [0.5, 0.75]},
            "00180050": {"vr": "DS", "Value": ["1.25"]}
        });
        let from_json = SourceSlice::from_dicom_json(&meta).unwrap();
        assert_eq!((from_json.rows, from_json.columns), (512, 256));
        assert_eq!(from_json.image_position, [-125.5, -99.0, 12.25]);
        assert_eq!(from_json.normal(), [0.0, 1.0, 0.0], "a coronal slice");
        assert_eq!(from_json.slice_thickness, Some(1.25));
        let s = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
        let strs = |tag, v: &[&str]| {
            DataElement::new(
                tag,
                VR::DS,
                PrimitiveValue::Strs(v.iter().map(|x| x.to_string()).collect::<C<_>>()),
            )
        };
        let obj = InMemDicomObject::from_element_iter([
            s(tags::STUDY_INSTANCE_UID, VR::UI, "1.2.3"),
            s(tags::SERIES_INSTANCE_UID, VR::UI, "1.2.3.4"),
            s(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.2"),
            s(tags::SOP_INSTANCE_UID, VR::UI, "1.2.3.4.5"),
            s(tags::FRAME_OF_REFERENCE_UID, VR::UI, "1.2.3.9"),
            DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(512u16)),
            DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(256u16)),
            strs(tags::IMAGE_POSITION_PATIENT, &["-125.5", "-99", "12.25"]),
            strs(
                tags::IMAGE_ORIENTATION_PATIENT,
                &["1", "0", "0", "0", "0", "-1"],
            ),
            strs(tags::PIXEL_SPACING, &["0.5", "0.75"]),
            strs(tags::SLICE_THICKNESS, &["1.25"]),
        ]);
        assert_eq!(SourceSlice::from_dicom(&obj).unwrap(), from_json);
        let mut bad = meta.clone();
        bad["00280010"] = json!({"vr": "US", "Value": [0]});
        let err = SourceSlice::from_dicom_json(&bad).unwrap_err().to_string();
        assert!(err.contains("Rows is 0"), "{err}");
    }
}
