//! From a Pingora request to the engine and back: client IP resolution, host, building the
//! engine's [`Request`], turning verdicts into decisions and verdicts into attack events.

use std::cell::RefCell;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use pingora_http::RequestHeader;
use waf_core::event::AttackEvent;
use waf_core::{IpTable, Match, Policy, Request, Scratch, Verdict};

thread_local! {
    // Per-worker-thread scratch space for the engine (a cache, not shared state): inspection is
    // synchronous, so a request never holds it across an await.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

/// Replaces this thread's scratch with a fresh one (after a panic inside inspection).
pub fn discard_scratch() {
    SCRATCH.with(|s| {
        if let Ok(mut scratch) = s.try_borrow_mut() {
            *scratch = Scratch::new();
        }
    });
}

/// Runs `f` with this worker thread's engine scratch (for engine calls besides [`run`], such
/// as the observation rules' judges at the end of an exchange).
pub fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut scratch) => f(&mut scratch),
        Err(_) => f(&mut Scratch::new()),
    })
}

/// The client address: the peer, or, when the peer is a trusted proxy, the right-most untrusted
/// address of X-Forwarded-For (then X-Real-IP).
pub fn client_ip(peer: Option<IpAddr>, req: &RequestHeader, trusted: &IpTable) -> Option<IpAddr> {
    let peer = peer?;
    if trusted.is_empty() || !trusted.contains(peer) {
        return Some(peer);
    }
    let mut xff: Vec<IpAddr> = req
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if let Some(ip) = xff.iter().rev().find(|ip| !trusted.contains(**ip)) {
        return Some(*ip);
    }
    if let Some(first) = xff.drain(..).next() {
        return Some(first);
    }
    req.headers
        .get("x-real-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .or(Some(peer))
}

/// The request's host, lower case, without port: the Host header, else the URI authority (HTTP/2),
/// else the TLS SNI.
pub fn host(req: &RequestHeader, sni: Option<&str>) -> String {
    let raw = req
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri.host())
        .or(sni)
        .unwrap_or("");
    let h = if raw.starts_with('[') {
        raw.split_once(']')
            .map_or(raw, |(h, _)| h)
            .trim_start_matches('[')
    } else {
        raw.rsplit_once(':')
            .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
            .map_or(raw, |(h, _)| h)
    };
    h.to_ascii_lowercase()
}

/// Total bytes of header names and values.
pub fn header_bytes(req: &RequestHeader) -> usize {
    req.headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum()
}

/// Whether the request's `Content-Length`, if any, is one header holding one plain number:
/// `22,22` (which Pingora reads as 22), `+22` or two headers are not.
pub fn content_length_valid(req: &RequestHeader) -> bool {
    let mut values = req.headers.get_all(http::header::CONTENT_LENGTH).iter();
    match (values.next(), values.next()) {
        (None, _) => true,
        (Some(v), None) => {
            let v = v.as_bytes();
            !v.is_empty() && v.len() <= 19 && v.iter().all(u8::is_ascii_digit)
        }
        (Some(_), Some(_)) => false,
    }
}

/// The `Content-Encoding` of the request, every header of it joined with `,`.
pub fn content_encoding(req: &RequestHeader) -> Vec<u8> {
    let mut out = Vec::new();
    for v in req.headers.get_all(http::header::CONTENT_ENCODING) {
        if !out.is_empty() {
            out.push(b',');
        }
        out.extend_from_slice(v.as_bytes());
    }
    out
}

/// The announced body length, if any.
pub fn content_length(req: &RequestHeader) -> Option<u64> {
    req.headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// What the engine needs besides the header.
pub struct Facts<'a> {
    /// Routed host.
    pub host: &'a str,
    /// Client address.
    pub client_ip: Option<IpAddr>,
    /// Client country.
    pub country: Option<&'a str>,
}

/// Runs the engine on a request header and (a prefix of) its body.
///
/// Two passes per request with a body: `request_filter` calls this with an empty body (request
/// line, headers, cookies, query), and `request_body_filter` calls it again with the buffered
/// body, which only happens after that first pass succeeded. So with a body, only the body is
/// inspected ([`Policy::inspect_body`]: body parameters, body protocol rules, and custom rules,
/// which may combine URI and body judges), instead of scanning the headers a second time.
pub fn run(
    policy: &Policy,
    req: &RequestHeader,
    facts: &Facts<'_>,
    body: &[u8],
    body_truncated: bool,
) -> Verdict {
    // The engine's view of the headers: on the stack for the usual few dozen, so that a request
    // allocates nothing here (a `Vec` was a malloc and a free per request).
    let mut on_stack = [("", &b""[..]); STACK_HEADERS];
    let spilled: Vec<(&str, &[u8])>;
    let headers: &[(&str, &[u8])] = if req.headers.len() <= STACK_HEADERS {
        for (slot, (n, v)) in on_stack.iter_mut().zip(req.headers.iter()) {
            *slot = (n.as_str(), v.as_bytes());
        }
        &on_stack[..req.headers.len()]
    } else {
        spilled = req
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect();
        &spilled
    };
    let uri = req.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let r = Request {
        method: req.method.as_str(),
        host: facts.host,
        uri,
        headers,
        body,
        body_truncated,
        client_ip: facts.client_ip,
        country: facts.country,
    };
    let pass = |scratch: &mut Scratch| {
        if body.is_empty() {
            policy.inspect(&r, scratch)
        } else {
            policy.inspect_body(&r, scratch)
        }
    };
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut scratch) => pass(&mut scratch),
        // Never happens (no re-entrancy); a fresh scratch keeps it correct if it ever did.
        Err(_) => pass(&mut Scratch::new()),
    })
}

/// Headers of a request handed to the engine without an allocation.
const STACK_HEADERS: usize = 32;

fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The event for one match.
pub struct EventInput<'a> {
    /// Request id.
    pub request_id: &'a str,
    /// Site id.
    pub site_id: u64,
    /// Host.
    pub host: &'a str,
    /// Client address.
    pub client_ip: Option<IpAddr>,
    /// Country.
    pub country: Option<&'a str>,
    /// The action actually taken (after mode and clearance).
    pub action: &'a str,
}

/// Builds the attack event of match `m` on request `req`.
pub fn event(req: &RequestHeader, m: &Match, e: &EventInput<'_>) -> AttackEvent {
    let uri = req.uri.path_and_query().map_or("/", |pq| pq.as_str());
    AttackEvent {
        ts_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
        request_id: e.request_id.to_string(),
        site_id: e.site_id,
        host: truncate(e.host, 255),
        method: truncate(req.method.as_str(), 16),
        url: truncate(&format!("{}{}", e.host, uri), 2048),
        client_ip: e.client_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        country: e.country.map(str::to_string),
        user_agent: req
            .headers
            .get(http::header::USER_AGENT)
            .map(|v| truncate(&String::from_utf8_lossy(v.as_bytes()), 512))
            .unwrap_or_default(),
        rule_id: m.rule_id.clone(),
        rule_name: m.rule_name.clone(),
        attack_type: m.attack_type.as_str().to_string(),
        action: e.action.to_string(),
        target: m.target.clone(),
        parameter: m.parameter.clone(),
        snippet: m.snippet.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> RequestHeader {
        let mut r = RequestHeader::build("GET", b"/", None).expect("request");
        for (k, v) in headers {
            r.append_header(k.to_string(), *v).expect("header");
        }
        r
    }

    #[test]
    fn forwarded_for_only_from_trusted_peers() {
        let mut trusted = IpTable::default();
        trusted.insert("10.0.0.0/8".parse().expect("net"), 0);
        let r = req(&[("X-Forwarded-For", "203.0.113.9, 10.0.0.7")]);
        let peer = Some("10.0.0.1".parse().expect("ip"));
        assert_eq!(
            client_ip(peer, &r, &trusted),
            Some("203.0.113.9".parse().expect("ip"))
        );
        let stranger = Some("198.51.100.1".parse().expect("ip"));
        assert_eq!(client_ip(stranger, &r, &trusted), stranger);
    }

    #[test]
    fn host_without_port() {
        assert_eq!(
            host(&req(&[("Host", "Example.COM:8080")]), None),
            "example.com"
        );
        assert_eq!(host(&req(&[]), Some("sni.example")), "sni.example");
    }
}
