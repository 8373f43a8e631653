//! Extracting parameters from a request: query, cookies, headers and the body by content type
//! (urlencoded, JSON, multipart, XML, raw), within the configured limits.

use std::borrow::Cow;

use crate::normalize::{url_decode, utf8_lossy};
use crate::request::{Field, Location, Request};

mod json;
mod multipart;
mod xml;

use json::json;
use multipart::{boundary, multipart};
use xml::xml;

/// Limits applied while extracting.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most parameters extracted; the rest are counted, not kept.
    pub max_args: usize,
    /// Longest value kept in full; longer ones are cut at a character boundary.
    pub max_value_len: usize,
}

/// What extraction noticed that is itself suspicious.
#[derive(Debug, Default, Clone, Copy)]
pub struct ParseNotes {
    /// More parameters than `max_args`.
    pub too_many_args: bool,
    /// The body claimed a structured type (JSON, multipart, XML) but did not parse.
    pub malformed_body: bool,
    /// A multipart body without a usable boundary.
    pub bad_multipart: bool,
}

/// Headers whose values are structural and not worth running injection detectors on (a `match`:
/// compiled to a switch on length, not 25 string comparisons per header).
fn skip_header(lname: &str) -> bool {
    matches!(
        lname,
        "host"
            | "content-length"
            | "content-type"
            | "accept"
            | "accept-encoding"
            | "accept-language"
            | "connection"
            | "cache-control"
            | "pragma"
            | "upgrade-insecure-requests"
            | "sec-fetch-site"
            | "sec-fetch-mode"
            | "sec-fetch-dest"
            | "sec-fetch-user"
            | "sec-ch-ua"
            | "sec-ch-ua-mobile"
            | "sec-ch-ua-platform"
            | "if-none-match"
            | "if-modified-since"
            | "authorization"
            | "cookie"
            | "te"
            | "priority"
            | "dnt"
            | "x-request-id"
    )
}

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The last `max / 2` bytes of a value longer than `max`, at a character boundary.
fn tail(s: &str, max: usize) -> Option<&str> {
    if s.len() <= max {
        return None;
    }
    let mut start = s.len() - max / 2;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s.get(start..)
}

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

/// What [`visit`] hands to its visitor for each value: where it was found, the parameter name
/// (the dotted path for JSON; empty for path and raw body) and the first-level decoded value.
/// Borrowed for the duration of the call only.
#[derive(Debug, Clone, Copy)]
pub struct FieldRef<'v> {
    /// Where it was found.
    pub location: Location,
    /// Parameter, cookie or header name.
    pub name: &'v str,
    /// The value.
    pub value: &'v str,
}

/// Receives what [`visit`] extracts. Any `FnMut(FieldRef) -> bool` closure is one (it sees every
/// field); the engine also answers for whole form pairs, which lets it skip decoding pairs it has
/// already passed.
pub trait Visitor {
    /// Each value (the parts of a [`FieldRef`]); returns `true` to stop extraction (a
    /// detection). The parts come as separate arguments, in registers: a `FieldRef` is passed
    /// through memory, and reading it back right after it was written stalled on every one of
    /// the 4,800 values of `cargo bench -p waf-bench --bench engine -- uncached/json_post_64k`.
    fn field(&mut self, location: Location, name: &str, value: &str) -> bool;

    /// Before a query or form pair is decoded: `raw` is the undecoded `name=value` and `loc`
    /// where its value goes (`QueryArg` or `BodyArg`). `true` says that both its fields are
    /// known to pass: the pair is then counted against `max_args` but neither decoded nor
    /// visited. The default knows no pair.
    fn known_pair(&mut self, loc: Location, raw: &str) -> bool {
        let _ = (loc, raw);
        false
    }

    /// After both fields of a pair were visited and neither stopped extraction.
    fn pair_passed(&mut self, loc: Location, raw: &str) {
        let _ = (loc, raw);
    }

    /// Before the pairs of `rest`, the undecoded remainder of a query or form from one pair's
    /// start: how many of its leading pairs the visitor knows to pass, all at once, as
    /// `(bytes, pairs)`. `bytes` ends at the `&` after the last of them, or at the end of
    /// `rest`; empty pieces (`&&`) between them are skipped and not counted. Those pairs are
    /// counted against `max_args` and neither split, decoded nor visited; the pair after them
    /// goes through [`Visitor::known_pair`] as usual. The default knows none.
    fn known_run(&mut self, loc: Location, rest: &str) -> (usize, usize) {
        let _ = (loc, rest);
        (0, 0)
    }
}

impl<F: FnMut(FieldRef<'_>) -> bool> Visitor for F {
    fn field(&mut self, location: Location, name: &str, value: &str) -> bool {
        self(FieldRef {
            location,
            name,
            value,
        })
    }
}

struct Sink<'f> {
    f: &'f mut dyn Visitor,
    args: usize,
    lim: Limits,
    notes: ParseNotes,
    stopped: bool,
}

impl Sink<'_> {
    /// Whether extraction should stop: the visitor found something, or too many parameters.
    fn done(&self) -> bool {
        self.stopped || self.notes.too_many_args
    }
    /// Counts one parameter against `max_args`; false (and noted) past the limit.
    fn count(&mut self) -> bool {
        self.count_many(1)
    }
    /// Counts `n` parameters against `max_args`; false (and noted) past the limit.
    fn count_many(&mut self, n: usize) -> bool {
        self.args += n;
        if self.args > self.lim.max_args {
            self.notes.too_many_args = true;
            return false;
        }
        true
    }
    /// A form or query parameter: its name, then its value. False when it was over the limit
    /// and not visited.
    fn arg(&mut self, name_loc: Location, value_loc: Location, name: &str, value: &str) -> bool {
        if !self.count() {
            return false;
        }
        if !name.is_empty() {
            self.emit(name_loc, name, cut(name, self.lim.max_value_len));
        }
        self.push(value_loc, name, value);
        true
    }
    fn counted(&mut self, location: Location, name: &str, value: &str) {
        if self.count() {
            self.push(location, name, value);
        }
    }
    fn push(&mut self, location: Location, name: &str, value: &str) {
        if let Some(t) = tail(value, self.lim.max_value_len) {
            // Padding attack: a payload after `max_value_len` bytes of filler. Inspect the end too.
            self.emit(location, name, t);
        }
        if !value.is_empty() {
            self.emit(location, name, cut(value, self.lim.max_value_len));
        }
    }
    fn emit(&mut self, location: Location, name: &str, value: &str) {
        if self.stopped {
            return;
        }
        self.stopped = self.f.field(location, name, value);
    }
}

/// Splits `a=1&b=2` pairs, percent-decoding names and values (`+` as space).
pub fn form_pairs(s: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    raw_pairs(s).map(|(k, v)| (url_decode(k, true), url_decode(v, true)))
}

/// The pieces of `s` between `sep` bytes, found with `memchr` (`str::split` on a char was a
/// fifth of `inspect/form_post_4k`). `sep` is ASCII: every cut is on a character boundary.
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
/// visitor holds, without a split, a hash or a call per pair (on the 150 cached fields of
/// `bench/load/post4k.lua`, about 250 instructions per pair before and 90 after, by callgrind on
/// waf-proxy).
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
            let text = utf8_lossy(value);
            for c in split_ascii(&text, b';') {
                let c = c.trim();
                let (k, v) = split_eq(c).unwrap_or(("", c));
                sink.push(Location::Cookie, k, &url_decode(v, false));
            }
        } else if !skip_header(lname) {
            sink.push(Location::Header, lname, &utf8_lossy(value));
        }
        if sink.done() {
            return;
        }
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
        let text = text();
        if let Cow::Owned(t) = &text {
            // Non-UTF-8 form: inspect it raw.
            sink.push(Location::Body, "", t);
            return;
        }
        form_fields(&text, sink, Location::BodyArgName, Location::BodyArg);
    } else if ctl.contains("json") {
        let text = text();
        if !json(&text, sink) && !sink.done() {
            sink.notes.malformed_body = !req.body_truncated;
            sink.push(Location::Body, "", &text);
        }
    } else if ctl.starts_with("multipart/") {
        match boundary(&ct) {
            Some(b) => multipart(req.body, &b, sink),
            None => {
                sink.notes.bad_multipart = true;
                sink.push(Location::Body, "", &text());
            }
        }
    } else if ctl.contains("xml") {
        let text = text();
        xml(&text, sink);
        sink.push(Location::Body, "", &text);
    } else {
        sink.push(Location::Body, "", &text());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(req: &Request) -> Vec<(Location, String, String)> {
        let mut out = Vec::new();
        extract(
            req,
            Limits {
                max_args: 100,
                max_value_len: 1000,
            },
            &mut out,
        );
        out.into_iter()
            .map(|f| (f.location, f.name.into_owned(), f.value.into_owned()))
            .collect()
    }

    #[test]
    fn form_pairs_decode_like_url_decode_with_reused_buffers() {
        let forms = [
            "a=1&b=x+y&&c=%27+or+%271&d&=e&f=%zz+%u003c&g=caf%C3%A9+au+lait&h=+&",
            "",
            "&&&",
            "k=v=w&x",
            "na%2Bme=v%26al+ue&utf=\u{e9}t\u{e9}+ok",
        ];
        for form in forms {
            let expected: Vec<(String, String)> = form
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (
                        url_decode(k, true).into_owned(),
                        url_decode(v, true).into_owned(),
                    )
                })
                .collect();
            // Two buffers reused from pair to pair, as `form_fields` does.
            let (mut kb, mut vb) = (String::new(), String::new());
            let got: Vec<(String, String)> = raw_pairs(form)
                .map(|(k, v)| {
                    let k = decode_form_into(k, &mut kb).to_string();
                    (k, decode_form_into(v, &mut vb).to_string())
                })
                .collect();
            assert_eq!(got, expected, "{form}");
            let via_iter: Vec<(String, String)> = form_pairs(form)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            assert_eq!(via_iter, expected, "{form}");
        }
        // Stops when asked.
        let mut n = 0;
        let r = Request::get("/?a=1&b=2&c=3");
        let lim = Limits {
            max_args: 100,
            max_value_len: 1000,
        };
        visit(&r, lim, Parts::All, &mut |f: FieldRef<'_>| {
            n += usize::from(f.location == Location::QueryArg);
            n == 2
        });
        assert_eq!(n, 2);
    }

    /// A visitor that knows some raw pairs and records what it is told; with `runs`, it also
    /// takes the leading known pairs of a remainder at once.
    #[derive(Default)]
    struct PairLog {
        known: Vec<&'static str>,
        runs: bool,
        stop_at: Option<&'static str>,
        fields: Vec<(Location, String)>,
        passed: Vec<(Location, String)>,
        run_calls: usize,
    }

    impl Visitor for PairLog {
        fn field(&mut self, location: Location, _name: &str, value: &str) -> bool {
            self.fields.push((location, value.to_string()));
            self.stop_at == Some(value)
        }
        fn known_pair(&mut self, _loc: Location, raw: &str) -> bool {
            self.known.contains(&raw)
        }
        fn pair_passed(&mut self, loc: Location, raw: &str) {
            self.passed.push((loc, raw.to_string()));
        }
        fn known_run(&mut self, _loc: Location, rest: &str) -> (usize, usize) {
            if !self.runs {
                return (0, 0);
            }
            self.run_calls += 1;
            let (mut at, mut end, mut n) = (0, 0, 0);
            for piece in rest.split('&') {
                if !piece.is_empty() {
                    if !self.known.contains(&piece) {
                        break;
                    }
                    n += 1;
                    end = at + piece.len();
                }
                at += piece.len() + 1;
            }
            (end, n)
        }
    }

    /// Taking known pairs in runs changes nothing of what is visited, passed or counted.
    #[test]
    fn runs_of_known_pairs_are_the_known_pairs_one_by_one() {
        let known = vec!["a=1", "b=2", "c=3", "z=%27"];
        let bodies: &[&[u8]] = &[
            b"a=1&b=2&c=3",
            b"a=1&&b=2&x=9&c=3&&",
            b"&a=1&b=2%20&c=3&z=%27",
            b"x=1&a=1&b=2&c=3&y=2&a=1",
            b"z=%27&y=%27+or+1=1&a=1",
            b"",
            b"&&&",
        ];
        for body in bodies {
            for max_args in [0, 1, 2, 3, 4, 100] {
                let headers = [("Content-Type", &b"application/x-www-form-urlencoded"[..])];
                let r = Request {
                    method: "POST",
                    headers: &headers,
                    body,
                    ..Request::get("/p?a=1&b=2&q=3")
                };
                let lim = Limits {
                    max_args,
                    max_value_len: 1000,
                };
                let mut one = PairLog {
                    known: known.clone(),
                    ..PairLog::default()
                };
                let mut runs = PairLog {
                    known: known.clone(),
                    runs: true,
                    ..PairLog::default()
                };
                let n1 = visit(&r, lim, Parts::All, &mut one);
                let n2 = visit(&r, lim, Parts::All, &mut runs);
                let what = String::from_utf8_lossy(body);
                assert_eq!(n1.too_many_args, n2.too_many_args, "{what} {max_args}");
                assert_eq!(one.fields, runs.fields, "{what} {max_args}");
                assert_eq!(one.passed, runs.passed, "{what} {max_args}");
                if max_args == 100 && !body.is_empty() && body != b"&&&" {
                    assert!(runs.run_calls > 0, "{what}");
                }
            }
        }
    }

    #[test]
    fn known_pairs_are_counted_but_not_decoded_or_visited() {
        let headers = [("Content-Type", &b"application/x-www-form-urlencoded"[..])];
        let r = Request {
            method: "POST",
            headers: &headers,
            body: b"a=x+y&b=%27&&c=3",
            ..Request::get("/p?q=1&r=2")
        };
        let lim = |max_args| Limits {
            max_args,
            max_value_len: 1000,
        };
        let mut v = PairLog {
            known: vec!["r=2", "b=%27"],
            ..PairLog::default()
        };
        let notes = visit(&r, lim(100), Parts::All, &mut v);
        assert!(!notes.too_many_args);
        let values: Vec<&str> = v.fields.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(values, ["/p", "q", "1", "a", "x y", "c", "3"]);
        let passed: Vec<(Location, &str)> =
            v.passed.iter().map(|(l, s)| (*l, s.as_str())).collect();
        assert_eq!(
            passed,
            [
                (Location::QueryArg, "q=1"),
                (Location::BodyArg, "a=x+y"),
                (Location::BodyArg, "c=3")
            ]
        );
        // Known pairs still count: five parameters are over a limit of four.
        let mut v = PairLog {
            known: vec!["r=2", "b=%27"],
            ..PairLog::default()
        };
        assert!(visit(&r, lim(4), Parts::All, &mut v).too_many_args);
        assert!(!v.fields.iter().any(|(_, s)| s == "3"));
        // A pair whose value stops extraction is not reported as passed.
        let mut v = PairLog {
            stop_at: Some("x y"),
            ..PairLog::default()
        };
        visit(&r, lim(100), Parts::All, &mut v);
        assert!(!v.passed.iter().any(|(_, s)| s == "a=x+y"));
        assert_eq!(v.fields.last().map(|(_, s)| s.as_str()), Some("x y"));
    }

    #[test]
    fn query_and_cookies() {
        let h = [
            ("Cookie", &b"sid=abc; theme=dark%20mode"[..]),
            ("User-Agent", &b"ua"[..]),
            ("Accept", &b"*/*"[..]),
        ];
        let r = Request {
            headers: &h,
            ..Request::get("/p%61th?a=1&b=x+y&a=2")
        };
        let f = fields(&r);
        assert!(f.contains(&(Location::Path, "".into(), "/path".into())));
        assert!(f.contains(&(Location::QueryArg, "b".into(), "x y".into())));
        assert_eq!(
            f.iter()
                .filter(|x| x.0 == Location::QueryArg && x.1 == "a")
                .count(),
            2
        );
        assert!(f.contains(&(Location::Cookie, "theme".into(), "dark mode".into())));
        assert!(f.contains(&(Location::Header, "user-agent".into(), "ua".into())));
        assert!(!f.iter().any(|x| x.1 == "accept"));
    }

    #[test]
    fn json_paths() {
        let h = [("Content-Type", &b"application/json"[..])];
        let r = Request {
            method: "POST",
            headers: &h,
            body: br#"{"user":{"name":"O'Brien","tags":["a","b"]},"n":5}"#,
            ..Request::get("/")
        };
        let f = fields(&r);
        assert!(
            f.contains(&(Location::BodyArg, "user.name".into(), "O'Brien".into())),
            "{f:?}"
        );
        assert!(f.contains(&(Location::BodyArg, "user.tags[1]".into(), "b".into())));
        assert!(f.contains(&(Location::BodyArgName, "user.name".into(), "name".into())));
        // Indexes of several digits, nested.
        let items: Vec<String> = (0..60).map(|i| format!("[\"v{i}\"]")).collect();
        let body = format!("{{\"a\":[{}]}}", items.join(","));
        let r = Request {
            body: body.as_bytes(),
            ..r
        };
        let f = fields(&r);
        for (path, v) in [
            ("a[0][0]", "v0"),
            ("a[9][0]", "v9"),
            ("a[10][0]", "v10"),
            ("a[59][0]", "v59"),
        ] {
            assert!(
                f.contains(&(Location::BodyArg, path.into(), v.into())),
                "{path}"
            );
        }
    }

    #[test]
    fn multipart_fields_and_files() {
        let h = [("Content-Type", &b"multipart/form-data; boundary=XyZ"[..])];
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.php\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\r\n--XyZ--\r\n";
        let r = Request {
            method: "POST",
            headers: &h,
            body,
            ..Request::get("/")
        };
        let f = fields(&r);
        assert!(
            f.contains(&(Location::BodyArg, "field".into(), "hello".into())),
            "{f:?}"
        );
        assert!(f.contains(&(Location::Filename, "up".into(), "a.php".into())));
    }

    #[test]
    fn xml_text_and_attributes() {
        let h = [("Content-Type", &b"application/xml"[..])];
        let r = Request {
            method: "POST",
            headers: &h,
            body: b"<root a=\"x1\"><field>v1</field><![CDATA[c1]]></root>",
            ..Request::get("/")
        };
        let f = fields(&r);
        assert!(
            f.contains(&(Location::BodyArg, "field".into(), "v1".into())),
            "{f:?}"
        );
        assert!(
            f.contains(&(Location::BodyArg, "a".into(), "x1".into())),
            "{f:?}"
        );
        assert!(f.iter().any(|x| x.2 == "c1"), "{f:?}");
    }

    #[test]
    fn too_many_args_noted() {
        let q: String = (0..50).map(|i| format!("a{i}=1&")).collect();
        let uri = format!("/?{q}");
        let mut out = Vec::new();
        let n = extract(
            &Request::get(&uri),
            Limits {
                max_args: 10,
                max_value_len: 100,
            },
            &mut out,
        );
        assert!(n.too_many_args);
    }
}
