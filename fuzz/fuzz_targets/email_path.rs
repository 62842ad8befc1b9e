//! `cargo +nightly fuzz run email_path`: see `ringmark_fuzz::email` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ringmark_fuzz::email::run(data));
