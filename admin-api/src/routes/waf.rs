//! §8.12 protocol settings: TLS versions (stored), HTTP/3 (not supported, said so).

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db;
use crate::error::ApiError;
use crate::state::AppState;

/// TLS versions this stack can speak (rustls / Pingora: no SSLv3, TLS 1.0 or 1.1).
const SUPPORTED: &[&str] = &["1.2", "1.3"];
const KV_KEY: &str = "tls_versions";

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_tls)
        .service(set_tls)
        .service(get_http3)
        .service(set_http3);
}

/// `{"versions": ["1.2", "1.3"]}`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TlsVersions {
    /// Enabled TLS versions.
    pub versions: Vec<String>,
}

/// A checked, non-empty, sorted set of supported versions.
#[derive(Debug)]
pub struct TlsVersionSet(Vec<String>);

impl TryFrom<TlsVersions> for TlsVersionSet {
    type Error = ApiError;
    fn try_from(t: TlsVersions) -> Result<Self, ApiError> {
        let mut v = Vec::new();
        for s in t.versions {
            let s = s.trim().trim_start_matches("TLSv").to_string();
            if !SUPPORTED.contains(&s.as_str()) {
                return Err(ApiError::field(
                    "versions",
                    format!("unsupported TLS version `{s}` (supported: 1.2, 1.3)"),
                ));
            }
            if !v.contains(&s) {
                v.push(s);
            }
        }
        if v.is_empty() {
            return Err(ApiError::field("versions", "at least one version"));
        }
        v.sort();
        Ok(TlsVersionSet(v))
    }
}

/// Enabled TLS versions.
#[utoipa::path(tag = "waf", responses((status = 200, description = "`{\"versions\": [..], \"supported\": [..]}`")))]
#[get("/waf/tls-versions")]
async fn get_tls(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let stored = state.with_db(|c| db::kv_get(c, KV_KEY))?;
    let versions: Vec<String> = stored
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_else(|| SUPPORTED.iter().map(|s| s.to_string()).collect());
    Ok(HttpResponse::Ok().json(json!({ "versions": versions, "supported": SUPPORTED })))
}

/// Set the enabled TLS versions (1.2 and/or 1.3).
#[utoipa::path(tag = "waf", request_body = TlsVersions,
    responses((status = 200, description = "`{\"message\": \"TLS versions updated\"}`")))]
#[post("/waf/tls-versions")]
async fn set_tls(
    state: web::Data<AppState>,
    body: web::Json<TlsVersions>,
) -> Result<HttpResponse, ApiError> {
    let set = TlsVersionSet::try_from(body.into_inner())?;
    let text = serde_json::to_string(&set.0).map_err(ApiError::internal)?;
    state.with_db(|c| db::kv_set(c, KV_KEY, &text))?;
    Ok(HttpResponse::Ok().json(json!({
        "message": "TLS versions updated",
        "versions": set.0,
        "note": "stored; waf-proxy applies TLS settings at its next start",
    })))
}

/// HTTP/3 status: not supported by this WAF.
#[utoipa::path(tag = "waf", responses((status = 200, description = "`{\"enabled\": false, \"supported\": false}`")))]
#[get("/waf/http3")]
async fn get_http3() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "enabled": false,
        "supported": false,
        "message": "HTTP/3 (QUIC) is not supported by this WAF",
    }))
}

/// Enabling HTTP/3 is refused: the data plane does not speak QUIC.
#[utoipa::path(tag = "waf", responses((status = 501, description = "not_implemented")))]
#[post("/waf/http3")]
async fn set_http3() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotImplemented(
        "HTTP/3 (QUIC) is not supported by this WAF".into(),
    ))
}
