//! Extracting parameters from a request: query, cookies, headers and the body by content type
//! (urlencoded, JSON, multipart, XML, raw), within the configured limits.

use std::borrow::Cow;

use crate::normalize::{url_decode, utf8_lossy};
use crate::request::{Field, Location, Request};

mod headers;
mod json;
mod multipart;
mod visit;
mod xml;

use json::json;
use multipart::{boundary, multipart};
use visit::Sink;
pub use visit::{FieldRef, Limits, ParseNotes, Visitor};
use xml::xml;

/// Which parts of a request [`visit`] extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parts {
    /// Path, query, cookies, headers and body.
    #[default]
    All,
    /// Only the body's parameters; query parameters are counted against `max_args` but not
    /// visited. For a second pass once the body has arrived, after the headers were inspected.
    Body,
}

/// Splits `a=1&b=2` pairs, percent-decoding names and values (`+` as space).
pub fn form_pairs(s: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    raw_pairs(s).map(|(k, v)| (url_decode(k, true), url_decode(v, true)))
}

/// The pieces of `s` between `sep` bytes, found with `memchr` (faster than `str::split` on a
/// char). `sep` is ASCII: every cut is on a character boundary.
fn split_ascii(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let b = s.as_bytes();
    let mut start = 0;
    let mut ends = memchr::memchr_iter(sep, b).chain(std::iter::once(b.len()));
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let piece = s.get(start..end)?;
        start = end + 1;
        Some(piece)
    })
}

/// `s` cut at its first `=`, if it has one (`=` is ASCII: a character boundary).
fn split_eq(s: &str) -> Option<(&str, &str)> {
    let i = s.bytes().position(|c| c == b'=')?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// The undecoded `(name, value)` pairs of `a=1&b=2`, empty pairs skipped.
fn raw_pairs(s: &str) -> impl Iterator<Item = (&str, &str)> {
    split_ascii(s, b'&')
        .filter(|p| !p.is_empty())
        .map(|p| split_eq(p).unwrap_or((p, "")))
}

/// Visits the pairs of the query or form `s` as parameters (`name_loc`, `value_loc`), until the
/// visitor stops. A pair the visitor already knows to pass ([`Visitor::known_pair`], asked on
/// the undecoded `name=value`) is only counted; the others are decoded, visited, and reported
/// back when they pass. On `cargo bench -p waf-bench --bench engine -- inspect/form_post_4k`
/// (150 fields seen before) this is one hash per field instead of two decodings and two.
///
/// Before each piece the visitor may also take a whole run of known pairs at once
/// ([`Visitor::known_run`]): a form sent again is then one comparison per pair against what the
/// visitor holds, without a split, a hash or a call per pair.
fn form_fields(s: &str, sink: &mut Sink<'_>, name_loc: Location, value_loc: Location) {
    let (mut kb, mut vb) = (String::new(), String::new());
    let b = s.as_bytes();
    let mut at = 0;
    // A run is asked for at the start and after a known pair: after a pair the visitor did not
    // know, none follows (what follows a new entry is not known yet), and an uncached form pays
    // no extra call per pair.
    let mut try_run = true;
    while at < b.len() {
        // `at` is the start of the text or follows an `&`: a character boundary.
        if try_run {
            let (bytes, pairs) = sink.f.known_run(value_loc, s.get(at..).unwrap_or_default());
            if pairs > 0 {
                sink.count_many(pairs);
                if sink.done() {
                    return;
                }
                at += bytes;
            }
        }
        let end = memchr::memchr(b'&', b.get(at..).unwrap_or_default()).map_or(b.len(), |i| at + i);
        let piece = s.get(at..end).unwrap_or_default();
        at = end + 1;
        if piece.is_empty() {
            continue;
        }
        try_run = sink.f.known_pair(value_loc, piece);
        let visited = if try_run {
            sink.count();
            false
        } else {
            let (k, v) = split_eq(piece).unwrap_or((piece, ""));
            let k = decode_form_into(k, &mut kb);
            let v = decode_form_into(v, &mut vb);
            sink.arg(name_loc, value_loc, k, v)
        };
        if sink.done() {
            return;
        }
        if visited {
            sink.f.pair_passed(value_loc, piece);
        }
    }
}

/// [`url_decode`] with `+` as space, into `buf` when the value needs decoding. Form names and
/// values are short: plain loops, not `memchr` (whose setup cost more than the search on
/// `inspect/form_post_4k`).
fn decode_form_into<'a>(s: &'a str, buf: &'a mut String) -> &'a str {
    let b = s.as_bytes();
    let (pct, plus) = b.iter().fold((false, false), |(p, q), &c| {
        (p | (c == b'%'), q | (c == b'+'))
    });
    if pct {
        if let Cow::Owned(d) = url_decode(s, true) {
            *buf = d;
            return buf;
        }
        return s;
    }
    if !plus {
        return s;
    }
    // Only `+`: the text between them, with spaces in their place.
    buf.clear();
    let mut last = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'+' {
            // `+` is ASCII: `last..i` lies on character boundaries.
            buf.push_str(s.get(last..i).unwrap_or_default());
            buf.push(' ');
            last = i + 1;
        }
    }
    buf.push_str(s.get(last..).unwrap_or_default());
    buf
}

/// Extracts every inspectable field of `req` into `out`. Allocates a copy of each value; the
/// engine itself uses [`visit`], which does not.
pub fn extract<'a>(req: &Request<'a>, lim: Limits, out: &mut Vec<Field<'a>>) -> ParseNotes {
    visit(req, lim, Parts::All, &mut |f: FieldRef<'_>| {
        out.push(Field {
            location: f.location,
            name: Cow::Owned(f.name.to_string()),
            value: Cow::Owned(f.value.to_string()),
        });
        false
    })
}

/// Calls `f` with every inspectable value of `req` (of `parts`), in request order, until it
/// returns `true`. Values are borrowed from the request where no decoding is needed; JSON bodies
/// are walked in place, without building a document. Cost: one pass over the request, and an
/// allocation only for values that need decoding (`cargo bench -p waf-bench --bench engine --
/// inspect/json_post_64k` went from 9.3 ms with a `serde_json::Value` tree and a `Vec` of owned
/// fields to the figure in bench/README.md).
pub fn visit(req: &Request<'_>, lim: Limits, parts: Parts, f: &mut dyn Visitor) -> ParseNotes {
    let mut sink = Sink {
        f,
        args: 0,
        lim,
        notes: ParseNotes::default(),
        stopped: false,
    };
    if parts == Parts::Body {
        if let Some(q) = req.query() {
            sink.args = q.split('&').filter(|p| !p.is_empty()).count();
        }
    } else {
        header_parts(req, &mut sink);
    }
    if !req.body.is_empty() && !sink.done() {
        body(req, &mut sink);
    }
    sink.notes
}

fn header_parts(req: &Request<'_>, sink: &mut Sink<'_>) {
    let path = req.path();
    let p = url_decode(path, false);
    sink.push(Location::Path, "", &p);
    if let Some(q) = req.query() {
        form_fields(q, sink, Location::ArgName, Location::QueryArg);
        if sink.done() {
            return;
        }
    }
    let mut lower = String::new();
    for (name, value) in req.headers {
        // Names from HTTP parsers (Pingora's among them) are lower case already: copied and
        // lowered only when they are not.
        let lname = if name.bytes().any(|c| c.is_ascii_uppercase()) {
            lower.clear();
            lower.push_str(name);
            lower.make_ascii_lowercase();
            lower.as_str()
        } else {
            name
        };
        if lname == "cookie" {
            // A browser sends the same Cookie header until a cookie changes.
            let text = utf8_lossy(value);
            if sink.f.known_pair(Location::Cookie, &text) {
                continue;
            }
            for c in split_ascii(&text, b';') {
                let c = c.trim();
                let (k, v) = split_eq(c).unwrap_or(("", c));
                if !headers::plain_cookie_name(k) {
                    // Frameworks hand cookie names to applications too (`$_COOKIE` keys).
                    sink.push(Location::Cookie, k, &url_decode(k, false));
                }
                sink.push(Location::Cookie, k, &url_decode(v, false));
            }
            if !sink.done() {
                sink.f.pair_passed(Location::Cookie, &text);
            }
        } else if lname == "referer" {
            referer(&utf8_lossy(value), sink);
        } else if lname == "authorization" {
            // Basic credentials are inspected decoded (an injection in the user name reaches
            // the application's login query); a scheme and one token is inert.
            match headers::basic_credentials(value) {
                Some(creds) => sink.push(Location::Header, lname, &creds),
                None if headers::token68_credentials(value) => {}
                None => sink.push(Location::Header, lname, &utf8_lossy(value)),
            }
        } else if !headers::inert(lname, value) {
            sink.push(Location::Header, lname, &utf8_lossy(value));
        }
        if sink.done() {
            return;
        }
    }
}

/// A Referer is the URL of the page that linked here: its part before the query is one header
/// value, and each query name and value is inspected decoded, one by one, as the page that was
/// visited received it. A search for `union select` is then a search box's text, judged as any
/// query value is, and an injection aimed at a parameter of the referring page is read the way
/// that page's application reads it.
fn referer(text: &str, sink: &mut Sink<'_>) {
    let Some((url, query)) = text.split_once('?') else {
        sink.push(Location::Header, "referer", text);
        return;
    };
    sink.push(Location::Header, "referer", url);
    let mut buf = String::new();
    for piece in split_ascii(query, b'&') {
        if sink.done() {
            return;
        }
        let (k, v) = split_eq(piece).unwrap_or(("", piece));
        if !headers::plain_cookie_name(k) {
            sink.push(Location::Header, "referer", decode_form_into(k, &mut buf));
        }
        sink.push(Location::Header, "referer", decode_form_into(v, &mut buf));
    }
}

fn content_type<'a>(req: &Request<'a>) -> Cow<'a, str> {
    req.header_str("content-type").unwrap_or(Cow::Borrowed(""))
}

fn body(req: &Request<'_>, sink: &mut Sink<'_>) {
    let ct = content_type(req);
    let ctl = ct.to_ascii_lowercase();
    // Converted only by the branches that need text: a 1 MiB binary upload converted lossily
    // cost 15 ms (`cargo bench -p waf-bench -- multipart_upload_1m`).
    // `from_utf8` first: it validates faster than the lossy conversion's chunking.
    let text = || match std::str::from_utf8(req.body) {
        Ok(t) => Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(req.body),
    };
    if ctl.starts_with("application/x-www-form-urlencoded") {
        // A form that is not UTF-8 (Latin-1 from an old page, or a byte put there to dodge
        // parsing) is still a form to every framework: split and decoded as one, with the
        // invalid bytes as U+FFFD.
        form_fields(&text(), sink, Location::BodyArgName, Location::BodyArg);
    } else if ctl.contains("json") {
        let text = text();
        if !json(&text, sink) && !sink.done() {
            sink.notes.malformed_body = !req.body_truncated;
            sink.push(Location::Body, "", &text);
        }
    } else if ctl.starts_with("multipart/") {
        match boundary(&ct) {
            Some(Ok(b)) => multipart(req.body, &b, sink),
            Some(Err(())) => sink.notes.ambiguous_body = true,
            None => {
                sink.notes.bad_multipart = true;
                sink.push(Location::Body, "", &text());
            }
        }
    } else if ctl.contains("xml") {
        let text = text();
        xml(&text, sink);
        sink.push(Location::Body, "", &text);
    } else if ctl.is_empty() && form_shaped(req.body) {
        // No Content-Type at all: CGI libraries (Python's `cgi`, Perl's CGI.pm) and clients
        // that post `-d name=value` read such a body as a form, so its values are inspected
        // as the form's; the text as a whole is inspected too, as for any other body.
        let text = text();
        form_fields(&text, sink, Location::BodyArgName, Location::BodyArg);
        if !sink.done() {
            sink.push(Location::Body, "", &text);
        }
    } else {
        sink.push(Location::Body, "", &text());
    }
}

/// Whether a body starts as a urlencoded form does: a plain parameter name and `=`.
fn form_shaped(body: &[u8]) -> bool {
    let name = body
        .iter()
        .take_while(|&&c| {
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']' | b'%')
        })
        .count();
    name > 0 && body.get(name) == Some(&b'=')
}

#[cfg(test)]
mod tests;
