//! Rack's cable semantics in the player's engine, checked with probe modules.

mod common;

use common::{Probe, Seen};
use kuberack_cli::Engine;
use kuberack_protocol::MAX_CHANNELS;

fn seen(s: &Seen) -> Vec<(usize, [f32; MAX_CHANNELS])> {
    s.lock().unwrap().clone()
}

/// Source (id 1) -> sink (id 2), added in the given order.
fn pair(source_first: bool) -> (Engine, Seen) {
    let mut e = Engine::new(48_000.0);
    let (src, _) = Probe::counter();
    let (sink, sink_seen) = Probe::counter();
    if source_first {
        e.add_module(1, src).unwrap();
        e.add_module(2, sink).unwrap();
    } else {
        e.add_module(2, sink).unwrap();
        e.add_module(1, src).unwrap();
    }
    e.connect(10, (1, 0), (2, 0)).unwrap();
    (e, sink_seen)
}

#[test]
fn a_cable_delays_by_one_sample_whatever_the_module_order() {
    for source_first in [true, false] {
        let (mut e, sink) = pair(source_first);
        for _ in 0..5 {
            e.step().unwrap();
        }
        let values: Vec<f32> = seen(&sink).iter().map(|(_, v)| v[0]).collect();
        // Frame n (from 1) sees what the source wrote in frame n - 1; frame 1 sees 0 V.
        assert_eq!(
            values,
            [0.0, 1.0, 2.0, 3.0, 4.0],
            "source first: {source_first}"
        );
        assert_eq!(e.frame(), 5);
    }
}

#[test]
fn a_freshly_cabled_input_has_one_channel_and_unpatched_inputs_none() {
    let (mut e, sink) = pair(true);
    let (lonely, lonely_seen) = Probe::counter();
    e.add_module(3, lonely).unwrap();
    e.step().unwrap();
    assert_eq!(seen(&sink)[0].0, 1);
    assert_eq!(seen(&lonely_seen)[0].0, 0);
    assert!(e.module(2).unwrap().input_connected(0));
    assert!(!e.module(3).unwrap().input_connected(0));
    assert_eq!(
        e.module(3).unwrap().output_channels(0),
        0,
        "uncabled output has no channels"
    );
}

#[test]
fn poly_channel_counts_and_voltages_cross_the_cable() {
    let (mut e, sink) = pair(true);
    e.module_mut(1).unwrap().set_param(0, 5.0);
    e.step().unwrap();
    e.step().unwrap();
    let (channels, v) = seen(&sink)[1];
    assert_eq!(channels, 5);
    assert_eq!(&v[..5], &[1.0, 101.0, 201.0, 301.0, 401.0]);
    assert!(
        v[5..].iter().all(|&x| x == 0.0),
        "channels above the count are cleared: {v:?}"
    );

    // Fewer channels: the higher ones are cleared on the input.
    e.module_mut(1).unwrap().set_param(0, 2.0);
    e.step().unwrap();
    e.step().unwrap();
    let (channels, v) = seen(&sink)[3];
    assert_eq!(channels, 2);
    assert_eq!(&v[..2], &[3.0, 103.0]);
    assert!(v[2..].iter().all(|&x| x == 0.0), "{v:?}");

    // Sixteen channels, the most Rack carries.
    e.module_mut(1).unwrap().set_param(0, 16.0);
    e.step().unwrap();
    e.step().unwrap();
    let (channels, v) = seen(&sink)[5];
    assert_eq!(channels, 16);
    assert_eq!(v[15], 5.0 + 1500.0);
}

#[test]
fn a_cabled_output_set_to_zero_channels_still_carries_one() {
    // Rack's Port::setChannels(0) on a connected port keeps one channel.
    let (mut e, sink) = pair(true);
    e.module_mut(1).unwrap().set_param(0, 0.0);
    e.step().unwrap();
    e.step().unwrap();
    let (channels, v) = seen(&sink)[1];
    assert_eq!(channels, 1);
    assert_eq!(v[0], 1.0);
    assert_eq!(e.module(1).unwrap().output_channels(0), 1);
}

#[test]
fn one_output_fans_out_to_several_inputs() {
    let mut e = Engine::new(48_000.0);
    let (src, _) = Probe::counter();
    let (a, a_seen) = Probe::counter();
    let (b, b_seen) = Probe::counter();
    e.add_module(1, src).unwrap();
    e.add_module(2, a).unwrap();
    e.add_module(3, b).unwrap();
    e.module_mut(1).unwrap().set_param(0, 3.0);
    e.connect(10, (1, 0), (2, 0)).unwrap();
    e.connect(11, (1, 0), (3, 0)).unwrap();
    for _ in 0..4 {
        e.step().unwrap();
    }
    assert_eq!(seen(&a_seen), seen(&b_seen));
    assert_eq!(seen(&a_seen)[3].0, 3);
    assert_eq!(seen(&a_seen)[3].1[..3], [3.0, 103.0, 203.0]);
}

#[test]
fn an_input_takes_one_cable_only() {
    let (mut e, _) = pair(true);
    let (other, _) = Probe::counter();
    e.add_module(3, other).unwrap();
    let err = e.connect(11, (3, 0), (2, 0)).unwrap_err().to_string();
    assert!(err.contains("already has cable 10"), "{err}");
    assert_eq!(e.cables().len(), 1);
}

#[test]
fn cables_to_missing_modules_or_ports_are_refused() {
    let (mut e, _) = pair(true);
    let err = e.connect(12, (9, 0), (1, 0)).unwrap_err().to_string();
    assert!(err.contains("output module 9 is not in the patch"), "{err}");
    let err = e.connect(12, (1, 3), (1, 0)).unwrap_err().to_string();
    assert!(err.contains("has no output 3"), "{err}");
    let err = e.connect(12, (2, 0), (1, 7)).unwrap_err().to_string();
    assert!(err.contains("has no input 7"), "{err}");
    let (dup, _) = Probe::counter();
    let err = e.add_module(1, dup).unwrap_err().to_string();
    assert!(err.contains("two modules have id 1"), "{err}");
}

#[test]
fn a_module_cabled_to_itself_hears_its_previous_sample() {
    let mut e = Engine::new(48_000.0);
    let (m, s) = Probe::counter();
    e.add_module(7, m).unwrap();
    e.connect(1, (7, 0), (7, 0)).unwrap();
    for _ in 0..3 {
        e.step().unwrap();
    }
    let values: Vec<f32> = seen(&s).iter().map(|(_, v)| v[0]).collect();
    assert_eq!(values, [0.0, 1.0, 2.0]);
}

#[test]
fn non_finite_voltages_arrive_as_zero() {
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut e = Engine::new(48_000.0);
        let (src, _) = Probe::constant(bad);
        let (sink, sink_seen) = Probe::counter();
        e.add_module(1, src).unwrap();
        e.add_module(2, sink).unwrap();
        e.connect(10, (1, 0), (2, 0)).unwrap();
        e.step().unwrap();
        e.step().unwrap();
        let v = seen(&sink_seen)[1].1[0];
        assert_eq!(v.to_bits(), 0.0f32.to_bits(), "{bad} arrived as {v}");
    }
}

#[test]
fn a_bypassed_module_is_not_processed_and_outputs_zero_volts() {
    let (mut e, sink) = pair(true);
    e.module_mut(1).unwrap().set_param(0, 4.0);
    for _ in 0..3 {
        e.step().unwrap();
    }
    e.module_mut(1).unwrap().set_bypassed(true);
    let bypassed_sink = {
        let (m, s) = Probe::counter();
        e.add_module(5, m).unwrap();
        e.module_mut(5).unwrap().set_bypassed(true);
        s
    };
    for _ in 0..3 {
        e.step().unwrap();
    }
    let log = seen(&sink);
    // Frame 3 carried frame 2's output; bypassing clears the outputs at once (as Rack's
    // Engine::bypassModule does), so from frame 4 on the cable carries 0 V on one channel.
    assert_eq!(log[2].0, 4);
    assert_eq!(log[2].1[0], 2.0);
    for (channels, v) in &log[3..] {
        assert_eq!(*channels, 1);
        assert!(v.iter().all(|&x| x == 0.0));
    }
    assert!(
        seen(&bypassed_sink).is_empty(),
        "a bypassed module is never processed"
    );

    // Un-bypassed, it runs again (its counter resumes where it stopped).
    e.module_mut(1).unwrap().set_bypassed(false);
    e.step().unwrap();
    e.step().unwrap();
    let log = seen(&sink);
    assert_eq!(log.last().unwrap().1[0], 4.0);
}

#[test]
fn params_are_clamped_snapped_and_nan_gives_the_default() {
    let (mut e, _) = pair(true);
    let m = e.module_mut(1).unwrap();
    assert_eq!(m.set_param(0, 40.0), Some(16.0));
    assert_eq!(m.set_param(0, -3.0), Some(0.0));
    assert_eq!(m.set_param(0, 2.6), Some(3.0), "a snapped param rounds");
    assert_eq!(m.set_param(0, f64::NAN), Some(1.0));
    assert_eq!(
        m.set_param(1, 0.25),
        Some(0.25),
        "an unsnapped param keeps fractions"
    );
    assert_eq!(m.set_param(1, f64::INFINITY), Some(2.0));
    assert_eq!(m.set_param(1, f64::NAN), Some(0.5));
    assert_eq!(m.set_param(2, 1.0), None, "no such param");
    assert_eq!(m.params(), &[1.0, 0.5]);
}

/// Panics on its third process call.
struct Faulty(u32);

impl kuberack_core::Module for Faulty {
    fn descriptor(&self) -> &'static kuberack_protocol::ModuleDescriptor {
        &common::PROBE
    }
    fn set_sample_rate(&mut self, _: f32) {}
    fn process(&mut self, io: &mut kuberack_core::ProcessIo<'_>) {
        self.0 += 1;
        assert!(self.0 != 3, "faulty probe gave up");
        io.set_mono(0, 7.0);
    }
    fn reset(&mut self) {}
    fn save(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    fn load(&mut self, _: &serde_json::Value) -> Result<(), kuberack_core::LoadError> {
        Ok(())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[test]
fn a_panicking_module_is_reported_and_silenced_while_the_rest_plays_on() {
    let mut e = Engine::new(48_000.0);
    e.add_module(1, Box::new(Faulty(0))).unwrap();
    let (sink, sink_seen) = Probe::counter();
    e.add_module(2, sink).unwrap();
    e.connect(10, (1, 0), (2, 0)).unwrap();
    e.step().unwrap();
    e.step().unwrap();
    let fault = e.step().unwrap_err();
    assert_eq!((fault.module_id, fault.frame), (1, 2));
    assert!(fault.message.contains("faulty probe gave up"), "{fault:?}");
    assert!(e.module(1).unwrap().faulted());
    e.step().unwrap();
    e.step().unwrap();
    let values: Vec<f32> = seen(&sink_seen).iter().map(|(_, v)| v[0]).collect();
    assert_eq!(values, [0.0, 7.0, 7.0, 0.0, 0.0]);
}
