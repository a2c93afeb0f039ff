//! The two bounded wait-free queues between the hub (audio thread) and the sync thread.

use super::desired::{Change, DesiredObject};
use super::status::Status;
use crate::world::events::EventKind;
use std::sync::Arc;

/// What the rack hears of the real cluster: a world event the simulation also fires, or one
/// of the real-cluster transitions the simulation has no event for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MirrorKind {
    /// The same event the simulated world fires.
    World(EventKind),
    /// The pod's phase became Failed for a reason other than eviction or preemption.
    PodFailed,
    /// The scheduler preempted the pod (DisruptionTarget reason PreemptionByScheduler).
    PodPreempted,
}

/// A real-cluster transition for the rack, fixed-size so receiving it allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observed {
    /// What happened.
    pub kind: MirrorKind,
    /// The Rack module id from the object's `kuberack.io/module` label (a Workload: of its
    /// Job's JOB or ENCHANTMENT), 0 if it has none.
    pub module: u64,
    /// A Workload's: the Rack module id of the CLUSTERQUEUE it is queued in or admitted to
    /// (0: none, and for everything else).
    pub queue: u64,
    /// The real object's name.
    pub name: HeardName,
}

impl Observed {
    /// An event of the object of module `module` (0: none), not about a queue, unnamed.
    pub fn of(kind: MirrorKind, module: u64) -> Observed {
        Observed {
            kind,
            module,
            queue: 0,
            name: HeardName::default(),
        }
    }

    /// The same event about the object named `name`.
    pub fn named(self, name: &str) -> Observed {
        Observed {
            name: HeardName::new(name),
            ..self
        }
    }
}

/// Longest name an [`Observed`] keeps (a DNS label's 63 bytes; longer names are cut).
pub const HEARD_NAME_BYTES: usize = 63;

/// A real object's name in a fixed-size buffer, so an [`Observed`] stays `Copy` and
/// receiving it allocates nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HeardName {
    bytes: [u8; HEARD_NAME_BYTES],
    len: u8,
}

impl HeardName {
    /// `name`, cut at [`HEARD_NAME_BYTES`] on a character boundary.
    pub fn new(name: &str) -> HeardName {
        let mut end = name.len().min(HEARD_NAME_BYTES);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0; HEARD_NAME_BYTES];
        bytes[..end].copy_from_slice(&name.as_bytes()[..end]);
        HeardName {
            bytes,
            len: end as u8,
        }
    }

    /// The name (empty: none).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl Default for HeardName {
    fn default() -> HeardName {
        HeardName {
            bytes: [0; HEARD_NAME_BYTES],
            len: 0,
        }
    }
}

impl std::fmt::Debug for HeardName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl MirrorKind {
    /// The event's reason, as the simulation's trace names it.
    pub fn reason(self) -> &'static str {
        match self {
            MirrorKind::World(k) => k.name(),
            MirrorKind::PodFailed => EventKind::PodFailed.name(),
            MirrorKind::PodPreempted => EventKind::PodPreempted.name(),
        }
    }

    /// The kind of object the event is about: Node, Workload or Pod.
    pub fn object_kind(self) -> &'static str {
        use EventKind::*;
        match self {
            MirrorKind::World(
                NodeAdded | NodeReady | NodeNotReady | NodeCordoned | NodeUncordoned | NodeUpdated
                | NodeDeleted,
            ) => "Node",
            MirrorKind::World(
                WorkloadCreated | WorkloadPending | QuotaReserved | WorkloadAdmitted
                | WorkloadPreempted | WorkloadEvicted | WorkloadRequeued | WorkloadFinished
                | WorkloadDeleted,
            ) => "Workload",
            _ => "Pod",
        }
    }
}

/// The audio side: pushes desired changes, pops observed events. Every call is wait-free.
pub struct HubEnd {
    desired: rtrb::Producer<Change>,
    observed: rtrb::Consumer<Observed>,
    sent: Box<[Option<DesiredObject>]>,
    session: u32,
    /// Shared status (state light, counters).
    pub status: Arc<Status>,
}

/// The sync thread's side.
pub struct SyncEnd {
    desired: rtrb::Consumer<Change>,
    observed: rtrb::Producer<Observed>,
    /// Shared status.
    pub status: Arc<Status>,
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
            session: 0,
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
    /// Sends whatever changed in `desired` (one entry per slot) since the last call; slots
    /// past `desired.len()` are left as they are. What does not fit in the queue is offered
    /// again, at its then-latest value, on the next call. When a new sync session started
    /// since the last call, everything desired is sent again. Wait-free, allocates nothing.
    pub fn publish(&mut self, desired: &[Option<DesiredObject>]) {
        let session = self.status.session();
        if session != self.session {
            self.session = session;
            self.sent.fill(None);
        }
        let n = desired.len().min(self.sent.len());
        let producer = &mut self.desired;
        super::desired::diff_into(&mut self.sent[..n], &desired[..n], |change| {
            producer.push(change).is_ok()
        });
    }

    /// Sends one change that is not part of the per-slot desired state (a Job's creation);
    /// false when the queue is full (the caller offers it again later). Wait-free.
    pub fn push(&mut self, change: Change) -> bool {
        self.desired.push(change).is_ok()
    }

    /// How many changes the queue has room for now. Wait-free.
    pub fn room(&self) -> usize {
        self.desired.slots()
    }

    /// The next observed event, if any.
    pub fn pop_observed(&mut self) -> Option<Observed> {
        self.observed.pop().ok()
    }
}

impl SyncEnd {
    /// The next desired-state change, if any.
    pub fn pop_desired(&mut self) -> Option<Change> {
        self.desired.pop().ok()
    }

    /// Room for observed events in the hub's queue now.
    pub fn observed_room(&self) -> usize {
        self.observed.slots()
    }

    /// Hands an observed event to the hub, or counts it as dropped when the queue is full.
    pub fn push_observed(&mut self, event: Observed) {
        self.status.count_heard_event();
        if self.observed.push(event).is_err() {
            self.status.count_dropped_event();
        }
    }
}
