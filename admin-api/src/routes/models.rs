//! The OpenAPI schemas of waf-core's rule models (`waf_core::model::raw`), which routes return
//! as they are serialised. The engine crate has no OpenAPI dependency, so these schema-only
//! types stand for them (`#[schema(value_type = ...)]` on the field holding the waf-core value);
//! the tests at the end check each against the serialisation of a full waf-core value, so a
//! field added there and not here fails a test.

use utoipa::ToSchema;

/// What a rule does when it matches.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum RuleAction {
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

/// Scope of an ACL rule.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum AclScope {
    /// Every site.
    Global,
    /// The site answering for `host` only.
    Host,
}

/// What an ACL rule looks at.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum AclRuleType {
    /// Client IP or CIDR.
    Ip,
    /// User-Agent.
    Ua,
    /// URL path.
    Url,
    /// A request header.
    Header,
    /// Client country.
    Country,
    /// HTTP method(s).
    Method,
    /// Referer.
    Referer,
}

/// An ACL rule (`waf_core::model::raw::RawAclRule`).
#[derive(ToSchema)]
pub struct AclRule {
    /// Unique numeric id.
    pub id: u64,
    /// `global` or `host`.
    #[schema(rename = "type")]
    pub scope: AclScope,
    /// The host a `type: host` rule applies to.
    pub host: Option<String>,
    /// What the rule looks at.
    pub rule_type: AclRuleType,
    /// The match pattern.
    pub pattern: String,
    /// `block`, `allow` or `log`.
    pub action: RuleAction,
    /// Disabled rules are kept but not compiled.
    pub enabled: bool,
    /// Free text (absent when empty).
    pub description: Option<String>,
}

/// A CC (rate-limit) rule (`waf_core::model::raw::RawCcRule`).
#[derive(ToSchema)]
pub struct CcRule {
    /// Unique numeric id.
    pub id: u64,
    /// Host; `*` for all.
    pub host: String,
    /// Path prefix counted.
    pub path: String,
    /// Requests allowed per client within `window`.
    pub threshold: u64,
    /// Window in seconds.
    pub window: u64,
    /// Ban duration in seconds.
    pub ban_duration: u64,
    /// `block`, `challenge` or `captcha`.
    pub action: RuleAction,
    /// Disabled rules are kept but not compiled.
    pub enabled: bool,
    /// Free text (absent when empty).
    pub description: Option<String>,
}

/// How the judges of a custom rule combine.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum JudgeRelation {
    /// Every judge must hold.
    And,
    /// One judge is enough.
    Or,
}

/// Where a custom-rule judge looks.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum JudgePosition {
    /// Path and query, URL-decoded.
    Uri,
    /// Parameter names.
    ParameterKey,
    /// Parameter values.
    ParameterValue,
    /// Request header values.
    RequestHeader,
    /// The request body.
    RequestBody,
    /// Any of the above.
    Any,
}

/// One string or several.
#[derive(serde::Serialize, ToSchema)]
#[serde(untagged)]
pub enum JudgeContent {
    /// A single string.
    One(String),
    /// Several strings; any of them matches.
    Many(Vec<String>),
}

/// One condition of a custom rule (`waf_core::model::raw::RawJudge`).
#[derive(ToSchema)]
pub struct CustomRuleJudge {
    /// Where to look.
    pub position: JudgePosition,
    /// With `request_header`, the one header to look at.
    pub header: Option<String>,
    /// Case-insensitive substring(s).
    pub content: Option<JudgeContent>,
    /// Alias of `content` for one keyword.
    pub keyword: Option<String>,
    /// A regular expression instead of `content`.
    pub rix: Option<String>,
    /// Holds when the content does not match (absent when false).
    pub negate: Option<bool>,
}

/// A custom rule (`waf_core::model::raw::RawCustomRule`).
#[derive(ToSchema)]
pub struct CustomRule {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `any` or one HTTP method.
    pub method: String,
    /// `block`, `allow`, `log` or `challenge`.
    pub action: RuleAction,
    /// `and` or `or`.
    pub relation: JudgeRelation,
    /// The conditions.
    pub judges: Vec<CustomRuleJudge>,
    /// Absent when true in the rule files; always given by `GET /custom-rules`.
    pub enabled: Option<bool>,
    /// Free text (absent when empty).
    pub description: Option<String>,
}

/// `block` or `log_only`.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum InspectionMode {
    /// Blocking verdicts are enforced.
    Block,
    /// Blocking verdicts are turned into `log`.
    LogOnly,
}

/// What happens past `body_limit`.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum OversizeBody {
    /// Inspect the first `body_limit` bytes, pass the rest.
    Pass,
    /// Block larger bodies.
    Block,
}

/// Encoded request bodies.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum BodyEncoding {
    /// Decode and inspect.
    Decode,
    /// Refuse with 415.
    Refuse,
}

/// Global settings (`waf_core::model::raw::RawSettings`).
#[derive(ToSchema)]
pub struct GlobalSettings {
    /// Nested base64 decodings (0-4).
    pub base64_depth: u8,
    /// Nested URL decodings (1-4).
    pub url_depth: u8,
    /// Nested unicode/HTML/JS escape decodings (0-4).
    pub unicode_depth: u8,
    /// Percentage of requests the managed detectors inspect (1-100).
    pub rule_match_rate: u8,
    /// `block` or `log_only`.
    pub mode: InspectionMode,
    /// 1 (fewest false positives) to 4 (most detection).
    pub sensitivity: u8,
    /// Bytes of body inspected.
    pub body_limit: u64,
    /// What happens past `body_limit`.
    pub oversize_body: OversizeBody,
    /// Most parameters inspected.
    pub max_args: u64,
    /// Most request headers accepted.
    pub max_headers: u64,
    /// Accepted for FOXWAF compatibility; limits nothing.
    pub max_value_len: u64,
    /// `decode` or `refuse` (absent when `decode`).
    pub request_body_encoding: Option<BodyEncoding>,
    /// TLS versions accepted (absent: the proxy's own).
    pub tls_versions: Option<Vec<String>>,
}

/// A narrow false-positive exclusion (`waf_core::model::raw::RawExclusion`).
#[derive(ToSchema)]
pub struct SiteExclusion {
    /// Managed rule ids excluded; empty means every managed rule.
    pub rule_ids: Vec<u32>,
    /// Path prefix.
    pub path: String,
    /// Parameter name; absent for the whole request.
    pub parameter: Option<String>,
}

/// A site's maintenance mode (`waf_core::model::raw::RawMaintenance`).
#[derive(ToSchema)]
pub struct SiteMaintenance {
    /// Whether the site is in maintenance.
    pub enabled: bool,
    /// Text shown on the page.
    pub message: Option<String>,
    /// `Retry-After` seconds.
    pub retry_after: Option<u32>,
}

/// A site's response cache (`waf_core::model::raw::RawCache`).
#[derive(ToSchema)]
pub struct SiteCache {
    /// Whether the cache is on for the site.
    pub enabled: bool,
    /// Longest freshness in seconds.
    pub ttl: Option<u32>,
    /// Store responses carrying `Set-Cookie` too.
    pub cache_set_cookie: Option<bool>,
}

/// A protected site (`waf_core::model::raw::RawSite`) as the site routes return it:
/// `enable_https` always given, and `cert_type`.
#[derive(ToSchema)]
pub struct SiteInfo {
    /// Unique numeric id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Domain(s), comma, semicolon or newline separated.
    pub domain: String,
    /// Upstream URL.
    pub target_url: Option<String>,
    /// More upstream URLs (round robin).
    pub target_urls: Option<Vec<String>>,
    /// 1 enabled, 0 disabled.
    pub status: u8,
    /// Serve HTTPS.
    pub enable_https: bool,
    /// Redirect HTTP to HTTPS (absent when false).
    pub force_https_redirect: Option<bool>,
    /// HTTP/2 to an HTTPS upstream.
    pub enable_http2_upstream: bool,
    /// PEM certificate chain file.
    pub cert_file: Option<String>,
    /// PEM private key file.
    pub key_file: Option<String>,
    /// Mode override.
    pub mode: Option<InspectionMode>,
    /// Sensitivity override.
    pub sensitivity: Option<u8>,
    /// Managed rule ids off for this site.
    pub disabled_rules: Option<Vec<u32>>,
    /// Exclusions for this site.
    pub exclusions: Option<Vec<SiteExclusion>>,
    /// App profiles turned on for this site.
    pub profiles: Option<Vec<super::sites::ProfileInput>>,
    /// Encoded request bodies override.
    pub request_body_encoding: Option<BodyEncoding>,
    /// Maintenance mode.
    pub maintenance: Option<SiteMaintenance>,
    /// Response cache.
    pub cache: Option<SiteCache>,
    /// Certificate template of its self-signed certificate.
    pub cert_template_id: Option<u64>,
    /// `none`, `self-signed` or `custom`.
    pub cert_type: String,
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use utoipa::PartialSchema;
    use waf_core::model::raw::{RawAclRule, RawCcRule, RawCustomRule, RawSettings, RawSite};

    /// The properties and required fields of schema `S`.
    fn fields<S: PartialSchema>() -> (Vec<String>, Vec<String>) {
        let s = serde_json::to_value(S::schema()).unwrap_or(Value::Null);
        let props = s["properties"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let required = s["required"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        (props, required)
    }

    /// Every field of `full` (a value with every field set) is in schema `S`, and every field
    /// `S` requires is in `minimal` (a value with as few as serialise).
    fn check<S: PartialSchema>(full: &Value, minimal: &Value) {
        let (props, required) = fields::<S>();
        for k in full.as_object().into_iter().flat_map(|m| m.keys()) {
            assert!(props.contains(k), "field {k} is not in the schema");
        }
        for k in &required {
            assert!(
                minimal.get(k).is_some(),
                "schema requires {k}, not always serialised"
            );
        }
    }

    fn through<T: serde::de::DeserializeOwned + serde::Serialize>(v: Value) -> Value {
        let t: T = serde_json::from_value(v).expect("a valid sample");
        serde_json::to_value(t).expect("serialises")
    }

    #[test]
    fn acl_cc_custom_rules_match_their_schema() {
        let acl = json!({"id": 1, "type": "host", "host": "a.example", "rule_type": "ip",
            "pattern": "10.0.0.0/8", "action": "block", "enabled": true, "description": "x"});
        let acl_min = json!({"id": 1, "type": "global", "rule_type": "ip", "pattern": "1.2.3.4",
            "action": "block"});
        check::<super::AclRule>(&through::<RawAclRule>(acl), &through::<RawAclRule>(acl_min));
        let cc = json!({"id": 1, "host": "*", "path": "/", "threshold": 5, "window": 60,
            "ban_duration": 60, "action": "challenge", "enabled": true, "description": "x"});
        let cc_min = json!({"id": 1, "threshold": 5, "window": 60, "ban_duration": 60,
            "action": "block"});
        check::<super::CcRule>(&through::<RawCcRule>(cc), &through::<RawCcRule>(cc_min));
        let custom = json!({"id": "a1", "name": "n", "method": "GET", "action": "block",
            "relation": "or", "enabled": false, "description": "x",
            "judges": [{"position": "request_header", "header": "X", "content": ["a", "b"],
                        "keyword": "k", "rix": "r", "negate": true}]});
        let custom_min = json!({"id": "a1", "name": "n", "action": "block",
            "judges": [{"position": "uri"}]});
        check::<super::CustomRule>(
            &through::<RawCustomRule>(custom.clone()),
            &through::<RawCustomRule>(custom_min),
        );
        let judge = &through::<RawCustomRule>(custom)["judges"][0];
        check::<super::CustomRuleJudge>(judge, &json!({"position": "uri"}));
    }

    #[test]
    fn settings_and_site_match_their_schema() {
        let settings = serde_json::to_value(RawSettings {
            request_body_encoding: waf_core::model::raw::BodyEncoding::Refuse,
            tls_versions: Some(vec!["1.3".into()]),
            ..RawSettings::default()
        })
        .expect("serialises");
        let settings_min = serde_json::to_value(RawSettings::default()).expect("serialises");
        check::<super::GlobalSettings>(&settings, &settings_min);
        let site = json!({"id": 1, "name": "n", "domain": "a.example",
            "target_url": "http://127.0.0.1:1", "target_urls": ["http://127.0.0.1:2"],
            "status": 1, "enable_https": true, "force_https_redirect": true,
            "enable_http2_upstream": true, "cert_file": "c", "key_file": "k", "mode": "log_only",
            "sensitivity": 3, "disabled_rules": [1], "cert_template_id": 2,
            "exclusions": [{"rule_ids": [1], "path": "/", "parameter": "q"}],
            "profiles": ["wordpress", {"name": "mediawiki", "path": "/wiki"}],
            "request_body_encoding": "refuse",
            "maintenance": {"enabled": true, "message": "m", "retry_after": 5},
            "cache": {"enabled": true, "ttl": 5, "cache_set_cookie": true}});
        let mut full = through::<RawSite>(site);
        // What the site routes add to the serialised site.
        full["cert_type"] = json!("custom");
        let mut min = through::<RawSite>(json!({"id": 1, "name": "n", "domain": "a.example"}));
        min["enable_https"] = json!(false);
        min["cert_type"] = json!("none");
        check::<super::SiteInfo>(&full, &min);
        check::<super::SiteExclusion>(
            &full["exclusions"][0],
            &json!({"rule_ids": [], "path": "/"}),
        );
        check::<super::SiteMaintenance>(&full["maintenance"], &json!({"enabled": true}));
        check::<super::SiteCache>(&full["cache"], &json!({"enabled": true}));
    }
}
