//! Viewport geometry: where each image pixel lands on the screen. [`ViewTransform`] holds what a user changes
//! (zoom, pan, rotation in quarter turns, horizontal/vertical flip); [`ImageGeometry`] holds what the image is
//! (Columns, Rows, and the pixel aspect from Pixel Spacing (0028,0030)). Together with the viewport size they
//! give [`ViewTransform::image_to_screen`] / [`ViewTransform::screen_to_image`] (the pixel probe) and the affine
//! matrix the fragment shader uses. Pure math: this module must not touch the GPU, the DOM or pixel values.
//!
//! Coordinates:
//! - *image* coordinates are continuous pixel units with the origin at the top-left corner of the first pixel,
//!   x along a row (column index), y down the columns (row index); the centre of pixel (column c, row r) is
//!   (c + 0.5, r + 0.5).
//! - *screen* coordinates are device pixels of the viewport, origin at its top-left corner, y down; the centre of
//!   device pixel (i, j) is (i + 0.5, j + 0.5).
//!
//! Image → screen: centre the image on its middle, scale rows by the pixel aspect (so a pixel keeps its physical
//! proportions), rotate clockwise by [`Rotation`], mirror in the *screen* axes (flips act on what the user sees,
//! whatever the rotation), scale by `zoom`, then move to the viewport centre plus `pan`.

/// A clockwise rotation in quarter turns, as radiologists rotate films on a light box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    /// Upright, as stored.
    #[default]
    None,
    /// 90° clockwise.
    Cw90,
    /// 180°.
    Cw180,
    /// 270° clockwise (90° counter-clockwise).
    Cw270,
}

impl Rotation {
    /// The rotation for an angle in degrees; any multiple of 90 (negative = counter-clockwise), `None` otherwise.
    pub fn from_degrees(degrees: i32) -> Option<Self> {
        if degrees % 90 != 0 {
            return None;
        }
        Some(match degrees.rem_euclid(360) {
            0 => Rotation::None,
            90 => Rotation::Cw90,
            180 => Rotation::Cw180,
            _ => Rotation::Cw270,
        })
    }

    /// Clockwise angle in degrees: 0, 90, 180 or 270.
    pub fn degrees(self) -> i32 {
        match self {
            Rotation::None => 0,
            Rotation::Cw90 => 90,
            Rotation::Cw180 => 180,
            Rotation::Cw270 => 270,
        }
    }

    /// This rotation followed by a further 90° clockwise turn.
    pub fn turned_clockwise(self) -> Self {
        Rotation::from_degrees(self.degrees() + 90).unwrap_or_default()
    }

    /// This rotation followed by a further 90° counter-clockwise turn.
    pub fn turned_counter_clockwise(self) -> Self {
        Rotation::from_degrees(self.degrees() - 90).unwrap_or_default()
    }

    /// Whether the image's width lies along the screen's vertical (90° and 270°).
    pub fn swaps_axes(self) -> bool {
        matches!(self, Rotation::Cw90 | Rotation::Cw270)
    }

    /// The 2×2 matrix `[[a, b], [c, d]]` turning `(x, y)` into `(a·x + b·y, c·x + d·y)` on a y-down screen.
    fn matrix(self) -> [[f64; 2]; 2] {
        match self {
            Rotation::None => [[1.0, 0.0], [0.0, 1.0]],
            // Right (1, 0) goes down (0, 1); up (0, -1) goes right (1, 0).
            Rotation::Cw90 => [[0.0, -1.0], [1.0, 0.0]],
            Rotation::Cw180 => [[-1.0, 0.0], [0.0, -1.0]],
            Rotation::Cw270 => [[0.0, 1.0], [-1.0, 0.0]],
        }
    }
}

/// What the image is, for geometry: its size in pixels and the shape of one pixel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageGeometry {
    /// Columns (0028,0011): pixels per row.
    pub columns: u32,
    /// Rows (0028,0010).
    pub rows: u32,
    /// Height of one pixel divided by its width: Pixel Spacing (0028,0030) row spacing (first value, between
    /// rows) over column spacing (second value, between columns). 1.0 for square pixels or unknown spacing.
    pub pixel_aspect: f64,
}

impl ImageGeometry {
    /// Square pixels.
    pub fn new(columns: u32, rows: u32) -> Self {
        ImageGeometry {
            columns,
            rows,
            pixel_aspect: 1.0,
        }
    }

    /// With the aspect from Pixel Spacing (0028,0030) `[row spacing, column spacing]` in mm (also Imager Pixel
    /// Spacing (0018,1164) or Nominal Scanned Pixel Spacing (0018,2010), same order). Spacings that are not
    /// positive finite numbers are ignored (square pixels), since a broken attribute must not hide the image.
    pub fn with_pixel_spacing(columns: u32, rows: u32, pixel_spacing: Option<[f64; 2]>) -> Self {
        let pixel_aspect = match pixel_spacing {
            Some([row_spacing, column_spacing])
                if row_spacing.is_finite()
                    && column_spacing.is_finite()
                    && row_spacing > 0.0
                    && column_spacing > 0.0 =>
            {
                row_spacing / column_spacing
            }
            _ => 1.0,
        };
        ImageGeometry {
            columns,
            rows,
            pixel_aspect,
        }
    }

    /// The pixel aspect, falling back to 1 when it is not a positive finite number.
    fn aspect(&self) -> f64 {
        if self.pixel_aspect.is_finite() && self.pixel_aspect > 0.0 {
            self.pixel_aspect
        } else {
            1.0
        }
    }

    /// Width and height of the image in column-pixel units (rows scaled by the aspect), before rotation.
    fn physical_extent(&self) -> [f64; 2] {
        [self.columns as f64, self.rows as f64 * self.aspect()]
    }
}

/// A 2-D affine map `p ↦ (m[0]·x + m[1]·y + m[2], m[3]·x + m[4]·y + m[5])`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine2 {
    /// Row-major coefficients `[a, b, tx, c, d, ty]`.
    pub m: [f64; 6],
}

impl Affine2 {
    /// Apply to a point.
    pub fn apply(&self, p: [f64; 2]) -> [f64; 2] {
        let m = &self.m;
        [
            m[0] * p[0] + m[1] * p[1] + m[2],
            m[3] * p[0] + m[4] * p[1] + m[5],
        ]
    }

    /// `self ∘ other`: first `other`, then `self`.
    pub fn then_after(&self, other: &Affine2) -> Affine2 {
        let (a, b) = (&self.m, &other.m);
        Affine2 {
            m: [
                a[0] * b[0] + a[1] * b[3],
                a[0] * b[1] + a[1] * b[4],
                a[0] * b[2] + a[1] * b[5] + a[2],
                a[3] * b[0] + a[4] * b[3],
                a[3] * b[1] + a[4] * b[4],
                a[3] * b[2] + a[4] * b[5] + a[5],
            ],
        }
    }

    /// The inverse map; `None` when the map is singular (zero zoom) or not finite.
    pub fn inverse(&self) -> Option<Affine2> {
        let m = &self.m;
        let det = m[0] * m[4] - m[1] * m[3];
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let (a, b, c, d) = (m[4] / det, -m[1] / det, -m[3] / det, m[0] / det);
        Some(Affine2 {
            m: [a, b, -(a * m[2] + b * m[5]), c, d, -(c * m[2] + d * m[5])],
        })
    }

    /// As a WGSL-friendly `mat3x3<f32>` in column-major order, each column padded to 4 floats (uniform layout):
    /// `[[a, c, 0, 0], [b, d, 0, 0], [tx, ty, 1, 0]]`.
    pub fn to_mat3_columns(&self) -> [[f32; 4]; 3] {
        let m = &self.m;
        [
            [m[0] as f32, m[3] as f32, 0.0, 0.0],
            [m[1] as f32, m[4] as f32, 0.0, 0.0],
            [m[2] as f32, m[5] as f32, 1.0, 0.0],
        ]
    }
}

/// The user's view of one image in one viewport.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewTransform {
    /// Device pixels per image pixel along a row (horizontally on an unrotated image). A pixel's height is
    /// `zoom × pixel_aspect`. Must be positive.
    pub zoom: f64,
    /// Offset in device pixels of the image centre from the viewport centre (x right, y down).
    pub pan: [f64; 2],
    /// Clockwise rotation.
    pub rotation: Rotation,
    /// Mirror left–right on the screen.
    pub flip_h: bool,
    /// Mirror top–bottom on the screen.
    pub flip_v: bool,
}

impl Default for ViewTransform {
    fn default() -> Self {
        ViewTransform {
            zoom: 1.0,
            pan: [0.0, 0.0],
            rotation: Rotation::None,
            flip_h: false,
            flip_v: false,
        }
    }
}

/// Smallest and largest zoom [`ViewTransform::zoom_about`] allows: 1/64 to 256 device pixels per image pixel.
pub const ZOOM_RANGE: (f64, f64) = (1.0 / 64.0, 256.0);

impl ViewTransform {
    /// The whole (rotated) image as large as fits in a viewport of `viewport` = `[width, height]` device pixels,
    /// centred, keeping `rotation` and the flips of `self`.
    pub fn fitted(&self, image: &ImageGeometry, viewport: [f64; 2]) -> ViewTransform {
        ViewTransform {
            zoom: fit_zoom(image, viewport, self.rotation),
            pan: [0.0, 0.0],
            ..*self
        }
    }

    /// A new view of `image` fitted to `viewport`, upright and unflipped.
    pub fn fit(image: &ImageGeometry, viewport: [f64; 2]) -> ViewTransform {
        ViewTransform::default().fitted(image, viewport)
    }

    /// One image pixel (its width) per device pixel, centred, keeping rotation and flips ("1:1").
    pub fn actual_size(&self) -> ViewTransform {
        ViewTransform {
            zoom: 1.0,
            pan: [0.0, 0.0],
            ..*self
        }
    }

    /// Multiply the zoom by `factor` keeping the image point under `anchor` (screen coordinates, e.g. the
    /// cursor for wheel zoom) where it is. The resulting zoom is clamped to [`ZOOM_RANGE`]; a factor that is not
    /// a positive finite number (or a current zoom that is not) leaves the view unchanged.
    pub fn zoom_about(&self, anchor: [f64; 2], factor: f64, viewport: [f64; 2]) -> ViewTransform {
        if !(factor.is_finite() && factor > 0.0 && self.zoom.is_finite() && self.zoom > 0.0) {
            return *self;
        }
        let zoom = (self.zoom * factor).clamp(ZOOM_RANGE.0, ZOOM_RANGE.1);
        let f = zoom / self.zoom;
        // screen = centre + pan + zoom·R·q; keeping screen fixed for the same q needs
        // pan' = (anchor − centre) − f·(anchor − centre − pan).
        let centre = [viewport[0] / 2.0, viewport[1] / 2.0];
        let rel = [anchor[0] - centre[0], anchor[1] - centre[1]];
        let pan = [
            rel[0] - f * (rel[0] - self.pan[0]),
            rel[1] - f * (rel[1] - self.pan[1]),
        ];
        ViewTransform { zoom, pan, ..*self }
    }

    /// Move the image by `delta` device pixels.
    pub fn panned(&self, delta: [f64; 2]) -> ViewTransform {
        ViewTransform {
            pan: [self.pan[0] + delta[0], self.pan[1] + delta[1]],
            ..*self
        }
    }

    /// The map from image coordinates to screen coordinates of a `viewport` = `[width, height]` in device pixels.
    pub fn image_to_screen_affine(&self, image: &ImageGeometry, viewport: [f64; 2]) -> Affine2 {
        let [w, h] = image.physical_extent();
        let aspect = image.aspect();
        // Centre the image and give rows their physical height.
        let centre_image = Affine2 {
            m: [1.0, 0.0, -w / 2.0, 0.0, aspect, -h / 2.0],
        };
        let [[a, b], [c, d]] = self.rotation.matrix();
        let rotate = Affine2 {
            m: [a, b, 0.0, c, d, 0.0],
        };
        let sx = if self.flip_h { -self.zoom } else { self.zoom };
        let sy = if self.flip_v { -self.zoom } else { self.zoom };
        let place = Affine2 {
            m: [
                sx,
                0.0,
                viewport[0] / 2.0 + self.pan[0],
                0.0,
                sy,
                viewport[1] / 2.0 + self.pan[1],
            ],
        };
        place.then_after(&rotate.then_after(&centre_image))
    }

    /// The map from screen coordinates to image coordinates (what the fragment shader evaluates); `None` for a
    /// zero or non-finite zoom.
    pub fn screen_to_image_affine(
        &self,
        image: &ImageGeometry,
        viewport: [f64; 2],
    ) -> Option<Affine2> {
        self.image_to_screen_affine(image, viewport).inverse()
    }

    /// Where image point `p` (image coordinates) appears in the viewport.
    pub fn image_to_screen(
        &self,
        image: &ImageGeometry,
        viewport: [f64; 2],
        p: [f64; 2],
    ) -> [f64; 2] {
        self.image_to_screen_affine(image, viewport).apply(p)
    }

    /// The image point under screen point `s`; `None` for a zero or non-finite zoom.
    pub fn screen_to_image(
        &self,
        image: &ImageGeometry,
        viewport: [f64; 2],
        s: [f64; 2],
    ) -> Option<[f64; 2]> {
        Some(self.screen_to_image_affine(image, viewport)?.apply(s))
    }

    /// The pixel (column, row) under screen point `s`, `None` outside the image: what the pixel probe reads.
    pub fn pixel_at(
        &self,
        image: &ImageGeometry,
        viewport: [f64; 2],
        s: [f64; 2],
    ) -> Option<(u32, u32)> {
        let [x, y] = self.screen_to_image(image, viewport, s)?;
        let (c, r) = (x.floor(), y.floor());
        (c >= 0.0 && r >= 0.0 && c < image.columns as f64 && r < image.rows as f64)
            .then_some((c as u32, r as u32))
    }
}

/// The zoom at which the rotated image just fits in the viewport; 1.0 for an empty image or viewport.
fn fit_zoom(image: &ImageGeometry, viewport: [f64; 2], rotation: Rotation) -> f64 {
    let [w, h] = image.physical_extent();
    let [w, h] = if rotation.swaps_axes() {
        [h, w]
    } else {
        [w, h]
    };
    let zoom = (viewport[0] / w).min(viewport[1] / h);
    if zoom.is_finite() && zoom > 0.0 {
        zoom
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f64; 2], b: [f64; 2]) {
        assert!(
            (a[0] - b[0]).abs() < 1e-9 && (a[1] - b[1]).abs() < 1e-9,
            "{a:?} != {b:?}"
        );
    }

    #[test]
    fn fit_centres_a_wide_image_in_a_square_viewport() {
        // 200×100 image in 400×400: zoom 2, image spans x 0..400, y 100..300.
        let img = ImageGeometry::new(200, 100);
        let v = ViewTransform::fit(&img, [400.0, 400.0]);
        assert_eq!(v.zoom, 2.0);
        close(
            v.image_to_screen(&img, [400.0, 400.0], [0.0, 0.0]),
            [0.0, 100.0],
        );
        close(
            v.image_to_screen(&img, [400.0, 400.0], [200.0, 100.0]),
            [400.0, 300.0],
        );
    }

    #[test]
    fn fit_uses_the_rotated_extent() {
        // 200×100 rotated 90°: 100 wide, 200 tall on screen; in 400×400 the zoom is 2.
        let img = ImageGeometry::new(200, 100);
        let v = ViewTransform {
            rotation: Rotation::Cw90,
            ..ViewTransform::default()
        }
        .fitted(&img, [400.0, 400.0]);
        assert_eq!(v.zoom, 2.0);
        assert_eq!(v.rotation, Rotation::Cw90);
    }

    #[test]
    fn pixel_spacing_stretches_rows() {
        // Pixel Spacing 2\1: pixels twice as tall as wide. 100×100 image is 100 wide, 200 tall → fits 400×400 at
        // zoom 2; the bottom-right corner is at (300, 400).
        let img = ImageGeometry::with_pixel_spacing(100, 100, Some([2.0, 1.0]));
        assert_eq!(img.pixel_aspect, 2.0);
        let v = ViewTransform::fit(&img, [400.0, 400.0]);
        assert_eq!(v.zoom, 2.0);
        close(
            v.image_to_screen(&img, [400.0, 400.0], [100.0, 100.0]),
            [300.0, 400.0],
        );
        close(
            v.image_to_screen(&img, [400.0, 400.0], [0.0, 0.0]),
            [100.0, 0.0],
        );
    }

    #[test]
    fn broken_pixel_spacing_means_square_pixels() {
        assert_eq!(
            ImageGeometry::with_pixel_spacing(4, 4, Some([0.0, 1.0])).pixel_aspect,
            1.0
        );
        assert_eq!(
            ImageGeometry::with_pixel_spacing(4, 4, Some([f64::NAN, 1.0])).pixel_aspect,
            1.0
        );
        assert_eq!(
            ImageGeometry::with_pixel_spacing(4, 4, None).pixel_aspect,
            1.0
        );
    }

    #[test]
    fn rotate_90_moves_the_top_left_corner_to_the_top_right() {
        // 4×2 image, zoom 1, viewport 10×10: upright it spans x 3..7, y 4..6. Rotated 90° clockwise it spans
        // x 4..6, y 3..7, and its top-left corner (0,0) is at the top-right (6, 3).
        let img = ImageGeometry::new(4, 2);
        let v = ViewTransform {
            rotation: Rotation::Cw90,
            ..ViewTransform::default()
        };
        close(
            v.image_to_screen(&img, [10.0, 10.0], [0.0, 0.0]),
            [6.0, 3.0],
        );
        close(
            v.image_to_screen(&img, [10.0, 10.0], [4.0, 0.0]),
            [6.0, 7.0],
        );
        close(
            v.image_to_screen(&img, [10.0, 10.0], [0.0, 2.0]),
            [4.0, 3.0],
        );
    }

    #[test]
    fn flip_after_rotation_mirrors_the_screen() {
        // Rotate 90° then flip horizontally: the top-left corner goes from (6, 3) to its mirror about x = 5, (4, 3).
        let img = ImageGeometry::new(4, 2);
        let v = ViewTransform {
            rotation: Rotation::Cw90,
            flip_h: true,
            ..ViewTransform::default()
        };
        close(
            v.image_to_screen(&img, [10.0, 10.0], [0.0, 0.0]),
            [4.0, 3.0],
        );
        // and vertically as well: (4, 7).
        let v = ViewTransform { flip_v: true, ..v };
        close(
            v.image_to_screen(&img, [10.0, 10.0], [0.0, 0.0]),
            [4.0, 7.0],
        );
    }

    #[test]
    fn rotation_steps_wrap_around() {
        assert_eq!(Rotation::Cw270.turned_clockwise(), Rotation::None);
        assert_eq!(Rotation::None.turned_counter_clockwise(), Rotation::Cw270);
        assert_eq!(Rotation::from_degrees(-90), Some(Rotation::Cw270));
        assert_eq!(Rotation::from_degrees(45), None);
    }

    #[test]
    fn zoom_about_the_cursor_keeps_that_image_point_under_it() {
        let img = ImageGeometry::with_pixel_spacing(300, 200, Some([0.5, 0.7]));
        let vp = [640.0, 480.0];
        let v = ViewTransform {
            rotation: Rotation::Cw270,
            flip_v: true,
            ..ViewTransform::fit(&img, vp)
        }
        .panned([13.0, -7.0]);
        let cursor = [100.0, 400.0];
        let under = v.screen_to_image(&img, vp, cursor).unwrap();
        let z = v.zoom_about(cursor, 1.25, vp);
        assert!((z.zoom - v.zoom * 1.25).abs() < 1e-12);
        close(z.image_to_screen(&img, vp, under), cursor);
    }

    #[test]
    fn zoom_about_the_centre_without_pan_keeps_pan_zero() {
        let img = ImageGeometry::new(10, 10);
        let z = ViewTransform::default().zoom_about([50.0, 50.0], 2.0, [100.0, 100.0]);
        assert_eq!((z.zoom, z.pan), (2.0, [0.0, 0.0]));
        // and zoom is clamped
        assert_eq!(
            z.zoom_about([0.0, 0.0], 1e9, [100.0, 100.0]).zoom,
            ZOOM_RANGE.1
        );
        assert_eq!(z.zoom_about([0.0, 0.0], -1.0, [100.0, 100.0]), z);
        let _ = img;
    }

    #[test]
    fn screen_to_image_round_trips() {
        let img = ImageGeometry::with_pixel_spacing(512, 384, Some([0.8, 0.6]));
        let vp = [800.0, 600.0];
        for rotation in [
            Rotation::None,
            Rotation::Cw90,
            Rotation::Cw180,
            Rotation::Cw270,
        ] {
            for (flip_h, flip_v) in [(false, false), (true, false), (false, true), (true, true)] {
                let v = ViewTransform {
                    zoom: 1.7,
                    pan: [21.0, -4.5],
                    rotation,
                    flip_h,
                    flip_v,
                };
                let p = [123.25, 45.5];
                let s = v.image_to_screen(&img, vp, p);
                close(v.screen_to_image(&img, vp, s).unwrap(), p);
            }
        }
    }

    #[test]
    fn pixel_probe_finds_the_pixel_under_the_cursor() {
        // 4×2 at zoom 10 in 100×100: image spans x 30..70, y 40..60. Screen (65, 55) is column 3, row 1.
        let img = ImageGeometry::new(4, 2);
        let v = ViewTransform {
            zoom: 10.0,
            ..ViewTransform::default()
        };
        assert_eq!(v.pixel_at(&img, [100.0, 100.0], [65.0, 55.0]), Some((3, 1)));
        assert_eq!(v.pixel_at(&img, [100.0, 100.0], [29.0, 55.0]), None);
        assert_eq!(v.pixel_at(&img, [100.0, 100.0], [70.0, 50.0]), None);
    }

    #[test]
    fn zero_zoom_has_no_inverse() {
        let img = ImageGeometry::new(4, 4);
        let v = ViewTransform {
            zoom: 0.0,
            ..ViewTransform::default()
        };
        assert_eq!(v.screen_to_image(&img, [10.0, 10.0], [5.0, 5.0]), None);
    }

    #[test]
    fn actual_size_is_one_image_pixel_per_device_pixel() {
        let img = ImageGeometry::new(1000, 1000);
        let v = ViewTransform::fit(&img, [500.0, 500.0])
            .panned([10.0, 10.0])
            .actual_size();
        assert_eq!((v.zoom, v.pan), (1.0, [0.0, 0.0]));
        close(
            v.image_to_screen(&img, [500.0, 500.0], [1.0, 0.0]),
            [-249.0, -250.0],
        );
    }
}
