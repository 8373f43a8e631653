//! The state every worker shares: the hot-swapped policy, routes and certificates, the CC limiter
//! (one for the life of the process, across reloads), counters and the event sink.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwap;
use waf_core::cc::{CcLimiter, LocalCounters};
use waf_core::control::{ReloadReport, StatusReport};
use waf_core::{IpTable, Policy, RuleErrors};

use crate::cache::Cache;
use crate::challenge::Challenger;
use crate::config::{Limits, ProxyConfig};
use crate::error::StartError;
use crate::events::EventSink;
use crate::geo::Geo;
use crate::rules_dir::load_sources;
use crate::stats::Stats;
use crate::tls::Certs;
use crate::upstream::{HealthTable, Routes};

/// Shared proxy state.
pub struct Shared {
    /// The live policy; each request loads it once and keeps that `Arc` to the end.
    pub policy: ArcSwap<Policy>,
    /// Site -> upstream pools, rebuilt with the policy.
    pub routes: ArcSwap<Routes>,
    /// Certificates by SNI, rebuilt with the policy.
    pub certs: Arc<ArcSwap<Certs>>,
    /// Health-check results by upstream URL.
    pub health: HealthTable,
    /// CC counters and bans.
    pub limiter: CcLimiter<LocalCounters>,
    /// Counters.
    pub stats: Stats,
    /// The response cache.
    pub cache: Cache,
    /// Attack events.
    pub events: EventSink,
    /// Country database.
    pub geo: Option<Geo>,
    /// Challenge keys.
    pub challenger: Challenger,
    /// Slider captchas waiting for an answer.
    pub captchas: crate::captcha::Captchas,
    /// False-positive report tokens and their per-IP rate limit.
    pub feedback: crate::feedback::FeedbackDesk,
    /// ACME HTTP-01 tokens of pending orders (from the admin API).
    pub acme: crate::acme::AcmeTokens,
    /// Peers allowed to set X-Forwarded-For / X-Real-IP.
    pub trusted_proxies: IpTable,
    /// Clients exempt from CC rules.
    pub cc_allowlist: IpTable,
    /// Size and time limits.
    pub limits: Limits,
    /// Inspection off.
    pub no_waf: bool,
    /// Fail-closed or fail-open when a request cannot be inspected.
    pub on_inspection_error: crate::config::OnInspectionError,
    rules_dir: Option<PathBuf>,
    cert_dir: Option<PathBuf>,
    default_upstream: Option<String>,
    started: Instant,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    reload_lock: Mutex<()>,
    next_id: AtomicU64,
    id_salt: u32,
}

impl Shared {
    /// Builds the state from a validated configuration: compiles the rules (an error stops
    /// start-up), opens the event log and the GeoIP database.
    pub fn new(cfg: &ProxyConfig) -> Result<Shared, StartError> {
        let sources = load_sources(cfg.rules_dir.as_deref()).map_err(|e| rules_error(&e))?;
        let policy = Policy::from_sources(&sources).map_err(|e| rules_error(&e))?;
        let health = HealthTable::default();
        let routes = Routes::build(&policy, cfg.upstream.as_deref(), &health);
        let cert_dir = cfg.cert_dir.clone().or_else(|| cfg.rules_dir.clone());
        let (certs, problems) = Certs::build(&policy, cert_dir.as_deref());
        for p in problems {
            tracing::warn!("{p}");
        }
        let events = match &cfg.events {
            Some(p) => EventSink::open(
                p,
                cfg.events_max_bytes.unwrap_or(100 * 1024 * 1024),
                cfg.events_keep.unwrap_or(10),
            )
            .map_err(|e| StartError::Io(format!("event log {}: {e}", p.display())))?,
            None => EventSink::disabled(),
        };
        let geo = match &cfg.geoip {
            Some(p) => Some(Geo::open(p).map_err(StartError::Io)?),
            None => None,
        };
        let secret = match &cfg.challenge.secret_file {
            Some(p) => std::fs::read(p)
                .map_err(|e| StartError::Io(format!("challenge secret {}: {e}", p.display())))?,
            None => rand::random::<[u8; 32]>().to_vec(),
        };
        let feedback = crate::feedback::FeedbackDesk::new(&secret);
        let stats = Stats::new().map_err(|e| StartError::Io(format!("metrics: {e}")))?;
        stats
            .prom
            .compile_us
            .set(policy.compile_time().as_micros() as i64);
        Ok(Shared {
            policy: ArcSwap::from_pointee(policy),
            routes: ArcSwap::from_pointee(routes),
            certs: Arc::new(ArcSwap::from_pointee(certs)),
            health,
            limiter: CcLimiter::new(
                LocalCounters::with_max_clients(
                    cfg.cc_max_clients
                        .unwrap_or(waf_core::cc::DEFAULT_MAX_CLIENTS),
                ),
                cfg.cc_max_bans.unwrap_or(100_000),
            ),
            stats,
            cache: Cache::new(&cfg.cache),
            events,
            geo,
            challenger: Challenger::new(
                secret,
                cfg.challenge.difficulty,
                cfg.challenge.cookie_ttl_secs,
            ),
            captchas: crate::captcha::Captchas::default(),
            feedback,
            acme: crate::acme::AcmeTokens::default(),
            trusted_proxies: crate::config::ip_table(&cfg.trusted_proxies, "trusted_proxies")?,
            cc_allowlist: crate::config::ip_table(&cfg.cc_allowlist, "cc_allowlist")?,
            limits: cfg.limits.clone(),
            no_waf: cfg.no_waf,
            on_inspection_error: cfg.on_inspection_error,
            rules_dir: cfg.rules_dir.clone(),
            cert_dir,
            default_upstream: cfg.upstream.clone(),
            started: Instant::now(),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            reload_lock: Mutex::new(()),
            next_id: AtomicU64::new(0),
            id_salt: rand::random::<u32>(),
        })
    }

    /// Re-reads the rules directory, compiles and swaps policy, routes and certificates. On any
    /// rule error nothing changes and the errors are returned. Blocking (file I/O, compile, DNS):
    /// run it on a blocking thread.
    pub fn reload(&self) -> Result<ReloadReport, RuleErrors> {
        let _serial = self.reload_lock.lock();
        let result = load_sources(self.rules_dir.as_deref()).and_then(|s| Policy::from_sources(&s));
        let policy = match result {
            Ok(p) => p,
            Err(e) => {
                self.reloads_failed.fetch_add(1, Ordering::Relaxed);
                self.stats.prom.reloads.with_label_values(&["failed"]).inc();
                tracing::warn!(
                    errors = e.0.len(),
                    "reload failed; keeping the current policy"
                );
                return Err(e);
            }
        };
        let routes = Routes::build(&policy, self.default_upstream.as_deref(), &self.health);
        let (certs, problems) = Certs::build(&policy, self.cert_dir.as_deref());
        for p in problems {
            tracing::warn!("{p}");
        }
        let report = ReloadReport {
            version: policy.version().to_string(),
            counts: policy.counts().clone(),
            compile_ms: policy.compile_time().as_secs_f64() * 1000.0,
        };
        self.stats
            .prom
            .compile_us
            .set(policy.compile_time().as_micros() as i64);
        self.routes.store(Arc::new(routes));
        self.certs.store(Arc::new(certs));
        // Bans of CC rules no longer in the policy end with their rule: they would never be
        // checked again, yet still count as active attacks.
        let lifted = self
            .limiter
            .bans()
            .retain_rules(|id| policy.has_cc_rule(id));
        if lifted > 0 {
            tracing::info!(lifted, "CC bans of deleted rules lifted");
        }
        self.policy.store(Arc::new(policy));
        self.reloads_ok.fetch_add(1, Ordering::Relaxed);
        self.stats.prom.reloads.with_label_values(&["ok"]).inc();
        tracing::info!(version = %report.version, compile_ms = report.compile_ms, "policy reloaded");
        Ok(report)
    }

    /// The `status` report.
    pub fn status(&self) -> StatusReport {
        let p = self.policy.load();
        let s = p.settings();
        StatusReport {
            version: p.version().to_string(),
            counts: p.counts().clone(),
            mode: match s.mode {
                waf_core::model::Mode::Block => "block".into(),
                waf_core::model::Mode::LogOnly => "log_only".into(),
            },
            sensitivity: s.sensitivity,
            uptime_secs: self.started.elapsed().as_secs(),
            reloads: (
                self.reloads_ok.load(Ordering::Relaxed),
                self.reloads_failed.load(Ordering::Relaxed),
            ),
            engine_version: waf_core::ENGINE_VERSION.to_string(),
        }
    }

    /// A new request id: 16 hex digits, unique within the process, not guessable across restarts.
    pub fn request_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("{:08x}{:08x}", self.id_salt, n as u32 ^ (n >> 32) as u32)
    }

    /// The country of `ip`, when a database is configured.
    pub fn country(&self, ip: Option<IpAddr>) -> Option<crate::geo::CountryCode> {
        self.geo.as_ref().and_then(|g| g.country(ip?))
    }
}

fn rules_error(e: &RuleErrors) -> StartError {
    StartError::Rules(
        e.0.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}
