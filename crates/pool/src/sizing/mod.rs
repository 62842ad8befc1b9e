//! Pool sizing for per-recipient email: Little's law over the email open curve,
//! with an Erlang-B margin.
//!
//! Model. Eventual human openers `N = recipients × human_open_rate` open after a delay whose
//! CDF is Mailchimp's (⅓ at 1 h, 53% at 6 h, 78% at 1 d, 95% at 7 d:
//! <https://blog.mailchimp.com/nearly-one-third-of-opens-occur-within-1-hour/>) with an assumed 1%
//! in the first minute and 100% at 30 days, linear below one minute and log-linear between the
//! points. Sends are spread uniformly over `send_spread_hours` (0 = blast). Concurrent leases
//! `L(t) = A(t) − A(t − W)` (A = cumulative opens, W = lease); the peak of `L` is the fluid
//! (Little's law) demand. The recommended size is the smallest `M` whose Erlang-B blocking
//! probability at offered load `a = peak` is at most `target_exhaustion`
//! (the standard recursion `E(r) = a·E(r−1) / (r + a·E(r−1))`, `E(0) = 1`; e.g. GNU Octave's
//! `queueing` package, <https://octave.sourceforge.io/queueing/function/erlangb.html>).

mod accuracy;

pub use accuracy::{Forecast, Send, forecast, size_for};

use serde::{Deserialize, Serialize};

use crate::delay::DelayModel;

/// Inputs. JSON: every field but `recipients` optional (defaults in brackets).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizingInput {
    /// Recipients of the send.
    pub recipients: u64,
    /// Share of recipients who will open as humans (non-proxy) [0.20].
    #[serde(default = "default_open_rate")]
    pub human_open_rate: f64,
    /// Hours over which the send is spread evenly [0 = blast].
    #[serde(default)]
    pub send_spread_hours: f64,
    /// Exclusive lease length, seconds [86 400].
    #[serde(default = "default_lease")]
    pub lease_seconds: u32,
    /// Acceptable probability that an opener finds no free number [0.01].
    #[serde(default = "default_target")]
    pub target_exhaustion: f64,
    /// Window over which tails share a number, for the candidates-per-number estimate [7 days].
    #[serde(default = "default_window")]
    pub attribution_window_seconds: u32,
    /// Current pool size, to report utilisation and blocking against it.
    #[serde(default)]
    pub pool_size: Option<u32>,
    /// Currently live leases (from `PoolStats`), for current utilisation.
    #[serde(default)]
    pub live_leases: Option<u32>,
    /// Share of calls to attribute to the right recipient, for the attribution-based size
    /// [0.9].
    #[serde(default = "default_target_correct")]
    pub target_correct: f64,
}

fn default_open_rate() -> f64 {
    0.20
}
fn default_lease() -> u32 {
    86_400
}
fn default_target() -> f64 {
    0.01
}
fn default_window() -> u32 {
    7 * 86_400
}
fn default_target_correct() -> f64 {
    0.9
}

impl SizingInput {
    /// Inputs for `recipients` with every other field at its default.
    pub fn new(recipients: u64) -> Self {
        Self {
            recipients,
            human_open_rate: default_open_rate(),
            send_spread_hours: 0.0,
            lease_seconds: default_lease(),
            target_exhaustion: default_target(),
            attribution_window_seconds: default_window(),
            pool_size: None,
            live_leases: None,
            target_correct: default_target_correct(),
        }
    }
}

/// Output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SizingReport {
    /// Expected human openers.
    pub openers: f64,
    /// Peak concurrent exclusive leases (fluid model).
    pub peak_concurrent_leases: f64,
    /// When the peak occurs, seconds after the send starts.
    pub peak_at_seconds: f64,
    /// Smallest pool whose Erlang-B blocking at the peak load meets the target.
    pub recommended_size: u32,
    /// Erlang-B blocking probability at `recommended_size`.
    pub blocking_probability: f64,
    /// Concurrent tails per number over the attribution window at the recommended size
    /// (candidates per called number before any caller-ID match).
    pub tail_candidates_per_number: f64,
    /// The given pool size, echoed.
    pub pool_size: Option<u32>,
    /// Erlang-B blocking probability at the given pool size.
    pub pool_blocking_probability: Option<f64>,
    /// Peak leases divided by the given pool size.
    pub peak_utilisation: Option<f64>,
    /// `live_leases / pool_size` now.
    pub utilisation: Option<f64>,
    /// Longest exclusive lease (seconds) whose peak fits in the given pool; `None` without a
    /// pool size; capped at 30 days.
    pub max_lease_seconds_for_pool: Option<f64>,
    /// Expected attribution (shared tail, the default policy) at the given pool size.
    pub attribution: Option<Forecast>,
    /// Expected attribution at `recommended_size`.
    pub attribution_at_recommended: Forecast,
    /// Smallest pool expected to attribute `target_correct` of calls to the right recipient
    /// (`None` when a number per opener would not), with its forecast.
    pub size_for_target_correct: Option<Forecast>,
    /// Input corrections and caveats.
    pub notes: Vec<String>,
}

/// Open-delay CDF knots: (seconds, cumulative share of eventual openers).
const KNOTS: [(f64, f64); 7] = [
    (0.0, 0.0),
    (60.0, 0.01),
    (3_600.0, 1.0 / 3.0),
    (21_600.0, 0.53),
    (86_400.0, 0.78),
    (604_800.0, 0.95),
    (2_592_000.0, 1.0),
];

/// Share of eventual openers who have opened `t` seconds after delivery.
pub fn open_cdf(t: f64) -> f64 {
    if t <= 0.0 {
        return 0.0;
    }
    let (t1, f1) = KNOTS[1];
    if t <= t1 {
        return f1 * t / t1;
    }
    for w in KNOTS[1..].windows(2) {
        let ((a, fa), (b, fb)) = (w[0], w[1]);
        if t <= b {
            return fa + (fb - fa) * (t / a).ln() / (b / a).ln();
        }
    }
    1.0
}

/// ∫₀ˣ F(u) du, in closed form piece by piece.
fn cdf_integral(x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let (t1, f1) = KNOTS[1];
    if x <= t1 {
        return f1 * x * x / (2.0 * t1);
    }
    let mut acc = f1 * t1 / 2.0;
    for w in KNOTS[1..].windows(2) {
        let ((a, fa), (b, fb)) = (w[0], w[1]);
        let k = (fb - fa) / (b / a).ln();
        let upto = x.min(b);
        acc += fa * (upto - a) + k * (upto * (upto / a).ln() - upto + a);
        if x <= b {
            return acc;
        }
    }
    acc + (x - KNOTS[KNOTS.len() - 1].0)
}

/// Concurrent leases at `t` per opener (multiply by openers), lease `w`, spread `s` (seconds).
fn leases_at(t: f64, w: f64, s: f64) -> f64 {
    if s <= 0.0 {
        open_cdf(t) - open_cdf(t - w)
    } else {
        (cdf_integral(t) - cdf_integral(t - s) - cdf_integral(t - w) + cdf_integral(t - w - s)) / s
    }
}

/// Peak of `leases_at` over time: (peak per opener, time).
fn peak(w: f64, s: f64) -> (f64, f64) {
    let horizon = s + w + KNOTS[KNOTS.len() - 1].0 + 86_400.0;
    let mut ts: Vec<f64> = (0..=2_000)
        .map(|i| (horizon.ln() * f64::from(i) / 2_000.0).exp())
        .collect();
    for &(k, _) in &KNOTS {
        for off in [0.0, w, s, s + w] {
            ts.push(k + off);
        }
    }
    ts.retain(|t| t.is_finite() && *t > 0.0);
    ts.sort_by(f64::total_cmp);
    let (mut best_i, mut best) = (0, f64::MIN);
    for (i, &t) in ts.iter().enumerate() {
        let v = leases_at(t, w, s);
        if v > best {
            (best_i, best) = (i, v);
        }
    }
    // Golden-section refinement between the neighbours of the best grid point.
    let mut lo = ts[best_i.saturating_sub(1)];
    let mut hi = ts[(best_i + 1).min(ts.len() - 1)];
    let mut best_t = ts[best_i];
    let g = 0.618_033_988_75;
    for _ in 0..60 {
        let m1 = hi - g * (hi - lo);
        let m2 = lo + g * (hi - lo);
        if leases_at(m1, w, s) >= leases_at(m2, w, s) {
            hi = m2;
        } else {
            lo = m1;
        }
    }
    let mid = (lo + hi) / 2.0;
    let v = leases_at(mid, w, s);
    if v > best {
        best = v;
        best_t = mid;
    }
    (best, best_t)
}

/// Largest pool the sizing maths considers (bounded work for any input: the Erlang-B loops
/// run to it at most, a few milliseconds): far more numbers than any send rents.
pub const MAX_POOL: u32 = 1_000_000;

/// Erlang-B blocking probability for `m` servers (at most [`MAX_POOL`]) and offered load `a`
/// Erlangs.
pub fn erlang_b(m: u32, a: f64) -> f64 {
    let m = m.min(MAX_POOL);
    if a <= 0.0 {
        return if m == 0 { 1.0 } else { 0.0 };
    }
    // 1/E(r) = 1 + (r/a)·1/E(r−1): stable, no overflow until E underflows to 0.
    let mut inv = 1.0f64;
    for r in 1..=m {
        inv = 1.0 + inv * f64::from(r) / a;
        if !inv.is_finite() {
            return 0.0;
        }
    }
    1.0 / inv
}

/// Smallest `m` with Erlang-B blocking at most `target` (and that blocking); stops at
/// [`MAX_POOL`].
pub fn erlang_b_servers(a: f64, target: f64) -> (u32, f64) {
    if a <= 0.0 {
        return (0, 0.0);
    }
    let mut inv = 1.0f64;
    let mut m = 0u32;
    while 1.0 / inv > target && m < MAX_POOL {
        m += 1;
        inv = 1.0 + inv * f64::from(m) / a;
        if !inv.is_finite() {
            return (m, 0.0);
        }
    }
    (m, 1.0 / inv)
}

/// Recommends a pool size and reports utilisation against the current one.
pub fn recommend(input: &SizingInput) -> SizingReport {
    let mut notes = Vec::new();
    let rate = if input.human_open_rate.is_finite() {
        input.human_open_rate.clamp(0.0, 1.0)
    } else {
        0.0
    };
    if rate != input.human_open_rate {
        notes.push(format!(
            "human_open_rate {} clamped to {rate}",
            input.human_open_rate
        ));
    }
    let spread_h = if input.send_spread_hours.is_finite() {
        input.send_spread_hours.max(0.0)
    } else {
        0.0
    };
    let target = if input.target_exhaustion.is_finite() {
        input.target_exhaustion.clamp(1e-9, 1.0)
    } else {
        0.01
    };
    if target != input.target_exhaustion {
        notes.push(format!(
            "target_exhaustion {} clamped to {target}",
            input.target_exhaustion
        ));
    }
    let openers = input.recipients as f64 * rate;
    let s = spread_h * 3_600.0;
    let w = f64::from(input.lease_seconds.max(1));
    let (per_opener, peak_at) = peak(w, s);
    let peak_leases = per_opener * openers;
    let (recommended, blocking) = erlang_b_servers(peak_leases, target);
    let recommended = recommended.max(1);
    let window = f64::from(input.attribution_window_seconds.max(1));
    let tail_load = peak(window, s).0 * openers;
    let pool = input.pool_size.filter(|&m| m > 0);
    let max_lease = pool.map(|m| {
        let fits = |lease: f64| peak(lease, s).0 * openers <= f64::from(m);
        let (mut lo, mut hi) = (0.0f64, KNOTS[KNOTS.len() - 1].0);
        if fits(hi) {
            return hi;
        }
        for _ in 0..50 {
            let mid = (lo + hi) / 2.0;
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    });
    notes.push(
        "machine opens (Apple MPP prefetch, scanners) take soft holds, not leases, and are not counted"
            .into(),
    );
    let target_correct = if input.target_correct.is_finite() {
        input.target_correct.clamp(0.0, 1.0)
    } else {
        0.9
    };
    let send = Send {
        openers,
        spread: s,
        lease: w,
        window: f64::from(input.attribution_window_seconds.max(1)),
    };
    let delays = DelayModel::default();
    notes.push(
        "attribution forecasts assume the shared-tail policy and the default call-delay model \
         (60% of calls within 2 h of an open, 30% within 3 days); compare with `ringmark backtest`"
            .into(),
    );
    SizingReport {
        openers,
        peak_concurrent_leases: peak_leases,
        peak_at_seconds: peak_at,
        recommended_size: recommended,
        blocking_probability: blocking,
        tail_candidates_per_number: tail_load / f64::from(recommended),
        pool_size: pool,
        pool_blocking_probability: pool.map(|m| erlang_b(m, peak_leases)),
        peak_utilisation: pool.map(|m| peak_leases / f64::from(m)),
        utilisation: pool
            .zip(input.live_leases)
            .map(|(m, l)| f64::from(l) / f64::from(m)),
        max_lease_seconds_for_pool: max_lease,
        attribution: pool.map(|m| forecast(&send, m, &delays)),
        attribution_at_recommended: forecast(&send, recommended, &delays),
        size_for_target_correct: size_for(&send, target_correct, &delays),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_hits_the_mailchimp_points() {
        for (t, f) in [
            (3_600.0, 1.0 / 3.0),
            (21_600.0, 0.53),
            (86_400.0, 0.78),
            (604_800.0, 0.95),
        ] {
            assert!((open_cdf(t) - f).abs() < 1e-12, "{t}");
        }
        assert_eq!(open_cdf(1e9), 1.0);
    }

    #[test]
    fn integral_matches_numeric_quadrature() {
        for x in [30.0, 90.0, 5_000.0, 100_000.0, 3e6] {
            let n = 200_000;
            let h = x / f64::from(n);
            let numeric: f64 = (0..n).map(|i| open_cdf((f64::from(i) + 0.5) * h) * h).sum();
            let exact = cdf_integral(x);
            assert!(
                (numeric - exact).abs() / exact < 1e-4,
                "{x}: {numeric} vs {exact}"
            );
        }
    }
}
