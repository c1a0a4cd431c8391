//! Browser tests of the canvas path (wasm32 only), in headless Chromium with SwiftShader for WebGPU (flags in
//! `webdriver.json`, from /work/shared/STACK-NOTES.md):
//!
//! ```sh
//! CHROMEDRIVER=/usr/bin/chromedriver CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test -p lumen-render --target wasm32-unknown-unknown --test browser
//! ```
//!
//! They pin that `BackendPreference::Auto` picks WebGPU where the browser has it and `WebGl2` forces WebGL2,
//! that both draw the window/level the CPU computes (read back from an offscreen texture), that both draw a
//! segmentation overlay (an `R8Uint` label map) with the same pixels, and that a WebGL2 canvas shows the drawn
//! pixels. They must not test view math (unit tests in `view.rs` do).

#![cfg(target_arch = "wasm32")]

use lumen_dicom::display::{Voi, VoiLutFunction, Window};
// openjp2 (via lumen-dicom) imports C malloc/free: link the shim or the module does not instantiate.
use lumen_render::web::BackendPreference;
use lumen_render::{
    wgpu, Gpu, GpuBackend, ImageTexture, LabelOverlay, LabelPalette, LabelSet, OverlayMode,
    OverlayParams, RenderParams, Renderer, ViewTransform,
};
use lumen_wasm_libc_shim as _;
use wasm_bindgen_test::*;
use web_sys::wasm_bindgen::JsCast;

wasm_bindgen_test_configure!(run_in_browser);

fn canvas(width: u32, height: u32) -> web_sys::HtmlCanvasElement {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let canvas: web_sys::HtmlCanvasElement = document
        .create_element("canvas")
        .expect("canvas")
        .dyn_into()
        .expect("an HtmlCanvasElement");
    canvas.set_width(width);
    canvas.set_height(height);
    document
        .body()
        .expect("body")
        .append_child(&canvas)
        .expect("append");
    canvas
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window()
            .expect("window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A 2×1 image of modality values 0 and 100 with LINEAR_EXACT C 50 W 100 (0 → 0, 100 → 255), drawn at 1:1
/// into a 2×1 `Rgba8Unorm` texture and read back without blocking.
async fn draw_and_read_back(gpu: &Gpu) -> Vec<u8> {
    let format = wgpu::TextureFormat::Rgba8Unorm;
    let mut renderer = Renderer::new(&gpu.device, &gpu.queue, format).expect("renderer");
    let image =
        ImageTexture::from_modality_values(&gpu.device, &gpu.queue, 2, 1, &[0.0, 100.0], None)
            .expect("upload");
    let window = Window {
        function: VoiLutFunction::LinearExact,
        ..Window::linear(50.0, 100.0)
    };
    let params = RenderParams {
        view: ViewTransform::default(),
        voi: Some(Voi::Window(window)),
        invert: false,
        smoothing: false,
    };
    let target = gpu.device.create_texture(&wgpu::TextureDescriptor {
        label: None,
        size: wgpu::Extent3d {
            width: 2,
            height: 1,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let view = target.create_view(&Default::default());
    renderer
        .render(&gpu.device, &gpu.queue, &view, None, &image, &params)
        .expect("render");
    read_back(gpu, &target).await
}

/// The pixels of an `Rgba8Unorm` texture (at most 64 columns), row by row, read back without blocking.
async fn read_back(gpu: &Gpu, target: &wgpu::Texture) -> Vec<u8> {
    let (width, height) = (target.width(), target.height());
    assert!(width <= 64);
    let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: 256 * height as u64,
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut encoder = gpu.device.create_command_encoder(&Default::default());
    encoder.copy_texture_to_buffer(
        target.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(256),
                rows_per_image: Some(height),
            },
        },
        target.size(),
    );
    gpu.queue.submit([encoder.finish()]);
    let (sender, mut receiver) = futures::channel::oneshot::channel();
    buffer.map_async(wgpu::MapMode::Read, .., move |r| {
        let _ = sender.send(r);
    });
    let mapped = loop {
        let _ = gpu.device.poll(wgpu::PollType::Poll);
        match receiver.try_recv() {
            Ok(Some(result)) => break result,
            Ok(None) => sleep_ms(10).await,
            Err(e) => panic!("read-back cancelled: {e}"),
        }
    };
    mapped.expect("buffer mapped");
    let mapped = buffer.get_mapped_range(..).expect("mapped range");
    mapped
        .chunks(256)
        .flat_map(|row| &row[..width as usize * 4])
        .copied()
        .collect()
}

/// A 3×2 image (modality 0 and 100 → levels 0 and 255) with the label map `0 1 2 / 2 1 0` (an odd width: rows of
/// one-byte labels are not 4-byte aligned) filled at opacity 0.25, label 1 red and label 2 blue, drawn 1:1 into
/// a 3×2 `Rgba8Unorm` texture and read back.
async fn draw_overlay_and_read_back(gpu: &Gpu) -> Vec<u8> {
    let format = wgpu::TextureFormat::Rgba8Unorm;
    let mut renderer = Renderer::new(&gpu.device, &gpu.queue, format).expect("renderer");
    let image = ImageTexture::from_modality_values(
        &gpu.device,
        &gpu.queue,
        3,
        2,
        &[0.0, 100.0, 0.0, 100.0, 0.0, 100.0],
        None,
    )
    .expect("upload");
    let labels =
        LabelOverlay::new(&gpu.device, &gpu.queue, 3, 2, &[0, 1, 2, 2, 1, 0]).expect("labels");
    let overlay = OverlayParams {
        opacity: 0.25,
        mode: OverlayMode::Fill,
        palette: LabelPalette::with_colours(&[(1, [255, 0, 0]), (2, [0, 0, 255])]),
        visible: LabelSet::all(),
    };
    let window = Window {
        function: VoiLutFunction::LinearExact,
        ..Window::linear(50.0, 100.0)
    };
    let params = RenderParams {
        view: ViewTransform::default(),
        voi: Some(Voi::Window(window)),
        invert: false,
        smoothing: false,
    };
    let target = gpu.device.create_texture(&wgpu::TextureDescriptor {
        label: None,
        size: wgpu::Extent3d {
            width: 3,
            height: 2,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let view = target.create_view(&Default::default());
    renderer
        .render_with_overlay(
            &gpu.device,
            &gpu.queue,
            &view,
            None,
            &image,
            &params,
            Some((&labels, &overlay)),
        )
        .expect("render");
    read_back(gpu, &target).await
}

/// What `draw_overlay_and_read_back` must show: mix(level, colour, 0.25) rounded, label 0 untouched.
const OVERLAY_PIXELS: [u8; 24] = [
    0, 0, 0, 255, // level 0, no label
    255, 191, 191, 255, // level 255, red: 255·0.75 + 0·0.25 = 191.25
    0, 0, 64, 255, // level 0, blue: 0·0.75 + 255·0.25 = 63.75
    191, 191, 255, 255, // level 255, blue
    64, 0, 0, 255, // level 0, red
    255, 255, 255, 255, // level 255, no label
];

#[wasm_bindgen_test]
async fn auto_prefers_webgpu_and_draws_the_window() {
    let canvas = canvas(32, 32);
    let (gpu, _surface) = Gpu::for_canvas(&canvas, BackendPreference::Auto)
        .await
        .expect("a GPU for the canvas");
    assert_eq!(
        gpu.backend,
        GpuBackend::WebGpu,
        "Chromium with --enable-unsafe-webgpu offers WebGPU ({})",
        gpu.describe()
    );
    assert_eq!(gpu.backend.as_str(), "webgpu");
    assert_eq!(
        draw_and_read_back(&gpu).await,
        vec![0, 0, 0, 255, 255, 255, 255, 255]
    );
}

#[wasm_bindgen_test]
async fn webgpu_and_webgl2_draw_the_same_label_overlay() {
    // The label map is an R8Uint texture read with textureLoad: it must work on both browser backends.
    let mut backends = Vec::new();
    for preference in [BackendPreference::Auto, BackendPreference::WebGl2] {
        let canvas = canvas(8, 8);
        let (gpu, _surface) = Gpu::for_canvas(&canvas, preference)
            .await
            .expect("a GPU for the canvas");
        backends.push(gpu.backend.as_str());
        assert_eq!(
            draw_overlay_and_read_back(&gpu).await,
            OVERLAY_PIXELS.to_vec(),
            "overlay on {}",
            gpu.backend
        );
    }
    assert_eq!(backends, ["webgpu", "webgl2"]);
}

#[wasm_bindgen_test]
async fn forced_webgl2_draws_the_window() {
    let canvas = canvas(32, 32);
    let (gpu, _surface) = Gpu::for_canvas(&canvas, BackendPreference::WebGl2)
        .await
        .expect("a WebGL2 GPU");
    assert_eq!(gpu.backend.as_str(), "webgl2");
    assert_eq!(
        draw_and_read_back(&gpu).await,
        vec![0, 0, 0, 255, 255, 255, 255, 255]
    );
}

#[wasm_bindgen_test]
async fn webgl2_canvas_shows_the_drawn_image() {
    // 2×1 image (0, 100) fitted into a 40×20 canvas: left half black, right half white.
    let canvas = canvas(40, 20);
    let (gpu, mut surface) = Gpu::for_canvas(&canvas, BackendPreference::WebGl2)
        .await
        .expect("a WebGL2 GPU");
    let mut renderer = Renderer::new(&gpu.device, &gpu.queue, surface.format()).expect("renderer");
    let image =
        ImageTexture::from_modality_values(&gpu.device, &gpu.queue, 2, 1, &[0.0, 100.0], None)
            .expect("upload");
    let window = Window {
        function: VoiLutFunction::LinearExact,
        ..Window::linear(50.0, 100.0)
    };
    let params = RenderParams {
        view: ViewTransform::fit(&image.geometry(), [40.0, 20.0]),
        voi: Some(Voi::Window(window)),
        invert: true,
        smoothing: false,
    };
    assert!(surface
        .draw(&gpu, &mut renderer, &image, &params)
        .expect("draw"));
    // Copy the WebGL canvas into a 2D canvas in the same task (before the drawing buffer is discarded).
    let copy = self::canvas(40, 20);
    let ctx: web_sys::CanvasRenderingContext2d = copy
        .get_context("2d")
        .expect("2d")
        .expect("2d context")
        .dyn_into()
        .expect("2d context type");
    ctx.draw_image_with_html_canvas_element(&canvas, 0.0, 0.0)
        .expect("drawImage");
    let pixels = ctx
        .get_image_data(0.0, 0.0, 40.0, 20.0)
        .expect("image data")
        .data()
        .0;
    let at = |x: usize, y: usize| pixels[(y * 40 + x) * 4];
    // Inverted: the 0 pixel is white, the 100 pixel black.
    assert_eq!((at(10, 10), at(30, 10)), (255, 0));
}

#[wasm_bindgen_test]
async fn webgl2_canvas_holds_a_grid_of_viewports() {
    // One WebGL2 canvas, two 20×20 viewports side by side: a white image left, a black one right.
    let canvas = canvas(40, 20);
    let (gpu, mut surface) = Gpu::for_canvas(&canvas, BackendPreference::WebGl2)
        .await
        .expect("a WebGL2 GPU");
    let mut renderer = Renderer::new(&gpu.device, &gpu.queue, surface.format()).expect("renderer");
    let white = ImageTexture::from_modality_values(&gpu.device, &gpu.queue, 1, 1, &[100.0], None)
        .expect("upload");
    let black = ImageTexture::from_modality_values(&gpu.device, &gpu.queue, 1, 1, &[0.0], None)
        .expect("upload");
    let window = Window {
        function: VoiLutFunction::LinearExact,
        ..Window::linear(50.0, 100.0)
    };
    let left = lumen_render::ViewportRect {
        x: 0,
        y: 0,
        width: 20,
        height: 20,
    };
    let right = lumen_render::ViewportRect {
        x: 20,
        y: 0,
        width: 20,
        height: 20,
    };
    let params = RenderParams {
        view: ViewTransform::fit(&white.geometry(), left.size()),
        voi: Some(Voi::Window(window)),
        invert: false,
        smoothing: false,
    };
    let drawn = surface
        .draw_viewports(
            &gpu,
            &mut renderer,
            &[(left, &white, &params), (right, &black, &params)],
        )
        .expect("draw");
    assert!(drawn);
    let copy = self::canvas(40, 20);
    let ctx: web_sys::CanvasRenderingContext2d = copy
        .get_context("2d")
        .expect("2d")
        .expect("2d context")
        .dyn_into()
        .expect("2d context type");
    ctx.draw_image_with_html_canvas_element(&canvas, 0.0, 0.0)
        .expect("drawImage");
    let pixels = ctx
        .get_image_data(0.0, 0.0, 40.0, 20.0)
        .expect("image data")
        .data()
        .0;
    let at = |x: usize, y: usize| pixels[(y * 40 + x) * 4];
    assert_eq!((at(10, 10), at(30, 10)), (255, 0));
}
