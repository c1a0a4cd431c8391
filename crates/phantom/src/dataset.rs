//! Building and writing the DICOM objects of the demo studies: the Patient, General Study, General Series,
//! General Equipment and SOP Common attributes shared by every phantom, the Pixel Data element in native or
//! encapsulated (RLE Lossless) form, and writing a Part 10 file (preamble, File Meta Information, data set) in the
//! requested transfer syntax with dicom-object's `FileMetaTableBuilder`.
//!
//! It must not decide anatomy or pixel values: callers hand it finished frames.

use std::path::Path;

use dicom_core::value::{PixelFragmentSequence, C};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::InMemDicomObject;
use snafu::ResultExt;

use crate::hash::uid;
use crate::rle;
use crate::{BuildMetaSnafu, EncodeRleSnafu, Error, WriteFileSnafu};

/// Implementation Version Name (0002,0013) written in every file (at most 16 characters).
pub const IMPLEMENTATION_VERSION_NAME: &str = "LUMEN_PHANTOM_1";

/// Implementation Class UID (0002,0012) written in every file.
pub fn implementation_class_uid() -> String {
    uid("lumen-phantom/implementation-class")
}

/// The transfer syntaxes the phantoms can be written in (all produced in pure Rust).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferSyntax {
    /// 1.2.840.10008.1.2.1
    ExplicitVrLittleEndian,
    /// 1.2.840.10008.1.2
    ImplicitVrLittleEndian,
    /// 1.2.840.10008.1.2.2 (retired, still met in archives)
    ExplicitVrBigEndian,
    /// 1.2.840.10008.1.2.1.99 (the whole data set after the meta group is deflated)
    DeflatedExplicitVrLittleEndian,
    /// 1.2.840.10008.1.2.5 (PS3.5 Annex G, one fragment per frame)
    RleLossless,
}

impl TransferSyntax {
    /// All syntaxes, main one first.
    pub const ALL: [TransferSyntax; 5] = [
        TransferSyntax::ExplicitVrLittleEndian,
        TransferSyntax::ImplicitVrLittleEndian,
        TransferSyntax::ExplicitVrBigEndian,
        TransferSyntax::DeflatedExplicitVrLittleEndian,
        TransferSyntax::RleLossless,
    ];

    /// The Transfer Syntax UID.
    pub fn uid(self) -> &'static str {
        match self {
            TransferSyntax::ExplicitVrLittleEndian => uids::EXPLICIT_VR_LITTLE_ENDIAN,
            TransferSyntax::ImplicitVrLittleEndian => uids::IMPLICIT_VR_LITTLE_ENDIAN,
            // Retired in PS3.5 (hence the deprecated constant in dicom-dictionary-std), still met in archives.
            TransferSyntax::ExplicitVrBigEndian => "1.2.840.10008.1.2.2",
            TransferSyntax::DeflatedExplicitVrLittleEndian => {
                uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN
            }
            TransferSyntax::RleLossless => uids::RLE_LOSSLESS,
        }
    }

    /// The name from PS3.6 Table A-1.
    pub fn name(self) -> &'static str {
        match self {
            TransferSyntax::ExplicitVrLittleEndian => "Explicit VR Little Endian",
            TransferSyntax::ImplicitVrLittleEndian => "Implicit VR Little Endian",
            TransferSyntax::ExplicitVrBigEndian => "Explicit VR Big Endian",
            TransferSyntax::DeflatedExplicitVrLittleEndian => "Deflated Explicit VR Little Endian",
            TransferSyntax::RleLossless => "RLE Lossless",
        }
    }

    /// A short lowercase slug for folder names ("explicit-le", "rle", …).
    pub fn slug(self) -> &'static str {
        match self {
            TransferSyntax::ExplicitVrLittleEndian => "explicit-le",
            TransferSyntax::ImplicitVrLittleEndian => "implicit-le",
            TransferSyntax::ExplicitVrBigEndian => "explicit-be",
            TransferSyntax::DeflatedExplicitVrLittleEndian => "deflated-le",
            TransferSyntax::RleLossless => "rle",
        }
    }
}

/// Patient module values.
#[derive(Debug, Clone)]
pub(crate) struct PatientInfo {
    pub name: String,
    pub id: String,
    pub birth_date: &'static str,
    pub sex: &'static str,
}

/// General Study module values.
#[derive(Debug, Clone)]
pub(crate) struct StudyInfo {
    pub uid: String,
    pub date: &'static str,
    pub time: &'static str,
    pub accession: String,
    pub description: String,
    pub id: &'static str,
}

/// General Series module values.
#[derive(Debug, Clone)]
pub(crate) struct SeriesInfo {
    pub uid: String,
    pub number: u32,
    pub description: String,
    pub modality: &'static str,
    pub body_part: &'static str,
}

pub(crate) fn put_str(obj: &mut InMemDicomObject, tag: Tag, vr: VR, value: &str) {
    obj.put(DataElement::new(tag, vr, PrimitiveValue::from(value)));
}

pub(crate) fn put_strs(obj: &mut InMemDicomObject, tag: Tag, vr: VR, values: &[String]) {
    let v: C<String> = values.iter().cloned().collect();
    obj.put(DataElement::new(tag, vr, PrimitiveValue::Strs(v)));
}

/// The Image Plane (PS3.3 C.7.6.2) and Frame of Reference attributes of one axial slice: Image Position and
/// Orientation (Patient), Frame of Reference UID, Position Reference Indicator, Slice Location (the z of the
/// position) and square Pixel Spacing.
pub(crate) fn put_image_plane(
    obj: &mut InMemDicomObject,
    position: [f64; 3],
    orientation: [f64; 6],
    frame_of_reference_uid: &str,
    position_reference_indicator: &str,
    pixel_spacing: f64,
) {
    put_strs(obj, tags::IMAGE_POSITION_PATIENT, VR::DS, &position.map(ds));
    put_strs(
        obj,
        tags::IMAGE_ORIENTATION_PATIENT,
        VR::DS,
        &orientation.map(ds),
    );
    put_str(
        obj,
        tags::FRAME_OF_REFERENCE_UID,
        VR::UI,
        frame_of_reference_uid,
    );
    put_str(
        obj,
        tags::POSITION_REFERENCE_INDICATOR,
        VR::LO,
        position_reference_indicator,
    );
    put_str(obj, tags::SLICE_LOCATION, VR::DS, &ds(position[2]));
    put_strs(
        obj,
        tags::PIXEL_SPACING,
        VR::DS,
        &[ds(pixel_spacing), ds(pixel_spacing)],
    );
}

pub(crate) fn put_us(obj: &mut InMemDicomObject, tag: Tag, value: u16) {
    obj.put(DataElement::new(
        tag,
        VR::US,
        PrimitiveValue::U16(C::from_elem(value, 1)),
    ));
}

/// Decimal String value: shortest exact-enough text that fits the 16-byte DS limit.
pub(crate) fn ds(v: f64) -> String {
    let mut s = format!("{v:.6}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s.truncate(16);
    s
}

/// The attributes every demo instance shares: SOP Common, Patient, General Study, General Series and General
/// Equipment. `charset` is the _Specific Character Set_ (0008,0005) when text is not plain ASCII.
pub(crate) fn base_object(
    charset: Option<&str>,
    sop_class_uid: &str,
    sop_instance_uid: &str,
    patient: &PatientInfo,
    study: &StudyInfo,
    series: &SeriesInfo,
    instance_number: u32,
) -> InMemDicomObject {
    let mut o = InMemDicomObject::new_empty();
    if let Some(cs) = charset {
        put_str(&mut o, tags::SPECIFIC_CHARACTER_SET, VR::CS, cs);
    }
    put_str(&mut o, tags::SOP_CLASS_UID, VR::UI, sop_class_uid);
    put_str(&mut o, tags::SOP_INSTANCE_UID, VR::UI, sop_instance_uid);
    put_str(&mut o, tags::STUDY_DATE, VR::DA, study.date);
    put_str(&mut o, tags::SERIES_DATE, VR::DA, study.date);
    put_str(&mut o, tags::CONTENT_DATE, VR::DA, study.date);
    put_str(&mut o, tags::STUDY_TIME, VR::TM, study.time);
    put_str(&mut o, tags::SERIES_TIME, VR::TM, study.time);
    put_str(&mut o, tags::CONTENT_TIME, VR::TM, study.time);
    put_str(&mut o, tags::ACCESSION_NUMBER, VR::SH, &study.accession);
    put_str(&mut o, tags::MODALITY, VR::CS, series.modality);
    put_str(&mut o, tags::MANUFACTURER, VR::LO, "Lumen");
    put_str(
        &mut o,
        tags::INSTITUTION_NAME,
        VR::LO,
        "Lumen Demo Hospital",
    );
    put_str(
        &mut o,
        tags::REFERRING_PHYSICIAN_NAME,
        VR::PN,
        "DEMO^Referrer",
    );
    put_str(&mut o, tags::STUDY_DESCRIPTION, VR::LO, &study.description);
    put_str(
        &mut o,
        tags::SERIES_DESCRIPTION,
        VR::LO,
        &series.description,
    );
    put_str(
        &mut o,
        tags::MANUFACTURER_MODEL_NAME,
        VR::LO,
        "Lumen Phantom",
    );
    put_str(&mut o, tags::PATIENT_NAME, VR::PN, &patient.name);
    put_str(&mut o, tags::PATIENT_ID, VR::LO, &patient.id);
    put_str(&mut o, tags::PATIENT_BIRTH_DATE, VR::DA, patient.birth_date);
    put_str(&mut o, tags::PATIENT_SEX, VR::CS, patient.sex);
    put_str(&mut o, tags::PATIENT_IDENTITY_REMOVED, VR::CS, "YES");
    put_str(&mut o, tags::BODY_PART_EXAMINED, VR::CS, series.body_part);
    put_str(
        &mut o,
        tags::SOFTWARE_VERSIONS,
        VR::LO,
        concat!("lumen-phantom ", env!("CARGO_PKG_VERSION")),
    );
    put_str(&mut o, tags::STUDY_INSTANCE_UID, VR::UI, &study.uid);
    put_str(&mut o, tags::SERIES_INSTANCE_UID, VR::UI, &series.uid);
    put_str(&mut o, tags::STUDY_ID, VR::SH, study.id);
    put_str(
        &mut o,
        tags::SERIES_NUMBER,
        VR::IS,
        &series.number.to_string(),
    );
    put_str(
        &mut o,
        tags::INSTANCE_NUMBER,
        VR::IS,
        &instance_number.to_string(),
    );
    o
}

/// Image Pixel module description of the frames handed to [`put_pixel_data`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct PixelFormat {
    pub rows: u16,
    pub columns: u16,
    pub samples_per_pixel: u16,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub pixel_representation: u16,
    pub photometric: &'static str,
}

/// Put the Image Pixel module and Pixel Data (7FE0,0010).
///
/// `frames` holds the native little-endian bytes of each frame. For RLE Lossless every frame becomes one
/// fragment with a Basic Offset Table; otherwise the frames are concatenated into a native value (OW made of
/// 16-bit words for 16-bit data so that Explicit VR Big Endian swaps them, OB for 8-bit data).
pub(crate) fn put_pixel_data(
    obj: &mut InMemDicomObject,
    fmt: PixelFormat,
    frames: &[Vec<u8>],
    ts: TransferSyntax,
) -> Result<(), Error> {
    put_us(obj, tags::SAMPLES_PER_PIXEL, fmt.samples_per_pixel);
    put_str(
        obj,
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        fmt.photometric,
    );
    if fmt.samples_per_pixel > 1 {
        put_us(obj, tags::PLANAR_CONFIGURATION, 0);
    }
    put_us(obj, tags::ROWS, fmt.rows);
    put_us(obj, tags::COLUMNS, fmt.columns);
    put_us(obj, tags::BITS_ALLOCATED, fmt.bits_allocated);
    put_us(obj, tags::BITS_STORED, fmt.bits_stored);
    put_us(obj, tags::HIGH_BIT, fmt.bits_stored - 1);
    put_us(obj, tags::PIXEL_REPRESENTATION, fmt.pixel_representation);
    let bytes_per_sample = usize::from(fmt.bits_allocated / 8);
    if ts == TransferSyntax::RleLossless {
        let mut fragments: Vec<Vec<u8>> = Vec::with_capacity(frames.len());
        let mut offsets: Vec<u32> = Vec::with_capacity(frames.len());
        let mut offset = 0u32;
        for f in frames {
            let enc = rle::encode_frame(
                f,
                usize::from(fmt.rows),
                usize::from(fmt.columns),
                usize::from(fmt.samples_per_pixel),
                bytes_per_sample,
            )
            .context(EncodeRleSnafu)?;
            offsets.push(offset);
            // Each item is an 8-byte item header plus the (even) fragment.
            offset = offset.saturating_add(8 + enc.len() as u32);
            fragments.push(enc);
        }
        let seq = PixelFragmentSequence::new(offsets, fragments);
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            dicom_core::value::Value::PixelSequence(seq),
        ));
        put_str(obj, tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00");
    } else if bytes_per_sample == 2 {
        let words: C<u16> = frames
            .iter()
            .flat_map(|f| f.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])))
            .collect();
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::U16(words),
        ));
    } else {
        let mut bytes: Vec<u8> = frames.concat();
        if bytes.len() % 2 == 1 {
            bytes.push(0);
        }
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PrimitiveValue::U8(C::from_vec(bytes)),
        ));
    }
    Ok(())
}

/// Write `obj` as a DICOM Part 10 file at `path` in transfer syntax `ts`.
pub(crate) fn write_part10(
    obj: InMemDicomObject,
    ts: TransferSyntax,
    path: &Path,
) -> Result<(), Error> {
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(ts.uid())
        .implementation_class_uid(implementation_class_uid())
        .implementation_version_name(IMPLEMENTATION_VERSION_NAME)
        .source_application_entity_title("LUMEN_DEMO");
    let file = obj.with_meta(meta).context(BuildMetaSnafu { path })?;
    file.write_to_file(path).context(WriteFileSnafu { path })
}

/// Write `obj` as a DICOM Part 10 file into memory (for tests and in-browser use).
pub fn to_part10_bytes(obj: InMemDicomObject, ts: TransferSyntax) -> Result<Vec<u8>, Error> {
    let path = Path::new("<memory>");
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(ts.uid())
        .implementation_class_uid(implementation_class_uid())
        .implementation_version_name(IMPLEMENTATION_VERSION_NAME)
        .source_application_entity_title("LUMEN_DEMO");
    let file = obj.with_meta(meta).context(BuildMetaSnafu { path })?;
    let mut out = Vec::new();
    file.write_all(&mut out).context(WriteFileSnafu { path })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ds_formats_within_16_bytes() {
        assert_eq!(ds(0.7), "0.7");
        assert_eq!(ds(-1024.0), "-1024");
        assert_eq!(ds(-179.1499999), "-179.15");
        assert_eq!(ds(-0.0), "0");
        assert!(ds(123456.123456789).len() <= 16);
    }
}
