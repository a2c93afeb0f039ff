//! etcd as the API server uses it: writes from clients outside the control plane, and the
//! API server's periodic compaction of the revision history.

use super::events::EventKind;
use super::names::{ObjectKind, ObjectName};
use super::World;

/// The API server's default --etcd-compaction-interval: 5 minutes.
pub const COMPACTION_INTERVAL: f64 = 300.0;

/// The compactor's state.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Compactor {
    /// Simulated time of the next compaction.
    next: f64,
    /// Revision seen at the previous compaction: the next one compacts up to it.
    previous: u64,
    /// Compactions so far.
    count: u32,
}

impl Compactor {
    pub(super) fn new() -> Compactor {
        Compactor {
            next: COMPACTION_INTERVAL,
            previous: 0,
            count: 0,
        }
    }
}

impl World {
    /// One write by a client outside the control plane (an ETCD module's WRITE trigger).
    pub fn external_write(&mut self, tag: u32) {
        let key = ObjectName {
            kind: ObjectKind::ConfigMap,
            owner: tag,
            revision: 0,
            id: 0,
        };
        self.write(EventKind::ExternalWrite, key, None, 0);
    }

    /// Compactions so far.
    pub fn compactions(&self) -> u32 {
        self.compactor.count
    }

    /// The API server's compactor: every [`COMPACTION_INTERVAL`] it compacts the history up to
    /// the revision it saw at the previous interval (so at least one interval of history stays)
    /// and records the compaction, which is itself a write (etcd's compact_rev_key).
    pub(super) fn compact_if_due(&mut self) {
        if self.time < self.compactor.next {
            return;
        }
        self.compactor.next = self.time + COMPACTION_INTERVAL;
        let upto = self.compactor.previous;
        let key = ObjectName {
            kind: ObjectKind::Etcd,
            owner: 0,
            revision: 0,
            id: 0,
        };
        self.compactor.previous = self.write(EventKind::Compaction, key, None, upto as i64);
        self.events.compact(upto);
        self.compactor.count = self.compactor.count.wrapping_add(1);
    }
}
