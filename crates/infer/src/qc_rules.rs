//! Pixel rules for radiograph acquisition QC that need no model: clipped exposure, no visible collimation, low
//! contrast. They look at the displayed grey image (see [`crate::manifest::InputSource::DisplayedGrey`]) and
//! report findings the viewer shows as badges beside the QC model's.
//!
//! Thresholds were set on the 1000 NIH films of `../shared/data/cxr-pneumonia` (`lumen-train rules`), where they
//! fire on few correctly acquired films; the rates are in `docs/AI.md`.

use serde::{Deserialize, Serialize};

use crate::GreyImage;

/// One rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id: `clipped-bright`, `clipped-dark`, `no-collimation`, `low-contrast`.
    pub rule: String,
    /// What the reader sees (English; the viewer translates by `rule`).
    pub message: String,
    /// The measured quantity (a fraction in [0, 1]).
    pub value: f32,
    /// The threshold it crossed.
    pub threshold: f32,
}

/// Fraction of the central field (middle 60% each way) at the top or bottom display level above which exposure is
/// reported clipped.
pub const CLIPPED_FRACTION: f32 = 0.15;
/// A border strip counts as direct exposure when this fraction of it is near black.
pub const EDGE_BLACK_FRACTION: f32 = 0.6;
/// Edges (of 4) with direct exposure needed to report missing collimation.
pub const EDGES_FOR_NO_COLLIMATION: usize = 3;
/// 5th–95th percentile spread below which contrast is reported low.
pub const LOW_CONTRAST_SPREAD: f32 = 0.2;

/// Runs every rule on `img` (grey levels in [0, 1]).
pub fn check(img: &GreyImage) -> Vec<Finding> {
    let mut out = Vec::new();
    let (w, h) = (img.width, img.height);
    let px = |x: usize, y: usize| img.data[y * w + x];

    // Clipping in the central field.
    let (x0, x1, y0, y1) = (w / 5, w - w / 5, h / 5, h - h / 5);
    let (mut n, mut bright, mut dark) = (0usize, 0usize, 0usize);
    for y in y0..y1.max(y0 + 1).min(h) {
        for x in x0..x1.max(x0 + 1).min(w) {
            let v = px(x, y);
            n += 1;
            bright += (v >= 0.995) as usize;
            dark += (v <= 0.005) as usize;
        }
    }
    let n = n.max(1) as f32;
    for (rule, count, what) in [("clipped-bright", bright, "brightest"), ("clipped-dark", dark, "darkest")] {
        let f = count as f32 / n;
        if f > CLIPPED_FRACTION {
            out.push(Finding {
                rule: rule.into(),
                message: format!("Exposure appears clipped: {:.0}% of the central field is at the {what} level", f * 100.0),
                value: f,
                threshold: CLIPPED_FRACTION,
            });
        }
    }

    // Direct exposure at the edges: the outer 2% strip of each side.
    let band = (w.min(h) / 50).max(1);
    let strip = |xs: std::ops::Range<usize>, ys: std::ops::Range<usize>| {
        let (mut n, mut black) = (0usize, 0usize);
        for y in ys {
            for x in xs.clone() {
                n += 1;
                black += (px(x, y) <= 0.06) as usize;
            }
        }
        black as f32 / n.max(1) as f32
    };
    let edges = [strip(0..w, 0..band), strip(0..w, h - band..h), strip(0..band, 0..h), strip(w - band..w, 0..h)];
    let open = edges.iter().filter(|&&f| f >= EDGE_BLACK_FRACTION).count();
    if open >= EDGES_FOR_NO_COLLIMATION {
        out.push(Finding {
            rule: "no-collimation".into(),
            message: format!("No collimation visible: direct exposure reaches {open} of 4 image edges"),
            value: open as f32 / 4.0,
            threshold: EDGES_FOR_NO_COLLIMATION as f32 / 4.0,
        });
    }

    // Contrast: spread between the 5th and 95th percentiles.
    let mut hist = [0usize; 256];
    for &v in &img.data {
        hist[(v.clamp(0.0, 1.0) * 255.0).round() as usize] += 1;
    }
    let pct = |q: f32| {
        let target = (q * img.data.len() as f32) as usize;
        let mut acc = 0;
        for (i, &c) in hist.iter().enumerate() {
            acc += c;
            if acc > target {
                return i as f32 / 255.0;
            }
        }
        1.0
    };
    let spread = pct(0.95) - pct(0.05);
    if spread < LOW_CONTRAST_SPREAD {
        out.push(Finding {
            rule: "low-contrast".into(),
            message: format!("Low contrast: 90% of the pixels span only {:.0}% of the grey scale", spread * 100.0),
            value: spread,
            threshold: LOW_CONTRAST_SPREAD,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plausible film: mid-grey anatomy with texture, bright collimated margins.
    fn film() -> GreyImage {
        let (w, h) = (100, 120);
        let data = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                if x < 4 || x >= w - 4 || y < 4 || y >= h - 4 {
                    0.95
                } else {
                    0.2 + 0.6 * ((x * 7 + y * 13) % 17) as f32 / 17.0
                }
            })
            .collect();
        GreyImage::new(w, h, data).unwrap()
    }

    fn rules(img: &GreyImage) -> Vec<String> {
        check(img).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn a_good_film_raises_nothing() {
        assert!(rules(&film()).is_empty(), "{:?}", check(&film()));
    }

    #[test]
    fn a_burnt_out_centre_is_clipped() {
        let mut img = film();
        for y in 30..90 {
            for x in 25..75 {
                img.data[y * 100 + x] = 1.0;
            }
        }
        let f = check(&img);
        assert_eq!(f.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(), ["clipped-bright"]);
        assert!(f[0].value > 0.5 && f[0].message.contains("brightest"), "{f:?}");
    }

    #[test]
    fn black_edges_mean_no_collimation() {
        let mut img = film();
        for (i, v) in img.data.iter_mut().enumerate() {
            let (x, y) = (i % 100, i / 100);
            if x < 4 || x >= 96 || y < 4 {
                *v = 0.0;
            }
        }
        assert_eq!(rules(&img), ["no-collimation"]);
        assert!(check(&img)[0].message.contains("3 of 4"));
    }

    #[test]
    fn a_flat_film_has_low_contrast() {
        let mut img = film();
        for v in &mut img.data {
            *v = 0.45 + (*v - 0.5) * 0.2;
        }
        assert_eq!(rules(&img), ["low-contrast"]);
    }
}
