//! The observation room's compiled rules: which exchanges waf-proxy records, decided from the
//! policy, and the redaction applied to what it records ([`redact`]).
//!
//! Two steps, so that a site without observation rules pays nothing and an observed one pays
//! for buffering only when it may record: [`Observation::may_observe`] looks at the request line
//! alone (host, path prefix, client network, method) when the request starts; at the end of the
//! exchange [`crate::Policy::observe`] evaluates the judges (compiled by the custom-rule compiler,
//! [`CompiledCustom`]) over the request line, headers and the body prefix recorded.

pub mod redact;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::custom::CompiledCustom;
use crate::error::RuleErrors;
use crate::model::{Action, CustomRule, ObsConfig, ObsRule, RuleSet};
use crate::normalize;
use crate::request::Request;

/// The compiled observation rules of a policy.
#[derive(Debug, Default)]
pub struct Observation {
    config: ObsConfig,
    rules: Vec<ObsRule>,
    /// The judges of the rules that have some, as custom rules whose id is the rule's index.
    judges: CompiledCustom,
    sample: AtomicU64,
}

impl Observation {
    pub(crate) fn compile(set: &RuleSet) -> Result<Observation, RuleErrors> {
        let as_custom: Vec<CustomRule> = set
            .obs_rules
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.judges.is_empty())
            .map(|(i, r)| CustomRule {
                id: i.to_string(),
                name: r.name.clone(),
                method: None,
                action: Action::Log,
                relation: r.relation,
                judges: r.judges.clone(),
            })
            .collect();
        // Errors name the rule by its own id: map `obs_rules:<index>` to its origin.
        let origins: HashMap<String, (String, Option<usize>)> = set
            .obs_rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let o = set.origins.get(&format!("obs_rules:{}", r.id))?;
                Some((format!("obs_rules:{i}"), o.clone()))
            })
            .collect();
        let judges = CompiledCustom::compile_rules(&as_custom, &origins, "obs_rules")?;
        Ok(Observation {
            config: set.observation.clone(),
            rules: set.obs_rules.clone(),
            judges,
            sample: AtomicU64::new(0),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ObsConfig {
        &self.config
    }

    /// The enabled rules, in file order.
    pub fn rules(&self) -> &[ObsRule] {
        &self.rules
    }

    /// Whether a request to `host` for `path` (as sent: it is decoded and made canonical here)
    /// from `ip` with `method` may be recorded: recording is on and some rule's line conditions
    /// hold (its judges are evaluated at the end of the exchange). Cost: nothing when no rule
    /// exists; otherwise one pass over the rules, and the path's decoding only if one has a path.
    pub fn may_observe(&self, host: &str, path: &str, ip: Option<IpAddr>, method: &str) -> bool {
        if self.rules.is_empty() || !self.config.enabled {
            return false;
        }
        // The canonical path is computed once, and only when some rule has a path condition.
        let canonical = self
            .rules
            .iter()
            .any(|r| r.path.is_some())
            .then(|| normalize::request_path(path));
        self.rules
            .iter()
            .any(|r| line_holds(r, host, canonical.as_deref(), ip, method))
    }

    /// Whether this exchange is one of the sampled ones (`sample_rate` percent of them, spread
    /// evenly: one counter per policy).
    pub fn sampled(&self) -> bool {
        let rate = u64::from(self.config.sample_rate);
        rate >= 100 || self.sample.fetch_add(1, Ordering::Relaxed) % 100 < rate
    }

    /// The first rule matching `req` (line conditions, then judges), given the judges that fired
    /// on it. `hits` is scratch space.
    pub(crate) fn first_match(
        &self,
        req: &Request,
        pset: &mut Vec<usize>,
        fired: &mut Vec<usize>,
        hits: &mut Vec<bool>,
    ) -> Option<&ObsRule> {
        let path = normalize::request_path(req.path());
        let ip = req.client_ip;
        let mut candidates = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| line_holds(r, req.host, Some(&path), ip, req.method))
            .peekable();
        candidates.peek()?;
        let mut judged: Vec<usize> = Vec::new();
        if !self.judges.is_empty() {
            self.judges.scan_request(req, pset, fired);
            self.judges.evaluate(req.method, fired, hits, &mut |r| {
                if let Ok(i) = r.id.parse() {
                    judged.push(i);
                }
                false
            });
        }
        candidates
            .find(|(i, r)| r.judges.is_empty() || judged.contains(i))
            .map(|(_, r)| r)
    }
}

/// Whether the line conditions of `r` hold (`path` is the canonical path, `None` when the rule
/// has no path condition and it was not computed).
fn line_holds(
    r: &ObsRule,
    host: &str,
    path: Option<&str>,
    ip: Option<IpAddr>,
    method: &str,
) -> bool {
    r.host
        .as_deref()
        .is_none_or(|h| h.eq_ignore_ascii_case(crate::request::host_without_port(host)))
        && r.path
            .as_deref()
            .is_none_or(|p| path.is_some_and(|path| path.starts_with(p)))
        && r.ip
            .is_none_or(|net| ip.is_some_and(|ip| net.contains(&unmapped(ip))))
        && (r.methods.is_empty() || r.methods.iter().any(|m| m.eq_ignore_ascii_case(method)))
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests;
