//! The engine's visitor of a request's values: hands the parser's questions about reuse to the
//! request's [`Session`], and scans out of line a value no memo knows.

use crate::detect::{self, Engine};
use crate::model::Action;
use crate::normalize::{self, Depths};
use crate::parse::{self, FieldRef};
use crate::request::Location;
use crate::reuse::{Reuse, Session};
use crate::verdict::{Match, RuleRef};

/// The engine's [`parse::Visitor`]: `field` decides about each value (`true`: a detection,
/// stop), given the request's memos; query, form and cookie pairs whose fields all passed in an
/// earlier request are found by their undecoded text, and skipped without being decoded.
pub(crate) struct Fields<'m, F> {
    /// The request's memos, with what they may answer.
    pub(crate) memos: Session<'m>,
    /// The decision about one value, given the memos.
    pub(crate) field: F,
}

impl<F: FnMut(FieldRef<'_>, &mut Session<'_>) -> bool> parse::Visitor for Fields<'_, F> {
    fn field(&mut self, location: Location, name: &str, value: &str) -> bool {
        let f = FieldRef {
            location,
            name,
            value,
        };
        (self.field)(f, &mut self.memos)
    }

    fn reuse(&self) -> Reuse {
        self.memos.reuse()
    }

    fn known_pair(&mut self, loc: Location, raw: &str) -> bool {
        self.memos.known_pair(loc, raw)
    }

    fn known_run(&mut self, loc: Location, rest: &str) -> (usize, usize) {
        self.memos.known_run(loc, rest)
    }

    fn pair_passed(&mut self, loc: Location, raw: &str) {
        self.memos.pair_passed(loc, raw);
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
        RuleRef::Managed(h.id),
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
