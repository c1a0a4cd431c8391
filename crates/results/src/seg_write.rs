//! The writer: a DICOM Segmentation (BINARY) of one segmentation run over the slices of a series.

use dicom_core::value::{PrimitiveValue, C};
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use snafu::ensure;

use crate::bits::BitWriter;
use crate::cielab::srgb_to_dicom_lab;
use crate::codes;
use crate::dicom::{clean, code_item, has_non_ascii, put, put_seq};
use crate::uid::check_uid;
use crate::write::{lumen_coding_scheme, part10, put_patient_study};
use crate::{ContentDateTime, Error, InvalidInputSnafu, NewUids, SegmentationRun, SourceSlice};

/// Segmentation Storage.
pub const SEGMENTATION_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.66.4";
/// Series Number of the new SEG series (after the SR series' [`crate::SR_SERIES_NUMBER`]).
pub const SEG_SERIES_NUMBER: u32 = 9902;

/// Positions closer than this (mm, along the slice normal) are the same position.
const SAME_POSITION_MM: f64 = 1e-3;
/// Direction cosines and spacings that differ by less than this are the same.
const SAME_GEOMETRY: f64 = 1e-4;

/// Writes the DICOM Segmentation of one run of a segmentation model over `slices` (see the crate documentation
/// for the layout) as Part 10 bytes, Explicit VR Little Endian.
///
/// `label_maps[i]` is the model's output on `slices[i]`: one label index per pixel, row by row, `rows × columns`
/// of them, 0 the background and `i` ≥ 1 the label `run.labels[i]` (segment number `i`). Each segment gets one
/// frame per slice where it has at least one pixel, so empty slices cost nothing; when no slice holds any label,
/// one empty frame (segment 1 on the lowest slice) is written, as a Segmentation must have a frame, and the object
/// still records that the model ran and found nothing.
///
/// The slices must be of one study and one Frame of Reference, share size, orientation, pixel spacing and slice
/// thickness (the Shared Functional Groups), and be at distinct positions; their order is free (frames go by
/// segment, then by position along the slice normal). Refuses invalid UIDs and labels outside `run.labels`.
pub fn segmentation_seg<M: AsRef<[u8]>>(
    run: &SegmentationRun,
    slices: &[SourceSlice],
    label_maps: &[M],
    uids: &NewUids,
    content: &ContentDateTime,
) -> Result<Vec<u8>, Error> {
    run.validate()?;
    check_uid("new Series Instance UID", &uids.series)?;
    check_uid("new SOP Instance UID", &uids.instance)?;
    ensure!(
        uids.instance.len() <= 62,
        InvalidInputSnafu {
            what: "new SOP Instance UID",
            problem: "longer than 62 characters (the Dimension Organization UID appends \".1\")"
        }
    );
    let Some(first) = slices.first() else {
        return InvalidInputSnafu {
            what: "slices",
            problem: "none given",
        }
        .fail();
    };
    ensure!(
        label_maps.len() == slices.len(),
        InvalidInputSnafu {
            what: "label maps",
            problem: format!(
                "{} label maps for {} slices",
                label_maps.len(),
                slices.len()
            )
        }
    );
    ensure!(
        uids.series != uids.instance
            && slices
                .iter()
                .all(|s| s.image.series_instance_uid != uids.series),
        InvalidInputSnafu {
            what: "new UIDs",
            problem: "the new series and instance UIDs must be new and distinct"
        }
    );
    check_slices(slices, label_maps, run.labels.len())?;

    // Slices by position along the normal: the second dimension's index.
    let normal = first.normal();
    let along = |s: &SourceSlice| dot(&s.image_position, &normal);
    let mut order: Vec<usize> = (0..slices.len()).collect();
    order.sort_by(|&a, &b| along(&slices[a]).total_cmp(&along(&slices[b])));
    for pair in order.windows(2) {
        ensure!(
            along(&slices[pair[1]]) - along(&slices[pair[0]]) > SAME_POSITION_MM,
            InvalidInputSnafu {
                what: "slices",
                problem: format!(
                    "{:?} and {:?} are at the same position",
                    slices[pair[0]].image.sop_instance_uid, slices[pair[1]].image.sop_instance_uid
                )
            }
        );
    }

    // Frames: (segment, slice), by segment then position, only where the segment has a pixel.
    let mut frames: Vec<(u8, usize)> = Vec::new();
    for segment in 1..run.labels.len() {
        let segment = segment as u8;
        for &i in &order {
            if label_maps[i].as_ref().contains(&segment) {
                frames.push((segment, i));
            }
        }
    }
    if frames.is_empty() {
        frames.push((1, order[0]));
    }
    let position_index = {
        let mut index = vec![0u32; slices.len()];
        for (rank, &i) in order.iter().enumerate() {
            index[i] = rank as u32 + 1;
        }
        index
    };

    let pixels = u64::from(first.rows) * u64::from(first.columns);
    let mut bits = BitWriter::with_capacity(pixels * frames.len() as u64);
    for &(segment, i) in &frames {
        for &label in label_maps[i].as_ref() {
            bits.push(label == segment);
        }
    }

    let mut obj = InMemDicomObject::new_empty();
    header(&mut obj, run, first, slices, uids, content, frames.len());
    put_seq(
        &mut obj,
        tags::SEGMENT_SEQUENCE,
        run.labels
            .iter()
            .enumerate()
            .skip(1)
            .map(|(n, _)| segment_item(run, n))
            .collect(),
    );
    put_seq(
        &mut obj,
        tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
        vec![shared_groups(first)],
    );
    put_seq(
        &mut obj,
        tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
        frames
            .iter()
            .map(|&(segment, i)| frame_groups(&slices[i], segment, position_index[i]))
            .collect(),
    );
    dimensions(&mut obj, &format!("{}.1", uids.instance));
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PrimitiveValue::U8(C::from_vec(bits.finish())),
    ));
    if has_non_ascii(&obj) {
        put(&mut obj, tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192");
    }
    part10(obj, SEGMENTATION_STORAGE, &uids.instance)
}

/// Every slice valid, of the first's study, frame of reference and geometry, once; every label map complete
/// and within the labels.
fn check_slices<M: AsRef<[u8]>>(
    slices: &[SourceSlice],
    label_maps: &[M],
    labels: usize,
) -> Result<(), Error> {
    let first = &slices[0];
    let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < SAME_GEOMETRY);
    for (i, (s, map)) in slices.iter().zip(label_maps).enumerate() {
        let what = format!("slice {i} ({:?})", s.image.sop_instance_uid);
        s.validate(&what)?;
        let bad = |problem: String| InvalidInputSnafu {
            what: what.clone(),
            problem,
        };
        ensure!(
            s.image.study_instance_uid == first.image.study_instance_uid,
            bad("is of another study than slice 0".into())
        );
        ensure!(
            s.frame_of_reference_uid == first.frame_of_reference_uid,
            bad("is in another Frame of Reference than slice 0".into())
        );
        ensure!(
            (s.rows, s.columns) == (first.rows, first.columns)
                && close(&s.image_orientation, &first.image_orientation)
                && close(&s.pixel_spacing, &first.pixel_spacing)
                && match (s.slice_thickness, first.slice_thickness) {
                    (Some(a), Some(b)) => (a - b).abs() < SAME_GEOMETRY,
                    (a, b) => a.is_none() && b.is_none(),
                },
            bad(
                "differs from slice 0 in size, orientation, pixel spacing or slice thickness"
                    .into()
            )
        );
        ensure!(
            !slices[..i]
                .iter()
                .any(|p| p.image.sop_instance_uid == s.image.sop_instance_uid
                    && p.image.frame_number == s.image.frame_number),
            bad("is given twice".into())
        );
        let map = map.as_ref();
        let pixels = usize::from(s.rows) * usize::from(s.columns);
        ensure!(
            map.len() == pixels,
            bad(format!(
                "the label map has {} values for {} × {} pixels",
                map.len(),
                s.rows,
                s.columns
            ))
        );
        if let Some(&label) = map.iter().find(|&&l| usize::from(l) >= labels) {
            return bad(format!(
                "the label map holds label {label}, but the model has labels 0 to {}",
                labels - 1
            ))
            .fail();
        }
    }
    Ok(())
}

/// SOP Common, Patient, General Study, General and Segmentation Series, Frame of Reference, General and Enhanced
/// General Equipment, General Image, Image Pixel, Segmentation Image (less the Segment Sequence), Multi-frame
/// Functional Groups (less the groups), Common Instance Reference.
fn header(
    obj: &mut InMemDicomObject,
    run: &SegmentationRun,
    first: &SourceSlice,
    slices: &[SourceSlice],
    uids: &NewUids,
    content: &ContentDateTime,
    frames: usize,
) {
    put_patient_study(obj, &first.image);
    put(obj, tags::INSTANCE_CREATION_DATE, VR::DA, content.date());
    put(obj, tags::INSTANCE_CREATION_TIME, VR::TM, content.time());
    put(obj, tags::SOP_CLASS_UID, VR::UI, SEGMENTATION_STORAGE);
    put(obj, tags::SOP_INSTANCE_UID, VR::UI, &uids.instance);
    if let Some(offset) = content.utc_offset() {
        put(obj, tags::TIMEZONE_OFFSET_FROM_UTC, VR::SH, offset);
    }
    // The private scheme is declared when a segment's code uses it.
    if run.labels[1..]
        .iter()
        .any(|l| l.code.scheme == codes::LUMEN_SCHEME || l.category.scheme == codes::LUMEN_SCHEME)
    {
        put_seq(
            obj,
            tags::CODING_SCHEME_IDENTIFICATION_SEQUENCE,
            vec![lumen_coding_scheme()],
        );
    }

    put(obj, tags::MODALITY, VR::CS, "SEG");
    put(obj, tags::SERIES_INSTANCE_UID, VR::UI, &uids.series);
    put(
        obj,
        tags::SERIES_NUMBER,
        VR::IS,
        &SEG_SERIES_NUMBER.to_string(),
    );
    put(obj, tags::SERIES_DATE, VR::DA, content.date());
    put(obj, tags::SERIES_TIME, VR::TM, content.time());
    put(
        obj,
        tags::SERIES_DESCRIPTION,
        VR::LO,
        &clean(&format!("Lumen AI: {}", model_name(run)), 64),
    );

    put(
        obj,
        tags::FRAME_OF_REFERENCE_UID,
        VR::UI,
        &first.frame_of_reference_uid,
    );
    put(obj, tags::POSITION_REFERENCE_INDICATOR, VR::LO, "");

    put(
        obj,
        tags::MANUFACTURER,
        VR::LO,
        &clean(&run.manufacturer, 64),
    );
    put(
        obj,
        tags::MANUFACTURER_MODEL_NAME,
        VR::LO,
        &clean(model_name(run), 64),
    );
    put(
        obj,
        tags::DEVICE_SERIAL_NUMBER,
        VR::LO,
        &clean(&run.model_version, 64),
    );
    put(
        obj,
        tags::SOFTWARE_VERSIONS,
        VR::LO,
        &clean(&format!("lumen-results {}", env!("CARGO_PKG_VERSION")), 64),
    );

    put(obj, tags::INSTANCE_NUMBER, VR::IS, "1");
    put(obj, tags::CONTENT_DATE, VR::DA, content.date());
    put(obj, tags::CONTENT_TIME, VR::TM, content.time());
    obj.put(DataElement::new(
        tags::IMAGE_TYPE,
        VR::CS,
        PrimitiveValue::Strs(C::from_vec(vec!["DERIVED".into(), "PRIMARY".into()])),
    ));
    put(
        obj,
        tags::CONTENT_LABEL,
        VR::CS,
        &content_label(&run.model_id),
    );
    put(
        obj,
        tags::CONTENT_DESCRIPTION,
        VR::LO,
        &clean(
            &format!("Lumen AI: {} {}", model_name(run), run.model_version),
            64,
        ),
    );
    // A device, not a person, made it: the type 2 Content Creator's Name stays empty.
    put(obj, tags::CONTENT_CREATOR_NAME, VR::PN, "");

    us(obj, tags::SAMPLES_PER_PIXEL, &[1]);
    put(obj, tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2");
    us(obj, tags::ROWS, &[first.rows]);
    us(obj, tags::COLUMNS, &[first.columns]);
    us(obj, tags::BITS_ALLOCATED, &[1]);
    us(obj, tags::BITS_STORED, &[1]);
    us(obj, tags::HIGH_BIT, &[0]);
    us(obj, tags::PIXEL_REPRESENTATION, &[0]);
    put(obj, tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00");
    put(obj, tags::SEGMENTATION_TYPE, VR::CS, "BINARY");
    put(obj, tags::SEGMENTS_OVERLAP, VR::CS, "NO");
    put(obj, tags::NUMBER_OF_FRAMES, VR::IS, &frames.to_string());

    // Common Instance Reference: every source slice, by series (in first-seen order).
    let mut series: Vec<(&str, Vec<InMemDicomObject>)> = Vec::new();
    for s in slices {
        let mut sop = InMemDicomObject::new_empty();
        put(
            &mut sop,
            tags::REFERENCED_SOP_CLASS_UID,
            VR::UI,
            &s.image.sop_class_uid,
        );
        put(
            &mut sop,
            tags::REFERENCED_SOP_INSTANCE_UID,
            VR::UI,
            &s.image.sop_instance_uid,
        );
        let uid = s.image.series_instance_uid.as_str();
        match series.iter_mut().find(|(u, _)| *u == uid) {
            Some((_, list)) => {
                // A multi-frame source is one instance, whichever frames were segmented.
                if !slices_same_instance(list, &s.image.sop_instance_uid) {
                    list.push(sop);
                }
            }
            None => series.push((uid, vec![sop])),
        }
    }
    put_seq(
        obj,
        tags::REFERENCED_SERIES_SEQUENCE,
        series
            .into_iter()
            .map(|(uid, instances)| {
                let mut item = InMemDicomObject::new_empty();
                put(&mut item, tags::SERIES_INSTANCE_UID, VR::UI, uid);
                put_seq(&mut item, tags::REFERENCED_INSTANCE_SEQUENCE, instances);
                item
            })
            .collect(),
    );
}

fn slices_same_instance(list: &[InMemDicomObject], uid: &str) -> bool {
    list.iter()
        .any(|i| crate::dicom::text(i, tags::REFERENCED_SOP_INSTANCE_UID).as_deref() == Some(uid))
}

/// One Segment Sequence item: label `n` of the run as segment `n`.
fn segment_item(run: &SegmentationRun, n: usize) -> InMemDicomObject {
    let label = &run.labels[n];
    let mut item = InMemDicomObject::new_empty();
    us(&mut item, tags::SEGMENT_NUMBER, &[n as u16]);
    let name = if label.display.trim().is_empty() {
        &label.code.meaning
    } else {
        &label.display
    };
    put(&mut item, tags::SEGMENT_LABEL, VR::LO, &clean(name, 64));
    put(&mut item, tags::SEGMENT_ALGORITHM_TYPE, VR::CS, "AUTOMATIC");
    put(
        &mut item,
        tags::SEGMENT_ALGORITHM_NAME,
        VR::LO,
        &clean(model_name(run), 64),
    );
    let mut algorithm = InMemDicomObject::new_empty();
    put_seq(
        &mut algorithm,
        tags::ALGORITHM_FAMILY_CODE_SEQUENCE,
        vec![code_item(&codes::ARTIFICIAL_INTELLIGENCE.code())],
    );
    put(
        &mut algorithm,
        tags::ALGORITHM_NAME,
        VR::LO,
        &clean(model_name(run), 64),
    );
    put(
        &mut algorithm,
        tags::ALGORITHM_VERSION,
        VR::LO,
        &clean(&run.model_version, 64),
    );
    let mut parameters = format!("model={}", run.model_id);
    if !run.backend.trim().is_empty() {
        parameters += &format!("; backend={}", run.backend.trim());
    }
    put(
        &mut algorithm,
        tags::ALGORITHM_PARAMETERS,
        VR::LT,
        &parameters.replace('\0', ""),
    );
    put(
        &mut algorithm,
        tags::ALGORITHM_SOURCE,
        VR::LO,
        &clean(&run.manufacturer, 64),
    );
    put_seq(
        &mut item,
        tags::SEGMENTATION_ALGORITHM_IDENTIFICATION_SEQUENCE,
        vec![algorithm],
    );
    put_seq(
        &mut item,
        tags::SEGMENTED_PROPERTY_CATEGORY_CODE_SEQUENCE,
        vec![code_item(&label.category)],
    );
    put_seq(
        &mut item,
        tags::SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE,
        vec![code_item(&label.code)],
    );
    us(
        &mut item,
        tags::RECOMMENDED_DISPLAY_CIE_LAB_VALUE,
        &srgb_to_dicom_lab(label.colour),
    );
    item
}

/// Pixel Measures and Plane Orientation (Patient), the same for every frame.
fn shared_groups(first: &SourceSlice) -> InMemDicomObject {
    let mut measures = InMemDicomObject::new_empty();
    ds(&mut measures, tags::PIXEL_SPACING, &first.pixel_spacing);
    if let Some(t) = first.slice_thickness {
        ds(&mut measures, tags::SLICE_THICKNESS, &[t]);
    }
    let mut orientation = InMemDicomObject::new_empty();
    ds(
        &mut orientation,
        tags::IMAGE_ORIENTATION_PATIENT,
        &first.image_orientation,
    );
    let mut shared = InMemDicomObject::new_empty();
    put_seq(&mut shared, tags::PIXEL_MEASURES_SEQUENCE, vec![measures]);
    put_seq(
        &mut shared,
        tags::PLANE_ORIENTATION_SEQUENCE,
        vec![orientation],
    );
    shared
}

/// Derivation Image, Frame Content, Plane Position (Patient) and Segment Identification of one frame.
fn frame_groups(slice: &SourceSlice, segment: u8, position_index: u32) -> InMemDicomObject {
    let mut source = InMemDicomObject::new_empty();
    put(
        &mut source,
        tags::REFERENCED_SOP_CLASS_UID,
        VR::UI,
        &slice.image.sop_class_uid,
    );
    put(
        &mut source,
        tags::REFERENCED_SOP_INSTANCE_UID,
        VR::UI,
        &slice.image.sop_instance_uid,
    );
    if let Some(frame) = slice.image.frame_number {
        put(
            &mut source,
            tags::REFERENCED_FRAME_NUMBER,
            VR::IS,
            &frame.to_string(),
        );
    }
    put_seq(
        &mut source,
        tags::PURPOSE_OF_REFERENCE_CODE_SEQUENCE,
        vec![code_item(&codes::SOURCE_IMAGE_FOR_PROCESSING.code())],
    );
    // The frame's pixels are the source's pixels, one for one.
    put(
        &mut source,
        tags::SPATIAL_LOCATIONS_PRESERVED,
        VR::CS,
        "YES",
    );
    let mut derivation = InMemDicomObject::new_empty();
    put_seq(
        &mut derivation,
        tags::DERIVATION_CODE_SEQUENCE,
        vec![code_item(&codes::SEGMENTATION.code())],
    );
    put_seq(&mut derivation, tags::SOURCE_IMAGE_SEQUENCE, vec![source]);

    let mut content = InMemDicomObject::new_empty();
    content.put(DataElement::new(
        tags::DIMENSION_INDEX_VALUES,
        VR::UL,
        PrimitiveValue::U32(C::from_vec(vec![u32::from(segment), position_index])),
    ));
    let mut position = InMemDicomObject::new_empty();
    ds(
        &mut position,
        tags::IMAGE_POSITION_PATIENT,
        &slice.image_position,
    );
    let mut identification = InMemDicomObject::new_empty();
    us(
        &mut identification,
        tags::REFERENCED_SEGMENT_NUMBER,
        &[u16::from(segment)],
    );

    let mut groups = InMemDicomObject::new_empty();
    put_seq(
        &mut groups,
        tags::DERIVATION_IMAGE_SEQUENCE,
        vec![derivation],
    );
    put_seq(&mut groups, tags::FRAME_CONTENT_SEQUENCE, vec![content]);
    put_seq(&mut groups, tags::PLANE_POSITION_SEQUENCE, vec![position]);
    put_seq(
        &mut groups,
        tags::SEGMENT_IDENTIFICATION_SEQUENCE,
        vec![identification],
    );
    groups
}

/// Multi-frame Dimension: frames are indexed by Referenced Segment Number, then Image Position (Patient).
fn dimensions(obj: &mut InMemDicomObject, organization_uid: &str) {
    let mut organization = InMemDicomObject::new_empty();
    put(
        &mut organization,
        tags::DIMENSION_ORGANIZATION_UID,
        VR::UI,
        organization_uid,
    );
    put_seq(
        obj,
        tags::DIMENSION_ORGANIZATION_SEQUENCE,
        vec![organization],
    );
    let index = |pointer: Tag, group: Tag, label: &str| {
        let mut item = InMemDicomObject::new_empty();
        put(
            &mut item,
            tags::DIMENSION_ORGANIZATION_UID,
            VR::UI,
            organization_uid,
        );
        item.put(DataElement::new(
            tags::DIMENSION_INDEX_POINTER,
            VR::AT,
            PrimitiveValue::Tags(C::from_vec(vec![pointer])),
        ));
        item.put(DataElement::new(
            tags::FUNCTIONAL_GROUP_POINTER,
            VR::AT,
            PrimitiveValue::Tags(C::from_vec(vec![group])),
        ));
        put(&mut item, tags::DIMENSION_DESCRIPTION_LABEL, VR::LO, label);
        item
    };
    put_seq(
        obj,
        tags::DIMENSION_INDEX_SEQUENCE,
        vec![
            index(
                tags::REFERENCED_SEGMENT_NUMBER,
                tags::SEGMENT_IDENTIFICATION_SEQUENCE,
                "Segment Number",
            ),
            index(
                tags::IMAGE_POSITION_PATIENT,
                tags::PLANE_POSITION_SEQUENCE,
                "Image Position (Patient)",
            ),
        ],
    );
}

/// The model's name, or its id when the manifest gives no name.
fn model_name(run: &SegmentationRun) -> &str {
    if run.model_name.trim().is_empty() {
        &run.model_id
    } else {
        &run.model_name
    }
}

/// Content Label (CS, at most 16 of `A–Z 0–9 _`, PS3.3 C.10.9) from the model id: `ct-organs` → `CT_ORGANS`.
pub(crate) fn content_label(model_id: &str) -> String {
    let label: String = model_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .take(16)
        .collect();
    let label = label.trim_matches('_').to_string();
    if label.is_empty() {
        "SEGMENTATION".into()
    } else {
        label
    }
}

fn us(obj: &mut InMemDicomObject, tag: Tag, values: &[u16]) {
    obj.put(DataElement::new(
        tag,
        VR::US,
        PrimitiveValue::U16(C::from_slice(values)),
    ));
}

fn ds(obj: &mut InMemDicomObject, tag: Tag, values: &[f64]) {
    obj.put(DataElement::new(
        tag,
        VR::DS,
        PrimitiveValue::Strs(values.iter().map(|&v| decimal(v)).collect()),
    ));
}

fn dot(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// DS text (at most 16 characters) of a finite f64: the shortest text that reads back as the same number when it
/// fits, else as many decimals as fit (a position of `-123.45678901234` keeps 11 of them).
pub(crate) fn decimal(v: f64) -> String {
    let v = if v == 0.0 { 0.0 } else { v }; // no "-0"
    let plain = format!("{v}");
    if plain.len() <= 16 {
        return plain;
    }
    for decimals in (0..=15).rev() {
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        if s.len() <= 16 {
            return s;
        }
    }
    // Beyond 10^16 only an exponent fits.
    format!("{v:.6e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_fit_ds() {
        assert_eq!(decimal(0.5), "0.5");
        assert_eq!(decimal(-0.0), "0");
        assert_eq!(decimal(-125.0), "-125");
        assert_eq!(decimal(0.1 + 0.2), "0.3");
        assert_eq!(decimal(-123.456_789_012_345_67), "-123.45678901235");
        assert_eq!(decimal(1e-20), "0");
        for v in [1.0 / 3.0, -172.5 / 7.0, 1e17, -1e300, 2.5e-7] {
            let s = decimal(v);
            assert!(s.len() <= 16, "{v} -> {s}");
            let back: f64 = s.parse().unwrap();
            assert!((back - v).abs() <= v.abs() * 1e-6 + 1e-14, "{v} -> {s}");
        }
    }

    #[test]
    fn content_labels_are_code_strings() {
        assert_eq!(content_label("ct-organs"), "CT_ORGANS");
        assert_eq!(content_label("a-very-long-model-name"), "A_VERY_LONG_MODE");
        assert_eq!(content_label("--"), "SEGMENTATION");
        assert_eq!(content_label("肺"), "SEGMENTATION");
    }
}
