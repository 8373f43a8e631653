//! Authorization follows the route that runs, for every spelling of every path.
//!
//! Every operation of `/openapi.yaml` (the FOXWAF routes, WisPanel's `/api/v1` and key management
//! under `/api/openapi/keys`), the document itself and the blocked prefixes (never exposed) are requested on
//! the server's real TLS listener, over HTTP/1.1 and HTTP/2, at their canonical path and at every
//! variant of it: each character percent-encoded (upper and lower hex), `%2F` for a `/`, doubled
//! slashes, `/./` and `/%2e/`, a trailing slash, `;param` after a segment, mixed case of the
//! prefix, and `x/..` segments that resolve back to the path. Once without a credential and once
//! with a key whose only scope no route needs.
//!
//! The canonical path must get its declared decision (401 without a key, 403 `scope_denied` with
//! the wrong scope, 403 `endpoint_not_exposed` for the blocked prefixes and for API keys on key management, the
//! handler's answer for public routes); every variant must get exactly the canonical decision or
//! a 404, and never a 2xx without the credential.

mod common;
#[path = "common/wire.rs"]
mod wire;

use std::collections::BTreeSet;
use std::time::Instant;

use admin_api::state::{RateLimiter, Transport};
use common::{env_with, serve_tls};
use serde_json::Value;
use wire::{Client, Proto, Req};

/// Blocked paths (not in the document: never exposed).
const BLOCKED: &[&str] = &[
    "/openapi/v1/license/info",
    "/openapi/v1/update/run",
    "/openapi/v1/panel/port",
    "/openapi/v1/order-list",
    "/openapi/v1/internal/x",
    "/openapi/v1/openapi/keys",
];

/// What an answer decides: status, error code, error message (the message of `scope_denied`
/// names the scope the route needs, so a variant reaching another module's route differs).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decision {
    status: u16,
    code: String,
    error: String,
}

fn decision(r: &wire::Reply) -> Decision {
    let v = r.json();
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    Decision {
        status: r.status,
        code: s("code"),
        error: s("error"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Documented with no security requirement.
    Public,
    /// Admin token only.
    Admin,
    /// A blocked prefix: never exposed.
    Blocked,
    /// An API key with a scope.
    Keyed,
}

struct Op {
    method: String,
    path: String,
    kind: Kind,
    /// The first tag of the operation (its module for keyed routes).
    tag: String,
}

fn concrete(template: &str) -> String {
    template
        .replace("{id}", "1")
        .replace("{name}", "example")
        .replace("{ip}", "203.0.113.5")
}

fn ops(doc: &Value) -> Vec<Op> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            if op.get("responses").is_none() {
                continue;
            }
            assert!(!path.contains('{') || concrete(path) != *path);
            let public = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| {
                    s.iter()
                        .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
                });
            let kind = if path.starts_with("/api/openapi/keys") {
                Kind::Admin
            } else if public {
                Kind::Public
            } else {
                Kind::Keyed
            };
            let tag = op["tags"][0].as_str().unwrap_or("").to_string();
            out.push(Op {
                method: method.to_uppercase(),
                path: concrete(path),
                kind,
                tag,
            });
        }
    }
    out.push(Op {
        method: "GET".into(),
        path: "/openapi.yaml".into(),
        kind: Kind::Public,
        tag: String::new(),
    });
    for p in BLOCKED {
        for m in ["GET", "POST"] {
            out.push(Op {
                method: m.into(),
                path: (*p).into(),
                kind: Kind::Blocked,
                tag: String::new(),
            });
        }
    }
    out
}

/// Every spelling of `p` listed in the module docs (without `p` itself).
fn variants(p: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let splice = |i: usize, j: usize, with: &str| format!("{}{with}{}", &p[..i], &p[j..]);
    let slashes: Vec<usize> = p.match_indices('/').map(|(i, _)| i).collect();
    for (i, c) in p.char_indices() {
        if c == '/' {
            continue;
        }
        let b = c as u32;
        out.insert(splice(i, i + 1, &format!("%{b:02X}")));
        out.insert(splice(i, i + 1, &format!("%{b:02x}")));
    }
    // Every character of the first segment at once.
    let first_end = slashes.get(1).copied().unwrap_or(p.len());
    let all: String = p[1..first_end]
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    out.insert(splice(1, first_end, &all));
    for &i in &slashes {
        if i > 0 {
            out.insert(splice(i, i + 1, "%2F"));
            out.insert(splice(i, i + 1, "%2f"));
            out.insert(splice(i, i, ";x=1"));
            out.insert(splice(i, i, "/x/.."));
            out.insert(splice(i, i, "/x/%2e%2e"));
            out.insert(splice(i, i, "/x/.%2E"));
        }
        out.insert(splice(i, i, "/"));
        out.insert(splice(i, i, "/."));
        out.insert(splice(i, i, "/%2e"));
    }
    out.insert(format!("{p}/"));
    out.insert(format!("{p}/."));
    out.insert(format!("{p};x=1"));
    out.insert(format!("{p}/x/.."));
    // Mixed case of the prefix (its first two segments).
    let prefix_end = slashes.get(2).copied().unwrap_or(p.len());
    let prefix = &p[..prefix_end];
    let title: String = prefix
        .split('/')
        .map(|s| {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("/");
    for cased in [prefix.to_ascii_uppercase(), title] {
        out.insert(format!("{cased}{}", &p[prefix_end..]));
    }
    out.remove(p);
    out
}

#[actix_web::test]
async fn every_spelling_of_every_route_gets_the_routes_decision() {
    let e = env_with("variants", Transport::Tls, |s| {
        s.limiter = RateLimiter::new(u64::MAX / 2, 60);
    });
    let addr = serve_tls(&e);
    let client = Client::new(addr, &e.listener_cert());
    // Valid keys with the wrong scope: `qrcode:read` for every route but the qrcode module's,
    // `realtime:read` for those.
    let wrong = e.key(&["qrcode:read"]);
    let wrong_for_qrcode = e.key(&["realtime:read"]);
    let doc_text = client
        .send(Proto::H1, &Req::new("GET", "/openapi.yaml"))
        .await
        .expect("openapi.yaml");
    assert_eq!(doc_text.status, 200);
    let doc: Value = serde_yaml_ng::from_slice(&doc_text.body).expect("yaml");
    let all_ops = ops(&doc);
    assert!(all_ops.len() > 100, "only {} operations", all_ops.len());
    assert!(all_ops.iter().any(|o| o.tag == "qrcode"));
    type Filter = fn(&Op) -> bool;
    let creds: [(&str, Option<String>, Filter); 3] = [
        ("wrong scope", Some(wrong), |o| o.tag != "qrcode"),
        ("wrong scope", Some(wrong_for_qrcode), |o| o.tag == "qrcode"),
        ("no credential", None, |_| true),
    ];
    let started = Instant::now();
    // (operation, failure): the operation is `METHOD path`.
    let mut failures: Vec<(String, String)> = Vec::new();
    let (mut sent, mut same, mut not_found) = (0usize, 0usize, 0usize);
    for (cred_name, cred, filter) in &creds {
        let ops: Vec<&Op> = all_ops.iter().filter(|o| filter(o)).collect();
        let request = |method: &str, target: &str| {
            let r = Req::new(method, target);
            match cred {
                Some(k) => r.header("authorization", &format!("Bearer {k}")),
                None => r,
            }
        };
        // Canonical decisions (over HTTP/1.1), checked against what the route declares.
        let canon_reqs: Vec<Req> = ops.iter().map(|o| request(&o.method, &o.path)).collect();
        let canon: Vec<Decision> = client
            .send_all(Proto::H1, &canon_reqs, 4)
            .await
            .into_iter()
            .zip(&ops)
            .map(|(r, o)| decision(&r.unwrap_or_else(|e| panic!("{} {}: {e}", o.method, o.path))))
            .collect();
        for (o, d) in ops.iter().zip(&canon) {
            let wis = o.path.starts_with("/api/v1/");
            let want: Option<(u16, &str)> = match (o.kind, cred.is_some()) {
                (Kind::Public, _) => None,
                (Kind::Blocked, _) => Some((403, "endpoint_not_exposed")),
                (Kind::Admin, false) | (Kind::Keyed, false) => {
                    Some((401, if wis { "UNAUTHORIZED" } else { "missing_token" }))
                }
                (Kind::Admin, true) => Some((403, "endpoint_not_exposed")),
                (Kind::Keyed, true) => Some((403, if wis { "FORBIDDEN" } else { "scope_denied" })),
            };
            let wrong = match want {
                Some((status, code)) => (d.status, d.code.as_str()) != (status, code),
                // A public route answers for itself (a 2xx, or the handler's own refusal of an
                // empty request, e.g. 415 or 503 with waf-proxy absent), never a gate's 401/403.
                None => matches!(d.status, 401 | 403),
            };
            if wrong {
                failures.push((
                    format!("{} {}", o.method, o.path),
                    format!(
                        "canonical {cred_name}: {} {}: {d:?}, declared {want:?}",
                        o.method, o.path
                    ),
                ));
            }
        }
        // Every variant, over both protocols.
        let mut cases: Vec<(usize, Req)> = Vec::new();
        for (n, o) in ops.iter().enumerate() {
            for v in variants(&o.path) {
                cases.push((n, request(&o.method, &v)));
            }
        }
        let reqs: Vec<Req> = cases.iter().map(|(_, r)| r.clone()).collect();
        for proto in [Proto::H1, Proto::H2] {
            let replies = client.send_all(proto, &reqs, 8).await;
            sent += replies.len();
            for ((n, req), reply) in cases.iter().zip(replies) {
                let o = &ops[*n];
                let why = match reply {
                    Err(e) => Some(format!("no answer: {e}")),
                    Ok(r) => {
                        let d = decision(&r);
                        let ok_status = (200..300).contains(&d.status);
                        if d == canon[*n] {
                            same += 1;
                        } else if d.status == 404 {
                            not_found += 1;
                        }
                        if ok_status && o.kind != Kind::Public {
                            Some(format!("{} without the credential", d.status))
                        } else if d != canon[*n] && d.status != 404 {
                            Some(format!("{d:?}, canonical {:?}", canon[*n]))
                        } else {
                            None
                        }
                    }
                };
                if let Some(why) = why {
                    failures.push((
                        format!("{} {}", o.method, o.path),
                        format!(
                            "{proto:?} {cred_name}: {} {} (for {}): {why}",
                            req.method, req.target, o.path
                        ),
                    ));
                }
            }
        }
    }
    // One line per operation (its first failure), so the report shows how far a hole reaches.
    let mut seen = BTreeSet::new();
    let per_op: Vec<&String> = failures
        .iter()
        .filter(|(op, _)| seen.insert(op.clone()))
        .map(|(_, f)| f)
        .collect();
    eprintln!(
        "{} operations, {sent} variant requests in {:.1} s: {same} got the canonical decision, \
         {not_found} a 404; {} failures in {} operations",
        all_ops.len(),
        started.elapsed().as_secs_f64(),
        failures.len(),
        per_op.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {sent} requests got another decision than their route's, in {} operations; \
         the first of each (40 at most):\n{}",
        failures.len(),
        per_op.len(),
        per_op
            .iter()
            .take(40)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn variants_cover_what_the_issue_lists() {
    let v = variants("/api/openapi/keys");
    for want in [
        "/api/openapi/%6Beys",
        "/api/openapi/%6beys",
        "/%61pi/openapi/keys",
        "/api%2Fopenapi/keys",
        "/api/openapi//keys",
        "/api/openapi/./keys",
        "/api/openapi/keys/",
        "/api/openapi;x=1/keys",
        "/API/OPENAPI/keys",
        "/Api/Openapi/keys",
        "/api/openapi/x/../keys",
        "/api/openapi/x/%2e%2e/keys",
    ] {
        assert!(v.contains(want), "{want} missing");
    }
    assert!(!v.contains("/api/openapi/keys"));
}
