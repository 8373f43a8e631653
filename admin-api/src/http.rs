//! HTTP behaviour common to every route, decided before routing and independent of the path:
//! HEAD served by GET routes, and request bodies read to their end before an answer goes out.

use std::cell::RefCell;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage};
use futures_util::{Stream, StreamExt};

use crate::error::ApiError;
use crate::PAYLOAD_LIMIT;

/// Marks a request that arrived as HEAD (it is routed as GET).
#[derive(Debug, Clone, Copy)]
pub struct Head;

/// App middleware: HEAD is GET without the body (RFC 9110 §9.3.2), so a HEAD request is routed
/// to the GET route of its path, with that route's [`crate::access::Need`]. actix-http saw the
/// HEAD when it parsed the request and sends the response head only, with GET's headers.
pub async fn head_as_get<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
        req.extensions_mut().insert(Head);
    }
    next.call(req).await
}

/// Whether `req` asks to switch protocols (`Connection: upgrade` with an `Upgrade` header).
fn is_upgrade(req: &ServiceRequest) -> bool {
    let connection_upgrade = req
        .headers()
        .get_all(header::CONNECTION)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    connection_upgrade && req.headers().contains_key(header::UPGRADE)
}

/// At most this much of a request body is read and dropped after its answer is ready.
const DRAIN_LIMIT: u64 = 4 * PAYLOAD_LIMIT as u64;
/// And for at most this long.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// The request body, shared between the handler (which reads it through this) and
/// [`whole_bodies`] (which reads what the handler left).
struct Shared(Rc<RefCell<Payload>>);

impl Stream for Shared {
    type Item = Result<Bytes, PayloadError>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.borrow_mut().poll_next_unpin(cx)
    }
}

/// App middleware, outermost but for the WisPanel envelope: a body declared larger than any
/// route accepts ([`PAYLOAD_LIMIT`]) is answered 413 before routing; and whatever a handler or a
/// refusal left of the body is read and dropped (up to [`DRAIN_LIMIT`] and [`DRAIN_TIME`])
/// before the answer goes out. An HTTP/2 answer sent while the client is still uploading ends
/// the stream with RST_STREAM, which RFC 9113 §8.1 allows after a complete response but which
/// clients such as curl 7.88 report as an error (92) without showing the answer; read to its
/// end, the request completes and the 413 or 401 arrives on HTTP/2 as on HTTP/1.1.
pub async fn whole_bodies<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if is_upgrade(&req) {
        // The "body" of an upgrade is the new protocol's stream (`/realtime/ws`): it ends when
        // the connection does, and belongs to the handler alone.
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = Rc::new(RefCell::new(req.take_payload()));
    req.set_payload(Payload::Stream {
        payload: Box::pin(Shared(body.clone())),
    });
    let res = if declared.is_some_and(|n| n > PAYLOAD_LIMIT as u64) {
        req.error_response(ApiError::PayloadTooLarge)
    } else {
        next.call(req).await?.map_into_boxed_body()
    };
    if declared.is_none_or(|n| n <= DRAIN_LIMIT) {
        let drain = async {
            let mut left = DRAIN_LIMIT;
            while let Some(Ok(chunk)) = poll_fn(|cx| body.borrow_mut().poll_next_unpin(cx)).await {
                match left.checked_sub(chunk.len() as u64) {
                    Some(l) => left = l,
                    None => break,
                }
            }
        };
        let _ = actix_web::rt::time::timeout(DRAIN_TIME, drain).await;
    }
    Ok(res)
}
