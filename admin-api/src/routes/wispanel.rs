//! WisPanel compatibility (`../shared/seeds/000_*.txt`, `001_*.txt`, `003_*.txt`): the panel's
//! security-module API under `/api/v1`, so a hosting panel written against WisPanel can drive
//! this WAF. "ModSecurity" is our managed detection (engine version, sensitivity as paranoia
//! level, `log_only` mode); "rate limit" is our CC protection; its whitelist is global ACL `ip`
//! allow rules. Writes go through [`AppState::change`] like every other rule write.
//!
//! Authentication is the same Bearer API key, with the scope of the module the call touches
//! (declared on each route, as everywhere). Errors use WisPanel's envelope `{"success": false, "code", "error", "message",
//! "status"}`: [`envelope`] rewrites every error response under [`BASE`] (the gate's and the
//! handlers'), mapping our codes in one place ([`wis_code`]).

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{get, post, put, web, Error, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::model::raw::{Mode, RawCustomRule};

use super::monitor::proxy_status;
use super::wispanel_ratelimit;
use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::proxy::ReloadOutcome;
use crate::state::AppState;
use crate::store::CustomSection;

/// The base path of the WisPanel-compatible API.
pub const BASE: &str = "/api/v1";

/// The `kv` key remembering the disabled managed rules from before `modsecurity/disable`.
const PREV_DISABLED: &str = "wispanel_prev_disabled_rules";

/// Registers the module (below [`BASE`]).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(version_info)
        .service(modsec_status)
        .service(enable)
        .service(disable)
        .service(config)
        .service(custom_get)
        .service(custom_put);
    wispanel_ratelimit::configure(cfg);
}

/// WisPanel's semantic code for one of ours (the one place they are mapped).
pub fn wis_code(code: &str, status: StatusCode) -> &'static str {
    match code {
        "validation_error" | "payload_too_large" | "unsupported_media_type" => "VALIDATION_ERROR",
        "missing_token" | "invalid_key" => "UNAUTHORIZED",
        "key_disabled"
        | "key_expired"
        | "scope_denied"
        | "endpoint_not_exposed"
        | "https_required" => "FORBIDDEN",
        "not_found" => "NOT_FOUND",
        "conflict" => "CONFLICT",
        "idempotency_key_conflict" | "idempotency_key_in_use" => "IDEMPOTENCY_KEY_CONFLICT",
        "rate_limited" => "RATE_LIMITED",
        _ => match status.as_u16() {
            400 | 413 | 415 | 422 => "VALIDATION_ERROR",
            401 => "UNAUTHORIZED",
            403 => "FORBIDDEN",
            404 | 405 => "NOT_FOUND",
            409 => "CONFLICT",
            429 => "RATE_LIMITED",
            _ => "INTERNAL_ERROR",
        },
    }
}

/// Middleware (outermost): error responses under [`BASE`] in WisPanel's envelope; headers
/// (rate limit, Retry-After) kept. "Under" is decided on the path the router matches (its
/// percent-decoded form), not on the raw request target.
pub async fn envelope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let path = req.match_info().as_str();
    let ours = path
        .strip_prefix(BASE)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    let res = next.call(req).await?.map_into_boxed_body();
    if !ours || res.status().as_u16() < 400 {
        return Ok(res);
    }
    let status = res.status();
    let (http_req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let bytes = body::to_bytes(body).await.unwrap_or_default();
    let parsed: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let message = parsed
        .get("error")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_string());
    let code = wis_code(
        parsed.get("code").and_then(Value::as_str).unwrap_or(""),
        status,
    );
    let mut out = json!({
        "success": false, "code": code, "error": message, "message": message,
        "status": status.as_u16(),
    });
    if let Some(d) = parsed.get("details") {
        out["details"] = d.clone();
    }
    let mut b = HttpResponse::build(status);
    for (k, v) in head.headers() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            b.append_header((k.clone(), v.clone()));
        }
    }
    Ok(ServiceResponse::new(http_req, b.json(out)))
}

/// WisPanel's success envelope `{"data": .., "success": true}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WisOk<T> {
    /// The answer.
    pub data: T,
    /// Always true (errors use the error envelope).
    pub success: bool,
}

fn ok<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Ok().json(WisOk {
        data,
        success: true,
    })
}

/// WisPanel's `/version/info`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionInfo {
    /// waf-admin's version.
    pub version: &'static str,
    /// `stable`.
    pub channel: &'static str,
    /// `unknown`.
    pub build_time: &'static str,
    /// `unknown`.
    pub git_commit: &'static str,
    /// In words, with the engine's version.
    pub info: String,
}

/// The detection status, WisPanel's "ModSecurity" shape.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModsecStatus {
    /// Always true.
    pub installed: bool,
    /// Not every managed rule disabled.
    pub enabled: bool,
    /// `settings.mode` is `log_only`.
    pub log_only: bool,
    /// `settings.sensitivity` (1-4).
    pub paranoia_level: u8,
    /// `waf-core`.
    pub ruleset: &'static str,
    /// `waf-proxy`.
    pub webserver: &'static str,
    /// Always true.
    pub crs_installed: bool,
    /// `v` and the engine's version.
    pub crs_version: String,
    /// Rules of the live policy (null when the proxy is unreachable).
    pub rule_count: Option<usize>,
    /// The live policy's mode (null when the proxy is unreachable).
    pub live_mode: Option<String>,
    /// The live policy's version hash (null when the proxy is unreachable).
    pub policy_version: Option<String>,
}

/// `{"data", "success", "changed", "message", "reload"}`: detection switched or configured.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModsecSwitched {
    /// The status after the change.
    pub data: ModsecStatus,
    /// Always true.
    pub success: bool,
    /// False when it already was so (nothing written).
    pub changed: bool,
    /// What was done, in words.
    pub message: String,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

/// Our custom rules as YAML.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomRulesYaml {
    /// A YAML list of custom rules.
    pub rules: String,
    /// How many.
    pub count: usize,
    /// `yaml`.
    pub format: &'static str,
}

/// `{"count"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomRuleCount {
    /// Custom rules now.
    pub count: usize,
}

/// `{"data": {"count"}, "success", "message", "reload"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomRulesReplaced {
    /// How many rules there are now.
    pub data: CustomRuleCount,
    /// Always true.
    pub success: bool,
    /// `Custom rules updated`.
    pub message: String,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

/// Version of this WAF (WisPanel's `/version/info` shape).
#[utoipa::path(tag = "wispanel", responses((status = 200, body = VersionInfo)))]
#[get("/version/info", wrap = "Need::read(Module::Monitor)")]
async fn version_info() -> HttpResponse {
    let v = env!("CARGO_PKG_VERSION");
    HttpResponse::Ok().json(VersionInfo {
        version: v,
        channel: "stable",
        build_time: "unknown",
        git_commit: "unknown",
        info: format!("waf-admin v{v} (engine {})", waf_core::ENGINE_VERSION),
    })
}

/// Whether managed detection is on: not every managed rule disabled.
fn managed_enabled(disabled: &[u32]) -> bool {
    let catalog = waf_core::catalog();
    catalog.is_empty() || catalog.iter().any(|r| !disabled.contains(&r.id))
}

/// The status object (`rule_count` from the running proxy; null when it is unreachable).
async fn status_data(state: &AppState) -> Result<ModsecStatus, ApiError> {
    let doc = state.rules_doc()?;
    let settings = doc.settings();
    let live = proxy_status(state).await.ok();
    Ok(ModsecStatus {
        installed: true,
        enabled: managed_enabled(&doc.managed().disabled_rules),
        log_only: settings.mode == Mode::LogOnly,
        paranoia_level: settings.sensitivity,
        ruleset: "waf-core",
        webserver: "waf-proxy",
        crs_installed: true,
        crs_version: format!("v{}", waf_core::ENGINE_VERSION),
        rule_count: live.as_ref().map(|s| s.counts.total()),
        live_mode: live.as_ref().map(|s| s.mode.clone()),
        policy_version: live.as_ref().map(|s| s.version.clone()),
    })
}

/// Detection status, wrapped as WisPanel does; `rule_count` is the live policy's.
#[utoipa::path(tag = "wispanel", responses((status = 200, body = WisOk<ModsecStatus>)))]
#[get(
    "/security/module/modsecurity/status",
    wrap = "Need::read(Module::Settings)"
)]
async fn modsec_status(state: Authorized) -> Result<HttpResponse, ApiError> {
    Ok(ok(status_data(&state).await?))
}

/// Turn managed detection on (restores the disabled-rule list from before `disable`).
#[utoipa::path(tag = "wispanel", responses((status = 200, body = ModsecSwitched)))]
#[post(
    "/security/module/modsecurity/enable",
    wrap = "Need::write(Module::Settings)"
)]
async fn enable(state: Authorized) -> Result<HttpResponse, ApiError> {
    let prev: Vec<u32> = state
        .with_db(|c| crate::kv::get(c, PREV_DISABLED))?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let (changed, reload) = state
        .change(|doc| {
            let m = doc.managed_mut();
            if managed_enabled(&m.disabled_rules) {
                return Ok(false);
            }
            m.disabled_rules = prev;
            Ok(true)
        })
        .await?;
    switched(&state, changed, "ModSecurity enabled", reload).await
}

/// Turn managed detection off (every managed rule disabled; ACL, CC and custom rules stay).
#[utoipa::path(tag = "wispanel", responses((status = 200, body = ModsecSwitched)))]
#[post(
    "/security/module/modsecurity/disable",
    wrap = "Need::write(Module::Settings)"
)]
async fn disable(state: Authorized) -> Result<HttpResponse, ApiError> {
    let current = state.rules_doc()?.managed().disabled_rules;
    if managed_enabled(&current) {
        let text = serde_json::to_string(&current).map_err(ApiError::internal)?;
        state.with_db(|c| crate::kv::set(c, PREV_DISABLED, &text))?;
    }
    let (changed, reload) = state
        .change(|doc| {
            let m = doc.managed_mut();
            if !managed_enabled(&m.disabled_rules) {
                return Ok(false);
            }
            m.disabled_rules = waf_core::catalog().iter().map(|r| r.id).collect();
            Ok(true)
        })
        .await?;
    switched(&state, changed, "ModSecurity disabled", reload).await
}

async fn switched(
    state: &AppState,
    changed: bool,
    message: &str,
    reload: ReloadOutcome,
) -> Result<HttpResponse, ApiError> {
    let data = status_data(state).await?;
    Ok(HttpResponse::Ok().json(ModsecSwitched {
        data,
        success: true,
        changed,
        message: message.into(),
        reload,
    }))
}

/// `PUT .../modsecurity/config` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigInput {
    /// Log instead of blocking (settings.mode `log_only`).
    pub log_only: Option<bool>,
    /// 1-4 (settings.sensitivity).
    pub paranoia_level: Option<i64>,
}

/// A checked config change.
#[derive(Debug, Clone, Copy)]
pub struct ConfigChange {
    mode: Option<Mode>,
    sensitivity: Option<u8>,
}

impl TryFrom<ConfigInput> for ConfigChange {
    type Error = ApiError;
    fn try_from(i: ConfigInput) -> Result<Self, ApiError> {
        let sensitivity = match i.paranoia_level {
            None => None,
            Some(l @ 1..=4) => Some(l as u8),
            Some(_) => return Err(ApiError::field("paranoia_level", "1 to 4")),
        };
        let mode = i
            .log_only
            .map(|lo| if lo { Mode::LogOnly } else { Mode::Block });
        if mode.is_none() && sensitivity.is_none() {
            return Err(ApiError::field(
                "body",
                "give log_only and/or paranoia_level",
            ));
        }
        Ok(ConfigChange { mode, sensitivity })
    }
}

/// Set `log_only` (-> mode) and `paranoia_level` (-> sensitivity 1-4).
#[utoipa::path(tag = "wispanel", request_body = ConfigInput, responses(
    (status = 200, body = ModsecSwitched),
    (status = 400, description = "VALIDATION_ERROR")))]
#[put(
    "/security/module/modsecurity/config",
    wrap = "Need::write(Module::Settings)"
)]
async fn config(state: Authorized, body: web::Json<ConfigInput>) -> Result<HttpResponse, ApiError> {
    let change = ConfigChange::try_from(body.into_inner())?;
    let ((), reload) = state
        .change(|doc| {
            let s = doc.settings_mut();
            if let Some(m) = change.mode {
                s.mode = m;
            }
            if let Some(l) = change.sensitivity {
                s.sensitivity = l;
            }
            Ok(())
        })
        .await?;
    switched(&state, true, "ModSecurity config updated", reload).await
}

/// Our custom rules as YAML text (a list of rules, as in `custom.yaml`'s `custom_rules`).
#[utoipa::path(tag = "wispanel", responses((status = 200, body = WisOk<CustomRulesYaml>)))]
#[get(
    "/security/module/modsecurity/rules/custom",
    wrap = "Need::read(Module::CustomRules)"
)]
async fn custom_get(state: Authorized) -> Result<HttpResponse, ApiError> {
    let rules = state.rules_doc()?.all::<CustomSection>();
    let yaml = if rules.is_empty() {
        String::from("[]\n")
    } else {
        serde_yaml_ng::to_string(&rules).map_err(ApiError::internal)?
    };
    Ok(ok(CustomRulesYaml {
        rules: yaml,
        count: rules.len(),
        format: "yaml",
    }))
}

/// `PUT .../rules/custom` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomInput {
    /// YAML: a list of custom rules (the same format `GET` returns; a rule without an `id` gets a
    /// fresh one). Empty text removes all.
    pub rules: String,
}

/// A parsed custom-rule list.
#[derive(Debug)]
pub struct CustomRules(Vec<RawCustomRule>);

impl TryFrom<CustomInput> for CustomRules {
    type Error = ApiError;
    fn try_from(i: CustomInput) -> Result<Self, ApiError> {
        if i.rules.len() > 4 << 20 {
            return Err(ApiError::PayloadTooLarge);
        }
        if i.rules.trim().is_empty() {
            return Ok(CustomRules(Vec::new()));
        }
        let bad = |e: serde_yaml_ng::Error| {
            ApiError::field("rules", format!("not a YAML list of custom rules: {e}"))
        };
        let mut items: Vec<serde_yaml_ng::Value> =
            Option::unwrap_or_default(serde_yaml_ng::from_str(&i.rules).map_err(bad)?);
        // A panel adding a rule need not invent an id: rules without one get a fresh id.
        let key = serde_yaml_ng::Value::from("id");
        let given: Vec<String> = items
            .iter()
            .filter_map(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_string))
            .collect();
        for v in &mut items {
            if let Some(m) = v.as_mapping_mut() {
                if !m.contains_key(&key) {
                    let id = std::iter::repeat_with(super::custom_rules::new_id)
                        .find(|id| !given.contains(id))
                        .unwrap_or_default();
                    m.insert(key.clone(), id.into());
                }
            }
        }
        let rules = items
            .into_iter()
            .enumerate()
            .map(|(n, v)| {
                serde_yaml_ng::from_value::<RawCustomRule>(v)
                    .map_err(|e| ApiError::field("rules", format!("custom rule {}: {e}", n + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CustomRules(rules))
    }
}

/// Replace all custom rules with the YAML given; the whole rule set is compiled first (400 with
/// the compiler's reasons and nothing written on failure).
#[utoipa::path(tag = "wispanel", request_body = CustomInput, responses(
    (status = 200, body = CustomRulesReplaced),
    (status = 400, description = "VALIDATION_ERROR")))]
#[put(
    "/security/module/modsecurity/rules/custom",
    wrap = "Need::write(Module::CustomRules)"
)]
async fn custom_put(
    state: Authorized,
    body: web::Json<CustomInput>,
) -> Result<HttpResponse, ApiError> {
    let CustomRules(rules) = CustomRules::try_from(body.into_inner())?;
    let count = rules.len();
    let ((), reload) = state
        .change(|doc| {
            doc.remove::<CustomSection>(|_| true);
            for r in rules {
                doc.push::<CustomSection>(r);
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(CustomRulesReplaced {
        data: CustomRuleCount { count },
        success: true,
        message: "Custom rules updated".into(),
        reload,
    }))
}
