//! DEPLOYMENT: a Deployment whose ReplicaSets keep `replicas` pods running, rolled out to a
//! new pod template with RollingUpdate or Recreate.

use crate::types::*;

/// Param indices.
pub mod param {
    /// Desired replicas.
    pub const REPLICAS: usize = 0;
    /// CPU request per pod, in units of 10 millicores.
    pub const CPU: usize = 1;
    /// Memory request per pod, in units of 16 MiB.
    pub const MEMORY: usize = 2;
    /// RollingUpdate maxSurge, percent of replicas (rounds up).
    pub const MAX_SURGE: usize = 3;
    /// RollingUpdate maxUnavailable, percent of replicas (rounds down).
    pub const MAX_UNAVAILABLE: usize = 4;
    /// spec.strategy: 0 RollingUpdate, 1 Recreate.
    pub const STRATEGY: usize = 5;
}

/// Input indices.
pub mod input {
    /// The cluster reference.
    pub const API: usize = 0;
    /// Replicas CV.
    pub const REPLICAS: usize = 1;
    /// Trigger: a new pod template (the image tag bumps), rolled out.
    pub const ROLLOUT: usize = 2;
    /// Trigger: back to the previous revision (`kubectl rollout undo`).
    pub const ROLLBACK: usize = 3;
    /// Gate: the containers crash while high.
    pub const FAULT: usize = 4;
}

/// Output indices.
pub mod output {
    /// Ready pods CV.
    pub const READY: usize = 0;
    /// Ready gates per pod (poly).
    pub const GATES: usize = 1;
    /// Trigger per pod created.
    pub const CREATED: usize = 2;
    /// Trigger per pod that became Ready.
    pub const BECAME_READY: usize = 3;
    /// Trigger per pod deleted.
    pub const DELETED: usize = 4;
    /// Rollout progress: updated replicas over replicas.
    pub const PROGRESS: usize = 5;
    /// Reference to the Deployment's selector, for SERVICE.
    pub const SELECTOR: usize = 6;
}

/// Light indices.
pub mod light {
    /// Ready replicas equal desired replicas.
    pub const AVAILABLE: usize = 0;
    /// The ReplicaSet is still converging.
    pub const PROGRESSING: usize = 1;
    /// First per-pod light; eight follow in order.
    pub const POD_FIRST: usize = 2;
    /// Number of per-pod lights.
    pub const POD_COUNT: usize = 8;
}

const A: f32 = 10.16;
const B: f32 = 27.09;
const C: f32 = 44.03;
const D: f32 = 60.96;
const fn pod_x(i: usize) -> f32 {
    35.56 + (i as f32 - 3.5) * 4.0
}

/// The DEPLOYMENT descriptor.
pub static DESCRIPTOR: ModuleDescriptor = ModuleDescriptor {
    slug: "Deployment",
    name: "DEPLOYMENT",
    description: "A Kubernetes Deployment: its ReplicaSets keep the replicas you dial running and roll out new templates, and you hear them come and go",
    tags: &["Sequencer", "Polyphonic", "Random"],
    role: ModuleRole::Member,
    hp: 14,
    params: &[
        knob("REPLICAS", "Replicas", "Desired number of pods (spec.replicas)", 0.0, 5000.0, 3.0, " pods", at(A, 36.0)).snapped(),
        knob("CPU", "CPU request", "CPU each pod requests; a change is a new pod template, rolled out", 1.0, 400.0, 25.0, "m", at(C, 36.0))
            .snapped()
            .display(0.0, 10.0, 0.0),
        knob("MEMORY", "Memory request", "Memory each pod requests; a change is a new pod template, rolled out", 1.0, 512.0, 16.0, " MiB", at(D, 36.0))
            .snapped()
            .display(0.0, 16.0, 0.0),
        knob("MAX_SURGE", "Max surge", "RollingUpdate maxSurge: pods above replicas during a rollout, percent of replicas rounded up", 0.0, 100.0, 25.0, "%", at(A, 54.0)).snapped(),
        knob("MAX_UNAVAILABLE", "Max unavailable", "RollingUpdate maxUnavailable: Ready pods below replicas during a rollout, percent of replicas rounded down (0 and 0 means 1 pod)", 0.0, 100.0, 25.0, "%", at(B, 54.0)).snapped(),
        switch(
            "STRATEGY",
            "Strategy",
            "RollingUpdate replaces pods a few at a time; Recreate deletes every old pod before creating new ones",
            &["RollingUpdate", "Recreate"],
            at(C, 54.0),
        ),
    ],
    inputs: &[
        port(
            "API",
            "API server",
            "Reference from a CLUSTER's API output; unplugging it deletes the Deployment and its pods terminate gracefully",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(A, 72.0),
        ),
        port(
            "REPLICAS",
            "Replicas CV",
            "Added to the REPLICAS knob, with hysteresis so an LFO steps cleanly",
            SignalKind::BipolarCv,
            "1 V per replica",
            1,
            at(B, 36.0),
        ),
        port(
            "ROLLOUT",
            "Rollout",
            "Each trigger bumps the pod template's image tag: a new ReplicaSet, rolled out by the strategy",
            SignalKind::Trigger,
            "rising edge >= 1 V",
            1,
            at(B, 72.0),
        ),
        port(
            "ROLLBACK",
            "Rollback",
            "Each trigger returns the pod template to the previous revision (kubectl rollout undo), rolled out by the strategy",
            SignalKind::Trigger,
            "rising edge >= 1 V",
            1,
            at(C, 72.0),
        ),
        port(
            "FAULT",
            "Fault",
            "While high the containers crash: running ones exit with code 1 at the rising edge, restarted ones crash again after about a second (CrashLoopBackOff), new ones fail to start",
            SignalKind::Gate,
            "high >= 1 V, low <= 0.1 V",
            1,
            at(D, 54.0),
        ),
    ],
    outputs: &[
        port(
            "READY",
            "Ready replicas",
            "Number of Ready pods as a pitch: a semitone per pod",
            SignalKind::UnipolarCv,
            "1/12 V per Ready pod, 10 V at 120",
            1,
            at(A, 90.0),
        ),
        port(
            "GATES",
            "Pod ready gates",
            "A gate per pod (oldest first), high while the pod is Ready",
            SignalKind::Gate,
            "10 V while Ready, a channel per pod, up to 16",
            16,
            at(B, 90.0),
        ),
        port(
            "CREATED",
            "Pod created",
            "A trigger per pod the ReplicaSet creates",
            SignalKind::Trigger,
            "10 V, 1 ms per pod",
            1,
            at(A, 108.0),
        ),
        port(
            "BECAME_READY",
            "Pod ready",
            "A trigger per pod that becomes Ready",
            SignalKind::Trigger,
            "10 V, 1 ms per pod",
            1,
            at(B, 108.0),
        ),
        port(
            "DELETED",
            "Pod deleted",
            "A trigger per pod that is deleted (scale-down, eviction, failure, Deployment removed)",
            SignalKind::Trigger,
            "10 V, 1 ms per pod",
            1,
            at(C, 108.0),
        ),
        port(
            "PROGRESS",
            "Rollout progress",
            "Updated replicas (pods of the newest template) over replicas; 10 V when the rollout has replaced every pod",
            SignalKind::UnipolarCv,
            "10 V x updated / replicas (10 V at 0 replicas)",
            1,
            at(C, 90.0),
        ),
        port(
            "SELECTOR",
            "Selector",
            "The Deployment's label selector (app=<deployment>), for a SERVICE's SELECTOR input",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(D, 90.0),
        ),
    ],
    lights: &[
        light("AVAILABLE", "Available", "Lit when Ready replicas equal desired replicas", LightColor::Green, at(A, 16.0)),
        light("PROGRESSING", "Progressing", "Lit while the ReplicaSets converge or a rollout runs", LightColor::Yellow, at(D, 16.0)),
        light("POD1", "Pod 1", "Bright when pod 1 is Ready, dim while it starts", LightColor::Green, at(pod_x(0), 22.0)),
        light("POD2", "Pod 2", "Bright when pod 2 is Ready, dim while it starts", LightColor::Green, at(pod_x(1), 22.0)),
        light("POD3", "Pod 3", "Bright when pod 3 is Ready, dim while it starts", LightColor::Green, at(pod_x(2), 22.0)),
        light("POD4", "Pod 4", "Bright when pod 4 is Ready, dim while it starts", LightColor::Green, at(pod_x(3), 22.0)),
        light("POD5", "Pod 5", "Bright when pod 5 is Ready, dim while it starts", LightColor::Green, at(pod_x(4), 22.0)),
        light("POD6", "Pod 6", "Bright when pod 6 is Ready, dim while it starts", LightColor::Green, at(pod_x(5), 22.0)),
        light("POD7", "Pod 7", "Bright when pod 7 is Ready, dim while it starts", LightColor::Green, at(pod_x(6), 22.0)),
        light("POD8", "Pod 8", "Bright when pod 8 is Ready, dim while it starts", LightColor::Green, at(pod_x(7), 22.0)),
    ],
    settings: SCHEDULING_SETTINGS,
    status: None,
};

const GROUP: &str = "Pod scheduling";
/// No zone (`""`, labelled by `none`), then zone-a..zone-d.
const fn zones(none: &'static str) -> [SettingChoice; 5] {
    [
        choice(none, "\"\""),
        choice("zone-a", "\"zone-a\""),
        choice("zone-b", "\"zone-b\""),
        choice("zone-c", "\"zone-c\""),
        choice("zone-d", "\"zone-d\""),
    ]
}
const ANY_ZONE: [SettingChoice; 5] = zones("any");
const NO_ZONE: [SettingChoice; 5] = zones("none");
const TOPOLOGY_KEYS: &[SettingChoice] = &[
    choice("kubernetes.io/hostname", "\"kubernetes.io/hostname\""),
    choice(
        "topology.kubernetes.io/zone",
        "\"topology.kubernetes.io/zone\"",
    ),
];

/// The pod template's scheduling settings, saved under `scheduling` (PROTOCOL.md, "DEPLOYMENT
/// scheduling settings"). The priority classes are the world's, with their values.
pub static SCHEDULING_SETTINGS: &[SettingDescriptor] = &[
    setting(
        "scheduling.priorityClassName",
        GROUP,
        "Priority class",
        "priorityClassName: the pods' priority; a pending pod may preempt lower-priority ones",
        &[
            choice("none (0)", "\"\""),
            choice("low (100)", "\"low\""),
            choice("medium (1000)", "\"medium\""),
            choice("high (10000)", "\"high\""),
            choice("system-cluster-critical", "\"system-cluster-critical\""),
            choice("system-node-critical", "\"system-node-critical\""),
        ],
    ),
    setting(
        "scheduling.preemptionPolicy",
        GROUP,
        "Preemption policy",
        "preemptionPolicy: Never keeps the pods from preempting others",
        &[
            choice("PreemptLowerPriority", "\"PreemptLowerPriority\""),
            choice("Never", "\"Never\""),
        ],
    ),
    setting(
        "scheduling.tolerateDedicated",
        GROUP,
        "Tolerate kuberack.io/dedicated",
        "A toleration of the NODE taint kuberack.io/dedicated (operator Exists, every effect)",
        &[choice("No", "false"), choice("Yes", "true")],
    ),
    setting(
        "scheduling.nodeSelectorZone",
        GROUP,
        "Node selector zone",
        "nodeSelector topology.kubernetes.io/zone: only nodes of that zone fit",
        &ANY_ZONE,
    ),
    setting(
        "scheduling.preferredZone",
        GROUP,
        "Preferred zone",
        "A preferred node affinity term (weight 100) on topology.kubernetes.io/zone",
        &NO_ZONE,
    ),
    setting(
        "scheduling.topologySpreadMaxSkew",
        GROUP,
        "Topology spread maxSkew",
        "One topology spread constraint over the Deployment's pods with this maxSkew (none: no constraint)",
        &[
            choice("none", "0"),
            choice("1", "1"),
            choice("2", "2"),
            choice("3", "3"),
            choice("4", "4"),
            choice("5", "5"),
        ],
    ),
    SettingDescriptor {
        default: 1,
        ..setting(
            "scheduling.topologySpreadKey",
            GROUP,
            "Topology spread key",
            "The spread constraint's topologyKey",
            TOPOLOGY_KEYS,
        )
    },
    setting(
        "scheduling.whenUnsatisfiable",
        GROUP,
        "When unsatisfiable",
        "DoNotSchedule filters nodes that would break maxSkew; ScheduleAnyway only scores them lower",
        &[
            choice("DoNotSchedule", "\"DoNotSchedule\""),
            choice("ScheduleAnyway", "\"ScheduleAnyway\""),
        ],
    ),
    setting(
        "scheduling.antiAffinity",
        GROUP,
        "Anti-affinity",
        "Pod anti-affinity to the Deployment's own pods: required (a filter) or preferred (weight 100)",
        &[
            choice("none", "\"none\""),
            choice("required", "\"required\""),
            choice("preferred", "\"preferred\""),
        ],
    ),
    setting(
        "scheduling.antiAffinityTopologyKey",
        GROUP,
        "Anti-affinity key",
        "The anti-affinity term's topologyKey",
        TOPOLOGY_KEYS,
    ),
    POD_TERMS_SETTINGS[0],
    POD_TERMS_SETTINGS[1],
    POD_TERMS_SETTINGS[2],
    POD_TERMS_SETTINGS[3],
    POD_TERMS_SETTINGS[4],
    POD_TERMS_SETTINGS[5],
    POD_TERMS_SETTINGS[6],
];
