//! Fuzz targets for waf-core. Each takes arbitrary bytes and must never panic.
//!
//! They are plain functions so that any engine can drive them on stable Rust:
//! - `cargo run --release -p waf-fuzz --bin fuzz -- TARGET --seconds 60` runs the built-in
//!   mutation fuzzer (seeded from `fuzz/regressions/TARGET` and built-in seeds);
//! - `cargo run --release -p waf-fuzz --bin fuzz -- TARGET --replay DIR` replays files;
//! - with cargo-afl (`cargo install cargo-afl`), a 3-line `afl::fuzz!` wrapper calls the same
//!   function (see fuzz/README.md).
//!
//! A crash found by any of them goes into `fuzz/regressions/TARGET/`, which
//! `tests/regressions.rs` replays as an ordinary test.

use waf_core::internals::{self as normalize, Depths};
use waf_core::{Policy, Request, Scratch, SourceFile};

/// Names of the targets.
pub const TARGETS: &[&str] = &["rules", "body", "normalize", "inspect"];

/// Runs target `name` on `data`. Returns false for an unknown target.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "rules" => rules(data),
        "body" => body(data),
        "normalize" => normalize_value(data),
        "inspect" => inspect(data),
        _ => return false,
    }
    true
}

/// The YAML loader and compiler: any text must give a policy or errors.
pub fn rules(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = Policy::from_sources(&[SourceFile::new("fuzz.yaml", text.into_owned())]);
}

/// The body parsers: the first byte picks a content type, the rest is the body.
pub fn body(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let ct: &[u8] = match sel % 5 {
        0 => b"application/json",
        1 => b"application/x-www-form-urlencoded",
        2 => b"multipart/form-data; boundary=XyZ",
        3 => b"application/xml",
        _ => b"text/plain",
    };
    let headers = [("Content-Type", ct)];
    let req = Request {
        method: "POST",
        headers: &headers,
        body,
        ..Request::get("/")
    };
    let mut out = Vec::new();
    let _ = waf_core::internals::extract(
        &req,
        waf_core::internals::Limits { max_args: 512 },
        &mut out,
    );
}

/// The decoders.
pub fn normalize_value(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let _ = normalize::canonical_path(&s);
    let mut n = 0;
    normalize::variants(
        &s,
        Depths {
            url: 4,
            unicode: 4,
            base64: 4,
        },
        &mut |v| {
            n += v.len();
            false
        },
    );
}

thread_local! {
    static POLICY: Option<Policy> = Policy::default_policy().ok();
}

/// A whole request through the default policy: bytes split into URI, header value and body.
pub fn inspect(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let mut parts = s.splitn(3, '\n');
    let uri = format!("/{}", parts.next().unwrap_or(""));
    let hv = parts.next().unwrap_or("").as_bytes().to_vec();
    let body = parts.next().unwrap_or("").as_bytes().to_vec();
    let headers = [
        ("X-Fuzz", hv.as_slice()),
        ("Content-Type", &b"application/json"[..]),
        ("Cookie", hv.as_slice()),
    ];
    let req = Request {
        method: "POST",
        headers: &headers,
        body: &body,
        ..Request::get(&uri)
    };
    POLICY.with(|p| {
        if let Some(p) = p {
            let _ = p.inspect(&req, &mut Scratch::new());
        }
    });
}

/// Built-in seeds per target.
pub fn seeds(name: &str) -> Vec<Vec<u8>> {
    let s: &[&str] = match name {
        "rules" => &[
            "acl:\n  - {id: 1, type: global, rule_type: ip, pattern: 10.0.0.0/8, action: block}\n",
            "custom_rules:\n  - id: a\n    name: n\n    action: block\n    judges:\n      - {position: uri, rix: 'a+b'}\n",
            "settings:\n  sensitivity: 3\nsites:\n  - {id: 1, name: s, domain: a.com, target_url: 'http://127.0.0.1:1'}\n",
        ],
        "body" => &["\x00{\"a\":{\"b\":[1,\"x\"]}}", "\x01a=1&b=%27", "\x02--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n--XyZ--", "\x03<a b=\"c\">d</a>"],
        "normalize" => &["%253Cscript%253E", "&#x3c;svg&#62;", "\\u003cimg", "PHNjcmlwdD4=", "/a/../../b\\c"],
        _ => &["?id=1%27%20or%201=1\nvalue\n{\"q\":\"<script>\"}", "a/b?x=%u0027\n\n"],
    };
    s.iter().map(|x| x.as_bytes().to_vec()).collect()
}
