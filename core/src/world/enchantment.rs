//! The forge's Enchantment: one item of the catalog being forged by one Job per essence it
//! needs. Each Job names the forge's queue and the WorkloadPriorityClass of the item's tier,
//! asks `manawell.io/<essence>: <amount>` per pod and is pinned to that essence's nodes by a
//! node selector and a toleration; it runs `amount x cost` seconds. The Enchantment's phase
//! follows its Jobs: Scheduled (waiting for admission), Enchanting (every Job admitted),
//! Requeued (a Job was preempted and waits again), Completed (every Job complete) or Failed (a
//! Job failed or vanished; the others are deleted). Deleting an Enchantment deletes its Jobs,
//! as the garbage collector does for owned objects.

use super::constraints::SchedulingSpec;
use super::events::EventKind;
use super::mana::{essence_index, Mana};
use super::names::{ObjectKind, ObjectName};
use super::objects::{ObjectMeta, NONE};
use super::queueing::JobQueueing;
use super::workloads::{JobCondition, JobSpec};
use super::World;
use crate::forge::{Catalog, Tier, ESSENCES};
use crate::rng::Rng;

/// Most Enchantments a world holds at once.
pub const MAX_ENCHANTMENTS: usize = 64;
/// CPU each essence Job's pod requests, millicores.
pub const ENCHANTMENT_CPU_M: u32 = 100;
/// Memory each essence Job's pod requests, MiB.
pub const ENCHANTMENT_MEMORY_MIB: u32 = 64;

/// What the forge asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnchantmentSpec {
    /// The item: its index in [`Catalog::shared`].
    pub item: usize,
    /// The tag of the CLUSTERQUEUE whose LocalQueue the Jobs name (`NONE`: not queued, the
    /// Jobs run at once).
    pub queue: u32,
    /// Seconds each essence unit takes: a Job runs `amount x cost` seconds.
    pub cost_seconds: f64,
    /// The Jobs' pods' typed labels, tolerations, node and pod affinity and spread (an
    /// interned terms id; 0 = none).
    pub terms: u16,
}

/// status.phase of an Enchantment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnchantmentPhase {
    /// Its Jobs wait for Kueue to admit them.
    Scheduled = 0,
    /// Every Job is admitted: the essences are being bound.
    Enchanting = 1,
    /// A Job was preempted (suspended again) and waits in the queue.
    Requeued = 2,
    /// Every Job completed: the item is forged.
    Completed = 3,
    /// A Job failed or was deleted.
    Failed = 4,
}

impl EnchantmentPhase {
    /// Every phase, in the order of [`Enchantment::entered`].
    pub const ALL: [EnchantmentPhase; 5] = [
        EnchantmentPhase::Scheduled,
        EnchantmentPhase::Enchanting,
        EnchantmentPhase::Requeued,
        EnchantmentPhase::Completed,
        EnchantmentPhase::Failed,
    ];

    /// Completed or Failed.
    pub fn is_finished(self) -> bool {
        matches!(self, EnchantmentPhase::Completed | EnchantmentPhase::Failed)
    }

    fn event(self) -> EventKind {
        match self {
            EnchantmentPhase::Scheduled => EventKind::EnchantmentScheduled,
            EnchantmentPhase::Enchanting => EventKind::EnchantmentEnchanting,
            EnchantmentPhase::Requeued => EventKind::EnchantmentRequeued,
            EnchantmentPhase::Completed => EventKind::EnchantmentCompleted,
            EnchantmentPhase::Failed => EventKind::EnchantmentFailed,
        }
    }
}

/// One essence Job of an Enchantment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EssenceJob {
    /// The Job's id (`NONE`: the item needs none of this essence).
    pub id: u32,
    /// The Job's uid (ids are reused).
    pub uid: u64,
}

/// An item being forged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Enchantment {
    /// Metadata.
    pub meta: ObjectMeta,
    /// The desired state.
    pub spec: EnchantmentSpec,
    /// The item's tier.
    pub tier: Tier,
    /// The Job of each essence, in [`ESSENCES`] order.
    pub jobs: [EssenceJob; 3],
    /// status.phase.
    pub phase: EnchantmentPhase,
    /// Times each phase was entered, in [`EnchantmentPhase::ALL`] order.
    pub entered: [u32; 5],
    /// When it reached Completed or Failed.
    pub finished_at: Option<f64>,
}

impl Enchantment {
    /// The name of Enchantment `id` forging catalog item `item`.
    pub fn name(id: u32, item: usize) -> ObjectName {
        ObjectName {
            kind: ObjectKind::Enchantment,
            owner: id,
            revision: item as u32,
            id: 0,
        }
    }
}

/// The forge's state in a world: Enchantments and the seeded draw.
pub(super) struct Forge {
    enchantments: Vec<Option<Enchantment>>,
    rng: Rng,
}

impl Forge {
    pub fn new(seed: u64) -> Forge {
        // Make sure the shared catalog exists before any audio-path use.
        let _ = Catalog::shared();
        Forge {
            enchantments: vec![None; MAX_ENCHANTMENTS],
            rng: Rng::new(seed ^ 0x000f_076e_5eed),
        }
    }
}

/// The Job forging `amount` units of essence `e` of an Enchantment.
fn essence_job(spec: &EnchantmentSpec, tier: Tier, e: usize, amount: u32) -> JobSpec {
    let essence = ESSENCES[e];
    let index = essence_index(essence);
    let cost = if spec.cost_seconds.is_finite() {
        spec.cost_seconds.clamp(0.0, 3600.0)
    } else {
        0.0
    };
    JobSpec {
        cpu_m: ENCHANTMENT_CPU_M,
        memory_mib: ENCHANTMENT_MEMORY_MIB,
        mana: Mana::of(essence, amount),
        run_seconds: f64::from(amount) * cost,
        scheduling: SchedulingSpec {
            node_selector_energy: index,
            tolerates_energy: index,
            terms: spec.terms,
            ..SchedulingSpec::default()
        },
        queueing: JobQueueing {
            queue: spec.queue,
            priority_class: tier.priority() as u8,
        },
        ..JobSpec::default()
    }
}

impl World {
    /// Draws an item from the shipped catalog with the world's forge draw (seeded by the
    /// world's seed): of `tier`, or of a tier drawn by weight. Returns its index.
    pub fn draw_forge_item(&mut self, tier: Option<Tier>) -> Option<usize> {
        Catalog::shared().draw_index(&mut self.forge.rng, tier)
    }

    /// Creates an Enchantment and its essence Jobs; `None` when the item is unknown, or the
    /// world holds [`MAX_ENCHANTMENTS`] already or has no room for the Jobs.
    pub fn create_enchantment(&mut self, spec: EnchantmentSpec) -> Option<u32> {
        let item = Catalog::shared().items().get(spec.item)?;
        let (tier, essence) = (item.tier, item.essence);
        let id = self.forge.enchantments.iter().position(Option::is_none)? as u32;
        let needed = essence.iter().filter(|&&n| n > 0).count();
        if self.jobs().count() + needed > super::MAX_JOBS {
            return None;
        }
        let meta = self.new_meta();
        let mut jobs = [EssenceJob { id: NONE, uid: 0 }; 3];
        for (e, &amount) in essence.iter().enumerate() {
            if amount == 0 {
                continue;
            }
            if let Some(job) = self.create_job(essence_job(&spec, tier, e, amount)) {
                let uid = self.job(job).map_or(0, |j| j.meta.uid);
                jobs[e] = EssenceJob { id: job, uid };
            }
        }
        let mut entered = [0; 5];
        entered[EnchantmentPhase::Scheduled as usize] = 1;
        self.forge.enchantments[id as usize] = Some(Enchantment {
            meta,
            spec,
            tier,
            jobs,
            phase: EnchantmentPhase::Scheduled,
            entered,
            finished_at: None,
        });
        let name = Enchantment::name(id, spec.item);
        self.write(EventKind::EnchantmentScheduled, name, None, 0);
        Some(id)
    }

    /// An Enchantment by id.
    pub fn enchantment(&self, id: u32) -> Option<&Enchantment> {
        self.forge.enchantments.get(id as usize)?.as_ref()
    }

    /// Every Enchantment with its id.
    pub fn enchantments(&self) -> impl Iterator<Item = (u32, &Enchantment)> + '_ {
        self.forge
            .enchantments
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (i as u32, e)))
    }

    /// Deletes an Enchantment and the Jobs it owns.
    pub fn delete_enchantment(&mut self, id: u32) {
        let Some(e) = self.enchantment(id).copied() else {
            return;
        };
        self.delete_owned_jobs(&e);
        self.forge.enchantments[id as usize] = None;
        let name = Enchantment::name(id, e.spec.item);
        self.write(EventKind::EnchantmentDeleted, name, None, 0);
    }

    fn delete_owned_jobs(&mut self, e: &Enchantment) {
        for j in e.jobs {
            if self.job(j.id).is_some_and(|job| job.meta.uid == j.uid) {
                self.delete_job(j.id);
            }
        }
    }

    /// The phase an Enchantment's Jobs put it in.
    fn observed_phase(&self, e: &Enchantment) -> EnchantmentPhase {
        let (mut all_complete, mut all_admitted, mut requeued) = (true, true, false);
        for j in e.jobs.iter().filter(|j| j.id != NONE) {
            let Some(job) = self.job(j.id).filter(|job| job.meta.uid == j.uid) else {
                return EnchantmentPhase::Failed;
            };
            match job.condition {
                Some(JobCondition::Failed(_)) => return EnchantmentPhase::Failed,
                Some(JobCondition::Complete) => continue,
                None => all_complete = false,
            }
            if job.suspended {
                all_admitted = false;
                requeued |= job.admissions > 0;
            }
        }
        if all_complete {
            EnchantmentPhase::Completed
        } else if requeued {
            EnchantmentPhase::Requeued
        } else if all_admitted {
            EnchantmentPhase::Enchanting
        } else if e.phase == EnchantmentPhase::Requeued {
            // A readmitted Job does not send it back to Scheduled.
            EnchantmentPhase::Requeued
        } else {
            EnchantmentPhase::Scheduled
        }
    }

    /// The Enchantment controller: moves each Enchantment to the phase its Jobs show.
    pub(super) fn reconcile_enchantments(&mut self) {
        for id in 0..MAX_ENCHANTMENTS {
            let Some(e) = self.forge.enchantments[id].as_ref().copied() else {
                continue;
            };
            if e.phase.is_finished() {
                continue;
            }
            let phase = self.observed_phase(&e);
            if phase == e.phase {
                continue;
            }
            if phase == EnchantmentPhase::Failed {
                self.delete_owned_jobs(&e);
            }
            let time = self.time;
            if let Some(live) = self.forge.enchantments[id].as_mut() {
                live.phase = phase;
                live.entered[phase as usize] += 1;
                if phase.is_finished() {
                    live.finished_at = Some(time);
                }
            }
            let name = Enchantment::name(id as u32, e.spec.item);
            self.write(phase.event(), name, None, 0);
        }
    }
}
