//! Stack and volume order of a series from its instances' metadata (DICOM JSON, as WADO-RS metadata or QIDO
//! return it): every frame of every image instance (multi-frame instances expand to their frames), sorted along
//! the slice normal with `lumen_dicom::geometry::sort_volume` when every frame has a parallel image plane and the
//! positions differ, else by Instance Number (0020,0013) and frame number. Reports slice spacing, gaps,
//! duplicates and irregularities for the overlay. This module must not fetch metadata, decode pixels or decide
//! how the viewer reacts to an irregular volume.
//!
//! Direction: the geometry sort runs along the plane normal; when the scanner's Instance Numbers run the other
//! way (the usual head-first CT numbering, superior slice first), the stack is reversed so that scrolling follows
//! the scanner's numbering while the order itself comes from the geometry.

use crate::frame::{FrameKey, PlaneMeta};
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use lumen_dicom::geometry::{sort_volume, ImagePlane};
use lumen_dicomweb::json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One frame of the stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackFrame {
    /// SOP Instance UID and 1-based frame number.
    pub key: FrameKey,
    /// Instance Number (0020,0013).
    pub instance_number: Option<i64>,
    /// The frame's image plane (top-level Image Position/Orientation (Patient), or the Plane Position and Plane
    /// Orientation Sequences of the functional groups).
    pub plane: Option<PlaneMeta>,
    /// Position along [`SeriesStack::normal`], mm (geometric ordering only).
    pub position: Option<f64>,
    /// Slice Location (0020,1041), informative only.
    pub slice_location: Option<f64>,
}

/// How the stack was ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StackOrdering {
    /// Along the slice normal from the image planes.
    Geometry,
    /// By Instance Number, then frame number (no usable geometry: missing planes, non-parallel slices, or every
    /// frame at the same position as in a cine).
    InstanceNumber,
}

/// A gap in the stack: neighbours farther apart than 1.5 × the regular spacing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackGap {
    /// Index (in stack order) of the frame before the gap.
    pub after: usize,
    /// Distance to the next frame, mm.
    pub distance: f64,
}

/// An instance left out of the stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedInstance {
    /// SOP Instance UID, when present.
    pub sop_instance_uid: Option<String>,
    /// Why it was left out.
    pub reason: String,
}

/// The ordered frames of a series and what the overlay says about their spacing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesStack {
    /// The frames in display order.
    pub frames: Vec<StackFrame>,
    /// How they were ordered.
    pub ordering: StackOrdering,
    /// The direction positions are measured along (geometric ordering only).
    pub normal: Option<[f64; 3]>,
    /// Regular distance between neighbouring slice centres, mm (median; geometric ordering only).
    pub spacing: Option<f64>,
    /// Gaps (missing slices).
    pub gaps: Vec<StackGap>,
    /// Whether neighbour distances differ from `spacing` by more than 1%.
    pub irregular: bool,
    /// Stack indices of frames at the same position as their predecessor.
    pub duplicates: Vec<usize>,
    /// Frames whose plane is not parallel to the first (then the ordering is by Instance Number).
    pub non_parallel: Vec<FrameKey>,
    /// One sentence per problem found, for the overlay.
    pub warnings: Vec<String>,
    /// Pixel Spacing (0028,0030) of the first frame: [between rows, between columns], mm.
    pub pixel_spacing: Option<[f64; 2]>,
    /// Slice Thickness (0018,0050) of the first instance, mm.
    pub slice_thickness: Option<f64>,
    /// Largest Rows × Columns × Samples per Pixel among the instances (to estimate decoded frame sizes).
    pub max_samples_per_frame: usize,
    /// Largest decoded size of one frame among the instances, bytes, as the frame cache holds it: 1 or 2 bytes per
    /// pixel for 8/16-bit monochrome samples, 8 with a Modality LUT Sequence, 4 otherwise, 3 per colour pixel
    /// (see [`ModalityValues`](crate::ModalityValues)).
    #[serde(default)]
    pub max_frame_bytes: usize,
    /// Instances left out (not images, or no SOP Instance UID).
    pub skipped: Vec<SkippedInstance>,
}

impl SeriesStack {
    /// The frame keys in display order (what the prefetch scheduler and the loading state take).
    pub fn keys(&self) -> Vec<FrameKey> {
        self.frames.iter().map(|f| f.key.clone()).collect()
    }

    /// Whether the stack is a regular volume: ordered by geometry, no gaps, duplicates or irregular spacing.
    pub fn is_regular_volume(&self) -> bool {
        self.ordering == StackOrdering::Geometry
            && self.gaps.is_empty()
            && self.duplicates.is_empty()
            && !self.irregular
            && self.non_parallel.is_empty()
    }

    /// Distance between the centres of frames `a` and `b` along the normal, mm (geometric ordering only).
    pub fn distance(&self, a: usize, b: usize) -> Option<f64> {
        Some((self.frames.get(b)?.position? - self.frames.get(a)?.position?).abs())
    }

    /// Upper bound of one decoded frame's bytes in the cache ([`SeriesStack::max_frame_bytes`]; 4 bytes per
    /// sample when that is unknown), for [`frames_within_budget`](crate::frames_within_budget).
    pub fn estimated_frame_bytes(&self) -> usize {
        if self.max_frame_bytes > 0 {
            self.max_frame_bytes
        } else {
            self.max_samples_per_frame.saturating_mul(4)
        }
    }
}

/// Bytes per pixel of a decoded frame of `instance` in the frame cache, from its metadata: RGB8 for colour
/// (more than one sample, or PALETTE COLOR), else by Bits Allocated — 1 or 8 → 1, 16 → 2 (stored samples kept as
/// they are), anything else → 4 (`f32`) — and 8 (`f32` plus `i32` stored values) with a Modality LUT Sequence.
fn decoded_bytes_per_pixel(instance: &Value, samples_per_pixel: i64) -> i64 {
    let photometric = json::string(instance, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_default();
    if samples_per_pixel > 1 || photometric.trim().eq_ignore_ascii_case("PALETTE COLOR") {
        return 3;
    }
    if !json::items(instance, tags::MODALITY_LUT_SEQUENCE).is_empty() {
        return 8;
    }
    match json::integer(instance, tags::BITS_ALLOCATED) {
        Some(1 | 8) => 1,
        Some(16) => 2,
        _ => 4,
    }
}

/// The first item of sequence `seq` in the functional groups of frame `index` (0-based): Per-frame Functional
/// Groups Sequence (5200,9230) item `index`, else the Shared Functional Groups Sequence (5200,9229).
fn functional_group(instance: &Value, index: usize, seq: Tag) -> Option<&Value> {
    let per_frame = json::items(instance, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE).get(index);
    let shared = json::items(instance, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).first();
    [per_frame, shared]
        .into_iter()
        .flatten()
        .find_map(|group| json::items(group, seq).first())
}

/// Numbers of `tag` at the top level, else in functional group sequence `seq` of frame `index`.
fn frame_numbers(instance: &Value, index: usize, tag: Tag, seq: Tag) -> Vec<f64> {
    let top = json::numbers(instance, tag);
    if !top.is_empty() {
        return top;
    }
    functional_group(instance, index, seq)
        .map(|item| json::numbers(item, tag))
        .unwrap_or_default()
}

fn frame_plane(instance: &Value, index: usize) -> Option<ImagePlane> {
    let ipp = frame_numbers(
        instance,
        index,
        tags::IMAGE_POSITION_PATIENT,
        tags::PLANE_POSITION_SEQUENCE,
    );
    let iop = frame_numbers(
        instance,
        index,
        tags::IMAGE_ORIENTATION_PATIENT,
        tags::PLANE_ORIENTATION_SEQUENCE,
    );
    let spacing = frame_numbers(
        instance,
        index,
        tags::PIXEL_SPACING,
        tags::PIXEL_MEASURES_SEQUENCE,
    );
    let [x, y, z] = ipp[..] else { return None };
    let [r0, r1, r2, c0, c1, c2] = iop[..] else {
        return None;
    };
    let pixel_spacing = match spacing[..] {
        [r, c] if r > 0.0 && c > 0.0 => Some([r, c]),
        _ => None,
    };
    ImagePlane::new([x, y, z], [r0, r1, r2], [c0, c1, c2], pixel_spacing).ok()
}

/// Index of a plane whose normal is shared (within about 1°) by the most planes.
fn majority_orientation(planes: &[(usize, ImagePlane)]) -> Option<usize> {
    // (normal, first index, count): few distinct orientations in practice.
    let mut clusters: Vec<([f64; 3], usize, usize)> = Vec::new();
    for (i, (_, plane)) in planes.iter().enumerate() {
        let n = plane.normal();
        match clusters
            .iter_mut()
            .find(|(c, _, _)| (c[0] * n[0] + c[1] * n[1] + c[2] * n[2]).abs() >= 0.9998)
        {
            Some(cluster) => cluster.2 += 1,
            None => clusters.push((n, i, 1)),
        }
    }
    // max_by_key keeps the last maximum: compare counts, then prefer the earlier cluster.
    clusters
        .iter()
        .max_by(|a, b| a.2.cmp(&b.2).then(b.1.cmp(&a.1)))
        .map(|c| c.1)
}

/// `sort_volume` measures along the first slice's normal: put a slice of the majority orientation first, so a
/// localizer numbered 1 is reported as the odd one out rather than every other slice.
fn sort_from_majority(
    mut planes: Vec<(usize, ImagePlane)>,
) -> Option<lumen_dicom::geometry::VolumeLayout<usize>> {
    if let Some(reference) = majority_orientation(&planes) {
        let first = planes.remove(reference);
        planes.insert(0, first);
    }
    sort_volume(&planes).ok()
}

/// The overlay's sentences for a geometrically ordered stack, with slice numbers in stack order (1-based).
fn geometry_warnings(stack: &SeriesStack) -> Vec<String> {
    let mut out = Vec::new();
    if !stack.duplicates.is_empty() {
        out.push(format!(
            "{} slice(s) share a position with another slice",
            stack.duplicates.len()
        ));
    }
    for gap in &stack.gaps {
        out.push(format!(
            "gap of {:.2} mm after slice {} (regular spacing {:.2} mm)",
            gap.distance,
            gap.after + 1,
            stack.spacing.unwrap_or(0.0)
        ));
    }
    if stack.irregular && stack.gaps.is_empty() {
        out.push("slice spacing is irregular".to_string());
    }
    out
}

struct Candidate {
    frame: StackFrame,
    plane: Option<ImagePlane>,
}

/// Build the ordered frame list of a series from its instances' DICOM JSON. Instances without SOP Instance UID
/// (0008,0018) or without Rows (0028,0010) / Columns (0028,0011) (not images: reports, presentation states) are
/// listed in [`SeriesStack::skipped`]. Never fails: with no usable geometry the order is by Instance Number.
pub fn build_stack(instances: &[Value]) -> SeriesStack {
    let mut candidates = Vec::new();
    let mut skipped = Vec::new();
    let mut max_samples_per_frame = 0usize;
    let mut max_frame_bytes = 0usize;
    let mut slice_thickness = None;
    let mut seen = std::collections::HashSet::new();
    for instance in instances {
        let uid = json::string(instance, tags::SOP_INSTANCE_UID).filter(|u| !u.trim().is_empty());
        let Some(uid) = uid else {
            skipped.push(SkippedInstance {
                sop_instance_uid: None,
                reason: "no SOP Instance UID (0008,0018)".into(),
            });
            continue;
        };
        if !seen.insert(uid.clone()) {
            skipped.push(SkippedInstance {
                sop_instance_uid: Some(uid),
                reason: "listed twice in the series metadata; the first entry is used".into(),
            });
            continue;
        }
        let (rows, columns) = (
            json::integer(instance, tags::ROWS),
            json::integer(instance, tags::COLUMNS),
        );
        let (Some(rows), Some(columns)) = (rows.filter(|r| *r > 0), columns.filter(|c| *c > 0))
        else {
            skipped.push(SkippedInstance {
                sop_instance_uid: Some(uid),
                reason: "not an image: no Rows (0028,0010) or Columns (0028,0011)".into(),
            });
            continue;
        };
        let samples = json::integer(instance, tags::SAMPLES_PER_PIXEL)
            .filter(|s| *s > 0)
            .unwrap_or(1);
        let samples_per_frame = rows.saturating_mul(columns).saturating_mul(samples);
        max_samples_per_frame =
            max_samples_per_frame.max(usize::try_from(samples_per_frame).unwrap_or(usize::MAX));
        let frame_bytes = rows
            .saturating_mul(columns)
            .saturating_mul(decoded_bytes_per_pixel(instance, samples));
        max_frame_bytes = max_frame_bytes.max(usize::try_from(frame_bytes).unwrap_or(usize::MAX));
        if slice_thickness.is_none() {
            slice_thickness = json::number(instance, tags::SLICE_THICKNESS);
        }
        let number_of_frames = json::integer(instance, tags::NUMBER_OF_FRAMES)
            .filter(|n| *n >= 1)
            .map_or(1, |n| n.min(u32::MAX as i64) as u32);
        let instance_number = json::integer(instance, tags::INSTANCE_NUMBER);
        let slice_location = json::number(instance, tags::SLICE_LOCATION);
        for frame_number in 1..=number_of_frames {
            let plane = frame_plane(instance, (frame_number - 1) as usize);
            candidates.push(Candidate {
                frame: StackFrame {
                    key: FrameKey::new(uid.clone(), frame_number),
                    instance_number,
                    plane: plane.as_ref().map(PlaneMeta::from),
                    position: None,
                    slice_location,
                },
                plane,
            });
        }
    }
    // Instance Number order first: the fallback, and the tie-break for frames at the same position.
    candidates.sort_by(|a, b| {
        let n = |c: &Candidate| c.frame.instance_number.unwrap_or(i64::MAX);
        n(a).cmp(&n(b)).then_with(|| a.frame.key.cmp(&b.frame.key))
    });
    let pixel_spacing = candidates
        .first()
        .and_then(|c| c.plane.as_ref())
        .and_then(|p| p.pixel_spacing);
    let mut stack = SeriesStack {
        frames: Vec::new(),
        ordering: StackOrdering::InstanceNumber,
        normal: None,
        spacing: None,
        gaps: Vec::new(),
        irregular: false,
        duplicates: Vec::new(),
        non_parallel: Vec::new(),
        warnings: Vec::new(),
        pixel_spacing,
        slice_thickness,
        max_samples_per_frame,
        max_frame_bytes,
        skipped,
    };
    let planes: Option<Vec<(usize, ImagePlane)>> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| c.plane.clone().map(|p| (i, p)))
        .collect();
    let planes = planes.filter(|p| p.len() >= 2);
    let layout = planes.clone().and_then(sort_from_majority);
    match layout {
        Some(layout) if !layout.non_parallel.is_empty() => {
            // Only the parallelism problem: gaps measured along one orientation mean nothing here.
            stack.warnings = vec![
                format!(
                    "{} slice(s) are not parallel to the others",
                    layout.non_parallel.len()
                ),
                "ordered by Instance Number".to_string(),
            ];
            stack.non_parallel = layout
                .non_parallel
                .iter()
                .filter_map(|&i| candidates.get(i))
                .map(|c| c.frame.key.clone())
                .collect();
            stack.frames = candidates.into_iter().map(|c| c.frame).collect();
        }
        Some(layout) if layout.spacing.is_some() => {
            let n = layout.order.len();
            // Follow the scanner's numbering: reverse when Instance Numbers mostly decrease along the normal.
            let numbers: Vec<Option<i64>> = layout
                .order
                .iter()
                .map(|&i| candidates.get(i).and_then(|c| c.frame.instance_number))
                .collect();
            let (mut up, mut down) = (0usize, 0usize);
            for w in numbers.windows(2) {
                if let [Some(a), Some(b)] = w {
                    if b > a {
                        up += 1;
                    } else if b < a {
                        down += 1;
                    }
                }
            }
            let reverse = down > up;
            // Frames at the same position keep Instance Number order in the final stack: sort them descending
            // before the reversal.
            let layout = match (reverse, planes) {
                (true, Some(mut p)) => {
                    p.reverse();
                    sort_from_majority(p).unwrap_or(layout)
                }
                _ => layout,
            };
            let sign = if reverse { -1.0 } else { 1.0 };
            let mut order: Vec<(usize, f64)> = layout
                .order
                .iter()
                .copied()
                .zip(layout.positions.iter().map(|p| p * sign))
                .collect();
            let mut gaps: Vec<StackGap> = layout
                .gaps
                .iter()
                .map(|g| StackGap {
                    after: g.after,
                    distance: g.distance,
                })
                .collect();
            let mut duplicates = layout.duplicates.clone();
            if reverse {
                order.reverse();
                gaps = gaps
                    .into_iter()
                    .rev()
                    .map(|g| StackGap {
                        after: n - 2 - g.after,
                        ..g
                    })
                    .collect();
                duplicates = duplicates.into_iter().rev().map(|i| n - i).collect();
            }
            stack.ordering = StackOrdering::Geometry;
            stack.normal = Some(layout.normal.map(|v| v * sign));
            stack.spacing = layout.spacing;
            stack.gaps = gaps;
            stack.irregular = layout.irregular;
            stack.duplicates = duplicates;
            let mut slots: Vec<Option<Candidate>> = candidates.into_iter().map(Some).collect();
            stack.frames = order
                .into_iter()
                .filter_map(|(i, position)| {
                    let mut frame = slots.get_mut(i)?.take()?.frame;
                    frame.position = Some(position);
                    Some(frame)
                })
                .collect();
            stack.warnings = geometry_warnings(&stack);
        }
        _ => {
            stack.frames = candidates.into_iter().map(|c| c.frame).collect();
        }
    }
    stack
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn axial(uid: &str, number: i64, z: f64) -> Value {
        json!({
            "00080018": {"vr": "UI", "Value": [uid]},
            "00200013": {"vr": "IS", "Value": [number]},
            "00200032": {"vr": "DS", "Value": [-100.0, -100.0, z]},
            "00200037": {"vr": "DS", "Value": [1, 0, 0, 0, 1, 0]},
            "00280030": {"vr": "DS", "Value": ["0.7", "0.7"]},
            "00180050": {"vr": "DS", "Value": ["2.5"]},
            "00280010": {"vr": "US", "Value": [4]},
            "00280011": {"vr": "US", "Value": [4]}
        })
    }

    fn uids(s: &SeriesStack) -> Vec<String> {
        s.frames
            .iter()
            .map(|f| format!("{}:{}", f.key.sop_instance_uid, f.key.frame_number))
            .collect()
    }

    #[test]
    fn slices_are_ordered_by_position_following_the_instance_numbering() {
        // Head-first numbering: instance 1 is the most superior slice (z = 10); given shuffled.
        let s = build_stack(&[
            axial("b", 2, 7.5),
            axial("d", 4, 2.5),
            axial("a", 1, 10.0),
            axial("c", 3, 5.0),
        ]);
        assert_eq!(s.ordering, StackOrdering::Geometry);
        assert_eq!(uids(&s), vec!["a:1", "b:1", "c:1", "d:1"]);
        assert_eq!(s.spacing, Some(2.5));
        assert_eq!(s.normal, Some([0.0, 0.0, -1.0]));
        // Positions increase along the (flipped) normal: -10, -7.5, -5, -2.5.
        assert_eq!(
            s.frames
                .iter()
                .map(|f| f.position.unwrap())
                .collect::<Vec<_>>(),
            vec![-10.0, -7.5, -5.0, -2.5]
        );
        assert_eq!(s.distance(0, 3), Some(7.5));
        assert_eq!(s.pixel_spacing, Some([0.7, 0.7]));
        assert_eq!(s.slice_thickness, Some(2.5));
        assert!(s.is_regular_volume());
    }

    #[test]
    fn wrong_instance_numbers_do_not_override_geometry() {
        // Instance numbers mostly increase with z, but "x" is misnumbered: geometry decides its place.
        let s = build_stack(&[
            axial("p", 1, 0.0),
            axial("q", 2, 5.0),
            axial("x", 9, 2.5),
            axial("r", 3, 7.5),
        ]);
        assert_eq!(uids(&s), vec!["p:1", "x:1", "q:1", "r:1"]);
        assert_eq!(s.spacing, Some(2.5));
    }

    #[test]
    fn a_missing_slice_is_reported_as_a_gap_in_stack_order() {
        // z 10, 7.5, 5, (2.5 missing), 0, numbered from the top: after reversal the gap follows index 2.
        let s = build_stack(&[
            axial("a", 1, 10.0),
            axial("b", 2, 7.5),
            axial("c", 3, 5.0),
            axial("e", 5, 0.0),
        ]);
        assert_eq!(
            s.gaps,
            vec![StackGap {
                after: 2,
                distance: 5.0
            }]
        );
        assert!(s.irregular);
        assert!(!s.is_regular_volume());
        assert!(
            s.warnings
                .iter()
                .any(|w| w.contains("gap of 5.00 mm after slice 3")),
            "{:?}",
            s.warnings
        );
    }

    #[test]
    fn duplicate_positions_are_reported_at_their_stack_index() {
        // z 0, 0, 5 numbered upwards (no reversal): the second frame repeats the first position.
        let s = build_stack(&[axial("a", 1, 0.0), axial("b", 2, 0.0), axial("c", 3, 5.0)]);
        assert_eq!(uids(&s), vec!["a:1", "b:1", "c:1"]);
        assert_eq!(s.duplicates, vec![1]);
        // Numbered downwards (d at z 10 is number 1): reversed, and the two frames at z 0 keep Instance Number
        // order (b 3 before a 4); the duplicate is the last frame.
        let s = build_stack(&[
            axial("a", 4, 0.0),
            axial("b", 3, 0.0),
            axial("c", 2, 5.0),
            axial("d", 1, 10.0),
        ]);
        assert_eq!(uids(&s), vec!["d:1", "c:1", "b:1", "a:1"]);
        assert_eq!(s.duplicates, vec![3]);
        assert_eq!(s.spacing, Some(5.0));
        assert_eq!(
            s.warnings,
            vec!["1 slice(s) share a position with another slice".to_string()]
        );
    }

    #[test]
    fn without_geometry_the_order_is_by_instance_number() {
        let mut a = axial("a", 2, 0.0);
        a.as_object_mut().unwrap().remove("00200032");
        let s = build_stack(&[a, axial("b", 1, 5.0), axial("c", 3, 10.0)]);
        assert_eq!(s.ordering, StackOrdering::InstanceNumber);
        assert_eq!(uids(&s), vec!["b:1", "a:1", "c:1"]);
        assert_eq!(s.spacing, None);
    }

    #[test]
    fn a_localizer_at_another_angle_falls_back_to_instance_number_with_a_warning() {
        let mut scout = axial("s", 1, 0.0);
        scout["00200037"] = json!({"vr": "DS", "Value": [1, 0, 0, 0, 0, -1]});
        let s = build_stack(&[axial("b", 3, 5.0), scout, axial("a", 2, 0.0)]);
        assert_eq!(s.ordering, StackOrdering::InstanceNumber);
        assert_eq!(uids(&s), vec!["s:1", "a:1", "b:1"]);
        // The odd one out is the localizer, although it comes first.
        assert_eq!(s.non_parallel, vec![FrameKey::new("s", 1)]);
        assert_eq!(
            s.warnings,
            vec![
                "1 slice(s) are not parallel to the others",
                "ordered by Instance Number"
            ]
        );
    }

    #[test]
    fn a_cine_expands_to_its_frames_in_frame_order() {
        let cine = json!({
            "00080018": {"vr": "UI", "Value": ["cine"]},
            "00280008": {"vr": "IS", "Value": ["3"]},
            "00280010": {"vr": "US", "Value": [480]},
            "00280011": {"vr": "US", "Value": [640]},
            "00280002": {"vr": "US", "Value": [3]}
        });
        let s = build_stack(&[cine]);
        assert_eq!(uids(&s), vec!["cine:1", "cine:2", "cine:3"]);
        assert_eq!(s.max_samples_per_frame, 480 * 640 * 3);
        // Colour frames are held as RGB8.
        assert_eq!(s.estimated_frame_bytes(), 480 * 640 * 3);
    }

    #[test]
    fn enhanced_multi_frame_is_sorted_by_per_frame_plane_positions() {
        let pos = |z: f64| json!({"00209113": {"vr": "SQ", "Value": [{"00200032": {"vr": "DS", "Value": [0, 0, z]}}]}});
        let mf = json!({
            "00080018": {"vr": "UI", "Value": ["mf"]},
            "00280008": {"vr": "IS", "Value": [3]},
            "00280010": {"vr": "US", "Value": [8]},
            "00280011": {"vr": "US", "Value": [8]},
            "52009229": {"vr": "SQ", "Value": [{
                "00209116": {"vr": "SQ", "Value": [{"00200037": {"vr": "DS", "Value": [1, 0, 0, 0, 1, 0]}}]},
                "00289110": {"vr": "SQ", "Value": [{"00280030": {"vr": "DS", "Value": [0.5, 0.5]}}]}
            }]},
            "52009230": {"vr": "SQ", "Value": [pos(6.0), pos(0.0), pos(3.0)]}
        });
        let s = build_stack(&[mf]);
        assert_eq!(s.ordering, StackOrdering::Geometry);
        assert_eq!(uids(&s), vec!["mf:2", "mf:3", "mf:1"]);
        assert_eq!(s.spacing, Some(3.0));
        assert_eq!(s.pixel_spacing, Some([0.5, 0.5]));
    }

    #[test]
    fn non_image_instances_are_skipped_with_a_reason() {
        let sr = json!({"00080018": {"vr": "UI", "Value": ["sr"]}});
        let nameless = json!({"00280010": {"vr": "US", "Value": [4]}});
        let s = build_stack(&[sr, nameless, axial("a", 1, 0.0), axial("a", 1, 0.0)]);
        assert_eq!(uids(&s), vec!["a:1"]);
        assert_eq!(s.skipped.len(), 3);
        assert!(s.skipped[2].reason.contains("listed twice"));
        assert_eq!(s.skipped[0].sop_instance_uid.as_deref(), Some("sr"));
        assert!(s.skipped[0].reason.contains("not an image"));
    }

    #[test]
    fn frame_bytes_follow_what_the_cache_holds() {
        let ct = |uid: &str, bits: i64, extra: Value| {
            let mut v = json!({
                "00080018": {"vr": "UI", "Value": [uid]},
                "00280010": {"vr": "US", "Value": [512]},
                "00280011": {"vr": "US", "Value": [512]},
                "00280004": {"vr": "CS", "Value": ["MONOCHROME2"]},
                "00280100": {"vr": "US", "Value": [bits]}
            });
            if let (Value::Object(o), Value::Object(e)) = (&mut v, extra) {
                o.extend(e);
            }
            v
        };
        // 16-bit CT: its stored samples, 2 bytes per pixel — a 1000-slice series takes 500 MiB, not 1 GiB.
        assert_eq!(
            build_stack(&[ct("a", 16, json!({}))]).estimated_frame_bytes(),
            512 * 512 * 2
        );
        assert_eq!(
            build_stack(&[ct("a", 8, json!({}))]).estimated_frame_bytes(),
            512 * 512
        );
        assert_eq!(
            build_stack(&[ct("a", 32, json!({}))]).estimated_frame_bytes(),
            512 * 512 * 4
        );
        // Unknown Bits Allocated: the f32 upper bound.
        let mut bare = ct("a", 16, json!({}));
        bare.as_object_mut().unwrap().remove("00280100");
        assert_eq!(build_stack(&[bare]).estimated_frame_bytes(), 512 * 512 * 4);
        // A Modality LUT Sequence: f32 values plus i32 stored values.
        let table =
            json!({"00283000": {"vr": "SQ", "Value": [{"00283006": {"vr": "US", "Value": [0]}}]}});
        assert_eq!(
            build_stack(&[ct("a", 16, table)]).estimated_frame_bytes(),
            512 * 512 * 8
        );
        // PALETTE COLOR is expanded to RGB8; the largest instance wins.
        let palette = json!({"00280004": {"vr": "CS", "Value": ["PALETTE COLOR"]}});
        let s = build_stack(&[ct("a", 16, json!({})), ct("b", 8, palette)]);
        assert_eq!(s.estimated_frame_bytes(), 512 * 512 * 3);
    }
}
