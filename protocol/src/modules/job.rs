//! JOB: batch Jobs submitted by trigger, run to completion by the Job controller.

use crate::types::*;

/// Param indices.
pub mod param {
    /// spec.parallelism.
    pub const PARALLELISM: usize = 0;
    /// spec.completions.
    pub const COMPLETIONS: usize = 1;
    /// Seconds each pod runs.
    pub const DURATION: usize = 2;
    /// CPU request per pod, in units of 10 millicores.
    pub const CPU: usize = 3;
    /// Memory request per pod, in units of 16 MiB.
    pub const MEMORY: usize = 4;
    /// spec.backoffLimit.
    pub const BACKOFF: usize = 5;
    /// spec.activeDeadlineSeconds (0 = none).
    pub const DEADLINE: usize = 6;
    /// restartPolicy: Never or OnFailure.
    pub const RESTART: usize = 7;
    /// Priority class of the pods.
    pub const PRIORITY: usize = 8;
}

/// Input indices.
pub mod input {
    /// The cluster reference.
    pub const API: usize = 0;
    /// Submit trigger.
    pub const SUBMIT: usize = 1;
    /// Fault gate.
    pub const FAULT: usize = 2;
    /// A CLUSTERQUEUE's QUEUE output: Jobs go through Kueue.
    pub const QUEUE: usize = 3;
}

/// Output indices.
pub mod output {
    /// Trigger when a Job's first pod runs.
    pub const STARTED: usize = 0;
    /// Trigger when a Job completes.
    pub const FINISHED: usize = 1;
    /// Trigger when a Job fails.
    pub const FAILED: usize = 2;
    /// Gate while any pod runs.
    pub const RUNNING: usize = 3;
    /// Active pods CV.
    pub const ACTIVE: usize = 4;
    /// Wait-time CV.
    pub const WAIT: usize = 5;
    /// Trigger per admission by Kueue.
    pub const ADMITTED: usize = 6;
    /// Trigger per preemption (the Job is suspended and requeued).
    pub const PREEMPTED: usize = 7;
}

/// Light indices.
pub mod light {
    /// A Job waits for its first pod to run.
    pub const WAITING: usize = 0;
    /// Pods run.
    pub const RUNNING: usize = 1;
    /// The last Job completed.
    pub const COMPLETE: usize = 2;
    /// The last Job failed.
    pub const FAILED: usize = 3;
}

const L: f32 = 10.16;
const C: f32 = 30.48;
const R: f32 = 50.8;
const Q: f32 = 71.12;

/// The JOB descriptor.
pub static DESCRIPTOR: ModuleDescriptor = ModuleDescriptor {
    slug: "Job",
    name: "JOB",
    description: "Batch Jobs you submit with a trigger: pods run to completion, parallel, retried, timed out",
    tags: &["Sequencer", "Envelope generator"],
    role: ModuleRole::Member,
    hp: 16,
    params: &[
        knob("PARALLELISM", "Parallelism", "spec.parallelism: most pods of one Job running at once", 1.0, 16.0, 2.0, " pods", at(L, 33.0)).snapped(),
        knob("COMPLETIONS", "Completions", "spec.completions: pods that must succeed", 1.0, 32.0, 4.0, " pods", at(C, 33.0)).snapped(),
        knob("DURATION", "Duration", "Seconds each pod's container runs before it exits 0", 1.0, 300.0, 10.0, " s", at(R, 33.0)),
        knob("CPU", "CPU request", "CPU each pod requests", 1.0, 400.0, 25.0, "m", at(L, 50.0))
            .snapped()
            .display(0.0, 10.0, 0.0),
        knob("MEMORY", "Memory request", "Memory each pod requests", 1.0, 512.0, 16.0, " MiB", at(C, 50.0))
            .snapped()
            .display(0.0, 16.0, 0.0),
        knob("BACKOFF", "Backoff limit", "spec.backoffLimit: failed pods tolerated before the Job fails", 0.0, 10.0, 6.0, "", at(R, 50.0)).snapped(),
        knob("DEADLINE", "Active deadline", "spec.activeDeadlineSeconds: the Job fails when it runs longer (0: no deadline)", 0.0, 600.0, 0.0, " s", at(L, 67.0)).snapped(),
        switch(
            "RESTART",
            "Restart policy",
            "restartPolicy of the pods: Never (a failed pod is replaced) or OnFailure (its container restarts)",
            &["Never", "OnFailure"],
            at(C, 67.0),
        ),
        switch(
            "PRIORITY",
            "Priority class",
            "priorityClassName of the pods: none (0), low (100), medium (1000), high (10000)",
            &["none", "low", "medium", "high"],
            at(R, 67.0),
        ),
    ],
    inputs: &[
        port(
            "API",
            "API server",
            "Reference from a CLUSTER's API output",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(L, 84.0),
        ),
        port(
            "SUBMIT",
            "Submit",
            "Each trigger creates a Job with the knobs' settings (at most 8 of this module's Jobs at once; finished ones are removed 30 s after they end)",
            SignalKind::Trigger,
            "rising edge >= 1 V",
            1,
            at(C, 84.0),
        ),
        port(
            "FAULT",
            "Fault",
            "While high the containers crash: running ones exit with code 1, and failures count against the backoff limit",
            SignalKind::Gate,
            "high >= 1 V, low <= 0.1 V",
            1,
            at(R, 84.0),
        ),
        port(
            "QUEUE",
            "Queue",
            "Reference from a CLUSTERQUEUE's QUEUE output: Jobs are labelled kueue.x-k8s.io/queue-name, created suspended, and run when Kueue admits them (unpatched: they run at once)",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(Q, 84.0),
        ),
    ],
    outputs: &[
        port(
            "STARTED",
            "Started",
            "A trigger when a Job's first pod runs",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(L, 100.0),
        ),
        port(
            "FINISHED",
            "Finished",
            "A trigger when a Job completes (condition Complete)",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(C, 100.0),
        ),
        port(
            "FAILED",
            "Failed",
            "A trigger when a Job fails (backoff limit or deadline exceeded)",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(R, 100.0),
        ),
        port(
            "RUNNING",
            "Running",
            "High while any pod of this module's Jobs runs",
            SignalKind::Gate,
            "10 V while running",
            1,
            at(L, 115.0),
        ),
        port(
            "ACTIVE",
            "Active pods",
            "Active pods of this module's Jobs",
            SignalKind::UnipolarCv,
            "0.5 V per pod, 10 V at 20",
            1,
            at(C, 115.0),
        ),
        port(
            "WAIT",
            "Wait time",
            "How long the latest started Job waited from submission to its first running pod (queueing included)",
            SignalKind::UnipolarCv,
            "1 V per 10 s, 10 V at 100 s",
            1,
            at(R, 115.0),
        ),
        port(
            "ADMITTED",
            "Admitted",
            "A trigger when Kueue admits one of this module's Jobs (it is unsuspended)",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(Q, 100.0),
        ),
        port(
            "PREEMPTED",
            "Preempted",
            "A trigger when one of this module's Jobs is preempted (suspended, its pods deleted, requeued)",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(Q, 115.0),
        ),
    ],
    lights: &[
        light("WAITING", "Waiting", "Lit while a submitted Job has no running pod yet", LightColor::Yellow, at(L, 16.0)),
        light("RUNNING", "Running", "Lit while pods run", LightColor::Green, at(24.0, 16.0)),
        light("COMPLETE", "Complete", "Lit when the latest finished Job completed", LightColor::Blue, at(37.0, 16.0)),
        light("FAILED", "Failed", "Lit when the latest finished Job failed", LightColor::Red, at(R, 16.0)),
    ],
    settings: CLAIM_SETTINGS,
    status: None,
};

const GROUP: &str = "Resource claim";

/// The pod template's resource claim, saved under `resourceClaim` (PROTOCOL.md, "JOB resource
/// claim settings"): each pod gets its own claim on mana wells of a DEVICES pool; and its
/// typed labels, tolerations, nodeSelector and node affinity, saved under `scheduling`.
pub static CLAIM_SETTINGS: &[SettingDescriptor] = &[
    setting(
        "resourceClaim.deviceClassName",
        GROUP,
        "Device class",
        "deviceClassName: the DeviceClass the claim's wells come from (none: pods claim no devices); pods also tolerate that essence's energy taint",
        &[
            choice("none", "\"\""),
            choice("fire.manawell.io", "\"fire.manawell.io\""),
            choice("frost.manawell.io", "\"frost.manawell.io\""),
            choice("arcane.manawell.io", "\"arcane.manawell.io\""),
        ],
    ),
    setting(
        "resourceClaim.count",
        GROUP,
        "Wells",
        "count: how many wells each pod's claim asks for, all on the pod's node",
        &[choice("1", "1"), choice("2", "2"), choice("4", "4")],
    ),
    setting(
        "resourceClaim.mana",
        GROUP,
        "Mana per well",
        "A capacity request: manawell.io/mana each allocated well gives the claim",
        &[
            choice("none", "0"),
            choice("1", "1"),
            choice("2", "2"),
            choice("4", "4"),
            choice("8", "8"),
        ],
    ),
    setting(
        "resourceClaim.accessMode",
        GROUP,
        "Access mode",
        "accessMode: how the claim shares its wells with other claims",
        &[
            choice("ReadWriteExclusive", "\"ReadWriteExclusive\""),
            choice("WriteExclusive", "\"WriteExclusive\""),
            choice("ReadWriteShared", "\"ReadWriteShared\""),
            choice("ReadOnlyShared", "\"ReadOnlyShared\""),
        ],
    ),
    POD_TERMS_SETTINGS[0],
    POD_TERMS_SETTINGS[1],
    POD_TERMS_SETTINGS[2],
    POD_TERMS_SETTINGS[3],
    POD_TERMS_SETTINGS[4],
    POD_TERMS_SETTINGS[5],
    POD_TERMS_SETTINGS[6],
];
