//! `/health` through a real waf-proxy: an upstream the proxy has not probed yet is reported
//! `unknown` and not alive (the proxy still routes to it optimistically), never alive.

mod common;
#[path = "common/procs.rs"]
mod procs;

use std::time::Duration;

use procs::{free_port, spawn_origin, stack};
use serde_json::{json, Value};

#[actix_web::test]
async fn a_never_probed_dead_upstream_is_not_reported_alive() {
    let Some(st) = stack("e2e-health", spawn_origin()).await else {
        return;
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let key = st.env.key(&["site:write"]);
    // Nothing listens on a port just freed.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let added: Value = client
        .post(format!("{}/site/add", st.api))
        .bearer_auth(&key)
        .json(&json!({"name": "Dead", "domain": "dead.test", "target_url": dead}))
        .send()
        .await
        .expect("add")
        .json()
        .await
        .expect("json");
    assert_eq!(added["reload"]["applied"], true, "{added}");
    let id = added["id"].as_u64().expect("id");
    // At once, before the proxy's next round of checks reaches the new upstream.
    let h: Value = client
        .get(format!("{}/health/{id}", st.api))
        .bearer_auth(&key)
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(h["is_alive"], false, "{h}");
    let up = &h["upstreams"][0];
    assert_eq!(up["url"], dead, "{h}");
    assert_eq!(up["is_alive"], false, "{h}");
    let state = up["state"].as_str().unwrap_or_default();
    assert!(state == "unknown" || state == "down", "{h}");
    assert_eq!(h["state"], state, "{h}");
    if state == "unknown" {
        assert_eq!(up["last_check"], 0, "{h}");
    }
}
