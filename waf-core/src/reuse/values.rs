//! The memos of values already found clean, so that a value is decoded and scanned once:
//!
//! - [`CleanMemo`], per request: a value repeated within one request (a tag, a status or a
//!   comment in every element of a JSON array, a form key). `cargo bench -p waf-bench --bench
//!   engine -- inspect/json_post_64k` (about 4,000 values, most of them repeated) justifies it.
//! - [`ValueCache`], across the requests of one worker: the values real clients send again and
//!   again (their User-Agent, Accept-Language and cookies on every request, popular query values
//!   and form fields). Bounded, confirmed byte for byte, and emptied when the policy changes.
//!   Query and form pairs are also kept whole and undecoded (`q=red+shoes`), so that a pair
//!   seen before costs one lookup instead of two decodings and two lookups.
//!
//! Only *clean* results are kept: a detection is never cached, so a cached value is one the
//! engine itself passed under the same rules. A value is only a key together with its location
//! (and its header name, for headers), and only while the rules active for a value do not depend
//! on the parameter's name or the path (no exclusion on the request's path): [`super::Reuse`]
//! decides that.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use crate::request::Location;

/// Longest value remembered.
const MAX_VALUE: usize = 1024;
/// Most bytes remembered per request.
const MAX_ARENA: usize = 256 * 1024;

/// Clean values of the current request. Values of at most [`SHORT`] bytes (JSON keys, tags,
/// statuses: most of what repeats in a body) are held whole, as two words, in a small
/// direct-mapped table: a lookup is one multiply and one compare of three words, no hashing of
/// bytes and no `memcmp`. Longer values, and short ones whose slot another value of the request
/// took first: their bytes in one arena, indexed by a keyed hash (no
/// flooding by crafted collisions, and every hit is confirmed by comparing the bytes). Cleared,
/// not freed, between requests: no allocation once warm.
pub(crate) struct CleanMemo {
    seed: u64,
    arena: String,
    /// Hash of location and value -> (start, length) in `arena`.
    index: HashMap<u64, (u32, u32), BuildHasherDefault<Passthrough>>,
    /// Short values, by a keyed hash of their words; an entry of an earlier request (another
    /// `generation`) is empty. A value whose slot is already taken in this request is kept in
    /// the map with the long values.
    short: Box<[Short]>,
    generation: u32,
    /// Whether a short value went to the map in this request (its slot was taken): only then
    /// does a short value missing from the table need a look in the map.
    spilled: bool,
}

/// Longest value held in [`CleanMemo`]'s short table.
const SHORT: usize = 16;
/// Entries of the short table (a power of two).
const SHORT_SLOTS: usize = 256;

/// A short value, exactly: its length and location in `tag` and its bytes in two words (see
/// [`short_words`]).
#[derive(Clone, Copy, Default)]
struct Short {
    lo: u64,
    hi: u64,
    tag: u32,
    generation: u32,
}

/// Two words that, with the length, determine a value of at most [`SHORT`] bytes: its first and
/// last eight bytes (overlapping when shorter than 16), its first and last four when shorter
/// than eight, its first, middle and last byte when shorter than four. Below eight bytes both
/// fit in 32 bits: [`keyed_hash`] reads short values the same way.
fn short_words(v: &[u8]) -> (u64, u64) {
    let n = v.len();
    if n >= 8 {
        (word(v), word(&v[n - 8..]))
    } else if n >= 4 {
        let lo = u32::from_le_bytes([v[0], v[1], v[2], v[3]]);
        let hi = u32::from_le_bytes([v[n - 4], v[n - 3], v[n - 2], v[n - 1]]);
        (u64::from(lo), u64::from(hi))
    } else if n > 0 {
        (
            u64::from(v[0]) | u64::from(v[n / 2]) << 8 | u64::from(v[n - 1]) << 16,
            0,
        )
    } else {
        (0, 0)
    }
}

impl Default for CleanMemo {
    fn default() -> Self {
        CleanMemo {
            // A per-instance random key (std's per-process random state, mixed).
            seed: RandomState::new().hash_one(0x5eed_u64) | 1,
            arena: String::new(),
            index: HashMap::default(),
            short: vec![Short::default(); SHORT_SLOTS].into_boxed_slice(),
            generation: 1,
            spilled: false,
        }
    }
}

/// The map's keys are already keyed hashes: used as they are.
#[derive(Default)]
struct Passthrough(u64);

impl Hasher for Passthrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Odd mixing constant of [`keyed_hash`] and the short table's index (the golden ratio).
const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// Folded 64x64->128 multiply, the mixing step of foldhash/wyhash.
fn fold(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

/// A keyed hash of `loc` and `value`, eight bytes per step. Not cryptographic: the seed keeps
/// collisions from being chosen, and a collision only costs a rescan (entries are confirmed by
/// their bytes). Not SipHash: it is on the path of every value.
///
/// The last partial word is read as the value's last eight bytes (overlapping the previous
/// word), and values shorter than eight bytes as two overlapping halves, as wyhash does: copying
/// the remainder into a zeroed buffer was a `memcpy` call per value.
fn keyed_hash(seed: u64, loc: u8, value: &[u8]) -> u64 {
    let n = value.len();
    let mut h = fold(seed ^ (n as u64), K ^ u64::from(loc));
    let tail = if n >= 8 {
        let mut chunks = value.chunks_exact(8);
        for c in &mut chunks {
            h = fold(h ^ word(c), K);
        }
        if chunks.remainder().is_empty() {
            return fold(h, seed);
        }
        word(&value[n - 8..])
    } else {
        // Shorter than a word: both words of `short_words` fit in one.
        let (lo, hi) = short_words(value);
        lo << 32 | hi
    };
    fold(fold(h ^ tail, K ^ seed), seed)
}

/// Eight bytes of `c` (at least eight long) as a little-endian word.
fn word(c: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&c[..8]);
    u64::from_le_bytes(w)
}

/// Longest value the cross-request cache keeps (longer values rarely repeat across requests).
const CACHE_VALUE: usize = 256;
/// Entries of the cross-request cache by default: at most 2 MiB per worker thread (a slot keeps
/// a header name and a value of at most 256 bytes each), about 1 MiB with typical values.
pub(crate) const CACHE_ENTRIES: usize = 4096;

/// Places per set of [`ValueCache`]'s index: a value may be indexed in any place of its set, so
/// that the few values of a worker's traffic whose hashes share a set do not evict each other on
/// every request. With one place per set (direct mapping), about 3 of the 150 fields of the load
/// benchmark's form (bench/load/post4k.lua) collided and were decoded and scanned again on every
/// request.
const WAYS: usize = 4;

/// One entry of [`ValueCache`]: the header name and the value, back to back in `key`.
#[derive(Default)]
struct Slot {
    /// The [`ValueCache::generation`] it was filled in; an entry of an earlier one is void.
    generation: u64,
    /// Its place in the index.
    place: u32,
    site: Option<u64>,
    loc: u8,
    name_len: u32,
    /// The entry found or filled right after this one, the last time this one was: the guess for
    /// the next lookup (see [`ValueCache::probe`]).
    next: Option<u32>,
    key: String,
}

impl Slot {
    #[inline]
    fn holds(&self, generation: u64, site: Option<u64>, loc: u8, name: &str, value: &str) -> bool {
        let key = self.key.as_bytes();
        self.generation == generation
            && self.site == site
            && self.loc == loc
            && self.name_len as usize == name.len()
            && key.len() == name.len() + value.len()
            && (name.is_empty() || key[..name.len()] == *name.as_bytes())
            && key[name.len()..] == *value.as_bytes()
    }
}

/// Values found clean in earlier requests of this worker: [`CACHE_ENTRIES`] entries, filled in
/// turn (the oldest is replaced), and an index of as many places in sets of [`WAYS`] (a new value
/// takes a free place of its set, else one in turn), keyed by a keyed hash of the site, location,
/// header name and value and confirmed by comparing the bytes. Filling entries in turn keeps the
/// values of one request next to each other in memory, in the order they came, which is the
/// order the next such request reads them in (and the guesses follow). Emptied when the policy
/// changes; no allocation once its entries have grown. Capacity 0 disables it.
pub(crate) struct ValueCache {
    seed: u64,
    policy: u64,
    /// Counts the policies seen: an entry filled under an earlier one is void.
    generation: u64,
    /// Per place of the index, the hash of the value indexed there (never 0); 0 for a free
    /// place. A set's hashes are compared before any entry is read.
    hashes: Vec<u64>,
    /// Per place of the index, the entry it points to.
    index: Vec<u32>,
    slots: Vec<Slot>,
    /// The entry filled next.
    cursor: usize,
    /// Number of sets, less one.
    mask: usize,
    /// Turns through the ways for replacements.
    clock: usize,
    /// The entry of the last value of this request found or recorded, if any.
    last: Option<usize>,
}

impl ValueCache {
    /// A cache of `entries` entries, rounded up to a power of two (and to one set); 0 disables
    /// it.
    pub(crate) fn with_capacity(entries: usize) -> Self {
        let n = if entries == 0 {
            0
        } else {
            entries.next_power_of_two().max(WAYS)
        };
        let mut slots = Vec::new();
        slots.resize_with(n, Slot::default);
        ValueCache {
            seed: RandomState::new().hash_one(0xcace_u64) | 1,
            policy: 0,
            generation: 1,
            hashes: vec![0; n],
            index: vec![0; n],
            slots,
            cursor: 0,
            mask: (n / WAYS).saturating_sub(1),
            clock: 0,
            last: None,
        }
    }

    /// Starts a request (or one of its passes): forgets every value if they were found under
    /// another policy than `policy`.
    pub(crate) fn sync(&mut self, policy: u64) {
        if self.policy != policy {
            self.hashes.fill(0);
            self.policy = policy;
            self.generation += 1;
        }
        self.last = None;
    }

    /// The first place of the set of hash `h`.
    fn set(&self, h: u64) -> usize {
        (h as usize & self.mask) * WAYS
    }

    fn hash(&self, site: Option<u64>, tag: u8, name: &str, value: &str) -> u64 {
        // Only spreads the sites over the sets: `holds` compares the site itself.
        let spread = site.map_or(0, |id| id.wrapping_add(1));
        let h = keyed_hash(self.seed ^ spread, tag, value.as_bytes());
        if name.is_empty() {
            h
        } else {
            fold(h ^ keyed_hash(self.seed, 0xff, name.as_bytes()), self.seed)
        }
    }

    /// Looks `value` (under header `name`, for headers; else "") up at `loc` for `site` (its id;
    /// `None` for requests outside any site): found clean in an earlier request, not there, or
    /// not kept by this cache at all (off, or too long), when the caller needs another memo.
    /// Inlined for the early return, which the JSON body of `cargo bench -p waf-bench --bench
    /// engine -- uncached/json_post_64k` takes 4,778 times a request.
    ///
    /// Values tend to come in the order they came before (a client's headers, the fields of a
    /// form): the entry that followed the previous value's entry last time is compared first,
    /// byte for byte, and when it holds this value no hash is computed and no set is searched.
    #[inline]
    pub(crate) fn probe(
        &mut self,
        site: Option<u64>,
        loc: Location,
        name: &str,
        value: &str,
    ) -> Probe {
        self.probe_tagged(site, loc as u8, name, value)
    }

    /// Looks up an undecoded query or form pair (`name=value`) whose value goes to `loc`:
    /// [`Probe::Clean`] when both of its fields passed in an earlier request. Pairs live beside
    /// single values under tags of their own, so `a=1` the pair is never `a=1` the value.
    #[inline]
    pub(crate) fn probe_pair(&mut self, site: Option<u64>, loc: Location, raw: &str) -> Probe {
        self.probe_tagged(site, PAIR_TAG | loc as u8, "", raw)
    }

    /// Whether the cache keeps anything at all (capacity above 0).
    #[inline]
    pub(crate) fn enabled(&self) -> bool {
        !self.slots.is_empty()
    }

    /// The early return inlined (a cache that is off, a value too long); the lookup not.
    #[inline]
    fn probe_tagged(&mut self, site: Option<u64>, tag: u8, name: &str, value: &str) -> Probe {
        if self.slots.is_empty() || value.len() > CACHE_VALUE || name.len() > CACHE_VALUE {
            return Probe::NotKept;
        }
        self.lookup(site, tag, name, value)
    }

    /// The guess, then the set of the value's hash.
    #[inline(never)]
    fn lookup(&mut self, site: Option<u64>, tag: u8, name: &str, value: &str) -> Probe {
        let generation = self.generation;
        if let Some(g) = self.last.and_then(|l| self.slots[l].next) {
            let g = g as usize;
            if self.slots[g].holds(generation, site, tag, name, value) {
                self.last = Some(g);
                return Probe::Clean;
            }
        }
        // Never 0, the mark of a free place.
        let h = self.hash(site, tag, name, value) | 1 << 63;
        let set = self.set(h);
        for place in set..set + WAYS {
            if self.hashes[place] == h {
                let e = self.index[place] as usize;
                if self.slots[e].holds(generation, site, tag, name, value) {
                    self.follows(e);
                    return Probe::Clean;
                }
            }
        }
        Probe::Miss(Miss(h))
    }

    /// The known pairs at the start of `rest` (the undecoded remainder of a query or form
    /// whose values go to `loc`), found by following the guesses alone: while the entry that
    /// followed the previous one last time holds, as a pair of this site and location, exactly
    /// the next piece of `rest`, that piece is a known pair. Returns the bytes they cover (up
    /// to the `&` after the last) and their number; the guess chain moves along with them, as
    /// [`ValueCache::probe_pair`] would have moved it one pair at a time. Stops at the first
    /// piece the guess does not hold (it then goes through `probe_pair`, hash and all).
    pub(crate) fn follow_pairs(
        &mut self,
        site: Option<u64>,
        loc: Location,
        rest: &str,
    ) -> (usize, usize) {
        let tag = PAIR_TAG | loc as u8;
        let b = rest.as_bytes();
        let (mut at, mut end, mut pairs) = (0, 0, 0);
        while let Some(g) = self.last.and_then(|l| self.slots.get(l)?.next) {
            while b.get(at) == Some(&b'&') {
                at += 1;
            }
            let Some(slot) = self.slots.get(g as usize) else {
                break;
            };
            let key = slot.key.as_bytes();
            let stop = at + key.len();
            // A pair entry has no name part, and its key is a whole non-empty piece (no `&`).
            // `Slot::holds` written out over bytes: through it, a `str` slice of `rest` and the
            // name compare would be paid on every pair of a cached form.
            let held = slot.generation == self.generation
                && slot.site == site
                && slot.loc == tag
                && slot.name_len == 0
                && !key.is_empty()
                && b.get(at..stop) == Some(key)
                && b.get(stop).is_none_or(|&c| c == b'&');
            if !held {
                break;
            }
            pairs += 1;
            at = stop;
            end = stop;
            self.last = Some(g as usize);
        }
        (end, pairs)
    }

    /// Entry `e` was found or filled: it is the guess after the previous one next time.
    fn follows(&mut self, e: usize) {
        if let Some(l) = self.last {
            self.slots[l].next = Some(e as u32);
        }
        self.last = Some(e);
    }

    /// Records as clean the value that [`ValueCache::probe`] missed with the same arguments.
    pub(crate) fn record(
        &mut self,
        miss: Miss,
        site: Option<u64>,
        loc: Location,
        name: &str,
        value: &str,
    ) {
        self.record_tagged(miss, site, loc as u8, name, value);
    }

    /// Records as clean the pair that [`ValueCache::probe_pair`] missed with the same arguments.
    pub(crate) fn record_pair(&mut self, miss: Miss, site: Option<u64>, loc: Location, raw: &str) {
        self.record_tagged(miss, site, PAIR_TAG | loc as u8, "", raw);
    }

    fn record_tagged(&mut self, miss: Miss, site: Option<u64>, tag: u8, name: &str, value: &str) {
        let Miss(h) = miss;
        // The oldest entry goes: its place in the index is freed first, if it still has it.
        let e = self.cursor;
        self.cursor = (self.cursor + 1) % self.slots.len();
        let old = &self.slots[e];
        let old_place = old.place as usize;
        if old.generation == self.generation
            && self.hashes[old_place] != 0
            && self.index[old_place] as usize == e
        {
            self.hashes[old_place] = 0;
        }
        let set = self.set(h);
        let way = match self.hashes[set..set + WAYS]
            .iter()
            .position(|&held| held == 0)
        {
            Some(free) => free,
            None => {
                self.clock = self.clock.wrapping_add(1);
                self.clock % WAYS
            }
        };
        let place = set + way;
        self.hashes[place] = h;
        self.index[place] = e as u32;
        let generation = self.generation;
        let slot = &mut self.slots[e];
        slot.generation = generation;
        slot.place = place as u32;
        slot.site = site;
        slot.loc = tag;
        slot.name_len = name.len() as u32;
        slot.next = None;
        slot.key.clear();
        slot.key.push_str(name);
        slot.key.push_str(value);
        self.follows(e);
    }
}

/// Tag bit of undecoded pairs in [`ValueCache`] (a [`Location`] is a small number).
const PAIR_TAG: u8 = 0x80;

/// What [`ValueCache::probe`] found.
pub(crate) enum Probe {
    /// The cache does not keep this value.
    NotKept,
    /// Found clean in an earlier request.
    Clean,
    /// Not there: once found clean, [`ValueCache::record`] it with this.
    Miss(Miss),
}

/// A value's place in the [`ValueCache`], from the [`ValueCache::probe`] that missed it (its
/// hash, computed once per lookup and record).
pub(crate) struct Miss(u64);

impl std::fmt::Debug for ValueCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValueCache")
            .field("slots", &self.slots.len())
            .field("indexed", &self.hashes.iter().filter(|&&h| h != 0).count())
            .finish()
    }
}

impl std::fmt::Debug for CleanMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CleanMemo")
            .field("values", &self.index.len())
            .field("bytes", &self.arena.len())
            .finish()
    }
}

impl CleanMemo {
    /// Forgets the previous request's values.
    pub(crate) fn clear(&mut self) {
        self.arena.clear();
        self.index.clear();
        self.spilled = false;
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Once in four billion requests: entries of generation 0 would look current.
            self.short.fill(Short::default());
            self.generation = 1;
        }
    }

    fn key(&self, loc: Location, value: &str) -> u64 {
        keyed_hash(self.seed, loc as u8, value.as_bytes())
    }

    /// The short table's entry for a value of at most [`SHORT`] bytes, as it would be stored.
    fn short_entry(&self, loc: Location, value: &str) -> (usize, Short) {
        let (lo, hi) = short_words(value.as_bytes());
        let tag = value.len() as u32 | u32::from(loc as u8) << 8;
        let h = fold(lo ^ self.seed, hi ^ u64::from(tag) ^ K);
        let slot = (h >> 56) as usize & (SHORT_SLOTS - 1);
        let entry = Short {
            lo,
            hi,
            tag,
            generation: self.generation,
        };
        (slot, entry)
    }

    /// Whether `value` at `loc` was recorded clean in this request.
    pub(crate) fn is_clean(&self, loc: Location, value: &str) -> bool {
        if value.len() <= SHORT {
            let (slot, e) = self.short_entry(loc, value);
            let s = self.short[slot];
            if s.lo == e.lo && s.hi == e.hi && s.tag == e.tag && s.generation == e.generation {
                return true;
            }
            // Not there, or its slot was taken first by another value: then it is in the map.
            if !self.spilled {
                return false;
            }
        }
        if value.len() > MAX_VALUE || self.index.is_empty() {
            return false;
        }
        match self.index.get(&self.key(loc, value)) {
            Some(&(start, len)) => {
                self.arena.get(start as usize..(start + len) as usize) == Some(value)
            }
            None => false,
        }
    }

    /// Records `value` at `loc` as clean (when it fits).
    pub(crate) fn record(&mut self, loc: Location, value: &str) {
        if value.len() <= SHORT {
            let (slot, e) = self.short_entry(loc, value);
            // First come, first kept: a value whose slot this request already gave to another
            // goes to the map below. Replacing would make two values that share a slot (about
            // one chance in six among ten JSON keys) evict each other at every occurrence.
            if self.short[slot].generation != self.generation {
                self.short[slot] = e;
                return;
            }
            self.spilled = true;
        }
        if value.len() > MAX_VALUE || self.arena.len() + value.len() > MAX_ARENA {
            return;
        }
        let key = self.key(loc, value);
        let start = self.arena.len() as u32;
        // A colliding different value keeps the first one's entry.
        self.index.entry(key).or_insert_with(|| {
            self.arena.push_str(value);
            (start, value.len() as u32)
        });
    }
}

#[cfg(test)]
mod tests;
