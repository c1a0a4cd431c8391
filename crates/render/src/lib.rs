//! `lumen-render`: the GPU viewport of the Lumen viewer. It places a DICOM frame on screen (zoom, pan, quarter
//! turns, flips, pixel aspect from Pixel Spacing — [`view`]), uploads it as modality values or RGB
//! ([`texture`]), and applies the VOI LUT (window LINEAR / LINEAR_EXACT / SIGMOID or a VOI LUT table) and the
//! presentation inversion in a WGSL fragment shader ([`renderer`]) with the same 8-bit result as
//! `lumen_dicom::display::render_frame` on the CPU. In the browser (module `web`) it draws on a canvas with WebGPU
//! where available and WebGL2 otherwise, and says which. Natively it renders offscreen (Vulkan; Mesa's lavapipe
//! without a GPU) for tests and tools (module `offscreen`).
//!
//! Segmentation overlays ([`overlay`]): a label map (one `u8` label per image pixel, from a segmentation model or
//! a DICOM SEG decoded elsewhere) is uploaded as a [`LabelOverlay`] and drawn by
//! [`Renderer::render_with_overlay`] over the image through the same view transform, with a colour per label
//! ([`LabelPalette`]), per-label visibility ([`LabelSet`]), a fill opacity and a fill / outline / fill+outline
//! [`OverlayMode`] ([`OverlayParams`]). Without an overlay the output is byte for byte that of
//! [`Renderer::render`].
//!
//! This crate must not decode DICOM (frames come from `lumen-dicom`), nor hold UI state or DOM event handling.
//!
//! ```no_run
//! # async fn demo(frame: lumen_dicom::Frame, display: lumen_dicom::display::DisplayParams) -> lumen_render::Result<()> {
//! use lumen_render::{Gpu, ImageTexture, Renderer, RenderParams, ViewTransform};
//! let gpu = Gpu::headless().await?;
//! let mut renderer = Renderer::new(&gpu.device, &gpu.queue, lumen_render::offscreen::OFFSCREEN_FORMAT)?;
//! let image = ImageTexture::from_frame(&gpu.device, &gpu.queue, &frame, &display, None)?;
//! let view = ViewTransform::fit(&image.geometry(), [512.0, 512.0]);
//! let params = RenderParams::from_display(&display, view);
//! let pixels = lumen_render::offscreen::render_to_rgba8(&gpu.device, &gpu.queue, &mut renderer, 512, 512, &image, &params)?;
//! // A label map of the same size, label 1 drawn in red at 40 % opacity with its outline.
//! let labels = vec![0u8; (image.geometry().columns * image.geometry().rows) as usize];
//! let overlay = lumen_render::LabelOverlay::new(&gpu.device, &gpu.queue, image.geometry().columns, image.geometry().rows, &labels)?;
//! let overlay_params = lumen_render::OverlayParams {
//!     opacity: 0.4,
//!     mode: lumen_render::OverlayMode::FillAndOutline,
//!     palette: lumen_render::LabelPalette::with_colours(&[(1, [255, 0, 0])]),
//!     visible: lumen_render::LabelSet::all(),
//! };
//! let with_labels = lumen_render::offscreen::render_with_overlay_to_rgba8(&gpu.device, &gpu.queue, &mut renderer, 512, 512, &image, &params, Some((&overlay, &overlay_params)))?;
//! # let _ = (pixels, with_labels); Ok(()) }
//! ```

pub mod error;
pub mod gpu;
#[cfg(not(target_arch = "wasm32"))]
pub mod offscreen;
pub mod overlay;
pub mod renderer;
pub mod texture;
pub mod view;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use error::{Error, Result};
pub use gpu::{Gpu, GpuBackend};
pub use overlay::{LabelOverlay, LabelPalette, LabelSet, OverlayMode, OverlayParams};
pub use renderer::{RenderParams, Renderer, ViewportRect};
pub use texture::{ImageTexture, TexelKind};
pub use view::{Affine2, ImageGeometry, Rotation, ViewTransform};
/// The wgpu this crate is built against (=30.0.2, the one burn 0.22.1 uses).
pub use wgpu;
