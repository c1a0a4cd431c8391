//! Behaviour of the store as a whole: indexing a folder, QIDO-RS searches over it, storing uploads atomically,
//! metadata and frame retrieval. Test instances are built in memory with dicom-object, with hand-chosen
//! attributes and pixel values, so every expected value below can be checked by reading the test.

use super::*;
use dicom_core::value::{PixelFragmentSequence, PrimitiveValue};
use dicom_core::{DataElement, VR};
use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject, OpenFileOptions};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

const CT_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";

/// A test instance: the UIDs and the few attributes searches look at.
#[derive(Clone)]
struct Spec {
    study: &'static str,
    series: &'static str,
    sop: &'static str,
    patient_name: &'static str,
    patient_id: &'static str,
    study_date: &'static str,
    modality: &'static str,
    series_number: &'static str,
    instance_number: &'static str,
}

const BASE: Spec = Spec {
    study: "1.2.3.1",
    series: "1.2.3.1.1",
    sop: "1.2.3.1.1.1",
    patient_name: "Müller^Hans",
    patient_id: "PAT1",
    study_date: "20230610",
    modality: "CT",
    series_number: "1",
    instance_number: "1",
};

fn dataset(s: &Spec) -> InMemDicomObject {
    let mut obj = InMemDicomObject::new_empty();
    let mut put = |tag, vr, v: &str| {
        obj.put(DataElement::new(tag, vr, PrimitiveValue::from(v)));
    };
    put(tags::SOP_CLASS_UID, VR::UI, CT_IMAGE_STORAGE);
    put(tags::SOP_INSTANCE_UID, VR::UI, s.sop);
    put(tags::STUDY_DATE, VR::DA, s.study_date);
    put(tags::STUDY_TIME, VR::TM, "101500");
    put(tags::MODALITY, VR::CS, s.modality);
    put(tags::PATIENT_NAME, VR::PN, s.patient_name);
    put(tags::PATIENT_ID, VR::LO, s.patient_id);
    put(tags::STUDY_DESCRIPTION, VR::LO, "CHEST CT");
    put(tags::STUDY_INSTANCE_UID, VR::UI, s.study);
    put(tags::SERIES_INSTANCE_UID, VR::UI, s.series);
    put(tags::SERIES_NUMBER, VR::IS, s.series_number);
    put(tags::INSTANCE_NUMBER, VR::IS, s.instance_number);
    put(tags::PATIENT_POSITION, VR::CS, "HFS");
    obj
}

/// Adds a 2×2, 16-bit monochrome image with `frames` frames; pixel i of frame f has the value 100·f + i.
fn with_native_frames(mut obj: InMemDicomObject, frames: u16) -> InMemDicomObject {
    add_image_attrs(&mut obj, frames, 16, "MONOCHROME2");
    let values: Vec<u16> = (0..frames)
        .flat_map(|f| (0..4).map(move |i| 100 * f + i))
        .collect();
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(values.into()),
    ));
    obj
}

fn add_image_attrs(obj: &mut InMemDicomObject, frames: u16, bits: u16, photometric: &str) {
    obj.put(DataElement::new(
        tags::SAMPLES_PER_PIXEL,
        VR::US,
        PrimitiveValue::from(1u16),
    ));
    obj.put(DataElement::new(
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        PrimitiveValue::from(photometric),
    ));
    obj.put(DataElement::new(
        tags::NUMBER_OF_FRAMES,
        VR::IS,
        PrimitiveValue::from(frames.to_string()),
    ));
    obj.put(DataElement::new(
        tags::ROWS,
        VR::US,
        PrimitiveValue::from(2u16),
    ));
    obj.put(DataElement::new(
        tags::COLUMNS,
        VR::US,
        PrimitiveValue::from(2u16),
    ));
    obj.put(DataElement::new(
        tags::BITS_ALLOCATED,
        VR::US,
        PrimitiveValue::from(bits),
    ));
    obj.put(DataElement::new(
        tags::BITS_STORED,
        VR::US,
        PrimitiveValue::from(bits),
    ));
    obj.put(DataElement::new(
        tags::HIGH_BIT,
        VR::US,
        PrimitiveValue::from(bits - 1),
    ));
    obj.put(DataElement::new(
        tags::PIXEL_REPRESENTATION,
        VR::US,
        PrimitiveValue::from(0u16),
    ));
}

/// An RLE Lossless frame (PS3.5 G) of a 2×2 8-bit image: one segment, one literal run of the four bytes.
fn rle_frame(pixels: [u8; 4]) -> Vec<u8> {
    let mut header = vec![0u8; 64];
    header[0..4].copy_from_slice(&1u32.to_le_bytes());
    header[4..8].copy_from_slice(&64u32.to_le_bytes());
    header.push(3); // literal run of 3 + 1 bytes
    header.extend_from_slice(&pixels);
    header.push(0); // pad the fragment to even length
    header
}

fn part10(obj: InMemDicomObject, ts: &str) -> Vec<u8> {
    let sop = obj
        .element(tags::SOP_INSTANCE_UID)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(ts)
        .media_storage_sop_class_uid(CT_IMAGE_STORAGE)
        .media_storage_sop_instance_uid(sop)
        .build()
        .unwrap();
    let mut out = Vec::new();
    obj.with_exact_meta(meta).write_all(&mut out).unwrap();
    out
}

fn file_for(s: &Spec) -> Vec<u8> {
    part10(with_native_frames(dataset(s), 1), EXPLICIT_VR_LE)
}

/// Three studies: Müller (2023, CT, two series), Doe (2021, MR), Zoë (2024, CT+SR).
fn sample_folder() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let specs = [
        BASE.clone(),
        Spec {
            sop: "1.2.3.1.1.2",
            instance_number: "2",
            ..BASE.clone()
        },
        Spec {
            series: "1.2.3.1.2",
            sop: "1.2.3.1.2.1",
            series_number: "2",
            ..BASE.clone()
        },
        Spec {
            study: "1.2.3.2",
            series: "1.2.3.2.1",
            sop: "1.2.3.2.1.1",
            patient_name: "Doe^John",
            patient_id: "PAT2",
            study_date: "20210101",
            modality: "MR",
            ..BASE.clone()
        },
        Spec {
            study: "1.2.3.3",
            series: "1.2.3.3.1",
            sop: "1.2.3.3.1.1",
            patient_name: "Zoë^Anna",
            patient_id: "PAT3",
            study_date: "20240229",
            ..BASE.clone()
        },
        Spec {
            study: "1.2.3.3",
            series: "1.2.3.3.2",
            sop: "1.2.3.3.2.1",
            patient_name: "Zoë^Anna",
            patient_id: "PAT3",
            study_date: "20240229",
            modality: "SR",
            series_number: "2",
            ..BASE.clone()
        },
    ];
    for (i, s) in specs.iter().enumerate() {
        let sub = dir.path().join(format!("nested/{i}"));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("image"), file_for(s)).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), b"not a DICOM file").unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

fn uids(results: &[serde_json::Value], tag: &str) -> Vec<String> {
    results
        .iter()
        .map(|r| r[tag]["Value"][0].as_str().unwrap_or_default().to_string())
        .collect()
}

fn q(params: &[(&str, &str)]) -> Query {
    Query::from_params(params.iter().copied()).unwrap()
}

#[test]
fn open_indexes_nested_files_and_reports_non_dicom() {
    let (_dir, store) = sample_folder();
    assert_eq!(store.study_count(), 3);
    assert_eq!(store.instance_count(), 6);
    assert_eq!(store.warnings().len(), 1);
    assert!(store.warnings()[0].0.ends_with("notes.txt"));
}

#[test]
fn studies_are_listed_newest_first() {
    let (_dir, store) = sample_folder();
    let r = store.search(Level::Study, &Query::default()).unwrap();
    assert_eq!(uids(&r, "0020000D"), ["1.2.3.3", "1.2.3.1", "1.2.3.2"]);
}

#[test]
fn study_results_carry_computed_counts_and_modalities() {
    let (_dir, store) = sample_folder();
    let mut query = q(&[("StudyInstanceUID", "1.2.3.3")]);
    query.retrieve_base = Some("http://h/dicom-web".into());
    let r = store.search(Level::Study, &query).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["00080061"]["Value"], serde_json::json!(["CT", "SR"]));
    assert_eq!(r[0]["00201206"]["Value"][0], serde_json::json!(2));
    assert_eq!(r[0]["00201208"]["Value"][0], serde_json::json!(2));
    assert_eq!(
        r[0]["00081190"]["Value"][0],
        "http://h/dicom-web/studies/1.2.3.3"
    );
    assert_eq!(r[0]["00100010"]["Value"][0]["Alphabetic"], "Zoë^Anna");
}

#[test]
fn fuzzy_name_search_finds_accented_names_by_prefix() {
    let (_dir, store) = sample_folder();
    let r = store
        .search(
            Level::Study,
            &q(&[("PatientName", "mul"), ("fuzzymatching", "true")]),
        )
        .unwrap();
    assert_eq!(uids(&r, "0020000D"), ["1.2.3.1"]);
    let r = store
        .search(
            Level::Study,
            &q(&[("PatientName", "zoe"), ("fuzzymatching", "true")]),
        )
        .unwrap();
    assert_eq!(uids(&r, "0020000D"), ["1.2.3.3"]);
    // Without fuzzy matching a partial name finds nothing, a wildcard does.
    assert!(store
        .search(Level::Study, &q(&[("PatientName", "mul")]))
        .unwrap()
        .is_empty());
    let r = store
        .search(Level::Study, &q(&[("PatientName", "doe*")]))
        .unwrap();
    assert_eq!(uids(&r, "0020000D"), ["1.2.3.2"]);
}

#[test]
fn date_range_search() {
    let (_dir, store) = sample_folder();
    let r = store
        .search(Level::Study, &q(&[("StudyDate", "20220101-20231231")]))
        .unwrap();
    assert_eq!(uids(&r, "0020000D"), ["1.2.3.1"]);
    let r = store
        .search(Level::Study, &q(&[("StudyDate", "20230101-")]))
        .unwrap();
    assert_eq!(uids(&r, "0020000D"), ["1.2.3.3", "1.2.3.1"]);
    let r = store
        .search(Level::Study, &q(&[("StudyDate", "-20211231")]))
        .unwrap();
    assert_eq!(uids(&r, "0020000D"), ["1.2.3.2"]);
}

#[test]
fn modalities_in_study_matches_any_series_modality() {
    let (_dir, store) = sample_folder();
    let r = store
        .search(Level::Study, &q(&[("ModalitiesInStudy", "SR")]))
        .unwrap();
    assert_eq!(uids(&r, "0020000D"), ["1.2.3.3"]);
    let r = store
        .search(Level::Study, &q(&[("ModalitiesInStudy", "MR,SR")]))
        .unwrap();
    assert_eq!(uids(&r, "0020000D"), ["1.2.3.3", "1.2.3.2"]);
}

#[test]
fn uid_list_search() {
    let (_dir, store) = sample_folder();
    let r = store
        .search(Level::Study, &q(&[("StudyInstanceUID", "1.2.3.1,1.2.3.2")]))
        .unwrap();
    assert_eq!(uids(&r, "0020000D"), ["1.2.3.1", "1.2.3.2"]);
}

#[test]
fn limit_and_offset_page_through_ordered_results() {
    let (_dir, store) = sample_folder();
    let r = store
        .search(Level::Study, &q(&[("limit", "1"), ("offset", "1")]))
        .unwrap();
    assert_eq!(uids(&r, "0020000D"), ["1.2.3.1"]);
    let r = store.search(Level::Study, &q(&[("offset", "5")])).unwrap();
    assert!(r.is_empty());
}

#[test]
fn series_of_a_study_are_ordered_by_series_number_and_count_instances() {
    let (_dir, store) = sample_folder();
    let mut query = Query {
        study_uid: Some("1.2.3.1".into()),
        ..Query::default()
    };
    let r = store.search(Level::Series, &query).unwrap();
    assert_eq!(uids(&r, "0020000E"), ["1.2.3.1.1", "1.2.3.1.2"]);
    assert_eq!(r[0]["00201209"]["Value"][0], serde_json::json!(2));
    // Scoped to a study: the study's own attributes are not repeated (PS3.18 6.7.1.2.2), its UID is.
    assert!(r[0].get("00100010").is_none());
    assert_eq!(r[0]["0020000D"]["Value"][0], "1.2.3.1");
    query.study_uid = Some("9.9.9".into());
    assert_eq!(
        store.search(Level::Series, &query).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn all_series_search_includes_study_attributes_and_matches_on_them() {
    let (_dir, store) = sample_folder();
    let r = store
        .search(
            Level::Series,
            &q(&[("PatientID", "PAT3"), ("Modality", "SR")]),
        )
        .unwrap();
    assert_eq!(uids(&r, "0020000E"), ["1.2.3.3.2"]);
    assert_eq!(r[0]["00100020"]["Value"][0], "PAT3");
}

#[test]
fn instance_search_orders_by_instance_number_and_returns_image_attributes() {
    let (_dir, store) = sample_folder();
    let query = Query {
        study_uid: Some("1.2.3.1".into()),
        series_uid: Some("1.2.3.1.1".into()),
        ..Query::default()
    };
    let r = store.search(Level::Instance, &query).unwrap();
    assert_eq!(uids(&r, "00080018"), ["1.2.3.1.1.1", "1.2.3.1.1.2"]);
    assert_eq!(r[0]["00280010"]["Value"][0], serde_json::json!(2));
    assert_eq!(r[0]["00280008"]["Value"][0], serde_json::json!(1));
}

#[test]
fn includefield_returns_indexed_and_on_disk_attributes() {
    let (_dir, store) = sample_folder();
    let r = store
        .search(
            Level::Study,
            &q(&[
                ("StudyInstanceUID", "1.2.3.2"),
                ("includefield", "PatientPosition"),
            ]),
        )
        .unwrap();
    // Patient Position is not indexed: it is read from the study's first file.
    assert_eq!(r[0]["00185100"]["Value"][0], "HFS");
    let r = store
        .search(Level::Study, &q(&[("StudyInstanceUID", "1.2.3.2")]))
        .unwrap();
    assert!(r[0].get("00185100").is_none());
}

#[test]
fn store_writes_complete_file_and_indexes_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let bytes = file_for(&BASE);
    let stored = store.store(&bytes).unwrap();
    assert!(!stored.replaced);
    assert_eq!(
        stored.path,
        dir.path().join("1.2.3.1/1.2.3.1.1/1.2.3.1.1.1.dcm")
    );
    assert_eq!(std::fs::read(&stored.path).unwrap(), bytes);
    assert_eq!(
        store
            .instance_bytes("1.2.3.1", None, "1.2.3.1.1.1")
            .unwrap(),
        bytes
    );
    let r = store
        .search(Level::Study, &q(&[("PatientID", "PAT1")]))
        .unwrap();
    assert_eq!(uids(&r, "0020000D"), ["1.2.3.1"]);
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(stored.path.parent().unwrap())
        .unwrap()
        .collect();
    assert_eq!(leftovers.len(), 1);
    // A fresh index of the folder finds the same instance.
    assert_eq!(Store::open(dir.path()).unwrap().instance_count(), 1);
}

#[test]
fn storing_the_same_sop_instance_uid_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.store(&file_for(&BASE)).unwrap();
    let updated = file_for(&Spec {
        patient_id: "PAT9",
        ..BASE.clone()
    });
    let second = store.store(&updated).unwrap();
    assert!(second.replaced);
    assert_eq!(store.instance_count(), 1);
    assert_eq!(std::fs::read(&second.path).unwrap(), updated);
}

#[test]
fn garbage_upload_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let err = store.store(b"definitely not DICOM").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    // Truncated Part 10 data is refused too.
    let bytes = file_for(&BASE);
    assert!(store.store(&bytes[..bytes.len() - 5]).is_err());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert_eq!(store.instance_count(), 0);
}

#[test]
fn upload_without_uids_or_to_another_study_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut obj = dataset(&BASE);
    obj.remove_element(tags::SERIES_INSTANCE_UID);
    let err = store.store(&part10(obj, EXPLICIT_VR_LE)).unwrap_err();
    assert!(err.to_string().contains("Series Instance UID"), "{err}");
    let err = store
        .store_in_study(&file_for(&BASE), Some("1.2.3.999"))
        .unwrap_err();
    assert!(matches!(err, Error::StudyMismatch { .. }), "{err}");
    assert_eq!(store.instance_count(), 0);
}

#[test]
fn upload_without_preamble_is_stored_with_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let bytes = file_for(&BASE);
    let stored = store.store(&bytes[128..]).unwrap();
    assert_eq!(std::fs::read(&stored.path).unwrap(), bytes);
}

#[test]
fn native_frames_are_byte_ranges_of_pixel_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .store(&part10(
            with_native_frames(dataset(&BASE), 3),
            EXPLICIT_VR_LE,
        ))
        .unwrap();
    let any = ["*".to_string()];
    let f = store
        .frame_bytes("1.2.3.1", Some("1.2.3.1.1"), "1.2.3.1.1.1", &[3, 1], &any)
        .unwrap();
    assert_eq!(f.transfer_syntax, EXPLICIT_VR_LE);
    // Frame 3 holds 200..=203, frame 1 holds 0..=3, as 16-bit little endian.
    assert_eq!(f.frames[0], [200u8, 0, 201, 0, 202, 0, 203, 0]);
    assert_eq!(f.frames[1], [0u8, 0, 1, 0, 2, 0, 3, 0]);
    let err = store
        .frame_bytes("1.2.3.1", None, "1.2.3.1.1.1", &[4], &any)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::FrameOutOfRange {
                frame: 4,
                frames: 3
            }
        ),
        "{err}"
    );
    assert!(store
        .frame_bytes("1.2.3.1", None, "1.2.3.1.1.1", &[0], &any)
        .is_err());
}

fn rle_instance() -> Vec<u8> {
    let mut obj = dataset(&BASE);
    add_image_attrs(&mut obj, 2, 8, "MONOCHROME2");
    let seq = PixelFragmentSequence::new(
        vec![],
        vec![rle_frame([1, 2, 3, 4]), rle_frame([5, 6, 7, 8])],
    );
    obj.put(DataElement::new(tags::PIXEL_DATA, VR::OB, seq));
    part10(obj, RLE_LOSSLESS)
}

#[test]
fn encapsulated_frames_are_sent_as_stored_when_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.store(&rle_instance()).unwrap();
    let f = store
        .frame_bytes(
            "1.2.3.1",
            None,
            "1.2.3.1.1.1",
            &[2],
            &[RLE_LOSSLESS.to_string()],
        )
        .unwrap();
    assert_eq!(f.transfer_syntax, RLE_LOSSLESS);
    assert_eq!(f.frames, vec![rle_frame([5, 6, 7, 8])]);
}

#[test]
fn encapsulated_frames_are_decoded_when_only_uncompressed_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.store(&rle_instance()).unwrap();
    let f = store
        .frame_bytes(
            "1.2.3.1",
            None,
            "1.2.3.1.1.1",
            &[2],
            &[EXPLICIT_VR_LE.to_string()],
        )
        .unwrap();
    assert_eq!(f.transfer_syntax, EXPLICIT_VR_LE);
    assert_eq!(f.frames, vec![vec![5u8, 6, 7, 8]]);
}

#[test]
fn uncompressed_frames_are_only_labelled_with_a_little_endian_syntax_the_client_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .store(&part10(
            with_native_frames(dataset(&BASE), 1),
            EXPLICIT_VR_LE,
        ))
        .unwrap();
    let implicit = store
        .frame_bytes(
            "1.2.3.1",
            None,
            "1.2.3.1.1.1",
            &[1],
            &[IMPLICIT_VR_LE.to_string()],
        )
        .unwrap();
    assert_eq!(implicit.transfer_syntax, IMPLICIT_VR_LE);
    // Big Endian frames are not produced: asking only for them is "not acceptable", not a mislabelled answer.
    let err = store
        .frame_bytes(
            "1.2.3.1",
            None,
            "1.2.3.1.1.1",
            &[1],
            &[EXPLICIT_VR_BE.to_string()],
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAcceptable);
}

#[test]
fn unacceptable_transfer_syntax_is_a_not_acceptable_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.store(&rle_instance()).unwrap();
    let jpeg = ["1.2.840.10008.1.2.4.50".to_string()];
    let err = store
        .frame_bytes("1.2.3.1", None, "1.2.3.1.1.1", &[1], &jpeg)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAcceptable);
}

#[test]
fn retrieve_instance_transcodes_compressed_to_explicit_little_endian() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let original = rle_instance();
    store.store(&original).unwrap();
    let same = store
        .retrieve_instance("1.2.3.1", None, "1.2.3.1.1.1", &["*".to_string()])
        .unwrap();
    assert_eq!(same.bytes, original);
    let native = store
        .retrieve_instance(
            "1.2.3.1",
            None,
            "1.2.3.1.1.1",
            &[EXPLICIT_VR_LE.to_string()],
        )
        .unwrap();
    assert_eq!(native.transfer_syntax, EXPLICIT_VR_LE);
    let obj = OpenFileOptions::new()
        .from_reader(&native.bytes[128..])
        .unwrap();
    assert_eq!(
        obj.meta().transfer_syntax().trim_end_matches('\0'),
        EXPLICIT_VR_LE
    );
    let pixels = obj
        .element(tags::PIXEL_DATA)
        .unwrap()
        .to_bytes()
        .unwrap()
        .to_vec();
    assert_eq!(pixels, [1u8, 2, 3, 4, 5, 6, 7, 8]);
}

#[test]
fn metadata_replaces_pixel_data_with_a_bulk_data_uri() {
    let (_dir, store) = sample_folder();
    let m = store
        .metadata("1.2.3.1", None, None, "http://h/dicom-web")
        .unwrap();
    assert_eq!(m.len(), 3);
    assert_eq!(
        uids(&m, "00080018"),
        ["1.2.3.1.1.1", "1.2.3.1.1.2", "1.2.3.1.2.1"]
    );
    assert_eq!(
        m[0]["7FE00010"]["BulkDataURI"],
        "http://h/dicom-web/studies/1.2.3.1/series/1.2.3.1.1/instances/1.2.3.1.1.1/bulkdata/7FE00010"
    );
    assert!(m[0]["7FE00010"].get("InlineBinary").is_none());
    assert_eq!(m[0]["00185100"]["Value"][0], "HFS");
    let one = store
        .metadata(
            "1.2.3.1",
            Some("1.2.3.1.2"),
            Some("1.2.3.1.2.1"),
            "http://h",
        )
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(
        store
            .metadata("1.2.3.1", Some("1.2.3.1.1"), Some("1.2.3.1.2.1"), "h")
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn instance_lookup_checks_the_study() {
    let (_dir, store) = sample_folder();
    assert_eq!(
        store
            .instance_bytes("1.2.3.2", None, "1.2.3.1.1.1")
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn bare_data_sets_without_file_meta_are_indexed_and_sent_as_part10() {
    // A legacy file: the data set alone in Implicit VR Little Endian, no preamble, no File Meta Information.
    let dir = tempfile::tempdir().unwrap();
    let ts = TransferSyntaxRegistry.get(IMPLICIT_VR_LE).unwrap();
    let mut bare = Vec::new();
    with_native_frames(dataset(&BASE), 2)
        .write_dataset_with_ts(&mut bare, ts)
        .unwrap();
    std::fs::write(dir.path().join("IM0001"), &bare).unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(store.warnings().is_empty(), "{:?}", store.warnings());
    assert_eq!(store.instance_count(), 1);
    let bytes = store
        .instance_bytes("1.2.3.1", None, "1.2.3.1.1.1")
        .unwrap();
    assert_eq!(bytes.get(128..132), Some(&b"DICM"[..]));
    let obj = OpenFileOptions::new().from_reader(&bytes[128..]).unwrap();
    assert_eq!(
        obj.meta().transfer_syntax().trim_end_matches('\0'),
        IMPLICIT_VR_LE
    );
    let f = store
        .frame_bytes("1.2.3.1", None, "1.2.3.1.1.1", &[2], &["*".to_string()])
        .unwrap();
    assert_eq!(f.frames, vec![vec![100u8, 0, 101, 0, 102, 0, 103, 0]]);
    let m = store.metadata("1.2.3.1", None, None, "http://h").unwrap();
    assert_eq!(m[0]["00100020"]["Value"][0], "PAT1");
}

#[test]
fn series_and_instances_are_found_by_their_own_uid() {
    let (_dir, store) = sample_folder();
    assert_eq!(store.locate_series("1.2.3.1.2").unwrap(), "1.2.3.1");
    let id = store.locate_instance("1.2.3.3.2.1").unwrap();
    assert_eq!(
        (id.study_uid.as_str(), id.series_uid.as_str()),
        ("1.2.3.3", "1.2.3.3.2")
    );
    assert_eq!(
        store.locate_series("9.9").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}
