//! The prefilter of rule 5005 ([`super::shell_line::command_line`]): one pass over the first
//! word of a value that rules out most values before the command line is read.

use super::commands::{
    has_shape, name_shapes, relative_binary, union_shapes, AMBIGUOUS, UNAMBIGUOUS, WRAPPERS,
};
#[cfg(test)]
use super::shell_line::read;

/// Per first letter, one bit per length of every word that can start what `shell_line::read`
/// takes: the known commands, the precommand modifiers, `alias`, and cmd.exe's `for` (`net` is
/// a command).
static START_SHAPES: [u32; 26] = union_shapes(
    union_shapes(name_shapes(UNAMBIGUOUS), name_shapes(AMBIGUOUS)),
    union_shapes(name_shapes(WRAPPERS), name_shapes(&["alias", "for"])),
);

/// One pass over the first word of `b` that rules out, for most values, everything
/// `shell_line::read` takes. It passes a value starting with a byte of paths, quotes,
/// expansions, substitutions or cmd.exe variables, and a first word holding one; it rules out a
/// first word with a byte no command name holds, and one whose basename (without `.exe` and a
/// version) has the first letter and length of no name `read` knows, which is not a relative
/// path into a binary directory and is no lower-case program name followed by an option. Never
/// false where `read` is true (`prefilter_never_hides_a_command_line` checks it against `read`
/// alone).
pub(super) fn may_be_command_line(b: &[u8]) -> bool {
    let Some(start) = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'+' | b'\t' | b'\r' | b'\n'))
    else {
        return false;
    };
    let first = b[start];
    if matches!(
        first,
        b'/' | b'\\' | b'%' | b'\'' | b'"' | b'$' | b'`' | b'{' | b'(' | b'<' | b'>'
    ) {
        return true;
    }
    let (mut end, mut slash, mut odd) = (b.len(), None, false);
    for (i, &c) in b.iter().enumerate().skip(start) {
        match c {
            b' ' | b'+' | b'\t' | b';' | b'|' | b'&' | b'\n' | b'\r' => {
                end = i;
                break;
            }
            // Splicing, substitutions and expansions: only the whole reading says.
            b'$' | b'\'' | b'"' | b'\\' | b'`' | b'(' | b'<' | b'>' | b'{' => return true,
            b'/' => slash = Some(i),
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-' => {}
            // No command word holds this byte: only what precedes it can be one (an empty
            // substitution later joins the rest of the value to it).
            _ => {
                (end, odd) = (i, true);
                break;
            }
        }
    }
    let word = &b[start..end];
    let base = &b[slash.map_or(start, |i| i + 1)..end];
    let base = base
        .strip_suffix(b".exe")
        .or_else(|| base.strip_suffix(b".EXE"))
        .unwrap_or(base);
    let unversioned = base.len()
        - base
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_digit() || **c == b'.')
            .count();
    let known = |n: usize| n > 0 && has_shape(&START_SHAPES, base[0], n);
    if known(base.len()) || known(unversioned) {
        return true;
    }
    if odd {
        return false;
    }
    if slash.is_some() {
        return matches!(first, b'b' | b's' | b'u' | b'B' | b'S' | b'U')
            && std::str::from_utf8(word).is_ok_and(relative_binary);
    }
    // A program no list knows, with an option after it (`perf --version`): a dash after a
    // blank in the next 64 bytes.
    let near = &b[end..b.len().min(end + 65)];
    first.is_ascii_lowercase()
        && memchr::memchr_iter(b'-', near)
            .any(|i| i > 0 && matches!(near[i - 1], b' ' | b'+' | b'\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefilter_never_hides_a_command_line() {
        // Seeds: the vectors above and shapes around them; then every seed cut and glued to
        // another, so words start, end and hold every byte the prefilter looks at.
        let mut seeds: Vec<String> = [
            "/bin/ls -al",
            "nohup sh -c whoami",
            "timeout 5 cat /etc/hosts",
            "id;",
            "whoami|",
            "dir c:/",
            "+dir+c:/",
            "cat$IFS/etc/passwd",
            "Invoke-WebRequest http://e/a.ps1",
            "python3 -m http.server",
            "python3.11 -c x",
            "'i'fconfig",
            "\"w\"get localhost",
            "cu$@rl google.com",
            "uname$u -a",
            "pi``ng 127.0.0.1",
            "ping$() 1",
            "pi<()ng 1",
            "/???/??t /???/p??s??",
            "$SHELL -c x",
            "alias ll='ls -al'",
            "alias +m a=b",
            "%COMSPEC% /c dir",
            "for /f \"tokens=*\" %a in ('dir') do echo %a",
            "net user",
            "perf --version",
            "chef-client -t 1.1.1.1",
            "\" ping.exe -n 31 127.0.0.1",
            "() { :; }",
            "{,echo,#test}",
            "{cat,/etc/passwd}",
            "bin/visudo",
            "usr/sbin/x",
            "PING.EXE -n 1 x",
            "C:\\Windows\\System32\\cmd.exe /c dir",
            "php8 -r x",
            "x/cat -n",
            "find / -name x -exec cat {} +",
            "running shoes",
            "gzip, deflate, br",
            "Mozilla/5.0 (X11; Linux x86_64)",
            "text/html,application/xml;q=0.9",
            "en-US,en;q=0.9",
            "echo hotel text",
            "Seán O'Brien",
            "2024",
            "-x",
            "~/bin",
            "sudo",
            "strace w",
        ]
        .map(String::from)
        .to_vec();
        let base = seeds.clone();
        for a in &base {
            for b in &base {
                for cut in [1, 2, 3, 5] {
                    let k = (0..=cut.min(a.len()))
                        .rev()
                        .find(|k| a.is_char_boundary(*k));
                    if let Some(k) = k {
                        seeds.push(format!("{}{}", &a[k..], b));
                        seeds.push(format!("{} {}", &a[..k], b));
                    }
                }
            }
        }
        for v in &seeds {
            assert!(
                may_be_command_line(v.as_bytes()) || !read(v),
                "the prefilter hides {v:?}"
            );
        }
    }
}
