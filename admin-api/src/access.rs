//! What each route needs, declared where the route is registered.
//!
//! Every handler's routing attribute carries its [`Need`] as resource middleware:
//!
//! ```ignore
//! #[get("/acl/rules", wrap = "Need::read(Module::Acl)")]
//! ```
//!
//! actix runs a resource's middleware only after its router matched that resource, so the check
//! ([`crate::gate`]) is always the one of the handler that will run, whatever spelling of the
//! path the request used: the router and the check cannot disagree. A request that matches no
//! route gets the default 404 and touches nothing; a route registered without a declaration
//! cannot reach the shared state ([`crate::gate::Authorized`] is only put into the request by a
//! passed check) and its answer is replaced by a 500 ([`crate::gate::undeclared`]).
//!
//! The blocked prefixes are routes too ([`configure_blocked`]), matched by the same router on
//! the same normalised path.

use actix_web::{web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
pub use crate::gate::Need;
pub use crate::keys::{Access, Module};

/// The API base of the reference.
pub const BASE: &str = "/openapi/v1";

/// Blocked prefixes below [`BASE`]: every path starting with one of them (`/order` covers
/// `/order-list`), any method.
pub const BLOCKED: &[&str] = &[
    "/update",
    "/panel",
    "/license",
    "/order",
    "/internal",
    "/openapi",
];

/// Registers the blocked prefixes as routes answering 403 `endpoint_not_exposed` (not documented).
/// Called first in the [`BASE`] scope, so no other route below it can shadow them.
pub fn configure_blocked(cfg: &mut ServiceConfig) {
    cfg.map(|c| {
        for prefix in BLOCKED {
            c.service(
                web::resource(format!("{prefix}{{tail:.*}}"))
                    .wrap(Need::blocked())
                    .to(not_exposed),
            );
        }
        c
    });
}

/// The handler behind a blocked route (its [`Need::Blocked`] answers before it could run).
async fn not_exposed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::EndpointNotExposed)
}
