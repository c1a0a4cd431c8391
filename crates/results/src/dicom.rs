//! Small helpers over dicom-object's in-memory data sets: putting values of the right VR, reading strings,
//! items and codes back.

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use crate::codes::Code;

/// Puts a string value (empty for a type 2 attribute without a value).
pub(crate) fn put(obj: &mut InMemDicomObject, tag: Tag, vr: VR, value: &str) {
    if value.is_empty() {
        obj.put(DataElement::new(tag, vr, PrimitiveValue::Empty));
    } else {
        obj.put(DataElement::new(tag, vr, PrimitiveValue::from(value)));
    }
}

/// Puts a sequence of items (none for an empty type 2 sequence).
pub(crate) fn put_seq(obj: &mut InMemDicomObject, tag: Tag, items: Vec<InMemDicomObject>) {
    obj.put(DataElement::new(tag, VR::SQ, DataSetSequence::from(items)));
}

/// A value for a one-valued string VR: no backslash (the value delimiter), no control characters, at most
/// `max` characters (LO 64, SH 16…).
pub(crate) fn clean(value: &str, max: usize) -> String {
    value
        .chars()
        .map(|c| if c == '\\' { '/' } else { c })
        .filter(|c| !c.is_control())
        .take(max)
        .collect::<String>()
        .trim()
        .to_string()
}

/// A Code Sequence Macro item: Code Value (SH) or, for longer values, Long Code Value (UC).
pub(crate) fn code_item(code: &Code) -> InMemDicomObject {
    let mut item = InMemDicomObject::new_empty();
    if code.value.chars().count() <= 16 {
        put(&mut item, tags::CODE_VALUE, VR::SH, &code.value);
    } else {
        put(&mut item, tags::LONG_CODE_VALUE, VR::UC, &code.value);
    }
    put(
        &mut item,
        tags::CODING_SCHEME_DESIGNATOR,
        VR::SH,
        &code.scheme,
    );
    put(
        &mut item,
        tags::CODE_MEANING,
        VR::LO,
        &clean(&code.meaning, 64),
    );
    item
}

/// A string attribute, trimmed of DICOM padding; `None` when absent, empty or not text.
pub(crate) fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let s = obj.get(tag)?.to_str().ok()?;
    let s = s.trim_end_matches(['\0', ' ']).trim_start();
    (!s.is_empty()).then(|| s.to_string())
}

/// The items of a sequence attribute (none when absent or not a sequence).
pub(crate) fn items(obj: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    obj.get(tag).and_then(|e| e.items()).unwrap_or(&[])
}

/// The first code of a code sequence.
pub(crate) fn code_of(obj: &InMemDicomObject, tag: Tag) -> Option<Code> {
    let item = items(obj, tag).first()?;
    Some(Code {
        value: text(item, tags::CODE_VALUE)
            .or_else(|| text(item, tags::LONG_CODE_VALUE))
            .or_else(|| text(item, tags::URN_CODE_VALUE))?,
        scheme: text(item, tags::CODING_SCHEME_DESIGNATOR).unwrap_or_default(),
        meaning: text(item, tags::CODE_MEANING).unwrap_or_default(),
    })
}

/// True when any text value in `obj` or its items is outside ASCII (the default character repertoire).
pub(crate) fn has_non_ascii(obj: &InMemDicomObject) -> bool {
    use dicom_core::value::Value;
    obj.iter().any(|e| match e.value() {
        Value::Primitive(PrimitiveValue::Str(s)) => !s.is_ascii(),
        Value::Primitive(PrimitiveValue::Strs(v)) => v.iter().any(|s| !s.is_ascii()),
        Value::Sequence(seq) => seq.items().iter().any(has_non_ascii),
        _ => false,
    })
}
