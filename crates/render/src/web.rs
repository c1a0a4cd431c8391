//! Browser canvases (wasm32 only): open a [`Gpu`] for an `HtmlCanvasElement` — WebGPU when the browser offers a
//! working adapter, WebGL2 otherwise, or WebGL2 on request ([`BackendPreference::WebGl2`], for tests and broken
//! drivers) — and keep a [`CanvasSurface`] that is configured, resized and presented. Which backend is in use is
//! [`Gpu::backend`]. This module must not hold viewer state, nor attach DOM event handlers.
//!
//! Keep the [`CanvasSurface`] alive as long as the canvas shows an image: dropping it clears the canvas.
//! On WebGL2 the device belongs to the first canvas's context; draw several viewports into that one canvas
//! ([`crate::ViewportRect`]) rather than opening more canvases. On WebGPU, [`Gpu::canvas_surface`] adds
//! canvases on the same device.

use crate::error::*;
use crate::gpu::Gpu;
use crate::overlay::{LabelOverlay, OverlayParams};
use crate::renderer::{RenderParams, Renderer, ViewportRect};
use crate::texture::ImageTexture;
use snafu::ResultExt;
use web_sys::HtmlCanvasElement;

/// Which browser API to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendPreference {
    /// WebGPU if the browser gives an adapter, else WebGL2.
    #[default]
    Auto,
    /// WebGL2 even where WebGPU exists.
    WebGl2,
}

impl BackendPreference {
    /// From a query/flag value: "webgl2" or "webgl" force WebGL2; anything else is [`BackendPreference::Auto`].
    pub fn parse(value: &str) -> Self {
        match value.trim().to_ascii_lowercase().as_str() {
            "webgl2" | "webgl" | "gl" => BackendPreference::WebGl2,
            _ => BackendPreference::Auto,
        }
    }
}

/// A canvas wgpu draws into, with its current configuration.
#[derive(Debug)]
pub struct CanvasSurface {
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    canvas: HtmlCanvasElement,
}

impl Gpu {
    /// Open a GPU for `canvas` and its surface. The canvas's `width`/`height` attributes (device pixels) size the
    /// drawing buffer; call [`CanvasSurface::resize`] when they change.
    pub async fn for_canvas(
        canvas: &HtmlCanvasElement,
        preference: BackendPreference,
    ) -> Result<(Gpu, CanvasSurface)> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = match preference {
            BackendPreference::Auto => wgpu::Backends::BROWSER_WEBGPU | wgpu::Backends::GL,
            BackendPreference::WebGl2 => wgpu::Backends::GL,
        };
        // Drops BROWSER_WEBGPU when navigator.gpu is missing or gives no adapter (Chromium on Linux without flags).
        let instance = wgpu::util::new_instance_with_webgpu_detection(desc).await;
        let surface = instance
            .create_surface(wgpu::SurfaceTarget::Canvas(canvas.clone()))
            .context(CreateSurfaceSnafu)?;
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                compatible_surface: Some(&surface),
                ..Default::default()
            })
            .await
            .context(NoAdapterSnafu {
                backends: match preference {
                    BackendPreference::Auto => "WebGPU or WebGL2",
                    BackendPreference::WebGl2 => "WebGL2",
                }
                .to_string(),
            })?;
        let gpu = Gpu::open(instance, adapter).await?;
        let surface = CanvasSurface::configure(&gpu, surface, canvas.clone())?;
        Ok((gpu, surface))
    }

    /// A surface for another canvas on this device (WebGPU; on WebGL2 this fails with
    /// [`Error::SurfaceUnsupported`] because the device is bound to its first canvas).
    pub fn canvas_surface(&self, canvas: &HtmlCanvasElement) -> Result<CanvasSurface> {
        let surface = self
            .instance
            .create_surface(wgpu::SurfaceTarget::Canvas(canvas.clone()))
            .context(CreateSurfaceSnafu)?;
        CanvasSurface::configure(self, surface, canvas.clone())
    }
}

impl CanvasSurface {
    fn configure(
        gpu: &Gpu,
        surface: wgpu::Surface<'static>,
        canvas: HtmlCanvasElement,
    ) -> Result<Self> {
        let unsupported = || Error::SurfaceUnsupported {
            adapter: gpu.adapter.get_info().name,
        };
        if !gpu.adapter.is_surface_supported(&surface) {
            return Err(unsupported());
        }
        let caps = surface.get_capabilities(&gpu.adapter);
        // Display levels are bytes as computed: prefer a format without sRGB encoding (the shader compensates
        // when only sRGB is offered).
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| !f.is_srgb())
            .or_else(|| caps.formats.first().copied())
            .ok_or_else(unsupported)?;
        let alpha_mode = if caps.alpha_modes.contains(&wgpu::CompositeAlphaMode::Opaque) {
            wgpu::CompositeAlphaMode::Opaque
        } else {
            caps.alpha_modes
                .first()
                .copied()
                .unwrap_or(wgpu::CompositeAlphaMode::Auto)
        };
        let config = wgpu::SurfaceConfiguration {
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
            format,
            color_space: Default::default(),
            width: canvas.width().max(1),
            height: canvas.height().max(1),
            desired_maximum_frame_latency: 2,
            present_mode: wgpu::PresentMode::Fifo,
            alpha_mode,
            view_formats: vec![],
        };
        surface.configure(&gpu.device, &config);
        Ok(CanvasSurface {
            surface,
            config,
            canvas,
        })
    }

    /// The texture format frames of this canvas have (give it to [`Renderer::new`]).
    pub fn format(&self) -> wgpu::TextureFormat {
        self.config.format
    }

    /// Drawing buffer size in device pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.config.width, self.config.height)
    }

    /// The canvas element.
    pub fn canvas(&self) -> &HtmlCanvasElement {
        &self.canvas
    }

    /// Resize the drawing buffer to `width × height` device pixels (CSS size × devicePixelRatio), updating the
    /// canvas's attributes too. Zero sizes are raised to 1.
    pub fn resize(&mut self, gpu: &Gpu, width: u32, height: u32) {
        let max = gpu.device.limits().max_texture_dimension_2d;
        let (width, height) = (width.clamp(1, max), height.clamp(1, max));
        if (width, height) == (self.config.width, self.config.height) {
            return;
        }
        self.canvas.set_width(width);
        self.canvas.set_height(height);
        self.config.width = width;
        self.config.height = height;
        self.surface.configure(&gpu.device, &self.config);
    }

    /// The next frame to draw into; reconfigures once when the surface is outdated or lost. `Ok(None)` when the
    /// browser asks to skip this frame (timeout, hidden).
    pub fn next_frame(&mut self, gpu: &Gpu) -> Result<Option<wgpu::SurfaceTexture>> {
        for attempt in 0..2 {
            match self.surface.get_current_texture() {
                wgpu::CurrentSurfaceTexture::Success(frame)
                | wgpu::CurrentSurfaceTexture::Suboptimal(frame) => return Ok(Some(frame)),
                wgpu::CurrentSurfaceTexture::Timeout | wgpu::CurrentSurfaceTexture::Occluded => {
                    return Ok(None)
                }
                wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost
                    if attempt == 0 =>
                {
                    self.surface.configure(&gpu.device, &self.config);
                }
                other => {
                    return SurfaceFrameSnafu {
                        reason: format!("{other:?}"),
                    }
                    .fail();
                }
            }
        }
        SurfaceFrameSnafu {
            reason: "the surface stayed outdated after reconfiguring".to_string(),
        }
        .fail()
    }

    /// Draw one image over the whole canvas and present it. Returns `false` when the browser skipped the frame.
    pub fn draw(
        &mut self,
        gpu: &Gpu,
        renderer: &mut Renderer,
        image: &ImageTexture,
        params: &RenderParams,
    ) -> Result<bool> {
        let Some(frame) = self.next_frame(gpu)? else {
            return Ok(false);
        };
        let view = frame
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        renderer.render(&gpu.device, &gpu.queue, &view, None, image, params)?;
        gpu.queue.present(frame);
        Ok(true)
    }

    /// Draw several images into rectangles of this canvas (a viewport grid on one canvas; works on WebGL2 too),
    /// clearing the rest to black, and present.
    pub fn draw_viewports(
        &mut self,
        gpu: &Gpu,
        renderer: &mut Renderer,
        viewports: &[(ViewportRect, &ImageTexture, &RenderParams)],
    ) -> Result<bool> {
        self.draw_all(
            gpu,
            renderer,
            viewports.iter().map(|(r, i, p)| (*r, *i, *p, None)),
        )
    }

    /// [`CanvasSurface::draw_viewports`] with an optional segmentation overlay per viewport (see
    /// [`Renderer::render_with_overlay`]).
    pub fn draw_viewports_with_overlays(
        &mut self,
        gpu: &Gpu,
        renderer: &mut Renderer,
        viewports: &[ViewportDraw<'_>],
    ) -> Result<bool> {
        self.draw_all(gpu, renderer, viewports.iter().copied())
    }

    fn draw_all<'a>(
        &mut self,
        gpu: &Gpu,
        renderer: &mut Renderer,
        viewports: impl Iterator<Item = ViewportDraw<'a>>,
    ) -> Result<bool> {
        let Some(frame) = self.next_frame(gpu)? else {
            return Ok(false);
        };
        let view = frame
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        renderer.clear(&gpu.device, &gpu.queue, &view);
        for (rect, image, params, overlay) in viewports {
            renderer.render_with_overlay(
                &gpu.device,
                &gpu.queue,
                &view,
                Some(rect),
                image,
                params,
                overlay,
            )?;
        }
        gpu.queue.present(frame);
        Ok(true)
    }
}

/// One viewport of [`CanvasSurface::draw_viewports_with_overlays`]: where, which image, how, and the label
/// overlay drawn over it (if any).
pub type ViewportDraw<'a> = (
    ViewportRect,
    &'a ImageTexture,
    &'a RenderParams,
    Option<(&'a LabelOverlay, &'a OverlayParams)>,
);
