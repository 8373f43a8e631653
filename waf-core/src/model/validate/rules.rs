//! Validation of the rules of the rule files: ACL, CC and custom rules, and the text patterns
//! they match with.

use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;

use super::ctx::Ctx;
use crate::error::RuleError;
use crate::model::raw::{AclRuleType, AclScope, RawAclRule, RawCcRule, RawCustomRule};
use crate::model::{
    AclMatcher, AclRule, Action, CcRule, CustomRule, Judge, JudgeMatcher, Position, RegexPattern,
    TextPattern,
};

fn text_pattern(p: &str) -> Result<TextPattern, String> {
    if let Some(re) = p.strip_prefix("re:") {
        Ok(TextPattern::Regex(RegexPattern::new(re)?))
    } else if p.is_empty() {
        Err("empty pattern".into())
    } else {
        Ok(TextPattern::Literal(p.to_ascii_lowercase()))
    }
}

pub(super) fn acl(r: &RawAclRule, c: &Ctx) -> Result<AclRule, RuleError> {
    let host = match (r.scope, &r.host) {
        (AclScope::Host, Some(h)) if !h.trim().is_empty() => Some(h.trim().to_ascii_lowercase()),
        (AclScope::Host, _) => return Err(c.err("host", "required when type is host")),
        (AclScope::Global, _) => None,
    };
    if matches!(r.action, Action::Challenge | Action::Captcha) {
        return Err(c.err("action", "ACL actions are block, allow or log"));
    }
    let p = r.pattern.trim();
    let matcher = match r.rule_type {
        AclRuleType::Ip => {
            let net = IpNet::from_str(p)
                .or_else(|_| std::net::IpAddr::from_str(p).map(IpNet::from))
                .map_err(|_| {
                    c.err(
                        "pattern",
                        format!("{p:?} is not an IPv4/IPv6 address or CIDR"),
                    )
                })?;
            AclMatcher::Ip(net.trunc())
        }
        AclRuleType::Ua => AclMatcher::Ua(text_pattern(p).map_err(|e| c.err("pattern", e))?),
        AclRuleType::Referer => {
            AclMatcher::Referer(text_pattern(p).map_err(|e| c.err("pattern", e))?)
        }
        AclRuleType::Url => {
            let tp = text_pattern(p).map_err(|e| c.err("pattern", e))?;
            if let TextPattern::Literal(l) = &tp {
                if !l.starts_with('/') {
                    return Err(c.err("pattern", "a URL prefix must start with / (or use re:)"));
                }
                // Paths are case-sensitive: keep the literal as written.
                return Ok(AclRule {
                    id: r.id,
                    host,
                    matcher: AclMatcher::Url(TextPattern::Literal(p.to_string())),
                    action: r.action,
                    description: r.description.clone(),
                });
            }
            AclMatcher::Url(tp)
        }
        AclRuleType::Header => {
            let (name, value) = match p.split_once(':') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (p, None),
            };
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(c.err(
                    "pattern",
                    "expected `Header-Name`, `Header-Name: substring` or `Header-Name: re:regex`",
                ));
            }
            let value = match value {
                Some(v) if !v.is_empty() => Some(text_pattern(v).map_err(|e| c.err("pattern", e))?),
                _ => None,
            };
            AclMatcher::Header {
                name: name.to_ascii_lowercase(),
                value,
            }
        }
        AclRuleType::Country => {
            let cc = p.to_ascii_uppercase();
            if cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(c.err(
                    "pattern",
                    format!("{p:?} is not an ISO 3166-1 alpha-2 country code"),
                ));
            }
            AclMatcher::Country(cc)
        }
        AclRuleType::Method => {
            let ms: Vec<String> = p
                .split(',')
                .map(|m| m.trim().to_ascii_uppercase())
                .filter(|m| !m.is_empty())
                .collect();
            if ms.is_empty()
                || ms
                    .iter()
                    .any(|m| !m.bytes().all(|b| b.is_ascii_uppercase()))
            {
                return Err(c.err("pattern", "expected HTTP method names, comma separated"));
            }
            AclMatcher::Method(ms)
        }
    };
    Ok(AclRule {
        id: r.id,
        host,
        matcher,
        action: r.action,
        description: r.description.clone(),
    })
}

pub(super) fn cc(r: &RawCcRule, c: &Ctx) -> Result<CcRule, RuleError> {
    if r.threshold == 0 {
        return Err(c.err("threshold", "must be at least 1"));
    }
    if r.window == 0 || r.window > 86_400 {
        return Err(c.err("window", "must be 1-86400 seconds"));
    }
    if r.ban_duration > 30 * 86_400 {
        return Err(c.err("ban_duration", "must be at most 30 days"));
    }
    if !matches!(
        r.action,
        Action::Block | Action::Challenge | Action::Captcha
    ) {
        return Err(c.err("action", "CC actions are block, challenge or captcha"));
    }
    if !r.path.starts_with('/') {
        return Err(c.err("path", "must start with /"));
    }
    let host = r.host.trim();
    Ok(CcRule {
        id: r.id,
        host: if host == "*" || host.is_empty() {
            None
        } else {
            Some(host.to_ascii_lowercase())
        },
        path: r.path.clone(),
        threshold: r.threshold,
        window: Duration::from_secs(r.window),
        ban_duration: Duration::from_secs(r.ban_duration),
        action: r.action,
    })
}

pub(super) fn custom(r: &RawCustomRule, c: &Ctx) -> Result<CustomRule, RuleError> {
    if r.id.is_empty()
        || r.id.len() > 64
        || !r
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(c.err("id", "must be 1-64 letters, digits, - or _"));
    }
    if r.name.trim().is_empty() {
        return Err(c.err("name", "must not be empty"));
    }
    if r.action == Action::Captcha {
        return Err(c.err("action", "captcha is a CC action only"));
    }
    let method = match r.method.trim() {
        m if m.eq_ignore_ascii_case("any") || m.is_empty() => None,
        m if m.bytes().all(|b| b.is_ascii_alphabetic()) => Some(m.to_ascii_uppercase()),
        _ => return Err(c.err("method", "expected `any` or an HTTP method")),
    };
    if r.judges.is_empty() {
        return Err(c.err("judges", "at least one judge is required"));
    }
    let mut judges = Vec::with_capacity(r.judges.len());
    for (i, j) in r.judges.iter().enumerate() {
        let f = |leaf: &str| format!("judges[{i}].{leaf}");
        let matcher = match (&j.content, &j.keyword, &j.rix) {
            (None, None, Some(rix)) => {
                JudgeMatcher::Regex(RegexPattern::new(rix).map_err(|e| c.err(&f("rix"), e))?)
            }
            (content, keyword, None) if content.is_some() || keyword.is_some() => {
                let mut v: Vec<String> = content
                    .iter()
                    .flat_map(|c| c.as_slice().iter())
                    .chain(keyword.iter())
                    .map(|s| s.to_lowercase())
                    .collect();
                v.retain(|s| !s.is_empty());
                if v.is_empty() {
                    return Err(c.err(&f("content"), "must not be empty"));
                }
                JudgeMatcher::Contents(v)
            }
            (_, _, Some(_)) => {
                return Err(c.err(&f("rix"), "give either content/keyword or rix, not both"))
            }
            _ => return Err(c.err(&f("content"), "one of content, keyword or rix is required")),
        };
        let header = match (&j.header, j.position) {
            (Some(h), Position::RequestHeader) => Some(h.trim().to_ascii_lowercase()),
            (Some(_), _) => {
                return Err(c.err(&f("header"), "only allowed with position request_header"))
            }
            (None, _) => None,
        };
        judges.push(Judge {
            position: j.position,
            header,
            matcher,
            negate: j.negate,
        });
    }
    Ok(CustomRule {
        id: r.id.clone(),
        name: r.name.clone(),
        method,
        action: r.action,
        relation: r.relation,
        judges,
    })
}
