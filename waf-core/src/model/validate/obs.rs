//! Validation of the observation room's sections: the configuration's ranges, and each rule's
//! conditions (its judges are checked by the custom-rule validator, so both kinds of rules accept
//! and refuse exactly the same judges).

use std::str::FromStr;

use ipnet::IpNet;

use super::ctx::Ctx;
use super::rules::custom;
use crate::error::RuleError;
use crate::model::raw::RawCustomRule;
use crate::model::raw::{RawObsRule, RawObservation};
use crate::model::Action;
use crate::model::{ObsConfig, ObsRule};

/// The configuration, or the reason it is refused (naming the field).
pub(super) fn config(r: &RawObservation) -> Result<ObsConfig, (&'static str, String)> {
    if r.body_limit > ObsConfig::MAX_BODY_LIMIT {
        return Err(("body_limit", "must be 0 to 1048576 bytes".into()));
    }
    if !ObsConfig::RECORDS.contains(&r.max_records) {
        return Err(("max_records", "must be 100 to 1000000".into()));
    }
    if !ObsConfig::AGE_HOURS.contains(&r.max_age_hours) {
        return Err(("max_age_hours", "must be 1 to 8760".into()));
    }
    if !(1..=100).contains(&r.sample_rate) {
        return Err(("sample_rate", "must be 1 to 100".into()));
    }
    let names =
        |field: &'static str, v: &[String]| -> Result<Vec<String>, (&'static str, String)> {
            if v.len() > 100 {
                return Err((field, "at most 100 names".into()));
            }
            v.iter()
                .map(|n| {
                    let n = n.trim();
                    let token = !n.is_empty()
                        && n.len() <= 128
                        && n.bytes()
                            .all(|b| b.is_ascii_graphic() && !b"=;,\"\\".contains(&b));
                    if token {
                        Ok(n.to_ascii_lowercase())
                    } else {
                        Err((field, format!("{n:?} is not a cookie or header name")))
                    }
                })
                .collect()
        };
    Ok(ObsConfig {
        enabled: r.enabled,
        body_limit: r.body_limit,
        max_records: r.max_records,
        max_age_hours: r.max_age_hours,
        sample_rate: r.sample_rate,
        redact: r.redact,
        redact_cookies: names("redact_cookies", &r.redact_cookies)?,
        redact_headers: names("redact_headers", &r.redact_headers)?,
    })
}

/// One rule.
pub(super) fn rule(r: &RawObsRule, c: &Ctx) -> Result<ObsRule, RuleError> {
    if r.name.trim().is_empty() || r.name.chars().count() > 200 {
        return Err(c.err("name", "1 to 200 characters"));
    }
    let host = match r.host.as_deref().map(str::trim) {
        None | Some("") | Some("*") => None,
        Some(h) if h.len() <= 253 && !h.contains(['/', ' ', '?', '#']) => {
            Some(h.to_ascii_lowercase())
        }
        Some(_) => return Err(c.err("host", "a host name, or * for every host")),
    };
    let path = match r.path.as_deref().map(str::trim) {
        None | Some("") | Some("/") => None,
        Some(p) if p.starts_with('/') && p.len() <= 2048 => Some(p.to_string()),
        Some(_) => return Err(c.err("path", "a path prefix starting with /")),
    };
    let ip = match r.ip.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(
            IpNet::from_str(p)
                .or_else(|_| std::net::IpAddr::from_str(p).map(IpNet::from))
                .map_err(|_| c.err("ip", format!("{p:?} is not an IPv4/IPv6 address or CIDR")))?
                .trunc(),
        ),
    };
    let mut methods = Vec::new();
    for m in r.method.split(',').map(str::trim) {
        if m.eq_ignore_ascii_case("any") || m.is_empty() {
            continue;
        }
        if m.len() > 20 || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(c.err("method", "`any`, or HTTP methods separated by commas"));
        }
        methods.push(m.to_ascii_uppercase());
    }
    if r.method
        .split(',')
        .any(|m| m.trim().eq_ignore_ascii_case("any"))
    {
        methods.clear();
    }
    let judges = if r.judges.is_empty() {
        Vec::new()
    } else {
        // The custom-rule validator checks the judges (and names `judges[i].field` on error).
        let as_custom = RawCustomRule {
            id: r.id.to_string(),
            name: r.name.clone(),
            method: "any".into(),
            action: Action::Log,
            relation: r.relation,
            judges: r.judges.clone(),
            enabled: true,
            description: String::new(),
        };
        custom(&as_custom, c)?.judges
    };
    Ok(ObsRule {
        id: r.id,
        name: r.name.trim().to_string(),
        host,
        path,
        ip,
        methods,
        relation: r.relation,
        judges,
    })
}
