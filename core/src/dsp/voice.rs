//! The NODE load voice: a drone whose brightness and loudness follow utilisation.

use super::{advance_phase, sine_unit, soft_clip, Smoother};

/// Two slightly detuned sines through a drive that grows with load, rendered at half the
/// host's sample rate and interpolated linearly back up (one sample later): half the work
/// per sample, the same drone (its harmonics lie far below the half rate's Nyquist).
///
/// A rendered sample costs two parabolic sines and two divisions: the phase increment is
/// recomputed only when the frequency changes, the saturator's normalisation only when the
/// smoothed load does (both exactly as if computed every time).
#[derive(Debug, Clone, Copy)]
pub struct LoadVoice {
    phase: f32,
    phase_detuned: f32,
    load: Smoother,
    level: Smoother,
    /// The rendering rate: half the host's.
    sample_rate: f32,
    /// The frequency (bits) `increment` was computed for.
    frequency_bits: u32,
    increment: f32,
    /// The smoothed load (bits) `drive` and `normalisation` were computed for.
    load_bits: u32,
    drive: f32,
    normalisation: f32,
    /// The latest rendered sample.
    rendered: f32,
    /// The next host sample is the second of a pair (it plays `rendered` itself).
    second: bool,
}

impl LoadVoice {
    /// A silent voice for a host running at `sample_rate`.
    pub fn new(sample_rate: f32) -> LoadVoice {
        let rate = (sample_rate * 0.5).max(1.0);
        LoadVoice {
            phase: 0.0,
            phase_detuned: 0.25,
            load: Smoother::new(0.05, rate),
            level: Smoother::new(0.05, rate),
            sample_rate: rate,
            // What a NaN frequency and load would give, so that the caches are exact for
            // every input from the first sample.
            frequency_bits: f32::NAN.to_bits(),
            increment: f32::NAN,
            load_bits: f32::NAN.to_bits(),
            drive: f32::NAN,
            normalisation: f32::NAN,
            rendered: 0.0,
            second: false,
        }
    }

    /// Recomputes smoothing for the host's sample rate.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.sample_rate = (sample_rate * 0.5).max(1.0);
        self.load.set_time(0.05, self.sample_rate);
        self.level.set_time(0.05, self.sample_rate);
        (self.frequency_bits, self.increment) = (f32::NAN.to_bits(), f32::NAN);
    }

    /// Silences the voice at once.
    pub fn reset(&mut self) {
        self.load.reset(0.0);
        self.level.reset(0.0);
        self.phase = 0.0;
        self.phase_detuned = 0.25;
        self.rendered = 0.0;
        self.second = false;
    }

    /// The next host sample in volts (±5 V). `load` is 0..1; `active` says whether nodes
    /// exist. Read on the first sample of each pair.
    #[inline]
    pub fn process(&mut self, frequency_hz: f32, load: f32, active: bool) -> f32 {
        self.second = !self.second;
        if !self.second {
            return self.rendered;
        }
        let previous = self.rendered;
        self.rendered = self.render(frequency_hz, load, active);
        0.5 * (previous + self.rendered)
    }

    /// One sample at the rendering rate.
    fn render(&mut self, frequency_hz: f32, load: f32, active: bool) -> f32 {
        let load = self.load.next(load.clamp(0.0, 1.0));
        let level = self.level.next(if active { 1.0 } else { 0.0 });
        if frequency_hz.to_bits() != self.frequency_bits {
            self.frequency_bits = frequency_hz.to_bits();
            self.increment = (frequency_hz / self.sample_rate).clamp(0.0, 0.45);
        }
        if load.to_bits() != self.load_bits {
            self.load_bits = load.to_bits();
            self.drive = 0.4 + 2.2 * load;
            self.normalisation = soft_clip(1.6 * self.drive);
        }
        let inc = self.increment;
        // Both phases stay within 0..1: the increments are below 0.46.
        self.phase = advance_phase(self.phase, inc);
        // Detuning widens with load: a busy node beats faster.
        self.phase_detuned =
            advance_phase(self.phase_detuned, inc * (1.0 + 0.004 * (1.0 + 4.0 * load)));
        let x = sine_unit(self.phase) + 0.6 * sine_unit(self.phase_detuned);
        let y = soft_clip(x * self.drive) / self.normalisation;
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

    /// The voice as first written, computing everything every sample.
    fn reference(
        state: &mut (f32, f32, Smoother, Smoother),
        sample_rate: f32,
        frequency_hz: f32,
        load: f32,
        active: bool,
    ) -> f32 {
        let (phase, detuned, load_s, level_s) = state;
        let load = load_s.next(load.clamp(0.0, 1.0));
        let level = level_s.next(if active { 1.0 } else { 0.0 });
        let inc = (frequency_hz / sample_rate).clamp(0.0, 0.45);
        *phase = (*phase + inc).fract();
        *detuned = (*detuned + inc * (1.0 + 0.004 * (1.0 + 4.0 * load))).fract();
        let x = super::super::sine_turns(*phase) + 0.6 * super::super::sine_turns(*detuned);
        let drive = 0.4 + 2.2 * load;
        let y = soft_clip(x * drive) / soft_clip(1.6 * drive);
        5.0 * level * (0.2 + 0.8 * load) * y.clamp(-1.0, 1.0)
    }

    #[test]
    fn cached_increments_render_exactly_as_computing_them_every_sample() {
        let host = 44_100.0;
        let rate = host * 0.5;
        let mut v = LoadVoice::new(48_000.0);
        v.set_sample_rate(host);
        let mut r = (
            0.0,
            0.25,
            Smoother::new(0.05, rate),
            Smoother::new(0.05, rate),
        );
        for i in 0..200_000u32 {
            // Pitch and load steps, nodes coming and going, a pitch beyond the clamp.
            let f = [110.0, 220.0, 55.0, 30_000.0][(i / 9_000) as usize % 4];
            let load = [0.0, 0.7, 1.0, 0.3, 2.0][(i / 5_000) as usize % 5];
            let active = (i / 30_000) % 3 != 2;
            let want = reference(&mut r, rate, f, load, active);
            assert_eq!(v.render(f, load, active).to_bits(), want.to_bits(), "{i}");
        }
    }

    #[test]
    fn the_host_hears_the_half_rate_render_interpolated_one_sample_late() {
        let mut v = LoadVoice::new(48_000.0);
        let mut r = LoadVoice::new(48_000.0);
        let mut previous = 0.0;
        for m in 0..20_000u32 {
            let load = if m < 10_000 { 0.2 } else { 0.9 };
            let rendered = r.render(220.0, load, true);
            let first = v.process(220.0, load, true);
            assert_eq!(first.to_bits(), (0.5 * (previous + rendered)).to_bits());
            // The second sample of the pair plays the rendered one, whatever the inputs.
            assert_eq!(v.process(880.0, 0.0, false).to_bits(), rendered.to_bits());
            previous = rendered;
        }
    }

    #[test]
    fn the_drone_keeps_its_pitch_and_loudness_at_the_half_rate() {
        // Against the voice rendered at the full rate (the reference, as first written).
        let rate = 48_000.0;
        let mut full = (
            0.0,
            0.25,
            Smoother::new(0.05, rate),
            Smoother::new(0.05, rate),
        );
        let mut v = LoadVoice::new(rate);
        for (frequency, load) in [(110.0, 0.0), (110.0, 1.0), (880.0, 0.6), (55.0, 0.3)] {
            let a: Vec<f32> = (0..96_000)
                .map(|_| reference(&mut full, rate, frequency, load, true))
                .collect();
            let b: Vec<f32> = (0..96_000)
                .map(|_| v.process(frequency, load, true))
                .collect();
            let (a, b) = (&a[48_000..], &b[48_000..]);
            let rms = |x: &[f32]| (x.iter().map(|s| s * s).sum::<f32>() / x.len() as f32).sqrt();
            let crossings = |x: &[f32]| x.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
            let (ra, rb) = (rms(a), rms(b));
            assert!(
                (ra - rb).abs() < 0.03 * ra,
                "{frequency} Hz, load {load}: rms {ra} {rb}"
            );
            let (ca, cb) = (crossings(a) as i64, crossings(b) as i64);
            assert!(
                (ca - cb).abs() <= 2,
                "{frequency} Hz, load {load}: {ca} {cb} cycles"
            );
        }
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
