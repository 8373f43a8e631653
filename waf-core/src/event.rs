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
