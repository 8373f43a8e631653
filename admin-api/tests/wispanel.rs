//! WisPanel compatibility under `/api/v1`: envelope of every error, scopes, status with the live
//! rule count, config -> settings, custom rules as YAML validated by the compiler, rate-limit
//! whitelist and toggle, version info.

#[macro_use]
mod common;

use std::path::Path;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use admin_api::build_app;
use admin_api::state::Transport;
use common::auth;
use common::env;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use waf_core::control::{
    ControlData, ControlRequest, ControlResponse, ReloadReport, StatsReport, StatusReport,
};
use waf_core::RuleCounts;

/// A proxy answering `status` with 65 managed rules + 2 ACL rules, and everything else.
fn status_proxy(socket: &Path) {
    let listener = tokio::net::UnixListener::bind(socket).expect("bind");
    actix_web::rt::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (rd, mut wr) = stream.into_split();
            let mut line = String::new();
            if BufReader::new(rd).read_line(&mut line).await.is_err() {
                continue;
            }
            let Ok(req) = serde_json::from_str::<ControlRequest>(line.trim()) else {
                continue;
            };
            let data = match req {
                ControlRequest::Status => ControlData::Status(StatusReport {
                    version: "v1".into(),
                    counts: RuleCounts {
                        acl: 2,
                        managed: 65,
                        ..Default::default()
                    },
                    mode: "block".into(),
                    sensitivity: 2,
                    uptime_secs: 1,
                    reloads: (0, 0),
                    engine_version: "0".into(),
                }),
                ControlRequest::Stats => ControlData::Stats(StatsReport::default()),
                ControlRequest::Bans => ControlData::Bans(Default::default()),
                _ => ControlData::Reload(ReloadReport {
                    version: "v2".into(),
                    counts: Default::default(),
                    compile_ms: 1.0,
                }),
            };
            let mut out = serde_json::to_string(&ControlResponse::ok(data)).expect("json");
            out.push('\n');
            let _ = wr.write_all(out.as_bytes()).await;
        }
    });
}

fn is_envelope(b: &Value, code: &str, status: u16) -> bool {
    b["success"] == false
        && b["code"] == code
        && b["status"] == status
        && b["error"].is_string()
        && b["message"] == b["error"]
}

#[actix_web::test]
async fn errors_use_the_wispanel_envelope() {
    let e = env("wis-err", Transport::Tls);
    status_proxy(&e.socket);
    let app = test::init_service(build_app(e.state.clone())).await;
    let st = "/api/v1/security/module/modsecurity/status";
    let (s, b) = call!(app, TestRequest::get().uri(st));
    assert!(is_envelope(&b, "UNAUTHORIZED", 401), "{s} {b}");
    let (_, b) = call!(app, TestRequest::get().uri(st).insert_header(auth("fwk_x")));
    assert!(is_envelope(&b, "UNAUTHORIZED", 401), "{b}");
    let k = e.key(&["acl:read"]);
    let (s, b) = call!(app, TestRequest::get().uri(st).insert_header(auth(&k)));
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(is_envelope(&b, "FORBIDDEN", 403), "{b}");
    let k = e.key(&["*:write"]);
    let (_, b) = call!(
        app,
        TestRequest::get()
            .uri("/api/v1/nowhere")
            .insert_header(auth(&k))
    );
    assert!(is_envelope(&b, "NOT_FOUND", 404), "{b}");
    let (_, b) = call!(
        app,
        TestRequest::put()
            .uri("/api/v1/security/module/modsecurity/config")
            .insert_header(auth(&k))
            .set_json(json!({"paranoia_level": 7}))
    );
    assert!(is_envelope(&b, "VALIDATION_ERROR", 400), "{b}");
    assert_eq!(b["details"]["paranoia_level"], "1 to 4");
    // The FOXWAF base keeps its own shape.
    let (_, b) = call!(app, TestRequest::get().uri("/openapi/v1/attack/logs"));
    assert_eq!(
        (b["code"].as_str(), b.get("success")),
        (Some("missing_token"), None)
    );
}

#[actix_web::test]
async fn modsecurity_status_config_and_custom_rules() {
    let e = env("wis-ms", Transport::Tls);
    status_proxy(&e.socket);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["settings:write", "custom-rules:write"]);
    let base = "/api/v1/security/module/modsecurity";
    let (s, b) = call!(
        app,
        TestRequest::get()
            .uri(&format!("{base}/status"))
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["success"], true);
    let d = &b["data"];
    assert_eq!(
        (d["installed"].as_bool(), d["enabled"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(
        (d["log_only"].as_bool(), d["rule_count"].as_u64()),
        (Some(false), Some(67))
    );
    assert_eq!(d["crs_version"], format!("v{}", waf_core::ENGINE_VERSION));

    let (s, b) = call!(
        app,
        TestRequest::put()
            .uri(&format!("{base}/config"))
            .insert_header(auth(&k))
            .set_json(json!({"log_only": true, "paranoia_level": 3}))
    );
    assert_eq!(s, StatusCode::OK, "{b}");
    let settings = e.state.rules_doc().expect("doc").settings();
    assert_eq!(settings.mode, waf_core::model::raw::Mode::LogOnly);
    assert_eq!(settings.sensitivity, 3);
    assert_eq!(
        (
            b["data"]["log_only"].as_bool(),
            b["data"]["paranoia_level"].as_u64()
        ),
        (Some(true), Some(3))
    );

    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri(&format!("{base}/disable"))
            .insert_header(auth(&k))
    );
    assert_eq!(
        (s, b["data"]["enabled"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    let (_, b) = call!(
        app,
        TestRequest::post()
            .uri(&format!("{base}/enable"))
            .insert_header(auth(&k))
    );
    assert_eq!(b["data"]["enabled"], true);
    assert!(e
        .state
        .rules_doc()
        .expect("doc")
        .managed()
        .disabled_rules
        .is_empty());

    let yaml = "- id: block-admin\n  name: Block admin\n  action: block\n  judges:\n  - position: uri\n    content: /admin\n";
    let custom = format!("{base}/rules/custom");
    let (s, b) = call!(
        app,
        TestRequest::put()
            .uri(&custom)
            .insert_header(auth(&k))
            .set_json(json!({"rules": yaml}))
    );
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, b) = call!(app, TestRequest::get().uri(&custom).insert_header(auth(&k)));
    assert_eq!(b["data"]["count"], 1);
    assert!(b["data"]["rules"]
        .as_str()
        .is_some_and(|y| y.contains("block-admin")));
    let bad = "- id: x\n  name: x\n  action: block\n  judges: []\n";
    let (s, b) = call!(
        app,
        TestRequest::put()
            .uri(&custom)
            .insert_header(auth(&k))
            .set_json(json!({"rules": bad}))
    );
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(is_envelope(&b, "VALIDATION_ERROR", 400), "{b}");
    let (s, _) = call!(
        app,
        TestRequest::put()
            .uri(&custom)
            .insert_header(auth(&k))
            .set_json(json!({"rules": "{not: [yaml"}))
    );
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, b) = call!(app, TestRequest::get().uri(&custom).insert_header(auth(&k)));
    assert_eq!(b["data"]["count"], 1, "failed writes change nothing");
}

#[actix_web::test]
async fn ratelimit_whitelist_toggle_and_version() {
    let e = env("wis-rl", Transport::Tls);
    status_proxy(&e.socket);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["acl:write", "cc:write", "monitor:read"]);
    let base = "/api/v1/security/module/ratelimit";
    let wl = format!("{base}/whitelist");
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri(&wl)
            .insert_header(auth(&k))
            .set_json(json!({"ip": "203.0.113.5"}))
    );
    assert_eq!(
        (s, b["success"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{b}"
    );
    let (_, b) = call!(
        app,
        TestRequest::post()
            .uri(&wl)
            .insert_header(auth(&k))
            .set_json(json!({"ip": "203.0.113.5"}))
    );
    assert!(is_envelope(&b, "CONFLICT", 409), "{b}");
    let (_, b) = call!(
        app,
        TestRequest::post()
            .uri(&wl)
            .insert_header(auth(&k))
            .set_json(json!({"ip": "nope"}))
    );
    assert!(is_envelope(&b, "VALIDATION_ERROR", 400), "{b}");
    let (_, b) = call!(app, TestRequest::get().uri(&wl).insert_header(auth(&k)));
    assert_eq!(b["whitelist"][0]["ip"], "203.0.113.5");
    let (s, _) = call!(
        app,
        TestRequest::delete()
            .uri(&format!("{wl}/203.0.113.5"))
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::OK);
    let (_, b) = call!(
        app,
        TestRequest::delete()
            .uri(&format!("{wl}/203.0.113.5"))
            .insert_header(auth(&k))
    );
    assert!(is_envelope(&b, "NOT_FOUND", 404), "{b}");

    let (s, _) = call!(app, TestRequest::post().uri("/openapi/v1/cc/rules").insert_header(auth(&k)).set_json(
        json!({"host":"*","path":"/","threshold":10,"window":60,"ban_duration":60,"action":"block","enabled":true})));
    assert_eq!(s, StatusCode::OK);
    let (_, b) = call!(
        app,
        TestRequest::post()
            .uri(&format!("{base}/toggle"))
            .insert_header(auth(&k))
            .set_json(json!({"enabled": false}))
    );
    assert_eq!(
        (b["data"]["enabled"].as_bool(), b["data"]["rules"].as_u64()),
        (Some(false), Some(1))
    );
    let (_, b) = call!(
        app,
        TestRequest::get()
            .uri(&format!("{base}/summary"))
            .insert_header(auth(&k))
    );
    assert_eq!(
        (b["blocks"].as_i64(), b["enabled"].as_bool()),
        (Some(0), Some(false))
    );
    assert!(b["recent_events"].is_array());
    let (s, b) = call!(
        app,
        TestRequest::get()
            .uri(&format!("{base}/events?page=1&page_size=10"))
            .insert_header(auth(&k))
    );
    assert_eq!((s, b["total"].as_i64()), (StatusCode::OK, Some(0)));

    let (s, b) = call!(
        app,
        TestRequest::get()
            .uri("/api/v1/version/info")
            .insert_header(auth(&k))
    );
    assert_eq!(
        (s, b["version"].as_str()),
        (StatusCode::OK, Some(env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(b["channel"], "stable");
}
