//! Upload of one frame to the GPU as an [`ImageTexture`]: grayscale frames as *modality values* (`R32Float`,
//! after the Modality LUT of PS3.3 C.11.1, so the shader only applies the VOI LUT and presentation), colour frames
//! (RGB, YBR_*, PALETTE COLOR) as 8-bit RGBA converted by `lumen-dicom` on the CPU. Both formats are valid
//! sampled textures on WebGPU and WebGL2 and are read with `textureLoad` (no filtering sampler needed). This module
//! must not window, invert or place the image: that is the renderer's job.

use crate::error::*;
use crate::view::ImageGeometry;
use lumen_dicom::display::{render_frame, DisplayParams, Voi, VoiLutFunction, Window};
use lumen_dicom::Frame;
use snafu::ResultExt;

/// What the texels of an [`ImageTexture`] hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TexelKind {
    /// One modality value per pixel (`R32Float`), e.g. Hounsfield units.
    ModalityValue,
    /// Display-ready RGB (`Rgba8Unorm`): the colour pipeline already ran.
    Rgb8,
}

/// One frame on the GPU, ready for [`crate::Renderer::render`]. Keep it while the frame is shown; it can be drawn
/// into any number of viewports of the device it was created on.
#[derive(Debug)]
pub struct ImageTexture {
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    geometry: ImageGeometry,
    kind: TexelKind,
    default_voi: Option<Voi>,
    default_invert: bool,
}

impl ImageTexture {
    /// Upload modality values (Modality LUT already applied), row by row. `pixel_spacing`: Pixel Spacing
    /// (0028,0030) `[row spacing, column spacing]` for the pixel aspect. The default VOI is a LINEAR_EXACT window
    /// over the values' range, as `lumen_dicom::display::default_window` chooses.
    pub fn from_modality_values(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        columns: u32,
        rows: u32,
        values: &[f32],
        pixel_spacing: Option<[f64; 2]>,
    ) -> Result<Self> {
        let expected = check_size(device, columns, rows)?;
        if values.len() != expected {
            return PixelCountSnafu {
                what: "modality values",
                expected,
                actual: values.len(),
            }
            .fail();
        }
        let mut bytes = Vec::with_capacity(expected * 4);
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for v in values {
            bytes.extend_from_slice(&v.to_ne_bytes());
            if v.is_finite() {
                lo = lo.min(*v);
                hi = hi.max(*v);
            }
        }
        let default_voi = Some(Voi::Window(range_window(lo as f64, hi as f64)));
        let texture = upload(
            device,
            queue,
            columns,
            rows,
            wgpu::TextureFormat::R32Float,
            4,
            &bytes,
        );
        Ok(Self::wrap(
            texture,
            ImageGeometry::with_pixel_spacing(columns, rows, pixel_spacing),
            TexelKind::ModalityValue,
            default_voi,
            false,
        ))
    }

    /// Upload display-ready 8-bit RGBA, row by row (alpha is ignored when drawing).
    pub fn from_rgba8(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        columns: u32,
        rows: u32,
        rgba: &[u8],
        pixel_spacing: Option<[f64; 2]>,
    ) -> Result<Self> {
        let expected = check_size(device, columns, rows)? * 4;
        if rgba.len() != expected {
            return PixelCountSnafu {
                what: "RGBA bytes",
                expected,
                actual: rgba.len(),
            }
            .fail();
        }
        let texture = upload(
            device,
            queue,
            columns,
            rows,
            wgpu::TextureFormat::Rgba8Unorm,
            4,
            rgba,
        );
        Ok(Self::wrap(
            texture,
            ImageGeometry::with_pixel_spacing(columns, rows, pixel_spacing),
            TexelKind::Rgb8,
            None,
            false,
        ))
    }

    /// Upload a decoded frame: grayscale through `display`'s Modality LUT to modality values, with `display`'s
    /// VOI (or the full-range window) and inversion (MONOCHROME1, Presentation LUT Shape INVERSE) as defaults;
    /// colour through `lumen-dicom`'s colour pipeline (YBR→RGB, Palette Color LUTs) to RGBA.
    /// `pixel_spacing`: Pixel Spacing (0028,0030) `[row, column]` in mm, for the pixel aspect.
    pub fn from_frame(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        frame: &Frame,
        display: &DisplayParams,
        pixel_spacing: Option<[f64; 2]>,
    ) -> Result<Self> {
        let (columns, rows) = (frame.columns as u32, frame.rows as u32);
        if !frame.photometric_interpretation.is_monochrome() {
            let rgba = render_frame(frame, display).context(DisplaySnafu)?;
            return Self::from_rgba8(device, queue, columns, rows, &rgba.data, pixel_spacing);
        }
        let expected = check_size(device, columns, rows)?;
        if frame.samples_per_pixel != 1 || frame.samples.len() < expected {
            return PixelCountSnafu {
                what: "grayscale samples",
                expected,
                actual: frame.samples.len() / (frame.samples_per_pixel.max(1) as usize),
            }
            .fail();
        }
        let values: Vec<f32> = (0..expected)
            .map(|i| {
                frame
                    .samples
                    .get(i)
                    .map_or(0.0, |s| display.modality_lut.apply(s) as f32)
            })
            .collect();
        let mut texture =
            Self::from_modality_values(device, queue, columns, rows, &values, pixel_spacing)?;
        texture.default_voi = Some(display.effective_voi(frame));
        texture.default_invert = display.invert;
        Ok(texture)
    }

    fn wrap(
        texture: wgpu::Texture,
        geometry: ImageGeometry,
        kind: TexelKind,
        default_voi: Option<Voi>,
        default_invert: bool,
    ) -> Self {
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        ImageTexture {
            texture,
            view,
            geometry,
            kind,
            default_voi,
            default_invert,
        }
    }

    /// Columns, rows and pixel aspect.
    pub fn geometry(&self) -> ImageGeometry {
        self.geometry
    }

    /// Modality values or RGB.
    pub fn kind(&self) -> TexelKind {
        self.kind
    }

    /// The VOI used when [`crate::RenderParams::voi`] is `None`: the frame's own (first window or VOI LUT) or
    /// the full-range window; `None` for colour images.
    pub fn default_voi(&self) -> Option<&Voi> {
        self.default_voi.as_ref()
    }

    /// Whether the frame's presentation inverts grayscale (MONOCHROME1 or Presentation LUT Shape INVERSE).
    pub fn default_invert(&self) -> bool {
        self.default_invert
    }

    pub(crate) fn view(&self) -> &wgpu::TextureView {
        &self.view
    }

    /// The GPU texture itself (for integrators that draw it elsewhere).
    pub fn texture(&self) -> &wgpu::Texture {
        &self.texture
    }
}

/// The LINEAR_EXACT window spanning `lo..=hi` (min → black, max → white); width 1 for a constant image.
fn range_window(lo: f64, hi: f64) -> Window {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    Window {
        center: (lo + hi) / 2.0,
        width: if hi > lo { hi - lo } else { 1.0 },
        function: VoiLutFunction::LinearExact,
        explanation: Some("full range".to_string()),
    }
}

/// Pixels in a `columns × rows` image, or why the device cannot hold it.
pub(crate) fn check_size(device: &wgpu::Device, columns: u32, rows: u32) -> Result<usize> {
    if columns == 0 || rows == 0 {
        return EmptyImageSnafu { columns, rows }.fail();
    }
    let max = device.limits().max_texture_dimension_2d;
    if columns > max || rows > max {
        return ImageTooLargeSnafu { columns, rows, max }.fail();
    }
    Ok(columns as usize * rows as usize)
}

fn upload(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    columns: u32,
    rows: u32,
    format: wgpu::TextureFormat,
    bytes_per_texel: u32,
    bytes: &[u8],
) -> wgpu::Texture {
    let size = wgpu::Extent3d {
        width: columns,
        height: rows,
        depth_or_array_layers: 1,
    };
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("lumen image"),
        size,
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    queue.write_texture(
        texture.as_image_copy(),
        bytes,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(columns * bytes_per_texel),
            rows_per_image: Some(rows),
        },
        size,
    );
    texture
}
