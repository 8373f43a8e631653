//! `/cc/stats` `active_attacks` through a real waf-proxy: a CC ban counts while its rule exists;
//! deleting the rule (and the CC logs) ends its bans, so the count drops to 0 and the client is
//! no longer refused.

mod common;
#[path = "common/procs.rs"]
mod procs;

use std::time::Duration;

use procs::{spawn_origin, stack};
use serde_json::{json, Value};

#[actix_web::test]
async fn deleting_a_cc_rule_ends_its_active_attacks() {
    let Some(st) = stack("ccstats", spawn_origin()).await else {
        return;
    };
    let (e, api, port) = (&st.env, &st.api, st.port);
    let url = format!("http://127.0.0.1:{port}/app");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
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
