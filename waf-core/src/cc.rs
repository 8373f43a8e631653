//! CC (rate-limit) protection: key derivation, the counter store and the ban table.
//!
//! Counters are exact for the clients active in the last two windows: [`LocalCounters`] keeps a
//! count per client and rule (current and previous interval) in a table bounded to
//! `max_clients` entries; entries idle for two windows count nothing and are swept out when the
//! table fills. Only a key that arrives while the table is full of active keys is counted in a
//! pingora-limits count-min sketch, whose collisions can over-count: below `max_clients`
//! active client-rule pairs, no client is refused before it sent more than the threshold.
//!
//! The count over the last window is the sliding estimate `prev * (1 - elapsed) + curr`, which
//! never exceeds the requests of the current and previous interval. Clients over a rule's
//! threshold go into a bounded [`BanTable`] until their ban expires.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Counts one request for `key` at `now` and returns the estimated number of requests for
    /// `key` in the last `window` (sliding), including this one.
    fn hit(&self, key: u64, window: Duration, now: Instant) -> f64;
    /// Forgets every count.
    fn clear(&self);
}

/// One key's counts: the interval it was last counted in, and the requests of that interval
/// and the one before.
#[derive(Debug, Clone, Copy)]
struct Slot {
    interval: u64,
    window_ms: u64,
    prev: u32,
    curr: u32,
}

/// Client-rule pairs [`LocalCounters::new`] counts exactly by default: about 50 MiB at most
/// (a table entry is 32 bytes plus the hash table's spare room), reached only with that many
/// clients active within two windows.
pub const DEFAULT_MAX_CLIENTS: usize = 1_000_000;

/// Width of each row of the overflow sketch (4 rows): 1 MiB per window length, allocated on
/// the first overflow.
const SKETCH_WIDTH: usize = 16_384;

/// In-process counters: exact counts for the active set in a bounded table, a count-min sketch
/// for what does not fit (see the module documentation).
///
/// Memory: at most `max_clients` entries (about 50 bytes each with the table's spare room) plus
/// 1 MiB per window length for the sketch once the table has overflowed.
pub struct LocalCounters {
    epoch: Instant,
    table: DashMap<u64, Slot>,
    max_clients: usize,
    /// Milliseconds since `epoch` of the last sweep of idle entries (one per second at most).
    last_sweep: AtomicU64,
    overflow: DashMap<u64, Arc<Rate>>,
    overflowed: AtomicU64,
}

impl Default for LocalCounters {
    fn default() -> Self {
        Self::with_max_clients(DEFAULT_MAX_CLIENTS)
    }
}

impl LocalCounters {
    /// Counters with room for [`DEFAULT_MAX_CLIENTS`] exact entries.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counters with room for `max_clients` exact entries (client-rule pairs).
    pub fn with_max_clients(max_clients: usize) -> Self {
        LocalCounters {
            epoch: Instant::now(),
            table: DashMap::new(),
            max_clients: max_clients.max(1),
            last_sweep: AtomicU64::new(0),
            overflow: DashMap::new(),
            overflowed: AtomicU64::new(0),
        }
    }

    /// Entries counted exactly now.
    pub fn tracked(&self) -> usize {
        self.table.len()
    }

    /// Requests counted in the overflow sketch so far (the table was full of active clients).
    pub fn overflowed(&self) -> u64 {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// Removes the entries whose two intervals are over (they count nothing), at most once a
    /// second: a full table is swept in one pass, not on every new client.
    fn sweep(&self, now_ms: u64) {
        let last = self.last_sweep.load(Ordering::Relaxed);
        if now_ms < last.saturating_add(1000)
            || self
                .last_sweep
                .compare_exchange(last, now_ms, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        self.table.retain(|_, s| s.interval_end_ms() > now_ms);
    }

    fn sketch(&self, key: u64, ms: u64) -> f64 {
        self.overflowed.fetch_add(1, Ordering::Relaxed);
        let rate = self
            .overflow
            .entry(ms)
            .or_insert_with(|| {
                Arc::new(Rate::new_with_estimator_config(
                    Duration::from_millis(ms),
                    4,
                    SKETCH_WIDTH,
                ))
            })
            .clone();
        rate.observe(&key, 1);
        rate.rate_with(&key, |c| {
            c.prev_samples as f64 * (1.0 - c.current_interval_fraction) + c.curr_samples as f64
        })
    }
}

impl CounterStore for LocalCounters {
    fn hit(&self, key: u64, window: Duration, now: Instant) -> f64 {
        let ms = window.as_millis().clamp(1000, u128::from(u32::MAX)) as u64;
        let elapsed = now.saturating_duration_since(self.epoch).as_millis() as u64;
        let interval = elapsed / ms;
        let frac = (elapsed % ms) as f64 / ms as f64;
        let estimate = |s: &Slot| f64::from(s.prev) * (1.0 - frac) + f64::from(s.curr);
        if let Some(mut s) = self.table.get_mut(&key) {
            s.count(interval, ms);
            return estimate(&s);
        }
        if self.table.len() >= self.max_clients {
            self.sweep(elapsed);
            if self.table.len() >= self.max_clients {
                return self.sketch(key, ms);
            }
        }
        let mut s = self.table.entry(key).or_insert(Slot {
            interval,
            window_ms: ms,
            prev: 0,
            curr: 0,
        });
        s.count(interval, ms);
        estimate(&s)
    }

    fn clear(&self) {
        self.table.clear();
        self.overflow.clear();
    }
}

impl Slot {
    /// Counts one request in `interval` (of `ms` milliseconds), rolling the intervals on.
    fn count(&mut self, interval: u64, ms: u64) {
        if interval == self.interval {
            self.curr = self.curr.saturating_add(1);
        } else {
            self.prev = if interval == self.interval + 1 {
                self.curr
            } else {
                0
            };
            self.curr = 1;
            self.interval = interval;
        }
        self.window_ms = ms;
    }

    /// When this entry stops counting anything: the end of the interval after its own.
    fn interval_end_ms(&self) -> u64 {
        (self.interval + 2).saturating_mul(self.window_ms)
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

    /// Keeps only the bans of rules `keep` says still exist (a deleted rule's bans go with it);
    /// returns how many were lifted.
    pub fn retain_rules(&self, keep: impl Fn(u64) -> bool) -> usize {
        let before = self.map.len();
        self.map.retain(|_, e| keep(e.rule_id));
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
        let count = self.store.hit(key, rule.window, now);
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

    /// The counter store.
    pub fn store(&self) -> &S {
        &self.store
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

    fn ip(i: u32) -> IpAddr {
        IpAddr::from((0x0a00_0000 + i).to_be_bytes())
    }

    /// The count-min sketch alone refused about a third of 10,000 one-request clients at
    /// threshold 2; exact counters refuse none of 100,000, with three requests each at
    /// threshold 3, and still refuse each client's fourth.
    #[test]
    fn no_client_below_the_threshold_is_refused_at_100k_clients() {
        let l = CcLimiter::new(LocalCounters::new(), 200_000);
        let r = rule(3, 60);
        let now = Instant::now();
        for round in 0..3 {
            for i in 0..100_000 {
                assert_eq!(
                    l.check(&r, ip(i), now),
                    CcDecision::Pass,
                    "client {i}, request {}",
                    round + 1
                );
            }
        }
        assert_eq!(l.store().tracked(), 100_000);
        assert_eq!(l.store().overflowed(), 0);
        for i in (0..100_000).step_by(997) {
            assert!(matches!(
                l.check(&r, ip(i), now),
                CcDecision::Banned { new: true, .. }
            ));
        }
    }

    #[test]
    fn counts_slide_and_idle_entries_make_room() {
        let c = LocalCounters::with_max_clients(2);
        let w = Duration::from_secs(10);
        let t0 = c.epoch;
        assert_eq!(c.hit(1, w, t0), 1.0);
        assert_eq!(c.hit(1, w, t0 + Duration::from_secs(9)), 2.0);
        // Half-way through the next interval: half the previous one still counts.
        assert_eq!(c.hit(1, w, t0 + Duration::from_secs(15)), 2.0);
        // Two intervals later nothing of them counts.
        assert_eq!(c.hit(1, w, t0 + Duration::from_secs(40)), 1.0);
        assert_eq!(c.hit(2, w, t0 + Duration::from_secs(40)), 1.0);
        // Full of active keys: a third goes to the sketch.
        assert_eq!(c.hit(3, w, t0 + Duration::from_secs(41)), 1.0);
        assert_eq!((c.tracked(), c.overflowed()), (2, 1));
        // Once their intervals are over, the sweep makes room and key 3 is counted exactly.
        assert_eq!(c.hit(3, w, t0 + Duration::from_secs(70)), 1.0);
        assert_eq!((c.tracked(), c.overflowed()), (1, 1));
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
