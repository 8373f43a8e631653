//! Normalisation: the decoded forms of a value that the detectors see ([`variants`], within the
//! policy's [`Depths`]), built from the decoders of `decode`; and request paths as an origin
//! resolves them (`path`).
//!
//! Attackers hide payloads behind percent-encoding (`%27`, `%2527`, `%u0027`), HTML entities
//! (`&#x3c;`), JavaScript escapes (`\x3c`, `\u003c`) and base64. [`variants`] applies these up to
//! the configured depths and yields each distinct decoded form once; detectors run on each.

use std::borrow::Cow;

mod decode;
mod path;

pub use decode::{base64_decode, html_entity_decode, js_unescape, looks_base64, url_decode};
pub use path::{canonical_path, request_path};

/// Removes NUL bytes and folds runs of whitespace (including vertical tab, form feed and
/// non-breaking space) into one space.
pub fn fold_whitespace(s: &str) -> Cow<'_, str> {
    let needs = s.bytes().any(|c| c == 0 || c == b'\x0b' || c == b'\x0c')
        || s.contains(['\u{a0}', '\u{fffd}'])
        || s.as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_whitespace() && w[1].is_ascii_whitespace());
    if !needs {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut last_ws = false;
    for c in s.chars() {
        if c == '\0' {
            continue;
        }
        let ws = c.is_whitespace() || c == '\u{fffd}';
        if ws {
            if !last_ws {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
        last_ws = ws;
    }
    Cow::Owned(out)
}

/// Decoding depths for [`variants`].
#[derive(Debug, Clone, Copy)]
pub struct Depths {
    /// Extra percent-decoding passes (the parser already did one for query and form values).
    pub url: u8,
    /// HTML-entity and JS-escape passes.
    pub unicode: u8,
    /// Nested base64 decodings.
    pub base64: u8,
}

/// Calls `f` with the value and each distinct decoded form of it, in order: percent-decoded
/// (up to `url` passes), entity/escape-decoded (up to `unicode` passes), whitespace-folded, and
/// base64-decoded (up to `base64` levels, each decoded form decoded again). Stops early when `f`
/// returns `true` (a match); returns whether it did.
pub fn variants(value: &str, d: Depths, f: &mut dyn FnMut(&str) -> bool) -> bool {
    variants_rec(value, d, f, 0)
}

fn variants_rec(value: &str, d: Depths, f: &mut dyn FnMut(&str) -> bool, level: u8) -> bool {
    if f(value) {
        return true;
    }
    if !may_decode(value, level < d.base64) {
        return false;
    }
    let mut cur: Cow<'_, str> = Cow::Borrowed(value);
    for _ in 0..d.url {
        let next = url_decode(&cur, false);
        if let Cow::Owned(n) = next {
            if f(&n) {
                return true;
            }
            cur = Cow::Owned(n);
        } else {
            break;
        }
    }
    for _ in 0..d.unicode {
        let a = html_entity_decode(&cur);
        let next = match js_unescape(&a) {
            Cow::Owned(b) => b,
            Cow::Borrowed(_) => match a {
                Cow::Owned(a) => a,
                Cow::Borrowed(_) => break,
            },
        };
        // An escape may hide a percent-encoding and vice versa.
        let next = match url_decode(&next, false) {
            Cow::Owned(n) => n,
            Cow::Borrowed(_) => next,
        };
        if f(&next) {
            return true;
        }
        cur = Cow::Owned(next);
    }
    if let Cow::Owned(folded) = fold_whitespace(&cur) {
        if f(&folded) {
            return true;
        }
    }
    if level < d.base64 {
        let t = value.trim();
        if let Some(dec) = base64_decode(t).or_else(|| base64_decode(t.strip_prefix('/')?)) {
            return variants_rec(&dec, d, f, level + 1);
        }
    }
    false
}

/// Whether any transformation of [`variants`] could change `value`: one pass instead of one per
/// transformation, for the common value that holds no `%`, `&`, `\`, control or non-ASCII
/// byte and no run of blanks, and (when base64 is still to be tried) that [`base64_decode`]
/// would reject before decoding. Most values of `cargo bench -p waf-bench --bench engine --
/// inspect/json_post_64k` end here.
fn may_decode(value: &str, base64: bool) -> bool {
    if bytes_may_decode(value.as_bytes()) {
        return true;
    }
    // Exactly the test the base64 step of `variants_rec` starts with: an approximation that
    // let interior blanks through sent every value of two words or more (`running shoes`) through
    // every decoder.
    // The value is ASCII without vertical tab here, so `trim_ascii` is `trim`; and shorter than
    // eight bytes it cannot hold the eight base64 characters `looks_base64` wants.
    base64 && value.len() >= 8 && {
        let t = value.trim_ascii();
        looks_base64(t) || t.strip_prefix('/').is_some_and(looks_base64)
    }
}

/// The byte part of [`may_decode`]: a byte a decoder acts on, or a blank after a blank.
/// Eight bytes at a time: a word without control, non-ASCII, `%`, `&` or `\\` bytes (exact
/// SWAR tests) can only hold spaces as blanks, and two adjacent ones show in its space mask;
/// a word with such a byte goes to [`class_may_decode`] from its start.
fn bytes_may_decode(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `w` equal to `v`, exactly (no borrow between bytes).
    let eq = |w: u64, v: u8| {
        let x = w ^ (ONES * u64::from(v));
        !(((x & LOW7) + LOW7) | x) & HIGH
    };
    let mut blank_before = false;
    let mut at = 0;
    while let Some(c) = b.get(at..at + 8) {
        let Ok(c) = <[u8; 8]>::try_from(c) else {
            break;
        };
        let w = u64::from_le_bytes(c);
        // Bytes below 0x0e (NUL, tab, newline, vertical tab, form feed, carriage return) and
        // non-ASCII ones.
        let low = !(((w & LOW7) + ONES * (0x80 - 0x0e)) | w) & HIGH;
        if (w & HIGH) | low | eq(w, b'%') | eq(w, b'&') | eq(w, b'\\') != 0 {
            return class_may_decode(&b[at..], blank_before);
        }
        let spaces = eq(w, b' ');
        if spaces & (spaces >> 8) != 0 || (blank_before && spaces & 0x80 != 0) {
            return true;
        }
        blank_before = spaces >> 63 != 0;
        at += 8;
    }
    class_may_decode(&b[at..], blank_before)
}

/// [`bytes_may_decode`] byte by byte, one table load per byte; `blank_before`: the byte before
/// `b` was a blank.
fn class_may_decode(b: &[u8], blank_before: bool) -> bool {
    let mut prev = if blank_before { D_BLANK } else { 0 };
    for &c in b {
        let k = DECODE_CLASS[c as usize];
        if k & D_DECODE != 0 || k & prev & D_BLANK != 0 {
            return true;
        }
        prev = k;
    }
    false
}

const D_DECODE: u8 = 1;
const D_BLANK: u8 = 2;

/// For [`may_decode`]: `%`, `&`, `\\`, NUL, vertical tab, form feed and non-ASCII bytes start
/// something a decoder changes; ASCII blanks fold when two are adjacent.
static DECODE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'%' | b'&' | b'\\' | 0 | 0x0b | 0x0c | 0x80.. => D_DECODE,
            _ if b.is_ascii_whitespace() => D_BLANK,
            _ => 0,
        };
        c += 1;
    }
    t
};

/// Borrowed text when `b` is valid UTF-8 (checked by `from_utf8`'s word-at-a-time validation),
/// else `String::from_utf8_lossy`'s result: the same text as `from_utf8_lossy` alone, without
/// its chunked validation on the common, valid case.
pub fn utf8_lossy(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_decoding_table() {
        let cases: &[(&str, bool, &str)] = &[
            ("plain", true, "plain"),
            ("a+b", true, "a b"),
            ("a+b", false, "a+b"),
            ("%27%20or%201%3D1", true, "' or 1=1"),
            ("%2527", true, "%27"),
            ("%u003cscript%u003e", true, "<script>"),
            ("100%", true, "100%"),
            ("%zz", true, "%zz"),
            ("%ff", true, "\u{fffd}"),
        ];
        for (i, o, want) in cases {
            assert_eq!(url_decode(i, *o), *want, "{i}");
        }
        assert!(matches!(url_decode("abc", true), Cow::Borrowed(_)));
    }

    #[test]
    fn entity_and_escape_table() {
        assert_eq!(html_entity_decode("&lt;script&gt;"), "<script>");
        assert_eq!(html_entity_decode("&#60;&#x3C;&#x3c"), "<<<");
        assert_eq!(html_entity_decode("Tom &amp; Jerry"), "Tom & Jerry");
        assert_eq!(html_entity_decode("AT&T"), "AT&T");
        assert_eq!(js_unescape(r"\x3cscript\u003e"), "<script>");
        assert_eq!(js_unescape(r"\u{3c}"), "<");
        assert_eq!(js_unescape(r"C:\path"), r"C:\path");
    }

    #[test]
    fn base64_only_when_it_looks_encoded() {
        assert_eq!(
            base64_decode("PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==").as_deref(),
            Some("<script>alert(1)</script>")
        );
        assert_eq!(
            base64_decode("PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg").as_deref(),
            Some("<script>alert(1)</script>")
        );
        assert_eq!(base64_decode("password"), None);
        assert_eq!(base64_decode("hello world"), None);
        assert_eq!(base64_decode("AAAAAAAAAAAA"), None);
        // Hex ids are not decoded; mixed-case hex-looking base64 still is.
        assert!(!looks_base64("303e7bebfa91bab0acb260cf91e9d4e9c67cf03f"));
        assert!(!looks_base64("3F9A1C2E8B7D4F60A1B2C3D4E5F60718"));
        assert_eq!(base64_decode("YWRtaW4xMjM="), Some("admin123".to_string()));
    }

    /// The one-pass [`looks_base64`] agrees with the plain statement of its rule.
    #[test]
    fn looks_base64_matches_its_reference() {
        fn reference(s: &str) -> bool {
            let t = s.trim_end_matches('=');
            let n = t.len();
            if n < 8 || n % 4 == 1 || s.len() - n > 2 {
                return false;
            }
            let b = t.as_bytes();
            if !b
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_'))
            {
                return false;
            }
            let upper = b.iter().any(u8::is_ascii_uppercase);
            let lower = b.iter().any(u8::is_ascii_lowercase);
            let digit = b.iter().any(u8::is_ascii_digit);
            let hex = b
                .iter()
                .all(|c| c.is_ascii_digit() || matches!(c, b'a'..=b'f'))
                || b.iter()
                    .all(|c| c.is_ascii_digit() || matches!(c, b'A'..=b'F'));
            (upper && lower || (upper || lower) && digit) && !hex
        }
        let alphabet = b"aAfFgGzZ09+/-_= .%";
        let mut x: u32 = 0x2545_f491;
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let len = 6 + (x % 12) as usize;
            let s: String = (0..len)
                .map(|i| {
                    let k = (x.rotate_left(i as u32 * 5) as usize + i * 7) % alphabet.len();
                    char::from(alphabet[k])
                })
                .collect();
            assert_eq!(looks_base64(&s), reference(&s), "{s:?}");
        }
    }

    /// The word-at-a-time test agrees with the byte loop: every byte value at every offset of
    /// values up to 20 bytes, with a second byte after it (pairs of blanks across and within
    /// words), and a leading space.
    #[test]
    fn bytes_may_decode_agrees_with_the_byte_loop() {
        use super::{bytes_may_decode, class_may_decode};
        let interesting = [
            b' ', b'\t', b'\n', b'\r', 0x0b, 0x0c, 0x0d, 0x0e, 0x1f, b'a',
        ];
        for len in 1..21 {
            for at in 0..len {
                for c in 0..=255u8 {
                    for &d in &interesting {
                        let mut v = vec![b'x'; len];
                        v[at] = c;
                        if at + 1 < len {
                            v[at + 1] = d;
                        }
                        assert_eq!(bytes_may_decode(&v), class_may_decode(&v, false), "{v:?}");
                        v[0] = b' ';
                        assert_eq!(bytes_may_decode(&v), class_may_decode(&v, false), "{v:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn may_decode_only_what_a_decoder_changes() {
        for (v, want) in [
            ("running shoes", false),
            ("price_asc", false),
            ("two  blanks", true),
            ("100%", true),
            ("Se\u{e1}n", true),
            ("PHNjcmlwdD4=", true),
            ("/PHNjcmlwdD4", true),
            ("password", false),
        ] {
            assert_eq!(may_decode(v, true), want, "{v}");
        }
        assert!(!may_decode("PHNjcmlwdD4=", false));
    }

    #[test]
    fn request_paths_are_decoded_and_canonical() {
        for p in [
            "/login",
            "/%6cogin",
            "//login",
            "/./login",
            "/x/../login",
            "\\login",
            "/%2e/login",
        ] {
            assert_eq!(request_path(p), "/login", "{p}");
        }
        assert!(matches!(request_path("/a/b"), Cow::Borrowed(_)));
    }

    #[test]
    fn canonical_paths() {
        assert_eq!(canonical_path("/a/b").0, "/a/b");
        assert_eq!(canonical_path("/a/./b//c").0, "/a/b/c");
        assert_eq!(
            canonical_path("/a/../../etc/passwd"),
            (Cow::Owned::<str>("/etc/passwd".into()), 1)
        );
        assert_eq!(canonical_path("\\..\\..\\win.ini").1, 2);
    }

    #[test]
    fn variants_decode_nested_layers() {
        for input in ["%253Cscript%253E", "JTNDc2NyaXB0JTNF"] {
            let mut seen = Vec::new();
            variants(
                input,
                Depths {
                    url: 2,
                    unicode: 2,
                    base64: 2,
                },
                &mut |v| {
                    seen.push(v.to_string());
                    false
                },
            );
            assert!(seen.contains(&"<script>".to_string()), "{input}: {seen:?}");
        }
    }
}
