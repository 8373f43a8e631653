//! `Idempotency-Key` on POST/PUT/PATCH/DELETE: the first response to a key is stored (24 h) and
//! replayed for the same request; the same key with another request is 409.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::http::{Method, StatusCode};
use actix_web::web::Bytes;
use actix_web::{Error, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use crate::db::{self, StoredResponse};
use crate::error::ApiError;
use crate::gate::{refuse, Caller};
use crate::state::{now, AppState};

/// Idempotency records live this long (seconds).
pub const IDEMPOTENCY_TTL: i64 = 24 * 3600;

/// Runs the route's `service`, honouring `Idempotency-Key` on POST/PUT/PATCH/DELETE.
pub async fn run<S, B>(
    mut req: ServiceRequest,
    service: &S,
    state: &AppState,
    caller: &Caller,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody + 'static,
{
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
        return Ok(service.call(req).await?.map_into_boxed_body());
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
    let (http_req, res) = service.call(req).await?.into_parts();
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
