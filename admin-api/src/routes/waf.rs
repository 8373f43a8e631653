//! §8.12 protocol settings: TLS versions (written to the rule set's `settings.tls_versions`, which
//! waf-proxy applies to new TLS handshakes at its reload), HTTP/3 (not supported, said so).

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

use super::written;
use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;

/// TLS versions this stack can speak (Pingora/OpenSSL as built: no SSLv3, TLS 1.0 or 1.1).
const SUPPORTED: &[&str] = &["1.2", "1.3"];

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_tls)
        .service(set_tls)
        .service(get_http3)
        .service(set_http3);
}

/// `{"versions": ["1.2", "1.3"]}`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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

/// Enabled TLS versions (the rule set's `settings.tls_versions`; both when it does not say).
#[utoipa::path(tag = "waf", responses((status = 200, description = "`{\"versions\": [..], \"supported\": [..]}`")))]
#[get("/waf/tls-versions", wrap = "Need::read(Module::Waf)")]
async fn get_tls(state: Authorized) -> Result<HttpResponse, ApiError> {
    let versions: Vec<String> = state
        .rules_doc()?
        .settings()
        .tls_versions
        .unwrap_or_else(|| SUPPORTED.iter().map(|s| s.to_string()).collect());
    Ok(HttpResponse::Ok().json(json!({ "versions": versions, "supported": SUPPORTED })))
}

/// Set the enabled TLS versions (1.2 and/or 1.3). Written through the rule store like every rule
/// change; waf-proxy applies it to TLS handshakes from its reload on (open connections keep theirs).
#[utoipa::path(tag = "waf", request_body = TlsVersions,
    responses((status = 200, description = "`{\"message\": \"TLS versions updated\", \"versions\": [..], \"reload\": {..}}`"),
              (status = 400, description = "validation_error")))]
#[post("/waf/tls-versions", wrap = "Need::write(Module::Waf)")]
async fn set_tls(
    state: Authorized,
    body: web::Json<TlsVersions>,
) -> Result<HttpResponse, ApiError> {
    let set = TlsVersionSet::try_from(body.into_inner())?;
    let versions = set.0.clone();
    let ((), reload) = state
        .change(|doc| {
            doc.settings_mut().tls_versions = Some(set.0);
            Ok(())
        })
        .await?;
    let note = if reload.applied {
        "applied by waf-proxy to new TLS handshakes"
    } else {
        "saved; waf-proxy applies it at its next start or reload"
    };
    Ok(written(
        json!({ "message": "TLS versions updated", "versions": versions, "note": note }),
        reload,
    ))
}

/// HTTP/3 status: not supported by this WAF.
#[utoipa::path(tag = "waf", responses((status = 200, description = "`{\"enabled\": false, \"supported\": false}`")))]
#[get("/waf/http3", wrap = "Need::read(Module::Waf)")]
async fn get_http3() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "enabled": false,
        "supported": false,
        "message": "HTTP/3 (QUIC) is not supported by this WAF",
    }))
}

/// Enabling HTTP/3 is refused: the data plane does not speak QUIC.
#[utoipa::path(tag = "waf", responses((status = 501, description = "not_implemented")))]
#[post("/waf/http3", wrap = "Need::write(Module::Waf)")]
async fn set_http3() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotImplemented(
        "HTTP/3 (QUIC) is not supported by this WAF".into(),
    ))
}
