//! The check of a route's [`Need`]: authentication (API key or admin token), HTTPS rule, rate
//! limit, scopes, Idempotency-Key replay, audit. It is the resource middleware each
//! route declares (see [`crate::access`]), so it runs on the route the router matched.
//!
//! Order for a keyed route: token present? -> HTTPS or loopback? -> key valid, enabled,
//! unexpired? -> counted against the rate limit (429 past it) -> scope -> idempotency -> handler
//! -> audit when the status is a success. Every response after the key is known carries the
//! X-RateLimit-* headers.
//!
//! The shared state is not app data handlers can extract: it is stored [`Sealed`], and a passed
//! check puts it into the request as [`Authorized`], the only way a handler reaches it.

use std::future::{ready, Ready};
use std::net::IpAddr;
use std::ops::Deref;
use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::db::{self, AuditEntry};
use crate::error::ApiError;
use crate::keys::{self, Access, Caller, Module, PresentedKey};
use crate::state::{now, AppState, RateStatus, Transport};

/// What a route needs before its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Helpers and `/openapi.yaml`: no key, not audited.
    Public,
    /// The admin token (key management); API keys are refused.
    Admin,
    /// An API key with this scope.
    Key {
        /// Module of the scope.
        module: Module,
        /// Read or write.
        access: Access,
    },
    /// Blocked prefixes: never exposed, whatever the credential.
    Blocked,
}

impl Need {
    /// No credential.
    pub const fn public() -> Need {
        Need::Public
    }

    /// The admin token.
    pub const fn admin() -> Need {
        Need::Admin
    }

    /// An API key that may read `module`.
    pub const fn read(module: Module) -> Need {
        Need::Key {
            module,
            access: Access::Read,
        }
    }

    /// An API key that may write `module`.
    pub const fn write(module: Module) -> Need {
        Need::Key {
            module,
            access: Access::Write,
        }
    }

    /// Refused with 403 `endpoint_not_exposed`.
    pub const fn blocked() -> Need {
        Need::Blocked
    }
}

/// The state as app data: only this module can open it.
#[derive(Debug, Clone)]
pub struct Sealed(web::Data<AppState>);

impl Sealed {
    /// Seals `state` (registered with `App::app_data`).
    pub fn new(state: web::Data<AppState>) -> Self {
        Sealed(state)
    }
}

/// The shared state, for a handler whose route declared a [`Need`] that this request met.
/// Extracting it anywhere else fails with a 500.
#[derive(Debug, Clone)]
pub struct Authorized(web::Data<AppState>);

impl Authorized {
    /// The state itself, for work that outlives the handler (a streamed response).
    pub fn into_inner(self) -> std::sync::Arc<AppState> {
        self.0.into_inner()
    }
}

impl Deref for Authorized {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        &self.0
    }
}

impl FromRequest for Authorized {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Authorized>()
                .cloned()
                .ok_or_else(|| ApiError::internal(undeclared_message(req))),
        )
    }
}

/// The [`Need`] a request was checked against (in its extensions once the check ran).
#[derive(Debug, Clone, Copy)]
struct Declared;

fn undeclared_message(req: &HttpRequest) -> String {
    format!(
        "route {} {} has no access declaration",
        req.method(),
        req.match_pattern()
            .unwrap_or_else(|| req.path().to_string())
    )
}

/// App-level middleware, innermost: deny by default. A response from a route whose [`Need`]
/// did not run (a route registered without `wrap = "Need::..."`) is replaced by a 500; the
/// handler could not touch the state ([`Authorized`] was never put in).
pub async fn undeclared(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let res = next.call(req).await?;
    if res.request().extensions().get::<Declared>().is_some() {
        return Ok(res.map_into_boxed_body());
    }
    let e = ApiError::internal(undeclared_message(res.request()));
    Ok(res.error_response(e))
}

impl<S, B> Transform<S, ServiceRequest> for Need
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = Checked<S>;
    type InitError = ();
    type Future = Ready<Result<Checked<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(Checked {
            need: *self,
            service: Rc::new(service),
        }))
    }
}

/// A route's service behind the check of its [`Need`].
pub struct Checked<S> {
    need: Need,
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for Checked<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let (need, service) = (self.need, self.service.clone());
        Box::pin(check(need, req, service))
    }
}

/// Runs the route's handler when `need` is met, or answers the refusal.
async fn check<S, B>(
    need: Need,
    req: ServiceRequest,
    service: Rc<S>,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    req.extensions_mut().insert(Declared);
    let Some(Sealed(state)) = req.app_data::<Sealed>().cloned() else {
        return Ok(refuse(req, ApiError::internal("AppState missing")));
    };
    let (caller, rate) = match need {
        Need::Public => {
            req.extensions_mut().insert(Authorized(state));
            return Ok(service.call(req).await?.map_into_boxed_body());
        }
        Need::Blocked => return Ok(refuse(req, ApiError::EndpointNotExposed)),
        Need::Admin => match authenticate_admin(&req, &state) {
            Ok(c) => (c, None),
            Err(e) => return Ok(refuse(req, e)),
        },
        Need::Key { module, access } => {
            let key = match authenticate_key(&req, &state) {
                Ok(k) => k,
                Err(e) => return Ok(refuse(req, e)),
            };
            let rate = state.limiter.hit(key.info.id, now() as u64);
            let refused = if rate.limited {
                Some(ApiError::RateLimited {
                    retry_after: rate.reset.saturating_sub(now() as u64).max(1),
                })
            } else if !key.scopes.allows(module, access) {
                let need = match access {
                    keys::Access::Read => "read",
                    keys::Access::Write => "write",
                };
                Some(ApiError::ScopeDenied(format!("{module}:{need}")))
            } else {
                None
            };
            if let Some(e) = refused {
                let mut res = refuse(req, e);
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

    req.extensions_mut().insert(Authorized(state.clone()));
    let mut res = crate::idempotency::run(req, service.as_ref(), &state, &caller).await?;
    // A WebSocket upgrade (101) is a successful call too.
    if res.status().is_success() || res.status() == actix_web::http::StatusCode::SWITCHING_PROTOCOLS
    {
        let r = res.request();
        let entry = AuditEntry {
            key_prefix: caller.prefix,
            method: match r.extensions().get::<crate::http::Head>() {
                Some(_) => "HEAD".to_string(),
                None => r.method().to_string(),
            },
            // The path the router matched (percent-decoded but for `/`, `%` and `+`).
            path: r.match_info().as_str().to_string(),
            status: res.status().as_u16(),
            source_ip: r
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

/// Answers `e` without running the handler (the rest of the request body is drained by
/// [`crate::http::whole_bodies`], so HTTP/2 clients get the answer, not a reset).
pub(crate) fn refuse(req: ServiceRequest, e: ApiError) -> ServiceResponse<BoxBody> {
    req.error_response(e)
}

/// The credential of `Authorization: Bearer <token>`. The scheme is case-insensitive and may be
/// followed by several spaces (RFC 9110 §11.1, §11.4).
fn bearer(req: &ServiceRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::MissingToken)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(ApiError::MissingToken)?;
    let token = token.trim_start_matches(' ');
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::MissingToken);
    }
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
