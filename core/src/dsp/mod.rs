//! DSP building blocks shared by the modules: gate detection, trigger pulses, smoothing,
//! and the voices that sonify the world. Nothing here allocates.

mod blips;
mod pulse;
mod voice;

pub use blips::{BlipBank, RevisionTicks};
pub use pulse::{PulseTrain, SchmittTrigger};
pub use voice::LoadVoice;

/// A one-pole low-pass for de-zippering control values.
#[derive(Debug, Clone, Copy)]
pub struct Smoother {
    value: f32,
    coeff: f32,
}

impl Smoother {
    /// A smoother at 0 with the given time constant.
    pub fn new(time_constant_s: f32, sample_rate: f32) -> Smoother {
        let mut s = Smoother {
            value: 0.0,
            coeff: 1.0,
        };
        s.set_time(time_constant_s, sample_rate);
        s
    }

    /// Changes the time constant.
    pub fn set_time(&mut self, time_constant_s: f32, sample_rate: f32) {
        let samples = (time_constant_s * sample_rate).max(1.0);
        self.coeff = 1.0 - (-1.0 / samples).exp();
    }

    /// Moves towards `target` by one sample.
    pub fn next(&mut self, target: f32) -> f32 {
        self.value += (target - self.value) * self.coeff;
        self.value
    }

    /// Current value.
    pub fn value(&self) -> f32 {
        self.value
    }

    /// Jumps to a value.
    pub fn reset(&mut self, value: f32) {
        self.value = value;
    }
}

/// sin(2π·phase) for a phase in turns (any finite value), within 0.001 of the true sine:
/// a parabola refined once. Pure arithmetic, so bit-identical everywhere and cheap per sample.
pub fn sine_turns(phase: f32) -> f32 {
    sine_unit(phase - phase.floor())
}

/// [`sine_turns`] for a phase already within `0..1` (exactly equal there): no `floor`, which
/// is a libm call on Rack's baseline x86-64, for oscillators that keep their phase wrapped.
#[inline]
pub fn sine_unit(phase: f32) -> f32 {
    // x in [-1, 1): sin(2π·phase) = -sin(π·x).
    let x = 2.0 * phase - 1.0;
    let y = 4.0 * x * (1.0 - x.abs());
    -(0.225 * (y * y.abs() - y) + y)
}

/// `phase + increment` wrapped into `0..1`, for a phase within `0..1` and an increment within
/// `0..1`: exactly `(phase + increment).fract()` there, without its libm call.
#[inline]
pub fn advance_phase(phase: f32, increment: f32) -> f32 {
    let next = phase + increment;
    if next >= 1.0 {
        next - 1.0
    } else {
        next
    }
}

/// A cheap, smooth saturator: tanh-like, exactly ±1 beyond ±3.
pub fn soft_clip(x: f32) -> f32 {
    if x >= 3.0 {
        1.0
    } else if x <= -3.0 {
        -1.0
    } else {
        x * (27.0 + x * x) / (27.0 + 9.0 * x * x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_turns_is_close_to_the_true_sine() {
        for i in 0..=10_000 {
            let phase = i as f32 / 10_000.0 * 3.0 - 1.0;
            let want = (phase * std::f32::consts::TAU).sin();
            assert!((sine_turns(phase) - want).abs() < 1.2e-3, "{phase}");
        }
    }

    #[test]
    fn the_unit_sine_and_phase_step_equal_the_general_ones_bit_for_bit() {
        let mut phase = 0.0_f32;
        for i in 0..200_000 {
            let inc = (i % 997) as f32 / 997.0 * 0.459;
            assert_eq!(sine_unit(phase).to_bits(), sine_turns(phase).to_bits());
            let next = advance_phase(phase, inc);
            assert_eq!(
                next.to_bits(),
                (phase + inc).fract().to_bits(),
                "{phase} {inc}"
            );
            assert!((0.0..1.0).contains(&next));
            phase = next;
        }
    }

    #[test]
    fn smoother_converges_and_soft_clip_is_bounded_and_monotonic() {
        let mut s = Smoother::new(0.01, 48_000.0);
        for _ in 0..48_000 {
            s.next(1.0);
        }
        assert!((s.value() - 1.0).abs() < 1e-4);
        let mut last = -2.0;
        for i in -100..=100 {
            let y = soft_clip(i as f32 * 0.05);
            assert!((-1.0..=1.0).contains(&y));
            assert!(y >= last);
            last = y;
        }
    }
}
