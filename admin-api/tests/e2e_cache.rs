//! The response cache end to end through the admin API: `POST /cache/config` turns a site's
//! cache on (rule set + reload), waf-proxy then answers the page from cache with `Age` and the
//! origin is not hit again while an attack on the same URL still gets 403; `/cache/stats`,
//! `/cache/stats/detail`, `/stats` (`cache_hit_rate`), `/cache/files` (list and read) show it;
//! deleting the entry or clearing the host makes the next request reach the origin; turning the
//! cache off stops it.

mod common;
#[path = "common/procs.rs"]
mod procs;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use actix_web::HttpResponse;
use procs::{counting_origin_with, stack};
use serde_json::{json, Value};

/// A cacheable page, as the origin answers every request.
fn catalogue() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "max-age=120"))
        .content_type("text/html")
        .body("<p>catalogue</p>")
}

#[actix_web::test]
async fn cache_configured_through_the_api_serves_from_cache_and_purges() {
    let (origin, hits) = counting_origin_with(catalogue);
    let Some(st) = stack("cache", origin).await else {
        return;
    };
    let (e, api, port) = (&st.env, &st.api, st.port);
    let url = format!("http://127.0.0.1:{port}/catalogue?page=2");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let start = Instant::now();
    while client.get(&url).send().await.is_err() || !e.socket.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waf-proxy did not come up"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let key = e.key(&["site:write", "cache:write", "monitor:read"]);
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut r = client
            .request(method, format!("{api}{path}"))
            .bearer_auth(&key);
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move {
            let r = r.send().await.expect("api");
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, added) = call(
        reqwest::Method::POST,
        "/site/add",
        Some(json!({"name": "Shop", "domain": "shop.test", "target_url": format!("http://{origin}")})),
    )
    .await;
    assert_eq!(s, 200, "{added}");

    let (s, bad) = call(
        reqwest::Method::POST,
        "/cache/config",
        Some(json!({"host": "shop.test", "enabled": true, "ttl": 0})),
    )
    .await;
    assert_eq!(
        (s, bad["code"].as_str()),
        (400, Some("validation_error")),
        "{bad}"
    );
    let (s, on) = call(
        reqwest::Method::POST,
        "/cache/config",
        Some(json!({"host": "shop.test", "enabled": true, "ttl": 600})),
    )
    .await;
    assert_eq!(s, 200, "{on}");
    assert_eq!(on["reload"]["applied"], true, "{on}");
    assert_eq!(on["sites"][0]["ttl"], 600, "{on}");

    let page = |extra: Option<(&'static str, &'static str)>| {
        let mut r = client.get(&url).header("Host", "shop.test");
        if let Some((k, v)) = extra {
            r = r.header(k, v);
        }
        async move {
            let r = r.send().await.expect("get");
            let age = r.headers().get("age").is_some();
            (r.status().as_u16(), age, r.text().await.unwrap_or_default())
        }
    };
    let before = hits.load(Ordering::SeqCst);
    assert_eq!(page(None).await, (200, false, "<p>catalogue</p>".into()));
    for _ in 0..3 {
        assert_eq!(page(None).await, (200, true, "<p>catalogue</p>".into()));
    }
    assert_eq!(hits.load(Ordering::SeqCst), before + 1, "origin hit once");
    let (status, _, body) = page(Some(("User-Agent", "sqlmap/1.8"))).await;
    assert_eq!(status, 403, "attack on the cached URL");
    assert!(!body.contains("catalogue"));

    let (s, st) = call(reqwest::Method::GET, "/cache/stats", None).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(
        (st["hits"].as_u64(), st["misses"].as_u64()),
        (Some(3), Some(1)),
        "{st}"
    );
    assert_eq!(st["entries"], 1, "{st}");
    assert_eq!(st["sites_enabled"], 1, "{st}");
    let (_, detail) = call(reqwest::Method::GET, "/cache/stats/detail", None).await;
    assert_eq!(detail["hosts"][0]["host"], "shop.test", "{detail}");
    let (_, stats) = call(reqwest::Method::GET, "/stats", None).await;
    assert_eq!(stats["cache_hit_rate"], 0.75, "{stats}");

    let (s, files) = call(reqwest::Method::GET, "/cache/files?host=shop.test", None).await;
    assert_eq!(s, 200, "{files}");
    assert_eq!(files["total"], 1, "{files}");
    assert_eq!(
        files["files"][0]["url"],
        "http://shop.test/catalogue?page=2"
    );
    let file = files["files"][0]["file"].as_str().unwrap_or("").to_string();
    let (s, read) = call(
        reqwest::Method::POST,
        "/cache/files",
        Some(json!({ "file": file })),
    )
    .await;
    assert_eq!(s, 200, "{read}");
    assert_eq!(read["content"], "<p>catalogue</p>", "{read}");
    assert_eq!(read["encoding"], "utf-8");

    let (s, del) = call(
        reqwest::Method::DELETE,
        "/cache/files/delete",
        Some(json!({ "files": [file.clone()] })),
    )
    .await;
    assert_eq!((s, del["removed"].as_u64()), (200, Some(1)), "{del}");
    let (s, gone) = call(
        reqwest::Method::POST,
        "/cache/files",
        Some(json!({ "file": file })),
    )
    .await;
    assert_eq!(s, 404, "{gone}");
    page(None).await;
    assert_eq!(
        hits.load(Ordering::SeqCst),
        before + 2,
        "deleted: origin again"
    );
    page(None).await;
    assert_eq!(hits.load(Ordering::SeqCst), before + 2, "cached again");

    let (s, cleared) = call(
        reqwest::Method::POST,
        "/cache/clear",
        Some(json!({"host": "shop.test"})),
    )
    .await;
    assert_eq!(s, 200, "{cleared}");
    assert_eq!(cleared["message"], "Site cache cleared");
    assert_eq!(cleared["removed"], 1, "{cleared}");
    page(None).await;
    assert_eq!(
        hits.load(Ordering::SeqCst),
        before + 3,
        "cleared: origin again"
    );

    let (s, off) = call(
        reqwest::Method::POST,
        "/cache/config",
        Some(json!({"host": "shop.test", "enabled": false})),
    )
    .await;
    assert_eq!(s, 200, "{off}");
    assert_eq!(off["removed"], 1, "{off}");
    for _ in 0..2 {
        assert!(!page(None).await.1, "no Age once off");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        before + 5,
        "cache off: every request"
    );
    let (s, all) = call(reqwest::Method::POST, "/cache/clear", None).await;
    assert_eq!(
        (s, all["message"].as_str()),
        (200, Some("All cache cleared")),
        "{all}"
    );
}

/// A classic script, as a shop would serve it.
const SCRIPT: &str = "// Prices of the catalogue, formatted for display.\nfunction formatPrice(amountInCents) {\n  var dollars = Math.floor(amountInCents / 100);\n  var cents = amountInCents % 100;\n  return '$' + dollars + '.' + (cents < 10 ? '0' + cents : cents);\n}\nvar catalogueTotal = formatPrice(12345);\n";

fn script() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "max-age=600"))
        .content_type("application/javascript")
        .body(SCRIPT)
}

/// What `node` prints for a script followed by `tail`; `None` without node.
fn run_node(script: &str, tail: &str) -> Option<String> {
    let out = std::process::Command::new("node")
        .arg("-e")
        .arg(format!("{script};{tail}"))
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "node: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[actix_web::test]
async fn cached_javascript_is_minified_in_place_and_served_from_cache() {
    let (origin, hits) = counting_origin_with(script);
    let Some(st) = stack("cachejs", origin).await else {
        return;
    };
    let (e, api, port) = (&st.env, &st.api, st.port);
    let url = format!("http://127.0.0.1:{port}/static/app.js");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    // `stack` returned once the proxy accepts connections and its control socket exists.
    let key = e.key(&["site:write", "cache:write"]);
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut r = client
            .request(method, format!("{api}{path}"))
            .bearer_auth(&key);
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move {
            let r = r.send().await.expect("api");
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let site =
        json!({"name": "Shop", "domain": "shop.test", "target_url": format!("http://{origin}")});
    assert_eq!(
        call(reqwest::Method::POST, "/site/add", Some(site)).await.0,
        200
    );
    let on = json!({"host": "shop.test", "enabled": true, "ttl": 600});
    assert_eq!(
        call(reqwest::Method::POST, "/cache/config", Some(on))
            .await
            .0,
        200
    );
    let get = || async {
        let r = client
            .get(&url)
            .header("Host", "shop.test")
            .send()
            .await
            .expect("get");
        let age = r.headers().get("age").is_some();
        (r.status().as_u16(), age, r.text().await.unwrap_or_default())
    };
    let before = hits.load(Ordering::SeqCst);
    assert_eq!(get().await, (200, false, SCRIPT.to_string()));
    assert_eq!(get().await, (200, true, SCRIPT.to_string()));

    for bad in [
        json!({"host": ""}),
        json!({"host": "shop.test", "all": true}),
    ] {
        let (s, b) = call(reqwest::Method::POST, "/cache/js-obfuscate", Some(bad)).await;
        assert_eq!(s, 400, "{b}");
    }
    let (s, idle) = call(
        reqwest::Method::GET,
        "/cache/js-obfuscate/status?host=shop.test",
        None,
    )
    .await;
    assert_eq!((s, idle["status"].as_str()), (200, Some("idle")), "{idle}");
    let (s, started) = call(
        reqwest::Method::POST,
        "/cache/js-obfuscate",
        Some(json!({"host": "shop.test"})),
    )
    .await;
    assert_eq!(s, 200, "{started}");
    assert_eq!(started["message"], "JS obfuscation started", "{started}");
    assert!(
        !started["task_id"].as_str().unwrap_or("").is_empty(),
        "{started}"
    );
    let start = Instant::now();
    let done = loop {
        let (_, st) = call(
            reqwest::Method::GET,
            "/cache/js-obfuscate/status?host=shop.test",
            None,
        )
        .await;
        if st["status"] == "done" {
            break st;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "not done: {st}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (
            done["total"].as_u64(),
            done["rewritten"].as_u64(),
            done["progress"].as_u64()
        ),
        (Some(1), Some(1), Some(100)),
        "{done}"
    );
    assert!(
        done["bytes_after"].as_u64() < done["bytes_before"].as_u64(),
        "{done}"
    );

    let (status, age, body) = get().await;
    assert_eq!((status, age), (200, true), "served from cache");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        before + 1,
        "origin hit once in all"
    );
    assert!(body.len() < SCRIPT.len(), "{body}");
    assert!(
        !body.contains("Prices of the catalogue"),
        "comments dropped: {body}"
    );
    assert!(!body.contains("amountInCents"), "locals mangled: {body}");
    let tail = "console.log(formatPrice(7), catalogueTotal)";
    if let (Some(a), Some(b)) = (run_node(SCRIPT, tail), run_node(&body, tail)) {
        assert_eq!(a, b, "the rewritten script computes the same");
        assert_eq!(a.trim(), "$0.07 $123.45");
    }
}
