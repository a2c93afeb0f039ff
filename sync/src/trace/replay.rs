//! Reading a cluster trace and feeding it to a hub as if a live sync heard it: the same
//! mirror state machine, driven by the hub's simulated time instead of a watch.

use super::format::{Header, RawLine, TraceKind, Verb, FORMAT, VERSION};
use crate::mirror_state::{MirrorState, PoolSelectors, Seen, MAX_EVENTS_PER_CHANGE};
use k8s_openapi::api::core::v1::{Node, Pod};
use kuberack_core::live::SyncEnd;
use serde_json::Value;
use std::io::BufRead;
use std::sync::Arc;

/// Lines of a trace that were left out, and the first of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    /// How many.
    pub lines: u64,
    /// The first one's line number (1-based) and why, if any.
    pub first: Option<(usize, String)>,
}

impl Skipped {
    fn count(&mut self, line: usize, why: impl FnOnce() -> String) {
        self.lines += 1;
        if self.first.is_none() {
            self.first = Some((line, why()));
        }
    }
}

#[derive(Debug)]
enum Object {
    Pod(Box<Pod>),
    Node(Box<Node>),
    Workload(Value),
    None,
}

#[derive(Debug)]
struct Entry {
    t: f64,
    kind: TraceKind,
    verb: Verb,
    name: String,
    object: Object,
}

/// A trace read into memory: its header and its good lines. Corrupt or truncated lines are
/// skipped and counted, lines of kinds (or verbs) this version does not know are ignored
/// and counted; nothing else is lost.
#[derive(Debug)]
pub struct Trace {
    /// The header.
    pub header: Header,
    entries: Vec<Entry>,
    /// Lines that are not a valid trace line (bad JSON, a truncated last line, a missing
    /// name or object, an object that is not of its kind, a bad time).
    pub corrupt: Skipped,
    /// Lines of kinds or verbs unknown to this version.
    pub unknown: Skipped,
}

impl Trace {
    /// Reads the trace at `path`.
    pub fn open(path: &std::path::Path) -> Result<Trace, String> {
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot read trace {}: {e}", path.display()))?;
        Trace::read(std::io::BufReader::new(file))
            .map_err(|e| format!("trace {}: {e}", path.display()))
    }

    /// Reads a trace. Fails only when the first line is not a KubeRack cluster trace
    /// header of a version this build reads, or reading fails.
    pub fn read(mut reader: impl BufRead) -> Result<Trace, String> {
        let mut trace: Option<Trace> = None;
        let mut buf = Vec::new();
        let mut number = 0;
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| format!("cannot read: {e}"))?;
            if n == 0 {
                break;
            }
            number += 1;
            let text = String::from_utf8_lossy(&buf);
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            match &mut trace {
                None => trace = Some(Trace::new(parse_header(text)?)),
                Some(t) => t.take_line(number, text),
            }
        }
        trace.ok_or_else(|| "empty: not a KubeRack cluster trace".to_owned())
    }

    fn new(header: Header) -> Trace {
        Trace {
            header,
            entries: Vec::new(),
            corrupt: Skipped::default(),
            unknown: Skipped::default(),
        }
    }

    fn take_line(&mut self, number: usize, text: &str) {
        let raw: RawLine = match serde_json::from_str(text) {
            Ok(raw) => raw,
            Err(e) => return self.corrupt.count(number, || e.to_string()),
        };
        let (Some(kind), Some(verb)) = (TraceKind::parse(&raw.kind), Verb::parse(&raw.verb)) else {
            return self
                .unknown
                .count(number, || format!("kind {} verb {}", raw.kind, raw.verb));
        };
        match entry(kind, verb, raw) {
            Ok(Some(e)) => self.entries.push(e),
            Ok(None) => self
                .unknown
                .count(number, || format!("{} {}", kind.name(), verb.name())),
            Err(why) => self.corrupt.count(number, || why),
        }
    }

    /// The good lines after the header.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the trace has no good line after its header.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The time of the last good line, seconds.
    pub fn duration(&self) -> f64 {
        self.entries.iter().map(|e| e.t).fold(0.0, f64::max)
    }

    /// One warning per kind of skipped line (none when nothing was skipped), naming `what`
    /// (the file).
    pub fn warnings(&self, what: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (skipped, words) in [
            (&self.corrupt, "corrupt or truncated line(s) skipped"),
            (&self.unknown, "line(s) of unknown kinds ignored"),
        ] {
            if let Some((line, why)) = &skipped.first {
                out.push(format!(
                    "trace {what}: {} {words} (first: line {line}: {why})",
                    skipped.lines
                ));
            }
        }
        out
    }
}

fn parse_header(text: &str) -> Result<Header, String> {
    let header: Header = serde_json::from_str(text)
        .ok()
        .filter(|h: &Header| h.format == FORMAT)
        .ok_or_else(|| {
            format!("not a KubeRack cluster trace: its first line is no {FORMAT} header")
        })?;
    if header.version == 0 || header.version > VERSION {
        return Err(format!(
            "format version {} is not one this kuberack reads (1 to {VERSION})",
            header.version
        ));
    }
    Ok(header)
}

/// The entry of a line of a known kind and verb; `Ok(None)` when the pair is unknown.
fn entry(kind: TraceKind, verb: Verb, raw: RawLine) -> Result<Option<Entry>, String> {
    if !(raw.t.is_finite() && raw.t >= 0.0) {
        return Err(format!("bad time {}", raw.t));
    }
    let object = match (kind, verb) {
        (TraceKind::Session, Verb::Started) | (_, Verb::Listed | Verb::Deleted) => Object::None,
        (TraceKind::Session, _) | (_, Verb::Started) => return Ok(None),
        (_, Verb::Added | Verb::Modified) => {
            let object = raw.object.ok_or("no object")?;
            if object["metadata"]["name"].as_str() != Some(raw.name.as_str()) {
                return Err("the object's name is not the line's".to_owned());
            }
            let typed = |e: serde_json::Error| format!("not a {}: {e}", kind.name());
            match kind {
                TraceKind::Pod => Object::Pod(serde_json::from_value(object).map_err(typed)?),
                TraceKind::Node => Object::Node(serde_json::from_value(object).map_err(typed)?),
                _ if object.is_object() => Object::Workload(object),
                _ => return Err("the object is not an object".to_owned()),
            }
        }
    };
    if raw.name.is_empty() && verb == Verb::Deleted {
        return Err("no name".to_owned());
    }
    Ok(Some(Entry {
        t: raw.t,
        kind,
        verb,
        name: raw.name,
        object,
    }))
}

/// A trace being replayed into one hub's queue.
pub struct Replay {
    trace: Arc<Trace>,
    next: usize,
    mirror: MirrorState,
    pool_selectors: PoolSelectors,
    start: Option<f64>,
}

impl Replay {
    /// Replays `trace` from its start.
    pub fn new(trace: Arc<Trace>) -> Replay {
        Replay {
            trace,
            next: 0,
            mirror: MirrorState::new(),
            pool_selectors: PoolSelectors::default(),
            start: None,
        }
    }

    /// Takes every line due by simulated time `now` (seconds; the first call's `now` is
    /// the trace's time 0): the events go to `end`, the real cluster's summary to its
    /// status. Stops early while the queue has no room for a change's events (the rest
    /// follow on a later call). Returns the lines taken.
    pub fn feed(&mut self, end: &mut SyncEnd, now: f64) -> usize {
        let start = *self.start.get_or_insert(now);
        let due = now - start;
        let mut taken = 0;
        // The NODEs' pool selectors, as a live sync follows them (nothing else is written).
        let mut pools_changed = false;
        while let Some(change) = end.pop_desired() {
            pools_changed |= self.pool_selectors.follow(&change);
        }
        while let Some(e) = self.trace.entries.get(self.next) {
            if e.t > due || end.observed_room() < MAX_EVENTS_PER_CHANGE {
                break;
            }
            match (&e.object, e.verb) {
                (_, Verb::Started) => self.mirror = MirrorState::new(),
                (_, Verb::Listed) => self.mirror.relist_done(end, e.kind),
                (_, Verb::Deleted) => self.mirror.delete(end, e.kind, &e.name),
                (Object::Pod(p), _) => self.mirror.apply(end, Seen::Pod(p)),
                (Object::Node(n), _) => self.mirror.apply(end, Seen::Node(n)),
                (Object::Workload(w), _) => self.mirror.apply(end, Seen::Workload(w)),
                (Object::None, _) => {}
            }
            self.next += 1;
            taken += 1;
        }
        if taken > 0 || pools_changed {
            self.mirror.publish(&end.status, &self.pool_selectors);
        }
        taken
    }

    /// Lines taken so far.
    pub fn taken(&self) -> usize {
        self.next
    }

    /// Whether every line has been taken.
    pub fn finished(&self) -> bool {
        self.next >= self.trace.entries.len()
    }
}
