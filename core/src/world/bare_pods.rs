//! Bare pods: pods a POD module creates and deletes by hand, with no controller behind them.
//! A bare pod that the system removes (eviction) stays gone, as in Kubernetes: nothing
//! recreates it until its module asks again.

use super::constraints::SchedulingSpec;
use super::controllers::PodOwner;
use super::events::EventKind;
use super::mana::Mana;
use super::objects::*;
use super::World;

/// What a POD module asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BarePodSpec {
    /// CPU request, millicores.
    pub cpu_m: u32,
    /// Memory request, MiB.
    pub memory_mib: u32,
    /// Bumped by the module on each rising edge of its gate: a new pod is created once per
    /// incarnation.
    pub incarnation: u32,
    /// The container crashes (the FAULT gate): a running one exits with code 1, a new one
    /// fails to start.
    pub fault: bool,
}

/// The world's record of a POD module's pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarePod {
    /// Slab index of the current pod (check `uid`).
    pub pod: u32,
    /// uid of the current pod.
    pub uid: u64,
    /// Incarnation the current pod was created for.
    pub incarnation: u32,
    /// The module deleted it (gate low).
    pub deleted: bool,
    /// The module's FAULT gate is high.
    pub fault: bool,
}

/// A bare pod as its module sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarePodStatus {
    /// No pod (never created, or deleted and gone).
    None,
    /// Phase Pending (unscheduled, bound, or creating containers).
    Pending,
    /// Phase Running; `ready` is the Ready condition.
    Running {
        /// The Ready condition.
        ready: bool,
    },
    /// Terminating gracefully.
    Terminating,
    /// Removed by the system (evicted) while its module still wants it.
    Failed,
}

impl World {
    /// Makes the POD module `tag`'s pod exist: creates it when `spec.incarnation` is new.
    pub fn apply_pod(&mut self, tag: u32, spec: BarePodSpec) {
        self.apply_pod_with_scheduling(tag, spec, SchedulingSpec::default());
    }

    /// [`World::apply_pod`] for a pod with priority, tolerations, selectors and constraints
    /// (a bare pod: no default topology spread).
    pub fn apply_pod_with_scheduling(
        &mut self,
        tag: u32,
        spec: BarePodSpec,
        scheduling: SchedulingSpec,
    ) {
        let Some(record) = self.bare_pods.get(tag as usize).copied() else {
            return;
        };
        if let Some(r) = record.filter(|r| r.incarnation == spec.incarnation) {
            self.set_bare_pod_fault(tag, r, spec.fault);
            return;
        }
        if self.pods.is_full() {
            self.stats.pods_refused += 1;
            return;
        }
        let meta = self.new_meta();
        let owner = PodOwner {
            kind: OwnerKind::Bare,
            id: tag,
            template_hash: 0,
            restart_policy: RestartPolicy::Always,
            cpu_m: spec.cpu_m,
            memory_mib: spec.memory_mib,
            mana: Mana::NONE,
            claim: super::device_specs::PodClaim::NONE,
            scheduling: SchedulingSpec {
                default_spread: false,
                ..scheduling
            },
        };
        let pod = owner.new_pod(meta, NONE);
        let Some(index) = self.pods.insert(pod) else {
            return;
        };
        self.bare_pods[tag as usize] = Some(BarePod {
            pod: index,
            uid: meta.uid,
            incarnation: spec.incarnation,
            deleted: false,
            fault: spec.fault,
        });
        self.stats.pods_created += 1;
        self.pending += 1;
        self.write(EventKind::PodCreated, pod.name(), None, 0);
        self.enqueue_active(index);
    }

    /// Records a POD module's FAULT gate; on its rising edge a running container crashes.
    fn set_bare_pod_fault(&mut self, tag: u32, record: BarePod, fault: bool) {
        if record.fault == fault {
            return;
        }
        if let Some(Some(r)) = self.bare_pods.get_mut(tag as usize) {
            r.fault = fault;
        }
        let alive = self
            .pods
            .get(record.pod)
            .is_some_and(|p| p.meta.uid == record.uid);
        if fault && alive {
            self.crash_containers(record.pod);
        }
    }

    /// Whether the POD module `tag` asks its container to crash.
    pub(super) fn bare_pod_faulty(&self, tag: u32) -> bool {
        matches!(self.bare_pods.get(tag as usize), Some(Some(r)) if r.fault)
    }

    /// Deletes the POD module `tag`'s pod gracefully (its gate went low).
    pub fn delete_pod(&mut self, tag: u32) {
        let Some(Some(record)) = self.bare_pods.get(tag as usize).copied() else {
            return;
        };
        if record.deleted {
            return;
        }
        if let Some(r) = self.bare_pods[tag as usize].as_mut() {
            r.deleted = true;
        }
        if self.live_bare_pod(record).is_some() {
            self.begin_termination(record.pod);
        }
    }

    /// Deletes the pod and forgets the module (it left the cluster).
    pub fn forget_pod(&mut self, tag: u32) {
        self.delete_pod(tag);
        if let Some(r) = self.bare_pods.get_mut(tag as usize) {
            *r = None;
        }
    }

    /// The pod the POD module `tag` stands for, if it still exists.
    pub fn bare_pod(&self, tag: u32) -> Option<&Pod> {
        let record = (*self.bare_pods.get(tag as usize)?)?;
        self.live_bare_pod(record)
    }

    /// What the POD module `tag` shows.
    pub fn bare_pod_status(&self, tag: u32) -> BarePodStatus {
        let Some(Some(record)) = self.bare_pods.get(tag as usize).copied() else {
            return BarePodStatus::None;
        };
        match self.live_bare_pod(record) {
            None if record.deleted => BarePodStatus::None,
            None => BarePodStatus::Failed,
            Some(p) if p.terminating => BarePodStatus::Terminating,
            Some(p) if p.state == PodState::Running => BarePodStatus::Running { ready: p.ready },
            Some(p) if p.state == PodState::Failed => BarePodStatus::Failed,
            Some(_) => BarePodStatus::Pending,
        }
    }

    fn live_bare_pod(&self, record: BarePod) -> Option<&Pod> {
        self.pods
            .get(record.pod)
            .filter(|p| p.meta.uid == record.uid)
    }
}
