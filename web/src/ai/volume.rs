//! A series as one volume for a 3D model run in this browser: the same checks and the same slice order as the
//! server's job (`crates/server/src/ai`): every slice's plane from its decoded frame, sorted along the normal by
//! `lumen_dicom::geometry::sort_volume`, one size, one regular spacing, single-frame instances only. A series
//! that is not one regular volume is refused with the reason, as the server refuses it.

use lumen_dicom::geometry::{sort_volume, ImagePlane};
use lumen_frames::{DecodedFrame, Pixels};
use std::rc::Rc;

/// The decoded slices of a series in volume order, with what the worker needs besides their values.
pub struct SeriesVolume {
    /// Sorted along the slice normal (lowest position first), as the server sorts them.
    pub frames: Vec<Rc<DecodedFrame>>,
    pub width: u32,
    pub height: u32,
    /// Voxel size, mm: along a row (column spacing), along a column (row spacing), between slices.
    pub spacing: [f32; 3],
}

/// `frames` (every frame of the series, in any order; `missing` of them not decoded yet) as one volume.
pub fn series_volume(frames: Vec<Rc<DecodedFrame>>, missing: usize) -> Result<SeriesVolume, String> {
    if missing > 0 {
        return Err(format!("{missing} slices are not loaded yet: the 3D model needs the whole series in this browser"));
    }
    if frames.len() < 2 {
        return Err("a 3D model needs at least two slices".into());
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(multi) = frames.iter().find(|f| f.meta.key.frame_number != 1 || !seen.insert(f.meta.key.sop_instance_uid.as_str())) {
        return Err(format!(
            "the series is not one volume: instance {} has several frames (a 3D model takes single-frame slices)",
            multi.meta.key.sop_instance_uid
        ));
    }
    let first = &frames[0].meta;
    let ps = first.pixel_spacing.ok_or_else(|| format!("instance {} has no Pixel Spacing", first.key.sop_instance_uid))?;
    let mut planes = Vec::with_capacity(frames.len());
    for (i, f) in frames.iter().enumerate() {
        let sop = &f.meta.key.sop_instance_uid;
        let plane = f.meta.image_plane.as_ref().ok_or_else(|| format!("instance {sop} has no Image Position/Orientation (Patient)"))?;
        let plane = ImagePlane::new(plane.position, plane.row_cosines, plane.column_cosines, f.meta.pixel_spacing)
            .map_err(|e| format!("instance {sop}: {e}"))?;
        if (f.meta.columns, f.meta.rows) != (first.columns, first.rows) {
            return Err(format!(
                "the series is not one volume: instance {sop} is {}×{}, others {}×{}",
                f.meta.columns, f.meta.rows, first.columns, first.rows
            ));
        }
        if !matches!(f.pixels, Pixels::Modality { .. }) {
            return Err(format!("instance {sop} is a colour image: a 3D model takes modality values"));
        }
        planes.push((i, plane));
    }
    let layout = sort_volume(&planes).map_err(|e| e.to_string())?;
    if !layout.is_regular() {
        return Err(format!(
            "the series is not one regular volume ({}): a 3D model needs evenly spaced parallel slices",
            layout.warnings().join("; ")
        ));
    }
    let dz = layout.spacing.ok_or("a 3D model needs at least two slices at different positions")?;
    let spacing = [ps[1] as f32, ps[0] as f32, dz as f32];
    let (width, height) = (first.columns as u32, first.rows as u32);
    let frames = layout.order.iter().map(|&i| frames[i].clone()).collect();
    Ok(SeriesVolume { frames, width, height, spacing })
}
