//! Rewriting a host's cached JavaScript: each cached `200` script is minified and its local
//! names mangled by oxc, then stored back under the same key (same freshness, `Age` and
//! variant), so later requests get the rewritten script from the cache. Runs in the background;
//! the progress of the last run per host is kept for `cache-js-obfuscate-status`.
//!
//! Classic scripts keep their top-level names (they are globals other scripts may use); only
//! a script that parses as a module alone is mangled at the top level too. A script that does
//! not parse, is encoded (`Content-Encoding`), is not UTF-8 or does not get smaller is left as
//! it is.

use std::sync::Arc;

use bytes::Bytes;
use dashmap::DashMap;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, ETAG};
use oxc_allocator::Allocator;
use oxc_codegen::{Codegen, CodegenOptions, CommentOptions};
use oxc_minifier::{CompressOptions, Minifier, MinifierOptions};
use oxc_parser::Parser;
use oxc_span::SourceType;
use pingora_cache::eviction::lru::Manager;
use pingora_cache::eviction::{CacheEntryKey, EvictionManager};
use pingora_cache::storage::{MissFinishType, PurgeTarget, PurgeType};
use pingora_cache::{CacheMeta, Storage};
use waf_core::control::{JsObfuscation, JsTaskState};

use super::store::{no_span, Indexed, IndexedStore};
use super::SHARDS;

/// Largest script rewritten (bigger ones are skipped: minifying is CPU work on the proxy).
const MAX_SCRIPT: usize = 4 * 1024 * 1024;

/// Whether a `Content-Type` is JavaScript.
pub(super) fn is_script(content_type: &str) -> bool {
    let t = content_type.to_ascii_lowercase();
    t.contains("javascript") || t.contains("ecmascript")
}

/// `src` minified, with local names mangled; `None` when it parses neither as a classic
/// script nor as a module.
pub fn minify(src: &str) -> Option<String> {
    [SourceType::script(), SourceType::mjs()]
        .into_iter()
        .find_map(|ty| {
            let allocator = Allocator::default();
            let parsed = Parser::new(&allocator, src, ty).parse();
            if parsed.panicked || !parsed.diagnostics.is_empty() {
                return None;
            }
            let mut program = parsed.program;
            let options = MinifierOptions {
                compress: Some(CompressOptions::default()),
                ..MinifierOptions::default()
            };
            let ret = Minifier::new(options).minify(&allocator, &mut program);
            let code = Codegen::new()
                .with_options(CodegenOptions {
                    minify: true,
                    comments: CommentOptions::disabled(),
                    ..CodegenOptions::default()
                })
                .with_scoping(ret.scoping)
                .build(&program)
                .code;
            Some(code)
        })
}

/// The progress table, one row per host, and what a run needs of the cache.
pub(super) struct JsRewriter {
    pub(super) store: &'static IndexedStore,
    pub(super) eviction: &'static Manager<SHARDS>,
    pub(super) runs: Arc<DashMap<String, JsObfuscation>>,
}

/// What became of one script.
enum Outcome {
    Rewritten { before: u64, after: u64 },
    Skipped,
    Failed,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn idle(host: &str) -> JsObfuscation {
    JsObfuscation {
        host: host.to_string(),
        task_id: String::new(),
        state: JsTaskState::Idle,
        total: 0,
        processed: 0,
        rewritten: 0,
        skipped: 0,
        failed: 0,
        bytes_before: 0,
        bytes_after: 0,
        progress: 0,
        started_at: 0,
        finished_at: 0,
    }
}

impl JsRewriter {
    /// The last run of `host` (idle when none ran).
    pub(super) fn status(&self, host: &str) -> JsObfuscation {
        let host = host.to_ascii_lowercase();
        self.runs
            .get(&host)
            .map_or_else(|| idle(&host), |r| r.value().clone())
    }

    /// Starts rewriting the cached scripts of `entries` (those of `host`) in the background;
    /// while a run of `host` is going, answers its progress instead of starting another.
    pub(super) fn start(&self, host: &str, entries: Vec<Indexed>) -> JsObfuscation {
        let host = host.to_ascii_lowercase();
        let scripts: Vec<Indexed> = entries
            .into_iter()
            .filter(|i| i.entry.status == 200 && is_script(&i.entry.content_type))
            .collect();
        let run = {
            let mut row = self.runs.entry(host.clone()).or_insert_with(|| idle(&host));
            if row.state == JsTaskState::Running {
                return row.clone();
            }
            let total = scripts.len() as u64;
            *row = JsObfuscation {
                task_id: format!("{:016x}", rand::random::<u64>()),
                state: if total == 0 {
                    JsTaskState::Done
                } else {
                    JsTaskState::Running
                },
                total,
                progress: if total == 0 { 100 } else { 0 },
                started_at: unix_now(),
                finished_at: if total == 0 { unix_now() } else { 0 },
                ..idle(&host)
            };
            row.clone()
        };
        if run.state == JsTaskState::Running {
            let (store, eviction, runs) = (self.store, self.eviction, self.runs.clone());
            tokio::spawn(async move {
                for i in scripts {
                    let outcome = rewrite(store, eviction, &i).await;
                    if let Some(mut r) = runs.get_mut(&host) {
                        r.processed += 1;
                        match outcome {
                            Outcome::Rewritten { before, after } => {
                                r.rewritten += 1;
                                r.bytes_before += before;
                                r.bytes_after += after;
                            }
                            Outcome::Skipped => r.skipped += 1,
                            Outcome::Failed => r.failed += 1,
                        }
                        r.progress = (r.processed * 100 / r.total.max(1)) as u8;
                    }
                }
                if let Some(mut r) = runs.get_mut(&host) {
                    r.state = JsTaskState::Done;
                    r.progress = 100;
                    r.finished_at = unix_now();
                }
            });
        }
        run
    }
}

/// Rewrites one cached script and stores it back under its key.
async fn rewrite(
    store: &'static IndexedStore,
    eviction: &'static Manager<SHARDS>,
    i: &Indexed,
) -> Outcome {
    let Ok(Some((meta, mut hit))) = store.open(&i.key).await else {
        return Outcome::Skipped;
    };
    let encoded = meta
        .headers()
        .get(CONTENT_ENCODING)
        .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
    if encoded {
        return Outcome::Skipped;
    }
    let mut body = Vec::new();
    loop {
        match hit.read_body().await {
            Ok(Some(chunk)) if body.len() + chunk.len() <= MAX_SCRIPT => {
                body.extend_from_slice(&chunk)
            }
            Ok(None) => break,
            Ok(Some(_)) | Err(_) => return Outcome::Skipped,
        }
    }
    let Ok(src) = String::from_utf8(body) else {
        return Outcome::Skipped;
    };
    let before = src.len();
    // Minifying is CPU work: off the proxy's request threads.
    let code = match tokio::task::spawn_blocking(move || minify(&src)).await {
        Ok(Some(code)) => code,
        Ok(None) => return Outcome::Failed,
        Err(_) => return Outcome::Failed,
    };
    if code.len() >= before {
        return Outcome::Skipped;
    }
    let after = code.len();
    match store_back(store, eviction, i, &meta, code).await {
        Ok(()) => Outcome::Rewritten {
            before: before as u64,
            after: after as u64,
        },
        Err(e) => {
            tracing::warn!(url = %i.entry.url, "cache js rewrite: {e}");
            Outcome::Failed
        }
    }
}

/// Stores `code` as the body of `i`'s key with `meta`'s freshness and variant, the length
/// updated and the validator dropped (the bytes are not the origin's any more).
async fn store_back(
    store: &'static IndexedStore,
    eviction: &'static Manager<SHARDS>,
    i: &Indexed,
    meta: &CacheMeta,
    code: String,
) -> pingora_error::Result<()> {
    let (internal, header) = meta.serialize()?;
    let mut meta = CacheMeta::deserialize(&internal, &header)?;
    let len = code.len();
    let h = meta.response_header_mut();
    if h.headers.contains_key(CONTENT_LENGTH) {
        h.insert_header(CONTENT_LENGTH, len)?;
    }
    h.remove_header(&ETAG);
    let mut miss = store.get_miss_handler(&i.key, &meta, &no_span()).await?;
    miss.write_body(Bytes::from(code), true).await?;
    if let MissFinishType::Created(size) = miss.finish().await? {
        let key = CacheEntryKey::from_entry_id(i.key.to_compact(), None);
        for evicted in eviction.admit(key, size, meta.fresh_until()) {
            let _ = store
                .purge(
                    PurgeTarget::Active(evicted.key()),
                    PurgeType::Eviction,
                    &no_span(),
                )
                .await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_shrink_and_keep_their_globals() {
        let src = "// a comment\nfunction greet(personName) {\n  var greeting = 'Hello, ' + personName;\n  return greeting;\n}\n";
        let out = minify(src).expect("parses");
        assert!(out.len() < src.len(), "{out}");
        assert!(
            !out.contains("comment") && !out.contains("personName"),
            "{out}"
        );
        assert!(
            out.contains("greet"),
            "a classic script's global stays: {out}"
        );
    }

    #[test]
    fn modules_parse_and_broken_scripts_do_not() {
        assert!(minify("export const answer = 40 + 2;").is_some());
        assert!(minify("function (").is_none());
    }

    #[test]
    fn only_javascript_types_are_scripts() {
        assert!(is_script("application/javascript; charset=utf-8"));
        assert!(is_script("text/JavaScript"));
        assert!(!is_script("application/json"));
        assert!(!is_script("text/html"));
    }
}
