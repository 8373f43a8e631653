//! The request body's inspection: how a body is read (before the origin is connected when it is
//! short, held chunk by chunk otherwise), decoded when it is encoded, and inspected.

use std::time::Duration;

use pingora_core::protocols::http::v1::common::is_expect_continue_req;
use pingora_error::{Error, ErrorType, Result};
use pingora_proxy::Session;
use waf_core::model::BodyEncoding;
use waf_core::Policy;

use super::{Ctx, Decision, WafProxy};
use crate::body::HeldBody;
use crate::decode;
use crate::error::Refusal;
use crate::guard;
use crate::inspect;

/// Largest body read and inspected in `request_filter`, before the origin is connected: the size
/// of Pingora's retry buffer (`BODY_BUF_LIMIT` in pingora-core, 64 KiB), from which Pingora then
/// sends the body upstream. Longer bodies, and bodies of unknown length, are held back chunk by
/// chunk in `request_body_filter` instead, after the request head has gone upstream.
const PREREAD_MAX: u64 = 64 * 1024;

impl WafProxy {
    /// After the head passed: whether a body follows, by the framing Pingora reads it with (a
    /// length, chunks, or on HTTP/2 a stream not ended with the headers, where a length is
    /// optional), and how it will be inspected: its `Content-Encoding` decoded or refused
    /// (415), then read here when short ([`PREREAD_MAX`]) or held chunk by chunk in
    /// `request_body_filter`.
    pub(super) async fn start_body(
        &self,
        session: &mut Session,
        ctx: &mut Ctx,
        policy: &Policy,
    ) -> Result<bool> {
        if session.as_mut().is_body_empty() {
            return Ok(false);
        }
        match decode::codings(&inspect::content_encoding(session.req_header())) {
            Ok(c) if c.is_empty() => {}
            Ok(_) if policy.body_encoding(&ctx.host) == BodyEncoding::Refuse => {
                return self
                    .refuse(session, ctx, Refusal::UnsupportedEncoding)
                    .await;
            }
            Ok(c) => ctx.codings = c,
            Err(()) => {
                return self
                    .refuse(session, ctx, Refusal::UnsupportedEncoding)
                    .await;
            }
        }
        session.set_read_timeout(Some(Duration::from_millis(
            self.shared.limits.client_read_timeout_ms,
        )));
        if inspect::content_length(session.req_header()).is_some_and(|n| n <= PREREAD_MAX) {
            return self.preread_body(session, ctx).await;
        }
        ctx.body = Some(HeldBody::default());
        Ok(false)
    }

    /// Reads a body of at most [`PREREAD_MAX`] announced bytes and inspects it before any
    /// connection to the origin: a refused request never reaches the origin, not even its head
    /// (as nginx's `proxy_request_buffering` does). Pingora keeps what was read in its retry
    /// buffer and sends it upstream from there, through `request_body_filter`, which passes it
    /// unchanged. A client that asked for `100 Continue` gets it from here, and the `Expect`
    /// header is not forwarded (the origin gets the whole body at once).
    pub(super) async fn preread_body(&self, session: &mut Session, ctx: &mut Ctx) -> Result<bool> {
        ctx.preread = true;
        if is_expect_continue_req(session.req_header()) {
            session.write_continue_response().await?;
        }
        session.as_mut().enable_retry_buffering();
        let mut held = HeldBody::default();
        while let Some(chunk) = session.read_request_body().await? {
            held.push(chunk);
        }
        if let Some(c) = ctx.obs.as_mut() {
            c.request_chunk(held.bytes());
        }
        if self.inspect_held(session, ctx, held.bytes(), true).is_err() {
            let r = ctx.refusal.take().unwrap_or(Refusal::BadRequest);
            return self.refuse(session, ctx, r).await;
        }
        Ok(false)
    }

    /// Inspects a held body: the whole of it, or its first `body_limit` bytes as a truncated
    /// body (passed or blocked per `oversize_body`). An encoded body is decoded first, into at
    /// most `body_limit` bytes; `complete` says whether `buf` is all of it.
    pub(super) fn inspect_held(
        &self,
        session: &Session,
        ctx: &mut Ctx,
        buf: &[u8],
        complete: bool,
    ) -> Result<()> {
        let limit = ctx.body_limit();
        if !ctx.codings.is_empty() {
            return match decode::decode(buf, &ctx.codings, limit, complete) {
                decode::Decoded::Body(plain, truncated) => {
                    self.inspect_body(session, ctx, &plain, truncated)
                }
                decode::Decoded::Corrupt => {
                    ctx.refusal = Some(Refusal::BadRequest);
                    Err(Error::explain(
                        ErrorType::HTTPStatus(400),
                        "request body not in its Content-Encoding",
                    ))
                }
            };
        }
        match buf.get(..limit) {
            Some(prefix) if buf.len() > limit => self.inspect_body(session, ctx, prefix, true),
            _ => self.inspect_body(session, ctx, buf, false),
        }
    }

    fn inspect_body(
        &self,
        session: &Session,
        ctx: &mut Ctx,
        buf: &[u8],
        truncated: bool,
    ) -> Result<()> {
        if buf.is_empty() && !truncated {
            // An empty body adds nothing to the header pass of `request_filter`.
            return Ok(());
        }
        let policy = ctx.policy.clone();
        let v = match guard::run(
            policy.as_deref(),
            session.req_header(),
            &self.facts(ctx),
            buf,
            truncated,
        ) {
            Ok(v) => v,
            Err(e) => match self.inspection_failed(ctx, e) {
                None => return Ok(()),
                Some(r) => {
                    let status = r.status();
                    ctx.refusal = Some(r);
                    return Err(Error::explain(
                        ErrorType::HTTPStatus(status),
                        "request not inspected",
                    ));
                }
            },
        };
        match self.decide(session, ctx, &v) {
            Decision::Pass => Ok(()),
            Decision::Refuse(r) => {
                let status = r.status();
                ctx.refusal = Some(r);
                Err(Error::explain(
                    ErrorType::HTTPStatus(status),
                    "refused by the WAF",
                ))
            }
        }
    }
}
