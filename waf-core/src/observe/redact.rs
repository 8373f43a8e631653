//! Redaction of credentials in recorded headers, before a record leaves waf-proxy.
//!
//! With `redact` on (the default): `Authorization` and `Proxy-Authorization` keep their scheme
//! only (`Bearer [redacted]`), the headers of `redact_headers` are replaced whole, and the
//! values of the cookies named in `redact_cookies` are replaced in `Cookie` (every pair) and
//! `Set-Cookie` (the cookie it sets; its attributes are kept).

use std::borrow::Cow;

use crate::model::ObsConfig;

/// What replaces a redacted value.
pub const REDACTED: &str = "[redacted]";

/// `value` of header `name` as it may be recorded under `config`.
///
/// ```
/// use waf_core::model::ObsConfig;
/// use waf_core::observe::redact::header;
///
/// let c = ObsConfig::default();
/// assert_eq!(header(&c, "Authorization", "Bearer abc"), "Bearer [redacted]");
/// assert_eq!(header(&c, "Cookie", "theme=dark; PHPSESSID=42"), "theme=dark; PHPSESSID=[redacted]");
/// assert_eq!(header(&c, "Accept", "*/*"), "*/*");
/// ```
pub fn header<'a>(config: &ObsConfig, name: &str, value: &'a str) -> Cow<'a, str> {
    if !config.redact {
        return Cow::Borrowed(value);
    }
    if name.eq_ignore_ascii_case("authorization")
        || name.eq_ignore_ascii_case("proxy-authorization")
    {
        return Cow::Owned(match value.trim().split_once(' ') {
            Some((scheme, _)) => format!("{scheme} {REDACTED}"),
            None => REDACTED.to_string(),
        });
    }
    if config
        .redact_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
    {
        return Cow::Borrowed(REDACTED);
    }
    if config.redact_cookies.is_empty() {
        return Cow::Borrowed(value);
    }
    if name.eq_ignore_ascii_case("cookie") {
        return cookies(config, value, ';');
    }
    if name.eq_ignore_ascii_case("set-cookie") {
        // Only the first pair is the cookie; the rest are attributes (`Path=/`, `HttpOnly`).
        return match value.split_once(';') {
            Some((pair, attrs)) => match cookies(config, pair, ';') {
                Cow::Borrowed(_) => Cow::Borrowed(value),
                Cow::Owned(p) => Cow::Owned(format!("{p};{attrs}")),
            },
            None => cookies(config, value, ';'),
        };
    }
    Cow::Borrowed(value)
}

/// `name=value` pairs separated by `sep`, with the values of redacted names replaced.
fn cookies<'a>(config: &ObsConfig, value: &'a str, sep: char) -> Cow<'a, str> {
    let secret = |pair: &str| {
        pair.split_once('=').is_some_and(|(n, _)| {
            let n = n.trim();
            config
                .redact_cookies
                .iter()
                .any(|c| c.eq_ignore_ascii_case(n))
        })
    };
    if !value.split(sep).any(secret) {
        return Cow::Borrowed(value);
    }
    let parts: Vec<String> = value
        .split(sep)
        .map(|pair| match pair.split_once('=') {
            Some((n, _)) if secret(pair) => format!("{n}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect();
    Cow::Owned(parts.join(&sep.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ObsConfig {
        ObsConfig {
            redact_headers: vec!["x-api-key".into()],
            ..ObsConfig::default()
        }
    }

    #[test]
    fn credentials_are_redacted_by_default() {
        let c = config();
        for (name, value, want) in [
            ("authorization", "Basic dXNlcjpwYXNz", "Basic [redacted]"),
            ("Proxy-Authorization", "Bearer t0k3n", "Bearer [redacted]"),
            ("Authorization", "opaque", "[redacted]"),
            ("X-Api-Key", "k-123", "[redacted]"),
            (
                "Cookie",
                "theme=dark; sessionid=abc; lang=en",
                "theme=dark; sessionid=[redacted]; lang=en",
            ),
            (
                "cookie",
                "SID=1;JSESSIONID=2",
                "SID=[redacted];JSESSIONID=[redacted]",
            ),
            (
                "Set-Cookie",
                "PHPSESSID=deadbeef; Path=/; HttpOnly",
                "PHPSESSID=[redacted]; Path=/; HttpOnly",
            ),
            ("Set-Cookie", "token=x", "token=[redacted]"),
            ("Set-Cookie", "theme=dark; Path=/", "theme=dark; Path=/"),
            ("Cookie", "theme=dark", "theme=dark"),
            ("User-Agent", "curl/8", "curl/8"),
        ] {
            assert_eq!(header(&c, name, value), want, "{name}: {value}");
        }
    }

    #[test]
    fn redaction_off_records_as_sent_and_names_are_configurable() {
        let off = ObsConfig {
            redact: false,
            ..config()
        };
        assert_eq!(header(&off, "Authorization", "Bearer t"), "Bearer t");
        assert_eq!(header(&off, "Cookie", "sid=1"), "sid=1");
        let custom = ObsConfig {
            redact_cookies: vec!["my_auth".into()],
            ..ObsConfig::default()
        };
        assert_eq!(
            header(&custom, "Cookie", "MY_AUTH=1; sid=2"),
            "MY_AUTH=[redacted]; sid=2"
        );
        assert_eq!(
            header(&custom, "Authorization", "Bearer t"),
            "Bearer [redacted]",
            "the authorization headers are always redacted while redact is on"
        );
    }
}
