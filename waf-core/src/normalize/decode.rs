//! The decoders [`super::variants`] applies: percent-encoding (with IIS `%uXXXX` and overlong
//! UTF-8), HTML entities, JavaScript escapes and base64. Each returns the input borrowed when it
//! changes nothing.

use std::borrow::Cow;

use base64::Engine as _;

/// Percent-decodes once, including IIS-style `%uXXXX`. `+` becomes a space when `plus` is true
/// (form and query encoding). Invalid escapes are kept as written.
pub fn url_decode(s: &str, plus: bool) -> Cow<'_, str> {
    let b = s.as_bytes();
    let escaped = if plus {
        memchr::memchr2(b'%', b'+', b)
    } else {
        memchr::memchr(b'%', b)
    };
    if escaped.is_none() {
        return Cow::Borrowed(s);
    }
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                if let (Some(h), Some(l)) = (
                    b.get(i + 1).and_then(|c| hex(*c)),
                    b.get(i + 2).and_then(|c| hex(*c)),
                ) {
                    out.push(h << 4 | l);
                    i += 3;
                } else if matches!(b.get(i + 1), Some(b'u' | b'U'))
                    && i + 6 <= b.len()
                    && b[i + 2..i + 6].iter().all(|c| hex(*c).is_some())
                {
                    let cp = b[i + 2..i + 6]
                        .iter()
                        .fold(0u32, |a, c| a << 4 | u32::from(hex(*c).unwrap_or(0)));
                    push_char(&mut out, cp);
                    i += 6;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(bytes_to_string(out))
}

/// Decodes HTML character references: `&#60;`, `&#x3c;` (with or without `;`) and the named
/// entities that matter for injection (`&lt; &gt; &quot; &apos; &amp; &sol; &colon; &lpar; &rpar;
/// &Tab; &NewLine; &nbsp;`).
pub fn html_entity_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut changed = false;
    while i < b.len() {
        if b[i] == b'&' {
            if let Some((cp, len)) = entity_at(&b[i..]) {
                push_char(&mut out, cp);
                i += len;
                changed = true;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    if changed {
        Cow::Owned(bytes_to_string(out))
    } else {
        Cow::Borrowed(s)
    }
}

fn entity_at(b: &[u8]) -> Option<(u32, usize)> {
    if b.get(1) == Some(&b'#') {
        let (radix, start) = if matches!(b.get(2), Some(b'x' | b'X')) {
            (16, 3)
        } else {
            (10, 2)
        };
        let mut j = start;
        let mut v: u32 = 0;
        while j < b.len() && j < start + 8 {
            let d = match (radix, b[j]) {
                (16, c) => hex(c).map(u32::from),
                (_, c) if c.is_ascii_digit() => Some(u32::from(c - b'0')),
                _ => None,
            };
            match d {
                Some(d) => v = v.saturating_mul(radix).saturating_add(d),
                None => break,
            }
            j += 1;
        }
        if j == start {
            return None;
        }
        if b.get(j) == Some(&b';') {
            j += 1;
        }
        return Some((v, j));
    }
    const NAMED: &[(&[u8], u32)] = &[
        (b"lt", '<' as u32),
        (b"gt", '>' as u32),
        (b"quot", '"' as u32),
        (b"apos", '\'' as u32),
        (b"amp", '&' as u32),
        (b"sol", '/' as u32),
        (b"colon", ':' as u32),
        (b"lpar", '(' as u32),
        (b"rpar", ')' as u32),
        (b"tab", '\t' as u32),
        (b"newline", '\n' as u32),
        (b"nbsp", ' ' as u32),
        (b"grave", '`' as u32),
        (b"equals", '=' as u32),
    ];
    for (name, cp) in NAMED {
        let end = 1 + name.len();
        if b.len() > end && b[1..end].eq_ignore_ascii_case(name) && b[end] == b';' {
            return Some((*cp, end + 1));
        }
    }
    None
}

/// Decodes JavaScript and CSS escapes: `\xHH`, `\uHHHH`, `\u{H..}`, and CSS `\HH..` hex escapes.
pub fn js_unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut changed = false;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let hexrun = |from: usize, max: usize| {
                b[from..]
                    .iter()
                    .take(max)
                    .take_while(|c| hex(**c).is_some())
                    .count()
            };
            let val = |from: usize, n: usize| {
                b[from..from + n]
                    .iter()
                    .fold(0u32, |a, c| a << 4 | u32::from(hex(*c).unwrap_or(0)))
            };
            match b[i + 1] {
                b'x' if hexrun(i + 2, 2) == 2 => {
                    push_char(&mut out, val(i + 2, 2));
                    i += 4;
                    changed = true;
                    continue;
                }
                b'u' if b.get(i + 2) == Some(&b'{') => {
                    let n = hexrun(i + 3, 6);
                    if n > 0 && b.get(i + 3 + n) == Some(&b'}') {
                        push_char(&mut out, val(i + 3, n));
                        i += 4 + n;
                        changed = true;
                        continue;
                    }
                }
                b'u' if hexrun(i + 2, 4) == 4 => {
                    push_char(&mut out, val(i + 2, 4));
                    i += 6;
                    changed = true;
                    continue;
                }
                c if hex(c).is_some() => {
                    let n = hexrun(i + 1, 6);
                    let v = val(i + 1, n);
                    if (0x20..0x7f).contains(&v) {
                        push_char(&mut out, v);
                        i += 1 + n;
                        if b.get(i) == Some(&b' ') {
                            i += 1;
                        }
                        changed = true;
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    if changed {
        Cow::Owned(bytes_to_string(out))
    } else {
        Cow::Borrowed(s)
    }
}

/// True when `s` plausibly is base64 (standard or URL-safe, padded or not) of something longer
/// than a word: long enough, only base64 characters, and mixing cases or digits like encoded data.
pub fn looks_base64(s: &str) -> bool {
    let t = s.trim_end_matches('=');
    let n = t.len();
    if n < 8 || n % 4 == 1 || s.len() - n > 2 {
        return false;
    }
    // One pass: the union of the characters' classes, or 0 for a non-base64 character.
    let mut acc = 0u8;
    for &c in t.as_bytes() {
        let k = B64_CLASS[c as usize];
        if k == 0 {
            return false;
        }
        acc |= k;
    }
    let (upper, lower, digit) = (acc & B_UPPER != 0, acc & B_LOWER != 0, acc & B_DIGIT != 0);
    // Hex of one case (session ids, hashes, GUIDs without dashes) is everywhere and is not
    // base64 of text: printable text would need every group's first character in `I-Z` or
    // `a-f` and its second in a few narrow ranges.
    let hex_lower = acc & (B_UPPER | B_SYMBOL | B_LOWER_G_Z) == 0;
    let hex_upper = acc & (B_LOWER | B_SYMBOL | B_UPPER_G_Z) == 0;
    (upper && lower || (upper || lower) && digit) && !hex_lower && !hex_upper
}

const B_UPPER: u8 = 1;
const B_LOWER: u8 = 2;
const B_DIGIT: u8 = 4;
/// `+ / - _`
const B_SYMBOL: u8 = 8;
const B_LOWER_G_Z: u8 = 16;
const B_UPPER_G_Z: u8 = 32;

/// Classes of the base64 characters (standard and URL-safe); 0 for every other byte.
static B64_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'A'..=b'F' => B_UPPER,
            b'G'..=b'Z' => B_UPPER | B_UPPER_G_Z,
            b'a'..=b'f' => B_LOWER,
            b'g'..=b'z' => B_LOWER | B_LOWER_G_Z,
            b'0'..=b'9' => B_DIGIT,
            b'+' | b'/' | b'-' | b'_' => B_SYMBOL,
            _ => 0,
        };
        c += 1;
    }
    t
};

/// Lenient base64 decoders (padding optional, trailing bits allowed), built once.
const B64_CONFIG: base64::engine::GeneralPurposeConfig =
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
const B64_STANDARD: base64::engine::GeneralPurpose =
    base64::engine::GeneralPurpose::new(&base64::alphabet::STANDARD, B64_CONFIG);
const B64_URL_SAFE: base64::engine::GeneralPurpose =
    base64::engine::GeneralPurpose::new(&base64::alphabet::URL_SAFE, B64_CONFIG);

/// Decodes base64 when [`looks_base64`] and the result is mostly printable UTF-8 text.
pub fn base64_decode(s: &str) -> Option<String> {
    if !looks_base64(s) {
        return None;
    }
    let t = s.trim_end_matches('=');
    let bytes = if t.contains(['-', '_']) {
        B64_URL_SAFE.decode(t)
    } else {
        B64_STANDARD.decode(t)
    }
    .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .count();
    if printable * 10 < text.chars().count() * 9 || text.is_empty() {
        return None;
    }
    Some(text)
}

fn fold_overlong(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let cont = |k: usize| b.get(i + k).is_some_and(|x| x & 0xc0 == 0x80);
        if (c == 0xc0 || c == 0xc1) && cont(1) {
            out.push(((c & 0x1f) << 6) | (b[i + 1] & 0x3f));
            i += 2;
        } else if c == 0xe0 && cont(1) && cont(2) && b[i + 1] < 0xa0 && b[i + 1] & 0x3e == 0 {
            out.push(((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f));
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn push_char(out: &mut Vec<u8>, cp: u32) {
    let c = char::from_u32(cp).unwrap_or('\u{fffd}');
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Bytes to text, replacing invalid UTF-8 (a lone `%ff`) with U+FFFD rather than failing.
/// Overlong encodings of ASCII (`%c0%ae` for `.`, `%e0%80%af` for `/`), which lenient decoders
/// accept, become the ASCII character they spell.
pub(crate) fn bytes_to_string(b: Vec<u8>) -> String {
    let b = if b.iter().any(|&c| c == 0xc0 || c == 0xc1 || c == 0xe0) {
        fold_overlong(&b)
    } else {
        b
    };
    match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}
