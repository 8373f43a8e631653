//! JSON bodies: walked in place, without building a document.

use super::visit::Sink;
use crate::request::Location;
use crate::reuse::{Reuse, Seen};

/// Walks JSON text in place and emits each key (as `BodyArgName`, named by its dotted path) and
/// each string or number leaf (as `BodyArg`) under its dotted path (`items[3].author.name`), in
/// document order. Strings without escapes are borrowed; the path lives in one reused buffer.
/// Returns false when the text is not JSON; values met before the error have been emitted.
/// Recursion-free: the container being walked is a local [`Frame`], its parents a stack.
///
/// A visitor whose verdicts do not depend on names (its [`super::visit::Visitor::reuse`] is not
/// [`Reuse::Off`]) gets every field with an empty name, and the path is not built: it is put
/// together from the stack only for a field that stops extraction, which the visitor then sees
/// again under its path (building paths is costly on large bodies). Repeats of a field that
/// passed are then not handed to it again ([`Seen`]).
pub(super) fn json(text: &str, sink: &mut Sink<'_>) -> bool {
    if sink.f.reuse().needs_names() {
        walk::<true>(text, sink)
    } else {
        walk::<false>(text, sink)
    }
}

/// [`json`], with the path kept as the walk goes when `NAMED`, and put together only for a
/// field that stops extraction otherwise.
///
/// Written for the common body, one without escapes or whitespace: the cursor and the current
/// container live in locals (registers) rather than behind a `&mut` cursor, a string's plain
/// case is scanned inline and only an escaped one takes the out-of-line path, and whitespace is
/// one comparison when there is none.
fn walk<const NAMED: bool>(text: &str, sink: &mut Sink<'_>) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    let mut path = String::new();
    let mut unescaped = String::new();
    let mut cur = Frame::Root;
    let mut parents: Vec<Frame> = Vec::new();
    let mut seen = Seen::new(!NAMED && sink.f.reuse() != Reuse::Off);
    'value: loop {
        // Expecting a value at the current path.
        i = ws(b, i);
        let Some(&c) = b.get(i) else {
            return false;
        };
        // A leaf's text and the index after it.
        let (leaf, end) = match c {
            b'"' => {
                let Some((v, end)) = string(text, i + 1, &mut unescaped) else {
                    return false;
                };
                (Some(v), end)
            }
            b'{' => {
                i = ws(b, i + 1);
                if b.get(i) == Some(&b'}') {
                    (None, i + 1)
                } else {
                    parents.push(cur);
                    cur = Frame::Object {
                        base: path.len(),
                        key: i,
                    };
                    let Some(end) =
                        key::<NAMED>(text, i, &mut path, &mut unescaped, &mut seen, sink, || {
                            path_of(text, &parents, cur)
                        })
                    else {
                        return false;
                    };
                    i = end;
                    if sink.done() {
                        return true;
                    }
                    continue;
                }
            }
            b'[' => {
                i = ws(b, i + 1);
                if b.get(i) == Some(&b']') {
                    (None, i + 1)
                } else {
                    parents.push(cur);
                    cur = Frame::Array {
                        base: path.len(),
                        next: 1,
                    };
                    if NAMED {
                        push_index(&mut path, 0);
                    }
                    continue;
                }
            }
            b't' | b'f' | b'n' => {
                let lit: &[u8] = match c {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !b[i..].starts_with(lit) {
                    return false;
                }
                (None, i + lit.len())
            }
            b'-' | b'0'..=b'9' => {
                let mut end = i + 1;
                while b
                    .get(end)
                    .is_some_and(|&c| matches!(c, b'0'..=b'9' | b'+' | b'-' | b'.' | b'e' | b'E'))
                {
                    end += 1;
                }
                // Digits and signs are ASCII: character boundaries.
                (piece(text, i, end), end)
            }
            _ => return false,
        };
        i = end;
        if let Some(v) = leaf {
            if NAMED {
                sink.counted(Location::BodyArg, &path, v);
            } else if sink.count() {
                push_once(&mut seen, sink, text, Location::BodyArg, v, || {
                    path_of(text, &parents, cur)
                });
            }
            if sink.done() {
                return true;
            }
        }
        // After a value: close finished containers, move to the next member or element.
        loop {
            i = ws(b, i);
            let next = b.get(i).copied();
            match (cur, next) {
                (Frame::Root, _) => return next.is_none(),
                (Frame::Object { base, .. }, Some(b',')) => {
                    if NAMED {
                        path.truncate(base);
                    }
                    cur = Frame::Object { base, key: i + 1 };
                    let Some(end) = key::<NAMED>(
                        text,
                        i + 1,
                        &mut path,
                        &mut unescaped,
                        &mut seen,
                        sink,
                        || path_of(text, &parents, cur),
                    ) else {
                        return false;
                    };
                    i = end;
                    if sink.done() {
                        return true;
                    }
                    continue 'value;
                }
                (Frame::Array { base, next: n }, Some(b',')) => {
                    i += 1;
                    if NAMED {
                        path.truncate(base);
                        push_index(&mut path, n);
                    }
                    cur = Frame::Array { base, next: n + 1 };
                    continue 'value;
                }
                (Frame::Object { base, .. }, Some(b'}'))
                | (Frame::Array { base, .. }, Some(b']')) => {
                    i += 1;
                    if NAMED {
                        path.truncate(base);
                    }
                    cur = parents.pop().unwrap_or(Frame::Root);
                }
                _ => return false,
            }
        }
    }
}

/// The container the walker is in.
#[derive(Clone, Copy)]
enum Frame {
    /// At the top level: after its value, only whitespace may follow.
    Root,
    /// In an object: the path length before this object's key, and where the current key
    /// starts (at or before its opening quote: only whitespace between).
    Object { base: usize, key: usize },
    /// In an array: the path length before `[i]`, and the next index.
    Array { base: usize, next: usize },
}

/// The dotted path of the current field, from the containers `parents` and `cur` (the
/// current keys read again from the text): what the walker's path buffer would hold.
#[cold]
#[inline(never)]
fn path_of(text: &str, parents: &[Frame], cur: Frame) -> String {
    let mut path = String::new();
    let mut buf = String::new();
    for f in parents.iter().chain(std::iter::once(&cur)) {
        match *f {
            Frame::Root => {}
            Frame::Object { key, .. } => {
                let at = ws(text.as_bytes(), key);
                if let Some((k, _)) = string(text, at + 1, &mut buf) {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                }
            }
            Frame::Array { next, .. } => push_index(&mut path, next - 1),
        }
    }
    path
}

/// The first index at or after `i` that is not JSON whitespace.
#[inline(always)]
fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        if c > b' ' || !c.is_ascii_whitespace() {
            break;
        }
        i += 1;
    }
    i
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

/// Reads `"key":` from `i` (whitespace allowed around the key) and emits the key as a
/// `BodyArgName` under its path: when `NAMED`, `.key` (or `key` at the root) is appended to
/// `path` first; otherwise `name` puts the path together if the key stops extraction. The
/// index after the colon; None on malformed input.
#[inline(always)]
fn key<const NAMED: bool>(
    text: &str,
    i: usize,
    path: &mut String,
    unescaped: &mut String,
    seen: &mut Seen,
    sink: &mut Sink<'_>,
    name: impl FnOnce() -> String,
) -> Option<usize> {
    let b = text.as_bytes();
    let i = ws(b, i);
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let (key, end) = string(text, i + 1, unescaped)?;
    let i = ws(b, end);
    if b.get(i) != Some(&b':') {
        return None;
    }
    if NAMED {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        sink.push(Location::BodyArgName, path, key);
    } else {
        push_once(seen, sink, text, Location::BodyArgName, key, name);
    }
    Some(i + 1)
}

/// Hands `v` at `loc`, unnamed, to the sink unless it passed earlier in `text`; notes it in
/// `seen` when it passes now.
#[inline(always)]
fn push_once(
    seen: &mut Seen,
    sink: &mut Sink<'_>,
    text: &str,
    loc: Location,
    v: &str,
    name: impl FnOnce() -> String,
) {
    if seen.holds(text, loc, v) {
        return;
    }
    sink.push_unnamed(loc, v, name);
    if !sink.done() {
        seen.add(text, loc, v);
    }
}

/// The string whose text starts at `start` (after its opening quote) and the index after its
/// closing quote; unescaped into `buf` when it has escapes. None when malformed.
#[inline(always)]
fn string<'t>(text: &'t str, start: usize, buf: &'t mut String) -> Option<(&'t str, usize)> {
    let b = text.as_bytes();
    let j = start + string_stop(b.get(start..)?)?;
    if b.get(j) == Some(&b'"') {
        // Quotes are ASCII: always a character boundary of the text.
        return Some((piece(text, start, j)?, j + 1));
    }
    escaped(text, start, j, buf)
}

/// `text[start..end]` when both are character boundaries. `str::get` with a range was an
/// out-of-line call here (about 2% of `uncached/json_post_64k`); two `split_at_checked` inline.
#[inline(always)]
fn piece(text: &str, start: usize, end: usize) -> Option<&str> {
    let (head, _) = text.split_at_checked(end)?;
    Some(head.split_at_checked(start)?.1)
}

/// [`string`] from `j`, its first escape or control character: the plain run before it as it
/// is, then decoded from there (control characters are rejected).
#[cold]
#[inline(never)]
fn escaped<'t>(
    text: &'t str,
    start: usize,
    mut j: usize,
    buf: &'t mut String,
) -> Option<(&'t str, usize)> {
    let b = text.as_bytes();
    buf.clear();
    buf.push_str(text.get(start..j)?);
    loop {
        match *b.get(j)? {
            b'"' => return Some((buf.as_str(), j + 1)),
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
        let run = string_stop(b.get(j..)?)?;
        buf.push_str(text.get(j..j + run)?);
        j += run;
    }
}

/// The offset of the first quote, backslash or control character (which JSON forbids in
/// strings) in `s`: where a plain run of string text ends. Eight bytes per step with the
/// classic zero-byte tests (the lowest flagged byte of each test is exact; only bytes above a
/// true hit can be false positives), then byte by byte for the last few: cheaper than a byte
/// loop, or memchr for the quote plus a second pass for control characters, on the short
/// strings most JSON holds.
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
