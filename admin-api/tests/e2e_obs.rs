//! The observation room end to end: a real waf-proxy (rules dir, control socket and event log of
//! waf-admin) in front of a recording origin, waf-admin ingesting the event log. An observation
//! rule created over the API records a POST whole (its body, the origin's status and headers,
//! credentials redacted), an attack on an observed path is still refused with 403 and recorded
//! with that 403, a request that matches no rule is not recorded, the body limit cuts bodies and
//! says so, and clear empties the records.

mod common;
#[path = "common/procs.rs"]
mod procs;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use procs::stack_ingesting;
use serde_json::{json, Value};

/// An origin answering 201 with a session cookie and a body naming what it got; it keeps the
/// paths it was asked for.
fn recording_origin() -> (std::net::SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let origin = HttpServer::new(move || {
        let s = s.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let s = s.clone();
            async move {
                s.lock().expect("lock").push(req.path().to_string());
                HttpResponse::Created()
                    .insert_header(("Set-Cookie", "sessionid=s3rv3r; Path=/; HttpOnly"))
                    .insert_header(("X-Origin", "yes"))
                    .body(format!("origin got {} bytes", body.len()))
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("origin bind");
    let addr = origin.addrs()[0];
    actix_web::rt::spawn(origin.run());
    (addr, seen)
}

/// The records list for `query`, once `want` records match it (within 10 s).
async fn records(c: &reqwest::Client, api: &str, key: &str, query: &str, want: i64) -> Value {
    let start = Instant::now();
    loop {
        let v: Value = c
            .get(format!("{api}/obs/records?page=1&page_size=50{query}"))
            .bearer_auth(key)
            .send()
            .await
            .expect("records")
            .json()
            .await
            .expect("json");
        if v["total"] == json!(want) || start.elapsed() > Duration::from_secs(10) {
            return v;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get(c: &reqwest::Client, url: String, key: &str) -> Value {
    let r = c.get(url).bearer_auth(key).send().await.expect("get");
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.expect("json")
}

fn header<'a>(side: &'a Value, name: &str) -> Option<&'a str> {
    side["headers"]
        .as_array()?
        .iter()
        .find(|h| {
            h["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .and_then(|h| h["value"].as_str())
}

#[actix_web::test]
async fn an_observed_exchange_is_recorded_whole_and_the_verdict_is_unchanged() {
    let (origin, seen) = recording_origin();
    let Some(st) = stack_ingesting("e2e-obs", origin).await else {
        return;
    };
    let (e, api) = (&st.env, &st.api);
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let base = format!("http://127.0.0.1:{}", st.port);
    let key = e.key(&["obs:write"]);
    let reader = e.key(&["obs:read"]);

    // A bad rule is refused, naming the field, and nothing is written.
    let r = c
        .post(format!("{api}/obs/rules"))
        .bearer_auth(&key)
        .json(&json!({"name": "bad", "ip": "10.0.0.300"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("json");
    assert!(body.to_string().contains("ip"), "{body}");
    // A read key cannot write.
    let r = c
        .post(format!("{api}/obs/rules"))
        .bearer_auth(&reader)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);

    let r: Value = c
        .post(format!("{api}/obs/rules"))
        .bearer_auth(&key)
        .json(&json!({"name": "api writes", "path": "/api", "method": "POST, PUT"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    assert_eq!(r["reload"]["applied"], json!(true), "{r}");
    let rule_id = r["id"].as_u64().expect("rule id");
    let listed = get(&c, format!("{api}/obs/rules"), &reader).await;
    assert_eq!(listed["rules"][0]["path"], json!("/api"), "{listed}");

    // Observed: a POST with credentials and a body.
    let resp = c
        .post(format!("{base}/api/login"))
        .header("Authorization", "Bearer top-secret-token")
        .header("Cookie", "theme=dark; sessionid=cl13nt")
        .header("Content-Type", "application/json")
        .body(r#"{"user":"alice","remember":true}"#)
        .send()
        .await
        .expect("observed POST");
    assert_eq!(
        resp.status(),
        201,
        "the verdict and the answer are unchanged"
    );
    // Not observed: another method, another path.
    let resp = c
        .get(format!("{base}/api/login"))
        .send()
        .await
        .expect("GET");
    assert_eq!(resp.status(), 201);
    let resp = c
        .post(format!("{base}/elsewhere"))
        .body("x=1")
        .send()
        .await
        .expect("POST elsewhere");
    assert_eq!(resp.status(), 201);
    // An attack on the observed path: still refused, recorded with the 403.
    let resp = c
        .post(format!("{base}/api/search?q=1%27%20OR%20%271%27%3D%271"))
        .body("q=x")
        .send()
        .await
        .expect("attack");
    assert_eq!(resp.status(), 403);
    assert!(!seen
        .lock()
        .expect("lock")
        .iter()
        .any(|p| p == "/api/search"));

    let list = records(&c, api, &reader, "", 2).await;
    assert_eq!(
        list["total"],
        json!(2),
        "only the two observed exchanges: {list}"
    );
    let rows = list["records"].as_array().expect("records");
    let attack = &rows[0];
    let login = &rows[1];
    assert_eq!(
        (
            attack["uri"].as_str(),
            attack["status"].as_u64(),
            attack["blocked"].as_bool()
        ),
        (
            Some("/api/search?q=1%27%20OR%20%271%27%3D%271"),
            Some(403),
            Some(true)
        ),
        "{attack}"
    );
    assert_eq!(
        (
            login["method"].as_str(),
            login["status"].as_u64(),
            login["blocked"].as_bool()
        ),
        (Some("POST"), Some(201), Some(false)),
        "{login}"
    );
    assert_eq!(login["rule_id"].as_u64(), Some(rule_id));

    let detail = get(&c, format!("{api}/obs/records/{}", login["id"]), &reader).await;
    let req = &detail["request"];
    assert_eq!(
        req["body"]["text"],
        json!(r#"{"user":"alice","remember":true}"#),
        "{detail}"
    );
    assert_eq!(req["body"]["truncated"], json!(false));
    assert_eq!(header(req, "authorization"), Some("Bearer [redacted]"));
    assert_eq!(
        header(req, "cookie"),
        Some("theme=dark; sessionid=[redacted]")
    );
    let resp = &detail["response"];
    assert_eq!(detail["status"], json!(201));
    assert_eq!(header(resp, "x-origin"), Some("yes"));
    assert_eq!(
        header(resp, "set-cookie"),
        Some("sessionid=[redacted]; Path=/; HttpOnly")
    );
    assert_eq!(resp["body"]["text"], json!("origin got 32 bytes"));
    let all = detail.to_string();
    assert!(
        !all.contains("top-secret-token") && !all.contains("cl13nt") && !all.contains("s3rv3r")
    );

    let raw = get(
        &c,
        format!("{api}/obs/records/{}/raw", login["id"]),
        &reader,
    )
    .await;
    let request = raw["request"].as_str().expect("raw request");
    assert!(
        request.starts_with("POST /api/login HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request.contains("authorization: Bearer [redacted]\r\n"),
        "{request}"
    );
    assert!(
        request.ends_with("\r\n\r\n{\"user\":\"alice\",\"remember\":true}"),
        "{request}"
    );
    let response = raw["response"].as_str().expect("raw response");
    assert!(
        response.starts_with("HTTP/1.1 201 Created\r\n"),
        "{response}"
    );
    assert!(
        response.ends_with("\r\n\r\norigin got 32 bytes"),
        "{response}"
    );

    let attack_detail = get(&c, format!("{api}/obs/records/{}", attack["id"]), &reader).await;
    assert_eq!(attack_detail["response"]["body"]["truncated"], json!(false));
    assert!(
        attack_detail["response"]["body"]["size"].as_i64() > Some(0),
        "the WAF's page is the recorded response: {attack_detail}"
    );

    // Filters.
    for (q, n) in [
        ("&status=403", 1),
        ("&path=/api/log", 1),
        ("&method=GET", 0),
        ("&host=127.0.0.1", 2),
        (&format!("&rule_id={rule_id}"), 2),
        ("&client_ip=127.0.0.1", 2),
        ("&start_time=1&end_time=2", 0),
    ] {
        let v = records(&c, api, &reader, q, n).await;
        assert_eq!(v["total"], json!(n), "{q}: {v}");
    }
    let r = c
        .get(format!("{api}/obs/records?page=1&page_size=500"))
        .bearer_auth(&reader)
        .send()
        .await
        .expect("bad page");
    assert_eq!(r.status(), 400);

    // The body limit cuts both bodies and says so.
    let r: Value = c
        .put(format!("{api}/obs/config"))
        .bearer_auth(&key)
        .json(&json!({"body_limit": 8}))
        .send()
        .await
        .expect("config")
        .json()
        .await
        .expect("json");
    assert_eq!(r["config"]["body_limit"], json!(8), "{r}");
    assert_eq!(r["reload"]["applied"], json!(true), "{r}");
    let config = get(&c, format!("{api}/obs/config"), &reader).await;
    assert_eq!(
        (config["body_limit"].as_u64(), config["redact"].as_bool()),
        (Some(8), Some(true))
    );
    let big = "a".repeat(100);
    let resp = c
        .put(format!("{base}/api/upload"))
        .body(big.clone())
        .send()
        .await
        .expect("PUT");
    assert_eq!(resp.status(), 201);
    let list = records(&c, api, &reader, "&path=/api/upload", 1).await;
    let id = &list["records"][0]["id"];
    let detail = get(&c, format!("{api}/obs/records/{id}"), &reader).await;
    let body = &detail["request"]["body"];
    assert_eq!(
        (
            body["text"].as_str(),
            body["kept"].as_u64(),
            body["size"].as_u64(),
            body["truncated"].as_bool()
        ),
        (Some("aaaaaaaa"), Some(8), Some(100), Some(true)),
        "{detail}"
    );
    assert_eq!(detail["response"]["body"]["truncated"], json!(true));
    assert_eq!(detail["response"]["body"]["text"], json!("origin g"));
    let raw = get(&c, format!("{api}/obs/records/{id}/raw"), &reader).await;
    assert_eq!(raw["request_truncated"], json!(true));
    // A body past the pre-read size is held chunk by chunk: counted whole, kept to the limit.
    let resp = c
        .put(format!("{base}/api/large"))
        .body("b".repeat(200 * 1024))
        .send()
        .await
        .expect("large PUT");
    assert_eq!(resp.status(), 201);
    let list = records(&c, api, &reader, "&path=/api/large", 1).await;
    let id = &list["records"][0]["id"];
    let detail = get(&c, format!("{api}/obs/records/{id}"), &reader).await;
    let body = &detail["request"]["body"];
    assert_eq!(
        (
            body["text"].as_str(),
            body["size"].as_u64(),
            body["truncated"].as_bool()
        ),
        (Some("bbbbbbbb"), Some(200 * 1024), Some(true)),
        "{detail}"
    );
    assert_eq!(detail["response"]["body"]["text"], json!("origin g"));

    let stats = get(&c, format!("{api}/obs/stats"), &reader).await;
    assert_eq!(
        (
            stats["total_records"].as_i64(),
            stats["blocked_records"].as_i64(),
            stats["rules"].as_i64()
        ),
        (Some(4), Some(1), Some(1)),
        "{stats}"
    );

    // Clear empties; a rule deleted records nothing more.
    let r: Value = c
        .post(format!("{api}/obs/records/clear"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("clear")
        .json()
        .await
        .expect("json");
    assert_eq!(r["affected"], json!(4), "{r}");
    assert_eq!(records(&c, api, &reader, "", 0).await["total"], json!(0));
    let r = c
        .delete(format!("{api}/obs/rules/{rule_id}"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 200);
    let resp = c
        .post(format!("{base}/api/login"))
        .body("again")
        .send()
        .await
        .expect("POST");
    assert_eq!(resp.status(), 201);
    actix_web::rt::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(records(&c, api, &reader, "", 0).await["total"], json!(0));
}
