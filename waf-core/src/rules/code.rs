//! Code injections: shell paths, deserialisation gadgets, ASP, out-of-band interaction
//! domains (whose payloads are those of code injections), endless JavaScript loops, shellshock,
//! PHP, Java and templates.

use super::{Detect, Gate, Rule, ALL, ARGS, ARGS_HEADERS};
use crate::detect::js_loop;
use crate::verdict::AttackType as A;

/// The rules of this section, in the order they are tried.
pub(super) const RULES: &[Rule] = &[
    // RCE / command injection.
    Rule {
        id: 5001,
        name: "Shell path or interpreter invocation",
        class: A::Rce,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &[
                "/bin/",
                "/usr/bin/",
                r"\bcmd\b",
                "powershell",
                "$ifs",
                "${ifs",
                "/sbin/",
            ],
            pattern: r"/(usr/)?(local/)?s?bin/(ba|z|k|da|c|tc)?sh\b|/(usr/)?bin/(nc|ncat|wget|curl|perl|python|php|ruby|id|cat)\b|\bcmd(\.exe)?\s*/[ck]\b|\bpowershell(\.exe)?\b.*-(e|enc|encodedcommand|c|command|nop)\b|\$\{?IFS\}?",
        },
    },
    Rule {
        id: 5003,
        name: "Deserialisation gadget tag",
        class: A::Rce,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &[
                "!!python", "!!ruby", "!!java", "!!javax", "!!com.", "!!org.",
            ],
            pattern: r"!!(python/(object|name|module|apply)|ruby/(object|hash|struct)|javax?\.|com\.sun\.|org\.(springframework|apache))",
        },
    },
    Rule {
        id: 5004,
        name: "ASP/VBScript code",
        class: A::Rce,
        level: 2,
        locations: ARGS_HEADERS,
        detect: Detect::Regex {
            triggers: &[
                r"\bresume\b",
                "server.",
                "wscript",
                "createobject",
                "execute",
                "cute",
            ],
            pattern: r"\bon\s+error\s+resume\s+next\b|\bserver\.(scripttimeout|createobject|mappath)\b|\bwscript\.shell\b|\bcreateobject\s*\(\s*['\x22](wscript|scripting|adodb|msxml2)|['\x22]\s*&\s*['\x22]\s*cute\s*\(",
        },
    },
    Rule {
        id: 5006,
        name: "Perl expression interpolated into a string (@{[ ... ]})",
        class: A::Rce,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["@{"],
            pattern: r"@\{\s*\[.*\]\s*\}",
        },
    },
    Rule {
        id: 5007,
        name: "Node.js code reaching the process, the module loader or a serialized function",
        class: A::Rce,
        level: 2,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &[
                "nd_func",
                "__js_function",
                "child_process",
                "process",
                "_load",
            ],
            pattern: r"_\$\$nd_func\$\$_|\b__js_function\b|\brequire\s*\(\s*['\x22`]?child_process\b|\bprocess\s*(\.\s*(binding|mainmodule|dlopen)\b|\[\s*['\x22]?mainmodule)|\bconstructor\s*\.\s*_load\s*\(",
        },
    },
    Rule {
        id: 5008,
        name: "JavaScript loop on a constant true condition (server-side eval denial of service)",
        class: A::Rce,
        level: 2,
        locations: ALL,
        detect: Detect::Check {
            test: js_loop::endless_loop,
            needs: 0,
            gate: Gate::None,
        },
    },
    Rule {
        id: 1101,
        name: "Out-of-band interaction (OAST) domain",
        class: A::Scanner,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &[
                "interact.sh",
                ".oast.",
                "burpcollaborator",
                "oastify",
                "dnslog.cn",
                "ceye.io",
                "canarytokens",
            ],
            pattern: r"\.(interact\.sh|oast\.(me|pro|fun|live|site|online)|burpcollaborator\.net|oastify\.com|dnslog\.cn|ceye\.io|canarytokens\.com)\b",
        },
    },
    Rule {
        id: 5100,
        name: "Shellshock function definition",
        class: A::Shellshock,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["()"],
            pattern: r"\(\s*\)\s*\{[^}]*;?\s*\}",
        },
    },
    // PHP code injection.
    Rule {
        id: 6000,
        name: "PHP open tag",
        class: A::PhpInjection,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["<?php", "<?="],
            pattern: r"<\?(php\b|=)",
        },
    },
    Rule {
        id: 6001,
        name: "PHP dangerous function call",
        class: A::PhpInjection,
        level: 1,
        locations: ARGS_HEADERS,
        detect: Detect::Regex {
            triggers: &[
                "eval",
                "assert",
                "system",
                "exec",
                "passthru",
                "popen",
                "proc_open",
                "base64_decode",
                "gzinflate",
                "str_rot13",
                "call_user_func",
                "create_function",
                "preg_replace",
                "file_get_contents",
                "file_put_contents",
                "fopen",
                "include",
                "require",
                "phpinfo",
                "pcntl_exec",
                "gzuncompress",
            ],
            pattern: r"\b(eval|assert|system|shell_exec|passthru|popen|proc_open|pcntl_exec|call_user_func(_array)?|create_function|file_put_contents|phpinfo)\s*\(|\b(base64_decode|gzinflate|str_rot13|gzuncompress)\s*\(.*\)|\b(include|require)(_once)?\s*\(?\s*['\x22]?(https?|ftp|php|data|expect)://|\bexec\s*\(\s*['\x22$]",
        },
    },
    Rule {
        id: 6002,
        name: "PHP superglobal or serialized object",
        class: A::PhpInjection,
        level: 2,
        locations: ARGS,
        detect: Detect::Regex {
            triggers: &["$_", "o:", "c:", "a:"],
            pattern: r"\$_(GET|POST|REQUEST|COOKIE|SERVER|FILES|ENV|SESSION)\s*\[|\b[oc]:\d+:\x22[a-z_][\w\\]*\x22:\d+:\{",
        },
    },
    // Java / Log4Shell.
    Rule {
        id: 6100,
        name: "Log4Shell JNDI lookup",
        class: A::JavaInjection,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["${", "jndi", "%24%7b"],
            pattern: r"\$\{[^}]*(jndi|\$\{|lower:|upper:|env:|sys:|java:|::-|base64:|date:|main:|ctx:|bundle:|k8s:|docker:|spring:)|\bjndi\s*:\s*(ldaps?|rmi|dns|iiop|corba|nds|nis|https?)\b",
        },
    },
    Rule {
        id: 6101,
        name: "Java runtime or class loader abuse",
        class: A::JavaInjection,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &[
                "java.lang",
                "getruntime",
                "processbuilder",
                "classloader",
                "class.module",
                "ognl",
                "memberaccess",
                "getclass",
                "forname",
                "#context",
            ],
            pattern: r"java\.lang\.(runtime|processbuilder|system|reflect)|getruntime\s*\(\s*\)|new\s+processbuilder|class\.module\.classloader|\bclassloader\b|_memberaccess|@ognl|#context\[|\.getclass\s*\(\s*\)\s*\.forname|class\.forname\s*\(",
        },
    },
    Rule {
        id: 6102,
        name: "Java serialized object",
        class: A::JavaInjection,
        level: 2,
        locations: ALL,
        detect: Detect::Regex {
            // The stream magic AC ED 00 05, in hex or in base64 at each of the three byte
            // alignments a base64 text can give it.
            triggers: &["ro0ab", "kztaa", "cs7qa", "aced0005"],
            pattern: r"\b(ro0ab|kztaa|cs7qa)|\baced0005",
        },
    },
    // SSTI.
    Rule {
        id: 6200,
        name: "Template injection: object graph walk",
        class: A::Ssti,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &[
                "__class__",
                "__mro__",
                "__subclasses__",
                "__globals__",
                "__builtins__",
                "__init__",
                "__import__",
                "lipsum",
                "cycler",
                "joiner",
                "getattribute",
                "freemarker",
                "velocity",
                ".new(",
                "{{",
                "?new",
                "#set",
                "$class",
            ],
            pattern: r"__(class|mro|subclasses|globals|builtins|init|import)__|\{\{[^}]*(lipsum|cycler|joiner|namespace|config|self|request|url_for|get_flashed_messages)\b|freemarker\.template|\?new\s*\(|#set\s*\(\s*\$|\$class\.inspect|getattribute\s*\(",
        },
    },
    Rule {
        id: 6201,
        name: "Template injection: arithmetic probe",
        class: A::Ssti,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["{{", "${", "#{", "<%=", "{%", "*{", "@("],
            pattern: r"(\{\{|\$\{|#\{|\*\{|@\(|<%=)\s*['\x22]?\d+['\x22]?\s*[*+/-]\s*['\x22]?\d+['\x22]?\s*(\}\}|\}|\)|%>)",
        },
    },
    Rule {
        id: 6202,
        name: "Template injection: statement block",
        class: A::Ssti,
        level: 2,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["{%", "<#", "[#", "<%"],
            pattern: r"\{%-?\s*(import|include|set|for|if|macro|extends|block|raw|debug)\b|<#(assign|import|include|list|if|macro)\b|\[#(assign|import)\b|<%\s*(=|@|!)?\s*(import|java|request|response|runtime|process)",
        },
    },
];
