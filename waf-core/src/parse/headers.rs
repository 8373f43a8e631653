//! Which header values are inert by their shape, and what an `Authorization` header carries.
//!
//! Every header is inspected except a value that is, by its shape, one of the structural things
//! its header holds: tokens, media types, language tags, quality values, an ETag, a date, a
//! host name. Such a value has no quote, parenthesis, space inside an item, `%`, `<`, comment
//! or shell character, so there is nothing in it for a detector to find; anything else in the
//! same header (an attacker's text after `en-US,`) is inspected like any other header.

use base64::Engine as _;

/// Whether `value` of header `lname` (lower case) is inert by its shape and need not be
/// scanned. Headers not named here are always scanned.
pub(super) fn inert(lname: &str, value: &[u8]) -> bool {
    match lname {
        "content-length" => !value.is_empty() && value.iter().all(u8::is_ascii_digit),
        "host" => {
            !value.is_empty()
                && value.iter().all(|&c| {
                    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b':' | b'[' | b']')
                })
        }
        "if-modified-since" | "if-unmodified-since" => http_date(value),
        "accept"
        | "accept-encoding"
        | "accept-language"
        | "accept-charset"
        | "content-type"
        | "cache-control"
        | "connection"
        | "pragma"
        | "te"
        | "priority"
        | "dnt"
        | "upgrade-insecure-requests"
        | "if-none-match"
        | "if-match"
        | "x-request-id"
        | "sec-fetch-site"
        | "sec-fetch-mode"
        | "sec-fetch-dest"
        | "sec-fetch-user"
        | "sec-ch-ua"
        | "sec-ch-ua-mobile"
        | "sec-ch-ua-platform"
        | "sec-gpc"
        | "sec-purpose" => structured(value),
        _ => false,
    }
}

/// A comma list of items, each `piece (; piece)*`, a piece `word`, `word=word`,
/// `word="text"`, `"text"` or `W/"text"` (an ETag), with optional spaces around `,`, `;` and
/// nowhere else. A word is letters, digits and `. _ + - /`, or `*` alone, `*/*` or `type/*`
/// (media ranges), or `?0` / `?1` (structured-field booleans); quoted text is the same
/// characters plus `=` and `:`. So `1 or 1=1`, `1/**/or`, quotes and brackets never pass.
fn structured(v: &[u8]) -> bool {
    if v.is_empty() || !v.is_ascii() {
        return false;
    }
    v.split(|&c| c == b',')
        .flat_map(|item| item.split(|&c| c == b';'))
        .all(|piece| {
            let piece = trim(piece);
            if piece.is_empty() {
                return true;
            }
            match piece.iter().position(|&c| c == b'=') {
                Some(i) => word(&piece[..i]) && (word(&piece[i + 1..]) || quoted(&piece[i + 1..])),
                None => {
                    word(piece) || quoted(piece) || piece.strip_prefix(b"W/").is_some_and(quoted)
                }
            }
        })
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t'))
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &b[start..end]
}

fn word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'+' | b'-' | b'/')
}

fn word(w: &[u8]) -> bool {
    if matches!(w, b"*" | b"*/*" | b"?0" | b"?1") {
        return true;
    }
    let w = w.strip_suffix(b"/*").unwrap_or(w);
    !w.is_empty() && w.iter().all(|&c| word_byte(c))
}

fn quoted(q: &[u8]) -> bool {
    q.len() >= 2
        && q[0] == b'"'
        && q[q.len() - 1] == b'"'
        && q[1..q.len() - 1]
            .iter()
            .all(|&c| word_byte(c) || matches!(c, b'=' | b':'))
}

/// An IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`, by the class of each character.
fn http_date(v: &[u8]) -> bool {
    const SHAPE: &[u8; 29] = b"Aaa, 00 Aaa 0000 00:00:00 GMT";
    v.len() == SHAPE.len()
        && v.iter().zip(SHAPE).all(|(&c, &s)| match s {
            b'A' | b'a' => c.is_ascii_alphabetic(),
            b'0' => c.is_ascii_digit(),
            _ => c == s,
        })
}

/// The `user:password` of `Basic` credentials, decoded (lossily) for inspection; `None` for
/// other schemes and for a value that is not base64 (then the value itself is inspected).
pub(super) fn basic_credentials(value: &[u8]) -> Option<String> {
    let rest = value
        .get(..6)
        .filter(|s| s.eq_ignore_ascii_case(b"basic "))?;
    let _ = rest;
    let token = trim(value.get(6..)?);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(token))
        .ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Whether an `Authorization` value is a scheme and one token68 (`Bearer eyJ...`), inert by
/// shape: letters, digits and `- . _ ~ + /`, then `=` padding.
pub(super) fn token68_credentials(value: &[u8]) -> bool {
    let Some(sp) = value.iter().position(|&c| c == b' ') else {
        return false;
    };
    let (scheme, token) = (&value[..sp], trim(&value[sp + 1..]));
    let body = token
        .iter()
        .rposition(|&c| c != b'=')
        .map_or(&token[..0], |i| &token[..=i]);
    !scheme.is_empty()
        && scheme.iter().all(u8::is_ascii_alphanumeric)
        && !body.is_empty()
        && body.iter().all(|&c| {
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// Whether a cookie name is a plain name (letters, digits, `_ -`), with nothing to inspect. A
/// dotted name is inspected: frameworks bind cookie names to properties and classes
/// (`java.lang.Runtime=x`, `user.role=admin`).
pub(super) fn plain_cookie_name(name: &str) -> bool {
    name.bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_values_are_inert_and_attacks_in_them_are_not() {
        for (h, v) in [
            (
                "accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8",
            ),
            ("accept-language", "en-US,en;q=0.9,de-DE;q=0.8"),
            ("accept-encoding", "gzip, deflate, br, zstd"),
            ("cache-control", "max-age=0, no-cache"),
            (
                "content-type",
                "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
            ),
            ("content-type", "text/plain; charset=\"utf-8\""),
            ("if-none-match", "W/\"5e-1a2b3c\", \"abc-123\""),
            ("if-modified-since", "Tue, 01 Dec 2026 10:00:00 GMT"),
            ("sec-ch-ua-mobile", "?0"),
            ("sec-ch-ua-platform", "\"Linux\""),
            ("priority", "u=0, i"),
            ("x-request-id", "7f1c2a9e-3b4d-4e5f-8a6b-1c2d3e4f5a6b"),
            ("host", "example.com:8080"),
            ("content-length", "42"),
        ] {
            assert!(inert(h, v.as_bytes()), "{h}: {v}");
        }
        for (h, v) in [
            (
                "accept-language",
                "en-US,1' union select password from users--",
            ),
            ("accept-language", "1 or 1=1"),
            ("accept", "1/**/or/**/1=1"),
            ("cache-control", "no-cache, <script>"),
            ("if-none-match", "\"1' or '1'='1\""),
            ("x-request-id", "${jndi:ldap://x/a}"),
            ("content-type", "%{(#_='multipart/form-data')}"),
            ("if-modified-since", "Tue, 01 Dec 2026 10:00:00 GMT' --"),
            ("host", "a.example/<x>"),
            ("content-length", "1 "),
            ("user-agent", "Mozilla/5.0"),
            ("accept", ""),
        ] {
            assert!(!inert(h, v.as_bytes()), "{h}: {v}");
        }
    }

    #[test]
    fn credentials() {
        assert_eq!(
            basic_credentials(b"Basic YWxpY2U6czNjcmV0IQ==").as_deref(),
            Some("alice:s3cret!")
        );
        assert_eq!(
            basic_credentials(b"basic YWxpY2U6czNjcmV0IQ").as_deref(),
            Some("alice:s3cret!")
        );
        assert_eq!(basic_credentials(b"Bearer abc"), None);
        assert_eq!(basic_credentials(b"Basic not base64!"), None);
        assert!(token68_credentials(
            b"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_-A=="
        ));
        assert!(!token68_credentials(b"Bearer 1' or '1'='1"));
        assert!(!token68_credentials(b"Bearer"));
        assert!(plain_cookie_name("__Host-session_id-v2"));
        assert!(!plain_cookie_name("java.Runtime"));
        assert!(!plain_cookie_name("x' union select 1--"));
    }
}
