//! `kuberack play`: loads a patch, renders it for a number of seconds and writes the chosen
//! outputs as WAV, the hubs' events as JSON lines, and a summary.

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::PathBuf;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::events::{EventDrain, HubTrace, DRAIN_INTERVAL};
use crate::live::{LiveSession, SyncOptions};
use crate::load::{load, LoadOptions};
use crate::patch::load_patch_file;
use crate::progress::{Progress, UPDATE_INTERVAL};
use crate::record::{resolve, RecordSpec, Tap};
use crate::replay::ReplaySession;
use crate::summary::Summary;
use crate::wav::WavWriter;

/// Lowest and highest sample rates the player accepts (Hz).
pub const SAMPLE_RATES: std::ops::RangeInclusive<u32> = 1_000..=768_000;

/// What `kuberack play` was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayOptions {
    /// The patch file.
    pub patch: PathBuf,
    /// Seconds to render (engine time).
    pub seconds: f64,
    /// Sample rate (Hz).
    pub sample_rate: u32,
    /// Seed for every module, overriding the patch's.
    pub seed: Option<u64>,
    /// WAV file to write.
    pub wav: Option<PathBuf>,
    /// Outputs to record, one WAV channel each.
    pub records: Vec<RecordSpec>,
    /// JSON-lines event trace to write.
    pub events: Option<PathBuf>,
    /// Whether to show a progress bar (only ever on a terminal).
    pub progress: bool,
    /// Live-cluster sync (then the render runs in real time).
    pub sync: Option<SyncOptions>,
    /// A cluster trace the hubs hear instead of a live cluster (not with `sync`).
    pub replay: Option<PathBuf>,
}

/// Where a render's per-frame output goes.
pub struct Sinks<'a> {
    /// Outputs sampled every frame, one WAV channel each.
    pub taps: &'a [Tap],
    /// The WAV, if one is written.
    pub wav: Option<&'a mut dyn FrameSink>,
    /// The event trace, if one is written.
    pub events: Option<&'a mut dyn Write>,
    /// Live sync is on (or a trace is replayed): the trace also holds the real cluster's
    /// events, every line its source.
    pub live: bool,
    /// A cluster trace fed to the hubs every [`DRAIN_INTERVAL`] frames.
    pub replay: Option<&'a mut ReplaySession>,
}

/// Takes one frame of samples (a WAV writer).
pub trait FrameSink {
    /// Appends one frame.
    fn write_frame(&mut self, samples: &[f32]) -> io::Result<()>;
}

impl<W: Write + Seek> FrameSink for WavWriter<W> {
    fn write_frame(&mut self, samples: &[f32]) -> io::Result<()> {
        WavWriter::write_frame(self, samples)
    }
}

/// Why a render stopped early.
#[derive(Debug)]
pub enum RenderError {
    /// Writing the WAV failed.
    Wav(io::Error),
    /// Writing the event trace failed.
    Events(io::Error),
    /// A module panicked.
    Fault(crate::engine::Fault),
}

/// Steps the engine `frames` times, sampling the taps every frame and draining the hubs'
/// events every [`DRAIN_INTERVAL`] frames and at the end. Returns what each hub produced.
pub fn render(
    engine: &mut Engine,
    frames: u64,
    mut sinks: Sinks<'_>,
    on_progress: &mut dyn FnMut(u64),
) -> std::result::Result<Vec<HubTrace>, RenderError> {
    let mut drain = EventDrain::new(engine, sinks.live);
    let mut frame = vec![0.0f32; sinks.taps.len()];
    for n in 1..=frames {
        if (n - 1) % DRAIN_INTERVAL == 0 {
            if let Some(replay) = sinks.replay.as_deref_mut() {
                replay.feed();
            }
        }
        engine.step().map_err(RenderError::Fault)?;
        if let Some(wav) = sinks.wav.as_deref_mut() {
            for (slot, tap) in frame.iter_mut().zip(sinks.taps) {
                *slot = tap.sample(engine);
            }
            wav.write_frame(&frame).map_err(RenderError::Wav)?;
        }
        if n % DRAIN_INTERVAL == 0 {
            drain
                .drain(engine, sinks.events.as_deref_mut())
                .map_err(RenderError::Events)?;
        }
        if n % UPDATE_INTERVAL == 0 {
            on_progress(n);
        }
    }
    drain
        .drain(engine, sinks.events.as_deref_mut())
        .map_err(RenderError::Events)?;
    Ok(drain.hubs().to_vec())
}

/// Runs `kuberack play`. Warnings about the patch go to `warn` before rendering starts.
pub fn play(options: &PlayOptions, warn: &mut dyn FnMut(&str)) -> Result<Summary> {
    if !SAMPLE_RATES.contains(&options.sample_rate) {
        return Err(Error::usage(format!(
            "--sample-rate must be between {} and {} Hz, not {}",
            SAMPLE_RATES.start(),
            SAMPLE_RATES.end(),
            options.sample_rate
        )));
    }
    if !(options.seconds.is_finite() && options.seconds >= 0.0) {
        return Err(Error::usage(format!(
            "--seconds must be a number of seconds, 0 or more, not {}",
            options.seconds
        )));
    }
    match (&options.wav, options.records.is_empty()) {
        (Some(_), true) => {
            return Err(Error::usage(
                "--wav needs at least one --record MODULE_ID:OUTPUT to say what to record",
            ))
        }
        (None, false) => {
            return Err(Error::usage(
                "--record needs --wav OUT.wav to say where to write the recording",
            ))
        }
        _ => {}
    }

    if let Some(trace) = &options.replay {
        let canonical = trace.canonicalize().ok();
        let same = |out: &Option<PathBuf>| {
            out.as_ref().is_some_and(|out| {
                out == trace || (canonical.is_some() && out.canonicalize().ok() == canonical)
            })
        };
        if same(&options.events) || same(&options.wav) {
            return Err(Error::usage(format!(
                "--replay {}: the trace would be overwritten by an output",
                trace.display()
            )));
        }
    }
    let patch = load_patch_file(&options.patch)?;
    let mut loaded = load(
        &patch,
        LoadOptions {
            sample_rate: options.sample_rate as f32,
            seed: options.seed,
        },
    )?;
    for w in &loaded.warnings {
        warn(w);
    }
    let taps = options
        .records
        .iter()
        .map(|r| resolve(r, &loaded.engine, &loaded.skipped))
        .collect::<Result<Vec<Tap>>>()?;
    let frames = (options.seconds * f64::from(options.sample_rate)).round() as u64;

    let mut wav = match &options.wav {
        Some(path) => {
            let file = File::create(path).map_err(|e| Error::io("cannot create", path, e))?;
            let channels =
                u16::try_from(taps.len()).map_err(|_| Error::usage("too many --record options"))?;
            let w = WavWriter::new(BufWriter::new(file), channels, options.sample_rate)
                .map_err(|e| Error::io("cannot write", path, e))?;
            Some(w)
        }
        None => None,
    };
    let mut events = match &options.events {
        Some(path) => {
            let file = File::create(path).map_err(|e| Error::io("cannot create", path, e))?;
            Some(BufWriter::new(file))
        }
        None => None,
    };

    let mut live = match &options.sync {
        Some(sync) => Some(LiveSession::start(&mut loaded.engine, sync)?),
        None => None,
    };
    let mut replay = match &options.replay {
        Some(path) => {
            let (session, warnings) = ReplaySession::start(&mut loaded.engine, path)?;
            for w in &warnings {
                warn(w);
            }
            Some(session)
        }
        None => None,
    };
    let progress = Progress::new(frames, options.sample_rate, options.progress);
    let result = render(
        &mut loaded.engine,
        frames,
        Sinks {
            taps: &taps,
            wav: wav.as_mut().map(|w| w as &mut dyn FrameSink),
            events: events.as_mut().map(|w| w as &mut dyn Write),
            live: live.is_some() || replay.is_some(),
            replay: replay.as_mut(),
        },
        &mut |n| {
            progress.update(n);
            if let Some(live) = live.as_mut() {
                live.pace(n);
            }
        },
    );
    progress.finish();
    let live_reports = live.map(LiveSession::finish).unwrap_or_default();
    let replay_report = replay.map(ReplaySession::finish);
    let wav_path = || options.wav.clone().unwrap_or_default();
    let events_path = || options.events.clone().unwrap_or_default();
    let traces = result.map_err(|e| match e {
        RenderError::Wav(e) => Error::io("cannot write", wav_path(), e),
        RenderError::Events(e) => Error::io("cannot write", events_path(), e),
        RenderError::Fault(f) => {
            let name = loaded
                .engine
                .module(f.module_id)
                .map_or("?", |m| m.descriptor().name);
            Error::Fault(format!(
                "module {} ({name}) panicked at sample {}: {}",
                f.module_id, f.frame, f.message
            ))
        }
    })?;

    if let Some(w) = wav {
        let mut out = w
            .finish()
            .map_err(|e| Error::io("cannot write", wav_path(), e))?;
        out.flush()
            .map_err(|e| Error::io("cannot write", wav_path(), e))?;
    }
    if let Some(mut e) = events {
        e.flush()
            .map_err(|e| Error::io("cannot write", events_path(), e))?;
    }

    let mut summary = Summary::collect(&loaded.engine, &traces, options.sample_rate);
    summary.seed = options.seed;
    summary.skipped = loaded.skipped.clone();
    summary.wav = options
        .wav
        .clone()
        .map(|p| (p, taps.iter().map(|t| t.label.clone()).collect()));
    summary.events = options.events.clone();
    summary.live = live_reports;
    summary.replay = replay_report;
    Ok(summary)
}
