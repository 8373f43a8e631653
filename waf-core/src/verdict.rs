//! What the engine decides about a request.

use serde::{Deserialize, Serialize};

use crate::model::Action;
use crate::request::Location;

/// The class of attack (or of rule) a match belongs to. Stable names, used in events and stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum AttackType {
    /// An ACL rule.
    Acl,
    /// A CC (rate-limit) rule.
    Cc,
    /// A custom rule.
    Custom,
    /// SQL injection.
    Sqli,
    /// Cross-site scripting.
    Xss,
    /// Path traversal / local file inclusion.
    Traversal,
    /// Remote file inclusion.
    Rfi,
    /// OS command injection / remote code execution.
    Rce,
    /// Bash function-definition injection (CVE-2014-6271).
    Shellshock,
    /// PHP code injection.
    PhpInjection,
    /// Java code injection, including Log4Shell JNDI lookups.
    JavaInjection,
    /// Server-side template injection.
    Ssti,
    /// Server-side request forgery (cloud metadata, internal schemes).
    Ssrf,
    /// XML external entities.
    Xxe,
    /// NoSQL (MongoDB operator) injection.
    Nosqli,
    /// CRLF / HTTP header injection.
    Crlf,
    /// LDAP injection.
    Ldap,
    /// Mail (SMTP/IMAP header) injection.
    MailInjection,
    /// Server-side includes.
    Ssi,
    /// Known scanner or attack-tool user agents.
    Scanner,
    /// Probes for sensitive files (`/.env`, `/.git/`, backups).
    SensitiveFile,
    /// Protocol anomalies (bad encodings, null bytes, oversize).
    Protocol,
}

impl AttackType {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttackType::Acl => "acl",
            AttackType::Cc => "cc",
            AttackType::Custom => "custom",
            AttackType::Sqli => "sqli",
            AttackType::Xss => "xss",
            AttackType::Traversal => "traversal",
            AttackType::Rfi => "rfi",
            AttackType::Rce => "rce",
            AttackType::Shellshock => "shellshock",
            AttackType::PhpInjection => "php_injection",
            AttackType::JavaInjection => "java_injection",
            AttackType::Ssti => "ssti",
            AttackType::Ssrf => "ssrf",
            AttackType::Xxe => "xxe",
            AttackType::Nosqli => "nosqli",
            AttackType::Crlf => "crlf",
            AttackType::Ldap => "ldap",
            AttackType::MailInjection => "mail_injection",
            AttackType::Ssi => "ssi",
            AttackType::Scanner => "scanner",
            AttackType::SensitiveFile => "sensitive_file",
            AttackType::Protocol => "protocol",
        }
    }
}

/// Which rule of which stage a match is of. Its [`Display`](std::fmt::Display) is the
/// [`Match::rule_id`] that events, metrics, logs and the API show: the managed rule's number,
/// `acl_<id>`, `custom_<id>` or `cc_<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RuleRef {
    /// A managed rule, by its number.
    Managed(u32),
    /// An ACL rule, by its id.
    Acl(u64),
    /// A custom rule, by its id.
    Custom(String),
    /// A CC rule, by its id.
    Cc(u64),
}

impl std::fmt::Display for RuleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleRef::Managed(id) => write!(f, "{id}"),
            RuleRef::Acl(id) => write!(f, "acl_{id}"),
            RuleRef::Custom(id) => write!(f, "custom_{id}"),
            RuleRef::Cc(id) => write!(f, "cc_{id}"),
        }
    }
}

/// One rule that matched, with where and on what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    /// Stable rule id: a [`RuleRef`] as text (`acl_<n>`, `cc_<n>`, `custom_<id>` or the managed
    /// rule number).
    pub rule_id: String,
    /// Human-readable rule name.
    pub rule_name: String,
    /// Attack class.
    pub attack_type: AttackType,
    /// The rule's action (before `log_only` is applied).
    pub action: Action,
    /// Where it matched (`path`, `query_arg`, `header`, ...); `request` for whole-request rules.
    pub target: String,
    /// Parameter, header or cookie name, if any.
    pub parameter: Option<String>,
    /// A short excerpt of the matched value, at most [`SNIPPET_MAX`] bytes. For logs only:
    /// never put it in a response.
    pub snippet: String,
}

/// Longest snippet kept in a [`Match`].
pub const SNIPPET_MAX: usize = 120;

impl Match {
    pub(crate) fn at(
        rule: RuleRef,
        rule_name: &str,
        attack_type: AttackType,
        action: Action,
        loc: Option<Location>,
        parameter: &str,
        value: &str,
    ) -> Match {
        let mut end = value.len().min(SNIPPET_MAX);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        Match {
            rule_id: rule.to_string(),
            rule_name: rule_name.to_string(),
            attack_type,
            action,
            target: loc.map_or("request", Location::as_str).to_string(),
            parameter: if parameter.is_empty() {
                None
            } else {
                Some(parameter.to_string())
            },
            snippet: value[..end].to_string(),
        }
    }
}

/// The engine's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// `allow` (pass), `block`, `challenge` or `log` (pass and record).
    pub action: Action,
    /// The deciding match; `None` when nothing matched.
    pub matched: Option<Match>,
    /// Further `log` matches recorded on the way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logged: Vec<Match>,
}

impl Verdict {
    /// Nothing matched: pass.
    pub fn pass() -> Verdict {
        Verdict {
            action: Action::Allow,
            matched: None,
            logged: Vec::new(),
        }
    }
    /// True for block, challenge and captcha.
    pub fn is_blocking(&self) -> bool {
        matches!(
            self.action,
            Action::Block | Action::Challenge | Action::Captcha
        )
    }
}

#[cfg(test)]
mod tests {
    use super::RuleRef;

    /// The ids events and the API have always shown.
    #[test]
    fn rule_refs_read_as_the_ids_logs_show() {
        assert_eq!(RuleRef::Managed(2001).to_string(), "2001");
        assert_eq!(RuleRef::Acl(7).to_string(), "acl_7");
        assert_eq!(
            RuleRef::Custom("api-key".into()).to_string(),
            "custom_api-key"
        );
        assert_eq!(RuleRef::Cc(3).to_string(), "cc_3");
    }
}
