//! Upstream health, from waf-proxy's active checks (its control socket).

use actix_web::{get, web, HttpResponse};
use serde_json::{json, Map, Value};
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

async fn health_map(state: &AppState) -> Result<Map<String, Value>, ApiError> {
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
        .map(|mut s| {
            // The proxy routes to an upstream it has not probed yet (optimistic, so a fresh
            // proxy serves at once), but a health report must not call it alive: until its first
            // check (`last_check` 0) it is `unknown` and not alive.
            for u in &mut s.upstreams {
                u.is_alive &= u.last_check != 0;
            }
            let state = |u: &waf_core::control::UpstreamHealth| match (u.last_check, u.is_alive) {
                (0, _) => "unknown",
                (_, true) => "up",
                (_, false) => "down",
            };
            let is_alive = s.upstreams.iter().any(|u| u.is_alive);
            let site_state = if is_alive {
                "up"
            } else if s.upstreams.iter().any(|u| u.last_check == 0) {
                "unknown"
            } else {
                "down"
            };
            let upstreams: Vec<Value> = s
                .upstreams
                .iter()
                .map(|u| {
                    let mut v = serde_json::to_value(u).unwrap_or(Value::Null);
                    v["state"] = json!(state(u));
                    v
                })
                .collect();
            let first = s.upstreams.first();
            let last = s.upstreams.iter().map(|u| u.last_check).max().unwrap_or(0);
            let v = json!({
                "site_id": s.site_id, "domain": s.domain, "is_alive": is_alive,
                "state": site_state,
                "status": first.map(|u| u.status).unwrap_or(0),
                "latency": first.map(|u| u.latency_ms).unwrap_or(0),
                "last_check": if last == 0 { String::new() } else { format_time(last as i64) },
                "upstreams": upstreams,
            });
            (s.site_id.to_string(), v)
        })
        .collect())
}

/// Health of every site's upstreams, from waf-proxy's active checks. An upstream not probed yet
/// (just added) is `"state": "unknown"` and not alive; a site is alive when one of its upstreams
/// passed its last check.
#[utoipa::path(tag = "site", responses(
    (status = 200, description = "`{\"health_status\": {\"<id>\": {site_id, domain, is_alive, state: up|down|unknown, status, latency, last_check, upstreams: [{url, is_alive, state, status, latency_ms, last_check}]}}, \"timestamp\"}`"),
    (status = 503, description = "proxy_unavailable")))]
#[get("/health", wrap = "Need::read(Module::Site)")]
async fn health_all(state: Authorized) -> Result<HttpResponse, ApiError> {
    let map = health_map(&state).await?;
    Ok(HttpResponse::Ok().json(json!({ "health_status": map, "timestamp": format_time(now()) })))
}

/// Health of one site.
#[utoipa::path(tag = "site", params(("id" = u64, Path, description = "Site id")),
    responses((status = 200, description = "`{\"site_id\", \"is_alive\", ..}`")))]
#[get("/health/{id}", wrap = "Need::read(Module::Site)")]
async fn health_one(state: Authorized, id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut map = health_map(&state).await?;
    let v = map
        .remove(&id.to_string())
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))?;
    Ok(HttpResponse::Ok().json(v))
}
