//! Value reuse: every cache and memo of the engine, and the one decision, taken once per request,
//! of which of them may answer.
//!
//! The invariant that makes reuse safe: a value's verdict depends only on the policy, the site,
//! the value's location, its header name (for headers) and the value itself, unless an exclusion
//! on the request's path names a parameter or a rule. [`Reuse::decide`] reads the exclusions of
//! the request's path and says what holds:
//!
//! - [`Reuse::AcrossRequests`]: no exclusion applies, so a value found clean in an earlier request
//!   of the same worker, site, location and header name is clean now ([`ValueCache`], with its
//!   undecoded query, form and cookie pairs), and a value repeated within the request is clean
//!   wherever it repeats ([`CleanMemo`]; [`Seen`] for the fields of one JSON body).
//! - [`Reuse::InRequest`]: exclusions apply, none names a parameter: only repeats within the
//!   request are skipped ([`CleanMemo`], [`Seen`]).
//! - [`Reuse::Off`]: an exclusion names a parameter, so a verdict depends on the field's name:
//!   every value is scanned, and JSON fields are named as they are walked.
//!
//! Only clean results are kept: a detection is never cached. The libinjection memos
//! ([`verdicts`]) are of another kind: they keep the results of pure functions of the value and
//! are never stale, so they are always on.
//!
//! `tests.rs` states the invariant as a property: every check, and the whole policy, decides the
//! same with each cache on or off.

mod seen;
mod values;
pub(crate) mod verdicts;

#[cfg(test)]
mod tests;

pub(crate) use seen::Seen;
pub(crate) use values::CACHE_ENTRIES;
use values::{CleanMemo, Miss, Probe, ValueCache};

use crate::model::Exclusion;
use crate::request::Location;

/// What may be reused while one request is inspected, decided once per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Nothing: a verdict may depend on the field's name.
    Off,
    /// Values repeated within this request.
    InRequest,
    /// Values found clean in earlier requests for this site (its id; `None` outside any site),
    /// and repeats within this request.
    AcrossRequests {
        /// Part of every cache key.
        site: Option<u64>,
    },
}

impl Reuse {
    /// The reuse allowed under `exclusions`, those that apply to the request's path, for a
    /// request of `site`.
    pub(crate) fn decide(exclusions: &[&Exclusion], site: Option<u64>) -> Reuse {
        if exclusions.iter().any(|x| x.parameter.is_some()) {
            Reuse::Off
        } else if !exclusions.is_empty() {
            Reuse::InRequest
        } else {
            Reuse::AcrossRequests { site }
        }
    }

    /// Whether a field's verdict depends on its name (JSON paths are then built for every
    /// field, not only for one that matched).
    pub(crate) fn needs_names(self) -> bool {
        self == Reuse::Off
    }
}

/// The caches and memos a worker keeps between requests (in its [`crate::Scratch`]).
#[derive(Debug)]
pub(crate) struct Memos {
    clean: CleanMemo,
    cache: ValueCache,
    /// The most reuse a request gets, whatever [`Reuse::decide`] allows: lets the tests compare
    /// verdicts with each cache off.
    #[cfg(test)]
    pub(crate) ceiling: Ceiling,
}

/// How far [`Memos::ceiling`] lets reuse go.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ceiling {
    /// As decided.
    Any,
    /// At most [`Reuse::InRequest`].
    InRequest,
    /// [`Reuse::Off`].
    Off,
}

#[cfg(test)]
impl Ceiling {
    /// `reuse`, capped.
    fn cap(self, reuse: Reuse) -> Reuse {
        match (self, reuse) {
            (Ceiling::Off, _) => Reuse::Off,
            (Ceiling::InRequest, Reuse::AcrossRequests { .. }) => Reuse::InRequest,
            (_, r) => r,
        }
    }
}

impl Memos {
    /// Empty memos; the cross-request cache keeps up to `entries` values (0: off).
    pub(crate) fn new(entries: usize) -> Memos {
        Memos {
            clean: CleanMemo::default(),
            cache: ValueCache::with_capacity(entries),
            #[cfg(test)]
            ceiling: Ceiling::Any,
        }
    }

    /// Starts inspecting a request (or one of its passes) under policy `policy` with the reuse
    /// `reuse` allows: forgets the previous request's repeats, and the cache's values if they
    /// were found under another policy.
    pub(crate) fn start(&mut self, policy: u64, reuse: Reuse) -> Session<'_> {
        self.clean.clear();
        self.cache.sync(policy);
        let reuse = match reuse {
            // A cache of no entries keeps nothing: repeats within the request only.
            Reuse::AcrossRequests { .. } if !self.cache.enabled() => Reuse::InRequest,
            r => r,
        };
        #[cfg(test)]
        let reuse = self.ceiling.cap(reuse);
        Session {
            reuse,
            clean: &mut self.clean,
            cache: &mut self.cache,
        }
    }
}

/// The memos of one request, with what they may answer: the engine's visitor asks it before it
/// scans a value and tells it about each value that passed.
pub(crate) struct Session<'m> {
    reuse: Reuse,
    clean: &'m mut CleanMemo,
    cache: &'m mut ValueCache,
}

/// What [`Session::lookup`] knows of a value.
pub(crate) enum Lookup {
    /// It passed before, where it may be reused: nothing to scan.
    Clean,
    /// Unknown: scan it, and hand this to [`Session::passed`] if it passes.
    Scan(Pending),
}

/// Where a value that passes is recorded.
pub(crate) enum Pending {
    /// Nowhere.
    None,
    /// In the cross-request cache, at the place its lookup found.
    Cache(Miss),
    /// In this request's memo.
    Memo,
}

impl Session<'_> {
    /// What this request may reuse.
    pub(crate) fn reuse(&self) -> Reuse {
        self.reuse
    }

    /// Looks up `value` at `loc` (under header `name` for headers; else ""). The worker's cache,
    /// when it keeps the value, is the only memo asked; otherwise values in bodies are looked up
    /// among this request's repeats (a tag or a comment in every element of a JSON array; the
    /// line, headers and cookies are few and distinct).
    #[inline]
    pub(crate) fn lookup(&mut self, loc: Location, name: &str, value: &str) -> Lookup {
        let probe = match self.reuse {
            Reuse::AcrossRequests { site } => self.cache.probe(site, loc, name, value),
            _ => Probe::NotKept,
        };
        match probe {
            Probe::Clean => Lookup::Clean,
            Probe::Miss(miss) => Lookup::Scan(Pending::Cache(miss)),
            Probe::NotKept => {
                let memo = self.reuse != Reuse::Off
                    && matches!(
                        loc,
                        Location::Body | Location::BodyArg | Location::BodyArgName
                    );
                if !memo {
                    Lookup::Scan(Pending::None)
                } else if self.clean.is_clean(loc, value) {
                    Lookup::Clean
                } else {
                    Lookup::Scan(Pending::Memo)
                }
            }
        }
    }

    /// Records that `value`, looked up with the same arguments, passed.
    #[inline]
    pub(crate) fn passed(&mut self, pending: Pending, loc: Location, name: &str, value: &str) {
        match pending {
            Pending::None => {}
            Pending::Cache(miss) => {
                if let Reuse::AcrossRequests { site } = self.reuse {
                    self.cache.record(miss, site, loc, name, value);
                }
            }
            Pending::Memo => self.clean.record(loc, value),
        }
    }

    /// Whether both fields of the undecoded query, form or cookie pair `raw`, whose value goes
    /// to `loc`, passed in an earlier request.
    pub(crate) fn known_pair(&mut self, loc: Location, raw: &str) -> bool {
        match self.reuse {
            Reuse::AcrossRequests { site } => {
                matches!(self.cache.probe_pair(site, loc, raw), Probe::Clean)
            }
            _ => false,
        }
    }

    /// Records that both fields of the pair `raw` passed.
    pub(crate) fn pair_passed(&mut self, loc: Location, raw: &str) {
        if let Reuse::AcrossRequests { site } = self.reuse {
            if let Probe::Miss(m) = self.cache.probe_pair(site, loc, raw) {
                self.cache.record_pair(m, site, loc, raw);
            }
        }
    }

    /// The known pairs at the start of `rest`, as `(bytes, pairs)` (see
    /// [`ValueCache::follow_pairs`]).
    pub(crate) fn known_run(&mut self, loc: Location, rest: &str) -> (usize, usize) {
        match self.reuse {
            Reuse::AcrossRequests { site } => self.cache.follow_pairs(site, loc, rest),
            _ => (0, 0),
        }
    }
}
