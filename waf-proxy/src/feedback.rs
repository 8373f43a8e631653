//! "Report a false positive": the token a block page carries and the checks on the form it posts.
//!
//! A block page's form holds the blocked request's id and a token
//! `exp.HMAC-SHA256(key, "fb|request_id|ip|exp")`, `key` derived from the challenge secret. The
//! proxy answers the form's `POST` to [`FEEDBACK_PATH`] itself: the token must match the request
//! id and the client IP, and not be expired, so no one files for another request or another
//! client, and a token is not good forever. Each client IP may post [`MAX_PER_WINDOW`] forms per
//! [`WINDOW`] (a bounded table of at most [`MAX_CLIENTS`] IPs). No state is kept per token.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Path the block page's form posts to (waf-proxy answers it itself).
pub const FEEDBACK_PATH: &str = "/.well-known/waf-feedback";
/// How long a block page's token can be used, in seconds.
pub const TOKEN_TTL: u64 = 1800;
/// Longest comment kept, in characters (longer ones are cut).
pub const MAX_COMMENT: usize = 1000;
/// Largest form body read, in bytes.
pub const MAX_FORM: usize = 16 * 1024;
/// Forms a client IP may post per [`WINDOW`].
pub const MAX_PER_WINDOW: u32 = 5;
/// The rate limit's window.
pub const WINDOW: Duration = Duration::from_secs(600);
/// Client IPs tracked by the rate limit at most; when full, a new client is refused until a
/// window ends.
pub const MAX_CLIENTS: usize = 10_000;
/// Longest request id accepted (the proxy's are 16 hex digits).
const MAX_REQUEST_ID: usize = 64;

/// Why a posted form was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not a form with a request id and a token.
    #[error("malformed feedback form")]
    Malformed,
    /// The token does not match the request id and the client, or was altered.
    #[error("invalid feedback token")]
    BadToken,
    /// The token expired.
    #[error("feedback token expired")]
    Expired,
    /// Too many forms from this client.
    #[error("too many feedback reports")]
    RateLimited,
}

/// A form that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filed {
    /// The blocked request's id.
    pub request_id: String,
    /// The user's comment, at most [`MAX_COMMENT`] characters.
    pub comment: String,
}

struct Window {
    start: Instant,
    count: u32,
}

/// Token key and rate-limit table. One mutex, held for a table update only.
pub struct FeedbackDesk {
    key: Vec<u8>,
    clients: Mutex<HashMap<IpAddr, Window>>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl FeedbackDesk {
    /// A desk whose key is derived from `secret` (the challenge secret), so tokens of one kind
    /// are never valid as the other.
    pub fn new(secret: &[u8]) -> Self {
        let key = Hmac::<Sha256>::new_from_slice(secret)
            .map(|mut m| {
                m.update(b"waf-feedback-key");
                m.finalize().into_bytes().to_vec()
            })
            .unwrap_or_else(|_| secret.to_vec());
        FeedbackDesk {
            key,
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn mac(&self, request_id: &str, ip: IpAddr, exp: u64) -> Option<Hmac<Sha256>> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        m.update(format!("fb|{request_id}|{ip}|{exp}").as_bytes());
        Some(m)
    }

    /// The token for the block page of `request_id`, served to `ip`.
    pub fn token(&self, request_id: &str, ip: IpAddr) -> String {
        let exp = unix_now() + TOKEN_TTL;
        let mac = self
            .mac(request_id, ip, exp)
            .map(|m| hex::encode(m.finalize().into_bytes()))
            .unwrap_or_default();
        format!("{exp}.{mac}")
    }

    /// Checks `token` for `request_id` and `ip` (constant-time MAC comparison).
    pub fn check(&self, request_id: &str, ip: IpAddr, token: &str) -> Result<(), Refused> {
        let (exp, mac) = token.split_once('.').ok_or(Refused::BadToken)?;
        let exp: u64 = exp.parse().map_err(|_| Refused::BadToken)?;
        let given = hex::decode(mac).map_err(|_| Refused::BadToken)?;
        let m = self.mac(request_id, ip, exp).ok_or(Refused::BadToken)?;
        m.verify_slice(&given).map_err(|_| Refused::BadToken)?;
        if exp < unix_now() {
            return Err(Refused::Expired);
        }
        Ok(())
    }

    /// Counts one form from `ip`; false when over [`MAX_PER_WINDOW`] in the current window, or
    /// when the table is full of clients whose windows are still running.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let Ok(mut t) = self.clients.lock() else {
            return false;
        };
        if !t.contains_key(&ip) && t.len() >= MAX_CLIENTS {
            t.retain(|_, w| now.duration_since(w.start) < WINDOW);
            if t.len() >= MAX_CLIENTS {
                return false;
            }
        }
        let w = t.entry(ip).or_insert(Window {
            start: now,
            count: 0,
        });
        if now.duration_since(w.start) >= WINDOW {
            *w = Window {
                start: now,
                count: 0,
            };
        }
        w.count += 1;
        w.count <= MAX_PER_WINDOW
    }

    /// Reads and checks a posted form (`application/x-www-form-urlencoded`, fields
    /// `request_id`, `token`, `comment`) from `ip`. The rate limit is counted first, so forged
    /// forms use up the budget too.
    pub fn file(&self, ip: IpAddr, body: &[u8]) -> Result<Filed, Refused> {
        if !self.allow(ip) {
            return Err(Refused::RateLimited);
        }
        let text = std::str::from_utf8(body).map_err(|_| Refused::Malformed)?;
        let (mut request_id, mut token, mut comment) = (None, None, String::new());
        for (k, v) in waf_core::form_pairs(text) {
            match k.as_ref() {
                "request_id" => request_id = Some(v.into_owned()),
                "token" => token = Some(v.into_owned()),
                "comment" => comment = v.chars().take(MAX_COMMENT).collect(),
                _ => {}
            }
        }
        let request_id = request_id
            .filter(|id| {
                !id.is_empty()
                    && id.len() <= MAX_REQUEST_ID
                    && id.bytes().all(|b| b.is_ascii_alphanumeric())
            })
            .ok_or(Refused::Malformed)?;
        let token = token.ok_or(Refused::Malformed)?;
        self.check(&request_id, ip, &token)?;
        Ok(Filed {
            request_id,
            comment: comment.trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn token_binds_request_id_and_ip() {
        let d = FeedbackDesk::new(b"0123456789abcdef0123456789abcdef");
        let t = d.token("abc", ip("192.0.2.1"));
        assert_eq!(d.check("abc", ip("192.0.2.1"), &t), Ok(()));
        assert_eq!(d.check("abd", ip("192.0.2.1"), &t), Err(Refused::BadToken));
        assert_eq!(d.check("abc", ip("192.0.2.2"), &t), Err(Refused::BadToken));
        // A later expiry with the same MAC is an altered token.
        let (exp, mac) = t.split_once('.').expect("dot");
        let later = format!("{}.{mac}", exp.parse::<u64>().expect("n") + 3600);
        assert_eq!(
            d.check("abc", ip("192.0.2.1"), &later),
            Err(Refused::BadToken)
        );
        let other = FeedbackDesk::new(b"another secret of thirty-two byt");
        assert_eq!(
            other.check("abc", ip("192.0.2.1"), &t),
            Err(Refused::BadToken)
        );
    }

    #[test]
    fn expired_token_refused() {
        let d = FeedbackDesk::new(b"k");
        let exp = unix_now() - 1;
        let mac = hex::encode(
            d.mac("abc", ip("192.0.2.1"), exp)
                .expect("mac")
                .finalize()
                .into_bytes(),
        );
        assert_eq!(
            d.check("abc", ip("192.0.2.1"), &format!("{exp}.{mac}")),
            Err(Refused::Expired)
        );
    }

    #[test]
    fn form_is_parsed_bounded_and_rate_limited() {
        let d = FeedbackDesk::new(b"k");
        let a = ip("192.0.2.1");
        let t = d.token("abc", a);
        let long = "x".repeat(MAX_COMMENT + 50);
        let body = format!("request_id=abc&token={t}&comment={long}");
        let f = d.file(a, body.as_bytes()).expect("filed");
        assert_eq!(f.comment.chars().count(), MAX_COMMENT);
        assert_eq!(d.file(a, b"token=1.00"), Err(Refused::Malformed));
        for _ in 3..=MAX_PER_WINDOW {
            let _ = d.file(a, body.as_bytes());
        }
        assert_eq!(d.file(a, body.as_bytes()), Err(Refused::RateLimited));
        // Another client has its own budget.
        let b = ip("192.0.2.2");
        let tb = d.token("abc", b);
        assert!(d
            .file(b, format!("request_id=abc&token={tb}").as_bytes())
            .is_ok());
    }
}
