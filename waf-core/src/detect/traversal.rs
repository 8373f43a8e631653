//! Path traversal judged on the path a server would resolve (rule 4003).
//!
//! Signatures see `../` and a few encodings of it; servers and frameworks decode more. The value
//! is first canonicalised the way lenient servers do (percent, `%u` and overlong UTF-8 escapes are
//! already undone by the engine's decoding variants): Unicode look-alikes of `.` `/` `\` folded,
//! `0x2e`/`0x2f`/`0x5c` notation read as the byte it names, backslashes read as separators, a NUL
//! ending the path as it ends a C string. Each whitespace-separated token is then resolved as a
//! path, segment by segment: a segment of dots only (`..`, and `...`, `....` which Windows trims
//! to `..`) goes up one level, `.` and empty segments stay. The value is an attack when a path
//! climbs above where it started, or when the whole value is an absolute path or drive path into
//! a system directory (`/etc/...`, `/proc/...`, `c:/windows/...`) or into a Java application's
//! `WEB-INF`/`META-INF`: a file parameter naming a system file needs no `../`.

use super::{prefix, strip_prefix_ci};
use crate::request::Location;

/// Longest prefix of a value that is examined: paths are short, and the check stays bounded.
const MAX_SCAN: usize = 4096;

/// Top-level directories of an absolute path that hold system files, not site content.
const SYSTEM_ROOTS: &[&str] = &["etc", "proc", "sys", "root", "boot", "dev"];

/// Directories and files at the root of a Windows drive that hold system files; the first four
/// are no words of a file name, and start a drive-relative path (`c:windows`) as well.
const DRIVE_ROOTS: &[&str] = &[
    "windows",
    "winnt",
    "boot.ini",
    "inetpub",
    "users",
    "documents and settings",
    "system volume information",
];

/// Rule 4003: a path that climbs above its start, or a whole value naming a system file.
pub(crate) fn path_escape(v: &str, loc: Location) -> bool {
    let v = prefix(v, MAX_SCAN);
    // Without a separator, a `0` of `0x..` notation or a look-alike, nothing climbs and only
    // the start of the value can name a system file: dots glued to a name, or a drive. One
    // vectorised pass and the first bytes decide most values with dots (e-mail addresses,
    // host names, sentences).
    if loc != Location::Path
        && memchr::memchr3(b'/', b'\\', b'0', v.as_bytes()).is_none()
        && v.is_ascii()
        && memchr::memchr(0, v.as_bytes()).is_none()
    {
        let t = v.trim();
        let file = strip_prefix_ci(t, "file:");
        let p = file.unwrap_or(t).as_bytes();
        return (p.starts_with(b"..") && whole_token(t) && glued_climb(t))
            || ((file.is_some() || p.get(1) == Some(&b':')) && system_path(t));
    }
    read(v, loc)
}

/// [`path_escape`] past its fast path: the value canonicalised and every reading tried.
fn read(v: &str, loc: Location) -> bool {
    if !worth_reading(v, loc) {
        return false;
    }
    let canon = canonical(v);
    let mut toks = canon.split_ascii_whitespace();
    let whole = toks.clone().nth(1).is_none();
    // A link in documentation climbs one level (`see ../path`); a file parameter that climbs
    // at all, a path that climbs from the root or by several levels, is out of its directory.
    if toks.any(|t| climbs(t).is_some_and(|(levels, absolute)| whole || absolute || levels >= 2)) {
        return true;
    }
    // A path in the URL is the site's own; a system path is judged in values only.
    loc != Location::Path && (system_path(canon.trim()) || (whole && glued_climb(canon.trim())))
}

/// Whether `t` is one token: no whitespace inside.
fn whole_token(t: &str) -> bool {
    !t.bytes().any(|c| c.is_ascii_whitespace())
}

/// Whether the whole value `t` starts (after `file:` and leading slashes) with a run of two or
/// more dots glued to a name: `....etcpasswd`, `/..{file}`, `..web-inf/web.xml`. That is what
/// `..\..\etc\passwd` becomes once a layer that unescapes backslashes (PHP's `stripslashes`,
/// a JSON or shell string) has eaten its separators; no file name starts with `..`.
fn glued_climb(t: &str) -> bool {
    let p = strip_prefix_ci(t, "file:")
        .unwrap_or(t)
        .trim_start_matches('/');
    let dots = p.bytes().take_while(|&c| c == b'.').count();
    dots >= 2
        && p.as_bytes()
            .get(dots)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'{' | b'_' | b'$' | b'%'))
}

/// The value with look-alikes folded, `0x..` notation read and `\` as `/`; cut at a NUL.
/// Borrowed when there is nothing to fold, as in most values.
fn canonical(v: &str) -> std::borrow::Cow<'_, str> {
    let b = v.as_bytes();
    let folds = |i: usize, c: u8| {
        c >= 0x80
            || c == b'\\'
            || c == 0
            || (c == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')))
    };
    if !b.iter().enumerate().any(|(i, &c)| folds(i, c)) {
        return std::borrow::Cow::Borrowed(v);
    }
    let mut out = String::with_capacity(v.len());
    let mut chars = v.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let folded = match c {
            '\0' => break,
            '\\' | '\u{ff0f}' | '\u{ff3c}' | '\u{2215}' | '\u{2216}' | '\u{2044}' | '\u{29f5}'
            | '\u{fe68}' => '/',
            '\u{ff0e}' | '\u{2024}' | '\u{fe52}' | '\u{3002}' | '\u{ff61}' => '.',
            '0' if matches!(b.get(i + 1), Some(b'x' | b'X')) => match hex_byte(b, i + 2) {
                Some(named @ (b'.' | b'/' | b'\\')) => {
                    // Skip `x` and the two hex digits.
                    for _ in 0..3 {
                        chars.next();
                    }
                    if named == b'.' {
                        '.'
                    } else {
                        '/'
                    }
                }
                _ => c,
            },
            _ => c,
        };
        out.push(folded);
    }
    std::borrow::Cow::Owned(out)
}

/// One pass over `v` that rules out, for most values, both readings of [`path_escape`]: a
/// climb needs two dots in a row once canonical, so `..`, a look-alike (a non-ASCII character)
/// or `0x..` notation; a system path is the whole value, so it starts as an absolute path, a
/// drive or a `file:` URL, or it names `WEB-INF`/`META-INF`. Outside the URL path only: the path
/// is the site's own.
fn worth_reading(v: &str, loc: Location) -> bool {
    if !v.is_ascii() {
        return true;
    }
    // One vectorised search for the three bytes that start `..`, `0x` and `-inf`: this runs on
    // every value with a slash (User-Agent, Accept, Referer).
    let b = v.as_bytes();
    let mut inf = false;
    for i in memchr::memchr3_iter(b'.', b'0', b'-', b) {
        let next = b.get(i + 1).copied().unwrap_or(0);
        match b[i] {
            b'.' if next == b'.' => return true,
            b'0' if next | 0x20 == b'x' => return true,
            b'-' => {
                inf |= b
                    .get(i + 1..i + 4)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"inf"))
            }
            _ => {}
        }
    }
    if loc == Location::Path {
        return false;
    }
    let t = v.trim_start().as_bytes();
    inf || matches!(t.first(), Some(b'/' | b'\\'))
        || t.get(1) == Some(&b':')
        || t.get(..5).is_some_and(|w| w.eq_ignore_ascii_case(b"file:"))
}

/// The byte named by the two hex digits at `b[i..i + 2]`.
fn hex_byte(b: &[u8], i: usize) -> Option<u8> {
    let d = |k: usize| b.get(k).and_then(|c| (*c as char).to_digit(16));
    Some((d(i)? * 16 + d(i + 1)?) as u8)
}

/// How many levels resolving `tok` as a path goes above its starting directory, and whether it
/// started at the root; `None` when it stays inside. A token with no `/` is one segment, a file
/// name, and never climbs (`...` in prose).
fn climbs(tok: &str) -> Option<(u32, bool)> {
    if !tok.contains('/') {
        return None;
    }
    let absolute = tok.starts_with('/');
    let (mut depth, mut lowest): (i32, i32) = (0, 0);
    for seg in tok.split('/') {
        // `..;x` (a Tomcat path parameter) is `..` to the servlet container.
        let seg = seg.split(';').next().unwrap_or(seg);
        if seg.is_empty() || seg == "." {
            continue;
        }
        if seg.len() >= 2 && seg.bytes().all(|c| c == b'.') {
            depth -= 1;
            lowest = lowest.min(depth);
        } else {
            depth += 1;
        }
    }
    (lowest < 0).then_some((lowest.unsigned_abs(), absolute))
}

/// Whether `v`, the whole value, is an absolute path into a system directory (`/etc/passwd`,
/// `file:///proc/self/environ`) or a path on a Windows drive into its system folders
/// (`c:/windows/win.ini`).
fn system_path(v: &str) -> bool {
    let p = strip_prefix_ci(v, "file:").unwrap_or(v);
    // `file:/c:/...` names the drive after one slash.
    let d = p.strip_prefix('/').filter(|d| drive(d)).unwrap_or(p);
    if drive(d) {
        let rest = &d[2..];
        if let Some(r) = rest.strip_prefix('/') {
            let first = r.split('/').find(|s| !s.is_empty());
            return first.is_some_and(|s| DRIVE_ROOTS.iter().any(|r| r.eq_ignore_ascii_case(s)));
        }
        // `c:windows\win.ini` is relative to the drive's current directory, which is its root
        // for a service; with its separators unescaped away (`c:windowswin.ini`) the system
        // folder's name still starts it.
        return DRIVE_ROOTS[..4].iter().any(|r| {
            rest.len() >= r.len() && rest.as_bytes()[..r.len()].eq_ignore_ascii_case(r.as_bytes())
        });
    }
    if p.contains(char::is_whitespace) {
        return false;
    }
    // A Java web application's deployment descriptors, which its container never serves.
    let mut all = p.split('/').filter(|s| !s.is_empty() && *s != ".");
    if all.any(|s| s.eq_ignore_ascii_case("web-inf") || s.eq_ignore_ascii_case("meta-inf"))
        && all.next().is_some()
    {
        return true;
    }
    if !p.starts_with('/') {
        return false;
    }
    let mut segs = p.split('/').filter(|s| !s.is_empty() && *s != ".");
    match (segs.next(), segs.next()) {
        (Some(root), Some(_)) => SYSTEM_ROOTS.iter().any(|r| r.eq_ignore_ascii_case(root)),
        _ => false,
    }
}

/// Rule 4004: the URL path goes through a hidden directory (`/.claude/settings.json`,
/// `/app/.docker/config.json`): by convention a tool's private state, its configuration and
/// credentials, which a site does not publish. Published by design: `/.well-known/` (RFC 8615)
/// and the routes hosting platforms serve under a site (`/.netlify/functions/`, `/.auth/` of
/// Azure App Service). A hidden file at the end (`/.htaccess`) is rule 1200's.
pub(crate) fn hidden_directory(v: &str, _loc: Location) -> bool {
    const PUBLISHED: &[&str] = &[".well-known", ".netlify", ".auth"];
    let path = v.split(['?', '#']).next().unwrap_or(v);
    let mut segs = path.split('/').peekable();
    while let Some(s) = segs.next() {
        let b = s.as_bytes();
        if b.len() >= 2
            && b[0] == b'.'
            && b[1].is_ascii_alphanumeric()
            && !PUBLISHED.iter().any(|p| s.eq_ignore_ascii_case(p))
            && segs.peek().is_some_and(|n| !n.is_empty())
        {
            return true;
        }
    }
    false
}

/// `d` starts with a drive letter and its colon (`c:`).
fn drive(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn climbing_paths_in_every_spelling() {
        let l = Location::QueryArg;
        let attacks = [
            "../../etc/passwd",
            "/..",
            "..\\..\\boot.ini",
            "..0x2f..0x2fetc0x2fpasswd",
            "0x2e0x2e0x2fsecret",
            "0x5c0x2e.\0/",
            "\u{ff0e}\u{ff0e}\u{ff0f}\u{ff0e}\u{ff0e}\u{ff0f}etc",
            "..\u{2215}..\u{2215}x",
            "/.../.../.../",
            "....//....//etc/passwd",
            "/..;/admin",
            "x/../../y",
            "cat ../../../x",
            "then /../etc",
        ];
        for a in attacks {
            assert!(path_escape(a, l), "missed {a:?}");
        }
        let benign = [
            "images/../logo.png",
            "a/b/../c",
            "Wait... what?",
            "see ./docs/index.md",
            "1.2.3",
            "0x2a0x2b",
            "https://example.com/a/b/",
            "/usr/share/doc",
            "config lives in /etc/myapp",
            "C++ and C# notes",
            "rewrites [ref]: ../path definitions",
            "",
        ];
        for b in benign {
            assert!(!path_escape(b, l), "false positive {b:?}");
        }
    }

    #[test]
    fn system_paths_need_no_climbing() {
        let l = Location::BodyArg;
        for a in [
            "/etc/passwd",
            "//etc//shadow",
            "/./proc/self/environ",
            "file:///etc/hosts",
            "c:/windows/win.ini",
            "C:\\WINNT\\system32",
            "d:\\inetpub\\wwwroot\\global.asa",
            "/root/.ssh/id_rsa",
            "WEB-INF/web.xml",
            "/app/META-INF/context.xml",
            "c:windows/win.ini",
            "c:windowswin.ini",
            "d:inetpubwwwrootglobal.asa",
            "file:/c:windowswin.ini",
            "file:c:windowswin.ini",
            "file:/c:/boot.ini",
        ] {
            assert!(path_escape(a, l), "missed {a:?}");
        }
        for b in [
            "/etc",
            "/var/www/html/index.php",
            "c:/projects/app",
            "/images/etc/a.png",
            "c:/windowsill/plant.txt",
            "d:users.csv",
            "c:projects",
            "http://example.com/windows",
            "web-inflation.csv",
        ] {
            assert!(!path_escape(b, l), "false positive {b:?}");
        }
        // The site's own URL path is not a file parameter.
        assert!(!path_escape("/etc/passwd", Location::Path));
        assert!(path_escape("/a/../../etc", Location::Path));
    }

    #[test]
    fn dots_glued_to_a_name_in_a_file_parameter() {
        let l = Location::BodyArg;
        for a in [
            "........................etcpasswd",
            "file:....etcpasswd",
            "..web-infweb.xml",
            "....web-inf/web.xml",
            "/..{file}",
            "//....{file}",
        ] {
            assert!(path_escape(a, l), "missed {a:?}");
        }
        for b in [
            "...",
            "..",
            "...and more to come",
            "Wait...what",
            ".hidden",
            "v1..v2",
            "a..b",
            "see ..web for details",
        ] {
            assert!(!path_escape(b, l), "false positive {b:?}");
        }
        // The URL path's own segments are the router's.
        assert!(!path_escape("/..foo", Location::Path));
    }

    #[test]
    fn fast_path_agrees_with_the_whole_reading() {
        let seeds = [
            "....etcpasswd",
            "file:....etcpasswd",
            "c:windowswin.ini",
            "file:c:windowswin.ini",
            "d:inetpubwwwrootglobal.asa",
            "c:projects",
            "...",
            "..",
            "...and more",
            "Wait...what",
            "sean.obrien7@example.org",
            "Item number 5",
            "v1..v2",
            " ..x ",
            "..x y",
            "a:b",
            "FILE:..x",
            "file:",
            "c:",
            "x:windows",
            "web-inf",
            "....web-inf",
            "e:winnt",
        ];
        for v in seeds {
            for loc in [Location::QueryArg, Location::BodyArg, Location::Header] {
                assert_eq!(path_escape(v, loc), read(v, loc), "{v:?} at {loc:?}");
            }
        }
    }

    #[test]
    fn hidden_directories_in_the_url_path() {
        let l = Location::Path;
        for a in [
            "/.claude/settings.json",
            "/app/.docker/config.json",
            "/.a0proj/secrets.env",
            "/.ssh/id_rsa",
        ] {
            assert!(hidden_directory(a, l), "missed {a:?}");
        }
        for b in [
            "/.well-known/acme-challenge/x",
            "/.netlify/functions/subscribe",
            "/.auth/login/aad/callback",
            "/.htaccess",
            "/docs/.",
            "/a/../b",
            "/v1.2/items",
            "/files/.hidden",
            "/search?q=/.ssh/x",
            "/",
        ] {
            assert!(!hidden_directory(b, l), "false positive {b:?}");
        }
    }

    #[test]
    fn long_values_are_cut_at_a_character_boundary() {
        let v = format!("{}../../x", "é".repeat(3000));
        assert!(!path_escape(&v, Location::QueryArg));
    }
}
