//! # ringmark
//!
//! Per-recipient call-tracking numbers for marketing email, as one
//! WebAssembly module that runs in a Cloudflare Worker (state in Durable
//! Objects) and in browsers.
//!
//! When a recipient opens an email, their client fetches three kinds of URL,
//! each carrying a signed token ([`token`]): a tracking pixel, a number image
//! and a call link. ringmark classifies who fetched it
//! ([`ringmark_classify`]: a person's smartphone, tablet or desktop, or a
//! machine such as Gmail's image proxy or Apple Mail Privacy Protection),
//! hands the recipient a number from the campaign's pool
//! ([`ringmark_pool`]: sticky, leased, least-recently-released reuse, an
//! explicit exhaustion policy), and draws it ([`ringmark_render`]: a "tap to
//! call" button for phones, the number as text elsewhere). A later call to
//! that number is attributed back to the recipient, with candidates and a
//! confidence when several could have held it.
//!
//! ## Why this shape
//!
//! *Functional core, thin shell.* Every decision is Rust: the pure cores live
//! in `crates/` (classification, allocation, rendering, phone numbers) and
//! know nothing of HTTP or storage. This crate wires them together:
//!
//! - [`edge`] decides what the Worker does with each request, as a resumable
//!   plan of [`edge::Step`]s, so the JS adapter is a loop that forwards bytes;
//! - [`objects`] are the Durable Object engines (one per pool, one directory),
//!   which name the SQL they need and replay their state on load;
//! - [`protocol`] is the JSON spoken between the two;
//! - [`http`], [`error`], [`token`] and [`timestamp`] are the small pieces
//!   they share; [`snippet`] writes the HTML marketers paste into emails;
//! - `wasm` (wasm32, feature `worker`, on by default) is the Worker's
//!   `#[wasm_bindgen]` surface; browsers get their own, smaller module from
//!   `crates/browser` (the `ringmark-browser` package), which reuses this
//!   crate's decisions without that surface. So every `#[wasm_bindgen]`
//!   item of this crate belongs in `wasm`: one elsewhere would be exported
//!   by the browser modules too (`tests/browser-pkg` checks their exports).
//!
//! Clock and randomness are always passed in, so native tests drive the
//! whole request path deterministically.
#![forbid(unsafe_code)]
#![deny(clippy::indexing_slicing, clippy::string_slice)]
#![warn(missing_docs)]

pub mod backtest;
pub mod calls;
pub mod edge;
pub mod error;
pub mod http;
pub mod objects;
pub mod protocol;
pub mod reports;
pub mod shard;
pub mod snippet;
pub mod telephony;
pub mod timestamp;
pub mod token;
pub mod webhooks;

#[cfg(all(target_arch = "wasm32", feature = "worker"))]
pub mod wasm;

pub use ringmark_classify as classify;
pub use ringmark_phone as phone;
pub use ringmark_pool as pool;
pub use ringmark_render as render;
