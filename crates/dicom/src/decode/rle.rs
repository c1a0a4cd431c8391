//! RLE Lossless (PS3.5 Annex G) decoding of one frame: the 64-byte RLE header, PackBits segments, and the
//! reassembly of byte planes (most significant byte segment first, one set per sample) into little-endian,
//! interleaved samples. Written here rather than borrowed so that a corrupt segment is an error, never a panic.
//! Must not unpack stored values (the caller does).

/// Decode one RLE frame to `pixels × spp` samples of `bytes_per_sample` bytes, little-endian and interleaved.
pub(crate) fn decode_frame(
    data: &[u8],
    pixels: usize,
    spp: usize,
    bytes_per_sample: usize,
) -> Result<Vec<u8>, String> {
    let header = data.get(..64).ok_or_else(|| {
        format!(
            "the RLE header needs 64 bytes, the frame has {}",
            data.len()
        )
    })?;
    let word = |i: usize| {
        u32::from_le_bytes([
            header[i * 4],
            header[i * 4 + 1],
            header[i * 4 + 2],
            header[i * 4 + 3],
        ])
    };
    let segments = word(0) as usize;
    let expected = spp * bytes_per_sample;
    if segments != expected {
        return Err(format!(
            "the RLE header declares {segments} segments, {expected} are needed ({spp} samples × {bytes_per_sample} bytes)"
        ));
    }
    if segments > 15 {
        return Err(format!("{segments} RLE segments exceed the maximum of 15"));
    }
    let offsets: Vec<usize> = (1..=segments).map(|i| word(i) as usize).collect();
    let mut out = vec![0u8; pixels * expected];
    for (seg, &start) in offsets.iter().enumerate() {
        let end = offsets.get(seg + 1).copied().unwrap_or(data.len());
        let segment = data.get(start..end.max(start)).ok_or_else(|| {
            format!(
                "RLE segment {seg} lies outside the frame ({start}..{end} of {})",
                data.len()
            )
        })?;
        let plane = unpack_bits(segment, pixels).map_err(|e| format!("RLE segment {seg}: {e}"))?;
        // Segment order: sample 0 MSB … LSB, sample 1 MSB … LSB, …
        let sample = seg / bytes_per_sample;
        let byte_in_sample = bytes_per_sample - 1 - seg % bytes_per_sample;
        for (p, &b) in plane.iter().enumerate() {
            if let Some(slot) = out.get_mut((p * spp + sample) * bytes_per_sample + byte_in_sample)
            {
                *slot = b;
            }
        }
    }
    Ok(out)
}

/// PackBits decoding of one segment to exactly `len` bytes (extra decoded bytes, e.g. padding, are dropped).
fn unpack_bits(segment: &[u8], len: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(len);
    let mut i = 0;
    while out.len() < len && i < segment.len() {
        let n = segment[i] as i8;
        i += 1;
        if n >= 0 {
            let count = n as usize + 1;
            let literal = segment.get(i..i + count).ok_or_else(|| {
                format!(
                    "a literal run of {count} bytes at offset {} runs past the segment",
                    i - 1
                )
            })?;
            out.extend_from_slice(literal);
            i += count;
        } else if n != -128 {
            let count = 1 - n as isize;
            let value = *segment
                .get(i)
                .ok_or_else(|| "a replicate run has no byte to repeat".to_string())?;
            out.extend(std::iter::repeat_n(value, count as usize));
            i += 1;
        }
    }
    if out.len() < len {
        return Err(format!("decoded {} bytes, {len} are needed", out.len()));
    }
    out.truncate(len);
    Ok(out)
}

/// Encode one byte plane with PackBits (test helper for building RLE frames by hand).
#[cfg(test)]
pub(crate) fn encode_segment(plane: &[u8]) -> Vec<u8> {
    // Literal runs only: simple and valid.
    let mut out = Vec::new();
    for chunk in plane.chunks(128) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
    if out.len() % 2 == 1 {
        out.push(0x80);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packbits_literal_and_replicate_runs() {
        // 2 literal bytes, then 0xAA repeated 3 times (-2 → 3), then the no-op -128.
        let seg = [0x01, 5, 6, 0xFE, 0xAA, 0x80];
        assert_eq!(unpack_bits(&seg, 5).unwrap(), vec![5, 6, 0xAA, 0xAA, 0xAA]);
    }

    #[test]
    fn sixteen_bit_segments_are_msb_first() {
        // Two pixels 0x1234 and 0xABCD: segment 0 holds MSBs, segment 1 LSBs.
        let s0 = encode_segment(&[0x12, 0xAB]);
        let s1 = encode_segment(&[0x34, 0xCD]);
        let mut frame = vec![0u8; 64];
        frame[0] = 2;
        frame[4..8].copy_from_slice(&64u32.to_le_bytes());
        frame[8..12].copy_from_slice(&(64 + s0.len() as u32).to_le_bytes());
        frame.extend_from_slice(&s0);
        frame.extend_from_slice(&s1);
        assert_eq!(
            decode_frame(&frame, 2, 1, 2).unwrap(),
            vec![0x34, 0x12, 0xCD, 0xAB]
        );
    }

    #[test]
    fn short_segment_is_an_error() {
        let mut frame = vec![0u8; 64];
        frame[0] = 1;
        frame[4..8].copy_from_slice(&64u32.to_le_bytes());
        frame.extend_from_slice(&[0x00, 7]);
        assert!(decode_frame(&frame, 4, 1, 1)
            .unwrap_err()
            .contains("decoded 1 bytes"));
    }

    #[test]
    fn wrong_segment_count_is_an_error() {
        let mut frame = vec![0u8; 64];
        frame[0] = 3;
        assert!(decode_frame(&frame, 4, 1, 1).is_err());
    }
}
