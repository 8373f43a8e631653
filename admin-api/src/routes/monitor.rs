//! System monitoring and stats: waf-proxy's counters (control socket `stats` and
//! `status`), the host's CPU, memory, load and TCP connections (from `/proc`), and per-minute
//! history. (`/health` and `/health/:id` are in [`super::sites`].)

use std::time::Duration;

use actix_web::{get, web, HttpRequest, HttpResponse};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use waf_core::control::{ControlData, ControlRequest, StatsReport, StatusReport};

use crate::access::{Module, Need};
use crate::attack_log;
use crate::error::ApiError;
use crate::gate::Authorized;
use crate::state::{format_time, now, AppState};

/// Registers the module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(stats)
        .service(system)
        .service(connections)
        .service(history)
        .service(trend);
}

/// The proxy's counters.
pub async fn proxy_stats(state: &AppState) -> Result<StatsReport, ApiError> {
    match state.proxy.call(&ControlRequest::Stats).await?.data {
        Some(ControlData::Stats(s)) => Ok(s),
        _ => Err(ApiError::ProxyUnavailable("unexpected stats answer".into())),
    }
}

/// The proxy's policy status (version, rule counts, mode).
pub async fn proxy_status(state: &AppState) -> Result<StatusReport, ApiError> {
    match state.proxy.call(&ControlRequest::Status).await?.data {
        Some(ControlData::Status(s)) => Ok(s),
        _ => Err(ApiError::ProxyUnavailable(
            "unexpected status answer".into(),
        )),
    }
}

/// Rules of the live policy by kind.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuleCountsBody {
    /// ACL rules.
    pub acl: usize,
    /// CC rules.
    pub cc: usize,
    /// Custom rules.
    pub custom: usize,
    /// Managed rules active.
    pub managed: usize,
    /// Sites.
    pub sites: usize,
}

/// WAF totals since the proxy started.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WafStats {
    /// Requests seen.
    pub total_requests: u64,
    /// Requests blocked (or challenged).
    pub blocked_requests: u64,
    /// Requests let through with an event.
    pub logged_requests: u64,
    /// Hits over cacheable requests of the response cache, 0 before any.
    pub cache_hit_rate: f64,
    /// Response cache hits.
    pub cache_hits: u64,
    /// Response cache misses.
    pub cache_misses: u64,
    /// Rules of the live policy.
    pub total_rules: usize,
    /// Rules by kind.
    pub rule_counts: RuleCountsBody,
    /// Sites of the live policy.
    pub total_sites: usize,
    /// CC bans held now.
    pub cc_bans: u64,
    /// Events per attack type.
    pub by_attack_type: BTreeMap<String, u64>,
    /// Events the proxy could not write.
    pub events_dropped: u64,
    /// The caller's IP as this listener saw it.
    pub client_ip: String,
}

/// Request rates of the proxy's last complete minute (null when the proxy is down).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PortStats {
    /// Plain HTTP, `N.NN req/s`.
    pub port_80_rate: Option<String>,
    /// Over TLS, `N.NN req/s`.
    pub port_443_rate: Option<String>,
    /// Both.
    pub total_qps: Option<String>,
}

/// CPU of the host.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CpuStats {
    /// Busy share over 200 ms, `N.NN%`.
    pub usage_percent: String,
    /// Load average over 1 minute.
    pub load_average_1: String,
    /// Over 5 minutes.
    pub load_average_5: String,
    /// Over 15 minutes.
    pub load_average_15: String,
    /// Cores available.
    pub cores: usize,
}

/// Memory of the host, `N.NN GB`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemoryStats {
    /// `MemTotal`.
    pub total: String,
    /// Total less available.
    pub used: String,
    /// `MemAvailable`.
    pub available: String,
    /// Used over total, `N.NN%`.
    pub usage_percent: String,
}

/// `{"port_stats", "cpu_stats", "memory_stats", "timestamp"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SystemStats {
    /// The proxy's request rates.
    pub port_stats: PortStats,
    /// CPU.
    pub cpu_stats: CpuStats,
    /// Memory.
    pub memory_stats: MemoryStats,
    /// `YYYY-MM-DD HH:MM:SS` (UTC).
    pub timestamp: String,
}

/// TCP connections of the host by state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TcpConnections {
    /// All.
    pub total: u64,
    /// `ESTABLISHED`.
    pub established: u64,
    /// `TIME_WAIT`.
    pub time_wait: u64,
    /// `LISTEN`.
    pub listen: u64,
    /// Any other state.
    pub other: u64,
    /// `YYYY-MM-DD HH:MM:SS` (UTC).
    pub timestamp: String,
}

/// Attack events of one minute.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttackMinute {
    /// Unix time of the minute's start.
    pub timestamp: i64,
    /// The same as `YYYY-MM-DD HH:MM:SS`.
    pub time: String,
    /// Events.
    pub attacks: i64,
}

/// `{"history", "hours"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttackHistory {
    /// Minutes with events, oldest first.
    pub history: Vec<AttackMinute>,
    /// Hours back.
    pub hours: i64,
}

/// Requests and blocks of one minute.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrafficMinute {
    /// Unix time of the minute's start.
    pub timestamp: i64,
    /// The same as `YYYY-MM-DD HH:MM:SS`.
    pub time: String,
    /// Requests.
    pub requests: u64,
    /// Blocked requests.
    pub blocked: u64,
}

/// `{"trend", "total_requests", "blocked_requests"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrafficTrend {
    /// Minutes of the last 24 h, oldest first.
    pub trend: Vec<TrafficMinute>,
    /// Requests since the proxy started.
    pub total_requests: u64,
    /// Blocked requests since the proxy started.
    pub blocked_requests: u64,
}

/// WAF totals since the proxy started, rule and site counts of the live policy.
#[utoipa::path(tag = "monitor", responses(
    (status = 200, body = WafStats),
    (status = 503, description = "proxy_unavailable")))]
#[get("/stats", wrap = "Need::read(Module::Monitor)")]
async fn stats(state: Authorized, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let s = proxy_stats(&state).await?;
    let st = proxy_status(&state).await?;
    let c = &st.counts;
    Ok(HttpResponse::Ok().json(WafStats {
        total_requests: s.total_requests,
        blocked_requests: s.blocked_requests,
        logged_requests: s.logged_requests,
        cache_hit_rate: cache_hit_rate(&s),
        cache_hits: s.cache_hits,
        cache_misses: s.cache_misses,
        total_rules: c.total(),
        rule_counts: RuleCountsBody {
            acl: c.acl,
            cc: c.cc,
            custom: c.custom,
            managed: c.managed,
            sites: c.sites,
        },
        total_sites: c.sites,
        cc_bans: s.cc_bans,
        by_attack_type: s.by_attack_type,
        events_dropped: s.events_dropped,
        client_ip: req
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default(),
    }))
}

/// Hits over cacheable requests of the response cache (0 when there were none).
fn cache_hit_rate(s: &StatsReport) -> f64 {
    let all = s.cache_hits + s.cache_misses;
    if all == 0 {
        0.0
    } else {
        s.cache_hits as f64 / all as f64
    }
}

/// `(busy, total)` jiffies from the first line of `/proc/stat`.
fn cpu_sample() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let nums: Vec<u64> = text
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = nums.iter().sum();
    let idle = nums.get(3).copied().unwrap_or(0) + nums.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

/// `MemTotal` and `MemAvailable` in bytes.
fn meminfo() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    Some((field("MemTotal:")?, field("MemAvailable:")?))
}

fn gb(bytes: u64) -> String {
    format!("{:.2} GB", bytes as f64 / (1u64 << 30) as f64)
}

fn pct(part: f64, whole: f64) -> f64 {
    if whole <= 0.0 {
        0.0
    } else {
        (part / whole * 10_000.0).round() / 100.0
    }
}

/// CPU (sampled over 200 ms), memory and load of the host, and the proxy's request rate over
/// the last full minute.
#[utoipa::path(tag = "monitor", responses((status = 200, body = SystemStats)))]
#[get("/monitor/system", wrap = "Need::read(Module::Monitor)")]
async fn system(state: Authorized) -> Result<HttpResponse, ApiError> {
    let a = cpu_sample();
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let b = cpu_sample();
    let cpu = match (a, b) {
        (Some((b0, t0)), Some((b1, t1))) => {
            pct(b1.saturating_sub(b0) as f64, t1.saturating_sub(t0) as f64)
        }
        _ => 0.0,
    };
    let load: Vec<String> = std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .map(str::to_string)
        .collect();
    let (total, avail) = meminfo().unwrap_or((0, 0));
    let used = total.saturating_sub(avail);
    let port_stats = match proxy_stats(&state).await {
        Ok(s) => port_stats(&s, (now() / 60) as u64),
        Err(_) => PortStats {
            port_80_rate: None,
            port_443_rate: None,
            total_qps: None,
        },
    };
    Ok(HttpResponse::Ok().json(SystemStats {
        port_stats,
        cpu_stats: CpuStats {
            usage_percent: format!("{cpu:.2}%"),
            load_average_1: load.first().cloned().unwrap_or_default(),
            load_average_5: load.get(1).cloned().unwrap_or_default(),
            load_average_15: load.get(2).cloned().unwrap_or_default(),
            cores: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        },
        memory_stats: MemoryStats {
            total: gb(total),
            used: gb(used),
            available: gb(avail),
            usage_percent: format!("{:.2}%", pct(used as f64, total as f64)),
        },
        timestamp: format_time(now()),
    }))
}

/// Request rates of the last complete minute before `minute` (the current one is still filling;
/// keys are minutes since the epoch): all requests, those over TLS (`port_443_rate`, the HTTPS
/// listeners) and the rest (`port_80_rate`, plain HTTP).
fn port_stats(s: &StatsReport, minute: u64) -> PortStats {
    let (m, all) = s
        .per_minute
        .iter()
        .rev()
        .find(|(m, _, _)| *m < minute)
        .map_or((0, 0), |(m, r, _)| (*m, *r));
    let tls = s
        .per_minute_tls
        .iter()
        .find(|(t, _)| *t == m && all > 0)
        .map_or(0, |(_, r)| *r);
    let rate = |n: u64| Some(format!("{:.2} req/s", n as f64 / 60.0));
    PortStats {
        port_80_rate: rate(all.saturating_sub(tls)),
        port_443_rate: rate(tls),
        total_qps: rate(all),
    }
}

/// TCP connection counts of the host by state (from `/proc/net/tcp` and `tcp6`).
#[utoipa::path(tag = "monitor", responses((status = 200, body = TcpConnections)))]
#[get("/monitor/connections", wrap = "Need::read(Module::Monitor)")]
async fn connections() -> HttpResponse {
    let (mut est, mut tw, mut listen, mut other) = (0u64, 0u64, 0u64, 0u64);
    for f in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for line in text.lines().skip(1) {
            match line.split_whitespace().nth(3) {
                Some("01") => est += 1,
                Some("06") => tw += 1,
                Some("0A") => listen += 1,
                Some(_) => other += 1,
                None => {}
            }
        }
    }
    HttpResponse::Ok().json(TcpConnections {
        total: est + tw + listen + other,
        established: est,
        time_wait: tw,
        listen,
        other,
        timestamp: format_time(now()),
    })
}

/// `?hours=` (1-24, default 1).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoursQuery {
    /// Hours back, 1-24.
    #[param(minimum = 1, maximum = 24)]
    pub hours: Option<i64>,
}

/// Attack events per minute from the attack log, for the last `hours` (default 1, at most 24).
#[utoipa::path(tag = "monitor", params(HoursQuery), responses(
    (status = 200, body = AttackHistory),
    (status = 400, description = "validation_error")))]
#[get("/monitor/history", wrap = "Need::read(Module::Monitor)")]
async fn history(state: Authorized, q: web::Query<HoursQuery>) -> Result<HttpResponse, ApiError> {
    let hours = q.hours.unwrap_or(1);
    if !(1..=24).contains(&hours) {
        return Err(ApiError::field("hours", "1 to 24"));
    }
    let rows = state.with_db(|c| attack_log::per_minute(c, now() - hours * 3600))?;
    let history: Vec<AttackMinute> = rows
        .into_iter()
        .map(|(m, n)| AttackMinute {
            timestamp: m,
            time: format_time(m),
            attacks: n,
        })
        .collect();
    Ok(HttpResponse::Ok().json(AttackHistory { history, hours }))
}

/// Requests and blocks per minute from waf-proxy's counters (the last 24 h it has been up).
#[utoipa::path(tag = "monitor", responses(
    (status = 200, body = TrafficTrend),
    (status = 503, description = "proxy_unavailable")))]
#[get("/traffic/trend", wrap = "Need::read(Module::Monitor)")]
async fn trend(state: Authorized) -> Result<HttpResponse, ApiError> {
    let s = proxy_stats(&state).await?;
    // per_minute keys are minutes since the epoch.
    let since = ((now() - 24 * 3600).max(0) / 60) as u64;
    let trend: Vec<TrafficMinute> = s
        .per_minute
        .iter()
        .filter(|(m, _, _)| *m >= since)
        .map(|(m, r, b)| {
            let t = (*m as i64).saturating_mul(60);
            TrafficMinute {
                timestamp: t,
                time: format_time(t),
                requests: *r,
                blocked: *b,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(TrafficTrend {
        trend,
        total_requests: s.total_requests,
        blocked_requests: s.blocked_requests,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_rates_split_the_last_complete_minute_by_tls() {
        let s = StatsReport {
            per_minute: vec![(99, 600, 5), (100, 120, 0), (101, 6000, 0)],
            per_minute_tls: vec![(99, 60), (100, 30), (101, 6000)],
            ..Default::default()
        };
        // Minute 101 is the current one: minute 100 counts.
        let v = port_stats(&s, 101);
        assert_eq!(v.total_qps.as_deref(), Some("2.00 req/s"));
        assert_eq!(v.port_443_rate.as_deref(), Some("0.50 req/s"));
        assert_eq!(v.port_80_rate.as_deref(), Some("1.50 req/s"));
        // A minute without TLS requests has no TLS entry.
        let v = port_stats(&s, 100);
        assert_eq!(v.port_443_rate.as_deref(), Some("1.00 req/s"));
        assert_eq!(v.port_80_rate.as_deref(), Some("9.00 req/s"));
        let v = port_stats(&StatsReport::default(), 5);
        assert_eq!(v.port_80_rate.as_deref(), Some("0.00 req/s"));
    }
}
