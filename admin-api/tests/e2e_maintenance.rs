//! Maintenance mode end to end: a site put in maintenance through the API (on its real listener,
//! port 0) gets waf-proxy's 503 maintenance page with its text and `Retry-After` within a second,
//! for every method and body, and the origin receives nothing meanwhile; other hosts are still
//! proxied; the public status helpers say so without a key; taking the site out of maintenance
//! proxies it again; a bad setting is refused and changes nothing at the proxy.

mod common;
#[path = "common/procs.rs"]
mod procs;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use procs::{counting_origin, stack};
use serde_json::{json, Value};

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
    let (origin, hits) = counting_origin();
    let Some(st) = stack("maint", origin).await else {
        return;
    };
    let (e, api, port) = (&st.env, &st.api, st.port);
    let url = format!("http://127.0.0.1:{port}/shop/cart?x=1");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
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
