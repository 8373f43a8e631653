//! The control protocol between waf-admin (and operators) and waf-proxy: newline-delimited JSON
//! over a Unix socket, one request line and one response line per exchange.
//!
//! ```text
//! -> {"cmd":"reload"}
//! <- {"ok":true,"data":{"version":"3f2a...","counts":{...},"compile_ms":4.1}}
//! -> {"cmd":"reload"}
//! <- {"ok":false,"error":"compile failed","errors":[{"file":"custom.yaml","line":7,...}]}
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cc::Ban;
use crate::error::RuleError;
use crate::policy::RuleCounts;

/// A command sent to the proxy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "kebab-case")]
pub enum ControlRequest {
    /// Re-read the rules directory, compile, swap. A failed compile keeps the old policy.
    Reload,
    /// Policy version, rule counts, uptime.
    Status,
    /// Request and block counters.
    Stats,
    /// Upstream health per site.
    Health,
    /// Current CC bans.
    Bans,
    /// Lift CC bans: one IP, or all when `ip` is absent.
    BansClear {
        /// The IP to unban.
        #[serde(default)]
        ip: Option<String>,
    },
    /// Forget every CC counter.
    CcClearCounters,
    /// A proof-of-work challenge for a client that solves it itself (from the admin API).
    ChallengeIssue {
        /// The client IP the challenge (and its clearance) is bound to.
        ip: String,
    },
    /// Checks a solved challenge; on success the clearance cookie for that client.
    ChallengeVerify {
        /// The client IP the challenge was issued for.
        ip: String,
        /// The token of `challenge-issue`.
        token: String,
        /// The answer.
        nonce: String,
    },
    /// Response cache counters: hits, misses, entries, bytes, per host.
    CacheStats,
    /// Cached entries (newest first), of one host or all.
    CacheList {
        /// Only this host.
        #[serde(default)]
        host: Option<String>,
    },
    /// One cached entry: its response headers and body.
    CacheRead {
        /// The entry id of `cache-list`.
        id: String,
    },
    /// Delete cached entries by id.
    CachePurge {
        /// Entry ids of `cache-list`.
        ids: Vec<String>,
    },
    /// Delete every cached entry, or those of one host.
    CacheClear {
        /// Only this host.
        #[serde(default)]
        host: Option<String>,
    },
    /// Minify and mangle the cached JavaScript of one host, in the background; the rewritten
    /// scripts replace their entries and are served from the cache.
    CacheJsObfuscate {
        /// The host whose cached scripts are rewritten.
        host: String,
    },
    /// Progress of the last `cache-js-obfuscate` of one host.
    CacheJsObfuscateStatus {
        /// The host.
        host: String,
    },
    /// A slider captcha for a client (from the admin API's public `/captcha/challenge`).
    CaptchaIssue {
        /// The client IP the captcha (and its clearance) is bound to.
        ip: String,
    },
    /// Checks a slider captcha answer (single use); on success the clearance cookie.
    CaptchaVerify {
        /// The client IP the captcha was issued for.
        ip: String,
        /// The answer.
        answer: CaptchaAnswer,
    },
    /// Serve an ACME HTTP-01 key authorization at `/.well-known/acme-challenge/<token>` for
    /// `host` while the admin API's order waits for validation (RFC 8555 §8.3).
    AcmeChallengeSet {
        /// The challenge token (base64url).
        token: String,
        /// The domain being validated; other hosts are not answered.
        host: String,
        /// `<token>.<account key thumbprint>`, the body to answer with.
        key_authorization: String,
    },
    /// Stop serving these HTTP-01 tokens (the order is valid, invalid or cancelled).
    AcmeChallengeClear {
        /// Tokens of `acme-challenge-set`.
        tokens: Vec<String>,
    },
}

/// The error of `captcha-issue` when too many captchas wait for an answer (for that client or in
/// all): the caller should answer one or wait for them to expire.
pub const CAPTCHA_BUSY: &str = "too many captchas waiting for an answer; answer one or wait";

/// One point of the pointer's trail while dragging the captcha's piece.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrailPoint {
    /// Left edge of the piece, in pixels from the track's start.
    pub x: f64,
    /// Vertical pointer offset from where the drag began, in pixels.
    pub y: f64,
    /// Milliseconds since the drag began.
    pub t: f64,
}

/// A slider captcha answer: `{"challenge_id", "user_ratio", "trail", "duration_ms"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptchaAnswer {
    /// The id of the captcha.
    pub challenge_id: String,
    /// Where the piece was dropped: its left edge over the track length (`width - piece_size`), 0-1.
    pub user_ratio: f64,
    /// The pointer trail of the drag, in time order.
    pub trail: Vec<TrailPoint>,
    /// How long the drag took, in milliseconds.
    pub duration_ms: u64,
}

/// A slider captcha: the background with its gap and the piece, both PNG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptchaIssued {
    /// The id to answer with (single use).
    pub challenge_id: String,
    /// The background with the gap, `data:image/png;base64,...`.
    pub background: String,
    /// The piece, `data:image/png;base64,...`, drawn at `piece_y` and slid horizontally.
    pub piece: String,
    /// Width of the background in pixels.
    pub width: u32,
    /// Height of the background in pixels.
    pub height: u32,
    /// Width and height of the piece in pixels.
    pub piece_size: u32,
    /// Top of the piece in the background, in pixels.
    pub piece_y: u32,
    /// Unix time after which the captcha is refused.
    pub expires_at: u64,
}

/// The answer to one [`ControlRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlResponse {
    /// Whether the command succeeded.
    pub ok: bool,
    /// The payload on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<ControlData>,
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Rule errors of a failed reload.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RuleError>,
}

impl ControlResponse {
    /// A success carrying `data`.
    pub fn ok(data: ControlData) -> Self {
        ControlResponse {
            ok: true,
            data: Some(data),
            error: None,
            errors: Vec::new(),
        }
    }
    /// A failure.
    pub fn err(error: impl Into<String>, errors: Vec<RuleError>) -> Self {
        ControlResponse {
            ok: false,
            data: None,
            error: Some(error.into()),
            errors,
        }
    }
}

/// Payloads of successful commands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ControlData {
    /// Reply to `reload`.
    Reload(ReloadReport),
    /// Reply to `status`.
    Status(StatusReport),
    /// Reply to `stats`.
    Stats(StatsReport),
    /// Reply to `health`.
    Health(HealthReport),
    /// Reply to `bans`.
    Bans(BansReport),
    /// Reply to `bans-clear` and `cc-clear-counters`.
    Cleared(Cleared),
    /// Reply to `challenge-issue`.
    Challenge(ChallengeIssued),
    /// Reply to a successful `challenge-verify` or `captcha-verify`.
    Clearance(Clearance),
    /// Reply to `cache-stats`.
    CacheStats(CacheStats),
    /// Reply to `cache-list`.
    CacheEntries(CacheEntries),
    /// Reply to `cache-read`.
    CacheContent(CacheContent),
    /// Reply to `cache-purge` and `cache-clear`.
    CacheRemoved(CacheRemoved),
    /// Reply to `cache-js-obfuscate` and `cache-js-obfuscate-status`.
    JsObfuscation(JsObfuscation),
    /// Reply to `captcha-issue`.
    Captcha(CaptchaIssued),
}

/// Response cache counters since start, and what the cache holds now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheStats {
    /// Requests answered from the cache.
    pub hits: u64,
    /// Cacheable requests the cache could not answer (sent to the origin).
    pub misses: u64,
    /// `hits / (hits + misses)`, 0 when there were none.
    pub hit_rate: f64,
    /// Entries held.
    pub entries: u64,
    /// Bytes held (bodies and headers).
    pub bytes: u64,
    /// The memory bound in bytes; least recently used entries are evicted past it.
    pub max_bytes: u64,
    /// Largest entry stored, in bytes.
    pub max_entry_bytes: u64,
    /// Entries evicted to stay under `max_bytes` since start.
    pub evicted_entries: u64,
    /// Bytes evicted since start.
    pub evicted_bytes: u64,
    /// Counters and contents per host.
    pub by_host: BTreeMap<String, HostCacheStats>,
}

/// Response cache counters of one host.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostCacheStats {
    /// Requests answered from the cache.
    pub hits: u64,
    /// Cacheable requests sent to the origin.
    pub misses: u64,
    /// Entries held.
    pub entries: u64,
    /// Bytes held.
    pub bytes: u64,
}

/// Cached entries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheEntries {
    /// The entries, newest first.
    pub entries: Vec<CacheEntry>,
}

/// One cached response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// Entry id (hex of its cache key), for `cache-read` and `cache-purge`.
    pub id: String,
    /// Host of the request.
    pub host: String,
    /// Scheme, path and query: `https://host/path?q`.
    pub url: String,
    /// Response status.
    pub status: u16,
    /// Response `Content-Type` (empty when none).
    pub content_type: String,
    /// Bytes held for the entry.
    pub bytes: u64,
    /// Unix time it was stored.
    pub stored_at: u64,
    /// Unix time it stops being fresh.
    pub fresh_until: u64,
    /// Whether it is one variant of several (`Vary`).
    pub variant: bool,
}

/// The content of one cached entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheContent {
    /// The entry.
    pub entry: CacheEntry,
    /// The stored response headers, in order.
    pub headers: Vec<(String, String)>,
    /// `utf-8` when `body` is the text itself, `base64` otherwise.
    pub encoding: String,
    /// The body (at most 1 MiB of it).
    pub body: String,
    /// Whether the body was cut at 1 MiB.
    pub truncated: bool,
}

/// Where a host's JavaScript rewrite stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsTaskState {
    /// Never started for this host since waf-proxy started.
    Idle,
    /// Rewriting.
    Running,
    /// Finished; the counters are final.
    Done,
}

/// Progress of a host's cached JavaScript rewrite (minified and mangled by oxc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsObfuscation {
    /// The host.
    pub host: String,
    /// Id of the task (empty when none ran).
    pub task_id: String,
    /// Where it stands.
    pub state: JsTaskState,
    /// Cached scripts of the host when the task started.
    pub total: u64,
    /// Scripts looked at so far.
    pub processed: u64,
    /// Scripts rewritten and stored back.
    pub rewritten: u64,
    /// Scripts left as they are: encoded bodies, not UTF-8, or not smaller once minified.
    pub skipped: u64,
    /// Scripts that did not parse (left as they are).
    pub failed: u64,
    /// Bytes of the rewritten scripts before.
    pub bytes_before: u64,
    /// Bytes of the rewritten scripts after.
    pub bytes_after: u64,
    /// `processed / total` in percent (100 when there was nothing to do).
    pub progress: u8,
    /// Unix time the task started (0 when none ran).
    pub started_at: u64,
    /// Unix time the task finished (0 while running or when none ran).
    pub finished_at: u64,
}

/// How many cached entries a purge or clear removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheRemoved {
    /// Entries removed.
    pub removed: u64,
    /// Bytes they held.
    pub removed_bytes: u64,
}

/// A proof-of-work challenge: find a nonce (at most 32 characters) such that
/// SHA-256(`token` ":" nonce) starts with `difficulty` zero bits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChallengeIssued {
    /// The token (`expiry.mac`), bound to the client IP.
    pub token: String,
    /// Leading zero bits the digest needs.
    pub difficulty: u8,
    /// Unix time after which the token is refused.
    pub expires_at: u64,
}

/// A passed challenge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clearance {
    /// The `Set-Cookie` value that lets the client pass challenge verdicts.
    pub set_cookie: String,
    /// Unix time the clearance ends.
    pub clearance_expires_at: u64,
}

/// A successful reload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReloadReport {
    /// Version hash of the new policy.
    pub version: String,
    /// Rules loaded.
    pub counts: RuleCounts,
    /// Compile time in milliseconds.
    pub compile_ms: f64,
}

/// The proxy's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// Policy version hash.
    pub version: String,
    /// Rules loaded.
    pub counts: RuleCounts,
    /// Global mode (`block` or `log_only`).
    pub mode: String,
    /// Global sensitivity.
    pub sensitivity: u8,
    /// Seconds since start.
    pub uptime_secs: u64,
    /// Reloads since start (successful, failed).
    pub reloads: (u64, u64),
    /// Engine version.
    pub engine_version: String,
}

/// Counters since start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsReport {
    /// Requests seen.
    pub total_requests: u64,
    /// Requests blocked (403, 429) or challenged.
    pub blocked_requests: u64,
    /// Requests passed with a `log` verdict.
    pub logged_requests: u64,
    /// Blocks by attack type.
    pub by_attack_type: BTreeMap<String, u64>,
    /// Requests and blocks by site id (`"0"` = no site / default).
    pub by_site: BTreeMap<String, SiteCounters>,
    /// CC bans currently held.
    pub cc_bans: u64,
    /// CC bans issued since start.
    pub cc_bans_total: u64,
    /// Events dropped because the event writer fell behind.
    pub events_dropped: u64,
    /// Per-minute counters, oldest first: (unix minute, requests, blocked).
    #[serde(default)]
    pub per_minute: Vec<(u64, u64, u64)>,
    /// Of those, requests that arrived over TLS, per minute: (unix minute, requests); a minute
    /// without any is absent.
    #[serde(default)]
    pub per_minute_tls: Vec<(u64, u64)>,
    /// Requests answered from the response cache.
    #[serde(default)]
    pub cache_hits: u64,
    /// Cacheable requests the response cache could not answer.
    #[serde(default)]
    pub cache_misses: u64,
}

/// Requests and blocks of one site.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SiteCounters {
    /// Requests.
    pub requests: u64,
    /// Blocked or challenged.
    pub blocked: u64,
}

/// Upstream health of every site.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    /// One entry per site.
    pub sites: Vec<SiteHealth>,
}

/// Health of one site's upstreams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteHealth {
    /// Site id.
    pub site_id: u64,
    /// First domain.
    pub domain: String,
    /// Whether any upstream is healthy.
    pub is_alive: bool,
    /// One entry per upstream.
    pub upstreams: Vec<UpstreamHealth>,
}

/// Health of one upstream, from the last active check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpstreamHealth {
    /// Upstream URL.
    pub url: String,
    /// Healthy at the last check; false while never checked (routing still tries an unchecked
    /// upstream, but a report must not call it alive before anything has answered).
    pub is_alive: bool,
    /// HTTP status of the last check (0 when it failed to connect).
    pub status: u16,
    /// Latency of the last check in milliseconds.
    pub latency_ms: u64,
    /// Unix time of the last check (0 = never).
    pub last_check: u64,
}

/// Current CC bans.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BansReport {
    /// The bans.
    pub bans: Vec<Ban>,
}

/// How many things a clear command removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cleared {
    /// Count removed.
    pub cleared: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip() {
        for (line, want) in [
            (r#"{"cmd":"reload"}"#, ControlRequest::Reload),
            (
                r#"{"cmd":"bans-clear","ip":"1.2.3.4"}"#,
                ControlRequest::BansClear {
                    ip: Some("1.2.3.4".into()),
                },
            ),
            (
                r#"{"cmd":"cc-clear-counters"}"#,
                ControlRequest::CcClearCounters,
            ),
            (
                r#"{"cmd":"cache-clear","host":"a.example"}"#,
                ControlRequest::CacheClear {
                    host: Some("a.example".into()),
                },
            ),
            (
                r#"{"cmd":"cache-js-obfuscate","host":"a.example"}"#,
                ControlRequest::CacheJsObfuscate {
                    host: "a.example".into(),
                },
            ),
            (
                r#"{"cmd":"cache-purge","ids":["ab"]}"#,
                ControlRequest::CachePurge {
                    ids: vec!["ab".into()],
                },
            ),
            (
                r#"{"cmd":"acme-challenge-set","token":"t1","host":"a.example","key_authorization":"t1.x"}"#,
                ControlRequest::AcmeChallengeSet {
                    token: "t1".into(),
                    host: "a.example".into(),
                    key_authorization: "t1.x".into(),
                },
            ),
            (
                r#"{"cmd":"acme-challenge-clear","tokens":["t1"]}"#,
                ControlRequest::AcmeChallengeClear {
                    tokens: vec!["t1".into()],
                },
            ),
        ] {
            let got: ControlRequest = serde_json::from_str(line).expect("parse");
            assert_eq!(got, want);
        }
        assert!(serde_json::from_str::<ControlRequest>(r#"{"cmd":"explode"}"#).is_err());
    }

    #[test]
    fn cache_answers_keep_their_variant() {
        for data in [
            ControlData::CacheStats(CacheStats::default()),
            ControlData::CacheEntries(CacheEntries::default()),
            ControlData::CacheRemoved(CacheRemoved {
                removed: 2,
                removed_bytes: 10,
            }),
        ] {
            let line = serde_json::to_string(&ControlResponse::ok(data.clone())).expect("ser");
            let back: ControlResponse = serde_json::from_str(&line).expect("de");
            assert_eq!(back.data, Some(data));
        }
    }
}
