//! Typed reading of single attributes from a data set (or a sequence item): strings trimmed of DICOM padding,
//! numbers from binary (US, SS, FL, FD…) or text (DS, IS) values, and sequence items. These helpers never fail
//! loudly: an absent or unreadable attribute is `None`/empty, and the caller decides whether that is an error.
//! They must not interpret attributes (no defaults, no DICOM rules) beyond converting the value.

use dicom_core::Tag;
use dicom_object::InMemDicomObject;

/// The whole value of `tag` as text, multiple values joined by `\`, with trailing padding (spaces, NULs) and
/// leading spaces removed. `None` when absent, empty or not representable as text.
pub fn string(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let elem = obj.get(tag)?;
    let text = elem.value().to_str().ok()?;
    let trimmed = text.trim_matches(|c: char| c == ' ' || c == '\0');
    if trimmed.is_empty() {
        None
    } else {
        Some(trimmed.to_string())
    }
}

/// Each value of a multi-valued text attribute, trimmed; empty when absent.
pub fn strings(obj: &InMemDicomObject, tag: Tag) -> Vec<String> {
    match obj.get(tag) {
        Some(elem) => elem
            .value()
            .to_multi_str()
            .map(|values| {
                values
                    .iter()
                    // A single text value may still hold several values separated by backslashes.
                    .flat_map(|s| s.split('\\'))
                    .map(|s| s.trim_matches(|c: char| c == ' ' || c == '\0').to_string())
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

/// Every value of a numeric attribute (binary or DS/IS text) as `f64`; empty when absent or unreadable.
pub fn f64s(obj: &InMemDicomObject, tag: Tag) -> Vec<f64> {
    match obj.get(tag) {
        Some(elem) => elem.value().to_multi_float64().unwrap_or_else(|_| {
            // Text (DS/IS) held as one backslash-separated string.
            let parsed: Option<Vec<f64>> = strings(obj, tag)
                .iter()
                .map(|s| s.parse::<f64>().ok())
                .collect();
            parsed.unwrap_or_default()
        }),
        None => Vec::new(),
    }
}

/// The first value of a numeric attribute as `f64`.
pub fn f64(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    f64s(obj, tag).into_iter().next()
}

/// Every value of an integer attribute (US, SS, UL, SL, IS…) as `i64`; empty when absent or unreadable.
pub fn ints(obj: &InMemDicomObject, tag: Tag) -> Vec<i64> {
    match obj.get(tag) {
        Some(elem) => elem.value().to_multi_int::<i64>().unwrap_or_else(|_| {
            let parsed: Option<Vec<i64>> = strings(obj, tag)
                .iter()
                .map(|s| s.parse::<i64>().ok())
                .collect();
            parsed.unwrap_or_default()
        }),
        None => Vec::new(),
    }
}

/// The first value of an integer attribute as `i64`.
pub fn int(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    ints(obj, tag).into_iter().next()
}

/// The items of a sequence attribute; empty when absent or not a sequence.
pub fn items(obj: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    obj.get(tag)
        .and_then(|elem| elem.value().items())
        .unwrap_or(&[])
}

/// The raw bytes of a binary attribute in little-endian order (words of OW values are written low byte
/// first, whatever the transfer syntax was), e.g. LUT Data (0028,3006).
pub fn le_bytes(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<u8>> {
    let elem = obj.get(tag)?;
    match elem.value() {
        dicom_core::value::Value::Primitive(p) => Some(crate::decode::primitive_le_bytes(p)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;

    #[test]
    fn backslash_separated_text_is_split_into_values() {
        let obj = InMemDicomObject::from_element_iter([
            DataElement::new(
                tags::WINDOW_CENTER,
                VR::DS,
                PrimitiveValue::from(" 40\\-300.5 "),
            ),
            DataElement::new(
                tags::WINDOW_CENTER_WIDTH_EXPLANATION,
                VR::LO,
                PrimitiveValue::from("SOFT\\BONE "),
            ),
        ]);
        assert_eq!(f64s(&obj, tags::WINDOW_CENTER), vec![40.0, -300.5]);
        assert_eq!(
            strings(&obj, tags::WINDOW_CENTER_WIDTH_EXPLANATION),
            vec!["SOFT", "BONE"]
        );
    }

    #[test]
    fn padding_is_trimmed_and_empty_is_none() {
        let obj = InMemDicomObject::from_element_iter([
            DataElement::new(
                tags::PATIENT_NAME,
                VR::PN,
                PrimitiveValue::from("DOE^JANE "),
            ),
            DataElement::new(tags::PATIENT_ID, VR::LO, PrimitiveValue::from("  ")),
        ]);
        assert_eq!(
            string(&obj, tags::PATIENT_NAME).as_deref(),
            Some("DOE^JANE")
        );
        assert_eq!(string(&obj, tags::PATIENT_ID), None);
        assert_eq!(string(&obj, tags::STUDY_DATE), None);
    }
}
