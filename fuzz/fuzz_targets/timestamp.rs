//! `cargo +nightly fuzz run timestamp`: see `ringmark_fuzz::timestamp` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ringmark_fuzz::timestamp::run(data));
