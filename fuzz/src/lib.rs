//! Fuzzing harness for ringmark: the in-memory deployment the email and
//! admin targets drive ([`service`]), the inputs they build ([`json`],
//! [`vocab`]), reference implementations to compare against
//! ([`reference`]), and one module per target holding what that target
//! checks. The binaries in `fuzz_targets/` only call `run`.
//!
//! Each target's module documentation lists the properties it asserts.

pub mod admin;
pub mod classify;
pub mod e164;
pub mod email;
pub mod json;
pub mod reference;
pub mod service;
pub mod timestamp;
pub mod token;
pub mod vocab;
