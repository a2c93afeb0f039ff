//! A bank of decaying sine blips: the sound of etcd revisions.

use super::sine_turns;

const VOICES: usize = 8;

#[derive(Debug, Clone, Copy, Default)]
struct Blip {
    phase: f32,
    increment: f32,
    amplitude: f32,
}

/// Up to eight overlapping sine blips with an exponential decay.
#[derive(Debug, Clone)]
pub struct BlipBank {
    voices: [Blip; VOICES],
    next: usize,
    decay: f32,
    sample_rate: f32,
}

impl BlipBank {
    /// A silent bank; each blip decays by 1/e in `decay_s` seconds.
    pub fn new(sample_rate: f32, decay_s: f32) -> BlipBank {
        let mut b = BlipBank {
            voices: [Blip::default(); VOICES],
            next: 0,
            decay: 0.0,
            sample_rate,
        };
        b.set_sample_rate(sample_rate, decay_s);
        b
    }

    /// Recomputes the decay for a sample rate.
    pub fn set_sample_rate(&mut self, sample_rate: f32, decay_s: f32) {
        self.sample_rate = sample_rate.max(1.0);
        self.decay = (-1.0 / (decay_s * self.sample_rate).max(1.0)).exp();
    }

    /// Starts a blip, stealing the oldest voice.
    pub fn trigger(&mut self, frequency_hz: f32, amplitude: f32) {
        let increment = (frequency_hz / self.sample_rate).clamp(0.0, 0.49);
        self.voices[self.next] = Blip {
            phase: 0.0,
            increment,
            amplitude,
        };
        self.next = (self.next + 1) % VOICES;
    }

    /// Silences every voice.
    pub fn reset(&mut self) {
        self.voices = [Blip::default(); VOICES];
    }

    /// The next sample (sum of the active voices).
    pub fn process(&mut self) -> f32 {
        let mut sum = 0.0;
        for v in &mut self.voices {
            if v.amplitude > 1e-4 {
                sum += sine_turns(v.phase) * v.amplitude;
                v.phase += v.increment;
                if v.phase >= 1.0 {
                    v.phase -= 1.0;
                }
                v.amplitude *= self.decay;
            } else {
                v.amplitude = 0.0;
            }
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blip_sounds_then_decays_to_silence() {
        let mut b = BlipBank::new(48_000.0, 0.01);
        b.trigger(880.0, 1.0);
        let first: f32 = (0..480).map(|_| b.process().abs()).fold(0.0, f32::max);
        assert!(first > 0.5, "{first}");
        for _ in 0..48_000 {
            b.process();
        }
        assert_eq!(b.process(), 0.0);
    }
}
