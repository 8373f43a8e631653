//! Upstream health, from waf-proxy's active checks (its control socket).

use std::collections::BTreeMap;

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::control::{ControlData, ControlRequest};

use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::state::{format_time, now, AppState};

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health_all).service(health_one);
}

/// `up`, `down` or `unknown` (not probed yet).
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthState {
    /// Passed its last check.
    Up,
    /// Failed its last check.
    Down,
    /// Not checked yet.
    Unknown,
}

/// One upstream of a site.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpstreamHealth {
    /// Upstream URL.
    pub url: String,
    /// Passed its last check (false until the first).
    pub is_alive: bool,
    /// HTTP status of the last check (0 when it failed to connect).
    pub status: u16,
    /// Latency of the last check in milliseconds.
    pub latency_ms: u64,
    /// Unix time of the last check (0 = never).
    pub last_check: u64,
    /// In words.
    pub state: HealthState,
}

/// Health of one site's upstreams.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SiteHealth {
    /// Site id.
    pub site_id: u64,
    /// The site's first domain.
    pub domain: String,
    /// One of its upstreams passed its last check.
    pub is_alive: bool,
    /// `up`, `down`, or `unknown` while an upstream is not checked yet and none is up.
    pub state: HealthState,
    /// HTTP status of the first upstream's last check.
    pub status: u16,
    /// Latency of the first upstream's last check in milliseconds.
    pub latency: u64,
    /// Latest check, `YYYY-MM-DD HH:MM:SS` (empty before any).
    pub last_check: String,
    /// Every upstream.
    pub upstreams: Vec<UpstreamHealth>,
}

/// `{"health_status": {"<site id>": {..}}, "timestamp"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthReport {
    /// Per site, by site id.
    pub health_status: BTreeMap<String, SiteHealth>,
    /// `YYYY-MM-DD HH:MM:SS` (UTC).
    pub timestamp: String,
}

async fn health_map(state: &AppState) -> Result<BTreeMap<String, SiteHealth>, ApiError> {
    let resp = state.proxy.call(&ControlRequest::Health).await?;
    let Some(ControlData::Health(report)) = resp.data else {
        return Err(ApiError::ProxyUnavailable(format!(
            "unexpected health answer: {}",
            resp.error.unwrap_or_default()
        )));
    };
    Ok(report
        .sites
        .into_iter()
        .map(|s| {
            // The proxy reports an upstream it has not probed yet as not alive (`last_check` 0):
            // here it is `unknown`.
            let state = |u: &waf_core::control::UpstreamHealth| match (u.last_check, u.is_alive) {
                (0, _) => HealthState::Unknown,
                (_, true) => HealthState::Up,
                (_, false) => HealthState::Down,
            };
            let is_alive = s.upstreams.iter().any(|u| u.is_alive);
            let site_state = if is_alive {
                HealthState::Up
            } else if s.upstreams.iter().any(|u| u.last_check == 0) {
                HealthState::Unknown
            } else {
                HealthState::Down
            };
            let first = s.upstreams.first();
            let last = s.upstreams.iter().map(|u| u.last_check).max().unwrap_or(0);
            let v = SiteHealth {
                site_id: s.site_id,
                domain: s.domain,
                is_alive,
                state: site_state,
                status: first.map(|u| u.status).unwrap_or(0),
                latency: first.map(|u| u.latency_ms).unwrap_or(0),
                last_check: if last == 0 {
                    String::new()
                } else {
                    format_time(last as i64)
                },
                upstreams: s
                    .upstreams
                    .iter()
                    .map(|u| UpstreamHealth {
                        url: u.url.clone(),
                        is_alive: u.is_alive,
                        status: u.status,
                        latency_ms: u.latency_ms,
                        last_check: u.last_check,
                        state: state(u),
                    })
                    .collect(),
            };
            (s.site_id.to_string(), v)
        })
        .collect())
}

/// Health of every site's upstreams, from waf-proxy's active checks. An upstream not probed yet
/// (just added) is `"state": "unknown"` and not alive; a site is alive when one of its upstreams
/// passed its last check.
#[utoipa::path(tag = "site", responses(
    (status = 200, body = HealthReport),
    (status = 503, description = "proxy_unavailable")))]
#[get("/health", wrap = "Need::read(Module::Site)")]
async fn health_all(state: Authorized) -> Result<HttpResponse, ApiError> {
    let map = health_map(&state).await?;
    Ok(HttpResponse::Ok().json(HealthReport {
        health_status: map,
        timestamp: format_time(now()),
    }))
}

/// Health of one site.
#[utoipa::path(tag = "site", params(("id" = u64, Path, description = "Site id")),
    responses((status = 200, body = SiteHealth), (status = 404, description = "not_found"),
              (status = 503, description = "proxy_unavailable")))]
#[get("/health/{id}", wrap = "Need::read(Module::Site)")]
async fn health_one(state: Authorized, id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut map = health_map(&state).await?;
    let v = map
        .remove(&id.to_string())
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))?;
    Ok(HttpResponse::Ok().json(v))
}
