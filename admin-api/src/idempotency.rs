//! `Idempotency-Key` on POST/PUT/PATCH/DELETE: exactly one request per key runs its handler.
//!
//! The key is reserved in SQLite before the handler runs ([`db::idempotent_reserve`], one
//! transaction, the table's primary key deciding), so of concurrent requests with one key one
//! runs, and the others get 409 `idempotency_key_in_use` (with Retry-After) while it runs, then
//! its stored answer (`Idempotent-Replayed: true`) for 24 h. The same key with another request
//! (method, routed path, query, body) is 409 `idempotency_key_conflict`. A 5xx, or a request
//! cancelled mid-way (the client went away), frees the key for a retry.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::http::{Method, StatusCode};
use actix_web::web::Bytes;
use actix_web::{Error, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use crate::db::{self, Reservation, StoredResponse};
use crate::error::ApiError;
use crate::keys::Caller;
use crate::state::{now, AppState};

/// Idempotency records live this long (seconds).
pub const IDEMPOTENCY_TTL: i64 = 24 * 3600;

/// An in-flight reservation older than this (seconds) belonged to a process that died; a new
/// request may take the key over. No handler runs anywhere near this long.
const IN_FLIGHT_STALE: i64 = 300;

/// Frees the reservation when dropped unless the response was stored: the handler failed with a
/// 5xx or its future was dropped (client gone).
struct Held<'a> {
    state: &'a AppState,
    key_id: i64,
    idem_key: &'a str,
    stored: bool,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if self.stored {
            return;
        }
        let freed = self
            .state
            .with_db(|c| db::idempotent_release(c, self.key_id, self.idem_key));
        if let Err(e) = freed {
            tracing::warn!(error = %e, "idempotency reservation not released");
        }
    }
}

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
        return Ok(req.error_response(ApiError::field("Idempotency-Key", "1 to 255 characters")));
    }
    let body = match req.extract::<Bytes>().await {
        Ok(b) => b,
        Err(_) => return Ok(req.error_response(ApiError::PayloadTooLarge)),
    };
    let fingerprint = {
        let mut h = Sha256::new();
        for part in [
            req.method().as_str(),
            req.match_info().as_str(),
            req.query_string(),
        ] {
            h.update(part);
            h.update([0]);
        }
        h.update(&body);
        hex::encode(h.finalize())
    };
    let t = now();
    let reserved = state.with_db(|c| {
        db::idempotent_reserve(
            c,
            caller.id,
            &idem_key,
            &fingerprint,
            t,
            t - IDEMPOTENCY_TTL,
            t - IN_FLIGHT_STALE,
        )
    });
    match reserved {
        Err(e) => return Ok(req.error_response(e)),
        Ok(Reservation::InFlight(f))
        | Ok(Reservation::Done(StoredResponse { fingerprint: f, .. }))
            if f != fingerprint =>
        {
            return Ok(req.error_response(ApiError::IdempotencyConflict))
        }
        Ok(Reservation::InFlight(_)) => {
            return Ok(req.error_response(ApiError::IdempotencyInFlight))
        }
        Ok(Reservation::Done(s)) => {
            let status = StatusCode::from_u16(s.status).unwrap_or(StatusCode::OK);
            let res = HttpResponse::build(status)
                .content_type(s.content_type)
                .insert_header(("idempotent-replayed", "true"))
                .body(s.body);
            return Ok(req.into_response(res));
        }
        Ok(Reservation::Reserved) => {}
    }
    let mut held = Held {
        state,
        key_id: caller.id,
        idem_key: &idem_key,
        stored: false,
    };
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
        match state.with_db(|c| db::idempotent_complete(c, caller.id, &idem_key, &stored)) {
            Ok(()) => held.stored = true,
            Err(e) => tracing::warn!(error = %e, "idempotency record not stored"),
        }
    }
    drop(held);
    Ok(ServiceResponse::new(
        http_req,
        res.set_body(BoxBody::new(bytes)),
    ))
}
