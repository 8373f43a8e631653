//! The one shared state of the app, and the write path every rule change goes through.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use crate::clock::{format_time, now};
use crate::error::ApiError;
use crate::proxy::{ProxyClient, ReloadOutcome};
use crate::store::{RuleDoc, RuleStore};

/// How clients reach us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// HTTPS.
    Tls,
    /// Plain HTTP (`--plain-http`): key-authenticated calls only from loopback.
    PlainHttp,
}

/// Fixed-window limiter: `limit` requests per key per `window` seconds.
#[derive(Debug)]
pub struct RateLimiter {
    /// Requests allowed per window.
    pub limit: u64,
    /// Window length in seconds.
    pub window: u64,
    counts: Mutex<HashMap<i64, (u64, u64)>>,
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy)]
pub struct RateStatus {
    /// Limit per window.
    pub limit: u64,
    /// Left in this window.
    pub remaining: u64,
    /// Unix time the window ends.
    pub reset: u64,
    /// Whether this request is over the limit.
    pub limited: bool,
}

impl RateLimiter {
    /// A limiter of `limit` per `window` seconds.
    pub fn new(limit: u64, window: u64) -> Self {
        RateLimiter {
            limit,
            window: window.max(1),
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `key` at `now`.
    pub fn hit(&self, key: i64, now: u64) -> RateStatus {
        let start = now - now % self.window;
        let mut map = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (s, _)| *s == start);
        }
        let entry = map.entry(key).or_insert((start, 0));
        if entry.0 != start {
            *entry = (start, 0);
        }
        entry.1 += 1;
        RateStatus {
            limit: self.limit,
            remaining: self.limit.saturating_sub(entry.1),
            reset: start + self.window,
            limited: entry.1 > self.limit,
        }
    }
}

/// Everything handlers and middleware share.
#[derive(Debug)]
pub struct AppState {
    /// The SQLite connection (keys, audit, idempotency, small settings).
    pub db: Mutex<Connection>,
    /// `--data-dir`.
    pub data_dir: PathBuf,
    /// The rule files and their write lock.
    pub rules: RuleStore,
    /// The proxy's control socket.
    pub proxy: ProxyClient,
    /// Per-key rate limit.
    pub limiter: RateLimiter,
    /// HTTPS or plain HTTP.
    pub transport: Transport,
    /// SHA-256 of the admin token.
    admin_token_hash: [u8; 32],
    /// Key id -> last use, flushed to the database every 30 s.
    pub last_used: Mutex<HashMap<i64, i64>>,
    /// The feed of `/realtime/ws`.
    pub realtime: crate::realtime::Realtime,
    /// Let's Encrypt: the CA's configuration and account.
    pub acme: crate::acme::client::Acme,
}

impl AppState {
    /// Builds the state over an open database and rule store.
    pub fn new(
        db: Connection,
        data_dir: &Path,
        rules: RuleStore,
        proxy: ProxyClient,
        admin_token: &str,
        transport: Transport,
    ) -> Self {
        AppState {
            db: Mutex::new(db),
            data_dir: data_dir.to_path_buf(),
            rules,
            proxy,
            limiter: RateLimiter::new(120, 60),
            transport,
            admin_token_hash: Sha256::digest(admin_token.as_bytes()).into(),
            last_used: Mutex::new(HashMap::new()),
            realtime: crate::realtime::Realtime::default(),
            acme: crate::acme::client::Acme::new(crate::acme::client::AcmeConfig::default()),
        }
    }

    /// Runs `f` with the database.
    pub fn with_db<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, ApiError> {
        let conn = self.db.lock().unwrap_or_else(|p| p.into_inner());
        Ok(f(&conn)?)
    }

    /// Constant-time check of the admin token.
    pub fn is_admin_token(&self, token: &str) -> bool {
        let h: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        h.ct_eq(&self.admin_token_hash).into()
    }

    /// Writes last-used times gathered since the previous flush.
    pub fn flush_last_used(&self) {
        let used: Vec<(i64, i64)> = {
            let mut m = self.last_used.lock().unwrap_or_else(|p| p.into_inner());
            m.drain().collect()
        };
        if used.is_empty() {
            return;
        }
        if let Err(e) = self.with_db(|c| crate::keys::touch(c, &used)) {
            tracing::warn!(error = %e, "cannot persist last_used_at");
        }
    }

    /// The current rule files, parsed.
    pub fn rules_doc(&self) -> Result<RuleDoc, ApiError> {
        Ok(self.rules.load()?)
    }

    /// The write path: under the store lock, applies `f` to the current rules, compiles the whole
    /// result with waf-core (400 with details and nothing written on failure), writes the changed
    /// files atomically, then asks the proxy to reload.
    pub async fn change<T>(
        &self,
        f: impl FnOnce(&mut RuleDoc) -> Result<T, ApiError>,
    ) -> Result<(T, ReloadOutcome), ApiError> {
        let guard = self.rules.lock().await;
        let old = self.rules.load()?;
        let mut new = old.clone();
        let out = f(&mut new)?;
        self.rules.commit(&guard, &old, &new)?;
        let outcome = self.proxy.reload().await;
        drop(guard);
        Ok((out, outcome))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_format() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00");
        assert_eq!(format_time(1_780_746_296), "2026-06-06 11:44:56");
    }

    #[test]
    fn fixed_window() {
        let l = RateLimiter::new(2, 60);
        assert!(!l.hit(1, 120).limited);
        assert_eq!(l.hit(1, 130).remaining, 0);
        let s = l.hit(1, 179);
        assert!(s.limited);
        assert_eq!(s.reset, 180);
        assert!(!l.hit(1, 180).limited);
        assert!(!l.hit(2, 179).limited);
    }
}
