//! End to end with the real waf-proxy (`target/debug/waf-proxy`, built by CI before the tests):
//! an ACL rule blocking a user agent, created through the API served on port 0, blocks that user
//! agent at the proxy within 1 s; deleting it lets the user agent through again.

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use admin_api::build_app;
use admin_api::state::Transport;
use common::env;
use serde_json::{json, Value};

struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn proxy_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug/waf-proxy")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn status_for_ua(client: &reqwest::Client, url: &str, ua: &str) -> Option<u16> {
    let res = client.get(url).header("User-Agent", ua).send().await.ok()?;
    Some(res.status().as_u16())
}

async fn wait_for_status(
    client: &reqwest::Client,
    url: &str,
    ua: &str,
    want: u16,
    within: Duration,
) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if status_for_ua(client, url, ua).await == Some(want) {
            return Some(start.elapsed());
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[actix_web::test]
async fn acl_rule_created_through_the_api_blocks_at_the_proxy() {
    let bin = proxy_bin();
    if !bin.exists() {
        eprintln!(
            "SKIP: {} not built (CI builds it before the tests)",
            bin.display()
        );
        return;
    }
    let e = env("e2e", Transport::PlainHttp);

    // Origin: answers 200 to everything.
    let origin = HttpServer::new(|| {
        App::new().default_service(web::to(|| async { HttpResponse::Ok().body("origin") }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("origin bind");
    let origin_addr = origin.addrs()[0];
    actix_web::rt::spawn(origin.run());

    // waf-admin on port 0 (plain HTTP, loopback).
    let state = e.state.clone();
    let admin = HttpServer::new(move || build_app(state.clone()))
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("admin bind");
    let admin_url = format!("http://{}", admin.addrs()[0]);
    actix_web::rt::spawn(admin.run());

    // The proxy, reading the rules waf-admin writes.
    let port = free_port();
    let child = Command::new(&bin)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--upstream")
        .arg(format!("http://{origin_addr}"))
        .arg("--rules-dir")
        .arg(e.dir.join("rules"))
        .arg("--control-socket")
        .arg(&e.socket)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn waf-proxy");
    let _proxy = Proxy(child);
    let proxy_url = format!("http://127.0.0.1:{port}/hello");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let ua = "EvilScanner/6.6";
    assert!(
        wait_for_status(&client, &proxy_url, ua, 200, Duration::from_secs(20))
            .await
            .is_some(),
        "waf-proxy did not come up"
    );
    let start = Instant::now();
    while !e.socket.exists() && start.elapsed() < Duration::from_secs(5) {
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }

    let key = e.key(&["acl:write", "custom-rules:write"]);
    let created: Value = client
        .post(format!("{admin_url}/openapi/v1/acl/rules"))
        .bearer_auth(&key)
        .json(&json!({"type":"global","rule_type":"ua","pattern":"evilscanner","action":"block","enabled":true}))
        .send().await.expect("create")
        .json().await.expect("json");
    assert_eq!(created["reload"]["applied"], true, "{created}");
    let id = created["id"].as_u64().expect("id");
    let took = wait_for_status(&client, &proxy_url, ua, 403, Duration::from_secs(1)).await;
    assert!(took.is_some(), "UA not blocked within 1 s");
    assert_eq!(
        status_for_ua(&client, &proxy_url, "Mozilla/5.0").await,
        Some(200)
    );

    let deleted: Value = client
        .delete(format!("{admin_url}/openapi/v1/acl/rules/{id}"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("delete")
        .json()
        .await
        .expect("json");
    assert_eq!(deleted["reload"]["applied"], true, "{deleted}");
    let took = wait_for_status(&client, &proxy_url, ua, 200, Duration::from_secs(1)).await;
    assert!(
        took.is_some(),
        "UA still blocked 1 s after the rule was deleted"
    );

    // A rule set that does not compile never reaches the proxy: it keeps serving.
    let bad: Value = client
        .post(format!("{admin_url}/openapi/v1/custom-rules"))
        .bearer_auth(&key)
        .json(&json!({"name":"bad","method":"any","action":"block","relation":"or","judges":[{"position":"uri","rix":"(("}]}))
        .send().await.expect("post")
        .json().await.expect("json");
    assert_eq!(bad["code"], "validation_error", "{bad}");
    assert_eq!(
        status_for_ua(&client, &proxy_url, "Mozilla/5.0").await,
        Some(200)
    );
}
