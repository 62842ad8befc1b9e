//! `cargo +nightly fuzz run admin_api`: see `ringmark_fuzz::admin` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ringmark_fuzz::admin::run(data));
