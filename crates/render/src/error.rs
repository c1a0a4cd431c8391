//! The one error type of `lumen-render`. Each variant says what could not be shown and why, in words an
//! integrator (or a user reading a status line) understands. This module must not decide what to do about an
//! error (retry, fall back to WebGL2, show a message): that is the viewer's call.

use snafu::Snafu;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while setting up the GPU or drawing an image.
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
#[non_exhaustive]
pub enum Error {
    /// No GPU adapter (hardware or software) answered for the requested backends.
    #[snafu(display("no GPU adapter is available for {backends}: {source}"))]
    NoAdapter {
        backends: String,
        source: wgpu::RequestAdapterError,
    },

    /// The adapter refused to create a device.
    #[snafu(display("the GPU adapter \"{adapter}\" could not create a device: {source}"))]
    RequestDevice {
        adapter: String,
        source: wgpu::RequestDeviceError,
    },

    /// The image has no pixels.
    #[snafu(display("the image is empty ({columns}×{rows} pixels)"))]
    EmptyImage { columns: u32, rows: u32 },

    /// The image is larger than one texture of this GPU can hold (WebGL2 devices may be limited to 2048).
    #[snafu(display(
        "the image is {columns}×{rows} pixels but this GPU's textures are limited to {max}×{max}"
    ))]
    ImageTooLarge { columns: u32, rows: u32, max: u32 },

    /// The pixel buffer does not match the stated size.
    #[snafu(display("{what}: expected {expected} values for the image size, got {actual}"))]
    PixelCount {
        what: &'static str,
        expected: usize,
        actual: usize,
    },

    /// A label overlay does not cover the image it is drawn over pixel for pixel.
    #[snafu(display(
        "the label map is {overlay_columns}×{overlay_rows} pixels but the image is {columns}×{rows}"
    ))]
    OverlayGeometry {
        overlay_columns: u32,
        overlay_rows: u32,
        columns: u32,
        rows: u32,
    },

    /// The overlay opacity is not a number.
    #[snafu(display("the overlay opacity must be a number from 0 to 1, got {opacity}"))]
    InvalidOpacity { opacity: f32 },

    /// The frame could not be converted for display by `lumen-dicom` (colour conversion, missing palette).
    #[snafu(display("the frame cannot be displayed: {source}"))]
    Display { source: lumen_dicom::Error },

    /// The viewport rectangle does not lie inside the render target.
    #[snafu(display(
        "the viewport {width}×{height} at ({x}, {y}) does not fit in the {target_width}×{target_height} target"
    ))]
    ViewportOutsideTarget {
        x: u32,
        y: u32,
        width: u32,
        height: u32,
        target_width: u32,
        target_height: u32,
    },

    /// The render target's format cannot be drawn into.
    #[snafu(display(
        "the render target format {format:?} is not a colour format the viewport can draw into"
    ))]
    UnsupportedTarget { format: wgpu::TextureFormat },

    /// The view cannot be inverted (zero or non-finite zoom).
    #[snafu(display("the view transform is degenerate (zoom {zoom})"))]
    DegenerateView { zoom: f64 },

    /// Reading rendered pixels back from the GPU failed.
    #[snafu(display("reading the rendered pixels back failed: {reason}"))]
    Readback { reason: String },

    /// The browser refused to give the canvas a WebGPU or WebGL2 context.
    #[snafu(display("the canvas cannot be used for GPU drawing: {source}"))]
    CreateSurface { source: wgpu::CreateSurfaceError },

    /// The canvas surface cannot be configured with this adapter.
    #[snafu(display("the canvas surface is not supported by the GPU adapter \"{adapter}\""))]
    SurfaceUnsupported { adapter: String },

    /// The canvas surface could not hand out a frame to draw into.
    #[snafu(display("the canvas has no frame to draw into: {reason}"))]
    SurfaceFrame { reason: String },
}
