//! Outbound webhooks: the pure core (no routes, no storage, no I/O).
//!
//! ringmark tells an operator's systems what happens (opens, calls,
//! attributions, pool pressure) by POSTing signed JSON to their endpoints, in
//! the [Standard Webhooks] format so receivers verify with its published
//! libraries.
//!
//! - [`signature`]: the `whsec_` secret, `sign` and `verify`;
//! - [`event`]: event types and the `{type, timestamp, data}` payload;
//! - [`address`]: which URLs are allowed (the SSRF guard);
//! - [`endpoint`]: registration, validation and filters;
//! - [`outbox`]: the delivery state machine (retries, leases, replay,
//!   persistence), driven by a Durable Object's alarm.
//!
//! Like the rest of the crate, clock and randomness are passed in.
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com

pub mod address;
pub mod endpoint;
pub mod event;
pub mod outbox;
pub mod signature;

pub use endpoint::{Endpoint, Registration};
pub use event::{EventData, EventType, WebhookEvent};
pub use outbox::{Attempt, DeliveryResult, Outbox, OutboxConfig, Recorded};
pub use signature::{Secret, sign, verify};
