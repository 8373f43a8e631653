//! A parameter value that is itself a shell command line (rule 5005).
//!
//! Rule 5000 needs a separator before the command; an application that hands a parameter to a
//! shell (`ping $host`, `sh -c "$cmd"`) needs none. So the whole value is read as a command
//! line: precommand modifiers (`nohup`, `time`, `sudo`, `timeout 5`) skipped, then a known
//! command or an absolute path into a binary directory in command position, and its arguments
//! judged as in `shell`: options, paths, variables, redirections and drive
//! letters are shell, at most one plain word. A known command followed by a sentence is prose
//! (`curl wrapper for node`); a bare known word is a value (`id`, `type`), unless a separator
//! right after it chains it (`id;`, `whoami|`).

use super::commands::{first_word, is_command};
use super::commands::{relative_binary, BIN_DIRS, WRAPPERS};
use super::shell_start::may_be_command_line;
use crate::request::Location;

/// Longest value read as a command line: longer values are documents, not one command.
const MAX_LINE: usize = 1024;

/// The [`WRAPPERS`] that are no English word: what follows one is a command line.
const SURE_WRAPPERS: &[&str] = &[
    "nohup", "strace", "ltrace", "sudo", "doas", "setsid", "stdbuf",
];

/// Rule 5005: the value, as a whole, is a command line.
pub(crate) fn command_line(v: &str, loc: Location) -> bool {
    loc != Location::Path && v.len() <= MAX_LINE && may_be_command_line(v.as_bytes()) && read(v)
}

/// [`command_line`] past its prefilter ([`may_be_command_line`]).
pub(super) fn read(v: &str) -> bool {
    let v = v.trim_matches([' ', '+', '\t', '\r', '\n']);
    // `() {`: a function definition handed to bash in a variable (bash imports a variable
    // starting with exactly these bytes as one), what Shellshock's parser runs past.
    if v.starts_with("() {") || v.starts_with("()\t{") {
        return true;
    }
    if v.starts_with('{') && brace_command(v) {
        return true;
    }
    // Empty substitutions (`` pi``ng ``, `ping$()`, `pi<()ng`) expand to nothing: only a shell
    // reads the word they split, so the value is read again without them, and a command found
    // then is one.
    if has_empty_substitution(v) {
        let joined = v
            .replace("``", "")
            .replace("$()", "")
            .replace("<()", "")
            .replace(">()", "");
        let word = first_word(joined.trim_start_matches(['\'', '"']));
        return !word.is_empty() && is_command(word, true);
    }
    if windows_line(v) {
        return true;
    }
    if !may_start_command(v) {
        return false;
    }
    // The clause ends at the first separator; what follows is rule 5000's.
    let (clause, chained) = match v.find([';', '|', '&', '\n', '`']) {
        // Only a separator that ends the value chains a bare word (`id;`): `Python | Django`
        // and `` Python `logging` `` are titles and markdown.
        Some(n) => (
            &v[..n],
            v.as_bytes()[n] != b'`' && v[n..].trim_matches([';', '|', '&', ' ']).is_empty(),
        ),
        None => (v, false),
    };
    // Most values are one word or not a command: nothing to split, nothing allocated.
    if !(clause.contains([' ', '+', '\t', '$', '\'', '"', '\\'])
        || clause.starts_with('/')
        || relative_binary(clause)
        || chained)
    {
        return false;
    }
    // Words split at spaces, `+` and tabs; `$IFS` is a space to the shell. Only a value with a
    // `$` is copied.
    let spread;
    let words = if clause.contains('$') {
        spread = clause
            .replace("${IFS}", " ")
            .replace("$IFS$9", " ")
            .replace("$IFS", " ");
        spread.as_str()
    } else {
        clause
    };
    let mut toks = words
        .split([' ', '+', '\t'])
        .filter(|t| !t.is_empty())
        .peekable();
    let (mut wrapped, mut sure_wrapper) = (false, false);
    while let Some(t) = toks.peek() {
        if t.bytes().all(|c| c == b'\'' || c == b'"') {
            // The quote that closes the application's string (`" ping.exe -n 3 x`).
            toks.next();
            continue;
        }
        let t = splice(t.trim_start_matches(['\'', '"']));
        if WRAPPERS.iter().any(|w| w.eq_ignore_ascii_case(&t))
            || (wrapped && t.bytes().all(|c| c.is_ascii_digit()))
        {
            wrapped = true;
            sure_wrapper |= SURE_WRAPPERS.iter().any(|w| w.eq_ignore_ascii_case(&t));
            toks.next();
        } else {
            break;
        }
    }
    let Some(raw) = toks.next() else {
        return false;
    };
    // A command word spliced with quotes, backslashes or empty expansions (`'i'fconfig`,
    // `cu$@rl`, `c\\at`) is one only a shell reads: the splicing is the evidence.
    let inner = raw.trim_matches(['\'', '"']);
    let spliced = splice(inner);
    if spliced != inner && first_word(&spliced) == spliced && is_command(&spliced, true) {
        return true;
    }
    // After a modifier that is no English word (`nohup who`, `strace w`), the next word is a
    // program whatever its name.
    if sure_wrapper
        && raw.as_bytes()[0].is_ascii_lowercase()
        && raw
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"-_.".contains(&c))
    {
        return true;
    }
    // A path globbed in a directory or into a binary directory (`/???/?s`, `/bi[n]/bash`,
    // `/bin/ca?`) names a program only a shell resolves.
    if glob_path(raw) {
        return true;
    }
    let mut rest = toks.clone();
    // `$SHELL -c`, `${SHELL} -c "..."`: a variable run as the command, with an option.
    if expansion(raw)
        && rest
            .next()
            .is_some_and(|t| shell_word(t, false) && t.starts_with('-'))
    {
        return true;
    }
    // `alias ll='ls -l'`, `alias -p`, `alias +m a=b`: the builtin defining a command (`+`
    // splits words here, so an option `+m` is a word before the definition).
    if raw.eq_ignore_ascii_case("alias")
        && (rest.clone().next().is_some_and(|t| t.starts_with('-'))
            || rest
                .clone()
                .find(|t| !(t.len() <= 2 || t.starts_with('-')))
                .is_some_and(|t| {
                    t.find('=').is_some_and(|n| {
                        let name = t[..n].trim_matches(['\'', '"']);
                        !name.is_empty() && first_word(name) == name
                    })
                }))
    {
        return true;
    }
    let cmd = raw;
    let binary = (BIN_DIRS.iter().any(|d| {
        cmd.len() > d.len() && cmd.as_bytes()[..d.len()].eq_ignore_ascii_case(d.as_bytes())
    }) || relative_binary(cmd))
        && first_word(cmd) == cmd;
    let known = first_word(cmd) == cmd && is_command(cmd, true);
    if !(binary || known) {
        return optioned_program(cmd, toks.clone());
    }
    // After a command that is also an English word (`set`, `type`, `more`), only options, paths
    // and drive letters are shell: quotes, globs and `$` are also SQL and prose (`SET x = $1`).
    let sure = binary || wrapped || is_command(cmd, false);
    let (mut plain, mut shell, mut options) = (0usize, 0usize, 0usize);
    for t in toks {
        if t.bytes()
            .all(|c| c.is_ascii_digit() || c == b'.' || c == b'-')
        {
            continue; // numbers say nothing either way
        }
        if shell_word(t, sure) {
            shell += 1;
            options += usize::from(t.starts_with('-'));
        } else {
            plain += 1;
        }
    }
    if plain == 0 && shell == 0 {
        // A bare word: a command only when chained, wrapped or a path to a program.
        return binary || wrapped || (chained && is_command(cmd, false));
    }
    few_plain(plain, shell, options) && (shell > 0 || binary)
}

/// Whether the arguments of a command are those of a command line: at most one plain word, or
/// (`find /etc -name passwd -exec cat {} +`) two or more options and no more plain words than
/// shell words; a sentence has no two `-x` options.
pub(crate) fn few_plain(plain: usize, shell: usize, options: usize) -> bool {
    plain <= 1 || (options >= 2 && plain <= shell)
}

/// Whether `v` holds an empty substitution that splits a word: ``` `` ```, `$()`, `<()`, `>()`.
fn has_empty_substitution(v: &str) -> bool {
    let b = v.as_bytes();
    memchr::memchr2_iter(b'`', b'(', b).any(|i| {
        if b[i] == b'`' {
            b.get(i + 1) == Some(&b'`')
        } else {
            i > 0 && matches!(b[i - 1], b'$' | b'<' | b'>') && b.get(i + 1) == Some(&b')')
        }
    })
}

/// `{cmd,arg,...}`: brace expansion, which the shell turns into the words `cmd arg ...`. The
/// first word is a command or a globbed path, and the expansion is surely one: its first element
/// is empty (`{,echo,x}`), spliced (`{n$u\c$u,-nlvp,777}`) or globbed, or a later one is an
/// option or a path (`{cat,/etc/passwd}`). A list of names (`{id,name}`) is a selection.
pub(crate) fn brace_command(v: &str) -> bool {
    let Some(inner) = v.strip_prefix('{') else {
        return false;
    };
    let inner = &inner[..inner.find('}').unwrap_or(inner.len())];
    if !inner.contains(',') || inner.contains([' ', '\n']) {
        return false;
    }
    let mut parts = inner.split(',');
    let first_empty = inner.starts_with(',');
    let Some(word) = parts.find(|p| !p.is_empty()) else {
        return false;
    };
    if glob_path(word) {
        return true;
    }
    let spliced = splice(word);
    if first_word(&spliced) != spliced || !is_command(&spliced, true) {
        return false;
    }
    first_empty
        || spliced != word
        || parts.any(|p| !p.is_empty() && (p.starts_with(['-', '/', '$', '~']) || p.contains('/')))
}

/// Whether the first word of `v` (up to a blank or a separator) can start what
/// [`command_line`] takes: a precommand modifier, a path, a known command, or a word with the
/// quotes, backslashes or `$` of splicing and `$IFS`. Most values are ruled out here, by one
/// short scan and a table load, before anything is split.
fn may_start_command(v: &str) -> bool {
    let end = v
        .bytes()
        .position(|c| matches!(c, b' ' | b'+' | b'\t' | b';' | b'|' | b'&' | b'\n' | b'`'))
        .unwrap_or(v.len());
    let w = &v[..end];
    !w.is_empty()
        && (w.starts_with('/')
            || relative_binary(w)
            || w.contains(['$', '\'', '"', '\\'])
            || WRAPPERS.iter().any(|x| x.eq_ignore_ascii_case(w))
            || w.eq_ignore_ascii_case("alias")
            || (w.as_bytes()[0].is_ascii_lowercase()
                && v.as_bytes()[end..].windows(2).take(64).any(|p| p == b" -"))
            || (first_word(w) == w && is_command(w, true)))
}

/// `t` as the shell reads one word: quotes and backslashes removed, `$@`, `$*`, `${name}` and
/// lower-case `$name` (unset, so empty) dropped.
pub(crate) fn splice(t: &str) -> std::borrow::Cow<'_, str> {
    if !t.contains(['\'', '"', '\\', '$']) {
        return std::borrow::Cow::Borrowed(t);
    }
    let b = t.as_bytes();
    let mut out = String::with_capacity(t.len());
    let (mut i, mut run) = (0, 0);
    while i < b.len() {
        let skip = match b[i] {
            b'\'' | b'"' | b'\\' => 1,
            b'$' => match b.get(i + 1) {
                Some(b'@' | b'*' | b'!' | b'?' | b'-' | b'_' | b'$') => 2,
                // `$'..'` and `$"..."` are quotes.
                Some(b'\'' | b'"') => 1,
                Some(b'{') => t[i..].find('}').map_or(0, |n| n + 1),
                // Inside a word (`sh$XX`) any name: set, it would change the word, so a command
                // word found without it was made with an unset one.
                Some(c)
                    if c.is_ascii_lowercase()
                        || *c == b'_'
                        || (i > 0 && c.is_ascii_uppercase()) =>
                {
                    1 + b[i + 1..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                        .count()
                }
                _ => 0,
            },
            _ => 0,
        };
        if skip == 0 {
            i += 1;
            continue;
        }
        out.push_str(&t[run..i]);
        i += skip;
        run = i;
    }
    out.push_str(&t[run..]);
    std::borrow::Cow::Owned(out)
}

/// What only cmd.exe reads at the start of `t`: a `%VAR%` run as the command or as the
/// directory of one (`%COMSPEC% /c dir`, `%windir%\\system32\\calc.exe`), a `for` loop
/// (`for /f "tokens=*" %a in ('dir') do echo %a`), or `net` with one of its subcommands.
pub(crate) fn windows_line(t: &str) -> bool {
    let b = t.as_bytes();
    // Most clauses start with none of `%`, `for`, `net`: one byte rules them out.
    if !matches!(b.first().map(|c| c | 0x20), Some(b'%' | b'f' | b'n')) {
        return false;
    }
    // `%NAME%`, then a backslash path or a switch.
    if b.first() == Some(&b'%') {
        let name = b[1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        if name >= 2 && b.get(1 + name) == Some(&b'%') {
            let rest = &t[2 + name..];
            return rest.starts_with('\\')
                || rest
                    .trim_start_matches([' ', '+'])
                    .strip_prefix('/')
                    .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_alphabetic()));
        }
        return false;
    }
    let mut words = t.split([' ', '+', '\t']).filter(|w| !w.is_empty());
    let Some(first) = words.next() else {
        return false;
    };
    if first.eq_ignore_ascii_case("net") || first.eq_ignore_ascii_case("net.exe") {
        const SUB: &[&str] = &[
            "user",
            "users",
            "localgroup",
            "group",
            "share",
            "use",
            "view",
            "session",
            "start",
            "stop",
            "accounts",
            "config",
        ];
        // The subcommand alone, or with a switch (`net user x /add`): `net user experience`
        // is prose.
        return words
            .next()
            .is_some_and(|w| SUB.iter().any(|s| s.eq_ignore_ascii_case(w)))
            && {
                let mut rest = words.peekable();
                rest.peek().is_none() || rest.any(|w| w.starts_with('/') && w.len() > 1)
            };
    }
    if first.eq_ignore_ascii_case("for") {
        // `for [/d|/r|/l|/f ["options"]] %x in (set) do command`
        let lower = t.to_ascii_lowercase();
        let Some(var) = lower.find(" %") else {
            return false;
        };
        let v = &lower[var + 2..];
        let v = v.strip_prefix('%').unwrap_or(v);
        let mut it = v.chars();
        return it.next().is_some_and(|c| c.is_ascii_alphabetic())
            && it.as_str().trim_start().starts_with("in")
            && it.as_str().contains('(')
            && it.as_str().contains(" do ");
    }
    false
}

/// A program name no list knows (`perf`, `ansible-inventory`) followed by what only a
/// command line holds: lower-case options (`--version`, `-t 1.1.1.1`), shell words, at most one
/// plain word, and at least one option.
fn optioned_program<'a>(cmd: &str, rest: impl Iterator<Item = &'a str>) -> bool {
    let b = cmd.as_bytes();
    if b.len() < 2
        || !b[0].is_ascii_lowercase()
        || !b
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"-_.".contains(c))
    {
        return false;
    }
    let (mut options, mut plain) = (0usize, 0usize);
    for t in rest {
        let o = t.strip_prefix("--").or_else(|| t.strip_prefix('-'));
        match o {
            Some(name)
                if name.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
                    && name
                        .bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-') =>
            {
                options += 1
            }
            _ if t.bytes().all(|c| c.is_ascii_digit() || c == b'.') => {}
            _ if shell_word(t, false) => {}
            _ => plain += 1,
        }
    }
    options > 0 && plain <= 1
}

/// `$name` or `${name}`: a variable (not a positional `$1`).
pub(crate) fn expansion(t: &str) -> bool {
    let name = t
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| t.strip_prefix('$'));
    name.is_some_and(|n| {
        n.as_bytes()
            .first()
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
            && n.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
    })
}

/// An absolute path with a glob (`?`, `*`, `[...]`) in a directory, or in a file of a binary
/// directory: `/???/?s`, `/usr/[a-z]in/bash`, `/bin/ca?`. A pattern over files
/// (`/images/*.png`) globs only its last part.
pub(crate) fn glob_path(t: &str) -> bool {
    let glob = |s: &str| s.contains(['?', '*', '[']);
    if !t.starts_with('/')
        || !glob(t)
        || !t
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"/?*[]-_.".contains(&c))
    {
        return false;
    }
    let Some(cut) = t.rfind('/') else {
        return false;
    };
    let (dir, file) = (&t[..cut + 1], &t[cut + 1..]);
    (glob(dir) && dir.len() > 2 && !file.is_empty())
        || (glob(file) && BIN_DIRS.iter().any(|d| dir.eq_ignore_ascii_case(d)))
}

/// An argument only a shell would take: an option, a path, a drive letter; after a `sure`
/// command also a variable, a redirection, a glob or a quoted word.
fn shell_word(t: &str, sure: bool) -> bool {
    let b = t.as_bytes();
    // `-l`, `-A`, `--all`, `-rf`; a capitalised word after a dash (`-MINI`) is a name.
    let option = b[0] == b'-'
        && b.get(1)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'-')
        && (b.len() == 2 || !b[1..].iter().any(u8::is_ascii_uppercase));
    let drive = (2..=3).contains(&b.len()) && b[0].is_ascii_alphabetic() && b[1] == b':';
    let path = (b[0] == b'/' || t.starts_with("~/") || t.starts_with("./") || b[0] == b'\\')
        && !t.contains('*');
    option
        || drive
        || path
        || glob_path(t)
        || (sure && (t.contains(['/', '\\', '$', '<', '>', '*']) || b[0] == b'"' || b[0] == b'\''))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_values_that_are_command_lines() {
        let l = Location::QueryArg;
        for a in [
            "/bin/ls -al",
            "/bin/ab",
            "/bin/gunzip -c /var/log/something.gz",
            "nohup sh -c whoami",
            "time sh -c whoami",
            "timeout 5 cat /etc/hosts",
            "nohup ifconfig",
            "id;",
            "whoami|",
            "dir c:/",
            "+dir+c:/",
            "cat$IFS/etc/passwd",
            "Invoke-WebRequest http://example.com/a.ps1",
            "python3 -m http.server",
            "'i'fconfig",
            "\"w\"get localhost",
            "cu$@rl google.com",
            "uname$u -a",
            "ti''me sh -c whoami",
            "'TiMe Sh -c whoami",
            "nohup who",
            "strace w",
            "pi``ng 127.0.0.1",
            "ping$() 127.0.0.1",
            "/usr/bin/[u]name -a",
            "/bi[n]/bash",
            "/???/??t /???/p??s??",
            "$SHELL -c \"echo hi\"",
            "${SHELL} -c id",
            "alias ll='ls -al'",
            "alias -p",
            "cat /et*/*wd",
            "%COMSPEC% /c dir",
            "%windir%\\system32\\calc.exe",
            "for /f \"tokens=*\" %a in ('dir') do echo %a",
            "net user",
            "perf --version",
            "ansible-inventory --list",
            "chef-client -t 1.1.1.1",
            "\" ping.exe -n 31 127.0.0.1",
            "() {",
            "() { :; }; echo x",
            "{,echo,#test}",
            "{,cd,/etc,}",
            "{,$'whoami',}",
            "{/?s?/?i?/c?t,}",
            "{n$u\\c$u,-nlvp,777}",
            "{cat,/etc/passwd}",
            "pi<()ng 127.0.0.1",
            "pi>()ng 127.0.0.1",
            "\"\"p\"\"y\"\"t\"\"h\"\"o\"\"n\"\"3\"\".\"\"1\"\"0\"\" \"\"c\"\"m\"\"d\"\"",
            "python3.11 -c print",
            "bin/visudo",
            "usr/sbin/useradd",
            "alias +m a=b",
            "alias +g+ a=b",
            "alias 'letter'=curl",
            "find / -name id_rsa -exec cat {} +",
        ] {
            assert!(command_line(a, l), "missed {a:?}");
        }
        for b in [
            "id",
            "type",
            "cat",
            "curl wrapper for node and deno",
            "ping pong championship -- the final",
            "python 3 bindings for the library",
            "echo",
            "exec 'foo'",
            "set -1 points",
            "SET @x = $1",
            "type *",
            "SET 8 -MINI AS",
            "Python `logging.Formatter` class for syslog",
            "Python | Django",
            "O'keefe's",
            "\"Python script to update DNS records\"",
            "That's two \"O\"s in goose",
            "''that's the joke''.jpeg",
            "Make your script lighter",
            "/usr/share/doc",
            "more than -5 degrees outside today",
            "Mozilla/5.0 (X11; Linux x86_64)",
            "curl/8.5.0",
            "/images/*.png",
            "/docs/api/v1",
            "time who knows",
            "alias for the old name",
            "$HOME directory",
            "Use `ping` to test",
            "%USERPROFILE% is your home folder",
            "for all of us in the family do come",
            "net user experience",
            "well -- that was it",
            "covid -19 numbers",
            "Caffeine - Mac app",
            "() => { return 1; }",
            "(){}",
            "{id,name}",
            "{a,b,c}",
            "{\"id\":1,\"name\":\"x\"}",
            "bin/app.js",
            "bin",
            "bin/",
            "php8 is fast",
            "id3 tags",
            "python3.11 release notes",
            "alias for the old=new name",
            "find the -best -deals on new cars",
        ] {
            assert!(!command_line(b, l), "false positive {b:?}");
        }
        assert!(!command_line("/bin/ls -al", Location::Path));
    }
}
