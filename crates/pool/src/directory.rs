//! The holder directory's storage: the recipient id stored inline in the holder record
//! ([`Recipient`]) and the (campaign, recipient) → holder index ([`HolderIndex`]).
//!
//! Why not `Box<str>` and a `hashbrown` table of ids (the first design)? A renewal at 1M
//! recipients is bound by random memory accesses, not by instructions: each one is a cache
//! miss and, with 4 KiB pages over a working set of hundreds of MB, a TLB miss too (roughly
//! 300 ns each on the 2-core benchmark VM, estimated from the profile). The first design
//! touched five random places per renewal: the table's control bytes, its id bucket (a
//! separate array), the holder record, the recipient's heap string and the association
//! interval. Here the recipient lives inside the record when it is at most [`INLINE`] bytes
//! (opaque tokens, short e-mail addresses; longer ids stay on the heap and cost the extra
//! access again; 22 keeps the record at 48 bytes, where 30 made it 56 and broke the memory
//! budget per lease at 10k recipients), and the index is one array of 8-byte slots holding a
//! 32-bit hash tag next to the id, so a look-up touches one slot line, then the record (which
//! confirms the key), then the interval: three places instead of five. `bench/pool`
//! measures the effect (`bench/pool/RESULTS.md`).
//!
//! The index is linear probing without deletion: holders are only ever added, and pruning
//! rebuilds the whole pool (and so the index) from a compacted snapshot.

use std::fmt;
use std::hash::BuildHasher;

use foldhash::fast::FixedState;

/// Longest recipient id stored inline in the holder record (bytes).
pub(crate) const INLINE: usize = 22;

/// A recipient id: inline when short, boxed otherwise. Dereferences to `str`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Recipient {
    /// Up to [`INLINE`] bytes of UTF-8, `len` of them used.
    Inline { len: u8, bytes: [u8; INLINE] },
    /// A longer id.
    Heap(Box<str>),
}

impl Recipient {
    pub(crate) fn new(s: &str) -> Self {
        if s.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Self::Inline {
                len: s.len() as u8,
                bytes,
            }
        } else {
            Self::Heap(s.into())
        }
    }

    /// The raw bytes (compared without UTF-8 validation).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Self::Heap(s) => s.as_bytes(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Always valid: the bytes were copied from a `&str` and never modified.
            Self::Inline { .. } => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            Self::Heap(s) => s,
        }
    }
}

impl std::ops::Deref for Recipient {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

const HASH_SEED: u64 = 0x686f_6c64_6572_7321; // "holders!"

/// Hash of a holder key; the index keeps its top 32 bits as the tag and probes from the rest.
pub(crate) fn key_hash(campaign: u32, recipient: &[u8]) -> u64 {
    FixedState::with_seed(HASH_SEED).hash_one((campaign, recipient))
}

/// Empty slot marker (an id of `u32::MAX` is never stored: ids are below `NONE`).
const EMPTY: u64 = u64::MAX;

/// Open-addressing index of holder ids: each slot is `tag << 32 | id`.
#[derive(Clone, Debug, Default)]
pub(crate) struct HolderIndex {
    slots: Vec<u64>,
    len: usize,
}

impl HolderIndex {
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The id whose key hashes to `hash` and for which `eq` holds.
    #[inline]
    pub(crate) fn find(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let tag = hash >> 32;
        let mask = self.mask();
        let mut i = hash as usize & mask;
        loop {
            let e = self.slots[i];
            if e == EMPTY {
                return None;
            }
            if e >> 32 == tag && eq(e as u32) {
                return Some(e as u32);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `id` under `hash` (the caller checked it is absent). `rehash` gives the hash of
    /// a stored id when the index grows.
    pub(crate) fn insert(&mut self, hash: u64, id: u32, rehash: impl Fn(u32) -> u64) {
        // Grow at 3/4 load: linear probing stays short and the slots stay at 8-16 B per holder.
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            let cap = (self.slots.len() * 2).max(16);
            let old = std::mem::replace(&mut self.slots, vec![EMPTY; cap]);
            for e in old.into_iter().filter(|&e| e != EMPTY) {
                self.place(rehash(e as u32), e as u32);
            }
        }
        self.place(hash, id);
        self.len += 1;
    }

    fn place(&mut self, hash: u64, id: u32) {
        let mask = self.mask();
        let mut i = hash as usize & mask;
        while self.slots[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = (hash >> 32) << 32 | u64::from(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipient_round_trips_inline_and_boxed() {
        for s in [
            "",
            "a",
            "rcpt-00000000000000ff",
            &"é".repeat(15),
            &"x".repeat(31),
        ] {
            let r = Recipient::new(s);
            assert_eq!(r.as_str(), s);
            assert_eq!(r.as_bytes(), s.as_bytes());
            assert_eq!(matches!(r, Recipient::Inline { .. }), s.len() <= INLINE);
        }
        assert_eq!(std::mem::size_of::<Recipient>(), 24);
        // The memory budget per lease (bench/pool) depends on this record staying at 48 bytes.
        assert_eq!(std::mem::size_of::<crate::pool::HolderRec>(), 48);
    }

    #[test]
    fn index_finds_every_id_and_only_them() {
        let keys: Vec<String> = (0..5_000).map(|i| format!("r{i}")).collect();
        let hash = |id: u32| key_hash(id % 3, keys[id as usize].as_bytes());
        let mut index = HolderIndex::default();
        for id in 0..keys.len() as u32 {
            assert_eq!(index.find(hash(id), |x| x == id), None);
            index.insert(hash(id), id, hash);
        }
        for id in 0..keys.len() as u32 {
            assert_eq!(index.find(hash(id), |x| x == id), Some(id));
        }
        assert_eq!(index.find(key_hash(7, b"absent"), |_| true), None);
        assert!(index.slots.len() * 3 >= keys.len() * 4);
    }
}
