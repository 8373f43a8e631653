//! The observation room (§8.9): the records waf-proxy sends through its event log ([`store`]),
//! their retention, which the rule set's `observation` section sets ([`retention_in`]), and an
//! exchange written back as HTTP text ([`http_text`], behind `/obs/records/{id}/raw`). Rules and
//! configuration live in the rule files like every other rule; the routes are in
//! `routes/obs.rs`.

pub mod store;

use std::path::Path;

use waf_core::event::HeaderLine;
use waf_core::model::obs::RawObservation;
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
