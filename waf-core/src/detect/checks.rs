//! Function rules: libinjection's SQLi and XSS detectors, each behind a cheap gate.
//!
//! SQLi uses evidence, not a single signal: libinjection's fingerprint says which token shape it
//! recognised. A few shapes are also the shapes of ordinary text (`sos`: a quoted word between
//! words, as in `"LIKE" STAMP`; `1&1`: `80% acrylic and 20% wool`; `1c`: an id ending in `--`).
//! Rule 2001 takes strong fingerprints. For *weak* ones, rule 2003 (sensitivity 2) wants corroboration from the value itself (an
//! operator between single-quoted strings, a comparison, a bare number before a comment); rule
//! 2002 (sensitivity 4) takes libinjection's word alone.

use super::Check;
use crate::request::{Location, LocationSet};
use crate::verdict::AttackType;

/// Protocol-anomaly rules raised by the engine itself (not per value).
pub(super) const PROTOCOL: &[(u32, &str)] = &[
    (1000, "Null byte in request"),
    (1001, "Too many parameters"),
    (1002, "Too many headers"),
    (1003, "Malformed structured body"),
    (1004, "Body over the inspection limit"),
    (1005, "Invalid percent-encoding in path"),
];

/// Ids of the protocol rules, for the engine.
pub mod protocol_ids {
    /// Null byte.
    pub const NULL_BYTE: u32 = 1000;
    /// Too many parameters.
    pub const TOO_MANY_ARGS: u32 = 1001;
    /// Too many headers.
    pub const TOO_MANY_HEADERS: u32 = 1002;
    /// Malformed JSON/multipart/XML.
    pub const MALFORMED_BODY: u32 = 1003;
    /// Body over the limit (with `oversize_body: block`).
    pub const OVERSIZE_BODY: u32 = 1004;
    /// Bad percent-encoding in the path.
    pub const BAD_PATH_ENCODING: u32 = 1005;
}

/// Every check.
pub(super) fn all() -> Vec<Check> {
    vec![
        Check {
            id: 2001,
            name: "SQL injection (libinjection)",
            attack: AttackType::Sqli,
            level: 1,
            locations: LocationSet::ALL,
            test: sqli,
        },
        Check {
            id: 2003,
            name: "SQL injection (libinjection, corroborated weak fingerprint)",
            attack: AttackType::Sqli,
            level: 2,
            locations: LocationSet::ALL,
            test: sqli_corroborated,
        },
        Check {
            id: 2002,
            name: "SQL injection (libinjection, weak fingerprint)",
            attack: AttackType::Sqli,
            level: 4,
            locations: LocationSet::ALL,
            test: sqli_any,
        },
        Check {
            id: 5000,
            name: "Command chaining into a shell command",
            attack: AttackType::Rce,
            level: 1,
            locations: LocationSet::ALL,
            test: super::shell::chained_command,
        },
        Check {
            id: 5002,
            name: "Backtick or $() command substitution",
            attack: AttackType::Rce,
            level: 2,
            locations: LocationSet::ALL,
            test: super::shell::substitution,
        },
        Check {
            id: 3001,
            name: "XSS (libinjection)",
            attack: AttackType::Xss,
            level: 1,
            locations: LocationSet::ALL,
            test: xss,
        },
    ]
}

/// Fingerprints that ordinary text also produces; they need corroboration (see module docs).
const WEAK: &[&str] = &["sos", "s&s", "1&1", "1c", "nc", "Enknk"];

/// A value made only of letters, digits, `-`, `_` and `.` (and non-ASCII) cannot carry SQL
/// syntax that libinjection would flag; skip those cheaply.
/// Words that can carry an SQL injection without any quote, comment or operator character,
/// sorted for binary search.
const SQL_WORDS: &[&str] = &[
    "alter",
    "and",
    "benchmark",
    "between",
    "case",
    "cast",
    "char",
    "concat",
    "convert",
    "create",
    "database",
    "dbms_pipe",
    "declare",
    "delete",
    "div",
    "drop",
    "exec",
    "execute",
    "false",
    "from",
    "group",
    "having",
    "in",
    "information_schema",
    "insert",
    "into",
    "is",
    "like",
    "limit",
    "load_file",
    "mod",
    "not",
    "null",
    "offset",
    "or",
    "order",
    "outfile",
    "pg_sleep",
    "procedure",
    "regexp",
    "rlike",
    "select",
    "shutdown",
    "sleep",
    "table",
    "true",
    "truncate",
    "union",
    "update",
    "user",
    "version",
    "waitfor",
    "when",
    "where",
    "xor",
];

/// The subset of [`SQL_WORDS`] that signals SQL in a header, where prose-like words
/// (`like` in every browser User-Agent) are common.
const SQL_WORDS_STRONG: &[&str] = &[
    "benchmark",
    "delete",
    "drop",
    "exec",
    "information_schema",
    "insert",
    "load_file",
    "outfile",
    "pg_sleep",
    "select",
    "sleep",
    "union",
    "update",
    "waitfor",
];

fn has_word(v: &str, words: &[&str]) -> bool {
    let mut buf = [0u8; 24];
    v.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|w| {
            if w.len() < 2 || w.len() > buf.len() {
                return false;
            }
            let lw = &mut buf[..w.len()];
            lw.copy_from_slice(w.as_bytes());
            lw.make_ascii_lowercase();
            std::str::from_utf8(lw).is_ok_and(|lw| words.binary_search(&lw).is_ok())
        })
}

/// Cheap gate before libinjection's tokeniser, which costs about 4 us per call on a browser
/// User-Agent (`cargo bench -p waf-bench -- inspect/clean_get` went from 53 us to 31 us with the
/// memo below and to the figure in bench/README.md with this gate). A value can only be SQL
/// injection if it holds an SQL-structural character or an SQL keyword as a word; in headers,
/// only quotes, comments, `;` and strong keywords count.
fn sqli_gate(v: &str, loc: Location) -> bool {
    if v.len() < 2 {
        return false;
    }
    let b = v.as_bytes();
    // An apostrophe between two letters (O'Brien, D'Angelo, don't) is not a quote by itself.
    let in_word = |i: usize| {
        i > 0 && i + 1 < b.len() && b[i - 1].is_ascii_alphabetic() && b[i + 1].is_ascii_alphabetic()
    };
    let quote_or_comment = b.iter().enumerate().any(|(i, c)| match c {
        b'\'' => !in_word(i),
        b'"' | b'`' | b';' | b'#' => true,
        _ => false,
    }) || v.contains("--")
        || v.contains("/*");
    if quote_or_comment {
        return true;
    }
    if loc == Location::Header {
        return has_word(v, SQL_WORDS_STRONG);
    }
    b.iter().any(|c| {
        matches!(
            c,
            b'(' | b')' | b'=' | b'<' | b'>' | b'|' | b'&' | b'!' | b'*' | b'@' | b'^' | b'~'
        )
    }) || has_word(v, SQL_WORDS)
}

thread_local! {
    /// The last value given to libinjection and its fingerprint: rules 2001, 2003 and 2002 look
    /// at the same value one after the other, and the tokeniser is the costly part.
    static SQLI_MEMO: std::cell::RefCell<(String, Option<libinjectionrs::Fingerprint>)> = const { std::cell::RefCell::new((String::new(), None)) };
}

fn sqli_fingerprint(v: &str, loc: Location) -> Option<libinjectionrs::Fingerprint> {
    if !sqli_gate(v, loc) {
        return None;
    }
    SQLI_MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.0 != v {
            let r = libinjectionrs::detect_sqli(v.as_bytes());
            let fp = if r.is_injection() {
                r.fingerprint
            } else {
                None
            };
            m.0.clear();
            m.0.push_str(v);
            m.1 = fp;
        }
        m.1.clone()
    })
}
fn sqli(v: &str, loc: Location) -> bool {
    sqli_fingerprint(v, loc).is_some_and(|fp| !WEAK.contains(&fp.as_str()))
}

/// Rule 2003: a weak fingerprint with corroboration from the text.
fn sqli_corroborated(v: &str, loc: Location) -> bool {
    sqli_fingerprint(v, loc)
        .is_some_and(|fp| WEAK.contains(&fp.as_str()) && corroborated(fp.as_str(), v))
}

/// Rule 2002: libinjection's word alone.
fn sqli_any(v: &str, loc: Location) -> bool {
    sqli_fingerprint(v, loc).is_some()
}

/// Whether the text backs up a weak fingerprint.
fn corroborated(fp: &str, v: &str) -> bool {
    match fp {
        "sos" | "s&s" => operator_between_quotes(v) || quoted_comparison(v),
        "1&1" => comparison(v) || has_comment(v),
        "1c" => number_then_comment(v),
        _ => false,
    }
}

/// `'<op>'`: a quote, an operator, the next quote (not doubled: `''` is an escaped quote in
/// text). The operator is symbols and SQL operator words (`' DIV '`, `'^'`, `aa'LIKE'0`), or
/// identifiers with a symbol next to a quote (`1'*column is \N - '1`). Between double quotes,
/// which ordinary text uses for quoting words, only a mix of an operator word and a symbol
/// counts (`1"OR!"a`), not `"&"` or `"LIKE"` alone.
fn operator_between_quotes(v: &str) -> bool {
    quoted_operator(v, b'\'') || quoted_operator(v, b'"')
}

fn quoted_operator(v: &str, q: u8) -> bool {
    const WORDS: &[&str] = &[
        "and", "or", "xor", "div", "mod", "like", "rlike", "regexp", "sounds", "not", "is", "in",
        "between", "null", "binary", "collate",
    ];
    const SYM: &[u8] = b"=<>!|&^/*+%~-";
    let b = v.as_bytes();
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == q) {
        let start = i + off + 1;
        let Some(len) = b[start..].iter().position(|&c| c == q) else {
            return false;
        };
        let end = start + len;
        let region = &v[start..end];
        let (mut words, mut idents, mut syms, mut other) = (0, 0, 0, false);
        for tok in region.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '@')) {
            if tok.is_empty() || tok.bytes().all(|c| c.is_ascii_digit()) || tok == "N" {
                continue;
            }
            if WORDS.iter().any(|w| tok.eq_ignore_ascii_case(w)) {
                words += 1;
            } else {
                idents += 1;
            }
        }
        for c in region.bytes() {
            if SYM.contains(&c) {
                syms += 1;
            } else if !(c.is_ascii_alphanumeric()
                || c.is_ascii_whitespace()
                || b"_@\\.".contains(&c))
            {
                other = true;
            }
        }
        let t = region.trim();
        let edge = t.bytes().next().is_some_and(|c| SYM.contains(&c))
            || t.bytes().last().is_some_and(|c| SYM.contains(&c));
        let doubled = b.get(end + 1) == Some(&q);
        let ok = !other
            && !doubled
            && if q == b'\'' {
                (idents == 0 && words + syms > 0) || (syms > 0 && edge)
            } else {
                words > 0 && syms > 0
            };
        if ok {
            return true;
        }
        i = end + 1;
    }
    false
}

/// A comparison operator or comparison keyword.
fn comparison(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    l.contains(['=', '<', '>'])
        || [" like ", " rlike ", " regexp ", " between ", " sounds "]
            .iter()
            .any(|w| l.contains(w))
}

/// A comparison right next to a single quote (`aa'!='1`, `x' = 'x`); a double quote next to
/// `=` is how URLs and HTML attributes look (`q="mod"&`), so it does not count.
fn quoted_comparison(v: &str) -> bool {
    let b = v.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        if c != b'\'' {
            return false;
        }
        let after = b[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
        let before = b[..i].iter().rev().find(|c| !c.is_ascii_whitespace());
        matches!(after, Some(b'=' | b'<' | b'>' | b'!'))
            || matches!(before, Some(b'=' | b'<' | b'>'))
    })
}

fn has_comment(v: &str) -> bool {
    v.contains("--") || v.contains('#') || v.contains("/*")
}

/// `1--`, `1 * 1 /*`: nothing but numbers and arithmetic before an SQL comment.
fn number_then_comment(v: &str) -> bool {
    let t = v.trim_start();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c.is_ascii_whitespace() || "+*-".contains(c)))
        .unwrap_or(t.len());
    let head = &t[..end];
    let rest = &t[end..];
    t.starts_with(|c: char| c.is_ascii_digit())
        && (head.trim_end().ends_with("--") || rest.starts_with("/*") || rest.starts_with('#'))
}

fn xss(v: &str, _loc: Location) -> bool {
    if !v
        .bytes()
        .any(|c| matches!(c, b'<' | b'>' | b'=' | b'`' | b':' | b'"' | b'\''))
    {
        return false;
    }
    libinjectionrs::detect_xss(v.as_bytes()).is_injection()
}
