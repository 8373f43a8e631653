//! End to end with the real waf-proxy (`target/debug/waf-proxy`, built by CI before the tests):
//! an ACL rule blocking a user agent, created through the API served on port 0, blocks that user
//! agent at the proxy within 1 s; deleting it lets the user agent through again. And the attack
//! log: attacks sent through the proxy appear in `/attack/logs` within 2 s, in the CSV export and
//! in `/attack/stats`; attacks sent while the ingester is stopped all appear once it is back.

mod common;
#[path = "common/procs.rs"]
mod procs;

use std::time::{Duration, Instant};

use actix_web::HttpServer;
use admin_api::build_app;
use admin_api::state::Transport;
use common::env;
use procs::{proxy_bin, spawn_origin, spawn_proxy, stack};
use serde_json::{json, Value};

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
    let Some(st) = stack("e2e", spawn_origin()).await else {
        return;
    };
    let (e, admin_url, port) = (&st.env, &st.admin, st.port);
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

/// Sends `n` SQL injection attempts through the proxy, numbered from `from`; all must get 403.
async fn send_attacks(client: &reqwest::Client, port: u16, from: usize, n: usize) {
    for i in from..from + n {
        let url = format!("http://127.0.0.1:{port}/search?n={i}&q=1%27%20OR%20%271%27%3D%271");
        let status = client.get(&url).send().await.map(|r| r.status().as_u16());
        assert_eq!(status.ok(), Some(403), "attack {i} not blocked");
    }
}

/// Polls `/attack/logs` until it holds `want` rows (or `within` passes); returns the rows.
async fn wait_for_logs(
    client: &reqwest::Client,
    admin: &str,
    key: &str,
    want: usize,
    within: Duration,
) -> (Vec<Value>, Duration) {
    let start = Instant::now();
    loop {
        let mut rows = Vec::new();
        for page in 1.. {
            let url = format!("{admin}/openapi/v1/attack/logs?page={page}&page_size=100");
            let Ok(res) = client.get(url).bearer_auth(key).send().await else {
                break;
            };
            let Ok(b) = res.json::<Value>().await else {
                break;
            };
            let logs = b["logs"].as_array().cloned().unwrap_or_default();
            let done = logs.len() < 100;
            rows.extend(logs);
            if done {
                break;
            }
        }
        if rows.len() >= want || start.elapsed() >= within {
            return (rows, start.elapsed());
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn attacks_through_the_proxy_reach_the_attack_log_exactly_once() {
    let bin = proxy_bin();
    if !bin.exists() {
        eprintln!(
            "SKIP: {} not built (CI builds it before the tests)",
            bin.display()
        );
        return;
    }
    let e = env("e2e-log", Transport::PlainHttp);
    let events = e.dir.join("events.jsonl");
    let db = e.dir.join("waf-admin.db");
    let origin = spawn_origin();
    let state = e.state.clone();
    let admin = HttpServer::new(move || build_app(state.clone()))
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("admin bind");
    let admin_url = format!("http://{}", admin.addrs()[0]);
    actix_web::rt::spawn(admin.run());
    let (_proxy, port) = spawn_proxy(&bin, origin, &["--events".as_ref(), events.as_os_str()]);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let up = format!("http://127.0.0.1:{port}/");
    assert!(
        wait_for_status(&client, &up, "Mozilla/5.0", 200, Duration::from_secs(20))
            .await
            .is_some(),
        "waf-proxy did not come up"
    );
    let key = e.key(&["attack:read"]);

    // Ingest running: 20 attacks appear within 2 s with rule, attack type and client IP.
    let ingest =
        admin_api::ingest::spawn(&db, &events, Duration::from_millis(500)).expect("ingest");
    send_attacks(&client, port, 0, 20).await;
    let (rows, took) = wait_for_logs(&client, &admin_url, &key, 20, Duration::from_secs(2)).await;
    assert_eq!(
        rows.len(),
        20,
        "only {} of 20 attacks in /attack/logs after {took:?}",
        rows.len()
    );
    for r in &rows {
        assert_eq!(r["client_ip"], "127.0.0.1", "{r}");
        assert_eq!(r["attack_type"], "sqli", "{r}");
        assert!(
            r["rule_id"].as_str().is_some_and(|id| !id.is_empty()),
            "{r}"
        );
    }
    let csv = client
        .get(format!("{admin_url}/openapi/v1/attack/export?format=csv"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("export");
    assert_eq!(csv.status().as_u16(), 200);
    let text = csv.text().await.expect("csv");
    assert_eq!(text.lines().count(), 21, "header + 20 rows:\n{text}");
    let stats: Value = client
        .get(format!("{admin_url}/openapi/v1/attack/stats"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["total_attacks"], 20, "{stats}");

    // Ingest stopped (waf-admin down): 300 more attacks; back up, each appears exactly once.
    ingest.stop();
    send_attacks(&client, port, 20, 300).await;
    let _ingest =
        admin_api::ingest::spawn(&db, &events, Duration::from_millis(500)).expect("ingest");
    let (rows, took) = wait_for_logs(&client, &admin_url, &key, 320, Duration::from_secs(10)).await;
    let ids: std::collections::HashSet<&str> = rows
        .iter()
        .filter_map(|r| r["request_id"].as_str())
        .collect();
    assert_eq!(rows.len(), 320, "after catching up for {took:?}");
    assert_eq!(ids.len(), 320, "duplicated events");
}

#[actix_web::test]
async fn wispanel_status_reports_the_live_rule_count_and_log_only_changes_the_proxy() {
    let Some(st) = stack("e2e-wis", spawn_origin()).await else {
        return;
    };
    let (e, admin_url, port) = (&st.env, &st.admin, st.port);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let key = e.key(&["settings:write", "custom-rules:write"]);
    let base = format!("{admin_url}/api/v1/security/module/modsecurity");
    let attack = format!("http://127.0.0.1:{port}/?id=1%27%20or%20%271%27%3D%271");
    let attack_status = || async {
        client
            .get(&attack)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .ok()
    };

    // The live rule count, then one more custom rule through the WisPanel endpoint: the count
    // reported is the proxy's, after its reload.
    let status = |c: &reqwest::Client| {
        let req = c.get(format!("{base}/status")).bearer_auth(&key).send();
        async move {
            req.await
                .expect("status")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let before = status(&client).await;
    let count = before["data"]["rule_count"].as_u64().expect("rule_count");
    assert!(count > 0, "{before}");
    let yaml = "- name: block probe\n  method: any\n  action: block\n  relation: or\n  judges:\n    - position: uri\n      content: /wispanel-probe\n";
    let put = client
        .put(format!("{base}/rules/custom"))
        .bearer_auth(&key)
        .json(&json!({ "rules": yaml }))
        .send()
        .await
        .expect("put custom");
    let put_status = put.status().as_u16();
    let put_body = put.text().await.unwrap_or_default();
    assert_eq!(put_status, 200, "{put_body}");
    let after = status(&client).await;
    assert_eq!(
        after["data"]["rule_count"].as_u64(),
        Some(count + 1),
        "{after}"
    );
    let probe = format!("http://127.0.0.1:{port}/wispanel-probe");
    assert_eq!(
        client
            .get(&probe)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .ok(),
        Some(403)
    );

    // log_only on: the attack passes (and is logged); off again: blocked.
    assert_eq!(attack_status().await, Some(403));
    for (log_only, want) in [(true, 200), (false, 403)] {
        let r = client
            .put(format!("{base}/config"))
            .bearer_auth(&key)
            .json(&json!({ "log_only": log_only }))
            .send()
            .await
            .expect("config");
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(attack_status().await, Some(want), "log_only {log_only}");
    }
}
