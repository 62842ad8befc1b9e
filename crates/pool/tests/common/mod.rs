//! Helpers shared by the pool's behaviour tests.
#![allow(dead_code)] // each test binary uses its own part

use ringmark_pool::{Call, Holder};

/// `n` pool numbers, `+15550000000`, `+15550000001`, …
pub fn nums(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("+1555000{i:04}")).collect()
}

/// Recipient `r{i}` of campaign `spring`.
pub fn who(i: usize) -> Holder {
    Holder::new("spring", format!("r{i}"))
}

/// A one-minute call to `to` at `at`, with caller ID `from`.
pub fn call(to: &str, at: i64, from: Option<&str>) -> Call {
    Call {
        to: to.into(),
        from: from.map(Into::into),
        at,
        duration: Some(60),
    }
}
