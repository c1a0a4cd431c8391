//! Window presets (VOI windows a reader picks by name): the CT presets radiologists expect (lung, mediastinum,
//! abdomen, bone, brain), and for every grayscale image the windows stored in the file (Window Center/Width
//! (0028,1050/1051)) plus an automatic one spanning the frame's modality values.
//!
//! Pure data: it must not apply a window (the GPU does) nor know the UI.

use crate::i18n::{t, Msg};
use lumen_frames::{FrameMeta, WindowFunction, WindowPreset};

/// A fixed CT window: centre and width in Hounsfield units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CtPreset {
    /// The English name (the key of the preset in tests and logs).
    pub name: &'static str,
    /// The name shown, in the interface language ("Lung", "肺窗"…).
    pub label: Msg,
    /// Window Center, HU.
    pub center: f64,
    /// Window Width, HU.
    pub width: f64,
}

/// The CT presets, in the order of their keyboard shortcuts 1–5.
pub const CT_PRESETS: [CtPreset; 5] = [
    CtPreset {
        name: "Lung",
        label: Msg::PresetLung,
        center: -600.0,
        width: 1500.0,
    },
    CtPreset {
        name: "Mediastinum",
        label: Msg::PresetMediastinum,
        center: 40.0,
        width: 400.0,
    },
    CtPreset {
        name: "Abdomen",
        label: Msg::PresetAbdomen,
        center: 40.0,
        width: 350.0,
    },
    CtPreset {
        name: "Bone",
        label: Msg::PresetBone,
        center: 400.0,
        width: 1800.0,
    },
    CtPreset {
        name: "Brain",
        label: Msg::PresetBrain,
        center: 40.0,
        width: 80.0,
    },
];

/// The windows offered for a frame of `modality` (0008,0060): the CT presets for CT (when the values are
/// Hounsfield units), then the file's own windows, then "Auto" over the frame's modality range. Colour frames
/// get none.
pub fn presets_for(modality: &str, meta: &FrameMeta) -> Vec<WindowPreset> {
    if meta.format != lumen_frames::PixelFormat::ModalityF32 {
        return Vec::new();
    }
    let mut out = Vec::new();
    if modality.eq_ignore_ascii_case("CT") {
        out.extend(CT_PRESETS.iter().map(|p| WindowPreset {
            center: p.center,
            width: p.width,
            function: WindowFunction::Linear,
            explanation: Some(t(p.label).to_string()),
        }));
    }
    for (i, w) in meta.windows.iter().enumerate() {
        let mut w = w.clone();
        if w.explanation.as_deref().is_none_or(|e| e.trim().is_empty()) {
            w.explanation = Some(format!("{} {}", t(Msg::WindowFromFile), i + 1));
        }
        out.push(w);
    }
    if let Some(auto) = auto_window(meta) {
        out.push(auto);
    }
    out
}

/// A LINEAR_EXACT window spanning the frame's smallest to largest modality value ("Auto"), `None` without a range.
pub fn auto_window(meta: &FrameMeta) -> Option<WindowPreset> {
    let [lo, hi] = meta.modality_range?;
    let (lo, hi) = (lo as f64, hi as f64);
    Some(WindowPreset {
        center: (lo + hi) / 2.0,
        width: if hi > lo { hi - lo } else { 1.0 },
        function: WindowFunction::LinearExact,
        explanation: Some(t(Msg::AutoWindow).to_string()),
    })
}

/// The 8-bit gray a LINEAR window (PS3.3 C.11.2.1.2.1) gives modality value `x`: what the GPU shader computes,
/// used for thumbnails drawn on the CPU.
pub fn linear_gray(x: f64, center: f64, width: f64) -> u8 {
    let width = width.max(1.0);
    let c = center - 0.5;
    let w = width - 1.0;
    let y = if x <= c - w / 2.0 {
        0.0
    } else if x > c + w / 2.0 || w <= 0.0 {
        255.0
    } else {
        ((x - c) / w + 0.5) * 255.0
    };
    y.round().clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn linear_window_maps_centre_to_mid_gray_and_clips_the_ends() {
        // Window 40/400: -160 HU and below → 0, 240 HU and above → 255, 200 HU → (200-39.5)/399+0.5 → 230.
        assert_eq!(linear_gray(-1000.0, 40.0, 400.0), 0);
        assert_eq!(linear_gray(240.0, 40.0, 400.0), 255);
        assert_eq!(linear_gray(200.0, 40.0, 400.0), 230);
        assert_eq!(linear_gray(40.0, 40.0, 400.0), 128);
    }

    #[test]
    fn ct_presets_match_the_usual_reading_windows() {
        assert_eq!(
            (CT_PRESETS[0].center, CT_PRESETS[0].width),
            (-600.0, 1500.0)
        );
        assert_eq!((CT_PRESETS[1].center, CT_PRESETS[1].width), (40.0, 400.0));
        assert_eq!((CT_PRESETS[4].center, CT_PRESETS[4].width), (40.0, 80.0));
    }
}
