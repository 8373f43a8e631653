//! What a shared cache may store and reuse (RFC 9111), decided on Pingora's request and
//! response heads.
//!
//! - Only `GET` requests without a body are looked up or stored; a request saying
//!   `Cache-Control: no-store` or `no-cache` (or `Pragma: no-cache`) goes to the origin and its
//!   response is not stored.
//! - A response is stored when its status is heuristically cacheable (§4.2.2) and nothing forbids
//!   it: not `no-store`, `private` or `no-cache`, no `Vary: *`, no `Set-Cookie` unless the site
//!   allows it, and for a request with `Authorization` only with `public`, `s-maxage` or
//!   `must-revalidate` (§3.5).
//! - Freshness: `s-maxage`, then `max-age`, then `Expires`, else the site's TTL; never more than
//!   the site's TTL.
//! - `Vary`: the listed request headers are part of the variant's key.

use std::time::{Duration, SystemTime};

use http::{header, Method, StatusCode};
use pingora_cache::cache_control::{CacheControl, InterpretCacheControl};
use pingora_cache::filters::calculate_fresh_until;
use pingora_cache::key::HashBinary;
use pingora_cache::{CacheMeta, CacheMetaDefaults, NoCacheReason, RespCacheable, VarianceBuilder};
use pingora_http::{RequestHeader, ResponseHeader};
use waf_core::model::SiteCache;

/// Statuses a cache may store without explicit freshness (RFC 9110 §15.1), 206 left out
/// (ranges are not stored).
fn heuristic(status: StatusCode) -> bool {
    matches!(
        status.as_u16(),
        200 | 203 | 204 | 300 | 301 | 308 | 404 | 405 | 410 | 414 | 501
    )
}

/// Freshness when the origin gives none: "forever", then capped to the site's TTL.
fn unbounded(status: StatusCode) -> Option<Duration> {
    heuristic(status).then_some(pingora_cache::cache_control::DELTA_SECONDS_OVERFLOW_DURATION)
}

const DEFAULTS: CacheMetaDefaults = CacheMetaDefaults::new(unbounded, 0, 0);

/// Whether the request may be answered from (and its response stored in) the cache.
pub fn cacheable_request(req: &RequestHeader) -> bool {
    if req.method != Method::GET {
        return false;
    }
    let h = &req.headers;
    let has_body = h.contains_key(header::TRANSFER_ENCODING)
        || h.get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    if has_body {
        return false;
    }
    if let Some(cc) = CacheControl::from_req_headers(req) {
        if cc.no_store() || cc.no_cache() {
            return false;
        }
    }
    !h.get_all(header::PRAGMA)
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"no-cache"))
}

/// The primary cache key: `scheme://host/path?query` (host lower-cased by the caller).
pub fn primary_key(tls: bool, host: &str, req: &RequestHeader) -> String {
    let uri = req.uri.path_and_query().map_or("/", |p| p.as_str());
    format!("{}://{host}{uri}", if tls { "https" } else { "http" })
}

/// Whether, and until when, `resp` (the answer to `req`) is stored for a site with `site`.
pub fn response_cacheable(
    site: &SiteCache,
    req: &RequestHeader,
    resp: &ResponseHeader,
) -> RespCacheable {
    let no = |why: &'static str| RespCacheable::Uncacheable(NoCacheReason::Custom(why));
    if !heuristic(resp.status) {
        return no("status");
    }
    if !site.cache_set_cookie && resp.headers.contains_key(header::SET_COOKIE) {
        return no("set-cookie");
    }
    if vary_names(resp.headers.get_all(header::VARY).iter()).any(|n| n == "*") {
        return no("vary-star");
    }
    let cc = CacheControl::from_resp_headers(resp);
    let auth = req.headers.contains_key(header::AUTHORIZATION);
    let now = SystemTime::now();
    let Some(fresh_until) = calculate_fresh_until(now, cc.as_ref(), resp, auth, &DEFAULTS) else {
        return RespCacheable::Uncacheable(NoCacheReason::OriginNotCache);
    };
    let cap = now + Duration::from_secs(u64::from(site.ttl));
    let fresh_until = fresh_until.min(cap);
    if fresh_until <= now {
        // `no-cache`, `max-age=0`, or an `Expires` in the past: nothing to reuse.
        return RespCacheable::Uncacheable(NoCacheReason::OriginNotCache);
    }
    let mut header = resp.clone();
    if let Some(cc) = &cc {
        cc.strip_private_headers(&mut header);
    }
    RespCacheable::Cacheable(CacheMeta::new(fresh_until, now, 0, 0, header))
}

/// Lower-cased header names of `Vary` values.
fn vary_names<'a>(
    values: impl Iterator<Item = &'a http::HeaderValue> + 'a,
) -> impl Iterator<Item = String> + 'a {
    values
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
}

/// The variance of `req` for a stored response's `Vary` (none when it has no `Vary`).
pub fn variance(meta: &CacheMeta, req: &RequestHeader) -> Option<HashBinary> {
    let mut names: Vec<String> = vary_names(meta.headers().get_all(header::VARY).iter()).collect();
    if names.is_empty() {
        return None;
    }
    names.sort();
    names.dedup();
    let mut v = VarianceBuilder::new();
    for n in &names {
        let values: Vec<&[u8]> = req
            .headers
            .get_all(n.as_str())
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        v.add_owned_value(n, values.join(&b", "[..]));
    }
    v.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> RequestHeader {
        let mut r = RequestHeader::build("GET", b"/a?b=1", None).expect("req");
        for (k, v) in headers {
            r.append_header(k.to_string(), *v).expect("header");
        }
        r
    }

    fn resp(status: u16, headers: &[(&str, &str)]) -> ResponseHeader {
        let mut r = ResponseHeader::build(status, None).expect("resp");
        for (k, v) in headers {
            r.append_header(k.to_string(), *v).expect("header");
        }
        r
    }

    const SITE: SiteCache = SiteCache {
        ttl: 60,
        cache_set_cookie: false,
    };

    fn fresh_secs(c: RespCacheable) -> Option<u64> {
        match c {
            RespCacheable::Cacheable(m) => Some(
                m.fresh_until()
                    .duration_since(SystemTime::now())
                    .map_or(0, |d| d.as_secs() + 1),
            ),
            RespCacheable::Uncacheable(_) => None,
        }
    }

    #[test]
    fn shared_cache_table() {
        let plain = req(&[]);
        let authed = req(&[("Authorization", "Bearer x")]);
        for (name, r, status, headers, want) in [
            ("no directives: site ttl", &plain, 200, vec![], Some(60)),
            (
                "max-age below ttl",
                &plain,
                200,
                vec![("Cache-Control", "max-age=10")],
                Some(10),
            ),
            (
                "max-age capped to ttl",
                &plain,
                200,
                vec![("Cache-Control", "max-age=999")],
                Some(60),
            ),
            (
                "s-maxage wins",
                &plain,
                200,
                vec![("Cache-Control", "max-age=50, s-maxage=5")],
                Some(5),
            ),
            (
                "no-store",
                &plain,
                200,
                vec![("Cache-Control", "no-store")],
                None,
            ),
            (
                "private",
                &plain,
                200,
                vec![("Cache-Control", "private")],
                None,
            ),
            (
                "no-cache",
                &plain,
                200,
                vec![("Cache-Control", "no-cache")],
                None,
            ),
            (
                "max-age=0",
                &plain,
                200,
                vec![("Cache-Control", "max-age=0")],
                None,
            ),
            ("set-cookie", &plain, 200, vec![("Set-Cookie", "s=1")], None),
            ("vary star", &plain, 200, vec![("Vary", "*")], None),
            (
                "500",
                &plain,
                500,
                vec![("Cache-Control", "max-age=9")],
                None,
            ),
            ("authorization", &authed, 200, vec![], None),
            (
                "authorization, max-age only",
                &authed,
                200,
                vec![("Cache-Control", "max-age=9")],
                None,
            ),
            (
                "authorization, public",
                &authed,
                200,
                vec![("Cache-Control", "public, max-age=9")],
                Some(9),
            ),
        ] {
            let got = fresh_secs(response_cacheable(&SITE, r, &resp(status, &headers)));
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn set_cookie_when_the_site_allows_it() {
        let site = SiteCache {
            ttl: 60,
            cache_set_cookie: true,
        };
        let r = response_cacheable(&site, &req(&[]), &resp(200, &[("Set-Cookie", "s=1")]));
        assert!(matches!(r, RespCacheable::Cacheable(_)));
    }

    #[test]
    fn requests_that_bypass() {
        assert!(cacheable_request(&req(&[])));
        assert!(!cacheable_request(&req(&[("Cache-Control", "no-store")])));
        assert!(!cacheable_request(&req(&[("Cache-Control", "no-cache")])));
        assert!(!cacheable_request(&req(&[("Pragma", "no-cache")])));
        assert!(!cacheable_request(&req(&[("Content-Length", "3")])));
        let mut post = req(&[]);
        post.set_method(Method::POST);
        assert!(!cacheable_request(&post));
    }

    #[test]
    fn vary_separates_variants() {
        let RespCacheable::Cacheable(meta) =
            response_cacheable(&SITE, &req(&[]), &resp(200, &[("Vary", "Accept-Language")]))
        else {
            panic!("cacheable");
        };
        let en = variance(&meta, &req(&[("Accept-Language", "en")]));
        let fr = variance(&meta, &req(&[("Accept-Language", "fr")]));
        assert!(en.is_some());
        assert_ne!(en, fr);
        assert_eq!(en, variance(&meta, &req(&[("accept-language", "en")])));
    }
}
