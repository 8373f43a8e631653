//! `GET /realtime/ws` (§8.16): the realtime feed ([`crate::realtime`]) over a WebSocket.
//!
//! The key and its scope are checked on the upgrade request by the route's [`Need`], like any
//! other call; a refused upgrade gets the usual JSON error (401, 403, 429), and one past the
//! client cap 503 `service_busy`. Each client then gets a task of its own that forwards the feed
//! and answers pings. A client is dropped, never buffered: when it falls more than the queue
//! behind it is closed with code [`CLOSE_TOO_SLOW`]; when one message cannot be handed to its
//! connection within the send timeout (it stopped reading and its socket is full) it is closed
//! the same way if the close frame still fits, or just cut off.

use actix_web::{get, web, HttpRequest, HttpResponse};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use tokio::sync::broadcast::error::RecvError;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::access::{Module, Need};
use crate::error::{ApiError, ErrorBody};
use crate::gate::Authorized;
use crate::realtime::{RealtimeMessage, Subscription, CLOSE_TOO_SLOW};

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ws);
}

/// How long a close frame may wait to be queued on a connection being dropped.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// The realtime feed as a WebSocket.
///
/// Upgrade with `Authorization: Bearer <key>` (scope `realtime:read`). The server then sends
/// text frames, each one JSON `RealtimeMessage`: `{"type": "traffic", "timestamp", "time",
/// "requests", "blocked", "total_requests", "blocked_requests"}` once per second (the requests
/// and blocks waf-proxy counted in that second; none for a second the proxy did not answer), and
/// `{"type": "attack", "event": {...}}` for every attack event as soon as it is ingested (the
/// event as `GET /attack/logs/{id}` returns it). Messages from the client are ignored (pings are
/// answered). A client more than 1024 messages behind, or whose connection does not take a
/// message within 10 s, is closed with code 4008 (`too slow: ...`). When the server stops,
/// clients are closed with 1001.
#[utoipa::path(tag = "realtime", responses(
    (status = 101, description = "Switching Protocols: the WebSocket; every text frame is one `RealtimeMessage`",
        body = RealtimeMessage, content_type = "application/json"),
    (status = 400, description = "validation_error: not a WebSocket upgrade request", body = ErrorBody),
    (status = 401, description = "missing_token, invalid_key", body = ErrorBody),
    (status = 403, description = "scope_denied (needs realtime:read), key_disabled, key_expired, https_required", body = ErrorBody),
    (status = 503, description = "service_busy: every realtime client slot is taken (Retry-After)", body = ErrorBody)))]
#[get("/realtime/ws", wrap = "Need::read(Module::Realtime)")]
async fn ws(
    state: Authorized,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (res, session, stream) = actix_ws::handle(&req, body).map_err(|e| {
        ApiError::field(
            "upgrade",
            format!("a WebSocket upgrade request is required: {e}"),
        )
    })?;
    let sub = state.realtime.subscribe(&state.proxy)?;
    actix_web::rt::spawn(serve(session, stream, sub));
    Ok(res)
}

/// Forwards the feed to one client until it goes away or is dropped as too slow.
async fn serve(mut session: Session, mut stream: MessageStream, mut sub: Subscription) {
    let timeout = sub.send_timeout;
    loop {
        tokio::select! {
            msg = sub.rx.recv() => match msg {
                Ok(text) => match tokio::time::timeout(timeout, session.text(text.to_string())).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return, // The connection is gone.
                    Err(_) => {
                        let why = format!("too slow: a message waited more than {timeout:?}");
                        return drop_slow(session, why).await;
                    }
                },
                Err(RecvError::Lagged(n)) => {
                    return drop_slow(session, format!("too slow: {n} messages dropped")).await;
                }
                Err(RecvError::Closed) => {
                    let _ = tokio::time::timeout(CLOSE_WAIT, session.close(Some(CloseCode::Away.into()))).await;
                    return;
                }
            },
            incoming = stream.recv() => match incoming {
                Some(Ok(Message::Ping(bytes))) => {
                    match tokio::time::timeout(timeout, session.pong(&bytes)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => return,
                        Err(_) => return drop_slow(session, "too slow: pong not taken".into()).await,
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    let _ = tokio::time::timeout(CLOSE_WAIT, session.close(None)).await;
                    return;
                }
                Some(Ok(_)) => {} // Text, binary, pongs: nothing to do.
            },
        }
    }
}

/// Closes a client that fell behind with [`CLOSE_TOO_SLOW`] and `why`; if even the close frame
/// cannot be queued, the session is dropped, which ends the connection.
async fn drop_slow(session: Session, why: String) {
    tracing::info!(reason = %why, "realtime client dropped");
    let reason = CloseReason {
        code: CloseCode::Other(CLOSE_TOO_SLOW),
        description: Some(why),
    };
    let _ = tokio::time::timeout(CLOSE_WAIT, session.close(Some(reason))).await;
}
