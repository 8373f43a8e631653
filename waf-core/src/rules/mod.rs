//! The managed rules as data: one entry per rule, with its id, name, attack class, level, where
//! it looks and how it detects. The engine ([`crate::detect::Engine`]) compiles these entries;
//! nothing else describes a managed rule, so adding one is one entry here plus its test vectors
//! in `detect/tests.rs`.
//!
//! Ids are stable: never reuse one. Id ranges: 1000 protocol anomalies, 1100 scanners and
//! out-of-band domains, 1200 sensitive files, 2000 SQLi, 3000 XSS, 4000 traversal/LFI, 4100 RFI,
//! 5000 RCE, 5100 shellshock, 6000 PHP, 6100 Java/Log4Shell, 6200 SSTI, 7000 SSRF, 7100 XXE,
//! 8000 NoSQL, 8100 CRLF, 8200 LDAP, 8300 mail injection, 8400 SSI.
//!
//! Order matters where two rules fire on one value: the engine tries the regex rules in table
//! order (the sections of [`SECTIONS`] one after the other), then the checks in table order, and
//! reports the first that fires.

mod anomaly;
mod checks;
mod code;
mod inject;
mod paths;
mod probes;
mod sqli;
mod xss;

pub use anomaly::protocol_ids;

use crate::request::{Location, LocationSet};
use crate::verdict::AttackType;

/// One managed rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    /// Stable managed rule id.
    pub id: u32,
    /// Name shown in events and listings.
    pub name: &'static str,
    /// Attack class.
    pub class: AttackType,
    /// Lowest sensitivity (1-4) at which the rule is active.
    pub level: u8,
    /// Where it looks.
    pub locations: Scope,
    /// How it detects.
    pub detect: Detect,
}

/// Where a rule looks: a set of locations and, for headers, optionally one header only.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope {
    /// The locations.
    pub set: LocationSet,
    /// Only this header (lower case), when the rule looks at headers.
    pub header: Option<&'static str>,
}

impl Scope {
    const fn of(set: LocationSet) -> Scope {
        Scope { set, header: None }
    }

    /// One header only.
    const fn header(name: &'static str) -> Scope {
        Scope {
            set: LocationSet(Location::Header.bit()),
            header: Some(name),
        }
    }
}

/// Every location.
const ALL: Scope = Scope::of(LocationSet::ALL);
/// Parameters (names and values), path and body; not headers.
const ARGS: Scope = Scope::of(LocationSet::ARGS);
/// [`ARGS`] and headers.
const ARGS_HEADERS: Scope = Scope::of(LocationSet::ARGS.with(Location::Header));
/// The path.
const PATH: Scope = Scope::of(LocationSet(Location::Path.bit()));
/// Parameter names of query and body.
const NAMES: Scope = Scope::of(LocationSet(
    Location::ArgName.bit() | Location::BodyArgName.bit(),
));
/// No value: the rule is raised by the engine for the request as a whole.
const REQUEST: Scope = Scope::of(LocationSet(0));

/// How a rule detects.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Detect {
    /// A regex behind literal triggers. All triggers of all regex rules form one Aho-Corasick
    /// automaton; a rule's regex runs only on a value that holds one of its triggers, so every
    /// match of the regex must contain one (`every_regex_branch_has_a_trigger` checks it).
    Regex {
        /// Case-insensitive literals; at least one must occur in the value. A literal may
        /// start or end with `\b`, as the regex has it around that word: then only an
        /// occurrence at that word boundary counts (`or` in `color` does not make `\bor\b` a
        /// candidate).
        triggers: &'static [&'static str],
        /// The regex, case-insensitive, bytes-oriented, ASCII `\b`.
        pattern: &'static str,
    },
    /// A function of the value; `true` is a detection.
    Check {
        /// The test.
        test: fn(&str, Location) -> bool,
        /// Byte classes ([`crate::detect::class`]) of which the value must hold at least one
        /// for `test` to possibly fire; 0 for none. The engine skips the test from the value's
        /// classes, computed once per value (`checks_fire_only_on_values_with_their_needs`
        /// checks it).
        needs: u16,
        /// A shared gate asked once per value before the test.
        gate: Gate,
    },
    /// Raised by the engine for the request as a whole ([`protocol_ids`]), not per value.
    Protocol,
}

/// A gate shared by several checks, asked once per value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// None.
    None,
    /// [`crate::detect::sqli_gate`]: the value holds SQL structure or an SQL keyword.
    Sqli,
}

/// The sections of the table, in the order the engine tries them.
const SECTIONS: &[&[Rule]] = &[
    probes::RULES,
    sqli::RULES,
    xss::RULES,
    paths::RULES,
    code::RULES,
    inject::RULES,
    checks::RULES,
    anomaly::RULES,
];

/// Every managed rule, in table order.
pub(crate) fn all() -> impl Iterator<Item = &'static Rule> {
    SECTIONS.iter().flat_map(|s| s.iter())
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
    let mut v: Vec<ManagedRuleInfo> = all()
        .map(|r| ManagedRuleInfo {
            id: r.id,
            name: r.name,
            attack_type: r.class,
            level: r.level,
        })
        .collect();
    v.sort_by_key(|r| r.id);
    v
}

/// The name of managed rule `id`.
pub fn rule_name(id: u32) -> &'static str {
    all()
        .find(|r| r.id == id)
        .map_or("managed rule", |r| r.name)
}

/// The lowest sensitivity at which managed rule `id` is active (an unknown id: never).
pub(crate) fn rule_level(id: u32) -> u8 {
    all().find(|r| r.id == id).map_or(u8::MAX, |r| r.level)
}
