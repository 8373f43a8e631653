//! Compiled custom rules.
//!
//! Every judge's literals and regexes go into one [`TextSet`] per position (a judge with position
//! `any` goes into all of them; a `request_header` judge limited to one header into that header's
//! set). A request is scanned once per position; only rules with a judge that fired, plus rules
//! with a negated judge, are then evaluated, in file order. The first matching rule whose action is
//! allow, block or challenge decides; matching `log` rules are recorded and do not stop the scan.

use std::collections::HashMap;

use crate::error::{RuleError, RuleErrors};
use crate::model::Action;
use crate::model::{CustomRule, JudgeMatcher, Position, RegexPattern, Relation, RuleSet};
use crate::normalize;
use crate::parse;
use crate::request::Request;
use crate::textset::TextSet;
use crate::verdict::{AttackType, Match, RuleRef, Verdict};

/// Which set each position's values are scanned with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Slot {
    Uri,
    Key,
    Value,
    Header,
    Body,
}

const SLOTS: [Slot; 5] = [Slot::Uri, Slot::Key, Slot::Value, Slot::Header, Slot::Body];

#[derive(Debug, Default)]
pub(crate) struct CompiledCustom {
    pub rules: Vec<CustomRule>,
    /// Judge index -> rule index.
    judge_rule: Vec<usize>,
    /// Judge index -> (rule, judge-within-rule).
    judge_pos: Vec<(usize, usize)>,
    sets: HashMap<Slot, TextSet>,
    header_sets: HashMap<String, TextSet>,
    /// Rules that must be evaluated on every request (they have a negated judge).
    always: Vec<usize>,
    /// First judge index of each rule.
    rule_first_judge: Vec<usize>,
}

impl CompiledCustom {
    pub fn compile(set: &RuleSet) -> Result<CompiledCustom, RuleErrors> {
        Self::compile_rules(&set.custom, &set.origins, "custom_rules")
    }

    /// Compiles `rules` (custom rules, or the judges of other rules put in that shape, such as
    /// observation rules); a bad regex is reported at the origin of `kind:id`.
    pub fn compile_rules(
        rules: &[CustomRule],
        origins: &HashMap<String, (String, Option<usize>)>,
        kind: &str,
    ) -> Result<CompiledCustom, RuleErrors> {
        let mut c = CompiledCustom {
            rules: rules.to_vec(),
            ..Default::default()
        };
        let mut lits: HashMap<Slot, Vec<(usize, String)>> = HashMap::new();
        let mut res: HashMap<Slot, Vec<(usize, RegexPattern)>> = HashMap::new();
        let mut hlits: HashMap<String, Vec<(usize, String)>> = HashMap::new();
        let mut hres: HashMap<String, Vec<(usize, RegexPattern)>> = HashMap::new();
        for (ri, r) in rules.iter().enumerate() {
            c.rule_first_judge.push(c.judge_rule.len());
            if r.judges.iter().any(|j| j.negate) {
                c.always.push(ri);
            }
            for (ji, j) in r.judges.iter().enumerate() {
                let id = c.judge_rule.len();
                c.judge_rule.push(ri);
                c.judge_pos.push((ri, ji));
                let slots: &[Slot] = match j.position {
                    Position::Uri => &[Slot::Uri],
                    Position::ParameterKey => &[Slot::Key],
                    Position::ParameterValue => &[Slot::Value],
                    Position::RequestHeader => &[Slot::Header],
                    Position::RequestBody => &[Slot::Body],
                    Position::Any => &SLOTS,
                };
                for slot in slots {
                    match (&j.header, *slot) {
                        (Some(h), Slot::Header) => match &j.matcher {
                            JudgeMatcher::Contents(v) => hlits
                                .entry(h.clone())
                                .or_default()
                                .extend(v.iter().map(|s| (id, s.clone()))),
                            JudgeMatcher::Regex(re) => {
                                hres.entry(h.clone()).or_default().push((id, re.clone()))
                            }
                        },
                        _ => match &j.matcher {
                            JudgeMatcher::Contents(v) => lits
                                .entry(*slot)
                                .or_default()
                                .extend(v.iter().map(|s| (id, s.clone()))),
                            JudgeMatcher::Regex(re) => {
                                res.entry(*slot).or_default().push((id, re.clone()))
                            }
                        },
                    }
                }
            }
        }
        let err = |c: &CompiledCustom, e: crate::textset::TextSetError| {
            let (ri, ji) = c.judge_pos.get(e.id).copied().unwrap_or((0, 0));
            let rule = &rules[ri];
            let (file, line) = origins
                .get(&format!("{kind}:{}", rule.id))
                .cloned()
                .unwrap_or_default();
            RuleErrors(vec![RuleError {
                file,
                line,
                rule_id: Some(rule.id.clone()),
                field: Some(format!("judges[{ji}].rix")),
                reason: e.reason,
            }])
        };
        for slot in SLOTS {
            let l = lits.remove(&slot).unwrap_or_default();
            let r = res.remove(&slot).unwrap_or_default();
            if !l.is_empty() || !r.is_empty() {
                let ts = TextSet::build(l, r, false).map_err(|e| err(&c, e))?;
                c.sets.insert(slot, ts);
            }
        }
        let names: Vec<String> = hlits.keys().chain(hres.keys()).cloned().collect();
        for h in names {
            if c.header_sets.contains_key(&h) {
                continue;
            }
            let ts = TextSet::build(
                hlits.remove(&h).unwrap_or_default(),
                hres.remove(&h).unwrap_or_default(),
                false,
            )
            .map_err(|e| err(&c, e))?;
            c.header_sets.insert(h, ts);
        }
        Ok(c)
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Scans one value of `slot` (with its header name for headers); pushes fired judge ids.
    pub fn scan(
        &self,
        slot: Slot,
        header: Option<&str>,
        value: &str,
        pset: &mut Vec<usize>,
        fired: &mut Vec<usize>,
    ) {
        if let Some(s) = self.sets.get(&slot) {
            s.find(value, pset, fired);
        }
        if let (Some(h), Slot::Header) = (header, slot) {
            if let Some(s) = self.header_sets.get(h) {
                s.find(value, pset, fired);
            }
        }
    }

    /// Evaluates candidate rules given the fired judges; calls `on_match` in rule order until it
    /// returns true.
    pub fn evaluate(
        &self,
        method: &str,
        fired: &mut Vec<usize>,
        hits: &mut Vec<bool>,
        on_match: &mut dyn FnMut(&CustomRule) -> bool,
    ) {
        hits.clear();
        hits.resize(self.judge_rule.len(), false);
        let mut cands: Vec<usize> = Vec::with_capacity(fired.len() + self.always.len());
        for &j in fired.iter() {
            hits[j] = true;
            cands.push(self.judge_rule[j]);
        }
        cands.extend_from_slice(&self.always);
        cands.sort_unstable();
        cands.dedup();
        for ri in cands {
            let r = &self.rules[ri];
            if let Some(m) = &r.method {
                if !m.eq_ignore_ascii_case(method) {
                    continue;
                }
            }
            let first = self.rule_first_judge[ri];
            let mut holds = r
                .judges
                .iter()
                .enumerate()
                .map(|(k, j)| hits[first + k] != j.negate);
            let ok = match r.relation {
                Relation::And => holds.all(|h| h),
                Relation::Or => holds.any(|h| h),
            };
            if ok && on_match(r) {
                break;
            }
        }
        fired.clear();
    }

    /// The custom-rule stage: scans the decoded URI, the query and urlencoded body pairs, the
    /// headers and the raw body once per position, then evaluates the rules in file order. The
    /// first rule that allows, blocks or challenges decides (with the `log` matches before it);
    /// matching `log` rules are appended to `logged` and the request goes on.
    pub(crate) fn decide(
        &self,
        req: &Request,
        pset: &mut Vec<usize>,
        fired: &mut Vec<usize>,
        judged: &mut Vec<bool>,
        logged: &mut Vec<Match>,
    ) -> Option<Verdict> {
        self.scan_request(req, pset, fired);
        let mut decided = None;
        self.evaluate(req.method, fired, judged, &mut |r| {
            let m = Match::at(
                RuleRef::Custom(r.id.clone()),
                &r.name,
                AttackType::Custom,
                r.action,
                None,
                "",
                "",
            );
            if r.action == Action::Log {
                logged.push(m);
                false
            } else {
                decided = Some(Verdict {
                    action: r.action,
                    matched: Some(m),
                    logged: Vec::new(),
                });
                true
            }
        });
        decided.map(|mut v| {
            v.logged = std::mem::take(logged);
            v
        })
    }

    /// Scans the decoded URI, the query and urlencoded body pairs, the headers and the raw body
    /// once per position, leaving the ids of the judges that fired in `fired` for
    /// [`CompiledCustom::evaluate`].
    pub(crate) fn scan_request(
        &self,
        req: &Request,
        pset: &mut Vec<usize>,
        fired: &mut Vec<usize>,
    ) {
        let c = self;
        fired.clear();
        let uri = normalize::url_decode(req.uri, false);
        c.scan(Slot::Uri, None, &uri, pset, fired);
        if let Some(q) = req.query() {
            for (k, val) in parse::form_pairs(q) {
                c.scan(Slot::Key, None, &k, pset, fired);
                c.scan(Slot::Value, None, &val, pset, fired);
            }
        }
        let ct = req
            .header_str("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if ct.starts_with("application/x-www-form-urlencoded") {
            if let Ok(b) = std::str::from_utf8(req.body) {
                for (k, val) in parse::form_pairs(b) {
                    c.scan(Slot::Key, None, &k, pset, fired);
                    c.scan(Slot::Value, None, &val, pset, fired);
                }
            }
        }
        for (name, value) in req.headers {
            let lname = name.to_ascii_lowercase();
            c.scan(
                Slot::Header,
                Some(&lname),
                &normalize::utf8_lossy(value),
                pset,
                fired,
            );
        }
        if !req.body.is_empty() {
            c.scan(
                Slot::Body,
                None,
                &String::from_utf8_lossy(req.body),
                pset,
                fired,
            );
        }
    }
}
