//! Compiled ACL rules: IP prefix tables, literal and regex sets per target.
//!
//! Match semantics, per `rule_type`:
//! - `ip`: the client address is inside the address or CIDR.
//! - `ua`, `referer`: case-insensitive substring of the header; `re:<regex>` searches it.
//! - `url`: the path starts with the literal (case-sensitive); `re:<regex>` searches path+query.
//! - `header`: `Name` = header present; `Name: text` = case-insensitive substring; `Name: re:<regex>`.
//! - `country`: the GeoIP country of the client equals the ISO code.
//! - `method`: the method is one of the listed ones.
//!
//! Precedence: any matching `allow` rule wins over every `block` rule (and skips all later
//! checks); `log` rules record and let the request continue.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::error::{RuleError, RuleErrors};
use crate::model::{AclMatcher, AclRule, Action, RegexPattern, RuleSet, TextPattern};
use crate::request::Request;
use crate::textset::TextSet;
use crate::verdict::{AttackType, Match, RuleRef, Verdict};

/// IP networks grouped by prefix length: a lookup costs one hash probe per distinct prefix
/// length, whatever the number of networks. Used for IP ACL rules and the CC allowlist.
#[derive(Debug, Default, Clone)]
pub struct IpTable {
    v4: Vec<(u8, HashMap<u32, Vec<usize>>)>,
    v6: Vec<(u8, HashMap<u128, Vec<usize>>)>,
}

impl IpTable {
    /// Adds a network, tagged with `id`.
    pub fn insert(&mut self, net: IpNet, id: usize) {
        match net {
            IpNet::V4(n) => {
                let len = n.prefix_len();
                let key = u32::from(n.network());
                match self.v4.iter_mut().find(|(l, _)| *l == len) {
                    Some((_, m)) => m.entry(key).or_default().push(id),
                    None => self.v4.push((len, HashMap::from([(key, vec![id])]))),
                }
            }
            IpNet::V6(n) => {
                let len = n.prefix_len();
                let key = u128::from(n.network());
                match self.v6.iter_mut().find(|(l, _)| *l == len) {
                    Some((_, m)) => m.entry(key).or_default().push(id),
                    None => self.v6.push((len, HashMap::from([(key, vec![id])]))),
                }
            }
        }
    }

    /// Pushes the tag of every network containing `ip` (IPv4-mapped IPv6 counts as IPv4).
    pub fn lookup(&self, ip: IpAddr, out: &mut Vec<usize>) {
        let ip = match ip {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map(IpAddr::V4)
                .unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        match ip {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                for (len, m) in &self.v4 {
                    let mask = if *len == 0 {
                        0
                    } else {
                        u32::MAX << (32 - u32::from(*len))
                    };
                    if let Some(ids) = m.get(&(a & mask)) {
                        out.extend_from_slice(ids);
                    }
                }
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                for (len, m) in &self.v6 {
                    let mask = if *len == 0 {
                        0
                    } else {
                        u128::MAX << (128 - u32::from(*len))
                    };
                    if let Some(ids) = m.get(&(a & mask)) {
                        out.extend_from_slice(ids);
                    }
                }
            }
        }
    }

    /// Whether any network contains `ip`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let mut v = Vec::new();
        self.lookup(ip, &mut v);
        !v.is_empty()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
}

/// The compiled ACL.
#[derive(Debug, Default)]
pub(crate) struct CompiledAcl {
    pub rules: Vec<AclRule>,
    ip: IpTable,
    ua: TextSet,
    referer: TextSet,
    url_prefix: TextSet,
    url_re: TextSet,
    headers: HashMap<String, (TextSet, Vec<usize>)>,
    country: HashMap<String, Vec<usize>>,
    method: HashMap<String, Vec<usize>>,
}

/// Tagged literals and regexes, as [`TextSet::build`] takes them.
type Tagged = Vec<(usize, String)>;
type TaggedRe = Vec<(usize, RegexPattern)>;

fn split(items: Vec<(usize, &TextPattern)>) -> (Tagged, TaggedRe) {
    let mut lits = Vec::new();
    let mut res = Vec::new();
    for (i, p) in items {
        match p {
            TextPattern::Literal(l) => lits.push((i, l.clone())),
            TextPattern::Regex(r) => res.push((i, r.clone())),
        }
    }
    (lits, res)
}

impl CompiledAcl {
    pub fn compile(set: &RuleSet) -> Result<CompiledAcl, RuleErrors> {
        let mut acl = CompiledAcl {
            rules: set.acl.clone(),
            ..Default::default()
        };
        let (mut ua, mut referer, mut url_prefix, mut url_re) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        type HeaderRules<'a> = HashMap<String, (Vec<(usize, &'a TextPattern)>, Vec<usize>)>;
        let mut headers: HeaderRules = HashMap::new();
        for (i, r) in set.acl.iter().enumerate() {
            match &r.matcher {
                AclMatcher::Ip(n) => acl.ip.insert(*n, i),
                AclMatcher::Ua(p) => ua.push((i, p)),
                AclMatcher::Referer(p) => referer.push((i, p)),
                AclMatcher::Url(TextPattern::Literal(l)) => url_prefix.push((i, l.clone())),
                AclMatcher::Url(TextPattern::Regex(r)) => url_re.push((i, r.clone())),
                AclMatcher::Header { name, value } => {
                    let e = headers.entry(name.clone()).or_default();
                    match value {
                        Some(p) => e.0.push((i, p)),
                        None => e.1.push(i),
                    }
                }
                AclMatcher::Country(c) => acl.country.entry(c.clone()).or_default().push(i),
                AclMatcher::Method(ms) => {
                    for m in ms {
                        acl.method.entry(m.clone()).or_default().push(i);
                    }
                }
            }
        }
        let err = |e: crate::textset::TextSetError| {
            let rule = &set.acl[e.id];
            let (file, line) = set
                .origins
                .get(&format!("acl:{}", rule.id))
                .cloned()
                .unwrap_or_default();
            RuleErrors(vec![RuleError {
                file,
                line,
                rule_id: Some(rule.id.to_string()),
                field: Some("pattern".into()),
                reason: e.reason,
            }])
        };
        let (l, r) = split(ua);
        acl.ua = TextSet::build(l, r, false).map_err(err)?;
        let (l, r) = split(referer);
        acl.referer = TextSet::build(l, r, false).map_err(err)?;
        acl.url_prefix = TextSet::build(url_prefix, Vec::new(), true).map_err(err)?;
        acl.url_re = TextSet::build(Vec::new(), url_re, false).map_err(err)?;
        for (name, (pats, present)) in headers {
            let (l, r) = split(pats);
            acl.headers
                .insert(name, (TextSet::build(l, r, false).map_err(err)?, present));
        }
        Ok(acl)
    }

    /// Indices of every rule matching `req`, regardless of host scope and action.
    pub fn matches(&self, req: &Request, pset: &mut Vec<usize>, out: &mut Vec<usize>) {
        if self.rules.is_empty() {
            return;
        }
        if let Some(ip) = req.client_ip {
            self.ip.lookup(ip, out);
        }
        if !self.ua.is_empty() {
            if let Some(ua) = req.header_str("user-agent") {
                self.ua.find(&ua, pset, out);
            }
        }
        if !self.referer.is_empty() {
            if let Some(r) = req.header_str("referer") {
                self.referer.find(&r, pset, out);
            }
        }
        if !self.url_prefix.is_empty() {
            let canon = crate::normalize::request_path(req.path());
            self.url_prefix.find(&canon, pset, out);
        }
        if !self.url_re.is_empty() {
            self.url_re
                .find(&crate::normalize::url_decode(req.uri, false), pset, out);
        }
        if !self.headers.is_empty() {
            for (name, value) in req.headers {
                if let Some((set, present)) = self.headers.get(&name.to_ascii_lowercase()) {
                    out.extend_from_slice(present);
                    set.find(&String::from_utf8_lossy(value), pset, out);
                }
            }
        }
        if let Some(c) = req.country {
            if let Some(ids) = self.country.get(&c.to_ascii_uppercase()) {
                out.extend_from_slice(ids);
            }
        }
        if let Some(ids) = self.method.get(&req.method.to_ascii_uppercase()) {
            out.extend_from_slice(ids);
        }
    }

    /// The ACL stage: evaluates the rules that match `req` (and whose host, if any, is the
    /// request's, port stripped) in rule order. Any `allow` decides over every `block`; else the
    /// first `block` decides; `log` matches are appended to `logged` (and carried by a deciding
    /// verdict). `None`: the request goes on to the next stage.
    pub(crate) fn decide(
        &self,
        req: &Request,
        pset: &mut Vec<usize>,
        hits: &mut Vec<usize>,
        logged: &mut Vec<Match>,
    ) -> Option<Verdict> {
        hits.clear();
        self.matches(req, pset, hits);
        hits.sort_unstable();
        hits.dedup();
        let host = req.host.to_ascii_lowercase();
        let host = crate::request::host_without_port(&host);
        let applicable = |i: &usize| self.rules[*i].host.as_deref().is_none_or(|h| h == host);
        let mut block = None;
        for &i in hits.iter().filter(|i| applicable(i)) {
            let r = &self.rules[i];
            let m = Match::at(
                RuleRef::Acl(r.id),
                if r.description.is_empty() {
                    "ACL rule"
                } else {
                    &r.description
                },
                AttackType::Acl,
                r.action,
                None,
                "",
                "",
            );
            match r.action {
                Action::Allow => {
                    return Some(Verdict {
                        action: Action::Allow,
                        matched: Some(m),
                        logged: std::mem::take(logged),
                    });
                }
                Action::Block if block.is_none() => block = Some(m),
                Action::Log => logged.push(m),
                _ => {}
            }
        }
        block.map(|m| Verdict {
            action: Action::Block,
            matched: Some(m),
            logged: std::mem::take(logged),
        })
    }
}
