//! Maintenance mode end to end: a site put in maintenance through the API (on its real listener,
//! port 0) gets waf-proxy's 503 maintenance page with its text and `Retry-After` within a second,
//! for every method and body, and the origin receives nothing meanwhile; other hosts are still
//! proxied; the public status helpers say so without a key; taking the site out of maintenance
//! proxies it again; a bad setting is refused and changes nothing at the proxy.

mod common;
#[path = "common/procs.rs"]
mod procs;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use admin_api::build_app;
use admin_api::state::Transport;
use common::env;
use procs::{proxy_bin, spawn_proxy};
use serde_json::{json, Value};

/// An origin counting the requests it receives.
fn counting_origin() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let origin = HttpServer::new(move || {
        let h = h.clone();
        App::new().default_service(web::to(move || {
            h.fetch_add(1, Ordering::SeqCst);
            async { HttpResponse::Ok().body("origin") }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("origin bind");
    let addr = origin.addrs()[0];
    actix_web::rt::spawn(origin.run());
    (addr, hits)
}

async fn get(client: &reqwest::Client, url: &str, host: &str) -> Option<(u16, String)> {
    let r = client.get(url).header("Host", host).send().await.ok()?;
    let s = r.status().as_u16();
    Some((s, r.text().await.ok()?))
}

async fn wait_for(client: &reqwest::Client, url: &str, host: &str, want: u16) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) {
        if get(client, url, host).await.map(|r| r.0) == Some(want) {
            return true;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[actix_web::test]
async fn a_site_in_maintenance_gets_the_503_page_and_its_origin_nothing() {
    let bin = proxy_bin();
    if !bin.exists() {
        eprintln!(
            "SKIP: {} not built (CI builds it before the tests)",
            bin.display()
        );
        return;
    }
    let e = env("maint", Transport::PlainHttp);
    let (origin, hits) = counting_origin();
    let state = e.state.clone();
    let admin = HttpServer::new(move || build_app(state.clone()))
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("admin bind");
    let api = format!("http://{}/openapi/v1", admin.addrs()[0]);
    actix_web::rt::spawn(admin.run());
    let rules = e.dir.join("rules");
    let (_proxy, port) = spawn_proxy(
        &bin,
        origin,
        &[
            "--rules-dir".as_ref(),
            rules.as_os_str(),
            "--control-socket".as_ref(),
            e.socket.as_os_str(),
        ],
    );
    let url = format!("http://127.0.0.1:{port}/shop/cart?x=1");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let start = Instant::now();
    while get(&client, &url, "other.test").await.is_none() || !e.socket.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waf-proxy did not come up"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let key = e.key(&["site:write"]);
    let post = |path: &str, body: Value| {
        client
            .post(format!("{api}{path}"))
            .bearer_auth(&key)
            .json(&body)
            .send()
    };

    let added: Value = post(
        "/site/add",
        json!({"name": "Shop", "domain": "shop.test", "target_url": format!("http://{origin}")}),
    )
    .await
    .expect("add")
    .json()
    .await
    .expect("json");
    assert_eq!(added["reload"]["applied"], true, "{added}");
    let id = added["id"].as_u64().expect("id");
    assert!(wait_for(&client, &url, "shop.test", 200).await);

    let on: Value = post(
        "/site/maintenance",
        json!({"id": id, "enabled": true, "message": "Back at <b>6</b>\nThanks", "retry_after": 120}),
    )
    .await
    .expect("maintenance")
    .json()
    .await
    .expect("json");
    assert_eq!(
        (on["message"].as_str(), on["reload"]["applied"].as_bool()),
        (Some("Maintenance mode enabled"), Some(true)),
        "{on}"
    );
    assert!(
        wait_for(&client, &url, "shop.test", 503).await,
        "no 503 within 1 s"
    );

    let before = hits.load(Ordering::SeqCst);
    let r = client
        .get(&url)
        .header("Host", "shop.test")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("120")
    );
    let page = r.text().await.expect("text");
    assert!(
        page.contains("Back at &lt;b&gt;6&lt;/b&gt;<br>Thanks") && !page.contains("<b>6"),
        "{page}"
    );
    let r = client
        .post(&url)
        .header("Host", "SHOP.test:80")
        .header("Accept", "application/json")
        .body("a=1&b=2")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 503);
    let j: Value = r.json().await.expect("json page");
    assert_eq!(
        (j["error"].as_str(), j["retry_after"].as_u64()),
        (Some("maintenance"), Some(120))
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        before,
        "the origin was contacted during maintenance"
    );
    // Hosts of no site in maintenance are proxied as before.
    assert_eq!(
        get(&client, &url, "other.test").await.map(|r| r.0),
        Some(200)
    );

    // The public helpers, without a key.
    let status = |q: &str| {
        let c = client.clone();
        let u = format!("{api}/maintenance-server-status{q}");
        async move {
            c.get(u)
                .send()
                .await
                .expect("status")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let s = status("?host=SHOP.test:443").await;
    assert_eq!(
        (s["maintenance"].as_bool(), s["retry_after"].as_u64()),
        (Some(true), Some(120)),
        "{s}"
    );
    let s = status("?host=other.test").await;
    assert_eq!(s["maintenance"], false, "{s}");
    let s = status("").await;
    assert_eq!(s["sites_in_maintenance"], 1, "{s}");
    let r = client
        .get(format!("{api}/maintenance-server-status?hots=x"))
        .send()
        .await
        .expect("bad q");
    assert_eq!(r.status().as_u16(), 400);
    let m: Value = client
        .get(format!("{api}/maintenance-server"))
        .send()
        .await
        .expect("server")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (m["served_by"].as_str(), m["status_code"].as_u64()),
        (Some("waf-proxy"), Some(503))
    );

    // Bad settings are refused by name and change nothing at the proxy.
    for (body, field) in [
        (
            json!({"id": id, "enabled": true, "retry_after": 0}),
            "maintenance",
        ),
        (
            json!({"id": id, "enabled": true, "message": "x".repeat(2001)}),
            "maintenance",
        ),
        (
            json!({"id": id, "enabled": false, "colour": "red"}),
            "colour",
        ),
    ] {
        let r = post("/site/maintenance", body).await.expect("bad");
        assert_eq!(r.status().as_u16(), 400);
        let b: Value = r.json().await.expect("json");
        assert!(b.to_string().contains(field), "{b}");
    }
    let r = post("/site/maintenance", json!({"id": 999, "enabled": true}))
        .await
        .expect("404");
    assert_eq!(r.status().as_u16(), 404);
    let r = client
        .post(format!("{api}/site/maintenance"))
        .json(&json!({"id": id, "enabled": false}))
        .send()
        .await
        .expect("no key");
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        get(&client, &url, "shop.test").await.map(|r| r.0),
        Some(503)
    );

    // Out of maintenance: proxied again; the text is kept for next time.
    let off: Value = post("/site/maintenance", json!({"id": id, "enabled": false}))
        .await
        .expect("off")
        .json()
        .await
        .expect("json");
    assert_eq!(
        off["maintenance"]["message"], "Back at <b>6</b>\nThanks",
        "{off}"
    );
    assert!(
        wait_for(&client, &url, "shop.test", 200).await,
        "still 503 1 s after disabling"
    );
    assert!(hits.load(Ordering::SeqCst) > before);
    let s = status("?host=shop.test").await;
    assert_eq!(s["maintenance"], false, "{s}");
}
