//! The answers the WAF writes itself instead of proxying: refusal pages (block, challenge,
//! captcha, limits, errors), the endpoints of the challenge form and the captcha page, and the
//! ACME HTTP-01 answers of pending orders.

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use pingora_error::Result;
use pingora_proxy::Session;
use waf_core::control::CaptchaAnswer;

use super::{Ctx, WafProxy};
use crate::challenge::{query_param, safe_return};
use crate::error::Refusal;
use crate::pages;

/// Largest captcha answer read (a full trail of [`crate::captcha::MAX_TRAIL`] points fits).
const MAX_ANSWER: usize = 128 * 1024;

impl WafProxy {
    /// Writes a refusal page and records it. Returns `Ok(true)`: the request is answered.
    pub(super) async fn refuse(
        &self,
        session: &mut Session,
        ctx: &mut Ctx,
        r: Refusal,
    ) -> Result<bool> {
        let id = ctx.request_id(&self.shared);
        let captcha = if r == Refusal::Captcha {
            let ip = ctx.client_ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
            match self.shared.captchas.issue(ip) {
                Some(c) => Some(c),
                // Too many captchas waiting (for this client or in all): wait, as for a ban.
                None => {
                    let r = Refusal::RateLimited {
                        retry_after: Duration::from_secs(30),
                        rule_id: "captcha".into(),
                    };
                    return Box::pin(self.refuse(session, ctx, r)).await;
                }
            }
        } else {
            None
        };
        let page = if let Some(c) = captcha {
            let uri = session
                .req_header()
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str());
            let html = self.shared.challenger.captcha_page(&c, uri);
            let mut header = pages::response_header(403, "text/html; charset=utf-8", html.len());
            let _ = header.insert_header("X-Request-Id", id.as_str());
            pages::Page {
                header,
                body: Bytes::from(html),
            }
        } else if r == Refusal::Challenge {
            let ip = ctx.client_ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
            let uri = session
                .req_header()
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str());
            let html = self.shared.challenger.page(ip, uri);
            let mut header = pages::response_header(403, "text/html; charset=utf-8", html.len());
            let _ = header.insert_header("X-Request-Id", id.as_str());
            pages::Page {
                header,
                body: Bytes::from(html),
            }
        } else {
            let json = pages::wants_json(
                session
                    .req_header()
                    .headers
                    .get(http::header::ACCEPT)
                    .map(|v| v.as_bytes()),
            );
            // A report form on block pages, when reports can reach waf-admin (the event log).
            let token = match (&r, ctx.client_ip) {
                (Refusal::Blocked { .. }, Some(ip)) if self.shared.events.enabled() => {
                    Some(self.shared.feedback.token(&id, ip))
                }
                _ => None,
            };
            pages::render(&r, &id, json, token.as_deref())
        };
        ctx.blocked |= r.is_waf_block();
        if let Some(c) = ctx.obs.as_mut() {
            c.response_chunk(&page.body);
        }
        session.set_keepalive(None);
        session
            .write_response_header(Box::new(page.header), false)
            .await?;
        session.write_response_body(Some(page.body), true).await?;
        Ok(true)
    }

    /// Answers the challenge form: verifies the work, sets the clearance cookie, redirects back.
    pub(super) async fn verify_challenge(
        &self,
        session: &mut Session,
        ctx: &mut Ctx,
    ) -> Result<bool> {
        let query = session.req_header().uri.query().unwrap_or("").to_string();
        let token = query_param(&query, "token").unwrap_or_default();
        let nonce = query_param(&query, "nonce").unwrap_or_default();
        let ret = query_param(&query, "return")
            .filter(|r| safe_return(r))
            .unwrap_or_else(|| "/".into());
        let ip = ctx.client_ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let Some(cookie) = self.shared.challenger.verify(ip, &token, &nonce) else {
            return self.refuse(session, ctx, Refusal::BadRequest).await;
        };
        let mut h = pages::response_header(302, "text/plain", 0);
        let _ = h.insert_header("Location", ret);
        let _ = h.insert_header("Set-Cookie", cookie);
        session.write_response_header(Box::new(h), true).await?;
        Ok(true)
    }

    /// The key authorization when this is a `GET`/`HEAD` of a pending ACME token of its host.
    pub(super) fn acme_answer(&self, session: &Session, ctx: &Ctx) -> Option<String> {
        let req = session.req_header();
        if req.method != http::Method::GET && req.method != http::Method::HEAD {
            return None;
        }
        self.shared.acme.answer(&ctx.host, req.uri.path())
    }

    /// Answers an ACME HTTP-01 validation request with its key authorization (RFC 8555 §8.3).
    pub(super) async fn answer_acme(
        &self,
        session: &mut Session,
        key_auth: String,
    ) -> Result<bool> {
        let h = pages::response_header(200, "application/octet-stream", key_auth.len());
        let head = session.req_header().method == http::Method::HEAD;
        session.set_keepalive(None);
        session.write_response_header(Box::new(h), head).await?;
        if !head {
            session
                .write_response_body(Some(Bytes::from(key_auth)), true)
                .await?;
        }
        Ok(true)
    }

    /// The body of a `POST` the WAF answers itself, read whole up to `max` bytes; `None` once
    /// the request is refused instead: 400 for another method or an unreadable body, 413 past
    /// `max`.
    pub(super) async fn small_post_body(
        &self,
        session: &mut Session,
        ctx: &mut Ctx,
        max: usize,
    ) -> Result<Option<Vec<u8>>> {
        let refusal = if session.req_header().method != http::Method::POST {
            Refusal::BadRequest
        } else {
            let mut body = Vec::new();
            loop {
                match session.read_request_body().await {
                    Ok(Some(chunk)) if body.len() + chunk.len() > max => {
                        break Refusal::BodyTooLarge
                    }
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    Ok(None) => return Ok(Some(body)),
                    Err(_) => break Refusal::BadRequest,
                }
            }
        };
        self.refuse(session, ctx, refusal).await?;
        Ok(None)
    }

    /// Answers the captcha page's `POST` (JSON [`CaptchaAnswer`], at most [`MAX_ANSWER`] bytes):
    /// 200 with the clearance cookie when solved, else 403; the captcha is used up either way.
    pub(super) async fn answer_captcha(
        &self,
        session: &mut Session,
        ctx: &mut Ctx,
    ) -> Result<bool> {
        let Some(body) = self.small_post_body(session, ctx, MAX_ANSWER).await? else {
            return Ok(true);
        };
        let Ok(answer) = serde_json::from_slice::<CaptchaAnswer>(&body) else {
            return self.refuse(session, ctx, Refusal::BadRequest).await;
        };
        let ip = ctx.client_ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let (status, json, cookie) = match self.shared.captchas.verify(ip, &answer) {
            Ok(()) => (
                200,
                serde_json::json!({"valid": true}),
                Some(self.shared.challenger.clearance(ip)),
            ),
            Err(e) => (
                403,
                serde_json::json!({"valid": false, "error": e.to_string()}),
                None,
            ),
        };
        let body = json.to_string();
        let mut h = pages::response_header(status, "application/json", body.len());
        if let Some(c) = cookie {
            let _ = h.insert_header("Set-Cookie", c);
        }
        session.set_keepalive(None);
        session.write_response_header(Box::new(h), false).await?;
        session
            .write_response_body(Some(Bytes::from(body)), true)
            .await?;
        Ok(true)
    }
}
