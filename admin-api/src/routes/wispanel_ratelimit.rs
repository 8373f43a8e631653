//! WisPanel's rate-limit module (`/api/v1/security/module/ratelimit/*`) over our CC protection:
//! events are the CC events of the attack log, `toggle` switches every CC rule, and the whitelist
//! is the global ACL `ip` rules with action `allow` (an allow verdict skips the CC check too).

use std::collections::HashSet;
use std::net::IpAddr;

use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::control::{ControlData, ControlRequest};
use waf_core::model::raw::{AclRuleType, AclScope, Action, RawAclRule};

use super::{next_id, EnabledBody};
use crate::access::{Module, Need};
use crate::attack_log::{self, AttackLog, Filter, Page, CC};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::proxy::ReloadOutcome;
use crate::state::AppState;
use crate::store::{AclSection, CcSection};

/// Description marking whitelist entries created here.
const WHITELIST_NOTE: &str = "rate-limit whitelist";

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(summary)
        .service(events)
        .service(whitelist)
        .service(whitelist_add)
        .service(whitelist_remove)
        .service(toggle);
}

/// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds.
fn rfc3339(unix: i64) -> String {
    crate::state::format_time(unix).replacen(' ', "T", 1) + "Z"
}

/// The IPs the proxy holds bans for now (empty when it is unreachable).
async fn banned(state: &AppState) -> HashSet<String> {
    match state.proxy.call(&ControlRequest::Bans).await {
        Ok(r) => match r.data {
            Some(ControlData::Bans(b)) => b.bans.iter().map(|b| b.ip.to_string()).collect(),
            _ => HashSet::new(),
        },
        Err(_) => HashSet::new(),
    }
}

/// One CC event in WisPanel's shape.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RateLimitEvent {
    /// Attack log id.
    pub id: i64,
    /// Client IP.
    pub remote_ip: String,
    /// Path, without the query.
    pub endpoint: String,
    /// Host.
    pub host: String,
    /// Requests counted (from the rule name).
    pub request_count: i64,
    /// `block`, `challenge` or `captcha`.
    pub action: String,
    /// CC rule id.
    pub rule_id: String,
    /// The proxy holds no ban for the IP now.
    pub resolved: bool,
    /// Start of the counting window, RFC 3339.
    pub window_start: String,
    /// When, RFC 3339.
    pub created_at: String,
}

/// Blocks and challenges so far and the latest events.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RateLimitSummary {
    /// CC blocks in all.
    pub blocks: i64,
    /// CC challenges in all.
    pub challenges: i64,
    /// A CC rule is enabled.
    pub enabled: bool,
    /// The 20 latest events.
    pub recent_events: Vec<RateLimitEvent>,
}

/// `{"events", "total", "page", "page_size"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RateLimitEvents {
    /// Events, newest first.
    pub events: Vec<RateLimitEvent>,
    /// CC events in all.
    pub total: i64,
    /// Page number.
    pub page: i64,
    /// Page size.
    pub page_size: i64,
}

/// A whitelisted IP.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhitelistEntry {
    /// IP address.
    pub ip: String,
    /// Its ACL rule's id.
    pub id: u64,
    /// Enabled.
    pub enabled: bool,
    /// Notes.
    pub description: String,
}

/// `{"whitelist": [..]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Whitelist {
    /// Global ACL `ip` allow rules.
    pub whitelist: Vec<WhitelistEntry>,
}

/// `{"ip", "id"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhitelistedIp {
    /// IP address, normalised.
    pub ip: String,
    /// Its new ACL rule's id.
    pub id: u64,
}

/// `{"success", "message", "data": {"ip", "id"}, "reload"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhitelistAdded {
    /// Always true.
    pub success: bool,
    /// `IP whitelisted`.
    pub message: String,
    /// The entry.
    pub data: WhitelistedIp,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

/// `{"success", "message", "reload"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WisSaved {
    /// Always true.
    pub success: bool,
    /// What was done, in words.
    pub message: String,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

/// `{"enabled", "rules"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RateLimitState {
    /// The new state of every CC rule.
    pub enabled: bool,
    /// CC rules switched.
    pub rules: usize,
}

/// `{"success", "data": {"enabled", "rules"}, "message", "reload"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RateLimitToggled {
    /// Always true.
    pub success: bool,
    /// The new state.
    pub data: RateLimitState,
    /// `Rate limiting enabled` or `Rate limiting disabled`.
    pub message: String,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

/// One CC event in WisPanel's shape. `request_count` and the window come from the rule name the
/// proxy logs (`CC: over N requests in W s`).
fn event(l: &AttackLog, banned: &HashSet<String>) -> RateLimitEvent {
    let nums: Vec<i64> = l
        .rule_name
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let count = nums.first().copied().unwrap_or(0);
    let window = nums.get(1).copied().unwrap_or(0);
    let endpoint = l
        .url
        .find('/')
        .map(|i| &l.url[i..])
        .unwrap_or(&l.url)
        .split('?')
        .next()
        .unwrap_or("/");
    RateLimitEvent {
        id: l.id,
        remote_ip: l.client_ip.clone(),
        endpoint: endpoint.to_string(),
        host: l.host.clone(),
        request_count: count,
        action: l.action.clone(),
        rule_id: l.rule_id.clone(),
        resolved: !banned.contains(&l.client_ip),
        window_start: rfc3339(l.timestamp - window),
        created_at: rfc3339(l.timestamp),
    }
}

fn count_action(state: &AppState, action: &str) -> Result<i64, ApiError> {
    state.with_db(|c| {
        c.query_row(
            "SELECT COUNT(*) FROM attack_logs WHERE attack_type = ?1 AND action = ?2",
            [CC, action],
            |r| r.get(0),
        )
    })
}

/// Blocks and challenges so far and the 20 latest events.
#[utoipa::path(tag = "wispanel", responses((status = 200, body = RateLimitSummary)))]
#[get("/security/module/ratelimit/summary", wrap = "Need::read(Module::Cc)")]
async fn summary(state: Authorized) -> Result<HttpResponse, ApiError> {
    let f = Filter {
        attack_type: Some(CC.into()),
        ..Filter::default()
    };
    let p = Page {
        page: 1,
        page_size: 20,
    };
    let recent = state.with_db(|c| attack_log::list(c, &f, p))?;
    let bans = banned(&state).await;
    let enabled = state
        .rules_doc()?
        .all::<CcSection>()
        .iter()
        .any(|r| r.enabled);
    Ok(HttpResponse::Ok().json(RateLimitSummary {
        blocks: count_action(&state, "block")?,
        challenges: count_action(&state, "challenge")?,
        enabled,
        recent_events: recent.logs.iter().map(|l| event(l, &bans)).collect(),
    }))
}

/// `?page=&page_size=` (defaults 1 and 20).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Page, from 1.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Page size, 1-100.
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
}

/// CC events, newest first.
#[utoipa::path(tag = "wispanel", params(EventsQuery), responses(
    (status = 200, body = RateLimitEvents),
    (status = 400, description = "VALIDATION_ERROR")))]
#[get("/security/module/ratelimit/events", wrap = "Need::read(Module::Cc)")]
async fn events(state: Authorized, q: web::Query<EventsQuery>) -> Result<HttpResponse, ApiError> {
    let page = q.page.unwrap_or(1);
    let size = q.page_size.unwrap_or(20);
    if !(1..=1_000_000).contains(&page) {
        return Err(ApiError::field("page", "1 to 1000000"));
    }
    if !(1..=100).contains(&size) {
        return Err(ApiError::field("page_size", "1 to 100"));
    }
    let f = Filter {
        attack_type: Some(CC.into()),
        ..Filter::default()
    };
    let p = Page {
        page,
        page_size: size,
    };
    let res = state.with_db(|c| attack_log::list(c, &f, p))?;
    let bans = banned(&state).await;
    Ok(HttpResponse::Ok().json(RateLimitEvents {
        events: res.logs.iter().map(|l| event(l, &bans)).collect(),
        total: res.total,
        page,
        page_size: size,
    }))
}

fn is_whitelist(r: &RawAclRule) -> bool {
    r.scope == AclScope::Global && r.rule_type == AclRuleType::Ip && r.action == Action::Allow
}

/// Whitelisted IPs (global ACL `ip` allow rules).
#[utoipa::path(tag = "wispanel", responses((status = 200, body = Whitelist)))]
#[get(
    "/security/module/ratelimit/whitelist",
    wrap = "Need::read(Module::Acl)"
)]
async fn whitelist(state: Authorized) -> Result<HttpResponse, ApiError> {
    let list: Vec<WhitelistEntry> = state
        .rules_doc()?
        .all::<AclSection>()
        .into_iter()
        .filter(is_whitelist)
        .map(|r| WhitelistEntry {
            ip: r.pattern,
            id: r.id,
            enabled: r.enabled,
            description: r.description,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Whitelist { whitelist: list }))
}

/// `{"ip": "203.0.113.5"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IpInput {
    /// IPv4 or IPv6 address.
    pub ip: String,
}

/// A checked address.
#[derive(Debug, Clone, Copy)]
pub struct WhitelistIp(IpAddr);

impl TryFrom<IpInput> for WhitelistIp {
    type Error = ApiError;
    fn try_from(i: IpInput) -> Result<Self, ApiError> {
        i.ip.trim()
            .parse::<IpAddr>()
            .map(WhitelistIp)
            .map_err(|_| ApiError::field("ip", "an IPv4 or IPv6 address"))
    }
}

/// Whitelist an IP (409 CONFLICT when it already is).
#[utoipa::path(tag = "wispanel", request_body = IpInput, responses(
    (status = 200, body = WhitelistAdded),
    (status = 400, description = "VALIDATION_ERROR"), (status = 409, description = "CONFLICT")))]
#[post(
    "/security/module/ratelimit/whitelist",
    wrap = "Need::write(Module::Acl)"
)]
async fn whitelist_add(
    state: Authorized,
    body: web::Json<IpInput>,
) -> Result<HttpResponse, ApiError> {
    let WhitelistIp(ip) = WhitelistIp::try_from(body.into_inner())?;
    let ip = ip.to_string();
    let (id, reload) = state
        .change(|doc| {
            let all = doc.all::<AclSection>();
            if all.iter().any(|r| is_whitelist(r) && r.pattern == ip) {
                return Err(ApiError::Conflict(format!("{ip} is already whitelisted")));
            }
            let id = next_id(all.iter().map(|r| r.id));
            doc.push::<AclSection>(RawAclRule {
                id,
                scope: AclScope::Global,
                host: None,
                rule_type: AclRuleType::Ip,
                pattern: ip.clone(),
                action: Action::Allow,
                enabled: true,
                description: WHITELIST_NOTE.into(),
            });
            Ok(id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(WhitelistAdded {
        success: true,
        message: "IP whitelisted".into(),
        data: WhitelistedIp { ip, id },
        reload,
    }))
}

/// Remove an IP from the whitelist (404 NOT_FOUND when it is not on it).
#[utoipa::path(tag = "wispanel", params(("ip" = String, Path, description = "IP address")),
    responses((status = 200, body = WisSaved),
    (status = 404, description = "NOT_FOUND")))]
#[delete(
    "/security/module/ratelimit/whitelist/{ip}",
    wrap = "Need::write(Module::Acl)"
)]
async fn whitelist_remove(
    state: Authorized,
    ip: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let WhitelistIp(ip) = WhitelistIp::try_from(IpInput {
        ip: ip.into_inner(),
    })
    .map_err(|_| ApiError::NotFound("whitelist entry".into()))?;
    let ip = ip.to_string();
    let ((), reload) = state
        .change(
            |doc| match doc.remove::<AclSection>(|r| is_whitelist(r) && r.pattern == ip) {
                0 => Err(ApiError::NotFound(format!("whitelist entry {ip}"))),
                _ => Ok(()),
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(WisSaved {
        success: true,
        message: "IP removed from whitelist".into(),
        reload,
    }))
}

/// Enable or disable every CC rule.
#[utoipa::path(tag = "wispanel", request_body = EnabledBody, responses(
    (status = 200, body = RateLimitToggled)))]
#[post("/security/module/ratelimit/toggle", wrap = "Need::write(Module::Cc)")]
async fn toggle(state: Authorized, body: web::Json<EnabledBody>) -> Result<HttpResponse, ApiError> {
    let enabled = body.enabled;
    let (n, reload) = state
        .change(|doc| {
            let mut n = 0;
            for f in doc.files.values_mut() {
                for r in f.cc.iter_mut() {
                    r.enabled = enabled;
                    n += 1;
                }
            }
            Ok(n)
        })
        .await?;
    Ok(HttpResponse::Ok().json(RateLimitToggled {
        success: true,
        data: RateLimitState { enabled, rules: n },
        message: if enabled {
            "Rate limiting enabled"
        } else {
            "Rate limiting disabled"
        }
        .into(),
        reload,
    }))
}
