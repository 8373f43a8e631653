//! The JavaScript proof-of-work challenge.
//!
//! 1. A challenged client gets a page carrying a token `exp.mac` where `mac` is
//!    HMAC-SHA256(secret, "t|ip|exp|bits"); the page's script searches a nonce such that
//!    SHA-256(token ":" nonce) starts with `bits` zero bits.
//! 2. It then requests [`VERIFY_PATH`]`?token=..&nonce=..&return=/path`; the proxy checks the MAC,
//!    expiry, client IP and work, then sets the clearance cookie `exp.mac` with
//!    mac = HMAC-SHA256(secret, "c|ip|exp") and redirects back.
//! 3. With a valid cookie, requests from the same IP pass challenge verdicts until it expires.
//!
//! No state is kept on the server. The secret never leaves the process and is never logged.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::pages::html_escape;

/// Path the challenge page answers to.
pub const VERIFY_PATH: &str = "/.well-known/waf-challenge";
/// Name of the clearance cookie.
pub const COOKIE: &str = "waf_clearance";
/// How long a client has to solve a challenge.
const TOKEN_TTL: u64 = 300;

const SCRIPT: &str = include_str!("../assets/challenge.js");
const CAPTCHA_SCRIPT: &str = include_str!("../assets/captcha.js");

/// Keys and parameters of the challenge.
pub struct Challenger {
    secret: Vec<u8>,
    bits: u8,
    cookie_ttl: u64,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Leading zero bits of a digest.
pub fn leading_zero_bits(d: &[u8]) -> u32 {
    let mut n = 0;
    for b in d {
        if *b == 0 {
            n += 8;
        } else {
            return n + b.leading_zeros();
        }
    }
    n
}

impl Challenger {
    /// A challenger with `secret` (at least 16 bytes recommended), `bits` of work and cookies
    /// valid `cookie_ttl` seconds.
    pub fn new(secret: Vec<u8>, bits: u8, cookie_ttl: u64) -> Self {
        Challenger {
            secret,
            bits,
            cookie_ttl,
        }
    }

    fn mac(&self, msg: &str) -> String {
        // new_from_slice accepts keys of any length for HMAC.
        let Ok(mut m) = Hmac::<Sha256>::new_from_slice(&self.secret) else {
            return String::new();
        };
        m.update(msg.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }

    fn mac_ok(&self, msg: &str, mac_hex: &str) -> bool {
        let Ok(given) = hex::decode(mac_hex) else {
            return false;
        };
        let Ok(mut m) = Hmac::<Sha256>::new_from_slice(&self.secret) else {
            return false;
        };
        m.update(msg.as_bytes());
        m.verify_slice(&given).is_ok()
    }

    /// A fresh token for `ip`.
    pub fn token(&self, ip: IpAddr) -> String {
        self.issue(ip).0
    }

    /// A fresh token for `ip` with its expiry (unix seconds).
    pub fn issue(&self, ip: IpAddr) -> (String, u64) {
        let exp = now_secs() + TOKEN_TTL;
        let mac = self.mac(&format!("t|{ip}|{exp}|{}", self.bits));
        (format!("{exp}.{mac}"), exp)
    }

    /// Leading zero bits a solution needs.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// How long a clearance lasts, in seconds.
    pub fn cookie_ttl(&self) -> u64 {
        self.cookie_ttl
    }

    /// The challenge page for `ip`; `return_to` is where to go after solving it.
    pub fn page(&self, ip: IpAddr, return_to: &str) -> String {
        let ret = if safe_return(return_to) {
            return_to
        } else {
            "/"
        };
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Checking your browser</title>\
<meta name=\"viewport\" content=\"width=device-width\">\
<style>body{{font-family:sans-serif;max-width:40em;margin:4em auto;color:#222}}</style></head><body>\
<h1>Checking your browser</h1><p>This takes a moment. JavaScript is required.</p>\
<div id=\"waf-challenge\" data-token=\"{token}\" data-bits=\"{bits}\" data-return=\"{ret}\"></div>\
<noscript><p>Please enable JavaScript and reload.</p></noscript>\
<script>{SCRIPT}</script></body></html>\n",
            token = self.token(ip),
            bits = self.bits,
            ret = html_escape(ret),
        )
    }

    /// Checks an answer; on success returns the `Set-Cookie` value.
    pub fn verify(&self, ip: IpAddr, token: &str, nonce: &str) -> Option<String> {
        let (exp, mac) = token.split_once('.')?;
        let exp_n: u64 = exp.parse().ok()?;
        if exp_n < now_secs() || nonce.len() > 32 {
            return None;
        }
        if !self.mac_ok(&format!("t|{ip}|{exp}|{}", self.bits), mac) {
            return None;
        }
        let digest = Sha256::new()
            .chain_update(token.as_bytes())
            .chain_update(b":")
            .chain_update(nonce.as_bytes())
            .finalize();
        if leading_zero_bits(&digest) < u32::from(self.bits) {
            return None;
        }
        Some(self.clearance(ip))
    }

    /// The `Set-Cookie` value of a fresh clearance for `ip` (a solved challenge or captcha).
    pub fn clearance(&self, ip: IpAddr) -> String {
        let cexp = now_secs() + self.cookie_ttl;
        let cmac = self.mac(&format!("c|{ip}|{cexp}"));
        format!(
            "{COOKIE}={cexp}.{cmac}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax",
            self.cookie_ttl
        )
    }

    /// The slider captcha page for `c`; `return_to` is where to go after solving it.
    pub fn captcha_page(&self, c: &waf_core::control::CaptchaIssued, return_to: &str) -> String {
        let ret = if safe_return(return_to) {
            return_to
        } else {
            "/"
        };
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Verify you are human</title>\
<meta name=\"viewport\" content=\"width=device-width\">\
<style>body{{font-family:sans-serif;max-width:40em;margin:4em auto;color:#222}}\
#waf-box{{position:relative;width:{w}px;height:{h}px}}#waf-piece{{position:absolute;left:0;top:{y}px}}\
#waf-rail{{position:relative;width:{w}px;height:36px;margin-top:8px;background:#e8e8e8;border-radius:18px}}\
#waf-knob{{position:absolute;left:0;top:0;width:{p}px;height:36px;background:#3a7bd5;border-radius:18px;cursor:grab;touch-action:none}}</style>\
</head><body><h1>Verify you are human</h1><p>Slide the piece into the gap.</p>\
<div id=\"waf-captcha\" data-id=\"{id}\" data-width=\"{w}\" data-piece=\"{p}\" data-return=\"{ret}\">\
<div id=\"waf-box\"><img alt=\"\" src=\"{bg}\" width=\"{w}\" height=\"{h}\">\
<img id=\"waf-piece\" alt=\"\" src=\"{piece}\" width=\"{p}\" height=\"{p}\"></div>\
<div id=\"waf-rail\"><div id=\"waf-knob\"></div></div><p id=\"waf-msg\"></p></div>\
<noscript><p>Please enable JavaScript and reload.</p></noscript>\
<script>{CAPTCHA_SCRIPT}</script></body></html>\n",
            w = c.width,
            h = c.height,
            p = c.piece_size,
            y = c.piece_y,
            id = html_escape(&c.challenge_id),
            bg = c.background,
            piece = c.piece,
            ret = html_escape(ret),
        )
    }

    /// Whether the request's Cookie header holds a valid clearance for `ip`.
    pub fn has_clearance(&self, ip: IpAddr, cookie_header: Option<&[u8]>) -> bool {
        let Some(h) = cookie_header.and_then(|h| std::str::from_utf8(h).ok()) else {
            return false;
        };
        h.split(';')
            .filter_map(|kv| kv.trim().split_once('='))
            .filter(|(k, _)| *k == COOKIE)
            .any(|(_, v)| {
                let Some((exp, mac)) = v.split_once('.') else {
                    return false;
                };
                exp.parse::<u64>().is_ok_and(|e| e >= now_secs())
                    && self.mac_ok(&format!("c|{ip}|{exp}"), mac)
            })
    }
}

/// Only same-site absolute paths are followed after a challenge (no open redirect).
pub fn safe_return(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && !p.contains('\\')
        && !p.contains("\r")
        && !p.contains('\n')
}

/// A query parameter, percent-decoded.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    waf_core::form_pairs(query)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solve(token: &str, bits: u8) -> String {
        (0u64..)
            .map(|n| n.to_string())
            .find(|n| {
                let d = Sha256::new()
                    .chain_update(token.as_bytes())
                    .chain_update(b":")
                    .chain_update(n.as_bytes())
                    .finalize();
                leading_zero_bits(&d) >= u32::from(bits)
            })
            .unwrap_or_default()
    }

    #[test]
    fn round_trip_bound_to_ip() {
        let c = Challenger::new(b"0123456789abcdef".to_vec(), 8, 60);
        let ip: IpAddr = "10.1.2.3".parse().expect("ip");
        let other: IpAddr = "10.1.2.4".parse().expect("ip");
        let t = c.token(ip);
        let n = solve(&t, 8);
        assert!(c.verify(other, &t, &n).is_none());
        let cookie = c.verify(ip, &t, &n).expect("verified");
        let value = cookie.split(';').next().expect("pair");
        assert!(c.has_clearance(ip, Some(value.as_bytes())));
        assert!(!c.has_clearance(other, Some(value.as_bytes())));
        assert!(!c.has_clearance(ip, Some(b"waf_clearance=1.00")));
    }

    #[test]
    fn no_open_redirect() {
        assert!(safe_return("/a?b"));
        assert!(!safe_return("//evil.example"));
        assert!(!safe_return("https://evil.example"));
    }
}
