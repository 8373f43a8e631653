//! Numeric ids are never reused: delete the newest ACL rule, CC rule or site and the next create
//! gets a new id, also after a restart (new state over the same data dir).

mod common;

use actix_web::test::{self, TestRequest};
use actix_web::web;
use admin_api::build_app;
use admin_api::proxy::ProxyClient;
use admin_api::state::{AppState, Transport};
use admin_api::store::RuleStore;
use common::{env, fake_proxy, ADMIN_TOKEN};
use serde_json::{json, Value};

macro_rules! call {
    ($app:expr, $req:expr) => {{
        let res = test::call_service(&$app, $req.to_request()).await;
        let status = res.status().as_u16();
        let body = test::read_body(res).await;
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (status, json)
    }};
}

fn auth(k: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {k}"))
}

#[actix_web::test]
async fn deleted_ids_are_not_handed_out_again() {
    let e = env("ids", Transport::Tls);
    let _seen = fake_proxy(&e.socket, false);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["*:write"]);
    let acl = json!({"type":"global","rule_type":"ip","pattern":"1.2.3.4","action":"block","enabled":true});
    let cc = json!({"host":"*","path":"/login","threshold":10,"window":60,"ban_duration":300,"action":"block","enabled":true});
    let site = |d: &str| json!({"name":d,"domain":d,"target_url":"http://127.0.0.1:8080"});

    // Create 1 and 2, delete 2 (the max), create again: 3, not 2.
    for expect in [1, 2] {
        let (s, b) = call!(
            app,
            TestRequest::post()
                .uri("/openapi/v1/acl/rules")
                .insert_header(auth(&k))
                .set_json(acl.clone())
        );
        assert_eq!((s, b["id"].as_u64()), (200, Some(expect)), "{b}");
        let (s, b) = call!(
            app,
            TestRequest::post()
                .uri("/openapi/v1/cc/rules")
                .insert_header(auth(&k))
                .set_json(cc.clone())
        );
        assert_eq!((s, b["id"].as_u64()), (200, Some(expect)), "{b}");
        let (s, b) = call!(
            app,
            TestRequest::post()
                .uri("/openapi/v1/site/add")
                .insert_header(auth(&k))
                .set_json(site(&format!("s{expect}.example.com")))
        );
        assert_eq!((s, b["site"]["id"].as_u64()), (200, Some(expect)), "{b}");
    }
    let (s, _) = call!(
        app,
        TestRequest::delete()
            .uri("/openapi/v1/acl/rules/2")
            .insert_header(auth(&k))
    );
    assert_eq!(s, 200);
    let (s, _) = call!(
        app,
        TestRequest::delete()
            .uri("/openapi/v1/cc/rules/2")
            .insert_header(auth(&k))
    );
    assert_eq!(s, 200);
    let (s, _) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/delete")
            .insert_header(auth(&k))
            .set_json(json!({"id":2}))
    );
    assert_eq!(s, 200);
    let (_, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/acl/rules")
            .insert_header(auth(&k))
            .set_json(acl.clone())
    );
    assert_eq!(b["id"].as_u64(), Some(3), "{b}");
    let (_, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/cc/rules")
            .insert_header(auth(&k))
            .set_json(cc.clone())
    );
    assert_eq!(b["id"].as_u64(), Some(3), "{b}");
    let (_, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/add")
            .insert_header(auth(&k))
            .set_json(site("s3.example.com"))
    );
    assert_eq!(b["site"]["id"].as_u64(), Some(3), "{b}");

    // Delete 3 too, then "restart": a new state over the same data dir and database.
    let (s, _) = call!(
        app,
        TestRequest::delete()
            .uri("/openapi/v1/acl/rules/3")
            .insert_header(auth(&k))
    );
    assert_eq!(s, 200);
    drop(app);
    let conn = admin_api::db::open(&e.dir.join("waf-admin.db")).expect("db");
    let rules = RuleStore::open(&e.dir).expect("store");
    admin_api::ids::seed(&conn, &rules.load().expect("load")).expect("seed");
    let state = web::Data::new(AppState::new(
        conn,
        &e.dir,
        rules,
        ProxyClient::new(&e.socket),
        ADMIN_TOKEN,
        Transport::Tls,
    ));
    let app = test::init_service(build_app(state)).await;
    let (_, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/acl/rules")
            .insert_header(auth(&k))
            .set_json(acl.clone())
    );
    assert_eq!(b["id"].as_u64(), Some(4), "{b}");
}
