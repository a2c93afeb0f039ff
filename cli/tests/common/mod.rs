//! Shared test helpers: probe modules with their own descriptors, a WAV reader written
//! independently of the player's writer, and paths to the bundled patches.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use kuberack_core::{LoadError, Module, ProcessIo};
use kuberack_protocol::{at, knob, port, ModuleDescriptor, ModuleRole, SignalKind, MAX_CHANNELS};

/// A probe: one poly input, one poly output, a CHANNELS param.
pub static PROBE: ModuleDescriptor = ModuleDescriptor {
    slug: "Probe",
    name: "PROBE",
    description: "test probe",
    tags: &[],
    role: ModuleRole::Member,
    hp: 4,
    params: &[
        knob(
            "CHANNELS",
            "Channels",
            "output channels",
            0.0,
            16.0,
            1.0,
            "",
            at(0.0, 0.0),
        )
        .snapped(),
        knob(
            "GAIN",
            "Gain",
            "not snapped",
            -2.0,
            2.0,
            0.5,
            "",
            at(0.0, 0.0),
        ),
    ],
    inputs: &[port(
        "IN",
        "In",
        "in",
        SignalKind::BipolarCv,
        "V",
        16,
        at(0.0, 0.0),
    )],
    outputs: &[port(
        "OUT",
        "Out",
        "out",
        SignalKind::BipolarCv,
        "V",
        16,
        at(0.0, 0.0),
    )],
    lights: &[],
    settings: &[],
    status: None,
};

/// What a probe saw at each of its process calls: the input's channel count and voltages.
pub type Seen = Arc<Mutex<Vec<(usize, [f32; MAX_CHANNELS])>>>;

/// Writes `call number + channel * 100` on every output channel (the first call is 1),
/// sets CHANNELS output channels, and logs its input.
pub struct Probe {
    calls: u32,
    /// The input as seen at each call.
    pub seen: Seen,
    /// Value written on channel 0 instead of the counter, if set.
    pub constant: Option<f32>,
}

impl Probe {
    /// A probe and a handle on its log.
    pub fn counter() -> (Box<dyn Module>, Seen) {
        let seen: Seen = Arc::default();
        (
            Box::new(Probe {
                calls: 0,
                seen: Arc::clone(&seen),
                constant: None,
            }),
            seen,
        )
    }

    /// A probe writing a constant voltage on channel 0.
    pub fn constant(v: f32) -> (Box<dyn Module>, Seen) {
        let seen: Seen = Arc::default();
        (
            Box::new(Probe {
                calls: 0,
                seen: Arc::clone(&seen),
                constant: Some(v),
            }),
            seen,
        )
    }
}

impl Module for Probe {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &PROBE
    }
    fn set_sample_rate(&mut self, _sample_rate: f32) {}
    fn process(&mut self, io: &mut ProcessIo<'_>) {
        self.calls += 1;
        let mut input = [0.0; MAX_CHANNELS];
        for (c, v) in input.iter_mut().enumerate() {
            *v = io.inputs[c];
        }
        self.seen.lock().unwrap().push((io.channels(0), input));
        for c in 0..MAX_CHANNELS {
            io.set_output(0, c, self.calls as f32 + c as f32 * 100.0);
        }
        if let Some(v) = self.constant {
            io.set_output(0, 0, v);
        }
        io.set_channels(0, io.params[0] as usize);
    }
    fn reset(&mut self) {}
    fn save(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    fn load(&mut self, _state: &serde_json::Value) -> Result<(), LoadError> {
        Ok(())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A parsed WAV file.
#[derive(Debug)]
pub struct Wav {
    pub format_tag: u16,
    pub channels: u16,
    pub sample_rate: u32,
    pub byte_rate: u32,
    pub block_align: u16,
    pub bits: u16,
    pub fmt_size: u32,
    pub sub_format: Option<[u8; 16]>,
    pub fact_frames: Option<u32>,
    /// Interleaved samples.
    pub samples: Vec<f32>,
}

/// Parses a WAV file chunk by chunk, checking the RIFF size against the file length.
pub fn read_wav(bytes: &[u8]) -> Wav {
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(u32_at(4) as usize, bytes.len() - 8, "RIFF size");
    assert_eq!(&bytes[8..12], b"WAVE");
    let mut wav = Wav {
        format_tag: 0,
        channels: 0,
        sample_rate: 0,
        byte_rate: 0,
        block_align: 0,
        bits: 0,
        fmt_size: 0,
        sub_format: None,
        fact_frames: None,
        samples: Vec::new(),
    };
    let mut i = 12;
    let mut saw_data = false;
    while i + 8 <= bytes.len() {
        let id = &bytes[i..i + 4];
        let size = u32_at(i + 4) as usize;
        let body = i + 8;
        assert!(
            body + size <= bytes.len(),
            "chunk {:?} overruns the file",
            id
        );
        match id {
            b"fmt " => {
                wav.fmt_size = size as u32;
                wav.format_tag = u16_at(body);
                wav.channels = u16_at(body + 2);
                wav.sample_rate = u32_at(body + 4);
                wav.byte_rate = u32_at(body + 8);
                wav.block_align = u16_at(body + 12);
                wav.bits = u16_at(body + 14);
                if size >= 18 {
                    let cb = u16_at(body + 16) as usize;
                    assert_eq!(size, 18 + cb, "cbSize matches the fmt size");
                    if cb == 22 {
                        wav.sub_format = Some(bytes[body + 24..body + 40].try_into().unwrap());
                    }
                }
            }
            b"fact" => wav.fact_frames = Some(u32_at(body)),
            b"data" => {
                assert!(wav.channels > 0, "fmt before data");
                wav.samples = bytes[body..body + size]
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                    .collect();
                saw_data = true;
            }
            other => panic!("unexpected chunk {:?}", other),
        }
        i = body + size + (size & 1);
    }
    assert!(saw_data, "no data chunk");
    assert_eq!(i, bytes.len(), "trailing bytes");
    wav
}

/// The crate's directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A patch file loaded as it is saved, at 48 kHz.
pub fn load_at_48k(path: &std::path::Path) -> kuberack_cli::Loaded {
    let patch = kuberack_cli::patch::load_patch_file(path).unwrap();
    kuberack_cli::load(
        &patch,
        kuberack_cli::LoadOptions {
            sample_rate: 48_000.0,
            seed: None,
        },
    )
    .unwrap()
}

/// The bundled demo patch, packed.
pub fn demo_vcv() -> PathBuf {
    crate_dir().join("../patches/demo.vcv")
}

/// The bundled demo patch, readable.
pub fn demo_json() -> PathBuf {
    crate_dir().join("../patches/demo.patch.json")
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
