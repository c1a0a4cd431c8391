//! How a radiograph can be presented wrongly — turned, mirrored, grey scale inverted — and the image operations
//! that produce each error: the classes of the acquisition QC model (`models/cxr-qc`), used by its training (on
//! correct films, to make the errors) and by the tests that re-score the held-out split.

use crate::GreyImage;

/// The QC classes, in the order of the QC model's outputs.
pub const QC_CLASSES: [QcClass; 6] =
    [QcClass::Ok, QcClass::Rotated90, QcClass::Rotated180, QcClass::Rotated270, QcClass::Mirrored, QcClass::Inverted];

/// How a film can be presented wrongly (what the viewer shows, relative to the standard PA/AP view).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QcClass {
    /// Upright, patient's right on the viewer's left, bone bright.
    Ok,
    /// Turned 90° clockwise.
    Rotated90,
    Rotated180,
    /// Turned 90° counter-clockwise.
    Rotated270,
    /// Left and right swapped.
    Mirrored,
    /// Grey levels inverted (the MONOCHROME1/2 mix-up).
    Inverted,
}

impl QcClass {
    pub fn name(self) -> &'static str {
        match self {
            QcClass::Ok => "ok",
            QcClass::Rotated90 => "rotated-90",
            QcClass::Rotated180 => "rotated-180",
            QcClass::Rotated270 => "rotated-270",
            QcClass::Mirrored => "mirrored",
            QcClass::Inverted => "inverted",
        }
    }

    /// The film as it would look with this error.
    pub fn apply(self, img: &GreyImage) -> GreyImage {
        match self {
            QcClass::Ok => img.clone(),
            QcClass::Rotated90 => rotate90_cw(img),
            QcClass::Rotated180 => rotate90_cw(&rotate90_cw(img)),
            QcClass::Rotated270 => rotate90_cw(&rotate90_cw(&rotate90_cw(img))),
            QcClass::Mirrored => {
                let mut out = img.clone();
                for row in out.data.chunks_mut(img.width) {
                    row.reverse();
                }
                out
            }
            QcClass::Inverted => GreyImage { data: img.data.iter().map(|v| 1.0 - v).collect(), ..img.clone() },
        }
    }
}

/// Rotates clockwise by 90°: the top row becomes the right column.
pub fn rotate90_cw(img: &GreyImage) -> GreyImage {
    let (w, h) = (img.width, img.height);
    let mut data = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            // Source (x, y) → destination (h-1-y, x) in an image h wide, w tall.
            data[x * h + (h - 1 - y)] = img.data[y * w + x];
        }
    }
    GreyImage { width: h, height: w, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img() -> GreyImage {
        GreyImage::new(3, 2, vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5]).unwrap()
    }

    #[test]
    fn a_quarter_turn_moves_the_top_row_to_the_right_column_and_four_undo_it() {
        let r = rotate90_cw(&img());
        assert_eq!((r.width, r.height), (2, 3));
        assert_eq!(r.data, vec![0.3, 0.0, 0.4, 0.1, 0.5, 0.2]);
        assert_eq!(QcClass::Rotated270.apply(&QcClass::Rotated90.apply(&img())), img());
    }

    #[test]
    fn mirror_and_inversion() {
        assert_eq!(QcClass::Mirrored.apply(&img()).data, vec![0.2, 0.1, 0.0, 0.5, 0.4, 0.3]);
        assert!((QcClass::Inverted.apply(&img()).data[1] - 0.9).abs() < 1e-6);
        assert_eq!(QC_CLASSES.iter().map(|c| c.name()).collect::<Vec<_>>(), ["ok", "rotated-90", "rotated-180", "rotated-270", "mirrored", "inverted"]);
    }
}
