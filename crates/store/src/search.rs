//! QIDO-RS searches and WADO-RS metadata over the index: which records match a [`Query`], in which order, and
//! which attributes each result carries (PS3.18 6.7.1.2: the required return attributes of the level, those of
//! the levels above when the search is not scoped to them, the matched attributes and `includefield`).
//!
//! Computed attributes — Modalities in Study, SOP Classes in Study, Number of Study/Series Related
//! Series/Instances, Instance Availability and Retrieve URL — are built from the index at search time, so they
//! can be matched like stored ones. This module must not write files.

use crate::error::{self, Result};
use crate::index::{
    self, InstanceRecord, SeriesRecord, StudyRecord, INSTANCE_TAGS, SERIES_TAGS, STUDY_TAGS,
};
use crate::matching::MatchKey;
use crate::query::{dictionary_vr, IncludeFields, Level, Query};
use crate::Store;
use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use snafu::OptionExt;
use std::collections::BTreeSet;

/// Study level attributes every study result carries (PS3.18 Table 6.7.1-2, plus Study Description).
const STUDY_RETURN: &[Tag] = &[
    tags::STUDY_DATE,
    tags::STUDY_TIME,
    tags::ACCESSION_NUMBER,
    tags::INSTANCE_AVAILABILITY,
    tags::MODALITIES_IN_STUDY,
    tags::REFERRING_PHYSICIAN_NAME,
    tags::TIMEZONE_OFFSET_FROM_UTC,
    tags::RETRIEVE_URL,
    tags::PATIENT_NAME,
    tags::PATIENT_ID,
    tags::PATIENT_BIRTH_DATE,
    tags::PATIENT_SEX,
    tags::STUDY_INSTANCE_UID,
    tags::STUDY_ID,
    tags::STUDY_DESCRIPTION,
    tags::NUMBER_OF_STUDY_RELATED_SERIES,
    tags::NUMBER_OF_STUDY_RELATED_INSTANCES,
];

/// Series level attributes every series result carries (PS3.18 Table 6.7.1-2a).
const SERIES_RETURN: &[Tag] = &[
    tags::MODALITY,
    tags::TIMEZONE_OFFSET_FROM_UTC,
    tags::SERIES_DESCRIPTION,
    tags::SERIES_INSTANCE_UID,
    tags::PERFORMED_PROCEDURE_STEP_START_DATE,
    tags::PERFORMED_PROCEDURE_STEP_START_TIME,
    tags::SERIES_NUMBER,
    tags::NUMBER_OF_SERIES_RELATED_INSTANCES,
    tags::RETRIEVE_URL,
];

/// Instance level attributes every instance result carries (PS3.18 Table 6.7.1-2b).
const INSTANCE_RETURN: &[Tag] = &[
    tags::SOP_CLASS_UID,
    tags::SOP_INSTANCE_UID,
    tags::INSTANCE_AVAILABILITY,
    tags::TIMEZONE_OFFSET_FROM_UTC,
    tags::RETRIEVE_URL,
    tags::INSTANCE_NUMBER,
    tags::ROWS,
    tags::COLUMNS,
    tags::BITS_ALLOCATED,
    tags::NUMBER_OF_FRAMES,
];

/// Attributes computed from the index rather than read from files.
const COMPUTED: &[Tag] = &[
    tags::MODALITIES_IN_STUDY,
    tags::SOP_CLASSES_IN_STUDY,
    tags::NUMBER_OF_STUDY_RELATED_SERIES,
    tags::NUMBER_OF_STUDY_RELATED_INSTANCES,
    tags::NUMBER_OF_SERIES_RELATED_INSTANCES,
    tags::INSTANCE_AVAILABILITY,
    tags::RETRIEVE_URL,
];

/// One candidate result: a study, a series of it, or an instance of that series.
struct Row<'a> {
    study_uid: &'a str,
    study: &'a StudyRecord,
    series: Option<(&'a str, &'a SeriesRecord)>,
    instance: Option<(&'a str, &'a InstanceRecord)>,
    /// Attributes computed for this row (counts, modalities, Retrieve URL).
    computed: InMemDicomObject,
}

impl Row<'_> {
    /// The element for `tag`, from the most specific level that has it.
    fn element(&self, tag: Tag) -> Option<&DataElement<InMemDicomObject>> {
        let layers = [
            Some(&self.computed),
            self.instance.map(|(_, i)| &i.attrs),
            self.series.map(|(_, s)| &s.attrs),
            Some(&self.study.attrs),
        ];
        layers
            .into_iter()
            .flatten()
            .find_map(|o| o.element_opt(tag).ok().flatten())
    }

    /// The values of `tag` as strings (empty when absent).
    fn values(&self, tag: Tag) -> Vec<String> {
        self.element(tag)
            .and_then(|e| e.value().to_multi_str().ok().map(|v| v.into_owned()))
            .unwrap_or_default()
    }

    fn text(&self, tag: Tag) -> String {
        self.values(tag)
            .into_iter()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// The file that stands for this row when an attribute must be read from disk.
    fn representative_file(&self) -> Option<&std::path::Path> {
        if let Some((_, i)) = self.instance {
            return Some(&i.path);
        }
        let series = match self.series {
            Some((_, s)) => s,
            None => self.study.series.values().next()?,
        };
        series.instances.values().next().map(|i| i.path.as_path())
    }
}

/// Series of a study ordered by Series Number (numerically, absent last), then UID.
pub(crate) fn ordered_series(study: &StudyRecord) -> Vec<(&str, &SeriesRecord)> {
    let mut v: Vec<(&str, &SeriesRecord)> =
        study.series.iter().map(|(k, s)| (k.as_str(), s)).collect();
    v.sort_by_key(|(uid, s)| {
        (
            int_attr(&s.attrs, tags::SERIES_NUMBER).unwrap_or(i64::MAX),
            uid.to_string(),
        )
    });
    v
}

/// Instances of a series ordered by Instance Number (numerically, absent last), then UID.
pub(crate) fn ordered_instances(series: &SeriesRecord) -> Vec<(&str, &InstanceRecord)> {
    let mut v: Vec<(&str, &InstanceRecord)> = series
        .instances
        .iter()
        .map(|(k, i)| (k.as_str(), i))
        .collect();
    v.sort_by_key(|(uid, i)| {
        (
            int_attr(&i.attrs, tags::INSTANCE_NUMBER).unwrap_or(i64::MAX),
            uid.to_string(),
        )
    });
    v
}

fn int_attr(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    obj.element_opt(tag)
        .ok()
        .flatten()
        .and_then(|e| e.to_str().ok())
        .and_then(|s| s.trim().parse().ok())
}

fn str_element(tag: Tag, vr: VR, value: String) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(value))
}

fn strs_element(tag: Tag, vr: VR, values: Vec<String>) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::Strs(values.into()))
}

impl Store {
    /// Searches at `level` (PS3.18 8.3.4): every key of `query` must match (PS3.4 C.2.2.2 rules, see
    /// [`crate::matching`]); results come as DICOM JSON objects, studies newest first (Study Date, Study Time),
    /// series by Series Number, instances by Instance Number, then paged by `offset` and `limit`. A study or series
    /// scope that does not exist is [`crate::Error::NotFound`].
    pub fn search(&self, level: Level, query: &Query) -> Result<Vec<serde_json::Value>> {
        let idx = self.index.read().map_err(|_| crate::Error::Poisoned)?;
        if let Some(st) = &query.study_uid {
            let study = idx.studies.get(st).context(error::NotFoundSnafu {
                what: format!("study {st}"),
            })?;
            if let Some(se) = &query.series_uid {
                study.series.get(se).context(error::NotFoundSnafu {
                    what: format!("series {se} in study {st}"),
                })?;
            }
        }
        let base = query
            .retrieve_base
            .as_deref()
            .map(|b| b.trim_end_matches('/'));

        // Candidate rows at the requested level, within the path's scope.
        let mut rows: Vec<Row> = Vec::new();
        for (st_uid, study) in &idx.studies {
            if query.study_uid.as_ref().is_some_and(|s| s != st_uid) {
                continue;
            }
            let study_computed = study_attributes(st_uid, study, base);
            if level == Level::Study {
                rows.push(Row {
                    study_uid: st_uid,
                    study,
                    series: None,
                    instance: None,
                    computed: study_computed,
                });
                continue;
            }
            for (se_uid, series) in ordered_series(study) {
                if query.series_uid.as_ref().is_some_and(|s| s != se_uid) {
                    continue;
                }
                let series_url = base.map(|b| format!("{b}/studies/{st_uid}/series/{se_uid}"));
                if level == Level::Series {
                    let mut computed = study_computed.clone();
                    computed.put(str_element(
                        tags::NUMBER_OF_SERIES_RELATED_INSTANCES,
                        VR::IS,
                        series.instances.len().to_string(),
                    ));
                    match &series_url {
                        Some(url) => {
                            computed.put(str_element(tags::RETRIEVE_URL, VR::UR, url.clone()))
                        }
                        None => computed.take_element(tags::RETRIEVE_URL).ok(),
                    };
                    rows.push(Row {
                        study_uid: st_uid,
                        study,
                        series: Some((se_uid, series)),
                        instance: None,
                        computed,
                    });
                    continue;
                }
                for (sop, instance) in ordered_instances(series) {
                    let mut computed = study_computed.clone();
                    computed.put(str_element(
                        tags::NUMBER_OF_SERIES_RELATED_INSTANCES,
                        VR::IS,
                        series.instances.len().to_string(),
                    ));
                    match &series_url {
                        Some(url) => computed.put(str_element(
                            tags::RETRIEVE_URL,
                            VR::UR,
                            format!("{url}/instances/{sop}"),
                        )),
                        None => computed.take_element(tags::RETRIEVE_URL).ok(),
                    };
                    rows.push(Row {
                        study_uid: st_uid,
                        study,
                        series: Some((se_uid, series)),
                        instance: Some((sop, instance)),
                        computed,
                    });
                }
            }
        }

        // Matching.
        let keys: Vec<(Tag, VR, MatchKey)> = query
            .keys
            .iter()
            .map(|(tag, value)| {
                let vr = dictionary_vr(*tag);
                (*tag, vr, MatchKey::parse(vr, value, query.fuzzy))
            })
            .collect();
        rows.retain(|row| {
            keys.iter()
                .all(|(tag, vr, key)| key.matches(*vr, &row.values(*tag)))
        });

        // Order: studies newest first (Study Date, Study Time, then UID). The sort is stable, so series and
        // instances keep their natural order within a study.
        rows.sort_by_cached_key(|row| {
            (
                std::cmp::Reverse(row.text(tags::STUDY_DATE)),
                std::cmp::Reverse(row.text(tags::STUDY_TIME)),
                row.study_uid,
            )
        });

        // Which attributes each result carries.
        let mut wanted: Vec<Tag> = Vec::new();
        let scoped_study = query.study_uid.is_some();
        let scoped_series = query.series_uid.is_some();
        match level {
            Level::Study => wanted.extend_from_slice(STUDY_RETURN),
            Level::Series => {
                if !scoped_study {
                    wanted.extend_from_slice(STUDY_RETURN);
                }
                wanted.push(tags::STUDY_INSTANCE_UID);
                wanted.extend_from_slice(SERIES_RETURN);
            }
            Level::Instance => {
                if !scoped_study {
                    wanted.extend_from_slice(STUDY_RETURN);
                }
                if !scoped_series {
                    wanted.extend_from_slice(SERIES_RETURN);
                }
                wanted.push(tags::STUDY_INSTANCE_UID);
                wanted.push(tags::SERIES_INSTANCE_UID);
                wanted.extend_from_slice(INSTANCE_RETURN);
            }
        }
        wanted.extend(query.keys.iter().map(|(t, _)| *t));
        let mut from_file: Vec<Tag> = Vec::new();
        match &query.include {
            IncludeFields::Required => {}
            IncludeFields::All => {
                wanted.extend_from_slice(STUDY_TAGS);
                wanted.extend_from_slice(COMPUTED);
                if level != Level::Study {
                    wanted.extend_from_slice(SERIES_TAGS);
                }
                if level == Level::Instance {
                    wanted.extend_from_slice(INSTANCE_TAGS);
                }
            }
            IncludeFields::Tags(t) => {
                for tag in t {
                    wanted.push(*tag);
                    let known = STUDY_TAGS.contains(tag)
                        || SERIES_TAGS.contains(tag)
                        || INSTANCE_TAGS.contains(tag)
                        || COMPUTED.contains(tag);
                    if !known {
                        from_file.push(*tag);
                    }
                }
            }
        }
        let wanted: BTreeSet<Tag> = wanted.into_iter().collect();

        let limit = query.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        for row in rows.iter().skip(query.offset).take(limit) {
            let mut obj = InMemDicomObject::new_empty();
            for &tag in &wanted {
                if tag == tags::RETRIEVE_URL && base.is_none() {
                    continue;
                }
                match row.element(tag) {
                    Some(e) => {
                        obj.put(e.clone());
                    }
                    None => {
                        // Required attributes are returned even when empty (Type 2 semantics); unknown extra
                        // fields are simply absent.
                        let vr = dictionary_vr(tag);
                        if vr != VR::UN && vr != VR::SQ {
                            obj.put(DataElement::new(tag, vr, PrimitiveValue::Empty));
                        }
                    }
                }
            }
            if !from_file.is_empty() {
                if let Some(path) = row.representative_file() {
                    if let Ok(header) = index::read_header(path) {
                        for tag in &from_file {
                            if let Ok(Some(e)) = header.element_opt(*tag) {
                                obj.put(e.clone());
                            }
                        }
                    }
                }
            }
            let mut json = dicom_json::to_value(&obj).map_err(|e| crate::Error::Encode {
                sop_instance_uid: row.study_uid.to_string(),
                reason: e.to_string(),
            })?;
            numbers_as_json_numbers(&mut json);
            out.push(json);
        }
        Ok(out)
    }

    /// WADO-RS metadata (PS3.18 8.6.1): the DICOM JSON of every instance of a study, of one series, or of one
    /// instance, without Pixel Data, which is given as a `BulkDataURI` under `retrieve_base` (e.g.
    /// `http://host/dicom-web/studies/…/series/…/instances/…/bulkdata/7FE00010`, which the HTTP layer serves as
    /// [`Store::pixel_data`]).
    pub fn metadata(
        &self,
        study_uid: &str,
        series_uid: Option<&str>,
        sop_uid: Option<&str>,
        retrieve_base: &str,
    ) -> Result<Vec<serde_json::Value>> {
        let base = retrieve_base.trim_end_matches('/');
        let targets: Vec<(crate::InstanceId, std::path::PathBuf)> = {
            let idx = self.index.read().map_err(|_| crate::Error::Poisoned)?;
            match sop_uid {
                Some(sop) => {
                    let (_, se) = idx
                        .locations
                        .get(sop)
                        .filter(|(st, se)| st == study_uid && series_uid.is_none_or(|s| s == se))
                        .context(error::NotFoundSnafu {
                            what: format!("instance {sop} in study {study_uid}"),
                        })?;
                    let record =
                        idx.instance(study_uid, Some(se), sop)
                            .context(error::NotFoundSnafu {
                                what: format!("instance {sop} in study {study_uid}"),
                            })?;
                    vec![(
                        crate::InstanceId {
                            study_uid: study_uid.to_string(),
                            series_uid: se.clone(),
                            sop_instance_uid: sop.to_string(),
                        },
                        record.path.clone(),
                    )]
                }
                None => {
                    drop(idx);
                    let ids = self.instances(study_uid, series_uid)?;
                    let idx = self.index.read().map_err(|_| crate::Error::Poisoned)?;
                    ids.into_iter()
                        .filter_map(|id| {
                            let path = idx
                                .instance(
                                    &id.study_uid,
                                    Some(&id.series_uid),
                                    &id.sop_instance_uid,
                                )?
                                .path
                                .clone();
                            Some((id, path))
                        })
                        .collect()
                }
            }
        };
        let mut out = Vec::with_capacity(targets.len());
        for (id, path) in targets {
            let header = index::read_header(&path)?;
            let has_pixels = header.element_opt(tags::ROWS).ok().flatten().is_some();
            let bits = header
                .element_opt(tags::BITS_ALLOCATED)
                .ok()
                .flatten()
                .and_then(|e| e.to_int::<u16>().ok())
                .unwrap_or(16);
            let native = crate::is_native(
                header
                    .meta()
                    .transfer_syntax()
                    .trim_end_matches(['\0', ' ']),
            );
            let dataset = header.into_inner();
            let mut json = dicom_json::to_value(&dataset).map_err(|e| crate::Error::Encode {
                sop_instance_uid: id.sop_instance_uid.clone(),
                reason: e.to_string(),
            })?;
            numbers_as_json_numbers(&mut json);
            if has_pixels {
                if let Some(map) = json.as_object_mut() {
                    let vr = if !native || bits <= 8 { "OB" } else { "OW" };
                    let uri = format!(
                        "{base}/studies/{}/series/{}/instances/{}/bulkdata/7FE00010",
                        id.study_uid, id.series_uid, id.sop_instance_uid
                    );
                    map.insert(
                        "7FE00010".into(),
                        serde_json::json!({ "vr": vr, "BulkDataURI": uri }),
                    );
                }
            }
            out.push(json);
        }
        Ok(out)
    }
}

/// Study level computed attributes: Modalities in Study (0008,0061), SOP Classes in Study (0008,0062), Number of
/// Study Related Series (0020,1206) and Instances (0020,1208), Instance Availability (0008,0056) and Retrieve URL
/// (0008,1190).
fn study_attributes(study_uid: &str, study: &StudyRecord, base: Option<&str>) -> InMemDicomObject {
    let mut modalities = BTreeSet::new();
    let mut classes = BTreeSet::new();
    let mut instances = 0usize;
    for series in study.series.values() {
        if let Some(m) = series
            .attrs
            .element_opt(tags::MODALITY)
            .ok()
            .flatten()
            .and_then(|e| e.to_str().ok())
        {
            let m = m.trim().to_string();
            if !m.is_empty() {
                modalities.insert(m);
            }
        }
        for i in series.instances.values() {
            instances += 1;
            if let Some(c) = i
                .attrs
                .element_opt(tags::SOP_CLASS_UID)
                .ok()
                .flatten()
                .and_then(|e| e.to_str().ok())
            {
                classes.insert(c.trim_end_matches(['\0', ' ']).to_string());
            }
        }
    }
    let mut obj = InMemDicomObject::from_element_iter([
        strs_element(
            tags::MODALITIES_IN_STUDY,
            VR::CS,
            modalities.into_iter().collect(),
        ),
        strs_element(
            tags::SOP_CLASSES_IN_STUDY,
            VR::UI,
            classes.into_iter().collect(),
        ),
        str_element(
            tags::NUMBER_OF_STUDY_RELATED_SERIES,
            VR::IS,
            study.series.len().to_string(),
        ),
        str_element(
            tags::NUMBER_OF_STUDY_RELATED_INSTANCES,
            VR::IS,
            instances.to_string(),
        ),
        str_element(tags::INSTANCE_AVAILABILITY, VR::CS, "ONLINE".into()),
    ]);
    if let Some(b) = base {
        obj.put(str_element(
            tags::RETRIEVE_URL,
            VR::UR,
            format!("{b}/studies/{study_uid}"),
        ));
    }
    obj
}

/// Rewrites the values of IS and DS attributes held as text into JSON numbers, as PS3.18 F.2.3.1 requires
/// ("IS", "DS" → Number), recursively through sequences. A value that is not a valid number stays a string, so
/// nothing is lost.
pub(crate) fn numbers_as_json_numbers(json: &mut serde_json::Value) {
    let Some(map) = json.as_object_mut() else {
        return;
    };
    for attribute in map.values_mut() {
        let vr = attribute
            .get("vr")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let Some(values) = attribute.get_mut("Value").and_then(|v| v.as_array_mut()) else {
            continue;
        };
        match vr.as_str() {
            "IS" | "DS" => {
                for v in values.iter_mut() {
                    let Some(text) = v.as_str() else { continue };
                    let text = text.trim();
                    let number = if vr == "IS" {
                        text.parse::<i64>().ok().map(serde_json::Value::from)
                    } else {
                        text.parse::<f64>()
                            .ok()
                            .and_then(serde_json::Number::from_f64)
                            .map(serde_json::Value::Number)
                    };
                    if let Some(n) = number {
                        *v = n;
                    }
                }
            }
            "SQ" => values.iter_mut().for_each(numbers_as_json_numbers),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_and_decimal_strings_become_json_numbers() {
        let mut v = serde_json::json!({
            "00200013": {"vr": "IS", "Value": ["12 "]},
            "00281050": {"vr": "DS", "Value": ["40.5", "-3"]},
            "00081115": {"vr": "SQ", "Value": [{"00200013": {"vr": "IS", "Value": ["7"]}}]},
            "00100020": {"vr": "LO", "Value": ["42"]},
            "00201041": {"vr": "DS", "Value": ["not a number"]}
        });
        numbers_as_json_numbers(&mut v);
        assert_eq!(v["00200013"]["Value"], serde_json::json!([12]));
        assert_eq!(v["00281050"]["Value"], serde_json::json!([40.5, -3.0]));
        assert_eq!(
            v["00081115"]["Value"][0]["00200013"]["Value"],
            serde_json::json!([7])
        );
        assert_eq!(v["00100020"]["Value"], serde_json::json!(["42"]));
        assert_eq!(v["00201041"]["Value"], serde_json::json!(["not a number"]));
    }
}
