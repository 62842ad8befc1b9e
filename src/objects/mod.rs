//! The Durable Object engines: the state each object keeps, in Rust.
//!
//! A Durable Object is a single-threaded actor with its own SQLite database
//! and one alarm. The JS adapter (`worker/objects.js`) only moves bytes: it
//! loads the rows an engine's query returns, passes each command text to
//! [`PoolObject::handle_json`], [`DirectoryObject::handle_json`] or
//! [`WebhooksObject::handle_json`] (and an
//! alarm to [`PoolObject::alarm`]), and carries out the [`Outcome`]: the SQL
//! writes in one transaction, then the alarm it asks for, then a purge, then
//! any outbound requests it asks for ([`Outcome::fetches`], whose results go
//! back to [`WebhooksObject::fetched`] for the next outcome), and only then
//! answers. If that fails the adapter drops the engine and reloads
//! it from storage, so memory never runs ahead of what was persisted.
//!
//! Every JSON value an engine stores is versioned ([`stored`]).

pub mod directory;
pub mod outbox;
pub mod pool;
pub mod store;
pub mod stored;

pub use directory::DirectoryObject;
pub use outbox::WebhooksObject;
pub use pool::PoolObject;
pub use store::{Fetch, Outcome, Write};
