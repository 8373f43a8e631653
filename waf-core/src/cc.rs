//! CC (rate-limit) protection (§8.2): key derivation, the counter store and the ban table.
//!
//! Counters are pingora-limits [`Rate`] estimators: a count-min sketch per window length with two
//! slots (current and previous interval), so memory is fixed whatever the number of client IPs.
//! The count over the last window is the sliding estimate `prev * (1 - elapsed) + curr`. Clients
//! over a rule's threshold go into a bounded [`BanTable`] until their ban expires.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use pingora_limits::rate::Rate;

use crate::model::CcRule;

/// The counter key of one client under one rule.
pub fn cc_key(rule_id: u64, ip: IpAddr) -> u64 {
    let mut h = DefaultHasher::new();
    rule_id.hash(&mut h);
    ip.hash(&mut h);
    h.finish()
}

/// Where request counts live. The in-process [`LocalCounters`] is the default; a shared store
/// (e.g. Redis for several proxies) implements the same trait.
pub trait CounterStore: Send + Sync {
    /// Counts one request for `key` and returns the estimated number of requests for `key` in the
    /// last `window` (sliding), including this one.
    fn hit(&self, key: u64, window: Duration) -> f64;
    /// Forgets every count.
    fn clear(&self);
}

/// In-process counters: one pingora-limits `Rate` per distinct window length.
///
/// Memory: 2 x 4 x 2048 x 8 bytes = 128 KiB per window length, independent of client count.
#[derive(Default)]
pub struct LocalCounters {
    rates: DashMap<u64, Arc<Rate>>,
}

impl LocalCounters {
    /// Empty counters.
    pub fn new() -> Self {
        Self::default()
    }
}

impl CounterStore for LocalCounters {
    fn hit(&self, key: u64, window: Duration) -> f64 {
        let ms = window.as_millis().max(1000) as u64;
        let rate = self
            .rates
            .entry(ms)
            .or_insert_with(|| {
                Arc::new(Rate::new_with_estimator_config(
                    Duration::from_millis(ms),
                    4,
                    2048,
                ))
            })
            .clone();
        rate.observe(&key, 1);
        rate.rate_with(&key, |c| {
            c.prev_samples as f64 * (1.0 - c.current_interval_fraction) + c.curr_samples as f64
        })
    }

    fn clear(&self) {
        self.rates.clear();
    }
}

/// One ban.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Ban {
    /// The banned client.
    pub ip: IpAddr,
    /// The CC rule that banned it.
    pub rule_id: u64,
    /// Seconds left.
    pub remaining_secs: u64,
}

struct BanEntry {
    ip: IpAddr,
    rule_id: u64,
    until: Instant,
}

/// Bans with expiry, bounded in size: when full, expired bans are purged; if it is still full the
/// new ban is not stored (the request over the threshold is still refused).
pub struct BanTable {
    map: DashMap<u64, BanEntry>,
    cap: usize,
}

impl BanTable {
    /// A table holding at most `cap` bans.
    pub fn new(cap: usize) -> Self {
        BanTable {
            map: DashMap::new(),
            cap: cap.max(1),
        }
    }

    /// Time left on the ban of `key`, if banned.
    pub fn remaining(&self, key: u64, now: Instant) -> Option<Duration> {
        let left = self
            .map
            .get(&key)
            .map(|e| e.until.saturating_duration_since(now))?;
        if left.is_zero() {
            self.map.remove_if(&key, |_, e| e.until <= now);
            None
        } else {
            Some(left)
        }
    }

    fn insert(&self, key: u64, ip: IpAddr, rule_id: u64, until: Instant, now: Instant) -> bool {
        if self.map.len() >= self.cap {
            self.map.retain(|_, e| e.until > now);
            if self.map.len() >= self.cap {
                return false;
            }
        }
        self.map.insert(key, BanEntry { ip, rule_id, until });
        true
    }

    /// Current bans.
    pub fn list(&self, now: Instant) -> Vec<Ban> {
        self.map
            .iter()
            .filter(|e| e.until > now)
            .map(|e| Ban {
                ip: e.ip,
                rule_id: e.rule_id,
                remaining_secs: e.until.saturating_duration_since(now).as_secs().max(1),
            })
            .collect()
    }

    /// Lifts the bans of one IP (all, when `None`); returns how many were lifted.
    pub fn clear(&self, ip: Option<IpAddr>) -> usize {
        let before = self.map.len();
        match ip {
            Some(ip) => self.map.retain(|_, e| e.ip != ip),
            None => self.map.clear(),
        }
        before - self.map.len()
    }

    /// Number of bans held (expired ones included until purged).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no ban is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The outcome of a CC check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CcDecision {
    /// Under the threshold.
    Pass,
    /// Banned: refuse for `retry_after`. `new` is true for the request that caused the ban.
    Banned {
        /// Time left on the ban.
        retry_after: Duration,
        /// This request triggered the ban.
        new: bool,
    },
}

/// Counters plus bans: what the proxy keeps across policy reloads.
pub struct CcLimiter<S: CounterStore = LocalCounters> {
    store: S,
    bans: BanTable,
}

impl<S: CounterStore> CcLimiter<S> {
    /// A limiter over `store` with room for `max_bans` bans.
    pub fn new(store: S, max_bans: usize) -> Self {
        CcLimiter {
            store,
            bans: BanTable::new(max_bans),
        }
    }

    /// Counts this request of `ip` under `rule` and decides.
    pub fn check(&self, rule: &CcRule, ip: IpAddr, now: Instant) -> CcDecision {
        let key = cc_key(rule.id, ip);
        if let Some(left) = self.bans.remaining(key, now) {
            return CcDecision::Banned {
                retry_after: left,
                new: false,
            };
        }
        let count = self.store.hit(key, rule.window);
        if count > rule.threshold as f64 {
            let ban = if rule.ban_duration.is_zero() {
                rule.window
            } else {
                rule.ban_duration
            };
            self.bans.insert(key, ip, rule.id, now + ban, now);
            return CcDecision::Banned {
                retry_after: ban,
                new: true,
            };
        }
        CcDecision::Pass
    }

    /// The ban table.
    pub fn bans(&self) -> &BanTable {
        &self.bans
    }

    /// Forgets every counter (bans stay; clear them with [`BanTable::clear`]).
    pub fn clear_counters(&self) {
        self.store.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(threshold: u64, ban: u64) -> CcRule {
        CcRule {
            id: 1,
            host: None,
            path: "/".into(),
            threshold,
            window: Duration::from_secs(60),
            ban_duration: Duration::from_secs(ban),
            action: crate::model::Action::Block,
        }
    }

    #[test]
    fn eleventh_request_is_banned_other_client_passes() {
        let l = CcLimiter::new(LocalCounters::new(), 100);
        let r = rule(10, 300);
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        let now = Instant::now();
        for i in 0..10 {
            assert_eq!(l.check(&r, a, now), CcDecision::Pass, "request {}", i + 1);
        }
        assert!(matches!(
            l.check(&r, a, now),
            CcDecision::Banned { new: true, .. }
        ));
        assert!(matches!(
            l.check(&r, a, now),
            CcDecision::Banned { new: false, .. }
        ));
        assert_eq!(l.check(&r, b, now), CcDecision::Pass);
        // The ban expires.
        assert_eq!(
            l.bans()
                .remaining(cc_key(1, a), now + Duration::from_secs(301)),
            None
        );
    }

    #[test]
    fn ban_table_is_bounded() {
        let t = BanTable::new(3);
        let now = Instant::now();
        for i in 0..10u64 {
            t.insert(
                i,
                "10.0.0.1".parse().expect("ip"),
                1,
                now + Duration::from_secs(60),
                now,
            );
        }
        assert_eq!(t.len(), 3);
    }
}
