//! `cargo +nightly fuzz run token`: see `ringmark_fuzz::token` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ringmark_fuzz::token::run(data));
