//! The response cache through the running proxy: a real waf-proxy binary in front of an
//! in-process origin that counts the requests it receives per path.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::{client, rules_dir, Proxy, TempDir};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Requests the origin received, by path (query included).
type Hits = Arc<Mutex<HashMap<String, usize>>>;

/// An origin whose answer depends on the path:
/// `/page` `max-age=60`; `/nostore` `no-store`; `/cookie` sets a cookie; `/vary` varies on
/// `Accept-Language` (echoing it); `/big/N` is 40 KiB; anything else has no cache headers.
async fn counting_origin() -> (SocketAddr, Hits) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind origin");
    let addr = l.local_addr().expect("addr");
    let hits = Hits::default();
    let seen = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = l.accept().await else { return };
            let seen = seen.clone();
            tokio::spawn(async move {
                let (r, mut w) = s.into_split();
                let mut r = BufReader::new(r);
                loop {
                    let mut path = String::new();
                    let mut lang = String::new();
                    let mut first = true;
                    loop {
                        let mut line = String::new();
                        match r.read_line(&mut line).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if first {
                            path = line.split(' ').nth(1).unwrap_or("").to_string();
                            first = false;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("accept-language:") {
                            lang = v.trim().to_string();
                        }
                    }
                    if let Ok(mut h) = seen.lock() {
                        *h.entry(path.clone()).or_default() += 1;
                    }
                    let (headers, body) = match path.as_str() {
                        "/page" | "/page?x=1" => {
                            ("Cache-Control: max-age=60\r\n", "page".to_string())
                        }
                        "/nostore" => ("Cache-Control: no-store\r\n", "nostore".into()),
                        "/cookie" => (
                            "Cache-Control: max-age=60\r\nSet-Cookie: s=1\r\n",
                            "cookie".into(),
                        ),
                        "/vary" => (
                            "Cache-Control: max-age=60\r\nVary: Accept-Language\r\n",
                            format!("lang={lang}"),
                        ),
                        p if p.starts_with("/big/") => {
                            ("Cache-Control: max-age=60\r\n", "x".repeat(40 * 1024))
                        }
                        _ => ("", "plain".into()),
                    };
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{headers}\r\n{body}",
                        body.len()
                    );
                    if w.write_all(resp.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, hits)
}

fn count(hits: &Hits, path: &str) -> usize {
    hits.lock().map_or(0, |h| h.get(path).copied().unwrap_or(0))
}

/// A proxy for `a.test` with the cache on (TTL 300) and `extra` flags.
async fn start(tag: &str, extra: &[&str]) -> (Proxy, Hits, TempDir) {
    let (origin, hits) = counting_origin().await;
    let dir = TempDir::new(tag);
    let sites = format!(
        "sites:\n  - {{ id: 1, name: A, domain: a.test, target_url: \"http://{origin}\", cache: {{ enabled: true, ttl: 300 }} }}\n  - {{ id: 2, name: B, domain: b.test, target_url: \"http://{origin}\" }}\n"
    );
    let rules = rules_dir(&dir, &[("sites.yaml", &sites)]);
    let mut args = vec!["--rules-dir", rules.to_str().unwrap_or("")];
    args.extend_from_slice(extra);
    let p = Proxy::start(&dir, &args, false);
    (p, hits, dir)
}

async fn get(p: &Proxy, host: &str, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut r = client().get(p.url(path)).header("Host", host);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.expect("get")
}

#[tokio::test]
async fn cached_page_served_with_age_and_attack_still_blocked() {
    let (p, hits, _dir) = start("cache-hit", &[]).await;
    let first = get(&p, "a.test", "/page", &[]).await;
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("age").is_none(), "a miss has no Age");
    assert_eq!(first.text().await.expect("body"), "page");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for _ in 0..3 {
        let r = get(&p, "a.test", "/page", &[]).await;
        assert_eq!(r.status(), 200);
        let age: u64 = r
            .headers()
            .get("age")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Age on a hit");
        assert!(age >= 1, "age {age}");
        assert_eq!(r.text().await.expect("body"), "page");
    }
    assert_eq!(count(&hits, "/page"), 1, "the origin saw one request");
    // An attack on the cached URL is inspected first: 403, never the cached page.
    let attack = get(
        &p,
        "a.test",
        "/page",
        &[("User-Agent", "sqlmap/1.7"), ("X-Q", "1' OR '1'='1' --")],
    )
    .await;
    assert_eq!(attack.status(), 403);
    assert_ne!(attack.text().await.expect("body"), "page");
    let attack = get(&p, "a.test", "/page?x=1%27%20OR%201=1--", &[]).await;
    assert_eq!(attack.status(), 403);
    // A site without the cache: every request reaches the origin.
    for _ in 0..2 {
        get(&p, "b.test", "/page", &[]).await;
    }
    assert_eq!(count(&hits, "/page"), 3);
    let stats = p.control(r#"{"cmd":"cache-stats"}"#);
    assert_eq!(stats["data"]["hits"], 3, "{stats}");
    assert_eq!(stats["data"]["misses"], 1, "{stats}");
    assert_eq!(stats["data"]["entries"], 1, "{stats}");
    let all = p.control(r#"{"cmd":"stats"}"#);
    assert_eq!(all["data"]["cache_hits"], 3, "{all}");
}

#[tokio::test]
async fn authorization_set_cookie_and_no_store_are_not_cached() {
    let (p, hits, _dir) = start("cache-private", &[]).await;
    for _ in 0..2 {
        let r = get(&p, "a.test", "/page?x=1", &[("Authorization", "Bearer t")]).await;
        assert_eq!(r.status(), 200);
        let r = get(&p, "a.test", "/cookie", &[]).await;
        assert_eq!(
            r.headers().get("set-cookie").map(|v| v.as_bytes()),
            Some(&b"s=1"[..])
        );
        get(&p, "a.test", "/nostore", &[]).await;
        get(&p, "a.test", "/page", &[("Cache-Control", "no-store")]).await;
    }
    assert_eq!(count(&hits, "/page?x=1"), 2, "Authorization: not stored");
    assert_eq!(count(&hits, "/cookie"), 2, "Set-Cookie: not stored");
    assert_eq!(count(&hits, "/nostore"), 2, "no-store: not stored");
    assert_eq!(count(&hits, "/page"), 2, "request no-store: not stored");
    let list = p.control(r#"{"cmd":"cache-list"}"#);
    assert_eq!(
        list["data"]["entries"].as_array().map(Vec::len),
        Some(0),
        "{list}"
    );
}

#[tokio::test]
async fn vary_keeps_one_variant_per_header_value() {
    let (p, hits, _dir) = start("cache-vary", &[]).await;
    for lang in ["en", "fr", "en", "fr", "en"] {
        let r = get(&p, "a.test", "/vary", &[("Accept-Language", lang)]).await;
        assert_eq!(r.text().await.expect("body"), format!("lang={lang}"));
    }
    assert_eq!(count(&hits, "/vary"), 2, "one origin request per variant");
}

#[tokio::test]
async fn memory_bound_evicts_an_entry() {
    // 100 KiB hold two 40 KiB entries, not three.
    let (p, hits, _dir) = start("cache-evict", &["--cache-max-bytes", "102400"]).await;
    let paths = ["/big/1", "/big/2", "/big/3"];
    for path in paths {
        get(&p, "a.test", path, &[])
            .await
            .bytes()
            .await
            .expect("body");
    }
    // The entry is admitted once its write finishes, just after the client got the body, and
    // the evicted one is purged from storage by a task of its own.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let stats = loop {
        let s = p.control(r#"{"cmd":"cache-stats"}"#);
        if (s["data"]["evicted_entries"] == 1 && s["data"]["entries"] == 2)
            || std::time::Instant::now() > deadline
        {
            break s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(
        stats["data"]["bytes"].as_u64().unwrap_or(u64::MAX) <= 102_400,
        "{stats}"
    );
    assert_eq!(stats["data"]["entries"], 2, "{stats}");
    assert_eq!(stats["data"]["evicted_entries"], 1, "{stats}");
    let list = p.control(r#"{"cmd":"cache-list"}"#);
    let kept: Vec<String> = list["data"]["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            e["url"]
                .as_str()
                .map(|u| u.trim_start_matches("http://a.test").to_string())
        })
        .collect();
    assert_eq!(kept.len(), 2, "{list}");
    // The kept ones are served from cache, the evicted one comes from the origin again.
    for path in &kept {
        get(&p, "a.test", path, &[])
            .await
            .bytes()
            .await
            .expect("body");
        assert_eq!(count(&hits, path), 1, "{path} kept");
    }
    let gone = paths
        .iter()
        .find(|p| !kept.iter().any(|k| k == *p))
        .expect("one evicted");
    get(&p, "a.test", gone, &[])
        .await
        .bytes()
        .await
        .expect("body");
    assert_eq!(count(&hits, gone), 2, "{gone} evicted");
}

#[tokio::test]
async fn entries_listed_read_purged_and_cleared() {
    let (p, hits, _dir) = start("cache-purge", &[]).await;
    get(&p, "a.test", "/page", &[]).await;
    get(&p, "a.test", "/big/1", &[]).await;
    let list = p.control(r#"{"cmd":"cache-list","host":"a.test"}"#);
    let entries = list["data"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(entries.len(), 2, "{list}");
    let page = entries
        .iter()
        .find(|e| e["url"] == "http://a.test/page")
        .expect("page entry");
    let id = page["id"].as_str().unwrap_or("").to_string();
    let read = p.control(&format!(r#"{{"cmd":"cache-read","id":"{id}"}}"#));
    assert_eq!(read["data"]["body"], "page", "{read}");
    assert_eq!(read["data"]["entry"]["status"], 200);
    let purged = p.control(&format!(r#"{{"cmd":"cache-purge","ids":["{id}"]}}"#));
    assert_eq!(purged["data"]["removed"], 1, "{purged}");
    get(&p, "a.test", "/page", &[]).await;
    assert_eq!(count(&hits, "/page"), 2, "purged: fetched again");
    let cleared = p.control(r#"{"cmd":"cache-clear","host":"a.test"}"#);
    assert_eq!(cleared["data"]["removed"], 2, "{cleared}");
    get(&p, "a.test", "/big/1", &[]).await;
    assert_eq!(count(&hits, "/big/1"), 2, "cleared: fetched again");
    get(&p, "a.test", "/page", &[]).await;
    assert_eq!(count(&hits, "/page"), 3, "cleared: fetched again");
    let missing = p.control(&format!(r#"{{"cmd":"cache-read","id":"{id}"}}"#));
    assert_eq!(missing["ok"], true, "the page was cached again: {missing}");
    p.control(r#"{"cmd":"cache-clear"}"#);
    let missing = p.control(&format!(r#"{{"cmd":"cache-read","id":"{id}"}}"#));
    assert_eq!(missing["ok"], false, "{missing}");
}
