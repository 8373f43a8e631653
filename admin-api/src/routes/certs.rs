//! Certificate store: upload (multipart) and hot reload.

use actix_multipart::Multipart;
use actix_web::{post, HttpResponse};
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::control::ControlRequest;

use super::bodies::ProxyAnswered;
use super::{multipart_fields, pem_from_fields, text_field};
use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::state::AppState;
use crate::tls::PemPair;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(upload).service(reload_certs);
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !n.starts_with('.')
        && !n.starts_with("site-")
}

/// A certificate of the store by name (`cert/upload`'s `name`).
pub fn load_named(state: &AppState, name: &str) -> Result<PemPair, ApiError> {
    if !valid_name(name) {
        return Err(ApiError::field(
            "cert_name",
            "letters, digits, -, _ and . only",
        ));
    }
    let dir = state.data_dir.join("certs");
    let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{name}.{ext}")));
    match (read("crt"), read("key")) {
        (Ok(c), Ok(k)) => PemPair::parse(c, k).map_err(|e| ApiError::field("cert_name", e)),
        _ => Err(ApiError::NotFound(format!("certificate {name}"))),
    }
}

/// `{"message", "name"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CertUploaded {
    /// `Certificate uploaded`.
    pub message: String,
    /// The name it is stored under (`cert_name` of `site/update-cert`).
    pub name: String,
}

/// Upload a certificate to the store: multipart `cert_file`, `key_file`, optional `name`.
#[utoipa::path(tag = "cert",
    request_body(content_type = "multipart/form-data", description = "cert_file, key_file, name (optional)"),
    responses((status = 200, body = CertUploaded), (status = 400, description = "validation_error")))]
#[post("/cert/upload", wrap = "Need::write(Module::Cert)")]
async fn upload(state: Authorized, mp: Multipart) -> Result<HttpResponse, ApiError> {
    let fields = multipart_fields(mp).await?;
    let pair = pem_from_fields(&fields)?;
    let name = text_field(&fields, "name")?
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("cert-{}", crate::state::now()));
    if !valid_name(&name) {
        return Err(ApiError::field(
            "name",
            "letters, digits, -, _ and . only (not starting with site-)",
        ));
    }
    pair.save(&state.data_dir.join("certs"), &name)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(CertUploaded {
        message: "Certificate uploaded".into(),
        name,
    }))
}

/// Reload certificates in waf-proxy (a full reload: it reads certificates with the rules).
#[utoipa::path(tag = "cert", responses(
    (status = 200, body = ProxyAnswered),
    (status = 503, description = "proxy_unavailable")))]
#[post("/cert/reload", wrap = "Need::write(Module::Cert)")]
async fn reload_certs(state: Authorized) -> Result<HttpResponse, ApiError> {
    let resp = state.proxy.call(&ControlRequest::Reload).await?;
    if !resp.ok {
        return Err(ApiError::Conflict(format!(
            "waf-proxy refused the reload: {}",
            resp.error.clone().unwrap_or_default()
        )));
    }
    Ok(HttpResponse::Ok().json(ProxyAnswered {
        message: "Certificates reloaded".into(),
        proxy: resp,
    }))
}
