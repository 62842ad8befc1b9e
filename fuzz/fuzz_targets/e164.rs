//! `cargo +nightly fuzz run e164`: see `ringmark_fuzz::e164` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ringmark_fuzz::e164::run(data));
