//! Offline commands: `check` (validate and compile a rule set) and `replay` (evaluate logged
//! requests against it).

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;

use base64::Engine as _;
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
    /// The body's exact bytes, base64, when they are not UTF-8 (an image upload); `body` is then
    /// ignored.
    #[serde(default)]
    body_b64: Option<String>,
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
        let mut r: ReplayLine = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("line {}: not a request: {e}", lineno + 1);
                bad += 1;
                continue;
            }
        };
        let body = match &r.body_b64 {
            Some(b) => match base64::engine::general_purpose::STANDARD.decode(b) {
                Ok(bytes) => bytes,
                Err(e) => {
                    eprintln!("line {}: body_b64 is not base64: {e}", lineno + 1);
                    bad += 1;
                    continue;
                }
            },
            None => std::mem::take(&mut r.body).into_bytes(),
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
            body: &body,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `body_b64` carries the body's exact bytes and takes the place of `body`; a line whose
    /// `body_b64` is not base64 is unreadable, not judged on an empty body.
    #[test]
    fn replay_reads_binary_bodies_from_body_b64() {
        let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
        let form = r#""headers":{"Content-Type":"application/x-www-form-urlencoded"}"#;
        let input = [
            format!(
                r#"{{"id":"attack","method":"POST","path":"/","body":"q=hello",{form},"body_b64":"{}"}}"#,
                b64(b"q=1' union select password from users--")
            ),
            format!(
                r#"{{"id":"image","method":"POST","path":"/","body":"q=1' union select 1--",{form},"body_b64":"{}"}}"#,
                b64(&[0x89, b'P', b'N', b'G', 0xff, 0x00, 0x10])
            ),
            r#"{"id":"bad","method":"POST","path":"/","body_b64":"***"}"#.to_string(),
        ]
        .join("\n");
        let mut out = Vec::new();
        assert_eq!(replay(None, input.as_bytes(), &mut out, false), 0);
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .expect("utf-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(
            (lines[0]["id"].as_str(), lines[0]["action"].as_str()),
            (Some("attack"), Some("block"))
        );
        assert_eq!(
            (lines[1]["id"].as_str(), lines[1]["action"].as_str()),
            (Some("image"), Some("allow"))
        );
        assert_eq!(lines[2]["summary"]["unreadable_lines"], 1);
    }
}
