//! multipart/form-data bodies, read the way the common frameworks (Werkzeug, Tornado, PHP,
//! Node's busboy) read them: a delimiter counts only at the start of a line; part headers are
//! `Name: value` lines; `Content-Disposition` parameters are tokens or quoted strings (so a
//! `filename=` inside another parameter's quotes is text, not a file name).
//!
//! What those parsers disagree on is not guessed: a delimiter in the middle of a line (Tornado
//! splits there, the others do not), a part with two `Content-Disposition` or `Content-Type`
//! headers, a parameter given twice, and a `Content-Type` naming two boundaries are noted as
//! ambiguous ([`super::visit::ParseNotes::ambiguous_body`]) and the request is refused.
//!
//! Every part's content is inspected: fields as body parameters, files (any part with a
//! `filename`, even an empty one) as body content whatever type they declare, since a PHP
//! shell declared `image/png` is still a PHP shell (text whole, binary by its printable runs:
//! [`file_content`]). The whole body is bounded by `settings.body_limit`.

use super::visit::Sink;
use crate::request::Location;

/// The boundary of a multipart `Content-Type`: `Some(Ok(b))`, `Some(Err(()))` when it is
/// named twice (ambiguous), `None` when there is none usable.
pub(super) fn boundary(ct: &str) -> Option<Result<String, ()>> {
    let (_, params) = ct.split_once(';')?;
    let mut found: Option<String> = None;
    for (k, v) in params_of(params)? {
        if k.eq_ignore_ascii_case("boundary") {
            if found.is_some() {
                return Some(Err(()));
            }
            found = Some(v);
        }
    }
    let b = found?;
    if b.is_empty() || b.len() > 200 {
        None
    } else {
        Some(Ok(b))
    }
}

/// `; name=value` parameters (values tokens or quoted strings with `\` escapes), names in the
/// case they were sent; `None` when the text does not parse as parameters.
fn params_of(s: &str) -> Option<Vec<(String, String)>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b';') {
            i += 1;
        }
        if i >= b.len() {
            return Some(out);
        }
        let start = i;
        while i < b.len() && !matches!(b[i], b'=' | b';') {
            i += 1;
        }
        let name = s.get(start..i)?.trim().to_string();
        if i >= b.len() || b[i] == b';' {
            // A bare word (`form-data`, or a flag): no value.
            out.push((name, String::new()));
            continue;
        }
        i += 1; // '='
        while i < b.len() && matches!(b[i], b' ' | b'\t') {
            i += 1;
        }
        let mut value = String::new();
        if b.get(i) == Some(&b'"') {
            i += 1;
            let mut closed = false;
            while i < b.len() {
                match b[i] {
                    b'\\' if i + 1 < b.len() => {
                        value.push(char::from(b[i + 1]));
                        i += 2;
                    }
                    b'"' => {
                        closed = true;
                        i += 1;
                        break;
                    }
                    _ => {
                        // Copy one whole character.
                        let ch = s.get(i..)?.chars().next()?;
                        value.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            if !closed {
                return None;
            }
        } else {
            let start = i;
            while i < b.len() && b[i] != b';' {
                i += 1;
            }
            value.push_str(s.get(start..i)?.trim());
        }
        out.push((name, value));
    }
}

/// What one part's headers say.
#[derive(Default)]
struct PartHead {
    name: String,
    filename: Option<String>,
    ambiguous: bool,
}

fn part_head(head: &str) -> PartHead {
    let mut h = PartHead::default();
    let (mut disposition, mut content_type) = (0, 0);
    for line in head.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let k = k.trim();
        if k.eq_ignore_ascii_case("content-type") {
            content_type += 1;
        } else if k.eq_ignore_ascii_case("content-disposition") {
            disposition += 1;
            let Some(params) = params_of(v) else {
                h.ambiguous = true;
                continue;
            };
            let (mut names, mut files) = (0, 0);
            for (pk, pv) in params {
                if pk.eq_ignore_ascii_case("name") {
                    names += 1;
                    h.name = pv;
                } else if pk.eq_ignore_ascii_case("filename")
                    || pk.eq_ignore_ascii_case("filename*")
                {
                    files += 1;
                    h.filename = Some(pv);
                }
            }
            h.ambiguous |= names > 1 || files > 1;
        }
    }
    h.ambiguous |= disposition > 1 || content_type > 1;
    h
}

/// Offsets of `delim` in `body` that start a line (at 0 or after `\n`); `Err` when it also
/// occurs elsewhere.
fn delimiters(body: &[u8], delim: &[u8]) -> Result<Vec<usize>, ()> {
    let mut at = Vec::new();
    for i in memchr::memmem::find_iter(body, delim) {
        if i == 0 || body[i - 1] == b'\n' {
            at.push(i);
        } else {
            return Err(());
        }
    }
    Ok(at)
}

pub(super) fn multipart(body: &[u8], boundary: &str, sink: &mut Sink<'_>) {
    let delim = format!("--{boundary}");
    let starts = match delimiters(body, delim.as_bytes()) {
        Ok(s) if !s.is_empty() => s,
        Ok(_) => {
            sink.notes.bad_multipart = true;
            sink.push(Location::Body, "", &String::from_utf8_lossy(body));
            return;
        }
        Err(()) => {
            sink.notes.ambiguous_body = true;
            return;
        }
    };
    for (n, &start) in starts.iter().enumerate() {
        let from = start + delim.len();
        if body[from..].starts_with(b"--") {
            // The close delimiter: what follows is the epilogue, which no framework reads.
            break;
        }
        // Up to the line break before the next delimiter, or to the end of a body cut short.
        let end = starts.get(n + 1).map_or(body.len(), |&next| {
            let mut e = next;
            if e > from && body[e - 1] == b'\n' {
                e -= 1;
            }
            if e > from && body[e - 1] == b'\r' {
                e -= 1;
            }
            e
        });
        let part = body.get(from..end).unwrap_or_default();
        let part = part
            .strip_prefix(b"\r\n")
            .or_else(|| part.strip_prefix(b"\n"))
            .unwrap_or(part);
        let (head, content) = match memchr::memmem::find(part, b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| memchr::memmem::find(part, b"\n\n").map(|i| (i, 2)))
        {
            Some((i, k)) => (&part[..i], &part[i + k..]),
            // Headers only: a part with no content.
            None => (part, &b""[..]),
        };
        let h = part_head(&String::from_utf8_lossy(head));
        if h.ambiguous {
            sink.notes.ambiguous_body = true;
            return;
        }
        match &h.filename {
            Some(f) => {
                if !f.is_empty() {
                    sink.push(Location::Filename, &h.name, f);
                }
                file_content(content, &h.name, sink);
            }
            None => {
                let value = String::from_utf8_lossy(content);
                sink.arg(Location::BodyArgName, Location::BodyArg, &h.name, &value);
            }
        }
        if sink.done() {
            break;
        }
    }
}

/// Shortest run of printable bytes of a binary file that is inspected: shorter than any
/// useful script (`<?=`$_GET[0]`;` is 14), longer than what random bytes make by chance.
const MIN_RUN: usize = 8;

/// A file part's content, whatever type it declares (a PHP shell sent as `image/png` is still
/// one): text (valid UTF-8) is inspected whole; binary content by its runs of at least
/// [`MIN_RUN`] printable bytes, what `strings` shows of it, where code hidden in an image (a
/// script appended to it, or in its comment) is. Scanning the random-looking bytes of a photo
/// as text found shell substitutions in them by chance (rule 5002 on a 1 MiB JPEG).
fn file_content(content: &[u8], name: &str, sink: &mut Sink<'_>) {
    if let Ok(text) = std::str::from_utf8(content) {
        sink.push(Location::Body, name, text);
        return;
    }
    let printable = |c: u8| matches!(c, b' '..=b'~' | b'\t' | b'\r' | b'\n');
    // Runs are found by their last byte first: when the byte `MIN_RUN - 1` ahead is not
    // printable, no run starts before it, and most bytes of a binary file are never read (a
    // byte loop over a photo's random-looking bytes mispredicted every other branch: 5.8 ms
    // per MiB).
    let n = content.len();
    let mut i = 0;
    while i + MIN_RUN <= n {
        let last = i + MIN_RUN - 1;
        if let Some(j) = (i..=last).rev().find(|&j| !printable(content[j])) {
            i = j + 1;
            continue;
        }
        let end = content[last..]
            .iter()
            .position(|&c| !printable(c))
            .map_or(n, |k| last + k);
        // Printable ASCII: valid UTF-8.
        if let Ok(run) = std::str::from_utf8(&content[i..end]) {
            sink.push(Location::Body, name, run);
            if sink.done() {
                return;
            }
        }
        i = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_and_parameters() {
        assert_eq!(
            boundary("multipart/form-data; boundary=abc"),
            Some(Ok("abc".into()))
        );
        assert_eq!(
            boundary("multipart/form-data; x=\"boundary=evil\"; boundary=\"real one\""),
            Some(Ok("real one".into()))
        );
        assert_eq!(
            boundary("multipart/form-data; boundary=a; boundary=b"),
            Some(Err(()))
        );
        assert_eq!(boundary("multipart/form-data"), None);
        let p = params_of(" form-data; name=\"q\"; x=\"; filename=a\"").expect("params");
        assert_eq!(
            p,
            vec![
                ("form-data".into(), String::new()),
                ("name".into(), "q".into()),
                ("x".into(), "; filename=a".into())
            ]
        );
        assert!(
            part_head("Content-Disposition: form-data; name=\"q\"; x=\"; filename=a\"")
                .filename
                .is_none()
        );
        assert!(part_head("Content-Disposition: form-data; name=a; name=b").ambiguous);
        assert!(part_head("Content-Disposition: form-data; name=\"unclosed").ambiguous);
        assert_eq!(
            part_head("Content-Disposition: form-data; name=f; filename=\"\"").filename,
            Some(String::new())
        );
        assert_eq!(delimiters(b"--b\r\nx\r\n--b--", b"--b"), Ok(vec![0, 8]));
    }

    /// Values a multipart body hands to the detectors.
    fn values(body: &[u8]) -> Vec<String> {
        let headers = [("content-type", &b"multipart/form-data; boundary=b"[..])];
        let req = crate::Request {
            method: "POST",
            headers: &headers,
            body,
            ..crate::Request::get("/")
        };
        let mut out = Vec::new();
        crate::parse::extract(&req, crate::parse::Limits { max_args: 100 }, &mut out);
        out.into_iter().map(|f| f.value.into_owned()).collect()
    }

    #[test]
    fn binary_files_are_inspected_by_their_printable_runs() {
        let part = |content: &[u8]| {
            let mut b = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
            b.extend_from_slice(content);
            b.extend_from_slice(b"\r\n--b--\r\n");
            b
        };
        let v = values(&part(
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff<?php system($_GET['c']); ?>\xfe\0",
        ));
        assert!(
            v.contains(&"<?php system($_GET['c']); ?>".to_string()),
            "{v:?}"
        );
        assert!(
            !v.iter().any(|x| x.contains("IHDR")),
            "short runs are not values: {v:?}"
        );
        // Text declared as an image is inspected whole.
        assert!(values(&part(b"just text, as an image"))
            .contains(&"just text, as an image".to_string()));
        assert_eq!(delimiters(b"--b\r\nx--b\r\n--b--", b"--b"), Err(()));
    }
}
