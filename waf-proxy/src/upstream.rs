//! Upstreams: the routing table from site to origin servers (rebuilt on every reload), round-robin
//! selection among healthy servers, and the active HTTP health checks whose results the `health`
//! control command reports.
//!
//! Health state is keyed by upstream URL and outlives reloads, so a reload neither forgets nor
//! resets what the checks learnt.

use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dashmap::DashMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use waf_core::control::{HealthReport, SiteHealth, UpstreamHealth};
use waf_core::Policy;

/// A parsed upstream URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamAddr {
    /// The URL as configured.
    pub url: String,
    /// `host:port`.
    pub authority: String,
    /// Host name (for SNI and the health check's Host header).
    pub host: String,
    /// Whether to speak TLS.
    pub tls: bool,
}

impl UpstreamAddr {
    /// Parses `http://host[:port][/]` or `https://...`.
    pub fn parse(url: &str) -> Result<UpstreamAddr, String> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else {
            return Err(format!(
                "upstream {url:?}: must start with http:// or https://"
            ));
        };
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() {
            return Err(format!("upstream {url:?}: no host"));
        }
        let (host, has_port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
                if p.parse::<u16>().is_err() {
                    return Err(format!("upstream {url:?}: bad port"));
                }
                (h.trim_matches(|c| c == '[' || c == ']').to_string(), true)
            }
            _ => (authority.to_string(), false),
        };
        let authority = if has_port {
            authority.to_string()
        } else {
            format!("{authority}:{}", if tls { 443 } else { 80 })
        };
        Ok(UpstreamAddr {
            url: url.to_string(),
            authority,
            host,
            tls,
        })
    }
}

/// What the last health check found.
#[derive(Debug, Default)]
pub struct HealthState {
    alive: AtomicBool,
    checked: AtomicBool,
    status: AtomicU16,
    latency_ms: AtomicU64,
    last_check: AtomicU64,
}

impl HealthState {
    fn new() -> Self {
        let s = HealthState::default();
        // Optimistic until the first check: a fresh proxy must not refuse traffic.
        s.alive.store(true, Ordering::Relaxed);
        s
    }

    /// Healthy at the last check (or never checked).
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Relaxed)
    }
}

/// One origin server.
#[derive(Debug)]
pub struct Upstream {
    /// Address.
    pub addr: UpstreamAddr,
    /// Resolved socket address (resolved when the route table is built).
    pub socket: Option<SocketAddr>,
    /// Offer HTTP/2 (TLS upstreams only).
    pub http2: bool,
    /// Shared health state.
    pub health: Arc<HealthState>,
}

/// The upstreams of one site (or of the default route).
#[derive(Debug)]
pub struct Pool {
    /// Servers, balanced round robin.
    pub servers: Vec<Arc<Upstream>>,
    next: AtomicUsize,
}

impl Pool {
    /// Picks the next healthy server; when none is healthy, the next server anyway (the
    /// connection attempt then fails with a 502 rather than the proxy guessing).
    pub fn select(&self) -> Option<&Arc<Upstream>> {
        let n = self.servers.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &self.servers[(start + i) % n])
            .find(|u| u.health.is_alive())
            .or_else(|| self.servers.get(start % n))
    }
}

/// Site id -> pool, plus the default pool. Immutable; rebuilt on reload.
#[derive(Debug, Default)]
pub struct Routes {
    /// Pools by site id.
    pub sites: HashMap<u64, Pool>,
    /// The pool of `--upstream`, for hosts without a site.
    pub default: Option<Pool>,
    /// (site id, first domain) in site order, for the health report.
    order: Vec<(u64, String)>,
}

/// Health state by URL, shared by every route table.
#[derive(Default)]
pub struct HealthTable {
    by_url: DashMap<String, Arc<HealthState>>,
}

impl HealthTable {
    fn get(&self, url: &str) -> Arc<HealthState> {
        self.by_url
            .entry(url.to_string())
            .or_insert_with(|| Arc::new(HealthState::new()))
            .clone()
    }
}

fn resolve(a: &UpstreamAddr) -> Option<SocketAddr> {
    match a.authority.to_socket_addrs() {
        Ok(mut it) => it.next(),
        Err(e) => {
            tracing::warn!(upstream = %a.url, "cannot resolve: {e}");
            None
        }
    }
}

fn pool(urls: &[String], http2: bool, health: &HealthTable) -> Pool {
    let servers = urls
        .iter()
        .filter_map(|u| match UpstreamAddr::parse(u) {
            Ok(addr) => Some(Arc::new(Upstream {
                socket: resolve(&addr),
                health: health.get(&addr.url),
                addr,
                http2,
            })),
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        })
        .collect();
    Pool {
        servers,
        next: AtomicUsize::new(0),
    }
}

impl Routes {
    /// Builds the table for `policy`'s sites and the default upstream. Resolves host names
    /// (blocking): call it off the request path.
    pub fn build(policy: &Policy, default: Option<&str>, health: &HealthTable) -> Routes {
        let mut sites = HashMap::new();
        let mut order = Vec::new();
        for s in &policy.rules().sites {
            sites.insert(s.id, pool(&s.upstreams, s.http2_upstream, health));
            order.push((s.id, s.domains.first().cloned().unwrap_or_default()));
        }
        Routes {
            sites,
            default: default.map(|u| pool(&[u.to_string()], false, health)),
            order,
        }
    }

    /// Every distinct upstream.
    fn all(&self) -> Vec<Arc<Upstream>> {
        let mut seen = std::collections::HashSet::new();
        self.sites
            .values()
            .chain(self.default.iter())
            .flat_map(|p| p.servers.iter())
            .filter(|u| seen.insert(u.addr.url.clone()))
            .cloned()
            .collect()
    }

    /// The report of the `health` command.
    pub fn report(&self) -> HealthReport {
        let up = |u: &Upstream| UpstreamHealth {
            url: u.addr.url.clone(),
            is_alive: u.health.checked.load(Ordering::Relaxed) && u.health.is_alive(),
            status: u.health.status.load(Ordering::Relaxed),
            latency_ms: u.health.latency_ms.load(Ordering::Relaxed),
            last_check: u.health.last_check.load(Ordering::Relaxed),
        };
        let mut sites: Vec<SiteHealth> = self
            .order
            .iter()
            .filter_map(|(id, domain)| {
                let p = self.sites.get(id)?;
                let upstreams: Vec<UpstreamHealth> = p.servers.iter().map(|u| up(u)).collect();
                Some(SiteHealth {
                    site_id: *id,
                    domain: domain.clone(),
                    is_alive: upstreams.iter().any(|u| u.is_alive),
                    upstreams,
                })
            })
            .collect();
        if let Some(p) = &self.default {
            let upstreams: Vec<UpstreamHealth> = p.servers.iter().map(|u| up(u)).collect();
            sites.push(SiteHealth {
                site_id: 0,
                domain: "*".into(),
                is_alive: upstreams.iter().any(|u| u.is_alive),
                upstreams,
            });
        }
        HealthReport { sites }
    }
}

/// Checks every upstream of `routes` once, concurrently.
pub async fn check_all(routes: &Routes, timeout: Duration, path: &str) {
    let all = routes.all();
    let mut tasks = Vec::with_capacity(all.len());
    for u in all {
        let path = path.to_string();
        tasks.push(tokio::spawn(async move {
            let start = Instant::now();
            let result = tokio::time::timeout(timeout, probe(&u, &path)).await;
            let status = match result {
                Ok(Ok(code)) => code,
                Ok(Err(_)) | Err(_) => 0,
            };
            let h = &u.health;
            let alive = status != 0 && status < 500;
            h.status.store(status, Ordering::Relaxed);
            h.latency_ms
                .store(start.elapsed().as_millis() as u64, Ordering::Relaxed);
            h.last_check.store(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
                Ordering::Relaxed,
            );
            let was = h.alive.swap(alive, Ordering::Relaxed);
            let first = !h.checked.swap(true, Ordering::Relaxed);
            if was != alive || (first && !alive) {
                tracing::warn!(upstream = %u.addr.url, status, alive, "upstream health changed");
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// One check: an HTTP/1.1 GET for plain upstreams (status of the answer); a TCP connect for TLS
/// upstreams (reported as status 200 when it connects).
async fn probe(u: &Upstream, path: &str) -> std::io::Result<u16> {
    let Some(addr) = u.socket else {
        return Err(std::io::Error::other("unresolved"));
    };
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    if u.addr.tls {
        return Ok(200);
    }
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: waf-proxy-health\r\nConnection: close\r\n\r\n",
        u.addr.host
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = [0u8; 64];
    let mut n = 0;
    while n < 12 {
        let r = s.read(&mut buf[n..]).await?;
        if r == 0 {
            break;
        }
        n += r;
    }
    let line = std::str::from_utf8(&buf[..n]).unwrap_or_default();
    line.split(' ')
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| std::io::Error::other("not HTTP"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let a = UpstreamAddr::parse("http://127.0.0.1:18000").expect("ok");
        assert_eq!(a.authority, "127.0.0.1:18000");
        assert!(!a.tls);
        let b = UpstreamAddr::parse("https://example.com/").expect("ok");
        assert_eq!(b.authority, "example.com:443");
        assert_eq!(b.host, "example.com");
        assert!(UpstreamAddr::parse("ftp://x").is_err());
        assert!(UpstreamAddr::parse("http://x:notaport").is_err());
    }

    /// An upstream nothing has answered yet is routed to (a fresh proxy must not refuse
    /// traffic) but not reported alive; after a check the report says what the check found.
    #[tokio::test]
    async fn unchecked_upstreams_are_not_reported_alive() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", closed.local_addr().expect("addr"));
        drop(closed);
        let policy = Policy::default_policy().expect("default policy");
        let health = HealthTable::default();
        let routes = Routes::build(&policy, Some(&url), &health);
        let report = routes.report();
        let up = &report.sites[0].upstreams[0];
        assert!(!up.is_alive && up.last_check == 0, "{up:?}");
        assert!(!report.sites[0].is_alive);
        assert!(routes.default.as_ref().and_then(|p| p.select()).is_some());

        check_all(&routes, Duration::from_secs(2), "/").await;
        let up = &routes.report().sites[0].upstreams[0];
        assert!(
            !up.is_alive && up.last_check != 0 && up.status == 0,
            "{up:?}"
        );
    }
}
