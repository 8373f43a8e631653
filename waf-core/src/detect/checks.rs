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
    (1006, "Ambiguous multipart body"),
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
    /// A multipart body that parsers read differently (a delimiter mid-line, a part header
    /// twice): the proxy answers it with 400.
    pub const AMBIGUOUS_BODY: u32 = 1006;
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

/// The byte classes (see [`super::class`]) a value needs for check `id` to possibly fire; 0 when
/// the check has no such requirement. Mirrors each check's own first test, so that
/// [`super::Engine::scan`] can skip it from the value's shape, computed once.
pub(super) fn needs(id: u32) -> u16 {
    use super::class::*;
    match id {
        5000 => SEMI | PIPE | AMP | NL | TICK | DOLLAR,
        5002 => TICK | DOLLAR,
        3001 => ANGLE | EQ | TICK | COLON | QUOTE,
        _ => 0,
    }
}

/// Whether check `id` is one of the libinjection SQLi checks, which fire only on values that
/// pass [`sqli_gate`].
pub(super) fn gated_by_sqli(id: u32) -> bool {
    matches!(id, 2001..=2003)
}

/// How much an SQL keyword says about a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    /// Not an SQL keyword.
    No,
    /// An SQL keyword that is also common in prose and headers (`like`, `and`, `in`).
    Weak,
    /// An SQL keyword that signals SQL even in a header.
    Strong,
}

/// Words that can carry an SQL injection without any quote, comment or operator character;
/// *strong* ones also count in headers, where prose-like words (`like` in every browser
/// User-Agent) are common. No allocation: the word is compared, ignoring ASCII case, with the
/// few keywords of its first letter (this replaced a binary search over `&str`s that was a
/// sixth of `cargo bench -p waf-bench --bench engine -- inspect/clean_get`).
fn sql_word(w: &[u8]) -> Word {
    if w.len() < 2 || w.len() >= SQL_SHAPES.len() {
        return Word::No;
    }
    // Most words are not keywords: reject them on (length, first letter, last letter) before
    // comparing (`inspect/json_post_64k`).
    let (first, last) = (w[0] | 0x20, w[w.len() - 1] | 0x20);
    if !(first.is_ascii_lowercase() && last.is_ascii_lowercase())
        || SQL_SHAPES[w.len()][0] & (1 << (first - b'a')) == 0
        || SQL_SHAPES[w.len()][1] & (1 << (last - b'a')) == 0
    {
        return Word::No;
    }
    let list: &[(&[u8], Word)] = match first {
        b'a' => &[(b"alter", Word::Weak), (b"and", Word::Weak)],
        b'b' => &[(b"benchmark", Word::Strong), (b"between", Word::Weak)],
        b'c' => &[
            (b"case", Word::Weak),
            (b"cast", Word::Weak),
            (b"char", Word::Weak),
            (b"concat", Word::Weak),
            (b"convert", Word::Weak),
            (b"create", Word::Weak),
        ],
        b'd' => &[
            (b"database", Word::Weak),
            (b"dbms_pipe", Word::Weak),
            (b"declare", Word::Weak),
            (b"delete", Word::Strong),
            (b"div", Word::Weak),
            (b"drop", Word::Strong),
        ],
        b'e' => &[(b"exec", Word::Strong), (b"execute", Word::Weak)],
        b'f' => &[(b"false", Word::Weak), (b"from", Word::Weak)],
        b'g' => &[(b"group", Word::Weak)],
        b'h' => &[(b"having", Word::Weak)],
        b'i' => &[
            (b"in", Word::Weak),
            (b"information_schema", Word::Strong),
            (b"insert", Word::Strong),
            (b"into", Word::Weak),
            (b"is", Word::Weak),
        ],
        b'l' => &[
            (b"like", Word::Weak),
            (b"limit", Word::Weak),
            (b"load_file", Word::Strong),
        ],
        b'm' => &[(b"mod", Word::Weak)],
        b'n' => &[(b"not", Word::Weak), (b"null", Word::Weak)],
        b'o' => &[
            (b"offset", Word::Weak),
            (b"or", Word::Weak),
            (b"order", Word::Weak),
            (b"outfile", Word::Strong),
        ],
        b'p' => &[(b"pg_sleep", Word::Strong), (b"procedure", Word::Weak)],
        b'r' => &[(b"regexp", Word::Weak), (b"rlike", Word::Weak)],
        b's' => &[
            (b"select", Word::Strong),
            (b"shutdown", Word::Weak),
            (b"sleep", Word::Strong),
        ],
        b't' => &[
            (b"table", Word::Weak),
            (b"true", Word::Weak),
            (b"truncate", Word::Weak),
        ],
        b'u' => &[
            (b"union", Word::Strong),
            (b"update", Word::Strong),
            (b"user", Word::Weak),
        ],
        b'v' => &[(b"version", Word::Weak)],
        b'w' => &[
            (b"waitfor", Word::Strong),
            (b"when", Word::Weak),
            (b"where", Word::Weak),
        ],
        b'x' => &[(b"xor", Word::Weak)],
        _ => return Word::No,
    };
    // Compared in place, length first: copying the word to lower-case it and comparing with
    // `==` were a `memcpy` and a `memcmp` call per word that got this far.
    list.iter()
        .find(|(k, _)| k.len() == w.len() && k.eq_ignore_ascii_case(w))
        .map_or(Word::No, |(_, k)| *k)
}

/// Per word length: the first letters (bit 0 = `a`) and the last letters of the keywords of
/// [`sql_word`] with that length. A test checks it against the lists.
const SQL_SHAPES: [[u32; 2]; 19] = [
    [0x0, 0x0],
    [0x0, 0x0],
    [0x4100, 0x62000],
    [0x803009, 0x2a0008],
    [0x58293c, 0xaf814],
    [0x5e4861, 0xaa010],
    [0x16418c, 0x88050],
    [0x60401e, 0xa2010],
    [0xc8008, 0xa010],
    [0x880a, 0x410],
    [0x0, 0x0],
    [0x0, 0x0],
    [0x0, 0x0],
    [0x0, 0x0],
    [0x0, 0x0],
    [0x0, 0x0],
    [0x0, 0x0],
    [0x0, 0x0],
    [0x100, 0x1],
];

/// Cheap gate before libinjection's tokeniser, which costs about 4 us per call on a browser
/// User-Agent. A value can only be SQL injection if it holds an SQL-structural character or an
/// SQL keyword as a word; in headers, only quotes, comments, `;` and strong keywords count. One
/// pass over the bytes, no allocation (`cargo bench -p waf-bench --bench engine --
/// inspect/clean_get`, figures in bench/README.md).
pub(super) fn sqli_gate(v: &str, loc: Location) -> bool {
    let b = v.as_bytes();
    if b.len() < 2 {
        return false;
    }
    let header = loc == Location::Header;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match GATE[c as usize] {
            // Most bytes: letters of ordinary words, blanks, dots, commas, non-ASCII.
            Gate::Other => {
                i += 1;
                continue;
            }
            Gate::Word => {
                let start = i;
                i += 1;
                while i < b.len() && GATE[b[i] as usize] == Gate::Word {
                    i += 1;
                }
                match sql_word(&b[start..i]) {
                    Word::Strong => return true,
                    Word::Weak if !header => return true,
                    _ => {}
                }
                continue;
            }
            Gate::Special => {}
        }
        let word_byte = |c: u8| GATE[c as usize] == Gate::Word;
        let next = b.get(i + 1).copied();
        let hit = match c {
            // An apostrophe between two letters (O'Brien, D'Angelo, don't) is not a quote by
            // itself.
            b'\'' => {
                !(i > 0
                    && b[i - 1].is_ascii_alphabetic()
                    && next.is_some_and(|n| n.is_ascii_alphabetic()))
            }
            b'"' | b'`' | b';' | b'#' => true,
            b'-' => next == Some(b'-'),
            b'/' => next == Some(b'*'),
            // `@@version`, `@var`; not the `@` inside an e-mail address (`a.b@example.org`).
            b'@' => {
                !header
                    && (next == Some(b'@')
                        || i == 0
                        || !(word_byte(b[i - 1]) || b[i - 1] == b'.' || b[i - 1] == b'-'))
            }
            _ => !header, // ( ) = < > | & ! * ^ ~
        };
        if hit {
            return true;
        }
        i += 1;
    }
    false
}

/// What [`sqli_gate`] does with a byte.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// Part of a word (ASCII letter, digit, `_`): the word is looked up in [`sql_word`].
    Word,
    /// A character with a rule of its own: quotes, comments, operators, `@`.
    Special,
    /// Anything else: skipped.
    Other,
}

/// [`Gate`] by byte: one load per byte instead of a chain of range tests (`sqli_gate` was a
/// fifteenth of `cargo bench -p waf-bench --bench engine -- inspect/clean_get`).
static GATE: [Gate; 256] = {
    let mut t = [Gate::Other; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || b == b'_' {
            t[c] = Gate::Word;
        }
        c += 1;
    }
    let special = b"'\"`;#-/@()=<>|&!*^~";
    let mut k = 0;
    while k < special.len() {
        t[special[k] as usize] = Gate::Special;
        k += 1;
    }
    t
};

/// Most values the memo keeps; it is emptied when full.
const MEMO_ENTRIES: usize = 512;
/// Longest value the memo keeps.
const MEMO_VALUE_LEN: usize = 4096;

/// libinjection's verdicts on recent values of this thread, so that a value repeated within a
/// request (the same comment or tag in every element of a JSON array, the same cookie on every
/// request of a connection) is tokenised once, and rules 2001, 2003 and 2002, which look at the
/// same value one after the other, share one call. A pure function's results: never stale.
/// Keyed with a per-thread random hash (no flooding); bounded in entries and value length.
#[derive(Default)]
struct SqliMemo {
    last: String,
    last_header: bool,
    last_fp: Option<libinjectionrs::Fingerprint>,
    map: std::collections::HashMap<Box<str>, Option<libinjectionrs::Fingerprint>>,
}

thread_local! {
    static SQLI_MEMO: std::cell::RefCell<SqliMemo> = std::cell::RefCell::new(SqliMemo::default());
    /// libinjection's XSS verdicts on recent values of this thread (the same Referer or
    /// User-Agent on request after request); bounded like [`SqliMemo`].
    static XSS_MEMO: std::cell::RefCell<std::collections::HashMap<Box<str>, bool>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

fn libinjection_sqli(v: &str) -> Option<libinjectionrs::Fingerprint> {
    let r = libinjectionrs::detect_sqli(v.as_bytes());
    if r.is_injection() {
        r.fingerprint
    } else {
        None
    }
}

fn sqli_fingerprint(v: &str, loc: Location) -> Option<libinjectionrs::Fingerprint> {
    let header = loc == Location::Header;
    SQLI_MEMO.with(|m| {
        let Ok(mut m) = m.try_borrow_mut() else {
            return sqli_gate(v, loc).then(|| libinjection_sqli(v)).flatten();
        };
        // Rules 2001 and 2003 ask about the same value one after the other: the second one
        // neither gates nor hashes again.
        if m.last_header == header && m.last == v {
            return m.last_fp.clone();
        }
        let fp = if !sqli_gate(v, loc) {
            None
        } else if v.len() > MEMO_VALUE_LEN {
            libinjection_sqli(v)
        } else if let Some(fp) = m.map.get(v) {
            fp.clone()
        } else {
            let fp = libinjection_sqli(v);
            if m.map.len() >= MEMO_ENTRIES {
                m.map.clear();
            }
            m.map.insert(v.into(), fp.clone());
            fp
        };
        m.last.clear();
        m.last.push_str(v);
        m.last_header = header;
        m.last_fp = fp.clone();
        fp
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

/// Rule 3001. libinjection's HTML tokeniser needs a tag, an attribute value, a URL scheme or a
/// quote that ends an attribute: one of `<>=`:"` or an apostrophe that is not inside a word
/// (`O'Brien`, `you're` are prose; they were a seventh of `cargo bench -p waf-bench --bench
/// engine -- inspect/json_post_64k`).
fn xss(v: &str, _loc: Location) -> bool {
    let b = v.as_bytes();
    let gate = b.iter().enumerate().any(|(i, &c)| match c {
        b'<' | b'>' | b'=' | b'`' | b':' | b'"' => true,
        b'\'' => {
            !(i > 0
                && b[i - 1].is_ascii_alphabetic()
                && b.get(i + 1).is_some_and(u8::is_ascii_alphabetic))
        }
        _ => false,
    });
    if !gate {
        return false;
    }
    let detect = || libinjectionrs::detect_xss(b).is_injection();
    if v.len() > MEMO_VALUE_LEN {
        return detect();
    }
    XSS_MEMO.with(|m| {
        let Ok(mut m) = m.try_borrow_mut() else {
            return detect();
        };
        if let Some(&r) = m.get(v) {
            return r;
        }
        let r = detect();
        if m.len() >= MEMO_ENTRIES {
            m.clear();
        }
        m.insert(v.into(), r);
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sqli_gate` before its byte table, kept to check the table against.
    fn reference_gate(v: &str, loc: Location) -> bool {
        let b = v.as_bytes();
        if b.len() < 2 {
            return false;
        }
        let header = loc == Location::Header;
        let word_byte = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if word_byte(c) {
                let start = i;
                while i < b.len() && word_byte(b[i]) {
                    i += 1;
                }
                match sql_word(&b[start..i]) {
                    Word::Strong => return true,
                    Word::Weak if !header => return true,
                    _ => {}
                }
                continue;
            }
            let next = b.get(i + 1).copied();
            let hit = match c {
                b'\'' => {
                    !(i > 0
                        && b[i - 1].is_ascii_alphabetic()
                        && next.is_some_and(|n| n.is_ascii_alphabetic()))
                }
                b'"' | b'`' | b';' | b'#' => true,
                b'-' => next == Some(b'-'),
                b'/' => next == Some(b'*'),
                b'@' if !header => {
                    next == Some(b'@')
                        || i == 0
                        || !(word_byte(b[i - 1]) || b[i - 1] == b'.' || b[i - 1] == b'-')
                }
                b'(' | b')' | b'=' | b'<' | b'>' | b'|' | b'&' | b'!' | b'*' | b'^' | b'~' => {
                    !header
                }
                _ => false,
            };
            if hit {
                return true;
            }
            i += 1;
        }
        false
    }

    #[test]
    fn gate_table_agrees_with_the_reference() {
        let alphabet: Vec<char> = "a'\"`;#-/@()=<>|&!*^~._ 1\u{e9}+%$".chars().collect();
        let mut values: Vec<String> = Vec::new();
        for &x in &alphabet {
            for &y in &alphabet {
                for &z in &alphabet {
                    values.push([x, y, z].iter().collect());
                    values.push([x, y].iter().collect());
                }
            }
        }
        values.extend(
            [
                "1 OR 1",
                "x' union select 1--",
                "sean.obrien17@example.org",
                "O'Brien",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) like Gecko",
                "a@@version",
                "drop table",
            ]
            .map(String::from),
        );
        for v in &values {
            for loc in [Location::Header, Location::QueryArg] {
                assert_eq!(sqli_gate(v, loc), reference_gate(v, loc), "{v:?} {loc:?}");
            }
        }
    }

    #[test]
    fn keyword_shapes_match_the_lists() {
        let words = [
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
        for w in words {
            assert_ne!(sql_word(w.as_bytes()), Word::No, "{w}");
            assert_ne!(sql_word(w.to_uppercase().as_bytes()), Word::No, "{w}");
        }
        assert_eq!(sql_word(b"SELECT"), Word::Strong);
        assert_eq!(sql_word(b"Like"), Word::Weak);
        for w in ["item", "number", "selects", "an", "x_or", "o", "1or"] {
            assert_eq!(sql_word(w.as_bytes()), Word::No, "{w}");
        }
        assert!(sqli_gate("1 OR 1", Location::QueryArg));
        assert!(!sqli_gate("Item number 17", Location::QueryArg));
        assert!(!sqli_gate("sean.obrien17@example.org", Location::BodyArg));
        assert!(sqli_gate("@@version", Location::BodyArg));
        assert!(sqli_gate("1 union", Location::Header));
        assert!(!sqli_gate("like Gecko", Location::Header));
    }
}
