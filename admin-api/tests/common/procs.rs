//! Real processes for end-to-end tests: waf-proxy (`target/debug/waf-proxy`, built by CI before
//! the tests) and an origin on port 0.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use actix_web::{web, App, HttpResponse, HttpServer};

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
