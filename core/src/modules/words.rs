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
    /// Bit n set: node n's kubelet is silent (the DOWN gates).
    pub const KUBELETS_DOWN: usize = 6;
    /// 1 when live sync may cordon the pool's labelled real nodes (its "Sync cordon" setting).
    pub const SYNC_CORDON: usize = 7;
    /// The NODE's own labels and taints: an id in the interned table (0 = none).
    pub const TERMS: usize = 8;
    /// 1 when live sync applies the typed labels and taints to the pool's labelled real nodes
    /// (its "Sync labels and taints" setting).
    pub const SYNC_TERMS: usize = 9;
    /// The NODE's pool selector, as the required node affinity of an interned pod terms
    /// entry (0 = none).
    pub const POOL_SELECTOR: usize = 10;
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
    /// The pod template's own labels, tolerations and node affinity: an id in the interned
    /// table (0 = none).
    pub const TERMS: usize = 8;
    /// The same as a manifest writes them, the shortcuts included: an interned id.
    pub const MANIFEST_TERMS: usize = 9;
    /// FLAGS bit: strategy Recreate.
    pub const FLAG_RECREATE: u32 = 1;
    /// FLAGS bit: FAULT is high.
    pub const FLAG_FAULT: u32 = 2;
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
    /// 1 while the FAULT gate is high.
    pub const FAULT: usize = 4;
    /// The pod's typed labels, tolerations, node affinity, pod affinity and spread (an
    /// interned terms id; 0 = none).
    pub const TERMS: usize = 5;
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

/// AUTOSCALER: desired words (member -> hub).
pub mod autoscaler_desired {
    /// Tag of the NODE pool it sizes (0 = none).
    pub const POOL: usize = 0;
    /// minNodes.
    pub const MIN_NODES: usize = 1;
    /// maxNodes.
    pub const MAX_NODES: usize = 2;
    /// Launch attempts per claim.
    pub const ATTEMPTS: usize = 3;
    /// cpu limit, cores (0 = none).
    pub const CPU_LIMIT_CORES: usize = 4;
    /// memory limit, GiB (0 = none).
    pub const MEMORY_LIMIT_GIB: usize = 5;
    /// Registration timeout, milliseconds.
    pub const TIMEOUT_MS: usize = 6;
    /// Launch latency, milliseconds.
    pub const LAUNCH_MS: usize = 7;
    /// Initialization latency, milliseconds.
    pub const INIT_MS: usize = 8;
    /// Scale-up window, milliseconds.
    pub const UP_WINDOW_MS: usize = 9;
    /// Scale-down window, milliseconds.
    pub const DOWN_WINDOW_MS: usize = 10;
    /// 1 while the FAULT gate is high (launches fail).
    pub const LAUNCH_FAILS: usize = 11;
}

/// AUTOSCALER: observed words (hub -> member).
pub mod autoscaler_observed {
    /// 1 while the hub runs this autoscaler (its pool is joined to the same hub).
    pub const ACTIVE: usize = 0;
    /// Claims Launched.
    pub const LAUNCHED: usize = 1;
    /// Claims Registered.
    pub const REGISTERED: usize = 2;
    /// Claims Initialized.
    pub const INITIALIZED: usize = 3;
    /// Claims Draining.
    pub const DRAINING: usize = 4;
    /// Scale-ups so far.
    pub const SCALE_UPS: usize = 5;
    /// Nodes removed so far.
    pub const SCALE_DOWNS: usize = 6;
    /// Why scale-up falls short (`ScaleUpBlock`).
    pub const BLOCKED: usize = 7;
    /// Pending pods that target the pool.
    pub const PENDING: usize = 8;
}

/// JOB: desired words (member -> hub).
pub mod job_desired {
    /// SUBMIT triggers counted (a Job per new count).
    pub const SUBMITS: usize = 0;
    /// spec.parallelism.
    pub const PARALLELISM: usize = 1;
    /// spec.completions.
    pub const COMPLETIONS: usize = 2;
    /// Seconds each pod runs, milliseconds.
    pub const DURATION_MS: usize = 3;
    /// CPU request per pod, millicores.
    pub const CPU_M: usize = 4;
    /// Memory request per pod, MiB.
    pub const MEMORY_MIB: usize = 5;
    /// spec.backoffLimit.
    pub const BACKOFF: usize = 6;
    /// spec.activeDeadlineSeconds (0 = none).
    pub const DEADLINE_S: usize = 7;
    /// 1 for restartPolicy OnFailure.
    pub const ON_FAILURE: usize = 8;
    /// Pod priority (i32 bits).
    pub const PRIORITY: usize = 9;
    /// 1 while the FAULT gate is high.
    pub const FAULT: usize = 10;
    /// Tag of the CLUSTERQUEUE whose queue it submits to (0 = none).
    pub const QUEUE: usize = 11;
    /// The pod template's resource claim (`claim_settings::pack_claim`); 0 = none.
    pub const CLAIM: usize = 12;
    /// The pod template's typed labels, tolerations and node affinity: an interned id.
    pub const TERMS: usize = 13;
}

/// JOB: observed words (hub -> member).
pub mod job_observed {
    /// SUBMIT counts the hub has acted on.
    pub const SUBMITS_SEEN: usize = 0;
    /// Jobs whose first pod ran, so far.
    pub const STARTED_TOTAL: usize = 1;
    /// Jobs completed so far.
    pub const COMPLETE_TOTAL: usize = 2;
    /// Jobs failed so far.
    pub const FAILED_TOTAL: usize = 3;
    /// Active pods of the member's Jobs.
    pub const ACTIVE: usize = 4;
    /// Running pods of the member's Jobs.
    pub const RUNNING: usize = 5;
    /// Jobs submitted whose first pod has not run yet.
    pub const WAITING: usize = 6;
    /// Wait of the latest started Job, milliseconds.
    pub const WAIT_MS: usize = 7;
    /// The latest finished Job: 0 none, 1 Complete, 2 Failed.
    pub const LAST: usize = 8;
    /// Admissions of the member's Jobs by Kueue, so far.
    pub const ADMISSIONS: usize = 9;
    /// Preemptions of the member's Jobs, so far.
    pub const PREEMPTIONS: usize = 10;
}

/// CLUSTERQUEUE: desired words (member -> hub).
pub mod cluster_queue_desired {
    /// nominalQuota of cpu per flavor, millicores.
    pub const CPU_M: usize = 0;
    /// nominalQuota of memory per flavor, MiB.
    pub const MEMORY_MIB: usize = 1;
    /// nominalQuota of mana per essence flavor.
    pub const MANA: usize = 2;
    /// borrowingLimit, percent of nominal ([`NO_LIMIT`]: none).
    pub const BORROW_PCT: usize = 3;
    /// lendingLimit, percent of nominal ([`NO_LIMIT`]: none).
    pub const LEND_PCT: usize = 4;
    /// Flavors: 0 default-flavor, 1..=3 one essence, 4 all three.
    pub const FLAVORS: usize = 5;
    /// 1 for StrictFIFO.
    pub const STRICT_FIFO: usize = 6;
    /// withinClusterQueue: 0 Never, 1 LowerPriority, 2 LowerOrNewerEqualPriority.
    pub const WITHIN: usize = 7;
    /// reclaimWithinCohort: 0 Never, 1 LowerPriority, 2 Any.
    pub const RECLAIM: usize = 8;
    /// Tag of the CLUSTERQUEUE its COHORT input comes from (0 = none).
    pub const COHORT_PARENT: usize = 9;
    /// fairSharing.weight, thousandths.
    pub const WEIGHT_MILLI: usize = 10;
    /// A limit word meaning "no limit".
    pub const NO_LIMIT: u32 = u32::MAX;
}

/// CLUSTERQUEUE: observed words (hub -> member).
pub mod cluster_queue_observed {
    /// 1 while the ClusterQueue exists.
    pub const ACTIVE: usize = 0;
    /// status.pendingWorkloads.
    pub const PENDING: usize = 1;
    /// status.admittedWorkloads.
    pub const ADMITTED: usize = 2;
    /// cpu usage over nominal, per mille.
    pub const CPU_PERMILLE: usize = 3;
    /// memory usage over nominal, per mille.
    pub const MEMORY_PERMILLE: usize = 4;
    /// mana usage over nominal, per mille.
    pub const MANA_PERMILLE: usize = 5;
    /// Admissions so far.
    pub const ADMISSIONS: usize = 6;
    /// Preemptions of its workloads so far.
    pub const PREEMPTIONS: usize = 7;
    /// 1 while borrowing.
    pub const BORROWING: usize = 8;
    /// 1 while Terminating.
    pub const TERMINATING: usize = 9;
    /// status.fairSharing.weightedShare (`u32::MAX` for a borrowing queue of weight 0).
    pub const WEIGHTED_SHARE: usize = 10;
}

/// DEVICES: desired words (member -> hub).
pub mod devices_desired {
    /// Tag of the NODE pool it declares devices for (0 = none).
    pub const POOL: usize = 0;
    /// The essence: 1 fire, 2 frost, 3 arcane.
    pub const ESSENCE: usize = 1;
    /// Mana per node, units.
    pub const MANA: usize = 2;
    /// Wells per node.
    pub const WELLS: usize = 3;
}

/// DEVICES: observed words (hub -> member). Channels carry each node ordinal's device
/// utilisation (0..1).
pub mod devices_observed {
    /// What became of the declaration (`DevicesState`).
    pub const STATE: usize = 0;
    /// Wells across the pool.
    pub const WELLS: usize = 1;
    /// Wells holding at least one claim.
    pub const WELLS_IN_USE: usize = 2;
    /// Mana of the pool's wells no claim holds.
    pub const FREE_MANA: usize = 3;
    /// Claims allocated on the pool so far.
    pub const ALLOCATIONS: usize = 4;
    /// Node ordinals published in the channels.
    pub const NODE_CHANNELS: usize = 5;
}

/// ENCHANTMENT: desired words (member -> hub).
pub mod enchantment_desired {
    /// FORGE triggers counted (an Enchantment per new count).
    pub const FORGES: usize = 0;
    /// Tag of the CLUSTERQUEUE its Jobs name (0 = not queued).
    pub const QUEUE: usize = 1;
    /// Seconds per essence unit, milliseconds.
    pub const COST_MS: usize = 2;
    /// The tier drawn: 0 random, 1 common .. 4 legendary.
    pub const TIER: usize = 3;
    /// The Jobs' pods' typed terms (an interned terms id; 0 = none).
    pub const TERMS: usize = 4;
}

/// ENCHANTMENT: observed words (hub -> member).
pub mod enchantment_observed {
    /// FORGE counts the hub has acted on.
    pub const FORGES_SEEN: usize = 0;
    /// Times the member's Enchantments entered each phase, in `EnchantmentPhase::ALL` order
    /// (Scheduled, Enchanting, Requeued, Completed, Failed): five words from here.
    pub const ENTERED_FIRST: usize = 1;
    /// Bit n set: an Enchantment of the member is in phase n now.
    pub const PHASES: usize = 6;
    /// Tier of the latest forged item: 1 common .. 4 legendary (0 = none yet).
    pub const LAST_TIER: usize = 7;
    /// Enchantments of the member alive.
    pub const ALIVE: usize = 8;
}
