//! End-to-end tests: the built waf-proxy binary between reqwest and an in-process origin, all on
//! loopback, every wait bounded.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use sha2::{Digest, Sha256};

const SQLI: &str = "/?id=1'%20or%20'1'='1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn benign_passes_unchanged_and_attack_gets_block_page() {
    let o = origin("origin-ok").await;
    let dir = TempDir::new("block");
    let up = format!("http://{o}");
    let p = Proxy::start(&dir, &["--upstream", &up], false);
    let c = client();
    let r = c.get(p.url("/hello?q=O'Brien")).send().await.expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-seen-real-ip"], "127.0.0.1");
    assert_eq!(r.text().await.expect("body"), "origin-ok");

    let r = c.get(p.url(SQLI)).send().await.expect("get");
    assert_eq!(r.status(), 403);
    let html = r.text().await.expect("body");
    assert!(html.contains("Request id: <code>"), "{html}");
    assert!(html.contains("Rule: <code>"), "{html}");
    assert!(
        !html.contains("or '1'") && !html.contains("%20or%20"),
        "payload echoed"
    );

    let r = c
        .get(p.url(SQLI))
        .header("Accept", "application/json")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 403);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["status"], 403);
    assert!(v["request_id"].as_str().is_some_and(|s| s.len() == 16));
    assert!(v["rule_id"].as_str().is_some());

    // A body attack is caught before it reaches the origin (tests/body.rs: not even its head).
    let r = c
        .post(p.url("/form"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("name=x&q=1' union select password from users--")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    let r = c
        .post(p.url("/form"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("name=alice&comment=hello+world")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-body-len"], "30");

    // Bodies arriving in many chunks: held until inspected, then forwarded whole; past the
    // inspection limit (128 KiB) the prefix is inspected and the rest streamed.
    for size in [100_000usize, 300_000] {
        let r = c
            .post(p.url("/upload"))
            .body("a".repeat(size))
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-body-len"], size.to_string().as_str());
    }
    let r = c
        .post(p.url("/form"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "pad={}&q=1' union select password from users--",
            "a".repeat(100_000)
        ))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403, "attack at the end of a 100 KB body");

    // Every block is one event line.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&p.events).unwrap_or_default();
        if text.lines().count() >= 4 {
            let ev: waf_core::event::AttackEvent =
                serde_json::from_str(text.lines().next().unwrap_or("")).expect("event line");
            assert_eq!(ev.action, "block");
            assert_eq!(ev.client_ip, "127.0.0.1");
            break;
        }
        assert!(Instant::now() < deadline, "events not written: {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Requests are counted in the logging phase, after the response went out: poll briefly.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stats = p.control(r#"{"cmd":"stats"}"#);
        let blocked = stats["data"]["blocked_requests"].as_u64();
        if blocked == Some(4) || Instant::now() >= deadline {
            assert_eq!(blocked, Some(4), "{stats}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_by_host_round_robin_and_unknown_host_404() {
    let a1 = origin("a1").await;
    let a2 = origin("a2").await;
    let b = origin("b").await;
    let dir = TempDir::new("routing");
    let sites = format!(
        "sites:\n  - {{ id: 1, name: A, domain: a.test, target_urls: [\"http://{a1}\", \"http://{a2}\"] }}\n  - {{ id: 2, name: B, domain: \"b.test, *.b.test\", target_url: \"http://{b}\" }}\n"
    );
    let rules = rules_dir(&dir, &[("sites.yaml", &sites)]);
    let p = Proxy::start(&dir, &["--rules-dir", rules.to_str().unwrap_or("")], false);
    let c = client();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..4 {
        let r = c
            .get(p.url("/"))
            .header("Host", "a.test")
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200);
        seen.insert(r.text().await.expect("body"));
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["a1", "a2"]);
    for host in ["b.test", "www.b.test", "B.TEST:80"] {
        let r = c
            .get(p.url("/"))
            .header("Host", host)
            .send()
            .await
            .expect("get");
        assert_eq!(r.text().await.expect("body"), "b", "host {host}");
    }
    let r = c
        .get(p.url("/"))
        .header("Host", "unknown.test")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 404);
    let health = p.control(r#"{"cmd":"health"}"#);
    assert_eq!(health["data"]["sites"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_rule_skips_inspection_and_origin_down_is_502() {
    let o = origin("ok").await;
    let dir = TempDir::new("allow");
    let acl = "acl:\n  - { id: 1, type: global, rule_type: url, pattern: /trusted, action: allow, enabled: true }\n";
    let rules = rules_dir(&dir, &[("acl.yaml", acl)]);
    let up = format!("http://{o}");
    let p = Proxy::start(
        &dir,
        &[
            "--upstream",
            &up,
            "--rules-dir",
            rules.to_str().unwrap_or(""),
        ],
        false,
    );
    let c = client();
    let r = c
        .get(p.url("/trusted?id=1'%20or%20'1'='1"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let r = c.get(p.url(SQLI)).send().await.expect("get");
    assert_eq!(r.status(), 403);

    // An origin that is down: 502 page, the proxy keeps running.
    let dir2 = TempDir::new("down");
    let dead = format!("http://127.0.0.1:{}", free_port());
    let p2 = Proxy::start(&dir2, &["--upstream", &dead], false);
    let r = c.get(p2.url("/")).send().await.expect("get");
    assert_eq!(r.status(), 502);
    let r = c.get(p2.url("/")).send().await.expect("get again");
    assert_eq!(r.status(), 502);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cc_rule_bans_the_eleventh_request_and_the_ban_expires() {
    let o = origin("ok").await;
    let dir = TempDir::new("cc");
    let cc = "cc:\n  - { id: 1, host: \"*\", path: /api, threshold: 10, window: 60, ban_duration: 300, action: block }\n  - { id: 2, host: \"*\", path: /short, threshold: 3, window: 1, ban_duration: 2, action: block }\n";
    let rules = rules_dir(&dir, &[("cc.yaml", cc)]);
    let up = format!("http://{o}");
    let p = Proxy::start(
        &dir,
        &[
            "--upstream",
            &up,
            "--rules-dir",
            rules.to_str().unwrap_or(""),
        ],
        false,
    );
    let one = client_from("127.0.0.1");
    let two = client_from("127.0.0.2");
    for i in 1..=10 {
        let r = one.get(p.url("/api/x")).send().await.expect("get");
        assert_eq!(r.status(), 200, "request {i}");
    }
    let r = one.get(p.url("/api/x")).send().await.expect("get");
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!((290..=300).contains(&retry), "retry-after {retry}");
    let r = two.get(p.url("/api/x")).send().await.expect("get");
    assert_eq!(r.status(), 200, "another client passes");

    let bans = p.control(r#"{"cmd":"bans"}"#);
    assert_eq!(bans["data"]["bans"][0]["ip"], "127.0.0.1");
    let cleared = p.control(r#"{"cmd":"bans-clear","ip":"127.0.0.1"}"#);
    assert_eq!(cleared["data"]["cleared"], 1);
    p.control(r#"{"cmd":"cc-clear-counters"}"#);
    let r = one.get(p.url("/api/x")).send().await.expect("get");
    assert_eq!(r.status(), 200, "unbanned");

    // Expiry: 3 per second, banned 2 s.
    for _ in 0..3 {
        one.get(p.url("/short")).send().await.expect("get");
    }
    let r = one.get(p.url("/short")).send().await.expect("get");
    assert_eq!(r.status(), 429);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let r = one.get(p.url("/short")).send().await.expect("get");
    assert_eq!(r.status(), 200, "ban expired");
}

/// Leading zero bits of SHA-256(`token:nonce`), the proof of work the challenge asks for.
fn work(token: &str, nonce: &str) -> u32 {
    let d = Sha256::new()
        .chain_update(token.as_bytes())
        .chain_update(b":")
        .chain_update(nonce.as_bytes())
        .finalize();
    let mut z = 0;
    for b in d.iter() {
        if *b == 0 {
            z += 8;
        } else {
            z += b.leading_zeros();
            break;
        }
    }
    z
}

fn solve(token: &str, bits: u32) -> u64 {
    (0u64..)
        .find(|n| work(token, &n.to_string()) >= bits)
        .unwrap_or(0)
}

/// A nonce that does not solve the challenge (any fixed guess solves one token in 2^bits).
fn wrong_nonce(token: &str, bits: u32) -> String {
    (0u64..)
        .map(|n| format!("not-it-{n}"))
        .find(|n| work(token, n) < bits)
        .unwrap_or_default()
}

fn attr<'a>(html: &'a str, name: &str) -> &'a str {
    let key = format!("{name}=\"");
    html.split_once(&key)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or("", |(v, _)| v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn challenge_round_trip_sets_a_cookie_bound_to_the_ip() {
    let o = origin("ok").await;
    let dir = TempDir::new("challenge");
    let custom = "custom_rules:\n  - id: chal\n    name: Challenge the checkout\n    action: challenge\n    judges:\n      - { position: uri, content: /checkout }\n";
    let rules = rules_dir(&dir, &[("custom.yaml", custom)]);
    let cfg = dir.write(
        "proxy.yaml",
        "challenge:\n  difficulty: 10\n  cookie_ttl_secs: 600\n",
    );
    let up = format!("http://{o}");
    let p = Proxy::start(
        &dir,
        &[
            "--config",
            cfg.to_str().unwrap_or(""),
            "--upstream",
            &up,
            "--rules-dir",
            rules.to_str().unwrap_or(""),
        ],
        false,
    );
    let c = client();
    let r = c.get(p.url("/checkout?x=1")).send().await.expect("get");
    assert_eq!(r.status(), 403);
    let html = r.text().await.expect("page");
    let token = attr(&html, "data-token").to_string();
    let bits: u32 = attr(&html, "data-bits").parse().expect("bits");
    assert_eq!(bits, 10);
    assert_eq!(attr(&html, "data-return"), "/checkout?x=1");
    let nonce = solve(&token, bits);

    // A wrong answer is refused.
    let wrong = wrong_nonce(&token, bits);
    let bad = c
        .get(p.url(&format!(
            "/.well-known/waf-challenge?token={token}&nonce={wrong}&return=/checkout"
        )))
        .send()
        .await
        .expect("verify");
    assert_eq!(bad.status(), 400);
    let r = c
        .get(p.url(&format!(
            "/.well-known/waf-challenge?token={token}&nonce={nonce}&return=%2Fcheckout%3Fx%3D1"
        )))
        .send()
        .await
        .expect("verify");
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/checkout?x=1");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .unwrap_or("")
        .to_string();
    let r = c
        .get(p.url("/checkout?x=1"))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.expect("body"), "ok");
    // The cookie is bound to the IP it was earned from.
    let r = client_from("127.0.0.3")
        .get(p.url("/checkout?x=1"))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_reloads_under_load_fail_no_request_and_a_bad_reload_keeps_the_policy() {
    let o = origin("ok").await;
    let dir = TempDir::new("reload");
    let rules = rules_dir(&dir, &[]);
    let up = format!("http://{o}");
    let p = Proxy::start(
        &dir,
        &[
            "--upstream",
            &up,
            "--rules-dir",
            rules.to_str().unwrap_or(""),
        ],
        false,
    );
    let before = p.control(r#"{"cmd":"status"}"#)["data"]["version"].clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut load = Vec::new();
    for i in 0..6 {
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        let c = client();
        let benign = p.url(&format!("/page/{i}?q=hello"));
        let attack = p.url(SQLI);
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let good = c.get(&benign).send().await.map(|r| r.status().as_u16());
                let bad = c.get(&attack).send().await.map(|r| r.status().as_u16());
                if good.as_ref().ok() == Some(&200) && bad.as_ref().ok() == Some(&403) {
                    ok.fetch_add(2, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                    eprintln!("failure: {good:?} {bad:?}");
                }
            }
        }));
    }
    let sock = p.control.clone();
    let rules2 = rules.clone();
    let reloads = tokio::task::spawn_blocking(move || {
        let mut versions = std::collections::HashSet::new();
        for i in 0..100 {
            let custom = format!(
                "custom_rules:\n  - id: r{i}\n    name: rule {i}\n    action: block\n    judges:\n      - {{ position: uri, content: /never-{i} }}\n"
            );
            std::fs::write(rules2.join("custom.yaml"), custom).expect("write");
            let r = control(&sock, r#"{"cmd":"reload"}"#);
            assert_eq!(r["ok"], true, "{r}");
            versions.insert(r["data"]["version"].to_string());
        }
        versions.len()
    })
    .await
    .expect("reloads");
    assert_eq!(reloads, 100, "each reload swapped in a new version");
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.await.expect("load task");
    }
    assert_eq!(failed.load(Ordering::Relaxed), 0, "failed requests");
    assert!(ok.load(Ordering::Relaxed) > 100, "load ran");

    // A bad reload: errors returned, old policy still serving.
    let live = p.control(r#"{"cmd":"status"}"#)["data"]["version"].clone();
    assert_ne!(live, before);
    std::fs::write(
        rules.join("custom.yaml"),
        "custom_rules:\n  - id: broken\n    name: x\n    action: explode\n",
    )
    .expect("write");
    let r = p.control(r#"{"cmd":"reload"}"#);
    assert_eq!(r["ok"], false);
    assert!(r["errors"].as_array().is_some_and(|e| !e.is_empty()), "{r}");
    assert_eq!(p.control(r#"{"cmd":"status"}"#)["data"]["version"], live);
    let c = client();
    assert_eq!(c.get(p.url(SQLI)).send().await.expect("get").status(), 403);
    assert_eq!(c.get(p.url("/")).send().await.expect("get").status(), 200);
    assert_eq!(p.control(r#"{"cmd":"status"}"#)["data"]["reloads"][1], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_each_sni_name_its_own_certificate() {
    let a = origin("site-a").await;
    let b = origin("site-b").await;
    let dir = TempDir::new("tls");
    // Site A has a certificate on disk; site B gets a generated self-signed one.
    let ck = rcgen::generate_simple_self_signed(vec!["a.test".to_string()]).expect("cert");
    dir.write("a.crt", &ck.cert.pem());
    dir.write("a.key", &ck.signing_key.serialize_pem());
    let sites = format!(
        "sites:\n  - {{ id: 1, name: A, domain: a.test, target_url: \"http://{a}\", enable_https: true, cert_file: {crt}, key_file: {key} }}\n  - {{ id: 2, name: B, domain: b.test, target_url: \"http://{b}\", enable_https: true, force_https_redirect: true }}\n",
        crt = dir.path().join("a.crt").display(),
        key = dir.path().join("a.key").display(),
    );
    let rules = rules_dir(&dir, &[("sites.yaml", &sites)]);
    let p = Proxy::start(&dir, &["--rules-dir", rules.to_str().unwrap_or("")], true);
    let tls_port = p.tls_port.unwrap_or(0);
    let addr: std::net::SocketAddr = format!("127.0.0.1:{tls_port}").parse().expect("addr");
    let c = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .tls_info(true)
        .resolve("a.test", addr)
        .resolve("b.test", addr)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    for (host, body) in [("a.test", "site-a"), ("b.test", "site-b")] {
        let r = c
            .get(format!("https://{host}:{tls_port}/"))
            .send()
            .await
            .expect("https get");
        assert_eq!(r.status(), 200);
        let der = r
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|t| t.peer_certificate())
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        assert!(
            der.windows(host.len()).any(|w| w == host.as_bytes()),
            "certificate for {host}"
        );
        assert_eq!(r.text().await.expect("body"), body);
    }
    // Plain HTTP to the forced site: 301 to https.
    let r = client()
        .get(p.url("/x?y=1"))
        .header("Host", "b.test")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 301);
    assert_eq!(r.headers()["location"], "https://b.test/x?y=1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn country_rule_blocks_by_geoip() {
    let o = origin("ok").await;
    let dir = TempDir::new("geo");
    let db = mmdb(&[("127.0.0.2", 32, "XX"), ("127.0.0.1", 32, "YY")]);
    let db_path = dir.path().join("country.mmdb");
    std::fs::write(&db_path, db).expect("write mmdb");
    let acl = "acl:\n  - { id: 7, type: global, rule_type: country, pattern: XX, action: block, enabled: true }\n";
    let rules = rules_dir(&dir, &[("acl.yaml", acl)]);
    let up = format!("http://{o}");
    let p = Proxy::start(
        &dir,
        &[
            "--upstream",
            &up,
            "--rules-dir",
            rules.to_str().unwrap_or(""),
            "--geoip",
            db_path.to_str().unwrap_or(""),
        ],
        false,
    );
    let r = client_from("127.0.0.2")
        .get(p.url("/"))
        .header("Accept", "application/json")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 403);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["rule_id"], "acl_7");
    let r = client_from("127.0.0.1")
        .get(p.url("/"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
}
