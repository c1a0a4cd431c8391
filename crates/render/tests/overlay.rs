//! GPU tests of segmentation overlays: a 32×32 image with a disc of label 1, a square of label 2 touching it and
//! a block of label 3 in the image's top-right corner, drawn zoomed, panned, rotated and flipped offscreen
//! (Vulkan; lavapipe without a GPU) and compared pixel by pixel with the overlay formula evaluated on the CPU
//! over the same render without overlay: fill = round(mix(level, label colour, opacity)) ±1, outline = label
//! colour on label boundaries, everything else byte-identical. Without an adapter these tests fail with a
//! message saying what to install, unless `LUMEN_SKIP_GPU_TESTS=1`. They must not test view math alone (unit
//! tests in `view.rs` do).

#![cfg(not(target_arch = "wasm32"))]

use lumen_dicom::display::{Voi, VoiLutFunction, Window};
use lumen_render::offscreen::{render_to_rgba8, render_with_overlay_to_rgba8};
use lumen_render::{
    wgpu, Gpu, ImageTexture, LabelOverlay, LabelPalette, LabelSet, OverlayMode, OverlayParams,
    RenderParams, Renderer, Rotation, ViewTransform,
};

const N: u32 = 32;
const TARGET: (u32, u32) = (130, 120);

/// The GPU, or `None` when tests are told to skip. Panics with instructions when no adapter exists.
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
    let renderer = Renderer::new(
        &gpu.device,
        &gpu.queue,
        lumen_render::offscreen::OFFSCREEN_FORMAT,
    )
    .expect("the offscreen format is renderable");
    Some((gpu, renderer))
}

/// Label 1: a disc of radius 7 around (18, 14); label 2: the square columns 4..=11, rows 18..=27 (drawn over
/// the disc where they meet, so the two labels share a border); label 3: columns 26..=31, rows 0..=3 (touching
/// the image's top and right edges).
fn label_map() -> Vec<u8> {
    let mut labels = vec![0u8; (N * N) as usize];
    for row in 0..N as usize {
        for col in 0..N as usize {
            let (dx, dy) = (col as f64 + 0.5 - 18.0, row as f64 + 0.5 - 14.0);
            let label = if (4..=11).contains(&col) && (18..=27).contains(&row) {
                2
            } else if dx * dx + dy * dy <= 49.0 {
                1
            } else if col >= 26 && row <= 3 {
                3
            } else {
                0
            };
            labels[row * N as usize + col] = label;
        }
    }
    labels
}

fn palette() -> LabelPalette {
    LabelPalette::with_colours(&[(1, [255, 40, 0]), (2, [0, 90, 255]), (3, [20, 220, 60])])
}

/// A grey ramp (modality values col × 8 + row × 3 through LINEAR_EXACT C 170 W 340) or, with `colour`, an RGB
/// pattern: every pixel has its own level so misplaced labels show.
fn image(gpu: &Gpu, colour: bool) -> ImageTexture {
    if colour {
        let rgba: Vec<u8> = (0..N * N)
            .flat_map(|i| {
                let (c, r) = (i % N, i / N);
                [
                    (c * 7 + 10) as u8,
                    (r * 6 + 30) as u8,
                    ((c + r) * 3) as u8,
                    255,
                ]
            })
            .collect();
        ImageTexture::from_rgba8(&gpu.device, &gpu.queue, N, N, &rgba, None).expect("upload")
    } else {
        let values: Vec<f32> = (0..N * N)
            .map(|i| ((i % N) * 8 + (i / N) * 3) as f32)
            .collect();
        ImageTexture::from_modality_values(&gpu.device, &gpu.queue, N, N, &values, None)
            .expect("upload")
    }
}

/// Zoom 3.5, panned, turned 90° clockwise and mirrored left–right.
fn view() -> ViewTransform {
    ViewTransform {
        zoom: 3.5,
        pan: [3.25, -5.5],
        rotation: Rotation::Cw90,
        flip_h: true,
        flip_v: false,
    }
}

fn params(smoothing: bool) -> RenderParams {
    RenderParams {
        view: view(),
        voi: Some(Voi::Window(Window {
            function: VoiLutFunction::LinearExact,
            ..Window::linear(170.0, 340.0)
        })),
        invert: false,
        smoothing,
    }
}

fn draw(
    gpu: &Gpu,
    renderer: &mut Renderer,
    image: &ImageTexture,
    smoothing: bool,
    overlay: Option<(&LabelOverlay, &OverlayParams)>,
) -> Vec<u8> {
    render_with_overlay_to_rgba8(
        &gpu.device,
        &gpu.queue,
        renderer,
        TARGET.0,
        TARGET.1,
        image,
        &params(smoothing),
        overlay,
    )
    .expect("render")
    .data
}

/// What lies under a screen pixel's centre.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Under {
    /// Image pixel (column, row).
    Pixel(usize, usize),
    /// Within 0.01 image pixel of a pixel edge: GPU and CPU may round to either side.
    Edge,
    /// Outside the image (background).
    Outside,
}

/// What lies under each screen pixel's centre, row by row.
fn pixel_under_each_screen_pixel() -> Vec<Under> {
    let geometry = lumen_render::ImageGeometry::new(N, N);
    let affine = view()
        .screen_to_image_affine(&geometry, [TARGET.0 as f64, TARGET.1 as f64])
        .expect("invertible view");
    let mut out = Vec::new();
    for y in 0..TARGET.1 {
        for x in 0..TARGET.0 {
            let [px, py] = affine.apply([x as f64 + 0.5, y as f64 + 0.5]);
            let near_edge = |v: f64| (v - v.round()).abs() < 0.01;
            let inside = px > 0.0 && py > 0.0 && px < N as f64 && py < N as f64;
            out.push(if near_edge(px) || near_edge(py) {
                Under::Edge
            } else if inside {
                Under::Pixel(px.floor() as usize, py.floor() as usize)
            } else {
                Under::Outside
            });
        }
    }
    out
}

/// Whether image pixel (col, row) has a 4-neighbour inside the image with another label.
fn on_boundary(labels: &[u8], col: usize, row: usize) -> bool {
    let n = N as usize;
    let l = labels[row * n + col];
    let differs = |c: usize, r: usize| labels[r * n + c] != l;
    (col > 0 && differs(col - 1, row))
        || (col + 1 < n && differs(col + 1, row))
        || (row > 0 && differs(col, row - 1))
        || (row + 1 < n && differs(col, row + 1))
}

/// `mix(level, colour, opacity)` rounded to the 8-bit level: the overlay fill of one channel.
fn mixed(level: u8, colour: u8, opacity: f32) -> u8 {
    (level as f32 * (1.0 - opacity) + colour as f32 * opacity).round() as u8
}

/// What one screen pixel must show.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Byte-identical to the render without overlay.
    Unchanged,
    /// The fill: within ±1 of `mixed` per channel.
    Fill([u8; 3]),
    /// Exactly this colour (outline).
    Exactly([u8; 3]),
}

/// Compare `got` with `base` (no overlay) screen pixel by screen pixel, `rule` saying what each image pixel
/// (column, row, label) must show given its colour without overlay. Returns how many screen pixels fell in each
/// case (unchanged, fill, exact) so callers can make sure each case was actually seen.
fn check(
    test: &str,
    base: &[u8],
    got: &[u8],
    labels: &[u8],
    rule: impl Fn(usize, usize, u8, [u8; 3]) -> Expect,
) -> [usize; 3] {
    let mut counts = [0; 3];
    for (i, under) in pixel_under_each_screen_pixel().into_iter().enumerate() {
        let (b, g) = (&base[i * 4..i * 4 + 4], &got[i * 4..i * 4 + 4]);
        let (x, y) = (i as u32 % TARGET.0, i as u32 / TARGET.0);
        let expect = match under {
            Under::Pixel(col, row) => {
                rule(col, row, labels[row * N as usize + col], [b[0], b[1], b[2]])
            }
            Under::Outside => Expect::Unchanged,
            // Near a pixel edge: either neighbour's outcome is acceptable, but the pixel must stay opaque.
            Under::Edge => {
                assert_eq!(g[3], 255, "{test}: screen ({x}, {y}) alpha");
                continue;
            }
        };
        match expect {
            Expect::Unchanged => {
                counts[0] += 1;
                assert_eq!(g, b, "{test}: screen ({x}, {y}) at image {under:?} changed");
            }
            Expect::Fill(want) => {
                counts[1] += 1;
                for ch in 0..3 {
                    assert!(
                        (g[ch] as i32 - want[ch] as i32).abs() <= 1,
                        "{test}: screen ({x}, {y}) at image {under:?}: got {g:?}, expected fill {want:?} over {b:?}"
                    );
                }
                assert_eq!(g[3], 255);
            }
            Expect::Exactly(want) => {
                counts[2] += 1;
                assert_eq!(
                    [g[0], g[1], g[2], g[3]],
                    [want[0], want[1], want[2], 255],
                    "{test}: screen ({x}, {y}) at image {under:?} should be the outline colour"
                );
            }
        }
    }
    counts
}

fn overlay_params(opacity: f32, mode: OverlayMode, visible: LabelSet) -> OverlayParams {
    OverlayParams {
        opacity,
        mode,
        palette: palette(),
        visible,
    }
}

fn fill_of(base: [u8; 3], colour: [u8; 3], opacity: f32) -> [u8; 3] {
    [
        mixed(base[0], colour[0], opacity),
        mixed(base[1], colour[1], opacity),
        mixed(base[2], colour[2], opacity),
    ]
}

#[test]
fn fill_mixes_each_label_colour_where_the_view_puts_the_label() {
    let Some((gpu, mut renderer)) = gpu("overlay fill") else {
        return;
    };
    let labels = label_map();
    let overlay = LabelOverlay::new(&gpu.device, &gpu.queue, N, N, &labels).expect("labels");
    let pal = palette();
    for colour in [false, true] {
        let test = if colour {
            "fill on RGB"
        } else {
            "fill on grey"
        };
        let image = image(&gpu, colour);
        let base = draw(&gpu, &mut renderer, &image, false, None);
        let p = overlay_params(0.6, OverlayMode::Fill, LabelSet::all());
        let got = draw(&gpu, &mut renderer, &image, false, Some((&overlay, &p)));
        let counts = check(test, &base, &got, &labels, |_, _, l, b| match l {
            0 => Expect::Unchanged,
            l => Expect::Fill(fill_of(b, pal.colour(l), 0.6)),
        });
        assert!(counts[0] > 3000 && counts[1] > 2000, "{test}: {counts:?}");

        // Hand-picked: the disc's centre pixel (18, 14) and the square's (8, 23) on screen.
        let geometry = image.geometry();
        for ((col, row), l) in [((18.0, 14.0), 1), ((8.0, 23.0), 2)] {
            let [sx, sy] = view().image_to_screen(
                &geometry,
                [TARGET.0 as f64, TARGET.1 as f64],
                [col + 0.5, row + 0.5],
            );
            let i = (sy as usize * TARGET.0 as usize + sx as usize) * 4;
            let want = fill_of([base[i], base[i + 1], base[i + 2]], pal.colour(l), 0.6);
            assert_ne!(want, [base[i], base[i + 1], base[i + 2]]);
            for ch in 0..3 {
                assert!(
                    (got[i + ch] as i32 - want[ch] as i32).abs() <= 1,
                    "{test}: label {l} centre at screen ({sx:.0}, {sy:.0}): got {:?}, expected {want:?}",
                    &got[i..i + 3]
                );
            }
        }
    }
}

#[test]
fn outline_draws_only_label_boundaries_at_full_opacity() {
    let Some((gpu, mut renderer)) = gpu("overlay outline") else {
        return;
    };
    let labels = label_map();
    let overlay = LabelOverlay::new(&gpu.device, &gpu.queue, N, N, &labels).expect("labels");
    let pal = palette();
    let image = image(&gpu, false);
    let base = draw(&gpu, &mut renderer, &image, false, None);

    let p = overlay_params(0.6, OverlayMode::Outline, LabelSet::all());
    let got = draw(&gpu, &mut renderer, &image, false, Some((&overlay, &p)));
    let counts = check("outline", &base, &got, &labels, |c, r, l, _| {
        if l != 0 && on_boundary(&labels, c, r) {
            Expect::Exactly(pal.colour(l))
        } else {
            Expect::Unchanged
        }
    });
    assert!(counts[0] > 3000 && counts[2] > 500, "outline: {counts:?}");

    let p = overlay_params(0.25, OverlayMode::FillAndOutline, LabelSet::all());
    let got = draw(&gpu, &mut renderer, &image, false, Some((&overlay, &p)));
    let counts = check("fill+outline", &base, &got, &labels, |c, r, l, b| {
        if l == 0 {
            Expect::Unchanged
        } else if on_boundary(&labels, c, r) {
            Expect::Exactly(pal.colour(l))
        } else {
            Expect::Fill(fill_of(b, pal.colour(l), 0.25))
        }
    });
    assert!(
        counts[0] > 3000 && counts[1] > 1000 && counts[2] > 500,
        "fill+outline: {counts:?}"
    );

    // Labels are the nearest pixel's also when the image is smoothed: outlines stay on whole image pixels.
    let base = draw(&gpu, &mut renderer, &image, true, None);
    let p = overlay_params(0.6, OverlayMode::Outline, LabelSet::all());
    let got = draw(&gpu, &mut renderer, &image, true, Some((&overlay, &p)));
    check(
        "outline over smoothed image",
        &base,
        &got,
        &labels,
        |c, r, l, _| {
            if l != 0 && on_boundary(&labels, c, r) {
                Expect::Exactly(pal.colour(l))
            } else {
                Expect::Unchanged
            }
        },
    );
}

#[test]
fn hidden_labels_zero_opacity_and_empty_maps_leave_the_image_unchanged() {
    let Some((gpu, mut renderer)) = gpu("overlay visibility") else {
        return;
    };
    let labels = label_map();
    let overlay = LabelOverlay::new(&gpu.device, &gpu.queue, N, N, &labels).expect("labels");
    let pal = palette();
    let image = image(&gpu, false);
    let base = draw(&gpu, &mut renderer, &image, false, None);

    // Label 1 hidden (in fill+outline): its pixels are untouched, label 2's still drawn.
    let p = overlay_params(0.5, OverlayMode::FillAndOutline, LabelSet::all().without(1));
    let got = draw(&gpu, &mut renderer, &image, false, Some((&overlay, &p)));
    let counts = check("label 1 hidden", &base, &got, &labels, |c, r, l, b| {
        if l == 0 || l == 1 {
            Expect::Unchanged
        } else if on_boundary(&labels, c, r) {
            Expect::Exactly(pal.colour(l))
        } else {
            Expect::Fill(fill_of(b, pal.colour(l), 0.5))
        }
    });
    assert!(
        counts[1] > 100 && counts[2] > 100,
        "label 1 hidden: {counts:?}"
    );

    // Opacity 0 fill, no visible label, and a map without labels: every byte as without overlay.
    let empty = LabelOverlay::new(&gpu.device, &gpu.queue, N, N, &vec![0; (N * N) as usize])
        .expect("labels");
    let cases = [
        (
            &overlay,
            overlay_params(0.0, OverlayMode::Fill, LabelSet::all()),
        ),
        (
            &overlay,
            overlay_params(1.0, OverlayMode::FillAndOutline, LabelSet::none()),
        ),
        (
            &empty,
            overlay_params(1.0, OverlayMode::FillAndOutline, LabelSet::all()),
        ),
    ];
    for (labels, p) in &cases {
        let got = draw(&gpu, &mut renderer, &image, false, Some((labels, p)));
        assert!(got == base, "{p:?} changed the image");
    }

    // Opacity 1 fill is the label colour itself; updating the map to empty removes it.
    let p = overlay_params(1.0, OverlayMode::Fill, LabelSet::all());
    let got = draw(&gpu, &mut renderer, &image, false, Some((&overlay, &p)));
    check("opacity 1", &base, &got, &labels, |_, _, l, _| match l {
        0 => Expect::Unchanged,
        l => Expect::Exactly(pal.colour(l)),
    });
    overlay
        .update(&gpu.queue, &vec![0; (N * N) as usize])
        .expect("same size");
    let got = draw(&gpu, &mut renderer, &image, false, Some((&overlay, &p)));
    assert!(got == base, "an updated empty map still draws labels");
}

#[test]
fn no_overlay_renders_exactly_what_render_draws() {
    // `render` and `render_with_overlay(None)` (and the offscreen helpers) are the same pixels, smoothing or not.
    let Some((gpu, mut renderer)) = gpu("no overlay") else {
        return;
    };
    let image = image(&gpu, false);
    for smoothing in [false, true] {
        let plain = render_to_rgba8(
            &gpu.device,
            &gpu.queue,
            &mut renderer,
            TARGET.0,
            TARGET.1,
            &image,
            &params(smoothing),
        )
        .expect("render")
        .data;
        // Drawing an overlay in between must leave no state behind.
        let labels = LabelOverlay::new(&gpu.device, &gpu.queue, N, N, &label_map()).unwrap();
        let p = OverlayParams::default();
        draw(&gpu, &mut renderer, &image, smoothing, Some((&labels, &p)));
        assert!(plain == draw(&gpu, &mut renderer, &image, smoothing, None));
    }
}

#[test]
fn overlay_on_an_srgb_target_stores_the_same_levels() {
    let Some((gpu, mut renderer)) = gpu("overlay sRGB") else {
        return;
    };
    let labels = label_map();
    let overlay = LabelOverlay::new(&gpu.device, &gpu.queue, N, N, &labels).expect("labels");
    let image = image(&gpu, true);
    let p = overlay_params(0.6, OverlayMode::FillAndOutline, LabelSet::all());
    let linear = draw(&gpu, &mut renderer, &image, false, Some((&overlay, &p)));
    let target = gpu.device.create_texture(&wgpu::TextureDescriptor {
        label: None,
        size: wgpu::Extent3d {
            width: TARGET.0,
            height: TARGET.1,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8UnormSrgb,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let view = target.create_view(&Default::default());
    renderer.clear(&gpu.device, &gpu.queue, &view);
    renderer
        .render_with_overlay(
            &gpu.device,
            &gpu.queue,
            &view,
            None,
            &image,
            &params(false),
            Some((&overlay, &p)),
        )
        .expect("render");
    let srgb = lumen_render::offscreen::read_rgba8(&gpu.device, &gpu.queue, &target).unwrap();
    let worst = linear
        .iter()
        .zip(&srgb.data)
        .map(|(a, b)| (*a as i32 - *b as i32).abs())
        .max();
    assert!(worst <= Some(1), "sRGB target differs by {worst:?}");
}

#[test]
fn mismatched_label_maps_and_bad_opacity_are_clear_errors() {
    let Some((gpu, mut renderer)) = gpu("overlay bad input") else {
        return;
    };
    let short = LabelOverlay::new(&gpu.device, &gpu.queue, N, N, &[0; 1000]);
    let message = short.expect_err("1000 labels for 32×32").to_string();
    assert!(
        message.contains("label map")
            && message.contains("expected 1024")
            && message.contains("got 1000"),
        "{message}"
    );
    assert!(LabelOverlay::new(&gpu.device, &gpu.queue, 0, N, &[])
        .expect_err("empty")
        .to_string()
        .contains("empty"));
    let max = gpu.device.limits().max_texture_dimension_2d;
    assert!(LabelOverlay::new(&gpu.device, &gpu.queue, max + 1, 1, &[])
        .expect_err("too wide")
        .to_string()
        .contains("limited to"));

    let image = image(&gpu, false);
    let small = LabelOverlay::new(&gpu.device, &gpu.queue, 16, 16, &[1; 256]).expect("16×16");
    assert!(small
        .update(&gpu.queue, &[1; 1024])
        .expect_err("1024 labels for 16×16")
        .to_string()
        .contains("expected 256"));
    let p = OverlayParams::default();
    let message = renderer
        .render_with_overlay(
            &gpu.device,
            &gpu.queue,
            &gpu.device
                .create_texture(&wgpu::TextureDescriptor {
                    label: None,
                    size: wgpu::Extent3d {
                        width: 8,
                        height: 8,
                        depth_or_array_layers: 1,
                    },
                    mip_level_count: 1,
                    sample_count: 1,
                    dimension: wgpu::TextureDimension::D2,
                    format: lumen_render::offscreen::OFFSCREEN_FORMAT,
                    usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
                    view_formats: &[],
                })
                .create_view(&Default::default()),
            None,
            &image,
            &params(false),
            Some((&small, &p)),
        )
        .expect_err("16×16 labels over a 32×32 image")
        .to_string();
    assert!(
        message.contains("16×16") && message.contains("32×32"),
        "{message}"
    );

    let labels = LabelOverlay::new(&gpu.device, &gpu.queue, N, N, &label_map()).unwrap();
    let nan = OverlayParams {
        opacity: f32::NAN,
        ..OverlayParams::default()
    };
    let result = render_with_overlay_to_rgba8(
        &gpu.device,
        &gpu.queue,
        &mut renderer,
        8,
        8,
        &image,
        &params(false),
        Some((&labels, &nan)),
    );
    assert!(result
        .expect_err("NaN opacity")
        .to_string()
        .contains("opacity"));
}
