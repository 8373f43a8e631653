//! Request bodies sent with a `Content-Encoding`: what the WAF decodes, and decoding bounded so
//! that a compression bomb costs no more than a plain body of the inspection limit.
//!
//! The origin gets the body as the client sent it (still encoded); the engine inspects what the
//! origin's framework will read after decoding it (Tornado, Express's `body-parser` and others
//! inflate request bodies).

use std::io::Read;

use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};

/// One content coding the WAF decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// `gzip` / `x-gzip` (RFC 1952; concatenated members read as one stream).
    Gzip,
    /// `deflate`: zlib-wrapped (RFC 1950) as HTTP says, or raw deflate as some clients send.
    Deflate,
}

/// Most codings applied one after another that the WAF decodes (`gzip, gzip` is two).
const MAX_LAYERS: usize = 2;

/// The codings of a `Content-Encoding` value, in the order they were applied; `Ok(empty)` for
/// none or `identity`. `Err(())` for a coding the WAF cannot decode (`br`, `zstd`, unknown
/// names) or more than [`MAX_LAYERS`] of them: such a body cannot be inspected.
pub fn codings(header: &[u8]) -> Result<Vec<Coding>, ()> {
    let text = std::str::from_utf8(header).map_err(|_| ())?;
    let mut out = Vec::new();
    for c in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        match c.to_ascii_lowercase().as_str() {
            "identity" => {}
            "gzip" | "x-gzip" => out.push(Coding::Gzip),
            "deflate" => out.push(Coding::Deflate),
            _ => return Err(()),
        }
    }
    if out.len() > MAX_LAYERS {
        return Err(());
    }
    Ok(out)
}

/// What decoding gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// The decoded body, and whether it was cut at the limit (or its encoded form was a prefix
    /// of a longer body).
    Body(Vec<u8>, bool),
    /// The data is not in the coding it claims: no framework would read it either.
    Corrupt,
}

/// Decodes `body` (encoded with `codings`, in order) into at most `limit` bytes. `complete` says
/// whether `body` is the whole encoded body; a prefix that ends mid-stream is not corrupt, only
/// truncated. Each layer stops reading after `limit + 1` bytes of output, so the work is
/// bounded by the limit whatever the compression ratio.
pub fn decode(body: &[u8], codings: &[Coding], limit: usize, complete: bool) -> Decoded {
    let mut data = body.to_vec();
    let mut truncated = !complete;
    // The last coding applied is the first to undo.
    for c in codings.iter().rev() {
        let l = layer(&data, *c, limit);
        // A prefix of a stream ends early: what it gave so far is inspected, as truncated.
        if l.failed && !truncated {
            return Decoded::Corrupt;
        }
        truncated |= l.cut || l.failed;
        data = l.out;
    }
    Decoded::Body(data, truncated)
}

/// One layer decoded: at most `limit` bytes, whether there was more, whether the stream broke.
struct Layer {
    out: Vec<u8>,
    cut: bool,
    failed: bool,
}

fn layer(data: &[u8], c: Coding, limit: usize) -> Layer {
    match c {
        Coding::Gzip => bounded(MultiGzDecoder::new(data), limit),
        Coding::Deflate => {
            let zlib = bounded(ZlibDecoder::new(data), limit);
            if zlib.failed && zlib.out.is_empty() {
                // Not zlib-wrapped: raw deflate, as some clients send it.
                bounded(DeflateDecoder::new(data), limit)
            } else {
                zlib
            }
        }
    }
}

fn bounded(r: impl Read, limit: usize) -> Layer {
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    // On an error, what was decoded before it stays in `out`.
    let failed = r.take(cap).read_to_end(&mut out).is_err();
    let cut = out.len() > limit;
    out.truncate(limit);
    Layer { out, cut, failed }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gz(d: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(d).expect("gzip");
        e.finish().expect("gzip")
    }

    #[test]
    fn codings_are_read_in_order_and_unknown_ones_refused() {
        assert_eq!(codings(b""), Ok(vec![]));
        assert_eq!(codings(b"identity"), Ok(vec![]));
        assert_eq!(
            codings(b"deflate, GZIP"),
            Ok(vec![Coding::Deflate, Coding::Gzip])
        );
        assert_eq!(codings(b"br"), Err(()));
        assert_eq!(codings(b"gzip, zstd"), Err(()));
        assert_eq!(codings(b"gzip, gzip, gzip"), Err(()));
    }

    #[test]
    fn decoding_is_bounded_and_corruption_told_from_truncation() {
        let text = b"q=1' union select password from users--";
        assert_eq!(
            decode(&gz(text), &[Coding::Gzip], 1024, true),
            Decoded::Body(text.to_vec(), false)
        );
        assert_eq!(
            decode(&gz(&gz(text)), &[Coding::Gzip, Coding::Gzip], 1024, true),
            Decoded::Body(text.to_vec(), false)
        );
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(text).expect("deflate");
        let raw = raw.finish().expect("deflate");
        assert_eq!(
            decode(&raw, &[Coding::Deflate], 1024, true),
            Decoded::Body(text.to_vec(), false)
        );
        // 16 MiB of zeros: only the limit is produced.
        let bomb = gz(&vec![0u8; 16 << 20]);
        match decode(&bomb, &[Coding::Gzip], 4096, true) {
            Decoded::Body(b, cut) => assert!(b.len() == 4096 && cut),
            d => panic!("{d:?}"),
        }
        assert_eq!(
            decode(b"\x1f\x8b\x08\0garbage", &[Coding::Gzip], 1024, true),
            Decoded::Corrupt
        );
        let whole = gz(text);
        assert!(matches!(
            decode(&whole[..whole.len() / 2], &[Coding::Gzip], 1024, false),
            Decoded::Body(_, true)
        ));
    }
}
