//! The writer: a TID 1500 Measurement Report for one classification run.

use dicom_core::VR;
use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::InMemDicomObject;
use snafu::{ensure, ResultExt};

use crate::codes::{self, Code, Concept};
use crate::dicom::{clean, code_item, has_non_ascii, put, put_seq};
use crate::uid::check_uid;
use crate::{
    ContentDateTime, EncodeSnafu, Error, InvalidInputSnafu, MetaSnafu, ModelRun, NewUids,
    SourceImage,
};

/// Enhanced SR Storage.
///
/// TID 1500 may be carried by Enhanced, Comprehensive or Comprehensive 3D SR. A classification report has no
/// spatial coordinates (so no SCOORD, let alone SCOORD3D) and no by-reference relationships, and Enhanced SR
/// permits every value type and relationship it does use (CONTAINER, CODE, TEXT, NUM, UIDREF, IMAGE; CONTAINS,
/// HAS OBS CONTEXT, HAS CONCEPT MOD, HAS ACQ CONTEXT, INFERRED FROM). It is the least demanding SOP Class that
/// holds the report, so the most archives and viewers accept it.
pub const ENHANCED_SR: &str = "1.2.840.10008.5.1.4.1.1.88.22";
/// Series Number of the new SR series (high, so the report sorts after the images).
pub const SR_SERIES_NUMBER: u32 = 9901;
pub(crate) const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
/// Lumen's Implementation Class UID (a random `2.25` UID, fixed once).
pub(crate) const IMPLEMENTATION_CLASS_UID: &str = "2.25.23194654682632941024995473539494313165";
pub(crate) const IMPLEMENTATION_VERSION_NAME: &str = concat!("LUMEN_", env!("CARGO_PKG_VERSION"));

/// Relationship of a content item to its parent.
#[derive(Clone, Copy)]
enum Rel {
    Contains,
    HasObsContext,
    HasConceptMod,
    HasAcqContext,
    InferredFrom,
}

impl Rel {
    fn as_str(self) -> &'static str {
        match self {
            Rel::Contains => "CONTAINS",
            Rel::HasObsContext => "HAS OBS CONTEXT",
            Rel::HasConceptMod => "HAS CONCEPT MOD",
            Rel::HasAcqContext => "HAS ACQ CONTEXT",
            Rel::InferredFrom => "INFERRED FROM",
        }
    }
}

enum Value {
    Container,
    Code(Code),
    Text(String),
    Uidref(String),
    Num(f32),
    Image,
}

/// A content item and its children.
struct Item {
    rel: Rel,
    concept: Option<Code>,
    value: Value,
    children: Vec<Item>,
}

impl Item {
    fn new(rel: Rel, concept: &Concept, value: Value) -> Self {
        Item {
            rel,
            concept: Some(concept.code()),
            value,
            children: Vec::new(),
        }
    }
    fn with(mut self, children: Vec<Item>) -> Self {
        self.children = children;
        self
    }
}

/// Writes the TID 1500 Measurement Report of one classification run on `source` (see the crate documentation
/// for the content tree) as DICOM Part 10 bytes, Explicit VR Little Endian. The character set is the default
/// repertoire when every value is ASCII (what every archive reads), else UTF-8 (ISO_IR 192).
///
/// The report is a new series (`uids.series`, Modality SR, Series Description `Lumen AI: <model name>`) in the
/// source's study, with the source's Patient and General Study attributes. Refuses invalid UIDs, probabilities
/// outside [0, 1], a finding that is not an output label, and a frame number of 0.
pub fn classification_sr(
    source: &SourceImage,
    run: &ModelRun,
    uids: &NewUids,
    content: &ContentDateTime,
) -> Result<Vec<u8>, Error> {
    check_uid("Study Instance UID", &source.study_instance_uid)?;
    check_uid("source Series Instance UID", &source.series_instance_uid)?;
    check_uid("source SOP Class UID", &source.sop_class_uid)?;
    check_uid("source SOP Instance UID", &source.sop_instance_uid)?;
    check_uid("new Series Instance UID", &uids.series)?;
    check_uid("new SOP Instance UID", &uids.instance)?;
    ensure!(
        uids.series != uids.instance && uids.series != source.series_instance_uid,
        InvalidInputSnafu {
            what: "new UIDs",
            problem: "the new series and instance UIDs must be new and distinct"
        }
    );
    ensure!(
        uids.instance.len() <= 62,
        InvalidInputSnafu {
            what: "new SOP Instance UID",
            problem: "longer than 62 characters (the Tracking UID appends \".1\")"
        }
    );
    ensure!(
        source.frame_number != Some(0),
        InvalidInputSnafu {
            what: "source frame number",
            problem: "frames are numbered from 1"
        }
    );
    run.validate()?;

    let mut obj = InMemDicomObject::new_empty();
    header(&mut obj, source, run, uids, content);
    let root = content_tree(source, run, uids);
    put(&mut obj, tags::VALUE_TYPE, VR::CS, "CONTAINER");
    put_seq(
        &mut obj,
        tags::CONCEPT_NAME_CODE_SEQUENCE,
        vec![code_item(&codes::IMAGING_MEASUREMENT_REPORT.code())],
    );
    put(&mut obj, tags::CONTINUITY_OF_CONTENT, VR::CS, "SEPARATE");
    let mut template = InMemDicomObject::new_empty();
    put(&mut template, tags::MAPPING_RESOURCE, VR::CS, "DCMR");
    put(&mut template, tags::TEMPLATE_IDENTIFIER, VR::CS, "1500");
    put_seq(&mut obj, tags::CONTENT_TEMPLATE_SEQUENCE, vec![template]);
    put_seq(
        &mut obj,
        tags::CONTENT_SEQUENCE,
        root.into_iter().map(|i| encode(&i, source)).collect(),
    );
    // The default repertoire when every value is ASCII (what every archive reads); else UTF-8.
    if has_non_ascii(&obj) {
        put(&mut obj, tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192");
    }

    part10(obj, ENHANCED_SR, &uids.instance)
}

/// Patient and General Study modules, copied from the source (malformed dates and times left empty).
pub(crate) fn put_patient_study(obj: &mut InMemDicomObject, source: &SourceImage) {
    let p = &source.patient;
    put(obj, tags::STUDY_DATE, VR::DA, &date_or_empty(&p.study_date));
    put(obj, tags::STUDY_TIME, VR::TM, &time_or_empty(&p.study_time));
    put(
        obj,
        tags::ACCESSION_NUMBER,
        VR::SH,
        &clean(&p.accession_number, 16),
    );
    put(
        obj,
        tags::REFERRING_PHYSICIAN_NAME,
        VR::PN,
        &clean(&p.referring_physician_name, 64 * 3 + 2),
    );
    put(
        obj,
        tags::PATIENT_NAME,
        VR::PN,
        &clean(&p.patient_name, 64 * 3 + 2),
    );
    put(obj, tags::PATIENT_ID, VR::LO, &clean(&p.patient_id, 64));
    put(
        obj,
        tags::PATIENT_BIRTH_DATE,
        VR::DA,
        &date_or_empty(&p.patient_birth_date),
    );
    put(
        obj,
        tags::PATIENT_SEX,
        VR::CS,
        if matches!(p.patient_sex.trim(), "M" | "F" | "O") {
            p.patient_sex.trim()
        } else {
            ""
        },
    );
    put(
        obj,
        tags::STUDY_INSTANCE_UID,
        VR::UI,
        &source.study_instance_uid,
    );
    put(obj, tags::STUDY_ID, VR::SH, &clean(&p.study_id, 16));
}

/// The Coding Scheme Identification Sequence item that declares the private scheme 99LUMEN.
pub(crate) fn lumen_coding_scheme() -> InMemDicomObject {
    let mut scheme = InMemDicomObject::new_empty();
    put(
        &mut scheme,
        tags::CODING_SCHEME_DESIGNATOR,
        VR::SH,
        codes::LUMEN_SCHEME,
    );
    put(
        &mut scheme,
        tags::CODING_SCHEME_NAME,
        VR::ST,
        "Lumen private codes",
    );
    put(
        &mut scheme,
        tags::CODING_SCHEME_RESPONSIBLE_ORGANIZATION,
        VR::ST,
        "Lumen",
    );
    scheme
}

/// The data set as Part 10 bytes: file meta group (Explicit VR Little Endian, Lumen's implementation), data set.
pub(crate) fn part10(
    obj: InMemDicomObject,
    sop_class_uid: &str,
    sop_instance_uid: &str,
) -> Result<Vec<u8>, Error> {
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(sop_class_uid)
        .media_storage_sop_instance_uid(sop_instance_uid)
        .transfer_syntax(EXPLICIT_VR_LITTLE_ENDIAN)
        .implementation_class_uid(IMPLEMENTATION_CLASS_UID)
        .implementation_version_name(IMPLEMENTATION_VERSION_NAME);
    let file = obj.with_meta(meta).context(MetaSnafu)?;
    let mut out = Vec::new();
    file.write_all(&mut out).context(EncodeSnafu)?;
    Ok(out)
}

/// SOP Common, Patient, General Study, SR Document Series, General Equipment, SR Document General.
fn header(
    obj: &mut InMemDicomObject,
    source: &SourceImage,
    run: &ModelRun,
    uids: &NewUids,
    content: &ContentDateTime,
) {
    put_patient_study(obj, source);
    put(obj, tags::INSTANCE_CREATION_DATE, VR::DA, content.date());
    put(obj, tags::INSTANCE_CREATION_TIME, VR::TM, content.time());
    put(obj, tags::SOP_CLASS_UID, VR::UI, ENHANCED_SR);
    put(obj, tags::SOP_INSTANCE_UID, VR::UI, &uids.instance);
    put(obj, tags::SERIES_DATE, VR::DA, content.date());
    put(obj, tags::CONTENT_DATE, VR::DA, content.date());
    put(obj, tags::SERIES_TIME, VR::TM, content.time());
    put(obj, tags::CONTENT_TIME, VR::TM, content.time());
    put(obj, tags::MODALITY, VR::CS, "SR");
    put(
        obj,
        tags::MANUFACTURER,
        VR::LO,
        &clean(&run.manufacturer, 64),
    );
    if let Some(offset) = content.utc_offset() {
        put(obj, tags::TIMEZONE_OFFSET_FROM_UTC, VR::SH, offset);
    }
    put(
        obj,
        tags::SERIES_DESCRIPTION,
        VR::LO,
        &clean(&format!("Lumen AI: {}", run.model_name), 64),
    );
    put_seq(
        obj,
        tags::REFERENCED_PERFORMED_PROCEDURE_STEP_SEQUENCE,
        Vec::new(),
    );
    put(
        obj,
        tags::SOFTWARE_VERSIONS,
        VR::LO,
        &clean(&format!("lumen-results {}", env!("CARGO_PKG_VERSION")), 64),
    );
    put(obj, tags::SERIES_INSTANCE_UID, VR::UI, &uids.series);
    put(
        obj,
        tags::SERIES_NUMBER,
        VR::IS,
        &SR_SERIES_NUMBER.to_string(),
    );
    put(obj, tags::INSTANCE_NUMBER, VR::IS, "1");
    put(obj, tags::COMPLETION_FLAG, VR::CS, "COMPLETE");
    put(obj, tags::VERIFICATION_FLAG, VR::CS, "UNVERIFIED");
    put_seq(obj, tags::PERFORMED_PROCEDURE_CODE_SEQUENCE, Vec::new());

    // SOP Common: the private coding scheme every report uses (the probability's method, pixel rules, backend).
    put_seq(
        obj,
        tags::CODING_SCHEME_IDENTIFICATION_SEQUENCE,
        vec![lumen_coding_scheme()],
    );

    // Current Requested Procedure Evidence (Hierarchical SOP Instance Reference Macro): the image the report is about.
    let mut sop = InMemDicomObject::new_empty();
    put(
        &mut sop,
        tags::REFERENCED_SOP_CLASS_UID,
        VR::UI,
        &source.sop_class_uid,
    );
    put(
        &mut sop,
        tags::REFERENCED_SOP_INSTANCE_UID,
        VR::UI,
        &source.sop_instance_uid,
    );
    let mut series = InMemDicomObject::new_empty();
    put(
        &mut series,
        tags::SERIES_INSTANCE_UID,
        VR::UI,
        &source.series_instance_uid,
    );
    put_seq(&mut series, tags::REFERENCED_SOP_SEQUENCE, vec![sop]);
    let mut study = InMemDicomObject::new_empty();
    put(
        &mut study,
        tags::STUDY_INSTANCE_UID,
        VR::UI,
        &source.study_instance_uid,
    );
    put_seq(&mut study, tags::REFERENCED_SERIES_SEQUENCE, vec![series]);
    put_seq(
        obj,
        tags::CURRENT_REQUESTED_PROCEDURE_EVIDENCE_SEQUENCE,
        vec![study],
    );
}

/// The root's children (TID 1500).
fn content_tree(source: &SourceImage, run: &ModelRun, uids: &NewUids) -> Vec<Item> {
    use Rel::*;
    let text = |s: &str| Value::Text(s.to_string());
    let mut root = vec![
        Item::new(
            HasConceptMod,
            &codes::LANGUAGE,
            Value::Code(codes::ENGLISH.code()),
        ),
        Item::new(
            HasObsContext,
            &codes::OBSERVER_TYPE,
            Value::Code(codes::DEVICE.code()),
        ),
        Item::new(
            HasObsContext,
            &codes::DEVICE_OBSERVER_UID,
            Value::Uidref(run.device_observer_uid.clone()),
        ),
        Item::new(
            HasObsContext,
            &codes::DEVICE_OBSERVER_NAME,
            text(&run.model_id),
        ),
        Item::new(
            HasObsContext,
            &codes::DEVICE_OBSERVER_MANUFACTURER,
            text(&run.manufacturer),
        ),
    ];
    if !run.model_name.trim().is_empty() {
        root.push(Item::new(
            HasObsContext,
            &codes::DEVICE_OBSERVER_MODEL_NAME,
            text(&run.model_name),
        ));
    }
    root.push(Item::new(
        HasObsContext,
        &codes::DEVICE_OBSERVER_SERIAL_NUMBER,
        text(&run.model_version),
    ));
    let procedure = source
        .procedure
        .clone()
        .unwrap_or_else(|| codes::IMAGING_PROCEDURE.code());
    root.push(Item::new(
        HasConceptMod,
        &codes::PROCEDURE_REPORTED,
        Value::Code(procedure),
    ));

    let mut group_descriptors = Vec::new();
    if let Some(modality) = source.modality.as_deref().and_then(codes::modality) {
        group_descriptors.push(Item::new(
            HasAcqContext,
            &codes::MODALITY,
            Value::Code(modality),
        ));
    }
    group_descriptors.push(Item {
        rel: Contains,
        concept: None,
        value: Value::Image,
        children: Vec::new(),
    });
    let library =
        Item::new(Contains, &codes::IMAGE_LIBRARY, Value::Container).with(vec![Item::new(
            Contains,
            &codes::IMAGE_LIBRARY_GROUP,
            Value::Container,
        )
        .with(group_descriptors)]);
    root.push(library);

    let mut group = vec![
        Item::new(
            HasObsContext,
            &codes::TRACKING_IDENTIFIER,
            text(&format!("{} classification", run.model_id)),
        ),
        Item::new(
            HasObsContext,
            &codes::TRACKING_UID,
            Value::Uidref(format!("{}.1", uids.instance)),
        ),
        Item::new(
            HasConceptMod,
            &codes::FINDING,
            Value::Code(run.finding.clone()),
        ),
    ];
    if !run.backend.trim().is_empty() {
        group.push(Item::new(
            HasConceptMod,
            &codes::INFERENCE_BACKEND,
            text(&run.backend),
        ));
    }
    group.push(Item::new(
        Contains,
        &codes::SOURCE_OF_MEASUREMENT,
        Value::Image,
    ));
    for o in &run.outputs {
        let mut modifiers = vec![Item::new(
            HasConceptMod,
            &codes::MEASUREMENT_METHOD,
            Value::Code(codes::AI_PROBABILITY.code()),
        )];
        if !run.model_name.trim().is_empty() {
            modifiers.push(Item::new(
                HasConceptMod,
                &codes::ALGORITHM_NAME,
                text(&run.model_name),
            ));
        }
        modifiers.push(Item::new(
            HasConceptMod,
            &codes::ALGORITHM_VERSION,
            text(&run.model_version),
        ));
        group.push(
            Item {
                rel: Contains,
                concept: Some(o.label_code.clone()),
                value: Value::Num(o.probability),
                children: Vec::new(),
            }
            .with(modifiers),
        );
    }
    for f in &run.qc_rule_findings {
        let rule = Code {
            scheme: codes::LUMEN_SCHEME.into(),
            value: f.rule.clone(),
            meaning: format!("Pixel rule {}", f.rule),
        };
        let measured = Item {
            rel: InferredFrom,
            concept: Some(rule),
            value: Value::Num(f.value),
            children: Vec::new(),
        };
        let message = if f.message.trim().is_empty() {
            f.rule.clone()
        } else {
            f.message.clone()
        };
        group.push(
            Item::new(Contains, &codes::QUALITATIVE_EVALUATIONS, text(&message))
                .with(vec![measured]),
        );
    }
    let measurements = Item::new(Contains, &codes::IMAGING_MEASUREMENTS, Value::Container).with(
        vec![Item::new(Contains, &codes::MEASUREMENT_GROUP, Value::Container).with(group)],
    );
    root.push(measurements);
    root
}

/// One content item as a Content Sequence item.
fn encode(item: &Item, source: &SourceImage) -> InMemDicomObject {
    let mut obj = InMemDicomObject::new_empty();
    put(&mut obj, tags::RELATIONSHIP_TYPE, VR::CS, item.rel.as_str());
    let value_type = match &item.value {
        Value::Container => "CONTAINER",
        Value::Code(_) => "CODE",
        Value::Text(_) => "TEXT",
        Value::Uidref(_) => "UIDREF",
        Value::Num(_) => "NUM",
        Value::Image => "IMAGE",
    };
    put(&mut obj, tags::VALUE_TYPE, VR::CS, value_type);
    if let Some(concept) = &item.concept {
        put_seq(
            &mut obj,
            tags::CONCEPT_NAME_CODE_SEQUENCE,
            vec![code_item(concept)],
        );
    }
    match &item.value {
        Value::Container => put(&mut obj, tags::CONTINUITY_OF_CONTENT, VR::CS, "SEPARATE"),
        Value::Code(code) => put_seq(&mut obj, tags::CONCEPT_CODE_SEQUENCE, vec![code_item(code)]),
        Value::Text(text) => put(&mut obj, tags::TEXT_VALUE, VR::UT, &text.replace('\0', "")),
        Value::Uidref(uid) => put(&mut obj, tags::UID, VR::UI, uid),
        Value::Num(v) => {
            let mut measured = InMemDicomObject::new_empty();
            put(
                &mut measured,
                tags::NUMERIC_VALUE,
                VR::DS,
                &decimal_string(*v),
            );
            put_seq(
                &mut measured,
                tags::MEASUREMENT_UNITS_CODE_SEQUENCE,
                vec![code_item(&codes::NO_UNITS.code())],
            );
            put_seq(&mut obj, tags::MEASURED_VALUE_SEQUENCE, vec![measured]);
        }
        Value::Image => {
            let mut sop = InMemDicomObject::new_empty();
            put(
                &mut sop,
                tags::REFERENCED_SOP_CLASS_UID,
                VR::UI,
                &source.sop_class_uid,
            );
            put(
                &mut sop,
                tags::REFERENCED_SOP_INSTANCE_UID,
                VR::UI,
                &source.sop_instance_uid,
            );
            if let Some(frame) = source.frame_number {
                put(
                    &mut sop,
                    tags::REFERENCED_FRAME_NUMBER,
                    VR::IS,
                    &frame.to_string(),
                );
            }
            put_seq(&mut obj, tags::REFERENCED_SOP_SEQUENCE, vec![sop]);
        }
    }
    if !item.children.is_empty() {
        put_seq(
            &mut obj,
            tags::CONTENT_SEQUENCE,
            item.children.iter().map(|c| encode(c, source)).collect(),
        );
    }
    obj
}

/// DS (at most 16 characters) of a finite f32: Rust's shortest text that reads back as the same f32, in plain
/// (`0.83`) or, when that is too long, exponent form (`1.1754944e-38`, at most 15 characters), so the Numeric
/// Value alone carries the model's exact output and no Floating Point Value is needed.
pub(crate) fn decimal_string(v: f32) -> String {
    let plain = format!("{v}");
    if plain.len() <= 16 {
        plain
    } else {
        format!("{v:e}")
    }
}

/// A DA value when `s` is one (8 digits), else empty (type 2): a source's malformed date is not copied.
pub(crate) fn date_or_empty(s: &str) -> String {
    let s = s.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.to_string()
    } else {
        String::new()
    }
}

/// A TM value when `s` looks like one (`HH[MM[SS[.F{1,6}]]]`), else empty.
pub(crate) fn time_or_empty(s: &str) -> String {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let ok = matches!(whole.len(), 2 | 4 | 6)
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 6
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (frac.is_empty() || whole.len() == 6)
        && !s.ends_with('.');
    if ok {
        s.to_string()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_fit_ds_and_read_back_exactly() {
        let mut values = vec![
            0.0f32,
            1.0,
            0.5,
            0.83,
            1e-7,
            3.4e-30,
            0.999_999_94,
            f32::MIN_POSITIVE,
            -f32::MAX,
        ];
        // A sweep over bit patterns: every exponent, many mantissas.
        values.extend(
            (0..200_000u32)
                .map(|i| f32::from_bits(i.wrapping_mul(21_474)))
                .filter(|v| v.is_finite()),
        );
        for v in values {
            let s = decimal_string(v);
            assert!(s.len() <= 16, "{v} -> {s}");
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)),
                "{s}"
            );
            assert_eq!(
                s.parse::<f32>().unwrap().to_bits(),
                v.to_bits(),
                "{v} -> {s}"
            );
        }
        assert_eq!(decimal_string(0.25), "0.25");
        assert_eq!(decimal_string(0.17), "0.17");
    }

    #[test]
    fn malformed_source_dates_and_times_are_dropped() {
        assert_eq!(date_or_empty("20240131"), "20240131");
        assert_eq!(date_or_empty("2024-01-31"), "");
        assert_eq!(time_or_empty("101010.123"), "101010.123");
        assert_eq!(time_or_empty("1010"), "1010");
        assert_eq!(time_or_empty("10:10"), "");
        assert_eq!(time_or_empty("1010.5"), "");
    }
}
