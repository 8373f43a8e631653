//! The observation room's capture: what an observed exchange keeps while it runs (the request
//! and response body prefixes, bounded by `observation.body_limit`), and the record built from
//! it at the end, with credentials redacted, for the event log (waf-admin stores it).
//!
//! A capture exists only for requests [`waf_core::observe::Observation::may_observe`] let
//! through (and that were sampled): every other request carries `None` and pays nothing.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use pingora_http::{RequestHeader, ResponseHeader};
use waf_core::event::{BodyPrefix, HeaderLine, ObservationRecord};
use waf_core::model::{ObsConfig, ObsRule};
use waf_core::observe::redact;

/// One side's body: a bounded prefix and the count of every byte seen.
#[derive(Debug, Default)]
pub struct BodyBuf {
    kept: Vec<u8>,
    seen: u64,
}

impl BodyBuf {
    /// Keeps what fits of `chunk` under `limit` bytes in all, and counts it whole.
    pub fn push(&mut self, chunk: &[u8], limit: usize) {
        self.seen += chunk.len() as u64;
        let room = limit.saturating_sub(self.kept.len()).min(chunk.len());
        self.kept.extend_from_slice(&chunk[..room]);
    }

    /// The bytes kept.
    pub fn bytes(&self) -> &[u8] {
        &self.kept
    }

    /// Whether bytes were seen past the ones kept.
    pub fn truncated(&self) -> bool {
        self.seen > self.kept.len() as u64
    }

    fn prefix(&self) -> BodyPrefix {
        BodyPrefix {
            data: base64::engine::general_purpose::STANDARD.encode(&self.kept),
            size: self.seen,
            truncated: self.truncated(),
        }
    }
}

/// What an observed exchange keeps until it ends.
#[derive(Debug)]
pub struct Capture {
    started: Instant,
    limit: usize,
    /// Request body as received (before any decoding).
    pub request: BodyBuf,
    /// Response body as sent to the client.
    pub response: BodyBuf,
}

impl Capture {
    /// A capture keeping at most `limit` bytes of each body.
    pub fn new(limit: usize) -> Self {
        Capture {
            started: Instant::now(),
            limit,
            request: BodyBuf::default(),
            response: BodyBuf::default(),
        }
    }

    /// Adds a chunk of the request body.
    pub fn request_chunk(&mut self, chunk: &[u8]) {
        self.request.push(chunk, self.limit);
    }

    /// Adds a chunk of the response body.
    pub fn response_chunk(&mut self, chunk: &[u8]) {
        self.response.push(chunk, self.limit);
    }
}

/// Who and where, for the record.
pub struct Exchange<'a> {
    /// Request id.
    pub request_id: &'a str,
    /// Site id.
    pub site_id: u64,
    /// Routed host.
    pub host: &'a str,
    /// Client address, as text.
    pub client_ip: String,
    /// Whether the WAF refused the request.
    pub blocked: bool,
}

/// Headers as recorded: in order, values redacted per `config`.
fn headers<'h>(
    config: &ObsConfig,
    it: impl Iterator<Item = (&'h http::HeaderName, &'h http::HeaderValue)>,
) -> Vec<HeaderLine> {
    it.map(|(n, v)| {
        let value = String::from_utf8_lossy(v.as_bytes());
        HeaderLine {
            name: n.as_str().to_string(),
            value: redact::header(config, n.as_str(), &value).into_owned(),
        }
    })
    .collect()
}

/// The record of a finished exchange: `resp` is the response head sent to the client (`None`
/// when none was sent).
pub fn record(
    config: &ObsConfig,
    rule: &ObsRule,
    req: &RequestHeader,
    resp: Option<&ResponseHeader>,
    capture: &Capture,
    x: &Exchange<'_>,
) -> ObservationRecord {
    ObservationRecord {
        ts_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
        request_id: x.request_id.to_string(),
        rule_id: rule.id,
        rule_name: rule.name.clone(),
        site_id: x.site_id,
        host: x.host.to_string(),
        client_ip: x.client_ip.clone(),
        method: req.method.as_str().to_string(),
        uri: req
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_string(),
        version: format!("{:?}", req.version),
        request_headers: headers(config, req.headers.iter()),
        request_body: capture.request.prefix(),
        status: resp.map_or(0, |r| r.status.as_u16()),
        response_headers: resp.map_or_else(Vec::new, |r| headers(config, r.headers.iter())),
        response_body: capture.response.prefix(),
        blocked: x.blocked,
        duration_ms: capture.started.elapsed().as_millis() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_keep_a_bounded_prefix_and_count_everything() {
        let mut c = Capture::new(5);
        c.request_chunk(b"abc");
        c.request_chunk(b"defgh");
        c.response_chunk(b"ok");
        assert_eq!(c.request.bytes(), b"abcde");
        let p = c.request.prefix();
        assert_eq!((p.size, p.truncated), (8, true));
        let r = c.response.prefix();
        assert_eq!((r.data.as_str(), r.size, r.truncated), ("b2s=", 2, false));
        let mut none = Capture::new(0);
        none.request_chunk(b"x");
        assert!(none.request.bytes().is_empty() && none.request.prefix().truncated);
    }

    #[test]
    fn the_record_redacts_and_keeps_order() {
        let mut req = RequestHeader::build("POST", b"/login?x=1", None).expect("request");
        for (k, v) in [
            ("Host", "shop.example"),
            ("Authorization", "Bearer s3cret"),
            ("Cookie", "theme=dark; sid=42"),
        ] {
            req.append_header(k, v).expect("header");
        }
        let mut resp = ResponseHeader::build(201, None).expect("response");
        resp.append_header("Set-Cookie", "sid=43; HttpOnly")
            .expect("header");
        let rule = ObsRule {
            id: 7,
            name: "r".into(),
            host: None,
            path: None,
            ip: None,
            methods: Vec::new(),
            relation: Default::default(),
            judges: Vec::new(),
        };
        let x = Exchange {
            request_id: "rid",
            site_id: 1,
            host: "shop.example",
            client_ip: "203.0.113.1".into(),
            blocked: false,
        };
        let r = record(
            &ObsConfig::default(),
            &rule,
            &req,
            Some(&resp),
            &Capture::new(10),
            &x,
        );
        let values: Vec<&str> = r.request_headers.iter().map(|h| h.value.as_str()).collect();
        assert_eq!(
            values,
            [
                "shop.example",
                "Bearer [redacted]",
                "theme=dark; sid=[redacted]"
            ]
        );
        assert_eq!(r.response_headers[0].value, "sid=[redacted]; HttpOnly");
        assert_eq!(
            (r.status, r.rule_id, r.uri.as_str()),
            (201, 7, "/login?x=1")
        );
        assert!(!r.serialized_contains("s3cret"));
    }

    trait Contains {
        fn serialized_contains(&self, s: &str) -> bool;
    }
    impl Contains for ObservationRecord {
        fn serialized_contains(&self, s: &str) -> bool {
            serde_json::to_string(self).is_ok_and(|j| j.contains(s))
        }
    }
}
