//! Call attribution ([`Call`] → [`Attribution`]): ranked candidates from the called number's
//! association history, with ambiguity, confidence and a reason (research §4.4).
//!
//! Scoring. Every association on the called number that started at or before the call and
//! was still attributable then (or ended less than `attribution_window_seconds` before it) is
//! a candidate, in the state it had at call time. Base weights: exclusive and shared 1.0,
//! tail 0.5, soft hold and overflow 0.25, fallback 0.1, and 0.05 for a *late* association
//! (ended before the call), counted only when no association was live at call time.
//! Weights are multiplied by recency `1 / (1 + days since the holder's last renewal)`. A
//! caller ID that an earlier, confidently attributed call linked to a recipient adds 3.0 to
//! that recipient (Delacon repeat callers, zar's 30-day route cache; the research calls a
//! caller-ID match decisive), reviving a late association of theirs on this number if any,
//! or adding them with 3.0 as a `caller_id` candidate when they never held it. Scores are the normalised
//! weights; `confidence` is the top score times a ceiling for its state (exclusive 1.0, tail
//! 0.8, soft/overflow 0.5, fallback/late 0.3, linked ≥ 0.95), halved for calls shorter than
//! 5 seconds (misdials); `ambiguous` means two or more candidates and a top score below 0.8.
//! Ties rank the recipient the pool saw first higher. Only the 256 most recent associations before the call are scanned (the fallback number can
//! have one per recipient) and at most 10 candidates are returned.

use serde::{Deserialize, Serialize};

use crate::lease::Timestamp;
use crate::pool::{Interval, Kind, NONE, Pool, Role};

/// A phone call to one of the pool's numbers (Invoca's conversion-matching inputs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Call {
    /// Dialled number (E.164).
    pub to: String,
    /// Caller ID (E.164), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Call start, Unix seconds.
    pub at: Timestamp,
    /// Duration in seconds, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
}

/// One possible caller.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// Campaign of the recipient.
    pub campaign: String,
    /// Recipient token.
    pub recipient: String,
    /// Normalised score (all candidates' scores sum to 1 before truncation).
    pub score: f64,
    /// State at call time: `exclusive`, `shared`, `tail`, `soft`, `fallback`, `overflow`,
    /// `late` (association had ended) or `caller_id` (linked by caller ID only).
    pub state: String,
    /// Device label stored when the association was opened (updated by human renewals).
    pub device: String,
    /// Start of the association (for `caller_id`: the linking call's time).
    pub since: Timestamp,
    /// End of the association's attributable life as known now (`None` for `caller_id`).
    pub until: Option<Timestamp>,
}

/// The answer to an attribution query.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attribution {
    /// Candidates, best first (at most 10).
    pub candidates: Vec<Candidate>,
    /// Several plausible candidates and no decisive one.
    pub ambiguous: bool,
    /// 0..1: how much to trust the first candidate.
    pub confidence: f64,
    /// The call went to the overflow number.
    pub overflow: bool,
    /// `code: human text`; codes: `exclusive`, `shared`, `tail`, `soft_hold`, `fallback`,
    /// `overflow`, `late_call`, `caller_id_link`, `retired_number`, `no_candidates`, `unknown_number`.
    pub reason: String,
}

/// Minimum confidence (unambiguous) for a call to link its caller ID to its top candidate.
pub const LINK_CONFIDENCE: f64 = 0.5;
/// Candidates returned at most.
pub const MAX_CANDIDATES: usize = 10;
/// Associations scanned at most per query (most recent first).
pub const SCAN_LIMIT: usize = 256;
const LINK_BOOST: f64 = 3.0;
const LINK_ONLY: f64 = LINK_BOOST;
const MISDIAL_SECONDS: u32 = 5;
const AMBIGUOUS_BELOW: f64 = 0.8;

/// Candidate state at call time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Held,
    Tail,
    Soft,
    Fallback,
    Overflow,
    Late,
    CallerId,
}

impl State {
    fn base(self) -> f64 {
        match self {
            Self::Held => 1.0,
            Self::Tail => 0.5,
            Self::Soft | Self::Overflow => 0.25,
            Self::Fallback => 0.1,
            Self::Late => 0.05,
            Self::CallerId => LINK_ONLY,
        }
    }
    fn ceiling(self) -> f64 {
        match self {
            Self::Held => 1.0,
            Self::Tail => 0.8,
            Self::Soft | Self::Overflow => 0.5,
            Self::Fallback | Self::Late => 0.3,
            Self::CallerId => 0.95,
        }
    }
}

/// A candidate before normalisation.
#[derive(Clone, Copy, Debug)]
struct Raw {
    holder: u32,
    device: u32,
    state: State,
    since: i64,
    until: Option<i64>,
    weight: f64,
    linked: bool,
}

/// A caller-ID link: (holder, device, time of the linking call).
pub(crate) type Link = (u32, u32, i64);

fn state_at(iv: &Interval, t: i64) -> State {
    match iv.kind {
        Kind::Exclusive | Kind::Shared if t < iv.excl_until() => State::Held,
        Kind::Exclusive | Kind::Shared if t < iv.tail_until() => State::Tail,
        Kind::Soft if t < iv.tail_until() => State::Soft,
        Kind::Fallback if t < iv.tail_until() => State::Fallback,
        Kind::Overflow if t < iv.tail_until() => State::Overflow,
        _ => State::Late,
    }
}

/// One entry per holder, the heaviest (ties: the earliest scanned), in holder order: the same
/// result as a stable sort by (holder, weight descending) and a dedup, without moving the
/// 48-byte records through a comparison sort (sorting 8-byte keys instead dominated the
/// fallback number's query time).
fn heaviest_per_holder(raw: Vec<Raw>) -> Vec<Raw> {
    let mut keys: Vec<u64> = raw
        .iter()
        .enumerate()
        .map(|(i, r)| u64::from(r.holder) << 32 | i as u64)
        .collect();
    keys.sort_unstable();
    let mut out: Vec<Raw> = Vec::with_capacity(raw.len());
    let mut last = None;
    for k in keys {
        let r = raw[(k & u64::from(u32::MAX)) as usize];
        match out.last_mut() {
            Some(best) if last == Some(r.holder) => {
                if r.weight > best.weight {
                    *best = r;
                }
            }
            _ => {
                out.push(r);
                last = Some(r.holder);
            }
        }
    }
    out
}

fn recency(t: i64, touched: i64) -> f64 {
    let days = (t - touched).max(0) as f64 / 86_400.0;
    1.0 / (1.0 + days)
}

impl Pool {
    /// Attributes a call without storing it (pure query; uses caller-ID links from stored
    /// calls placed before it).
    pub fn attribute(&self, call: &Call) -> Attribution {
        self.attribute_inner(call, self.calls.len()).0
    }

    /// Links for `from` from the first `stored` stored calls.
    fn live_links(&self, from: Option<&str>, stored: usize) -> Vec<Link> {
        let Some(idxs) = from.and_then(|f| self.links.get(f)) else {
            return Vec::new();
        };
        idxs.iter()
            .filter(|&&i| (i as usize) < stored)
            .map(|&i| {
                let c = &self.calls[i as usize];
                (c.linked, c.device, c.call.at)
            })
            .collect()
    }

    pub(crate) fn attribute_inner(
        &self,
        call: &Call,
        stored: usize,
    ) -> (Attribution, Option<(u32, u32)>) {
        let links = self.live_links(call.from.as_deref(), stored);
        self.attribute_with(call, &links)
    }

    /// Recomputes the attribution of every stored call against the current history, in call
    /// order (so caller-ID links follow call time, not recording time). Returned in recording order.
    pub fn reattribute(&self) -> Vec<(Call, Attribution)> {
        let mut order: Vec<usize> = (0..self.calls.len()).collect();
        order.sort_by_key(|&i| (self.calls[i].call.at, i));
        let mut links: std::collections::HashMap<&str, Vec<Link>> = Default::default();
        let mut out: Vec<Option<Attribution>> = vec![None; self.calls.len()];
        for i in order {
            let call = &self.calls[i].call;
            let known: &[Link] = call
                .from
                .as_deref()
                .and_then(|f| links.get(f))
                .map_or(&[], Vec::as_slice);
            let (att, top) = self.attribute_with(call, known);
            if let (Some((h, d)), Some(from)) = (top, call.from.as_deref())
                && !att.ambiguous
                && att.confidence >= LINK_CONFIDENCE
            {
                links.entry(from).or_default().push((h, d, call.at));
            }
            out[i] = Some(att);
        }
        self.calls
            .iter()
            .zip(out)
            .filter_map(|(c, a)| a.map(|a| (c.call.clone(), a)))
            .collect()
    }

    /// Core scorer. Returns the attribution and its top (holder, device) if any.
    pub(crate) fn attribute_with(
        &self,
        call: &Call,
        links: &[Link],
    ) -> (Attribution, Option<(u32, u32)>) {
        let t = call.at;
        let window = i64::from(self.config.attribution_window_seconds);
        let Some(&s) = self.slot_index.get(call.to.as_str()) else {
            return (
                Attribution {
                    candidates: Vec::new(),
                    ambiguous: false,
                    confidence: 0.0,
                    overflow: false,
                    reason: "unknown_number: the called number is not known to this pool".into(),
                },
                None,
            );
        };
        let slot = &self.slots[s as usize];
        let end = slot.history.partition_point(|iv| iv.since <= t);
        let start = end.saturating_sub(SCAN_LIMIT);
        let mut raw: Vec<Raw> = Vec::with_capacity(end - start);
        for iv in &slot.history[start..end] {
            let state = state_at(iv, t);
            if state == State::Late && t - iv.tail_until() > window {
                continue;
            }
            raw.push(Raw {
                holder: iv.holder,
                device: iv.device,
                state,
                since: iv.since,
                until: Some(iv.tail_until()),
                weight: state.base() * recency(t, iv.touched().min(t)),
                linked: false,
            });
        }
        // Late associations count only when nothing was live; a linked caller may revive one.
        let mut late: Vec<Raw> = Vec::new();
        if raw.iter().any(|r| r.state != State::Late) {
            raw.retain(|r| {
                if r.state == State::Late {
                    late.push(*r);
                }
                r.state != State::Late
            });
        }
        let held = raw.iter().filter(|r| r.state == State::Held).count();
        let mut raw = heaviest_per_holder(raw);
        let mut seen_links: Vec<u32> = Vec::new();
        for &(h, d, at) in links {
            if h == NONE || at >= t || t - at > window || seen_links.contains(&h) {
                continue;
            }
            seen_links.push(h);
            if let Some(r) = raw.iter_mut().find(|r| r.holder == h) {
                r.weight += LINK_BOOST;
                r.linked = true;
                continue;
            }
            let revived = late
                .iter()
                .filter(|r| r.holder == h)
                .max_by(|a, b| a.weight.total_cmp(&b.weight));
            match revived {
                Some(r) => raw.push(Raw {
                    weight: r.weight + LINK_BOOST,
                    linked: true,
                    ..*r
                }),
                None => raw.push(Raw {
                    holder: h,
                    device: d,
                    state: State::CallerId,
                    since: at,
                    until: None,
                    weight: LINK_ONLY,
                    linked: true,
                }),
            }
        }
        let total: f64 = raw.iter().map(|r| r.weight).sum();
        // Best first; ties by holder id (the order in which the pool first saw them), which
        // keeps the query free of string look-ups for candidates that are not returned.
        // Only the returned candidates need ordering: select them in linear time, then sort them.
        let rank = |&a: &usize, &b: &usize| {
            raw[b]
                .weight
                .total_cmp(&raw[a].weight)
                .then(raw[a].holder.cmp(&raw[b].holder))
        };
        let mut order: Vec<usize> = (0..raw.len()).collect();
        if order.len() > MAX_CANDIDATES {
            order.select_nth_unstable_by(MAX_CANDIDATES - 1, rank);
            order.truncate(MAX_CANDIDATES);
        }
        order.sort_unstable_by(rank);
        let name = |h: u32| {
            let rec = &self.holders[h as usize];
            (&*self.campaigns[rec.campaign as usize], &*rec.recipient)
        };
        let label = |st: State| match st {
            State::Held if held > 1 => "shared",
            State::Held => "exclusive",
            State::Tail => "tail",
            State::Soft => "soft",
            State::Fallback => "fallback",
            State::Overflow => "overflow",
            State::Late => "late",
            State::CallerId => "caller_id",
        };
        let candidates: Vec<Candidate> = order
            .iter()
            .take(MAX_CANDIDATES)
            .map(|&i| {
                let r = &raw[i];
                let (campaign, recipient) = name(r.holder);
                Candidate {
                    campaign: campaign.to_owned(),
                    recipient: recipient.to_owned(),
                    score: if total > 0.0 { r.weight / total } else { 0.0 },
                    state: label(r.state).to_owned(),
                    device: self
                        .devices
                        .get(r.device as usize)
                        .map_or_else(String::new, |d| d.to_string()),
                    since: r.since,
                    until: r.until,
                }
            })
            .collect();
        let overflow = slot.role == Role::Overflow;
        let Some(&top_i) = order.first() else {
            let reason = if slot.role == Role::Retired {
                "retired_number: late call to a retired number; no association in the window"
            } else {
                "no_candidates: nobody was associated with this number within the attribution window"
            };
            let attribution = Attribution {
                candidates,
                ambiguous: false,
                confidence: 0.0,
                overflow,
                reason: reason.into(),
            };
            return (attribution, None);
        };
        let top = raw[top_i];
        let p_top = if total > 0.0 { top.weight / total } else { 0.0 };
        let ceiling = if top.linked {
            top.state.ceiling().max(State::CallerId.ceiling())
        } else {
            top.state.ceiling()
        };
        let short = call.duration.is_some_and(|d| d < MISDIAL_SECONDS);
        let confidence = p_top * ceiling * if short { 0.5 } else { 1.0 };
        let ambiguous = raw.len() >= 2 && p_top < AMBIGUOUS_BELOW;
        let (code, text) = if slot.role == Role::Retired {
            (
                "retired_number",
                "late call to a retired (quarantined) number",
            )
        } else if top.linked {
            (
                "caller_id_link",
                "caller ID links to a recipient of an earlier attributed call",
            )
        } else {
            match top.state {
                State::Held if held > 1 => {
                    ("shared", "the number was shared by several recipients")
                }
                State::Held => (
                    "exclusive",
                    "the number was exclusively leased at call time",
                ),
                State::Tail => ("tail", "the number was in its holder's tail at call time"),
                State::Soft => ("soft_hold", "machine-signal soft hold only"),
                State::Fallback => (
                    "fallback",
                    "the fallback number is shown to many recipients",
                ),
                State::Overflow => (
                    "overflow",
                    "the overflow number is shared by overflowed recipients",
                ),
                State::Late => ("late_call", "every association had ended before the call"),
                State::CallerId => ("caller_id_link", "caller ID only"),
            }
        };
        let mut reason = format!("{code}: {text}");
        if ambiguous {
            reason.push_str(&format!("; {} candidates", raw.len()));
        }
        if short {
            reason.push_str("; very short call (possible misdial)");
        }
        let attribution = Attribution {
            candidates,
            ambiguous,
            confidence,
            overflow,
            reason,
        };
        (attribution, Some((top.holder, top.device)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The previous formulation: stable sort by (holder, weight descending), then dedup.
    fn sort_dedup(mut raw: Vec<Raw>) -> Vec<Raw> {
        raw.sort_by(|a, b| a.holder.cmp(&b.holder).then(b.weight.total_cmp(&a.weight)));
        raw.dedup_by_key(|r| r.holder);
        raw
    }

    #[test]
    fn heaviest_per_holder_matches_sort_and_dedup() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..200 {
            let n = (next() % 300) as usize;
            let holders = 1 + round % 40;
            let raw: Vec<Raw> = (0..n)
                .map(|i| Raw {
                    holder: (next() % holders) as u32,
                    device: i as u32, // identifies which duplicate survived
                    state: State::Fallback,
                    since: i as i64,
                    until: Some(i as i64),
                    weight: f64::from((next() % 4) as u32) * 0.25, // many ties
                    linked: false,
                })
                .collect();
            let got = heaviest_per_holder(raw.clone());
            let want = sort_dedup(raw);
            let key = |v: &[Raw]| -> Vec<(u32, u32, u64)> {
                v.iter()
                    .map(|r| (r.holder, r.device, r.weight.to_bits()))
                    .collect()
            };
            assert_eq!(key(&got), key(&want), "round {round}");
        }
    }
}
