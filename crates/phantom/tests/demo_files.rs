//! Writes the small demo and reads every file back with dicom-object: the files must parse, carry the transfer
//! syntax and UIDs the manifest announces, hold pixel data of the announced size, and be byte-identical when
//! generated twice.

use std::collections::HashSet;

use dicom_core::value::Value;
use dicom_dictionary_std::tags;
use dicom_object::{from_reader, open_file};
use lumen_phantom::{demo_in_memory, write_demo, DemoOptions, TransferSyntax};

fn str_of(obj: &dicom_object::InMemDicomObject, tag: dicom_core::Tag) -> String {
    obj.element(tag)
        .unwrap()
        .to_str()
        .unwrap()
        .trim_end_matches(['\0', ' '])
        .to_string()
}

#[test]
fn same_options_give_same_bytes() {
    let (m1, f1) = demo_in_memory(&DemoOptions::small()).unwrap();
    let (m2, f2) = demo_in_memory(&DemoOptions::small()).unwrap();
    assert_eq!(m1, m2);
    assert_eq!(f1.len(), f2.len());
    for (a, b) in f1.iter().zip(&f2) {
        assert_eq!(a.0, b.0);
        assert!(a.1 == b.1, "{} differs between runs", a.0.display());
    }
    // Single-threaded generation gives the same bytes as parallel generation.
    let (_, f3) = demo_in_memory(&DemoOptions {
        threads: 1,
        ..DemoOptions::small()
    })
    .unwrap();
    assert!(f1 == f3);
}

#[test]
fn written_files_parse_back_as_announced() {
    let dir = std::env::temp_dir().join(format!("lumen-phantom-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let opts = DemoOptions::small();
    let manifest = write_demo(&dir, &opts).unwrap();
    assert_eq!(manifest.studies.len(), 4);
    // 22 CT slices + 4 × 6 subset slices (0, 4, … 20) + 2 DX + 6 MR + 2 US.
    assert_eq!(manifest.instance_count(), 22 + 4 * 6 + 2 + 6 + 2);
    let mut uids = HashSet::new();
    let mut syntaxes = HashSet::new();
    let mut patients = HashSet::new();
    for (study, series) in manifest.all_series() {
        patients.insert(study.patient_name.clone());
        syntaxes.insert(series.transfer_syntax);
        assert!(uids.insert(series.series_instance_uid.clone()));
        for inst in &series.instances {
            let path = manifest.root.join(&inst.path);
            let file = open_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                file.meta().transfer_syntax().trim_end_matches('\0'),
                series.transfer_syntax.uid()
            );
            assert_eq!(str_of(&file, tags::SOP_INSTANCE_UID), inst.sop_instance_uid);
            assert_eq!(
                str_of(&file, tags::SERIES_INSTANCE_UID),
                series.series_instance_uid
            );
            assert_eq!(
                str_of(&file, tags::STUDY_INSTANCE_UID),
                study.study_instance_uid
            );
            assert_eq!(str_of(&file, tags::SOP_CLASS_UID), series.sop_class_uid);
            assert_eq!(str_of(&file, tags::PATIENT_NAME), study.patient_name);
            assert_eq!(
                str_of(&file, tags::INSTANCE_NUMBER),
                inst.instance_number.to_string()
            );
            assert!(uids.insert(inst.sop_instance_uid.clone()));
            let expected = series.decoded_bytes() / series.instances.len() as u64;
            match file.element(tags::PIXEL_DATA).unwrap().value() {
                Value::Primitive(p) => assert_eq!(
                    p.calculate_byte_len() as u64,
                    expected,
                    "{}",
                    path.display()
                ),
                Value::PixelSequence(seq) => {
                    assert_eq!(series.transfer_syntax, TransferSyntax::RleLossless);
                    assert_eq!(seq.fragments().len() as u32, series.frames_per_instance);
                    assert_eq!(seq.offset_table().len() as u32, series.frames_per_instance);
                }
                Value::Sequence(_) => panic!("Pixel Data is a sequence in {}", path.display()),
            }
        }
    }
    assert_eq!(syntaxes.len(), 5);
    assert_eq!(patients.len(), 4);
    assert!(patients.contains("DEMO^Zoë Ångström=デモ^ゾーイ"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn big_endian_ct_holds_the_same_pixels_as_little_endian() {
    let (manifest, files) = demo_in_memory(&DemoOptions::small()).unwrap();
    let ct = &manifest.studies[0];
    let find = |ts: TransferSyntax, number: u32| {
        let series = ct.series.iter().find(|s| s.transfer_syntax == ts).unwrap();
        let inst = series
            .instances
            .iter()
            .find(|i| i.instance_number == number)
            .unwrap();
        let bytes = &files.iter().find(|(p, _)| *p == inst.path).unwrap().1;
        from_reader(&bytes[128..]).unwrap()
    };
    // Subset instance 2 is slice index 4 = main instance 5.
    let le = find(TransferSyntax::ExplicitVrLittleEndian, 5);
    for ts in [
        TransferSyntax::ExplicitVrBigEndian,
        TransferSyntax::ImplicitVrLittleEndian,
        TransferSyntax::DeflatedExplicitVrLittleEndian,
    ] {
        let other = find(ts, 2);
        let a = le
            .element(tags::PIXEL_DATA)
            .unwrap()
            .to_multi_int::<u16>()
            .unwrap();
        let b = other
            .element(tags::PIXEL_DATA)
            .unwrap()
            .to_multi_int::<u16>()
            .unwrap();
        assert_eq!(a, b, "{ts:?}");
        assert_eq!(
            str_of(&le, tags::IMAGE_POSITION_PATIENT),
            str_of(&other, tags::IMAGE_POSITION_PATIENT)
        );
    }
}

#[test]
fn nodules_are_reported_inside_the_ct_volume() {
    let (manifest, _) = demo_in_memory(&DemoOptions::small()).unwrap();
    assert_eq!(manifest.nodules.len(), 4);
    let diameters: Vec<f64> = manifest.nodules.iter().map(|n| n.diameter_mm).collect();
    assert_eq!(diameters, vec![4.0, 8.0, 12.0, 10.0]);
    let g = DemoOptions::small().ct;
    for n in &manifest.nodules {
        assert!(n.voxel[0] >= 0.0 && n.voxel[0] <= f64::from(g.slices - 1));
        assert!(n.voxel[1] >= 0.0 && n.voxel[1] < f64::from(g.rows));
        assert!(n.voxel[2] >= 0.0 && n.voxel[2] < f64::from(g.columns));
    }
}

#[test]
fn invalid_options_are_rejected_with_a_reason() {
    let opts = DemoOptions {
        ct_subset_stride: 0,
        ..DemoOptions::small()
    };
    let err = demo_in_memory(&opts).unwrap_err().to_string();
    assert!(err.contains("ct_subset_stride"), "{err}");
}

#[test]
fn rle_files_decode_with_dicom_pixeldata_to_the_native_pixels() {
    use dicom_pixeldata::PixelDecoder;
    let (manifest, files) = demo_in_memory(&DemoOptions::small()).unwrap();
    let open = |study: &str, ts: TransferSyntax, number: u32| {
        let (_, series) = manifest
            .all_series()
            .find(|(st, se)| st.folder == study && se.transfer_syntax == ts)
            .unwrap();
        let inst = series
            .instances
            .iter()
            .find(|i| i.instance_number == number)
            .unwrap();
        let bytes = &files.iter().find(|(p, _)| *p == inst.path).unwrap().1;
        from_reader(&bytes[128..]).unwrap()
    };
    // CT: subset instance 3 is slice index 8 = main instance 9 (16-bit signed, 2 segments).
    let rle = open("ct-chest", TransferSyntax::RleLossless, 3);
    let native = open("ct-chest", TransferSyntax::ExplicitVrLittleEndian, 9);
    let decoded = rle.decode_pixel_data().unwrap();
    let raw = native
        .element(tags::PIXEL_DATA)
        .unwrap()
        .to_bytes()
        .unwrap();
    assert_eq!(decoded.frame_data(0).unwrap(), &raw[..]);
    // US: RGB, 3 segments per frame, every frame.
    let rle = open("us-cine", TransferSyntax::RleLossless, 1);
    let native = open("us-cine", TransferSyntax::ExplicitVrLittleEndian, 1);
    let decoded = rle.decode_pixel_data().unwrap();
    let raw = native
        .element(tags::PIXEL_DATA)
        .unwrap()
        .to_bytes()
        .unwrap();
    assert_eq!(decoded.data(), &raw[..]);
}

#[test]
fn one_study_can_be_written_alone() {
    let dir = std::env::temp_dir().join(format!("lumen-phantom-us-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let study = lumen_phantom::write_us_study(&dir, &DemoOptions::small()).unwrap();
    assert_eq!(study.folder, "us-cine");
    assert_eq!(study.series.len(), 2);
    for series in &study.series {
        let file = open_file(dir.join(&series.instances[0].path)).unwrap();
        assert_eq!(str_of(&file, tags::NUMBER_OF_FRAMES), "32");
        assert_eq!(str_of(&file, tags::FRAME_TIME), "33.333333");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
