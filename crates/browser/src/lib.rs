//! # ringmark-browser
//!
//! The browser package's main wasm module (`make build` → `pkg/browser/`, an npm package):
//! classify an email opener from its User-Agent and headers, decide what it is shown
//! ([`answer`](ringmark::edge::email::answer), the Worker's own decision), and draw the
//! number image. The sizing simulation is the package's second module
//! (`crates/browser-simulate`), which only pages that simulate load.
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
