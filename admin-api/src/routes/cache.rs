//! The response cache (§8.6). Which sites cache, and their TTL, is written to the rule set
//! (`sites[].cache`) by `POST /cache/config` and reaches waf-proxy by reload like every site
//! setting; what the cache holds (stats, entries, their content, deletion) is asked of waf-proxy
//! over its control socket.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::control::{CacheEntry, CacheRemoved, ControlData, ControlRequest, ControlResponse};
use waf_core::model::raw::{RawCache, RawSite};
use waf_core::model::SiteCache;

use super::maintenance::serves;
use crate::access::{Module, Need};
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::proxy::ReloadOutcome;
use crate::state::AppState;
use crate::store::SiteSection;

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(stats)
        .service(stats_detail)
        .service(files)
        .service(file_read)
        .service(config)
        .service(clear)
        .service(files_delete);
}

/// Counters since waf-proxy started and what the cache holds now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CacheSummary {
    /// Requests answered from the cache.
    pub hits: u64,
    /// Cacheable requests sent to the origin.
    pub misses: u64,
    /// `hits / (hits + misses)` (0 when there were none).
    pub hit_rate: f64,
    /// Entries held.
    pub entries: u64,
    /// Bytes held.
    pub bytes: u64,
    /// Memory bound in bytes (LRU eviction past it).
    pub max_bytes: u64,
    /// Sites with the cache on.
    pub sites_enabled: u64,
}

/// Counters and contents of one host.
#[derive(Debug, Serialize, ToSchema)]
pub struct HostCacheView {
    /// Host name.
    pub host: String,
    /// Hits.
    pub hits: u64,
    /// Misses.
    pub misses: u64,
    /// Entries held.
    pub entries: u64,
    /// Bytes held.
    pub bytes: u64,
}

/// A site's cache settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteCacheView {
    /// Site id.
    pub id: u64,
    /// Domains of the site.
    pub domain: String,
    /// Cache on.
    pub enabled: bool,
    /// Longest freshness in seconds.
    pub ttl: u32,
    /// Responses with `Set-Cookie` stored too.
    pub cache_set_cookie: bool,
}

/// The summary plus evictions, per-host figures and every site's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct CacheDetail {
    /// Totals.
    pub summary: CacheSummary,
    /// Largest response stored, in bytes.
    pub max_entry_bytes: u64,
    /// Entries evicted to stay under the bound since start.
    pub evicted_entries: u64,
    /// Bytes evicted since start.
    pub evicted_bytes: u64,
    /// Per host.
    pub hosts: Vec<HostCacheView>,
    /// Per site.
    pub sites: Vec<SiteCacheView>,
}

/// One cached response.
#[derive(Debug, Serialize, ToSchema)]
pub struct CacheFile {
    /// Entry id: give it as `file` to read or delete the entry.
    pub file: String,
    /// Host.
    pub host: String,
    /// `scheme://host/path?query`.
    pub url: String,
    /// Response status.
    pub status: u16,
    /// Response `Content-Type`.
    pub content_type: String,
    /// Bytes held.
    pub bytes: u64,
    /// Unix time stored.
    pub stored_at: u64,
    /// Unix time it stops being fresh.
    pub fresh_until: u64,
    /// One variant of several (`Vary`).
    pub variant: bool,
}

impl From<CacheEntry> for CacheFile {
    fn from(e: CacheEntry) -> Self {
        CacheFile {
            file: e.id,
            host: e.host,
            url: e.url,
            status: e.status,
            content_type: e.content_type,
            bytes: e.bytes,
            stored_at: e.stored_at,
            fresh_until: e.fresh_until,
            variant: e.variant,
        }
    }
}

/// Cached entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CacheFiles {
    /// The entries.
    pub files: Vec<CacheFile>,
    /// How many.
    pub total: usize,
}

/// One stored response header.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeaderView {
    /// Name (lower case).
    pub name: String,
    /// Value.
    pub value: String,
}

/// A cached response: head and body.
#[derive(Debug, Serialize, ToSchema)]
pub struct CacheFileContent {
    /// The entry.
    pub file: CacheFile,
    /// Stored response headers.
    pub headers: Vec<HeaderView>,
    /// `utf-8` (content is the text) or `base64`.
    pub encoding: String,
    /// The body, at most 1 MiB of it.
    pub content: String,
    /// Whether the body was cut at 1 MiB.
    pub truncated: bool,
}

/// What a clear or delete removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct CacheRemovedView {
    /// In words.
    pub message: String,
    /// The host cleared, when one was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Entries removed.
    pub removed: u64,
    /// Bytes they held.
    pub removed_bytes: u64,
}

/// The result of `POST /cache/config`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CacheConfigResult {
    /// In words.
    pub message: String,
    /// The sites changed, with their new settings.
    pub sites: Vec<SiteCacheView>,
    /// Entries removed from the cache of sites turned off.
    pub removed: u64,
    /// Whether waf-proxy applied the change.
    pub reload: ReloadOutcome,
}

fn site_view(s: &RawSite) -> SiteCacheView {
    let c = s.cache.as_ref();
    SiteCacheView {
        id: s.id,
        domain: s.domain.clone(),
        enabled: c.is_some_and(|c| c.enabled),
        ttl: c.and_then(|c| c.ttl).unwrap_or(SiteCache::DEFAULT_TTL),
        cache_set_cookie: c.and_then(|c| c.cache_set_cookie).unwrap_or(false),
    }
}

/// The data of a successful control answer, or the error.
async fn ask(state: &AppState, req: &ControlRequest) -> Result<ControlData, ApiError> {
    let resp: ControlResponse = state.proxy.call(req).await?;
    match resp.data {
        Some(d) if resp.ok => Ok(d),
        _ => Err(ApiError::ProxyUnavailable(
            resp.error.unwrap_or_else(|| "unexpected answer".into()),
        )),
    }
}

async fn proxy_stats(state: &AppState) -> Result<waf_core::control::CacheStats, ApiError> {
    match ask(state, &ControlRequest::CacheStats).await? {
        ControlData::CacheStats(s) => Ok(s),
        _ => Err(ApiError::ProxyUnavailable(
            "unexpected cache-stats answer".into(),
        )),
    }
}

fn sites(state: &AppState) -> Result<Vec<RawSite>, ApiError> {
    Ok(state.rules_doc()?.all::<SiteSection>())
}

/// Cache totals: hits, misses, hit rate, entries, bytes.
#[utoipa::path(tag = "cache", responses((status = 200, body = CacheSummary),
    (status = 503, description = "proxy_unavailable")))]
#[get("/cache/stats", wrap = "Need::read(Module::Cache)")]
async fn stats(state: Authorized) -> Result<HttpResponse, ApiError> {
    let s = proxy_stats(&state).await?;
    let on = sites(&state)?
        .iter()
        .filter(|s| site_view(s).enabled)
        .count();
    Ok(HttpResponse::Ok().json(summary(&s, on as u64)))
}

fn summary(s: &waf_core::control::CacheStats, sites_enabled: u64) -> CacheSummary {
    CacheSummary {
        hits: s.hits,
        misses: s.misses,
        hit_rate: s.hit_rate,
        entries: s.entries,
        bytes: s.bytes,
        max_bytes: s.max_bytes,
        sites_enabled,
    }
}

/// Cache totals, evictions, per-host figures and every site's cache settings.
#[utoipa::path(tag = "cache", responses((status = 200, body = CacheDetail),
    (status = 503, description = "proxy_unavailable")))]
#[get("/cache/stats/detail", wrap = "Need::read(Module::Cache)")]
async fn stats_detail(state: Authorized) -> Result<HttpResponse, ApiError> {
    let s = proxy_stats(&state).await?;
    let sites: Vec<SiteCacheView> = sites(&state)?.iter().map(site_view).collect();
    let on = sites.iter().filter(|s| s.enabled).count() as u64;
    Ok(HttpResponse::Ok().json(CacheDetail {
        summary: summary(&s, on),
        max_entry_bytes: s.max_entry_bytes,
        evicted_entries: s.evicted_entries,
        evicted_bytes: s.evicted_bytes,
        hosts: s
            .by_host
            .into_iter()
            .map(|(host, h)| HostCacheView {
                host,
                hits: h.hits,
                misses: h.misses,
                entries: h.entries,
                bytes: h.bytes,
            })
            .collect(),
        sites,
    }))
}

/// `?host=example.com` (optional).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HostQuery {
    /// Only this host.
    pub host: Option<String>,
}

fn host_param(h: Option<String>) -> Result<Option<String>, ApiError> {
    match h.map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase()) {
        Some(h) if h.is_empty() => Ok(None),
        Some(h) if h.len() > 253 || h.contains(['/', ' ', '?', '#']) => {
            Err(ApiError::field("host", "a host name"))
        }
        h => Ok(h),
    }
}

/// Cached entries, newest first (of one host with `?host=`).
#[utoipa::path(tag = "cache", params(HostQuery), responses((status = 200, body = CacheFiles),
    (status = 400, description = "validation_error"), (status = 503, description = "proxy_unavailable")))]
#[get("/cache/files", wrap = "Need::read(Module::Cache)")]
async fn files(state: Authorized, q: web::Query<HostQuery>) -> Result<HttpResponse, ApiError> {
    let host = host_param(q.into_inner().host)?;
    match ask(&state, &ControlRequest::CacheList { host }).await? {
        ControlData::CacheEntries(e) => {
            let files: Vec<CacheFile> = e.entries.into_iter().map(CacheFile::from).collect();
            Ok(HttpResponse::Ok().json(CacheFiles {
                total: files.len(),
                files,
            }))
        }
        _ => Err(ApiError::ProxyUnavailable(
            "unexpected cache-list answer".into(),
        )),
    }
}

/// `{"file": "<entry id>"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    /// Entry id, as `file` in `GET /cache/files`.
    pub file: String,
}

fn entry_id(id: &str) -> Result<String, ApiError> {
    let id = id.trim().to_ascii_lowercase();
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::field("file", "an entry id of GET /cache/files"));
    }
    Ok(id)
}

/// One cached response: its stored headers and body (text, or base64 when binary).
#[utoipa::path(tag = "cache", request_body = FileRef, responses((status = 200, body = CacheFileContent),
    (status = 400, description = "validation_error"), (status = 404, description = "not_found"),
    (status = 503, description = "proxy_unavailable")))]
#[post("/cache/files", wrap = "Need::write(Module::Cache)")]
async fn file_read(state: Authorized, body: web::Json<FileRef>) -> Result<HttpResponse, ApiError> {
    let id = entry_id(&body.file)?;
    let resp = state
        .proxy
        .call(&ControlRequest::CacheRead { id: id.clone() })
        .await?;
    match resp.data {
        Some(ControlData::CacheContent(c)) => Ok(HttpResponse::Ok().json(CacheFileContent {
            file: c.entry.into(),
            headers: c
                .headers
                .into_iter()
                .map(|(name, value)| HeaderView { name, value })
                .collect(),
            encoding: c.encoding,
            content: c.body,
            truncated: c.truncated,
        })),
        _ if resp.error.as_deref() == Some("no cached entry with this id") => {
            Err(ApiError::NotFound(format!("cache entry {id}")))
        }
        _ => Err(ApiError::ProxyUnavailable(
            resp.error
                .unwrap_or_else(|| "unexpected cache-read answer".into()),
        )),
    }
}

/// `{"enabled": true, "ttl": 3600}`, for one site with `host` or `site_id`, else every site.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CacheConfigBody {
    /// Cache on or off.
    pub enabled: bool,
    /// Longest freshness in seconds (1-31536000); kept when absent (default 3600).
    #[serde(default)]
    pub ttl: Option<u32>,
    /// Store responses carrying `Set-Cookie` too; kept when absent (default false).
    #[serde(default)]
    pub cache_set_cookie: Option<bool>,
    /// The site serving this host.
    #[serde(default)]
    pub host: Option<String>,
    /// The site with this id.
    #[serde(default)]
    pub site_id: Option<u64>,
}

/// Turn a site's cache (or every site's) on or off and set its TTL; written to the rule set
/// and applied by waf-proxy's reload. Turning it off also drops the site's cached entries.
#[utoipa::path(tag = "cache", request_body = CacheConfigBody, responses((status = 200, body = CacheConfigResult),
    (status = 400, description = "validation_error"), (status = 404, description = "not_found")))]
#[post("/cache/config", wrap = "Need::write(Module::Cache)")]
async fn config(
    state: Authorized,
    body: web::Json<CacheConfigBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    if let Some(t) = b.ttl {
        if !(1..=SiteCache::MAX_TTL).contains(&t) {
            return Err(ApiError::field(
                "ttl",
                format!("1-{} seconds", SiteCache::MAX_TTL),
            ));
        }
    }
    if b.host.is_some() && b.site_id.is_some() {
        return Err(ApiError::field("host", "give host or site_id, not both"));
    }
    let host = host_param(b.host.clone())?;
    let all = sites(&state)?;
    let ids: Vec<u64> = match (&host, b.site_id) {
        (Some(h), _) => all
            .iter()
            .filter_map(|s| serves(s, h).map(|rank| (rank, s.id)))
            .max_by_key(|(rank, _)| *rank)
            .map(|(_, id)| vec![id])
            .ok_or_else(|| ApiError::NotFound(format!("site for host {h}")))?,
        (None, Some(id)) if all.iter().any(|s| s.id == id) => vec![id],
        (None, Some(id)) => return Err(ApiError::NotFound(format!("site {id}"))),
        (None, None) => all.iter().map(|s| s.id).collect(),
    };
    let (changed, reload) = state
        .change(|doc| {
            let mut changed = Vec::new();
            for id in &ids {
                if let Some(site) = doc.find_mut::<SiteSection>(|s| s.id == *id) {
                    let old = site.cache.take();
                    site.cache = Some(RawCache {
                        enabled: b.enabled,
                        ttl: b.ttl.or_else(|| old.as_ref().and_then(|o| o.ttl)),
                        cache_set_cookie: b
                            .cache_set_cookie
                            .or_else(|| old.as_ref().and_then(|o| o.cache_set_cookie)),
                    });
                    changed.push(site.clone());
                }
            }
            Ok(changed)
        })
        .await?;
    let mut removed = 0;
    if !b.enabled && reload.applied {
        for s in &changed {
            for d in s.domain.split([',', ';', '\n']).map(str::trim) {
                if d.is_empty() || d.starts_with("*.") {
                    continue;
                }
                let host = Some(d.to_ascii_lowercase());
                if let Ok(ControlData::CacheRemoved(r)) =
                    ask(&state, &ControlRequest::CacheClear { host }).await
                {
                    removed += r.removed;
                }
            }
        }
    }
    Ok(HttpResponse::Ok().json(CacheConfigResult {
        message: if b.enabled {
            "Cache enabled".into()
        } else {
            "Cache disabled".into()
        },
        sites: changed.iter().map(site_view).collect(),
        removed,
        reload,
    }))
}

/// `{"host": "example.com"}` (optional; every host when absent).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClearBody {
    /// Only this host.
    #[serde(default)]
    pub host: Option<String>,
}

async fn removed(state: &AppState, req: ControlRequest) -> Result<CacheRemoved, ApiError> {
    match ask(state, &req).await? {
        ControlData::CacheRemoved(r) => Ok(r),
        _ => Err(ApiError::ProxyUnavailable("unexpected cache answer".into())),
    }
}

/// Clear the whole cache, or one host's entries with `{"host"}`.
#[utoipa::path(tag = "cache", request_body(content = Option<ClearBody>), responses((status = 200, body = CacheRemovedView),
    (status = 400, description = "validation_error"), (status = 503, description = "proxy_unavailable")))]
#[post("/cache/clear", wrap = "Need::write(Module::Cache)")]
async fn clear(
    state: Authorized,
    body: Option<web::Json<ClearBody>>,
) -> Result<HttpResponse, ApiError> {
    let host = host_param(body.map(|b| b.into_inner()).unwrap_or_default().host)?;
    let r = removed(&state, ControlRequest::CacheClear { host: host.clone() }).await?;
    Ok(HttpResponse::Ok().json(CacheRemovedView {
        message: if host.is_some() {
            "Site cache cleared".into()
        } else {
            "All cache cleared".into()
        },
        host,
        removed: r.removed,
        removed_bytes: r.removed_bytes,
    }))
}

/// `{"files": ["<entry id>", ..]}` or `{"file": "<entry id>"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilesBody {
    /// Entry ids.
    #[serde(default)]
    pub files: Vec<String>,
    /// One entry id.
    #[serde(default)]
    pub file: Option<String>,
}

/// Delete cached entries by id (ids not cached any more are skipped).
#[utoipa::path(tag = "cache", request_body = FilesBody, responses((status = 200, body = CacheRemovedView),
    (status = 400, description = "validation_error"), (status = 503, description = "proxy_unavailable")))]
#[delete("/cache/files/delete", wrap = "Need::write(Module::Cache)")]
async fn files_delete(
    state: Authorized,
    body: web::Json<FilesBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let ids: Vec<String> = b
        .files
        .iter()
        .chain(b.file.iter())
        .map(|f| entry_id(f))
        .collect::<Result<_, _>>()?;
    if ids.is_empty() || ids.len() > 1000 {
        return Err(ApiError::field("files", "1-1000 entry ids"));
    }
    let r = removed(&state, ControlRequest::CachePurge { ids }).await?;
    Ok(HttpResponse::Ok().json(CacheRemovedView {
        message: "Deleted".into(),
        host: None,
        removed: r.removed,
        removed_bytes: r.removed_bytes,
    }))
}
