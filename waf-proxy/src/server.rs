//! Assembly: the Pingora server, the proxy service on every listener, and one background service
//! running the control socket, SIGHUP reloads, upstream health checks and the metrics listener.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pingora_core::apps::HttpServerOptions;
use pingora_core::listeners::tls::TlsSettings;
use pingora_core::server::configuration::{Opt, ServerConf};
use pingora_core::server::{Server, ShutdownWatch};
use pingora_core::services::background::{background_service, BackgroundService};
use pingora_core::services::listening::Service;
use pingora_core::tls::ssl::SslVersion;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::ProxyConfig;
use crate::conn::{ConnCounters, ConnLimits, Guarded};
use crate::error::StartError;
use crate::proxy::WafProxy;
use crate::state::Shared;
use crate::tls::CertResolver;

/// Background tasks of the proxy.
struct Housekeeping {
    shared: Arc<Shared>,
    cfg: ProxyConfig,
}

#[async_trait]
impl BackgroundService for Housekeeping {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let mut tasks = Vec::new();
        if let Some(path) = &self.cfg.control_socket {
            match crate::control::bind(path) {
                Ok(l) => {
                    tracing::info!(path = %path.display(), "control socket listening");
                    tasks.push(tokio::spawn(crate::control::serve(l, self.shared.clone())));
                }
                Err(e) => tracing::error!(path = %path.display(), "control socket: {e}"),
            }
        }
        if let Some(addr) = &self.cfg.metrics {
            match tokio::net::TcpListener::bind(addr).await {
                Ok(l) => {
                    tracing::info!(%addr, "metrics listening");
                    tasks.push(tokio::spawn(metrics(l, self.shared.clone())));
                }
                Err(e) => tracing::error!(%addr, "metrics listener: {e}"),
            }
        }
        tasks.push(tokio::spawn(sighup(self.shared.clone())));
        let hc = self.cfg.health_check.clone();
        let shared = self.shared.clone();
        tasks.push(tokio::spawn(async move {
            let every = Duration::from_secs(hc.interval_secs.max(1));
            loop {
                let routes = shared.routes.load_full();
                crate::upstream::check_all(
                    &routes,
                    Duration::from_millis(hc.timeout_ms.max(10)),
                    &hc.path,
                )
                .await;
                tokio::time::sleep(every).await;
            }
        }));
        let _ = shutdown.changed().await;
        for t in tasks {
            t.abort();
        }
        if let Some(path) = &self.cfg.control_socket {
            let _ = std::fs::remove_file(path);
        }
    }
}

async fn sighup(shared: Arc<Shared>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut s = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot listen for SIGHUP: {e}");
            return;
        }
    };
    while s.recv().await.is_some() {
        tracing::info!("SIGHUP: reloading");
        let r = crate::control::reload(&shared).await;
        if !r.ok {
            for e in &r.errors {
                tracing::warn!("{e}");
            }
        }
    }
}

/// A minimal HTTP/1 responder for `GET /metrics` (anything else: 404).
async fn metrics(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((mut conn, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let read = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf)).await;
            let n = match read {
                Ok(Ok(n)) => n,
                _ => return,
            };
            let head = String::from_utf8_lossy(&buf[..n]);
            let (status, body) = if head.starts_with("GET /metrics") {
                let p = &shared.stats.prom;
                p.events_dropped.set(shared.events.dropped() as i64);
                p.events_written.set(shared.events.written() as i64);
                p.cc_bans_held.set(shared.limiter.bans().len() as i64);
                p.client_disconnects
                    .set(crate::logs::client_disconnects() as i64);
                ("200 OK", p.render())
            } else {
                ("404 Not Found", b"not found\n".to_vec())
            };
            let header = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(header.as_bytes()).await;
            let _ = conn.write_all(&body).await;
        });
    }
}

/// Binds each listen address once and lets it go, so that a taken or forbidden address is a
/// start-up error (exit 1 with the address). Pingora binds in a service thread, and a failure
/// there panics that thread while the process stays up, listening on nothing, which a
/// supervisor takes for a running proxy. Not done on `--upgrade`, where the old process still
/// holds the addresses and hands its sockets over.
fn check_listeners(cfg: &ProxyConfig) -> Result<(), StartError> {
    for a in cfg.listen.iter().chain(&cfg.tls_listen) {
        std::net::TcpListener::bind(a.as_str())
            .map_err(|e| StartError::Io(format!("cannot listen on {a}: {e}")))?;
    }
    Ok(())
}

/// Builds and runs the server; returns only on a start-up error (Pingora exits the process on
/// shutdown).
pub fn run(cfg: ProxyConfig, opt: Opt) -> Result<(), StartError> {
    cfg.validate()?;
    if !opt.upgrade {
        check_listeners(&cfg)?;
    }
    let shared = Arc::new(Shared::new(&cfg)?);
    let mut conf = match &opt.conf {
        Some(p) => ServerConf::load_from_yaml(p)
            .map_err(|e| StartError::Config(format!("pingora conf {p}: {e}")))?,
        None => ServerConf::default(),
    };
    if conf.grace_period_seconds.is_none() {
        conf.grace_period_seconds = Some(cfg.shutdown_grace_secs.unwrap_or(5));
    }
    if let Some(t) = cfg.threads {
        conf.threads = t.max(1);
    }
    let mut server = Server::new_with_opt_and_conf(opt, conf);
    server.bootstrap();
    let mut proxy = pingora_proxy::http_proxy(
        &server.configuration,
        WafProxy {
            shared: shared.clone(),
        },
    );
    let mut opts = HttpServerOptions::default();
    opts.h2c = true;
    opts.h2_idle_timeout = Some(Duration::from_secs(cfg.limits.idle_timeout_secs.max(1)));
    proxy.server_options = Some(opts);
    // Every client connection passes the per-IP cap and the head deadline first (conn.rs).
    let guarded = Guarded::new(
        proxy,
        ConnLimits {
            head_timeout: Duration::from_millis(cfg.limits.request_head_timeout_ms),
            max_per_ip: cfg.limits.max_connections_per_ip,
            exempt: shared.trusted_proxies.clone(),
        },
        ConnCounters {
            refused: shared.stats.prom.connections_refused.clone(),
            head_timeouts: shared.stats.prom.head_timeouts.clone(),
        },
    );
    let mut svc = Service::new("waf-proxy".to_string(), guarded);
    for a in &cfg.listen {
        svc.add_tcp(a);
    }
    for a in &cfg.tls_listen {
        let mut tls = TlsSettings::with_callbacks(Box::new(CertResolver {
            certs: shared.certs.clone(),
        }))
        .map_err(|e| StartError::Config(format!("TLS: {e}")))?;
        tls.enable_h2();
        let min = match cfg.tls_min_version.as_deref() {
            Some("1.3") => SslVersion::TLS1_3,
            _ => SslVersion::TLS1_2,
        };
        tls.set_min_proto_version(Some(min))
            .map_err(|e| StartError::Config(format!("TLS version: {e}")))?;
        // The rule set's `settings.tls_versions` (if any) overrides `min` per handshake.
        crate::tls::install_version_limit(&mut tls, shared.certs.clone());
        svc.add_tls_with_settings(a, None, tls);
    }
    server.add_service(svc);
    server.add_service(background_service(
        "waf housekeeping",
        Housekeeping {
            shared: shared.clone(),
            cfg: cfg.clone(),
        },
    ));
    tracing::info!(
        listen = ?cfg.listen,
        tls_listen = ?cfg.tls_listen,
        version = %shared.policy.load().version(),
        no_waf = cfg.no_waf,
        "waf-proxy starting"
    );
    server.run_forever();
}
