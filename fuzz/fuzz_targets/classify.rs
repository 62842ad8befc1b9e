//! `cargo +nightly fuzz run classify`: see `ringmark_fuzz::classify` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ringmark_fuzz::classify::run(data));
