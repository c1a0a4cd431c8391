//! GPU-against-CPU tests of the viewport renderer: offscreen renders (Vulkan; Mesa's lavapipe on machines without
//! a GPU, Debian package `mesa-vulkan-drivers`) read back and compared with `lumen_dicom::display::render_frame`,
//! the CPU reference of the PS3.3 C.11 pipeline, within ±1 gray level; plus placement of a marker pixel under
//! rotation and flips. Without an adapter these tests fail with a message saying what to install, unless
//! `LUMEN_SKIP_GPU_TESTS=1` (then they print a skip line and pass). They must not test view math alone (unit
//! tests in `view.rs` do).

#![cfg(not(target_arch = "wasm32"))]

use lumen_dicom::display::{
    render_frame, DisplayParams, Lut, ModalityLut, Voi, VoiLutFunction, Window,
};
use lumen_dicom::{Frame, PhotometricInterpretation, Samples};
use lumen_render::offscreen::render_to_rgba8;
use lumen_render::{Gpu, ImageTexture, RenderParams, Renderer, Rotation, ViewTransform};

/// The shared GPU, or `None` when tests are told to skip. Panics with instructions when no adapter exists.
fn gpu(test: &str) -> Option<(Gpu, Renderer)> {
    if std::env::var("LUMEN_SKIP_GPU_TESTS").as_deref() == Ok("1") {
        println!("skipped {test}: LUMEN_SKIP_GPU_TESTS=1");
        return None;
    }
    let gpu = match futures::executor::block_on(Gpu::headless()) {
        Ok(gpu) => gpu,
        Err(e) => panic!(
            "{test}: no GPU adapter ({e}). Install a software Vulkan driver (Debian: apt-get install -y \
             mesa-vulkan-drivers libvulkan1) or set LUMEN_SKIP_GPU_TESTS=1 to skip GPU tests."
        ),
    };
    println!("{test}: rendering on {}", gpu.describe());
    let renderer = Renderer::new(
        &gpu.device,
        &gpu.queue,
        lumen_render::offscreen::OFFSCREEN_FORMAT,
    )
    .expect("the offscreen format is renderable");
    Some((gpu, renderer))
}

/// A 64×48 CT-like frame: 16-bit signed stored values sweeping −1024..3071 (HU −2048..2047 with intercept
/// −1024), so every window position sees many distinct values.
fn ct_frame() -> Frame {
    let (columns, rows) = (64u16, 48u16);
    let n = columns as usize * rows as usize;
    let samples: Vec<i16> = (0..n)
        .map(|i| (-1024 + (i as i64 * 4096 / n as i64)) as i16)
        .collect();
    Frame {
        index: 0,
        rows,
        columns,
        samples_per_pixel: 1,
        bits_stored: 16,
        signed: true,
        photometric_interpretation: PhotometricInterpretation::Monochrome2,
        samples: Samples::I16(samples),
    }
}

fn ct_display(voi: Voi, invert: bool) -> DisplayParams {
    DisplayParams {
        modality_lut: ModalityLut::Rescale {
            slope: 1.0,
            intercept: -1024.0,
            rescale_type: Some("HU".into()),
        },
        voi: Some(voi),
        invert,
        palette: None,
    }
}

/// Render `frame` 1:1 into a target of the frame's size and compare every pixel with the CPU, ±1.
fn assert_matches_cpu(test: &str, frame: &Frame, display: &DisplayParams) {
    let Some((gpu, mut renderer)) = gpu(test) else {
        return;
    };
    let image =
        ImageTexture::from_frame(&gpu.device, &gpu.queue, frame, display, None).expect("upload");
    let (w, h) = (frame.columns as u32, frame.rows as u32);
    let params = RenderParams::from_display(display, ViewTransform::default());
    let gpu_pixels = render_to_rgba8(
        &gpu.device,
        &gpu.queue,
        &mut renderer,
        w,
        h,
        &image,
        &params,
    )
    .expect("render");
    let cpu_pixels = render_frame(frame, display).expect("CPU render");
    assert_eq!(gpu_pixels.data.len(), cpu_pixels.data.len());
    let mut worst = (0i32, 0usize);
    for (i, (g, c)) in gpu_pixels.data.iter().zip(&cpu_pixels.data).enumerate() {
        let d = (*g as i32 - *c as i32).abs();
        if d > worst.0 {
            worst = (d, i);
        }
    }
    let i = worst.1;
    assert!(
        worst.0 <= 1,
        "{test}: pixel {} (byte {i}) differs by {}: GPU {} vs CPU {}",
        i / 4,
        worst.0,
        gpu_pixels.data[i],
        cpu_pixels.data[i]
    );
}

#[test]
fn linear_ct_window_matches_the_cpu_pipeline() {
    assert_matches_cpu(
        "linear window C 40 W 400",
        &ct_frame(),
        &ct_display(Voi::Window(Window::linear(40.0, 400.0)), false),
    );
}

#[test]
fn linear_exact_window_matches_the_cpu_pipeline() {
    let w = Window {
        function: VoiLutFunction::LinearExact,
        ..Window::linear(300.0, 1500.0)
    };
    assert_matches_cpu(
        "LINEAR_EXACT C 300 W 1500",
        &ct_frame(),
        &ct_display(Voi::Window(w), false),
    );
}

#[test]
fn sigmoid_window_matches_the_cpu_pipeline() {
    let w = Window {
        function: VoiLutFunction::Sigmoid,
        ..Window::linear(-600.0, 1200.0)
    };
    assert_matches_cpu(
        "SIGMOID C -600 W 1200",
        &ct_frame(),
        &ct_display(Voi::Window(w), false),
    );
}

#[test]
fn inverted_window_matches_the_cpu_pipeline() {
    // MONOCHROME1 / Presentation LUT Shape INVERSE.
    assert_matches_cpu(
        "inverted C 40 W 400",
        &ct_frame(),
        &ct_display(Voi::Window(Window::linear(40.0, 400.0)), true),
    );
}

#[test]
fn voi_lut_table_matches_the_cpu_pipeline() {
    // A 12-bit VOI LUT over HU −500..=1547 (2048 entries, a gamma-like curve).
    let entries: Vec<u16> = (0..2048u32)
        .map(|i| ((i as f64 / 2047.0).sqrt() * 4095.0).round() as u16)
        .collect();
    let lut = Lut {
        first_mapped: -500,
        bits_per_entry: 12,
        entries,
        explanation: None,
    };
    assert_matches_cpu(
        "VOI LUT table",
        &ct_frame(),
        &ct_display(Voi::Lut(lut), false),
    );
}

#[test]
fn ybr_full_colour_frame_matches_the_cpu_pipeline() {
    let (columns, rows) = (16u16, 8u16);
    let samples: Vec<u8> = (0..columns as usize * rows as usize)
        .flat_map(|i| [(i * 2) as u8, (255 - i) as u8, (i * 7 % 256) as u8])
        .collect();
    let frame = Frame {
        index: 0,
        rows,
        columns,
        samples_per_pixel: 3,
        bits_stored: 8,
        signed: false,
        photometric_interpretation: PhotometricInterpretation::YbrFull,
        samples: Samples::U8(samples),
    };
    let display = DisplayParams {
        modality_lut: ModalityLut::Identity,
        voi: None,
        invert: false,
        palette: None,
    };
    assert_matches_cpu("YBR_FULL colour", &frame, &display);
}

/// A 4×2 black image with one white marker pixel at (column 0, row 0), rendered at zoom 10 into 100×100 with
/// `rotation`/flips; returns the gray level at the centre of the 10×10 screen block around `screen`.
fn marker_level_at(
    gpu: &Gpu,
    renderer: &mut Renderer,
    view: ViewTransform,
    screen: (u32, u32),
) -> u8 {
    let mut values = vec![0.0f32; 8];
    values[0] = 100.0;
    let image = ImageTexture::from_modality_values(&gpu.device, &gpu.queue, 4, 2, &values, None)
        .expect("upload");
    let params = RenderParams {
        view,
        voi: Some(Voi::Window(Window {
            function: VoiLutFunction::LinearExact,
            ..Window::linear(50.0, 100.0)
        })),
        invert: false,
        smoothing: false,
    };
    let img = render_to_rgba8(&gpu.device, &gpu.queue, renderer, 100, 100, &image, &params)
        .expect("render");
    img.data[((screen.1 * 100 + screen.0) * 4) as usize]
}

#[test]
fn rotation_and_flips_move_the_marker_pixel_where_the_view_math_says() {
    let Some((gpu, mut renderer)) = gpu("marker placement") else {
        return;
    };
    // Upright: image spans x 30..70, y 40..60; the marker block is x 30..40, y 40..50 → centre (35, 45).
    let base = ViewTransform {
        zoom: 10.0,
        ..ViewTransform::default()
    };
    let cases = [
        (base, (35, 45)),
        // 90° clockwise: image spans x 40..60, y 30..70; the top-left pixel goes top-right: x 50..60, y 30..40.
        (
            ViewTransform {
                rotation: Rotation::Cw90,
                ..base
            },
            (55, 35),
        ),
        // then flipped horizontally: mirrored about x = 50 → x 40..50.
        (
            ViewTransform {
                rotation: Rotation::Cw90,
                flip_h: true,
                ..base
            },
            (45, 35),
        ),
        // 180°: bottom-right, x 60..70, y 50..60.
        (
            ViewTransform {
                rotation: Rotation::Cw180,
                ..base
            },
            (65, 55),
        ),
        // flipped vertically only: bottom-left, x 30..40, y 50..60.
        (
            ViewTransform {
                flip_v: true,
                ..base
            },
            (35, 55),
        ),
    ];
    for (view, (x, y)) in cases {
        assert_eq!(
            marker_level_at(&gpu, &mut renderer, view, (x, y)),
            255,
            "marker missing at ({x}, {y}) for {view:?}"
        );
        // and the opposite corner of the image is dark.
        let (ox, oy) = (100 - x, 100 - y);
        assert_eq!(
            marker_level_at(&gpu, &mut renderer, view, (ox, oy)),
            0,
            "unexpected light at ({ox}, {oy}) for {view:?}"
        );
    }
    // Outside the image: background black.
    assert_eq!(marker_level_at(&gpu, &mut renderer, base, (5, 5)), 0);
}

#[test]
fn smoothing_interpolates_between_pixel_centres() {
    let Some((gpu, mut renderer)) = gpu("smoothing") else {
        return;
    };
    // Two pixels 0 and 255 (LINEAR_EXACT C 127.5 W 255 is the identity), zoom 10 in a 20×10 target: screen
    // pixel centre x = 10.5 is image x 1.05, 0.55 of the way from the first centre (0.5) to the second (1.5).
    let image =
        ImageTexture::from_modality_values(&gpu.device, &gpu.queue, 2, 1, &[0.0, 255.0], None)
            .unwrap();
    let view = ViewTransform {
        zoom: 10.0,
        ..ViewTransform::default()
    };
    let window = Voi::Window(Window {
        function: VoiLutFunction::LinearExact,
        ..Window::linear(127.5, 255.0)
    });
    let mut params = RenderParams {
        view,
        voi: Some(window),
        invert: false,
        smoothing: true,
    };
    let smooth = render_to_rgba8(
        &gpu.device,
        &gpu.queue,
        &mut renderer,
        20,
        10,
        &image,
        &params,
    )
    .unwrap();
    let level = smooth.data[(5 * 20 + 10) * 4] as i32;
    assert!(
        (level - 140).abs() <= 1,
        "smoothed level {level}, expected 0.55 × 255 ≈ 140"
    );
    params.smoothing = false;
    let nearest = render_to_rgba8(
        &gpu.device,
        &gpu.queue,
        &mut renderer,
        20,
        10,
        &image,
        &params,
    )
    .unwrap();
    assert_eq!(nearest.data[(5 * 20 + 10) * 4], 255);
    assert_eq!(nearest.data[(5 * 20 + 9) * 4], 0);
}

#[test]
fn one_renderer_draws_several_viewports_into_one_target() {
    let Some((gpu, mut renderer)) = gpu("viewport grid") else {
        return;
    };
    let white =
        ImageTexture::from_modality_values(&gpu.device, &gpu.queue, 1, 1, &[1000.0], None).unwrap();
    let target = gpu
        .device
        .create_texture(&lumen_render::wgpu::TextureDescriptor {
            label: None,
            size: lumen_render::wgpu::Extent3d {
                width: 40,
                height: 20,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: lumen_render::wgpu::TextureDimension::D2,
            format: lumen_render::offscreen::OFFSCREEN_FORMAT,
            usage: lumen_render::wgpu::TextureUsages::RENDER_ATTACHMENT
                | lumen_render::wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
    let view = target.create_view(&Default::default());
    renderer.clear(&gpu.device, &gpu.queue, &view);
    let rect = lumen_render::ViewportRect {
        x: 20,
        y: 0,
        width: 20,
        height: 20,
    };
    let params = RenderParams {
        view: ViewTransform::fit(&white.geometry(), rect.size()),
        voi: Some(Voi::Window(Window::linear(0.0, 100.0))),
        invert: false,
        smoothing: false,
    };
    renderer
        .render(&gpu.device, &gpu.queue, &view, Some(rect), &white, &params)
        .unwrap();
    let img = lumen_render::offscreen::read_rgba8(&gpu.device, &gpu.queue, &target).unwrap();
    // Left half untouched (black), right half filled by the 1×1 white image fitted to 20×20.
    assert_eq!(img.data[(10 * 40 + 5) * 4], 0);
    assert_eq!(img.data[(10 * 40 + 30) * 4], 255);
    // A viewport outside the target is an error, not a GPU validation panic.
    let outside = lumen_render::ViewportRect {
        x: 30,
        y: 0,
        width: 20,
        height: 20,
    };
    assert!(renderer
        .render(
            &gpu.device,
            &gpu.queue,
            &view,
            Some(outside),
            &white,
            &params
        )
        .is_err());
}

#[test]
fn srgb_target_stores_the_same_levels_as_a_linear_one() {
    // Canvases may only offer sRGB formats; the shader pre-compensates the encoding so the stored bytes are
    // still the display levels. A 16×16 ramp 0..=255 through the identity window must read back as 0..=255.
    let Some((gpu, mut renderer)) = gpu("sRGB target") else {
        return;
    };
    let values: Vec<f32> = (0..256).map(|v| v as f32).collect();
    let image =
        ImageTexture::from_modality_values(&gpu.device, &gpu.queue, 16, 16, &values, None).unwrap();
    let target = gpu
        .device
        .create_texture(&lumen_render::wgpu::TextureDescriptor {
            label: None,
            size: lumen_render::wgpu::Extent3d {
                width: 16,
                height: 16,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: lumen_render::wgpu::TextureDimension::D2,
            format: lumen_render::wgpu::TextureFormat::Rgba8UnormSrgb,
            usage: lumen_render::wgpu::TextureUsages::RENDER_ATTACHMENT
                | lumen_render::wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
    let view = target.create_view(&Default::default());
    let identity = Window {
        function: VoiLutFunction::LinearExact,
        ..Window::linear(127.5, 255.0)
    };
    let params = RenderParams {
        view: ViewTransform::default(),
        voi: Some(Voi::Window(identity)),
        invert: false,
        smoothing: false,
    };
    renderer
        .render(&gpu.device, &gpu.queue, &view, None, &image, &params)
        .unwrap();
    let img = lumen_render::offscreen::read_rgba8(&gpu.device, &gpu.queue, &target).unwrap();
    for level in 0..256usize {
        let got = img.data[level * 4] as i32;
        assert!(
            (got - level as i32).abs() <= 1,
            "level {level} stored as {got} in an sRGB target"
        );
    }
}

#[test]
fn bad_pixel_buffers_are_refused_with_a_clear_error() {
    let Some((gpu, _renderer)) = gpu("bad input") else {
        return;
    };
    let short = ImageTexture::from_modality_values(&gpu.device, &gpu.queue, 4, 4, &[0.0; 15], None);
    let message = short.expect_err("15 values for 4×4").to_string();
    assert!(
        message.contains("expected 16") && message.contains("got 15"),
        "{message}"
    );
    let empty = ImageTexture::from_rgba8(&gpu.device, &gpu.queue, 0, 4, &[], None);
    assert!(empty.expect_err("0 columns").to_string().contains("empty"));
    let max = gpu.device.limits().max_texture_dimension_2d;
    let huge = ImageTexture::from_modality_values(&gpu.device, &gpu.queue, max + 1, 1, &[], None);
    assert!(huge
        .expect_err("too wide")
        .to_string()
        .contains("limited to"));
    // A frame whose sample buffer is shorter than Rows × Columns.
    let mut frame = ct_frame();
    frame.samples = Samples::I16(vec![0; 10]);
    let display = ct_display(Voi::Window(Window::linear(40.0, 400.0)), false);
    assert!(ImageTexture::from_frame(&gpu.device, &gpu.queue, &frame, &display, None).is_err());
}
