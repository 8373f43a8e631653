//! Server-side request forgery judged on the host a URL-valued parameter really names (rule
//! 7003).
//!
//! A parameter whose whole value is a URL is read as a URL parser reads it (the WHATWG rules
//! browsers and most HTTP clients follow): scheme, then the authority up to the first `/`, `?`,
//! `#` or `\`, the user info dropped at its last `@`, the port dropped, the host
//! percent-decoded. Then three questions, each answered by the grammar rather than by a list of
//! payloads:
//! - Do two parsers disagree on the host? A space, a second `@` or an `@` after `#` or `?` in the
//!   authority part, or a backslash inside the host, is read one way by one client and another
//!   way by the next: the way past an allow-list.
//! - Is the host an IPv4 address written in anything but its dotted-decimal form? Resolvers take
//!   `2130706433`, `0x7f.1`, `0177.0.0.1` and `127.1` for 127.0.0.1, and hosts ending in a
//!   number that no IPv4 parser accepts (`7147006462`) exist only to probe them: no link anyone
//!   shares is written that way.
//! - Does the canonical address name the machine itself or its link: loopback, unspecified,
//!   link-local (the cloud metadata services live there), IPv4-mapped IPv6 of those, or an IPv6
//!   address with a zone id. Private LAN addresses written plainly pass: intranet links are
//!   ordinary data.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::ends_with_ci;
use crate::request::Location;

/// Longest value read as a URL.
const MAX_URL: usize = 2048;

/// Schemes whose URLs name a host a server would connect to.
const NETWORK_SCHEMES: &[&str] = &[
    "http", "https", "ftp", "ftps", "ws", "wss", "ssh", "sftp", "rtmp", "gopher", "dict", "ldap",
    "ldaps", "tftp", "telnet", "smb", "redis", "mysql", "postgres", "mongodb", "jdbc", "netdoc",
];

/// Schemes the WHATWG parser treats as special: their `\` is a `/`, and the `//` after the
/// colon is optional (`http:127.0.0.1`).
const SPECIAL: &[&str] = &["http", "https", "ftp", "ws", "wss"];

/// Rule 7003: a URL-valued parameter whose host is ambiguous between parsers, an IPv4 address
/// in a non-canonical notation, or the machine itself or its link.
pub(crate) fn internal_or_obfuscated_host(v: &str, _loc: Location) -> bool {
    let v = v.trim();
    if v.len() > MAX_URL || !v.contains(':') {
        return false;
    }
    let Some((scheme, rest)) = v.split_once(':') else {
        return false;
    };
    if scheme.is_empty()
        || !NETWORK_SCHEMES
            .iter()
            .any(|s| s.eq_ignore_ascii_case(scheme))
    {
        return false;
    }
    let special = SPECIAL.iter().any(|s| s.eq_ignore_ascii_case(scheme));
    let after = if special {
        rest.trim_start_matches(['/', '\\'])
    } else if let Some(r) = rest.strip_prefix("//") {
        r
    } else {
        return false;
    };
    if !special && after.len() == rest.len() {
        return false;
    }
    let end = after
        .find(|c: char| c == '/' || c == '?' || c == '#' || (special && c == '\\'))
        .unwrap_or(after.len());
    let authority = &after[..end];
    if ambiguous_authority(after) {
        return true;
    }
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = percent_decode(strip_port(host_port));
    judge_host(host.trim_end_matches('.'))
}

/// The part of a URL after its `scheme://` makes two parsers see two hosts: before its first
/// `/`, a backslash (a `/` to one parser, an escape or a letter to another), or an `@` that
/// follows a space, a tab, a `#` or another `@`.
fn ambiguous_authority(after: &str) -> bool {
    let head = after.split('/').next().unwrap_or("");
    if head.contains('\\') {
        return true;
    }
    let Some(last_at) = head.rfind('@') else {
        return false;
    };
    head[..last_at].contains([' ', '\t', '#', '@'])
}

/// `host:port` without its port (brackets of an IPv6 literal kept).
fn strip_port(hp: &str) -> &str {
    if hp.starts_with('[') {
        return hp.find(']').map_or(hp, |i| &hp[..=i]);
    }
    match hp.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => hp,
    }
}

/// Percent-escapes of a host decoded (a resolver sees the decoded name); invalid escapes kept.
fn percent_decode(h: &str) -> String {
    if !h.contains('%') {
        return h.to_string();
    }
    let b = h.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(x), Some(y)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((x * 16 + y) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The host, canonicalised, is the machine itself or its link, or an IPv4 address written
/// other than in dotted decimal.
fn judge_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let (addr, zone) = match inner.split_once('%') {
            Some((a, _)) => (a, true),
            None => (inner, false),
        };
        return zone || addr.parse::<Ipv6Addr>().is_ok_and(|a| internal_v6(&a));
    }
    if host.eq_ignore_ascii_case("localhost") || ends_with_ci(host, ".localhost") {
        return true;
    }
    // A host whose last label is a number is an IPv4 address to the WHATWG parser, or no
    // host at all.
    let last = host.rsplit('.').next().unwrap_or("");
    if last.is_empty() || !numeric_label(last) {
        return false;
    }
    match parse_ipv4(host) {
        Some(a) => a.to_string() != host || internal_v4(a),
        None => true,
    }
}

/// A label the WHATWG parser reads as a number: decimal digits, or `0x` and hex digits.
fn numeric_label(l: &str) -> bool {
    match l.strip_prefix("0x").or_else(|| l.strip_prefix("0X")) {
        Some(h) => h.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()),
    }
}

/// The WHATWG IPv4 parser: one to four parts, each decimal, octal (leading `0`) or hex (`0x`);
/// the last part fills the bytes the others leave. `None` when it is not an address.
fn parse_ipv4(host: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(parts.len());
    for p in &parts {
        let n = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            if h.is_empty() {
                0
            } else {
                u64::from_str_radix(h, 16).ok()?
            }
        } else if p.len() > 1 && p.starts_with('0') {
            u64::from_str_radix(&p[1..], 8).ok()?
        } else {
            p.parse::<u64>().ok()?
        };
        nums.push(n);
    }
    let (last, init) = nums.split_last()?;
    if init.iter().any(|&n| n > 255) || *last >= 1u64 << (8 * (5 - nums.len())) {
        return None;
    }
    let mut addr = *last;
    for (i, &n) in init.iter().enumerate() {
        addr += n << (8 * (3 - i));
    }
    u32::try_from(addr).ok().map(Ipv4Addr::from)
}

/// Loopback, unspecified (`0.0.0.0/8`) or link-local (`169.254.0.0/16`, the metadata services).
fn internal_v4(a: Ipv4Addr) -> bool {
    a.is_loopback() || a.octets()[0] == 0 || a.is_link_local()
}

/// Loopback, unspecified, link-local, or an IPv4-mapped or -compatible form of an internal
/// IPv4 address.
fn internal_v6(a: &Ipv6Addr) -> bool {
    if a.is_loopback() || a.is_unspecified() || (a.segments()[0] & 0xffc0) == 0xfe80 {
        return true;
    }
    let s = a.segments();
    let v4 = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let mapped = s[..5].iter().all(|&x| x == 0) && s[5] == 0xffff;
    let compat = s[..6].iter().all(|&x| x == 0);
    (mapped || compat) && internal_v4(v4())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fires(v: &str) -> bool {
        internal_or_obfuscated_host(v, Location::Query)
    }

    #[test]
    fn obfuscated_and_internal_hosts_fire() {
        for v in [
            "http://2130706433/",
            "http://0x7f000001/admin",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://0/",
            "http://0xA9.0xFE.0xA9.0xFE/latest/meta-data/",
            "http://169.254.43518/",
            "http://9999999999/",
            "http:0251.0376.0251.0376",
            "https:\\\\0x7f.1\\x",
            "ftp://[::1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[0:0:0:0:0:ffff:127.0.0.1]/",
            "http://[fe80::1%25eth0]/",
            "http://[fe80::dead:beef%zone1]",
            "http://localhost./",
            "http://LOCALHOST:8080/",
            "http://a.localhost/",
            "http://169.254.1.1/",
            "http://%31%32%37.0.0.1/",
            "http://good.example:80 &@good.example:80# @127.88.23.245:22/",
            "http://good.example#@evil.example/",
            "http://\\l\\o\\c\\a\\l\\h\\o\\s\\t/",
            "gopher://0x7f.0.0.1:6379/_",
            "ssh://0177.00.00.01",
        ] {
            assert!(fires(v), "{v}");
        }
    }

    #[test]
    fn ordinary_urls_and_look_alikes_pass() {
        for v in [
            "http://example.com/",
            "https://www.example.org/a?b=c#d",
            "https://user:secret@git.example.com/repo.git",
            "http://192.168.1.1/",
            "http://10.0.0.12:8080/status",
            "http://8.8.8.8/",
            "https://[2001:db8::1]:8443/",
            "https://cdn.example.net/v1.2.3/app.js",
            "mailto:someone@example.com",
            "version 1.2.3",
            "12:30",
            "https://example.com/path/127.0.0.1",
            "https://example.com/?next=http://2130706433/",
            "https://example.com?email=someone@example.org",
            "https://web.archive.org/web/2020/http://example.com/",
            "http://123.example.com/",
            "http://example.com:8080",
            "see https://example.com/ for details",
        ] {
            assert!(!fires(v), "{v}");
        }
    }

    #[test]
    fn whatwg_ipv4_numbers() {
        assert_eq!(parse_ipv4("127.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(parse_ipv4("0x7f.0.0.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(parse_ipv4("2130706433"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(
            parse_ipv4("0251.0376.0251.0376"),
            Some(Ipv4Addr::new(169, 254, 169, 254))
        );
        assert_eq!(parse_ipv4("256.0.0.1"), None);
        assert_eq!(parse_ipv4("4294967296"), None);
    }
}
