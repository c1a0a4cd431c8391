//! `multipart/related` bodies (RFC 2387 over the RFC 2046 multipart syntax), as DICOMweb uses them for
//! WADO-RS retrieve (`multipart/related; type="application/dicom"`) and STOW-RS store requests (PS3.18 §8.7).
//!
//! [`build_related`] writes a body and the matching `Content-Type` header value; [`parse_related`] splits a body
//! into its [`Part`]s using the boundary from the `Content-Type` header. Parsing is lenient where real servers are
//! sloppy (a preamble, an epilogue, bare LF line ends, a missing CRLF after the close delimiter) and strict where
//! guessing would corrupt data (no boundary, no close delimiter, a header line without a colon): those return an
//! [`Error`], never a panic. This module knows nothing about DICOM or HTTP transports: it must not look inside part
//! bodies, and it never allocates more than one copy of the input.

use bytes::Bytes;
use snafu::{ensure, OptionExt, Snafu};

/// What went wrong reading a `Content-Type` header or a `multipart/related` body.
#[derive(Debug, Snafu)]
#[non_exhaustive]
pub enum Error {
    /// The `Content-Type` header value is not `type/subtype` followed by `; name=value` parameters.
    #[snafu(display("malformed Content-Type `{header}`: {reason}"))]
    MalformedContentType {
        header: String,
        reason: &'static str,
    },
    /// The `Content-Type` is not a `multipart/*` media type, so there are no parts to split.
    #[snafu(display("expected a multipart Content-Type, got `{media_type}`"))]
    NotMultipart { media_type: String },
    /// A multipart `Content-Type` without the mandatory `boundary` parameter (RFC 2046 §5.1.1).
    #[snafu(display("multipart Content-Type `{header}` has no boundary parameter"))]
    MissingBoundary { header: String },
    /// The boundary is empty, absurdly long, ends in a space or holds a line break (RFC 2046 §5.1.1).
    #[snafu(display("invalid multipart boundary `{boundary}`: {reason}"))]
    InvalidBoundary {
        boundary: String,
        reason: &'static str,
    },
    /// The body never contains the first `--boundary` delimiter line.
    #[snafu(display("multipart body has no `--{boundary}` delimiter"))]
    NoDelimiter { boundary: String },
    /// The body ends before the close delimiter `--boundary--`: the response was probably truncated.
    #[snafu(display(
        "multipart body ends inside part #{part} without the closing `--{boundary}--` delimiter"
    ))]
    Truncated { boundary: String, part: usize },
    /// Something other than spaces and a line end follows a delimiter.
    #[snafu(display("unexpected bytes after the delimiter of part #{part}"))]
    GarbageAfterDelimiter { part: usize },
    /// A header line in part `part` has no `:` (RFC 5322 field syntax).
    #[snafu(display("part #{part} has a malformed header line `{line}`"))]
    MalformedPartHeader { part: usize, line: String },
}

/// One body part of a multipart message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The part's `Content-Type` header value, verbatim (parameters included, e.g.
    /// `application/dicom; transfer-syntax=1.2.840.10008.1.2.1`). A parsed part without a `Content-Type` header gets
    /// the RFC 2046 §5.1 default, `text/plain; charset=us-ascii`.
    pub content_type: String,
    /// The part's other header fields (`Content-Location`, `Content-ID`, …) in order of appearance, names as written.
    /// `Content-Type` is never repeated here; [`build_related`] ignores a `Content-Type` entry in this list.
    pub headers: Vec<(String, String)>,
    /// The part's body, byte for byte.
    pub body: Bytes,
}

impl Part {
    /// A part with only a `Content-Type`.
    pub fn new(content_type: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Part {
            content_type: content_type.into(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// The first header named `name` (case-insensitive), `Content-Type` included.
    pub fn header(&self, name: &str) -> Option<&str> {
        if name.eq_ignore_ascii_case("content-type") {
            return Some(&self.content_type);
        }
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The part's media type parsed, or `None` if its `Content-Type` is malformed.
    pub fn media_type(&self) -> Option<MediaType> {
        MediaType::parse(&self.content_type).ok()
    }
}

/// The default type of a body part that has no `Content-Type` header (RFC 2046 §5.1).
const DEFAULT_PART_TYPE: &str = "text/plain; charset=us-ascii";

/// A parsed media type: `type/subtype` (lower-cased) and its parameters (names lower-cased, values unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// `type/subtype`, lower case, e.g. `multipart/related`.
    pub essence: String,
    /// `name=value` parameters in order; names lower-cased, quoted values unescaped.
    pub params: Vec<(String, String)>,
}

impl MediaType {
    /// Parses a `Content-Type` (or a single `Accept` entry) value such as
    /// `multipart/related; type="application/dicom"; boundary=abc`.
    pub fn parse(header: &str) -> Result<MediaType, Error> {
        let malformed = |reason| MalformedContentTypeSnafu {
            header: header.to_string(),
            reason,
        };
        let mut rest = header.trim();
        let end = rest.find(';').unwrap_or(rest.len());
        let essence = rest[..end].trim().to_ascii_lowercase();
        let (ty, sub) = essence
            .split_once('/')
            .context(malformed("no `/` in the media type"))?;
        ensure!(
            is_token(ty) && is_token(sub),
            malformed("the media type is not `type/subtype`")
        );
        rest = &rest[end..];
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                break;
            }
            rest = rest
                .strip_prefix(';')
                .context(malformed("expected `;` between parameters"))?
                .trim_start();
            if rest.is_empty() {
                break; // a trailing `;` is harmless
            }
            let eq = rest
                .find('=')
                .context(malformed("a parameter has no `=`"))?;
            let name = rest[..eq].trim().to_ascii_lowercase();
            ensure!(
                is_token(&name),
                malformed("a parameter name is not a token")
            );
            rest = rest[eq + 1..].trim_start();
            let value;
            if let Some(quoted) = rest.strip_prefix('"') {
                let mut v = String::new();
                let mut chars = quoted.char_indices();
                let mut closed = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '"' => {
                            closed = Some(i);
                            break;
                        }
                        '\\' => v.push(
                            chars
                                .next()
                                .context(malformed("a quoted value ends in `\\`"))?
                                .1,
                        ),
                        c => v.push(c),
                    }
                }
                let close = closed.context(malformed("a quoted parameter value is not closed"))?;
                value = v;
                rest = &quoted[close + 1..];
            } else {
                let end = rest.find(';').unwrap_or(rest.len());
                value = rest[..end].trim().to_string();
                rest = &rest[end..];
            }
            params.push((name, value));
        }
        Ok(MediaType { essence, params })
    }

    /// The value of parameter `name` (case-insensitive), if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An RFC 2045 token: visible ASCII without separators.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

/// The `boundary` parameter of a multipart `Content-Type` header value, unquoted and checked against RFC 2046 §5.1.1
/// (not empty, not ending in a space). RFC 2046 caps boundaries at 70 characters; longer ones (up to
/// [`MAX_BOUNDARY_LEN`]) are tolerated because some servers send them.
pub fn boundary_from_content_type(content_type_header: &str) -> Result<String, Error> {
    let mt = MediaType::parse(content_type_header)?;
    ensure!(
        mt.essence.starts_with("multipart/"),
        NotMultipartSnafu {
            media_type: mt.essence.clone()
        }
    );
    let boundary = mt.param("boundary").context(MissingBoundarySnafu {
        header: content_type_header,
    })?;
    check_boundary(boundary)?;
    Ok(boundary.to_string())
}

/// The longest boundary accepted when parsing (RFC 2046 allows 70; the slack is for non-conforming servers).
pub const MAX_BOUNDARY_LEN: usize = 256;

fn check_boundary(boundary: &str) -> Result<(), Error> {
    let invalid = |reason| InvalidBoundarySnafu {
        boundary: boundary.to_string(),
        reason,
    };
    ensure!(!boundary.is_empty(), invalid("it is empty"));
    ensure!(
        boundary.len() <= MAX_BOUNDARY_LEN,
        invalid("it is longer than 256 characters")
    );
    ensure!(!boundary.ends_with(' '), invalid("it ends in a space"));
    ensure!(
        !boundary.contains(['\r', '\n']),
        invalid("it contains a line break")
    );
    Ok(())
}

/// Writes `parts` as one `multipart/related` body.
///
/// `root_type` is the RFC 2387 `type` parameter: the media type of the root (first) part, e.g.
/// `application/dicom` for STOW-RS or `application/dicom+json` for metadata. Returns the `Content-Type` header
/// value to send (`multipart/related; type="…"; boundary=…`) and the body. The boundary is chosen so that it
/// occurs in no part body, which makes the result always parse back to the same parts.
pub fn build_related(parts: &[Part], root_type: &str) -> (String, Vec<u8>) {
    let boundary = choose_boundary(parts);
    let capacity = parts
        .iter()
        .map(|p| p.body.len() + p.content_type.len() + 128)
        .sum::<usize>()
        + 128;
    let mut out = Vec::with_capacity(capacity);
    for part in parts {
        out.extend_from_slice(b"--");
        out.extend_from_slice(boundary.as_bytes());
        out.extend_from_slice(b"\r\nContent-Type: ");
        out.extend_from_slice(one_line(&part.content_type).as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &part.headers {
            if name.eq_ignore_ascii_case("content-type") {
                continue;
            }
            out.extend_from_slice(one_line(name).as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(one_line(value).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&part.body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"--\r\n");
    let header = format!(
        "multipart/related; type=\"{}\"; boundary={}",
        quote_escape(root_type),
        boundary
    );
    (header, out)
}

/// Header values must not break the header section: line breaks become spaces.
fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(['\r', '\n']) {
        s.replace(['\r', '\n'], " ").into()
    } else {
        s.into()
    }
}

fn quote_escape(s: &str) -> String {
    one_line(s).replace('\\', "\\\\").replace('"', "\\\"")
}

/// A boundary (token characters only, so it needs no quoting) that occurs in no part body. It is derived from a
/// hash of the bodies, so the same parts always give the same body, and bumped until it is absent from every body.
fn choose_boundary(parts: &[Part]) -> String {
    // FNV-1a over the body lengths and a sample of each body: cheap, deterministic, no randomness needed.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part
            .body
            .len()
            .to_le_bytes()
            .iter()
            .chain(part.body.iter().take(4096))
        {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    let mut salt: u64 = 0;
    loop {
        let boundary = format!("lumen-{:016x}-{:x}", hash, salt);
        let needle = format!("--{boundary}");
        if !parts
            .iter()
            .any(|p| find(&p.body, needle.as_bytes(), 0).is_some())
        {
            return boundary;
        }
        salt += 1;
    }
}

/// Position of the first `needle` in `haystack` at or after `from`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = from;
    while i + needle.len() <= haystack.len() {
        let offset = haystack.get(i..)?.iter().position(|&b| b == first)?;
        i += offset;
        if haystack.get(i..i + needle.len())? == needle {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Splits a `multipart/*` body into its parts; `content_type_header` is the message's `Content-Type` value, which
/// gives the boundary. Part bodies are copied out of `body`; use [`parse_related_bytes`] to share one buffer.
pub fn parse_related(content_type_header: &str, body: &[u8]) -> Result<Vec<Part>, Error> {
    parse_related_bytes(content_type_header, Bytes::copy_from_slice(body))
}

/// As [`parse_related`], but part bodies are zero-copy slices of `body`.
pub fn parse_related_bytes(content_type_header: &str, body: Bytes) -> Result<Vec<Part>, Error> {
    let boundary = boundary_from_content_type(content_type_header)?;
    let dash_boundary = format!("--{boundary}");
    let delim = dash_boundary.as_bytes();
    let data: &[u8] = &body;

    // The first delimiter line: at the very start, or at the start of a line after a preamble (RFC 2046 §5.1.1).
    let mut pos = next_delimiter(data, delim, 0, true)
        .context(NoDelimiterSnafu {
            boundary: boundary.clone(),
        })?
        .1;
    let mut parts = Vec::new();
    loop {
        let part_no = parts.len() + 1;
        // `pos` is just past `--boundary`. A close delimiter ends the body; whatever follows is the epilogue.
        if data.get(pos..pos + 2) == Some(b"--") {
            return Ok(parts);
        }
        pos =
            skip_to_line_start(data, pos).context(GarbageAfterDelimiterSnafu { part: part_no })?;
        let (headers_end, body_start) = header_section_end(data, pos).context(TruncatedSnafu {
            boundary: boundary.clone(),
            part: part_no,
        })?;
        let header_bytes = data.get(pos..headers_end).unwrap_or_default();
        let (content_type, headers) = parse_part_headers(header_bytes, part_no)?;
        let (body_end, next) =
            next_delimiter(data, delim, body_start, false).context(TruncatedSnafu {
                boundary: boundary.clone(),
                part: part_no,
            })?;
        parts.push(Part {
            content_type,
            headers,
            body: body.slice(body_start..body_end),
        });
        pos = next;
    }
}

/// The first part of a response body while the body is still arriving: [`push`](Self::push) each chunk as it
/// comes, and [`body`](Self::body) gives the part's body bytes received so far — never a byte of the framing
/// (bytes that may turn out to be the start of the next delimiter are held back until they are known). For a
/// response that is not `multipart/*` (one frame sent as a plain body) the whole body is the part. A body this
/// cannot follow (a multipart type without a usable boundary, a malformed part header) gives no bytes; parse the
/// whole body with [`parse_related`] when it has arrived, as usual.
#[derive(Debug, Clone)]
pub struct FirstPartStream {
    /// `--boundary`, or `None` for a single-part body.
    delim: Option<Vec<u8>>,
    data: Vec<u8>,
    /// The part's Content-Type (for a single-part body: the message's).
    content_type: Option<String>,
    /// Where the part's body starts in `data`, once its headers have arrived.
    body_start: Option<usize>,
    /// Where it ends, once the next delimiter has arrived.
    body_end: Option<usize>,
    /// Where the search for that delimiter goes on.
    scanned: usize,
    failed: bool,
}

impl FirstPartStream {
    /// Follows a body sent with the message `Content-Type` `content_type_header`.
    pub fn new(content_type_header: &str) -> Self {
        let multipart = MediaType::parse(content_type_header)
            .map(|m| m.essence.starts_with("multipart/"))
            .unwrap_or(false);
        let mut stream = FirstPartStream {
            delim: None,
            data: Vec::new(),
            content_type: None,
            body_start: None,
            body_end: None,
            scanned: 0,
            failed: false,
        };
        if multipart {
            match boundary_from_content_type(content_type_header) {
                Ok(b) => stream.delim = Some(format!("--{b}").into_bytes()),
                Err(_) => stream.failed = true,
            }
        } else {
            stream.content_type = Some(content_type_header.to_string());
            stream.body_start = Some(0);
        }
        stream
    }

    /// Adds the next bytes of the body.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.failed || self.body_end.is_some() {
            return;
        }
        self.data.extend_from_slice(chunk);
        let Some(delim) = self.delim.as_deref() else {
            return;
        };
        let data = &self.data[..];
        if self.body_start.is_none() {
            let Some((_, after)) = next_delimiter(data, delim, 0, true) else {
                return;
            };
            if data.len() < after + 2 {
                return;
            }
            if data.get(after..after + 2) == Some(b"--") {
                // A close delimiter first: no part at all.
                self.failed = true;
                return;
            }
            let Some(start) = skip_to_line_start(data, after) else {
                // Not yet the line end, or garbage after the delimiter.
                if data[after..]
                    .iter()
                    .any(|b| !matches!(b, b' ' | b'\t' | b'\r'))
                {
                    self.failed = true;
                }
                return;
            };
            let Some((headers_end, body_start)) = header_section_end(data, start) else {
                return;
            };
            match parse_part_headers(&data[start..headers_end], 1) {
                Ok((content_type, _)) => {
                    self.content_type = Some(content_type);
                    self.body_start = Some(body_start);
                    self.scanned = body_start;
                }
                Err(_) => {
                    self.failed = true;
                    return;
                }
            }
        }
        let body_start = self.body_start.unwrap_or(0);
        // The part ends at a line break followed by `--boundary` and then `--`, padding or a line end.
        let mut from = self.scanned;
        while let Some(at) = find(data, delim, from) {
            let after = at + delim.len();
            let Some(&next) = data.get(after) else {
                break; // not yet known whether this is the delimiter
            };
            if at > body_start
                && data[at - 1] == b'\n'
                && matches!(next, b'-' | b' ' | b'\t' | b'\r' | b'\n')
            {
                let mut end = at - 1;
                if end > body_start && data[end - 1] == b'\r' {
                    end -= 1;
                }
                self.body_end = Some(end);
                return;
            }
            from = at + 1;
        }
        self.scanned = self.scanned.max(data.len().saturating_sub(delim.len() + 2));
    }

    /// The part's `Content-Type` once its headers have arrived.
    pub fn content_type(&self) -> Option<&str> {
        if self.failed {
            return None;
        }
        self.content_type.as_deref()
    }

    /// The part's body bytes known so far (all of them once [`is_complete`](Self::is_complete)).
    pub fn body(&self) -> &[u8] {
        if self.failed {
            return &[];
        }
        let Some(start) = self.body_start else {
            return &[];
        };
        let end = match (self.body_end, &self.delim) {
            (Some(end), _) => end,
            (None, None) => self.data.len(),
            // The last bytes may be the CRLF and the start of the next delimiter.
            (None, Some(delim)) => self.data.len().saturating_sub(delim.len() + 2),
        };
        self.data.get(start..end.max(start)).unwrap_or_default()
    }

    /// Whether the part's end has arrived (always false for a single-part body: it ends with the response).
    pub fn is_complete(&self) -> bool {
        !self.failed && self.body_end.is_some()
    }
}

/// Finds the next delimiter line `--boundary` at or after `from`. Returns where the preceding content ends (before
/// the CRLF or LF that belongs to the delimiter) and the position just past `--boundary`. When `at_start` is true,
/// a delimiter at `from` itself with no line break before it also counts (the body may begin with it).
fn next_delimiter(
    data: &[u8],
    delim: &[u8],
    from: usize,
    at_start: bool,
) -> Option<(usize, usize)> {
    let mut search = from;
    loop {
        let at = find(data, delim, search)?;
        let after = at + delim.len();
        // A real delimiter is followed by `--`, transport padding, or the line end; a longer token is not it.
        let followed_ok = matches!(
            data.get(after),
            None | Some(b'-' | b' ' | b'\t' | b'\r' | b'\n')
        );
        if followed_ok {
            if at_start && at == from {
                return Some((at, after));
            }
            if at > from || (at == from && at > 0) {
                if let Some(b'\n') = at.checked_sub(1).and_then(|i| data.get(i)) {
                    let mut end = at - 1;
                    if end > from && data.get(end - 1) == Some(&b'\r') {
                        end -= 1;
                    }
                    return Some((end.max(from), after));
                }
            }
        }
        search = at + 1;
    }
}

/// After a delimiter: skip transport padding (spaces, tabs) and the line end. `None` if anything else is there.
fn skip_to_line_start(data: &[u8], mut pos: usize) -> Option<usize> {
    while matches!(data.get(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    match data.get(pos) {
        Some(b'\r') if data.get(pos + 1) == Some(&b'\n') => Some(pos + 2),
        Some(b'\n') => Some(pos + 1),
        _ => None,
    }
}

/// The end of a part's header section starting at `pos`: returns (end of the header lines, start of the body).
/// An empty line ends the headers; a part may have no headers at all (the empty line comes first).
fn header_section_end(data: &[u8], pos: usize) -> Option<(usize, usize)> {
    let mut line_start = pos;
    loop {
        let nl = line_start + data.get(line_start..)?.iter().position(|&b| b == b'\n')?;
        let line = data.get(line_start..nl)?;
        if line.is_empty() || line == b"\r" {
            return Some((line_start, nl + 1));
        }
        line_start = nl + 1;
    }
}

/// Parses RFC 5322 header fields (with folded continuation lines) into the Content-Type and the other headers.
fn parse_part_headers(raw: &[u8], part: usize) -> Result<(String, Vec<(String, String)>), Error> {
    let text = String::from_utf8_lossy(raw);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // A folded continuation of the previous field's value.
            let last = fields
                .last_mut()
                .context(MalformedPartHeaderSnafu { part, line })?;
            last.1.push(' ');
            last.1.push_str(line.trim());
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .context(MalformedPartHeaderSnafu { part, line })?;
        let name = name.trim();
        ensure!(is_token(name), MalformedPartHeaderSnafu { part, line });
        fields.push((name.to_string(), value.trim().to_string()));
    }
    let mut content_type = None;
    let mut headers = Vec::with_capacity(fields.len());
    for (name, value) in fields {
        if name.eq_ignore_ascii_case("content-type") {
            content_type.get_or_insert(value);
        } else {
            headers.push((name, value));
        }
    }
    Ok((
        content_type.unwrap_or_else(|| DEFAULT_PART_TYPE.to_string()),
        headers,
    ))
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_first_part_streams_byte_by_byte_without_its_framing() {
        let body: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
        let parts = vec![
            Part::new(
                "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.202",
                body.clone(),
            ),
            Part::new("application/octet-stream", b"second".to_vec()),
        ];
        let (content_type, message) = build_related(&parts, "application/octet-stream");
        for chunk in [1usize, 2, 7, 64, 1000, message.len()] {
            let mut stream = FirstPartStream::new(&content_type);
            let mut last = 0;
            for piece in message.chunks(chunk) {
                stream.push(piece);
                let got = stream.body();
                assert!(got.len() >= last, "chunks of {chunk}: the body shrank");
                assert_eq!(got, &body[..got.len()], "chunks of {chunk}");
                last = got.len();
                if stream.content_type().is_some() {
                    assert_eq!(
                        stream.content_type(),
                        Some("application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.202")
                    );
                }
            }
            assert!(stream.is_complete(), "chunks of {chunk}");
            assert_eq!(stream.body(), &body[..]);
        }
        // Orthanc's framing: a preamble-free body with CRLFs, and the part's body ending in the boundary's
        // first characters.
        let tricky = b"--X\r\nContent-Type: image/jphc\r\n\r\nab\r\n--Xy\r\n--X--\r\n";
        let mut stream = FirstPartStream::new("multipart/related; type=\"image/jphc\"; boundary=X");
        for b in tricky.iter() {
            stream.push(std::slice::from_ref(b));
        }
        assert!(stream.is_complete());
        assert_eq!(stream.body(), b"ab\r\n--Xy");
    }

    #[test]
    fn a_single_part_body_streams_whole_and_bad_framing_gives_nothing() {
        let mut stream = FirstPartStream::new("image/jphc");
        stream.push(b"abc");
        stream.push(b"def");
        assert_eq!(stream.body(), b"abcdef");
        assert_eq!(stream.content_type(), Some("image/jphc"));
        assert!(!stream.is_complete());
        let mut stream = FirstPartStream::new("multipart/related");
        stream.push(b"--X\r\n\r\nabc");
        assert_eq!(stream.body(), b"");
        let mut stream = FirstPartStream::new("multipart/related; boundary=X");
        stream.push(b"--X garbage\r\n\r\nabcdefghijklmnop");
        assert_eq!(stream.body(), b"");
        assert_eq!(stream.content_type(), None);
        let mut stream = FirstPartStream::new("multipart/related; boundary=X");
        stream.push(b"--X\r\nno colon here\r\n\r\nabcdefghijklmnop");
        assert_eq!(stream.body(), b"");
    }
    use super::*;

    #[test]
    fn boundary_is_read_quoted_or_not() {
        assert_eq!(
            boundary_from_content_type("multipart/related; boundary=abc123").unwrap(),
            "abc123"
        );
        assert_eq!(
            boundary_from_content_type(
                "Multipart/Related; type=\"application/dicom\"; BOUNDARY=\"a b:c\""
            )
            .unwrap(),
            "a b:c"
        );
        assert_eq!(
            boundary_from_content_type("multipart/related;boundary=\"x\\\"y\"").unwrap(),
            "x\"y"
        );
    }

    #[test]
    fn boundary_errors_are_reported_not_panicked() {
        assert!(matches!(
            boundary_from_content_type("application/dicom"),
            Err(Error::NotMultipart { .. })
        ));
        assert!(matches!(
            boundary_from_content_type("multipart/related; type=\"application/dicom\""),
            Err(Error::MissingBoundary { .. })
        ));
        assert!(matches!(
            boundary_from_content_type("multipart/related; boundary=\"\""),
            Err(Error::InvalidBoundary { .. })
        ));
        let long = format!(
            "multipart/related; boundary={}",
            "b".repeat(MAX_BOUNDARY_LEN + 1)
        );
        assert!(matches!(
            boundary_from_content_type(&long),
            Err(Error::InvalidBoundary { .. })
        ));
        assert!(matches!(
            boundary_from_content_type("multipart/related; boundary=\"open"),
            Err(Error::MalformedContentType { .. })
        ));
        assert!(matches!(
            boundary_from_content_type("garbage"),
            Err(Error::MalformedContentType { .. })
        ));
        assert!(matches!(
            boundary_from_content_type(""),
            Err(Error::MalformedContentType { .. })
        ));
    }

    #[test]
    fn media_type_parameters_are_unquoted_and_lowercased() {
        let mt =
            MediaType::parse("application/dicom; Transfer-Syntax=1.2.840.10008.1.2.4.50; q=0.9;")
                .unwrap();
        assert_eq!(mt.essence, "application/dicom");
        assert_eq!(mt.param("transfer-syntax"), Some("1.2.840.10008.1.2.4.50"));
        assert_eq!(mt.param("Q"), Some("0.9"));
        assert_eq!(mt.params.len(), 2);
    }

    #[test]
    fn build_writes_the_rfc_2046_layout() {
        let parts = vec![
            Part::new("application/dicom", &b"AB"[..]),
            Part::new("application/dicom", &b""[..]),
        ];
        let (ct, body) = build_related(&parts, "application/dicom");
        let boundary = boundary_from_content_type(&ct).unwrap();
        assert!(ct.starts_with("multipart/related; type=\"application/dicom\"; boundary="));
        let expected = format!(
            "--{b}\r\nContent-Type: application/dicom\r\n\r\nAB\r\n--{b}\r\nContent-Type: application/dicom\r\n\r\n\r\n--{b}--\r\n",
            b = boundary
        );
        assert_eq!(String::from_utf8(body).unwrap(), expected);
    }

    #[test]
    fn build_then_parse_round_trips_binary_bodies_and_headers() {
        // Bodies containing CRLF, `--`, and bytes that look like a delimiter of another boundary.
        let mut p1 = Part::new(
            "application/dicom; transfer-syntax=1.2.840.10008.1.2.1",
            vec![0u8, 13, 10, 45, 45, 255],
        );
        p1.headers
            .push(("Content-Location".into(), "http://x/studies/1".into()));
        let p2 = Part::new(
            "application/octet-stream",
            b"\r\n--lumen-0\r\n\r\n".to_vec(),
        );
        let parts = vec![p1, p2];
        let (ct, body) = build_related(&parts, "application/dicom");
        assert_eq!(parse_related(&ct, &body).unwrap(), parts);
    }

    #[test]
    fn build_avoids_a_boundary_present_in_a_body() {
        // The boundary hash covers the length and the first 4096 bytes, so a body whose tail spells the first
        // candidate boundary hashes the same as one with a neutral tail of equal length: the builder must move on.
        let tail_len = "--lumen-0123456789abcdef-0".len();
        let mut body = vec![b'x'; 4096 + tail_len];
        let first = choose_boundary(&[Part::new("text/plain", body.clone())]);
        let needle = format!("--{first}");
        assert_eq!(needle.len(), tail_len);
        body[4096..].copy_from_slice(needle.as_bytes());
        let parts = vec![Part::new("text/plain", body.clone())];
        let second = choose_boundary(&parts);
        assert_ne!(second, first);
        let (ct, built) = build_related(&parts, "text/plain");
        let parsed = parse_related(&ct, &built).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].body, body);
    }

    #[test]
    fn parse_skips_preamble_and_epilogue() {
        let body = b"This is a preamble.\r\n--XyZ\r\nContent-Type: text/plain\r\nContent-ID: <a@b>\r\n\r\nhello\r\n--XyZ--\r\nepilogue --XyZ\r\n";
        let parts =
            parse_related("multipart/related; type=\"text/plain\"; boundary=XyZ", body).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].content_type, "text/plain");
        assert_eq!(parts[0].header("content-id"), Some("<a@b>"));
        assert_eq!(&parts[0].body[..], b"hello");
    }

    #[test]
    fn parse_accepts_bare_lf_and_missing_final_crlf() {
        let body = b"--b\nContent-Type: application/octet-stream\n\n\x01\x02\n--b\ncontent-type: application/octet-stream\n\n\x03\n--b--";
        let parts = parse_related("multipart/related; boundary=b", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(&parts[0].body[..], &[1, 2]);
        assert_eq!(parts[1].content_type, "application/octet-stream");
        assert_eq!(&parts[1].body[..], &[3]);
    }

    #[test]
    fn parse_handles_transport_padding_folded_headers_and_default_type() {
        let body = b"--b  \r\nX-Long: one\r\n two\r\n\r\nbody\r\n--b--";
        let parts = parse_related("multipart/related; boundary=b", body).unwrap();
        assert_eq!(parts[0].content_type, "text/plain; charset=us-ascii");
        assert_eq!(parts[0].header("x-long"), Some("one two"));
        assert_eq!(&parts[0].body[..], b"body");
    }

    #[test]
    fn parse_does_not_split_on_a_longer_boundary_token() {
        // `--bb` is not the delimiter for boundary `b`.
        let body = b"--b\r\n\r\nA\r\n--bb\r\nB\r\n--b--\r\n";
        let parts = parse_related("multipart/related; boundary=b", body).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(&parts[0].body[..], b"A\r\n--bb\r\nB");
    }

    #[test]
    fn parse_of_empty_multipart_gives_no_parts() {
        let parts = parse_related("multipart/related; boundary=b", b"--b--\r\n").unwrap();
        assert!(parts.is_empty());
    }

    #[test]
    fn parse_reports_truncated_and_malformed_bodies() {
        let ct = "multipart/related; boundary=b";
        assert!(matches!(
            parse_related(ct, b""),
            Err(Error::NoDelimiter { .. })
        ));
        assert!(matches!(
            parse_related(ct, b"no delimiter here"),
            Err(Error::NoDelimiter { .. })
        ));
        assert!(matches!(
            parse_related(ct, b"--b\r\nContent-Type: a/b\r\n\r\nhalf a bo"),
            Err(Error::Truncated { part: 1, .. })
        ));
        assert!(matches!(
            parse_related(ct, b"--b\r\nContent-Type: a/b"),
            Err(Error::Truncated { part: 1, .. })
        ));
        assert!(matches!(
            parse_related(ct, b"--b"),
            Err(Error::GarbageAfterDelimiter { part: 1 })
        ));
        assert!(matches!(
            parse_related(ct, b"--b junk\r\n"),
            Err(Error::GarbageAfterDelimiter { part: 1 })
        ));
        assert!(matches!(
            parse_related(ct, b"--b\r\nno colon\r\n\r\nx\r\n--b--"),
            Err(Error::MalformedPartHeader { part: 1, .. })
        ));
        assert!(matches!(
            parse_related(ct, b"--b\r\n continued\r\n\r\nx\r\n--b--"),
            Err(Error::MalformedPartHeader { .. })
        ));
    }

    #[test]
    fn parse_never_panics_on_prefixes_of_a_valid_body() {
        let parts = vec![
            Part::new("application/dicom", vec![7u8; 40]),
            Part::new("application/dicom", b"--".to_vec()),
        ];
        let (ct, body) = build_related(&parts, "application/dicom");
        for cut in 0..body.len() {
            let _ = parse_related(&ct, &body[..cut]);
            let _ = parse_related(&ct, &body[cut..]);
        }
        assert_eq!(parse_related(&ct, &body).unwrap().len(), 2);
    }

    #[test]
    fn parse_bytes_shares_the_input_buffer() {
        let input = Bytes::from_static(b"--b\r\n\r\npayload\r\n--b--\r\n");
        let parts = parse_related_bytes("multipart/related; boundary=b", input.clone()).unwrap();
        assert_eq!(parts[0].body.as_ptr(), input[7..].as_ptr());
    }
}
