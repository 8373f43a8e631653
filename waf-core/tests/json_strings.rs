//! JSON string scanning in the body walker: plain strings are borrowed up to the closing quote,
//! escaped ones decoded, and raw control characters or a missing quote make the body malformed.

use waf_core::internals::{extract, Limits};
use waf_core::{Location, Request};

/// The body values extracted from `body` sent as JSON, and whether it was malformed.
fn walk(body: &str) -> (Vec<String>, bool) {
    let headers = [("Content-Type", &b"application/json"[..])];
    let req = Request {
        method: "POST",
        headers: &headers,
        body: body.as_bytes(),
        ..Request::get("/")
    };
    let mut out = Vec::new();
    let lim = Limits { max_args: 100 };
    let notes = extract(&req, lim, &mut out);
    let values = out
        .iter()
        .filter(|f| f.location == Location::BodyArg)
        .map(|f| f.value.to_string())
        .collect();
    (values, notes.malformed_body)
}

#[test]
fn plain_and_escaped_strings() {
    assert_eq!(
        walk(r#"{"a":"x y","b":"Se\u00e1n \"q\""}"#),
        (vec!["x y".into(), "Seán \"q\"".into()], false)
    );
    assert_eq!(walk(r#"["","a\\b"]"#), (vec!["a\\b".into()], false));
}

#[test]
fn control_characters_and_open_strings_are_malformed() {
    for body in [
        "{\"a\":\"x\ty\"}",
        "{\"a\":\"x\u{1}\\ny\"}",
        "{\"a\":\"xy",
        "{\"a\":\"x\\",
    ] {
        assert!(walk(body).1, "{body:?}");
    }
}

/// Short plain numbers skip the scan (nothing fires on them); a long one is scanned like any
/// value, so the decimal form of the cloud metadata address is still caught, in JSON and query.
#[test]
fn numbers_pass_but_a_decimal_metadata_address_does_not() {
    use waf_core::{Action, Policy, Scratch};
    let Ok(policy) = Policy::default_policy() else {
        panic!("the shipped rules compile");
    };
    let mut scratch = Scratch::new();
    let headers = [("Content-Type", &b"application/json"[..])];
    let post = |body: &'static str| Request {
        method: "POST",
        headers: &headers,
        body: body.as_bytes(),
        ..Request::get("/api")
    };
    for body in [
        r#"{"id":42,"price":-3.99,"n":[1,2,6.02e23]}"#,
        r#"{"ts":1732900000}"#,
    ] {
        let v = policy.inspect(&post(body), &mut scratch);
        assert_eq!(v.action, Action::Allow, "{body}: {:?}", v.matched);
    }
    let v = policy.inspect(&post(r#"{"url":2852039166}"#), &mut scratch);
    assert_eq!(v.action, Action::Block);
    assert_eq!(v.matched.map(|m| m.rule_id), Some("7000".to_string()));
    let v = policy.inspect(&Request::get("/fetch?host=2852039166"), &mut scratch);
    assert_eq!(v.action, Action::Block);
}

/// A JSON field that passed is not handed to the engine again when it repeats, but only at the
/// same location: `$where` passes as a value and is still caught as a key (NoSQL operator,
/// rule 8000) after it; and repeats still count against the argument limit.
#[test]
fn repeats_are_skipped_only_at_the_same_location_and_still_counted() {
    use waf_core::{Action, Policy, Scratch};
    let Ok(policy) = Policy::default_policy() else {
        panic!("the shipped rules compile");
    };
    let headers = [("Content-Type", &b"application/json"[..])];
    let post = |body: &str| {
        let mut scratch = Scratch::new();
        let req = Request {
            method: "POST",
            headers: &headers,
            body: body.as_bytes(),
            ..Request::get("/api")
        };
        let v = policy.inspect(&req, &mut scratch);
        (v.action, v.matched.map(|m| (m.rule_id, m.target)))
    };
    assert_eq!(post(r#"{"a":"$where","b":"$where"}"#).0, Action::Allow);
    assert_eq!(
        post(r#"{"a":"$where","b":["$where",{"$where":1}]}"#),
        (
            Action::Block,
            Some(("8000".to_string(), "body_arg_name".to_string()))
        )
    );
    let many = |n: usize| format!("{{\"a\":[{}]}}", vec!["\"x\""; n].join(","));
    assert_eq!(post(&many(100)).0, Action::Allow);
    let (action, matched) = post(&many(5000));
    assert_eq!(action, Action::Block, "{matched:?}");
}
