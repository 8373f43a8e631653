//! Many literals and regexes matched in one pass: one Aho-Corasick automaton for the literals,
//! one multi-pattern regex-automata regex for the regexes. Used by ACL and custom rules so that
//! per-request cost depends on the request, not on the number of rules.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind as AcMatchKind};
use regex_automata::meta::{self, Regex};
use regex_automata::{Input, MatchKind, PatternSet};

/// Compiled literals and regexes, each tagged with a caller-chosen id.
#[derive(Debug, Default)]
pub(crate) struct TextSet {
    ac: Option<AhoCorasick>,
    ac_ids: Vec<usize>,
    /// Whether a literal only counts when it matches at offset 0 (prefix semantics).
    prefix_only: bool,
    re: Option<Regex>,
    re_ids: Vec<usize>,
}

/// A regex that failed to compile, by the caller's id.
#[derive(Debug)]
pub(crate) struct TextSetError {
    pub id: usize,
    pub reason: String,
}

impl TextSet {
    /// Builds the set. Literals are matched ASCII-case-insensitively unless `prefix_only`.
    pub fn build(
        literals: Vec<(usize, String)>,
        regexes: Vec<(usize, String)>,
        prefix_only: bool,
    ) -> Result<TextSet, TextSetError> {
        let mut set = TextSet {
            prefix_only,
            ..TextSet::default()
        };
        if !literals.is_empty() {
            let (ids, pats): (Vec<usize>, Vec<String>) = literals.into_iter().unzip();
            let ac = AhoCorasickBuilder::new()
                .ascii_case_insensitive(!prefix_only)
                .match_kind(AcMatchKind::Standard)
                .build(&pats)
                .map_err(|e| TextSetError {
                    id: ids.first().copied().unwrap_or(0),
                    reason: e.to_string(),
                })?;
            set.ac = Some(ac);
            set.ac_ids = ids;
        }
        if !regexes.is_empty() {
            let (ids, pats): (Vec<usize>, Vec<String>) = regexes.into_iter().unzip();
            let re = Regex::builder()
                .configure(meta::Config::new().match_kind(MatchKind::All))
                .build_many(&pats)
                .map_err(|e| TextSetError {
                    id: e
                        .pattern()
                        .and_then(|p| ids.get(p.as_usize()).copied())
                        .unwrap_or_else(|| ids.first().copied().unwrap_or(0)),
                    reason: format!("regex does not compile: {e}"),
                })?;
            set.re = Some(re);
            set.re_ids = ids;
        }
        Ok(set)
    }

    /// True when nothing was compiled in.
    pub fn is_empty(&self) -> bool {
        self.ac.is_none() && self.re.is_none()
    }

    /// Pushes the id of every literal and regex found in `hay` (ids may repeat).
    pub fn find(&self, hay: &str, pset: &mut Option<PatternSet>, out: &mut Vec<usize>) {
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(hay) {
                if self.prefix_only && m.start() != 0 {
                    continue;
                }
                out.push(self.ac_ids[m.pattern().as_usize()]);
            }
        }
        if let Some(re) = &self.re {
            let set = match pset {
                Some(s) if s.capacity() >= re.pattern_len() => s,
                _ => pset.insert(PatternSet::new(re.pattern_len())),
            };
            set.clear();
            re.which_overlapping_matches(&Input::new(hay), set);
            out.extend(set.iter().map(|p| self.re_ids[p.as_usize()]));
        }
    }
}
