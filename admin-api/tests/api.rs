//! Auth, scopes, errors, rate limit, idempotency, audit, key management, /openapi.yaml.

mod common;
#[path = "common/wire.rs"]
mod wire;

use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use admin_api::build_app;
use admin_api::state::{RateLimiter, Transport};
use common::{env, ADMIN_TOKEN};
use serde_json::{json, Value};

macro_rules! call {
    ($app:expr, $req:expr) => {{
        let res = test::call_service(&$app, $req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let body = test::read_body(res).await;
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (status, headers, json)
    }};
}

fn bearer(k: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {k}"))
}

const ACL: &str = "/openapi/v1/acl/rules";

fn acl_body() -> Value {
    json!({"type":"global","rule_type":"ip","pattern":"1.2.3.4","action":"block","enabled":true,"description":"Malicious scan"})
}

#[actix_web::test]
async fn auth_errors() {
    let e = env("auth", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let cases: Vec<(TestRequest, StatusCode, &str)> = vec![
        (
            TestRequest::get().uri(ACL),
            StatusCode::UNAUTHORIZED,
            "missing_token",
        ),
        (
            TestRequest::get()
                .uri(ACL)
                .insert_header(("Authorization", "Basic abc")),
            StatusCode::UNAUTHORIZED,
            "missing_token",
        ),
        (
            TestRequest::get()
                .uri(ACL)
                .insert_header(bearer("nonsense")),
            StatusCode::UNAUTHORIZED,
            "invalid_key",
        ),
        (
            TestRequest::get()
                .uri(ACL)
                .insert_header(bearer("fwk_AAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")),
            StatusCode::UNAUTHORIZED,
            "invalid_key",
        ),
    ];
    for (req, status, code) in cases {
        let (s, _, body) = call!(app, req);
        assert_eq!(s, status, "{body}");
        assert_eq!(body["code"], code);
        assert!(body["error"].is_string());
    }
    // Right prefix, wrong secret.
    let key = e.key(&["*:read"]);
    let wrong = format!(
        "{}{}",
        &key[..key.len() - 1],
        if key.ends_with('x') { 'y' } else { 'x' }
    );
    let (s, _, body) = call!(
        app,
        TestRequest::get().uri(ACL).insert_header(bearer(&wrong))
    );
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_key"))
    );
}

#[actix_web::test]
async fn key_states_and_scopes() {
    let e = env("scopes", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let ro = e.key(&["acl:read"]);
    let (s, h, body) = call!(app, TestRequest::get().uri(ACL).insert_header(bearer(&ro)));
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body, json!({"rules": []}));
    assert_eq!(
        h.get("x-ratelimit-limit").map(|v| v.to_str().ok()),
        Some(Some("120"))
    );
    let (s, _, body) = call!(
        app,
        TestRequest::post()
            .uri(ACL)
            .insert_header(bearer(&ro))
            .set_json(acl_body())
    );
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("scope_denied"))
    );
    let (s, _, body) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/cc/rules")
            .insert_header(bearer(&ro))
    );
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("scope_denied"))
    );
    // Write implies read; *:read reads everything.
    let rw = e.key(&["cc:write"]);
    let (s, _, _) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/cc/rules")
            .insert_header(bearer(&rw))
    );
    assert_eq!(s, StatusCode::OK);
    // Blocked prefixes, even with *:write and even without a key.
    let all = e.key(&["*:write"]);
    for p in [
        "/openapi/v1/license/x",
        "/openapi/v1/update/run",
        "/openapi/v1/panel/port",
        "/openapi/v1/order-list",
        "/openapi/v1/internal/x",
        "/openapi/v1/openapi/keys",
    ] {
        let (s, _, body) = call!(app, TestRequest::post().uri(p).insert_header(bearer(&all)));
        assert_eq!(
            (s, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("endpoint_not_exposed")),
            "{p}"
        );
    }
    let (s, _, body) = call!(app, TestRequest::get().uri("/openapi/v1/license/x"));
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("endpoint_not_exposed"))
    );
    // Disabled, expired, revoked.
    let (s, _, body) = call!(
        app,
        TestRequest::get()
            .uri("/api/openapi/keys")
            .insert_header(bearer(ADMIN_TOKEN))
    );
    assert_eq!(s, StatusCode::OK);
    let id = body["keys"][0]["id"].as_i64().expect("id");
    let (s, _, _) = call!(
        app,
        TestRequest::post()
            .uri(&format!("/api/openapi/keys/{id}/toggle"))
            .insert_header(bearer(ADMIN_TOKEN))
            .set_json(json!({"enabled": false}))
    );
    assert_eq!(s, StatusCode::OK);
    let (s, _, body) = call!(app, TestRequest::get().uri(ACL).insert_header(bearer(&ro)));
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("key_disabled"))
    );
    let (s, _, _) = call!(
        app,
        TestRequest::delete()
            .uri(&format!("/api/openapi/keys/{id}"))
            .insert_header(bearer(ADMIN_TOKEN))
    );
    assert_eq!(s, StatusCode::OK);
    let (s, _, body) = call!(app, TestRequest::get().uri(ACL).insert_header(bearer(&ro)));
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_key"))
    );
    let (s, _, body) = call!(
        app,
        TestRequest::post()
            .uri("/api/openapi/keys")
            .insert_header(bearer(ADMIN_TOKEN))
            .set_json(json!({"name": "old", "scopes": ["*:read"], "expire_at": 1}))
    );
    assert_eq!(s, StatusCode::OK, "{body}");
    let expired = body["key"].as_str().expect("key").to_string();
    let (s, _, body) = call!(
        app,
        TestRequest::get().uri(ACL).insert_header(bearer(&expired))
    );
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("key_expired"))
    );
}

#[actix_web::test]
async fn key_management_needs_admin_token() {
    let e = env("admin", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let all = e.key(&["*:write"]);
    let (s, _, body) = call!(
        app,
        TestRequest::get()
            .uri("/api/openapi/keys")
            .insert_header(bearer(&all))
    );
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("endpoint_not_exposed"))
    );
    let (s, _, body) = call!(app, TestRequest::get().uri("/api/openapi/keys"));
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("missing_token"))
    );
    let (s, _, body) = call!(
        app,
        TestRequest::get()
            .uri("/api/openapi/keys")
            .insert_header(bearer("wrong-token"))
    );
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_key"))
    );
    for bad in [
        json!({"name": "x", "scopes": []}),
        json!({"name": "x", "scopes": ["root:write"]}),
        json!({"name": "", "scopes": ["*:read"]}),
    ] {
        let (s, _, body) = call!(
            app,
            TestRequest::post()
                .uri("/api/openapi/keys")
                .insert_header(bearer(ADMIN_TOKEN))
                .set_json(bad)
        );
        assert_eq!(
            (s, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("validation_error"))
        );
        assert!(body["details"].is_object());
    }
    let (s, _, body) = call!(
        app,
        TestRequest::post()
            .uri("/api/openapi/keys")
            .insert_header(bearer(ADMIN_TOKEN))
            .set_json(json!({"name": "ci", "scopes": ["acl:write", "cc:read"]}))
    );
    assert_eq!(s, StatusCode::OK);
    let key = body["key"].as_str().expect("key");
    assert!(key.starts_with("fwk_") && key.len() == 4 + 10 + 1 + 32);
    let (_, _, listed) = call!(
        app,
        TestRequest::get()
            .uri("/api/openapi/keys")
            .insert_header(bearer(ADMIN_TOKEN))
    );
    let text = listed.to_string();
    assert!(!text.contains(&key[15..]), "secret listed");
    assert_eq!(listed["keys"].as_array().map(Vec::len), Some(2));
    let (s, _, body) = call!(
        app,
        TestRequest::delete()
            .uri("/api/openapi/keys")
            .insert_header(bearer(ADMIN_TOKEN))
            .set_json(json!({"all": true}))
    );
    assert_eq!((s, body["affected"].as_u64()), (StatusCode::OK, Some(2)));
    let (s, _, _) = call!(app, TestRequest::get().uri(ACL).insert_header(bearer(&all)));
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn rate_limit_121st_is_429() {
    let e = env("rate", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let key = e.key(&["acl:read"]);
    let other = e.key(&["acl:read"]);
    for i in 1..=120u64 {
        let (s, h, _) = call!(app, TestRequest::get().uri(ACL).insert_header(bearer(&key)));
        assert_eq!(s, StatusCode::OK, "request {i}");
        let rem: u64 = h
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("remaining");
        assert_eq!(rem, 120 - i);
    }
    let (s, h, body) = call!(app, TestRequest::get().uri(ACL).insert_header(bearer(&key)));
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    for name in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "retry-after",
    ] {
        assert!(h.contains_key(name), "{name}");
    }
    assert_eq!(
        h.get("x-ratelimit-remaining").and_then(|v| v.to_str().ok()),
        Some("0")
    );
    let reset: i64 = h
        .get("x-ratelimit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("reset");
    assert!(reset > admin_api::state::now() - 1 && reset <= admin_api::state::now() + 60);
    // Per key.
    let (s, _, _) = call!(
        app,
        TestRequest::get().uri(ACL).insert_header(bearer(&other))
    );
    assert_eq!(s, StatusCode::OK);
    // The window resets.
    let l = RateLimiter::new(1, 60);
    assert!(!l.hit(7, 600).limited);
    assert!(l.hit(7, 601).limited);
    assert!(!l.hit(7, 660).limited);
}

#[actix_web::test]
async fn idempotency_replays_and_conflicts() {
    let e = env("idem", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let key = e.key(&["acl:write"]);
    let post = |body: Value, k: &str| {
        TestRequest::post()
            .uri(ACL)
            .insert_header(bearer(&key))
            .insert_header(("Idempotency-Key", k.to_string()))
            .set_json(body)
    };
    let (s1, _, first) = call!(app, post(acl_body(), "abc-1"));
    assert_eq!(s1, StatusCode::OK, "{first}");
    let (s2, h2, second) = call!(app, post(acl_body(), "abc-1"));
    assert_eq!(s2, StatusCode::OK);
    assert_eq!(first, second);
    assert_eq!(
        h2.get("idempotent-replayed").and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let (_, _, list) = call!(app, TestRequest::get().uri(ACL).insert_header(bearer(&key)));
    assert_eq!(
        list["rules"].as_array().map(Vec::len),
        Some(1),
        "replay must not create twice"
    );
    let mut other = acl_body();
    other["pattern"] = json!("5.6.7.8");
    let (s, _, body) = call!(app, post(other.clone(), "abc-1"));
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("idempotency_key_conflict"))
    );
    let (s, _, body) = call!(app, post(other, "abc-2"));
    assert_eq!((s, body["id"].as_u64()), (StatusCode::OK, Some(2)));
    // Errors are replayed too (the first answer stands).
    let (s, _, _) = call!(app, post(json!({"type": "host"}), "bad-1"));
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, h, _) = call!(app, post(json!({"type": "host"}), "bad-1"));
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(h.contains_key("idempotent-replayed"));
}

#[actix_web::test]
async fn errors_are_json_with_codes() {
    let e = env("errors", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let key = e.key(&["*:write"]);
    let cases: Vec<(TestRequest, StatusCode, &str)> = vec![
        (TestRequest::post().uri(ACL).insert_header(bearer(&key)).insert_header(("Content-Type", "text/plain")).set_payload("x"),
         StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        (TestRequest::post().uri(ACL).insert_header(bearer(&key)).insert_header(("Content-Type", "application/json")).set_payload(vec![b' '; 2 << 20]),
         StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        (TestRequest::post().uri(ACL).insert_header(bearer(&key)).set_json(json!({"type": "global"})),
         StatusCode::BAD_REQUEST, "validation_error"),
        (TestRequest::post().uri(ACL).insert_header(bearer(&key)).set_json(json!({"type":"host","rule_type":"ua","pattern":"sqlmap","action":"block","enabled":true})),
         StatusCode::BAD_REQUEST, "validation_error"),
        (TestRequest::put().uri("/openapi/v1/acl/rules/99").insert_header(bearer(&key)).set_json(acl_body()),
         StatusCode::NOT_FOUND, "not_found"),
        (TestRequest::get().uri("/openapi/v1/nothing/here").insert_header(bearer(&key)),
         StatusCode::NOT_FOUND, "not_found"),
        (TestRequest::get().uri("/elsewhere"), StatusCode::NOT_FOUND, "not_found"),
        (TestRequest::post().uri("/openapi/v1/waf/http3").insert_header(bearer(&key)).set_json(json!({"enabled": true})),
         StatusCode::NOT_IMPLEMENTED, "not_implemented"),
        (TestRequest::post().uri("/openapi/v1/cc/clear-counters").insert_header(bearer(&key)),
         StatusCode::SERVICE_UNAVAILABLE, "proxy_unavailable"),
    ];
    for (req, status, code) in cases {
        let (s, _, body) = call!(app, req);
        assert_eq!((s, body["code"].as_str()), (status, Some(code)), "{body}");
    }
    let (_, _, body) = call!(app, TestRequest::post().uri(ACL).insert_header(bearer(&key)).set_json(json!({"type":"host","rule_type":"ua","pattern":"x","action":"block","enabled":true})));
    assert!(body["details"]["host"].is_string(), "{body}");
}

#[actix_web::test]
async fn plain_http_requires_loopback() {
    let e = env("plain", Transport::PlainHttp);
    let app = test::init_service(build_app(e.state.clone())).await;
    let key = e.key(&["*:read"]);
    let remote = "203.0.113.9:5000".parse().expect("addr");
    let local = "127.0.0.1:5000".parse().expect("addr");
    let (s, _, body) = call!(
        app,
        TestRequest::get()
            .uri(ACL)
            .peer_addr(remote)
            .insert_header(bearer(&key))
    );
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("https_required"))
    );
    let (s, _, _) = call!(
        app,
        TestRequest::get()
            .uri(ACL)
            .peer_addr(local)
            .insert_header(bearer(&key))
    );
    assert_eq!(s, StatusCode::OK);
    // Public helpers need no key, even remotely.
    let res = test::call_service(
        &app,
        TestRequest::get()
            .uri("/openapi/v1/ping")
            .peer_addr(remote)
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, "pong");
}

#[actix_web::test]
async fn audit_records_successful_keyed_calls_only() {
    let e = env("audit", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let key = e.key(&["acl:read"]);
    let peer = "127.0.0.1:4000".parse().expect("addr");
    call!(
        app,
        TestRequest::get()
            .uri(ACL)
            .peer_addr(peer)
            .insert_header(bearer(&key))
    );
    call!(
        app,
        TestRequest::post()
            .uri(ACL)
            .insert_header(bearer(&key))
            .set_json(acl_body())
    );
    call!(app, TestRequest::get().uri("/openapi/v1/ping"));
    call!(app, TestRequest::get().uri("/openapi/v1/config"));
    let log = e
        .state
        .with_db(|c| admin_api::db::recent_audit(c, 10))
        .expect("audit");
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].key_prefix, &key[4..14]);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str(), log[0].status),
        ("GET", ACL, 200)
    );
    assert_eq!(log[0].source_ip, "127.0.0.1");
    // last_used_at is persisted by the periodic flush.
    e.state.flush_last_used();
    let keys = e.state.with_db(admin_api::keys::list).expect("list");
    assert!(keys[0].last_used_at > 0);
}

#[actix_web::test]
async fn openapi_document_lists_every_route() {
    let e = env("openapi", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let res = test::call_service(&app, TestRequest::get().uri("/openapi.yaml").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = String::from_utf8(test::read_body(res).await.to_vec()).expect("utf8");
    let doc: Value = serde_yaml_ng::from_str(&text).expect("yaml");
    let paths = doc["paths"].as_object().expect("paths");
    // Every endpoint the API serves is documented...
    let expected = [
        ("get", "/api/openapi/keys"),
        ("post", "/api/openapi/keys"),
        ("delete", "/api/openapi/keys"),
        ("post", "/api/openapi/keys/{id}/toggle"),
        ("delete", "/api/openapi/keys/{id}"),
        ("get", "/openapi/v1/acl/rules"),
        ("post", "/openapi/v1/acl/rules"),
        ("put", "/openapi/v1/acl/rules/{id}"),
        ("post", "/openapi/v1/acl/rules/{id}/toggle"),
        ("delete", "/openapi/v1/acl/rules/{id}"),
        ("get", "/openapi/v1/cc/rules"),
        ("post", "/openapi/v1/cc/rules"),
        ("put", "/openapi/v1/cc/rules/{id}"),
        ("delete", "/openapi/v1/cc/rules/{id}"),
        ("post", "/openapi/v1/cc/clear-counters"),
        ("get", "/openapi/v1/custom-rules"),
        ("post", "/openapi/v1/custom-rules"),
        ("put", "/openapi/v1/custom-rules/{id}"),
        ("post", "/openapi/v1/custom-rules/{id}/toggle"),
        ("delete", "/openapi/v1/custom-rules/{id}"),
        ("get", "/openapi/v1/custom-rules/export"),
        ("post", "/openapi/v1/custom-rules/import"),
        ("post", "/openapi/v1/custom-rules/reload"),
        ("get", "/openapi/v1/sites"),
        ("post", "/openapi/v1/site/add"),
        ("post", "/openapi/v1/site/add-with-cert"),
        ("post", "/openapi/v1/site/delete"),
        ("get", "/openapi/v1/site/{id}/certificate"),
        ("post", "/openapi/v1/site/status"),
        ("post", "/openapi/v1/site/https"),
        ("put", "/openapi/v1/site/update"),
        ("post", "/openapi/v1/site/update-cert"),
        ("post", "/openapi/v1/site/{id}/renew-certificate"),
        ("post", "/openapi/v1/site/{id}/replace-certificate"),
        ("post", "/openapi/v1/site/{id}/remove-certificate"),
        ("get", "/openapi/v1/health"),
        ("get", "/openapi/v1/health/{id}"),
        ("get", "/openapi/v1/rule/blockRuleId"),
        ("get", "/openapi/v1/rules/reload"),
        ("post", "/openapi/v1/rules/status"),
        ("post", "/openapi/v1/cert/upload"),
        ("post", "/openapi/v1/cert/reload"),
        ("get", "/openapi/v1/waf/tls-versions"),
        ("post", "/openapi/v1/waf/tls-versions"),
        ("get", "/openapi/v1/waf/http3"),
        ("post", "/openapi/v1/waf/http3"),
        ("get", "/openapi/v1/settings"),
        ("post", "/openapi/v1/settings"),
        ("get", "/openapi/v1/ping"),
        ("get", "/openapi/v1/config"),
        ("get", "/openapi/v1/waf/language"),
    ];
    for (m, p) in expected {
        assert!(
            paths.get(p).and_then(|i| i.get(m)).is_some(),
            "{m} {p} missing from /openapi.yaml"
        );
    }
    // ...and every documented operation is a real route (not the 404 fallback).
    let key = e.key(&["*:write"]);
    let mut n = 0;
    for (p, item) in paths {
        for (m, _) in item.as_object().expect("item") {
            let method = Method::from_bytes(m.to_uppercase().as_bytes()).expect("method");
            let uri = p.replace("{id}", "1");
            let tok = if p.starts_with("/api/openapi") {
                ADMIN_TOKEN.to_string()
            } else {
                key.clone()
            };
            let (_, _, body) = call!(
                app,
                TestRequest::default()
                    .method(method)
                    .uri(&uri)
                    .insert_header(bearer(&tok))
            );
            let err = body["error"].as_str().unwrap_or_default();
            assert!(
                !err.starts_with("route "),
                "{m} {p} is documented but not routed"
            );
            n += 1;
        }
    }
    assert!(n >= expected.len());
    let ids: Vec<&str> = paths
        .values()
        .flat_map(|i| i.as_object().into_iter().flatten())
        .filter_map(|(_, op)| op["operationId"].as_str())
        .collect();
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "operationIds must be unique");
}

#[actix_web::test]
async fn a_route_without_a_declaration_fails_closed() {
    use actix_web::{web, HttpResponse};
    use admin_api::access::Need;
    use admin_api::gate::Authorized;
    use admin_api::state::AppState;

    async fn plain_data(s: web::Data<AppState>) -> HttpResponse {
        HttpResponse::Ok().body(s.data_dir.display().to_string())
    }
    async fn authorized(s: Authorized) -> HttpResponse {
        HttpResponse::Ok().body(s.data_dir.display().to_string())
    }
    async fn stateless() -> HttpResponse {
        HttpResponse::Ok().body("undeclared answer")
    }
    let e = env("undeclared", Transport::Tls);
    // Routes added to the real app the way a careless change would: without `wrap = "Need::.."`.
    let app = test::init_service(
        build_app(e.state.clone())
            .route("/sneaky/data", web::get().to(plain_data))
            .route("/sneaky/authorized", web::get().to(authorized))
            .route("/sneaky/stateless", web::get().to(stateless))
            .service(
                web::resource("/declared")
                    .wrap(Need::public())
                    .route(web::get().to(authorized)),
            ),
    )
    .await;
    for p in ["/sneaky/data", "/sneaky/authorized", "/sneaky/stateless"] {
        let res = test::call_service(&app, TestRequest::get().uri(p).to_request()).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR, "{p}");
        let body = test::read_body(res).await;
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("undeclared answer") && !text.contains("waf-admin-undeclared"),
            "{p}: {text}"
        );
    }
    let res = test::call_service(&app, TestRequest::get().uri("/declared").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn bearer_scheme_is_case_insensitive() {
    let e = env("bearer-case", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let key = e.key(&["acl:read"]);
    // RFC 9110 §11.1: the scheme is case-insensitive; 1*SP before the credential.
    for scheme in ["Bearer ", "bearer ", "BEARER ", "BeArEr ", "Bearer   "] {
        let (s, _, body) = call!(
            app,
            TestRequest::get()
                .uri(ACL)
                .insert_header(("Authorization", format!("{scheme}{key}")))
        );
        assert_eq!(s, StatusCode::OK, "{scheme:?}: {body}");
    }
    let (s, _, body) = call!(
        app,
        TestRequest::get()
            .uri("/api/openapi/keys")
            .insert_header(("Authorization", format!("BEARER {ADMIN_TOKEN}")))
    );
    assert_eq!(s, StatusCode::OK, "admin token: {body}");
    for bad in [
        format!("Bearer{key}"),
        format!("Basic {key}"),
        "BEARER ".into(),
    ] {
        let (s, _, body) = call!(
            app,
            TestRequest::get()
                .uri(ACL)
                .insert_header(("Authorization", bad.clone()))
        );
        assert_eq!(
            (s, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("missing_token")),
            "{bad:?}"
        );
    }
}

#[actix_web::test]
async fn head_is_answered_on_every_get_route() {
    let e = common::env_with("head", Transport::Tls, |s| {
        s.limiter = RateLimiter::new(100_000, 60);
    });
    let app = test::init_service(build_app(e.state.clone())).await;
    let res = test::call_service(&app, TestRequest::get().uri("/openapi.yaml").to_request()).await;
    let doc: Value = serde_yaml_ng::from_slice(&test::read_body(res).await).expect("yaml");
    let key = e.key(&["*:write"]);
    let mut n = 0;
    for (p, item) in doc["paths"].as_object().expect("paths") {
        if item.get("get").is_none() {
            continue;
        }
        let uri = p.replace("{id}", "1").replace("{name}", "example");
        let tok = if p.starts_with("/api/openapi") {
            ADMIN_TOKEN
        } else {
            &key
        };
        let get = call!(app, TestRequest::get().uri(&uri).insert_header(bearer(tok))).0;
        let head = call!(
            app,
            TestRequest::default()
                .method(Method::HEAD)
                .uri(&uri)
                .insert_header(bearer(tok))
        )
        .0;
        assert_eq!(head, get, "HEAD {uri}");
        n += 1;
    }
    assert!(n > 40, "{n} GET routes");
    // Without a key HEAD is refused like GET; a route without GET still has no HEAD.
    let (s, _, _) = call!(app, TestRequest::default().method(Method::HEAD).uri(ACL));
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = call!(
        app,
        TestRequest::default()
            .method(Method::HEAD)
            .uri("/openapi/v1/cc/clear-counters")
            .insert_header(bearer(&key))
    );
    assert_eq!(s, StatusCode::NOT_FOUND);
    // On the real listener the answer has the GET's headers and no body, on HTTP/1.1 and HTTP/2.
    let addr = common::serve_tls(&e);
    let client = wire::Client::new(addr, &e.listener_cert());
    for proto in [wire::Proto::H1, wire::Proto::H2] {
        let get = client
            .send(proto, &wire::Req::new("GET", "/openapi/v1/ping"))
            .await
            .expect("GET");
        let head = client
            .send(proto, &wire::Req::new("HEAD", "/openapi/v1/ping"))
            .await
            .expect("HEAD");
        assert_eq!((head.status, get.status), (200, 200), "{proto:?}");
        assert!(head.body.is_empty(), "{proto:?}: {:?}", head.body);
        assert_eq!(
            head.headers.get("content-type"),
            get.headers.get("content-type")
        );
    }
}

#[actix_web::test]
async fn idempotency_key_is_reserved_before_the_handler_runs() {
    let e = env("idem-race", Transport::Tls);
    // Each reload takes 300 ms, so the five requests overlap inside the handler.
    let _proxy = common::fake_proxy_slow(&e.socket, false, std::time::Duration::from_millis(300));
    let addr = common::serve_tls(&e);
    let client = wire::Client::new(addr, &e.listener_cert());
    let key = e.key(&["acl:write"]);
    let body = serde_json::to_vec(&acl_body()).expect("json");
    let post = wire::Req::new("POST", ACL)
        .header("authorization", &format!("Bearer {key}"))
        .header("content-type", "application/json")
        .header("idempotency-key", "race-1")
        .body(body);
    let five = vec![post.clone(); 5];
    let replies = client.send_all(wire::Proto::H1, &five, 5).await;
    let rules = e.state.rules_doc().expect("doc");
    let created = rules.all::<admin_api::store::AclSection>().len();
    let mut first = Vec::new();
    let (mut replayed, mut in_flight) = (0, 0);
    for r in &replies {
        let r = r.as_ref().expect("reply");
        let code = r.json()["code"].as_str().unwrap_or_default().to_string();
        match (r.status, r.headers.contains_key("idempotent-replayed")) {
            (200, false) => first.push(r.body.clone()),
            (200, true) => replayed += 1,
            (409, _) if code == "idempotency_key_in_use" => {
                assert!(r.headers.contains_key("retry-after"));
                in_flight += 1;
            }
            other => panic!("unexpected {other:?}: {:?}", r.body),
        }
    }
    assert_eq!(
        (created, first.len()),
        (1, 1),
        "five concurrent POSTs with one Idempotency-Key: {created} rules, {} handlers ran \
         ({replayed} replayed, {in_flight} in flight)",
        first.len()
    );
    // Once the first is done, a retry replays its answer.
    let again = client.send(wire::Proto::H1, &post).await.expect("retry");
    assert_eq!(again.status, 200);
    assert!(again.headers.contains_key("idempotent-replayed"));
    assert_eq!(again.body, first[0]);
}
