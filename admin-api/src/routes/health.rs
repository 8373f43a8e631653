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
        .map(|s| {
            let first = s.upstreams.first();
            let last = s.upstreams.iter().map(|u| u.last_check).max().unwrap_or(0);
            let v = json!({
                "site_id": s.site_id, "domain": s.domain, "is_alive": s.is_alive,
                "status": first.map(|u| u.status).unwrap_or(0),
                "latency": first.map(|u| u.latency_ms).unwrap_or(0),
                "last_check": if last == 0 { String::new() } else { format_time(last as i64) },
                "upstreams": s.upstreams,
            });
            (s.site_id.to_string(), v)
        })
        .collect())
}

/// Health of every site's upstreams, from waf-proxy's active checks.
#[utoipa::path(tag = "site", responses(
    (status = 200, description = "`{\"health_status\": {\"<id>\": {..}}, \"timestamp\"}`"),
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
