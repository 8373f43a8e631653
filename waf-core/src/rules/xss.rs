//! Cross-site scripting signatures (the libinjection check is in `checks`).

use super::{Detect, Rule, ALL, ARGS};
use crate::verdict::AttackType as A;

/// The rules of this section, in the order they are tried.
pub(super) const RULES: &[Rule] = &[
    Rule {
        id: 3010,
        name: "XSS script tag",
        class: A::Xss,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["<script", "</script"],
            pattern: r"<\s*/?\s*script\b",
        },
    },
    Rule {
        id: 3011,
        name: "XSS javascript: or vbscript: URI",
        class: A::Xss,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["script:", "script&", "script\t", "script\n", "script\r"],
            pattern: r"(java|vb|live)\s*script\s*:\s*([^\s\w]|\w+\s*[(.\[=`'\x22/;]|$)",
        },
    },
    Rule {
        id: 3012,
        name: "XSS event handler attribute in a tag",
        class: A::Xss,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["on"],
            pattern: r"<[a-z!/?][^>]*[\s/\x22'`]on[a-z]{3,}\s*=",
        },
    },
    Rule {
        id: 3013,
        name: "XSS dangerous tag",
        class: A::Xss,
        level: 1,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &[
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
                "<portal",
            ],
            pattern: r"<(iframe|object|embed|svg|math|base|applet|frameset|frame|isindex|xss|template|portal)[\s/>]|<meta[\s/][^>]*(http-equiv|charset\s*=\s*['\x22]?utf-7)|<link[\s/][^>]*\brel\s*=\s*['\x22]?(import|stylesheet)[^>]*\bhref\s*=\s*['\x22]?\s*(https?:)?//|<style[\s/>][^<]*(expression|@import|behavior|javascript:|-moz-binding)",
        },
    },
    Rule {
        id: 3014,
        name: "XSS data: URI or srcdoc",
        class: A::Xss,
        level: 2,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["data:", "srcdoc"],
            pattern: r"data:\s*(text/html|image/svg|application/(x-)?(javascript|xhtml))|\bsrcdoc\s*=",
        },
    },
    Rule {
        id: 3015,
        name: "XSS DOM sink or cookie theft",
        class: A::Xss,
        level: 2,
        locations: ARGS,
        detect: Detect::Regex {
            // The calls as written in code, without the blank the regex would also allow before
            // the `(`: "confirm (required)" and "alert (high)" are prose in a form.
            triggers: &[
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
                "constructor",
            ],
            pattern: r"\bdocument\s*(\?\.|\.|\[\s*['\x22`])\s*(cookie|domain|write|location)|\bwindow\s*\.\s*(location|open)\b|\.innerhtml\s*=|\beval\s*\(|fromcharcode|\b(alert|prompt|confirm)\s*(\?\.)?\s*(\(|`)|\bconstructor\s*\(|\[\s*['\x22]constructor",
        },
    },
    Rule {
        id: 3016,
        name: "XSS CSS expression or behaviour",
        class: A::Xss,
        level: 2,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["expression", "behavior", "-moz-binding", "@import"],
            pattern: r"expression\s*\(|\bbehavior\s*:|-moz-binding|@import\s+['\x22]?(javascript|http|//)",
        },
    },
    Rule {
        id: 3017,
        name: "XSS: active HTML tag in a value",
        class: A::Xss,
        level: 4,
        locations: ALL,
        detect: Detect::Regex {
            triggers: &["<"],
            pattern: r"<(a|img|form|input|body|video|audio|details|marquee|button|select|textarea|keygen|source|image|div|p|span|table|td)[\s/>]",
        },
    },
];
