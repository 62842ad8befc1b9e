//! The call-delay model: how long after a recipient was last *shown* a number they call it,
//! as a probability density over the delay. Attribution weighs each candidate by this density
//! at their delay, so a candidate's score is the probability that they are the caller.
//!
//! Shape. Delays are binned on a log scale: [`BINS`] bins from 30 seconds to 30 days, each
//! with a probability mass, the delay log-uniform inside a bin (so the density at `d` is
//! `mass / (d · ln r)`, `r` the bins' ratio). Delays below 30 s share the first bin's density
//! at 30 s; delays past 30 days get [`DelayModel::outsider`], the density of the last bin at
//! its end, which also stands for a caller who was never shown the number at all (a
//! forwarded email, a wrong number).
//!
//! Default. We found no published distribution of call delays after an email open, so the
//! default is an assumption, stated here and in the README:
//! 60 % of calls within 2 hours of the last open, 30 % within 2 hours to 3 days, 9 % within 3 to
//! 14 days and 1 % later, up to 30 days; log-linear in between (the shape the open curve in
//! [`crate::sizing`] uses).
//!
//! Learning. Every recorded call adds its candidates' posterior probabilities to the bins of
//! their delays (one expectation-maximisation step per call: soft counts, so the model is not
//! biased towards the short delays that confident calls have). The model in use is the
//! default as a prior worth [`PRIOR_CALLS`] calls plus those counts: with few calls it is the
//! default, after a few hundred the pool's own delays dominate.

/// Number of log-spaced bins.
pub const BINS: usize = 24;
/// Lower edge of the first bin, seconds.
pub const FIRST_EDGE: f64 = 30.0;
/// Upper edge of the last bin, seconds (30 days).
pub const LAST_EDGE: f64 = 30.0 * 86_400.0;
/// Weight of the default distribution, in calls.
pub const PRIOR_CALLS: f64 = 100.0;
/// Bins pooled into one learned share (four bins: a factor of about 6.6 in delay).
const GROUP: usize = 2;
/// Counts are kept in millionths of a call.
const MICRO: f64 = 1_000_000.0;

/// The default call-delay CDF knots: (seconds, share of calls by then). See the module docs.
const KNOTS: [(f64, f64); 5] = [
    (FIRST_EDGE, 0.0),
    (7_200.0, 0.60),
    (259_200.0, 0.90),
    (1_209_600.0, 0.99),
    (LAST_EDGE, 1.0),
];

fn default_cdf(t: f64) -> f64 {
    if t <= KNOTS[0].0 {
        return 0.0;
    }
    for w in KNOTS.windows(2) {
        let ((a, fa), (b, fb)) = (w[0], w[1]);
        if t <= b {
            return fa + (fb - fa) * (t / a).ln() / (b / a).ln();
        }
    }
    1.0
}

/// Bin edges, seconds: `BINS + 1` values from [`FIRST_EDGE`] to [`LAST_EDGE`].
fn edges() -> [f64; BINS + 1] {
    let ratio = (LAST_EDGE / FIRST_EDGE).ln() / BINS as f64;
    let mut e = [0.0; BINS + 1];
    for (i, x) in e.iter_mut().enumerate() {
        *x = FIRST_EDGE * (ratio * i as f64).exp();
    }
    e[BINS] = LAST_EDGE;
    e
}

/// The delay model of one pool: the default prior plus the pool's own soft counts.
#[derive(Clone, Debug, PartialEq)]
pub struct DelayModel {
    edges: [f64; BINS + 1],
    /// ln of the bins' ratio.
    ln_ratio: f64,
    prior: [f64; BINS],
    /// Posterior-weighted delays of recorded calls, per bin, in millionths of a call (fixed
    /// point, so a replayed or reloaded pool learns exactly the same model).
    counts: [u64; BINS],
    /// How much the pool's holders were exposed to each bin, in millionths of the default
    /// model's mass (a holder watched through a whole bin adds that bin's default mass).
    exposure: [u64; BINS],
    /// Density per bin at a delay of 1 s, `mass / ln r` (divide by the delay).
    scale: [f64; BINS],
}

impl Default for DelayModel {
    fn default() -> Self {
        let edges = edges();
        let mut prior = [0.0; BINS];
        for (i, m) in prior.iter_mut().enumerate() {
            *m = default_cdf(edges[i + 1]) - default_cdf(edges[i]);
        }
        let mut model = Self {
            edges,
            ln_ratio: (LAST_EDGE / FIRST_EDGE).ln() / BINS as f64,
            prior,
            counts: [0; BINS],
            exposure: [0; BINS],
            scale: [0.0; BINS],
        };
        model.rescale();
        model
    }
}

impl DelayModel {
    /// A model with the pool's stored soft counts and exposure (missing or malformed: the
    /// default).
    pub fn with_counts(counts: &[u64], exposure: &[u64]) -> Self {
        let mut model = Self::default();
        if counts.len() == BINS && exposure.len() == BINS {
            model.counts.copy_from_slice(counts);
            model.exposure.copy_from_slice(exposure);
            model.rescale();
        }
        model
    }

    /// The soft counts (millionths of a call), for the snapshot.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The exposure (millionths of default mass), for the snapshot.
    pub fn exposure(&self) -> &[u64] {
        &self.exposure
    }

    /// The default model's mass between delays 0 and `len` seconds, per bin: what one holder
    /// watched for `len` seconds after a show adds to the exposure.
    pub fn exposure_of(&self, len: i64, weight: f64, into: &mut [f64; BINS]) {
        let l = len as f64;
        if l <= FIRST_EDGE || weight <= 0.0 {
            return;
        }
        for (i, slot) in into.iter_mut().enumerate() {
            let (a, b) = (self.edges[i], self.edges[i + 1]);
            if l >= b {
                *slot += weight * self.prior[i];
            } else {
                *slot += weight * self.prior[i] * (l / a).ln() / (b / a).ln();
                break;
            }
        }
    }

    /// Calls' worth of learned evidence (the sum of the soft counts).
    pub fn learned_calls(&self) -> f64 {
        self.counts.iter().map(|&c| c as f64).sum::<f64>() / MICRO
    }

    fn rescale(&mut self) {
        // Maximum likelihood for a call intensity per holder: calls in a group of bins over the
        // holders' exposure to it. Exposure matters: a holder who re-opens starts a new delay,
        // so short delays are watched more often than long ones; counting calls alone made the
        // model favour recent holders and overconfident (measured in `bench/backtest`). Groups
        // of four bins, the default's shape inside each: a few hundred calls estimate six
        // rates well, but not 24.
        let n = self.learned_calls();
        let groups: Vec<(std::ops::Range<usize>, f64, f64, f64)> = (0..BINS)
            .step_by(GROUP)
            .map(|g| {
                let bins = g..(g + GROUP).min(BINS);
                let sum = |v: &[u64]| v.iter().map(|&c| c as f64).sum::<f64>() / MICRO;
                let calls = sum(&self.counts[bins.clone()]);
                let exposed = sum(&self.exposure[bins.clone()]);
                let prior: f64 = self.prior[bins.clone()].iter().sum();
                (bins, calls, exposed, prior)
            })
            .collect();
        let (all_calls, all_exposed) = groups
            .iter()
            .fold((0.0, 0.0), |(c, e), g| (c + g.1, e + g.2));
        let rate = |calls: f64, exposed: f64| {
            if exposed > 0.0 {
                calls / exposed
            } else if all_exposed > 0.0 {
                all_calls / all_exposed
            } else {
                1.0
            }
        };
        let norm: f64 = groups.iter().map(|g| rate(g.1, g.2) * g.3).sum();
        for (bins, calls, exposed, prior) in groups {
            let learned = if norm > 0.0 {
                rate(calls, exposed) * prior / norm
            } else {
                prior
            };
            let mass = (n * learned + PRIOR_CALLS * prior) / (n + PRIOR_CALLS);
            for i in bins {
                let share = if prior > 0.0 {
                    self.prior[i] / prior
                } else {
                    0.0
                };
                self.scale[i] = mass * share / self.ln_ratio;
            }
        }
    }

    fn bin(&self, d: f64) -> usize {
        // Edges are increasing: the last edge at or below `d`.
        self.edges[1..BINS]
            .partition_point(|&e| e <= d)
            .min(BINS - 1)
    }

    /// Density (per second) of a call `delay` seconds after the number was last shown.
    pub fn density(&self, delay: i64) -> f64 {
        let d = delay as f64;
        if d >= LAST_EDGE {
            return self.outsider();
        }
        let d = d.max(FIRST_EDGE);
        self.scale[self.bin(d)] / d
    }

    /// The density given to a delay past the model's range, and to a caller who was never
    /// shown the number: the last bin's density at its end.
    pub fn outsider(&self) -> f64 {
        self.scale[BINS - 1] / LAST_EDGE
    }

    /// The default prior plus `evidence` (`(delay, posterior)` per candidate of every call)
    /// over `exposure` (from [`DelayModel::exposure_of`]).
    pub fn learned(evidence: impl IntoIterator<Item = (i64, f64)>, exposure: &[f64; BINS]) -> Self {
        let mut model = Self::default();
        for (e, &x) in model.exposure.iter_mut().zip(exposure) {
            *e = (x.max(0.0) * MICRO).round() as u64;
        }
        model.learn(evidence);
        model
    }

    /// Adds calls' evidence: `(delay, posterior)` per candidate.
    pub fn learn(&mut self, evidence: impl IntoIterator<Item = (i64, f64)>) {
        let mut changed = false;
        for (delay, p) in evidence {
            let d = delay as f64;
            if !(p.is_finite() && p > 0.0) || d >= LAST_EDGE {
                continue;
            }
            let bin = self.bin(d.max(FIRST_EDGE));
            self.counts[bin] = self.counts[bin].saturating_add((p.min(1.0) * MICRO).round() as u64);
            changed = true;
        }
        if changed {
            self.rescale();
        }
    }

    /// `per_bin` delays per bin, log-spaced inside it, each with its share of the bin's mass:
    /// a quadrature of the model for forecasts.
    pub fn samples(&self, per_bin: usize) -> Vec<(f64, f64)> {
        let per_bin = per_bin.max(1);
        let mut out = Vec::with_capacity(BINS * per_bin);
        for i in 0..BINS {
            let (a, b) = (self.edges[i], self.edges[i + 1]);
            let mass = self.scale[i] * self.ln_ratio;
            for j in 0..per_bin {
                let x = (j as f64 + 0.5) / per_bin as f64;
                out.push((a * (b / a).powf(x), mass / per_bin as f64));
            }
        }
        out
    }

    /// Probability that a call comes within `delay` seconds of the last show (the model's CDF).
    pub fn cdf(&self, delay: i64) -> f64 {
        let d = delay as f64;
        if d <= FIRST_EDGE {
            return 0.0;
        }
        let mut acc = 0.0;
        for i in 0..BINS {
            let (a, b) = (self.edges[i], self.edges[i + 1]);
            let mass = self.scale[i] * self.ln_ratio;
            if d >= b {
                acc += mass;
            } else {
                acc += mass * (d / a).ln() / (b / a).ln();
                break;
            }
        }
        acc.min(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matches_the_stated_shares() {
        // The knots fall inside bins, whose mass is spread over the bin: within 2 points.
        let m = DelayModel::default();
        assert!((m.cdf(7_200) - 0.60).abs() < 0.02, "{}", m.cdf(7_200));
        assert!((m.cdf(259_200) - 0.90).abs() < 0.02, "{}", m.cdf(259_200));
        assert!((m.cdf(1_209_600) - 0.99).abs() < 0.01);
        assert!((m.cdf(LAST_EDGE as i64) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn density_integrates_to_one_and_falls_with_delay() {
        let m = DelayModel::default();
        // Over the model's range (below 30 s the density is held at its 30 s value).
        // Integrate on a log grid: ∫ f(d) dd = ∫ f(e^u) e^u du.
        let (lo, hi) = (FIRST_EDGE.ln(), LAST_EDGE.ln());
        let n = 200_000;
        let h = (hi - lo) / f64::from(n);
        let total: f64 = (0..n)
            .map(|i| {
                let u = lo + (f64::from(i) + 0.5) * h;
                let d = u.exp();
                m.density(d.round() as i64) * d * h
            })
            .sum();
        assert!((total - 1.0).abs() < 1e-3, "{total}");
        assert!(m.density(600) > m.density(7_200));
        assert!(m.density(7_200) > m.density(86_400));
        assert!(m.density(86_400) > m.density(10 * 86_400));
        assert!(m.density(10 * 86_400) > m.outsider());
        assert_eq!(m.density(40 * 86_400), m.outsider());
    }

    #[test]
    fn learning_moves_mass_towards_observed_delays() {
        // 1,000 holders watched for 30 days; every call came a day after a show.
        let base = DelayModel::default();
        let mut exposure = [0.0; BINS];
        base.exposure_of(LAST_EDGE as i64, 1_000.0, &mut exposure);
        let m = DelayModel::learned(std::iter::repeat_n((86_400, 1.0), 1_000), &exposure);
        assert!(m.density(86_400) > 3.0 * base.density(86_400));
        assert!(m.density(600) < base.density(600) / 3.0);
        assert!((m.learned_calls() - 1_000.0).abs() < 1e-9);
        let again = DelayModel::with_counts(m.counts(), m.exposure());
        assert_eq!(again, m);
    }

    #[test]
    fn learning_at_the_default_shape_changes_nothing() {
        // Calls spread exactly as the default over fully exposed holders: the same model.
        let base = DelayModel::default();
        let mut exposure = [0.0; BINS];
        base.exposure_of(LAST_EDGE as i64, 500.0, &mut exposure);
        let evidence: Vec<(i64, f64)> = base
            .samples(1)
            .into_iter()
            .flat_map(|(d, mass)| std::iter::repeat_n((d as i64, mass), 500))
            .collect();
        let m = DelayModel::learned(evidence, &exposure);
        for d in [60, 3_600, 86_400, 10 * 86_400] {
            let r = m.density(d) / base.density(d);
            assert!((r - 1.0).abs() < 1e-3, "{d}: {r}");
        }
    }

    #[test]
    fn a_holder_watched_briefly_counts_for_the_short_delays_only() {
        let base = DelayModel::default();
        let mut exposure = [0.0; BINS];
        base.exposure_of(7_200, 1.0, &mut exposure);
        let total: f64 = exposure.iter().sum();
        assert!((total - base.cdf(7_200)).abs() < 1e-9);
    }

    #[test]
    fn malformed_counts_fall_back_to_the_default() {
        assert_eq!(
            DelayModel::with_counts(&[1; 3], &[1; 3]),
            DelayModel::default()
        );
    }
}
