//! E.164 phone numbers and their display strings, for the numbers in ringmark's pools.
//!
//! Why this crate exists instead of `phonenumber` (libphonenumber): the Worker renders a number on every
//! email open, and `phonenumber` costs about 0.5 MB gzipped of wasm plus 300–520 ms on its first parse
//! (measured when this crate was chosen). So ringmark **stores E.164 and precomputes the display
//! strings when a number joins a pool**, off the request path:
//!
//! * [`E164`] is the stored key: `+` and 8–15 digits, a real (assigned) ITU country code, visual separators
//!   stripped on input, clear errors ([`PhoneError`]) for everything else. It also gives the RFC 3966
//!   `tel:` URI (no spaces, no query string).
//! * [`display`] writes the national or international form from a small hand-written table of common
//!   countries (US/CA, Turkey, Germany, UK, France, Spain, Italy, Netherlands, Australia, Japan), with a
//!   readable fallback grouping for the rest. The operator may also type the display string themselves.
//!
//! ```
//! use ringmark_phone::{display, DisplayFormat, E164};
//! let n = E164::parse("+90 (212) 555 12 34")?;
//! assert_eq!(n.as_str(), "+902125551234");
//! assert_eq!(n.tel_uri(), "tel:+902125551234");
//! assert_eq!(display(&n, DisplayFormat::National), "0 (212) 555 12 34");
//! # Ok::<(), ringmark_phone::PhoneError>(())
//! ```
#![deny(clippy::indexing_slicing, clippy::string_slice)]
#![forbid(unsafe_code)]

mod country;
mod e164;
mod error;
mod format;

pub use e164::E164;
pub use error::PhoneError;
pub use format::{DisplayFormat, display};
