//! The attack event: one JSON line per block, challenge or log verdict, written by the proxy and
//! ingested by waf-admin; the reports and the observation records travel the same way.

use serde::{Deserialize, Serialize};

/// One attack event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttackEvent {
    /// Unix time in milliseconds.
    pub ts_ms: u64,
    /// Request id (also shown on the block page).
    pub request_id: String,
    /// Site id (0 when no site matched).
    pub site_id: u64,
    /// Host header.
    pub host: String,
    /// Method.
    pub method: String,
    /// Host + path + query, truncated to 2 KiB.
    pub url: String,
    /// Client IP.
    pub client_ip: String,
    /// ISO country, if known.
    #[serde(default)]
    pub country: Option<String>,
    /// User agent, truncated.
    #[serde(default)]
    pub user_agent: String,
    /// Rule id.
    pub rule_id: String,
    /// Rule name.
    pub rule_name: String,
    /// Attack type name.
    pub attack_type: String,
    /// Action taken: block, challenge or log.
    pub action: String,
    /// Where the rule matched.
    #[serde(default)]
    pub target: String,
    /// Parameter name.
    #[serde(default)]
    pub parameter: Option<String>,
    /// Truncated excerpt of the matched value.
    #[serde(default)]
    pub snippet: String,
}

/// A "report a false positive" filed from a block page, written by the proxy to the same event
/// log as the attack events (as a [`FeedbackLine`]) and ingested by waf-admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackEvent {
    /// Unix time in milliseconds.
    pub ts_ms: u64,
    /// Request id of the blocked request the report is about (checked by the proxy's signed token).
    pub request_id: String,
    /// Client IP that filed it (the one the token was issued to).
    pub client_ip: String,
    /// Host the block page was served for.
    pub host: String,
    /// The user's comment, bounded by the proxy.
    #[serde(default)]
    pub comment: String,
}

/// One feedback line of the event log: `{"feedback": {...}}`, which never parses as an
/// [`AttackEvent`] (it lacks the event's fields), so readers tell the two apart by shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackLine {
    /// The report.
    pub feedback: FeedbackEvent,
}

/// One recorded header: name and value (the value redacted as the observation configuration
/// says).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderLine {
    /// Name as sent.
    pub name: String,
    /// Value (non-UTF-8 bytes replaced).
    pub value: String,
}

/// One side's body as recorded: a prefix of at most the configured limit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyPrefix {
    /// The bytes kept, base64 (standard alphabet, padded).
    pub data: String,
    /// Bytes that went through the WAF in all (more than kept when truncated).
    pub size: u64,
    /// Whether bytes were left out because of the limit.
    pub truncated: bool,
}

/// One exchange recorded by an observation rule: the request as received (line, headers, a body
/// prefix) and the response as sent to the client (status, headers, a body prefix), the WAF's
/// own refusal page when it refused the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationRecord {
    /// Unix time in milliseconds when the exchange ended.
    pub ts_ms: u64,
    /// Request id (the one of the block page and the attack events).
    pub request_id: String,
    /// The observation rule that matched.
    pub rule_id: u64,
    /// Its name.
    pub rule_name: String,
    /// Site id (0 when no site matched).
    pub site_id: u64,
    /// Host, lower case, without port.
    pub host: String,
    /// Client IP.
    pub client_ip: String,
    /// Method.
    pub method: String,
    /// Request target (path and query) as sent.
    pub uri: String,
    /// `HTTP/1.1`, `HTTP/2`, ...
    pub version: String,
    /// Request headers in arrival order.
    pub request_headers: Vec<HeaderLine>,
    /// Request body prefix (as sent: not decoded).
    pub request_body: BodyPrefix,
    /// Response status (0 when no response was sent).
    pub status: u16,
    /// Response headers as sent to the client.
    pub response_headers: Vec<HeaderLine>,
    /// Response body prefix as sent to the client.
    pub response_body: BodyPrefix,
    /// Whether the WAF refused the request (its page is the response).
    pub blocked: bool,
    /// Milliseconds from the request head to the end of the exchange.
    pub duration_ms: u64,
}

/// One observation line of the event log: `{"observation": {...}}` (never parses as an
/// [`AttackEvent`] or a [`FeedbackLine`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationLine {
    /// The record.
    pub observation: ObservationRecord,
}
