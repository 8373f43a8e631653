//! Which credential a path needs: the scope-to-path table, the public helpers and the blocked
//! prefixes, in one function. New modules add their prefix to [`module_of`].

use actix_web::http::Method;

use crate::keys::Access;

/// The API base of the reference.
pub const BASE: &str = "/openapi/v1";

/// What a request path needs before it reaches a handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Blocked prefixes: never exposed.
    Blocked,
    /// Helpers and `/openapi.yaml`: no key, not audited.
    Public,
    /// An API key with this scope.
    Key {
        /// Module of the scope.
        module: String,
        /// Read or write.
        access: Access,
    },
    /// The admin token (key management); API keys are refused.
    Admin,
}

/// Blocked prefixes, below [`BASE`].
const BLOCKED: &[&str] = &[
    "/update",
    "/panel",
    "/license",
    "/order",
    "/internal",
    "/openapi",
];

/// Public paths, below [`BASE`]: exact or prefix (ending in `*`).
const PUBLIC: &[&str] = &[
    "/ping",
    "/config",
    "/maintenance-server*",
    "/captcha/*",
    "/waf/language",
    "/qrcode",
];

/// Paths that change state although the reference makes them GET.
const WRITE_GETS: &[&str] = &["/rules/reload"];

fn under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The scope module of a path below [`BASE`].
pub fn module_of(rest: &str) -> String {
    let table: &[(&str, &str)] = &[
        ("/acl", "acl"),
        ("/cc", "cc"),
        ("/custom-rules", "custom-rules"),
        ("/sites", "site"),
        ("/site", "site"),
        ("/health", "site"),
        ("/attack", "attack"),
        ("/cache", "cache"),
        ("/monitor", "monitor"),
        ("/traffic", "monitor"),
        ("/stats", "monitor"),
        ("/obs", "obs"),
        ("/cert-template", "cert-template"),
        ("/cert-templates", "cert-template"),
        ("/plugins", "plugins"),
        ("/waf", "waf"),
        ("/settings", "settings"),
        ("/feedbacks", "feedbacks"),
        ("/letsencrypt", "letsencrypt"),
        ("/cert", "cert"),
        ("/realtime", "realtime"),
    ];
    if let Some((_, m)) = table.iter().find(|(p, _)| under(rest, p)) {
        return (*m).to_string();
    }
    // `/rule*` and `/rules*`.
    if rest.starts_with("/rule") {
        return "rule".into();
    }
    rest.trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Classifies a request. `None`: not an API path (the default 404 handler answers).
pub fn classify(method: &Method, path: &str) -> Option<Gate> {
    if path == "/openapi.yaml" {
        return Some(Gate::Public);
    }
    if under(path, "/api/openapi/keys") {
        return Some(Gate::Admin);
    }
    if let Some(gate) = crate::routes::wispanel::classify(method, path) {
        return Some(gate);
    }
    let rest = path.strip_prefix(BASE)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    if BLOCKED.iter().any(|p| rest.starts_with(p)) {
        return Some(Gate::Blocked);
    }
    let public = PUBLIC.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => rest.starts_with(prefix),
        None => rest == *p,
    });
    if public {
        return Some(Gate::Public);
    }
    let read = matches!(*method, Method::GET | Method::HEAD) && !WRITE_GETS.contains(&rest);
    Some(Gate::Key {
        module: module_of(rest),
        access: if read { Access::Read } else { Access::Write },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let key = |m: &str, a| {
            Some(Gate::Key {
                module: m.into(),
                access: a,
            })
        };
        let cases: &[(Method, &str, Option<Gate>)] = &[
            (
                Method::GET,
                "/openapi/v1/acl/rules",
                key("acl", Access::Read),
            ),
            (
                Method::POST,
                "/openapi/v1/acl/rules",
                key("acl", Access::Write),
            ),
            (Method::GET, "/openapi/v1/sites", key("site", Access::Read)),
            (
                Method::POST,
                "/openapi/v1/site/add",
                key("site", Access::Write),
            ),
            (
                Method::GET,
                "/openapi/v1/health/3",
                key("site", Access::Read),
            ),
            (
                Method::GET,
                "/openapi/v1/rule/blockRuleId",
                key("rule", Access::Read),
            ),
            (
                Method::GET,
                "/openapi/v1/rules/reload",
                key("rule", Access::Write),
            ),
            (
                Method::GET,
                "/openapi/v1/stats",
                key("monitor", Access::Read),
            ),
            (
                Method::GET,
                "/openapi/v1/cert-templates",
                key("cert-template", Access::Read),
            ),
            (
                Method::POST,
                "/openapi/v1/cert/upload",
                key("cert", Access::Write),
            ),
            (
                Method::GET,
                "/openapi/v1/waf/tls-versions",
                key("waf", Access::Read),
            ),
            (Method::GET, "/openapi/v1/waf/language", Some(Gate::Public)),
            (Method::GET, "/openapi/v1/ping", Some(Gate::Public)),
            (
                Method::GET,
                "/openapi/v1/maintenance-server-status",
                Some(Gate::Public),
            ),
            (Method::GET, "/openapi/v1/license/x", Some(Gate::Blocked)),
            (Method::GET, "/openapi/v1/order-list", Some(Gate::Blocked)),
            (Method::GET, "/openapi/v1/openapi/keys", Some(Gate::Blocked)),
            (Method::DELETE, "/api/openapi/keys/3", Some(Gate::Admin)),
            (Method::GET, "/openapi.yaml", Some(Gate::Public)),
            (Method::GET, "/elsewhere", None),
            (Method::GET, "/openapi/v1x", None),
        ];
        for (m, p, want) in cases {
            assert_eq!(&classify(m, p), want, "{m} {p}");
        }
    }
}
