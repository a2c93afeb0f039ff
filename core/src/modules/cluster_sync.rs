//! The CLUSTER hub's side of live-cluster sync: the SYNC switch and gate, the status lights,
//! the desired state handed to the sync thread and the real events heard back. Everything
//! here runs in process() on the audio thread: wait-free queue pushes and pops, atomics, no
//! allocation (all memory is taken at construction).

use std::sync::Arc;

use kuberack_protocol::tag::MAX_TAG;

use super::cluster::JOBS_PER_MODULE;
use super::words::{
    cluster_queue_desired as qd, cluster_queue_observed as qo, deployment_desired as dd,
    enchantment_observed as eo, job_desired as jd, job_observed as jo, pool_desired as pd,
    pool_observed as po,
};
use crate::dsp::SchmittTrigger;
use crate::live::{
    Change, DesiredJob, DesiredObject, DesiredQueue, HeardLog, HubEnd, LiveLink, MirrorKind,
    ObjectKind, RealSummary, SyncState, SUMMARY_CHANNELS,
};
use crate::registry::{Registry, Slot, SlotKind};
use crate::world::enchantment::EnchantmentPhase;
use crate::world::events::EventKind;
use crate::world::World;

/// Messages each way between a hub and its sync thread.
pub const SYNC_QUEUE_CAPACITY: usize = 1024;
/// Real-cluster events a hub keeps for its host's trace (two ticks' worth at most).
pub const HEARD_LOG_CAPACITY: usize = 2 * SYNC_QUEUE_CAPACITY;
/// Most Job creations one JOB sends per control tick (the rest follow on later ticks).
pub const JOBS_PER_TICK: u32 = 4;
/// A SUBMIT count that moved further than this in one tick is a restarted module: its
/// submissions are not replayed (as the simulated hub takes it).
pub const MAX_SUBMIT_JUMP: u32 = 64;

/// The submissions of one JOB already handed to the sync thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SubmitsSent {
    /// The JOB's Rack module id (0: none seen in this slot).
    module: u64,
    /// Its SUBMIT count already sent.
    count: u32,
}

/// The Jobs of one JOB already handed to the sync thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct JobsSent {
    /// The JOB's Rack module id (0: none seen in this slot).
    module: u64,
    /// Its creations already sent.
    count: u32,
    /// The serials of the sent Jobs the simulation still has (0: a free place).
    live: [u32; JOBS_PER_MODULE],
}

const NO_JOBS: JobsSent = JobsSent {
    module: 0,
    count: 0,
    live: [0; JOBS_PER_MODULE],
};

/// What the rack heard from the real cluster in one control tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Heard {
    /// Real pods bound to a node.
    pub scheduled: u32,
    /// Real pods found unschedulable.
    pub failed_scheduling: u32,
    /// Every real transition heard.
    pub events: u32,
}

/// A hub's sync controls, lights and queue end.
pub struct HubSync {
    link: Arc<LiveLink>,
    hub: HubEnd,
    desired: Box<[Option<DesiredObject>]>,
    submits: Box<[JobsSent]>,
    forges: Box<[SubmitsSent]>,
    real_counts: Box<[RealCounts]>,
    gate: SchmittTrigger,
    wanted: bool,
    heard: HeardLog,
    /// The submission tables hold nothing sent (sync has been off since they were cleared).
    sent_cleared: bool,
    /// Some real admission or preemption was ever counted: until then `real_counts` holds
    /// nothing to add or take back, and the hub's ticks skip scanning it.
    real_counted: bool,
}

/// Real Workload admissions and preemptions heard for one member (a JOB, an ENCHANTMENT's
/// queue, a CLUSTERQUEUE), added to its simulated counters for as long as its slot holds
/// that module (so its totals never go back).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct RealCounts {
    module: u64,
    admissions: u32,
    preemptions: u32,
    /// What was added to the member's words last, and is taken off before the hub
    /// publishes them again.
    added: (u32, u32),
}

const NO_SUBMITS: SubmitsSent = SubmitsSent {
    module: 0,
    count: 0,
};

impl HubSync {
    /// Allocates the queues and the desired-state table (one entry per registry slot).
    pub fn new() -> HubSync {
        let slots = MAX_TAG as usize;
        let (link, hub) = LiveLink::new(SYNC_QUEUE_CAPACITY, slots);
        HubSync {
            link,
            hub,
            desired: vec![None; slots].into_boxed_slice(),
            submits: vec![NO_JOBS; slots].into_boxed_slice(),
            forges: vec![NO_SUBMITS; slots].into_boxed_slice(),
            real_counts: vec![RealCounts::default(); slots].into_boxed_slice(),
            gate: SchmittTrigger::default(),
            wanted: false,
            heard: HeardLog::with_capacity(HEARD_LOG_CAPACITY),
            sent_cleared: true,
            real_counted: false,
        }
    }

    /// The link the host runs the sync thread with.
    pub fn link(&self) -> &Arc<LiveLink> {
        &self.link
    }

    /// Per sample: sync is wanted while the switch is on or the gate is high.
    pub fn update_wanted(&mut self, switch_on: bool, gate: Option<f32>) {
        let gate_high = match gate {
            Some(v) => {
                self.gate.process(v);
                self.gate.is_high()
            }
            None => {
                self.gate = SchmittTrigger::default();
                false
            }
        };
        let wanted = switch_on || gate_high;
        if wanted != self.wanted {
            self.wanted = wanted;
            self.link.status.set_wanted(wanted);
        }
    }

    /// Whether sync is wanted.
    pub fn wanted(&self) -> bool {
        self.wanted
    }

    /// Per control tick at simulated time `time`: hands the desired state of the hub's
    /// members (while sync is wanted: DEPLOYMENTs, JOBs, CLUSTERQUEUEs, ENCHANTMENTs, and
    /// NODEs whose "Sync cordon" is on) to the sync thread and takes what it heard (always,
    /// so nothing stale piles up), recording it in [`HubSync::heard`].
    pub fn tick(&mut self, registry: &Registry, hub_tag: u32, time: f64) -> Heard {
        self.link.status.set_hub_time(time);
        // Forget what was sent once sync turns off (only then: the tables span the whole
        // registry, too much to clear every tick).
        if !self.wanted && !self.sent_cleared {
            self.submits.fill(NO_JOBS);
            self.forges.fill(NO_SUBMITS);
            self.sent_cleared = true;
        }
        if self.wanted {
            self.sent_cleared = false;
        }
        if self.wanted {
            let n = registry.high_water().min(self.desired.len());
            for (i, want) in self.desired[..n].iter_mut().enumerate() {
                *want = registry.slot(i).and_then(|slot| {
                    let module = slot.rack_id();
                    if slot.hub() != hub_tag || module == 0 {
                        return None;
                    }
                    match slot.kind() {
                        SlotKind::Deployment => Some(
                            DesiredObject::deployment(
                                module,
                                slot.desired(dd::REPLICAS),
                                slot.desired(dd::CPU_M),
                                slot.desired(dd::MEMORY_MIB),
                            )
                            .with_pod_terms(
                                slot.desired(dd::MANIFEST_TERMS).min(u32::from(u16::MAX)) as u16,
                            ),
                        ),
                        // A NODE drives real nodes only when its "Sync cordon" or "Sync
                        // labels and taints" is on; its pool selector maps real nodes to it
                        // in the mirror.
                        SlotKind::NodePool => {
                            let selector = slot.desired(pd::POOL_SELECTOR).min(0xffff) as u16;
                            let cordon = (slot.desired(pd::SYNC_CORDON) != 0)
                                .then_some(slot.desired(pd::CORDONED) != 0);
                            let terms = (slot.desired(pd::SYNC_TERMS) != 0)
                                .then_some(slot.desired(pd::TERMS).min(u32::from(u16::MAX)) as u16);
                            (cordon.is_some() || terms.is_some() || selector != 0).then(|| {
                                DesiredObject {
                                    pool_selector: selector,
                                    ..DesiredObject::node_sync(module, cordon, terms)
                                }
                            })
                        }
                        SlotKind::Job => Some(DesiredObject::job_owner(module)),
                        SlotKind::ClusterQueue => Some(desired_queue(registry, hub_tag, i, slot)),
                        SlotKind::Enchantment => {
                            Some(DesiredObject::job_owner_of(ObjectKind::Enchantment, module))
                        }
                        _ => None,
                    }
                });
            }
            self.hub.publish(&self.desired[..n]);
        }
        let mut heard = Heard::default();
        for _ in 0..SYNC_QUEUE_CAPACITY {
            let Some(event) = self.hub.pop_observed() else {
                break;
            };
            heard.events += 1;
            self.heard.push(time, event);
            match event.kind {
                MirrorKind::World(EventKind::PodScheduled) => heard.scheduled += 1,
                MirrorKind::World(EventKind::PodFailedScheduling) => heard.failed_scheduling += 1,
                MirrorKind::World(
                    k @ (EventKind::WorkloadAdmitted | EventKind::WorkloadPreempted),
                ) => {
                    let admitted = k == EventKind::WorkloadAdmitted;
                    for module in [event.module, event.queue] {
                        self.credit(registry, hub_tag, module, admitted);
                    }
                }
                _ => {}
            }
        }
        self.add_real_counts(registry, hub_tag);
        if self.wanted {
            self.show_real_pools(registry, hub_tag);
        }
        heard
    }

    /// Over what the hub just published for each NODE joined to it: the real nodes labelled
    /// for it, once the sync thread has listed the cluster: their count, Ready and cordoned
    /// ones, and each one's requested CPU utilisation on a channel of UTIL.
    fn show_real_pools(&self, registry: &Registry, hub_tag: u32) {
        for i in 0..registry.high_water() {
            let Some(slot) = registry.slot(i) else { break };
            if slot.kind() != SlotKind::NodePool || slot.hub() != hub_tag {
                continue;
            }
            let Some(pool) = self.link.status.real_pool(slot.rack_id()) else {
                continue;
            };
            slot.set_observed(po::NODES, pool.nodes);
            slot.set_observed(po::READY_NODES, pool.ready);
            slot.set_observed(po::CORDONED_NODES, pool.cordoned);
            let channels = kuberack_protocol::MAX_CHANNELS;
            for (ordinal, u) in pool.utilisation.iter().enumerate().take(channels) {
                slot.set_channel(ordinal, u.clamp(0.0, 1.0));
            }
        }
    }

    /// Counts a real admission (or preemption) for the JOB, ENCHANTMENT or CLUSTERQUEUE of
    /// module `module` joined to this hub.
    fn credit(&mut self, registry: &Registry, hub_tag: u32, module: u64, admitted: bool) {
        if module == 0 {
            return;
        }
        let n = registry.high_water().min(self.real_counts.len());
        let found = (0..n).find(|&i| {
            registry.slot(i).is_some_and(|s| {
                s.rack_id() == module
                    && s.hub() == hub_tag
                    && matches!(
                        s.kind(),
                        SlotKind::Job | SlotKind::ClusterQueue | SlotKind::Enchantment
                    )
            })
        });
        let Some(i) = found else { return };
        self.real_counted = true;
        let c = &mut self.real_counts[i];
        if c.module != module {
            *c = RealCounts {
                module,
                ..RealCounts::default()
            };
        }
        if admitted {
            c.admissions = c.admissions.wrapping_add(1);
        } else {
            c.preemptions = c.preemptions.wrapping_add(1);
        }
    }

    /// The words of the member in slot `slot` that count admissions (none for an
    /// ENCHANTMENT: one admission does not make an Enchantment Enchanting) and preemptions
    /// (for an ENCHANTMENT: entering Requeued, as a preempted forge Job makes it).
    fn counter_words(slot: &Slot) -> Option<(Option<usize>, usize)> {
        match slot.kind() {
            SlotKind::Job => Some((Some(jo::ADMISSIONS), jo::PREEMPTIONS)),
            SlotKind::ClusterQueue => Some((Some(qo::ADMISSIONS), qo::PREEMPTIONS)),
            SlotKind::Enchantment => Some((
                None,
                eo::ENTERED_FIRST + EnchantmentPhase::Requeued as usize,
            )),
            _ => None,
        }
    }

    /// Adds the real admissions and preemptions to the counters the hub just published
    /// from the simulation, so the members' ADMITTED/ADMIT and PREEMPTED/PREEMPT triggers
    /// fire for the real cluster too.
    fn add_real_counts(&mut self, registry: &Registry, hub_tag: u32) {
        if !self.real_counted {
            return;
        }
        let n = registry.high_water().min(self.real_counts.len());
        for (i, c) in self.real_counts[..n].iter_mut().enumerate() {
            if c.module == 0 {
                continue;
            }
            let slot = registry
                .slot(i)
                .filter(|s| s.rack_id() == c.module && s.hub() == hub_tag);
            let Some((slot, (adm, pre))) = slot.and_then(|s| Some((s, Self::counter_words(s)?)))
            else {
                *c = RealCounts::default();
                continue;
            };
            if let Some(adm) = adm {
                slot.set_observed(adm, slot.observed(adm).wrapping_add(c.admissions));
            }
            slot.set_observed(pre, slot.observed(pre).wrapping_add(c.preemptions));
            c.added = (c.admissions, c.preemptions);
        }
    }

    /// Before the hub publishes its members' words: takes the real counts added last tick
    /// off again, so a word the hub does not rewrite is not added to twice.
    pub fn take_back_real_counts(&mut self, registry: &Registry) {
        if !self.real_counted {
            return;
        }
        let n = registry.high_water().min(self.real_counts.len());
        for (i, c) in self.real_counts[..n].iter_mut().enumerate() {
            let Some(slot) = registry.slot(i) else {
                continue;
            };
            if let (Some((adm, pre)), (a, p)) = (Self::counter_words(slot), c.added) {
                if slot.rack_id() == c.module && (a, p) != (0, 0) {
                    if let Some(adm) = adm {
                        slot.set_observed(adm, slot.observed(adm).wrapping_sub(a));
                    }
                    slot.set_observed(pre, slot.observed(pre).wrapping_sub(p));
                }
            }
            c.added = (0, 0);
        }
    }

    /// After [`HubSync::tick`], for the JOB in slot `i` that has created `created` Jobs so
    /// far, `alive` the serials of those the simulation still has: sends a Job creation per
    /// Job created since the last call (at most [`JOBS_PER_TICK`]; what the queue refuses is
    /// offered again next tick) and a removal per sent Job the simulation no longer has, so
    /// the real cluster never holds more of the JOB's Jobs than the simulation. Jobs from
    /// before sync turned on, or before the module joined, are not replayed.
    pub fn send_jobs(
        &mut self,
        registry: &Registry,
        i: usize,
        created: u32,
        alive: &[u32; JOBS_PER_MODULE],
    ) {
        let (Some(owner), Some(slot)) = (self.desired.get(i).copied().flatten(), registry.slot(i))
        else {
            return;
        };
        if !self.wanted || owner.key.kind != ObjectKind::Job {
            return;
        }
        let module = owner.key.module;
        let sent = &mut self.submits[i];
        let new = created.wrapping_sub(sent.count);
        if sent.module != module || new > MAX_SUBMIT_JUMP {
            *sent = JobsSent {
                module,
                count: created,
                live: [0; JOBS_PER_MODULE],
            };
            return;
        }
        for serial in &mut sent.live {
            if *serial != 0 && !alive.contains(serial) {
                let gone = DesiredObject::job(module, *serial, 0, 0, DesiredJob::default());
                if !self.hub.push(Change::Remove(gone.key)) {
                    break;
                }
                *serial = 0;
            }
        }
        for _ in 0..new.min(JOBS_PER_TICK) {
            let serial = sent.count.wrapping_add(1).max(1);
            let job = DesiredObject::job(
                module,
                serial,
                slot.desired(jd::CPU_M),
                slot.desired(jd::MEMORY_MIB),
                desired_job(registry, slot),
            )
            .with_pod_terms(slot.desired(jd::TERMS).min(u32::from(u16::MAX)) as u16);
            if !self.hub.push(Change::Apply(job)) {
                break;
            }
            sent.count = sent.count.wrapping_add(1);
            // A Job that already ended in the simulation is not followed for removal.
            if let Some(place) = sent.live.iter_mut().find(|s| **s == 0) {
                if alive.contains(&serial) {
                    *place = serial;
                }
            }
        }
    }

    /// After [`HubSync::tick`], for the ENCHANTMENT in slot `i` that has created `created`
    /// Enchantments so far: sends the Jobs of those created since the last call, as
    /// `jobs_of(count)` gives them (one per essence; what the queue has no room for is
    /// offered again next tick). Forges from before sync turned on are not replayed.
    pub fn send_forges(
        &mut self,
        i: usize,
        created: u32,
        mut jobs_of: impl FnMut(u32) -> ForgeJobs,
    ) {
        let Some(owner) = self.desired.get(i).copied().flatten() else {
            return;
        };
        if !self.wanted || owner.key.kind != ObjectKind::Enchantment {
            return;
        }
        let module = owner.key.module;
        let sent = &mut self.forges[i];
        let new = created.wrapping_sub(sent.count);
        if sent.module != module || new > MAX_SUBMIT_JUMP {
            *sent = SubmitsSent {
                module,
                count: created,
            };
            return;
        }
        for _ in 0..new.min(JOBS_PER_TICK) {
            if self.hub.room() < 3 {
                break;
            }
            let forge = sent.count.wrapping_add(1);
            for (essence, job) in jobs_of(forge).into_iter().enumerate() {
                if let Some((cpu_m, memory_mib, job, terms)) = job {
                    let obj =
                        DesiredObject::forge_job(module, forge, essence, cpu_m, memory_mib, job)
                            .with_pod_terms(terms);
                    self.hub.push(Change::Apply(obj));
                }
            }
            sent.count = forge;
        }
    }

    /// The real-cluster events heard, for the host's trace.
    pub fn heard(&self) -> &HeardLog {
        &self.heard
    }

    /// The real cluster's summary while sync is wanted and the sync thread has listed it.
    pub fn real(&self) -> Option<RealSummary> {
        if !self.wanted {
            return None;
        }
        self.link.status.real()
    }

    /// The real cluster's summary channels while sync is wanted and the cluster listed;
    /// returns how many (0: none). Wait-free.
    pub fn real_channels(&self, out: &mut [f32; SUMMARY_CHANNELS]) -> usize {
        if !self.wanted {
            return 0;
        }
        self.link.status.real_channels(out)
    }

    /// The status lights' brightness: connecting, synced, degraded, error (all dark when
    /// sync is off).
    pub fn lights(&self) -> [f32; 4] {
        let state = self.link.status.state();
        let lit = |s: SyncState| if state == s { 1.0 } else { 0.0 };
        [
            lit(SyncState::Connecting),
            lit(SyncState::Synced),
            lit(SyncState::Degraded),
            lit(SyncState::Error),
        ]
    }
}

/// The Jobs of one forge, one per essence: each pod's CPU (millicores), memory (MiB) and
/// the rest of its Job.
pub type ForgeJobs = [Option<(u32, u32, DesiredJob, u16)>; 3];

/// The Rack module id of the CLUSTERQUEUE tagged `tag` on hub `hub` (0: none).
fn queue_module(registry: &Registry, hub: u32, tag: u32) -> u64 {
    tag.checked_sub(1)
        .and_then(|i| registry.slot(i as usize))
        .filter(|q| q.kind() == SlotKind::ClusterQueue && q.hub() == hub)
        .map_or(0, Slot::rack_id)
}

/// The Jobs of Enchantment `id` of `world`, as a hub on `registry` tagged `hub` hands them
/// to the sync thread (none once it is gone).
pub fn forge_jobs(world: &World, registry: &Registry, hub: u32, id: Option<u32>) -> ForgeJobs {
    let mut jobs = [None; 3];
    let Some(e) = id.and_then(|id| world.enchantment(id)) else {
        return jobs;
    };
    for (out, essence_job) in jobs.iter_mut().zip(e.jobs) {
        let Some(job) = world
            .job(essence_job.id)
            .filter(|j| j.meta.uid == essence_job.uid)
        else {
            continue;
        };
        let spec = &job.spec;
        let run_ms = (spec.run_seconds * 1000.0).clamp(0.0, f64::from(u32::MAX));
        let desired = DesiredJob {
            parallelism: spec.parallelism.max(1),
            completions: spec.completions.max(1),
            duration_ms: run_ms.round() as u32,
            backoff_limit: spec.backoff_limit,
            deadline_s: 0,
            on_failure: false,
            fails: false,
            queue: queue_module(registry, hub, spec.queueing.queue),
            priority_class: spec.queueing.priority_class,
        };
        *out = Some((spec.cpu_m, spec.memory_mib, desired, spec.scheduling.terms));
    }
    jobs
}

/// The ClusterQueue the CLUSTERQUEUE in slot `i` asks for, its cohort named after the Rack
/// module id of the first queue of its cohort chain.
fn desired_queue(registry: &Registry, hub: u32, i: usize, slot: &Slot) -> DesiredObject {
    let limit = |word| Some(slot.desired(word)).filter(|&v| v != qd::NO_LIMIT);
    let cohort = super::cluster::queues::cohort_root(registry, hub, i as u32 + 1)
        .and_then(|root| registry.slot(root as usize - 1))
        .map_or(0, Slot::rack_id);
    let queue = DesiredQueue {
        flavors: slot.desired(qd::FLAVORS).min(4) as u8,
        mana: slot.desired(qd::MANA),
        borrow_pct: limit(qd::BORROW_PCT),
        lend_pct: limit(qd::LEND_PCT),
        strict_fifo: slot.desired(qd::STRICT_FIFO) != 0,
        within: slot.desired(qd::WITHIN).min(2) as u8,
        reclaim: slot.desired(qd::RECLAIM).min(2) as u8,
        cohort,
        weight_milli: slot.desired(qd::WEIGHT_MILLI),
    };
    DesiredObject::cluster_queue(
        slot.rack_id(),
        slot.desired(qd::CPU_M),
        slot.desired(qd::MEMORY_MIB),
        queue,
    )
}

/// The spec of a Job a JOB's slot asks for now; its queue is the CLUSTERQUEUE its QUEUE
/// cable names, by Rack module id.
fn desired_job(registry: &Registry, slot: &Slot) -> DesiredJob {
    let queue = queue_module(registry, slot.hub(), slot.desired(jd::QUEUE));
    DesiredJob {
        parallelism: slot.desired(jd::PARALLELISM).max(1),
        completions: slot.desired(jd::COMPLETIONS).max(1),
        duration_ms: slot.desired(jd::DURATION_MS),
        backoff_limit: slot.desired(jd::BACKOFF),
        deadline_s: slot.desired(jd::DEADLINE_S),
        on_failure: slot.desired(jd::ON_FAILURE) != 0,
        fails: slot.desired(jd::FAULT) != 0,
        queue,
        priority_class: 0,
    }
}

impl Default for HubSync {
    fn default() -> Self {
        HubSync::new()
    }
}
