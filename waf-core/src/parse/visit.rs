//! What extraction hands out and how: the [`Visitor`] that receives each field, the limits
//! and notes of a pass, and the sink the parsers push fields into (it counts them against the
//! limits and stops when the visitor has found something).

use crate::request::Location;
use crate::reuse::Reuse;

/// Limits applied while extracting.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most parameters extracted; the rest are counted, not kept. Values are handed over whole,
    /// however long: the body they come from is bounded by `settings.body_limit`.
    pub max_args: usize,
}

/// What extraction noticed that is itself suspicious.
#[derive(Debug, Default, Clone, Copy)]
pub struct ParseNotes {
    /// More parameters than `max_args`.
    pub too_many_args: bool,
    /// The body claimed a structured type (JSON, multipart, XML) but did not parse.
    pub malformed_body: bool,
    /// A multipart body without a usable boundary.
    pub bad_multipart: bool,
    /// A body whose parts different parsers read differently (see `multipart`): refused
    /// rather than guessed.
    pub ambiguous_body: bool,
}

/// What `visit` hands to its visitor for each value: where it was found, the parameter name
/// (the dotted path for JSON; empty for path and raw body) and the first-level decoded value.
/// Borrowed for the duration of the call only.
#[derive(Debug, Clone, Copy)]
pub struct FieldRef<'v> {
    /// Where it was found.
    pub location: Location,
    /// Parameter, cookie or header name.
    pub name: &'v str,
    /// The value.
    pub value: &'v str,
}

/// Receives what `visit` extracts. Any `FnMut(FieldRef) -> bool` closure is one (it sees every
/// field); the engine also answers for whole form pairs, which lets it skip decoding pairs it has
/// already passed.
pub trait Visitor {
    /// Each value (the parts of a [`FieldRef`]); returns `true` to stop extraction (a
    /// detection). The parts come as separate arguments, in registers: a `FieldRef` is passed
    /// through memory, and reading it back right after it was written stalls on every value.
    fn field(&mut self, location: Location, name: &str, value: &str) -> bool;

    /// What the visitor's verdicts may be reused for in this request. Unless it is
    /// [`Reuse::Off`] (the default), a field's verdict does not depend on its name: JSON body
    /// fields then come with an empty name and their path is not built; a field that stops
    /// extraction (`field` returned `true`) is then handed again under its path, and `field` must
    /// decide it the same way. And a field that passed (`field` returned `false`) passes wherever
    /// the same value comes again at the same location: a JSON body's repeats are then counted
    /// against `max_args` but not handed over again.
    fn reuse(&self) -> Reuse {
        Reuse::Off
    }

    /// Before a query or form pair is decoded: `raw` is the undecoded `name=value` and `loc`
    /// where its value goes (`QueryArg` or `BodyArg`); or, for `loc` `Cookie`, before a Cookie
    /// header is split, `raw` its whole text. `true` says that both its fields are
    /// known to pass: the pair is then counted against `max_args` but neither decoded nor
    /// visited. The default knows no pair.
    fn known_pair(&mut self, loc: Location, raw: &str) -> bool {
        let _ = (loc, raw);
        false
    }

    /// After both fields of a pair were visited and neither stopped extraction.
    fn pair_passed(&mut self, loc: Location, raw: &str) {
        let _ = (loc, raw);
    }

    /// Before the pairs of `rest`, the undecoded remainder of a query or form from one pair's
    /// start: how many of its leading pairs the visitor knows to pass, all at once, as
    /// `(bytes, pairs)`. `bytes` ends at the `&` after the last of them, or at the end of
    /// `rest`; empty pieces (`&&`) between them are skipped and not counted. Those pairs are
    /// counted against `max_args` and neither split, decoded nor visited; the pair after them
    /// goes through [`Visitor::known_pair`] as usual. The default knows none.
    fn known_run(&mut self, loc: Location, rest: &str) -> (usize, usize) {
        let _ = (loc, rest);
        (0, 0)
    }
}

impl<F: FnMut(FieldRef<'_>) -> bool> Visitor for F {
    fn field(&mut self, location: Location, name: &str, value: &str) -> bool {
        self(FieldRef {
            location,
            name,
            value,
        })
    }
}

pub(super) struct Sink<'f> {
    pub(super) f: &'f mut dyn Visitor,
    pub(super) args: usize,
    pub(super) lim: Limits,
    pub(super) notes: ParseNotes,
    pub(super) stopped: bool,
}

impl Sink<'_> {
    /// Whether extraction should stop: the visitor found something, or too many parameters.
    pub(super) fn done(&self) -> bool {
        self.stopped || self.notes.too_many_args
    }
    /// Counts one parameter against `max_args`; false (and noted) past the limit.
    pub(super) fn count(&mut self) -> bool {
        self.count_many(1)
    }
    /// Counts `n` parameters against `max_args`; false (and noted) past the limit.
    pub(super) fn count_many(&mut self, n: usize) -> bool {
        self.args += n;
        if self.args > self.lim.max_args {
            self.notes.too_many_args = true;
            return false;
        }
        true
    }
    /// A form or query parameter: its name, then its value. False when it was over the limit
    /// and not visited.
    pub(super) fn arg(
        &mut self,
        name_loc: Location,
        value_loc: Location,
        name: &str,
        value: &str,
    ) -> bool {
        if !self.count() {
            return false;
        }
        if !name.is_empty() {
            self.emit(name_loc, name, name);
        }
        self.push(value_loc, name, value);
        true
    }
    pub(super) fn counted(&mut self, location: Location, name: &str, value: &str) {
        if self.count() {
            self.push(location, name, value);
        }
    }
    /// [`Sink::push`] with an empty name; when the field stops extraction, it is pushed again
    /// under `name()`, so that the visitor (which sees it twice) can say where it matched.
    pub(super) fn push_unnamed(
        &mut self,
        location: Location,
        value: &str,
        name: impl FnOnce() -> String,
    ) {
        self.push(location, "", value);
        if self.stopped {
            self.stopped = false;
            self.push(location, &name(), value);
        }
    }
    /// A value, whole: a payload anywhere in a long value (after padding, or in its middle)
    /// is scanned with the rest of it.
    pub(super) fn push(&mut self, location: Location, name: &str, value: &str) {
        if !value.is_empty() {
            self.emit(location, name, value);
        }
    }
    pub(super) fn emit(&mut self, location: Location, name: &str, value: &str) {
        if self.stopped {
            return;
        }
        self.stopped = self.f.field(location, name, value);
    }
}
