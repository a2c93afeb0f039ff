//! The two bounded wait-free queues between the hub (audio thread) and the sync thread.

use crate::desired::{Change, DesiredObject};
use crate::mirror::MirrorKind;
use crate::status::Status;
use std::sync::Arc;

/// A real-cluster transition for the rack, fixed-size so receiving it allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observed {
    /// What happened.
    pub kind: MirrorKind,
    /// The Rack module id from the object's `kuberack.io/module` label, 0 if it has none.
    pub module: u64,
}

/// The audio side: pushes desired changes, pops observed events. Every call is wait-free.
pub struct HubEnd {
    desired: rtrb::Producer<Change>,
    observed: rtrb::Consumer<Observed>,
    sent: Box<[Option<DesiredObject>]>,
    /// Shared status (state light, counters).
    pub status: Arc<Status>,
}

/// The sync thread's side.
pub struct SyncEnd {
    pub(crate) desired: rtrb::Consumer<Change>,
    pub(crate) observed: rtrb::Producer<Observed>,
    pub(crate) status: Arc<Status>,
}

/// Both ends, with room for `capacity` messages each way and `slots` desired objects.
/// All memory is allocated here, never later.
pub fn queues(capacity: usize, slots: usize) -> (HubEnd, SyncEnd) {
    let (dp, dc) = rtrb::RingBuffer::new(capacity);
    let (op, oc) = rtrb::RingBuffer::new(capacity);
    let status = Arc::new(Status::default());
    (
        HubEnd {
            desired: dp,
            observed: oc,
            sent: vec![None; slots].into_boxed_slice(),
            status: status.clone(),
        },
        SyncEnd {
            desired: dc,
            observed: op,
            status,
        },
    )
}

impl HubEnd {
    /// Sends whatever changed in `desired` (one entry per slot) since the last call. What does
    /// not fit in the queue is offered again, at its then-latest value, on the next call.
    pub fn publish(&mut self, desired: &[Option<DesiredObject>]) {
        let producer = &mut self.desired;
        crate::desired::diff_into(&mut self.sent, desired, |change| {
            producer.push(change).is_ok()
        });
    }

    /// The next observed event, if any.
    pub fn pop_observed(&mut self) -> Option<Observed> {
        self.observed.pop().ok()
    }
}

impl SyncEnd {
    /// Hands an observed event to the hub, or counts it as dropped when the queue is full.
    pub(crate) fn push_observed(&mut self, event: Observed) {
        if self.observed.push(event).is_err() {
            self.status.count_dropped_event();
        }
    }
}
