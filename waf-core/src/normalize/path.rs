//! Request paths as an origin resolves them: canonicalised and decoded once.

use std::borrow::Cow;

use super::url_decode;

/// Canonicalises a URL path: backslashes to `/`, `//` folded, `.` segments removed and `..`
/// segments applied. Returns the path and how many `..` tried to climb above the root.
pub fn canonical_path(p: &str) -> (Cow<'_, str>, usize) {
    let needs = p.contains(['\\', '.']) || p.contains("//");
    if !needs {
        return (Cow::Borrowed(p), 0);
    }
    let s = p.replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    let mut above = 0;
    for seg in s.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    above += 1;
                }
            }
            _ => parts.push(seg),
        }
    }
    let mut out = String::with_capacity(s.len());
    for seg in &parts {
        out.push('/');
        out.push_str(seg);
    }
    if out.is_empty() || s.ends_with('/') {
        out.push('/');
    }
    if out == p {
        (Cow::Borrowed(p), above)
    } else {
        (Cow::Owned(out), above)
    }
}

/// The path a request names as an origin resolves it: percent-decoded once (`/%6cogin` is
/// `/login`) and canonicalised ([`canonical_path`]: `//login`, `/./login` and `/x/../login`
/// are `/login`). Path prefixes of ACL, CC and exclusion rules are matched against this, so
/// that no spelling of a path escapes a rule written for it.
pub fn request_path(raw: &str) -> Cow<'_, str> {
    match url_decode(raw, false) {
        Cow::Borrowed(p) => canonical_path(p).0,
        Cow::Owned(p) => Cow::Owned(canonical_path(&p).0.into_owned()),
    }
}
