//! Counters since start, for the `stats` control command, and the Prometheus registry (owned by
//! the proxy, not a global) served on the metrics listener.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use dashmap::DashMap;
use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use waf_core::control::{SiteCounters, StatsReport};

/// Minutes of per-minute history kept.
const MINUTES: usize = 60;

/// Request and block counters.
pub struct Stats {
    total: AtomicU64,
    blocked: AtomicU64,
    logged: AtomicU64,
    cc_bans_total: AtomicU64,
    by_attack: DashMap<String, u64>,
    by_site: DashMap<u64, (AtomicU64, AtomicU64)>,
    minutes: Mutex<Vec<(u64, u64, u64)>>,
    /// Per-minute requests that arrived over TLS (`port_443_rate` of `/monitor/system`).
    tls_minutes: Mutex<Vec<(u64, u64)>>,
    /// Prometheus metrics.
    pub prom: Metrics,
}

fn minute_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() / 60)
        .unwrap_or(0)
}

impl Stats {
    /// Zeroed counters.
    pub fn new() -> Result<Self, prometheus::Error> {
        Ok(Stats {
            total: AtomicU64::new(0),
            blocked: AtomicU64::new(0),
            logged: AtomicU64::new(0),
            cc_bans_total: AtomicU64::new(0),
            by_attack: DashMap::new(),
            by_site: DashMap::new(),
            minutes: Mutex::new(Vec::with_capacity(MINUTES)),
            tls_minutes: Mutex::new(Vec::with_capacity(MINUTES)),
            prom: Metrics::new()?,
        })
    }

    fn minute(&self, blocked: bool) {
        let m = minute_now();
        let Ok(mut v) = self.minutes.lock() else {
            return;
        };
        match v.last_mut() {
            Some(last) if last.0 == m => {
                last.1 += 1;
                last.2 += u64::from(blocked);
            }
            _ => {
                if v.len() >= MINUTES {
                    v.remove(0);
                }
                v.push((m, 1, u64::from(blocked)));
            }
        }
    }

    /// Counts a finished request of `site` (0 = none).
    pub fn request(&self, site: u64, blocked: bool, logged: bool) {
        self.total.fetch_add(1, Ordering::Relaxed);
        self.prom.requests.inc();
        if blocked {
            self.blocked.fetch_add(1, Ordering::Relaxed);
        }
        if logged {
            self.logged.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(e) = self.by_site.get(&site) {
            e.0.fetch_add(1, Ordering::Relaxed);
            e.1.fetch_add(u64::from(blocked), Ordering::Relaxed);
        } else {
            let e = self
                .by_site
                .entry(site)
                .or_insert_with(|| (AtomicU64::new(0), AtomicU64::new(0)));
            e.0.fetch_add(1, Ordering::Relaxed);
            e.1.fetch_add(u64::from(blocked), Ordering::Relaxed);
        }
        self.minute(blocked);
    }

    /// Counts a finished request that arrived over TLS (besides [`Stats::request`]).
    pub fn tls_request(&self) {
        let m = minute_now();
        let Ok(mut v) = self.tls_minutes.lock() else {
            return;
        };
        match v.last_mut() {
            Some(last) if last.0 == m => last.1 += 1,
            _ => {
                if v.len() >= MINUTES {
                    v.remove(0);
                }
                v.push((m, 1));
            }
        }
    }

    /// Counts a block by attack type and rule.
    pub fn block(&self, attack: &str, rule_id: &str, action: &str) {
        *self.by_attack.entry(attack.to_string()).or_insert(0) += 1;
        self.prom
            .blocks
            .with_label_values(&[attack, rule_id, action])
            .inc();
    }

    /// Counts a new CC ban.
    pub fn cc_ban(&self) {
        self.cc_bans_total.fetch_add(1, Ordering::Relaxed);
        self.prom.cc_bans.inc();
    }

    /// The `stats` report.
    pub fn report(&self, cc_bans: u64, events_dropped: u64) -> StatsReport {
        StatsReport {
            total_requests: self.total.load(Ordering::Relaxed),
            blocked_requests: self.blocked.load(Ordering::Relaxed),
            logged_requests: self.logged.load(Ordering::Relaxed),
            by_attack_type: self
                .by_attack
                .iter()
                .map(|e| (e.key().clone(), *e.value()))
                .collect(),
            by_site: self
                .by_site
                .iter()
                .map(|e| {
                    (
                        e.key().to_string(),
                        SiteCounters {
                            requests: e.value().0.load(Ordering::Relaxed),
                            blocked: e.value().1.load(Ordering::Relaxed),
                        },
                    )
                })
                .collect::<BTreeMap<_, _>>(),
            cc_bans,
            cc_bans_total: self.cc_bans_total.load(Ordering::Relaxed),
            events_dropped,
            per_minute: self.minutes.lock().map(|v| v.clone()).unwrap_or_default(),
            per_minute_tls: self
                .tls_minutes
                .lock()
                .map(|v| v.clone())
                .unwrap_or_default(),
            // Filled by the control handler from the response cache.
            cache_hits: 0,
            cache_misses: 0,
        }
    }
}

/// The Prometheus metrics of one proxy.
pub struct Metrics {
    registry: Registry,
    /// Requests seen.
    pub requests: IntCounter,
    /// Blocks by attack type, rule and action.
    pub blocks: IntCounterVec,
    /// CC bans issued.
    pub cc_bans: IntCounter,
    /// Upstream errors (connect or proxy failures).
    pub upstream_errors: IntCounter,
    /// Upstream response latency (request sent to response header).
    pub upstream_latency: Histogram,
    /// Reloads by result.
    pub reloads: IntCounterVec,
    /// Compile time of the last successful reload, in microseconds.
    pub compile_us: IntGauge,
    /// Events dropped (mirrors the sink's counter at scrape time).
    pub events_dropped: IntGauge,
    /// CC bans currently held (set at scrape time).
    pub cc_bans_held: IntGauge,
    /// Events written (mirrors the sink's counter at scrape time).
    pub events_written: IntGauge,
    /// Client connections closed at once: their IP had `max_connections_per_ip` open.
    pub connections_refused: IntCounter,
    /// Client connections closed because a request head was not complete in time.
    pub head_timeouts: IntCounter,
    /// Client connections that ended mid-request (closed, reset or timed out by the client):
    /// counted and logged at debug, not error (set at scrape time from `logs`).
    pub client_disconnects: IntGauge,
}

impl Metrics {
    fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("waf".into()), None)?;
        let requests = IntCounter::new("requests_total", "Requests seen")?;
        let blocks = IntCounterVec::new(
            Opts::new(
                "blocks_total",
                "Blocked, challenged or rate-limited requests",
            ),
            &["attack_type", "rule_id", "action"],
        )?;
        let cc_bans = IntCounter::new("cc_bans_total", "CC bans issued")?;
        let upstream_errors =
            IntCounter::new("upstream_errors_total", "Upstream connect or proxy errors")?;
        let upstream_latency = Histogram::with_opts(
            HistogramOpts::new(
                "upstream_latency_seconds",
                "Time from request start to upstream response header",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ]),
        )?;
        let reloads =
            IntCounterVec::new(Opts::new("reloads_total", "Policy reloads"), &["result"])?;
        let compile_us = IntGauge::new(
            "policy_compile_microseconds",
            "Compile time of the live policy",
        )?;
        let events_dropped =
            IntGauge::new("events_dropped", "Attack events dropped (writer behind)")?;
        let cc_bans_held = IntGauge::new("cc_bans_active", "CC bans currently held")?;
        let events_written = IntGauge::new("events_written", "Attack events written")?;
        let connections_refused = IntCounter::new(
            "connections_refused_total",
            "Client connections refused: too many open from one address",
        )?;
        let head_timeouts = IntCounter::new(
            "request_head_timeouts_total",
            "Client connections closed: request head not complete in time",
        )?;
        let client_disconnects = IntGauge::new(
            "client_disconnects",
            "Client connections that ended mid-request, since start",
        )?;
        registry.register(Box::new(connections_refused.clone()))?;
        registry.register(Box::new(head_timeouts.clone()))?;
        registry.register(Box::new(client_disconnects.clone()))?;
        registry.register(Box::new(events_written.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(blocks.clone()))?;
        registry.register(Box::new(cc_bans.clone()))?;
        registry.register(Box::new(upstream_errors.clone()))?;
        registry.register(Box::new(upstream_latency.clone()))?;
        registry.register(Box::new(reloads.clone()))?;
        registry.register(Box::new(compile_us.clone()))?;
        registry.register(Box::new(events_dropped.clone()))?;
        registry.register(Box::new(cc_bans_held.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            blocks,
            cc_bans,
            upstream_errors,
            upstream_latency,
            reloads,
            compile_us,
            events_dropped,
            cc_bans_held,
            events_written,
            connections_refused,
            head_timeouts,
            client_disconnects,
        })
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::warn!("metrics encoding failed: {e}");
        }
        buf
    }
}
