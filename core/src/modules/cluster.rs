//! CLUSTER: the hub. Owns the world, steps it at control rate, reconciles its members'
//! objects from their slots, publishes what they observe, and sonifies etcd.

use std::sync::Arc;

use kuberack_protocol::modules::cluster::{input, light, output, param, DESCRIPTOR};
use kuberack_protocol::tag::tag_to_volts;
use kuberack_protocol::ModuleDescriptor;
use serde::{Deserialize, Serialize};

use super::cluster_sync::{forge_jobs, HubSync};
use super::pod::PodPhase;
use super::scheduler::scheduler_config;
use super::words::{
    deployment_desired as dd, deployment_observed as dobs, etcd_desired as ed,
    etcd_observed as eobs, pod_desired as podd, pod_observed as podo, pool_desired as pd,
    pool_observed as po, scheduler_observed as scho, service_desired as sd, service_observed as so,
};
use crate::dsp::{PulseTrain, RevisionTicks, SchmittTrigger};
use crate::live::{LiveLink, SyncSettings, SUMMARY_CHANNELS};
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, Slot, SlotHandle, SlotKind};
use crate::view::{ClusterView, ViewCell};
use crate::world::constraints::{SchedulingSpec, TaintEffect};
use crate::world::mana::Mana;
use crate::world::scheduler::SchedulerConfig;
use crate::world::{
    BarePodSpec, DeploymentSpec, DeploymentStrategy, IntOrPercent, NodePoolSpec, ServiceSpec,
    World, WorldConfig, MAX_SELECTED, REVISION_HISTORY_LIMIT,
};

mod autoscalers;
mod devices;
mod enchantments;
pub(super) mod jobs;
pub use jobs::JOBS_PER_MODULE;
pub(crate) mod queues;

/// Allocatable pods per node (the kubelet's default maxPods).
pub const NODE_MAX_PODS: u32 = 110;
/// Most pods a hub's world holds: Kubernetes' 150,000-pod limit with room for rollouts.
pub const HUB_MAX_PODS: usize = crate::world::scale::SCALE_MAX_PODS;
/// Most nodes a hub's world holds: Kubernetes' 5,000-node limit.
pub const HUB_MAX_NODES: usize = crate::world::scale::SCALE_MAX_NODES;

/// The hub's saved settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterSettings {
    /// Seed of the world's random draws.
    pub seed: u64,
    /// Samples per control tick (1..=1024).
    pub control_period: u32,
    /// Kueue's configuration.
    pub kueue: KueueSettings,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        ClusterSettings {
            seed: 1,
            control_period: 32,
            kueue: KueueSettings::default(),
        }
    }
}

/// The world's Kueue configuration, saved under `kueue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KueueSettings {
    /// fairSharing.enable.
    pub fair_sharing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MemberLink {
    kind: SlotKind,
    generation: u32,
}

const UNLINKED: MemberLink = MemberLink {
    kind: SlotKind::Free,
    generation: 0,
};

/// What the hub remembers of a member between ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct MemberState {
    /// The member's ROLLBACK count already acted on.
    rollbacks: u32,
    /// An AUTOSCALER's pool, while the hub runs it (0: none).
    autoscaled_pool: u32,
}

/// The CLUSTER module.
pub struct ClusterModule {
    slot: SlotHandle,
    settings: ClusterSettings,
    world: World,
    members: Vec<MemberLink>,
    member_state: Vec<MemberState>,
    /// Tag of the SCHEDULER in force (0 = none: the defaults).
    scheduler_tag: u32,
    /// Which AUTOSCALER sizes which pool.
    pool_owners: autoscalers::PoolOwners,
    /// The Jobs each JOB submitted.
    job_owners: jobs::JobOwners,
    /// Which DEVICES declares which pool's devices.
    device_owners: devices::DeviceOwners,
    /// The Enchantments each ENCHANTMENT forged.
    forges: enchantments::EnchantmentOwners,
    sample_rate: f32,
    /// The WARP knob's bits and 10^WARP, recomputed only when the knob moves.
    warp: (u32, f64),
    counter: u32,
    ticks: u32,
    clock: SchmittTrigger,
    clock_steps: u32,
    heard_revision: u64,
    heard_scheduled: u64,
    heard_failed: u64,
    ticks_sound: RevisionTicks,
    bind_pulses: PulseTrain,
    fail_pulses: PulseTrain,
    view: Arc<ViewCell>,
    view_scratch: Box<ClusterView>,
    ticks_since_view: u32,
    sync: HubSync,
    /// The world's outputs and lights are due before the next tick (after a reset or load).
    refresh_outputs: bool,
}

impl ClusterModule {
    /// A hub with an empty world; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<ClusterModule> {
        let slot = registry.claim(SlotKind::Cluster)?;
        let settings = ClusterSettings::default();
        let sample_rate = 48_000.0;
        Some(ClusterModule {
            slot,
            settings,
            world: World::new(Self::world_config(settings.seed)),
            members: vec![UNLINKED; kuberack_protocol::tag::MAX_TAG as usize],
            member_state: vec![MemberState::default(); kuberack_protocol::tag::MAX_TAG as usize],
            scheduler_tag: 0,
            pool_owners: autoscalers::PoolOwners::new(),
            job_owners: jobs::JobOwners::new(),
            device_owners: devices::DeviceOwners::new(),
            forges: enchantments::EnchantmentOwners::new(),
            sample_rate,
            warp: (f32::NAN.to_bits(), f64::NAN),
            counter: 0,
            ticks: 0,
            clock: SchmittTrigger::default(),
            clock_steps: 0,
            heard_revision: 0,
            heard_scheduled: 0,
            heard_failed: 0,
            ticks_sound: RevisionTicks::new(sample_rate, settings.seed ^ 0xb1195),
            bind_pulses: PulseTrain::new(sample_rate),
            fail_pulses: PulseTrain::new(sample_rate),
            view: Arc::new(ViewCell::default()),
            view_scratch: Box::default(),
            ticks_since_view: 0,
            sync: HubSync::new(),
            refresh_outputs: true,
        })
    }

    fn world_config(seed: u64) -> WorldConfig {
        WorldConfig {
            seed,
            max_pods: HUB_MAX_PODS,
            max_nodes: HUB_MAX_NODES,
            event_capacity: 16_384,
        }
    }

    /// The real-cluster events this hub heard while synced (for the host's trace).
    pub fn heard(&self) -> &crate::live::HeardLog {
        self.sync.heard()
    }

    /// The simulated cluster.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// This hub's reference tag.
    pub fn tag(&self) -> u32 {
        self.slot.tag()
    }

    /// The saved settings.
    pub fn settings(&self) -> ClusterSettings {
        self.settings
    }

    /// Starts a fresh world with the current settings (off the audio path: allocates).
    fn rebuild(&mut self) {
        self.refresh_outputs = true;
        self.world = World::new(Self::world_config(self.settings.seed));
        self.world
            .set_kueue_fair_sharing(self.settings.kueue.fair_sharing);
        self.members.fill(UNLINKED);
        self.member_state.fill(MemberState::default());
        self.pool_owners = autoscalers::PoolOwners::new();
        self.job_owners = jobs::JobOwners::new();
        self.device_owners = devices::DeviceOwners::new();
        self.forges = enchantments::EnchantmentOwners::new();
        self.counter = 0;
        self.ticks = 0;
        self.clock_steps = 0;
        self.heard_revision = 0;
        self.heard_scheduled = 0;
        self.heard_failed = 0;
        self.ticks_sound.reset(self.settings.seed ^ 0xb1195);
        self.bind_pulses.reset();
        self.fail_pulses.reset();
    }

    /// Reads every joined member's desired state into the world; deletes what left.
    fn sync_members(&mut self) {
        let me = self.slot.tag();
        let registry = self.slot.registry();
        let mut scheduler = None;
        for i in 0..registry.high_water() {
            let Some(slot) = registry.slot(i) else { break };
            let tag = i as u32 + 1;
            let kind = slot.kind();
            let joined = slot.hub() == me
                && matches!(
                    kind,
                    SlotKind::NodePool
                        | SlotKind::Deployment
                        | SlotKind::Pod
                        | SlotKind::Service
                        | SlotKind::Etcd
                        | SlotKind::Scheduler
                        | SlotKind::Autoscaler
                        | SlotKind::Job
                        | SlotKind::ClusterQueue
                        | SlotKind::Devices
                        | SlotKind::Enchantment
                );
            let link = self.members[i];
            let current = MemberLink {
                kind,
                generation: slot.generation(),
            };
            if link.kind != SlotKind::Free && (!joined || link != current) {
                match link.kind {
                    SlotKind::NodePool => self.world.delete_node_pool(tag),
                    SlotKind::Deployment => self.world.delete_deployment(tag),
                    SlotKind::Pod => self.world.forget_pod(tag),
                    SlotKind::Service => self.world.delete_service(tag),
                    SlotKind::Autoscaler => {
                        let state = &mut self.member_state[i];
                        self.pool_owners.release(&mut self.world, state, tag);
                    }
                    SlotKind::Job => self.job_owners.release(&mut self.world, tag),
                    SlotKind::ClusterQueue => self.world.delete_cluster_queue(tag),
                    SlotKind::Enchantment => self.forges.release(&mut self.world, tag),
                    _ => {}
                }
                self.members[i] = UNLINKED;
            }
            if !joined {
                continue;
            }
            let new_link = self.members[i] != current;
            self.members[i] = current;
            match kind {
                SlotKind::NodePool => {
                    self.world.apply_node_pool(tag, pool_spec(slot));
                    self.world
                        .set_pool_kubelets_down(tag, slot.desired(pd::KUBELETS_DOWN));
                }
                SlotKind::Deployment => {
                    self.world.apply_deployment(tag, deployment_spec(slot));
                    let rollbacks = slot.desired(dd::ROLLBACKS);
                    let seen = &mut self.member_state[i].rollbacks;
                    if !new_link && rollbacks != *seen {
                        self.world.rollback_deployment(tag);
                    }
                    *seen = rollbacks;
                }
                SlotKind::Pod if slot.desired(podd::GATE) != 0 => {
                    let scheduling = SchedulingSpec {
                        terms: slot.desired(podd::TERMS).min(u32::from(u16::MAX)) as u16,
                        ..SchedulingSpec::default()
                    };
                    let spec = bare_pod_spec(slot);
                    self.world.apply_pod_with_scheduling(tag, spec, scheduling);
                }
                SlotKind::Pod => self.world.delete_pod(tag),
                SlotKind::Service => self.world.apply_service(tag, service_spec(slot)),
                SlotKind::Etcd => apply_external_writes(&mut self.world, tag, slot),
                SlotKind::Job => self.job_owners.sync(&mut self.world, tag, slot),
                SlotKind::ClusterQueue => {
                    queues::sync_cluster_queue(&mut self.world, registry, me, tag, slot)
                }
                SlotKind::Devices => self.device_owners.note(registry, me, (tag, slot)),
                SlotKind::Enchantment => self.forges.sync(&mut self.world, tag, slot),
                SlotKind::Autoscaler => self.pool_owners.sync(
                    &mut self.world,
                    &mut self.member_state[i],
                    registry,
                    me,
                    (tag, slot),
                ),
                // Slots are scanned in tag order: the lowest-tagged SCHEDULER wins.
                SlotKind::Scheduler if scheduler.is_none() => {
                    scheduler = Some((tag, scheduler_config(slot)));
                }
                _ => {}
            }
        }
        self.device_owners.apply(&mut self.world, registry);
        self.scheduler_tag = scheduler.map_or(0, |(tag, _)| tag);
        let config = scheduler.map_or_else(SchedulerConfig::default, |(_, c)| c);
        self.world.set_scheduler_config(config);
    }

    /// Writes what each member observes into its slot.
    fn publish(&mut self) {
        let registry = self.slot.registry();
        for (i, link) in self.members.iter().enumerate().take(registry.high_water()) {
            let Some(slot) = registry.slot(i) else { break };
            let tag = i as u32 + 1;
            match link.kind {
                SlotKind::NodePool => self.publish_pool(tag, slot),
                SlotKind::Deployment => self.publish_deployment(tag, slot),
                SlotKind::Pod => self.publish_pod(tag, slot),
                SlotKind::Service => self.publish_service(tag, slot),
                SlotKind::Etcd => self.publish_etcd(slot),
                SlotKind::Scheduler => self.publish_scheduler(tag, slot),
                SlotKind::Autoscaler => self.publish_autoscaler(i, slot),
                SlotKind::Job => self.job_owners.publish(&mut self.world, tag, slot),
                SlotKind::ClusterQueue => self.publish_cluster_queue(tag, slot),
                SlotKind::Devices => self.publish_devices(tag, slot),
                SlotKind::Enchantment => self.forges.publish(&mut self.world, tag, slot),
                _ => continue,
            }
            slot.heartbeat
                .store(self.ticks, std::sync::atomic::Ordering::Relaxed);
        }
        self.slot
            .slot()
            .heartbeat
            .store(self.ticks, std::sync::atomic::Ordering::Relaxed);
    }

    fn publish_pool(&self, tag: u32, slot: &Slot) {
        let Some(summary) = self.world.pool_summary(tag) else {
            return;
        };
        for (ch, &u) in summary.utilisation[..summary.channels as usize]
            .iter()
            .enumerate()
        {
            slot.set_channel(ch, u);
        }
        slot.set_observed(po::NODES, summary.nodes);
        slot.set_observed(po::READY_NODES, summary.ready_nodes);
        slot.set_observed(po::POD_READY_MASK, summary.pod_ready_mask);
        slot.set_observed(po::POD_CHANNELS, summary.pod_channels);
        slot.set_observed(po::CORDONED_NODES, summary.cordoned_nodes);
    }

    fn publish_scheduler(&self, tag: u32, slot: &Slot) {
        let stats = self.world.stats();
        slot.set_observed(scho::ACTIVE, u32::from(tag == self.scheduler_tag));
        slot.set_observed(scho::SCHEDULED_TOTAL, stats.pods_scheduled as u32);
        slot.set_observed(scho::PREEMPTIONS_TOTAL, stats.preemptions as u32);
        slot.set_observed(scho::UNSCHEDULABLE, self.world.unschedulable_pods() as u32);
        slot.set_observed(scho::QUEUE_DEPTH, self.world.pending_pods());
    }

    fn publish_deployment(&self, tag: u32, slot: &Slot) {
        let Some(d) = self.world.deployment(tag) else {
            return;
        };
        let mut masks = 0u32;
        let mut pods = 0u32;
        for pod in self.world.deployment_pods(tag).take(16) {
            masks |= 1 << (16 + pods);
            if pod.ready {
                masks |= 1 << pods;
            }
            pods += 1;
        }
        slot.set_observed(dobs::READY, d.ready);
        slot.set_observed(dobs::ACTIVE, d.active);
        slot.set_observed(dobs::CREATED_TOTAL, d.created_total);
        slot.set_observed(dobs::READY_TOTAL, d.ready_total);
        slot.set_observed(dobs::DELETED_TOTAL, d.deleted_total);
        slot.set_observed(dobs::POD_MASKS, masks);
        slot.set_observed(dobs::POD_CHANNELS, pods);
        slot.set_observed(dobs::REPLICAS, d.spec.replicas);
        // updatedReplicas and the revision, from one look-up of the new ReplicaSet.
        let new_rs = d.new_replica_set();
        slot.set_observed(dobs::UPDATED, new_rs.map_or(0, |rs| rs.active));
        slot.set_observed(dobs::REVISION, new_rs.map_or(0, |rs| rs.revision));
    }

    fn publish_pod(&self, tag: u32, slot: &Slot) {
        let (phase, ready) = PodPhase::of(self.world.bare_pod_status(tag));
        slot.set_observed(podo::PHASE, phase as u32);
        slot.set_observed(podo::READY, u32::from(ready));
        let util = self
            .world
            .bare_pod(tag)
            .and_then(|p| self.world.node(p.node))
            .map_or(0.0, |n| n.cpu_utilisation());
        slot.set_channel(0, util);
    }

    fn publish_service(&self, tag: u32, slot: &Slot) {
        let Some(service) = self.world.service(tag) else {
            return;
        };
        for (ch, &index) in service.endpoints().iter().enumerate() {
            let util = self
                .world
                .pod(index)
                .and_then(|p| self.world.node(p.node))
                .map_or(0.0, |n| n.cpu_utilisation());
            slot.set_channel(ch, util);
        }
        slot.set_observed(so::ENDPOINTS, service.len);
        slot.set_observed(so::UPDATES, service.updates);
    }

    fn publish_etcd(&self, slot: &Slot) {
        slot.set_observed(eobs::REVISION, self.world.revision() as u32);
        let ms = (self.world.time() * 1000.0) % 4_294_967_296.0;
        slot.set_observed(eobs::TIME_MS, ms as u32);
        slot.set_observed(eobs::COMPACTIONS, self.world.compactions());
    }

    /// One control tick: members in, world forward, observations out, sounds queued.
    fn tick(&mut self, dt: f64, steps: u32) {
        self.ticks = self.ticks.wrapping_add(1);
        self.sync.take_back_real_counts(self.slot.registry());
        self.sync_members();
        for _ in 0..steps {
            self.world.step(dt);
        }
        self.publish();
        let revision = self.world.revision();
        let new_revisions = revision - self.heard_revision;
        self.heard_revision = revision;
        self.ticks_sound
            .add(new_revisions, self.settings.control_period);
        self.publish_view();
        // The real cluster, when synced, plays the same outputs as the simulation.
        let now = self.world.time();
        let real = self.sync.tick(self.slot.registry(), self.slot.tag(), now);
        self.send_forges();
        self.ticks_sound
            .add(u64::from(real.events), self.settings.control_period);
        let stats = *self.world.stats();
        let scheduled = (stats.pods_scheduled - self.heard_scheduled).min(16) as u32;
        self.bind_pulses.add(scheduled + real.scheduled.min(16));
        let failed = (stats.failed_attempts - self.heard_failed).min(16) as u32;
        self.fail_pulses
            .add(failed + real.failed_scheduling.min(16));
        self.heard_scheduled = stats.pods_scheduled;
        self.heard_failed = stats.failed_attempts;
    }

    /// Hands each JOB's new and removed Jobs and the Jobs of each ENCHANTMENT's new
    /// forges to the sync thread.
    fn send_forges(&mut self) {
        if !self.sync.wanted() {
            return;
        }
        let (registry, hub) = (self.slot.registry(), self.slot.tag());
        for (i, link) in self.members.iter().enumerate().take(registry.high_water()) {
            let tag = i as u32 + 1;
            if link.kind == SlotKind::Job {
                let (created, alive) = self.job_owners.created(tag);
                self.sync.send_jobs(registry, i, created, &alive);
            }
            if link.kind != SlotKind::Enchantment {
                continue;
            }
            let (world, forges) = (&self.world, &self.forges);
            let (created, _) = forges.created(tag, 0);
            self.sync.send_forges(i, created, |serial| {
                forge_jobs(world, registry, hub, forges.created(tag, serial).1)
            });
        }
    }

    /// Publishes the display snapshot when a display asked for one, at most about 60
    /// times a second of real time.
    fn publish_view(&mut self) {
        let every = (self.sample_rate / 60.0 / self.settings.control_period as f32).max(1.0) as u32;
        self.ticks_since_view = self.ticks_since_view.saturating_add(1);
        if self.ticks_since_view >= every && self.view.take_request() {
            self.ticks_since_view = 0;
            self.view_scratch.capture(&self.world);
            self.view.publish(&self.view_scratch);
        }
    }

    /// The outputs and lights that follow the world: pending pods, utilisation, the API
    /// reference and the status lights.
    fn write_state(&mut self, io: &mut ProcessIo<'_>, clocked: bool) {
        io.set_mono(
            output::PENDING,
            (self.world.pending_pods() as f32 * 0.1).min(10.0),
        );
        // While synced, the real cluster's requested CPU over its allocatable CPU (channel
        // 1) and over each group of its nodes (channels 2..16).
        let mut channels = [0.0; SUMMARY_CHANNELS];
        match self.sync.real_channels(&mut channels) {
            0 => {
                let util = self
                    .sync
                    .real()
                    .map_or_else(|| self.world.cpu_utilisation(), |r| r.cpu_utilisation());
                io.set_mono(output::UTIL, util * 10.0);
            }
            n => {
                io.set_channels(output::UTIL, n);
                for (ch, u) in channels.iter().enumerate().take(n) {
                    io.set_output(output::UTIL, ch, u.clamp(0.0, 1.0) * 10.0);
                }
            }
        }
        io.set_mono(output::API, tag_to_volts(self.slot.tag()));
        io.set_light(light::RUN, 1.0);
        io.set_light(light::CLOCKED, if clocked { 1.0 } else { 0.0 });
        let unschedulable = self.world.unschedulable_pods() > 0;
        io.set_light(light::UNSCHEDULABLE, if unschedulable { 1.0 } else { 0.0 });
        let [connecting, synced, degraded, error] = self.sync.lights();
        io.set_light(light::SYNC_CONNECTING, connecting);
        io.set_light(light::SYNCED, synced);
        io.set_light(light::SYNC_DEGRADED, degraded);
        io.set_light(light::SYNC_ERROR, error);
    }

    fn etcd_sample(&mut self, io: &ProcessIo<'_>) -> f32 {
        let tone = io.param_in(&DESCRIPTOR, param::TONE);
        let level = io.param_in(&DESCRIPTOR, param::LEVEL);
        self.ticks_sound.process(tone, level)
    }
}

/// Reads the `sync` settings of a saved hub into `link`; what is missing or invalid takes
/// its default, with an error saying so.
fn load_sync_settings_into(link: &LiveLink, state: &serde_json::Value) -> Result<(), LoadError> {
    let Some(sync) = state.get("sync") else {
        link.set_settings(SyncSettings::default());
        return Ok(());
    };
    let (settings, note) = match SyncSettings::deserialize(sync) {
        Ok(s) => s.sanitized(),
        Err(e) => (
            SyncSettings::default(),
            Some(format!("CLUSTER sync settings: {e}; using defaults")),
        ),
    };
    link.set_settings(settings);
    note.map_or(Ok(()), |n| Err(LoadError(n)))
}

fn pool_spec(slot: &Slot) -> NodePoolSpec {
    NodePoolSpec {
        count: slot.desired(pd::COUNT),
        cpu_m: slot.desired(pd::CPU_M),
        memory_mib: slot.desired(pd::MEMORY_MIB),
        pods: NODE_MAX_PODS,
        cordoned: slot.desired(pd::CORDONED) != 0,
        zone: slot
            .desired(pd::ZONE)
            .min(crate::world::constraints::ZONES as u32) as u8,
        taint: TaintEffect::from_index(slot.desired(pd::TAINT)),
        terms: slot.desired(pd::TERMS).min(u32::from(u16::MAX)) as u16,
        mana: Mana::NONE,
    }
}

fn deployment_spec(slot: &Slot) -> DeploymentSpec {
    let flags = slot.desired(dd::FLAGS);
    let strategy = if flags & dd::FLAG_RECREATE != 0 {
        DeploymentStrategy::Recreate
    } else {
        DeploymentStrategy::RollingUpdate {
            max_surge: IntOrPercent::Percent(slot.desired(dd::MAX_SURGE_PCT).min(100)),
            max_unavailable: IntOrPercent::Percent(slot.desired(dd::MAX_UNAVAILABLE_PCT).min(100)),
        }
    };
    DeploymentSpec {
        replicas: slot.desired(dd::REPLICAS),
        cpu_m: slot.desired(dd::CPU_M),
        memory_mib: slot.desired(dd::MEMORY_MIB),
        image: slot.desired(dd::IMAGE),
        strategy,
        revision_history_limit: REVISION_HISTORY_LIMIT,
        fault: flags & dd::FLAG_FAULT != 0,
        scheduling: SchedulingSpec {
            terms: slot.desired(dd::TERMS).min(u32::from(u16::MAX)) as u16,
            ..SchedulingSpec::unpack(slot.desired(dd::PRIORITY), slot.desired(dd::SCHEDULING))
        },
    }
}

/// Applies an ETCD member's new external writes (at most 16 a tick; the rest follow).
fn apply_external_writes(world: &mut World, tag: u32, slot: &Slot) {
    let wanted = slot.desired(ed::WRITES);
    let applied = slot.observed(eobs::WRITES_APPLIED);
    let backlog = wanted.wrapping_sub(applied);
    if backlog > 1 << 16 {
        // The member restarted its count: nothing to replay.
        slot.set_observed(eobs::WRITES_APPLIED, wanted);
        return;
    }
    let n = backlog.min(16);
    for _ in 0..n {
        world.external_write(tag);
    }
    slot.set_observed(eobs::WRITES_APPLIED, applied.wrapping_add(n));
}

fn bare_pod_spec(slot: &Slot) -> BarePodSpec {
    BarePodSpec {
        cpu_m: slot.desired(podd::CPU_M),
        memory_mib: slot.desired(podd::MEMORY_MIB),
        incarnation: slot.desired(podd::INCARNATION),
        fault: slot.desired(podd::FAULT) != 0,
    }
}

fn service_spec(slot: &Slot) -> ServiceSpec {
    let mut spec = ServiceSpec::default();
    for (i, tag) in spec.selector.iter_mut().enumerate().take(MAX_SELECTED) {
        let word = slot.desired(sd::SELECTOR_FIRST + i / 2);
        *tag = if i % 2 == 0 {
            word & 0xffff
        } else {
            word >> 16
        };
    }
    spec
}

impl Module for ClusterModule {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &DESCRIPTOR
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return;
        }
        self.sample_rate = sample_rate;
        self.ticks_sound.set_sample_rate(sample_rate);
        self.bind_pulses.set_sample_rate(sample_rate);
        self.fail_pulses.set_sample_rate(sample_rate);
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        let clocked = io.connected(input::CLOCK);
        let sync_gate = io.connected(input::SYNC).then(|| io.input(input::SYNC, 0));
        self.sync
            .update_wanted(io.param_in(&DESCRIPTOR, param::SYNC) >= 0.5, sync_gate);
        if clocked && self.clock.process(io.input(input::CLOCK, 0)) {
            self.clock_steps = (self.clock_steps + 1).min(4);
        }
        self.counter += 1;
        let ticked = self.counter >= self.settings.control_period;
        if ticked {
            self.counter = 0;
            let knob = io.param_in(&DESCRIPTOR, param::WARP);
            if knob.to_bits() != self.warp.0 {
                self.warp = (knob.to_bits(), 10f64.powf(f64::from(knob)));
            }
            let warp = self.warp.1;
            if clocked {
                let steps = std::mem::take(&mut self.clock_steps);
                self.tick(warp, steps);
            } else {
                let dt =
                    warp * f64::from(self.settings.control_period) / f64::from(self.sample_rate);
                self.tick(dt, 1);
            }
        }
        let etcd = self.etcd_sample(io);
        io.set_mono(output::ETCD, etcd);
        let bind = self.bind_pulses.process();
        io.update_mono(output::BIND, bind);
        let fail = self.fail_pulses.process();
        io.update_mono(output::FAIL, fail);
        // What follows the world changes only on a tick: written then (and on the first
        // sample after a reset or load), held by the host in between.
        if ticked || std::mem::take(&mut self.refresh_outputs) {
            self.write_state(io, clocked);
        }
    }

    fn reset(&mut self) {
        self.settings = ClusterSettings::default();
        self.sync.link().set_settings(SyncSettings::default());
        self.rebuild();
    }

    /// The world's settings and, under `sync` when not the defaults, the live-sync settings
    /// (names and switches, never secrets).
    fn save(&self) -> serde_json::Value {
        let mut json = serde_json::to_value(self.settings).unwrap_or(serde_json::Value::Null);
        let sync = self.sync.link().settings();
        if sync != SyncSettings::default() {
            if let (Some(map), Ok(sync)) = (json.as_object_mut(), serde_json::to_value(sync)) {
                map.insert("sync".to_owned(), sync);
            }
        }
        json
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        let result = if state.is_object() {
            ClusterSettings::deserialize(state)
                .map_err(|e| LoadError(format!("CLUSTER settings: {e}; using defaults")))
        } else {
            Err(LoadError(
                "CLUSTER settings: expected an object; using defaults".into(),
            ))
        };
        let settings = result.clone().unwrap_or_default();
        let settings = ClusterSettings {
            control_period: settings.control_period.clamp(1, 1024),
            ..settings
        };
        // A new seed or control rate starts the world over; Kueue's configuration changes
        // in place, and settings that stay (an undone live-sync change) keep the world.
        let restart = settings.seed != self.settings.seed
            || settings.control_period != self.settings.control_period;
        self.settings = settings;
        if restart {
            self.rebuild();
        } else {
            self.world
                .set_kueue_fair_sharing(self.settings.kueue.fair_sharing);
        }
        let sync = load_sync_settings_into(self.sync.link(), state);
        result?;
        sync
    }

    fn set_seed(&mut self, seed: u64) {
        self.settings.seed = seed;
        self.rebuild();
    }

    fn view(&self) -> Option<Arc<ViewCell>> {
        Some(Arc::clone(&self.view))
    }

    fn live(&self) -> Option<Arc<LiveLink>> {
        Some(Arc::clone(self.sync.link()))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
