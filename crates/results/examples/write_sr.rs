//! Writes Lumen's classification SR for a DICOM image, for manual checks (`dsrdump`, a PACS, another viewer).
//!
//! ```sh
//! cargo run -p lumen-results --example write_sr -- IMAGE.dcm models/cxr-pneumonia/manifest.json RESULT.json OUT.dcm
//! dsrdump OUT.dcm
//! ```
//!
//! `RESULT.json` is what `lumen ai IMAGE.dcm --model models/<id>` prints (`probabilities`, in the manifest's
//! output order, and the pixel rules' `findings`), or just `{"probabilities": [0.2, 0.8]}`. Optional keys:
//! `frame` (from 1), `backend` (default `native`). New UIDs are random; the content time is now (UTC).

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use lumen_infer::manifest::ModelManifest;
use lumen_infer::qc_rules::Finding;
use lumen_results::{
    classification_sr, read_classification_sr, uid_from_random_bits, ContentDateTime, ModelRun,
    NewUids, SourceImage,
};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("write_sr: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [image, manifest, result, out] = args.as_slice() else {
        return Err("usage: write_sr IMAGE.dcm MANIFEST.json RESULT.json OUT.dcm".into());
    };
    let obj = dicom_object::open_file(image).map_err(|e| format!("{image}: {e}"))?;
    let manifest = std::fs::read_to_string(manifest).map_err(|e| format!("{manifest}: {e}"))?;
    let manifest = ModelManifest::from_json(&manifest).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(result).map_err(|e| format!("{result}: {e}"))?;
    let result: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{result}: {e}"))?;

    let probabilities: Vec<f32> = serde_json::from_value(result["probabilities"].clone())
        .map_err(|e| format!("RESULT.json needs \"probabilities\": [numbers]: {e}"))?;
    let findings: Vec<Finding> = match result.get("findings") {
        Some(f) => serde_json::from_value(f.clone())
            .map_err(|e| format!("RESULT.json \"findings\": {e}"))?,
        None => Vec::new(),
    };
    let frame = result
        .get("frame")
        .and_then(|f| f.as_u64())
        .map(|f| f as u32);
    let backend = result
        .get("backend")
        .and_then(|b| b.as_str())
        .unwrap_or("native");

    let source = SourceImage::from_dicom(&obj, frame).map_err(|e| format!("{image}: {e}"))?;
    let run = ModelRun::from_manifest(&manifest, &probabilities, &findings, backend)
        .map_err(|e| e.to_string())?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs() as i64;
    let uids = NewUids {
        series: uid_from_random_bits(random_bits(1)),
        instance: uid_from_random_bits(random_bits(2)),
    };
    let bytes = classification_sr(
        &source,
        &run,
        &uids,
        &ContentDateTime::from_unix_seconds(now).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(out, &bytes).map_err(|e| format!("{out}: {e}"))?;

    let summary = read_classification_sr(&bytes)
        .map_err(|e| e.to_string())?
        .ok_or("the written SR does not read back")?;
    println!(
        "{out}: {} bytes, SR {} in study {}",
        bytes.len(),
        summary.sr_sop_instance_uid,
        summary.study_instance_uid
    );
    for o in &summary.outputs {
        println!("  {:<40} {:.4}", o.display, o.probability);
    }
    Ok(())
}

/// 128 bits from the OS's hash seeds and the clock: good enough for a manual check (the viewer uses
/// `crypto.getRandomValues`).
fn random_bits(salt: u64) -> u128 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut halves = [0u64; 2];
    for (i, h) in halves.iter_mut().enumerate() {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u128(nanos);
        hasher.write_u64(salt * 2 + i as u64);
        *h = hasher.finish();
    }
    (u128::from(halves[0]) << 64) | u128::from(halves[1])
}
