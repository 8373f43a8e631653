//! Path traversal, local and remote file inclusion.

use super::{Detect, Rule, ALL, ARGS, ARGS_HEADERS};
use crate::verdict::AttackType as A;

/// The rules of this section, in the order they are tried.
pub(super) const RULES: &[Rule] = &[
    // Path traversal / LFI.
    Rule {
        id: 4000,
        name: "Path traversal sequence",
        class: A::Traversal,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["..", "%2e", "%c0%ae", "%uff0e"],
            pattern: r"(^|[\\/])\.\.[\\/;]|[\\/]\.\.($|[\\/])|(%2e|%c0%ae|%uff0e){2}(%2f|%5c|[\\/])",
        },
    },
    Rule {
        id: 4001,
        name: "Access to OS file",
        class: A::Traversal,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            // `windows` with the slash the regex wants before or after it (the word alone is in
            // every Windows User-Agent).
            triggers: &[
                "etc/",
                "proc/",
                "win.ini",
                "boot.ini",
                "system32",
                "windows/",
                "windows\\",
                "/windows",
                "\\windows",
                "/winnt",
                "\\winnt",
                "/inetpub",
                "\\inetpub",
                "ntuser",
                "c$",
                "system.ini",
            ],
            pattern: r"/etc/(passwd|shadow|group|hosts|issue|motd|crontab|sudoers|security|ssh|mysql|apache2|httpd|nginx)|/proc/(self|\d+)/(environ|cmdline|fd|maps|status)|\b(win|boot|system)\.ini\b|windows[\\/]+(system32|win\.ini)|ntuser\.dat|\\c\$\\|[a-z]:[\\/]+(windows|winnt|boot\.ini|inetpub)",
        },
    },
    Rule {
        id: 4002,
        name: "PHP wrapper stream",
        class: A::Traversal,
        level: 1,
        locations: ARGS_HEADERS,
        detect: Detect::Regex {
            triggers: &[
                "php://",
                "phar://",
                "zip://",
                "expect://",
                "data://",
                "glob://",
                "file://",
                "compress.zlib",
                "compress.bzip2",
            ],
            pattern: r"\b(php|phar|zip|expect|glob|compress\.zlib|compress\.bzip2)://|\bfile://|\bdata://[a-z]",
        },
    },
    // RFI.
    Rule {
        id: 4100,
        name: "Remote file inclusion with trailing ?",
        class: A::Rfi,
        level: 1,
        locations: ARGS,
        detect: Detect::Regex {
            triggers: &["http", "ftp"],
            pattern: r"^\s*(https?|ftps?)://[^\s]+\?+$",
        },
    },
    Rule {
        id: 4101,
        name: "Remote file inclusion of an IP-addressed URL",
        class: A::Rfi,
        level: 2,
        locations: ARGS,
        detect: Detect::Regex {
            triggers: &["http", "ftp"],
            pattern: r"^\s*(https?|ftps?)://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
        },
    },
    Rule {
        id: 4102,
        name: "Remote file inclusion of a script file",
        class: A::Rfi,
        level: 1,
        locations: ARGS,
        detect: Detect::Regex {
            triggers: &["http", "ftp"],
            // A link to a page (`index.php?title=x`, `default.asp?id=7`) is a URL handed around
            // as data: share buttons, redirects after login, analytics page locations. What an
            // include fetches and runs is source served as text, which no web server runs as
            // a page; a `.php` whose query is empty (the include's suffix cut off) is 4100's.
            pattern: r"^\s*(https?|ftps?)://[^\s?#]+\.(txt|inc|sh|pl|py)\?",
        },
    },
];
