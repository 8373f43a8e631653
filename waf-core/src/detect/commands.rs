//! The command names the shell checks know (rules 5000, 5002 and 5005), and how a word is
//! matched against them.

/// Commands that are rarely English words: any clause shape counts.
pub(super) const UNAMBIGUOUS: &[&str] = &[
    "whoami",
    "uname",
    "wget",
    "curl",
    "ncat",
    "netcat",
    "bash",
    "zsh",
    "ksh",
    "nslookup",
    "getent",
    "chmod",
    "chown",
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "php",
    "telnet",
    "ifconfig",
    "ipconfig",
    "systeminfo",
    "powershell",
    "printenv",
    "useradd",
    "crontab",
    "tftp",
    "base64",
    "xxd",
    "nohup",
    "tasklist",
    "certutil",
    "bitsadmin",
    "sudo",
    "nc",
    "sh",
    "cmd",
    "ls",
    "id",
    "netstat",
    "uid",
    "pwd",
    "printf",
    "rev",
    "xargs",
    "socat",
    "busybox",
    "openssl",
    "iwr",
    "iex",
    "invoke-webrequest",
    "invoke-expression",
    "start-process",
    "mshta",
    "regedit",
    "rundll32",
    "regsvr32",
    "cscript",
    "wscript",
    "schtasks",
    "icacls",
    "msiexec",
    "findstr",
    "taskkill",
    "vssadmin",
    "wevtutil",
    "xcopy",
    "robocopy",
    "cacls",
    "attrib",
];

/// Commands that are also words of prose: they need shell-like arguments or a bare clause.
pub(super) const AMBIGUOUS: &[&str] = &[
    "cat",
    "cd",
    "rm",
    "ps",
    "cp",
    "mv",
    "su",
    "ping",
    "dig",
    "host",
    "echo",
    "net",
    "dir",
    "type",
    "more",
    "less",
    "sleep",
    "kill",
    "env",
    "passwd",
    "ftp",
    "scp",
    "ssh",
    "find",
    "head",
    "tail",
    "set",
    "timeout",
    "rename",
    "touch",
    "export",
    "exec",
    "eval",
    "grep",
    "awk",
    "sed",
    "mkdir",
    "del",
    "copy",
    "start",
    "call",
    "whois",
    "traceroute",
    "tracert",
    "reg",
    "wmic",
    "net1",
    "ver",
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
    // Length and first letter before the full comparison: most words are not commands, and
    // this runs for each of them against a hundred names. One table load rules out most.
    let first = first.to_ascii_lowercase();
    let letter = first.wrapping_sub(b'a') as usize;
    let known = |list: &[&str], shapes: &[u32; 26]| {
        letter < 26
            && base.len() < 32
            && shapes[letter] & (1 << base.len()) != 0
            && list.iter().any(|c| {
                c.len() == base.len() && c.as_bytes()[0] == first && c.eq_ignore_ascii_case(base)
            })
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
