//! `/waf/cc-challenge/generate` and `/verify` end to end: a client behind a CC `challenge` rule
//! solves a challenge obtained through the API itself; the clearance cookie `verify` returns lets
//! it through waf-proxy to the origin, while without it the challenge page stays; a wrong nonce,
//! another client IP or a forged token are refused.

mod common;
#[path = "common/procs.rs"]
mod procs;

use std::time::Duration;

use procs::{spawn_origin, stack};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn zero_bits(d: &[u8]) -> u32 {
    let mut n = 0;
    for b in d {
        if *b != 0 {
            return n + b.leading_zeros();
        }
        n += 8;
    }
    n
}

fn solve(token: &str, bits: u32) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|n| zero_bits(&Sha256::digest(format!("{token}:{n}"))) >= bits)
        .unwrap_or_default()
}

#[actix_web::test]
async fn a_challenge_solved_by_the_client_clears_it_at_the_proxy() {
    let Some(st) = stack("challenge", spawn_origin()).await else {
        return;
    };
    let (e, api, port) = (&st.env, &st.api, st.port);
    let url = format!("http://127.0.0.1:{port}/app/data");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let key = e.key(&["cc:write", "waf:write"]);
    let post = |path: &str, body: Value| {
        client
            .post(format!("{api}{path}"))
            .bearer_auth(&key)
            .json(&body)
            .send()
    };
    let r: Value = post(
        "/cc/rules",
        json!({"host": "*", "path": "/app", "threshold": 1, "window": 60,
        "ban_duration": 600, "action": "challenge", "enabled": true}),
    )
    .await
    .expect("cc rule")
    .json()
    .await
    .expect("json");
    assert_eq!(r["reload"]["applied"], true, "{r}");
    // Over the threshold: the challenge page, not the origin.
    let mut challenged = false;
    for _ in 0..5 {
        let r = client.get(&url).send().await.expect("get");
        if r.status().as_u16() == 403 && r.text().await.expect("text").contains("waf-challenge") {
            challenged = true;
            break;
        }
    }
    assert!(challenged, "the CC challenge rule never challenged");

    let g: Value = post(
        "/waf/cc-challenge/generate",
        json!({"client_ip": "127.0.0.1"}),
    )
    .await
    .expect("generate")
    .json()
    .await
    .expect("json");
    let token = g["token"].as_str().expect("token").to_string();
    let bits = g["difficulty"].as_u64().expect("difficulty") as u32;
    assert!(bits >= 1 && g["expires_at"].as_u64().is_some(), "{g}");
    let nonce = solve(&token, bits);

    // Refusals: another IP, a wrong nonce, a forged token, unknown fields, a bad IP.
    let wrong_nonce = (0u64..)
        .map(|n| n.to_string())
        .find(|n| zero_bits(&Sha256::digest(format!("{token}:{n}"))) < bits)
        .expect("a wrong nonce");
    let forged = format!("{}.{}", u64::MAX / 2, "0".repeat(64));
    for body in [
        json!({"client_ip": "127.0.0.2", "token": token, "nonce": nonce}),
        json!({"client_ip": "127.0.0.1", "token": token, "nonce": wrong_nonce}),
        json!({"client_ip": "127.0.0.1", "token": forged, "nonce": nonce}),
        json!({"client_ip": "127.0.0.1", "token": token, "nonce": nonce, "extra": 1}),
        json!({"client_ip": "localhost", "token": token, "nonce": nonce}),
    ] {
        let r = post("/waf/cc-challenge/verify", body.clone())
            .await
            .expect("verify");
        assert_eq!(r.status().as_u16(), 400, "{body}");
    }
    let r = post(
        "/waf/cc-challenge/generate",
        json!({"client_ip": "not-an-ip"}),
    )
    .await
    .expect("gen");
    assert_eq!(r.status().as_u16(), 400);

    let v: Value = post(
        "/waf/cc-challenge/verify",
        json!({"client_ip": "127.0.0.1", "token": token, "nonce": nonce}),
    )
    .await
    .expect("verify")
    .json()
    .await
    .expect("json");
    assert_eq!(v["valid"], true, "{v}");
    let cookie = v["cookie"].as_str().expect("cookie");
    assert!(cookie.starts_with("waf_clearance="), "{v}");

    let r = client
        .get(&url)
        .header("Cookie", cookie)
        .send()
        .await
        .expect("cleared");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await.expect("text"), "origin");
    let r = client.get(&url).send().await.expect("uncleared");
    assert_eq!(
        r.status().as_u16(),
        403,
        "without the cookie the challenge stays"
    );
}
