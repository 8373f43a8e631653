//! The built-in signature rules, grouped by attack class. Ids are stable: never reuse one.
//!
//! Id ranges: 1100 scanners, 1200 sensitive files, 2000 SQLi, 3000 XSS, 4000 traversal/LFI,
//! 4100 RFI, 5000 RCE, 5100 shellshock, 6000 PHP, 6100 Java/Log4Shell, 6200 SSTI, 7000 SSRF,
//! 7100 XXE, 8000 NoSQL, 8100 CRLF, 8200 LDAP, 8300 mail injection, 8400 SSI.

use super::Signature;
use crate::request::{Location, LocationSet};
use crate::verdict::AttackType as A;

const ALL: LocationSet = LocationSet::ALL;
const ARGS: LocationSet = LocationSet::ARGS;
const PATH: LocationSet = LocationSet(Location::Path.bit());
const HDR: LocationSet = LocationSet(Location::Header.bit());
const NAMES: LocationSet = LocationSet(Location::ArgName.bit() | Location::BodyArgName.bit());

macro_rules! sig {
    ($id:expr, $attack:expr, $level:expr, $loc:expr, $name:expr, [$($t:expr),+ $(,)?], $pat:expr) => {
        Signature { id: $id, name: $name, attack: $attack, level: $level, locations: $loc, header: None, triggers: &[$($t),+], pattern: $pat }
    };
}

/// Every signature.
pub(super) fn all() -> Vec<Signature> {
    vec![
        // Scanners (user agent only).
        Signature {
            id: 1100,
            name: "Known security scanner user agent",
            attack: A::Scanner,
            level: 1,
            locations: HDR,
            header: Some("user-agent"),
            triggers: &[
                "sqlmap",
                "nikto",
                "nmap",
                "masscan",
                "zgrab",
                "nuclei",
                "acunetix",
                "netsparker",
                "wpscan",
                "dirbuster",
                "gobuster",
                "ffuf",
                "feroxbuster",
                "w3af",
                "havij",
                "appscan",
                "openvas",
                "nessus",
                "arachni",
                "jaeles",
                "whatweb",
                "hydra",
                "commix",
                "xsstrike",
                "fimap",
                "skipfish",
                "paros",
                "webinspect",
                "qualys",
                "zap",
                "joomscan",
                "droopescan",
                "wfuzz",
                "dirb",
                "brutus",
                "sqlninja",
                "pangolin",
                "bsqlbf",
                "grabber",
                "morfeus",
                "zmeu",
                "nasl",
                "burp",
                "censys",
                "netlab",
            ],
            pattern: r"sqlmap|nikto|nmap|masscan|zgrab|nuclei|acunetix|netsparker|wpscan|dirbuster|gobuster|ffuf|feroxbuster|w3af|havij|appscan|openvas|nessus|arachni|jaeles|whatweb|hydra|commix|xsstrike|fimap|skipfish|paros|webinspect|qualys|owasp[ _-]?zap|zaproxy|joomscan|droopescan|wfuzz|\bdirb\b|brutus|sqlninja|pangolin|bsqlbf|grabber|morfeus|zmeu|nasl|burpcollaborator|burp ?suite|censysinspect|netlab360",
        },
        // Sensitive files.
        sig!(
            1200,
            A::SensitiveFile,
            1,
            PATH,
            "Probe for VCS or secrets file",
            ["/."],
            r"/\.(env|git|svn|hg|bzr|htpasswd|htaccess|ds_store|aws|ssh|bash_history|npmrc|dockercfg|docker|kube|idea|vscode)(/|$|\.)"
        ),
        sig!(
            1201,
            A::SensitiveFile,
            2,
            PATH,
            "Probe for backup or dump file",
            [
                ".bak", ".old", ".orig", ".save", ".swp", ".sql", "~", ".tar", ".tgz", ".zip",
                ".7z", ".rar", ".gz", ".dump"
            ],
            r"(\.(bak|old|orig|save|swp|swo|sql|dump)|~)$|/(backup|backups|db|database|dump|site|www|htdocs|wwwroot)\.(sql|tar|tgz|tar\.gz|zip|7z|rar|gz)$"
        ),
        sig!(
            1202,
            A::SensitiveFile,
            1,
            PATH,
            "Probe for server configuration file",
            [
                "config",
                "phpinfo",
                "server-status",
                "web.config",
                "wp-config",
                "id_rsa",
                "credentials"
            ],
            r"/(wp-config\.php\.|web\.config$|phpinfo\.php$|server-status$|server-info$|id_[rd]sa(\.pub)?$|\.aws/credentials$|config\.(php|inc|json|yml|yaml)\.(bak|old|orig|save|swp|txt|~))"
        ),
        // SQL injection signatures (libinjection is check 2001).
        sig!(
            2010,
            A::Sqli,
            1,
            ALL,
            "SQL UNION SELECT",
            ["union"],
            r"\bunion\b[\s/*()+-]*(all|distinct)?[\s/*()+-]*\bselect\b"
        ),
        sig!(
            2011,
            A::Sqli,
            1,
            ARGS.with(Location::Header),
            "SQL time-based blind injection",
            [
                "sleep",
                "benchmark",
                "waitfor",
                "pg_sleep",
                "dbms_pipe",
                "dbms_lock"
            ],
            r"\b(sleep|pg_sleep)\s*\(\s*[\d'(]|\bbenchmark\s*\(\s*\d+\s*,|\bwaitfor\s+delay\s+'|dbms_(pipe\.receive_message|lock\.sleep)"
        ),
        sig!(
            2012,
            A::Sqli,
            1,
            ALL,
            "SQL schema enumeration",
            [
                "information_schema",
                "sysobjects",
                "syscolumns",
                "pg_catalog",
                "sqlite_master",
                "mysql.user",
                "all_tables",
                "sys.tables"
            ],
            r"\b(information_schema|sysobjects|syscolumns|pg_catalog|sqlite_master|mysql\.user|all_tables|sys\.tables)\b"
        ),
        sig!(
            2013,
            A::Sqli,
            1,
            ALL,
            "SQL file access or command execution",
            [
                "load_file",
                "outfile",
                "dumpfile",
                "xp_cmdshell",
                "sp_oacreate",
                "utl_http",
                "utl_inaddr",
                "lo_import",
                "copy"
            ],
            r"\bload_file\s*\(|\binto\s+(out|dump)file\b|\bxp_cmdshell\b|\bsp_oacreate\b|\butl_(http|inaddr)\b|\blo_import\s*\(|\bcopy\s+\w+\s+(from|to)\s+program\b"
        ),
        sig!(
            2014,
            A::Sqli,
            2,
            ARGS.with(Location::Header),
            "SQL stacked query",
            [";"],
            r"['\x22)\d]\s*;\s*(drop|delete|insert|update|shutdown|truncate|alter|create|exec|declare|select)\b"
        ),
        sig!(
            2015,
            A::Sqli,
            2,
            ARGS.with(Location::Header),
            "SQL tautology",
            ["or", "and", "||", "&&"],
            r"['\x22)`]\s*(\bor\b|\band\b|\|\||&&)\s*['\x22(]?\s*(\w+)\s*['\x22)]?\s*(=|<>|!=|<|>|\blike\b)\s*['\x22(]?\s*\w*"
        ),
        sig!(
            2016,
            A::Sqli,
            2,
            ALL,
            "SQL error-based extraction",
            [
                "extractvalue",
                "updatexml",
                "convert",
                "cast",
                "exp(",
                "floor(",
                "geometrycollection",
                "polygon",
                "multipoint"
            ],
            r"\b(extractvalue|updatexml)\s*\(|\bconvert\s*\(\s*int\s*,|\bcast\s*\(.*\bas\s+(int|numeric|char)\b.*\)|\bfloor\s*\(\s*rand\s*\(|\b(geometrycollection|polygon|multipoint|linestring)\s*\(\s*\(?\s*select\b"
        ),
        sig!(
            2017,
            A::Sqli,
            2,
            ARGS.with(Location::Header),
            "SQL comment after quote",
            ["--", "#", "/*"],
            r"['\x22`]\s*(\)\s*)*(--[\s-]|#|/\*)"
        ),
        // XSS signatures (libinjection is check 3001).
        sig!(
            3010,
            A::Xss,
            1,
            ALL,
            "XSS script tag",
            ["<script", "</script"],
            r"<\s*/?\s*script\b"
        ),
        sig!(
            3011,
            A::Xss,
            1,
            ALL,
            "XSS javascript: or vbscript: URI",
            ["script:", "script&", "script\t", "script\n"],
            r"(java|vb|live)\s*script\s*:"
        ),
        sig!(
            3012,
            A::Xss,
            1,
            ALL,
            "XSS event handler attribute in a tag",
            ["on"],
            r"<[a-z!/?][^>]*[\s/\x22'`]on[a-z]{3,}\s*="
        ),
        sig!(
            3013,
            A::Xss,
            1,
            ALL,
            "XSS dangerous tag",
            [
                "<iframe",
                "<object",
                "<embed",
                "<svg",
                "<math",
                "<base",
                "<meta",
                "<link",
                "<applet",
                "<frameset",
                "<frame",
                "<isindex",
                "<xss",
                "<form",
                "<img",
                "<video",
                "<audio",
                "<body",
                "<style",
                "<details",
                "<marquee",
                "<input",
                "<a ",
                "<a/"
            ],
            r"<(iframe|object|embed|svg|math|base|meta|link|applet|frameset|frame|isindex|xss|form|img|video|audio|body|style|details|marquee|input|a)[\s/>]"
        ),
        sig!(
            3014,
            A::Xss,
            2,
            ALL,
            "XSS data: URI or srcdoc",
            ["data:", "srcdoc"],
            r"data:\s*(text/html|image/svg|application/(x-)?(javascript|xhtml))|\bsrcdoc\s*="
        ),
        sig!(
            3015,
            A::Xss,
            2,
            ARGS,
            "XSS DOM sink or cookie theft",
            [
                "document.",
                "window.",
                ".innerhtml",
                "eval(",
                "fromcharcode",
                "alert(",
                "prompt(",
                "confirm(",
                "alert`",
                "constructor"
            ],
            r"\bdocument\s*\.\s*(cookie|domain|write|location)|\bwindow\s*\.\s*(location|open)\b|\.innerhtml\s*=|\beval\s*\(|fromcharcode|\b(alert|prompt|confirm)\s*(\(|`)|\bconstructor\s*\(|\[\s*['\x22]constructor"
        ),
        sig!(
            3016,
            A::Xss,
            2,
            ALL,
            "XSS CSS expression or behaviour",
            ["expression", "behavior", "-moz-binding", "@import"],
            r"expression\s*\(|\bbehavior\s*:|-moz-binding|@import\s+['\x22]?(javascript|http|//)"
        ),
        // Path traversal / LFI.
        sig!(
            4000,
            A::Traversal,
            1,
            ALL,
            "Path traversal sequence",
            ["..", "%2e", "%c0%ae", "%uff0e"],
            r"(^|[\\/])\.\.[\\/;]|[\\/]\.\.($|[\\/])|(%2e|%c0%ae|%uff0e){2}(%2f|%5c|[\\/])"
        ),
        sig!(
            4001,
            A::Traversal,
            1,
            ALL,
            "Access to OS file",
            ["etc/", "proc/", "win.ini", "boot.ini", "system32", "windows", "ntuser", "c$"],
            r"/etc/(passwd|shadow|group|hosts|issue|motd|crontab|sudoers|security|ssh|mysql|apache2|httpd|nginx)|/proc/(self|\d+)/(environ|cmdline|fd|maps|status)|\b(win|boot|system)\.ini\b|windows[\\/]+(system32|win\.ini)|ntuser\.dat|\\c\$\\|[a-z]:[\\/]+(windows|winnt|boot\.ini|inetpub)"
        ),
        sig!(
            4002,
            A::Traversal,
            1,
            ARGS.with(Location::Header),
            "PHP wrapper stream",
            [
                "php://",
                "phar://",
                "zip://",
                "expect://",
                "data://",
                "glob://",
                "file://",
                "compress.zlib"
            ],
            r"\b(php|phar|zip|expect|glob|compress\.zlib|compress\.bzip2)://|\bfile://|\bdata://[a-z]"
        ),
        // RFI.
        sig!(
            4100,
            A::Rfi,
            1,
            ARGS,
            "Remote file inclusion with trailing ?",
            ["http", "ftp"],
            r"^\s*(https?|ftps?)://[^\s]+\?+$"
        ),
        sig!(
            4101,
            A::Rfi,
            2,
            ARGS,
            "Remote file inclusion of an IP-addressed URL",
            ["http", "ftp"],
            r"^\s*(https?|ftps?)://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
        ),
        sig!(
            4102,
            A::Rfi,
            1,
            ARGS,
            "Remote file inclusion of a script file",
            ["http", "ftp"],
            r"^\s*(https?|ftps?)://[^\s?#]+\.(txt|php|inc|sh|pl|py|jsp|asp)\?"
        ),
        // RCE / command injection.
        sig!(
            5000,
            A::Rce,
            1,
            ALL,
            "Command chaining into a shell command",
            [";", "|", "&", "`", "$(", "\n"],
            r"(;|\||&&?|`|\$\(|\n)\s*(\{\s*)?([\w./-]*/)?(cat|ls|id|whoami|uname|wget|curl|nc|ncat|netcat|bash|sh|zsh|ksh|ping|nslookup|dig|host|getent|echo|rm|chmod|chown|python[23]?|perl|ruby|php|telnet|ifconfig|ipconfig|net|systeminfo|powershell|cmd|dir|type|more|sleep|kill|ps|env|printenv|passwd|useradd|crontab|tftp|ftp|scp|ssh|base64|xxd|awk|sed|find|grep|head|tail|nohup|set|timeout|tasklist|certutil|bitsadmin|rename|touch|mkdir|cp|mv|export|exec|eval|sudo|su)(\s|$|[;|&<>`'\x22)$]|\$IFS|\$\{IFS)"
        ),
        sig!(
            5001,
            A::Rce,
            1,
            ALL,
            "Shell path or interpreter invocation",
            [
                "/bin/",
                "/usr/bin/",
                "cmd.exe",
                "cmd /",
                "powershell",
                "$ifs",
                "${ifs"
            ],
            r"/(usr/)?(local/)?s?bin/(ba|z|k|da|c|tc)?sh\b|/(usr/)?bin/(nc|ncat|wget|curl|perl|python|php|ruby|id|cat)\b|\bcmd(\.exe)?\s*/[ck]\b|\bpowershell(\.exe)?\b.*-(e|enc|encodedcommand|c|command|nop)\b|\$\{?IFS\}?"
        ),
        sig!(
            5002,
            A::Rce,
            2,
            ALL,
            "Backtick or $() command substitution",
            ["`", "$("],
            r"`\s*[a-z/][\w./-]*(\s[^`]*)?`|\$\(\s*[a-z/][\w./-]*(\s[^)]*)?\)"
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
                "pcntl_exec"
            ],
            r"\b(eval|assert|system|shell_exec|passthru|popen|proc_open|pcntl_exec|call_user_func(_array)?|create_function|file_put_contents|phpinfo)\s*\(|\b(base64_decode|gzinflate|str_rot13|gzuncompress)\s*\(.*\)|\b(include|require)(_once)?\s*\(?\s*['\x22]?(https?|ftp|php|data|expect)://|\bexec\s*\(\s*['\x22$]"
        ),
        sig!(
            6002,
            A::PhpInjection,
            2,
            ARGS,
            "PHP superglobal or serialized object",
            ["$_", "o:", "a:"],
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
                "forname"
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
                ".new("
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
            ["gopher:", "dict:", "ldap:", "tftp:", "jar:", "netdoc:", "sftp:", "ftp:"],
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
                "xsl:"
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
                "$where", "$ne", "$gt", "$lt", "$regex", "$or", "$and", "$nin", "$in", "$exists",
                "$expr", "db.", "this.", "while", "sleep("
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
            ["(", ")", "*"],
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
            r"[\r\n]\s*(rcpt\s+to|mail\s+from|helo|ehlo|data|quit|rset|vrfy|expn|auth\s+login|(\w+\s+)?(capability|fetch|login|select|examine|append|store|uid|logout|list)\b|(cc|bcc|to|from|subject|reply-to)\s*:)"
        ),
        // SSI.
        sig!(
            8400,
            A::Ssi,
            1,
            ALL,
            "Server-side include directive",
            ["<!--#", "<!-- #"],
            r"<!--\s*#\s*(exec|include|echo|config|printenv|set|fsize|flastmod|if|elif)\b"
        ),
    ]
}
