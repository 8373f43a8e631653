//! Patterns of ACL and custom rules: case-insensitive literals and regexes checked at validation,
//! with the literal prefixes that [`crate::textset::TextSet`] uses as a prefilter.

use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// A regular expression whose syntax was checked when the rule was validated, with the literal
/// prefixes the compiler's prefilter uses (extracted from the same parse, so compiling 10,000
/// rules parses each regex once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexPattern {
    source: String,
    prefixes: Option<Vec<Vec<u8>>>,
}

impl RegexPattern {
    /// Parses `source` (regex-automata syntax); the error is one line.
    pub fn new(source: &str) -> Result<RegexPattern, String> {
        if source.is_empty() {
            return Err("empty regex".into());
        }
        let prefixes = prefixes(source)?;
        Ok(RegexPattern {
            source: source.to_string(),
            prefixes,
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

fn first_line(s: &str) -> String {
    // regex-syntax errors are multi-line with a caret diagram; keep them but on one line.
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}
