//! Protocol anomalies, raised by the engine for the request as a whole (not per value).

use super::{Detect, Rule, REQUEST};
use crate::verdict::AttackType as A;

/// Ids of the protocol rules, for the engine and the proxy.
pub mod protocol_ids {
    /// Null byte.
    pub const NULL_BYTE: u32 = 1000;
    /// Too many parameters.
    pub const TOO_MANY_ARGS: u32 = 1001;
    /// Too many headers.
    pub const TOO_MANY_HEADERS: u32 = 1002;
    /// Malformed JSON/multipart/XML, or a multipart body without a usable boundary.
    pub const MALFORMED_BODY: u32 = 1003;
    /// Body over the limit (with `oversize_body: block`).
    pub const OVERSIZE_BODY: u32 = 1004;
    /// Bad percent-encoding in the path.
    pub const BAD_PATH_ENCODING: u32 = 1005;
    /// A multipart body that parsers read differently (a delimiter mid-line, a part header
    /// twice): the proxy answers it with 400.
    pub const AMBIGUOUS_BODY: u32 = 1006;
}

use protocol_ids::*;

const fn anomaly(id: u32, name: &'static str, level: u8) -> Rule {
    Rule {
        id,
        name,
        class: A::Protocol,
        level,
        locations: REQUEST,
        detect: Detect::Protocol,
    }
}

/// The protocol rules.
pub(super) const RULES: &[Rule] = &[
    anomaly(NULL_BYTE, "Null byte in request", 1),
    anomaly(TOO_MANY_ARGS, "Too many parameters", 1),
    anomaly(TOO_MANY_HEADERS, "Too many headers", 1),
    // Level 3: active from sensitivity 3 only.
    anomaly(MALFORMED_BODY, "Malformed structured body", 3),
    anomaly(OVERSIZE_BODY, "Body over the inspection limit", 1),
    anomaly(BAD_PATH_ENCODING, "Invalid percent-encoding in path", 1),
    anomaly(AMBIGUOUS_BODY, "Ambiguous multipart body", 1),
];
