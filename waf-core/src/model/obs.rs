//! The observation room's rule-file sections: `observation` (the configuration) and `obs_rules`
//! (which exchanges are recorded), as written and as validated.
//!
//! An observation rule never changes a verdict: a request it matches is recorded whole (request
//! line, headers and a body prefix; the response's status, headers and a body prefix) by
//! waf-proxy and stored by waf-admin. Its conditions all hold together: host, path prefix,
//! client network, method, and optionally custom-rule judges (compiled by the custom-rule
//! compiler, combined by `relation`).

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::raw::{RawJudge, Relation};
use super::Judge;

fn yes() -> bool {
    true
}

fn any() -> String {
    "any".into()
}

/// The `observation` section as written. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawObservation {
    /// Whether anything is recorded at all.
    pub enabled: bool,
    /// Bytes of each body (request and response) kept in a record (0-1048576).
    pub body_limit: usize,
    /// Records kept at most; older ones are deleted (100-1000000).
    pub max_records: u64,
    /// Hours a record is kept (1-8760).
    pub max_age_hours: u64,
    /// Percentage of matching exchanges recorded (1-100).
    pub sample_rate: u8,
    /// Redact credentials: `Authorization` and `Proxy-Authorization` values, the headers of
    /// `redact_headers`, and the values of the cookies of `redact_cookies` in `Cookie` and
    /// `Set-Cookie`. Off records them as sent.
    pub redact: bool,
    /// Cookie names (case-insensitive) whose values are redacted.
    pub redact_cookies: Vec<String>,
    /// More header names (case-insensitive) whose whole value is redacted.
    pub redact_headers: Vec<String>,
}

/// Cookie names redacted unless the configuration says otherwise: the session cookies of the
/// common frameworks.
pub const DEFAULT_REDACT_COOKIES: &[&str] = &[
    "session",
    "sessionid",
    "sid",
    "PHPSESSID",
    "JSESSIONID",
    "connect.sid",
    "ASP.NET_SessionId",
    "laravel_session",
    "token",
    "access_token",
    "refresh_token",
];

impl Default for RawObservation {
    fn default() -> Self {
        RawObservation {
            enabled: true,
            body_limit: 64 * 1024,
            max_records: 10_000,
            max_age_hours: 168,
            sample_rate: 100,
            redact: true,
            redact_cookies: DEFAULT_REDACT_COOKIES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            redact_headers: Vec::new(),
        }
    }
}

/// An observation rule as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawObsRule {
    /// Unique numeric id.
    pub id: u64,
    /// Display name, stored with each record.
    pub name: String,
    /// The host observed (exact, case-insensitive); absent or `*` for every host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Path prefix observed (the decoded, canonical path, as CC rules match it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Client address or network (`203.0.113.7`, `10.0.0.0/8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// `any`, one method or several separated by commas (`GET, POST`).
    #[serde(default = "any")]
    pub method: String,
    /// How the judges combine (`and` or `or`).
    #[serde(default)]
    pub relation: Relation,
    /// Conditions as in custom rules; none means the other conditions decide alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub judges: Vec<RawJudge>,
    /// Disabled rules are kept (and validated) but record nothing.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// The validated observation configuration; see [`RawObservation`] for each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObsConfig {
    /// Recording on.
    pub enabled: bool,
    /// Bytes of each body kept.
    pub body_limit: usize,
    /// Records kept at most.
    pub max_records: u64,
    /// Hours a record is kept.
    pub max_age_hours: u64,
    /// Percentage recorded.
    pub sample_rate: u8,
    /// Credentials redacted.
    pub redact: bool,
    /// Lower-cased cookie names redacted.
    pub redact_cookies: Vec<String>,
    /// Lower-cased header names redacted whole (besides the two authorization headers).
    pub redact_headers: Vec<String>,
}

impl ObsConfig {
    /// Largest `body_limit` accepted.
    pub const MAX_BODY_LIMIT: usize = 1 << 20;
    /// Range of `max_records`.
    pub const RECORDS: std::ops::RangeInclusive<u64> = 100..=1_000_000;
    /// Range of `max_age_hours` (a year at most).
    pub const AGE_HOURS: std::ops::RangeInclusive<u64> = 1..=8760;
}

impl Default for ObsConfig {
    fn default() -> Self {
        let r = RawObservation::default();
        ObsConfig {
            enabled: r.enabled,
            body_limit: r.body_limit,
            max_records: r.max_records,
            max_age_hours: r.max_age_hours,
            sample_rate: r.sample_rate,
            redact: r.redact,
            redact_cookies: r
                .redact_cookies
                .iter()
                .map(|c| c.to_ascii_lowercase())
                .collect(),
            redact_headers: Vec::new(),
        }
    }
}

/// A validated observation rule: every condition given must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObsRule {
    /// Numeric id, stored with each record.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Lower-cased host, `None` for every host.
    pub host: Option<String>,
    /// Path prefix of the canonical path, `None` for every path.
    pub path: Option<String>,
    /// Client network, `None` for every client.
    pub ip: Option<IpNet>,
    /// Upper-case methods; empty for any.
    pub methods: Vec<String>,
    /// How the judges combine.
    pub relation: Relation,
    /// Custom-rule judges; empty when the rule has none.
    pub judges: Vec<Judge>,
}
