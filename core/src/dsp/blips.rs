//! A bank of decaying sine blips: the sound of etcd revisions.

use super::{sine_unit, soft_clip};
use crate::rng::Rng;

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
                // The phase stays within 0..1: it starts at 0 and wraps below 1.
                sum += sine_unit(v.phase) * v.amplitude;
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

/// Most ticks queued at once; more revisions in one burst are heard as this many.
const MAX_QUEUED_TICKS: u32 = 16;
/// Decay of one tick, seconds.
const TICK_DECAY_S: f32 = 0.012;

/// etcd's sound: a sine tick per revision around a pitch, jittered up to a semitone, with the
/// ticks of one burst spread evenly over a window so they do not pile up.
#[derive(Debug, Clone)]
pub struct RevisionTicks {
    blips: BlipBank,
    rng: Rng,
    to_start: u32,
    spacing: u32,
    countdown: u32,
}

impl RevisionTicks {
    /// Silent ticks with their own seeded jitter.
    pub fn new(sample_rate: f32, seed: u64) -> RevisionTicks {
        RevisionTicks {
            blips: BlipBank::new(sample_rate, TICK_DECAY_S),
            rng: Rng::new(seed),
            to_start: 0,
            spacing: 1,
            countdown: 0,
        }
    }

    /// Follows a new sample rate.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.blips.set_sample_rate(sample_rate, TICK_DECAY_S);
    }

    /// Silences everything and restarts the jitter from `seed`.
    pub fn reset(&mut self, seed: u64) {
        self.blips.reset();
        self.rng = Rng::new(seed);
        self.to_start = 0;
        self.countdown = 0;
    }

    /// Queues a tick per new revision, spread over `window` samples.
    pub fn add(&mut self, revisions: u64, window: u32) {
        if revisions == 0 {
            return;
        }
        let n = revisions.min(u64::from(MAX_QUEUED_TICKS)) as u32;
        self.to_start = (self.to_start + n).min(MAX_QUEUED_TICKS);
        self.spacing = (window / self.to_start.max(1)).max(1);
    }

    /// The next sample, ±5 V at full `level`; `tone` is V/oct around 880 Hz.
    pub fn process(&mut self, tone: f32, level: f32) -> f32 {
        if self.to_start > 0 {
            if self.countdown == 0 {
                self.to_start -= 1;
                self.countdown = self.spacing;
                // Pitch jitter: up to a semitone either way around the tone.
                let jitter = (self.rng.uniform() as f32 * 2.0 - 1.0) / 12.0;
                self.blips.trigger(880.0 * (tone + jitter).exp2(), 1.0);
            }
            self.countdown -= 1;
        }
        let sum = self.blips.process();
        // Silence skips the saturator's division (soft_clip(±0) is ±0).
        let clipped = if sum == 0.0 {
            sum
        } else {
            soft_clip(sum * 0.6)
        };
        clipped * 5.0 * level
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

    #[test]
    fn revision_ticks_sound_once_per_revision_and_are_seeded() {
        let run = |seed| {
            let mut t = RevisionTicks::new(48_000.0, seed);
            t.add(3, 300);
            (0..19_200)
                .map(|_| t.process(0.0, 1.0))
                .collect::<Vec<f32>>()
        };
        let a = run(5);
        assert_eq!(a, run(5));
        assert_ne!(a, run(6));
        // Three onsets 100 samples apart: each adds energy where the previous had decayed.
        let energy = |r: std::ops::Range<usize>| a[r].iter().map(|v| v * v).sum::<f32>();
        assert!(energy(0..100) > 1.0);
        assert!(energy(100..150) > energy(50..100));
        assert!(energy(200..250) > energy(150..200));
        assert!(energy(1_000..1_050) < energy(200..250));
        assert!(a[18_000..].iter().all(|v| v.abs() < 1e-3));
        let mut quiet = RevisionTicks::new(48_000.0, 1);
        quiet.add(0, 32);
        assert!((0..1000).all(|_| quiet.process(0.0, 1.0) == 0.0));
    }
}
