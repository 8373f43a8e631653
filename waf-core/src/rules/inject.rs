//! Injections into other services: SSRF, XXE, NoSQL, CRLF, LDAP, mail commands, SSI and ESI.

use super::{Detect, Gate, Rule, ALL, ARGS, ARGS_HEADERS, NAMES, PATH};
use crate::detect::{class::COLON, ssrf};
use crate::verdict::AttackType as A;

/// The rules of this section, in the order they are tried.
pub(super) const RULES: &[Rule] = &[
    // SSRF.
    Rule {
        id: 7000,
        name: "SSRF to cloud metadata endpoint",
        class: A::Ssrf,
        level: 1,
        locations: ARGS_HEADERS,
        detect: Detect::Regex {
            triggers: &[
                "169.254.169.254",
                "metadata.google",
                "metadata.azure",
                "100.100.100.200",
                "fd00:ec2",
                "169.254.170.2",
                "0xa9fea9fe",
                "2852039166",
                "instance-data",
            ],
            pattern: r"169\.254\.169\.254|metadata\.google\.internal|metadata\.azure\.com|100\.100\.100\.200|\[?fd00:ec2::254|169\.254\.170\.2|0xa9fea9fe|\b2852039166\b|instance-data(/|\b)",
        },
    },
    Rule {
        id: 7001,
        name: "SSRF with internal or dangerous URL scheme",
        class: A::Ssrf,
        level: 1,
        locations: ARGS,
        detect: Detect::Regex {
            triggers: &[
                "gopher:", "dict:", "ldap:", "ldaps:", "tftp:", "jar:", "netdoc:", "sftp:", "ftp:",
            ],
            pattern: r"\b(gopher|dict|tftp|jar|netdoc|ldap|ldaps|sftp)://",
        },
    },
    Rule {
        id: 7002,
        name: "SSRF to loopback or unspecified address",
        class: A::Ssrf,
        level: 2,
        locations: ARGS,
        detect: Detect::Regex {
            triggers: &[
                "localhost",
                "127.",
                "0.0.0.0",
                "[::",
                "0x7f",
                "2130706433",
                "[0:0",
            ],
            pattern: r"^\s*(https?|ftp)://(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|0x7f[0-9a-f.]*|2130706433|\[(::1?|0:0:0:0:0:0:0:[01]|::ffff:127\.0\.0\.1)\])([:/?#]|$)",
        },
    },
    Rule {
        id: 7003,
        name: "SSRF: URL host ambiguous, in a numeric disguise, or the machine itself",
        class: A::Ssrf,
        level: 2,
        locations: ARGS,
        detect: Detect::Check {
            test: ssrf::internal_or_obfuscated_host,
            needs: COLON,
            gate: Gate::None,
        },
    },
    // XXE.
    Rule {
        id: 7100,
        name: "XML external entity declaration",
        class: A::Xxe,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["<!entity", "<!doctype"],
            pattern: r"<!entity\b|<!doctype\s+[^>]*(\[|system\b|public\b)",
        },
    },
    Rule {
        id: 7101,
        name: "XML external schema or XInclude",
        class: A::Xxe,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &[
                "xinclude",
                "schemalocation",
                "xs:include",
                "xs:import",
                "xsl:",
                "xi:include",
                "xmlns:xi",
                "xs:redefine",
            ],
            pattern: r"xmlns:xi\s*=|<xi:include|schemalocation\s*=\s*['\x22][^'\x22]*(https?|file|ftp)://|<xs:(include|import|redefine)\b[^>]*(schemalocation|namespace)|<xsl:(import|include)\b",
        },
    },
    Rule {
        id: 7102,
        name: "XML declared in UTF-7 (markup hidden from byte-level inspection)",
        class: A::Xxe,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["<?xml"],
            pattern: r"<\?xml\s[^>]*encoding\s*=\s*['\x22]?\s*(csunicode11)?utf-?7\b",
        },
    },
    // NoSQL.
    Rule {
        id: 8000,
        name: "NoSQL operator in a parameter name",
        class: A::Nosqli,
        level: 1,
        locations: NAMES,
        detect: Detect::Regex {
            triggers: &["$"],
            pattern: r"(^|\[)\$(ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|or|and|nor|not|expr|elemmatch|size|type|mod|all|text|function|accumulator)(\]|$)",
        },
    },
    Rule {
        id: 8001,
        name: "NoSQL operator or JavaScript in a value",
        class: A::Nosqli,
        level: 1,
        locations: ARGS,
        detect: Detect::Regex {
            triggers: &[
                "$where",
                "$ne",
                "$gt",
                "$lt",
                "$regex",
                "$or",
                "$and",
                "$nin",
                "$in",
                "$exists",
                "$expr",
                "db.",
                "this.",
                "while",
                "sleep(",
                "$nor",
                "$function",
                r"\bvar\b",
                r"\blet\b",
                r"\breturn\b",
                r"\bsleep\b",
            ],
            pattern: r"['\x22{,\s]\$(where|ne|gt|gte|lt|lte|regex|or|and|nor|nin|in|exists|expr|function)['\x22]?\s*:|\bdb\.[\w$]+\.(find|insert|update|remove|drop|aggregate|count|deleteone|deletemany|findone|mapreduce)\w*\s*\(|\bthis\.[\w$]+\s*(==|!=|\.match\s*\()|\bwhile\s*\(\s*\w+\s*-\s*\w+\s*<|\bdo\s*\{[^}]*\}\s*while\s*\(|^\s*\d*\s*;\s*(var|let|return|sleep)\b",
        },
    },
    // CRLF / header injection.
    Rule {
        id: 8100,
        name: "CRLF injection of a header",
        class: A::Crlf,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &[
                "\r", "\n", "%0d", "%0a", "\u{560d}", "\u{560a}", "\u{010d}", "\u{010a}",
            ],
            // The break is the first of the value, after one token (`en`, `/home`, a cookie
            // value): a header value being split. Text with a blank before its first line
            // break is multi-line prose (a comment, a pasted HTTP request in a ticket).
            pattern: r"^\S*?(\r|\n|%0d|%0a|\xe5\x98\x8d|\xe5\x98\x8a|\xc4\x8d|\xc4\x8a)+\s*(set-cookie|location|content-(type|length|disposition)|refresh|x-[a-z-]+|access-control-[a-z-]+|host|cookie|link)\s*:",
        },
    },
    Rule {
        id: 8101,
        name: "Raw CR/LF in the request path",
        class: A::Crlf,
        level: 2,
        locations: PATH,
        detect: Detect::Regex {
            triggers: &["\r", "\n"],
            pattern: r"[\r\n]",
        },
    },
    // LDAP.
    Rule {
        id: 8200,
        name: "LDAP filter injection",
        class: A::Ldap,
        level: 1,
        locations: ARGS,
        detect: Detect::Regex {
            triggers: &["(", ")", "*", ":="],
            pattern: r"\(\s*[|&!]\s*\(|\)\s*\(\s*[|&!]|\)\s*[|&!]?\s*\(\s*[a-z][\w.;-]*\s*(~=|>=|<=|=)|\*\s*\)\s*\(|\(\s*(objectclass|uid|cn|mail|userpassword|samaccountname)\s*=\s*\*|^\s*\*\s*\(\s*[|&]|\)\s*\)\s*\(\s*\w+\s*=|\w+:\d+(\.\d+)+:=\w",
        },
    },
    // Mail injection.
    Rule {
        id: 8300,
        name: "SMTP/IMAP command or mail header injection",
        class: A::MailInjection,
        level: 1,
        locations: ARGS,
        detect: Detect::Regex {
            triggers: &["\r", "\n"],
            pattern: r"[\r\n]\s*((rcpt\s+to|mail\s+from)\s*:\s*(<[^\s<>]*>|<?[^\s@<>]+@)|(retr|dele)\s+\d+\s*([\r\n]|$)|top\s+\d+\s+\d+|(helo|ehlo)\s+[\w.-]+\s*([\r\n]|$)|(data|quit|rset|noop)\s*([\r\n]|$)|(vrfy|expn)\s+\S+\s*([\r\n]|$)|auth\s+(login|plain)\b|[a-z]*\d+[a-z\d]*\s+(capability|fetch|login|select|examine|append|store|uid|logout|list|lsub|authenticate|starttls|copy|move|search|status|expunge|close|check|create|delete|rename|subscribe|unsubscribe|idle)\b|b?cc\s*:\s*[^\s@]+@)",
        },
    },
    // SSI.
    Rule {
        id: 8400,
        name: "Server-side include directive",
        class: A::Ssi,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["<!--"],
            pattern: r"<!--\s*#\s*(exec|include|echo|config|printenv|set|fsize|flastmod|if|elif)\b",
        },
    },
    Rule {
        id: 8401,
        name: "Edge Side Includes tag",
        class: A::Ssi,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["<esi:"],
            pattern: r"<esi:(include|inline|vars|eval|choose|try|assign|debug)\b",
        },
    },
];
