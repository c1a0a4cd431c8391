//! The frames layer end to end on the phantom demo's 5 mm CT series (RLE Lossless): stack order from the DICOM
//! JSON metadata, prefetch within a three-frame cache budget, "workers" decoding through the protocol types,
//! the loading state with one corrupt instance, and a scroll that re-prioritises and evicts.

use lumen_frames::*;
use lumen_phantom::{DemoOptions, TransferSyntax};
use std::collections::HashMap;

struct Series {
    uid: String,
    /// SOP Instance UID → Part 10 bytes.
    files: HashMap<String, Vec<u8>>,
    /// Instance metadata as DICOM JSON, in reverse instance order (the order must not matter).
    metadata: Vec<serde_json::Value>,
    /// SOP Instance UIDs by Instance Number.
    by_number: Vec<String>,
}

fn ct_series() -> Series {
    let (manifest, files) = lumen_phantom::demo_in_memory(&DemoOptions::small()).unwrap();
    let (_, series) = manifest
        .all_series()
        .find(|(_, s)| s.modality == "CT" && s.transfer_syntax == TransferSyntax::RleLossless)
        .unwrap();
    let mut out = Series {
        uid: series.series_instance_uid.clone(),
        files: HashMap::new(),
        metadata: Vec::new(),
        by_number: Vec::new(),
    };
    let mut instances = series.instances.clone();
    instances.sort_by_key(|i| i.instance_number);
    for instance in instances.iter().rev() {
        let bytes = files
            .iter()
            .find(|(p, _)| *p == instance.path)
            .unwrap()
            .1
            .clone();
        let file = lumen_dicom::DicomFile::from_bytes(&bytes).unwrap();
        let json = lumen_dicomweb::json::to_dicom_json_with_bulk_data(file.object(), 64, &|_| {
            "bulk".to_string()
        })
        .unwrap();
        out.metadata.push(json);
        out.files.insert(instance.sop_instance_uid.clone(), bytes);
    }
    out.by_number = instances
        .iter()
        .map(|i| i.sop_instance_uid.clone())
        .collect();
    out
}

/// What a decode worker does with a request for a local file: decode, split into response + buffers; then
/// what the UI thread does with the answer.
fn worker_round_trip(
    request: &DecodeRequest,
    files: &HashMap<String, Vec<u8>>,
) -> Result<DecodedFrame> {
    let bytes = &files[&request.key.sop_instance_uid];
    let (response, buffers) =
        decode_fetched(&request.key, &request.source, bytes, None, None)?.into_response(request.id);
    match response.result {
        DecodeOutcome::Decoded {
            meta,
            buffers: layouts,
        } => DecodedFrame::from_response(*meta, &layouts, buffers),
        other => panic!("{other:?}"),
    }
}

/// The UI thread's side: cache, loading state and scheduler of one viewport.
struct Viewer {
    keys: Vec<FrameKey>,
    files: HashMap<String, Vec<u8>>,
    frame_bytes: usize,
    cache: DecodedFrameCache,
    load: SeriesLoad,
    scheduler: PrefetchScheduler<FrameKey>,
    next_id: RequestId,
}

impl Viewer {
    /// Display stack index `displayed` and let the workers run until the plan is empty; returns the frames
    /// decoded (or failed), in request order.
    fn show(&mut self, displayed: usize) -> Vec<FrameKey> {
        let mut decoded = Vec::new();
        self.cache.set_pinned([&self.keys[displayed]]);
        let window = frames_within_budget(self.cache.budget(), self.frame_bytes);
        loop {
            let (cache, load) = (&self.cache, &self.load);
            let plan = self.scheduler.plan(
                &self.keys,
                displayed,
                |k| cache.contains(k) || load.is_failed(k),
                window,
            );
            self.cache.promote(plan.wanted.iter().rev());
            for key in &plan.cancel {
                self.load.abandoned(key);
            }
            if plan.start.is_empty() {
                return decoded;
            }
            for key in plan.start {
                self.next_id += 1;
                self.load.started(&key);
                let request = DecodeRequest {
                    id: self.next_id,
                    key: key.clone(),
                    source: FrameSource::Bytes {
                        file_id: key.sop_instance_uid.clone(),
                        frame_number: 1,
                    },
                };
                match worker_round_trip(&request, &self.files) {
                    Ok(frame) => {
                        self.load.loaded(&key, frame.pixels.byte_len() as u64);
                        let outcome = self.cache.insert(key.clone(), frame);
                        assert!(matches!(outcome, InsertOutcome::Stored { .. }));
                    }
                    Err(e) => self.load.failed(&key, e.to_string()),
                }
                decoded.push(key.clone());
                self.scheduler.finished(&key);
            }
        }
    }
}

#[test]
fn a_series_loads_around_the_displayed_frame_within_budget_and_reports_a_corrupt_instance() {
    let mut series = ct_series();
    let stack = build_stack(&series.metadata);
    assert_eq!(stack.ordering, StackOrdering::Geometry);
    // The stack follows the scanner's numbering although the metadata came reversed.
    let order: Vec<String> = stack
        .frames
        .iter()
        .map(|f| f.key.sop_instance_uid.clone())
        .collect();
    assert_eq!(order, series.by_number);
    // Every 4th slice of a 12.5 mm acquisition: 50 mm apart, 96×96 pixels.
    assert_eq!(stack.spacing, Some(50.0));
    assert!(stack.is_regular_volume());
    // 16-bit samples, held as they are: 2 bytes per pixel (the cache counts what decoded frames really take).
    assert_eq!(stack.estimated_frame_bytes(), 96 * 96 * 2);
    let keys = stack.keys();
    let n = keys.len();
    assert!(n >= 5, "{n} slices");

    // Instance 2 (stack index 1) is corrupt: its file is cut in half.
    let corrupt = keys[1].sop_instance_uid.clone();
    let half = series.files[&corrupt].len() / 2;
    series.files.get_mut(&corrupt).unwrap().truncate(half);

    let frame_bytes = stack.estimated_frame_bytes();
    let mut viewer = Viewer {
        keys: keys.clone(),
        files: series.files,
        frame_bytes,
        cache: DecodedFrameCache::new(3 * frame_bytes),
        load: SeriesLoad::new(series.uid.clone(), keys.clone()),
        scheduler: PrefetchScheduler::new(2),
        next_id: 0,
    };

    // Display stack index 2: window of 3 frames → 2, 3, 1 (1 fails).
    let decoded_order = viewer.show(2);
    let Viewer { cache, load, .. } = &mut viewer;
    assert_eq!(
        decoded_order,
        vec![keys[2].clone(), keys[3].clone(), keys[1].clone()]
    );
    // The placeholder's reason names the frame and what is wrong with it.
    let reason = load.error(&keys[1]).unwrap();
    assert!(
        reason.starts_with("frame number 1 (index 0): ") && reason.contains("RLE Lossless"),
        "{reason}"
    );
    let p = load.progress();
    assert_eq!(
        (p.loaded, p.failed, p.loading, p.bytes),
        (2, 1, 0, 2 * frame_bytes as u64)
    );
    assert_eq!(cache.stats().bytes_used, 2 * frame_bytes);

    // The displayed frame is CT in HU with the phantom's windows.
    let shown = cache.get(&keys[2]).unwrap();
    assert_eq!(shown.meta.units.as_deref(), Some("HU"));
    assert_eq!(shown.meta.pixel_spacing, stack.pixel_spacing);

    // Scroll to the last slice: the window becomes n−1, n−2, n−3; frames already cached are not decoded again,
    // and each new frame evicts the least recently used unpinned one.
    let decoded_order = viewer.show(n - 1);
    let Viewer { cache, load, .. } = &mut viewer;
    let expected: Vec<FrameKey> = [n - 1, n - 2, n - 3]
        .iter()
        .filter(|&&i| i != 2 && i != 3)
        .map(|&i| keys[i].clone())
        .collect();
    assert_eq!(decoded_order, expected);
    assert!(cache.stats().bytes_used <= 3 * frame_bytes);
    assert!(cache.contains(&keys[n - 1]) && cache.is_pinned(&keys[n - 1]));
    assert!(!load.is_cancelled());
    let events = load.drain_events();
    assert!(events
        .iter()
        .any(|e| matches!(e, LoadEvent::FrameFailed { key, .. } if *key == keys[1])));
}
