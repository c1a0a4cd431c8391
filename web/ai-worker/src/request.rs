//! The parts of the worker that do not touch the browser: checking a request's pixels and turning them into the
//! model's grey image, URLs and cache keys of a package, and the self-test comparison. Unit-tested natively.

use lumen_frames::{displayed_grey, rgb_luma, ModalityValues, StoredSampleType, StoredSamples};
use lumen_infer::protocol::{JobId, RunPixels};
use lumen_infer::{GreyImage, GreyVolume, GreyVolumeBuilder};

/// Largest image side the worker accepts (larger frames are a page bug, not a radiograph).
pub const MAX_SIDE: u32 = 16_384;

/// The pixel buffer that came with a request (item 1 of the message).
#[derive(Debug, Clone, Copy)]
pub enum PixelBuf<'a> {
    F32(&'a [f32]),
    U8(&'a [u8]),
    Missing,
}

/// The displayed grey image of a `width` × `height` request: modality values through the window (inverted for
/// MONOCHROME1), or RGB bytes as luma. Every mismatch between the description and the buffer is an error.
pub fn grey_image(width: u32, height: u32, pixels: &RunPixels, buf: PixelBuf<'_>) -> Result<GreyImage, String> {
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(format!("image size {width} × {height} is out of range (1 to {MAX_SIDE} per side)"));
    }
    let n = width as usize * height as usize;
    let data = match (pixels, buf) {
        (RunPixels::Modality { .. }, PixelBuf::F32(values)) => {
            if values.len() != n {
                return Err(format!("{width} × {height} needs {n} modality values, the Float32Array has {}", values.len()));
            }
            return GreyImage::new(width as usize, height as usize, modality_grey(values, pixels)?)
                .ok_or_else(|| "cannot build the grey image".to_string());
        }
        (RunPixels::Rgb8, PixelBuf::U8(rgb)) => {
            if rgb.len() != 3 * n {
                return Err(format!("{width} × {height} RGB needs {} bytes, the Uint8Array has {}", 3 * n, rgb.len()));
            }
            finite_grey(rgb_luma(rgb))
        }
        (RunPixels::Modality { .. }, _) => return Err("modality pixels must come as a Float32Array (item 1)".into()),
        (RunPixels::Rgb8, _) => return Err("RGB pixels must come as a Uint8Array (item 1)".into()),
    };
    GreyImage::new(width as usize, height as usize, data).ok_or_else(|| "cannot build the grey image".to_string())
}

/// Modality values through the request's window (inverted for MONOCHROME1), as grey levels in [0, 1].
fn modality_grey(values: &[f32], pixels: &RunPixels) -> Result<Vec<f32>, String> {
    let RunPixels::Modality { window, invert } = pixels else {
        return Err("modality values need a modality pixels description".into());
    };
    if !(window.width.is_finite() && window.center.is_finite()) {
        return Err("the window's centre and width must be finite numbers".into());
    }
    Ok(finite_grey(displayed_grey(values, window, *invert)))
}

/// Grey levels clamped to [0, 1]; non-finite ones (NaN from a broken decoder) become 0 and never reach the network.
fn finite_grey(data: Vec<f32>) -> Vec<f32> {
    data.into_iter().map(|v| if v.is_finite() { v.clamp(0.0, 1.0) } else { 0.0 }).collect()
}

/// The numbers item 1 of a `run-volume` request holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumeSamples {
    /// Modality values (`Float32Array`).
    F32,
    /// Stored samples (`Int16Array`, `Uint16Array`, `Int8Array` or `Uint8Array`), with each slice's rescale.
    Stored(StoredSampleType),
}

/// Item 1 of a `run-volume` request, read slice by slice so that the worker never holds a second copy of the whole
/// stack: the page's typed array in the worker, a slice natively (tests).
pub trait VolumeSource {
    /// What the buffer holds; `None` when item 1 is missing or of another type.
    fn samples(&self) -> Option<VolumeSamples>;
    /// How many numbers it holds.
    fn len(&self) -> usize;
    /// Numbers `start .. start + n` as `f32` into `out` (cleared first); only called when [`Self::samples`] is `F32`.
    fn f32_range(&self, start: usize, n: usize, out: &mut Vec<f32>);
    /// Numbers `start .. start + n` as stored samples; only called when [`Self::samples`] is `Stored`.
    fn stored_range(&self, start: usize, n: usize) -> StoredSamples;
}

impl VolumeSource for PixelBuf<'_> {
    fn samples(&self) -> Option<VolumeSamples> {
        match self {
            PixelBuf::F32(_) => Some(VolumeSamples::F32),
            PixelBuf::U8(_) => Some(VolumeSamples::Stored(StoredSampleType::U8)),
            PixelBuf::Missing => None,
        }
    }
    fn len(&self) -> usize {
        match self {
            PixelBuf::F32(v) => v.len(),
            PixelBuf::U8(v) => v.len(),
            PixelBuf::Missing => 0,
        }
    }
    fn f32_range(&self, start: usize, n: usize, out: &mut Vec<f32>) {
        out.clear();
        if let PixelBuf::F32(v) = self {
            out.extend_from_slice(&v[start..start + n]);
        }
    }
    fn stored_range(&self, start: usize, n: usize) -> StoredSamples {
        match self {
            PixelBuf::U8(v) => StoredSamples::U8(v[start..start + n].to_vec()),
            _ => StoredSamples::U8(Vec::new()),
        }
    }
}

impl VolumeSource for StoredSamples {
    fn samples(&self) -> Option<VolumeSamples> {
        Some(VolumeSamples::Stored(self.sample_type()))
    }
    fn len(&self) -> usize {
        StoredSamples::len(self)
    }
    fn f32_range(&self, _: usize, _: usize, out: &mut Vec<f32>) {
        out.clear();
    }
    fn stored_range(&self, start: usize, n: usize) -> StoredSamples {
        let r = start..start + n;
        match self {
            StoredSamples::U8(v) => StoredSamples::U8(v[r].to_vec()),
            StoredSamples::I8(v) => StoredSamples::I8(v[r].to_vec()),
            StoredSamples::U16(v) => StoredSamples::U16(v[r].to_vec()),
            StoredSamples::I16(v) => StoredSamples::I16(v[r].to_vec()),
        }
    }
}

/// Most voxels a volume request may carry (a 512 × 512 × 256 CT; 256 MiB of modality values).
pub const MAX_VOLUME_VOXELS: usize = 1 << 26;

/// The grey volume of a `run-volume` request: `depth` slices of `width` × `height` modality values (slice-major, in
/// volume order) through the window, with voxels of `spacing` mm. With `rescale` (one `[slope, intercept]` per
/// slice) the buffer holds stored samples and the modality values are computed as the decoder computes them. The
/// stack is converted one slice at a time into the volume; with `voxel_mm` (a 3D model's grid) each slice is
/// resampled in plane onto that grid at once ([`GreyVolumeBuilder`]), so no full-resolution copy is ever held.
/// Every mismatch is an error.
pub fn grey_volume(
    width: u32,
    height: u32,
    depth: u32,
    spacing: [f32; 3],
    voxel_mm: Option<f32>,
    pixels: &RunPixels,
    rescale: Option<&[[f64; 2]]>,
    buf: &dyn VolumeSource,
) -> Result<GreyVolume, String> {
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(format!("slice size {width} × {height} is out of range (1 to {MAX_SIDE} per side)"));
    }
    let voxels = width as usize * height as usize * depth as usize;
    if depth == 0 || voxels > MAX_VOLUME_VOXELS {
        return Err(format!("{depth} slices of {width} × {height} are out of range (1 slice to {MAX_VOLUME_VOXELS} voxels)"));
    }
    if !spacing.iter().all(|s| s.is_finite() && *s > 0.0) {
        return Err(format!("voxel spacing {spacing:?} mm must be positive"));
    }
    if !matches!(pixels, RunPixels::Modality { .. }) {
        return Err("a volume's modality values must come as a Float32Array (item 1), or stored samples with rescale".into());
    }
    let array = match (rescale, buf.samples()) {
        (None, Some(VolumeSamples::F32)) => "Float32Array",
        (Some(r), Some(VolumeSamples::Stored(t))) => {
            if r.len() != depth as usize {
                return Err(format!("{depth} slices need {depth} rescale pairs, the request has {}", r.len()));
            }
            if let Some(z) = r.iter().position(|[m, b]| !(m.is_finite() && b.is_finite())) {
                return Err(format!("slice {z}'s rescale slope and intercept must be finite numbers"));
            }
            stored_array_name(t)
        }
        (None, _) => return Err("a volume's modality values must come as a Float32Array (item 1)".into()),
        (Some(_), _) => {
            return Err("a volume's stored samples (with rescale) must come as an Int16Array, Uint16Array, Int8Array or Uint8Array".into())
        }
    };
    if buf.len() != voxels {
        return Err(format!("{depth} slices of {width} × {height} need {voxels} modality values, the {array} has {}", buf.len()));
    }
    let (w, h, d) = (width as usize, height as usize, depth as usize);
    let mut volume = match voxel_mm {
        Some(voxel) => GreyVolumeBuilder::new(w, h, d, spacing, voxel)?,
        None => GreyVolumeBuilder::with_plane(w, h, d, spacing, [h, w])?,
    };
    let n = w * h;
    let mut values = Vec::with_capacity(n);
    for z in 0..d {
        match rescale {
            None => buf.f32_range(z * n, n, &mut values),
            Some(r) => ModalityValues::from_stored(buf.stored_range(z * n, n), r[z][0], r[z][1]).write_f32(&mut values),
        }
        // Each slice through the window: the same per-pixel mapping as a single-image request.
        volume.push(&modality_grey(&values, pixels)?)?;
    }
    volume.finish()
}

/// The JS typed array that carries stored samples of type `t`.
pub fn stored_array_name(t: StoredSampleType) -> &'static str {
    match t {
        StoredSampleType::U8 => "Uint8Array",
        StoredSampleType::I8 => "Int8Array",
        StoredSampleType::U16 => "Uint16Array",
        StoredSampleType::I16 => "Int16Array",
    }
}

/// The pixels description the model sees: the request's own, except that a model with a fixed input window
/// ([`lumen_infer::manifest::InputSource::ModalityWindow`]) gets that window, never inverted, whatever the display.
pub fn model_pixels(manifest: &lumen_infer::ModelManifest, pixels: &RunPixels) -> RunPixels {
    match pixels {
        RunPixels::Modality { window, invert } => {
            let (window, invert) = manifest.input_window(window, *invert);
            RunPixels::Modality { window, invert }
        }
        RunPixels::Rgb8 => RunPixels::Rgb8,
    }
}

/// A model id as a package folder name: the manifest's rule (lower-case letters, digits, '-'), so a request
/// cannot point outside the models folder.
pub fn check_model_id(model: &str) -> Result<(), String> {
    if !model.is_empty() && model.len() <= 64 && model.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        Ok(())
    } else {
        Err(format!("{model:?} is not a model id (lower-case letters, digits and '-')"))
    }
}

/// A file of a package must be a plain file name inside the package folder.
pub fn check_file_name(file: &str) -> Result<(), String> {
    let ok = !file.is_empty()
        && file != "."
        && file != ".."
        && file.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(format!("the manifest names the weights file {file:?}, which is not a plain file name"))
    }
}

/// `{base}/{model}/{file}`, whatever slashes `base` ends with.
pub fn package_url(base: &str, model: &str, file: &str) -> String {
    format!("{}/{model}/{file}", base.trim_end_matches('/'))
}

/// The Cache API key of a weights file: its URL with the expected hash, so new weights never match old entries.
pub fn cache_key(weights_url: &str, sha256: &str) -> String {
    format!("{}{sha256}", cache_prefix(weights_url))
}

/// What every cache key of `weights_url` starts with (to drop stale versions).
pub fn cache_prefix(weights_url: &str) -> String {
    let sep = if weights_url.contains('?') { '&' } else { '?' };
    format!("{weights_url}{sep}sha256=")
}

/// Largest absolute difference between two probability vectors of the same length.
pub fn max_abs_diff(ours: &[f32], recorded: &[f32]) -> Result<f32, String> {
    if ours.len() != recorded.len() {
        return Err(format!("the self-test records {} probabilities, the model gives {}", recorded.len(), ours.len()));
    }
    let mut max = 0f32;
    for (a, b) in ours.iter().zip(recorded) {
        let d = (a - b).abs();
        if !d.is_finite() {
            return Err(format!("the self-test output is not a number ({a} vs {b})"));
        }
        max = max.max(d);
    }
    Ok(max)
}

/// The `job` of a request that could not be parsed, so the failure still reaches the right job.
pub fn job_of(text: &str) -> Option<JobId> {
    serde_json::from_str::<serde_json::Value>(text).ok()?.get("job")?.as_u64()
}

/// Whether a WebGPU adapter's description (`GPUAdapterInfo` vendor, architecture, device, description) names a
/// software rasteriser: Chromium's SwiftShader, Mesa's llvmpipe or lavapipe, Microsoft's WARP ("Basic Render
/// Driver").
pub fn is_software_adapter(description: &str) -> bool {
    let d = description.to_ascii_lowercase();
    ["swiftshader", "llvmpipe", "lavapipe", "basic render driver", "microsoft warp"].iter().any(|n| d.contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_frames::{WindowFunction, WindowPreset};

    fn window(center: f64, width: f64) -> RunPixels {
        RunPixels::Modality {
            window: WindowPreset { center, width, function: WindowFunction::Linear, explanation: None },
            invert: false,
        }
    }

    #[test]
    fn modality_values_go_through_the_window_and_inversion() {
        let values = [-1000.0f32, 0.0, 1000.0, f32::NAN];
        let img = grey_image(2, 2, &window(0.0, 1000.0), PixelBuf::F32(&values)).unwrap();
        assert_eq!((img.width, img.height), (2, 2));
        assert_eq!(img.data[0], 0.0);
        assert!((img.data[1] - 0.5).abs() < 0.01, "{:?}", img.data);
        assert_eq!(img.data[2], 1.0);
        assert_eq!(img.data[3], 0.0, "NaN becomes black, never reaches the model");
        let RunPixels::Modality { window: w, .. } = window(0.0, 1000.0) else { unreachable!() };
        let inverted = grey_image(2, 2, &RunPixels::Modality { window: w, invert: true }, PixelBuf::F32(&values)).unwrap();
        assert_eq!(inverted.data[0], 1.0);
        assert_eq!(inverted.data[2], 0.0);
    }

    #[test]
    fn a_fixed_window_model_ignores_the_display_window_and_inversion() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
        let load = |id: &str| {
            lumen_infer::ModelManifest::from_json(&std::fs::read_to_string(dir.join(id).join("manifest.json")).unwrap()).unwrap()
        };
        let shown = RunPixels::Modality {
            window: lumen_frames::WindowPreset { center: 40.0, width: 400.0, function: lumen_frames::WindowFunction::Linear, explanation: None },
            invert: true,
        };
        let RunPixels::Modality { window, invert } = model_pixels(&load("ct-chest-seg"), &shown) else { panic!("modality") };
        assert!(!invert);
        assert_eq!((window.center, window.width), (0.0, 2000.0));
        // A displayed-grey model keeps what the reader sees.
        assert_eq!(model_pixels(&load("cxr-qc"), &shown), shown);
    }

    #[test]
    fn a_volume_request_becomes_the_grey_volume_the_server_builds() {
        // Three 2 × 2 slices; the same values through the same window as three single-slice requests.
        let values: Vec<f32> = (0..12).map(|i| i as f32 * 100.0 - 600.0).collect();
        let v = grey_volume(2, 2, 3, [0.7, 0.7, 2.5], None, &window(0.0, 1000.0), None, &PixelBuf::F32(&values)).unwrap();
        assert_eq!((v.width, v.height, v.depth, v.spacing), (2, 2, 3, [0.7, 0.7, 2.5]));
        let slices: Vec<GreyImage> =
            values.chunks(4).map(|c| grey_image(2, 2, &window(0.0, 1000.0), PixelBuf::F32(c)).unwrap()).collect();
        let full = GreyVolume::from_slices(&slices, [0.7, 0.7, 2.5]).unwrap();
        assert_eq!(v, full);
        // Straight onto a model's grid: the same volume once resampled to that grid.
        let on_grid = grey_volume(2, 2, 3, [0.7, 0.7, 2.5], Some(1.4), &window(0.0, 1000.0), None, &PixelBuf::F32(&values)).unwrap();
        assert_eq!((on_grid.plane, on_grid.data.len()), ([1, 1], 3));
        assert_eq!(on_grid.resample(full.grid_dims(1.4)), full.resample(full.grid_dims(1.4)));
        // A full CT's stack (taller than any one image may be) is fine.
        let ct = vec![0f32; 64 * 64 * 300];
        assert_eq!(grey_volume(64, 64, 300, [0.7, 0.7, 1.0], None, &window(0.0, 1000.0), None, &PixelBuf::F32(&ct)).unwrap().depth, 300);
        type Case<'a> = (u32, u32, u32, [f32; 3], PixelBuf<'a>, &'a str);
        let cases: [Case<'_>; 6] = [
            (2, 2, 2, [1.0; 3], PixelBuf::F32(&values), "need 8 modality values, the Float32Array has 12"),
            (2, 2, 3, [1.0, 1.0, 0.0], PixelBuf::F32(&values), "must be positive"),
            (2, 2, 3, [1.0, f32::NAN, 1.0], PixelBuf::F32(&values), "must be positive"),
            (2, 2, 3, [1.0; 3], PixelBuf::F32(&values[1..]), "the Float32Array has 11"),
            (2, 2, 3, [1.0; 3], PixelBuf::U8(&[0; 12]), "Float32Array"),
            (4096, 4096, 5, [1.0; 3], PixelBuf::F32(&values), "out of range"),
        ];
        for (w, h, depth, spacing, buf, why) in cases {
            let err = grey_volume(w, h, depth, spacing, None, &window(0.0, 1.0), None, &buf).unwrap_err();
            assert!(err.contains(why), "{why}: {err}");
        }
        assert!(grey_volume(2, 2, 0, [1.0; 3], None, &window(0.0, 1.0), None, &PixelBuf::F32(&[])).unwrap_err().contains("out of range"));
        assert!(grey_volume(2, 2, 3, [1.0; 3], None, &RunPixels::Rgb8, None, &PixelBuf::U8(&[0; 36])).unwrap_err().contains("Float32Array"));
    }

    #[test]
    fn stored_samples_with_each_slices_rescale_give_the_modality_values_volume() {
        // Three 2 × 2 slices of signed 16-bit samples, each with its own linear Modality LUT (as CT slices may
        // have): the same grey volume as their modality values sent as f32, computed the decoder's way.
        let stored: Vec<i16> = (0..12).map(|i| i * 173 - 900).collect();
        let rescale = [[1.0, -1024.0], [0.5, -1000.0], [2.0, 3.25]];
        let values: Vec<f32> = stored
            .chunks(4)
            .zip(&rescale)
            .flat_map(|(c, [m, b])| ModalityValues::from_stored(StoredSamples::I16(c.to_vec()), *m, *b).to_f32().into_owned())
            .collect();
        let px = window(-200.0, 1500.0);
        let from_f32 = grey_volume(2, 2, 3, [0.7, 0.7, 2.5], None, &px, None, &PixelBuf::F32(&values)).unwrap();
        let from_stored = grey_volume(2, 2, 3, [0.7, 0.7, 2.5], None, &px, Some(&rescale), &StoredSamples::I16(stored.clone())).unwrap();
        assert_eq!(from_stored, from_f32);
        assert!(from_f32.data.iter().any(|&g| g > 0.0 && g < 1.0), "the window is not trivial: {:?}", from_f32.data);
        // Every stored type travels; unsigned 8-bit too.
        let bytes: Vec<u8> = (0..12).map(|i| i * 20).collect();
        let ones = [[1.0, 0.0]; 3];
        let as_f32: Vec<f32> = bytes.iter().map(|&b| b as f32).collect();
        assert_eq!(
            grey_volume(2, 2, 3, [1.0; 3], None, &window(100.0, 200.0), Some(&ones), &PixelBuf::U8(&bytes)).unwrap(),
            grey_volume(2, 2, 3, [1.0; 3], None, &window(100.0, 200.0), None, &PixelBuf::F32(&as_f32)).unwrap()
        );
        let samples = StoredSamples::I16(stored);
        let cases: [(u32, Option<&[[f64; 2]]>, &dyn VolumeSource, &str); 5] = [
            (3, Some(&rescale[..2]), &samples, "3 slices need 3 rescale pairs, the request has 2"),
            (3, Some(&[[1.0, 0.0], [f64::NAN, 0.0], [1.0, 0.0]]), &samples, "slice 1's rescale"),
            (3, Some(&rescale), &PixelBuf::F32(&values), "must come as an Int16Array"),
            (3, None, &samples, "must come as a Float32Array"),
            (2, Some(&[[1.0, 0.0]; 2]), &StoredSamples::U16(vec![0; 7]), "need 8 modality values, the Uint16Array has 7"),
        ];
        for (depth, rescale, buf, why) in cases {
            let err = grey_volume(2, 2, depth, [1.0; 3], None, &px, rescale, buf).unwrap_err();
            assert!(err.contains(why), "{why}: {err}");
        }
    }

    #[test]
    fn rgb_bytes_become_luma() {
        let img = grey_image(2, 1, &RunPixels::Rgb8, PixelBuf::U8(&[255, 255, 255, 0, 0, 0])).unwrap();
        assert!((img.data[0] - 1.0).abs() < 1e-3 && img.data[1] == 0.0, "{:?}", img.data);
    }

    #[test]
    fn mismatched_buffers_are_refused_with_the_reason() {
        let cases: [(u32, u32, RunPixels, PixelBuf<'_>, &str); 6] = [
            (2, 2, window(0.0, 1.0), PixelBuf::F32(&[0.0; 3]), "needs 4 modality values"),
            (2, 2, window(0.0, 1.0), PixelBuf::U8(&[0; 4]), "Float32Array"),
            (2, 2, RunPixels::Rgb8, PixelBuf::U8(&[0; 4]), "needs 12 bytes"),
            (2, 2, RunPixels::Rgb8, PixelBuf::Missing, "Uint8Array"),
            (0, 2, RunPixels::Rgb8, PixelBuf::U8(&[]), "out of range"),
            (2, 2, window(0.0, f64::NAN), PixelBuf::F32(&[0.0; 4]), "finite"),
        ];
        for (w, h, px, buf, why) in cases {
            let err = grey_image(w, h, &px, buf).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
    }

    #[test]
    fn ids_and_file_names_cannot_leave_the_package_folder() {
        assert!(check_model_id("cxr-qc").is_ok());
        for bad in ["", "../etc", "CXR", "a/b", "a?b"] {
            assert!(check_model_id(bad).is_err(), "{bad}");
        }
        assert!(check_file_name("weights.safetensors").is_ok());
        for bad in ["", "..", "../x", "a/b", "x?y=1"] {
            assert!(check_file_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_and_cache_keys() {
        assert_eq!(package_url("http://h/models/", "cxr-qc", "manifest.json"), "http://h/models/cxr-qc/manifest.json");
        assert_eq!(package_url("http://h/models", "cxr-qc", "w"), "http://h/models/cxr-qc/w");
        let key = cache_key("http://h/m/cxr-qc/w.safetensors", "ab12");
        assert_eq!(key, "http://h/m/cxr-qc/w.safetensors?sha256=ab12");
        assert!(key.starts_with(&cache_prefix("http://h/m/cxr-qc/w.safetensors")));
        assert_eq!(cache_key("http://h/w?v=1", "ab"), "http://h/w?v=1&sha256=ab");
    }

    #[test]
    fn self_test_difference() {
        assert!((max_abs_diff(&[0.2, 0.8], &[0.25, 0.75]).unwrap() - 0.05).abs() < 1e-6);
        assert!(max_abs_diff(&[0.2, 0.8], &[1.0]).unwrap_err().contains("records 1"));
        assert!(max_abs_diff(&[f32::NAN, 0.8], &[0.2, 0.8]).is_err());
    }

    #[test]
    fn the_job_of_an_unreadable_request_is_recovered() {
        assert_eq!(job_of(r#"{"type":"run","job":12,"model":3}"#), Some(12));
        assert_eq!(job_of("not json"), None);
    }

    #[test]
    fn software_adapters_are_recognised_and_real_gpus_are_not() {
        assert!(is_software_adapter("google swiftshader"));
        assert!(is_software_adapter("mesa llvmpipe (LLVM 15.0.6, 256 bits)"));
        assert!(is_software_adapter("Microsoft Basic Render Driver"));
        assert!(!is_software_adapter("nvidia ampere NVIDIA H200"));
        assert!(!is_software_adapter("apple metal-3"));
        assert!(!is_software_adapter(""));
    }
}
