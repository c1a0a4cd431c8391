//! Previews of an HTJ2K frame while it arrives (`WadoFramePreview`): from growing prefixes of a resolution-major
//! codestream (lumen-codec-htj2k's RPCL test image) come previews of ever higher resolution at the frame's full
//! size, each pixel the reduced decode's, never the whole image; the preview travels as a `Preview` answer and
//! joins back on the UI side like a decoded frame. Other syntaxes give no preview.

use lumen_frames::*;
use serde_json::json;

const HTJ2K_RPCL: &str = "1.2.840.10008.1.2.4.202";

fn codestream() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../codec-htj2k/tests/data/u12_rpcl_300x200.j2c"
    );
    std::fs::read(path).expect("lumen-codec-htj2k's test data")
}

/// DICOM JSON of a 300×200 12-bit MONOCHROME2 CR-like instance, Rescale Slope 1, Intercept −1024.
fn metadata() -> serde_json::Value {
    json!([{
        "00080018": {"vr": "UI", "Value": ["1.2.3.4"]},
        "00080060": {"vr": "CS", "Value": ["CR"]},
        "00280002": {"vr": "US", "Value": [1]},
        "00280004": {"vr": "CS", "Value": ["MONOCHROME2"]},
        "00280010": {"vr": "US", "Value": [200]},
        "00280011": {"vr": "US", "Value": [300]},
        "00280030": {"vr": "DS", "Value": ["0.5", "0.25"]},
        "00280100": {"vr": "US", "Value": [16]},
        "00280101": {"vr": "US", "Value": [12]},
        "00280102": {"vr": "US", "Value": [11]},
        "00280103": {"vr": "US", "Value": [0]},
        "00281052": {"vr": "DS", "Value": ["-1024"]},
        "00281053": {"vr": "DS", "Value": ["1"]}
    }])
}

fn modality(frame: &DecodedFrame) -> Vec<f32> {
    match &frame.pixels {
        Pixels::Modality { values, .. } => values.to_f32().into_owned(),
        Pixels::Rgb8(_) => panic!("a monochrome frame"),
    }
}

#[test]
fn previews_grow_in_resolution_at_full_size_and_stop_before_the_whole_frame() {
    let cs = codestream();
    let key = FrameKey::new("1.2.3.4", 1);
    let mut preview = WadoFramePreview::new(&metadata(), 1, key.clone()).expect("an image");
    let whole = decode_wado_frame(&cs, HTJ2K_RPCL, &metadata()[0], 1).unwrap();
    let mut levels = Vec::new();
    // Chunks of 1 KiB, as a throttled response would deliver them.
    for end in (1024..cs.len()).step_by(1024).chain([cs.len()]) {
        let Some((frame, d)) = preview.offer(&cs[..end], HTJ2K_RPCL) else {
            continue;
        };
        levels.push(d);
        assert_eq!(frame.meta.key, key);
        assert_eq!((frame.meta.columns, frame.meta.rows), (300, 200));
        assert_eq!(frame.meta.pixel_spacing, whole.meta.pixel_spacing);
        assert_eq!(frame.meta.modality_lut, whole.meta.modality_lut);
        let small = lumen_codec_htj2k::decode_reduced(&cs, d).unwrap();
        let lumen_codec_htj2k::Samples::U16(small_values) = &small.samples else {
            panic!("12-bit samples decode as u16")
        };
        let values = modality(&frame);
        let sw = small.width as usize;
        for (i, &v) in values.iter().enumerate() {
            let (x, y) = (i % 300, i / 300);
            let want = f32::from(small_values[(y >> d) * sw + (x >> d)]) - 1024.0;
            assert_eq!(v, want, "({x}, {y}) at {d} levels left out, {end} bytes");
        }
    }
    // Each preview finer than the last (the prefix is looked at every 16 KiB: the three lowest resolutions come
    // together), the last one leaving out only the finest level: the whole image is the normal decode's.
    assert!(levels.windows(2).all(|w| w[1] < w[0]), "{levels:?}");
    assert_eq!(levels.last(), Some(&1));
    assert!(levels.len() >= 2, "{levels:?}");
    // The whole codestream offers nothing new: its frame is the normal decode.
    assert!(preview.offer(&cs, HTJ2K_RPCL).is_none());
}

#[test]
fn a_prefix_is_looked_at_again_only_after_16_kib_more() {
    let cs = codestream();
    let mut preview = WadoFramePreview::new(&metadata(), 1, FrameKey::new("1.2.3.4", 1)).unwrap();
    // Less than 16 KiB: not looked at, although the lowest resolutions are complete.
    assert!(lumen_codec_htj2k::prefix_resolution(&cs[..16000])
        .unwrap()
        .is_some());
    assert!(preview.offer(&cs[..16000], HTJ2K_RPCL).is_none());
    let (_, first) = preview.offer(&cs[..16384], HTJ2K_RPCL).unwrap();
    // A finer level complete a few KiB later waits for the next 16 KiB.
    let finer = (16385..cs.len())
        .find(|&n| {
            lumen_codec_htj2k::prefix_resolution(&cs[..n])
                .unwrap()
                .unwrap()
                .discard
                < first
        })
        .unwrap();
    assert!(
        finer < 16384 * 2,
        "the test needs a finer level within the next 16 KiB"
    );
    assert!(preview.offer(&cs[..finer], HTJ2K_RPCL).is_none());
    assert!(preview.offer(&cs[..16384 * 2], HTJ2K_RPCL).is_some());
}

#[test]
fn other_syntaxes_and_broken_data_give_no_preview() {
    let cs = codestream();
    let key = FrameKey::new("1.2.3.4", 1);
    let fresh = || WadoFramePreview::new(&metadata(), 1, key.clone()).unwrap();
    let half = &cs[..cs.len() / 2];
    assert!(fresh().offer(half, HTJ2K_RPCL).is_some());
    assert!(fresh().offer(half, "1.2.840.10008.1.2.4.90").is_none());
    assert!(fresh().offer(half, "1.2.840.10008.1.2.1").is_none());
    // A codestream of another size than Rows × Columns ends the previews for good.
    let mut wrong = cs.clone();
    wrong[12..16].copy_from_slice(&199u32.to_be_bytes()); // SIZ Ysiz
    let mut preview = fresh();
    assert!(preview.offer(&wrong[..cs.len() / 2], HTJ2K_RPCL).is_none());
    assert!(preview.offer(&cs[..cs.len() - 3], HTJ2K_RPCL).is_none());
    // A frame number the instance does not have, metadata that is not an image.
    assert!(WadoFramePreview::new(&metadata(), 2, key.clone()).is_none());
    assert!(WadoFramePreview::new(&json!([{}]), 1, key).is_none());
}

#[test]
fn a_preview_travels_as_a_preview_answer_and_joins_back() {
    let cs = codestream();
    let key = FrameKey::new("1.2.3.4", 1);
    let mut preview = WadoFramePreview::new(&metadata(), 1, key).unwrap();
    let (frame, d) = preview.offer(&cs[..cs.len() / 3], HTJ2K_RPCL).unwrap();
    let (response, buffers) = frame.clone().into_preview_response(7, d);
    let text = serde_json::to_string(&response).unwrap();
    let back: DecodeResponse = serde_json::from_str(&text).unwrap();
    assert_eq!(back.id, 7);
    let DecodeOutcome::Preview {
        meta,
        buffers: layouts,
        discarded_levels,
    } = back.result
    else {
        panic!("{:?}", back.result)
    };
    assert_eq!(discarded_levels, d);
    let joined = DecodedFrame::from_response(*meta, &layouts, buffers).unwrap();
    assert_eq!(modality(&joined), modality(&frame));
}
