//! The request model the engine inspects, and the parameters extracted from it.
//!
//! A [`Request`] borrows everything from the caller (the proxy's request header and body buffer):
//! building one allocates nothing. [`crate::Policy::inspect`] extracts parameters from it into
//! [`Field`]s, decoding only what needs decoding.

use std::borrow::Cow;
use std::net::IpAddr;

/// One HTTP request as seen by the engine.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Method as sent (`GET`, `POST`, ...).
    pub method: &'a str,
    /// Host without port, as routed (lower case preferred).
    pub host: &'a str,
    /// Request target: path and optional `?query`, as on the wire (still percent-encoded).
    pub uri: &'a str,
    /// Header names and raw values in arrival order. Names are compared case-insensitively.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The body, or its first `body_limit` bytes.
    pub body: &'a [u8],
    /// True when `body` is only a prefix of a larger body.
    pub body_truncated: bool,
    /// Client address (after trusted-proxy resolution), if known.
    pub client_ip: Option<IpAddr>,
    /// ISO country code of the client, if a GeoIP database answered.
    pub country: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// A GET request with no headers: handy in tests and benchmarks.
    pub fn get(uri: &'a str) -> Self {
        Request {
            method: "GET",
            host: "",
            uri,
            headers: &[],
            body: &[],
            body_truncated: false,
            client_ip: None,
            country: None,
        }
    }

    /// The path part of the URI (before `?`).
    pub fn path(&self) -> &'a str {
        self.uri.split_once('?').map_or(self.uri, |(p, _)| p)
    }

    /// The raw query string (after `?`), if any.
    pub fn query(&self) -> Option<&'a str> {
        self.uri.split_once('?').map(|(_, q)| q)
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The first value of a header as text (lossy for non-UTF-8 bytes).
    pub fn header_str(&self, name: &str) -> Option<Cow<'a, str>> {
        self.header(name).map(String::from_utf8_lossy)
    }

    /// Whether a `Cookie` header of the request names a cookie starting with `prefix`
    /// (`wordpress_logged_in_` matches `wordpress_logged_in_3f2a=...`).
    pub fn has_cookie_prefixed(&self, prefix: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| v.split(|b| *b == b';'))
            .any(|pair| {
                let name = pair.split(|b| *b == b'=').next().unwrap_or_default();
                name.trim_ascii().starts_with(prefix.as_bytes())
            })
    }
}

/// Where in the request a value was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// The URL path.
    Path,
    /// The whole query string.
    Query,
    /// A query or form parameter name.
    ArgName,
    /// A query parameter value.
    QueryArg,
    /// A form, multipart, JSON or XML body value.
    BodyArg,
    /// A body parameter name (form field, JSON key).
    BodyArgName,
    /// A cookie value.
    Cookie,
    /// A header value.
    Header,
    /// The raw body (when not parsed into parameters).
    Body,
    /// An uploaded file name.
    Filename,
}

impl Location {
    /// Lower-case name used in verdicts and events.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::ArgName => "arg_name",
            Location::QueryArg => "query_arg",
            Location::BodyArg => "body_arg",
            Location::BodyArgName => "body_arg_name",
            Location::Cookie => "cookie",
            Location::Header => "header",
            Location::Body => "body",
            Location::Filename => "filename",
        }
    }

    /// Bit of this location in a [`LocationSet`].
    pub const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A Host header's host without its port: the part before the last `:` when what follows is
/// digits only (`shop.example:8443` -> `shop.example`, `[::1]:8080` -> `[::1]`; `[::1]` and
/// `shop.example:x` stay as they are). Site matching and host-scoped ACL rules both see this.
pub(crate) fn host_without_port(host: &str) -> &str {
    host.rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
}

/// A set of [`Location`]s, as a bit mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocationSet(pub u16);

impl LocationSet {
    /// Every location.
    pub const ALL: LocationSet = LocationSet(u16::MAX);
    /// Parameters (names and values of query, body, cookies), path and body, not headers.
    pub const ARGS: LocationSet = LocationSet(
        Location::Path.bit()
            | Location::ArgName.bit()
            | Location::QueryArg.bit()
            | Location::BodyArg.bit()
            | Location::BodyArgName.bit()
            | Location::Cookie.bit()
            | Location::Body.bit()
            | Location::Filename.bit(),
    );
    /// Whether `l` is in the set.
    pub const fn contains(self, l: Location) -> bool {
        self.0 & l.bit() != 0
    }
    /// The union of two sets.
    pub const fn with(self, l: Location) -> LocationSet {
        LocationSet(self.0 | l.bit())
    }
}

/// One value extracted from a request, first-level decoded (percent-decoding of query and form
/// values, JSON string unescaping), with its location and parameter name.
#[derive(Debug, Clone)]
pub struct Field<'a> {
    /// Where it was found.
    pub location: Location,
    /// Parameter, cookie or header name (lower-case for headers); empty for path and body.
    pub name: Cow<'a, str>,
    /// The value.
    pub value: Cow<'a, str>,
}
