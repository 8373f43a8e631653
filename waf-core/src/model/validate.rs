//! Raw -> validated conversion of a rule file: settings, managed switches, sites and the order
//! of checks (the rules themselves are in `rules`; locating rules and fields in the YAML text is
//! in `locate`).

use std::collections::HashSet;

use super::locate::{index_rules, locate_key};
use super::raw::{self, RawFile, RawSite};
use super::*;

mod ctx;
mod obs;
mod rules;

use ctx::Ctx;
use rules::{acl, cc, custom};

pub(super) fn file(
    src: &SourceFile,
    f: RawFile,
    set: &mut RuleSet,
    errors: &mut RuleErrors,
    ids: &mut HashSet<String>,
    settings_from: &mut Option<String>,
    managed_seen: &mut bool,
) {
    if let Some(s) = &f.settings {
        if let Some(prev) = settings_from {
            errors.push(RuleError::file(
                &src.name,
                locate_key(&src.text, "settings"),
                format!("settings already given in {prev}"),
            ));
        } else {
            *settings_from = Some(src.name.clone());
            match settings(s, &src.name, &src.text) {
                Ok(v) => set.settings = v,
                Err(e) => errors.push(e),
            }
        }
    }
    if let Some(m) = &f.managed {
        if *managed_seen {
            errors.push(RuleError::file(
                &src.name,
                locate_key(&src.text, "managed"),
                "managed section given twice",
            ));
        }
        *managed_seen = true;
        set.managed
            .disabled_rules
            .extend(m.disabled_rules.iter().copied());
        for x in &m.exclusions {
            match exclusion(x) {
                Ok(x) => set.managed.exclusions.push(x),
                Err(reason) => errors.push(RuleError {
                    field: Some("managed.exclusions".into()),
                    ..RuleError::file(&src.name, locate_key(&src.text, "managed"), reason)
                }),
            }
        }
    }
    if let Some(o) = &f.observation {
        // At most one `observation` section in the set (its key in `ids` marks it as seen).
        if !ids.insert("observation".into()) {
            errors.push(RuleError::file(
                &src.name,
                locate_key(&src.text, "observation"),
                "observation section given twice",
            ));
        } else {
            match obs::config(o) {
                Ok(v) => set.observation = v,
                Err((field, reason)) => errors.push(RuleError {
                    field: Some(format!("observation.{field}")),
                    ..RuleError::file(&src.name, locate_key(&src.text, "observation"), reason)
                }),
            }
        }
    }
    let lines = index_rules(&src.text);
    let lines = &lines;
    let mut unique = |kind: &'static str, id: String, errors: &mut RuleErrors| -> bool {
        let key = format!("{kind}:{id}");
        let line = lines.get(&(kind.to_string(), id.clone())).copied();
        if !ids.insert(key.clone()) {
            let c = Ctx {
                src,
                kind,
                id,
                lines,
            };
            errors.push(c.err("id", format!("duplicate {kind} id")));
            return false;
        }
        set.origins.insert(key, (src.name.clone(), line));
        true
    };
    for r in &f.acl {
        if !unique("acl", r.id.to_string(), errors) || !r.enabled {
            continue;
        }
        match acl(
            r,
            &Ctx {
                src,
                kind: "acl",
                id: r.id.to_string(),
                lines,
            },
        ) {
            Ok(v) => set.acl.push(v),
            Err(e) => errors.push(e),
        }
    }
    for r in &f.cc {
        if !unique("cc", r.id.to_string(), errors) || !r.enabled {
            continue;
        }
        match cc(
            r,
            &Ctx {
                src,
                kind: "cc",
                id: r.id.to_string(),
                lines,
            },
        ) {
            Ok(v) => set.cc.push(v),
            Err(e) => errors.push(e),
        }
    }
    for r in &f.custom_rules {
        if !unique("custom_rules", r.id.clone(), errors) || !r.enabled {
            if !r.enabled {
                // Disabled rules are still validated: a bad rule must not wait to be enabled to fail.
                if let Err(e) = custom(
                    r,
                    &Ctx {
                        src,
                        kind: "custom_rules",
                        id: r.id.clone(),
                        lines,
                    },
                ) {
                    errors.push(e);
                }
            }
            continue;
        }
        match custom(
            r,
            &Ctx {
                src,
                kind: "custom_rules",
                id: r.id.clone(),
                lines,
            },
        ) {
            Ok(v) => set.custom.push(v),
            Err(e) => errors.push(e),
        }
    }
    for r in &f.obs_rules {
        if !unique("obs_rules", r.id.to_string(), errors) {
            continue;
        }
        let c = Ctx {
            src,
            kind: "obs_rules",
            id: r.id.to_string(),
            lines,
        };
        // Disabled rules are validated too, and then left out.
        match obs::rule(r, &c) {
            Ok(v) if r.enabled => set.obs_rules.push(v),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    for r in &f.sites {
        if !unique("sites", r.id.to_string(), errors) {
            continue;
        }
        match site(
            r,
            &Ctx {
                src,
                kind: "sites",
                id: r.id.to_string(),
                lines,
            },
        ) {
            Ok(v) => set.sites.push(v),
            Err(e) => errors.push(e),
        }
    }
}

pub(super) fn settings(
    s: &raw::RawSettings,
    file: &str,
    text: &str,
) -> Result<Settings, RuleError> {
    let bad = |field: &str, reason: &str| RuleError {
        file: file.to_string(),
        line: locate_key(text, field),
        rule_id: None,
        field: Some(format!("settings.{field}")),
        reason: reason.to_string(),
    };
    if s.base64_depth > 4 {
        return Err(bad("base64_depth", "must be 0-4"));
    }
    if !(1..=4).contains(&s.url_depth) {
        return Err(bad("url_depth", "must be 1-4"));
    }
    if s.unicode_depth > 4 {
        return Err(bad("unicode_depth", "must be 0-4"));
    }
    if !(1..=100).contains(&s.rule_match_rate) {
        return Err(bad(
            "rule_match_rate",
            "must be 1-100 (percent of requests inspected)",
        ));
    }
    if !(1..=4).contains(&s.sensitivity) {
        return Err(bad("sensitivity", "must be 1-4"));
    }
    if !(1024..=64 * 1024 * 1024).contains(&s.body_limit) {
        return Err(bad("body_limit", "must be 1 KiB-64 MiB"));
    }
    if s.max_args == 0 || s.max_headers == 0 || s.max_value_len == 0 {
        return Err(bad("max_args", "limits must be positive"));
    }
    let tls_versions = match &s.tls_versions {
        None => None,
        Some(list) => {
            let mut out = Vec::with_capacity(list.len());
            for v in list {
                let Some(t) = super::TlsVersion::parse(v) else {
                    return Err(bad(
                        "tls_versions",
                        &format!("unsupported TLS version `{v}` (supported: \"1.2\", \"1.3\")"),
                    ));
                };
                out.push(t);
            }
            out.sort();
            out.dedup();
            if out.is_empty() {
                return Err(bad("tls_versions", "at least one version"));
            }
            Some(out)
        }
    };
    Ok(Settings {
        base64_depth: s.base64_depth,
        url_depth: s.url_depth,
        unicode_depth: s.unicode_depth,
        rule_match_rate: s.rule_match_rate,
        mode: s.mode,
        sensitivity: s.sensitivity,
        body_limit: s.body_limit,
        oversize_body: s.oversize_body,
        max_args: s.max_args,
        max_headers: s.max_headers,
        max_value_len: s.max_value_len,
        request_body_encoding: s.request_body_encoding,
        tls_versions,
    })
}

fn exclusion(x: &raw::RawExclusion) -> Result<Exclusion, String> {
    if !x.path.starts_with('/') {
        return Err(format!("exclusion path {:?} must start with /", x.path));
    }
    if let Some(p) = &x.parameter {
        if p.is_empty() {
            return Err("exclusion parameter must not be empty".into());
        }
    }
    Ok(Exclusion {
        rule_ids: x.rule_ids.clone(),
        path: x.path.clone(),
        parameter: x.parameter.clone(),
        cookie: None,
    })
}

fn site(r: &RawSite, c: &Ctx) -> Result<Site, RuleError> {
    let domains: Vec<String> = r
        .domain
        .split([',', ';', '\n'])
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    if domains.is_empty() {
        return Err(c.err("domain", "at least one domain is required"));
    }
    for d in &domains {
        let body = d.strip_prefix("*.").unwrap_or(d);
        if body.is_empty()
            || !body.bytes().all(|b| {
                b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_' || b == b':'
            })
        {
            return Err(c.err("domain", format!("{d:?} is not a domain name")));
        }
    }
    let mut upstreams: Vec<String> = r
        .target_url
        .iter()
        .chain(r.target_urls.iter())
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .collect();
    upstreams.dedup();
    for u in &upstreams {
        let rest = u
            .strip_prefix("http://")
            .or_else(|| u.strip_prefix("https://"));
        match rest {
            Some(hp) if !hp.is_empty() && !hp.contains(char::is_whitespace) => {}
            _ => {
                return Err(c.err(
                    "target_url",
                    format!("{u:?} is not an http:// or https:// URL"),
                ))
            }
        }
    }
    if r.status > 1 {
        return Err(c.err("status", "must be 1 (enabled) or 0 (disabled)"));
    }
    if let Some(s) = r.sensitivity {
        if !(1..=4).contains(&s) {
            return Err(c.err("sensitivity", "must be 1-4"));
        }
    }
    if r.cert_file.is_some() != r.key_file.is_some() {
        return Err(c.err("cert_file", "cert_file and key_file go together"));
    }
    let mut exclusions = Vec::new();
    for x in &r.exclusions {
        exclusions.push(exclusion(x).map_err(|e| c.err("exclusions", e))?);
    }
    let mut profiles = Vec::new();
    for p in &r.profiles {
        let more = super::profiles::expand(&p.name, &p.path).map_err(|e| c.err("profiles", e))?;
        exclusions.extend(more);
        profiles.push(SiteProfile {
            name: p.name.clone(),
            path: p.path.clone(),
        });
    }
    let maintenance = match &r.maintenance {
        Some(m) => maintenance(m).map_err(|e| c.err("maintenance", e))?,
        None => None,
    };
    let cache = match &r.cache {
        Some(x) => cache(x).map_err(|e| c.err("cache", e))?,
        None => None,
    };
    Ok(Site {
        id: r.id,
        name: r.name.clone(),
        domains,
        upstreams,
        enabled: r.status == 1,
        enable_https: r.enable_https,
        force_https_redirect: r.force_https_redirect,
        http2_upstream: r.enable_http2_upstream,
        cert_file: r.cert_file.clone(),
        key_file: r.key_file.clone(),
        mode: r.mode,
        sensitivity: r.sensitivity,
        disabled_rules: r.disabled_rules.iter().copied().collect(),
        exclusions,
        profiles,
        request_body_encoding: r.request_body_encoding,
        maintenance,
        cache,
    })
}

/// A site's cache block: `None` when off; the TTL checked when on.
fn cache(c: &raw::RawCache) -> Result<Option<SiteCache>, String> {
    let ttl = c.ttl.unwrap_or(SiteCache::DEFAULT_TTL);
    if !(1..=SiteCache::MAX_TTL).contains(&ttl) {
        return Err(format!("ttl: 1-{} seconds", SiteCache::MAX_TTL));
    }
    Ok(c.enabled.then_some(SiteCache {
        ttl,
        cache_set_cookie: c.cache_set_cookie.unwrap_or(false),
    }))
}

/// A site's maintenance block: `None` when off; the text and `Retry-After` checked when on.
fn maintenance(m: &raw::RawMaintenance) -> Result<Option<Maintenance>, String> {
    let message = match m.message.as_deref().map(str::trim) {
        None | Some("") => Maintenance::DEFAULT_MESSAGE.to_string(),
        Some(t) if t.chars().count() > Maintenance::MAX_MESSAGE_CHARS => {
            return Err(format!(
                "message: at most {} characters",
                Maintenance::MAX_MESSAGE_CHARS
            ))
        }
        Some(t) if t.chars().any(|c| c.is_control() && c != '\n') => {
            return Err("message: no control characters but newlines".into())
        }
        Some(t) => t.to_string(),
    };
    let retry_after = m.retry_after.unwrap_or(Maintenance::DEFAULT_RETRY_AFTER);
    if !(1..=Maintenance::MAX_RETRY_AFTER).contains(&retry_after) {
        return Err(format!(
            "retry_after: 1-{} seconds",
            Maintenance::MAX_RETRY_AFTER
        ));
    }
    Ok(m.enabled.then_some(Maintenance {
        message,
        retry_after,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_versions_validated() {
        use super::super::TlsVersion;
        let mut r = raw::RawSettings::default();
        assert_eq!(settings(&r, "f", "").map(|s| s.tls_versions), Ok(None));
        r.tls_versions = Some(vec!["1.3".into(), "TLSv1.2".into(), "1.3".into()]);
        assert_eq!(
            settings(&r, "f", "").map(|s| s.tls_versions),
            Ok(Some(vec![TlsVersion::Tls12, TlsVersion::Tls13]))
        );
        r.tls_versions = Some(vec!["1.1".into()]);
        assert!(settings(&r, "f", "").is_err());
        r.tls_versions = Some(vec![]);
        assert!(settings(&r, "f", "").is_err());
    }
}
