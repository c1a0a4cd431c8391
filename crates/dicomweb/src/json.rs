//! DICOM JSON (PS3.18 Annex F) both ways, plus typed readers for the JSON objects QIDO-RS and WADO-RS metadata
//! return.
//!
//! Conversion to and from [`InMemDicomObject`] goes through dicom-json 0.10.1; this module adds the optional
//! `BulkDataURI` replacement of large binary values (F.2.6) and typed access by [`Tag`] to string, person name
//! (`Alphabetic` component group, F.2.2) and numeric values (IS/DS may arrive as JSON numbers or strings). The
//! readers never panic on unexpected JSON shapes: a missing or malformed value reads as `None`.

use dicom_core::Tag;
use dicom_object::InMemDicomObject;
use serde::Deserialize;
use serde_json::{Map, Value};
use snafu::{ResultExt, Snafu};

/// A DICOM JSON conversion failed.
#[derive(Debug, Snafu)]
#[non_exhaustive]
pub enum JsonError {
    /// dicom-json could not write the object (e.g. a primitive value declared with VR SQ).
    #[snafu(display("cannot write the data set as DICOM JSON: {source}"))]
    Serialize { source: serde_json::Error },
    /// The JSON is not a DICOM JSON data set (a bad tag key, a missing `vr`, a value of the wrong kind…).
    #[snafu(display("not a valid DICOM JSON data set: {source}"))]
    Deserialize { source: serde_json::Error },
}

/// The DICOM JSON key of a tag: eight upper-case hexadecimal digits, `GGGGEEEE` (F.2.1.1).
pub fn tag_key(tag: Tag) -> String {
    format!("{:04X}{:04X}", tag.group(), tag.element())
}

/// Writes `obj` as a DICOM JSON data set, every binary value inline (`InlineBinary`, base64).
pub fn to_dicom_json(obj: &InMemDicomObject) -> Result<Value, JsonError> {
    dicom_json::to_value(obj).context(SerializeSnafu)
}

/// Writes `obj` as DICOM JSON, replacing each binary value (VR OB, OD, OF, OL, OV, OW, UN) longer than
/// `threshold` bytes, and any encapsulated Pixel Data, with a `BulkDataURI` (F.2.6). `bulk_data_uri` receives the
/// tag path from the top level (sequence items are not counted, only the tags) and returns the URI to write,
/// e.g. `…/instances/{uid}/bulk/7FE00010`.
pub fn to_dicom_json_with_bulk_data(
    obj: &InMemDicomObject,
    threshold: usize,
    bulk_data_uri: &dyn Fn(&[Tag]) -> String,
) -> Result<Value, JsonError> {
    let mut value = to_dicom_json(obj)?;
    replace_bulk(&mut value, &mut Vec::new(), threshold, bulk_data_uri);
    Ok(value)
}

const BINARY_VRS: [&str; 7] = ["OB", "OD", "OF", "OL", "OV", "OW", "UN"];

fn replace_bulk(
    dataset: &mut Value,
    path: &mut Vec<Tag>,
    threshold: usize,
    uri: &dyn Fn(&[Tag]) -> String,
) {
    let Some(map) = dataset.as_object_mut() else {
        return;
    };
    for (key, element) in map.iter_mut() {
        let Some(tag) = parse_tag_key(key) else {
            continue;
        };
        let Some(element) = element.as_object_mut() else {
            continue;
        };
        path.push(tag);
        let vr = element
            .get("vr")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if vr == "SQ" {
            if let Some(Value::Array(items)) = element.get_mut("Value") {
                for item in items {
                    replace_bulk(item, path, threshold, uri);
                }
            }
        } else if BINARY_VRS.contains(&vr.as_str()) {
            // base64 of n bytes is 4·⌈n/3⌉ characters, so this bound is exact to within padding.
            let inline_len = element
                .get("InlineBinary")
                .and_then(Value::as_str)
                .map(|s| s.len() / 4 * 3);
            // dicom-json writes encapsulated Pixel Data as a bare `{"vr": "OB"}`: it is bulk data by nature.
            let encapsulated = tag == Tag(0x7FE0, 0x0010) && element.len() == 1;
            if inline_len.is_some_and(|n| n > threshold) || encapsulated {
                element.remove("InlineBinary");
                element.insert("BulkDataURI".to_string(), Value::String(uri(path)));
            }
        }
        path.pop();
    }
}

/// Reads a DICOM JSON data set into an in-memory object. Attributes given by `BulkDataURI` come back with an empty
/// value (their bytes are elsewhere: fetch them with [`Client::retrieve_bulk_data`](crate::Client) and see
/// [`bulk_data_uris`]).
pub fn from_dicom_json(value: &Value) -> Result<InMemDicomObject, JsonError> {
    // dicom-json drops attributes given by BulkDataURI; keep them, empty, so their presence is not lost.
    let stripped;
    let value = if bulk_data_uris(value).is_empty() {
        value
    } else {
        let mut copy = value.clone();
        strip_bulk_data_uris(&mut copy);
        stripped = copy;
        &stripped
    };
    dicom_json::DicomJson::<InMemDicomObject>::deserialize(value)
        .map(|d| d.into_inner())
        .context(DeserializeSnafu)
}

fn strip_bulk_data_uris(dataset: &mut Value) {
    let Some(map) = dataset.as_object_mut() else {
        return;
    };
    for element in map.values_mut() {
        let Some(element) = element.as_object_mut() else {
            continue;
        };
        element.remove("BulkDataURI");
        if let Some(Value::Array(items)) = element.get_mut("Value") {
            items.iter_mut().for_each(strip_bulk_data_uris);
        }
    }
}

/// Every `BulkDataURI` in a DICOM JSON data set, with the tag path leading to it (sequence tags first).
pub fn bulk_data_uris(dataset: &Value) -> Vec<(Vec<Tag>, String)> {
    fn walk(dataset: &Value, path: &mut Vec<Tag>, out: &mut Vec<(Vec<Tag>, String)>) {
        let Some(map) = dataset.as_object() else {
            return;
        };
        for (key, element) in map {
            let Some(tag) = parse_tag_key(key) else {
                continue;
            };
            path.push(tag);
            if let Some(uri) = element.get("BulkDataURI").and_then(Value::as_str) {
                out.push((path.clone(), uri.to_string()));
            }
            if let Some(Value::Array(items)) = element.get("Value") {
                for item in items.iter().filter(|i| i.is_object()) {
                    walk(item, path, out);
                }
            }
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(dataset, &mut Vec::new(), &mut out);
    out
}

/// Parses a DICOM JSON key `GGGGEEEE`.
pub fn parse_tag_key(key: &str) -> Option<Tag> {
    if key.len() != 8 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let group = u16::from_str_radix(key.get(0..4)?, 16).ok()?;
    let element = u16::from_str_radix(key.get(4..8)?, 16).ok()?;
    Some(Tag(group, element))
}

/// The attribute object (`{"vr": …, "Value": […]}`) for `tag` in a DICOM JSON data set.
pub fn attribute(dataset: &Value, tag: Tag) -> Option<&Map<String, Value>> {
    dataset.as_object()?.get(&tag_key(tag))?.as_object()
}

/// The VR of `tag` as written in the data set.
pub fn vr(dataset: &Value, tag: Tag) -> Option<&str> {
    attribute(dataset, tag)?.get("vr")?.as_str()
}

/// The `Value` array of `tag` (empty when the attribute is absent or has no value).
pub fn values(dataset: &Value, tag: Tag) -> &[Value] {
    attribute(dataset, tag)
        .and_then(|a| a.get("Value"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Every value of `tag` as text: strings as they are, numbers in JSON notation, person names as their
/// `Alphabetic` component group; `null` entries (empty values in a multi-valued attribute) as empty strings.
pub fn strings(dataset: &Value, tag: Tag) -> Vec<String> {
    values(dataset, tag).iter().map(value_text).collect()
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Object(pn) => pn
            .get("Alphabetic")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null | Value::Array(_) => String::new(),
    }
}

/// The first value of `tag` as text (see [`strings`]); `None` if the attribute is absent or empty.
pub fn string(dataset: &Value, tag: Tag) -> Option<String> {
    values(dataset, tag).first().map(value_text)
}

/// The first person name of `tag` (VR PN): its `Alphabetic` component group, e.g. `Doe^Jane`.
pub fn person_name(dataset: &Value, tag: Tag) -> Option<String> {
    person_name_group(dataset, tag, "Alphabetic")
}

/// One component group (`Alphabetic`, `Ideographic` or `Phonetic`, F.2.2) of the first person name of `tag`.
pub fn person_name_group(dataset: &Value, tag: Tag, group: &str) -> Option<String> {
    values(dataset, tag)
        .first()?
        .as_object()?
        .get(group)?
        .as_str()
        .map(str::to_string)
}

/// Every value of `tag` as a number. IS and DS values may be JSON numbers or decimal strings (F.2.3.1); values
/// that are neither are skipped.
pub fn numbers(dataset: &Value, tag: Tag) -> Vec<f64> {
    values(dataset, tag)
        .iter()
        .filter_map(|v| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .collect()
}

/// The first value of `tag` as a number (see [`numbers`]).
pub fn number(dataset: &Value, tag: Tag) -> Option<f64> {
    numbers(dataset, tag).into_iter().next()
}

/// The first value of `tag` as an integer, if it is one exactly (Number of Frames, Rows, Instance Number…).
pub fn integer(dataset: &Value, tag: Tag) -> Option<i64> {
    match values(dataset, tag).first()? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The items of sequence `tag` (VR SQ), each a DICOM JSON data set.
pub fn items(dataset: &Value, tag: Tag) -> &[Value] {
    values(dataset, tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;
    use dicom_object::mem::InMemElement;
    use serde_json::json;

    fn sample() -> InMemDicomObject {
        let item = InMemDicomObject::from_element_iter([InMemElement::new(
            tags::REFERENCED_SOP_INSTANCE_UID,
            VR::UI,
            "1.2.3.4",
        )]);
        InMemDicomObject::from_element_iter([
            InMemElement::new(tags::PATIENT_NAME, VR::PN, "Doe^Jane"),
            InMemElement::new(
                tags::IMAGE_POSITION_PATIENT,
                VR::DS,
                PrimitiveValue::Strs(
                    ["-125.5", "0", "12"]
                        .into_iter()
                        .map(String::from)
                        .collect(),
                ),
            ),
            InMemElement::new(tags::INSTANCE_NUMBER, VR::IS, "7"),
            InMemElement::new(tags::ROWS, VR::US, PrimitiveValue::from(512_u16)),
            InMemElement::new(
                tags::REFERENCED_IMAGE_SEQUENCE,
                VR::SQ,
                dicom_core::value::DataSetSequence::from(vec![item]),
            ),
            InMemElement::new(
                tags::PIXEL_DATA,
                VR::OB,
                PrimitiveValue::from(vec![1_u8, 2, 3, 4, 5, 6]),
            ),
        ])
    }

    #[test]
    fn to_dicom_json_writes_pn_alphabetic_multivalued_ds_and_sequences() {
        let v = to_dicom_json(&sample()).unwrap();
        assert_eq!(
            v["00100010"],
            json!({"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]})
        );
        assert_eq!(v["00200032"]["vr"], "DS");
        assert_eq!(
            numbers(&v, tags::IMAGE_POSITION_PATIENT),
            vec![-125.5, 0.0, 12.0]
        );
        assert_eq!(v["00081140"]["Value"][0]["00081155"]["Value"][0], "1.2.3.4");
        assert_eq!(v["7FE00010"]["InlineBinary"], "AQIDBAUG");
    }

    #[test]
    fn dicom_json_round_trips_through_in_memory_object() {
        let v = to_dicom_json(&sample()).unwrap();
        let back = from_dicom_json(&v).unwrap();
        let name = back.element(tags::PATIENT_NAME).unwrap().to_str().unwrap();
        assert_eq!(name, "Doe^Jane");
        let ipp = back
            .element(tags::IMAGE_POSITION_PATIENT)
            .unwrap()
            .to_multi_float64()
            .unwrap();
        assert_eq!(ipp, vec![-125.5, 0.0, 12.0]);
        let seq = back
            .element(tags::REFERENCED_IMAGE_SEQUENCE)
            .unwrap()
            .items()
            .unwrap();
        assert_eq!(seq.len(), 1);
        assert_eq!(
            seq[0]
                .element(tags::REFERENCED_SOP_INSTANCE_UID)
                .unwrap()
                .to_str()
                .unwrap(),
            "1.2.3.4"
        );
        assert_eq!(
            back.element(tags::PIXEL_DATA)
                .unwrap()
                .to_bytes()
                .unwrap()
                .as_ref(),
            &[1, 2, 3, 4, 5, 6]
        );
        assert_eq!(to_dicom_json(&back).unwrap(), v);
    }

    #[test]
    fn from_dicom_json_reads_numbers_given_as_json_numbers_or_strings() {
        let v = json!({
            "00280030": {"vr": "DS", "Value": [0.5, "0.25"]},
            "00200013": {"vr": "IS", "Value": [3]},
            "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎"}]}
        });
        let obj = from_dicom_json(&v).unwrap();
        assert_eq!(
            obj.element(tags::PIXEL_SPACING)
                .unwrap()
                .to_multi_float64()
                .unwrap(),
            vec![0.5, 0.25]
        );
        assert_eq!(
            obj.element(tags::INSTANCE_NUMBER)
                .unwrap()
                .to_int::<i32>()
                .unwrap(),
            3
        );
        assert_eq!(
            person_name(&v, tags::PATIENT_NAME).as_deref(),
            Some("Yamada^Tarou")
        );
        assert_eq!(
            person_name_group(&v, tags::PATIENT_NAME, "Ideographic").as_deref(),
            Some("山田^太郎")
        );
        assert_eq!(integer(&v, tags::INSTANCE_NUMBER), Some(3));
        assert_eq!(strings(&v, tags::PIXEL_SPACING), vec!["0.5", "0.25"]);
    }

    #[test]
    fn from_dicom_json_rejects_malformed_data_sets() {
        assert!(
            from_dicom_json(&json!({"00100010": {"Value": ["x"]}})).is_err(),
            "missing vr"
        );
        assert!(
            from_dicom_json(&json!({"XYZ": {"vr": "LO"}})).is_err(),
            "bad tag key"
        );
        assert!(from_dicom_json(&json!([1, 2])).is_err(), "not an object");
        assert!(
            from_dicom_json(&json!({"00280010": {"vr": "US", "Value": ["big"]}})).is_err(),
            "text in US"
        );
    }

    #[test]
    fn large_binary_values_become_bulk_data_uris() {
        let v = to_dicom_json_with_bulk_data(&sample(), 4, &|path| {
            format!("bulk/{}", tag_key(path[0]))
        })
        .unwrap();
        assert_eq!(
            v["7FE00010"],
            json!({"vr": "OB", "BulkDataURI": "bulk/7FE00010"})
        );
        assert_eq!(
            bulk_data_uris(&v),
            vec![(vec![tags::PIXEL_DATA], "bulk/7FE00010".to_string())]
        );
        // Under the threshold the value stays inline.
        let v = to_dicom_json_with_bulk_data(&sample(), 6, &|_| "x".into()).unwrap();
        assert_eq!(v["7FE00010"]["InlineBinary"], "AQIDBAUG");
        // A BulkDataURI reads back as an empty value.
        let obj =
            from_dicom_json(&json!({"7FE00010": {"vr": "OW", "BulkDataURI": "http://x/bulk"}}))
                .unwrap();
        assert!(obj
            .element(tags::PIXEL_DATA)
            .unwrap()
            .to_bytes()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn readers_return_none_on_absent_or_odd_values() {
        let v = json!({"00100020": {"vr": "LO"}, "00200013": {"vr": "IS", "Value": ["x"]}, "00080060": "oops"});
        assert_eq!(string(&v, tags::PATIENT_ID), None);
        assert_eq!(integer(&v, tags::INSTANCE_NUMBER), None);
        assert_eq!(string(&v, tags::MODALITY), None);
        assert_eq!(person_name(&json!(null), tags::PATIENT_NAME), None);
        assert!(values(&json!([]), tags::PATIENT_NAME).is_empty());
        let multi = json!({"00080061": {"vr": "CS", "Value": ["CT", null, "MR"]}});
        assert_eq!(
            strings(&multi, tags::MODALITIES_IN_STUDY),
            vec!["CT", "", "MR"]
        );
    }

    #[test]
    fn tag_keys_are_eight_upper_hex_digits() {
        assert_eq!(tag_key(tags::PIXEL_DATA), "7FE00010");
        assert_eq!(parse_tag_key("7fe00010"), Some(tags::PIXEL_DATA));
        assert_eq!(parse_tag_key("7FE0001"), None);
        assert_eq!(parse_tag_key("7FE0001G"), None);
    }

    #[test]
    fn private_tags_round_trip() {
        // A private attribute (odd group) is not in the dictionary; it must survive both directions.
        let obj = InMemDicomObject::from_element_iter([DataElement::new(
            Tag(0x0009, 0x0010),
            VR::LO,
            "PRIVATE",
        )]);
        let v = to_dicom_json(&obj).unwrap();
        assert_eq!(string(&v, Tag(0x0009, 0x0010)).as_deref(), Some("PRIVATE"));
        assert_eq!(to_dicom_json(&from_dicom_json(&v).unwrap()).unwrap(), v);
    }
}
