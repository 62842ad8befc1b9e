//! Campaign reports: what a send earned, for people and for the marketer's
//! other tools.
//!
//! A pool object answers `GET /v1/pools/{pool}/report?campaign=…` from three
//! sources: its `opens` rows aggregated by SQLite ([`OPENS_BY_KIND`],
//! [`OPENS_BY_RECIPIENT`], [`FIRST_HUMAN_OPEN`]), the recipients tokens were
//! issued for ([`RECIPIENTS`]), and the calls it keeps. Everything here is pure:
//! rows in, a [`CampaignReport`] or CSV text out.
//!
//! - [`CampaignReport`]: recipients with tokens; opens (human; machine split
//!   into Apple Mail Privacy Protection, Gmail's proxy, other proxies,
//!   scanners, crawlers); human opens by device class and email client;
//!   numbers leased now; calls (attributed, ambiguous, unattributed),
//!   conversions, value per currency and per 1,000 recipients.
//! - [`recipients_csv`]: one row per recipient, to re-import into the email
//!   platform as a segment ("opened on a phone, called, converted").
//! - [`google_ads_csv`]: Google Ads' offline call-conversion import
//!   (`Parameters:TimeZone`, then `Caller's Phone Number, Call Start Time,
//!   Conversion Name, Conversion Time, Conversion Value, Conversion Currency`).
//!
//! Figures cover the pool's attribution window: opens and calls older than
//! that are pruned (privacy by default), and so are recipients issued tokens
//! before it.

use crate::calls::CallRecord;
use crate::snippet::csv_field;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Opens of a campaign by who made them (`?` = campaign).
pub const OPENS_BY_KIND: &str = "SELECT machine, opener, proxy, device, client, COUNT(*) AS n \
     FROM opens WHERE campaign = ? GROUP BY machine, opener, proxy, device, client";
/// Width of a bucket of [`CampaignReport::opens_over_time`]: an hour, the
/// grain of an email's open curve (most opens come in the first hours after
/// delivery, then a tail over days).
pub const OPENS_BUCKET_SECONDS: i64 = 3_600;
/// Opens of a campaign per hour, by who made them (`?` = campaign; `hour`
/// is the bucket's start, Unix seconds).
pub const OPENS_BY_HOUR: &str = "SELECT at - at % 3600 AS hour, machine, opener, proxy, COUNT(*) AS n \
     FROM opens WHERE campaign = ? GROUP BY hour, machine, opener, proxy ORDER BY hour";
/// The pool's campaigns: recipients tokens were issued for and when the
/// first was (one scan of the `recipients` key, which leads with `campaign`).
pub const CAMPAIGNS: &str = "SELECT campaign, COUNT(*) AS recipients, MIN(issued_at) AS first_issued \
     FROM recipients GROUP BY campaign ORDER BY campaign";
/// Opens of a campaign per recipient (`?` = campaign).
pub const OPENS_BY_RECIPIENT: &str = "SELECT recipient, SUM(machine = 0) AS human, \
     SUM(machine <> 0) AS machine, MIN(CASE WHEN machine = 0 THEN at END) AS first_human \
     FROM opens WHERE campaign = ? GROUP BY recipient";
/// Each recipient's first human open, with its device and client (SQLite
/// takes the bare columns from the row holding the `MIN`).
pub const FIRST_HUMAN_OPEN: &str = "SELECT recipient, device, client, MIN(at) AS at \
     FROM opens WHERE campaign = ? AND machine = 0 GROUP BY recipient";
/// The recipients tokens were issued for (`?` = campaign).
pub const RECIPIENTS: &str =
    "SELECT recipient FROM recipients WHERE campaign = ? ORDER BY recipient";
/// How many recipients tokens were issued for (`?` = campaign).
pub const RECIPIENT_COUNT: &str = "SELECT COUNT(*) AS n FROM recipients WHERE campaign = ?";

/// Confidence at and above which a call counts as attributed (below: ambiguous).
pub const ATTRIBUTED_AT: f64 = 0.8;

/// Machine opens by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineOpens {
    /// Apple Mail Privacy Protection prefetches.
    pub apple_mpp: u64,
    /// Gmail's image proxy and prefetch.
    pub gmail_proxy: u64,
    /// Other mailbox proxies and prefetchers (Yahoo, Outlook, …).
    pub other_proxies: u64,
    /// Security scanners and link checkers.
    pub scanners: u64,
    /// Crawlers and other programs.
    pub crawlers: u64,
}

/// One hour of a campaign's opens ([`OPENS_BY_HOUR`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpensAt {
    /// Start of the hour (Unix seconds).
    pub at: i64,
    /// Fetches by a person's device.
    pub human: u64,
    /// Fetches by machines, by kind.
    pub machine: MachineOpens,
}

/// One of a pool's campaigns ([`CAMPAIGNS`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignLine {
    /// The campaign.
    pub campaign: String,
    /// Recipients tokens were issued for (within the attribution window).
    pub recipients: u64,
    /// When the first of them was issued (Unix seconds).
    pub first_issued: Option<i64>,
}

/// The campaigns from [`CAMPAIGNS`] rows.
pub fn campaigns(rows: &[Value]) -> Vec<CampaignLine> {
    rows.iter()
        .filter_map(|row| {
            Some(CampaignLine {
                campaign: text(row, "campaign")?.to_owned(),
                recipients: count(row, "recipients"),
                first_issued: row.get("first_issued").and_then(Value::as_i64),
            })
        })
        .collect()
}

/// Calls of a campaign by how well they were attributed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCounts {
    /// Every call whose best candidate is a recipient of the campaign.
    pub total: u64,
    /// Attributed with confidence ≥ [`ATTRIBUTED_AT`] and not ambiguous.
    pub attributed: u64,
    /// The campaign's recipient is the best candidate, with less confidence.
    pub ambiguous: u64,
    /// Calls to the pool that named no candidate at all (not per campaign).
    pub unattributed_in_pool: u64,
    /// Calls marked converted (and not discarded).
    pub conversions: u64,
    /// Calls discarded by a rule or by hand.
    pub discarded: u64,
}

/// A campaign's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignReport {
    /// The campaign.
    pub campaign: String,
    /// Recipients tokens were issued for (within the window).
    pub recipients_with_tokens: u64,
    /// Every recorded fetch of the campaign's email URLs.
    pub opens: u64,
    /// Fetches by a person's device.
    pub human_opens: u64,
    /// Fetches by machines, by kind.
    pub machine_opens: MachineOpens,
    /// Human opens by device class.
    pub human_by_device: BTreeMap<String, u64>,
    /// Human opens by email client (`unknown` when none was recognised).
    pub human_by_client: BTreeMap<String, u64>,
    /// Opens per hour ([`OPENS_BUCKET_SECONDS`]), oldest first; hours without
    /// opens are left out.
    #[serde(default)]
    pub opens_over_time: Vec<OpensAt>,
    /// Recipients who opened as a person at least once.
    pub recipients_opened: u64,
    /// Pool numbers the campaign's recipients hold now.
    pub numbers_leased: u64,
    /// Calls.
    pub calls: CallCounts,
    /// Converted value per currency (exact decimal strings).
    pub value: BTreeMap<String, String>,
    /// The same per 1,000 recipients with tokens (two decimals).
    pub value_per_1000_recipients: BTreeMap<String, String>,
}

/// One row of [`recipients_csv`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecipientRow {
    /// Recipient id (as in the token).
    pub recipient: String,
    /// The number they hold now, if any.
    pub number: Option<String>,
    /// First human open (Unix seconds).
    pub first_human_open: Option<i64>,
    /// Device class at that open.
    pub device: Option<String>,
    /// Email client at that open.
    pub client: Option<String>,
    /// Opens by a person's device.
    pub human_opens: u64,
    /// Opens by machines.
    pub machine_opens: u64,
    /// Calls attributed to them (best candidate).
    pub calls: u64,
    /// Any of those converted.
    pub converted: bool,
    /// Converted value per currency, `"100.00 USD"` joined by `; `.
    pub value: String,
    /// Tags of their calls' outcomes.
    pub tags: Vec<String>,
}

fn count(row: &Value, key: &str) -> u64 {
    row.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn text<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str)
}

/// Sums the campaign's opens from [`OPENS_BY_KIND`] rows into `report`.
pub fn add_opens(report: &mut CampaignReport, rows: &[Value]) {
    for row in rows {
        let n = count(row, "n");
        report.opens += n;
        if count(row, "machine") == 0 {
            report.human_opens += n;
            let device = text(row, "device").unwrap_or("unknown").to_owned();
            *report.human_by_device.entry(device).or_default() += n;
            let client = text(row, "client").unwrap_or("unknown").to_owned();
            *report.human_by_client.entry(client).or_default() += n;
        } else {
            *machine_kind(&mut report.machine_opens, row) += n;
        }
    }
}

/// Puts the campaign's opens per hour from [`OPENS_BY_HOUR`] rows (ordered
/// by hour) into `report`.
pub fn add_timeline(report: &mut CampaignReport, rows: &[Value]) {
    for row in rows {
        let Some(at) = row.get("hour").and_then(Value::as_i64) else {
            continue;
        };
        if report
            .opens_over_time
            .last()
            .is_none_or(|last| last.at != at)
        {
            report.opens_over_time.push(OpensAt {
                at,
                ..OpensAt::default()
            });
        }
        let Some(hour) = report.opens_over_time.last_mut() else {
            continue;
        };
        let n = count(row, "n");
        if count(row, "machine") == 0 {
            hour.human += n;
        } else {
            *machine_kind(&mut hour.machine, row) += n;
        }
    }
}

/// The counter of a machine open's kind (a row with `opener` and `proxy`).
fn machine_kind<'k>(kinds: &'k mut MachineOpens, row: &Value) -> &'k mut u64 {
    let proxy = text(row, "proxy").unwrap_or_default();
    // The classifier's names for the two big prefetchers (`ringmark_classify`'s email rules).
    if proxy.starts_with("Apple Mail Privacy") {
        &mut kinds.apple_mpp
    } else if proxy.starts_with("Gmail") {
        &mut kinds.gmail_proxy
    } else {
        match text(row, "opener").unwrap_or_default() {
            "proxy" | "prefetch" => &mut kinds.other_proxies,
            "scanner" => &mut kinds.scanners,
            _ => &mut kinds.crawlers,
        }
    }
}

/// Exact sums of converted value per currency, in hundredths.
fn add_value(sums: &mut BTreeMap<String, u64>, call: &CallRecord) {
    if let Some(outcome) = &call.outcome
        && outcome.converted
        && !outcome.discarded
        && let Some(money) = &outcome.value
    {
        *sums.entry(money.currency.as_str().to_owned()).or_default() += money.amount.hundredths();
    }
}

/// Whether the call's best candidate is a recipient of `campaign`.
fn of_campaign(call: &CallRecord, campaign: &str) -> bool {
    call.attribution
        .as_ref()
        .and_then(|a| a.campaign.as_deref())
        == Some(campaign)
}

/// Counts the campaign's calls, conversions and value into `report`.
pub fn add_calls<'a>(report: &mut CampaignReport, calls: impl IntoIterator<Item = &'a CallRecord>) {
    let mut sums = BTreeMap::new();
    for call in calls {
        let Some(attribution) = &call.attribution else {
            continue;
        };
        if attribution.recipient.is_none() {
            report.calls.unattributed_in_pool += 1;
            continue;
        }
        if !of_campaign(call, &report.campaign) {
            continue;
        }
        report.calls.total += 1;
        if attribution.confidence >= ATTRIBUTED_AT && !attribution.ambiguous {
            report.calls.attributed += 1;
        } else {
            report.calls.ambiguous += 1;
        }
        if let Some(outcome) = &call.outcome {
            if outcome.discarded {
                report.calls.discarded += 1;
            } else if outcome.converted {
                report.calls.conversions += 1;
            }
        }
        add_value(&mut sums, call);
    }
    let recipients = report.recipients_with_tokens;
    for (currency, hundredths) in sums {
        if recipients > 0 {
            // Rounded half up to the cent, in integers.
            let per = (u128::from(hundredths) * 1000 + u128::from(recipients) / 2)
                / u128::from(recipients);
            report.value_per_1000_recipients.insert(
                currency.clone(),
                crate::calls::money::hundredths_text(u64::try_from(per).unwrap_or(u64::MAX)),
            );
        }
        report
            .value
            .insert(currency, crate::calls::money::hundredths_text(hundredths));
    }
}

/// The per-recipient rows: every recipient with a token or an open, with
/// their opens ([`OPENS_BY_RECIPIENT`], [`FIRST_HUMAN_OPEN`] rows), the
/// number they hold now (`holding`), and their calls.
pub fn recipient_rows<'a>(
    campaign: &str,
    issued: &[Value],
    opens: &[Value],
    first: &[Value],
    calls: impl IntoIterator<Item = &'a CallRecord>,
    holding: impl Fn(&str) -> Option<String>,
) -> Vec<RecipientRow> {
    let mut table: BTreeMap<String, RecipientRow> = BTreeMap::new();
    fn entry<'t>(
        table: &'t mut BTreeMap<String, RecipientRow>,
        recipient: &str,
    ) -> &'t mut RecipientRow {
        table
            .entry(recipient.to_owned())
            .or_insert_with(|| RecipientRow {
                recipient: recipient.to_owned(),
                ..RecipientRow::default()
            })
    }
    for r in issued {
        if let Some(recipient) = text(r, "recipient") {
            entry(&mut table, recipient);
        }
    }
    for r in opens {
        if let Some(recipient) = text(r, "recipient") {
            let e = entry(&mut table, recipient);
            e.human_opens = count(r, "human");
            e.machine_opens = count(r, "machine");
            e.first_human_open = r.get("first_human").and_then(Value::as_i64);
        }
    }
    for r in first {
        if let Some(recipient) = text(r, "recipient") {
            let e = entry(&mut table, recipient);
            e.device = text(r, "device").map(str::to_owned);
            e.client = text(r, "client").map(str::to_owned);
        }
    }
    let mut sums: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for call in calls {
        if !of_campaign(call, campaign) {
            continue;
        }
        let Some(recipient) = call
            .attribution
            .as_ref()
            .and_then(|a| a.recipient.as_deref())
        else {
            continue;
        };
        let e = entry(&mut table, recipient);
        e.calls += 1;
        if let Some(outcome) = &call.outcome
            && !outcome.discarded
        {
            e.converted |= outcome.converted;
            for tag in &outcome.tags {
                if !e.tags.contains(tag) {
                    e.tags.push(tag.clone());
                }
            }
        }
        add_value(sums.entry(recipient.to_owned()).or_default(), call);
    }
    for (recipient, e) in table.iter_mut() {
        e.number = holding(recipient);
        if let Some(values) = sums.get(recipient) {
            e.value = values
                .iter()
                .map(|(currency, h)| {
                    format!("{} {currency}", crate::calls::money::hundredths_text(*h))
                })
                .collect::<Vec<_>>()
                .join("; ");
        }
    }
    table.into_values().collect()
}

/// RFC 3339 in UTC, or empty.
fn time(at: Option<i64>) -> String {
    at.map(crate::webhooks::event::format_rfc3339)
        .unwrap_or_default()
}

/// One row per recipient, for the email platform (cells starting with a
/// formula character are defused, as in every CSV ringmark writes).
pub fn recipients_csv(rows: &[RecipientRow]) -> String {
    let mut out = String::from(
        "recipient,number,first_human_open,device,client,human_opens,machine_opens,calls,converted,value,tags\r\n",
    );
    for r in rows {
        let cells = [
            csv_field(&r.recipient),
            // A validated E.164 number (`+` and digits): written as is, since
            // defusing its `+` would break the import, and digits are no formula.
            r.number.clone().unwrap_or_default(),
            csv_field(&time(r.first_human_open)),
            csv_field(r.device.as_deref().unwrap_or("")),
            csv_field(r.client.as_deref().unwrap_or("")),
            r.human_opens.to_string(),
            r.machine_opens.to_string(),
            r.calls.to_string(),
            r.converted.to_string(),
            csv_field(&r.value),
            csv_field(&r.tags.join(";")),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// `yyyy-MM-dd HH:mm:ss` in UTC (the import's `Parameters:TimeZone=+0000`).
fn ads_time(at: i64) -> String {
    let rfc = crate::webhooks::event::format_rfc3339(at);
    rfc.trim_end_matches('Z').replacen('T', " ", 1)
}

/// Google Ads' offline call-conversion import: one row per converted call of
/// the campaign with a known caller, named `conversion_name`.
pub fn google_ads_csv<'a>(
    campaign: &str,
    calls: impl IntoIterator<Item = &'a CallRecord>,
    conversion_name: &str,
) -> String {
    let mut out = String::from(
        "Parameters:TimeZone=+0000\r\nCaller's Phone Number,Call Start Time,Conversion Name,Conversion Time,Conversion Value,Conversion Currency\r\n",
    );
    for call in calls {
        let Some(outcome) = &call.outcome else {
            continue;
        };
        let (Some(from), true, false) = (&call.from, outcome.converted, outcome.discarded) else {
            continue;
        };
        if !of_campaign(call, campaign) {
            continue;
        }
        let (value, currency) =
            outcome
                .value
                .as_ref()
                .map_or((String::new(), String::new()), |m| {
                    (
                        crate::calls::money::hundredths_text(m.amount.hundredths()),
                        m.currency.as_str().to_owned(),
                    )
                });
        let converted_at = call
            .ended_at
            .unwrap_or(call.started_at)
            .max(call.started_at);
        let cells = [
            // Validated E.164 (see `recipients_csv`): as is.
            from.as_str().to_owned(),
            ads_time(call.started_at),
            csv_field(conversion_name),
            ads_time(converted_at),
            value,
            currency,
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}
