//! Public helpers: no key, not audited.

use actix_web::{get, HttpResponse};
use serde::Serialize;
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

/// The rate limit of API keys.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RateLimit {
    /// Calls allowed per key within `window`.
    pub limit: u64,
    /// Window in seconds.
    pub window: u64,
}

/// What a client needs to know before its first call.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicConfig {
    /// `waf-admin`.
    pub name: &'static str,
    /// waf-admin's version.
    pub version: &'static str,
    /// The engine's version.
    pub engine_version: &'static str,
    /// Base path of the routes (`/openapi/v1`).
    pub api_base: &'static str,
    /// Whether this listener speaks TLS.
    pub https: bool,
    /// The rate limit of API keys.
    pub rate_limit: RateLimit,
    /// Path of the OpenAPI document.
    pub openapi: &'static str,
}

/// `{"language"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Language {
    /// Panel language (`en`).
    pub language: &'static str,
}

/// Public configuration for clients bootstrapping.
#[utoipa::path(tag = "public", security(()), responses((status = 200, body = PublicConfig)))]
#[get("/config", wrap = "Need::public()")]
async fn config(state: Authorized) -> HttpResponse {
    HttpResponse::Ok().json(PublicConfig {
        name: "waf-admin",
        version: env!("CARGO_PKG_VERSION"),
        engine_version: waf_core::ENGINE_VERSION,
        api_base: crate::access::BASE,
        https: state.transport == Transport::Tls,
        rate_limit: RateLimit {
            limit: state.limiter.limit,
            window: state.limiter.window,
        },
        openapi: "/openapi.yaml",
    })
}

/// Panel language.
#[utoipa::path(tag = "public", security(()), responses((status = 200, body = Language)))]
#[get("/waf/language", wrap = "Need::public()")]
async fn language() -> HttpResponse {
    HttpResponse::Ok().json(Language { language: "en" })
}
