//! The allocator state machine ([`Pool`]): per-number lease phases, per-recipient
//! associations, the free and tail lists, expiry timers and the exhaustion policies.
//!
//! Representation (benchmarked, see `bench/pool`): numbers and holders are `u32` indices;
//! holder keys are interned once (campaign id + recipient, the recipient inline in the
//! 48-byte holder record, found through a one-array index: see `directory`); every
//! association is one 32-byte [`Interval`] in its number's history, which doubles as the
//! attribution record; free and tail numbers sit in `BTreeSet<(key, rank)>` (rank = E.164
//! order); expiries are a binary heap with lazy deletion (one live entry per holder, re-armed
//! when a renewed lease is popped early).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};

use foldhash::fast::FixedState;
use serde::Serialize;

use crate::attribution::{Attribution, Call};
use crate::config::{Exhaustion, PoolConfig};
use crate::delay::DelayModel;
use crate::directory::{HolderIndex, Recipient, key_hash};
use crate::error::PoolError;
use crate::event::{Event, EventSink};
use crate::lease::{Allocation, ExhaustionOutcome, Holder, Holding, LeaseKind, Signal, Timestamp};
use crate::reuse::{free_key, tail_key};

/// The call-delay model is first re-estimated after this many recorded calls, then each time
/// the count doubles, then every [`RELEARN_CALLS`] calls: early calls move the model most, and a
/// re-estimate costs a pass over the calls and the associations.
pub(crate) const RELEARN_FIRST: usize = 64;

/// Whether the `n`th recorded call triggers a re-estimate of the call-delay model.
pub(crate) fn relearn_due(n: usize) -> bool {
    n >= RELEARN_FIRST
        && if n <= RELEARN_CALLS {
            n.is_power_of_two()
        } else {
            n.is_multiple_of(RELEARN_CALLS)
        }
}
/// Calls (most recent) the call-delay model is estimated from.
pub(crate) const RELEARN_CALLS: usize = 4_096;
/// Expectation-maximisation rounds per re-estimate.
const RELEARN_ROUNDS: usize = 4;

/// How many of the `max_holders` places a recipient first reached by a machine may take: a
/// prefetch of someone the pool does not know is kept only while the pool keeps fewer than
/// half its limit. Machines must not eat the pool, and that includes its room for recipients:
/// Apple Mail Privacy Protection prefetches about half of a send within minutes of delivery,
/// which alone would fill any limit before the people open. A prefetch it does not keep is
/// shown the fallback as a soft hold, as a kept one is, so its image and answer are the same
/// and it is no exhaustion (counted as `prefetches_unkept`); what is lost is its name among
/// the candidates of a call to the fallback number, where it weighs [`crate::MACHINE_SEEN`]
/// against every other prefetched recipient.
pub(crate) fn machine_room(max_holders: u32) -> u32 {
    max_holders.div_ceil(2)
}

/// "No index" marker for `u32` references.
pub(crate) const NONE: u32 = u32::MAX;

/// Deterministic hasher for the interning tables.
pub(crate) type Hasher = FixedState;
const HASH_SEED: u64 = 0x7269_6e67_6d61_726b; // "ringmark"

/// Role of a number in this pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Role {
    /// Leasable pool number (unless quarantined).
    Pool,
    /// The fallback number.
    Fallback,
    /// The overflow number.
    Overflow,
    /// No longer configured; kept for quarantine and attribution history.
    Retired,
}

/// Kind of an association (as recorded in its interval).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// Granted from the free list, by a steal, or re-acquired from the holder's own tail.
    Exclusive,
    /// Joined a held or tail number under the `share` policy.
    Shared,
    /// Machine signal's soft hold on the fallback number.
    Soft,
    /// Exhaustion outcome: the fallback number.
    Fallback,
    /// Exhaustion outcome: the overflow number.
    Overflow,
}

/// Where a holder's current association is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Phase {
    /// No current association.
    None,
    /// Exclusive or shared phase on a pool number (listed in the slot's `held`).
    Held,
    /// Tail phase on a pool number (listed in the slot's `tails`).
    Tail,
    /// Soft, fallback or overflow association on a special number (not listed in the slot).
    Loose,
}

/// One association of a holder with a number: the attribution record. Times are offsets
/// from `since` (saturating at about 136 years) to keep the record at 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Interval {
    pub since: i64,
    touched: u32,
    excl: u32,
    tail: u32,
    pub holder: u32,
    pub device: u32,
    pub kind: Kind,
    /// The holder was shown another number after this one (and the association was cut then):
    /// they dial the newer one. Sits in the record's padding (still 32 bytes).
    pub moved: bool,
    /// The latest show (`touched`) was a tap on the snippet's call button (a `click`), not an
    /// image: a call is likeliest within a minute of it (see `attribution`). Cleared by the
    /// holder's next human open; only ever set on a pool number. In the padding too.
    pub clicked: bool,
}

fn offset(since: i64, t: i64) -> u32 {
    u32::try_from(t.saturating_sub(since).max(0)).unwrap_or(u32::MAX)
}

impl Interval {
    pub(crate) fn new(
        holder: u32,
        device: u32,
        kind: Kind,
        since: i64,
        excl_until: i64,
        tail_until: i64,
    ) -> Self {
        let mut iv = Self {
            since,
            touched: 0,
            excl: 0,
            tail: 0,
            holder,
            device,
            kind,
            moved: false,
            clicked: false,
        };
        iv.set_excl_until(excl_until);
        iv.set_tail_until(tail_until);
        iv
    }
    /// Last renewal (or `since`).
    pub(crate) fn touched(&self) -> i64 {
        self.since + i64::from(self.touched)
    }
    /// End of the exclusive/shared phase (= `since` for soft/fallback/overflow).
    pub(crate) fn excl_until(&self) -> i64 {
        self.since + i64::from(self.excl)
    }
    /// End of the association's attributable life (tail end).
    pub(crate) fn tail_until(&self) -> i64 {
        self.since + i64::from(self.tail)
    }
    pub(crate) fn set_touched(&mut self, t: i64) {
        self.touched = offset(self.since, t);
    }
    pub(crate) fn set_excl_until(&mut self, t: i64) {
        self.excl = offset(self.since, t);
        self.tail = self.tail.max(self.excl);
    }
    pub(crate) fn set_tail_until(&mut self, t: i64) {
        self.tail = offset(self.since, t).max(self.excl);
    }
    /// Cuts the association at `t` (both phases end no later than `t`).
    pub(crate) fn cut(&mut self, t: i64) {
        let o = offset(self.since, t);
        self.excl = self.excl.min(o);
        self.tail = self.tail.min(o);
    }
}

/// Which ordered list a pool number sits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Listed {
    Free,
    Tail,
}

/// One number known to the pool (pool, special or retired).
#[derive(Clone, Debug)]
pub(crate) struct Slot {
    pub e164: Box<str>,
    /// Position in E.164 order among all slots (tie-breaker in the ordered lists).
    pub rank: u32,
    pub role: Role,
    pub quarantine_until: Option<i64>,
    /// End of the last exclusive/shared phase on this number (LRU key).
    pub released_at: Option<i64>,
    /// Last grant (share policy picks the least recently granted among the least crowded).
    pub granted_at: Option<i64>,
    /// Last time any holder was shown this number (a grant, a human renewal, a re-open in a
    /// tail): the shared-tail policy reuses the tail number shown longest ago. Derived from
    /// the history on load.
    pub shown_at: Option<i64>,
    /// Holders in their exclusive/shared phase.
    pub held: Vec<u32>,
    /// Holders in their tail phase.
    pub tails: Vec<u32>,
    /// Every association on this number within the attribution window, ordered by `since`.
    pub history: Vec<Interval>,
    /// Current list membership and key.
    pub listed: Option<(Listed, i64)>,
}

/// One interned holder and its current association.
#[derive(Clone, Debug)]
pub(crate) struct HolderRec {
    pub recipient: Recipient,
    pub campaign: u32,
    /// Slot of the current association (`NONE` if none).
    pub slot: u32,
    /// Index of the current association's interval in the slot's history.
    pub iv: u32,
    pub phase: Phase,
    /// Time of this holder's live timer entry (`i64::MAX` if none).
    pub queued_at: i64,
}

/// A stored call with the link its attribution created (caller-ID memory).
#[derive(Clone, Debug)]
pub(crate) struct StoredCall {
    pub call: Call,
    pub recorded_at: i64,
    /// Top candidate when recorded (`NONE` if none).
    pub linked: u32,
    /// The most probable candidates and their probabilities (parts per million): caller-ID
    /// evidence for later calls from the same number.
    pub posterior: Vec<(u32, u32)>,
    /// Device label id of the top candidate.
    pub device: u32,
}

/// Counts of exhaustion outcomes since the pool was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ExhaustionCounts {
    /// Overflow number served.
    pub overflow: u64,
    /// Tail numbers stolen.
    pub stole: u64,
    /// Numbers shared.
    pub shared: u64,
    /// Fallback served because no number was free.
    pub fallback: u64,
    /// Fallback served to a person the pool could not keep (`max_holders` reached).
    #[serde(default)]
    pub full: u64,
    /// Prefetches (machine opens) of recipients the pool did not know, not kept because
    /// prefetches fill their share of `max_holders` (half of it: the pool's `machine_room`). Not an
    /// exhaustion for anyone — a kept prefetch is shown the fallback number too — but it says
    /// the pool is at its prefetch room: their names are not among a fallback call's candidates.
    #[serde(default)]
    pub prefetches_unkept: u64,
}

/// The allocator for one pool. Drive it from one place (one Durable Object per pool); it is
/// a pure state machine: time comes in as `now`, every change comes out as [`Event`]s. Time
/// never runs backwards: a `now` earlier than the latest one seen is treated as the latest.
///
/// Serialises to (and deserialises from) a plain snapshot with indices instead of pointers.
#[derive(Clone, Debug)]
pub struct Pool {
    pub(crate) config: PoolConfig,
    pub(crate) clock: i64,
    pub(crate) pressure: bool,
    pub(crate) exhaustions: ExhaustionCounts,
    pub(crate) slots: Vec<Slot>,
    pub(crate) slot_index: HashMap<Box<str>, u32, Hasher>,
    pub(crate) rank_to_slot: Vec<u32>,
    pub(crate) fallback_slot: u32,
    pub(crate) overflow_slot: u32,
    pub(crate) free: BTreeSet<(i64, u32)>,
    pub(crate) tail_list: BTreeSet<(i64, u32)>,
    pub(crate) usable: u32,
    pub(crate) campaigns: Vec<Box<str>>,
    pub(crate) campaign_index: HashMap<Box<str>, u32, Hasher>,
    pub(crate) holders: Vec<HolderRec>,
    pub(crate) holder_index: HolderIndex,
    pub(crate) devices: Vec<Box<str>>,
    pub(crate) device_index: HashMap<Box<str>, u32, Hasher>,
    pub(crate) timers: BinaryHeap<Reverse<(i64, u32)>>,
    pub(crate) slot_timers: BinaryHeap<Reverse<(i64, u32)>>,
    pub(crate) calls: Vec<StoredCall>,
    /// Caller ID → indices of stored calls that carry evidence about it, in recording order.
    pub(crate) links: HashMap<Box<str>, Vec<u32>, Hasher>,
    /// The call-delay model attribution weighs candidates with (learned from recorded calls).
    pub(crate) delays: DelayModel,
}

impl Pool {
    /// An empty pool shell with `config` and clock `now` (no numbers yet).
    pub(crate) fn shell(config: PoolConfig, now: Timestamp) -> Self {
        Self {
            config,
            clock: now,
            pressure: false,
            exhaustions: ExhaustionCounts::default(),
            slots: Vec::new(),
            slot_index: HashMap::with_hasher(Hasher::with_seed(HASH_SEED)),
            rank_to_slot: Vec::new(),
            fallback_slot: NONE,
            overflow_slot: NONE,
            free: BTreeSet::new(),
            tail_list: BTreeSet::new(),
            usable: 0,
            campaigns: Vec::new(),
            campaign_index: HashMap::with_hasher(Hasher::with_seed(HASH_SEED)),
            holders: Vec::new(),
            holder_index: HolderIndex::default(),
            devices: Vec::new(),
            device_index: HashMap::with_hasher(Hasher::with_seed(HASH_SEED)),
            timers: BinaryHeap::new(),
            slot_timers: BinaryHeap::new(),
            calls: Vec::new(),
            links: HashMap::with_hasher(Hasher::with_seed(HASH_SEED)),
            delays: DelayModel::default(),
        }
    }

    /// Creates a pool at `now`. Every number starts free (never released).
    pub fn new(config: PoolConfig, now: Timestamp) -> Result<(Pool, Vec<Event>), PoolError> {
        config.validate()?;
        let mut pool = Self::shell(config.clone(), now);
        let mut events = vec![Event::Created { at: now, config }];
        pool.reconcile(now, &mut events);
        Ok((pool, events))
    }

    /// Replaces the configuration atomically (an error leaves the pool untouched). Removed
    /// numbers (and numbers leaving the fallback/overflow role) are quarantined for
    /// `quarantine_seconds`; their current associations are cut. Re-adding a quarantined number
    /// keeps it quarantined until its time. A pool number turned into the fallback or overflow
    /// number takes its new role at once; a fallback/overflow number moved into the pool is
    /// quarantined first (it was shown to many recipients). New lengths apply to grants and
    /// renewals from now on; running leases keep their times.
    pub fn configure(
        &mut self,
        config: PoolConfig,
        now: Timestamp,
    ) -> Result<Vec<Event>, PoolError> {
        config.validate()?;
        let now = self.tick(now);
        let mut events = Vec::new();
        self.advance(now, &mut events);
        events.push(Event::Configured {
            at: now,
            config: config.clone(),
        });
        self.config = config;
        self.reconcile(now, &mut events);
        self.check_pressure(now, &mut events);
        Ok(events)
    }

    /// The current configuration.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// True if `number` is a pool number (quarantined or not) or the overflow number.
    pub fn owns(&self, number: &str) -> bool {
        self.slot_index
            .get(number)
            .is_some_and(|&s| matches!(self.slots[s as usize].role, Role::Pool | Role::Overflow))
    }

    /// True if the pool has any record of `number`: pool, fallback, overflow, or a retired
    /// number still in quarantine or in attribution history. Calls to such numbers attribute.
    pub fn knows(&self, number: &str) -> bool {
        self.slot_index.contains_key(number)
    }

    /// Clamps `now` to the monotonic clock and advances it.
    pub(crate) fn tick(&mut self, now: Timestamp) -> Timestamp {
        self.clock = self.clock.max(now);
        self.clock
    }

    // ----- interning -------------------------------------------------------------------------

    /// A recipient's current association at `now` (pure query; pending expiries applied).
    pub fn holding(&self, holder: &Holder, now: Timestamp) -> Option<Holding> {
        let now = now.max(self.clock);
        let h = self.find_holder(holder)?;
        let r = &self.holders[h as usize];
        if r.slot == NONE {
            return None;
        }
        let slot = &self.slots[r.slot as usize];
        let iv = &slot.history[r.iv as usize];
        let (lease, expires_at) = match r.phase {
            Phase::Held if now < iv.excl_until() => {
                let others = slot.held.iter().filter(|&&x| {
                    let o = &self.holders[x as usize];
                    slot.history[o.iv as usize].excl_until() > now
                });
                let kind = if others.count() > 1 {
                    LeaseKind::Shared
                } else {
                    LeaseKind::Exclusive
                };
                (kind, iv.excl_until())
            }
            Phase::Held | Phase::Tail if now < iv.tail_until() => {
                (LeaseKind::Soft, iv.tail_until())
            }
            Phase::Loose if now < iv.tail_until() => (Self::loose_kind(iv.kind), iv.tail_until()),
            _ => return None,
        };
        Some(Holding {
            number: String::from(&*slot.e164),
            lease,
            expires_at,
        })
    }

    pub(crate) fn find_holder(&self, holder: &Holder) -> Option<u32> {
        let cid = *self.campaign_index.get(holder.campaign.as_str())?;
        let key = holder.recipient.as_bytes();
        self.holder_index.find(key_hash(cid, key), |h| {
            let r = &self.holders[h as usize];
            r.campaign == cid && r.recipient.as_bytes() == key
        })
    }

    pub(crate) fn intern_campaign(&mut self, campaign: &str) -> u32 {
        if let Some(last) = self.campaigns.last()
            && **last == *campaign
        {
            return self.campaigns.len() as u32 - 1; // one campaign per pool is the norm
        }
        if let Some(&c) = self.campaign_index.get(campaign) {
            return c;
        }
        let c = self.campaigns.len() as u32;
        self.campaigns.push(campaign.into());
        self.campaign_index.insert(campaign.into(), c);
        c
    }

    pub(crate) fn intern_holder(&mut self, campaign: &str, recipient: &str) -> u32 {
        let cid = self.intern_campaign(campaign);
        let key = recipient.as_bytes();
        let hash = key_hash(cid, key);
        let holders = &self.holders;
        if let Some(h) = self.holder_index.find(hash, |h| {
            let r = &holders[h as usize];
            r.campaign == cid && r.recipient.as_bytes() == key
        }) {
            return h;
        }
        let h = self.holders.len() as u32;
        self.holders.push(HolderRec {
            recipient: Recipient::new(recipient),
            campaign: cid,
            slot: NONE,
            iv: 0,
            phase: Phase::None,
            queued_at: i64::MAX,
        });
        let holders = &self.holders;
        self.holder_index.insert(hash, h, |x| {
            let r = &holders[x as usize];
            key_hash(r.campaign, r.recipient.as_bytes())
        });
        h
    }

    pub(crate) fn intern_device(&mut self, device: &str) -> u32 {
        // Device labels are a handful of classifier outputs: a linear scan of the first few
        // beats hashing the label.
        if let Some(d) = self.devices.iter().take(8).position(|x| **x == *device) {
            return d as u32;
        }
        if let Some(&d) = self.device_index.get(device) {
            return d;
        }
        let d = self.devices.len() as u32;
        self.devices.push(device.into());
        self.device_index.insert(device.into(), d);
        d
    }

    /// Ends holder `h`'s association with slot `s` at `now` (the caller records why).
    pub(crate) fn cut(&mut self, h: u32, s: u32, now: Timestamp) {
        let rec = &mut self.holders[h as usize];
        let iv = rec.iv as usize;
        rec.slot = NONE;
        rec.phase = Phase::None;
        self.slots[s as usize].history[iv].cut(now);
    }

    pub(crate) fn holder(&self, h: u32) -> Holder {
        let r = &self.holders[h as usize];
        Holder {
            campaign: String::from(&*self.campaigns[r.campaign as usize]),
            recipient: String::from(r.recipient.as_str()),
        }
    }

    pub(crate) fn number(&self, s: u32) -> String {
        String::from(&*self.slots[s as usize].e164)
    }

    // ----- lists and timers ------------------------------------------------------------------

    /// Puts a slot in the list its state calls for (free, tail, or none).
    pub(crate) fn relist(&mut self, s: u32) {
        let reuse = self.config.reuse;
        let slot = &self.slots[s as usize];
        let want = if slot.role != Role::Pool
            || slot.quarantine_until.is_some()
            || !slot.held.is_empty()
        {
            None
        } else if !slot.tails.is_empty() {
            let released = match self.config.exhaustion {
                Exhaustion::SharedTail => slot.shown_at,
                _ => slot.released_at,
            };
            Some((Listed::Tail, tail_key(released)))
        } else {
            Some((Listed::Free, free_key(reuse, &slot.e164, slot.released_at)))
        };
        if want == slot.listed {
            return;
        }
        let rank = slot.rank;
        match slot.listed {
            Some((Listed::Free, k)) => {
                self.free.remove(&(k, rank));
            }
            Some((Listed::Tail, k)) => {
                self.tail_list.remove(&(k, rank));
            }
            None => {}
        }
        match want {
            Some((Listed::Free, k)) => {
                self.free.insert((k, rank));
            }
            Some((Listed::Tail, k)) => {
                self.tail_list.insert((k, rank));
            }
            None => {}
        }
        self.slots[s as usize].listed = want;
    }

    /// The time the holder's current phase ends.
    pub(crate) fn deadline(&self, h: u32) -> Option<i64> {
        let r = &self.holders[h as usize];
        if r.slot == NONE {
            return None;
        }
        let iv = &self.slots[r.slot as usize].history[r.iv as usize];
        Some(match r.phase {
            Phase::Held => iv.excl_until(),
            _ => iv.tail_until(),
        })
    }

    /// Arms the holder's timer if its current deadline is earlier than the armed one.
    pub(crate) fn arm(&mut self, h: u32) {
        if let Some(d) = self.deadline(h) {
            let r = &mut self.holders[h as usize];
            if d < r.queued_at {
                r.queued_at = d;
                self.timers.push(Reverse((d, h)));
            }
        }
    }

    /// Processes every expiry and quarantine end at or before `now`, in time order.
    pub(crate) fn advance(&mut self, now: i64, events: &mut impl EventSink) {
        loop {
            let th = self.timers.peek().map(|r| r.0);
            let ts = self.slot_timers.peek().map(|r| r.0);
            let holder_first = match (th, ts) {
                (Some(a), Some(b)) => a <= b,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if holder_first {
                let Some(&Reverse((t, h))) = self.timers.peek() else {
                    break;
                };
                if t > now {
                    break;
                }
                self.timers.pop();
                self.expire_holder(t, h, events);
            } else {
                let Some(&Reverse((t, s))) = self.slot_timers.peek() else {
                    break;
                };
                if t > now {
                    break;
                }
                self.slot_timers.pop();
                let slot = &mut self.slots[s as usize];
                if slot.quarantine_until != Some(t) {
                    continue;
                }
                slot.quarantine_until = None;
                if slot.role == Role::Pool {
                    self.usable += 1;
                }
                events.emit(|| Event::QuarantineEnded {
                    at: t,
                    number: self.number(s),
                });
                self.relist(s);
            }
        }
    }

    fn expire_holder(&mut self, t: i64, h: u32, events: &mut impl EventSink) {
        let rec = &mut self.holders[h as usize];
        if rec.queued_at != t {
            return; // stale entry: a newer, earlier one was armed
        }
        rec.queued_at = i64::MAX;
        let Some(deadline) = self.deadline(h) else {
            return;
        };
        if deadline > t {
            self.arm(h); // renewed since this entry was armed
            return;
        }
        let rec = &mut self.holders[h as usize];
        let s = rec.slot;
        match rec.phase {
            Phase::Held => {
                rec.phase = Phase::Tail;
                let slot = &mut self.slots[s as usize];
                slot.held.retain(|&x| x != h);
                slot.tails.push(h);
                if slot.held.is_empty() {
                    slot.released_at = Some(t);
                }
                self.relist(s);
                events.emit(|| Event::LeaseEnded {
                    at: t,
                    number: self.number(s),
                    holder: self.holder(h),
                });
                self.arm(h);
            }
            Phase::Tail | Phase::Loose => {
                let was_tail = rec.phase == Phase::Tail;
                rec.phase = Phase::None;
                rec.slot = NONE;
                if was_tail {
                    self.slots[s as usize].tails.retain(|&x| x != h);
                    self.relist(s);
                }
                events.emit(|| Event::AssociationEnded {
                    at: t,
                    number: self.number(s),
                    holder: self.holder(h),
                });
            }
            Phase::None => {}
        }
    }

    // ----- configuration ---------------------------------------------------------------------

    fn new_slot(&mut self, e164: &str, role: Role) -> u32 {
        let s = self.slots.len() as u32;
        self.slots.push(Slot {
            e164: e164.into(),
            rank: 0,
            role,
            quarantine_until: None,
            released_at: None,
            granted_at: None,
            shown_at: None,
            held: Vec::new(),
            tails: Vec::new(),
            history: Vec::new(),
            listed: None,
        });
        self.slot_index.insert(e164.into(), s);
        s
    }

    /// Cuts every current association on slot `s` at `now`.
    fn cut_slot(&mut self, s: u32, now: i64, events: &mut Vec<Event>) {
        let slot = &self.slots[s as usize];
        if slot.history.is_empty() {
            return; // never associated: nothing to cut (and no scan of the holders)
        }
        let victims: Vec<u32> = if slot.role == Role::Pool {
            slot.held.iter().chain(&slot.tails).copied().collect()
        } else {
            (0..self.holders.len() as u32)
                .filter(|&h| self.holders[h as usize].slot == s)
                .collect()
        };
        let had_held = !slot.held.is_empty();
        for h in victims {
            self.cut(h, s, now);
            events.push(Event::AssociationCut {
                at: now,
                number: self.number(s),
                holder: self.holder(h),
            });
        }
        let slot = &mut self.slots[s as usize];
        slot.held.clear();
        slot.tails.clear();
        if had_held {
            slot.released_at = Some(now);
        }
    }

    fn quarantine(&mut self, s: u32, now: i64, events: &mut Vec<Event>) {
        let until = now.saturating_add(i64::from(self.config.quarantine_seconds));
        self.slots[s as usize].quarantine_until = Some(until);
        self.slot_timers.push(Reverse((until, s)));
        events.push(Event::Quarantined {
            at: now,
            number: self.number(s),
            until,
        });
    }

    /// Brings slots, roles, ranks and lists in line with `self.config` (see [`Pool::configure`]).
    fn reconcile(&mut self, now: i64, events: &mut Vec<Event>) {
        let mut wanted: Vec<(String, Role)> = self
            .config
            .numbers
            .iter()
            .map(|n| (n.clone(), Role::Pool))
            .collect();
        wanted.push((self.config.fallback.clone(), Role::Fallback));
        if let Some(o) = self.config.overflow_number() {
            wanted.push((o.to_owned(), Role::Overflow));
        }
        let mut target: Vec<Role> = vec![Role::Retired; self.slots.len()];
        for (e164, role) in &wanted {
            let s = match self.slot_index.get(e164.as_str()) {
                Some(&s) => s,
                None => {
                    let s = self.new_slot(e164, Role::Retired);
                    target.push(Role::Retired);
                    s
                }
            };
            target[s as usize] = *role;
        }
        for s in 0..self.slots.len() as u32 {
            let old = self.slots[s as usize].role;
            let new = target[s as usize];
            if old == new {
                continue;
            }
            self.cut_slot(s, now, events);
            self.slots[s as usize].role = new;
            match (old, new) {
                (_, Role::Retired) => self.quarantine(s, now, events),
                (Role::Retired, Role::Pool) => {} // keeps any running quarantine
                (_, Role::Pool) => self.quarantine(s, now, events),
                (_, Role::Fallback | Role::Overflow) => {
                    self.slots[s as usize].quarantine_until = None;
                }
            }
        }
        self.fallback_slot = self.slot_index[self.config.fallback.as_str()];
        self.overflow_slot = self
            .config
            .overflow_number()
            .and_then(|o| self.slot_index.get(o).copied())
            .unwrap_or(NONE);
        self.rerank();
        self.advance(now, events); // zero-length quarantines end at once
    }

    /// Recomputes E.164 ranks, the usable count and both ordered lists.
    pub(crate) fn rerank(&mut self) {
        let mut order: Vec<u32> = (0..self.slots.len() as u32).collect();
        order.sort_by(|&a, &b| {
            self.slots[a as usize]
                .e164
                .cmp(&self.slots[b as usize].e164)
        });
        for (rank, &s) in order.iter().enumerate() {
            self.slots[s as usize].rank = rank as u32;
            self.slots[s as usize].listed = None;
        }
        self.rank_to_slot = order;
        self.free.clear();
        self.tail_list.clear();
        self.usable = 0;
        for s in 0..self.slots.len() as u32 {
            let slot = &self.slots[s as usize];
            if slot.role == Role::Pool && slot.quarantine_until.is_none() {
                self.usable += 1;
            }
            self.relist(s);
        }
    }

    // ----- pressure --------------------------------------------------------------------------

    /// Share of leasable (pool, not quarantined) numbers that are not free; 1 when none is leasable.
    pub(crate) fn utilisation(&self) -> f64 {
        if self.usable == 0 {
            return 1.0;
        }
        let busy = self.usable as usize - self.free.len().min(self.usable as usize);
        busy as f64 / f64::from(self.usable)
    }

    /// Occupancy now, as two shares of the leasable numbers: not free (inside an exclusive
    /// lease or a tail), and inside an exclusive or shared lease. O(1): the free and tail lists
    /// hold every leasable number that nobody holds.
    pub fn occupancy(&self) -> (f64, f64) {
        if self.usable == 0 {
            return (1.0, 1.0);
        }
        let usable = self.usable as usize;
        let unheld = (self.free.len() + self.tail_list.len()).min(usable);
        (self.utilisation(), (usable - unheld) as f64 / usable as f64)
    }

    /// Processes the expiries due by `now` (leases ending, tails ending, quarantines
    /// ending) without a request, as the next open or call at `now` or later would do first,
    /// so [`Pool::occupancy`] reads the pool at `now`. The simulation's series
    /// (`ringmark::backtest::series`) samples the pool between opens with it; the events are
    /// not built.
    pub fn advance_to(&mut self, now: Timestamp) {
        let now = self.tick(now);
        self.advance(now, &mut crate::Discard);
    }

    /// Exhaustion outcomes since the pool was created.
    pub fn exhaustion_counts(&self) -> ExhaustionCounts {
        self.exhaustions
    }

    pub(crate) fn check_pressure(&mut self, now: i64, events: &mut impl EventSink) {
        let u = self.utilisation();
        let high = u >= self.config.pressure_threshold;
        if high != self.pressure {
            self.pressure = high;
            events.emit(|| {
                if high {
                    Event::Pressure {
                        at: now,
                        utilisation: u,
                    }
                } else {
                    Event::PressureRelieved {
                        at: now,
                        utilisation: u,
                    }
                }
            });
        }
    }

    // ----- allocation ------------------------------------------------------------------------

    /// Serves a recipient's request: returns the number to render and what association it
    /// carries, plus the events. Human and click signals take or renew an exclusive lease;
    /// machine signals never do (see the crate docs for the full rules).
    pub fn open(
        &mut self,
        holder: &Holder,
        signal: Signal,
        device: &str,
        now: Timestamp,
    ) -> (Allocation, Vec<Event>) {
        let mut events = Vec::with_capacity(2);
        let allocation = self.open_into(holder, signal, device, now, &mut events);
        (allocation, events)
    }

    /// [`Pool::open`] with its events handed to `events` instead of returned: the same state
    /// change and allocation (`open` is this with a `Vec`). With [`crate::Discard`] no event is
    /// built at all: a replay that keeps no log, such as the backtest, otherwise spends about
    /// half of each open building event strings nobody reads.
    pub fn open_into(
        &mut self,
        holder: &Holder,
        signal: Signal,
        device: &str,
        now: Timestamp,
        events: &mut impl EventSink,
    ) -> Allocation {
        let now = self.tick(now);
        self.advance(now, events);
        let unknown = |pool: &Self, room: u32| {
            pool.holders.len() >= room as usize && pool.find_holder(holder).is_none()
        };
        let full = match signal {
            Signal::Machine => false,
            Signal::Human | Signal::Click => unknown(self, self.config.holder_limit()),
        };
        let unkept =
            signal == Signal::Machine && unknown(self, machine_room(self.config.holder_limit()));
        let (number, lease, sticky, exhausted, expires_at) = if full {
            self.refuse_full(holder, now, events)
        } else if unkept {
            // Shown what a kept prefetch is shown (a soft hold is on the fallback number).
            self.exhaustions.prefetches_unkept += 1;
            (
                self.config.fallback.clone(),
                LeaseKind::Soft,
                false,
                None,
                None,
            )
        } else {
            let h = self.intern_holder(&holder.campaign, &holder.recipient);
            let d = self.intern_device(device);
            let prev_slot = self.holders[h as usize].slot;
            let (slot, lease, exhausted) = match signal {
                Signal::Machine => self.open_machine(h, d, now),
                Signal::Human | Signal::Click => {
                    let opened = self.open_human(h, d, now, events);
                    // Every human open shows the holder their current association's number
                    // now; whether that show was a tap is the click evidence. Only on a pool
                    // number: the fallback and overflow numbers are lines people also call
                    // from elsewhere, as often as the business is called, which the pool cannot
                    // weigh against a tap.
                    let iv = self.iv_mut(h);
                    iv.clicked = signal == Signal::Click
                        && matches!(iv.kind, Kind::Exclusive | Kind::Shared);
                    opened
                }
            };
            (
                self.number(slot),
                lease,
                prev_slot == slot,
                exhausted,
                self.deadline(h),
            )
        };
        events.emit(|| Event::Opened {
            at: now,
            holder: holder.clone(),
            signal,
            device: device.to_owned(),
            number: number.clone(),
            lease,
            sticky,
            expires_at,
        });
        if !(full || unkept) {
            self.check_pressure(now, events);
        }
        Allocation {
            number,
            lease,
            sticky,
            exhausted,
            pressure: self.pressure,
            expires_at,
        }
    }

    /// A person the pool does not know, while it keeps `max_holders`: the fallback, and nothing
    /// kept (no holder record, no association, so no memory), counted as `full`.
    /// Returns what [`Pool::open_into`] answers and logs: number, lease, sticky, outcome,
    /// expiry.
    fn refuse_full(
        &mut self,
        holder: &Holder,
        now: Timestamp,
        events: &mut impl EventSink,
    ) -> (
        String,
        LeaseKind,
        bool,
        Option<ExhaustionOutcome>,
        Option<Timestamp>,
    ) {
        self.exhaustions.full += 1;
        let number = self.config.fallback.clone();
        events.emit(|| Event::Exhausted {
            at: now,
            holder: holder.clone(),
            policy: crate::policy::kind(&self.config.exhaustion),
            outcome: ExhaustionOutcome::Full,
            number: number.clone(),
        });
        (
            number,
            LeaseKind::Fallback,
            false,
            Some(ExhaustionOutcome::Full),
            None,
        )
    }

    pub(crate) fn held_kind(&self, s: u32) -> LeaseKind {
        if self.slots[s as usize].held.len() > 1 {
            LeaseKind::Shared
        } else {
            LeaseKind::Exclusive
        }
    }

    fn loose_kind(kind: Kind) -> LeaseKind {
        match kind {
            Kind::Overflow => LeaseKind::Overflow,
            Kind::Fallback => LeaseKind::Fallback,
            _ => LeaseKind::Soft,
        }
    }

    fn current_kind(&self, h: u32) -> Kind {
        let r = &self.holders[h as usize];
        self.slots[r.slot as usize].history[r.iv as usize].kind
    }

    fn iv_mut(&mut self, h: u32) -> &mut Interval {
        let r = &self.holders[h as usize];
        &mut self.slots[r.slot as usize].history[r.iv as usize]
    }

    /// Extends a loose (soft/fallback/overflow) association to at least `now + len`.
    fn renew_loose(&mut self, h: u32, now: i64, len: i64) {
        let iv = self.iv_mut(h);
        let until = iv.tail_until().max(now.saturating_add(len));
        iv.set_tail_until(until);
        iv.set_touched(now);
        self.arm(h);
    }

    fn open_machine(
        &mut self,
        h: u32,
        d: u32,
        now: i64,
    ) -> (u32, LeaseKind, Option<ExhaustionOutcome>) {
        let rec = &self.holders[h as usize];
        let s = rec.slot;
        let tail = i64::from(self.config.tail_seconds);
        match rec.phase {
            Phase::Held => (s, self.held_kind(s), None),
            Phase::Tail => (s, LeaseKind::Soft, None),
            Phase::Loose => {
                let kind = self.current_kind(h);
                let len = match kind {
                    Kind::Soft => tail,
                    _ => self.loose_len(),
                };
                self.renew_loose(h, now, len);
                (s, Self::loose_kind(kind), None)
            }
            Phase::None => {
                let fb = self.fallback_slot;
                self.grant_loose(h, d, fb, Kind::Soft, now, tail);
                (fb, LeaseKind::Soft, None)
            }
        }
    }

    /// Length of a fallback/overflow association: lease plus tail.
    fn loose_len(&self) -> i64 {
        i64::from(self.config.lease_seconds) + i64::from(self.config.tail_seconds)
    }

    fn open_human(
        &mut self,
        h: u32,
        d: u32,
        now: i64,
        events: &mut impl EventSink,
    ) -> (u32, LeaseKind, Option<ExhaustionOutcome>) {
        let rec = &self.holders[h as usize];
        let s = rec.slot;
        let lease = i64::from(self.config.lease_seconds);
        let max = i64::from(self.config.max_lease());
        let tail = i64::from(self.config.tail_seconds);
        match rec.phase {
            Phase::Held => {
                let iv = self.iv_mut(h);
                let cap = iv.since.saturating_add(max);
                let excl = iv.excl_until().max(now.saturating_add(lease).min(cap));
                iv.set_excl_until(excl);
                iv.set_tail_until(excl.saturating_add(tail));
                iv.set_touched(now);
                iv.device = d;
                self.shown(s, now);
                self.arm(h);
                (s, self.held_kind(s), None)
            }
            Phase::Tail => {
                let since = self.iv_mut(h).since;
                let cap = since.saturating_add(max);
                if self.slots[s as usize].held.is_empty() && cap > now {
                    // Re-acquire the own tail: the association continues (its age cap too).
                    let excl = now.saturating_add(lease).min(cap);
                    let iv = self.iv_mut(h);
                    iv.set_excl_until(excl);
                    iv.set_tail_until(excl.saturating_add(tail));
                    iv.set_touched(now);
                    iv.device = d;
                    self.holders[h as usize].phase = Phase::Held;
                    let slot = &mut self.slots[s as usize];
                    slot.tails.retain(|&x| x != h);
                    slot.held.push(h);
                    self.shown(s, now);
                    self.relist(s);
                    self.arm(h);
                    (s, LeaseKind::Exclusive, None)
                } else if self.shared_tail_places() {
                    // Somebody else leases it now (or the association reached its age cap):
                    // shown it again, they and the new holder would both look as recent as
                    // can be, and a call from either would be a toss-up. They get a number of
                    // their own, as any new opener would, and the old association ends here as
                    // moved (they dial the newer number; see `attribution`).
                    let iv = self.iv_mut(h);
                    iv.cut(now);
                    iv.moved = true;
                    let slot = &mut self.slots[s as usize];
                    slot.tails.retain(|&x| x != h);
                    let rec = &mut self.holders[h as usize];
                    rec.slot = NONE;
                    rec.phase = Phase::None;
                    self.relist(s);
                    self.acquire(h, d, now, events)
                } else {
                    // Shown their number again while someone else holds it (under another
                    // policy, or with every number leased): they stay a candidate, as recent as
                    // this open (the tail's end is unchanged).
                    let iv = self.iv_mut(h);
                    iv.set_touched(now);
                    iv.device = d;
                    self.shown(s, now);
                    self.relist(s);
                    (s, LeaseKind::Soft, None)
                }
            }
            Phase::Loose | Phase::None => self.acquire(h, d, now, events),
        }
    }

    /// Whether the shared-tail policy can place a person on a pool number (a free one, or a
    /// tail nobody leases) instead of the fallback.
    fn shared_tail_places(&self) -> bool {
        matches!(self.config.exhaustion, Exhaustion::SharedTail)
            && !(self.free.is_empty() && self.tail_list.is_empty())
    }

    /// A free number if there is one, else the exhaustion policy.
    fn acquire(
        &mut self,
        h: u32,
        d: u32,
        now: i64,
        events: &mut impl EventSink,
    ) -> (u32, LeaseKind, Option<ExhaustionOutcome>) {
        if let Some(&(_, rank)) = self.free.first() {
            let s = self.rank_to_slot[rank as usize];
            self.grant_held(h, d, s, Kind::Exclusive, now);
            return (s, LeaseKind::Exclusive, None);
        }
        let (policy, taken) = crate::policy::take(self, h, d, now, events);
        if let Some((s, lease, None)) = taken {
            return (s, lease, None); // placed without exhausting the pool (shared tail)
        }
        let taken = taken
            .map(|(s, lease, outcome)| (s, lease, outcome.unwrap_or(ExhaustionOutcome::Fallback)));
        let (s, lease, outcome) = taken.unwrap_or_else(|| {
            let s = self.fallback_slot;
            self.keep_or_grant_loose(h, d, s, Kind::Fallback, now);
            (s, LeaseKind::Fallback, ExhaustionOutcome::Fallback)
        });
        let counts = &mut self.exhaustions;
        match outcome {
            ExhaustionOutcome::Overflow => counts.overflow += 1,
            ExhaustionOutcome::Stole => counts.stole += 1,
            ExhaustionOutcome::Shared => counts.shared += 1,
            ExhaustionOutcome::Fallback => counts.fallback += 1,
            ExhaustionOutcome::Full => counts.full += 1,
        }
        events.emit(|| Event::Exhausted {
            at: now,
            holder: self.holder(h),
            policy,
            outcome,
            number: self.number(s),
        });
        (s, lease, Some(outcome))
    }

    /// Renews a same-kind loose association on `s`, or starts a new one.
    pub(crate) fn keep_or_grant_loose(&mut self, h: u32, d: u32, s: u32, kind: Kind, now: i64) {
        let len = self.loose_len();
        let rec = &self.holders[h as usize];
        if rec.phase == Phase::Loose && rec.slot == s && self.current_kind(h) == kind {
            self.iv_mut(h).device = d;
            self.renew_loose(h, now, len);
        } else {
            self.grant_loose(h, d, s, kind, now, len);
        }
    }

    fn push_interval(&mut self, h: u32, s: u32, iv: Interval) {
        // A holder moving off a loose association (a soft hold or the fallback) was shown
        // something new: the old one ends here and counts as moved for later calls. (Lease and
        // tail associations end before their holder takes another number.)
        let rec = &self.holders[h as usize];
        if rec.slot != NONE && rec.phase == Phase::Loose {
            let old = &mut self.slots[rec.slot as usize].history[rec.iv as usize];
            old.cut(iv.since);
            old.moved = true;
        }
        let history = &mut self.slots[s as usize].history;
        let idx = history.len() as u32;
        if history.len() == history.capacity() {
            // Grow by half instead of doubling from 4: most pool numbers carry few intervals.
            history.reserve_exact(history.len() / 2 + 1);
        }
        history.push(iv);
        let rec = &mut self.holders[h as usize];
        rec.slot = s;
        rec.iv = idx;
    }

    fn grant_loose(&mut self, h: u32, d: u32, s: u32, kind: Kind, now: i64, len: i64) {
        let iv = Interval::new(h, d, kind, now, now, now.saturating_add(len));
        self.push_interval(h, s, iv);
        self.holders[h as usize].phase = Phase::Loose;
        self.arm(h);
    }

    pub(crate) fn grant_held(&mut self, h: u32, d: u32, s: u32, kind: Kind, now: i64) {
        let excl = now.saturating_add(i64::from(self.config.lease_seconds));
        let tail = excl.saturating_add(i64::from(self.config.tail_seconds));
        self.push_interval(h, s, Interval::new(h, d, kind, now, excl, tail));
        self.holders[h as usize].phase = Phase::Held;
        let slot = &mut self.slots[s as usize];
        slot.held.reserve_exact(1);
        slot.held.push(h);
        slot.granted_at = Some(now);
        slot.shown_at = Some(now);
        self.relist(s);
        self.arm(h);
    }

    /// Records that slot `s` was shown to a person at `now` (the shared-tail order).
    fn shown(&mut self, s: u32, now: i64) {
        let slot = &mut self.slots[s as usize];
        slot.shown_at = Some(slot.shown_at.map_or(now, |t| t.max(now)));
    }

    // ----- calls -----------------------------------------------------------------------------

    /// Stores a call (so it can be re-attributed later) and attributes it against the history
    /// as of now. The call's candidate probabilities become caller-ID evidence for later calls
    /// from the same number, and its delays teach the pool's call-delay model.
    pub fn record_call(&mut self, call: Call, now: Timestamp) -> (Attribution, Vec<Event>) {
        let mut events = Vec::new();
        let attribution = self.record_call_into(call, now, &mut events);
        (attribution, events)
    }

    /// [`Pool::record_call`] with its events handed to `events` instead of returned (see
    /// [`Pool::open_into`]): the same stored call, model update and attribution.
    pub fn record_call_into(
        &mut self,
        call: Call,
        now: Timestamp,
        events: &mut impl EventSink,
    ) -> Attribution {
        let now = self.tick(now);
        self.advance(now, events);
        let (attribution, top, scored) = self.attribute_inner(&call, self.calls.len());
        let (linked, device) = top.unwrap_or((NONE, 0));
        let posterior = crate::attribution::posterior(&scored);
        let idx = self.calls.len() as u32;
        if !posterior.is_empty()
            && let Some(from) = &call.from
        {
            self.links
                .entry(from.as_str().into())
                .or_default()
                .push(idx);
        }
        events.emit(|| Event::CallRecorded {
            at: now,
            call: call.clone(),
            holder: top.map(|(h, _)| self.holder(h)),
            confidence: attribution.confidence,
            scorer: crate::attribution::SCORER,
        });
        self.calls.push(StoredCall {
            call,
            recorded_at: now,
            linked,
            posterior,
            device,
        });
        if relearn_due(self.calls.len()) {
            self.relearn();
        }
        self.check_pressure(now, events);
        attribution
    }

    /// Re-estimates the call-delay model from the stored calls: a few rounds of
    /// expectation-maximisation over the most recent [`RELEARN_CALLS`] calls, each round
    /// attributing every call with the previous round's model and counting its candidates'
    /// posterior probabilities at their delays. Batch, not per call: one pass that learns from
    /// each call as it arrives never revisits early posteriors, and in the simulation it drifted
    /// towards overconfidence (`bench/backtest`). Calls with caller-ID evidence are left out: a
    /// repeat call is timed from the earlier call, not from a show; so are calls to the
    /// fallback and overflow numbers, shown to so many that a call says little about delays
    /// (and scanning them every round would cost a whole send per call).
    fn relearn(&mut self) {
        let from = self.calls.len().saturating_sub(RELEARN_CALLS);
        // Exposure: every association since the first of those calls, watched from its last
        // show until now (or the window's end), and from its first show to its last.
        let start = self.calls.get(from).map_or(self.clock, |c| c.call.at);
        let window = i64::from(self.config.attribution_window_seconds);
        let base = DelayModel::default();
        let mut exposure = [0.0; crate::delay::BINS];
        for slot in self.slots.iter().filter(|s| s.role == Role::Pool) {
            for iv in &slot.history {
                let weight = if iv.kind == Kind::Soft {
                    crate::attribution::MACHINE_SEEN
                } else {
                    1.0
                };
                let last = iv.touched();
                if last.saturating_add(window) < start {
                    continue;
                }
                base.exposure_of((self.clock - last).min(window), weight, &mut exposure);
                if last > iv.since {
                    base.exposure_of(last - iv.since, weight, &mut exposure);
                }
            }
        }
        for _ in 0..RELEARN_ROUNDS {
            let mut evidence: Vec<(i64, f64)> = Vec::new();
            for i in from..self.calls.len() {
                let call = &self.calls[i].call;
                let to_pool = self
                    .slot_index
                    .get(call.to.as_str())
                    .is_some_and(|&s| self.slots[s as usize].role == Role::Pool);
                if !to_pool {
                    continue;
                }
                let scored = self.score(call, &[]);
                let repeat = call
                    .from
                    .as_deref()
                    .and_then(|f| self.links.get(f))
                    .is_some_and(|idx| idx.iter().any(|&j| (j as usize) < i));
                if repeat {
                    continue;
                }
                // A tapper's weight is part open, part tap: only the open's part is evidence
                // about the open delays (the posterior that the call followed the show, not
                // the tap).
                evidence.extend(scored.raw.iter().filter_map(|r| {
                    r.delay
                        .map(|d| (d, (r.weight - r.tap * r.factor).max(0.0) / scored.total))
                }));
            }
            self.delays = DelayModel::learned(evidence, &exposure);
        }
    }

    // ----- replay ----------------------------------------------------------------------------

    /// Applies one logged event: input events are re-executed at their time and their recorded
    /// outcome is checked; derived events are recomputed by the inputs, so they are no-ops.
    pub fn apply(&mut self, event: &Event) -> Result<(), PoolError> {
        match event {
            Event::Created { at, .. } => Err(PoolError::ReplayOrder { at: *at }),
            Event::Configured { at, config } => self.configure(config.clone(), *at).map(|_| ()),
            Event::Opened {
                at,
                holder,
                signal,
                device,
                number,
                lease,
                ..
            } => {
                let (got, _) = self.open(holder, *signal, device, *at);
                if got.number != *number || got.lease != *lease {
                    return Err(PoolError::ReplayMismatch {
                        at: *at,
                        detail: format!(
                            "opened: logged {number} ({lease:?}), replay gave {} ({:?})",
                            got.number, got.lease
                        ),
                    });
                }
                Ok(())
            }
            Event::CallRecorded {
                at,
                call,
                holder,
                scorer,
                ..
            } => {
                let (got, _) = self.record_call(call.clone(), *at);
                let top = got
                    .candidates
                    .first()
                    .map(|c| Holder::new(c.campaign.clone(), c.recipient.clone()));
                // A call logged by another version of the scorer is re-scored by this one
                // (attribution is a model that improves); the same scorer must agree.
                if *scorer == crate::attribution::SCORER && top != *holder {
                    return Err(PoolError::ReplayMismatch {
                        at: *at,
                        detail: format!("call_recorded: logged {holder:?}, replay gave {top:?}"),
                    });
                }
                Ok(())
            }
            Event::Pruned { at, .. } => {
                self.prune(*at);
                Ok(())
            }
            Event::Forgotten { .. }
            | Event::LeaseEnded { .. }
            | Event::AssociationEnded { .. }
            | Event::AssociationCut { .. }
            | Event::Quarantined { .. }
            | Event::QuarantineEnded { .. }
            | Event::Exhausted { .. }
            | Event::Stolen { .. }
            | Event::Pressure { .. }
            | Event::PressureRelieved { .. } => Ok(()),
        }
    }

    /// Rebuilds a pool from its log, starting with the `created` event.
    pub fn replay(events: &[Event]) -> Result<Pool, PoolError> {
        let (first, rest) = events.split_first().ok_or(PoolError::ReplayEmpty)?;
        let Event::Created { at, config } = first else {
            return Err(PoolError::ReplayOrder { at: first.at() });
        };
        let (mut pool, _) = Pool::new(config.clone(), *at)?;
        for e in rest {
            pool.apply(e)?;
        }
        Ok(pool)
    }
}

// An association record stays 32 bytes with `moved` and `clicked` in its padding: a pool
// holds one per show of a number within the attribution window.
const _: () = assert!(std::mem::size_of::<Interval>() == 32);
