//! The compiled, immutable policy and per-request evaluation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::acl::CompiledAcl;
use crate::custom::CompiledCustom;
use crate::detect::{self, protocol_ids, Engine};
use crate::error::{RuleError, RuleErrors};
use crate::fields::{has_null, hit_match, scan_value, Fields};
use crate::model::ObsRule;
use crate::model::{
    Action, CcRule, Exclusion, Mode, OversizeBody, RuleSet, Settings, Site, SourceFile,
};
use crate::normalize::{self, Depths};
use crate::observe::Observation;
use crate::parse::{self, FieldRef, Limits, Parts};
use crate::request::{Location, Request};
use crate::reuse::{Lookup, Memos, Reuse, Session, CACHE_ENTRIES};
use crate::verdict::{AttackType, Match, RuleRef, Verdict};

/// How many rules of each kind a policy holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuleCounts {
    /// Enabled ACL rules.
    pub acl: usize,
    /// Enabled CC rules.
    pub cc: usize,
    /// Enabled custom rules.
    pub custom: usize,
    /// Managed rules active at the global sensitivity and not disabled.
    pub managed: usize,
    /// Sites.
    pub sites: usize,
}

impl RuleCounts {
    /// All rules together.
    pub fn total(&self) -> usize {
        self.acl + self.cc + self.custom + self.managed
    }
}

/// Per-request scratch space, reused across requests by one worker to avoid allocations. It
/// also carries the worker's cache of values found clean in earlier requests (see
/// [`Scratch::with_value_cache`]).
#[derive(Debug)]
pub struct Scratch {
    acl_hits: Vec<usize>,
    fired: Vec<usize>,
    judge_hits: Vec<bool>,
    pset: Vec<usize>,
    sig_set: Option<detect::Candidates>,
    pub(crate) memos: Memos,
}

impl Default for Scratch {
    fn default() -> Self {
        Self::with_value_cache(CACHE_ENTRIES)
    }
}

impl Scratch {
    /// Empty scratch space with the default value cache (4,096 entries); it grows to what the
    /// policy needs on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// Scratch space whose cache remembers up to `entries` values (of at most 256 bytes) that
    /// the managed detectors found clean in earlier requests, so that a value a client sends
    /// again (its User-Agent, its cookies, a popular query value) is not decoded and scanned
    /// again. Only clean results are kept, per site, location and header name, confirmed byte
    /// for byte, and forgotten when the policy changes; it is not used on paths with exclusions.
    /// `0` turns it off: every value is then scanned on every request (the cold cost that
    /// `cargo bench -p waf-bench --bench engine -- uncached` measures).
    pub fn with_value_cache(entries: usize) -> Self {
        Scratch {
            acl_hits: Vec::new(),
            fired: Vec::new(),
            judge_hits: Vec::new(),
            pset: Vec::new(),
            sig_set: None,
            memos: Memos::new(entries),
        }
    }
}

/// Source of [`Policy`] ids: every compiled policy gets its own, so that caches of verdicts know
/// which rules they were computed under.
static POLICY_IDS: AtomicU64 = AtomicU64::new(1);

/// Effective settings for one site.
#[derive(Debug, Clone)]
struct SiteView {
    mode: Mode,
    sensitivity: u8,
}

/// A compiled policy. Immutable and shared between threads; swap a new one in to reload.
#[derive(Debug)]
pub struct Policy {
    id: u64,
    version: String,
    settings: Settings,
    rules: RuleSet,
    acl: CompiledAcl,
    custom: CompiledCustom,
    observation: Observation,
    engine: Arc<Engine>,
    exact_hosts: HashMap<String, usize>,
    wildcard_hosts: Vec<(String, usize)>,
    counts: RuleCounts,
    sample: AtomicU64,
    compile_time: std::time::Duration,
}

impl Policy {
    /// Parses, validates and compiles rule-set sources.
    pub fn from_sources(sources: &[SourceFile]) -> Result<Policy, RuleErrors> {
        let set = RuleSet::from_sources(sources)?;
        let mut p = Policy::compile(set)?;
        let mut h = Sha256::new();
        for s in sources {
            h.update(s.name.as_bytes());
            h.update([0]);
            h.update(s.text.as_bytes());
            h.update([0]);
        }
        p.version = hex::encode(&h.finalize()[..6]);
        Ok(p)
    }

    /// The shipped default policy (`rules/` embedded at build time).
    pub fn default_policy() -> Result<Policy, RuleErrors> {
        Policy::from_sources(&crate::default_sources())
    }

    /// Compiles a validated rule set. Cost: linear in the number of rules (one automaton and one
    /// regex per target); a few milliseconds for the managed rules.
    pub fn compile(set: RuleSet) -> Result<Policy, RuleErrors> {
        let start = Instant::now();
        let acl = CompiledAcl::compile(&set)?;
        let custom = CompiledCustom::compile(&set)?;
        let observation = Observation::compile(&set)?;
        let engine = Engine::new()
            .map_err(|e| RuleErrors(vec![RuleError::file("<managed>", None, e.to_string())]))?;
        let mut exact_hosts = HashMap::new();
        let mut wildcard_hosts = Vec::new();
        let mut errors = RuleErrors::default();
        for (i, s) in set.sites.iter().enumerate() {
            for d in &s.domains {
                let prev = if let Some(suffix) = d.strip_prefix("*.") {
                    if wildcard_hosts.iter().any(|(w, _)| w == suffix) {
                        Some(())
                    } else {
                        wildcard_hosts.push((suffix.to_string(), i));
                        None
                    }
                } else {
                    exact_hosts.insert(d.clone(), i).map(|_| ())
                };
                if prev.is_some() {
                    let (file, line) = set
                        .origins
                        .get(&format!("sites:{}", s.id))
                        .cloned()
                        .unwrap_or_default();
                    errors.push(RuleError {
                        file,
                        line,
                        rule_id: Some(s.id.to_string()),
                        field: Some("domain".into()),
                        reason: format!("domain {d} belongs to two sites"),
                    });
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Longest wildcard suffix first.
        wildcard_hosts.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        let managed = detect::catalog()
            .iter()
            .filter(|r| {
                r.level <= set.settings.sensitivity && !set.managed.disabled_rules.contains(&r.id)
            })
            .count();
        let counts = RuleCounts {
            acl: set.acl.len(),
            cc: set.cc.len(),
            custom: set.custom.len(),
            managed,
            sites: set.sites.len(),
        };
        Ok(Policy {
            id: POLICY_IDS.fetch_add(1, Ordering::Relaxed),
            version: String::from("unversioned"),
            settings: set.settings.clone(),
            acl,
            custom,
            observation,
            engine: Arc::new(engine),
            exact_hosts,
            wildcard_hosts,
            counts,
            rules: set,
            sample: AtomicU64::new(0),
            compile_time: start.elapsed(),
        })
    }

    /// A short content hash of the sources this policy was built from.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Rule counts.
    pub fn counts(&self) -> &RuleCounts {
        &self.counts
    }

    /// How long compilation took.
    pub fn compile_time(&self) -> std::time::Duration {
        self.compile_time
    }

    /// Global settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The validated rule set the policy was compiled from.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The site serving `host` (port ignored, case-insensitive): exact domain first, then the
    /// longest `*.` wildcard.
    pub fn site_for_host(&self, host: &str) -> Option<&Site> {
        // A policy without sites (one upstream for every host): nothing to look up.
        if self.rules.sites.is_empty() {
            return None;
        }
        let host = crate::request::host_without_port(host);
        let lower;
        let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = host.to_ascii_lowercase();
            &lower
        } else {
            host
        };
        if let Some(&i) = self.exact_hosts.get(host) {
            return self.rules.sites.get(i);
        }
        self.wildcard_hosts
            .iter()
            .find(|(suffix, _)| {
                host.len() > suffix.len() + 1
                    && host.ends_with(suffix.as_str())
                    && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
            })
            .and_then(|(_, i)| self.rules.sites.get(*i))
    }

    /// The observation room's rules and configuration.
    pub fn observation(&self) -> &Observation {
        &self.observation
    }

    /// The first observation rule matching an exchange's request (its line, headers and the
    /// body prefix recorded), or `None`. Never changes a verdict: it is asked at the end of the
    /// exchange, of requests [`Observation::may_observe`] let through. Cost: one scan of the
    /// request by the judges' automata when some rule has judges, nothing more otherwise.
    pub fn observe(&self, req: &Request, scratch: &mut Scratch) -> Option<&ObsRule> {
        self.observation.first_match(
            req,
            &mut scratch.pset,
            &mut scratch.fired,
            &mut scratch.judge_hits,
        )
    }

    /// Whether a CC rule with this id is in the policy.
    pub fn has_cc_rule(&self, id: u64) -> bool {
        self.rules.cc.iter().any(|r| r.id == id)
    }

    /// CC rules that apply to this host and path, in file order. `path` is the request's path as
    /// sent; rules match its decoded, canonical form ([`normalize::request_path`]), so that
    /// `/%6cogin` and `//login` count under a rule for `/login`.
    pub fn cc_rules_for<'p>(
        &'p self,
        host: &'p str,
        path: &'p str,
    ) -> impl Iterator<Item = &'p CcRule> + 'p {
        let path = normalize::request_path(path);
        self.rules.cc.iter().filter(move |r| {
            r.host
                .as_deref()
                .is_none_or(|h| h.eq_ignore_ascii_case(host))
                && path.starts_with(r.path.as_str())
        })
    }

    /// What to do with an encoded request body for `host`: the site's setting, else the
    /// global one.
    pub fn body_encoding(&self, host: &str) -> crate::model::BodyEncoding {
        self.site_for_host(host)
            .and_then(|s| s.request_body_encoding)
            .unwrap_or(self.settings.request_body_encoding)
    }

    fn view(&self, site: Option<&Site>) -> SiteView {
        SiteView {
            mode: site.and_then(|s| s.mode).unwrap_or(self.settings.mode),
            sensitivity: site
                .and_then(|s| s.sensitivity)
                .unwrap_or(self.settings.sensitivity),
        }
    }

    /// Decides about one request. Order: ACL allow, ACL block, custom rules, managed detectors;
    /// `log_only` mode turns block and challenge into log.
    ///
    /// Cost: proportional to the request (number and size of values), not to the number of
    /// rules. Allocates only for values that need decoding and for the verdict's match.
    pub fn inspect(&self, req: &Request, scratch: &mut Scratch) -> Verdict {
        self.inspect_parts(req, scratch, Parts::All)
    }

    /// Decides about a request whose line and headers were already inspected by
    /// [`Policy::inspect`] (with an empty body) and whose body has now arrived. ACL rules, which
    /// look at the line and headers only, are not evaluated again; custom rules are (a rule may
    /// combine a URI judge with a body judge); managed detection looks only at the body's
    /// parameters and the body-level protocol rules (oversize, malformed, too many parameters,
    /// which counts the query's too). The two calls together reach the verdict one `inspect` of
    /// the whole request would, without scanning the line and headers twice.
    ///
    /// ```
    /// use waf_core::{Action, Policy, Request, Scratch};
    ///
    /// let policy = Policy::default_policy().expect("the shipped rules compile");
    /// let mut scratch = Scratch::new();
    /// let headers = [("Content-Type", &b"application/x-www-form-urlencoded"[..])];
    /// let head = Request { method: "POST", headers: &headers, ..Request::get("/login") };
    /// assert_eq!(policy.inspect(&head, &mut scratch).action, Action::Allow);
    /// let full = Request { body: b"user=admin'%20or%201=1--", ..head };
    /// assert_eq!(policy.inspect_body(&full, &mut scratch).action, Action::Block);
    /// ```
    pub fn inspect_body(&self, req: &Request, scratch: &mut Scratch) -> Verdict {
        self.inspect_parts(req, scratch, Parts::Body)
    }

    fn inspect_parts(&self, req: &Request, scratch: &mut Scratch, parts: Parts) -> Verdict {
        let site = self.site_for_host(req.host);
        let view = self.view(site);
        let mut v = self.decide(req, scratch, site, &view, parts);
        if view.mode == Mode::LogOnly && v.is_blocking() {
            v.action = Action::Log;
        }
        v
    }

    fn decide(
        &self,
        req: &Request,
        scratch: &mut Scratch,
        site: Option<&Site>,
        view: &SiteView,
        parts: Parts,
    ) -> Verdict {
        let mut logged = Vec::new();
        // 1-2. ACL: allow beats block.
        if !self.acl.rules.is_empty() && parts == Parts::All {
            let (pset, hits) = (&mut scratch.pset, &mut scratch.acl_hits);
            if let Some(v) = self.acl.decide(req, pset, hits, &mut logged) {
                return v;
            }
        }
        // 3. Custom rules.
        if !self.custom.is_empty() {
            let (pset, fired, judged) = (
                &mut scratch.pset,
                &mut scratch.fired,
                &mut scratch.judge_hits,
            );
            if let Some(v) = self.custom.decide(req, pset, fired, judged, &mut logged) {
                return v;
            }
        }
        // 4. Managed detection, on the sampled share of requests.
        if self.settings.rule_match_rate < 100 {
            let n = self.sample.fetch_add(1, Ordering::Relaxed);
            if n % 100 >= u64::from(self.settings.rule_match_rate) {
                return Self::finish(logged);
            }
        }
        if let Some(m) = self.managed(req, scratch, site, view, parts) {
            return Verdict {
                action: m.action,
                matched: Some(m),
                logged,
            };
        }
        Self::finish(logged)
    }

    fn finish(mut logged: Vec<Match>) -> Verdict {
        if logged.is_empty() {
            return Verdict::pass();
        }
        let first = logged.remove(0);
        Verdict {
            action: Action::Log,
            matched: Some(first),
            logged,
        }
    }

    /// The exclusions that apply to a request for `path` (normalised) of `site`: on its path
    /// and, for those that require one, with their cookie in the request.
    fn excluded<'e>(
        &'e self,
        site: Option<&'e Site>,
        path: &'e str,
        req: &'e Request<'_>,
    ) -> impl Iterator<Item = &'e Exclusion> + 'e {
        self.rules
            .managed
            .exclusions
            .iter()
            .chain(site.map(|s| s.exclusions.iter()).into_iter().flatten())
            .filter(move |x| path.starts_with(x.path.as_str()))
            .filter(move |x| {
                x.cookie
                    .as_deref()
                    .is_none_or(|c| req.has_cookie_prefixed(c))
            })
    }

    fn managed(
        &self,
        req: &Request,
        scratch: &mut Scratch,
        site: Option<&Site>,
        view: &SiteView,
        parts: Parts,
    ) -> Option<Match> {
        let s = &self.settings;
        // Exclusions name the path an origin resolves: `/api/search/../../admin` is not under an
        // exclusion for `/api/search`.
        let path = normalize::request_path(req.path());
        let excl: Vec<&Exclusion> = self.excluded(site, &path, req).collect();
        if excl
            .iter()
            .any(|x| x.parameter.is_none() && x.rule_ids.is_empty())
        {
            return None;
        }
        let disabled = |id: u32| {
            self.rules.managed.disabled_rules.contains(&id)
                || site.is_some_and(|s| s.disabled_rules.contains(&id))
        };
        let excluded_for = |id: u32, param: Option<&str>| {
            excl.iter().any(|x| {
                (x.rule_ids.is_empty() || x.rule_ids.contains(&id))
                    && x.parameter.as_deref().is_none_or(|p| Some(p) == param)
            })
        };
        let protocol = |id: u32, what: &str| -> Option<Match> {
            if disabled(id) || excluded_for(id, None) {
                return None;
            }
            Some(Match::at(
                RuleRef::Managed(id),
                detect::rule_name(id),
                AttackType::Protocol,
                Action::Block,
                None,
                "",
                what,
            ))
        };
        // Whole-request protocol checks.
        let whole = parts == Parts::All;
        if whole && req.headers.len() > s.max_headers {
            if let Some(m) = protocol(protocol_ids::TOO_MANY_HEADERS, "") {
                return Some(m);
            }
        }
        if req.body_truncated && s.oversize_body == OversizeBody::Block {
            if let Some(m) = protocol(protocol_ids::OVERSIZE_BODY, "") {
                return Some(m);
            }
        }
        if whole && has_null(req.uri.as_bytes()) {
            if let Some(m) = protocol(protocol_ids::NULL_BYTE, "") {
                return Some(Match {
                    target: "path".into(),
                    ..m
                });
            }
        }
        let sens = view.sensitivity;
        let depths = Depths {
            url: s.url_depth,
            unicode: s.unicode_depth,
            base64: s.base64_depth,
        };
        let engine = &self.engine;
        let set = scratch.sig_set.get_or_insert_with(|| engine.candidates());
        // No disabled rule and no exclusion: a rule is active by its level alone, without the
        // set lookups (asked for every candidate signature and check of every value).
        let all_enabled = excl.is_empty()
            && self.rules.managed.disabled_rules.is_empty()
            && site.is_none_or(|s| s.disabled_rules.is_empty());
        let memos = scratch
            .memos
            .start(self.id, Reuse::decide(&excl, site.map(|s| s.id)));
        let mut found = None;
        // Fields are scanned as the parser finds them: no list of owned values is built.
        let mut fields = Fields {
            memos,
            field: |f: FieldRef<'_>, memos: &mut Session<'_>| {
                // A parameter's plain number: nothing to decode and nothing fires on it.
                if matches!(
                    f.location,
                    Location::QueryArg | Location::BodyArg | Location::Cookie
                ) && detect::plain_number(f.value)
                {
                    return false;
                }
                let param = if f.name.is_empty() {
                    None
                } else {
                    Some(f.name)
                };
                // A header's verdict depends on its name (some rules look at one header only).
                let name = if f.location == Location::Header {
                    f.name
                } else {
                    ""
                };
                let Lookup::Scan(pending) = memos.lookup(f.location, name, f.value) else {
                    return false;
                };
                let active = |id: u32, level: u8| {
                    level <= sens && (all_enabled || (!disabled(id) && !excluded_for(id, param)))
                };
                if let Some(h) = scan_value(engine, set, depths, &active, f) {
                    found = Some(hit_match(h, f));
                } else {
                    memos.passed(pending, f.location, name, f.value);
                }
                found.is_some()
            },
        };
        let limits = Limits {
            max_args: s.max_args,
        };
        let notes = parse::visit(req, limits, parts, &mut fields);
        if found.is_some() {
            return found;
        }
        if notes.ambiguous_body {
            if let Some(m) = protocol(protocol_ids::AMBIGUOUS_BODY, "") {
                return Some(Match {
                    target: Location::Body.as_str().into(),
                    ..m
                });
            }
        }
        if notes.too_many_args {
            if let Some(m) = protocol(protocol_ids::TOO_MANY_ARGS, "") {
                return Some(m);
            }
        }
        // A multipart body without a usable boundary is malformed too (unless it was cut).
        let malformed = notes.malformed_body || (notes.bad_multipart && !req.body_truncated);
        if malformed && crate::rules::rule_level(protocol_ids::MALFORMED_BODY) <= sens {
            if let Some(m) = protocol(protocol_ids::MALFORMED_BODY, "") {
                return Some(Match {
                    target: Location::Body.as_str().into(),
                    ..m
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{has_null, Policy, Scratch};
    use crate::{Action, Request};

    /// A Cookie header found clean is skipped whole when it comes again; a header that differs
    /// in any cookie is inspected, every time.
    #[test]
    fn a_cached_cookie_header_does_not_hide_a_changed_one() {
        let policy = Policy::default_policy().expect("default policy");
        let mut scratch = Scratch::new();
        let clean = [("Cookie", &b"sid=abc; theme=dark; lang=en"[..])];
        let attack = [(
            "Cookie",
            &b"sid=abc; theme=dark' union select password from users--; lang=en"[..],
        )];
        let req = |h| Request {
            headers: h,
            ..Request::get("/")
        };
        for _ in 0..3 {
            assert_eq!(
                policy.inspect(&req(&clean), &mut scratch).action,
                Action::Allow
            );
            assert_eq!(
                policy.inspect(&req(&attack), &mut scratch).action,
                Action::Block
            );
        }
    }

    #[test]
    fn null_bytes_raw_or_encoded() {
        for uri in ["/a%00b", "/a?x=%00", "/%00", "/a\0b", "/%2500%00", "\0"] {
            assert!(has_null(uri.as_bytes()), "{uri}");
        }
        for uri in ["/", "/a%0", "/a%", "/a%20%0a", "/100%25", "/a?x=%2500", ""] {
            assert!(!has_null(uri.as_bytes()), "{uri}");
        }
    }
}
