//! Response pages the proxy writes itself: block, rate limit, not found, bad gateway, redirect.
//! HTML for browsers, JSON when the client's Accept prefers `application/json`. No page ever
//! echoes anything from the request except the ids the proxy generated.

use bytes::Bytes;
use pingora_http::ResponseHeader;

use crate::error::Refusal;
use crate::feedback::{FEEDBACK_PATH, MAX_COMMENT};

/// A rendered response.
pub struct Page {
    /// Status line and headers.
    pub header: ResponseHeader,
    /// Body.
    pub body: Bytes,
}

/// True when the client asked for JSON (and not HTML first).
pub fn wants_json(accept: Option<&[u8]>) -> bool {
    let Some(a) = accept.and_then(|a| std::str::from_utf8(a).ok()) else {
        return false;
    };
    let json = a.find("application/json");
    let html = a.find("text/html");
    match (json, html) {
        (Some(j), Some(h)) => j < h,
        (Some(_), None) => true,
        _ => false,
    }
}

fn title_and_text(r: &Refusal) -> (&'static str, &'static str, &'static str) {
    match r {
        Refusal::Blocked { .. } => (
            "blocked",
            "Request blocked",
            "This request was blocked by the web application firewall.",
        ),
        Refusal::Ambiguous { .. } => (
            "ambiguous_request",
            "Bad request",
            "The request body can be read in more than one way, so it was not forwarded.",
        ),
        Refusal::UnsupportedEncoding => (
            "unsupported_encoding",
            "Unsupported request encoding",
            "This site does not accept request bodies in this content encoding.",
        ),
        Refusal::RateLimited { .. } => (
            "rate_limited",
            "Too many requests",
            "You have sent too many requests. Please wait and try again.",
        ),
        Refusal::UnknownHost => (
            "unknown_host",
            "Site not found",
            "No site is configured for this host name.",
        ),
        Refusal::BadGateway => (
            "bad_gateway",
            "Origin unreachable",
            "The origin server could not be reached. Please try again later.",
        ),
        Refusal::GatewayTimeout => (
            "gateway_timeout",
            "Origin timeout",
            "The origin server did not answer in time.",
        ),
        Refusal::BodyTooLarge => (
            "body_too_large",
            "Request body too large",
            "The request body is larger than this site accepts.",
        ),
        Refusal::HeadersTooLarge => (
            "headers_too_large",
            "Request headers too large",
            "The request headers are larger than this site accepts.",
        ),
        Refusal::RedirectHttps { .. } => ("redirect", "Moved", "This site is served over HTTPS."),
        Refusal::Challenge => (
            "challenge",
            "Checking your browser",
            "Please enable JavaScript to continue.",
        ),
        Refusal::Captcha => (
            "captcha",
            "Verify you are human",
            "Please enable JavaScript to continue.",
        ),
        Refusal::BadRequest => (
            "bad_request",
            "Bad request",
            "The request could not be understood.",
        ),
        Refusal::Misdirected => (
            "misdirected_request",
            "Misdirected request",
            "This connection was opened for another site. Please connect to this site directly.",
        ),
        Refusal::InspectionFailed => (
            "inspection_failed",
            "Request not inspected",
            "The request could not be inspected, so it was not forwarded. Please try again.",
        ),
        // The site's own text replaces this one in `render`.
        Refusal::Maintenance { .. } => ("maintenance", "Down for maintenance", ""),
    }
}

/// Renders a refusal. `request_id` is the proxy's id for this request; `feedback`, the token of
/// the "report a false positive" form ([`crate::feedback`]), offered on block pages only.
pub fn render(r: &Refusal, request_id: &str, json: bool, feedback: Option<&str>) -> Page {
    let status = r.status();
    let (code, title, text) = title_and_text(r);
    let text = match r {
        Refusal::Maintenance { message, .. } => message.as_str(),
        _ => text,
    };
    let rule_id = match r {
        Refusal::Blocked { rule_id }
        | Refusal::Ambiguous { rule_id }
        | Refusal::RateLimited { rule_id, .. } => Some(rule_id),
        _ => None,
    };
    let body = if json {
        let mut v = serde_json::json!({
            "status": status,
            "error": code,
            "message": text,
            "request_id": request_id,
        });
        if let Some(id) = rule_id {
            v["rule_id"] = serde_json::Value::String(id.clone());
        }
        if let Some(token) = feedback {
            v["feedback"] = serde_json::json!({
                "action": FEEDBACK_PATH,
                "request_id": request_id,
                "token": token,
            });
        }
        match r {
            Refusal::RateLimited { retry_after, .. } => {
                v["retry_after"] = serde_json::json!(retry_after.as_secs().max(1));
            }
            Refusal::Maintenance { retry_after, .. } => {
                v["retry_after"] = serde_json::json!(retry_after);
            }
            _ => {}
        }
        v.to_string()
    } else {
        let rule = rule_id
            .map(|id| format!("<p>Rule: <code>{}</code></p>", html_escape(id)))
            .unwrap_or_default();
        let form = feedback
            .map(|t| feedback_form(request_id, t))
            .unwrap_or_default();
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{status} {title}</title>\
<meta name=\"viewport\" content=\"width=device-width\">\
<style>body{{font-family:sans-serif;max-width:40em;margin:4em auto;color:#222}}code{{background:#eee;padding:0 .3em}}</style>\
</head><body><h1>{status} {title}</h1><p>{text}</p>{rule}<p>Request id: <code>{id}</code></p>\
<p><small>If you think this is a mistake, contact the site owner and quote the request id.</small></p>{form}</body></html>\n",
            id = html_escape(request_id),
            text = html_escape(text).replace('\n', "<br>"),
        )
    };
    let mut header = response_header(
        status,
        if json {
            "application/json"
        } else {
            "text/html; charset=utf-8"
        },
        body.len(),
    );
    // The id on the page, also where a client or a log shipper reads it without parsing HTML.
    let _ = header.insert_header("X-Request-Id", request_id);
    match r {
        Refusal::RateLimited { retry_after, .. } => {
            let _ = header.insert_header("Retry-After", retry_after.as_secs().max(1).to_string());
        }
        Refusal::RedirectHttps { location } => {
            let _ = header.insert_header("Location", location.as_str());
        }
        Refusal::Maintenance { retry_after, .. } => {
            let _ = header.insert_header("Retry-After", retry_after.to_string());
        }
        _ => {}
    }
    Page {
        header,
        body: Bytes::from(body),
    }
}

/// The "report a false positive" form: the request id and its token only, never anything of
/// the request itself.
fn feedback_form(request_id: &str, token: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{FEEDBACK_PATH}\">\
<input type=\"hidden\" name=\"request_id\" value=\"{id}\">\
<input type=\"hidden\" name=\"token\" value=\"{token}\">\
<p><label>Report a false positive (optional comment):<br>\
<textarea name=\"comment\" rows=\"3\" cols=\"50\" maxlength=\"{MAX_COMMENT}\"></textarea></label></p>\
<p><button type=\"submit\">Report a false positive</button></p></form>",
        id = html_escape(request_id),
        token = html_escape(token),
    )
}

/// The page answering a posted report: `status` with a short text (the report is never echoed).
pub fn feedback_answer(status: u16, text: &str, json: bool) -> Page {
    let body = if json {
        serde_json::json!({"status": status, "message": text}).to_string()
    } else {
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Report</title></head>\
<body><p>{}</p></body></html>\n",
            html_escape(text)
        )
    };
    let ct = if json {
        "application/json"
    } else {
        "text/html; charset=utf-8"
    };
    Page {
        header: response_header(status, ct, body.len()),
        body: Bytes::from(body),
    }
}

/// A bare response header with the proxy's usual headers.
pub fn response_header(status: u16, content_type: &str, len: usize) -> ResponseHeader {
    let (mut parts, ()) = http::Response::new(()).into_parts();
    parts.status =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut h = ResponseHeader::from(parts);
    let _ = h.insert_header("Content-Type", content_type);
    let _ = h.insert_header("Content-Length", len.to_string());
    let _ = h.insert_header("Cache-Control", "no-store");
    let _ = h.insert_header("X-Content-Type-Options", "nosniff");
    h
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_only_when_preferred() {
        assert!(wants_json(Some(b"application/json")));
        assert!(!wants_json(Some(b"text/html,application/json")));
        assert!(!wants_json(None));
    }

    #[test]
    fn block_page_has_ids() {
        let p = render(
            &Refusal::Blocked {
                rule_id: "942100".into(),
            },
            "abc123",
            false,
            Some("123.abcdef"),
        );
        let body = String::from_utf8_lossy(&p.body);
        assert!(body.contains("abc123") && body.contains("942100"));
        assert!(
            body.contains("action=\"/.well-known/waf-feedback\"")
                && body.contains("name=\"token\" value=\"123.abcdef\""),
            "{body}"
        );
        assert_eq!(p.header.status.as_u16(), 403);
        assert_eq!(
            p.header.headers.get("x-request-id").map(|v| v.as_bytes()),
            Some(&b"abc123"[..])
        );
    }

    #[test]
    fn maintenance_page_escapes_the_sites_text() {
        let r = Refusal::Maintenance {
            message: "Back at <b>5</b> & soon".into(),
            retry_after: 120,
        };
        let p = render(&r, "id1", false, None);
        let body = String::from_utf8_lossy(&p.body);
        assert!(
            body.contains("Back at &lt;b&gt;5&lt;/b&gt; &amp; soon"),
            "{body}"
        );
        assert_eq!(p.header.status.as_u16(), 503);
        assert_eq!(
            p.header.headers.get("Retry-After").map(|v| v.as_bytes()),
            Some(&b"120"[..])
        );
        let j: serde_json::Value =
            serde_json::from_slice(&render(&r, "id1", true, None).body).expect("json");
        assert_eq!(
            (j["error"].as_str(), j["retry_after"].as_u64()),
            (Some("maintenance"), Some(120))
        );
    }
}
