//! Patterns of ACL and custom rules: case-insensitive literals and regexes checked and built at
//! validation, with the literal prefixes that [`crate::textset::TextSet`] uses as a prefilter.

use regex_automata::meta::{self, Regex};
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// A regular expression built when the rule was validated, with the literal prefixes the
/// compiler's prefilter uses (extracted from the same parse, so compiling 10,000 rules parses
/// each regex once). A pattern whose syntax is valid but which does not build (over the size
/// limits, `zz\w{3000}`) is a validation error, never a rule that silently matches nothing; and
/// no regex is built on the request path.
#[derive(Debug, Clone)]
pub struct RegexPattern {
    source: String,
    prefixes: Option<Vec<Vec<u8>>>,
    compiled: Regex,
}

impl PartialEq for RegexPattern {
    fn eq(&self, other: &Self) -> bool {
        // The compiled form follows from the source.
        self.source == other.source
    }
}

impl Eq for RegexPattern {}

impl RegexPattern {
    /// Parses and builds `source` (regex-automata syntax); the error is one line.
    pub fn new(source: &str) -> Result<RegexPattern, String> {
        if source.is_empty() {
            return Err("empty regex".into());
        }
        let prefixes = prefixes(source)?;
        let compiled = build(source)?;
        Ok(RegexPattern {
            source: source.to_string(),
            prefixes,
            compiled,
        })
    }

    /// The regex as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Literal prefixes one of which every match starts with (`None`: no usable prefix).
    pub(crate) fn prefixes(&self) -> Option<&[Vec<u8>]> {
        self.prefixes.as_deref()
    }

    /// The built regex (cheap to clone: shared).
    pub(crate) fn compiled(&self) -> &Regex {
        &self.compiled
    }
}

/// A text pattern: case-insensitive literal or a regular expression (`re:` prefix in YAML).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextPattern {
    /// Lower-cased literal, matched case-insensitively.
    Literal(String),
    /// A regex (regex-automata syntax), matched case-sensitively unless it says `(?i)`.
    Regex(RegexPattern),
}

/// Checks a regex's syntax and returns its literal prefixes, or `None` when it can match with no
/// usable prefix. The error is on one line.
fn prefixes(pattern: &str) -> Result<Option<Vec<Vec<u8>>>, String> {
    let hir = regex_automata::util::syntax::parse(pattern)
        .map_err(|e| format!("invalid regex: {}", first_line(&e.to_string())))?;
    let seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        // A class wider than 4 ends the prefix there instead of multiplying it (`tok-[0-9]+`
        // gives `tok-`, not ten literals): a shorter prefilter literal, a 10x smaller automaton.
        .limit_class(4)
        .limit_total(64)
        .extract(&hir);
    match seq.literals() {
        Some(lits) if !lits.is_empty() && lits.iter().all(|l| !l.as_bytes().is_empty()) => {
            Ok(Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect()))
        }
        _ => Ok(None),
    }
}

/// Builds one regex as rules use it; the builder's reason on one line when it does not build.
///
/// No full DFA and no prefilter of its own: the meta engine would determinise small regexes
/// completely at build time (most of the cost of building 10,000 rule regexes) and extract
/// literals the [`crate::textset::TextSet`] prefilter already extracted; its lazy DFA searches as
/// fast once warm, and a regex only runs on values holding one of its prefixes. Matching is the
/// same.
fn build(pattern: &str) -> Result<Regex, String> {
    Regex::builder()
        .configure(meta::Config::new().dfa(false).auto_prefilter(false))
        .build(pattern)
        .map_err(|e| {
            let mut reason = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                reason = format!("{reason}: {c}");
                cause = c.source();
            }
            format!("regex does not build: {}", first_line(&reason))
        })
}

fn first_line(s: &str) -> String {
    // regex-syntax errors are multi-line with a caret diagram; keep them but on one line.
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}
