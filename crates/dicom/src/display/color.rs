//! Colour photometric interpretations for display (PS3.3 C.7.6.3.1.2 and C.7.6.3.1.5): YBR_FULL and YBR_PARTIAL
//! samples to RGB, and PALETTE COLOR lookups through the Red, Green and Blue Palette Color Lookup Tables. Results
//! are 8-bit. Must not apply windows: colour images bypass the Modality and VOI LUTs.

use super::lut::Lut;
use crate::error::*;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

/// Scale `v` from `0..=max` to `0..=255`, rounded and clamped.
pub fn to_8bit(v: f64, max: f64) -> u8 {
    if max <= 0.0 {
        return 0;
    }
    (v / max * 255.0).round().clamp(0.0, 255.0) as u8
}

/// YBR_FULL to RGB (inverse of the PS3.3 C.7.6.3.1.2 equations), for `bits`-bit samples. Returns RGB on the same
/// `0..=2^bits-1` scale, clamped.
pub fn ybr_full_to_rgb(y: f64, cb: f64, cr: f64, bits: u16) -> [f64; 3] {
    let max = ((1u64 << bits.min(32)) - 1) as f64;
    let half = (1u64 << (bits.clamp(1, 32) - 1)) as f64;
    let (cb, cr) = (cb - half, cr - half);
    [
        (y + 1.402 * cr).clamp(0.0, max),
        (y - 0.344_136 * cb - 0.714_136 * cr).clamp(0.0, max),
        (y + 1.772 * cb).clamp(0.0, max),
    ]
}

/// YBR_PARTIAL (luminance 16..235, chrominance 16..240 for 8 bits) to RGB, for `bits`-bit samples.
pub fn ybr_partial_to_rgb(y: f64, cb: f64, cr: f64, bits: u16) -> [f64; 3] {
    let scale = ((1u64 << bits.min(32)) as f64) / 256.0;
    let max = ((1u64 << bits.min(32)) - 1) as f64;
    let (y, cb, cr) = (y - 16.0 * scale, cb - 128.0 * scale, cr - 128.0 * scale);
    [
        (1.164_4 * y + 1.596_0 * cr).clamp(0.0, max),
        (1.164_4 * y - 0.391_7 * cb - 0.813_0 * cr).clamp(0.0, max),
        (1.164_4 * y + 2.017_3 * cb).clamp(0.0, max),
    ]
}

/// The Red, Green and Blue Palette Color Lookup Tables of a PALETTE COLOR image.
#[derive(Debug, Clone, PartialEq)]
pub struct PaletteColorLut {
    /// Red Palette Color Lookup Table Descriptor (0028,1101) and Data (0028,1201).
    pub red: Lut,
    /// Green Palette Color Lookup Table Descriptor (0028,1102) and Data (0028,1202).
    pub green: Lut,
    /// Blue Palette Color Lookup Table Descriptor (0028,1103) and Data (0028,1203).
    pub blue: Lut,
}

impl PaletteColorLut {
    /// Read the three tables; `signed`: Pixel Representation 1. Errors when the descriptors are missing or when
    /// only Segmented Palette Color LUT Data is present.
    pub fn from_object(obj: &InMemDicomObject, signed: bool) -> Result<Self> {
        if obj.get(tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA).is_none()
            && obj
                .get(tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA)
                .is_some()
        {
            return Err(Error::UnsupportedImage {
                reason: "Segmented Palette Color LUT Data is not supported yet".to_string(),
            });
        }
        let read = |d, t, name| -> Result<Lut> {
            let mut lut = Lut::from_item(obj, d, t, signed, name)?;
            // Quirk: descriptors that say 16 bits over data that only holds 8-bit values.
            if lut.bits_per_entry == 16 && lut.entries.iter().all(|&e| e <= 255) {
                lut.bits_per_entry = 8;
            }
            Ok(lut)
        };
        Ok(PaletteColorLut {
            red: read(
                tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                "Red Palette Color LUT",
            )?,
            green: read(
                tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                "Green Palette Color LUT",
            )?,
            blue: read(
                tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                "Blue Palette Color LUT",
            )?,
        })
    }

    /// The 8-bit RGB colour of stored value `index`.
    pub fn lookup_8bit(&self, index: f64) -> [u8; 3] {
        [
            to_8bit(self.red.lookup(index) as f64, self.red.max_output()),
            to_8bit(self.green.lookup(index) as f64, self.green.max_output()),
            to_8bit(self.blue.lookup(index) as f64, self.blue.max_output()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};

    #[test]
    fn ybr_full_neutral_grey_stays_grey() {
        assert_eq!(
            ybr_full_to_rgb(128.0, 128.0, 128.0, 8),
            [128.0, 128.0, 128.0]
        );
    }

    #[test]
    fn ybr_full_to_rgb_on_known_values() {
        // Y 100, Cb 150, Cr 90: R = 100 + 1.402·(-38) = 46.724; G = 100 - 0.344136·22 - 0.714136·(-38) = 119.566;
        // B = 100 + 1.772·22 = 138.984.
        let [r, g, b] = ybr_full_to_rgb(100.0, 150.0, 90.0, 8);
        assert!(
            (r - 46.724).abs() < 1e-3 && (g - 119.566).abs() < 1e-3 && (b - 138.984).abs() < 1e-3
        );
        assert_eq!(
            [to_8bit(r, 255.0), to_8bit(g, 255.0), to_8bit(b, 255.0)],
            [47, 120, 139]
        );
    }

    #[test]
    fn ybr_full_round_trips_the_forward_equations_of_c_7_6_3_1_2() {
        let (r, g, b) = (200.0, 30.0, 90.0);
        let y = 0.2990 * r + 0.5870 * g + 0.1140 * b;
        let cb = -0.1687 * r - 0.3313 * g + 0.5000 * b + 128.0;
        let cr = 0.5000 * r - 0.4187 * g - 0.0813 * b + 128.0;
        let back = ybr_full_to_rgb(y, cb, cr, 8);
        for (a, e) in back.iter().zip([r, g, b]) {
            assert!((a - e).abs() < 0.1, "{back:?}");
        }
    }

    #[test]
    fn ybr_partial_black_and_white_levels() {
        let black = ybr_partial_to_rgb(16.0, 128.0, 128.0, 8);
        let white = ybr_partial_to_rgb(235.0, 128.0, 128.0, 8);
        assert_eq!(black, [0.0, 0.0, 0.0]);
        assert!(white.iter().all(|&v| (v - 255.0).abs() < 0.1), "{white:?}");
    }

    fn palette(
        bits: u16,
        first: u16,
        red: Vec<u16>,
        green: Vec<u16>,
        blue: Vec<u16>,
    ) -> InMemDicomObject {
        let n = red.len() as u16;
        let d = PrimitiveValue::from([n, first, bits]);
        InMemDicomObject::from_element_iter([
            DataElement::new(
                tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                VR::US,
                d.clone(),
            ),
            DataElement::new(
                tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                VR::US,
                d.clone(),
            ),
            DataElement::new(tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR, VR::US, d),
            DataElement::new(
                tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                VR::OW,
                PrimitiveValue::U16(red.into()),
            ),
            DataElement::new(
                tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                VR::OW,
                PrimitiveValue::U16(green.into()),
            ),
            DataElement::new(
                tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                VR::OW,
                PrimitiveValue::U16(blue.into()),
            ),
        ])
    }

    #[test]
    fn sixteen_bit_palette_entries_are_scaled_to_eight_bits() {
        let obj = palette(
            16,
            0,
            vec![0, 65535, 32896],
            vec![65535, 0, 257],
            vec![0, 0, 65535],
        );
        let p = PaletteColorLut::from_object(&obj, false).unwrap();
        assert_eq!(p.lookup_8bit(0.0), [0, 255, 0]);
        assert_eq!(p.lookup_8bit(1.0), [255, 0, 0]);
        assert_eq!(p.lookup_8bit(2.0), [128, 1, 255]);
        // beyond the table: last entry
        assert_eq!(p.lookup_8bit(7.0), [128, 1, 255]);
    }

    #[test]
    fn eight_bit_palette_entries_packed_in_words() {
        // 4 entries of 8 bits: red 10,20,30,40 packed two per word; first mapped value 100.
        let obj = palette(
            8,
            100,
            vec![0x140A, 0x281E],
            vec![0x0000, 0x0000],
            vec![0xFFFF, 0xFFFF],
        );
        // the descriptor count says 2 words' worth here, so rebuild it with 4 entries
        let mut obj = obj;
        for tag in [
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
        ] {
            obj.put(DataElement::new(
                tag,
                VR::US,
                PrimitiveValue::from([4u16, 100, 8]),
            ));
        }
        let p = PaletteColorLut::from_object(&obj, false).unwrap();
        assert_eq!(p.lookup_8bit(100.0), [10, 0, 255]);
        assert_eq!(p.lookup_8bit(103.0), [40, 0, 255]);
    }
}
