//! The VOI LUT (PS3.3 C.11.2): modality values to display values. A window — Window Center (0028,1050) and
//! Window Width (0028,1051) under the VOI LUT Function (0028,1056) LINEAR (C.11.2.1.2.1), LINEAR_EXACT
//! (C.11.2.1.3.2) or SIGMOID (C.11.2.1.3.1) — or a VOI LUT Sequence (0028,3010) table. Lists every window and
//! table of an object with its explanation so a user can pick one. Must not apply the Modality LUT or the
//! presentation (inversion); outputs here are on the 8-bit display scale 0..=255 before inversion.

use super::lut::Lut;
use crate::attr;
use crate::error::*;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use std::fmt;

/// VOI LUT Function (0028,1056).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoiLutFunction {
    /// LINEAR (the default), C.11.2.1.2.1.
    Linear,
    /// LINEAR_EXACT, C.11.2.1.3.2.
    LinearExact,
    /// SIGMOID, C.11.2.1.3.1.
    Sigmoid,
}

impl VoiLutFunction {
    /// Parse the defined term; `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "LINEAR" => Some(Self::Linear),
            "LINEAR_EXACT" => Some(Self::LinearExact),
            "SIGMOID" => Some(Self::Sigmoid),
            _ => None,
        }
    }

    /// The defined term.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Linear => "LINEAR",
            Self::LinearExact => "LINEAR_EXACT",
            Self::Sigmoid => "SIGMOID",
        }
    }
}

/// One window.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Window Center (0028,1050).
    pub center: f64,
    /// Window Width (0028,1051).
    pub width: f64,
    /// VOI LUT Function (0028,1056).
    pub function: VoiLutFunction,
    /// Window Center & Width Explanation (0028,1055), e.g. "BONE".
    pub explanation: Option<String>,
}

impl Window {
    /// A LINEAR window with no explanation.
    pub fn linear(center: f64, width: f64) -> Self {
        Window {
            center,
            width,
            function: VoiLutFunction::Linear,
            explanation: None,
        }
    }

    /// Whether the width is allowed for the function: ≥ 1 for LINEAR, > 0 otherwise.
    pub fn is_valid(&self) -> bool {
        self.center.is_finite()
            && self.width.is_finite()
            && match self.function {
                VoiLutFunction::Linear => self.width >= 1.0,
                VoiLutFunction::LinearExact | VoiLutFunction::Sigmoid => self.width > 0.0,
            }
    }

    /// Map modality value `x` to the output range `y_min..=y_max` with the window's function, exactly as the
    /// PS3.3 formulas read.
    pub fn apply(&self, x: f64, y_min: f64, y_max: f64) -> f64 {
        let (c, w) = (self.center, self.width);
        match self.function {
            VoiLutFunction::Linear => {
                if x <= c - 0.5 - (w - 1.0) / 2.0 {
                    y_min
                } else if x > c - 0.5 + (w - 1.0) / 2.0 {
                    y_max
                } else if w <= 1.0 {
                    // Unreachable for w = 1 (the middle interval is empty); kept for safety.
                    y_max
                } else {
                    ((x - (c - 0.5)) / (w - 1.0) + 0.5) * (y_max - y_min) + y_min
                }
            }
            VoiLutFunction::LinearExact => {
                if x <= c - w / 2.0 {
                    y_min
                } else if x > c + w / 2.0 {
                    y_max
                } else {
                    ((x - c) / w + 0.5) * (y_max - y_min) + y_min
                }
            }
            VoiLutFunction::Sigmoid => (y_max - y_min) / (1.0 + (-4.0 * (x - c) / w).exp()) + y_min,
        }
    }
}

/// A VOI transformation: a window or a VOI LUT table.
#[derive(Debug, Clone, PartialEq)]
pub enum Voi {
    /// Window Center/Width with a VOI LUT Function.
    Window(Window),
    /// A VOI LUT Sequence item.
    Lut(Lut),
}

impl Voi {
    /// Map modality value `x` to the 8-bit display scale (0.0..=255.0, not yet rounded).
    pub fn apply_8bit(&self, x: f64) -> f64 {
        match self {
            Voi::Window(w) => w.apply(x, 0.0, 255.0),
            Voi::Lut(lut) => lut.lookup(x) as f64 / lut.max_output() * 255.0,
        }
    }

    /// The explanation the data set gives for this choice.
    pub fn explanation(&self) -> Option<&str> {
        match self {
            Voi::Window(w) => w.explanation.as_deref(),
            Voi::Lut(l) => l.explanation.as_deref(),
        }
    }
}

impl fmt::Display for Voi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Voi::Window(w) => write!(
                f,
                "window C {} W {} ({})",
                w.center,
                w.width,
                w.function.as_str()
            )?,
            Voi::Lut(l) => write!(f, "VOI LUT of {} entries", l.entries.len())?,
        }
        if let Some(e) = self.explanation() {
            write!(f, " — {e}")?;
        }
        Ok(())
    }
}

/// Every window of frame `frame`: Window Center/Width pairs at the top level of `obj`, else those of the Frame
/// VOI LUT Sequence (0028,9132) in the per-frame or shared functional groups. An invalid width or an unknown VOI
/// LUT Function is an error.
pub fn windows(obj: &InMemDicomObject, frame: u32) -> Result<Vec<Window>> {
    let source = if obj.get(tags::WINDOW_CENTER).is_some() {
        Some(obj)
    } else {
        super::functional_group(obj, frame, tags::FRAME_VOILUT_SEQUENCE)
    };
    let Some(source) = source else {
        return Ok(Vec::new());
    };
    let centers = attr::f64s(source, tags::WINDOW_CENTER);
    let widths = attr::f64s(source, tags::WINDOW_WIDTH);
    let explanations = attr::strings(source, tags::WINDOW_CENTER_WIDTH_EXPLANATION);
    let function = match attr::string(source, tags::VOILUT_FUNCTION) {
        None => VoiLutFunction::Linear,
        Some(f) => VoiLutFunction::parse(&f).ok_or_else(|| Error::InvalidAttribute {
            name: "VOI LUT Function",
            tag: tags::VOILUT_FUNCTION,
            reason: format!("\"{f}\" is not LINEAR, LINEAR_EXACT or SIGMOID"),
        })?,
    };
    let mut out = Vec::new();
    for (i, (&center, &width)) in centers.iter().zip(widths.iter()).enumerate() {
        let window = Window {
            center,
            width,
            function,
            explanation: explanations.get(i).filter(|e| !e.is_empty()).cloned(),
        };
        if !window.is_valid() {
            return Err(Error::InvalidAttribute {
                name: "Window Width",
                tag: tags::WINDOW_WIDTH,
                reason: format!(
                    "width {width} (center {center}) is not allowed for {}",
                    function.as_str()
                ),
            });
        }
        out.push(window);
    }
    Ok(out)
}

/// Every table of the VOI LUT Sequence (0028,3010). `input_signed`: whether modality values can be negative
/// (then a first mapped value above 32767 is read as negative).
pub fn voi_luts(obj: &InMemDicomObject, input_signed: bool) -> Result<Vec<Lut>> {
    attr::items(obj, tags::VOILUT_SEQUENCE)
        .iter()
        .map(|item| {
            Lut::from_item(
                item,
                tags::LUT_DESCRIPTOR,
                tags::LUT_DATA,
                input_signed,
                "VOI LUT",
            )
        })
        .collect()
}

/// All VOI choices of a frame, windows first, then VOI LUTs, in data set order.
pub fn voi_choices(obj: &InMemDicomObject, frame: u32, input_signed: bool) -> Result<Vec<Voi>> {
    let mut out: Vec<Voi> = windows(obj, frame)?.into_iter().map(Voi::Window).collect();
    out.extend(voi_luts(obj, input_signed)?.into_iter().map(Voi::Lut));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};

    fn approx(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-3, "{a} != {b}");
    }

    #[test]
    fn linear_window_follows_c_11_2_1_2_1() {
        // C 40, W 400: bottom edge c - 0.5 - (w-1)/2 = -160, top edge c - 0.5 + (w-1)/2 = 239.
        let w = Window::linear(40.0, 400.0);
        approx(w.apply(-160.0, 0.0, 255.0), 0.0);
        approx(
            w.apply(-159.0, 0.0, 255.0),
            (((-159.0 - 39.5) / 399.0) + 0.5) * 255.0,
        );
        approx(w.apply(0.0, 0.0, 255.0), 102.255_639);
        approx(w.apply(40.0, 0.0, 255.0), 127.819_549);
        approx(w.apply(239.0, 0.0, 255.0), 255.0);
        approx(w.apply(239.5, 0.0, 255.0), 255.0);
    }

    #[test]
    fn linear_window_of_width_one_is_a_threshold() {
        // C 100, W 1: x <= 99.5 → min, x > 99.5 → max.
        let w = Window::linear(100.0, 1.0);
        assert_eq!(w.apply(99.5, 0.0, 255.0), 0.0);
        assert_eq!(w.apply(99.6, 0.0, 255.0), 255.0);
    }

    #[test]
    fn linear_exact_window_follows_c_11_2_1_3_2() {
        let w = Window {
            function: VoiLutFunction::LinearExact,
            ..Window::linear(40.0, 400.0)
        };
        approx(w.apply(-160.0, 0.0, 255.0), 0.0);
        approx(w.apply(0.0, 0.0, 255.0), 102.0);
        approx(w.apply(40.0, 0.0, 255.0), 127.5);
        approx(w.apply(240.0, 0.0, 255.0), 255.0);
    }

    #[test]
    fn sigmoid_window_follows_c_11_2_1_3_1() {
        let w = Window {
            function: VoiLutFunction::Sigmoid,
            ..Window::linear(40.0, 400.0)
        };
        approx(w.apply(40.0, 0.0, 255.0), 127.5);
        // 255 / (1 + e^-1)
        approx(w.apply(140.0, 0.0, 255.0), 186.420_24);
        approx(w.apply(-60.0, 0.0, 255.0), 255.0 - 186.420_24);
    }

    #[test]
    fn all_windows_are_listed_with_explanations_and_function() {
        let obj = InMemDicomObject::from_element_iter([
            DataElement::new(tags::WINDOW_CENTER, VR::DS, PrimitiveValue::from("40\\300")),
            DataElement::new(
                tags::WINDOW_WIDTH,
                VR::DS,
                PrimitiveValue::from("400\\1500"),
            ),
            DataElement::new(
                tags::WINDOW_CENTER_WIDTH_EXPLANATION,
                VR::LO,
                PrimitiveValue::from("SOFT\\BONE"),
            ),
            DataElement::new(
                tags::VOILUT_FUNCTION,
                VR::CS,
                PrimitiveValue::from("SIGMOID"),
            ),
        ]);
        let list = windows(&obj, 0).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!((list[1].center, list[1].width), (300.0, 1500.0));
        assert_eq!(list[1].explanation.as_deref(), Some("BONE"));
        assert_eq!(list[0].function, VoiLutFunction::Sigmoid);
    }

    #[test]
    fn zero_width_linear_window_is_rejected() {
        let obj = InMemDicomObject::from_element_iter([
            DataElement::new(tags::WINDOW_CENTER, VR::DS, PrimitiveValue::from("40")),
            DataElement::new(tags::WINDOW_WIDTH, VR::DS, PrimitiveValue::from("0")),
        ]);
        assert!(windows(&obj, 0).is_err());
    }

    #[test]
    fn voi_lut_output_is_scaled_by_its_bit_depth() {
        let lut = Lut {
            first_mapped: 0,
            bits_per_entry: 12,
            entries: vec![0, 4095, 2048],
            explanation: None,
        };
        let voi = Voi::Lut(lut);
        approx(voi.apply_8bit(0.0), 0.0);
        approx(voi.apply_8bit(1.0), 255.0);
        approx(voi.apply_8bit(2.0), 2048.0 / 4095.0 * 255.0);
    }
}
