//! The observation room's hooks: a capture starts with the request head when some observation
//! rule may match it, collects the body prefixes as they pass, and at the end of the exchange the
//! policy decides whether a rule matched; the record then goes to the event log. Nothing here
//! changes what the client or the origin receive.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pingora_proxy::Session;
use waf_core::{Policy, Request};

use super::{Ctx, WafProxy};
use crate::inspect;
use crate::observe::{record, Capture, Exchange};

impl WafProxy {
    /// With the request head: starts a capture when recording is on, the event log can carry
    /// the record, some rule's line conditions hold and the exchange is sampled. A site without
    /// observation rules pays one emptiness check.
    pub(super) fn observe_start(&self, session: &Session, ctx: &mut Ctx, policy: &Policy) {
        let o = policy.observation();
        if o.rules().is_empty() || !self.shared.events.enabled() {
            return;
        }
        let req = session.req_header();
        if o.may_observe(
            &ctx.host,
            req.uri.path(),
            ctx.client_ip,
            req.method.as_str(),
        ) && o.sampled()
        {
            ctx.obs = Some(Box::new(Capture::new(o.config().body_limit)));
        }
    }

    /// At the end of the exchange: the first rule matching the request (its judges see the body
    /// prefix captured) gets the exchange recorded, with the response head as sent to the
    /// client (the WAF's own page when it refused).
    pub(super) fn observe_finish(&self, session: &Session, ctx: &mut Ctx) {
        let Some(capture) = ctx.obs.take() else {
            return;
        };
        let Some(policy) = ctx.policy.clone() else {
            return;
        };
        let req = session.req_header();
        let headers: Vec<(&str, &[u8])> = req
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect();
        let r = Request {
            method: req.method.as_str(),
            host: &ctx.host,
            uri: req.uri.path_and_query().map_or("/", |pq| pq.as_str()),
            headers: &headers,
            body: capture.request.bytes(),
            body_truncated: capture.request.truncated(),
            client_ip: ctx.client_ip,
            country: ctx.country.as_ref().map(|c| c.as_str()),
        };
        let matched = catch_unwind(AssertUnwindSafe(|| {
            inspect::with_scratch(|s| policy.observe(&r, s).cloned())
        }));
        let rule = match matched {
            Ok(Some(rule)) => rule,
            Ok(None) => return,
            Err(_) => {
                inspect::discard_scratch();
                tracing::error!(host = %ctx.host, "observation rules panicked; exchange not recorded");
                return;
            }
        };
        let id = ctx.request_id(&self.shared);
        let x = Exchange {
            request_id: &id,
            site_id: ctx.site_id,
            host: &ctx.host,
            client_ip: ctx.client_ip.map(|ip| ip.to_string()).unwrap_or_default(),
            blocked: ctx.blocked,
        };
        let rec = record(
            policy.observation().config(),
            &rule,
            req,
            session.response_written(),
            &capture,
            &x,
        );
        self.shared.events.send_observation(rec);
    }
}
