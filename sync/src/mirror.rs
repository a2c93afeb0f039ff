//! Maps real pod and node transitions, as seen by the watchers, to KubeRack world events.

use k8s_openapi::api::core::v1::{Node, Pod};
pub use kuberack_core::live::MirrorKind;
use kuberack_core::world::events::EventKind;

/// The facts about a pod whose changes are events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodFacts {
    /// spec.nodeName is set.
    pub scheduled: bool,
    /// The PodScheduled condition is False with reason Unschedulable.
    pub unschedulable: bool,
    /// status.phase is Running.
    pub running: bool,
    /// The Ready condition is True.
    pub ready: bool,
    /// metadata.deletionTimestamp is set.
    pub terminating: bool,
    /// Evicted (status.reason Evicted, or a DisruptionTarget condition other than preemption).
    pub evicted: bool,
    /// Preempted by the scheduler.
    pub preempted: bool,
    /// status.phase is Failed.
    pub failed: bool,
    /// The CPU it holds on its node, millicores: its effective request while bound and not
    /// finished (Succeeded or Failed), else 0.
    pub cpu_requested_m: u64,
    /// spec.nodeName, empty while unbound.
    pub node: String,
}

impl PodFacts {
    /// Reads the facts off a pod object.
    pub fn of(pod: &Pod) -> PodFacts {
        let status = pod.status.as_ref();
        let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("");
        let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
        let cond = |ty: &str| conditions.iter().find(|c| c.type_ == ty);
        let disruption = cond("DisruptionTarget")
            .filter(|c| c.status == "True")
            .and_then(|c| c.reason.as_deref());
        let preempted = disruption == Some("PreemptionByScheduler");
        let evicted = status.and_then(|s| s.reason.as_deref()) == Some("Evicted")
            || (disruption.is_some() && !preempted);
        let bound = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_ref())
            .is_some();
        PodFacts {
            scheduled: bound,
            unschedulable: cond("PodScheduled").is_some_and(|c| {
                c.status == "False" && c.reason.as_deref() == Some("Unschedulable")
            }),
            running: phase == "Running",
            ready: cond("Ready").is_some_and(|c| c.status == "True"),
            terminating: pod.metadata.deletion_timestamp.is_some(),
            evicted,
            preempted,
            failed: phase == "Failed",
            cpu_requested_m: if bound && phase != "Succeeded" && phase != "Failed" {
                crate::summary::pod_cpu_request(pod)
            } else {
                0
            },
            node: pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .unwrap_or_default(),
        }
    }
}

/// The events between two observations of one pod (`None` = absent), in lifecycle order.
pub fn pod_transitions(
    old: Option<&PodFacts>,
    new: Option<&PodFacts>,
    mut emit: impl FnMut(MirrorKind),
) {
    use EventKind::*;
    let world = |k| MirrorKind::World(k);
    let Some(new) = new else {
        if old.is_some() {
            emit(world(PodDeleted));
        }
        return;
    };
    let blank = PodFacts::default();
    let old = old.unwrap_or_else(|| {
        emit(world(PodCreated));
        &blank
    });
    let rose = |f: fn(&PodFacts) -> bool| f(new) && !f(old);
    if rose(|p| p.unschedulable) {
        emit(world(PodFailedScheduling));
    }
    if rose(|p| p.scheduled) {
        emit(world(PodScheduled));
    }
    if rose(|p| p.running) {
        emit(world(PodRunning));
    }
    if rose(|p| p.ready) {
        emit(world(PodReady));
    }
    if rose(|p| p.preempted) {
        emit(MirrorKind::PodPreempted);
    } else if rose(|p| p.evicted) {
        emit(world(PodEvicted));
    } else if rose(|p| p.failed) && !new.evicted && !new.preempted {
        emit(MirrorKind::PodFailed);
    }
    if rose(|p| p.terminating) {
        emit(world(PodTerminating));
    }
}

/// The facts about a node whose changes are events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeFacts {
    /// The Ready condition is True.
    pub ready: bool,
    /// spec.unschedulable (cordoned).
    pub cordoned: bool,
    /// status.allocatable cpu, millicores.
    pub cpu_allocatable_m: u64,
    /// The NODE module whose pool it is: the id in its `kuberack.io/module=node-<id>`
    /// label (0: none).
    pub pool: u64,
    /// metadata.labels, for the NODEs' pool selectors.
    pub labels: std::collections::BTreeMap<String, String>,
}

impl NodeFacts {
    /// Reads the facts off a node object.
    pub fn of(node: &Node) -> NodeFacts {
        let ready = node
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
            .is_some_and(|c| c.status == "True");
        NodeFacts {
            ready,
            cordoned: node
                .spec
                .as_ref()
                .and_then(|s| s.unschedulable)
                .unwrap_or(false),
            cpu_allocatable_m: crate::summary::node_cpu_allocatable(node),
            pool: node
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(crate::labels::MODULE_KEY))
                .and_then(|tag| tag.strip_prefix("node-"))
                .and_then(|id| id.parse().ok())
                .unwrap_or(0),
            labels: node.metadata.labels.clone().unwrap_or_default(),
        }
    }
}

/// The events between two observations of one node (`None` = absent).
pub fn node_transitions(
    old: Option<&NodeFacts>,
    new: Option<&NodeFacts>,
    mut emit: impl FnMut(MirrorKind),
) {
    use EventKind::*;
    let world = MirrorKind::World;
    let Some(new) = new else {
        if old.is_some() {
            emit(world(NodeDeleted));
        }
        return;
    };
    let blank = NodeFacts::default();
    let old = old.unwrap_or_else(|| {
        emit(world(NodeAdded));
        &blank
    });
    if new.ready && !old.ready {
        emit(world(NodeReady));
    }
    if new.cordoned != old.cordoned {
        emit(world(if new.cordoned {
            NodeCordoned
        } else {
            NodeUncordoned
        }));
    }
}

/// The Rack module id in a `kuberack.io/module` label value such as `deployment-42`.
pub fn module_of(tag: &str) -> Option<u64> {
    tag.rsplit_once('-')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodCondition, PodSpec, PodStatus};
    use EventKind::*;

    fn events(old: Option<&PodFacts>, new: Option<&PodFacts>) -> Vec<MirrorKind> {
        let mut v = Vec::new();
        pod_transitions(old, new, |k| v.push(k));
        v
    }

    fn w(k: EventKind) -> MirrorKind {
        MirrorKind::World(k)
    }

    fn condition(ty: &str, status: &str, reason: Option<&str>) -> PodCondition {
        PodCondition {
            type_: ty.into(),
            status: status.into(),
            reason: reason.map(Into::into),
            ..Default::default()
        }
    }

    fn pod(node: Option<&str>, phase: &str, conditions: Vec<PodCondition>) -> Pod {
        Pod {
            spec: Some(PodSpec {
                node_name: node.map(Into::into),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some(phase.into()),
                conditions: Some(conditions),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_pod_starting_up_walks_the_simulated_lifecycle() {
        let pending = PodFacts::of(&pod(None, "Pending", vec![]));
        let bound = PodFacts::of(&pod(Some("n1"), "Pending", vec![]));
        let running = PodFacts::of(&pod(Some("n1"), "Running", vec![]));
        let ready = PodFacts::of(&pod(
            Some("n1"),
            "Running",
            vec![condition("Ready", "True", None)],
        ));
        assert_eq!(events(None, Some(&pending)), vec![w(PodCreated)]);
        assert_eq!(events(Some(&pending), Some(&bound)), vec![w(PodScheduled)]);
        assert_eq!(events(Some(&bound), Some(&running)), vec![w(PodRunning)]);
        assert_eq!(events(Some(&running), Some(&ready)), vec![w(PodReady)]);
        assert_eq!(events(Some(&ready), Some(&ready)), vec![]);
        assert_eq!(events(Some(&ready), None), vec![w(PodDeleted)]);
        // Seen for the first time already ready (e.g. after a relist): every step at once.
        assert_eq!(
            events(None, Some(&ready)),
            vec![w(PodCreated), w(PodScheduled), w(PodRunning), w(PodReady)]
        );
    }

    #[test]
    fn unschedulable_failed_evicted_and_preempted_pods() {
        let pending = PodFacts::of(&pod(None, "Pending", vec![]));
        let unsched = PodFacts::of(&pod(
            None,
            "Pending",
            vec![condition("PodScheduled", "False", Some("Unschedulable"))],
        ));
        assert_eq!(
            events(Some(&pending), Some(&unsched)),
            vec![w(PodFailedScheduling)]
        );

        let running = PodFacts::of(&pod(Some("n"), "Running", vec![]));
        let failed = PodFacts::of(&pod(Some("n"), "Failed", vec![]));
        assert_eq!(
            events(Some(&running), Some(&failed)),
            vec![MirrorKind::PodFailed]
        );

        let mut evicted_pod = pod(Some("n"), "Failed", vec![]);
        evicted_pod.status.as_mut().unwrap().reason = Some("Evicted".into());
        let evicted = PodFacts::of(&evicted_pod);
        assert_eq!(events(Some(&running), Some(&evicted)), vec![w(PodEvicted)]);

        let preempted = PodFacts::of(&pod(
            Some("n"),
            "Failed",
            vec![condition(
                "DisruptionTarget",
                "True",
                Some("PreemptionByScheduler"),
            )],
        ));
        assert_eq!(
            events(Some(&running), Some(&preempted)),
            vec![MirrorKind::PodPreempted]
        );

        let api_evicted = PodFacts::of(&pod(
            Some("n"),
            "Running",
            vec![condition(
                "DisruptionTarget",
                "True",
                Some("EvictionByEvictionAPI"),
            )],
        ));
        assert_eq!(
            events(Some(&running), Some(&api_evicted)),
            vec![w(PodEvicted)]
        );
    }

    #[test]
    fn deletion_timestamp_is_terminating() {
        let running = PodFacts::of(&pod(Some("n"), "Running", vec![]));
        let mut p = pod(Some("n"), "Running", vec![]);
        p.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            Default::default(),
        ));
        let terminating = PodFacts::of(&p);
        assert_eq!(
            events(Some(&running), Some(&terminating)),
            vec![w(PodTerminating)]
        );
    }

    #[test]
    fn node_transitions_match_the_world() {
        let mut v = Vec::new();
        let not_ready = NodeFacts::default();
        let ready = NodeFacts {
            ready: true,
            ..NodeFacts::default()
        };
        let cordoned = NodeFacts {
            cordoned: true,
            ..ready.clone()
        };
        node_transitions(None, Some(&not_ready), |k| v.push(k));
        node_transitions(Some(&not_ready), Some(&ready), |k| v.push(k));
        node_transitions(Some(&ready), Some(&cordoned), |k| v.push(k));
        node_transitions(Some(&cordoned), Some(&ready), |k| v.push(k));
        node_transitions(Some(&ready), None, |k| v.push(k));
        assert_eq!(
            v,
            vec![
                w(NodeAdded),
                w(NodeReady),
                w(NodeCordoned),
                w(NodeUncordoned),
                w(NodeDeleted)
            ]
        );
    }

    #[test]
    fn module_ids_come_from_the_module_label() {
        assert_eq!(
            module_of("deployment-5729140385501862"),
            Some(5729140385501862)
        );
        assert_eq!(module_of("deployment"), None);
        assert_eq!(module_of("deployment-x"), None);
    }
}
