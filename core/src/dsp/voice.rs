//! The NODE load voice: a drone whose brightness and loudness follow utilisation.

use super::{sine_turns, soft_clip, Smoother};

/// Two slightly detuned sines through a drive that grows with load.
#[derive(Debug, Clone, Copy)]
pub struct LoadVoice {
    phase: f32,
    phase_detuned: f32,
    load: Smoother,
    level: Smoother,
    sample_rate: f32,
}

impl LoadVoice {
    /// A silent voice.
    pub fn new(sample_rate: f32) -> LoadVoice {
        LoadVoice {
            phase: 0.0,
            phase_detuned: 0.25,
            load: Smoother::new(0.05, sample_rate),
            level: Smoother::new(0.05, sample_rate),
            sample_rate,
        }
    }

    /// Recomputes smoothing for a sample rate.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.sample_rate = sample_rate.max(1.0);
        self.load.set_time(0.05, self.sample_rate);
        self.level.set_time(0.05, self.sample_rate);
    }

    /// Silences the voice at once.
    pub fn reset(&mut self) {
        self.load.reset(0.0);
        self.level.reset(0.0);
        self.phase = 0.0;
        self.phase_detuned = 0.25;
    }

    /// The next sample in volts (±5 V). `load` is 0..1; `active` says whether nodes exist.
    pub fn process(&mut self, frequency_hz: f32, load: f32, active: bool) -> f32 {
        let load = self.load.next(load.clamp(0.0, 1.0));
        let level = self.level.next(if active { 1.0 } else { 0.0 });
        let inc = (frequency_hz / self.sample_rate).clamp(0.0, 0.45);
        self.phase = (self.phase + inc).fract();
        // Detuning widens with load: a busy node beats faster.
        self.phase_detuned =
            (self.phase_detuned + inc * (1.0 + 0.004 * (1.0 + 4.0 * load))).fract();
        let x = sine_turns(self.phase) + 0.6 * sine_turns(self.phase_detuned);
        let drive = 0.4 + 2.2 * load;
        let y = soft_clip(x * drive) / soft_clip(1.6 * drive);
        5.0 * level * (0.2 + 0.8 * load) * y.clamp(-1.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rms_and_peak(load: f32) -> (f32, f32) {
        let mut v = LoadVoice::new(48_000.0);
        for _ in 0..48_000 {
            v.process(110.0, load, true);
        }
        let xs: Vec<f32> = (0..4800).map(|_| v.process(110.0, load, true)).collect();
        let rms = (xs.iter().map(|x| x * x).sum::<f32>() / xs.len() as f32).sqrt();
        (rms, xs.iter().fold(0.0f32, |m, x| m.max(x.abs())))
    }

    #[test]
    fn louder_under_load_and_within_audio_range() {
        let (idle, idle_peak) = rms_and_peak(0.0);
        let (busy, busy_peak) = rms_and_peak(1.0);
        assert!(busy > idle * 2.0, "{idle} {busy}");
        assert!(idle_peak <= 5.0 && busy_peak <= 5.0);
        let mut v = LoadVoice::new(48_000.0);
        for _ in 0..48_000 {
            v.process(110.0, 1.0, false);
        }
        assert!(v.process(110.0, 1.0, false).abs() < 1e-3);
    }
}
