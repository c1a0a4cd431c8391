//! The viewport renderer: draws an [`ImageTexture`] into a rectangle of a colour target (a canvas frame or an
//! offscreen texture) with the user's view ([`ViewTransform`]), VOI (window or VOI LUT), inversion and optional
//! smoothing, and optionally a segmentation overlay ([`LabelOverlay`] with [`OverlayParams`]) over it, through
//! `shader/viewport.wgsl`. One [`Renderer`] per `wgpu::Device` serves any number of viewports, canvases and
//! target formats. This module must not create devices or surfaces, nor decode DICOM.

use crate::error::*;
use crate::overlay::{label_texture, LabelOverlay, OverlayParams};
use crate::texture::{ImageTexture, TexelKind};
use crate::view::ViewTransform;
use lumen_dicom::display::{DisplayParams, Lut, Voi, VoiLutFunction};

/// How to draw an image in a viewport.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderParams {
    /// Zoom, pan, rotation and flips.
    pub view: ViewTransform,
    /// The VOI (Window Center/Width with its VOI LUT Function, or a VOI LUT table) for grayscale images; `None`
    /// uses the image's default ([`ImageTexture::default_voi`]). Ignored for colour images.
    pub voi: Option<Voi>,
    /// Invert the display: MONOCHROME1 / Presentation LUT Shape (2050,0020) INVERSE, combined with the user's
    /// invert by the caller (`file_invert != user_invert`). Applies to colour images too.
    pub invert: bool,
    /// Bilinear interpolation between pixel centres instead of nearest pixel (blocky) magnification.
    pub smoothing: bool,
}

impl RenderParams {
    /// The file's display (its window or VOI LUT and its presentation inversion) with `view`, no smoothing.
    pub fn from_display(display: &DisplayParams, view: ViewTransform) -> Self {
        RenderParams {
            view,
            voi: display.voi.clone(),
            invert: display.invert,
            smoothing: false,
        }
    }
}

/// A rectangle of the render target in device pixels, origin at its top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewportRect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width; 0 draws nothing.
    pub width: u32,
    /// Height; 0 draws nothing.
    pub height: u32,
}

impl ViewportRect {
    /// The whole of a `width × height` target.
    pub fn full(width: u32, height: u32) -> Self {
        ViewportRect {
            x: 0,
            y: 0,
            width,
            height,
        }
    }

    /// Size as `[width, height]` for the view geometry.
    pub fn size(&self) -> [f64; 2] {
        [self.width as f64, self.height as f64]
    }
}

/// Bytes of the shader's `Params`: view, image, VOI (96), overlay mode and opacity (32), palette (256 × 4).
const UNIFORM_SIZE: u64 = 96 + 32 + 1024;
const LUT_TEXTURE_WIDTH: u32 = 256;

const VOI_LINEAR: u32 = 0;
const VOI_LINEAR_EXACT: u32 = 1;
const VOI_SIGMOID: u32 = 2;
const VOI_TABLE: u32 = 3;
const VOI_NONE: u32 = 4;
const FLAG_INVERT: u32 = 1;
const FLAG_SMOOTH: u32 = 2;
const FLAG_COLOUR: u32 = 4;
const FLAG_SRGB_TARGET: u32 = 8;

/// A VOI LUT table on the GPU: entries scaled to 0..255, `LUT_TEXTURE_WIDTH` per row.
#[derive(Debug)]
struct LutTexture {
    lut: Lut,
    view: wgpu::TextureView,
    width: u32,
}

/// Draws images into viewports of one device.
#[derive(Debug)]
pub struct Renderer {
    shader: wgpu::ShaderModule,
    bind_group_layout: wgpu::BindGroupLayout,
    pipeline_layout: wgpu::PipelineLayout,
    pipelines: Vec<(wgpu::TextureFormat, wgpu::RenderPipeline)>,
    uniforms: wgpu::Buffer,
    no_lut: wgpu::TextureView,
    lut: Option<LutTexture>,
    /// A 1×1 label map bound when no overlay is drawn, so the bind group layout never changes.
    no_labels: wgpu::TextureView,
}

impl Renderer {
    /// Shader, layouts and a pipeline for `target_format` (other formats get their pipeline on first use).
    pub fn new(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        target_format: wgpu::TextureFormat,
    ) -> Result<Self> {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("lumen viewport shader"),
            source: wgpu::ShaderSource::Wgsl(include_str!("shader/viewport.wgsl").into()),
        });
        let texture_entry = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Float { filterable: false },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        };
        let bind_group_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("lumen viewport bindings"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: wgpu::BufferSize::new(UNIFORM_SIZE),
                    },
                    count: None,
                },
                texture_entry(1),
                texture_entry(2),
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Uint,
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("lumen viewport pipeline layout"),
            bind_group_layouts: &[Some(&bind_group_layout)],
            immediate_size: 0,
        });
        let uniforms = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("lumen viewport parameters"),
            size: UNIFORM_SIZE,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let no_lut = lut_texture(device, queue, 1, 1, &[0.0]);
        let no_labels = label_texture(device, 1, 1);
        queue.write_texture(
            no_labels.as_image_copy(),
            &[0],
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(1),
                rows_per_image: Some(1),
            },
            no_labels.size(),
        );
        let no_labels = no_labels.create_view(&wgpu::TextureViewDescriptor::default());
        let mut renderer = Renderer {
            shader,
            bind_group_layout,
            pipeline_layout,
            pipelines: Vec::new(),
            uniforms,
            no_lut,
            lut: None,
            no_labels,
        };
        renderer.pipeline(device, target_format)?;
        Ok(renderer)
    }

    /// The pipeline drawing into `format`, created on first use.
    fn pipeline(
        &mut self,
        device: &wgpu::Device,
        format: wgpu::TextureFormat,
    ) -> Result<&wgpu::RenderPipeline> {
        let renderable = format
            .guaranteed_format_features(device.features())
            .allowed_usages
            .contains(wgpu::TextureUsages::RENDER_ATTACHMENT);
        let float_colour = matches!(
            format.sample_type(None, None),
            Some(wgpu::TextureSampleType::Float { .. })
        );
        if !renderable || !float_colour || format.has_depth_aspect() || format.has_stencil_aspect()
        {
            return UnsupportedTargetSnafu { format }.fail();
        }
        let index = match self.pipelines.iter().position(|(f, _)| *f == format) {
            Some(i) => i,
            None => {
                let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                    label: Some("lumen viewport pipeline"),
                    layout: Some(&self.pipeline_layout),
                    vertex: wgpu::VertexState {
                        module: &self.shader,
                        entry_point: Some("vs_main"),
                        compilation_options: Default::default(),
                        buffers: &[],
                    },
                    primitive: wgpu::PrimitiveState::default(),
                    depth_stencil: None,
                    multisample: wgpu::MultisampleState::default(),
                    fragment: Some(wgpu::FragmentState {
                        module: &self.shader,
                        entry_point: Some("fs_main"),
                        compilation_options: Default::default(),
                        targets: &[Some(wgpu::ColorTargetState {
                            format,
                            blend: None,
                            write_mask: wgpu::ColorWrites::ALL,
                        })],
                    }),
                    multiview_mask: None,
                    cache: None,
                });
                self.pipelines.push((format, pipeline));
                self.pipelines.len() - 1
            }
        };
        Ok(&self.pipelines[index].1)
    }

    /// Clear the whole `target` to black (the viewer's background), e.g. before drawing several viewports into
    /// one canvas.
    pub fn clear(&self, device: &wgpu::Device, queue: &wgpu::Queue, target: &wgpu::TextureView) {
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("lumen clear"),
        });
        {
            let _pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("lumen clear"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
        }
        queue.submit([encoder.finish()]);
    }

    /// Draw `image` into `viewport` of `target` (the whole target when `None`): every device pixel of the
    /// viewport is written (black outside the image); the rest of the target is left as it is. The work is
    /// submitted to `queue`; present a surface frame afterwards.
    pub fn render(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        target: &wgpu::TextureView,
        viewport: Option<ViewportRect>,
        image: &ImageTexture,
        params: &RenderParams,
    ) -> Result<()> {
        self.render_with_overlay(device, queue, target, viewport, image, params, None)
    }

    /// [`Renderer::render`] with a segmentation overlay drawn over the image (`None`: exactly `render`). The
    /// label map must have the image's columns × rows ([`Error::OverlayGeometry`] otherwise); it follows the view
    /// like the image, one label per image pixel (nearest pixel, also when the image is smoothed).
    #[allow(clippy::too_many_arguments)]
    pub fn render_with_overlay(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        target: &wgpu::TextureView,
        viewport: Option<ViewportRect>,
        image: &ImageTexture,
        params: &RenderParams,
        overlay: Option<(&LabelOverlay, &OverlayParams)>,
    ) -> Result<()> {
        let geometry = image.geometry();
        let (overlay_mode, opacity, palette, labels_view) = match overlay {
            None => (0, 0.0, [0u32; 256], None),
            Some((labels, overlay_params)) => {
                if labels.columns() != geometry.columns || labels.rows() != geometry.rows {
                    return OverlayGeometrySnafu {
                        overlay_columns: labels.columns(),
                        overlay_rows: labels.rows(),
                        columns: geometry.columns,
                        rows: geometry.rows,
                    }
                    .fail();
                }
                (
                    overlay_params.mode.shader_bits(),
                    overlay_params.checked_opacity()?,
                    overlay_params.packed_palette(),
                    Some(labels.view()),
                )
            }
        };
        let target_texture = target.texture();
        let (tw, th) = (target_texture.width(), target_texture.height());
        let viewport = viewport.unwrap_or(ViewportRect::full(tw, th));
        let fits = viewport
            .x
            .checked_add(viewport.width)
            .is_some_and(|r| r <= tw)
            && viewport
                .y
                .checked_add(viewport.height)
                .is_some_and(|b| b <= th);
        if !fits {
            return ViewportOutsideTargetSnafu {
                x: viewport.x,
                y: viewport.y,
                width: viewport.width,
                height: viewport.height,
                target_width: tw,
                target_height: th,
            }
            .fail();
        }
        if viewport.width == 0 || viewport.height == 0 {
            return Ok(());
        }
        let format = target_texture.format();
        let affine = params
            .view
            .screen_to_image_affine(&geometry, viewport.size())
            .ok_or(Error::DegenerateView {
                zoom: params.view.zoom,
            })?;

        // VOI mode and LUT texture.
        let colour = image.kind() == TexelKind::Rgb8;
        let voi = if colour {
            None
        } else {
            params.voi.as_ref().or(image.default_voi())
        };
        let (function, center, width, first_mapped) = match voi {
            None => (VOI_NONE, 0.0, 1.0, 0.0),
            Some(Voi::Window(w)) => {
                let f = match w.function {
                    VoiLutFunction::Linear => VOI_LINEAR,
                    VoiLutFunction::LinearExact => VOI_LINEAR_EXACT,
                    VoiLutFunction::Sigmoid => VOI_SIGMOID,
                };
                // A width the function does not allow would divide by zero: treat it as the smallest allowed.
                let min_width = if f == VOI_LINEAR {
                    1.0
                } else {
                    f64::MIN_POSITIVE
                };
                let width = if w.width.is_finite() {
                    w.width.max(min_width)
                } else {
                    min_width
                };
                (f, w.center as f32, width as f32, 0.0)
            }
            Some(Voi::Lut(lut)) => {
                self.use_lut(device, queue, lut);
                (VOI_TABLE, 0.0, 1.0, lut.first_mapped as f32)
            }
        };
        let (lut_len, lut_width, lut_view) = match (&self.lut, function) {
            (Some(l), VOI_TABLE) => (l.lut.entries.len().max(1) as u32, l.width, &l.view),
            _ => (1, 1, &self.no_lut),
        };
        let mut flags = 0;
        if params.invert {
            flags |= FLAG_INVERT;
        }
        if params.smoothing {
            flags |= FLAG_SMOOTH;
        }
        if colour {
            flags |= FLAG_COLOUR;
        }
        if format.is_srgb() {
            flags |= FLAG_SRGB_TARGET;
        }

        let mut bytes = Vec::with_capacity(UNIFORM_SIZE as usize);
        for column in affine.to_mat3_columns() {
            for v in column {
                bytes.extend_from_slice(&v.to_ne_bytes());
            }
        }
        let floats = [
            geometry.columns as f32,
            geometry.rows as f32,
            viewport.x as f32,
            viewport.y as f32,
            center,
            width,
            first_mapped,
            0.0,
        ];
        for v in floats {
            bytes.extend_from_slice(&v.to_ne_bytes());
        }
        for v in [function, flags, lut_len, lut_width, overlay_mode, 0, 0, 0] {
            bytes.extend_from_slice(&v.to_ne_bytes());
        }
        for v in [opacity, 0.0, 0.0, 0.0] {
            bytes.extend_from_slice(&f32::to_ne_bytes(v));
        }
        for v in palette {
            bytes.extend_from_slice(&v.to_ne_bytes());
        }
        debug_assert_eq!(bytes.len() as u64, UNIFORM_SIZE);
        queue.write_buffer(&self.uniforms, 0, &bytes);

        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("lumen viewport bindings"),
            layout: &self.bind_group_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: self.uniforms.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(image.view()),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(lut_view),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::TextureView(
                        labels_view.unwrap_or(&self.no_labels),
                    ),
                },
            ],
        });
        let pipeline = self.pipeline(device, format)?;
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("lumen viewport"),
        });
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("lumen viewport"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Load,
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            pass.set_viewport(
                viewport.x as f32,
                viewport.y as f32,
                viewport.width as f32,
                viewport.height as f32,
                0.0,
                1.0,
            );
            pass.set_scissor_rect(viewport.x, viewport.y, viewport.width, viewport.height);
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.draw(0..3, 0..1);
        }
        queue.submit([encoder.finish()]);
        Ok(())
    }

    /// Make `lut` the current VOI LUT texture (uploaded once, reused while the same table is drawn).
    fn use_lut(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, lut: &Lut) {
        if self.lut.as_ref().is_some_and(|l| l.lut == *lut) {
            return;
        }
        let n = lut.entries.len().max(1) as u32;
        let width = n.min(LUT_TEXTURE_WIDTH);
        let height = n.div_ceil(width);
        let scale = 255.0 / lut.max_output();
        let mut values: Vec<f32> = lut
            .entries
            .iter()
            .map(|&e| (e as f64 * scale) as f32)
            .collect();
        values.resize((width * height) as usize, 0.0);
        let view = lut_texture(device, queue, width, height, &values);
        self.lut = Some(LutTexture {
            lut: lut.clone(),
            view,
            width,
        });
    }
}

/// An `R32Float` texture of `width × height` values (a VOI LUT table, 65536 entries at most = 256 rows).
fn lut_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    width: u32,
    height: u32,
    values: &[f32],
) -> wgpu::TextureView {
    let size = wgpu::Extent3d {
        width,
        height,
        depth_or_array_layers: 1,
    };
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("lumen VOI LUT"),
        size,
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::R32Float,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_ne_bytes()).collect();
    queue.write_texture(
        texture.as_image_copy(),
        &bytes,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(width * 4),
            rows_per_image: Some(height),
        },
        size,
    );
    texture.create_view(&wgpu::TextureViewDescriptor::default())
}
