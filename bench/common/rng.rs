//! The benches' deterministic workload generator (xorshift64*), so every run times the same
//! work. Included by path into each bench (`#[path]`); each uses its part.
#![allow(dead_code)]

/// xorshift64* (Vigna): fast, seeded, and the same on every platform.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A draw in `0..n` (`n` > 0; the modulo bias is irrelevant for a workload).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
