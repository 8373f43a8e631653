//! The cache storage: pingora-cache's in-memory [`MemCache`] behind a [`Storage`] that also
//! keeps an index of what is stored (host, URL, status, size, freshness), so entries can be
//! listed, read and deleted by id and cleared per host. The index follows the storage: an entry
//! enters it when its write finishes and leaves it when the storage purges it, whether the
//! eviction manager or an operator asked.

use std::any::Any;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use dashmap::DashMap;
use pingora_cache::key::CacheHashKey;
use pingora_cache::storage::{
    HandleMiss, HitHandler, MissFinishType, MissHandler, PurgeOutcome, PurgeTarget, PurgeType,
};
use pingora_cache::trace::SpanHandle;
use pingora_cache::{CacheEntryId, CacheKey, CacheMeta, MemCache, Storage};
use pingora_error::Result;
use waf_core::control::CacheEntry;

/// One stored entry as the index knows it.
#[derive(Debug, Clone)]
pub struct Indexed {
    /// The full key (with its variance), to read or purge the entry.
    pub key: CacheKey,
    /// What the admin API shows.
    pub entry: CacheEntry,
}

/// [`MemCache`] plus the index of its entries, keyed by the entry id (the hex of the key hash).
pub struct IndexedStore {
    inner: MemCache,
    index: DashMap<String, Indexed>,
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The host and URL a primary key names (`scheme://host/path?q`, as [`super::primary_key`]
/// builds it).
fn host_and_url(key: &CacheKey) -> (String, String) {
    let url = String::from_utf8_lossy(key.primary_key()).into_owned();
    let host = url
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or_default().to_string())
        .unwrap_or_default();
    (host, url)
}

impl IndexedStore {
    /// An empty store.
    pub fn new() -> Self {
        IndexedStore {
            inner: MemCache::new(),
            index: DashMap::new(),
        }
    }

    /// A snapshot of the index.
    pub fn entries(&self) -> Vec<Indexed> {
        self.index.iter().map(|e| e.value().clone()).collect()
    }

    /// One entry of the index.
    pub fn get(&self, id: &str) -> Option<Indexed> {
        self.index.get(id).map(|e| e.value().clone())
    }

    /// The stored response head and a reader of the body of `key`.
    pub async fn open(&'static self, key: &CacheKey) -> Result<Option<(CacheMeta, HitHandler)>> {
        self.inner.lookup(key, &no_span()).await
    }
}

/// A span that records nothing (the `trace` feature is off).
pub fn no_span() -> SpanHandle {
    pingora_cache::trace::Span::inactive().handle()
}

#[async_trait]
impl Storage for IndexedStore {
    async fn lookup(
        &'static self,
        key: &CacheKey,
        trace: &SpanHandle,
    ) -> Result<Option<(CacheMeta, HitHandler)>> {
        self.inner.lookup(key, trace).await
    }

    async fn lookup_streaming_write(
        &'static self,
        key: &CacheKey,
        streaming_write_tag: Option<&[u8]>,
        trace: &SpanHandle,
    ) -> Result<Option<(CacheMeta, HitHandler)>> {
        self.inner
            .lookup_streaming_write(key, streaming_write_tag, trace)
            .await
    }

    async fn get_miss_handler(
        &'static self,
        key: &CacheKey,
        meta: &CacheMeta,
        trace: &SpanHandle,
    ) -> Result<MissHandler> {
        let inner = self.inner.get_miss_handler(key, meta, trace).await?;
        let (host, url) = host_and_url(key);
        let header = meta.response_header();
        let entry = CacheEntry {
            id: key.combined(),
            host,
            url,
            status: header.status.as_u16(),
            content_type: header
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
            bytes: 0,
            stored_at: unix(meta.created()),
            fresh_until: unix(meta.fresh_until()),
            variant: key.get_variance_key().is_some() || meta.variance().is_some(),
        };
        Ok(Box::new(IndexingMiss {
            inner,
            store: self,
            pending: Some(Indexed {
                key: key.clone(),
                entry,
            }),
        }))
    }

    async fn purge(
        &'static self,
        target: PurgeTarget<'_>,
        purge_type: PurgeType,
        trace: &SpanHandle,
    ) -> Result<PurgeOutcome> {
        let out = self.inner.purge(target, purge_type, trace).await?;
        self.index.remove(&target.key().combined());
        Ok(out)
    }

    async fn update_meta(
        &'static self,
        key: &CacheKey,
        meta: &CacheMeta,
        trace: &SpanHandle,
    ) -> Result<bool> {
        let updated = self.inner.update_meta(key, meta, trace).await?;
        if let Some(mut e) = self.index.get_mut(&key.combined()) {
            e.entry.fresh_until = unix(meta.fresh_until());
        }
        Ok(updated)
    }

    fn support_streaming_partial_write(&self) -> bool {
        self.inner.support_streaming_partial_write()
    }

    fn as_any(&self) -> &(dyn Any + Send + Sync + 'static) {
        self
    }
}

/// The storage's miss handler, indexing the entry once its write completes.
struct IndexingMiss {
    inner: MissHandler,
    store: &'static IndexedStore,
    pending: Option<Indexed>,
}

#[async_trait]
impl HandleMiss for IndexingMiss {
    async fn write_body(&mut self, data: Bytes, eof: bool) -> Result<()> {
        self.inner.write_body(data, eof).await
    }

    async fn finish(mut self: Box<Self>) -> Result<MissFinishType> {
        let pending = self.pending.take();
        let out = self.inner.finish().await?;
        if let (MissFinishType::Created(size), Some(mut p)) = (&out, pending) {
            p.entry.bytes = *size as u64;
            self.store.index.insert(p.entry.id.clone(), p);
        }
        Ok(out)
    }

    fn streaming_write_tag(&self) -> Option<&[u8]> {
        self.inner.streaming_write_tag()
    }

    fn entry_id(&self) -> Option<CacheEntryId> {
        self.inner.entry_id()
    }
}
