//! The default hanging protocol: which series go into which viewport when a study opens, and in which layout.
//!
//! - Series named in the launch URL (`SeriesInstanceUIDs`) are hung first, one per viewport, in that order.
//! - CT / MR: the largest axial series alone in 1×1 — axial by its geometry (the slice normal within 30° of the
//!   patient's head–foot axis) once its metadata is known, else by a description saying "axial" — and the largest
//!   series when none is axial (a localizer or a coronal reformat never wins over an axial stack).
//! - DX / CR / MG: one image per viewport, up to four, in series order.
//! - US (and any multi-frame cine): 1×1, cine playing.
//! - Anything else: the first series in 1×1.
//!
//! It decides from the QIDO-RS series summaries and the slice normals the viewer found in the series metadata; it
//! must not fetch or display anything.

use super::layout::Layout;
use crate::data_source::SeriesSummary;

/// What one viewport shows first: a series and the index of the image in its stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hung {
    /// Series Instance UID (0020,000E).
    pub series_instance_uid: String,
    /// Index in the series' stack.
    pub index: usize,
}

/// The protocol's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HangingPlan {
    /// The layout.
    pub layout: Layout,
    /// What each viewport shows, row by row (`None`: empty).
    pub viewports: Vec<Option<Hung>>,
    /// Start cine in the first viewport (ultrasound).
    pub cine: bool,
}

fn is_projection(modality: &str) -> bool {
    matches!(modality, "DX" | "CR" | "MG" | "RF" | "XA" | "IO" | "PX")
}

fn images(s: &SeriesSummary) -> u32 {
    s.number_of_instances.unwrap_or(0)
}

/// Whether a slice normal (unit vector, patient coordinates) is axial: within 30° of the head–foot (z) axis.
pub fn is_axial(normal: [f64; 3]) -> bool {
    let length = (normal[0] * normal[0] + normal[1] * normal[1] + normal[2] * normal[2]).sqrt();
    length > 0.0 && (normal[2] / length).abs() >= 30f64.to_radians().cos()
}

/// The plan for `series` (in series-number order) and the series the launch URL asked for, without geometry.
#[cfg(test)]
pub fn hang(series: &[SeriesSummary], requested: &[String]) -> HangingPlan {
    hang_with_geometry(series, requested, |_| None)
}

/// The plan for `series` (in series-number order) and the series the launch URL asked for; `normal(uid)` is the
/// slice normal of a series, when its metadata gave one.
pub fn hang_with_geometry(
    series: &[SeriesSummary],
    requested: &[String],
    normal: impl Fn(&str) -> Option<[f64; 3]>,
) -> HangingPlan {
    let hung = |s: &SeriesSummary| {
        Some(Hung {
            series_instance_uid: s.series_instance_uid.clone(),
            index: 0,
        })
    };
    let wanted: Vec<&SeriesSummary> = requested
        .iter()
        .filter_map(|uid| series.iter().find(|s| &s.series_instance_uid == uid))
        .take(4)
        .collect();
    if !wanted.is_empty() {
        let layout = Layout::for_count(wanted.len());
        let mut viewports: Vec<Option<Hung>> = wanted.iter().map(|s| hung(s)).collect();
        viewports.resize(layout.count(), None);
        let cine = wanted.len() == 1 && wanted[0].modality == "US";
        return HangingPlan {
            layout,
            viewports,
            cine,
        };
    }
    let Some(first) = series.first() else {
        return HangingPlan {
            layout: Layout::One,
            viewports: vec![None],
            cine: false,
        };
    };
    let cross_sectional: Vec<&SeriesSummary> = series
        .iter()
        .filter(|s| s.modality == "CT" || s.modality == "MR")
        .collect();
    if !cross_sectional.is_empty() {
        let axial = |s: &SeriesSummary| {
            let by_geometry = normal(&s.series_instance_uid).map(is_axial);
            by_geometry.unwrap_or_else(|| s.description.to_ascii_lowercase().contains("axial"))
                && images(s) >= 2
        };
        let best = cross_sectional
            .iter()
            .copied()
            // max_by_key keeps the last maximum: reverse so the earliest series wins a full tie.
            .rev()
            .max_by_key(|s| (axial(s), images(s)))
            .unwrap_or(first);
        return HangingPlan {
            layout: Layout::One,
            viewports: vec![hung(best)],
            cine: false,
        };
    }
    let projections: Vec<&SeriesSummary> = series
        .iter()
        .filter(|s| is_projection(&s.modality))
        .collect();
    if !projections.is_empty() {
        // One image per viewport: every image of every projection series, in order, up to four.
        let mut viewports = Vec::new();
        for s in &projections {
            for index in 0..images(s).max(1) as usize {
                if viewports.len() < 4 {
                    viewports.push(Some(Hung {
                        series_instance_uid: s.series_instance_uid.clone(),
                        index,
                    }));
                }
            }
        }
        let layout = Layout::for_count(viewports.len());
        viewports.resize(layout.count(), None);
        return HangingPlan {
            layout,
            viewports,
            cine: false,
        };
    }
    let cine = first.modality == "US";
    HangingPlan {
        layout: Layout::One,
        viewports: vec![hung(first)],
        cine,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn s(uid: &str, modality: &str, description: &str, n: u32) -> SeriesSummary {
        SeriesSummary {
            series_instance_uid: uid.into(),
            modality: modality.into(),
            description: description.into(),
            number_of_instances: Some(n),
            ..Default::default()
        }
    }

    #[test]
    fn ct_hangs_the_largest_series_alone() {
        let series = [
            s("1", "CT", "Scout", 2),
            s("2", "CT", "Axial 1 mm", 220),
            s("3", "CT", "Axial 5 mm", 44),
        ];
        let plan = hang(&series, &[]);
        assert_eq!(plan.layout, Layout::One);
        assert_eq!(
            plan.viewports,
            vec![Some(Hung {
                series_instance_uid: "2".into(),
                index: 0
            })]
        );
        assert!(!plan.cine);
    }

    #[test]
    fn ct_tie_goes_to_the_axial_series() {
        let series = [s("1", "CT", "Coronal", 50), s("2", "CT", "Axial", 50)];
        assert_eq!(
            hang(&series, &[]).viewports[0]
                .as_ref()
                .map(|h| h.series_instance_uid.as_str()),
            Some("2")
        );
    }

    #[test]
    fn an_axial_stack_wins_over_a_larger_reformat_by_geometry() {
        let series = [
            s("1", "CT", "Localizer", 3),
            s("2", "CT", "Body 2 mm", 180),
            s("3", "CT", "Body 1 mm", 400),
            s("4", "CT", "", 2),
        ];
        // 3 is a coronal reformat (normal along y), 2 an axial stack tilted 12° (gantry tilt), 4 tiny but axial.
        let tilt = 12f64.to_radians();
        let normals = |uid: &str| match uid {
            "1" => Some([0.0, 1.0, 0.0]),
            "2" => Some([0.0, tilt.sin(), tilt.cos()]),
            "3" => Some([0.0, -1.0, 0.0]),
            "4" => Some([0.0, 0.0, -1.0]),
            _ => None,
        };
        let plan = hang_with_geometry(&series, &[], normals);
        assert_eq!(
            plan.viewports[0]
                .as_ref()
                .map(|h| h.series_instance_uid.as_str()),
            Some("2")
        );
        // Without geometry the largest series is hung.
        assert_eq!(
            hang(&series, &[]).viewports[0]
                .as_ref()
                .map(|h| h.series_instance_uid.as_str()),
            Some("3")
        );
        // Geometry beats a misleading description.
        let named = [s("5", "MR", "AXIAL T2", 30), s("6", "MR", "sag T1", 24)];
        let plan = hang_with_geometry(&named, &[], |uid| match uid {
            "5" => Some([1.0, 0.0, 0.0]),
            _ => Some([0.0, 0.0, 1.0]),
        });
        assert_eq!(
            plan.viewports[0]
                .as_ref()
                .map(|h| h.series_instance_uid.as_str()),
            Some("6")
        );
    }

    #[test]
    fn radiographs_get_one_image_per_viewport() {
        let series = [s("1", "DX", "PA", 1), s("2", "DX", "Lateral", 1)];
        let plan = hang(&series, &[]);
        assert_eq!(plan.layout, Layout::OneByTwo);
        let uids: Vec<_> = plan
            .viewports
            .iter()
            .flatten()
            .map(|h| h.series_instance_uid.clone())
            .collect();
        assert_eq!(uids, vec!["1", "2"]);
    }

    #[test]
    fn ultrasound_plays_cine() {
        let plan = hang(&[s("1", "US", "Cine", 1)], &[]);
        assert!(plan.cine);
        assert_eq!(plan.layout, Layout::One);
    }

    #[test]
    fn series_from_the_url_come_first_in_url_order() {
        let series = [
            s("1", "CT", "A", 100),
            s("2", "CT", "B", 10),
            s("3", "CT", "C", 5),
        ];
        let plan = hang(&series, &["3".into(), "2".into(), "missing".into()]);
        assert_eq!(plan.layout, Layout::OneByTwo);
        let uids: Vec<_> = plan
            .viewports
            .iter()
            .flatten()
            .map(|h| h.series_instance_uid.clone())
            .collect();
        assert_eq!(uids, vec!["3", "2"]);
    }

    #[test]
    fn empty_study_gives_one_empty_viewport() {
        assert_eq!(hang(&[], &[]).viewports, vec![None]);
    }
}
