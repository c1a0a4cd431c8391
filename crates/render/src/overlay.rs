//! Segmentation overlays: a *label map* (one `u8` per image pixel, 0 = no label, 1..=255 = label index, from a
//! segmentation model or a DICOM SEG) uploaded as a [`LabelOverlay`], and how to draw it ([`OverlayParams`]: a
//! colour per label ([`LabelPalette`]), which labels are shown ([`LabelSet`]), fill opacity and
//! [`OverlayMode`]). The renderer draws it over the image in the same fragment shader, through the same
//! screen → image transform, so it follows zoom, pan, rotation and flips exactly.
//!
//! The label map is an `R8Uint` texture read with `textureLoad`: `R8Uint` is a core sampled format on WebGPU and on
//! WebGL2 (`R8UI`, read with `texelFetch` on a `usampler2D`; wgpu's GL backend gives integer textures NEAREST
//! filtering so they are complete, and uploads with an unpack alignment of 1 so odd widths are fine), and an
//! integer texture keeps every label exact without float rounding. This module must not decide labels (no
//! inference, no DICOM SEG decoding) nor hold UI state.

use crate::error::*;
use crate::texture::check_size;

/// Colour of every label index (0 is never drawn), e.g. from a segmentation model's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelPalette {
    colours: [[u8; 3]; 256],
}

impl Default for LabelPalette {
    /// Eight distinct colours repeated over the label indices (red, green, blue, yellow, cyan, magenta, orange,
    /// purple for labels 1..=8, then again), for label maps without a manifest.
    fn default() -> Self {
        const CYCLE: [[u8; 3]; 8] = [
            [230, 25, 75],
            [60, 180, 75],
            [0, 130, 200],
            [255, 225, 25],
            [70, 240, 240],
            [240, 50, 230],
            [245, 130, 48],
            [145, 30, 180],
        ];
        let mut colours = [[0; 3]; 256];
        for (label, colour) in colours.iter_mut().enumerate().skip(1) {
            *colour = CYCLE[(label - 1) % CYCLE.len()];
        }
        LabelPalette { colours }
    }
}

impl LabelPalette {
    /// The default palette with the given `(label, [r, g, b])` colours set (later entries win).
    pub fn with_colours(colours: &[(u8, [u8; 3])]) -> Self {
        let mut palette = LabelPalette::default();
        for &(label, rgb) in colours {
            palette.set(label, rgb);
        }
        palette
    }

    /// Set the colour of `label` (label 0 is never drawn; setting it has no visible effect).
    pub fn set(&mut self, label: u8, rgb: [u8; 3]) {
        self.colours[label as usize] = rgb;
    }

    /// The colour of `label`.
    pub fn colour(&self, label: u8) -> [u8; 3] {
        self.colours[label as usize]
    }
}

/// A set of label indices (a 256-bit mask): the labels an overlay shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LabelSet {
    bits: [u32; 8],
}

impl Default for LabelSet {
    /// All labels.
    fn default() -> Self {
        LabelSet::all()
    }
}

impl LabelSet {
    /// Every label 1..=255 (label 0 is never drawn whatever the set says).
    pub fn all() -> Self {
        LabelSet {
            bits: [u32::MAX; 8],
        }
    }

    /// No label.
    pub fn none() -> Self {
        LabelSet { bits: [0; 8] }
    }

    /// Show (`true`) or hide (`false`) `label`.
    pub fn set(&mut self, label: u8, shown: bool) {
        let (word, bit) = (label as usize / 32, label as u32 % 32);
        if shown {
            self.bits[word] |= 1 << bit;
        } else {
            self.bits[word] &= !(1 << bit);
        }
    }

    /// This set without `label`.
    pub fn without(mut self, label: u8) -> Self {
        self.set(label, false);
        self
    }

    /// Whether `label` is shown.
    pub fn contains(&self, label: u8) -> bool {
        self.bits[label as usize / 32] & (1 << (label as u32 % 32)) != 0
    }
}

/// How labelled pixels are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverlayMode {
    /// Every labelled pixel: `mix(displayed colour, label colour, opacity)`.
    #[default]
    Fill,
    /// Only boundary pixels (a pixel whose label differs from one of its 4 neighbours inside the image), in the
    /// label colour at full opacity; the rest of the image is unchanged.
    Outline,
    /// Boundary pixels in the label colour at full opacity, the inside filled as [`OverlayMode::Fill`].
    FillAndOutline,
}

impl OverlayMode {
    pub(crate) fn shader_bits(self) -> u32 {
        match self {
            OverlayMode::Fill => OVERLAY_FILL,
            OverlayMode::Outline => OVERLAY_OUTLINE,
            OverlayMode::FillAndOutline => OVERLAY_FILL | OVERLAY_OUTLINE,
        }
    }
}

pub(crate) const OVERLAY_FILL: u32 = 1;
pub(crate) const OVERLAY_OUTLINE: u32 = 2;

/// How to draw a [`LabelOverlay`] over an image.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayParams {
    /// Fill opacity, 0 (image unchanged) ..= 1 (label colour); values outside are clamped, NaN is an error.
    /// Outlines are always opaque.
    pub opacity: f32,
    /// Fill, outline, or both.
    pub mode: OverlayMode,
    /// Colour per label.
    pub palette: LabelPalette,
    /// Labels shown; the others leave the image unchanged.
    pub visible: LabelSet,
}

impl Default for OverlayParams {
    /// Fill at opacity 0.4, default palette, every label shown.
    fn default() -> Self {
        OverlayParams {
            opacity: 0.4,
            mode: OverlayMode::Fill,
            palette: LabelPalette::default(),
            visible: LabelSet::all(),
        }
    }
}

impl OverlayParams {
    /// The opacity the shader uses: clamped to 0..=1, or an error for NaN.
    pub(crate) fn checked_opacity(&self) -> Result<f32> {
        if self.opacity.is_nan() {
            return InvalidOpacitySnafu {
                opacity: self.opacity,
            }
            .fail();
        }
        Ok(self.opacity.clamp(0.0, 1.0))
    }

    /// The palette as the shader reads it: 256 packed words `r | g << 8 | b << 16 | shown << 24`.
    pub(crate) fn packed_palette(&self) -> [u32; 256] {
        let mut words = [0u32; 256];
        for (label, word) in words.iter_mut().enumerate().skip(1) {
            let [r, g, b] = self.palette.colours[label];
            let shown = self.visible.contains(label as u8) as u32;
            *word = r as u32 | (g as u32) << 8 | (b as u32) << 16 | shown << 24;
        }
        words
    }
}

/// One frame's label map on the GPU, drawn by [`crate::Renderer::render_with_overlay`] over an image of the same
/// columns × rows.
#[derive(Debug)]
pub struct LabelOverlay {
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    columns: u32,
    rows: u32,
}

impl LabelOverlay {
    /// Upload a `columns × rows` label map, row by row (one label index per image pixel, 0 = none).
    pub fn new(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        columns: u32,
        rows: u32,
        labels: &[u8],
    ) -> Result<Self> {
        check_labels(check_size(device, columns, rows)?, labels)?;
        let texture = label_texture(device, columns, rows);
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let overlay = LabelOverlay {
            texture,
            view,
            columns,
            rows,
        };
        overlay.write(queue, labels);
        Ok(overlay)
    }

    /// Replace the labels with a new map of the same size (e.g. when the model finishes a slice), without
    /// reallocating the texture.
    pub fn update(&self, queue: &wgpu::Queue, labels: &[u8]) -> Result<()> {
        check_labels(self.columns as usize * self.rows as usize, labels)?;
        self.write(queue, labels);
        Ok(())
    }

    /// Columns of the label map (must equal the image's when drawn).
    pub fn columns(&self) -> u32 {
        self.columns
    }

    /// Rows of the label map (must equal the image's when drawn).
    pub fn rows(&self) -> u32 {
        self.rows
    }

    pub(crate) fn view(&self) -> &wgpu::TextureView {
        &self.view
    }

    fn write(&self, queue: &wgpu::Queue, labels: &[u8]) {
        queue.write_texture(
            self.texture.as_image_copy(),
            labels,
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(self.columns),
                rows_per_image: Some(self.rows),
            },
            self.texture.size(),
        );
    }
}

fn check_labels(expected: usize, labels: &[u8]) -> Result<()> {
    if labels.len() != expected {
        return PixelCountSnafu {
            what: "label map",
            expected,
            actual: labels.len(),
        }
        .fail();
    }
    Ok(())
}

/// An `R8Uint` sampled texture of `columns × rows` labels.
pub(crate) fn label_texture(device: &wgpu::Device, columns: u32, rows: u32) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some("lumen label map"),
        size: wgpu::Extent3d {
            width: columns,
            height: rows,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::R8Uint,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_set_shows_and_hides_single_labels() {
        let mut set = LabelSet::none();
        assert!(!set.contains(37));
        set.set(37, true);
        set.set(255, true);
        assert!(set.contains(37) && set.contains(255) && !set.contains(36) && !set.contains(38));
        let all = LabelSet::all().without(2);
        assert!(all.contains(1) && !all.contains(2) && all.contains(3) && all.contains(255));
    }

    #[test]
    fn packed_palette_holds_colour_and_visibility_and_never_label_zero() {
        let params = OverlayParams {
            palette: LabelPalette::with_colours(&[(0, [9, 9, 9]), (2, [10, 20, 30])]),
            visible: LabelSet::all().without(3),
            ..OverlayParams::default()
        };
        let words = params.packed_palette();
        assert_eq!(words[0], 0);
        assert_eq!(words[2], 10 | 20 << 8 | 30 << 16 | 1 << 24);
        assert_eq!(words[3] >> 24, 0);
        assert_eq!(params.palette.colour(2), [10, 20, 30]);
    }

    #[test]
    fn opacity_is_clamped_and_nan_refused() {
        let mut params = OverlayParams {
            opacity: 1.5,
            ..OverlayParams::default()
        };
        assert_eq!(params.checked_opacity().unwrap(), 1.0);
        params.opacity = -0.2;
        assert_eq!(params.checked_opacity().unwrap(), 0.0);
        params.opacity = f32::NAN;
        assert!(params
            .checked_opacity()
            .unwrap_err()
            .to_string()
            .contains("opacity"));
    }
}
