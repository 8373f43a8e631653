//! Managed detection: the engine that compiles the managed rules of [`crate::rules`] once per
//! policy and runs them over one decoded value at a time.
//!
//! - *signatures* (regex rules): all their triggers form one Aho-Corasick automaton, walked once
//!   per value; only the regexes of the signatures whose triggers occur run. Clean traffic
//!   rarely gets past the automaton.
//! - *checks* (function rules: libinjection's SQLi and XSS tokenisers in `checks`, the shell
//!   grammar in `shell`), skipped by the byte classes they need (`class`) and by shared gates
//!   (`sql_gate`).
//!
//! Every rule has a `level`: it is active when the policy's sensitivity is at least that level.

pub(crate) mod checks;
pub(crate) mod class;
mod commands;
mod graphql;
pub(crate) mod html;
pub(crate) mod java;
pub(crate) mod js_loop;
pub(crate) mod php;
pub(crate) mod php_vars;
pub(crate) mod shell;
pub(crate) mod shell_line;
mod shell_start;
mod sql_gate;
pub(crate) mod ssrf;
pub(crate) mod tautology;
pub(crate) mod traversal;
pub(crate) mod upload;

use aho_corasick::automaton::Automaton;
use aho_corasick::{dfa::DFA, Anchored, MatchKind as AcMatchKind, StartKind};
use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_automata::Input;

use crate::request::{Location, LocationSet};
use crate::rules::{self, Detect, Gate, Rule};
use crate::verdict::AttackType;
use class::shape;

pub use rules::{catalog, protocol_ids, rule_name};
pub(crate) use sql_gate::sqli_gate;

/// A compiled regex rule: what the engine reads of it per candidate.
#[derive(Debug, Clone)]
struct Signature {
    id: u32,
    name: &'static str,
    attack: AttackType,
    level: u8,
    locations: LocationSet,
    header: Option<&'static str>,
}

/// A compiled check.
#[derive(Debug, Clone)]
struct Check {
    id: u32,
    name: &'static str,
    attack: AttackType,
    level: u8,
    locations: LocationSet,
    test: fn(&str, Location) -> bool,
    /// The byte classes a value needs for the test to possibly fire (see [`class`]).
    needs: u16,
    /// Whether the value must pass [`sqli_gate`] first.
    sqli_gated: bool,
}

/// `v` cut to at most `max` bytes, at a character boundary.
pub(crate) fn prefix(v: &str, max: usize) -> &str {
    if v.len() <= max {
        return v;
    }
    let mut end = max;
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    &v[..end]
}

/// `s` ends with `suffix` (lower case), ignoring ASCII case.
pub(crate) fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// `v` without `prefix`, compared ASCII case-insensitively.
pub(crate) fn strip_prefix_ci<'a>(v: &'a str, prefix: &str) -> Option<&'a str> {
    let n = prefix.len();
    (v.len() >= n && v.as_bytes()[..n].eq_ignore_ascii_case(prefix.as_bytes())).then(|| &v[n..])
}

/// The regex rules of the table, with their triggers and patterns, in table order.
fn regex_rules() -> impl Iterator<Item = (&'static Rule, &'static [&'static str], &'static str)> {
    rules::all().filter_map(|r| match r.detect {
        Detect::Regex { triggers, pattern } => Some((r, triggers, pattern)),
        _ => None,
    })
}

/// The compiled managed rules.
#[derive(Debug)]
pub struct Engine {
    sigs: Vec<Signature>,
    checks: Vec<Check>,
    /// Every trigger literal, ASCII case-insensitive, walked by hand ([`Engine::mark`]).
    triggers: DFA,
    /// Per trigger literal: the signatures it belongs to, with the boundaries each requires.
    trigger_sigs: Vec<Vec<TriggerUse>>,
    /// Per signature: its own regex, run only when one of its triggers occurs.
    regexes: Vec<Regex>,
}

/// One signature's use of a trigger literal.
#[derive(Debug, Clone, Copy)]
struct TriggerUse {
    sig: usize,
    /// `\b` before the literal: the byte before it is not a word byte.
    left: bool,
    /// `\b` after the literal: the byte after it is not a word byte.
    right: bool,
}

/// A trigger as written: the literal and whether it wants a word boundary before and after.
fn parse_trigger(t: &str) -> (&str, bool, bool) {
    let (t, left) = t.strip_prefix(r"\b").map_or((t, false), |r| (r, true));
    let (t, right) = t.strip_suffix(r"\b").map_or((t, false), |r| (r, true));
    (t, left, right)
}

/// A word byte, as the regexes' ASCII `\b` sees it.
fn word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
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
        let sigs: Vec<Signature> = regex_rules()
            .map(|(r, _, _)| Signature {
                id: r.id,
                name: r.name,
                attack: r.class,
                level: r.level,
                locations: r.locations.set,
                header: r.locations.header,
            })
            .collect();
        let checks: Vec<Check> = rules::all()
            .filter_map(|r| match r.detect {
                Detect::Check { test, needs, gate } => Some(Check {
                    id: r.id,
                    name: r.name,
                    attack: r.class,
                    level: r.level,
                    locations: r.locations.set,
                    test,
                    needs,
                    sqli_gated: gate == Gate::Sqli,
                }),
                _ => None,
            })
            .collect();
        // Per literal (sorted, each once), the signatures that use it, in signature order.
        let mut uses: std::collections::BTreeMap<&str, Vec<TriggerUse>> = Default::default();
        for (i, (_, triggers, _)) in regex_rules().enumerate() {
            for t in triggers {
                let (lit, left, right) = parse_trigger(t);
                uses.entry(lit).or_default().push(TriggerUse {
                    sig: i,
                    left,
                    right,
                });
            }
        }
        let (lits, trigger_sigs): (Vec<&str>, Vec<Vec<TriggerUse>>) = uses.into_iter().unzip();
        // Unanchored only, and no prefilter: with hundreds of literals it would not skip
        // anything, and without one the start state is not special, so the walk in `mark`
        // branches only on match states.
        let triggers = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(AcMatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(&lits)
            .map_err(|e| EngineError(e.to_string()))?;
        let regexes = regex_rules()
            .map(|(r, _, pattern)| {
                Regex::builder()
                    .syntax(
                        syntax::Config::new()
                            .case_insensitive(true)
                            .unicode(false)
                            .utf8(false),
                    )
                    .configure(meta::Config::new().utf8_empty(false))
                    .build(pattern)
                    .map_err(|e| EngineError(format!("{e} (signature {})", r.id)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Engine {
            sigs,
            checks,
            triggers,
            trigger_sigs,
            regexes,
        })
    }

    /// Runs every active rule over one (decoded) value; returns the first detection.
    ///
    /// `active(id, level)` says whether a rule is on for this request (sensitivity, disabled ids,
    /// exclusions). `set` is scratch space reused across calls ([`Engine::candidates`]).
    ///
    /// Cost: one Aho-Corasick pass for the triggers, then only the regexes of the signatures
    /// whose triggers occur (not one multi-pattern search over every signature), then the
    /// checks whose byte classes occur in the value (figures: `inspect/*` in bench/README.md).
    pub fn scan(
        &self,
        value: &str,
        loc: Location,
        header: &str,
        set: &mut Candidates,
        active: &dyn Fn(u32, u8) -> bool,
    ) -> Option<Hit> {
        // Most values hold no trigger: one walk of the automaton, and nothing else.
        if self.mark(value.as_bytes(), set) {
            if let Some(hit) = self.signatures(value, loc, header, set, active) {
                return Some(hit);
            }
        }
        let shape = shape(value.as_bytes());
        // The SQLi checks share one gate: asked once per value, not once per check (and a
        // value it rejects never reaches their memo).
        let mut sqli_ok = None;
        for c in &self.checks {
            if (c.needs == 0 || shape & c.needs != 0)
                && c.locations.contains(loc)
                && (!c.sqli_gated || *sqli_ok.get_or_insert_with(|| sqli_gate(value, loc)))
                && active(c.id, c.level)
                && (c.test)(value, loc)
            {
                return Some(Hit {
                    id: c.id,
                    name: c.name,
                    attack: c.attack,
                });
            }
        }
        None
    }

    /// One walk of the trigger automaton over `b` that puts in `set` every signature one of
    /// whose triggers occurs with the word boundaries it needs (`set` is emptied first). Returns
    /// whether a trigger occurred at all; when none does, `set` is left as it was.
    ///
    /// The walk is written out, over aho-corasick's [`Automaton`] interface, so that it is one
    /// pass: every match state names all the literals ending there (Standard semantics keep the
    /// matches of suffixes), which is what an overlapping search reports, so a value with a
    /// trigger near its end (the `or` of every `.org` address) is not walked twice.
    fn mark(&self, b: &[u8], set: &mut Candidates) -> bool {
        let dfa = &self.triggers;
        let Ok(mut sid) = dfa.start_state(Anchored::No) else {
            return false;
        };
        let mut any = false;
        for (at, &c) in b.iter().enumerate() {
            sid = dfa.next_state(Anchored::No, sid, c);
            // Without a prefilter only match states are special (an unanchored search never
            // dies).
            if !dfa.is_special(sid) || !dfa.is_match(sid) {
                continue;
            }
            if !any {
                set.reset(self.sigs.len());
                any = true;
            }
            let end = at + 1;
            let after = b.get(end).is_none_or(|&c| !word_byte(c));
            for k in 0..dfa.match_len(sid) {
                let pid = dfa.match_pattern(sid, k);
                let start = end - dfa.pattern_len(pid);
                let before = start == 0 || !word_byte(b[start - 1]);
                for u in &self.trigger_sigs[pid.as_usize()] {
                    if (before || !u.left) && (after || !u.right) {
                        set.insert(u.sig);
                    }
                }
            }
        }
        any
    }

    /// The candidates in `set` (from [`Engine::mark`]), in signature order: the first whose
    /// regex matches and that is active here.
    fn signatures(
        &self,
        value: &str,
        loc: Location,
        header: &str,
        set: &Candidates,
        active: &dyn Fn(u32, u8) -> bool,
    ) -> Option<Hit> {
        for i in set.iter() {
            let s = &self.sigs[i];
            if s.locations.contains(loc)
                && s.header
                    .is_none_or(|h| loc != Location::Header || h == header)
                && active(s.id, s.level)
                && self.regexes[i].is_match(Input::new(value))
            {
                return Some(Hit {
                    id: s.id,
                    name: s.name,
                    attack: s.attack,
                });
            }
        }
        None
    }

    /// Scratch space sized for this engine, for [`Engine::scan`].
    pub fn candidates(&self) -> Candidates {
        let mut c = Candidates::default();
        c.reset(self.sigs.len());
        c
    }
}

/// The signatures whose triggers occur in a value: one bit per signature, visited in signature
/// order. Not regex-automata's `PatternSet`, whose iterator visits every slot of the set,
/// where a bitmap visits only the set bits.
#[derive(Debug, Default, Clone)]
pub struct Candidates {
    words: Vec<u64>,
}

impl Candidates {
    /// Empties the set and makes room for `n` signatures.
    fn reset(&mut self, n: usize) {
        let words = n.div_ceil(64);
        self.words.clear();
        self.words.resize(words, 0);
    }

    fn insert(&mut self, i: usize) {
        if let Some(w) = self.words.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    /// The signature indexes in the set, ascending.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(k, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let bit = w.trailing_zeros() as usize;
                    w &= w - 1;
                    k * 64 + bit
                })
            })
        })
    }
}

/// Longest [`plain_number`]: shorter than every trigger made of number bytes alone, such as the
/// decimal form of the cloud metadata address (`2852039166`, signature 7000), which a longer
/// number can carry and which is then scanned as any value.
pub const PLAIN_NUMBER_MAX: usize = 9;

/// Whether `value` is a short plain decimal number (`42`, `-7`, `3.99`, `6.02e23`): at most
/// [`PLAIN_NUMBER_MAX`] bytes, digits with at most one sign, point and exponent. No managed rule
/// fires on one at any sensitivity: no signature's trigger fits in it (a test checks every
/// trigger) and no check fires on one (a test scans thousands at every location). So the caller
/// skips decoding, memo lookups and scanning: JSON APIs and forms carry many of them (`id`,
/// `price`, `page=2`); on the body of `cargo bench -p waf-bench --bench engine --
/// uncached/json_post_64k` they are 378 of the 953 distinct values.
#[inline]
pub fn plain_number(value: &str) -> bool {
    let b = value.as_bytes();
    // Most values are words: rejected on their first byte, inline.
    if b.len() > PLAIN_NUMBER_MAX || !b.first().is_some_and(|&c| c.is_ascii_digit() || c == b'-') {
        return false;
    }
    number_tail(b)
}

/// [`plain_number`] past its first byte's check.
fn number_tail(b: &[u8]) -> bool {
    let b = b.strip_prefix(b"-").unwrap_or(b);
    let digits = |b: &[u8]| b.iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(b);
    if int == 0 {
        return false;
    }
    let mut rest = &b[int..];
    if let Some(r) = rest.strip_prefix(b".") {
        let n = digits(r);
        if n == 0 {
            return false;
        }
        rest = &r[n..];
    }
    if let Some(r) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let r = r
            .strip_prefix(b"-")
            .or_else(|| r.strip_prefix(b"+"))
            .unwrap_or(r);
        let n = digits(r);
        if n == 0 {
            return false;
        }
        rest = &r[n..];
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests;
