//! The Durable Object engines: the state each object keeps, in Rust.
//!
//! A Durable Object is a single-threaded actor with its own SQLite database.
//! The JS adapter (`worker/objects.js`) only moves bytes: it creates the
//! schema an engine names, loads the rows an engine's query returns, passes
//! each command text to [`PoolObject::handle`] or [`DirectoryObject::handle`],
//! and applies the SQL writes of the [`Outcome`] in one transaction before it
//! answers. If that transaction fails the adapter drops the engine and reloads
//! it from storage, so memory never runs ahead of what was persisted.

pub mod directory;
pub mod pool;
pub mod store;

pub use directory::DirectoryObject;
pub use pool::PoolObject;
pub use store::{Outcome, Write};
