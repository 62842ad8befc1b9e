//! A pool split into shards: which shard object a recipient's opens go to,
//! and what the shard objects are called.
//!
//! One Durable Object holds on the order of 200,000 recipients by its
//! memory, and keeps at most `max_holders` (60,000 by default;
//! docs/ARCHITECTURE.md, "Past one object"), so a pool configured with
//! `shards` S > 1 runs as S pool objects. A recipient always hashes to the
//! same shard ([`shard_of`]), so a re-open finds the same allocator and keeps
//! its number; every tracking number belongs to one shard for good (dealt by
//! the directory when the pool first claims it), so no number is leased
//! twice and a call to a pool number asks only its owner. S is fixed for a
//! pool's life: a new S would re-hash recipients and break stickiness.
//!
//! The hash is the one `bench/shard` simulated (and shares): FNV-1a 64 of the
//! recipient id, SplitMix64's finaliser (FNV-1a's low bits depend only on the
//! low bits of the input bytes), then multiply-shift onto `0..S`. It is
//! defined on bytes, the same on every platform and version.

/// Most shards a pool may have. 64 shards of the default `max_holders`
/// (60,000) keep every person of a send of about 9.6M recipients
/// (S ≥ R / 150,000): beyond any send this service is meant for.
pub const MAX_SHARDS: u32 = 64;

/// Whether `shards` is a shard count a pool may be configured with: a power
/// of two from 1 to [`MAX_SHARDS`]. Powers of two keep the rule of thumb
/// (S ≥ R / 150,000, rounded up) one of seven choices, and a later,
/// deliberate re-split could halve every shard without a full re-hash.
pub fn valid_shards(shards: u32) -> bool {
    shards.is_power_of_two() && shards <= MAX_SHARDS
}

/// The shard (`0..shards`) of a recipient: FNV-1a 64, SplitMix64's
/// finaliser, multiply-shift. `shards` 0 or 1: shard 0.
pub fn shard_of(recipient: &str, shards: u32) -> u32 {
    let mut h = recipient.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    // (h × S) >> 64 < S, so the cast cannot truncate.
    ((u128::from(h) * u128::from(shards.max(1))) >> 64) as u32
}

/// The Durable Object name of shard `shard` of `pool`: the pool's own name
/// when it has one shard (a pool configured before shards existed, or with
/// `shards` 1, keeps its object), `{pool}#{shard}` otherwise (`#` is never
/// in a pool id, so no shard name is another pool's).
pub fn object_name(pool: &str, shard: u32, shards: u32) -> String {
    if shards <= 1 {
        pool.to_owned()
    } else {
        format!("{pool}#{shard}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shard_is_the_pool_itself() {
        assert_eq!(object_name("spring", 0, 1), "spring");
        assert_eq!(object_name("spring", 3, 8), "spring#3");
        for r in ["a", "r-1", "someone@example.com"] {
            assert_eq!(shard_of(r, 1), 0);
            assert_eq!(shard_of(r, 0), 0);
        }
    }

    #[test]
    fn the_hash_is_pinned_and_spreads_recipients_evenly() {
        // Pinned values: a change of the function would move recipients of
        // running pools to other shards (their numbers with them).
        assert_eq!(
            ["r-0", "r-1", "r-2", "alice@example.com"].map(|r| shard_of(r, 8)),
            PINNED
        );
        let mut counts = [0u32; 16];
        for i in 0..160_000 {
            counts[shard_of(&format!("r-{i}"), 16) as usize] += 1;
        }
        for c in counts {
            assert!((9_700..=10_300).contains(&c), "{counts:?}");
        }
    }

    // Recorded from the function `bench/shard` measured (its results in BENCHMARKS.md).
    const PINNED: [u32; 4] = [4, 6, 7, 2];

    #[test]
    fn shard_counts_are_powers_of_two_up_to_the_limit() {
        let ok: Vec<u32> = (0..=130).filter(|&s| valid_shards(s)).collect();
        assert_eq!(ok, vec![1, 2, 4, 8, 16, 32, 64]);
    }
}
