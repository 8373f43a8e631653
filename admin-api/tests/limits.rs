//! Bodies over the limits get 413 with the error envelope on HTTP/2 as on HTTP/1.1, on the
//! server's real TLS listener: never a stream reset before the answer.

mod common;
#[path = "common/wire.rs"]
mod wire;

use admin_api::state::Transport;
use common::{env, serve_tls};
use wire::{Client, Proto, Req};

fn multipart(field: &str, size: usize) -> (String, Vec<u8>) {
    let boundary = "waf-limit-boundary-7d1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"big\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::iter::repeat_n(b'a', size));
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[actix_web::test]
async fn bodies_over_the_limit_get_413_on_http2_too() {
    let e = env("limits", Transport::Tls);
    let addr = serve_tls(&e);
    let client = Client::new(addr, &e.listener_cert());
    let key = e.key(&["*:write"]);
    let auth = format!("Bearer {key}");
    let mb5 = 5 << 20;
    let json = vec![b' '; mb5];
    let (zip_type, zip) = multipart("file", mb5);
    let (cert_type, cert) = multipart("cert_file", mb5);
    let cases: Vec<(&str, Req, u16, &str)> = vec![
        (
            "5 MB JSON to /acl/rules",
            Req::new("POST", "/openapi/v1/acl/rules")
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .body(json.clone()),
            413,
            "payload_too_large",
        ),
        (
            "5 MB multipart to /custom-rules/import",
            Req::new("POST", "/openapi/v1/custom-rules/import")
                .header("authorization", &auth)
                .header("content-type", &zip_type)
                .body(zip),
            413,
            "payload_too_large",
        ),
        (
            "5 MB multipart to /cert/upload",
            Req::new("POST", "/openapi/v1/cert/upload")
                .header("authorization", &auth)
                .header("content-type", &cert_type)
                .body(cert),
            413,
            "payload_too_large",
        ),
        (
            "17 MB to an unknown route",
            Req::new("POST", "/openapi/v1/no/such/route")
                .header("authorization", &auth)
                .body(vec![b'x'; 17 << 20]),
            413,
            "payload_too_large",
        ),
        (
            "5 MB JSON to a WisPanel route",
            Req::new("PUT", "/api/v1/security/module/modsecurity/rules/custom")
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .body(json.clone()),
            413,
            "VALIDATION_ERROR",
        ),
        (
            "5 MB JSON without a key",
            Req::new("POST", "/openapi/v1/acl/rules")
                .header("content-type", "application/json")
                .body(json),
            401,
            "missing_token",
        ),
    ];
    let mut failures = Vec::new();
    // HTTP/1.1 and HTTP/2 through hyper, and HTTP/2 uploading as curl does (an early reset fails).
    for proto in ["h1", "h2", "h2 whole"] {
        for (what, req, status, code) in &cases {
            let reply = match proto {
                "h1" => client.send(Proto::H1, req).await,
                "h2" => client.send(Proto::H2, req).await,
                _ => client.send_h2_whole(req).await,
            };
            match reply {
                Ok(r) => {
                    let got = (r.status, r.json()["code"].as_str().map(str::to_string));
                    if got != (*status, Some(code.to_string())) {
                        failures.push(format!("{proto} {what}: {got:?}"));
                    }
                }
                Err(err) => failures.push(format!("{proto} {what}: no answer: {err}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
