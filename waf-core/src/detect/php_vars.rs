//! PHP variables used as code (rules 6006 and 6007): variable variables and superglobals, and
//! calls through a variable (PHP's variable functions), read on the tokens of [`super::php`].

use super::php::{tokens, Tok};
use super::prefix;
use crate::request::Location;

/// Longest prefix of a value that is examined.
const MAX_SCAN: usize = 4096;

/// PHP's superglobal arrays.
const SUPERGLOBALS: &[&str] = &[
    "get", "post", "cookie", "server", "request", "files", "env", "session", "globals",
];

/// Rule 6006: a PHP variable variable (`${'name'}`, `${$a}`, `${}`), or a value that starts
/// with a superglobal (a parameter named `$_COOKIE`).
pub(crate) fn variable_variable(v: &str, _loc: Location) -> bool {
    let v = prefix(v, MAX_SCAN);
    let b = v.as_bytes();
    let lead = v.trim_start();
    if let Some(rest) = lead.strip_prefix("$_").or_else(|| lead.strip_prefix('$')) {
        let name: String = rest
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect::<String>()
            .to_ascii_lowercase();
        let after = rest[name.len()..].trim_start();
        if lead.starts_with("$_")
            && SUPERGLOBALS.contains(&name.as_str())
            && (after.is_empty() || after.starts_with(['[', '=', ';']))
        {
            return true;
        }
    }
    b.iter().enumerate().any(|(i, &c)| {
        if c != b'$' {
            return false;
        }
        let rest = v[i + 1..].trim_start();
        rest.strip_prefix('{')
            .map(str::trim_start)
            .is_some_and(|r| r.starts_with(['\'', '"', '$', '}']))
    })
}

/// Rule 6007: a call through a variable (PHP's variable functions): `$f(...)`, `$$f(...)`,
/// `${expr}(...)`, `$a['k'](...)`, `$b{0}(...)`, comments and `@` anywhere between, where a
/// statement or an expression may begin (the value's start, after `;`, `=`, `(`, `,`, `{`, `}`,
/// `!`, `&`, `|`). A method call in other languages (`this.$emit(`, `obj->$m(`) and jQuery's
/// `$(...)` are not one.
pub(crate) fn variable_call(v: &str, _loc: Location) -> bool {
    let v = prefix(v, MAX_SCAN);
    if !v.contains('(') {
        return false;
    }
    let t = tokens(v);
    (0..t.len()).any(|i| {
        let starts = i == 0 || matches!(t[i - 1], Tok::P(c) if ";=(,{}!&|@".contains(c));
        starts && variable_then_call(&t, i)
    })
}

/// Whether a variable expression starts at `t[i]` (after `@`s) and is followed by subscripts
/// and a balanced argument list.
fn variable_then_call(t: &[Tok], mut i: usize) -> bool {
    while t.get(i) == Some(&Tok::P('@')) {
        i += 1;
    }
    // `$name`, `$$name`, `$$$name`, `${ ... }`.
    let mut dollars = 0;
    while t.get(i) == Some(&Tok::P('$')) {
        dollars += 1;
        i += 1;
    }
    match t.get(i) {
        Some(Tok::Var(_)) => i += 1,
        Some(Tok::P('{')) if dollars > 0 => match balanced(t, i, '{', '}') {
            Some(end) => i = end,
            None => return false,
        },
        _ => return false,
    }
    // Subscripts, never empty (`$a[]` is a write, `$a{}` no expression).
    loop {
        match t.get(i) {
            Some(Tok::P(c @ ('[' | '{'))) => {
                let close = if *c == '[' { ']' } else { '}' };
                match balanced(t, i, *c, close) {
                    Some(end) if end > i + 2 => i = end,
                    _ => return false,
                }
            }
            Some(Tok::P('(')) => return balanced(t, i, '(', ')').is_some(),
            _ => return false,
        }
    }
}

/// The index after the `close` that balances the `open` at `t[i]`.
fn balanced(t: &[Tok], i: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for (j, tok) in t.iter().enumerate().skip(i) {
        if *tok == Tok::P(open) {
            depth += 1;
        } else if *tok == Tok::P(close) {
            depth -= 1;
            if depth == 0 {
                return Some(j + 1);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: Location = Location::QueryArg;

    #[test]
    fn calls_through_variables_fire() {
        for v in [
            "$a(1)",
            "$$b(2)",
            "@$__[o](4)",
            "$__['o'](5)",
            "${@a}(10)",
            "$GLOBALS['cf908275'](14)",
            "$OOO000000{0}(15)",
            "$_aB_4c[5]['d'] /*lol*/ (17)",
            "$_aB_4c #foo\r\n\t[5]//bar\r\n\t['d'] /*foo*/ (17)",
            "$b374k=@$s_func(22)",
            "$_GET['x']($_POST['y']);",
            "x;$f('id')",
        ] {
            assert!(variable_call(v, Q), "{v}");
        }
        for v in [
            "$('#menu').toggle()",
            "this.$emit('save', item)",
            "$obj->$method()",
            "costs $5 (approx)",
            "price: $x",
            "$HOME/bin",
            "echo $PATH (your path)",
            "jQuery: $.ajax({url: u})",
            "the $scope.apply() call",
            "$a[]()",
            "$a{}()",
        ] {
            assert!(!variable_call(v, Q), "{v}");
        }
    }

    #[test]
    fn variable_variables_and_superglobals() {
        for v in [
            "${'ff'}",
            "$ {$a}",
            "${}",
            "$ { '_VAR'.'IABLE'}",
            "$_COOKIE",
            "$_SERVER['x'];",
        ] {
            assert!(variable_variable(v, Q), "{v}");
        }
        for v in [
            "${HOME}",
            "costs $5 {approx}",
            "${a}",
            "Read $_GET safely",
            "$_getter",
        ] {
            assert!(!variable_variable(v, Q), "{v}");
        }
    }
}
