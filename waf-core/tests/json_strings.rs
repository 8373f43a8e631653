//! JSON string scanning in the body walker: plain strings are borrowed up to the closing quote,
//! escaped ones decoded, and raw control characters or a missing quote make the body malformed.

use waf_core::parse::{extract, Limits};
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
    let lim = Limits {
        max_args: 100,
        max_value_len: 4096,
    };
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
