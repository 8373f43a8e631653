//! The response cache on the request path: after inspection passed, a `GET` for a site with
//! its cache on looks up pingora-cache (`crate::cache` decides what is stored and reused).

use pingora_cache::{CacheKey, CacheMeta, RespCacheable};
use pingora_error::Result;
use pingora_http::{RequestHeader, ResponseHeader};
use pingora_proxy::Session;

use super::{Ctx, Route, WafProxy};
use crate::cache;

impl WafProxy {
    /// Turns the cache on for this request when its site caches and the request may be
    /// answered from a cache. Runs only for requests `request_filter` passed.
    pub(super) fn enable_cache(&self, session: &mut Session, ctx: &mut Ctx) {
        let Some(Route::Site(id)) = ctx.route else {
            return;
        };
        // A body read for inspection, or one still to come, is never skipped by a cache hit.
        if self.shared.no_waf || ctx.preread || ctx.body.is_some() {
            return;
        }
        let site = ctx
            .policy
            .as_ref()
            .and_then(|p| p.site_for_host(&ctx.host))
            .filter(|s| s.id == id)
            .and_then(|s| s.cache);
        let Some(site) = site else { return };
        if !cache::cacheable_request(session.req_header()) {
            return;
        }
        let c = &self.shared.cache;
        session
            .cache
            .enable(c.store, Some(c.eviction), None, None, None);
        session.cache.set_max_file_size_bytes(c.max_entry_bytes);
        ctx.cache = Some(site);
    }

    /// The key: scheme, host and target.
    pub(super) fn cache_key(&self, session: &Session, ctx: &Ctx) -> CacheKey {
        CacheKey::new(
            cache::primary_key(ctx.tls, &ctx.host, session.req_header()),
            "",
        )
    }

    /// Whether the origin's answer is stored, and until when.
    pub(super) fn cacheable(
        &self,
        session: &Session,
        resp: &ResponseHeader,
        ctx: &Ctx,
    ) -> Result<RespCacheable> {
        Ok(match &ctx.cache {
            Some(site) => cache::response_cacheable(site, session.req_header(), resp),
            None => RespCacheable::Uncacheable(pingora_cache::NoCacheReason::NeverEnabled),
        })
    }

    /// The variant key of `req` for a stored response's `Vary`.
    pub(super) fn vary(
        &self,
        meta: &CacheMeta,
        req: &RequestHeader,
    ) -> Option<pingora_cache::key::HashBinary> {
        cache::variance(meta, req)
    }

    /// Counts the request's hit or miss.
    pub(super) fn count_cache(&self, session: &Session, ctx: &Ctx) {
        if ctx.cache.is_some() && session.cache.enabled() {
            self.shared.cache.count(&ctx.host, session.cache.phase());
        }
    }
}
