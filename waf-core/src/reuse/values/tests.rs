//! Tests of the value cache and the per-request memo.

use super::*;

/// Whether the cache finds `value` clean.
fn clean(c: &mut ValueCache, site: Option<u64>, loc: Location, name: &str, value: &str) -> bool {
    matches!(c.probe(site, loc, name, value), Probe::Clean)
}

/// Records `value` as the proxy does, after a miss; false when the cache does not keep it.
fn keep(c: &mut ValueCache, site: Option<u64>, loc: Location, name: &str, value: &str) -> bool {
    match c.probe(site, loc, name, value) {
        Probe::NotKept => false,
        Probe::Clean => true,
        Probe::Miss(m) => {
            c.record(m, site, loc, name, value);
            true
        }
    }
}

/// The short table holds a value exactly: a change to any one byte, at any length up to
/// the limit and past it, is another value; and clearing forgets, even across the
/// generation counter's wrap.
#[test]
fn short_values_are_held_exactly() {
    let mut m = CleanMemo::default();
    for len in 1..=SHORT + 2 {
        let v: String = (0..len)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        m.clear();
        m.record(Location::BodyArg, &v);
        assert!(m.is_clean(Location::BodyArg, &v), "{v}");
        assert!(!m.is_clean(Location::BodyArgName, &v), "{v}");
        for p in 0..len {
            let mut w = v.clone().into_bytes();
            w[p] = b'Z';
            let w = String::from_utf8(w).unwrap_or_default();
            assert!(!m.is_clean(Location::BodyArg, &w), "{v} vs {w}");
        }
        assert!(!m.is_clean(Location::BodyArg, &v[..len - 1]), "{v}");
    }
    // More short values than slots: those whose slot was taken are kept all the same.
    m.clear();
    let many: Vec<String> = (0..1000).map(|i| format!("k{i}")).collect();
    for v in &many {
        m.record(Location::BodyArgName, v);
    }
    for v in &many {
        assert!(m.is_clean(Location::BodyArgName, v), "{v}");
    }
    assert!(!m.is_clean(Location::BodyArgName, "k1000"));
    m.generation = u32::MAX;
    m.record(Location::BodyArg, "blue");
    m.clear();
    assert_eq!(m.generation, 1);
    assert!(!m.is_clean(Location::BodyArg, "blue"));
}

#[test]
fn remembers_per_location_and_forgets_on_clear() {
    let mut m = CleanMemo::default();
    assert!(!m.is_clean(Location::BodyArg, "blue"));
    m.record(Location::BodyArg, "blue");
    m.record(Location::BodyArg, "sale");
    assert!(m.is_clean(Location::BodyArg, "blue"));
    assert!(m.is_clean(Location::BodyArg, "sale"));
    assert!(!m.is_clean(Location::QueryArg, "blue"));
    assert!(!m.is_clean(Location::BodyArg, "blu"));
    m.clear();
    assert!(!m.is_clean(Location::BodyArg, "blue"));
    // Every length class of the hash: empty, 1-3, 4-7, whole words, a partial last word.
    let sizes = [
        "",
        "a",
        "ab",
        "abc",
        "abcd",
        "abcdefg",
        "abcdefgh",
        "abcdefghi",
    ];
    for v in sizes {
        m.record(Location::Cookie, v);
    }
    for v in sizes {
        assert!(m.is_clean(Location::Cookie, v), "{v:?}");
    }
    assert!(!m.is_clean(Location::Cookie, "ac"));
    assert!(!m.is_clean(Location::Cookie, "abcdefgi"));
    let long = "x".repeat(MAX_VALUE + 1);
    m.record(Location::Body, &long);
    assert!(!m.is_clean(Location::Body, &long));
}

#[test]
fn cache_keys_on_site_location_header_and_policy() {
    let mut c = ValueCache::with_capacity(64);
    c.sync(1);
    let ua = "Mozilla/5.0 (X11; Linux x86_64)";
    assert!(!clean(&mut c, None, Location::Header, "user-agent", ua));
    assert!(keep(&mut c, None, Location::Header, "user-agent", ua));
    // Outside any site is not the site whose id would hash alike.
    assert!(!clean(
        &mut c,
        Some(u64::MAX),
        Location::Header,
        "user-agent",
        ua
    ));
    assert!(clean(&mut c, None, Location::Header, "user-agent", ua));
    // Another header, site, location or value is another key.
    assert!(!clean(&mut c, None, Location::Header, "referer", ua));
    assert!(!clean(&mut c, Some(7), Location::Header, "user-agent", ua));
    assert!(!clean(&mut c, None, Location::Cookie, "", ua));
    assert!(!clean(
        &mut c,
        None,
        Location::Header,
        "user-agent",
        &ua[1..]
    ));
    // The name and value boundary is part of the key.
    assert!(keep(&mut c, None, Location::Header, "ab", "c"));
    assert!(!clean(&mut c, None, Location::Header, "a", "bc"));
    // A new policy forgets everything; the same one keeps it.
    c.sync(1);
    assert!(clean(&mut c, None, Location::Header, "user-agent", ua));
    c.sync(2);
    assert!(!clean(&mut c, None, Location::Header, "user-agent", ua));
    // Long values are not kept; capacity 0 keeps nothing.
    let long = "y".repeat(CACHE_VALUE + 1);
    assert!(!keep(&mut c, None, Location::QueryArg, "", &long));
    let mut off = ValueCache::with_capacity(0);
    assert!(!keep(&mut off, None, Location::QueryArg, "", "blue"));
    assert!(!clean(&mut off, None, Location::QueryArg, "", "blue"));
}

#[test]
fn a_set_holds_its_ways_then_the_oldest_entry_goes() {
    // One set: every value shares it.
    let mut c = ValueCache::with_capacity(WAYS);
    c.sync(1);
    let values: Vec<String> = (0..WAYS).map(|i| format!("v{i}")).collect();
    for v in &values {
        assert!(keep(&mut c, None, Location::QueryArg, "", v));
    }
    for v in &values {
        assert!(clean(&mut c, None, Location::QueryArg, "", v), "{v}");
    }
    // One more replaces the oldest, and only it.
    assert!(keep(&mut c, None, Location::QueryArg, "", "new"));
    assert!(clean(&mut c, None, Location::QueryArg, "", "new"));
    assert!(!clean(&mut c, None, Location::QueryArg, "", &values[0]));
    for v in &values[1..] {
        assert!(clean(&mut c, None, Location::QueryArg, "", v), "{v}");
    }
}

#[test]
fn the_guessed_slot_is_confirmed_like_any_other() {
    let mut c = ValueCache::with_capacity(64);
    c.sync(1);
    for v in ["a", "b", "c"] {
        assert!(keep(&mut c, None, Location::QueryArg, "", v));
    }
    // In the same order, each value is the guess after the one before.
    c.sync(1);
    for v in ["a", "b", "c"] {
        assert!(clean(&mut c, None, Location::QueryArg, "", v), "{v}");
    }
    // After `a` the guess holds `b`: another site, location or value is not taken for it.
    for (site, loc, v) in [
        (Some(1), Location::QueryArg, "b"),
        (None, Location::BodyArg, "b"),
        (None, Location::QueryArg, "bb"),
        (None, Location::QueryArg, ""),
    ] {
        c.sync(1);
        assert!(clean(&mut c, None, Location::QueryArg, "", "a"));
        assert!(!clean(&mut c, site, loc, "", v), "{site:?} {loc:?} {v}");
    }
    // Out of order, values are still found by their hash.
    c.sync(1);
    for v in ["c", "a", "b"] {
        assert!(clean(&mut c, None, Location::QueryArg, "", v), "{v}");
    }
    // A new policy forgets the guesses with the values.
    c.sync(2);
    assert!(!clean(&mut c, None, Location::QueryArg, "", "a"));
}

#[test]
fn pairs_are_keys_of_their_own() {
    let mut c = ValueCache::with_capacity(64);
    c.sync(1);
    let Probe::Miss(m) = c.probe_pair(None, Location::BodyArg, "a=x+y") else {
        panic!("an empty cache knows no pair");
    };
    c.record_pair(m, None, Location::BodyArg, "a=x+y");
    assert!(matches!(
        c.probe_pair(None, Location::BodyArg, "a=x+y"),
        Probe::Clean
    ));
    // Not the same text as a value, nor the pair in the query or in another site.
    assert!(!clean(&mut c, None, Location::BodyArg, "", "a=x+y"));
    for (site, loc) in [(None, Location::QueryArg), (Some(3), Location::BodyArg)] {
        assert!(matches!(c.probe_pair(site, loc, "a=x+y"), Probe::Miss(_)));
    }
    // Long pairs are not kept.
    let long = format!("a={}", "y".repeat(CACHE_VALUE));
    assert!(matches!(
        c.probe_pair(None, Location::BodyArg, &long),
        Probe::NotKept
    ));
}

/// A form sent again: after its first pair is found, the rest follow from the guesses,
/// exactly (whole pieces, same site and location, `&&` skipped), and the chain then goes on
/// as if each pair had been probed in turn.
#[test]
fn runs_of_pairs_follow_the_guesses_exactly() {
    let mut c = ValueCache::with_capacity(64);
    let form = ["a=1", "b=2", "c=x+y", "d=4"];
    c.sync(1);
    for p in form {
        let Probe::Miss(m) = c.probe_pair(None, Location::BodyArg, p) else {
            panic!("new pair {p}");
        };
        c.record_pair(m, None, Location::BodyArg, p);
    }
    let run = |c: &mut ValueCache, site: Option<u64>, loc: Location, rest: &str| {
        c.sync(1);
        assert!(matches!(
            c.probe_pair(None, Location::BodyArg, "a=1"),
            Probe::Clean
        ));
        c.follow_pairs(site, loc, rest)
    };
    assert_eq!(
        run(&mut c, None, Location::BodyArg, "b=2&&c=x+y&d=4"),
        (14, 3)
    );
    // The run stops before a pair the cache does not hold, which is then probed as usual.
    assert_eq!(
        run(&mut c, None, Location::BodyArg, "b=2&c=x+y&e=5"),
        (9, 2)
    );
    assert!(matches!(
        c.probe_pair(None, Location::BodyArg, "e=5"),
        Probe::Miss(_)
    ));
    // A piece that only starts like the held pair, or another value, ends the run there.
    assert_eq!(
        run(&mut c, None, Location::BodyArg, "b=2&c=x+yz&d=4"),
        (3, 1)
    );
    assert_eq!(run(&mut c, None, Location::BodyArg, "b=22&c=x+y"), (0, 0));
    assert_eq!(run(&mut c, None, Location::BodyArg, "b=2"), (3, 1));
    assert_eq!(run(&mut c, None, Location::BodyArg, ""), (0, 0));
    // Pairs of another site or location are not these.
    assert_eq!(run(&mut c, Some(7), Location::BodyArg, "b=2&c=x+y"), (0, 0));
    assert_eq!(run(&mut c, None, Location::QueryArg, "b=2&c=x+y"), (0, 0));
    // Nothing to follow at the start of a request, or under another policy.
    c.sync(1);
    assert_eq!(c.follow_pairs(None, Location::BodyArg, "a=1&b=2"), (0, 0));
    c.sync(2);
    assert_eq!(c.follow_pairs(None, Location::BodyArg, "b=2&c=x+y"), (0, 0));
}

#[test]
fn cache_stays_bounded_under_many_distinct_values() {
    let mut c = ValueCache::with_capacity(100);
    assert_eq!(c.slots.len(), 128);
    for i in 0..10_000 {
        keep(&mut c, None, Location::QueryArg, "", &format!("value-{i}"));
    }
    assert_eq!(c.slots.len(), 128);
    assert!(c.slots.iter().all(|s| s.key.len() <= CACHE_VALUE * 2));
    // The latest value is still there.
    assert!(clean(&mut c, None, Location::QueryArg, "", "value-9999"));
}
