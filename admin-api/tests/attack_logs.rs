//! Attack-log ingest (restart and rotation: every event exactly once), retention, and the attack-log
//! and CC-log endpoints over it: pagination, filters, validation, streamed export, deletes.

mod common;

use std::io::Write;
use std::path::Path;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use admin_api::attack_log::{self, Retention};
use admin_api::build_app;
use admin_api::ingest::{rotated_n, rotated_path, Ingester};
use admin_api::state::Transport;
use common::env;
use serde_json::{json, Value};
use waf_core::event::AttackEvent;

macro_rules! call {
    ($app:expr, $req:expr) => {{
        let res = test::call_service(&$app, $req.to_request()).await;
        let status = res.status();
        let body = test::read_body(res).await;
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (status, json, body)
    }};
}

fn auth(k: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {k}"))
}

fn event(i: u64, ip: &str, host: &str, rule: &str, attack_type: &str) -> AttackEvent {
    AttackEvent {
        ts_ms: 1_780_000_000_000 + i * 1000,
        request_id: format!("req-{i}"),
        site_id: 0,
        host: host.into(),
        method: if i.is_multiple_of(2) { "GET" } else { "POST" }.into(),
        url: format!("{host}/p?i={i}"),
        client_ip: ip.into(),
        country: None,
        user_agent: "test".into(),
        rule_id: rule.into(),
        rule_name: format!("rule {rule}"),
        attack_type: attack_type.into(),
        action: "block".into(),
        target: "query_arg".into(),
        parameter: Some("i".into()),
        snippet: "=cmd|' /C calc'!A0, \"quoted\"".into(),
    }
}

/// Appends events `range` to `path` as the proxy does (one JSON line each).
fn write_events(path: &Path, range: std::ops::Range<u64>) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open events");
    for i in range {
        let ev = event(i, "10.0.0.1", "a.example", "3010", "xss");
        let mut line = serde_json::to_vec(&ev).expect("json");
        line.push(b'\n');
        f.write_all(&line).expect("write");
    }
}

/// Rotated files the proxy keeps in these tests.
const KEEP: u32 = 5;

/// The proxy's rotation (`waf-proxy/src/events.rs`): `.4` -> `.5` (replacing the oldest), ...,
/// `.1` -> `.2`, the file -> `.1`; the next write creates a new file.
fn rotate(path: &Path) {
    for n in (1..KEEP).rev() {
        let from = rotated_n(path, n);
        if from.exists() {
            std::fs::rename(&from, rotated_n(path, n + 1)).expect("shift");
        }
    }
    std::fs::rename(path, rotated_path(path)).expect("rotate");
}

fn request_ids(db: &Path) -> Vec<String> {
    let c = rusqlite::Connection::open(db).expect("db");
    let mut st = c
        .prepare("SELECT request_id FROM attack_logs ORDER BY id")
        .expect("prepare");
    let rows = st.query_map([], |r| r.get(0)).expect("query");
    rows.collect::<Result<Vec<String>, _>>().expect("rows")
}

fn exactly(n: u64) -> Vec<String> {
    (0..n).map(|i| format!("req-{i}")).collect()
}

#[test]
fn ingest_survives_restarts_rotation_and_partial_lines() {
    let dir = common::temp_dir("ingest");
    let db = dir.join("waf-admin.db");
    let events = dir.join("events.jsonl");

    let mut ing = Ingester::open(&db, &events).expect("open");
    assert_eq!(ing.run_once().expect("no file yet"), 0);
    write_events(&events, 0..100);
    assert_eq!(ing.run_once().expect("pass"), 100);
    assert_eq!(ing.run_once().expect("idle pass"), 0);

    // Rotation while running, more events in the new file.
    write_events(&events, 100..150);
    rotate(&events);
    write_events(&events, 150..200);
    assert_eq!(ing.run_once().expect("pass"), 100);
    drop(ing);

    // Down: more events, another rotation, then a half-written line.
    write_events(&events, 200..260);
    rotate(&events);
    write_events(&events, 260..300);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&events)
        .expect("open");
    let line =
        serde_json::to_string(&event(300, "10.0.0.1", "a.example", "3010", "xss")).expect("json");
    let (head, tail) = line.split_at(40);
    f.write_all(head.as_bytes()).expect("write");

    // Restart: catches up on both files, leaves the partial line.
    let mut ing = Ingester::open(&db, &events).expect("reopen");
    assert_eq!(ing.run_once().expect("catch up"), 100);
    f.write_all(tail.as_bytes()).expect("write");
    f.write_all(b"\nnot json\n").expect("write");
    assert_eq!(ing.run_once().expect("rest"), 1);
    assert_eq!(ing.skipped, 1);
    drop(ing);

    // Restart with nothing new: nothing duplicated.
    let mut ing = Ingester::open(&db, &events).expect("reopen");
    assert_eq!(ing.run_once().expect("idle"), 0);
    assert_eq!(request_ids(&db), exactly(301));
    drop(ing);

    // Down across three rotations (fewer than the five files kept): everything caught up.
    for k in 0..3 {
        write_events(&events, 301 + k * 20..321 + k * 20);
        rotate(&events);
    }
    write_events(&events, 361..380);
    let mut ing = Ingester::open(&db, &events).expect("reopen");
    assert_eq!(ing.run_once().expect("catch up"), 79);
    assert_eq!(request_ids(&db), exactly(380));
    drop(ing);

    // Down across seven rotations: the two oldest files are gone (their 20 events lost, said in
    // a warning after a few passes), everything still on disk is read once.
    for k in 0..7 {
        write_events(&events, 380 + k * 10..390 + k * 10);
        rotate(&events);
    }
    write_events(&events, 450..460);
    let mut ing = Ingester::open(&db, &events).expect("reopen");
    assert_eq!(ing.run_once().expect("miss 1"), 0);
    assert_eq!(ing.run_once().expect("miss 2"), 0);
    assert_eq!(ing.run_once().expect("give up, read the rest"), 60);
    assert_eq!(ing.run_once().expect("idle"), 0);
    let mut want = exactly(380);
    want.extend((400..460).map(|i| format!("req-{i}")));
    assert_eq!(request_ids(&db), want);
}

#[test]
fn retention_by_rows_and_age() {
    let dir = common::temp_dir("retention");
    let db = dir.join("waf-admin.db");
    let events = dir.join("events.jsonl");
    write_events(&events, 0..3000);
    let mut ing = Ingester::open(&db, &events).expect("open");
    assert_eq!(ing.run_once().expect("pass"), 3000);
    let c = rusqlite::Connection::open(&db).expect("db");
    let r = Retention {
        max_age_days: 3650,
        max_rows: 1000,
    };
    let now = 1_780_000_000 + 3000;
    let mut n = 0;
    loop {
        let d = attack_log::enforce_retention(&c, r, now, 700).expect("retention");
        n += d;
        if d < 700 {
            break;
        }
    }
    assert_eq!(n, 2000);
    assert_eq!(
        request_ids(&db).first().map(String::as_str),
        Some("req-2000")
    );
    // Age: events are 1 s apart; a 1-day limit 1 day + 500 s after the newest keeps 500 rows.
    let r = Retention {
        max_age_days: 1,
        max_rows: 1000,
    };
    attack_log::enforce_retention(&c, r, 1_780_000_000 + 2999 + 86_400 - 499, 5000)
        .expect("retention");
    assert_eq!(request_ids(&db).len(), 500);
}

fn seed(e: &common::Env) {
    let events = e.dir.join("events.jsonl");
    let mut f = std::fs::File::create(&events).expect("create");
    for i in 0..30u64 {
        let (ip, host, rule, ty) = match i % 3 {
            0 => ("10.0.0.1", "a.example", "3010", "xss"),
            1 => ("10.0.0.2", "b.example", "2015", "sqli"),
            _ => ("10.0.0.3", "a.example", "cc_1", "cc"),
        };
        let mut line = serde_json::to_vec(&event(i, ip, host, rule, ty)).expect("json");
        line.push(b'\n');
        f.write_all(&line).expect("write");
    }
    let mut ing = Ingester::open(&e.dir.join("waf-admin.db"), &events).expect("open");
    assert_eq!(ing.run_once().expect("ingest"), 30);
}

#[actix_web::test]
async fn logs_pagination_filters_and_validation() {
    let e = env("attack", Transport::Tls);
    seed(&e);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["attack:read"]);
    let get = |u: &str| TestRequest::get().uri(u).insert_header(auth(&k));

    let (s, b, _) = call!(app, get("/openapi/v1/attack/logs?page=1&page_size=7"));
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (b["total"].as_i64(), b["total_pages"].as_i64()),
        (Some(30), Some(5))
    );
    assert_eq!(b["logs"].as_array().map(Vec::len), Some(7));
    assert_eq!(b["logs"][0]["request_id"], "req-29", "newest first");
    let (_, b, _) = call!(app, get("/openapi/v1/attack/logs?page=5&page_size=7"));
    assert_eq!(b["logs"].as_array().map(Vec::len), Some(2));

    for (q, want) in [
        ("host=b.example", 10),
        ("client_ip=10.0.0.3", 10),
        ("method=post", 15),
        ("rule_id=3010", 10),
        ("host=a.example&rule_id=cc_1", 10),
        ("start_time=1780000010&end_time=1780000019", 10),
        ("host=none.example", 0),
    ] {
        let (s, b, _) = call!(
            app,
            get(&format!("/openapi/v1/attack/logs?page=1&page_size=100&{q}"))
        );
        assert_eq!(
            (s, b["total"].as_i64()),
            (StatusCode::OK, Some(want)),
            "{q}"
        );
    }
    for q in [
        "",
        "page=1",
        "page_size=10",
        "page=0&page_size=10",
        "page=1&page_size=0",
        "page=1&page_size=101",
        "page=x&page_size=10",
        "page=1&page_size=10&start_time=5&end_time=4",
        "page=1&page_size=10&method=G%20T",
    ] {
        let (s, b, _) = call!(app, get(&format!("/openapi/v1/attack/logs?{q}")));
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("validation_error")),
            "{q}"
        );
    }

    let (_, b, _) = call!(app, get("/openapi/v1/attack/logs?page=1&page_size=1"));
    let id = b["logs"][0]["id"].as_i64().expect("id");
    let (s, one, _) = call!(app, get(&format!("/openapi/v1/attack/logs/{id}")));
    assert_eq!((s, one["id"].as_i64()), (StatusCode::OK, Some(id)));
    for f in [
        "rule_id",
        "attack_type",
        "client_ip",
        "created_at",
        "rule_name",
        "url",
    ] {
        assert!(one[f].is_string(), "{f}");
    }
    let (s, _, _) = call!(app, get("/openapi/v1/attack/logs/999999"));
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (_, st, _) = call!(app, get("/openapi/v1/attack/stats"));
    assert_eq!(st["total_attacks"], 30);
    assert_eq!(st["top_rules"].as_array().map(Vec::len), Some(3));
    assert_eq!(st["top_rules"][0]["count"], 10);
    let (_, g, _) = call!(app, get("/openapi/v1/attack/ip-groups"));
    assert_eq!(g["total"], 3);
    assert_eq!(g["groups"][0]["count"], 10);

    // CC: only attack_type cc, with the cc scope.
    let kc = e.key(&["cc:write"]);
    let (s, b, _) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/cc/logs?page=1&page_size=20")
            .insert_header(auth(&kc))
    );
    assert_eq!((s, b["total"].as_i64()), (StatusCode::OK, Some(10)));
    assert!(b["logs"]
        .as_array()
        .expect("logs")
        .iter()
        .all(|l| l["attack_type"] == "cc"));
    let (_, b, _) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/cc/stats")
            .insert_header(auth(&kc))
    );
    assert_eq!(
        (b["total_blocked"].as_i64(), b["active_attacks"].as_i64()),
        (Some(10), Some(0))
    );
    assert_eq!(b["top_blocked_ips"][0]["client_ip"], "10.0.0.3");
    let (s, _, _) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/cc/logs")
            .insert_header(auth(&kc))
    );
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // cc:write cannot read attack logs.
    let (s, _, _) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/attack/stats")
            .insert_header(auth(&kc))
    );
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn export_streams_csv_and_json_and_deletes() {
    let e = env("export", Transport::Tls);
    seed(&e);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["attack:write"]);
    let get = |u: &str| TestRequest::get().uri(u).insert_header(auth(&k));

    let res = test::call_service(
        &app,
        get("/openapi/v1/attack/export?format=csv").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers().get("content-length").is_none(),
        "streamed, no length up front"
    );
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(ctype.starts_with("text/csv"));
    let body = String::from_utf8(test::read_body(res).await.to_vec()).expect("utf8");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 31);
    assert!(lines[0].starts_with("id,created_at"));
    // Formula guard and RFC 4180 quoting of the snippet.
    assert!(
        lines[1].contains(r#""'=cmd|' /C calc'!A0, ""quoted""""#),
        "{}",
        lines[1]
    );

    let (s, b, _) = call!(
        app,
        get("/openapi/v1/attack/export?format=json&host=b.example")
    );
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b.as_array().map(Vec::len), Some(10));
    let (s, _, _) = call!(app, get("/openapi/v1/attack/export?format=xml"));
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let del = |body: Value| {
        TestRequest::delete()
            .uri("/openapi/v1/attack/logs")
            .insert_header(auth(&k))
            .set_json(body)
    };
    let (s, b, _) = call!(app, del(json!({"ids": [1, 2, 999]})));
    assert_eq!(
        (s, b["message"].as_str(), b["affected"].as_i64()),
        (StatusCode::OK, Some("Deleted"), Some(2))
    );
    let (s, _, _) = call!(app, del(json!({})));
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let kc = e.key(&["cc:write"]);
    let (_, b, _) = call!(
        app,
        TestRequest::delete()
            .uri("/openapi/v1/cc/logs")
            .insert_header(auth(&kc))
            .set_json(json!({"all": true}))
    );
    assert_eq!(b["affected"], 10, "only CC events");
    let (_, b, _) = call!(app, del(json!({"all": true})));
    assert_eq!(b["affected"], 18);

    let (s, b, _) = call!(
        app,
        TestRequest::put()
            .uri("/openapi/v1/attack/retention")
            .insert_header(auth(&k))
            .set_json(json!({"max_age_days": 7, "max_rows": 5000}))
    );
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, b, _) = call!(app, get("/openapi/v1/attack/retention"));
    assert_eq!(b, json!({"max_age_days": 7, "max_rows": 5000}));
    let (s, _, _) = call!(
        app,
        TestRequest::put()
            .uri("/openapi/v1/attack/retention")
            .insert_header(auth(&k))
            .set_json(json!({"max_age_days": 0, "max_rows": 5000}))
    );
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn modules_not_built_answer_501() {
    let e = env("ni", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["*:write"]);
    for (m, u) in [
        ("GET", "/openapi/v1/plugins/config"),
        ("DELETE", "/openapi/v1/plugins/ai-shield"),
    ] {
        let req = TestRequest::default()
            .method(m.parse().expect("method"))
            .uri(u)
            .insert_header(auth(&k));
        let (s, b, _) = call!(app, req);
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::NOT_IMPLEMENTED, Some("not_implemented")),
            "{m} {u}"
        );
        assert!(b["error"]
            .as_str()
            .is_some_and(|e| e.contains("not implemented")));
    }
}

/// A feedback line between the events goes to `feedbacks` (once per request id, even when
/// filed again), is not counted as malformed, and is listed with its attack event.
#[test]
fn feedback_lines_are_ingested_beside_the_events() {
    let dir = common::temp_dir("ingest-fb");
    let events = dir.join("events.jsonl");
    let db = dir.join("waf-admin.db");
    write_events(&events, 0..2);
    let fb = waf_core::event::FeedbackLine {
        feedback: waf_core::event::FeedbackEvent {
            ts_ms: 1_780_000_005_000,
            request_id: "req-1".into(),
            client_ip: "10.0.0.1".into(),
            host: "a.example".into(),
            comment: "not an attack".into(),
        },
    };
    let mut line = serde_json::to_vec(&fb).expect("json");
    line.push(b'\n');
    {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&events)
            .expect("open");
        f.write_all(&line).expect("write");
        f.write_all(&line).expect("write again");
    }
    write_events(&events, 2..3);
    let mut ing = Ingester::open(&db, &events).expect("open");
    assert_eq!(ing.run_once().expect("ingest"), 3);
    assert_eq!(ing.skipped, 0);
    let conn = admin_api::db::open(&db).expect("db");
    let page = admin_api::feedback::list(&conn, None, 1, 10).expect("list");
    assert_eq!(page.total, 1);
    let f = &page.list[0];
    assert_eq!(
        (f.request_id.as_str(), f.comment.as_str()),
        ("req-1", "not an attack")
    );
    let x = f.exclusion().expect("event joined");
    assert_eq!(
        (x.rule_id.as_str(), x.path.as_str(), x.parameter.as_deref()),
        ("3010", "/p", Some("i"))
    );
}
