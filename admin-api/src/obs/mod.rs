//! The observation room (§8.9): the records waf-proxy sends through its event log ([`store`]),
//! their retention, which the rule set's `observation` section sets ([`retention_in`]), and an
//! exchange written back as HTTP text ([`http_text`], behind `/obs/records/{id}/raw`). Rules and
//! configuration live in the rule files like every other rule; the routes are in
//! `routes/obs.rs`.

pub mod store;

use std::path::Path;

use waf_core::event::HeaderLine;
use waf_core::model::raw::RawObservation;
use waf_core::SourceFile;

use store::{Record, Retention, StoredBody};

/// The retention the rule files in `rules_dir` set (their `observation` section, else the
/// defaults). A file that does not parse is skipped: the API never writes one, and the proxy
/// refuses it on reload.
pub fn retention_in(rules_dir: &Path) -> Retention {
    let mut found: Option<RawObservation> = None;
    if let Ok(rd) = std::fs::read_dir(rules_dir) {
        let mut paths: Vec<_> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
            .collect();
        paths.sort();
        for p in paths {
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            let src = SourceFile::new(p.display().to_string(), text);
            if let Ok(f) = waf_core::model::parse_file(&src) {
                if f.observation.is_some() {
                    found = f.observation;
                    break;
                }
            }
        }
    }
    let raw = found.unwrap_or_default();
    Retention {
        max_records: raw.max_records,
        max_age_hours: raw.max_age_hours,
    }
}

/// The request and the response of a record as HTTP/1.1 text (`CRLF` line ends, a blank line,
/// then the body prefix, non-UTF-8 bytes replaced). A response never sent is empty.
pub fn http_text(r: &Record) -> (String, String) {
    fn head(first: String, headers: &[HeaderLine], body: &StoredBody) -> String {
        let mut out = first;
        out.push_str("\r\n");
        for h in headers {
            out.push_str(&h.name);
            out.push_str(": ");
            out.push_str(&h.value);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        out.push_str(&String::from_utf8_lossy(&body.data));
        out
    }
    let s = &r.summary;
    let request = head(
        format!("{} {} {}", s.method, s.uri, r.version),
        &r.request_headers,
        &r.request_body,
    );
    let response = if s.status == 0 {
        String::new()
    } else {
        let reason = actix_web::http::StatusCode::from_u16(s.status)
            .ok()
            .and_then(|c| c.canonical_reason())
            .unwrap_or("");
        head(
            format!("{} {} {reason}", r.version, s.status)
                .trim_end()
                .to_string(),
            &r.response_headers,
            &r.response_body,
        )
    };
    (request, response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_comes_from_the_rule_files_or_the_defaults() {
        let dir = std::env::temp_dir().join(format!("obs-retention-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let defaults = RawObservation::default();
        let want = |records, hours| Retention {
            max_records: records,
            max_age_hours: hours,
        };
        assert_eq!(
            retention_in(&dir),
            want(defaults.max_records, defaults.max_age_hours)
        );
        std::fs::write(dir.join("acl.yaml"), "acl: []\n").expect("write");
        std::fs::write(
            dir.join("observe.yaml"),
            "observation: { max_records: 500, max_age_hours: 2 }\n",
        )
        .expect("write");
        assert_eq!(retention_in(&dir), want(500, 2));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_exchange_as_http_text() {
        let summary = store::RecordSummary {
            id: 1,
            request_id: "r".into(),
            rule_id: 1,
            rule_name: "n".into(),
            site_id: 0,
            host: "h".into(),
            client_ip: "203.0.113.1".into(),
            method: "POST".into(),
            uri: "/a?b=1".into(),
            status: 403,
            blocked: true,
            duration_ms: 0,
            request_body_size: 3,
            response_body_size: 2,
            created_at: String::new(),
            timestamp: 0,
            ts_ms: 0,
        };
        let h = |n: &str, v: &str| HeaderLine {
            name: n.into(),
            value: v.into(),
        };
        let body = |b: &[u8]| StoredBody {
            data: b.to_vec(),
            size: b.len() as i64,
            truncated: false,
        };
        let r = Record {
            summary,
            version: "HTTP/1.1".into(),
            request_headers: vec![h("host", "h"), h("authorization", "Bearer [redacted]")],
            request_body: body(b"x=1"),
            response_headers: vec![h("content-type", "text/html")],
            response_body: body(b"no"),
        };
        let (req, resp) = http_text(&r);
        assert_eq!(
            req,
            "POST /a?b=1 HTTP/1.1\r\nhost: h\r\nauthorization: Bearer [redacted]\r\n\r\nx=1"
        );
        assert_eq!(
            resp,
            "HTTP/1.1 403 Forbidden\r\ncontent-type: text/html\r\n\r\nno"
        );
    }
}
