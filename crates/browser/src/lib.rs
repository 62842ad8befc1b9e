//! # ringmark-browser
//!
//! The browser package's wasm module (`make build` → `pkg/browser/`, an npm package):
//! classify an email opener from its User-Agent and headers, decide what it is shown
//! ([`answer`](ringmark::edge::email::answer), the Worker's own decision), draw the number
//! image, and replay a simulated send through the real allocator
//! ([`ringmark::backtest::series`], the console's what-if).
//!
//! Why a crate of its own: `#[wasm_bindgen]` exports of a library are exported by every
//! cdylib that links it, so a module built from the `ringmark` crate carries the Worker's
//! whole surface (Durable Object engines, tokens, telephony). This crate links `ringmark`
//! without its `worker` feature and exports only the functions below; link-time optimisation
//! drops everything they do not reach.
//!
//! Values cross as strings, bytes and plain objects; objects coming in are read with
//! `JSON.stringify` (so a JS number that is a whole number is a whole number), objects going
//! out are plain JSON-compatible objects. The TypeScript types are written here, by hand,
//! because the generated ones would be `any`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(target_arch = "wasm32")]
mod exports;

#[cfg(target_arch = "wasm32")]
pub use exports::*;
