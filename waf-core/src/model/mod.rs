//! The validated rule model.
//!
//! YAML text deserialises into the plain structs of [`raw`]; [`RuleSet::from_sources`] converts them
//! into the types below, checking every pattern, range and cross-reference, and collects every
//! problem as a [`RuleError`] naming file, line, rule id and field. Nothing here panics on input.

mod locate;
mod pattern;
mod profile_ref;
pub mod profiles;
pub mod raw;
mod validate;

use std::collections::HashSet;
use std::time::Duration;

use ipnet::IpNet;

pub use pattern::{RegexPattern, TextPattern};
use raw::RawObservation;
pub use raw::{AclRuleType, Action, BodyEncoding, Mode, OversizeBody, Position, Relation};

use crate::error::{RuleError, RuleErrors};

/// One rule-set source: a file name (for error messages) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Name shown in errors, e.g. `acl.yaml`.
    pub name: String,
    /// YAML text.
    pub text: String,
}

impl SourceFile {
    /// A source from a name and its text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// What a validated ACL rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclMatcher {
    /// Client IP within this network (a single address is a /32 or /128).
    Ip(IpNet),
    /// User-Agent: substring or regex.
    Ua(TextPattern),
    /// URL: literal = path prefix; regex = searched in path and query.
    Url(TextPattern),
    /// A header by lower-cased name; `None` value means "present".
    Header {
        /// Lower-cased header name.
        name: String,
        /// Value pattern, or `None` for presence.
        value: Option<TextPattern>,
    },
    /// ISO 3166-1 alpha-2 country code, upper case.
    Country(String),
    /// Upper-case HTTP methods.
    Method(Vec<String>),
    /// Referer: substring or regex.
    Referer(TextPattern),
}

/// A validated ACL rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclRule {
    /// Numeric id (`acl_<id>` in verdicts).
    pub id: u64,
    /// Lower-cased host for per-host rules; `None` for global ones.
    pub host: Option<String>,
    /// What it matches.
    pub matcher: AclMatcher,
    /// `allow`, `block` or `log`.
    pub action: Action,
    /// Free text, used as the rule name in events.
    pub description: String,
}

/// A validated CC (rate-limit) rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcRule {
    /// Numeric id (`cc_<id>` in verdicts).
    pub id: u64,
    /// Lower-cased host, `None` for every host.
    pub host: Option<String>,
    /// Path prefix counted.
    pub path: String,
    /// Requests allowed per client per window.
    pub threshold: u64,
    /// Window length.
    pub window: Duration,
    /// Ban length once over the threshold.
    pub ban_duration: Duration,
    /// `block` (429) or `challenge`.
    pub action: Action,
}

/// How a judge matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JudgeMatcher {
    /// Lower-cased substrings; any one matches.
    Contents(Vec<String>),
    /// A regular expression.
    Regex(RegexPattern),
}

/// A validated custom-rule judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judge {
    /// Where it looks.
    pub position: Position,
    /// Lower-cased header name for `request_header` judges limited to one header.
    pub header: Option<String>,
    /// What it looks for.
    pub matcher: JudgeMatcher,
    /// Holds when the matcher does not match.
    pub negate: bool,
}

/// A validated custom rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomRule {
    /// Id (`custom_<id>` in verdicts).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Upper-case method, `None` for any.
    pub method: Option<String>,
    /// What happens on a match.
    pub action: Action,
    /// How the judges combine.
    pub relation: Relation,
    /// The conditions, at least one.
    pub judges: Vec<Judge>,
}

/// Validated global settings; see [`raw::RawSettings`] for the meaning of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Nested base64 decodings (0-4).
    pub base64_depth: u8,
    /// Nested URL decodings (1-4).
    pub url_depth: u8,
    /// Nested unicode/HTML/JS escape decodings (0-4).
    pub unicode_depth: u8,
    /// Percentage of requests the managed detectors inspect (1-100).
    pub rule_match_rate: u8,
    /// Block or log only.
    pub mode: Mode,
    /// 1-4.
    pub sensitivity: u8,
    /// Bytes of body inspected.
    pub body_limit: usize,
    /// Behaviour past the limit.
    pub oversize_body: OversizeBody,
    /// Most parameters inspected.
    pub max_args: usize,
    /// Most headers accepted.
    pub max_headers: usize,
    /// Kept as configured; values are inspected whole ([`raw::RawSettings::max_value_len`]).
    pub max_value_len: usize,
    /// Request bodies with a `Content-Encoding`: decoded and inspected, or refused.
    pub request_body_encoding: BodyEncoding,
    /// TLS versions accepted, sorted, at least one; `None` = the proxy's own default.
    pub tls_versions: Option<Vec<TlsVersion>>,
}

/// A TLS protocol version the data plane can speak (no SSL 3, TLS 1.0 or 1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl TlsVersion {
    /// Parses `"1.2"`, `"1.3"` (also `"TLSv1.2"`, `"TLS1.3"`).
    pub fn parse(s: &str) -> Option<TlsVersion> {
        let s = s.trim();
        let s = s
            .strip_prefix("TLSv")
            .or_else(|| s.strip_prefix("TLS"))
            .unwrap_or(s);
        match s {
            "1.2" => Some(TlsVersion::Tls12),
            "1.3" => Some(TlsVersion::Tls13),
            _ => None,
        }
    }

    /// `"1.2"` or `"1.3"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "1.2",
            TlsVersion::Tls13 => "1.3",
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        let r = raw::RawSettings::default();
        validate::settings(&r, "<default>", "").unwrap_or(Settings {
            base64_depth: 2,
            url_depth: 2,
            unicode_depth: 2,
            rule_match_rate: 100,
            mode: Mode::Block,
            sensitivity: 2,
            body_limit: r.body_limit,
            oversize_body: OversizeBody::Pass,
            max_args: r.max_args,
            max_headers: r.max_headers,
            max_value_len: r.max_value_len,
            request_body_encoding: r.request_body_encoding,
            tls_versions: None,
        })
    }
}

/// A managed-rule exclusion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    /// Excluded managed rule ids; empty = all.
    pub rule_ids: Vec<u32>,
    /// Path prefix.
    pub path: String,
    /// Parameter name (exact, case-sensitive), or `None` for the whole request.
    pub parameter: Option<String>,
    /// Only for requests carrying a cookie whose name starts with this (an application's
    /// logged-in session cookie; set by app profiles, see [`profiles`]).
    pub cookie: Option<String>,
}

/// An app profile a site has turned on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteProfile {
    /// Profile name ([`profiles::names`]).
    pub name: String,
    /// Path the application is installed under (`/` at the root).
    pub path: String,
}

/// A validated site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Numeric id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Lower-cased domains; `*.example.com` matches any subdomain.
    pub domains: Vec<String>,
    /// Upstream URLs, at least one when the site is enabled.
    pub upstreams: Vec<String>,
    /// Disabled sites answer 404.
    pub enabled: bool,
    /// Serve HTTPS.
    pub enable_https: bool,
    /// 301 from HTTP to HTTPS.
    pub force_https_redirect: bool,
    /// Allow HTTP/2 to the upstream.
    pub http2_upstream: bool,
    /// PEM certificate path.
    pub cert_file: Option<String>,
    /// PEM key path.
    pub key_file: Option<String>,
    /// Mode override.
    pub mode: Option<Mode>,
    /// Sensitivity override.
    pub sensitivity: Option<u8>,
    /// Managed rules off for this site.
    pub disabled_rules: HashSet<u32>,
    /// Exclusions for this site: its own, then those of its profiles.
    pub exclusions: Vec<Exclusion>,
    /// App profiles turned on for this site (their exclusions are in `exclusions`).
    pub profiles: Vec<SiteProfile>,
    /// Overrides `settings.request_body_encoding` for this site.
    pub request_body_encoding: Option<BodyEncoding>,
    /// Maintenance mode, when on.
    pub maintenance: Option<Maintenance>,
    /// Response cache of waf-proxy for this site, when on.
    pub cache: Option<SiteCache>,
}

/// A site's response cache (waf-proxy, RFC 9111 shared-cache rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteCache {
    /// Longest freshness in seconds: explicit freshness of the origin (`s-maxage`, `max-age`,
    /// `Expires`) is capped to it, and it is the freshness of a response that gives none.
    pub ttl: u32,
    /// Whether responses carrying `Set-Cookie` are stored (off by default: a cookie set for one
    /// client must not be served to another).
    pub cache_set_cookie: bool,
}

impl SiteCache {
    /// TTL when the site gives none.
    pub const DEFAULT_TTL: u32 = 3600;
    /// Longest TTL accepted (a year).
    pub const MAX_TTL: u32 = 31_536_000;
}

/// A site in maintenance: every request gets a 503 page, the origin is not contacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintenance {
    /// Plain text of the page.
    pub message: String,
    /// `Retry-After` seconds.
    pub retry_after: u32,
}

impl Maintenance {
    /// Text shown when the site gives none.
    pub const DEFAULT_MESSAGE: &'static str =
        "This site is down for maintenance. Please try again later.";
    /// `Retry-After` when the site gives none.
    pub const DEFAULT_RETRY_AFTER: u32 = 600;
    /// Longest `retry_after` accepted (a week).
    pub const MAX_RETRY_AFTER: u32 = 604_800;
    /// Longest message accepted, in characters.
    pub const MAX_MESSAGE_CHARS: usize = 2000;
}

/// Managed-detection switches applying to every site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Managed {
    /// Managed rule ids off everywhere.
    pub disabled_rules: HashSet<u32>,
    /// Exclusions for every site.
    pub exclusions: Vec<Exclusion>,
}

/// A whole validated rule set: what the compiler takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSet {
    /// Global settings.
    pub settings: Settings,
    /// Global managed-detection switches.
    pub managed: Managed,
    /// Enabled ACL rules, in file order.
    pub acl: Vec<AclRule>,
    /// Enabled CC rules.
    pub cc: Vec<CcRule>,
    /// Enabled custom rules, in file order.
    pub custom: Vec<CustomRule>,
    /// Sites.
    pub sites: Vec<Site>,
    /// The observation room's configuration.
    pub observation: ObsConfig,
    /// Enabled observation rules, in file order.
    pub obs_rules: Vec<ObsRule>,
    /// Where each rule came from (`kind:id` -> (file, line)), for compile-time errors.
    pub origins: std::collections::HashMap<String, (String, Option<usize>)>,
}

impl RuleSet {
    /// Parses and validates every source, returning all the problems found.
    ///
    /// Cost: linear in the text; regexes are syntax-checked here and compiled by
    /// [`crate::Policy::compile`].
    pub fn from_sources(sources: &[SourceFile]) -> Result<RuleSet, RuleErrors> {
        let mut errors = RuleErrors::default();
        let mut set = RuleSet::default();
        let mut settings_from: Option<String> = None;
        let mut managed_seen = false;
        let mut ids = HashSet::new();
        for src in sources {
            let file = match parse_file(src) {
                Ok(f) => f,
                Err(e) => {
                    // Keep going rule by rule, so that one bad field does not hide the other
                    // errors of the file.
                    let (salvaged, errs) = locate::salvage(src, e);
                    for e in errs {
                        errors.push(e);
                    }
                    salvaged
                }
            };
            validate::file(
                src,
                file,
                &mut set,
                &mut errors,
                &mut ids,
                &mut settings_from,
                &mut managed_seen,
            );
        }
        errors.into_result(set)
    }
}

/// Parses one source into its raw form, with the line of a syntax or unknown-field error.
pub fn parse_file(src: &SourceFile) -> Result<raw::RawFile, RuleError> {
    if src.text.trim().is_empty() {
        return Ok(raw::RawFile::default());
    }
    serde_yaml_ng::from_str::<Option<raw::RawFile>>(&src.text)
        .map(Option::unwrap_or_default)
        .map_err(|e| {
            let line = e.location().map(|l| l.line());
            let mut err = RuleError::file(&src.name, line, e.to_string());
            if let Some(line) = line {
                err.rule_id = locate::rule_id_above(&src.text, line);
            }
            err
        })
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
