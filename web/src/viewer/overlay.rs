//! What the four corners of a viewport say, the orientation markers at its edges and its scale bar, computed from
//! the displayed instance's metadata (DICOM JSON), the decoded frame and the view.
//!
//! Every DICOM value is returned as plain text for the component to show as text; this module must not build DOM
//! nodes nor change the viewer state.

use super::state::{trim_number, ViewerCore};
use crate::dicom_text;
use crate::i18n::{t, Msg};
use dicom_dictionary_std::tags;
use lumen_dicom::geometry::orientation_label;
use lumen_dicomweb::json;

/// The texts and marks of one viewport.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overlay {
    pub top_left: Vec<String>,
    pub top_right: Vec<String>,
    pub bottom_left: Vec<String>,
    pub bottom_right: Vec<String>,
    /// Orientation labels at the left, right, top and bottom edges.
    pub markers: Option<[String; 4]>,
    /// Scale bar: length in CSS pixels and its label.
    pub scale: Option<(f64, String)>,
}

/// The overlay of viewport `i`; `dpr`: device pixels per CSS pixel.
pub fn overlay(c: &ViewerCore, i: usize, dpr: f64) -> Overlay {
    let mut o = Overlay::default();
    let Some(v) = c.viewports.get(i) else {
        return o;
    };
    let Some(data) = c.series_of(i) else { return o };
    let len = data.stack.frames.len();
    let instance = c.current_instance(i);
    let text = |tag| {
        instance
            .as_deref()
            .and_then(|d| json::string(d, tag))
            .unwrap_or_default()
    };
    if let Some(d) = instance.as_deref() {
        o.top_left.push(dicom_text::person_name(
            &json::person_name(d, tags::PATIENT_NAME).unwrap_or_default(),
        ));
        o.top_left.push(text(tags::PATIENT_ID));
        let birth = dicom_text::date(&text(tags::PATIENT_BIRTH_DATE));
        let sex = text(tags::PATIENT_SEX);
        o.top_left.push(
            [birth, sex]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · "),
        );
        o.top_left.push(text(tags::INSTITUTION_NAME));
        o.top_right.push(text(tags::STUDY_DESCRIPTION));
        o.top_right.push(dicom_text::date(&text(tags::STUDY_DATE)));
        o.top_right.push(format!(
            "{} {} · {}",
            t(Msg::AbbrSeries),
            json::integer(d, tags::SERIES_NUMBER)
                .map(|n| n.to_string())
                .unwrap_or_default(),
            text(tags::SERIES_DESCRIPTION)
        ));
        o.top_right.push(format!(
            "{} {}",
            t(Msg::AbbrImage),
            json::integer(d, tags::INSTANCE_NUMBER)
                .map(|n| n.to_string())
                .unwrap_or_default()
        ));
    }
    o.top_right.push(format!("{}/{}", v.index + 1, len));
    o.top_left.retain(|s| !s.trim().is_empty());
    o.top_right.retain(|s| !s.trim().is_empty());

    let frame = c.current_frame(i);
    if let Some(f) = &frame {
        if f.meta.format == lumen_frames::PixelFormat::ModalityF32 {
            let w = c.window_of(i, f);
            let name = w
                .explanation
                .as_deref()
                .map(|e| format!(" {e}"))
                .unwrap_or_default();
            o.bottom_left.push(format!(
                "{} {} {} {}{name}",
                t(Msg::AbbrWindowWidth),
                trim_number(w.width),
                t(Msg::AbbrWindowCenter),
                trim_number(w.center)
            ));
        }
        o.bottom_left.push(format!(
            "{} {:.2}×",
            t(Msg::AbbrZoom),
            v.view.zoom / dpr.max(0.5)
        ));
        if v.user_invert {
            o.bottom_left
                .push(crate::i18n::t(crate::i18n::Msg::Inverted).to_string());
        }
        o.bottom_left
            .push(format!("{}×{}", f.meta.columns, f.meta.rows));
    }
    if let Some(p) = &v.probe {
        o.bottom_left.push(p.clone());
    }
    if let Some(d) = instance.as_deref() {
        if let Some(loc) = json::number(d, tags::SLICE_LOCATION) {
            o.bottom_right
                .push(format!("{} {} mm", t(Msg::AbbrLocation), trim_number(loc)));
        }
        if let Some(thk) = json::number(d, tags::SLICE_THICKNESS) {
            o.bottom_right
                .push(format!("{} {} mm", t(Msg::AbbrThickness), trim_number(thk)));
        }
    }
    if let Some(fps) = v.cine.filter(|f| *f != super::state::FILE_RATE) {
        o.bottom_right
            .push(format!("{} {} fps", t(Msg::AbbrCine), trim_number(fps)));
    }

    let (Some(f), Some(geometry)) = (&frame, c.geometry(i)) else {
        return o;
    };
    let centre = [v.size[0] / 2.0, v.size[1] / 2.0];
    let image_step = |dx: f64, dy: f64| -> Option<[f64; 2]> {
        let a = v.view.screen_to_image(&geometry, v.size, centre)?;
        let b = v
            .view
            .screen_to_image(&geometry, v.size, [centre[0] + dx, centre[1] + dy])?;
        Some([b[0] - a[0], b[1] - a[1]])
    };
    let spacing = f.meta.pixel_spacing;
    if let (Some(plane), Some([row_mm, col_mm])) =
        (&f.meta.image_plane, spacing.or(Some([1.0, 1.0])))
    {
        let label = |dx: f64, dy: f64| -> Option<String> {
            let [ix, iy] = image_step(dx, dy)?;
            let dir: [f64; 3] = std::array::from_fn(|k| {
                ix * col_mm * plane.row_cosines[k] + iy * row_mm * plane.column_cosines[k]
            });
            let norm = dir.iter().map(|x| x * x).sum::<f64>().sqrt();
            (norm > 0.0).then(|| orientation_label(dir.map(|x| x / norm)))
        };
        if let (Some(l), Some(r), Some(t), Some(b)) = (
            label(-1.0, 0.0),
            label(1.0, 0.0),
            label(0.0, -1.0),
            label(0.0, 1.0),
        ) {
            o.markers = Some([l, r, t, b]);
        }
    }
    if let (Some([row_mm, col_mm]), Some([ix, iy])) = (spacing, image_step(1.0, 0.0)) {
        // Millimetres per CSS pixel along the screen's horizontal.
        let mm_per_css = ((ix * col_mm).powi(2) + (iy * row_mm).powi(2)).sqrt() * dpr;
        let max_css = v.size[0] / dpr * 0.25;
        if mm_per_css > 0.0 {
            let lengths = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0];
            if let Some(mm) = lengths.iter().rev().find(|mm| *mm / mm_per_css <= max_css) {
                let label = if *mm >= 10.0 {
                    format!("{} cm", mm / 10.0)
                } else {
                    format!("{mm} mm")
                };
                o.scale = Some((mm / mm_per_css, label));
            }
        }
    }
    o
}
