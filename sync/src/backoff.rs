//! Capped exponential backoff with jitter drawn from a seeded generator.

use kuberack_core::rng::Rng;
use std::time::Duration;

/// Retry delays: `base * 2^attempt`, capped at `cap`, each drawn uniformly from the upper half
/// of that ceiling ("equal jitter"), so that retries from many racks spread out but never
/// come back sooner than half the nominal delay.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
    rng: Rng,
}

impl Backoff {
    /// A backoff starting at `base`, never above `cap`, jittered by a generator seeded with `seed`.
    pub fn new(base: Duration, cap: Duration, seed: u64) -> Backoff {
        Backoff {
            base,
            cap: cap.max(base),
            attempt: 0,
            rng: Rng::new(seed),
        }
    }

    /// The delay before the next retry; each call doubles the ceiling up to the cap.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let half = ceiling / 2;
        half + ceiling.saturating_sub(half).mul_f64(self.rng.uniform())
    }

    /// The current un-jittered ceiling.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// Retries so far since the last success.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Back to the first delay after a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn delays_double_within_jitter_and_stop_at_the_cap() {
        let mut b = Backoff::new(100 * MS, 3000 * MS, 7);
        let mut ceiling = 100 * MS;
        for _ in 0..12 {
            let d = b.next_delay();
            assert!(
                d >= ceiling / 2 && d <= ceiling,
                "{d:?} outside [{:?}, {ceiling:?}]",
                ceiling / 2
            );
            ceiling = (ceiling * 2).min(3000 * MS);
        }
        assert_eq!(b.ceiling(), 3000 * MS);
    }

    #[test]
    fn jitter_is_seeded_and_varies() {
        let run = |seed| {
            let mut b = Backoff::new(100 * MS, 100 * MS, seed);
            (0..8).map(|_| b.next_delay()).collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
        let v = run(1);
        assert!(v.iter().any(|d| *d != v[0]), "no jitter: {v:?}");
    }

    #[test]
    fn reset_returns_to_the_base_and_huge_attempts_do_not_overflow() {
        let mut b = Backoff::new(10 * MS, Duration::from_secs(60), 3);
        for _ in 0..200 {
            b.next_delay();
        }
        assert_eq!(b.ceiling(), Duration::from_secs(60));
        b.reset();
        assert_eq!(b.attempts(), 0);
        assert!(b.next_delay() <= 10 * MS);
    }
}
