//! A site's app profiles through the site routes: set on add, kept by an update that does not
//! name them, replaced by one that does, unknown names refused with a 400 naming the field, and
//! the field typed in /openapi.yaml.

#[macro_use]
mod common;

use actix_web::test::{self, TestRequest};
use admin_api::build_app;
use admin_api::state::Transport;
use common::{auth, env, fake_proxy};
use serde_json::{json, Value};

#[actix_web::test]
async fn profiles_are_set_kept_replaced_and_checked() {
    let e = env("site-profiles", Transport::Tls);
    let _seen = fake_proxy(&e.socket, false);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["*:write"]);
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/add")
            .insert_header(auth(&k))
            .set_json(json!({"name": "blog", "domain": "blog.example.com",
                "target_url": "http://127.0.0.1:8080",
                "profiles": ["wordpress", {"name": "phpmyadmin", "path": "/pma"}]}))
    );
    assert_eq!(s, 200, "{b}");
    let id = b["site"]["id"].as_u64().expect("id");
    assert_eq!(
        b["site"]["profiles"],
        json!(["wordpress", {"name": "phpmyadmin", "path": "/pma"}])
    );
    let profiles = |app_json: &Value| -> Value {
        app_json["sites"]
            .as_array()
            .and_then(|v| v.iter().find(|s| s["id"].as_u64() == Some(id)))
            .map(|s| s["profiles"].clone())
            .unwrap_or(Value::Null)
    };

    // An update that does not name the profiles keeps them.
    let (s, b) = call!(
        app,
        TestRequest::put()
            .uri("/openapi/v1/site/update")
            .insert_header(auth(&k))
            .set_json(
                json!({"id": id, "name": "blog 2", "domain": "blog.example.com",
                "target_url": "http://127.0.0.1:8080"})
            )
    );
    assert_eq!(s, 200, "{b}");
    let (_, list) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/sites")
            .insert_header(auth(&k))
    );
    assert_eq!(
        profiles(&list),
        json!(["wordpress", {"name": "phpmyadmin", "path": "/pma"}])
    );

    // One that names them replaces them.
    let (s, b) = call!(
        app,
        TestRequest::put()
            .uri("/openapi/v1/site/update")
            .insert_header(auth(&k))
            .set_json(
                json!({"id": id, "name": "blog", "domain": "blog.example.com",
                "target_url": "http://127.0.0.1:8080", "profiles": ["mediawiki"]})
            )
    );
    assert_eq!(s, 200, "{b}");
    let (_, list) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/sites")
            .insert_header(auth(&k))
    );
    assert_eq!(profiles(&list), json!(["mediawiki"]));

    // Unknown names and bad paths: 400, nothing written.
    for bad in [
        json!(["drupal"]),
        json!([{"name": "wordpress", "path": "blog"}]),
        json!([{"name": "wordpress", "base": "/blog"}]),
    ] {
        let (s, b) = call!(
            app,
            TestRequest::post()
                .uri("/openapi/v1/site/add")
                .insert_header(auth(&k))
                .set_json(json!({"name": "x", "domain": "x.example.com",
                    "target_url": "http://127.0.0.1:8080", "profiles": bad}))
        );
        assert_eq!(s, 400, "{bad}: {b}");
    }
    let (_, list) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/sites")
            .insert_header(auth(&k))
    );
    assert_eq!(list["sites"].as_array().map(Vec::len), Some(1), "{list}");

    // Typed in the OpenAPI document.
    let res = test::call_service(&app, TestRequest::get().uri("/openapi.yaml").to_request()).await;
    let doc = String::from_utf8(test::read_body(res).await.to_vec()).unwrap_or_default();
    assert!(
        doc.contains("ProfileInput") && doc.contains("ProfileAt"),
        "profiles not typed"
    );
}
