//! The response cache: pingora-cache's memory storage (indexed, `store.rs`) under an LRU
//! eviction manager bounded in bytes, the RFC 9111 shared-cache decisions (`rules.rs`), and the
//! counters and operations the control socket exposes (stats, list, read, purge, clear, and the
//! rewrite of a host's cached JavaScript, `js.rs`).
//!
//! Which sites cache, and their TTL, is in the rule set (`sites[].cache`); the memory bounds are
//! in the proxy configuration (`cache.max_bytes`, `cache.max_entry_bytes`). A request reaches the
//! cache only after `request_filter` let it pass: inspection always runs before a lookup.

mod js;
mod rules;
mod store;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use base64::Engine as _;
use dashmap::DashMap;
use pingora_cache::eviction::lru::Manager;
use pingora_cache::eviction::EvictionManager;
use pingora_cache::key::CacheHashKey;
use pingora_cache::storage::{PurgeTarget, PurgeType};
use pingora_cache::{CacheEntryKeyRef, CachePhase, Storage};
use waf_core::control::{
    CacheContent, CacheEntries, CacheRemoved, CacheStats, HostCacheStats, JsObfuscation,
};

use js::JsRewriter;
pub use rules::{cacheable_request, primary_key, response_cacheable, variance};
use store::{no_span, IndexedStore};

use crate::config::CacheConfig;

/// LRU shards of the eviction manager.
const SHARDS: usize = 16;

/// Most body bytes `cache-read` returns.
const READ_MAX: usize = 1024 * 1024;

/// The response cache of one proxy process.
pub struct Cache {
    /// The storage; `'static` because pingora-cache takes it so. Leaked once per process.
    pub store: &'static IndexedStore,
    /// The byte-bounded LRU; `'static` for the same reason.
    pub eviction: &'static Manager<SHARDS>,
    /// Largest response stored.
    pub max_entry_bytes: usize,
    max_bytes: usize,
    hits: AtomicU64,
    misses: AtomicU64,
    by_host: DashMap<String, (AtomicU64, AtomicU64)>,
    js: JsRewriter,
}

impl Cache {
    /// An empty cache bounded by `cfg`. Leaks its storage and eviction manager (one per
    /// process; pingora-cache requires `'static` references).
    pub fn new(cfg: &CacheConfig) -> Cache {
        // An entry is about a few KiB: the capacity is only a pre-allocation hint.
        let hint = (cfg.max_bytes / 4096).clamp(64, 65_536);
        let store: &'static IndexedStore = Box::leak(Box::new(IndexedStore::new()));
        let eviction: &'static Manager<SHARDS> =
            Box::leak(Box::new(Manager::with_capacity(cfg.max_bytes, hint)));
        Cache {
            store,
            eviction,
            js: JsRewriter {
                store,
                eviction,
                runs: Arc::new(DashMap::new()),
            },
            max_entry_bytes: cfg.max_entry_bytes,
            max_bytes: cfg.max_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            by_host: DashMap::new(),
        }
    }

    /// Counts the outcome of a request the cache was enabled for.
    pub fn count(&self, host: &str, phase: CachePhase) {
        let hit = match phase {
            CachePhase::Hit | CachePhase::Stale | CachePhase::StaleUpdating => true,
            CachePhase::Miss | CachePhase::Expired | CachePhase::Revalidated => false,
            _ => return,
        };
        let (all, one) = if hit {
            (&self.hits, 0)
        } else {
            (&self.misses, 1)
        };
        all.fetch_add(1, Ordering::Relaxed);
        let bump = |c: &(AtomicU64, AtomicU64)| {
            if one == 0 { &c.0 } else { &c.1 }.fetch_add(1, Ordering::Relaxed);
        };
        match self.by_host.get(host) {
            Some(c) => bump(&c),
            None => bump(&self.by_host.entry(host.to_string()).or_default()),
        }
    }

    /// Hits and misses since start.
    pub fn hits_misses(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// The `cache-stats` report.
    pub fn stats(&self) -> CacheStats {
        let (hits, misses) = self.hits_misses();
        let mut by_host: BTreeMap<String, HostCacheStats> = self
            .by_host
            .iter()
            .map(|e| {
                (
                    e.key().clone(),
                    HostCacheStats {
                        hits: e.value().0.load(Ordering::Relaxed),
                        misses: e.value().1.load(Ordering::Relaxed),
                        entries: 0,
                        bytes: 0,
                    },
                )
            })
            .collect();
        let mut entries = 0;
        let mut bytes = 0;
        for i in self.store.entries() {
            entries += 1;
            bytes += i.entry.bytes;
            let h = by_host.entry(i.entry.host.clone()).or_default();
            h.entries += 1;
            h.bytes += i.entry.bytes;
        }
        CacheStats {
            hits,
            misses,
            hit_rate: if hits + misses == 0 {
                0.0
            } else {
                hits as f64 / (hits + misses) as f64
            },
            entries,
            bytes,
            max_bytes: self.max_bytes as u64,
            max_entry_bytes: self.max_entry_bytes as u64,
            evicted_entries: self.eviction.evicted_items() as u64,
            evicted_bytes: self.eviction.evicted_size() as u64,
            by_host,
        }
    }

    /// The entries of `host` (all when `None`), newest first.
    pub fn list(&self, host: Option<&str>) -> CacheEntries {
        let mut entries: Vec<_> = self
            .store
            .entries()
            .into_iter()
            .map(|i| i.entry)
            .filter(|e| host.is_none_or(|h| e.host.eq_ignore_ascii_case(h)))
            .collect();
        entries.sort_by(|a, b| b.stored_at.cmp(&a.stored_at).then(a.url.cmp(&b.url)));
        CacheEntries { entries }
    }

    /// The headers and body (up to [`READ_MAX`] bytes) of entry `id`; `None` when absent.
    pub async fn read(&self, id: &str) -> Result<Option<CacheContent>, String> {
        let Some(i) = self.store.get(id) else {
            return Ok(None);
        };
        let Some((meta, mut hit)) = self.store.open(&i.key).await.map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = hit.read_body().await.map_err(|e| e.to_string())? {
            let room = READ_MAX - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        let headers = meta
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let (encoding, body) = match String::from_utf8(body) {
            Ok(text) => ("utf-8", text),
            Err(e) => (
                "base64",
                base64::engine::general_purpose::STANDARD.encode(e.into_bytes()),
            ),
        };
        Ok(Some(CacheContent {
            entry: i.entry,
            headers,
            encoding: encoding.into(),
            body,
            truncated,
        }))
    }

    /// Deletes the entries whose ids are given (unknown ids are ignored).
    pub async fn purge(&self, ids: &[String]) -> CacheRemoved {
        let mut out = CacheRemoved {
            removed: 0,
            removed_bytes: 0,
        };
        for id in ids {
            if let Some(i) = self.store.get(id) {
                self.remove(&i.key).await;
                out.removed += 1;
                out.removed_bytes += i.entry.bytes;
            }
        }
        out
    }

    /// Deletes every entry of `host`, or all when `None`.
    pub async fn clear(&self, host: Option<&str>) -> CacheRemoved {
        let ids: Vec<String> = self.list(host).entries.into_iter().map(|e| e.id).collect();
        self.purge(&ids).await
    }

    /// Starts minifying and mangling the cached JavaScript of `host` in the background (or
    /// reports the run already going).
    pub fn obfuscate_js(&self, host: &str) -> JsObfuscation {
        let entries = self
            .store
            .entries()
            .into_iter()
            .filter(|i| i.entry.host.eq_ignore_ascii_case(host))
            .collect();
        self.js.start(host, entries)
    }

    /// Progress of the last JavaScript rewrite of `host`.
    pub fn js_status(&self, host: &str) -> JsObfuscation {
        self.js.status(host)
    }

    /// Removes one entry from the storage and the eviction manager.
    async fn remove(&self, key: &pingora_cache::CacheKey) {
        let compact = key.to_compact();
        let storage: &'static IndexedStore = self.store;
        if let Err(e) = storage
            .purge(
                PurgeTarget::Active(&compact),
                PurgeType::Invalidation,
                &no_span(),
            )
            .await
        {
            tracing::warn!(key = %compact.combined(), "cache purge: {e}");
        }
        self.eviction
            .remove(CacheEntryKeyRef::from_entry_id(&compact, None));
    }
}
