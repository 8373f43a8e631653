//! CRUD of every module through the app, with a fake proxy on the control socket.

#[macro_use]
mod common;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use admin_api::build_app;
use admin_api::state::Transport;
use common::{auth, env, fake_proxy};
use serde_json::{json, Value};
use waf_core::control::ControlRequest;

#[actix_web::test]
async fn acl_crud_reloads_the_proxy() {
    let e = env("acl", Transport::Tls);
    let seen = fake_proxy(&e.socket, false);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["acl:write"]);
    let u = "/openapi/v1/acl/rules";
    let (s, b) = call!(app, TestRequest::post().uri(u).insert_header(auth(&k)).set_json(
        json!({"type":"global","rule_type":"ip","pattern":"1.2.3.4","action":"block","enabled":true,"description":"Malicious scan"})));
    assert_eq!(
        (s, b["id"].as_u64(), b["message"].as_str()),
        (StatusCode::OK, Some(1), Some("ACL rule created"))
    );
    assert_eq!(b["reload"]["applied"], true);
    let (s, b) = call!(app, TestRequest::post().uri(u).insert_header(auth(&k)).set_json(
        json!({"type":"host","host":"example.com","rule_type":"ua","pattern":"sqlmap","action":"block","enabled":true})));
    assert_eq!((s, b["id"].as_u64()), (StatusCode::OK, Some(2)));
    let (_, b) = call!(app, TestRequest::get().uri(u).insert_header(auth(&k)));
    assert_eq!(b["rules"][0]["pattern"], "1.2.3.4");
    assert_eq!(b["rules"][1]["host"], "example.com");
    let (s, _) = call!(app, TestRequest::put().uri("/openapi/v1/acl/rules/1").insert_header(auth(&k)).set_json(
        json!({"type":"global","rule_type":"ip","pattern":"1.2.3.4","action":"allow","enabled":true})));
    assert_eq!(s, StatusCode::OK);
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/acl/rules/1/toggle")
            .insert_header(auth(&k))
            .set_json(json!({"enabled": false}))
    );
    assert_eq!(
        (s, b["message"].as_str()),
        (StatusCode::OK, Some("ACL rule disabled"))
    );
    let (_, b) = call!(app, TestRequest::get().uri(u).insert_header(auth(&k)));
    assert_eq!(
        (
            b["rules"][0]["action"].as_str(),
            b["rules"][0]["enabled"].as_bool()
        ),
        (Some("allow"), Some(false))
    );
    // An invalid pattern is refused by the compiler and nothing is written.
    let before = std::fs::read_to_string(e.dir.join("rules/acl.yaml")).expect("acl.yaml");
    let (s, b) = call!(app, TestRequest::post().uri(u).insert_header(auth(&k)).set_json(
        json!({"type":"global","rule_type":"ip","pattern":"not-an-ip","action":"block","enabled":true})));
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation_error")),
        "{b}"
    );
    assert_eq!(
        std::fs::read_to_string(e.dir.join("rules/acl.yaml")).expect("acl.yaml"),
        before
    );
    let (s, _) = call!(
        app,
        TestRequest::delete()
            .uri("/openapi/v1/acl/rules/1")
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call!(
        app,
        TestRequest::delete()
            .uri("/openapi/v1/acl/rules/1")
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, b) = call!(app, TestRequest::get().uri(u).insert_header(auth(&k)));
    assert_eq!(b["rules"].as_array().map(Vec::len), Some(1));
    let reloads = seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|r| **r == ControlRequest::Reload)
        .count();
    assert_eq!(reloads, 5, "one reload per successful write");
    // Previous versions are kept.
    assert!(!e.state.rules.history("acl.yaml").is_empty());
}

#[actix_web::test]
async fn concurrent_writes_lose_nothing() {
    let e = env("concurrent", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["acl:write"]);
    let reqs = (0..20).map(|i| {
        test::call_service(&app, TestRequest::post().uri("/openapi/v1/acl/rules").insert_header(auth(&k))
            .set_json(json!({"type":"global","rule_type":"ua","pattern":format!("bot{i}"),"action":"block","enabled":true})).to_request())
    });
    for res in futures_util::future::join_all(reqs).await {
        assert_eq!(res.status(), StatusCode::OK);
    }
    let (_, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/acl/rules")
            .insert_header(auth(&k))
    );
    let ids: std::collections::BTreeSet<u64> = b["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["id"].as_u64())
        .collect();
    assert_eq!(ids.len(), 20);
}

#[actix_web::test]
async fn cc_crud_and_clear_counters() {
    let e = env("cc", Transport::Tls);
    let seen = fake_proxy(&e.socket, false);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["cc:write"]);
    let body = json!({"host":"*","path":"/api/login","threshold":10,"window":60,"ban_duration":300,"action":"block","enabled":true});
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/cc/rules")
            .insert_header(auth(&k))
            .set_json(body.clone())
    );
    assert_eq!((s, b["id"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
    let mut upd = body.clone();
    upd["threshold"] = json!(20);
    let (s, b) = call!(
        app,
        TestRequest::put()
            .uri("/openapi/v1/cc/rules/1")
            .insert_header(auth(&k))
            .set_json(upd)
    );
    assert_eq!(
        (s, b["message"].as_str()),
        (StatusCode::OK, Some("CC rule updated"))
    );
    let (_, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/cc/rules")
            .insert_header(auth(&k))
    );
    assert_eq!(b["rules"][0]["threshold"], 20);
    let mut bad = body.clone();
    bad["window"] = json!(0);
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/cc/rules")
            .insert_header(auth(&k))
            .set_json(bad)
    );
    assert_eq!(
        (s, b["details"]["window"].is_string()),
        (StatusCode::BAD_REQUEST, true)
    );
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/cc/clear-counters")
            .insert_header(auth(&k))
    );
    assert_eq!(
        (s, b["message"].as_str()),
        (StatusCode::OK, Some("CC counters cleared"))
    );
    assert!(seen
        .lock()
        .expect("lock")
        .contains(&ControlRequest::CcClearCounters));
    let (s, b) = call!(
        app,
        TestRequest::delete()
            .uri("/openapi/v1/cc/rules/1")
            .insert_header(auth(&k))
    );
    assert_eq!(
        (s, b["message"].as_str()),
        (StatusCode::OK, Some("CC rule deleted"))
    );
}

#[actix_web::test]
async fn custom_rules_crud_export_import() {
    let e = env("custom", Transport::Tls);
    let _seen = fake_proxy(&e.socket, false);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["custom-rules:write"]);
    let u = "/openapi/v1/custom-rules";
    let rule = json!({"name":"Block sensitive file probes","method":"any","action":"block","enabled":true,"relation":"or",
        "judges":[{"position":"uri","keyword":"/.env"},{"position":"uri","keyword":"/.git/config"}]});
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri(u)
            .insert_header(auth(&k))
            .set_json(rule.clone())
    );
    assert_eq!(
        (s, b["message"].as_str()),
        (StatusCode::OK, Some("Custom rule created")),
        "{b}"
    );
    let id = b["rule_id"].as_str().expect("rule_id").to_string();
    assert_eq!(b["rule"]["name"], "Block sensitive file probes");
    // Invalid regex: 400 naming the judge, nothing written.
    let before = std::fs::read_to_string(e.dir.join("rules/custom.yaml")).expect("custom.yaml");
    let bad = json!({"name":"bad","method":"any","action":"block","relation":"and",
        "judges":[{"position":"uri","keyword":"ok"},{"position":"uri","rix":"(("}]});
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri(u)
            .insert_header(auth(&k))
            .set_json(bad)
    );
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation_error"))
    );
    let details = b["details"].as_object().expect("details");
    assert!(details.keys().any(|k| k.ends_with("judges[1].rix")), "{b}");
    assert_eq!(
        std::fs::read_to_string(e.dir.join("rules/custom.yaml")).expect("custom.yaml"),
        before
    );
    // Update, toggle.
    let mut upd = rule.clone();
    upd["name"] = json!("Renamed");
    let (s, _) = call!(
        app,
        TestRequest::put()
            .uri(&format!("{u}/{id}"))
            .insert_header(auth(&k))
            .set_json(upd)
    );
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call!(
        app,
        TestRequest::post()
            .uri(&format!("{u}/{id}/toggle"))
            .insert_header(auth(&k))
            .set_json(json!({"enabled": false}))
    );
    assert_eq!(s, StatusCode::OK);
    let (_, b) = call!(app, TestRequest::get().uri(u).insert_header(auth(&k)));
    assert_eq!(
        (
            b["rules"][0]["name"].as_str(),
            b["rules"][0]["enabled"].as_bool()
        ),
        (Some("Renamed"), Some(false))
    );
    // Export, delete, import back.
    let res = test::call_service(
        &app,
        TestRequest::get()
            .uri(&format!("{u}/export"))
            .insert_header(auth(&k))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/zip")
    );
    let zip = test::read_body(res).await.to_vec();
    let (s, _) = call!(
        app,
        TestRequest::delete()
            .uri(&format!("{u}/{id}"))
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::OK);
    let boundary = "XBOUNDARYX";
    let mut form = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.zip\"\r\nContent-Type: application/zip\r\n\r\n").into_bytes();
    form.extend_from_slice(&zip);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri(&format!("{u}/import"))
            .insert_header(auth(&k))
            .insert_header((
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}")
            ))
            .set_payload(form)
    );
    assert_eq!((s, b["count"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
    let (_, b) = call!(app, TestRequest::get().uri(u).insert_header(auth(&k)));
    assert_eq!(b["rules"][0]["id"].as_str(), Some(id.as_str()));
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri(&format!("{u}/reload"))
            .insert_header(auth(&k))
    );
    assert_eq!(
        (s, b["message"].as_str()),
        (StatusCode::OK, Some("Custom rules reloaded"))
    );
}

#[actix_web::test]
async fn sites_and_health() {
    let e = env("sites", Transport::Tls);
    let _seen = fake_proxy(&e.socket, false);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["site:write"]);
    let (s, b) = call!(app, TestRequest::post().uri("/openapi/v1/site/add").insert_header(auth(&k))
        .set_json(json!({"name":"Main site","domain":"example.com","target_url":"http://127.0.0.1:8080"})));
    assert_eq!(
        (s, b["message"].as_str(), b["site"]["id"].as_u64()),
        (StatusCode::OK, Some("Site added"), Some(1)),
        "{b}"
    );
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/https")
            .insert_header(auth(&k))
            .set_json(json!({"id":1,"enable_https":true}))
    );
    assert_eq!(
        (s, b["cert_type"].as_str()),
        (StatusCode::OK, Some("self-signed")),
        "{b}"
    );
    let (s, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/site/1/certificate")
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::OK);
    assert!(b["certificate"]
        .as_str()
        .is_some_and(|c| c.contains("BEGIN CERTIFICATE")));
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/status")
            .insert_header(auth(&k))
            .set_json(json!({"id":1,"status":0}))
    );
    assert_eq!(
        (s, b["message"].as_str(), b["status"].as_u64()),
        (StatusCode::OK, Some("Site disabled"), Some(0))
    );
    let (s, _) = call!(app, TestRequest::put().uri("/openapi/v1/site/update").insert_header(auth(&k))
        .set_json(json!({"id":1,"name":"Renamed","domain":"example.com,www.example.com","target_url":"http://127.0.0.1:8081","enable_https":true})));
    assert_eq!(s, StatusCode::OK);
    let (_, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/sites")
            .insert_header(auth(&k))
    );
    let site = &b["sites"][0];
    assert_eq!(
        (
            site["name"].as_str(),
            site["status"].as_u64(),
            site["cert_type"].as_str()
        ),
        (Some("Renamed"), Some(1), Some("self-signed"))
    );
    let (s, _) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/1/renew-certificate")
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/1/remove-certificate")
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::OK);
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/add")
            .insert_header(auth(&k))
            .set_json(json!({"name":"Bad","domain":"bad.example","target_url":"ftp://nope"}))
    );
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation_error")),
        "{b}"
    );
    let (s, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/health")
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["health_status"]["1"]["is_alive"], true);
    assert_eq!(b["health_status"]["1"]["last_check"], "2026-06-06 11:44:53");
    let (s, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/health/1")
            .insert_header(auth(&k))
    );
    assert_eq!((s, b["latency"].as_u64()), (StatusCode::OK, Some(2)));
    let (s, _) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/site/1/sm2-certs")
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::NOT_IMPLEMENTED);
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/delete")
            .insert_header(auth(&k))
            .set_json(json!({"id":1}))
    );
    assert_eq!(
        (s, b["message"].as_str()),
        (StatusCode::OK, Some("Site deleted"))
    );
}

#[actix_web::test]
async fn certificates_upload_and_use() {
    let e = env("certs", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["cert:write", "site:write"]);
    let pair = admin_api::tls::PemPair::self_signed(vec!["shop.example".into()]).expect("pem");
    let boundary = "BNDRY";
    let mut form = String::new();
    for (name, value) in [
        ("name", "shop"),
        ("cert_file", pair.cert.as_str()),
        ("key_file", pair.key.as_str()),
    ] {
        form.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.pem\"\r\n\r\n{value}\r\n"));
    }
    form.push_str(&format!("--{boundary}--\r\n"));
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/cert/upload")
            .insert_header(auth(&k))
            .insert_header((
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}")
            ))
            .set_payload(form)
    );
    assert_eq!(
        (s, b["name"].as_str()),
        (StatusCode::OK, Some("shop")),
        "{b}"
    );
    assert!(e.dir.join("certs/shop.key").exists());
    let (s, _) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/add")
            .insert_header(auth(&k))
            .set_json(
                json!({"name":"Shop","domain":"shop.example","target_url":"http://127.0.0.1:9"})
            )
    );
    assert_eq!(s, StatusCode::OK);
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/update-cert")
            .insert_header(auth(&k))
            .set_json(json!({"id":1,"cert_name":"shop"}))
    );
    assert_eq!(
        (s, b["cert_type"].as_str()),
        (StatusCode::OK, Some("custom")),
        "{b}"
    );
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/update-cert")
            .insert_header(auth(&k))
            .set_json(json!({"id":1,"cert":"junk","key":"junk"}))
    );
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation_error"))
    );
    // Proxy down: cert/reload says so.
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/cert/reload")
            .insert_header(auth(&k))
    );
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("proxy_unavailable"))
    );
}

#[actix_web::test]
async fn rules_settings_protocol() {
    let e = env("rules", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["*:write"]);
    let (s, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/rules")
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::OK);
    let first = b["rules"][0]["id"].as_u64().expect("a managed rule");
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/rules/status")
            .insert_header(auth(&k))
            .set_json(json!({"ids":[first],"enabled":false}))
    );
    assert_eq!(
        (s, b["message"].as_str()),
        (StatusCode::OK, Some("Rule status updated")),
        "{b}"
    );
    // Proxy unreachable: the change is kept and the response says so.
    assert_eq!(b["reload"]["applied"], false);
    let (_, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/rule/blockRuleId")
            .insert_header(auth(&k))
    );
    assert_eq!(b["id"], json!([first]));
    let (s, _) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/rules/status")
            .insert_header(auth(&k))
            .set_json(json!({"ids":[999999],"enabled":false}))
    );
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/rules/reload")
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    // Settings.
    let (_, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/settings")
            .insert_header(auth(&k))
    );
    assert_eq!(b["settings"]["base64_depth"], 2);
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/settings")
            .insert_header(auth(&k))
            .set_json(json!({"rule_match_rate": 50, "mode": "log_only"}))
    );
    assert_eq!(
        (s, b["message"].as_str()),
        (StatusCode::OK, Some("Settings updated")),
        "{b}"
    );
    let (_, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/settings")
            .insert_header(auth(&k))
    );
    assert_eq!(
        (
            b["settings"]["rule_match_rate"].as_u64(),
            b["settings"]["mode"].as_str()
        ),
        (Some(50), Some("log_only"))
    );
    for bad in [json!({"bogus": 1}), json!({"url_depth": 9})] {
        let (s, b) = call!(
            app,
            TestRequest::post()
                .uri("/openapi/v1/settings")
                .insert_header(auth(&k))
                .set_json(bad)
        );
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("validation_error")),
            "{b}"
        );
    }
    // TLS versions and HTTP/3.
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/waf/tls-versions")
            .insert_header(auth(&k))
            .set_json(json!({"versions":["1.3"]}))
    );
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/waf/tls-versions")
            .insert_header(auth(&k))
    );
    assert_eq!(b["versions"], json!(["1.3"]));
    let (s, _) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/waf/tls-versions")
            .insert_header(auth(&k))
            .set_json(json!({"versions":["1.0"]}))
    );
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/waf/http3")
            .insert_header(auth(&k))
    );
    assert_eq!(
        (b["enabled"].as_bool(), b["supported"].as_bool()),
        (Some(false), Some(false))
    );
    // Public helpers.
    let (s, b) = call!(app, TestRequest::get().uri("/openapi/v1/config"));
    assert_eq!(
        (s, b["api_base"].as_str()),
        (StatusCode::OK, Some("/openapi/v1"))
    );
    let (_, b) = call!(app, TestRequest::get().uri("/openapi/v1/waf/language"));
    assert_eq!(b["language"], "en");
}

#[actix_web::test]
async fn unknown_fields_in_bodies_are_refused_by_name() {
    let e = env("unknown-fields", Transport::Tls);
    let _seen = fake_proxy(&e.socket, false);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["*:write"]);
    let acl = json!({"type":"global","rule_type":"ip","pattern":"1.2.3.4","action":"block","enabled":true});
    let cc = json!({"host":"*","path":"/login","threshold":10,"window":60,"ban_duration":300,"action":"block","enabled":true});
    let custom = json!({"name":"probe","method":"any","action":"block","relation":"or",
        "judges":[{"position":"uri","keyword":"/.env"}]});
    let site = json!({"name":"Shop","domain":"shop.example","target_url":"http://127.0.0.1:9"});
    // One of each, so the updates below have something to update.
    for (uri, body) in [
        ("/openapi/v1/acl/rules", &acl),
        ("/openapi/v1/cc/rules", &cc),
        ("/openapi/v1/site/add", &site),
    ] {
        let (s, b) = call!(
            app,
            TestRequest::post()
                .uri(uri)
                .insert_header(auth(&k))
                .set_json(body.clone())
        );
        assert_eq!(s, StatusCode::OK, "{uri}: {b}");
    }
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/custom-rules")
            .insert_header(auth(&k))
            .set_json(custom.clone())
    );
    assert_eq!(s, StatusCode::OK, "{b}");
    let custom_id = b["rule_id"].as_str().expect("id").to_string();
    let before = std::fs::read_dir(e.dir.join("rules"))
        .expect("rules")
        .map(|f| std::fs::read_to_string(f.expect("entry").path()).unwrap_or_default())
        .collect::<Vec<_>>();
    let with = |v: &Value, k: &str, x: Value| {
        let mut v = v.clone();
        v[k] = x;
        v
    };
    let mut site_update = with(&site, "id", json!(1));
    site_update["name"] = json!("Renamed");
    let cases: Vec<(TestRequest, &str)> = vec![
        // "enable": false is a typo of "enabled": it must not create an enabled rule.
        (
            TestRequest::post()
                .uri("/openapi/v1/acl/rules")
                .set_json(with(&acl, "enable", json!(false))),
            "enable",
        ),
        (
            TestRequest::put()
                .uri("/openapi/v1/acl/rules/1")
                .set_json(with(&acl, "enable", json!(false))),
            "enable",
        ),
        (
            TestRequest::post()
                .uri("/openapi/v1/cc/rules")
                .set_json(with(&cc, "enable", json!(false))),
            "enable",
        ),
        (
            TestRequest::put()
                .uri("/openapi/v1/cc/rules/1")
                .set_json(with(&cc, "thresold", json!(1))),
            "thresold",
        ),
        (
            TestRequest::post()
                .uri("/openapi/v1/custom-rules")
                .set_json(with(&custom, "enable", json!(false))),
            "enable",
        ),
        (
            TestRequest::put()
                .uri(&format!("/openapi/v1/custom-rules/{custom_id}"))
                .set_json(with(&custom, "priority", json!(1))),
            "priority",
        ),
        (
            TestRequest::post()
                .uri("/openapi/v1/site/add")
                .set_json(with(&site, "stauts", json!(0))),
            "stauts",
        ),
        (
            TestRequest::put()
                .uri("/openapi/v1/site/update")
                .set_json(with(&site_update, "targetUrl", json!("http://x"))),
            "targetUrl",
        ),
        (
            TestRequest::post()
                .uri("/openapi/v1/acl/rules/1/toggle")
                .set_json(json!({"enabled": true, "force": true})),
            "force",
        ),
        (
            TestRequest::post()
                .uri("/openapi/v1/site/status")
                .set_json(json!({"id": 1, "status": 0, "all": true})),
            "all",
        ),
    ];
    for (req, field) in cases {
        let (s, b) = call!(app, req.insert_header(auth(&k)));
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("validation_error")),
            "{field}: {b}"
        );
        assert!(
            b["details"][field]
                .as_str()
                .is_some_and(|r| r.contains("unknown field")),
            "{field} not named: {b}"
        );
    }
    let after = std::fs::read_dir(e.dir.join("rules"))
        .expect("rules")
        .map(|f| std::fs::read_to_string(f.expect("entry").path()).unwrap_or_default())
        .collect::<Vec<_>>();
    assert_eq!(before, after, "a refused body changed the rule files");
    // The one Pro-only site field the reference names is accepted when off, refused when on.
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/add")
            .insert_header(auth(&k))
            .set_json(with(
                &with(&site, "domain", json!("b.example")),
                "enable_anti_devtools",
                json!(false)
            ))
    );
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/add")
            .insert_header(auth(&k))
            .set_json(with(
                &with(&site, "domain", json!("c.example")),
                "enable_anti_devtools",
                json!(true)
            ))
    );
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["details"]["enable_anti_devtools"].is_string(), "{b}");
    // The multipart form of add-with-cert too.
    let form = "--XB\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nShop\r\n\
                --XB\r\nContent-Disposition: form-data; name=\"domian\"\r\n\r\nd.example\r\n--XB--\r\n";
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/add-with-cert")
            .insert_header(auth(&k))
            .insert_header(("Content-Type", "multipart/form-data; boundary=XB"))
            .set_payload(form)
    );
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["details"]["domian"].is_string(), "{b}");
}

#[actix_web::test]
async fn regexes_that_do_not_build_are_refused_with_their_field() {
    let e = env("regex-build", Transport::Tls);
    let _seen = fake_proxy(&e.socket, false);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["*:write"]);
    let cases = [
        (
            "/openapi/v1/custom-rules",
            json!({"name":"big","method":"any","action":"block","relation":"or",
                   "judges":[{"position":"uri","rix":"zz\\w{3000}"}]}),
            "judges[0].rix",
        ),
        (
            "/openapi/v1/acl/rules",
            json!({"type":"global","rule_type":"ua","pattern":"re:a{99999999}","action":"block","enabled":true}),
            "pattern",
        ),
    ];
    for (uri, body, field) in cases {
        let (s, b) = call!(
            app,
            TestRequest::post()
                .uri(uri)
                .insert_header(auth(&k))
                .set_json(body)
        );
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("validation_error")),
            "{uri}: {b}"
        );
        let details = b["details"].as_object().expect("details");
        assert!(
            details.iter().any(|(k, v)| k.ends_with(field)
                && v.as_str().is_some_and(|r| r.contains("does not build"))),
            "{uri}: {b}"
        );
    }
}
