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
    /// Zone label, 1-based (zone-a = 1); 0 = unlabelled.
    pub const ZONE: usize = 4;
    /// The `kuberack.io/dedicated` taint: 0 none, 1 NoSchedule, 2 PreferNoSchedule, 3 NoExecute.
    pub const TAINT: usize = 5;
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
    /// Pod priority (i32 bits), resolved from the settings' priorityClassName.
    pub const PRIORITY: usize = 14;
    /// Packed scheduling constraints (`SchedulingSpec::pack_flags`); 0 = defaults.
    pub const SCHEDULING: usize = 15;
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
}

/// SCHEDULER: desired words (member -> hub).
pub mod scheduler_desired {
    /// Scoring knob position, f32 bits (0 LeastAllocated .. 1 MostAllocated).
    pub const STRATEGY_BITS: usize = 0;
    /// 1 when DefaultPreemption is on.
    pub const PREEMPTION: usize = 1;
    /// percentageOfNodesToScore (0 = adaptive).
    pub const PERCENT: usize = 2;
}

/// SCHEDULER: observed words (hub -> member).
pub mod scheduler_observed {
    /// 1 while this SCHEDULER's configuration is in force (the lowest tag on its hub).
    pub const ACTIVE: usize = 0;
    /// Pods bound so far.
    pub const SCHEDULED_TOTAL: usize = 1;
    /// Preemptions so far.
    pub const PREEMPTIONS_TOTAL: usize = 2;
    /// Pods waiting as unschedulable.
    pub const UNSCHEDULABLE: usize = 3;
    /// activeQ + backoffQ + unschedulable pods.
    pub const QUEUE_DEPTH: usize = 4;
}
