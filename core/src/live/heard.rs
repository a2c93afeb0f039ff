//! The real-cluster events a hub heard, in a bounded ring the host reads for its trace:
//! written on the audio thread (a copy into memory taken at construction), read between
//! blocks (`kuberack play --events`).

use super::queue::Observed;
use serde_json::{json, Value};

/// One real-cluster event as the hub heard it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeardEvent {
    /// Its place among the events the hub heard (from 1).
    pub serial: u64,
    /// The hub's simulated time when it heard it, in seconds.
    pub time: f64,
    /// The event.
    pub observed: Observed,
}

impl HeardEvent {
    /// The event as one JSON object for a trace line (`source` is the caller's).
    pub fn to_json(&self) -> Value {
        let o = &self.observed;
        let mut v = json!({
            "time": (self.time * 1e6).round() / 1e6,
            "reason": o.kind.reason(),
            "kind": o.kind.object_kind(),
            "name": o.name.as_str(),
        });
        if o.module != 0 {
            v["owner"] = json!(o.module);
        }
        if o.queue != 0 {
            v["queue"] = json!(o.queue);
        }
        v
    }
}

/// The last `capacity` events heard.
pub struct HeardLog {
    ring: Box<[Option<HeardEvent>]>,
    newest: u64,
}

impl HeardLog {
    /// An empty log keeping the last `capacity` events (allocates here only).
    pub fn with_capacity(capacity: usize) -> HeardLog {
        HeardLog {
            ring: vec![None; capacity.max(1)].into_boxed_slice(),
            newest: 0,
        }
    }

    /// Records an event heard at `time` (wait-free, allocation-free).
    pub fn push(&mut self, time: f64, observed: Observed) {
        self.newest += 1;
        let i = ((self.newest - 1) % self.ring.len() as u64) as usize;
        self.ring[i] = Some(HeardEvent {
            serial: self.newest,
            time,
            observed,
        });
    }

    /// The serial of the newest event (0: none yet).
    pub fn newest(&self) -> u64 {
        self.newest
    }

    /// Events after `serial`, oldest first, and how many were already overwritten.
    pub fn since(&self, serial: u64) -> (u64, impl Iterator<Item = &HeardEvent> + '_) {
        let oldest = (self.newest + 1)
            .saturating_sub(self.ring.len() as u64)
            .max(1);
        let first = (serial + 1).max(oldest);
        let lost = first - (serial + 1);
        let len = self.ring.len() as u64;
        let events =
            (first..=self.newest).filter_map(move |s| self.ring[((s - 1) % len) as usize].as_ref());
        (lost, events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::MirrorKind;
    use crate::world::events::EventKind;

    #[test]
    fn the_ring_keeps_the_last_events_and_counts_the_overwritten() {
        let mut log = HeardLog::with_capacity(3);
        assert_eq!(log.since(0).0, 0);
        for i in 1..=5u64 {
            let o = Observed::of(MirrorKind::World(EventKind::PodCreated), i).named("web-1");
            log.push(i as f64, o);
        }
        let (lost, events) = log.since(1);
        let modules: Vec<u64> = events.map(|e| e.observed.module).collect();
        assert_eq!((lost, modules), (1, vec![3, 4, 5]));
        let (lost, events) = log.since(4);
        assert_eq!((lost, events.count()), (0, 1));
        let line = log.since(4).1.next().unwrap().to_json();
        assert_eq!(
            line,
            json!({"time": 5.0, "reason": EventKind::PodCreated.name(), "kind": "Pod",
                   "name": "web-1", "owner": 5})
        );
    }

    #[test]
    fn names_are_cut_on_a_character_boundary_and_kinds_follow_the_reason() {
        let long = "é".repeat(40);
        let name = crate::live::HeardName::new(&long);
        assert_eq!(name.as_str().len(), 62, "31 two-byte characters");
        let node = Observed::of(MirrorKind::World(EventKind::NodeReady), 0).named("fake-0");
        let line = HeardEvent {
            serial: 1,
            time: 0.5,
            observed: node,
        }
        .to_json();
        assert_eq!(line["kind"], "Node");
        assert_eq!(line["reason"], EventKind::NodeReady.name());
        assert!(line.get("owner").is_none());
        let wl = Observed {
            queue: 9,
            ..Observed::of(MirrorKind::World(EventKind::WorkloadAdmitted), 3)
        };
        let line = HeardEvent {
            serial: 2,
            time: 1.0,
            observed: wl,
        }
        .to_json();
        assert_eq!(
            (line["kind"].clone(), line["queue"].clone()),
            (json!("Workload"), json!(9))
        );
    }
}
