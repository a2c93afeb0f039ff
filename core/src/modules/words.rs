//! Layout of the registry words exchanged between a member and its hub.

/// NODE pool: desired words (member -> hub).
pub mod pool_desired {
    /// Node count.
    pub const COUNT: usize = 0;
    /// Allocatable CPU per node, millicores.
    pub const CPU_M: usize = 1;
    /// Allocatable memory per node, MiB.
    pub const MEMORY_MIB: usize = 2;
    /// 1 when cordoned.
    pub const CORDONED: usize = 3;
}

/// NODE pool: observed words (hub -> member). Channels carry per-node utilisation.
pub mod pool_observed {
    /// Nodes that exist.
    pub const NODES: usize = 0;
    /// Nodes that are Ready.
    pub const READY_NODES: usize = 1;
    /// Ready gate bits of the pool's first 16 pods.
    pub const POD_READY_MASK: usize = 2;
    /// Pods listed in the mask (channel count).
    pub const POD_CHANNELS: usize = 3;
    /// Cordoned nodes.
    pub const CORDONED_NODES: usize = 4;
}

/// DEPLOYMENT: desired words (member -> hub).
pub mod deployment_desired {
    /// spec.replicas.
    pub const REPLICAS: usize = 0;
    /// CPU request, millicores.
    pub const CPU_M: usize = 1;
    /// Memory request, MiB.
    pub const MEMORY_MIB: usize = 2;
    /// The image tag: ROLLOUT triggers counted.
    pub const IMAGE: usize = 3;
    /// ROLLBACK triggers counted (the hub rolls back once per new count).
    pub const ROLLBACKS: usize = 4;
    /// Flag bits: [`FLAG_RECREATE`], [`FLAG_FAULT`].
    pub const FLAGS: usize = 5;
    /// maxSurge, percent.
    pub const MAX_SURGE_PCT: usize = 6;
    /// maxUnavailable, percent.
    pub const MAX_UNAVAILABLE_PCT: usize = 7;
    /// FLAGS bit: strategy Recreate.
    pub const FLAG_RECREATE: u32 = 1;
    /// FLAGS bit: FAULT is high.
    pub const FLAG_FAULT: u32 = 2;
}

/// DEPLOYMENT: observed words (hub -> member).
pub mod deployment_observed {
    /// Ready active pods.
    pub const READY: usize = 0;
    /// Active pods.
    pub const ACTIVE: usize = 1;
    /// Pods created so far.
    pub const CREATED_TOTAL: usize = 2;
    /// Pods that became Ready so far.
    pub const READY_TOTAL: usize = 3;
    /// Pods deleted so far.
    pub const DELETED_TOTAL: usize = 4;
    /// Low 16 bits: Ready bits of the first 16 pods; high 16 bits: pod present bits.
    pub const POD_MASKS: usize = 5;
    /// Pods listed in the masks (channel count).
    pub const POD_CHANNELS: usize = 6;
    /// spec.replicas as the hub last applied it.
    pub const REPLICAS: usize = 7;
    /// status.updatedReplicas: active pods of the newest template.
    pub const UPDATED: usize = 8;
    /// The newest ReplicaSet's revision.
    pub const REVISION: usize = 9;
}

/// POD: desired words (member -> hub).
pub mod pod_desired {
    /// 1 while the lifecycle gate is high.
    pub const GATE: usize = 0;
    /// CPU request, millicores.
    pub const CPU_M: usize = 1;
    /// Memory request, MiB.
    pub const MEMORY_MIB: usize = 2;
    /// Rising edges of the gate so far (a new pod per edge).
    pub const INCARNATION: usize = 3;
}

/// POD: observed words (hub -> member). Channel 0 carries its node's utilisation.
pub mod pod_observed {
    /// The pod's status (see [`crate::modules::pod::PodPhase`]).
    pub const PHASE: usize = 0;
    /// 1 while Ready.
    pub const READY: usize = 1;
}

/// SERVICE: desired words (member -> hub).
pub mod service_desired {
    /// Selected tags, two per word (low 16 bits first), 16 in all.
    pub const SELECTOR_FIRST: usize = 0;
    /// Words holding the selector.
    pub const SELECTOR_WORDS: usize = 8;
}

/// SERVICE: observed words (hub -> member). Channels carry each endpoint's node utilisation.
pub mod service_observed {
    /// Ready endpoints.
    pub const ENDPOINTS: usize = 0;
    /// Times the endpoints changed.
    pub const UPDATES: usize = 1;
}

/// ETCD: desired words (member -> hub).
pub mod etcd_desired {
    /// External writes so far (rising edges of WRITE).
    pub const WRITES: usize = 0;
}

/// ETCD: observed words (hub -> member).
pub mod etcd_observed {
    /// External writes the hub has applied (acknowledges `etcd_desired::WRITES`).
    pub const WRITES_APPLIED: usize = 0;
    /// The store's revision, low 32 bits.
    pub const REVISION: usize = 1;
    /// Simulated time, milliseconds (wrapping).
    pub const TIME_MS: usize = 2;
    /// Compactions so far.
    pub const COMPACTIONS: usize = 3;
}
