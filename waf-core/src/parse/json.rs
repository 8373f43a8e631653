//! JSON bodies: walked in place, without building a document.

use super::Sink;
use crate::request::Location;

/// Walks JSON text in place and emits each key (as `BodyArgName`, named by its dotted path) and
/// each string or number leaf (as `BodyArg`) under its dotted path (`items[3].author.name`), in
/// document order. Strings without escapes are borrowed; the path lives in one reused buffer.
/// Returns false when the text is not JSON; values met before the error have been emitted.
/// Recursion-free: nesting is a stack of path lengths.
pub(super) fn json(text: &str, sink: &mut Sink<'_>) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Frame {
        /// In an object; the path length before this object's key.
        Object(usize),
        /// In an array: the path length before `[i]`, and the next index.
        Array(usize, usize),
    }
    let b = text.as_bytes();
    let mut p = JsonCursor { t: text, b, i: 0 };
    let mut path = String::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut unescaped = String::new();
    // Expecting a value at the current path.
    loop {
        p.ws();
        let Some(&c) = b.get(p.i) else {
            return false;
        };
        match c {
            b'{' => {
                p.i += 1;
                p.ws();
                if b.get(p.i) == Some(&b'}') {
                    p.i += 1;
                } else {
                    stack.push(Frame::Object(path.len()));
                    if !object_key(&mut p, &mut path, &mut unescaped, sink) {
                        return false;
                    }
                    if sink.done() {
                        return true;
                    }
                    continue;
                }
            }
            b'[' => {
                p.i += 1;
                p.ws();
                if b.get(p.i) == Some(&b']') {
                    p.i += 1;
                } else {
                    let base = path.len();
                    push_index(&mut path, 0);
                    stack.push(Frame::Array(base, 1));
                    continue;
                }
            }
            b'"' => {
                let Some(v) = p.string(&mut unescaped) else {
                    return false;
                };
                sink.counted(Location::BodyArg, &path, v);
            }
            b't' | b'f' | b'n' => {
                let lit: &[u8] = match c {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !b[p.i..].starts_with(lit) {
                    return false;
                }
                p.i += lit.len();
            }
            b'-' | b'0'..=b'9' => {
                let start = p.i;
                p.i += 1;
                while b
                    .get(p.i)
                    .is_some_and(|c| c.is_ascii_digit() || b"+-.eE".contains(c))
                {
                    p.i += 1;
                }
                sink.counted(Location::BodyArg, &path, &text[start..p.i]);
            }
            _ => return false,
        }
        if sink.done() {
            return true;
        }
        // After a value: close finished containers, move to the next member or element.
        loop {
            p.ws();
            let Some(frame) = stack.last_mut() else {
                p.ws();
                return p.i == b.len();
            };
            match (*frame, b.get(p.i)) {
                (Frame::Object(base), Some(b',')) => {
                    p.i += 1;
                    path.truncate(base);
                    if !object_key(&mut p, &mut path, &mut unescaped, sink) {
                        return false;
                    }
                    if sink.done() {
                        return true;
                    }
                    break;
                }
                (Frame::Object(base), Some(b'}')) => {
                    p.i += 1;
                    path.truncate(base);
                    stack.pop();
                }
                (Frame::Array(base, next), Some(b',')) => {
                    p.i += 1;
                    path.truncate(base);
                    push_index(&mut path, next);
                    *frame = Frame::Array(base, next + 1);
                    break;
                }
                (Frame::Array(base, _), Some(b']')) => {
                    p.i += 1;
                    path.truncate(base);
                    stack.pop();
                }
                _ => return false,
            }
        }
    }
}

fn push_index(path: &mut String, i: usize) {
    let mut digits = [0u8; 20];
    let mut n = i;
    let mut k = digits.len();
    loop {
        k -= 1;
        digits[k] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    path.push('[');
    for &d in &digits[k..] {
        path.push(char::from(d));
    }
    path.push(']');
}

/// Reads `"key":` at the cursor, appends `.key` (or `key` at the root) to `path` and emits the
/// key as a `BodyArgName`. False on malformed input.
fn object_key(
    p: &mut JsonCursor<'_>,
    path: &mut String,
    unescaped: &mut String,
    sink: &mut Sink<'_>,
) -> bool {
    p.ws();
    if p.b.get(p.i) != Some(&b'"') {
        return false;
    }
    let Some(key) = p.string(unescaped) else {
        return false;
    };
    p.ws();
    if p.b.get(p.i) != Some(&b':') {
        return false;
    }
    p.i += 1;
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
    sink.push(Location::BodyArgName, path, key);
    true
}

struct JsonCursor<'t> {
    t: &'t str,
    b: &'t [u8],
    i: usize,
}

impl<'t> JsonCursor<'t> {
    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    /// The string at the cursor (on its opening quote), unescaped into `buf` when it has
    /// escapes; None when malformed.
    fn string<'s>(&mut self, buf: &'s mut String) -> Option<&'s str>
    where
        't: 's,
    {
        let b = self.b;
        let start = self.i + 1;
        let j = start + string_stop(b.get(start..)?)?;
        if b[j] == b'"' {
            self.i = j + 1;
            // Quotes are ASCII: always a character boundary of the text.
            return self.t.get(start..j);
        }
        // An escape or a control character at `j`: the plain run before it as it is, then decode
        // from there (the loop rejects control characters).
        buf.clear();
        buf.push_str(self.t.get(start..j)?);
        let mut j = j;
        loop {
            match b[j] {
                b'"' => {
                    self.i = j + 1;
                    return Some(buf.as_str());
                }
                b'\\' => {
                    let e = *b.get(j + 1)?;
                    j += 2;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = hex4(b.get(j..j + 4)?)?;
                            j += 4;
                            if (0xd800..0xdc00).contains(&hi)
                                && b.get(j) == Some(&b'\\')
                                && b.get(j + 1) == Some(&b'u')
                            {
                                let lo = hex4(b.get(j + 2..j + 6)?)?;
                                if (0xdc00..0xe000).contains(&lo) {
                                    j += 6;
                                    char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00))
                                        .unwrap_or('\u{fffd}')
                                } else {
                                    '\u{fffd}'
                                }
                            } else {
                                char::from_u32(hi).unwrap_or('\u{fffd}')
                            }
                        }
                        _ => return None,
                    };
                    buf.push(c);
                }
                _ => return None,
            }
            let run = string_stop(&b[j..])?;
            buf.push_str(self.t.get(j..j + run)?);
            j += run;
        }
    }
}

/// The offset of the first quote, backslash or control character (which JSON forbids in
/// strings) in `s`: where a plain run of string text ends. Eight bytes per step with the
/// classic zero-byte tests (the lowest flagged byte of each test is exact; only bytes above a
/// true hit can be false positives), then byte by byte for the last few. A byte loop costs
/// about six instructions a byte, and memchr for the quote plus a second pass for control
/// characters as much on the short strings most JSON holds: on the body of `cargo bench -p
/// waf-bench --bench engine -- uncached/json_post_64k` this took a whole inspection from 3.97 to
/// 3.63 million instructions (callgrind).
fn string_stop(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let w = u64::from_le_bytes(w);
        let hits = zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = chunks.remainder();
    rest.iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|i| at + i)
}

fn hex4(h: &[u8]) -> Option<u32> {
    h.iter().try_fold(0u32, |a, &c| {
        let d = (c as char).to_digit(16)?;
        Some(a << 4 | d)
    })
}

#[cfg(test)]
mod tests {
    use super::string_stop;

    /// The word-at-a-time scan agrees with a byte loop for every byte at every offset.
    #[test]
    fn string_stop_finds_the_first_stop_byte() {
        let naive = |s: &[u8]| s.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
        for len in 0..20 {
            for at in 0..len {
                for stop in 0..=255u8 {
                    let mut s = vec![b'a'; len];
                    s[at] = stop;
                    // A second stop byte later must not hide the first.
                    if at + 1 < len {
                        s[len - 1] = b'"';
                    }
                    assert_eq!(string_stop(&s), naive(&s), "{s:?}");
                    // High bytes (UTF-8) before the stop are text.
                    if at > 0 {
                        s[0] = 0xc3;
                        assert_eq!(string_stop(&s), naive(&s), "{s:?}");
                    }
                }
            }
            assert_eq!(string_stop(&vec![0xffu8; len]), None);
        }
    }
}
