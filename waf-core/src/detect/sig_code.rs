//! Signatures for command, code and protocol injections: RCE, shellshock, PHP, Java/Log4Shell,
//! SSTI, SSRF, XXE, NoSQL, CRLF, LDAP, mail injection, SSI, deserialisation and out-of-band
//! interaction domains. Ids are stable (ranges in `signatures`); never reuse one.

use super::signatures::{sig, ALL, ARGS, NAMES, PATH};
use super::Signature;
use crate::request::Location;
use crate::verdict::AttackType as A;

/// Every signature of this file.
pub(super) fn all() -> Vec<Signature> {
    vec![
        // RCE / command injection.
        sig!(
            5001,
            A::Rce,
            1,
            ALL,
            "Shell path or interpreter invocation",
            [
                "/bin/",
                "/usr/bin/",
                r"\bcmd\b",
                "powershell",
                "$ifs",
                "${ifs",
                "/sbin/"
            ],
            r"/(usr/)?(local/)?s?bin/(ba|z|k|da|c|tc)?sh\b|/(usr/)?bin/(nc|ncat|wget|curl|perl|python|php|ruby|id|cat)\b|\bcmd(\.exe)?\s*/[ck]\b|\bpowershell(\.exe)?\b.*-(e|enc|encodedcommand|c|command|nop)\b|\$\{?IFS\}?"
        ),
        sig!(
            5003,
            A::Rce,
            1,
            ALL,
            "Deserialisation gadget tag",
            ["!!python", "!!ruby", "!!java", "!!javax", "!!com.", "!!org."],
            r"!!(python/(object|name|module|apply)|ruby/(object|hash|struct)|javax?\.|com\.sun\.|org\.(springframework|apache))"
        ),
        sig!(
            5004,
            A::Rce,
            2,
            ARGS.with(Location::Header),
            "ASP/VBScript code",
            [
                r"\bresume\b",
                "server.",
                "wscript",
                "createobject",
                "execute",
                "cute"
            ],
            r"\bon\s+error\s+resume\s+next\b|\bserver\.(scripttimeout|createobject|mappath)\b|\bwscript\.shell\b|\bcreateobject\s*\(\s*['\x22](wscript|scripting|adodb|msxml2)|['\x22]\s*&\s*['\x22]\s*cute\s*\("
        ),
        sig!(
            1101,
            A::Scanner,
            1,
            ALL,
            "Out-of-band interaction (OAST) domain",
            [
                "interact.sh",
                ".oast.",
                "burpcollaborator",
                "oastify",
                "dnslog.cn",
                "ceye.io",
                "canarytokens"
            ],
            r"\.(interact\.sh|oast\.(me|pro|fun|live|site|online)|burpcollaborator\.net|oastify\.com|dnslog\.cn|ceye\.io|canarytokens\.com)\b"
        ),
        sig!(
            5100,
            A::Shellshock,
            1,
            ALL,
            "Shellshock function definition",
            ["()"],
            r"\(\s*\)\s*\{[^}]*;?\s*\}"
        ),
        // PHP code injection.
        sig!(
            6000,
            A::PhpInjection,
            1,
            ALL,
            "PHP open tag",
            ["<?php", "<?="],
            r"<\?(php\b|=)"
        ),
        sig!(
            6001,
            A::PhpInjection,
            1,
            ARGS.with(Location::Header),
            "PHP dangerous function call",
            [
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
                "gzuncompress"
            ],
            r"\b(eval|assert|system|shell_exec|passthru|popen|proc_open|pcntl_exec|call_user_func(_array)?|create_function|file_put_contents|phpinfo)\s*\(|\b(base64_decode|gzinflate|str_rot13|gzuncompress)\s*\(.*\)|\b(include|require)(_once)?\s*\(?\s*['\x22]?(https?|ftp|php|data|expect)://|\bexec\s*\(\s*['\x22$]"
        ),
        sig!(
            6002,
            A::PhpInjection,
            2,
            ARGS,
            "PHP superglobal or serialized object",
            ["$_", "o:", "c:", "a:"],
            r"\$_(GET|POST|REQUEST|COOKIE|SERVER|FILES|ENV|SESSION)\s*\[|\b[oc]:\d+:\x22[a-z_][\w\\]*\x22:\d+:\{"
        ),
        // Java / Log4Shell.
        sig!(
            6100,
            A::JavaInjection,
            1,
            ALL,
            "Log4Shell JNDI lookup",
            ["${", "jndi", "%24%7b"],
            r"\$\{[^}]*(jndi|\$\{|lower:|upper:|env:|sys:|java:|::-|base64:|date:|main:|ctx:|bundle:|k8s:|docker:|spring:)|\bjndi\s*:\s*(ldaps?|rmi|dns|iiop|corba|nds|nis|https?)\b"
        ),
        sig!(
            6101,
            A::JavaInjection,
            1,
            ALL,
            "Java runtime or class loader abuse",
            [
                "java.lang",
                "getruntime",
                "processbuilder",
                "classloader",
                "class.module",
                "ognl",
                "memberaccess",
                "getclass",
                "forname",
                "#context"
            ],
            r"java\.lang\.(runtime|processbuilder|system|reflect)|getruntime\s*\(\s*\)|new\s+processbuilder|class\.module\.classloader|\bclassloader\b|_memberaccess|@ognl|#context\[|\.getclass\s*\(\s*\)\s*\.forname|class\.forname\s*\("
        ),
        sig!(
            6102,
            A::JavaInjection,
            2,
            ALL,
            "Java serialized object",
            ["ro0ab", "aced0005"],
            r"\bro0ab|\baced0005"
        ),
        // SSTI.
        sig!(
            6200,
            A::Ssti,
            1,
            ALL,
            "Template injection: object graph walk",
            [
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
                "$class"
            ],
            r"__(class|mro|subclasses|globals|builtins|init|import)__|\{\{[^}]*(lipsum|cycler|joiner|namespace|config|self|request|url_for|get_flashed_messages)\b|freemarker\.template|\?new\s*\(|#set\s*\(\s*\$|\$class\.inspect|getattribute\s*\("
        ),
        sig!(
            6201,
            A::Ssti,
            1,
            ALL,
            "Template injection: arithmetic probe",
            ["{{", "${", "#{", "<%=", "{%", "*{", "@("],
            r"(\{\{|\$\{|#\{|\*\{|@\(|<%=)\s*['\x22]?\d+['\x22]?\s*[*+/-]\s*['\x22]?\d+['\x22]?\s*(\}\}|\}|\)|%>)"
        ),
        sig!(
            6202,
            A::Ssti,
            2,
            ALL,
            "Template injection: statement block",
            ["{%", "<#", "[#", "<%"],
            r"\{%-?\s*(import|include|set|for|if|macro|extends|block|raw|debug)\b|<#(assign|import|include|list|if|macro)\b|\[#(assign|import)\b|<%\s*(=|@|!)?\s*(import|java|request|response|runtime|process)"
        ),
        // SSRF.
        sig!(
            7000,
            A::Ssrf,
            1,
            ARGS.with(Location::Header),
            "SSRF to cloud metadata endpoint",
            [
                "169.254.169.254",
                "metadata.google",
                "metadata.azure",
                "100.100.100.200",
                "fd00:ec2",
                "169.254.170.2",
                "0xa9fea9fe",
                "2852039166",
                "instance-data"
            ],
            r"169\.254\.169\.254|metadata\.google\.internal|metadata\.azure\.com|100\.100\.100\.200|\[?fd00:ec2::254|169\.254\.170\.2|0xa9fea9fe|\b2852039166\b|instance-data(/|\b)"
        ),
        sig!(
            7001,
            A::Ssrf,
            1,
            ARGS,
            "SSRF with internal or dangerous URL scheme",
            ["gopher:", "dict:", "ldap:", "ldaps:", "tftp:", "jar:", "netdoc:", "sftp:", "ftp:"],
            r"\b(gopher|dict|tftp|jar|netdoc|ldap|ldaps|sftp)://"
        ),
        sig!(
            7002,
            A::Ssrf,
            2,
            ARGS,
            "SSRF to loopback or unspecified address",
            [
                "localhost",
                "127.",
                "0.0.0.0",
                "[::",
                "0x7f",
                "2130706433",
                "[0:0"
            ],
            r"^\s*(https?|ftp)://(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|0x7f[0-9a-f.]*|2130706433|\[(::1?|0:0:0:0:0:0:0:[01]|::ffff:127\.0\.0\.1)\])([:/?#]|$)"
        ),
        // XXE.
        sig!(
            7100,
            A::Xxe,
            1,
            ALL,
            "XML external entity declaration",
            ["<!entity", "<!doctype"],
            r"<!entity\b|<!doctype\s+[^>]*(\[|system\b|public\b)"
        ),
        sig!(
            7101,
            A::Xxe,
            1,
            ALL,
            "XML external schema or XInclude",
            [
                "xinclude",
                "schemalocation",
                "xs:include",
                "xs:import",
                "xsl:",
                "xi:include",
                "xmlns:xi",
                "xs:redefine"
            ],
            r"xmlns:xi\s*=|<xi:include|schemalocation\s*=\s*['\x22][^'\x22]*(https?|file|ftp)://|<xs:(include|import|redefine)\b[^>]*(schemalocation|namespace)|<xsl:(import|include)\b"
        ),
        // NoSQL.
        sig!(
            8000,
            A::Nosqli,
            1,
            NAMES,
            "NoSQL operator in a parameter name",
            ["$"],
            r"(^|\[)\$(ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|or|and|nor|not|expr|elemmatch|size|type|mod|all|text|function|accumulator)(\]|$)"
        ),
        sig!(
            8001,
            A::Nosqli,
            1,
            ARGS,
            "NoSQL operator or JavaScript in a value",
            [
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
                r"\bsleep\b"
            ],
            r"['\x22{,\s]\$(where|ne|gt|gte|lt|lte|regex|or|and|nor|nin|in|exists|expr|function)['\x22]?\s*:|\bdb\.[\w$]+\.(find|insert|update|remove|drop|aggregate|count|deleteone|deletemany|findone|mapreduce)\w*\s*\(|\bthis\.[\w$]+\s*(==|!=|\.match\s*\()|\bwhile\s*\(\s*\w+\s*-\s*\w+\s*<|\bdo\s*\{[^}]*\}\s*while\s*\(|^\s*\d*\s*;\s*(var|let|return|sleep)\b"
        ),
        // CRLF / header injection.
        sig!(
            8100,
            A::Crlf,
            1,
            ALL,
            "CRLF injection of a header",
            ["\r", "\n", "%0d", "%0a", "\u{560d}", "\u{560a}", "\u{010d}", "\u{010a}"],
            r"(\r|\n|%0d|%0a|\xe5\x98\x8d|\xe5\x98\x8a|\xc4\x8d|\xc4\x8a)+\s*(set-cookie|location|content-(type|length|disposition)|refresh|x-[a-z-]+|access-control-[a-z-]+|host|cookie|link)\s*:"
        ),
        sig!(
            8101,
            A::Crlf,
            2,
            PATH,
            "Raw CR/LF in the request path",
            ["\r", "\n"],
            r"[\r\n]"
        ),
        // LDAP.
        sig!(
            8200,
            A::Ldap,
            1,
            ARGS,
            "LDAP filter injection",
            ["(", ")", "*", ":="],
            r"\(\s*[|&!]\s*\(|\)\s*\(\s*[|&!]|\*\s*\)\s*\(|\(\s*(objectclass|uid|cn|mail|userpassword|samaccountname)\s*=\s*\*|^\s*\*\s*\(\s*[|&]|\)\s*\)\s*\(\s*\w+\s*=|\w+:\d+(\.\d+)+:=\w"
        ),
        // Mail injection.
        sig!(
            8300,
            A::MailInjection,
            1,
            ARGS,
            "SMTP/IMAP command or mail header injection",
            ["\r", "\n"],
            r"[\r\n]\s*((rcpt\s+to|mail\s+from)\s*:\s*<?[^\s@<>]+@|(helo|ehlo)\s+[\w.-]+\s*([\r\n]|$)|(data|quit|rset|noop)\s*([\r\n]|$)|(vrfy|expn)\s+\S+\s*([\r\n]|$)|auth\s+(login|plain)\b|[a-z]*\d+[a-z\d]*\s+(capability|fetch|login|select|examine|append|store|uid|logout|list|authenticate|starttls)\b|b?cc\s*:\s*[^\s@]+@)"
        ),
        // SSI.
        sig!(
            8400,
            A::Ssi,
            1,
            ALL,
            "Server-side include directive",
            ["<!--"],
            r"<!--\s*#\s*(exec|include|echo|config|printenv|set|fsize|flastmod|if|elif)\b"
        ),
    ]
}
