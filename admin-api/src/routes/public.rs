//! Public helpers: no key, not audited.

use actix_web::{get, HttpResponse};
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::access::Need;
use crate::gate::Authorized;
use crate::state::Transport;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ping).service(config).service(language);
}

/// Health probe: `pong`.
#[utoipa::path(tag = "public", security(()),
    responses((status = 200, description = "pong", content_type = "text/plain", body = String)))]
#[get("/ping", wrap = "Need::public()")]
async fn ping() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("pong")
}

/// Public configuration for clients bootstrapping.
#[utoipa::path(tag = "public", security(()),
    responses((status = 200, description = "`{\"name\", \"version\", ...}`")))]
#[get("/config", wrap = "Need::public()")]
async fn config(state: Authorized) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "name": "waf-admin",
        "version": env!("CARGO_PKG_VERSION"),
        "engine_version": waf_core::ENGINE_VERSION,
        "api_base": crate::access::BASE,
        "https": state.transport == Transport::Tls,
        "rate_limit": { "limit": state.limiter.limit, "window": state.limiter.window },
        "openapi": "/openapi.yaml",
    }))
}

/// Panel language.
#[utoipa::path(tag = "public", security(()),
    responses((status = 200, description = "`{\"language\": \"en\"}`")))]
#[get("/waf/language", wrap = "Need::public()")]
async fn language() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "language": "en" }))
}
