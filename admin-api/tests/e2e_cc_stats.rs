//! `/cc/stats` `active_attacks` through a real waf-proxy: a CC ban counts while its rule exists;
//! deleting the rule (and the CC logs) ends its bans, so the count drops to 0 and the client is
//! no longer refused.

mod common;
#[path = "common/procs.rs"]
mod procs;

use std::time::{Duration, Instant};

use actix_web::HttpServer;
use admin_api::build_app;
use admin_api::state::Transport;
use common::env;
use procs::{proxy_bin, spawn_origin, spawn_proxy};
use serde_json::{json, Value};

#[actix_web::test]
async fn deleting_a_cc_rule_ends_its_active_attacks() {
    let bin = proxy_bin();
    if !bin.exists() {
        eprintln!(
            "SKIP: {} not built (CI builds it before the tests)",
            bin.display()
        );
        return;
    }
    let e = env("ccstats", Transport::PlainHttp);
    let origin = spawn_origin();
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
    let url = format!("http://127.0.0.1:{port}/app");
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
    let key = e.key(&["cc:write"]);
    let r: Value = client
        .post(format!("{api}/cc/rules"))
        .bearer_auth(&key)
        .json(
            &json!({"host": "*", "path": "/app", "threshold": 1, "window": 60,
            "ban_duration": 600, "action": "block", "enabled": true}),
        )
        .send()
        .await
        .expect("cc rule")
        .json()
        .await
        .expect("json");
    assert_eq!(r["reload"]["applied"], true, "{r}");
    let id = r["id"].as_u64().expect("id");
    let mut banned = false;
    for _ in 0..5 {
        if client
            .get(&url)
            .send()
            .await
            .expect("get")
            .status()
            .as_u16()
            == 429
        {
            banned = true;
            break;
        }
    }
    assert!(banned, "the CC rule never banned");
    let stats = || async {
        client
            .get(format!("{api}/cc/stats"))
            .bearer_auth(&key)
            .send()
            .await
            .expect("stats")
            .json::<Value>()
            .await
            .expect("json")
    };
    assert_eq!(stats().await["active_attacks"], 1);

    let r: Value = client
        .delete(format!("{api}/cc/rules/{id}"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("delete rule")
        .json()
        .await
        .expect("json");
    assert_eq!(r["reload"]["applied"], true, "{r}");
    let r = client
        .delete(format!("{api}/cc/logs"))
        .bearer_auth(&key)
        .json(&json!({"all": true}))
        .send()
        .await
        .expect("delete logs");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(stats().await["active_attacks"], 0);
    let r = client.get(&url).send().await.expect("after");
    assert_eq!(r.status().as_u16(), 200, "no ban without its rule");
}
