//! The reader: Lumen's classification reports back into numbers the viewer can show.

use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{FileDicomObject, InMemDicomObject, OpenFileOptions};
use serde::{Deserialize, Serialize};
use snafu::ResultExt;

use crate::codes::{self, Code, Concept};
use crate::dicom::{code_of, items, text};
use crate::run::{same, ClassOutput, QcRuleFinding, MANUFACTURER};
use crate::{Error, ParseSnafu};

/// SR Storage SOP Classes that can carry a TID 1500 report (Basic Text, Enhanced, Comprehensive, Comprehensive 3D,
/// Extensible).
const SR_CLASSES: [&str; 5] = [
    "1.2.840.10008.5.1.4.1.1.88.11",
    "1.2.840.10008.5.1.4.1.1.88.22",
    "1.2.840.10008.5.1.4.1.1.88.33",
    "1.2.840.10008.5.1.4.1.1.88.34",
    "1.2.840.10008.5.1.4.1.1.88.35",
];

/// What a Lumen classification report says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SrSummary {
    /// The report's own SOP Instance UID and series.
    pub sr_sop_instance_uid: String,
    pub sr_series_instance_uid: String,
    pub study_instance_uid: String,
    /// Content Date and Time (DA, TM) as stored.
    pub content_date: String,
    pub content_time: String,
    /// Device Observer Name, Model Name, Serial Number and UID.
    pub model_id: String,
    pub model_name: String,
    pub model_version: String,
    pub device_observer_uid: String,
    /// The image the probabilities are about.
    pub source_sop_class_uid: String,
    pub source_sop_instance_uid: String,
    pub source_frame_number: Option<u32>,
    /// The reported Finding.
    pub finding: Option<Code>,
    /// One per label, in stored order (`display` is the code meaning).
    pub outputs: Vec<ClassOutput>,
    pub qc_rule_findings: Vec<QcRuleFinding>,
    /// `WebGPU`, `CPU`, `native`, when recorded.
    pub backend: Option<String>,
}

impl SrSummary {
    /// The probability stored for a label code (matched by scheme and value).
    pub fn probability(&self, code: &Code) -> Option<f32> {
        self.outputs
            .iter()
            .find(|o| same(&o.label_code, code))
            .map(|o| o.probability)
    }
}

/// Reads DICOM Part 10 bytes (with or without the 128-byte preamble). `Ok(None)` for anything that is not one of
/// Lumen's classification reports — another SOP Class, another template, another manufacturer's device — so a
/// viewer can pass every SR of a study; `Err` when the bytes are not DICOM, or when a report that names Lumen as
/// its device's manufacturer lacks what Lumen writes.
pub fn read_classification_sr(bytes: &[u8]) -> Result<Option<SrSummary>, Error> {
    let file = open_part10(bytes)?;
    let obj: &InMemDicomObject = &file;
    let sop_class = text(obj, tags::SOP_CLASS_UID).unwrap_or_default();
    if !SR_CLASSES.contains(&sop_class.as_str()) {
        return Ok(None);
    }
    if !code_of(obj, tags::CONCEPT_NAME_CODE_SEQUENCE)
        .is_some_and(|c| codes::IMAGING_MEASUREMENT_REPORT.is(&c))
    {
        return Ok(None);
    }
    let root = items(obj, tags::CONTENT_SEQUENCE);
    let manufacturer = find(root, &codes::DEVICE_OBSERVER_MANUFACTURER, "TEXT")
        .and_then(|i| text(i, tags::TEXT_VALUE));
    let model_id =
        find(root, &codes::DEVICE_OBSERVER_NAME, "TEXT").and_then(|i| text(i, tags::TEXT_VALUE));
    let (Some(MANUFACTURER), Some(model_id)) = (manufacturer.as_deref(), model_id) else {
        return Ok(None);
    };

    let sr_sop_instance_uid = text(obj, tags::SOP_INSTANCE_UID).unwrap_or_default();
    let malformed = |problem: &str| Error::Malformed {
        sop_instance_uid: sr_sop_instance_uid.clone(),
        problem: problem.into(),
    };
    let root_text = |c: &Concept| {
        find(root, c, "TEXT")
            .and_then(|i| text(i, tags::TEXT_VALUE))
            .unwrap_or_default()
    };

    let group = find(root, &codes::IMAGING_MEASUREMENTS, "CONTAINER")
        .and_then(|m| {
            find(
                items(m, tags::CONTENT_SEQUENCE),
                &codes::MEASUREMENT_GROUP,
                "CONTAINER",
            )
        })
        .ok_or_else(|| malformed("no Imaging Measurements > Measurement Group"))?;
    let group = items(group, tags::CONTENT_SEQUENCE);

    let image = find(group, &codes::SOURCE_OF_MEASUREMENT, "IMAGE")
        .or_else(|| library_image(root))
        .and_then(|i| items(i, tags::REFERENCED_SOP_SEQUENCE).first())
        .ok_or_else(|| malformed("no referenced source image"))?;
    let source_frame_number =
        match text(image, tags::REFERENCED_FRAME_NUMBER) {
            None => None,
            Some(f) => Some(f.parse::<u32>().map_err(|_| {
                malformed(&format!("referenced frame number {f:?} is not a number"))
            })?),
        };

    let mut outputs = Vec::new();
    let mut qc_rule_findings = Vec::new();
    for item in group {
        let concept = code_of(item, tags::CONCEPT_NAME_CODE_SEQUENCE);
        match (text(item, tags::VALUE_TYPE).as_deref(), concept) {
            (Some("NUM"), Some(label)) => {
                let is_probability = items(item, tags::CONTENT_SEQUENCE).iter().any(|m| {
                    code_of(m, tags::CONCEPT_NAME_CODE_SEQUENCE)
                        .is_some_and(|c| codes::MEASUREMENT_METHOD.is(&c))
                        && code_of(m, tags::CONCEPT_CODE_SEQUENCE)
                            .is_some_and(|c| codes::AI_PROBABILITY.is(&c))
                });
                if !is_probability {
                    continue;
                }
                let p = num_value(item).ok_or_else(|| {
                    malformed(&format!(
                        "the probability of {:?} has no numeric value",
                        label.value
                    ))
                })?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(malformed(&format!(
                        "the probability of {:?} is {p}, not in [0, 1]",
                        label.value
                    )));
                }
                outputs.push(ClassOutput {
                    display: label.meaning.clone(),
                    label_code: label,
                    probability: p,
                });
            }
            (Some("TEXT"), Some(c)) if codes::QUALITATIVE_EVALUATIONS.is(&c) => {
                let message = text(item, tags::TEXT_VALUE).unwrap_or_default();
                let Some(measured) = items(item, tags::CONTENT_SEQUENCE).iter().find(|m| {
                    text(m, tags::VALUE_TYPE).as_deref() == Some("NUM")
                        && code_of(m, tags::CONCEPT_NAME_CODE_SEQUENCE)
                            .is_some_and(|c| c.scheme == codes::LUMEN_SCHEME)
                }) else {
                    continue;
                };
                let rule = code_of(measured, tags::CONCEPT_NAME_CODE_SEQUENCE)
                    .map(|c| c.value)
                    .unwrap_or_default();
                let value = num_value(measured)
                    .ok_or_else(|| malformed(&format!("QC rule {rule:?} has no numeric value")))?;
                qc_rule_findings.push(QcRuleFinding {
                    rule,
                    message,
                    value,
                });
            }
            _ => {}
        }
    }
    if outputs.is_empty() {
        return Err(malformed("the measurement group holds no AI probabilities"));
    }

    Ok(Some(SrSummary {
        sr_series_instance_uid: text(obj, tags::SERIES_INSTANCE_UID).unwrap_or_default(),
        study_instance_uid: text(obj, tags::STUDY_INSTANCE_UID).unwrap_or_default(),
        content_date: text(obj, tags::CONTENT_DATE).unwrap_or_default(),
        content_time: text(obj, tags::CONTENT_TIME).unwrap_or_default(),
        model_name: root_text(&codes::DEVICE_OBSERVER_MODEL_NAME),
        model_version: root_text(&codes::DEVICE_OBSERVER_SERIAL_NUMBER),
        device_observer_uid: find(root, &codes::DEVICE_OBSERVER_UID, "UIDREF")
            .and_then(|i| text(i, tags::UID))
            .unwrap_or_default(),
        source_sop_class_uid: text(image, tags::REFERENCED_SOP_CLASS_UID).unwrap_or_default(),
        source_sop_instance_uid: text(image, tags::REFERENCED_SOP_INSTANCE_UID)
            .ok_or_else(|| malformed("the source image reference has no SOP Instance UID"))?,
        source_frame_number,
        finding: find(group, &codes::FINDING, "CODE")
            .and_then(|i| code_of(i, tags::CONCEPT_CODE_SEQUENCE)),
        backend: find(group, &codes::INFERENCE_BACKEND, "TEXT")
            .and_then(|i| text(i, tags::TEXT_VALUE)),
        model_id,
        outputs,
        qc_rule_findings,
        sr_sop_instance_uid,
    }))
}

/// Parses Part 10 bytes, with or without the 128-byte preamble.
pub(crate) fn open_part10(bytes: &[u8]) -> Result<FileDicomObject<InMemDicomObject>, Error> {
    let preamble = if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        ReadPreamble::Always
    } else {
        ReadPreamble::Never
    };
    OpenFileOptions::new()
        .read_preamble(preamble)
        .from_reader(bytes)
        .context(ParseSnafu)
}

/// The first content item of `value_type` named `concept`.
fn find<'a>(
    content: &'a [InMemDicomObject],
    concept: &Concept,
    value_type: &str,
) -> Option<&'a InMemDicomObject> {
    content.iter().find(|i| {
        text(i, tags::VALUE_TYPE).as_deref() == Some(value_type)
            && code_of(i, tags::CONCEPT_NAME_CODE_SEQUENCE).is_some_and(|c| concept.is(&c))
    })
}

/// The first IMAGE of the Image Library (any group).
fn library_image(root: &[InMemDicomObject]) -> Option<&InMemDicomObject> {
    let library = find(root, &codes::IMAGE_LIBRARY, "CONTAINER")?;
    items(library, tags::CONTENT_SEQUENCE)
        .iter()
        .flat_map(|g| std::iter::once(g).chain(items(g, tags::CONTENT_SEQUENCE)))
        .find(|i| text(i, tags::VALUE_TYPE).as_deref() == Some("IMAGE"))
}

/// A NUM's value: the Floating Point Value when present (other writers), else the Numeric Value (DS, which
/// Lumen writes as the f32's shortest exact text); `None` when absent or not a finite number.
fn num_value(item: &InMemDicomObject) -> Option<f32> {
    let measured = items(item, tags::MEASURED_VALUE_SEQUENCE).first()?;
    let v = match measured
        .get(tags::FLOATING_POINT_VALUE)
        .and_then(|e| e.to_float64().ok())
    {
        Some(v) => v as f32,
        None => text(measured, tags::NUMERIC_VALUE)?
            .trim()
            .parse::<f32>()
            .ok()?,
    };
    v.is_finite().then_some(v)
}
