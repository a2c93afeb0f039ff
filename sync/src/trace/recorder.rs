//! Writing a cluster trace from the sync thread, and the switch a host starts and stops it
//! with while sync runs.

use super::format::{Header, Line, TraceKind, Verb};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Shared between a host (Rack's menu, `play --record-cluster`) and the sync thread: where
/// to record, and how recording goes. Never touched by the audio thread.
#[derive(Debug, Default)]
pub struct RecordControl {
    wanted: Mutex<Option<PathBuf>>,
    generation: AtomicU64,
    recording: AtomicBool,
    lines: AtomicU64,
    error: Mutex<String>,
    /// The request a sync thread last followed, and when its trace's time 0 was.
    followed: Mutex<(u64, Option<Instant>)>,
}

impl RecordControl {
    /// Asks the sync thread to record to `path` from now (a new file each time), or to stop
    /// recording (`None`). It follows within a poll period.
    pub fn record_to(&self, path: Option<PathBuf>) {
        *self.wanted.lock().unwrap_or_else(|e| e.into_inner()) = path;
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Counts the requests made; the sync thread compares it to the last one it followed.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Where recording is wanted (`None`: not wanted).
    pub fn wanted(&self) -> Option<PathBuf> {
        self.wanted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether a trace is being written now.
    pub fn is_recording(&self) -> bool {
        self.recording.load(Ordering::Acquire)
    }

    /// Lines written to the current (or last) trace, its header included.
    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::Acquire)
    }

    /// Why recording stopped by itself (the file could not be created or written), empty
    /// if it did not.
    pub fn last_error(&self) -> String {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Marks request `generation` as followed; true when no sync thread followed it before
    /// (a new file is due), false when an earlier thread did (its trace goes on).
    pub fn follow(&self, generation: u64) -> bool {
        let mut followed = self.followed.lock().unwrap_or_else(|e| e.into_inner());
        let new = followed.0 != generation || followed.1.is_none();
        followed.0 = generation;
        new
    }

    fn origin(&self, new: bool) -> Instant {
        let mut followed = self.followed.lock().unwrap_or_else(|e| e.into_inner());
        match followed.1 {
            Some(origin) if !new => origin,
            _ => *followed.1.insert(Instant::now()),
        }
    }

    fn fail(&self, text: String) {
        eprintln!("kuberack-sync: {text}");
        *self.error.lock().unwrap_or_else(|e| e.into_inner()) = text;
        self.recording.store(false, Ordering::Release);
    }
}

/// A trace being written: the header, then a line per change the mirror takes, each
/// flushed at once so a trace cut short loses at most its last line.
pub struct Recorder {
    out: Box<dyn Write + Send>,
    origin: Instant,
    control: Arc<RecordControl>,
}

impl Recorder {
    /// Creates (or truncates) `path` and writes the header, when `new`; else appends to the
    /// trace an earlier sync thread wrote there (SYNC turned off and on again), its time
    /// going on. The error says what failed, and is also kept in `control`.
    pub fn create(
        path: &std::path::Path,
        header: &Header,
        control: Arc<RecordControl>,
        new: bool,
    ) -> Result<Recorder, String> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(!new)
            .truncate(new)
            .open(path)
            .map_err(|e| {
                let text = format!("cannot record the cluster to {}: {e}", path.display());
                control.fail(text.clone());
                text
            })?;
        let out = Box::new(std::io::BufWriter::new(file));
        Recorder::start(out, new.then_some(header), control)
    }

    /// Records to `out`, writing the header now; time starts now.
    pub fn to_writer(
        out: Box<dyn Write + Send>,
        header: &Header,
        control: Arc<RecordControl>,
    ) -> Result<Recorder, String> {
        Recorder::start(out, Some(header), control)
    }

    fn start(
        out: Box<dyn Write + Send>,
        header: Option<&Header>,
        control: Arc<RecordControl>,
    ) -> Result<Recorder, String> {
        if header.is_some() {
            control.lines.store(0, Ordering::Release);
        }
        control
            .error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        control.recording.store(true, Ordering::Release);
        let mut recorder = Recorder {
            out,
            origin: control.origin(header.is_some()),
            control,
        };
        match header {
            Some(h) if !recorder.put(&serde_json::to_string(h).unwrap_or_default()) => {
                Err(recorder.control.last_error())
            }
            _ => Ok(recorder),
        }
    }

    /// Writes one line; false when writing failed (then recording has stopped, and the
    /// reason is in the control).
    pub fn write(
        &mut self,
        kind: TraceKind,
        verb: Verb,
        name: &str,
        object: Option<&Value>,
    ) -> bool {
        let t = (self.origin.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        let line = Line {
            t,
            kind: kind.name(),
            verb: verb.name(),
            name,
            object,
        };
        let line = serde_json::to_string(&line).unwrap_or_default();
        self.put(&line)
    }

    fn put(&mut self, line: &str) -> bool {
        let written = self
            .out
            .write_all(line.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .and_then(|()| self.out.flush());
        match written {
            Ok(()) => {
                self.control.lines.fetch_add(1, Ordering::AcqRel);
                true
            }
            Err(e) => {
                self.control
                    .fail(format!("recording the cluster stopped: cannot write: {e}"));
                false
            }
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.out.flush();
        self.control.recording.store(false, Ordering::Release);
    }
}
