//! The Pingora [`ProxyHttp`] implementation: the WAF's request path.
//!
//! Phases in the order Pingora runs them; each says in one line what the WAF does there. The
//! request body's inspection is in `body.rs`, CC counting and bans in `cc.rs`, the cache hooks in
//! `cache.rs`, the false-positive report form in `feedback.rs`, the observation room's capture
//! in `observe.rs`, and the answers the WAF writes itself (refusal pages, challenge, captcha) in
//! `answer.rs`.

mod answer;
mod body;
mod cache;
mod cc;
mod feedback;
mod observe;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use pingora_cache::key::HashBinary;
use pingora_cache::{CacheKey, CacheMeta, RespCacheable};
use pingora_core::protocols::ALPN;
use pingora_core::upstreams::peer::HttpPeer;
use pingora_error::{Error, ErrorSource, ErrorType, Result};
use pingora_http::{RequestHeader, ResponseHeader};
use pingora_proxy::{FailToProxy, ProxyHttp, Session};
use waf_core::model::Action;
use waf_core::{Match, Policy, Verdict};

use crate::body::HeldBody;
use crate::captcha::CAPTCHA_PATH;
use crate::challenge::VERIFY_PATH;
use crate::config::OnInspectionError;
use crate::decode;
use crate::error::Refusal;
use crate::guard;
use crate::inspect::{self, EventInput, Facts};
use crate::state::Shared;
use crate::tls::Sni;
use crate::upstream::Upstream;

/// The WAF proxy service. Shared state lives here (behind `Arc`), never in statics.
pub struct WafProxy {
    /// Policy, routes, limiter, counters, events.
    pub shared: Arc<Shared>,
}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Site(u64),
    Default,
}

/// Per-request state.
pub struct Ctx {
    policy: Option<Arc<Policy>>,
    request_id: Option<String>,
    client_ip: Option<IpAddr>,
    host: String,
    country: Option<crate::geo::CountryCode>,
    tls: bool,
    route: Option<Route>,
    site_id: u64,
    /// Whether the client holds a valid challenge cookie: looked up the first time a challenge
    /// is at stake (most requests never need it).
    cleared: Option<bool>,
    /// Body being buffered for inspection; `None` once passed through (or not inspected).
    body: Option<HeldBody>,
    /// The body was read and inspected in `request_filter` ([`WafProxy::preread_body`]).
    preread: bool,
    /// The `Content-Encoding` of the body, decoded before inspection (empty: none).
    codings: Vec<decode::Coding>,
    body_seen: u64,
    /// Rule ids already recorded as `log` (so the body pass does not record them twice).
    logged_rules: Vec<String>,
    refusal: Option<Refusal>,
    blocked: bool,
    logged: bool,
    upstream: Option<Arc<Upstream>>,
    upstream_start: Option<Instant>,
    /// The site's cache settings when the cache is on for this request.
    cache: Option<waf_core::model::SiteCache>,
    /// The observation capture, when an observation rule may record this exchange.
    obs: Option<Box<crate::observe::Capture>>,
}

impl Ctx {
    /// Bytes of a body the pinned policy inspects (`settings.body_limit`).
    fn body_limit(&self) -> usize {
        self.policy
            .as_ref()
            .map_or(usize::MAX, |p| p.settings().body_limit)
    }

    fn request_id(&mut self, shared: &Shared) -> String {
        self.request_id
            .get_or_insert_with(|| shared.request_id())
            .clone()
    }
}

/// The decision about a verdict.
enum Decision {
    Pass,
    Refuse(Refusal),
}

impl WafProxy {
    /// Whether the client holds a valid challenge cookie for its IP (computed once per request).
    fn cleared(&self, session: &Session, ctx: &mut Ctx) -> bool {
        *ctx.cleared.get_or_insert_with(|| {
            ctx.client_ip.is_some_and(|ip| {
                self.shared.challenger.has_clearance(
                    ip,
                    session
                        .req_header()
                        .headers
                        .get(http::header::COOKIE)
                        .map(|v| v.as_bytes()),
                )
            })
        })
    }

    /// Records events and counters for a verdict and decides.
    fn decide(&self, session: &Session, ctx: &mut Ctx, v: &Verdict) -> Decision {
        let effective = match v.action {
            Action::Challenge | Action::Captcha if self.cleared(session, ctx) => Action::Log,
            a => a,
        };
        if let Some(m) = &v.matched {
            match effective {
                Action::Block | Action::Challenge | Action::Captcha | Action::Log => {
                    if effective != Action::Log || !ctx.logged_rules.contains(&m.rule_id) {
                        self.record(session, ctx, m, effective);
                    }
                }
                Action::Allow => {}
            }
        }
        for m in &v.logged {
            if !ctx.logged_rules.contains(&m.rule_id) {
                self.record(session, ctx, m, Action::Log);
            }
        }
        match (effective, &v.matched) {
            // A body that parsers read differently is a bad request, not an attack found.
            (Action::Block, Some(m))
                if m.rule_id.parse() == Ok(waf_core::protocol_ids::AMBIGUOUS_BODY) =>
            {
                Decision::Refuse(Refusal::Ambiguous {
                    rule_id: m.rule_id.clone(),
                })
            }
            (Action::Block, Some(m)) => Decision::Refuse(Refusal::Blocked {
                rule_id: m.rule_id.clone(),
            }),
            (Action::Block, None) => Decision::Refuse(Refusal::Blocked {
                rule_id: String::new(),
            }),
            (Action::Challenge, _) => Decision::Refuse(Refusal::Challenge),
            (Action::Captcha, _) => Decision::Refuse(Refusal::Captcha),
            _ => Decision::Pass,
        }
    }

    /// One event plus counters for match `m`, with the action taken.
    fn record(&self, session: &Session, ctx: &mut Ctx, m: &Match, action: Action) {
        let s = &self.shared;
        if action == Action::Log {
            ctx.logged = true;
            ctx.logged_rules.push(m.rule_id.clone());
        } else {
            s.stats
                .block(m.attack_type.as_str(), &m.rule_id, action.as_str());
        }
        if s.events.enabled() {
            let id = ctx.request_id(s);
            let ev = inspect::event(
                session.req_header(),
                m,
                &EventInput {
                    request_id: &id,
                    site_id: ctx.site_id,
                    host: &ctx.host,
                    client_ip: ctx.client_ip,
                    country: ctx.country.as_ref().map(|c| c.as_str()),
                    action: action.as_str(),
                },
            );
            s.events.send(ev);
        }
    }

    fn facts<'a>(&self, ctx: &'a Ctx) -> Facts<'a> {
        Facts {
            host: &ctx.host,
            client_ip: ctx.client_ip,
            country: ctx.country.as_ref().map(|c| c.as_str()),
        }
    }

    /// Logs an inspection failure; the refusal to send when `on_inspection_error` is `closed`,
    /// `None` (forward uninspected) when it is `open`.
    fn inspection_failed(&self, ctx: &mut Ctx, e: guard::InspectionError) -> Option<Refusal> {
        let id = ctx.request_id(&self.shared);
        match self.shared.on_inspection_error {
            OnInspectionError::Closed => {
                tracing::error!(request_id = %id, host = %ctx.host, "{e}; refused (on_inspection_error: closed)");
                Some(Refusal::InspectionFailed)
            }
            OnInspectionError::Open => {
                tracing::error!(request_id = %id, host = %ctx.host, "{e}; forwarded uninspected (on_inspection_error: open)");
                None
            }
        }
    }
}

#[async_trait]
impl ProxyHttp for WafProxy {
    type CTX = Ctx;

    /// Per request: an empty context; the policy is pinned in `request_filter`.
    fn new_ctx(&self) -> Ctx {
        Ctx {
            policy: None,
            request_id: None,
            client_ip: None,
            host: String::new(),
            country: None,
            tls: false,
            route: None,
            site_id: 0,
            cleared: None,
            body: None,
            preread: false,
            codings: Vec::new(),
            body_seen: 0,
            logged_rules: Vec::new(),
            refusal: None,
            blocked: false,
            logged: false,
            upstream: None,
            upstream_start: None,
            cache: None,
            obs: None,
        }
    }

    /// The request head is complete: its deadline (conn.rs) no longer applies.
    async fn early_request_filter(&self, session: &mut Session, _ctx: &mut Ctx) -> Result<()> {
        crate::conn::head_done(session);
        Ok(())
    }

    /// Request line and headers: pin the policy, resolve client IP and site, enforce header and
    /// body size limits, HTTPS redirect, maintenance mode, the challenge endpoint, CC bans, then inspect the
    /// request line and headers; a body of known length up to [`PREREAD_MAX`] is read and
    /// inspected here too, before the origin is connected ([`WafProxy::preread_body`]).
    async fn request_filter(&self, session: &mut Session, ctx: &mut Ctx) -> Result<bool> {
        let s = &self.shared;
        let policy = s.policy.load_full();
        ctx.policy = Some(policy.clone());
        let peer = session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip());
        let ssl = session.digest().and_then(|d| d.ssl_digest.clone());
        ctx.tls = ssl.is_some();
        let sni = ssl
            .as_ref()
            .and_then(|d| d.extension.get::<Sni>())
            .map(|s| s.0.clone());
        {
            let req = session.req_header();
            ctx.client_ip = inspect::client_ip(peer, req, &s.trusted_proxies);
            ctx.host = inspect::host(req, sni.as_deref());
        }
        self.observe_start(session, ctx, &policy);
        if inspect::header_bytes(session.req_header()) > s.limits.max_header_bytes {
            return self.refuse(session, ctx, Refusal::HeadersTooLarge).await;
        }
        // One inspected-body decision for every framing: a length that is not one number
        // (`22,22`, which Pingora accepts, or two headers) is refused as RFC 9110 §8.6 allows,
        // so that no origin reads another length than the one inspected.
        if !inspect::content_length_valid(session.req_header()) {
            return self.refuse(session, ctx, Refusal::BadRequest).await;
        }
        if inspect::content_length(session.req_header())
            .is_some_and(|n| n > s.limits.max_body_bytes)
        {
            return self.refuse(session, ctx, Refusal::BodyTooLarge).await;
        }
        // ACME HTTP-01: an exact pending token of this host is answered here, before the HTTPS
        // redirect, maintenance, CC and inspection (the CA must reach it whatever the site does).
        if let Some(key_auth) = self.acme_answer(session, ctx) {
            return self.answer_acme(session, key_auth).await;
        }
        // Routing: the site of this host, else the default upstream, else 404.
        let site = policy.site_for_host(&ctx.host);
        // On TLS the Host must belong to the site the SNI named (no domain fronting through
        // another site's certificate); 421 lets an HTTP/2 client retry on its own connection.
        if let Some(sni) = sni.as_deref() {
            if sni != ctx.host && policy.site_for_host(sni).map(|s| s.id) != site.map(|s| s.id) {
                return self.refuse(session, ctx, Refusal::Misdirected).await;
            }
        }
        match site {
            Some(site) if site.enabled => {
                ctx.route = Some(Route::Site(site.id));
                ctx.site_id = site.id;
            }
            Some(_) => return self.refuse(session, ctx, Refusal::UnknownHost).await,
            None if s.routes.load().default.is_some() => ctx.route = Some(Route::Default),
            None => return self.refuse(session, ctx, Refusal::UnknownHost).await,
        }
        if let Some(site) = site {
            if !ctx.tls && site.enable_https && site.force_https_redirect {
                let uri = session
                    .req_header()
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str());
                let location = format!("https://{}{}", ctx.host, uri);
                return self
                    .refuse(session, ctx, Refusal::RedirectHttps { location })
                    .await;
            }
            // Maintenance: the site's page for everyone; the origin is never contacted.
            if let Some(m) = &site.maintenance {
                let r = Refusal::Maintenance {
                    message: m.message.clone(),
                    retry_after: m.retry_after,
                };
                return self.refuse(session, ctx, r).await;
            }
        }
        if s.no_waf {
            return Ok(false);
        }
        if session.req_header().uri.path() == VERIFY_PATH {
            return self.verify_challenge(session, ctx).await;
        }
        if session.req_header().uri.path() == CAPTCHA_PATH {
            return self.answer_captcha(session, ctx).await;
        }
        if session.req_header().uri.path() == crate::feedback::FEEDBACK_PATH {
            return self.answer_feedback(session, ctx).await;
        }
        ctx.country = s.country(ctx.client_ip);
        // CC: count this request under every rule for host + path; refuse while banned.
        if let Some(r) = self.cc_refusal(session, ctx, &policy) {
            return self.refuse(session, ctx, r).await;
        }
        let v = match guard::run(
            Some(&policy),
            session.req_header(),
            &self.facts(ctx),
            &[],
            false,
        ) {
            Ok(v) => v,
            Err(e) => {
                return match self.inspection_failed(ctx, e) {
                    Some(r) => self.refuse(session, ctx, r).await,
                    None => Ok(false),
                }
            }
        };
        let allowed = v.action == Action::Allow && v.matched.is_some();
        if let Decision::Refuse(r) = self.decide(session, ctx, &v) {
            return self.refuse(session, ctx, r).await;
        }
        if !allowed {
            return self.start_body(session, ctx, &policy).await;
        }
        Ok(false)
    }

    /// Body chunks: enforce the body size limit; a body not read in `request_filter` (longer than
    /// [`PREREAD_MAX`], or of unknown length) is buffered up to `body_limit` bytes, then the
    /// whole body (or its prefix, passing or blocking per `oversize_body`) is inspected before
    /// any of it reaches the origin. A body read in `request_filter` passes as it is.
    async fn request_body_filter(
        &self,
        session: &mut Session,
        body: &mut Option<Bytes>,
        end_of_stream: bool,
        ctx: &mut Ctx,
    ) -> Result<()> {
        let len = body.as_ref().map_or(0, |b| b.len()) as u64;
        ctx.body_seen += len;
        // A body read in `request_filter` was captured there; this is Pingora sending it on.
        if let (Some(c), Some(b), false) = (ctx.obs.as_mut(), body.as_ref(), ctx.preread) {
            c.request_chunk(b);
        }
        if ctx.body_seen > self.shared.limits.max_body_bytes {
            ctx.refusal = Some(Refusal::BodyTooLarge);
            return Err(Error::explain(
                ErrorType::HTTPStatus(413),
                "request body too large",
            ));
        }
        let Some(mut held) = ctx.body.take() else {
            if end_of_stream && body.as_ref().is_some_and(|b| b.is_empty()) {
                // An empty last chunk would be written upstream as a second terminator.
                *body = None;
            }
            return Ok(());
        };
        if let Some(chunk) = body.take() {
            held.push(chunk);
        }
        if end_of_stream || held.bytes().len() > ctx.body_limit() {
            // Past the inspection limit only its prefix is inspected; the rest streams.
            self.inspect_held(session, ctx, held.bytes(), end_of_stream)?;
            let bytes = held.into_bytes();
            // Pingora writes an empty chunk as the terminating chunk, and then its own: an
            // empty body goes as `None`, which ends it once.
            *body = (!bytes.is_empty()).then_some(bytes);
        } else {
            // Hold the chunk until the body is complete or the limit is reached. An empty chunk
            // (not `None`, which Pingora takes for the end of the body) sends nothing upstream.
            *body = Some(Bytes::new());
            ctx.body = Some(held);
        }
        Ok(())
    }

    /// After inspection passed: the cache is on for a body-less `GET` of a site that caches
    /// (so a blocked request never reaches a lookup).
    fn request_cache_filter(&self, session: &mut Session, ctx: &mut Ctx) -> Result<()> {
        self.enable_cache(session, ctx);
        Ok(())
    }

    /// Cache key: scheme, host and request target.
    fn cache_key_callback(&self, session: &Session, ctx: &mut Ctx) -> Result<CacheKey> {
        Ok(self.cache_key(session, ctx))
    }

    /// Whether the origin's response is stored (RFC 9111 shared-cache rules, the site's TTL).
    fn response_cache_filter(
        &self,
        session: &Session,
        resp: &ResponseHeader,
        ctx: &mut Ctx,
    ) -> Result<RespCacheable> {
        self.cacheable(session, resp, ctx)
    }

    /// Variant key from the stored response's `Vary` and this request's headers.
    fn cache_vary_filter(
        &self,
        meta: &CacheMeta,
        _ctx: &mut Ctx,
        req: &RequestHeader,
    ) -> Option<HashBinary> {
        self.vary(meta, req)
    }

    /// Upstream choice: round robin among the healthy upstreams of the routed site (or the
    /// default upstream), with the configured timeouts and HTTP/2 where the site allows it.
    async fn upstream_peer(&self, _session: &mut Session, ctx: &mut Ctx) -> Result<Box<HttpPeer>> {
        let routes = self.shared.routes.load();
        let pool = match ctx.route {
            Some(Route::Site(id)) => routes.sites.get(&id),
            Some(Route::Default) => routes.default.as_ref(),
            None => None,
        };
        let Some(up) = pool.and_then(|p| p.select()).cloned() else {
            return Err(Error::explain(
                ErrorType::ConnectNoRoute,
                "no upstream for this site",
            ));
        };
        let Some(addr) = up.socket else {
            return Err(Error::explain(
                ErrorType::ConnectNoRoute,
                "upstream address unresolved",
            ));
        };
        let l = &self.shared.limits;
        let mut peer = HttpPeer::new(addr, up.addr.tls, up.addr.host.clone());
        peer.options.connection_timeout = Some(Duration::from_millis(l.connect_timeout_ms));
        peer.options.read_timeout = Some(Duration::from_millis(l.read_timeout_ms));
        peer.options.write_timeout = Some(Duration::from_millis(l.write_timeout_ms));
        peer.options.idle_timeout = Some(Duration::from_secs(l.idle_timeout_secs));
        if up.addr.tls && up.http2 {
            peer.options.alpn = ALPN::H2H1;
        }
        ctx.upstream = Some(up);
        ctx.upstream_start = Some(Instant::now());
        Ok(Box::new(peer))
    }

    /// Upstream request header: set X-Forwarded-For, X-Real-IP and X-Forwarded-Proto; drop
    /// `Expect` when the body was already read.
    async fn upstream_request_filter(
        &self,
        session: &mut Session,
        upstream_request: &mut RequestHeader,
        ctx: &mut Ctx,
    ) -> Result<()> {
        if ctx.preread {
            // The client's 100 Continue came from the WAF, and the body is already here.
            upstream_request.remove_header(&http::header::EXPECT);
        }
        let Some(ip) = ctx.client_ip else {
            return Ok(());
        };
        let peer = session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip());
        let prior = upstream_request
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let peer_trusted = peer.is_some_and(|p| self.shared.trusted_proxies.contains(p));
        let xff = match (prior, peer) {
            (Some(p), Some(peer)) if peer_trusted => format!("{p}, {peer}"),
            (_, Some(peer)) => peer.to_string(),
            (_, None) => ip.to_string(),
        };
        upstream_request.insert_header("X-Forwarded-For", xff)?;
        upstream_request.insert_header("X-Real-IP", ip.to_string())?;
        upstream_request
            .insert_header("X-Forwarded-Proto", if ctx.tls { "https" } else { "http" })?;
        Ok(())
    }

    /// Upstream response header: record the upstream latency.
    async fn upstream_response_filter(
        &self,
        _session: &mut Session,
        _upstream_response: &mut ResponseHeader,
        ctx: &mut Ctx,
    ) -> Result<()> {
        if let Some(t) = ctx.upstream_start.take() {
            self.shared
                .stats
                .prom
                .upstream_latency
                .observe(t.elapsed().as_secs_f64());
        }
        Ok(())
    }

    /// Connect failures: mark retryable once so round robin can try another upstream.
    fn fail_to_connect(
        &self,
        _session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut Ctx,
        mut e: Box<Error>,
    ) -> Box<Error> {
        self.shared.stats.prom.upstream_errors.inc();
        let many = matches!(ctx.route, Some(Route::Site(id)) if self.shared.routes.load().sites.get(&id).is_some_and(|p| p.servers.len() > 1));
        if many && ctx.body.is_none() && ctx.body_seen == 0 {
            e.set_retry(true);
        }
        e
    }

    /// Response body chunks: an observed exchange keeps their prefix.
    fn response_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        _end_of_stream: bool,
        ctx: &mut Ctx,
    ) -> Result<Option<Duration>> {
        if let (Some(c), Some(b)) = (ctx.obs.as_mut(), body.as_ref()) {
            c.response_chunk(b);
        }
        Ok(None)
    }

    /// Fatal errors: our refusal page (body blocks, 413) or a 502/504 page; never a panic, never
    /// the internal cause in the response.
    async fn fail_to_proxy(&self, session: &mut Session, e: &Error, ctx: &mut Ctx) -> FailToProxy {
        let r = ctx.refusal.take().unwrap_or_else(|| Refusal::for_error(e));
        if matches!(r, Refusal::BadGateway | Refusal::GatewayTimeout) {
            self.shared.stats.prom.upstream_errors.inc();
            tracing::warn!(host = %ctx.host, "upstream failure: {e}");
        }
        let code = r.status();
        // A refusal cannot be written when the client is gone or the response already started.
        let gone = matches!(
            e.etype(),
            ErrorType::WriteError | ErrorType::ReadError | ErrorType::ConnectionClosed
        ) && e.esource() == &ErrorSource::Downstream;
        if gone || session.response_written().is_some() {
            return FailToProxy {
                error_code: if gone { 0 } else { code },
                can_reuse_downstream: false,
            };
        }
        if let Err(err) = self.refuse(session, ctx, r).await {
            tracing::debug!("could not send the error page: {err}");
        }
        FailToProxy {
            error_code: code,
            can_reuse_downstream: false,
        }
    }

    /// A client that went away mid-request (closed, reset, timed out) is counted and logged at
    /// debug: any client can cause it, and at error level it was a log flood on demand.
    fn suppress_error_log(&self, _session: &Session, _ctx: &Ctx, e: &Error) -> bool {
        let gone = e.esource() == &ErrorSource::Downstream
            && matches!(
                e.etype(),
                ErrorType::ConnectionClosed
                    | ErrorType::ReadError
                    | ErrorType::ReadTimedout
                    | ErrorType::WriteError
                    | ErrorType::WriteTimedout
            );
        if gone {
            crate::logs::count_client_disconnect();
            tracing::debug!("client went away: {e}");
        }
        gone
    }

    /// End of every request: counters (requests, blocks, logs by site, cache hits and misses),
    /// and the observation record when an observation rule matched.
    async fn logging(&self, session: &mut Session, _e: Option<&Error>, ctx: &mut Ctx) {
        self.count_cache(session, ctx);
        self.observe_finish(session, ctx);
        self.shared
            .stats
            .request(ctx.site_id, ctx.blocked, ctx.logged);
        if ctx.tls {
            self.shared.stats.tls_request();
        }
    }
}
