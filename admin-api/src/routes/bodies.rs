//! Response bodies shared by several route modules: `{"message"}`, a rule-set write answered
//! with what the proxy said (`reload`), a created rule's id, a toggle, the proxy's answer to a
//! command, a batch delete's count, a clearance cookie. Handlers build and return these, so
//! `/openapi.yaml` says what they answer.

use serde::Serialize;
use utoipa::ToSchema;
use waf_core::control::ControlResponse;

use crate::proxy::ReloadOutcome;

/// `{"message"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    /// What was done, in words.
    pub message: String,
}

impl Message {
    /// `{"message": m}`.
    pub fn new(m: impl Into<String>) -> Self {
        Message { message: m.into() }
    }
}

/// `{"message", "reload"}`: a change of the rule set, saved, and what the proxy said.
#[derive(Debug, Serialize, ToSchema)]
pub struct Saved {
    /// What was done, in words.
    pub message: String,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

impl Saved {
    /// `{"message": m, "reload": reload}`.
    pub fn new(m: impl Into<String>, reload: ReloadOutcome) -> Self {
        Saved {
            message: m.into(),
            reload,
        }
    }
}

/// `{"id", "message", "reload"}`: a rule created with a numeric id.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// The new rule's id (never reused after a delete).
    pub id: u64,
    /// What was done, in words.
    pub message: String,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

/// `{"message", "enabled", "reload"}`: a rule turned on or off.
#[derive(Debug, Serialize, ToSchema)]
pub struct Toggled {
    /// `... enabled` or `... disabled`.
    pub message: String,
    /// The new state.
    pub enabled: bool,
    /// Whether the running proxy serves the change.
    pub reload: ReloadOutcome,
}

/// `{"message", "proxy"}`: the running proxy did what it was told (reload, clear counters).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProxyAnswered {
    /// What was done, in words.
    pub message: String,
    /// The proxy's answer.
    #[schema(value_type = Object)]
    pub proxy: ControlResponse,
}

/// `{"message", "affected"}`: a batch delete or revoke.
#[derive(Debug, Serialize, ToSchema)]
pub struct Affected {
    /// What was done, in words.
    pub message: String,
    /// How many rows it removed.
    pub affected: usize,
}

/// A solved captcha or proof-of-work challenge: waf-proxy's clearance cookie for the client IP.
#[derive(Debug, Serialize, ToSchema)]
pub struct Clearance {
    /// `Captcha passed` or `Challenge passed`.
    pub message: String,
    /// Always true (a failed answer is a 400).
    pub valid: bool,
    /// The clearance cookie as `name=value`, to send to waf-proxy from the same IP.
    pub cookie: String,
    /// The whole `Set-Cookie` value.
    pub set_cookie: String,
    /// Unix time the clearance ends.
    pub expires_at: u64,
}
