//! SQL conditions without quotes (rule 2004): a boolean injection into a numeric context.
//!
//! libinjection reads a value as SQL from its start; `or 0=0 --`, `1*/ OR NOT 4627=6270/*` and
//! `) AND 5611=5611 AND (3123=3123` break out of an expression the application wrote and
//! start with what that grammar cannot take as a whole. So the value is tokenised as SQL
//! (words, numbers, comparison operators, comments as blanks) and searched for a *condition*:
//! a logical operator (`AND`, `OR`, `XOR`, `&&`, `||`) or `HAVING`/`WHERE`, any `NOT`, `!` and
//! `(`, then a comparison whose two sides are literals: two numbers (`1=1`, `4627=6270`,
//! `2>1`) or one name on both sides (`x=x`), as a blind injection asks. What follows must end
//! the condition: the end of the value, a comment, `)`, `;` or another logical operator. Prose
//! compares nothing with itself (`rock and roll`, `this or that = fun`), and a query string
//! (`a=1&b=2`) has no logical operator before its comparisons.
//!
//! A value that starts with a statement (`select ... where 1=1`, `drop table t; select ...`) is
//! not a condition broken into an expression: no numeric context takes a statement keyword as
//! its operand, so such a value is SQL quoted as text (a search for an SQL snippet) or a query an
//! application runs by design. Injections of whole statements need a break-out first (`1;`,
//! `'`, `)`), and a value that starts with one is read as above.

use crate::request::Location;

/// An SQL token, as far as the condition grammar needs one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    /// A name or keyword (letters, digits, `_`, not starting with a digit).
    Word(&'a str),
    /// An integer or decimal literal.
    Number(&'a str),
    /// A run of comparison or logical operator bytes (`=`, `<>`, `&&`, `!`).
    Op(&'a str),
    /// The start of a comment running to the end of the value (`--`, `#`).
    LineComment,
    /// Any other byte.
    Other(u8),
}

/// Longest value read: conditions are short, and the check stays bounded.
const MAX_SCAN: usize = 4096;

/// The tokens of `v`: blanks and `/* ... */` comments skipped.
fn tokens(v: &str) -> impl Iterator<Item = Tok<'_>> {
    let b = v.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if b[i..].starts_with(b"/*") {
                i = v[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
                continue;
            }
            break;
        }
        let start = i;
        let c = *b.get(i)?;
        let run = |i: &mut usize, f: fn(u8) -> bool| {
            while *i < b.len() && f(b[*i]) {
                *i += 1;
            }
        };
        let tok = if c.is_ascii_digit() {
            run(&mut i, |c| c.is_ascii_digit() || c == b'.');
            if i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
                // `1e5x`, `3rd`: a name, not a number.
                run(&mut i, |c| c.is_ascii_alphanumeric() || c == b'_');
                Tok::Word(&v[start..i])
            } else {
                Tok::Number(&v[start..i])
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            run(&mut i, |c| c.is_ascii_alphanumeric() || c == b'_');
            Tok::Word(&v[start..i])
        } else if c == b'#' || b[i..].starts_with(b"--") {
            i = b.len();
            Tok::LineComment
        } else if matches!(c, b'=' | b'<' | b'>' | b'!' | b'&' | b'|') {
            run(&mut i, |c| {
                matches!(c, b'=' | b'<' | b'>' | b'!' | b'&' | b'|')
            });
            Tok::Op(&v[start..i])
        } else {
            // One whole character, so that slicing stays on character boundaries.
            i += v[i..].chars().next().map_or(1, char::len_utf8);
            Tok::Other(c)
        };
        Some(tok)
    })
}

fn is_word(t: Tok<'_>, w: &str) -> bool {
    matches!(t, Tok::Word(x) if x.eq_ignore_ascii_case(w))
}

/// A logical operator or a clause that takes a condition.
fn opens_condition(t: Tok<'_>) -> bool {
    ["and", "or", "xor", "having", "where"]
        .iter()
        .any(|w| is_word(t, w))
        || matches!(t, Tok::Op("&&" | "||"))
}

/// A comparison operator.
fn comparison(t: Tok<'_>) -> bool {
    matches!(
        t,
        Tok::Op("=" | "==" | "<>" | "!=" | "<" | ">" | "<=" | ">=" | "<=>")
    )
}

/// What may follow a condition: the value's end, a comment, `)`, `;` or a logical operator.
fn ends_condition(t: Option<Tok<'_>>) -> bool {
    match t {
        None | Some(Tok::LineComment | Tok::Other(b')' | b';')) => true,
        Some(t) => opens_condition(t),
    }
}

/// Keywords that start an SQL statement.
const STATEMENTS: &[&str] = &[
    "select", "insert", "update", "delete", "drop", "create", "alter", "truncate", "show", "with",
    "grant", "revoke", "describe", "explain",
];

/// Rule 2004: a logical operator followed by a comparison of two literals.
pub(crate) fn boolean_condition(v: &str, _loc: Location) -> bool {
    let v = &v[..floor_boundary(v, MAX_SCAN)];
    if !may_hold_condition(v.as_bytes()) {
        return false;
    }
    let toks: Vec<Tok<'_>> = {
        // Most values have no logical operator: nothing is collected for them.
        if !tokens(v).any(opens_condition) {
            return false;
        }
        tokens(v).collect()
    };
    if toks
        .first()
        .is_some_and(|&t| STATEMENTS.iter().any(|w| is_word(t, w)))
    {
        return false;
    }
    for (i, &t) in toks.iter().enumerate() {
        if !opens_condition(t) {
            continue;
        }
        let mut k = i + 1;
        while toks
            .get(k)
            .is_some_and(|&t| is_word(t, "not") || t == Tok::Op("!") || t == Tok::Other(b'('))
        {
            k += 1;
        }
        let (Some(&a), Some(&op), Some(&b)) = (toks.get(k), toks.get(k + 1), toks.get(k + 2))
        else {
            continue;
        };
        let literals = match (a, b) {
            (Tok::Number(_), Tok::Number(_)) => true,
            (Tok::Word(x), Tok::Word(y)) => x.eq_ignore_ascii_case(y) && !opens_condition(a),
            _ => false,
        };
        if literals && comparison(op) && ends_condition(toks.get(k + 3).copied()) {
            return true;
        }
    }
    false
}

/// Whether some comparison operator in `b` has, on its left, an operand that a blank, a
/// comment, `(`, `!`, `&` or `|` separates from what comes before: a condition's left side
/// follows a logical operator so. One vectorised search; it rules out most values with `=`
/// (`q=0.9` in Accept headers, `a=1` in query strings).
fn may_hold_condition(b: &[u8]) -> bool {
    memchr::memchr3_iter(b'=', b'<', b'>', b).any(|i| {
        let mut j = i;
        while j > 0 && b[j - 1].is_ascii_whitespace() {
            j -= 1;
        }
        if j > 0 && b[j - 1] == b'/' {
            return true; // a comment may hide the operand
        }
        let end = j;
        while j > 0 && (b[j - 1].is_ascii_alphanumeric() || matches!(b[j - 1], b'_' | b'.')) {
            j -= 1;
        }
        end > j
            && j > 0
            && (b[j - 1].is_ascii_whitespace()
                || matches!(b[j - 1], b'/' | b'(' | b'!' | b'&' | b'|'))
    })
}

/// The largest character boundary of `v` at most `max`.
fn floor_boundary(v: &str, max: usize) -> usize {
    let mut end = max.min(v.len());
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_that_compare_literals() {
        let l = Location::QueryArg;
        for a in [
            "1 AND 1=1",
            "1 and 1=2",
            "or 0=0 --",
            "1*/ OR NOT 4627=6270/*",
            "1) AND 5611=5611 AND (3123=3123",
            "x' or x=x#",
            "1 HAVING 1=1",
            "-1 OR 2>1",
            "1/**/and/**/1=1",
            "1 || 1=1",
            "1 AND NOT (7=8)",
            "1 where 1<>2;",
            "1; select * from users where 1=1",
            "1) or 1=1; drop table users",
            "x' or x=x; select 1",
        ] {
            assert!(boolean_condition(a, l), "missed {a:?}");
        }
        for b in [
            "rock and roll",
            "this or that = fun",
            "a=1&b=2",
            "size=42 and color=blue",
            "black or white, 2 = 2 sides",
            "x and y = z",
            "1 or 2 items",
            "terms and conditions",
            "price >= 10 and < 20",
            "if a or b == 3 then",
            "q=running shoes&page=3",
            "drop table users; select * from posts where 1=1",
            "SELECT id FROM posts WHERE 1=1 AND status = 'publish'",
            "  select count(*) from t having 2>1",
            "",
        ] {
            assert!(!boolean_condition(b, l), "false positive {b:?}");
        }
    }
}
