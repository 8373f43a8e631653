//! ACME HTTP-01 answers (RFC 8555 §8.3): the key authorizations of the admin API's pending
//! orders, served at `/.well-known/acme-challenge/<token>` for the order's domain only.
//!
//! Only an exact pending token for its own host is answered (and so skips CC and inspection);
//! any other path under the prefix goes through the WAF like every request. Entries expire on
//! their own after [`TTL`] so a token the admin API never cleared does not stay served.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The path prefix of HTTP-01 challenges.
pub const ACME_PREFIX: &str = "/.well-known/acme-challenge/";

/// How long a token is served without being cleared.
pub const TTL: Duration = Duration::from_secs(3600);

/// Most tokens pending at once (orders are few; this bounds memory against a runaway caller).
pub const MAX_PENDING: usize = 1024;

/// Longest token or key authorization accepted (tokens are 43 characters in practice).
const MAX_LEN: usize = 512;

struct Pending {
    host: String,
    key_authorization: String,
    expires: Instant,
}

/// The tokens waiting for validation; one per proxy, shared by every worker.
#[derive(Default)]
pub struct AcmeTokens {
    pending: Mutex<HashMap<String, Pending>>,
}

fn base64url(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl AcmeTokens {
    /// Serves `key_authorization` for `token` on `host` (replacing an earlier entry of the token).
    /// Refuses a token that is not base64url, a key authorization not of the form
    /// `<token>.<thumbprint>`, and more than [`MAX_PENDING`] tokens.
    pub fn set(&self, token: &str, host: &str, key_authorization: &str) -> Result<(), String> {
        if !base64url(token) {
            return Err("token: not base64url".into());
        }
        let thumb = key_authorization
            .strip_prefix(token)
            .and_then(|r| r.strip_prefix('.'));
        if !thumb.is_some_and(base64url) {
            return Err("key_authorization: not <token>.<thumbprint>".into());
        }
        if host.is_empty() || host.len() > 253 {
            return Err("host: empty or too long".into());
        }
        let now = Instant::now();
        let mut map = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, p| p.expires > now);
        if map.len() >= MAX_PENDING && !map.contains_key(token) {
            return Err(format!(
                "too many pending ACME challenges (max {MAX_PENDING})"
            ));
        }
        map.insert(
            token.to_string(),
            Pending {
                host: host.to_ascii_lowercase(),
                key_authorization: key_authorization.to_string(),
                expires: now + TTL,
            },
        );
        Ok(())
    }

    /// Stops serving `tokens`; returns how many were pending.
    pub fn clear(&self, tokens: &[String]) -> usize {
        let mut map = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        tokens.iter().filter(|t| map.remove(*t).is_some()).count()
    }

    /// The key authorization to answer a request for `path` on `host` with, when `path` is the
    /// challenge path of a pending, unexpired token of that host.
    pub fn answer(&self, host: &str, path: &str) -> Option<String> {
        let token = path.strip_prefix(ACME_PREFIX)?;
        let map = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let p = map.get(token)?;
        (p.host == host && p.expires > Instant::now()).then(|| p.key_authorization.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_pending_tokens_of_their_host() {
        let t = AcmeTokens::default();
        t.set("tok_1-A", "Shop.example", "tok_1-A.thumb")
            .expect("set");
        let path = format!("{ACME_PREFIX}tok_1-A");
        assert_eq!(
            t.answer("shop.example", &path).as_deref(),
            Some("tok_1-A.thumb")
        );
        assert_eq!(t.answer("other.example", &path), None);
        assert_eq!(t.answer("shop.example", &format!("{path}x")), None);
        assert_eq!(t.answer("shop.example", &format!("{path}/")), None);
        assert_eq!(t.answer("shop.example", "/tok_1-A"), None);
        assert_eq!(t.clear(&["tok_1-A".into(), "nope".into()]), 1);
        assert_eq!(t.answer("shop.example", &path), None);
    }

    #[test]
    fn refuses_malformed_entries() {
        let t = AcmeTokens::default();
        assert!(t.set("../x", "a.example", "../x.th").is_err());
        assert!(t.set("tok", "a.example", "other.th").is_err());
        assert!(t.set("tok", "a.example", "tok.").is_err());
        assert!(t.set("tok", "a.example", "tok.a b").is_err());
        assert!(t.set("tok", "", "tok.th").is_err());
        assert!(t.set("tok", "a.example", "tok.th").is_ok());
    }

    #[test]
    fn bounded() {
        let t = AcmeTokens::default();
        for i in 0..MAX_PENDING {
            t.set(&format!("t{i}"), "a.example", &format!("t{i}.k"))
                .expect("set");
        }
        assert!(t.set("extra", "a.example", "extra.k").is_err());
        assert!(t.set("t0", "a.example", "t0.k2").is_ok());
    }
}
