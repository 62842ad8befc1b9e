//! A sharded pool's answers, put back together (see [`crate::shard`]).
//!
//! A pool of S > 1 shards is S pool objects, each with its own numbers,
//! recipients, opens and calls. What the admin API and the console read of
//! the pool is the sum over its shards: counts add up, ratios are recomputed
//! from the summed counts, the numbers are the union. A call to the fallback
//! (or overflow) number, which every shard shows, goes to the shard whose
//! best candidate scores highest ([`best_shard`]).

use super::EffectResult;
use crate::protocol::{
    Deletion, ObjectErrorCode, OpenStats, PoolSettings, PoolState, ReportReply, read_answer,
};
use crate::reports::{CampaignLine, CampaignReport, MachineOpens, OpensAt};
use ringmark_pool::{Attribution, ExhaustionCounts, PoolStats};
use serde_json::Value;
use std::collections::BTreeMap;

/// The settings each of `shards` shard objects is configured with: the
/// pool's settings with only the numbers `owners` deals to it (in the order
/// the pool lists them), and its index. Numbers the directory dealt to no
/// shard (none, unless it is older than the claim) go to shard 0.
pub(super) fn split(
    settings: &PoolSettings,
    owners: &BTreeMap<String, u32>,
    shards: u32,
) -> Vec<PoolSettings> {
    (0..shards)
        .map(|shard| {
            let mut s = settings.clone();
            s.shard = shard;
            s.shards = shards;
            s.config.numbers = settings
                .config
                .numbers
                .iter()
                .filter(|n| owners.get(*n).copied().unwrap_or(0) == shard)
                .cloned()
                .collect();
            s.displays
                .retain(|n, _| owners.get(n).is_none_or(|&owner| owner == shard));
            s
        })
        .collect()
}

/// Of every shard's answer to a command about one call, the one to act on:
/// the answer of the shard that has the call, else the first refusal that is
/// not "no such call" (an unreachable shard, say), else the first. Only the
/// shard that stored a call knows it; the others answer `unknown_call`.
pub(super) fn call_answer(results: Vec<EffectResult>) -> EffectResult {
    let unknown = |r: &EffectResult| {
        read_answer::<Value>(&r.body)
            .err()
            .is_some_and(|e| e.code == ObjectErrorCode::UnknownCall)
    };
    let chosen = results
        .iter()
        .position(|r| r.answer::<Value>().is_ok())
        .or_else(|| results.iter().position(|r| !unknown(r)))
        .unwrap_or(0);
    results
        .into_iter()
        .nth(chosen)
        .unwrap_or_else(|| EffectResult::failed("no shard answered"))
}

fn add_exhaustions(a: &mut ExhaustionCounts, b: &ExhaustionCounts) {
    a.overflow += b.overflow;
    a.stole += b.stole;
    a.shared += b.shared;
    a.fallback += b.fallback;
    a.full += b.full;
    a.prefetches_unkept += b.prefetches_unkept;
}

/// The live figures of a whole pool from its shards': counts summed,
/// utilisation recomputed from the summed numbers (leasable numbers not free
/// ÷ leasable), pressure against the pool's threshold, and the expected
/// accuracy of a call now weighted by each shard's leasable numbers (a call
/// is as likely to any number).
pub(super) fn stats(shards: &[PoolStats], pressure_threshold: f64) -> PoolStats {
    let mut sum = PoolStats {
        numbers: 0,
        leasable: 0,
        exclusive: 0,
        shared: 0,
        tail: 0,
        free: 0,
        quarantined: 0,
        soft: 0,
        fallback_holders: 0,
        overflow_holders: 0,
        utilisation: 1.0,
        exhaustions: ExhaustionCounts::default(),
        pressure: false,
        holders: 0,
        calls: 0,
        expected_correct: None,
        expected_confident: None,
    };
    let (mut correct, mut confident, mut weight) = (0.0, 0.0, 0.0);
    let mut expected = true;
    for s in shards {
        sum.numbers += s.numbers;
        sum.leasable += s.leasable;
        sum.exclusive += s.exclusive;
        sum.shared += s.shared;
        sum.tail += s.tail;
        sum.free += s.free;
        sum.quarantined += s.quarantined;
        sum.soft += s.soft;
        sum.fallback_holders += s.fallback_holders;
        sum.overflow_holders += s.overflow_holders;
        sum.holders += s.holders;
        sum.calls += s.calls;
        add_exhaustions(&mut sum.exhaustions, &s.exhaustions);
        match (s.expected_correct, s.expected_confident) {
            (Some(a), Some(b)) => {
                let w = f64::from(s.leasable);
                correct += a * w;
                confident += b * w;
                weight += w;
            }
            _ => expected = false,
        }
    }
    if sum.leasable > 0 {
        sum.utilisation = f64::from(sum.leasable - sum.free) / f64::from(sum.leasable);
    }
    sum.pressure = sum.utilisation >= pressure_threshold;
    if expected && weight > 0.0 {
        sum.expected_correct = Some(correct / weight);
        sum.expected_confident = Some(confident / weight);
    }
    sum
}

fn add_counts(a: &mut BTreeMap<String, u64>, b: &BTreeMap<String, u64>) {
    for (k, v) in b {
        *a.entry(k.clone()).or_default() += v;
    }
}

fn add_opens(a: &mut OpenStats, b: &OpenStats) {
    a.total += b.total;
    a.machine += b.machine;
    a.human += b.human;
    add_counts(&mut a.by_kind, &b.by_kind);
    add_counts(&mut a.by_device, &b.by_device);
    add_counts(&mut a.by_client, &b.by_client);
    add_counts(&mut a.by_opener, &b.by_opener);
}

/// A deleted pool's schedule from its shards': deleted when the first shard
/// was, purged when the last one is, every shard's numbers.
pub(super) fn deletion(shards: Vec<Deletion>) -> Option<Deletion> {
    let mut shards = shards.into_iter();
    let mut all = shards.next()?;
    for d in shards {
        all.deleted_at = all.deleted_at.min(d.deleted_at);
        all.purge_at = all.purge_at.max(d.purge_at);
        all.quarantine_seconds = all.quarantine_seconds.max(d.quarantine_seconds);
        all.numbers.extend(d.numbers);
    }
    all.numbers.sort();
    all.numbers.dedup();
    Some(all)
}

/// A whole pool's state from its shards' (in shard order): shard 0's
/// configuration and style with every shard's numbers and displays, the
/// figures summed ([`stats`]), open counters summed.
pub(super) fn state(shards: Vec<PoolState>) -> Option<PoolState> {
    let count = u32::try_from(shards.len()).unwrap_or(u32::MAX);
    let stats: Vec<PoolStats> = shards.iter().map(|s| s.live.clone()).collect();
    let deletions: Vec<Deletion> = shards.iter().filter_map(|s| s.deleted.clone()).collect();
    let mut shards = shards.into_iter();
    let mut all = shards.next()?;
    for s in shards {
        all.config.numbers.extend(s.config.numbers);
        all.displays.extend(s.displays);
        add_opens(&mut all.opens, &s.opens);
        all.created_at = match (all.created_at, s.created_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    all.live = self::stats(&stats, all.config.pressure_threshold);
    all.deleted = deletion(deletions);
    all.shards = count;
    Some(all)
}

/// A pool's campaigns from its shards': recipients with tokens summed, the
/// first issue the earliest.
pub(super) fn campaigns(shards: Vec<Vec<CampaignLine>>) -> Vec<CampaignLine> {
    let mut all: BTreeMap<String, CampaignLine> = BTreeMap::new();
    for line in shards.into_iter().flatten() {
        match all.get_mut(&line.campaign) {
            Some(c) => {
                c.recipients += line.recipients;
                c.first_issued = match (c.first_issued, line.first_issued) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            None => {
                all.insert(line.campaign.clone(), line);
            }
        }
    }
    all.into_values().collect()
}

fn add_machine(a: &mut MachineOpens, b: &MachineOpens) {
    a.apple_mpp += b.apple_mpp;
    a.gmail_proxy += b.gmail_proxy;
    a.other_proxies += b.other_proxies;
    a.scanners += b.scanners;
    a.crawlers += b.crawlers;
}

/// Sums decimal amounts per currency (exact hundredths); an amount that does
/// not read (none does not) counts as 0.
fn hundredths(values: &BTreeMap<String, String>) -> BTreeMap<String, u64> {
    values
        .iter()
        .map(|(currency, v)| {
            let h = crate::calls::money::Amount::parse(v).map_or(0, |a| a.hundredths());
            (currency.clone(), h)
        })
        .collect()
}

/// A campaign's report from its shards' (each recipient is in one shard, so
/// every count is a sum): value per 1,000 recipients recomputed from the
/// summed value and recipients, opens over time summed per hour, per-recipient
/// rows and conversion calls concatenated (rows sorted by recipient, calls by
/// time).
pub(super) fn report(shards: Vec<ReportReply>) -> Option<ReportReply> {
    let mut shards = shards.into_iter();
    let mut all = shards.next()?;
    let mut value = hundredths(&all.summary.value);
    let mut hours: BTreeMap<i64, OpensAt> = std::mem::take(&mut all.summary.opens_over_time)
        .into_iter()
        .map(|o| (o.at, o))
        .collect();
    for shard in shards {
        let (a, b) = (&mut all.summary, shard.summary);
        a.recipients_with_tokens += b.recipients_with_tokens;
        a.opens += b.opens;
        a.human_opens += b.human_opens;
        add_machine(&mut a.machine_opens, &b.machine_opens);
        add_counts(&mut a.human_by_device, &b.human_by_device);
        add_counts(&mut a.human_by_client, &b.human_by_client);
        for o in b.opens_over_time {
            let at = hours.entry(o.at).or_insert_with(|| OpensAt {
                at: o.at,
                ..OpensAt::default()
            });
            at.human += o.human;
            add_machine(&mut at.machine, &o.machine);
        }
        a.recipients_opened += b.recipients_opened;
        a.numbers_leased += b.numbers_leased;
        a.calls.total += b.calls.total;
        a.calls.attributed += b.calls.attributed;
        a.calls.ambiguous += b.calls.ambiguous;
        a.calls.unattributed_in_pool += b.calls.unattributed_in_pool;
        a.calls.conversions += b.calls.conversions;
        a.calls.discarded += b.calls.discarded;
        for (currency, h) in hundredths(&b.value) {
            *value.entry(currency).or_default() += h;
        }
        all.recipients.extend(shard.recipients);
        all.calls.extend(shard.calls);
    }
    all.summary.opens_over_time = hours.into_values().collect();
    let summary: &mut CampaignReport = &mut all.summary;
    let recipients = summary.recipients_with_tokens;
    summary.value.clear();
    summary.value_per_1000_recipients.clear();
    for (currency, h) in value {
        if recipients > 0 {
            let per = (u128::from(h) * 1000 + u128::from(recipients) / 2) / u128::from(recipients);
            summary.value_per_1000_recipients.insert(
                currency.clone(),
                crate::calls::money::hundredths_text(u64::try_from(per).unwrap_or(u64::MAX)),
            );
        }
        summary
            .value
            .insert(currency, crate::calls::money::hundredths_text(h));
    }
    all.recipients.sort_by(|a, b| a.recipient.cmp(&b.recipient));
    all.calls.sort_by_key(|c| c.started_at);
    Some(all)
}

/// Which shard a call to the fallback (or overflow) number goes to: the one
/// whose best candidate scores highest (the scores are each shard's own; the
/// chosen shard scales its answer by 1/S, `PoolCommand::Call`'s `shards`).
/// Shard 0 when no shard has a candidate.
pub(super) fn best_shard(attributions: &[Option<Attribution>]) -> u32 {
    let mut best: Option<(usize, f64)> = None;
    for (i, a) in attributions.iter().enumerate() {
        if let Some(c) = a.as_ref().and_then(|a| a.candidates.first())
            && best.is_none_or(|(_, score)| c.score > score)
        {
            best = Some((i, c.score));
        }
    }
    best.map_or(0, |(i, _)| u32::try_from(i).unwrap_or(0))
}
