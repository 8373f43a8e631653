//! Request bodies held back from the origin until they are inspected.

use bytes::{Bytes, BytesMut};

/// The chunks of a body received so far. Most bodies arrive in one chunk: that chunk is kept as
/// it came (no copy, no allocation) and forwarded as it is; a second chunk starts a buffer.
#[derive(Debug, Default)]
pub enum HeldBody {
    /// Nothing received yet.
    #[default]
    Empty,
    /// One chunk.
    One(Bytes),
    /// Several chunks, joined.
    Joined(BytesMut),
}

impl HeldBody {
    /// Adds a chunk.
    pub fn push(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        *self = match std::mem::take(self) {
            HeldBody::Empty => HeldBody::One(chunk),
            HeldBody::One(first) => {
                let mut joined = BytesMut::with_capacity(first.len() + chunk.len());
                joined.extend_from_slice(&first);
                joined.extend_from_slice(&chunk);
                HeldBody::Joined(joined)
            }
            HeldBody::Joined(mut joined) => {
                joined.extend_from_slice(&chunk);
                HeldBody::Joined(joined)
            }
        };
    }

    /// The bytes held.
    pub fn bytes(&self) -> &[u8] {
        match self {
            HeldBody::Empty => &[],
            HeldBody::One(b) => b,
            HeldBody::Joined(b) => b,
        }
    }

    /// The bytes held, to forward.
    pub fn into_bytes(self) -> Bytes {
        match self {
            HeldBody::Empty => Bytes::new(),
            HeldBody::One(b) => b,
            HeldBody::Joined(b) => b.freeze(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_chunk_is_kept_as_it_came_and_more_are_joined_in_order() {
        let mut h = HeldBody::default();
        assert!(h.bytes().is_empty());
        let first = Bytes::from_static(b"a=1");
        h.push(first.clone());
        h.push(Bytes::new());
        assert!(matches!(&h, HeldBody::One(b) if b.as_ptr() == first.as_ptr()));
        h.push(Bytes::from_static(b"&b=2"));
        h.push(Bytes::from_static(b"&c=3"));
        assert_eq!(h.bytes(), b"a=1&b=2&c=3");
        assert_eq!(&h.into_bytes()[..], b"a=1&b=2&c=3");
        assert!(HeldBody::default().into_bytes().is_empty());
    }
}
