//! Offscreen rendering with read-back (native only): draw an image into an `Rgba8Unorm` texture of a given size
//! and copy the pixels to memory as a `lumen_dicom::display::Rgba8Image`. Used by the GPU-vs-CPU tests and by
//! command-line tools that want the viewport's exact pixels. Blocks on the device; must not be used in the
//! browser (wasm cannot block; read canvases there instead).

use crate::error::*;
use crate::overlay::{LabelOverlay, OverlayParams};
use crate::renderer::{RenderParams, Renderer};
use crate::texture::ImageTexture;
use lumen_dicom::display::Rgba8Image;

/// The texture format offscreen renders use (no sRGB encoding: bytes are the display levels).
pub const OFFSCREEN_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// Render `image` with `params` into a black `width × height` RGBA8 target and read it back, row by row.
pub fn render_to_rgba8(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    renderer: &mut Renderer,
    width: u32,
    height: u32,
    image: &ImageTexture,
    params: &RenderParams,
) -> Result<Rgba8Image> {
    render_with_overlay_to_rgba8(device, queue, renderer, width, height, image, params, None)
}

/// [`render_to_rgba8`] with a segmentation overlay over the image (see [`Renderer::render_with_overlay`]).
#[allow(clippy::too_many_arguments)]
pub fn render_with_overlay_to_rgba8(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    renderer: &mut Renderer,
    width: u32,
    height: u32,
    image: &ImageTexture,
    params: &RenderParams,
    overlay: Option<(&LabelOverlay, &OverlayParams)>,
) -> Result<Rgba8Image> {
    let max = device.limits().max_texture_dimension_2d;
    if width == 0 || height == 0 || width > max || height > max {
        return ImageTooLargeSnafu {
            columns: width,
            rows: height,
            max,
        }
        .fail();
    }
    let target = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("lumen offscreen target"),
        size: wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: OFFSCREEN_FORMAT,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let view = target.create_view(&wgpu::TextureViewDescriptor::default());
    renderer.clear(device, queue, &view);
    renderer.render_with_overlay(device, queue, &view, None, image, params, overlay)?;
    read_rgba8(device, queue, &target)
}

/// Copy an `Rgba8Unorm` texture back to memory (rows unpadded).
pub fn read_rgba8(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    texture: &wgpu::Texture,
) -> Result<Rgba8Image> {
    let (width, height) = (texture.width(), texture.height());
    let row = width * 4;
    let padded =
        row.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("lumen read-back"),
        size: padded as u64 * height as u64,
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("lumen read-back"),
    });
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded),
                rows_per_image: Some(height),
            },
        },
        texture.size(),
    );
    queue.submit([encoder.finish()]);
    let (sender, receiver) = std::sync::mpsc::channel();
    buffer.map_async(wgpu::MapMode::Read, .., move |result| {
        let _ = sender.send(result);
    });
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| Error::Readback {
            reason: e.to_string(),
        })?;
    receiver
        .recv()
        .map_err(|e| Error::Readback {
            reason: e.to_string(),
        })?
        .map_err(|e| Error::Readback {
            reason: e.to_string(),
        })?;
    let mapped = buffer.get_mapped_range(..).map_err(|e| Error::Readback {
        reason: e.to_string(),
    })?;
    let mut data = Vec::with_capacity((row * height) as usize);
    for chunk in mapped.chunks(padded as usize).take(height as usize) {
        data.extend_from_slice(chunk.get(..row as usize).unwrap_or(chunk));
    }
    drop(mapped);
    buffer.unmap();
    Ok(Rgba8Image {
        width,
        height,
        data,
    })
}
