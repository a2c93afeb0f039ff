//! Which nodes changed: a bounded log of node indices that the scheduler's per-node cache
//! reads to invalidate only what changed since its last cycle. A reader remembers the log's
//! identity and version; when the log no longer reaches back that far (or was reset), the
//! reader must assume every node changed.

use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_STAMP: AtomicU64 = AtomicU64::new(1);

/// A stamp no other call returns: identifies a log or a node order, never repeats.
pub(super) fn unique_stamp() -> u64 {
    NEXT_STAMP.fetch_add(1, Ordering::Relaxed)
}

/// Where a reader stands in a log: the log's identity and how far it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogPosition {
    id: u64,
    version: u64,
}

/// Node indices recorded as changed, in a ring of fixed capacity.
pub struct ChangeLog {
    id: u64,
    version: u64,
    entries: Vec<u32>,
}

impl ChangeLog {
    /// A log that reaches back `capacity` changes (at least one).
    pub fn with_capacity(capacity: usize) -> ChangeLog {
        ChangeLog {
            id: unique_stamp(),
            version: 0,
            entries: vec![0; capacity.max(1)],
        }
    }

    /// Records that the node at `index` changed.
    #[inline]
    pub fn record(&mut self, index: u32) {
        let slot = (self.version % self.entries.len() as u64) as usize;
        self.entries[slot] = index;
        self.version += 1;
    }

    /// Records that every node may have changed.
    pub fn reset(&mut self) {
        self.id = unique_stamp();
        self.version = 0;
    }

    /// The position after the last change recorded.
    pub fn position(&self) -> LogPosition {
        LogPosition {
            id: self.id,
            version: self.version,
        }
    }

    /// Calls `f` with every node recorded after `since`; false when the log cannot tell
    /// (another log, reset, or more changes than it holds): then any node may have changed.
    #[inline]
    pub fn changed_since(&self, since: LogPosition, mut f: impl FnMut(u32)) -> bool {
        let len = self.entries.len() as u64;
        if since.id != self.id || since.version > self.version {
            return false;
        }
        if self.version - since.version > len {
            return false;
        }
        for v in since.version..self.version {
            f(self.entries[(v % len) as usize]);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_recent_changes_and_gives_up_past_capacity_or_reset() {
        let mut log = ChangeLog::with_capacity(3);
        let start = log.position();
        log.record(5);
        log.record(9);
        let mut seen = Vec::new();
        assert!(log.changed_since(start, |i| seen.push(i)));
        assert_eq!(seen, [5, 9]);
        let mid = log.position();
        log.record(1);
        log.record(2);
        assert!(!log.changed_since(start, |_| {}));
        seen.clear();
        assert!(log.changed_since(mid, |i| seen.push(i)));
        assert_eq!(seen, [1, 2]);
        let now = log.position();
        log.reset();
        assert!(!log.changed_since(now, |_| {}));
        assert!(!ChangeLog::with_capacity(3).changed_since(log.position(), |_| {}));
    }
}
