//! SQL injection signatures (the libinjection checks are in `checks`).

use super::{Detect, Rule, ALL, ARGS_HEADERS};
use crate::verdict::AttackType as A;

/// The rules of this section, in the order they are tried.
pub(super) const RULES: &[Rule] = &[
    Rule {
        id: 2010,
        name: "SQL UNION SELECT",
        class: A::Sqli,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["union"],
            // After a quote or a parenthesis (breaking out of a literal) anything may follow;
            // elsewhere a select list must (a number, `null`, `*`, a variable, a string, a
            // call, a column before `,`, `from` or a comment): `union select filter` is a phrase.
            pattern: r"['\x22)]\s*union\b[\s/*()+-]*(all|distinct)?[\s/*()+-]*\bselect\b|\bunion\b[\s/*()+-]*(all|distinct)?[\s/*()+-]*\bselect\b(\s|/\*[^*]*\*/|[()+])*(\*|-?\d|null\b|@|['\x22`]|0x|\w+\s*(\(|,|\bfrom\b|--|#|;|\|\|))",
        },
    },
    Rule {
        id: 2011,
        name: "SQL time-based blind injection",
        class: A::Sqli,
        level: 1,
        locations: ARGS_HEADERS,
        detect: Detect::Regex {
            triggers: &[
                "sleep",
                "benchmark",
                "waitfor",
                "pg_sleep",
                "dbms_pipe",
                "dbms_lock",
            ],
            pattern: r"\b(sleep|pg_sleep)\s*\(\s*[\d'(]|\bbenchmark\s*\(\s*\d+\s*,|\bwaitfor\s+delay\s+'|dbms_(pipe\.receive_message|lock\.sleep)",
        },
    },
    Rule {
        id: 2012,
        name: "SQL schema enumeration",
        class: A::Sqli,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &[
                "information_schema",
                "sysobjects",
                "syscolumns",
                "pg_catalog",
                "sqlite_master",
                "mysql.user",
                "all_tables",
                "sys.tables",
                "table_name",
                "column_name",
                "schema_name",
            ],
            pattern: r"\b(information_schema|sysobjects|syscolumns|pg_catalog|sqlite_master|mysql\.user|all_tables|sys\.tables)\b|\bselect\b[^;]{0,40}\b(table_name|column_name|schema_name)\b",
        },
    },
    Rule {
        id: 2013,
        name: "SQL file access or command execution",
        class: A::Sqli,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &[
                "load_file",
                "outfile",
                "dumpfile",
                "xp_cmdshell",
                "sp_oacreate",
                "utl_http",
                "utl_inaddr",
                "lo_import",
                "copy",
            ],
            pattern: r"\bload_file\s*\(|\binto\s+(out|dump)file\b|\bxp_cmdshell\b|\bsp_oacreate\b|\butl_(http|inaddr)\b|\blo_import\s*\(|\bcopy\s+\w+\s+(from|to)\s+program\b",
        },
    },
    Rule {
        id: 2014,
        name: "SQL stacked query",
        class: A::Sqli,
        level: 2,
        locations: ARGS_HEADERS,
        detect: Detect::Regex {
            // The statement after the `;`, at the word boundary the `;\s*` before it leaves (`;`
            // alone is in every Windows User-Agent).
            triggers: &[
                r"\bdrop\b",
                r"\bdelete\b",
                r"\binsert\b",
                r"\bupdate\b",
                r"\bshutdown",
                r"\btruncate\b",
                r"\balter\b",
                r"\bcreate\b",
                r"\bexec",
                r"\bdeclare\b",
                r"\bselect\b",
            ],
            pattern: r"['\x22)\d]\s*;\s*(drop\s+(table|database|schema|view|user|procedure|function|index)\b|delete\s+from\b|insert\s+into\b|update\s+[\w.\x22`\[\]]+\s+set\b|shutdown\s*(--|#|;|/\*|with\b|$)|truncate\s+table\b|(alter|create)\s+(table|database|user|login|procedure|function|view|trigger)\b|exec(ute)?(\s+|\()(master\.|xp_|sp_|@|\(|['\x22])|declare\s+@|select\s+(.+\bfrom\b|[\w@]+\s*\(|\d|@@|\*|['\x22]))",
        },
    },
    Rule {
        id: 2015,
        name: "SQL tautology",
        class: A::Sqli,
        level: 2,
        locations: ARGS_HEADERS,
        detect: Detect::Regex {
            triggers: &[r"\bor\b", r"\band\b", "||", "&&"],
            pattern: r"['\x22)`]\s*(\bor\b|\band\b|\|\||&&)\s*['\x22(]?\s*(\w+)\s*['\x22)]?\s*(=|<>|!=|<|>|\blike\b)\s*['\x22(]?\s*\w*",
        },
    },
    Rule {
        id: 2016,
        name: "SQL error-based extraction",
        class: A::Sqli,
        level: 2,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &[
                "extractvalue",
                "updatexml",
                "convert",
                "cast",
                "exp(",
                "floor",
                "geometrycollection",
                "polygon",
                "multipoint",
                "linestring",
            ],
            pattern: r"\b(extractvalue|updatexml)\s*\(|\bconvert\s*\(\s*int\s*,|\bcast\s*\(.*\bas\s+(int|numeric|char)\b.*\)|\bfloor\s*\(\s*rand\s*\(|\b(geometrycollection|polygon|multipoint|linestring)\s*\(\s*\(?\s*select\b",
        },
    },
    Rule {
        id: 2017,
        name: "SQL comment after quote",
        class: A::Sqli,
        level: 2,
        locations: ARGS_HEADERS,
        detect: Detect::Regex {
            triggers: &["--", "#", "/*"],
            pattern: r"['\x22`]\s*(\)\s*)*(--([\s-]|$)|/\*)|\w['\x22`]\s*(\)\s*)*#\s*$",
        },
    },
    Rule {
        id: 2018,
        name: "SQL boolean operator into a function call after a quote",
        class: A::Sqli,
        level: 2,
        locations: ARGS_HEADERS,
        detect: Detect::Regex {
            triggers: &[r"\bor\b", r"\band\b", r"\bxor\b", "||", "&&"],
            pattern: r"['\x22`]\s*\)*\s*(\bor\b|\band\b|\bxor\b|\|\||&&)\s*(\bnot\s+)?[a-z_][a-z0-9_]*\s*\(.*[)'\x22]",
        },
    },
    Rule {
        id: 2019,
        name: "SQL conditional or scalar subquery",
        class: A::Sqli,
        level: 2,
        locations: ARGS_HEADERS,
        detect: Detect::Regex {
            triggers: &["select"],
            pattern: r"\(\s*select\s*\(?\s*(case\s+when|if\s*\(|count\s*\(|char\s*\(|concat|sleep\s*\(|null\b|@@|\d)",
        },
    },
    Rule {
        id: 2020,
        name: "SQL operator glued to a number",
        class: A::Sqli,
        level: 2,
        locations: ARGS_HEADERS,
        detect: Detect::Regex {
            // `xor` ends in `or`.
            triggers: &[r"or\b", r"and\b"],
            pattern: r"(^|[\s'\x22(])[.\d]*\d(or|and|xor)[-+!~(@]\s*\w+",
        },
    },
];
