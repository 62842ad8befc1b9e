//! `ringmark-pool`: a pure, deterministic allocator for one pool of call-tracking numbers.
//!
//! One Durable Object per pool drives a [`Pool`]; it passes the time in, persists the
//! [`Event`]s (or the serde snapshot of the pool) and gets back the number to render and,
//! later, who probably called. No clock, no RNG, no I/O: the same inputs give the same
//! outputs on every platform, so a pool object replays its log exactly. A caller that keeps no log
//! (the backtest) drives the same code through [`Pool::open_into`] and
//! [`Pool::record_call_into`] with [`Discard`], which never builds the events.
//!
//! Why it is shaped this way:
//! * **Email callers act over days, web pools are sized for minutes**: a short
//!   *exclusive* lease (a guaranteed minimum, Invoca's `lifetime_seconds`, renewed by human
//!   signals up to `max_lease_seconds` of age, zar's 7-day cap) is followed by a long *tail* in
//!   which the number stays attributable to its last holder and is not handed out (unless
//!   stolen); then it is free. Calls are ranked by state, recency and caller ID, and the
//!   answer says honestly when it is ambiguous (CTM likelihood, Call Dynamics).
//! * **Least-recently-released reuse**: maximises the gap between two holders
//!   of one number and is deterministic; ties by E.164. A seeded random order is opt-in.
//! * **Exhaustion is an explicit, reported policy**: `shared_tail` (default:
//!   reuse the tail number shown longest ago and keep its holders as candidates; the fallback
//!   only when every number is inside an exclusive lease), `fallback`, `overflow`,
//!   `steal_oldest_tail`, `share` (one file each in `policy/`); every exhaustion is in the
//!   [`Allocation`] and an [`Event::Exhausted`]; [`Event::Pressure`] fires when utilisation
//!   crosses the threshold (75%, Call Dynamics) upward.
//! * **Attribution is a probability** (`attribution.rs`, `delay.rs`): everyone shown the
//!   called number in the window is a candidate, weighed by the call-delay density at the time
//!   since they saw it, by a tap on the call button just before the call (`tap.rs`) and by
//!   caller-ID evidence; the pool re-learns the delay model from its own calls.
//! * **Proxies do not eat the pool**: a [`Signal::Machine`] (Apple MPP prefetch,
//!   scanners, bots, image proxies) never takes an exclusive lease. A recipient who already
//!   holds a number (exclusive, shared or tail) gets that number back; one who holds nothing
//!   gets a *soft hold* on the pool's fallback number (so machines never consume a free
//!   number), lasting `tail_seconds` and refreshed by later machine signals. A later human
//!   signal upgrades the recipient to an exclusive number.
//! * **Quarantine** (as carriers age disconnected numbers before reassigning them; in the US,
//!   the FCC's number-aging rule, 47 CFR § 52.15(f)): numbers leaving the pool wait `quarantine_seconds`
//!   (45 days) before reuse; re-adding a quarantined number keeps it quarantined until then.
//!
//! Lease rules in full, for a recipient's request at time `now`:
//! * *Human/Click*, holding an exclusive/shared number: renew to
//!   `min(now + lease_seconds, since + max_lease)` (never shortening). Holding a number in its
//!   tail: re-acquire it exclusively if nobody else holds it and the association is younger
//!   than `max_lease`; else, under `shared_tail`, take a number of their own as a new opener
//!   would (the old association ends as *moved*: a number somebody else leases is not shown
//!   to a second person while another can be had, which would make both their calls
//!   toss-ups); else (another policy, or every number leased) get it back as `soft` (they were
//!   shown it again: it counts as their latest show for attribution). Holding nothing, or only a soft/fallback/
//!   overflow association: take the first free number (a fresh exclusive lease), else apply
//!   the exhaustion policy. Fallback and overflow associations last `lease + tail` and are
//!   upgraded to a pool number as soon as one is free (stickiness is kept for leases and
//!   tails, which carry per-recipient information; the fallback number carries none).
//! * *Machine*: never exclusive, never consumes a free number (see above).
//! * Stickiness: a recipient sees the same number while its lease or tail lives, whatever
//!   the mix of signals, unless its tail was stolen, its number left the pool, or (a person
//!   under `shared_tail`) somebody else leases it now.
//!
//! Performance: see `bench/pool` (allocate-or-renew ops/s at 10k numbers × 1M recipients,
//! bytes per live association, attribution latency).

mod attribution;
mod config;
pub mod delay;
mod directory;
mod error;
mod event;
mod lease;
mod policy;
mod pool;
mod reuse;
pub mod sizing;
mod snapshot;
mod stats;
pub mod tap;

pub use attribution::{
    Attribution, CALLER_ID_LR, Call, Candidate, MACHINE_SEEN, MAX_CANDIDATES, MOVED,
};
pub use config::{
    DEFAULT_ATTRIBUTION_WINDOW_SECONDS, DEFAULT_MAX_HOLDERS, DEFAULT_MAX_LEASE_SECONDS,
    DEFAULT_PRESSURE_THRESHOLD, DEFAULT_QUARANTINE_SECONDS, DEFAULT_TAIL_SECONDS, Exhaustion,
    MAX_HOLDERS, PoolConfig, Reuse,
};
pub use error::PoolError;
pub use event::{Discard, Event, EventSink, PolicyKind};
pub use lease::{Allocation, ExhaustionOutcome, Holder, Holding, LeaseKind, Signal, Timestamp};
pub use pool::{ExhaustionCounts, Pool};
pub use snapshot::{ERASED, erased_recipient, is_erased};
pub use stats::PoolStats;
