//! Certificate templates and `/qrcode` through the app: a site added with HTTPS
//! and a template gets a certificate with the template's subject, SANs, key type and validity
//! (read back from the stored PEM); renew issues from the template as it is then; templates in
//! use cannot be deleted; bad input is refused by name. QR codes are bounded and well formed.

#[macro_use]
mod common;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use admin_api::build_app;
use admin_api::state::Transport;
use base64::Engine;
use common::{auth, env, fake_proxy};
use serde_json::json;
use x509_parser::prelude::*;

/// What a certificate says: (CN, O, C, SANs, key algorithm OID, validity in days).
fn inspect(pem_text: &str) -> (String, String, String, Vec<String>, String, i64) {
    let (_, pem) = parse_x509_pem(pem_text.as_bytes()).expect("pem");
    let cert = pem.parse_x509().expect("x509");
    let subj = cert.subject();
    let first = |it: &mut dyn Iterator<Item = &AttributeTypeAndValue>| {
        it.next()
            .and_then(|a| a.as_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let cn = first(&mut subj.iter_common_name());
    let o = first(&mut subj.iter_organization());
    let c = first(&mut subj.iter_country());
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for n in &ext.value.general_names {
            match n {
                GeneralName::DNSName(d) => sans.push(d.to_string()),
                GeneralName::IPAddress(b) if b.len() == 4 => {
                    sans.push(format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]))
                }
                _ => {}
            }
        }
    }
    let curve = cert
        .public_key()
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string())
        .unwrap_or_else(|| cert.public_key().algorithm.algorithm.to_id_string());
    let v = cert.validity();
    let days = (v.not_after.timestamp() - v.not_before.timestamp()) / 86_400;
    (cn, o, c, sans, curve, days)
}

const P384: &str = "1.3.132.0.34";
const P256: &str = "1.2.840.10045.3.1.7";

#[actix_web::test]
async fn a_template_shapes_the_sites_certificate_and_its_renewals() {
    let e = env("tpl", Transport::Tls);
    let _seen = fake_proxy(&e.socket, false);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["cert-template:write", "site:write"]);
    let tpl = json!({"name": "internal", "organization": "Acme Test", "country": "de",
        "sans": ["Alt.Shop.test", "10.9.8.7"], "key_type": "ecdsa-p384", "validity_days": 30});
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/cert-template")
            .insert_header(auth(&k))
            .set_json(&tpl)
    );
    assert_eq!(
        (s, b["message"].as_str()),
        (StatusCode::OK, Some("Certificate template created")),
        "{b}"
    );
    let tid = b["id"].as_i64().expect("id");
    assert_eq!(
        (
            b["template"]["country"].as_str(),
            b["template"]["sans"][0].as_str()
        ),
        (Some("DE"), Some("alt.shop.test"))
    );

    // Refusals, by name.
    for (body, status, needle) in [
        (tpl.clone(), StatusCode::CONFLICT, "internal"),
        (
            json!({"name": "x", "key_type": "rsa-1024"}),
            StatusCode::BAD_REQUEST,
            "ecdsa-p256",
        ),
        (
            json!({"name": "x", "colour": "red"}),
            StatusCode::BAD_REQUEST,
            "colour",
        ),
        (
            json!({"name": "x", "validity_days": 4000}),
            StatusCode::BAD_REQUEST,
            "validity_days",
        ),
        (
            json!({"name": "x", "sans": ["a b"]}),
            StatusCode::BAD_REQUEST,
            "sans",
        ),
        (
            json!({"name": "x", "country": "Germany"}),
            StatusCode::BAD_REQUEST,
            "country",
        ),
    ] {
        let (s, b) = call!(
            app,
            TestRequest::post()
                .uri("/openapi/v1/cert-template")
                .insert_header(auth(&k))
                .set_json(&body)
        );
        assert_eq!(s, status, "{body} -> {b}");
        assert!(b.to_string().contains(needle), "{b}");
    }
    let (s, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/cert-templates")
            .insert_header(auth(&k))
    );
    assert_eq!((s, b["total"].as_u64()), (StatusCode::OK, Some(1)), "{b}");

    // A site with HTTPS and the template.
    let (s, b) = call!(app, TestRequest::post().uri("/openapi/v1/site/add").insert_header(auth(&k)).set_json(
        json!({"name": "Shop", "domain": "shop.test", "target_url": "http://127.0.0.1:9", "enable_https": true, "cert_template_id": tid})));
    assert_eq!(s, StatusCode::OK, "{b}");
    let sid = b["id"].as_u64().expect("site id");
    let cert_of = |sid: u64| {
        TestRequest::get()
            .uri(&format!("/openapi/v1/site/{sid}/certificate"))
            .insert_header(auth(&k))
    };
    let (_, c) = call!(app, cert_of(sid));
    let (cn, o, country, sans, curve, days) = inspect(c["certificate"].as_str().expect("pem"));
    assert_eq!(
        (cn.as_str(), o.as_str(), country.as_str(), curve.as_str()),
        ("shop.test", "Acme Test", "DE", P384)
    );
    assert_eq!(sans, vec!["shop.test", "alt.shop.test", "10.9.8.7"]);
    assert_eq!(days, 30);

    // An update of the site without the field keeps its template; renew follows the template.
    let (s, b) = call!(app, TestRequest::put().uri("/openapi/v1/site/update").insert_header(auth(&k)).set_json(
        json!({"id": sid, "name": "Shop", "domain": "shop.test", "target_url": "http://127.0.0.1:9", "enable_https": true})));
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = call!(app, TestRequest::put().uri(&format!("/openapi/v1/cert-template/{tid}")).insert_header(auth(&k)).set_json(
        json!({"name": "internal", "organization": "Acme Two", "common_name": "Shop CA-less", "key_type": "ecdsa-p256", "validity_days": 10})));
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = call!(
        app,
        TestRequest::post()
            .uri(&format!("/openapi/v1/site/{sid}/renew-certificate"))
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, c) = call!(app, cert_of(sid));
    let (cn, o, _, sans, curve, days) = inspect(c["certificate"].as_str().expect("pem"));
    assert_eq!(
        (cn.as_str(), o.as_str(), curve.as_str(), days),
        ("Shop CA-less", "Acme Two", P256, 10)
    );
    assert_eq!(sans, vec!["shop.test"]);

    // In use: not deleted. A missing template is refused on site/add.
    let (s, b) = call!(
        app,
        TestRequest::delete()
            .uri(&format!("/openapi/v1/cert-template/{tid}"))
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (s, b) = call!(app, TestRequest::post().uri("/openapi/v1/site/add").insert_header(auth(&k)).set_json(
        json!({"name": "B", "domain": "b.test", "enable_https": true, "cert_template_id": 999})));
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["details"]["cert_template_id"].is_string(), "{b}");
    let (s, _) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/site/delete")
            .insert_header(auth(&k))
            .set_json(json!({"id": sid}))
    );
    assert_eq!(s, StatusCode::OK);
    let (s, b) = call!(
        app,
        TestRequest::delete()
            .uri(&format!("/openapi/v1/cert-template/{tid}"))
            .insert_header(auth(&k))
    );
    assert_eq!(
        (s, b["message"].as_str()),
        (StatusCode::OK, Some("Certificate template deleted")),
        "{b}"
    );
    let (s, _) = call!(
        app,
        TestRequest::get()
            .uri(&format!("/openapi/v1/cert-template/{tid}"))
            .insert_header(auth(&k))
    );
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Ids are not reused.
    let (_, b) = call!(
        app,
        TestRequest::post()
            .uri("/openapi/v1/cert-template")
            .insert_header(auth(&k))
            .set_json(json!({"name": "again"}))
    );
    assert!(b["id"].as_i64().expect("id") > tid, "{b}");
}

#[actix_web::test]
async fn qrcode_is_a_bounded_svg_data_uri() {
    let e = env("qr", Transport::Tls);
    let app = test::init_service(build_app(e.state.clone())).await;
    let k = e.key(&["qrcode:read"]);
    let get = |q: &str| {
        TestRequest::get()
            .uri(&format!("/openapi/v1/qrcode{q}"))
            .insert_header(auth(&k))
    };
    let (s, b) = call!(
        app,
        get("?text=otpauth%3A%2F%2Ftotp%2Fwaf%3Fsecret%3DJBSWY3DP&size=128")
    );
    assert_eq!(s, StatusCode::OK, "{b}");
    let uri = b["data_uri"].as_str().expect("data_uri");
    let svg = base64::engine::general_purpose::STANDARD
        .decode(
            uri.strip_prefix("data:image/svg+xml;base64,")
                .expect("svg data uri"),
        )
        .expect("base64");
    let svg = String::from_utf8(svg).expect("utf8");
    assert!(svg.contains("<svg") && svg.contains("#000000"), "{svg}");
    let small = b["modules"].as_u64().expect("modules");
    let (_, big) = call!(app, get(&format!("?text={}&level=H", "a".repeat(500))));
    assert!(big["modules"].as_u64().expect("modules") > small, "{big}");
    for (q, field) in [
        ("".to_string(), "text"),
        ("?text=".to_string(), "text"),
        (format!("?text={}", "a".repeat(1025)), "text"),
        ("?text=a&size=10000".to_string(), "size"),
        ("?text=a&level=Z".to_string(), "level"),
        ("?text=a&colour=red".to_string(), "colour"),
    ] {
        let (s, b) = call!(app, get(&q));
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {b}");
        assert!(b.to_string().contains(field), "{q}: {b}");
    }
    // The path takes the `qrcode` scope.
    let other = e.key(&["site:read"]);
    let (s, b) = call!(
        app,
        TestRequest::get()
            .uri("/openapi/v1/qrcode?text=a")
            .insert_header(auth(&other))
    );
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("scope_denied"))
    );
}
