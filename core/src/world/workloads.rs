//! Workload objects: Deployments with their ReplicaSets, and Jobs.

use super::constraints::SchedulingSpec;
use super::mana::Mana;
use super::names::{ObjectKind, ObjectName};
use super::objects::{ObjectMeta, RestartPolicy, NONE};
use super::queueing::JobQueueing;

/// A pod template: what a ReplicaSet stamps into each pod it creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PodTemplate {
    /// CPU request, millicores.
    pub cpu_m: u32,
    /// Memory request, MiB.
    pub memory_mib: u32,
    /// The container image's tag, as a number (a rollout bumps it).
    pub image: u32,
    /// Priority, tolerations, selectors and constraints.
    pub scheduling: SchedulingSpec,
}

impl PodTemplate {
    /// The pod-template-hash label: FNV-1a (32 bit) over the template, as upstream hashes the
    /// serialised template. Never 0.
    pub fn hash(&self) -> u32 {
        let mut h: u32 = 0x811c_9dc5;
        // Like omitempty fields in the serialised template, default scheduling adds nothing.
        let scheduling = [
            self.scheduling.priority as u32,
            self.scheduling.pack_flags(),
            crate::world::terms::table::pod_entry(self.scheduling.terms).hash,
        ];
        let words = [self.cpu_m, self.memory_mib, self.image];
        let extra = match scheduling {
            [0, 0, 0] => 0,
            [_, _, 0] => 2,
            _ => 3,
        };
        for word in words.into_iter().chain(scheduling.into_iter().take(extra)) {
            for byte in word.to_le_bytes() {
                h ^= u32::from(byte);
                h = h.wrapping_mul(0x0100_0193);
            }
        }
        h.max(1)
    }
}

/// An int-or-percent field (maxSurge, maxUnavailable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOrPercent {
    /// An absolute number of pods.
    Int(u32),
    /// A percentage of spec.replicas.
    Percent(u32),
}

impl IntOrPercent {
    /// The value against `total` replicas; percentages round up or down as asked
    /// (upstream `GetScaledValueFromIntOrPercent`).
    pub fn scaled(self, total: u32, round_up: bool) -> u32 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => {
                let product = u64::from(p) * u64::from(total);
                let v = if round_up {
                    product.div_ceil(100)
                } else {
                    product / 100
                };
                v.min(u64::from(u32::MAX)) as u32
            }
        }
    }
}

/// spec.strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentStrategy {
    /// Replace pods a few at a time.
    RollingUpdate {
        /// Pods allowed above spec.replicas (percent rounds up).
        max_surge: IntOrPercent,
        /// Pods allowed below spec.replicas available (percent rounds down).
        max_unavailable: IntOrPercent,
    },
    /// Delete every old pod before creating new ones.
    Recreate,
}

impl Default for DeploymentStrategy {
    /// RollingUpdate with upstream's defaults, 25% and 25%.
    fn default() -> Self {
        DeploymentStrategy::RollingUpdate {
            max_surge: IntOrPercent::Percent(25),
            max_unavailable: IntOrPercent::Percent(25),
        }
    }
}

/// upstream's default spec.revisionHistoryLimit.
pub const REVISION_HISTORY_LIMIT: u32 = 10;

/// A DEPLOYMENT module's desired state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeploymentSpec {
    /// spec.replicas.
    pub replicas: u32,
    /// CPU request per pod, millicores.
    pub cpu_m: u32,
    /// Memory request per pod, MiB.
    pub memory_mib: u32,
    /// The container image's tag (a ROLLOUT bumps it).
    pub image: u32,
    /// spec.strategy.
    pub strategy: DeploymentStrategy,
    /// spec.revisionHistoryLimit: old ReplicaSets kept with zero replicas.
    pub revision_history_limit: u32,
    /// The containers crash (the FAULT gate): running ones exit with code 1, new ones fail
    /// to start.
    pub fault: bool,
    /// The pod template's scheduling constraints.
    pub scheduling: SchedulingSpec,
}

impl Default for DeploymentSpec {
    fn default() -> Self {
        DeploymentSpec {
            replicas: 1,
            cpu_m: 100,
            memory_mib: 128,
            image: 0,
            strategy: DeploymentStrategy::default(),
            revision_history_limit: REVISION_HISTORY_LIMIT,
            fault: false,
            scheduling: SchedulingSpec::default(),
        }
    }
}

impl DeploymentSpec {
    /// A spec with these replicas and requests and defaults for the rest.
    pub fn new(replicas: u32, cpu_m: u32, memory_mib: u32) -> DeploymentSpec {
        DeploymentSpec {
            replicas,
            cpu_m,
            memory_mib,
            ..DeploymentSpec::default()
        }
    }

    /// The pod template the spec describes.
    pub fn template(&self) -> PodTemplate {
        PodTemplate {
            cpu_m: self.cpu_m,
            memory_mib: self.memory_mib,
            image: self.image,
            scheduling: self.scheduling,
        }
    }
}

/// Most ReplicaSets one Deployment holds (the revision history plus those still scaling).
pub const MAX_REPLICA_SETS: usize = 16;

/// A ReplicaSet of a Deployment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicaSet {
    /// The pod-template-hash (part of its name).
    pub hash: u32,
    /// The deployment.kubernetes.io/revision annotation.
    pub revision: u32,
    /// The pod template.
    pub template: PodTemplate,
    /// spec.replicas, set by the Deployment controller.
    pub replicas: u32,
    /// Active pods (status.replicas without terminating ones).
    pub active: u32,
    /// Ready active pods (availableReplicas; minReadySeconds is 0).
    pub ready: u32,
    /// Pods that exist, terminating ones included.
    pub pods: u32,
    /// Creation time.
    pub created: f64,
}

impl ReplicaSet {
    /// The ReplicaSet's name.
    pub fn name(&self, owner: u32) -> ObjectName {
        ObjectName {
            kind: ObjectKind::ReplicaSet,
            owner,
            revision: self.hash,
            id: 0,
        }
    }
}

/// A Deployment with its ReplicaSets.
#[derive(Debug, Clone, Copy)]
pub struct Deployment {
    /// Metadata.
    pub meta: ObjectMeta,
    /// The desired state as last applied by its module.
    pub spec: DeploymentSpec,
    /// spec.template of the Deployment object (differs from `spec` after a rollback).
    pub template: PodTemplate,
    /// The ReplicaSets, in creation order.
    pub replica_sets: [ReplicaSet; MAX_REPLICA_SETS],
    /// ReplicaSets that exist.
    pub rs_len: u32,
    /// Active pods (not terminating) over all ReplicaSets.
    pub active: u32,
    /// Ready active pods.
    pub ready: u32,
    /// Pods created so far.
    pub created_total: u32,
    /// Pods that became Ready so far.
    pub ready_total: u32,
    /// Pods deleted so far.
    pub deleted_total: u32,
    /// Oldest pod (intrusive list through `Pod::owner_next`).
    pub first_pod: u32,
    /// Newest pod.
    pub last_pod: u32,
}

impl Deployment {
    /// The Deployment's name.
    pub fn name(owner: u32) -> ObjectName {
        ObjectName {
            kind: ObjectKind::Deployment,
            owner,
            revision: 0,
            id: 0,
        }
    }

    /// The ReplicaSets that exist.
    pub fn replica_sets(&self) -> &[ReplicaSet] {
        &self.replica_sets[..self.rs_len as usize]
    }

    /// The ReplicaSet whose template is the Deployment's (the new ReplicaSet), if any.
    pub fn new_replica_set(&self) -> Option<&ReplicaSet> {
        let hash = self.template.hash();
        self.replica_sets().iter().find(|rs| rs.hash == hash)
    }

    /// status.updatedReplicas: active pods of the new ReplicaSet.
    pub fn updated_replicas(&self) -> u32 {
        self.new_replica_set().map_or(0, |rs| rs.active)
    }

    /// The revision of the new ReplicaSet (0 before it exists).
    pub fn revision(&self) -> u32 {
        self.new_replica_set().map_or(0, |rs| rs.revision)
    }
}

/// A Job's desired state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobSpec {
    /// spec.completions: successful pods needed.
    pub completions: u32,
    /// spec.parallelism: most pods running at once.
    pub parallelism: u32,
    /// spec.backoffLimit: failures tolerated.
    pub backoff_limit: u32,
    /// spec.activeDeadlineSeconds, if set.
    pub active_deadline_seconds: Option<f64>,
    /// The pod template's restartPolicy (OnFailure or Never; Always is treated as OnFailure,
    /// which the API would reject).
    pub restart_policy: RestartPolicy,
    /// CPU request per pod, millicores.
    pub cpu_m: u32,
    /// Memory request per pod, MiB.
    pub memory_mib: u32,
    /// Extended-resource request per pod, `manawell.io/<essence>`.
    pub mana: Mana,
    /// The pod template's resource claim (each pod gets its own).
    pub claim: super::device_specs::PodClaim,
    /// Seconds a container runs before it exits 0.
    pub run_seconds: f64,
    /// The containers crash: they exit with code 1 shortly after starting.
    pub fault: bool,
    /// The pod template's priority and constraints.
    pub scheduling: SchedulingSpec,
    /// Kueue's labels: the queue and the WorkloadPriorityClass.
    pub queueing: JobQueueing,
}

impl Default for JobSpec {
    /// upstream defaults: one completion, parallelism 1, backoffLimit 6, no deadline.
    fn default() -> Self {
        JobSpec {
            completions: 1,
            parallelism: 1,
            backoff_limit: 6,
            active_deadline_seconds: None,
            restart_policy: RestartPolicy::Never,
            cpu_m: 100,
            memory_mib: 128,
            mana: Mana::NONE,
            claim: super::device_specs::PodClaim::NONE,
            run_seconds: 10.0,
            fault: false,
            scheduling: SchedulingSpec::default(),
            queueing: JobQueueing::NONE,
        }
    }
}

/// Why a Job failed (the reason of its Failed condition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobFailureReason {
    /// More failures than spec.backoffLimit.
    BackoffLimitExceeded,
    /// Active longer than spec.activeDeadlineSeconds.
    DeadlineExceeded,
}

/// A Job's terminal condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobCondition {
    /// Condition Complete=True.
    Complete,
    /// Condition Failed=True, with its reason.
    Failed(JobFailureReason),
}

/// Most Jobs a world holds at once.
pub const MAX_JOBS: usize = 256;

/// A Job.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    /// Metadata.
    pub meta: ObjectMeta,
    /// The desired state.
    pub spec: JobSpec,
    /// status.startTime.
    pub start_time: f64,
    /// status.active: pods neither finished nor terminating.
    pub active: u32,
    /// status.ready.
    pub ready: u32,
    /// status.succeeded.
    pub succeeded: u32,
    /// status.failed.
    pub failed: u32,
    /// The terminal condition, once reached.
    pub condition: Option<JobCondition>,
    /// Failures since the last success (the pod creation backoff's exponent).
    pub consecutive_failures: u32,
    /// Pod creation waits until then (the controller's backoff after failures).
    pub next_create_at: f64,
    /// spec.suspend: no pods run (a queued Job until Kueue admits it, or after an eviction).
    pub suspended: bool,
    /// Its Kueue Workload's id (`NONE`: none).
    pub workload: u32,
    /// When Kueue first admitted it.
    pub admitted_at: Option<f64>,
    /// Times Kueue admitted it.
    pub admissions: u32,
    /// Times it was suspended by an eviction (preemption).
    pub preemptions: u32,
    /// Oldest pod (intrusive list through `Pod::owner_next`).
    pub first_pod: u32,
    /// Newest pod.
    pub last_pod: u32,
}

impl Job {
    /// The Job's name.
    pub fn name(id: u32) -> ObjectName {
        ObjectName {
            kind: ObjectKind::Job,
            owner: id,
            revision: 0,
            id: 0,
        }
    }

    pub(super) fn new(meta: ObjectMeta, spec: JobSpec, now: f64) -> Job {
        Job {
            meta,
            spec,
            start_time: now,
            active: 0,
            ready: 0,
            succeeded: 0,
            failed: 0,
            condition: None,
            consecutive_failures: 0,
            next_create_at: now,
            suspended: spec.queueing.is_queued(),
            workload: NONE,
            admitted_at: None,
            admissions: 0,
            preemptions: 0,
            first_pod: NONE,
            last_pod: NONE,
        }
    }
}
