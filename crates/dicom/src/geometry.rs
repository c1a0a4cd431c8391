//! Patient geometry (PS3.3 C.7.6.2): image planes from Image Position (Patient) (0020,0032), Image Orientation
//! (Patient) (0020,0037) and Pixel Spacing (0028,0030) — or their enhanced multi-frame functional groups — the
//! plane normal, sorting a series' slices into a volume along that normal with a report of spacing, gaps,
//! irregular spacing, duplicates and non-parallel slices, and the patient orientation labels (L/R, A/P, H/F) of
//! the four image edges. Must not read pixel data or decide how a viewer reacts to an irregular volume.

use crate::attr;
use crate::display::functional_group;
use crate::error::*;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use snafu::prelude::*;

/// A vector in the patient coordinate system (LPS: +x towards the patient's Left, +y Posterior, +z Head), mm.
pub type Vec3 = [f64; 3];

fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}

fn neg(a: Vec3) -> Vec3 {
    [-a[0], -a[1], -a[2]]
}

/// The plane of one image (or one frame) in patient space.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagePlane {
    /// Image Position (Patient): centre of the first transmitted pixel, mm.
    pub position: Vec3,
    /// First three values of Image Orientation (Patient): direction along a row (increasing column index),
    /// normalised.
    pub row_cosines: Vec3,
    /// Last three values of Image Orientation (Patient): direction along a column (increasing row index),
    /// normalised.
    pub column_cosines: Vec3,
    /// Pixel Spacing (0028,0030): [spacing between rows, spacing between columns] in mm, when present.
    pub pixel_spacing: Option<[f64; 2]>,
}

impl ImagePlane {
    /// Build a plane, normalising the direction cosines. Errors when a direction is zero or the two are not
    /// perpendicular (more than about 1° off).
    pub fn new(
        position: Vec3,
        row_cosines: Vec3,
        column_cosines: Vec3,
        pixel_spacing: Option<[f64; 2]>,
    ) -> Result<Self> {
        let (nr, nc) = (norm(row_cosines), norm(column_cosines));
        ensure!(
            nr > 1e-6 && nc > 1e-6 && position.iter().all(|v| v.is_finite()) && nr.is_finite() && nc.is_finite(),
            GeometrySnafu { reason: format!("Image Orientation (Patient) {row_cosines:?}/{column_cosines:?} has a zero or invalid direction") }
        );
        let row = [
            row_cosines[0] / nr,
            row_cosines[1] / nr,
            row_cosines[2] / nr,
        ];
        let col = [
            column_cosines[0] / nc,
            column_cosines[1] / nc,
            column_cosines[2] / nc,
        ];
        ensure!(
            dot(row, col).abs() < 0.02,
            GeometrySnafu { reason: format!("the row and column directions of Image Orientation (Patient) are not perpendicular (cosine {:.3})", dot(row, col)) }
        );
        Ok(ImagePlane {
            position,
            row_cosines: row,
            column_cosines: col,
            pixel_spacing,
        })
    }

    /// The plane of frame `frame` of `obj`: top-level attributes, else the Plane Position Sequence (0020,9113),
    /// Plane Orientation Sequence (0020,9116) and Pixel Measures Sequence (0028,9110) of the functional groups.
    pub fn from_object(obj: &InMemDicomObject, frame: u32) -> Result<Self> {
        let pick = |tag, seq| -> Vec<f64> {
            let top = attr::f64s(obj, tag);
            if !top.is_empty() {
                return top;
            }
            functional_group(obj, frame, seq)
                .map(|item| attr::f64s(item, tag))
                .unwrap_or_default()
        };
        let ipp = pick(tags::IMAGE_POSITION_PATIENT, tags::PLANE_POSITION_SEQUENCE);
        let iop = pick(
            tags::IMAGE_ORIENTATION_PATIENT,
            tags::PLANE_ORIENTATION_SEQUENCE,
        );
        let spacing = pick(tags::PIXEL_SPACING, tags::PIXEL_MEASURES_SEQUENCE);
        let [x, y, z] = ipp[..] else {
            return GeometrySnafu {
                reason: format!(
                    "Image Position (Patient) has {} values, 3 are required",
                    ipp.len()
                ),
            }
            .fail();
        };
        let [r0, r1, r2, c0, c1, c2] = iop[..] else {
            return GeometrySnafu {
                reason: format!(
                    "Image Orientation (Patient) has {} values, 6 are required",
                    iop.len()
                ),
            }
            .fail();
        };
        let pixel_spacing = match spacing[..] {
            [r, c] if r > 0.0 && c > 0.0 => Some([r, c]),
            _ => None,
        };
        ImagePlane::new([x, y, z], [r0, r1, r2], [c0, c1, c2], pixel_spacing)
    }

    /// The plane normal, row direction × column direction (points to increasing slice position for a
    /// conventionally ordered series).
    pub fn normal(&self) -> Vec3 {
        cross(self.row_cosines, self.column_cosines)
    }

    /// Patient coordinates of the centre of the pixel at (`column`, `row`); `None` without Pixel Spacing.
    pub fn pixel_to_patient(&self, column: f64, row: f64) -> Option<Vec3> {
        let [row_spacing, column_spacing] = self.pixel_spacing?;
        let (p, r, c) = (self.position, self.row_cosines, self.column_cosines);
        let along = |k: usize| p[k] + r[k] * column_spacing * column + c[k] * row_spacing * row;
        Some([along(0), along(1), along(2)])
    }

    /// Orientation labels of the four image edges.
    pub fn edge_labels(&self) -> EdgeLabels {
        edge_labels(self.row_cosines, self.column_cosines)
    }
}

/// Secondary directions contribute a letter to an orientation label when their cosine is at least this large
/// (about 14.5° off the main axis), so a slightly tilted axial image still reads "L" while a 45° oblique reads
/// "LP".
pub const OBLIQUE_THRESHOLD: f64 = 0.25;

/// The patient-direction label of a direction: the letter of its main axis (x: L/R, y: P/A, z: H/F), followed by
/// the letters of other axes whose cosine reaches [`OBLIQUE_THRESHOLD`], in decreasing order of weight.
pub fn orientation_label(direction: Vec3) -> String {
    let letters = [('L', 'R'), ('P', 'A'), ('H', 'F')];
    let mut axes = [0usize, 1, 2];
    axes.sort_by(|&a, &b| direction[b].abs().total_cmp(&direction[a].abs()));
    let mut label = String::new();
    for (rank, &axis) in axes.iter().enumerate() {
        let v = direction[axis];
        if rank == 0 || v.abs() >= OBLIQUE_THRESHOLD {
            let (pos, negative) = letters[axis];
            label.push(if v >= 0.0 { pos } else { negative });
        }
    }
    label
}

/// The labels shown at the middle of each image edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeLabels {
    /// Left edge (towards decreasing column index).
    pub left: String,
    /// Right edge (towards increasing column index).
    pub right: String,
    /// Top edge (towards decreasing row index).
    pub top: String,
    /// Bottom edge (towards increasing row index).
    pub bottom: String,
}

/// Edge labels from the row and column direction cosines of Image Orientation (Patient).
pub fn edge_labels(row_cosines: Vec3, column_cosines: Vec3) -> EdgeLabels {
    EdgeLabels {
        left: orientation_label(neg(row_cosines)),
        right: orientation_label(row_cosines),
        top: orientation_label(neg(column_cosines)),
        bottom: orientation_label(column_cosines),
    }
}

/// A place in a sorted volume where slices are farther apart than the regular spacing.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceGap {
    /// Index (in sorted order) of the slice before the gap.
    pub after: usize,
    /// Distance to the next slice, mm.
    pub distance: f64,
}

/// A series' slices sorted along the slice normal, with everything a viewer must know before it treats them as
/// one volume.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeLayout<K> {
    /// The slices' keys from lowest to highest position along `normal`.
    pub order: Vec<K>,
    /// Each sorted slice's position along `normal`, mm.
    pub positions: Vec<f64>,
    /// The normal of the first slice given, used for sorting.
    pub normal: Vec3,
    /// The regular slice spacing (median distance between neighbours), mm; `None` for fewer than two distinct
    /// positions.
    pub spacing: Option<f64>,
    /// Neighbours more than 1.5 × `spacing` apart.
    pub gaps: Vec<SliceGap>,
    /// Whether any neighbour distance differs from `spacing` by more than 1% (and 0.01 mm).
    pub irregular: bool,
    /// Sorted indices of slices at the same position as their predecessor (within 0.001 mm).
    pub duplicates: Vec<usize>,
    /// Keys of slices whose plane is not parallel to the first slice (more than about 1° off).
    pub non_parallel: Vec<K>,
}

impl<K> VolumeLayout<K> {
    /// Whether the slices form a regular volume: parallel, no duplicates, no gaps, regular spacing.
    pub fn is_regular(&self) -> bool {
        self.non_parallel.is_empty()
            && self.duplicates.is_empty()
            && self.gaps.is_empty()
            && !self.irregular
    }

    /// One sentence per problem found, for a user.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.non_parallel.is_empty() {
            out.push(format!(
                "{} slice(s) are not parallel to the others",
                self.non_parallel.len()
            ));
        }
        if !self.duplicates.is_empty() {
            out.push(format!(
                "{} slice(s) share a position with another slice",
                self.duplicates.len()
            ));
        }
        for gap in &self.gaps {
            out.push(format!(
                "gap of {:.2} mm after slice {} (regular spacing {:.2} mm)",
                gap.distance,
                gap.after + 1,
                self.spacing.unwrap_or(0.0)
            ));
        }
        if self.irregular && self.gaps.is_empty() {
            out.push("slice spacing is irregular".to_string());
        }
        out
    }
}

/// Sort slices (a key and its plane each) along the first slice's normal and report the volume's regularity.
pub fn sort_volume<K: Clone>(slices: &[(K, ImagePlane)]) -> Result<VolumeLayout<K>> {
    let (_, first) = slices.first().context(GeometrySnafu {
        reason: "no slices to sort".to_string(),
    })?;
    let normal = first.normal();
    let non_parallel: Vec<K> = slices
        .iter()
        .filter(|(_, p)| dot(p.normal(), normal).abs() < 0.9998)
        .map(|(k, _)| k.clone())
        .collect();
    let mut sorted: Vec<(f64, &K)> = slices
        .iter()
        .map(|(k, p)| (dot(p.position, normal), k))
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positions: Vec<f64> = sorted.iter().map(|(d, _)| *d).collect();
    let order: Vec<K> = sorted.iter().map(|(_, k)| (*k).clone()).collect();
    let mut duplicates = Vec::new();
    let mut distances = Vec::new();
    for i in 1..positions.len() {
        let d = positions[i] - positions[i - 1];
        if d < 1e-3 {
            duplicates.push(i);
        } else {
            distances.push((i - 1, d));
        }
    }
    let spacing = if distances.is_empty() {
        None
    } else {
        let mut ds: Vec<f64> = distances.iter().map(|(_, d)| *d).collect();
        ds.sort_by(f64::total_cmp);
        let mid = ds.len() / 2;
        Some(if ds.len() % 2 == 1 {
            ds[mid]
        } else {
            (ds[mid - 1] + ds[mid]) / 2.0
        })
    };
    let mut gaps = Vec::new();
    let mut irregular = false;
    if let Some(s) = spacing {
        let tolerance = (s * 0.01).max(0.01);
        for &(after, d) in &distances {
            if (d - s).abs() > tolerance {
                irregular = true;
            }
            if d > 1.5 * s {
                gaps.push(SliceGap { after, distance: d });
            }
        }
    }
    Ok(VolumeLayout {
        order,
        positions,
        normal,
        spacing,
        gaps,
        irregular,
        duplicates,
        non_parallel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axial(z: f64) -> ImagePlane {
        ImagePlane::new(
            [-100.0, -100.0, z],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            Some([0.5, 0.5]),
        )
        .unwrap()
    }

    #[test]
    fn axial_edges_read_r_l_a_p() {
        let l = edge_labels([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]);
        assert_eq!(
            (
                l.left.as_str(),
                l.right.as_str(),
                l.top.as_str(),
                l.bottom.as_str()
            ),
            ("R", "L", "A", "P")
        );
    }

    #[test]
    fn sagittal_edges_read_a_p_h_f() {
        let l = edge_labels([0.0, 1.0, 0.0], [0.0, 0.0, -1.0]);
        assert_eq!(
            (
                l.left.as_str(),
                l.right.as_str(),
                l.top.as_str(),
                l.bottom.as_str()
            ),
            ("A", "P", "H", "F")
        );
    }

    #[test]
    fn coronal_edges_read_r_l_h_f() {
        let l = edge_labels([1.0, 0.0, 0.0], [0.0, 0.0, -1.0]);
        assert_eq!(
            (
                l.left.as_str(),
                l.right.as_str(),
                l.top.as_str(),
                l.bottom.as_str()
            ),
            ("R", "L", "H", "F")
        );
    }

    #[test]
    fn oblique_edges_combine_letters_by_weight() {
        // Row direction 45° between L and P; column mostly F, tilted 30° towards A.
        let s = 0.5f64.sqrt();
        let l = edge_labels([s, s, 0.0], [0.0, -0.5, -(0.75f64).sqrt()]);
        assert_eq!(l.right, "LP");
        assert_eq!(l.left, "RA");
        assert_eq!(l.bottom, "FA");
        assert_eq!(l.top, "HP");
        // A 5° tilt is not labelled oblique.
        assert_eq!(orientation_label([0.996, 0.087, 0.0]), "L");
    }

    #[test]
    fn normal_of_axial_points_to_head() {
        assert_eq!(axial(0.0).normal(), [0.0, 0.0, 1.0]);
    }

    #[test]
    fn pixel_to_patient_uses_row_then_column_spacing() {
        let p = ImagePlane::new(
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            Some([2.0, 0.5]),
        )
        .unwrap();
        // column 4 along x at 0.5 mm, row 3 along y at 2 mm
        assert_eq!(p.pixel_to_patient(4.0, 3.0), Some([2.0, 6.0, 0.0]));
    }

    #[test]
    fn slices_are_sorted_along_the_normal_with_regular_spacing() {
        let slices = vec![("c", axial(5.0)), ("a", axial(-5.0)), ("b", axial(0.0))];
        let v = sort_volume(&slices).unwrap();
        assert_eq!(v.order, vec!["a", "b", "c"]);
        assert_eq!(v.spacing, Some(5.0));
        assert!(v.is_regular());
    }

    #[test]
    fn a_missing_slice_is_reported_as_a_gap() {
        let slices: Vec<(usize, ImagePlane)> = [0.0, 2.5, 5.0, 10.0, 12.5]
            .iter()
            .enumerate()
            .map(|(i, &z)| (i, axial(z)))
            .collect();
        let v = sort_volume(&slices).unwrap();
        assert_eq!(v.spacing, Some(2.5));
        assert_eq!(
            v.gaps,
            vec![SliceGap {
                after: 2,
                distance: 5.0
            }]
        );
        assert!(v.irregular);
        assert!(!v.is_regular());
    }

    #[test]
    fn uneven_spacing_without_gap_is_irregular() {
        let slices: Vec<(usize, ImagePlane)> = [0.0, 1.0, 2.2, 3.0]
            .iter()
            .enumerate()
            .map(|(i, &z)| (i, axial(z)))
            .collect();
        let v = sort_volume(&slices).unwrap();
        assert!(v.irregular);
        assert!(v.gaps.is_empty());
    }

    #[test]
    fn duplicates_and_non_parallel_slices_are_reported() {
        let tilted =
            ImagePlane::new([0.0, 0.0, 9.0], [1.0, 0.0, 0.0], [0.0, 0.9, 0.43589], None).unwrap();
        let slices = vec![
            (0, axial(0.0)),
            (1, axial(0.0)),
            (2, axial(3.0)),
            (3, tilted),
        ];
        let v = sort_volume(&slices).unwrap();
        assert_eq!(v.duplicates, vec![1]);
        assert_eq!(v.non_parallel, vec![3]);
        assert_eq!(v.warnings().len(), 3);
    }

    #[test]
    fn degenerate_orientation_is_an_error() {
        assert!(ImagePlane::new([0.0; 3], [0.0; 3], [0.0, 1.0, 0.0], None).is_err());
        assert!(ImagePlane::new([0.0; 3], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0], None).is_err());
    }

    #[test]
    fn enhanced_plane_comes_from_functional_groups() {
        use dicom_core::value::DataSetSequence;
        use dicom_core::{DataElement, PrimitiveValue, VR};
        use dicom_object::mem::InMemElement;
        let seq = |tag, item| InMemElement::new(tag, VR::SQ, DataSetSequence::from(vec![item]));
        let frame_group = |z: &str| {
            InMemDicomObject::from_element_iter([seq(
                tags::PLANE_POSITION_SEQUENCE,
                InMemDicomObject::from_element_iter([DataElement::new(
                    tags::IMAGE_POSITION_PATIENT,
                    VR::DS,
                    PrimitiveValue::from(format!("0\\0\\{z}")),
                )]),
            )])
        };
        let shared = InMemDicomObject::from_element_iter([seq(
            tags::PLANE_ORIENTATION_SEQUENCE,
            InMemDicomObject::from_element_iter([DataElement::new(
                tags::IMAGE_ORIENTATION_PATIENT,
                VR::DS,
                PrimitiveValue::from("1\\0\\0\\0\\1\\0"),
            )]),
        )]);
        let obj = InMemDicomObject::from_element_iter([
            InMemElement::new(
                tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
                VR::SQ,
                DataSetSequence::from(vec![shared]),
            ),
            InMemElement::new(
                tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
                VR::SQ,
                DataSetSequence::from(vec![frame_group("0"), frame_group("7.5")]),
            ),
        ]);
        let plane = ImagePlane::from_object(&obj, 1).unwrap();
        assert_eq!(plane.position, [0.0, 0.0, 7.5]);
        assert_eq!(plane.normal(), [0.0, 0.0, 1.0]);
    }
}
