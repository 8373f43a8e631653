//! Many literals and regexes matched in one pass over a value, for ACL and custom rules.
//!
//! Literals go into one Aho-Corasick automaton. Each regex contributes its literal prefixes
//! (extracted from its syntax tree) to a second automaton; a regex only runs when one of its
//! prefixes occurs in the value. Regexes without a usable prefix (`.+`, `^\d+$`) run on every
//! value. So per-request cost follows the request, not the number of rules. Every regex was
//! built when its rule was validated ([`RegexPattern`]): none is built on the request path.
//!
//! Why not one multi-pattern regex: measured with 10,000 patterns, a single regex-automata
//! `meta::Regex` took 2.7 s to build and over 20 GiB to search with `MatchKind::All`.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind as AcMatchKind};
use regex_automata::meta::Regex;
use regex_automata::Input;

use crate::model::RegexPattern;

/// Compiled literals and regexes, each tagged with a caller-chosen id.
#[derive(Debug, Default)]
pub(crate) struct TextSet {
    ac: Option<AhoCorasick>,
    ac_ids: Vec<usize>,
    /// Whether a literal only counts when it matches at offset 0 (prefix semantics).
    prefix_only: bool,
    regexes: Vec<Regex>,
    re_ids: Vec<usize>,
    /// Prefix literal -> regex index.
    re_prefix: Option<AhoCorasick>,
    re_prefix_owner: Vec<usize>,
    /// Regexes without a usable prefix: run on every value.
    always: Vec<usize>,
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
        regexes: Vec<(usize, RegexPattern)>,
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
        let mut prefix_lits: Vec<Vec<u8>> = Vec::new();
        for (id, pattern) in regexes {
            let idx = set.regexes.len();
            match pattern.prefixes() {
                Some(ps) => {
                    for p in ps {
                        prefix_lits.push(p.clone());
                        set.re_prefix_owner.push(idx);
                    }
                }
                None => set.always.push(idx),
            }
            set.regexes.push(pattern.compiled().clone());
            set.re_ids.push(id);
        }
        if !prefix_lits.is_empty() {
            let ac = AhoCorasickBuilder::new()
                .match_kind(AcMatchKind::Standard)
                .build(&prefix_lits)
                .map_err(|e| TextSetError {
                    id: set.re_ids.first().copied().unwrap_or(0),
                    reason: e.to_string(),
                })?;
            set.re_prefix = Some(ac);
        }
        Ok(set)
    }

    /// True when nothing was compiled in.
    pub fn is_empty(&self) -> bool {
        self.ac.is_none() && self.regexes.is_empty()
    }

    /// Pushes the id of every literal and regex found in `hay` (ids may repeat).
    pub fn find(&self, hay: &str, cands: &mut Vec<usize>, out: &mut Vec<usize>) {
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(hay) {
                if self.prefix_only && m.start() != 0 {
                    continue;
                }
                out.push(self.ac_ids[m.pattern().as_usize()]);
            }
        }
        if self.regexes.is_empty() {
            return;
        }
        cands.clear();
        if let Some(ac) = &self.re_prefix {
            cands.extend(
                ac.find_overlapping_iter(hay)
                    .map(|m| self.re_prefix_owner[m.pattern().as_usize()]),
            );
            cands.sort_unstable();
            cands.dedup();
        }
        for &i in cands.iter().chain(self.always.iter()) {
            if self.regexes[i].is_match(Input::new(hay)) {
                out.push(self.re_ids[i]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_regexes_with_and_without_prefixes() {
        let re = |s: &str| RegexPattern::new(s).expect("valid regex");
        let set = TextSet::build(
            vec![(1, "abc".into())],
            vec![
                (2, re("tok[0-9]+x")),
                (3, re("^[0-9]+$")),
                (4, re("(?i)evil-\\d")),
            ],
            false,
        )
        .expect("build");
        let (mut c, mut out) = (Vec::new(), Vec::new());
        set.find("xxABCxx tok12x", &mut c, &mut out);
        assert_eq!(out, vec![1, 2]);
        out.clear();
        set.find("12345", &mut c, &mut out);
        assert_eq!(out, vec![3]);
        out.clear();
        set.find("an EVIL-7 thing", &mut c, &mut out);
        assert_eq!(out, vec![4]);
        assert!(RegexPattern::new("a(b").is_err());
        assert!(RegexPattern::new("").is_err());
    }
}
