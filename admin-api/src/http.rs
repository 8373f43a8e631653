//! HTTP behaviour common to every route, decided before routing and independent of the path.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

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
