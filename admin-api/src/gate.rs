//! The middleware in front of every route: blocked prefixes, authentication (API key or admin token),
//! HTTPS rule, rate limit, scopes, Idempotency-Key replay, audit.
//!
//! Order for a keyed path: blocked? -> token present? -> HTTPS or loopback? -> key valid, enabled,
//! unexpired? -> counted against the rate limit (429 past it) -> scope -> idempotency -> handler ->
//! audit when the status is a success. Every response after the key is known carries the
//! X-RateLimit-* headers.

use std::net::IpAddr;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use crate::access::{classify, Gate};
use crate::db::{self, AuditEntry, StoredResponse};
use crate::error::ApiError;
use crate::keys::{self, PresentedKey};
use crate::state::{now, AppState, RateStatus, Transport};

/// Idempotency records live this long (seconds).
const IDEMPOTENCY_TTL: i64 = 24 * 3600;

/// Who made an authenticated call.
struct Caller {
    /// Key id (0 for the admin token).
    id: i64,
    /// Key prefix, or `admin`.
    prefix: String,
}

/// The middleware function, installed with `middleware::from_fn(gate)`.
pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(refuse(req, ApiError::internal("AppState missing")).await);
    };
    let gate = classify(req.method(), req.path());
    let (caller, rate) = match gate {
        None | Some(Gate::Public) => return Ok(next.call(req).await?.map_into_boxed_body()),
        Some(Gate::Blocked) => return Ok(refuse(req, ApiError::EndpointNotExposed).await),
        Some(Gate::Admin) => match authenticate_admin(&req, &state) {
            Ok(c) => (c, None),
            Err(e) => return Ok(refuse(req, e).await),
        },
        Some(Gate::Key { module, access }) => {
            let key = match authenticate_key(&req, &state) {
                Ok(k) => k,
                Err(e) => return Ok(refuse(req, e).await),
            };
            let rate = state.limiter.hit(key.info.id, now() as u64);
            let refused = if rate.limited {
                Some(ApiError::RateLimited {
                    retry_after: rate.reset.saturating_sub(now() as u64).max(1),
                })
            } else if !key.scopes.allows(&module, access) {
                let need = match access {
                    keys::Access::Read => "read",
                    keys::Access::Write => "write",
                };
                Some(ApiError::ScopeDenied(format!("{module}:{need}")))
            } else {
                None
            };
            if let Some(e) = refused {
                let mut res = refuse(req, e).await;
                add_rate_headers(&mut res, &rate);
                return Ok(res);
            }
            state
                .last_used
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key.info.id, now());
            (
                Caller {
                    id: key.info.id,
                    prefix: key.info.prefix,
                },
                Some(rate),
            )
        }
    };

    let mut res = idempotent(req, next, &state, &caller).await?;
    if res.status().is_success() {
        let entry = AuditEntry {
            key_prefix: caller.prefix,
            method: res.request().method().to_string(),
            path: res.request().path().to_string(),
            status: res.status().as_u16(),
            source_ip: res
                .request()
                .peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
            created_at: now(),
        };
        if let Err(e) = state.with_db(|c| db::audit(c, &entry)) {
            tracing::warn!(error = %e, "audit write failed");
        }
    }
    if let Some(rate) = rate {
        add_rate_headers(&mut res, &rate);
    }
    Ok(res)
}

/// Answers `e` without running the handler. The request body is read (up to the payload limit)
/// and dropped first: over HTTP/2 an answer sent before the body is consumed makes actix reset the
/// stream, and clients then see a protocol error instead of the JSON error.
async fn refuse(mut req: ServiceRequest, e: ApiError) -> ServiceResponse<BoxBody> {
    let _ = req.extract::<Bytes>().await;
    req.error_response(e)
}

fn bearer(req: &ServiceRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::MissingToken)?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::MissingToken)?;
    Ok(token.to_string())
}

fn check_transport(req: &ServiceRequest, state: &AppState) -> Result<(), ApiError> {
    if state.transport == Transport::Tls {
        return Ok(());
    }
    let loopback = req
        .peer_addr()
        .map(|a| match a.ip() {
            IpAddr::V4(v4) => v4.is_loopback(),
            IpAddr::V6(v6) => {
                v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v| v.is_loopback())
            }
        })
        .unwrap_or(false);
    if loopback {
        Ok(())
    } else {
        Err(ApiError::HttpsRequired)
    }
}

fn authenticate_admin(req: &ServiceRequest, state: &AppState) -> Result<Caller, ApiError> {
    let token = bearer(req)?;
    check_transport(req, state)?;
    if state.is_admin_token(&token) {
        return Ok(Caller {
            id: 0,
            prefix: "admin".into(),
        });
    }
    if PresentedKey::parse(&token).is_some() {
        // API keys cannot manage keys.
        return Err(ApiError::EndpointNotExposed);
    }
    Err(ApiError::InvalidKey)
}

fn authenticate_key(req: &ServiceRequest, state: &AppState) -> Result<keys::StoredKey, ApiError> {
    let token = bearer(req)?;
    check_transport(req, state)?;
    let presented = PresentedKey::parse(&token).ok_or(ApiError::InvalidKey)?;
    let key = state
        .with_db(|c| keys::find(c, presented.prefix))?
        .ok_or(ApiError::InvalidKey)?;
    if !key.verify(presented.secret) {
        return Err(ApiError::InvalidKey);
    }
    if !key.info.enabled {
        return Err(ApiError::KeyDisabled);
    }
    if key.info.expire_at != 0 && key.info.expire_at <= now() {
        return Err(ApiError::KeyExpired);
    }
    Ok(key)
}

fn add_rate_headers(res: &mut ServiceResponse<BoxBody>, rate: &RateStatus) {
    let h = res.headers_mut();
    for (name, v) in [
        ("x-ratelimit-limit", rate.limit),
        ("x-ratelimit-remaining", rate.remaining),
        ("x-ratelimit-reset", rate.reset),
    ] {
        h.insert(header::HeaderName::from_static(name), HeaderValue::from(v));
    }
}

/// Runs the handler, honouring `Idempotency-Key` on POST/PUT/PATCH/DELETE.
async fn idempotent(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    state: &AppState,
    caller: &Caller,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let mutating = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let idem_key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let Some(idem_key) = idem_key.filter(|_| mutating) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if idem_key.is_empty() || idem_key.len() > 255 {
        return Ok(refuse(
            req,
            ApiError::field("Idempotency-Key", "1 to 255 characters"),
        )
        .await);
    }
    let body = match req.extract::<Bytes>().await {
        Ok(b) => b,
        Err(_) => return Ok(req.error_response(ApiError::PayloadTooLarge)),
    };
    let mut h = Sha256::new();
    h.update(req.method().as_str());
    h.update([0]);
    h.update(req.uri().to_string());
    h.update([0]);
    h.update(&body);
    let fingerprint = hex::encode(h.finalize());
    let since = now() - IDEMPOTENCY_TTL;
    match state.with_db(|c| db::idempotent_get(c, caller.id, &idem_key, since)) {
        Err(e) => return Ok(req.error_response(e)),
        Ok(Some(s)) if s.fingerprint != fingerprint => {
            return Ok(req.error_response(ApiError::IdempotencyConflict))
        }
        Ok(Some(s)) => {
            let status = StatusCode::from_u16(s.status).unwrap_or(StatusCode::OK);
            let res = HttpResponse::build(status)
                .content_type(s.content_type)
                .insert_header(("idempotent-replayed", "true"))
                .body(s.body);
            return Ok(req.into_response(res));
        }
        Ok(None) => {}
    }
    req.set_payload(Payload::from(body));
    let (http_req, res) = next.call(req).await?.into_parts();
    let (res, body) = res.into_parts();
    let Ok(bytes) = actix_web::body::to_bytes(body).await else {
        let e = ApiError::internal("response body unreadable");
        return Ok(ServiceResponse::new(http_req, e.error_response()));
    };
    if !res.status().is_server_error() {
        let stored = StoredResponse {
            fingerprint,
            status: res.status().as_u16(),
            content_type: res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_string(),
            body: bytes.to_vec(),
        };
        let put = state.with_db(|c| db::idempotent_put(c, caller.id, &idem_key, &stored, now()));
        if let Err(e) = put {
            tracing::warn!(error = %e, "idempotency record not stored");
        }
    }
    Ok(ServiceResponse::new(
        http_req,
        res.set_body(BoxBody::new(bytes)),
    ))
}
