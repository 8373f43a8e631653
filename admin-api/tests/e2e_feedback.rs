//! Feedbacks end to end: a real waf-proxy (event log, rules dir and control socket of
//! waf-admin) in front of an origin. An attack gets the real 403 block page; the test reads the
//! page's "report a false positive" form (action, request id, token) and posts it as a browser
//! does. The report reaches waf-admin through the event log, is listed with its attack event,
//! and accepting it offers (and applies) the exclusion of that event's rule, path and parameter,
//! after which the same request passes. An altered token, a token for another request and the
//! per-IP limit are refused by the proxy, and so is a token posted from another client IP.

mod common;
#[path = "common/procs.rs"]
mod procs;

use std::time::{Duration, Instant};

use procs::{spawn_origin, stack_ingesting};
use serde_json::{json, Value};

/// The value of the first `attr="..."` after `after` in `html`.
fn attr(html: &str, after: &str, attr: &str) -> String {
    let from = html
        .find(after)
        .unwrap_or_else(|| panic!("{after} in {html}"));
    let rest = &html[from..];
    let key = format!("{attr}=\"");
    let start = rest.find(&key).expect("attribute") + key.len();
    let len = rest[start..].find('"').expect("closing quote");
    rest[start..start + len].to_string()
}

/// The report form of a block page.
struct Form {
    action: String,
    request_id: String,
    token: String,
}

fn form_of(html: &str) -> Form {
    Form {
        action: attr(html, "<form", "action"),
        request_id: attr(html, "name=\"request_id\"", "value"),
        token: attr(html, "name=\"token\"", "value"),
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[actix_web::test]
async fn a_report_from_a_real_block_page_is_listed_and_accepted_with_its_exclusion() {
    let Some(st) = stack_ingesting("e2e-feedback", spawn_origin()).await else {
        return;
    };
    let (e, api) = (&st.env, &st.api);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let base = format!("http://127.0.0.1:{}", st.port);

    // Two attacks, two block pages, each with its own form.
    let attack = format!("{base}/search?q=1%27%20OR%20%271%27%3D%271");
    let page = |url: String| {
        let client = client.clone();
        async move {
            let r = client
                .get(url)
                .header("Accept", "text/html")
                .send()
                .await
                .expect("attack");
            assert_eq!(r.status().as_u16(), 403);
            r.text().await.expect("page")
        }
    };
    let page_a = page(attack.clone()).await;
    let page_b = page(format!(
        "{base}/other?id=1%20UNION%20SELECT%20password%20FROM%20users"
    ))
    .await;
    assert!(
        !page_a.contains("OR '1'") && !page_a.contains("%27"),
        "the block page echoes the payload:\n{page_a}"
    );
    let a = form_of(&page_a);
    let b = form_of(&page_b);
    assert_eq!(a.action, "/.well-known/waf-feedback");
    assert_ne!(a.request_id, b.request_id);

    let comment = "I searched for O'Brien <b>really</b>";
    let post = |action: &str, id: &str, token: &str| {
        let client = client.clone();
        let body = format!(
            "request_id={}&token={}&comment={}",
            encode(id),
            encode(token),
            encode(comment)
        );
        let url = format!("{base}{action}");
        async move {
            let r = client
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("post");
            let status = r.status().as_u16();
            (status, r.text().await.unwrap_or_default())
        }
    };
    // 1: A's own form.
    let (status, text) = post(&a.action, &a.request_id, &a.token).await;
    assert_eq!(status, 200, "{text}");
    assert!(!text.contains("Brien"), "the answer echoes the comment");
    // 2: A's token altered (a later expiry with the same MAC).
    let (exp, mac) = a.token.split_once('.').expect("token shape");
    let later = format!("{}.{mac}", exp.parse::<u64>().expect("expiry") + 86_400);
    assert_eq!(post(&a.action, &a.request_id, &later).await.0, 403);
    // 3: B's token filed for A's request.
    assert_eq!(post(&a.action, &a.request_id, &b.token).await.0, 403);
    // 4, 5: B's own form, twice (stored once).
    assert_eq!(post(&b.action, &b.request_id, &b.token).await.0, 200);
    assert_eq!(post(&b.action, &b.request_id, &b.token).await.0, 200);
    // 6: over the per-IP limit.
    assert_eq!(post(&b.action, &b.request_id, &b.token).await.0, 429);
    // Another client (127.0.0.2, its own budget) cannot use 127.0.0.1's token.
    let other = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .expect("client");
    let r = other
        .post(format!("{base}{}", a.action))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "request_id={}&token={}",
            encode(&a.request_id),
            encode(&a.token)
        ))
        .send()
        .await
        .expect("post from another client");
    assert_eq!(r.status().as_u16(), 403, "a token works from another IP");

    // Both reports listed, with their attack events.
    let key = e.key(&["feedbacks:write", "attack:read"]);
    let list = |q: &'static str| {
        let client = client.clone();
        let url = format!("{api}/feedbacks{q}");
        let key = key.clone();
        async move {
            let r = client.get(url).bearer_auth(key).send().await.expect("list");
            assert_eq!(r.status().as_u16(), 200);
            r.json::<Value>().await.expect("json")
        }
    };
    let start = Instant::now();
    let listed = loop {
        let l = list("?page=1&page_size=10").await;
        let items = l["list"].as_array().cloned().unwrap_or_default();
        if items.len() == 2 && items.iter().all(|f| f["event"].is_object()) {
            break l;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "not listed: {l}");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(listed["total"], 2, "{listed}");
    let fa = listed["list"]
        .as_array()
        .and_then(|l| l.iter().find(|f| f["request_id"] == a.request_id.as_str()))
        .cloned()
        .expect("A listed");
    assert_eq!(fa["status"], "new");
    assert_eq!(fa["comment"], comment);
    assert_eq!(fa["client_ip"], "127.0.0.1");
    assert_eq!(list("?status=new").await["total"], 2);
    assert_eq!(list("?status=accepted").await["total"], 0);

    // The event, as the attack log has it.
    let logs: Value = client
        .get(format!("{api}/attack/logs?page=1&page_size=10"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("logs")
        .json()
        .await
        .expect("json");
    let ev = logs["logs"]
        .as_array()
        .and_then(|l| l.iter().find(|r| r["request_id"] == a.request_id.as_str()))
        .cloned()
        .expect("A's event");

    // Accept A, applying the exclusion: rule, path and parameter of its event.
    let id = fa["id"].as_i64().expect("id");
    let r: Value = client
        .put(format!("{api}/feedbacks/{id}/status"))
        .bearer_auth(&key)
        .json(&json!({"status": "accepted", "apply": true}))
        .send()
        .await
        .expect("accept")
        .json()
        .await
        .expect("json");
    assert_eq!(r["feedback"]["status"], "accepted", "{r}");
    assert_eq!(r["exclusion"]["rule_id"], ev["rule_id"], "{r}");
    assert_eq!(r["exclusion"]["path"], "/search", "{r}");
    assert_eq!(r["exclusion"]["parameter"], "q", "{r}");
    assert_eq!(r["applied"], true, "{r}");
    assert_eq!(r["reload"]["applied"], true, "{r}");
    assert_eq!(list("?status=accepted").await["total"], 1);
    // The exclusion is live: A's rule no longer blocks A's request (another rule matching the
    // same payload may still), and B is still blocked.
    let again = client
        .get(&attack)
        .header("Accept", "application/json")
        .send()
        .await
        .expect("again");
    if again.status().as_u16() != 200 {
        let j: Value = again.json().await.expect("json page");
        assert_ne!(j["rule_id"], ev["rule_id"], "A's rule still blocks: {j}");
    }
    let r = client
        .get(format!(
            "{base}/other?id=1%20UNION%20SELECT%20password%20FROM%20users"
        ))
        .send()
        .await
        .expect("B again");
    assert_eq!(r.status().as_u16(), 403);

    // Reject B: no exclusion. Bad status: 400. Unknown id: 404.
    let fb = listed["list"]
        .as_array()
        .and_then(|l| l.iter().find(|f| f["request_id"] == b.request_id.as_str()))
        .and_then(|f| f["id"].as_i64())
        .expect("B listed");
    let put = |id: i64, body: Value| {
        let client = client.clone();
        let url = format!("{api}/feedbacks/{id}/status");
        let key = key.clone();
        async move {
            let r = client
                .put(url)
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .expect("put");
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, r) = put(fb, json!({"status": "rejected"})).await;
    assert_eq!(status, 200, "{r}");
    assert!(r["exclusion"].is_null(), "{r}");
    assert_eq!(put(fb, json!({"status": "maybe"})).await.0, 400);
    assert_eq!(put(fb, json!({"status": "new", "extra": 1})).await.0, 400);
    assert_eq!(put(999_999, json!({"status": "new"})).await.0, 404);

    // A read-only key cannot review.
    let ro = e.key(&["feedbacks:read"]);
    let r = client
        .put(format!("{api}/feedbacks/{fb}/status"))
        .bearer_auth(&ro)
        .json(&json!({"status": "new"}))
        .send()
        .await
        .expect("ro put");
    assert_eq!(r.status().as_u16(), 403);

    // Delete B by id.
    let r: Value = client
        .delete(format!("{api}/feedbacks"))
        .bearer_auth(&key)
        .json(&json!({"ids": [fb]}))
        .send()
        .await
        .expect("delete")
        .json()
        .await
        .expect("json");
    assert_eq!(r["affected"], 1, "{r}");
    let l = list("").await;
    assert_eq!(l["total"], 1, "{l}");
    assert_eq!(l["list"][0]["request_id"], a.request_id.as_str());
}
