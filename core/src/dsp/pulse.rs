//! Gate and trigger handling per Rack's voltage standards.

/// Schmitt trigger: goes high at >= 1 V, low at <= 0.1 V.
#[derive(Debug, Clone, Copy, Default)]
pub struct SchmittTrigger {
    high: bool,
}

impl SchmittTrigger {
    /// Feeds one sample; true on a rising edge.
    pub fn process(&mut self, volts: f32) -> bool {
        if self.high {
            if volts <= 0.1 {
                self.high = false;
            }
            false
        } else if volts >= 1.0 {
            self.high = true;
            true
        } else {
            false
        }
    }

    /// Whether the gate is currently high.
    pub fn is_high(&self) -> bool {
        self.high
    }
}

/// Most events a pulse train remembers; more arriving at once are dropped.
const MAX_PENDING: u32 = 16;

/// Turns counted events into 1 ms, 10 V triggers, one per event, separated by 1 ms low.
#[derive(Debug, Clone, Copy)]
pub struct PulseTrain {
    pending: u32,
    countdown: u32,
    high: bool,
    pulse_samples: u32,
}

impl PulseTrain {
    /// A quiet train at a sample rate.
    pub fn new(sample_rate: f32) -> PulseTrain {
        let mut p = PulseTrain {
            pending: 0,
            countdown: 0,
            high: false,
            pulse_samples: 48,
        };
        p.set_sample_rate(sample_rate);
        p
    }

    /// Recomputes the 1 ms pulse length.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.pulse_samples = ((sample_rate * 0.001).round() as u32).max(1);
    }

    /// Queues `n` triggers.
    pub fn add(&mut self, n: u32) {
        self.pending = self.pending.saturating_add(n).min(MAX_PENDING);
    }

    /// Drops queued triggers and goes low.
    pub fn reset(&mut self) {
        self.pending = 0;
        self.countdown = 0;
        self.high = false;
    }

    /// Nothing queued and low: `process` would return 0 V until the next `add`.
    pub fn is_idle(&self) -> bool {
        self.pending == 0 && self.countdown == 0 && !self.high
    }

    /// The next sample's voltage: 10 V or 0 V.
    pub fn process(&mut self) -> f32 {
        if self.countdown == 0 {
            if self.high {
                self.high = false;
                self.countdown = self.pulse_samples;
            } else if self.pending > 0 {
                self.pending -= 1;
                self.high = true;
                self.countdown = self.pulse_samples;
            }
        }
        self.countdown = self.countdown.saturating_sub(1);
        if self.high {
            10.0
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schmitt_has_hysteresis() {
        let mut s = SchmittTrigger::default();
        assert!(!s.process(0.9));
        assert!(s.process(1.0));
        assert!(!s.process(5.0));
        assert!(!s.process(0.5));
        assert!(s.is_high());
        assert!(!s.process(0.1));
        assert!(!s.is_high());
        assert!(s.process(2.0));
    }

    #[test]
    fn each_event_becomes_a_separate_1ms_pulse() {
        let mut p = PulseTrain::new(1000.0 * 10.0); // 10 samples per ms
        p.add(3);
        let out: Vec<f32> = (0..80).map(|_| p.process()).collect();
        let rising = out
            .windows(2)
            .filter(|w| w[0] == 0.0 && w[1] == 10.0)
            .count()
            + usize::from(out[0] == 10.0);
        assert_eq!(rising, 3);
        assert_eq!(out.iter().filter(|&&v| v == 10.0).count(), 30);
        assert!(out[60..].iter().all(|&v| v == 0.0));
        assert!(p.is_idle());
        p.add(1);
        assert!(!p.is_idle());
    }
}
