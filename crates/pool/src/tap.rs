//! The call-after-a-tap model: how much likelier, and how soon, a recipient calls after
//! tapping the snippet's call button than after an image showed them the number.
//!
//! Why it exists. The call button (`/c/{token}`) answers a phone with a `302` to `tel:`; the
//! dialler opens with the number filled in, and the call follows within seconds, or not at all.
//! No other signal the pool sees comes that close to the call, so a tap weighs more than any
//! open: a tracking number shown to six people over an afternoon is a toss-up for a call from
//! the delay since each saw it, but not when one of them tapped it 20 seconds before the call.
//!
//! The likelihood a tapped association adds to its open density (see [`crate::delay`]) is
//! [`TAP_LR`] × [`density`]`(t − tap)`: the ratio of the chance that a tap turns into a call to
//! the chance that an open does, times the density of the delay from tap to call. Both are
//! assumptions (we found no published figures), stated here and in the README:
//! * a tap turns into a call about half the time (taps cancelled in the dialler, or made by
//!   mistake), against ~3 % of people who open (the call rate `ringmark_pool::sizing` and the
//!   simulated send use): [`TAP_LR`] = 15;
//! * 90 % of those calls start within 2 minutes of the tap (dial, ring; the carrier stamps the
//!   call when it rings), the rest within the hour (the dialler left open, a call back after a
//!   busy line), log-uniform within each part like the open delays. After an hour the tap is
//!   an ordinary show.
//!
//! Only a tap on a pool number counts: the fallback and overflow numbers are lines people also
//! call from elsewhere (a business's main line), at a rate the pool does not know, so a call to
//! one seconds after a tap is not the tapper's with the same odds.
//!
//! Unlike the open delays, the pool does not re-learn this model from its calls: a pool sees
//! few taps, and the model only has to rank a tapper far above people shown the number hours
//! before, which its order of magnitude does whatever the exact shape.

/// Likelihood ratio of a tap over an open: P(call | tap) ÷ P(call | open) ≈ 0.45 ÷ 0.03.
pub const TAP_LR: f64 = 15.0;

/// The tap-to-call delay knots: (seconds, share of calls after a tap by then).
const KNOTS: [(f64, f64); 3] = [(1.0, 0.0), (120.0, 0.9), (3_600.0, 1.0)];

/// Density of the delay from a tap to the call it leads to, per second (delays under a second
/// count as one second; zero past an hour).
// Out of line and cold: a fallback number's scan weighs hundreds of thousands of associations,
// almost none of them tapped; inlined, this slowed that scan by 9 % (the `legacy` backtest).
#[cold]
#[inline(never)]
pub fn density(delay: i64) -> f64 {
    density_at(delay as f64)
}

fn density_at(delay: f64) -> f64 {
    let d = delay.max(KNOTS[0].0);
    KNOTS.windows(2).find(|w| d <= w[1].0).map_or(0.0, |w| {
        let ((a, fa), (b, fb)) = (w[0], w[1]);
        (fb - fa) / (d * (b / a).ln())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The density integrates to one over its hour (numerically, on a log grid).
    #[test]
    fn is_a_density() {
        let (mut total, steps) = (0.0, 200_000);
        let ln_end = 3_600f64.ln();
        for i in 0..steps {
            let a = (ln_end * i as f64 / steps as f64).exp();
            let b = (ln_end * (i + 1) as f64 / steps as f64).exp();
            total += density_at((a + b) / 2.0) * (b - a);
        }
        assert!((total - 1.0).abs() < 1e-3, "{total}");
        assert_eq!(density(3_601), 0.0);
        assert_eq!(density(0), density(1));
    }

    /// Twenty seconds after a tap, the tapper outweighs somebody shown the number a minute
    /// before the call more than 50 times over (an hour before: 3,000 times), and two hours on
    /// the tap adds nothing.
    #[test]
    fn a_recent_tap_outweighs_a_recent_open() {
        let open = crate::delay::DelayModel::default();
        assert!(TAP_LR * density(20) > 50.0 * open.density(60));
        assert!(TAP_LR * density(20) > 3_000.0 * open.density(3_600));
        assert!(TAP_LR * density(2 * 3_600) == 0.0);
    }
}
