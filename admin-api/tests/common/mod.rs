//! Shared test setup: a state over a temp data dir, keys, and a fake proxy control socket.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::web;
use admin_api::keys::{self, NewKey};
use admin_api::proxy::ProxyClient;
use admin_api::state::{AppState, Transport};
use admin_api::store::RuleStore;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use waf_core::control::{ControlData, ControlRequest, ControlResponse, ReloadReport};

/// Calls the test service with a request builder; yields (status, body as JSON or `Null`).
#[allow(unused_macros)]
macro_rules! call {
    ($app:expr, $req:expr) => {{
        let res = actix_web::test::call_service(&$app, $req.to_request()).await;
        let status = res.status();
        let body = actix_web::test::read_body(res).await;
        let json: serde_json::Value =
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        (status, json)
    }};
}

/// The `Authorization` header of an API key.
pub fn auth(k: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {k}"))
}

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// A fresh directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "waf-admin-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

pub struct Env {
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub state: web::Data<AppState>,
}

pub fn env(tag: &str, transport: Transport) -> Env {
    env_with(tag, transport, |_| {})
}

/// [`env`], with `tweak` applied to the state before it is shared (e.g. a larger rate limit).
pub fn env_with(tag: &str, transport: Transport, tweak: impl FnOnce(&mut AppState)) -> Env {
    let dir = temp_dir(tag);
    let socket = dir.join("proxy.sock");
    let conn = admin_api::db::open(&dir.join("waf-admin.db")).expect("db");
    let rules = RuleStore::open(&dir).expect("store");
    let mut state = AppState::new(
        conn,
        &dir,
        rules,
        ProxyClient::new(&socket),
        ADMIN_TOKEN,
        transport,
    );
    tweak(&mut state);
    Env {
        dir,
        socket,
        state: web::Data::new(state),
    }
}

/// waf-admin on its real TLS listener (HTTP/1.1 and HTTP/2 by ALPN, as `waf-admin` serves) on
/// 127.0.0.1, port 0; the listener certificate is [`Env::listener_cert`].
pub fn serve_tls(e: &Env) -> std::net::SocketAddr {
    let cfg = admin_api::tls::listener_config(&e.dir, None, None).expect("listener tls");
    let state = e.state.clone();
    let server = actix_web::HttpServer::new(move || admin_api::build_app(state.clone()))
        .workers(2)
        .bind_rustls_0_23("127.0.0.1:0", cfg)
        .expect("bind");
    let addr = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    addr
}

impl Env {
    /// The self-signed certificate [`serve_tls`] listens with.
    pub fn listener_cert(&self) -> PathBuf {
        self.dir.join("tls").join("waf-admin.crt")
    }

    /// A key with these scopes.
    pub fn key(&self, scopes: &[&str]) -> String {
        let new = NewKey::parse("test", scopes, 0).expect("scopes");
        self.state
            .with_db(|c| keys::create(c, &new, admin_api::state::now()))
            .expect("create")
            .key
    }
}

/// Commands a fake proxy received.
pub type Seen = Arc<Mutex<Vec<ControlRequest>>>;

/// Serves the control protocol on `socket`: `reload` succeeds unless `fail_reload`.
pub fn fake_proxy(socket: &std::path::Path, fail_reload: bool) -> Seen {
    fake_proxy_slow(socket, fail_reload, std::time::Duration::ZERO)
}

/// [`fake_proxy`], answering each command after `delay` (a reload that takes time).
pub fn fake_proxy_slow(
    socket: &std::path::Path,
    fail_reload: bool,
    delay: std::time::Duration,
) -> Seen {
    let seen: Seen = Arc::default();
    let listener = tokio::net::UnixListener::bind(socket).expect("bind");
    let s = seen.clone();
    actix_web::rt::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (rd, mut wr) = stream.into_split();
            let mut line = String::new();
            if BufReader::new(rd).read_line(&mut line).await.is_err() {
                continue;
            }
            let req: ControlRequest = match serde_json::from_str(line.trim()) {
                Ok(r) => r,
                Err(_) => continue,
            };
            s.lock().expect("lock").push(req.clone());
            actix_web::rt::time::sleep(delay).await;
            let resp = match req {
                ControlRequest::Reload if fail_reload => {
                    ControlResponse::err("compile failed", Vec::new())
                }
                ControlRequest::Reload => ControlResponse::ok(ControlData::Reload(ReloadReport {
                    version: "v-test".into(),
                    counts: Default::default(),
                    compile_ms: 1.0,
                })),
                ControlRequest::Health => {
                    ControlResponse::ok(ControlData::Health(waf_core::control::HealthReport {
                        sites: vec![waf_core::control::SiteHealth {
                            site_id: 1,
                            domain: "example.com".into(),
                            is_alive: true,
                            upstreams: vec![waf_core::control::UpstreamHealth {
                                url: "http://127.0.0.1:1".into(),
                                is_alive: true,
                                status: 200,
                                latency_ms: 2,
                                last_check: 1_780_746_293,
                            }],
                        }],
                    }))
                }
                _ => ControlResponse::ok(ControlData::Cleared(waf_core::control::Cleared {
                    cleared: 3,
                })),
            };
            let mut out = serde_json::to_string(&resp).expect("json");
            out.push('\n');
            let _ = wr.write_all(out.as_bytes()).await;
        }
    });
    seen
}
