//! Managed detection: built-in rules with stable ids, compiled once per policy.
//!
//! Two kinds of rules:
//! - *signatures*: a regex with literal *triggers*. All triggers of all signatures form one
//!   Aho-Corasick automaton; only when a value contains a trigger does the one multi-pattern
//!   regex-automata regex run over it. Clean traffic rarely gets past the automaton.
//! - *checks*: functions (libinjection's SQLi and XSS tokenisers, and structural checks) with
//!   their own cheap gates.
//!
//! Every rule has a `level`: it is active when the policy's sensitivity is at least that level.

mod checks;
mod shell;
mod sig_code;
mod signatures;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind as AcMatchKind};
use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind, PatternSet};

use crate::request::{Location, LocationSet};
use crate::verdict::AttackType;

/// A regex rule with the literals that must appear for it to possibly match.
#[derive(Debug, Clone)]
pub struct Signature {
    /// Stable managed rule id.
    pub id: u32,
    /// Name shown in events.
    pub name: &'static str,
    /// Attack class.
    pub attack: AttackType,
    /// Lowest sensitivity (1-4) at which the rule is active.
    pub level: u8,
    /// Where it looks.
    pub locations: LocationSet,
    /// Only this header (lower case), when it looks at headers.
    pub header: Option<&'static str>,
    /// Case-insensitive literals; at least one must occur in the value.
    pub triggers: &'static [&'static str],
    /// The regex, case-insensitive, bytes-oriented.
    pub pattern: &'static str,
}

/// A function rule.
#[derive(Debug, Clone)]
pub struct Check {
    /// Stable managed rule id.
    pub id: u32,
    /// Name shown in events.
    pub name: &'static str,
    /// Attack class.
    pub attack: AttackType,
    /// Lowest sensitivity (1-4) at which the rule is active.
    pub level: u8,
    /// Where it looks.
    pub locations: LocationSet,
    /// The test; `true` is a detection.
    pub test: fn(&str, Location) -> bool,
}

/// Public description of a managed rule, for listings (`rules/status`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ManagedRuleInfo {
    /// Stable id.
    pub id: u32,
    /// Name.
    pub name: &'static str,
    /// Attack class.
    pub attack_type: AttackType,
    /// Lowest sensitivity at which it is active.
    pub level: u8,
}

/// Every managed rule, in id order.
pub fn catalog() -> Vec<ManagedRuleInfo> {
    let mut v: Vec<ManagedRuleInfo> = signatures::all()
        .iter()
        .map(|s| ManagedRuleInfo {
            id: s.id,
            name: s.name,
            attack_type: s.attack,
            level: s.level,
        })
        .chain(checks::all().iter().map(|c| ManagedRuleInfo {
            id: c.id,
            name: c.name,
            attack_type: c.attack,
            level: c.level,
        }))
        .chain(checks::PROTOCOL.iter().map(|(id, name)| ManagedRuleInfo {
            id: *id,
            name,
            attack_type: AttackType::Protocol,
            level: 1,
        }))
        .collect();
    v.sort_by_key(|r| r.id);
    v
}

/// Names of managed rules by id, including the protocol rules raised by the engine itself.
pub fn rule_name(id: u32) -> &'static str {
    signatures::all()
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.name)
        .or_else(|| checks::all().iter().find(|c| c.id == id).map(|c| c.name))
        .or_else(|| {
            checks::PROTOCOL
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, n)| *n)
        })
        .unwrap_or("managed rule")
}

pub use checks::protocol_ids;

/// The compiled managed rules.
#[derive(Debug)]
pub struct Engine {
    sigs: Vec<Signature>,
    checks: Vec<Check>,
    triggers: AhoCorasick,
    regex: Regex,
}

/// A detection.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    /// Rule id.
    pub id: u32,
    /// Rule name.
    pub name: &'static str,
    /// Attack class.
    pub attack: AttackType,
}

/// Compile error of the built-in rules: a bug, reported rather than panicking.
#[derive(Debug, thiserror::Error)]
#[error("managed rules failed to compile: {0}")]
pub struct EngineError(String);

impl Engine {
    /// Compiles every managed rule. Cost: a few milliseconds; done once per policy.
    pub fn new() -> Result<Engine, EngineError> {
        let sigs = signatures::all();
        let checks = checks::all();
        let mut lits: Vec<&str> = sigs
            .iter()
            .flat_map(|s| s.triggers.iter().copied())
            .collect();
        lits.sort_unstable();
        lits.dedup();
        let triggers = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(AcMatchKind::LeftmostFirst)
            .build(&lits)
            .map_err(|e| EngineError(e.to_string()))?;
        let pats: Vec<&str> = sigs.iter().map(|s| s.pattern).collect();
        let regex = Regex::builder()
            .syntax(
                syntax::Config::new()
                    .case_insensitive(true)
                    .unicode(false)
                    .utf8(false),
            )
            .configure(
                meta::Config::new()
                    .match_kind(MatchKind::All)
                    .utf8_empty(false),
            )
            .build_many(&pats)
            .map_err(|e| {
                EngineError(format!(
                    "{e} (pattern {:?})",
                    e.pattern()
                        .and_then(|p| sigs.get(p.as_usize()))
                        .map(|s| s.id)
                ))
            })?;
        Ok(Engine {
            sigs,
            checks,
            triggers,
            regex,
        })
    }

    /// Runs every active rule over one (decoded) value; returns the first detection.
    ///
    /// `active(id, level)` says whether a rule is on for this request (sensitivity, disabled ids,
    /// exclusions). `set` is scratch space reused across calls.
    pub fn scan(
        &self,
        value: &str,
        loc: Location,
        header: &str,
        set: &mut PatternSet,
        active: &dyn Fn(u32, u8) -> bool,
    ) -> Option<Hit> {
        if self.triggers.is_match(value) {
            set.clear();
            self.regex
                .which_overlapping_matches(&Input::new(value), set);
            for p in set.iter() {
                let s = &self.sigs[p.as_usize()];
                if s.locations.contains(loc)
                    && s.header
                        .is_none_or(|h| loc != Location::Header || h == header)
                    && active(s.id, s.level)
                {
                    return Some(Hit {
                        id: s.id,
                        name: s.name,
                        attack: s.attack,
                    });
                }
            }
        }
        for c in &self.checks {
            if c.locations.contains(loc) && active(c.id, c.level) && (c.test)(value, loc) {
                return Some(Hit {
                    id: c.id,
                    name: c.name,
                    attack: c.attack,
                });
            }
        }
        None
    }

    /// A pattern set sized for this engine, for [`Engine::scan`].
    pub fn pattern_set(&self) -> PatternSet {
        PatternSet::new(self.regex.pattern_len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_compile_with_unique_ids_and_triggers() {
        let e = Engine::new().expect("compile");
        let mut ids: Vec<u32> = catalog().iter().map(|r| r.id).collect();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate managed rule ids");
        for s in &e.sigs {
            assert!(!s.triggers.is_empty(), "signature {} has no trigger", s.id);
        }
    }
}
