//! # waf-core
//!
//! The engine shared by `waf-proxy` and `waf-admin`: rule model, compiler, request model,
//! normalisation, detectors and verdicts. A pure library: no file, socket or clock I/O except
//! `Instant` for CC windows.
//!
//! ```
//! use waf_core::{Policy, Request, Scratch, Action};
//!
//! let policy = Policy::default_policy().expect("the shipped rules compile");
//! let mut scratch = Scratch::new();
//! let v = policy.inspect(&Request::get("/?id=1'%20or%20'1'='1"), &mut scratch);
//! assert_eq!(v.action, Action::Block);
//! let v = policy.inspect(&Request::get("/search?q=O'Brien"), &mut scratch);
//! assert_eq!(v.action, Action::Allow);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod acl;
pub mod cc;
pub mod control;
mod custom;
mod detect;
pub mod error;
pub mod event;
mod fields;
pub mod model;
mod normalize;
pub mod observe;
mod parse;
mod policy;
pub mod request;
mod reuse;
mod rules;
mod textset;
pub mod verdict;

pub use acl::IpTable;
pub use error::{RuleError, RuleErrors};
pub use model::{Action, RuleSet, SourceFile};
pub use parse::form_pairs;
pub use policy::{Policy, RuleCounts, Scratch};
pub use request::{Field, Location, Request};
pub use rules::{catalog, protocol_ids, rule_name, ManagedRuleInfo};
pub use verdict::{AttackType, Match, RuleRef, Verdict};

/// Engine internals for the fuzz targets, benchmarks and tests: not part of the API, and free to
/// change with the engine.
#[doc(hidden)]
pub mod internals {
    pub use crate::normalize::{canonical_path, url_decode, variants, Depths};
    pub use crate::parse::{extract, Limits, ParseNotes};
}

/// The engine version, reported by status endpoints.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The shipped default rule set (`rules/*.yaml`), embedded at build time so the binaries run
/// with no file at all.
pub fn default_sources() -> Vec<SourceFile> {
    DEFAULT_RULES
        .iter()
        .map(|(n, t)| SourceFile::new(*n, *t))
        .collect()
}

/// The shipped rule files, by name.
pub const DEFAULT_RULES: &[(&str, &str)] = &[
    ("settings.yaml", include_str!("../../rules/settings.yaml")),
    ("managed.yaml", include_str!("../../rules/managed.yaml")),
    ("acl.yaml", include_str!("../../rules/acl.yaml")),
    ("cc.yaml", include_str!("../../rules/cc.yaml")),
    ("custom.yaml", include_str!("../../rules/custom.yaml")),
    ("sites.yaml", include_str!("../../rules/sites.yaml")),
];
