//! The attack event: one JSON line per block, challenge or log verdict, written by the proxy and
//! ingested by waf-admin.

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
