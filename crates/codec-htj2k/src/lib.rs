//! # lumen-codec-htj2k — a pure-Rust HTJ2K decoder
//!
//! Decodes High-Throughput JPEG 2000 codestreams (ITU-T T.814 | ISO/IEC 15444-15, on the codestream and wavelet
//! of ITU-T T.800 | ISO/IEC 15444-1): the compression of the DICOM transfer syntaxes HTJ2K Lossless
//! (1.2.840.10008.1.2.4.201), HTJ2K Lossless RPCL (.202) and HTJ2K (.203).
//!
//! Coverage: what OpenJPH's `ojph_compress` writes — several tiles (at any corners: partial code-blocks and
//! precincts at their edges, resolutions that start at odd coordinates, T.800 Annex B and F.3.7/F.3.8),
//! tile-parts, quality layers, precincts of any size, any progression order and progression order
//! changes (POC), HT code-blocks coded with the cleanup pass only, any number of decomposition levels, the
//! reversible 5/3 and the irreversible 9/7 wavelet, the reversible (RCT) and irreversible (ICT) colour transforms,
//! 1 to 16 components of 1 to 16 bits, signed or unsigned, of one precision and signedness or several (see
//! [`Header::precision`]) — and more: per-component coding styles and quantization (COC, QCC: levels, code-block
//! size and style, precincts, wavelet and steps may differ between components) and per-tile ones (COD, COC, QCD,
//! QCC, POC in a tile's first tile-part header, with T.800 A.6's precedence: tile COC, tile COD, main COC, main
//! COD), subsampled components (XRsiz/YRsiz; each sample repeated over the pixels it covers, so that every
//! component comes out at the image's size; not under a colour transform, and tile corners on multiples of the
//! subsampling times 2^levels), image and tile-grid offsets (XOsiz/YOsiz, XTOsiz/YTOsiz: the image is the area
//! from (XOsiz, YOsiz) on; reduced resolutions only at an offset on a multiple of 2^discard), packed packet
//! headers (PPM in the main header, PPT in tile-part headers: T.800 A.7.4, A.7.5). Everything else —
//! SigProp/MagRef refinement passes, a region of interest (RGN) with HT code-blocks —
//! is refused with
//! [`Error::Unsupported`], so that the caller can fall back to a general JPEG 2000 decoder. Every other error
//! means the codestream is damaged.
//!
//! JPEG 2000 Part 1 codestreams (COD without the HT flag: DICOM JPEG 2000, .90/.91) go through the same pipeline
//! with the EBCOT code-block decoder (MQ arithmetic decoder and the three coding passes, T.800 Annexes C and D),
//! under the same limits, with every Part 1 code-block style (arithmetic bypass, context reset, termination on
//! each pass, vertically causal contexts, predictable termination, segmentation symbols) and regions of interest
//! (RGN, the max-shift method of T.800 Annex H, in the main header or a tile's).
//!
//! Reduced resolutions: [`decode_reduced`] leaves out the highest resolution levels of a whole codestream (like
//! `ojph_expand -skip_res`: fewer inverse wavelet levels, an image of [`reduced_size`]); [`prefix_resolution`]
//! and [`decode_prefix`] decode the first bytes of a codestream as they arrive at the highest resolution whose
//! packets (of every component) they hold — a preview while the rest of a resolution-major (RPCL, RLCP, or
//! single-layer LRCP) codestream is still on its way.
//!
//! The crate holds no `unsafe`, never panics on input (truncated or corrupt codestreams give an [`Error`]; the
//! work and memory are bounded by the output size the caller accepts) and builds for `wasm32-unknown-unknown`.
//! It knows nothing about DICOM.
//!
//! ```no_run
//! let codestream = std::fs::read("image.j2c").unwrap();
//! let header = lumen_codec_htj2k::read_header(&codestream).unwrap();
//! let mut samples = vec![0u16; header.width as usize * header.height as usize * header.components as usize];
//! lumen_codec_htj2k::decode_into(&codestream, &mut samples).unwrap();
//! ```

mod block;
mod codestream;
mod dwt;
mod error;
mod mq;
mod packet;
mod t1;
mod vlc_table;

pub use error::{Error, Result};

use error::*;

/// The default largest output [`decode`] accepts: 1 GiB.
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 1 << 30;

/// What the main header says about the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Samples per line (Xsiz − XOsiz: the image from its offset on the reference grid).
    pub width: u32,
    /// Lines (Ysiz − YOsiz).
    pub height: u32,
    /// Number of components.
    pub components: u16,
    /// Bits per sample, 1 to 16: the most of any component (each component is decoded to its own range; see
    /// [`read_components`] for each one's).
    pub precision: u8,
    /// Whether the samples are signed (two's complement): whether any component is. Components of different
    /// signedness are refused ([`Error::Unsupported`]) when an unsigned one would not fit the signed sample type
    /// of `precision` (8 bits up to 8, 16 above).
    pub signed: bool,
    /// Reversible 5/3 wavelet (lossless) rather than the irreversible 9/7 (of the first component).
    pub reversible: bool,
    /// Number of wavelet decomposition levels (the fewest of any component when COC sets them per component).
    pub levels: u8,
    /// Whether the first three components went through a colour transform (RCT or ICT): they decode as RGB.
    pub colour_transform: bool,
}

/// Decoded samples, interleaved per pixel (all components of pixel 0, then pixel 1, …), lines top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Samples {
    /// Unsigned, precision ≤ 8.
    U8(Vec<u8>),
    /// Signed, precision ≤ 8.
    I8(Vec<i8>),
    /// Unsigned, precision > 8.
    U16(Vec<u16>),
    /// Signed, precision > 8.
    I16(Vec<i16>),
}

/// A decoded image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedImage {
    /// The main header.
    pub header: Header,
    /// `width × height × components` samples.
    pub samples: Samples,
}

/// An output sample type: the decoded value (clamped to the component's range) is converted with `as`, so a
/// type narrower than the precision keeps the low bits and an unsigned type holds negative values in two's
/// complement.
pub trait Sample: Copy + Default + sealed::Sealed {
    #[doc(hidden)]
    fn from_i32(v: i32) -> Self;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! sample {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl Sample for $t {
            #[inline]
            fn from_i32(v: i32) -> Self {
                v as $t
            }
        }
    )*};
}
sample!(u8, i8, u16, i16, i32);

/// Read the main header without decoding. Codestreams this decoder cannot handle give [`Error::Unsupported`].
pub fn read_header(data: &[u8]) -> Result<Header> {
    let main = codestream::main_header(data)?;
    let cod = main.params.cod.as_ref().ok_or(Error::InvalidSegment {
        segment: "main header",
        reason: "no COD marker segment".to_string(),
    })?;
    let styles: Vec<codestream::CodingStyle> = main
        .params
        .coc
        .iter()
        .map(|coc| coc.as_ref().map_or_else(|| cod.clone(), |c| cod.with(c)))
        .collect();
    header(main.width, main.height, &main.components, cod, &styles)
}

/// The precision (1 to 16 bits) and signedness of each component, from the main header (SIZ).
pub fn read_components(data: &[u8]) -> Result<Vec<(u8, bool)>> {
    let main = codestream::main_header(data)?;
    Ok(main
        .components
        .iter()
        .map(|c| (c.precision, c.signed))
        .collect())
}

/// Whether the main header has a CAP marker announcing Part 15 (HTJ2K) capabilities.
pub fn is_htj2k(data: &[u8]) -> bool {
    codestream::main_header(data).is_ok_and(|m| m.ht)
}

/// The header of an image whose tile-wide coding style is `cod` and whose components are coded as `styles` say.
fn header(
    width: u32,
    height: u32,
    components: &[codestream::Component],
    cod: &codestream::CodingStyle,
    styles: &[codestream::CodingStyle],
) -> Result<Header> {
    let precision = components.iter().map(|c| c.precision).max().unwrap_or(1);
    let signed = components.iter().any(|c| c.signed);
    // With signed components, the unsigned ones must fit the signed sample type too.
    let bits = if precision > 8 { 16 } else { 8 };
    if signed && components.iter().any(|c| !c.signed && c.precision >= bits) {
        return unsupported(format!(
            "an unsigned {bits}-bit component alongside signed ones"
        ));
    }
    Ok(Header {
        width,
        height,
        components: components.len() as u16,
        precision,
        signed,
        reversible: styles[0].reversible,
        levels: min_levels(styles),
        colour_transform: cod.mct,
    })
}

/// The fewest decomposition levels of any component.
fn min_levels(styles: &[codestream::CodingStyle]) -> u8 {
    styles.iter().map(|s| s.levels).min().unwrap_or(0)
}

/// Decode a whole codestream, refusing output larger than [`DEFAULT_MAX_OUTPUT_BYTES`].
pub fn decode(data: &[u8]) -> Result<DecodedImage> {
    decode_with_limit(data, DEFAULT_MAX_OUTPUT_BYTES)
}

/// Decode a whole codestream, refusing images whose samples need more than `max_output_bytes`.
pub fn decode_with_limit(data: &[u8], max_output_bytes: u64) -> Result<DecodedImage> {
    let header = read_header(data)?;
    let count = u64::from(header.width) * u64::from(header.height) * u64::from(header.components);
    let bytes = if header.precision > 8 { 2 } else { 1 };
    if count * bytes > max_output_bytes {
        return Err(Error::TooLarge {
            needed: count * bytes,
            limit: max_output_bytes,
        });
    }
    fn run<T: Sample>(data: &[u8], count: u64) -> Result<Vec<T>> {
        let mut v = vec![T::default(); count as usize];
        decode_into(data, &mut v)?;
        Ok(v)
    }
    let samples = match (header.precision > 8, header.signed) {
        (false, false) => Samples::U8(run(data, count)?),
        (false, true) => Samples::I8(run(data, count)?),
        (true, false) => Samples::U16(run(data, count)?),
        (true, true) => Samples::I16(run(data, count)?),
    };
    Ok(DecodedImage { header, samples })
}

/// The size of the image without its `discard` highest resolution levels: `⌈width / 2^discard⌉ ×
/// ⌈height / 2^discard⌉` (T.800 B.5 for an image at the origin, or at an offset that is a multiple of
/// 2^discard, as this decoder requires for reduced resolutions; [`Error::Unsupported`] otherwise).
pub fn reduced_size(width: u32, height: u32, discard: u8) -> (u32, u32) {
    let s = 1u64 << discard.min(32);
    (
        u64::from(width).div_ceil(s) as u32,
        u64::from(height).div_ceil(s) as u32,
    )
}

/// An image decoded at a reduced resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReducedImage {
    /// The main header (of the whole image).
    pub header: Header,
    /// How many resolution levels were left out (0: the whole image).
    pub discarded: u8,
    /// Samples per line of the reduced image, `⌈header.width / 2^discarded⌉`.
    pub width: u32,
    /// Lines of the reduced image, `⌈header.height / 2^discarded⌉`.
    pub height: u32,
    /// `width × height × components` samples, interleaved per pixel.
    pub samples: Samples,
}

/// Decode a whole codestream without its `discard` highest resolution levels (like `ojph_expand -skip_res
/// discard`): fewer inverse wavelet levels, an image of [`reduced_size`]. `discard` may be at most the number of
/// decomposition levels ([`Error::TooManyLevels`] otherwise).
pub fn decode_reduced(data: &[u8], discard: u8) -> Result<ReducedImage> {
    reduced(&codestream::parse(data)?, discard, DEFAULT_MAX_OUTPUT_BYTES)
}

/// [`decode_reduced`] into `out`, which must hold `reduced_size × components` samples.
pub fn decode_reduced_into<T: Sample>(data: &[u8], discard: u8, out: &mut [T]) -> Result<Header> {
    decode_tiles(&codestream::parse(data)?, discard, out)
}

/// What a prefix of a codestream can be decoded to ([`prefix_resolution`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrefixResolution {
    /// The main header.
    pub header: Header,
    /// The fewest resolution levels that must be left out: the packets of every component of all the other
    /// resolutions are complete in the prefix. 0: the prefix holds every packet.
    pub discard: u8,
}

/// Which resolution the first bytes of a codestream (`data`, as received so far) can be decoded at: `None` while
/// the main header or the packets of the lowest resolution (of every component) are incomplete. Meaningful for
/// resolution-major progressions (RPCL, RLCP, LRCP with one layer), which send all the packets of resolution r
/// before any of r + 1; in a component-major order (PCRL, CPRL) of several components nothing is decodable until
/// the last component starts to arrive; at an image offset that is not a multiple of 2^discard, not before the
/// whole image is. Errors: the prefix is damaged, or the codestream is one this decoder does not handle
/// ([`Error::Unsupported`]).
pub fn prefix_resolution(data: &[u8]) -> Result<Option<PrefixResolution>> {
    let cs = match codestream::parse_prefix(data) {
        Ok(cs) => cs,
        Err(Error::Truncated { .. }) => return Ok(None),
        // Not even SOC and SIZ yet.
        Err(Error::NotJ2k) if data.len() < 4 && [0xFF, 0x4F, 0xFF, 0x51].starts_with(data) => {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let header = header(cs.width, cs.height, &cs.components, &cs.cod, &cs.styles)?;
    // With several tiles, the resolutions complete in every tile.
    let discard = if cs.tiles.is_empty() {
        prefix_discard(&cs)?
    } else {
        let mut discard = Some(0);
        let mut most = header.levels;
        for t in 0..cs.tiles.len() {
            check_tile(&cs, t)?;
            let tile = cs.tile(t);
            most = most.min(min_levels(&tile.styles));
            discard = match (discard, prefix_discard(&tile)?) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
        }
        discard.filter(|&d| d <= most)
    };
    // Reduced resolutions need an image offset on a multiple of 2^discard ([`decode_reduced`]): with another,
    // only the whole image is decodable.
    let fits = |d: u8| {
        let s = 1u64 << d;
        u64::from(cs.x0).is_multiple_of(s) && u64::from(cs.y0).is_multiple_of(s)
    };
    Ok(discard
        .filter(|&d| fits(d))
        .map(|discard| PrefixResolution { header, discard }))
}

/// The fewest of the highest resolution levels of a tile (or a single-tile image) to leave out so that the
/// packets of all the others are complete; `None` when even those of the lowest resolutions are not.
fn prefix_discard(cs: &codestream::Codestream) -> Result<Option<u8>> {
    let resolutions = component_resolutions(cs, 0)?;
    let mut layout = match Layout::new(cs, &resolutions) {
        Ok(layout) => layout,
        Err(Error::Truncated { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let order = packet_order(cs, &layout);
    let mut pieces = Vec::new();
    let mut pos = PacketPos::default();
    for (i, p) in order.iter().enumerate() {
        pieces.clear();
        match layout.read_packet(cs, pos, p, &mut pieces) {
            Ok(next) => pos = next,
            Err(Error::Truncated { .. }) => {
                // Each packet not read in full leaves out its resolution and those above it.
                let need = order[i..]
                    .iter()
                    .map(|p| cs.styles[usize::from(p.c)].levels - p.r + 1)
                    .max()
                    .unwrap_or(0);
                return Ok((need <= min_levels(&cs.styles)).then_some(need));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Some(0))
}

/// Tile `t` of `cs` is decoded as an image of its own at its corner; a subsampled component must have the tile's
/// corner on a multiple of its subsampling times 2^levels (so that each of its samples covers the same pixels as
/// in the whole image). Otherwise [`Error::Unsupported`].
fn check_tile(cs: &codestream::Codestream, t: usize) -> Result<()> {
    let tile = &cs.tiles[t];
    let (x0, y0) = (u64::from(tile.x0), u64::from(tile.y0));
    for (cod, comp) in tile.styles.iter().zip(&cs.components) {
        let (dx, dy) = (u64::from(comp.dx), u64::from(comp.dy));
        if dx == 1 && dy == 1 {
            continue;
        }
        let unit = 1u64 << cod.levels;
        if !x0.is_multiple_of(dx * unit) || !y0.is_multiple_of(dy * unit) {
            return unsupported(
                "a tile whose corner is not a multiple of a subsampled component's subsampling times 2^levels",
            );
        }
    }
    Ok(())
}

/// Decode `cs`, one tile or several, without its `discard` highest resolution levels into `out`; each tile of
/// several is decoded as an image of its own and copied to where it lies.
fn decode_tiles<T: Sample>(
    cs: &codestream::Codestream,
    discard: u8,
    out: &mut [T],
) -> Result<Header> {
    if cs.tiles.is_empty() {
        return decode_levels(cs, discard, out);
    }
    let header = header(cs.width, cs.height, &cs.components, &cs.cod, &cs.styles)?;
    if discard > header.levels {
        return Err(Error::TooManyLevels {
            discard,
            levels: header.levels,
        });
    }
    let nc = cs.components.len();
    let s = 1u64 << discard;
    if !u64::from(cs.x0).is_multiple_of(s) || !u64::from(cs.y0).is_multiple_of(s) {
        // Its size would not be [`reduced_size`]'s.
        return unsupported("a reduced resolution of an image whose offset is not a multiple of 2^discard");
    }
    let (w, h) = reduced_size(cs.width, cs.height, discard);
    let needed = u64::from(w) * u64::from(h) * nc as u64;
    if out.len() as u64 != needed {
        return Err(Error::OutputSize {
            needed,
            got: out.len() as u64,
        });
    }
    let mut samples = Vec::new();
    for t in 0..cs.tiles.len() {
        check_tile(cs, t)?;
        let tile = cs.tile(t);
        // The tile at the reduced resolution: its corners over 2^discard, rounded up.
        let at = |v: u32| u64::from(v).div_ceil(s) as usize;
        let (tx0, ty0) = (at(tile.x0), at(tile.y0));
        let (tw, th) = (at(tile.x0 + tile.width) - tx0, at(tile.y0 + tile.height) - ty0);
        samples.clear();
        samples.resize(tw * th * nc, T::default());
        decode_levels(&tile, discard, &mut samples)?;
        // Relative to the image's corner (a multiple of 2^discard).
        let (x0, y0) = (tx0 - at(cs.x0), ty0 - at(cs.y0));
        let line = tw * nc;
        for (y, src) in samples.chunks_exact(line).enumerate() {
            let at = ((y0 + y) * w as usize + x0) * nc;
            out.get_mut(at..at + line)
                .ok_or(Error::CorruptData {
                    reason: "a tile outside the image",
                })?
                .copy_from_slice(src);
        }
    }
    Ok(header)
}

/// Decode the first bytes of a codestream at the highest resolution they hold (see [`prefix_resolution`]), or
/// `None` while nothing is decodable yet. Output larger than [`DEFAULT_MAX_OUTPUT_BYTES`] is refused.
pub fn decode_prefix(data: &[u8]) -> Result<Option<ReducedImage>> {
    let Some(p) = prefix_resolution(data)? else {
        return Ok(None);
    };
    reduced(
        &codestream::parse_prefix(data)?,
        p.discard,
        DEFAULT_MAX_OUTPUT_BYTES,
    )
    .map(Some)
}

/// Decode the first bytes of a codestream without its `discard` highest resolution levels into `out` (which must
/// hold `reduced_size × components` samples); [`Error::Truncated`] when the prefix does not hold all the packets
/// of those resolutions (see [`prefix_resolution`]).
pub fn decode_prefix_into<T: Sample>(data: &[u8], discard: u8, out: &mut [T]) -> Result<Header> {
    decode_tiles(&codestream::parse_prefix(data)?, discard, out)
}

fn reduced(
    cs: &codestream::Codestream,
    discard: u8,
    max_output_bytes: u64,
) -> Result<ReducedImage> {
    let header = header(cs.width, cs.height, &cs.components, &cs.cod, &cs.styles)?;
    if discard > header.levels {
        return Err(Error::TooManyLevels {
            discard,
            levels: header.levels,
        });
    }
    let (width, height) = reduced_size(header.width, header.height, discard);
    let count = u64::from(width) * u64::from(height) * u64::from(header.components);
    let bytes = if header.precision > 8 { 2 } else { 1 };
    if count * bytes > max_output_bytes {
        return Err(Error::TooLarge {
            needed: count * bytes,
            limit: max_output_bytes,
        });
    }
    fn run<T: Sample>(cs: &codestream::Codestream, discard: u8, count: u64) -> Result<Vec<T>> {
        let mut v = vec![T::default(); count as usize];
        decode_tiles(cs, discard, &mut v)?;
        Ok(v)
    }
    let samples = match (header.precision > 8, header.signed) {
        (false, false) => Samples::U8(run(cs, discard, count)?),
        (false, true) => Samples::I8(run(cs, discard, count)?),
        (true, false) => Samples::U16(run(cs, discard, count)?),
        (true, true) => Samples::I16(run(cs, discard, count)?),
    };
    Ok(ReducedImage {
        header,
        discarded: discard,
        width,
        height,
        samples,
    })
}

/// A subband of a component: where it lies in the component buffer and how it is coded.
struct Band {
    /// Where it lies in the component buffer, and its size.
    x0: usize,
    y0: usize,
    w: usize,
    h: usize,
    /// Its corner on its own grid (T.800 B.5), where the code-block partition starts at 0: the first code-block
    /// row and column may be partial.
    ax0: usize,
    ay0: usize,
    cbw: usize,
    cbh: usize,
    /// Code-blocks across and down (0 for an empty subband).
    cbx: usize,
    cby: usize,
    /// Mb: magnitude bit-planes (guard bits + exponent − 1).
    mb: u32,
    /// The quantization step (irreversible only).
    step: f32,
}

/// Decode a whole codestream into `out`, which must hold `width × height × components` samples (see
/// [`read_header`]); samples are interleaved per pixel.
pub fn decode_into<T: Sample>(data: &[u8], out: &mut [T]) -> Result<Header> {
    decode_tiles(&codestream::parse(data)?, 0, out)
}

/// Decode `cs` without its `discard` highest resolution levels into `out` (see [`reduced_size`]); only the packets
/// of the kept resolutions are read, so the tile data may end after the last of them.
fn decode_levels<T: Sample>(
    cs: &codestream::Codestream,
    discard: u8,
    out: &mut [T],
) -> Result<Header> {
    let header = header(cs.width, cs.height, &cs.components, &cs.cod, &cs.styles)?;
    let nc = cs.components.len();
    if discard > header.levels {
        return Err(Error::TooManyLevels {
            discard,
            levels: header.levels,
        });
    }
    // The image without the highest `discard` levels is the image of their LL band: its corners over
    // 2^discard, rounded up, with `levels − discard` levels, its subbands where they lie in the whole image.
    let (x0, y0) = (cs.x0 as usize, cs.y0 as usize);
    let area = dwt::Rect {
        x0,
        y0,
        x1: x0 + cs.width as usize,
        y1: y0 + cs.height as usize,
    }
    .scaled(u32::from(discard));
    let (w, h) = (area.w(), area.h());
    let needed = w as u64 * h as u64 * nc as u64;
    if out.len() as u64 != needed {
        return Err(Error::OutputSize {
            needed,
            got: out.len() as u64,
        });
    }
    // Each component at the kept resolution (the image's, or smaller when subsampled).
    let rects: Vec<dwt::Rect> = (0..nc)
        .map(|c| component_rect(cs, c).scaled(u32::from(discard)))
        .collect();
    let sizes: Vec<(usize, usize)> = rects.iter().map(|r| (r.w(), r.h())).collect();
    if cs.cod.mct && cs.components[..3].iter().any(|c| c.dx != 1 || c.dy != 1) {
        return unsupported("a colour transform of subsampled components");
    }
    // The wavelet levels each component inverts.
    let kept: Vec<u32> = cs
        .styles
        .iter()
        .map(|s| u32::from(s.levels - discard))
        .collect();
    let resolutions = component_resolutions(cs, discard)?;
    let tile = &cs.tile_data[..];
    let mut layout = Layout::new(cs, &resolutions)?;
    let order = packet_order(cs, &layout);
    // The packets of the kept resolutions; in a resolution-major order they come first.
    let last_needed = order
        .iter()
        .rposition(|p| u32::from(p.r) <= kept[usize::from(p.c)])
        .unwrap_or(0);
    let mut pieces = Vec::new();
    let mut pos = PacketPos::default();
    for p in &order[..=last_needed] {
        pos = layout.read_packet(cs, pos, p, &mut pieces)?;
    }
    // The pieces of each code-block together, in the order they came (layer by layer).
    let by_block = layout.group(&pieces);

    // Reversible: the indices are the coefficients (i32 planes). Irreversible: each code-block is dequantised
    // straight into f32 planes.
    let mut planes: Vec<Vec<i32>> = cs
        .styles
        .iter()
        .zip(&sizes)
        .map(|(s, &(cw, ch))| vec![0i32; if s.reversible { cw * ch } else { 0 }])
        .collect();
    let mut fplanes: Vec<Vec<f32>> = cs
        .styles
        .iter()
        .zip(&sizes)
        .map(|(s, &(cw, ch))| vec![0f32; if s.reversible { 0 } else { cw * ch }])
        .collect();
    let mut scratch = block::Scratch::default();
    let mut t1 = t1::T1::default();
    let mut block_buf: Vec<i32> = Vec::new();
    let mut joined: Vec<u8> = Vec::new();
    let mut segments: Vec<(usize, u32)> = Vec::new();
    for (band_index, &(c, r, b, base)) in layout.bands.iter().enumerate() {
        if r as u32 > kept[c] {
            continue;
        }
        let cod = &cs.styles[c];
        // The component's row stride.
        let pw = sizes[c].0;
        let band = &resolutions[c][r][b];
        let count = layout.band_blocks(band_index);
        // A region of interest (max-shift, T.800 H.1): the code-blocks have `roi` more magnitude bit-planes.
        let roi = u32::from(cod.roi_shift);
        let mb = band.mb + roi;
        if mb > 29 {
            return unsupported(format!(
                "{mb} magnitude bit-planes in a subband with a region of interest"
            ));
        }
        for block in 0..count {
            let mut mine = by_block.pieces(base + block);
            let Some(first) = mine.next() else {
                continue;
            };
            let missing_msbs = layout.blocks[base + block].missing_msbs.into();
            // The code-block's codeword segments: straight from the tile when there is one piece, otherwise
            // joined (the pieces of a segment that spans layers are consecutive parts of it).
            segments.clear();
            let coded: &[u8] = if mine.len() == 0 {
                segments.push((first.len, first.passes));
                &tile[first.start..first.start + first.len]
            } else {
                joined.clear();
                for piece in std::iter::once(first).chain(mine) {
                    joined.extend_from_slice(&tile[piece.start..piece.start + piece.len]);
                    match segments.last_mut() {
                        Some(last) if !piece.new_segment => {
                            *last = (joined.len(), last.1 + piece.passes);
                        }
                        _ => segments.push((joined.len(), piece.passes)),
                    }
                }
                &joined
            };
            let (x0, y0, cw, ch) = band.block_rect(block % band.cbx, block / band.cbx);
            // The cleanup pass codes every magnitude bit down to bit-plane p (T.814 7.1).
            let Some(p) = (mb - 1).checked_sub(missing_msbs) else {
                return corrupt("a code-block with more missing bit-planes than its subband has");
            };
            let max_u = mb + 1 - p;
            let start = (band.y0 + y0) * pw + band.x0 + x0;
            // HT code-blocks: the cleanup pass, straight into the plane; Part 1 code-blocks: the EBCOT decoder,
            // with the same output (the indices, doubled plus 1/2 for an irreversible block).
            let kind = if r == 0 { 0 } else { b + 1 };
            let style = cod.block_style;
            match (cod.ht, cod.reversible) {
                (true, true) => {
                    block::decode_cleanup_53(coded, cw, ch, p, max_u, &mut planes[c][start..], pw, &mut scratch)?;
                }
                // Mid-point reconstruction (T.800 E.1.1.2, r = 1/2): the block decoder gives twice the index plus
                // 1/2, dequantised with half the step.
                (true, false) => {
                    let half_step = band.step * 0.5;
                    block::decode_cleanup_97(coded, cw, ch, p, max_u, &mut fplanes[c][start..], pw, half_step, &mut scratch)?;
                }
                (false, true) => {
                    t1.decode(coded, &segments, cw, ch, p, kind, style, false, &mut planes[c][start..], pw)?;
                    if roi > 0 {
                        for y in 0..ch {
                            let row = start + y * pw;
                            roi_descale(&mut planes[c][row..row + cw], roi, false);
                        }
                    }
                }
                (false, false) => {
                    block_buf.clear();
                    block_buf.resize(cw * ch, 0);
                    t1.decode(coded, &segments, cw, ch, p, kind, style, true, &mut block_buf, cw)?;
                    if roi > 0 {
                        roi_descale(&mut block_buf, roi, true);
                    }
                    let half_step = band.step * 0.5;
                    let plane = &mut fplanes[c];
                    for (y, src) in block_buf.chunks_exact(cw).enumerate() {
                        let row = start + y * pw;
                        for (f, &q) in plane[row..row + cw].iter_mut().zip(src) {
                            *f = q as f32 * half_step;
                        }
                    }
                }
            }
        }
    }

    // Each component's range and DC level shift.
    let ranges: Vec<(i32, i32, i32)> = cs
        .components
        .iter()
        .map(|comp| {
            let precision = u32::from(comp.precision);
            if comp.signed {
                (-(1i32 << (precision - 1)), (1i32 << (precision - 1)) - 1, 0)
            } else {
                (0, (1i32 << precision) - 1, 1i32 << (precision - 1))
            }
        })
        .collect();
    /// Row `y` of component `c` into the interleaved output.
    fn put<T: Copy>(
        out: &mut [T],
        nc: usize,
        w: usize,
        c: usize,
        y: usize,
        row: impl Iterator<Item = T>,
    ) {
        if nc == 1 {
            for (o, v) in out[y * w..(y + 1) * w].iter_mut().zip(row) {
                *o = v;
            }
        } else {
            for (o, v) in out[y * w * nc..(y + 1) * w * nc]
                .chunks_exact_mut(nc)
                .zip(row)
            {
                o[c] = v;
            }
        }
    }
    let int_convert = |c: usize| {
        let (min, max, dc) = ranges[c];
        move |v: &i32| T::from_i32(v.wrapping_add(dc).clamp(min, max))
    };
    // Rounded to the nearest integer (ties to even) without a float-to-integer conversion, whose saturating
    // semantics keep the loop from vectorising: adding 1.5 × 2^23 to a value of magnitude below 2^22 leaves
    // the rounded integer in the low mantissa bits. The coefficients are finite (at most 2^31 × a step below
    // 2^19, times the gains of the levels), so no NaN comes here; clamping first keeps the value in range.
    const ROUND: f32 = 12_582_912.0;
    let float_convert = |c: usize| {
        let (min, max, dc) = ranges[c];
        let (fmin, fmax, fdc) = (min as f32, max as f32, dc as f32);
        move |v: &f32| {
            let x = v + fdc;
            let x = if x < fmin { fmin } else { x };
            let x = if x > fmax { fmax } else { x };
            T::from_i32(((x + ROUND).to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32))
        }
    };
    // Without a colour transform each component's rows go straight from the last wavelet level to the output;
    // with one, the first three components' wavelets are inverted first (all 5/3 or all 9/7, see
    // `Params::resolve`), the transform applied on the rows where the last level left them.
    let mct = cs.cod.mct;
    for c in 0..nc {
        let levels = kept[c];
        let (dx, dy) = (
            usize::from(cs.components[c].dx),
            usize::from(cs.components[c].dy),
        );
        if dx != 1 || dy != 1 {
            // A subsampled component: each of its samples repeated over the dx × dy pixels it covers.
            if cs.styles[c].reversible {
                dwt::inverse_53(&mut planes[c], &rects[c], levels, |_, _| {});
                upsample(
                    out,
                    nc,
                    c,
                    w,
                    h,
                    (dx, dy),
                    &rects[c],
                    levels,
                    &planes[c],
                    int_convert(c),
                );
            } else {
                dwt::inverse_97(&mut fplanes[c], &rects[c], levels, |_, _| {});
                upsample(
                    out,
                    nc,
                    c,
                    w,
                    h,
                    (dx, dy),
                    &rects[c],
                    levels,
                    &fplanes[c],
                    float_convert(c),
                );
            }
        } else if mct && c < 3 {
            if cs.styles[c].reversible {
                dwt::inverse_53(&mut planes[c], &rects[c], levels, |_, _| {});
            } else {
                dwt::inverse_97(&mut fplanes[c], &rects[c], levels, |_, _| {});
            }
        } else if cs.styles[c].reversible {
            let convert = int_convert(c);
            dwt::inverse_53(&mut planes[c], &rects[c], levels, |y, row| {
                put(out, nc, w, c, y, row.iter().map(convert))
            });
        } else {
            let convert = float_convert(c);
            dwt::inverse_97(&mut fplanes[c], &rects[c], levels, |y, row| {
                put(out, nc, w, c, y, row.iter().map(convert))
            });
        }
    }
    if mct {
        let rows = |y: usize, c: usize| {
            let r = dwt::result_row(y, &rects[c], kept[c]) * w;
            r..r + w
        };
        if cs.styles[0].reversible {
            // RCT (T.800 G.2.2).
            let (c0, c1, c2) = (int_convert(0), int_convert(1), int_convert(2));
            for y in 0..h {
                let (p0, p1, p2) = (
                    &planes[0][rows(y, 0)],
                    &planes[1][rows(y, 1)],
                    &planes[2][rows(y, 2)],
                );
                let line = &mut out[y * w * nc..(y + 1) * w * nc];
                for (((o, &y0), &y1), &y2) in line.chunks_exact_mut(nc).zip(p0).zip(p1).zip(p2) {
                    let g = y0.wrapping_sub(y1.wrapping_add(y2) >> 2);
                    o[0] = c0(&y2.wrapping_add(g));
                    o[1] = c1(&g);
                    o[2] = c2(&y1.wrapping_add(g));
                }
            }
        } else {
            // ICT (T.800 G.3.2).
            let (c0, c1, c2) = (float_convert(0), float_convert(1), float_convert(2));
            for y in 0..h {
                let (p0, p1, p2) = (
                    &fplanes[0][rows(y, 0)],
                    &fplanes[1][rows(y, 1)],
                    &fplanes[2][rows(y, 2)],
                );
                let line = &mut out[y * w * nc..(y + 1) * w * nc];
                for (((o, &luma), &cb), &cr) in line.chunks_exact_mut(nc).zip(p0).zip(p1).zip(p2) {
                    o[0] = c0(&(luma + 1.402 * cr));
                    o[1] = c1(&(luma - 0.344_136 * cb - 0.714_136 * cr));
                    o[2] = c2(&(luma + 1.772 * cb));
                }
            }
        }
    }
    Ok(header)
}

/// Component `c` of `pw`×`ph` samples, subsampled by `dx`×`dy`, into the `w`×`h` interleaved output: pixel (x, y)
/// takes sample (x / dx, y / dy) (the last one past the edge), from the rows where the last of `levels` wavelet
/// levels left them.
#[allow(clippy::too_many_arguments)]
fn upsample<T: Copy, V>(
    out: &mut [T],
    nc: usize,
    c: usize,
    w: usize,
    h: usize,
    (dx, dy): (usize, usize),
    rect: &dwt::Rect,
    levels: u32,
    plane: &[V],
    convert: impl Fn(&V) -> T,
) {
    let (pw, ph) = (rect.w(), rect.h());
    if pw == 0 || ph == 0 {
        return;
    }
    let mut line: Vec<T> = Vec::with_capacity(pw);
    for y in 0..h {
        if y == 0 || (y / dy).min(ph - 1) != ((y - 1) / dy).min(ph - 1) {
            let r = dwt::result_row((y / dy).min(ph - 1), rect, levels) * pw;
            line.clear();
            line.extend(plane[r..r + pw].iter().map(&convert));
        }
        for (x, o) in out[y * w * nc..(y + 1) * w * nc]
            .chunks_exact_mut(nc)
            .enumerate()
        {
            o[c] = line[(x / dx).min(pw - 1)];
        }
    }
}

/// Undo the max-shift scaling of a region of interest (T.800 H.2): a coefficient whose index has a magnitude of
/// 2^`shift` or more belongs to the region and is scaled down by 2^`shift`; the others (the background) stay.
/// `values`: the Part 1 block decoder's, indices or (`doubled`) twice the reconstruction point of an irreversible
/// block. (OpenJPEG compares twice the reconstruction point with 2^`shift` in both cases, which differs only for
/// background indices from 2^(`shift` − 1) up, which a max-shift encoder does not leave; its own encoder scales
/// every coefficient, so the two agree on its codestreams.)
fn roi_descale(values: &mut [i32], shift: u32, doubled: bool) {
    let threshold = 1u32 << (shift + u32::from(doubled));
    for v in values {
        let m = v.unsigned_abs();
        if m >= threshold {
            let m = (m >> shift) as i32;
            *v = if *v < 0 { -m } else { m };
        }
    }
}

/// Where the next packet of a tile starts: its body (or whole packet) in the tile data, its header in the packed
/// packet headers (PPM, PPT) when there are any.
#[derive(Clone, Copy, Default)]
struct PacketPos {
    body: usize,
    header: usize,
}

/// A packet: quality layer, component, resolution and precinct (raster index in the resolution).
#[derive(Clone, Copy)]
struct PacketId {
    layer: u16,
    c: u8,
    r: u8,
    precinct: u32,
}

/// The precincts of the tile and the packet-header state of its code-blocks.
struct Layout {
    /// Per subband (component-major, then resolution, then HL, LH, HH): (component, resolution, band index in
    /// the resolution, index of its first code-block in `blocks`).
    bands: Vec<(usize, usize, usize, usize)>,
    /// The code-block states of every subband, each subband's in raster order.
    blocks: Vec<packet::BlockState>,
    /// Per precinct, the code-blocks of each of its subbands; `first_precinct[c][r]` is where those of a
    /// component's resolution start (in raster order).
    precincts: Vec<Vec<packet::PrecinctBand>>,
    first_precinct: Vec<Vec<usize>>,
    /// Precincts across and down, per component and resolution.
    grid: Vec<Vec<(usize, usize)>>,
    /// The first of them across and down (in the partition anchored at 0), per component and resolution.
    origin: Vec<Vec<(usize, usize)>>,
}

/// The pieces of coded data grouped by code-block ([`Layout::group`]).
struct ByBlock<'a> {
    pieces: &'a [packet::Piece],
    /// Indices into `pieces`, by code-block; code-block i's are `order[start[i]..start[i + 1]]`.
    order: Vec<u32>,
    start: Vec<u32>,
}

impl ByBlock<'_> {
    fn pieces(&self, block: usize) -> impl ExactSizeIterator<Item = &packet::Piece> + '_ {
        let (a, b) = (self.start[block] as usize, self.start[block + 1] as usize);
        self.order[a..b].iter().map(|&i| &self.pieces[i as usize])
    }
}

impl Layout {
    /// [`Error::Truncated`] when the tile data has fewer bytes than the tile has packets (each takes at least one):
    /// checked before anything is allocated per precinct.
    fn new(cs: &codestream::Codestream, resolutions: &[Vec<Vec<Band>>]) -> Result<Layout> {
        let mut bands = Vec::new();
        let mut total = 0;
        for (c, comp) in resolutions.iter().enumerate() {
            for (r, res) in comp.iter().enumerate() {
                for (b, band) in res.iter().enumerate() {
                    bands.push((c, r, b, total));
                    total += band.cbx * band.cby;
                }
            }
        }
        // Per component and resolution: the precinct partition (anchored at 0 on the resolution's grid, T.800
        // B.6) over the resolution's extent: the first precinct across and down, and how many.
        let mut origin: Vec<Vec<(usize, usize)>> = Vec::with_capacity(resolutions.len());
        let mut grid: Vec<Vec<(usize, usize)>> = Vec::with_capacity(resolutions.len());
        for (c, comp) in resolutions.iter().enumerate() {
            let rect = component_rect(cs, c);
            let style = &cs.styles[c];
            let (mut o, mut g) = (Vec::new(), Vec::new());
            for r in 0..comp.len() {
                let res = rect.scaled((comp.len() - 1 - r) as u32);
                let (ppx, ppy) = style.precincts[r];
                let (fx, fy) = (res.x0 >> ppx, res.y0 >> ppy);
                o.push((fx, fy));
                g.push(if res.w() == 0 || res.h() == 0 {
                    (0, 0)
                } else {
                    (
                        res.x1.div_ceil(1 << ppx) - fx,
                        res.y1.div_ceil(1 << ppy) - fy,
                    )
                });
            }
            origin.push(o);
            grid.push(g);
        }
        let per_layer = grid
            .iter()
            .flatten()
            .map(|&(x, y)| x as u64 * y as u64)
            .sum::<u64>();
        // Each takes a byte of the packed packet headers when there are any.
        let bytes = cs.headers.as_deref().unwrap_or(&cs.tile_data).len();
        if per_layer * u64::from(cs.cod.layers) > bytes as u64 {
            return Err(Error::Truncated {
                part: "in the packets of the tile (fewer bytes than packets)",
            });
        }
        let mut precincts = Vec::new();
        let mut first_precinct = Vec::new();
        let mut band_index = 0;
        for (c, comp) in resolutions.iter().enumerate() {
            let mut firsts = Vec::new();
            for (r, res) in comp.iter().enumerate() {
                firsts.push(precincts.len());
                let (npx, npy) = grid[c][r];
                let (fx, fy) = origin[c][r];
                let (ppx, ppy) = cs.styles[c].precincts[r];
                let sub = u32::from(r > 0);
                for py in fy..fy + npy {
                    for px in fx..fx + npx {
                        let mut parts = Vec::with_capacity(res.len());
                        for (b, band) in res.iter().enumerate() {
                            // Code-blocks per precinct across and down: the precinct's size in the subband
                            // (2^(PP − 1) above resolution 0) over the code-block size; both partitions start
                            // at 0 on the subband's grid, so precinct px holds code-blocks px·kx to
                            // (px + 1)·kx − 1 of it (those the subband has: maybe none).
                            let kx = (1usize << (u32::from(ppx) - sub)) / band.cbw;
                            let ky = (1usize << (u32::from(ppy) - sub)) / band.cbh;
                            let (bx, by) = (band.ax0 / band.cbw, band.ay0 / band.cbh);
                            let x0 = (px * kx).max(bx).min(bx + band.cbx) - bx;
                            let y0 = (py * ky).max(by).min(by + band.cby) - by;
                            let x1 = ((px + 1) * kx).min(bx + band.cbx).max(bx) - bx;
                            let y1 = ((py + 1) * ky).min(by + band.cby).max(by) - by;
                            let base = bands[band_index + b].3;
                            parts.push(packet::PrecinctBand::new(
                                base + y0 * band.cbx + x0,
                                band.cbx,
                                x1.saturating_sub(x0),
                                y1.saturating_sub(y0),
                            ));
                        }
                        precincts.push(parts);
                    }
                }
                band_index += res.len();
            }
            first_precinct.push(firsts);
        }
        Ok(Layout {
            bands,
            blocks: vec![packet::BlockState::default(); total],
            precincts,
            first_precinct,
            grid,
            origin,
        })
    }

    /// The number of code-blocks of subband `band` (an index into `bands`).
    fn band_blocks(&self, band: usize) -> usize {
        let end = self.bands.get(band + 1).map_or(self.blocks.len(), |b| b.3);
        end - self.bands[band].3
    }

    /// Read packet `p` at `pos`; returns the position after it.
    fn read_packet(
        &mut self,
        cs: &codestream::Codestream,
        pos: PacketPos,
        p: &PacketId,
        out: &mut Vec<packet::Piece>,
    ) -> Result<PacketPos> {
        let index = self.first_precinct[usize::from(p.c)][usize::from(p.r)] + p.precinct as usize;
        let style = &cs.styles[usize::from(p.c)];
        let headers = cs.headers.as_deref().map(|h| (h, pos.header));
        let (body, header) = packet::read_packet(
            &cs.tile_data,
            pos.body,
            headers,
            &mut self.precincts[index],
            u32::from(p.layer),
            &mut self.blocks,
            cs.cod.sop,
            cs.cod.eph,
            style.ht,
            if style.ht { 0 } else { style.block_style },
            out,
        )?;
        Ok(PacketPos { body, header })
    }

    /// The pieces grouped by code-block, each code-block's in the order they came.
    fn group<'a>(&self, pieces: &'a [packet::Piece]) -> ByBlock<'a> {
        let mut start = vec![0u32; self.blocks.len() + 1];
        for piece in pieces {
            start[piece.block + 1] += 1;
        }
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        let mut next = start.clone();
        let mut order = vec![0u32; pieces.len()];
        for (i, piece) in pieces.iter().enumerate() {
            order[next[piece.block] as usize] = i as u32;
            next[piece.block] += 1;
        }
        ByBlock {
            pieces,
            order,
            start,
        }
    }
}

impl Band {
    /// Code-block `(bx, by)` of the subband's (its raster position among those the subband holds): its corner
    /// relative to the subband's, and its size.
    fn block_rect(&self, bx: usize, by: usize) -> (usize, usize, usize, usize) {
        let (gx, gy) = (self.ax0 / self.cbw + bx, self.ay0 / self.cbh + by);
        let x0 = (gx * self.cbw).max(self.ax0);
        let y0 = (gy * self.cbh).max(self.ay0);
        let x1 = ((gx + 1) * self.cbw).min(self.ax0 + self.w);
        let y1 = ((gy + 1) * self.cbh).min(self.ay0 + self.h);
        (x0 - self.ax0, y0 - self.ay0, x1 - x0, y1 - y0)
    }
}

/// The packets of the tile in codestream order (T.800 B.12.1): the progression order decides how layers,
/// resolutions, components and precincts nest; in the position-major orders (RPCL, PCRL, CPRL) precincts come in
/// the order of their top-left corners on the reference grid. With progression order changes (POC), each one's
/// packets that have not come yet, one after the other (B.12.2).
fn packet_order(cs: &codestream::Codestream, layout: &Layout) -> Vec<PacketId> {
    let nc = cs.components.len();
    // Resolutions of the component with the most.
    let nr = layout.grid.iter().map(Vec::len).max().unwrap_or(0);
    let layers = cs.cod.layers;
    // At most one packet per byte of the tile ([`Layout::new`]).
    let per_layer: usize = layout
        .grid
        .iter()
        .flatten()
        .map(|&(x, y)| x * y)
        .sum::<usize>();
    let mut order = Vec::with_capacity(per_layer * usize::from(layers));
    let whole = codestream::Poc {
        res_start: 0,
        comp_start: 0,
        layer_end: layers,
        res_end: nr.min(255) as u8,
        comp_end: nc as u16,
        progression: cs.cod.progression,
    };
    let volumes = if cs.poc.is_empty() {
        std::slice::from_ref(&whole)
    } else {
        &cs.poc[..]
    };
    // Whether each packet (precinct-major, then layer) has come.
    let tracked = if cs.poc.is_empty() {
        0
    } else {
        per_layer * usize::from(layers)
    };
    let mut sent = vec![false; tracked];
    for v in volumes {
        // Precincts of resolution r of component c (none above its levels).
        let count = |c: usize, r: usize| layout.grid[c].get(r).map_or(0, |&(x, y)| x * y);
        let (l_end, r0, r1) = (
            v.layer_end.min(layers),
            usize::from(v.res_start),
            usize::from(v.res_end).min(nr),
        );
        let (c0, c1) = (usize::from(v.comp_start), usize::from(v.comp_end).min(nc));
        let mut emit = |l: u16, c: usize, r: usize, p: usize| {
            if !sent.is_empty() {
                let i = (layout.first_precinct[c][r] + p) * usize::from(layers) + usize::from(l);
                if std::mem::replace(&mut sent[i], true) {
                    return;
                }
            }
            order.push(PacketId {
                layer: l,
                c: c as u8,
                r: r as u8,
                precinct: p as u32,
            });
        };
        match v.progression {
            0 => {
                for l in 0..l_end {
                    for r in r0..r1 {
                        for c in c0..c1 {
                            for p in 0..count(c, r) {
                                emit(l, c, r, p);
                            }
                        }
                    }
                }
            }
            1 => {
                for r in r0..r1 {
                    for l in 0..l_end {
                        for c in c0..c1 {
                            for p in 0..count(c, r) {
                                emit(l, c, r, p);
                            }
                        }
                    }
                }
            }
            progression => {
                // (outer key, y, x, inner key, resolution, precinct) with the top-left corner (x, y) of the
                // precinct on the reference grid.
                let mut keys = Vec::new();
                for c in c0..c1 {
                    let grid = &layout.grid[c];
                    for r in r0..r1.min(grid.len()) {
                        let d = (grid.len() - 1 - r) as u32;
                        let (ppx, ppy) = cs.styles[c].precincts[r];
                        let (npx, _) = grid[r];
                        let (fx, fy) = layout.origin[c][r];
                        // On the reference grid: times the component's subsampling; a first precinct that starts
                        // before the tile comes at the tile's corner (B.12.1.3).
                        let (dx, dy) = (
                            u64::from(cs.components[c].dx),
                            u64::from(cs.components[c].dy),
                        );
                        for p in 0..count(c, r) {
                            let x = (((fx + p % npx) as u64 * dx) << (u32::from(ppx) + d))
                                .max(u64::from(cs.x0));
                            let y = (((fy + p / npx) as u64 * dy) << (u32::from(ppy) + d))
                                .max(u64::from(cs.y0));
                            keys.push(match progression {
                                2 => (r, y, x, c, r, p),
                                3 => (0, y, x, c, r, p),
                                _ => (c, y, x, r, r, p),
                            });
                        }
                    }
                }
                keys.sort_unstable();
                for k in keys {
                    let c = if progression == 4 { k.0 } else { k.3 };
                    for l in 0..l_end {
                        emit(l, c, k.4, k.5);
                    }
                }
            }
        }
    }
    order
}

/// The subbands of every component ([`resolutions`]), decoded without the `discard` highest levels.
fn component_resolutions(cs: &codestream::Codestream, discard: u8) -> Result<Vec<Vec<Vec<Band>>>> {
    (0..cs.components.len())
        .map(|c| {
            let style = &cs.styles[c];
            let kept = u32::from(style.levels.saturating_sub(discard));
            let rect = component_rect(cs, c);
            resolutions(&rect, style, &cs.quants[c], cs.components[c].precision, kept)
        })
        .collect()
}

/// The tile-component of component `c` of `cs` (a tile, or a single-tile image) on its own grid: the tile's
/// corners over the component's subsampling, rounded up (T.800 B-12).
fn component_rect(cs: &codestream::Codestream, c: usize) -> dwt::Rect {
    let comp = &cs.components[c];
    let (dx, dy) = (u64::from(comp.dx), u64::from(comp.dy));
    let (x0, y0) = (u64::from(cs.x0), u64::from(cs.y0));
    let (x1, y1) = (x0 + u64::from(cs.width), y0 + u64::from(cs.height));
    dwt::Rect {
        x0: x0.div_ceil(dx) as usize,
        y0: y0.div_ceil(dy) as usize,
        x1: x1.div_ceil(dx) as usize,
        y1: y1.div_ceil(dy) as usize,
    }
}

/// ⌈a / 2^n⌉ of a possibly negative `a`.
fn ceil_shift(a: i64, n: u32) -> i64 {
    -((-a) >> n)
}

/// The subbands of each resolution of a component (LL for resolution 0; HL, LH, HH for the others), checked
/// against what this decoder handles.
/// `kept_levels`: the wavelet levels the decode inverts (fewer than the codestream's when resolutions are
/// discarded); it decides the 9/7 normalisation folded into the steps of the lowest kept subbands.
fn resolutions(
    rect: &dwt::Rect,
    cod: &codestream::CodingStyle,
    qcd: &codestream::Quantization,
    precision: u8,
    kept_levels: u32,
) -> Result<Vec<Vec<Band>>> {
    let levels = u32::from(cod.levels);
    let guard = u32::from(qcd.guard_bits);
    let precision = i32::from(precision);
    let size = |d: u32| -> (usize, usize) {
        let a = rect.scaled(d);
        (a.w(), a.h())
    };
    let derived = qcd.steps.len() == 1 && levels > 0;
    let step = |index: usize, d: u32| -> Result<(u32, u16)> {
        if derived && !cod.reversible {
            let (e0, m0) = qcd.steps[0];
            let e = i32::from(e0) - levels as i32 + d as i32;
            if e < 0 {
                return invalid("QCD", "a derived exponent below 0");
            }
            Ok((e as u32, m0))
        } else {
            let &(e, m) = qcd.steps.get(index).ok_or(Error::InvalidSegment {
                segment: "QCD",
                reason: "fewer step sizes than subbands".to_string(),
            })?;
            Ok((u32::from(e), m))
        }
    };
    let mut out = Vec::with_capacity(levels as usize + 1);
    for r in 0..=levels {
        let d = levels - r; // the decomposition level whose details resolution r adds (0: the LL band)
        let (rw, rh) = size(d);
        let (ppx, ppy) = cod.precincts[r as usize];
        if r > 0 && (ppx == 0 || ppy == 0) {
            return invalid("COD", "a precinct exponent of 0 above resolution 0");
        }
        let sub = u8::from(r > 0);
        let cbw = 1usize << cod.xcb.min(ppx - sub);
        let cbh = 1usize << cod.ycb.min(ppy - sub);
        let mut bands = Vec::new();
        let kinds: &[u8] = if r == 0 { &[0] } else { &[1, 2, 3] };
        for &kind in kinds {
            let (bw, bh, x0, y0, level) = if r == 0 {
                (rw, rh, 0, 0, levels)
            } else {
                let level = d + 1;
                let (pw, ph) = size(level - 1);
                let (lw, lh) = size(level);
                match kind {
                    1 => (pw - lw, lh, lw, 0, level),
                    2 => (lw, ph - lh, 0, lh, level),
                    _ => (pw - lw, ph - lh, lw, lh, level),
                }
            };
            let index = if r == 0 {
                0
            } else {
                3 * (r as usize - 1) + kind as usize
            };
            let (eps, mu) = step(index, level)?;
            let mb = (guard + eps).saturating_sub(1);
            if mb == 0 {
                return invalid("QCD", "a subband with no magnitude bit-planes");
            }
            if mb > 29 {
                return unsupported(format!("{mb} magnitude bit-planes in a subband"));
            }
            let gain = [0, 1, 1, 2][kind as usize];
            let step = if cod.reversible {
                1.0
            } else {
                let exponent = precision + gain - eps as i32;
                // Without any synthesis level (all levels discarded) the LL band is the image itself.
                let k = if kept_levels == 0 {
                    1.0
                } else {
                    dwt::k_gain(rect, level, kind)
                };
                (2f64.powi(exponent) * (1.0 + f64::from(mu) / 2048.0)) as f32 * k
            };
            // The subband's corner on its own grid (T.800 B-15), where its code-block partition is anchored at 0.
            let (xob, yob) = (i64::from(kind & 1), i64::from(kind >> 1));
            let at = |v: usize, ob: i64| -> usize {
                if r == 0 {
                    (v as u64).div_ceil(1 << levels) as usize
                } else {
                    ceil_shift(v as i64 - (ob << (level - 1)), level) as usize
                }
            };
            let (ax0, ay0) = (at(rect.x0, xob), at(rect.y0, yob));
            let (cbx, cby) = if bw == 0 || bh == 0 {
                (0, 0)
            } else {
                (
                    (ax0 + bw).div_ceil(cbw) - ax0 / cbw,
                    (ay0 + bh).div_ceil(cbh) - ay0 / cbh,
                )
            };
            bands.push(Band {
                x0,
                y0,
                w: bw,
                h: bh,
                ax0,
                ay0,
                cbw,
                cbh,
                cbx,
                cby,
                mb,
                step,
            });
        }
        out.push(bands);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::roi_descale;

    #[test]
    fn roi_descale_scales_down_the_region_and_leaves_the_background() {
        // Indices, shift 3: magnitudes of 8 and more are the region's.
        let mut v = [0, 7, -7, 8, -8, 8 * 5 + 3, -(8 * 5), 1 << 28];
        roi_descale(&mut v, 3, false);
        assert_eq!(v, [0, 7, -7, 1, -1, 5, -5, 1 << 25]);
        // Twice the reconstruction point: indices of 8 and more are 16 and more.
        let mut v = [15, -15, 16, -17, 2 * 40 + 1];
        roi_descale(&mut v, 3, true);
        assert_eq!(v, [15, -15, 2, -2, 10]);
    }
}
