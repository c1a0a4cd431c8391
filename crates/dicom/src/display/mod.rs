//! The grayscale and colour display pipeline of PS3.3 C.11, from a decoded [`Frame`] of stored values to 8-bit
//! pixels: Modality LUT ([`modality`]) → VOI LUT ([`voi`]) → presentation (MONOCHROME1 or Presentation LUT
//! Shape (2050,0020) INVERSE invert the output) for MONOCHROME1/2; RGB, YBR_FULL(_422), YBR_PARTIAL and PALETTE
//! COLOR ([`color`]) for colour. [`DisplayParams`] holds the chosen transformations (the file's defaults, or a
//! user's window); [`render_frame`] applies them. This module must not decode pixel data nor know about screens,
//! canvases or GPUs.

pub mod color;
pub mod lut;
pub mod modality;
pub mod voi;

pub use color::PaletteColorLut;
pub use lut::Lut;
pub use modality::{modality_value, ModalityLut};
pub use voi::{voi_choices, voi_luts, windows, Voi, VoiLutFunction, Window};

use crate::attr;
use crate::error::*;
use crate::file::DicomFile;
use crate::image::{Frame, PhotometricInterpretation, Samples};
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

/// The first item of sequence `seq_tag` inside the functional groups of frame `frame` of an enhanced
/// multi-frame object: Per-frame Functional Groups Sequence (5200,9230) item `frame` first, then the Shared
/// Functional Groups Sequence (5200,9229).
pub fn functional_group(
    obj: &InMemDicomObject,
    frame: u32,
    seq_tag: Tag,
) -> Option<&InMemDicomObject> {
    let per_frame =
        attr::items(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE).get(frame as usize);
    let shared = attr::items(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).first();
    [per_frame, shared]
        .into_iter()
        .flatten()
        .find_map(|group| attr::items(group, seq_tag).first())
}

/// How to display a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct DisplayParams {
    /// Stored value → modality value (grayscale only).
    pub modality_lut: ModalityLut,
    /// Modality value → display value (grayscale only). `None` means "full modality range of the frame".
    pub voi: Option<Voi>,
    /// Invert the grayscale output: MONOCHROME1, or Presentation LUT Shape (2050,0020) INVERSE.
    pub invert: bool,
    /// Red/Green/Blue Palette Color LUTs (PALETTE COLOR only).
    pub palette: Option<PaletteColorLut>,
}

impl DisplayParams {
    /// The file's own display: its Modality LUT, its first window (else its first VOI LUT, else the frame's
    /// modality-value range), its presentation, and its palette for PALETTE COLOR.
    pub fn from_object(obj: &InMemDicomObject, frame: &Frame) -> Result<Self> {
        let is_gray = frame.photometric_interpretation.is_monochrome();
        let modality_lut = if is_gray {
            ModalityLut::from_object(obj, frame.index, frame.signed)?
        } else {
            ModalityLut::Identity
        };
        let voi = if is_gray {
            let input_signed = frame.signed
                || matches!(modality_lut, ModalityLut::Rescale { intercept, slope, .. } if intercept < 0.0 || slope < 0.0);
            // A broken window should not stop the image from showing: fall back to the range.
            let choices = voi_choices(obj, frame.index, input_signed).unwrap_or_default();
            choices.into_iter().next()
        } else {
            None
        };
        let shape_inverse =
            attr::string(obj, tags::PRESENTATION_LUT_SHAPE).as_deref() == Some("INVERSE");
        let invert = is_gray
            && (frame.photometric_interpretation == PhotometricInterpretation::Monochrome1
                || shape_inverse);
        let palette = if frame.photometric_interpretation == PhotometricInterpretation::PaletteColor
        {
            Some(PaletteColorLut::from_object(obj, frame.signed)?)
        } else {
            None
        };
        Ok(DisplayParams {
            modality_lut,
            voi,
            invert,
            palette,
        })
    }

    /// [`DisplayParams::from_object`] on a file's data set.
    pub fn from_file(file: &DicomFile, frame: &Frame) -> Result<Self> {
        Self::from_object(file.object(), frame)
    }

    /// The modality value of a stored value (pixel probe).
    pub fn modality_value(&self, stored: f64) -> f64 {
        self.modality_lut.apply(stored)
    }

    /// The VOI that will be used for `frame`: the chosen one, or the default window over the frame's
    /// modality-value range.
    pub fn effective_voi(&self, frame: &Frame) -> Voi {
        match &self.voi {
            Some(v) => v.clone(),
            None => Voi::Window(default_window(frame, &self.modality_lut)),
        }
    }
}

/// The window covering the frame's whole modality-value range (LINEAR_EXACT, so the minimum maps to black and
/// the maximum to white), used when the file has no window.
pub fn default_window(frame: &Frame, modality_lut: &ModalityLut) -> Window {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    match modality_lut {
        ModalityLut::Lut { .. } => {
            for i in 0..frame.samples.len() {
                if let Some(v) = frame.samples.get(i) {
                    let m = modality_lut.apply(v);
                    lo = lo.min(m);
                    hi = hi.max(m);
                }
            }
        }
        _ => {
            if let Some((a, b)) = frame.samples.min_max() {
                let (ma, mb) = (modality_lut.apply(a), modality_lut.apply(b));
                lo = ma.min(mb);
                hi = ma.max(mb);
            }
        }
    }
    if !(lo.is_finite() && hi.is_finite()) {
        lo = 0.0;
        hi = 1.0;
    }
    let width = if hi > lo { hi - lo } else { 1.0 };
    Window {
        center: (lo + hi) / 2.0,
        width,
        function: VoiLutFunction::LinearExact,
        explanation: Some("full range".to_string()),
    }
}

/// An 8-bit RGBA image, row by row, alpha always 255.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgba8Image {
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// `width × height × 4` bytes.
    pub data: Vec<u8>,
}

/// An 8-bit grayscale image, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gray8Image {
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// `width × height` bytes.
    pub data: Vec<u8>,
}

/// Render a monochrome frame to 8-bit gray: Modality LUT, VOI, presentation. Errors for colour frames.
pub fn render_gray8(frame: &Frame, params: &DisplayParams) -> Result<Gray8Image> {
    if !frame.photometric_interpretation.is_monochrome() || frame.samples_per_pixel != 1 {
        return Err(Error::UnsupportedImage {
            reason: format!(
                "{} with {} samples per pixel is not a grayscale image",
                frame.photometric_interpretation, frame.samples_per_pixel
            ),
        });
    }
    let voi = params.effective_voi(frame);
    let invert = params.invert;
    let to_display = |stored: f64| -> u8 {
        let v = voi
            .apply_8bit(params.modality_lut.apply(stored))
            .clamp(0.0, 255.0);
        let v = if invert { 255.0 - v } else { v };
        v.round() as u8
    };
    let n = frame.rows as usize * frame.columns as usize;
    let data: Vec<u8> = match (&frame.samples, stored_range(frame)) {
        // Integer data of at most 16 bits: one table over every possible stored value.
        (s, Some((lo, hi))) if !s.is_float() => {
            let table: Vec<u8> = (lo..=hi).map(|v| to_display(v as f64)).collect();
            (0..n)
                .map(|i| {
                    s.get_int(i)
                        .and_then(|v| table.get((v - lo).clamp(0, hi - lo) as usize).copied())
                        .unwrap_or(0)
                })
                .collect()
        }
        (s, _) => (0..n)
            .map(|i| s.get(i).map(to_display).unwrap_or(0))
            .collect(),
    };
    Ok(Gray8Image {
        width: frame.columns as u32,
        height: frame.rows as u32,
        data,
    })
}

/// Every value `bits_stored` bits can hold, when that is at most 2^16 values.
fn stored_range(frame: &Frame) -> Option<(i64, i64)> {
    if frame.samples.is_float() || frame.bits_stored > 16 || frame.bits_stored == 0 {
        return None;
    }
    let bits = frame.bits_stored as u32;
    Some(if frame.signed {
        (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
    } else {
        (0, (1i64 << bits) - 1)
    })
}

/// Render any frame to 8-bit RGBA: grayscale through [`render_gray8`], colour by its photometric
/// interpretation.
pub fn render_frame(frame: &Frame, params: &DisplayParams) -> Result<Rgba8Image> {
    let (width, height) = (frame.columns as u32, frame.rows as u32);
    let n = frame.rows as usize * frame.columns as usize;
    let mut data = Vec::with_capacity(n * 4);
    if frame.photometric_interpretation.is_monochrome() {
        let gray = render_gray8(frame, params)?;
        for g in gray.data {
            data.extend_from_slice(&[g, g, g, 255]);
        }
        return Ok(Rgba8Image {
            width,
            height,
            data,
        });
    }
    let s = &frame.samples;
    let bits = frame.bits_stored.clamp(1, 32);
    let max = ((1u64 << bits) - 1) as f64;
    match &frame.photometric_interpretation {
        PhotometricInterpretation::PaletteColor => {
            let palette = params
                .palette
                .as_ref()
                .ok_or_else(|| Error::UnsupportedImage {
                    reason: "PALETTE COLOR image without Palette Color Lookup Tables".to_string(),
                })?;
            for i in 0..n {
                let [r, g, b] = palette.lookup_8bit(s.get(i).unwrap_or(0.0));
                data.extend_from_slice(&[r, g, b, 255]);
            }
        }
        pi @ (PhotometricInterpretation::Rgb
        | PhotometricInterpretation::YbrFull
        | PhotometricInterpretation::YbrFull422
        | PhotometricInterpretation::YbrPartial422
        | PhotometricInterpretation::YbrPartial420) => {
            if frame.samples_per_pixel != 3 {
                return Err(Error::UnsupportedImage {
                    reason: format!("{pi} with {} samples per pixel", frame.samples_per_pixel),
                });
            }
            let fast_rgb8 =
                matches!(s, Samples::U8(_)) && bits == 8 && *pi == PhotometricInterpretation::Rgb;
            for i in 0..n {
                let sample = |k: usize| s.get(i * 3 + k).unwrap_or(0.0);
                let (a, b, c) = (sample(0), sample(1), sample(2));
                let rgb = match pi {
                    PhotometricInterpretation::Rgb => [a, b, c],
                    PhotometricInterpretation::YbrFull | PhotometricInterpretation::YbrFull422 => {
                        color::ybr_full_to_rgb(a, b, c, bits)
                    }
                    _ => color::ybr_partial_to_rgb(a, b, c, bits),
                };
                if fast_rgb8 {
                    data.extend_from_slice(&[a as u8, b as u8, c as u8, 255]);
                } else {
                    data.extend_from_slice(&[
                        color::to_8bit(rgb[0], max),
                        color::to_8bit(rgb[1], max),
                        color::to_8bit(rgb[2], max),
                        255,
                    ]);
                }
            }
        }
        other => {
            return Err(Error::UnsupportedImage {
                reason: format!("photometric interpretation {other} cannot be displayed"),
            })
        }
    }
    Ok(Rgba8Image {
        width,
        height,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gray_frame(
        samples: Samples,
        bits_stored: u16,
        signed: bool,
        pi: PhotometricInterpretation,
    ) -> Frame {
        let n = samples.len() as u16;
        Frame {
            index: 0,
            rows: 1,
            columns: n,
            samples_per_pixel: 1,
            bits_stored,
            signed,
            photometric_interpretation: pi,
            samples,
        }
    }

    fn params(modality_lut: ModalityLut, voi: Option<Voi>, invert: bool) -> DisplayParams {
        DisplayParams {
            modality_lut,
            voi,
            invert,
            palette: None,
        }
    }

    #[test]
    fn ct_window_is_applied_to_hounsfield_units() {
        // Stored 12-bit signed values; HU = stored - 1024; window C 40 W 400 (LINEAR).
        let frame = gray_frame(
            Samples::I16(vec![-2000, 864, 1064, 1263, 1300]),
            12,
            true,
            PhotometricInterpretation::Monochrome2,
        );
        let p = params(
            ModalityLut::Rescale {
                slope: 1.0,
                intercept: -1024.0,
                rescale_type: None,
            },
            Some(Voi::Window(Window::linear(40.0, 400.0))),
            false,
        );
        let img = render_gray8(&frame, &p).unwrap();
        // HU -3024 → 0; -160 → 0; 40 → 127.82 → 128; 239 → 255; 276 → 255.
        assert_eq!(img.data, vec![0, 0, 128, 255, 255]);
        assert_eq!(p.modality_value(1064.0), 40.0);
    }

    #[test]
    fn monochrome1_is_displayed_inverted() {
        let frame = gray_frame(
            Samples::U8(vec![0, 255, 100]),
            8,
            false,
            PhotometricInterpretation::Monochrome1,
        );
        let obj = InMemDicomObject::new_empty();
        let mut p = DisplayParams::from_object(&obj, &frame).unwrap();
        assert!(p.invert);
        p.voi = Some(Voi::Window(Window {
            function: VoiLutFunction::LinearExact,
            ..Window::linear(127.5, 255.0)
        }));
        let img = render_gray8(&frame, &p).unwrap();
        assert_eq!(img.data, vec![255, 0, 155]);
    }

    #[test]
    fn presentation_lut_shape_inverse_inverts_monochrome2() {
        use dicom_core::{DataElement, PrimitiveValue, VR};
        let obj = InMemDicomObject::from_element_iter([DataElement::new(
            tags::PRESENTATION_LUT_SHAPE,
            VR::CS,
            PrimitiveValue::from("INVERSE"),
        )]);
        let frame = gray_frame(
            Samples::U8(vec![0]),
            8,
            false,
            PhotometricInterpretation::Monochrome2,
        );
        assert!(DisplayParams::from_object(&obj, &frame).unwrap().invert);
    }

    #[test]
    fn default_window_spans_the_modality_range() {
        // stored 10..=20, slope 2 → modality 20..=40: center 30, width 20; min → 0, max → 255.
        let frame = gray_frame(
            Samples::U16(vec![10, 15, 20]),
            16,
            false,
            PhotometricInterpretation::Monochrome2,
        );
        let lut = ModalityLut::Rescale {
            slope: 2.0,
            intercept: 0.0,
            rescale_type: None,
        };
        let w = default_window(&frame, &lut);
        assert_eq!((w.center, w.width), (30.0, 20.0));
        let img = render_gray8(&frame, &params(lut, None, false)).unwrap();
        assert_eq!(img.data, vec![0, 128, 255]);
    }

    #[test]
    fn file_window_is_the_default_and_others_are_selectable() {
        use dicom_core::{DataElement, PrimitiveValue, VR};
        let obj = InMemDicomObject::from_element_iter([
            DataElement::new(tags::WINDOW_CENTER, VR::DS, PrimitiveValue::from("50\\500")),
            DataElement::new(
                tags::WINDOW_WIDTH,
                VR::DS,
                PrimitiveValue::from("100\\2000"),
            ),
        ]);
        let frame = gray_frame(
            Samples::U16(vec![0, 50, 100]),
            16,
            false,
            PhotometricInterpretation::Monochrome2,
        );
        let p = DisplayParams::from_object(&obj, &frame).unwrap();
        assert_eq!(p.voi, Some(Voi::Window(Window::linear(50.0, 100.0))));
        assert_eq!(voi_choices(&obj, 0, false).unwrap().len(), 2);
    }

    #[test]
    fn ybr_full_frame_renders_as_rgb() {
        let frame = Frame {
            index: 0,
            rows: 1,
            columns: 2,
            samples_per_pixel: 3,
            bits_stored: 8,
            signed: false,
            photometric_interpretation: PhotometricInterpretation::YbrFull,
            samples: Samples::U8(vec![100, 150, 90, 128, 128, 128]),
        };
        let img = render_frame(&frame, &params(ModalityLut::Identity, None, false)).unwrap();
        assert_eq!(img.data, vec![47, 120, 139, 255, 128, 128, 128, 255]);
    }

    #[test]
    fn twelve_bit_rgb_is_scaled_to_eight_bits() {
        let frame = Frame {
            index: 0,
            rows: 1,
            columns: 1,
            samples_per_pixel: 3,
            bits_stored: 12,
            signed: false,
            photometric_interpretation: PhotometricInterpretation::Rgb,
            samples: Samples::U16(vec![4095, 0, 2048]),
        };
        let img = render_frame(&frame, &params(ModalityLut::Identity, None, false)).unwrap();
        assert_eq!(img.data, vec![255, 0, 128, 255]);
    }

    #[test]
    fn palette_color_frame_is_looked_up() {
        let lut = |entries: Vec<u16>| Lut {
            first_mapped: 0,
            bits_per_entry: 16,
            entries,
            explanation: None,
        };
        let frame = Frame {
            index: 0,
            rows: 1,
            columns: 2,
            samples_per_pixel: 1,
            bits_stored: 8,
            signed: false,
            photometric_interpretation: PhotometricInterpretation::PaletteColor,
            samples: Samples::U8(vec![1, 0]),
        };
        let mut p = params(ModalityLut::Identity, None, false);
        p.palette = Some(PaletteColorLut {
            red: lut(vec![0, 65535]),
            green: lut(vec![65535, 0]),
            blue: lut(vec![0, 32896]),
        });
        let img = render_frame(&frame, &p).unwrap();
        assert_eq!(img.data, vec![255, 0, 128, 255, 0, 255, 0, 255]);
    }
}
