//! Proxy configuration: the YAML file of `--config` and the quick command-line form both become
//! one [`ProxyConfig`], validated once at start-up.

use std::net::SocketAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use serde::Deserialize;
use waf_core::IpTable;

use crate::error::StartError;

/// The proxy configuration as written in YAML (every key optional except a listener).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxyConfig {
    /// Plain HTTP listeners (`ADDR:PORT`).
    pub listen: Vec<String>,
    /// HTTPS listeners; certificates are chosen per site by SNI.
    pub tls_listen: Vec<String>,
    /// Upstream for hosts that match no site (and for every host when there are no sites).
    pub upstream: Option<String>,
    /// Rules directory (`*.yaml`); the embedded default policy when absent.
    pub rules_dir: Option<PathBuf>,
    /// Directory relative site certificate paths are resolved against (default: rules_dir).
    pub cert_dir: Option<PathBuf>,
    /// Unix control socket path.
    pub control_socket: Option<PathBuf>,
    /// Attack event log (JSON lines).
    pub events: Option<PathBuf>,
    /// Rotate the event log past this size in bytes.
    pub events_max_bytes: Option<u64>,
    /// Rotated event files kept (`FILE.1` .. `FILE.N`; default 10).
    pub events_keep: Option<u32>,
    /// Prometheus listener (`ADDR:PORT`).
    pub metrics: Option<String>,
    /// Worker threads per listener service.
    pub threads: Option<usize>,
    /// Inspection off: a plain reverse proxy (benchmark baseline).
    pub no_waf: bool,
    /// MaxMind country database (.mmdb).
    pub geoip: Option<PathBuf>,
    /// Peers whose X-Forwarded-For / X-Real-IP are believed.
    pub trusted_proxies: Vec<String>,
    /// Clients never counted by CC rules.
    pub cc_allowlist: Vec<String>,
    /// Most CC bans held at once.
    pub cc_max_bans: Option<usize>,
    /// Client-rule pairs the CC limiter counts exactly (default 1,000,000, about 50 MiB at
    /// most); past it, new clients are counted in a sketch that may over-count.
    pub cc_max_clients: Option<usize>,
    /// Seconds between SIGTERM and the end of the process (in-flight requests finish meanwhile;
    /// Pingora's own default is 300). A `--conf` file's `grace_period_seconds` wins.
    pub shutdown_grace_secs: Option<u64>,
    /// Lowest TLS version accepted: "1.2" (default) or "1.3". The rule set's
    /// `settings.tls_versions`, when present, overrides it per handshake.
    pub tls_min_version: Option<String>,
    /// What a request gets when it cannot be inspected (the engine panicked, no policy pinned):
    /// `closed` (default: a 503 page, nothing reaches the origin) or `open` (forwarded
    /// uninspected). Logged at error level either way.
    pub on_inspection_error: OnInspectionError,
    /// JavaScript proof-of-work challenge.
    pub challenge: ChallengeConfig,
    /// Size and time limits.
    pub limits: Limits,
    /// Active upstream health checks.
    pub health_check: HealthCheckConfig,
    /// Response cache memory bounds (which sites cache, and for how long, is in the rule set).
    pub cache: CacheConfig,
}

/// Memory bounds of the response cache, shared by every site.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// Bytes the cache holds at most; least recently used entries are evicted past it.
    pub max_bytes: usize,
    /// Largest response stored, in bytes (larger ones pass through uncached).
    pub max_entry_bytes: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            max_bytes: 256 * 1024 * 1024,
            max_entry_bytes: 8 * 1024 * 1024,
        }
    }
}

/// Fail-closed or fail-open when inspection fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnInspectionError {
    /// Refuse the request (503).
    #[default]
    Closed,
    /// Forward it uninspected.
    Open,
}

/// Challenge settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChallengeConfig {
    /// Leading zero bits the client must find (1-28).
    pub difficulty: u8,
    /// Lifetime of the clearance cookie in seconds.
    pub cookie_ttl_secs: u64,
    /// File holding the HMAC secret (hex or raw); a random per-process secret when absent.
    pub secret_file: Option<PathBuf>,
}

impl Default for ChallengeConfig {
    fn default() -> Self {
        ChallengeConfig {
            difficulty: 16,
            cookie_ttl_secs: 3600,
            secret_file: None,
        }
    }
}

/// Size and time limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body accepted at all (413 beyond).
    pub max_body_bytes: u64,
    /// Largest total size of request header names and values (431 beyond).
    pub max_header_bytes: usize,
    /// Upstream connect timeout.
    pub connect_timeout_ms: u64,
    /// Upstream read timeout.
    pub read_timeout_ms: u64,
    /// Upstream write timeout.
    pub write_timeout_ms: u64,
    /// Idle upstream keep-alive connections are closed after this.
    pub idle_timeout_secs: u64,
    /// Downstream (client) read timeout while reading the request body.
    pub client_read_timeout_ms: u64,
    /// Time a client has to send a complete request head, from the connection's start or from
    /// the first byte of a later request on it (nginx's `client_header_timeout`); past it the
    /// connection is closed.
    pub request_head_timeout_ms: u64,
    /// Connections one client IP may hold open (trusted proxies are not counted); more are
    /// closed at once.
    pub max_connections_per_ip: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024 * 1024,
            max_header_bytes: 64 * 1024,
            connect_timeout_ms: 3_000,
            read_timeout_ms: 60_000,
            write_timeout_ms: 60_000,
            idle_timeout_secs: 60,
            client_read_timeout_ms: 30_000,
            request_head_timeout_ms: 30_000,
            max_connections_per_ip: 256,
        }
    }
}

/// Health-check settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthCheckConfig {
    /// Seconds between checks of every upstream.
    pub interval_secs: u64,
    /// Timeout of one check.
    pub timeout_ms: u64,
    /// Path requested by the HTTP check.
    pub path: String,
}

impl Default for HealthCheckConfig {
    fn default() -> Self {
        HealthCheckConfig {
            interval_secs: 5,
            timeout_ms: 2_000,
            path: "/".into(),
        }
    }
}

impl ProxyConfig {
    /// Reads a YAML configuration file.
    pub fn from_file(path: &std::path::Path) -> Result<ProxyConfig, StartError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| StartError::Config(format!("{}: {e}", path.display())))?;
        serde_yaml_ng::from_str(&text)
            .map_err(|e| StartError::Config(format!("{}: {e}", path.display())))
    }

    /// Checks what can be checked before start-up.
    pub fn validate(&self) -> Result<(), StartError> {
        if self.listen.is_empty() && self.tls_listen.is_empty() {
            return Err(StartError::Config(
                "no listener: give --listen ADDR or `listen:` in the config".into(),
            ));
        }
        for a in self
            .listen
            .iter()
            .chain(&self.tls_listen)
            .chain(&self.metrics)
        {
            a.parse::<SocketAddr>()
                .map_err(|e| StartError::Config(format!("listener {a:?}: {e}")))?;
        }
        if let Some(u) = &self.upstream {
            crate::upstream::UpstreamAddr::parse(u).map_err(StartError::Config)?;
        }
        if !(1..=28).contains(&self.challenge.difficulty) {
            return Err(StartError::Config(
                "challenge.difficulty must be 1-28".into(),
            ));
        }
        if let Some(v) = &self.tls_min_version {
            if v != "1.2" && v != "1.3" {
                return Err(StartError::Config(format!(
                    "tls_min_version {v:?}: use \"1.2\" or \"1.3\""
                )));
            }
        }
        if self.limits.request_head_timeout_ms == 0 || self.limits.max_connections_per_ip == 0 {
            return Err(StartError::Config(
                "limits.request_head_timeout_ms and limits.max_connections_per_ip must be positive"
                    .into(),
            ));
        }
        if self.cache.max_bytes == 0 || self.cache.max_entry_bytes == 0 {
            return Err(StartError::Config(
                "cache.max_bytes and cache.max_entry_bytes must be positive".into(),
            ));
        }
        ip_table(&self.trusted_proxies, "trusted_proxies")?;
        ip_table(&self.cc_allowlist, "cc_allowlist")?;
        Ok(())
    }
}

/// Builds an [`IpTable`] from CIDRs or single addresses.
pub fn ip_table(items: &[String], what: &str) -> Result<IpTable, StartError> {
    let mut t = IpTable::default();
    for (i, s) in items.iter().enumerate() {
        let s = s.trim();
        let net = s
            .parse::<IpNet>()
            .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
            .map_err(|_| StartError::Config(format!("{what}: {s:?} is not an IP or CIDR")))?;
        t.insert(net, i);
    }
    Ok(t)
}
