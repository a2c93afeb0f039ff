//! The API objects of the world: nodes, pods, node pools, Deployments.

use super::constraints::{SchedulingSpec, TaintEffect};
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
    /// Pods bound here.
    pub pod_count: u32,
    /// The Ready condition.
    pub ready: bool,
    /// spec.unschedulable (cordoned).
    pub unschedulable: bool,
    /// Label `topology.kubernetes.io/zone`, 1-based (0 = unlabelled).
    pub zone: u8,
    /// The `kuberack.io/dedicated` taint's effect.
    pub taint: TaintEffect,
    /// First pod bound here (intrusive list through `Pod::node_next`).
    pub first_pod: u32,
    /// Last pod bound here.
    pub last_pod: u32,
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
    /// Tag of the owning Deployment.
    pub owner: u32,
    /// Template revision of the owning ReplicaSet.
    pub template_revision: u32,
    /// CPU request in millicores.
    pub cpu_m: u32,
    /// Memory request in MiB.
    pub memory_mib: u32,
    /// Lifecycle state.
    pub state: PodState,
    /// The Ready condition.
    pub ready: bool,
    /// Simulated time the pod became Ready.
    pub ready_since: f64,
    /// deletionTimestamp is set: terminating gracefully.
    pub terminating: bool,
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
    /// The pod's name.
    pub fn name(&self) -> ObjectName {
        ObjectName {
            kind: ObjectKind::Pod,
            owner: self.owner,
            revision: self.template_revision,
            id: self.meta.uid,
        }
    }

    /// Counted by the ReplicaSet controller (not terminating, not finished).
    pub fn is_active(&self) -> bool {
        !self.terminating && !matches!(self.state, PodState::Succeeded | PodState::Failed)
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
}

/// The most nodes one pool holds (one per poly channel).
pub const MAX_POOL_NODES: usize = 16;

/// A pool of nodes in the world.
#[derive(Debug, Clone, Copy)]
pub struct NodePool {
    /// The desired state.
    pub spec: NodePoolSpec,
    /// Node indices, by ordinal.
    pub nodes: [u32; MAX_POOL_NODES],
    /// Nodes that exist.
    pub len: u32,
}

/// A DEPLOYMENT module's desired state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeploymentSpec {
    /// spec.replicas.
    pub replicas: u32,
    /// CPU request per pod, millicores.
    pub cpu_m: u32,
    /// Memory request per pod, MiB.
    pub memory_mib: u32,
    /// The pod template's scheduling constraints.
    pub scheduling: SchedulingSpec,
}

/// A Deployment with its one ReplicaSet.
#[derive(Debug, Clone, Copy)]
pub struct Deployment {
    /// Metadata.
    pub meta: ObjectMeta,
    /// The desired state.
    pub spec: DeploymentSpec,
    /// Template revision of the current ReplicaSet.
    pub template_revision: u32,
    /// Active pods (not terminating).
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
}
