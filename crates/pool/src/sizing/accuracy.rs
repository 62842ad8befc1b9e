//! Expected attribution accuracy of a shared-tail pool for a send: the share of calls whose
//! top candidate is the caller, and how many of those are confident.
//!
//! Model (a fluid approximation of what `bench/backtest` simulates call by call):
//! * eventual human openers arrive on the open curve of [`super::open_cdf`], sends spread
//!   evenly over `spread` seconds;
//! * a person who finds no free number takes the tail number shown longest ago, so with `M`
//!   numbers the holders of one number are `M` arrivals apart (round robin); the first `M`
//!   openers find fresh numbers; an opener who arrives while more than `M` openers are inside
//!   their exclusive lease sees the fallback number (counted as not attributed);
//! * a caller calls once, `d` seconds after their open, `d` drawn from the call-delay model;
//!   every holder of the number is weighed by the model's density at the time since they
//!   were shown it (exactly what attribution does), plus one outsider.
//!
//! The caller is the top candidate exactly when nobody took the number after them before the
//! call (earlier holders were shown it longer ago, so they weigh less); the call is confident
//! when the caller's posterior is at least 0.8. Re-opens, second calls (caller ID makes most of
//! them right when the first was) and the pool learning its own delays are left out, which
//! makes the estimate slightly pessimistic; `BENCHMARKS.md` compares it with the simulation.
//!
//! Cost is fixed whatever the inputs: a grid of caller arrival quantiles times delay samples
//! per bin of the delay model.

use serde::Serialize;

use crate::delay::DelayModel;

/// Confidence at or above which a call counts as confident.
pub const CONFIDENT: f64 = 0.8;
/// Caller arrival quantiles evaluated.
const CALLERS: usize = 160;
/// Delay samples per bin of the delay model.
const PER_BIN: usize = 2;
/// Points of the arrival curve tabulated for inversion.
const CURVE: usize = 1_500;
/// Earlier (and later) holders of the caller's number weighed at most: past a few hundred
/// competitors a call is lost anyway, and the cost stays bounded for any pool size.
const COMPETITORS: usize = 64;

/// Expected shares of calls, for one pool size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Forecast {
    /// Pool size the forecast is for.
    pub numbers: u32,
    /// Share of calls whose top candidate is the caller.
    pub correct: f64,
    /// Share of calls attributed correctly with confidence ≥ 0.8.
    pub correct_confident: f64,
    /// Share of calls attributed to someone else with confidence ≥ 0.8.
    pub confidently_wrong: f64,
    /// Share of callers who were shown the fallback number (every number in a lease).
    pub dialled_fallback: f64,
}

/// The send being forecast.
#[derive(Clone, Copy, Debug)]
pub struct Send {
    /// Eventual human openers.
    pub openers: f64,
    /// Seconds over which the send is spread (0: blast).
    pub spread: f64,
    /// Exclusive lease, seconds.
    pub lease: f64,
    /// How long after a show a holder stays a candidate, seconds.
    pub window: f64,
}

/// Share of eventual openers who have opened by `t` (send start = 0).
fn arrived(t: f64, spread: f64) -> f64 {
    if spread <= 0.0 {
        super::open_cdf(t)
    } else {
        ((super::cdf_integral(t) - super::cdf_integral(t - spread)) / spread).clamp(0.0, 1.0)
    }
}

/// The arrival curve tabulated on a log time grid, for inversion by interpolation.
struct Curve {
    times: Vec<f64>,
    shares: Vec<f64>,
}

impl Curve {
    fn new(spread: f64) -> Self {
        let end = spread + 31.0 * 86_400.0;
        let mut times = Vec::with_capacity(CURVE + 1);
        times.push(0.0);
        for i in 0..CURVE {
            times.push((end.ln() * (i + 1) as f64 / CURVE as f64).exp());
        }
        let shares = times.iter().map(|&t| arrived(t, spread)).collect();
        Self { times, shares }
    }

    /// Time at which share `u` of openers had arrived (`∞` past the last one).
    fn time_of(&self, u: f64) -> f64 {
        if u >= 1.0 {
            return f64::INFINITY;
        }
        let i = self.shares.partition_point(|&s| s < u);
        if i == 0 {
            return 0.0;
        }
        if i >= self.shares.len() {
            return f64::INFINITY;
        }
        let (s0, s1) = (self.shares[i - 1], self.shares[i]);
        let (t0, t1) = (self.times[i - 1], self.times[i]);
        if s1 <= s0 {
            t1
        } else {
            t0 + (t1 - t0) * (u - s0) / (s1 - s0)
        }
    }

    fn share_at(&self, t: f64) -> f64 {
        let i = self.times.partition_point(|&x| x < t);
        if i == 0 {
            return 0.0;
        }
        if i >= self.times.len() {
            return 1.0;
        }
        let (t0, t1) = (self.times[i - 1], self.times[i]);
        let (s0, s1) = (self.shares[i - 1], self.shares[i]);
        s0 + (s1 - s0) * (t - t0) / (t1 - t0)
    }
}

/// When openers find every number inside an exclusive lease (fluid model on a time grid):
/// openers who find a number hold it for the lease; while all `M` are held, only as many are
/// served as leases end. Blocked openers hold nothing, so a burst blocks fewer than "more
/// than `M` openers within one lease" suggests.
struct Blocking {
    dt: f64,
    blocked: Vec<f64>,
}

impl Blocking {
    const STEPS: usize = 4_000;

    fn new(curve: &Curve, send: &Send, capacity: f64) -> Self {
        let horizon = send.spread + 4.0 * send.lease + 2.0 * 86_400.0;
        let dt = (horizon / Self::STEPS as f64).max(1.0);
        let lag = ((send.lease / dt).round() as usize).max(1);
        let mut served: Vec<f64> = Vec::with_capacity(Self::STEPS);
        let mut blocked = Vec::with_capacity(Self::STEPS);
        let mut held = 0.0;
        for k in 0..Self::STEPS {
            let t = k as f64 * dt;
            let arriving = curve.share_at(t + dt) - curve.share_at(t);
            if k >= lag {
                held -= served[k - lag];
            }
            let room = (capacity - held).max(0.0);
            let s = arriving.min(room);
            held += s;
            served.push(s);
            blocked.push(if arriving > 0.0 {
                1.0 - s / arriving
            } else {
                0.0
            });
        }
        Self { dt, blocked }
    }

    fn at(&self, t: f64) -> f64 {
        let k = (t / self.dt) as usize;
        self.blocked.get(k).copied().unwrap_or(0.0)
    }
}

/// Expected accuracy of a shared-tail pool of `numbers` numbers for `send`, weighing
/// candidates with `delays`.
pub fn forecast(send: &Send, numbers: u32, delays: &DelayModel) -> Forecast {
    let curve = Curve::new(send.spread);
    forecast_on(&curve, send, numbers, delays)
}

fn forecast_on(curve: &Curve, send: &Send, numbers: u32, delays: &DelayModel) -> Forecast {
    let empty = Forecast {
        numbers,
        correct: 0.0,
        correct_confident: 0.0,
        confidently_wrong: 0.0,
        dialled_fallback: 0.0,
    };
    if send.openers.is_nan() || send.openers < 1.0 || numbers == 0 {
        return empty;
    }
    let step = f64::from(numbers) / send.openers; // share of openers per round of the pool
    let blocking = Blocking::new(curve, send, step);
    let samples = delays.samples(PER_BIN);
    let outsider = delays.outsider();
    let (mut correct, mut confident, mut wrong, mut fallback) = (0.0, 0.0, 0.0, 0.0);
    let mut earlier: Vec<f64> = Vec::new();
    let mut later: Vec<f64> = Vec::new();
    for k in 0..CALLERS {
        let u = (k as f64 + 0.5) / CALLERS as f64;
        let tau = curve.time_of(u);
        if !tau.is_finite() {
            continue;
        }
        // The share of openers at this moment who find every number inside a lease.
        let blocked = blocking.at(tau);
        fallback += blocked;
        let served = 1.0 - blocked;
        if served <= 0.0 {
            continue;
        }
        earlier.clear();
        let mut j = 1.0;
        while u - j * step > 0.0 && earlier.len() < COMPETITORS {
            let t = curve.time_of(u - j * step);
            if tau - t > send.window {
                break;
            }
            earlier.push(t);
            j += 1.0;
        }
        later.clear();
        let mut j = 1.0;
        while u + j * step < 1.0 && later.len() < COMPETITORS {
            let t = curve.time_of(u + j * step);
            if !t.is_finite() || t - tau > send.window {
                break;
            }
            later.push(t);
            j += 1.0;
        }
        for &(d, mass) in &samples {
            let t = tau + d;
            let own = delays.density(d as i64);
            let mut others = outsider;
            let mut best_other = 0.0f64;
            for &e in &earlier {
                let w = delays.density((t - e) as i64);
                others += w;
                best_other = best_other.max(w);
            }
            for &l in later.iter().take_while(|&&l| l <= t) {
                let w = delays.density((t - l) as i64);
                others += w;
                best_other = best_other.max(w);
            }
            let total = own + others;
            if own >= best_other {
                correct += mass * served;
                if own / total >= CONFIDENT {
                    confident += mass * served;
                }
            } else if best_other / total >= CONFIDENT {
                wrong += mass * served;
            }
        }
    }
    let n = CALLERS as f64;
    Forecast {
        numbers,
        correct: correct / n,
        correct_confident: confident / n,
        confidently_wrong: wrong / n,
        dialled_fallback: fallback / n,
    }
}

/// The smallest pool whose forecast share of correct top candidates reaches `target`
/// (`None` when even one number per opener does not), with its forecast.
pub fn size_for(send: &Send, target: f64, delays: &DelayModel) -> Option<Forecast> {
    let curve = Curve::new(send.spread);
    let most = send.openers.ceil().clamp(1.0, f64::from(super::MAX_POOL)) as u32;
    let top = forecast_on(&curve, send, most, delays);
    if top.correct < target {
        return None;
    }
    let (mut lo, mut hi, mut best) = (0u32, most, top);
    while hi - lo > 1.max(hi / 200) {
        let mid = lo + (hi - lo) / 2;
        let f = forecast_on(&curve, send, mid, delays);
        if f.correct >= target {
            (hi, best) = (mid, f);
        } else {
            lo = mid;
        }
    }
    Some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(spread_h: f64) -> Send {
        Send {
            openers: 20_000.0,
            spread: spread_h * 3_600.0,
            lease: 7_200.0,
            window: 30.0 * 86_400.0,
        }
    }

    #[test]
    fn more_numbers_attribute_more_calls() {
        let d = DelayModel::default();
        let mut last = 0.0;
        for m in [500, 2_000, 8_000, 20_000] {
            let f = forecast(&send(24.0), m, &d);
            assert!(f.correct >= last, "{m}: {f:?}");
            assert!(f.correct_confident <= f.correct);
            last = f.correct;
        }
        // A number per opener: only the outsider competes.
        let all = forecast(&send(24.0), 20_000, &d);
        assert!(all.correct > 0.99, "{all:?}");
    }

    #[test]
    fn a_blast_exhausts_a_small_pool() {
        let f = forecast(&send(0.0), 1_000, &DelayModel::default());
        assert!(f.dialled_fallback > 0.2, "{f:?}");
        assert!(forecast(&send(24.0), 4_000, &DelayModel::default()).dialled_fallback < 0.01);
    }

    #[test]
    fn size_for_a_target_reaches_it_and_one_less_misses() {
        let d = DelayModel::default();
        let s = send(24.0);
        let f = size_for(&s, 0.8, &d).unwrap();
        assert!(f.correct >= 0.8);
        let smaller = forecast(&s, f.numbers * 9 / 10, &d);
        assert!(smaller.correct < 0.8 + 0.02, "{smaller:?}");
        assert!(f.numbers < 20_000, "fewer numbers than openers: {f:?}");
    }
}
