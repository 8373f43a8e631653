//! Function rules: libinjection's SQLi and XSS detectors, each behind a cheap gate.

use super::Check;
use crate::request::{Location, LocationSet};
use crate::verdict::AttackType;

/// Protocol-anomaly rules raised by the engine itself (not per value).
pub(super) const PROTOCOL: &[(u32, &str)] = &[
    (1000, "Null byte in request"),
    (1001, "Too many parameters"),
    (1002, "Too many headers"),
    (1003, "Malformed structured body"),
    (1004, "Body over the inspection limit"),
    (1005, "Invalid percent-encoding in path"),
];

/// Ids of the protocol rules, for the engine.
pub mod protocol_ids {
    /// Null byte.
    pub const NULL_BYTE: u32 = 1000;
    /// Too many parameters.
    pub const TOO_MANY_ARGS: u32 = 1001;
    /// Too many headers.
    pub const TOO_MANY_HEADERS: u32 = 1002;
    /// Malformed JSON/multipart/XML.
    pub const MALFORMED_BODY: u32 = 1003;
    /// Body over the limit (with `oversize_body: block`).
    pub const OVERSIZE_BODY: u32 = 1004;
    /// Bad percent-encoding in the path.
    pub const BAD_PATH_ENCODING: u32 = 1005;
}

/// Every check.
pub(super) fn all() -> Vec<Check> {
    vec![
        Check {
            id: 2001,
            name: "SQL injection (libinjection)",
            attack: AttackType::Sqli,
            level: 1,
            locations: LocationSet::ALL,
            test: sqli,
        },
        Check {
            id: 3001,
            name: "XSS (libinjection)",
            attack: AttackType::Xss,
            level: 1,
            locations: LocationSet::ALL,
            test: xss,
        },
    ]
}

/// A value made only of letters, digits, spaces, `-`, `_` and `.` cannot carry SQL syntax that
/// libinjection would flag without a keyword; skip those cheaply... except the keyword cases,
/// which need a space and a known word, so only pure single tokens are skipped.
fn sqli(v: &str, _loc: Location) -> bool {
    if v.len() < 2
        || v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.' || c >= 0x80)
    {
        return false;
    }
    libinjectionrs::detect_sqli(v.as_bytes()).is_injection()
}

fn xss(v: &str, _loc: Location) -> bool {
    if !v
        .bytes()
        .any(|c| matches!(c, b'<' | b'>' | b'=' | b'`' | b':' | b'"' | b'\''))
    {
        return false;
    }
    libinjectionrs::detect_xss(v.as_bytes()).is_injection()
}
