//! The invariant behind reuse, as properties: every check decides the same with and without the
//! libinjection memos and never fires on a value outside its `needs`; the policy decides every
//! request of a sequence the same with each cache and memo on or off.

use std::sync::OnceLock;

use proptest::prelude::*;

use super::{verdicts, Ceiling};
use crate::detect::class;
use crate::request::Location;
use crate::rules::{self, Detect};
use crate::{Policy, Request, Scratch, Verdict};

/// Pieces values are made of: attack syntax of every class next to ordinary words, so that
/// random mixes reach the gates, the automaton and the checks, and also pass clean.
const PIECES: &[&str] = &[
    "a",
    "id",
    "1",
    "42",
    " ",
    "'",
    "\"",
    "=",
    "-",
    "--",
    "#",
    "/*",
    "*/",
    ";",
    "|",
    "&",
    "&&",
    "`",
    "$(",
    ")",
    "(",
    "{",
    "}",
    "${",
    "<",
    ">",
    "/",
    "\\",
    ".",
    "..",
    "../",
    "%",
    "%27",
    "%2e",
    "%00",
    "+",
    ",",
    ":",
    "@",
    " or ",
    " and ",
    "union",
    " select ",
    "from",
    "users",
    "sleep(5)",
    "1=1",
    "'1'='1",
    "admin",
    "<script>",
    "alert(1)",
    "onerror=",
    "<svg/onload=",
    "javascript:",
    "etc/passwd",
    "cat ",
    "wget ",
    "http://",
    "jndi:ldap:",
    "{{7*7}}",
    "<?php",
    "O'Brien",
    "red shoes",
    "color",
    "select",
    "é",
    "\u{ff1c}",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(prop::sample::select(PIECES), 0..8).prop_map(|p| p.concat()),
        1 => prop::collection::vec(any::<char>(), 0..12).prop_map(String::from_iter),
    ]
}

const LOCATIONS: &[Location] = &[
    Location::Path,
    Location::Query,
    Location::ArgName,
    Location::QueryArg,
    Location::BodyArg,
    Location::BodyArgName,
    Location::Cookie,
    Location::Header,
    Location::Body,
    Location::Filename,
];

proptest! {
    // Failures print their smallest input; none is written to the tree.
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Each check decides a value the same whether libinjection's memos answer (asked twice:
    /// once to fill them, once from them) or are passed by.
    #[test]
    fn every_check_decides_the_same_without_its_memos(v in value(), loc in prop::sample::select(LOCATIONS)) {
        for r in rules::all() {
            let Detect::Check { test, .. } = r.detect else { continue };
            let direct = verdicts::bypass(|| test(&v, loc));
            prop_assert_eq!(test(&v, loc), direct, "rule {} on {:?} at {:?}", r.id, v, loc);
            prop_assert_eq!(test(&v, loc), direct, "rule {} on {:?} at {:?} (memo)", r.id, v, loc);
        }
    }

    /// A check never fires on a value without a byte of the classes it needs: the engine skips
    /// it on such values.
    #[test]
    fn no_check_fires_outside_its_needs(v in value(), loc in prop::sample::select(LOCATIONS)) {
        for r in rules::all() {
            let Detect::Check { test, needs, .. } = r.detect else { continue };
            if needs == 0 {
                continue;
            }
            let v: String = v
                .chars()
                .filter(|c| !c.is_ascii() || class::shape(&[*c as u8]) & needs == 0)
                .collect();
            prop_assert!(!verdicts::bypass(|| test(&v, loc)), "rule {} fires on {:?}", r.id, v);
        }
    }

    /// A sequence of requests built from shared pieces (so that values repeat within a request
    /// and from one request to the next) gets the same verdicts with every cache and memo on,
    /// with the cross-request cache off, with only the request's repeats reused, and with
    /// nothing reused at all, on a policy without exclusions and on one whose exclusions turn
    /// reuse down.
    #[test]
    fn the_policy_decides_the_same_with_each_cache_off(reqs in prop::collection::vec(request(), 1..5)) {
        for policy in policies() {
            let baseline: Vec<String> = {
                let mut s = Scratch::with_value_cache(0);
                s.memos.ceiling = Ceiling::Off;
                verdicts::bypass(|| reqs.iter().map(|r| r.with(|r| show(&policy.inspect(r, &mut s)))).collect())
            };
            for (entries, ceiling) in [
                (super::CACHE_ENTRIES, Ceiling::Any),
                (0, Ceiling::Any),
                (super::CACHE_ENTRIES, Ceiling::InRequest),
                (super::CACHE_ENTRIES, Ceiling::Off),
            ] {
                let mut s = Scratch::with_value_cache(entries);
                s.memos.ceiling = ceiling;
                // Twice over: the second round finds the first round's values in the caches.
                for round in 0..2 {
                    for (r, want) in reqs.iter().zip(&baseline) {
                        let got = r.with(|r| show(&policy.inspect(r, &mut s)));
                        prop_assert_eq!(&got, want, "{:?} {:?} round {} on {:?}", entries, ceiling, round, r);
                    }
                }
            }
        }
    }
}

/// A generated request: what [`Request`] borrows.
#[derive(Debug, Clone)]
struct Owned {
    uri: String,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Vec<u8>,
}

impl Owned {
    /// `f` of the request.
    fn with<R>(&self, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let headers: Vec<(&str, &[u8])> = self
            .headers
            .iter()
            .map(|(n, v)| (*n, v.as_slice()))
            .collect();
        f(&Request {
            method: if self.body.is_empty() { "GET" } else { "POST" },
            uri: &self.uri,
            headers: &headers,
            body: &self.body,
            ..Request::get("/")
        })
    }
}

fn enc(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn request() -> impl Strategy<Value = Owned> {
    let pairs = || prop::collection::vec((value(), value()), 0..4);
    (
        value(),
        pairs(),
        pairs(),
        prop::collection::vec(value(), 0..6),
        value(),
        0..3u8,
    )
        .prop_map(|(path, query, cookies, json, ua, body_kind)| {
            let q: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
                .collect();
            let uri = format!("/{}?{}", enc(&path), q.join("&"));
            let cookie: Vec<String> = cookies
                .iter()
                .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
                .collect();
            let mut headers = vec![
                ("User-Agent", ua.into_bytes()),
                ("Cookie", cookie.join("; ").into_bytes()),
            ];
            let body = match body_kind {
                1 => {
                    headers.push(("Content-Type", b"application/json".to_vec()));
                    // Records repeating their keys and values, as arrays of records do.
                    let recs: Vec<String> = json
                        .iter()
                        .map(|v| {
                            serde_json::json!({"tag": v, "n": 1, "text": json.first()}).to_string()
                        })
                        .collect();
                    format!("[{}]", recs.join(",")).into_bytes()
                }
                2 => {
                    headers.push((
                        "Content-Type",
                        b"application/x-www-form-urlencoded".to_vec(),
                    ));
                    q.join("&").into_bytes()
                }
                _ => Vec::new(),
            };
            Owned { uri, headers, body }
        })
}

/// The default policy, and the same at sensitivity 4 with exclusions on every path: one for a
/// rule (reuse within the request only), one for a parameter no request has (no reuse): neither
/// changes a verdict.
fn policies() -> &'static [Policy] {
    static P: OnceLock<Vec<Policy>> = OnceLock::new();
    P.get_or_init(|| {
        let base = Policy::default_policy().expect("default policy");
        let mut rules_in = base.rules().clone();
        rules_in.settings.sensitivity = 4;
        let high = Policy::compile(rules_in.clone()).expect("sensitivity 4");
        let mut by_rule = rules_in.clone();
        by_rule.managed.exclusions.push(crate::model::Exclusion {
            rule_ids: vec![1],
            path: "/".into(),
            parameter: None,
            cookie: None,
        });
        let mut by_param = rules_in;
        by_param.managed.exclusions.push(crate::model::Exclusion {
            rule_ids: Vec::new(),
            path: "/".into(),
            parameter: Some("no parameter has this name".into()),
            cookie: None,
        });
        vec![
            base,
            high,
            Policy::compile(by_rule).expect("exclusion by rule"),
            Policy::compile(by_param).expect("exclusion by parameter"),
        ]
    })
}

/// What a verdict says, in full.
fn show(v: &Verdict) -> String {
    format!("{v:?}")
}
