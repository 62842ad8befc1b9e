//! What a campaign report's queries cost in the pool object's SQLite (issue 14): each query
//! the pool runs for `GET /v1/pools/{pool}/report` and `GET /v1/pools`, on one campaign of
//! `opens` rows, timed against the report's first query, `OPENS_BY_KIND`, in the same run.
//!
//! `cargo run --release --example reports [opens]` (default 1,000,000 opens, 100,000 recipients)
//!
//! The SQLite is rusqlite's bundled one, in memory, with the pool object's own schema
//! (`PoolObject::SCHEMA`) and the queries' own text (`ringmark::reports`). The opens are a
//! send's: half of them machines (Apple MPP), the rest people on a few devices and clients,
//! spread over 10 days with most in the first hours. Medians of 5 rounds.
#![allow(clippy::indexing_slicing)]

use ringmark::objects::PoolObject;
use ringmark::reports;
use rusqlite::{Connection, params};
use std::time::Instant;

const START: i64 = 1_800_000_000;

#[path = "../common/rng.rs"]
mod rng;
use rng::Rng;

fn main() {
    let opens: u64 = std::env::args()
        .nth(1)
        .map_or(1_000_000, |a| a.parse().expect("a count of opens"));
    let recipients = (opens / 10).max(1);
    let mut conn = Connection::open_in_memory().expect("sqlite");
    for sql in PoolObject::SCHEMA {
        conn.execute(sql, []).expect("schema");
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let devices = ["smartphone", "desktop", "tablet"];
    let clients = ["Apple Mail", "Gmail", "Outlook", "Yahoo Mail"];
    let tx = conn.transaction().expect("transaction");
    {
        let mut insert = tx
            .prepare("INSERT INTO opens (at, campaign, recipient, kind, device, opener, client, proxy, machine) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .expect("insert");
        for _ in 0..opens {
            // Most opens in the first hours, a tail over 10 days (the square of a uniform draw).
            let u = rng.below(1_000_000) as f64 / 1e6;
            let at = START + (u * u * 864_000.0) as i64;
            let recipient = format!("r{}", rng.below(recipients));
            let machine = rng.below(2) == 0;
            let (device, opener, client, proxy) = if machine {
                (
                    "proxy",
                    "prefetch",
                    None,
                    Some("Apple Mail Privacy Protection"),
                )
            } else {
                let d = devices[rng.below(3) as usize];
                (d, "person", Some(clients[rng.below(4) as usize]), None)
            };
            insert
                .execute(params![
                    at, "launch", recipient, "number", device, opener, client, proxy, machine
                ])
                .expect("open");
        }
        let mut issue = tx
            .prepare("INSERT INTO recipients (campaign, recipient, issued_at) VALUES (?, ?, ?)")
            .expect("issue");
        for i in 0..recipients {
            issue
                .execute(params!["launch", format!("r{i}"), START])
                .expect("recipient");
        }
    }
    tx.commit().expect("commit");

    let queries: [(&str, &str, bool); 5] = [
        ("OPENS_BY_KIND", reports::OPENS_BY_KIND, true),
        ("OPENS_BY_HOUR (new)", reports::OPENS_BY_HOUR, true),
        ("OPENS_BY_RECIPIENT", reports::OPENS_BY_RECIPIENT, true),
        ("RECIPIENT_COUNT", reports::RECIPIENT_COUNT, true),
        ("CAMPAIGNS (new, GET /v1/pools)", reports::CAMPAIGNS, false),
    ];
    println!("{opens} opens, {recipients} recipients of one campaign; medians of 5 rounds");
    let mut base = None;
    for (name, sql, campaign) in queries {
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..5 {
            let mut statement = conn.prepare(sql).expect("query");
            let started = Instant::now();
            let mut cursor = if campaign {
                statement.query(params!["launch"])
            } else {
                statement.query([])
            }
            .expect("rows");
            rows = 0;
            while cursor.next().expect("row").is_some() {
                rows += 1;
            }
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        let median = times[2];
        let base = *base.get_or_insert(median);
        println!(
            "  {name:32} {median:9.1} ms  {:5.2}x OPENS_BY_KIND  ({rows} rows)",
            median / base
        );
    }
}
