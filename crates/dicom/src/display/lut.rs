//! Lookup tables as DICOM encodes them: a LUT Descriptor (number of entries, first stored value mapped, bits per
//! entry; PS3.3 C.11.1.1.1 and C.7.6.3.1.5) and LUT Data. Used by the Modality LUT, the VOI LUT and the Palette
//! Color LUTs. Handles the known encoding quirks: 0 entries meaning 65536, a first mapped value of a signed image
//! read as unsigned, and 8-bit entries packed two per 16-bit word or one per word. Must not decide which LUT
//! applies (see `modality`, `voi`, `color`).

use crate::attr;
use crate::error::*;
use dicom_core::Tag;
use dicom_object::InMemDicomObject;

/// One decoded LUT.
#[derive(Debug, Clone, PartialEq)]
pub struct Lut {
    /// Second LUT Descriptor value: the input value mapped to the first entry.
    pub first_mapped: i64,
    /// Third LUT Descriptor value (after quirk correction): bits per entry, so outputs span 0..2^bits - 1.
    pub bits_per_entry: u16,
    /// The LUT Data entries.
    pub entries: Vec<u16>,
    /// LUT Explanation (0028,3003) when present.
    pub explanation: Option<String>,
}

impl Lut {
    /// Read a LUT from `item`: descriptor `descriptor_tag`, data `data_tag`.
    ///
    /// `input_signed`: whether the values fed into the LUT can be negative (Pixel Representation 1 for the
    /// Modality LUT and Palette Color LUTs); then a first mapped value above 32767 is the unsigned reading of a
    /// negative SS value. `lut` names the table in errors.
    pub fn from_item(
        item: &InMemDicomObject,
        descriptor_tag: Tag,
        data_tag: Tag,
        input_signed: bool,
        lut: &'static str,
    ) -> Result<Lut> {
        let invalid = |reason: String| Error::InvalidLut { lut, reason };
        let descriptor = attr::ints(item, descriptor_tag);
        let [count, first, bits] = descriptor[..] else {
            return Err(invalid(format!(
                "the LUT Descriptor {descriptor_tag} has {} values, 3 are required",
                descriptor.len()
            )));
        };
        // PS3.3 C.11.1.1.1: 0 entries means 2^16 (the count is US, so it may also have been read as -32768..-1).
        let count = match count {
            0 => 65536,
            c if c < 0 => c + 65536,
            c => c,
        } as usize;
        let first_mapped = if input_signed && first > 32767 {
            first - 65536
        } else {
            first
        };
        if !(1..=16).contains(&bits) {
            return Err(invalid(format!(
                "{bits} bits per entry; 1 to 16 are allowed"
            )));
        }
        let data = attr::le_bytes(item, data_tag)
            .ok_or_else(|| invalid(format!("the LUT Data {data_tag} is missing")))?;
        let words = |bytes: &[u8]| -> Vec<u16> {
            bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect()
        };
        let (mut entries, mut bits_per_entry) = if data.len() >= count * 2 {
            (words(&data[..count * 2]), bits as u16)
        } else if bits <= 8 && data.len() >= count {
            // 8-bit entries packed two per word (low byte first).
            (
                data[..count].iter().map(|&b| b as u16).collect(),
                bits as u16,
            )
        } else if bits > 8 && data.len() >= count {
            // Descriptor says 16 bits, data holds one byte per entry: trust the data.
            (data[..count].iter().map(|&b| b as u16).collect(), 8)
        } else {
            return Err(invalid(format!(
                "the LUT Data has {} bytes for {count} entries of {bits} bits",
                data.len()
            )));
        };
        if bits_per_entry <= 8 && entries.iter().any(|&e| e > 255) {
            // Descriptor says 8 bits but the words hold larger values: they are 16-bit entries.
            bits_per_entry = 16;
        }
        if entries.is_empty() {
            return Err(invalid("the LUT has no entries".to_string()));
        }
        entries.shrink_to_fit();
        Ok(Lut {
            first_mapped,
            bits_per_entry,
            entries,
            explanation: attr::string(item, dicom_dictionary_std::tags::LUT_EXPLANATION),
        })
    }

    /// The entry for input `x`: inputs below the first mapped value give the first entry, inputs beyond the
    /// last mapped value give the last entry (PS3.3 C.11.1.1.1). Non-integer inputs are rounded.
    pub fn lookup(&self, x: f64) -> u16 {
        let Some(last) = self.entries.len().checked_sub(1) else {
            return 0;
        };
        let i = (x.round() - self.first_mapped as f64).clamp(0.0, last as f64) as usize;
        self.entries.get(i).copied().unwrap_or(0)
    }

    /// Largest output value the descriptor allows: 2^bits - 1.
    pub fn max_output(&self) -> f64 {
        ((1u64 << self.bits_per_entry.clamp(1, 32)) - 1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;

    fn item(descriptor: PrimitiveValue, data: PrimitiveValue) -> InMemDicomObject {
        InMemDicomObject::from_element_iter([
            DataElement::new(tags::LUT_DESCRIPTOR, VR::US, descriptor),
            DataElement::new(tags::LUT_DATA, VR::OW, data),
        ])
    }

    #[test]
    fn lookup_clamps_below_and_above_the_mapped_range() {
        let it = item(
            PrimitiveValue::from([3u16, 10, 16]),
            PrimitiveValue::U16(vec![100, 200, 300].into()),
        );
        let lut =
            Lut::from_item(&it, tags::LUT_DESCRIPTOR, tags::LUT_DATA, false, "test LUT").unwrap();
        assert_eq!(
            [
                lut.lookup(5.0),
                lut.lookup(10.0),
                lut.lookup(11.0),
                lut.lookup(12.0),
                lut.lookup(99.0)
            ],
            [100, 100, 200, 300, 300]
        );
    }

    #[test]
    fn first_mapped_value_read_as_unsigned_is_negative_for_signed_input() {
        // -1024 stored as US reads 64512.
        let it = item(
            PrimitiveValue::from([2u16, 64512, 16]),
            PrimitiveValue::U16(vec![7, 9].into()),
        );
        let lut =
            Lut::from_item(&it, tags::LUT_DESCRIPTOR, tags::LUT_DATA, true, "test LUT").unwrap();
        assert_eq!(lut.first_mapped, -1024);
        assert_eq!(lut.lookup(-1023.0), 9);
    }

    #[test]
    fn zero_entries_means_65536() {
        let data: Vec<u16> = (0..=65535u16).collect();
        let it = item(
            PrimitiveValue::from([0u16, 0, 16]),
            PrimitiveValue::U16(data.into()),
        );
        let lut =
            Lut::from_item(&it, tags::LUT_DESCRIPTOR, tags::LUT_DATA, false, "test LUT").unwrap();
        assert_eq!(lut.entries.len(), 65536);
        assert_eq!(lut.lookup(65535.0), 65535);
    }

    #[test]
    fn eight_bit_entries_packed_two_per_word() {
        // Four 8-bit entries 1, 2, 3, 4 in two words.
        let it = item(
            PrimitiveValue::from([4u16, 0, 8]),
            PrimitiveValue::U16([0x0201, 0x0403].into()),
        );
        let lut =
            Lut::from_item(&it, tags::LUT_DESCRIPTOR, tags::LUT_DATA, false, "test LUT").unwrap();
        assert_eq!(lut.entries, vec![1, 2, 3, 4]);
        assert_eq!(lut.max_output(), 255.0);
    }

    #[test]
    fn eight_bit_descriptor_with_sixteen_bit_values_is_sixteen_bit() {
        let it = item(
            PrimitiveValue::from([2u16, 0, 8]),
            PrimitiveValue::U16(vec![0, 4095].into()),
        );
        let lut =
            Lut::from_item(&it, tags::LUT_DESCRIPTOR, tags::LUT_DATA, false, "test LUT").unwrap();
        assert_eq!(lut.bits_per_entry, 16);
    }

    #[test]
    fn short_lut_data_is_an_error() {
        let it = item(
            PrimitiveValue::from([4u16, 0, 16]),
            PrimitiveValue::U16(vec![1].into()),
        );
        assert!(
            Lut::from_item(&it, tags::LUT_DESCRIPTOR, tags::LUT_DATA, false, "test LUT").is_err()
        );
    }
}
