//! The command names the shell checks know (rules 5000, 5002 and 5005), the precommand modifiers
//! and binary directories of a command line, and how a word is matched against them.

/// Commands that are rarely English words: any clause shape counts. Sorted: looked up by
/// binary search.
pub(super) const UNAMBIGUOUS: &[&str] = &[
    "attrib",
    "base64",
    "bash",
    "bitsadmin",
    "busybox",
    "cacls",
    "certutil",
    "chmod",
    "chown",
    "cmd",
    "crontab",
    "cscript",
    "curl",
    "findstr",
    "getent",
    "icacls",
    "id",
    "iex",
    "ifconfig",
    "invoke-expression",
    "invoke-webrequest",
    "ipconfig",
    "iwr",
    "ksh",
    "ls",
    "mshta",
    "msiexec",
    "nc",
    "ncat",
    "netcat",
    "netstat",
    "nohup",
    "nslookup",
    "openssl",
    "perl",
    "php",
    "powershell",
    "printenv",
    "printf",
    "pwd",
    "python",
    "python2",
    "python3",
    "regedit",
    "regsvr32",
    "rev",
    "robocopy",
    "ruby",
    "rundll32",
    "schtasks",
    "sh",
    "socat",
    "start-process",
    "sudo",
    "systeminfo",
    "taskkill",
    "tasklist",
    "telnet",
    "tftp",
    "uid",
    "uname",
    "useradd",
    "vssadmin",
    "wevtutil",
    "wget",
    "whoami",
    "wscript",
    "xargs",
    "xcopy",
    "xxd",
    "zsh",
];

/// Commands that are also words of prose: they need shell-like arguments or a bare clause.
/// Sorted: looked up by binary search.
pub(super) const AMBIGUOUS: &[&str] = &[
    "awk",
    "call",
    "cat",
    "cd",
    "copy",
    "cp",
    "del",
    "dig",
    "dir",
    "echo",
    "env",
    "eval",
    "exec",
    "export",
    "find",
    "ftp",
    "grep",
    "head",
    "host",
    "kill",
    "less",
    "mkdir",
    "more",
    "mv",
    "net",
    "net1",
    "passwd",
    "ping",
    "ps",
    "reg",
    "rename",
    "rm",
    "scp",
    "sed",
    "set",
    "sleep",
    "ssh",
    "start",
    "su",
    "tail",
    "timeout",
    "touch",
    "traceroute",
    "tracert",
    "type",
    "ver",
    "whois",
    "wmic",
];

/// The leading command-like word of `s` (letters, digits, `_ . / -`).
pub(crate) fn first_word(s: &str) -> &str {
    let end = s
        .bytes()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'-')))
        .unwrap_or(s.len());
    &s[..end]
}

/// The basename of `w`, when it is a known command (`/bin/cat` -> `cat`). Compared without
/// lower-casing into a new string (an allocation per separator).
pub(crate) fn is_command(w: &str, any: bool) -> bool {
    let base = w
        .bytes()
        .rposition(|c| c == b'/' || c == b'\\')
        .map_or(w, |i| &w[i + 1..]);
    let base = base.strip_suffix(".exe").unwrap_or(base);
    let Some(&first) = base.as_bytes().first() else {
        return false;
    };
    // Length and first letter before the search: most words are not commands. One table load
    // rules out most.
    let first = first.to_ascii_lowercase();
    let letter = first.wrapping_sub(b'a') as usize;
    let known = |list: &[&str], shapes: &[u32; 26]| {
        letter < 26
            && base.len() < 32
            && shapes[letter] & (1 << base.len()) != 0
            && list
                .binary_search_by(|c| c.bytes().cmp(base.bytes().map(|b| b.to_ascii_lowercase())))
                .is_ok()
    };
    known(UNAMBIGUOUS, &UNAMBIGUOUS_SHAPES)
        || (any && known(AMBIGUOUS, &AMBIGUOUS_SHAPES))
        || versioned(base)
}

/// `python3.11`, `perl5.36`, `php8`: an interpreter installed under its version, the name of
/// one of the [`UNAMBIGUOUS`] commands of three letters or more followed by digits and dots.
fn versioned(base: &str) -> bool {
    let b = base.as_bytes();
    if !b.last().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let name = base.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    name.len() >= 3 && name.len() < base.len() && is_command(name, false)
}

/// Per first letter (`a`-`z`), one bit per length of the names of `list` that start with it.
/// Every name starts with a letter and is shorter than 32 bytes (checked when compiling).
pub(super) const fn name_shapes(list: &[&str]) -> [u32; 26] {
    let mut t = [0u32; 26];
    let mut i = 0;
    while i < list.len() {
        let w = list[i].as_bytes();
        let c = w[0].to_ascii_lowercase();
        assert!(c.is_ascii_lowercase() && w.len() < 32);
        t[(c - b'a') as usize] |= 1 << w.len();
        i += 1;
    }
    t
}

/// The union of two [`name_shapes`] tables.
pub(super) const fn union_shapes(a: [u32; 26], b: [u32; 26]) -> [u32; 26] {
    let mut t = a;
    let mut i = 0;
    while i < 26 {
        t[i] |= b[i];
        i += 1;
    }
    t
}

/// Whether a word of `len` bytes starting with the ASCII letter `first` has a shape of `shapes`
/// (compared ignoring case): a test that rules out most words before any list is compared.
pub(super) fn has_shape(shapes: &[u32; 26], first: u8, len: usize) -> bool {
    let letter = first.to_ascii_lowercase().wrapping_sub(b'a') as usize;
    letter < 26 && len < 32 && shapes[letter] & (1 << len) != 0
}

/// [`name_shapes`] of [`UNAMBIGUOUS`].
static UNAMBIGUOUS_SHAPES: [u32; 26] = name_shapes(UNAMBIGUOUS);
/// [`name_shapes`] of [`AMBIGUOUS`].
static AMBIGUOUS_SHAPES: [u32; 26] = name_shapes(AMBIGUOUS);

/// Precommand modifiers: the next word is the command.
pub(super) const WRAPPERS: &[&str] = &[
    "nohup", "time", "strace", "ltrace", "sudo", "doas", "env", "nice", "timeout", "exec",
    "command", "builtin", "setsid", "stdbuf",
];

/// Directories whose files are programs.
pub(super) const BIN_DIRS: &[&str] = &[
    "/bin/",
    "/sbin/",
    "/usr/bin/",
    "/usr/sbin/",
    "/usr/local/bin/",
    "/usr/local/sbin/",
];

/// `bin/name`, `usr/sbin/name`: a program in a binary directory named relative to the root (the
/// working directory of a service); a plain program name, not a file with an extension.
pub(super) fn relative_binary(t: &str) -> bool {
    BIN_DIRS.iter().any(|d| {
        let d = &d.as_bytes()[1..];
        let b = t.as_bytes();
        b.len() > d.len()
            && b[..d.len()].eq_ignore_ascii_case(d)
            && b[d.len()].is_ascii_lowercase()
            && b[d.len()..]
                .iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_'))
    })
}
