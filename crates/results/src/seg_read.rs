//! The reader: a DICOM Segmentation back into label maps the viewer can overlay.

use std::collections::{HashMap, HashSet};

use dicom_core::value::{PrimitiveValue, Value};
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use serde::{Deserialize, Serialize};

use crate::bits::bit;
use crate::cielab::dicom_lab_to_srgb;
use crate::codes::Code;
use crate::dicom::{code_of, items, text};
use crate::read::open_part10;
use crate::{Error, MANUFACTURER, SEGMENTATION_STORAGE};

/// The most label map bytes (slices × rows × columns) [`read_segmentation`] allocates: 1 GiB, a 4000-slice
/// 512 × 512 CT; a file that declares more is refused rather than exhausting the browser's memory.
pub const MAX_LABEL_MAP_BYTES: u64 = 1 << 30;

/// Transfer syntaxes whose Pixel Data is native (not encapsulated): Implicit and Explicit VR Little Endian,
/// Deflated Explicit VR Little Endian.
const NATIVE_TRANSFER_SYNTAXES: [&str; 3] = [
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.1.99",
];

/// One segment of a Segmentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Segment Number: the value of its pixels in [`SliceLabelMap::labels`].
    pub number: u8,
    /// Segment Label.
    pub label: String,
    /// The Recommended Display CIELab Value as sRGB, when given.
    pub colour: Option<[u8; 3]>,
    /// Segmented Property Category and Type.
    pub category: Option<Code>,
    pub property_type: Option<Code>,
    /// `AUTOMATIC`, `SEMIAUTOMATIC` or `MANUAL`.
    pub algorithm_type: String,
    /// Segment Algorithm Name (else the Algorithm Name of its Algorithm Identification).
    pub algorithm_name: Option<String>,
    /// Algorithm Version of its Algorithm Identification.
    pub algorithm_version: Option<String>,
}

/// The labels of one source slice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SliceLabelMap {
    pub sop_class_uid: String,
    pub sop_instance_uid: String,
    /// The source frame (Referenced Frame Number) when the frames reference one: a multi-frame source's
    /// frame; `None` for a single-frame source as Lumen references it.
    pub frame_number: Option<u32>,
    pub rows: u16,
    pub columns: u16,
    /// One value per pixel, row by row: 0 where no segment is, else the [`Segment::number`]. Where segments
    /// overlap (other writers may let them; Lumen's never do) the highest segment number wins.
    pub labels: Vec<u8>,
}

/// What a Segmentation holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segmentation {
    pub sop_instance_uid: String,
    pub series_instance_uid: String,
    pub study_instance_uid: String,
    pub frame_of_reference_uid: Option<String>,
    pub content_label: String,
    /// Content Date and Time (DA, TM) as stored.
    pub content_date: String,
    pub content_time: String,
    /// Manufacturer and Manufacturer's Model Name (Lumen: `Lumen` and the model's name).
    pub manufacturer: String,
    pub model_name: String,
    /// True when Lumen wrote it (Manufacturer `Lumen`).
    pub written_by_lumen: bool,
    /// In stored order.
    pub segments: Vec<Segment>,
    /// Every source the Segmentation references (the Referenced Series Sequence, then any other frame's source),
    /// in that order; a source with no frame has a label map of zeros.
    pub slices: Vec<SliceLabelMap>,
}

impl Segmentation {
    /// The label map of a source instance (the first listed, for a multi-frame source: see `slices` for the others).
    pub fn label_map(&self, sop_instance_uid: &str) -> Option<&SliceLabelMap> {
        self.slices
            .iter()
            .find(|s| s.sop_instance_uid == sop_instance_uid)
    }

    /// The segment with a number.
    pub fn segment(&self, number: u8) -> Option<&Segment> {
        self.segments.iter().find(|s| s.number == number)
    }
}

/// Reads a DICOM Segmentation (Part 10 bytes, with or without the preamble): Lumen's, or another writer's with
/// native (uncompressed) Pixel Data, BINARY or FRACTIONAL (a fractional pixel counts when it is more than half
/// the Maximum Fractional Value), segment numbers up to 255, every frame derived from one source image.
///
/// Errors, never panics, on bytes that are not DICOM, another SOP Class, encapsulated Pixel Data, a frame count
/// that disagrees with the Per-frame Functional Groups, Pixel Data shorter than the frames, a frame without a
/// segment or a source, or more than [`MAX_LABEL_MAP_BYTES`] of label maps.
pub fn read_segmentation(bytes: &[u8]) -> Result<Segmentation, Error> {
    let file = open_part10(bytes)?;
    let transfer_syntax = file
        .meta()
        .transfer_syntax()
        .trim_end_matches(['\0', ' '])
        .to_string();
    let obj: &InMemDicomObject = &file;
    let sop_class_uid = text(obj, tags::SOP_CLASS_UID).unwrap_or_default();
    if sop_class_uid != SEGMENTATION_STORAGE {
        return Err(Error::NotSegmentation { sop_class_uid });
    }
    let sop_instance_uid = text(obj, tags::SOP_INSTANCE_UID).unwrap_or_default();
    let bad = |problem: String| Error::BadSegmentation {
        sop_instance_uid: sop_instance_uid.clone(),
        problem,
    };
    if !NATIVE_TRANSFER_SYNTAXES.contains(&transfer_syntax.as_str()) {
        return Err(bad(format!(
            "transfer syntax {transfer_syntax} (encapsulated Pixel Data) is not supported"
        )));
    }

    let number = |tag: Tag, name: &str| -> Result<u64, Error> {
        obj.get(tag)
            .and_then(|e| e.to_int::<u64>().ok())
            .ok_or_else(|| bad(format!("no {name}")))
    };
    let rows = number(tags::ROWS, "Rows")?;
    let columns = number(tags::COLUMNS, "Columns")?;
    if rows == 0 || columns == 0 || rows > 0xFFFF || columns > 0xFFFF {
        return Err(bad(format!("{rows} rows × {columns} columns")));
    }
    let frames = number(tags::NUMBER_OF_FRAMES, "Number of Frames")?;
    let bits_allocated = number(tags::BITS_ALLOCATED, "Bits Allocated")?;
    let segmentation_type = text(obj, tags::SEGMENTATION_TYPE).unwrap_or_default();
    // A pixel is in its frame's segment when its value reaches `threshold`.
    let threshold: u8 = match (segmentation_type.as_str(), bits_allocated) {
        ("BINARY", 1) => 1,
        ("FRACTIONAL", 8) => {
            let max = number(tags::MAXIMUM_FRACTIONAL_VALUE, "Maximum Fractional Value")?;
            if !(1..=255).contains(&max) {
                return Err(bad(format!("Maximum Fractional Value {max}")));
            }
            (max / 2 + 1) as u8
        }
        (t, b) => {
            return Err(bad(format!(
                "Segmentation Type {t:?} with {b} bits allocated is not supported"
            )))
        }
    };

    let segments = items(obj, tags::SEGMENT_SEQUENCE)
        .iter()
        .map(|item| segment(item, &bad))
        .collect::<Result<Vec<_>, _>>()?;
    if segments.is_empty() {
        return Err(bad("no Segment Sequence".into()));
    }
    for (i, s) in segments.iter().enumerate() {
        if segments[..i].iter().any(|p| p.number == s.number) {
            return Err(bad(format!("segment number {} is used twice", s.number)));
        }
    }

    let per_frame = items(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    if per_frame.len() as u64 != frames {
        return Err(bad(format!(
            "Number of Frames is {frames} but the Per-frame Functional Groups Sequence has {} items",
            per_frame.len()
        )));
    }
    let shared = items(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).first();

    let pixels_per_frame = rows * columns;
    let bits_per_frame = pixels_per_frame * bits_allocated;
    let needed = (frames * bits_per_frame).div_ceil(8);
    let data = pixel_data(obj).ok_or_else(|| bad("no native Pixel Data".into()))?;
    if (data.len() as u64) < needed {
        return Err(bad(format!(
            "Pixel Data has {} bytes, {frames} frames of {rows} × {columns} at {bits_allocated} bit{} need {needed}",
            data.len(),
            if bits_allocated == 1 { "" } else { "s" }
        )));
    }

    // The sources: the Common Instance Reference first, then each frame's.
    let mut slices: Vec<SliceLabelMap> = Vec::new();
    let mut index: HashMap<(String, Option<u32>), usize> = HashMap::new();
    let mut add =
        |class: String, uid: String, frame: Option<u32>, slices: &mut Vec<SliceLabelMap>| {
            slot(
                &mut index,
                slices,
                class,
                uid,
                frame,
                (rows as u16, columns as u16),
            )
        };
    for series in items(obj, tags::REFERENCED_SERIES_SEQUENCE) {
        for instance in items(series, tags::REFERENCED_INSTANCE_SEQUENCE) {
            if let Some(uid) = text(instance, tags::REFERENCED_SOP_INSTANCE_UID) {
                let class = text(instance, tags::REFERENCED_SOP_CLASS_UID).unwrap_or_default();
                add(class, uid, None, &mut slices);
            }
        }
    }
    let mut frame_slice = Vec::with_capacity(per_frame.len());
    for (f, groups) in per_frame.iter().enumerate() {
        let group = |tag: Tag| {
            items(groups, tag)
                .first()
                .or_else(|| shared.and_then(|s| items(s, tag).first()))
        };
        let segment_number = group(tags::SEGMENT_IDENTIFICATION_SEQUENCE)
            .and_then(|g| g.get(tags::REFERENCED_SEGMENT_NUMBER))
            .and_then(|e| e.to_int::<u16>().ok())
            .ok_or_else(|| bad(format!("frame {} has no Referenced Segment Number", f + 1)))?;
        let segment = segments
            .iter()
            .find(|s| u16::from(s.number) == segment_number)
            .ok_or_else(|| {
                bad(format!(
                    "frame {} is of segment {segment_number}, which the Segment Sequence lacks",
                    f + 1
                ))
            })?;
        let source = group(tags::DERIVATION_IMAGE_SEQUENCE)
            .and_then(|d| items(d, tags::SOURCE_IMAGE_SEQUENCE).first())
            .and_then(|s| {
                let uid = text(s, tags::REFERENCED_SOP_INSTANCE_UID)?;
                Some((s, uid))
            })
            .ok_or_else(|| bad(format!("frame {} names no source image", f + 1)))?;
        let (source, uid) = source;
        let frame_number = match text(source, tags::REFERENCED_FRAME_NUMBER) {
            None => None,
            Some(n) => Some(
                n.parse::<u32>()
                    .map_err(|_| bad(format!("frame {} references source frame {n:?}", f + 1)))?,
            ),
        };
        let class = text(source, tags::REFERENCED_SOP_CLASS_UID).unwrap_or_default();
        frame_slice.push((segment.number, add(class, uid, frame_number, &mut slices)));
    }

    // A source the Common Instance Reference lists as a whole but whose frames are referenced by number (a
    // multi-frame source, or a writer that numbers the only frame) has the label maps of those frames only.
    let mut framed = vec![false; slices.len()];
    for &(_, i) in &frame_slice {
        framed[i] = true;
    }
    let numbered: HashSet<&str> = slices
        .iter()
        .filter(|s| s.frame_number.is_some())
        .map(|s| s.sop_instance_uid.as_str())
        .collect();
    let keep: Vec<bool> = slices
        .iter()
        .zip(&framed)
        .map(|(s, &framed)| {
            framed || s.frame_number.is_some() || !numbered.contains(s.sop_instance_uid.as_str())
        })
        .collect();
    let mut new_index = Vec::with_capacity(slices.len());
    let mut kept = 0;
    for &k in &keep {
        new_index.push(kept);
        kept += usize::from(k);
    }
    let mut i = 0;
    slices.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    for (_, slice) in &mut frame_slice {
        *slice = new_index[*slice];
    }

    if slices.len() as u64 * pixels_per_frame > MAX_LABEL_MAP_BYTES {
        return Err(bad(format!(
            "{} slices of {rows} × {columns} need more than {MAX_LABEL_MAP_BYTES} bytes of label maps",
            slices.len()
        )));
    }
    for s in &mut slices {
        s.labels = vec![0; pixels_per_frame as usize];
    }
    for (f, &(segment, slice)) in frame_slice.iter().enumerate() {
        let labels = &mut slices[slice].labels;
        let start = f as u64 * pixels_per_frame;
        for (p, label) in labels.iter_mut().enumerate() {
            let set = if bits_allocated == 1 {
                bit(&data, start + p as u64)
            } else {
                data[(start + p as u64) as usize] >= threshold
            };
            if set && segment > *label {
                *label = segment;
            }
        }
    }

    let manufacturer = text(obj, tags::MANUFACTURER).unwrap_or_default();
    Ok(Segmentation {
        series_instance_uid: text(obj, tags::SERIES_INSTANCE_UID).unwrap_or_default(),
        study_instance_uid: text(obj, tags::STUDY_INSTANCE_UID).unwrap_or_default(),
        frame_of_reference_uid: text(obj, tags::FRAME_OF_REFERENCE_UID),
        content_label: text(obj, tags::CONTENT_LABEL).unwrap_or_default(),
        content_date: text(obj, tags::CONTENT_DATE).unwrap_or_default(),
        content_time: text(obj, tags::CONTENT_TIME).unwrap_or_default(),
        written_by_lumen: manufacturer == MANUFACTURER,
        manufacturer,
        model_name: text(obj, tags::MANUFACTURER_MODEL_NAME).unwrap_or_default(),
        segments,
        slices,
        sop_instance_uid,
    })
}

/// The index of a source's label map, added (empty) when new.
fn slot(
    index: &mut HashMap<(String, Option<u32>), usize>,
    slices: &mut Vec<SliceLabelMap>,
    sop_class_uid: String,
    sop_instance_uid: String,
    frame_number: Option<u32>,
    (rows, columns): (u16, u16),
) -> usize {
    *index
        .entry((sop_instance_uid.clone(), frame_number))
        .or_insert_with(|| {
            slices.push(SliceLabelMap {
                sop_class_uid,
                sop_instance_uid,
                frame_number,
                rows,
                columns,
                labels: Vec::new(),
            });
            slices.len() - 1
        })
}

/// One Segment Sequence item.
fn segment(item: &InMemDicomObject, bad: &impl Fn(String) -> Error) -> Result<Segment, Error> {
    let number = item
        .get(tags::SEGMENT_NUMBER)
        .and_then(|e| e.to_int::<u16>().ok())
        .ok_or_else(|| bad("a segment has no Segment Number".into()))?;
    let number = u8::try_from(number)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| bad(format!("segment number {number} is outside 1 to 255")))?;
    let algorithm = items(item, tags::SEGMENTATION_ALGORITHM_IDENTIFICATION_SEQUENCE).first();
    let colour = item
        .get(tags::RECOMMENDED_DISPLAY_CIE_LAB_VALUE)
        .and_then(|e| e.to_multi_int::<u16>().ok())
        .filter(|v| v.len() == 3)
        .map(|v| dicom_lab_to_srgb([v[0], v[1], v[2]]));
    Ok(Segment {
        number,
        label: text(item, tags::SEGMENT_LABEL).unwrap_or_default(),
        colour,
        category: code_of(item, tags::SEGMENTED_PROPERTY_CATEGORY_CODE_SEQUENCE),
        property_type: code_of(item, tags::SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE),
        algorithm_type: text(item, tags::SEGMENT_ALGORITHM_TYPE).unwrap_or_default(),
        algorithm_name: text(item, tags::SEGMENT_ALGORITHM_NAME)
            .or_else(|| algorithm.and_then(|a| text(a, tags::ALGORITHM_NAME))),
        algorithm_version: algorithm.and_then(|a| text(a, tags::ALGORITHM_VERSION)),
    })
}

/// The native Pixel Data as little-endian bytes (OB, or OW as read from an Implicit VR file).
fn pixel_data(obj: &InMemDicomObject) -> Option<Vec<u8>> {
    match obj.get(tags::PIXEL_DATA)?.value() {
        Value::Primitive(PrimitiveValue::U8(v)) => Some(v.to_vec()),
        Value::Primitive(PrimitiveValue::U16(v)) => {
            Some(v.iter().flat_map(|w| w.to_le_bytes()).collect())
        }
        Value::Primitive(PrimitiveValue::Empty) => Some(Vec::new()),
        _ => None,
    }
}
