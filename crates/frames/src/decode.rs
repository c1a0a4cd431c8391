//! Decode for display: from a DICOM instance (Part 10 bytes, or one frame fetched alone from WADO-RS `/frames`
//! plus the instance's DICOM JSON metadata) to what the GPU renderer uploads — modality values for monochrome
//! images (Rescale Slope/Intercept or the Modality LUT Sequence applied, so Hounsfield units for CT; 8/16-bit
//! integer samples under a linear Modality LUT are kept as they are, 1–2 bytes per pixel, see
//! [`ModalityValues`](crate::ModalityValues)),
//! interleaved RGB8 for colour (YBR converted to RGB, PALETTE COLOR expanded) — with the [`FrameMeta`] the
//! viewer needs (windows, pixel spacing, image plane, value ranges). All parsing, decompression and the C.11
//! pipeline steps come from `lumen_dicom`; this module only assembles them. It runs inside decode workers and must
//! not touch the network, the DOM or the GPU, nor apply a VOI LUT (windowing happens on the GPU).

use crate::error::*;
use crate::frame::{
    DecodedFrame, FrameKey, FrameMeta, ModalityMapping, ModalityValues, PixelFormat, Pixels,
    PlaneMeta, StoredSamples, VoiLutTable, WindowFunction, WindowPreset,
};
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use lumen_dicom::display::{self, DisplayParams, ModalityLut, VoiLutFunction, Window};
use lumen_dicom::geometry::ImagePlane;
use lumen_dicom::{attr, DicomFile, Frame, ImageInfo, InMemDicomObject, Samples};
use lumen_dicomweb::json;
use serde_json::Value;
use snafu::prelude::*;

/// Decode frame `frame_number` (1-based) of a DICOM instance given as bytes (Part 10 with or without preamble,
/// or a bare data set) for display.
pub fn decode_for_display(file_bytes: &[u8], frame_number: u32) -> Result<DecodedFrame> {
    let file = DicomFile::from_bytes(file_bytes).context(DicomSnafu {
        context: "cannot read the instance",
    })?;
    decode_file_frame(&file, frame_number)
}

/// Decode frame `frame_number` (1-based) of a parsed instance for display.
pub fn decode_file_frame(file: &DicomFile, frame_number: u32) -> Result<DecodedFrame> {
    let count = file.number_of_frames();
    ensure!(
        frame_number >= 1 && frame_number <= count,
        FrameNumberSnafu {
            frame_number,
            count
        }
    );
    let frame = file
        .decode_frame(frame_number - 1)
        .with_context(|_| DicomSnafu {
            context: format!("frame number {frame_number} (index {})", frame_number - 1),
        })?;
    let key = FrameKey::new(file.sop_instance_uid().unwrap_or_default(), frame_number);
    prepare(file.object(), frame, key)
}

/// Decode one frame fetched alone from WADO-RS (`…/instances/{uid}/frames/{frame_number}`): `frame_bytes` is the
/// frame's native pixel data (little endian) or its compressed codestream, `transfer_syntax_uid` the syntax the
/// server labelled it with (see [`transfer_syntax_for_media_type`] when only a media type came), and
/// `instance_metadata` the instance's DICOM JSON (WADO-RS metadata), which supplies the Image Pixel attributes,
/// the Modality LUT, windows and geometry. The frame is decoded by `lumen_dicom::decode::decode_frame_data`.
pub fn decode_wado_frame(
    frame_bytes: &[u8],
    transfer_syntax_uid: &str,
    instance_metadata: &Value,
    frame_number: u32,
) -> Result<DecodedFrame> {
    let (obj, info) = wado_image(instance_metadata)?;
    let count = info.number_of_frames;
    ensure!(
        frame_number >= 1 && frame_number <= count,
        FrameNumberSnafu {
            frame_number,
            count
        }
    );
    let frame = lumen_dicom::decode::decode_frame_data(
        frame_bytes,
        transfer_syntax_uid.trim(),
        &info,
        frame_number - 1,
    )
    .with_context(|_| DicomSnafu {
        context: format!("frame number {frame_number} (index {})", frame_number - 1),
    })?;
    let uid = json::string(instance_metadata, tags::SOP_INSTANCE_UID).unwrap_or_default();
    prepare(&obj, frame, FrameKey::new(uid, frame_number))
}

/// The data set and Image Pixel description of an instance from its DICOM JSON (WADO-RS metadata).
fn wado_image(instance_metadata: &Value) -> Result<(InMemDicomObject, ImageInfo)> {
    let mut obj = json::from_dicom_json(instance_metadata).map_err(|e| Error::Metadata {
        reason: e.to_string(),
    })?;
    // Metadata often leaves Pixel Data out (or gives it as a BulkDataURI, read back empty): its presence only
    // tells ImageInfo which kind of pixel data the frame holds.
    if [
        tags::PIXEL_DATA,
        tags::FLOAT_PIXEL_DATA,
        tags::DOUBLE_FLOAT_PIXEL_DATA,
    ]
    .iter()
    .all(|t| obj.get(*t).is_none())
    {
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PrimitiveValue::Empty,
        ));
    }
    let info = ImageInfo::from_object(&obj).context(DicomSnafu {
        context: "the instance metadata does not describe an image",
    })?;
    Ok((obj, info))
}

/// Previews of one WADO-RS frame while its bytes arrive: an HTJ2K codestream of a resolution-major progression
/// (e.g. .202, RPCL) can be shown at a reduced resolution from its first bytes (`lumen_dicom::decode::
/// preview_frame_data`: each pixel of the small image repeated to the full Rows × Columns, so the frame's geometry
/// and measurements hold). [`offer`](Self::offer) the bytes received so far each time more arrive; it answers a
/// frame only when a higher resolution than the last one became decodable, and never the whole image (the normal
/// decode gives that). Any failure ends the previews silently: the frame then appears when all of it has arrived.
pub struct WadoFramePreview {
    obj: InMemDicomObject,
    info: ImageInfo,
    frame_number: u32,
    key: FrameKey,
    /// Resolution levels left out by the last preview given.
    last: Option<u8>,
    /// How many bytes the last look at the prefix saw.
    looked_at: usize,
    off: bool,
}

/// New bytes a prefix must have gained before [`WadoFramePreview::offer`] looks at it again: responses arrive in
/// chunks of a few KiB, and each look parses every packet header received so far.
const LOOK_EVERY: usize = 16 << 10;

impl WadoFramePreview {
    /// Previews of frame `frame_number` (1-based) of the instance whose DICOM JSON is `instance_metadata`, labelled
    /// `key`; `None` when the metadata does not describe an image.
    pub fn new(instance_metadata: &Value, frame_number: u32, key: FrameKey) -> Option<Self> {
        let dataset = match instance_metadata {
            Value::Array(items) => items.first()?,
            other => other,
        };
        let (obj, info) = wado_image(dataset).ok()?;
        (frame_number >= 1 && frame_number <= info.number_of_frames).then_some(WadoFramePreview {
            obj,
            info,
            frame_number,
            key,
            last: None,
            looked_at: 0,
            off: false,
        })
    }

    /// The first bytes of the frame (`prefix`) in `transfer_syntax_uid`: a new preview and the number of
    /// resolution levels it leaves out, or `None` (nothing new, not a syntax with previews, or previews ended).
    /// The prefix is looked at again only once it has grown by 16 KiB.
    pub fn offer(
        &mut self,
        prefix: &[u8],
        transfer_syntax_uid: &str,
    ) -> Option<(DecodedFrame, u8)> {
        if self.off || prefix.len() < self.looked_at + LOOK_EVERY {
            return None;
        }
        self.looked_at = prefix.len();
        let index = self.frame_number - 1;
        let preview = match lumen_dicom::decode::preview_frame_data(
            prefix,
            transfer_syntax_uid,
            &self.info,
            index,
        ) {
            Ok(Some(p)) => p,
            Ok(None) => return None,
            Err(_) => {
                self.off = true;
                return None;
            }
        };
        let d = preview.discarded_levels;
        if d == 0 || self.last.is_some_and(|last| d >= last) {
            return None;
        }
        self.last = Some(d);
        match prepare(&self.obj, preview.frame, self.key.clone()) {
            Ok(frame) => Some((frame, d)),
            Err(_) => {
                self.off = true;
                None
            }
        }
    }
}

/// The transfer syntax of a WADO-RS frame part from its media type, when the part carried no `transfer-syntax`
/// parameter (PS3.18 Table 8.7.3-2 defaults): `application/octet-stream` → Explicit VR Little Endian,
/// `image/jpeg` → JPEG Baseline (the JPEG decoder also reads lossless processes), `image/jp2` / `image/jpx` →
/// JPEG 2000, `image/dicom-rle` → RLE Lossless, `image/jls` → JPEG-LS Lossless. Parameters and case are ignored.
pub fn transfer_syntax_for_media_type(media_type: &str) -> Option<&'static str> {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(match essence.as_str() {
        "application/octet-stream" => "1.2.840.10008.1.2.1",
        "image/jpeg" => "1.2.840.10008.1.2.4.50",
        "image/jp2" => "1.2.840.10008.1.2.4.90",
        "image/jpx" => "1.2.840.10008.1.2.4.91",
        "image/dicom-rle" => "1.2.840.10008.1.2.5",
        "image/jls" => "1.2.840.10008.1.2.4.80",
        _ => return None,
    })
}

fn preset(w: &Window) -> WindowPreset {
    WindowPreset {
        center: w.center,
        width: w.width,
        function: match w.function {
            VoiLutFunction::Linear => WindowFunction::Linear,
            VoiLutFunction::LinearExact => WindowFunction::LinearExact,
            VoiLutFunction::Sigmoid => WindowFunction::Sigmoid,
        },
        explanation: w.explanation.clone(),
    }
}

/// Pixel Spacing of frame `index`: top level, else the Pixel Measures Sequence of the functional groups.
fn pixel_spacing(obj: &InMemDicomObject, index: u32) -> Option<[f64; 2]> {
    let mut values = attr::f64s(obj, tags::PIXEL_SPACING);
    if values.is_empty() {
        values = display::functional_group(obj, index, tags::PIXEL_MEASURES_SEQUENCE)
            .map(|item| attr::f64s(item, tags::PIXEL_SPACING))
            .unwrap_or_default();
    }
    match values[..] {
        [r, c] if r > 0.0 && c > 0.0 && r.is_finite() && c.is_finite() => Some([r, c]),
        _ => None,
    }
}

/// Turn a decoded frame of stored values into display pixels and their description.
fn prepare(obj: &InMemDicomObject, frame: Frame, key: FrameKey) -> Result<DecodedFrame> {
    let params = DisplayParams::from_object(obj, &frame).context(DicomSnafu {
        context: "cannot read the display attributes",
    })?;
    let n = frame.rows as usize * frame.columns as usize;
    let plane = ImagePlane::from_object(obj, frame.index).ok();
    let source_photometric = attr::string(obj, tags::PHOTOMETRIC_INTERPRETATION)
        .unwrap_or_else(|| frame.photometric_interpretation.as_str().to_string());
    let mut meta = FrameMeta {
        key,
        rows: frame.rows,
        columns: frame.columns,
        format: PixelFormat::Rgb8,
        source_photometric,
        photometric: "RGB".to_string(),
        invert: false,
        modality_lut_applied: false,
        modality_lut: ModalityMapping::Identity,
        units: None,
        windows: Vec::new(),
        voi_luts: Vec::new(),
        default_window: WindowPreset {
            center: 127.5,
            width: 255.0,
            function: WindowFunction::LinearExact,
            explanation: Some("identity".to_string()),
        },
        pixel_spacing: plane
            .as_ref()
            .and_then(|p| p.pixel_spacing)
            .or_else(|| pixel_spacing(obj, frame.index)),
        image_plane: plane.as_ref().map(PlaneMeta::from),
        bits_stored: frame.bits_stored,
        signed: frame.signed,
        stored_range: None,
        modality_range: None,
        has_stored_values: false,
        float_pixel_data: frame.samples.is_float(),
        stored_samples: None,
    };

    if !frame.photometric_interpretation.is_monochrome() {
        let rgba = display::render_frame(&frame, &params).context(DicomSnafu {
            context: format!("cannot convert {} to RGB", meta.source_photometric),
        })?;
        let rgb: Vec<u8> = rgba
            .data
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        ensure!(
            Some(rgb.len()) == n.checked_mul(3),
            DisplaySnafu {
                reason: format!("{} RGB bytes for {n} pixels", rgb.len())
            }
        );
        return Ok(DecodedFrame {
            meta,
            pixels: Pixels::Rgb8(rgb),
        });
    }
    ensure!(
        frame.samples_per_pixel == 1 && frame.samples.len() >= n,
        DisplaySnafu {
            reason: format!(
                "{} with {} samples per pixel and {} samples for {n} pixels",
                frame.photometric_interpretation,
                frame.samples_per_pixel,
                frame.samples.len()
            )
        }
    );
    let lut = &params.modality_lut;
    let stored = match lut {
        ModalityLut::Lut { .. } => Some(
            (0..n)
                .map(|i| {
                    frame
                        .samples
                        .get_int(i)
                        .unwrap_or(0)
                        .clamp(i32::MIN as i64, i32::MAX as i64) as i32
                })
                .collect::<Vec<i32>>(),
        ),
        _ => None,
    };
    let stored_range = frame.samples.min_max().map(|(a, b)| [a, b]);
    let linear = match lut {
        ModalityLut::Identity => Some((1.0, 0.0)),
        ModalityLut::Rescale {
            slope, intercept, ..
        } => Some((*slope, *intercept)),
        ModalityLut::Lut { .. } => None,
    };
    let input_signed = frame.signed
        || matches!(lut, ModalityLut::Rescale { intercept, slope, .. } if *intercept < 0.0 || *slope < 0.0);
    meta.format = PixelFormat::ModalityF32;
    meta.photometric = frame.photometric_interpretation.as_str().to_string();
    meta.invert = params.invert;
    meta.modality_lut_applied = true;
    meta.modality_lut = match lut {
        ModalityLut::Identity => ModalityMapping::Identity,
        ModalityLut::Rescale {
            slope, intercept, ..
        } => ModalityMapping::Rescale {
            slope: *slope,
            intercept: *intercept,
        },
        ModalityLut::Lut { lut, .. } => ModalityMapping::Table {
            first_mapped: lut.first_mapped,
            entries: lut.entries.len(),
        },
    };
    meta.units = lut.units().map(str::to_string);
    // A malformed window or VOI LUT must not stop the image from showing: it is left out.
    meta.windows = display::windows(obj, frame.index)
        .unwrap_or_default()
        .iter()
        .filter(|w| w.is_valid())
        .map(preset)
        .collect();
    meta.voi_luts = display::voi_luts(obj, input_signed)
        .unwrap_or_default()
        .into_iter()
        .map(|l| VoiLutTable {
            first_mapped: l.first_mapped,
            bits_per_entry: l.bits_per_entry,
            entries: l.entries,
            explanation: l.explanation,
        })
        .collect();
    meta.default_window = match meta.windows.first() {
        Some(w) => w.clone(),
        None => preset(&display::default_window(&frame, lut)),
    };
    // 8/16-bit integer samples under a linear Modality LUT are kept as they are; everything else becomes f32.
    let values = match (linear, frame.samples) {
        (Some((slope, intercept)), Samples::U8(mut v)) => {
            v.truncate(n);
            ModalityValues::from_stored(StoredSamples::U8(v), slope, intercept)
        }
        (Some((slope, intercept)), Samples::I8(mut v)) => {
            v.truncate(n);
            ModalityValues::from_stored(StoredSamples::I8(v), slope, intercept)
        }
        (Some((slope, intercept)), Samples::U16(mut v)) => {
            v.truncate(n);
            ModalityValues::from_stored(StoredSamples::U16(v), slope, intercept)
        }
        (Some((slope, intercept)), Samples::I16(mut v)) => {
            v.truncate(n);
            ModalityValues::from_stored(StoredSamples::I16(v), slope, intercept)
        }
        (_, samples) => ModalityValues::from_f32(
            (0..n)
                .map(|i| lut.apply(samples.get(i).unwrap_or(0.0)) as f32)
                .collect(),
        ),
    };
    meta.stored_range = stored_range;
    meta.modality_range = values.min_max();
    meta.has_stored_values = stored.is_some();
    meta.stored_samples = values.stored().map(|(s, ..)| s.sample_type());
    Ok(DecodedFrame {
        meta,
        pixels: Pixels::Modality { values, stored },
    })
}
