//! The YAML (and JSON API) shape of a rule set: plain serde structs, before validation.
//!
//! These mirror the FOXWAF OpenAPI reference field for field (`type`, `rule_type`, `judges`, ...).
//! Unknown fields are rejected. [`crate::RuleSet`] converts them into the validated model.

use serde::{Deserialize, Serialize};

pub use super::profile_ref::RawProfileRef;

/// One rule-set file. Every section is optional; a directory may split sections over files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    /// Global settings. At most one file of a set may hold them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<RawSettings>,
    /// Managed-detection switches: disabled rule ids and exclusions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<RawManaged>,
    /// ACL rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acl: Vec<RawAclRule>,
    /// CC (rate-limit) rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<RawCcRule>,
    /// Custom rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_rules: Vec<RawCustomRule>,
    /// Protected sites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<RawSite>,
    /// The observation room's configuration. At most one file of a set may hold it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observation: Option<RawObservation>,
    /// Observation rules: which exchanges are recorded (verdicts are not changed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub obs_rules: Vec<RawObsRule>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Scope of an ACL rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AclScope {
    /// Applies to every site.
    Global,
    /// Applies to the site answering for `host` only.
    Host,
}

/// What an ACL rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AclRuleType {
    /// Client IP: an IPv4/IPv6 address or CIDR.
    Ip,
    /// User-Agent: case-insensitive substring, or `re:` regex.
    Ua,
    /// URL path: prefix, or `re:` regex over path and query.
    Url,
    /// A request header: `Name` (present), `Name: substring` or `Name: re:regex`.
    Header,
    /// Client country: ISO 3166-1 alpha-2 code, looked up in a MaxMind database.
    Country,
    /// HTTP method: one or several, comma separated.
    Method,
    /// Referer: case-insensitive substring, or `re:` regex.
    Referer,
}

/// What a rule does when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Let the request through and skip the remaining checks.
    Allow,
    /// Answer 403 with the block page.
    Block,
    /// Answer with the proof-of-work challenge page.
    Challenge,
    /// Answer with the slider captcha page (CC rules only).
    Captcha,
    /// Let the request through and record an event.
    Log,
}

impl Action {
    /// The lower-case name used in YAML, JSON and events.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Block => "block",
            Action::Challenge => "challenge",
            Action::Captcha => "captcha",
            Action::Log => "log",
        }
    }
}

/// An ACL rule as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAclRule {
    /// Unique numeric id.
    pub id: u64,
    /// `global` or `host`.
    #[serde(rename = "type")]
    pub scope: AclScope,
    /// The host a `type: host` rule applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// What the rule looks at.
    pub rule_type: AclRuleType,
    /// The match pattern; its syntax depends on `rule_type`.
    pub pattern: String,
    /// `block`, `allow` or `log`.
    pub action: Action,
    /// Disabled rules are kept but not compiled.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// A CC (rate-limit) rule as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCcRule {
    /// Unique numeric id.
    pub id: u64,
    /// The host the rule applies to; `*` for all.
    #[serde(default = "star")]
    pub host: String,
    /// Path prefix the rule counts.
    #[serde(default = "slash")]
    pub path: String,
    /// Requests allowed per client within `window`.
    pub threshold: u64,
    /// Window length in seconds.
    pub window: u64,
    /// How long a client over the threshold stays banned, in seconds.
    pub ban_duration: u64,
    /// `block` (429) or `challenge`.
    pub action: Action,
    /// Disabled rules are kept but not compiled.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

fn star() -> String {
    "*".into()
}
fn slash() -> String {
    "/".into()
}
fn any() -> String {
    "any".into()
}

/// How the judges of a custom rule combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// Every judge must hold.
    #[default]
    And,
    /// One judge is enough.
    Or,
}

/// Where a custom-rule judge looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// The path and query string, URL-decoded.
    Uri,
    /// Names of query and form parameters.
    ParameterKey,
    /// Values of query and form parameters.
    ParameterValue,
    /// Request header values (one header when `header` is set).
    RequestHeader,
    /// The request body as received (up to the inspection limit).
    RequestBody,
    /// Any of the above.
    Any,
}

/// `content` may be one string or a list of strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single string.
    One(String),
    /// Several strings; any of them matches.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The strings, whichever form was written.
    pub fn as_slice(&self) -> &[String] {
        match self {
            OneOrMany::One(s) => std::slice::from_ref(s),
            OneOrMany::Many(v) => v,
        }
    }
}

/// One condition of a custom rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJudge {
    /// Where to look.
    pub position: Position,
    /// With `position: request_header`, the one header to look at (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Case-insensitive substring(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<OneOrMany>,
    /// FOXWAF's alias of `content` for a single keyword.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<String>,
    /// A regular expression (regex-automata syntax), instead of `content`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rix: Option<String>,
    /// Holds when the content does *not* match.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub negate: bool,
}

/// A custom rule as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustomRule {
    /// Unique id (any string of letters, digits, `-` and `_`).
    pub id: String,
    /// Display name, shown in events.
    pub name: String,
    /// `any` or one HTTP method.
    #[serde(default = "any")]
    pub method: String,
    /// `block`, `allow`, `log` or `challenge`.
    pub action: Action,
    /// `and` or `or`.
    #[serde(default)]
    pub relation: Relation,
    /// The conditions.
    pub judges: Vec<RawJudge>,
    /// Disabled rules are kept but not compiled.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// `block` or `log_only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Blocking verdicts are enforced.
    #[default]
    Block,
    /// Blocking verdicts are turned into `log`.
    LogOnly,
}

/// What to do with the part of a body past the inspection limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OversizeBody {
    /// Inspect the first `body_limit` bytes and pass the rest uninspected.
    #[default]
    Pass,
    /// Block bodies larger than `body_limit`.
    Block,
}

/// What the proxy does with a request body sent with a `Content-Encoding` (`gzip`, `deflate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BodyEncoding {
    /// Decode it (at most `body_limit` bytes of output, so a compression bomb costs no more than
    /// a plain body) and inspect what the origin will decode; encodings the WAF cannot decode
    /// are refused with 415.
    #[default]
    Decode,
    /// Refuse every encoded request body with 415.
    Refuse,
}

/// Global settings. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSettings {
    /// Nested base64 decodings applied to values that look encoded (0-4).
    pub base64_depth: u8,
    /// Nested URL decodings applied (1-4).
    pub url_depth: u8,
    /// Nested unicode/HTML/JS escape decodings applied (0-4).
    pub unicode_depth: u8,
    /// Percentage of requests the managed detectors inspect (1-100).
    pub rule_match_rate: u8,
    /// `block` or `log_only`.
    pub mode: Mode,
    /// 1 (fewest false positives) to 4 (most detection).
    pub sensitivity: u8,
    /// Bytes of body inspected.
    pub body_limit: usize,
    /// What happens past `body_limit`.
    pub oversize_body: OversizeBody,
    /// Most query + body parameters inspected; more is a protocol anomaly.
    pub max_args: usize,
    /// Most request headers accepted; more is a protocol anomaly.
    pub max_headers: usize,
    /// Accepted for FOXWAF compatibility (its settings carry it) and checked to be positive; it
    /// limits nothing: every value is inspected whole, within the `body_limit` bytes of body
    /// inspected (a value cut to its head and tail let an attack through in its middle).
    pub max_value_len: usize,
    /// Request bodies with a `Content-Encoding`: `decode` (default) or `refuse` (415).
    #[serde(skip_serializing_if = "is_default")]
    pub request_body_encoding: BodyEncoding,
    /// TLS versions the proxy's TLS listeners accept: `"1.2"` and/or `"1.3"`. Absent:
    /// the proxy's own `tls_min_version` (default 1.2 and 1.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_versions: Option<Vec<String>>,
}

impl Default for RawSettings {
    fn default() -> Self {
        RawSettings {
            base64_depth: 2,
            url_depth: 2,
            unicode_depth: 2,
            rule_match_rate: 100,
            mode: Mode::Block,
            sensitivity: 2,
            body_limit: 128 * 1024,
            oversize_body: OversizeBody::Pass,
            max_args: 4096,
            max_headers: 100,
            max_value_len: 64 * 1024,
            request_body_encoding: BodyEncoding::Decode,
            tls_versions: None,
        }
    }
}

/// A narrow false-positive exclusion: these managed rules do not look at this parameter on these paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExclusion {
    /// Managed rule ids excluded; empty means every managed rule.
    #[serde(default)]
    pub rule_ids: Vec<u32>,
    /// Path prefix the exclusion applies to (`/` for all).
    #[serde(default = "slash")]
    pub path: String,
    /// Parameter name (query, form, JSON path, cookie or header name); absent for the whole request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

/// Managed-detection switches for all sites.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawManaged {
    /// Managed rule ids turned off everywhere.
    pub disabled_rules: Vec<u32>,
    /// Exclusions applying to every site.
    pub exclusions: Vec<RawExclusion>,
}

/// A protected site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSite {
    /// Unique numeric id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Domain(s): comma, semicolon or newline separated; `*.example.com` wildcards allowed.
    pub domain: String,
    /// Upstream URL (`http://host:port` or `https://...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
    /// More upstream URLs, balanced round robin with `target_url`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_urls: Vec<String>,
    /// 1 = enabled, 0 = disabled (requests get 404 as for an unknown host).
    #[serde(default = "one")]
    pub status: u8,
    /// Serve HTTPS for these domains.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub enable_https: bool,
    /// Redirect plain HTTP to HTTPS with 301.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_https_redirect: bool,
    /// Speak HTTP/2 to an HTTPS upstream when it offers it.
    #[serde(default = "yes")]
    pub enable_http2_upstream: bool,
    /// PEM certificate chain file (relative to the certificate directory or absolute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<String>,
    /// PEM private key file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
    /// Overrides the global mode for this site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Overrides the global sensitivity for this site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<u8>,
    /// Managed rule ids turned off for this site.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_rules: Vec<u32>,
    /// Exclusions for this site.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<RawExclusion>,
    /// App profiles turned on for this site (`[wordpress]`, or `[{name: wordpress, path: /blog}]`
    /// for an application installed under a path): their shipped exclusions join the site's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<RawProfileRef>,
    /// Overrides the global `request_body_encoding` for this site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body_encoding: Option<BodyEncoding>,
    /// Maintenance mode: while on, waf-proxy answers every request for the site with a 503
    /// maintenance page and never contacts the origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<RawMaintenance>,
    /// Response cache: while on, waf-proxy stores this site's cacheable responses (RFC 9111
    /// shared cache) and serves them to requests that passed inspection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<RawCache>,
    /// The certificate template (admin-api) the site's self-signed certificate is issued from;
    /// waf-proxy does not read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_template_id: Option<u64>,
}

/// A site's maintenance mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMaintenance {
    /// Whether the site is in maintenance.
    pub enabled: bool,
    /// Plain text shown on the page (HTML-escaped there); a default text when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `Retry-After` seconds sent with the 503 (1-604800; default 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
}

/// A site's response cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCache {
    /// Whether the cache is on for the site.
    pub enabled: bool,
    /// Longest freshness in seconds (1-31536000; default 3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// Store responses carrying `Set-Cookie` too (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_set_cookie: Option<bool>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn one() -> u8 {
    1
}

// The observation room's rule-file sections: `observation` (the configuration) and `obs_rules`
// (which exchanges are recorded). An observation rule never changes a verdict: a request it
// matches is recorded whole (request line, headers and a body prefix; the response's status,
// headers and a body prefix) by waf-proxy and stored by waf-admin. Its conditions all hold
// together: host, path prefix, client network, method, and optionally custom-rule judges
// (compiled by the custom-rule compiler, combined by `relation`).

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
