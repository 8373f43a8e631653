//! Protocol settings: TLS versions (written to the rule set's `settings.tls_versions`, which
//! waf-proxy applies to new TLS handshakes at its reload), HTTP/3 (not supported, said so), and
//! the CC proof-of-work challenge for clients that solve it themselves (issued and checked by
//! waf-proxy, which holds the secret, over its control socket).

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use super::bodies::Clearance;
use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::proxy::ReloadOutcome;
use waf_core::control::{ControlData, ControlRequest};

/// TLS versions this stack can speak (Pingora/OpenSSL as built: no SSLv3, TLS 1.0 or 1.1).
const SUPPORTED: &[&str] = &["1.2", "1.3"];

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_tls)
        .service(set_tls)
        .service(get_http3)
        .service(set_http3)
        .service(challenge_generate)
        .service(challenge_verify);
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

/// `{"versions", "supported"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TlsVersionsBody {
    /// Enabled TLS versions.
    pub versions: Vec<String>,
    /// Versions this stack can speak.
    pub supported: Vec<&'static str>,
}

/// `{"message", "versions", "note", "reload"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TlsVersionsSet {
    /// `TLS versions updated`.
    pub message: String,
    /// The versions now enabled.
    pub versions: Vec<String>,
    /// When they apply, in words.
    pub note: &'static str,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

/// `{"enabled": false, "supported": false, "message"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Http3Status {
    /// Always false.
    pub enabled: bool,
    /// Always false: the data plane does not speak QUIC.
    pub supported: bool,
    /// Why.
    pub message: &'static str,
}

/// A proof-of-work challenge for a client that solves it itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChallengeIssuedBody {
    /// The token (`expiry.mac`), bound to the client IP.
    pub token: String,
    /// Leading zero bits the digest needs.
    pub difficulty: u8,
    /// Unix time after which the token is refused.
    pub expires_at: u64,
    /// The client it is bound to.
    pub client_ip: String,
    /// What to compute, in words.
    pub algorithm: &'static str,
    /// Where the client sends its answer, in words.
    pub verify_path: &'static str,
}

/// Enabled TLS versions (the rule set's `settings.tls_versions`; both when it does not say).
#[utoipa::path(tag = "waf", responses((status = 200, body = TlsVersionsBody)))]
#[get("/waf/tls-versions", wrap = "Need::read(Module::Waf)")]
async fn get_tls(state: Authorized) -> Result<HttpResponse, ApiError> {
    let versions: Vec<String> = state
        .rules_doc()?
        .settings()
        .tls_versions
        .unwrap_or_else(|| SUPPORTED.iter().map(|s| s.to_string()).collect());
    Ok(HttpResponse::Ok().json(TlsVersionsBody {
        versions,
        supported: SUPPORTED.to_vec(),
    }))
}

/// Set the enabled TLS versions (1.2 and/or 1.3). Written through the rule store like every rule
/// change; waf-proxy applies it to TLS handshakes from its reload on (open connections keep theirs).
#[utoipa::path(tag = "waf", request_body = TlsVersions,
    responses((status = 200, body = TlsVersionsSet),
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
    Ok(HttpResponse::Ok().json(TlsVersionsSet {
        message: "TLS versions updated".into(),
        versions,
        note,
        reload,
    }))
}

/// HTTP/3 status: not supported by this WAF.
#[utoipa::path(tag = "waf", responses((status = 200, body = Http3Status)))]
#[get("/waf/http3", wrap = "Need::read(Module::Waf)")]
async fn get_http3() -> HttpResponse {
    HttpResponse::Ok().json(Http3Status {
        enabled: false,
        supported: false,
        message: "HTTP/3 (QUIC) is not supported by this WAF",
    })
}

/// Enabling HTTP/3 is refused: the data plane does not speak QUIC.
#[utoipa::path(tag = "waf", responses((status = 501, description = "not_implemented")))]
#[post("/waf/http3", wrap = "Need::write(Module::Waf)")]
async fn set_http3() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotImplemented(
        "HTTP/3 (QUIC) is not supported by this WAF".into(),
    ))
}

/// `{"client_ip": "203.0.113.7"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeFor {
    /// The client the challenge and its clearance are bound to.
    pub client_ip: String,
}

/// `{"client_ip", "token", "nonce"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeAnswer {
    /// The client the challenge was generated for.
    pub client_ip: String,
    /// The token of `generate`.
    pub token: String,
    /// The answer (at most 32 characters).
    pub nonce: String,
}

fn client_ip(s: &str) -> Result<String, ApiError> {
    s.trim()
        .parse::<std::net::IpAddr>()
        .map(|ip| ip.to_string())
        .map_err(|_| ApiError::field("client_ip", "an IPv4 or IPv6 address"))
}

/// A CC proof-of-work challenge for a client that solves it itself (an app that cannot run the
/// challenge page's script): find `nonce` such that SHA-256(token ":" nonce) starts with
/// `difficulty` zero bits.
#[utoipa::path(tag = "waf", request_body = ChallengeFor,
    responses((status = 200, body = ChallengeIssuedBody),
              (status = 400, description = "validation_error"), (status = 503, description = "proxy_unavailable")))]
#[post("/waf/cc-challenge/generate", wrap = "Need::write(Module::Waf)")]
async fn challenge_generate(
    state: Authorized,
    body: web::Json<ChallengeFor>,
) -> Result<HttpResponse, ApiError> {
    let ip = client_ip(&body.client_ip)?;
    let resp = state
        .proxy
        .call(&ControlRequest::ChallengeIssue { ip: ip.clone() })
        .await?;
    let Some(ControlData::Challenge(c)) = resp.data else {
        return Err(ApiError::ProxyUnavailable(resp.error.unwrap_or_default()));
    };
    Ok(HttpResponse::Ok().json(ChallengeIssuedBody {
        token: c.token,
        difficulty: c.difficulty,
        expires_at: c.expires_at,
        client_ip: ip,
        algorithm: "sha256: nonce of at most 32 characters such that SHA-256(token + \":\" + nonce) starts with `difficulty` zero bits",
        verify_path: "/.well-known/waf-challenge?token=..&nonce=..&return=/path (on waf-proxy, from the client itself)",
    }))
}

/// Check a solved challenge; on success the clearance cookie for that client (send it as
/// `Cookie` to waf-proxy from that IP).
#[utoipa::path(tag = "waf", request_body = ChallengeAnswer,
    responses((status = 200, body = Clearance),
              (status = 400, description = "validation_error (wrong nonce, expired token, other client IP)"),
              (status = 503, description = "proxy_unavailable")))]
#[post("/waf/cc-challenge/verify", wrap = "Need::write(Module::Waf)")]
async fn challenge_verify(
    state: Authorized,
    body: web::Json<ChallengeAnswer>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let ip = client_ip(&b.client_ip)?;
    if b.nonce.is_empty() || b.nonce.len() > 32 {
        return Err(ApiError::field("nonce", "1-32 characters"));
    }
    if b.token.len() > 200 {
        return Err(ApiError::field("token", "not a challenge token"));
    }
    let resp = state
        .proxy
        .call(&ControlRequest::ChallengeVerify {
            ip,
            token: b.token,
            nonce: b.nonce,
        })
        .await?;
    match resp.data {
        Some(ControlData::Clearance(c)) => {
            let cookie = c
                .set_cookie
                .split(';')
                .next()
                .unwrap_or_default()
                .to_string();
            Ok(HttpResponse::Ok().json(Clearance {
                message: "Challenge passed".into(),
                valid: true,
                cookie,
                set_cookie: c.set_cookie,
                expires_at: c.clearance_expires_at,
            }))
        }
        _ => Err(ApiError::field(
            "nonce",
            resp.error.unwrap_or_else(|| "challenge not solved".into()),
        )),
    }
}
