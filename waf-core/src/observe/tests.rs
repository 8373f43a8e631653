//! Observation rules: validation, line conditions, judges, sampling.

use crate::{Policy, Request, Scratch, SourceFile};

fn policy(yaml: &str) -> Policy {
    Policy::from_sources(&[SourceFile::new("obs.yaml", yaml)]).expect("compiles")
}

fn errors(yaml: &str) -> String {
    match Policy::from_sources(&[SourceFile::new("obs.yaml", yaml)]) {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    }
}

const RULES: &str = r#"
obs_rules:
  - { id: 1, name: login posts, host: shop.example, path: /login, method: "POST, PUT" }
  - { id: 2, name: office, ip: 10.1.0.0/16 }
  - id: 3
    name: carts with a coupon
    path: /cart
    relation: or
    judges:
      - { position: request_body, content: coupon= }
      - { position: request_header, header: x-debug, content: "1" }
  - { id: 4, name: off, enabled: false, path: / }
"#;

fn req<'a>(method: &'a str, host: &'a str, uri: &'a str, ip: &str) -> Request<'a> {
    Request {
        method,
        host,
        uri,
        client_ip: Some(ip.parse().expect("ip")),
        ..Request::get(uri)
    }
}

#[test]
fn line_conditions_all_hold_together() {
    let p = policy(RULES);
    let o = p.observation();
    assert_eq!(o.rules().len(), 3, "the disabled rule is left out");
    let mut s = Scratch::new();
    let cases = [
        (
            "POST",
            "shop.example",
            "/login?next=/",
            "203.0.113.1",
            Some(1),
        ),
        (
            "put",
            "SHOP.example:8080",
            "/%6cogin",
            "203.0.113.1",
            Some(1),
        ),
        ("GET", "shop.example", "/login", "203.0.113.1", None),
        ("POST", "other.example", "/login", "203.0.113.1", None),
        ("POST", "shop.example", "/logout", "203.0.113.1", None),
        ("GET", "any.example", "/", "10.1.2.3", Some(2)),
        ("GET", "any.example", "/", "::ffff:10.1.2.3", Some(2)),
        ("GET", "any.example", "/", "10.2.0.1", None),
    ];
    for (m, h, u, ip, want) in cases {
        let r = req(m, h, u, ip);
        assert_eq!(
            o.may_observe(r.host, r.path(), r.client_ip, m),
            want.is_some(),
            "{m} {h}{u} from {ip}"
        );
        assert_eq!(
            p.observe(&r, &mut s).map(|r| r.id),
            want,
            "{m} {h}{u} from {ip}"
        );
    }
}

#[test]
fn judges_match_as_in_custom_rules() {
    let p = policy(RULES);
    let mut s = Scratch::new();
    let form = [("Content-Type", &b"application/x-www-form-urlencoded"[..])];
    let with_body = |body: &'static [u8]| Request {
        method: "POST",
        uri: "/cart/add",
        headers: &form,
        body,
        ..Request::get("/cart/add")
    };
    // The line holds for rule 3 before the body is known; the judges decide at the end.
    assert!(p.observation().may_observe("x", "/cart/add", None, "POST"));
    assert_eq!(
        p.observe(&with_body(b"item=1&COUPON=x"), &mut s)
            .map(|r| r.id),
        Some(3)
    );
    assert_eq!(p.observe(&with_body(b"item=1"), &mut s).map(|r| r.id), None);
    let debug = [("X-Debug", &b"1"[..])];
    let r = Request {
        headers: &debug,
        ..Request::get("/cart")
    };
    assert_eq!(p.observe(&r, &mut s).map(|r| r.id), Some(3));
}

#[test]
fn no_rule_or_recording_off_observes_nothing() {
    let none = policy("settings: { mode: block }\n");
    assert!(!none.observation().may_observe("h", "/", None, "GET"));
    let off = policy(&format!("observation: {{ enabled: false }}\n{RULES}"));
    assert!(!off
        .observation()
        .may_observe("x", "/", Some("10.1.0.1".parse().expect("ip")), "GET"));
}

#[test]
fn bad_rules_and_config_are_refused_with_their_field() {
    for (yaml, want) in [
        ("obs_rules: [{ id: 1, name: x, ip: 10.0.0.300 }]", "ip"),
        ("obs_rules: [{ id: 1, name: x, path: login }]", "path"),
        ("obs_rules: [{ id: 1, name: x, method: \"GET;\" }]", "method"),
        ("obs_rules: [{ id: 1, name: '' }]", "name"),
        ("obs_rules: [{ id: 1, name: x, nope: 1 }]", "unknown field"),
        (
            "obs_rules: [{ id: 1, name: x, enabled: false, judges: [{ position: uri, rix: '(' }] }]",
            "judges[0].rix",
        ),
        ("obs_rules: [{ id: 1, name: x }, { id: 1, name: y }]", "duplicate"),
        ("observation: { sample_rate: 0 }", "sample_rate"),
        ("observation: { body_limit: 2000000 }", "body_limit"),
        ("observation: { max_records: 5 }", "max_records"),
        ("observation: { max_age_hours: 0 }", "max_age_hours"),
        ("observation: { redact_cookies: ['a=b'] }", "redact_cookies"),
        ("observation: { bogus: true }", "unknown field"),
    ] {
        let e = errors(yaml);
        assert!(e.contains(want), "{yaml}: {e:?} should name {want}");
    }
    let two = Policy::from_sources(&[
        SourceFile::new("a.yaml", "observation: { enabled: true }\n"),
        SourceFile::new("b.yaml", "observation: { enabled: false }\n"),
    ]);
    assert!(two.is_err_and(|e| e.to_string().contains("twice")));
}

#[test]
fn sampling_records_the_given_share() {
    let p = policy(&format!("observation: {{ sample_rate: 25 }}\n{RULES}"));
    let n = (0..400).filter(|_| p.observation().sampled()).count();
    assert_eq!(n, 100);
    let all = policy(RULES);
    assert!((0..50).all(|_| all.observation().sampled()));
}
