//! Marker segments of the JPEG 2000 codestream (ITU-T T.800 Annex A) that an HTJ2K or Part 1 image needs: SIZ,
//! CAP, COD, COC, QCD, QCC, RGN, POC (in the main header and in a tile's first tile-part header, with T.800 A.6's
//! precedence), packed packet headers (PPM, PPT) and the tile-parts of each tile. This module must not decode packets or
//! coefficients.

use crate::error::*;
use std::borrow::Cow;

const SOC: u16 = 0xFF4F;
const SIZ: u16 = 0xFF51;
const CAP: u16 = 0xFF50;
const COD: u16 = 0xFF52;
const COC: u16 = 0xFF53;
const QCD: u16 = 0xFF5C;
const QCC: u16 = 0xFF5D;
const RGN: u16 = 0xFF5E;
const POC: u16 = 0xFF5F;
const PPM: u16 = 0xFF60;
const PPT: u16 = 0xFF61;
const SOT: u16 = 0xFF90;
const SOD: u16 = 0xFF93;
const EOC: u16 = 0xFFD9;

/// One image component (SIZ Ssiz).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Component {
    pub precision: u8,
    pub signed: bool,
    /// Subsampling (XRsiz, YRsiz): the component has a sample every `dx` columns and `dy` rows of the grid.
    pub dx: u8,
    pub dy: u8,
}

/// Coding style (COD; with a COC's fields for one component, see [`CodingStyle::with`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodingStyle {
    pub sop: bool,
    pub eph: bool,
    pub progression: u8,
    /// Quality layers.
    pub layers: u16,
    pub mct: bool,
    pub levels: u8,
    /// Code-block width and height exponents (xcb, ycb).
    pub xcb: u8,
    pub ycb: u8,
    pub reversible: bool,
    /// Precinct size exponents (PPx, PPy) per resolution, 15 when not signalled.
    pub precincts: Vec<(u8, u8)>,
    /// HT code-blocks (T.814); otherwise Part 1 (EBCOT) code-blocks.
    pub ht: bool,
    /// The code-block style bits (SPcod), for Part 1 code-blocks.
    pub block_style: u8,
    /// The region of interest shift (RGN SPrgn, max-shift method, T.800 Annex H) of the component; 0: none.
    pub roi_shift: u8,
}

/// The part of a coding style that a COC marker segment sets for one component (SPcoc, and Scoc's precinct bit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComponentStyle {
    pub levels: u8,
    pub xcb: u8,
    pub ycb: u8,
    pub reversible: bool,
    pub precincts: Vec<(u8, u8)>,
    pub ht: bool,
    pub block_style: u8,
}

impl CodingStyle {
    /// This style with one component's fields replaced by a COC's.
    pub fn with(&self, c: &ComponentStyle) -> CodingStyle {
        CodingStyle {
            levels: c.levels,
            xcb: c.xcb,
            ycb: c.ycb,
            reversible: c.reversible,
            precincts: c.precincts.clone(),
            ht: c.ht,
            block_style: c.block_style,
            ..self.clone()
        }
    }
}

/// The coding parameters a main header or a tile's first tile-part header sets: COD, COC per component, QCD, QCC
/// per component.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pub cod: Option<CodingStyle>,
    pub coc: Vec<Option<ComponentStyle>>,
    pub qcd: Option<Quantization>,
    pub qcc: Vec<Option<Quantization>>,
    /// RGN: the region of interest shift per component.
    pub rgn: Vec<Option<u8>>,
}

impl Params {
    fn new(components: usize) -> Params {
        Params {
            cod: None,
            coc: vec![None; components],
            qcd: None,
            qcc: vec![None; components],
            rgn: vec![None; components],
        }
    }

    /// Whether any parameter is set.
    fn any(&self) -> bool {
        self.cod.is_some()
            || self.qcd.is_some()
            || self.coc.iter().any(Option::is_some)
            || self.qcc.iter().any(Option::is_some)
            || self.rgn.iter().any(Option::is_some)
    }

    /// Read one COD, COC, QCD, QCC or RGN marker segment (`marker`) into these parameters.
    fn read(&mut self, marker: u16, body: &[u8]) -> Result<()> {
        let nc = self.coc.len();
        match marker {
            COD => self.cod = Some(coding_style(body, nc)?),
            COC => {
                let (c, rest) = component_index(body, nc, "COC")?;
                let (&scoc, rest) = rest.split_first().ok_or(Error::InvalidSegment {
                    segment: "COC",
                    reason: "shorter than its fixed fields".to_string(),
                })?;
                if scoc & !1 != 0 {
                    return invalid("COC", format!("Scoc {scoc:#04x}"));
                }
                self.coc[c] = Some(component_style(rest, scoc & 1 != 0, "COC")?);
            }
            QCD => self.qcd = Some(quantization(body, "QCD")?),
            RGN => {
                let (c, rest) = component_index(body, nc, "RGN")?;
                // Srgn 0: the max-shift method, the only one T.800 defines.
                match rest {
                    [0, shift] => self.rgn[c] = Some(*shift),
                    [srgn, _] => return invalid("RGN", format!("Srgn {srgn}")),
                    _ => return invalid("RGN", format!("{} bytes", body.len())),
                }
            }
            _ => {
                let (c, rest) = component_index(body, nc, "QCC")?;
                self.qcc[c] = Some(quantization(rest, "QCC")?);
            }
        }
        Ok(())
    }

    /// The coding style and quantization of every component where these parameters override `base`'s
    /// (T.800 A.6: a tile's COC, then its COD, then the main header's COC, then its COD).
    pub fn resolve(
        &self,
        base: Option<(&CodingStyle, &[CodingStyle], &[Quantization])>,
    ) -> Result<(CodingStyle, Vec<CodingStyle>, Vec<Quantization>)> {
        let cod = match (&self.cod, base) {
            (Some(cod), _) => cod.clone(),
            (None, Some((cod, _, _))) => cod.clone(),
            (None, None) => {
                return invalid("main header", "no COD marker segment");
            }
        };
        let mut styles = Vec::with_capacity(self.coc.len());
        let mut quants = Vec::with_capacity(self.coc.len());
        for c in 0..self.coc.len() {
            let mut style = match (&self.coc[c], &self.cod, base) {
                (Some(coc), _, _) => cod.with(coc),
                // This header's COD (a tile's replaces the main header's COC too).
                (None, Some(_), _) | (None, None, None) => cod.clone(),
                // A tile without COD or COC for the component: the main header's style of it.
                (None, None, Some((_, styles, _))) => styles[c].clone(),
            };
            // A tile's RGN, or the main header's (RGN is independent of COD and COC).
            style.roi_shift = match (self.rgn[c], base) {
                (Some(shift), _) => shift,
                (None, Some((_, styles, _))) => styles[c].roi_shift,
                (None, None) => 0,
            };
            if style.roi_shift > 0 && style.ht {
                return unsupported("a region of interest (RGN) with HT code-blocks");
            }
            styles.push(style);
            quants.push(match (&self.qcc[c], &self.qcd, base) {
                (Some(q), _, _) => q.clone(),
                (None, Some(q), _) => q.clone(),
                (None, None, Some((_, _, quants))) => quants[c].clone(),
                (None, None, None) => {
                    return invalid("main header", "no QCD marker segment");
                }
            });
        }
        if cod.mct
            && styles[..3]
                .iter()
                .any(|s| s.reversible != styles[0].reversible)
        {
            return unsupported("a colour transform over components with different wavelets");
        }
        Ok((cod, styles, quants))
    }
}

/// The component index that starts a COC, QCC or RGN (one byte, two with more than 256 components), and the rest.
fn component_index<'a>(
    b: &'a [u8],
    components: usize,
    name: &'static str,
) -> Result<(usize, &'a [u8])> {
    let wide = components > 256;
    let n = if wide { 2 } else { 1 };
    if b.len() < n {
        return invalid(name, "shorter than its component index");
    }
    let c = if wide {
        usize::from(be16(b, 0))
    } else {
        usize::from(b[0])
    };
    if c >= components {
        return invalid(name, format!("component {c} of {components}"));
    }
    Ok((c, &b[n..]))
}

/// One progression order change (POC, T.800 A.6.6): the packets of layers below `layer_end`, resolutions
/// `res_start..res_end` and components `comp_start..comp_end` not sent yet, in progression `progression`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Poc {
    pub res_start: u8,
    pub comp_start: u16,
    pub layer_end: u16,
    pub res_end: u8,
    pub comp_end: u16,
    pub progression: u8,
}

/// Quantization (QCD): guard bits and (exponent, mantissa) per subband, LL first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Quantization {
    pub guard_bits: u8,
    pub steps: Vec<(u8, u16)>,
}

pub(crate) struct Codestream<'a> {
    /// The image's (or a tile's) size.
    pub width: u32,
    pub height: u32,
    /// Where the image starts on the reference grid (XOsiz, YOsiz); for a tile ([`Codestream::tile`]), where the
    /// tile starts.
    pub x0: u32,
    pub y0: u32,
    pub components: Vec<Component>,
    /// The tile's COD: its tile-wide fields (progression, layers, SOP/EPH, colour transform) apply; the
    /// per-component ones are in `styles`.
    pub cod: CodingStyle,
    /// The coding style of each component (COD with COC applied, tile overrides included).
    pub styles: Vec<CodingStyle>,
    /// The quantization of each component (QCD with QCC applied, tile overrides included).
    pub quants: Vec<Quantization>,
    /// The packets of the tile of a single-tile image: the bodies of its tile-parts, in order (empty with several
    /// tiles or an offset).
    pub tile_data: Cow<'a, [u8]>,
    /// The packed packet headers of that tile (PPM or PPT): the packet headers are read from them, the packet
    /// bodies from `tile_data`. None: the headers are in the packets.
    pub headers: Option<Cow<'a, [u8]>>,
    /// The tiles of an image of several tiles or at an offset, in raster order (empty for a single tile at the
    /// origin).
    pub tiles: Vec<Tile<'a>>,
    /// Progression order changes of the tile of a single-tile image (the main header's, or its tile-parts' when
    /// they have any); for several tiles, those of the main header.
    pub poc: Vec<Poc>,
}

/// One tile of `Codestream::tiles`: where it lies on the reference grid and its packets.
pub(crate) struct Tile<'a> {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
    /// The bodies of its tile-parts, in order; empty when none of them is in the data (a prefix).
    pub data: Cow<'a, [u8]>,
    /// Its packed packet headers (see [`Codestream::headers`]).
    pub headers: Option<Vec<u8>>,
    /// The progression order changes of its tile-part headers, in order.
    pub poc: Vec<Poc>,
    /// Its COD, and the coding style and quantization of each component (see [`Codestream`]).
    pub cod: CodingStyle,
    pub styles: Vec<CodingStyle>,
    pub quants: Vec<Quantization>,
}

impl Codestream<'_> {
    /// Tile `t` of several as an image of its own: the tile's size, at the tile's corner on the reference grid.
    pub fn tile(&self, t: usize) -> Codestream<'_> {
        let tile = &self.tiles[t];
        Codestream {
            width: tile.x1 - tile.x0,
            height: tile.y1 - tile.y0,
            x0: tile.x0,
            y0: tile.y0,
            components: self.components.clone(),
            cod: tile.cod.clone(),
            styles: tile.styles.clone(),
            quants: tile.quants.clone(),
            tile_data: Cow::Borrowed(&tile.data),
            headers: tile.headers.as_deref().map(Cow::Borrowed),
            tiles: Vec::new(),
            poc: if tile.poc.is_empty() {
                self.poc.clone()
            } else {
                tile.poc.clone()
            },
        }
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u16(&mut self, part: &'static str) -> Result<u16> {
        let b = self
            .data
            .get(self.pos..self.pos + 2)
            .ok_or(Error::Truncated { part })?;
        self.pos += 2;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A marker segment's body (after its length field).
    fn segment(&mut self, name: &'static str) -> Result<&'a [u8]> {
        let len = self.u16("in a marker segment length")? as usize;
        if len < 2 {
            return invalid(name, format!("length {len}"));
        }
        let body = self
            .data
            .get(self.pos..self.pos + len - 2)
            .ok_or(Error::Truncated {
                part: "inside a marker segment",
            })?;
        self.pos += len - 2;
        Ok(body)
    }
}

fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}

fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

/// Header fields read before the first tile-part.
pub(crate) struct MainHeader {
    /// The image's size (Xsiz − XOsiz, Ysiz − YOsiz) and where it starts on the reference grid (XOsiz, YOsiz).
    pub width: u32,
    pub height: u32,
    pub x0: u32,
    pub y0: u32,
    /// Tile width and height (XTsiz, YTsiz), and where the tile grid starts (XTOsiz, YTOsiz).
    pub tile_width: u32,
    pub tile_height: u32,
    pub tile_x0: u32,
    pub tile_y0: u32,
    pub components: Vec<Component>,
    /// COD, COC, QCD and QCC.
    pub params: Params,
    pub poc: Vec<Poc>,
    pub ht: bool,
    /// Where the first SOT marker starts.
    pub end: usize,
    /// The packed packet headers of the PPM marker segments (T.800 A.7.4), put together in Zppm order: Nppm and
    /// the headers of each tile-part in turn.
    pub ppm: Option<Vec<u8>>,
}

pub(crate) fn main_header(data: &[u8]) -> Result<MainHeader> {
    if data.len() < 4 || be16(data, 0) != SOC || be16(data, 2) != SIZ {
        return Err(Error::NotJ2k);
    }
    let mut r = Reader { data, pos: 4 };
    let Siz {
        xsiz,
        ysiz,
        x0,
        y0,
        tile_width,
        tile_height,
        tile_x0,
        tile_y0,
        components,
    } = siz(r.segment("SIZ")?)?;
    let mut params = Params::new(components.len());
    let mut cap_ht = false;
    let mut pocs = Vec::new();
    let mut ppm = Vec::new();
    loop {
        let marker = r.u16("before the first tile (SOT)")?;
        match marker {
            SOT => {
                return Ok(MainHeader {
                    width: xsiz - x0,
                    height: ysiz - y0,
                    x0,
                    y0,
                    tile_width,
                    tile_height,
                    tile_x0,
                    tile_y0,
                    components,
                    ht: cap_ht,
                    params,
                    poc: pocs,
                    end: r.pos - 2,
                    ppm: if ppm.is_empty() {
                        None
                    } else {
                        Some(packed(ppm, "PPM")?)
                    },
                })
            }
            CAP => {
                let body = r.segment("CAP")?;
                if body.len() < 4 {
                    return invalid("CAP", "shorter than Pcap");
                }
                // Pcap bit 15 (counted from the most significant bit, 1-based): Part 15 capabilities.
                cap_ht = be32(body, 0) & (1 << (32 - 15)) != 0;
            }
            COD | COC | QCD | QCC | RGN => params.read(marker, r.segment("main header")?)?,
            POC => poc(r.segment("POC")?, components.len(), &mut pocs)?,
            PPM => {
                let body = r.segment("PPM")?;
                ppm.push(body);
            }
            m if m >> 8 != 0xFF || (0xFF30..=0xFF3F).contains(&m) => {
                if (0xFF30..=0xFF3F).contains(&m) {
                    continue; // reserved markers without a segment
                }
                return invalid(
                    "main header",
                    format!("{m:04X} where a marker was expected"),
                );
            }
            // TLM, PLM, CRG, COM, CPF, NLT… carry nothing this decoder needs.
            _ => {
                r.segment("main header")?;
            }
        }
    }
}

/// The fields of SIZ.
struct Siz {
    xsiz: u32,
    ysiz: u32,
    x0: u32,
    y0: u32,
    tile_width: u32,
    tile_height: u32,
    tile_x0: u32,
    tile_y0: u32,
    components: Vec<Component>,
}

fn siz(b: &[u8]) -> Result<Siz> {
    if b.len() < 36 {
        return invalid("SIZ", "shorter than its fixed fields");
    }
    let (xsiz, ysiz, xo, yo) = (be32(b, 2), be32(b, 6), be32(b, 10), be32(b, 14));
    let (xt, yt, xto, yto) = (be32(b, 18), be32(b, 22), be32(b, 26), be32(b, 30));
    let csiz = be16(b, 34) as usize;
    if csiz == 0 || b.len() < 36 + 3 * csiz {
        return invalid("SIZ", format!("{csiz} components in {} bytes", b.len()));
    }
    // The first tile must hold part of the image (T.800 A.5.1).
    if xo >= xsiz
        || yo >= ysiz
        || xt == 0
        || yt == 0
        || xto > xo
        || yto > yo
        || u64::from(xto) + u64::from(xt) <= u64::from(xo)
        || u64::from(yto) + u64::from(yt) <= u64::from(yo)
    {
        return invalid("SIZ", "empty image or tile grid outside the image");
    }
    // Isot counts tiles in 16 bits.
    if u64::from((xsiz - xto).div_ceil(xt)) * u64::from((ysiz - yto).div_ceil(yt)) > 65535 {
        return invalid("SIZ", "more than 65,535 tiles");
    }
    if csiz > 16 {
        return unsupported(format!("{csiz} components"));
    }
    let mut components = Vec::with_capacity(csiz);
    for c in 0..csiz {
        let (ssiz, dx, dy) = (b[36 + 3 * c], b[37 + 3 * c], b[38 + 3 * c]);
        if dx == 0 || dy == 0 {
            return invalid("SIZ", "a component subsampling factor of 0");
        }
        let precision = (ssiz & 0x7F) + 1;
        if precision > 16 {
            return unsupported(format!("{precision}-bit components"));
        }
        components.push(Component {
            precision,
            signed: ssiz & 0x80 != 0,
            dx,
            dy,
        });
    }
    Ok(Siz {
        xsiz,
        ysiz,
        x0: xo,
        y0: yo,
        tile_width: xt,
        tile_height: yt,
        tile_x0: xto,
        tile_y0: yto,
        components,
    })
}

fn coding_style(b: &[u8], components: usize) -> Result<CodingStyle> {
    if b.len() < 10 {
        return invalid("COD", "shorter than its fixed fields");
    }
    let scod = b[0];
    let progression = b[1];
    let layers = be16(b, 2);
    let mct = b[4];
    if progression > 4 || layers == 0 || mct > 1 {
        return invalid("COD", "a field out of range");
    }
    if scod & !7 != 0 {
        return invalid("COD", format!("Scod {scod:#04x}"));
    }
    if mct == 1 && components < 3 {
        return invalid(
            "COD",
            "a multiple component transform with fewer than 3 components",
        );
    }
    let c = component_style(&b[5..], scod & 1 != 0, "COD")?;
    Ok(CodingStyle {
        sop: scod & 2 != 0,
        eph: scod & 4 != 0,
        progression,
        layers,
        mct: mct == 1,
        levels: c.levels,
        xcb: c.xcb,
        ycb: c.ycb,
        reversible: c.reversible,
        precincts: c.precincts,
        ht: c.ht,
        block_style: c.block_style,
        roi_shift: 0,
    })
}

/// SPcod or SPcoc: levels, code-block size and style, wavelet, and the precinct sizes when `precincts` says so.
fn component_style(b: &[u8], precincts: bool, name: &'static str) -> Result<ComponentStyle> {
    if b.len() < 5 {
        return invalid(name, "shorter than its fixed fields");
    }
    let levels = b[0];
    let (xcb, ycb, style, transform) = (b[1].saturating_add(2), b[2].saturating_add(2), b[3], b[4]);
    if levels > 32 || transform > 1 {
        return invalid(name, "a field out of range");
    }
    if xcb > 10 || ycb > 10 || xcb + ycb > 12 {
        return invalid(name, format!("code-blocks of 2^{xcb}×2^{ycb}"));
    }
    let ht = style & 0x40 != 0;
    if style & 0x80 != 0 {
        return unsupported("mixed HT and Part 1 code-blocks");
    }
    let mut sizes = vec![(15, 15); levels as usize + 1];
    if precincts {
        let p = b.get(5..6 + levels as usize).ok_or(Error::InvalidSegment {
            segment: name,
            reason: "shorter than its precinct sizes".to_string(),
        })?;
        for (slot, &v) in sizes.iter_mut().zip(p) {
            *slot = (v & 0xF, v >> 4);
        }
    }
    Ok(ComponentStyle {
        levels,
        xcb,
        ycb,
        reversible: transform == 1,
        precincts: sizes,
        ht,
        block_style: style,
    })
}

/// The entries of a POC marker segment, appended to `out`.
fn poc(b: &[u8], components: usize, out: &mut Vec<Poc>) -> Result<()> {
    let wide = components > 256;
    let size = if wide { 9 } else { 7 };
    if b.is_empty() || !b.len().is_multiple_of(size) {
        return invalid("POC", format!("{} bytes", b.len()));
    }
    for e in b.chunks_exact(size) {
        let comp = |o: usize| {
            if wide {
                be16(e, o)
            } else {
                u16::from(e[o])
            }
        };
        let c = if wide { 1 } else { 0 };
        let entry = Poc {
            res_start: e[0],
            comp_start: comp(1),
            layer_end: be16(e, 2 + c),
            res_end: e[4 + c],
            // CEpoc 0 stands for 256 (or 16,384 with two bytes).
            comp_end: match comp(5 + c) {
                0 if wide => 16384,
                0 => 256,
                v => v,
            },
            progression: e[6 + 2 * c],
        };
        if entry.progression > 4
            || entry.res_end <= entry.res_start
            || entry.comp_end <= entry.comp_start
        {
            return invalid("POC", "an empty or unknown progression");
        }
        out.push(entry);
    }
    Ok(())
}

fn quantization(b: &[u8], name: &'static str) -> Result<Quantization> {
    let sqcd = *b.first().ok_or(Error::InvalidSegment {
        segment: name,
        reason: "empty".to_string(),
    })?;
    let guard_bits = sqcd >> 5;
    let rest = &b[1..];
    let steps = match sqcd & 0x1F {
        0 => rest.iter().map(|&v| (v >> 3, 0)).collect(),
        1 | 2 => rest
            .chunks_exact(2)
            .map(|c| {
                let v = u16::from_be_bytes([c[0], c[1]]);
                ((v >> 11) as u8, v & 0x7FF)
            })
            .collect::<Vec<_>>(),
        s => return invalid(name, format!("quantization style {s}")),
    };
    if steps.is_empty() {
        return invalid(name, "no step sizes");
    }
    let derived = sqcd & 0x1F == 1;
    Ok(Quantization {
        guard_bits,
        steps: if derived { steps[..1].to_vec() } else { steps },
    })
}

/// The packed packet headers of PPM or PPT marker segments (`segments`: each one's Z index and bytes): their
/// bytes after Z, put together in Z order (T.800 A.7.4, A.7.5). Two segments with one Z are invalid.
fn packed(mut segments: Vec<&[u8]>, name: &'static str) -> Result<Vec<u8>> {
    if segments.iter().any(|s| s.is_empty()) {
        return invalid(name, "no Z index");
    }
    segments.sort_by_key(|s| s[0]);
    if segments.windows(2).any(|w| w[0][0] == w[1][0]) {
        return invalid(name, "two marker segments with one index");
    }
    Ok(segments.iter().flat_map(|s| &s[1..]).copied().collect())
}

/// Read the whole codestream: main header and the one tile's tile-parts.
pub(crate) fn parse(data: &[u8]) -> Result<Codestream<'_>> {
    parse_with(data, false)
}

/// Read the first bytes of a codestream as they arrive: the main header must be complete; a tile-part cut short
/// contributes the bytes present, and one whose header is incomplete is left out. Packets that run past the
/// data then give `Truncated` when read.
pub(crate) fn parse_prefix(data: &[u8]) -> Result<Codestream<'_>> {
    parse_with(data, true)
}

fn parse_with<'a>(data: &'a [u8], prefix: bool) -> Result<Codestream<'a>> {
    let main = main_header(data)?;
    let (cod, styles, quants) = main.params.resolve(None)?;
    let nc = main.components.len();
    // The tile grid from (XTOsiz, YTOsiz) to (Xsiz, Ysiz).
    let (xsiz, ysiz) = (main.x0 + main.width, main.y0 + main.height);
    let (across, down) = (
        (xsiz - main.tile_x0).div_ceil(main.tile_width),
        (ysiz - main.tile_y0).div_ceil(main.tile_height),
    );
    let count = (across * down) as usize;
    // The tile-parts of each tile, in order.
    let mut parts: Vec<Vec<&[u8]>> = vec![Vec::new(); count];
    let mut tile_pocs: Vec<Vec<Poc>> = vec![Vec::new(); count];
    // The coding parameters of each tile's first tile-part header, when they set any.
    let mut tile_params: Vec<Option<Params>> = vec![None; count];
    // Packed packet headers: each tile's PPT segments, or its tile-parts' parts of the PPM stream.
    let mut ppt: Vec<Vec<&[u8]>> = vec![Vec::new(); count];
    let mut headers: Vec<Vec<u8>> = vec![Vec::new(); count];
    let mut ppm_pos = 0;
    let mut any = false;
    let mut pos = main.end;
    loop {
        let marker = data
            .get(pos..pos + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]));
        match marker {
            None => break, // tolerated: a missing EOC
            Some(EOC) => break,
            Some(SOT) => {}
            Some(m) => {
                return invalid(
                    "tile-part",
                    format!("{m:04X} where SOT or EOC was expected"),
                )
            }
        }
        let Some(sot) = data.get(pos + 2..pos + 12) else {
            if prefix && any {
                break;
            }
            return Err(Error::Truncated {
                part: "in a tile-part header (SOT)",
            });
        };
        if be16(sot, 0) != 10 {
            return invalid("SOT", "length is not 10");
        }
        let (tile, psot) = (be16(sot, 2), be32(sot, 4) as usize);
        if usize::from(tile) >= count {
            return invalid("SOT", format!("tile {tile} of {count}"));
        }
        let end = if psot == 0 {
            // The last tile-part runs to EOC.
            if data.ends_with(&[0xFF, 0xD9]) {
                data.len() - 2
            } else {
                data.len()
            }
        } else {
            match pos.checked_add(psot) {
                Some(e) if e <= data.len() => e,
                // A prefix holds the start of this tile-part: its packets go as far as the data.
                Some(_) if prefix => data.len(),
                _ => {
                    return Err(Error::Truncated {
                        part: "inside a tile-part",
                    })
                }
            }
        };
        if psot != 0 && psot < 14 {
            return invalid("SOT", "a tile-part shorter than its header");
        }
        if end < pos + 14 {
            if prefix && any {
                break;
            }
            return Err(Error::Truncated {
                part: "in a tile-part header",
            });
        }
        let t = usize::from(tile);
        let first = parts[t].is_empty();
        let mut params = Params::new(nc);
        let body = match tile_part_body(
            &data[..end],
            pos + 12,
            nc,
            &mut tile_pocs[t],
            first.then_some(&mut params),
            &mut ppt[t],
        ) {
            Ok(body) => body,
            Err(Error::Truncated { .. }) if prefix && any => break,
            Err(e) => return Err(e),
        };
        if first && params.any() {
            tile_params[t] = Some(params);
        }
        if let Some(ppm) = &main.ppm {
            // Nppm, then the packet headers of this tile-part.
            let n = ppm
                .get(ppm_pos..ppm_pos + 4)
                .ok_or(Error::InvalidSegment {
                    segment: "PPM",
                    reason: "fewer packet headers than tile-parts".to_string(),
                })
                .map(|b| be32(b, 0) as usize)?;
            let part = ppm_pos
                .checked_add(4 + n)
                .and_then(|end| ppm.get(ppm_pos + 4..end))
                .ok_or(Error::InvalidSegment {
                    segment: "PPM",
                    reason: "an Nppm past the packet headers".to_string(),
                })?;
            headers[t].extend_from_slice(part);
            ppm_pos += 4 + n;
        }
        parts[t].push(&data[body..end]);
        any = true;
        if end == data.len() || psot == 0 {
            break;
        }
        pos = end;
    }
    if !any {
        return Err(Error::Truncated {
            part: "before the first tile-part",
        });
    }
    // A whole codestream has every tile; a prefix may lack the last ones.
    if !prefix && parts.iter().any(|p| p.is_empty()) {
        return Err(Error::Truncated {
            part: "before a tile's first tile-part",
        });
    }
    // Each tile's parameters: the main header's, with its own overrides.
    let resolved = |t: usize| -> Result<(CodingStyle, Vec<CodingStyle>, Vec<Quantization>)> {
        match &tile_params[t] {
            Some(p) => p.resolve(Some((&cod, &styles, &quants))),
            None => Ok((cod.clone(), styles.clone(), quants.clone())),
        }
    };
    if main.ppm.is_some() && ppt.iter().any(|p| !p.is_empty()) {
        return invalid("PPT", "packed packet headers in both PPM and PPT");
    }
    for (h, p) in headers.iter_mut().zip(ppt) {
        if !p.is_empty() {
            *h = packed(p, "PPT")?;
        }
    }
    let packed_headers = main.ppm.is_some() || headers.iter().any(|h| !h.is_empty());
    let mut headers = headers.into_iter().map(|h| packed_headers.then_some(h));
    let join = |p: &[&'a [u8]]| match p {
        [] => Cow::Borrowed(&[][..]),
        [one] => Cow::Borrowed(*one),
        many => Cow::Owned(many.concat()),
    };
    let offset = main.x0 != 0 || main.y0 != 0;
    if count == 1 && !offset {
        let (cod, styles, quants) = resolved(0)?;
        let poc = match tile_pocs.first_mut() {
            Some(p) if !p.is_empty() => std::mem::take(p),
            _ => main.poc,
        };
        return Ok(Codestream {
            width: main.width,
            height: main.height,
            x0: 0,
            y0: 0,
            components: main.components,
            cod,
            styles,
            quants,
            tile_data: join(&parts[0]),
            headers: headers.next().flatten().map(Cow::Owned),
            tiles: Vec::new(),
            poc,
        });
    }
    let (tw, th) = (u64::from(main.tile_width), u64::from(main.tile_height));
    let mut tiles = Vec::with_capacity(count);
    for (t, (p, poc)) in parts.iter().zip(&mut tile_pocs).enumerate() {
        let (tx, ty) = (t as u64 % u64::from(across), t as u64 / u64::from(across));
        let (tcod, tstyles, tquants) = resolved(t)?;
        // The tile's cell of the grid, within the image (T.800 B.3); below 2^32 as Xsiz and Ysiz are.
        let (gx, gy) = (u64::from(main.tile_x0), u64::from(main.tile_y0));
        let clip = |v: u64, lo: u32, hi: u32| v.clamp(u64::from(lo), u64::from(hi)) as u32;
        tiles.push(Tile {
            x0: clip(gx + tx * tw, main.x0, xsiz),
            y0: clip(gy + ty * th, main.y0, ysiz),
            x1: clip(gx + (tx + 1) * tw, main.x0, xsiz),
            y1: clip(gy + (ty + 1) * th, main.y0, ysiz),
            data: join(p),
            headers: headers.next().flatten(),
            poc: std::mem::take(poc),
            cod: tcod,
            styles: tstyles,
            quants: tquants,
        });
    }
    Ok(Codestream {
        width: main.width,
        height: main.height,
        x0: main.x0,
        y0: main.y0,
        components: main.components,
        cod,
        styles,
        quants,
        tile_data: Cow::Borrowed(&[][..]),
        headers: None,
        tiles,
        poc: main.poc,
    })
}

/// Where the body of the tile-part whose header markers start at `pos` begins (after SOD); `data` ends with the
/// tile-part. `params`: where the coding parameters of a tile's first tile-part header go (None for the others,
/// where T.800 A.4.2 allows none). Its PPT marker segments (Zppt and Ippt) go to `ppt`.
fn tile_part_body<'a>(
    data: &'a [u8],
    pos: usize,
    components: usize,
    pocs: &mut Vec<Poc>,
    mut params: Option<&mut Params>,
    ppt: &mut Vec<&'a [u8]>,
) -> Result<usize> {
    let mut r = Reader { data, pos };
    loop {
        match r.u16("in a tile-part header")? {
            SOD => return Ok(r.pos),
            POC => poc(r.segment("POC")?, components, pocs)?,
            m @ (COD | COC | QCD | QCC | RGN) => match params.as_deref_mut() {
                Some(p) => p.read(m, r.segment("tile-part header")?)?,
                None => {
                    return invalid(
                        "tile-part header",
                        "coding parameters after a tile's first tile-part",
                    )
                }
            },
            PPT => ppt.push(r.segment("PPT")?),
            m if m >> 8 != 0xFF => {
                return invalid(
                    "tile-part header",
                    format!("{m:04X} where a marker was expected"),
                )
            }
            _ => {
                r.segment("tile-part header")?; // PLT, COM
            }
        }
    }
}
