//! The serialised form of a [`Pool`] (its snapshot) and pruning, which is a filtered
//! snapshot round trip.
//!
//! The snapshot is plain data: holders, numbers and their association histories as arrays
//! with indices into one another, no derived indexes (free/tail lists, timers and hash tables
//! are rebuilt on load). Loading validates every index, so a corrupted snapshot is an error,
//! never a panic.
//!
//! Two forms write the same text: the owned [`Snapshot`], which loading reads (versions,
//! migrations, validation) and which pruning and forgetting edit before they reload it, and
//! the borrowed [`view::SnapshotRef`], which a pool serialises through so that writing a
//! snapshot does not first copy the whole allocator.

mod view;

use serde::{Deserialize, Serialize};

use crate::attribution::Call;
use crate::config::PoolConfig;
use crate::delay::DelayModel;
use crate::directory::{HolderIndex, Recipient, key_hash};
use crate::error::PoolError;
use crate::event::Event;
use crate::lease::Timestamp;
use crate::pool::{
    ExhaustionCounts, HolderRec, Interval, Kind, NONE, Phase, Pool, Role, Slot, StoredCall,
};
use view::SnapshotRef;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Snapshot {
    /// Format version: absent in snapshots written before versions ([`LEGACY`]), then
    /// [`FORMAT`]. Loading an older version migrates it (see `TryFrom<Snapshot>`).
    #[serde(default = "legacy")]
    version: u32,
    config: PoolConfig,
    clock: i64,
    pressure: bool,
    exhaustions: ExhaustionCounts,
    campaigns: Vec<String>,
    devices: Vec<String>,
    holders: Vec<SnapHolder>,
    numbers: Vec<SnapNumber>,
    calls: Vec<SnapCall>,
    /// The call-delay model's learned soft counts, in millionths of a call (absent before the
    /// model learned anything).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    delay_counts: Vec<u64>,
    /// The holders' exposure those counts were learned over, in millionths of the default
    /// model's mass per bin.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    delay_exposure: Vec<u64>,
}

/// The snapshot format written now. 2: intervals carry `moved`, calls carry `posterior`, the
/// delay model's counts and exposure are stored. 3: intervals carry `clicked` (a format-2
/// snapshot loads with none: it was written before a tap was told from an open).
pub(crate) const FORMAT: u32 = 3;
/// Snapshots without a version field.
const LEGACY: u32 = 1;

fn legacy() -> u32 {
    LEGACY
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapHolder {
    campaign: u32,
    recipient: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    association: Option<SnapAssociation>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapAssociation {
    number: u32,
    interval: u32,
    phase: Phase,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapNumber {
    e164: String,
    role: Role,
    quarantine_until: Option<i64>,
    released_at: Option<i64>,
    granted_at: Option<i64>,
    held: Vec<u32>,
    tails: Vec<u32>,
    history: Vec<SnapInterval>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapInterval {
    holder: u32,
    device: u32,
    kind: Kind,
    since: i64,
    touched: i64,
    excl_until: i64,
    tail_until: i64,
    /// The holder was shown another number after this one (absent: false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    moved: bool,
    /// The latest show was a tap on the call button (absent: false; format 3).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    clicked: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapCall {
    call: Call,
    recorded_at: i64,
    /// Top candidate when the call was recorded.
    linked: Option<u32>,
    device: u32,
    /// The most probable candidates and their probabilities (caller-ID evidence). Absent in
    /// snapshots written before it existed: then `linked` stands for a link at
    /// [`LEGACY_LINK`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    posterior: Vec<(u32, u32)>,
}

impl SnapAssociation {
    /// A holder's current association, if it has one (shared by the owned snapshot and the
    /// borrowed view, so the two cannot drift apart).
    fn of(h: &HolderRec) -> Option<Self> {
        (h.slot != NONE).then_some(Self {
            number: h.slot,
            interval: h.iv,
            phase: h.phase,
        })
    }
}

impl From<&Interval> for SnapInterval {
    fn from(iv: &Interval) -> Self {
        Self {
            holder: iv.holder,
            device: iv.device,
            kind: iv.kind,
            since: iv.since,
            touched: iv.touched(),
            excl_until: iv.excl_until(),
            tail_until: iv.tail_until(),
            moved: iv.moved,
            clicked: iv.clicked,
        }
    }
}

/// Probability (parts per million) given to a caller-ID link from a snapshot that kept only
/// the linked holder (such links were made only for unambiguous calls at confidence ≥ 0.5).
const LEGACY_LINK: u32 = 900_000;

impl From<&Pool> for Snapshot {
    fn from(p: &Pool) -> Self {
        Self {
            version: FORMAT,
            config: p.config.clone(),
            clock: p.clock,
            pressure: p.pressure,
            exhaustions: p.exhaustions,
            campaigns: p.campaigns.iter().map(|c| c.to_string()).collect(),
            devices: p.devices.iter().map(|d| d.to_string()).collect(),
            holders: p
                .holders
                .iter()
                .map(|h| SnapHolder {
                    campaign: h.campaign,
                    recipient: h.recipient.to_string(),
                    association: SnapAssociation::of(h),
                })
                .collect(),
            numbers: p
                .slots
                .iter()
                .map(|s| SnapNumber {
                    e164: s.e164.to_string(),
                    role: s.role,
                    quarantine_until: s.quarantine_until,
                    released_at: s.released_at,
                    granted_at: s.granted_at,
                    held: s.held.clone(),
                    tails: s.tails.clone(),
                    history: s.history.iter().map(SnapInterval::from).collect(),
                })
                .collect(),
            calls: p
                .calls
                .iter()
                .map(|c| SnapCall {
                    call: c.call.clone(),
                    recorded_at: c.recorded_at,
                    linked: (c.linked != NONE).then_some(c.linked),
                    device: c.device,
                    posterior: c.posterior.clone(),
                })
                .collect(),
            delay_counts: if p.delays.counts().iter().any(|&c| c > 0) {
                p.delays.counts().to_vec()
            } else {
                Vec::new()
            },
            delay_exposure: if p.delays.exposure().iter().any(|&c| c > 0) {
                p.delays.exposure().to_vec()
            } else {
                Vec::new()
            },
        }
    }
}

fn bad(detail: impl Into<String>) -> PoolError {
    PoolError::Snapshot {
        detail: detail.into(),
    }
}

impl TryFrom<Snapshot> for Pool {
    type Error = PoolError;

    fn try_from(snap: Snapshot) -> Result<Self, PoolError> {
        if snap.version > FORMAT {
            return Err(bad(format!(
                "snapshot format {} is newer than this build reads ({FORMAT})",
                snap.version
            )));
        }
        snap.config.validate()?;
        let n_holders = snap.holders.len();
        let n_slots = snap.numbers.len();
        if n_holders >= NONE as usize || n_slots >= NONE as usize {
            return Err(bad("too many holders or numbers"));
        }
        let mut pool = Pool::shell(snap.config, snap.clock);
        pool.pressure = snap.pressure;
        pool.exhaustions = snap.exhaustions;
        for c in &snap.campaigns {
            if pool.intern_campaign(c) as usize != pool.campaigns.len() - 1 {
                return Err(bad(format!("campaign {c} listed twice")));
            }
        }
        for d in &snap.devices {
            if pool.intern_device(d) as usize != pool.devices.len() - 1 {
                return Err(bad(format!("device {d} listed twice")));
            }
        }
        let n_devices = pool.devices.len();
        for (i, n) in snap.numbers.into_iter().enumerate() {
            if pool.slot_index.contains_key(n.e164.as_str()) {
                return Err(bad(format!("number {} listed twice", n.e164)));
            }
            let mut history = Vec::with_capacity(n.history.len());
            let mut last_since = i64::MIN;
            for iv in n.history {
                if iv.holder as usize >= n_holders || iv.device as usize >= n_devices {
                    return Err(bad(format!("number {i}: interval with a dangling index")));
                }
                if iv.since < last_since
                    || iv.excl_until < iv.since
                    || iv.tail_until < iv.excl_until
                    || iv.touched < iv.since
                {
                    return Err(bad(format!("number {i}: interval times out of order")));
                }
                last_since = iv.since;
                let mut rec = Interval::new(
                    iv.holder,
                    iv.device,
                    iv.kind,
                    iv.since,
                    iv.excl_until,
                    iv.tail_until,
                );
                rec.set_touched(iv.touched);
                rec.moved = iv.moved;
                rec.clicked = iv.clicked;
                history.push(rec);
            }
            if n.held
                .iter()
                .chain(&n.tails)
                .any(|&h| h as usize >= n_holders)
            {
                return Err(bad(format!("number {i}: dangling holder")));
            }
            pool.slot_index.insert(n.e164.as_str().into(), i as u32);
            pool.slots.push(Slot {
                e164: n.e164.into(),
                rank: 0,
                role: n.role,
                quarantine_until: n.quarantine_until,
                released_at: n.released_at,
                granted_at: n.granted_at,
                held: n.held,
                tails: n.tails,
                shown_at: history.iter().map(Interval::touched).max(),
                history,
                listed: None,
            });
        }
        for (i, h) in snap.holders.iter().enumerate() {
            let c = pool
                .campaigns
                .get(h.campaign as usize)
                .map(|c| c.to_string());
            let Some(campaign) = c else {
                return Err(bad(format!("holder {i}: dangling campaign")));
            };
            if pool.intern_holder(&campaign, &h.recipient) as usize != i {
                return Err(bad(format!("holder {i} listed twice")));
            }
            let Some(a) = h.association else { continue };
            let slot = pool
                .slots
                .get(a.number as usize)
                .ok_or_else(|| bad(format!("holder {i}: dangling number")))?;
            let iv = slot
                .history
                .get(a.interval as usize)
                .ok_or_else(|| bad(format!("holder {i}: dangling interval")))?;
            let listed_ok = match a.phase {
                Phase::Held => slot.role == Role::Pool && slot.held.contains(&(i as u32)),
                Phase::Tail => slot.role == Role::Pool && slot.tails.contains(&(i as u32)),
                Phase::Loose => matches!(slot.role, Role::Fallback | Role::Overflow),
                Phase::None => false,
            };
            if iv.holder as usize != i || !listed_ok {
                return Err(bad(format!("holder {i}: association inconsistent")));
            }
            let rec: &mut HolderRec = &mut pool.holders[i];
            rec.slot = a.number;
            rec.iv = a.interval;
            rec.phase = a.phase;
        }
        // Format 1 → 2: a loose association older than its holder's current one was left
        // behind by a move (what `push_interval` records as `moved` since format 2).
        let current: Vec<Option<i64>> = pool
            .holders
            .iter()
            .map(|r| {
                (r.slot != NONE).then(|| pool.slots[r.slot as usize].history[r.iv as usize].since)
            })
            .collect();
        for (s, slot) in pool.slots.iter_mut().enumerate() {
            if snap.version >= 2 {
                break;
            }
            for (i, iv) in slot.history.iter_mut().enumerate() {
                let rec = &pool.holders[iv.holder as usize];
                let is_current = rec.slot as usize == s && rec.iv as usize == i;
                if let Some(since) = current[iv.holder as usize]
                    && !is_current
                    && since > iv.since
                    && matches!(iv.kind, Kind::Soft | Kind::Fallback | Kind::Overflow)
                {
                    iv.cut(since);
                    iv.moved = true;
                }
            }
        }
        // Every listed holder must point back at its slot.
        for (s, slot) in pool.slots.iter().enumerate() {
            let back = |h: &u32, phase| {
                let r = &pool.holders[*h as usize];
                r.slot as usize == s && r.phase == phase
            };
            if !slot.held.iter().all(|h| back(h, Phase::Held))
                || !slot.tails.iter().all(|h| back(h, Phase::Tail))
            {
                return Err(bad(format!("number {s}: holder lists inconsistent")));
            }
        }
        pool.fallback_slot = *pool
            .slot_index
            .get(pool.config.fallback.as_str())
            .ok_or_else(|| bad("fallback number missing"))?;
        pool.overflow_slot = match pool.config.overflow_number() {
            Some(o) => *pool
                .slot_index
                .get(o)
                .ok_or_else(|| bad("overflow number missing"))?,
            None => NONE,
        };
        for c in snap.calls {
            let linked = match c.linked {
                Some(h) if h as usize >= n_holders => {
                    return Err(bad("call linked to a dangling holder"));
                }
                Some(h) => h,
                None => NONE,
            };
            if c.posterior.iter().any(|&(h, _)| h as usize >= n_holders) {
                return Err(bad("call evidence names a dangling holder"));
            }
            let posterior = if c.posterior.is_empty() && linked != NONE {
                vec![(linked, LEGACY_LINK)]
            } else {
                c.posterior
            };
            let idx = pool.calls.len() as u32;
            if !posterior.is_empty()
                && let Some(from) = &c.call.from
            {
                pool.links
                    .entry(from.as_str().into())
                    .or_default()
                    .push(idx);
            }
            pool.calls.push(StoredCall {
                call: c.call,
                recorded_at: c.recorded_at,
                linked,
                posterior,
                device: c.device,
            });
        }
        pool.delays = DelayModel::with_counts(&snap.delay_counts, &snap.delay_exposure);
        for s in 0..pool.slots.len() as u32 {
            if let Some(q) = pool.slots[s as usize].quarantine_until {
                pool.slot_timers.push(std::cmp::Reverse((q, s)));
            }
        }
        for h in 0..pool.holders.len() as u32 {
            pool.arm(h);
        }
        pool.rerank();
        Ok(pool)
    }
}

// A pool serialises as its snapshot, written straight from its own data (`SnapshotRef`): the
// same text as the owned `Snapshot::from` would give, without copying the allocator first.
impl Serialize for Pool {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SnapshotRef::new(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Pool {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let snap = Snapshot::deserialize(deserializer)?;
        Pool::try_from(snap).map_err(serde::de::Error::custom)
    }
}

impl Pool {
    /// Drops associations that ended more than `attribution_window_seconds` before `now`,
    /// calls placed before that, holders with nothing left, and retired numbers out of
    /// quarantine with no history. Compacts indices (a snapshot round trip).
    ///
    /// # Panics
    /// Only on a bug: when the pruned snapshot of this (valid) pool does not load.
    pub fn prune(&mut self, now: Timestamp) -> Vec<Event> {
        let now = self.tick(now);
        let mut events = Vec::new();
        self.advance(now, &mut events);
        let cutoff = now.saturating_sub(i64::from(self.config.attribution_window_seconds));
        let mut snap = Snapshot::from(&*self);
        let (mut n_iv, mut n_calls, mut n_holders) = (0u64, 0u64, 0u64);

        // Associations: keep the current ones and those still inside the window.
        for (s, number) in snap.numbers.iter_mut().enumerate() {
            let current: Vec<bool> = {
                let mut c = vec![false; number.history.len()];
                for h in &snap.holders {
                    if let Some(a) = h.association
                        && a.number as usize == s
                    {
                        c[a.interval as usize] = true;
                    }
                }
                c
            };
            let mut remap = vec![NONE; number.history.len()];
            let mut kept = Vec::with_capacity(number.history.len());
            for (i, iv) in number.history.iter().enumerate() {
                if current[i] || iv.tail_until >= cutoff {
                    remap[i] = kept.len() as u32;
                    kept.push(*iv);
                } else {
                    n_iv += 1;
                }
            }
            number.history = kept;
            for h in &mut snap.holders {
                if let Some(a) = &mut h.association
                    && a.number as usize == s
                {
                    a.interval = remap[a.interval as usize];
                }
            }
        }
        // Calls inside the window.
        let before = snap.calls.len();
        snap.calls.retain(|c| c.call.at >= cutoff);
        n_calls += (before - snap.calls.len()) as u64;

        // Numbers: drop retired ones out of quarantine with no history left.
        let mut slot_map = vec![NONE; snap.numbers.len()];
        let mut numbers = Vec::with_capacity(snap.numbers.len());
        for (s, n) in std::mem::take(&mut snap.numbers).into_iter().enumerate() {
            if n.role == Role::Retired && n.quarantine_until.is_none() && n.history.is_empty() {
                continue;
            }
            slot_map[s] = numbers.len() as u32;
            numbers.push(n);
        }
        snap.numbers = numbers;

        // Holders: keep those with an association, an interval or a call link.
        let mut used = vec![false; snap.holders.len()];
        for h in snap
            .numbers
            .iter()
            .flat_map(|n| n.history.iter().map(|iv| iv.holder))
            .chain(snap.calls.iter().filter_map(|c| c.linked))
            .chain(
                snap.calls
                    .iter()
                    .flat_map(|c| c.posterior.iter().map(|p| p.0)),
            )
        {
            used[h as usize] = true;
        }
        for (i, h) in snap.holders.iter().enumerate() {
            if h.association.is_some() {
                used[i] = true;
            }
        }
        let mut holder_map = vec![NONE; snap.holders.len()];
        let mut holders = Vec::with_capacity(snap.holders.len());
        for (i, mut h) in std::mem::take(&mut snap.holders).into_iter().enumerate() {
            if !used[i] {
                n_holders += 1;
                continue;
            }
            if let Some(a) = &mut h.association {
                a.number = slot_map[a.number as usize];
            }
            holder_map[i] = holders.len() as u32;
            holders.push(h);
        }
        snap.holders = holders;
        for n in &mut snap.numbers {
            for h in n.held.iter_mut().chain(n.tails.iter_mut()) {
                *h = holder_map[*h as usize];
            }
            for iv in &mut n.history {
                iv.holder = holder_map[iv.holder as usize];
            }
        }
        for c in &mut snap.calls {
            c.linked = c.linked.map(|h| holder_map[h as usize]);
            for p in &mut c.posterior {
                p.0 = holder_map[p.0 as usize];
            }
        }
        // The pool the snapshot was taken from goes before the pruned one is built from it: the
        // two side by side, next to the snapshot, were a large pool's memory peak (the retention
        // alarm's, `bench/wasm/pool-memory.mjs`). A snapshot of a valid pool, pruned, is valid
        // (the same check loads every stored snapshot); were it ever not, that is a bug, and the
        // panic leaves the pool object to reload from storage, where none of this was written.
        let shell = Pool::shell(self.config.clone(), self.clock);
        drop(std::mem::replace(self, shell));
        *self = Pool::try_from(snap)
            .unwrap_or_else(|e| panic!("a pruned snapshot of a valid pool does not load: {e}"));
        events.push(Event::Pruned {
            at: now,
            associations: n_iv,
            calls: n_calls,
            holders: n_holders,
        });
        self.check_pressure(now, &mut events);
        events
    }

    /// Forgets `recipient` (every campaign's holder of that id), on request: each of its holder
    /// records keeps its place — its leases, tails and the calls it could have made still count
    /// when a call is attributed, so nobody else is credited with a call the forgotten recipient
    /// may make — under an id that names no one ([`erased_recipient`]). Returns how many holder
    /// records were renamed (0: the pool does not know the id) and the event to log, which
    /// carries no id. Replaying that event cannot redo the renaming: whoever stores the pool must
    /// write a snapshot taken after it and drop the events before it (the pool object does, in
    /// the same transaction), so the id survives nowhere.
    pub fn forget(&mut self, recipient: &str, now: Timestamp) -> (u64, Vec<Event>) {
        let now = self.tick(now);
        let mut forgotten = 0u64;
        for (i, h) in self.holders.iter_mut().enumerate() {
            if h.recipient.as_str() == recipient {
                h.recipient = Recipient::new(&erased_recipient(i));
                forgotten += 1;
            }
        }
        if forgotten == 0 {
            return (0, Vec::new());
        }
        // Renamed in place (a copy of a large pool would double its memory at an erasure): only
        // the (campaign, recipient) index changes, and it is rebuilt whole (it never deletes).
        let mut index = HolderIndex::default();
        let holders = &self.holders;
        let rehash = |x: u32| {
            let r = &holders[x as usize];
            key_hash(r.campaign, r.recipient.as_bytes())
        };
        for (i, r) in holders.iter().enumerate() {
            index.insert(
                key_hash(r.campaign, r.recipient.as_bytes()),
                i as u32,
                rehash,
            );
        }
        self.holder_index = index;
        (
            forgotten,
            vec![Event::Forgotten {
                at: now,
                holders: forgotten,
            }],
        )
    }
}

/// The id a forgotten holder record takes: it starts with a control character, which no
/// recipient id may contain (`ringmark` refuses them when it issues tokens), and carries the
/// record's index, so two forgotten records of one campaign stay two.
pub fn erased_recipient(index: usize) -> String {
    format!("{ERASED}{index}")
}

/// The start of every [`erased_recipient`] id.
pub const ERASED: &str = "\u{1}erased:";

/// Whether `recipient` is an id [`Pool::forget`] gave.
pub fn is_erased(recipient: &str) -> bool {
    recipient.starts_with(ERASED)
}
