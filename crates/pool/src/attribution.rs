//! Call attribution ([`Call`] → [`Attribution`]): ranked candidates from the called number's
//! association history, each with the probability that they are the caller.
//!
//! Model. A call to number X at time `t` was placed by one of the people who had been shown X,
//! or by somebody else (an outsider: a forwarded email, a wrong number). Each candidate's
//! weight is a likelihood:
//!
//! * `density(t − shown)` from the pool's call-delay model ([`crate::delay`]): `shown` is the
//!   last time the candidate was shown X (a grant, a renewal, a re-open in their tail);
//! * `+ TAP_LR · tap_density(t − shown)` when that last show was a tap on the snippet's call
//!   button ([`crate::tap`]): the dialler opened with the number, and the call follows within
//!   a minute or two, or not at all;
//! * × [`MACHINE_SEEN`] for a machine-only soft hold (a proxy or prefetch fetched the fallback;
//!   a person may or may not have looked at it);
//! * × [`MOVED`] when the candidate was shown *another* number after X and before the call (a
//!   recipient dials the number they saw last);
//! * × `1 + CALLER_ID_LR · p` when an earlier call from the same caller ID was attributed to
//!   the candidate with probability `p`: a caller ID is strong evidence but not absolute
//!   (households and offices share lines, and the earlier call may itself have been wrong).
//!   A linked recipient who never held X is still a candidate (`caller_id`), at the outsider
//!   density times that ratio.
//!
//! Scores are weights over their sum plus one outsider, so they are the probabilities of a
//! Bayesian posterior and `confidence` (the top score, halved for calls under 5 seconds, which
//! are often misdials) means what it says: among calls stated at 0.9, about nine in ten are
//! right when the delay model fits (the pool learns its own delays from its calls; see
//! `bench/backtest` for the measured calibration). Every association within the attribution
//! window is scanned, ended ones included (a late caller is never silently dropped); a
//! recipient with several associations on X counts once, with their heaviest. `ambiguous`
//! means two or more candidates and a top score below 0.8. Ties rank the recipient the pool
//! saw first higher. At most [`MAX_CANDIDATES`] candidates are returned.

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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// `overflow`, `late_call`, `caller_id_link`, `tap` (the top candidate tapped the call
    /// button within the hour before the call), `retired_number`, `no_candidates`,
    /// `unknown_number`.
    pub reason: String,
}

/// Version of the scoring model, logged with each recorded call (1: fixed state weights; 2:
/// likelihoods from the call-delay model).
pub(crate) const SCORER: u32 = 2;
/// Candidates returned at most.
pub const MAX_CANDIDATES: usize = 10;
/// Likelihood ratio of a matching caller ID: how much likelier a recipient's own line is to
/// call again than any other recipient's line to be theirs (about one shared line in a
/// thousand; assumption).
pub const CALLER_ID_LR: f64 = 1_000.0;
/// Weight of a machine-only soft hold: about the share of prefetched emails a person goes on
/// to read (assumption; Apple MPP prefetches every email, read or not).
pub const MACHINE_SEEN: f64 = 0.2;
/// Weight of an association whose holder was shown another number later, before the call.
pub const MOVED: f64 = 0.05;
/// Candidate probabilities kept per stored call for later caller-ID evidence.
///
/// A repeat call from the same line is placed by one of the earlier call's candidates, so the
/// evidence has to keep (nearly) all of that call's probability: kept to its top 4, a repeat call
/// was shared among those 4 alone, and the caller was among the rest as often as their
/// probabilities said — repeat calls stated at 0.5–0.6 were right 32 % of the time
/// (`bench/backtest`, six seeds). Every candidate at 1 % or more, at most 32 (8 bytes each).
pub(crate) const KEPT_POSTERIOR: usize = 32;
const MISDIAL_SECONDS: u32 = 5;
/// One in parts per million.
pub(crate) const PPM: f64 = 1_000_000.0;
const AMBIGUOUS_BELOW: f64 = 0.8;

/// Candidate state at call time (for the label and the reason; the weight comes from the
/// delay since the number was last shown).
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

/// A candidate before normalisation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Raw {
    pub holder: u32,
    device: u32,
    state: State,
    since: i64,
    until: Option<i64>,
    /// Seconds from the last show to the call (`None` for a caller-ID-only candidate).
    pub delay: Option<i64>,
    pub weight: f64,
    /// The weight's factors other than the delay density (machine-only, moved).
    pub factor: f64,
    /// The tap's likelihood, [`crate::tap::TAP_LR`] × its delay density, when the last show
    /// was a tap on the call button (else 0): added to the open delay's density.
    pub tap: f64,
    pub linked: bool,
}

/// Caller-ID evidence from one earlier call: (holder, device, time of that call, probability).
pub(crate) type Link = (u32, u32, i64, f64);

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

/// Above this many associations (a fallback number shown to a whole send), `score` keeps the
/// heaviest per holder in flat arrays indexed by holder (linear, not n log n) and names only
/// [`KEPT_OF_LARGE`] of them.
const LARGE_SCAN_ABOVE: usize = 512;

/// A scored call: the candidates' weights (every candidate, or for a number shown to very
/// many the [`KEPT_OF_LARGE`] heaviest and any with caller-ID evidence), the normaliser (all
/// candidates' weights plus one outsider) and how many candidates there were.
pub(crate) struct Scored {
    pub raw: Vec<Raw>,
    pub total: f64,
    pub count: usize,
}

/// Candidates kept by name when a number was shown to more than [`LARGE_SCAN_ABOVE`].
const KEPT_OF_LARGE: usize = 64;

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

impl Pool {
    /// Attributes a call without storing it (pure query; uses caller-ID evidence from stored
    /// calls placed before it).
    pub fn attribute(&self, call: &Call) -> Attribution {
        self.attribute_inner(call, self.calls.len()).0
    }

    /// Caller-ID evidence for `from` from the first `stored` stored calls.
    fn live_links(&self, from: Option<&str>, stored: usize) -> Vec<Link> {
        let Some(idxs) = from.and_then(|f| self.links.get(f)) else {
            return Vec::new();
        };
        idxs.iter()
            .filter(|&&i| (i as usize) < stored)
            .flat_map(|&i| {
                let c = &self.calls[i as usize];
                c.posterior
                    .iter()
                    .map(move |&(h, p)| (h, c.device, c.call.at, f64::from(p) / PPM))
            })
            .collect()
    }

    pub(crate) fn attribute_inner(
        &self,
        call: &Call,
        stored: usize,
    ) -> (Attribution, Option<(u32, u32)>, Scored) {
        let links = self.live_links(call.from.as_deref(), stored);
        let scored = self.score(call, &links);
        let (attribution, top) = self.explain(call, &scored);
        (attribution, top, scored)
    }

    /// Recomputes the attribution of every stored call against the current history and delay
    /// model, in call order (so caller-ID evidence follows call time, not recording time).
    /// Returned in recording order.
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
            let scored = self.score(call, known);
            let (att, top) = self.explain(call, &scored);
            if let (Some((_, d)), Some(from)) = (top, call.from.as_deref()) {
                let entry = links.entry(from).or_default();
                for (h, p) in posterior(&scored) {
                    entry.push((h, d, call.at, f64::from(p) / PPM));
                }
            }
            out[i] = Some(att);
        }
        self.calls
            .iter()
            .zip(out)
            .filter_map(|(c, a)| a.map(|a| (c.call.clone(), a)))
            .collect()
    }

    /// Every candidate's likelihood weight (see the module docs).
    pub(crate) fn score(&self, call: &Call, links: &[Link]) -> Scored {
        let t = call.at;
        let window = i64::from(self.config.attribution_window_seconds);
        let outsider = self.delays.outsider();
        let Some(&s) = self.slot_index.get(call.to.as_str()) else {
            return Scored {
                raw: Vec::new(),
                total: outsider,
                count: 0,
            };
        };
        let slot = &self.slots[s as usize];
        let end = slot.history.partition_point(|iv| iv.since <= t);
        // One candidate per association in the window: its delay since it was last shown and
        // its weight's factors.
        // The tap's likelihood for an association whose last show was a tap (see `tap`).
        let tap_of = |iv: &Interval, delay: i64| {
            if iv.clicked && iv.touched() <= t {
                crate::tap::TAP_LR * crate::tap::density(delay)
            } else {
                0.0
            }
        };
        let weigh = |iv: &Interval| -> Option<(i64, f64, f64)> {
            let touched = iv.touched();
            let shown = if touched <= t { touched } else { iv.since };
            let delay = t - shown;
            if delay > window {
                return None;
            }
            let mut factor = 1.0;
            if iv.kind == Kind::Soft {
                factor *= MACHINE_SEEN;
            }
            if iv.moved && t >= iv.tail_until() {
                factor *= MOVED;
            }
            let mut density = self.delays.density(delay);
            if iv.clicked {
                density += tap_of(iv, delay);
            }
            Some((delay, density * factor, factor))
        };
        let raw_of = |iv: &Interval, delay: i64, weight: f64, factor: f64| Raw {
            holder: iv.holder,
            device: iv.device,
            state: state_at(iv, t),
            since: iv.since,
            until: Some(iv.tail_until()),
            delay: Some(delay),
            weight,
            factor,
            tap: tap_of(iv, delay),
            linked: false,
        };
        let history = &slot.history[..end];
        // A number shown to a whole send (the fallback number: every prefetch's soft hold)
        // has hundreds of thousands of associations: weigh them all, keep the heaviest per
        // holder in two flat arrays, and build candidates only for the few that can be
        // returned or carry caller-ID evidence; the rest only add to the total.
        let (mut raw, rest, count) = if history.len() > LARGE_SCAN_ABOVE {
            let mut best_w = vec![0.0f64; self.holders.len()];
            let mut best_i = vec![u32::MAX; self.holders.len()];
            for (i, iv) in history.iter().enumerate() {
                if let Some((_, w, _)) = weigh(iv) {
                    let h = iv.holder as usize;
                    if best_i[h] == u32::MAX || w > best_w[h] {
                        best_w[h] = w;
                        best_i[h] = i as u32;
                    }
                }
            }
            let mut holders: Vec<u32> = (0..best_i.len() as u32)
                .filter(|&h| best_i[h as usize] != u32::MAX)
                .collect();
            let count = holders.len();
            let all: f64 = holders.iter().map(|&h| best_w[h as usize]).sum();
            let by_weight = |a: &u32, b: &u32| {
                best_w[*b as usize]
                    .total_cmp(&best_w[*a as usize])
                    .then(a.cmp(b))
            };
            if holders.len() > KEPT_OF_LARGE {
                holders.select_nth_unstable_by(KEPT_OF_LARGE - 1, by_weight);
                holders.truncate(KEPT_OF_LARGE);
            }
            for &(h, ..) in links {
                if (h as usize) < best_i.len()
                    && best_i[h as usize] != u32::MAX
                    && !holders.contains(&h)
                {
                    holders.push(h);
                }
            }
            holders.sort_unstable();
            let raw: Vec<Raw> = holders
                .iter()
                .filter_map(|&h| {
                    let iv = &history[best_i[h as usize] as usize];
                    weigh(iv).map(|(d, w, f)| raw_of(iv, d, w, f))
                })
                .collect();
            let kept: f64 = raw.iter().map(|r| r.weight).sum();
            (raw, (all - kept).max(0.0), count)
        } else {
            let raw: Vec<Raw> = history
                .iter()
                .filter_map(|iv| weigh(iv).map(|(d, w, f)| raw_of(iv, d, w, f)))
                .collect();
            let raw = heaviest_per_holder(raw);
            let count = raw.len();
            (raw, 0.0, count)
        };
        let mut count = count;
        // Caller-ID evidence: the strongest earlier link per recipient.
        let mut best: Vec<(u32, u32, i64, f64)> = Vec::new();
        for &(h, d, at, p) in links {
            if h == NONE || at >= t || t - at > window || p.is_nan() || p <= 0.0 {
                continue;
            }
            match best.iter_mut().find(|b| b.0 == h) {
                Some(b) if b.3 >= p => {}
                Some(b) => *b = (h, d, at, p),
                None => best.push((h, d, at, p)),
            }
        }
        for (h, d, at, p) in best {
            let ratio = 1.0 + CALLER_ID_LR * p.min(1.0);
            match raw.iter_mut().find(|r| r.holder == h) {
                Some(r) => {
                    // A repeat caller calls again relative to their last contact: the show or
                    // their earlier call, whichever is more recent.
                    let since_contact = r.delay.map_or(t - at, |d| d.min(t - at));
                    r.weight = (self.delays.density(since_contact) + r.tap) * r.factor * ratio;
                    r.linked = true;
                }
                None => {
                    count += 1;
                    raw.push(Raw {
                        holder: h,
                        device: d,
                        state: State::CallerId,
                        since: at,
                        until: None,
                        delay: None,
                        weight: outsider * ratio,
                        factor: 1.0,
                        tap: 0.0,
                        linked: true,
                    });
                }
            }
        }
        let total = raw.iter().map(|r| r.weight).sum::<f64>() + rest + outsider;
        Scored { raw, total, count }
    }

    /// Ranks a scored call and says why. Returns the attribution and its top (holder, device).
    fn explain(&self, call: &Call, scored: &Scored) -> (Attribution, Option<(u32, u32)>) {
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
        let (raw, total) = (&scored.raw, scored.total);
        let held = raw.iter().filter(|r| r.state == State::Held).count();
        // Best first; ties (delays under 30 s share one density) by the more recent show, then by
        // holder id (the order in which the pool first saw them), which
        // keeps the query free of string look-ups for candidates that are not returned.
        // Only the returned candidates need ordering: select them in linear time, then sort them.
        let rank = |&a: &usize, &b: &usize| {
            raw[b]
                .weight
                .total_cmp(&raw[a].weight)
                .then(
                    raw[a]
                        .delay
                        .unwrap_or(i64::MAX)
                        .cmp(&raw[b].delay.unwrap_or(i64::MAX)),
                )
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
            .map(|&i| {
                let r = &raw[i];
                let (campaign, recipient) = name(r.holder);
                Candidate {
                    campaign: campaign.to_owned(),
                    recipient: recipient.to_owned(),
                    score: six_places(r.weight / total),
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
        let p_top = top.weight / total;
        let short = call.duration.is_some_and(|d| d < MISDIAL_SECONDS);
        let confidence = six_places(p_top * if short { 0.5 } else { 1.0 });
        let ambiguous = scored.count >= 2 && p_top < AMBIGUOUS_BELOW;
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
        } else if top.tap > 0.0 {
            (
                "tap",
                "the recipient tapped the call button within the hour before the call",
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
            reason.push_str(&format!("; {} candidates", scored.count));
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

/// Rounds a probability to six decimals: no false precision in answers, and a value that
/// survives a JSON round trip exactly (the event log stores it).
fn six_places(p: f64) -> f64 {
    (p * PPM).round() / PPM
}

/// The candidates of a scored call at 1 % or more (at most [`KEPT_POSTERIOR`]), most probable
/// first, kept as caller-ID evidence for later calls. Probabilities in parts per million (fixed
/// point: stored and replayed exactly).
pub(crate) fn posterior(scored: &Scored) -> Vec<(u32, u32)> {
    let mut best: Vec<(u32, u32)> = scored
        .raw
        .iter()
        .map(|r| (r.holder, (r.weight / scored.total * PPM).round() as u32))
        .filter(|&(_, p)| p >= 10_000)
        .collect();
    best.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    best.truncate(KEPT_POSTERIOR);
    best
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
                    delay: None,
                    factor: 1.0,
                    tap: 0.0,
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
