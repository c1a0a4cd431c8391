//! DICOMweb conformance of Lumen's server, checked against Orthanc (with its DICOMweb plugin) as the reference.
//!
//! The test starts a throw-away Orthanc on 127.0.0.1 (free port, temporary storage, no authentication, no DICOM
//! port) and Lumen's router in-process over an empty folder store, uploads the same small demo studies
//! (`lumen_phantom`, small options: several transfer syntaxes, a multi-frame cine, a UTF-8 patient name) to both
//! with STOW-RS through `lumen-dicomweb`, then asks both the same QIDO-RS searches and WADO-RS retrievals and
//! compares the answers: the same set of UIDs, the same values of the attributes both return, the required
//! attributes present, the same Part 10 SOP Instance UID and Pixel Data, the same frame bytes and transfer syntax.
//! Every difference is collected and listed before the test fails, so one run shows all of them.
//!
//! Where the two servers may legitimately differ (result order, extra optional attributes, absolute host in
//! Retrieve URLs, inline binary vs BulkDataURI), the comparison normalises instead of failing. Orthanc missing from
//! the machine fails the test with instructions, unless `LUMEN_SKIP_REFERENCE_TOOLS=1`. `ORTHANC_BIN` overrides the
//! Orthanc executable (default `/usr/sbin/Orthanc`).
//!
//! This test must not modify anything outside its temporary folders, and it stops the Orthanc it started even when
//! an assertion fails (the guard kills it on drop).

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::OpenFileOptions;
use lumen_dicomweb::transport::ReqwestTransport;
use lumen_dicomweb::{json, Client, QidoQuery, TransferSyntaxRequest};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

#[path = "common/orthanc.rs"]
mod orthanc;
use orthanc::start_orthanc;

// ------------------------------------------------------------------------------------------------ Lumen helper

/// Serves Lumen's router over an empty folder store on 127.0.0.1; returns the DICOMweb root and the folder.
async fn start_lumen() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary DICOM folder for Lumen");
    let store = Arc::new(lumen_store::Store::open(dir.path()).expect("open an empty folder store"));
    let app = lumen_server::router(lumen_server::AppState::from_store(store));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind Lumen");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("Lumen serve");
    });
    (format!("http://{addr}/dicom-web"), dir)
}

// ------------------------------------------------------------------------------------------------ comparison

/// All differences found, reported together at the end.
#[derive(Default)]
struct Diffs(Vec<String>);

impl Diffs {
    fn add(&mut self, what: impl Into<String>) {
        let what = what.into();
        eprintln!("DIFF {what}");
        self.0.push(what);
    }
}

/// Required return attributes (PS3.18 Table 6.7.1-2), checked for presence in Lumen's QIDO answers.
const STUDY_REQUIRED: &[Tag] = &[
    tags::STUDY_DATE,
    tags::STUDY_TIME,
    tags::ACCESSION_NUMBER,
    tags::MODALITIES_IN_STUDY,
    tags::REFERRING_PHYSICIAN_NAME,
    tags::PATIENT_NAME,
    tags::PATIENT_ID,
    tags::PATIENT_BIRTH_DATE,
    tags::PATIENT_SEX,
    tags::STUDY_INSTANCE_UID,
    tags::STUDY_ID,
    tags::NUMBER_OF_STUDY_RELATED_SERIES,
    tags::NUMBER_OF_STUDY_RELATED_INSTANCES,
];
const SERIES_REQUIRED: &[Tag] = &[
    tags::MODALITY,
    tags::SERIES_INSTANCE_UID,
    tags::SERIES_NUMBER,
    tags::NUMBER_OF_SERIES_RELATED_INSTANCES,
];
const INSTANCE_REQUIRED: &[Tag] = &[
    tags::SOP_CLASS_UID,
    tags::SOP_INSTANCE_UID,
    tags::INSTANCE_NUMBER,
];

/// Attributes whose value legitimately differs between two servers.
fn ignored(tag: Tag) -> bool {
    // Instance Availability, Retrieve AE Title: server-specific. Group 0002 is not part of the data set.
    tag == tags::INSTANCE_AVAILABILITY || tag == tags::RETRIEVE_AE_TITLE || tag.group() == 0x0002
}

/// A comparable rendering of one attribute's value, per its VR.
fn normalised(attr: &serde_json::Map<String, Value>) -> Option<String> {
    let vr = attr.get("vr").and_then(Value::as_str).unwrap_or("");
    if let Some(b) = attr.get("InlineBinary").and_then(Value::as_str) {
        return Some(format!("inline:{b}"));
    }
    if attr.contains_key("BulkDataURI") {
        return None; // bytes elsewhere: not comparable here
    }
    let values = attr.get("Value").and_then(Value::as_array)?;
    if values.is_empty() {
        return Some(String::new());
    }
    let rendered: Vec<String> = values
        .iter()
        .map(|v| match (vr, v) {
            ("DS" | "IS" | "FL" | "FD" | "SL" | "SS" | "UL" | "US" | "SV" | "UV", _) => {
                let n = match v {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                };
                n.map(|n| format!("{n}")).unwrap_or_else(|| format!("{v}"))
            }
            // Only the Alphabetic group: Orthanc 1.10 garbles Ideographic groups of ISO_IR 192 names (`^` for
            // `デモ^ゾーイ`); Lumen's Ideographic group is checked against the demo's known name instead.
            ("PN", Value::Object(groups)) => groups
                .get("Alphabetic")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim_end()
                .to_string(),
            ("UR", Value::String(s)) => match s.find("/dicom-web") {
                Some(i) => s[i..].to_string(),
                None => s.clone(),
            },
            ("SQ", Value::Object(_)) => "<item>".to_string(),
            (_, Value::String(s)) => s.trim_end().to_string(),
            (_, Value::Null) => String::new(),
            _ => v.to_string(),
        })
        .collect();
    Some(rendered.join("\\"))
}

/// Compares two DICOM JSON data sets attribute by attribute (recursing into sequences). `required` must be present
/// in Lumen's; with `all_present`, every attribute Orthanc returns must be present in Lumen's as well.
fn compare_datasets(
    ctx: &str,
    orthanc: &Value,
    lumen: &Value,
    required: &[Tag],
    all_present: bool,
    diffs: &mut Diffs,
) {
    let (Some(o), Some(l)) = (orthanc.as_object(), lumen.as_object()) else {
        diffs.add(format!("{ctx}: not both JSON objects"));
        return;
    };
    for tag in required {
        if !l.contains_key(&json::tag_key(*tag)) {
            diffs.add(format!(
                "{ctx}: Lumen omits required attribute {}",
                describe(*tag)
            ));
        }
    }
    for (key, oa) in o {
        let Some(tag) = json::parse_tag_key(key) else {
            continue;
        };
        if ignored(tag) {
            continue;
        }
        let Some(la) = l.get(key) else {
            if all_present {
                diffs.add(format!(
                    "{ctx}: Lumen omits {} that Orthanc returns ({})",
                    describe(tag),
                    short(oa)
                ));
            }
            continue;
        };
        let (Some(oa), Some(la)) = (oa.as_object(), la.as_object()) else {
            continue;
        };
        let (ovr, lvr) = (oa.get("vr"), la.get("vr"));
        if ovr != lvr {
            diffs.add(format!(
                "{ctx}: {} VR Orthanc {ovr:?} vs Lumen {lvr:?}",
                describe(tag)
            ));
        }
        if ovr.and_then(Value::as_str) == Some("SQ") {
            let oi = oa
                .get("Value")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let li = la
                .get("Value")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            if oi.len() != li.len() {
                diffs.add(format!(
                    "{ctx}: {} has {} item(s) in Orthanc, {} in Lumen",
                    describe(tag),
                    oi.len(),
                    li.len()
                ));
            }
            for (i, (a, b)) in oi.iter().zip(li).enumerate() {
                compare_datasets(
                    &format!("{ctx} {}[{i}]", describe(tag)),
                    a,
                    b,
                    &[],
                    all_present,
                    diffs,
                );
            }
            continue;
        }
        if let (Some(ov), Some(lv)) = (normalised(oa), normalised(la)) {
            if ov != lv {
                diffs.add(format!(
                    "{ctx}: {} Orthanc `{ov}` vs Lumen `{lv}`",
                    describe(tag)
                ));
            }
        }
    }
}

fn describe(tag: Tag) -> String {
    use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
    let name = dicom_dictionary_std::StandardDataDictionary
        .by_tag(tag)
        .map(|e| e.alias().to_string());
    format!(
        "{} ({:04X},{:04X})",
        name.unwrap_or_else(|| "private/unknown".into()),
        tag.group(),
        tag.element()
    )
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(120).map(|(i, _)| i).unwrap_or(s.len())]
        )
    } else {
        s
    }
}

/// Results keyed by `uid_tag`; duplicate or missing UIDs are differences.
fn by_uid(
    ctx: &str,
    who: &str,
    results: &[Value],
    uid_tag: Tag,
    diffs: &mut Diffs,
) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    for r in results {
        match json::string(r, uid_tag) {
            Some(uid) => {
                if map.insert(uid.clone(), r.clone()).is_some() {
                    diffs.add(format!("{ctx}: {who} returns {uid} twice"));
                }
            }
            None => diffs.add(format!(
                "{ctx}: a {who} result has no {}",
                describe(uid_tag)
            )),
        }
    }
    map
}

/// Compares two QIDO answers: same UID set, then each pair of data sets.
fn compare_results(
    ctx: &str,
    orthanc: &[Value],
    lumen: &[Value],
    uid_tag: Tag,
    required: &[Tag],
    diffs: &mut Diffs,
) -> BTreeSet<String> {
    let o = by_uid(ctx, "Orthanc", orthanc, uid_tag, diffs);
    let l = by_uid(ctx, "Lumen", lumen, uid_tag, diffs);
    let ok: BTreeSet<_> = o.keys().cloned().collect();
    let lk: BTreeSet<_> = l.keys().cloned().collect();
    if ok != lk {
        diffs.add(format!(
            "{ctx}: different results; only Orthanc: {:?}; only Lumen: {:?}",
            ok.difference(&lk).collect::<Vec<_>>(),
            lk.difference(&ok).collect::<Vec<_>>()
        ));
    }
    for (uid, ov) in &o {
        if let Some(lv) = l.get(uid) {
            compare_datasets(&format!("{ctx} [{uid}]"), ov, lv, required, false, diffs);
        }
    }
    ok
}

type Web = Client<ReqwestTransport>;

/// Runs one QIDO study search on both and compares; returns Orthanc's UID set.
async fn studies(ctx: &str, o: &Web, l: &Web, q: QidoQuery, diffs: &mut Diffs) -> BTreeSet<String> {
    let (ro, rl) = (o.search_studies(&q).await, l.search_studies(&q).await);
    match (ro, rl) {
        (Ok(ro), Ok(rl)) => compare_results(
            ctx,
            &ro,
            &rl,
            tags::STUDY_INSTANCE_UID,
            STUDY_REQUIRED,
            diffs,
        ),
        (ro, rl) => {
            diffs.add(format!(
                "{ctx}: Orthanc {:?} / Lumen {:?}",
                ro.err().map(|e| e.to_string()),
                rl.err().map(|e| e.to_string())
            ));
            BTreeSet::new()
        }
    }
}

/// A Part 10 file's SOP Instance UID, transfer syntax and Pixel Data value (as parsed).
fn part10_summary(bytes: &[u8]) -> Result<(String, String, String), String> {
    let obj = OpenFileOptions::new()
        .read_preamble(ReadPreamble::Always)
        .from_reader(bytes)
        .map_err(|e| e.to_string())?;
    let sop = obj
        .element(tags::SOP_INSTANCE_UID)
        .map_err(|e| e.to_string())?
        .to_str()
        .map_err(|e| e.to_string())?;
    let ts = obj
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_string();
    let pixels = obj.element(tags::PIXEL_DATA).map_err(|e| e.to_string())?;
    // A digest of the value: fragments for encapsulated data, bytes for native.
    let digest = match pixels.value() {
        dicom_core::DicomValue::PixelSequence(seq) => {
            format!(
                "{} fragment(s), {:016x}",
                seq.fragments().len(),
                fnv(seq.fragments().iter().flatten())
            )
        }
        v => {
            let bytes = v.to_bytes().map_err(|e| e.to_string())?;
            format!("{} byte(s), {:016x}", bytes.len(), fnv(bytes.iter()))
        }
    };
    Ok((sop.trim_end_matches('\0').to_string(), ts, digest))
}

/// Native (uncompressed) little-endian frames have the same bytes whether the file was Implicit or Explicit VR
/// (the VR encoding does not touch Pixel Data), so these transfer syntaxes label equal frames.
fn is_native_little_endian(ts: &str) -> bool {
    matches!(
        ts,
        "1.2.840.10008.1.2" | "1.2.840.10008.1.2.1" | "1.2.840.10008.1.2.1.99"
    )
}

fn fnv<'a>(bytes: impl Iterator<Item = &'a u8>) -> u64 {
    bytes.fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

// ------------------------------------------------------------------------------------------------ the test

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lumen_answers_dicomweb_like_orthanc() {
    let Some(orthanc) = start_orthanc().await else {
        return;
    };
    let (lumen_url, _lumen_dir) = start_lumen().await;
    let o = Client::new(ReqwestTransport::new(), orthanc.dicomweb.clone());
    let l = Client::new(ReqwestTransport::new(), lumen_url);
    let mut diffs = Diffs::default();

    // ---- STOW-RS: the same files into both, one request per series.
    let (manifest, files) =
        lumen_phantom::demo_in_memory(&lumen_phantom::DemoOptions::small()).expect("demo studies");
    let mut by_series: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for (path, bytes) in files {
        let series = path
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        by_series.entry(series).or_default().push(bytes);
    }
    for (series, instances) in &by_series {
        let ro = o
            .store_instances(None, instances.clone())
            .await
            .expect("STOW-RS to Orthanc");
        assert!(
            ro.all_stored(),
            "Orthanc refused part of {series}: {:?}",
            ro.failed
        );
        match l.store_instances(None, instances.clone()).await {
            Ok(rl) => {
                if !rl.all_stored() || rl.stored.len() != instances.len() {
                    diffs.add(format!(
                        "STOW {series}: Lumen status {} stored {} failed {:?} (Orthanc stored {})",
                        rl.status,
                        rl.stored.len(),
                        rl.failed,
                        ro.stored.len()
                    ));
                }
                let ouids: BTreeSet<_> = ro
                    .stored
                    .iter()
                    .map(|s| s.sop_instance_uid.clone())
                    .collect();
                let luids: BTreeSet<_> = rl
                    .stored
                    .iter()
                    .map(|s| s.sop_instance_uid.clone())
                    .collect();
                if ouids != luids {
                    diffs.add(format!("STOW {series}: stored SOP Instance UIDs differ"));
                }
                let (oretr, lretr) = (
                    json::string(&ro.dataset, tags::RETRIEVE_URL),
                    json::string(&rl.dataset, tags::RETRIEVE_URL),
                );
                let tail = |s: Option<String>| {
                    s.and_then(|s| s.find("/studies").map(|i| s[i..].to_string()))
                };
                if tail(oretr.clone()) != tail(lretr.clone()) {
                    diffs.add(format!("STOW {series}: Retrieve URL (0008,1190) Orthanc {oretr:?} vs Lumen {lretr:?}"));
                }
            }
            Err(e) => diffs.add(format!("STOW {series}: Lumen failed: {e}")),
        }
    }

    // ---- QIDO-RS studies.
    let all = studies("QIDO all studies", &o, &l, QidoQuery::new(), &mut diffs).await;
    assert_eq!(
        all.len(),
        manifest.studies.len(),
        "Orthanc should hold every demo study"
    );
    let dx = manifest
        .studies
        .iter()
        .find(|s| s.folder == "dx-chest")
        .expect("dx study in the demo");
    let mr = manifest
        .studies
        .iter()
        .find(|s| s.folder == "mr-brain")
        .expect("mr study in the demo");
    let ct = manifest
        .studies
        .iter()
        .find(|s| s.folder == "ct-chest")
        .expect("ct study in the demo");
    let us = manifest
        .studies
        .iter()
        .find(|s| s.folder == "us-cine")
        .expect("us study in the demo");

    let found = studies(
        "QIDO PatientName exact",
        &o,
        &l,
        QidoQuery::new().patient_name(&dx.patient_name),
        &mut diffs,
    )
    .await;
    assert_eq!(
        found,
        BTreeSet::from([dx.study_instance_uid.clone()]),
        "Orthanc exact PatientName"
    );
    let found = studies(
        "QIDO PatientName=DEMO*",
        &o,
        &l,
        QidoQuery::new().patient_name("DEMO*"),
        &mut diffs,
    )
    .await;
    assert_eq!(found, all, "Orthanc DEMO* matches every demo study");
    studies(
        "QIDO PatientName=*RADIO*",
        &o,
        &l,
        QidoQuery::new().patient_name("*RADIO*"),
        &mut diffs,
    )
    .await;
    studies(
        "QIDO PatientName fuzzy lower case",
        &o,
        &l,
        QidoQuery::new()
            .patient_name(dx.patient_name.to_lowercase())
            .fuzzy_matching(true),
        &mut diffs,
    )
    .await;
    studies(
        "QIDO PatientName UTF-8 wildcard",
        &o,
        &l,
        QidoQuery::new().patient_name("DEMO^Zo*"),
        &mut diffs,
    )
    .await;
    let found = studies(
        "QIDO PatientID",
        &o,
        &l,
        QidoQuery::new().patient_id(&mr.patient_id),
        &mut diffs,
    )
    .await;
    assert_eq!(
        found,
        BTreeSet::from([mr.study_instance_uid.clone()]),
        "Orthanc PatientID"
    );
    // The MR patient's name has an Ideographic group (PS3.5 6.2.1.1, `=` separated); Lumen must keep it.
    let ideographic = mr
        .patient_name
        .split('=')
        .nth(1)
        .expect("the demo MR name has an ideographic group");
    match l
        .search_studies(&QidoQuery::new().patient_id(&mr.patient_id))
        .await
    {
        Ok(found) => {
            let got = found
                .first()
                .and_then(|s| json::person_name_group(s, tags::PATIENT_NAME, "Ideographic"));
            if got.as_deref() != Some(ideographic) {
                diffs.add(format!(
                    "QIDO PatientID {}: Lumen Ideographic name {got:?}, expected {ideographic:?}",
                    mr.patient_id
                ));
            }
        }
        Err(e) => diffs.add(format!("QIDO PatientID: Lumen failed: {e}")),
    }
    studies(
        "QIDO AccessionNumber",
        &o,
        &l,
        QidoQuery::new().accession_number(&ct.accession_number),
        &mut diffs,
    )
    .await;
    let found = studies(
        "QIDO StudyDate range",
        &o,
        &l,
        QidoQuery::new().study_date_range(Some("20240316"), Some("20240317")),
        &mut diffs,
    )
    .await;
    assert_eq!(
        found.len(),
        2,
        "Orthanc: two demo studies between 2024-03-16 and 2024-03-17"
    );
    studies(
        "QIDO StudyDate open range",
        &o,
        &l,
        QidoQuery::new().study_date_range(Some("20240317"), None),
        &mut diffs,
    )
    .await;
    studies(
        "QIDO StudyDate single",
        &o,
        &l,
        QidoQuery::new().study_date("20240315"),
        &mut diffs,
    )
    .await;
    let found = studies(
        "QIDO ModalitiesInStudy=MR",
        &o,
        &l,
        QidoQuery::new().modalities_in_study("MR"),
        &mut diffs,
    )
    .await;
    assert_eq!(
        found,
        BTreeSet::from([mr.study_instance_uid.clone()]),
        "Orthanc ModalitiesInStudy"
    );
    studies(
        "QIDO StudyInstanceUID",
        &o,
        &l,
        QidoQuery::new().study_instance_uid(&us.study_instance_uid),
        &mut diffs,
    )
    .await;
    studies(
        "QIDO includefield=StudyDescription",
        &o,
        &l,
        QidoQuery::new()
            .patient_id(&ct.patient_id)
            .include_field("StudyDescription"),
        &mut diffs,
    )
    .await;

    // limit/offset: result order is the server's, so check each server's pages partition its full answer.
    for (who, client) in [("Orthanc", &o), ("Lumen", &l)] {
        let mut pages = BTreeSet::new();
        let mut page_sizes = Vec::new();
        for offset in [0, 2, 4] {
            match client
                .search_studies(&QidoQuery::new().limit(2).offset(offset))
                .await
            {
                Ok(page) => {
                    page_sizes.push(page.len());
                    for s in &page {
                        if let Some(uid) = json::string(s, tags::STUDY_INSTANCE_UID) {
                            if !pages.insert(uid.clone()) {
                                diffs.add(format!(
                                    "QIDO limit/offset: {who} returns {uid} on two pages"
                                ));
                            }
                        }
                    }
                }
                Err(e) => diffs.add(format!("QIDO limit=2 offset={offset}: {who} failed: {e}")),
            }
        }
        if page_sizes != [2, 2, 0] || pages != all {
            diffs.add(format!(
                "QIDO limit=2 offset=0,2,4: {who} page sizes {page_sizes:?}, union covers all: {}",
                pages == all
            ));
        }
    }

    // ---- QIDO-RS series and instances.
    let ct_series = &ct.series[0];
    match (
        o.search_series(Some(&ct.study_instance_uid), &QidoQuery::new())
            .await,
        l.search_series(Some(&ct.study_instance_uid), &QidoQuery::new())
            .await,
    ) {
        (Ok(a), Ok(b)) => {
            compare_results(
                "QIDO series in CT study",
                &a,
                &b,
                tags::SERIES_INSTANCE_UID,
                SERIES_REQUIRED,
                &mut diffs,
            );
        }
        (a, b) => diffs.add(format!(
            "QIDO series in CT study: {:?} / {:?}",
            a.err().map(|e| e.to_string()),
            b.err().map(|e| e.to_string())
        )),
    }
    match (
        o.search_series(None, &QidoQuery::new().modality("US"))
            .await,
        l.search_series(None, &QidoQuery::new().modality("US"))
            .await,
    ) {
        (Ok(a), Ok(b)) => {
            compare_results(
                "QIDO all series Modality=US",
                &a,
                &b,
                tags::SERIES_INSTANCE_UID,
                SERIES_REQUIRED,
                &mut diffs,
            );
        }
        (a, b) => diffs.add(format!(
            "QIDO series Modality=US: {:?} / {:?}",
            a.err().map(|e| e.to_string()),
            b.err().map(|e| e.to_string())
        )),
    }
    let (st, se) = (&ct.study_instance_uid, &ct_series.series_instance_uid);
    match (
        o.search_instances(Some(st), Some(se), &QidoQuery::new())
            .await,
        l.search_instances(Some(st), Some(se), &QidoQuery::new())
            .await,
    ) {
        (Ok(a), Ok(b)) => {
            let uids = compare_results(
                "QIDO instances in CT series",
                &a,
                &b,
                tags::SOP_INSTANCE_UID,
                INSTANCE_REQUIRED,
                &mut diffs,
            );
            assert_eq!(
                uids.len(),
                ct_series.instances.len(),
                "Orthanc: every CT instance"
            );
        }
        (a, b) => diffs.add(format!(
            "QIDO instances in CT series: {:?} / {:?}",
            a.err().map(|e| e.to_string()),
            b.err().map(|e| e.to_string())
        )),
    }
    let q = QidoQuery::new().matching("InstanceNumber", "3");
    match (
        o.search_instances(Some(st), None, &q).await,
        l.search_instances(Some(st), None, &q).await,
    ) {
        (Ok(a), Ok(b)) => {
            compare_results(
                "QIDO instances in CT study InstanceNumber=3",
                &a,
                &b,
                tags::SOP_INSTANCE_UID,
                INSTANCE_REQUIRED,
                &mut diffs,
            );
        }
        (a, b) => diffs.add(format!(
            "QIDO InstanceNumber=3: {:?} / {:?}",
            a.err().map(|e| e.to_string()),
            b.err().map(|e| e.to_string())
        )),
    }

    // ---- WADO-RS metadata (every demo study).
    for study in &manifest.studies {
        let ctx = format!("WADO metadata {}", study.folder);
        match (
            o.study_metadata(&study.study_instance_uid).await,
            l.study_metadata(&study.study_instance_uid).await,
        ) {
            (Ok(a), Ok(b)) => {
                let ob = by_uid(&ctx, "Orthanc", &a, tags::SOP_INSTANCE_UID, &mut diffs);
                let lb = by_uid(&ctx, "Lumen", &b, tags::SOP_INSTANCE_UID, &mut diffs);
                if ob.keys().collect::<Vec<_>>() != lb.keys().collect::<Vec<_>>() {
                    diffs.add(format!(
                        "{ctx}: instance sets differ ({} vs {})",
                        ob.len(),
                        lb.len()
                    ));
                }
                // Every instance: all attributes Orthanc returns must be in Lumen's too, with the same values.
                for (uid, ov) in &ob {
                    if let Some(lv) = lb.get(uid) {
                        compare_datasets(&format!("{ctx} [{uid}]"), ov, lv, &[], true, &mut diffs);
                    }
                }
            }
            (a, b) => diffs.add(format!(
                "{ctx}: {:?} / {:?}",
                a.err().map(|e| e.to_string()),
                b.err().map(|e| e.to_string())
            )),
        }
    }

    // ---- QIDO-RS instance level with includefield=all and a UID list.
    let ct_uids: Vec<&str> = ct_series
        .instances
        .iter()
        .take(2)
        .map(|i| i.sop_instance_uid.as_str())
        .collect();
    let q = QidoQuery::new()
        .sop_instance_uid(ct_uids.join(","))
        .include_all_fields();
    match (
        o.search_instances(Some(st), None, &q).await,
        l.search_instances(Some(st), None, &q).await,
    ) {
        (Ok(a), Ok(b)) => {
            let found = compare_results(
                "QIDO instances SOPInstanceUID list includefield=all",
                &a,
                &b,
                tags::SOP_INSTANCE_UID,
                INSTANCE_REQUIRED,
                &mut diffs,
            );
            if found.len() != 2 {
                eprintln!(
                    "NOTE Orthanc returned {} instance(s) for a list of two SOP Instance UIDs",
                    found.len()
                );
            }
            if b.len() != 2 {
                diffs.add(format!(
                    "QIDO SOPInstanceUID list of 2: Lumen returned {}",
                    b.len()
                ));
            }
        }
        (a, b) => diffs.add(format!(
            "QIDO UID list: {:?} / {:?}",
            a.err().map(|e| e.to_string()),
            b.err().map(|e| e.to_string())
        )),
    }

    // ---- WADO-RS series retrieve (every instance, Part 10) and bulk data by URI.
    let mr_series = &mr.series[0];
    match (
        o.retrieve_series(
            &mr.study_instance_uid,
            &mr_series.series_instance_uid,
            &TransferSyntaxRequest::Any,
        )
        .await,
        l.retrieve_series(
            &mr.study_instance_uid,
            &mr_series.series_instance_uid,
            &TransferSyntaxRequest::Any,
        )
        .await,
    ) {
        (Ok(a), Ok(b)) => {
            let sa: BTreeSet<_> = a
                .iter()
                .map(|f| part10_summary(f))
                .collect::<Result<_, _>>()
                .unwrap_or_default();
            let sb: BTreeSet<_> = b
                .iter()
                .map(|f| part10_summary(f))
                .collect::<Result<_, _>>()
                .unwrap_or_default();
            if sa != sb || sa.len() != mr_series.instances.len() {
                diffs.add(format!(
                    "WADO retrieve MR series: {} vs {} readable instances, same content: {}",
                    sa.len(),
                    sb.len(),
                    sa == sb
                ));
            }
        }
        (a, b) => diffs.add(format!(
            "WADO retrieve MR series: {:?} / {:?}",
            a.err().map(|e| e.to_string()),
            b.err().map(|e| e.to_string())
        )),
    }
    let first_mr = &mr_series.instances[0].sop_instance_uid;
    let mut bulk = Vec::new();
    for (who, client) in [("Orthanc", &o), ("Lumen", &l)] {
        let meta = client
            .instance_metadata(
                &mr.study_instance_uid,
                &mr_series.series_instance_uid,
                first_mr,
            )
            .await;
        let uri = meta.ok().and_then(|m| {
            m.first().and_then(|d| {
                json::bulk_data_uris(d)
                    .into_iter()
                    .find(|(p, _)| p == &[tags::PIXEL_DATA])
            })
        });
        match uri {
            Some((_, uri)) => match client
                .retrieve_bulk_data(&uri, &TransferSyntaxRequest::Default)
                .await
            {
                Ok(parts) => {
                    bulk.push((who, parts.into_iter().map(|p| p.body).collect::<Vec<_>>()))
                }
                Err(e) => diffs.add(format!("WADO bulk data {uri}: {who} failed: {e}")),
            },
            None => eprintln!("NOTE {who} gives no BulkDataURI for Pixel Data of {first_mr}"),
        }
    }
    if let [(_, a), (_, b)] = bulk.as_slice() {
        if a != b {
            diffs.add(format!(
                "WADO bulk data Pixel Data of {first_mr}: Orthanc {} part(s) vs Lumen {} differ",
                a.len(),
                b.len()
            ));
        }
    }

    // ---- STOW-RS refusals: an instance posted to another study's URL, and bytes that are not DICOM. PS3.18
    // §10.5.3: 409 Conflict with the instance in Failed SOP Sequence (or 400 for an unreadable request).
    let dx_file = by_series.values().find(|v| {
        v.first()
            .and_then(|f| part10_summary(f).ok())
            .is_some_and(|(sop, _, _)| {
                dx.series
                    .iter()
                    .any(|se| se.instances.iter().any(|i| i.sop_instance_uid == sop))
            })
    });
    {
        let dx_files = dx_file.expect("the demo has a DX series");
        let wrong_study = vec![dx_files[0].clone()];
        for (who, client) in [("Orthanc", &o), ("Lumen", &l)] {
            match client.store_instances(Some(&mr.study_instance_uid), wrong_study.clone()).await {
                Ok(r) if r.status == 409 && r.failed.len() == 1 && r.stored.is_empty() => {}
                Ok(r) => diffs.add(format!(
                    "STOW DX instance to the MR study's URL: {who} status {} stored {} failed {:?}; expected 409 with one Failed SOP",
                    r.status,
                    r.stored.len(),
                    r.failed
                )),
                Err(e) => diffs.add(format!("STOW DX instance to the MR study's URL: {who} failed: {e}")),
            }
        }
    }
    for (who, client) in [("Orthanc", &o), ("Lumen", &l)] {
        match client
            .store_instances(None, vec![b"this is not DICOM".to_vec()])
            .await
        {
            Ok(r) if r.status == 409 && r.stored.is_empty() => {}
            Err(lumen_dicomweb::Error::Http {
                status: 400 | 409, ..
            }) => {}
            Ok(r) => diffs.add(format!(
                "STOW of non-DICOM bytes: {who} status {} stored {}; expected 409 or 400",
                r.status,
                r.stored.len()
            )),
            Err(e) => diffs.add(format!(
                "STOW of non-DICOM bytes: {who} failed unexpectedly: {e}"
            )),
        }
    }

    // ---- Unknown study: both answer 404 Not Found.
    for (who, client) in [("Orthanc", &o), ("Lumen", &l)] {
        match client.study_metadata("1.2.3.999999").await {
            Err(lumen_dicomweb::Error::Http { status: 404, .. }) => {}
            other => diffs.add(format!(
                "WADO metadata of an unknown study: {who} answered {:?}, expected HTTP 404",
                other.map(|v| v.len())
            )),
        }
    }

    // ---- WADO-RS instances and frames, one instance of each series (every transfer syntax of the demo).
    for study in &manifest.studies {
        for series in &study.series {
            let Some(instance) = series.instances.first() else {
                continue;
            };
            let (st, se, sop) = (
                &study.study_instance_uid,
                &series.series_instance_uid,
                &instance.sop_instance_uid,
            );
            let ctx = format!("{}/{}", study.folder, series.folder);
            for syntax in [TransferSyntaxRequest::Any, TransferSyntaxRequest::Default] {
                let label = format!("WADO instance {ctx} ({syntax:?})");
                match (
                    o.retrieve_instance(st, se, sop, &syntax).await,
                    l.retrieve_instance(st, se, sop, &syntax).await,
                ) {
                    (Ok(a), Ok(b)) => match (part10_summary(&a), part10_summary(&b)) {
                        (Ok(sa), Ok(sb)) => {
                            if sa != sb {
                                diffs.add(format!("{label}: (SOP UID, transfer syntax, Pixel Data) Orthanc {sa:?} vs Lumen {sb:?}"));
                            }
                        }
                        (sa, sb) => diffs.add(format!(
                            "{label}: unreadable Part 10: Orthanc {:?} / Lumen {:?}",
                            sa.err(),
                            sb.err()
                        )),
                    },
                    (a, b) => diffs.add(format!(
                        "{label}: Orthanc {:?} / Lumen {:?}",
                        a.err().map(|e| e.to_string()),
                        b.err().map(|e| e.to_string())
                    )),
                }
            }
            let frames: Vec<u32> = if series.frames_per_instance > 1 {
                vec![1, 2, series.frames_per_instance]
            } else {
                vec![1]
            };
            let reference_default = o
                .retrieve_frames(st, se, sop, &frames, &TransferSyntaxRequest::Default)
                .await;
            // `*`, the default (uncompressed), and the stored syntax named explicitly (with its PS3.18 media type).
            // Deflate applies to the data set, not to frames: a deflated file's frames are Explicit VR Little Endian.
            let frame_syntax = match series.transfer_syntax.uid() {
                "1.2.840.10008.1.2.1.99" => "1.2.840.10008.1.2.1",
                other => other,
            };
            let stored = TransferSyntaxRequest::OneOf(vec![frame_syntax.to_string()]);
            for syntax in [
                TransferSyntaxRequest::Any,
                TransferSyntaxRequest::Default,
                stored,
            ] {
                let label = format!("WADO frames {frames:?} {ctx} ({syntax:?})");
                let mut reference = o.retrieve_frames(st, se, sop, &frames, &syntax).await;
                let lumen = l.retrieve_frames(st, se, sop, &frames, &syntax).await;
                // Whatever the reference does, a frame must come in a syntax the client accepted (or 406).
                if let (TransferSyntaxRequest::OneOf(accepted), Ok(lf)) = (&syntax, &lumen) {
                    for f in lf {
                        let ts = f.transfer_syntax.as_deref().unwrap_or("");
                        let ok = accepted.iter().any(|a| {
                            a == ts
                                || (a != "1.2.840.10008.1.2.2"
                                    && is_native_little_endian(a)
                                    && is_native_little_endian(ts))
                        });
                        if !ok {
                            diffs.add(format!("{label} frame {}: Lumen answered in {ts}, which the client did not accept (expected one of {accepted:?}, or 406 Not Acceptable)", f.number));
                        }
                    }
                }
                // Orthanc 1.10 answers 500 to `transfer-syntax=*` for Explicit VR Big Endian and Deflated files. If
                // Lumen answered with little-endian native frames, hold them against Orthanc's default answer.
                if let (Err(e), Ok(lf), Ok(def), TransferSyntaxRequest::Any) =
                    (&reference, &lumen, &reference_default, &syntax)
                {
                    if lf.iter().all(|f| {
                        f.transfer_syntax
                            .as_deref()
                            .is_some_and(is_native_little_endian)
                    }) {
                        eprintln!("NOTE {label}: Orthanc failed ({e}); comparing Lumen with Orthanc's default-syntax frames");
                        reference = Ok(def.clone());
                    }
                }
                match (reference, lumen) {
                    // The reference itself fails (Orthanc 1.10: 500 for Big Endian and Deflated files); Lumen's
                    // answer was held against the accepted syntaxes above.
                    (Err(lumen_dicomweb::Error::Http { status: 500.., .. }), Ok(_)) => {
                        eprintln!("NOTE {label}: Orthanc fails with a server error; Lumen's answer checked on its own");
                    }
                    (
                        Err(lumen_dicomweb::Error::Http { status: 500.., .. }),
                        Err(lumen_dicomweb::Error::Http { status: 406, .. }),
                    ) if matches!(syntax, TransferSyntaxRequest::OneOf(_)) => {
                        eprintln!("NOTE {label}: Orthanc fails with a server error; Lumen answers 406 Not Acceptable");
                    }
                    (Ok(a), Ok(b)) => {
                        for (fa, fb) in a.iter().zip(&b) {
                            let same_syntax = fa.transfer_syntax == fb.transfer_syntax
                                || (fa
                                    .transfer_syntax
                                    .as_deref()
                                    .is_some_and(is_native_little_endian)
                                    && fb
                                        .transfer_syntax
                                        .as_deref()
                                        .is_some_and(is_native_little_endian));
                            // Asked for `application/octet-stream; transfer-syntax=*`, a server may label a compressed
                            // frame with the media type asked for (Lumen) or with the image type of its syntax
                            // (Orthanc: `image/dicom-rle`); both carry the transfer-syntax parameter.
                            let same_media = fa.media_type == fb.media_type
                                || (syntax == TransferSyntaxRequest::Any
                                    && fb.media_type == "application/octet-stream");
                            if !same_syntax || !same_media {
                                diffs.add(format!(
                                    "{label} frame {}: Orthanc {} {:?} vs Lumen {} {:?}",
                                    fa.number,
                                    fa.media_type,
                                    fa.transfer_syntax,
                                    fb.media_type,
                                    fb.transfer_syntax
                                ));
                            }
                            if fa.data != fb.data {
                                diffs.add(format!(
                                    "{label} frame {}: bytes differ (Orthanc {} bytes {:016x}, Lumen {} bytes {:016x})",
                                    fa.number,
                                    fa.data.len(),
                                    fnv(fa.data.iter()),
                                    fb.data.len(),
                                    fnv(fb.data.iter())
                                ));
                            }
                        }
                    }
                    (a, b) => diffs.add(format!(
                        "{label}: Orthanc {:?} / Lumen {:?}",
                        a.err().map(|e| e.to_string()),
                        b.err().map(|e| e.to_string())
                    )),
                }
            }
        }
    }

    drop(orthanc);
    assert!(
        diffs.0.is_empty(),
        "Lumen differs from Orthanc in {} place(s):\n{}",
        diffs.0.len(),
        diffs.0.join("\n")
    );
}
