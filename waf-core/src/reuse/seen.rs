//! [`Seen`]: the fields of one JSON body that passed, so that a field repeated in the body is
//! handed to the engine once.

use crate::request::Location;

/// Keys and values of a JSON body that passed the visitor, for a request whose verdict on a
/// field does not depend on its name (reuse is not [`super::Reuse::Off`]): a field seen again is
/// then not handed to it. Arrays of records repeat their keys in every
/// element, and often values (a tag, an author); on `cargo bench -p waf-bench --bench engine --
/// uncached/json_post_64k` three fields in four are repeats. Direct-mapped on the length and a
/// few bytes, holding each field as its place in the text (escaped strings, which live in a
/// buffer, are not kept): a lookup is a few loads and one comparison of the bytes, much less
/// than a visit the visitor's own memo answers.
pub(crate) struct Seen {
    /// Whether repeats may be skipped at all.
    on: bool,
    /// Per slot: start in the text, length, and location (`u32::MAX` start: empty).
    slots: [(u32, u32, Location); SEEN_SLOTS],
}

/// Slots of [`Seen`].
const SEEN_SLOTS: usize = 128;

/// Longest field [`Seen`] keeps: longer ones are rare as repeats, and comparing them costs
/// more.
const SEEN_MAX: usize = 256;

impl Seen {
    /// Empty; `on` says whether repeats may be skipped at all.
    pub(crate) fn new(on: bool) -> Self {
        Seen {
            on,
            slots: [(u32::MAX, 0, Location::Body); SEEN_SLOTS],
        }
    }

    /// The slot of a field: its length, location, first, middle and last bytes, mixed.
    fn slot(loc: Location, v: &[u8]) -> usize {
        let n = v.len();
        let (first, mid, last) = match (v.first(), v.get(n / 2), v.last()) {
            (Some(&a), Some(&b), Some(&c)) => (a, b, c),
            _ => (0, 0, 0),
        };
        let h = (n as u32)
            ^ u32::from(loc as u8) << 8
            ^ u32::from(first) << 12
            ^ u32::from(mid) << 18
            ^ u32::from(last) << 24;
        (h.wrapping_mul(0x9e37_79b1) >> 25) as usize % SEEN_SLOTS
    }

    /// Whether `v` at `loc` passed earlier in `text`.
    #[inline(always)]
    pub(crate) fn holds(&self, text: &str, loc: Location, v: &str) -> bool {
        if !self.on {
            return false;
        }
        let (start, len, at) = self.slots[Self::slot(loc, v.as_bytes())];
        at == loc
            && len as usize == v.len()
            && text
                .as_bytes()
                .get(start as usize..start as usize + v.len())
                .is_some_and(|held| same(held, v.as_bytes()))
    }

    /// Notes that `v` at `loc`, a slice of `text`, passed.
    pub(crate) fn add(&mut self, text: &str, loc: Location, v: &str) {
        if !self.on || v.len() > SEEN_MAX {
            return;
        }
        // Only strings borrowed from the text: their offset in it.
        let off = (v.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
        if off > text.len() || text.len() - off < v.len() {
            return;
        }
        let Ok(start) = u32::try_from(off) else {
            return;
        };
        self.slots[Self::slot(loc, v.as_bytes())] = (start, v.len() as u32, loc);
    }
}

/// Whether `a` and `b` are equal: up to 16 bytes as two overlapping words each (most keys and
/// many values), inline, without a `memcmp` call. `values::short_words` reads short values the
/// same way; this copy is written out for the JSON walker, on whose path it is.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    let word = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    let half = |s: &[u8], at: usize| {
        s.get(at..at + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map(u32::from_le_bytes)
    };
    if b.len() != n {
        return false;
    }
    match n {
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::same;

    /// The word-wise comparison agrees with `==` for every length up to 40, a difference at
    /// every position, and different lengths.
    #[test]
    fn same_compares_every_byte() {
        for n in 0..40usize {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same(&a, &a.clone()), "{n}");
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x01;
                assert!(!same(&a, &b), "{n} {at}");
            }
            assert!(!same(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }
}
