//! The libinjection checks (rules 2001, 2002, 2003, 3001 of `rules/checks.rs`): SQLi and XSS
//! detectors, each behind a cheap gate (libinjection's verdicts are memoised in
//! [`crate::reuse::verdicts`]).
//!
//! SQLi uses evidence, not a single signal: libinjection's fingerprint says which token shape it
//! recognised. A few shapes are also the shapes of ordinary text (`sos`: a quoted word between
//! words, as in `"LIKE" STAMP`; `1&1`: `80% acrylic and 20% wool`; `1c`: an id ending in `--`).
//! Rule 2001 takes strong fingerprints. For *weak* ones, rule 2003 (sensitivity 2) wants
//! corroboration from the value itself (an operator between single-quoted strings, a comparison, a bare number before a comment); rule
//! 2002 (sensitivity 4) takes libinjection's word alone.

use super::sql_gate::sqli_gate;
use crate::request::Location;
use crate::reuse::verdicts;

/// Fingerprints that ordinary text also produces; they need corroboration (see module docs).
const WEAK: &[&str] = &["sos", "s&s", "1&1", "1c", "nc", "Enknk"];

fn libinjection_sqli(v: &str) -> Option<libinjectionrs::Fingerprint> {
    let r = libinjectionrs::detect_sqli(v.as_bytes());
    if r.is_injection() {
        r.fingerprint
    } else {
        None
    }
}

fn sqli_fingerprint(v: &str, loc: Location) -> Option<libinjectionrs::Fingerprint> {
    verdicts::sqli(
        v,
        loc == Location::Header,
        || sqli_gate(v, loc),
        || libinjection_sqli(v),
    )
}

pub(crate) fn sqli(v: &str, loc: Location) -> bool {
    sqli_fingerprint(v, loc).is_some_and(|fp| !WEAK.contains(&fp.as_str()))
}

/// Rule 2003: a weak fingerprint with corroboration from the text.
pub(crate) fn sqli_corroborated(v: &str, loc: Location) -> bool {
    sqli_fingerprint(v, loc)
        .is_some_and(|fp| WEAK.contains(&fp.as_str()) && corroborated(fp.as_str(), v))
}

/// Rule 2002: libinjection's word alone.
pub(crate) fn sqli_any(v: &str, loc: Location) -> bool {
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
/// (`O'Brien`, `you're` are prose, and common in text fields).
pub(crate) fn xss(v: &str, _loc: Location) -> bool {
    // An XML document sent as a value starts with its declaration, which an HTML parser reads
    // as a bogus comment: what follows it is what could run.
    let v = xml_declaration_end(v).map_or(v, |n| &v[n..]);
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
    verdicts::xss(v, || libinjectionrs::detect_xss(b).is_injection())
}

/// The length of a leading XML declaration (`<?xml version="1.0" encoding="UTF-8"?>`): `<?xml`,
/// then `name="value"` pseudo-attributes only, then `?>`.
fn xml_declaration_end(v: &str) -> Option<usize> {
    let t = v.trim_start();
    let lead = v.len() - t.len();
    let rest = t.strip_prefix("<?xml")?;
    let end = rest.find("?>")?;
    let attrs = &rest[..end];
    let ok = attrs.starts_with([' ', '\t', '\r', '\n'])
        && attrs
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b" \t\r\n=\"'.-_".contains(&c));
    ok.then_some(lead + 5 + end + 2)
}
