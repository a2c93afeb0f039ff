//! The API objects of the world: nodes, pods and node pools (workloads are in `workloads`).

use super::constraints::{SchedulingSpec, TaintEffect};
use super::device_specs::PodClaim;
use super::mana::Mana;
use super::names::{ObjectKind, ObjectName};

/// Index meaning "none" in the world's intrusive lists and references.
pub const NONE: u32 = u32::MAX;

/// Metadata every API object has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObjectMeta {
    /// Unique id, never reused within a world.
    pub uid: u64,
    /// Revision of the object's last write (its resourceVersion).
    pub resource_version: u64,
    /// Simulated time of creation, in seconds.
    pub creation_time: f64,
}

/// A node: capacity for pods.
#[derive(Debug, Clone, Copy)]
pub struct Node {
    /// Metadata.
    pub meta: ObjectMeta,
    /// Tag of the pool (NODE module) the node belongs to.
    pub pool: u32,
    /// Ordinal within the pool (the name suffix).
    pub ordinal: u32,
    /// Allocatable CPU in millicores.
    pub allocatable_cpu_m: u32,
    /// Allocatable memory in MiB.
    pub allocatable_memory_mib: u32,
    /// Allocatable pod count.
    pub allocatable_pods: u32,
    /// CPU requested by pods bound here (terminating ones included), millicores.
    pub requested_cpu_m: u32,
    /// Memory requested by pods bound here, MiB.
    pub requested_memory_mib: u32,
    /// Allocatable `manawell.io/<essence>`; a non-zero essence also labels the node
    /// `energy=<essence>` and taints it `energy=<essence>:NoSchedule`.
    pub mana: Mana,
    /// Mana requested by pods bound here.
    pub requested_mana: u32,
    /// Pods bound here.
    pub pod_count: u32,
    /// The Ready condition.
    pub ready: bool,
    /// The kubelet stopped posting status (its heartbeat is silent).
    pub kubelet_silent: bool,
    /// When the kubelet last posted status while silent (its last heartbeat).
    pub last_heartbeat: f64,
    /// spec.unschedulable (cordoned).
    pub unschedulable: bool,
    /// Label `topology.kubernetes.io/zone`, 1-based (0 = unlabelled).
    pub zone: u8,
    /// The `kuberack.io/dedicated` taint's effect.
    pub taint: TaintEffect,
    /// Its NODE's own labels and taints (an interned id; 0 = none).
    pub terms: u16,
    /// Where its pool's devices for it are in the world's device tables
    /// (`scheduler::NO_DEVICE_SLOT`: its pool declares none).
    pub device_slot: u8,
    /// First pod bound here (intrusive list through `Pod::node_next`).
    pub first_pod: u32,
    /// Last pod bound here.
    pub last_pod: u32,
    /// Previous node of the same pool (intrusive list, `NONE` at the head).
    pub pool_prev: u32,
    /// Next node of the same pool.
    pub pool_next: u32,
}

impl Node {
    /// The node's name.
    pub fn name(&self) -> ObjectName {
        ObjectName {
            kind: ObjectKind::Node,
            owner: self.pool,
            revision: 0,
            id: u64::from(self.ordinal),
        }
    }

    /// CPU requested over allocatable, 0..1.
    pub fn cpu_utilisation(&self) -> f32 {
        if self.allocatable_cpu_m == 0 {
            0.0
        } else {
            (self.requested_cpu_m as f32 / self.allocatable_cpu_m as f32).min(1.0)
        }
    }
}

/// Where a pod is in its lifecycle (the phase, with the Pending phase split as kubectl shows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodState {
    /// Phase Pending, not yet bound to a node.
    Unscheduled,
    /// Phase Pending, bound; the kubelet has not yet picked it up.
    Bound,
    /// Phase Pending, the kubelet is pulling images and creating containers.
    ContainerCreating,
    /// Phase Running.
    Running,
    /// Phase Succeeded.
    Succeeded,
    /// Phase Failed.
    Failed,
}

impl PodState {
    /// The Kubernetes pod phase.
    pub const fn phase(self) -> &'static str {
        match self {
            PodState::Unscheduled | PodState::Bound | PodState::ContainerCreating => "Pending",
            PodState::Running => "Running",
            PodState::Succeeded => "Succeeded",
            PodState::Failed => "Failed",
        }
    }
}

/// The state of a pod's (single) container, as in `containerStatuses[].state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    /// Not running: being created, or waiting out a restart backoff (CrashLoopBackOff).
    Waiting,
    /// Running.
    Running,
    /// Exited (its exit code is in the ContainerDied event).
    Terminated,
}

/// spec.restartPolicy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    /// Restart on any exit (Deployment pods).
    Always,
    /// Restart on a non-zero exit; a zero exit completes the pod.
    OnFailure,
    /// Never restart: the pod ends Succeeded or Failed with its container.
    Never,
}

/// The kind of controller that owns a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    /// A ReplicaSet of a Deployment; `Pod::owner` is the Deployment's tag.
    Deployment,
    /// A Job; `Pod::owner` is the Job's id.
    Job,
    /// No controller: a bare pod of a POD module; `Pod::owner` is the module's tag.
    Bare,
}

/// Where an unbound pod waits in the scheduling queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueState {
    /// Not queued (bound, or terminating).
    None,
    /// In activeQ, to be tried next.
    Active,
    /// In backoffQ until its backoff expires.
    Backoff,
    /// Among the unschedulable pods, until the cluster changes.
    Unschedulable,
}

/// A pod.
#[derive(Debug, Clone, Copy)]
pub struct Pod {
    /// Metadata.
    pub meta: ObjectMeta,
    /// What kind of controller owns the pod.
    pub owner_kind: OwnerKind,
    /// Tag of the owning Deployment, or id of the owning Job.
    pub owner: u32,
    /// pod-template-hash of the owning ReplicaSet (0 for Job pods).
    pub template_hash: u32,
    /// spec.restartPolicy.
    pub restart_policy: RestartPolicy,
    /// CPU request in millicores.
    pub cpu_m: u32,
    /// Memory request in MiB.
    pub memory_mib: u32,
    /// Extended-resource request `manawell.io/<essence>`.
    pub mana: Mana,
    /// Its resource claim (allocated while bound).
    pub claim: PodClaim,
    /// Lifecycle state.
    pub state: PodState,
    /// status.startTime: when the kubelet first acknowledged the pod (None before).
    pub start_time: Option<f64>,
    /// The Ready condition.
    pub ready: bool,
    /// Simulated time the pod became Ready.
    pub ready_since: f64,
    /// The container's state.
    pub container: ContainerState,
    /// restartCount of the container.
    pub restarts: u32,
    /// The container's restart back-off entry, seconds (0 before the first exit).
    pub crash_backoff: f64,
    /// When the container last started.
    pub container_started: f64,
    /// Failed container starts so far (ContainerCreating retries).
    pub start_failures: u32,
    /// deletionTimestamp is set: terminating gracefully.
    pub terminating: bool,
    /// The DisruptionTarget condition with reason PreemptionByScheduler: terminating because
    /// the scheduler preempted it.
    pub preempted: bool,
    /// The taint manager has scheduled its eviction after tolerationSeconds.
    pub toleration_armed: bool,
    /// Which scheduled eviction is current (a cancelled one's timer is stale).
    pub toleration_seq: u16,
    /// Node the pod is bound to, or `NONE`.
    pub node: u32,
    /// Failed scheduling attempts so far.
    pub attempts: u32,
    /// Scheduling queue position.
    pub queue: QueueState,
    /// Priority, tolerations, selectors and constraints.
    pub scheduling: SchedulingSpec,
    /// status.nominatedNodeName: the node preemption freed for this pod, or `NONE`.
    pub nominated_node: u32,
    /// When the current scheduling backoff ends.
    pub backoff_until: f64,
    /// When the pod last entered a scheduling queue.
    pub queued_at: f64,
    /// Sequence number of the pod's one live lifecycle timer.
    pub timer_seq: u32,
    /// Intrusive list of the owner's pods, oldest first.
    pub owner_prev: u32,
    /// Next pod of the same owner.
    pub owner_next: u32,
    /// Intrusive list of the node's pods.
    pub node_prev: u32,
    /// Next pod on the same node.
    pub node_next: u32,
}

impl Pod {
    /// upstream `GetPodStartTime`: status.startTime, else the creation timestamp.
    pub fn start_time_or_creation(&self) -> f64 {
        self.start_time.unwrap_or(self.meta.creation_time)
    }

    /// The pod's name.
    pub fn name(&self) -> ObjectName {
        let kind = match self.owner_kind {
            OwnerKind::Deployment => ObjectKind::Pod,
            OwnerKind::Job => ObjectKind::JobPod,
            OwnerKind::Bare => ObjectKind::BarePod,
        };
        ObjectName {
            kind,
            owner: self.owner,
            revision: self.template_hash,
            id: self.meta.uid,
        }
    }

    /// Counted by the ReplicaSet controller (not terminating, not finished).
    pub fn is_active(&self) -> bool {
        !self.terminating && !self.is_finished()
    }

    /// Phase Succeeded or Failed.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, PodState::Succeeded | PodState::Failed)
    }

    /// In CrashLoopBackOff: Running phase, container waiting to be restarted.
    pub fn is_crash_looping(&self) -> bool {
        self.state == PodState::Running && self.container != ContainerState::Running
    }
}

/// A NODE module's pool: identical nodes, reconciled to its spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodePoolSpec {
    /// Number of nodes.
    pub count: u32,
    /// Allocatable CPU per node, millicores.
    pub cpu_m: u32,
    /// Allocatable memory per node, MiB.
    pub memory_mib: u32,
    /// Allocatable pods per node.
    pub pods: u32,
    /// Every node cordoned.
    pub cordoned: bool,
    /// Zone label of every node, 1-based (0 = unlabelled).
    pub zone: u8,
    /// The `kuberack.io/dedicated` taint on every node.
    pub taint: TaintEffect,
    /// The NODE's own labels and taints on every node (an interned id; 0 = none).
    pub terms: u16,
    /// Mana every node advertises, with its `energy` label and taint (essence 0: none).
    pub mana: Mana,
}

/// The most nodes an autoscaled pool or a pool with devices holds (one per poly channel).
pub const MAX_POOL_NODES: usize = 16;

/// The most nodes a pool its COUNT governs holds (a NODE module standing for a large pool;
/// its poly outputs summarise 16 slices of it).
pub const MAX_POOL_SIZE: usize = 1000;

/// A pool of nodes in the world.
#[derive(Debug, Clone, Copy)]
pub struct NodePool {
    /// The desired state.
    pub spec: NodePoolSpec,
    /// First node of the pool's list (through `Node::pool_next`), or `NONE`.
    pub first: u32,
    /// Last node of the list.
    pub last: u32,
    /// Nodes that exist.
    pub len: u32,
    /// Bumped whenever a node joins or leaves the list.
    pub generation: u32,
    /// The DOWN mask last applied, and the generation it was applied at.
    pub kubelets_down: (u32, u32),
    /// The nodes may not match the spec: the pool controller reconciles it on the next step.
    pub dirty: bool,
}

/// The poly channel (0..16) that the node at `position` of a pool of `len` nodes shows on:
/// its own channel up to 16 nodes, else the contiguous 1/16th slice it falls in.
pub fn pool_channel(position: usize, len: usize) -> usize {
    if len <= MAX_POOL_NODES {
        position
    } else {
        position * MAX_POOL_NODES / len
    }
}
