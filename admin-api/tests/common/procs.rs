//! Real processes for end-to-end tests: waf-proxy (`target/debug/waf-proxy`, built by CI before
//! the tests), origins on port 0, and the whole stack (waf-admin + waf-proxy) as one value.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use admin_api::build_app;
use admin_api::state::Transport;

use crate::common::{env, Env};

/// A waf-proxy process, killed when dropped.
pub struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn proxy_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug/waf-proxy")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Starts an origin answering 200 to everything; returns its address.
pub fn spawn_origin() -> std::net::SocketAddr {
    let origin = HttpServer::new(|| {
        App::new().default_service(web::to(|| async { HttpResponse::Ok().body("origin") }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("origin bind");
    let addr = origin.addrs()[0];
    actix_web::rt::spawn(origin.run());
    addr
}

/// Starts an origin answering 200 to everything and counting the requests it receives.
pub fn counting_origin() -> (SocketAddr, Arc<AtomicUsize>) {
    counting_origin_with(|| HttpResponse::Ok().body("origin"))
}

/// [`counting_origin`], answering every request with `respond()`.
pub fn counting_origin_with(respond: fn() -> HttpResponse) -> (SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let origin = HttpServer::new(move || {
        let h = h.clone();
        App::new().default_service(web::to(move || {
            h.fetch_add(1, Ordering::SeqCst);
            async move { respond() }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("origin bind");
    let addr = origin.addrs()[0];
    actix_web::rt::spawn(origin.run());
    (addr, hits)
}

/// waf-admin (plain HTTP on port 0) and waf-proxy in front of an origin, the proxy reading the
/// rules waf-admin writes and answering its control socket.
pub struct Stack {
    /// The admin side's state, data directory and control socket path.
    pub env: Env,
    /// Base URL of waf-admin, e.g. `http://127.0.0.1:40000`.
    pub admin: String,
    /// Base URL of the OpenAPI routes: `{admin}/openapi/v1`.
    pub api: String,
    /// The proxy's listening port on 127.0.0.1.
    pub port: u16,
    /// The proxy's event log (`--events`), when the stack was started by [`stack_ingesting`].
    pub events: Option<PathBuf>,
    _ingest: Option<admin_api::ingest::IngestHandle>,
    _proxy: Proxy,
}

/// Starts a [`Stack`] in front of `origin` and returns it once the proxy accepts connections and
/// its control socket exists; `None` (after saying SKIP) when waf-proxy is not built.
pub async fn stack(tag: &str, origin: SocketAddr) -> Option<Stack> {
    start(tag, origin, false).await
}

/// A [`stack`] whose proxy also writes its event log (attacks, feedbacks, observation records)
/// and whose admin side ingests it into its database every 100 ms, as waf-admin does.
pub async fn stack_ingesting(tag: &str, origin: SocketAddr) -> Option<Stack> {
    start(tag, origin, true).await
}

async fn start(tag: &str, origin: SocketAddr, ingest: bool) -> Option<Stack> {
    let bin = proxy_bin();
    if !bin.exists() {
        eprintln!(
            "SKIP: {} not built (CI builds it before the tests)",
            bin.display()
        );
        return None;
    }
    let e = env(tag, Transport::PlainHttp);
    let state = e.state.clone();
    let server = HttpServer::new(move || build_app(state.clone()))
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("admin bind");
    let admin = format!("http://{}", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    let rules = e.dir.join("rules");
    let events = ingest.then(|| e.dir.join("events.jsonl"));
    let mut args = vec![
        "--rules-dir".as_ref(),
        rules.as_os_str(),
        "--control-socket".as_ref(),
        e.socket.as_os_str(),
    ];
    if let Some(ev) = &events {
        args.extend(["--events".as_ref(), ev.as_os_str()]);
    }
    let (proxy, port) = spawn_proxy(&bin, origin, &args);
    let ingest = events.as_ref().map(|ev| {
        admin_api::ingest::spawn(&e.dir.join("waf-admin.db"), ev, Duration::from_millis(100))
            .expect("ingest")
    });
    let start = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
        || !e.socket.exists()
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waf-proxy did not come up"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    Some(Stack {
        env: e,
        api: format!("{admin}/openapi/v1"),
        admin,
        port,
        events,
        _ingest: ingest,
        _proxy: proxy,
    })
}

/// Starts waf-proxy in front of `origin` on a free port, with `extra` arguments.
pub fn spawn_proxy(
    bin: &std::path::Path,
    origin: std::net::SocketAddr,
    extra: &[&std::ffi::OsStr],
) -> (Proxy, u16) {
    let port = free_port();
    let child = Command::new(bin)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--upstream")
        .arg(format!("http://{origin}"))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn waf-proxy");
    (Proxy(child), port)
}
