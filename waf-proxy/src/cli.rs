//! Offline commands: `check` (validate and compile a rule set) and `replay` (evaluate logged
//! requests against it).

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;

use serde::Deserialize;
use waf_core::{Policy, Request, Scratch};

use crate::rules_dir::load_sources;

/// `waf-proxy check`: prints rule counts and exits 0, or every error and exits 1.
pub fn check(rules_dir: Option<&Path>) -> i32 {
    let policy = load_sources(rules_dir).and_then(|s| Policy::from_sources(&s));
    match policy {
        Ok(p) => {
            let c = p.counts();
            println!(
                "ok: version {} — {} ACL, {} CC, {} custom, {} managed rules active, {} sites (compiled in {:.1} ms)",
                p.version(),
                c.acl,
                c.cc,
                c.custom,
                c.managed,
                c.sites,
                p.compile_time().as_secs_f64() * 1000.0
            );
            0
        }
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            eprintln!("{} error(s); nothing loaded", errors.0.len());
            1
        }
    }
}

#[derive(Deserialize)]
struct ReplayLine {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    set: Option<String>,
    #[serde(default = "get")]
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: String,
    #[serde(default)]
    client_ip: Option<String>,
}

fn get() -> String {
    "GET".into()
}

/// `waf-proxy replay`: one JSON verdict per input line, then a summary line.
pub fn replay(
    rules_dir: Option<&Path>,
    input: impl BufRead,
    mut out: impl Write,
    quiet: bool,
) -> i32 {
    let policy = match load_sources(rules_dir).and_then(|s| Policy::from_sources(&s)) {
        Ok(p) => p,
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            return 1;
        }
    };
    let mut scratch = Scratch::new();
    let (mut n, mut blocked, mut bad) = (0u64, 0u64, 0u64);
    // Per `set` (malicious/benign corpora): (requests, blocked).
    let mut by_set: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (lineno, line) in input.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("line {}: {e}", lineno + 1);
                bad += 1;
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let r: ReplayLine = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("line {}: not a request: {e}", lineno + 1);
                bad += 1;
                continue;
            }
        };
        let host = r
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("host"))
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let headers: Vec<(&str, &[u8])> = r
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_bytes()))
            .collect();
        let req = Request {
            method: &r.method,
            host,
            uri: &r.path,
            headers: &headers,
            body: r.body.as_bytes(),
            body_truncated: false,
            client_ip: r.client_ip.as_deref().and_then(|s| s.parse().ok()),
            country: None,
        };
        let v = policy.inspect(&req, &mut scratch);
        n += 1;
        let is_blocked = v.is_blocking();
        blocked += u64::from(is_blocked);
        if let Some(set) = &r.set {
            let e = by_set.entry(set.clone()).or_default();
            e.0 += 1;
            e.1 += u64::from(is_blocked);
        }
        if !quiet {
            let line = serde_json::json!({"line": lineno + 1, "id": r.id, "action": v.action.as_str(), "matched": v.matched});
            if writeln!(out, "{line}").is_err() {
                return 1;
            }
        }
    }
    let mut summary = serde_json::json!({"summary": {"requests": n, "blocked": blocked, "passed": n - blocked, "unreadable_lines": bad}});
    for (set, (total, b)) in &by_set {
        summary["summary"][format!("{set}_blocked_pct")] =
            serde_json::json!((*b as f64) * 100.0 / (*total).max(1) as f64);
    }
    if writeln!(out, "{summary}").is_err() {
        return 1;
    }
    0
}
