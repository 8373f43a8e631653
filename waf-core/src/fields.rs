//! The engine's visitor of a request's values: the worker's cache of clean values, the runs of
//! known pairs and cookie headers, and the out-of-line scan of a value the cache does not know.

use crate::detect::{self, Engine};
use crate::memo::{Probe, ValueCache};
use crate::model::Action;
use crate::normalize::{self, Depths};
use crate::parse::{self, FieldRef};
use crate::request::Location;
use crate::verdict::Match;

/// The engine's [`parse::Visitor`]: `field` decides about each value (`true`: a detection,
/// stop); query and form pairs whose fields all passed in an earlier request are found in the
/// worker's cache by their undecoded text, and skipped without being decoded.
pub(crate) struct Fields<'c, F> {
    /// The worker's cache of values found clean.
    pub(crate) cache: &'c mut ValueCache,
    /// The site's id, part of every cache key.
    pub(crate) site: Option<u64>,
    /// Whether the cache may answer: it is on, and the rules active for a value depend on the
    /// site alone (no exclusion on this path).
    pub(crate) pairs: bool,
    /// Whether a value's verdict depends on its parameter's name (an exclusion names one):
    /// JSON paths are then built for every field, not only for one that matched.
    pub(crate) names: bool,
    /// The decision about one value, given the cache.
    pub(crate) field: F,
}

impl<F: FnMut(FieldRef<'_>, &mut ValueCache) -> bool> parse::Visitor for Fields<'_, F> {
    fn field(&mut self, location: Location, name: &str, value: &str) -> bool {
        let f = FieldRef {
            location,
            name,
            value,
        };
        (self.field)(f, self.cache)
    }

    fn names(&self) -> bool {
        self.names
    }

    fn repeats_pass(&self) -> bool {
        // Without names the verdict depends on the location and value alone (the memo's own
        // premise): no exclusion names a parameter.
        !self.names
    }

    fn known_pair(&mut self, loc: Location, raw: &str) -> bool {
        self.pairs && matches!(self.cache.probe_pair(self.site, loc, raw), Probe::Clean)
    }

    fn known_cookies(&mut self, raw: &str) -> bool {
        self.known_pair(Location::Cookie, raw)
    }

    fn cookies_passed(&mut self, raw: &str) {
        self.pair_passed(Location::Cookie, raw);
    }

    fn known_run(&mut self, loc: Location, rest: &str) -> (usize, usize) {
        if !self.pairs {
            return (0, 0);
        }
        self.cache.follow_pairs(self.site, loc, rest)
    }

    fn pair_passed(&mut self, loc: Location, raw: &str) {
        if !self.pairs {
            return;
        }
        if let Probe::Miss(m) = self.cache.probe_pair(self.site, loc, raw) {
            self.cache.record_pair(m, self.site, loc, raw);
        }
    }
}

/// Decodes `f`'s value into its variants and runs the managed rules over each: the slow path
/// of the engine's visitor, out of line, so that the many values the visitor settles without a
/// scan (plain numbers, values the memo or cache knows) do not pay for this one's stack frame
/// (`cargo bench -p waf-bench --bench engine -- uncached/json_post_64k`, where four values in
/// five are settled so).
#[inline(never)]
pub(crate) fn scan_value(
    engine: &Engine,
    set: &mut detect::Candidates,
    depths: Depths,
    active: &dyn Fn(u32, u8) -> bool,
    f: FieldRef<'_>,
) -> Option<detect::Hit> {
    let mut hit = None;
    normalize::variants(f.value, depths, &mut |val| {
        hit = engine.scan(val, f.location, f.name, set, active);
        hit.is_some()
    });
    hit
}

/// The verdict's match for a managed rule's detection in `f`.
#[cold]
#[inline(never)]
pub(crate) fn hit_match(h: detect::Hit, f: FieldRef<'_>) -> Match {
    Match::at(
        h.id.to_string(),
        h.name,
        h.attack,
        Action::Block,
        Some(f.location),
        f.name,
        f.value,
    )
}

/// Whether a request target holds a NUL byte, raw or as `%00`: one `memchr2` pass rather than
/// two substring searches.
pub(crate) fn has_null(uri: &[u8]) -> bool {
    memchr::memchr2_iter(b'%', 0, uri).any(|i| uri[i] == 0 || uri[i + 1..].starts_with(b"00"))
}
