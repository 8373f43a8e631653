//! The built-in signature rules, grouped by attack class. Ids are stable: never reuse one.
//!
//! Id ranges: 1100 scanners, 1200 sensitive files, 2000 SQLi, 3000 XSS, 4000 traversal/LFI,
//! 4100 RFI, 5000 RCE, 5100 shellshock, 6000 PHP, 6100 Java/Log4Shell, 6200 SSTI, 7000 SSRF,
//! 7100 XXE, 8000 NoSQL, 8100 CRLF, 8200 LDAP, 8300 mail injection, 8400 SSI.

use super::Signature;
use crate::request::{Location, LocationSet};
use crate::verdict::AttackType as A;

pub(super) const ALL: LocationSet = LocationSet::ALL;
pub(super) const ARGS: LocationSet = LocationSet::ARGS;
pub(super) const PATH: LocationSet = LocationSet(Location::Path.bit());
pub(super) const HDR: LocationSet = LocationSet(Location::Header.bit());
pub(super) const NAMES: LocationSet =
    LocationSet(Location::ArgName.bit() | Location::BodyArgName.bit());

macro_rules! sig {
    ($id:expr, $attack:expr, $level:expr, $loc:expr, $name:expr, [$($t:expr),+ $(,)?], $pat:expr) => {
        Signature { id: $id, name: $name, attack: $attack, level: $level, locations: $loc, header: None, triggers: &[$($t),+], pattern: $pat }
    };
}
pub(super) use sig;

/// Every signature: web-layer classes here, code and protocol injections in `sig_code`.
pub(super) fn all() -> Vec<Signature> {
    let mut v = web();
    v.extend(super::sig_code::all());
    v
}

/// Scanners, sensitive files, SQLi, XSS, traversal and RFI.
fn web() -> Vec<Signature> {
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
                "fuzz faster",
                "interactsh",
            ],
            pattern: r"sqlmap|nikto|nmap|masscan|zgrab|nuclei|acunetix|netsparker|wpscan|dirbuster|gobuster|ffuf|feroxbuster|w3af|havij|appscan|openvas|nessus|arachni|jaeles|whatweb|hydra|commix|xsstrike|fimap|skipfish|paros|webinspect|qualys|owasp[ _-]?zap|zaproxy|joomscan|droopescan|wfuzz|\bdirb\b|brutus|sqlninja|pangolin|bsqlbf|grabber|morfeus|zmeu|nasl|burpcollaborator|burp ?suite|censysinspect|netlab360|fuzz faster u fool|interactsh",
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
                ".bak", ".old", ".orig", ".save", ".swp", ".swo", ".sql", "~", ".tar", ".tgz",
                ".zip", ".7z", ".rar", ".gz", ".dump"
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
                "credentials",
                "server-info",
                "id_dsa"
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
                "sys.tables",
                "table_name",
                "column_name",
                "schema_name"
            ],
            r"\b(information_schema|sysobjects|syscolumns|pg_catalog|sqlite_master|mysql\.user|all_tables|sys\.tables)\b|\bselect\b[^;]{0,40}\b(table_name|column_name|schema_name)\b"
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
            // The statement after the `;`, at the word boundary the `;\s*` before it leaves (`;`
            // alone was in every Windows User-Agent and ran this regex on it).
            [
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
                r"\bselect\b"
            ],
            r"['\x22)\d]\s*;\s*(drop\s+(table|database|schema|view|user|procedure|function|index)\b|delete\s+from\b|insert\s+into\b|update\s+[\w.\x22`\[\]]+\s+set\b|shutdown\s*(--|#|;|/\*|with\b|$)|truncate\s+table\b|(alter|create)\s+(table|database|user|login|procedure|function|view|trigger)\b|exec(ute)?(\s+|\()(master\.|xp_|sp_|@|\(|['\x22])|declare\s+@|select\s+(.+\bfrom\b|[\w@]+\s*\(|\d|@@|\*|['\x22]))"
        ),
        sig!(
            2015,
            A::Sqli,
            2,
            ARGS.with(Location::Header),
            "SQL tautology",
            [r"\bor\b", r"\band\b", "||", "&&"],
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
                "floor",
                "geometrycollection",
                "polygon",
                "multipoint",
                "linestring"
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
            r"['\x22`]\s*(\)\s*)*(--([\s-]|$)|/\*)|\w['\x22`]\s*(\)\s*)*#\s*$"
        ),
        sig!(
            2018,
            A::Sqli,
            2,
            ARGS.with(Location::Header),
            "SQL boolean operator into a function call after a quote",
            [r"\bor\b", r"\band\b", r"\bxor\b", "||", "&&"],
            r"['\x22`]\s*\)*\s*(\bor\b|\band\b|\bxor\b|\|\||&&)\s*(\bnot\s+)?[a-z_][a-z0-9_]*\s*\(.*[)'\x22]"
        ),
        sig!(
            2019,
            A::Sqli,
            2,
            ARGS.with(Location::Header),
            "SQL conditional or scalar subquery",
            ["select"],
            r"\(\s*select\s*\(?\s*(case\s+when|if\s*\(|count\s*\(|char\s*\(|concat|sleep\s*\(|null\b|@@|\d)"
        ),
        sig!(
            2020,
            A::Sqli,
            2,
            ARGS.with(Location::Header),
            "SQL operator glued to a number",
            // `xor` ends in `or`.
            [r"or\b", r"and\b"],
            r"(^|[\s'\x22(])[.\d]*\d(or|and|xor)[-+!~(@]\s*\w+"
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
            ["script:", "script&", "script\t", "script\n", "script\r"],
            r"(java|vb|live)\s*script\s*:\s*([^\s\w]|\w+\s*[(.\[=`'\x22/;]|$)"
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
                "<applet",
                "<frameset",
                "<frame",
                "<isindex",
                "<xss",
                "<link",
                "<style",
                "<template",
                "<portal"
            ],
            r"<(iframe|object|embed|svg|math|base|applet|frameset|frame|isindex|xss|template|portal)[\s/>]|<meta[\s/][^>]*(http-equiv|charset\s*=\s*['\x22]?utf-7)|<link[\s/][^>]*\brel\s*=\s*['\x22]?(import|stylesheet)[^>]*\bhref\s*=\s*['\x22]?\s*(https?:)?//|<style[\s/>][^<]*(expression|@import|behavior|javascript:|-moz-binding)"
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
            // The calls as written in code, without the blank the regex would also allow before
            // the `(`: "confirm (required)" and "alert (high)" are prose in a form.
            [
                "document",
                "window.",
                ".innerhtml",
                "eval(",
                "fromcharcode",
                "alert(",
                "prompt(",
                "confirm(",
                "alert`",
                "prompt`",
                "confirm`",
                "alert?.",
                "prompt?.",
                "confirm?.",
                "constructor"
            ],
            r"\bdocument\s*(\?\.|\.|\[\s*['\x22`])\s*(cookie|domain|write|location)|\bwindow\s*\.\s*(location|open)\b|\.innerhtml\s*=|\beval\s*\(|fromcharcode|\b(alert|prompt|confirm)\s*(\?\.)?\s*(\(|`)|\bconstructor\s*\(|\[\s*['\x22]constructor"
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
        sig!(
            3017,
            A::Xss,
            4,
            ALL,
            "XSS: active HTML tag in a value",
            ["<"],
            r"<(a|img|form|input|body|video|audio|details|marquee|button|select|textarea|keygen|source|image|div|p|span|table|td)[\s/>]"
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
            // `windows` with the slash the regex wants before or after it (the word alone is in
            // every Windows User-Agent).
            [
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
                "system.ini"
            ],
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
                "compress.zlib",
                "compress.bzip2"
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
    ]
}
