//! Extracting parameters from a request: query, cookies, headers and the body by content type
//! (urlencoded, JSON, multipart, XML, raw), within the configured limits.

use std::borrow::Cow;

use crate::normalize::url_decode;
use crate::request::{Field, Location, Request};

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

/// Headers whose values are structural and not worth running injection detectors on.
const SKIP_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "content-type",
    "accept",
    "accept-encoding",
    "accept-language",
    "connection",
    "cache-control",
    "pragma",
    "upgrade-insecure-requests",
    "sec-fetch-site",
    "sec-fetch-mode",
    "sec-fetch-dest",
    "sec-fetch-user",
    "sec-ch-ua",
    "sec-ch-ua-mobile",
    "sec-ch-ua-platform",
    "if-none-match",
    "if-modified-since",
    "authorization",
    "cookie",
    "te",
    "priority",
    "dnt",
    "x-request-id",
];

fn cut(s: Cow<'_, str>, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(&b[..end]),
        Cow::Owned(mut o) => {
            o.truncate(end);
            Cow::Owned(o)
        }
    }
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

struct Sink<'a, 'o> {
    out: &'o mut Vec<Field<'a>>,
    args: usize,
    lim: Limits,
    notes: ParseNotes,
}

impl<'a> Sink<'a, '_> {
    fn arg(
        &mut self,
        name_loc: Location,
        value_loc: Location,
        name: Cow<'a, str>,
        value: Cow<'a, str>,
    ) {
        self.args += 1;
        if self.args > self.lim.max_args {
            self.notes.too_many_args = true;
            return;
        }
        if !name.is_empty() {
            self.out.push(Field {
                location: name_loc,
                name: name.clone(),
                value: cut(name.clone(), self.lim.max_value_len),
            });
        }
        if let Some(t) = tail(&value, self.lim.max_value_len) {
            self.out.push(Field {
                location: value_loc,
                name: name.clone(),
                value: Cow::Owned(t.to_string()),
            });
        }
        if !value.is_empty() {
            self.out.push(Field {
                location: value_loc,
                name,
                value: cut(value, self.lim.max_value_len),
            });
        }
    }
    fn counted(&mut self, location: Location, name: Cow<'a, str>, value: Cow<'a, str>) {
        self.args += 1;
        if self.args > self.lim.max_args {
            self.notes.too_many_args = true;
            return;
        }
        self.push(location, name, value);
    }
    fn push(&mut self, location: Location, name: Cow<'a, str>, value: Cow<'a, str>) {
        if let Some(t) = tail(&value, self.lim.max_value_len) {
            // Padding attack: a payload after `max_value_len` bytes of filler. Inspect the end too.
            self.out.push(Field {
                location,
                name: name.clone(),
                value: Cow::Owned(t.to_string()),
            });
        }
        if !value.is_empty() {
            self.out.push(Field {
                location,
                name,
                value: cut(value, self.lim.max_value_len),
            });
        }
    }
}

/// Splits `a=1&b=2` pairs, percent-decoding names and values (`+` as space).
pub fn form_pairs(s: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    s.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (url_decode(k, true), url_decode(v, true))
    })
}

/// Extracts every inspectable field of `req` into `out`.
pub fn extract<'a>(req: &Request<'a>, lim: Limits, out: &mut Vec<Field<'a>>) -> ParseNotes {
    let mut sink = Sink {
        out,
        args: 0,
        lim,
        notes: ParseNotes::default(),
    };
    let path = req.path();
    let p = url_decode(path, false);
    sink.push(Location::Path, Cow::Borrowed(""), p);
    if let Some(q) = req.query() {
        for (k, v) in form_pairs(q) {
            sink.arg(Location::ArgName, Location::QueryArg, k, v);
        }
    }
    for (name, value) in req.headers {
        let lname = name.to_ascii_lowercase();
        if lname == "cookie" {
            let text = String::from_utf8_lossy(value);
            for c in text.split(';') {
                let c = c.trim();
                let (k, v) = c.split_once('=').unwrap_or(("", c));
                let v = url_decode(v, false).into_owned();
                sink.push(Location::Cookie, Cow::Owned(k.to_string()), Cow::Owned(v));
            }
            continue;
        }
        if SKIP_HEADERS.contains(&lname.as_str()) {
            continue;
        }
        let v = String::from_utf8_lossy(value);
        sink.push(Location::Header, Cow::Owned(lname), v);
    }
    if !req.body.is_empty() {
        body(req, &mut sink);
    }
    sink.notes
}

fn content_type<'a>(req: &Request<'a>) -> Cow<'a, str> {
    req.header_str("content-type").unwrap_or(Cow::Borrowed(""))
}

fn body<'a>(req: &Request<'a>, sink: &mut Sink<'a, '_>) {
    let ct = content_type(req);
    let ctl = ct.to_ascii_lowercase();
    // Converted only by the branches that need text: a 1 MiB binary upload converted lossily
    // cost 15 ms (`cargo bench -p waf-bench -- multipart_upload_1m`).
    let text = || String::from_utf8_lossy(req.body);
    if ctl.starts_with("application/x-www-form-urlencoded") {
        let text: &'a str = match text() {
            Cow::Borrowed(t) => t,
            Cow::Owned(_) => {
                // Non-UTF-8 form: inspect it raw.
                sink.push(
                    Location::Body,
                    Cow::Borrowed(""),
                    Cow::Owned(String::from_utf8_lossy(req.body).into_owned()),
                );
                return;
            }
        };
        for (k, v) in form_pairs(text) {
            sink.arg(Location::BodyArgName, Location::BodyArg, k, v);
        }
    } else if ctl.contains("json") {
        let text = text();
        if !json(&text, sink) {
            sink.notes.malformed_body = !req.body_truncated;
            sink.push(
                Location::Body,
                Cow::Borrowed(""),
                Cow::Owned(text.into_owned()),
            );
        }
    } else if ctl.starts_with("multipart/") {
        match boundary(&ct) {
            Some(b) => multipart(req.body, &b, sink),
            None => {
                sink.notes.bad_multipart = true;
                sink.push(
                    Location::Body,
                    Cow::Borrowed(""),
                    Cow::Owned(text().into_owned()),
                );
            }
        }
    } else if ctl.contains("xml") {
        let text = text();
        xml(&text, sink);
        sink.push(
            Location::Body,
            Cow::Borrowed(""),
            Cow::Owned(text.into_owned()),
        );
    } else {
        sink.push(
            Location::Body,
            Cow::Borrowed(""),
            Cow::Owned(text().into_owned()),
        );
    }
}

/// Walks JSON text and emits each string/number leaf under its dotted path, and each key.
/// Returns false when the text is not JSON. Recursion-free; nesting bounded by the input.
fn json<'a>(text: &str, sink: &mut Sink<'a, '_>) -> bool {
    let v: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => return false,
    };
    let mut stack: Vec<(String, &serde_json::Value)> = vec![(String::new(), &v)];
    while let Some((path, v)) = stack.pop() {
        match v {
            serde_json::Value::Object(m) => {
                for (k, child) in m.iter().rev() {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    sink.push(
                        Location::BodyArgName,
                        Cow::Owned(p.clone()),
                        Cow::Owned(k.clone()),
                    );
                    stack.push((p, child));
                }
            }
            serde_json::Value::Array(a) => {
                for (i, child) in a.iter().enumerate().rev() {
                    stack.push((format!("{path}[{i}]"), child));
                }
            }
            serde_json::Value::String(s) => {
                sink.counted(Location::BodyArg, Cow::Owned(path), Cow::Owned(s.clone()))
            }
            serde_json::Value::Number(n) => sink.counted(
                Location::BodyArg,
                Cow::Owned(path),
                Cow::Owned(n.to_string()),
            ),
            _ => {}
        }
        if sink.notes.too_many_args {
            break;
        }
    }
    true
}

fn boundary(ct: &str) -> Option<String> {
    let i = ct.to_ascii_lowercase().find("boundary=")?;
    let b = ct[i + 9..].split(';').next()?.trim().trim_matches('"');
    if b.is_empty() || b.len() > 200 {
        None
    } else {
        Some(b.to_string())
    }
}

fn multipart<'a>(body: &[u8], boundary: &str, sink: &mut Sink<'a, '_>) {
    let delim = format!("--{boundary}");
    let finder = memchr_find_all(body, delim.as_bytes());
    if finder.is_empty() {
        sink.notes.bad_multipart = true;
        sink.push(
            Location::Body,
            Cow::Borrowed(""),
            Cow::Owned(String::from_utf8_lossy(body).into_owned()),
        );
        return;
    }
    for w in finder.windows(2) {
        let part = &body[w[0] + delim.len()..w[1]];
        let part = part
            .strip_prefix(b"\r\n")
            .or_else(|| part.strip_prefix(b"\n"))
            .unwrap_or(part);
        let (head, content) = match find(part, b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| find(part, b"\n\n").map(|i| (i, 2)))
        {
            Some((i, n)) => (&part[..i], &part[i + n..]),
            None => continue,
        };
        let content = content
            .strip_suffix(b"\r\n")
            .or_else(|| content.strip_suffix(b"\n"))
            .unwrap_or(content);
        let head = String::from_utf8_lossy(head);
        let mut name = String::new();
        let mut filename: Option<String> = None;
        let mut part_ct = String::new();
        for line in head.lines() {
            let (k, v) = match line.split_once(':') {
                Some(kv) => kv,
                None => continue,
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                for attr in v.split(';') {
                    let attr = attr.trim();
                    if let Some(n) = attr.strip_prefix("name=") {
                        name = n.trim_matches('"').to_string();
                    } else if let Some(f) = attr.strip_prefix("filename=") {
                        filename = Some(f.trim_matches('"').to_string());
                    }
                }
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                part_ct = v.trim().to_ascii_lowercase();
            }
        }
        let value = || String::from_utf8_lossy(content).into_owned();
        match filename {
            Some(f) => {
                sink.push(Location::Filename, Cow::Owned(name.clone()), Cow::Owned(f));
                // File contents are inspected when they are text (scripts, HTML, XML uploads).
                if part_ct.starts_with("text/")
                    || part_ct.contains("xml")
                    || part_ct.contains("json")
                    || part_ct.contains("php")
                    || part_ct.contains("javascript")
                {
                    sink.push(Location::Body, Cow::Owned(name), Cow::Owned(value()));
                }
            }
            None => sink.arg(
                Location::BodyArgName,
                Location::BodyArg,
                Cow::Owned(name),
                Cow::Owned(value()),
            ),
        }
        if sink.notes.too_many_args {
            break;
        }
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn memchr_find_all(h: &[u8], n: &[u8]) -> Vec<usize> {
    let finder = aho_corasick::AhoCorasick::new([n]);
    match finder {
        Ok(f) => f.find_iter(h).map(|m| m.start()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Emits XML text nodes and attribute values (entity references left for the decoders).
fn xml<'a>(text: &str, sink: &mut Sink<'a, '_>) {
    let mut rest = text;
    let mut elem = String::new();
    while let Some(lt) = rest.find('<') {
        let t = rest[..lt].trim();
        if !t.is_empty() {
            sink.arg(
                Location::BodyArgName,
                Location::BodyArg,
                Cow::Owned(elem.clone()),
                Cow::Owned(t.to_string()),
            );
        }
        let after = &rest[lt + 1..];
        let gt = match after.find('>') {
            Some(g) => g,
            None => break,
        };
        let tag = &after[..gt];
        if let Some(cdata) = tag.strip_prefix("![CDATA[") {
            let end = after.find("]]>").unwrap_or(after.len());
            let c = &after[8.min(end)..end];
            sink.arg(
                Location::BodyArgName,
                Location::BodyArg,
                Cow::Owned(elem.clone()),
                Cow::Owned(c.to_string()),
            );
            let _ = cdata;
            rest = after.get(end + 3..).unwrap_or("");
            continue;
        }
        if !tag.starts_with(['/', '?', '!']) {
            let (name, attrs) = tag
                .trim_start()
                .split_once(char::is_whitespace)
                .unwrap_or((tag.trim_start(), ""));
            elem = name.trim_end_matches('/').to_string();
            let attrs = attrs.to_string();
            for a in attrs.split(['"', '\'']).collect::<Vec<_>>().chunks(2) {
                if let [k, v] = a {
                    let k = k.trim().trim_end_matches('=').trim();
                    sink.arg(
                        Location::BodyArgName,
                        Location::BodyArg,
                        Cow::Owned(k.to_string()),
                        Cow::Owned(v.to_string()),
                    );
                }
            }
        }
        rest = &after[gt + 1..];
        if sink.notes.too_many_args {
            break;
        }
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
