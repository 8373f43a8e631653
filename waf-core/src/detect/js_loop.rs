//! A JavaScript loop that never ends, sent to code that evaluates it (rule 5008): the denial of
//! service of server-side `eval` (Node.js `vm`, template engines, `new Function`).
//!
//! `while (COND)` whose condition is a constant JavaScript takes for true: a literal or a
//! global with no side effect, under any number of `!`, unary `+`/`-` and parentheses, its
//! truth computed as JavaScript computes it (`!0`, `!!{}`, `-Infinity` and `new Date` are
//! true; `!true`, `""` and `NaN` are false, and such a loop never runs), and followed by what
//! may follow a loop head: `;`, `{`, a statement or the end of the value. Prose that mentions
//! "while (true)" goes on with words.

use crate::request::Location;

/// Longest prefix of a value that is examined.
const MAX_SCAN: usize = 4096;

/// Rule 5008: `while (COND)` with a constant condition that is true.
pub(crate) fn endless_loop(v: &str, _loc: Location) -> bool {
    static WHILE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("while"));
    let v = super::prefix(v, MAX_SCAN);
    if memchr::memchr(b'(', v.as_bytes()).is_none() {
        return false;
    }
    WHILE.find_iter(v.as_bytes()).any(|i| {
        let before_ok = v[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'));
        before_ok && endless_from(&v[i + "while".len()..])
    })
}

/// After `while`: `( COND )` with a true constant COND, then the end of the loop head.
fn endless_from(s: &str) -> bool {
    let Some(rest) = s.trim_start().strip_prefix('(') else {
        return false;
    };
    let Some((truth, rest)) = constant(rest, 0) else {
        return false;
    };
    let Some(after) = rest.trim_start().strip_prefix(')') else {
        return false;
    };
    // `while((true)))`: parentheses beyond the condition's are a syntax error only after the
    // loop has started.
    let after = after.trim_start_matches(|c: char| c == ')' || c.is_whitespace());
    truth
        && (after.is_empty()
            || after.starts_with([';', '{'])
            || after.split_whitespace().next().is_some_and(statement_word))
}

/// Words a loop body may start with.
fn statement_word(w: &str) -> bool {
    let n = w
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$')
        .count();
    let w = &w[..n];
    [
        "var", "let", "const", "if", "for", "do", "try", "console", "process", "require",
    ]
    .contains(&w)
}

/// A constant expression at the start of `s`: its truth and what follows it.
fn constant(s: &str, depth: u8) -> Option<(bool, &str)> {
    if depth > 16 {
        return None;
    }
    let s = s.trim_start();
    if let Some(r) = s.strip_prefix('!') {
        let (t, r) = constant(r, depth + 1)?;
        return Some((!t, r));
    }
    if let Some(r) = s.strip_prefix(['+', '-']) {
        // Unary plus and minus keep a number's truth (`-0` is still 0, `-1` still true); the
        // literals they apply to here are numbers or convert to the same truth.
        return constant(r, depth + 1);
    }
    if let Some(r) = s.strip_prefix('(') {
        let (t, r) = constant(r, depth + 1)?;
        return Some((t, r.trim_start().strip_prefix(')')?));
    }
    for (lit, truth) in [("\"\"", false), ("''", false), ("``", false)] {
        if let Some(r) = s.strip_prefix(lit) {
            return Some((truth, r));
        }
    }
    for (open, close) in [('{', '}'), ('[', ']')] {
        if let Some(r) = s.strip_prefix(open) {
            return Some((true, r.trim_start().strip_prefix(close)?));
        }
    }
    let n = s
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$' || *c == b'.')
        .count();
    let (word, rest) = s.split_at(n);
    if word.is_empty() {
        return None;
    }
    if word.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return Some((word.bytes().any(|c| (b'1'..=b'9').contains(&c)), rest));
    }
    match word {
        "true" | "Infinity" | "this" | "String" | "Number" | "Object" | "Array" | "Date" => {
            Some((true, rest))
        }
        "false" | "null" | "undefined" | "NaN" => Some((false, rest)),
        "new" => {
            let r = rest.trim_start();
            let m = r
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$')
                .count();
            (m > 0).then(|| (true, &r[m..]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fires(v: &str) -> bool {
        endless_loop(v, Location::QueryArg)
    }

    #[test]
    fn loops_on_true_constants_fire() {
        for v in [
            "while(true)",
            "while(!false)",
            "while(!-0);",
            "while(!+0);",
            "while(!\"\");",
            "while(!``);",
            "while(Infinity);",
            "while(-Infinity);",
            "while(-1);",
            "while(new Date);",
            "while(this);",
            "while(String);",
            "while(!!{});",
            "while(!![]);",
            "while(!null)",
            "while(!undefined)",
            "while(!NaN)",
            "while((true)))",
            "x=1;while (1) { }",
            "while(1) console.log(1)",
        ] {
            assert!(fires(v), "{v}");
        }
    }

    #[test]
    fn other_loops_and_prose_pass() {
        for v in [
            "while(!true);",
            "while(0);",
            "while(false)",
            "while(x < 10) x++",
            "while (true) believers keep the faith",
            "keep the door open while (possible) we wait",
            "meanwhile(true)",
            "WHILE(1)",
            "awhile (1) later",
            "while(!!\"\");",
        ] {
            assert!(!fires(v), "{v}");
        }
    }
}
