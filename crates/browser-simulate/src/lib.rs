//! # ringmark-browser-simulate
//!
//! The browser package's sizing simulation (`ringmark-browser/simulate`, a module of its own
//! in `pkg/browser/`): [`ringmark::backtest::series::simulate`] — a simulated send replayed
//! through the allocator and attribution the Worker's pool object and `ringmark backtest`
//! run, with the pool sampled over time — behind one `#[wasm_bindgen]` function, JSON in
//! and out.
//!
//! Why a module of its own: the simulation needs the allocator, attribution, the admin API's
//! pool parser and serde_json, which together weigh more than the classifier and the
//! renderer; a page that only classifies and renders (an email preview, the demo page's
//! first screen) should not download them. The console's what-if loads it when it runs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(target_arch = "wasm32")]
mod exports {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(typescript_custom_section)]
    const TS_TYPES: &str = r#"
import type { Style } from "./ringmark.js";

/** One bucket of the call-delay distribution. */
export interface DelayBucket {
  /** Upper end of the bucket, seconds after the open (or first call) the delay follows. */
  until_seconds: number;
  /** Share of delays in this bucket (shares are normalised by their sum). */
  share: number;
}

/** The simulated send (`ringmark simulate`'s model); every field is optional, defaults in brackets. */
export interface SendModel {
  /** Recipients, 1 – 250,000 [100,000]. */
  recipients: number;
  /** When the send starts, Unix seconds [1,796,000,000]. */
  start: number;
  /** Campaign id of every open ["c"]. */
  campaign: string;
  /** Hours over which deliveries are spread; 0 is a blast [24]. */
  send_spread_hours: number;
  /** Share of recipients who open as a person [0.2]; first opens follow Mailchimp's open curve. */
  human_open_rate: number;
  /** Share of human openers who open once more [0.3]. */
  reopen_rate: number;
  /** Share of recipients whose images Apple Mail Privacy Protection fetches at delivery [0.45]. */
  machine_prefetch_rate: number;
  /** Share of human opens on a smartphone [0.5]. */
  smartphone_share: number;
  /** Share of human openers who call [0.03]. */
  call_rate: number;
  /** Call delays after the last open [60 % within 2 h, 30 % within 3 days, 10 % within 14 days]. */
  call_delay: DelayBucket[];
  /** How delays spread within a bucket [`log_uniform`]. */
  call_delay_shape: "log_uniform" | "uniform";
  /** Share of callers who call a second time [0.2]. */
  second_call_rate: number;
  /** Share of calls that carry caller ID [1]. */
  caller_id_rate: number;
  /** Share of calls placed with the snippet's call button when the caller last opened on a phone [0]: a `click` shortly before the call. */
  tap_to_call_share: number;
  /** Share of phone openers who tap the call button without calling [0]. */
  tap_without_call_rate: number;
}

/** How a pool picks a free number: least recently released (`lru`, the default), or a seeded random order. */
export type Reuse = "lru" | { random: { seed: number } };
/** What a pool does when no number is free (see the README's Pools section). */
export type Exhaustion =
  | "shared_tail"
  | "fallback"
  | "steal_oldest_tail"
  | { overflow: { number: string } }
  | { share: { max_holders: number } };

/** A pool: the body of `PUT /v1/pools/{pool}`, checked by the Worker's own parser. */
export interface PoolConfig {
  /** The pool's numbers (E.164; separators accepted), at most 20,000 — or a count of fictional `+1415…` numbers. */
  numbers: string[] | number;
  /** The static number shown when the pool runs dry [`+16505550100`]. */
  fallback?: string;
  /** Guaranteed minimum exclusive hold, seconds [7200]. */
  lease_seconds?: number;
  /** Renewals stop extending past this age, seconds [max(7 days, lease)]. */
  max_lease_seconds?: number;
  /** Tail after the lease, seconds [7 days]. */
  tail_seconds?: number;
  /** Wait before a removed number is reused, seconds [45 days]. */
  quarantine_seconds?: number;
  /** How long ended associations and calls are kept, seconds [30 days]. */
  attribution_window_seconds?: number;
  /** Reuse order [`lru`]. */
  reuse?: Reuse;
  /** Exhaustion policy [`shared_tail`]. */
  exhaustion?: Exhaustion;
  /** Utilisation that raises pressure [0.75]. */
  pressure_threshold?: number;
  /** How display strings are written [`national`]. */
  display_format?: "national" | "international";
  /** Your own display string per number. */
  displays?: Record<string, string>;
  /** The pool's image style. */
  style?: Style;
}

/** Input of {@link simulate}. */
export interface SimulationInput {
  /** The send; missing fields take the defaults. */
  send?: Partial<SendModel>;
  /** The pool. */
  pool: PoolConfig;
  /** Random seed, a whole number ≥ 0 [1]: the same input gives the same result. */
  seed?: number;
  /** How long the series runs, hours (at most 8,784) [until the send's last open or call]. */
  hours?: number;
  /** The series' resolution, 1 – 1440 minutes, at most 5,000 samples [the smallest of 1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440 giving ≤ 500 samples]. */
  sample_minutes?: number;
}

/** Accuracy within one band of stated confidence. */
export interface Decile {
  /** Lower bound of the stated confidence (inclusive). */
  from: number;
  /** Upper bound (exclusive; the last band includes 1). */
  to: number;
  /** Calls whose confidence fell here. */
  calls: number;
  /** Of those, calls whose top candidate was the caller. */
  correct: number;
  /** `correct / calls`, null when empty. */
  accuracy: number | null;
  /** Mean stated confidence, null when empty. */
  mean_confidence: number | null;
}

/** The summary `ringmark backtest` prints. Shares are of calls; confident means confidence ≥ 0.8. */
export interface BacktestSummary {
  /** Timeline lines read. */
  events: number;
  /** Opens. */
  opens: number;
  /** Calls. */
  calls: number;
  /** Share of calls whose top candidate is the caller. */
  correct_top: number;
  /** Share attributed to the caller with confidence ≥ 0.8. */
  correct_confident: number;
  /** Share attributed to someone else with confidence ≥ 0.8. */
  confidently_wrong: number;
  /** Share of calls that dialled the fallback number. */
  dialled_fallback: number;
  /** The counts behind the shares. */
  counts: {
    correct_top: number;
    correct_confident: number;
    confidently_wrong: number;
    dialled_fallback: number;
    dialled_overflow: number;
    never_shown: number;
  };
  /** Highest share of leasable numbers not free (in a lease or a tail). */
  peak_utilisation: number;
  /** Highest share of leasable numbers inside a lease. */
  peak_exclusive: number;
  /** Exhaustion outcomes over the run. */
  exhaustions: { overflow: number; stole: number; shared: number; fallback: number; full: number; prefetches_unkept: number };
  /** Stated confidence against observed accuracy, ten bands. */
  deciles: Decile[];
}

/** Output of {@link simulate}: a series per sample, and the backtest's summary. */
export interface SimulationResult {
  /** Sample times, hours since the send started (0, then every `sample_minutes`). */
  hours: number[];
  /** At each sample, the share of the pool's numbers inside a person's lease (0..1). */
  utilisation: number[];
  /** At each sample, the share of numbers in their tail: held by nobody, still attributable to earlier holders, reused (shared) only when nothing is free (0..1). */
  shared: number[];
  /** When a person's open was first answered with the fallback number, hours since the start (exact); null when never. */
  dry_at_hours: number | null;
  /** The series' resolution, minutes. */
  sample_minutes: number;
  /** What `ringmark backtest` prints for this send on this pool. */
  summary: BacktestSummary;
}
"#;

    /// Replays a simulated send through the real allocator and attribution (the code
    /// `ringmark backtest` and the Worker's pool object run) and samples the pool over time:
    /// how full it gets, when (if ever) a person sees the fallback, and how well calls are
    /// attributed. Throws an `Error` whose message starts with the field when the input is
    /// refused (e.g. more than 250,000 recipients, a pool the admin API would refuse, more
    /// than 5,000 samples).
    #[wasm_bindgen(unchecked_return_type = "SimulationResult")]
    pub fn simulate(
        #[wasm_bindgen(unchecked_param_type = "SimulationInput")] input: JsValue,
    ) -> Result<JsValue, JsError> {
        // JSON.stringify: a JS number that is whole reads as an integer (recipients, seed).
        let text = js_sys::JSON::stringify(&input)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| JsError::new("input: not a JSON value"))?;
        let result = ringmark::backtest::series::simulate(&text)
            .map_err(|e| JsError::new(&e.to_string()))?;
        let json = serde_json::to_string(&result).map_err(|e| JsError::new(&e.to_string()))?;
        js_sys::JSON::parse(&json).map_err(|_| JsError::new("result: not JSON"))
    }
}

#[cfg(target_arch = "wasm32")]
pub use exports::simulate;
