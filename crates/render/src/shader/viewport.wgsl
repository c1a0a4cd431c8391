// Window/level (VOI LUT) and presentation shader of the Lumen viewport. A full-viewport triangle; each fragment
// maps its screen position through the inverse view transform to image coordinates, fetches the modality value
// (or RGB colour) with textureLoad (nearest, or bilinear from four loads: float textures are not filterable
// everywhere), applies the VOI LUT of PS3.3 C.11.2 (LINEAR C.11.2.1.2.1, LINEAR_EXACT C.11.2.1.3.2, SIGMOID
// C.11.2.1.3.1, or a VOI LUT table), inverts for MONOCHROME1 / Presentation LUT Shape INVERSE / the user's
// invert, and rounds to the 8-bit level exactly as lumen-dicom's CPU pipeline does. Outside the image: black.
// A segmentation overlay (label map, one u32 label per image pixel, nearest pixel) is then mixed into those 8-bit
// levels: fill = round(mix(level, label colour, opacity)), outline = label colour on pixels whose label differs from
// a 4-neighbour inside the image. With the overlay off the output is exactly the image's.
// This shader must not apply the Modality LUT (modality values are uploaded) nor know about DICOM attributes.

struct Params {
    // Screen (viewport device pixels) → image coordinates (pixel units, origin at the first pixel's corner).
    screen_to_image: mat3x3<f32>,
    // image columns, image rows, viewport x and y inside the target (device pixels).
    image_and_origin: vec4<f32>,
    // Window Center, Window Width, VOI LUT first mapped value, (unused).
    window: vec4<f32>,
    // VOI function (0 LINEAR, 1 LINEAR_EXACT, 2 SIGMOID, 3 VOI LUT table, 4 none/colour), flags, VOI LUT entries,
    // VOI LUT texture width.
    mode: vec4<u32>,
    // Overlay: mode bits (0 off, 1 fill, 2 outline, 3 both), (unused)×3.
    overlay: vec4<u32>,
    // Overlay fill opacity 0..1, (unused)×3.
    overlay_opacity: vec4<f32>,
    // Label colours, four labels per vec4: word r | g << 8 | b << 16 | shown << 24 (label 0 always 0).
    palette: array<vec4<u32>, 64>,
};

const FLAG_INVERT: u32 = 1u;
const FLAG_SMOOTH: u32 = 2u;
const FLAG_COLOUR: u32 = 4u;
const FLAG_SRGB_TARGET: u32 = 8u;
const OVERLAY_FILL: u32 = 1u;
const OVERLAY_OUTLINE: u32 = 2u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var image: texture_2d<f32>;
@group(0) @binding(2) var voi_lut: texture_2d<f32>;
@group(0) @binding(3) var labels: texture_2d<u32>;

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    // One triangle covering the viewport: (-1,-1), (3,-1), (-1,3).
    let x = f32(i32(index & 1u) * 4 - 1);
    let y = f32(i32(index >> 1u) * 4 - 1);
    return vec4<f32>(x, y, 0.0, 1.0);
}

fn texel(c: vec2<i32>) -> vec4<f32> {
    let size = vec2<i32>(params.image_and_origin.xy);
    return textureLoad(image, clamp(c, vec2<i32>(0, 0), size - vec2<i32>(1, 1)), 0);
}

// Half away from zero, as Rust's f64::round (used by lumen-dicom).
fn round_half_away(x: f32) -> f32 {
    return sign(x) * floor(abs(x) + 0.5);
}

// Modality value x → display level 0..255 (not rounded).
fn voi(x: f32) -> f32 {
    let c = params.window.x;
    let w = params.window.y;
    var y = x;
    switch params.mode.x {
        case 0u: {
            if x <= c - 0.5 - (w - 1.0) / 2.0 {
                y = 0.0;
            } else if x > c - 0.5 + (w - 1.0) / 2.0 || w <= 1.0 {
                y = 255.0;
            } else {
                y = ((x - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0;
            }
        }
        case 1u: {
            if x <= c - w / 2.0 {
                y = 0.0;
            } else if x > c + w / 2.0 {
                y = 255.0;
            } else {
                y = ((x - c) / w + 0.5) * 255.0;
            }
        }
        case 2u: {
            y = 255.0 / (1.0 + exp(-4.0 * (x - c) / w));
        }
        case 3u: {
            let n = i32(params.mode.z);
            let tw = i32(params.mode.w);
            let i = clamp(i32(round_half_away(x) - params.window.z), 0, n - 1);
            y = textureLoad(voi_lut, vec2<i32>(i % tw, i / tw), 0).r;
        }
        default: {}
    }
    return y;
}

// The 8-bit level the CPU pipeline would produce (0..255, a whole number).
fn level8(level: f32) -> f32 {
    var v = clamp(level, 0.0, 255.0);
    if (params.mode.y & FLAG_INVERT) != 0u {
        v = 255.0 - v;
    }
    return floor(v + 0.5);
}

// An 8-bit level as a 0..1 value the target stores exactly.
fn encode(level: f32) -> f32 {
    var out = level / 255.0;
    if (params.mode.y & FLAG_SRGB_TARGET) != 0u {
        // The target encodes linear → sRGB on store: hand it the linear value whose encoding is `out`.
        if out <= 0.04045 {
            out = out / 12.92;
        } else {
            out = pow((out + 0.055) / 1.055, 2.4);
        }
    }
    return out;
}

fn label_at(c: vec2<i32>) -> u32 {
    return textureLoad(labels, c, 0).r;
}

// Whether image pixel `c` (label `l`) has a 4-neighbour inside the image with another label.
fn on_boundary(c: vec2<i32>, l: u32) -> bool {
    let size = vec2<i32>(params.image_and_origin.xy);
    return (c.x > 0 && label_at(c - vec2<i32>(1, 0)) != l)
        || (c.x < size.x - 1 && label_at(c + vec2<i32>(1, 0)) != l)
        || (c.y > 0 && label_at(c - vec2<i32>(0, 1)) != l)
        || (c.y < size.y - 1 && label_at(c + vec2<i32>(0, 1)) != l);
}

// The overlay over the 8-bit levels `rgb` of image pixel `c`.
fn overlay(rgb: vec3<f32>, c: vec2<i32>) -> vec3<f32> {
    let l = label_at(c);
    let word = params.palette[l / 4u][l % 4u];
    if l == 0u || (word >> 24u) == 0u {
        return rgb;
    }
    let colour = vec3<f32>(f32(word & 255u), f32((word >> 8u) & 255u), f32((word >> 16u) & 255u));
    let mode = params.overlay.x;
    if (mode & OVERLAY_OUTLINE) != 0u && on_boundary(c, l) {
        return colour;
    }
    if (mode & OVERLAY_FILL) != 0u {
        return floor(mix(rgb, colour, params.overlay_opacity.x) + vec3<f32>(0.5));
    }
    return rgb;
}

@fragment
fn fs_main(@builtin(position) frag: vec4<f32>) -> @location(0) vec4<f32> {
    let screen = frag.xy - params.image_and_origin.zw;
    let p = (params.screen_to_image * vec3<f32>(screen, 1.0)).xy;
    let size = params.image_and_origin.xy;
    if p.x < 0.0 || p.y < 0.0 || p.x >= size.x || p.y >= size.y {
        return vec4<f32>(0.0, 0.0, 0.0, 1.0);
    }
    var sample: vec4<f32>;
    if (params.mode.y & FLAG_SMOOTH) != 0u {
        // Bilinear between the four nearest pixel centres (edge pixels repeat).
        let q = p - vec2<f32>(0.5, 0.5);
        let base = floor(q);
        let t = q - base;
        let b = vec2<i32>(base);
        let top = mix(texel(b), texel(b + vec2<i32>(1, 0)), t.x);
        let bottom = mix(texel(b + vec2<i32>(0, 1)), texel(b + vec2<i32>(1, 1)), t.x);
        sample = mix(top, bottom, t.y);
    } else {
        sample = texel(vec2<i32>(floor(p)));
    }
    var rgb: vec3<f32>;
    if (params.mode.y & FLAG_COLOUR) != 0u {
        let c = sample.rgb * 255.0;
        rgb = vec3<f32>(level8(c.r), level8(c.g), level8(c.b));
    } else {
        rgb = vec3<f32>(level8(voi(sample.r)));
    }
    if params.overlay.x != 0u {
        // Labels are never interpolated: the nearest image pixel's label, also when the image is smoothed.
        let isize = vec2<i32>(size);
        rgb = overlay(rgb, clamp(vec2<i32>(floor(p)), vec2<i32>(0, 0), isize - vec2<i32>(1, 1)));
    }
    return vec4<f32>(encode(rgb.r), encode(rgb.g), encode(rgb.b), 1.0);
}
